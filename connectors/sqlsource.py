"""Incremental extraction from a department's SQL front database (sources/README.md section 9).

Grain: one extract per (source table, business date D), named `<table>_<D+1:%Y%m%d>` (the push of the
night of D+1), holding the rows with W − 48 h < 更新时间 < D+1 00:00, where W is the largest 更新时间
seen by the previous extract of that table (the whole table on the first load). The upper bound keeps a
backfill of an earlier D from reading changes made after D. Every extract is archived in the raw store
(front databases keep no history); staging upserts by key across extracts.

The watermark lives in `$SAFETYNET_HOME/state/watermarks/<source>.json` and only moves forward once the
extract is safely stored, so a failed night is re-read the next time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from connectors import frontdb
from connectors.base import Parsed
from connectors.columns import Col, typecast
from safetynet.settings import Settings

OVERLAP = timedelta(hours=48)
TS_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Rows per chunk of an extract: read, typed, validated and stored together (peak memory ~ one chunk).
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class SqlTable:
    """One front-DB table: its entity name, columns (contract names → English) and key."""

    table: str
    entity: str
    cols: tuple[Col, ...]
    key: tuple[str, ...]
    updated_col: str = "更新时间"


def extract_name(table: str, business_date: date) -> str:
    return f"{table}_{(business_date + timedelta(days=1)):%Y%m%d}"


def _watermark_path(settings: Settings, source: str):
    return settings.state_dir / "watermarks" / f"{source}.json"


def load_watermarks(settings: Settings, source: str) -> dict[str, str]:
    path = _watermark_path(settings, source)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_watermark(settings: Settings, source: str, table: str, value: str) -> None:
    marks = load_watermarks(settings, source)
    if marks.get(table, "") >= value:
        return
    marks[table] = value
    path = _watermark_path(settings, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(marks, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _as_text(value: object, kind: str) -> str | None:
    """A DB value as the contract's text form, so one typecast serves SQLite and PostgreSQL alike
    (SQLite returns NUMERIC 1200.00 as 1200 and DATE/TIMESTAMP as text; PostgreSQL returns objects)."""
    if value is None:
        return None
    if kind.startswith("decimal:"):
        scale = int(kind.split(":", 1)[1])
        return f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-scale)):f}"
    if isinstance(value, datetime):
        return value.strftime(TS_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _column(values: list, kind: str) -> pa.Array:
    """One fetched column as contract text (see `_as_text`); strings pass through without a Python loop."""
    if not kind.startswith("decimal:"):
        try:
            return pa.array(values, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
    return pa.array([_as_text(v, kind) for v in values], type=pa.string())


def read_chunks(engine: sa.Engine, spec: SqlTable, lower: str | None, upper: str, *,
                chunk_rows: int | None = None) -> Iterator[pa.Table]:
    """String tables of the rows in the window (lower exclusive, upper exclusive), in key order, at most
    `chunk_rows` (default CHUNK_ROWS) rows each; `_row` numbers the rows of the whole extract from 1. At
    least one table (empty when the window is). The rows are streamed - a server-side cursor where the
    driver has one (psycopg's named cursor for PostgreSQL), SQLite steps its cursor lazily anyway - so
    memory is bounded by the chunk, not the table."""
    cols = ", ".join(f'"{c.src}"' for c in spec.cols)
    where = f'"{spec.updated_col}" < :upper' + (f' AND "{spec.updated_col}" > :lower' if lower else "")
    order = ", ".join(f'"{k}"' for k in spec.key)
    # Identifiers come from the contract table above, never from input; values are bound parameters.
    query = sa.text(f'SELECT {cols} FROM {spec.table} WHERE {where} ORDER BY {order}')  # noqa: S608
    params = {"upper": upper} | ({"lower": lower} if lower else {})
    names = [*(c.src for c in spec.cols), "_row"]
    chunk_rows = chunk_rows or CHUNK_ROWS
    first = 1
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query, params)
        for rows in result.partitions(chunk_rows):
            columns = list(zip(*rows, strict=True))
            arrays = [_column(list(v), c.kind) for c, v in zip(spec.cols, columns, strict=True)]
            arrays.append(pa.array(range(first, first + len(rows)), type=pa.int64()))
            first += len(rows)
            yield pa.Table.from_arrays(arrays, names=names)
    if first == 1:
        yield pa.Table.from_arrays([pa.array([], pa.string()) for _ in spec.cols] + [pa.array([], pa.int64())],
                                   names=names)


def read_table(engine: sa.Engine, spec: SqlTable, lower: str | None, upper: str) -> tuple[pa.Table, str | None]:
    """The whole window as one string table and its max 更新时间 (small tables, tests)."""
    table = pa.concat_tables(read_chunks(engine, spec, lower, upper))
    return table, _max_updated(table, spec)


def _max_updated(strings: pa.Table, spec: SqlTable) -> str | None:
    return pc.max(strings.column(spec.updated_col)).as_py() if strings.num_rows else None


def extract_source(settings: Settings, source: str, tables: Sequence[SqlTable], business_date: date,
                   docs_keys: list | None = None):
    """Extract every table of a SQL source for business date D; returns the accounting rows (SourceRun).

    Each table's extract is read, typed, validated and stored chunk by chunk (`CHUNK_ROWS` rows:
    connectors.ingest.store_chunks), so memory does not grow with the table; the accounting, the reject
    rate and the watermark still cover the whole extract, and nothing is stored before all of it passed.
    Uniqueness checks see one chunk at a time. That loses nothing on the keys as stored: the front DB's
    PRIMARY KEY already makes them unique. It can miss a duplicate that only appears after ID
    normalisation (a legacy or lowercase form beside the canonical one of the same person) when the two
    land in different chunks: such a form fails the ID format checks on its own, and the key checks of
    the normalised number are about linkage, not about placing the row.
    """
    from connectors.ingest import already_accounted, record, store_chunks

    engine = frontdb.engine(settings.frontdb_url(source))
    upper = datetime.combine(business_date + timedelta(days=1), datetime.min.time()).strftime(TS_FORMAT)
    runs = []
    try:
        for spec in tables:
            name = extract_name(spec.table, business_date)
            if already_accounted(settings, source, name):
                continue
            mark = load_watermarks(settings, source).get(spec.table)
            lower = (datetime.strptime(mark, TS_FORMAT) - OVERLAP).strftime(TS_FORMAT) if mark else None
            seen: list[str] = []

            def chunks(spec: SqlTable = spec, lower: str | None = lower, name: str = name,
                       seen: list[str] = seen) -> Iterator[Parsed]:
                for strings in read_chunks(engine, spec, lower, upper):
                    top = _max_updated(strings, spec)
                    if top is not None:
                        seen.append(top)
                    typed, issues = typecast(strings, spec.cols, source=source, delivery=name, file=spec.table,
                                             business_date=business_date)
                    yield Parsed(source=source, delivery=name, tables={spec.entity: typed}, issues=issues,
                                 delivered={spec.table: strings.num_rows})

            run = store_chunks(settings, source, name, chunks(), business_date, business_date, docs_keys)
            record(settings, run)
            if seen:
                save_watermark(settings, source, spec.table, max(seen))
            runs.append(run)
    finally:
        engine.dispose()
    return runs
