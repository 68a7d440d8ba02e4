"""Window look-ups over the published warehouse (profile, authorization) for `safetynet profile/verify`.

Grain: pure query functions over one read-only connection (warehouse.query.connect_current); one call =
one person's household. Inputs are never modified; results are plain dicts/dataclasses. Messages are in
Chinese (shown to window staff) and never contain a full ID number.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from safetynet.idnumber import normalize_id
from safetynet.privacy import mask_id, mask_text

#: The program codes of policy.md section 5, with their Chinese names (shown even without mart.eligibility).
PROGRAMS: dict[str, str] = {
    "DIBAO": "最低生活保障（低保）",
    "TEKUN": "特困人员救助供养",
    "DIBAO_EDGE": "低保边缘家庭",
    "RIGID_EXPENDITURE": "刚性支出困难家庭",
}

#: Chinese names of the 17 sources (sources/README.md section 1).
SOURCE_NAMES: dict[str, str] = {
    "hukou": "户籍（公安）", "vehicles": "机动车（公安交管）", "deaths": "死亡医学证明（卫健）",
    "cremation": "火化（民政殡葬）", "assistance": "社会救助（民政）", "social_insurance": "社会保险（人社）",
    "tax": "个人所得税（税务）", "medical": "医疗保障（医保）", "disability": "残疾人证（残联）",
    "property": "不动产（自然资源）", "business": "市场主体（市场监管）", "housing_fund": "住房公积金",
    "education": "学籍（教育）", "rural_monitoring": "防返贫监测（乡村振兴）", "bank": "银行存款（省级核对平台）",
    "charity": "慈善救助", "public_housing": "公租房（住建）",
}

#: Which household_profile values come from which source (the "values" shown per source).
SOURCE_VALUES: dict[str, tuple[str, ...]] = {
    "tax": ("income_wage", "income_business", "income_property"),
    "social_insurance": ("income_pension", "income_transfer"),
    "bank": ("financial_assets_total",),
    "property": ("residential_property_count", "residential_property_area", "nonresidential_property_count"),
    "vehicles": ("vehicle_count", "nonexempt_vehicle_count"),
    "business": ("active_business_count",),
    "medical": ("medical_out_of_pocket_12m",),
    "disability": ("severe_disability_count",),
    "assistance": ("assistance_category", "assistance_monthly_amount"),
}


class LookupError_(LookupError):
    """An expected look-up failure; the message (Chinese, masked) is shown to staff as is."""


class PersonNotFound(LookupError_):
    pass


class NotAuthorized(LookupError_):
    """No signed 授权书 covers the person (for the given application, if any)."""


@dataclass(frozen=True)
class Authorization:
    application_no: str
    authorization_date: date
    category: str | None
    status: str | None
    is_open: bool
    applicant_id_number: str | None = None


def canonical_id(raw: str) -> str:
    """The normal form of a typed ID number; LookupError_ (masked) when it is not a trustworthy number."""
    result = normalize_id(raw)
    if not result.trusted or result.normal is None:
        raise LookupError_(f"身份证号 {mask_id(str(raw).strip())} 无效（{result.status}），请核对后重新输入")
    return result.normal


def fetch_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a parameterized query as dicts (column name -> value)."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@dataclass(frozen=True)
class _BuildConstants:
    """What every profile of one published build shares (grain: one build). Callers copy before changing."""

    build_id: str
    as_of: date
    parameters: dict[tuple[str, str], Decimal]
    freshness: tuple[dict[str, Any], ...]
    #: Households with an alert whose status is active (None without mart.alert): most households have
    #: none, and asking the set saves them a query.
    alert_households: frozenset[str] | None
    #: Per mart table of a profile_lookup doc part, its DATE columns (JSON writes them as ISO strings).
    date_columns: dict[str, frozenset[str]]


#: Per-build constants of each open read-only connection (a published build never changes under a reader, and
#: a look-up would otherwise ask for them on every call: information_schema alone costs ~2 ms of CPU, each
#: DuckDB statement ~0.3-1 ms). Weak keys: a closed, dropped connection leaves. Writable connections (whose
#: tables can change) are never cached.
_RELATIONS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, frozenset[tuple[str, str]]] = \
    weakref.WeakKeyDictionary()
_CONSTANTS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, _BuildConstants] = weakref.WeakKeyDictionary()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether schema.table (a table or view) exists; read once per read-only connection."""
    known = _RELATIONS.get(con)
    if known is None:
        known = _relations(con)
        if _is_read_only(con):  # a writable connection's tables can change: not cached
            _RELATIONS[con] = known
    return (schema, table) in known


def _relations(con: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, str]]:
    return frozenset(con.execute("SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
                                 "SELECT schema_name, view_name FROM duckdb_views()").fetchall())


def _is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
                            ).fetchall()[0][0])


def _constants(con: duckdb.DuckDBPyConnection) -> _BuildConstants:
    """The build's constants (meta.build_info, parameters in effect, mart.source_freshness by source, the
    households with active alerts); read once per read-only connection."""
    found = _CONSTANTS.get(con)
    if found is None:
        build = fetch_rows(con, "SELECT build_id, as_of FROM meta.build_info")[0]
        found = _BuildConstants(
            build_id=build["build_id"], as_of=build["as_of"],
            parameters={(r["name"], r["area"]): r["value"] for r in fetch_rows(
                con, "SELECT name, area, value FROM stg.policy__parameters WHERE is_in_effect")},
            freshness=tuple(fetch_rows(con, "SELECT * FROM mart.source_freshness ORDER BY source")),
            alert_households=frozenset(r[0] for r in con.execute(
                "SELECT DISTINCT household_id FROM mart.alert WHERE list_contains(?, status)",
                [list(ACTIVE_STATUSES)]).fetchall()) if has_table(con, "mart", "alert") else None,
            date_columns=_date_columns(con))
        if _is_read_only(con):
            _CONSTANTS[con] = found
    return found


#: The mart tables whose rows mart.profile_lookup's doc carries (doc part -> tables of its columns).
_DOC_TABLES: dict[str, tuple[str, ...]] = {
    "household": ("household",), "members": ("person", "household_member"), "profile": ("household_profile",),
    "eligibility": ("eligibility",), "alerts": ("alert",)}


def _date_columns(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """DATE columns per doc part (the only type whose JSON value is not the value profile() returns:
    DECIMALs are read back with their scale by json.loads(parse_float=Decimal), JSON columns are strings)."""
    dates = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'mart' "
                        "AND data_type = 'DATE'").fetchall()
    return {part: frozenset(c for t, c in dates if t in tables) for part, tables in _DOC_TABLES.items()}


def _not_found(con: duckdb.DuckDBPyConnection, id_number: str) -> PersonNotFound:
    known = con.execute("SELECT count(*) FROM mart.person WHERE id_number = ?", [id_number]).fetchall()[0][0]
    why = "未归入任何家庭" if known else "在数据仓库中无记录"
    return PersonNotFound(f"身份证号 {mask_id(id_number)} {why}")


def household_of(con: duckdb.DuckDBPyConnection, id_number: str) -> dict[str, Any]:
    """mart.household row of the person's household (id_number already canonical); PersonNotFound otherwise
    (also when mart.household lacks the member's household, as the join this replaces said)."""
    # Two single-table point queries (each an ART index scan) cost DuckDB less than one join.
    found = con.execute("SELECT household_id FROM mart.household_member WHERE id_number = ?", [id_number]).fetchall()
    rows = fetch_rows(con, "SELECT * FROM mart.household WHERE household_id = ?", [found[0][0]]) if found else []
    if not rows:
        raise _not_found(con, id_number)
    return rows[0]


def authorizations(con: duckdb.DuckDBPyConnection, id_number: str) -> list[Authorization]:
    """Every application whose signed 授权书 covers the person (bank.yaml / policy.md section 4 rule, as in
    connectors.bank_requests.covered_persons): named with 删除标志 '0' and a valid number in an application
    with 授权书签署 = 是, a 授权书签署日期 and a status other than 已撤回. Newest signature first."""
    rows = fetch_rows(con, """
        SELECT a.application_no, a.authorization_date, a.category, a.status, a.is_open, a.applicant_id_number
        FROM stg.assistance__application a
        JOIN stg.assistance__application_member m USING (application_no)
        WHERE m.member_id_number = ? AND m.member_id_number_status = 'valid'
          AND coalesce(m.deleted_flag, '') = '0'
          AND a.authorization_signed = '是' AND a.authorization_date IS NOT NULL
          AND coalesce(a.status, '') <> '已撤回'
        ORDER BY a.is_open DESC, a.authorization_date DESC, a.application_no DESC""", [id_number])
    return [Authorization(r["application_no"], r["authorization_date"], r["category"], r["status"],
                          bool(r["is_open"]), r["applicant_id_number"]) for r in rows]


def require_authorization(con: duckdb.DuckDBPyConnection, id_number: str,
                          application: str | None = None) -> Authorization:
    """The covering authorization (of `application` when given, else the newest, open ones first)."""
    covering = authorizations(con, id_number)
    if application is not None:
        covering = [a for a in covering if a.application_no == application.strip()]
    if not covering:
        where = f"申请 {application} 中" if application else ""
        raise NotAuthorized(f"拒绝生成核对报告：{where}没有已签署的授权书覆盖身份证号 {mask_id(id_number)}")
    return covering[0]


def parameters(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Decimal]:
    """Policy parameters in effect on the build date, by (name, area)."""
    return dict(_constants(con).parameters)


def _nulls_last(value: Any) -> tuple[bool, Any]:
    """A sort key placing None after every value, as DuckDB's default ORDER BY does (NULLS LAST)."""
    return (value is None, value)


#: Sort rank of relation_to_head = '本人' DESC under NULLS LAST (any other relation ranks 1).
_SELF_FIRST: dict[str | None, int] = {"本人": 0, None: 2}
#: The mart.person values of a member, in the order they are shown (between the household_member ones).
_PERSON_COLUMNS: tuple[str, ...] = ("name", "sex", "birth_date", "is_alive", "death_date")
_PERSON_TAIL: tuple[str, ...] = ("hukou_status", "town", "sources")
_PERSON_SQL = f"SELECT id_number, {', '.join(_PERSON_COLUMNS + _PERSON_TAIL)} FROM mart.person"


def household_members(con: duckdb.DuckDBPyConnection, household_id: str) -> list[dict[str, Any]]:
    """The household's members with their mart.person values (None without a mart.person row): the person
    (本人) first, then by birth date and ID number (NULLs last).

    The rows of `household_member LEFT JOIN person USING (id_number)`, from single-table point queries
    (a join and an ORDER BY each cost DuckDB more than a look-up): mart.person places every member in
    its household (mart_person.sql), and any member it does not is read by ID number.
    """
    members = fetch_rows(con, "SELECT id_number, relation_to_head, is_covered FROM mart.household_member "
                              "WHERE household_id = ?", [household_id])
    persons = {p["id_number"]: p for p in fetch_rows(con, f"{_PERSON_SQL} WHERE household_id = ?", [household_id])}
    elsewhere = [m["id_number"] for m in members if m["id_number"] not in persons]
    if elsewhere:
        persons |= {p["id_number"]: p for p in fetch_rows(con, f"{_PERSON_SQL} WHERE list_contains(?, id_number)",
                                                          [elsewhere])}
    rows = []
    for m in members:
        p = persons.get(m["id_number"], {})
        rows.append({"id_number": m["id_number"], **{c: p.get(c) for c in _PERSON_COLUMNS},
                     "relation_to_head": m["relation_to_head"], "is_covered": m["is_covered"],
                     **{c: p.get(c) for c in _PERSON_TAIL}})
    return _ordered_members(rows)


def _ordered_members(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Members in display order: relation_to_head = '本人' DESC (true, false, then NULL: an unknown
    relation), birth date, ID number (NULLs last)."""
    return sorted(rows, key=lambda m: (_SELF_FIRST.get(m["relation_to_head"], 1),
                                       _nulls_last(m["birth_date"]), _nulls_last(m["id_number"])))


def profile(con: duckdb.DuckDBPyConnection, raw_id: str, *, with_reasons: bool = False) -> dict[str, Any]:
    """The household profile (一户一档) of the person's household, with full IDs (callers mask for screens).

    Keys: person, household, members, profile (mart.household_profile row or None), eligibility (list of
    mart.eligibility rows, or None when that table is not published), alerts (household_alerts, or None
    when mart.alert is not published), freshness (per source, with members_found), parameters, as_of,
    build_id. The eligibility rows carry their `reasons` (the stored JSON text, as the last key) only
    `with_reasons`: the verification report shows them, the window's profile does not.

    Cost: two point queries, the member's household then mart.profile_lookup's doc (it holds every
    per-household part but the reasons); one more with_reasons; the build's constants come from the
    per-connection cache (_constants). A build without mart.profile_lookup is read table by table
    (_queried_parts), with the same result.
    """
    id_number = canonical_id(raw_id)
    parts = (_precomputed_parts(con, id_number) if has_table(con, "mart", "profile_lookup")
             else _queried_parts(con, id_number))
    if with_reasons and parts["eligibility"]:
        parts = parts | {"eligibility": _with_reasons(con, parts["household"]["household_id"], parts["eligibility"])}
    build = _constants(con)
    members = parts["members"]
    freshness = [f | {"members_found": sum(1 for m in members if f["source"] in (m["sources"] or [])),
                      "name_zh": SOURCE_NAMES.get(f["source"], f["source"])} for f in build.freshness]
    return {
        "person": next(m for m in members if m["id_number"] == id_number),
        "household": parts["household"], "members": members, "profile": parts["profile"],
        "eligibility": parts["eligibility"] if has_table(con, "mart", "eligibility") else None,
        "alerts": None if build.alert_households is None else parts["alerts"], "freshness": freshness,
        "parameters": {f"{n}/{a}": v for (n, a), v in build.parameters.items()},
        "as_of": build.as_of, "build_id": build.build_id,
    }


def _queried_parts(con: duckdb.DuckDBPyConnection, id_number: str) -> dict[str, Any]:
    """The per-household parts of a profile read table by table (eligibility without reasons, as
    mart.profile_lookup holds it): single-table point queries on the
    ART-indexed keys (warehouse.query.LOOKUP_INDEXES), one per relation (mart.alert only for a household
    with active alerts). For builds published before mart.profile_lookup."""
    household = household_of(con, id_number)
    hid = household["household_id"]
    members = household_members(con, hid)
    prof = fetch_rows(con, "SELECT * FROM mart.household_profile WHERE household_id = ?", [hid])
    eligibility = (sorted(fetch_rows(con, "SELECT * EXCLUDE (reasons) FROM mart.eligibility WHERE household_id = ?",
                                     [hid]), key=_program_order)
                   if has_table(con, "mart", "eligibility") else None)
    active = _constants(con).alert_households
    return {"household": household, "members": members, "profile": prof[0] if prof else None,
            "eligibility": eligibility, "alerts": household_alerts(con, hid) if active and hid in active else []}


def _with_reasons(con: duckdb.DuckDBPyConnection, household_id: str,
                  rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the household's eligibility rows with their `reasons` (stored JSON text) as the last key."""
    reasons = dict(con.execute("SELECT program, reasons FROM mart.eligibility WHERE household_id = ?",
                               [household_id]).fetchall())
    return [r | {"reasons": reasons.get(r["program"])} for r in rows]


def _program_order(row: dict[str, Any]) -> tuple[int, str]:
    """Eligibility rows in the policy's program order (as mart.profile_lookup lists them)."""
    program = str(row.get("program"))
    return (list(PROGRAMS).index(program) if program in PROGRAMS else len(PROGRAMS), program)


def _precomputed_parts(con: duckdb.DuckDBPyConnection, id_number: str) -> dict[str, Any]:
    """The per-household parts of a profile from the household's mart.profile_lookup doc (two point queries),
    with the values the table-by-table queries return: DECIMALs with their scale, dates as dates, JSON
    columns as their stored text; members and alerts put in display order here; eligibility without reasons."""
    # Two single-table point queries (each an ART index scan) cost DuckDB less than one join.
    member = con.execute("SELECT household_id FROM mart.household_member WHERE id_number = ?", [id_number]).fetchall()
    found = (con.execute("SELECT doc FROM mart.profile_lookup WHERE household_id = ?", [member[0][0]]).fetchall()
             if member else [])
    if not found:
        raise _not_found(con, id_number)
    doc = json.loads(found[0][0], parse_float=Decimal)
    dates = _constants(con).date_columns
    prof = doc["profile"]
    return {"household": _dated(doc["household"], dates["household"]),
            "members": _ordered_members([_dated(m, dates["members"]) for m in doc["members"]]),
            "profile": None if prof is None else _dated(prof, dates["profile"]),
            "eligibility": [_dated(r, dates["eligibility"]) for r in doc["eligibility"]],
            "alerts": _active_alerts([_dated(r, dates["alerts"]) for r in doc["alerts"]])}


def _dated(row: dict[str, Any], date_columns: frozenset[str]) -> dict[str, Any]:
    """A copy of a doc row with its DATE columns (ISO strings in JSON) as dates."""
    return {k: date.fromisoformat(v) if k in date_columns and v is not None else v for k, v in row.items()}


#: Alert statuses a monitor still has to look at (policy.md section 6 lifecycle).
ACTIVE_STATUSES: tuple[str, ...] = ("new", "open")
#: Order of alert severities in a list (any other severity comes last).
SEVERITY_RANK: dict[str, int] = {"high": 0, "medium": 1}
#: Fields of an alert's evidence shown in its one-line summary at most.
SUMMARY_FIELDS = 6


def evidence_summary(evidence: Any) -> str:
    """One line (Chinese) from an alert's evidence JSON: source, record key, the triggering values and the
    data's as-of date, e.g. `机动车（公安交管） LSV123: 使用性质=非营运 (数据截至 2026-05-27)；另有 1 条相关记录`.
    Not masked here (callers mask what they show)."""
    if evidence is None:
        return ""
    data = json.loads(evidence) if isinstance(evidence, str) else evidence
    if not isinstance(data, dict):
        return str(data)
    source = data.get("source")
    head = " ".join(str(x) for x in (SOURCE_NAMES.get(str(source), source), data.get("record_key")) if x)
    fields = data.get("fields")
    if isinstance(fields, dict) and fields:
        # Nested values (parameter rows, unit lists) are too long for one line: lists show their length.
        flat = [(k, f"{len(v)}项" if isinstance(v, list) else "-" if v is None else v)
                for k, v in fields.items() if not isinstance(v, dict)]
        more = "…" if len(flat) > SUMMARY_FIELDS else ""
        head += ": " + "，".join(f"{k}={v}" for k, v in flat[:SUMMARY_FIELDS]) + more
    if data.get("as_of"):
        head += f" (数据截至 {data['as_of']})"
    related = data.get("related")
    if isinstance(related, list) and related:
        head += f"；另有 {len(related)} 条相关记录"
    return head.strip()


def household_alerts(con: duckdb.DuckDBPyConnection, household_id: str) -> list[dict[str, Any]]:
    """The household's alerts whose status on the build date is new or open (mart.alert), highest severity
    first (then first seen, code, alert_id; NULLs last), with evidence_summary; full IDs (callers mask)."""
    found = fetch_rows(con, """
        SELECT alert_id, code, title_zh, severity, status, id_number, first_seen, last_seen, evidence,
               disposition
        FROM mart.alert
        WHERE household_id = ?""", [household_id])
    return _active_alerts(found)


def _active_alerts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alert rows (mart.alert columns of household_alerts) whose status is active, in display order
    (highest severity first, then first seen, code, alert_id; NULLs last), evidence as evidence_summary."""
    # Filtered and sorted here: a household has a handful of alerts, and DuckDB's ORDER BY costs more.
    active = sorted((r for r in rows if r["status"] in ACTIVE_STATUSES),
                    key=lambda r: (SEVERITY_RANK.get(r["severity"], len(SEVERITY_RANK)), _nulls_last(r["first_seen"]),
                                   _nulls_last(r["code"]), _nulls_last(r["alert_id"])))
    return [{k: v for k, v in r.items() if k != "evidence"} | {"evidence_summary": evidence_summary(r["evidence"])}
            for r in active]


def masked(value: Any) -> Any:
    """A copy of a profile structure with every ID number masked (for screens and JSON output)."""
    if isinstance(value, dict):
        return {k: (mask_id(v) if k.endswith("id_number") and isinstance(v, str) else masked(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return mask_text(value) if isinstance(value, str) else value
