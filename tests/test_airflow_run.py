"""End to end through Airflow: `airflow dags test` of the nightly DAG on an empty exchange.

With no front databases the four SQL sources cannot be read: their tasks fail (after retries), every file
source's task succeeds with nothing to ingest, the warehouse is still built and published, and the run
summary records the failures and fails the run - a failed source never hides and never stops the others.
The anomaly report is written after the build.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from safetynet.airflow_env import run_nightly
from safetynet.settings import SOURCES, SQL_SOURCES, Settings


@pytest.mark.slow
def test_nightly_run_on_empty_exchange(tmp_path):
    settings = Settings.from_env({"SAFETYNET_HOME": str(tmp_path / "home")})
    (settings.landing).mkdir(parents=True)
    result = run_nightly(settings, date(2026, 5, 27))
    assert not result.ok
    assert result.summary_written, result.log_path.read_text(encoding="utf-8")[-3000:]
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    assert summary["business_date"] == "2026-05-27"
    assert list(summary["sources"]) == list(SOURCES)
    assert sorted(summary["failed_sources"]) == sorted(SQL_SOURCES)
    assert all(summary["sources"][s]["status"] == "ok" for s in SOURCES if s not in SQL_SOURCES)
    assert settings.warehouse_dir.joinpath("current.duckdb").is_file()
    # The DAG wrote the monitors' anomaly report after the build; with no data at all, every rule is
    # skipped (its sources are stale) and the report says so.
    report = settings.reports_dir / "2026-05-27" / "anomalies.html"
    assert report.is_file(), result.log_path.read_text(encoding="utf-8")[-3000:]
    html = report.read_text(encoding="utf-8")
    assert "数据源未按时更新" in html
