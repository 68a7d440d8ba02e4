"""mart.profile_lookup (transforms/marts/mart_profile_lookup.sql) and the one-query path of
`warehouse.lookup.profile` it serves: the same dict, value by value (types, DECIMAL scale, dates, JSON text,
key and list order included), as the table-by-table path kept for builds without the mart - on the
hand-made warehouse of test_lookup_speed (every NULL and tie) and on every member of the built test city."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_lookup_speed import BIRTHS, MEMBERS, make_warehouse

from safetynet.settings import REPO_ROOT
from warehouse import lookup
from warehouse.query import LOOKUP_INDEXES, create_lookup_indexes

MODEL = REPO_ROOT / "transforms" / "marts" / "mart_profile_lookup.sql"


def same(a: Any, b: Any) -> bool:
    """Equal in value, type, text (Decimal scale) and key order, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and str(a) == str(b)


_HAS_TABLE = lookup.has_table


def _without_profile_lookup(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """has_table of a build published before mart.profile_lookup (profile() then reads table by table)."""
    return (schema, table) != ("mart", "profile_lookup") and _HAS_TABLE(con, schema, table)


def _outcome(con: duckdb.DuckDBPyConnection, id_number: str, with_reasons: bool = False) -> Any:
    try:
        return lookup.profile(con, id_number, with_reasons=with_reasons)
    except lookup.PersonNotFound as exc:
        return ("not found", str(exc))


def test_hand_made_warehouse_gives_the_same_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_warehouse(tmp_path / "current.duckdb")
    con = duckdb.connect(str(path))
    try:   # a column the model reads that test_lookup_speed's tables leave out: a DATE
        con.execute("ALTER TABLE mart.household_profile ADD COLUMN income_window_end DATE DEFAULT DATE '2026-04-30'")
        con.execute(f"CREATE TABLE mart.profile_lookup AS {MODEL.read_text(encoding='utf-8')}")
        assert "lookup_profile_lookup_household_id" in create_lookup_indexes(con)
    finally:
        con.close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        people = sorted({i for _, i, _ in MEMBERS} | set(BIRTHS))
        fast = {w: [_outcome(con, i, w) for i in people] for w in (False, True)}
        stored = con.execute("SELECT reasons FROM mart.eligibility WHERE household_id = 'H1'").fetchall()[0][0]
        docs = [r[0] for r in con.execute("SELECT doc FROM mart.profile_lookup").fetchall()]
        with monkeypatch.context() as m:
            m.setattr(lookup, "has_table", _without_profile_lookup)
            slow = {w: [_outcome(con, i, w) for i in people] for w in (False, True)}
    finally:
        con.close()
    assert sum(isinstance(f, tuple) for f in fast[False]) == 1   # P0, in no household
    for w in (False, True):
        assert all(same(f, s) for f, s in zip(fast[w], slow[w], strict=True))
    h1 = {w: next(f for f in fast[w] if isinstance(f, dict) and f["household"]["household_id"] == "H1")
          for w in (False, True)}
    assert str(h1[False]["profile"]["monthly_income_total"]) == "1234.50"
    # Reasons only when asked for (the doc leaves them out: see the model's header), as the stored JSON text.
    assert not any("reasons" in r for r in h1[False]["eligibility"]) and docs and not any("reasons" in d for d in docs)
    assert h1[True]["eligibility"][0]["reasons"] == stored and isinstance(stored, str)
    assert [{k: v for k, v in r.items() if k != "reasons"} for r in h1[True]["eligibility"]] == h1[False]["eligibility"]
    assert len(h1[False]["alerts"]) == 7 and h1[False]["members"][0]["relation_to_head"] == "本人"


def test_every_member_of_the_built_city_gets_the_same_profile(built_city, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, current = built_city
    con = duckdb.connect(str(current), read_only=True)
    try:
        members = [r[0] for r in con.execute("SELECT id_number FROM mart.household_member ORDER BY 1").fetchall()]
        assert con.execute("SELECT count(*) FROM mart.profile_lookup").fetchall()[0][0] == \
            con.execute("SELECT count(*) FROM mart.household").fetchall()[0][0]
        indexes = {r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes() WHERE schema_name = 'mart'")
                   .fetchall()}
        fast = [lookup.profile(con, i) for i in members]
        # with_reasons on every tenth member: the extra query is the same on both paths.
        sample = members[::10]
        fast_reasons = [lookup.profile(con, i, with_reasons=True) for i in sample]
        with monkeypatch.context() as m:
            m.setattr(lookup, "has_table", _without_profile_lookup)
            differ = sum(not same(f, lookup.profile(con, i)) for f, i in zip(fast, members, strict=True))
            differ += sum(not same(f, lookup.profile(con, i, with_reasons=True))
                          for f, i in zip(fast_reasons, sample, strict=True))
    finally:
        con.close()
    assert ("profile_lookup", "household_id") in LOOKUP_INDEXES and "lookup_profile_lookup_household_id" in indexes
    assert members and differ == 0
    assert any(f["alerts"] for f in fast) and any(f["eligibility"] for f in fast)
    assert all(r["reasons"].startswith("[") for f in fast_reasons for r in f["eligibility"])
    # Eligibility in the policy's program order, whatever the table's physical order.
    assert all([r["program"] for r in f["eligibility"]] == list(lookup.PROGRAMS) for f in fast if f["eligibility"])
