"""The asset sources of the synthetic city (vehicles, property, business) against their contracts.

Two small worlds (scale 0.003, as-of 2026-05-27, a Wednesday): `days=3` (no Monday in the window: only
the Monday before it) and `days=7` (the window holds a Monday and a Wednesday). Rates are checked with
binomial tolerances; planted facts exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import build_world, write_deliveries
from simulator.config import SimConfig
from simulator.domains.assets import business_on, property_holdings, vehicles_on, weekly_folder_dates
from simulator.ids import is_valid_id, is_valid_org_code, is_valid_uscc, normalise_id
from simulator.schedule import delivery_fate
from simulator.world import World

AS_OF = date(2026, 5, 27)
SCALE = 0.003
SOURCES = ("vehicles", "property", "business")
BOM = b"\xef\xbb\xbf"

VEHICLE_COLUMNS = ["号牌号码", "号牌种类", "车辆类型", "使用性质", "所有人证件号码", "所有人", "初次登记日期", "机动车状态",
                   "品牌型号", "车辆识别代号"]
PROPERTY_COLUMNS = ["业务编号", "不动产单元号", "不动产权证号", "权利人", "证件种类", "证件号码", "共有情况", "共有份额",
                    "坐落", "用途", "建筑面积", "登记类型", "登记时间"]
SCZT_COLUMNS = ["统一社会信用代码", "主体名称", "市场主体类型", "注册资本", "资金数额", "成立日期", "登记状态", "经营范围", "住所",
                "登记机关"]
RY_COLUMNS = ["统一社会信用代码", "人员类型", "姓名", "证件类型", "证件号码", "认缴出资额", "出资比例"]
#: (encoding, BOM, all quoted, line ending) per source
FORMATS = {"vehicles": ("utf-8", True, True, "\r\n"), "property": ("gb18030", False, False, "\r\n"),
           "business": ("utf-8", False, False, "\n")}

PLATE = re.compile(r"^鲁D([A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\d{4}|[A-HJ-NP-Z0-9]{4}挂)$")
STATUS = re.compile(r"^(A|B|E|M|(?=[CDGPQ])C?D?G?P?Q?)$")
VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
UNIT = re.compile(r"^370481\d{6}(GB|GX|JC|JB)\d{5}(F\d{8}|W00000000)$")
CERT = re.compile(r"^鲁[(（]\d{4}[)）]滕州市不动产权第\d{7}号$")
PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?%$")
USCC = re.compile(r"^9[123]\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
DEC2 = re.compile(r"^\d+\.\d{2}$")
DEC6 = re.compile(r"^\d+\.\d{6}$")
COMBOS = {"小型汽车": {"小型轿车", "小型普通客车", "轻型普通货车", "残疾人专用小型自动挡载客汽车"},
          "新能源小型车": {"小型轿车", "小型普通客车", "轻型普通货车"}, "大型汽车": {"重型半挂牵引车", "重型普通货车"},
          "挂车": {"重型普通半挂车"}, "普通摩托车": {"普通二轮摩托车"}, "轻便摩托车": {"普通二轮摩托车"},
          "低速车": {"三轮汽车", "低速货车"}}


# --- set-up ---------------------------------------------------------------------------------------

@dataclass
class Sim:
    world: World
    out: Path

    @property
    def cfg(self) -> SimConfig:
        return self.world.cfg


def _simulate(out: Path, days: int) -> Sim:
    cfg = SimConfig(out=out, scale=SCALE, seed=7, as_of=AS_OF, days=days)
    world = build_world(cfg, domains=("assets",))
    write_deliveries(world, SOURCES)
    return Sim(world, out)


@pytest.fixture(scope="module")
def sim3(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return _simulate(tmp_path_factory.mktemp("assets3"), 3)


@pytest.fixture(scope="module")
def sim7(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return _simulate(tmp_path_factory.mktemp("assets7"), 7)


@pytest.fixture(params=[3, 7], ids=["days3", "days7"])
def sim(request: pytest.FixtureRequest) -> Sim:
    return request.getfixturevalue(f"sim{request.param}")


def _read(path: Path, source: str) -> list[list[str]]:
    """Records (header first) of a data file, after checking its exact byte layout."""
    encoding, bom, quote_all, eol = FORMATS[source]
    raw = path.read_bytes()
    assert raw.startswith(BOM) == bom, path.name
    text = raw[len(BOM):].decode(encoding) if bom else raw.decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))

    def field(f: str) -> str:
        return '"' + f.replace('"', '""') + '"' if quote_all or any(c in f for c in ',"\r\n') else f

    assert "".join(",".join(field(f) for f in r) + eol for r in rows) == text, path.name
    assert all(len(r) == len(rows[0]) for r in rows), path.name
    return rows


def _frame(path: Path, source: str) -> pd.DataFrame:
    rows = _read(path, source)
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def _latest(sim: Sim, source: str, prefix: str) -> dict[date, Path]:
    """Folder date → the superseding version (highest _R) of the data file `prefix_<date>`."""
    out: dict[date, tuple[int, Path]] = {}
    for p in sorted((sim.out / "landing" / source).glob(f"*/{prefix}_*.csv")):
        m = re.match(rf"^{prefix}_(\d{{8}})(?:_R(\d+))?\.csv$", p.name)
        if not m:
            continue
        d = datetime.strptime(m.group(1), "%Y%m%d").date()
        r = int(m.group(2) or 0)
        if d not in out or r > out[d][0]:
            out[d] = (r, p)
    return {d: p for d, (_, p) in sorted(out.items())}


def _near(k: int, n: int, p: float, slack: float = 4.0) -> bool:
    """k hits out of n are compatible with rate p (binomial, slack standard deviations, +2)."""
    mean = n * p
    return abs(k - mean) <= slack * math.sqrt(max(mean * (1 - p), 1e-9)) + 2


def _norm(s: pd.Series) -> pd.Series:
    return s.map(normalise_id)


# --- files, markers, formats ------------------------------------------------------------------------

def test_folders_and_markers(sim: Sim) -> None:
    cfg = sim.cfg
    expected: set[tuple[str, str]] = set()
    for folder in weekly_folder_dates(cfg, 0):
        if not delivery_fate(sim.world, "vehicles", f"{folder:%Y%m%d}", can_be_missing=True).missing:
            expected.add(("vehicles", f"{folder:%Y%m%d}/JDC_{folder:%Y%m%d}.csv"))
    for folder in weekly_folder_dates(cfg, 2):
        if not delivery_fate(sim.world, "business", f"{folder:%Y%m%d}", can_be_missing=True).missing:
            expected |= {("business", f"{folder:%Y%m%d}/{s}_{folder:%Y%m%d}.csv") for s in ("SCZT", "SCZT_RY")}
    first = cfg.first_business_date + timedelta(days=1)
    expected.add(("property", f"{first:%Y%m%d}/BDC_FULL_{first:%Y%m%d}.csv"))
    expected |= {("property", f"{b + timedelta(days=1):%Y%m%d}/BDC_{b + timedelta(days=1):%Y%m%d}.csv")
                 for b in cfg.business_dates}
    found = set()
    for source in SOURCES:
        for p in (sim.out / "landing" / source).rglob("*"):
            if p.is_file():
                assert p.suffix in (".csv", ".ok"), p
                if p.suffix == ".csv":
                    original = re.sub(r"_R\d+(?=\.csv$)", "", p.name)
                    found.add((source, f"{p.parent.name}/{original}"))
    assert found == expected
    # the weekly snapshot before the window is always there; Mondays/Wednesdays inside it too
    assert weekly_folder_dates(cfg, 0)[0] < cfg.first_business_date + timedelta(days=1)
    for source in SOURCES:
        for data in (sim.out / "landing" / source).rglob("*.csv"):
            marker = data.with_suffix(".ok")
            text = marker.read_bytes().decode("ascii")
            m = re.fullmatch(r"rows=(\d+)\nsha256=([0-9a-f]{64})\n", text)
            assert m, marker
            superseded = (data.parent / f"{data.stem}_R1.csv").exists()
            rows = len(_read(data, source)) - 1 if not superseded else None
            if not superseded:  # broken markers only where a re-delivery follows
                assert int(m.group(1)) == rows, data
                assert m.group(2) == hashlib.sha256(data.read_bytes()).hexdigest(), data


@pytest.mark.parametrize("source,prefix,columns", [("vehicles", "JDC", VEHICLE_COLUMNS),
                                                   ("property", "BDC", PROPERTY_COLUMNS),
                                                   ("property", "BDC_FULL", PROPERTY_COLUMNS),
                                                   ("business", "SCZT", SCZT_COLUMNS),
                                                   ("business", "SCZT_RY", RY_COLUMNS)])
def test_headers_exact(sim: Sim, source: str, prefix: str, columns: list[str]) -> None:
    encoding, bom, quote_all, eol = FORMATS[source]
    header = ",".join(f'"{c}"' if quote_all else c for c in columns) + eol
    head = (BOM if bom else b"") + header.encode(encoding)
    files = _latest(sim, source, prefix)
    assert files
    for p in files.values():
        assert p.read_bytes().startswith(head), p


def test_multiline_record_counts_once(sim3: Sim) -> None:
    scope = sim3.world.tables["entities"]["scope"]
    assert scope.str.contains("\n").any()
    for p in _latest(sim3, "business", "SCZT").values():
        rows = _read(p, "business")
        assert any("\n" in f for r in rows for f in r)
        text = p.read_text(encoding="utf-8")
        assert text.count("\n") > len(rows)  # line breaks inside quoted fields …
        assert int(p.with_suffix(".ok").read_text().split("\n")[0][5:]) == len(rows) - 1  # … count once


def test_deterministic(sim3: Sim, tmp_path: Path) -> None:
    again = _simulate(tmp_path, 3)
    for source in SOURCES:
        a = sorted(p.relative_to(sim3.out) for p in (sim3.out / "landing" / source).rglob("*") if p.is_file())
        b = sorted(p.relative_to(again.out) for p in (again.out / "landing" / source).rglob("*") if p.is_file())
        assert a == b
        for rel in a:
            assert (sim3.out / rel).read_bytes() == (again.out / rel).read_bytes(), rel


def test_volumes(sim3: Sim) -> None:
    t = sim3.world.tables
    sf = sim3.cfg.n_households / 600_000
    snap = vehicles_on(t["vehicles"], AS_OF)
    assert 0.85 < len(snap) / (450_000 * sf) < 1.2
    assert 0.85 < len(t["property_units"]) / (900_000 * sf) < 1.2
    full = property_holdings(t["property_registrations"], sim3.cfg.first_business_date)
    assert 0.85 < len(full) / (1_100_000 * sf) < 1.2
    assert 0.9 < len(t["entities"]) / (180_000 * sf) < 1.1
    assert 0.85 < len(t["entity_persons"]) / (260_000 * sf) < 1.2


# --- vehicles ---------------------------------------------------------------------------------------

def test_vehicles_contract(sim: Sim) -> None:
    files = _latest(sim, "vehicles", "JDC")
    assert files
    for folder, p in files.items():
        df = _frame(p, "vehicles")
        assert df["号牌号码"].str.match(PLATE).all()
        assert df["车辆识别代号"].is_unique
        assert (df["车辆识别代号"].str.len() <= 20).all()
        assert df["机动车状态"].str.match(STATUS).all()
        for plate_type, vtype in zip(df["号牌种类"], df["车辆类型"], strict=True):
            assert vtype in COMBOS[plate_type]
        new_energy = df["号牌种类"] == "新能源小型车"
        assert (df.loc[new_energy, "号牌号码"].str.len() == 8).all()
        assert (df.loc[~new_energy, "号牌号码"].str.len() == 7).all()
        assert df.loc[df["号牌种类"] == "挂车", "号牌号码"].str.endswith("挂").all()
        assert df["使用性质"].isin(["非营运", "营转非", "公路客运", "货运", "出租客运"]).all()
        assert (df.loc[df["使用性质"] == "出租客运", "车辆类型"] == "小型轿车").all()
        assert (df.loc[df["使用性质"] == "公路客运", "车辆类型"] == "小型普通客车").all()
        assert pd.to_datetime(df["初次登记日期"], format="%Y-%m-%d").le(pd.Timestamp(folder)).all()
        assert (df != "").all().all()  # no column is nullable
        assert (df["所有人证件号码"].str.len() <= 18).all()
        # owners: valid ID (possibly 15 digits / lowercase x), USCC or legacy organisation code
        kind = df["所有人证件号码"].map(lambda s: "person" if is_valid_id(normalise_id(s)) else
                                       "org" if is_valid_uscc(s) else "legacy" if is_valid_org_code(s) else "?")
        assert (kind != "?").all()
        org = kind.isin(["org", "legacy"])
        assert 0.05 < org.mean() < 0.11
        # VIN pattern except quirk nonstandard_vin (locally built low-speed vehicles and motorcycles)
        odd = ~df["车辆识别代号"].str.match(VIN)
        assert df.loc[odd, "车辆类型"].isin(["三轮汽车", "低速货车", "普通二轮摩托车"]).all()


def test_vehicles_status_shares(sim3: Sim) -> None:
    df = _frame(list(_latest(sim3, "vehicles", "JDC").values())[-1], "vehicles")
    n = len(df)
    status = df["机动车状态"]
    for code, share in (("A", 0.82), ("E", 0.055), ("M", 0.02), ("B", 0.015), ("G", 0.03), ("Q", 0.03)):
        assert _near(int((status == code).sum()), n, share, 5), code
    assert status.str.contains("[CD]").sum() <= max(10, 0.02 * n)


def test_vehicles_match_world(sim: Sim) -> None:
    v = sim.world.tables["vehicles"]
    for folder, p in _latest(sim, "vehicles", "JDC").items():
        df = _frame(p, "vehicles")
        snap = vehicles_on(v, folder - timedelta(days=1))
        assert set(df["车辆识别代号"]) == set(snap["vin"])
        merged = df.merge(snap, left_on="车辆识别代号", right_on="vin")
        assert (merged["机动车状态"] == merged["status"]).all()
        assert (merged["号牌号码"] == merged["plate"]).all()
        # ended registrations only within 24 months before the as-of Sunday
        ended = snap[snap["status"].isin(["B", "E", "M"])]
        assert (ended["valid_from"] > pd.Timestamp(folder - timedelta(days=1)) - pd.DateOffset(months=24)).all()


def test_vehicle_quirks(sim3: Sim) -> None:
    world = sim3.world
    df = _frame(list(_latest(sim3, "vehicles", "JDC").values())[-1], "vehicles")
    n = len(df)
    owner = df["所有人证件号码"]
    assert _near(int(owner.str.fullmatch(r"\d{15}").sum()), n, 0.005)
    assert _near(int(owner.str.fullmatch(r"\d{17}x").sum()), n, 0.002)
    org = owner.map(lambda s: is_valid_uscc(s) or is_valid_org_code(s))
    legacy = owner.map(is_valid_org_code)
    assert legacy.sum() >= 1 and _near(int(legacy.sum()), int(org.sum()), 0.04)
    # plate_reuse: a plate on two rows, one ended and one current
    dup = df[df["号牌号码"].duplicated(keep=False)]
    assert len(dup) >= 2
    for _, g in dup.groupby("号牌号码"):
        assert len(g) == 2 and g["机动车状态"].isin(["B", "E", "M"]).sum() == 1
    # nonstandard_vin: rare, only low-speed vehicles and motorcycles
    odd = ~df["车辆识别代号"].str.match(VIN)
    low = df["号牌种类"] == "低速车"
    assert int(odd.sum()) <= 0.03 * int(low.sum()) + 0.01 * int((df["车辆类型"] == "普通二轮摩托车").sum()) + 2
    # owner_not_in_hukou and deceased_owner (world facts)
    ids = _norm(owner)
    people = world.people.set_index("id_number")
    person = ids.map(lambda s: is_valid_id(s))
    outside = person & ~ids.isin(people.index)
    assert _near(int(outside.sum()), int(person.sum()), 0.02)
    death = people["death_date"].reindex(ids[person & ~outside]).to_numpy()
    a_rows = (df.loc[person & ~outside, "机动车状态"] == "A").to_numpy()
    dead = ~np.isnat(death) & (death < np.datetime64(AS_OF)) & a_rows
    assert dead.sum() >= 1 and _near(int(dead.sum()), int(a_rows.sum()), 0.015, 5)


def test_weekly_vehicle_changes(sim7: Sim) -> None:
    """Between the Monday before the window and the Monday in it: new registrations, transfers, ends."""
    files = _latest(sim7, "vehicles", "JDC")
    assert len(files) == 2
    (d0, p0), (d1, p1) = files.items()
    a, b = _frame(p0, "vehicles").set_index("车辆识别代号"), _frame(p1, "vehicles").set_index("车辆识别代号")
    v = sim7.world.tables["vehicles"]
    start, end = pd.Timestamp(d0 - timedelta(days=1)), pd.Timestamp(d1 - timedelta(days=1))
    moved = v[(v["valid_from"] > start) & (v["valid_from"] <= end)]
    new = set(b.index) - set(a.index)
    assert new == set(moved.loc[moved["first_reg"] > start, "vin"])
    both = a.index.intersection(b.index)
    changed = both[(a.loc[both, "所有人"] != b.loc[both, "所有人"]).to_numpy()
                   | (a.loc[both, "机动车状态"] != b.loc[both, "机动车状态"]).to_numpy()]
    assert set(changed) <= set(moved["vin"])


# --- property ---------------------------------------------------------------------------------------

def _property_files(sim: Sim) -> tuple[pd.DataFrame, dict[date, pd.DataFrame]]:
    full = list(_latest(sim, "property", "BDC_FULL").values())
    assert len(full) == 1
    daily = {d: _frame(p, "property") for d, p in _latest(sim, "property", "BDC").items()}
    return _frame(full[0], "property"), daily


def _replay(full: pd.DataFrame, daily: dict[date, pd.DataFrame]) -> pd.DataFrame:
    """property.yaml current_state, from the files alone."""
    log = pd.concat([full, *daily.values()], ignore_index=True).drop_duplicates()
    regs = log[["不动产单元号", "登记时间", "业务编号"]].drop_duplicates()
    win = regs.sort_values(["不动产单元号", "登记时间", "业务编号"]).drop_duplicates("不动产单元号", keep="last")
    cur = log.merge(win, on=["不动产单元号", "登记时间", "业务编号"])
    return cur[cur["登记类型"] != "注销登记"]


def test_property_contract(sim: Sim) -> None:
    full, daily = _property_files(sim)
    seen: set[tuple[str, str]] = set()  # (业务编号, unit) already delivered: a repeat may be a single row
    for name, df in [("FULL", full), *daily.items()]:
        if df.empty:
            continue
        assert df["业务编号"].str.fullmatch(r"\d{14}").all(), name
        assert df["不动产单元号"].str.match(UNIT).all(), name
        assert df["不动产权证号"].str.match(CERT).all(), name
        assert df["证件种类"].isin(["居民身份证", "统一社会信用代码", "护照", "其他"]).all()
        assert df["共有情况"].isin(["单独所有", "共同共有", "按份共有"]).all()
        assert df["用途"].isin(["住宅", "车位", "商业", "办公", "工业", "其他"]).all()
        assert df["登记类型"].isin(["首次登记", "转移登记", "变更登记", "注销登记"]).all()
        assert ((df["建筑面积"] == "") | df["建筑面积"].str.match(DEC2)).all()
        land = df["不动产单元号"].str.endswith("W00000000")
        assert (df.loc[land, "建筑面积"] == "").all() and (df.loc[~land, "建筑面积"] != "").all()
        assert ((df["共有份额"] != "") == (df["共有情况"] == "按份共有")).all()
        assert df.loc[df["共有份额"] != "", "共有份额"].str.match(PERCENT).all()
        t = pd.to_datetime(df["登记时间"], format="%Y-%m-%d %H:%M:%S")
        assert (t.dt.weekday < 5).all()
        minutes = t.dt.hour * 60 + t.dt.minute
        assert minutes.between(8 * 60 + 30, 17 * 60 + 30).all()
        accepted = pd.to_datetime(df["业务编号"].str.slice(0, 8), format="%Y%m%d")
        lag = (t.dt.normalize() - accepted).dt.days
        assert lag.between(1, 30).all()
        ids = _norm(df["证件号码"])
        card = df["证件种类"] == "居民身份证"
        assert ids[card].map(is_valid_id).all()
        assert df.loc[df["证件种类"] == "统一社会信用代码", "证件号码"].map(is_valid_uscc).all()
        for key, g in df.groupby(["业务编号", "不动产单元号"]):
            assert g["共有情况"].nunique() == 1 and g["不动产权证号"].nunique() == 1
            if key in seen:
                continue
            co = g["共有情况"].iloc[0]
            assert (len(g) == 1) == (co == "单独所有")
            if co == "按份共有":
                total = round(sum(float(s[:-1]) for s in g["共有份额"]), 2)
                assert total in (100.0, 99.99, 100.01)
        seen |= set(zip(df["业务编号"], df["不动产单元号"], strict=True))
    for df in daily.values():
        assert not df.assign(k=_norm(df["证件号码"])).duplicated(["业务编号", "不动产单元号", "k"]).any()
    assert not full.assign(k=_norm(full["证件号码"])).duplicated(["不动产单元号", "k"]).any()


def test_property_shares_and_volume(sim3: Sim) -> None:
    full, _ = _property_files(sim3)
    units = full.drop_duplicates("不动产单元号")
    use = units["用途"].value_counts(normalize=True)
    assert 0.72 < use["住宅"] < 0.84 and 0.04 < use["车位"] < 0.12 and 0.03 < use["商业"] < 0.10
    kind = full["证件种类"].value_counts(normalize=True)
    assert 0.94 < kind["居民身份证"] < 0.98 and 0.02 < kind["统一社会信用代码"] < 0.05
    assert {"护照", "其他"} <= set(kind.index)
    assert 1.1 < len(full) / len(units) < 1.35


def test_property_replay_equals_world(sim: Sim) -> None:
    full, daily = _property_files(sim)
    got = _replay(full, daily)
    want = property_holdings(sim.world.tables["property_registrations"], sim.cfg.as_of)
    got_set = set(zip(got["不动产单元号"], _norm(got["证件号码"]), strict=True))
    want_set = set(zip(want["unit"], want["holder_id"], strict=True))
    assert got_set == want_set
    # the FULL file is the replay as of the first business date
    first = property_holdings(sim.world.tables["property_registrations"], sim.cfg.first_business_date)
    assert set(zip(full["不动产单元号"], _norm(full["证件号码"]), strict=True)) == \
        set(zip(first["unit"], first["holder_id"], strict=True))


def test_property_daily_files(sim: Sim) -> None:
    full, daily = _property_files(sim)
    seen = [full]
    for folder, df in daily.items():
        b = folder - timedelta(days=1)
        if b.weekday() >= 5:
            assert df.empty, folder
            continue
        days = pd.to_datetime(df["登记时间"]).dt.date
        earlier = pd.concat(seen, ignore_index=True)
        repeated = df.merge(earlier.drop_duplicates(), how="left", indicator=True)["_merge"].eq("both").to_numpy()
        same_day = (days == b).to_numpy()
        late = np.array([2 <= (b - d).days <= 10 for d in days], dtype=bool)
        assert (same_day | late | repeated).all(), folder
        seen.append(df)


def test_property_quirks(sim3: Sim) -> None:
    world = sim3.world
    full, daily = _property_files(sim3)
    n = len(full)
    assert _near(int(full["不动产权证号"].str.contains("（").sum()), n, 0.10, 5)
    card = full[full["证件种类"] == "居民身份证"]["证件号码"]
    assert _near(int(card.str.fullmatch(r"\d{15}").sum()), len(card), 0.005)
    assert _near(int(card.str.fullmatch(r"\d{17}x").sum()), len(card), 0.003)
    assert _near(int((card != card.str.strip()).sum()), len(card), 0.002)
    assert (card.str.strip() == card.str.strip(" ")).all()  # ASCII spaces only
    assert _near(int(full["坐落"].str.contains(",").sum()), len(full), 0.01, 5)
    logs = pd.concat(daily.values(), ignore_index=True)
    # late_entry, repeated_row and unknown_unit occur at least once in this window
    days = pd.to_datetime(logs["登记时间"]).dt.date
    folder_of = pd.concat([pd.Series([d - timedelta(days=1)] * len(df)) for d, df in daily.items()], ignore_index=True)
    assert ((folder_of - days).map(lambda x: x.days) >= 2).any()
    regs = world.tables["property_registrations"]
    first_of_unit = regs.sort_values("reg_time").drop_duplicates("unit")
    paper = first_of_unit[(first_of_unit["reg_type"] != "首次登记")
                          & (first_of_unit["delivered_on"] > pd.Timestamp(sim3.cfg.first_business_date))]
    assert len(paper) >= 1
    assert paper["unit"].isin(logs["不动产单元号"]).all() and not paper["unit"].isin(full["不动产单元号"]).any()
    # deceased_holder: ~3% of current 住宅 holder rows
    res = full[(full["用途"] == "住宅") & (full["证件种类"] == "居民身份证")]
    death = world.people.set_index("id_number")["death_date"].reindex(_norm(res["证件号码"])).to_numpy()
    dead = ~np.isnat(death)
    assert _near(int(dead.sum()), len(res), 0.03, 5)


def test_repeated_row(sim3: Sim) -> None:
    full, daily = _property_files(sim3)
    seen = [full]
    hits = 0
    for df in daily.values():
        earlier = pd.concat(seen, ignore_index=True).drop_duplicates()
        hits += int(df.merge(earlier, how="inner").shape[0])
        seen.append(df)
    assert hits >= 1


# --- business ---------------------------------------------------------------------------------------

def _business_files(sim: Sim) -> list[tuple[date, pd.DataFrame, pd.DataFrame]]:
    e = _latest(sim, "business", "SCZT")
    r = _latest(sim, "business", "SCZT_RY")
    assert e and e.keys() == r.keys()
    return [(d, _frame(e[d], "business"), _frame(r[d], "business")) for d in e]


def test_business_contract(sim: Sim) -> None:
    for folder, ents, ry in _business_files(sim):
        assert ents["统一社会信用代码"].is_unique
        assert ents["统一社会信用代码"].str.match(USCC).all()
        assert ents["统一社会信用代码"].map(is_valid_uscc).all()
        prefix = ents["统一社会信用代码"].str.slice(0, 2)
        kind = ents["市场主体类型"]
        assert ((prefix == "92") == (kind == "个体工商户")).all()
        assert ((prefix == "93") == (kind == "农民专业合作社")).all()
        assert kind.isin(["个体工商户", "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "农民专业合作社"]).all()
        getihu = kind == "个体工商户"
        assert ((ents["注册资本"] == "") == getihu).all()
        assert (ents.loc[~getihu, "资金数额"] == "").all()
        for col in ("注册资本", "资金数额"):
            v = ents[col]
            assert v[v != ""].str.match(DEC6).all()
        assert ents["登记状态"].isin(["存续", "在业", "注销", "吊销", "迁出"]).all()
        assert pd.to_datetime(ents["成立日期"], format="%Y-%m-%d").le(pd.Timestamp(folder)).all()
        auth = ents["登记机关"]
        assert auth.str.fullmatch(r"滕州市市场监督管理局|枣庄市市场监督管理局|滕州市市场监督管理局\w{2,3}市场监督管理所").all()
        assert (ents["经营范围"] != "").all() and (ents["住所"] != "").all() and (ents["主体名称"] != "").all()
        assert ents["主体名称"].is_unique
        # persons
        assert ry["人员类型"].isin(["法定代表人", "经营者", "股东", "投资人", "执行事务合伙人"]).all()
        assert ry["证件类型"].isin(["居民身份证", "统一社会信用代码", "护照", "港澳居民来往内地通行证", "其他"]).all()
        holder = ry["人员类型"].isin(["股东", "投资人"])
        assert ((ry["认缴出资额"] != "") == holder).all() and ((ry["出资比例"] != "") == holder).all()
        assert ry.loc[holder, "认缴出资额"].str.match(DEC6).all() and ry.loc[holder, "出资比例"].str.match(PERCENT).all()
        card = ry["证件类型"] == "居民身份证"
        assert _norm(ry.loc[card, "证件号码"]).map(is_valid_id).all()
        assert ry.loc[ry["证件类型"] == "统一社会信用代码", "证件号码"].map(is_valid_uscc).all()
        keyed = ry.assign(k=_norm(ry["证件号码"]))
        assert not keyed.duplicated(["统一社会信用代码", "人员类型", "k"]).any()
        # roles per entity type (business.yaml SCZT_RY 人员类型)
        roles = ["法定代表人", "经营者", "股东", "投资人", "执行事务合伙人"]
        ct = pd.crosstab(ry["统一社会信用代码"], ry["人员类型"]).reindex(columns=roles, fill_value=0)
        ct = ct.reindex(ents["统一社会信用代码"], fill_value=0)
        rules = {"个体工商户": {"经营者": (1, 1)}, "有限责任公司": {"法定代表人": (1, 1), "股东": (1, 99)},
                 "股份有限公司": {"法定代表人": (1, 1), "股东": (2, 99)}, "个人独资企业": {"投资人": (1, 1)},
                 "合伙企业": {"执行事务合伙人": (1, 99), "投资人": (2, 99)},
                 "农民专业合作社": {"法定代表人": (1, 1), "投资人": (5, 99)}}
        for t, rule in rules.items():
            sub = ct[(kind == t).to_numpy()]
            for role in roles:
                lo, hi = rule.get(role, (0, 0))
                assert sub[role].between(lo, hi).all(), (t, role)


def test_business_match_world(sim: Sim) -> None:
    w = sim.world
    for folder, ents, ry in _business_files(sim):
        e, p = business_on(w.tables["entities"], w.tables["entity_persons"], folder - timedelta(days=1))
        assert set(ents["统一社会信用代码"]) == set(e["uscc"])
        assert dict(zip(ents["统一社会信用代码"], ents["登记状态"], strict=True)) == dict(zip(e["uscc"], e["status"],
                                                                                              strict=True))
        assert len(ry) == len(p)


def test_business_quirks(sim3: Sim) -> None:
    _, ents, ry = _business_files(sim3)[-1]
    getihu = ents["市场主体类型"] == "个体工商户"
    assert _near(int((ents.loc[getihu, "资金数额"] == "").sum()), int(getihu.sum()), 0.30)
    assert ents["经营范围"].str.contains("\n").any()  # multiline_scope (at least one)
    assert _near(int(ents["经营范围"].str.contains(",").sum()), len(ents), 0.05, 5)
    assert (~ry["统一社会信用代码"].isin(ents["统一社会信用代码"])).sum() >= 1  # orphan_person
    shares = ry[ry["出资比例"] != ""].groupby("统一社会信用代码")["出资比例"].apply(
        lambda s: round(sum(float(x[:-1]) for x in s), 2))
    thirds = shares.isin([99.99, 100.01]).sum()
    off = (~shares.isin([100.0, 99.99, 100.01])).sum()
    assert thirds >= 1 and off >= 1
    assert off <= max(3, 0.02 * len(shares)) and thirds <= max(4, 0.05 * len(shares))
    card = ry[ry["证件类型"] == "居民身份证"]["证件号码"]
    assert _near(int(card.str.fullmatch(r"\d{15}").sum()), len(card), 0.003)
    assert _near(int(card.str.fullmatch(r"\d{17}x").sum()), len(card), 0.002)
    kinds = ry["证件类型"].value_counts(normalize=True)
    assert kinds["居民身份证"] > 0.93
    status = ents["登记状态"].value_counts(normalize=True)
    assert 0.70 < status.get("存续", 0) + status.get("在业", 0) < 0.86


# --- planted facts ------------------------------------------------------------------------------------

def _planted_ids(world: World) -> set[str]:
    return {world.id_of(pid) for _, _, pid in world.planted_members()}


def test_planted_vehicles(sim: Sim) -> None:
    world = sim.world
    planted = _planted_ids(world)
    for _, p in _latest(sim, "vehicles", "JDC").items():
        df = _frame(p, "vehicles")
        ids = _norm(df["所有人证件号码"])
        for _, m, pid in world.planted_members():
            mine = df[(ids == world.id_of(pid)).to_numpy()]
            assert Counter(zip(mine["车辆类型"], mine["机动车状态"], strict=True)) == \
                Counter((v.vtype, v.status) for v in m.vehicles)
            for v in m.vehicles:
                raw = mine.loc[(mine["车辆类型"] == v.vtype) & (mine["机动车状态"] == v.status), "所有人证件号码"]
                if v.legacy15_owner_id:
                    assert raw.str.fullmatch(r"\d{15}").all()
                else:
                    assert (raw == world.id_of(pid)).all()  # no random quirk
            assert mine["车辆识别代号"].str.match(VIN).all()
        assert ids.isin(planted).sum() == sum(len(m.vehicles) for _, m, _ in world.planted_members())


def test_planted_property(sim: Sim) -> None:
    world = sim.world
    full, daily = _property_files(sim)
    cur = _replay(full, daily)
    cur = cur.assign(k=_norm(cur["证件号码"]))
    logs = pd.concat(daily.values(), ignore_index=True)
    logs = logs.assign(k=_norm(logs["证件号码"]))
    first, as_of = world.cfg.first_business_date, world.cfg.as_of
    for h, m, pid in world.planted_members():
        idn = world.id_of(pid)
        members = {mm.key: world.id_of(world.planted_pids[(h.sid, mm.key)]) for mm in h.members}
        held = cur[cur["k"] == idn]
        assert (held["证件号码"] == idn).all()  # no random quirk on planted rows
        expect = [(p.use, "" if p.area is None else f"{p.area:.2f}") for p in m.properties
                  if not p.cancelled and p.sold_days_ago is None]
        expect += [(p.use, "" if p.area is None else f"{p.area:.2f}") for mm in h.members if mm.key != m.key
                   for p in mm.properties if p.co_holder == m.key and not p.cancelled and p.sold_days_ago is None]
        assert Counter(zip(held["用途"], held["建筑面积"], strict=True)) == Counter(expect), (h.sid, m.key)
        for p in m.properties:
            area = "" if p.area is None else f"{p.area:.2f}"
            if p.cancelled or p.sold_days_ago is not None:
                continue
            unit = held[(held["用途"] == p.use) & (held["建筑面积"] == area)]["不动产单元号"].iloc[0]
            holders = cur[cur["不动产单元号"] == unit]
            if p.co_holder:
                assert set(holders["k"]) >= {idn, members[p.co_holder]}
            if p.outside_holder:
                assert (holders["共有情况"] == "按份共有").all()
                assert not set(holders["k"]) - {idn} <= set(members.values())
                assert set(holders["共有份额"]) <= {"50%", "33.33%"}
            elif p.co_holder:
                assert (holders["共有情况"] == "共同共有").all()
            else:
                assert len(holders) == 1 and holders["共有情况"].iloc[0] == "单独所有"
            if p.via_daily_log_days_ago is not None:
                day = as_of - timedelta(days=p.via_daily_log_days_ago)
                reg = holders["登记时间"].iloc[0][:10]
                in_log = (logs["不动产单元号"] == unit) & (logs["k"] == idn)
                if day >= first and any(b.weekday() < 5 and b >= day for b in world.cfg.business_dates):
                    assert in_log.any() and reg >= first.isoformat()
                elif day < first:
                    assert unit in set(full["不动产单元号"]) and reg < first.isoformat()
        for p in m.properties:
            if p.cancelled and any(b.weekday() < 5 for b in world.cfg.business_dates):
                assert ((logs["k"] == idn) & (logs["登记类型"] == "注销登记")).any(), (h.sid, m.key)


def test_planted_business(sim: Sim) -> None:
    world = sim.world
    planted = _planted_ids(world)
    for _, ents, ry in _business_files(sim):
        ids = _norm(ry["证件号码"])
        info = ents.set_index("统一社会信用代码")
        for _, m, pid in world.planted_members():
            mine = ry[(ids == world.id_of(pid)).to_numpy()]
            assert (mine["证件号码"] == world.id_of(pid)).all()
            got = Counter((info.at[c, "市场主体类型"], r, info.at[c, "登记状态"], info.at[c, "资金数额"])
                          for c, r in zip(mine["统一社会信用代码"], mine["人员类型"], strict=True))
            want = Counter((b.entity_type, b.role, b.status, "" if b.funds_wan is None else f"{b.funds_wan:.6f}")
                           for b in m.businesses)
            assert got == want
        assert ids.isin(planted).sum() == sum(len(m.businesses) for _, m, _ in world.planted_members())


def test_planted_have_nothing_else(sim3: Sim) -> None:
    world = sim3.world
    pids = {pid for _, _, pid in world.planted_members()}
    t = world.tables
    v = t["vehicles"]
    assert (v.loc[v["owner_pid"].isin(pids), "planted"] != "").all()
    r = t["property_registrations"]
    assert (r.loc[r["holder_pid"].isin(pids), "planted"] != "").all()
    p = t["entity_persons"]
    assert (p.loc[p["pid"].isin(pids), "planted"] != "").all()
