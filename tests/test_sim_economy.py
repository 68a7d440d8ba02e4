"""The simulator's social_insurance, tax and housing_fund deliveries against their contracts.

One small world (scale 0.003, as-of 2026-05-27, 3 days) with extra planted households covering every
income fact is written once. Planted incomes are recomputed from the written deliveries by a tiny
independent reader of policy section 3 and compared with the facts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from simulator import build_world, scenarios, write_deliveries
from simulator.config import SimConfig
from simulator.domains import economy
from simulator.ids import is_valid_id, normalise_id
from simulator.planted import PHousehold, PMember
from simulator.sources import social_insurance, tax
from simulator.world import World

AS_OF = date(2026, 5, 27)
DAYS = 3
SOURCES = ("social_insurance", "tax", "housing_fund")
GS_HEADER = ('"纳税人识别号","纳税人姓名","所得项目","所得期间起","所得期间止","收入额","应纳税额","已缴税额",'
             '"扣缴义务人名称","申报日期","申报序号"\n').encode()
GJJ_HEADER = "个人账号,身份证号,姓名,单位名称,缴存基数,月缴存额,账户状态,账户余额,最后缴存年月\r\n".encode()
ITEMS = {"工资、薪金所得", "劳务报酬所得", "经营所得", "财产租赁所得", "利息、股息、红利所得"}
MONEY = re.compile(r"^-?\d+\.\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

EXTRA = (
    PHousehold(sid="ECONTEST/hukou/corrected", kind="hukou", town="善南街道", members=(
        PMember("head", 40, True, wage=3100.0, wage_corrected_from=4100.0),
        PMember("spouse", 38, False, rel="配偶", wage=1800.0, wage_extra_employer=900.0, labor=450.0),
    )),
    PHousehold(sid="ECONTEST/hukou/reversed-si", kind="hukou", town="级索镇", members=(
        PMember("head", 45, True, wage=2600.0, wage_reversed=True, si_base=4500.0),
        PMember("spouse", 44, False, rel="配偶", wage=2000.0, wage_reversed=True, gjj_base=3900.0),
    )),
    PHousehold(sid="ECONTEST/hukou/flexible", kind="hukou", town="木石镇", members=(
        PMember("head", 50, True, si_base=4400.0, si_flexible=True),
        PMember("spouse", 49, False, rel="配偶", gjj_base=3300.0),
    )),
    PHousehold(sid="ECONTEST/hukou/public", kind="hukou", town="北辛街道", members=(
        PMember("head", 36, True, si_public=True, wage=6100.0, gjj_base=5900.0),
        PMember("spouse", 35, False, rel="配偶", si_public=True, si_base=5200.0),
    )),
    PHousehold(sid="ECONTEST/hukou/business", kind="hukou", town="东郭镇", members=(
        PMember("head", 52, True, business_income_q=9000.0, rent=700.0, labor=1200.0),
    )),
    PHousehold(sid="ECONTEST/hukou/benefits", kind="hukou", town="龙阳镇", members=(
        PMember("head", 66, True, pension=2600.0),
        PMember("spouse", 63, False, rel="配偶", resident_pension=230.0),
        PMember("son", 35, True, rel="子", unemployment=1890.0),
        PMember("father", 90, True, rel="父亲", pension=3100.0, death_days_ago=200),
    )),
)


def _catalogue(cfg: SimConfig) -> tuple[PHousehold, ...]:
    return (*_ORIGINAL_CATALOGUE(cfg), *EXTRA)


_ORIGINAL_CATALOGUE = scenarios.catalogue


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    cfg = SimConfig(out=tmp_path_factory.mktemp("economy"), scale=0.003, seed=11, as_of=AS_OF, days=DAYS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scenarios, "catalogue", _catalogue)
        w = build_world(cfg, domains=("economy",))
    write_deliveries(w, SOURCES)
    return w


# ---- reading the deliveries ------------------------------------------------------------------

def _marker(path: Path) -> tuple[int, str]:
    lines = path.read_bytes().decode("ascii").split("\n")
    assert len(lines) == 3 and lines[2] == "", path
    assert lines[0].startswith("rows=") and lines[1].startswith("sha256="), path
    return int(lines[0][5:]), lines[1][7:]


def _records(data: bytes, line_ending: str) -> list[list[str]]:
    text = data.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), lineterminator=line_ending))


def _files(world: World, source: str) -> list[Path]:
    return sorted((world.cfg.out / "landing" / source).glob("*/*.csv"))


def _valid(path: Path) -> bool:
    rows, sha = _marker(path.with_suffix(".ok"))
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest() == sha and rows == data.count(b"\n") - 1


def _accepted(world: World, source: str, prefix: str) -> dict[str, Path]:
    """Per month described, the valid delivery with the highest re-delivery number."""
    best: dict[str, tuple[int, Path]] = {}
    for p in _files(world, source):
        m = re.match(rf"^{prefix}_(\d{{6}})(?:_R(\d+))?\.csv$", p.name)
        assert m, p.name
        n = int(m.group(2) or 0)
        if _valid(p) and n >= best.get(m.group(1), (-1, p))[0]:
            best[m.group(1)] = (n, p)
    return {k: v[1] for k, v in sorted(best.items())}


_CACHE: dict[tuple[int, str], object] = {}


def _cached(world: World, name: str, make):  # noqa: ANN001, ANN202 - a tiny per-world memo
    key = (id(world), name)
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def _gs(world: World) -> pd.DataFrame:
    return _cached(world, "gs", lambda: _read_gs(world)).copy()


def _si(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    c, b = _cached(world, "si", lambda: _read_si(world))
    return c.copy(), b.copy()


def _read_gs(world: World) -> pd.DataFrame:
    frames = []
    for period, p in _accepted(world, "tax", "GS").items():
        recs = _records(p.read_bytes(), "\n")
        df = pd.DataFrame(recs[1:], columns=recs[0])
        df["file_period"], df["folder"] = period, p.parent.name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _read_si(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    url = world.cfg.frontdb_url("social_insurance")
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        c = pd.read_sql('SELECT * FROM si_contribution', con, dtype=str)
        b = pd.read_sql('SELECT * FROM si_benefit', con, dtype=str)
    finally:
        con.close()
    return c, b


def _dec(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _mi(yyyymm: str) -> int:
    return int(yyyymm[:4]) * 12 + int(yyyymm[4:]) - 1


# ---- tax ---------------------------------------------------------------------------------------

def test_tax_files_format_and_markers(world: World) -> None:
    files = _files(world, "tax")
    assert len(files) >= 13
    line = re.compile(r'^"(?:[^"]|"")*"(?:,"(?:[^"]|"")*"){10}$')
    for p in files:
        data = p.read_bytes()
        assert data.startswith(GS_HEADER) and not data.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in data and data.endswith(b"\n")
        if _valid(p):
            for raw in data.decode("utf-8").split("\n")[:-1]:
                assert line.match(raw), raw
        ok = p.with_suffix(".ok")
        assert ok.exists()
        if not _valid(p):  # a broken delivery is superseded by its _R1 (or waits for it after as-of)
            r1 = list((p.parent.parent).glob(f"*/{p.stem}_R1.csv"))
            assert r1 or p.parent.name >= (AS_OF - timedelta(days=4)).strftime("%Y%m%d"), p


def test_tax_folder_dates(world: World) -> None:
    folders = []
    for p in _files(world, "tax"):
        folder = date(int(p.parent.name[:4]), int(p.parent.name[4:6]), int(p.parent.name[6:]))
        assert folder <= AS_OF and folder.weekday() < 5
        period = p.name[3:9]
        month = date(int(period[:4]), int(period[4:]), 1)
        scheduled = date(folder.year, folder.month, 20)
        while scheduled.weekday() >= 5:
            scheduled += timedelta(days=1)
        if "_R" not in p.name:
            assert (month.year * 12 + month.month) + 1 == folder.year * 12 + folder.month
            assert 0 <= np.busday_count(scheduled, folder) <= 5, p
            folders.append(folder)
    # The monthly history, plus one quarter for the 经营所得 rule (tax.history_start).
    start = tax.history_start(world)
    assert start < world.cfg.monthly_history_start
    assert folders[0] >= start and (folders[0] - timedelta(days=40)) < start
    late = sum(f.day > 22 for f in folders)
    assert late <= len(folders) // 2


def test_tax_values(world: World) -> None:
    gs = _gs(world)
    assert set(gs["所得项目"]) <= ITEMS and set(gs["所得项目"]) == ITEMS
    for col in ("收入额", "应纳税额", "已缴税额"):
        assert gs[col].str.match(MONEY.pattern).all()
    for col in ("所得期间起", "所得期间止", "申报日期"):
        assert gs[col].str.match(DATE.pattern).all()
    assert gs["申报序号"].str.fullmatch(r"[1-9]\d{19}").all()
    assert (gs["纳税人识别号"].str.len() == 18).all() and (gs["纳税人姓名"] != "").all()
    neg = _dec(gs["收入额"]) < 0
    assert ((_dec(gs["应纳税额"]) < 0) <= neg).all() and ((_dec(gs["已缴税额"]) < 0) <= neg).all()
    assert (_dec(gs["已缴税额"]).abs() <= _dec(gs["应纳税额"]).abs()).all()
    business = gs["所得项目"] == "经营所得"
    assert gs.loc[business, "所得期间起"].str.endswith("-01-01").all()
    assert gs.loc[business, "所得期间止"].str[5:].isin(["03-31", "06-30", "09-30", "12-31"]).all()
    assert gs.loc[~business, "所得期间起"].str.endswith("-01").all()
    # 申报日期 lies in the delivery window (a resend may repeat an earlier line).
    keyed = gs.drop(columns=["file_period", "folder"]).drop_duplicates()
    assert not keyed.duplicated(["纳税人识别号", "申报序号"]).any()
    folder_day = pd.to_datetime(gs["folder"])
    assert (pd.to_datetime(gs["申报日期"]) < folder_day).all()
    # A later-accepted line of a taxpayer has a higher 申报序号.
    k = keyed.sort_values(["纳税人识别号", "申报序号"])
    same = k["纳税人识别号"].eq(k["纳税人识别号"].shift())
    assert (k["申报日期"][same] >= k["申报日期"].shift()[same]).all()


def test_tax_window_content(world: World) -> None:
    folders = sorted({p.parent.name for p in _files(world, "tax") if "_R" not in p.name})
    gs = _gs(world)
    first = gs.drop_duplicates(["纳税人识别号", "申报序号"], keep="first")
    for prev, cur in zip(folders, folders[1:], strict=False):
        rows = first[first["folder"] == cur]
        assert (rows["申报日期"] >= f"{prev[:4]}-{prev[4:6]}-{prev[6:]}").all()


def _planted_ids(world: World) -> set[str]:
    return {world.id_of(pid) for _, _, pid in world.planted_members()}


def test_tax_quirk_rates(world: World) -> None:
    gs = _gs(world)
    gs = gs[~gs["纳税人识别号"].isin(_planted_ids(world))]
    n = len(gs)
    group = ["纳税人识别号", "扣缴义务人名称", "所得项目", "所得期间起", "所得期间止"]
    lines = gs.drop_duplicates(["纳税人识别号", "申报序号"])
    dup = n - len(lines)
    assert 0.0005 * n <= dup <= 0.008 * n
    amount = _dec(lines["收入额"])
    assert 0.0001 * n <= (amount < 0).sum() <= 0.004 * n
    sizes = lines[amount >= 0].groupby(group).size()
    assert 0.001 <= (sizes > 1).mean() <= 0.015
    wage = lines["所得项目"] == "工资、薪金所得"
    assert 0.003 <= (amount[wage] == 0).mean() <= 0.03
    end = pd.to_datetime(lines["所得期间止"])
    filed = pd.to_datetime(lines["申报日期"])
    late = (filed.dt.year * 12 + filed.dt.month) - (end.dt.year * 12 + end.dt.month) >= 2
    assert 0.003 <= late.mean() <= 0.03
    non_id = ~lines["纳税人识别号"].map(is_valid_id)
    assert non_id.sum() > 0 and non_id.mean() <= 0.003
    unpaid = _dec(lines["已缴税额"]) < _dec(lines["应纳税额"])
    assert unpaid.mean() <= 0.02
    # 冲正 lines negate the group's latest non-negative line; most are followed by a new line.
    # (A reversal of a line accepted before the first delivered window has no original here.)
    lines = lines.assign(a=amount).sort_values("申报序号")
    early = (tax.history_start(world) + timedelta(days=75)).isoformat()
    follow = reversals = 0
    with_reversal = lines.groupby(group, sort=False)["a"].transform("min") < 0
    for _, grp in lines[with_reversal].groupby(group, sort=False):
        a, filed_on = grp["a"].to_numpy(), grp["申报日期"].to_numpy()
        for i in np.flatnonzero(a < 0):
            reversals += 1
            follow += bool((a[i + 1:] >= 0).any())
            if i == 0:
                assert filed_on[i] < early
            else:
                assert -a[i] == a[:i][a[:i] >= 0][-1]
    assert 0.3 * reversals <= follow <= 0.95 * reversals


# ---- social insurance --------------------------------------------------------------------------

def test_si_tables_ddl(world: World) -> None:
    engine = sa.create_engine(world.cfg.frontdb_url("social_insurance"))
    insp = sa.inspect(engine)
    assert set(insp.get_table_names()) >= {"si_contribution", "si_benefit"}
    pk = insp.get_pk_constraint("si_contribution")["constrained_columns"]
    assert pk == ["个人编号", "险种类型", "缴费年月"]
    assert insp.get_pk_constraint("si_benefit")["constrained_columns"] == ["身份证号码", "待遇类型", "发放年月"]
    cols = {c["name"]: str(c["type"]) for c in insp.get_columns("si_contribution")}
    assert list(cols) == [c.name for c in social_insurance.CONTRIBUTION.columns]
    assert cols["缴费基数"].startswith("NUMERIC") and cols["更新时间"] == "TIMESTAMP"
    engine.dispose()


def test_si_contribution_values(world: World) -> None:
    c, _ = _si(world)
    a = economy.month_index(AS_OF)
    assert c["个人编号"].str.fullmatch(r"370481\d{10}").all()
    assert set(c["险种类型"]) == {"110", "120", "170", "210", "410"}
    ym = c["缴费年月"].map(_mi)
    assert (ym >= a - 36).all() and (ym <= a).all() and (ym[c["险种类型"] != "170"] < a).all()
    r170 = c["险种类型"] == "170"
    assert c.loc[r170, "缴费年月"].str.endswith("01").all()
    assert c.loc[r170, ["单位编号", "单位名称", "缴费基数"]].isna().all().all()
    assert c.loc[~r170, ["单位编号", "单位名称", "缴费基数"]].notna().all().all()
    assert c.loc[~r170, "单位编号"].str.fullmatch(r"370481\d{5}").all()
    flex = c["单位编号"] == "37048199999"
    assert (c.loc[flex, "单位名称"] == "滕州市灵活就业人员").all() and flex.any()
    assert (c.loc[c["单位名称"] == "滕州市灵活就业人员", "单位编号"] == "37048199999").all()
    assert c.groupby("单位编号")["单位名称"].nunique().max() == 1
    ts = pd.to_datetime(c["更新时间"], format="%Y-%m-%d %H:%M:%S")
    assert (ts < pd.Timestamp(AS_OF + timedelta(days=1))).all()
    base, own = _dec(c["缴费基数"]), _dec(c["个人缴费金额"])
    cancelled = ~r170 & (base == 0)
    assert (own[cancelled] == 0).all() and 0 < cancelled.sum() <= 0.002 * len(c)
    share = {"110": 0.08, "120": 0.08, "210": 0.003, "410": 0.0}
    for kind, rate in share.items():
        sel = (c["险种类型"] == kind) & ~flex & ~cancelled
        expect = np.floor(base[sel] * rate * 100 + 0.5 + 1e-6) / 100
        assert np.allclose(own[sel], expect), kind
    sel = flex & ~cancelled
    assert np.allclose(own[sel], np.floor(base[sel] * 20 + 0.5) / 100)
    lv = set(own[r170].round(2))
    assert lv <= {100.0, 300.0, 500.0, 800.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0, 5000.0}
    # 缴费基数 within 60%-300% of the average wage (planted rows state their own base), flexible at the floor.
    planted_ids = {world.id_of(pid) for _, _, pid in world.planted_members()}
    bg = ~c["身份证号码"].isin(planted_ids) & ~r170 & ~cancelled
    year = c["缴费年月"].str[:4].astype(int)
    assert (base[bg] >= economy.si_floor(year[bg]) - 0.01).all()
    assert (base[bg] <= economy.si_ceiling(year[bg]) + 0.01).all()
    assert np.allclose(base[bg & flex], economy.si_floor(year[bg & flex]))


def test_si_update_times_and_quirks(world: World) -> None:
    c, _ = _si(world)
    r170 = c["险种类型"] == "170"
    ts = pd.to_datetime(c["更新时间"])
    ym = c["缴费年月"].map(_mi)
    upd = ts.dt.year * 12 + ts.dt.month - 1
    regular = ~r170 & (upd == ym + 1) & ts.dt.day.between(10, 15)
    back = ~r170 & (upd >= ym + 3)
    cancelled = ~r170 & (_dec(c["缴费基数"]) == 0)
    monthly = ~r170
    assert (regular | back | cancelled)[monthly].all()
    assert 0.01 <= back[monthly].mean() <= 0.035
    assert (ts[r170].dt.year == c.loc[r170, "缴费年月"].str[:4].astype(int)).all()
    assert (ts[r170].dt.month <= 6).mean() > 0.75
    assert ts.duplicated().any()  # bulk loads share seconds
    # ID formats: legacy 15-digit numbers (~0.5% of all rows) and lowercase x (~0.1%); nothing else.
    ids = pd.concat([c["身份证号码"], _si(world)[1]["身份证号码"]], ignore_index=True)
    legacy = ids.str.fullmatch(r"\d{15}")
    lower = ids.str.endswith("x")
    assert 0.001 <= legacy.mean() <= 0.015 and lower.mean() <= 0.005
    assert ids[~legacy & ~lower].map(is_valid_id).all()
    assert ids.map(normalise_id).map(is_valid_id).all()
    # two_person_numbers: ~0.3% of insured persons have two 个人编号.
    norm = ids.map(normalise_id)
    norm = c["身份证号码"].map(normalise_id)
    per = c.assign(n=norm).groupby("n")["个人编号"].nunique()
    assert (per > 1).mean() <= 0.015
    assert c.assign(n=norm).groupby("个人编号")["n"].nunique().max() == 1


def test_si_benefits(world: World) -> None:
    _, b = _si(world)
    a = economy.month_index(AS_OF)
    assert set(b["待遇类型"]) <= set(economy.BENEFIT_KINDS)
    assert set(b["待遇类型"]) >= {"基本养老金", "城乡居民基础养老金", "工伤保险待遇"}
    amt = _dec(b["发放金额"])
    assert (amt > 0).all() and np.allclose((amt * 100).round(), amt * 100)  # SQLite keeps 1200.00 as 1200
    month = b["发放年月"].map(_mi)
    assert (month >= a - 36).all() and (month < a).all()
    bg = ~b["身份证号码"].isin(_planted_ids(world))
    pension = b["待遇类型"] == "基本养老金"
    assert amt[pension & bg].between(1800, 7000).all()
    assert amt[(b["待遇类型"] == "城乡居民基础养老金") & bg].between(150, 650).all()
    counts = b[b["发放年月"] == "202603"]["待遇类型"].value_counts()
    assert counts["城乡居民基础养老金"] > 2 * counts["基本养老金"]
    # Dead persons stop; ~0.1% of rows are paid 1-6 months after the death month.
    p = world.people
    death = dict(zip(p["id_number"], economy.months_of(p["death_date"]), strict=True))
    d = b["身份证号码"].map(normalise_id).map(death)
    after = month > d
    assert after.mean() <= 0.004
    assert ((month - d)[after] <= 6).all()


def test_si_after_death_contributions_stop(world: World) -> None:
    c, _ = _si(world)
    p = world.people
    death = dict(zip(p["id_number"], economy.months_of(p["death_date"]), strict=True))
    d = c["身份证号码"].map(normalise_id).map(death)
    monthly = c["险种类型"] != "170"
    assert (c.loc[monthly, "缴费年月"].map(_mi) <= d[monthly]).all()


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("SAFETYNET_TEST_PG_URL"), reason="SAFETYNET_TEST_PG_URL not set")
def test_si_postgres(world: World) -> None:
    url = os.environ["SAFETYNET_TEST_PG_URL"]
    w = replace(world, cfg=replace(world.cfg, frontdb_urls={"social_insurance": url}))
    counts = social_insurance.write(w)
    c, b = _si(world)
    assert counts == {"si_contribution": len(c), "si_benefit": len(b)}
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text('SELECT "缴费基数", "更新时间" FROM si_contribution '
                                   "WHERE \"险种类型\" = '110' LIMIT 1")).one()
        assert str(row[0]).count(".") == 1 and row[1].microsecond == 0
    engine.dispose()


# ---- housing fund ------------------------------------------------------------------------------

def test_gjj_files(world: World) -> None:
    files = [p for p in _files(world, "housing_fund") if "_R" not in p.name]
    assert len(files) >= 13
    months = []
    for p in files:
        folder = p.parent.name
        assert folder.endswith("03")
        period = p.name[4:10]
        assert _mi(period) + 1 == _mi(folder[:6])
        months.append(period)
        data = p.read_bytes()
        assert data.startswith(GJJ_HEADER) and data.endswith(b"\r\n")
        assert data.count(b"\n") == data.count(b"\r\n") and b'"' not in data
    assert months == sorted(months) and _mi(months[-1]) == economy.month_index(AS_OF) - 1
    first_business = date(int(files[0].parent.name[:4]), int(files[0].parent.name[4:6]), 2)
    assert first_business >= world.cfg.monthly_history_start > first_business - timedelta(days=31)


def test_gjj_values(world: World) -> None:
    acc = _accepted(world, "housing_fund", "GJJ")
    last = None
    for period, p in acc.items():
        recs = _records(p.read_bytes(), "\r\n")
        df = pd.DataFrame(recs[1:], columns=recs[0])
        rows, _ = _marker(p.with_suffix(".ok"))
        assert rows == len(df)
        assert df["个人账号"].str.fullmatch(r"\d{12}").all() and not df["个人账号"].duplicated().any()
        assert set(df["账户状态"]) <= {"正常", "封存", "销户"}
        base, monthly, bal = _dec(df["缴存基数"]), _dec(df["月缴存额"]), _dec(df["账户余额"])
        for col in ("缴存基数", "月缴存额", "账户余额"):
            assert df[col].str.match(MONEY.pattern).all()
        assert df["月缴存额"].str.endswith(".00").all()
        normal = df["账户状态"] == "正常"
        assert (base[~normal] == 0).all() and (monthly[~normal] == 0).all()
        assert (bal[df["账户状态"] == "销户"] == 0).all()
        ratio = monthly[normal] / base[normal] / 2
        assert ratio.between(0.045, 0.125).all()
        paid = df["最后缴存年月"]
        assert (paid.str.fullmatch(r"\d{6}") | (paid == "")).all() and (paid <= period).all()
        assert (paid == "").mean() <= 0.02
        last = df
    assert last is not None
    normal = last["账户状态"] == "正常"
    arrears = normal & (last["最后缴存年月"] != "") & (
        last["最后缴存年月"].map(lambda v: _mi(v) if v else 0) <= _mi(period) - 6)
    assert arrears.sum() <= 0.04 * normal.sum()
    assert normal.mean() > 0.4 and (last["账户状态"] == "封存").any()
    ids = last["身份证号"]
    legacy, lower = ids.str.fullmatch(r"\d{15}"), ids.str.endswith("x")
    assert (legacy.mean() + lower.mean()) <= 0.02
    assert ids.map(normalise_id).map(is_valid_id).all()
    per = last.assign(n=ids.map(normalise_id)).groupby("n").size()
    assert 0 < (per > 1).mean() <= 0.08
    dead = {r for r, d in zip(world.people["id_number"], world.people["death_date"], strict=True) if pd.notna(d)}
    assert not last[normal]["身份证号"].map(normalise_id).isin(dead).any()


# ---- consistency across sources ----------------------------------------------------------------

def test_incomes_agree_across_sources(world: World) -> None:
    gs = _gs(world)
    c, _ = _si(world)
    wage = gs[(gs["所得项目"] == "工资、薪金所得") & (_dec(gs["收入额"]) > 0)]
    wage = wage.assign(period=wage["所得期间起"].str[:7].str.replace("-", ""), w=_dec(wage["收入额"]))
    wage = wage.groupby(["纳税人识别号", "period"])["w"].max()
    si = c[c["险种类型"] == "110"].assign(n=c["身份证号码"].map(normalise_id), b=_dec(c["缴费基数"]))
    si = si[si["b"] > 0].groupby(["n", "缴费年月"])["b"].max()
    both = pd.concat([wage.rename("w"), si.rename_axis(["纳税人识别号", "period"]).rename("b")], axis=1).dropna()
    year = both.index.get_level_values(1).str[:4].astype(int)
    clipped = np.clip(both["w"], economy.si_floor(year), economy.si_ceiling(year))
    assert len(both) > 50
    assert ((clipped / both["b"]).between(0.7, 1.4)).mean() > 0.97


def test_poor_households_have_low_incomes(world: World) -> None:
    gs = _gs(world)
    wealth = world.households.set_index("hh")["wealth"]
    p = world.people
    poor_ids = set(p.loc[p["hh"].map(wealth) < 0.06, "id_number"]) - {world.id_of(x) for _, _, x in
                                                                     world.planted_members()}
    lines = gs[gs["纳税人识别号"].isin(poor_ids) & (_dec(gs["收入额"]) > 0)]
    assert set(lines["所得项目"]) <= {"劳务报酬所得"}
    amount = _dec(lines["收入额"])  # small amounts (a declared-then-corrected line may be higher)
    assert (amount <= 1500).all() and (amount <= 1000).mean() > 0.95
    _, b = _si(world)
    assert not b[(b["待遇类型"] != "城乡居民基础养老金") & b["身份证号码"].isin(poor_ids)].shape[0]


# ---- planted facts (policy section 3, read back from the deliveries) --------------------------

def _window(world: World) -> list[int]:
    end = _mi(max(_accepted(world, "tax", "GS")))
    return list(range(end - 11, end + 1))


def _policy_incomes(world: World, ids: set[str]) -> pd.DataFrame:
    """Monthly average income by type over the window per person (policy section 3), deliveries only."""
    window = _window(world)
    idx = pd.MultiIndex.from_product([sorted(ids), window], names=["id", "m"])
    gs = _gs(world)
    lines = gs[gs["纳税人识别号"].isin(ids)].drop_duplicates(["纳税人识别号", "申报序号"])
    lines = lines.assign(a=_dec(lines["收入额"]), id=lines["纳税人识别号"]).sort_values("申报序号")
    current = lines.groupby(["id", "扣缴义务人名称", "所得项目", "所得期间起", "所得期间止"], sort=False).tail(1)
    current = current[current["a"] >= 0]
    current = current.assign(m=current["所得期间止"].str[:7].str.replace("-", "").map(_mi))
    in_window = current["m"].isin(window)
    wage_lines = current[in_window & current["所得项目"].isin(["工资、薪金所得", "劳务报酬所得"])]
    wage = wage_lines.groupby(["id", "m"])["a"].sum().reindex(idx)
    c, b = _si(world)
    c = c[c["身份证号码"].isin(ids) & c["险种类型"].isin(["110", "120"]) & (c["单位编号"] != "37048199999")]
    c = c.assign(id=c["身份证号码"], m=c["缴费年月"].map(_mi), base=_dec(c["缴费基数"]))
    si = c[c["base"] > 0].groupby(["id", "m"])["base"].max().reindex(idx)
    latest = list(_accepted(world, "housing_fund", "GJJ").values())[-1]
    recs = _records(latest.read_bytes(), "\r\n")
    g = pd.DataFrame(recs[1:], columns=recs[0])
    g = g[g["身份证号"].isin(ids) & (_dec(g["缴存基数"]) > 0) & (g["最后缴存年月"] != "")]
    grid = idx.to_frame(index=False)
    gj = grid.merge(g.assign(id=g["身份证号"], last=g["最后缴存年月"].map(_mi), base=_dec(g["缴存基数"])), on="id")
    gjj = gj[gj["m"] <= gj["last"]].groupby(["id", "m"])["base"].max().reindex(idx)
    out = pd.DataFrame(index=sorted(ids))
    out["wage"] = wage.fillna(si).fillna(gjj).fillna(0).groupby(level="id").sum()
    prop = current[in_window & current["所得项目"].isin(["财产租赁所得", "利息、股息、红利所得"])]
    out["property"] = prop.groupby("id")["a"].sum()
    b = b[b["身份证号码"].isin(ids) & b["发放年月"].map(_mi).isin(window)]
    b = b.assign(id=b["身份证号码"], a=_dec(b["发放金额"]))
    out["pension"] = b[b["待遇类型"] == "基本养老金"].groupby("id")["a"].sum()
    out["transfer"] = b[b["待遇类型"].isin(["失业保险金", "工伤保险待遇"])].groupby("id")["a"].sum()
    biz = current[current["所得项目"] == "经营所得"][["id", "扣缴义务人名称", "m", "a"]]
    prev = biz.assign(m=biz["m"] + 3).rename(columns={"a": "prev"})
    biz = biz.merge(prev, on=["id", "扣缴义务人名称", "m"], how="left")
    biz["prev"] = np.where(biz["m"] % 12 == 2, 0.0, biz["prev"].fillna(0.0))
    months = sum(biz["m"].sub(k).isin(window).astype(int) for k in range(3))
    biz["inc"] = (biz["a"] - biz["prev"]).clip(lower=0) / 3 * months
    out["business"] = biz.groupby("id")["inc"].sum()
    return out.fillna(0.0) / 12


def _expected(m: PMember, window: list[int], death_mi: int) -> dict[str, float]:
    months = [x for x in window if x <= death_mi]
    own_wage = (0.0 if m.wage_reversed else m.wage) + m.wage_extra_employer + m.labor
    stand_in = 0.0
    if own_wage == 0:
        si = [m.si_base] if m.si_base > 0 and not m.si_flexible and not m.si_public else []
        if m.si_public:
            si.append(economy.public_base(m, AS_OF.year))
        stand_in = max(si) if si else m.gjj_base
    quarter_ok = [x for x in months if (x // 3 * 3 + 2) <= window[-1]]
    return {
        "wage": (own_wage or stand_in) * len(months) / 12,
        "business": m.business_income_q / 3 * len(quarter_ok) / 12,
        "property": m.rent * len(months) / 12,
        "pension": m.pension * len(months) / 12,
        "transfer": m.unemployment * len(months) / 12,
    }


def test_planted_incomes_match_facts(world: World) -> None:
    death = economy.months_of(world.people["death_date"])
    members = world.planted_members()
    got = _policy_incomes(world, {world.id_of(pid) for _, _, pid in members})
    window = _window(world)
    for h, m, pid in members:
        want = _expected(m, window, int(death[pid]))
        row = got.loc[world.id_of(pid)]
        for k in want:
            assert row[k] == pytest.approx(want[k], abs=0.01), (h.sid, m.key, k, dict(row), want)
    assert len(members) >= 15


def test_planted_facts_rendered_exactly(world: World) -> None:
    gs = _gs(world)
    c, b = _si(world)
    planted = {world.id_of(pid): (h, m) for h, m, pid in world.planted_members()}
    ids = set(planted)
    # No quirks and nothing beyond the facts.
    c = c[c["身份证号码"].isin(ids)]
    assert c["险种类型"].isin(["110", "120"]).all()
    lines = gs[gs["纳税人识别号"].isin(ids)]
    assert not lines.duplicated(["纳税人识别号", "申报序号"]).any()
    wage = lines[lines["所得项目"] == "工资、薪金所得"].sort_values("申报序号")
    wage_of = {k: v.groupby("所得期间起")["收入额"].agg(list) for k, v in wage.groupby("纳税人识别号")}
    si_of = dict(tuple(c.groupby("身份证号码")))
    b = b[b["身份证号码"].isin(ids)]
    res_of = dict(tuple(b[b["待遇类型"] == "城乡居民基础养老金"].groupby("身份证号码")))
    death = economy.months_of(world.people.set_index("id_number").loc[sorted(ids), "death_date"])
    alive_months = dict(zip(sorted(ids), death >= economy.month_index(AS_OF) - 12, strict=True))
    for idn, (h, m) in planted.items():
        if not alive_months[idn]:
            continue
        if m.wage_corrected_from is not None:
            per = wage_of[idn]
            assert all(v == [f"{m.wage_corrected_from:.2f}", f"{m.wage:.2f}"] for v in per), per
        if m.wage_reversed:
            per = wage_of[idn]
            assert all(v[0] == f"{m.wage:.2f}" and v[-1] == f"{-m.wage:.2f}" for v in per), per
        rows = si_of.get(idn, c.iloc[:0])
        if m.si_base > 0 and not m.si_public:
            assert (rows["单位编号"] == "37048199999").all() == m.si_flexible and len(rows) >= 12
            assert (_dec(rows["缴费基数"]) == m.si_base).all()
        if m.si_public:
            assert (rows["险种类型"] == "120").sum() >= 12
        if not (m.si_base or m.si_public):
            assert not len(rows), (h.sid, m.key)
        if m.resident_pension:
            mine = res_of[idn]
            assert len(mine) >= 12 and (_dec(mine["发放金额"]) == m.resident_pension).all()
    for p in _accepted(world, "housing_fund", "GJJ").values():
        recs = _records(p.read_bytes(), "\r\n")
        g = pd.DataFrame(recs[1:], columns=recs[0])
        g = g[g["身份证号"].isin(ids)].set_index("身份证号")
        assert not g.index.duplicated().any()
        for idn, (h, m) in planted.items():
            if m.gjj_base > 0 and alive_months[idn]:
                row = g.loc[idn]
                assert row["账户状态"] == "正常" and row["最后缴存年月"] == p.name[4:10], (h.sid, m.key)
                assert float(row["缴存基数"]) == m.gjj_base
            elif m.gjj_base == 0:
                assert idn not in g.index, (h.sid, m.key)
