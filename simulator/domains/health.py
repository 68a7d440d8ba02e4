"""Health: medical-insurance enrolment per person and year, and claim settlements (source `medical`).

What is true on the 医疗保障信息平台 before the front-database push shows it (simulator/sources/
medical.py renders the state after the push of as-of + 1).

Who needs help (`need_rank`, also used by the education and social domains): the 资助参保类别 a
person qualifies for on a day, in the contract's priority order 特困人员, 低保对象, 防返贫监测对象,
重度残疾人. Read from the welfare world tables when present: `families` + `family_members` (valid 是
members of a 低保/特困 family that is approved, not deleted and not terminated on that day),
`ffp_households` (persons of the 户号 of a household monitored that day) and `disability_certs`
(a severe certificate valid that day: 一级/二级, or 三级 智力/精神). Each table that is missing is
replaced by the latent `households.wealth` percentile: the poorest `LATENT_ASSISTANCE` of the family
households are assistance families (the poorest eighth of them 特困), the next `LATENT_FFP` are
防返贫 households, and ~1% of persons (more of the elderly) hold a severe certificate. Planted
persons never take part (their facts decide).

Scheme (职工医保 or 居民医保): from the economy tables when present (an active 110/120/flex job or a
基本养老金 in that month → 职工医保), else latent (working age and pensioners, more of them in
wealthier households, ~17% overall).

Rendering rules for planted facts (planted persons get nothing else, and no quirk):
- PMember.enrollment (参保类型, 参保状态, 资助参保类别): one row for the as-of year only (None: no
  row). Created 15 December of the year before at 10:00 (居民医保) or 1 January 08:00 (职工医保); a
  暂停/终止 status is an update 30 days before as-of at 10:00 (at least an hour after creation).
  'auto' = `auto_category` (a 是 member of an active 特困/低保 family, a 防返贫 household, a severe
  certificate, else 无); 职工医保 always 无.
- PMedical: one local settlement on as_of - days_ago, 更新时间 10:00: 个人自付 = oop, 统筹基金支付 =
  1.5 x oop (住院, 门诊慢特病) or 0.5 x oop (普通门诊), 大病 and 救助 0, 医疗总费用 the sum (住院
  admitted 7 days before). refunded → a refund row at 11:00 the same day, all five amounts negated.

World tables:

`enrollments` — one row per (person, 参保年度) created on the platform for the years as_of.year - 2 ..
    as_of.year (and as_of.year + 1 for rows paid from September on): pid, year, 参保类型, 参保状态,
    资助参保类别 (final values), created_at (insert time), changed_at (the one in-place update, NaT
    none), prev_参保类型, prev_参保状态, prev_资助参保类别 (the values before that update; equal to
    the final ones without one), true_category (what the lists said at the reference day: as_of for
    the current year, 31 December for earlier years), stale (quirk stale_subsidy_category),
    after_death (quirk enrolled_after_death), planted (scenario id or '').
    Lifecycle: 职工医保 rows are created on 1 January; 资助参保 rows in the December bulk enrolment
    of the year before; other 居民医保 rows when paid (September - February); newborns and move-ins
    after their registration. One update at most: 终止 after a death or a move out of Tengzhou,
    暂停 when employee contributions stop, a switch of scheme, or a new 资助参保类别.

`medical_risk` — one row per person: pid, rate_outpatient, rate_chronic, rate_inpatient (expected
    settlements per month of each 就诊类型; 0 for planted persons and the never insured).

`settlements` — the planted settlement rows (a planted PMedical: one settlement; refunded → plus a
    refund row the same day). The background ledger (~7M rows a year at full scale) is never held
    in memory: `settlement_months(world)` yields it one origin month at a time, planted rows
    included. Columns of both: serial (结算流水号), pid, 就诊类型, 定点医疗机构, 入院日期, 结算日期
    (datetime64[s] at midnight), total, pooled, critical, assistance, oop (int64 cents: 医疗总费用,
    统筹基金支付, 大病保险支付, 医疗救助支付, 个人自付), refund ('0'/'1'), orig_serial (原结算流水号 or
    None), updated_at (更新时间), row_kind ('settlement', 'refund', 'corrected', 'orphan_refund'),
    out_of_town (quirk late_out_of_town), rounding (quirk rounding: 个人自付 off the formula by 0.01),
    planted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator import calendar as cal
from simulator.planted import PHousehold, PMedical, PMember
from simulator.world import World

DAY = np.timedelta64(1, "D")
SEC = np.timedelta64(1, "s")

#: 资助参保类别 in priority order; rank len(CATEGORIES) = 无.
CATEGORIES: tuple[str, ...] = ("特困人员", "低保对象", "防返贫监测对象", "重度残疾人")
NONE = "无"
NO_NEED = len(CATEGORIES)
_CAT_TEXT = np.array([*CATEGORIES, NONE], dtype=object)
EMPLOYEE, RESIDENT = "职工医保", "居民医保"
PAID, SUSPENDED, ENDED = "参保缴费", "暂停", "终止"
KINDS: tuple[str, ...] = ("普通门诊", "门诊慢特病", "住院")

# Latent need when the welfare tables are absent (shares of family households / persons).
LATENT_ASSISTANCE = 0.03
LATENT_TEKUN_SHARE = 0.12
LATENT_FFP = 0.005

# Enrolment (medical.yaml).
UNINSURED = 0.05              # persons insured elsewhere or not at all
STALE_SUBSIDY = 0.05          # of persons who are 特困/低保/监测对象 during the year
AFTER_DEATH = 0.002           # of 参保缴费 rows of the current year
LATENT_SUSPEND = 0.02         # 职工医保 rows suspended when the economy tables are absent
RETENTION_YEARS = 3

# Settlements: rows per insured person and month (7M a year over ~1.6M insured persons, 85/10/5%).
RATE_OUTPATIENT, RATE_CHRONIC, RATE_INPATIENT = 0.31, 0.0365, 0.0182
REFUND_PER_SETTLEMENT = 0.0159  # refund rows ~1.5% of all rows (refunds and corrections included)
REFUND_SAME_DAY = 0.70
CORRECTED_AFTER_REFUND = 0.60
REFUND_OF_UNKNOWN = 0.0005    # of refund rows
ROUNDING = 0.0002
RETENTION_MONTHS = 36
#: Share of rows settled out of town, by 就诊类型 (~3% of all rows: quirk late_out_of_town).
OUT_OF_TOWN = (0.02, 0.02, 0.20)

COUNTY_HOSPITALS = (("滕州市中心人民医院", 0.36), ("滕州市中医医院", 0.2), ("滕州市工人医院", 0.16),
                    ("滕州市第二人民医院", 0.12), ("滕州市妇幼保健院", 0.08), ("滕州市精神卫生中心", 0.03),
                    ("滕州市第三人民医院", 0.05))
OUT_OF_TOWN_HOSPITALS = (("山东大学齐鲁医院", "370102", 0.22), ("山东省立医院", "370103", 0.18),
                         ("济宁医学院附属医院", "370811", 0.14), ("枣庄市立医院", "370402", 0.14),
                         ("徐州医科大学附属医院", "320303", 0.1), ("北京协和医院", "110101", 0.06),
                         ("复旦大学附属中山医院", "310104", 0.05), ("上海交通大学医学院附属瑞金医院", "310101", 0.05),
                         ("山东第一医科大学第一附属医院", "370102", 0.06))
AREA = "370481"


# --- small helpers --------------------------------------------------------------------------------

def _d(x: date) -> np.datetime64:
    return np.datetime64(x, "D")


def _ts(x: datetime) -> np.datetime64:
    return np.datetime64(x, "s")


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_start(mi: int) -> date:
    return date(mi // 12, mi % 12 + 1, 1)


def count_for(rate: float, n: int) -> int:
    """Rows a rare quirk hits: the rate's share of n, at least one when there is anything to hit."""
    return 0 if n <= 0 or rate <= 0 else max(1, round(rate * n))


def money_text(cents: np.ndarray) -> np.ndarray:
    """Contract money texts '-?\\d+\\.\\d{2}' of integer cents (object array), vectorised."""
    c = np.asarray(cents, dtype=np.int64)
    a = np.abs(c)
    text = np.char.add(np.char.add((a // 100).astype(str), "."), np.char.zfill((a % 100).astype(str), 2)) if len(c) \
        else np.zeros(0, dtype=str)
    return np.where(c < 0, np.char.add("-", text), text).astype(object)


def _ages(world: World, day: date) -> np.ndarray:
    birth = world.people["birth_date"].to_numpy().astype("datetime64[D]")
    return ((_d(day) - birth) / DAY / 365.25).astype(int)


def _alive_registered(world: World, day: date) -> np.ndarray:
    """Born, alive, registered in Tengzhou and not moved out at the end of `day` (mask over people)."""
    p = world.people
    d = _d(day)
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    out = p["out_date"].to_numpy().astype("datetime64[D]")
    start = p["hukou_start"].to_numpy().astype("datetime64[D]")
    return (p["resident"].to_numpy(dtype=bool) & (birth <= d) & (np.isnat(death) | (death > d))
            & (np.isnat(out) | (out > d)) & (np.isnat(start) | (start <= d)))


def _nat_or_after(values: pd.Series, d: np.datetime64) -> np.ndarray:
    v = pd.to_datetime(values).to_numpy().astype("datetime64[s]")
    return np.isnat(v) | (v > d)


def _on_or_before(values: pd.Series, d: np.datetime64) -> np.ndarray:
    v = pd.to_datetime(values).to_numpy().astype("datetime64[s]")
    return ~np.isnat(v) & (v <= d)


# --- need: the 资助参保类别 a person qualifies for on a day -----------------------------------------

def _latent_household_need(world: World) -> np.ndarray:
    """Per household: 0 特困, 1 低保, 2 防返贫, NO_NEED otherwise (wealth percentile among family households)."""
    h = world.households
    w = h["wealth"].to_numpy(dtype=float)
    family = ~h["collective"].to_numpy(dtype=bool)
    out = np.full(len(h), NO_NEED, dtype=np.int8)
    out[family & (w < LATENT_ASSISTANCE)] = 1
    out[family & (w < LATENT_ASSISTANCE * LATENT_TEKUN_SHARE)] = 0
    out[family & (w >= LATENT_ASSISTANCE) & (w < LATENT_ASSISTANCE + LATENT_FFP)] = 2
    return out


def _latent_severe(world: World) -> np.ndarray:
    """Persons with a latent severe-disability certificate (~1%, more of the elderly)."""
    u = world.rng("health:latent-disability").random(len(world.people))
    age = _ages(world, world.cfg.as_of)
    return u < np.where(age >= 60, 0.022, 0.006)


def need_rank(world: World, day: date) -> np.ndarray:
    """Per person (row of `people`): rank of the 资助参保类别 qualified for on `day` (NO_NEED = 无).

    Planted persons, persons not alive and registered that day, and persons of 集体户 get NO_NEED.
    """
    p = world.people
    n = len(p)
    t = world.tables
    d = np.datetime64(datetime.combine(day, datetime.max.time()).replace(microsecond=0), "s")
    rank = np.full(n, NO_NEED, dtype=np.int8)
    hh = p["hh"].to_numpy()
    if "families" in t and "family_members" in t:
        fam = t["families"]
        cat = fam["category"].astype(str)
        r = np.where(cat.str.endswith("特困"), 0, np.where(cat.isin(["城市低保", "农村低保"]), 1, NO_NEED))
        active = (_on_or_before(fam["first_approval"], d) & _nat_or_after(fam["deleted_at"], d)
                  & _nat_or_after(fam["terminate_at"], d) & (r < NO_NEED))
        fam_rank = pd.Series(r[active], index=fam["family_id"].to_numpy()[active])
        fam_rank = fam_rank.groupby(level=0).min()
        m = t["family_members"]
        valid = ((m["covered"] == "是").to_numpy() & _on_or_before(m["joined_at"], d)
                 & _nat_or_after(m["deleted_at"], d) & m["family_id"].isin(fam_rank.index).to_numpy())
        mr = fam_rank.reindex(m["family_id"].to_numpy()[valid]).to_numpy()
        pids = pd.to_numeric(m["pid"], errors="coerce").to_numpy()[valid]
        ok = ~np.isnan(pids) & (pids >= 0) & (pids < n)
        np.minimum.at(rank, pids[ok].astype(np.int64), mr[ok].astype(np.int8))
        latent_hh = None
    else:
        latent_hh = _latent_household_need(world)
        hr = latent_hh[hh]
        rank = np.minimum(rank, np.where(hr <= 1, hr, NO_NEED).astype(np.int8))
    if "ffp_households" in t:
        f = t["ffp_households"]
        monitored = _on_or_before(f["included"], d) & (
            _nat_or_after(f["eliminated"], d) | _on_or_before(f.get("reincluded", pd.Series(pd.NaT, index=f.index)), d))
        hhs = f["hh"].to_numpy()[monitored]
        in_ffp = np.isin(hh, hhs[hhs >= 0])
        rank = np.where(in_ffp, np.minimum(rank, 2), rank).astype(np.int8)
    else:
        latent_hh = _latent_household_need(world) if latent_hh is None else latent_hh
        rank = np.where(latent_hh[hh] == 2, np.minimum(rank, 2), rank).astype(np.int8)
    if "disability_certs" in t:
        c = t["disability_certs"]
        severe = c["grade"].isin(["一级", "二级"]) | ((c["grade"] == "三级") & c["kind"].isin(["智力", "精神"]))
        valid = severe.to_numpy() & _on_or_before(c["issue_date"], d) & _nat_or_after(c["cancel_date"], d)
        pids = pd.to_numeric(c["pid"], errors="coerce").to_numpy()[valid]
        pids = pids[~np.isnan(pids)].astype(np.int64)
        sev = np.zeros(n, dtype=bool)
        sev[pids[(pids >= 0) & (pids < n)]] = True
    else:
        sev = _latent_severe(world)
    rank = np.where(sev, np.minimum(rank, 3), rank).astype(np.int8)
    keep = _alive_registered(world, day) & (p["planted"] == "").to_numpy() & ~world.households[
        "collective"].to_numpy(dtype=bool)[hh]
    return np.where(keep, rank, NO_NEED).astype(np.int8)


def household_need(world: World, day: date) -> np.ndarray:
    """Per person: the best (lowest) need rank of anyone in the same 户号 on `day` (a poor household)."""
    rank = need_rank(world, day)
    hh = world.people["hh"].to_numpy()
    best = np.full(len(world.households), NO_NEED, dtype=np.int8)
    np.minimum.at(best, hh, rank)
    return best[hh]


# --- scheme: 职工医保 or 居民医保 --------------------------------------------------------------------

def employee_on(world: World, day: date) -> np.ndarray:
    """Per person: insured through an employer (or as a retired employee) in the month of `day`."""
    n = len(world.people)
    t = world.tables
    if "jobs" in t:
        mi = month_index(day)
        j = t["jobs"]
        act = j["kind"].isin(["110", "120", "flex"]).to_numpy() & (j["start_mi"].to_numpy() <= mi) & (
            j["end_mi"].to_numpy() >= mi)
        out = np.zeros(n, dtype=bool)
        out[j["pid"].to_numpy()[act]] = True
        if "benefits" in t:
            b = t["benefits"]
            pen = (b["kind"].astype(str) == "基本养老金").to_numpy() & (b["start_mi"].to_numpy() <= mi) & (
                b["end_mi"].to_numpy() >= mi)
            out[b["pid"].to_numpy()[pen]] = True
        return out
    # latent: working age and pensioners, more in wealthier households (~17% overall)
    u = world.rng("health:latent-employee").random(n)
    w = world.households["wealth"].to_numpy()[world.people["hh"].to_numpy()]
    age = _ages(world, day)
    p = np.where((age >= 22) & (age < 60), 0.04 + 0.4 * w, np.where(age >= 60, 0.3 * w, 0.0))
    return u < p


# --- enrolments -----------------------------------------------------------------------------------

def _office_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800, n)


def _rand_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A second uniformly in [lo, hi] (datetime64[s] arrays; hi < lo gives lo)."""
    span = np.maximum((hi - lo) / SEC, 0).astype(np.int64)
    return lo + (rng.random(len(lo)) * (span + 1)).astype(np.int64) * SEC


def _year_rows(world: World, year: int, insured: np.ndarray, after_death_quota: int | None) -> pd.DataFrame:
    """Background enrolment rows of one 参保年度 (see the module docstring for the lifecycle)."""
    cfg = world.cfg
    rng = world.rng(f"health:enrollment:{year}")
    p = world.people
    horizon = _ts(datetime.combine(cfg.horizon_end, datetime.max.time()).replace(microsecond=0))
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    ref = min(cfg.as_of, dec31)
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    out = p["out_date"].to_numpy().astype("datetime64[D]")
    start = p["hukou_start"].to_numpy().astype("datetime64[D]")
    cand = ((p["planted"] == "").to_numpy() & insured & p["resident"].to_numpy(dtype=bool)
            & (birth <= _d(dec31)) & (np.isnat(death) | (death >= _d(jan1)))
            & (np.isnat(out) | (out >= _d(jan1))) & (np.isnat(start) | (start <= _d(dec31))))
    idx = np.flatnonzero(cand)
    m = len(idx)
    emp_start = employee_on(world, min(jan1, cfg.as_of))[idx]
    emp_ref = employee_on(world, ref)[idx]
    cat_e = need_rank(world, min(date(year - 1, 12, 1), cfg.as_of))[idx]
    cat_r = need_rank(world, ref)[idx]

    # stale_subsidy_category: rows of listed persons never corrected (an outdated category, or 无 when
    # the person was not on the enrolment list although listed all year)
    stale = ((cat_e <= 2) | (cat_r <= 2)) & (rng.random(m) < STALE_SUBSIDY)
    created_cat = np.where(emp_start, NO_NEED, np.where(stale & (cat_e == cat_r), NO_NEED, cat_e))
    target_cat = np.where(stale, created_cat, cat_r)

    # created_at: 1 January batch (职工), December bulk (资助参保), payment day (others), after a late
    # registration (newborns, move-ins)
    pay_days = int((np.datetime64(date(year, 3, 1)) - np.datetime64(date(year - 1, 9, 1))) // DAY)
    paid_at = _ts(datetime(year - 1, 9, 1)) + rng.integers(0, pay_days, m) * DAY + _office_seconds(rng, m) * SEC
    bulk = _ts(datetime(year - 1, 12, 15, 2, 10, 0)) + rng.integers(0, 4, m) * SEC
    jan_batch = _ts(datetime(year, 1, 1, 1, 30, 0)) + rng.integers(0, 6, m) * SEC
    created = np.where(emp_start, jan_batch, np.where(created_cat < NO_NEED, bulk, paid_at))
    late = (birth[idx] >= _d(jan1)) | (~np.isnat(start[idx]) & (start[idx] > _d(date(year - 1, 9, 1))))
    reg_day = np.where(birth[idx] >= _d(jan1), birth[idx], start[idx]).astype("datetime64[s]")
    late_created = reg_day + rng.integers(5, 90, m) * DAY + _office_seconds(rng, m) * SEC
    created = np.where(late & (late_created > created), late_created, created)
    in_year = created <= _ts(datetime(year, 12, 31, 23, 59, 59))

    # the one in-place update, by priority: 终止 > 暂停 > switch of scheme > new category
    d_i, o_i = death[idx], out[idx]
    died = ~np.isnat(d_i) & (d_i <= _d(dec31))
    moved = ~np.isnat(o_i) & (o_i <= _d(dec31))
    end_at = (np.where(died, d_i, o_i).astype("datetime64[s]")
              + np.where(died, rng.integers(3, 60, m), rng.integers(10, 90, m)) * DAY + _office_seconds(rng, m) * SEC)
    after_death = np.zeros(m, dtype=bool)
    if after_death_quota:
        pool = np.flatnonzero(died & in_year & (d_i.astype("datetime64[s]") >= created))
        k = min(after_death_quota, len(pool))
        after_death[rng.choice(pool, size=k, replace=False)] = True
    ended = (died | moved) & ~after_death
    if "jobs" in world.tables:
        stop = emp_start & ~emp_ref
        to_res = stop & (rng.random(m) < 0.3)
        suspend = stop & ~to_res
        to_emp = ~emp_start & emp_ref
    else:
        suspend = emp_start & (rng.random(m) < LATENT_SUSPEND)
        to_res = to_emp = np.zeros(m, dtype=bool)
    switch = to_res | to_emp
    recat = ~emp_start & (target_cat != created_cat)
    kind = np.select([ended, suspend, switch, recat], [1, 2, 3, 4], 0)
    year_end = min(_ts(datetime(year, 12, 31, 23, 59, 59)), horizon)
    at = np.where(kind == 1, np.maximum(end_at, created + 3600 * SEC),
                  _rand_between(rng, np.maximum(created, _ts(datetime(year, 1, 2))), np.full(m, year_end)))
    happened = (kind > 0) & (at <= horizon)
    kind = np.where(happened, kind, 0)

    scheme0 = np.where(emp_start, EMPLOYEE, RESIDENT).astype(object)
    scheme = np.where(kind == 3, np.where(to_emp, EMPLOYEE, RESIDENT), scheme0).astype(object)
    status = np.choose(kind, [PAID, ENDED, SUSPENDED, PAID, PAID]).astype(object)
    cat = np.where(kind == 4, target_cat, created_cat)
    cat = np.where(kind == 3, np.where(to_emp, NO_NEED, target_cat), cat)
    true_cat = np.where(scheme == EMPLOYEE, NO_NEED, cat_r)
    df = pd.DataFrame({
        "pid": idx,
        "year": year,
        "参保类型": scheme,
        "参保状态": status,
        "资助参保类别": _CAT_TEXT[cat.astype(int)],
        "created_at": created.astype("datetime64[s]"),
        "changed_at": np.where(kind > 0, at, np.datetime64("NaT", "s")).astype("datetime64[s]"),
        "prev_参保类型": scheme0,
        "prev_参保状态": PAID,
        "prev_资助参保类别": _CAT_TEXT[created_cat.astype(int)],
        "true_category": _CAT_TEXT[true_cat.astype(int)],
        "stale": stale & (scheme == RESIDENT) & (cat != true_cat),
        "after_death": after_death,
        "planted": "",
    })
    return df[in_year & (created <= horizon)].reset_index(drop=True)


def auto_category(h: PHousehold, m: PMember, catalogue: tuple[PHousehold, ...]) -> str:
    """资助参保类别 'auto' of a planted member: 特困/低保 as a 是 member of an active family (his own
    household's or one naming him via extra_family_of), 防返贫 when the household has a 防返贫 row,
    重度残疾人 with a severe certificate, else 无."""
    ranks = [NO_NEED]

    def family_rank(hh: PHousehold) -> int:
        f = hh.family
        if f is None or f.deleted or f.status not in ("在保", "暂停"):
            return NO_NEED
        return 0 if f.category.endswith("特困") else 1 if f.category in ("城市低保", "农村低保") else NO_NEED

    if m.covered:
        ranks.append(family_rank(h))
    for other in catalogue:
        if other.extra_family_of == (h.sid, m.key):
            ranks.append(family_rank(other))
    if h.rural_monitoring is not None:
        ranks.append(2)
    d = m.disability
    if d is not None and d.status != "注销" and (
            d.grade in ("一级", "二级") or (d.grade == "三级" and d.kind in ("智力", "精神"))):
        ranks.append(3)
    return str(_CAT_TEXT[min(ranks)])


def _planted_enrollments(world: World) -> pd.DataFrame:
    """The as-of year's row of every planted member with an `enrollment` fact, exactly as stated."""
    cfg = world.cfg
    y = cfg.as_of.year
    rows = []
    for h, m, pid in world.planted_members():
        if m.enrollment is None:
            continue
        scheme, status, cat = m.enrollment
        cat = NONE if scheme == EMPLOYEE else (auto_category(h, m, world.planted) if cat == "auto" else cat)
        created = datetime(y, 1, 1, 8, 0, 0) if scheme == EMPLOYEE else datetime(y - 1, 12, 15, 10, 0, 0)
        changed = None
        if status != PAID:
            end = datetime.combine(cfg.as_of, datetime.min.time()) + timedelta(hours=23)
            changed = min(max(created + timedelta(hours=1),
                              datetime.combine(cfg.as_of - timedelta(days=30), datetime.min.time())
                              + timedelta(hours=10)), end)
        rows.append({"pid": pid, "year": y, "参保类型": scheme, "参保状态": status, "资助参保类别": cat,
                     "created_at": np.datetime64(created, "s"),
                     "changed_at": np.datetime64(changed, "s") if changed else np.datetime64("NaT", "s"),
                     "prev_参保类型": scheme, "prev_参保状态": PAID if changed else status, "prev_资助参保类别": cat,
                     "true_category": cat, "stale": False, "after_death": False, "planted": h.sid})
    return pd.DataFrame(rows, columns=["pid", "year", "参保类型", "参保状态", "资助参保类别", "created_at",
                                       "changed_at", "prev_参保类型", "prev_参保状态", "prev_资助参保类别",
                                       "true_category", "stale", "after_death", "planted"])


def enrollment_years(world: World) -> list[int]:
    """参保年度 kept on the platform: the as-of year and the two before (+ the next from September)."""
    y = world.cfg.as_of.year
    years = list(range(y - RETENTION_YEARS + 1, y + 1))
    return years + [y + 1] if world.cfg.as_of.month >= 9 else years


def _enrollments(world: World) -> pd.DataFrame:
    n = len(world.people)
    insured = world.rng("health:insured").random(n) >= UNINSURED
    frames = []
    for year in enrollment_years(world):
        quota = None
        if year == world.cfg.as_of.year:
            # ~0.2% of the year's 参保缴费 rows: estimate them as the insured alive persons
            quota = count_for(AFTER_DEATH, int((insured & _alive_registered(world, world.cfg.as_of)).sum()))
        frames.append(_year_rows(world, year, insured, quota))
    frames.append(_planted_enrollments(world))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    for c in ("参保类型", "参保状态", "资助参保类别", "prev_参保类型", "prev_参保状态", "prev_资助参保类别",
              "true_category"):
        out[c] = out[c].astype("category")
    return out


# --- settlement propensities ------------------------------------------------------------------------

def _medical_risk(world: World, enrollments: pd.DataFrame) -> pd.DataFrame:
    """Expected settlements per month by 就诊类型, person-level and heavy-tailed (gamma frailty)."""
    rng = world.rng("health:risk")
    p = world.people
    n = len(p)
    age = np.clip(_ages(world, world.cfg.as_of), 0, 110)
    insured = np.zeros(n, dtype=bool)
    bg_rows = enrollments[enrollments["planted"] == ""]
    insured[bg_rows["pid"].to_numpy()] = True
    out_base = np.select([age < 5, age < 15, age < 45, age < 60, age < 75], [6.0, 3.0, 2.5, 4.0, 6.5], 8.0)
    out_base = out_base * rng.gamma(0.6, 1 / 0.6, n)
    prev = np.select([age < 40, age < 60, age < 75], [0.005, 0.04, 0.12], 0.18)
    chronic = (rng.random(n) < prev) * rng.gamma(2.0, 0.5, n)
    in_base = np.select([age < 5, age < 45, age < 60, age < 75], [0.12, 0.08, 0.18, 0.35], 0.55) * rng.gamma(1.0, 1.0, n)

    def scaled(x: np.ndarray, target: float) -> np.ndarray:
        mean = x[insured].mean() if insured.any() else 1.0
        return np.where(insured, x * target / max(mean, 1e-12), 0.0)

    return pd.DataFrame({"pid": np.arange(n), "rate_outpatient": scaled(out_base, RATE_OUTPATIENT),
                         "rate_chronic": scaled(chronic, RATE_CHRONIC),
                         "rate_inpatient": scaled(in_base, RATE_INPATIENT)})


# --- settlements ------------------------------------------------------------------------------------

SETTLEMENT_COLUMNS = ("serial", "pid", "就诊类型", "定点医疗机构", "入院日期", "结算日期", "total", "pooled",
                      "critical", "assistance", "oop", "refund", "orig_serial", "updated_at", "row_kind",
                      "out_of_town", "rounding", "planted")
AMOUNTS = ("total", "pooled", "critical", "assistance", "oop")
ROW_KINDS = ("settlement", "refund", "corrected", "orphan_refund")
_KIND_DTYPE = pd.CategoricalDtype(pd.Index(KINDS, dtype=str))
_ROW_KIND_DTYPE = pd.CategoricalDtype(pd.Index(ROW_KINDS, dtype=str))
PLANTED_TAG = 99


def _cents(x: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


def _ymd(day: np.ndarray) -> np.ndarray:
    d = np.asarray(day, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    return y * 10000 + (months.astype(np.int64) % 12 + 1) * 100 + (d - months).astype(np.int64) + 1


def serials(prefix_code: np.ndarray, prefixes: pa.Array, day: np.ndarray, tag: int, counter: np.ndarray) -> pa.Array:
    """结算流水号 'JS' + area (6) + 结算日期 YYYYMMDD + tag (2) + counter (8), e.g. JS370481202503050000123456.

    `prefixes` holds 'JS' + area per code; unique per (area, day, tag, counter).
    """
    digits = pa.array(_ymd(day) * 10**10 + tag * 10**8 + np.asarray(counter, dtype=np.int64)).cast(pa.string())
    pre = pc.take(prefixes, pa.array(np.asarray(prefix_code, dtype=np.int32)))
    return pc.binary_join_element_wise(pre, digits, "")


class _Providers:
    """定点医疗机构 names as codes into one category list: a clinic and a health centre per household,
    the county hospitals and the out-of-town hospitals (with the area of their serial numbers)."""

    def __init__(self, world: World) -> None:
        h = world.households
        town = h["town"].to_numpy(dtype=object)
        village = h["village"].to_numpy(dtype=object)
        urban = h["town"].astype(str).str.endswith("街道").to_numpy()
        clinic = np.where(urban, "滕州市" + town + village + "卫生服务站", "滕州市" + town + village + "卫生室")
        centre = np.where(urban, "滕州市" + town + "社区卫生服务中心", "滕州市" + town + "卫生院")
        county = np.array([c for c, _ in COUNTY_HOSPITALS], dtype=object)
        oot = np.array([c for c, _, _ in OUT_OF_TOWN_HOSPITALS], dtype=object)
        codes, names = pd.factorize(np.concatenate([county, oot, clinic, centre]))
        nc, no, nh = len(county), len(oot), len(h)
        self.dtype = pd.CategoricalDtype(pd.Index(np.asarray(names, dtype=object), dtype=str))
        self.county = codes[:nc]
        self.oot = codes[nc:nc + no]
        self.clinic = codes[nc + no:nc + no + nh]
        self.centre = codes[nc + no + nh:]
        self.county_p = np.array([w for _, w in COUNTY_HOSPITALS]) / sum(w for _, w in COUNTY_HOSPITALS)
        self.oot_p = np.array([w for _, _, w in OUT_OF_TOWN_HOSPITALS]) / sum(w for _, _, w in OUT_OF_TOWN_HOSPITALS)
        #: serial prefixes: code 0 local, 1 + i the i-th out-of-town hospital
        self.prefixes = pa.array(["JS" + AREA] + ["JS" + a for _, a, _ in OUT_OF_TOWN_HOSPITALS])

    def code_of(self, name: str) -> int:
        return int(self.dtype.categories.get_loc(name))


#: Level of care per 就诊类型: probabilities of (village clinic, town centre, county hospital), given local.
_LEVEL_P = ((0.47, 0.25, 0.28), (0.0, 0.3, 0.7), (0.0, 0.25, 0.75))


def _amounts(kind: np.ndarray, level: np.ndarray, employee: np.ndarray, rank: np.ndarray,
             rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(total, pooled, critical, assistance, oop) in cents; kind 0/1/2, level 0 clinic, 1 centre, 2 county, 3 out of town.

    Eligible costs minus a deductible are shared by the pooled fund; 大病 pays 60% of the eligible rest
    above 15,000 yuan; 医疗救助 pays a share of what is left for persons with a 资助参保类别 (and a few
    others after a 临时救助 decision); the patient pays the rest.
    """
    n = len(kind)
    z = rng.standard_normal(n)
    median = np.choose(kind, [60.0, 450.0, 6500.0])
    sigma = np.choose(kind, [0.9, 0.75, 0.95])
    lvl_factor = np.where(kind == 2, np.choose(level, [0.5, 0.5, 1.0, 2.8]), np.choose(level, [0.8, 1.0, 2.0, 3.0]))
    lo = np.choose(kind, [3.0, 20.0, 400.0])
    hi = np.choose(kind, [8000.0, 40000.0, 900000.0])
    total = _cents(np.clip(median * lvl_factor * np.exp(sigma * z), lo, hi) * 100)
    eligible = _cents(total * np.where(kind == 0, rng.uniform(0.85, 1.0, n), rng.uniform(0.8, 1.0, n)))
    deductible = np.where(kind == 2, np.choose(level, [20000, 20000, 50000, 100000]), 0)
    deductible = np.where(employee & (kind == 2), deductible * 4 // 5, deductible)
    base = np.maximum(eligible - deductible, 0)
    ratio_res = np.where(kind == 0, np.choose(level, [0.55, 0.55, 0.35, 0.3]),
                         np.where(kind == 1, np.where(level == 3, 0.5, 0.6), np.choose(level, [0.85, 0.85, 0.75, 0.55])))
    ratio_emp = np.where(kind == 0, np.choose(level, [0.7, 0.7, 0.5, 0.4]),
                         np.where(kind == 1, np.where(level == 3, 0.6, 0.75), np.choose(level, [0.9, 0.9, 0.85, 0.7])))
    pooled = np.minimum(_cents(base * np.where(employee, ratio_emp, ratio_res)), 30_000_000)
    rest = base - pooled
    critical = np.where(kind > 0, _cents(np.maximum(rest - 1_500_000, 0) * 0.6), 0)
    rest = rest - critical
    share = np.choose(np.minimum(rank, NO_NEED), [0.9, 0.7, 0.6, 0.5, 0.0])
    temporary = (rank == NO_NEED) & (kind == 2) & (rng.random(n) < 0.002)
    share = np.where(temporary, 0.5, np.where(kind == 0, 0.0, share))
    assistance = _cents(rest * share)
    oop = total - pooled - critical - assistance
    return total, pooled, critical, assistance, oop


def _frame(c: dict[str, np.ndarray], providers: _Providers, tag: int, planted: np.ndarray | None = None) -> pd.DataFrame:
    """Settlement rows (SETTLEMENT_COLUMNS) from arrays: numbers the rows per 结算日期 in update order
    (tag = origin month mod 90, PLANTED_TAG for planted rows) and links refunds (`orig` = row index of
    the refunded settlement, -1 otherwise)."""
    n = len(c["pid"])
    order = np.lexsort((c["updated_at"], c["day"]))
    sd = c["day"][order]
    first = np.r_[0, np.flatnonzero(sd[1:] != sd[:-1]) + 1] if n else np.zeros(0, dtype=np.int64)
    run = np.repeat(first, np.diff(np.r_[first, n])) if n else first
    counter = np.empty(n, dtype=np.int64)
    counter[order] = np.arange(n) - run + 1
    serial = serials(c["prefix"], providers.prefixes, c["day"], tag, counter)
    orig = c["orig"]
    orig_serial = pc.take(serial, pa.array(np.where(orig >= 0, orig, 0), mask=orig < 0))

    def text(a: pa.Array) -> pd.Series:
        return pd.Series(pd.arrays.ArrowExtensionArray(a))

    sids = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[""]) if planted is None else planted
    return pd.DataFrame({
        "serial": text(serial), "pid": c["pid"].astype(np.int64),
        "就诊类型": pd.Categorical.from_codes(c["kind"], dtype=_KIND_DTYPE),
        "定点医疗机构": pd.Categorical.from_codes(c["prov"], dtype=providers.dtype),
        "入院日期": c["admit"].astype("datetime64[s]"), "结算日期": c["day"].astype("datetime64[s]"),
        **{a: c[a].astype(np.int64) for a in AMOUNTS},
        "refund": pd.Categorical.from_codes(c["refund"].astype(np.int8), categories=["0", "1"]),
        "orig_serial": text(orig_serial), "updated_at": c["updated_at"].astype("datetime64[s]"),
        "row_kind": pd.Categorical.from_codes(c["row_kind"], dtype=_ROW_KIND_DTYPE),
        "out_of_town": c["oot"].astype(bool), "rounding": c["rounding"].astype(bool), "planted": sids,
    }).iloc[order].reset_index(drop=True)


class _Ctx:
    """What every origin month needs: rates, schemes and need per year, providers."""

    def __init__(self, world: World) -> None:
        self.world = world
        cfg = world.cfg
        self.asof_mi = month_index(cfg.as_of)
        self.first_mi = self.asof_mi - RETENTION_MONTHS
        self.horizon = _d(cfg.horizon_end)
        self.providers = _Providers(world)
        p = world.people
        self.hh = p["hh"].to_numpy()
        self.birth = p["birth_date"].to_numpy().astype("datetime64[D]")
        self.death = p["death_date"].to_numpy().astype("datetime64[D]")
        self.out = p["out_date"].to_numpy().astype("datetime64[D]")
        self.start = p["hukou_start"].to_numpy().astype("datetime64[D]")
        risk = world.tables["medical_risk"]
        self.rates = risk[["rate_outpatient", "rate_chronic", "rate_inpatient"]].to_numpy()
        e = world.tables["enrollments"]
        e = e[e["planted"] == ""]
        n = len(p)
        self.scheme: dict[int, np.ndarray] = {}
        self.rank: dict[int, np.ndarray] = {}
        cat_rank = {c: i for i, c in enumerate(_CAT_TEXT)}
        for y, g in e.groupby("year", observed=True):
            emp = np.zeros(n, dtype=bool)
            emp[g["pid"].to_numpy()] = (g["参保类型"] == EMPLOYEE).to_numpy()
            rk = np.full(n, NO_NEED, dtype=np.int8)
            rk[g["pid"].to_numpy()] = g["资助参保类别"].astype(str).map(cat_rank).to_numpy()
            self.scheme[int(y)], self.rank[int(y)] = emp, rk
        self.years = sorted(self.scheme)

    def year_arrays(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """(职工医保, need rank) per person in a year (the nearest stored year outside the retention)."""
        if not self.years:
            n = len(self.rates)
            return np.zeros(n, dtype=bool), np.full(n, NO_NEED, dtype=np.int8)
        y = min(max(year, self.years[0]), self.years[-1])
        return self.scheme[y], self.rank[y]


def _month_days(mi: int) -> tuple[np.ndarray, np.ndarray]:
    """Days of a month and their weights (weekends ~55% of a weekday)."""
    start = _month_start(mi)
    days = cal.date_range(start, cal.last_day_of_month(start.year, start.month))
    w = np.array([1.0 if cal.is_working_day(x) else 0.55 for x in days])
    return np.array([_d(x) for x in days]), w / w.sum()


def _office(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[s]") + _office_seconds(rng, len(day)) * SEC


def _background_month(ctx: _Ctx, mi: int) -> pd.DataFrame:
    """Original settlements with 结算日期 in month mi, their refunds and corrected settlements."""
    rng = ctx.world.rng(f"health:settlements:{mi}")
    start = _d(_month_start(mi))
    days, weights = _month_days(mi)
    eligible = ((ctx.rates.sum(axis=1) > 0) & (np.isnat(ctx.death) | (ctx.death >= start))
                & (np.isnat(ctx.out) | (ctx.out >= start)) & (ctx.birth <= days[-1])
                & (np.isnat(ctx.start) | (ctx.start <= days[-1])))
    idx = np.flatnonzero(eligible)
    counts = rng.poisson(ctx.rates[idx])
    pid = np.concatenate([np.repeat(idx, counts[:, k]) for k in range(3)])
    kind = np.concatenate([np.full(int(counts[:, k].sum()), k, dtype=np.int64) for k in range(3)])
    day = days[rng.choice(len(days), size=len(pid), p=weights)]
    ok = (day >= ctx.birth[pid]) & (np.isnat(ctx.death[pid]) | (day <= ctx.death[pid])) & (
        np.isnat(ctx.out[pid]) | (day <= ctx.out[pid])) & (day <= ctx.horizon)
    pid, kind, day = pid[ok], kind[ok], day[ok]
    n = len(pid)
    employee, rank = ctx.year_arrays(mi // 12)
    pr = ctx.providers
    oot = rng.random(n) < np.choose(kind, OUT_OF_TOWN)
    lp = np.array(_LEVEL_P)[kind]
    u = rng.random(n)
    level = np.where(oot, 3, np.where(u < lp[:, 0], 0, np.where(u < lp[:, 0] + lp[:, 1], 1, 2)))
    oot_i = rng.choice(len(pr.oot), size=n, p=pr.oot_p)
    hh = ctx.hh[pid]
    prov = np.choose(level, [pr.clinic[hh], pr.centre[hh], pr.county[rng.choice(len(pr.county), size=n, p=pr.county_p)],
                             pr.oot[oot_i]])
    los = np.clip(np.round(rng.lognormal(np.log(7), 0.6, n)), 1, 60).astype(np.int64)
    total, pooled, critical, assistance, oop = _amounts(kind, level, employee[pid], rank[pid], rng)
    secs = np.where(kind == 2, rng.integers(9 * 3600, 16 * 3600 + 1800, n), rng.integers(8 * 3600, 18 * 3600, n))
    settled_at = day.astype("datetime64[s]") + secs * SEC
    late_at = _office(rng, day + rng.integers(30, 93, n) * DAY)
    rounding = rng.random(n) < ROUNDING
    oop = np.where(rounding, oop + np.where((oop > 0) & (rng.random(n) < 0.5), -1, 1), oop)
    base = {"pid": pid, "kind": kind, "prov": prov, "prefix": np.where(oot, oot_i + 1, 0),
            "admit": np.where(kind == 2, day - los * DAY, day), "day": day, "total": total, "pooled": pooled,
            "critical": critical, "assistance": assistance, "oop": oop,
            "updated_at": np.where(oot, late_at, settled_at), "oot": oot, "rounding": rounding,
            "refund": np.zeros(n, dtype=np.int8), "row_kind": np.zeros(n, dtype=np.int8), "orig": np.full(n, -1)}

    # refunds (local rows only; whole settlements) and corrected settlements
    r = np.flatnonzero(~oot & (rng.random(n) < REFUND_PER_SETTLEMENT))
    k = len(r)
    same = rng.random(k) < REFUND_SAME_DAY
    r_day = day[r] + np.where(same, 0, rng.integers(1, 31, k)) * DAY
    day_end = r_day.astype("datetime64[s]") + 86399 * SEC
    r_time = np.minimum(np.where(same, settled_at[r] + rng.integers(600, 14400, k) * SEC, _office(rng, r_day)),
                        day_end - 1800 * SEC)
    refunds = {key: v[r] for key, v in base.items()}
    refunds.update({a: -base[a][r] for a in AMOUNTS})
    refunds.update(day=r_day, updated_at=r_time, refund=np.ones(k, dtype=np.int8),
                   row_kind=np.ones(k, dtype=np.int8), orig=r)
    fix = rng.random(k) < CORRECTED_AFTER_REFUND
    c = r[fix]
    f = rng.uniform(0.8, 1.1, len(c))
    corr = {key: v[c] for key, v in base.items()}
    for a in ("total", "pooled", "critical", "assistance"):
        corr[a] = _cents(base[a][c] * f)
    c_oop = corr["total"] - corr["pooled"] - corr["critical"] - corr["assistance"]
    corr["pooled"] = corr["pooled"] + np.minimum(c_oop, 0)
    corr.update(oop=np.maximum(c_oop, 0), day=r_day[fix],
                updated_at=np.minimum(r_time[fix] + rng.integers(60, 1800, len(c)) * SEC, day_end[fix]),
                rounding=np.zeros(len(c), dtype=bool), row_kind=np.full(len(c), 2, dtype=np.int8),
                orig=np.full(len(c), -1))
    rows = {key: np.concatenate([base[key], refunds[key], corr[key]]) for key in base}
    return _frame(rows, pr, mi % 90)


def _orphan_refunds(ctx: _Ctx, first_window_refunds: int) -> pd.DataFrame:
    """Quirk refund_of_unknown: refunds in the first retention month of settlements made before it.

    Built from the origin month before the window: only refunds that cross into the window are kept
    (their originals are purged), as many as the quirk's rate asks for (REFUND_OF_UNKNOWN of the
    window's refund rows, estimated as 36 x the first window month's, at least one).
    """
    pre = _background_month(ctx, ctx.first_mi - 1)
    start = np.datetime64(_month_start(ctx.first_mi), "s")
    cross = pre[(pre["row_kind"] == "refund").to_numpy() & (pre["结算日期"] >= start).to_numpy()]
    k = min(len(cross), count_for(REFUND_OF_UNKNOWN, RETENTION_MONTHS * first_window_refunds))
    rng = ctx.world.rng("health:orphan-refunds")
    keep = cross.iloc[np.sort(rng.choice(len(cross), size=k, replace=False))] if k else cross.iloc[:0]
    return keep.assign(row_kind=pd.Categorical(["orphan_refund"] * len(keep), dtype=_ROW_KIND_DTYPE)
                       ).reset_index(drop=True)


def _planted_settlements(world: World) -> pd.DataFrame:
    """Every planted PMedical as one settlement (个人自付 = oop exactly, 统筹 the rest, no 大病/救助),
    settled as_of - days_ago at 10:00; refunded → plus its refund row at 11:00 the same day."""
    pr = _Providers(world)
    hosp = pr.code_of("滕州市中心人民医院")
    cols: dict[str, list] = {k: [] for k in ("pid", "kind", "prov", "prefix", "admit", "day", *AMOUNTS,
                                             "updated_at", "oot", "rounding", "refund", "row_kind", "orig")}
    sids: list[str] = []

    def add(pid: int, sid: str, x: PMedical, sign: int, orig: int) -> None:
        day = world.cfg.as_of - timedelta(days=x.days_ago)
        kind = KINDS.index(x.kind) if x.kind in KINDS else 2
        oop = int(round(x.oop * 100))
        pooled = oop * (1 if kind == 0 else 3) // 2
        for key, v in (("pid", pid), ("kind", kind), ("prefix", 0), ("day", _d(day)), ("oot", False),
                       ("rounding", False), ("refund", int(sign < 0)), ("row_kind", int(sign < 0)), ("orig", orig),
                       ("prov", int(pr.centre[int(world.people.at[pid, "hh"])]) if kind == 0 else hosp),
                       ("admit", _d(day - timedelta(days=7)) if kind == 2 else _d(day)),
                       ("total", sign * (oop + pooled)), ("pooled", sign * pooled), ("critical", 0),
                       ("assistance", 0), ("oop", sign * oop),
                       ("updated_at", _ts(datetime.combine(day, datetime.min.time()) + timedelta(hours=10 + (sign < 0))))):
            cols[key].append(v)
        sids.append(sid)

    for h, m, pid in world.planted_members():
        for x in m.medical:
            orig = len(sids)
            add(pid, h.sid, x, 1, -1)
            if x.refunded:
                add(pid, h.sid, x, -1, orig)
    arrays = {k: np.array(v, dtype={"admit": "datetime64[D]", "day": "datetime64[D]",
                                    "updated_at": "datetime64[s]"}.get(k, np.int64 if k not in ("oot", "rounding")
                                                                          else bool))
              for k, v in cols.items()}
    return _frame(arrays, pr, PLANTED_TAG, planted=pd.Categorical(np.array(sids, dtype=object)))


def settlement_months(world: World) -> Iterator[pd.DataFrame]:
    """The settlement ledger one origin month at a time (SETTLEMENT_COLUMNS), oldest first.

    First the refund_of_unknown rows (origin month before the retention window), then every month
    from the window's first to the as-of month: its settlements, their refunds and corrections (which
    may fall in the next month) and the planted rows settled that month. Rows after the horizon are
    dropped. Deterministic per month (stream `health:settlements:<month index>`).
    """
    ctx = _Ctx(world)
    horizon = np.datetime64(world.cfg.horizon_end, "s")
    first = _background_month(ctx, ctx.first_mi)
    orphans = _orphan_refunds(ctx, int((first["row_kind"] == "refund").sum()))
    planted = world.tables["settlements"]
    planted_mi = (planted["结算日期"].dt.year * 12 + planted["结算日期"].dt.month - 1).to_numpy()
    if len(orphans):
        yield orphans
    for mi in range(ctx.first_mi, ctx.asof_mi + 1):
        df = first if mi == ctx.first_mi else _background_month(ctx, mi)
        if (planted_mi == mi).any():
            df = pd.concat([df, planted[planted_mi == mi]], ignore_index=True)
        yield df[(df["结算日期"] <= horizon).to_numpy()].reset_index(drop=True)


# --- build ------------------------------------------------------------------------------------------

def build(world: World) -> None:
    """Add `enrollments`, `medical_risk` and `settlements` (planted rows) to `world.tables`."""
    enrollments = _enrollments(world)
    world.tables["enrollments"] = enrollments
    world.tables["medical_risk"] = _medical_risk(world, enrollments)
    world.tables["settlements"] = _planted_settlements(world)
