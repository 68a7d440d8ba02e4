"""Source `cremation`: the front-database table t_hhdj as it stands after the last push (as-of + 1).

Grain: one row per registration (world table `cremations`, simulator/domains/vital.py), since
2018-01-01. The push in the night of N carries every change made up to 24:00 of N - 1, except
changes of day N - 1 hit by quirk late_push, which come with the next push (their 更新时间 unchanged).
A night without a push (simulator.schedule.push_skipped) leaves the state of the push before.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulator import deliver
from simulator.schedule import last_push_night
from simulator.world import World

SOURCE = "cremation"
TABLE = "t_hhdj"
DDL = deliver.TableDDL(columns=(
    deliver.ColumnDDL("登记编号", "VARCHAR(20)", nullable=False),
    deliver.ColumnDDL("逝者姓名", "VARCHAR(50)", nullable=False),
    deliver.ColumnDDL("逝者身份证号", "VARCHAR(32)", nullable=True),
    deliver.ColumnDDL("死亡日期", "DATE", nullable=False),
    deliver.ColumnDDL("火化日期", "DATE", nullable=False),
    deliver.ColumnDDL("殡仪馆", "VARCHAR(100)", nullable=False),
    deliver.ColumnDDL("更新时间", "TIMESTAMP(0)", nullable=False),
    deliver.ColumnDDL("删除标志", "CHAR(1)", nullable=False),
), key=("登记编号",))


def _visible(when: pd.Series, late: pd.Series, last_day: date) -> np.ndarray:
    """Changes carried by the pushes up to the one in the night after `last_day`."""
    day = when.dt.normalize()
    last = pd.Timestamp(last_day)
    return (when.notna() & ((day < last) | ((day == last) & ~late))).to_numpy()


def state_after_push(rows: pd.DataFrame, night: date) -> pd.DataFrame:
    """t_hhdj after the push in the night of `night` (changes of day night - 1 at the latest)."""
    last_day = night - timedelta(days=1)
    inserted = _visible(rows["created_at"], rows["insert_late"], last_day)
    r = rows[inserted]
    corrected = _visible(r["corrected_at"], r["correct_late"], last_day)
    deleted = _visible(r["deleted_at"], r["delete_late"], last_day)
    updated = r["created_at"].where(~corrected, r["corrected_at"])
    updated = updated.where(~deleted, np.maximum(updated, r["deleted_at"]))
    ids = r["逝者身份证号"].where(corrected, r["orig_逝者身份证号"])
    return pd.DataFrame({
        "登记编号": r["登记编号"].astype(object),
        "逝者姓名": r["逝者姓名"].astype(object),
        "逝者身份证号": ids.astype(object).where(ids.notna(), None),
        "死亡日期": r["死亡日期"].where(corrected, r["orig_死亡日期"]),
        "火化日期": r["火化日期"],
        "殡仪馆": r["殡仪馆"].astype(object),
        "更新时间": updated,
        "删除标志": np.where(deleted, "1", "0").astype(object),
    }).sort_values("登记编号", ignore_index=True)


def write(world: World) -> None:
    table = state_after_push(world.tables["cremations"], last_push_night(world, SOURCE))
    deliver.write_sql_tables(world.cfg.frontdb_url(SOURCE), {TABLE: (DDL, table)}, replace=True)
