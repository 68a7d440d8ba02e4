"""Declarative column mapping: contract column → English name and Arrow type, with quarantine.

Grain: one `Col` per contract column. `typecast` turns a table of strings (as read) into the typed
entity table; a value that does not parse as its declared kind becomes a `RowIssue` naming the row
and field, and the row leaves the table (it is quarantined, not lost). Enumerations, not-null and
cross-field rules are checked later by the Great Expectations suites (expectations/).

Kinds:
  str                 text as delivered
  id                  an ID-number column: `<name>` (normal form or None), `<name>_status`
                      (safetynet.idnumber status) and `<name>_raw` (as delivered)
  date:<fmt>          DATE, e.g. date:%Y%m%d
  datetime:<fmt>      TIMESTAMP (naive, Asia/Shanghai)
  decimal:<scale>     DECIMAL(18, scale) from text -?\\d+\\.\\d{scale} (contract money format)
  int                 INT64 from -?\\d+
  yearmonth           text YYYYMM with a valid month
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import LINEAGE, RowIssue
from safetynet.idnumber import normalize_ids


@dataclass(frozen=True)
class Col:
    src: str
    name: str
    kind: str = "str"


def schema_of(cols: Sequence[Col]) -> pa.Schema:
    """The Arrow schema `typecast` produces for these columns (lineage included)."""
    fields: list[pa.Field] = []
    for c in cols:
        if c.kind == "id":
            fields += [pa.field(c.name, pa.string()), pa.field(f"{c.name}_status", pa.string()),
                       pa.field(f"{c.name}_raw", pa.string())]
        else:
            fields.append(pa.field(c.name, _arrow_type(c.kind)))
    fields += [pa.field("_source", pa.string()), pa.field("_delivery", pa.string()),
               pa.field("_file", pa.string()), pa.field("_row", pa.int64()),
               pa.field("_business_date", pa.date32())]
    return pa.schema(fields)


def _arrow_type(kind: str) -> pa.DataType:
    if kind.startswith("date:"):
        return pa.date32()
    if kind.startswith("datetime:"):
        return pa.timestamp("s")
    if kind.startswith("decimal:"):
        return pa.decimal128(18, int(kind.split(":", 1)[1]))
    if kind == "int":
        return pa.int64()
    return pa.string()


def _parse(values: pa.ChunkedArray | pa.Array, kind: str) -> tuple[pa.Array, pa.Array]:
    """(typed values, bool mask of values that were present but did not parse)."""
    values = pc.cast(values, pa.string()) if values.type != pa.string() else values
    present = pc.is_valid(values)
    if kind.startswith("date:") or kind.startswith("datetime:"):
        fmt = kind.split(":", 1)[1]
        ts = pc.strptime(values, format=fmt, unit="s", error_is_null=True)
        # strptime accepts some sloppy inputs (e.g. a single-digit day for %d); re-format to be exact.
        exact = pc.equal(pc.strftime(ts, format=fmt), values)
        ok = pc.and_kleene(pc.is_valid(ts), exact)
        typed = pc.cast(ts, pa.date32()) if kind.startswith("date:") else ts
    elif kind.startswith("decimal:"):
        scale = int(kind.split(":", 1)[1])
        pattern = rf"^-?\d+\.\d{{{scale}}}$" if scale else r"^-?\d+$"
        ok = pc.match_substring_regex(values, pattern)
        clean = pc.if_else(ok, values, pa.scalar(None, pa.string()))
        typed = pc.cast(clean, pa.decimal128(18, scale))
    elif kind == "int":
        ok = pc.match_substring_regex(values, r"^-?\d{1,18}$")
        typed = pc.cast(pc.if_else(ok, values, pa.scalar(None, pa.string())), pa.int64())
    elif kind == "yearmonth":
        ok = pc.match_substring_regex(values, r"^\d{4}(0[1-9]|1[0-2])$")
        typed = values
    else:
        return values, pc.and_(present, pa.scalar(False))
    bad = pc.and_(present, pc.invert(pc.fill_null(ok, False)))
    return typed, bad


def typecast(strings: pa.Table, cols: Sequence[Col], *, source: str, delivery: str, file: str,
             business_date, row_col: str = "_row") -> tuple[pa.Table, list[RowIssue]]:
    """Typed entity table (bad rows removed) and the issues of the removed rows."""
    rows = strings.column(row_col)
    out: dict[str, pa.Array] = {}
    bad_any = pa.array([False] * strings.num_rows, type=pa.bool_())
    issues: list[RowIssue] = []
    for c in cols:
        raw = strings.column(c.src)
        if c.kind == "id":
            normal, status = normalize_ids(raw)
            out[c.name], out[f"{c.name}_status"], out[f"{c.name}_raw"] = normal, status, raw
            continue
        typed, bad = _parse(raw, c.kind)
        out[c.name] = typed
        if pc.any(bad).as_py():
            idx = pc.indices_nonzero(bad).to_pylist()
            raw_py = pc.take(raw, pa.array(idx)).to_pylist()
            row_py = pc.take(rows, pa.array(idx)).to_pylist()
            issues += [RowIssue(file, r, c.src, f"type:{c.kind}", v,
                                f"value does not parse as {c.kind}") for r, v in zip(row_py, raw_py, strict=True)]
            bad_any = pc.or_(bad_any, bad)
    n = strings.num_rows
    out["_source"] = pa.array([source] * n, pa.string())
    out["_delivery"] = pa.array([delivery] * n, pa.string())
    out["_file"] = pa.array([file] * n, pa.string())
    out["_row"] = rows
    out["_business_date"] = pa.array([business_date] * n, pa.date32())
    table = pa.table(out, schema=schema_of(cols))
    keep = pc.invert(bad_any)
    return table.filter(keep), issues


assert LINEAGE == ("_source", "_delivery", "_file", "_row", "_business_date")
