"""The simulator's hukou, deaths and cremation deliveries against their contracts (sources/*.yaml).

A small world (scale 0.003, as-of 2026-05-27, 3 days) is written once; quirk rates are checked on
the world tables of a larger world (scale 0.05), built but not written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import build_world, scenarios, write_deliveries
from simulator.config import SimConfig
from simulator.ids import is_valid_id, normalise_id
from simulator.planted import PHousehold, PMember
from simulator.schedule import delivery_fate
from simulator.sources import cremation as cremation_source
from simulator.world import World

AS_OF = date(2026, 5, 27)
DAYS = 3
SOURCES = ("hukou", "deaths", "cremation")

HJRK_HEADER = "公民身份号码,姓名,性别,民族,出生日期,户号,与户主关系,户籍地址,乡镇街道,村居委会,人员状态,状态变动日期,婚姻状况,文化程度"
SWZM_HEADER = "死亡证编号,死者姓名,证件类别,证件号码,性别,出生日期,死亡日期,死亡地点类别,常住地址,签发日期"
TOWNS = {"荆河街道", "龙泉街道", "北辛街道", "善南街道", "东沙河街道", "洪绪镇", "南沙河镇", "大坞镇", "滨湖镇",
         "级索镇", "西岗镇", "姜屯镇", "鲍沟镇", "张汪镇", "官桥镇", "柴胡店镇", "羊庄镇", "木石镇", "界河镇",
         "龙阳镇", "东郭镇"}
ETHNIC = frozenset(("汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族",
                    "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
                    "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族",
                    "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族",
                    "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族"))
RELATIONS = {"户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "儿媳", "女婿", "兄弟姐妹", "祖父母", "外孙子女",
             "其他"}
STATUSES = {"正常", "死亡", "迁出", "注销"}
MARITAL = {"未婚", "已婚", "离婚", "丧偶"}
EDUCATION = {"研究生", "大学本科", "大学专科", "中等专科", "技工学校", "高中", "初中", "小学", "文盲或半文盲"}

#: Extra planted deaths known to only some sources, beside whatever the catalogue holds.
EXTRA = (
    PHousehold(sid="VITALTEST/hukou/1", kind="hukou", town="滨湖镇", members=(
        PMember("head", 70, True),
        PMember("spouse", 69, False, rel="配偶", death_days_ago=20, death_in=("cremation",)),
    )),
    PHousehold(sid="VITALTEST/hukou/2", kind="hukou", town="龙泉街道", members=(
        PMember("head", 80, False, death_days_ago=1, death_in=("deaths", "hukou")),
        PMember("son", 50, True, rel="子"),
    )),
    PHousehold(sid="VITALTEST/hukou/3", kind="hukou", town="张汪镇", members=(
        PMember("head", 75, True, death_days_ago=0, death_in=("deaths", "cremation", "hukou")),
        PMember("wife", 74, False, rel="配偶", death_days_ago=50, death_in=("hukou",)),
    )),
)


def _catalogue(cfg: SimConfig) -> tuple[PHousehold, ...]:
    return (*_ORIGINAL_CATALOGUE(cfg), *EXTRA)


_ORIGINAL_CATALOGUE = scenarios.catalogue


def _world(tmp: Path, scale: float) -> World:
    cfg = SimConfig(out=tmp, scale=scale, seed=7, as_of=AS_OF, days=DAYS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scenarios, "catalogue", _catalogue)
        return build_world(cfg, domains=("vital",))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = _world(tmp_path_factory.mktemp("vital"), 0.003)
    write_deliveries(w, SOURCES)
    return w


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _world(tmp_path_factory.mktemp("vital-big"), 0.05)


# --- reading deliveries the way the contract says ---------------------------------------------------

def _marker(path: Path) -> tuple[int, str]:
    text = path.with_name(path.stem + ".ok").read_bytes().decode("ascii")
    assert re.fullmatch(r"rows=\d+\nsha256=[0-9a-f]{64}\n", text), text
    rows, sha = text.splitlines()
    return int(rows[5:]), sha[7:]


def _marker_ok(path: Path, rows: int) -> bool:
    want_rows, want_sha = _marker(path)
    return want_rows == rows and want_sha == hashlib.sha256(path.read_bytes()).hexdigest()


def _records(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _current(folder: Path, stem: str) -> Path:
    """The delivery in force in a folder: the highest `_R<n>`, else the original."""
    files = sorted(folder.glob(f"{stem}*.csv"), key=lambda p: (len(p.name), p.name))
    return files[-1]


def _folders(world: World, source: str) -> list[Path]:
    return sorted((world.cfg.out / "landing" / source).iterdir())


def _hukou(world: World, day: date) -> pd.DataFrame | None:
    """The snapshot describing `day` (folder day + 1), or None if that delivery is missing."""
    folder = world.cfg.out / "landing" / "hukou" / f"{day + timedelta(days=1):%Y%m%d}"
    if not folder.exists():
        return None
    path = _current(folder, f"HJRK_{day + timedelta(days=1):%Y%m%d}")
    recs = _records(path, "gb18030")
    return pd.DataFrame(recs[1:], columns=recs[0], dtype=object)


def _swzm(world: World) -> Iterator[tuple[date, pd.DataFrame]]:
    for folder in _folders(world, "deaths"):
        path = _current(folder, f"SWZM_{folder.name}")
        recs = _records(path, "utf-8")
        yield date(int(folder.name[:4]), int(folder.name[4:6]), int(folder.name[6:])), \
            pd.DataFrame(recs[1:], columns=recs[0], dtype=object)


def _t_hhdj(world: World) -> pd.DataFrame:
    con = sqlite3.connect(world.cfg.out / "landing" / "frontdb" / "cremation.sqlite")
    try:
        return pd.read_sql_query("SELECT * FROM t_hhdj", con, dtype=object)
    finally:
        con.close()


# --- hukou ------------------------------------------------------------------------------------------

def test_hukou_files_markers_and_bytes(world: World) -> None:
    folders = _folders(world, "hukou")
    expected = {f"{d + timedelta(days=1):%Y%m%d}" for d in world.cfg.business_dates}
    missing = {k for k in expected if delivery_fate(world, "hukou", k, can_be_missing=True).missing}
    assert {f.name for f in folders} == expected - missing
    for folder in folders:
        fate = delivery_fate(world, "hukou", folder.name, can_be_missing=True)
        names = sorted(p.name for p in folder.iterdir())
        stem = f"HJRK_{folder.name}"
        want = [f"{stem}.csv", f"{stem}.ok"] + ([f"{stem}_R1.csv", f"{stem}_R1.ok"] if fate.redelivered else [])
        assert names == sorted(want)
        path = _current(folder, stem)
        data = path.read_bytes()
        assert data.startswith((HJRK_HEADER + "\r\n").encode("gb18030"))
        assert not data.startswith(b"\xef\xbb\xbf")
        assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")
        text = data.decode("gb18030")
        rare = any(len(ch.encode("gb18030")) == 4 for ch in text)
        if rare:  # 4-byte GB18030 characters: a GBK decoder must fail
            with pytest.raises(UnicodeDecodeError):
                data.decode("gbk")
        assert _marker_ok(path, len(_records(path, "gb18030")) - 1)
        if fate.broken:
            assert not _marker_ok(folder / f"{stem}.csv", len(_records(path, "gb18030")) - 1)


def test_hukou_values(world: World) -> None:
    df = _hukou(world, AS_OF)
    assert df is not None and len(df) > 1000
    assert list(df.columns) == HJRK_HEADER.split(",")
    assert df["公民身份号码"].map(is_valid_id).all()
    assert (df["出生日期"] == df["公民身份号码"].str.slice(6, 14)).all()
    assert df["户号"].str.fullmatch(r"\d{9}").all()
    assert set(df["性别"]) <= {"男", "女"} and set(df["民族"]) <= ETHNIC
    assert set(df["与户主关系"]) <= RELATIONS and set(df["人员状态"]) <= STATUSES
    assert set(df["乡镇街道"]) <= TOWNS
    assert df["村居委会"].str.fullmatch(r".+(村|社区)").all()
    assert (df.apply(lambda r: r["户籍地址"].startswith("山东省滕州市" + r["乡镇街道"]), axis=1)).all()
    assert not df["户籍地址"].str.contains(",").any()
    assert set(df["婚姻状况"]) <= MARITAL | {""} and set(df["文化程度"]) <= EDUCATION | {""}
    normal = df["人员状态"] == "正常"
    assert ((df["状态变动日期"] == "") == normal).all()
    changed = pd.to_datetime(df.loc[~normal, "状态变动日期"], format="%Y%m%d")
    assert (changed <= pd.Timestamp(AS_OF)).all()
    assert (changed >= pd.Timestamp(AS_OF) - pd.Timedelta(days=3 * 365 + 1)).all()
    # every value is stripped and non-null where the contract says so
    for col in ("公民身份号码", "姓名", "性别", "民族", "出生日期", "户号", "与户主关系", "户籍地址", "乡镇街道", "村居委会",
                "人员状态"):
        assert (df[col] != "").all() and (df[col] == df[col].str.strip()).all(), col
    # one 户号 → one address
    assert (df.groupby("户号")[["户籍地址", "乡镇街道", "村居委会"]].nunique() == 1).all().all()


def test_hukou_keys_households_and_quirks(world: World) -> None:
    df = _hukou(world, AS_OF)
    assert df is not None
    dup = df[df["公民身份号码"].duplicated(keep=False)]
    assert len(dup) <= max(6, 0.003 * len(df))
    for _, g in dup.groupby("公民身份号码"):  # duplicate_household: both 正常, different 户号, same person
        assert len(g) == 2 and g["户号"].nunique() == 2 and set(g["人员状态"]) == {"正常"}
        assert (g[["姓名", "性别", "民族", "出生日期", "婚姻状况", "文化程度"]].nunique() == 1).all()
    parity = df["公民身份号码"].str.slice(16, 17).astype(int) % 2 == 1
    assert ((df["性别"] == "男") != parity).mean() < 0.002  # sex_mismatch ~0.01%
    normal = df[df["人员状态"] == "正常"]
    collective = normal["户籍地址"].str.endswith("集体户")
    assert (normal.loc[collective, "与户主关系"] == "其他").all()
    fam = normal[~collective]
    heads = fam[fam["与户主关系"] == "户主"].groupby("户号").size()
    assert (heads <= 1).all()
    headless = 1 - len(heads) / fam["户号"].nunique()
    assert headless < 0.02  # ~0.3% of family households
    assert (df["婚姻状况"] == "").mean() < 0.02 and (df["文化程度"] == "").mean() > 0.02


def test_hukou_day_to_day_changes_are_that_days_events(world: World) -> None:
    p = world.people
    pid_of = dict(zip(p["id_number"], p["pid"], strict=True))
    for day in world.cfg.business_dates[1:]:
        before, after = _hukou(world, day - timedelta(days=1)), _hukou(world, day)
        if before is None or after is None:
            continue
        key = ["公民身份号码", "户号"]
        merged = before.merge(after, on=key, how="outer", suffixes=("_b", "_a"), indicator=True)
        value_cols = [c for c in HJRK_HEADER.split(",") if c not in key]
        differs = merged["_merge"] != "both"
        for c in value_cols:
            differs |= merged[f"{c}_b"].fillna("") != merged[f"{c}_a"].fillna("")
        d = np.datetime64(day)
        events = {}
        for col in ("hukou_death_reg", "out_date", "hukou_start", "move_date", "birth_date"):
            hit = p[col].to_numpy().astype("datetime64[D]") == d
            events.update(dict.fromkeys(p.loc[hit, "pid"].tolist(), True))
        # rows leaving the 3-year window of non-正常 registrations
        leaving = (merged["_merge"] == "left_only") & (merged["人员状态_b"] != "正常")
        explained = merged["公民身份号码"].map(pid_of).isin(list(events)) | leaving
        assert not (differs & ~explained).any(), merged[differs & ~explained][key]


def test_death_reaches_deaths_and_cremation_before_hukou(world: World, big: World) -> None:
    p = big.people
    certs = big.tables["death_certificates"]
    v1 = certs[(certs["version"] == 1) & certs["pid"].notna()]
    first_file = pd.Series(v1["file_date"].to_numpy(), index=v1["pid"].astype("int64").to_numpy())
    reg = p.set_index("pid")["hukou_death_reg"].dropna()
    both = first_file.index.intersection(reg.index)
    assert len(both) > 1000
    earlier = (first_file.loc[both].to_numpy() <= reg.loc[both].to_numpy()).mean()
    assert earlier > 0.75


def _fate_days(world: World, source: str, **kw: bool) -> dict[str, date]:
    """A folder date for each fate (scanning the years before the window; rare fates need many days)."""
    found: dict[str, date] = {}
    for i in range(20_000):
        day = AS_OF - timedelta(days=400 + i)
        fate = delivery_fate(world, source, f"{day:%Y%m%d}", **kw)
        kind = "missing" if fate.missing else "broken" if fate.broken else "redelivered" if fate.redelivered \
            else "ok"
        found.setdefault(kind, day)
        if len(found) == (4 if kw.get("can_be_missing") else 3):
            break
    return found


@pytest.mark.parametrize("source", ["hukou", "deaths"])
def test_delivery_fates_are_rendered(world: World, tmp_path: Path, source: str) -> None:
    from simulator.sources import deaths, hukou

    w = replace(world, cfg=replace(world.cfg, out=tmp_path))
    if source == "hukou":
        module, stem, enc = hukou, "HJRK", "gb18030"
        rows = hukou.snapshot(world, AS_OF).iloc[:2000]
        days = _fate_days(world, source, can_be_missing=True)
        assert set(days) == {"ok", "missing", "broken", "redelivered"}
    else:
        module, stem, enc = deaths, "SWZM", "utf-8"
        rows = deaths.render(world.tables["death_certificates"].drop_duplicates("死亡证编号").iloc[:30])
        days = _fate_days(world, source)
        assert set(days) == {"ok", "broken", "redelivered"}
    for kind, day in days.items():
        written = module.write_delivery(w, day, rows)
        folder = tmp_path / "landing" / source / f"{day:%Y%m%d}"
        if kind == "missing":
            assert written == [] and not folder.exists()
            continue
        original = folder / f"{stem}_{day:%Y%m%d}.csv"
        n = len(_records(original, enc)) - 1 if kind != "broken" else len(rows)
        assert _marker_ok(original, n) == (kind != "broken"), kind
        if kind == "ok":
            assert written == [original] and n == len(rows)
            continue
        again = folder / f"{stem}_{day:%Y%m%d}_R1.csv"
        assert written == [original, again] and _current(folder, stem) == again
        assert _marker_ok(again, len(rows)) and len(_records(again, enc)) - 1 == len(rows)
        if kind == "redelivered":
            assert n < len(rows)


# --- deaths -----------------------------------------------------------------------------------------

def test_deaths_files_cover_the_history(world: World) -> None:
    cfg = world.cfg
    names = [f.name for f in _folders(world, "deaths")]
    first = cfg.deaths_history_start + timedelta(days=1)
    assert names == [f"{first + timedelta(days=i):%Y%m%d}" for i in range((cfg.last_folder_date - first).days + 1)]
    for folder in _folders(world, "deaths"):
        stem = f"SWZM_{folder.name}"
        fate = delivery_fate(world, "deaths", folder.name)
        want = [f"{stem}.csv", f"{stem}.ok"] + ([f"{stem}_R1.csv", f"{stem}_R1.ok"] if fate.redelivered else [])
        assert sorted(p.name for p in folder.iterdir()) == sorted(want)
        path = _current(folder, stem)
        data = path.read_bytes()
        assert data.startswith((SWZM_HEADER + "\n").encode()) and not data.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in data and data.endswith(b"\n")
        assert _marker_ok(path, len(_records(path, "utf-8")) - 1)


def test_deaths_values(world: World) -> None:
    all_rows = []
    for folder_day, df in _swzm(world):
        assert list(df.columns) == SWZM_HEADER.split(",")
        assert not df["死亡证编号"].duplicated().any()
        df["folder"] = folder_day
        all_rows.append(df)
    rows = pd.concat(all_rows, ignore_index=True)
    assert len(rows) > 20
    assert rows["死亡证编号"].str.fullmatch(r"E\d{18}").all()
    assert set(rows["证件类别"]) <= {"居民身份证", "护照", "无"}
    assert ((rows["证件号码"] == "") == (rows["证件类别"] == "无")).all()
    assert ((rows["死者姓名"] == "无名氏") <= (rows["证件类别"] == "无")).all()
    assert set(rows["性别"]) <= {"男", "女"} and set(rows["死亡地点类别"]) <= {"医疗卫生机构", "家中", "其他"}
    assert rows["出生日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert rows["签发日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert rows["死亡日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
    assert (rows["签发日期"] >= rows["死亡日期"].str.slice(0, 10)).all()
    assert (rows["常住地址"] != "").all() and (rows["死者姓名"] != "").all()
    ids = rows.loc[rows["证件类别"] == "居民身份证", "证件号码"].map(normalise_id)
    assert ids.map(is_valid_id).all()
    # a record arrives at the earliest the day after its issue
    assert (pd.to_datetime(rows["签发日期"]).dt.date < rows["folder"]).all()
    # current state: the latest 签发日期 per certificate equals the world's last version
    certs = world.tables["death_certificates"]
    last = rows.sort_values(["签发日期", "folder"]).groupby("死亡证编号").tail(1).set_index("死亡证编号")
    truth = certs.sort_values("version").groupby("死亡证编号").tail(1).set_index("死亡证编号")
    common = last.index.intersection(truth.index)
    assert (last.loc[common, "死者姓名"] == truth.loc[common, "死者姓名"]).all()


# --- cremation --------------------------------------------------------------------------------------

def test_cremation_table(world: World) -> None:
    con = sqlite3.connect(world.cfg.out / "landing" / "frontdb" / "cremation.sqlite")
    try:
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 't_hhdj'").fetchone()[0]
        types = {r[1]: (r[2], r[3], r[5]) for r in con.execute("PRAGMA table_info(t_hhdj)")}
    finally:
        con.close()
    assert "PRIMARY KEY" in ddl
    assert types == {"登记编号": ("VARCHAR(20)", 1, 1), "逝者姓名": ("VARCHAR(50)", 1, 0),
                     "逝者身份证号": ("VARCHAR(32)", 0, 0), "死亡日期": ("DATE", 1, 0), "火化日期": ("DATE", 1, 0),
                     "殡仪馆": ("VARCHAR(100)", 1, 0), "更新时间": ("TIMESTAMP", 1, 0), "删除标志": ("CHAR(1)", 1, 0)}
    t = _t_hhdj(world)
    assert len(t) > 50 and t["登记编号"].is_unique
    assert t["登记编号"].str.fullmatch(r"HH\d{12}").all()
    assert set(t["删除标志"]) <= {"0", "1"}
    assert t["死亡日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all() and t["火化日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert t["更新时间"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    assert (t["火化日期"] >= t["死亡日期"]).all() and (t["火化日期"] >= "2018-01-01").all()
    assert (t["更新时间"] <= f"{AS_OF} 23:59:59").all()
    # a row is entered on the day of 登记编号, which is on or after the cremation
    assert (t["登记编号"].str.slice(2, 10) >= t["火化日期"].str.replace("-", "")).all()
    assert (t["更新时间"].str.replace("-", "").str.slice(0, 8) >= t["登记编号"].str.slice(2, 10)).all()
    assert (t["殡仪馆"] != "").all()
    ids = t["逝者身份证号"].dropna().map(normalise_id)
    assert ids.map(is_valid_id).all()


def test_cremation_state_follows_the_pushes(big: World) -> None:
    rows = big.tables["cremations"]
    night = AS_OF + timedelta(days=1)
    after = cremation_source.state_after_push(rows, night)
    earlier = cremation_source.state_after_push(rows, night - timedelta(days=1))
    new = after[~after["登记编号"].isin(earlier["登记编号"])]
    # rows new in the last push: entered on as-of, or late-pushed from the day before
    assert (new["更新时间"].dt.date >= AS_OF - timedelta(days=1)).all()
    late = rows[rows["insert_late"] & (rows["created_at"].dt.date == AS_OF)]
    assert not after["登记编号"].isin(late["登记编号"]).any()
    # soft deletes of duplicate_then_deleted: one of each pair
    deleted = after[after["删除标志"] == "1"]
    assert deleted["登记编号"].isin(rows.loc[rows["twin"].notna(), "登记编号"]).all()


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("SAFETYNET_TEST_PG_URL"), reason="SAFETYNET_TEST_PG_URL not set")
def test_cremation_postgres_round_trip(world: World) -> None:
    import sqlalchemy as sa

    url = os.environ["SAFETYNET_TEST_PG_URL"]
    pg_world = replace(world, cfg=replace(world.cfg, frontdb_urls={"cremation": url}))
    cremation_source.write(pg_world)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            back = pd.read_sql_query(sa.text('SELECT * FROM t_hhdj ORDER BY "登记编号"'), conn)
    finally:
        engine.dispose()
    lite = _t_hhdj(world).sort_values("登记编号", ignore_index=True)
    assert back["登记编号"].tolist() == lite["登记编号"].tolist()
    assert back["删除标志"].tolist() == lite["删除标志"].tolist()
    assert [str(v) for v in back["死亡日期"]] == lite["死亡日期"].tolist()
    assert [v.strftime("%Y-%m-%d %H:%M:%S") for v in back["更新时间"]] == lite["更新时间"].tolist()


# --- planted persons --------------------------------------------------------------------------------

def test_planted_deaths_in_exactly_their_sources(world: World) -> None:
    certs = pd.concat([df for _, df in _swzm(world)], ignore_index=True)
    t = _t_hhdj(world)
    hukou = _hukou(world, AS_OF)
    for h, m, pid in world.planted_members():
        if m.death_days_ago is None or m.death_days_ago > 365:  # older certificates predate the history
            continue
        idn = world.id_of(pid)
        assert (certs["证件号码"] == idn).sum() == ("deaths" in m.death_in), (h.sid, m.key)
        assert ((t["逝者身份证号"] == idn) & (t["删除标志"] == "0")).sum() == ("cremation" in m.death_in), h.sid
        if hukou is not None:
            status = set(hukou.loc[hukou["公民身份号码"] == idn, "人员状态"])
            assert status == ({"死亡"} if "hukou" in m.death_in else {"正常"}), (h.sid, m.key)
        death = str(AS_OF - timedelta(days=m.death_days_ago))
        assert (certs.loc[certs["证件号码"] == idn, "死亡日期"].str.slice(0, 10) == death).all()
        assert (t.loc[t["逝者身份证号"] == idn, "死亡日期"] == death).all()


# --- quirk rates (world tables of the larger world) -------------------------------------------------

def _near(share: float, target: float, n: int) -> bool:
    return abs(share - target) <= max(0.5 * target, 3 * (target / n) ** 0.5)


def test_quirk_rates_deaths(big: World) -> None:
    c = big.tables["death_certificates"]
    bg = c["planted"] == ""
    n = len(c)
    assert n > 3000
    assert _near(c["non_resident"].mean(), 0.04, n)
    assert _near((c["证件类别"] == "无").mean(), 0.014, n)
    assert _near((c["证件类别"] == "护照").mean(), 0.001, n)
    for q, r in (("legacy_15", 0.003), ("lowercase_x", 0.003), ("spaces", 0.002)):
        assert _near(c["id_quirk"].str.contains(q).mean(), r, n), q
    v1 = c[c["version"] == 1]
    assert _near((v1["corrected"] != "").mean(), 0.02, len(v1))
    assert _near(v1["late_entry"].mean(), 0.03, len(v1))
    assert _near(v1["late_issue"].mean(), 0.06, len(v1))
    issue_lag = (v1["签发日期"] - v1["死亡日期"].dt.normalize()).dt.days
    assert _near((issue_lag > 30).mean(), 0.01, len(v1))
    idc = c["证件类别"] == "居民身份证"
    assert _near(c.loc[idc, "birth_mismatch"].mean(), 0.002, int(idc.sum()))
    mism = c[c["birth_mismatch"] & (c["corrected"] != "出生日期")]
    assert (mism["出生日期"].dt.strftime("%Y%m%d") != mism["id_number"].str.slice(6, 14)).all()
    assert _near((v1["死亡证编号"].str.slice(1, 7) != "370481").mean(), 0.06 * 0.96, len(v1))
    assert (v1.groupby("死亡证编号").size() == 1).all()
    # corrections: a full re-issue, later file, 签发日期 not earlier, differing in the corrected field only
    v2 = c[c["version"] == 2].set_index("死亡证编号")
    first = v1.set_index("死亡证编号").loc[v2.index]
    assert (v2["签发日期"] >= first["签发日期"]).all() and (v2["file_date"] > first["file_date"]).all()
    for col in ("死者姓名", "证件号码", "出生日期", "性别", "死亡日期"):
        diff = (v2[col].astype(object) != first[col].astype(object)) & v2[col].notna()
        assert (diff <= (v2["corrected"] == col)).all(), col
    assert (c.loc[bg, "常住地址"].str.contains(",").mean()) > 0
    assert (c["签发日期"] >= c["死亡日期"].dt.normalize()).all()
    assert (c["entry_date"] >= c["签发日期"]).all()


def test_quirk_rates_cremation(big: World) -> None:
    r = big.tables["cremations"]
    n = len(r)
    assert n > 3000
    assert _near(r["non_resident"].mean(), 0.03, n)
    for q, rate in (("legacy_15", 0.005), ("lowercase_x", 0.003), ("spaces", 0.003)):
        assert _near(r["id_quirk"].str.contains(q).mean(), rate, n), q
    assert _near(r["逝者身份证号"].isna().mean(), 0.01, n)
    assert _near(r["death_date_differs"].mean(), 0.02, n)
    assert _near(r["name_variant"].mean(), 0.005, n)
    assert _near((r["殡仪馆"] != "滕州市殡仪馆").mean(), 0.03, n)
    pairs = r["twin"].notna()
    assert _near(pairs.mean() / 2, 0.005, n)
    assert r.loc[pairs, "deleted_at"].notna().sum() == pairs.sum() // 2
    late_reg = (r["created_at"].dt.normalize() > r["火化日期"]).mean()
    assert 0.05 < late_reg < 0.2  # ~10% entered one or two days after 火化日期
    assert (r["火化日期"] >= r["死亡日期"]).all()
    for col in ("insert_late", "correct_late", "delete_late"):
        assert _near(r[col].mean(), 0.01, n), col
    # no_death_certificate: cremated Tengzhou residents without a certificate
    dec = big.tables["deceased"].set_index("did")
    res = r[~r["non_resident"] & r["twin"].isna()]
    assert 0.02 < (~dec.loc[res["did"], "in_deaths"]).mean() < 0.08
    # a cremation registered in the world shows the certificate's date of death (or a day off)
    certs = big.tables["death_certificates"].groupby("did")["死亡日期"].last().dt.normalize()
    both = res["did"].isin(certs.index)
    gap = (res.loc[both, "死亡日期"].to_numpy() - certs.loc[res.loc[both, "did"]].to_numpy()) / np.timedelta64(1, "D")
    assert (np.abs(gap) <= 1).all()


def test_world_is_deterministic(tmp_path: Path) -> None:
    a = _world(tmp_path / "a", 0.003)
    b = _world(tmp_path / "b", 0.003)
    for name in ("deceased", "death_certificates", "cremations"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
