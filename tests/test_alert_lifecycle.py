"""The alert lifecycle across nights (policy.md section 6): new -> open -> resolved -> new again, stable
alert_id and first_seen, skipped rules keeping their alerts' state, and monitors' dispositions surviving
rebuilds - through the real runner, build, publish and history store.

The shared city is built night after night with a copy of the repo's models in which one rule model
(REFERRAL_OVERDUE) is replaced by a scripted one whose firing depends on the night, so each transition is
forced at a known date. (That real causes appear and go away is checked by tests/test_alerts_nights.py.)
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from safetynet.settings import Settings
from warehouse import build, dispositions
from warehouse.runner import DEFAULT_MODELS_DIR

pytestmark = pytest.mark.slow

N1, N2, N3, N4 = date(2026, 5, 25), date(2026, 5, 26), date(2026, 5, 27), date(2026, 5, 28)
#: Nine days after the last delivery: the daily sources are stale (g = 2 days), the rule is skipped.
STALE = date(2026, 6, 6)

#: A scripted REFERRAL_OVERDUE: subject A fires on N1-N2, B on N2-N4, C on N1 and again on N3.
SCRIPTED = """-- int.alert__referral_overdue (scripted for the lifecycle test)
-- grain: one row per scripted subject firing on $as_of.

with

households as (

    select household_id, row_number() over (order by household_id) as n
    from mart.household
    where kind = 'family'

),

script as (

    select * from (values
        (1, 'A', date '2026-05-25'), (1, 'A', date '2026-05-26'),
        (2, 'B', date '2026-05-26'), (2, 'B', date '2026-05-27'), (2, 'B', date '2026-05-28'),
        (2, 'B', date '2026-06-06'),
        (3, 'C', date '2026-05-25'), (3, 'C', date '2026-05-27')
    ) as t(n, subject, night)

),

final as (

    select
        'REFERRAL_OVERDUE' as code,
        households.household_id,
        cast(null as varchar) as id_number,
        'ZB-' || script.subject as subject_key,
        json_object('source', 'assistance', 'record_key', 'ZB-' || script.subject,
            'as_of', cast($as_of as date), 'fields', json_object('night', script.night)) as evidence

    from script
    inner join households on households.n = script.n
    where script.night = cast($as_of as date)

)

select * from final
"""


@pytest.fixture(scope="module")
def nights(ingested_city: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Settings, Path]:
    """(own Settings, models dir) of a copy of the shared city and of the models, with the scripted rule."""
    settings, exchange = ingested_city
    root = tmp_path_factory.mktemp("lifecycle")
    shutil.copytree(settings.home, root / "home")
    models = root / "transforms"
    shutil.copytree(DEFAULT_MODELS_DIR, models, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (models / "intermediate" / "int_alert__referral_overdue.sql").write_text(SCRIPTED, encoding="utf-8")
    return Settings(home=root / "home", exchange=exchange, frontdb_urls=settings.frontdb_urls), models


def _alerts(settings: Settings) -> dict[str, dict]:
    """The scripted alerts of the published build, by subject letter."""
    con = duckdb.connect(str(build.current_path(settings)), read_only=True)
    try:
        cur = con.execute("SELECT * FROM mart.alert WHERE code = 'REFERRAL_OVERDUE'")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return {r["subject_key"].removeprefix("ZB-"): r for r in rows}


def _rule_run(settings: Settings) -> dict:
    con = duckdb.connect(str(build.current_path(settings)), read_only=True)
    try:
        cur = con.execute("SELECT * FROM mart.alert_rule_run WHERE code = 'REFERRAL_OVERDUE'")
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchall()[0], strict=True))
    finally:
        con.close()


def _state(alerts: dict[str, dict]) -> dict[str, tuple]:
    return {k: (a["status"], a["first_seen"], a["last_seen"], a["resolved_on"]) for k, a in alerts.items()}


def test_lifecycle_over_nights(nights: tuple[Settings, Path]) -> None:
    settings, models = nights

    build.build(settings, N1, models_dir=models)
    first = _alerts(settings)
    assert _state(first) == {"A": ("new", N1, N1, None), "C": ("new", N1, N1, None)}
    ids = {k: a["alert_id"] for k, a in first.items()}

    build.build(settings, N2, models_dir=models)
    assert _state(_alerts(settings)) == {
        "A": ("open", N1, N2, None), "B": ("new", N2, N2, None), "C": ("resolved", N1, N1, N2)}

    build.build(settings, N3, models_dir=models)
    third = _alerts(settings)
    assert _state(third) == {
        "A": ("resolved", N1, N2, N3), "B": ("open", N2, N3, None), "C": ("new", N1, N3, None)}
    # The same subject keeps its alert_id across nights, also after being resolved and firing again.
    assert {k: third[k]["alert_id"] for k in ids} == ids
    run = _rule_run(settings)
    assert (run["new_count"], run["open_count"], run["resolved_count"], run["active_count"]) == (1, 1, 1, 2)

    # Rebuilding the same night (a rerun) gives the same state: it continues from the night before.
    build.build(settings, N3, models_dir=models)
    assert _state(_alerts(settings)) == _state(third)

    build.build(settings, N4, models_dir=models)
    assert _state(_alerts(settings)) == {
        "A": ("resolved", N1, N2, N3), "B": ("open", N2, N4, None), "C": ("resolved", N1, N3, N4)}


def test_skipped_rule_keeps_status_and_last_seen(nights: tuple[Settings, Path]) -> None:
    settings, models = nights
    for night in (N1, N2, N3, N4):
        build.build(settings, night, models_dir=models)
    before = _state(_alerts(settings))
    build.build(settings, STALE, models_dir=models)
    run = _rule_run(settings)
    assert run["evaluated"] is False and run["skip_reason"] == "stale_source"
    assert "hukou" in run["stale_sources"] and "数据源未按时更新" in run["skip_detail_zh"]
    # B fires on STALE in the script, but the rule is skipped: nothing changes, not even last_seen.
    assert _state(_alerts(settings)) == before


def test_disposition_survives_rebuilds_and_feeds_the_false_positive_rate(nights: tuple[Settings, Path]) -> None:
    settings, models = nights
    build.build(settings, N1, models_dir=models)
    first = _alerts(settings)
    dispositions.record(settings, first["A"]["alert_id"], "false_positive", "张三", "已核实，系数据延迟")
    dispositions.record(settings, first["C"]["alert_id"], "confirmed", "李四")
    for night in (N2, N2, N3):
        build.build(settings, night, models_dir=models)
        alerts = _alerts(settings)
        assert (alerts["A"]["disposition"], alerts["A"]["disposition_reviewer"]) == ("false_positive", "张三")
        assert alerts["C"]["disposition"] == "confirmed"
        assert alerts["B"]["disposition"] is None
        run = _rule_run(settings)
        assert (run["reviewed_count"], run["false_positive_count"], run["false_positive_rate"]) == (2, 1, 0.5)
    # A later verdict supersedes the earlier one.
    dispositions.record(settings, first["A"]["alert_id"], "confirmed", "王五")
    build.build(settings, N3, models_dir=models)
    assert _alerts(settings)["A"]["disposition"] == "confirmed"
    assert _rule_run(settings)["false_positive_rate"] == 0.0


def test_disposition_store_rejects_bad_input(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", exchange=tmp_path / "exchange")
    with pytest.raises(dispositions.DispositionError, match="verdict"):
        dispositions.record(settings, "abc", "maybe", "张三")
    with pytest.raises(dispositions.DispositionError, match="reviewer"):
        dispositions.record(settings, "abc", "confirmed", " ")
    assert dispositions.read(settings).num_rows == 0
    assert not dispositions.store_path(settings).exists()
