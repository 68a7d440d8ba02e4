"""rural_monitoring (农业农村局, 防返贫监测): monthly full snapshot FFP_<YYYYMM>.xlsx (rural_monitoring.yaml).

Entity `household`: one row per data row of the first sheet (whatever its name) = one household ever
included in monitoring (key 户编号), as of the last day of month YYYYMM.

Values the contract lets vary are normalised before typing: 纳入监测时间 / 风险消除时间 from a date cell
or text 'YYYY/M/D' | 'YYYY-MM-DD' | 'YYYYMMDD'; 家庭人口数 from a number cell or text '4' / '4人';
上年度家庭人均纯收入 from a number cell with 0-2 decimals, rounded half up to 0.01. 户主身份证号 is
hand-keyed (spaces, full-width, lowercase x): typed as `id` (normal form, status, raw).
"""

from __future__ import annotations

import re

from connectors.base import Parsed
from connectors.columns import Col
from connectors.landing import Delivery
from connectors.xlsxreader import XlsxLayout
from connectors.xlsxsource import XlsxPart, decimal_text, iso_date, parse_xlsx_delivery

LAYOUT = XlsxLayout(None, header_row=1)
_DATE_FORMS = (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
               re.compile(r"(\d{4})(\d{2})(\d{2})"))
_SIZE = re.compile(r"\s*(\d{1,3})\s*人?\s*")


def monitoring_date(value: str) -> str:
    """A date cell's 'YYYY-MM-DD' or text in one of the contract's three forms -> 'YYYY-MM-DD'."""
    text = value.strip()
    for form in _DATE_FORMS:
        m = form.fullmatch(text)
        if m:
            return iso_date(*m.groups()) or value
    return value


def household_size(value: str) -> str:
    """'4' (number cell) or text '4' / '4人' -> '4'."""
    m = _SIZE.fullmatch(value)
    return m.group(1) if m else value


PARTS = {
    "FFP": XlsxPart("household", LAYOUT, (
        Col("户编号", "household_no"),
        Col("户主姓名", "head_name"),
        Col("户主身份证号", "head_id_number", "id"),
        Col("监测对象类别", "category"),
        Col("主要风险类型", "risk_type"),
        Col("纳入监测时间", "included_date", "date:%Y-%m-%d"),
        Col("风险是否消除", "risk_eliminated"),
        Col("风险消除时间", "eliminated_date", "date:%Y-%m-%d"),
        Col("家庭人口数", "household_size", "int"),
        Col("上年度家庭人均纯收入", "income_per_capita", "decimal:2"),
        Col("乡镇", "town"),
        Col("行政村", "village"),
    ), normalise={"纳入监测时间": monitoring_date, "风险消除时间": monitoring_date,
                  "家庭人口数": household_size, "上年度家庭人均纯收入": decimal_text}),
}


def parse(delivery: Delivery) -> Parsed:
    parsed, _ = parse_xlsx_delivery(delivery, "FFP", PARTS["FFP"])
    return parsed
