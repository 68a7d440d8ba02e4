"""`safetynet run --as-of D` prints the per-source summary of the run (Airflow replaced by a stub that
writes what the DAG's tasks write: per-source ingest summaries, then runs/<D>/summary.json)."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetynet import airflow_env, runsummary
from safetynet.airflow_env import NightlyRun
from safetynet.cli import app
from safetynet.settings import SOURCES, Settings

D = date(2026, 5, 27)
ID = "370481198503121235"


def source_summary(source: str, **counts) -> dict:
    """A per-source JSON as connectors.ingest.ingest_task writes it."""
    base = {"source": source, "business_date": D.isoformat(), "deliveries": [], "deliveries_found": 0,
            "rows_delivered": 0, "rows_accepted": 0, "rows_quarantined": 0, "checks_failed": 0,
            "rejected": [], "problems": []}
    return base | counts


SUMMARIES = {
    "hukou": source_summary("hukou", deliveries_found=1, rows_delivered=1000, rows_accepted=990,
                            rows_quarantined=10, checks_failed=3),
    "deaths": source_summary("deaths", deliveries_found=1, rows_delivered=7, rows_quarantined=7,
                             rejected=["SWZM_20260528"],
                             problems=[f"SWZM_20260528: SWZM_20260528.csv row 3 field 证件号码: bad {ID}"]),
}


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    return {"SAFETYNET_HOME": str(tmp_path / "home"), "SAFETYNET_DEBUG": "", "COLUMNS": "160"}


def fake_run(failed: tuple[str, ...]):
    def run_nightly(settings: Settings, day: date) -> NightlyRun:
        paths = {}
        for source in SOURCES:
            if source in failed:
                paths[source] = None
                continue
            path = settings.runs_dir / day.isoformat() / "ingest" / f"{source}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(SUMMARIES.get(source, source_summary(source))), encoding="utf-8")
            paths[source] = str(path)
        with contextlib.suppress(runsummary.IncompleteRunError):    # the DAG's last task raises it too
            runsummary.write_run_summary(settings, day, paths)
        target = runsummary.summary_path(settings, day)
        return NightlyRun(day, 1 if failed else 0, target.parent / "airflow.log", target, True)

    return run_nightly


def table_line(output: str, source: str) -> list[str]:
    (line,) = [x for x in output.splitlines() if x.startswith("│") and f" {source} " in x]
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_run_prints_every_source_with_counts_and_status(env, monkeypatch) -> None:
    monkeypatch.setattr(airflow_env, "run_nightly", fake_run(()))
    result = CliRunner().invoke(app, ["run", "--as-of", D.isoformat()], env=env)
    assert result.exit_code == 0, result.output
    for source in SOURCES:
        assert table_line(result.stdout, source)[0] == source
    # source, deliveries, delivered, accepted, quarantined, checks failed, problems, status
    assert table_line(result.stdout, "hukou") == ["hukou", "1", "1000", "990", "10", "3", "0", "部分隔离"]
    assert table_line(result.stdout, "deaths") == ["deaths", "1", "7", "0", "7", "0", "1", "有拒收"]
    assert table_line(result.stdout, "vehicles") == ["vehicles", "0", "0", "0", "0", "0", "0", "成功"]
    # The problem is shown in full, masked.
    assert "deaths: SWZM_20260528: SWZM_20260528.csv row 3 field 证件号码" in result.stdout
    assert ID not in result.output and "370481********1235" in result.stdout


def test_run_with_a_failed_source_prints_the_table_then_fails(env, monkeypatch) -> None:
    monkeypatch.setattr(airflow_env, "run_nightly", fake_run(("cremation",)))
    result = CliRunner().invoke(app, ["run", "--as-of", D.isoformat()], env=env)
    assert result.exit_code == 1
    assert table_line(result.stdout, "cremation") == ["cremation", "-", "-", "-", "-", "-", "-", "失败"]
    assert "cremation: 任务失败" in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "夜间批处理失败" in result.stderr
