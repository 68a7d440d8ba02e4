"""Market entities and their persons (tables `entities`, `entity_persons`; grain and columns in
simulator/domains/assets.py).

Volumes at full scale (business.yaml): ~180k entities (~76% 个体工商户), ~260k person rows; weekly ~400
new entities, ~250 closures, ~150 changes of persons. 个体工商户 operators come from all walks of life
(poor households included: a small 资金数额 does not break the asset rule), company roles mostly from
wealthy households, cooperative members from rural households (their 投资人 role is exempt).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from simulator import geo
from simulator.domains.assets import (
    DAY,
    Pool,
    change_period_start,
    outsiders,
    pick,
    scale_factor,
    share_text,
    split_hundredths,
    weekly_folder_dates,
)
from simulator.ids import make_usccs
from simulator.names import person_names
from simulator.planted import PBusiness
from simulator.world import World

#: (市场主体类型, share of entities, USCC category digit, mean age in years)
ETYPES = (("个体工商户", 0.76, "2", 6.0), ("有限责任公司", 0.18, "1", 8.0), ("股份有限公司", 0.003, "1", 10.0),
          ("个人独资企业", 0.015, "1", 9.0), ("合伙企业", 0.007, "1", 6.0), ("农民专业合作社", 0.035, "3", 8.0))
ACTIVE = ("存续", "在业")
#: Roles allowed per entity type (business.yaml SCZT_RY 人员类型).
ROLES = {"个体工商户": ("经营者",), "有限责任公司": ("法定代表人", "股东"), "股份有限公司": ("法定代表人", "股东"),
         "个人独资企业": ("投资人",), "合伙企业": ("执行事务合伙人", "投资人"), "农民专业合作社": ("法定代表人", "投资人")}
BUREAU = "滕州市市场监督管理局"
CITY_BUREAU = "枣庄市市场监督管理局"

_ZIHAO = "鑫源恒泰华宇宏达金诺瑞丰盛隆兴旺永康佳美天成博远德信顺通汇荣昌益民鲁善龙腾飞宏利和润嘉禾新科创"
_INDUSTRY = {
    "物流": "一般项目：道路货物运输（不含危险货物）；国内货物运输代理；装卸搬运。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "商贸": "一般项目：日用百货销售；五金产品零售；建筑材料销售；农副产品销售。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "机械": "一般项目：通用设备制造（不含特种设备制造）；机械零件、零部件加工；机械设备销售。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "建材": "一般项目：建筑材料销售；水泥制品制造；砼结构构件制造。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "食品": "许可项目：食品生产；食品销售。（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）",
    "建筑工程": "许可项目：建设工程施工；住宅室内装饰装修。一般项目：园林绿化工程施工；土石方工程施工。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "农业科技": "一般项目：农业科学研究和试验发展；谷物种植；蔬菜种植；农作物病虫害防治服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "电子科技": "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；电子产品销售；计算机软硬件及辅助设备零售。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "餐饮管理": "许可项目：餐饮服务。一般项目：餐饮管理；外卖递送服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "纺织": "一般项目：面料纺织加工；服装制造；针纺织品销售。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "化工": "一般项目：化工产品销售（不含许可类化工产品）；专用化学产品制造（不含危险化学品）。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
    "汽车服务": "一般项目：机动车修理和维护；汽车零配件零售；洗车服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
}
_SHOPS = {
    "百货店": "日用百货、五金交电零售。", "副食部": "预包装食品、散装食品零售。", "餐馆": "餐饮服务。",
    "理发店": "理发服务。", "农资经营部": "化肥、农药（不含危险化学品）、种子零售。", "手机维修部": "手机维修，通讯器材零售。",
    "水果店": "水果、蔬菜零售。", "服装店": "服装、鞋帽零售。", "小吃部": "小吃服务，预包装食品零售。",
    "修车铺": "自行车、电动车、摩托车修理。", "建材经营部": "建筑材料、装饰材料零售。", "快餐店": "快餐服务，饮料零售。",
}
_COOP_PRODUCTS = ("马铃薯种植", "蔬菜种植", "果品", "粮食种植", "生猪养殖", "农机服务", "中药材种植", "食用菌", "花卉苗木")
_COOP_SCOPE = ("组织收购、销售成员种植的农产品；引进新技术、新品种，开展与农业生产经营有关的技术培训、技术交流和信息咨询服务。"
               "（依法须经批准的项目，经相关部门批准后方可开展经营活动）")
_FOREIGN = ("SMITH JOHN", "KIM MINHO", "TANAKA HIROSHI", "LEE SOOJIN", "MULLER THOMAS", "NGUYEN VAN AN")


def _town_short(town: str) -> str:
    return town.removesuffix("街道").removesuffix("镇")


def build(world: World, pool: Pool) -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = world.cfg
    rng = world.rng("assets:business")
    ents, persons = _background(world, pool, rng)
    p_ents, p_persons = _planted(world, pool, world.rng("assets:business-planted"), set(ents["uscc"]))
    ents = pd.concat([ents, p_ents], ignore_index=True)
    ents["name"] = _unique(ents["name"])
    persons = pd.concat([persons, p_persons], ignore_index=True)
    persons = _person_changes(cfg, pool, persons, ents, world.rng("assets:business-changes"))
    persons = _orphans(cfg, pool, persons, ents, world.rng("assets:business-orphans"))
    return ents.reset_index(drop=True), corporate_names(ents, persons).reset_index(drop=True)


# --- entities -------------------------------------------------------------------------------------

def _unique(names: pd.Series) -> pd.Series:
    """Registered names are unique: a later clash gets a branch number （2）, （3）, …."""
    out = names.copy()
    dup = out.duplicated()
    if dup.any():
        rank = out.groupby(out).cumcount() + 1
        out[dup] = out[dup] + "（" + rank[dup].astype(str) + "）"
    return out


def _established(rng: np.random.Generator, horizon: np.datetime64, mean_years: np.ndarray,
                 floor: np.ndarray) -> np.ndarray:
    age_days = (rng.exponential(mean_years * 365.25)).astype(np.int64)
    est = horizon - age_days * DAY
    late = est < floor
    est[late] = floor[late] + (rng.random(int(late.sum())) * ((horizon - floor[late]) / DAY)).astype(np.int64) * DAY
    return est


def _usccs(rng: np.random.Generator, category: np.ndarray, modern: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Distinct codes: one make_usccs call per (category, modern body, area) group, so no collisions."""
    out = np.empty(len(category), dtype=object)
    for cat in ("1", "2", "3"):
        for mod in (False, True):
            for is_city in (False, True):
                sel = np.flatnonzero((category == cat) & (modern == mod) & (city == is_city))
                if len(sel):
                    out[sel] = make_usccs(len(sel), cat, rng, area="370400" if is_city else "370481",
                                          modern_share=1.0 if mod else 0.0)
    return out


def _names(rng: np.random.Generator, etype: np.ndarray, town: np.ndarray, village: np.ndarray,
           operator: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Registered names (unique) and 经营范围 per entity."""
    n = len(etype)
    industries = list(_INDUSTRY)
    shops = list(_SHOPS)
    ind = rng.integers(0, len(industries), size=n)
    shop = rng.integers(0, len(shops), size=n)
    prod = rng.integers(0, len(_COOP_PRODUCTS), size=n)
    zi = rng.integers(0, len(_ZIHAO), size=(n, 3))
    use_operator = rng.random(n) < 0.4
    names = np.empty(n, dtype=object)
    scope = np.empty(n, dtype=object)
    for i in range(n):
        zihao = _ZIHAO[zi[i, 0]] + _ZIHAO[zi[i, 1]]
        t, industry = etype[i], industries[ind[i]]
        if t == "个体工商户":
            who = operator[i] if use_operator[i] and operator[i] else zihao
            names[i] = f"滕州市{town[i]}{who}{shops[shop[i]]}"
            scope[i] = _SHOPS[shops[shop[i]]]
        elif t == "农民专业合作社":
            names[i] = f"滕州市{village[i]}{_COOP_PRODUCTS[prod[i]]}专业合作社"
            scope[i] = _COOP_SCOPE
        else:
            names[i] = {"有限责任公司": f"滕州市{zihao}{industry}有限公司", "股份有限公司": f"山东{zihao}{industry}股份有限公司",
                        "个人独资企业": f"滕州市{zihao}{industry}经营部",
                        "合伙企业": f"滕州市{zihao}{industry}合伙企业（有限合伙）"}[t]
            scope[i] = _INDUSTRY[industry]
    # Names are unique in a register: a clash gets a third 字号 character, then a branch number.
    for attempt in range(6):
        dup = np.flatnonzero(pd.Series(names).duplicated().to_numpy())
        if not len(dup):
            break
        for i in dup:
            extra = _ZIHAO[zi[i, 2]] if attempt == 0 else str(attempt + 1)
            names[i] = names[i].replace("滕州市", "滕州市" + extra, 1) if attempt == 0 else f"{names[i]}（{extra}）"
    return names, scope


def _background(world: World, pool: Pool, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = world.cfg
    sf = scale_factor(cfg)
    horizon = np.datetime64(cfg.horizon_end, "D")
    counts = [max(1, round(180_000 * sf * share)) for _, share, _, _ in ETYPES]
    etype = np.repeat(np.array([t[0] for t in ETYPES], dtype=object), counts)
    n = len(etype)
    meta = {t[0]: t for t in ETYPES}
    mean_years = np.array([meta[t][3] for t in etype])
    floor = np.where(etype == "农民专业合作社", np.datetime64("2007-07-01"), np.datetime64("1995-01-01"))
    established = _established(rng, horizon, mean_years, floor.astype("datetime64[D]"))
    capital, funds = _capital(rng, etype)
    # Persons first (under provisional codes): an entity is established once all its persons are adults.
    tmp = np.array([f"#{i}" for i in range(n)], dtype=object)
    persons = _roles(world, pool, pd.DataFrame({"uscc": tmp, "etype": etype, "capital": capital}), rng)
    established = np.maximum(established, _adult_since(persons, tmp))
    established = np.minimum(established, horizon - DAY)

    # 登记状态: ~78% active, ~17% 注销, ~4.5% 吊销, ~0.5% 迁出; closures since 2016, skewed to recent weeks.
    getihu = etype == "个体工商户"
    u = rng.random(n)
    status = np.where(u < 0.17, "注销", np.where(u < 0.215, "吊销", np.where(u < 0.22, "迁出", ""))).astype(object)
    old = established < np.datetime64("2014-01-01")
    active_label = np.where(getihu & (rng.random(n) < 0.8) | ~getihu & old & (rng.random(n) < 0.4), "在业", "存续")
    lo = np.maximum(established + 90 * DAY, np.datetime64("2016-01-01"))
    closed = (status != "") & (lo < horizon)
    when = horizon - (rng.exponential(2.5 * 365.25, size=n)).astype(np.int64) * DAY
    spread = lo + (rng.random(n) * np.maximum((horizon - lo) / DAY, 1)).astype(np.int64) * DAY
    when = np.where(when < lo, spread, when)
    status = np.where(closed, status, active_label).astype(object)
    status_date = np.where(closed, when, np.datetime64("NaT")).astype("datetime64[D]")

    town_p = np.array([t[2] for t in geo.TOWNS])
    town = rng.choice(np.array(geo.TOWN_NAMES, dtype=object), size=n, p=town_p / town_p.sum())
    coop = etype == "农民专业合作社"
    town[coop] = rng.choice(np.array([t for t in geo.TOWN_NAMES if not geo.is_urban(t)], dtype=object),
                            size=int(coop.sum()))
    village = np.array([geo.village_names(t, 1, rng)[0] for t in town], dtype=object)
    city = ~getihu & (rng.random(n) < 0.125)
    authority = np.where(city, CITY_BUREAU, BUREAU).astype(object)
    station = ~city & (rng.random(n) < np.where(getihu, 0.34, 0.05))
    authority[station] = [f"{BUREAU}{_town_short(t)}市场监督管理所" for t in town[station]]
    category = np.array([meta[t][2] for t in etype])
    uscc = _usccs(rng, category, established >= np.datetime64("2016-01-01"), city)
    code = dict(zip(tmp, uscc, strict=True))
    persons["uscc"] = persons["uscc"].map(code)
    corp = persons["id_kind"] == "统一社会信用代码"
    persons.loc[corp, "id_number"] = persons.loc[corp, "id_number"].map(code)

    ents = pd.DataFrame({
        "uscc": uscc, "etype": etype, "capital": capital, "funds": funds,
        "established": established.astype("datetime64[s]"),
        "initial_status": active_label.astype(object), "status": status,
        "status_date": status_date.astype("datetime64[s]"), "town": town, "village": village,
        "authority": authority,
    })
    operator = (persons[persons["role"] == "经营者"].drop_duplicates("uscc").set_index("uscc")["name"]
                .reindex(ents["uscc"]).fillna("").to_numpy())
    names, scope = _names(rng, etype, town, village, operator)
    ents["name"] = names
    ents["scope"] = _scope_quirks(rng, scope, established < horizon - 60 * DAY)
    ents["address"] = _addresses(rng, town, village)
    ents["planted"] = ""
    return ents[ENTITY_COLUMNS], persons


def _adult_since(persons: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """Per entity (in `codes` order) the day its youngest resident-ID person turned 18 (1900-01-01 if none)."""
    card = persons[persons["id_kind"] == "居民身份证"]
    birth = pd.to_datetime(card["id_number"].str.slice(6, 14), format="%Y%m%d", errors="coerce")
    adult = (birth + pd.DateOffset(years=18)).to_numpy().astype("datetime64[D]")
    latest = pd.Series(adult, index=card["uscc"].to_numpy()).groupby(level=0).max()
    out = latest.reindex(codes).to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(out), np.datetime64("1900-01-01", "D"), out)


ENTITY_COLUMNS = ["uscc", "name", "etype", "capital", "funds", "established", "initial_status", "status",
                  "status_date", "scope", "address", "authority", "town", "planted"]
PERSON_COLUMNS = ["uscc", "role", "pid", "name", "id_kind", "id_number", "contribution", "share",
                  "valid_from", "valid_to", "planted"]


def _capital(rng: np.random.Generator, etype: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """注册资本 (NaN for 个体工商户) and 资金数额 (个体工商户 only; ~30% empty, ~10% above 10万元)."""
    n = len(etype)
    median = pd.Series(etype).map({"有限责任公司": 100.0, "股份有限公司": 3000.0, "个人独资企业": 20.0,
                                    "合伙企业": 100.0, "农民专业合作社": 50.0, "个体工商户": 3.0}).to_numpy()
    raw = median * np.exp(rng.normal(0, 1.1, size=n))
    capital = np.where(raw >= 10, np.round(raw), np.round(raw, 1))
    capital = np.maximum(capital, 0.5)
    getihu = etype == "个体工商户"
    funds = np.where(getihu & (rng.random(n) >= 0.30), capital, np.nan)
    return np.where(getihu, np.nan, capital), funds


def _scope_quirks(rng: np.random.Generator, scope: np.ndarray, settled: np.ndarray) -> np.ndarray:
    """ASCII commas in ~5% of 经营范围 (then quoted) and line breaks in ~0.1% (quirk multiline_scope; at
    least one, on an entity established before the weeks written so every snapshot shows one)."""
    out = scope.copy()
    n = len(out)
    comma = np.flatnonzero(rng.random(n) < 0.05)
    for i in comma:
        s = out[i]
        out[i] = s.replace("，", ",", 1) if "，" in s else s.replace("、", ",", 1)
    k = max(1, int(rng.binomial(n, 0.001)))
    pool = np.flatnonzero(settled)
    for i in rng.choice(pool, size=min(k, len(pool)), replace=False):
        s = out[i]
        cut = max(s.find("；"), s.find("。"))
        cut = cut + 1 if cut >= 0 else len(s) // 2
        out[i] = s[:cut] + ("\r\n" if rng.random() < 0.5 else "\n") + s[cut:]
    return out


def _addresses(rng: np.random.Generator, town: np.ndarray, village: np.ndarray) -> np.ndarray:
    n = len(town)
    road = rng.integers(0, len(geo._ROADS), size=n)
    num = rng.integers(1, 600, size=n)
    park = rng.random(n) < 0.15
    out = np.empty(n, dtype=object)
    for i in range(n):
        base = f"山东省枣庄市滕州市{town[i]}"
        if geo.is_urban(town[i]):
            out[i] = f"{base}{geo._ROADS[road[i]]}{num[i]}号"
        elif park[i]:
            out[i] = f"{base}工业园区{geo._ROADS[road[i]]}{num[i]}号"
        else:
            out[i] = f"{base}{village[i]}"
    return out


# --- persons --------------------------------------------------------------------------------------

class _People:
    """Weighted person draws for the roles, and the rows they make."""

    def __init__(self, pool: Pool, rng: np.random.Generator, cfg) -> None:
        self.pool, self.rng, self.cfg = pool, rng, cfg
        a = pool.adults
        age = pool.age[a]
        self.getihu = a[(age >= 20) & (age <= 70)]
        self.getihu_w = 0.5 + pool.wealth[self.getihu]
        self.company = a[(age >= 25) & (age <= 75)]
        self.company_w = 0.02 + pool.wealth[self.company] ** 3
        self.rural = a[~pool.urban[a] & (age >= 30) & (age <= 75)]

    def persons(self, which: str, n: int) -> pd.DataFrame:
        """n person rows (pid, name, id_kind 居民身份证, id_number); ~5% outsiders (pid -1)."""
        cand, w = {"getihu": (self.getihu, self.getihu_w), "company": (self.company, self.company_w),
                   "rural": (self.rural, None)}[which]
        pid = pick(self.rng, cand, w, n)
        out = pd.DataFrame({"pid": pid, "name": self.pool.names[pid], "id_kind": "居民身份证",
                            "id_number": self.pool.ids[pid]})
        if which != "rural":
            o = np.flatnonzero(self.rng.random(n) < 0.05)
            ext = outsiders(self.rng, len(o), self.cfg)
            out.loc[o, "pid"] = -1
            out.loc[o, "name"] = ext["name"].to_numpy()
            out.loc[o, "id_number"] = ext["id_number"].to_numpy()
        return out

    def foreign(self, n: int) -> pd.DataFrame:
        """Holders with 护照, 港澳居民来往内地通行证 or 其他 (Taiwan permits): not in any register."""
        kind = self.rng.choice(np.array(["护照", "港澳居民来往内地通行证", "其他"], dtype=object), size=n, p=[0.4, 0.4, 0.2])
        digits = self.rng.integers(10_000_000, 99_999_999, size=n)
        letter = self.rng.choice(np.array(list("EGKP")), size=n)
        hk = self.rng.choice(np.array(list("HM")), size=n)
        ids = np.where(kind == "护照", np.char.add(letter, digits.astype(str)),
                       np.where(kind == "港澳居民来往内地通行证", np.char.add(hk, digits.astype(str)),
                                digits.astype(str))).astype(object)
        names = np.where(kind == "护照", self.rng.choice(np.array(_FOREIGN, dtype=object), size=n),
                         person_names(self.rng.random(n) < 0.5, self.rng))
        return pd.DataFrame({"pid": -1, "name": names, "id_kind": kind, "id_number": ids})


def _holder_counts(rng: np.random.Generator, etype: np.ndarray) -> np.ndarray:
    """Number of capital holders (股东/投资人) per entity (0 for 个体工商户)."""
    n = len(etype)
    k = np.zeros(n, dtype=np.int64)
    llc = etype == "有限责任公司"
    k[llc] = rng.choice([1, 2, 3, 4, 5, 6], size=int(llc.sum()), p=[0.5, 0.33, 0.11, 0.04, 0.015, 0.005])
    k[etype == "股份有限公司"] = rng.integers(2, 8, size=int((etype == "股份有限公司").sum()))
    k[etype == "个人独资企业"] = 1
    k[etype == "合伙企业"] = rng.integers(2, 6, size=int((etype == "合伙企业").sum()))
    k[etype == "农民专业合作社"] = rng.integers(5, 8, size=int((etype == "农民专业合作社").sum()))
    return k


def _roles(world: World, pool: Pool, ents: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """SCZT_RY rows of the background entities, with shares (and the share_sum quirk)."""
    people = _People(pool, rng, world.cfg)
    etype = ents["etype"].to_numpy()
    uscc = ents["uscc"].to_numpy()
    capital = ents["capital"].to_numpy()
    frames = []
    # 个体工商户: exactly one 经营者.
    g = np.flatnonzero(etype == "个体工商户")
    op = people.persons("getihu", len(g))
    op["uscc"], op["role"], op["_rank"] = uscc[g], "经营者", -1
    frames.append(op)

    # Capital holders of the other types.
    k = _holder_counts(rng, etype)
    h_ent = np.repeat(np.arange(len(etype)), k)
    h_type = etype[h_ent]
    rank = pd.Series(h_ent).groupby(h_ent).cumcount().to_numpy()
    holders = pd.DataFrame({"pid": np.full(len(h_ent), -1), "name": None, "id_kind": None, "id_number": None},
                           index=np.arange(len(h_ent)))
    coop = h_type == "农民专业合作社"
    for which, mask in (("rural", coop), ("company", ~coop)):
        idx = np.flatnonzero(mask)
        holders.loc[idx, ["pid", "name", "id_kind", "id_number"]] = people.persons(which, len(idx)).to_numpy()
    # Corporate holders (股份 40%, 有限 8%, 合伙 15%) and foreign / HK / Taiwan persons (~1.5%).
    corp_p = np.select([h_type == "股份有限公司", h_type == "有限责任公司", h_type == "合伙企业"], [0.4, 0.08, 0.15], 0.0)
    corp = np.flatnonzero(rng.random(len(h_ent)) < corp_p)
    companies = np.flatnonzero(np.isin(etype, ["有限责任公司", "股份有限公司"]))
    if len(companies) and len(corp):
        src = rng.choice(companies, size=len(corp))
        ok = src != h_ent[corp]
        corp, src = corp[ok], src[ok]
        holders.loc[corp, "pid"] = -1
        holders.loc[corp, "name"] = None  # filled after names exist (see _corporate_names)
        holders.loc[corp, "id_kind"] = "统一社会信用代码"
        holders.loc[corp, "id_number"] = uscc[src]
    foreign = np.flatnonzero((rng.random(len(h_ent)) < 0.015) & ~coop & (holders["id_kind"] == "居民身份证").to_numpy())
    holders.loc[foreign, ["pid", "name", "id_kind", "id_number"]] = people.foreign(len(foreign)).to_numpy()
    # One holder row per person and entity: redraw repeats (draws are with replacement).
    cols = ["pid", "name", "id_kind", "id_number"]
    for _ in range(20):
        dup = np.flatnonzero(pd.DataFrame({"e": h_ent, "id": holders["id_number"].to_numpy()}).duplicated().to_numpy())
        if not len(dup):
            break
        for which, mask in (("rural", coop[dup]), ("company", ~coop[dup])):
            holders.loc[dup[mask], cols] = people.persons(which, int(mask.sum())).to_numpy()
    holders["uscc"] = uscc[h_ent]
    holders["role"] = np.where(np.isin(h_type, ["有限责任公司", "股份有限公司"]), "股东", "投资人")
    contribution, share = _shares(rng, h_ent, capital, etype)
    holders["contribution"], holders["share"] = contribution, share
    holders["_ent"], holders["_rank"] = h_ent, rank

    # 法定代表人 (companies, cooperatives): usually the first person holder; 执行事务合伙人 (partnerships).
    lead_types = np.isin(etype, ["有限责任公司", "股份有限公司", "农民专业合作社", "合伙企业"])
    lead = np.flatnonzero(lead_types)
    first = holders[(holders["_rank"] == 0)].set_index("_ent")
    reuse = (rng.random(len(lead)) < 0.8) & (first.loc[lead, "id_kind"].to_numpy() == "居民身份证")
    reps = first.loc[lead, ["pid", "name", "id_kind", "id_number"]].reset_index(drop=True)
    fresh = np.flatnonzero(~reuse)
    is_coop = etype[lead[fresh]] == "农民专业合作社"
    for which, mask in (("rural", is_coop), ("company", ~is_coop)):
        sel = fresh[mask]
        reps.loc[sel, ["pid", "name", "id_kind", "id_number"]] = people.persons(which, len(sel)).to_numpy()
    reps["uscc"] = uscc[lead]
    reps["role"] = np.where(etype[lead] == "合伙企业", "执行事务合伙人", "法定代表人")
    reps["_ent"] = lead
    reps["_rank"] = -1
    frames.append(reps)
    frames.append(holders)
    out = pd.concat(frames, ignore_index=True)
    ent_of = pd.Series(np.arange(len(uscc)), index=uscc)
    out["_ent"] = ent_of.reindex(out["uscc"]).to_numpy()
    out = out.sort_values(["_ent", "_rank"], kind="stable").reset_index(drop=True)
    out["contribution"] = out["contribution"].astype(float)
    out["valid_from"] = np.datetime64("NaT", "s")
    out["valid_to"] = np.datetime64("NaT", "s")
    out["planted"] = ""
    out["pid"] = out["pid"].astype(np.int64)
    return out.drop(columns=["_ent", "_rank"])[PERSON_COLUMNS]


def _shares(rng: np.random.Generator, h_ent: np.ndarray, capital: np.ndarray,
            etype: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """认缴出资额 and 出资比例 per holder row: exact 100% per entity, except the share_sum quirk
    (~2% of entities: rounded thirds 99.99%/100.01%; ~0.5%: clearly not 100%)."""
    n = len(h_ent)
    weights = rng.integers(1, 10, size=n).astype(float)
    hundredths = np.zeros(n, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, h_ent[1:] != h_ent[:-1]]) if n else np.array([], dtype=int)
    ends = np.r_[starts[1:], n] if n else starts
    sizes = ends - starts
    thirds = np.flatnonzero(sizes == 3)
    n_thirds = min(len(thirds), max(1, round(0.02 * len(starts)))) if len(thirds) else 0
    thirds = set(rng.choice(thirds, size=n_thirds, replace=False).tolist()) if n_thirds else set()
    multi = np.flatnonzero(sizes >= 2)
    n_off = min(len(multi), max(1, round(0.005 * len(starts)))) if len(multi) else 0
    off = set(rng.choice(multi, size=n_off, replace=False).tolist()) if n_off else set()
    off -= thirds
    for j, (s, e) in enumerate(zip(starts, ends, strict=True)):
        if j in thirds:
            hundredths[s:e] = [3333, 3333, 3333] if rng.random() < 0.5 else [3334, 3334, 3333]
        else:
            hundredths[s:e] = split_hundredths(weights[s:e])
        if j in off:  # an incompletely recorded transfer: one holder's share is stale
            hundredths[s] = max(1, hundredths[s] + int(rng.choice([-1, 1])) * int(rng.integers(500, 3000)))
    cap = capital[h_ent] if n else np.array([])
    contribution = np.round(cap * hundredths / 10000, 6)
    return contribution, share_text(hundredths)


# --- planted ----------------------------------------------------------------------------------------

def _planted(world: World, pool: Pool, rng: np.random.Generator,
             taken: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One entity per planted PBusiness fact: the member in the stated role, other required roles filled
    with background persons; status in force before the earliest weekly snapshot written."""
    cfg = world.cfg
    people = _People(pool, rng, cfg)
    earliest = np.datetime64(weekly_folder_dates(cfg, 2)[0] - timedelta(days=1), "D")
    ent_rows, person_rows = [], []
    meta = {t[0]: t for t in ETYPES}
    for h, m, pid in world.planted_members():
        for b in m.businesses:
            _check(b, h.sid)
            established = earliest - int(rng.integers(3 * 365, 10 * 365)) * DAY
            status_date = np.datetime64("NaT", "D")
            active = b.status in ACTIVE
            if not active:
                status_date = earliest - int(rng.integers(60, 400)) * DAY
            while True:
                code = str(make_usccs(1, meta[b.entity_type][2], rng, modern_share=1.0)[0])
                if code not in taken:
                    taken.add(code)
                    break
            capital = np.nan if b.entity_type == "个体工商户" else float(rng.choice([10, 50, 100, 200, 500]))
            ent = {"uscc": code, "etype": b.entity_type, "capital": capital,
                   "funds": np.nan if b.funds_wan is None else float(b.funds_wan),
                   "established": established.astype("datetime64[s]"),
                   "initial_status": "在业" if b.entity_type == "个体工商户" else "存续",
                   "status": b.status, "status_date": status_date.astype("datetime64[s]"),
                   "authority": BUREAU, "town": h.town, "planted": h.sid}
            member = {"pid": pid, "name": world.people.at[pid, "name"], "id_kind": "居民身份证",
                      "id_number": world.id_of(pid)}
            rows = _planted_roles(b, member, people, capital)
            town = h.town
            village = geo.village_names(town, 1, rng)[0]
            operator = member["name"] if b.entity_type == "个体工商户" else ""
            names, scope = _names(rng, np.array([b.entity_type], dtype=object), np.array([town], dtype=object),
                                  np.array([village], dtype=object), np.array([operator], dtype=object))
            ent.update(name=names[0], scope=scope[0], address=_addresses(rng, np.array([town]),
                                                                         np.array([village]))[0])
            if active:  # the stated status on every snapshot
                ent["initial_status"] = b.status
            ent_rows.append(ent)
            for r in rows:
                r.update(uscc=code, valid_from=np.datetime64("NaT", "s"), valid_to=np.datetime64("NaT", "s"),
                         planted=h.sid)
                person_rows.append(r)
    ents = pd.DataFrame(ent_rows, columns=ENTITY_COLUMNS)
    persons = pd.DataFrame(person_rows, columns=PERSON_COLUMNS)
    if len(persons):
        persons["pid"] = persons["pid"].astype(np.int64)
        persons["contribution"] = persons["contribution"].astype(float)
    return ents, persons


def _check(b: PBusiness, sid: str) -> None:
    if b.entity_type not in ROLES:
        raise ValueError(f"{sid}: unknown 市场主体类型 {b.entity_type!r}")
    if b.role not in ROLES[b.entity_type]:
        raise ValueError(f"{sid}: role {b.role!r} does not exist for {b.entity_type}")
    if b.status not in ("存续", "在业", "注销", "吊销", "迁出"):
        raise ValueError(f"{sid}: unknown 登记状态 {b.status!r}")
    if b.funds_wan is not None and b.entity_type != "个体工商户":
        raise ValueError(f"{sid}: 资金数额 exists only for 个体工商户")


def _planted_roles(b: PBusiness, member: dict, people: _People, capital: float) -> list[dict]:
    """The roles an entity of this type needs: the member's, the others from background persons."""

    taken = {member["id_number"]}

    def person(which: str) -> dict:
        while True:  # distinct persons, never the member
            p = _one(people, which)
            if p["id_number"] not in taken:
                taken.add(p["id_number"])
                return p

    t, role = b.entity_type, b.role
    rural = "rural" if t == "农民专业合作社" else "company"
    if t == "个体工商户":
        return [_row(member, "经营者")]
    if t == "个人独资企业":
        return [_row(member, "投资人", capital, 10000)]
    lead_role = "执行事务合伙人" if t == "合伙企业" else "法定代表人"
    holder_role = "投资人" if t in ("合伙企业", "农民专业合作社") else "股东"
    min_holders = {"有限责任公司": 1, "股份有限公司": 2, "合伙企业": 2, "农民专业合作社": 5}[t]
    if role == lead_role:
        lead = _row(member, lead_role)
        holders = [person(rural) for _ in range(min_holders)]
    else:
        lead = _row(person(rural), lead_role)
        holders = [member] + [person(rural) for _ in range(min_holders - 1)]
    shares = split_hundredths(np.ones(len(holders)))
    return [lead] + [_row(p, holder_role, capital, s) for p, s in zip(holders, shares, strict=True)]


def _one(people: _People, which: str) -> dict:
    row = people.persons(which, 1).iloc[0]
    if row["pid"] == -1:  # planted roles are filled with registered persons only
        row = people.persons("rural", 1).iloc[0]
    return {"pid": int(row["pid"]), "name": row["name"], "id_kind": row["id_kind"], "id_number": row["id_number"]}


def _row(p: dict, role: str, capital: float | None = None, hundredths: int | None = None) -> dict:
    r = {k: p[k] for k in ("pid", "name", "id_kind", "id_number")}
    r["role"] = role
    if hundredths is None:
        r["contribution"], r["share"] = np.nan, None
    else:
        r["contribution"] = round(float(capital) * int(hundredths) / 10000, 6)
        r["share"] = str(share_text(np.array([hundredths]))[0])
    return r


# --- changes and quirks -------------------------------------------------------------------------------

def _person_changes(cfg, pool: Pool, persons: pd.DataFrame, ents: pd.DataFrame,
                    rng: np.random.Generator) -> pd.DataFrame:
    """~150 changes of persons a week: a 股东 of an active company replaced on a day of the change period."""
    start = np.datetime64(change_period_start(cfg), "D")
    horizon = np.datetime64(cfg.horizon_end, "D")
    weeks = (horizon - start) / DAY / 7
    n = int(rng.poisson(150 * scale_factor(cfg) * weeks))
    active = ents[(ents["planted"] == "") & ents["status"].isin(ACTIVE)
                  & (ents["established"] < start.astype("datetime64[s]"))]["uscc"]
    cand = persons.index[(persons["role"] == "股东") & persons["uscc"].isin(active)
                         & (persons["id_kind"] == "居民身份证") & (persons["planted"] == "")]
    cand = cand[~persons.loc[cand, "uscc"].duplicated().to_numpy()]
    if n == 0 or len(cand) == 0:
        return persons
    chosen = np.sort(rng.choice(cand, size=min(n, len(cand)), replace=False))
    when = (start + rng.integers(0, int((horizon - start) / DAY) + 1, size=len(chosen)) * DAY).astype("datetime64[s]")
    new = persons.loc[chosen].copy()
    people = _People(pool, rng, cfg)
    repl = people.persons("company", len(chosen))
    current = set(zip(persons["uscc"], persons["id_number"], strict=True))
    for j, code in enumerate(new["uscc"].to_numpy()):
        while (code, repl.at[j, "id_number"]) in current:  # never someone already recorded there
            repl.loc[j] = people.persons("company", 1).iloc[0].to_numpy()
    new[["pid", "name", "id_kind", "id_number"]] = repl[["pid", "name", "id_kind", "id_number"]].to_numpy()
    new["pid"] = new["pid"].astype(np.int64)
    new["valid_from"] = when
    persons = persons.copy()
    persons.loc[chosen, "valid_to"] = when
    return pd.concat([persons, new]).sort_index(kind="stable").reset_index(drop=True)


def _orphans(cfg, pool: Pool, persons: pd.DataFrame, ents: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Quirk orphan_person (~0.01% of rows, at least one): persons of an entity absent from SCZT."""
    n = max(1, int(rng.binomial(len(persons), 0.0001)))
    known = set(ents["uscc"])
    codes = [c for c in make_usccs(n + 5, "1", rng, modern_share=0.5) if c not in known][:n]
    who = _People(pool, rng, cfg).persons("company", len(codes))
    rows = pd.DataFrame({"uscc": codes, "role": rng.choice(np.array(["法定代表人", "股东"], dtype=object), size=len(codes)),
                         "pid": who["pid"].to_numpy().astype(np.int64), "name": who["name"].to_numpy(),
                         "id_kind": "居民身份证", "id_number": who["id_number"].to_numpy(),
                         "contribution": np.nan, "share": None, "valid_from": np.datetime64("NaT", "s"),
                         "valid_to": np.datetime64("NaT", "s"), "planted": ""})
    hold = rows["role"] == "股东"
    rows.loc[hold, "contribution"] = 50.0
    rows.loc[hold, "share"] = "100%"
    return pd.concat([persons, rows], ignore_index=True)


def corporate_names(ents: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Fill the names of corporate holders from their entity (used once names exist)."""
    names = ents.set_index("uscc")["name"]
    corp = persons["id_kind"] == "统一社会信用代码"
    persons = persons.copy()
    persons.loc[corp, "name"] = names.reindex(persons.loc[corp, "id_number"]).to_numpy()
    return persons

