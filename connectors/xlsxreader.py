"""Reading of the departments' XLSX workbooks (sources/README.md section 7) with python-calamine.

Grain: one sheet in, one table of strings out (one row per data row, columns named exactly as the
contract's header) plus `_row` = the sheet row number (what a person sees in Excel). Cells are turned
into text so one typecast serves every source:
  text cell  → as is;   date cell → 'YYYY-MM-DD';   number cell → shortest exact text
  ('13863212345', '9876.5'; a damaged 20-digit certificate number stays recognisable as
  '3.7048119600115E+19').
Rows before the header (title rows), a footer ('合计：<N>人') and fully empty rows are not data. The
layout (sheet, header row, title and footer patterns) is checked; a workbook that does not match is
rejected as a whole, naming the file, row and cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from connectors.base import DeliveryRejected, RowIssue


@dataclass(frozen=True)
class XlsxLayout:
    """Where the data is: sheet (None = the first sheet), 1-based header row, checks on the rows above
    (regex per row) and an optional footer regex for column A."""

    sheet: str | None
    header_row: int
    title_patterns: tuple[str, ...] = ()
    footer_pattern: str | None = None


@dataclass(frozen=True)
class XlsxRead:
    table: pa.Table          # string columns in header order + `_row`
    issues: list[RowIssue]
    records: int             # data rows (compare with the marker's rows)
    titles: tuple[str, ...]  # the text of the rows above the header (e.g. the 统计日期 line)


def cell_text(value: object) -> str | None:
    """A cell as text (see module docstring); None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text.upper() if "e" in text else text
    return str(value)


def read_xlsx(path: Path, layout: XlsxLayout, header: Sequence[str]) -> XlsxRead:
    name = path.name
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise DeliveryRejected(name, f"not a readable XLSX workbook ({type(exc).__name__})",
                               rule="unreadable") from None
    try:
        sheet = wb.get_sheet_by_name(layout.sheet) if layout.sheet else wb.get_sheet_by_index(0)
    except Exception:  # noqa: BLE001 - calamine raises its own WorksheetNotFound variants
        raise DeliveryRejected(name, f"sheet {layout.sheet!r} not found (sheets: {', '.join(wb.sheet_names)})",
                               rule="layout") from None
    rows = sheet.to_python(skip_empty_area=False)
    titles = []
    for i, pattern in enumerate(layout.title_patterns):
        text = cell_text(rows[i][0]) if i < len(rows) and rows[i] else None
        if text is None or not re.fullmatch(pattern, text):
            raise DeliveryRejected(name, f"title row {i + 1} does not match the contract's layout", row=i + 1,
                                   field="A", rule="layout")
        titles.append(text)
    h = layout.header_row - 1
    got = [cell_text(v) or "" for v in (rows[h] if h < len(rows) else [])]
    got = [g.strip() for g in got[: len(header)]] + [g for g in got[len(header):] if g]
    if got[: len(header)] != list(header) or len(got) != len(header):
        missing = [c for c in header if c not in got]
        raise DeliveryRejected(name, "header row is not the contract's" + (
            f": missing {', '.join(missing)}" if missing else " (order or extra columns)"),
            row=layout.header_row, field=missing[0] if missing else None, rule="header")
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    issues: list[RowIssue] = []
    footer_seen = False
    for r in range(h + 1, len(rows)):
        cells = [cell_text(v) for v in rows[r]]
        if not any(cells):
            continue
        sheet_row = r + 1
        first = cells[0] or ""
        if layout.footer_pattern and re.fullmatch(layout.footer_pattern, first) and not any(cells[1:]):
            footer_seen = True
            continue
        if footer_seen:
            issues.append(RowIssue(name, sheet_row, None, "after_footer", first[:50],
                                   "data after the footer row"))
            continue
        if any(cells[width:]):
            issues.append(RowIssue(name, sheet_row, None, "field_count", None,
                                   f"values beyond column {width} (the contract has {width} columns)"))
            continue
        cells = (cells + [None] * width)[:width]
        numbers.append(sheet_row)
        for i, v in enumerate(cells):
            columns[i].append(v)
    arrays = [pa.array(c, type=pa.string()) for c in columns] + [pa.array(numbers, type=pa.int64())]
    table = pa.Table.from_arrays(arrays, names=[*header, "_row"])
    return XlsxRead(table, issues, len(numbers) + len(issues), tuple(titles))
