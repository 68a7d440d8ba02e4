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


def published_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The business date the open warehouse describes (meta.build_info)."""
    return con.execute("SELECT as_of FROM meta.build_info").fetchall()[0][0]
