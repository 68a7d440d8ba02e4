"""Source `education`: the monthly pair XJ_YYYYMM.csv (学籍 full snapshot) + ZZ_YYYYMM.csv (aid paid in
the month, incremental), delivered on the 10th of the next month (automated, holidays included).

Grain: XJ one row per 全国学籍号 at the end of month YYYYMM; ZZ one row per aid payment sent in that
month's file. Rendered from the education world tables `students` (`education.state_on`) and
`student_aid` (rows whose `file_month` is the month; a correction's later file repeats the key with
the corrected amount and the original 发放日期). UTF-8 with BOM, CRLF, minimal quoting, both markers.
Folder = the 10th of the next month (a night delivery: business date = folder - 1); the 13 months of
history and the window. Delivery fates (README section 4, one per month for the pair): a re-delivered
month writes originals (XJ a few rows short) and `_R1` of both files the next day; a broken one a
truncated XJ transfer, then `_R1` of both two days later. All quirks come from the world tables.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import deliver, schedule
from simulator.domains import education as edu
from simulator.domains.health import money_text
from simulator.world import World

SOURCE = "education"
XJ_COLUMNS = ("全国学籍号", "身份证号", "姓名", "学段", "学校名称", "年级", "学籍状态")
ZZ_COLUMNS = ("身份证号", "姓名", "资助项目", "资助金额", "学年", "学期", "发放日期")
DELIVERY_DAY = 10
#: Share of (background) rows an original, later re-delivered XJ lacks.
REDELIVERY_SHORT = 0.002


def xj_snapshot(world: World, month: str) -> pd.DataFrame:
    """XJ rows at the end of month 'YYYYMM' (sorted by 全国学籍号), with the `stu` and `planted` of each row."""
    st = world.tables["students"]
    inside, status, k = edu.state_on(st, cal.month_end(month))
    st = st[inside]
    status, k = status[inside], k[inside]
    stage, grade = edu.stage_grade(k, st["track"].to_numpy())
    ids = st["id_number"].to_numpy(dtype=object).copy()
    ids[st["temp_number"].to_numpy(dtype=bool)] = None
    df = pd.DataFrame({
        "全国学籍号": st["xj_no"].to_numpy(dtype=object), "身份证号": ids, "姓名": st["name"].to_numpy(dtype=object),
        "学段": stage, "学校名称": edu.school_of(st, stage), "年级": grade,
        "学籍状态": np.array(edu.STATUSES, dtype=object)[status],
        "stu": st["stu"].to_numpy(), "planted": st["planted"].to_numpy(dtype=object),
    })
    return df.sort_values("全国学籍号", kind="stable", ignore_index=True)


def zz_rows(world: World, month: str) -> pd.DataFrame:
    """ZZ rows of the file for month 'YYYYMM' (contract columns + `planted`)."""
    a = world.tables["student_aid"]
    a = a[(a["file_month"] == month).to_numpy()]
    return pd.DataFrame({
        "身份证号": a["id_number"].to_numpy(dtype=object), "姓名": a["name"].to_numpy(dtype=object),
        "资助项目": a["资助项目"].to_numpy(dtype=object), "资助金额": money_text(a["amount"].to_numpy()),
        "学年": a["学年"].to_numpy(dtype=object), "学期": a["学期"].to_numpy(dtype=object),
        "发放日期": a["pay_date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "planted": a["planted"].to_numpy(dtype=object),
    })


def months_delivered(world: World) -> list[tuple[str, date]]:
    """(month described 'YYYYMM', folder date) of every delivery whose business date is in the history or window."""
    cfg = world.cfg
    out = []
    month = cal.month_add(cal.yyyymm(cfg.monthly_history_start), -1)
    while True:
        nxt = cal.month_add(month, 1)
        folder = cal.monthly_delivery_date(int(nxt[:4]), int(nxt[4:]), DELIVERY_DAY, holidays_included=True)
        business = folder - timedelta(days=1)
        if business > cfg.as_of:
            return out
        if business >= cfg.monthly_history_start:
            out.append((month, folder))
        month = nxt


def _write(world: World, folder: date, name: str, df: pd.DataFrame, broken: bool = False) -> Path:
    path = world.cfg.out / "landing" / SOURCE / f"{folder:%Y%m%d}" / name
    data = df.drop(columns=[c for c in ("stu", "planted") if c in df.columns])
    rows = deliver.write_csv(path, data, encoding="utf-8", bom=True, quoting="minimal", line_ending="\r\n")
    if broken:
        kind = ("rows", "sha256", "truncated")[int(world.rng(f"education:broken:{name}").integers(3))]
        deliver.write_broken_marker(path, rows, kind)
    else:
        deliver.write_marker(path, rows)
    return path


def write(world: World) -> list[tuple[str, date]]:
    """Write every XJ/ZZ pair (and re-deliveries); returns (file name, folder date) written."""
    written = []
    for month, folder in months_delivered(world):
        xj, zz = xj_snapshot(world, month), zz_rows(world, month)
        names = (f"XJ_{month}.csv", f"ZZ_{month}.csv")
        fate = schedule.delivery_fate(world, SOURCE, month)
        if not fate.redelivered:
            for name, df in zip(names, (xj, zz), strict=True):
                _write(world, folder, name, df)
                written.append((name, folder))
            continue
        short = xj
        if not fate.broken:
            bg = (xj["planted"] == "").to_numpy()
            drop = (world.rng(f"education:short:{month}").random(len(xj)) < REDELIVERY_SHORT) & bg
            drop[np.flatnonzero(bg)[:1]] = True
            short = xj[~drop]
        _write(world, folder, names[0], short, fate.broken)
        _write(world, folder, names[1], zz)
        written += [(names[0], folder), (names[1], folder)]
        redo = folder + timedelta(days=1 + int(fate.broken))
        if redo - timedelta(days=1) <= world.cfg.as_of:
            for name, df in zip(names, (xj, zz), strict=True):
                r1 = deliver.redelivery_name(name, 1)
                _write(world, redo, r1, df)
                written.append((r1, redo))
    return written
