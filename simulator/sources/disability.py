"""Source `disability`: the monthly snapshot workbook `CJR_YYYYMM.xlsx` of the 残联 (disability.yaml).

Grain: one workbook per month described (统计日期 = its last day), delivered by hand on the 5th (next
working day; ~10% 1-5 working days late) into the folder of the actual delivery day, for every
delivery day from `monthly_history_start` to as_of. Content: the certificates of the world table
`disability_certs` held on the 统计日期 (有效 / 过期) plus those cancelled within the 24 months before.
Row-level quirks (ID formats, spaced names, text issue dates, phone number cells) are drawn once per
certificate, so a certificate looks the same in every monthly file; planted certificates get none.

`manual_monthly` (the schedule of a manual monthly delivery with its fate) is shared with
`rural_monitoring`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import deliver
from simulator.ids import IDEOGRAPHIC_SPACE, apply_id_quirks
from simulator.rng import stream
from simulator.schedule import Fate, delivery_fate
from simulator.world import World

SOURCE = "disability"
SHEET = "持证残疾人"
TITLE = "滕州市持证残疾人信息表"
COLUMNS = ("残疾人证号", "姓名", "性别", "残疾类别", "残疾等级", "发证日期", "证件状态", "户籍地址", "监护人姓名",
           "联系电话", "困难残疾人生活补贴", "重度残疾人护理补贴")
ID_RATES = {"spaces": 0.01, "lowercase_x": 0.005, "fullwidth": 0.003, "bad_check": 0.003, "excel_number": 0.001}
SPACED_NAME = 0.005
TEXT_ISSUE_DATE = 0.15
PHONE_NUMBER_CELL = 0.4       # of mobiles
FOOTER = 0.25                 # of deliveries
LOCK_FILE = 0.05              # of deliveries
STALE_FLAG = 0.6              # of rows whose holder left 低保 in the last 2 years (allowance_flag_stale)
CARE_UPTAKE = 0.95
VALIDITY_DAYS = 3652          # ten years


@dataclass(frozen=True)
class MonthlyDelivery:
    """One manual monthly delivery: the month described, the folder day and its fate."""

    month: str                      # YYYYMM of the content
    day: date                       # actual delivery day (folder date)
    fate: Fate
    redelivery_day: date | None     # folder of the _R1 (broken or re-delivered original)
    lock_file: bool                 # an Excel owner file `~$<name>` left beside the workbook


def manual_monthly(world: World, source: str, day_of_month: int) -> list[MonthlyDelivery]:
    """Deliveries of a manual monthly source (scheduled on `day_of_month` of the next month)."""
    cfg = world.cfg
    start, end = cfg.monthly_history_start, cfg.as_of
    first = cal.month_add(cal.yyyymm(start), -2)
    out = []
    for k in range(cal.months_between(first, cal.yyyymm(end)) + 1):
        month = cal.month_add(first, k)
        nxt = cal.month_add(month, 1)
        scheduled = cal.monthly_delivery_date(int(nxt[:4]), int(nxt[4:]), day_of_month)
        fate = delivery_fate(world, source, month, manual=True)
        day = cal.add_working_days(scheduled, fate.late_working_days) if fate.late else scheduled
        if not start <= day <= end:
            continue
        u = stream(cfg.seed, f"{source}:delivery:{month}").random(2)
        again = cal.add_working_days(day, 1 + int(u[0] * 2)) if (fate.broken or fate.redelivered) else None
        out.append(MonthlyDelivery(month, day, fate, again if again and again <= end else None,
                                   bool(u[1] < LOCK_FILE)))
    return out


def write_workbook(folder: Path, name: str, sheets: list[deliver.SheetSpec], *, broken: bool = False,
                   lock_file: bool = False) -> Path:
    """A workbook, its marker (rows = data rows of the first sheet) and optionally an owner file."""
    path = folder / name
    rows = deliver.write_xlsx(path, sheets)[0]
    if broken:
        deliver.write_broken_marker(path, rows, "truncated")
    else:
        deliver.write_marker(path, rows)
    if lock_file:
        deliver.write_excel_lock_file(path)
    return path


def deliver_months(world: World, source: str, day_of_month: int, stem: str,
                   build: Callable[[str, bool], list[deliver.SheetSpec]]) -> list[Path]:
    """Write every delivery of a manual monthly XLSX source; `build(month, flawed)` gives the sheets."""
    out = []
    root = world.cfg.out / "landing" / source
    for d in manual_monthly(world, source, day_of_month):
        name = f"{stem}_{d.month}.xlsx"
        flawed = d.fate.redelivered and not d.fate.broken
        folder = root / d.day.strftime("%Y%m%d")
        out.append(write_workbook(folder, name, build(d.month, flawed), broken=d.fate.broken,
                                  lock_file=d.lock_file))
        if d.redelivery_day is not None:
            again = root / d.redelivery_day.strftime("%Y%m%d")
            out.append(write_workbook(again, deliver.redelivery_name(name, 1), build(d.month, False)))
    return out


# --- rendering -----------------------------------------------------------------------------------

def _rendered(world: World, certs: pd.DataFrame) -> pd.DataFrame:
    """Per certificate, how it is keyed in every file (stable across months)."""
    rng = world.rng("disability:render")
    n = len(certs)
    bg = (certs["sid"] == "").to_numpy()
    cert_id = certs["cert_no"].to_numpy(dtype=object).copy()
    kinds = np.full(n, "", dtype=object)
    if bg.any():
        ids = certs.loc[bg, "id_number"].reset_index(drop=True)
        suffix = certs.loc[bg, "cert_no"].str.slice(18).reset_index(drop=True)
        values, cats = apply_id_quirks(ids, None, ID_RATES, rng, u3000=True, excel="xlsx", suffix=suffix)
        cert_id[bg] = values.to_numpy(dtype=object)
        kinds[bg] = cats.to_numpy(dtype=object)
    name = certs["name"].to_numpy(dtype=object).copy()
    two = (certs["name"].str.len() == 2).to_numpy()
    spaced = bg & two & (rng.random(n) < SPACED_NAME * n / max(int((bg & two).sum()), 1))
    seps = np.array([" ", "  ", IDEOGRAPHIC_SPACE, IDEOGRAPHIC_SPACE * 2], dtype=object)
    for i in np.flatnonzero(spaced):
        name[i] = name[i][0] + seps[rng.integers(len(seps))] + name[i][1]
    text_date = bg & (rng.random(n) < TEXT_ISSUE_DATE)
    phone = certs["phone"].to_numpy(dtype=object).copy()
    mobile = np.array([isinstance(p, str) and p.startswith("1") for p in phone])
    as_number = mobile & (rng.random(n) < PHONE_NUMBER_CELL)
    phone_cell = np.array([int(p) if num else p for p, num in zip(phone, as_number, strict=True)], dtype=object)
    u = rng.random(n)
    return pd.DataFrame({"cert_cell": cert_id, "id_quirk": kinds, "name_cell": name, "text_date": text_date,
                         "phone_cell": phone_cell, "stale": bg & (u < STALE_FLAG),
                         "care_uptake": ~bg | (rng.random(n) < CARE_UPTAKE)}, index=certs.index)


def dibao_spans(world: World) -> pd.DataFrame:
    """(pid, start, end) while a person is a valid 是 member of an active 低保 family (end NaT = open)."""
    f = world.tables["families"]
    f = f[f["category"].isin(["城市低保", "农村低保"]) & f["deleted_at"].isna()]
    m = world.tables["family_members"]
    m = m[(m["covered"] == "是")].merge(
        f[["family_id", "first_approval", "terminate_at", "suspend_at"]], on="family_id")
    start = np.maximum(m["joined_at"].to_numpy(), m["first_approval"].to_numpy())
    ends = np.stack([m[c].to_numpy().astype("datetime64[s]") for c in ("deleted_at", "terminate_at", "suspend_at")])
    far = np.datetime64("2999-12-31", "s")
    end = np.where(np.isnat(ends), far, ends).min(axis=0)
    return pd.DataFrame({"pid": m["pid"].to_numpy(), "start": start, "end": end})


def snapshot(certs: pd.DataFrame, rendered: pd.DataFrame, spans: pd.DataFrame, month: str) -> pd.DataFrame:
    """The certificates and their cells in the file describing `month` (canonical values kept too)."""
    stat = cal.month_end(month)
    t = np.datetime64(stat, "s")
    issue = certs["issue_date"].to_numpy().astype("datetime64[s]")
    cancel = certs["cancel_date"].to_numpy().astype("datetime64[s]")
    cancelled = ~np.isnat(cancel) & (cancel <= t)
    inside = (issue <= t) & (~cancelled | (cancel > t - np.timedelta64(730, "D")))
    status = np.where(cancelled, "注销", np.where(issue + np.timedelta64(VALIDITY_DAYS, "D") <= t, "过期", "有效"))
    fixed = certs["status_fixed"].to_numpy(dtype=object)
    status = np.where(pd.notna(fixed), fixed, status).astype(object)
    pid = certs["pid"].to_numpy()
    now = spans[(spans["start"] <= t) & (spans["end"] > t)]["pid"].to_numpy()
    left = spans[(spans["end"] <= t) & (spans["end"] > t - np.timedelta64(730, "D"))]["pid"].to_numpy()
    in_dibao = np.isin(pid, now)
    living = np.where(in_dibao | (rendered["stale"].to_numpy() & np.isin(pid, left)), "是", "否")
    living = np.where(status == "有效", living, "否")
    severe = certs["grade"].isin(["一级", "二级"]).to_numpy()
    care = np.where(severe & (status == "有效") & rendered["care_uptake"].to_numpy(), "是", "否")
    df = pd.DataFrame({"status": status, "living": living, "care": care}, index=certs.index)
    return pd.concat([certs, rendered, df], axis=1)[inside].sort_values("cert_no", kind="stable")


def _cells(snap: pd.DataFrame) -> list[list[object]]:
    """The data rows of a workbook (built column-wise: ~50k rows per month at full scale)."""
    issue = snap["issue_date"].dt.date.tolist()
    issue_cell = [d.strftime("%Y.%m.%d") if text else d for d, text in zip(issue, snap["text_date"].tolist(),
                                                                         strict=True)]
    guardian = [g if isinstance(g, str) else None for g in snap["guardian"].tolist()]
    cols = [snap[c].tolist() for c in ("cert_cell", "name_cell", "sex", "kind", "grade")]
    cols += [issue_cell, snap["status"].tolist(), snap["address"].tolist(), guardian]
    cols += [snap[c].tolist() for c in ("phone_cell", "living", "care")]
    return [list(r) for r in zip(*cols, strict=True)]


def sheets_for(world: World, certs: pd.DataFrame, rendered: pd.DataFrame, spans: pd.DataFrame, month: str,
               flawed: bool) -> list[deliver.SheetSpec]:
    """The workbook of one month (a flawed original of a re-delivery misses a few rows)."""
    rng = world.rng(f"disability:layout:{month}")
    u = rng.random(4)
    rows = _cells(snapshot(certs, rendered, spans, month))
    if flawed and len(rows) > 3:
        drop = set(rng.choice(len(rows), size=min(3, len(rows) - 1), replace=False).tolist())
        rows = [r for i, r in enumerate(rows) if i not in drop]
    stat = cal.month_end(month)
    main = deliver.SheetSpec(
        name=SHEET, header=COLUMNS, rows=rows,
        title_rows=(TITLE, f"统计日期：{stat.year}年{stat.month:02d}月{stat.day:02d}日"),
        footer=f"合计：{len(rows)}人" if u[0] < FOOTER else None,
        trailing_formatted_rows=int(u[1] * 30) if u[1] < 0.5 else 0,
        date_format="yyyy-mm-dd" if u[2] < 0.6 else "yyyy/m/d",
        column_widths=(24, 10, 6, 8, 8, 12, 8, 40, 10, 14, 10, 10))
    extra = [deliver.SheetSpec(name="Sheet2"), deliver.SheetSpec(name="Sheet3")] if u[3] < 0.4 else []
    return [main, *extra]


def write(world: World) -> None:
    certs = world.tables["disability_certs"].reset_index(drop=True)
    rendered = _rendered(world, certs)
    spans = dibao_spans(world)
    deliver_months(world, SOURCE, 5, "CJR",
                   lambda month, flawed: sheets_for(world, certs, rendered, spans, month, flawed))
