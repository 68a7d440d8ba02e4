"""The combined run summary written by the last task of the nightly DAG."""

from __future__ import annotations

import json

import pytest

from safetynet import runsummary
from safetynet.settings import SOURCES, Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"SAFETYNET_HOME": str(tmp_path / "home")})


def _source_file(tmp_path, source, content):
    path = tmp_path / f"{source}.json"
    path.write_text(json.dumps(content))
    return str(path)


def test_write_and_read(settings, tmp_path):
    paths = {s: _source_file(tmp_path, s, {"deliveries_found": 1, "rows_delivered": 3, "problems": ["x", "y"]}) for s in SOURCES}
    written = runsummary.write_run_summary(settings, "2026-05-27", paths)
    assert written == str(settings.home / "runs" / "2026-05-27" / "summary.json")
    summary = runsummary.read_run_summary(settings, "2026-05-27")
    assert summary["status"] == "ok" and list(summary["sources"]) == list(SOURCES)
    row = runsummary.table_rows(summary)[0]
    assert row == {
        "source": "hukou", "status": "ok", "deliveries_found": 1, "rows_delivered": 3, "rows_accepted": None,
        "rows_quarantined": None, "checks_failed": None, "problems": 2,
    }


def test_failed_sources_are_recorded_then_raise(settings, tmp_path):
    paths = [_source_file(tmp_path, s, {}) for s in SOURCES]
    paths[3] = None
    with pytest.raises(runsummary.IncompleteRunError, match=SOURCES[3]):
        runsummary.write_run_summary(settings, "2026-05-27", paths)
    summary = runsummary.read_run_summary(settings, "2026-05-27")
    assert summary["failed_sources"] == [SOURCES[3]]
    assert summary["sources"][SOURCES[3]]["status"] == "failed"
