"""charity (慈善总会, 红十字会, 总工会, 妇联): hand-made CSV uploads `<机构>_帮扶_<说明>.csv` (charity.yaml).

Entity `aid`: one row per data record of an upload = one aid given to one recipient (no key: records are
deduplicated and linked probabilistically downstream). Derived columns: `organisation` (the <机构> of
the file name), `name_raw` and `phone_raw` (as delivered).

Reading, per the contract's "expect everything":

* Encoding is undeclared: a UTF-8 BOM -> UTF-8; else strict UTF-8 if it decodes; else GB18030 (strict;
  a file that decodes in neither is rejected).
* Header names are compared after trimming; the eight required columns may come in any order, extra
  columns (序号, 备注, ...) are ignored; a missing or repeated required column rejects the file.
* Every line after the header is a delivered record (the marker counts blank and comma-only lines too).
  Decision: such a line is quarantined with rule 'blank_line' - it is neither data nor silently
  dropped, so delivered = accepted + quarantined holds for every file. A non-blank record with another
  number of fields than the header is quarantined with rule 'field_count'.
* Values: 受助人姓名 trimmed; 联系电话 reduced to its digits ('138 6321 2345', '138-6321-2345',
  '0632-5512345' -> '13863212345', '06325512345'); 帮扶金额 '500' / '500.00' / '2,000.00' / '500元' ->
  decimal(2); 帮扶日期 'YYYY/M/D' | 'YYYY-MM-DD' | 'YYYY年M月D日' | 'YYYYMMDD' -> date; 身份证号 typed as
  `id` (masked, Excel-damaged '3.70481E+17', spaces, full-width ... all get their status).
"""

from __future__ import annotations

import codecs
import re

import pyarrow as pa

from connectors.base import DeliveryRejected, Parsed, RowIssue
from connectors.columns import Col, typecast
from connectors.csvreader import header_and_records
from connectors.csvsource import CsvPart, delivery_name
from connectors.derived import with_columns
from connectors.landing import Delivery
from connectors.registry import spec
from connectors.xlsxsource import check_rows, decimal_text, iso_date, normalise_columns, originals

BOM = codecs.BOM_UTF8

PARTS = {
    "charity_batch": CsvPart("aid", (
        Col("帮扶单位", "aid_unit"),
        Col("受助人姓名", "name"),
        Col("身份证号", "id_number", "id"),
        Col("联系电话", "phone"),
        Col("住址", "address"),
        Col("帮扶项目", "project"),
        Col("帮扶金额", "amount", "decimal:2"),
        Col("帮扶日期", "aid_date", "date:%Y-%m-%d"),
    )),
}

#: Columns added after typing (connectors.derived convention).
DERIVED = {"aid": ("organisation", "name_raw", "phone_raw")}

_AMOUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s*元?")
_DATE_FORMS = (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
               re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"), re.compile(r"(\d{4})(\d{2})(\d{2})"))


def amount(value: str) -> str:
    """'500', '500.00', '2,000.00', '500元' -> '500.00' / '2000.00'; anything else unchanged."""
    m = _AMOUNT.fullmatch(value.strip())
    return decimal_text(m.group(1).replace(",", "") + (m.group(2) or "")) if m else value


def aid_date(value: str) -> str:
    """One of the four contract date forms -> 'YYYY-MM-DD'; anything else unchanged."""
    text = value.strip()
    for form in _DATE_FORMS:
        m = form.fullmatch(text)
        if m:
            return iso_date(*m.groups()) or value
    return value


def phone_digits(value: str) -> str | None:
    """The digits of a phone number (None when it has none)."""
    return re.sub(r"\D", "", value) or None


def trimmed(value: str) -> str | None:
    return value.strip() or None


NORMALISE = {"受助人姓名": trimmed, "联系电话": phone_digits, "帮扶金额": amount, "帮扶日期": aid_date}


def decode(name: str, data: bytes) -> tuple[str, str]:
    """(text, encoding) per the contract's detection rule; DeliveryRejected when nothing decodes."""
    if not data:
        raise DeliveryRejected(name, "empty file: no header line", rule="empty_file")
    if data.startswith(BOM):
        try:
            return data[len(BOM):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DeliveryRejected(name, f"UTF-8 BOM but bytes at offset {exc.start + len(BOM)} are not "
                                   f"valid UTF-8", rule="encoding") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DeliveryRejected(name, f"neither UTF-8 nor GB18030: bytes at offset {exc.start} (line {line})",
                               rule="encoding") from None


def _positions(name: str, header: list[str], required: list[str]) -> list[int]:
    got = [h.strip() for h in header]
    missing = [c for c in required if c not in got]
    repeated = [c for c in required if got.count(c) > 1]
    if missing or repeated:
        what = "; ".join(p for p in (missing and "missing column(s) " + ", ".join(missing),
                                     repeated and "repeated column(s) " + ", ".join(repeated)) if p)
        raise DeliveryRejected(name, f"header lacks the contract's columns: {what}", row=0,
                               field=(missing or repeated)[0], rule="header")
    return [got.index(c) for c in required]


def read(name: str, text: str, required: list[str]) -> tuple[pa.Table, list[RowIssue], int]:
    """String table of the required columns (+ `_row`), the quarantined records and the record count."""
    header, records = header_and_records(name, text)
    at = _positions(name, header, required)
    columns: list[list[str | None]] = [[] for _ in required]
    rows: list[int] = []
    issues: list[RowIssue] = []
    record = 0
    for record, fields in records:
        if not any(f.strip() for f in fields):
            issues.append(RowIssue(name, record, None, "blank_line", None,
                                   "empty or comma-only line (counted by the marker, carries no data)"))
        elif len(fields) != len(header):
            issues.append(RowIssue(name, record, None, "field_count", ",".join(fields)[:200],
                                   f"expected {len(header)} fields, found {len(fields)}"))
        else:
            rows.append(record)
            for i, j in enumerate(at):
                columns[i].append(fields[j] if fields[j] != "" else None)
    arrays = [pa.array(c, type=pa.string()) for c in columns] + [pa.array(rows, type=pa.int64())]
    return pa.Table.from_arrays(arrays, names=[*required, "_row"]), issues, record


def parse(delivery: Delivery) -> Parsed:
    name = delivery_name(delivery)
    f = delivery.file("charity_batch")
    if f is None:
        raise DeliveryRejected(name, "the delivery has no charity file", rule="missing_part")
    part = PARTS["charity_batch"]
    text, _ = decode(f.name, f.path.read_bytes())
    strings, issues, records = read(f.name, text, part.header)
    check_rows(f, records)
    typed, type_issues = typecast(normalise_columns(strings, NORMALISE), part.cols, source=delivery.source,
                                  delivery=name, file=f.name, business_date=delivery.business_date)
    organisation = spec("charity").primary.pattern.match(f.name).group(1)  # type: ignore[union-attr]
    parsed = Parsed(source=delivery.source, delivery=name, tables={"aid": typed}, issues=issues + type_issues,
                    delivered={f.name: records})
    derived = {"organisation": pa.array([organisation] * typed.num_rows, pa.string()),
               **originals(strings, typed, {"受助人姓名": "name_raw", "联系电话": "phone_raw"})}
    return with_columns(parsed, "aid", derived)
