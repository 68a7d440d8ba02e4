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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import sqlalchemy as sa

from connectors import frontdb
from connectors.base import Parsed
from connectors.columns import Col, typecast
from safetynet.settings import Settings

OVERLAP = timedelta(hours=48)
TS_FORMAT = "%Y-%m-%d %H:%M:%S"


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


def read_table(engine: sa.Engine, spec: SqlTable, lower: str | None, upper: str) -> tuple[pa.Table, str | None]:
    """String table of the rows in the window (lower exclusive, upper exclusive) and their max 更新时间."""
    cols = ", ".join(f'"{c.src}"' for c in spec.cols)
    where = f'"{spec.updated_col}" < :upper' + (f' AND "{spec.updated_col}" > :lower' if lower else "")
    order = ", ".join(f'"{k}"' for k in spec.key)
    # Identifiers come from the contract table above, never from input; values are bound parameters.
    query = sa.text(f'SELECT {cols} FROM {spec.table} WHERE {where} ORDER BY {order}')  # noqa: S608
    params = {"upper": upper} | ({"lower": lower} if lower else {})
    columns: list[list[str | None]] = [[] for _ in spec.cols]
    max_updated: str | None = None
    upd_i = [c.src for c in spec.cols].index(spec.updated_col)
    with engine.connect() as conn:
        for row in conn.execute(query, params):
            for i, (c, v) in enumerate(zip(spec.cols, row, strict=True)):
                columns[i].append(_as_text(v, c.kind))
            u = columns[upd_i][-1]
            if u is not None and (max_updated is None or u > max_updated):
                max_updated = u
    n = len(columns[0]) if columns else 0
    arrays = [pa.array(c, type=pa.string()) for c in columns] + [pa.array(range(1, n + 1), type=pa.int64())]
    return pa.Table.from_arrays(arrays, names=[*(c.src for c in spec.cols), "_row"]), max_updated


def extract_source(settings: Settings, source: str, tables: Sequence[SqlTable], business_date: date,
                   docs_keys: list | None = None):
    """Extract every table of a SQL source for business date D; returns the accounting rows (SourceRun)."""
    from connectors.ingest import already_accounted, record, store

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
            strings, max_updated = read_table(engine, spec, lower, upper)
            typed, issues = typecast(strings, spec.cols, source=source, delivery=name, file=spec.table,
                                     business_date=business_date)
            parsed = Parsed(source=source, delivery=name, tables={spec.entity: typed}, issues=issues,
                            delivered={spec.table: strings.num_rows})
            run = store(settings, parsed, business_date, business_date, docs_keys)
            record(settings, run)
            if max_updated:
                save_watermark(settings, source, spec.table, max_updated)
            runs.append(run)
    finally:
        engine.dispose()
    return runs
