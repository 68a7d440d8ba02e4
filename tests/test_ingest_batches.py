"""Ingest at scale: many small deliveries validated in one GX run, large SQL extracts in bounded chunks.

Both must give exactly what validating each delivery whole gives: the same accepted rows, quarantine
issues, warnings and failed checks per delivery, the same stores and accounting.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from test_connectors_sql_xlsx_bank import check_medical, medical_extract, quarantined, raw_rows
from test_expectations import ID_HEAD, RECORDS, hukou_table, make_settings, person

from connectors import sqlsource
from connectors.medical import TABLES
from expectations import runner


def outcome(r: runner.ValidationResult) -> tuple:
    return (r.accepted.to_pylist(), r.issues, r.warnings, r.warn_rows, r.failed, r.checks_failed)


def test_validate_many_equals_validating_each_delivery_alone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    # Row 7 repeats row 1's ID (quirk duplicate_household): a warning when both are in one delivery, nothing
    # when they are in two - uniqueness is per delivery, also when deliveries are validated together.
    first = hukou_table(RECORDS[:4], "HJRK_20250301.csv")
    second = hukou_table(RECORDS[4:], "HJRK_20250302.csv")
    empty = hukou_table([], "HJRK_20250303.csv")
    both = hukou_table([*RECORDS, person(ID_HEAD, hukou_no="000999998", relation="其他")], "HJRK_20250304.csv")
    items = [("HJRK_20250301", first), ("HJRK_20250303", empty), ("HJRK_20250302", second), ("HJRK_20250304", both)]
    together = runner.validate_many(settings, "hukou", "person", items)
    alone = [runner.validate(settings, "hukou", "person", t, d, publish=False) for d, t in items]
    assert [outcome(r) for r in together] == [outcome(r) for r in alone]
    assert "unique:id_number" not in together[0].failed + together[2].failed
    assert together[3].warn_rows["unique:id_number"] == 3
    assert together[3].failed.count("unique:id_number+hukou_no") == 0
    # one stored result for the group, published once
    assert len({id(r.docs_key) for r in together if r.docs_key is not None}) == 1
    (page,) = runner.publish_docs(settings, [together[0].docs_key])
    assert page is not None and page.is_file() and "HJRK_20250301..HJRK_20250304" in str(page)


def test_merged_docs_add_up_the_chunks(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    session = runner.Session(settings, "hukou", "person")
    session.validate([("HJRK_X", hukou_table(RECORDS[:4]))], docs_name="HJRK_X")
    session.validate([("HJRK_X", hukou_table(RECORDS[4:]))], docs_name="HJRK_X")
    data = session._docs["HJRK_X"]
    assert data["meta"]["batch_kwargs"]["rows"] == len(RECORDS)
    by_check = {r["expectation_config"]["meta"]["check"]: r for r in data["results"]}
    assert by_check["in_set:ethnicity"]["result"]["unexpected_count"] == 1
    assert by_check["in_set:ethnicity"]["result"]["element_count"] == len(RECORDS)
    assert not by_check["in_set:ethnicity"]["success"] and by_check["not_null:name"]["success"]
    assert data["statistics"]["unsuccessful_expectations"] == sum(not r["success"] for r in data["results"])
    assert session.store_docs("HJRK_X") is not None and session.store_docs("HJRK_X") is None


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_chunked_sql_extract_stores_what_a_whole_extract_stores(tmp_path: Path, monkeypatch,
                                                                chunk_rows: int) -> None:
    whole = make_settings(tmp_path / "whole")
    path = whole.landing / "frontdb" / "medical.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    check_medical(whole, medical_extract(whole, sa.create_engine(f"sqlite:///{path}")))

    monkeypatch.setattr(sqlsource, "CHUNK_ROWS", chunk_rows)
    chunked = make_settings(tmp_path / "chunked")
    path = chunked.landing / "frontdb" / "medical.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    check_medical(chunked, medical_extract(chunked, sa.create_engine(f"sqlite:///{path}")))
    for entity in ("settlement", "enrollment"):
        assert raw_rows(chunked, "medical", entity) == raw_rows(whole, "medical", entity)
    assert quarantined(chunked, "medical") == quarantined(whole, "medical")
    for name in ("yb_settlement_20260528", "yb_enrollment_20260528"):
        a = (whole.state_dir / "source_run" / "medical" / f"{name}.json").read_text("utf-8")
        b = (chunked.state_dir / "source_run" / "medical" / f"{name}.json").read_text("utf-8")
        assert a.replace(" ", "") == b.replace(" ", "")
    assert sqlsource.load_watermarks(chunked, "medical") == sqlsource.load_watermarks(whole, "medical")


def test_read_chunks_numbers_rows_across_chunks_and_yields_one_empty_table(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    path = settings.landing / "frontdb" / "medical.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    medical_extract(settings, sa.create_engine(f"sqlite:///{path}"))
    engine = sqlsource.frontdb.engine(f"sqlite:///{path}")
    settlement = TABLES[1]
    chunks = list(sqlsource.read_chunks(engine, settlement, None, "2026-05-28 00:00:00", chunk_rows=10))
    assert [c.num_rows for c in chunks] == [10] * 6 + [5]
    assert pa.concat_tables(chunks).column("_row").to_pylist() == list(range(1, 66))
    whole, top = sqlsource.read_table(engine, settlement, None, "2026-05-28 00:00:00")
    assert whole.equals(pa.concat_tables(chunks)) and top == "2026-05-26 20:00:01"
    (none,) = sqlsource.read_chunks(engine, settlement, "2026-05-27 00:00:00", "2026-05-28 00:00:00")
    assert none.num_rows == 0 and none.column_names == whole.column_names
    engine.dispose()


@pytest.mark.postgres
def test_chunked_extract_from_postgresql_streams_like_sqlite(tmp_path: Path, monkeypatch, pg_database: str) -> None:
    """PostgreSQL extracts are streamed through a server-side (named) cursor; chunked, they store the same
    rows as a whole SQLite extract."""
    whole = make_settings(tmp_path / "sqlite")
    path = whole.landing / "frontdb" / "medical.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    check_medical(whole, medical_extract(whole, sa.create_engine(f"sqlite:///{path}")))

    monkeypatch.setattr(sqlsource, "CHUNK_ROWS", 7)
    pg = make_settings(tmp_path / "pg")
    pg = type(pg)(home=pg.home, exchange=pg.exchange, frontdb_urls={**pg.frontdb_urls, "medical": pg_database})
    engine = sa.create_engine(pg_database)
    try:
        check_medical(pg, medical_extract(pg, engine))
    finally:
        engine.dispose()
    strip = [{k: v for k, v in r.items() if k != "_row"} for r in raw_rows(pg, "medical", "settlement")]
    assert sorted(map(repr, strip)) == sorted(repr({k: v for k, v in r.items() if k != "_row"})
                                              for r in raw_rows(whole, "medical", "settlement"))
