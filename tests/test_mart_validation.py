"""The Great Expectations validation of the marts (warehouse/checks.py, expectations/suites_marts.py).

Each invariant is broken in a writable copy of a built warehouse and must be caught by GX (table, rule and a
masked key in the message); a build whose marts break one is not published; a normal build passes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from expectations import suites_marts
from safetynet.privacy import mask_id
from warehouse import build, checks

pytestmark = pytest.mark.slow

#: A valid alert (mart.alert is empty in the small city); each alert case breaks one field of it.
_ALERT = ("INSERT INTO mart.alert BY NAME SELECT 'A-test' AS alert_id, 'DEATH_STILL_PAID' AS code, "
          "'high' AS severity, h.household_id, NULL AS id_number, h.town, DATE '2026-05-20' AS first_seen, "
          "DATE '2026-05-27' AS last_seen, 'open' AS status, NULL AS resolved_on, '{}'::JSON AS evidence, "
          "1 AS rule_version, DATE '2026-05-27' AS as_of FROM mart.household h ORDER BY h.household_id LIMIT 1")
_ONE_PERSON = "(SELECT min(id_number) FROM mart.household_member)"
_ONE_HOUSEHOLD = "(SELECT min(household_id) FROM mart.household_profile WHERE member_count > 1)"

#: (case, suite table, rule expected to fail, SQL breaking it).
CASES: list[tuple[str, str, str, list[str]]] = [
    ("person key duplicated", "person", "unique_key",
     [f"INSERT INTO mart.person SELECT * FROM mart.person WHERE id_number = {_ONE_PERSON}"]),
    ("person key null", "person", "not_null",
     ["UPDATE mart.person SET id_number = NULL WHERE id_number = (SELECT min(id_number) FROM mart.person "
      "WHERE NOT is_household_member)"]),
    ("sex not from the ID", "person", "sex_matches_id",
     [f"UPDATE mart.person SET sex = CASE sex WHEN '男' THEN '女' ELSE '男' END WHERE id_number = {_ONE_PERSON}"]),
    ("sex unknown", "person", "in_set", [f"UPDATE mart.person SET sex = '未知' WHERE id_number = {_ONE_PERSON}"]),
    ("member without household", "household_member", "fk_household_id_household",
     [f"UPDATE mart.household_member SET household_id = 'JZ-missing' WHERE id_number = {_ONE_PERSON}"]),
    ("member not a person", "household_member", "fk_id_number_person",
     [f"DELETE FROM mart.person WHERE id_number = {_ONE_PERSON}"]),
    ("member twice", "household_member", "unique_key",
     [f"INSERT INTO mart.household_member SELECT * FROM mart.household_member WHERE id_number = {_ONE_PERSON}"]),
    ("eligibility without household", "eligibility", "fk_household_id_household",
     [f"UPDATE mart.eligibility SET household_id = 'JZ-missing' WHERE household_id = {_ONE_HOUSEHOLD} "
      "AND program = 'TEKUN'"]),
    ("profile without household", "household_profile", "fk_household_id_household",
     [f"UPDATE mart.household_profile SET household_id = 'JZ-missing' WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("household member_count wrong", "household", "member_count_is_members",
     [f"UPDATE mart.household SET member_count = member_count + 1 WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("profile member_count wrong", "household_profile", "member_count_is_members",
     [f"UPDATE mart.household_profile SET member_count = member_count - 1 WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("household without profile", "household", "one_profile",
     [f"DELETE FROM mart.household_profile WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("income types do not sum up", "household_profile", "income_types_sum_to_total",
     [f"UPDATE mart.household_profile SET income_pension = income_pension + 0.05 "
      f"WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("per capita not total / members", "household_profile", "per_capita_is_total_per_member",
     [f"UPDATE mart.household_profile SET monthly_income_per_capita = monthly_income_per_capita + 0.02 "
      f"WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("per capita with 0 members", "household_profile", "per_capita_is_total_per_member",
     ["UPDATE mart.household_profile SET monthly_income_per_capita = 0 WHERE member_count = 0"]),
    ("negative amount", "household_profile", "amounts_non_negative",
     [f"UPDATE mart.household_profile SET medical_out_of_pocket_12m = -1 WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("more elderly than members", "household_profile", "counts_within_members",
     [f"UPDATE mart.household_profile SET elderly_count = member_count + 1 WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("three programs", "household", "four_programs",
     [f"DELETE FROM mart.eligibility WHERE household_id = {_ONE_HOUSEHOLD} AND program = 'TEKUN'"]),
    ("unknown program", "eligibility", "in_set",
     [f"UPDATE mart.eligibility SET program = 'WUBAO' WHERE household_id = {_ONE_HOUSEHOLD} AND program = 'TEKUN'"]),
    ("program twice", "eligibility", "unique_key",
     [f"INSERT INTO mart.eligibility SELECT * FROM mart.eligibility WHERE household_id = {_ONE_HOUSEHOLD} "
      "AND program = 'DIBAO'"]),
    ("negative standard", "eligibility", "non_negative_standard_amount",
     [f"UPDATE mart.eligibility SET standard_amount = -1 WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("eligible with 0 members", "eligibility", "none_without_members",
     ["UPDATE mart.eligibility SET eligible = true WHERE household_id IN "
      "(SELECT household_id FROM mart.household_profile WHERE member_count = 0)"]),
    ("edge with dibao", "eligibility", "edge_excludes_dibao_tekun",
     [f"UPDATE mart.eligibility SET eligible = program IN ('DIBAO', 'DIBAO_EDGE') "
      f"WHERE household_id = {_ONE_HOUSEHOLD}"]),
    ("alert status unknown", "alert", "in_set", [_ALERT, "UPDATE mart.alert SET status = 'closed'"]),
    ("alert severity unknown", "alert", "in_set", [_ALERT, "UPDATE mart.alert SET severity = 'critical'"]),
    ("alert last_seen before first_seen", "alert", "pair_greater",
     [_ALERT, "UPDATE mart.alert SET first_seen = DATE '2026-05-26', last_seen = DATE '2026-05-25'"]),
    ("alert seen after as_of", "alert", "pair_greater",
     [_ALERT, "UPDATE mart.alert SET last_seen = DATE '2026-05-28'"]),
    ("alert resolved without date", "alert", "resolved_on_iff_resolved",
     [_ALERT, "UPDATE mart.alert SET status = 'resolved'"]),
    ("alert open with resolved_on", "alert", "resolved_on_iff_resolved",
     [_ALERT, "UPDATE mart.alert SET resolved_on = DATE '2026-05-26'"]),
    ("alert id_number malformed", "alert", "id_format_id_number",
     [_ALERT, "UPDATE mart.alert SET id_number = '37048119900101123'"]),
]


@pytest.fixture()
def writable_copy(built_city, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the built city's published warehouse."""
    _, _, current = built_city
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(current, copy)
    copy.chmod(0o644)
    con = duckdb.connect(str(copy))
    try:
        yield con
    finally:
        con.close()


def _suite(table: str) -> suites_marts.MartSuite:
    return next(s for s in suites_marts.SUITES if s.table == table)


def test_published_build_passes_every_suite(writable_copy: duckdb.DuckDBPyConnection) -> None:
    assert checks.validate_expectations(writable_copy) == []
    # The scratch database is detached again: nothing of the validation stays in the build.
    assert checks.SCRATCH not in {r[0] for r in writable_copy.execute("SELECT database_name FROM duckdb_databases()")
                                  .fetchall()}


@pytest.mark.parametrize(("table", "rule", "sql"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_invariant_is_caught(writable_copy: duckdb.DuckDBPyConnection, table: str, rule: str,
                                    sql: list[str]) -> None:
    for statement in sql:
        assert writable_copy.execute(statement).fetchall() != [(0,)], f"nothing changed: {statement}"
    failures = checks.validate_expectations(writable_copy, [_suite(table)])
    hits = [f for f in failures if f.startswith(f"mart.{table}: expectation {rule}")]
    assert hits, failures
    assert "e.g. " in hits[0] and not hits[0].endswith("e.g. -"), hits[0]


def test_offending_keys_are_named_and_masked(writable_copy: duckdb.DuckDBPyConnection) -> None:
    ids = [r[0] for r in writable_copy.execute(
        "SELECT id_number FROM mart.household_member ORDER BY id_number LIMIT 7").fetchall()]
    writable_copy.execute("UPDATE mart.person SET sex = CASE sex WHEN '男' THEN '女' ELSE '男' END "
                          "WHERE id_number IN (SELECT unnest($ids))", {"ids": ids})
    (message,) = checks.validate_expectations(writable_copy, [_suite("person")])
    assert message.startswith("mart.person: expectation sex_matches_id: 7 of ")
    shown = [i for i in ids if mask_id(i) in message]
    assert len(shown) == checks.FAILURE_SAMPLE
    assert not any(i in message for i in ids)


def test_gx_sql_path_returns_results_only_with_autocommit_connections(
        writable_copy: duckdb.DuckDBPyConnection) -> None:
    """The root cause of GX #10738 / #11579: duckdb-engine's transaction is rolled back when GX releases the
    connection, before GX fetches the result - which a DuckDB ROLLBACK discards."""
    import sqlalchemy as sa
    from duckdb_engine import ConnectionWrapper

    query = sa.text("SELECT count(*) FROM mart.household")

    def released_then_fetched(creator) -> list:
        engine = sa.create_engine("duckdb:///:memory:", creator=creator)
        try:
            with engine.connect() as connection:  # as GX's execute_query does
                result = connection.execute(query)
            return result.fetchall()
        finally:
            engine.dispose()

    assert released_then_fetched(lambda: ConnectionWrapper(writable_copy.cursor())) == []
    n = writable_copy.execute("SELECT count(*) FROM mart.household").fetchall()
    assert released_then_fetched(checks._read_only_connections(writable_copy)) == n


def test_suites_reject_checks_gx_cannot_run_on_duckdb() -> None:
    from expectations.suites import matches, unique

    with pytest.raises(ValueError, match="SQL path"):
        suites_marts.MartSuite("person", ["id_number"], [matches("id_number", r"^\d+$")])
    with pytest.raises(ValueError, match="SQL path"):
        suites_marts.MartSuite("person", ["id_number"], [unique("id_number")])


def test_violating_build_is_not_published(built_city, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, exchange, _ = built_city
    from safetynet.settings import Settings

    shutil.copytree(settings.home, tmp_path / "home", symlinks=True)
    own = Settings(home=tmp_path / "home", exchange=exchange, frontdb_urls=settings.frontdb_urls)
    current = build.current_path(own)
    before = (current.stat().st_ino, build.content_hash(current))
    run = build.runner.run

    def run_then_break(con, *args, **kwargs):
        report = run(con, *args, **kwargs)
        con.execute("UPDATE mart.household_profile SET income_wage = income_wage + 100 "
                    f"WHERE household_id = {_ONE_HOUSEHOLD}")
        return report

    monkeypatch.setattr(build.runner, "run", run_then_break)
    with pytest.raises(build.BuildError, match=r"mart\.household_profile: expectation income_types_sum_to_total"):
        build.build(own, "2026-05-27")
    assert (current.stat().st_ino, build.content_hash(current)) == before
    assert list(build.builds_dir(own).glob("*.failed.duckdb"))
