"""Window tools on the shared simulated city: `safetynet profile`, `safetynet verify`, the audit log and
the print counter (warehouse/lookup.py, warehouse/audit.py, reports/verification.py)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reports.verification import PURPOSE
from safetynet.cli import app
from safetynet.settings import Settings
from warehouse import audit, build, lookup
from warehouse.query import connect_current

AS_OF = date(2026, 5, 27)
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def city(ingested_city: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[Settings, Path]:
    """(settings on a private copy of the shared city's home, with a published warehouse; exchange)."""
    settings, exchange = ingested_city
    home = tmp_path_factory.mktemp("window") / "home"
    shutil.copytree(settings.home, home)
    copy = Settings(home=home, exchange=settings.exchange, frontdb_urls=settings.frontdb_urls)
    build.build(copy, AS_OF)
    return copy, exchange


def _cli(settings: Settings, *args: str) -> Any:
    env = {"SAFETYNET_HOME": str(settings.home), "SAFETYNET_EXCHANGE": str(settings.exchange),
           "SAFETYNET_DEBUG": "0", "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _covered_open_member(settings: Settings) -> tuple[str, str]:
    """(ID, application) of a member of an open application with a signed 授权书 who is in a household."""
    con = connect_current(settings)
    try:
        rows = con.execute("""
            SELECT m.member_id_number, a.application_no
            FROM stg.assistance__application a JOIN stg.assistance__application_member m USING (application_no)
            JOIN mart.household_member hm ON hm.id_number = m.member_id_number
            WHERE a.is_open AND a.authorization_signed = '是' AND a.authorization_date IS NOT NULL
              AND m.deleted_flag = '0' AND m.member_id_number_status = 'valid'
            ORDER BY a.application_no, m.member_id_number LIMIT 1""").fetchall()
    finally:
        con.close()
    assert rows, "the simulated city has no open application with a signed 授权书"
    return rows[0][0], rows[0][1]


def _uncovered_hukou_only(settings: Settings) -> str:
    con = connect_current(settings)
    try:
        candidates = [r[0] for r in con.execute(
            "SELECT id_number FROM mart.person WHERE sources = ['hukou'] ORDER BY id_number LIMIT 50").fetchall()]
        found = next((c for c in candidates if not lookup.authorizations(con, c)), None)
    finally:
        con.close()
    assert found is not None
    return found


@pytest.mark.slow
def test_profile_of_a_planted_person_has_the_truth_household(city: tuple[Settings, Path]) -> None:
    settings, exchange = city
    truth_dir = exchange / "_truth"
    households = {h["sid"]: h for h in _jsonl(truth_dir / "households.jsonl")}
    person = next(p for p in _jsonl(truth_dir / "persons.jsonl")
                  if p["is_member"] and p["household_sid"] in households
                  and households[p["household_sid"]]["profile"].get("member_count") is not None)
    expected = households[person["household_sid"]]
    con = connect_current(settings)
    try:
        data = lookup.profile(con, person["id_number"])
    finally:
        con.close()
    assert data["household"]["household_id"] == expected["household_id"]
    assert data["household"]["member_count"] == expected["profile"]["member_count"]
    assert person["id_number"] in {m["id_number"] for m in data["members"]}

    result = _cli(settings, "profile", person["id_number"], "--json", "--operator", "tester")
    assert result.exit_code == 0, result.output
    assert not FULL_ID.search(result.stdout)
    shown = json.loads(result.stdout)
    assert shown["household"]["household_id"] == expected["household_id"]
    assert len(shown["members"]) == expected["profile"]["member_count"]
    table = _cli(settings, "profile", person["id_number"])
    assert table.exit_code == 0, table.output
    assert "家庭成员" in table.stdout and not FULL_ID.search(table.stdout)
    views = [e for e in audit.read(settings) if e["action"] == "profile_view"]
    assert views and views[-1]["household_id"] == expected["household_id"]
    assert not FULL_ID.search(settings.audit_log.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_verify_writes_a_self_contained_report_and_counts_prints(city: tuple[Settings, Path],
                                                                 tmp_path: Path) -> None:
    settings, _ = city
    person, application = _covered_open_member(settings)
    out = tmp_path / "report.html"
    result = _cli(settings, "verify", person, "--out", str(out), "--application", application,
                  "--reason", "低保申请核对", "--operator", "窗口甲")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert "<link" not in html and "<script" not in html and "@page" in html and "A4" in html
    assert PURPOSE in html and "异议" in html and "5 个工作日" in html
    for program in lookup.PROGRAMS.values():
        assert program in html
    assert application in html and "第 1 次打印" in html
    assert not FULL_ID.search(result.stdout)

    entry = audit.read(settings)[-1]
    assert entry["action"] == "verify" and entry["user"] == "窗口甲" and entry["application"] == application
    assert entry["reason"] == "低保申请核对" and entry["report_id"]
    assert entry["whom"] != person and not FULL_ID.search(json.dumps(entry, ensure_ascii=False))

    again = _cli(settings, "verify", person, "--out", str(out), "--application", application,
                 "--reason", "补打", "--operator", "窗口甲")
    assert again.exit_code == 0, again.output
    assert "第 2 次打印" in out.read_text(encoding="utf-8")
    assert audit.read(settings)[-1]["report_id"] == entry["report_id"]
    prints = json.loads((settings.state_dir / "report_prints.json").read_text(encoding="utf-8"))
    assert prints[entry["report_id"]]["prints"] == 2


@pytest.mark.slow
def test_verify_without_authorization_is_refused_and_only_audited(city: tuple[Settings, Path],
                                                                  tmp_path: Path) -> None:
    settings, _ = city
    person = _uncovered_hukou_only(settings)
    before = len(audit.read(settings))
    prints = settings.state_dir / "report_prints.json"
    prints_before = prints.read_text(encoding="utf-8") if prints.is_file() else None
    out = tmp_path / "refused.html"
    result = _cli(settings, "verify", person, "--out", str(out), "--reason", "窗口核对")
    assert result.exit_code != 0
    assert "授权书" in result.output and not FULL_ID.search(result.output)
    assert not out.exists() and not list(tmp_path.iterdir())
    assert (prints.read_text(encoding="utf-8") if prints.is_file() else None) == prints_before
    after = audit.read(settings)
    assert len(after) == before + 1 and after[-1]["action"] == "verify_refused"
    assert after[-1]["whom"] != person and not FULL_ID.search(json.dumps(after[-1], ensure_ascii=False))


@pytest.mark.slow
def test_verify_requires_a_reason(city: tuple[Settings, Path], tmp_path: Path) -> None:
    settings, _ = city
    person, _ = _covered_open_member(settings)
    result = _cli(settings, "verify", person, "--out", str(tmp_path / "r.html"))
    assert result.exit_code != 0 and not (tmp_path / "r.html").exists()


def test_program_rows_without_and_with_eligibility() -> None:
    from reports.verification import program_rows

    assert program_rows(None) is None
    reasons = json.dumps([{"rule": "income_below_dibao", "inputs": {"monthly_income_per_capita": 800.5},
                           "threshold": 1060.0, "passed": True,
                           "parameters": [{"name": "dibao_urban", "value": 1060.0, "effective_from": "2026-01-01"}]},
                          {"rule": "financial_assets_limit", "inputs": {"known": False}, "threshold": 25440,
                           "passed": None}])
    rows = program_rows([{"household_id": "H1", "program": "DIBAO", "eligible": True, "standard_amount": 1060.0,
                          "reasons": reasons, "rule_version": "policy-2021.1"}])
    assert rows is not None and len(rows) == len(lookup.PROGRAMS)
    dibao = rows[0]
    assert (dibao["result"], dibao["standard_amount"], dibao["version"]) == ("符合", "1,060.00", "policy-2021.1")
    income, assets = dibao["rules"]
    assert income == {"rule": "人均月收入低于低保标准", "inputs": "人均月收入 800.50",
                      "standard": "< 1,060.00；依据 dibao_urban = 1,060.00（2026-01-01 起）", "result": "通过"}
    assert (assets["inputs"], assets["result"]) == ("金融资产已查询 否", "未知（数据缺失）")
    assert {r["result"] for r in rows[1:]} == {"无结果"}


def test_masked_hides_every_id_number() -> None:
    data = {"person": {"id_number": "370481198503121235"}, "members": [{"id_number": "370481198503121235"}],
            "note": "see 370481198503121235"}
    assert not FULL_ID.search(json.dumps(lookup.masked(data)))
    assert data["person"]["id_number"] == "370481198503121235"  # the input is not modified


def test_bad_id_is_refused_with_a_masked_message() -> None:
    with pytest.raises(lookup.LookupError_) as exc:
        lookup.canonical_id("370481198503121234")  # wrong check character
    assert "370481198503121234" not in str(exc.value)


@pytest.mark.parametrize("args", [["profile", "370481199001011234"],
                                  ["verify", "370481199001011234", "--out", "x.html", "--reason", "核对"]])
def test_without_a_warehouse_one_masked_line(tmp_path: Path, args: list[str]) -> None:
    env = {"SAFETYNET_HOME": str(tmp_path / "home"), "SAFETYNET_DEBUG": ""}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "数据仓库" in result.stderr
    assert "370481199001011234" not in result.output
    assert not (tmp_path / "x.html").exists()
