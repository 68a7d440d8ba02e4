"""housing_fund (住房公积金管理中心滕州分中心): monthly full snapshot GJJ_<YYYYMM>.csv (YYYYMM = the month
described, delivered on the 3rd of the next month), UTF-8 without BOM, CRLF, minimal quoting
(housing_fund.yaml).

Entity `account`: one row per personal account (个人账号, 12 digits kept as text) that is 正常 or 封存 at
month end, or was closed (销户) within the 24 months before. A person may have two accounts.
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="utf-8", bom=False, line_ending="\r\n")
PARTS = {
    "GJJ": CsvPart("account", (
        Col("个人账号", "account_no"),
        Col("身份证号", "id_number", "id"),
        Col("姓名", "name"),
        Col("单位名称", "employer"),
        Col("缴存基数", "contribution_base", "decimal:2"),
        Col("月缴存额", "monthly_contribution", "decimal:2"),
        Col("账户状态", "status"),
        Col("账户余额", "balance", "decimal:2"),
        Col("最后缴存年月", "last_paid_month", "yearmonth"),
    )),
}


def parse(delivery: Delivery) -> Parsed:
    return parse_csv_delivery(delivery, DIALECT, PARTS)
