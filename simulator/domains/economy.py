"""Economy: employers, jobs, social-insurance benefits, taxable incomes and housing-fund accounts.

What is true about people's money, before the social insurance, tax and housing-fund departments
report it (simulator/sources/social_insurance.py, tax.py, housing_fund.py render it). Everything is
drawn from the household's latent `wealth` percentile: households below `POOR_WEALTH` have no wage
earners (a minority of flexible-employment contributors at the floor, which never counts as income,
and small occasional 劳务报酬), no employee pension, no unemployment benefit.

Months are month indexes `mi = year * 12 + month - 1` (see `month_index`); `NO_END` = open-ended.
World tables (`world.tables[...]`), one row per:
- `employers` — employer (unit): `emp` (= row), `unit_no` (11 digits, 370481xxxxx; the flexible-
  employment pseudo unit is 37048199999), `name`, `kind` (enterprise / public / flexible),
  `gjj_rate` (housing-fund rate per side, 0 = no housing fund).
- `jobs` — employment spell: `job` (= row), `pid`, `emp`, `kind` ('110' employee, '120' public
  payroll, 'flex' 110 under the pseudo unit, 'none' wage without social insurance), `wage` (monthly
  wage at the as-of year's level; grows `WAGE_GROWTH` a year), `start_mi`, `end_mi` (inclusive),
  `tax` (wage declared to tax every month), `si_base` (fixed 缴费基数, NaN = derived from the wage),
  `si_210`, `si_410` (unemployment / work-injury insurance), `planted`.
- `benefits` — benefit spell: `pid`, `kind` (待遇类型), `amount` (monthly at the as-of year's level),
  `raise_rate` (annual raise, effective January), `start_mi`, `end_mi`, `planted`.
- `resident_contrib` — 城乡居民养老保险 (170) contribution: `pid`, `year`, `level` (yuan a year).
- `tax_income` — taxable income of one group (person, item, agent, period): `pid` (-1 for
  non-ID taxpayers), `fid` (row of `foreign_taxpayers`, else -1), `item` (所得项目), `agent`
  (扣缴义务人名称, '' = self-declared), `period_mi` (the month; for 经营所得 the quarter's last month),
  `amount` (收入额; 经营所得 cumulative since January), `planted`, `first_declared` (planted: first
  declared amount before a 更正申报, else NaN), `reversed_only` (planted: declared then 冲正).
- `foreign_taxpayers` — taxpayer without a Chinese ID: `fid`, `taxpayer_id` (18 chars, not a
  valid ID number), `name`.
- `gjj_accounts` — housing-fund account: `account` (12 digits), `pid`, `emp1`/`start1`/`end1` (the
  first contributing spell), `emp2`/`start2`/`end2` (a spell after a transfer; -1/NO_END/-1 when
  none), `rate`, `wage` (as in `jobs`), `base_fixed` (planted 缴存基数, else NaN), `arrears_from`
  (payments stop from this month while the account stays 正常), `close_mi` (销户 month), `never_paid`,
  `balance0` (balance at the horizon start), `planted`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator import geo
from simulator.planted import PMember
from simulator.world import World

NO_END = 10**6
POOR_WEALTH = 0.07
WAGE_GROWTH = 0.04
MIN_WAGE = 2100.0
UNEMPLOYMENT_BENEFIT = 1890.0  # 90% of the minimum wage
FLEX_UNIT = "37048199999"
FLEX_NAME = "滕州市灵活就业人员"
#: Months of history the domain simulates before the as-of month (SI keeps 36 months).
HORIZON_MONTHS = 40
#: Planted facts cover these months before the as-of month (policy window + months around it).
PLANTED_MONTHS = 18

ITEM_WAGE, ITEM_LABOR, ITEM_BUSINESS, ITEM_RENT, ITEM_INTEREST = (
    "工资、薪金所得", "劳务报酬所得", "经营所得", "财产租赁所得", "利息、股息、红利所得")
TAX_ITEMS = (ITEM_WAGE, ITEM_LABOR, ITEM_BUSINESS, ITEM_RENT, ITEM_INTEREST)
BENEFIT_KINDS = ("基本养老金", "城乡居民基础养老金", "失业保险金", "工伤保险待遇")


# ---- months and wage parameters --------------------------------------------------------------

def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def yyyymm(mi: int) -> str:
    return f"{mi // 12:04d}{mi % 12 + 1:02d}"


def yyyymm_array(mi: np.ndarray) -> np.ndarray:
    """'YYYYMM' texts of month indexes, vectorised."""
    mi = np.asarray(mi, dtype=np.int64)
    return np.char.add(np.char.zfill((mi // 12).astype(str), 4), np.char.zfill((mi % 12 + 1).astype(str), 2))


def months_of(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Month index of datetimes; NaT -> NO_END."""
    d = np.asarray(dates, dtype="datetime64[M]")
    out = d.astype(np.int64) + 1970 * 12
    return np.where(np.isnat(d), NO_END, out)


def avg_wage(year: int | np.ndarray) -> np.ndarray:
    """Provincial average monthly wage the contribution floor and ceiling derive from."""
    return np.round(7300.0 * (1 + WAGE_GROWTH) ** (np.asarray(year) - 2025))


def si_floor(year: int | np.ndarray) -> np.ndarray:
    return np.round(0.6 * avg_wage(year))


def si_ceiling(year: int | np.ndarray) -> np.ndarray:
    return np.round(3.0 * avg_wage(year))


def wage_in_year(wage: np.ndarray, year: int | np.ndarray, ref_year: int) -> np.ndarray:
    """A job's monthly wage level in `year` (wages are stated at the as-of year's level)."""
    return np.asarray(wage, dtype=float) * (1 + WAGE_GROWTH) ** (np.asarray(year) - ref_year)


def si_contribution_base(wage: np.ndarray, year: int | np.ndarray, ref_year: int) -> np.ndarray:
    """缴费基数: the wage clipped to 60%-300% of the average wage, whole yuan."""
    return np.clip(np.round(wage_in_year(wage, year, ref_year)), si_floor(year), si_ceiling(year))


def gjj_contribution_base(wage: np.ndarray, year: int | np.ndarray, ref_year: int) -> np.ndarray:
    """缴存基数: last year's average monthly wage within the minimum wage and 3x the average wage."""
    prev = np.asarray(year) - 1
    return np.clip(np.round(wage_in_year(wage, prev, ref_year)), MIN_WAGE, si_ceiling(prev))


def money_array(cents: np.ndarray) -> pa.Array:
    """Contract money texts '-?\\d+\\.\\d{2}' of integer cents as an Arrow string array (shared by the sources)."""
    c = np.asarray(cents, dtype=np.int64)
    a = np.abs(c)
    whole = pc.cast(pa.array(a // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(a % 100), pa.string()), 2, "0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    if (c < 0).any():
        text = pc.if_else(pa.array(c < 0), pc.binary_join_element_wise(pa.scalar("-"), text, ""), text)
    return text


def text_array(values: pd.Series | pd.Index | np.ndarray | list[str]) -> pa.Array:
    """Arrow strings (take() from them is fast; pandas object columns are slow to build)."""
    if isinstance(values, pd.Series | pd.Index):
        arr = pa.array(values, from_pandas=True)
    elif isinstance(values, np.ndarray):
        arr = pa.array(values.astype(object), from_pandas=True)
    else:
        arr = pa.array(values, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def to_cents(yuan: np.ndarray) -> np.ndarray:
    """Yuan amounts to integer cents, rounded half up."""
    return np.floor(np.asarray(yuan, dtype=float) * 100 + 0.5 + 1e-7).astype(np.int64)


def public_base(m: PMember, year: int) -> float:
    """缴费基数 of a planted member's 120 rows: si_base, else the wage, else the 60% floor of the year."""
    if m.si_base > 0:
        return float(m.si_base)
    if m.wage > 0:
        return float(m.wage)
    return float(si_floor(year))


def planted_months(as_of: date) -> tuple[int, int]:
    """(first, last) month index of the months planted facts are rendered for."""
    a = month_index(as_of)
    return a - PLANTED_MONTHS, a - 1


def expand_months(start: np.ndarray, end: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, month) pairs for every month of each row's [start, end] within [lo, hi]."""
    s = np.maximum(np.asarray(start, dtype=np.int64), lo)
    e = np.minimum(np.asarray(end, dtype=np.int64), hi)
    n = np.clip(e - s + 1, 0, None)
    idx = np.repeat(np.arange(len(s)), n)
    off = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return idx, s[idx] + off


# ---- names -----------------------------------------------------------------------------------

_BRAND = "鑫源恒达华润金泰宏瑞丰永兴盛世博远中联鲁南善国墨龙泉荆河北辛汇天元东方新利民和隆益康众诚信聚佳创德鼎宇安昌广海红嘉禾立明沃通万豪伟业祥亿航正卓"
_INDUSTRY = ("物流", "建筑工程", "机械制造", "化工", "煤业", "食品", "纺织", "商贸", "电子", "建材", "水泥",
             "玻璃", "医药", "农业科技", "房地产开发", "汽车销售服务", "餐饮管理", "印刷", "包装", "钢结构",
             "电力工程", "环保科技", "网络科技", "物业管理", "酒店管理", "劳务服务", "运输", "服装", "家具",
             "塑业", "矿业", "机电设备", "工贸", "生物科技", "新材料", "木业", "建设工程", "面粉")
_SUFFIX = (("有限公司", 0.75), ("有限责任公司", 0.14), ("股份有限公司", 0.04), ("厂", 0.07))
_SHOPS = ("商店", "超市", "饭店", "五金店", "建材经营部", "汽车修理部", "养殖场", "服装店", "家电经营部",
          "农资经营部", "烟酒店", "蔬菜批发部", "粮食加工厂", "装饰部", "水果店", "理发店", "快餐店")
_BUREAUS = ("财政局", "教育和体育局", "民政局", "人力资源和社会保障局", "公安局", "自然资源局", "住房和城乡建设局",
            "交通运输局", "农业农村局", "水利局", "商务局", "文化和旅游局", "卫生健康局", "应急管理局", "审计局",
            "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "司法局", "退役军人事务局", "行政审批服务局",
            "中心人民医院", "中医医院", "妇幼保健院", "第一中学", "第二中学", "第三中学", "实验中学", "实验小学",
            "北辛中学", "善国中学", "职业教育中心学校", "政务服务中心", "疾病预防控制中心", "人民法院",
            "人民检察院", "图书馆", "滨湖国家湿地公园管理服务中心", "融媒体中心")


def _brands(n: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.integers(0, len(_BRAND), size=n)
    b = rng.integers(0, len(_BRAND), size=n)
    b = np.where(a == b, (b + 1) % len(_BRAND), b)
    chars = np.array(list(_BRAND))
    return np.char.add(chars[a], chars[b])


def _enterprise_names(n: int, rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    suffixes = np.array([s for s, _ in _SUFFIX])
    p = np.array([w for _, w in _SUFFIX])
    while len(out) < n:
        k = n - len(out)
        brand = _brands(k, rng)
        ind = np.array(_INDUSTRY)[rng.integers(0, len(_INDUSTRY), size=k)]
        suf = rng.choice(suffixes, size=k, p=p / p.sum())
        pre = np.where(rng.random(k) < 0.1, "山东", "滕州市")
        for name in np.char.add(np.char.add(np.char.add(pre, brand), ind), suf):
            if name not in seen:
                seen.add(str(name))
                out.append(str(name))
    return out


def _public_names(n: int, rng: np.random.Generator) -> list[str]:
    """City bureaus, hospitals and schools first, then town governments, schools and clinics."""
    names = ["滕州市" + b for b in _BUREAUS]
    for town in geo.TOWN_NAMES:
        urban = geo.is_urban(town)
        names += [f"滕州市{town}{'办事处' if urban else '人民政府'}", f"滕州市{town}中心小学",
                  f"滕州市{town}中学", f"滕州市{town}{'社区卫生服务中心' if urban else '卫生院'}"]
    k = 4
    while len(names) < n:
        names.append(f"滕州市第{'一二三四五六七八九十'[k % 10]}{'中学' if k % 2 else '小学'}{k // 10 or ''}")
        k += 1
    order = rng.permutation(len(names))
    return [names[i] for i in order[:n]]


def _business_names(towns: np.ndarray, rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for town in towns:
        while True:
            b = _brands(1, rng)[0]
            name = f"滕州市{town}{b}{_SHOPS[rng.integers(len(_SHOPS))]}"
            if name not in seen:
                seen.add(name)
                out.append(name)
                break
    return out


# ---- the population view the domain draws from ----------------------------------------------

class _Pop:
    """Per-person arrays (index = pid) used by every draw."""

    def __init__(self, world: World) -> None:
        p = world.people
        cfg = world.cfg
        self.n = len(p)
        self.asof = month_index(cfg.as_of)
        self.ref_year = cfg.as_of.year
        self.h0 = self.asof - HORIZON_MONTHS
        self.birth_mi = months_of(p["birth_date"])
        self.death_mi = months_of(p["death_date"])
        out = months_of(p["out_date"])
        self.out_mi = np.where(p["out_status"].to_numpy() != "", out, NO_END)
        self.male = (p["sex"] == "男").to_numpy()
        hh_wealth = world.households.set_index("hh")["wealth"]
        self.wealth = hh_wealth.reindex(p["hh"].to_numpy()).to_numpy()
        self.bg = (p["planted"] == "").to_numpy() & p["resident"].to_numpy()
        self.age = (self.asof - self.birth_mi) // 12
        self.town = world.households.set_index("hh")["town"].reindex(p["hh"].to_numpy()).to_numpy()
        # Last month a person can work or draw a benefit here (death month; month before moving out).
        self.last_mi = np.minimum(self.death_mi, self.out_mi - 1)


# ---- employers -------------------------------------------------------------------------------

def _employers(world: World) -> pd.DataFrame:
    rng = world.rng("economy:employers")
    scale = world.cfg.scale
    n_ent = max(25, round(12_000 * scale))
    n_pub = max(8, round(700 * scale))
    units = rng.choice(np.arange(1, 99_999), size=n_ent + n_pub, replace=False)
    weight = np.concatenate([rng.pareto(1.1, n_ent) + 1, rng.pareto(1.5, n_pub) + 1])
    weight = np.minimum(weight, np.quantile(weight, 0.999))
    kind = np.array(["enterprise"] * n_ent + ["public"] * n_pub, dtype=object)
    # Housing fund: the larger enterprises (about half of the jobs), a few small ones, all public units.
    ent_w = weight[:n_ent]
    order = np.argsort(-ent_w, kind="stable")
    share = np.cumsum(ent_w[order]) / ent_w.sum()
    gjj_ent = np.zeros(n_ent, dtype=bool)
    gjj_ent[order[share <= 0.5]] = True
    gjj_ent |= rng.random(n_ent) < 0.05
    rates = np.array([0.05, 0.06, 0.07, 0.08, 0.10, 0.12])
    ent_rate = np.where(gjj_ent, rng.choice(rates, size=n_ent, p=[0.3, 0.1, 0.1, 0.2, 0.15, 0.15]), 0.0)
    pub_rate = rng.choice(np.array([0.10, 0.12]), size=n_pub, p=[0.3, 0.7])
    df = pd.DataFrame({
        "unit_no": np.char.add("370481", np.char.zfill(units.astype(str), 5)).astype(object),
        "name": _enterprise_names(n_ent, rng) + _public_names(n_pub, rng),
        "kind": kind,
        "gjj_rate": np.concatenate([ent_rate, pub_rate]),
        "weight": weight,
    })
    flex = pd.DataFrame({"unit_no": [FLEX_UNIT], "name": [FLEX_NAME], "kind": ["flexible"],
                         "gjj_rate": [0.0], "weight": [0.0]})
    df = pd.concat([df, flex], ignore_index=True)
    df.insert(0, "emp", np.arange(len(df)))
    return df


def _pick_employers(employers: pd.DataFrame, kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    sub = employers[employers["kind"] == kind]
    w = sub["weight"].to_numpy()
    return sub["emp"].to_numpy()[rng.choice(len(sub), size=n, p=w / w.sum())]


# ---- jobs ------------------------------------------------------------------------------------

def _wages(kind: np.ndarray, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    median = np.select([kind == "120", kind == "110", kind == "none"],
                       [5200 + 3000 * w, 3200 + 4000 * w, 2800 + 3000 * w], default=0.0)
    sigma = np.where(kind == "120", 0.2, 0.3)
    wage = median * np.exp(rng.normal(0, 1, len(w)) * sigma)
    return np.where(kind == "flex", 0.0, np.clip(np.round(wage), MIN_WAGE, 60_000))


def _background_jobs(pop: _Pop, employers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    h0, a = pop.h0, pop.asof
    adult_mi = pop.birth_mi + 18 * 12
    retire = pop.birth_mi + np.where(pop.male, 720, 600)
    cand = pop.bg & (pop.last_mi > h0) & (adult_mi <= a) & (retire > h0)
    w = pop.wealth
    age_f = np.select([pop.age < 22, pop.age < 25, pop.age < 50], [0.35, 0.8, 1.0], default=0.7)
    p_formal = np.where(w < POOR_WEALTH, 0.0, 0.11 + 0.42 * np.clip((w - POOR_WEALTH) / 0.93, 0, 1) ** 0.8) * age_f
    u = rng.random(pop.n)
    formal = cand & (u < p_formal)
    r = rng.random(pop.n)
    p120 = 0.025 + 0.13 * w ** 2
    kind = np.where(r < p120, "120", np.where(r < p120 + 0.55, "110", "none")).astype(object)
    flex = cand & ~formal & (pop.age >= 22) & (rng.random(pop.n) < np.where(w < POOR_WEALTH, 0.10, 0.025))
    kind = np.where(flex, "flex", kind)
    pid = np.flatnonzero(formal | flex)
    kind = kind[pid]
    n = len(pid)
    retire = np.where((kind == "120") & ~pop.male[pid], pop.birth_mi[pid] + 660, retire[pid])
    long_ago = rng.random(n) < 0.85
    start = np.where(long_ago, h0 - rng.integers(1, 240, n), h0 + rng.integers(0, a - h0 + 1, n))
    start = np.maximum(start, adult_mi[pid])
    ends = rng.random(n) < np.where(kind == "120", 0.05, 0.25)
    end_v = np.where(ends, np.maximum(start, h0) + rng.integers(0, 10**6, n) % (a - np.maximum(start, h0) + 1),
                     NO_END)
    end = np.minimum(np.minimum(end_v, retire - 1), pop.last_mi[pid])
    voluntary = end == end_v
    first = pd.DataFrame({"pid": pid, "kind": kind, "start_mi": start, "end_mi": end, "voluntary": voluntary,
                          "retire": retire})
    first = first[first["start_mi"] <= first["end_mi"]]
    # Re-employment after a voluntary end: a new spell with another employer.
    again = first[first["voluntary"] & (first["end_mi"] < a)]
    again = again[rng.random(len(again)) < 0.55].copy()
    again["start_mi"] = again["end_mi"] + rng.integers(1, 9, len(again))
    keep_kind = rng.random(len(again)) < 0.8
    again["kind"] = np.where(keep_kind | (again["kind"] == "flex"), again["kind"],
                             np.where(rng.random(len(again)) < 0.5, "110", "none"))
    again["end_mi"] = np.minimum(again["retire"] - 1, pop.last_mi[again["pid"].to_numpy()])
    again["voluntary"] = False
    again = again[(again["start_mi"] <= again["end_mi"]) & (again["start_mi"] <= a)]
    jobs = pd.concat([first, again], ignore_index=True).sort_values(["pid", "start_mi"], kind="stable")
    jobs = jobs.reset_index(drop=True)
    k = jobs["kind"].to_numpy()
    nj = len(jobs)
    emp = np.empty(nj, dtype=np.int64)
    ent = (k == "110") | (k == "none")
    emp[ent] = _pick_employers(employers, "enterprise", int(ent.sum()), rng)
    pub = k == "120"
    emp[pub] = _pick_employers(employers, "public", int(pub.sum()), rng)
    emp[k == "flex"] = employers.index[employers["kind"] == "flexible"][0]
    jobs["emp"] = emp
    jobs["wage"] = _wages(k, w[jobs["pid"].to_numpy()], rng)
    jobs["tax"] = k != "flex"
    jobs["si_base"] = np.nan
    jobs["si_210"] = np.where(k == "110", rng.random(nj) < 0.85, (k == "120") & (rng.random(nj) < 0.3))
    jobs["si_410"] = np.where(k == "110", rng.random(nj) < 0.80, (k == "120") & (rng.random(nj) < 0.3))
    jobs["planted"] = False
    return jobs


# ---- benefits --------------------------------------------------------------------------------

def _background_benefits(pop: _Pop, jobs: pd.DataFrame, rng: np.random.Generator, scale: float) -> pd.DataFrame:
    h0, a = pop.h0, pop.asof
    w = pop.wealth
    frames = []
    alive_h0 = pop.bg & (pop.death_mi >= h0)
    # 基本养老金 (a): retired before the horizon; (b): jobs ending at retirement within it.
    retire = pop.birth_mi + np.where(pop.male, 720, 600)
    p_pen = np.where(w < POOR_WEALTH, 0.0, 0.02 + 0.30 * w ** 1.5)
    old = alive_h0 & (retire <= h0) & (rng.random(pop.n) < p_pen)
    pid = np.flatnonzero(old)
    public = rng.random(len(pid)) < 0.25
    amt = np.where(public, 4800 * np.exp(rng.normal(0, 0.15, len(pid))), 2700 * np.exp(rng.normal(0, 0.2, len(pid))))
    frames.append(pd.DataFrame({"pid": pid, "kind": "基本养老金", "amount": amt, "raise_rate": 0.025,
                                "start_mi": h0 - 1, "end_mi": pop.death_mi[pid]}))
    jr = jobs[(jobs["kind"] != "none") & (jobs["end_mi"] == jobs["retire"] - 1) & (jobs["end_mi"] < a)]
    jr = jr.drop_duplicates("pid", keep="last")
    jw = jr["wage"].to_numpy()
    amt = np.where(jr["kind"] == "120", 0.8 * jw, np.where(jr["kind"] == "flex", 2100.0, 0.45 * jw + 1000))
    frames.append(pd.DataFrame({"pid": jr["pid"].to_numpy(), "kind": "基本养老金", "amount": amt, "raise_rate": 0.025,
                                "start_mi": jr["end_mi"].to_numpy() + 1,
                                "end_mi": pop.death_mi[jr["pid"].to_numpy()]}))
    has_pension = np.zeros(pop.n, dtype=bool)
    for f in frames:
        has_pension[f["pid"].to_numpy()] = True
    # 城乡居民基础养老金 from age 60 for those without an employee pension.
    turns60 = pop.birth_mi + 720
    p_res = np.where(w < POOR_WEALTH, 0.9, 0.6)
    res = pop.bg & ~has_pension & (turns60 < a) & (pop.death_mi >= h0) & (rng.random(pop.n) < p_res)
    pid = np.flatnonzero(res)
    amt = np.where(w[pid] < POOR_WEALTH, 190 + rng.exponential(25, len(pid)), 190 + rng.exponential(90, len(pid)))
    frames.append(pd.DataFrame({"pid": pid, "kind": "城乡居民基础养老金", "amount": np.minimum(amt, 560),
                                "raise_rate": 0.03, "start_mi": np.maximum(turns60[pid] + 1, h0 - 1),
                                "end_mi": pop.death_mi[pid]}))
    # 失业保险金 after losing a 110 job (until re-employed, at most 24 months).
    ended = jobs[(jobs["kind"] == "110") & jobs["voluntary"] & (jobs["end_mi"] < a)]
    nxt = jobs.groupby("pid")["start_mi"].max()
    ended = ended[rng.random(len(ended)) < 0.4]
    e_pid = ended["pid"].to_numpy()
    b_start = ended["end_mi"].to_numpy() + 1
    later = nxt.reindex(e_pid).to_numpy()
    stop = np.where(later > b_start, later - 1, NO_END)
    b_end = np.minimum(np.minimum(b_start + rng.integers(2, 24, len(e_pid)), stop), pop.last_mi[e_pid])
    frames.append(pd.DataFrame({"pid": e_pid, "kind": "失业保险金", "amount": UNEMPLOYMENT_BENEFIT, "raise_rate": 0.0,
                                "start_mi": b_start, "end_mi": b_end}))
    # ... and spells already running when the horizon starts.
    employed = np.zeros(pop.n, dtype=bool)
    employed[jobs["pid"].to_numpy()] = True
    idle = pop.bg & ~employed & (w >= POOR_WEALTH) & (pop.age >= 25) & (pop.age < 55) & (pop.last_mi > h0)
    pid = np.flatnonzero(idle & (rng.random(pop.n) < 0.002))
    s = h0 - rng.integers(0, 20, len(pid))
    frames.append(pd.DataFrame({"pid": pid, "kind": "失业保险金", "amount": UNEMPLOYMENT_BENEFIT, "raise_rate": 0.0,
                                "start_mi": s, "end_mi": np.minimum(s + rng.integers(3, 24, len(pid)),
                                                                    pop.last_mi[pid])}))
    # 工伤保险待遇: a long-running monthly allowance.
    cand = np.flatnonzero(pop.bg & (w >= POOR_WEALTH) & (pop.age >= 25) & (pop.age < 75) & (pop.death_mi >= h0))
    n_inj = min(len(cand), max(1, round(2000 * scale)))
    pid = np.sort(rng.choice(cand, size=n_inj, replace=False))
    frames.append(pd.DataFrame({"pid": pid, "kind": "工伤保险待遇", "amount": np.round(rng.uniform(1500, 4000, n_inj)),
                                "raise_rate": 0.0, "start_mi": h0 - rng.integers(1, 120, n_inj),
                                "end_mi": pop.death_mi[pid]}))
    out = pd.concat(frames, ignore_index=True)
    lo = np.where(out["kind"] == "基本养老金", 2200.0, 180.0)  # earlier years' levels stay above 2000
    out["amount"] = np.round(np.clip(out["amount"].to_numpy(), lo, 6000), 2)
    out = out[out["start_mi"] <= out["end_mi"]]
    out["planted"] = False
    return out.reset_index(drop=True)


# ---- 城乡居民养老保险 contributions -------------------------------------------------------------

def _resident_contrib(pop: _Pop, jobs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    y0 = (pop.asof - 37) // 12
    years = np.arange(y0, pop.asof // 12 + 1)
    covered = np.zeros((pop.n, len(years)), dtype=bool)
    si = jobs[jobs["kind"] != "none"]
    for j, y in enumerate(years):
        hit = (si["start_mi"].to_numpy() <= y * 12 + 11) & (si["end_mi"].to_numpy() >= y * 12)
        covered[si["pid"].to_numpy()[hit], j] = True
    levels = np.array([300, 500, 800, 1000, 1500, 2000, 3000, 4000, 5000], dtype=float)
    p_lv = np.array([0.42, 0.22, 0.06, 0.12, 0.05, 0.05, 0.04, 0.02, 0.02])
    frames = []
    birth_y = pop.birth_mi // 12
    for j, y in enumerate(years):
        age = y - birth_y
        ok = pop.bg & (pop.last_mi >= y * 12) & (age >= 16) & (age <= 59) & ~covered[:, j]
        p = np.where(age >= 18, 0.66, 0.1)
        pid = np.flatnonzero(ok & (rng.random(pop.n) < p))
        lv = rng.choice(levels, size=len(pid), p=p_lv)
        gov = (pop.wealth[pid] < 0.06) & (rng.random(len(pid)) < 0.8)
        frames.append(pd.DataFrame({"pid": pid, "year": int(y), "level": np.where(gov, 100.0, lv)}))
    return pd.concat(frames, ignore_index=True)


# ---- taxable income --------------------------------------------------------------------------

def tax_period_range(world: World) -> tuple[int, int]:
    """Tax periods the world states incomes for: room for late filings before the first delivery."""
    first = month_index(world.cfg.monthly_history_start) - 3  # tax delivers one quarter more
    return first - 9, month_index(world.cfg.as_of) - 1


class _Agents:
    """扣缴义务人名称 by code: the employers first (code = emp), then businesses and '' (self-declared)."""

    def __init__(self, employers: pd.DataFrame) -> None:
        self.names: list[str] = list(employers["name"])
        self._code = {n: i for i, n in enumerate(self.names)}

    def code(self, name: str) -> int:
        if name not in self._code:
            self._code[name] = len(self.names)
            self.names.append(name)
        return self._code[name]

    def codes(self, names: list[str]) -> np.ndarray:
        return np.array([self.code(n) for n in names], dtype=np.int32)


def _tax_frame(pid: np.ndarray, item: str, agent: np.ndarray, period: np.ndarray, amount: np.ndarray,
               fid: np.ndarray | None = None) -> pd.DataFrame:
    """tax_income rows in compact types (item and agent as codes until `build` makes them categorical)."""
    n = len(pid)
    return pd.DataFrame({"pid": np.asarray(pid, dtype=np.int32),
                         "fid": np.full(n, -1, dtype=np.int32) if fid is None else np.asarray(fid, dtype=np.int32),
                         "item": np.full(n, TAX_ITEMS.index(item), dtype=np.int8),
                         "agent": np.asarray(agent, dtype=np.int32), "period_mi": np.asarray(period, dtype=np.int32),
                         "amount": np.round(amount, 2)})


def _background_tax(world: World, pop: _Pop, jobs: pd.DataFrame, employers: pd.DataFrame, agents: _Agents,
                    rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    t0, t1 = tax_period_range(world)
    w = pop.wealth
    emp_code = employers["emp"].to_numpy()  # agent code = employer row
    parts: list[pd.DataFrame] = []
    frame = _tax_frame

    # 工资、薪金所得: every month of a declared job; ~1% zero (unpaid leave under 全员全额申报).
    tj = jobs[jobs["tax"]]
    idx, m = expand_months(tj["start_mi"].to_numpy(), tj["end_mi"].to_numpy(), t0, t1)
    wage = wage_in_year(tj["wage"].to_numpy()[idx], m // 12, pop.ref_year)
    amount = wage * np.clip(rng.normal(1.0, 0.05, len(idx)), 0.8, 1.3)
    amount = np.where(rng.random(len(idx)) < 0.01, 0.0, amount)
    parts.append(frame(tj["pid"].to_numpy()[idx], ITEM_WAGE, emp_code[tj["emp"].to_numpy()[idx]], m, amount))
    adult = pop.bg & (pop.age >= 20) & (pop.last_mi >= t0)
    ent = employers[employers["kind"] == "enterprise"]
    ent_w = ent["weight"].to_numpy() / ent["weight"].sum()

    def monthly(pid: np.ndarray, p_month: float, median: np.ndarray, sigma: float, lo: float, hi: float,
                item: str, payers: np.ndarray) -> None:
        months = np.arange(t0, t1 + 1)
        k = len(pid)
        hit = rng.random((k, len(months))) < p_month
        hit &= months[None, :] <= pop.last_mi[pid][:, None]
        r, c = np.nonzero(hit)
        amt = np.clip(median[r] * np.exp(rng.normal(0, sigma, len(r))), lo, hi)
        parts.append(frame(pid[r], item, payers[r], months[c], np.round(amt)))

    # 劳务报酬所得: occasional work; the poor small amounts.
    rich = np.flatnonzero(adult & (pop.age < 66) & (w >= POOR_WEALTH) & (rng.random(pop.n) < 0.04))
    poor = np.flatnonzero(adult & (pop.age < 66) & (w < POOR_WEALTH) & (rng.random(pop.n) < 0.08))
    for pid, pm, med, lo, hi in ((rich, 0.65, 2500.0, 300.0, 30_000.0), (poor, 0.3, 500.0, 200.0, 1000.0)):
        payer = emp_code[ent["emp"].to_numpy()[rng.choice(len(ent), size=len(pid), p=ent_w)]]
        monthly(pid, pm, np.full(len(pid), med), 0.6 if med > 1000 else 0.3, lo, hi, ITEM_LABOR, payer)
    # 财产租赁所得: ~60% self-declared (no agent).
    pid = np.flatnonzero(adult & (pop.age >= 30) & (w >= 0.5) & (rng.random(pop.n) < 0.01))
    payer = emp_code[ent["emp"].to_numpy()[rng.choice(len(ent), size=len(pid), p=ent_w)]]
    payer = np.where(rng.random(len(pid)) < 0.6, agents.code(""), payer)
    monthly(pid, 1.0, rng.uniform(800, 5000, len(pid)), 0.05, 500.0, 20_000.0, ITEM_RENT, payer)
    # 利息、股息、红利所得
    pid = np.flatnonzero(adult & (w >= 0.8) & (rng.random(pop.n) < 0.045))
    payer = emp_code[ent["emp"].to_numpy()[rng.choice(len(ent), size=len(pid), p=ent_w)]]
    monthly(pid, 0.3, np.full(len(pid), 3000.0), 1.0, 100.0, 200_000.0, ITEM_INTEREST, payer)
    # 经营所得: quarterly prepayment, cumulative since January, one business each.
    pid = np.flatnonzero(adult & (pop.age >= 25) & (pop.age < 66) & (w >= 0.3) & (rng.random(pop.n) < 0.015))
    names = agents.codes(_business_names(pop.town[pid], rng))
    q_level = 15_000 * np.exp(rng.normal(0, 0.7, len(pid)))
    qe = np.array([m for m in range(t0 - 12, t1 + 1) if m % 12 in (2, 5, 8, 11)])
    q_inc = q_level[:, None] * np.clip(rng.normal(1, 0.2, (len(pid), len(qe))), 0.3, 2)
    alive = qe[None, :] <= pop.last_mi[pid][:, None]
    q_inc = np.where(alive, np.round(q_inc), 0.0)
    year = qe // 12
    cum = np.zeros_like(q_inc)
    for j in range(len(qe)):
        same = year[: j + 1] == year[j]
        cum[:, j] = q_inc[:, : j + 1][:, same].sum(axis=1)
    keep = (qe >= t0)[None, :] & alive
    r, c = np.nonzero(keep)
    parts.append(frame(pid[r], ITEM_BUSINESS, names[r], qe[c], cum[r, c]))
    # Taxpayers without a Chinese ID: foreign employees of local enterprises (~0.05% of lines).
    lines_per_month = sum(len(f) for f in parts) / max(1, t1 - t0 + 1)
    n_f = max(1, round(0.0005 * lines_per_month))
    fid = np.arange(n_f)
    emp = ent["emp"].to_numpy()[rng.choice(len(ent), size=n_f, p=ent_w)]
    wage = np.round(8000 * np.exp(rng.normal(0, 0.4, n_f)))
    months = np.arange(t0, t1 + 1)
    f_idx = np.repeat(fid, len(months))
    f_m = np.tile(months, n_f)
    parts.append(frame(np.full(len(f_idx), -1), ITEM_WAGE, emp_code[emp[f_idx]], f_m,
                       wage[f_idx] * np.clip(rng.normal(1, 0.03, len(f_idx)), 0.9, 1.1), fid=f_idx))
    foreign = pd.DataFrame({"fid": fid, "taxpayer_id": _foreign_ids(n_f, rng), "name": _foreign_names(n_f, rng)})
    out = pd.concat(parts, ignore_index=True)
    return out, foreign


_LATIN = ("KIM MINJUN", "LEE SEOYEON", "PARK JIHO", "TANAKA HIROSHI", "SATO YUKI", "JOHN SMITH", "ANNA MULLER",
          "DAVID BROWN", "NGUYEN VAN AN", "MARIA GARCIA", "IVAN PETROV", "SOMCHAI SRISAI")


def _foreign_names(n: int, rng: np.random.Generator) -> list[str]:
    return [_LATIN[i] for i in rng.integers(0, len(_LATIN), size=n)]


def _foreign_ids(n: int, rng: np.random.Generator) -> list[str]:
    """18-character numbers the tax system assigns (a month 00: never a valid ID number)."""
    from simulator.ids import check_char

    out = []
    for _ in range(n):
        first17 = f"370481{int(rng.integers(1950, 2000))}00{int(rng.integers(1, 29)):02d}{int(rng.integers(0, 1000)):03d}"
        out.append(first17 + check_char(first17))
    return out


# ---- housing fund ----------------------------------------------------------------------------

def _gjj_accounts(pop: _Pop, jobs: pd.DataFrame, employers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    h0, a = pop.h0, pop.asof
    rate = employers["gjj_rate"].to_numpy()
    j = jobs[(jobs["kind"].isin(["110", "120"])) & (rate[jobs["emp"].to_numpy()] > 0)].copy()
    j = j[(j["kind"] == "120") | (rng.random(len(j)) < 0.85)]
    # A person's second gjj spell continues the first account (transfer) unless it is a new account.
    j["nth"] = j.groupby("pid").cumcount()
    firsts = j[j["nth"] == 0]
    seconds = j[j["nth"] == 1].set_index("pid")
    transfer = seconds[rng.random(len(seconds)) < 0.8]
    new_acc = seconds.drop(transfer.index)
    def spell_frame(f: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"pid": f["pid"].to_numpy(), "emp1": f["emp"].to_numpy(), "start1": f["start_mi"].to_numpy(),
                             "end1": f["end_mi"].to_numpy(), "wage": f["wage"].to_numpy(),
                             "retired": (f["end_mi"] == f["retire"] - 1).to_numpy()})

    acc = spell_frame(firsts)
    t = transfer.reindex(acc["pid"].to_numpy())
    acc["emp2"] = t["emp"].fillna(-1).astype(np.int64).to_numpy()
    acc["start2"] = t["start_mi"].fillna(NO_END).astype(np.int64).to_numpy()
    acc["end2"] = t["end_mi"].fillna(-1).astype(np.int64).to_numpy()
    acc["wage"] = np.where(acc["emp2"] >= 0, t["wage"].to_numpy(), acc["wage"].to_numpy())
    acc["retired"] = np.where(acc["emp2"] >= 0, (t["end_mi"] == t["retire"] - 1).to_numpy(), acc["retired"])
    new = spell_frame(new_acc.reset_index())
    new["emp2"], new["start2"], new["end2"] = -1, NO_END, -1
    # Old dormant accounts: a job with a housing fund long ago (some holders have died since).
    cand = np.flatnonzero(pop.bg & (pop.age >= 28) & (pop.wealth >= 0.1) & (pop.death_mi >= a - 120))
    n_old = round(len(jobs) * 0.1)
    old_pid = rng.choice(cand, size=min(n_old, len(cand)), replace=False)
    gjj_emp = employers["emp"].to_numpy()[rate > 0]
    end_old = h0 - rng.integers(1, 150, len(old_pid))
    old = pd.DataFrame({"pid": old_pid, "emp1": rng.choice(gjj_emp, size=len(old_pid)),
                        "start1": end_old - rng.integers(6, 120, len(old_pid)), "end1": end_old,
                        "wage": np.round(3500 * np.exp(rng.normal(0, 0.3, len(old_pid)))), "retired": False,
                        "emp2": -1, "start2": NO_END, "end2": -1})
    acc = pd.concat([acc, new, old], ignore_index=True)
    n = len(acc)
    acc["rate"] = np.where(rate[acc["emp1"].to_numpy()] > 0, rate[acc["emp1"].to_numpy()], 0.08)
    pid = acc["pid"].to_numpy()
    last_spell = np.where(acc["emp2"] >= 0, acc["end2"], acc["end1"])
    # 销户: withdrawn at retirement (1-3 months later), by the heirs after a death (most, within a year),
    # after moving away; some dormant accounts are closed at random.
    close = np.full(n, NO_END, dtype=np.int64)
    ret = acc["retired"].to_numpy()
    close[ret] = last_spell[ret] + rng.integers(1, 4, int(ret.sum()))
    dead = pop.death_mi[pid] < NO_END
    heirs = dead & (rng.random(n) < 0.9)
    close = np.where(heirs, np.maximum(pop.death_mi[pid], last_spell) + rng.integers(2, 13, n), close)
    moved = (pop.out_mi[pid] < NO_END) & ~dead & (rng.random(n) < 0.5)
    close = np.where(moved, pop.out_mi[pid] + rng.integers(1, 6, n), close)
    dormant = (last_spell < a) & (close == NO_END) & (rng.random(n) < 0.1)
    close = np.where(dormant, np.maximum(last_spell, h0) + rng.integers(1, 40, n), close)
    acc["close_mi"] = close
    # Arrears: the employer stops paying while the account stays 正常.
    ongoing = last_spell >= a
    acc["arrears_from"] = np.where(ongoing & (rng.random(n) < 0.015), a - rng.integers(6, 20, n), NO_END)
    acc["never_paid"] = (~ongoing) & (rng.random(n) < 0.006)
    months_paid = np.clip(np.minimum(last_spell, h0) - acc["start1"].to_numpy(), 0, 400)
    monthly = np.round(acc["wage"].to_numpy() * 0.8 * acc["rate"].to_numpy()) * 2
    keep_share = rng.uniform(0.2, 1.0, n)
    acc["balance0"] = np.where(acc["never_paid"], 0.0, np.round(months_paid * monthly * keep_share
                                                                + rng.uniform(0, 500, n), 2))
    acc["base_fixed"] = np.nan
    acc["planted"] = False
    acc = acc.drop(columns=["retired"])
    return acc


def _account_numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    nums = rng.choice(np.arange(1, 1_000_000), size=n, replace=False)
    return np.char.add("037048", np.char.zfill(nums.astype(str), 6)).astype(object)


# ---- planted persons -------------------------------------------------------------------------

def _planted(world: World, pop: _Pop, employers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Exactly the facts each planted member states (simulator/planted.py), for PLANTED_MONTHS months."""
    rng = world.rng("economy:planted")
    p0, p1 = planted_months(world.cfg.as_of)
    ent = employers[(employers["kind"] == "enterprise")]["emp"].to_numpy()
    pub = employers[(employers["kind"] == "public")]["emp"].to_numpy()
    flex_emp = int(employers.index[employers["kind"] == "flexible"][0])
    names = employers["name"].to_numpy()
    jobs, bens, tax, accs = [], [], [], []
    for h, m, pid in world.planted_members():
        end = min(p1, int(pop.death_mi[pid]))
        if end < p0:
            continue
        e1, e2, e3 = (int(x) for x in rng.choice(ent, size=3, replace=False))
        p_emp = int(rng.choice(pub))

        def job(kind: str, emp: int, wage: float, tax_: bool, base: float, pid: int = pid, end: int = end) -> None:
            jobs.append({"pid": pid, "kind": kind, "start_mi": p0, "end_mi": end, "voluntary": False,
                         "retire": NO_END, "emp": emp, "wage": wage, "tax": tax_, "si_base": base,
                         "si_210": False, "si_410": False, "planted": True})

        def lines(item: str, agent: str, amount: float, first: float = np.nan, rev: bool = False,
                  pid: int = pid, end: int = end) -> None:
            for mi in range(p0, end + 1):
                tax.append({"pid": pid, "fid": -1, "item": item, "agent": agent, "period_mi": mi, "amount": amount,
                            "planted": True, "first_declared": first, "reversed_only": rev})

        if m.wage > 0:
            job("none", e1, m.wage, True, np.nan)
            lines(ITEM_WAGE, names[e1], round(m.wage, 2),
                  np.nan if m.wage_corrected_from is None else round(m.wage_corrected_from, 2), m.wage_reversed)
        if m.wage_extra_employer > 0:
            job("none", e2, m.wage_extra_employer, True, np.nan)
            lines(ITEM_WAGE, names[e2], round(m.wage_extra_employer, 2))
        if m.labor > 0:
            lines(ITEM_LABOR, names[e3], round(m.labor, 2))
        if m.rent > 0:
            lines(ITEM_RENT, "", round(m.rent, 2))
        if m.business_income_q > 0:
            biz = _business_names(np.array([h.town]), rng)[0]
            for qe in range(p0 - 2, end + 1):
                if qe % 12 in (2, 5, 8, 11):
                    tax.append({"pid": pid, "fid": -1, "item": ITEM_BUSINESS, "agent": biz, "period_mi": qe,
                                "amount": round(m.business_income_q * (qe % 12 // 3 + 1), 2), "planted": True,
                                "first_declared": np.nan, "reversed_only": False})
        if m.si_base > 0 and (m.si_flexible or not m.si_public):
            job("flex" if m.si_flexible else "110", flex_emp if m.si_flexible else e1, m.si_base, False, m.si_base)
        if m.si_public:
            job("120", p_emp, 0.0, False, public_base(m, world.cfg.as_of.year))
        if m.gjj_base > 0:
            emp = p_emp if m.si_public else e1
            accs.append({"pid": pid, "emp1": emp, "start1": p0 - 48, "end1": end if end < p1 else NO_END,
                         "wage": m.gjj_base, "emp2": -1, "start2": NO_END, "end2": -1, "rate": 0.10,
                         "close_mi": NO_END, "arrears_from": NO_END, "never_paid": False,
                         "balance0": round(m.gjj_base * 0.2 * 24, 2), "base_fixed": m.gjj_base, "planted": True})
        for kind, amount in (("基本养老金", m.pension), ("城乡居民基础养老金", m.resident_pension),
                             ("失业保险金", m.unemployment)):
            if amount > 0:
                bens.append({"pid": pid, "kind": kind, "amount": round(amount, 2), "raise_rate": 0.0,
                             "start_mi": p0, "end_mi": end, "planted": True})
    return {"jobs": pd.DataFrame(jobs), "benefits": pd.DataFrame(bens), "tax": pd.DataFrame(tax),
            "gjj": pd.DataFrame(accs)}


# ---- build -----------------------------------------------------------------------------------

def build(world: World) -> None:
    """Add employers, jobs, benefits, resident_contrib, tax_income, foreign_taxpayers, gjj_accounts."""
    pop = _Pop(world)
    employers = _employers(world)
    jobs = _background_jobs(pop, employers, world.rng("economy:jobs"))
    benefits = _background_benefits(pop, jobs, world.rng("economy:benefits"), world.cfg.scale)
    resident = _resident_contrib(pop, jobs, world.rng("economy:resident"))
    agents = _Agents(employers)
    tax, foreign = _background_tax(world, pop, jobs, employers, agents, world.rng("economy:tax"))
    tax["planted"] = False
    tax["first_declared"] = np.nan
    tax["reversed_only"] = False
    gjj = _gjj_accounts(pop, jobs, employers, world.rng("economy:gjj"))
    planted = _planted(world, pop, employers)
    if len(planted["jobs"]):
        jobs = pd.concat([jobs, planted["jobs"]], ignore_index=True)
    if len(planted["benefits"]):
        benefits = pd.concat([benefits, planted["benefits"]], ignore_index=True)
    if len(planted["tax"]):
        pt = planted["tax"]
        pt = pt.assign(item=pt["item"].map(TAX_ITEMS.index).astype(np.int8), agent=agents.codes(list(pt["agent"])))
        tax = pd.concat([tax, pt.astype({"pid": np.int32, "fid": np.int32, "period_mi": np.int32})],
                        ignore_index=True)
    if len(planted["gjj"]):
        gjj = pd.concat([gjj, planted["gjj"]], ignore_index=True)
    jobs = jobs.drop(columns=["voluntary", "retire"]).reset_index(drop=True)
    jobs.insert(0, "job", np.arange(len(jobs)))
    gjj.insert(0, "account", _account_numbers(len(gjj), world.rng("economy:gjj-numbers")))
    tax["item"] = pd.Categorical.from_codes(tax["item"].to_numpy(), categories=list(TAX_ITEMS))
    tax["agent"] = pd.Categorical.from_codes(tax["agent"].to_numpy(), categories=agents.names)
    benefits["kind"] = pd.Categorical(benefits["kind"], categories=list(BENEFIT_KINDS))
    resident = resident.astype({"pid": np.int32, "year": np.int16})
    world.tables.update({
        "employers": employers.drop(columns=["weight"]),
        "jobs": jobs,
        "benefits": benefits.reset_index(drop=True),
        "resident_contrib": resident,
        "tax_income": tax.reset_index(drop=True),
        "foreign_taxpayers": foreign,
        "gjj_accounts": gjj.reset_index(drop=True),
    })
