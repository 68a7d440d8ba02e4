"""cremation (民政局殡葬管理所): front-DB table t_hhdj, current state with soft deletes.

Entity `cremation`: one row per t_hhdj row version extracted (staging keeps the latest per 登记编号).
"""

from __future__ import annotations

from datetime import date

from connectors.columns import Col
from connectors.sqlsource import SqlTable, extract_source
from safetynet.settings import Settings

TABLES = (
    SqlTable("t_hhdj", "cremation", (
        Col("登记编号", "registration_no"),
        Col("逝者姓名", "name"),
        Col("逝者身份证号", "id_number", "id"),
        Col("死亡日期", "death_date", "date:%Y-%m-%d"),
        Col("火化日期", "cremation_date", "date:%Y-%m-%d"),
        Col("殡仪馆", "funeral_home"),
        Col("更新时间", "updated_at", "datetime:%Y-%m-%d %H:%M:%S"),
        Col("删除标志", "deleted_flag"),
    ), key=("登记编号",)),
)

#: The same tables keyed like a file connector's parts (what expectations.runner reads for field names).
PARTS = {t.table: t for t in TABLES}


def extract_task(settings: Settings, business_date: date, docs_keys: list | None = None):
    return extract_source(settings, "cremation", TABLES, business_date, docs_keys)
