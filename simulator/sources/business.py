"""Source `business` (市场监督管理局): weekly Wednesday pair SCZT_YYYYMMDD.csv + SCZT_RY_YYYYMMDD.csv
(business.yaml).

Grain: SCZT one row per market entity, SCZT_RY one row per (entity, 人员类型, person), both as of 24:00 of
the Tuesday before the file date. UTF-8 without BOM, minimal quoting, LF (a quoted 经营范围 may hold LF
or CRLF). Written for every Wednesday folder in [first folder, as-of + 1] plus the latest Wednesday before
the window. Quirks rendered here: ID formats (legacy_15, lowercase_x; stable per person row); the others
(share_sum, multiline_scope, orphan_person, individual_funds_missing) are world facts.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from simulator.domains.assets import business_on, weekly_folder_dates
from simulator.schedule import Fate, delivery_fate
from simulator.sources.assets_io import CsvFormat, decimal_text, stable_id_quirks, write_delivery
from simulator.world import World

SOURCE = "business"
ENTITY_COLUMNS = ["统一社会信用代码", "主体名称", "市场主体类型", "注册资本", "资金数额", "成立日期", "登记状态", "经营范围",
                  "住所", "登记机关"]
PERSON_COLUMNS = ["统一社会信用代码", "人员类型", "姓名", "证件类型", "证件号码", "认缴出资额", "出资比例"]
FORMAT = CsvFormat(encoding="utf-8", bom=False, quoting="minimal", line_ending="\n")
ID_RATES = {"legacy_15": 0.003, "lowercase_x": 0.002}


def render_persons(world: World) -> pd.DataFrame:
    """Every row of `entity_persons` rendered (index kept); ID quirks drawn once per row."""
    p = world.tables["entity_persons"]
    eligible = pd.Series((p["id_kind"] == "居民身份证").to_numpy() & (p["planted"] == "").to_numpy(), index=p.index)
    ids = stable_id_quirks(p["id_number"], pd.Series(p.index.astype(str), index=p.index), eligible, ID_RATES,
                           world.rng("business:render"))
    return pd.DataFrame({
        "统一社会信用代码": p["uscc"], "人员类型": p["role"], "姓名": p["name"], "证件类型": p["id_kind"],
        "证件号码": ids, "认缴出资额": decimal_text(p["contribution"], 6), "出资比例": p["share"],
    }, index=p.index).astype("str")


def render_entities(entities: pd.DataFrame) -> pd.DataFrame:
    """SCZT rows of one snapshot (登记状态 as of that day, see `business_on`)."""
    return pd.DataFrame({
        "统一社会信用代码": entities["uscc"], "主体名称": entities["name"], "市场主体类型": entities["etype"],
        "注册资本": decimal_text(entities["capital"], 6), "资金数额": decimal_text(entities["funds"], 6),
        "成立日期": entities["established"].dt.strftime("%Y-%m-%d"), "登记状态": entities["status"],
        "经营范围": entities["scope"], "住所": entities["address"], "登记机关": entities["authority"],
    }, index=entities.index).astype("str")


def write(world: World) -> None:
    persons_rendered = render_persons(world)
    ents, persons = world.tables["entities"], world.tables["entity_persons"]
    root = world.cfg.out / "landing" / SOURCE
    for folder in weekly_folder_dates(world.cfg, 2):
        e, p = business_on(ents, persons, folder - timedelta(days=1))
        e = e.sort_values(["established", "uscc"], kind="stable")
        rank = pd.Series(range(len(e)), index=e["uscc"].to_numpy())
        # persons follow their entity's order; orphans (no entity) at the end
        pos = rank.reindex(p["uscc"]).fillna(len(e)).to_numpy()
        p = p.assign(_pos=pos).sort_values(["_pos"], kind="stable")
        day = f"{folder:%Y%m%d}"
        fate = delivery_fate(world, SOURCE, day, can_be_missing=True)
        rng = world.rng(f"business:fate:{day}")
        # A broken delivery breaks one file (SCZT_RY) and re-delivers it; the pair is otherwise whole.
        ry_fate = fate
        e_fate = fate if not fate.broken else Fate()
        write_delivery(root / day / f"SCZT_{day}.csv", render_entities(e).reset_index(drop=True), FORMAT,
                       e_fate, rng)
        write_delivery(root / day / f"SCZT_RY_{day}.csv", persons_rendered.loc[p.index].reset_index(drop=True),
                       FORMAT, ry_fate, rng)
