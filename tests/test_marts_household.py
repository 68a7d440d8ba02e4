"""Households and persons (policy section 2): stg deaths/assistance, int person_deaths, hukou_registration,
household_assignment, mart person / household / household_member.

(a) A tiny raw store written here - Parquet files shaped exactly like the connectors' entities, lineage
    columns included - built and published by `warehouse.build.build`; one assertion per placement rule,
    tie-break and exclusion of policy section 2.
(b) `slow`: a simulated city ingested through the real connectors and built as of 2026-05-27, compared with
    the simulator's planted truth (`_truth/households.jsonl`, `_truth/persons.jsonl`), plus city-wide
    invariants. Agreement figures are printed (`pytest -s`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from connectors import assistance, cremation, deaths, hukou
from connectors.columns import schema_of
from safetynet.idnumber import check_char, normalize_id
from safetynet.settings import Settings
from warehouse import build, query, raw

AS_OF = date(2026, 5, 27)
D25, D26, D27 = date(2026, 5, 25), date(2026, 5, 26), date(2026, 5, 27)
ONE_DAY = timedelta(days=1)      # a night delivery's file date is its business date + 1
TABLES = {t.entity: t for t in assistance.TABLES}


def pid(n: int, birth: str = "19700101", area: str = "370481") -> str:
    """A valid 18-digit ID number; sequence n (odd = male)."""
    first17 = f"{area}{birth}{n:03d}"
    return first17 + check_char(first17)


def legacy15(id18: str) -> str:
    return id18[:6] + id18[8:17]


def _id(col: str, value: str | None) -> dict[str, Any]:
    r = normalize_id(value)
    return {col: r.normal, f"{col}_status": r.status, f"{col}_raw": value}


# --- persons of the tiny city ----------------------------------------------------------------------------

A1, A2, A3, E11 = pid(11), pid(12), pid(13), pid(111)                 # family F1 / hukou H1
B1, B2 = pid(21), pid(23)                                              # in two active families
C1, C2, C3, C4, C5, C6, C7 = (pid(n) for n in (31, 32, 33, 35, 37, 39, 41))   # applications
D1, D2, D4 = pid(51), pid(53), pid(55)                                 # listed in two 户号
E1, E2, E3, E4, E5, E6 = (pid(n) for n in (61, 62, 63, 65, 67, 69))
E7, E8, E9, E10, E12, E13 = (pid(n, "19400101") for n in (71, 73, 75, 77, 79, 81))

F1, F2, F3, F4, F5, F6, F7, F8, F9 = (f"JZ37048100000000{n:02d}" for n in range(1, 10))
AP1, AP2, AP3, AP4 = "SQ20260501000001", "SQ20260501000002", "SQ20260510000001", "SQ20260401000001"
H = {n: f"0000000{n:02d}" for n in range(1, 14)}


def _person(id_number: str, hukou_no: str, *, name: str = "张某", rel: str = "其他", status: str = "正常",
            status_date: date | None = None, town: str = "洪绪镇", village: str = "后屯村",
            address: str | None = None, sex: str | None = None) -> dict[str, Any]:
    sex = sex or ("男" if int(id_number[16]) % 2 else "女")
    return {**_id("id_number", id_number), "name": name, "sex": sex, "ethnicity": "汉族",
            "birth_date": _birth(id_number), "hukou_no": hukou_no,
            "relation_to_head": rel, "address": address or f"山东省滕州市{town}{village}{hukou_no[-2:]}号",
            "town": town, "village": village, "status": status, "status_date": status_date,
            "marital_status": "已婚", "education": "初中"}


def hukou_snapshot(day: date, corrected_away: bool = False) -> list[dict[str, Any]]:
    """The register on `day`. D1 gains 户号 H4 on 05-26. D4 is registered in H9 from 05-26 and in H8 from
    05-27; the 05-26 original snapshot lists him in H8 too, by mistake, and its _R1 corrects that away
    (were the original counted, H8 and H9 would tie and the greater, H9, would win)."""
    rows = [
        _person(A1, H[1], rel="户主", town="北辛街道", village="杏坛社区"),
        _person(A2, H[1], rel="配偶", town="北辛街道", village="杏坛社区"),
        _person(A3, H[1], rel="子", town="北辛街道", village="杏坛社区"),
        _person(E11, H[1], rel="父亲", status="死亡", status_date=date(2026, 3, 1), town="北辛街道",
                village="杏坛社区"),
        _person(C1, H[2], rel="户主", town="北辛街道", village="杏坛社区"),
        _person(C3, H[2], rel="子"), _person(C6, H[2], rel="女"),
        _person(C7, H[13], rel="户主"),
        _person(D1, H[3], rel="户主"),
        _person(D2, H[5], rel="户主"), _person(D2, H[6], rel="户主"),
        _person(E2, H[10], address="山东省滕州市荆河街道荆河中学集体户", town="荆河街道", village="杏坛社区"),
        _person(E3, H[10], address="山东省滕州市荆河街道荆河中学集体户", town="荆河街道", village="杏坛社区"),
        _person(E4, H[11], status="迁出", status_date=date(2026, 2, 1)),
        _person(E5, H[11], status="注销", status_date=date(2026, 2, 1)),
        _person(E6, H[11], status="死亡", status_date=date(2026, 4, 20)),
        _person(E7, H[11], rel="户主"), _person(E8, H[11], rel="配偶"), _person(E9, H[11], rel="兄弟姐妹"),
        _person(E10, H[11], rel="其他", name="王五"), _person(E13, H[11], rel="其他"),
        _person(E12, H[12], rel="户主"),
    ]
    if day >= D26:
        rows += [_person(D1, H[4], rel="子"), _person(D4, H[9], rel="户主")]
        if not corrected_away:
            rows.append(_person(D4, H[8], rel="子"))
    if day >= D27:
        rows.append(_person(D4, H[8], rel="子"))
    return rows


def _family(no: str, applicant: str, *, category: str = "农村低保", status: str = "在保", approved: date,
            town: str = "洪绪镇", deleted: str = "0", updated: str = "2026-05-01 10:00:00") -> dict[str, Any]:
    return {"family_no": no, **_id("applicant_id_number", applicant), "applicant_name": "张某", "category": category,
            "covered_count": 9, "monthly_amount": None, "approval_date": approved, "start_month": "202501",
            "end_month": "202604" if status == "停保" else None, "status": status, "town": town, "village": "后屯村",
            "updated_at": datetime.fromisoformat(updated), "deleted_flag": deleted}


def _member(family: str, who: str, rel: str = "本人", covered: str = "是", deleted: str = "0",
            updated: str = "2026-05-01 10:00:00", name: str = "张某") -> dict[str, Any]:
    return {"family_no": family, **_id("member_id_number", who), "member_name": name, "relation_to_applicant": rel,
            "is_covered": covered, "health": "健康", "work_capacity": "有", "updated_at": datetime.fromisoformat(updated),
            "deleted_flag": deleted}


def _application(no: str, applicant: str, applied: date, status: str = "已受理", town: str = "洪绪镇",
                 updated: str = "2026-05-20 10:00:00") -> dict[str, Any]:
    return {"application_no": no, **_id("applicant_id_number", applicant), "applicant_name": "张某",
            "application_date": applied, "category": "低保", "town": town, "authorization_signed": "否",
            "authorization_date": None, "pledge_signed": "是", "status": status,
            "updated_at": datetime.fromisoformat(updated)}


def _app_member(no: str, who: str, rel: str, deleted: str = "0") -> dict[str, Any]:
    return {"application_no": no, **_id("member_id_number", who), "member_name": "张某",
            "relation_to_applicant": rel, "updated_at": datetime.fromisoformat("2026-05-20 10:00:00"),
            "deleted_flag": deleted}


def _certificate(no: str, who: str | None, died: str, issued: date, *, birth: date | None = None,
                 name: str = "张某") -> dict[str, Any]:
    return {"certificate_no": no, "name": name, "id_type": "居民身份证" if who else "无", **_id("id_number", who),
            "sex": "男", "birth_date": birth or _birth(who), "death_time": datetime.fromisoformat(died),
            "death_place_type": "家中", "residence_address": "山东省滕州市洪绪镇后屯村11号", "issue_date": issued}


def _birth(id18: str | None) -> date:
    return datetime.strptime(id18[6:14], "%Y%m%d").date() if id18 else date(1940, 1, 1)


def _cremation(no: str, who: str, died: date, deleted: str = "0", name: str = "张某") -> dict[str, Any]:
    return {"registration_no": no, "name": name, **_id("id_number", who), "death_date": died,
            "cremation_date": died, "funeral_home": "滕州市殡仪馆",
            "updated_at": datetime.fromisoformat(f"{died.isoformat()} 12:00:00"), "deleted_flag": deleted}


def _write(settings: Settings, source: str, entity: str, schema: pa.Schema, day: date, delivery: str,
           rows: list[dict[str, Any]]) -> None:
    lineage = {"_source": source, "_delivery": delivery, "_file": f"{delivery}.csv", "_business_date": day}
    data = [{**r, **lineage, "_row": i} for i, r in enumerate(rows, 1)]
    raw.write(settings, source, entity, day, delivery, pa.Table.from_pylist(data, schema=schema))


def _assist(settings: Settings, entity: str, day: date, rows: list[dict[str, Any]]) -> None:
    t = TABLES[entity]
    _write(settings, "assistance", entity, schema_of(t.cols), day, f"{t.table}_{day + ONE_DAY:%Y%m%d}", rows)


def make_raw_store(settings: Settings) -> None:
    person = schema_of(hukou.PARTS["HJRK"].cols)
    for day in (D25, D26, D27):
        _write(settings, "hukou", "person", person, day, f"HJRK_{day + ONE_DAY:%Y%m%d}", hukou_snapshot(day))
    _write(settings, "hukou", "person", person, D26, "HJRK_20260527_R1", hukou_snapshot(D26, corrected_away=True))

    _assist(settings, "family", D25, [
        _family(F1, A1, category="城市低保", approved=date(2025, 1, 10), town="洪绪镇"),
        _family(F2, B1, approved=date(2024, 6, 1)),
        _family(F3, B1, approved=date(2025, 2, 1)),
        _family(F4, B2, approved=date(2025, 3, 1)),
        _family(F5, B2, approved=date(2025, 3, 1)),
        _family(F6, C1, status="停保", approved=date(2024, 1, 1)),
        _family(F7, C7, approved=date(2025, 1, 1)),
        _family(F8, E1, category="低保边缘", status="暂停", approved=date(2025, 1, 1), town="荆河街道"),
        _family(F9, E4, approved=date(2025, 1, 1)),
    ])
    # a later extract: F7 soft-deleted (entered in error), A3 leaves F1
    _assist(settings, "family", D26, [_family(F7, C7, approved=date(2025, 1, 1), deleted="1",
                                              updated="2026-05-26 09:00:00")])
    _assist(settings, "member", D25, [
        _member(F1, A1), _member(F1, A2, "配偶", covered="否"), _member(F1, A3, "子"), _member(F1, E11, "父亲"),
        _member(F2, B1), _member(F3, B1), _member(F4, B2), _member(F5, B2),
        _member(F6, C1), _member(F7, C7), _member(F8, E1), _member(F9, E4),
    ])
    _assist(settings, "member", D26, [_member(F1, A3, "子", deleted="1", updated="2026-05-26 09:00:00")])
    _assist(settings, "application", D25, [
        _application(AP1, C1, date(2026, 5, 1), town="洪绪镇"),
        _application(AP2, C5, date(2026, 5, 1), status="核对中", town="善南街道"),
        _application(AP3, C4, date(2026, 5, 10), town="善南街道"),
        _application(AP4, C6, date(2026, 4, 1), status="已审批"),
    ])
    _assist(settings, "application_member", D25, [
        _app_member(AP1, C1, "本人"), _app_member(AP1, C2, "配偶"), _app_member(AP1, C3, "子", deleted="1"),
        _app_member(AP2, C5, "本人"), _app_member(AP2, C4, "兄弟姐妹"), _app_member(AP4, C6, "本人"),
    ])
    for entity in ("payment", "referral"):
        _assist(settings, entity, D25, [])

    cert = schema_of(deaths.PARTS["SWZM"].cols)
    _write(settings, "deaths", "certificate", cert, D25, "SWZM_20260526", [
        _certificate("E370481202600000001", E7, "2026-04-30 08:00", date(2026, 4, 30)),
        _certificate("E370481202600000002", E9, "2026-05-03 08:00", date(2026, 5, 3)),
        _certificate("E370481202600000003", E13, "2026-04-01 08:00", date(2026, 4, 1)),
        _certificate("E370481202600000004", legacy15(E12), "2026-01-01 08:00", date(2026, 1, 2),
                     birth=date(1940, 2, 1), name="赵六"),
        _certificate("E370481202600000005", None, "2026-01-01 08:00", date(2026, 1, 2)),
        _certificate("E370481202600000006", E6, "2026-04-25 08:00", date(2026, 4, 25)),
    ])
    # the certificate of E13 is re-issued with a corrected death date (current state: latest 签发日期)
    _write(settings, "deaths", "certificate", cert, D26, "SWZM_20260527", [
        _certificate("E370481202600000003", E13, "2026-05-05 08:00", date(2026, 5, 26))])
    crem = schema_of(cremation.TABLES[0].cols)
    _write(settings, "cremation", "cremation", crem, D25, "t_hhdj_20260526", [
        _cremation("HH202605020001", E8, date(2026, 5, 2)),
        _cremation("HH202604290001", E9, date(2026, 4, 29)),
        _cremation("HH202604010001", E10, date(2026, 4, 1), deleted="1", name="王伍"),
    ])


# --- unit tests ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    home = tmp_path_factory.mktemp("households") / "home"
    settings = Settings(home=home, exchange=home / "exchange")
    make_raw_store(settings)
    build.build(settings, AS_OF)
    con = query.connect_current(settings)
    yield con
    con.close()


def placement(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT id_number, household_id FROM int.household_assignment").fetchall())


def members(con: duckdb.DuckDBPyConnection, household_id: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT id_number FROM mart.household_member WHERE household_id = ?",
                                      [household_id]).fetchall()}


def household(con: duckdb.DuckDBPyConnection, household_id: str) -> dict[str, Any] | None:
    cur = con.execute("SELECT * FROM mart.household WHERE household_id = ?", [household_id])
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))


def test_rule_1_active_family(wh: duckdb.DuckDBPyConnection) -> None:
    placed = placement(wh)
    assert placed[A1] == placed[A2] == placed[E11] == F1            # 是 and 否 members alike
    assert members(wh, F1) == {A1, A2}                              # E11: hukou 死亡 on 2026-03-01
    assert placed[A3] == "HK" + H[1]                                # his jz_member row was deleted later
    assert placed[E1] == F8                                         # 暂停 is active
    assert C1 not in members(wh, F6) and household(wh, F6) is None  # 停保 is not
    assert placed[C7] == "HK" + H[13] and household(wh, F7) is None  # soft-deleted family
    f1 = household(wh, F1)
    assert f1["kind"] == "family" and f1["member_count"] == 2 and f1["head_id_number"] == A1
    cov = dict(wh.execute("SELECT id_number, is_covered FROM mart.household_member WHERE household_id = ?",
                          [F1]).fetchall())
    assert cov == {A1: True, A2: False}


def test_person_in_two_active_families_goes_to_the_later_approval(wh: duckdb.DuckDBPyConnection) -> None:
    placed = placement(wh)
    assert placed[B1] == F3                                         # 审批日期 2025-02-01 > 2024-06-01
    assert placed[B2] == F5                                         # same 审批日期: the greater 家庭编号
    for empty in (F2, F4):                                          # still households, with 0 members
        h = household(wh, empty)
        assert h is not None and h["member_count"] == 0 and h["placed_count"] == 0


def test_rule_2_open_application(wh: duckdb.DuckDBPyConnection) -> None:
    placed = placement(wh)
    assert placed[C1] == placed[C2] == AP1                          # applicant and valid member row
    assert placed[C3] == "HK" + H[2]                                # his application row was deleted
    assert placed[C6] == "HK" + H[2]                                # 已审批 is not open
    assert placed[C4] == AP3 and placed[C5] == AP2                  # the latest 申请日期
    ap1, ap3 = household(wh, AP1), household(wh, AP3)
    assert ap1["kind"] == "application" and ap1["member_count"] == 2
    assert ap1["town"] == "北辛街道" and ap1["area"] == "urban"     # the applicant's hukou town
    assert ap3["town"] == "善南街道" and ap3["village"] is None      # no hukou: 受理乡镇街道
    assert household(wh, AP4) is None


def test_rule_3_hukou(wh: duckdb.DuckDBPyConnection) -> None:
    placed = placement(wh)
    assert placed[D1] == "HK" + H[4]                                # H4 appeared later (05-26 > 05-25)
    assert placed[D2] == "HK" + H[6]                                # both since the first snapshot: greater
    assert placed[D4] == "HK" + H[8]                                # the 05-26 original was corrected by _R1
    assert household(wh, "HK" + H[3]) is None and household(wh, "HK" + H[5]) is None
    h1 = household(wh, "HK" + H[1])
    assert h1["kind"] == "hukou" and h1["member_count"] == 1 and h1["head_id_number"] == A1
    assert not h1["head_is_member"] and h1["town"] == "北辛街道" and h1["village"] == "杏坛社区"
    assert members(wh, "HK" + H[2]) == {C3, C6}


def test_collective_household_persons_form_one_person_households(wh: duckdb.DuckDBPyConnection) -> None:
    for who in (E2, E3):
        hid = f"HK{H[10]}-{who}"
        h = household(wh, hid)
        assert members(wh, hid) == {who}
        assert h["is_collective"] and h["head_id_number"] == who and h["area"] == "urban"
    assert household(wh, "HK" + H[10]) is None


def test_members_exclude_the_dead_and_the_moved_out(wh: duckdb.DuckDBPyConnection) -> None:
    placed = placement(wh)
    assert placed[E4] == F9 and household(wh, F9)["member_count"] == 0   # 迁出 family member
    assert E5 not in placed and E6 not in placed                    # 注销 / hukou 死亡: rule 3 does not apply
    # E7 certificate 04-30 and E9 cremation 04-29 (before May) are out; E8 died in May; E10's cremation
    # was deleted; E13's corrected certificate says 05-05 (the first issue said 04-01)
    assert members(wh, "HK" + H[11]) == {E8, E10, E13}
    h12 = household(wh, "HK" + H[12])                               # legacy-15 certificate, dead in January
    assert h12["member_count"] == 0 and h12["placed_count"] == 1


def test_every_person_in_at_most_one_household(wh: duckdb.DuckDBPyConnection) -> None:
    assert wh.execute("SELECT count(*) - count(DISTINCT id_number) FROM mart.household_member").fetchone() == (0,)
    bad = wh.execute("""SELECT count(*) FROM mart.household h LEFT JOIN (SELECT household_id, count(*) n
                        FROM mart.household_member GROUP BY ALL) m USING (household_id)
                        WHERE h.member_count <> coalesce(m.n, 0)""").fetchone()
    assert bad == (0,)


def test_area_follows_the_category_prefix_then_the_town(wh: duckdb.DuckDBPyConnection) -> None:
    assert household(wh, F1)["area"] == "urban" and household(wh, F1)["town"] == "洪绪镇"   # 城市低保 in a 镇
    assert household(wh, F8)["area"] == "urban"                     # 低保边缘 in a 街道
    assert household(wh, F3)["area"] == "rural"


def test_person_mart(wh: duckdb.DuckDBPyConnection) -> None:
    cur = wh.execute("SELECT * FROM mart.person")
    cols = [d[0] for d in cur.description]
    persons = {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
    assert B1 in persons and persons[B1]["hukou_status"] is None    # known from assistance only
    assert persons[A1]["sex"] == "男" and persons[A2]["sex"] == "女"
    assert persons[A1]["birth_date"] == date(1970, 1, 1) and persons[A1]["is_alive"]
    e9 = persons[E9]
    assert e9["death_date"] == date(2026, 4, 29) and not e9["is_alive"]
    assert e9["death_sources"] == ["deaths", "cremation"]
    kinds = {c["kind"] for c in json.loads(e9["conflicts"])}
    assert kinds == {"dead_but_hukou_normal", "death_date_differs"}
    assert persons[E11]["death_date"] == date(2026, 3, 1) and persons[E11]["death_sources"] == ["hukou"]
    assert persons[E12]["death_date"] == date(2026, 1, 1)          # linked through its legacy-15 number
    e12 = {c["kind"]: c for c in json.loads(persons[E12]["conflicts"])}
    assert set(e12) == {"dead_but_hukou_normal", "name_differs", "birth_date_differs"}
    e6 = persons[E6]                                                # hukou cancelled before the death date
    assert e6["death_date"] == date(2026, 4, 25) and e6["death_sources"] == ["deaths", "hukou"]
    assert [c["kind"] for c in json.loads(e6["conflicts"])] == ["hukou_death_registered_before_death"]
    assert persons[E10]["is_alive"] and json.loads(persons[E10]["conflicts"]) == []   # deleted cremation
    d1 = {c["kind"]: c for c in json.loads(persons[D1]["conflicts"])}
    assert d1["two_hukou_registrations"]["counted"] == H[4]
    assert persons[E11]["household_id"] == F1 and not persons[E11]["is_household_member"]
    assert persons[E5]["household_id"] is None and persons[E5]["hukou_status"] == "注销"
    assert len(persons) == wh.execute("SELECT count(DISTINCT id_number) FROM mart.person").fetchone()[0]


def test_death_certificate_current_state(wh: duckdb.DuckDBPyConnection) -> None:
    rows = wh.execute("SELECT certificate_no, death_date, _delivery FROM stg.deaths__certificate "
                      "WHERE certificate_no = 'E370481202600000003'").fetchall()
    assert rows == [("E370481202600000003", date(2026, 5, 5), "SWZM_20260527")]
    assert wh.execute("SELECT count(*) FROM stg.deaths__certificate WHERE has_trusted_id").fetchone() == (5,)


def test_assistance_staging_keeps_the_latest_version(wh: duckdb.DuckDBPyConnection) -> None:
    fam = dict(wh.execute("SELECT family_no, is_deleted FROM stg.assistance__family").fetchall())
    assert len(fam) == 9 and fam[F7] and not fam[F1]
    row = wh.execute("SELECT is_deleted, _delivery FROM stg.assistance__member WHERE family_no = ? "
                     "AND member_id_number = ?", [F1, A3]).fetchall()
    assert row == [(True, "jz_member_20260527")]


# --- the simulated city (slow) ---------------------------------------------------------------------------

CITY_AS_OF = date(2026, 5, 27)
CITY_DAYS = (date(2026, 5, 25), date(2026, 5, 26), date(2026, 5, 27))


@dataclass(frozen=True)
class City:
    truth: Path
    con: duckdb.DuckDBPyConnection
    ingest_errors: dict[str, str]        # "<date> <source>" -> the error of an ingest task that raised


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    import simulator
    from connectors import ingest
    from safetynet.settings import SOURCES, SQL_SOURCES, default_frontdb_url

    root = tmp_path_factory.mktemp("city")
    exchange = root / "x"
    simulator.simulate(out=exchange, scale=0.003, seed=1, as_of=CITY_AS_OF, days=3)
    settings = Settings(home=root / "home", exchange=exchange,
                        frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})
    errors: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as mp:
        # Data Docs rendering re-indexes every stored result per validation (see
        # tests/test_connectors_on_simulated_city.py); the docs have their own tests.
        from expectations import runner as suites
        mp.setattr(suites, "_publish", lambda *args, **kwargs: None, raising=False)
        for day in CITY_DAYS:
            for source in SOURCES:
                try:
                    ingest.ingest_task(settings, source, day)
                except Exception as exc:  # noqa: BLE001 - reported by test_city_every_source_ingests
                    errors[f"{day} {source}"] = f"{type(exc).__name__}: {exc}"[:300]
    build.build(settings, CITY_AS_OF)
    con = query.connect_current(settings)
    yield City(exchange / "_truth", con, errors)
    con.close()


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _rate(ok: int, n: int) -> str:
    return f"{ok}/{n} ({100.0 * ok / n:.1f}%)" if n else "0/0"


@pytest.mark.slow
def test_city_every_source_ingests(city: City) -> None:
    assert city.ingest_errors == {}


@pytest.mark.slow
def test_city_households_match_the_planted_truth(city: City) -> None:
    truth, con = city.truth, city.con
    households = _jsonl(truth / "households.jsonl")
    persons = _jsonl(truth / "persons.jsonl")
    cur = con.execute("SELECT household_id, kind, town, member_count FROM mart.household")
    built = {r[0]: r for r in cur.fetchall()}
    member_of = dict(con.execute("SELECT id_number, household_id FROM mart.household_member").fetchall())
    placed = dict(con.execute("SELECT id_number, household_id FROM int.household_assignment").fetchall())
    hid_of_sid = {h["sid"]: h["household_id"] for h in households}

    found = kind_ok = town_ok = count_ok = members_ok = 0
    count_n = members_n = 0
    problems: list[str] = []
    for h in households:
        row = built.get(h["household_id"])
        if row is None:
            problems.append(f"{h['sid']}: household {h['household_id'][:8]}… ({h['kind']}) not built")
            continue
        found += 1
        kind_ok += row[1] == h["kind"]
        town_ok += row[2] == h["town"]
        want = h["profile"]["member_count"]                         # None: the truth is uncertain
        if want is not None:
            count_n += 1
            count_ok += row[3] == want
            if row[3] != want:
                problems.append(f"{h['sid']}: member_count {row[3]}, truth {want}")
        if h["members"] is not None:
            members_n += 1
            got = {i for i, hid in member_of.items() if hid == h["household_id"]}
            members_ok += got == set(h["members"])
    person_n = person_ok = unplaced_n = unplaced_ok = 0
    known = {i for (i,) in con.execute("SELECT id_number FROM mart.person").fetchall()}
    in_person_mart = sum(p["id_number"] in known for p in persons)
    for p in persons:
        if p["is_member"] is None:
            continue                                                # the truth marks it uncertain
        if p["household_sid"] is None:                              # no household at all
            unplaced_n += 1
            unplaced_ok += p["id_number"] not in placed
            if p["id_number"] in placed:
                problems.append(f"{p['sid']}/{p['member_key']}: placed in {placed[p['id_number']]}, truth: none")
            continue
        person_n += 1
        expected = hid_of_sid[p["household_sid"]]
        got = member_of.get(p["id_number"]) if p["is_member"] else placed.get(p["id_number"])
        ok = got == expected and (p["is_member"] == (p["id_number"] in member_of))
        person_ok += ok
        if not ok:
            problems.append(f"{p['sid']}/{p['member_key']}: in {got}, truth {expected} "
                            f"(member {p['is_member']})")
    n = len(households)
    print(f"\nplanted households: found {_rate(found, n)}, kind {_rate(kind_ok, n)}, town {_rate(town_ok, n)}, "
          f"member_count {_rate(count_ok, count_n)}, member sets {_rate(members_ok, members_n)}; "
          f"planted persons placed as expected {_rate(person_ok, person_n)}, unplaced as expected "
          f"{_rate(unplaced_ok, unplaced_n)}, in mart.person {_rate(in_person_mart, len(persons))}")
    for p in problems:
        print("  ", p)
    assert found == kind_ok == n
    assert count_ok == count_n and members_ok == members_n and person_ok == person_n and unplaced_ok == unplaced_n
    assert in_person_mart == len(persons)
    assert town_ok == n


@pytest.mark.slow
def test_city_invariants(city: City) -> None:
    con = city.con

    def one(sql: str) -> Any:
        return con.execute(sql).fetchone()[0]

    assert one("SELECT count(*) - count(DISTINCT id_number) FROM mart.household_member") == 0
    assert one("SELECT count(*) - count(DISTINCT id_number) FROM int.household_assignment") == 0
    assert one("""SELECT count(*) FROM mart.household h LEFT JOIN (SELECT household_id, count(*) n
                  FROM mart.household_member GROUP BY ALL) m USING (household_id)
                  WHERE h.member_count <> coalesce(m.n, 0)""") == 0
    # every 正常 hukou person is placed somewhere (rule 3 catches whoever rules 1 and 2 leave)
    assert one("""SELECT count(*) FROM int.hukou_registration r WHERE status = '正常' AND NOT EXISTS
                  (SELECT 1 FROM int.household_assignment a WHERE a.id_number = r.id_number)""") == 0
    # every valid member of an active family is placed in an active family
    assert one("""SELECT count(*) FROM stg.assistance__member m JOIN stg.assistance__family f USING (family_no)
                  WHERE f.is_active AND NOT m.is_deleted AND NOT EXISTS (SELECT 1 FROM int.household_assignment a
                  WHERE a.id_number = m.member_id_number AND a.kind = 'family')""") == 0
    assert one("SELECT count(*) FROM mart.household WHERE town IS NULL OR area IS NULL") == 0
    stats = con.execute("""SELECT kind, count(*), sum(member_count), count(*) FILTER (WHERE member_count = 0)
                           FROM mart.household GROUP BY kind ORDER BY kind""").fetchall()
    persons = con.execute("""SELECT count(*), count(*) FILTER (WHERE NOT is_alive),
                             count(*) FILTER (WHERE json_array_length(conflicts) > 0) FROM mart.person""").fetchone()
    print(f"\nhouseholds by kind (kind, households, members, 0-member): {stats}; "
          f"persons {persons[0]}, dead {persons[1]}, with conflicts {persons[2]}")
