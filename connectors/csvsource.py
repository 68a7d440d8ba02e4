"""Parsing of a file delivery made of contract CSV files (one entity per file part).

Grain: one delivery version in, one `Parsed` out. Each part file is read strictly
(connectors.csvreader), its record count checked against its marker, then typed
(connectors.columns). A count that differs from the marker rejects the whole delivery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.base import DeliveryRejected, Parsed
from connectors.columns import Col, typecast
from connectors.csvreader import CsvDialect, read_csv
from connectors.landing import Delivery


@dataclass(frozen=True)
class CsvPart:
    """One file part of a delivery: the entity it holds, its exact header and its column mapping."""

    entity: str
    cols: tuple[Col, ...]

    @property
    def header(self) -> list[str]:
        return [c.src for c in self.cols]


def delivery_name(delivery: Delivery) -> str:
    """The version's name used in lineage, accounting and the raw store, e.g. 'HJRK_20260528' or
    'GS_202604_R1'. Charity uploads carry free-text names that may repeat in a later year, so their name
    is prefixed with the upload (folder) date."""
    name = delivery.key + (f"_R{delivery.redelivery}" if delivery.redelivery else "")
    if delivery.source == "charity":
        name = f"{delivery.folder_date:%Y%m%d}_{name}"
    return name


def parse_csv_delivery(delivery: Delivery, dialect: CsvDialect, parts: Mapping[str, CsvPart],
                       optional: Sequence[str] = ()) -> Parsed:
    """Read every part of the delivery; DeliveryRejected if any part is unusable."""
    name = delivery_name(delivery)
    parsed = Parsed(source=delivery.source, delivery=name)
    for part, spec in parts.items():
        f = delivery.file(part)
        if f is None:
            if part in optional:
                continue
            raise DeliveryRejected(name, f"part {part} is missing from the delivery", rule="missing_part")
        read = read_csv(f.path, dialect, spec.header)
        if f.marker_rows is not None and read.records != f.marker_rows:
            raise DeliveryRejected(f.name, f"marker says rows={f.marker_rows} but the file has "
                                   f"{read.records} records (truncated or wrong marker)", rule="marker_rows")
        table, issues = typecast(read.table, spec.cols, source=delivery.source, delivery=name, file=f.name,
                                 business_date=delivery.business_date)
        if spec.entity in parsed.tables:
            import pyarrow as pa

            table = pa.concat_tables([parsed.tables[spec.entity], table])
        parsed.tables[spec.entity] = table
        parsed.issues += read.issues + issues
        parsed.delivered[f.name] = read.records
        parsed.warnings += read.warnings
    return parsed
