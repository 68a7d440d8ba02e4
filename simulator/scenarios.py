"""The planted-case catalogue: households whose expected outcomes are known (DIR/_truth/).

Grain: one `PHousehold` per scenario, sid = '<target>/<hit|miss>/<n>', target = a program of policy
section 5 or an alert code of section 6. A hit is a household where the target holds; a near miss
one where it almost holds and must not. Every scenario carries a `note` (why) and a hand-stated
`Expect` (every alert landing in the household, one entry per alert, and every eligible program),
which tests compare with the independent evaluator `simulator.truth.evaluate`.

Design rules:
- each household triggers only the codes its expectation states (a clean family otherwise: income
  below the standard, enrolment right, no student without aid, no asset);
- incomes are constant monthly amounts given as multiples of the household's dibao standard at the
  as-of date (`_Catalogue.x`), so outcomes do not depend on the parameter year; a threshold is hit
  exactly only when it is the point of the scenario (the note says so; policy compares unrounded
  values);
- urban categories live in a 街道, rural ones in a 镇; dates are placed from `cfg.as_of`: deaths in
  the 5th month before the as-of month (payments after them end before the as-of month), medical
  settlements 90-200 days back (inside every possible income window), recent disability
  certificates 10 days before the disability snapshot in use.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulator import geo, truth
from simulator.calendar import month_add, yyyymm
from simulator.config import SimConfig
from simulator.planted import (
    PApplication,
    PBusiness,
    PDisability,
    PFamily,
    PHousehold,
    PMedical,
    PMember,
    PProperty,
    PReferral,
    PVehicle,
)

URBAN_TOWNS = tuple(t for t in geo.TOWN_NAMES if geo.is_urban(t))
RURAL_TOWNS = tuple(t for t in geo.TOWN_NAMES if not geo.is_urban(t))

DIBAO, TEKUN, EDGE, RIGID = truth.PROGRAMS
(STILL_PAID, MEMBER_ACTIVE, DUPLICATE, VEHICLE, PROPERTY, BUSINESS, INCOME, FIN, PUBLIC, MOVED_OUT, MISSED,
 HARDSHIP, NEW_SEVERE, RURAL, STUDENT, MED_SUBSIDY, REFERRAL) = truth.ALERT_CODES


@dataclass(frozen=True)
class Expect:
    """Hand-stated outcome: alert codes landing in the household (one per alert) and eligible programs."""

    alerts: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()


# ---- members ---------------------------------------------------------------------------------


def head(age: int, male: bool = True, **kw) -> PMember:
    return PMember("head", age, male, rel="户主", **kw)


def spouse(age: int, male: bool = False, **kw) -> PMember:
    return PMember("spouse", age, male, rel="配偶", **kw)


def son(age: int, key: str = "son", **kw) -> PMember:
    return PMember(key, age, True, rel="子", **kw)


def daughter(age: int, key: str = "daughter", **kw) -> PMember:
    return PMember(key, age, False, rel="女", **kw)


def father(age: int, **kw) -> PMember:
    return PMember("father", age, True, rel="父亲", **kw)


def mother(age: int, **kw) -> PMember:
    return PMember("mother", age, False, rel="母亲", **kw)


def sibling(age: int, male: bool, **kw) -> PMember:
    return PMember("sibling", age, male, rel="兄弟姐妹", **kw)


def grandchild(age: int, male: bool = True, **kw) -> PMember:
    return PMember("grandchild", age, male, rel="孙子" if male else "孙女", **kw)


def fam(category: str, **kw) -> PFamily:
    return PFamily(category=category, **kw)


def stay(oop: float, days_ago: int = 90, **kw) -> PMedical:
    """A 住院 settlement inside every possible income window (90 days back by default)."""
    return PMedical(oop, days_ago, **kw)


CAR = PVehicle("小型轿车", "A")
DEAD_ALL = ("deaths", "cremation", "hukou")


# ---- the builder -----------------------------------------------------------------------------


class _Catalogue:
    """Collects (household, expectation) pairs; numbers sids per target and label."""

    def __init__(self, cfg: SimConfig) -> None:
        self.cfg = cfg
        self.p = truth.params(cfg.as_of)
        self.items: list[tuple[PHousehold, Expect]] = []
        self._count: dict[tuple[str, str], int] = {}
        self._towns = {True: itertools.cycle(URBAN_TOWNS), False: itertools.cycle(RURAL_TOWNS)}

    # -- amounts and dates
    def x(self, factor: float, n: int = 1, urban: bool = False) -> float:
        """Monthly yuan giving `factor` × dibao per capita over n members (factor × n × standard)."""
        v = Decimal(str(factor)) * n * self.p.dibao(urban)
        return float(v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def days_to(self, d: date) -> int:
        return (self.cfg.as_of - d).days

    def death(self, day: int = 10, months_back: int = 5) -> int:
        """death_days_ago of a death on `day` of the month `months_back` before the as-of month."""
        ym = month_add(yyyymm(self.cfg.as_of), -months_back)
        return self.days_to(date(int(ym[:4]), int(ym[4:]), day))

    def cert(self, days_before_snapshot: int) -> int:
        """issued_days_ago of a certificate issued that many days before the disability snapshot in use."""
        return self.days_to(truth.disability_snapshot_date(self.cfg.as_of) - timedelta(days=days_before_snapshot))

    # -- scenarios
    def add(self, target: str, label: str, note: str, members: tuple[PMember, ...], *, urban: bool,
            alerts: tuple[str, ...] = (), programs: tuple[str, ...] = (), **facts) -> str:
        n = self._count.get((target, label), 0) + 1
        self._count[(target, label)] = n
        sid = f"{target}/{label}/{n}"
        town = next(self._towns[urban])
        family = facts.get("family")
        if family is not None and family.category != "低保边缘" and family.category.startswith("城市") != urban:
            raise ValueError(f"{sid}: category {family.category} in a {'urban' if urban else 'rural'} town")
        h = PHousehold(sid=sid, kind="hukou", town=town, members=members, note=note, **facts)
        h = replace(h, kind=truth.derived_kind(h))
        self.items.append((h, Expect(tuple(alerts), tuple(programs))))
        return sid


# ---- programs (policy section 5) -------------------------------------------------------------


def _dibao(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    c.add(DIBAO, hit, "elderly couple whose only income is 城乡居民基础养老金 1.5× dibao each (never counted)",
          (head(66, resident_pension=x(1.5)), spouse(64, resident_pension=x(1.5))), urban=False,
          programs=(DIBAO, TEKUN))
    c.add(DIBAO, hit, "head's flexible-worker 110 base (单位 37048199999) is no stand-in; spouse earns 0.4× dibao "
          "per capita", (head(45, si_base=x(1.2, urban=True), si_flexible=True),
                         spouse(43, wage=x(0.4, 3, True)), son(12)), urban=True,
          application=PApplication(), programs=(DIBAO,))
    c.add(DIBAO, hit, "active 低保 family: wage corrected (更正申报) down from 1.5× to 0.3× dibao per capita; "
          "its own 低保金 is never income", (head(50, wage=x(0.3, 2), wage_corrected_from=x(1.5, 2)), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(DIBAO, hit, "single adult whose 2× dibao wage lines are all 冲正 (cancelled), no SI/GJJ stand-in",
          (head(45, wage=x(2.0, urban=True), wage_reversed=True),), urban=True, programs=(DIBAO,))
    c.add(DIBAO, hit, "120 contributions ended before the income window: no stand-in, income 0",
          (head(38, False, si_public_before=True), son(15)), urban=False, application=PApplication(),
          programs=(DIBAO,))
    c.add(DIBAO, hit, "bank balance 500000 without a signed 授权书 is never used: financial assets unknown",
          (head(50, bank=500000.0),), urban=True, application=PApplication(authorized=False),
          programs=(DIBAO,))
    c.add(DIBAO, hit, "one 住宅 plus a 车位 and an 其他 unit (ignored): within the one-unit limit",
          (head(50, False, properties=(PProperty("住宅", 90.0), PProperty("车位", 12.0), PProperty("其他", 30.0))),),
          urban=False, programs=(DIBAO,))

    c.add(DIBAO, miss, "THRESHOLD: wage exactly 1× dibao per capita (eligible only if <)",
          (head(50, wage=x(1.0)),), urban=False, programs=(EDGE,))
    c.add(DIBAO, miss, "no tax wage: the 110 缴费基数 (2.4× dibao) stands in → 1.2× per capita",
          (head(40, False, si_base=x(2.4, urban=True)), son(16)), urban=True, application=PApplication(),
          programs=(EDGE,))
    c.add(DIBAO, miss, "no tax wage, no SI: the housing-fund 缴存基数 3.2× dibao stands in → 1.6× per capita",
          (head(55, gjj_base=x(3.2)), spouse(53)), urban=False)
    c.add(DIBAO, miss, "income 0 but two 住宅 units (limit 1)",
          (head(58, False, properties=(PProperty("住宅", 90.0), PProperty("住宅", 60.0))),), urban=False,
          application=PApplication())
    c.add(DIBAO, miss, "基本养老金 2.5× dibao counts (unlike 城乡居民基础养老金) → 1.25× per capita",
          (head(62, pension=x(2.5, urban=True)), spouse(50)), urban=True, application=PApplication(),
          programs=(EDGE,))
    c.add(DIBAO, miss, "income 0 but 经营者 of a 存续 个体工商户 with 资金数额 20万 (> 10万)",
          (head(45, businesses=(PBusiness("个体工商户", "经营者", "存续", 20.0),)), son(20)), urban=False)
    c.add(DIBAO, miss, "income 0 but bank balances 30× dibao per capita (limit 24×)",
          (head(50, bank=x(30, 2)), spouse(47)), urban=False, application=PApplication())
    c.add(DIBAO, miss, "wage corrected (更正申报) UP from 0.4× to 1.2× dibao per capita: the correction counts",
          (head(45, wage=x(1.2, 2), wage_corrected_from=x(0.4, 2)), spouse(44)), urban=False, programs=(EDGE,))
    c.add(DIBAO, miss, "经营所得 3.9× dibao per capita each quarter: 1.08-1.3× dibao a month, by the declared "
          "quarters in the window",
          (head(52, business_income_q=x(3.9, 2)), spouse(50)), urban=False, programs=(EDGE,))


def _tekun(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    old_cert = c.cert(800)
    c.add(TEKUN, hit, "applicant aged 75 living alone, only 城乡居民基础养老金 (not counted)",
          (head(75, False, resident_pension=150.0),), urban=False, application=PApplication(category="特困"),
          programs=(DIBAO, TEKUN))
    c.add(TEKUN, hit, "active 农村特困 family: one person aged 66, no income",
          (head(66),), urban=False, family=fam("农村特困"), programs=(DIBAO, TEKUN))
    c.add(TEKUN, hit, "adult aged 40 with a 一级 肢体 certificate (no labor capacity) and his mother aged 68",
          (head(40, disability=PDisability("肢体", "一级", issued_days_ago=old_cert)), mother(68)), urban=True,
          application=PApplication(category="特困"), programs=(DIBAO, TEKUN))
    c.add(TEKUN, hit, "active 城市特困 family: grandmother 64 and grandson 10",
          (head(64, False), grandchild(10)), urban=True, family=fam("城市特困"), programs=(DIBAO, TEKUN))
    c.add(TEKUN, hit, "man aged 70 with a grandson aged 17: 16-17 is not 'aged 18-59'",
          (head(70), grandchild(17)), urban=False, programs=(DIBAO, TEKUN))
    c.add(TEKUN, hit, "father 62 and son 30 with a 三级 智力 certificate (severe by kind)",
          (head(62), son(30, disability=PDisability("智力", "三级", issued_days_ago=old_cert))), urban=False,
          application=PApplication(), programs=(DIBAO, TEKUN))

    c.add(TEKUN, miss, "man 68 with a son aged 40 without disability (a member aged 18-59)",
          (head(68), son(40)), urban=False, application=PApplication(), programs=(DIBAO,))
    c.add(TEKUN, miss, "THRESHOLD: woman aged 59 alone (has labor capacity by age)",
          (head(59, False),), urban=False, application=PApplication(), programs=(DIBAO,))
    c.add(TEKUN, miss, "woman 65 with a son aged 35 holding a 三级 肢体 certificate (not severe)",
          (head(65, False), son(35, disability=PDisability("肢体", "三级", issued_days_ago=old_cert))), urban=True,
          application=PApplication(), programs=(DIBAO,))
    c.add(TEKUN, miss, "man 72 alone with 基本养老金 1.1× dibao (income not below dibao)",
          (head(72, pension=x(1.1)),), urban=False, application=PApplication(), programs=(EDGE,))
    c.add(TEKUN, miss, "THRESHOLD: orphan aged 16 alone (no labor capacity only below 16)",
          (head(16),), urban=False, application=PApplication(), programs=(DIBAO,))
    c.add(TEKUN, miss, "elderly couple 70/67 without income, but a 小型轿车",
          (head(70, vehicles=(CAR,)), spouse(67)), urban=False, application=PApplication())
    c.add(TEKUN, miss, "man 45 whose 一级 certificate is 注销 (never counts) with his mother 70",
          (head(45, disability=PDisability("肢体", "一级", status="注销", issued_days_ago=old_cert)), mother(70)),
          urban=False, application=PApplication(), programs=(DIBAO,))


def _edge(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    c.add(EDGE, hit, "couple earning 1.2× dibao per capita", (head(50, wage=x(1.2, 2)), spouse(48)), urban=False,
          programs=(EDGE,))
    c.add(EDGE, hit, "active 低保边缘 family at 1.3× dibao per capita",
          (head(45, wage=x(1.3, 3, True)), spouse(44), son(15)), urban=True, family=fam("低保边缘"),
          programs=(EDGE,))
    c.add(EDGE, hit, "THRESHOLD: wage exactly 1× dibao (not DIBAO, < 1.5× so EDGE)",
          (head(40, False, wage=x(1.0, urban=True)),), urban=True, application=PApplication(category="低保边缘"),
          programs=(EDGE,))
    c.add(EDGE, hit, "retired couple, 基本养老金 2.6× dibao → 1.3× per capita",
          (head(62, pension=x(2.6)), spouse(60)), urban=False, programs=(EDGE,))
    c.add(EDGE, hit, "mother and two children living on 财产租赁所得 1.4× dibao per capita",
          (head(45, False, rent=x(1.4, 3)), son(14), daughter(12)), urban=False, application=PApplication(),
          programs=(EDGE,))
    c.add(EDGE, hit, "active 低保边缘 family living on 失业保险金 1.1× dibao per capita",
          (head(55, unemployment=x(1.1, 2)), spouse(53)), urban=False, family=fam("低保边缘"), programs=(EDGE,))

    c.add(EDGE, miss, "THRESHOLD: wage exactly 1.5× dibao (eligible only if <)", (head(40, wage=x(1.5)),),
          urban=False)
    c.add(EDGE, miss, "1.2× dibao per capita but a 小型轿车", (head(50, wage=x(1.2, 2), vehicles=(CAR,)), spouse(48)),
          urban=False)
    c.add(EDGE, miss, "0.5× dibao per capita: DIBAO-eligible, so not EDGE",
          (head(50, wage=x(0.5, 2)), spouse(48)), urban=False, application=PApplication(), programs=(DIBAO,))
    c.add(EDGE, miss, "1.7× dibao per capita", (head(50, wage=x(1.7, 2, True)), spouse(49)), urban=True)
    c.add(EDGE, miss, "1.2× dibao per capita but a 商业 unit (non-residential limit 0)",
          (head(50, wage=x(1.2, 2), properties=(PProperty("商业", 40.0),)), spouse(48)), urban=False)
    c.add(EDGE, miss, "active 低保边缘 family at 0.8× dibao: DIBAO-eligible, so not EDGE (no MISSED marker)",
          (head(52, wage=x(0.8, 2)), spouse(50)), urban=False, family=fam("低保边缘"), programs=(DIBAO,))


def _rigid(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    c.add(RIGID, hit, "2× dibao per capita, 住院 out-of-pocket 35× dibao ≥ 0.6 × annual income (28.8×)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35)),)), spouse(53)), urban=False,
          alerts=(HARDSHIP,), programs=(RIGID,))
    c.add(RIGID, hit, "active 低保边缘 family at 1.6× dibao with out-of-pocket 30× dibao (no hardship alert for "
          "an active family)", (head(52, wage=x(1.6, 2)), spouse(50, medical=(stay(x(30)),))), urban=False,
          family=fam("低保边缘"), programs=(RIGID,))
    c.add(RIGID, hit, "applicant household at 1.8× dibao, out-of-pocket 30× dibao",
          (head(50, False, wage=x(1.8, 2, True), medical=(stay(x(30, urban=True)),)), daughter(20)), urban=True,
          application=PApplication(category="临时救助"), alerts=(HARDSHIP,), programs=(RIGID,))
    c.add(RIGID, hit, "1.6× dibao per capita; 40× dibao out-of-pocket counts, a second 20× settlement was "
          "refunded (nets to 0)",
          (head(45, wage=x(1.6, 3, True), medical=(stay(x(40, urban=True)),)),
           spouse(44, medical=(stay(x(20, urban=True), 120, refunded=True),)), son(10)), urban=True,
          alerts=(HARDSHIP,), programs=(RIGID,))
    c.add(RIGID, hit, "active 低保边缘 single man 60 with 基本养老金 1.7× dibao, out-of-pocket 13× dibao",
          (head(60, pension=x(1.7, urban=True), medical=(stay(x(13, urban=True)),)),), urban=True,
          family=fam("低保边缘"), programs=(RIGID,))
    c.add(RIGID, hit, "woman 65 with 基本养老金 1.8× dibao and two settlements of 8× and 7× dibao",
          (head(65, False, pension=x(1.8),
                medical=(PMedical(x(8), 120, kind="门诊慢特病"), PMedical(x(7), 200))),), urban=False,
          alerts=(HARDSHIP,), programs=(RIGID,))

    c.add(RIGID, miss, "as hit 1 but the 住院 settlement was refunded in full (nets to 0)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35), refunded=True),)), spouse(53)), urban=False)
    c.add(RIGID, miss, "out-of-pocket 15× dibao < 0.6 × annual income (28.8× dibao)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(15)),)), spouse(53)), urban=False)
    c.add(RIGID, miss, "as hit 1 but a 小型轿车 (asset limit; the hardship alert has none)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35)),), vehicles=(CAR,)), spouse(53)), urban=False,
          alerts=(HARDSHIP,))
    c.add(RIGID, miss, "3.5× dibao per capita: annual income ≥ 上年居民人均可支配收入",
          (head(40, wage=x(3.5, urban=True), medical=(stay(x(100, urban=True)),)),), urban=True,
          alerts=(HARDSHIP,))
    c.add(RIGID, miss, "0.6× dibao per capita with out-of-pocket 30× dibao: DIBAO-eligible, so not RIGID",
          (head(50, wage=x(0.6, 2), medical=(stay(x(30)),)), spouse(48)), urban=False,
          alerts=(MISSED, HARDSHIP), programs=(DIBAO,))
    c.add(RIGID, miss, "as hit 1 but the settlement is 450 days old (before the income window)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35), 450),)), spouse(53)), urban=False)


# ---- alerts (policy section 6) ---------------------------------------------------------------


def _deceased(c: _Catalogue) -> None:
    d10, d5 = c.death(10), c.death(5)  # hukou-only deaths on the 5th: 状态变动日期 (+7 days) stays in the month
    hit, miss = "hit", "miss"
    P, A = STILL_PAID, MEMBER_ACTIVE
    c.add(P, hit, "是 member died (certificate, cremation, hukou); 低保金 paid for 2 months after the death month",
          (head(72, death_days_ago=d10), spouse(68, False)), urban=False,
          family=fam("农村低保", paid_after_death_months=2), alerts=(P,), programs=(DIBAO, TEKUN))
    c.add(P, hit, "spouse died (death certificate only); paid 1 month after",
          (head(50), spouse(48, death_days_ago=d10, death_in=("deaths",)), son(14)), urban=True,
          family=fam("城市低保", paid_after_death_months=1), alerts=(P,), programs=(DIBAO,))
    c.add(P, hit, "特困 brother died (cremation record only); 特困供养金 paid 3 months after",
          (head(80), sibling(76, True, death_days_ago=d10, death_in=("cremation",))), urban=False,
          family=fam("农村特困", paid_after_death_months=3), alerts=(P,), programs=(DIBAO, TEKUN))
    c.add(P, hit, "mother's death known only to hukou (状态变动日期 7 days later, same month); paid 2 months after",
          (head(58), mother(82, death_days_ago=d5, death_in=("hukou",))), urban=False,
          family=fam("农村低保", paid_after_death_months=2), alerts=(P,), programs=(DIBAO,))
    c.add(P, hit, "father died (certificate + hukou); paid 1 month after",
          (head(45, False), father(78, death_days_ago=d10, death_in=("deaths", "hukou")), daughter(13)),
          urban=True, family=fam("城市低保", paid_after_death_months=1), alerts=(P,), programs=(DIBAO,))

    c.add(P, miss, "2 months paid after the death, both reversed by negative rows (net 0)",
          (head(70, death_days_ago=d10), spouse(66)), urban=False,
          family=fam("农村低保", paid_after_death_months=2, reversed_after_death=True), alerts=(A,),
          programs=(DIBAO, TEKUN))
    c.add(P, miss, "death in the last paid month: nothing paid after the death month",
          (head(56), spouse(54, death_days_ago=d10, death_in=("deaths",))), urban=False,
          family=fam("农村低保"), alerts=(A,), programs=(DIBAO,))
    c.add(P, miss, "the dead member is 否 (not 保障对象); the family is paid as usual",
          (head(48), son(22, covered=False, death_days_ago=d10, death_in=("deaths", "cremation"))), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))
    c.add(P, miss, "death in a hukou household (no family)",
          (head(60), spouse(58, death_days_ago=d10)), urban=False, programs=(DIBAO, TEKUN))
    c.add(P, miss, "death in an applicant household (no family)",
          (head(50), father(80, death_days_ago=d10)), urban=False, application=PApplication(), programs=(DIBAO,))

    c.add(A, hit, "spouse died (all sources), nothing paid after the death month",
          (head(66), spouse(63, death_days_ago=d10)), urban=False, family=fam("农村低保"), alerts=(A,),
          programs=(DIBAO, TEKUN))
    c.add(A, hit, "husband died (certificate + cremation); 2 months paid after, both reversed",
          (head(52, False), spouse(55, True, death_days_ago=d10, death_in=("deaths", "cremation")), daughter(16)),
          urban=True, family=fam("城市低保", paid_after_death_months=2, reversed_after_death=True), alerts=(A,),
          programs=(DIBAO,))
    c.add(A, hit, "特困 applicant died (cremation only), not paid after",
          (head(79, death_days_ago=d10, death_in=("cremation",)), spouse(77)), urban=False,
          family=fam("农村特困"), alerts=(A,), programs=(DIBAO, TEKUN))
    c.add(A, hit, "mother's death known only to hukou, not paid after",
          (head(57), mother(85, death_days_ago=d5, death_in=("hukou",))), urban=False, family=fam("农村低保"),
          alerts=(A,), programs=(DIBAO,))
    c.add(A, hit, "suspended (暂停) family, spouse died (certificate only), no payments",
          (head(64), spouse(61, death_days_ago=d10, death_in=("deaths",))), urban=False,
          family=fam("农村低保", status="暂停"), alerts=(A,), programs=(DIBAO, TEKUN))
    c.add(A, hit, "active 低保边缘 family (never paid 低保金): spouse died",
          (head(55, wage=c.x(1.2)), spouse(52, death_days_ago=d10, death_in=("deaths",))), urban=False,
          family=fam("低保边缘"), alerts=(A,), programs=(EDGE,))

    c.add(A, miss, "paid 1 month after the death: DECEASED_STILL_PAID instead",
          (head(68), spouse(65, death_days_ago=d10)), urban=False,
          family=fam("农村低保", paid_after_death_months=1), alerts=(P,), programs=(DIBAO, TEKUN))
    c.add(A, miss, "the dead member is 否 (not 保障对象)",
          (head(50), daughter(24, covered=False, death_days_ago=d10)), urban=False, family=fam("农村低保"),
          programs=(DIBAO,))
    c.add(A, miss, "death in a hukou household (no family)",
          (head(55), spouse(52, death_days_ago=d10)), urban=True, programs=(DIBAO,))
    c.add(A, miss, "death in an applicant household (no family)",
          (head(45, False), mother(75, death_days_ago=d10)), urban=True, application=PApplication(),
          programs=(DIBAO,))
    c.add(A, miss, "特困 family whose dead member is 否",
          (head(75), sibling(70, True, covered=False, death_days_ago=d10)), urban=False, family=fam("农村特困"),
          programs=(DIBAO, TEKUN))


def _duplicate(c: _Catalogue) -> None:
    """Pairs: household A whose head is also a 是 member of household B's family (B names him)."""
    hit, miss = "hit", "miss"
    D = DUPLICATE
    note_a = "its head is also a 是 member of {} ({})"

    def pair(label: str, a_fam: PFamily, b_fam: PFamily, urban: bool, a_members, b_members, why: str,
             a_alerts=(), b_alerts=()) -> None:
        n = c._count.get((D, label), 0)
        b_sid = f"{D}/{label}/{n + 2}"
        a_sid = c.add(D, label, note_a.format(b_sid, why), a_members, urban=urban, family=a_fam,
                      alerts=a_alerts, programs=(DIBAO,))
        c.add(D, label, f"names the head of {a_sid} as a 是 member ({why})", b_members, urban=urban, family=b_fam,
              extra_family_of=(a_sid, "head"), alerts=b_alerts, programs=(DIBAO,))

    pair(hit, fam("农村低保", approved_days_ago=900), fam("农村低保", approved_days_ago=300), False,
         (head(52), spouse(50)), (head(45, False), son(12)), "two active 农村低保 families",
         a_alerts=(D,), b_alerts=(D,))
    pair(hit, fam("城市低保", approved_days_ago=900), fam("低保边缘", approved_days_ago=300), True,
         (head(48), spouse(46), daughter(10)), (head(40),), "active 城市低保 and 低保边缘: any 救助类别",
         a_alerts=(D,), b_alerts=(D,))
    pair(hit, fam("农村低保", approved_days_ago=900), fam("农村低保", status="暂停", approved_days_ago=300), False,
         (head(55), spouse(53)), (head(50), spouse(49, True)), "the second family is 暂停 (still active)",
         a_alerts=(D,), b_alerts=(D,))
    pair(miss, fam("农村低保"), fam("农村低保", status="停保"), False,
         (head(50), spouse(48)), (head(46, False), daughter(18)), "the second family is 停保 (not active)")
    pair(miss, fam("城市低保"), fam("城市低保", deleted=True), True,
         (head(51), spouse(49)), (head(44, False), son(19)), "the second family is deleted (删除标志 1)")
    pair(miss, fam("农村低保", status="停保"), fam("农村低保"), False,
         (head(53), spouse(51)), (head(47, False), son(15)), "the first family is 停保: one active family only")


def _assets(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    old_cert = c.cert(800)
    V = VEHICLE
    c.add(V, hit, "head owns a 小型轿车 (A)", (head(50, vehicles=(CAR,)), spouse(48)), urban=False,
          family=fam("农村低保"), alerts=(V,))
    c.add(V, hit, "a 否 son owns a 小型普通客车 with status G (违法未处理 still counts): all members count",
          (head(52, False), son(25, covered=False, vehicles=(PVehicle("小型普通客车", "G"),))), urban=True,
          family=fam("城市低保"), alerts=(V,))
    c.add(V, hit, "轻型普通货车 with status GQ", (head(62, vehicles=(PVehicle("轻型普通货车", "GQ"),)),), urban=False,
          family=fam("农村特困"), alerts=(V,))
    c.add(V, hit, "小型轿车 停驶 (D) registered under the owner's 15-digit ID",
          (head(63, vehicles=(PVehicle("小型轿车", "D", legacy15_owner_id=True),)), spouse(60)), urban=False,
          family=fam("农村低保"), alerts=(V,))
    c.add(V, hit, "active 低保边缘 family (1.3× dibao) owning a 重型普通货车",
          (head(45, wage=x(1.3, 2, True), vehicles=(PVehicle("重型普通货车", "A"),)), spouse(44)), urban=True,
          family=fam("低保边缘"), alerts=(V,))
    c.add(V, hit, "one member, two non-exempt vehicles: two alerts",
          (head(49, vehicles=(CAR, PVehicle("重型半挂牵引车", "A"))), spouse(47)), urban=False,
          family=fam("农村低保"), alerts=(V, V))

    c.add(V, miss, "普通二轮摩托车 (exempt)", (head(50, vehicles=(PVehicle("普通二轮摩托车", "A"),)), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(V, miss, "三轮汽车 and 低速货车 (exempt)",
          (head(55, vehicles=(PVehicle("三轮汽车", "A"), PVehicle("低速货车", "A"))), spouse(52)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(V, miss, "残疾人专用小型自动挡载客汽车 (exempt) of a man with a 一级 certificate",
          (head(40, vehicles=(PVehicle("残疾人专用小型自动挡载客汽车", "A"),),
                disability=PDisability("肢体", "一级", issued_days_ago=old_cert)), mother(66)), urban=True,
          family=fam("城市低保"), programs=(DIBAO, TEKUN))
    c.add(V, miss, "小型轿车 注销 (E): cancelled plate", (head(50, vehicles=(PVehicle("小型轿车", "E"),)), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(V, miss, "小型轿车 转出 (B) and 小型普通客车 强制注销 (M)",
          (head(50, vehicles=(PVehicle("小型轿车", "B"), PVehicle("小型普通客车", "M"))), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(V, miss, "小型轿车 with status PQ (达到报废标准: no longer counts)",
          (head(50, vehicles=(PVehicle("小型轿车", "PQ"),)), son(12)), urban=True, family=fam("城市低保"),
          programs=(DIBAO,))
    c.add(V, miss, "小型轿车 in a hukou household (no family): no alert, no program",
          (head(50, vehicles=(CAR,)), spouse(48)), urban=False)

    R = PROPERTY
    c.add(R, hit, "two 住宅 units", (head(55, properties=(PProperty("住宅", 120.0), PProperty("住宅", 80.0))),
                                    spouse(53)), urban=False, family=fam("农村低保"), alerts=(R,))
    c.add(R, hit, "one 住宅 and one 商业 unit",
          (head(50, properties=(PProperty("住宅", 90.0), PProperty("商业", 40.0))), spouse(48)), urban=True,
          family=fam("城市低保"), alerts=(R,))
    c.add(R, hit, "head and spouse each hold a 住宅 unit",
          (head(58, properties=(PProperty("住宅", 100.0),)), spouse(56, properties=(PProperty("住宅", 70.0),))),
          urban=False, family=fam("农村低保"), alerts=(R,))
    c.add(R, hit, "a 办公 unit only (non-residential limit 0)", (head(66, properties=(PProperty("办公", 30.0),)),),
          urban=False, family=fam("农村特困"), alerts=(R,))
    c.add(R, hit, "a 住宅 held 按份共有 50% with a non-member (counts once, fully) and an 工业 unit",
          (head(50, properties=(PProperty("住宅", 90.0, outside_holder=True), PProperty("工业", 200.0))),
           spouse(48)), urban=False, family=fam("农村低保"), alerts=(R,))
    c.add(R, hit, "a second 住宅 registered by a daily BDC file 20 days ago",
          (head(47, properties=(PProperty("住宅", 80.0), PProperty("住宅", 60.0, via_daily_log_days_ago=20))),
           son(10)), urban=True, family=fam("城市低保"), alerts=(R,))

    c.add(R, miss, "one 住宅 held jointly by head and spouse: counted once",
          (head(55, properties=(PProperty("住宅", 110.0, co_holder="spouse"),)), spouse(53)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(R, miss, "one 住宅 plus 车位 and 其他 (ignored)",
          (head(50, properties=(PProperty("住宅", 88.0), PProperty("车位", 12.0), PProperty("其他", 20.0))),
           spouse(48)), urban=True, family=fam("城市低保"), programs=(DIBAO,))
    c.add(R, miss, "second 住宅 ended by 注销登记",
          (head(52, properties=(PProperty("住宅", 100.0), PProperty("住宅", 60.0, cancelled=True))), spouse(50)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(R, miss, "second 住宅 sold (转移登记 to someone else) 100 days ago",
          (head(60, properties=(PProperty("住宅", 90.0), PProperty("住宅", 70.0, sold_days_ago=100))), spouse(58)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(R, miss, "one 住宅 with an empty 建筑面积, 按份共有 with a non-member",
          (head(45, False, properties=(PProperty("住宅", None, outside_holder=True),)), son(10)), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))
    c.add(R, miss, "two 住宅 units in a hukou household (no family): no alert",
          (head(50, properties=(PProperty("住宅", 90.0), PProperty("住宅", 60.0))), spouse(48)), urban=False)

    B = BUSINESS
    c.add(B, hit, "股东 of a 存续 有限责任公司", (head(50, businesses=(PBusiness("有限责任公司", "股东"),)), spouse(48)),
          urban=False, family=fam("农村低保"), alerts=(B,))
    c.add(B, hit, "投资人 of an 在业 个人独资企业",
          (head(45, businesses=(PBusiness("个人独资企业", "投资人", "在业"),)), daughter(12)), urban=True,
          family=fam("城市低保"), alerts=(B,))
    c.add(B, hit, "法定代表人 of a 农民专业合作社 (only its 投资人 are excepted)",
          (head(55, businesses=(PBusiness("农民专业合作社", "法定代表人"),)), spouse(53)), urban=False,
          family=fam("农村低保"), alerts=(B,))
    c.add(B, hit, "经营者 of a 个体工商户 with 资金数额 15万 (> 10万)",
          (head(48, businesses=(PBusiness("个体工商户", "经营者", "存续", 15.0),)), spouse(46)), urban=False,
          family=fam("农村低保"), alerts=(B,))
    c.add(B, hit, "a 否 son is 执行事务合伙人 of a 合伙企业",
          (head(52, False), son(28, covered=False, businesses=(PBusiness("合伙企业", "执行事务合伙人"),))), urban=True,
          family=fam("城市低保"), alerts=(B,))
    c.add(B, hit, "法定代表人 of a company and 经营者 of a 30万 个体工商户: two alerts",
          (head(50, businesses=(PBusiness("有限责任公司", "法定代表人", "在业"),
                                PBusiness("个体工商户", "经营者", "在业", 30.0))), spouse(48)), urban=False,
          family=fam("农村低保"), alerts=(B, B))

    c.add(B, miss, "投资人 of a 农民专业合作社 (excepted)",
          (head(50, businesses=(PBusiness("农民专业合作社", "投资人"),)), spouse(48)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(B, miss, "个体工商户 with an empty 资金数额", (head(45, businesses=(PBusiness("个体工商户", "经营者", "在业"),)),
                                               spouse(44)), urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(B, miss, "THRESHOLD: 个体工商户 with 资金数额 exactly 10万 (breaks only if > 10万)",
          (head(47, businesses=(PBusiness("个体工商户", "经营者", "存续", 10.0),)), son(12)), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))
    c.add(B, miss, "股东 of a 注销 company", (head(52, businesses=(PBusiness("有限责任公司", "股东", "注销"),)), spouse(50)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(B, miss, "法定代表人 of a 吊销 company",
          (head(49, businesses=(PBusiness("有限责任公司", "法定代表人", "吊销"),)), daughter(15)), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))
    c.add(B, miss, "个体工商户 of 8万 and 股东 of a 迁出 股份有限公司",
          (head(50, businesses=(PBusiness("个体工商户", "经营者", "存续", 8.0), PBusiness("股份有限公司", "股东", "迁出"))),
           spouse(48)), urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(B, miss, "股东 of a 存续 company in a hukou household (no family): no alert, no program",
          (head(50, businesses=(PBusiness("有限责任公司", "股东"),)), spouse(48)), urban=False)

    F = FIN
    c.add(F, hit, "bank 60× dibao for 2 members (30× per capita > 24×)", (head(50, bank=x(60)), spouse(48)),
          urban=False, family=fam("农村低保"), alerts=(F,))
    c.add(F, hit, "a 否 son's balances count: 90× dibao for 3 members",
          (head(50, False), son(24, covered=False, bank=x(90, urban=True)), daughter(15)), urban=True,
          family=fam("城市低保"), alerts=(F,))
    c.add(F, hit, "特困 person with 25× dibao", (head(70, bank=x(25)),), urban=False, family=fam("农村特困"),
          alerts=(F,))
    c.add(F, hit, "head 30× and spouse 20× dibao: 25× per capita",
          (head(55, bank=x(30)), spouse(53, bank=x(20))), urban=False, family=fam("农村低保"), alerts=(F,))
    c.add(F, hit, "active 低保边缘 family (1.3× dibao) with 80× dibao in the bank",
          (head(50, wage=x(1.3, 2, True), bank=x(80, urban=True)), spouse(48)), urban=True,
          family=fam("低保边缘"), alerts=(F,))

    c.add(F, miss, "23.5× dibao per capita (limit 24×)", (head(50, bank=x(47)), spouse(48)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(F, miss, "the only response is 查询失败 (adds 0)", (head(50, bank=0.0, bank_status="查询失败"), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(F, miss, "the only response is 无记录", (head(50, False, bank=0.0, bank_status="无记录"), son(12)),
          urban=True, family=fam("城市低保"), programs=(DIBAO,))
    c.add(F, miss, "never queried: financial assets unknown", (head(50), spouse(48)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(F, miss, "THRESHOLD: exactly 24× dibao per capita (fires only if it exceeds)",
          (head(50, bank=x(48)), spouse(48)), urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(F, miss, "30× dibao per capita in an applicant household (no family): no alert, no program",
          (head(50, bank=x(60)), spouse(48)), urban=False, application=PApplication())


def _income(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    Inc = INCOME
    c.add(Inc, hit, "低保 family earning 1.2× dibao per capita", (head(50, wage=x(1.2, 2)), spouse(48)), urban=False,
          family=fam("农村低保"), alerts=(Inc,), programs=(EDGE,))
    c.add(Inc, hit, "a 否 son's wage counts (all members): 1.1× dibao per capita",
          (head(50, False), son(24, covered=False, wage=x(1.1, 3, True)), daughter(14)), urban=True,
          family=fam("城市低保"), alerts=(Inc,), programs=(EDGE,))
    c.add(Inc, hit, "特困 person with 基本养老金 1.4× dibao (≥ 1.3× 特困 standard)", (head(66, pension=x(1.4)),),
          urban=False, family=fam("农村特困"), alerts=(Inc,), programs=(EDGE,))
    c.add(Inc, hit, "wage corrected (更正申报) up from 0.3× to 1.2× dibao per capita",
          (head(50, wage=x(1.2, 2), wage_corrected_from=x(0.3, 2)), spouse(48)), urban=False,
          family=fam("农村低保"), alerts=(Inc,), programs=(EDGE,))
    c.add(Inc, hit, "no tax wage: the 110 缴费基数 stands in, 1.3× dibao per capita",
          (head(45, si_base=x(1.3, 2)), spouse(44)), urban=False, family=fam("农村低保"), alerts=(Inc,),
          programs=(EDGE,))
    c.add(Inc, hit, "THRESHOLD: exactly 1× dibao per capita (fires at ≥)", (head(50, wage=x(1.0, 2)), spouse(48)),
          urban=False, family=fam("农村低保"), alerts=(Inc,), programs=(EDGE,))
    c.add(Inc, hit, "no tax wage, no SI: the housing-fund 缴存基数 stands in, 1.4× dibao per capita",
          (head(48, gjj_base=x(1.4, 2, True)), son(15)), urban=True, family=fam("城市低保"), alerts=(Inc,),
          programs=(EDGE,))

    c.add(Inc, miss, "特困 person at 1.2× dibao: ≥ dibao but < the 特困 standard (1.3×)", (head(68, pension=x(1.2)),),
          urban=False, family=fam("农村特困"), programs=(EDGE,))
    c.add(Inc, miss, "城乡居民基础养老金 1.2× dibao each (never counted)",
          (head(66, resident_pension=x(1.2)), spouse(64, resident_pension=x(1.2))), urban=False,
          family=fam("农村低保"), programs=(DIBAO, TEKUN))
    c.add(Inc, miss, "月保障金额 3000.00 paid as 低保金 (social-assistance payments never count)",
          (head(50), spouse(48)), urban=False, family=fam("农村低保", monthly_amount=3000.0), programs=(DIBAO,))
    c.add(Inc, miss, "1.5× dibao wage lines all 冲正 (cancelled)", (head(50, wage=x(1.5, 2), wage_reversed=True),
                                                             spouse(48)), urban=False, family=fam("农村低保"),
          programs=(DIBAO,))
    c.add(Inc, miss, "active 低保边缘 family at 1.3× dibao (the rule covers 低保/特困 families only)",
          (head(50, wage=x(1.3, 2)), spouse(48)), urban=False, family=fam("低保边缘"), programs=(EDGE,))
    c.add(Inc, miss, "flexible-worker 110 base 1.5× dibao per capita: no stand-in",
          (head(45, si_base=x(1.5, 2), si_flexible=True), spouse(44)), urban=False, family=fam("农村低保"),
          programs=(DIBAO,))
    c.add(Inc, miss, "wage corrected (更正申报) down from 1.2× to 0.4× dibao per capita",
          (head(50, wage=x(0.4, 2), wage_corrected_from=x(1.2, 2)), spouse(48)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(Inc, miss, "0.95× dibao per capita, just under", (head(50, wage=x(0.95, 2, True)), son(17)), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))


def _payroll_hukou(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    U = PUBLIC
    c.add(U, hit, "head on public payroll (120 in the window), wage 0.5× dibao per capita",
          (head(45, wage=x(1.0), si_public=True), spouse(44)), urban=False, family=fam("农村低保"), alerts=(U,),
          programs=(DIBAO,))
    c.add(U, hit, "a 否 son on public payroll (all members count)",
          (head(50, False), son(26, covered=False, wage=x(1.5, urban=True), si_public=True), daughter(12)),
          urban=True, family=fam("城市低保"), alerts=(U,), programs=(DIBAO,))
    c.add(U, hit, "active 低保边缘 family (1.3× dibao) with a public-payroll head",
          (head(50, wage=x(2.6), si_public=True), spouse(48)), urban=False, family=fam("低保边缘"), alerts=(U,),
          programs=(EDGE,))
    c.add(U, hit, "spouse on public payroll", (head(50), spouse(47, wage=x(0.8), si_public=True)), urban=False,
          family=fam("农村低保"), alerts=(U,), programs=(DIBAO,))
    c.add(U, hit, "both spouses on public payroll: two alerts",
          (head(48, wage=x(0.6, urban=True), si_public=True), spouse(46, wage=x(0.6, urban=True), si_public=True),
           son(10)),
          urban=True, family=fam("城市低保"), alerts=(U, U), programs=(DIBAO,))

    c.add(U, miss, "120 contributions ended 14 months before the as-of month (outside the window)",
          (head(45, wage=x(1.0), si_public_before=True), spouse(44)), urban=False, family=fam("农村低保"),
          programs=(DIBAO,))
    c.add(U, miss, "110 (enterprise) contribution, not 120", (head(45, wage=x(1.0), si_base=x(1.0)), spouse(44)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(U, miss, "flexible-worker 110 contribution",
          (head(45, False, wage=x(0.8, urban=True), si_base=x(3.0, urban=True), si_flexible=True), son(11)),
          urban=True, family=fam("城市低保"), programs=(DIBAO,))
    c.add(U, miss, "public payroll in a hukou household (no family)", (head(45, wage=x(1.0), si_public=True),
                                                                       spouse(44)), urban=False, programs=(DIBAO,))
    c.add(U, miss, "public payroll in an applicant household (no family)",
          (head(45, wage=x(1.0, urban=True), si_public=True), spouse(44)), urban=True, application=PApplication(),
          programs=(DIBAO,))

    H = MOVED_OUT
    c.add(H, hit, "是 spouse 迁出 (moved out of Tengzhou)", (head(50), spouse(48, hukou_status="迁出")),
          urban=False, family=fam("农村低保"), alerts=(H,), programs=(DIBAO,))
    c.add(H, hit, "是 son's hukou 注销", (head(45, False), son(20, hukou_status="注销"), daughter(13)), urban=True,
          family=fam("城市低保"), alerts=(H,), programs=(DIBAO,))
    c.add(H, hit, "特困 sister 迁出", (head(75), sibling(72, False, hukou_status="迁出")), urban=False,
          family=fam("农村特困"), alerts=(H,), programs=(DIBAO, TEKUN))
    c.add(H, hit, "active 低保边缘 family (1.3× dibao): spouse 迁出",
          (head(50, wage=x(1.3, urban=True)), spouse(48, hukou_status="迁出")), urban=True, family=fam("低保边缘"),
          alerts=(H,), programs=(EDGE,))
    c.add(H, hit, "是 son 迁出 in a three-generation family",
          (head(60), spouse(58), son(30, hukou_status="迁出"), grandchild(8)), urban=False, family=fam("农村低保"),
          alerts=(H,), programs=(DIBAO,))

    c.add(H, miss, "a 否 son 迁出", (head(50), spouse(48), son(25, covered=False, hukou_status="迁出")), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(H, miss, "迁出 in a hukou household (no family)", (head(50), spouse(48, hukou_status="迁出")),
          urban=False, programs=(DIBAO,))
    c.add(H, miss, "注销 in an applicant household (no family)", (head(50), son(22, hukou_status="注销")),
          urban=False, application=PApplication(), programs=(DIBAO,))
    c.add(H, miss, "hukou 死亡 is neither 迁出 nor 注销 (the death rule fires instead)",
          (head(52), spouse(50, death_days_ago=c.death(5), death_in=("hukou",))), urban=False,
          family=fam("农村低保"), alerts=(MEMBER_ACTIVE,), programs=(DIBAO,))
    c.add(H, miss, "a 否 daughter 注销", (head(49), daughter(22, covered=False, hukou_status="注销")), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))


def _outside_families(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    old_cert, new_cert = c.cert(800), c.cert(10)
    M = MISSED
    c.add(M, hit, "woman 75 living alone on 城乡居民基础养老金 only, no application",
          (head(75, False, resident_pension=150.0),), urban=False, alerts=(M,), programs=(DIBAO, TEKUN))
    c.add(M, hit, "man 45 with a 二级 精神 certificate (severe) and his mother 66, no income",
          (head(45, disability=PDisability("精神", "二级", issued_days_ago=old_cert)), mother(66)), urban=True,
          alerts=(M,), programs=(DIBAO, TEKUN))
    c.add(M, hit, "0.85× dibao per capita and out-of-pocket 11000 ≥ 10000 (< 0.6 × annual income: no hardship)",
          (head(50, wage=x(0.85, 3), medical=(stay(11000.0),)), spouse(48), son(20)), urban=False,
          alerts=(M,), programs=(DIBAO,))
    c.add(M, hit, "防返贫 household with risk not eliminated, no income",
          (head(55), spouse(53)), urban=False, rural_monitoring=True, alerts=(M, RURAL), programs=(DIBAO,))
    c.add(M, hit, "active 低保边缘 family of one person aged 72 (not a 低保/特困 family)",
          (head(72),), urban=False, family=fam("低保边缘"), alerts=(M,), programs=(DIBAO, TEKUN))
    c.add(M, hit, "man 71 alone whose 低保 application was refused 200 days ago (outside 90 days)",
          (head(71),), urban=False, application=PApplication(status="不予批准", days_ago=200), alerts=(M,),
          programs=(DIBAO, TEKUN))

    c.add(M, miss, "as hit 1 but an application (withdrawn) 30 days ago names her",
          (head(75, False),), urban=False, application=PApplication(status="已撤回", days_ago=30),
          programs=(DIBAO, TEKUN))
    c.add(M, miss, "open application", (head(76, False),), urban=False, application=PApplication(),
          programs=(DIBAO, TEKUN))
    c.add(M, miss, "already an active 农村低保 family", (head(75, False),), urban=False, family=fam("农村低保"),
          programs=(DIBAO, TEKUN))
    c.add(M, miss, "woman 69 alone: no vulnerability marker (≥ 70 alone)", (head(69, False),), urban=False,
          programs=(DIBAO, TEKUN))
    c.add(M, miss, "man 75 alone with 基本养老金 1.1× dibao: not eligible", (head(75, pension=x(1.1)),),
          urban=False, programs=(EDGE,))
    c.add(M, miss, "0.5× dibao per capita, out-of-pocket 9000 < 10000: no marker",
          (head(50, wage=x(1.0), medical=(stay(9000.0),)), spouse(48)), urban=False, programs=(DIBAO,))
    c.add(M, miss, "防返贫 household whose risk was eliminated", (head(55), spouse(53)), urban=False,
          rural_monitoring=False, programs=(DIBAO,))
    c.add(M, miss, "man 75 alone, no income, but a 小型轿车: not eligible", (head(75, vehicles=(CAR,)),),
          urban=False)

    W = HARDSHIP
    c.add(W, hit, "2× dibao per capita, out-of-pocket 35× dibao", (head(55, wage=x(2.0, 2), medical=(stay(x(35)),)),
                                                              spouse(53)), urban=False, alerts=(W,), programs=(RIGID,))
    c.add(W, hit, "applicant household at 1.8× dibao, out-of-pocket 30× dibao",
          (head(50, False, wage=x(1.8, 2, True), medical=(stay(x(30, urban=True), 150),)), daughter(20)), urban=True,
          application=PApplication(category="临时救助"), alerts=(W,), programs=(RIGID,))
    c.add(W, hit, "as hit 1 with a 小型轿车 (the alert has no asset condition)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35)),), vehicles=(CAR,)), spouse(53)), urban=False,
          alerts=(W,))
    c.add(W, hit, "3.5× dibao alone, out-of-pocket 100× dibao",
          (head(40, wage=x(3.5, urban=True), medical=(stay(x(100, urban=True)),)),), urban=True, alerts=(W,))
    c.add(W, hit, "former 低保 family (停保) at 2× dibao with out-of-pocket 35× dibao",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35), 200),)), spouse(53)), urban=False,
          family=fam("农村低保", status="停保"), alerts=(W,), programs=(RIGID,))
    c.add(W, hit, "0.6× dibao per capita and out-of-pocket 30× dibao (also MISSED_DIBAO)",
          (head(50, wage=x(0.6, 2)), spouse(48, medical=(stay(x(30)),))), urban=False, alerts=(M, W),
          programs=(DIBAO,))

    c.add(W, miss, "active 低保边缘 family with out-of-pocket 30× dibao (RIGID only)",
          (head(52, wage=x(1.6, 2), medical=(stay(x(30)),)), spouse(50)), urban=False, family=fam("低保边缘"),
          programs=(RIGID,))
    c.add(W, miss, "the 住院 settlement was refunded (nets to 0)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35), refunded=True),)), spouse(53)), urban=False)
    c.add(W, miss, "no income, out-of-pocket 9500 < 10000", (head(50, medical=(stay(9500.0),)),), urban=False,
          programs=(DIBAO,))
    c.add(W, miss, "out-of-pocket 15× dibao < 0.6 × annual income",
          (head(55, wage=x(2.0, 2), medical=(stay(x(15)),)), spouse(53)), urban=False)
    c.add(W, miss, "settlement 450 days old (before the window)",
          (head(55, wage=x(2.0, 2), medical=(stay(x(35), 450),)), spouse(53)), urban=False)
    c.add(W, miss, "active 农村低保 family with out-of-pocket 35× dibao", (head(55, medical=(stay(x(35)),)), spouse(53)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))

    N = NEW_SEVERE
    c.add(N, hit, "一级 肢体 issued 10 days before the snapshot; 1.3× dibao per capita",
          (head(50, wage=x(2.6), disability=PDisability("肢体", "一级", issued_days_ago=new_cert)), spouse(48)),
          urban=False, alerts=(N,), programs=(EDGE,))
    c.add(N, hit, "new 三级 智力 certificate (severe by kind) in an applicant household",
          (head(30, disability=PDisability("智力", "三级", issued_days_ago=new_cert)), mother(58)), urban=True,
          application=PApplication(), alerts=(N,), programs=(DIBAO,))
    c.add(N, hit, "new 二级 视力 certificate, 1.8× dibao per capita (< 2×)",
          (head(55, wage=x(3.6, urban=True), disability=PDisability("视力", "二级", issued_days_ago=new_cert)),
           spouse(52)), urban=True, alerts=(N,))
    c.add(N, hit, "new 三级 精神 certificate; applicant household without income",
          (head(40, disability=PDisability("精神", "三级", issued_days_ago=new_cert)), father(65)), urban=False,
          application=PApplication(), alerts=(N,), programs=(DIBAO, TEKUN))
    c.add(N, hit, "former 低保 family (停保), new 二级 听力 certificate, 1.2× dibao",
          (head(50, wage=x(2.4), disability=PDisability("听力", "二级", issued_days_ago=new_cert)), spouse(48)),
          urban=False, family=fam("农村低保", status="停保"), alerts=(N,), programs=(EDGE,))

    c.add(N, miss, "new 一级 certificate of a member of an active 低保 family",
          (head(50, disability=PDisability("肢体", "一级", issued_days_ago=new_cert)), spouse(48)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(N, miss, "new 三级 肢体 certificate (not severe)",
          (head(50, wage=x(2.6), disability=PDisability("肢体", "三级", issued_days_ago=new_cert)), spouse(48)),
          urban=False, programs=(EDGE,))
    c.add(N, miss, "一级 certificate issued 100 days before the snapshot (older than 30 days)",
          (head(50, wage=x(2.6), disability=PDisability("肢体", "一级", issued_days_ago=c.cert(100))), spouse(48)),
          urban=False, programs=(EDGE,))
    c.add(N, miss, "THRESHOLD: new 一级 certificate, income exactly 2× dibao per capita (fires only if <)",
          (head(50, wage=x(4.0), disability=PDisability("肢体", "一级", issued_days_ago=new_cert)), spouse(48)),
          urban=False)
    c.add(N, miss, "new 一级 certificate already 注销",
          (head(50, wage=x(2.6), disability=PDisability("肢体", "一级", "注销", issued_days_ago=new_cert)),
           spouse(48)), urban=False, programs=(EDGE,))
    c.add(N, miss, "new 四级 精神 certificate (not severe)",
          (head(50, wage=x(2.6), disability=PDisability("精神", "四级", issued_days_ago=new_cert)), spouse(48)),
          urban=False, programs=(EDGE,))

    U = RURAL
    c.add(U, hit, "防返贫 risk not eliminated, 1.2× rural dibao per capita", (head(50, wage=x(2.4)), spouse(48)),
          urban=False, rural_monitoring=True, alerts=(U,), programs=(EDGE,))
    c.add(U, hit, "urban household at 1.4× RURAL dibao (the threshold is always the rural standard)",
          (head(50, wage=x(1.4, 2)), spouse(48)), urban=True, rural_monitoring=True, alerts=(U,), programs=(EDGE,))
    c.add(U, hit, "applicant household (open application: no MISSED_DIBAO), no income",
          (head(45, False), son(12)), urban=False, application=PApplication(), rural_monitoring=True, alerts=(U,),
          programs=(DIBAO,))
    c.add(U, hit, "the 户主 named in the row died: the row goes to the 正常 persons of his 户号 (1.2× dibao)",
          (head(70, death_days_ago=200), spouse(66), son(40, wage=x(2.4))), urban=False, rural_monitoring=True,
          alerts=(U,), programs=(EDGE,))
    c.add(U, hit, "former 低保 family (停保) at 1.2× dibao",
          (head(50, wage=x(2.4)), spouse(48)), urban=False, family=fam("农村低保", status="停保"),
          rural_monitoring=True, alerts=(U,), programs=(EDGE,))
    c.add(U, hit, "no income, an application refused 30 days ago (blocks MISSED_DIBAO only)",
          (head(50), spouse(48)), urban=False, application=PApplication(status="不予批准", days_ago=30),
          rural_monitoring=True, alerts=(U,), programs=(DIBAO,))

    c.add(U, miss, "risk eliminated (风险是否消除 是)", (head(50), spouse(48)), urban=False, rural_monitoring=False,
          programs=(DIBAO,))
    c.add(U, miss, "active 农村低保 family", (head(50), spouse(48)), urban=False, family=fam("农村低保"),
          rural_monitoring=True, programs=(DIBAO,))
    c.add(U, miss, "THRESHOLD: exactly 1.5× rural dibao per capita (fires only if <)",
          (head(50, wage=x(3.0)), spouse(48)), urban=False, rural_monitoring=True)
    c.add(U, miss, "urban household at 1.6× rural dibao (≥ 1.5× rural, though < 1.5× urban)",
          (head(50, wage=x(1.6, 2)), spouse(48)), urban=True, rural_monitoring=True, programs=(EDGE,))
    c.add(U, miss, "active 低保边缘 family at 1.2× dibao", (head(50, wage=x(2.4)), spouse(48)), urban=False,
          family=fam("低保边缘"), rural_monitoring=True, programs=(EDGE,))
    c.add(U, miss, "2× rural dibao per capita", (head(50, wage=x(4.0)), spouse(48)), urban=False,
          rural_monitoring=True)


def _family_services(c: _Catalogue) -> None:
    x = c.x
    hit, miss = "hit", "miss"
    S = STUDENT
    c.add(S, hit, "是 son 10, 小学 在读, no ZZ row this 学年", (head(40, False), son(10, student="小学", student_aid=False)),
          urban=False, family=fam("农村低保"), alerts=(S,), programs=(DIBAO,))
    c.add(S, hit, "是 daughter 16 in 高中 without aid", (head(45), daughter(16, student="高中", student_aid=False)),
          urban=True, family=fam("城市低保"), alerts=(S,), programs=(DIBAO,))
    c.add(S, hit, "特困 grandchild 13 in 初中 without aid",
          (head(65, False), grandchild(13, student="初中", student_aid=False)), urban=True, family=fam("城市特困"),
          alerts=(S,), programs=(DIBAO, TEKUN))
    c.add(S, hit, "two students without aid: two alerts",
          (head(42), spouse(40), son(11, student="小学", student_aid=False),
           daughter(14, student="初中", student_aid=False)), urban=False, family=fam("农村低保"), alerts=(S, S),
          programs=(DIBAO,))
    c.add(S, hit, "是 son 17 in 中职 without aid", (head(44), son(17, student="中职", student_aid=False)),
          urban=False, family=fam("农村低保"), alerts=(S,), programs=(DIBAO,))
    c.add(S, hit, "是 daughter 5 in 学前 without aid", (head(35, False), daughter(5, student="学前", student_aid=False)),
          urban=False, family=fam("农村低保"), alerts=(S,), programs=(DIBAO,))

    c.add(S, miss, "student with a ZZ row this 学年", (head(40, False), son(10, student="小学")), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))
    c.add(S, miss, "a 否 student without aid", (head(45, False), son(17, covered=False, student="高中", student_aid=False)),
          urban=True, family=fam("城市低保"), programs=(DIBAO,))
    c.add(S, miss, "student without aid in an active 低保边缘 family (not 低保/特困)",
          (head(40, wage=x(2.6)), son(11, student="小学", student_aid=False)), urban=False, family=fam("低保边缘"),
          programs=(EDGE,))
    c.add(S, miss, "student without aid in a hukou household", (head(40), son(11, student="小学", student_aid=False)),
          urban=False, programs=(DIBAO,))
    c.add(S, miss, "student without aid in an applicant household",
          (head(38, False), daughter(9, student="小学", student_aid=False)), urban=True, application=PApplication(),
          programs=(DIBAO,))
    c.add(S, miss, "child aged 4 who is not a student", (head(40, False), son(4)), urban=False,
          family=fam("农村低保"), programs=(DIBAO,))

    E = MED_SUBSIDY
    c.add(E, hit, "是 head without any yb_enrollment row this year", (head(50, enrollment=None), spouse(48)),
          urban=False, family=fam("农村低保"), alerts=(E,), programs=(DIBAO,))
    c.add(E, hit, "是 spouse 居民医保 with 资助参保类别 无",
          (head(50), spouse(48, enrollment=("居民医保", "参保缴费", "无"))), urban=False, family=fam("农村低保"),
          alerts=(E,), programs=(DIBAO,))
    c.add(E, hit, "是 head 居民医保 终止", (head(50, enrollment=("居民医保", "终止", "低保对象")), son(12)), urban=True,
          family=fam("城市低保"), alerts=(E,), programs=(DIBAO,))
    c.add(E, hit, "特困 person 居民医保 with 资助参保类别 无", (head(70, enrollment=("居民医保", "参保缴费", "无")),),
          urban=False, family=fam("农村特困"), alerts=(E,), programs=(DIBAO, TEKUN))
    c.add(E, hit, "是 daughter 9 without enrollment", (head(44, False), daughter(9, enrollment=None)), urban=True,
          family=fam("城市低保"), alerts=(E,), programs=(DIBAO,))

    c.add(E, miss, "职工医保 member (never fires)", (head(50, enrollment=("职工医保", "参保缴费", "无")), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))
    c.add(E, miss, "居民医保 暂停 with 低保对象 (暂停 counts as enrolled)",
          (head(50, enrollment=("居民医保", "暂停", "低保对象")), spouse(48)), urban=False, family=fam("农村低保"),
          programs=(DIBAO,))
    c.add(E, miss, "a 否 son without enrollment", (head(50), son(23, covered=False, enrollment=None)), urban=True,
          family=fam("城市低保"), programs=(DIBAO,))
    c.add(E, miss, "no enrollment in an active 低保边缘 family (not 低保/特困)",
          (head(50, wage=x(2.6), enrollment=None), spouse(48)), urban=False, family=fam("低保边缘"),
          programs=(EDGE,))
    c.add(E, miss, "no enrollment in a hukou household", (head(50, enrollment=None), spouse(48)), urban=False,
          programs=(DIBAO,))
    c.add(E, miss, "职工医保 暂停 (职工医保 never fires)", (head(50, enrollment=("职工医保", "暂停", "无")), spouse(48)),
          urban=False, family=fam("农村低保"), programs=(DIBAO,))

    R = REFERRAL
    app = PApplication

    def ref(limit: int, sent: int, feedback: str | None = None, fb_days: int | None = None) -> PReferral:
        return PReferral(limit_days=limit, dispatched_days_ago=sent, feedback=feedback, feedback_days_ago=fb_days)

    c.add(R, hit, "limit 10 days, dispatched 30 days ago, no feedback",
          (head(45, False), son(10)), urban=True, application=app(days_ago=35, referral=ref(10, 30)), alerts=(R,),
          programs=(DIBAO,))
    c.add(R, hit, "only an interim 办理中 (does not close it), overdue",
          (head(50), spouse(48)), urban=False, application=app(status="已受理", days_ago=17, referral=ref(5, 12, "办理中", 9)),
          alerts=(R,), programs=(DIBAO,))
    c.add(R, hit, "1 day overdue (limit 20, dispatched 21 days ago)",
          (head(62), spouse(60)), urban=False, application=app(days_ago=26, referral=ref(20, 21)), alerts=(R,),
          programs=(DIBAO, TEKUN))
    c.add(R, hit, "refused 临时救助 application: the alert goes to the applicant's hukou household",
          (head(50), spouse(48)), urban=False,
          application=app(category="临时救助", status="不予批准", days_ago=45, referral=ref(15, 40)), alerts=(R,),
          programs=(DIBAO,))
    c.add(R, hit, "approved 临时救助 application of an active 低保 family: the alert goes to the family",
          (head(50), spouse(48)), urban=False, family=fam("农村低保"),
          application=app(category="临时救助", status="已审批", days_ago=30, referral=ref(10, 25)), alerts=(R,),
          programs=(DIBAO,))
    c.add(R, hit, "interim 办理中 given in time, still no final result after the limit",
          (head(45, False), daughter(8)), urban=True, application=app(days_ago=60, referral=ref(30, 50, "办理中", 35)),
          alerts=(R,), programs=(DIBAO,))

    c.add(R, miss, "已办结 within the limit", (head(50), spouse(48)), urban=False,
          application=app(days_ago=35, referral=ref(10, 30, "已办结", 25)), programs=(DIBAO,))
    c.add(R, miss, "不符合条件 within the limit", (head(45, False), son(10)), urban=True,
          application=app(days_ago=25, referral=ref(15, 20, "不符合条件", 10)), programs=(DIBAO,))
    c.add(R, miss, "final 已办结 after the limit (a late final result resolves it)", (head(50), spouse(48)),
          urban=False, application=app(days_ago=25, referral=ref(5, 20, "已办结", 2)), programs=(DIBAO,))
    c.add(R, miss, "THRESHOLD: due today (D = 派单 date + limit; overdue only when D is later)", (head(50), spouse(48)),
          urban=False, application=app(days_ago=15, referral=ref(10, 10)), programs=(DIBAO,))
    c.add(R, miss, "not due yet, interim 办理中", (head(45, False), son(10)), urban=True,
          application=app(days_ago=8, referral=ref(10, 3, "办理中", 1)), programs=(DIBAO,))
    c.add(R, miss, "approved 临时救助 application of an active family, 已办结 in time", (head(50), spouse(48)),
          urban=False, family=fam("农村低保"),
          application=app(category="临时救助", status="已审批", days_ago=40, referral=ref(20, 30, "已办结", 15)),
          programs=(DIBAO,))


_SECTIONS: tuple[Callable[[_Catalogue], None], ...] = (
    _dibao, _tekun, _edge, _rigid, _deceased, _duplicate, _assets, _income, _payroll_hukou, _outside_families,
    _family_services,
)


def _build(cfg: SimConfig) -> list[tuple[PHousehold, Expect]]:
    c = _Catalogue(cfg)
    for section in _SECTIONS:
        section(c)
    return c.items


def catalogue(cfg: SimConfig) -> tuple[PHousehold, ...]:
    """Every planted household, in a fixed order (deterministic for a given as-of date)."""
    return tuple(h for h, _ in _build(cfg))


def expectations(cfg: SimConfig) -> dict[str, Expect]:
    """Hand-stated outcome of every scenario id (see `Expect`)."""
    return {h.sid: e for h, e in _build(cfg)}


def target_of(sid: str) -> tuple[str, str]:
    """(target code, 'hit' or 'miss') of a scenario id."""
    target, label, _ = sid.split("/")
    return target, label
