"""The monitors' command line: `safetynet alerts`, `safetynet review-alert` and the open alerts of
`safetynet profile` (warehouse/alerts_query.py, warehouse/lookup.py, policy.md section 6).

Fast tests use a hand-made published warehouse (meta.build_info, mart.household, mart.alert and the history
relations) with known alerts over two nights. The slow tests build the shared city night after night with
a copy of the repo's models in which HUKOU_MOVED_OUT is a scripted rule (families 1-4 fire every night,
families 5-6 only before the last night), so the lifecycle, history and dispositions are known whatever
the real rules find.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from safetynet.cli import app
from safetynet.privacy import mask_id
from safetynet.settings import Settings
from transforms.parameters.alert_rules import CODES
from warehouse import alerts_query, audit, build, dispositions, lookup
from warehouse.query import current_path
from warehouse.runner import DEFAULT_MODELS_DIR

FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
NIGHT1, NIGHT2 = date(2026, 5, 26), date(2026, 5, 27)
ID_A, ID_B, ID_C = "370481199001011234", "370481198502023456", "37048119700303789X"

#: (alert_id, code, severity, title_zh, town, household_id, id_number, first_seen, last_seen, status,
#: resolved_on, night) - the hand-made history. A1 new then open; A2 open then resolved; A3 only on
#: night 2 (new); A4 resolved on both nights (never listed).
ALERTS: list[tuple[Any, ...]] = [
    ("a1", "VEHICLE_OWNED", "medium", "在保家庭成员名下有车辆", "荆河街道", "JZ1", ID_A,
     NIGHT1, NIGHT1, "new", None, NIGHT1),
    ("a1", "VEHICLE_OWNED", "medium", "在保家庭成员名下有车辆", "荆河街道", "JZ1", ID_A,
     NIGHT1, NIGHT2, "open", None, NIGHT2),
    ("a2", "DECEASED_STILL_PAID", "high", "死亡人员仍在领取救助金", "龙泉街道", "JZ2", ID_B,
     NIGHT1, NIGHT1, "open", None, NIGHT1),
    ("a2", "DECEASED_STILL_PAID", "high", "死亡人员仍在领取救助金", "龙泉街道", "JZ2", ID_B,
     NIGHT1, NIGHT1, "resolved", NIGHT2, NIGHT2),
    ("a3", "PROPERTY_OVER_LIMIT", "medium", "在保家庭房产超过限定", "龙泉街道", "JZ2", None,
     NIGHT2, NIGHT2, "new", None, NIGHT2),
    ("a4", "HUKOU_MOVED_OUT", "low", "保障对象户籍已迁出或注销", "荆河街道", "JZ1", ID_C,
     date(2026, 5, 1), date(2026, 5, 20), "resolved", date(2026, 5, 21), NIGHT1),
    ("a4", "HUKOU_MOVED_OUT", "low", "保障对象户籍已迁出或注销", "荆河街道", "JZ1", ID_C,
     date(2026, 5, 1), date(2026, 5, 20), "resolved", date(2026, 5, 21), NIGHT2),
]


def _evidence(row: tuple[Any, ...]) -> str:
    return json.dumps({"source": "vehicles", "record_key": "LSVAB123", "as_of": str(row[-1]),
                       "fields": {"owner_id_number": row[6], "使用性质": "非营运", "units": [1, 2],
                                  "parameters": {"x": 1}}}, ensure_ascii=False)


def make_warehouse(settings: Settings) -> Path:
    """A hand-made published current.duckdb built as of NIGHT2 (its own night NIGHT2 plus history NIGHT1)."""
    path = current_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA meta; CREATE SCHEMA mart")
        con.execute("CREATE TABLE meta.build_info AS SELECT 'test_build' AS build_id, DATE '2026-05-27' AS as_of")
        con.execute("CREATE TABLE mart.household (household_id VARCHAR, kind VARCHAR, town VARCHAR)")
        con.execute("INSERT INTO mart.household VALUES ('JZ1', 'family', '荆河街道'), ('JZ2', 'family', '龙泉街道'),"
                    " ('HK3', 'hukou', '滨湖镇')")
        con.execute("""CREATE TABLE mart.alert_history (
            alert_id VARCHAR, code VARCHAR, severity VARCHAR, title_zh VARCHAR, town VARCHAR,
            household_id VARCHAR, id_number VARCHAR, first_seen DATE, last_seen DATE, status VARCHAR,
            resolved_on DATE, as_of DATE, subject_key VARCHAR, evidence JSON, rule_version INTEGER,
            disposition VARCHAR, disposition_reviewer VARCHAR, disposition_note VARCHAR,
            disposition_at TIMESTAMP)""")
        for row in ALERTS:
            con.execute("INSERT INTO mart.alert_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 1, "
                        "NULL, NULL, NULL, NULL)", [*row, _evidence(row)])
        con.execute("CREATE TABLE mart.alert AS SELECT * FROM mart.alert_history WHERE as_of = DATE '2026-05-27'")
        con.execute("CREATE TABLE mart.alert_rule_run_history AS SELECT unnest(?) AS code, d AS as_of "
                    "FROM (VALUES (DATE '2026-05-26'), (DATE '2026-05-27')) t(d)", [list(CODES)])
    finally:
        con.close()
    return path


@pytest.fixture
def handmade(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path / "home", exchange=tmp_path / "exchange")
    make_warehouse(settings)
    return settings


def _cli(settings: Settings, *args: str) -> Any:
    env = {"SAFETYNET_HOME": str(settings.home), "SAFETYNET_EXCHANGE": str(settings.exchange),
           "SAFETYNET_DEBUG": "0", "COLUMNS": "250"}
    return CliRunner().invoke(app, list(args), env=env)


def _json(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _no_full_id(text: str) -> None:
    assert not FULL_ID.search(text), FULL_ID.search(text)


# --- fast: the hand-made warehouse ---------------------------------------------------------------------

def test_alerts_default_is_the_published_night(handmade: Settings) -> None:
    result = _cli(handmade, "alerts")
    assert result.exit_code == 0, result.output
    assert "a1" in result.stdout and "a3" in result.stdout
    assert "a2" not in result.stdout and "a4" not in result.stdout   # resolved alerts are not listed
    assert "共 2 条预警（新增 1 条，持续 1 条），数据日期 2026-05-27" in result.stdout
    assert "在保家庭成员名下有车辆" in result.stdout and mask_id(ID_A) in result.stdout
    _no_full_id(result.output)


def test_alerts_on_an_earlier_night_read_the_history(handmade: Settings) -> None:
    rows = _json(_cli(handmade, "alerts", "--date", "2026-05-26", "--json"))
    assert [(r["alert_id"], r["status"]) for r in rows] == [("a2", "open"), ("a1", "new")]  # high first
    assert {r["as_of"] for r in rows} == {"2026-05-26"}


def test_a_night_without_a_published_build_fails_with_one_line(handmade: Settings) -> None:
    result = _cli(handmade, "alerts", "--date", "2026-05-20")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "2026-05-20" in lines[0] and "2026-05-26、2026-05-27" in lines[0]


def test_unknown_code_lists_the_valid_codes(handmade: Settings) -> None:
    result = _cli(handmade, "alerts", "--code", "NO_SUCH_RULE")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert all(code in result.stderr for code in CODES)


def test_code_and_town_filters(handmade: Settings) -> None:
    rows = _json(_cli(handmade, "alerts", "--code", "vehicle_owned", "--json"))
    assert [r["alert_id"] for r in rows] == ["a1"]
    rows = _json(_cli(handmade, "alerts", "--town", "龙泉街道", "--json"))
    assert [r["alert_id"] for r in rows] == ["a3"]
    assert _json(_cli(handmade, "alerts", "--town", "龙泉街道", "--code", "VEHICLE_OWNED", "--json")) == []
    assert "没有状态为新增或持续的预警" in _cli(handmade, "alerts", "--town", "滨湖镇").stdout
    result = _cli(handmade, "alerts", "--town", "北京市")
    assert result.exit_code == 1 and "荆河街道" in result.stderr


def test_json_masks_every_id_number_including_the_evidence(handmade: Settings) -> None:
    result = _cli(handmade, "alerts", "--json")
    rows = _json(result)
    _no_full_id(result.output)
    a1 = next(r for r in rows if r["alert_id"] == "a1")
    assert a1["id_number"] == mask_id(ID_A)
    assert a1["evidence"]["fields"]["owner_id_number"] == mask_id(ID_A)
    assert a1["evidence"]["record_key"] == "LSVAB123"
    assert next(r for r in rows if r["alert_id"] == "a3")["id_number"] is None


def test_queries_bind_values_as_parameters(handmade: Settings) -> None:
    con = duckdb.connect(str(current_path(handmade)), read_only=True)
    try:
        with pytest.raises(alerts_query.AlertQueryError):
            alerts_query.active_alerts(con, town="x' OR 1=1 --")
        assert alerts_query.published_nights(con) == [NIGHT1, NIGHT2]
        assert alerts_query.find_alert(con, "a2")["status"] == "resolved"
        with pytest.raises(alerts_query.AlertQueryError):
            alerts_query.find_alert(con, "a1' OR '1'='1")
    finally:
        con.close()


def test_review_alert_records_audits_and_shows_at_once(handmade: Settings) -> None:
    result = _cli(handmade, "review-alert", "a1", "--verdict", "false_positive", "--reviewer", "王监督",
                  "--note", f"车辆已过户 {ID_A}")
    assert result.exit_code == 0, result.output
    assert "误报" in result.stdout
    recorded = dispositions.read(handmade).to_pylist()
    assert [(r["alert_id"], r["verdict"], r["reviewer"]) for r in recorded] == [("a1", "false_positive", "王监督")]
    entry = audit.read(handmade)[-1]
    assert entry["action"] == "alert_review" and entry["user"] == "王监督"
    assert entry["whom"] == mask_id(ID_A) and entry["household_id"] == "JZ1"
    assert "a1" in entry["detail"] and "false_positive" in entry["detail"]
    _no_full_id(current_path(handmade).parent.parent.joinpath("audit", "audit.jsonl").read_text("utf-8"))
    # The warehouse joins it in only at the next build; the list shows the recorded verdict already.
    rows = _json(_cli(handmade, "alerts", "--json"))
    a1 = next(r for r in rows if r["alert_id"] == "a1")
    assert (a1["disposition"], a1["disposition_reviewer"]) == ("false_positive", "王监督")
    assert a1["disposition_note"] == f"车辆已过户 {mask_id(ID_A)}"
    assert "误报（王监督）" in _cli(handmade, "alerts").stdout


def test_review_alert_refuses_an_unknown_alert(handmade: Settings) -> None:
    result = _cli(handmade, "review-alert", "nope", "--verdict", "confirmed", "--reviewer", "王监督")
    assert result.exit_code == 1
    assert "nope" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not dispositions.store_path(handmade).exists()
    assert audit.read(handmade) == []
    bad = _cli(handmade, "review-alert", "a1", "--verdict", "maybe", "--reviewer", "王监督")
    assert bad.exit_code != 0 and not dispositions.store_path(handmade).exists()


def test_a_newer_warehouse_disposition_is_not_overridden_by_an_older_record() -> None:
    rows = [{"alert_id": "a1", "disposition": "confirmed", "disposition_reviewer": "甲",
             "disposition_note": "", "disposition_at": datetime(2026, 5, 27, 8)}]
    older = {"a1": {"verdict": "false_positive", "reviewer": "乙", "note": "", "recorded_at": datetime(2026, 5, 26)}}
    newer = {"a1": {"verdict": "false_positive", "reviewer": "乙", "note": "", "recorded_at": datetime(2026, 5, 28)}}
    assert alerts_query.with_dispositions(rows, older) == rows
    assert alerts_query.with_dispositions(rows, newer)[0]["disposition_reviewer"] == "乙"
    assert rows[0]["disposition_reviewer"] == "甲"   # inputs are not modified


def test_household_alerts_and_evidence_summary(handmade: Settings) -> None:
    con = duckdb.connect(str(current_path(handmade)), read_only=True)
    try:
        found = lookup.household_alerts(con, "JZ2")
    finally:
        con.close()
    assert [(a["alert_id"], a["status"]) for a in found] == [("a3", "new")]   # a2 is resolved
    summary = found[0]["evidence_summary"]
    assert summary.startswith("机动车（公安交管） LSVAB123: ")
    assert "使用性质=非营运" in summary and "units=2项" in summary and "parameters" not in summary
    assert "(数据截至 2026-05-27)" in summary
    assert lookup.evidence_summary(None) == ""


# --- slow: the shared city, night after night, with a scripted rule ------------------------------------

SCRIPTED_CODE = "HUKOU_MOVED_OUT"
SCRIPTED = """-- int.alert__hukou_moved_out (scripted for tests/test_cli_alerts.py)
-- grain: one row per scripted family head firing on $as_of: families 1-4 every night, 5-6 before 2026-05-27.

with

families as (

    select household_id, head_id_number, row_number() over (order by household_id) as n
    from mart.household
    where kind = 'family' and head_id_number is not null

),

final as (

    select
        'HUKOU_MOVED_OUT' as code,
        household_id,
        head_id_number as id_number,
        cast(null as varchar) as subject_key,
        json_object('source', 'hukou', 'record_key', head_id_number, 'as_of', cast($as_of as date),
            'fields', json_object('人员状态', '迁出', '公民身份号码', head_id_number)) as evidence

    from families
    where n <= 4 or (n <= 6 and cast($as_of as date) < date '2026-05-27')

)

select * from final
"""


@pytest.fixture(scope="module")
def scripted(built_city: tuple[Settings, Path, Path], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Settings, Path]:
    """(Settings of a copy of the built city, models dir with the scripted rule), published as of NIGHT2
    after NIGHT1."""
    settings, exchange, _ = built_city
    root = tmp_path_factory.mktemp("alerts-cli")
    shutil.copytree(settings.home, root / "home")
    models = root / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models, ignore=shutil.ignore_patterns("__pycache__"))
    (models / "intermediate" / "int_alert__hukou_moved_out.sql").write_text(SCRIPTED, encoding="utf-8")
    own = Settings(home=root / "home", exchange=exchange, frontdb_urls=settings.frontdb_urls)
    for night in (NIGHT1, NIGHT2):
        build.build(own, night, models_dir=models)
    return own, models


def _scripted_alerts(settings: Settings, *args: str) -> list[dict[str, Any]]:
    return _json(_cli(settings, "alerts", "--code", SCRIPTED_CODE, "--json", *args))


@pytest.mark.slow
def test_city_alerts_follow_the_lifecycle_and_history(scripted: tuple[Settings, Path]) -> None:
    settings, _ = scripted
    tonight = _scripted_alerts(settings)
    assert len(tonight) == 4 and {r["status"] for r in tonight} == {"open"}
    assert {r["first_seen"] for r in tonight} == {"2026-05-26"} and {r["as_of"] for r in tonight} == {"2026-05-27"}
    earlier = _scripted_alerts(settings, "--date", "2026-05-26")
    assert len(earlier) == 6 and {r["status"] for r in earlier} == {"new"}
    assert {r["alert_id"] for r in tonight} < {r["alert_id"] for r in earlier}
    table = _cli(settings, "alerts")
    assert table.exit_code == 0 and "保障对象户籍已迁出或注销" in table.stdout
    for result in (table, _cli(settings, "alerts", "--json"), _cli(settings, "alerts", "--date", "2026-05-26")):
        _no_full_id(result.output)
    assert _cli(settings, "alerts", "--date", "2026-05-25").exit_code == 1


@pytest.mark.slow
def test_profile_shows_the_households_open_alerts(scripted: tuple[Settings, Path]) -> None:
    settings, _ = scripted
    con = duckdb.connect(str(current_path(settings)), read_only=True)
    try:
        hid, head = con.execute("SELECT household_id, id_number FROM mart.alert WHERE code = ? AND status = 'open' "
                                "ORDER BY household_id LIMIT 1", [SCRIPTED_CODE]).fetchone()
    finally:
        con.close()
    result = _cli(settings, "profile", head, "--json")
    assert result.exit_code == 0, result.output
    _no_full_id(result.output)
    data = json.loads(result.stdout)
    assert data["household"]["household_id"] == hid
    mine = [a for a in data["alerts"] if a["code"] == SCRIPTED_CODE]
    assert len(mine) == 1 and mine[0]["id_number"] == mask_id(head) and mine[0]["status"] == "open"
    assert mine[0]["evidence_summary"].startswith("户籍（公安） ") and "人员状态=迁出" in mine[0]["evidence_summary"]
    assert {a["status"] for a in data["alerts"]} <= {"new", "open"}
    table = _cli(settings, "profile", head)
    assert table.exit_code == 0 and "未处理预警" in table.stdout and "保障对象户籍已迁出或注销" in table.stdout
    _no_full_id(table.output)


@pytest.mark.slow
def test_a_disposition_survives_a_rebuild(scripted: tuple[Settings, Path], tmp_path: Path) -> None:
    base, models = scripted
    home = tmp_path / "home"
    shutil.copytree(base.home, home)
    settings = Settings(home=home, exchange=base.exchange, frontdb_urls=base.frontdb_urls)
    first, second = sorted(r["alert_id"] for r in _scripted_alerts(settings))[:2]
    assert _cli(settings, "review-alert", first, "--verdict", "false_positive", "--reviewer", "王监督",
                "--note", "已核实户籍未迁出").exit_code == 0
    assert _cli(settings, "review-alert", second, "--verdict", "confirmed", "--reviewer", "李监督").exit_code == 0
    assert dispositions.store_path(settings).is_relative_to(settings.state_dir)

    build.build(settings, NIGHT2, models_dir=models)   # the warehouse file is replaced; the store is not
    con = duckdb.connect(str(current_path(settings)), read_only=True)
    try:
        reviewed = {r[0]: r[1:] for r in con.execute(
            "SELECT alert_id, disposition, disposition_reviewer, disposition_note FROM mart.alert "
            "WHERE disposition IS NOT NULL").fetchall()}
        run = con.execute("SELECT reviewed_count, confirmed_count, false_positive_count, false_positive_rate "
                          "FROM mart.alert_rule_run WHERE code = ?", [SCRIPTED_CODE]).fetchone()
    finally:
        con.close()
    assert reviewed == {first: ("false_positive", "王监督", "已核实户籍未迁出"), second: ("confirmed", "李监督", "")}
    assert run == (2, 1, 1, 0.5)
    rows = {r["alert_id"]: r for r in _scripted_alerts(settings)}
    assert rows[first]["disposition"] == "false_positive" and rows[second]["disposition"] == "confirmed"
    assert [e["action"] for e in audit.read(settings)].count("alert_review") == 2
