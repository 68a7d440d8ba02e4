"""Great Expectations suites of the published marts: the invariants a build must hold before it is published.

Grain: one `MartSuite` per mart table; it validates every row of `mart.<table>` of the build being made
(warehouse.checks runs them, after the contracts of transforms/marts/_contracts.yaml hold). Each check is
one GX expectation, declared with the DSL of expectations.suites; cross-row and cross-table invariants are
`sql_rule`s: a DuckDB boolean expression over the row (alias `t`, subqueries on other mart tables allowed)
computed into a column `_check_<name>` before GX runs - True = fine, False = violation, NULL = not
applicable (GX skips it). Every check is severity 'row': any failure stops the publication.

GX validates these over SQL (DuckDB), where two parts of the DSL differ: GX has no regular expressions
for the DuckDB dialect, so formats are `sql_rule`s (`id_format`); and keys are `unique_key` (plain GX
uniqueness over the whole table - expectations.suites' `unique` scopes keys to a delivery).

The rules restate interfaces.md section 3 and policy.md sections 2-5 (households, members, income, programs)
and section 6 (alert lifecycle); keep them in step with those, not with the models that compute the marts.
This module does not import GX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from expectations.suites import (
    ID18,
    TOWNS,
    Check,
    CheckLike,
    between,
    enum,
    in_set,
    not_null,
    pair_greater,
    required,
)

#: Program codes of mart.eligibility (policy.md section 5).
PROGRAMS: frozenset[str] = frozenset({"DIBAO", "TEKUN", "DIBAO_EDGE", "RIGID_EXPENDITURE"})
HOUSEHOLD_KINDS: frozenset[str] = frozenset({"family", "application", "hukou"})
ALERT_STATUSES: frozenset[str] = frozenset({"new", "open", "resolved"})
ALERT_SEVERITIES: frozenset[str] = frozenset({"high", "medium", "low"})
SEXES: frozenset[str] = frozenset({"男", "女"})
INCOME_TYPES: tuple[str, ...] = ("income_wage", "income_pension", "income_business", "income_property",
                                 "income_transfer")
#: Stored money is rounded half-up to 0.01 column by column (policy.md section 3), so the stored income
#: types may miss the stored total by up to half a cent each plus half a cent for the total.
INCOME_SUM_TOLERANCE = 0.005 * (len(INCOME_TYPES) + 1)
#: round(T)/n against round(T/n): at most 0.005/n + 0.005.
PER_CAPITA_TOLERANCE = 0.01
#: Money and counts of mart.household_profile that are never negative.
NON_NEGATIVE: tuple[str, ...] = (
    "member_count", "monthly_income_total", "monthly_income_per_capita", *INCOME_TYPES, "financial_assets_total",
    "residential_property_count", "residential_property_area", "nonresidential_property_count", "vehicle_count",
    "nonexempt_vehicle_count", "active_business_count", "medical_out_of_pocket_12m", "severe_disability_count",
    "elderly_count", "minor_count", "assistance_monthly_amount",
)
#: Member counts of mart.household_profile, each at most member_count.
MEMBER_COUNTS: tuple[str, ...] = ("elderly_count", "minor_count", "severe_disability_count")
_MALE_DIGITS = "('1', '3', '5', '7', '9')"


def sql_rule(name: str, columns: Iterable[str], sql: str, *, message: str) -> Check:
    """A cross-field or cross-table rule: `sql` is a DuckDB boolean over the row `t` (see the docstring)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"rule name {name!r} must be snake_case")
    return Check("rule", tuple(columns), "row", {"sql": sql}, name=name, message=message)


def id_format(column: str) -> Check:
    """An 18-character 公民身份号码 in normal form (digits, a final digit or X)."""
    return sql_rule(f"id_format_{column}", (column,), f"regexp_full_match(t.{column}, '{ID18[1:-1]}')",
                    message=f"{column} is not an 18-character ID number in normal form")


def unique_key(*columns: str, note: str = "") -> Check:
    """The table's key: no two rows share it (rows where every key column is null are ignored)."""
    return Check("unique_key", tuple(columns), "row",
                 message=f"another row has the same {' + '.join(columns)}" + (f" ({note})" if note else ""))


def expectation(check: Check) -> Any:
    """The GX expectation of a mart check (imports GX: call from warehouse.checks only)."""
    if check.kind != "unique_key":
        return check.expectation()
    import great_expectations.expectations as gxe

    common: dict[str, Any] = {"meta": {"check": check.id, "severity": check.severity},
                              "description": f"[{check.severity}] {check.message}", "severity": "critical"}
    if len(check.columns) == 1:
        return gxe.ExpectColumnValuesToBeUnique(column=check.columns[0], **common)
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(check.columns), **common)


def references(column: str, table: str, ref_column: str | None = None) -> Check:
    """Foreign key: every non-null `column` is a `ref_column` of mart.<table>."""
    ref = ref_column or column
    return sql_rule(f"fk_{column}_{table}", (column,), f"t.{column} IN (SELECT {ref} FROM mart.{table})",
                    message=f"{column} is not a {ref} of mart.{table}")


def _members(alias: str = "t") -> str:
    return f"(SELECT count(*) FROM mart.household_member m WHERE m.household_id = {alias}.household_id)"


@dataclass(frozen=True, eq=False)
class MartSuite:
    """The checks of one mart table; `key` names an offending row in failure messages."""

    table: str
    key: tuple[str, ...]
    checks: tuple[Check, ...]

    def __init__(self, table: str, key: Iterable[str], checks: Iterable[CheckLike]) -> None:
        flat: list[Check] = []
        for c in checks:
            flat.extend([c] if isinstance(c, Check) else c)
        ids = [c.id for c in flat]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"suite mart.{table} declares checks twice: {', '.join(dupes)}")
        for c in flat:
            if c.kind == "rule" and "sql" not in c.params:
                raise ValueError(f"mart.{table}: rule {c.rule} needs SQL (sql_rule), not a pandas function")
            if c.kind in ("matches", "unique"):
                raise ValueError(f"mart.{table}: {c.kind} does not run on GX's DuckDB SQL path; "
                                 "use id_format / sql_rule or unique_key")
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "key", tuple(key))
        object.__setattr__(self, "checks", tuple(flat))

    @property
    def name(self) -> str:
        """GX suite and asset name, e.g. 'mart.household'."""
        return f"mart.{self.table}"

    @property
    def reads(self) -> frozenset[str]:
        """The mart tables the suite reads: its own and those its SQL rules name."""
        named = (m for c in self.checks if c.kind == "rule" for m in re.findall(r"\bmart\.(\w+)", c.params["sql"]))
        return frozenset({self.table, *named})

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns read: the key first, then every column a check names (derived ones excluded)."""
        return tuple(dict.fromkeys([*self.key, *(c for check in self.checks for c in check.columns)]))


PERSON = MartSuite("person", ["id_number"], [
    not_null("id_number"),
    unique_key("id_number"),
    id_format("id_number"),
    enum("sex", SEXES),
    sql_rule("sex_matches_id", ("sex", "id_number"),
             f"t.sex = CASE WHEN substr(t.id_number, 17, 1) IN {_MALE_DIGITS} THEN '男' ELSE '女' END",
             message="sex is not the one of ID digit 17 (odd = 男)"),
    sql_rule("birth_date_matches_id", ("birth_date", "id_number"),
             "strftime(t.birth_date, '%Y%m%d') = substr(t.id_number, 7, 8)",
             message="birth_date differs from ID digits 7-14"),
    required("birth_date", "is_alive", "is_household_member"),
    sql_rule("alive_iff_no_death_date", ("is_alive", "death_date"), "t.is_alive = (t.death_date IS NULL)",
             message="is_alive must be true exactly when death_date is empty"),
    in_set("town", TOWNS),
    references("household_id", "household"),
    sql_rule("member_flag_matches_members", ("is_household_member", "id_number"),
             "t.is_household_member = (t.id_number IN (SELECT id_number FROM mart.household_member))",
             message="is_household_member disagrees with mart.household_member"),
])

HOUSEHOLD = MartSuite("household", ["household_id"], [
    not_null("household_id"),
    unique_key("household_id"),
    enum("kind", HOUSEHOLD_KINDS),
    sql_rule("hukou_id_iff_hukou_kind", ("household_id", "kind"),
             "(t.kind = 'hukou') = starts_with(t.household_id, 'HK')",
             message="household_id starts with HK exactly for hukou households (policy section 2)"),
    enum("town", TOWNS),
    not_null("member_count"),
    between("member_count", 0),
    sql_rule("member_count_is_members", ("member_count", "household_id"), f"t.member_count = {_members()}",
             message="member_count differs from the number of mart.household_member rows"),
    references("head_id_number", "person", "id_number"),
    sql_rule("one_profile", ("household_id",),
             "(SELECT count(*) FROM mart.household_profile p WHERE p.household_id = t.household_id) = 1",
             message="the household has no row in mart.household_profile"),
    sql_rule("four_programs", ("household_id",),
             "(SELECT count(DISTINCT e.program) FILTER (WHERE e.program IN ('DIBAO', 'TEKUN', 'DIBAO_EDGE', "
             "'RIGID_EXPENDITURE')) = 4 AND count(*) = 4 FROM mart.eligibility e "
             "WHERE e.household_id = t.household_id)",
             message="the household has not exactly one mart.eligibility row for each of the 4 programs"),
])

HOUSEHOLD_MEMBER = MartSuite("household_member", ["id_number"], [
    required("household_id", "id_number"),
    unique_key("id_number", note="every person is in at most one household"),
    references("household_id", "household"),
    references("id_number", "person"),
])

HOUSEHOLD_PROFILE = MartSuite("household_profile", ["household_id"], [
    required("household_id", "as_of", "member_count", "monthly_income_total", *INCOME_TYPES),
    unique_key("household_id"),
    references("household_id", "household"),
    sql_rule("member_count_is_members", ("member_count", "household_id"), f"t.member_count = {_members()}",
             message="member_count differs from the number of mart.household_member rows"),
    sql_rule("income_types_sum_to_total", ("monthly_income_total", *INCOME_TYPES),
             f"abs({' + '.join(f't.{c}' for c in INCOME_TYPES)} - t.monthly_income_total) "
             f"<= {INCOME_SUM_TOLERANCE:.3f}",
             message=f"income by type does not sum to monthly_income_total (± {INCOME_SUM_TOLERANCE:.3f})"),
    sql_rule("per_capita_is_total_per_member",
             ("monthly_income_per_capita", "monthly_income_total", "member_count"),
             "CASE WHEN t.member_count = 0 THEN t.monthly_income_per_capita IS NULL "
             "ELSE abs(t.monthly_income_total / t.member_count - t.monthly_income_per_capita) "
             f"<= {PER_CAPITA_TOLERANCE} + 1e-9 END",
             message=f"monthly_income_per_capita is not monthly_income_total / member_count "
                     f"(± {PER_CAPITA_TOLERANCE}), or not null with 0 members"),
    # One expectation per group, not per column: GX's cost is per expectation (~10 ms of Python each).
    sql_rule("amounts_non_negative", NON_NEGATIVE, " AND ".join(f"coalesce(t.{c} >= 0, true)" for c in NON_NEGATIVE),
             message="a money amount or count is negative"),
    sql_rule("counts_within_members", ("member_count", *MEMBER_COUNTS),
             " AND ".join(f"t.{c} <= t.member_count" for c in MEMBER_COUNTS),
             message=f"{', '.join(MEMBER_COUNTS)} must not exceed member_count"),
    pair_greater("vehicle_count", "nonexempt_vehicle_count", or_equal=True),
])

ELIGIBILITY = MartSuite("eligibility", ["household_id", "program"], [
    required("household_id", "program", "eligible", "standard_amount", "rule_version"),
    unique_key("household_id", "program"),
    in_set("program", PROGRAMS),
    references("household_id", "household"),
    between("standard_amount", 0).named("non_negative_standard_amount"),
    sql_rule("none_without_members", ("eligible", "household_id"),
             "NOT t.eligible OR (SELECT p.member_count FROM mart.household_profile p "
             "WHERE p.household_id = t.household_id) > 0",
             message="a household with 0 members is eligible (policy section 2)"),
    sql_rule("edge_excludes_dibao_tekun", ("eligible", "program", "household_id"),
             "NOT (t.eligible AND t.program = 'DIBAO_EDGE') OR NOT EXISTS (SELECT 1 FROM mart.eligibility o "
             "WHERE o.household_id = t.household_id AND o.eligible AND o.program IN ('DIBAO', 'TEKUN'))",
             message="DIBAO_EDGE is eligible together with DIBAO or TEKUN (policy section 5)"),
    sql_rule("rigid_excludes_others", ("eligible", "program", "household_id"),
             "NOT (t.eligible AND t.program = 'RIGID_EXPENDITURE') OR NOT EXISTS (SELECT 1 FROM mart.eligibility o "
             "WHERE o.household_id = t.household_id AND o.eligible AND o.program <> 'RIGID_EXPENDITURE')",
             message="RIGID_EXPENDITURE is eligible together with another program (policy section 5)"),
])

ALERT = MartSuite("alert", ["alert_id"], [
    required("alert_id", "code", "first_seen", "last_seen", "as_of"),
    unique_key("alert_id"),
    enum("status", ALERT_STATUSES),
    enum("severity", ALERT_SEVERITIES),
    pair_greater("last_seen", "first_seen", or_equal=True),
    pair_greater("as_of", "last_seen", or_equal=True),
    sql_rule("resolved_on_iff_resolved", ("status", "resolved_on"),
             "(t.status = 'resolved') = (t.resolved_on IS NOT NULL)",
             message="resolved_on must be set exactly when status is resolved"),
    id_format("id_number"),
])

#: Every mart suite, in the order they run.
SUITES: tuple[MartSuite, ...] = (PERSON, HOUSEHOLD, HOUSEHOLD_MEMBER, HOUSEHOLD_PROFILE, ELIGIBILITY, ALERT)
