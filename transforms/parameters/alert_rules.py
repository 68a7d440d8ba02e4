"""The early-warning rule catalog (policy.md section 6): a reviewed CSV in the repo, loaded as
`raw.policy__alert_rules`.

Grain: one row per alert code of `transforms/parameters/alert_rules.csv`: `code`, `severity` (high / medium
/ low), `subject` (what one alert is about, `+`-joined: family, household, person, vin, uscc, certificate,
referral), `sources` (the source ids the rule uses, `;`-joined: the sources named in its policy row plus
those of every quantity it uses - the staleness check of int.alert_rule_status skips the rule when one
of them is stale), `rule_version` (a positive integer, raised whenever the rule's logic changes), `title_zh`
(the monitors' name of the rule), plus `_version` (first 12 hex digits of the file's SHA-256).

The runner (warehouse/runner.py `create_raw_layer`) registers `read_rules()` as the raw relation.
The file is checked strictly (`AlertRuleFileError` names the line): exact header, every code of the
policy exactly once, a known severity, known source ids, a positive integer version.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pyarrow as pa

from safetynet.settings import SOURCES

RULES_FILE = Path(__file__).with_name("alert_rules.csv")
RELATION = "raw.policy__alert_rules"
COLUMNS: tuple[str, ...] = ("code", "severity", "subject", "sources", "rule_version", "title_zh")
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
SUBJECT_PARTS: frozenset[str] = frozenset(
    {"family", "household", "person", "vin", "uscc", "certificate", "referral"})
#: Every code of policy.md section 6, in the policy's order.
CODES: tuple[str, ...] = (
    "DECEASED_STILL_PAID", "DECEASED_MEMBER_ACTIVE", "DUPLICATE_ASSISTANCE", "VEHICLE_OWNED",
    "PROPERTY_OVER_LIMIT", "BUSINESS_ROLE", "INCOME_OVER_STANDARD", "FINANCIAL_ASSETS_OVER_LIMIT",
    "PUBLIC_PAYROLL_MEMBER", "HUKOU_MOVED_OUT", "MISSED_DIBAO", "MEDICAL_HARDSHIP", "NEW_SEVERE_DISABILITY",
    "RURAL_MONITORED_UNCOVERED", "STUDENT_AID_MISSING", "MEDICAL_SUBSIDY_MISSING", "REFERRAL_OVERDUE",
)

ARROW_SCHEMA = pa.schema([
    pa.field("code", pa.string()),
    pa.field("severity", pa.string()),
    pa.field("subject", pa.string()),
    pa.field("sources", pa.list_(pa.string())),
    pa.field("rule_version", pa.int32()),
    pa.field("title_zh", pa.string()),
    pa.field("position", pa.int32()),
    pa.field("_version", pa.string()),
])


class AlertRuleFileError(ValueError):
    """The rule catalog is malformed; the message names the file and line."""


def _row(values: dict[str, str], where: str) -> dict[str, object]:
    code = values["code"]
    if code not in CODES:
        raise AlertRuleFileError(f"{where}: code {code!r} is not an alert code of policy.md section 6")
    if values["severity"] not in SEVERITIES:
        raise AlertRuleFileError(f"{where}: severity {values['severity']!r} is not one of {', '.join(SEVERITIES)}")
    parts = values["subject"].split("+")
    if not parts or not set(parts) <= SUBJECT_PARTS:
        raise AlertRuleFileError(f"{where}: subject {values['subject']!r} is not '+'-joined from "
                                 f"{', '.join(sorted(SUBJECT_PARTS))}")
    sources = values["sources"].split(";")
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise AlertRuleFileError(f"{where}: unknown source(s) {', '.join(unknown)}")
    if not values["rule_version"].isdigit() or int(values["rule_version"]) < 1:
        raise AlertRuleFileError(f"{where}: rule_version {values['rule_version']!r} is not a positive integer")
    if not values["title_zh"].strip():
        raise AlertRuleFileError(f"{where}: title_zh is empty")
    return {"code": code, "severity": values["severity"], "subject": values["subject"],
            "sources": sources, "rule_version": int(values["rule_version"]), "title_zh": values["title_zh"],
            "position": CODES.index(code) + 1}


def parse(text: str, file: str = "alert_rules.csv") -> list[dict[str, object]]:
    """The checked rows of a rule catalog's text (AlertRuleFileError on the first problem)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise AlertRuleFileError(f"{file}:1: the header must be exactly {','.join(COLUMNS)}")
    rows: list[dict[str, object]] = []
    for values in reader:
        where = f"{file}:{reader.line_num}"
        if not values:
            continue
        if len(values) != len(COLUMNS):
            raise AlertRuleFileError(f"{where}: {len(values)} fields, {len(COLUMNS)} expected")
        row = _row(dict(zip(COLUMNS, values, strict=True)), where)
        if any(r["code"] == row["code"] for r in rows):
            raise AlertRuleFileError(f"{where}: code {row['code']} appears twice")
        rows.append(row)
    missing = [c for c in CODES if c not in {r["code"] for r in rows}]
    if missing:
        raise AlertRuleFileError(f"{file}: no row for {', '.join(missing)}")
    return rows


def read_rules(path: Path = RULES_FILE) -> pa.Table:
    """The catalog as a typed Arrow table, in the policy's order."""
    data = Path(path).read_bytes()
    rows = parse(data.decode("utf-8").removeprefix("\ufeff"), Path(path).name)
    rows.sort(key=lambda r: r["position"])
    version = hashlib.sha256(data).hexdigest()[:12]
    return pa.Table.from_pylist([{**r, "_version": version} for r in rows], schema=ARROW_SCHEMA)

