"""Tests of connectors.landing and connectors.registry on tiny hand-made landing trees."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from connectors.landing import (
    Delivery,
    check_rows,
    inventory_task,
    scan,
    scan_landing,
    usable,
)
from connectors.registry import REGISTRY, STALE_AFTER_DAYS, is_stale, spec
from safetynet.settings import SOURCES, SQL_SOURCES, Settings, default_frontdb_url

CSV = "姓名,证件号码\r\n张三,370481198503121235\r\n".encode("gb18030")


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    exchange = tmp_path / "exchange"
    (exchange / "landing").mkdir(parents=True)
    return Settings(home=tmp_path / "home", exchange=exchange,
                    frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})


def deliver(settings: Settings, source: str, folder: str, name: str, data: bytes = CSV, *,
            rows: int = 1, marker: bool = True, sha: str | None = None, marker_bytes: bytes | None = None) -> Path:
    """Write a data file and (unless marker=False) its marker, like a department would."""
    d = settings.landing / source / folder
    d.mkdir(parents=True, exist_ok=True)
    path = d / name
    path.write_bytes(data)
    if marker:
        digest = sha or hashlib.sha256(data).hexdigest()
        content = marker_bytes if marker_bytes is not None else f"rows={rows}\nsha256={digest}\n".encode()
        (d / (name.rsplit(".", 1)[0] + ".ok")).write_bytes(content)
    return path


def only(deliveries: list[Delivery]) -> Delivery:
    assert len(deliveries) == 1, deliveries
    return deliveries[0]


def tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Listing of every file below root: size, mtime_ns, sha256 of its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        else:
            out[p.relative_to(root).as_posix()] = (-1, 0, "dir")
    return out


# --- registry --------------------------------------------------------------------------------------------

def test_registry_covers_every_source_in_contract_order() -> None:
    assert tuple(REGISTRY) == SOURCES
    assert tuple(s for s, sp in REGISTRY.items() if sp.mechanism == "sql") == SQL_SOURCES
    for source in SQL_SOURCES:
        assert not spec(source).has_landing_files and spec(source).parts == () and spec(source).tables
        assert spec(source).timing == "night" and spec(source).stale_after_days == 2
    assert spec("bank").stale_after_days is None and spec("charity").stale_after_days is None
    assert STALE_AFTER_DAYS == {"daily": 2, "weekly": 9, "monthly": 40, "adhoc": None, "request": None}
    with pytest.raises(KeyError):
        spec("nope")


@pytest.mark.parametrize(
    ("source", "name", "part", "key", "n"),
    [
        ("hukou", "HJRK_20260527.csv", "HJRK", "HJRK_20260527", 0),
        ("hukou", "HJRK_20260527_R2.csv", "HJRK", "HJRK_20260527", 2),
        ("vehicles", "JDC_20260525.csv", "JDC", "JDC_20260525", 0),
        ("deaths", "SWZM_20260527_R1.csv", "SWZM", "SWZM_20260527", 1),
        ("tax", "GS_202604.csv", "GS", "GS_202604", 0),
        ("disability", "CJR_202504_R1.xlsx", "CJR", "CJR_202504", 1),
        ("property", "BDC_FULL_20260101.csv", "BDC_FULL", "BDC_20260101", 0),
        ("business", "SCZT_RY_20260527.csv", "SCZT_RY", "SCZT_20260527", 0),
        ("business", "SCZT_20260527.csv", "SCZT", "SCZT_20260527", 0),
        ("housing_fund", "GJJ_202604.csv", "GJJ", "GJJ_202604", 0),
        ("education", "ZZ_202604.csv", "ZZ", "XJ_202604", 0),
        ("rural_monitoring", "FFP_202604.xlsx", "FFP", "FFP_202604", 0),
        ("bank", "HDR_HD370481202603050001_R1.json", "HDR", "HDR_HD370481202603050001", 1),
        ("charity", "红十字会_帮扶_春节慰问_R1.csv", "charity_batch", "红十字会_帮扶_春节慰问_R1", 0),
        ("public_housing", "GZF_202604.csv", "GZF", "GZF_202604", 0),
    ],
)
def test_name_parsing(source: str, name: str, part: str, key: str, n: int) -> None:
    parsed = spec(source).parse(name)
    assert parsed is not None
    assert (parsed.part, parsed.key, parsed.redelivery) == (part, key, n)


@pytest.mark.parametrize(
    ("source", "name"),
    [("disability", "~$CJR_202502.xlsx"), ("hukou", "HJRK_20260527.csv.tmp"), ("hukou", "HJRK_2026052.csv"),
     ("hukou", "HJRK_20260527.ok"), ("tax", "GS_20260520.csv"), ("bank", "HDQ_HD370481202603050001.json"),
     ("bank", "HDR_HD370402202603050001.json"), ("charity", "街道_帮扶_x.csv"), ("business", "SCZT_R1.csv")],
)
def test_foreign_names_do_not_parse(source: str, name: str) -> None:
    assert spec(source).parse(name) is None


def test_is_stale() -> None:
    d = date(2026, 5, 27)
    assert not is_stale("hukou", date(2026, 5, 25), d)
    assert is_stale("hukou", date(2026, 5, 24), d)
    assert not is_stale("vehicles", date(2026, 5, 18), d) and is_stale("vehicles", date(2026, 5, 17), d)
    assert not is_stale("tax", date(2026, 4, 17), d) and is_stale("tax", date(2026, 4, 16), d)
    assert is_stale("hukou", None, d)
    assert not is_stale("bank", None, d) and not is_stale("charity", date(2020, 1, 1), d)


# --- single files ----------------------------------------------------------------------------------------

def test_complete_delivery(settings: Settings) -> None:
    path = deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", rows=1)
    d = only(scan(settings, "hukou", date(2026, 5, 26)))
    assert (d.key, d.status, d.usable, d.redelivery) == ("HJRK_20260527", "complete", True, 0)
    assert (d.folder_date, d.business_date) == (date(2026, 5, 27), date(2026, 5, 26))
    f = only(list(d.files))  # type: ignore[arg-type]
    assert (f.path, f.stem, f.status, f.marker_rows, f.problem) == (path, "HJRK_20260527", "ok", 1, None)
    assert f.marker_sha256 == hashlib.sha256(CSV).hexdigest() and f.size == len(CSV)
    assert f.marker_path == path.with_name("HJRK_20260527.ok")
    assert d.problems == () and d.disposition == "in_use"


def test_missing_marker_is_incomplete_not_broken(settings: Settings) -> None:
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", marker=False)
    d = only(scan(settings, "hukou", date(2026, 5, 26)))
    assert (d.status, d.usable, d.disposition) == ("incomplete", False, "waiting")
    assert d.files[0].status == "no_marker" and d.files[0].marker_rows is None
    assert any("HJRK_20260527.csv" in p for p in d.problems)


def test_empty_marker_counts_as_not_yet_written(settings: Settings) -> None:
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", marker_bytes=b"")
    assert only(scan(settings, "hukou", date(2026, 5, 26))).status == "incomplete"


def test_sha_mismatch_is_broken(settings: Settings) -> None:
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", sha="0" * 64)
    d = only(scan(settings, "hukou", date(2026, 5, 26)))
    assert (d.status, d.usable, d.disposition) == ("broken", False, "rejected")
    assert d.files[0].status == "sha_mismatch"
    assert "HJRK_20260527.csv" in d.files[0].problem  # type: ignore[operator]


@pytest.mark.parametrize(
    "content",
    [b"rows=1\r\nsha256=%s\r\n", b"rows=1\nsha256=%s", b"rows=x\nsha256=%s\n", b"sha256=%s\nrows=1\n",
     b"rows=1\nsha256=%s\n370481198503121235\n"],
)
def test_malformed_marker_is_broken_and_not_echoed(settings: Settings, content: bytes) -> None:
    digest = hashlib.sha256(CSV).hexdigest().encode()
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", marker_bytes=content.replace(b"%s", digest))
    d = only(scan(settings, "hukou", date(2026, 5, 26)))
    assert d.status == "broken" and d.files[0].status == "marker_malformed"
    assert all("370481198503121235" not in p and digest.decode() not in p for p in d.problems)


def test_uppercase_sha_in_marker_is_malformed(settings: Settings) -> None:
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", sha=hashlib.sha256(CSV).hexdigest().upper())
    assert only(scan(settings, "hukou", date(2026, 5, 26))).files[0].status == "marker_malformed"


# --- re-deliveries ---------------------------------------------------------------------------------------

def test_r1_supersedes_in_same_folder_daily(settings: Settings) -> None:
    deliver(settings, "deaths", "20260527", "SWZM_20260527.csv")
    deliver(settings, "deaths", "20260527", "SWZM_20260527_R1.csv", CSV + b"x\n", rows=2)
    original, r1 = scan(settings, "deaths", date(2026, 5, 26))
    assert (original.redelivery, original.superseded_by, original.disposition) == (0, 1, "superseded")
    assert (r1.redelivery, r1.usable, r1.files[0].name) == (1, True, "SWZM_20260527_R1.csv")
    assert [d.redelivery for d in usable([original, r1])] == [1]


def test_higher_r_supersedes_lower_r(settings: Settings) -> None:
    for name in ("SWZM_20260527.csv", "SWZM_20260527_R1.csv", "SWZM_20260527_R2.csv"):
        deliver(settings, "deaths", "20260527", name)
    result = scan(settings, "deaths", date(2026, 5, 26))
    assert [(d.redelivery, d.superseded_by) for d in result] == [(0, 2), (1, 2), (2, None)]


def test_monthly_r1_in_later_folder(settings: Settings) -> None:
    deliver(settings, "tax", "20260520", "GS_202604.csv")
    deliver(settings, "tax", "20260522", "GS_202604_R1.csv", CSV + b"y\n", rows=2)
    before = scan(settings, "tax", date(2026, 5, 21))
    assert [(d.key, d.redelivery, d.usable, d.business_date) for d in before] == [
        ("GS_202604", 0, True, date(2026, 5, 20))]
    after = scan(settings, "tax", date(2026, 5, 22))
    assert [(d.redelivery, d.superseded_by, d.business_date) for d in after] == [
        (0, 1, date(2026, 5, 20)), (1, None, date(2026, 5, 22))]
    assert after[1].folder_date == date(2026, 5, 22)


def test_broken_original_waits_for_r1(settings: Settings) -> None:
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", sha="1" * 64)
    assert usable(scan(settings, "hukou", date(2026, 5, 26))) == []
    deliver(settings, "hukou", "20260527", "HJRK_20260527_R1.csv")
    original, r1 = scan(settings, "hukou", date(2026, 5, 26))
    assert (original.status, original.superseded_by) == ("broken", 1)
    assert r1.usable


def test_broken_or_unfinished_r1_keeps_the_earlier_version(settings: Settings) -> None:
    deliver(settings, "deaths", "20260527", "SWZM_20260527.csv")
    deliver(settings, "deaths", "20260527", "SWZM_20260527_R1.csv", sha="2" * 64)
    deliver(settings, "deaths", "20260527", "SWZM_20260527_R2.csv", marker=False)
    original, r1, r2 = scan(settings, "deaths", date(2026, 5, 26))
    assert original.usable and original.superseded_by is None
    assert (r1.status, r1.disposition) == ("broken", "rejected")
    assert (r2.status, r2.disposition) == ("incomplete", "waiting")


def test_check_rows_rejects_and_reinstates_earlier_version(settings: Settings) -> None:
    deliver(settings, "deaths", "20260527", "SWZM_20260527.csv", rows=1)
    r1_path = deliver(settings, "deaths", "20260527", "SWZM_20260527_R1.csv", rows=5)
    result = check_rows(scan(settings, "deaths", date(2026, 5, 26)), {r1_path: 1})
    original, r1 = result
    assert (r1.status, r1.files[0].status) == ("broken", "rows_mismatch")
    assert "rows=5" in r1.problems[-1]
    assert original.usable
    assert check_rows(result, {r1_path: 1}) == result  # idempotent


# --- multi-file deliveries -------------------------------------------------------------------------------

def test_business_pair_incomplete_until_both_markers(settings: Settings) -> None:
    deliver(settings, "business", "20260527", "SCZT_20260527.csv")
    deliver(settings, "business", "20260527", "SCZT_RY_20260527.csv", marker=False)
    d = only(scan(settings, "business", date(2026, 5, 26)))
    assert (d.key, d.status, d.business_date) == ("SCZT_20260527", "incomplete", date(2026, 5, 26))
    assert {f.part: f.status for f in d.files} == {"SCZT": "ok", "SCZT_RY": "no_marker"}
    deliver(settings, "business", "20260527", "SCZT_RY_20260527.csv")
    d = only(scan(settings, "business", date(2026, 5, 26)))
    assert d.usable and [f.part for f in d.files] == ["SCZT", "SCZT_RY"]
    assert d.file("SCZT_RY") is not None and d.file("nope") is None


def test_pair_with_one_part_missing(settings: Settings) -> None:
    deliver(settings, "education", "20260510", "ZZ_202604.csv")
    d = only(scan(settings, "education", date(2026, 5, 9)))
    assert (d.key, d.status) == ("XJ_202604", "incomplete")
    assert any("part XJ not delivered" in p for p in d.problems)


def test_pair_where_only_one_file_is_redelivered(settings: Settings) -> None:
    deliver(settings, "business", "20260527", "SCZT_20260527.csv")
    deliver(settings, "business", "20260527", "SCZT_RY_20260527.csv", sha="3" * 64)
    deliver(settings, "business", "20260527", "SCZT_RY_20260527_R1.csv")
    original, r1 = scan(settings, "business", date(2026, 5, 26))
    assert original.status == "broken" and original.superseded_by == 1
    assert r1.usable and [f.name for f in r1.files] == ["SCZT_20260527.csv", "SCZT_RY_20260527_R1.csv"]


def test_property_full_file_is_optional_part(settings: Settings) -> None:
    deliver(settings, "property", "20260101", "BDC_20260101.csv")
    deliver(settings, "property", "20260101", "BDC_FULL_20260101.csv", marker=False)
    deliver(settings, "property", "20260102", "BDC_20260102.csv")
    first, second = scan(settings, "property", date(2026, 1, 1))
    assert (first.key, first.status) == ("BDC_20260101", "incomplete")
    assert (second.key, second.usable, [f.part for f in second.files]) == ("BDC_20260102", True, ["BDC"])


# --- names, dates, cut-off -------------------------------------------------------------------------------

def test_lock_files_and_strangers_are_ignored(settings: Settings) -> None:
    deliver(settings, "disability", "20260505", "CJR_202604.xlsx", b"PK\x03\x04xlsx")
    (settings.landing / "disability" / "20260505" / "~$CJR_202604.xlsx").write_bytes(b"lock")
    (settings.landing / "disability" / "20260505" / "CJR_202603.ok").write_bytes(b"rows=1\n")
    (settings.landing / "disability" / "notes").mkdir()
    (settings.landing / "disability" / "2026-05-05").mkdir()
    found = scan_landing(settings, "disability", date(2026, 5, 5))
    d = only(list(found.deliveries))
    assert (d.key, d.usable, d.business_date) == ("CJR_202604", True, date(2026, 5, 5))
    reasons = {i.path.name: i.reason for i in found.ignored}
    assert reasons["~$CJR_202604.xlsx"] == "name matches no file of the contract"
    assert reasons["CJR_202603.ok"] == "marker without a data file"
    assert set(reasons) >= {"notes", "2026-05-05"}


def test_charity_chinese_names_each_file_its_own_delivery(settings: Settings) -> None:
    name = "慈善总会_帮扶_春节慰问.csv"
    deliver(settings, "charity", "20250120", name, "\ufeff帮扶单位,受助人姓名\r\n".encode())
    deliver(settings, "charity", "20260115", name)
    deliver(settings, "charity", "20260115", "妇联_帮扶_2026年1月.csv", marker=False)
    result = scan(settings, "charity", date(2026, 1, 15))
    assert [(d.key, d.business_date, d.status, d.usable) for d in result] == [
        ("慈善总会_帮扶_春节慰问", date(2025, 1, 20), "complete", True),
        ("妇联_帮扶_2026年1月", date(2026, 1, 15), "incomplete", False),
        ("慈善总会_帮扶_春节慰问", date(2026, 1, 15), "complete", True),
    ]


def test_bank_response_redelivery_in_later_folder(settings: Settings) -> None:
    deliver(settings, "bank", "20260310", "HDR_HD370481202603050001.json", '{"结果": []}'.encode(), rows=0)
    deliver(settings, "bank", "20260316", "HDR_HD370481202603050001_R1.json", '{"结果": [] }'.encode(), rows=0)
    first, second = scan(settings, "bank", date(2026, 3, 16))
    assert (first.key, first.superseded_by, first.business_date) == ("HDR_HD370481202603050001", 1,
                                                                     date(2026, 3, 10))
    assert second.usable and second.business_date == date(2026, 3, 16)


def test_business_dates_night_vs_daytime(settings: Settings) -> None:
    deliver(settings, "housing_fund", "20260503", "GJJ_202604.csv")  # night
    deliver(settings, "public_housing", "20260506", "GZF_202604.csv")  # daytime
    assert only(scan(settings, "housing_fund", date(2026, 5, 2))).business_date == date(2026, 5, 2)
    assert scan(settings, "housing_fund", date(2026, 5, 1)) == []
    assert only(scan(settings, "public_housing", date(2026, 5, 6))).business_date == date(2026, 5, 6)
    assert scan(settings, "public_housing", date(2026, 5, 5)) == []


def test_up_to_cut_off(settings: Settings) -> None:
    for folder in ("20260526", "20260527", "20260528"):
        deliver(settings, "hukou", folder, f"HJRK_{folder}.csv")
    keys = [d.key for d in scan(settings, "hukou", date(2026, 5, 26))]
    assert keys == ["HJRK_20260526", "HJRK_20260527"]


def test_daily_file_in_foreign_folder_is_noted(settings: Settings) -> None:
    deliver(settings, "hukou", "20260528", "HJRK_20260527_R1.csv")
    d = only(scan(settings, "hukou", date(2026, 5, 27)))
    assert d.usable and any("not in the folder of its file date" in p for p in d.problems)


def test_sql_sources_have_no_landing_deliveries(settings: Settings) -> None:
    (settings.landing / "cremation" / "20260527").mkdir(parents=True)
    assert scan(settings, "cremation", date(2026, 5, 27)) == []
    assert scan(settings, "hukou", date(2026, 5, 27)) == []  # no folder at all


# --- sha cache and read-only landing ---------------------------------------------------------------------

def test_sha_cache_lives_in_state_dir_and_tracks_changes(settings: Settings) -> None:
    path = deliver(settings, "hukou", "20260527", "HJRK_20260527.csv")
    assert only(scan(settings, "hukou", date(2026, 5, 26))).usable
    cache = settings.state_dir / "landing_sha256" / "hukou.json"
    assert str(path) in json.loads(cache.read_text(encoding="utf-8"))
    path.write_bytes(CSV.replace(b"1235", b"1236"))  # same size, new mtime: must be re-hashed
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert only(scan(settings, "hukou", date(2026, 5, 26))).status == "broken"
    for p in path.parent.iterdir():  # the platform purges old folders: the cache forgets them
        p.unlink()
    scan(settings, "hukou", date(2026, 5, 26))
    assert json.loads(cache.read_text(encoding="utf-8")) == {}


def test_never_writes_under_landing(settings: Settings) -> None:
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv")
    deliver(settings, "hukou", "20260527", "HJRK_20260527_R1.csv", sha="4" * 64)
    deliver(settings, "business", "20260527", "SCZT_20260527.csv", marker=False)
    deliver(settings, "charity", "20260527", "总工会_帮扶_金秋助学.csv")
    (settings.landing / "disability" / "20260505").mkdir(parents=True)
    (settings.landing / "disability" / "20260505" / "~$CJR_202604.xlsx").write_bytes(b"lock")
    (settings.landing / "frontdb").mkdir()
    with sqlite3.connect(settings.landing / "frontdb" / "cremation.sqlite") as con:
        con.execute("CREATE TABLE t_hhdj (x TEXT)")
    con.close()
    before = tree(settings.landing)
    for source in SOURCES:
        scan(settings, source, date(2026, 5, 27))
        inventory_task(settings, source, date(2026, 5, 27))
    assert tree(settings.landing) == before


# --- inventory -------------------------------------------------------------------------------------------

def test_inventory_task_for_file_source(settings: Settings) -> None:
    deliver(settings, "hukou", "20260526", "HJRK_20260526.csv")
    deliver(settings, "hukou", "20260527", "HJRK_20260527.csv", sha="5" * 64)
    out = Path(inventory_task(settings, "hukou", "2026-05-26"))
    assert out == settings.home / "runs" / "2026-05-26" / "inventory" / "hukou.json"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["source"] == "hukou" and data["business_date"] == "2026-05-26"
    assert [(d["key"], d["status"], d["disposition"]) for d in data["deliveries"]] == [
        ("HJRK_20260526", "complete", "in_use"), ("HJRK_20260527", "broken", "rejected")]
    assert data["deliveries"][0]["files"][0]["marker_rows"] == 1
    assert data["deliveries"][0]["files"][0]["path"] == "landing/hukou/20260526/HJRK_20260526.csv"
    assert data["latest_usable"] == {"key": "HJRK_20260526", "redelivery": 0, "business_date": "2026-05-25"}
    assert data["stale"] is False and data["counts"]["rejected"] == 1
    assert (data["deliveries_found"], data["rows_delivered"]) == (1, None)  # tonight's is broken
    assert any("HJRK_20260527" in p for p in data["problems"])
    assert "370481198503121235" not in out.read_text(encoding="utf-8")
    data = json.loads(Path(inventory_task(settings, "hukou", "2026-05-25")).read_text(encoding="utf-8"))
    assert (data["deliveries_found"], data["rows_delivered"]) == (1, 1)


def test_inventory_masks_id_like_text_in_names(settings: Settings) -> None:
    deliver(settings, "charity", "20260527", "妇联_帮扶_370481198503121235.csv", marker=False)
    text = Path(inventory_task(settings, "charity", date(2026, 5, 27))).read_text(encoding="utf-8")
    assert "370481198503121235" not in text and "370481********1235" in text


def test_inventory_stale_when_nothing_recent(settings: Settings) -> None:
    deliver(settings, "hukou", "20260520", "HJRK_20260520.csv")
    data = json.loads(Path(inventory_task(settings, "hukou", date(2026, 5, 26))).read_text(encoding="utf-8"))
    assert data["stale"] is True


def test_inventory_sql_source_with_sqlite_front_db(settings: Settings) -> None:
    db = settings.landing / "frontdb" / "cremation.sqlite"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as con:
        con.execute('CREATE TABLE t_hhdj ("登记编号" TEXT PRIMARY KEY, "更新时间" TEXT)')
    con.close()
    data = json.loads(Path(inventory_task(settings, "cremation", date(2026, 5, 26))).read_text(encoding="utf-8"))
    assert data["frontdb"]["reachable"] is True and data["frontdb"]["tables"] == {"t_hhdj": True}
    assert data["deliveries"] == [] and data["problems"] == []


def test_inventory_sql_source_missing_tables_and_files(settings: Settings) -> None:
    db = settings.landing / "frontdb" / "medical.sqlite"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE yb_enrollment (x TEXT)")
    con.close()
    data = json.loads(Path(inventory_task(settings, "medical", date(2026, 5, 26))).read_text(encoding="utf-8"))
    assert data["frontdb"]["tables"] == {"yb_enrollment": True, "yb_settlement": False}
    assert "yb_settlement" in data["frontdb"]["problem"]
    data = json.loads(Path(inventory_task(settings, "assistance", date(2026, 5, 26))).read_text(encoding="utf-8"))
    assert data["frontdb"]["reachable"] is False and "does not exist" in data["frontdb"]["problem"]
    assert not (settings.landing / "frontdb" / "assistance.sqlite").exists()  # never created


def test_inventory_hides_passwords_of_unreachable_servers(settings: Settings) -> None:
    urls = dict(settings.frontdb_urls)
    urls["social_insurance"] = "postgresql+psycopg://reader:s3cret@127.0.0.1:1/frontdb"
    s = Settings(home=settings.home, exchange=settings.exchange, frontdb_urls=urls)
    out = Path(inventory_task(s, "social_insurance", date(2026, 5, 26)))
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["frontdb"]["reachable"] is False and "s3cret" not in text
    assert data["frontdb"]["url"] == "postgresql+psycopg://reader:***@127.0.0.1:1/frontdb"
