"""Monitors' dispositions of alerts, kept outside the rebuilt warehouse so that they survive every rebuild.

Grain: one row per recorded disposition (append-only; a later row for the same alert_id supersedes the
earlier one, which stays as its history) in the SQLite file `$SAFETYNET_HOME/state/alert_dispositions.sqlite`:
`alert_id`, `verdict` (`confirmed` / `false_positive`), `reviewer`, `note`, `recorded_at` (UTC, ISO 8601).

SQLite, not DuckDB: a monitor records a disposition while the nightly build may be running, and SQLite lets
both proceed (the build only reads, through `read`, into `raw.pipeline__alert_disposition`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from safetynet.settings import Settings

VERDICTS: tuple[str, ...] = ("confirmed", "false_positive")
#: How the verdicts read for the center's staff.
VERDICT_ZH: dict[str, str] = {"confirmed": "属实", "false_positive": "误报"}

ARROW_SCHEMA = pa.schema([
    pa.field("alert_id", pa.string()),
    pa.field("verdict", pa.string()),
    pa.field("reviewer", pa.string()),
    pa.field("note", pa.string()),
    pa.field("recorded_at", pa.timestamp("us")),
])

_DDL = """
CREATE TABLE IF NOT EXISTS disposition (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'false_positive')),
    reviewer TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
)
"""


class DispositionError(ValueError):
    """A disposition cannot be recorded (the message says why)."""


@dataclass(frozen=True)
class Disposition:
    alert_id: str
    verdict: str
    reviewer: str
    note: str
    recorded_at: datetime


def store_path(settings: Settings) -> Path:
    return settings.state_dir / "alert_dispositions.sqlite"


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute(_DDL)
        yield con
        con.commit()
    finally:
        con.close()


def record(settings: Settings, alert_id: str, verdict: str, reviewer: str, note: str = "",
           at: datetime | None = None) -> Disposition:
    """Append one disposition; DispositionError on an unknown verdict or an empty reviewer/alert id."""
    if verdict not in VERDICTS:
        raise DispositionError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    if not alert_id.strip() or not reviewer.strip():
        raise DispositionError("an alert id and a reviewer are required")
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    row = Disposition(alert_id.strip(), verdict, reviewer.strip(), note.strip(), when)
    with _connect(store_path(settings)) as con:
        con.execute("INSERT INTO disposition (alert_id, verdict, reviewer, note, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (row.alert_id, row.verdict, row.reviewer, row.note, when.isoformat(timespec="microseconds")))
    return row


def read(settings: Settings) -> pa.Table:
    """Every recorded disposition, oldest first, as the typed table `raw.pipeline__alert_disposition` holds
    (empty when nothing was ever recorded; the store file is not created by reading)."""
    path = store_path(settings)
    if not path.exists():
        return ARROW_SCHEMA.empty_table()
    with _connect(path) as con:
        rows = con.execute("SELECT alert_id, verdict, reviewer, note, recorded_at FROM disposition "
                           "ORDER BY recorded_at, seq").fetchall()
    return pa.table({
        "alert_id": pa.array([r[0] for r in rows], pa.string()),
        "verdict": pa.array([r[1] for r in rows], pa.string()),
        "reviewer": pa.array([r[2] for r in rows], pa.string()),
        "note": pa.array([r[3] for r in rows], pa.string()),
        "recorded_at": pa.array([datetime.fromisoformat(r[4]) for r in rows], pa.timestamp("us")),
    }, schema=ARROW_SCHEMA)
