"""Business dates of the nightly run (sources/README.md section 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from safetynet import nightly


def test_logical_date_is_next_morning_in_shanghai():
    moment = nightly.logical_date_for(date(2026, 5, 27))
    assert moment.isoformat() == "2026-05-28T06:45:00+08:00"
    assert nightly.business_date_of(moment) == date(2026, 5, 27)


def test_business_date_uses_shanghai_day():
    # 22:45 UTC on the 27th is 06:45 on the 28th in Shanghai: business date is the 27th.
    assert nightly.business_date_of(datetime(2026, 5, 27, 22, 45, tzinfo=UTC)) == date(2026, 5, 27)
    assert nightly.business_date_of(datetime(2026, 5, 27, 15, 59, tzinfo=UTC)) == date(2026, 5, 26)


def test_business_date_for_dag_run():
    run = SimpleNamespace(logical_date=datetime(2026, 5, 27, 22, 45, tzinfo=UTC), run_after=None)
    assert nightly.business_date_for(run, None) == "2026-05-27"
    assert nightly.business_date_for(run, "2026-01-02") == "2026-01-02"
    manual = SimpleNamespace(logical_date=None, run_after=datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    assert nightly.business_date_for(manual, None) == "2026-05-31"
    with pytest.raises(ValueError):
        nightly.business_date_for(run, "27.05.2026")


def test_latest_complete_business_date(tmp_path):
    landing = tmp_path / "landing"
    assert nightly.latest_complete_business_date(landing) is None
    for folder, files in {
        "20260527": ["HJRK_20260527.csv", "HJRK_20260527.ok"],
        "20260528": ["HJRK_20260528.csv", "HJRK_20260528_R1.csv", "HJRK_20260528_R1.ok"],
        "20260529": ["HJRK_20260529.csv"],  # no marker yet: still being written
    }.items():
        (landing / "hukou" / folder).mkdir(parents=True)
        for name in files:
            (landing / "hukou" / folder / name).write_text("")
    assert nightly.latest_complete_business_date(landing) == date(2026, 5, 27)
