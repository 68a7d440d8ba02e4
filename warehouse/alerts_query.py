"""The monitors' alert list over the published warehouse, for `safetynet alerts` and `safetynet review-alert`.

Grain: pure query functions over one read-only connection (warehouse.query.connect_current). One call of
`active_alerts` = the alerts whose status on one published night is new or open (policy.md section 6),
read from `mart.alert_history` (every published night's snapshot of mart.alert, column as_of; the
build's own night is mart.alert itself). Every value is bound as a parameter. Results carry full IDs;
`shown` masks them for screens and JSON. Messages are in Chinese (shown to monitors).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from transforms.parameters.alert_rules import CODES
from warehouse.lookup import ACTIVE_STATUSES, fetch_rows, has_table, masked
from warehouse.query import published_as_of

#: How statuses, severities and verdicts read for the monitors.
STATUS_ZH: dict[str, str] = {"new": "新增", "open": "持续", "resolved": "已解除"}
SEVERITY_ZH: dict[str, str] = {"high": "高", "medium": "中", "low": "低"}
#: Columns of one listed alert (mart.alert minus subject_key and rule_version).
COLUMNS: tuple[str, ...] = (
    "alert_id", "code", "title_zh", "severity", "town", "household_id", "id_number", "status",
    "first_seen", "last_seen", "evidence", "disposition", "disposition_reviewer", "disposition_note",
    "disposition_at", "as_of",
)

#: Published nights named one by one in the error for a night without data at most.
MAX_NIGHTS_LISTED = 7


class AlertQueryError(ValueError):
    """An expected failure of an alert query; the message (Chinese, one line, no full ID) is shown as is."""


@dataclass(frozen=True)
class AlertList:
    """The active alerts of one published night (rows ordered by severity, town, code, household)."""

    as_of: date
    rows: tuple[dict[str, Any], ...]


def check_code(code: str) -> str:
    """The alert code as the policy spells it (case-insensitive input); AlertQueryError listing the valid
    codes otherwise."""
    normal = code.strip().upper()
    if normal not in CODES:
        raise AlertQueryError(f"未知的预警代码 {code.strip()!r}；有效代码: {', '.join(CODES)}")
    return normal


def published_nights(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The nights the open warehouse can answer for (its own build date and the earlier published nights
    of mart.alert_rule_run_history, which has a row per rule every night), oldest first."""
    nights = {published_as_of(con)}
    if has_table(con, "mart", "alert_rule_run_history"):
        nights |= {r[0] for r in con.execute("SELECT DISTINCT as_of FROM mart.alert_rule_run_history").fetchall()}
    return sorted(nights)


def check_night(con: duckdb.DuckDBPyConnection, on: date | None) -> date:
    """`on`, or the build date when None; AlertQueryError when no published night has that date."""
    nights = published_nights(con)
    day = on or published_as_of(con)
    if day not in nights:
        span = ("、".join(map(str, nights)) if len(nights) <= MAX_NIGHTS_LISTED
                else f"{nights[0]} 至 {nights[-1]} 间的 {len(nights)} 个日期")
        raise AlertQueryError(f"{day} 没有已发布的夜间数据 (no published night on {day})；可查询的日期: {span}")
    return day


def towns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every town (镇街) name of mart.household."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT town FROM mart.household WHERE town IS NOT NULL ORDER BY town").fetchall()]


def check_town(con: duckdb.DuckDBPyConnection, town: str) -> str:
    """The town name as typed (trimmed); AlertQueryError listing the known towns when none has it."""
    name = town.strip()
    known = towns(con)
    if name not in known:
        raise AlertQueryError(f"未知的镇街 {name!r}；有效镇街: {'、'.join(known)}")
    return name


def active_alerts(con: duckdb.DuckDBPyConnection, on: date | None = None, *, town: str | None = None,
                  code: str | None = None) -> AlertList:
    """The alerts whose status on night `on` (default: the build date) is new or open, optionally of one
    town and one code. AlertQueryError on an unknown code or town or a night that was not published."""
    code = check_code(code) if code is not None else None
    town = check_town(con, town) if town is not None else None
    day = check_night(con, on)
    relation = "mart.alert_history" if has_table(con, "mart", "alert_history") else "mart.alert"
    # Only our own identifiers are spliced in; every value is a bound parameter.
    rows = fetch_rows(con, f"""
        SELECT {', '.join(COLUMNS)}
        FROM {relation}
        WHERE as_of = ? AND list_contains(?, status)
          AND (CAST(? AS VARCHAR) IS NULL OR town = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR code = ?)
        ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, town, code,
                 household_id, alert_id""", [day, list(ACTIVE_STATUSES), town, town, code, code])
    return AlertList(day, tuple(rows))


def find_alert(con: duckdb.DuckDBPyConnection, alert_id: str) -> dict[str, Any]:
    """The mart.alert row of `alert_id` in the published build; AlertQueryError when there is none."""
    found = fetch_rows(con, "SELECT * FROM mart.alert WHERE alert_id = ?", [alert_id.strip()])
    if not found:
        raise AlertQueryError(f"已发布的数据仓库中没有预警 {alert_id.strip()!r} (no such alert_id in mart.alert)")
    return found[0]


def latest_dispositions(recorded: pa.Table) -> dict[str, dict[str, Any]]:
    """The latest disposition per alert_id of the dispositions store's table (warehouse/dispositions.read,
    oldest first), as {alert_id: {verdict, reviewer, note, recorded_at}}."""
    latest: dict[str, dict[str, Any]] = {}
    for row in recorded.to_pylist():
        latest[row["alert_id"]] = {k: row[k] for k in ("verdict", "reviewer", "note", "recorded_at")}
    return latest


def with_dispositions(rows: Sequence[dict[str, Any]], latest: Mapping[str, Mapping[str, Any]]
                      ) -> list[dict[str, Any]]:
    """Copies of the rows whose disposition is replaced by a later one recorded since the build (the build
    joins dispositions in only when it runs; a monitor expects to see a review at once)."""
    result = []
    for row in rows:
        newer = latest.get(row["alert_id"])
        at = row.get("disposition_at")
        if newer and (at is None or _naive(newer["recorded_at"]) > _naive(at)):
            row = row | {"disposition": newer["verdict"], "disposition_reviewer": newer["reviewer"],
                         "disposition_note": newer["note"], "disposition_at": newer["recorded_at"]}
        result.append(row)
    return result


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def shown(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as printed (table or JSON): ID numbers masked everywhere, evidence parsed and masked."""
    parsed = [r | {"evidence": json.loads(r["evidence"]) if isinstance(r.get("evidence"), str)
                   else r.get("evidence")} for r in rows]
    return masked(parsed)
