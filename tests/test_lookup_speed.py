"""The fast path of `warehouse.lookup.profile` (single-table point queries, per-connection build constants,
sorting in Python) on a hand-made published warehouse: the same rows and order as the SQL it replaced, the
constants read once per read-only connection and never cached for a writable one. No timing here: the
speed is measured by benchmarks/warehouse_full.py."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from safetynet.idnumber import check_char
from safetynet.privacy import mask_id
from warehouse import lookup

AS_OF = date(2026, 5, 27)


def _id(birth: str, seq: int) -> str:
    first17 = f"370481{birth}{seq:03d}"
    return first17 + check_char(first17)


# Household H1: the person (本人), a spouse and a child born the same day (ordered by ID), a member with an
# unknown birth date, one with no relation recorded (whose mart.person row places them in no household, so
# it is read by ID) and one with no mart.person row. H2: one member, no alert, no profile row. P0 is a
# person in no household.
SELF, SPOUSE, KID_A, KID_B = _id("19800101", 11), _id("19820202", 22), _id("20100303", 33), _id("20100303", 44)
UNDATED, NO_RELATION, NO_PERSON, LONER, P0 = (_id("19700404", 55), _id("19600505", 66), _id("19500606", 77),
                                              _id("19900707", 88), _id("19950808", 99))
MEMBERS = [("H1", KID_B, "子女"), ("H1", NO_RELATION, None), ("H1", SELF, "本人"), ("H1", UNDATED, "父母"),
           ("H1", KID_A, "子女"), ("H1", SPOUSE, "配偶"), ("H1", NO_PERSON, "其他"), ("H2", LONER, "本人")]
BIRTHS = {SELF: date(1980, 1, 1), SPOUSE: date(1982, 2, 2), KID_A: date(2010, 3, 3), KID_B: date(2010, 3, 3),
          UNDATED: None, NO_RELATION: date(1960, 5, 5), LONER: date(1990, 7, 7), P0: date(1995, 8, 8)}
#: (alert_id, severity, status, first_seen, code): every tie-breaker of the ORDER BY, NULLs included.
ALERTS = [("a1", "low", "new", date(2026, 5, 1), "C1"), ("a2", "high", "open", None, "C1"),
          ("a3", "high", "new", date(2026, 5, 2), "C2"), ("a4", "high", "new", date(2026, 5, 2), "C1"),
          ("a5", "medium", "resolved", date(2026, 5, 1), "C1"), ("a6", None, "open", date(2026, 4, 1), "C1"),
          ("a7", "odd", "new", date(2026, 4, 1), None), ("a8", "high", "new", date(2026, 5, 2), "C1")]
#: The ORDER BY the Python sort replaces (warehouse.lookup before the fast path).
ALERT_ORDER = """ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, first_seen, code,
                          alert_id"""
MEMBER_ORDER = "ORDER BY m.relation_to_head = '本人' DESC, p.birth_date, m.id_number"


def make_warehouse(path: Path, *, with_alerts: bool = True, with_eligibility: bool = True) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA meta; CREATE SCHEMA mart; CREATE SCHEMA stg")
        con.execute("CREATE TABLE meta.build_info AS SELECT 'b1' AS build_id, DATE '2026-05-27' AS as_of")
        con.execute("CREATE TABLE stg.policy__parameters (name VARCHAR, area VARCHAR, value DECIMAL(18, 2), "
                    "is_in_effect BOOLEAN)")
        con.execute("INSERT INTO stg.policy__parameters VALUES ('dibao', 'urban', 1060, true), "
                    "('dibao', 'urban', 1000, false), ('dibao', 'rural', 820, true)")
        con.execute("CREATE TABLE mart.source_freshness (source VARCHAR, as_of DATE, is_stale BOOLEAN)")
        con.execute("INSERT INTO mart.source_freshness VALUES ('tax', DATE '2026-05-20', false), "
                    "('hukou', DATE '2026-05-26', false), ('bank', NULL, true)")
        con.execute("CREATE TABLE mart.household (household_id VARCHAR, kind VARCHAR, town VARCHAR, "
                    "member_count BIGINT)")
        con.execute("INSERT INTO mart.household VALUES ('H1', 'family', '荆河街道', 7), ('H2', 'family', '滨湖镇', 1)")
        con.execute("CREATE TABLE mart.household_member (household_id VARCHAR, id_number VARCHAR, "
                    "relation_to_head VARCHAR, is_covered BOOLEAN)")
        con.executemany("INSERT INTO mart.household_member VALUES (?, ?, ?, true)", MEMBERS)
        con.execute("CREATE TABLE mart.person (id_number VARCHAR, name VARCHAR, sex VARCHAR, birth_date DATE, "
                    "is_alive BOOLEAN, death_date DATE, hukou_status VARCHAR, town VARCHAR, household_id VARCHAR, "
                    "sources VARCHAR[])")
        placed = {i: h for h, i, _ in MEMBERS if i != NO_RELATION}
        con.executemany("INSERT INTO mart.person VALUES (?, '某某', '男', ?, true, NULL, '正常', '荆河街道', ?, ?)",
                        [(i, d, placed.get(i), ["hukou", "tax"] if i == SELF else ["hukou"])
                         for i, d in BIRTHS.items()])
        con.execute("CREATE TABLE mart.household_profile (household_id VARCHAR, monthly_income_total DECIMAL(18, 2))")
        con.execute("INSERT INTO mart.household_profile VALUES ('H1', 1234.50)")
        if with_eligibility:
            con.execute("CREATE TABLE mart.eligibility (household_id VARCHAR, program VARCHAR, eligible BOOLEAN, "
                        """reasons JSON DEFAULT '[{"rule": "x", "v": 1.50}]')""")
            con.execute("INSERT INTO mart.eligibility (household_id, program, eligible) VALUES ('H1', 'DIBAO', true), "
                        "('H1', 'TEKUN', false), ('H2', 'DIBAO', NULL)")
        if with_alerts:
            con.execute("CREATE TABLE mart.alert (alert_id VARCHAR, code VARCHAR, title_zh VARCHAR, "
                        "severity VARCHAR, status VARCHAR, household_id VARCHAR, id_number VARCHAR, "
                        "first_seen DATE, last_seen DATE, evidence JSON, disposition VARCHAR)")
            con.executemany("INSERT INTO mart.alert VALUES (?, ?, '标题', ?, ?, 'H1', ?, ?, DATE '2026-05-27', ?, "
                            "NULL)", [(a, code, sev, status, SELF, seen,
                                       json.dumps({"source": "tax", "record_key": a}))
                                      for a, sev, status, seen, code in ALERTS])
    finally:
        con.close()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "current.duckdb")


def _read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def test_members_and_alerts_come_in_the_sql_order(warehouse: Path) -> None:
    con = _read_only(warehouse)
    try:
        data = lookup.profile(con, KID_A)
        members = [r[0] for r in con.execute(f"""
            SELECT m.id_number FROM mart.household_member m LEFT JOIN mart.person p USING (id_number)
            WHERE m.household_id = 'H1' {MEMBER_ORDER}""").fetchall()]
        alerts = [r[0] for r in con.execute(
            f"SELECT alert_id FROM mart.alert WHERE status IN ('new', 'open') {ALERT_ORDER}").fetchall()]
    finally:
        con.close()
    assert [m["id_number"] for m in data["members"]] == members
    assert members[0] == SELF and members[-1] == NO_RELATION   # sanity of the reference order
    assert data["person"]["id_number"] == KID_A and data["household"]["household_id"] == "H1"
    assert next(m for m in data["members"] if m["id_number"] == NO_PERSON)["name"] is None
    assert next(m for m in data["members"] if m["id_number"] == NO_RELATION)["birth_date"] == date(1960, 5, 5)
    assert list(data["members"][0]) == ["id_number", "name", "sex", "birth_date", "is_alive", "death_date",
                                        "relation_to_head", "is_covered", "hukou_status", "town", "sources"]
    assert [a["alert_id"] for a in data["alerts"]] == alerts
    assert "a5" not in alerts and all("evidence" not in a and a["evidence_summary"] for a in data["alerts"])
    assert data["profile"] == {"household_id": "H1", "monthly_income_total": pytest.approx(1234.5)}
    assert [e["program"] for e in data["eligibility"]] == ["DIBAO", "TEKUN"]


def test_build_constants_and_freshness(warehouse: Path) -> None:
    con = _read_only(warehouse)
    try:
        first = lookup.profile(con, SELF)
        first["freshness"][0]["source"] = "changed by a caller"
        first["parameters"].clear()
        again = lookup.profile(con, LONER)
    finally:
        con.close()
    assert (again["build_id"], again["as_of"]) == ("b1", AS_OF)
    assert again["parameters"] == {"dibao/urban": 1060, "dibao/rural": 820}
    assert [(f["source"], f["name_zh"]) for f in again["freshness"]] == [
        ("bank", "银行存款（省级核对平台）"), ("hukou", "户籍（公安）"), ("tax", "个人所得税（税务）")]
    assert [f["members_found"] for f in first["freshness"]] == [0, 6, 1]   # 6 members with a person row
    assert [f["members_found"] for f in again["freshness"]] == [0, 1, 0]
    assert again["profile"] is None and again["alerts"] == [] and again["eligibility"][0]["eligible"] is None


def test_a_writable_connection_is_never_cached(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        assert lookup.profile(con, SELF)["build_id"] == "b1"
        con.execute("UPDATE meta.build_info SET build_id = 'b2'")
        con.execute("UPDATE mart.alert SET status = 'resolved'")
        later = lookup.profile(con, SELF)
    finally:
        con.close()
    assert later["build_id"] == "b2" and later["alerts"] == []


def test_each_read_only_connection_reads_its_own_build(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "current.duckdb")
    con = _read_only(path)
    try:
        assert lookup.profile(con, SELF)["build_id"] == "b1"
    finally:
        con.close()
    writer = duckdb.connect(str(path))
    writer.execute("UPDATE meta.build_info SET build_id = 'b2'")
    writer.close()
    con = _read_only(path)
    try:
        assert lookup.profile(con, SELF)["build_id"] == "b2"
    finally:
        con.close()


def test_unpublished_alert_and_eligibility_tables_read_as_none(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "current.duckdb", with_alerts=False, with_eligibility=False)
    con = _read_only(path)
    try:
        data = lookup.profile(con, SELF)
    finally:
        con.close()
    assert data["alerts"] is None and data["eligibility"] is None and len(data["members"]) == 7


def test_a_person_in_no_household_is_not_found_with_a_masked_message(warehouse: Path) -> None:
    con = _read_only(warehouse)
    try:
        with pytest.raises(lookup.PersonNotFound) as outside:
            lookup.profile(con, P0)
        with pytest.raises(lookup.PersonNotFound) as unknown:
            lookup.household_of(con, _id("19990909", 12))
    finally:
        con.close()
    assert "未归入任何家庭" in str(outside.value) and mask_id(P0) in str(outside.value) and P0 not in str(outside.value)
    assert "无记录" in str(unknown.value)


def test_household_alerts_alone_matches_the_profile(warehouse: Path) -> None:
    con = _read_only(warehouse)
    try:
        assert lookup.household_alerts(con, "H1") == lookup.profile(con, SELF)["alerts"]
        assert lookup.household_alerts(con, "H2") == []
    finally:
        con.close()
