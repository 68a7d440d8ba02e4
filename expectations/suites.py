"""Great Expectations suites as code: one `Suite` per (source, entity), declared with a small typed DSL.

Grain: a `Suite` validates one entity table of one delivery (the typed Arrow table a connector produces,
English column names + lineage columns `_source, _delivery, _file, _row, _business_date`). Each `Check`
maps to exactly one GX expectation (expectations.runner builds and runs them; this module does not import
GX, so connectors and tests can read suites cheaply).

Severity - one policy for every suite. 'row': a failing row is quarantined (it leaves the accepted table,
with a RowIssue naming the row, field and rule) and counts towards the delivery's reject rate; 'warn': failing
rows are reported (Data Docs, `ValidationResult.warnings`, `checks_failed`) and kept. A 'row' check
quarantines a row that cannot be used correctly, and nothing else:

1. identity - a key column (the contract's key, an ID number included when it is part of the key)
   missing, malformed, contradicting itself or duplicated within the delivery: the row cannot be placed
   or upserted (a key duplicated where a documented quirk allows it is 'warn');
2. a required (not nullable) column missing;
3. meaning - a coded value outside the contract's enumeration: nobody knows what it says;
4. time - an event dated after the as-of date (or the snapshot's 统计日期), a period that ends before it
   starts: the row would fall into the wrong window.

Everything else is 'warn':

* every documented quirk (hukou sex_mismatch, duplicate_household, medical rounding ...): the contract
  says the data looks like that, so the row is still the department's truth;
* ID numbers outside the key - format and trust: an untrusted number keeps its row (its other facts hold)
  and linkage treats it as unknown; never quarantine a row because its ID needed normalising;
* lengths and text patterns of descriptive columns (names, addresses, phones, villages), numeric ranges;
* cross-field invariants whose violation leaves the row's facts readable (if-and-only-if rules on
  optional columns, type/status combinations, amount formulas) and cross-row rules (sums over a group,
  a household's shared address).

Why this line: a quarantined row disappears from every downstream fact - a family's payment, a person's
medical cost or bank balance - so an eligibility check would silently work from less than the department
sent; quarantine is worth that only when the row would be wrong wherever it is used. Quarantine also feeds
the reject rate (connectors.ingest), which must measure deliveries we cannot use, not untidy ones. Warnings
stay visible in Data Docs and in the accounting (`checks_failed`) for the data steward.

The DSL (every function returns a `Check`, or a tuple of them; `Suite` flattens):

=============================================  ====================================================
check                                          GX expectation
=============================================  ====================================================
not_null(col) / required(*cols)                ExpectColumnValuesToNotBeNull
in_set(col, values) / enum(col, values)        ExpectColumnValuesToBeInSet (enum adds not_null)
matches(col, regex)                            ExpectColumnValuesToMatchRegex
between(col, min, max)                         ExpectColumnValuesToBeBetween
length_between(col, min, max)                  ExpectColumnValueLengthsToBeBetween
unique(col) / unique(a, b, ...)                ExpectCompoundColumnsToBeUnique (key + delivery scope)
pair_equal(a, b)                               ExpectColumnPairValuesToBeEqual
pair_greater(a, b, or_equal=)                  ExpectColumnPairValuesAToBeGreaterThanB
rule(name, columns, fn)                        ExpectColumnValuesToBeInSet([True]) on a derived column
=============================================  ====================================================

A check's rule name (quarantine `rule`) is its kind, or the rule's name; `check.named("x")` renames one
(two checks of one kind on one column need distinct names). Nulls pass every check except not_null (GX
map expectations skip missing values; pair checks ignore a row where either value is missing; compound
uniqueness ignores rows where all key values are missing), so a nullable enumeration is just `in_set`. Custom cross-field rules (`rule`): `fn` takes the pandas frame of
the table and returns a boolean Series aligned with it - True = fine, False = violation, NA = not
applicable. The runner computes it into a column `_check_<name>` before validation, which keeps row-level
results (the failing `_row`s) for arbitrary logic, e.g. medical 个人自付 = 总费用 - three funds ± 0.01:

    rule("self_pay_balances", ("self_pay", "total", "fund_pay", "major_illness_pay", "assistance_pay"),
         lambda df: (df.total - df.fund_pay - df.major_illness_pay - df.assistance_pay
                     - df.self_pay).abs().le(0.01))

Where suites live: hukou (the reference suite) and cremation here; the other sources in sibling modules listed in
`SUITE_MODULES` (each exposes `SUITES: tuple[Suite, ...]` and imports this DSL). `registry()` /
`suite_for()` import them on first use, so there is no import cycle; a (source, entity) declared twice is an
error.

Adding a suite for a new connector (connectors/<source>.py with `PARTS: {part: CsvPart(entity, cols)}`;
SQL and XLSX connectors expose the same `PARTS`-like mapping of parts with `.entity` and `.cols`, plus
`DERIVED = {entity: (column, ...)}` for columns added after typing):

1. Write `MY_ENTITY = Suite("<source>", "<entity>", checks=[...])` in the sibling module of its kind, using
   the English column names of the connector's `Col`s (and its DERIVED columns, and the lineage columns
   `_business_date` ...). An `id`-kind column `x` gives three columns: `x` (normal form or None),
   `x_status` (safetynet.idnumber status) and `x_raw` (as delivered). Types were checked by the connector
   (a value that does not parse is quarantined there), so declare what the contract adds:
   `nullable: false` -> required, `values` -> in_set/enum, `pattern` -> matches, `length`/`max_length`
   -> length_between, `key` -> unique (row, or warn where a quirk allows duplicates), documented
   cross-field facts -> pair_*/rule, each with the severity the policy above gives it. ID columns of
   sources whose contract lists ID quirks: `in_set("x_status", TRUSTED_ID_STATUSES, severity="warn")` - an untrusted number is
   kept (the row still carries facts) and only linkage treats it as unknown.
2. Put sensitive non-ID columns (民族, health, income ...) in `redact`: their values never appear in Data
   Docs (ID-like values are masked there anyway).
3. Add the suite to its module's `SUITES` (a new module: to `SUITE_MODULES`). tests/test_expectations.py
   checks every suite's columns against its connector's `PARTS` + `DERIVED` (skipped while the connector
   module does not exist) and that every entity of a connector has a suite; at run time a missing suite
   raises `MissingSuite`, never a silent pass. An explicit `Suite(..., checks=[])` would pass everything:
   none is declared, and one needs a comment saying why.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from safetynet.idnumber import TRUSTED_STATUSES

Severity = Literal["row", "warn"]
Bound = int | float | date | datetime | None
RuleFn = Callable[[pd.DataFrame], pd.Series]

#: Statuses of a trustworthy ID number (safetynet.idnumber).
TRUSTED_ID_STATUSES: frozenset[str] = TRUSTED_STATUSES
#: Canonical 公民身份号码 (README section 10).
ID18 = r"^\d{17}[\dX]$"
#: The 21 towns and subdistricts (README section 12); every town column uses exactly these names.
TOWNS: frozenset[str] = frozenset({
    "荆河街道", "龙泉街道", "北辛街道", "善南街道", "东沙河街道", "洪绪镇", "南沙河镇", "大坞镇", "滨湖镇", "级索镇",
    "西岗镇", "姜屯镇", "鲍沟镇", "张汪镇", "官桥镇", "柴胡店镇", "羊庄镇", "木石镇", "界河镇", "龙阳镇", "东郭镇",
})
YES_NO: frozenset[str] = frozenset({"是", "否"})


@dataclass(frozen=True, eq=False)
class Check:
    """One rule on one or more columns; `rule` names it in quarantine rows, `columns[0]` is the field."""

    kind: str
    columns: tuple[str, ...]
    severity: Severity = "row"
    params: Mapping[str, Any] = field(default_factory=dict)
    fn: RuleFn | None = None
    name: str | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.severity not in ("row", "warn"):
            raise ValueError(f"severity must be 'row' or 'warn', not {self.severity!r}")
        if not self.columns:
            raise ValueError("a check needs at least one column")

    def named(self, name: str) -> Check:
        """The same check under another rule name (two checks of one kind on one column need one)."""
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"rule name {name!r} must be snake_case")
        return dataclasses.replace(self, name=name)

    @property
    def rule(self) -> str:
        """Rule name as written to quarantine (e.g. 'in_set', 'sex_matches_id')."""
        return self.name or self.kind

    @property
    def id(self) -> str:
        """Unique within a suite: rule and columns, e.g. 'unique:id_number+hukou_no'."""
        return f"{self.rule}:{'+'.join(self.columns)}"

    @property
    def derived_column(self) -> str | None:
        """The boolean column a `rule` check is evaluated on (computed by the runner)."""
        return f"_check_{self.name}" if self.kind == "rule" else None

    @property
    def scope_column(self) -> str | None:
        """The column scoping a uniqueness check to one delivery when the runner validates several at once
        (the delivery's index, missing where all the key columns are; computed by the runner)."""
        return f"_scope_{self.rule}_{'_'.join(self.columns)}" if self.kind == "unique" else None

    def expectation(self) -> Any:
        """The GX expectation (imports GX: call from the runner only)."""
        import great_expectations.expectations as gxe

        meta = {"check": self.id, "severity": self.severity}
        common: dict[str, Any] = {"meta": meta, "description": f"[{self.severity}] {self.message}",
                                  "severity": "critical" if self.severity == "row" else "warning"}
        c = self.columns
        p = dict(self.params)
        if self.kind == "not_null":
            return gxe.ExpectColumnValuesToNotBeNull(column=c[0], **common)
        if self.kind == "in_set":
            return gxe.ExpectColumnValuesToBeInSet(column=c[0], value_set=sorted(p["values"]), **common)
        if self.kind == "matches":
            return gxe.ExpectColumnValuesToMatchRegex(column=c[0], regex=p["regex"], **common)
        if self.kind == "between":
            return gxe.ExpectColumnValuesToBeBetween(column=c[0], **p, **common)
        if self.kind == "length_between":
            return gxe.ExpectColumnValueLengthsToBeBetween(column=c[0], **p, **common)
        if self.kind == "unique":
            # Unique within one delivery: the key plus the delivery's scope column (see scope_column).
            return gxe.ExpectCompoundColumnsToBeUnique(column_list=[*c, self.scope_column], **common)
        if self.kind == "pair_equal":
            return gxe.ExpectColumnPairValuesToBeEqual(column_A=c[0], column_B=c[1],
                                                       ignore_row_if="either_value_is_missing", **common)
        if self.kind == "pair_greater":
            return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=c[0], column_B=c[1], or_equal=p["or_equal"], ignore_row_if="either_value_is_missing",
                **common)
        if self.kind == "rule":
            return gxe.ExpectColumnValuesToBeInSet(column=self.derived_column, value_set=[True], **common)
        raise ValueError(f"unknown check kind {self.kind!r}")


CheckLike = Check | Iterable[Check]


@dataclass(frozen=True, eq=False)
class Suite:
    """The checks of one (source, entity). `redact`: columns whose values never appear in Data Docs."""

    source: str
    entity: str
    checks: tuple[Check, ...]
    redact: frozenset[str] = frozenset()

    def __init__(self, source: str, entity: str, checks: Iterable[CheckLike], *,
                 redact: Iterable[str] = ()) -> None:
        flat: list[Check] = []
        for c in checks:
            flat.extend([c] if isinstance(c, Check) else c)
        ids = [c.id for c in flat]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"suite {source}.{entity} declares checks twice: {', '.join(dupes)}")
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "entity", entity)
        object.__setattr__(self, "checks", tuple(flat))
        object.__setattr__(self, "redact", frozenset(redact))

    @property
    def name(self) -> str:
        """GX suite name, e.g. 'hukou.person'."""
        return f"{self.source}.{self.entity}"

    @property
    def columns(self) -> frozenset[str]:
        """Every table column the suite reads (derived rule columns excluded)."""
        return frozenset(c for check in self.checks for c in check.columns)


class MissingSuite(KeyError):
    """No suite is declared for a (source, entity): validation refuses rather than passing silently."""


# --- the DSL -----------------------------------------------------------------------------------------------

def not_null(column: str, *, severity: Severity = "row") -> Check:
    return Check("not_null", (column,), severity, message=f"{column} is empty (the contract says not nullable)")


def required(*columns: str, severity: Severity = "row") -> tuple[Check, ...]:
    return tuple(not_null(c, severity=severity) for c in columns)


def in_set(column: str, values: Iterable[str], *, severity: Severity = "row") -> Check:
    vs = frozenset(values)
    return Check("in_set", (column,), severity, {"values": vs},
                 message=f"{column} is not one of the contract's {len(vs)} values")


def enum(column: str, values: Iterable[str], *, nullable: bool = False, severity: Severity = "row"
         ) -> tuple[Check, ...]:
    """An enumeration column: in_set, plus not_null unless nullable."""
    checks = (in_set(column, values, severity=severity),)
    return checks if nullable else (not_null(column, severity=severity), *checks)


def matches(column: str, regex: str, *, severity: Severity = "row") -> Check:
    re.compile(regex)  # fail at declaration, not at 03:00
    return Check("matches", (column,), severity, {"regex": regex}, message=f"{column} does not match {regex}")


def between(column: str, min_value: Bound = None, max_value: Bound = None, *, strict_min: bool = False,
            strict_max: bool = False, severity: Severity = "row") -> Check:
    if min_value is None and max_value is None:
        raise ValueError("between needs min_value or max_value")
    # Date columns reach GX as datetime64 (expectations.runner), so date bounds become midnight datetimes.
    def bound(b: Bound) -> Bound:
        return datetime(b.year, b.month, b.day) if isinstance(b, date) and not isinstance(b, datetime) else b

    params = {"min_value": bound(min_value), "max_value": bound(max_value), "strict_min": strict_min,
              "strict_max": strict_max}
    return Check("between", (column,), severity, params,
                 message=f"{column} is outside [{min_value}, {max_value}]")


def length_between(column: str, min_length: int | None = None, max_length: int | None = None, *,
                   severity: Severity = "row") -> Check:
    if min_length is None and max_length is None:
        raise ValueError("length_between needs min_length or max_length")
    return Check("length_between", (column,), severity, {"min_value": min_length, "max_value": max_length},
                 message=f"{column} length is outside [{min_length}, {max_length}] characters")


def unique(*columns: str, severity: Severity = "row", note: str = "") -> Check:
    """Key uniqueness; every row sharing a duplicated key fails (GX reports them all)."""
    what = " + ".join(columns)
    return Check("unique", tuple(columns), severity,
                 message=f"another row has the same {what}" + (f" ({note})" if note else ""))


def pair_equal(column_a: str, column_b: str, *, severity: Severity = "row", note: str = "") -> Check:
    return Check("pair_equal", (column_a, column_b), severity,
                 message=f"{column_a} differs from {column_b}" + (f" ({note})" if note else ""))


def pair_greater(column_a: str, column_b: str, *, or_equal: bool = False, severity: Severity = "row",
                 note: str = "") -> Check:
    op = ">=" if or_equal else ">"
    return Check("pair_greater", (column_a, column_b), severity, {"or_equal": or_equal},
                 message=f"expected {column_a} {op} {column_b}" + (f" ({note})" if note else ""))


def rule(name: str, columns: Iterable[str], fn: RuleFn, *, message: str, severity: Severity = "row") -> Check:
    """A cross-field rule computed in pandas (see module docstring); `columns` are what it reads."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"rule name {name!r} must be snake_case")
    return Check("rule", tuple(columns), severity, fn=fn, name=name, message=message)


# --- hukou (hukou.yaml) -------------------------------------------------------------------------------------

ETHNICITIES: frozenset[str] = frozenset({
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族", "白族",
    "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族",
    "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族",
    "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
})
HUKOU_RELATIONS: frozenset[str] = frozenset({
    "户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "儿媳", "女婿", "兄弟姐妹", "祖父母", "外孙子女", "其他",
})
HUKOU_STATUSES: frozenset[str] = frozenset({"正常", "死亡", "迁出", "注销"})
MARITAL_STATUSES: frozenset[str] = frozenset({"未婚", "已婚", "离婚", "丧偶"})
EDUCATION_LEVELS: frozenset[str] = frozenset({
    "研究生", "大学本科", "大学专科", "中等专科", "技工学校", "高中", "初中", "小学", "文盲或半文盲",
})


def _sex_matches_id(df: pd.DataFrame) -> pd.Series:
    """性别 equals the parity of ID digit 17 (odd = 男); NA where either is missing."""
    digit = df["id_number"].str.slice(16, 17)
    expected = digit.isin(list("13579")).map({True: "男", False: "女"})
    return _na_where(df["sex"] == expected, df["sex"].isna() | digit.isna())


def _birth_date_matches_id(df: pd.DataFrame) -> pd.Series:
    """出生日期 equals ID digits 7-14 (compared as YYYYMMDD integers: vectorised, no strftime)."""
    born = pd.to_datetime(df["birth_date"])
    ymd = born.dt.year * 10000 + born.dt.month * 100 + born.dt.day
    digits = df["id_number"].str.slice(6, 14)
    coded = digits.where(digits.str.fullmatch(r"\d{8}").fillna(False).astype(bool)).astype("Int64")
    return _na_where(ymd == coded, born.isna() | coded.isna())


def _status_date_iff_not_normal(df: pd.DataFrame) -> pd.Series:
    """状态变动日期 is empty if and only if 人员状态 = 正常."""
    return _na_where((df["status"] == "正常") == df["status_date"].isna(), df["status"].isna())


def _address_in_town(df: pd.DataFrame) -> pd.Series:
    """户籍地址 starts with '山东省滕州市' + 乡镇街道 (one vectorised comparison per town-name length)."""
    address, town = df["address"], df["town"]
    expected = "山东省滕州市" + town
    ok = pd.Series(False, index=df.index)
    lengths = expected.str.len()
    for n in lengths.dropna().unique():
        sel = (lengths == n).to_numpy(dtype=bool)
        ok[sel] = (address[sel].str.slice(0, int(n)) == expected[sel]).to_numpy(dtype=bool, na_value=False)
    return _na_where(ok, address.isna() | town.isna())


def _household_shares_address(df: pd.DataFrame) -> pd.Series:
    """All rows of one 户号 share 户籍地址, 乡镇街道 and 村居委会."""
    place = df["address"].astype("str") + "|" + df["town"].astype("str") + "|" + df["village"].astype("str")
    distinct = place.groupby(df["hukou_no"], sort=False).transform("nunique")
    return _na_where(distinct == 1, df["hukou_no"].isna())


def _na_where(ok: pd.Series, missing: pd.Series) -> pd.Series:
    """A nullable boolean: `ok`, NA where `missing` (not applicable -> GX skips the row)."""
    out = ok.astype("boolean")
    return out.mask(missing.to_numpy(dtype=bool))


HUKOU_PERSON = Suite("hukou", "person", redact={"ethnicity"}, checks=[
    # 公民身份号码: always canonical in this register (README section 10, quirk id_number_formats: none),
    # so anything else is a broken row, not a quirk.
    not_null("id_number_raw"),
    matches("id_number_raw", ID18),
    in_set("id_number_status", {"valid"}),
    # key [公民身份号码], "unique except quirk duplicate_household": those duplicates have different 户号.
    unique("id_number", "hukou_no"),
    unique("id_number", severity="warn", note="quirk duplicate_household"),
    required("name", "birth_date", "hukou_no", "address", "village"),
    length_between("name", 1, 30, severity="warn"),
    enum("sex", {"男", "女"}),
    rule("sex_matches_id", ("sex", "id_number"), _sex_matches_id, severity="warn",
         message="性别 disagrees with the parity of ID digit 17 (quirk sex_mismatch)"),
    enum("ethnicity", ETHNICITIES),
    rule("birth_date_matches_id", ("birth_date", "id_number"), _birth_date_matches_id, severity="warn",
         message="出生日期 differs from ID digits 7-14"),
    pair_greater("_business_date", "birth_date", or_equal=True, note="born after the as-of date"),
    matches("hukou_no", r"^\d{9}$"),
    enum("relation_to_head", HUKOU_RELATIONS),
    length_between("address", 1, 200, severity="warn"),
    rule("address_in_town", ("address", "town"), _address_in_town, severity="warn",
         message="户籍地址 does not start with 山东省滕州市 + 乡镇街道"),
    enum("town", TOWNS),
    matches("village", r"^.+(村|社区)$", severity="warn"),
    length_between("village", 1, 50, severity="warn"),
    rule("household_shares_address", ("hukou_no", "address", "town", "village"), _household_shares_address,
         severity="warn", message="rows of this 户号 differ in 户籍地址, 乡镇街道 or 村居委会"),
    enum("status", HUKOU_STATUSES),
    rule("status_date_iff_not_normal", ("status_date", "status"), _status_date_iff_not_normal, severity="warn",
         message="状态变动日期 must be empty if and only if 人员状态 is 正常"),
    pair_greater("_business_date", "status_date", or_equal=True, note="status change after the as-of date"),
    pair_greater("status_date", "birth_date", or_equal=True, severity="warn"),
    enum("marital_status", MARITAL_STATUSES, nullable=True),
    enum("education", EDUCATION_LEVELS, nullable=True),
])

# --- cremation (cremation.yaml, front-DB table t_hhdj) --------------------------------------------------------

CREMATION_CREMATION = Suite("cremation", "cremation", checks=[
    required("registration_no", "name", "death_date", "cremation_date", "funeral_home", "updated_at"),
    matches("registration_no", r"^HH\d{12}$"),
    unique("registration_no", note="PRIMARY KEY of t_hhdj"),
    length_between("name", 1, 50, severity="warn"),
    # 逝者身份证号: nullable, with format quirks (legacy_15, lowercase_x, spaces): kept whatever its status.
    in_set("id_number_status", TRUSTED_ID_STATUSES, severity="warn"),
    length_between("id_number_raw", 1, 32, severity="warn"),
    pair_greater("cremation_date", "death_date", or_equal=True, note="火化日期 before 死亡日期"),
    pair_greater("_business_date", "death_date", or_equal=True, note="死亡日期 after the as-of date"),
    pair_greater("_business_date", "cremation_date", or_equal=True, note="火化日期 after the as-of date"),
    length_between("funeral_home", 1, 100, severity="warn"),
    enum("deleted_flag", {"0", "1"}),
])

#: Modules with the suites of the other sources; each exposes `SUITES: tuple[Suite, ...]`. They import the
#: DSL above, so they are imported lazily (on first lookup), never at the top of this module.
SUITE_MODULES: tuple[str, ...] = ("expectations.suites_files", "expectations.suites_sql_xlsx_bank")
#: Suites declared in this module.
OWN: tuple[Suite, ...] = (HUKOU_PERSON, CREMATION_CREMATION)


@functools.cache
def registry() -> dict[tuple[str, str], Suite]:
    """(source, entity) -> Suite over this module and SUITE_MODULES; a pair declared twice is an error."""
    found = list(OWN)
    for name in SUITE_MODULES:
        found += importlib.import_module(name).SUITES
    out: dict[tuple[str, str], Suite] = {}
    for suite in found:
        if (suite.source, suite.entity) in out:
            raise ValueError(f"two suites for {suite.name}")
        out[(suite.source, suite.entity)] = suite
    return out


def all_suites() -> tuple[Suite, ...]:
    """Every declared suite."""
    return tuple(registry().values())


def suite_for(source: str, entity: str) -> Suite:
    """The suite of (source, entity); MissingSuite when none is declared (no silent pass)."""
    try:
        return registry()[(source, entity)]
    except KeyError:
        known = ", ".join(sorted(s.name for s in all_suites()))
        raise MissingSuite(f"no expectation suite for {source}.{entity}: declare one (expectations/suites.py "
                           f"explains how; known: {known})") from None
