"""Source `vehicles` (车管所): weekly Monday snapshot JDC_YYYYMMDD.csv (vehicles.yaml).

Grain: one row per vehicle on the register at 24:00 of the Sunday before the file date (ended
registrations within 24 months included). UTF-8 with BOM, every field quoted, CRLF. Written for every
Monday folder in [first folder, as-of + 1] plus the latest Monday before the window. Quirks rendered
here: owner ID formats (legacy_15, lowercase_x; stable per vehicle and owner), legacy_org_code; the
others (deceased_owner, plate_reuse, nonstandard_vin, owner_not_in_hukou) are world facts.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from simulator.domains.assets import vehicles_on, weekly_folder_dates
from simulator.ids import org_code_of_uscc, to_legacy15
from simulator.schedule import delivery_fate
from simulator.sources.assets_io import CsvFormat, stable_id_quirks, write_delivery
from simulator.world import World

SOURCE = "vehicles"
COLUMNS = ["号牌号码", "号牌种类", "车辆类型", "使用性质", "所有人证件号码", "所有人", "初次登记日期", "机动车状态",
           "品牌型号", "车辆识别代号"]
FORMAT = CsvFormat(encoding="utf-8", bom=True, quoting="all", line_ending="\r\n")
ID_RATES = {"legacy_15": 0.005, "lowercase_x": 0.002}
LEGACY_ORG_SHARE = 0.04  # of organisation-owned rows


def render(world: World) -> pd.DataFrame:
    """Every state row of `vehicles` rendered as the register exports it (index kept)."""
    v = world.tables["vehicles"]
    rng = world.rng("vehicles:render")
    planted = (v["planted"] != "").to_numpy()
    person = v["owner_kind"].isin(["person", "outsider"]).to_numpy()
    key = v["vin"] + "|" + v["owner_id"]
    owner = stable_id_quirks(v["owner_id"], key, pd.Series(person & ~planted, index=v.index), ID_RATES, rng)
    legacy = v["owner_legacy15"].to_numpy()
    owner[legacy] = [to_legacy15(x) for x in v.loc[legacy, "owner_id"]]
    # legacy_org_code: organisations with a pre-2016 code (8-digit body), stable per vehicle and owner.
    org = (v["owner_kind"] == "org").to_numpy() & ~planted
    old_code = v["owner_id"].str.slice(8, 16).str.isdigit().to_numpy()
    org_keys = key[org].drop_duplicates()
    eligible = org_keys[v.loc[org_keys.index, "owner_id"].str.slice(8, 16).str.isdigit().to_numpy()]
    p = min(1.0, LEGACY_ORG_SHARE * len(org_keys) / max(len(eligible), 1))
    hit = set(eligible[rng.random(len(eligible)) < p])
    use_legacy = org & old_code & key.isin(hit).to_numpy()
    owner[use_legacy] = [org_code_of_uscc(c) for c in v.loc[use_legacy, "owner_id"]]
    return pd.DataFrame({
        "号牌号码": v["plate"], "号牌种类": v["plate_type"], "车辆类型": v["vtype"], "使用性质": v["use"],
        "所有人证件号码": owner, "所有人": v["owner_name"],
        "初次登记日期": v["first_reg"].dt.strftime("%Y-%m-%d"), "机动车状态": v["status"],
        "品牌型号": v["brand"], "车辆识别代号": v["vin"],
    }, index=v.index).astype("str")


def write(world: World) -> None:
    rendered = render(world)
    v = world.tables["vehicles"]
    for folder in weekly_folder_dates(world.cfg, 0):
        snap = vehicles_on(v, folder - timedelta(days=1))
        order = snap.sort_values(["first_reg", "vin"], kind="stable").index
        name = f"JDC_{folder:%Y%m%d}"
        path = world.cfg.out / "landing" / SOURCE / f"{folder:%Y%m%d}" / f"{name}.csv"
        fate = delivery_fate(world, SOURCE, f"{folder:%Y%m%d}", can_be_missing=True)
        write_delivery(path, rendered.loc[order].reset_index(drop=True), FORMAT, fate,
                       world.rng(f"vehicles:fate:{folder:%Y%m%d}"))

