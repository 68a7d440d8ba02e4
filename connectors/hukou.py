"""hukou (公安局户政管理大队): daily full snapshot HJRK_<YYYYMMDD>.csv, GB18030, CRLF, minimal quoting.

Entity `person`: one row per (person, 户号) registration in the snapshot (hukou.yaml).
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="gb18030", bom=False, line_ending="\r\n")
PARTS = {
    "HJRK": CsvPart("person", (
        Col("公民身份号码", "id_number", "id"),
        Col("姓名", "name"),
        Col("性别", "sex"),
        Col("民族", "ethnicity"),
        Col("出生日期", "birth_date", "date:%Y%m%d"),
        Col("户号", "hukou_no"),
        Col("与户主关系", "relation_to_head"),
        Col("户籍地址", "address"),
        Col("乡镇街道", "town"),
        Col("村居委会", "village"),
        Col("人员状态", "status"),
        Col("状态变动日期", "status_date", "date:%Y%m%d"),
        Col("婚姻状况", "marital_status"),
        Col("文化程度", "education"),
    )),
}


def parse(delivery: Delivery) -> Parsed:
    return parse_csv_delivery(delivery, DIALECT, PARTS)
