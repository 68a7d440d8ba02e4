"""deaths (卫生健康局): daily incremental SWZM_<YYYYMMDD>.csv, UTF-8 without BOM, LF, minimal quoting
(deaths.yaml).

Entity `certificate`: one row per 死亡证编号 created or corrected on the business date (a number occurs
at most once per file; current state across files: latest 签发日期, then latest file). 证件号码 holds a
公民身份号码 only when 证件类别 = 居民身份证 (a passport number otherwise, empty for 无); it is read as an
`id` column, so a passport number gets status 'malformed' and keeps its text in `id_number_raw`.
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="utf-8", bom=False, line_ending="\n")
PARTS = {
    "SWZM": CsvPart("certificate", (
        Col("死亡证编号", "certificate_no"),
        Col("死者姓名", "name"),
        Col("证件类别", "id_type"),
        Col("证件号码", "id_number", "id"),
        Col("性别", "sex"),
        Col("出生日期", "birth_date", "date:%Y-%m-%d"),
        Col("死亡日期", "death_time", "datetime:%Y-%m-%d %H:%M"),
        Col("死亡地点类别", "death_place_type"),
        Col("常住地址", "residence_address"),
        Col("签发日期", "issue_date", "date:%Y-%m-%d"),
    )),
}


def parse(delivery: Delivery) -> Parsed:
    return parse_csv_delivery(delivery, DIALECT, PARTS)
