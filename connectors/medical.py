"""medical (医疗保障局): front-DB tables yb_enrollment (current state) and yb_settlement (insert-only
ledger with refund rows), read incrementally by 更新时间; no deletes except the retention purge.

Entities (one row per table row version extracted; staging keeps the latest per key):

* `enrollment` (yb_enrollment, key 身份证号码 + 参保年度) - a person's insurance in one year.
* `settlement` (yb_settlement, key 结算流水号) - one settlement or refund row (退费标志 '1', pointing to
  the refunded settlement by 原结算流水号 with negated amounts).

参保年度 is CHAR(4) text 'YYYY' and stays text (like the year-months of the other sources).
"""

from __future__ import annotations

from datetime import date

from connectors.columns import Col
from connectors.sqlsource import SqlTable, extract_source
from safetynet.settings import Settings

DATE = "date:%Y-%m-%d"
UPDATED = Col("更新时间", "updated_at", "datetime:%Y-%m-%d %H:%M:%S")

TABLES = (
    SqlTable("yb_enrollment", "enrollment", (
        Col("身份证号码", "id_number", "id"),
        Col("姓名", "name"),
        Col("参保类型", "scheme"),
        Col("参保状态", "status"),
        Col("参保年度", "year"),
        Col("资助参保类别", "subsidy_category"),
        UPDATED,
    ), key=("身份证号码", "参保年度")),
    SqlTable("yb_settlement", "settlement", (
        Col("结算流水号", "settlement_no"),
        Col("身份证号码", "id_number", "id"),
        Col("就诊类型", "visit_type"),
        Col("定点医疗机构", "provider"),
        Col("入院日期", "admission_date", DATE),
        Col("结算日期", "settlement_date", DATE),
        Col("医疗总费用", "total_cost", "decimal:2"),
        Col("统筹基金支付", "fund_pay", "decimal:2"),
        Col("大病保险支付", "critical_illness_pay", "decimal:2"),
        Col("医疗救助支付", "assistance_pay", "decimal:2"),
        Col("个人自付", "self_pay", "decimal:2"),
        Col("退费标志", "refund_flag"),
        Col("原结算流水号", "original_settlement_no"),
        UPDATED,
    ), key=("结算流水号",)),
)

#: The same tables keyed like a file connector's parts (what expectations.runner reads for field names).
PARTS = {t.table: t for t in TABLES}


def extract_task(settings: Settings, business_date: date, docs_keys: list | None = None):
    return extract_source(settings, "medical", TABLES, business_date, docs_keys)
