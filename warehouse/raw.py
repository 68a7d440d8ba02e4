"""The raw store: the project's own immutable copy of every accepted delivery (for backfills).

Layout: `$SAFETYNET_HOME/raw/<source>/<entity>/business_date=<YYYY-MM-DD>/<delivery>.parquet`, one file
per (entity, delivery version), written once (atomically) and never modified. Grain of each file: one
row per delivered row of that entity that was accepted, with the lineage columns of connectors.base.
Ingesting the same delivery again finds the file present and adds nothing.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.settings import Settings


def path_for(settings: Settings, source: str, entity: str, business_date: date, delivery: str) -> Path:
    return (settings.raw_dir / source / entity / f"business_date={business_date.isoformat()}"
            / f"{delivery}.parquet")


def exists(settings: Settings, source: str, entity: str, business_date: date, delivery: str) -> bool:
    return path_for(settings, source, entity, business_date, delivery).is_file()


def write(settings: Settings, source: str, entity: str, business_date: date, delivery: str,
          table: pa.Table) -> Path:
    """Write once: an existing file is left as it is (immutability), its path returned."""
    path = path_for(settings, source, entity, business_date, delivery)
    if path.is_file():
        return path
    write_parquet_atomic(path, table)
    return path


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    """Write to a temporary name in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def glob(settings: Settings, source: str, entity: str) -> list[Path]:
    """Every raw file of an entity, in (business date, delivery) order."""
    root = settings.raw_dir / source / entity
    return sorted(root.glob("business_date=*/*.parquet")) if root.is_dir() else []
