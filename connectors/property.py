"""property (自然资源局不动产登记中心): daily change log BDC_<YYYYMMDD>.csv plus, in the first delivery
only, the initial full file BDC_FULL_<YYYYMMDD>.csv (part `BDC_FULL`, optional). GB18030, CRLF, minimal
quoting; both files have the same header (property.yaml).

Entities (same columns, different grain, so that each keeps its own key):

* `registration` (BDC): one row per (业务编号, 不动产单元号, 证件号码) - one holder of one unit in one
  ownership registration entered in the register on the business date (late entries and identical
  resends occur). Current state = replay by 登记时间 (see the contract).
* `current_holder` (BDC_FULL): one row per (不动产单元号, 证件号码) - a current holder of a unit as of the
  first delivery's as-of date, with the registration that established the holding.

证件号码 is read as an `id` column whatever 证件种类 says (a 统一社会信用代码 gets status 'malformed' and
keeps its text in `holder_id_raw`); the derived `holder_kind` classifies it (connectors.derived).
共有份额 stays text ('50%', '33.33%').
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.derived import holder_kind, with_columns
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="gb18030", bom=False, line_ending="\r\n")
COLS = (
    Col("业务编号", "business_no"),
    Col("不动产单元号", "unit_no"),
    Col("不动产权证号", "certificate_no"),
    Col("权利人", "holder_name"),
    Col("证件种类", "holder_id_type"),
    Col("证件号码", "holder_id", "id"),
    Col("共有情况", "ownership_type"),
    Col("共有份额", "share"),
    Col("坐落", "location"),
    Col("用途", "use"),
    Col("建筑面积", "floor_area", "decimal:2"),
    Col("登记类型", "registration_type"),
    Col("登记时间", "registered_at", "datetime:%Y-%m-%d %H:%M:%S"),
)
PARTS = {
    "BDC": CsvPart("registration", COLS),
    "BDC_FULL": CsvPart("current_holder", COLS),
}
#: Columns added after typing, per entity (see `derive`).
DERIVED = {"registration": ("holder_kind",), "current_holder": ("holder_kind",)}


def derive(parsed: Parsed) -> Parsed:
    """Add `holder_kind` ('person' / 'organisation' / 'unknown') of 证件号码 to both entities."""
    for entity in DERIVED:
        t = parsed.tables.get(entity)
        if t is not None:
            parsed = with_columns(parsed, entity,
                                  {"holder_kind": holder_kind(t["holder_id_raw"], t["holder_id_status"])})
    return parsed


def parse(delivery: Delivery) -> Parsed:
    return derive(parse_csv_delivery(delivery, DIALECT, PARTS, optional=("BDC_FULL",)))
