"""Where published builds keep per-night snapshots of some marts, outside the rebuilt build files.

Grain: one Parquet file per (table, published build date): `$SAFETYNET_HOME/warehouse/history/<table>/
as_of=<D>.parquet`, holding that night's rows of `mart.<table>` (each row carries `as_of` = D). A build
writes `.<build_id>.parquet.pending` and renames it into place only once it is published (warehouse/build.py),
so the store holds published nights only; rebuilding a date replaces that date's file.

Why: `mart.household_profile` history makes a report reproducible as of the day it was printed; the alert
snapshots carry the alert lifecycle from one night to the next (the previous night's `mart.alert` is an
input of the next build, `raw.pipeline__alert_state`) and give the monitors' trend over previous nights.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from safetynet.settings import Settings

#: The marts whose every published night is kept.
TABLES: tuple[str, ...] = ("household_profile", "alert", "alert_rule_run")
PREFIX = "as_of="

#: The columns of mart.alert that the next night's lifecycle reads (stg.pipeline__alert_state); the
#: type of raw.pipeline__alert_state when no earlier night exists.
ALERT_STATE_SCHEMA = pa.schema([
    pa.field("alert_id", pa.string()),
    pa.field("code", pa.string()),
    pa.field("household_id", pa.string()),
    pa.field("id_number", pa.string()),
    pa.field("subject_key", pa.string()),
    pa.field("town", pa.string()),
    pa.field("first_seen", pa.date32()),
    pa.field("last_seen", pa.date32()),
    pa.field("resolved_on", pa.date32()),
    pa.field("status", pa.string()),
    pa.field("evidence", pa.string()),
    pa.field("as_of", pa.date32()),
])


def root(settings: Settings) -> Path:
    return settings.warehouse_dir / "history"


def folder(settings: Settings, table: str) -> Path:
    return root(settings) / table


def snapshot(settings: Settings, table: str, as_of: date) -> Path:
    """The published snapshot file of `table` for night `as_of` (it may not exist)."""
    return folder(settings, table) / f"{PREFIX}{as_of.isoformat()}.parquet"


def pending(settings: Settings, table: str, build_id: str) -> Path:
    return folder(settings, table) / f".{build_id}.parquet.pending"


def dates(settings: Settings, table: str) -> list[date]:
    """The nights with a published snapshot of `table`, oldest first."""
    where = folder(settings, table)
    if not where.is_dir():
        return []
    found = []
    for path in where.glob(f"{PREFIX}*.parquet"):
        try:
            found.append(date.fromisoformat(path.stem.removeprefix(PREFIX)))
        except ValueError:
            continue
    return sorted(found)


def previous(settings: Settings, table: str, as_of: date) -> Path | None:
    """The snapshot of the latest night before `as_of`, if any (a backfill reads the night before it)."""
    earlier = [d for d in dates(settings, table) if d < as_of]
    return snapshot(settings, table, earlier[-1]) if earlier else None
