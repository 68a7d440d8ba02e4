"""Source `housing_fund`: monthly GJJ_YYYYMM.csv full snapshots of housing-fund accounts.

Grain: one row per 个人账号 at the end of the month described. Rendered from the economy world table
`gjj_accounts`: 正常 while a contributing spell runs (also in arrears), 封存 after it, 销户 for 24
months after closing. 缴存基数 is last year's average wage (planted: exactly `gjj_base`); 月缴存额 =
base x rate for each side rounded to whole yuan, times 2. Delivered on the 3rd of the next month
(automated, holidays included), 13 months of history. Quirks: two_accounts, arrears and
deceased_holder come from the world; ID formats legacy_15 / lowercase_x are drawn per account.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator import deliver, schedule
from simulator.domains.economy import (
    gjj_contribution_base,
    money_array,
    month_index,
    text_array,
    to_cents,
    yyyymm,
    yyyymm_array,
)
from simulator.ids import apply_id_quirks
from simulator.world import World

SOURCE = "housing_fund"
COLUMNS = ("个人账号", "身份证号", "姓名", "单位名称", "缴存基数", "月缴存额", "账户状态", "账户余额", "最后缴存年月")
ID_RATES = {"legacy_15": 0.005, "lowercase_x": 0.002}
CLOSED_KEPT_MONTHS = 24


def snapshot(world: World, s: int, id_text: np.ndarray) -> pd.DataFrame:
    """The GJJ rows at the end of month index `s` (all text columns, in account order)."""
    acc = world.tables["gjj_accounts"]
    emps = world.tables["employers"]
    ref_year = world.cfg.as_of.year
    start1, end1 = acc["start1"].to_numpy(), acc["end1"].to_numpy()
    emp2, start2, end2 = acc["emp2"].to_numpy(), acc["start2"].to_numpy(), acc["end2"].to_numpy()
    has2 = emp2 >= 0
    close = acc["close_mi"].to_numpy()
    active = ((start1 <= s) & (s <= end1)) | (has2 & (start2 <= s) & (s <= end2))
    closed = close <= s
    keep = (start1 <= s) & (~closed | (close > s - CLOSED_KEPT_MONTHS))
    status = np.where(closed, "销户", np.where(active, "正常", "封存"))
    emp = np.where(has2 & (start2 <= s), emp2, acc["emp1"].to_numpy())
    pay_stop = acc["arrears_from"].to_numpy() - 1
    last1 = np.where(start1 <= s, np.minimum(np.minimum(s, end1), pay_stop), -1)
    last1 = np.where(last1 >= start1, last1, -1)
    last2 = np.where(has2 & (start2 <= s), np.minimum(np.minimum(s, end2), pay_stop), -1)
    last2 = np.where(last2 >= start2, last2, -1)
    last = np.maximum(last1, last2)
    never = acc["never_paid"].to_numpy() | (last < 0)
    base = gjj_contribution_base(acc["wage"].to_numpy(), s // 12, ref_year)
    fixed = acc["base_fixed"].to_numpy()
    base = np.where(np.isnan(fixed), base, fixed)
    normal = status == "正常"
    base_c = np.where(normal, to_cents(base), 0)
    rate = acc["rate"].to_numpy()
    share = np.floor(base_c * rate / 100 + 0.5 + 1e-9).astype(np.int64) * 100  # whole yuan, half up
    monthly_c = np.where(normal, 2 * share, 0)
    h0 = month_index(world.cfg.as_of) - 40
    paid1 = np.clip(np.minimum(last1, s) - np.maximum(start1, h0) + 1, 0, None) * (last1 >= 0)
    paid2 = np.clip(np.minimum(last2, s) - np.maximum(start2, h0) + 1, 0, None) * (last2 >= 0)
    dep = 2 * np.floor(to_cents(base) * rate / 100 + 0.5).astype(np.int64) * 100
    bal = to_cents(acc["balance0"].to_numpy()) + (paid1 + paid2) * dep
    bal = np.where(closed | acc["never_paid"].to_numpy(), 0, bal)
    order = np.argsort(acc["account"].to_numpy()[keep], kind="stable")
    rows = np.flatnonzero(keep)[order]

    def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
        return values.take(pa.array(idx, type=pa.int64()))

    last_text = pc.if_else(pa.array(never[rows]), pa.scalar(None, pa.string()),
                           pa.array(yyyymm_array(np.maximum(last[rows], 0)).tolist(), type=pa.string()))
    table = pa.table({
        "个人账号": text_array(acc["account"].to_numpy()[rows]), "身份证号": text_array(id_text[rows]),
        "姓名": take(text_array(world.people["name"]), acc["pid"].to_numpy()[rows]),
        "单位名称": take(text_array(emps["name"]), emp[rows]), "缴存基数": money_array(base_c[rows]),
        "月缴存额": money_array(monthly_c[rows]), "账户状态": text_array(status[rows]),
        "账户余额": money_array(bal[rows]), "最后缴存年月": last_text,
    })
    return table.to_pandas()


def rendered_ids(world: World) -> np.ndarray:
    """身份证号 per account: legacy 15-digit numbers only on accounts opened before 2005; planted canonical."""
    acc = world.tables["gjj_accounts"]
    people = world.people
    pid = acc["pid"].to_numpy()
    ids = pd.Series(people["id_number"].to_numpy(dtype=object)[pid])
    planted = acc["planted"].to_numpy()
    birth_year = people["birth_date"].dt.year.to_numpy()[pid]
    birth_year = np.where(acc["start1"].to_numpy() < 2005 * 12, birth_year, 9999)
    out, _ = apply_id_quirks(ids.where(~planted, None), pd.Series(birth_year), ID_RATES,
                             world.rng("housing_fund:ids"))
    return np.where(planted, ids.to_numpy(), out.to_numpy())


def months_delivered(world: World) -> list[tuple[int, date]]:
    """(month described, folder date) of every snapshot whose business date lies in the history or window."""
    cfg = world.cfg
    out = []
    for s in range(month_index(cfg.monthly_history_start) - 1, month_index(cfg.as_of) + 1):
        folder = date((s + 1) // 12, (s + 1) % 12 + 1, 3)
        business = folder - timedelta(days=1)
        if cfg.monthly_history_start <= business <= cfg.as_of:
            out.append((s, folder))
    return out


def _write(world: World, folder: date, name: str, df: pd.DataFrame, broken: bool) -> None:
    path = world.cfg.out / "landing" / SOURCE / f"{folder:%Y%m%d}" / name
    rows = deliver.write_csv(path, df, encoding="utf-8", bom=False, quoting="minimal", line_ending="\r\n")
    if broken:
        kind = ("rows", "sha256", "truncated")[int(world.rng(f"housing_fund:broken:{name}").integers(3))]
        deliver.write_broken_marker(path, rows, kind)
    else:
        deliver.write_marker(path, rows)


def write(world: World) -> list[tuple[str, date]]:
    """Write every GJJ snapshot (and re-delivery); returns (file name, folder date) written."""
    ids = rendered_ids(world)
    written = []
    for s, folder in months_delivered(world):
        df = snapshot(world, s, ids)
        name = f"GJJ_{yyyymm(s)}.csv"
        fate = schedule.delivery_fate(world, SOURCE, yyyymm(s))
        if fate.redelivered:
            short = df
            if not fate.broken:
                planted = df["个人账号"].isin(world.tables["gjj_accounts"].loc[
                    world.tables["gjj_accounts"]["planted"], "account"]).to_numpy()
                drop = (world.rng(f"housing_fund:short:{s}").random(len(df)) < 0.002) & ~planted
                drop[np.flatnonzero(~planted)[:1]] = True
                short = df[~drop]
            _write(world, folder, name, short, fate.broken)
            written.append((name, folder))
            redo = folder + timedelta(days=1 + int(fate.broken))
            if redo - timedelta(days=1) <= world.cfg.as_of:
                r1 = deliver.redelivery_name(name, 1)
                _write(world, redo, r1, df, False)
                written.append((r1, redo))
        else:
            _write(world, folder, name, df, False)
            written.append((name, folder))
    return written
