"""social_insurance (人社局 社会保险事业中心): front-DB tables si_contribution and si_benefit, current state
without deletes, read incrementally by 更新时间 (monthly bulk load on the 10th-15th, corrections otherwise).

Entities (one row per table row version extracted; staging keeps the latest per key):

* `contribution` (si_contribution, key 个人编号 + 险种类型 + 缴费年月) - one month's (170: one year's)
  contribution of one insured person to one insurance type; a 退费 keeps its row with amounts 0.00.
* `benefit` (si_benefit, key 身份证号码 + 待遇类型 + 发放年月) - one month's benefit payment.

身份证号码 carries the quirks legacy_15 and lowercase_x: typed as `id` (normal form, status, raw).
"""

from __future__ import annotations

from datetime import date

from connectors.columns import Col
from connectors.sqlsource import SqlTable, extract_source
from safetynet.settings import Settings

UPDATED = Col("更新时间", "updated_at", "datetime:%Y-%m-%d %H:%M:%S")

TABLES = (
    SqlTable("si_contribution", "contribution", (
        Col("个人编号", "person_no"),
        Col("身份证号码", "id_number", "id"),
        Col("姓名", "name"),
        Col("险种类型", "insurance_type"),
        Col("单位编号", "employer_no"),
        Col("单位名称", "employer_name"),
        Col("缴费年月", "contribution_month", "yearmonth"),
        Col("缴费基数", "contribution_base", "decimal:2"),
        Col("个人缴费金额", "personal_amount", "decimal:2"),
        UPDATED,
    ), key=("个人编号", "险种类型", "缴费年月")),
    SqlTable("si_benefit", "benefit", (
        Col("身份证号码", "id_number", "id"),
        Col("待遇类型", "benefit_type"),
        Col("发放年月", "benefit_month", "yearmonth"),
        Col("发放金额", "amount", "decimal:2"),
        UPDATED,
    ), key=("身份证号码", "待遇类型", "发放年月")),
)

#: The same tables keyed like a file connector's parts (what expectations.runner reads for field names).
PARTS = {t.table: t for t in TABLES}


def extract_task(settings: Settings, business_date: date, docs_keys: list | None = None):
    return extract_source(settings, "social_insurance", TABLES, business_date, docs_keys)
