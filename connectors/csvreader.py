"""Strict reading of the departments' CSV files (sources/README.md section 7).

Grain: one file in, one table of strings out (one row per record, columns named exactly as the
contract's header), plus the records that are not rows (wrong number of fields) as `RowIssue`s.
Typing happens later (`connectors.columns`), so that a bad value quarantines its row, not the file.

Delivery-level problems raise `DeliveryRejected` naming the file, line and field: bytes that do not
decode in the declared encoding, a header that is not the contract's (missing, renamed, extra or
reordered columns), an empty file (no header line), a BOM where none is declared (or none where one
is). The CSV structure is parsed by Python's csv module with strict quoting, which handles quoted
line breaks (business 经营范围) and doubled quotes exactly as RFC 4180 says.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa

from connectors.base import DeliveryRejected, RowIssue

BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class CsvDialect:
    """How one source writes its CSV files (the contract's `delivery` block)."""

    encoding: Literal["utf-8", "gb18030"]
    bom: bool
    line_ending: Literal["\r\n", "\n"]
    quoting: Literal["minimal", "all"] = "minimal"


@dataclass(frozen=True)
class CsvRead:
    table: pa.Table            # string columns in header order + `_row` (record number, int64)
    issues: list[RowIssue]     # records with the wrong number of fields
    records: int               # all data records (rows of `table` + issues): compare with the marker
    warnings: list[str]


def decode(path: Path, data: bytes, dialect: CsvDialect) -> str:
    """The file's text, or DeliveryRejected naming the line and byte where decoding fails."""
    name = path.name
    if not data:
        raise DeliveryRejected(name, "empty file: no header line", rule="empty_file")
    has_bom = data.startswith(BOM)
    if dialect.bom and not has_bom:
        raise DeliveryRejected(name, "missing UTF-8 BOM (the contract declares one)", row=0, rule="encoding")
    if has_bom and not dialect.bom:
        raise DeliveryRejected(name, "unexpected UTF-8 BOM (the contract declares none)", row=0,
                               rule="encoding")
    body = data[len(BOM):] if has_bom else data
    try:
        return body.decode(dialect.encoding)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise DeliveryRejected(name, f"bytes at offset {exc.start} (line {line}) are not valid "
                               f"{dialect.encoding.upper()}", rule="encoding") from None


def header_and_records(name: str, text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header line and an iterator of (record number, fields), strictly per RFC 4180.

    DeliveryRejected for an empty file, a malformed header, or unbalanced quotes (which swallow the rest
    of the file, so nothing after them is trustworthy). Shared by every CSV reader of the project.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DeliveryRejected(name, "empty file: no header line", rule="empty_file") from None
    except csv.Error as exc:
        raise DeliveryRejected(name, f"malformed header line: {exc}", row=0, rule="header") from None

    def records() -> Iterator[tuple[int, list[str]]]:
        record = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DeliveryRejected(name, f"malformed CSV near line {reader.line_num}: {exc}",
                                       row=record + 1, rule="csv_syntax") from None
            record += 1
            yield record, fields

    return header, records()


def read_csv(path: Path, dialect: CsvDialect, header: Sequence[str], data: bytes | None = None) -> CsvRead:
    """Parse a contract CSV file strictly; see the module docstring for what is rejected."""
    name = path.name
    text = decode(path, path.read_bytes() if data is None else data, dialect)
    got, records = header_and_records(name, text)
    _check_header(name, got, header)
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    rows: list[int] = []
    issues: list[RowIssue] = []
    record = 0
    for record, fields in records:
        if len(fields) != width:
            issues.append(RowIssue(name, record, None, "field_count", ",".join(fields)[:200],
                                   f"expected {width} fields, found {len(fields)}"))
            continue
        rows.append(record)
        for i, v in enumerate(fields):
            columns[i].append(v if v != "" else None)
    warnings = _line_ending_warnings(name, text, dialect)
    arrays = [pa.array(c, type=pa.string()) for c in columns] + [pa.array(rows, type=pa.int64())]
    table = pa.Table.from_arrays(arrays, names=[*header, "_row"])
    return CsvRead(table, issues, record, warnings)


def _check_header(name: str, got: Sequence[str], header: Sequence[str]) -> None:
    if list(got) == list(header):
        return
    missing = [c for c in header if c not in got]
    extra = [c for c in got if c not in header]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if extra:
            parts.append("unexpected column(s) " + ", ".join(extra))
        raise DeliveryRejected(name, "header is not the contract's: " + "; ".join(parts), row=0,
                               field=(missing or extra)[0], rule="header")
    raise DeliveryRejected(name, "header columns are in another order than the contract's", row=0,
                           rule="header")


def _line_ending_warnings(name: str, text: str, dialect: CsvDialect) -> list[str]:
    """A file with other line endings than declared still parses; say so (the department may have
    re-exported it by hand)."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    if dialect.line_ending == "\r\n" and lf > 0 and crlf == 0:
        return [f"{name}: LF line endings where the contract declares CRLF"]
    if dialect.line_ending == "\n" and crlf > 0 and lf == 0:
        return [f"{name}: CRLF line endings where the contract declares LF"]
    return []
