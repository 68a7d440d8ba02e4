"""Source `property` (不动产登记中心): BDC_FULL_YYYYMMDD.csv once + BDC_YYYYMMDD.csv daily (property.yaml).

Grain: one row per (业务编号, 不动产单元号, 权利人). The FULL file (first folder, as of the first business
date) holds the current holders as the replay of every registration delivered by then; the daily file
of business date B (folder B + 1) holds the registrations delivered on B, weekends header-only.
GB18030, minimal quoting, CRLF. Quirks rendered here: ID formats (legacy_15, lowercase_x, spaces; share
of 居民身份证 rows), fullwidth_parentheses (~10% of rows, mostly records from before 2020), repeated_row
(~0.2% of daily rows, at least one when a later working-day file exists); late_entry, unknown_unit and
deceased_holder are world facts (simulator/domains/assets_property.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulator.calendar import is_working_day
from simulator.domains.assets import property_holdings
from simulator.schedule import delivery_fate
from simulator.sources.assets_io import CsvFormat, decimal_text, stable_id_quirks, write_delivery
from simulator.world import World

SOURCE = "property"
COLUMNS = ["业务编号", "不动产单元号", "不动产权证号", "权利人", "证件种类", "证件号码", "共有情况", "共有份额", "坐落",
           "用途", "建筑面积", "登记类型", "登记时间"]
FORMAT = CsvFormat(encoding="gb18030", bom=False, quoting="minimal", line_ending="\r\n")
ID_RATES = {"legacy_15": 0.005, "lowercase_x": 0.003, "spaces": 0.002}
FULLWIDTH_SHARE = 0.10
REPEAT_SHARE = 0.002


def render(world: World) -> pd.DataFrame:
    """Every row of the registration log rendered as the register exports it (index kept)."""
    regs = world.tables["property_registrations"]
    units = world.tables["property_units"].set_index("unit")
    rng = world.rng("property:render")
    planted = (regs["planted"] != "").to_numpy()
    card = (regs["id_kind"] == "居民身份证").to_numpy()
    ids = stable_id_quirks(regs["holder_id"], pd.Series(regs.index.astype(str), index=regs.index),
                           pd.Series(card & ~planted, index=regs.index), ID_RATES, rng)
    # Full-width parentheses: per certificate (co-holders share it), records from before 2020 first.
    cert = regs["cert_no"].copy()
    cert_key = regs["biz_no"] + "|" + regs["unit"]
    old = (regs["reg_time"].dt.year < 2020).to_numpy() & ~planted
    p = min(1.0, FULLWIDTH_SHARE * len(regs) / max(int(old.sum()), 1))
    keys = cert_key[old].drop_duplicates()
    hit = set(keys[rng.random(len(keys)) < p])
    wide = cert_key.isin(hit).to_numpy()
    cert[wide] = cert[wide].str.replace("(", "（", regex=False).str.replace(")", "）", regex=False)
    u = units.reindex(regs["unit"])
    return pd.DataFrame({
        "业务编号": regs["biz_no"], "不动产单元号": regs["unit"], "不动产权证号": cert,
        "权利人": regs["holder_name"], "证件种类": regs["id_kind"], "证件号码": ids, "共有情况": regs["co_type"],
        "共有份额": regs["share"], "坐落": u["location"].to_numpy(), "用途": u["use"].to_numpy(),
        "建筑面积": decimal_text(u["area"], 2).to_numpy(), "登记类型": regs["reg_type"],
        "登记时间": regs["reg_time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
    }, index=regs.index).astype("str")


def daily_rows(world: World) -> dict[date, pd.Index]:
    """Business date → log rows of its daily file (registrations delivered that day, then repeats)."""
    cfg = world.cfg
    regs = world.tables["property_registrations"]
    delivered = regs["delivered_on"].dt.date
    files = {b: regs.index[(delivered == b).to_numpy()] for b in cfg.business_dates}
    background = (regs["planted"] == "").to_numpy()  # planted rows carry no random quirk
    full = full_rows(world)
    full = full[background[regs.index.get_indexer(full)]]
    files_bg = {b: ix[background[regs.index.get_indexer(ix)]] for b, ix in files.items()}
    rng = world.rng("property:repeats")
    targets = [b for b in cfg.business_dates[1:] if is_working_day(b)]
    n_daily = sum(len(ix) for ix in files.values())
    if targets:
        k = max(1, int(rng.binomial(n_daily, REPEAT_SHARE)))
        for _ in range(k):
            b = targets[int(rng.integers(0, len(targets)))]
            earlier = np.concatenate([files_bg[d].to_numpy() for d in cfg.business_dates if d < b]
                                     + [np.array([], dtype=np.int64)])
            src = earlier if len(earlier) and rng.random() < 0.5 else full.to_numpy()
            if len(src):
                files[b] = files[b].append(pd.Index([int(src[rng.integers(0, len(src))])]))
    return files


def full_rows(world: World) -> pd.Index:
    """Log rows of the FULL file: the holdings at the end of the first business date."""
    regs = world.tables["property_registrations"]
    cur = property_holdings(regs, world.cfg.first_business_date)
    return cur.sort_values(["biz_no", "unit"], kind="stable").index


def write(world: World) -> None:
    cfg = world.cfg
    rendered = render(world)
    first_folder = cfg.first_business_date + timedelta(days=1)
    root = cfg.out / "landing" / SOURCE
    stem = f"BDC_FULL_{first_folder:%Y%m%d}"
    write_delivery(root / f"{first_folder:%Y%m%d}" / f"{stem}.csv",
                   rendered.loc[full_rows(world)].reset_index(drop=True), FORMAT,
                   delivery_fate(world, SOURCE, f"FULL{first_folder:%Y%m%d}"),
                   world.rng(f"property:fate:FULL{first_folder:%Y%m%d}"))
    for b, rows in daily_rows(world).items():
        folder = b + timedelta(days=1)
        path = root / f"{folder:%Y%m%d}" / f"BDC_{folder:%Y%m%d}.csv"
        df = rendered.loc[rows].reset_index(drop=True) if len(rows) else rendered.iloc[:0]
        write_delivery(path, df, FORMAT, delivery_fate(world, SOURCE, f"{folder:%Y%m%d}"),
                       world.rng(f"property:fate:{folder:%Y%m%d}"))
