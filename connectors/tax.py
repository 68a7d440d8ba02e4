"""tax (税务局): monthly incremental GS_<YYYYMM>.csv (YYYYMM = tax period month, delivered around the 20th
of the next month, daytime), UTF-8 without BOM, LF, every field quoted (tax.yaml).

Entity `declaration_line`: one row per declaration line (纳税人识别号, 申报序号) accepted in the delivery's
window. Byte-identical resends repeat a line (quirk exact_duplicate); current state groups lines by
(纳税人识别号, 扣缴义务人名称, 所得项目, 所得期间起, 所得期间止) and keeps the highest 申报序号 (see the
contract). 申报序号 is 20 digits, kept as text (fixed width: text order = numeric order).
纳税人识别号 is read as an `id` column; the few numbers assigned to persons without a Chinese ID get
status 'malformed'/'bad_check' and keep their text in `taxpayer_id_raw`.
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="utf-8", bom=False, line_ending="\n", quoting="all")
PARTS = {
    "GS": CsvPart("declaration_line", (
        Col("纳税人识别号", "taxpayer_id", "id"),
        Col("纳税人姓名", "taxpayer_name"),
        Col("所得项目", "income_item"),
        Col("所得期间起", "period_start", "date:%Y-%m-%d"),
        Col("所得期间止", "period_end", "date:%Y-%m-%d"),
        Col("收入额", "income", "decimal:2"),
        Col("应纳税额", "tax_due", "decimal:2"),
        Col("已缴税额", "tax_paid", "decimal:2"),
        Col("扣缴义务人名称", "withholding_agent"),
        Col("申报日期", "declared_date", "date:%Y-%m-%d"),
        Col("申报序号", "serial_no"),
    )),
}


def parse(delivery: Delivery) -> Parsed:
    return parse_csv_delivery(delivery, DIALECT, PARTS)
