"""The four SQL sources extracted from PostgreSQL front databases equal the same city read from SQLite.

One seed is simulated twice: with the embedded SQLite front DBs, and with all four sources' tables in one
fresh PostgreSQL database (README section 9: CI may host several sources in one database). Both are
ingested with `connectors.ingest.ingest_task` for each business date of the window; the accounting, the
extracted rows (raw store, compared without `_row`, which follows each engine's key collation) and the
saved watermarks must be the same.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from connectors.ingest import accounts, ingest_task
from connectors.sqlsource import load_watermarks
from safetynet.settings import SQL_SOURCES, Settings, default_frontdb_url

pytestmark = pytest.mark.postgres

AS_OF = date(2026, 5, 27)
DATES = (date(2026, 5, 26), AS_OF)     # the first load, then an incremental one
ARGS = dict(scale=0.002, seed=1, as_of=AS_OF, days=3)


def ingest(settings: Settings) -> dict[tuple[str, str], dict]:
    """Every SQL source for every date; (date, source) -> ingest summary."""
    return {(d.isoformat(), s): json.loads(Path(ingest_task(settings, s, d.isoformat())).read_text("utf-8"))
            for d in DATES for s in SQL_SOURCES}


def raw_rows(settings: Settings) -> dict[str, list[tuple]]:
    """source/entity/business_date/delivery -> its rows without `_row`, sorted."""
    out = {}
    for p in sorted(settings.raw_dir.rglob("*.parquet")):
        table = pq.read_table(p)
        rows = table.drop_columns(["_row"]).to_pylist()
        out[str(p.relative_to(settings.raw_dir))] = sorted((tuple(sorted(r.items())) for r in rows), key=repr)
    return out


def test_postgres_front_dbs_read_like_sqlite(pg_database: str, tmp_path: Path) -> None:
    import simulator

    lite_exchange, pg_exchange = tmp_path / "lite" / "exchange", tmp_path / "pg" / "exchange"
    simulator.simulate(out=lite_exchange, **ARGS)
    simulator.simulate(out=pg_exchange, **ARGS, frontdb_urls={s: pg_database for s in SQL_SOURCES})
    lite = Settings(home=tmp_path / "lite" / "home", exchange=lite_exchange,
                    frontdb_urls={s: default_frontdb_url(lite_exchange, s) for s in SQL_SOURCES})
    pg = Settings(home=tmp_path / "pg" / "home", exchange=pg_exchange,
                  frontdb_urls={s: pg_database for s in SQL_SOURCES})
    assert not any((pg_exchange / "landing" / "frontdb").glob("*.sqlite"))

    lite_summaries, pg_summaries = ingest(lite), ingest(pg)
    for key, summary in lite_summaries.items():
        counts = ("deliveries_found", "rows_delivered", "rows_accepted", "rows_quarantined", "checks_failed")
        assert {c: pg_summaries[key][c] for c in counts} == {c: summary[c] for c in counts}, key
    for source in SQL_SOURCES:
        assert sum(lite_summaries[(d.isoformat(), source)]["rows_delivered"] for d in DATES) > 0, source

    def accounting(settings: Settings) -> list[tuple]:
        return [(r.source, r.delivery, r.business_date, r.rows_delivered, r.rows_accepted, r.rows_quarantined,
                 r.status) for r in accounts(settings)]

    assert accounting(pg) == accounting(lite)
    for run in accounts(pg):
        assert run.rows_delivered == run.rows_accepted + run.rows_quarantined, run

    lite_rows, pg_rows = raw_rows(lite), raw_rows(pg)
    assert pg_rows.keys() == lite_rows.keys()
    differing = [k for k in lite_rows if pg_rows[k] != lite_rows[k]]
    assert not differing, differing[:5]

    for source in SQL_SOURCES:
        marks = load_watermarks(pg, source)
        assert marks, f"no watermark saved for {source}"
        assert marks == load_watermarks(lite, source), source
