"""The policy parameter table (policy.md section 1): a reviewed CSV in the repo, loaded as `raw.policy__parameters`.

Grain: one row per (name, area, validity interval) of `transforms/parameters/policy_parameters.csv`:
`effective_from` (DATE), `effective_to` (DATE, inclusive; empty = open-ended), `area` (all / urban /
rural), `name` (the policy's parameter name, e.g. dibao_urban), `value` (DECIMAL(18,4)), `unit`,
`source_doc`, plus lineage: `_source` ('policy'), `_file` (path relative to the repo), `_row` (line number
in the file) and `_version` (first 12 hex digits of the file's SHA-256, so every result can name the exact
parameter file it used). Changing a value is an edit of the CSV, reviewed like code; no code changes.

The file is checked strictly (`ParameterFileError` names the line): exact header, ISO dates, an interval
that does not end before it starts, a known area, a decimal value, unit and source_doc present, and no two
rows of the same name in effect on the same day for overlapping areas ('all' overlaps both others).

The model runner only builds views over the raw store, so it needs `register` (warehouse/runner.py
`create_raw_layer`) to expose the table to `transforms/staging/stg_policy__parameters.sql`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

PARAMETERS_FILE = Path(__file__).with_name("policy_parameters.csv")
SCHEMA = "raw"
TABLE = "policy__parameters"
RELATION = f"{SCHEMA}.{TABLE}"
COLUMNS: tuple[str, ...] = ("effective_from", "effective_to", "area", "name", "value", "unit", "source_doc")
AREAS: frozenset[str] = frozenset({"all", "urban", "rural"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VALUE = re.compile(r"^-?\d+(\.\d{1,4})?$")

ARROW_SCHEMA = pa.schema([
    pa.field("effective_from", pa.date32()),
    pa.field("effective_to", pa.date32()),
    pa.field("area", pa.string()),
    pa.field("name", pa.string()),
    pa.field("value", pa.decimal128(18, 4)),
    pa.field("unit", pa.string()),
    pa.field("source_doc", pa.string()),
    pa.field("_source", pa.string()),
    pa.field("_file", pa.string()),
    pa.field("_row", pa.int64()),
    pa.field("_version", pa.string()),
])


class ParameterFileError(ValueError):
    """The parameter file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter file."""

    effective_from: date
    effective_to: date | None
    area: str
    name: str
    value: Decimal
    unit: str
    source_doc: str
    line: int

    def overlaps(self, other: Parameter) -> bool:
        """Same name, overlapping areas and overlapping validity intervals."""
        if self.name != other.name or not ({self.area, other.area} & {"all"} or self.area == other.area):
            return False
        end_a, end_b = self.effective_to or date.max, other.effective_to or date.max
        return self.effective_from <= end_b and other.effective_from <= end_a


def _date(text: str, what: str, where: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ParameterFileError(f"{where}: {what} {text!r} is not a date YYYY-MM-DD") from None


def _row(values: dict[str, str], where: str, line: int) -> Parameter:
    start = _date(values["effective_from"], "effective_from", where)
    end = _date(values["effective_to"], "effective_to", where) if values["effective_to"] else None
    if end is not None and end < start:
        raise ParameterFileError(f"{where}: effective_to {end} is before effective_from {start}")
    if values["area"] not in AREAS:
        raise ParameterFileError(f"{where}: area {values['area']!r} is not one of {', '.join(sorted(AREAS))}")
    if not _NAME.match(values["name"]):
        raise ParameterFileError(f"{where}: name {values['name']!r} is not a lowercase identifier")
    if not _VALUE.match(values["value"]):
        raise ParameterFileError(f"{where}: value {values['value']!r} is not a decimal (at most 4 decimals)")
    for col in ("unit", "source_doc"):
        if not values[col].strip():
            raise ParameterFileError(f"{where}: {col} is empty")
    return Parameter(start, end, values["area"], values["name"], Decimal(values["value"]), values["unit"],
                     values["source_doc"], line)


def parse(text: str, file: str = "policy_parameters.csv") -> list[Parameter]:
    """The rows of a parameter file's text, checked (ParameterFileError on the first problem)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise ParameterFileError(f"{file}:1: the header must be exactly {','.join(COLUMNS)}")
    rows: list[Parameter] = []
    for values in reader:
        line = reader.line_num
        where = f"{file}:{line}"
        if not values:
            continue
        if len(values) != len(COLUMNS):
            raise ParameterFileError(f"{where}: {len(values)} fields, {len(COLUMNS)} expected")
        if any(v != v.strip() for v in values):
            raise ParameterFileError(f"{where}: a value has leading or trailing whitespace")
        row = _row(dict(zip(COLUMNS, values, strict=True)), where, line)
        clash = next((r for r in rows if r.overlaps(row)), None)
        if clash is not None:
            raise ParameterFileError(f"{where}: {row.name} ({row.area}) overlaps line {clash.line} "
                                     f"({clash.area}, from {clash.effective_from})")
        rows.append(row)
    return rows


def _display_path(path: Path) -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.name


def to_arrow(rows: Sequence[Parameter], file: str, version: str) -> pa.Table:
    """The rows as the typed table `raw.policy__parameters` holds."""
    return pa.table({
        "effective_from": [r.effective_from for r in rows],
        "effective_to": [r.effective_to for r in rows],
        "area": [r.area for r in rows],
        "name": [r.name for r in rows],
        "value": [r.value for r in rows],
        "unit": [r.unit for r in rows],
        "source_doc": [r.source_doc for r in rows],
        "_source": ["policy"] * len(rows),
        "_file": [file] * len(rows),
        "_row": [r.line for r in rows],
        "_version": [version] * len(rows),
    }, schema=ARROW_SCHEMA)


def read_parameters(path: Path = PARAMETERS_FILE) -> pa.Table:
    """The parameter file as a typed Arrow table (ParameterFileError when malformed)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParameterFileError(f"{path}: not UTF-8 (offset {exc.start})") from None
    file = _display_path(Path(path))
    return to_arrow(parse(text.removeprefix("\ufeff"), file), file, hashlib.sha256(data).hexdigest()[:12])


def register(con: duckdb.DuckDBPyConnection, path: Path = PARAMETERS_FILE) -> int:
    """CREATE OR REPLACE TABLE raw.policy__parameters from the file; returns its row count."""
    table = read_parameters(path)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.register("_policy_parameters", table)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {RELATION} AS SELECT * FROM _policy_parameters").fetchall()
    finally:
        con.unregister("_policy_parameters")
    return table.num_rows
