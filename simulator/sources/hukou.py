"""Source `hukou`: the daily full snapshot HJRK_<D+1>.csv of the register at the end of business date D.

Grain: one row per (person, 户号) registration (`people.hukou_state`). GB18030, CRLF, minimal quoting.
Quirks rendered here: sex_mismatch (a fixed set of persons, so it is stable from day to day) and the
delivery fates of README section 4 (`simulator.schedule`): a missing day writes nothing; a
re-delivered day writes an original a few rows short plus `_R1`; a broken day writes the original
with a truncated transfer (marker of the full file) plus `_R1`. Everything else (late death and birth
registration, duplicate, headless and collective households, null 婚姻状况/文化程度, rare
characters) comes from the core tables.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator import deliver
from simulator.people import hukou_state
from simulator.schedule import delivery_fate
from simulator.world import World

SOURCE = "hukou"
COLUMNS = ("公民身份号码", "姓名", "性别", "民族", "出生日期", "户号", "与户主关系", "户籍地址", "乡镇街道",
           "村居委会", "人员状态", "状态变动日期", "婚姻状况", "文化程度")
SEX_MISMATCH = 0.0001
#: Share of rows an original (later re-delivered) snapshot lacks.
REDELIVERY_SHORT = 0.001
#: pandas' default text dtype (Arrow-backed, NaN for null): columns stay in Arrow from core to file.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def _yyyymmdd(values: np.ndarray) -> pd.Series:
    """datetime64 → 'YYYYMMDD' text (null for NaT), vectorised in Arrow (no Python object per row)."""
    days = np.asarray(values, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = pa.array(year * 10000 + month * 100 + day, mask=np.isnat(days)).cast(pa.string())
    return pd.Series(pd.array(ymd, dtype=TEXT))


def person_columns(world: World) -> pd.DataFrame:
    """Per-person text columns as registered (row = pid), with the sex_mismatch quirk applied."""
    p = world.people.reset_index(drop=True)
    if not (p["pid"].to_numpy() == np.arange(len(p))).all():
        raise ValueError("people.pid must equal the row position")
    flip = (world.rng("hukou:sex-mismatch").random(len(p)) < SEX_MISMATCH) & (p["planted"] == "").to_numpy()
    swapped = pd.Series(np.where(p["sex"] == "男", "女", "男"), index=p.index)
    sex = p["sex"].where(~flip, swapped)
    return pd.DataFrame({
        "公民身份号码": p["id_number"],
        "姓名": p["name"],
        "性别": sex,
        "民族": p["ethnicity"],
        "出生日期": _yyyymmdd(p["birth_date"].to_numpy()),
        "与户主关系": p["rel"],
        "婚姻状况": p["marital"],
        "文化程度": p["education"],
    }).astype(TEXT)


def snapshot(world: World, day: date, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """The HJRK rows describing the register at the end of `day`, in file order (户号, then person)."""
    persons = person_columns(world) if persons is None else persons
    state = hukou_state(world.people, world.households, day)
    state = state.sort_values(["hukou_no", "pid"], kind="stable", ignore_index=True)
    # Arrow-backed string columns: positional take, no Python objects per row.
    person = persons.iloc[state["pid"].to_numpy()].reset_index(drop=True)
    registration = pd.DataFrame({
        "户号": state["hukou_no"],
        "户籍地址": state["address"],
        "乡镇街道": state["town"],
        "村居委会": state["village"],
        "人员状态": state["status"].astype(TEXT),
        "状态变动日期": _yyyymmdd(state["status_date"].to_numpy()),
    })
    return pd.concat([person, registration], axis=1).loc[:, list(COLUMNS)]


def _write(path: Path, df: pd.DataFrame) -> int:
    return deliver.write_csv(path, df, encoding="gb18030", bom=False, quoting="minimal", line_ending="\r\n")


def write_delivery(world: World, folder_day: date, df: pd.DataFrame) -> list[Path]:
    """One folder's delivery of `df` with its fate; returns the data files written (none if missing)."""
    key = f"{folder_day:%Y%m%d}"
    fate = delivery_fate(world, SOURCE, key, can_be_missing=True)
    if fate.missing:
        return []
    folder = world.cfg.out / "landing" / SOURCE / key
    name = f"HJRK_{key}.csv"
    original = folder / name
    if fate.broken:
        rows = _write(original, df)
        deliver.write_broken_marker(original, rows, "truncated")
    elif fate.redelivered:
        rng = world.rng(f"hukou:redelivery:{key}")
        lost = rng.choice(len(df), size=min(len(df), max(1, round(len(df) * REDELIVERY_SHORT))), replace=False)
        short = df.drop(index=df.index[lost])
        deliver.write_marker(original, _write(original, short))
    else:
        deliver.write_marker(original, _write(original, df))
        return [original]
    again = folder / deliver.redelivery_name(name, 1)
    deliver.write_marker(again, _write(again, df))
    return [original, again]


def write(world: World) -> None:
    """HJRK files for every business date D of the window (folder D + 1)."""
    persons = person_columns(world)
    for day in world.cfg.business_dates:
        write_delivery(world, day + timedelta(days=1), snapshot(world, day, persons))
