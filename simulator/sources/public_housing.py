"""Source `public_housing`: monthly GZF_YYYYMM.csv full snapshots of public-rental-housing families.

Grain: one row per 保障家庭编号 (every family since 2015, 保障中 or 已退出) at the end of the month
described. Rendered from the social world table `public_housing_families`: members from
`social.members_on` (frozen at the exit day after an exit), 保障方式/月租赁补贴金额/保障开始日期 before
or after an in-place switch, 已退出 from the exit day. UTF-8 without BOM, LF, minimal quoting. A
manual export on the 6th of the next month or the next working day; ~10% come 1-5 working days late
(folder = the day actually delivered, a daytime delivery: business date = folder date). 13 months of
history. Quirks (per family, stable over the months, from the world table): member_list_format
('；' separators, a trailing separator, a space after separators), applicant_missing, deceased_member,
duplicate_member, lowercase_x (either ID column). Re-delivery / broken fates as for every monthly file.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import deliver, schedule
from simulator.domains import social
from simulator.domains.health import money_text
from simulator.world import World

SOURCE = "public_housing"
COLUMNS = ("保障家庭编号", "申请人身份证号", "家庭成员身份证号", "保障方式", "月租赁补贴金额", "保障开始日期", "保障状态")
DELIVERY_DAY = 6


def _member_list(ids: list[str], applicant: str, fam: pd.Series, salt: int) -> tuple[str, str]:
    """(申请人身份证号, 家庭成员身份证号) as written, with the family's quirks."""
    ids = list(ids)
    if fam["applicant_missing"] and len(ids) > 1 and applicant in ids:
        ids.remove(applicant)
    if fam["duplicate_member"] and ids:
        ids.append(ids[salt % len(ids)])
    k = salt % max(len(ids), 1)
    ids = ids[k:] + ids[:k]  # in no particular order (stable per family)
    if fam["lowercase_x"]:
        if applicant.endswith("X") and salt % 2 == 0:
            applicant = applicant[:-1] + "x"
        else:
            xs = [i for i, v in enumerate(ids) if v.endswith("X")]
            if xs:
                ids[xs[0]] = ids[xs[0]][:-1] + "x"
            elif applicant.endswith("X"):
                applicant = applicant[:-1] + "x"
    seps = [";"] * max(len(ids) - 1, 0)
    if fam["fullwidth_sep"]:
        seps = ["；" if (j + salt) % 2 == 0 or len(seps) == 1 else ";" for j in range(len(seps))]
    if fam["space_sep"]:
        seps = [s + " " for s in seps]
    text = "".join(v + s for v, s in zip(ids, [*seps, ""], strict=True))
    if fam["trailing_sep"] or (fam["fullwidth_sep"] and len(ids) == 1):
        text += "；" if fam["fullwidth_sep"] else ";"
    return applicant, text


def snapshot(world: World, month: str) -> pd.DataFrame:
    """GZF rows at the end of month 'YYYYMM', sorted by 保障家庭编号."""
    end = cal.month_end(month)
    d = np.datetime64(end, "s")
    fam = world.tables["public_housing_families"]
    fam = fam[(fam["admitted"] <= d).to_numpy()].reset_index(drop=True)
    ids = world.people["id_number"].to_numpy(dtype=object)
    members = social.members_on(world, fam, end)
    applicants, lists = [], []
    for i, f in fam.iterrows():
        app = str(ids[f["applicant_pid"]])
        listed = [str(ids[x]) for x in members[i]] or [app]
        a, text = _member_list(listed, app, f, int(f["fam_no"][2:]))
        applicants.append(a)
        lists.append(text)
    switched = (fam["switch_date"].notna() & (fam["switch_date"] <= d)).to_numpy()
    mode = np.where(switched, fam["mode"].to_numpy(dtype=object), fam["prev_mode"].to_numpy(dtype=object))
    sub = np.where(switched, fam["subsidy"].to_numpy(dtype=float, na_value=np.nan),
                   fam["prev_subsidy"].to_numpy(dtype=float, na_value=np.nan))
    sub_text = money_text(np.nan_to_num(sub).astype(np.int64))
    start = np.where(switched, fam["start_date"].to_numpy(), fam["prev_start"].to_numpy())
    exited = (fam["exit_date"].notna() & (fam["exit_date"] <= d)).to_numpy()
    return pd.DataFrame({
        "保障家庭编号": fam["fam_no"].to_numpy(dtype=object), "申请人身份证号": np.array(applicants, dtype=object),
        "家庭成员身份证号": np.array(lists, dtype=object), "保障方式": mode,
        "月租赁补贴金额": np.where(mode == "租赁补贴", sub_text, None),
        "保障开始日期": pd.to_datetime(start).strftime("%Y-%m-%d").to_numpy(dtype=object),
        "保障状态": np.where(exited, "已退出", "保障中").astype(object),
    }, columns=list(COLUMNS)).sort_values("保障家庭编号", kind="stable", ignore_index=True)


def delivery_day(world: World, month: str) -> date:
    """Folder date of month YYYYMM's file: the 6th of the next month or the next working day, plus 1-5
    working days when late."""
    nxt = cal.month_add(month, 1)
    day = cal.monthly_delivery_date(int(nxt[:4]), int(nxt[4:]), DELIVERY_DAY)
    fate = schedule.delivery_fate(world, SOURCE, month, manual=True)
    return cal.add_working_days(day, fate.late_working_days) if fate.late else day


def months_delivered(world: World) -> list[tuple[str, date]]:
    """(month described, folder date) of every delivery whose business date (= folder) is in the history or window."""
    cfg = world.cfg
    out = []
    month = cal.month_add(cal.yyyymm(cfg.monthly_history_start), -1)
    while month < cal.yyyymm(cfg.as_of):
        folder = delivery_day(world, month)
        if cfg.monthly_history_start <= folder <= cfg.as_of:
            out.append((month, folder))
        month = cal.month_add(month, 1)
    return out


def _write(world: World, folder: date, name: str, df: pd.DataFrame, broken: bool = False) -> None:
    path = world.cfg.out / "landing" / SOURCE / f"{folder:%Y%m%d}" / name
    rows = deliver.write_csv(path, df, encoding="utf-8", bom=False, quoting="minimal", line_ending="\n")
    if broken:
        kind = ("rows", "sha256", "truncated")[int(world.rng(f"public_housing:broken:{name}").integers(3))]
        deliver.write_broken_marker(path, rows, kind)
    else:
        deliver.write_marker(path, rows)


def write(world: World) -> list[tuple[str, date]]:
    """Write every GZF snapshot (and re-delivery); returns (file name, folder date) written."""
    written = []
    for month, folder in months_delivered(world):
        df = snapshot(world, month)
        name = f"GZF_{month}.csv"
        fate = schedule.delivery_fate(world, SOURCE, month, manual=True)
        if not fate.redelivered:
            _write(world, folder, name, df)
            written.append((name, folder))
            continue
        short = df
        if not fate.broken and len(df) > 1:
            drop = world.rng(f"public_housing:short:{month}").integers(len(df))
            short = df.drop(index=df.index[drop])
        _write(world, folder, name, short, fate.broken)
        written.append((name, folder))
        redo = cal.add_working_days(folder, 1 + int(fate.broken))
        if redo <= world.cfg.as_of:
            r1 = deliver.redelivery_name(name, 1)
            _write(world, redo, r1, df)
            written.append((r1, redo))
    return written
