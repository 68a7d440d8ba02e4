"""The quarantine store: every delivered row that was not accepted, with why.

Layout: `$SAFETYNET_HOME/quarantine/<source>/business_date=<YYYY-MM-DD>/<delivery>.parquet`; grain: one row
per (delivered row, issue) — a row with two failed checks has two quarantine rows but counts once as
quarantined. Values are masked before they are written (no full ID number ever lands here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa

from connectors.base import RowIssue
from safetynet.settings import Settings
from warehouse.raw import write_parquet_atomic

SCHEMA = pa.schema([
    ("source", pa.string()), ("delivery", pa.string()), ("business_date", pa.date32()),
    ("file", pa.string()), ("row", pa.int64()), ("field", pa.string()), ("rule", pa.string()),
    ("value", pa.string()), ("message", pa.string()),
])


def path_for(settings: Settings, source: str, business_date: date, delivery: str) -> Path:
    return settings.quarantine_dir / source / f"business_date={business_date.isoformat()}" / f"{delivery}.parquet"


def write(settings: Settings, source: str, business_date: date, delivery: str,
          issues: Sequence[RowIssue]) -> Path:
    """Write the (masked) issues of one delivery version; written once like the raw store."""
    path = path_for(settings, source, business_date, delivery)
    if path.is_file():
        return path
    masked = [i.masked() for i in issues]
    table = pa.table({
        "source": [source] * len(masked), "delivery": [delivery] * len(masked),
        "business_date": [business_date] * len(masked), "file": [i.file for i in masked],
        "row": [i.row for i in masked], "field": [i.field for i in masked], "rule": [i.rule for i in masked],
        "value": [i.value for i in masked], "message": [i.message for i in masked],
    }, schema=SCHEMA)
    write_parquet_atomic(path, table)
    return path
