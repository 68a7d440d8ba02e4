"""disability (残疾人联合会): monthly full snapshot CJR_<YYYYMM>.xlsx, sheet 持证残疾人 (disability.yaml).

Entity `certificate`: one row per data row of the sheet = one disability certificate held on the
统计日期 (有效 / 过期, plus 注销 within 24 months). Contract columns in English, plus derived columns:

* `stat_date` - the 统计日期 of title row 2 ('统计日期：YYYY年MM月DD日'), the same on every row (the
  snapshot's as-of date; a workbook without a readable 统计日期 is rejected).
* from 残疾人证号 (`cert_no_raw`, as delivered) via safetynet.idnumber.id_from_cert: `id_number` (normal
  form of the 18-character ID part, None when lost), `id_number_status`, `category_digit` and
  `grade_digit` (the last two characters), and `cert_no` = normal ID + the two digits (the contract's
  key; None when the ID part is lost, e.g. an Excel-damaged number cell).
* `name_raw` - 姓名 as delivered; `name` has every whitespace removed (quirk spaced_name '孙  浩').

发证日期 is a date cell or text 'YYYY.MM.DD'; 联系电话 a text or number cell (kept as text).
"""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import DeliveryRejected, Parsed
from connectors.columns import Col
from connectors.derived import with_columns
from connectors.landing import Delivery
from connectors.xlsxreader import XlsxLayout
from connectors.xlsxsource import XlsxPart, iso_date, originals, parse_xlsx_delivery
from safetynet.idnumber import id_from_cert

TITLE = r"\s*滕州市持证残疾人信息表\s*"
STAT_DATE = re.compile(r"\s*统计日期[：:]\s*(\d{4})年(\d{2})月(\d{2})日\s*")
LAYOUT = XlsxLayout("持证残疾人", header_row=3, title_patterns=(TITLE, STAT_DATE.pattern),
                    footer_pattern=r"\s*合计[：:]\s*\d+\s*人\s*")
_DOTTED = re.compile(r"(\d{4})\.(\d{2})\.(\d{2})")
_SPACES = re.compile(r"\s+")


def _issue_date(value: str) -> str:
    """Text 'YYYY.MM.DD' -> 'YYYY-MM-DD' (a date cell already reads 'YYYY-MM-DD')."""
    m = _DOTTED.fullmatch(value)
    return (iso_date(*m.groups()) or value) if m else value


def _name(value: str) -> str | None:
    """Every whitespace (ASCII, U+3000, ...) removed: '孙  浩' -> '孙浩'."""
    return _SPACES.sub("", value) or None


PARTS = {
    "CJR": XlsxPart("certificate", LAYOUT, (
        Col("残疾人证号", "cert_no_raw"),
        Col("姓名", "name"),
        Col("性别", "sex"),
        Col("残疾类别", "category"),
        Col("残疾等级", "grade"),
        Col("发证日期", "issue_date", "date:%Y-%m-%d"),
        Col("证件状态", "status"),
        Col("户籍地址", "address"),
        Col("监护人姓名", "guardian_name"),
        Col("联系电话", "phone"),
        Col("困难残疾人生活补贴", "living_allowance"),
        Col("重度残疾人护理补贴", "care_allowance"),
    ), normalise={"发证日期": _issue_date, "姓名": _name}),
}

#: Columns added after typing (connectors.derived convention).
DERIVED = {"certificate": ("stat_date", "cert_no", "id_number", "id_number_status", "category_digit",
                           "grade_digit", "name_raw")}


def stat_date(title: str, file: str) -> date:
    """The 统计日期 of title row 2; DeliveryRejected when it is not a calendar date."""
    m = STAT_DATE.fullmatch(title)
    text = iso_date(*m.groups()) if m else None
    if text is None:
        raise DeliveryRejected(file, "title row 2 does not hold a valid 统计日期", row=2, field="A", rule="layout")
    return date.fromisoformat(text)


def cert_columns(raw: pa.Array | pa.ChunkedArray) -> dict[str, pa.Array]:
    """Derived certificate columns of raw 残疾人证号 values (each distinct value split once)."""
    arr = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
    encoded = pc.cast(arr, pa.string()).dictionary_encode()
    split = [id_from_cert(v) for v in encoded.dictionary.to_pylist()]
    ids = [r.normal for r, _, _ in split]
    cats = [c for _, c, _ in split]
    grades = [g for _, _, g in split]
    certs = [None if i is None or c is None or g is None else i + c + g for i, c, g in zip(ids, cats, grades,
                                                                                          strict=True)]
    statuses = [r.status for r, _, _ in split]

    def take(values: list[str | None]) -> pa.Array:
        return pc.take(pa.array(values, pa.string()), encoded.indices)

    status = pc.fill_null(take(statuses), "empty")
    return {"cert_no": take(certs), "id_number": take(ids), "id_number_status": status,
            "category_digit": take(cats), "grade_digit": take(grades)}


def parse(delivery: Delivery) -> Parsed:
    parsed, read = parse_xlsx_delivery(delivery, "CJR", PARTS["CJR"])
    file = delivery.file("CJR").name  # type: ignore[union-attr]
    as_of = stat_date(read.titles[1], file)
    month = delivery.key.rsplit("_", 1)[-1]
    if f"{as_of:%Y%m}" != month:
        parsed.warnings.append(f"{file}: 统计日期 {as_of.isoformat()} is not in the month {month} of the file name")
    table = parsed.tables["certificate"]
    derived = {"stat_date": pa.array([as_of] * table.num_rows, pa.date32()),
               **cert_columns(table.column("cert_no_raw")),
               **originals(read.table, table, {"姓名": "name_raw"})}
    return with_columns(parsed, "certificate", derived)
