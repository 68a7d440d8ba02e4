"""Read-only access to the published warehouse, for the command line and the reports.

Grain: one connection per caller to `$SAFETYNET_HOME/warehouse/current.duckdb`, always read-only: the
file is replaced atomically by each build (warehouse/build.py) and never written in place, so any number
of readers can use it while the next build runs. A reader keeps the build it opened until it reconnects.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from safetynet.settings import Settings

#: The published warehouse, relative to settings.warehouse_dir (interfaces.md section 3).
CURRENT = "current.duckdb"


def current_path(settings: Settings) -> Path:
    return settings.warehouse_dir / CURRENT


class WarehouseUnavailable(RuntimeError):
    """The published warehouse cannot be opened (messages in Chinese: they are shown to users)."""


class WarehouseNotPublished(WarehouseUnavailable):
    """No warehouse has been published yet."""


def connect_current(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to current.duckdb; WarehouseNotPublished when there is none,
    WarehouseUnavailable when it cannot be opened."""
    path = current_path(settings)
    if not path.is_file():
        raise WarehouseNotPublished(
            f"尚未发布数据仓库（未找到 {path}）。请先运行 `safetynet run` 完成一次夜间处理后再查询。")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(f"无法以只读方式打开数据仓库 {path}：{exc}") from exc


#: ART indexes on the keys the window look-ups (warehouse.lookup) filter on, created in every build (a point
#: look-up then reads one key's rows instead of scanning the table: the profile p95 target is 5 ms at
#: full-city scale, benchmarks/warehouse_full.py). Indexes are not part of the content hash.
LOOKUP_INDEXES: tuple[tuple[str, str], ...] = (
    ("household_member", "id_number"),
    ("household_member", "household_id"),
    ("household", "household_id"),
    ("household_profile", "household_id"),
    ("eligibility", "household_id"),
    ("person", "id_number"),
    ("person", "household_id"),
    ("alert", "household_id"),
    ("profile_lookup", "household_id"),
)


def create_lookup_indexes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create LOOKUP_INDEXES on the mart tables of a build being written (those present); their names."""
    present = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'mart'").fetchall()}
    made = []
    for table, column in LOOKUP_INDEXES:
        if (table, column) in present:
            name = f"lookup_{table}_{column}"
            con.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON mart."{table}" ("{column}")')
            made.append(name)
    return made


def published_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The business date the open warehouse describes (meta.build_info)."""
    return con.execute("SELECT as_of FROM meta.build_info").fetchall()[0][0]
