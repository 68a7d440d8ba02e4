"""Expected outcomes of the planted households, and the writer of DIR/_truth/.

Grain: one `Outcome` per planted household (scenario id), with its programs (policy section 5),
the alerts that land in it (section 6; one `ExpectedAlert` per alert subject) and its profile
(interfaces section 3, `mart.household_profile`).

This is a small, independent reading of ../shared/spec/policy.md applied to the scenario FACTS
(simulator/planted.py), never to generated data: the warehouse implements the same policy on the
deliveries, and the two must agree. Assumptions the facts cannot fix are stated where they are
used and in `README` below: every delivery arrives on its scheduled day (no late tax or disability
file), no source is stale, a planted member's `bank` balance comes from an authorized response of the
last 12 months, and each `PBusiness` is an entity of its own.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.calendar import month_add, monthly_delivery_date, yyyymm
from simulator.geo import is_urban
from simulator.planted import PFamily, PHousehold, PMember

PROGRAMS: tuple[str, ...] = ("DIBAO", "TEKUN", "DIBAO_EDGE", "RIGID_EXPENDITURE")
ALERT_CODES: tuple[str, ...] = (
    "DECEASED_STILL_PAID", "DECEASED_MEMBER_ACTIVE", "DUPLICATE_ASSISTANCE", "VEHICLE_OWNED",
    "PROPERTY_OVER_LIMIT", "BUSINESS_ROLE", "INCOME_OVER_STANDARD", "FINANCIAL_ASSETS_OVER_LIMIT",
    "PUBLIC_PAYROLL_MEMBER", "HUKOU_MOVED_OUT", "MISSED_DIBAO", "MEDICAL_HARDSHIP", "NEW_SEVERE_DISABILITY",
    "RURAL_MONITORED_UNCOVERED", "STUDENT_AID_MISSING", "MEDICAL_SUBSIDY_MISSING", "REFERRAL_OVERDUE",
)
#: mart.household_profile columns (interfaces section 3) that the facts determine.
PROFILE_COLUMNS: tuple[str, ...] = (
    "member_count", "monthly_income_total", "monthly_income_per_capita", "income_wage", "income_pension",
    "income_business", "income_property", "income_transfer", "financial_assets_total",
    "residential_property_count", "residential_property_area", "nonresidential_property_count",
    "vehicle_count", "nonexempt_vehicle_count", "active_business_count", "medical_out_of_pocket_12m",
    "severe_disability_count", "elderly_count", "minor_count", "assistance_category",
    "assistance_monthly_amount",
)
INCOME_TYPES: tuple[str, ...] = ("income_wage", "income_pension", "income_business", "income_property",
                                 "income_transfer")

# ---- policy section 1: parameters ------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """One year's row of every parameter of policy section 1 (Decimal, so thresholds are exact)."""

    dibao_urban: Decimal
    dibao_rural: Decimal
    tekun_multiplier: Decimal
    edge_multiplier: Decimal
    disposable_income_prev_year: Decimal
    fin_asset_months: Decimal
    max_residential_units: int
    max_getihu_capital: Decimal
    rigid_ratio: Decimal
    hardship_min_oop: Decimal

    def dibao(self, urban: bool) -> Decimal:
        return self.dibao_urban if urban else self.dibao_rural


def _params(urban: str, rural: str, disposable: str) -> Params:
    d = Decimal
    return Params(d(urban), d(rural), d("1.3"), d("1.5"), d(disposable), d("24"), 1, d("10"), d("0.6"),
                  d("10000"))


#: (effective_from, row); the row in effect on the as-of date applies.
PARAMETER_ROWS: tuple[tuple[date, Params], ...] = (
    (date(2024, 1, 1), _params("960", "770", "32000")),
    (date(2025, 1, 1), _params("1010", "820", "34000")),
    (date(2026, 1, 1), _params("1060", "870", "36000")),
)


def params(as_of: date) -> Params:
    """The parameter row in effect on as_of (before 2024: the 2024 row, the earliest published)."""
    row = PARAMETER_ROWS[0][1]
    for start, p in PARAMETER_ROWS:
        if start <= as_of:
            row = p
    return row


# ---- calendar of the rules -------------------------------------------------------------------


def income_window(as_of: date) -> tuple[str, ...]:
    """The 12 tax periods (YYYYMM, oldest first) of policy section 3 on as_of.

    GS_M arrives on the 20th of M+1 or the next working day (business date = that day); assumes the
    scheduled day (a late tax file shifts the window by a month).
    """
    prev = month_add(yyyymm(as_of), -1)
    last = prev if monthly_delivery_date(as_of.year, as_of.month, 20) <= as_of else month_add(prev, -1)
    return tuple(month_add(last, -i) for i in range(11, -1, -1))


def disability_snapshot_date(as_of: date) -> date:
    """统计日期 of the disability snapshot in use on as_of (CJR of month m arrives on the 5th of m+1
    or the next working day; business date = folder date; assumes the scheduled day)."""
    prev_end = as_of.replace(day=1) - timedelta(days=1)
    if monthly_delivery_date(as_of.year, as_of.month, 5) <= as_of:
        return prev_end
    return prev_end.replace(day=1) - timedelta(days=1)


def student_aid_evaluated(as_of: date) -> bool:
    """STUDENT_AID_MISSING runs from the business date of the 学年's December ZZ file (ZZ_YYYY12 arrives
    on 10 January, automated, night delivery → business date 9 January) to 31 August."""
    start_year = as_of.year if as_of.month >= 9 else as_of.year - 1
    return date(start_year + 1, 1, 9) <= as_of <= date(start_year + 1, 8, 31)


# ---- small helpers on facts ------------------------------------------------------------------

PersonRef = tuple[str, str]  # (scenario id, member key)

ZERO = Decimal(0)
EXEMPT_VEHICLES = frozenset({"普通二轮摩托车", "三轮汽车", "低速货车", "残疾人专用小型自动挡载客汽车"})
NOT_COUNTING_LETTERS = frozenset("BEMP")
NONRESIDENTIAL_USES = frozenset({"商业", "办公", "工业"})
BUSINESS_ROLES = frozenset({"法定代表人", "股东", "投资人", "执行事务合伙人"})
OPEN_APPLICATION = frozenset({"已受理", "核对中"})
FINAL_FEEDBACK = frozenset({"已办结", "不符合条件"})


def _d(x: float | int | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _money(x: Decimal | None) -> float | None:
    """Stored columns are rounded half-up to 0.01 (policy section 3)."""
    return None if x is None else float(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def active_family(f: PFamily | None) -> bool:
    """Policy section 2: 删除标志 '0' and 家庭状态 在保 or 暂停."""
    return f is not None and not f.deleted and f.status in ("在保", "暂停")


def derived_kind(h: PHousehold) -> str:
    """Which rule of policy section 2 places the household's own members."""
    if active_family(h.family):
        return "family"
    if h.application is not None and h.application.status in OPEN_APPLICATION:
        return "application"
    return "hukou"


def head_of(h: PHousehold) -> PMember:
    """The 户主 (applicant, 本人); the first member if none is marked."""
    return next((m for m in h.members if m.rel == "户主"), h.members[0])


def severe(m: PMember) -> bool:
    """Policy section 4: 有效/过期 certificate of 一级/二级, or 三级 智力/精神."""
    d = m.disability
    if d is None or d.status not in ("有效", "过期"):
        return False
    return d.grade in ("一级", "二级") or (d.grade == "三级" and d.kind in ("智力", "精神"))


def vehicle_counts(v) -> bool:
    return not (set(v.status) & NOT_COUNTING_LETTERS)


def business_breaks(b, cap: Decimal) -> bool:
    """Policy section 4 business limit, for one role of one entity."""
    if b.status not in ("存续", "在业"):
        return False
    if b.entity_type == "个体工商户":
        return b.role == "经营者" and b.funds_wan is not None and _d(b.funds_wan) > cap
    if b.entity_type == "农民专业合作社" and b.role == "投资人":
        return False
    return b.role in BUSINESS_ROLES


def property_held(p) -> bool:
    return not p.cancelled and p.sold_days_ago is None


# ---- outcome records -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedAlert:
    """One expected alert: its code, the household it lands in, its person subject and the fact behind it."""

    code: str
    household: str                 # scenario id of the household
    person: PersonRef | None       # None for household alerts
    ref: str | None = None         # triggering fact, e.g. 'head.vehicles[0]', 'application.referral'


@dataclass
class Outcome:
    """Expected result of one planted household on the as-of date."""

    sid: str
    kind: str
    town: str
    urban: bool
    members: tuple[PersonRef, ...] | None          # None when a member's placement is ambiguous
    programs: dict[str, bool]
    alerts: list[ExpectedAlert] = field(default_factory=list)
    skipped: list[ExpectedAlert] = field(default_factory=list)  # would fire, but the rule is skipped today
    profile: dict[str, Any] = field(default_factory=dict)
    uncertain: list[str] = field(default_factory=list)          # profile columns the facts do not fix


# ---- the evaluator ---------------------------------------------------------------------------


class _Context:
    """The catalogue indexed for the rules, and the calendar of the as-of date."""

    def __init__(self, catalogue: Sequence[PHousehold], as_of: date) -> None:
        self.as_of = as_of
        self.p = params(as_of)
        self.window = income_window(as_of)
        self.snapshot = disability_snapshot_date(as_of)
        self.hh = {h.sid: h for h in catalogue}
        if len(self.hh) != len(catalogue):
            raise ValueError("duplicate scenario ids")
        self.person: dict[PersonRef, PMember] = {(h.sid, m.key): m for h in catalogue for m in h.members}
        # valid jz_member rows per family: (person, 是否保障对象 是)
        self.jz_rows: dict[str, list[tuple[PersonRef, bool]]] = {}
        for h in catalogue:
            if h.family is None:
                continue
            rows = [((h.sid, m.key), m.covered) for m in h.members]
            if h.extra_family_of is not None:
                if h.extra_family_of not in self.person:
                    raise ValueError(f"{h.sid}: extra_family_of names no planted member")
                rows.append((h.extra_family_of, True))
            self.jz_rows[h.sid] = rows
        # policy section 2, rule 1-3 candidates per person (several = ambiguous, see placement)
        self.placement: dict[PersonRef, tuple[str, ...]] = {}
        for ref, m in self.person.items():
            fams = tuple(s for s, rows in self.jz_rows.items()
                         if active_family(self.hh[s].family) and any(r == ref for r, _ in rows))
            home = self.hh[ref[0]]
            by_application = home.application is not None and home.application.status in OPEN_APPLICATION
            by_hukou = m.hukou_status == "正常" and not self.hukou_dead(m)
            self.placement[ref] = fams or ((home.sid,) if by_application or by_hukou else ())

    # -- dates
    def true_death(self, m: PMember) -> date | None:
        return None if m.death_days_ago is None else self.as_of - timedelta(days=m.death_days_ago)

    def hukou_dead(self, m: PMember) -> bool:
        return m.death_days_ago is not None and "hukou" in m.death_in

    def death_date(self, m: PMember) -> date | None:
        """Policy section 2: earliest certificate/cremation date, else hukou's 状态变动日期."""
        died = self.true_death(m)
        if died is None:
            return None
        dates = [died] if {"deaths", "cremation"} & set(m.death_in) else []
        if "hukou" in m.death_in:
            dates.append(min(died + timedelta(days=7), self.as_of))  # as simulator.planted registers it
        return min(dates) if dates else None

    def is_member(self, m: PMember) -> bool:
        """Not dead before the as-of month, hukou not 迁出/注销 (policy section 2)."""
        dd = self.death_date(m)
        if dd is not None and dd < self.as_of.replace(day=1):
            return False
        return m.hukou_status == "正常"

    def in_window(self, d: date) -> bool:
        return self.window[0] <= yyyymm(d) <= self.window[-1]

    def candidates_for(self, sid: str) -> list[PersonRef]:
        """Persons that may be placed in household `sid`: its own members and a second family's member."""
        refs = [(sid, m.key) for m in self.hh[sid].members]
        extra = self.hh[sid].extra_family_of
        if extra is not None and extra not in refs:
            refs.append(extra)
        return [r for r in refs if sid in self.placement[r]]

    # -- income (policy section 3), monthly averages over the window
    def income(self, m: PMember) -> dict[str, Decimal]:
        # wage = 0 means no 工资、薪金所得 line at all; a reversed group leaves no current line
        current_group = (m.wage > 0 and not m.wage_reversed) or m.wage_extra_employer > 0 or m.labor > 0
        wage = (ZERO if m.wage_reversed else _d(m.wage)) + _d(m.wage_extra_employer) + _d(m.labor)
        if not current_group:
            if m.si_public:
                # the 120 缴费基数 would be the stand-in, and the facts do not state it
                raise ValueError(f"member {m.key}: si_public needs a tax wage (the 120 base is no fact)")
            if m.si_base > 0 and not m.si_flexible:
                wage = _d(m.si_base)                       # 110 base, 单位编号 ≠ 37048199999
            elif m.gjj_base > 0:
                wage = _d(m.gjj_base)                      # 正常 account paid up to the latest month
        return {
            "income_wage": wage,
            "income_pension": _d(m.pension),              # 城乡居民基础养老金 never counts
            "income_business": self.business_income(m),
            "income_property": _d(m.rent),
            "income_transfer": _d(m.unemployment),
        }

    def business_income(self, m: PMember) -> Decimal:
        """经营所得: each declared quarter's income spread over its 3 months; a quarter ending after the
        window's last period is not declared yet (its prepayment is filed after that month)."""
        if not m.business_income_q:
            return ZERO
        last = self.window[-1]
        months = 0
        for ym in self.window:
            quarter_end = f"{ym[:4]}{(int(ym[4:]) - 1) // 3 * 3 + 3:02d}"
            months += quarter_end <= last
        return _d(m.business_income_q) * months / 3 / 12


def _household(ctx: _Context, h: PHousehold, members: list[PersonRef]) -> tuple[dict, dict, list, dict]:
    """(programs, profile, alerts on its members, facts for cross-household rules) of one household
    for one fixed member set."""
    p = ctx.p
    kind = derived_kind(h)
    fam = h.family if kind == "family" else None
    if fam is not None and fam.category in ("城市低保", "农村低保", "城市特困", "农村特困"):
        urban = fam.category.startswith("城市")
    else:
        urban = is_urban(h.town)
    dibao = p.dibao(urban)
    pairs = [(r, ctx.person[r]) for r in members]
    ms = [m for _, m in pairs]
    n = len(ms)

    incomes = {t: ZERO for t in INCOME_TYPES}
    for m in ms:
        for t, v in ctx.income(m).items():
            incomes[t] += v
    total = sum(incomes.values(), ZERO)
    pc = total / n if n else None

    # assets and expenditure (policy section 4)
    usable_bank = not (kind == "application" and h.application is not None
                       and (not h.application.authorized or h.application.authorization_date_missing))
    queried = [m for m in ms if m.bank is not None] if usable_bank else []
    fin = sum((_d(m.bank) for m in queried if m.bank_status == "成功"), ZERO) if queried else None
    res = [pp for m in ms for pp in m.properties if property_held(pp) and pp.use == "住宅"]
    nonres = [pp for m in ms for pp in m.properties if property_held(pp) and pp.use in NONRESIDENTIAL_USES]
    counting = [(r, m, i, v) for r, m in pairs for i, v in enumerate(m.vehicles) if vehicle_counts(v)]
    nonexempt = [(r, m, i) for r, m, i, v in counting if v.vtype not in EXEMPT_VEHICLES]
    breaking = [(r, m, i) for r, m in pairs for i, b in enumerate(m.businesses)
                if business_breaks(b, p.max_getihu_capital)]
    oop = sum((_d(x.oop) for m in ms for x in m.medical
               if not x.refunded and ctx.in_window(ctx.as_of - timedelta(days=x.days_ago))), ZERO)
    n_severe = sum(severe(m) for m in ms)

    fin_ok = fin is None or (n > 0 and fin / n <= p.fin_asset_months * dibao)
    assets_ok = (fin_ok and len(res) <= p.max_residential_units and not nonres and not nonexempt
                 and not breaking)
    no_capacity = [m.age >= 60 or m.age < 16 or severe(m) for m in ms]
    working = [18 <= m.age <= 59 and not severe(m) for m in ms]
    dib = n > 0 and pc < dibao and assets_ok
    tek = n > 0 and any(no_capacity) and not any(working) and pc < dibao and assets_ok
    edge = n > 0 and not (dib or tek) and pc < p.edge_multiplier * dibao and assets_ok
    rigid = (n > 0 and not (dib or tek or edge) and pc * 12 < p.disposable_income_prev_year
             and oop >= p.rigid_ratio * total * 12 and assets_ok)
    programs = {"DIBAO": dib, "TEKUN": tek, "DIBAO_EDGE": edge, "RIGID_EXPENDITURE": rigid}

    profile: dict[str, Any] = {
        "member_count": n,
        "monthly_income_total": _money(total),
        "monthly_income_per_capita": _money(pc),
        **{t: _money(v) for t, v in incomes.items()},
        "financial_assets_total": _money(fin),
        "residential_property_count": len(res),
        "residential_property_area": _money(sum((_d(x.area) for x in res if x.area is not None), ZERO)),
        "nonresidential_property_count": len(nonres),
        "vehicle_count": len(counting),
        "nonexempt_vehicle_count": len(nonexempt),
        "active_business_count": len(breaking),
        "medical_out_of_pocket_12m": _money(oop),
        "severe_disability_count": n_severe,
        "elderly_count": sum(m.age >= 60 for m in ms),
        "minor_count": sum(m.age < 18 for m in ms),
    }
    facts = {"urban": urban, "dibao": dibao, "pc": pc}

    alerts: list[ExpectedAlert] = []
    if fam is not None:
        # rules on all members of an active family (policy section 6)
        for r, m, i in nonexempt:
            alerts.append(ExpectedAlert("VEHICLE_OWNED", h.sid, r, f"{m.key}.vehicles[{i}]"))
        if len(res) > p.max_residential_units or nonres:
            alerts.append(ExpectedAlert("PROPERTY_OVER_LIMIT", h.sid, None))
        for r, m, i in breaking:
            alerts.append(ExpectedAlert("BUSINESS_ROLE", h.sid, r, f"{m.key}.businesses[{i}]"))
        if pc is not None and fam.category in ("城市低保", "农村低保") and pc >= dibao:
            alerts.append(ExpectedAlert("INCOME_OVER_STANDARD", h.sid, None))
        if pc is not None and fam.category in ("城市特困", "农村特困") and pc >= p.tekun_multiplier * dibao:
            alerts.append(ExpectedAlert("INCOME_OVER_STANDARD", h.sid, None))
        if fin is not None and n and fin / n > p.fin_asset_months * dibao:
            alerts.append(ExpectedAlert("FINANCIAL_ASSETS_OVER_LIMIT", h.sid, None))
        for r, m in pairs:
            if m.si_public:
                alerts.append(ExpectedAlert("PUBLIC_PAYROLL_MEMBER", h.sid, r, f"{m.key}.si_public"))
    else:
        # rules on households that are not active families
        if n and oop >= p.rigid_ratio * total * 12 and oop >= p.hardship_min_oop:
            alerts.append(ExpectedAlert("MEDICAL_HARDSHIP", h.sid, None))
        if pc is not None and pc < 2 * dibao:  # "2 × dibao" is a fixed factor, not a parameter
            lo = ctx.snapshot - timedelta(days=30)
            for r, m in pairs:
                if severe(m):
                    issued = ctx.as_of - timedelta(days=m.disability.issued_days_ago)
                    if lo <= issued <= ctx.snapshot:  # later certificates are not in the snapshot yet
                        alerts.append(ExpectedAlert("NEW_SEVERE_DISABILITY", h.sid, r,
                                                    f"{m.key}.disability"))
    if fam is None or fam.category == "低保边缘":
        # MISSED_DIBAO: not an active 低保/特困 family
        app = h.application
        recent = app is not None and app.days_ago < 90
        open_app = app is not None and app.status in OPEN_APPLICATION
        # a planted 防返贫 row names this household's head (its household is checked in evaluate)
        marker = (n_severe > 0 or (n == 1 and ms[0].age >= 70) or h.rural_monitoring is True
                  or oop >= p.hardship_min_oop)
        if not open_app and not recent and (dib or tek) and marker:
            alerts.append(ExpectedAlert("MISSED_DIBAO", h.sid, None))
    return programs, profile, alerts, facts


def _family_rows_alerts(ctx: _Context, h: PHousehold) -> tuple[list[ExpectedAlert], list[ExpectedAlert]]:
    """Rules on an active family's 是 members (dead or alive): (alerts, skipped alerts)."""
    fam = h.family
    alerts: list[ExpectedAlert] = []
    skipped: list[ExpectedAlert] = []
    if not active_family(fam):
        return alerts, skipped
    dibao_tekun = fam.category != "低保边缘"
    for ref, covered in ctx.jz_rows[h.sid]:
        if not covered:
            continue
        m = ctx.person[ref]
        dd = ctx.death_date(m)
        if dd is not None:
            # payments for the months after the member's true death month (低保金/特困供养金 only;
            # 低保边缘 families are paid nothing); net 0 when reversed
            died = ctx.true_death(m)
            paid = [] if (fam.reversed_after_death or not dibao_tekun) else [
                month_add(yyyymm(died), i) for i in range(1, fam.paid_after_death_months + 1)]
            if fam.paid_after_death_months and month_add(yyyymm(died), fam.paid_after_death_months) \
                    >= yyyymm(ctx.as_of):
                # month M is paid on the 10th-15th of M: keep every stated payment in a past month
                raise ValueError(f"{h.sid}: payments after the death would reach the as-of month")
            code = "DECEASED_STILL_PAID" if any(x > yyyymm(dd) for x in paid) else "DECEASED_MEMBER_ACTIVE"
            alerts.append(ExpectedAlert(code, h.sid, ref))
        others = [s for s, rows in ctx.jz_rows.items()
                  if s != h.sid and active_family(ctx.hh[s].family) and (ref, True) in rows]
        if others:
            alerts.append(ExpectedAlert("DUPLICATE_ASSISTANCE", h.sid, ref))
        if m.hukou_status in ("迁出", "注销"):
            alerts.append(ExpectedAlert("HUKOU_MOVED_OUT", h.sid, ref))
        if not dibao_tekun:
            continue
        if m.student is not None and not m.student_aid:
            a = ExpectedAlert("STUDENT_AID_MISSING", h.sid, ref, f"{m.key}.student")
            (alerts if student_aid_evaluated(ctx.as_of) else skipped).append(a)
        e = m.enrollment
        if e is None or (e[0] != "职工医保" and (e[1] not in ("参保缴费", "暂停") or e[2] == "无")):
            alerts.append(ExpectedAlert("MEDICAL_SUBSIDY_MISSING", h.sid, ref, f"{m.key}.enrollment"))
    return alerts, skipped


def _assistance(ctx: _Context, h: PHousehold, dibao: Decimal) -> tuple[str | None, float | None, bool]:
    """(assistance_category, assistance_monthly_amount, amount certain) of an active family."""
    fam = h.family
    if derived_kind(h) != "family":
        return None, None, True
    if fam.category == "低保边缘":
        return fam.category, 0.0, True
    if fam.monthly_amount is not None:
        return fam.category, _money(_d(fam.monthly_amount)), True
    rows = [r for r, covered in ctx.jz_rows[h.sid] if covered]
    std = dibao * (ctx.p.tekun_multiplier if "特困" in fam.category else 1)
    # "standard × covered members": whether dead, moved-out or shared members are counted is the
    # renderer's choice, so the amount is certain only without them
    certain = all(r[0] == h.sid and ctx.is_member(ctx.person[r]) for r in rows)
    return fam.category, _money(std * len(rows)), certain


def evaluate(catalogue: Sequence[PHousehold], as_of: date) -> dict[str, Outcome]:
    """Expected outcome of every planted household on as_of, from the facts alone."""
    ctx = _Context(catalogue, as_of)
    out: dict[str, Outcome] = {}
    facts_of: dict[str, list[dict]] = {}
    for h in catalogue:
        kind = derived_kind(h)
        if kind != h.kind:
            raise ValueError(f"{h.sid}: kind {h.kind!r} but the facts place its members as {kind!r}")
        cands = ctx.candidates_for(h.sid)
        if kind == "hukou" and not cands:
            raise ValueError(f"{h.sid}: a hukou household without any placed person does not exist")
        ambiguous = [r for r in cands if len(ctx.placement[r]) > 1]
        # evaluate every placement of ambiguous persons (in or out); outcomes must not depend on it
        results = []
        for inside in itertools.product((True, False), repeat=len(ambiguous)):
            chosen = {r for r, i in zip(ambiguous, inside, strict=True) if i}
            members = [r for r in cands
                       if (r not in ambiguous or r in chosen) and ctx.is_member(ctx.person[r])]
            results.append((members, *_household(ctx, h, members)))
        programs, alerts = results[0][1], results[0][3]
        for r in results[1:]:
            if r[1] != programs or sorted(map(repr, r[3])) != sorted(map(repr, alerts)):
                raise ValueError(f"{h.sid}: programs or alerts depend on an ambiguous placement")
        profile = dict(results[0][2])
        uncertain = sorted(k for k in profile if any(r[2][k] != profile[k] for r in results[1:]))
        facts = results[0][4]
        category, amount, certain = _assistance(ctx, h, facts["dibao"])
        profile["assistance_category"] = category
        profile["assistance_monthly_amount"] = amount
        if not certain:
            uncertain.append("assistance_monthly_amount")
        for k in uncertain:
            profile[k] = None
        row_alerts, skipped = _family_rows_alerts(ctx, h)
        out[h.sid] = Outcome(
            sid=h.sid, kind=kind, town=h.town, urban=facts["urban"],
            members=None if ambiguous else tuple(results[0][0]), programs=programs,
            alerts=alerts + row_alerts, skipped=skipped, profile=profile, uncertain=uncertain)
        facts_of[h.sid] = [r[4] for r in results]

    # cross-household rules: the row's or the application's household is the head's
    rural = ctx.p.dibao_rural
    for h in catalogue:
        head = (h.sid, head_of(h).key)
        if h.rural_monitoring is True:
            target = _household_of_head(ctx, h, head)
            if target != h.sid:
                raise ValueError(f"{h.sid}: the 防返贫 row's household must be the scenario's own")
            if derived_kind(ctx.hh[target]) != "family":
                pcs = {f["pc"] is not None and f["pc"] < Decimal("1.5") * rural for f in facts_of[target]}
                if len(pcs) != 1:
                    raise ValueError(f"{h.sid}: RURAL_MONITORED_UNCOVERED depends on an ambiguous placement")
                if pcs.pop():
                    out[target].alerts.append(ExpectedAlert("RURAL_MONITORED_UNCOVERED", target, None,
                                                            "rural_monitoring"))
        ref = h.application.referral if h.application is not None else None
        if ref is not None:
            closed = ref.feedback in FINAL_FEEDBACK
            if ref.dispatched_days_ago > ref.limit_days and not closed:
                target = _household_of_head(ctx, h, head)
                out[target].alerts.append(
                    ExpectedAlert("REFERRAL_OVERDUE", target, None, "application.referral"))
    return out


def _household_of_head(ctx: _Context, h: PHousehold, head: PersonRef) -> str:
    """The head's household; if he is dead or unplaced, that of the 正常 persons of his 户号."""
    m = ctx.person[head]
    places = ctx.placement[head]
    if len(places) == 1 and ctx.is_member(m):
        return places[0]
    rest = {p for r in ctx.candidates_for(h.sid) if r[0] == h.sid and r != head for p in ctx.placement[r]}
    if len(places) > 1 or len(rest) != 1:
        raise ValueError(f"{h.sid}: the head's household is not determined by the facts")
    return rest.pop()


# ---- DIR/_truth/ -----------------------------------------------------------------------------

README = """\
# Planted cases: expected outcomes

Written by `simulator/truth.py` from the scenario facts of `simulator/scenarios.py` (one planted
household per scenario id `sid` = `<target>/<hit|miss>/<n>`, target = a program of policy section 5
or an alert code of section 6). It is an independent reading of the policy on the facts, not on the
generated deliveries: compare it with what the warehouse builds on the same as-of date.

## households.jsonl (one object per planted household)
- `sid`, `note` (what makes it a hit or a near miss), `kind` (family / application / hukou), `town`.
- `household_id`: 家庭编号 for a family, 申请编号 for an application, `HK`+户号 otherwise (the HK id
  also when the simulator has not assigned the other one).
- `programs`: {DIBAO, TEKUN, DIBAO_EDGE, RIGID_EXPENDITURE: eligible}.
- `alerts`: the FULL set of alerts expected in this household on the as-of date, one per subject:
  `code`, `id_number` (person subject, null for household alerts), `key` (always null: VINs, credit
  codes, certificate and referral numbers are the simulator's choice; `ref` names the triggering fact,
  e.g. `head.vehicles[0]`, so two alerts of one person are told apart).
- `skipped_alerts`: alerts that would fire but whose rule is skipped on this as-of date
  (STUDENT_AID_MISSING outside 9 January - 31 August of the school year); expect none of them.
- `profile`: mart.household_profile columns (money rounded half-up to 0.01; null = none/unknown).
  `uncertain` lists columns the facts do not determine (null in `profile`): a person who is a 是
  member of two active families belongs to the one with the later 审批日期, which the annual review
  may make equal; 月保障金额 of a family with dead, moved-out or shared 是 members.
- `members`: ID numbers of the household's members (policy section 2); null when uncertain.

## persons.jsonl (one object per planted person)
`sid` (scenario of the person), `member_key`, `id_number`, `household_sid` (the household he belongs
to; null if none or uncertain), `is_member` (counted in member_count), `alerts` (codes of the alerts
whose person subject he is, all households).

## Assumptions
Deliveries arrive on their scheduled day (a late tax file shifts the income window, a late disability
file the snapshot date of NEW_SEVERE_DISABILITY); no source is stale; every planted bank balance is an
authorized response of the last 12 months; each planted business role is its own entity.
"""


def _household_id(world, h: PHousehold, kind: str) -> str:
    hk = "HK" + str(world.households.at[world.planted_hh[h.sid], "hukou_no"])
    assigned = world.household_ids.get(h.sid)
    prefix = {"family": "JZ", "application": "SQ"}.get(kind)
    return assigned if prefix and assigned and assigned.startswith(prefix) else hk


def _alert_json(world, a: ExpectedAlert) -> dict[str, Any]:
    idn = None if a.person is None else world.id_of(world.planted_pids[a.person])
    return {"code": a.code, "id_number": idn, "key": None, "ref": a.ref}


def _order(alerts: Iterable[ExpectedAlert]) -> list[ExpectedAlert]:
    return sorted(alerts, key=lambda a: (ALERT_CODES.index(a.code), a.person or ("", ""), a.ref or ""))


def write(world) -> None:
    """Write DIR/_truth/{households,persons}.jsonl and README.md for the world's planted households."""
    outcomes = evaluate(world.planted, world.cfg.as_of)
    out = world.cfg.out / "_truth"
    out.mkdir(parents=True, exist_ok=True)
    pid_of = world.planted_pids
    with (out / "households.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for h in world.planted:
            o = outcomes[h.sid]
            f.write(json.dumps({
                "sid": h.sid, "household_id": _household_id(world, h, o.kind), "kind": o.kind, "town": o.town,
                "programs": o.programs, "alerts": [_alert_json(world, a) for a in _order(o.alerts)],
                "skipped_alerts": [_alert_json(world, a) for a in _order(o.skipped)],
                "profile": {k: o.profile[k] for k in PROFILE_COLUMNS}, "uncertain": o.uncertain,
                "members": None if o.members is None else [world.id_of(pid_of[r]) for r in o.members],
                "note": h.note,
            }, ensure_ascii=False, sort_keys=False) + "\n")
    person_alerts: dict[PersonRef, list[str]] = {}
    for o in outcomes.values():
        for a in _order(o.alerts):
            if a.person is not None:
                person_alerts.setdefault(a.person, []).append(a.code)
    ctx = _Context(world.planted, world.cfg.as_of)
    with (out / "persons.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for h, m, pid in world.planted_members():
            ref = (h.sid, m.key)
            places = ctx.placement[ref]
            f.write(json.dumps({
                "sid": h.sid, "member_key": m.key, "id_number": world.id_of(pid),
                "household_sid": places[0] if len(places) == 1 else None,
                "is_member": (len(places) == 1 and ctx.is_member(m)) if len(places) <= 1 else None,
                "alerts": person_alerts.get(ref, []),
            }, ensure_ascii=False) + "\n")
    (out / "README.md").write_text(README, encoding="utf-8")
