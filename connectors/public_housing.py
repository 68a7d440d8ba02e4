"""public_housing (住房和城乡建设局住房保障中心): monthly full snapshot GZF_<YYYYMM>.csv (YYYYMM = the month
described, delivered on the 6th or the next working day, daytime), UTF-8 without BOM, LF, minimal quoting
(public_housing.yaml).

Entity `family`: one row per 保障家庭编号 - a family in the programme since 2015, 保障中 or 已退出.

家庭成员身份证号 is one text field listing the members' numbers. It is kept as delivered
(`member_ids_raw`) and, derived, as `members`: a list of structs (id_number, id_number_status,
id_number_raw), one per listed member, in delivered order. Splitting accepts the separator variants of
quirk member_list_format (';' or full-width '；', a trailing separator, a space after a separator);
blank tokens are not members. Each number is normalised like any `id` column (safetynet.idnumber) and a
number listed twice (quirk duplicate_member; equal normal form, or equal text when it has none) is kept
once. A list column rather than a separate member entity: a family row and its members are accepted or
quarantined together, so no member row can outlive its quarantined family (DuckDB: UNNEST(members)).
"""

from __future__ import annotations

import re

import pyarrow as pa

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.derived import with_columns
from connectors.landing import Delivery
from safetynet.idnumber import normalize_ids

DIALECT = CsvDialect(encoding="utf-8", bom=False, line_ending="\n")
PARTS = {
    "GZF": CsvPart("family", (
        Col("保障家庭编号", "family_no"),
        Col("申请人身份证号", "applicant_id", "id"),
        Col("家庭成员身份证号", "member_ids_raw"),
        Col("保障方式", "support_type"),
        Col("月租赁补贴金额", "monthly_subsidy", "decimal:2"),
        Col("保障开始日期", "support_start_date", "date:%Y-%m-%d"),
        Col("保障状态", "support_status"),
    )),
}
MEMBER = pa.struct([("id_number", pa.string()), ("id_number_status", pa.string()),
                    ("id_number_raw", pa.string())])
#: Columns added after typing, per entity (see `derive`).
DERIVED = {"family": ("members",)}

_SEPARATOR = re.compile(r"[;；]")


def split_members(text: str | None) -> list[str]:
    """The listed numbers as delivered, blank tokens (separator artefacts) dropped."""
    if text is None:
        return []
    return [t for t in _SEPARATOR.split(text) if t.strip()]


def members(member_ids_raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The `members` list per row (see module docstring); None where the raw list is missing."""
    texts = member_ids_raw.to_pylist()
    tokens = [split_members(t) for t in texts]
    flat = [t for row in tokens for t in row]
    normals, statuses = normalize_ids(flat)
    out: list[list[dict[str, str | None]] | None] = []
    i = 0
    for text, row in zip(texts, tokens, strict=True):
        seen: set[str] = set()
        listed: list[dict[str, str | None]] = []
        for raw in row:
            normal, status = normals[i], statuses[i]
            i += 1
            key = normal if normal is not None else raw.strip()
            if key in seen:
                continue
            seen.add(key)
            listed.append({"id_number": normal, "id_number_status": status, "id_number_raw": raw})
        out.append(None if text is None else listed)
    return pa.array(out, type=pa.list_(MEMBER))


def derive(parsed: Parsed) -> Parsed:
    """Add `members` (normalised, de-duplicated list of 家庭成员身份证号)."""
    t = parsed.tables.get("family")
    if t is None:
        return parsed
    return with_columns(parsed, "family", {"members": members(t["member_ids_raw"])})


def parse(delivery: Delivery) -> Parsed:
    return derive(parse_csv_delivery(delivery, DIALECT, PARTS))
