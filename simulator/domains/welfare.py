"""Welfare: assistance families with their payments, applications and referrals (金民工程, source
`assistance`), disability certificates (残联, `disability`), anti-poverty-relapse monitoring (防返贫,
`rural_monitoring`) and financial holdings with the historical bank queries (核对平台, `bank`).

Every event is drawn up to the end of `as_of` and stored with its time, so the source modules can
derive what a delivery shows (front-database state after the last push, monthly snapshots). Families
come from the poorest households (latent `households.wealth`, favouring elderly, disabled and
single-parent households, rural over urban). Planted households get exactly their facts
(`_planted_*` below) and nothing random; planted persons get no background record.

Rendering rules for planted facts (what a scenario writer can rely on):
- PFamily: 审批日期 = first approval = as_of - approved_days_ago (no annual review). 开始发放年月 = the
  approval month if the approval precedes that month's payment batch, else the next month. Regular
  低保金/特困供养金 of 月保障金额 for every month up to the as-of month whose batch date (a working day
  on the 10th-15th, `batch_date`) is on or before as_of; none for 低保边缘 or a deleted family. 暂停:
  suspended as_of - 40 days (no month paid whose batch is on or after that day). 停保: terminated
  as_of - 70 days, 终止年月 = that month (or the previous one if its batch had not been paid yet).
  With a dead 是 member the last paid month is the (earliest) death month + paid_after_death_months,
  each extra month reversed by a negative row 20 days later if reversed_after_death.
  A deleted family has all its jz_member rows deleted too.
- PApplication: 申请日期 = as_of - days_ago; 核对中 from the next day; a decision (已审批/不予批准)
  10 days after the application (at most the day before as_of); 已撤回 the next day. Members = every
  household member (与户主关系 mapped, 户主 → 本人).
- Bank facts: a member with `bank` set is queried once, under the household's application if it
  covers him (授权书 是 with a date, not 已撤回), else (family households) under the family's approval
  application, which is then created (已审批, 申请日期 = 审批日期 - 15 days, 授权书 signed that day).
  Request 30 days before as_of (or the day after the 授权书 when later), answered 3 working days after
  pickup (2 if needed) at 10:30; ValueError if the answer cannot arrive by as_of. No covering
  authorization → no request (the fact is not rendered).
- PDisability: certificate issued as_of - issued_days_ago, shown with `status` in every snapshot whose
  统计日期 is on or after the issue date. rural_monitoring: included as_of - 400 days; False →
  eliminated as_of - 120 days.

World tables (grain — columns; dates are datetime64 at midnight, times whole seconds):

`families` — one jz_family row: family_id, hh, applicant_pid, applicant_id, applicant_name, category,
    town, village, first_approval, approval (审批日期 after the latest decision), approval_prev (before
    the latest annual review, = approval without one), review_at (NaT none), amount (月保障金额),
    amount_prev (before that review), count (保障人数), count_at (last recount, NaT none), start_month,
    end_month (终止年月 or None), suspend_at, terminate_at, deleted_at (NaT none), created_at, status
    (at as_of), account (收款银行账号), sid ('' = background), quirk ('' or names joined by '+').
`family_members` — one jz_member row: family_id, pid, id_number, name, relation, covered (是/否),
    health, labor, joined_at, deleted_at (NaT = valid), sid, quirk.
`payments` — one jz_payment row: pay_id, family_id, month (YYYYMM), kind, amount, pay_date,
    inserted_at, account, sid, quirk.
`applications` — one jz_application row: app_id, applicant_pid, applicant_id, applicant_name,
    app_date, category, town, authorized, auth_date (NaT = NULL), promise, created_at, check_at,
    decided_at (NaT = none yet), final_status (status after decided_at; None), status (at as_of),
    family_id (family created by it or the family a 临时救助 belongs to; None), sid, quirk.
`application_members` — one jz_application_member row: app_id, pid, id_number, name, relation,
    created_at, deleted_at, sid.
`referrals` — one jz_referral row: ref_id, app_id, dept, item, dispatched_at, limit_days,
    interim_at (NaT none), final_at (NaT none), final_result (None), sid, quirk.
`disability_certs` — one certificate: cert_no, pid, id_number, name, sex, kind, grade, issue_date,
    cancel_date (NaT none), address, guardian, phone, status_fixed (planted: the status shown; None =
    from the dates: 注销 from cancel_date, 过期 ten years after issue), sid, quirk.
`ffp_households` — one 防返贫 household: hh_no (户编号), hh, head_pid, head_id, head_name, category,
    risk, included, eliminated (NaT none), reincluded (NaT none), size, income, town, village, sid, quirk.
`bank_holdings` — one (person, institution, 账户类别) holding: pid, id_number, institution, category
    (None = the institution does not answer for that person: a planted 查询失败), balance, planted.
`bank_requests` — one person of a historical request batch: batch, created_at (生成时间), pid, id_number,
    name, app_id, auth_date, sid, arrival (the fixed arrival of a planted batch's response; NaT = drawn
    by simulator/bank_platform.py).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import geo, names
from simulator.planted import PHousehold, PMember
from simulator.world import World

DAY = np.timedelta64(1, "D")
ASSISTANCE_START = date(2019, 1, 1)

#: Policy §1 standards (yuan per person and month): year → (dibao_urban, dibao_rural). 2024-2026 are
#: the policy's; earlier years are extrapolated at -50 a year (no policy row exists for them).
STANDARDS: dict[int, tuple[float, float]] = {
    2019: (710.0, 520.0), 2020: (760.0, 570.0), 2021: (810.0, 620.0), 2022: (860.0, 670.0),
    2023: (910.0, 720.0), 2024: (960.0, 770.0), 2025: (1010.0, 820.0), 2026: (1060.0, 870.0)}
TEKUN_MULTIPLIER = 1.3
CATEGORIES = ("城市低保", "农村低保", "城市特困", "农村特困", "低保边缘")
APP_CATEGORY = {"城市低保": "低保", "农村低保": "低保", "城市特困": "特困", "农村特困": "特困", "低保边缘": "低保边缘"}

# Volumes at full scale (assistance.yaml volume, disability.yaml, rural_monitoring.yaml, bank.yaml).
N_ACTIVE, N_SUSPENDED, N_STOPPED, REAPPROVED = 25_000, 500, 15_000, 0.06
TEKUN_SHARE, EDGE_SHARE = 0.12, 0.08
FAMILY_APPS_PER_YEAR, TEMP_APPS_PER_YEAR, REFERRALS_PER_YEAR = 5_000, 4_000, 6_000
CERTS_VALID, CERTS_EXPIRED, CERTS_REASSESSED, CERTS_DEAD_CANCELLED, CERTS_MOVED = 47_500, 3_000, 700, 1_900, 300
FFP_HOUSEHOLDS, FFP_OPEN = 3_000, 1_200

# Quirk rates (assistance.yaml, disability.yaml, rural_monitoring.yaml).
BENEFIT_COUNT_MISMATCH = 0.005
MEMBER_IN_TWO_FAMILIES = 0.0005
DECEASED_BENEFICIARY = 0.003
APPLICANT_NOT_MEMBER = 0.002
FAMILY_DELETED = 0.001
ORPHAN_ROWS = 0.0001
BACK_PAY_EXTRA = 0.009          # on top of the first-month back pay of new families (~0.3%)
REVERSAL = 0.002
PAYMENT_AFTER_TERMINATION = 0.001
AUTH_DATE_MISSING = 0.003
DECEASED_VALID = 0.01
FFP_DECEASED_HEAD = 0.01
FFP_ELIMINATION_INCONSISTENT = 0.005

KINDS = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
KIND_P = (0.12, 0.15, 0.01, 0.48, 0.09, 0.09, 0.06)
GRADES = ("一级", "二级", "三级", "四级")
GRADE_P = (0.12, 0.25, 0.28, 0.35)
LABOR_NONE = "无(未成年或老年)"

REFERRAL_ITEMS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("教体局", ("教育救助（学生资助）",), 0.18), ("住建局", ("住房救助（公租房/租赁补贴）", "农村危房改造"), 0.12),
    ("医保局", ("医疗救助", "资助参保"), 0.25), ("人社局", ("就业援助", "公益性岗位安置"), 0.12),
    ("残联", ("残疾人两项补贴", "残疾人康复救助"), 0.12), ("卫健局", ("大病专项救治",), 0.08),
    ("司法局", ("法律援助",), 0.04), ("总工会", ("困难职工帮扶",), 0.04), ("妇联", ("困难妇女儿童救助",), 0.05))

#: Participating institutions (bank.yaml: ~25), with a weight; True = securities firm.
INSTITUTIONS: tuple[tuple[str, float, bool], ...] = (
    ("山东滕州农村商业银行股份有限公司", 30, False), ("中国农业银行股份有限公司滕州市支行", 14, False),
    ("中国邮政储蓄银行股份有限公司滕州市支行", 12, False), ("中国工商银行股份有限公司滕州支行", 9, False),
    ("中国建设银行股份有限公司滕州支行", 9, False), ("中国银行股份有限公司滕州支行", 6, False),
    ("枣庄银行股份有限公司滕州支行", 4, False), ("交通银行股份有限公司枣庄滕州支行", 2, False),
    ("齐鲁银行股份有限公司枣庄滕州支行", 1.5, False), ("青岛银行股份有限公司枣庄滕州支行", 1, False),
    ("日照银行股份有限公司枣庄滕州支行", 1, False), ("招商银行股份有限公司枣庄滕州支行", 1.5, False),
    ("中信银行股份有限公司枣庄滕州支行", 1, False), ("中国光大银行股份有限公司枣庄滕州支行", 1, False),
    ("兴业银行股份有限公司枣庄滕州支行", 1, False), ("上海浦东发展银行股份有限公司枣庄滕州支行", 0.8, False),
    ("华夏银行股份有限公司枣庄滕州支行", 0.6, False), ("恒丰银行股份有限公司枣庄滕州支行", 0.6, False),
    ("莱商银行股份有限公司枣庄滕州支行", 0.6, False), ("滕州中银富登村镇银行有限责任公司", 1, False),
    ("中泰证券股份有限公司滕州营业部", 1.5, True), ("国泰君安证券股份有限公司滕州学院中路证券营业部", 0.6, True),
    ("华泰证券股份有限公司滕州荆河中路证券营业部", 0.5, True), ("中信证券股份有限公司滕州证券营业部", 0.4, True),
    ("东方财富证券股份有限公司滕州善国北路证券营业部", 0.4, True))
ACCOUNT_CATEGORIES = ("活期存款", "定期存款", "理财产品", "基金", "证券资产")
PLANTED_FAIL_INSTITUTION = "中国建设银行股份有限公司滕州支行"

_JZ_RELATIONS = ("本人", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "儿媳", "女婿", "兄弟姐妹", "祖父母",
                 "外孙子女", "其他")


# --- small helpers -------------------------------------------------------------------------------

def _d64(x: date) -> np.datetime64:
    return np.datetime64(x, "D")


def _pydate(x: object) -> date:
    return pd.Timestamp(x).date()


def _at(day: date, seconds: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(seconds=int(seconds))


def _office(rng: np.random.Generator) -> int:
    """Seconds after midnight of an office-hours edit (08:30-17:30)."""
    return int(rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800))


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_text(mi: int) -> str:
    return f"{mi // 12:04d}{mi % 12 + 1:02d}"


def count_for(rate: float, n: int) -> int:
    """Rows a rare quirk hits: the rate's share of n, at least one when there is anything to hit."""
    return 0 if n <= 0 or rate <= 0 else max(1, round(rate * n))


def _scaled(full: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(full * scale))


def standard(category: str, year: int) -> float:
    """月保障金额 per covered member of a category in a year (policy §1; 0.00 for 低保边缘)."""
    urban, rural = STANDARDS[min(max(year, 2019), 2026)]
    if category == "低保边缘":
        return 0.0
    base = urban if category.startswith("城市") else rural
    return round(base * TEKUN_MULTIPLIER, 2) if category.endswith("特困") else base


def batch_date(pick: int, mi: int) -> date:
    """The `pick`-th (modulo) working day on the 10th-15th of month `mi`: the monthly payment batch day."""
    first = date(mi // 12, mi % 12 + 1, 10)
    days = [first + timedelta(days=k) for k in range(6) if cal.is_working_day(first + timedelta(days=k))]
    return days[pick % len(days)]


def relation_to(applicant_rel: str, rel: str, male: bool) -> str:
    """与申请人关系 of a person whose hukou 与户主关系 is `rel`, for an applicant whose is `applicant_rel`."""
    if applicant_rel == "户主":
        return rel if rel in _JZ_RELATIONS and rel != "本人" else "其他"
    parent = "父亲" if male else "母亲"
    if applicant_rel == "配偶":
        return {"户主": "配偶", "子": "子", "女": "女", "儿媳": "儿媳", "女婿": "女婿", "孙子": "孙子",
                "孙女": "孙女"}.get(rel, "其他")
    if applicant_rel in ("子", "女"):
        table = {"户主": parent, "配偶": parent, "子": "兄弟姐妹", "女": "兄弟姐妹", "父亲": "祖父母",
                 "母亲": "祖父母"}
        if applicant_rel == "子":
            table |= {"儿媳": "配偶", "孙子": "子", "孙女": "女"}
        else:
            table |= {"女婿": "配偶", "孙子": "外孙子女", "孙女": "外孙子女"}
        return table.get(rel, "其他")
    return "其他"


def _labor(age: float, severe: bool, health: str) -> str:
    if age < 16 or age >= 60:
        return LABOR_NONE
    if severe:
        return "完全丧失"
    return "部分丧失" if health in ("残疾", "重病") else "有"


class _Persons:
    """Column arrays of `world.people` (pid = row index) and the persons of each 户号."""

    def __init__(self, world: World) -> None:
        p = world.people
        self.hh = p["hh"].to_numpy()
        self.birth = p["birth_date"].to_numpy().astype("datetime64[D]")
        self.death = p["death_date"].to_numpy().astype("datetime64[D]")
        self.out = p["out_date"].to_numpy().astype("datetime64[D]")
        self.rel = p["rel"].to_numpy(dtype=object)
        self.male = (p["sex"] == "男").to_numpy()
        self.id = p["id_number"].to_numpy(dtype=object)
        self.name = p["name"].to_numpy(dtype=object)
        self.planted = (p["planted"] != "").to_numpy()
        order = np.argsort(self.hh, kind="stable")
        keys = self.hh[order]
        all_hh = np.arange(len(world.households))
        self._order = order
        self._lo = np.searchsorted(keys, all_hh, "left")
        self._hi = np.searchsorted(keys, all_hh, "right")

    def of_hh(self, hh: int) -> np.ndarray:
        return self._order[self._lo[hh]:self._hi[hh]]

    def present(self, pids: np.ndarray, day: date) -> np.ndarray:
        """Born by `day`, alive at its end and not moved out by then."""
        d = _d64(day)
        death, out = self.death[pids], self.out[pids]
        return (self.birth[pids] <= d) & (np.isnat(death) | (death > d)) & (np.isnat(out) | (out > d))

    def age(self, pids: np.ndarray | int, day: date) -> np.ndarray:
        return (_d64(day) - self.birth[pids]) / DAY / 365.25

    def died_between(self, pid: int, start: date, end: date) -> date | None:
        d = self.death[pid]
        if np.isnat(d) or not (_d64(start) < d <= _d64(end)):
            return None
        return _pydate(d)


def _applicant(P: _Persons, pids: np.ndarray, day: date) -> int | None:
    """The 户主 present on `day`, else the oldest present adult, else the oldest present person."""
    here = pids[P.present(pids, day)]
    if here.size == 0:
        return None
    heads = here[P.rel[here] == "户主"]
    if heads.size:
        return int(heads[0])
    ages = P.age(here, day)
    adults = here[ages >= 18]
    pool = adults if adults.size else here
    return int(pool[np.argmin(P.birth[pool])])


# --- build ---------------------------------------------------------------------------------------

def build(world: World) -> None:
    """Add the welfare tables (see the module docstring) to `world.tables`."""
    P = _Persons(world)
    ctx = _Context(world, P)
    certs = _certs(world, P)
    fams, mems = _families(world, P, ctx, certs)
    apps, app_mems, temp_pay = _applications(world, P, ctx, fams, mems)
    refs = _referrals(world, apps)
    planted = _Planted(world, P, ctx)
    planted.render()
    fams += planted.fams
    mems += planted.mems
    apps += planted.apps
    app_mems += planted.app_mems
    refs += planted.refs
    families, members = _family_frames(world, P, fams, mems)
    payments = _payments(world, ctx, families, temp_pay, planted.payments)
    applications, application_members = _application_frames(world, apps, app_mems, families)
    referrals = _referral_frame(world, refs, applications)
    certs = pd.concat([certs, planted.certs_frame()], ignore_index=True)
    world.tables.update({
        "families": families, "family_members": members, "payments": payments,
        "applications": applications, "application_members": application_members,
        "referrals": referrals, "disability_certs": certs,
        "ffp_households": _ffp(world, P, planted.ffp_rows),
    })
    holdings = _holdings(world, P, planted.holdings)
    world.tables["bank_holdings"] = holdings
    world.tables["bank_requests"] = _bank_requests(world, applications, application_members, planted.requests)
    for sid, key, kind in planted.household_keys:
        table = families if kind == "family" else applications
        col = "family_id" if kind == "family" else "app_id"
        world.household_ids[sid] = str(table.loc[table["_key"] == key, col].iloc[0])
    for name in ("families", "applications"):
        world.tables[name] = world.tables[name].drop(columns="_key")


class _Context:
    """Calendar facts shared by the builders: payment batch days and the latest paid month."""

    def __init__(self, world: World, P: _Persons) -> None:
        self.cfg = world.cfg
        self.as_of = world.cfg.as_of
        rng = world.rng("welfare:batch-days")
        first, last = month_index(date(2018, 1, 1)), month_index(self.as_of) + 2
        self.first_mi = first
        picks = rng.integers(0, 6, size=last - first + 1)
        self.batch = {mi: batch_date(int(picks[mi - first]), mi) for mi in range(first, last + 1)}
        mi = month_index(self.as_of)
        self.last_paid_mi = mi if self.batch[mi] <= self.as_of else mi - 1
        self.P = P
        self._keys = itertools.count(1)

    def key(self) -> int:
        """A fresh internal key of a working row (families, applications)."""
        return next(self._keys)

    def last_paid_before(self, day: date) -> int:
        """Latest month whose batch date lies strictly before `day`."""
        mi = month_index(day)
        return mi if self.batch[mi] < day else mi - 1

    def start_month(self, approval: date) -> int:
        mi = month_index(approval)
        return mi if approval.day <= 20 else mi + 1


# --- disability certificates ---------------------------------------------------------------------

def _cert_rows(P: _Persons, pids: np.ndarray, kind: np.ndarray, grade: np.ndarray, issue: np.ndarray,
               cancel: np.ndarray, quirk: str) -> pd.DataFrame:
    ids = P.id[pids]
    return pd.DataFrame({
        "cert_no": [f"{i}{k + 1}{g + 1}" for i, k, g in zip(ids, kind, grade, strict=True)],
        "pid": pids, "id_number": ids, "name": P.name[pids], "sex": np.where(P.male[pids], "男", "女"),
        "kind": np.array(KINDS, dtype=object)[kind], "grade": np.array(GRADES, dtype=object)[grade],
        "issue_date": issue.astype("datetime64[s]"), "cancel_date": cancel.astype("datetime64[s]"),
        "quirk": quirk,
    })


def _certs(world: World, P: _Persons) -> pd.DataFrame:
    """Background certificates: valid, expired, re-assessed pairs, cancelled after death or moving away."""
    cfg, s = world.cfg, world.cfg.scale
    rng = world.rng("welfare:certs")
    as_of = _d64(cfg.as_of)
    age = (as_of - P.birth) / DAY / 365.25
    wealth = world.households["wealth"].to_numpy()[P.hh]
    weight = np.select([age < 18, age < 45, age < 60, age < 75], [0.3, 0.7, 1.2, 2.2], 3.5)
    weight = weight * np.where(wealth < 0.1, 3.0, 1.0)
    dead = ~np.isnat(P.death) & (P.death <= as_of)
    moved = ~np.isnat(P.out) & (P.out <= as_of)
    alive = ~P.planted & ~dead & ~moved & (age >= 1)

    def pick(mask: np.ndarray, n: int) -> np.ndarray:
        idx = np.flatnonzero(mask)
        n = min(n, idx.size)
        if n == 0:
            return idx[:0]
        w = weight[idx]
        return np.sort(rng.choice(idx, size=n, replace=False, p=w / w.sum()))

    def draws(n: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.choice(7, size=n, p=KIND_P), rng.choice(4, size=n, p=GRADE_P)

    n_valid, n_exp, n_re = _scaled(CERTS_VALID, s), _scaled(CERTS_EXPIRED, s), _scaled(CERTS_REASSESSED, s)
    holders = pick(alive, n_valid + n_exp + n_re)
    holders = rng.permutation(holders)
    old_enough = age[holders] >= 28
    exp_idx = np.flatnonzero(old_enough)[:n_exp]
    is_exp = np.zeros(holders.size, dtype=bool)
    is_exp[exp_idx] = True
    rest = np.flatnonzero(~is_exp)
    is_re = np.zeros(holders.size, dtype=bool)
    is_re[rest[:n_re]] = True
    frames = []
    # valid (issued within 10 years, after the first birthday)
    v = holders[~is_exp & ~is_re]
    span = np.minimum(3650, ((as_of - P.birth[v]) / DAY).astype(int) - 365)
    issue = as_of - (rng.random(v.size) * np.maximum(span, 1)).astype(int) * DAY
    k, g = draws(v.size)
    frames.append(_cert_rows(P, v, k, g, issue, np.full(v.size, np.datetime64("NaT"), "datetime64[D]"), ""))
    # expired: issued 10-15 years ago, never renewed
    e = holders[is_exp]
    issue = as_of - rng.integers(3653, 5400, size=e.size) * DAY
    issue = np.maximum(issue, P.birth[e] + 365 * DAY)
    k, g = draws(e.size)
    frames.append(_cert_rows(P, e, k, g, issue, np.full(e.size, np.datetime64("NaT"), "datetime64[D]"), ""))
    # re-assessed: the old certificate cancelled on the day the new one was issued
    r = holders[is_re]
    re_day = as_of - rng.integers(1, 37 * 30, size=r.size) * DAY
    old_issue = np.maximum(re_day - rng.integers(365, 3000, size=r.size) * DAY, P.birth[r] + 365 * DAY)
    old_issue = np.minimum(old_issue, re_day - DAY)
    k, g = draws(r.size)
    change_kind = rng.random(r.size) < 0.3
    k2 = np.where(change_kind, (k + 1 + rng.integers(0, 6, size=r.size)) % 7, k)
    g2 = np.where(change_kind, g, np.where(g == 0, 1, np.where(g == 3, 2, g + rng.choice([-1, 1], size=r.size))))
    frames.append(_cert_rows(P, r, k, g, old_issue, re_day, "reassessed_old"))
    frames.append(_cert_rows(P, r, k2, g2, re_day, np.full(r.size, np.datetime64("NaT"), "datetime64[D]"),
                             "reassessed_new"))
    # dead holders: still valid (cancellation lags) or cancelled 1-8 months after the death
    n_valid_rows = v.size + r.size
    n_dead_valid = count_for(DECEASED_VALID, n_valid_rows)
    recent = ~P.planted & dead & (P.death >= as_of - 240 * DAY) & (P.death <= as_of - 20 * DAY)
    dv = pick(recent, n_dead_valid)
    issue = np.maximum(P.death[dv] - rng.integers(60, 3000, size=dv.size) * DAY, P.birth[dv] + 365 * DAY)
    issue = np.minimum(issue, P.death[dv] - DAY)
    k, g = draws(dv.size)
    frames.append(_cert_rows(P, dv, k, g, issue, np.full(dv.size, np.datetime64("NaT"), "datetime64[D]"),
                             "deceased_valid"))
    older = ~P.planted & dead & (P.death >= as_of - (37 * 30 + 240) * DAY) & (P.death <= as_of - 30 * DAY)
    older[dv] = False
    dc = pick(older, _scaled(CERTS_DEAD_CANCELLED, s, 0))
    lag = rng.integers(30, 240, size=dc.size) * DAY
    cancel = P.death[dc] + lag
    cancel = np.where(cancel > as_of, as_of - DAY * rng.integers(0, 10, size=dc.size), cancel)
    cancel = np.maximum(cancel, P.death[dc] + DAY)
    issue = np.maximum(P.death[dc] - rng.integers(60, 3000, size=dc.size) * DAY, P.birth[dc] + 365 * DAY)
    issue = np.minimum(issue, P.death[dc] - DAY)
    k, g = draws(dc.size)
    frames.append(_cert_rows(P, dc, k, g, issue, cancel, "deceased_cancelled"))
    mv_mask = ~P.planted & moved & ~dead & (P.out >= as_of - 37 * 30 * DAY)
    mv = pick(mv_mask, _scaled(CERTS_MOVED, s, 0))
    cancel = np.minimum(P.out[mv] + rng.integers(30, 120, size=mv.size) * DAY, as_of)
    issue = np.maximum(P.out[mv] - rng.integers(200, 3000, size=mv.size) * DAY, P.birth[mv] + 365 * DAY)
    issue = np.minimum(issue, P.out[mv] - DAY)
    k, g = draws(mv.size)
    frames.append(_cert_rows(P, mv, k, g, issue, cancel, "moved_cancelled"))
    certs = pd.concat(frames, ignore_index=True)
    return _cert_contacts(world, P, certs, rng)


def _cert_contacts(world: World, P: _Persons, certs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """户籍地址, 监护人姓名 and 联系电话 of each certificate."""
    n = len(certs)
    pids = certs["pid"].to_numpy()
    address = world.households["address"].to_numpy(dtype=object)[P.hh[pids]]
    age = P.age(pids, world.cfg.as_of)
    kind = certs["kind"].to_numpy(dtype=object)
    p_guard = np.where(age < 18, 1.0, np.where(np.isin(kind, ["智力", "精神"]), 0.85,
                                              np.where(kind == "多重", 0.5, 0.06)))
    has_guard = rng.random(n) < p_guard
    guardian = np.full(n, None, dtype=object)
    random_names = names.person_names(rng.random(n) < 0.5, rng, rare_rate=0.0)
    for i in np.flatnonzero(has_guard):
        pool = [q for q in P.of_hh(int(P.hh[pids[i]])) if q != pids[i] and P.age(q, world.cfg.as_of) >= 18]
        guardian[i] = P.name[pool[int(rng.integers(len(pool)))]] if pool else random_names[i]
    u = rng.random(n)
    mobiles = np.array([f"1{a}{b:09d}" for a, b in zip(rng.integers(3, 10, size=n),
                                                         rng.integers(0, 10**9, size=n), strict=True)],
                       dtype=object)
    lands = np.array([f"0632-{a}{b:06d}" for a, b in zip(rng.integers(2, 9, size=n),
                                                          rng.integers(0, 10**6, size=n), strict=True)],
                     dtype=object)
    phone = np.where(u < 0.10, None, np.where(u < 0.25, lands, mobiles))
    return certs.assign(address=address, guardian=guardian, phone=phone, status_fixed=None, sid="")


# --- families and members ------------------------------------------------------------------------

def _household_features(world: World, P: _Persons, certs: pd.DataFrame) -> pd.DataFrame:
    """Per 户号 (background, family households): living members at as_of and need markers."""
    as_of = world.cfg.as_of
    pids = np.arange(len(P.hh))
    here = P.present(pids, as_of) & ~P.planted
    disabled = np.zeros(len(P.hh), dtype=bool)
    disabled[certs.loc[certs["cancel_date"].isna(), "pid"].to_numpy()] = True
    age = P.age(pids, as_of)
    df = pd.DataFrame({"hh": P.hh[here], "age": age[here], "spouse": P.rel[here] == "配偶",
                       "minor": age[here] < 18, "disabled": disabled[here], "head": P.rel[here] == "户主"})
    g = df.groupby("hh")
    f = g.agg(n=("age", "size"), min_age=("age", "min"), spouse=("spouse", "any"), minors=("minor", "sum"),
              disabled=("disabled", "any"), head=("head", "any"))
    h = world.households.set_index("hh")
    f = f.join(h[["wealth", "town", "village", "collective"]], how="left")
    planted_hh = set(world.planted_hh.values())
    f = f[~f["collective"].astype(bool) & ~f.index.isin(list(planted_hh))]
    f["single_parent"] = ~f["spouse"] & (f["minors"] > 0) & (f["n"] - f["minors"] == 1)
    f["urban"] = f["town"].str.endswith("街道")
    factor = np.where(f["min_age"] >= 60, 0.5, 1.0) * np.where(f["disabled"], 0.6, 1.0)
    factor = factor * np.where(f["single_parent"], 0.6, 1.0) * np.where(f["urban"], 2.0, 1.0)
    factor = factor * f["n"].to_numpy() ** 1.5  # assisted families are small (~1.8 valid members)
    f["score"] = f["wealth"].to_numpy() * factor
    return f.sort_values(["score"], kind="stable")


def _reviews(first: date, end: date, rng: np.random.Generator) -> tuple[date, date | None, date]:
    """(审批日期, time of the latest annual review or None, 审批日期 before that review) by `end`."""
    offsets = rng.integers(0, 19, size=3)

    def review(year: int) -> date:
        return cal.next_working_day_on_or_after(date(year, 1, 6) + timedelta(days=int(offsets[end.year - year])))

    year = end.year if review(end.year) <= end else end.year - 1
    if year <= first.year or rng.random() < 0.05:  # ~5% of rows skip a review ("almost every")
        return first, None, first
    latest = review(year)
    prev = review(year - 1) if year - 1 > first.year else first
    return latest, latest, prev


def _families(world: World, P: _Persons, ctx: _Context, certs: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Background families (active, suspended, terminated, re-approved) and their members."""
    cfg, s = world.cfg, world.cfg.scale
    rng = world.rng("welfare:families")
    as_of = cfg.as_of
    feats = _household_features(world, P, certs)
    n_active = _scaled(N_ACTIVE, s)
    n_reapproved = round(n_active * REAPPROVED)
    n_stopped = max(1, _scaled(N_STOPPED, s) - n_reapproved)
    chosen = feats.index.to_numpy()
    active_hh, stopped_hh = chosen[:n_active], chosen[n_active:n_active + n_stopped]
    severe = set(certs.loc[certs["cancel_date"].isna() & certs["grade"].isin(["一级", "二级"]), "pid"])
    disabled = set(certs.loc[certs["cancel_date"].isna(), "pid"])

    # categories of active families: 特困 for lone elderly or severely disabled persons first
    af = feats.loc[active_hh]
    lone = (af["n"] == 1) & ((af["min_age"] >= 60) | af["disabled"])
    n_tekun, n_edge = round(TEKUN_SHARE * n_active), round(EDGE_SHARE * n_active)
    tekun = [int(h) for h in af.index[lone][:n_tekun]]
    chosen_tekun = set(tekun)
    others = [int(h) for h in af.index if h not in chosen_tekun]
    if others and len(tekun) < n_tekun:
        tekun += [int(h) for h in rng.choice(others, size=min(n_tekun - len(tekun), len(others)), replace=False)]
    tekun_set = set(tekun)
    rest = [int(h) for h in af.index if h not in tekun_set]
    edge = set(rng.choice(rest, size=min(n_edge, len(rest)), replace=False).tolist()) if rest else set()

    def category(hh: int, urban: bool, kind: str) -> str:
        if kind == "edge":
            return "低保边缘"
        return ("城市" if urban else "农村") + ("特困" if kind == "tekun" else "低保")

    fams: list[dict] = []
    mems: list[dict] = []
    suspended = set(rng.choice(active_hh, size=min(_scaled(N_SUSPENDED, s), len(active_hh)), replace=False).tolist())
    late_approval = as_of - timedelta(days=10)
    for hh in active_hh:
        hh = int(hh)
        urban = bool(feats.at[hh, "urban"])
        kind = "tekun" if hh in tekun_set else "edge" if hh in edge else "dibao"
        migrated = rng.random() < 0.4
        first = _rand_day(rng, date(2012, 1, 1), date(2018, 12, 31)) if migrated else \
            _rand_day(rng, date(2019, 1, 15), late_approval)
        suspend = None
        if hh in suspended:
            suspend = as_of - timedelta(days=int(rng.integers(5, 120)))
            if suspend <= first + timedelta(days=60):
                suspend = None
        fam = _make_family(world, P, ctx, rng, hh, category(hh, urban, kind), first, None, suspend,
                           severe, disabled, mems)
        if fam is not None:
            fams.append(fam)
    # re-approved: an earlier, terminated family of the same household
    newer = [f for f in fams if f["first_approval"] >= date(2020, 6, 1)]
    for f in rng.permutation(len(newer))[:n_reapproved] if newer else []:
        new = newer[int(f)]
        latest_first = new["first_approval"] - timedelta(days=400)
        first = _rand_day(rng, date(2013, 1, 1), latest_first)
        lo = max(first + timedelta(days=90), date(2019, 1, 5))
        hi = new["first_approval"] - timedelta(days=60)
        if lo >= hi:
            continue
        stop = _rand_day(rng, lo, hi)
        cat = new["category"] if rng.random() < 0.8 else category(new["hh"], new["category"].startswith("城市"),
                                                                   "dibao")
        fam = _make_family(world, P, ctx, rng, new["hh"], cat, first, stop, None, severe, disabled, mems)
        if fam is not None:
            fams.append(fam)
    for hh in stopped_hh:
        hh = int(hh)
        urban = bool(feats.at[hh, "urban"])
        u = rng.random()
        kind = "tekun" if u < 0.08 else "edge" if u < 0.2 else "dibao"
        first = _rand_day(rng, date(2013, 1, 1), as_of - timedelta(days=120))
        applicant = _applicant(P, P.of_hh(hh), first)
        if applicant is None:
            continue
        died = P.died_between(applicant, first, as_of)
        if died is not None and died >= date(2019, 1, 1):
            stop = min(died + timedelta(days=int(rng.integers(10, 40))), as_of)
        else:
            lo = max(first + timedelta(days=90), date(2019, 1, 5))
            stop = _rand_day(rng, lo, as_of - timedelta(days=1)) if lo < as_of else as_of
        fam = _make_family(world, P, ctx, rng, hh, category(hh, urban, kind), first, stop, None, severe,
                           disabled, mems)
        if fam is not None:
            fams.append(fam)
    return fams, mems


def _rand_day(rng: np.random.Generator, lo: date, hi: date) -> date:
    span = (hi - lo).days
    return lo + timedelta(days=int(rng.integers(0, span + 1))) if span > 0 else lo


def _make_family(world: World, P: _Persons, ctx: _Context, rng: np.random.Generator, hh: int, category: str,
                 first: date, stop: date | None, suspend: date | None, severe: set, disabled: set,
                 mems: list[dict]) -> dict | None:
    """One background family with its member rows (appended to `mems`); None if nobody is there."""
    as_of = world.cfg.as_of
    pids = P.of_hh(hh)
    if stop is None:  # an active family's applicant was there at the approval and still is
        applicant = _applicant(P, pids[P.present(pids, first) & P.present(pids, as_of)], as_of)
    else:
        applicant = _applicant(P, pids, first)
    if applicant is None:
        return None
    end = stop or as_of
    created = _at(first, _office(rng))
    app_rel = P.rel[applicant]
    key = ctx.key()
    rows = []
    for q in pids:
        q = int(q)
        birth = _pydate(P.birth[q])
        if birth > end:
            continue
        born_later = birth > first
        if not born_later and not P.present(np.array([q]), first)[0]:
            continue
        joined = _at(birth + timedelta(days=int(rng.integers(30, 120))), _office(rng)) if born_later else created
        if joined.date() > end:
            continue
        deleted = None
        death = P.died_between(q, first, end)
        out = None if np.isnat(P.out[q]) else _pydate(P.out[q])
        if death is not None:
            deleted = _at(death + timedelta(days=int(rng.integers(15, 45))), _office(rng))
        elif out is not None and first < out <= end and rng.random() < 0.8:
            deleted = _at(out + timedelta(days=int(rng.integers(30, 90))), _office(rng))
        if deleted is not None and deleted.date() > end:
            deleted = None
        age = float(P.age(q, first))
        if q == applicant:
            covered = "是"
        elif category.endswith("特困"):
            covered = "否"
        else:
            covered = "否" if (18 <= age < 60 and q not in disabled and rng.random() < 0.35) else "是"
        age_now = float(P.age(q, as_of))
        if q in disabled:
            health = "残疾"
        else:
            u = rng.random()
            health = ("重病" if u < 0.08 else "患病" if u < 0.38 else "健康") if age_now >= 60 else \
                ("重病" if u < 0.03 else "患病" if u < 0.13 else "健康")
        rows.append({"_fam": key, "pid": q, "relation": "本人" if q == applicant else
                     relation_to(app_rel, P.rel[q], bool(P.male[q])), "covered": covered, "health": health,
                     "labor": _labor(age_now, q in severe, health), "joined_at": joined, "deleted_at": deleted,
                     "sid": "", "quirk": ""})
    if not rows:
        return None
    mems.extend(rows)
    approval, review_at, approval_prev = _reviews(first, end, rng)
    start = ctx.start_month(first)
    end_month = None
    if stop is not None:
        mi = month_index(stop)
        end_month = max(start, mi if ctx.batch[mi] <= stop else mi - 1)
    return {"_key": key, "hh": hh, "applicant_pid": applicant, "category": category, "first_approval": first,
            "approval": approval, "approval_prev": approval_prev,
            "review_at": None if review_at is None else _at(review_at, _office(rng)),
            "start_month": start, "end_month": end_month, "suspend_at": None if suspend is None else
            _at(suspend, _office(rng)), "terminate_at": None if stop is None else _at(stop, _office(rng)),
            "deleted_at": None, "created_at": created, "amount": None, "amount_prev": None, "count": None,
            "account": _account(rng, category), "sid": "", "quirk": ""}


def _account(rng: np.random.Generator, category: str) -> str:
    """收款银行账号: mostly 农商行 cards; some 特困 persons are paid to their care institution."""
    u = rng.random()
    if category.endswith("特困") and u < 0.3:
        return f"62299100{int(rng.integers(0, 8)):02d}0000{int(rng.integers(1000, 1010))}"
    if u < 0.72:
        return f"622991{int(rng.integers(0, 10**10)):010d}"
    if u < 0.9:
        return f"6228{int(rng.integers(0, 10**15)):015d}"
    return f"6217{int(rng.integers(0, 10**14)):014d}"


def _family_frames(world: World, P: _Persons, fams: list[dict], mems: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quirks, 保障人数 and 月保障金额, 家庭编号; the `families` and `family_members` tables."""
    rng = world.rng("welfare:family-quirks")
    as_of = world.cfg.as_of
    end_of_day = _at(as_of, 86399)
    f = pd.DataFrame(fams)
    m = pd.DataFrame(mems)
    f["_active"] = f["terminate_at"].isna()
    bg = f["sid"] == ""
    active_keys = set(f.loc[f["_active"], "_key"])
    m_active = m["_fam"].isin(active_keys) & (m["sid"] == "")
    valid = m["deleted_at"].isna()

    # deceased_beneficiary: dead 是 members of active families still valid 1-6 months after the death
    death = P.death[m["pid"].to_numpy()]
    dead = ~np.isnat(death) & (death <= _d64(as_of))
    covered_active = m_active & (m["covered"] == "是")
    natural = covered_active & valid & dead
    m.loc[natural, "quirk"] = "deceased_beneficiary"
    target = count_for(DECEASED_BENEFICIARY, int((covered_active & valid).sum()))
    window = (death >= _d64(as_of) - 180 * DAY) & (death <= _d64(as_of) - 30 * DAY)
    cand = np.flatnonzero(covered_active & ~valid & dead & window)
    extra = rng.permutation(cand)[:max(0, target - int(natural.sum()))]
    m.loc[m.index[extra], "deleted_at"] = None
    m.loc[m.index[extra], "quirk"] = "deceased_beneficiary"

    # member_in_two_families: a living 是 member of an active family also a member of another one
    valid = m["deleted_at"].isna()
    alive_valid = m_active & valid & ~dead & (m["covered"] == "是")
    n_two = count_for(MEMBER_IN_TWO_FAMILIES, int((m_active & valid).sum()))
    donors = rng.permutation(np.flatnonzero(alive_valid))[:n_two]
    hosts = f.loc[f["_active"] & bg & f["suspend_at"].isna(), "_key"].to_numpy()
    extra_rows = []
    for i in donors:
        row = m.iloc[i]
        choices = hosts[hosts != row["_fam"]]
        if choices.size == 0:
            continue
        host = int(rng.choice(choices))
        host_first = f.loc[f["_key"] == host, "created_at"].iloc[0]
        start = max(host_first, row["joined_at"])
        joined = start + timedelta(days=int(rng.integers(1, max(2, (end_of_day - start).days))))
        extra_rows.append({**row.to_dict(), "_fam": host, "relation": "其他", "joined_at": min(joined, end_of_day),
                           "quirk": "member_in_two_families"})
    if extra_rows:
        m = pd.concat([m, pd.DataFrame(extra_rows)], ignore_index=True)

    # applicant_not_member: the applicant's 本人 row deleted (replaced after death, not re-entered)
    bg_keys = f.loc[bg, "_key"].to_numpy()
    for key in rng.permutation(bg_keys)[:count_for(APPLICANT_NOT_MEMBER, len(f))]:
        own = m.index[(m["_fam"] == key) & (m["relation"] == "本人") & m["deleted_at"].isna()]
        for i in own:
            m.at[i, "deleted_at"] = m.at[i, "joined_at"] + timedelta(days=int(rng.integers(30, 300)))
            if m.at[i, "deleted_at"] > end_of_day:
                m.at[i, "deleted_at"] = end_of_day - timedelta(hours=8)
            m.at[i, "quirk"] = "applicant_not_member"
        f.loc[f["_key"] == key, "quirk"] = "applicant_not_member"

    # deleted families (entered in error): the family and its members carry 删除标志 '1'
    for key in rng.permutation(bg_keys)[:count_for(FAMILY_DELETED, len(f))]:
        i = f.index[f["_key"] == key][0]
        if f.at[i, "quirk"]:
            continue
        when = min(f.at[i, "created_at"] + timedelta(days=int(rng.integers(2, 60))), end_of_day - timedelta(hours=8))
        f.at[i, "deleted_at"] = when
        f.at[i, "quirk"] = "deleted"
        rows = (m["_fam"] == key) & m["deleted_at"].isna()
        m.loc[rows, "deleted_at"] = when

    # 保障人数 = valid 是 members at as_of (or at termination); 月保障金额 from it
    valid_cov = m[m["deleted_at"].isna() & (m["covered"] == "是")].groupby("_fam").size()
    f["count"] = np.where(f["count"].isna(), f["_key"].map(valid_cov).fillna(0).astype(int), f["count"])
    f["count"] = f["count"].astype(int)
    last_del = m.dropna(subset=["deleted_at"]).groupby("_fam")["deleted_at"].max()
    f["count_at"] = f["_key"].map(last_del)
    mismatch = rng.permutation(f.index[bg & f["_active"] & (f["quirk"] == "")])[
        :count_for(BENEFIT_COUNT_MISMATCH, int(f["_active"].sum()))]
    for i in mismatch:
        f.at[i, "count"] = f.at[i, "count"] + 1 if f.at[i, "count"] <= 1 or rng.random() < 0.5 else f.at[i, "count"] - 1
        f.at[i, "quirk"] = "benefit_count_mismatch"
    todo = f["amount"].isna().to_numpy()
    cats = f["category"].to_numpy(dtype=object)[todo]
    counts = f["count"].to_numpy()[todo]
    for col, src in (("amount", "approval"), ("amount_prev", "approval_prev")):
        years = np.array([d.year for d in f[src].to_numpy()[todo]], dtype=int)
        values = f[col].to_numpy(dtype=object).copy()
        values[todo] = np.round(_standard_vec(cats, years) * counts, 2)
        f[col] = values

    # 家庭编号 in order of creation
    f = f.sort_values(["created_at", "_key"], kind="stable", ignore_index=True)
    base, step = int(rng.integers(100_000, 200_000)), rng.integers(1, 40, size=len(f))
    numbers = base + np.cumsum(step)
    f["family_id"] = [f"JZ370481{x:010d}" for x in numbers]
    ids = dict(zip(f["_key"], f["family_id"], strict=True))
    hh_info = world.households.set_index("hh")
    f["town"] = hh_info["town"].reindex(f["hh"]).to_numpy()
    f["village"] = hh_info["village"].reindex(f["hh"]).to_numpy()
    f["applicant_id"] = P.id[f["applicant_pid"].to_numpy()]
    f["applicant_name"] = P.name[f["applicant_pid"].to_numpy()]
    term = f["terminate_at"]
    f["status"] = np.where(term.notna(), "停保", np.where(f["suspend_at"].notna(), "暂停", "在保"))
    f["start_month"] = f["start_month"].map(month_text)
    f["end_month"] = f["end_month"].map(lambda x: None if x is None or pd.isna(x) else month_text(int(x)))
    for col in ("first_approval", "approval", "approval_prev"):
        f[col] = pd.to_datetime(f[col]).astype("datetime64[s]")
    for col in ("review_at", "suspend_at", "terminate_at", "deleted_at", "created_at", "count_at"):
        f[col] = pd.to_datetime(f[col]).astype("datetime64[s]")
    families = f[["_key", "family_id", "hh", "applicant_pid", "applicant_id", "applicant_name", "category", "town",
                  "village", "first_approval", "approval", "approval_prev", "review_at", "amount", "amount_prev",
                  "count", "count_at", "start_month", "end_month", "suspend_at", "terminate_at", "deleted_at",
                  "created_at", "status", "account", "sid", "quirk"]].copy()
    families["amount"] = families["amount"].astype(float)
    families["amount_prev"] = families["amount_prev"].astype(float)

    m["family_id"] = m["_fam"].map(ids)
    m = _orphan_members(m, rng, families)
    pids = m["pid"].to_numpy()
    members = pd.DataFrame({
        "family_id": m["family_id"].to_numpy(dtype=object), "pid": pids, "id_number": P.id[pids],
        "name": P.name[pids], "relation": m["relation"].to_numpy(dtype=object),
        "covered": m["covered"].to_numpy(dtype=object), "health": m["health"].to_numpy(dtype=object),
        "labor": m["labor"].to_numpy(dtype=object),
        "joined_at": pd.to_datetime(m["joined_at"]).astype("datetime64[s]").to_numpy(),
        "deleted_at": pd.to_datetime(m["deleted_at"]).astype("datetime64[s]").to_numpy(),
        "sid": m["sid"].to_numpy(dtype=object), "quirk": m["quirk"].to_numpy(dtype=object)})
    members = members.sort_values(["family_id", "joined_at", "pid"], kind="stable", ignore_index=True)
    return families, members


def _orphan_members(m: pd.DataFrame, rng: np.random.Generator, families: pd.DataFrame) -> pd.DataFrame:
    """orphan_rows: jz_member rows whose 家庭编号 does not exist (a mistyped number)."""
    n = count_for(ORPHAN_ROWS, len(m))
    known = set(families["family_id"])
    bg = np.flatnonzero((m["sid"] == "").to_numpy())
    rows = []
    for i in rng.permutation(bg)[:n]:
        row = m.iloc[i].to_dict()
        while True:
            fid = f"JZ370481{int(rng.integers(10**9, 10**10)):010d}"
            if fid not in known:
                break
        rows.append({**row, "family_id": fid, "quirk": "orphan_rows", "_fam": -1})
    return pd.concat([m, pd.DataFrame(rows)], ignore_index=True) if rows else m


# --- payments ------------------------------------------------------------------------------------

def _payments(world: World, ctx: _Context, families: pd.DataFrame, temp: list[dict],
              planted: list[dict]) -> pd.DataFrame:
    """Monthly 低保金/特困供养金 (+ 分类施保金, 护理补贴), 临时救助金, back pay, reversals; 发放编号."""
    rng = world.rng("welfare:payments")
    as_of = world.cfg.as_of
    f = families[(families["sid"] == "") & (families["quirk"] != "deleted") & (families["category"] != "低保边缘")]
    first_mi = np.maximum(f["start_month"].map(lambda x: int(x[:4]) * 12 + int(x[4:]) - 1).to_numpy(),
                          month_index(ASSISTANCE_START))
    last_mi = np.full(len(f), ctx.last_paid_mi)
    end = f["end_month"].to_numpy(dtype=object)
    for i, e in enumerate(end):
        if isinstance(e, str):
            last_mi[i] = min(last_mi[i], int(e[:4]) * 12 + int(e[4:]) - 1)
    susp = f["suspend_at"].to_numpy()
    for i in np.flatnonzero(~np.isnat(susp)):
        last_mi[i] = min(last_mi[i], ctx.last_paid_before(_pydate(susp[i])))
    lengths = np.maximum(last_mi - first_mi + 1, 0)
    idx = np.repeat(np.arange(len(f)), lengths)
    offs = np.arange(idx.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    months = first_mi[idx] + offs
    cat = f["category"].to_numpy(dtype=object)[idx]
    counts = f["count"].to_numpy()[idx]
    years = months // 12
    std = _standard_vec(cat, years)
    fid = f["family_id"].to_numpy(dtype=object)[idx]
    acct = f["account"].to_numpy(dtype=object)[idx]
    batch = np.array([ctx.batch[int(x)] for x in range(ctx.first_mi, max(ctx.batch) + 1)], dtype="datetime64[D]")
    pay_date = batch[months - ctx.first_mi]
    kind = np.where(np.char.endswith(cat.astype(str), "特困"), "特困供养金", "低保金").astype(object)
    amount = np.round(std * np.maximum(counts, 1), 2)
    quirk = np.full(idx.size, "", dtype=object)
    # first month of a family approved after that month's batch: paid as back pay a few days later
    fa = f["first_approval"].to_numpy().astype("datetime64[D]")[idx]
    is_first = offs == 0
    late_first = is_first & (fa > pay_date) & (months == (fa.astype("datetime64[M]").astype(int) + 1970 * 12))
    pay_date = np.where(late_first, _working_after(fa, rng.integers(1, 6, size=idx.size)), pay_date)
    quirk[late_first] = "back_pay"
    # other back pay (补发 after an account problem or a resumption): paid 5-40 days after the batch
    extra = ~late_first & (rng.random(idx.size) < BACK_PAY_EXTRA)
    later = _working_after(pay_date, rng.integers(5, 40, size=idx.size))
    extra &= later <= _d64(as_of)
    later_month = later.astype("datetime64[M]") > pay_date.astype("datetime64[M]")
    extra &= later_month
    pay_date = np.where(extra, later, pay_date)
    quirk[extra] = "back_pay"
    regular = pd.DataFrame({"family_id": fid, "month": months, "kind": kind, "amount": amount,
                            "pay_date": pay_date, "account": acct, "quirk": quirk, "sid": ""})
    frames = [regular, _supplements(f, idx, months, pay_date, quirk, std, rng)]
    frames.append(_after_termination(f, ctx, rng, len(regular)))
    if temp:
        t = pd.DataFrame(temp)
        acct_of = dict(zip(families["family_id"], families["account"], strict=True))
        t["family_id"] = t["_fam"].map(dict(zip(families["_key"], families["family_id"], strict=True)))
        t["account"] = t["family_id"].map(acct_of)
        t["month"] = [month_index(_pydate(d)) for d in t["pay_date"]]
        t["pay_date"] = t["pay_date"].to_numpy().astype("datetime64[D]")
        frames.append(t[["family_id", "month", "kind", "amount", "pay_date", "account", "quirk", "sid"]])
    if planted:
        p = pd.DataFrame(planted)
        key_to_id = dict(zip(families["_key"], families["family_id"], strict=True))
        acct_of = dict(zip(families["_key"], families["account"], strict=True))
        p["family_id"] = p["_fam"].map(key_to_id)
        p["account"] = p["_fam"].map(acct_of)
        p["pay_date"] = p["pay_date"].to_numpy().astype("datetime64[D]")
        frames.append(p[["family_id", "month", "kind", "amount", "pay_date", "account", "quirk", "sid"]])
    pay = pd.concat(frames, ignore_index=True)
    pay = pd.concat([pay, _reversals(pay, rng, as_of)], ignore_index=True)
    pay = _orphan_payments(pay, rng, set(families["family_id"]))
    return _number_payments(pay, rng)


def _standard_vec(cat: np.ndarray, years: np.ndarray) -> np.ndarray:
    out = np.zeros(cat.size)
    for c in CATEGORIES:
        sel = cat == c
        if sel.any():
            table = np.array([standard(c, y) for y in range(2019, 2027)])
            out[sel] = table[np.clip(years[sel], 2019, 2026) - 2019]
    return out


def _working_after(days: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The n-th working day after each day (vectorised: Monday-Friday)."""
    return np.busday_offset(np.asarray(days, dtype="datetime64[D]"), np.asarray(n), roll="forward")


def _supplements(f: pd.DataFrame, idx: np.ndarray, months: np.ndarray, pay_date: np.ndarray,
                 quirk: np.ndarray, std: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """分类施保金 for ~12% of 低保 families, 护理补贴 for ~17% of 特困 families, in their paid months."""
    cat = f["category"].to_numpy(dtype=object)
    u = rng.random(len(f))
    special = np.where(np.char.endswith(cat.astype(str), "低保"), u < 0.12, False)
    care = np.where(np.char.endswith(cat.astype(str), "特困"), u < 0.17, False)
    share = rng.choice([0.1, 0.15, 0.2, 0.3], size=len(f))
    n_special = 1 + (rng.random(len(f)) < 0.3)
    rows = []
    for mask, kind in ((special[idx], "分类施保金"), (care[idx], "护理补贴")):
        if not mask.any():
            continue
        base = std[mask] if kind == "分类施保金" else std[mask] / TEKUN_MULTIPLIER
        factor = (share * n_special)[idx][mask] if kind == "分类施保金" else 0.3
        rows.append(pd.DataFrame({
            "family_id": f["family_id"].to_numpy(dtype=object)[idx][mask], "month": months[mask], "kind": kind,
            "amount": np.round(base * factor, 0), "pay_date": pay_date[mask],
            "account": f["account"].to_numpy(dtype=object)[idx][mask], "quirk": quirk[mask], "sid": ""}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["family_id", "month", "kind", "amount", "pay_date", "account", "quirk", "sid"])


def _after_termination(f: pd.DataFrame, ctx: _Context, rng: np.random.Generator, n_regular: int) -> pd.DataFrame:
    """payment_after_termination: a month paid after 终止年月 or while 暂停 (about half reversed later)."""
    stopped = f[f["end_month"].notna() | f["suspend_at"].notna()]
    rows = []
    for i in rng.permutation(len(stopped))[:count_for(PAYMENT_AFTER_TERMINATION, n_regular)]:
        r = stopped.iloc[int(i)]
        if isinstance(r["end_month"], str):
            mi = int(r["end_month"][:4]) * 12 + int(r["end_month"][4:])  # the month after 终止年月
        else:
            mi = ctx.last_paid_before(_pydate(r["suspend_at"])) + 1
        if mi > ctx.last_paid_mi:
            continue
        amount = round(standard(r["category"], mi // 12) * max(int(r["count"]), 1), 2)
        kind = "特困供养金" if r["category"].endswith("特困") else "低保金"
        rows.append({"family_id": r["family_id"], "month": mi, "kind": kind, "amount": amount,
                     "pay_date": np.datetime64(ctx.batch[mi], "D"), "account": r["account"],
                     "quirk": "payment_after_termination", "sid": ""})
        if rng.random() < 0.5:
            when = ctx.batch[mi] + timedelta(days=int(rng.integers(10, 60)))
            if when <= ctx.as_of:
                rows.append({**rows[-1], "amount": -amount, "pay_date": np.datetime64(
                    cal.next_working_day_on_or_after(when), "D"), "quirk": "reversal"})
    return pd.DataFrame(rows, columns=["family_id", "month", "kind", "amount", "pay_date", "account", "quirk", "sid"])


def _reversals(pay: pd.DataFrame, rng: np.random.Generator, as_of: date) -> pd.DataFrame:
    """reversal: negative rows (own 发放编号) reversing ~0.2% of earlier background rows 5-60 days later."""
    cand = np.flatnonzero(((pay["sid"] == "") & (pay["amount"] > 0) & (pay["quirk"] == "")).to_numpy())
    n = count_for(REVERSAL, len(pay))
    hit = rng.permutation(cand)[:n]
    r = pay.iloc[hit].copy()
    r["amount"] = -r["amount"]
    r["pay_date"] = _working_after(r["pay_date"].to_numpy(), rng.integers(5, 45, size=len(r)))
    r["quirk"] = "reversal"
    return r[r["pay_date"].to_numpy().astype("datetime64[D]") <= _d64(as_of)]


def _orphan_payments(pay: pd.DataFrame, rng: np.random.Generator, known: set[str]) -> pd.DataFrame:
    bg = np.flatnonzero(((pay["sid"] == "") & (pay["amount"] > 0)).to_numpy())
    rows = pay.iloc[rng.permutation(bg)[:count_for(ORPHAN_ROWS, len(pay))]].copy()
    fids = []
    for _ in range(len(rows)):
        while True:
            fid = f"JZ370481{int(rng.integers(10**9, 10**10)):010d}"
            if fid not in known:
                fids.append(fid)
                break
    rows["family_id"] = fids
    rows["quirk"] = "orphan_rows"
    return pd.concat([pay, rows], ignore_index=True)


def _number_payments(pay: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """发放编号 = 'FF' + 发放日期 + 8-digit sequence of the day; 更新时间 = insert time on the pay day."""
    pay = pay.copy()
    pay["pay_date"] = pay["pay_date"].to_numpy().astype("datetime64[D]")
    pay["_neg"] = pay["amount"] < 0
    pay = pay.sort_values(["pay_date", "_neg", "family_id", "month", "kind"], kind="stable", ignore_index=True)
    seq = pay.groupby("pay_date").cumcount().to_numpy() + 1
    day = pay["pay_date"].to_numpy()
    day_text = np.char.replace(day.astype("datetime64[D]").astype(str), "-", "")
    pay["pay_id"] = np.char.add(np.char.add("FF", day_text), np.char.zfill(seq.astype(str), 8)).astype(object)
    # batch rows are inserted together at 09:00 (several per second); others during office hours
    batch_like = (pay["quirk"].isin(["", "payment_after_termination"]) & ~pay["_neg"]
                  & ~pay["kind"].eq("临时救助金")).to_numpy()
    secs = np.where(batch_like, 9 * 3600 + seq // 40, rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800, size=len(pay)))
    pay["inserted_at"] = (day.astype("datetime64[s]") + secs.astype("timedelta64[s]"))
    months = pay["month"].to_numpy().astype(int)
    pay["month"] = (months // 12 * 100 + months % 12 + 1).astype(str).astype(object)
    pay["pay_date"] = day.astype("datetime64[s]")
    pay["amount"] = pay["amount"].astype(float).round(2)
    return pay[["pay_id", "family_id", "month", "kind", "amount", "pay_date", "inserted_at", "account", "sid",
                "quirk"]]


# --- applications and referrals ------------------------------------------------------------------

def _app(rng: np.random.Generator, key: int, hh: int, applicant: int, app_date: date, category: str,
         final: str | None, decided: date | None, as_of: date, fam_key: int | None = None) -> dict:
    """One background application with its timeline (no decision by as_of = still open)."""
    created = _at(app_date, _office(rng))
    check = app_date + timedelta(days=int(rng.integers(1, 5)))
    if final == "已撤回":
        decided = app_date + timedelta(days=int(rng.integers(2, 20)))
    elif final is not None and decided is None:
        decided = check + timedelta(days=int(rng.integers(5, 40)))
    decided_at = None
    if decided is not None and decided <= as_of:
        decided_at = max(_at(decided, _office(rng)), created + timedelta(hours=1))
    check_at = None
    if check <= as_of and not (final == "已撤回" and decided is not None and decided <= check):
        check_at = max(_at(check, _office(rng)), created + timedelta(minutes=30))
        if decided_at is not None and check_at >= decided_at:
            check_at = decided_at - timedelta(minutes=30)
    authorized = "否" if rng.random() < 0.03 else "是"
    auth_date = None if authorized == "否" else app_date
    quirk = ""
    return {"_key": key, "hh": hh, "applicant_pid": applicant, "app_date": app_date, "category": category,
            "authorized": authorized, "auth_date": auth_date, "promise": "是" if rng.random() < 0.98 else "否",
            "created_at": created, "check_at": check_at, "decided_at": decided_at,
            "final_status": final if decided_at is not None else None, "_fam": fam_key, "sid": "", "quirk": quirk}


def _app_members(P: _Persons, rng: np.random.Generator, app: dict, pids: np.ndarray, as_of: date) -> list[dict]:
    """Declared members (the applicant first); ~2% removed before the decision (删除标志 '1')."""
    app_rel = P.rel[app["applicant_pid"]]
    pids = [app["applicant_pid"]] + [int(q) for q in pids if int(q) != app["applicant_pid"]]
    rows = []
    for q in pids:
        own = q == app["applicant_pid"]
        deleted = None
        if not own and rng.random() < 0.02:
            deleted = app["created_at"] + timedelta(days=1, hours=int(rng.integers(0, 6)))
            if deleted.date() > as_of:
                deleted = None
        rows.append({"_app": app["_key"], "pid": q, "relation": "本人" if own else
                     relation_to(app_rel, P.rel[q], bool(P.male[q])), "created_at": app["created_at"],
                     "deleted_at": deleted, "sid": ""})
    return rows


def _applications(world: World, P: _Persons, ctx: _Context, fams: list[dict],
                  mems: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Background applications: approvals of families, refused/withdrawn/open ones, 临时救助."""
    cfg, s = world.cfg, world.cfg.scale
    as_of = cfg.as_of
    rng = world.rng("welfare:applications")
    apps: list[dict] = []
    app_mems: list[dict] = []
    temp_pay: list[dict] = []
    years = (as_of - ASSISTANCE_START).days / 365.25

    def add(app: dict, pids: np.ndarray) -> None:
        apps.append(app)
        app_mems.extend(_app_members(P, rng, app, pids, as_of))

    members_of: dict[int, list[int]] = {}
    for r in mems:
        members_of.setdefault(r["_fam"], []).append(r["pid"])
    n_approvals = 0
    for fam in fams:
        if fam["first_approval"] < date(2019, 1, 20):
            continue
        app_date = max(fam["first_approval"] - timedelta(days=int(rng.integers(8, 40))), date(2019, 1, 2))
        app_date = cal.next_working_day_on_or_after(app_date)
        if app_date > fam["first_approval"]:
            app_date = fam["first_approval"]
        app = _app(rng, ctx.key(), fam["hh"], fam["applicant_pid"], app_date, APP_CATEGORY[fam["category"]],
                   "已审批", fam["first_approval"], as_of, fam["_key"])
        pids = np.array(members_of[fam["_key"]])
        add(app, pids[P.present(pids, app_date)])
        n_approvals += 1

    # near-poor households that apply and are refused, withdraw, or are still waiting
    feats_hh = np.array(sorted({f["hh"] for f in fams}))
    fam_hh = set(feats_hh.tolist())
    wealth = world.households["wealth"].to_numpy()
    planted_hh = set(world.planted_hh.values())
    coll = world.households["collective"].to_numpy()
    near = np.flatnonzero((wealth < 0.2) & ~coll)
    near = np.array([h for h in near if h not in planted_hh and h not in fam_hh]) if near.size else near
    n_other = max(0, round(FAMILY_APPS_PER_YEAR * s * years) - n_approvals)
    cat_p = np.array([0.73, 0.09, 0.18])
    for _ in range(n_other if near.size else 0):
        hh = int(near[rng.integers(near.size)])
        app_date = cal.next_working_day_on_or_after(_rand_day(rng, date(2019, 1, 2), as_of))
        if app_date > as_of:
            continue
        applicant = _applicant(P, P.of_hh(hh), app_date)
        if applicant is None:
            continue
        category = ("低保", "特困", "低保边缘")[int(rng.choice(3, p=cat_p))]
        final = "已撤回" if rng.random() < 0.17 else "不予批准"
        pids = P.of_hh(hh)
        add(_app(rng, ctx.key(), hh, applicant, app_date, category, final, None, as_of),
            pids[P.present(pids, app_date)])

    # 临时救助: 70% by assistance families (paid to the family when approved), 30% by other households
    n_temp = round(TEMP_APPS_PER_YEAR * s * years)
    fam_arr = [f for f in fams if (f["terminate_at"] or _at(as_of, 0)).date() > max(f["first_approval"],
                                                                                     date(2019, 1, 2))]
    spans = np.array([((f["terminate_at"] or _at(as_of, 0)).date() - max(f["first_approval"], date(2019, 1, 2))).days
                      for f in fam_arr], dtype=float)
    for _ in range(n_temp):
        by_family = rng.random() < 0.7 and spans.size > 0
        u = rng.random()
        final = "已审批" if u < 0.75 else "不予批准" if u < 0.93 else "已撤回"
        if by_family:
            fam = fam_arr[int(rng.choice(spans.size, p=spans / spans.sum()))]
            lo = max(fam["first_approval"], date(2019, 1, 2))
            hi = (fam["terminate_at"] or _at(as_of, 0)).date()
            app_date = cal.next_working_day_on_or_after(_rand_day(rng, lo, hi))
            if app_date > min(hi, as_of):
                continue
            pids = np.array(members_of[fam["_key"]])
            pids = pids[P.present(pids, app_date)]
            if fam["applicant_pid"] not in set(pids.tolist()):
                continue
            app = _app(rng, ctx.key(), fam["hh"], fam["applicant_pid"], app_date, "临时救助", final, None, as_of,
                       fam["_key"])
            add(app, pids)
            if app["final_status"] == "已审批":
                pay_day = np.busday_offset(_d64(app["decided_at"].date()), int(rng.integers(1, 10)), roll="forward")
                if _pydate(pay_day) <= as_of and _pydate(pay_day) <= hi + timedelta(days=30):
                    amount = float(np.clip(round(float(rng.lognormal(np.log(2000), 0.8)), -2), 500, 20000))
                    temp_pay.append({"_fam": fam["_key"], "kind": "临时救助金", "amount": amount,
                                     "pay_date": pay_day, "quirk": "", "sid": ""})
        elif near.size:
            hh = int(near[rng.integers(near.size)])
            app_date = cal.next_working_day_on_or_after(_rand_day(rng, date(2019, 1, 2), as_of))
            applicant = _applicant(P, P.of_hh(hh), app_date) if app_date <= as_of else None
            if applicant is None:
                continue
            pids = P.of_hh(hh)
            add(_app(rng, ctx.key(), hh, applicant, app_date, "临时救助", final, None, as_of),
                pids[P.present(pids, app_date)])
    # authorization_date_missing: 授权书签署 是 without a date
    signed = [a for a in apps if a["authorized"] == "是"]
    for i in rng.permutation(len(signed))[:count_for(AUTH_DATE_MISSING, len(signed))]:
        signed[int(i)]["auth_date"] = None
        signed[int(i)]["quirk"] = "authorization_date_missing"
    return apps, app_mems, temp_pay


def _referrals(world: World, apps: list[dict]) -> list[dict]:
    """~6k referrals a year from checked applications; ~10% overdue, ~3% never answered."""
    cfg = world.cfg
    as_of = cfg.as_of
    rng = world.rng("welfare:referrals")
    years = (as_of - ASSISTANCE_START).days / 365.25
    eligible = [a for a in apps if a["check_at"] is not None and a["final_status"] in (None, "已审批", "不予批准")]
    if not eligible:
        return []
    p = min(1.0, REFERRALS_PER_YEAR * cfg.scale * years / len(eligible))
    dept_p = np.array([r[2] for r in REFERRAL_ITEMS])
    out = []
    for a in eligible:
        if rng.random() >= p:
            continue
        dispatched = a["check_at"] + timedelta(days=int(rng.integers(0, 10)), minutes=int(rng.integers(10, 300)))
        if dispatched.date() > as_of:
            continue
        dept, items, _ = REFERRAL_ITEMS[int(rng.choice(len(REFERRAL_ITEMS), p=dept_p / dept_p.sum()))]
        limit = int(rng.choice([5, 10, 15, 20, 30], p=[0.15, 0.35, 0.25, 0.1, 0.15]))
        out.append(_referral(rng, a["_key"], dept, items[int(rng.integers(len(items)))], dispatched, limit, as_of))
    return out


def _referral(rng: np.random.Generator, app_key: int, dept: str, item: str, dispatched: datetime, limit: int,
              as_of: date) -> dict:
    u = rng.random()
    due = dispatched + timedelta(days=limit)
    interim = final = None
    if u < 0.03:
        pass  # never any feedback
    elif u < 0.10:  # final result only after the due date
        final = due + timedelta(days=int(rng.integers(1, 30)), hours=int(rng.integers(0, 8)))
        if rng.random() < 0.5:
            interim = dispatched + timedelta(days=int(rng.integers(1, max(2, limit))), hours=2)
    else:
        final = dispatched + timedelta(days=float(rng.uniform(0.2, limit - 0.1)))
        if rng.random() < 0.15:
            interim = dispatched + (final - dispatched) / 2
    result = "已办结" if rng.random() < 0.85 else "不符合条件"
    end = _at(as_of, 86399)
    if final is not None and final > end:
        final = None
    if interim is not None and interim > end:
        interim = None
    return {"_app": app_key, "dept": dept, "item": item, "dispatched_at": dispatched.replace(microsecond=0),
            "limit_days": limit, "interim_at": None if interim is None else interim.replace(microsecond=0),
            "final_at": None if final is None else final.replace(microsecond=0),
            "final_result": result if final is not None else None, "sid": "", "quirk": ""}


def _application_frames(world: World, apps: list[dict], app_mems: list[dict],
                        families: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """申请编号 in order of acceptance; status at as_of; the two application tables."""
    P_id = world.people["id_number"].to_numpy(dtype=object)
    P_name = world.people["name"].to_numpy(dtype=object)
    a = pd.DataFrame(apps)
    a = a.sort_values(["app_date", "created_at", "_key"], kind="stable", ignore_index=True)
    a["app_id"] = _day_numbers("SQ", a["app_date"].map(lambda d: d.strftime("%Y%m%d")), 6,
                               world.rng("welfare:app-numbers"))
    hh_town = world.households.set_index("hh")["town"]
    a["town"] = hh_town.reindex(a["hh"]).to_numpy()
    a["applicant_id"] = P_id[a["applicant_pid"].to_numpy()]
    a["applicant_name"] = P_name[a["applicant_pid"].to_numpy()]
    key_to_fid = dict(zip(families["_key"], families["family_id"], strict=True))
    a["family_id"] = a["_fam"].map(lambda k: key_to_fid.get(k) if k is not None and not pd.isna(k) else None)
    a["status"] = [s if s is not None else ("核对中" if c is not None and not pd.isna(c) else "已受理")
                   for s, c in zip(a["final_status"], a["check_at"], strict=True)]
    for col in ("app_date", "auth_date"):
        a[col] = pd.to_datetime(a[col]).astype("datetime64[s]")
    for col in ("created_at", "check_at", "decided_at"):
        a[col] = pd.to_datetime(a[col]).astype("datetime64[s]")
    applications = a[["_key", "app_id", "applicant_pid", "applicant_id", "applicant_name", "app_date", "category",
                      "town", "authorized", "auth_date", "promise", "created_at", "check_at", "decided_at",
                      "final_status", "status", "family_id", "sid", "quirk"]].copy()
    m = pd.DataFrame(app_mems)
    key_to_app = dict(zip(a["_key"], a["app_id"], strict=True))
    pids = m["pid"].to_numpy()
    members = pd.DataFrame({
        "app_id": m["_app"].map(key_to_app).to_numpy(dtype=object), "pid": pids, "id_number": P_id[pids],
        "name": P_name[pids], "relation": m["relation"].to_numpy(dtype=object),
        "created_at": pd.to_datetime(m["created_at"]).astype("datetime64[s]").to_numpy(),
        "deleted_at": pd.to_datetime(m["deleted_at"]).astype("datetime64[s]").to_numpy(),
        "sid": m["sid"].to_numpy(dtype=object)})
    members = members.drop_duplicates(["app_id", "id_number"], keep="first")
    members = members.sort_values(["app_id", "created_at", "pid"], kind="stable", ignore_index=True)
    return applications, members


def _day_numbers(prefix: str, day: pd.Series, width: int, rng: np.random.Generator) -> list[str]:
    """prefix + YYYYMMDD + a sequence of the day (the system's counter: a random start, small gaps)."""
    day = day.reset_index(drop=True)
    start = {d: int(x) for d, x in zip(sorted(set(day)), rng.integers(1, 200, size=day.nunique()), strict=True)}
    step = rng.integers(1, 4, size=len(day))
    seq = pd.Series(step).groupby(day).cumsum().to_numpy()
    return [f"{prefix}{d}{start[d] + q:0{width}d}" for d, q in zip(day, seq, strict=True)]


def _referral_frame(world: World, refs: list[dict], applications: pd.DataFrame) -> pd.DataFrame:
    cols = ["ref_id", "app_id", "dept", "item", "dispatched_at", "limit_days", "interim_at", "final_at",
            "final_result", "sid", "quirk"]
    if not refs:
        return pd.DataFrame(columns=cols)
    rng = world.rng("welfare:referral-numbers")
    r = pd.DataFrame(refs)
    key_to_app = dict(zip(applications["_key"], applications["app_id"], strict=True))
    r["app_id"] = r["_app"].map(key_to_app)
    # orphan_rows: a referral naming an application number that does not exist
    known = set(applications["app_id"])
    bg = np.flatnonzero((r["sid"] == "").to_numpy())
    for i in rng.permutation(bg)[:count_for(ORPHAN_ROWS, len(r))]:
        row = r.iloc[int(i)].to_dict()
        while True:
            app_id = "SQ" + row["dispatched_at"].strftime("%Y%m%d") + f"{int(rng.integers(900_000, 999_999)):06d}"
            if app_id not in known:
                break
        r = pd.concat([r, pd.DataFrame([{**row, "app_id": app_id, "quirk": "orphan_rows"}])], ignore_index=True)
    r = r.sort_values(["dispatched_at", "app_id"], kind="stable", ignore_index=True)
    r["ref_id"] = _day_numbers("ZB", r["dispatched_at"].map(lambda t: t.strftime("%Y%m%d")), 6, rng)
    for col in ("dispatched_at", "interim_at", "final_at"):
        r[col] = pd.to_datetime(r[col]).astype("datetime64[s]")
    r["limit_days"] = r["limit_days"].astype(int)
    return r[cols]


# --- planted households ----------------------------------------------------------------------------

class _Planted:
    """Renders the planted households' welfare facts into working rows (see the module docstring)."""

    def __init__(self, world: World, P: _Persons, ctx: _Context) -> None:
        self.world, self.P, self.ctx = world, P, ctx
        self.as_of = world.cfg.as_of
        self.rng = world.rng("welfare:planted")
        self.fams: list[dict] = []
        self.mems: list[dict] = []
        self.apps: list[dict] = []
        self.app_mems: list[dict] = []
        self.refs: list[dict] = []
        self.payments: list[dict] = []
        self.certs: list[dict] = []
        self.ffp_rows: list[dict] = []
        self.holdings: list[dict] = []
        self.requests: list[dict] = []
        self.household_keys: list[tuple[str, int, str]] = []

    def pid(self, h: PHousehold, m: PMember) -> int:
        return self.world.planted_pids[(h.sid, m.key)]

    def render(self) -> None:
        for h in self.world.planted:
            fam_key = self._family(h) if h.family is not None else None
            app = self._application(h) if h.application is not None else None
            if h.kind == "family" and fam_key is not None:
                self.household_keys.append((h.sid, fam_key, "family"))
            elif h.kind == "application" and app is not None:
                self.household_keys.append((h.sid, app["_key"], "application"))
            self._bank(h, app, fam_key)
            for m in h.members:
                if m.disability is not None:
                    self._cert(h, m)
            if h.rural_monitoring is not None:
                self._ffp(h)

    def _head(self, h: PHousehold) -> PMember:
        return next((m for m in h.members if m.rel == "户主"), h.members[0])

    def _relation(self, h: PHousehold, m: PMember) -> str:
        head = self._head(h)
        return "本人" if m is head else relation_to(head.rel, m.rel, m.male)

    def _severe(self, m: PMember) -> bool:
        d = m.disability
        return d is not None and d.status != "注销" and (d.grade in ("一级", "二级") or (
            d.grade == "三级" and d.kind in ("智力", "精神")))

    def _family(self, h: PHousehold) -> int:
        pf = h.family
        as_of, ctx = self.as_of, self.ctx
        first = as_of - timedelta(days=pf.approved_days_ago)
        created = _at(first, 10 * 3600)
        key = ctx.key()
        members: list[tuple[int, str, bool, PMember | None]] = [
            (self.pid(h, m), self._relation(h, m), m.covered, m) for m in h.members]
        if h.extra_family_of is not None:
            other_sid, other_key = h.extra_family_of
            members.append((self.world.planted_pids[(other_sid, other_key)], "其他", True, None))
        deleted = _at(first + timedelta(days=3), 11 * 3600) if pf.deleted else None
        for q, rel, covered, m in members:
            health = "残疾" if m is not None and m.disability is not None and m.disability.status != "注销" else "健康"
            age = float(self.P.age(q, as_of))
            self.mems.append({"_fam": key, "pid": q, "relation": rel, "covered": "是" if covered else "否",
                              "health": health, "labor": _labor(age, m is not None and self._severe(m), health),
                              "joined_at": created, "deleted_at": deleted, "sid": h.sid, "quirk": ""})
        count = sum(1 for _, _, c, _ in members if c)
        amount = pf.monthly_amount if pf.monthly_amount is not None else round(
            standard(pf.category, as_of.year) * count, 2)
        start = month_index(first) if first < ctx.batch[month_index(first)] else month_index(first) + 1
        suspend = stop = None
        if pf.status == "暂停":
            suspend = max(as_of - timedelta(days=40), first + (as_of - first) / 2)
        elif pf.status == "停保":
            stop = max(as_of - timedelta(days=70), first + (as_of - first) / 2)
        end_month = None
        last = ctx.last_paid_mi
        if stop is not None:
            mi = month_index(stop)
            end_month = max(start, mi if ctx.batch[mi] <= stop else mi - 1)
            last = min(last, end_month)
        if suspend is not None:
            last = min(last, ctx.last_paid_before(suspend))
        deaths = [self.P.death[q] for q, _, c, _ in members if c and not np.isnat(self.P.death[q])]
        extra_months: set[int] = set()
        if deaths:
            death_mi = month_index(_pydate(min(deaths)))
            last = min(last, death_mi + pf.paid_after_death_months)
            extra_months = set(range(death_mi + 1, death_mi + pf.paid_after_death_months + 1))
        if pf.category != "低保边缘" and not pf.deleted:
            kind = "特困供养金" if pf.category.endswith("特困") else "低保金"
            for mi in range(max(start, month_index(ASSISTANCE_START)), last + 1):
                self.payments.append({"_fam": key, "month": mi, "kind": kind, "amount": float(amount),
                                      "pay_date": _d64(ctx.batch[mi]), "quirk": "", "sid": h.sid})
                if pf.reversed_after_death and mi in extra_months:
                    back = cal.next_working_day_on_or_after(ctx.batch[mi] + timedelta(days=20))
                    if back <= as_of:
                        self.payments.append({"_fam": key, "month": mi, "kind": kind, "amount": -float(amount),
                                              "pay_date": _d64(back), "quirk": "reversal", "sid": h.sid})
        self.fams.append({
            "_key": key, "hh": self.world.planted_hh[h.sid], "applicant_pid": self.pid(h, self._head(h)),
            "category": pf.category, "first_approval": first, "approval": first, "approval_prev": first,
            "review_at": None, "start_month": start, "end_month": end_month,
            "suspend_at": None if suspend is None else _at(suspend, 10 * 3600),
            "terminate_at": None if stop is None else _at(stop, 10 * 3600), "deleted_at": deleted,
            "created_at": created, "amount": float(amount), "amount_prev": float(amount), "count": count,
            "account": f"622991{int(self.rng.integers(0, 10**10)):010d}", "sid": h.sid,
            "quirk": "deleted" if pf.deleted else ""})
        return key

    def _application(self, h: PHousehold) -> dict:
        pa = h.application
        as_of = self.as_of
        app_date = as_of - timedelta(days=pa.days_ago)
        created = _at(app_date, 9 * 3600 + 1800)
        check_at = decided_at = None
        final = None
        if pa.status in ("核对中", "已审批", "不予批准"):
            check_at = _at(min(app_date + timedelta(days=1), as_of), 10 * 3600)
        if pa.status in ("已审批", "不予批准"):
            day = min(app_date + timedelta(days=10), as_of - timedelta(days=1))
            decided_at = max(_at(day, 15 * 3600), check_at + timedelta(hours=1))
            final = pa.status
        elif pa.status == "已撤回":
            decided_at, final = _at(app_date + timedelta(days=1), 15 * 3600), "已撤回"
        auth = "是" if pa.authorized else "否"
        auth_date = app_date if pa.authorized and not pa.authorization_date_missing else None
        head = self._head(h)
        app = {"_key": self.ctx.key(), "hh": self.world.planted_hh[h.sid], "applicant_pid": self.pid(h, head),
               "app_date": app_date, "category": pa.category, "authorized": auth, "auth_date": auth_date,
               "promise": "是", "created_at": created, "check_at": check_at, "decided_at": decided_at,
               "final_status": final, "_fam": None, "sid": h.sid,
               "quirk": "authorization_date_missing" if pa.authorized and pa.authorization_date_missing else ""}
        self._add_app(h, app)
        family = next((f for f in self.fams if f["sid"] == h.sid), None)
        if family is not None and pa.category == "临时救助" and final == "已审批":
            # paid to the family (assistance.yaml application_lifecycle); never counted by any rule
            app["_fam"] = family["_key"]
            day = cal.add_working_days(decided_at.date(), 3)
            if day <= as_of:
                self.payments.append({"_fam": family["_key"], "month": month_index(day), "kind": "临时救助金",
                                      "amount": 1000.0, "pay_date": _d64(day), "quirk": "", "sid": h.sid})
        if pa.referral is not None:
            r = pa.referral
            dispatched = _at(as_of - timedelta(days=r.dispatched_days_ago), 10 * 3600)
            fb_at = None
            if r.feedback is not None:
                days = r.feedback_days_ago if r.feedback_days_ago is not None else r.dispatched_days_ago - 1
                fb_at = _at(as_of - timedelta(days=days), 15 * 3600)
            final_fb = r.feedback in ("已办结", "不符合条件")
            self.refs.append({"_app": app["_key"], "dept": "医保局", "item": "医疗救助", "dispatched_at": dispatched,
                              "limit_days": r.limit_days, "interim_at": fb_at if r.feedback == "办理中" else None,
                              "final_at": fb_at if final_fb else None,
                              "final_result": r.feedback if final_fb else None, "sid": h.sid, "quirk": ""})
        return app

    def _add_app(self, h: PHousehold, app: dict) -> None:
        self.apps.append(app)
        for m in h.members:
            self.app_mems.append({"_app": app["_key"], "pid": self.pid(h, m), "relation": self._relation(h, m),
                                  "created_at": app["created_at"], "deleted_at": None, "sid": h.sid})

    def _approval_application(self, h: PHousehold, fam_key: int) -> dict:
        fam = next(f for f in self.fams if f["_key"] == fam_key)
        app_date = fam["first_approval"] - timedelta(days=15)
        app = {"_key": self.ctx.key(), "hh": fam["hh"], "applicant_pid": fam["applicant_pid"], "app_date": app_date,
               "category": APP_CATEGORY[fam["category"]], "authorized": "是", "auth_date": app_date, "promise": "是",
               "created_at": _at(app_date, 9 * 3600), "check_at": _at(app_date + timedelta(days=1), 10 * 3600),
               "decided_at": _at(fam["first_approval"], 9 * 3600), "final_status": "已审批", "_fam": fam_key,
               "sid": h.sid, "quirk": ""}
        self._add_app(h, app)
        return app

    def _bank(self, h: PHousehold, app: dict | None, fam_key: int | None) -> None:
        queried = [m for m in h.members if m.bank is not None]
        for m in h.members:
            self._holdings(h, m)
        if not queried:
            return
        covers = app is not None and app["authorized"] == "是" and app["auth_date"] is not None \
            and app["final_status"] != "已撤回"
        if not covers:
            if fam_key is None:
                return  # no signed 授权书 covers the members: the pipeline could not have asked
            app = self._approval_application(h, fam_key)
        created, arrival = self._request_times(h, app["auth_date"])
        for m in queried:
            q = self.pid(h, m)
            self.requests.append({"_app": app["_key"], "created_at": created, "pid": q, "arrival": arrival,
                                  "sid": h.sid})

    def _request_times(self, h: PHousehold, auth: date) -> tuple[datetime, datetime]:
        as_of = self.as_of
        for day, wait in ((max(auth + timedelta(days=1), as_of - timedelta(days=30)), 3),
                          (auth + timedelta(days=1), 2), (auth, 2)):
            pickup = cal.next_working_day_on_or_after(day)
            arrival = cal.add_working_days(pickup, wait)
            if arrival <= as_of:
                return _at(day, 16 * 3600), _at(arrival, 10 * 3600 + 1800)
        raise ValueError(f"planted household {h.sid}: its 授权书 ({auth}) is too recent for a bank response "
                         f"to arrive by {as_of}")

    def _holdings(self, h: PHousehold, m: PMember) -> None:
        q = self.pid(h, m)
        idn = self.P.id[q]
        if m.bank is None or m.bank_status == "无记录":
            return
        total = round(float(m.bank), 2)
        if m.bank_status == "查询失败":
            self.holdings.append({"pid": q, "id_number": idn, "institution": PLANTED_FAIL_INSTITUTION,
                                  "category": None, "balance": None, "planted": True})
            if total <= 0:
                return
        if total >= 100:
            first = round(total * 0.6, 2)
            parts = [("山东滕州农村商业银行股份有限公司", "活期存款", first),
                     ("中国农业银行股份有限公司滕州市支行", "定期存款", round(total - first, 2))]
        else:
            parts = [("山东滕州农村商业银行股份有限公司", "活期存款", total)]
        for inst, cat, bal in parts:
            self.holdings.append({"pid": q, "id_number": idn, "institution": inst, "category": cat, "balance": bal,
                                  "planted": True})

    def _cert(self, h: PHousehold, m: PMember) -> None:
        d = m.disability
        q = self.pid(h, m)
        k, g = KINDS.index(d.kind), GRADES.index(d.grade)
        issue = self.as_of - timedelta(days=d.issued_days_ago)
        hh = self.world.planted_hh[h.sid]
        self.certs.append({
            "cert_no": f"{self.P.id[q]}{k + 1}{g + 1}", "pid": q, "id_number": self.P.id[q], "name": self.P.name[q],
            "sex": "男" if m.male else "女", "kind": d.kind, "grade": d.grade, "issue_date": np.datetime64(issue, "s"),
            "cancel_date": np.datetime64("NaT", "s"), "quirk": "",
            "address": str(self.world.households.at[hh, "address"]), "guardian": None,
            "phone": f"139{int(self.rng.integers(0, 10**8)):08d}", "status_fixed": d.status, "sid": h.sid})

    def certs_frame(self) -> pd.DataFrame:
        cols = ["cert_no", "pid", "id_number", "name", "sex", "kind", "grade", "issue_date", "cancel_date", "quirk",
                "address", "guardian", "phone", "status_fixed", "sid"]
        df = pd.DataFrame(self.certs, columns=cols)
        for col in ("issue_date", "cancel_date"):
            df[col] = pd.to_datetime(df[col]).astype("datetime64[s]")
        return df

    def _ffp(self, h: PHousehold) -> None:
        head = self._head(h)
        q = self.pid(h, head)
        hh = self.world.planted_hh[h.sid]
        village = _village_name(str(self.world.households.at[hh, "village"]))
        alive = sum(1 for m in h.members if m.death_days_ago is None)
        self.ffp_rows.append({
            "hh": hh, "head_pid": q, "category": "边缘易致贫户", "risk": "因病",
            "included": self.as_of - timedelta(days=400),
            "eliminated": None if h.rural_monitoring else self.as_of - timedelta(days=120), "reincluded": None,
            "size": max(1, alive), "income": 6000.0, "town": h.town, "village": village, "sid": h.sid, "quirk": ""})


# --- 防返贫 monitoring ------------------------------------------------------------------------------

FFP_CATEGORIES = (("脱贫不稳定户", 0.35), ("边缘易致贫户", 0.50), ("突发严重困难户", 0.15))
FFP_RISKS = (("因病", 0.45), ("因残", 0.20), ("因学", 0.08), ("因灾", 0.03), ("因意外事故", 0.08),
             ("因产业项目失败", 0.03), ("因务工就业不稳", 0.08), ("其他", 0.05))


def _ffp(world: World, P: _Persons, planted_rows: list[dict]) -> pd.DataFrame:
    """~3k monitored households (rural towns mostly), ~1.2k with risk not eliminated."""
    cfg = world.cfg
    as_of = cfg.as_of
    rng = world.rng("welfare:ffp")
    h = world.households
    planted_hh = set(world.planted_hh.values())
    rural = ~h["town"].str.endswith("街道").to_numpy()
    cand_mask = (~h["collective"].to_numpy()) & (h["wealth"].to_numpy() < 0.2) & ~h["hh"].isin(planted_hh).to_numpy()
    n = _scaled(FFP_HOUSEHOLDS, cfg.scale)
    weight = np.where(rural, 1.0, 0.05) * (0.25 - h["wealth"].to_numpy())
    idx = np.flatnonzero(cand_mask)
    w = weight[idx]
    chosen = np.sort(rng.choice(idx, size=min(n, idx.size), replace=False, p=w / w.sum()))
    rows = []
    open_share = FFP_OPEN / FFP_HOUSEHOLDS
    for hh in chosen:
        hh = int(hh)
        closed = rng.random() >= open_share
        latest = as_of - timedelta(days=200 if closed else 30)
        included = _rand_day(rng, date(2021, 3, 1), latest)
        pids = P.of_hh(hh)
        head = _applicant(P, pids, included)
        if head is None:
            continue
        eliminated = reincluded = None
        if closed:  # risk eliminated 6-24 months after inclusion
            eliminated = _rand_day(rng, included + timedelta(days=180),
                                   min(included + timedelta(days=720), as_of - timedelta(days=1)))
        elif rng.random() < 0.15:  # re-included after an earlier elimination
            eliminated = included + timedelta(days=int(rng.integers(180, 500)))
            reincluded = eliminated + timedelta(days=int(rng.integers(90, 540)))
            if reincluded > as_of - timedelta(days=1):
                eliminated = reincluded = None
        size = int(P.present(pids, included).sum()) or 1
        base = 6500 if eliminated is None or reincluded is not None else 11000
        income = round(float(rng.normal(base, base * 0.2)), int(rng.choice([0, 1, 2], p=[0.5, 0.2, 0.3])))
        rows.append({"hh": hh, "head_pid": head, "category": FFP_CATEGORIES[int(rng.choice(3, p=[c[1] for c in
                                                                                                    FFP_CATEGORIES]))][0],
                     "risk": FFP_RISKS[int(rng.choice(len(FFP_RISKS), p=[r[1] for r in FFP_RISKS]))][0],
                     "included": included, "eliminated": eliminated, "reincluded": reincluded, "size": min(size, 12),
                     "income": max(income, 1200.0), "town": str(h.at[hh, "town"]),
                     "village": _village_name(str(h.at[hh, "village"])), "sid": "", "quirk": ""})
    df = pd.DataFrame(rows + planted_rows)
    # deceased_head: ~1% of rows name a head who has died since (natural ones first, then added)
    death = P.death[df["head_pid"].to_numpy()]
    dead = ~np.isnat(death) & (death <= _d64(as_of))
    natural = dead & (df["sid"] == "").to_numpy()
    df.loc[natural, "quirk"] = "deceased_head"
    want = count_for(FFP_DECEASED_HEAD, len(df)) - int(natural.sum())
    if want > 0:
        df = pd.concat([df, _ffp_dead_heads(world, P, rng, want, set(df["hh"]))], ignore_index=True)
    # elimination_inconsistent: a re-included household whose old 风险消除时间 was not cleared
    re = np.flatnonzero(df["reincluded"].notna().to_numpy() & (df["sid"] == "").to_numpy())
    for i in rng.permutation(re)[:count_for(FFP_ELIMINATION_INCONSISTENT, len(df))]:
        df.at[df.index[i], "quirk"] = "elimination_inconsistent"
    df["head_id"] = P.id[df["head_pid"].to_numpy()]
    df["head_name"] = P.name[df["head_pid"].to_numpy()]
    # 户编号 = 370481 + town (3) + village (3) + sequence (4)
    village_no: dict[tuple[str, str], int] = {}
    seq: dict[tuple[str, str], int] = {}
    df = df.sort_values(["town", "village", "hh"], kind="stable", ignore_index=True)
    hh_no = []
    for town, village in zip(df["town"], df["village"], strict=True):
        k = (town, village)
        village_no.setdefault(k, sum(1 for t, _ in village_no if t == town) + 1)
        seq[k] = seq.get(k, 0) + 1
        hh_no.append(f"{geo.TOWN_CODES[town]}{village_no[k]:03d}{seq[k]:04d}")
    df["hh_no"] = hh_no
    for col in ("included", "eliminated", "reincluded"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[s]")
    return df[["hh_no", "hh", "head_pid", "head_id", "head_name", "category", "risk", "included", "eliminated",
               "reincluded", "size", "income", "town", "village", "sid", "quirk"]]


def _village_name(village: str) -> str:
    """行政村 short name: subdistrict communities keep their village-style name ending in 村."""
    return village if village.endswith("村") else village.removesuffix("社区") + "村"


def _ffp_dead_heads(world: World, P: _Persons, rng: np.random.Generator, n: int, taken: set[int]) -> pd.DataFrame:
    """Households whose (former) head died after inclusion."""
    as_of = world.cfg.as_of
    h = world.households
    planted_hh = set(world.planted_hh.values())
    death = P.death
    heads = np.flatnonzero((P.rel == "户主") & ~np.isnat(death) & (death <= _d64(as_of)) &
                           (death >= _d64(date(2021, 9, 1))) & ~P.planted)
    heads = np.array([q for q in heads if P.hh[q] not in taken and P.hh[q] not in planted_hh
                      and not h.at[int(P.hh[q]), "collective"] and str(h.at[int(P.hh[q]), "town"]).endswith("镇")],
                     dtype=int)
    rows = []
    for q in rng.permutation(heads)[:n]:
        hh = int(P.hh[q])
        died = _pydate(death[q])
        included = _rand_day(rng, date(2021, 3, 1), died - timedelta(days=30))
        rows.append({"hh": hh, "head_pid": int(q), "category": "脱贫不稳定户", "risk": "因病", "included": included,
                     "eliminated": None, "reincluded": None, "size": max(1, int(P.present(P.of_hh(hh), included).sum())),
                     "income": round(float(rng.normal(6000, 800)), 2), "town": str(h.at[hh, "town"]),
                     "village": _village_name(str(h.at[hh, "village"])), "sid": "", "quirk": "deceased_head"})
        taken.add(hh)
    return pd.DataFrame(rows)


# --- bank holdings and historical requests ---------------------------------------------------------

def _holdings(world: World, P: _Persons, planted: list[dict]) -> pd.DataFrame:
    """Per person (background): 0-6 (institution, 账户类别) holdings, more and larger with wealth."""
    rng = world.rng("welfare:holdings")
    n = len(P.hh)
    wealth = world.households["wealth"].to_numpy()[P.hh]
    age = P.age(np.arange(n), world.cfg.as_of)
    lam = np.where(age < 16, 0.4, 0.8 + 2.2 * wealth)
    k = np.minimum(rng.poisson(lam), 6)
    k[P.planted] = 0
    pid = np.repeat(np.arange(n), k)
    w = np.array([i[1] for i in INSTITUTIONS])
    inst = rng.choice(len(INSTITUTIONS), size=pid.size, p=w / w.sum())
    securities = np.array([i[2] for i in INSTITUTIONS])[inst]
    cat = np.where(securities, rng.choice([4, 3], size=pid.size, p=[0.7, 0.3]),
                   rng.choice(4, size=pid.size, p=[0.65, 0.22, 0.08, 0.05]))
    df = pd.DataFrame({"pid": pid, "inst": inst, "cat": cat})
    df = df.drop_duplicates(["pid", "inst", "cat"], ignore_index=True)
    wp = wealth[df["pid"].to_numpy()]
    offset = np.array([0.0, 1.0, 1.2, 0.3, 1.0])[df["cat"].to_numpy()]
    mu = np.log(300 + 60_000 * wp ** 2) + offset
    bal = np.round(rng.lognormal(mu, 1.1), 2)
    bal[(df["cat"].to_numpy() == 0) & (rng.random(len(df)) < 0.05)] = 0.0
    out = pd.DataFrame({
        "pid": df["pid"].to_numpy(), "id_number": P.id[df["pid"].to_numpy()],
        "institution": np.array([i[0] for i in INSTITUTIONS], dtype=object)[df["inst"].to_numpy()],
        "category": np.array(ACCOUNT_CATEGORIES, dtype=object)[df["cat"].to_numpy()],
        "balance": bal, "planted": False})
    if planted:
        out = pd.concat([out, pd.DataFrame(planted)], ignore_index=True)
    return out


def _bank_requests(world: World, applications: pd.DataFrame, members: pd.DataFrame,
                   planted: list[dict]) -> pd.DataFrame:
    """Historical request batches of the year before the window, as the pipeline would have written them.

    Every checked application with a signed, dated 授权书 that was not withdrawn has its valid members
    queried on the day checking began (before the 17:00 pickup); batches per (受理乡镇街道, day),
    persons unique per batch. Planted queries get a batch of their own.
    """
    cfg = world.cfg
    rng = world.rng("welfare:bank-requests")
    first_bd = cfg.first_business_date
    lo = first_bd - timedelta(days=375)
    a = applications[(applications["sid"] == "") & (applications["authorized"] == "是")
                     & applications["auth_date"].notna() & applications["check_at"].notna()
                     & (applications["status"] != "已撤回")]
    check_day = a["check_at"].dt.normalize()
    a = a[(check_day >= pd.Timestamp(lo)) & (check_day < pd.Timestamp(first_bd))]
    mem = members[members["deleted_at"].isna()][["app_id", "pid", "id_number", "name"]]
    rows = a[["app_id", "town", "check_at", "auth_date"]].merge(mem, on="app_id")
    secs = rng.integers(13 * 3600, 16 * 3600 + 3000, size=len(rows))
    rows["created_at"] = rows["check_at"].dt.normalize() + pd.to_timedelta(secs, unit="s")
    rows["created_at"] = rows["created_at"].astype("datetime64[s]")
    # the center sends ~6 batches a working day (bank.yaml volume: ~1,500 batches a year)
    town_group = rows["town"].map(lambda t: str(geo.TOWN_NAMES.index(t) % 6))
    rows["_group"] = town_group + rows["check_at"].dt.strftime("%Y%m%d")
    rows = rows.sort_values(["check_at", "town", "app_id", "pid"], kind="stable")
    rows["created_at"] = rows.groupby("_group")["created_at"].transform("min")
    rows = rows.drop_duplicates(["_group", "id_number"], keep="first")
    rows["sid"] = ""
    parts = [rows[["_group", "created_at", "pid", "id_number", "name", "app_id", "auth_date", "sid"]]]
    if planted:
        key_to = applications.set_index("_key")
        p = pd.DataFrame(planted)
        p["app_id"] = key_to.loc[p["_app"], "app_id"].to_numpy()
        p["auth_date"] = key_to.loc[p["_app"], "auth_date"].to_numpy()
        p["id_number"] = world.people["id_number"].to_numpy(dtype=object)[p["pid"].to_numpy()]
        p["name"] = world.people["name"].to_numpy(dtype=object)[p["pid"].to_numpy()]
        p["_group"] = "planted:" + p["sid"]
        p["created_at"] = pd.to_datetime(p["created_at"]).astype("datetime64[s]")
        p["arrival"] = pd.to_datetime(p["arrival"]).astype("datetime64[s]")
        parts.append(p[["_group", "created_at", "pid", "id_number", "name", "app_id", "auth_date", "sid", "arrival"]])
    req = pd.concat(parts, ignore_index=True)
    if "arrival" not in req:
        req["arrival"] = pd.Series(pd.NaT, index=req.index, dtype="datetime64[s]")
    # 批次号 = HD370481 + YYYYMMDD of 生成时间 + 4-digit sequence of the day, in order of generation
    groups = req.groupby("_group", sort=False)["created_at"].first().reset_index()
    groups = groups.sort_values(["created_at", "_group"], kind="stable", ignore_index=True)
    day = groups["created_at"].dt.strftime("%Y%m%d")
    groups["batch"] = ["HD370481" + d + f"{s:04d}" for d, s in
                       zip(day, groups.groupby(day).cumcount().to_numpy() + 1, strict=True)]
    req = req.merge(groups[["_group", "batch"]], on="_group")
    req = req.sort_values(["batch", "app_id", "pid"], kind="stable", ignore_index=True)
    return req[["batch", "created_at", "pid", "id_number", "name", "app_id", "auth_date", "sid", "arrival"]]
