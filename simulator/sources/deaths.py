"""Source `deaths`: the daily incremental SWZM_<F>.csv of certificate records entered on F - 1.

Grain: one row per certificate version (world table `death_certificates`, simulator/domains/vital.py)
whose `file_date` is F. Files for every folder F whose business date F - 1 lies between
`cfg.deaths_history_start` and as-of; a day without records gives a header-only file. UTF-8 without
BOM, LF, minimal quoting (常住地址 may hold an ASCII comma). Delivery fates (simulator.schedule): an
incremental delivery is never missing; a re-delivered day writes an original lacking one record
plus `_R1` with all of them, a broken day a truncated original plus `_R1`.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from simulator import deliver
from simulator.calendar import date_range
from simulator.schedule import delivery_fate
from simulator.world import World

SOURCE = "deaths"
COLUMNS = ("死亡证编号", "死者姓名", "证件类别", "证件号码", "性别", "出生日期", "死亡日期", "死亡地点类别",
           "常住地址", "签发日期")


def render(certs: pd.DataFrame) -> pd.DataFrame:
    """Certificate versions as SWZM text columns (dates formatted, nulls as None)."""
    out = certs.loc[:, list(COLUMNS)].copy()
    out["出生日期"] = certs["出生日期"].dt.strftime("%Y-%m-%d")
    out["死亡日期"] = certs["死亡日期"].dt.strftime("%Y-%m-%d %H:%M")
    out["签发日期"] = certs["签发日期"].dt.strftime("%Y-%m-%d")
    out["证件号码"] = certs["证件号码"].astype(object).where(certs["证件号码"].notna(), None)
    return out.astype(object).reset_index(drop=True)


def _write(path: Path, df: pd.DataFrame) -> int:
    return deliver.write_csv(path, df, encoding="utf-8", bom=False, quoting="minimal", line_ending="\n")


def write_delivery(world: World, folder_day: date, rows: pd.DataFrame) -> list[Path]:
    """One folder's SWZM delivery (rendered rows) with its fate; returns the data files written."""
    key = f"{folder_day:%Y%m%d}"
    if rows["死亡证编号"].duplicated().any():
        raise AssertionError(f"SWZM_{key}: a 死亡证编号 occurs twice")
    folder = world.cfg.out / "landing" / SOURCE / key
    name = f"SWZM_{key}.csv"
    original = folder / name
    fate = delivery_fate(world, SOURCE, key)
    if fate.broken:
        deliver.write_broken_marker(original, _write(original, rows), "truncated")
    elif fate.redelivered:
        short = rows.iloc[:-1] if len(rows) else rows  # the first run missed the last record
        deliver.write_marker(original, _write(original, short))
    else:
        deliver.write_marker(original, _write(original, rows))
        return [original]
    again = folder / deliver.redelivery_name(name, 1)
    deliver.write_marker(again, _write(again, rows))
    return [original, again]


def write(world: World) -> None:
    """SWZM files for every business date from `cfg.deaths_history_start` to as-of (folder = date + 1)."""
    cfg = world.cfg
    certs = world.tables["death_certificates"]
    first = cfg.deaths_history_start + timedelta(days=1)
    file_day = certs["file_date"].dt.date
    window = (file_day >= first) & (file_day <= cfg.last_folder_date)
    text = render(certs[window])
    by_file = {k: g.reset_index(drop=True) for k, g in text.groupby(file_day[window].to_numpy(), sort=False)}
    empty = text.iloc[:0]
    for folder_day in date_range(first, cfg.last_folder_date):
        write_delivery(world, folder_day, by_file.get(folder_day, empty))
