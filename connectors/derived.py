"""Derived columns that file connectors add after typing (pure helpers; `typecast` stays generic).

Grain: one function call = one entity table of one `Parsed` in, a new `Parsed` out (inputs are never
mutated). Derived columns are data columns: they go before the lineage columns, and every connector
that adds some declares them in a module-level `DERIVED = {entity: (column, ...)}` so that suites and
their tests can tell a derived column from a contract one.

* `holder_kind` - what an identifier that may belong to a person or an organisation is:
  'person' (trusted 公民身份号码), 'organisation' (valid 统一社会信用代码 or legacy 组织机构代码) or
  'unknown' (anything else: passports, other certificates, bad-check or malformed numbers, empty),
  per `safetynet.idnumber.classify_identifier` (README sections 10-11).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import LINEAGE, Parsed
from safetynet.idnumber import TRUSTED_STATUSES, classify_identifier

HOLDER_KINDS: frozenset[str] = frozenset({"person", "organisation", "unknown"})


def holder_kind(raw: pa.Array | pa.ChunkedArray, status: pa.Array | pa.ChunkedArray) -> pa.Array:
    """'person' / 'organisation' / 'unknown' per row, from the raw identifier and its `_status`.

    A trusted status already means 'person'; every other distinct raw value is classified once.
    """
    raw = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
    status = status.combine_chunks() if isinstance(status, pa.ChunkedArray) else status
    trusted = pc.fill_null(pc.is_in(status, value_set=pa.array(sorted(TRUSTED_STATUSES))), False)
    others = pc.if_else(trusted, pa.scalar(None, pa.string()), raw).dictionary_encode()
    kinds = pa.array([classify_identifier(v) for v in others.dictionary.to_pylist()], pa.string())
    kind = pc.take(kinds, others.indices)
    return pc.fill_null(pc.if_else(trusted, "person", kind), "unknown")


def with_columns(parsed: Parsed, entity: str, columns: Mapping[str, pa.Array]) -> Parsed:
    """A copy of `parsed` whose `entity` table has `columns` added before the lineage columns."""
    if entity not in parsed.tables:
        return parsed
    table = parsed.tables[entity]
    at = table.column_names.index(LINEAGE[0])
    for offset, (name, values) in enumerate(columns.items()):
        table = table.add_column(at + offset, name, values)
    return dataclasses.replace(parsed, tables={**parsed.tables, entity: table})
