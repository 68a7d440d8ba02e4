"""Parsing of a file delivery made of one XLSX workbook (disability, rural_monitoring), and helpers the
hand-made-file connectors share (marker check, per-value normalisation before typing).

Grain: one delivery version in, one `Parsed` out. The workbook is read with its contract layout
(connectors.xlsxreader), its data-row count checked against the marker, string values normalised where
the contract allows several spellings (date cells or date text, '4人', number cells with 0-2 decimals),
then typed (connectors.columns). A count that differs from the marker rejects the whole delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import DeliveryRejected, Parsed
from connectors.columns import Col, typecast
from connectors.csvsource import delivery_name
from connectors.landing import Delivery, DeliveryFile
from connectors.xlsxreader import XlsxLayout, XlsxRead, read_xlsx

#: Text of one delivered value -> its normalised text (None = null). A value the normaliser does not
#: recognise must be returned unchanged, so that typing quarantines it with the text as delivered.
Normaliser = Callable[[str], str | None]


@dataclass(frozen=True)
class XlsxPart:
    """The one workbook of a delivery: entity, layout, contract columns (in header order) and the
    normalisers applied to the text of some columns before typing (contract column -> function)."""

    entity: str
    layout: XlsxLayout
    cols: tuple[Col, ...]
    normalise: Mapping[str, Normaliser] = field(default_factory=dict)

    @property
    def header(self) -> list[str]:
        return [c.src for c in self.cols]


def check_rows(f: DeliveryFile, records: int) -> None:
    """README section 3: the marker's rows must equal the records parsed, else the delivery is rejected."""
    if f.marker_rows is not None and records != f.marker_rows:
        raise DeliveryRejected(f.name, f"marker says rows={f.marker_rows} but the file has {records} "
                               f"records (truncated or wrong marker)", rule="marker_rows")


def map_distinct(values: pa.Array | pa.ChunkedArray, fn: Normaliser) -> pa.Array:
    """`fn` applied once per distinct non-null string (nulls stay null)."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = pc.cast(arr, pa.string()).dictionary_encode()
    mapped = [fn(v) for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(mapped, pa.string()), encoded.indices)


def originals(strings: pa.Table, typed: pa.Table, columns: Mapping[str, str]) -> dict[str, pa.Array]:
    """Delivered text of some columns (contract name -> new column name) for the rows that survived
    typing, aligned with `typed` (both tables are in record order and share `_row`)."""
    kept = strings.filter(pc.is_in(strings.column("_row"), value_set=typed.column("_row")))
    return {new: kept.column(src).combine_chunks() for src, new in columns.items()}


def normalise_columns(table: pa.Table, normalise: Mapping[str, Normaliser]) -> pa.Table:
    """A copy of a string table with the given columns normalised (see `map_distinct`)."""
    for name, fn in normalise.items():
        i = table.column_names.index(name)
        table = table.set_column(i, name, map_distinct(table.column(i), fn))
    return table


# --- normalisers shared by the hand-made sources ----------------------------------------------------------

def iso_date(year: str, month: str, day: str) -> str | None:
    """'YYYY-MM-DD' when the parts form a calendar date, else None."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def decimal_text(value: str, scale: int = 2) -> str:
    """A plain number (as a number cell reads: '9876.5', '6120', '1234.5600000000002') rounded half up
    to `scale` decimals, as text; anything else unchanged."""
    text = value.strip()
    if not text or any(c not in "0123456789.-+Ee" for c in text):
        return value
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    return f"{number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP):f}"


def parse_xlsx_delivery(delivery: Delivery, part_name: str, part: XlsxPart) -> tuple[Parsed, XlsxRead]:
    """Read, check and type the workbook of a delivery; DeliveryRejected if it is unusable."""
    name = delivery_name(delivery)
    f = delivery.file(part_name)
    if f is None:
        raise DeliveryRejected(name, f"part {part_name} is missing from the delivery", rule="missing_part")
    read = read_xlsx(f.path, part.layout, part.header)
    check_rows(f, read.records)
    strings = normalise_columns(read.table, part.normalise)
    typed, issues = typecast(strings, part.cols, source=delivery.source, delivery=name, file=f.name,
                             business_date=delivery.business_date)
    parsed = Parsed(source=delivery.source, delivery=name, tables={part.entity: typed},
                    issues=read.issues + issues, delivered={f.name: read.records})
    return parsed, read
