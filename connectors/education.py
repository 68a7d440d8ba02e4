"""education (教育和体育局): monthly pair XJ_<YYYYMM>.csv (enrolment snapshot) + ZZ_<YYYYMM>.csv (aid
payments of the month, incremental), delivered on the 10th of the next month. UTF-8 with BOM, CRLF,
minimal quoting (education.yaml).

Entities:

* `student` (XJ): one row per 全国学籍号 - a student enrolled at month end, or who left / graduated in the
  current or previous school year. 身份证号 is empty only for temporary 'L…' numbers.
* `aid_payment` (ZZ): one row per (身份证号, 资助项目, 学年, 学期) paid in the month (a correction is re-sent
  in a later file under the same key; the latest file wins).
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="utf-8", bom=True, line_ending="\r\n")
PARTS = {
    "XJ": CsvPart("student", (
        Col("全国学籍号", "student_no"),
        Col("身份证号", "id_number", "id"),
        Col("姓名", "name"),
        Col("学段", "stage"),
        Col("学校名称", "school"),
        Col("年级", "grade"),
        Col("学籍状态", "status"),
    )),
    "ZZ": CsvPart("aid_payment", (
        Col("身份证号", "id_number", "id"),
        Col("姓名", "name"),
        Col("资助项目", "programme"),
        Col("资助金额", "amount", "decimal:2"),
        Col("学年", "school_year"),
        Col("学期", "term"),
        Col("发放日期", "paid_date", "date:%Y-%m-%d"),
    )),
}


def parse(delivery: Delivery) -> Parsed:
    return parse_csv_delivery(delivery, DIALECT, PARTS)
