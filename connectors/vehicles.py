"""vehicles (公安局交警大队车管所): weekly full snapshot JDC_<YYYYMMDD>.csv (a Monday; as of the Sunday),
UTF-8 with BOM, CRLF, every field quoted (vehicles.yaml).

Entity `vehicle`: one row per vehicle (车辆识别代号) on the register or ended (B/E/M) within 24 months,
as of the snapshot's Sunday. 所有人证件号码 is either a 公民身份号码 or an organisation code, with no type
column: it is read as an `id` column (`owner_id` = normal form of a person's number, None otherwise) and
the derived `holder_kind` says which it is (connectors.derived).
"""

from __future__ import annotations

from connectors.base import Parsed
from connectors.columns import Col
from connectors.csvreader import CsvDialect
from connectors.csvsource import CsvPart, parse_csv_delivery
from connectors.derived import holder_kind, with_columns
from connectors.landing import Delivery

DIALECT = CsvDialect(encoding="utf-8", bom=True, line_ending="\r\n", quoting="all")
PARTS = {
    "JDC": CsvPart("vehicle", (
        Col("号牌号码", "plate_no"),
        Col("号牌种类", "plate_type"),
        Col("车辆类型", "vehicle_type"),
        Col("使用性质", "use_type"),
        Col("所有人证件号码", "owner_id", "id"),
        Col("所有人", "owner_name"),
        Col("初次登记日期", "first_registration_date", "date:%Y-%m-%d"),
        Col("机动车状态", "status"),
        Col("品牌型号", "brand_model"),
        Col("车辆识别代号", "vin"),
    )),
}
#: Columns added after typing, per entity (see `derive`).
DERIVED = {"vehicle": ("holder_kind",)}


def derive(parsed: Parsed) -> Parsed:
    """Add `holder_kind` ('person' / 'organisation' / 'unknown') of 所有人证件号码."""
    t = parsed.tables.get("vehicle")
    if t is None:
        return parsed
    return with_columns(parsed, "vehicle", {"holder_kind": holder_kind(t["owner_id_raw"], t["owner_id_status"])})


def parse(delivery: Delivery) -> Parsed:
    return derive(parse_csv_delivery(delivery, DIALECT, PARTS))
