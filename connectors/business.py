"""business (市场监督管理局): weekly full snapshot of two files, SCZT_<YYYYMMDD>.csv (entities) and
SCZT_RY_<YYYYMMDD>.csv (their persons), a Wednesday's delivery as of the Tuesday. UTF-8 without BOM,
LF, minimal quoting; a quoted 经营范围 may contain LF or CRLF and is still one record (business.yaml).

Entities:

* `entity` (SCZT): one row per market entity (统一社会信用代码) in the snapshot, any 登记状态.
* `entity_person` (SCZT_RY): one row per (统一社会信用代码, 人员类型, 证件号码) - a person's role in an
  entity (two roles, two rows). 证件号码 is read as an `id` column whatever 证件类型 says; the derived
  `holder_kind` classifies it (a corporate 股东's 统一社会信用代码 is 'organisation').

Amounts in 万元 are decimal(18, 6); 出资比例 stays text ('35.5%').
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.derived import holder_kind, with_columns
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="utf-8", bom=False, line_ending="\n")
PARTS = {
    "SCZT": CsvPart("entity", (
        Col("统一社会信用代码", "uscc"),
        Col("主体名称", "name"),
        Col("市场主体类型", "entity_type"),
        Col("注册资本", "registered_capital", "decimal:6"),
        Col("资金数额", "individual_funds", "decimal:6"),
        Col("成立日期", "established_date", "date:%Y-%m-%d"),
        Col("登记状态", "registration_status"),
        Col("经营范围", "business_scope"),
        Col("住所", "address"),
        Col("登记机关", "registration_authority"),
    )),
    "SCZT_RY": CsvPart("entity_person", (
        Col("统一社会信用代码", "uscc"),
        Col("人员类型", "role"),
        Col("姓名", "name"),
        Col("证件类型", "id_type"),
        Col("证件号码", "id_number", "id"),
        Col("认缴出资额", "subscribed_capital", "decimal:6"),
        Col("出资比例", "share"),
    )),
}
#: Columns added after typing, per entity (see `derive`).
DERIVED = {"entity_person": ("holder_kind",)}


def derive(parsed: Parsed) -> Parsed:
    """Add `holder_kind` ('person' / 'organisation' / 'unknown') of SCZT_RY 证件号码."""
    t = parsed.tables.get("entity_person")
    if t is None:
        return parsed
    return with_columns(parsed, "entity_person",
                        {"holder_kind": holder_kind(t["id_number_raw"], t["id_number_status"])})


def parse(delivery: Delivery) -> Parsed:
    return derive(parse_csv_delivery(delivery, DIALECT, PARTS))
