"""What every connector produces, and how it reports bad input.

Grain: a `Parsed` is one delivery (or one SQL extract) of one source, split into entity tables
(e.g. business → `entity` and `entity_person`), each a typed Arrow table with English column names
and lineage columns; rows that cannot be typed are `RowIssue`s (they go to quarantine, never lost).

Counting rule (issue: "delivered = accepted + quarantined"): for every file, the rows delivered
(the marker's `rows`) = rows in its entity table + rows with a parse issue. A row with several
issues is one quarantined row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from safetynet.privacy import mask_text

#: Lineage columns added to every entity table (in this order, after the data columns).
LINEAGE = ("_source", "_delivery", "_file", "_row", "_business_date")


@dataclass(frozen=True)
class RowIssue:
    """One problem with one delivered row. `row` is the record number in the file (1 = first data
    record after the header; xlsx: the sheet row; JSON: the array index + 1; SQL: 0)."""

    file: str
    row: int
    field: str | None
    rule: str
    value: str | None
    message: str

    def masked(self) -> RowIssue:
        """The same issue with ID-like values masked (for quarantine reports, logs and Data Docs)."""
        return RowIssue(self.file, self.row, self.field, self.rule,
                        None if self.value is None else mask_text(self.value), mask_text(self.message))


class DeliveryRejected(Exception):
    """The delivery as a whole cannot be used (marker mismatch, header, encoding, empty file…).

    The message names the file and, where there is one, the row and the field.
    """

    def __init__(self, file: str, reason: str, *, row: int | None = None, field: str | None = None,
                 rule: str = "delivery") -> None:
        self.file, self.reason, self.row, self.field, self.rule = file, reason, row, field, rule
        where = file + (f" row {row}" if row is not None else "") + (f" field {field}" if field else "")
        super().__init__(mask_text(f"{where}: {reason}"))


@dataclass
class Parsed:
    """A parsed delivery: typed entity tables, row issues and delivered counts per file."""

    source: str
    delivery: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    issues: list[RowIssue] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_delivered(self) -> int:
        return sum(self.delivered.values())

    @property
    def rows_with_issues(self) -> int:
        return len({(i.file, i.row) for i in self.issues})
