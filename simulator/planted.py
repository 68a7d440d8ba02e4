"""Planted households: the vocabulary of facts a scenario states, and their persons.

A scenario (see `simulator/scenarios.py`) describes a household in domain terms: who its members
are, what each earns, owns and receives, and which assistance records exist. Every domain module
renders the facts of its own sources for planted persons, and generates nothing else for them, so
the truth of a planted household is fully determined by its scenario.

Conventions every renderer follows:
- Amounts are monthly yuan, constant over every month of the policy's income window and the
  months around it (the 13 months of monthly history), unless a field says otherwise.
- "days_ago" fields count back from `SimConfig.as_of`.
- Planted records carry no random quirks unless a field asks for one (near misses do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# ---- per-member facts ------------------------------------------------------------------------


@dataclass(frozen=True)
class PVehicle:
    """A motor vehicle registered to the member (vehicles source)."""

    vtype: str = "小型轿车"          # 车辆类型 (exempt: 普通二轮摩托车, 三轮汽车, 低速货车, 残疾人专用小型自动挡载客汽车)
    status: str = "A"               # 机动车状态 letters, e.g. 'A', 'GQ', 'E' (cancelled), 'B', 'M', 'P'
    legacy15_owner_id: bool = False  # owner ID written as the 15-digit legacy number (still the member)


@dataclass(frozen=True)
class PProperty:
    """A real-estate unit currently held (property source: FULL file or daily log)."""

    use: str = "住宅"                 # 用途
    area: float | None = 90.0        # 建筑面积; None = empty (counts 0)
    co_holder: str | None = None     # key of another member of the SAME household holding it jointly
    outside_holder: bool = False     # also held by a non-member (按份共有 50%)
    cancelled: bool = False          # a later 注销登记 ended the right → not held
    sold_days_ago: int | None = None  # transferred to someone else that many days ago → not held
    via_daily_log_days_ago: int | None = None  # registered by a daily BDC file (首次/转移) instead of FULL


@dataclass(frozen=True)
class PBusiness:
    """A role of the member in a market entity (business source)."""

    entity_type: str = "有限责任公司"  # 市场主体类型
    role: str = "股东"                # 人员类型
    status: str = "存续"              # 登记状态
    funds_wan: float | None = None   # 资金数额 (万元) for 个体工商户


@dataclass(frozen=True)
class PDisability:
    """A disability certificate (disability source)."""

    kind: str = "肢体"        # 残疾类别
    grade: str = "一级"       # 残疾等级
    status: str = "有效"      # 证件状态
    issued_days_ago: int = 800


@dataclass(frozen=True)
class PMedical:
    """A settlement with 个人自付 = oop (medical source); refunded → a full refund row nets it to 0."""

    oop: float
    days_ago: int = 60
    refunded: bool = False
    kind: str = "住院"


@dataclass(frozen=True)
class PMember:
    """One planted person. `key` is local to the scenario ('head', 'spouse', 'child1', …)."""

    key: str
    age: int
    male: bool
    rel: str = "户主"                 # 与户主关系 in hukou; families/applications map 户主 → 本人
    covered: bool = True             # jz_member 是否保障对象 (family households)
    # income facts (monthly yuan)
    wage: float = 0.0                # tax 工资、薪金所得 every window month, one employer
    wage_extra_employer: float = 0.0  # a second employer's 工资、薪金所得 (both count)
    wage_corrected_from: float | None = None  # first declared this amount, then 更正申报 to `wage`
    wage_reversed: bool = False      # the window's wage lines are all 冲正 (cancelled, no re-declaration)
    labor: float = 0.0               # tax 劳务报酬所得 monthly
    si_base: float = 0.0             # 110 contribution 缴费基数 (a stand-in only without tax wage)
    si_flexible: bool = False        # the 110 contribution is under 37048199999 (never a stand-in)
    si_public: bool = False          # 120 contributions in the window (public payroll)
    si_public_before: bool = False   # 120 contributions only for the 3 months from 16 to 14 months before the
    #   as-of month (before any possible income window), none later (left public employment)
    gjj_base: float = 0.0            # housing fund 缴存基数 (正常 account, last paid = latest month)
    pension: float = 0.0             # si_benefit 基本养老金
    resident_pension: float = 0.0    # si_benefit 城乡居民基础养老金 (never counted)
    unemployment: float = 0.0        # si_benefit 失业保险金
    rent: float = 0.0                # tax 财产租赁所得
    business_income_q: float = 0.0   # tax 经营所得 per quarter (cumulative lines per quarter)
    # life events
    death_days_ago: int | None = None
    death_in: tuple[str, ...] = ("deaths", "cremation", "hukou")  # sources that record the death
    hukou_status: str = "正常"        # 正常, 迁出 or 注销 (then 状态变动日期 = 60 days ago)
    # assets and other facts
    disability: PDisability | None = None
    vehicles: tuple[PVehicle, ...] = ()
    properties: tuple[PProperty, ...] = ()
    businesses: tuple[PBusiness, ...] = ()
    bank: float | None = None        # total 成功 余额 of the latest response; None = never queried
    bank_status: str = "成功"         # 成功, 无记录 or 查询失败 for that response
    medical: tuple[PMedical, ...] = ()
    enrollment: tuple[str, str, str] | None = ("居民医保", "参保缴费", "auto")
    #   (参保类型, 参保状态, 资助参保类别) for the as-of year; 'auto' = from the household's status;
    #   None = no yb_enrollment row for the as-of year
    student: str | None = None       # 学段 of an 在读 student (XJ), None = not a student
    student_aid: bool = True         # has a ZZ row for the current 学年 (only with student)


# ---- household-level facts -------------------------------------------------------------------


@dataclass(frozen=True)
class PReferral:
    """A jz_referral of the household's application."""

    limit_days: int = 10
    dispatched_days_ago: int = 30
    feedback: str | None = None      # None, 办理中, 已办结, 不符合条件
    feedback_days_ago: int | None = None


@dataclass(frozen=True)
class PApplication:
    """A jz_application (+ members) naming the household's members."""

    category: str = "低保"            # 申请类别
    status: str = "核对中"            # 申请状态
    days_ago: int = 20               # 申请日期 = as_of - days_ago
    authorized: bool = True          # 授权书签署 是 with a date
    authorization_date_missing: bool = False
    referral: PReferral | None = None


@dataclass(frozen=True)
class PFamily:
    """An active (or not) jz_family with its members (the household's members)."""

    category: str = "农村低保"        # 救助类别
    status: str = "在保"              # 家庭状态
    approved_days_ago: int = 700
    monthly_amount: float | None = None  # None = standard × covered members
    paid_after_death_months: int = 0    # 低保金 rows for months after a 是 member's death month
    reversed_after_death: bool = False  # those rows are reversed by negative rows (net 0)
    deleted: bool = False               # 删除标志 '1'


@dataclass(frozen=True)
class PHousehold:
    """A planted household; `kind` says which household rule places its members (policy §2)."""

    sid: str                          # unique scenario id, e.g. 'VEHICLE_OWNED/hit/1'
    kind: str                         # 'family', 'application' or 'hukou'
    town: str
    members: tuple[PMember, ...]
    family: PFamily | None = None
    application: PApplication | None = None
    extra_family_of: tuple[str, str] | None = None  # (other sid, member key): that member is also a 是 member here
    rural_monitoring: bool | None = None  # a 防返贫 row for the head: True = 风险是否消除 否 (risk not eliminated)
    note: str = ""                    # what makes it a hit or a near miss


@dataclass
class Truth:
    """Expected outcomes of one planted household (written to DIR/_truth/)."""

    sid: str
    household_id: str | None = None    # filled once IDs are assigned
    programs: dict[str, bool] = field(default_factory=dict)    # DIBAO, TEKUN, DIBAO_EDGE, RIGID_EXPENDITURE
    alerts: list[dict] = field(default_factory=list)           # {'code', 'id_number' or None, 'key'}
    profile: dict[str, float | int | None] = field(default_factory=dict)
    note: str = ""


def planted_as_of_date(as_of: date, days_ago: int) -> date:
    """The day `days_ago` days before as_of."""
    from datetime import timedelta

    return as_of - timedelta(days=days_ago)


def add_planted_people(people, households, catalogue: tuple[PHousehold, ...], cfg, rng):
    """Append the planted persons and their hukou households; return (people, households, pids, hhs).

    Planted persons get fresh unique ID numbers, a hukou household of their own in the scenario's
    town, and the life events their facts state (death with the sources that know it, 迁出/注销).
    """
    from datetime import timedelta

    import numpy as np
    import pandas as pd

    from simulator import geo, names
    from simulator.ids import make_ids

    used = set(people["id_number"])
    used_hukou = set(households["hukou_no"])
    p_rows, h_rows = [], []
    pids: dict[tuple[str, str], int] = {}
    hhs: dict[str, int] = {}
    next_pid, next_hh = len(people), len(households)
    for h in catalogue:
        village = geo.village_names(h.town, 1, rng)[0]
        while True:
            hukou_no = f"{int(rng.integers(900_000_000, 999_999_999)):09d}"
            if hukou_no not in used_hukou:
                used_hukou.add(hukou_no)
                break
        h_rows.append({"hh": next_hh, "hukou_no": hukou_no, "town": h.town, "village": village,
                       "address": geo.street_address(h.town, village, rng), "collective": False,
                       "wealth": 0.5})
        hhs[h.sid] = next_hh
        for m in h.members:
            birth = cfg.as_of - timedelta(days=int(m.age * 365.25 + rng.integers(30, 300)))
            while True:
                seq = int(rng.integers(0, 500)) * 2 + (1 if m.male else 0)
                idn = str(make_ids(np.array(["370481"]), np.array([np.datetime64(birth, "D")]),
                                   np.array([seq]))[0])
                if idn not in used:
                    used.add(idn)
                    break
            death = None if m.death_days_ago is None else cfg.as_of - timedelta(days=m.death_days_ago)
            reg = None
            if death is not None and "hukou" in m.death_in:
                reg = min(death + timedelta(days=7), cfg.as_of)
            out = cfg.as_of - timedelta(days=60) if m.hukou_status in ("迁出", "注销") else None
            p_rows.append({
                "pid": next_pid, "id_number": idn,
                "name": str(names.person_names(np.array([m.male]), rng, rare_rate=0.0)[0]),
                "sex": "男" if m.male else "女", "birth_date": np.datetime64(birth, "s"), "ethnicity": "汉族",
                "hh": next_hh, "rel": m.rel, "resident": True, "marital": "已婚" if m.age >= 25 else "未婚",
                "education": None if m.age < 6 else "初中", "planted": h.sid,
                "death_date": np.datetime64(death, "s") if death else np.datetime64("NaT", "s"),
                "hukou_death_reg": np.datetime64(reg, "s") if reg else np.datetime64("NaT", "s"),
                "death_certified": death is not None and "deaths" in m.death_in,
                "cremated": death is not None and "cremation" in m.death_in,
                "out_date": np.datetime64(out, "s") if out else np.datetime64("NaT", "s"),
                "out_status": m.hukou_status if out else "",
                "hukou_start": np.datetime64("NaT", "s"), "prev_hh": -1,
                "move_date": np.datetime64("NaT", "s"), "dup_registration": False,
            })
            pids[(h.sid, m.key)] = next_pid
            next_pid += 1
        next_hh += 1
    if p_rows:
        people = pd.concat([people, pd.DataFrame(p_rows).astype({c: people[c].dtype for c in people.columns
                                                                if c in ("birth_date", "death_date")})],
                           ignore_index=True)
        households = pd.concat([households, pd.DataFrame(h_rows)], ignore_index=True)
    return people, households, pids, hhs
