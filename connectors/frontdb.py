"""Read-only connections to the SQL front databases (sources/README.md section 9).

The pipeline never writes under landing/: a SQLite front-DB file is opened read-only (mode=ro) and never
created; other engines use the read-only account the URL names.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


class FrontDbMissing(RuntimeError):
    """The configured front database does not exist (SQLite file missing)."""


def engine(url: str) -> sa.Engine:
    """An engine for the URL; SQLite files opened read-only, missing files refused."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if db and db != ":memory:" and not Path(db).is_file():
            raise FrontDbMissing(f"front database file does not exist: {db}")
        uri = f"{Path(db).resolve().as_uri()}?mode=ro" if db and db != ":memory:" else ":memory:"
        return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=uri != ":memory:"))
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    return sa.create_engine(parsed, connect_args=connect_args)
