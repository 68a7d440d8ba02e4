"""End to end through Airflow: `airflow dags test` of the nightly DAG on an empty exchange."""

from __future__ import annotations

import json
from datetime import date

import pytest

from safetynet.airflow_env import run_nightly
from safetynet.settings import SOURCES, Settings


@pytest.mark.slow
def test_nightly_run_on_empty_exchange(tmp_path):
    settings = Settings.from_env({"SAFETYNET_HOME": str(tmp_path / "home")})
    (settings.landing).mkdir(parents=True)
    result = run_nightly(settings, date(2026, 5, 27))
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-3000:]
    assert result.summary_written
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    assert summary["business_date"] == "2026-05-27"
    assert list(summary["sources"]) == list(SOURCES)
