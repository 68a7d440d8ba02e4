"""Source `rural_monitoring`: the monthly snapshot workbook `FFP_YYYYMM.xlsx` of the 防返贫 monitoring
(rural_monitoring.yaml).

Grain: one workbook per month described (as of its last day), delivered by hand on the 8th of the
next month (next working day; ~10% 1-5 working days late) into the folder of the actual delivery
day (schedule shared with `disability`). Content: every household of the world table
`ffp_households` included by then, in its state at the month end (re-included households back to
否 with the new inclusion date). Row-level quirks are drawn once per household, so a household looks
the same in every file; planted rows get none.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import deliver
from simulator.domains.welfare import count_for
from simulator.ids import apply_id_quirks
from simulator.sources.disability import deliver_months
from simulator.world import World

SOURCE = "rural_monitoring"
COLUMNS = ("户编号", "户主姓名", "户主身份证号", "监测对象类别", "主要风险类型", "纳入监测时间", "风险是否消除",
           "风险消除时间", "家庭人口数", "上年度家庭人均纯收入", "乡镇", "行政村")
ID_RATES = {"spaces": 0.005, "lowercase_x": 0.005, "fullwidth": 0.003}
TEXT_DATES = 0.10
SIZE_AS_TEXT = 0.01


def _rendered(world: World, ffp: pd.DataFrame) -> pd.DataFrame:
    """Per household: the keyed head ID, which dates are text (and in which format), size as text."""
    rng = world.rng("rural_monitoring:render")
    n = len(ffp)
    bg = (ffp["sid"] == "").to_numpy()
    head = ffp["head_id"].to_numpy(dtype=object).copy()
    kinds = np.full(n, "", dtype=object)
    if bg.any():
        values, cats = apply_id_quirks(ffp.loc[bg, "head_id"].reset_index(drop=True), None, ID_RATES, rng, u3000=True)
        head[bg] = values.to_numpy(dtype=object)
        kinds[bg] = cats.to_numpy(dtype=object)
    # per date column: 0 = date cell, 1-3 = text 'YYYY/M/D', 'YYYY-MM-DD', 'YYYYMMDD'
    fmt = np.zeros((n, 2), dtype=int)
    for col, rows in enumerate((bg, bg & ffp["eliminated"].notna().to_numpy())):
        text = rng.permutation(np.flatnonzero(rows))[:count_for(TEXT_DATES, int(rows.sum()))]
        fmt[text, col] = rng.integers(1, 4, size=text.size)
    size_text = np.zeros(n, dtype=bool)
    size_text[rng.permutation(np.flatnonzero(bg))[:count_for(SIZE_AS_TEXT, int(bg.sum()))]] = True
    suffix = rng.random(n) < 0.5
    return pd.DataFrame({"head_cell": head, "id_quirk": kinds, "fmt_in": fmt[:, 0], "fmt_out": fmt[:, 1],
                         "size_text": size_text, "size_suffix": suffix}, index=ffp.index)


def _date_cell(d: date, fmt: int) -> object:
    if fmt == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if fmt == 2:
        return d.strftime("%Y-%m-%d")
    if fmt == 3:
        return d.strftime("%Y%m%d")
    return d


def snapshot(ffp: pd.DataFrame, month: str) -> pd.DataFrame:
    """Households in the file describing `month`, with 纳入/消除 as of its last day."""
    t = pd.Timestamp(cal.month_end(month))
    rows = ffp[ffp["included"] <= t].copy()
    re = rows["reincluded"].notna() & (rows["reincluded"] <= t)
    elim = ~re & rows["eliminated"].notna() & (rows["eliminated"] <= t)
    rows["in_date"] = rows["reincluded"].where(re, rows["included"])
    rows["eliminated_flag"] = np.where(elim, "是", "否")
    keep_old = re & (rows["quirk"] == "elimination_inconsistent")
    rows["out_date"] = rows["eliminated"].where(elim | keep_old)
    return rows.sort_values("hh_no", kind="stable")


def _cells(rows: pd.DataFrame, rendered: pd.DataFrame) -> list[list[object]]:
    r = rows.join(rendered)
    out = []
    for x in r.itertuples(index=False):
        size: object = int(x.size)
        if x.size_text:
            size = f"{int(x.size)}人" if x.size_suffix else str(int(x.size))
        out_date = None if pd.isna(x.out_date) else _date_cell(pd.Timestamp(x.out_date).date(), int(x.fmt_out))
        out.append([x.hh_no, x.head_name, x.head_cell, x.category, x.risk,
                    _date_cell(pd.Timestamp(x.in_date).date(), int(x.fmt_in)), x.eliminated_flag, out_date, size,
                    float(x.income), x.town, x.village])
    return out


def sheets_for(world: World, ffp: pd.DataFrame, rendered: pd.DataFrame, month: str,
               flawed: bool) -> list[deliver.SheetSpec]:
    rng = world.rng(f"rural_monitoring:layout:{month}")
    u = rng.random(4)
    rows = _cells(snapshot(ffp, month), rendered)
    if flawed and len(rows) > 2:
        drop = set(rng.choice(len(rows), size=min(2, len(rows) - 1), replace=False).tolist())
        rows = [r for i, r in enumerate(rows) if i not in drop]
    main = deliver.SheetSpec(
        name="监测户信息" if u[0] < 0.7 else "Sheet1", header=COLUMNS, rows=rows,
        trailing_formatted_rows=int(u[1] * 20) if u[1] < 0.4 else 0,
        date_format="yyyy-mm-dd" if u[2] < 0.5 else "yyyy/m/d",
        column_widths=(18, 10, 22, 14, 14, 12, 8, 12, 8, 12, 10, 12))
    extra = [deliver.SheetSpec(name="Sheet2")] if u[3] < 0.2 else []
    return [main, *extra]


def write(world: World) -> None:
    ffp = world.tables["ffp_households"].reset_index(drop=True)
    rendered = _rendered(world, ffp)
    deliver_months(world, SOURCE, 8, "FFP", lambda month, flawed: sheets_for(world, ffp, rendered, month, flawed))
