"""Calendar of the nightly run (sources/README.md sections 5 and 6), shared by the DAG and the CLI.

The nightly run for business date D starts on D+1 at 06:45 Asia/Shanghai, once the night deliveries
are complete; its logical date is that moment.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pendulum

DAG_ID = "safetynet_nightly"
TIMEZONE = "Asia/Shanghai"
#: Local start time of the nightly run (cron "45 6 * * *" in TIMEZONE).
RUN_TIME = time(6, 45)
CRON = f"{RUN_TIME.minute} {RUN_TIME.hour} * * *"

_TZ = pendulum.timezone(TIMEZONE)
_FOLDER = re.compile(r"^\d{8}$")


def parse_date(value: str | date) -> date:
    """A business date given as YYYY-MM-DD (or already a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from None


def logical_date_for(business_date: date) -> datetime:
    """The logical date of the scheduled run that processes `business_date`: D+1 06:45 Asia/Shanghai."""
    return datetime.combine(business_date + timedelta(days=1), RUN_TIME, tzinfo=_TZ)


def business_date_of(moment: datetime) -> date:
    """Business date processed by a run started at `moment`: its calendar day in Asia/Shanghai, minus 1."""
    return pendulum.instance(moment).in_timezone(TIMEZONE).date() - timedelta(days=1)


def business_date_for(dag_run: Any, as_of: str | None) -> str:
    """Business date (YYYY-MM-DD) of a DAG run: the `as_of` param when given, else from the run's date.

    Manual runs in Airflow 3 may have no logical date; `run_after` (when the run was due) stands in.
    """
    if as_of:
        return parse_date(as_of).isoformat()
    moment = getattr(dag_run, "logical_date", None) or dag_run.run_after
    return business_date_of(moment).isoformat()


def latest_complete_business_date(landing: Path) -> date | None:
    """Latest D whose hukou delivery (folder D+1, `HJRK_<D+1>[_R<n>].csv` with its `.ok`) is complete."""
    folders = sorted(
        (p for p in (Path(landing) / "hukou").glob("*") if p.is_dir() and _FOLDER.match(p.name)),
        reverse=True,
    )
    for folder in folders:
        pattern = re.compile(rf"^HJRK_{folder.name}(_R\d+)?\.csv$")
        if any(pattern.match(f.name) and f.with_suffix(".ok").is_file() for f in folder.iterdir()):
            return datetime.strptime(folder.name, "%Y%m%d").date() - timedelta(days=1)
    return None
