"""The welfare part of the synthetic city against its contracts: assistance (SQL), bank (JSON),
disability and rural_monitoring (XLSX), plus the planted facts and the bank platform responder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from simulator import bank_platform, build_world, write_deliveries
from simulator import calendar as cal
from simulator.config import SimConfig
from simulator.domains import welfare
from simulator.ids import is_valid_id

AS_OF = date(2026, 5, 27)
SCALE = 0.003
SEED = 11
SOURCES = ("assistance", "bank", "disability", "rural_monitoring")
TOWNS = {"荆河街道", "龙泉街道", "北辛街道", "善南街道", "东沙河街道", "洪绪镇", "南沙河镇", "大坞镇", "滨湖镇", "级索镇",
         "西岗镇", "姜屯镇", "鲍沟镇", "张汪镇", "官桥镇", "柴胡店镇", "羊庄镇", "木石镇", "界河镇", "龙阳镇", "东郭镇"}
RELATIONS = {"本人", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "儿媳", "女婿", "兄弟姐妹", "祖父母", "外孙子女", "其他"}
SCHEMA = {
    "jz_family": (["家庭编号", "申请人身份证号", "申请人姓名", "救助类别", "保障人数", "月保障金额", "审批日期", "开始发放年月",
                   "终止年月", "家庭状态", "乡镇街道", "村居", "更新时间", "删除标志"], ["家庭编号"]),
    "jz_member": (["家庭编号", "成员身份证号", "成员姓名", "与申请人关系", "是否保障对象", "健康状况", "劳动能力", "更新时间",
                   "删除标志"], ["家庭编号", "成员身份证号"]),
    "jz_payment": (["发放编号", "家庭编号", "发放年月", "资金类别", "发放金额", "发放日期", "收款银行账号", "更新时间"],
                   ["发放编号"]),
    "jz_application": (["申请编号", "申请人身份证号", "申请人姓名", "申请日期", "申请类别", "受理乡镇街道", "授权书签署",
                        "授权书签署日期", "承诺书签署", "申请状态", "更新时间"], ["申请编号"]),
    "jz_application_member": (["申请编号", "成员身份证号", "成员姓名", "与申请人关系", "更新时间", "删除标志"],
                              ["申请编号", "成员身份证号"]),
    "jz_referral": (["转办编号", "申请编号", "承办部门", "转办事项", "派单时间", "办理时限天数", "反馈时间", "反馈结果",
                     "更新时间"], ["转办编号"]),
}
TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("welfare")
    cfg = SimConfig(out=out, scale=SCALE, seed=SEED, as_of=AS_OF, days=3)
    w = build_world(cfg, domains=("welfare",))
    write_deliveries(w, SOURCES)
    return w


@pytest.fixture(scope="module")
def out(world) -> Path:
    return world.cfg.out


@pytest.fixture(scope="module")
def db_path(out) -> Path:
    return out / "landing" / "frontdb" / "assistance.sqlite"


@pytest.fixture(scope="module")
def db(db_path) -> dict[str, pd.DataFrame]:
    with sqlite3.connect(db_path) as con:
        return {t: pd.read_sql_query(f"SELECT * FROM {t}", con) for t in SCHEMA}


@pytest.fixture(scope="module")
def bg_families(world) -> set[str]:
    f = world.tables["families"]
    return set(f.loc[f["sid"] == "", "family_id"])


@pytest.fixture(scope="module")
def bg_apps(world) -> set[str]:
    a = world.tables["applications"]
    return set(a.loc[a["sid"] == "", "app_id"])


def _marker(path: Path) -> tuple[int, str]:
    text = path.with_suffix(".ok").read_bytes()
    assert text.endswith(b"\n") and text.count(b"\n") == 2
    rows, sha = text.decode("ascii").split("\n")[:2]
    assert re.fullmatch(r"rows=\d+", rows) and re.fullmatch(r"sha256=[0-9a-f]{64}", sha)
    return int(rows[5:]), sha[7:]


def _check_marker(path: Path, rows: int) -> None:
    n, sha = _marker(path)
    assert n == rows, path.name
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest(), path.name


def _responses(out: Path) -> list[tuple[Path, dict]]:
    """Every response file (a truncated broken one is read from its _R1 sibling's content instead)."""
    out_list = []
    for p in sorted((out / "landing" / "bank").glob("*/HDR_*.json")):
        try:
            out_list.append((p, json.loads(p.read_text(encoding="utf-8"))))
        except json.JSONDecodeError:
            _, sha = _marker(p)
            assert sha != hashlib.sha256(p.read_bytes()).hexdigest()  # only a broken delivery is unreadable
    return out_list


def _requests(out: Path) -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in sorted((out / "outbox" / "bank").glob("HDQ_*.json"))]


def _latest_files(out: Path, source: str, stem: str) -> dict[str, Path]:
    """Month → the file a pipeline would use (latest folder; an _R re-delivery replaces the original)."""
    best: dict[str, tuple[tuple[str, int], Path]] = {}
    for p in (out / "landing" / source).glob(f"*/{stem}_*.xlsx"):
        m = re.fullmatch(stem + r"_(\d{6})(?:_R(\d+))?\.xlsx", p.name)
        if not m or not p.with_suffix(".ok").exists():
            continue
        rows, sha = _marker(p)
        if sha != hashlib.sha256(p.read_bytes()).hexdigest():
            continue  # broken delivery
        key = (p.parent.name, int(m.group(2) or 0))
        if m.group(1) not in best or key > best[m.group(1)][0]:
            best[m.group(1)] = (key, p)
    return {k: v[1] for k, v in best.items()}


def _nfkc_id(v: object) -> str:
    return unicodedata.normalize("NFKC", str(v)).strip().upper()


# --- assistance: schema and values ------------------------------------------------------------------

def test_schema_and_primary_keys(db_path):
    with sqlite3.connect(db_path) as con:
        for table, (cols, key) in SCHEMA.items():
            info = con.execute(f"PRAGMA table_info({table})").fetchall()
            assert [r[1] for r in info] == cols, table
            pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] > 0]
            assert pk == key, table
            fks = con.execute(f"PRAGMA foreign_key_list({table})").fetchall()
            assert fks == [], table


def test_keys_unique_and_text_formats(db):
    for table, (_, key) in SCHEMA.items():
        df = db[table]
        assert not df.duplicated(key).any(), table
        assert df["更新时间"].map(lambda v: bool(TS.match(v))).all(), table
        assert (df["更新时间"] <= f"{AS_OF} 23:59:59").all(), table
        for c in ("审批日期", "发放日期", "申请日期", "授权书签署日期"):
            if c in df:
                assert df[c].dropna().map(lambda v: bool(DAY_RE.match(v))).all(), c
        if "删除标志" in df:
            assert set(df["删除标志"]) <= {"0", "1"} and df["删除标志"].map(type).eq(str).all()


def test_family_values(db, world):
    f = db["jz_family"]
    assert f["家庭编号"].str.fullmatch(r"JZ370481\d{10}").all()
    assert set(f["救助类别"]) <= set(welfare.CATEGORIES)
    assert set(f["家庭状态"]) <= {"在保", "暂停", "停保"}
    assert set(f["乡镇街道"]) <= TOWNS
    assert f["申请人身份证号"].map(is_valid_id).all()
    assert f["开始发放年月"].str.fullmatch(r"\d{4}(0[1-9]|1[0-2])").all()
    assert (f["终止年月"].notna() == (f["家庭状态"] == "停保")).all()
    assert (f["终止年月"].dropna() >= f.loc[f["终止年月"].notna(), "开始发放年月"]).all()
    assert f["村居"].str.len().gt(0).all()
    amount = f["月保障金额"].astype(float)
    assert (amount.round(2) == amount).all() and (amount >= 0).all()
    assert (amount[f["救助类别"] == "低保边缘"] == 0).all()


def test_family_volumes_and_shares(world):
    f = world.tables["families"]
    bg = f[f["sid"] == ""]
    active = bg[bg["status"] != "停保"]
    assert abs(len(active) - welfare.N_ACTIVE * SCALE) <= 0.15 * welfare.N_ACTIVE * SCALE
    assert abs(len(bg) - len(active) - welfare.N_STOPPED * SCALE) <= 0.3 * welfare.N_STOPPED * SCALE
    shares = active["category"].value_counts(normalize=True)
    assert shares.get("农村低保", 0) + shares.get("城市低保", 0) > 0.6
    assert 0.04 < shares.get("农村特困", 0) + shares.get("城市特困", 0) < 0.25
    assert 0.02 < shares.get("低保边缘", 0) < 0.16
    assert (active["status"] == "暂停").sum() >= 1
    # drawn from the poorest households
    wealth = world.households.set_index("hh").loc[active["hh"], "wealth"]
    assert wealth.median() < 0.06


def test_benefit_amounts_and_counts(db, world):
    f = db["jz_family"].set_index("家庭编号")
    m = db["jz_member"]
    wf = world.tables["families"].set_index("family_id")
    valid_cov = m[(m["删除标志"] == "0") & (m["是否保障对象"] == "是")].groupby("家庭编号").size()
    active = f[(f["删除标志"] == "0") & (f["家庭状态"] != "停保")]
    counted = valid_cov.reindex(active.index).fillna(0).astype(int)
    mismatch = set(active.index[counted != active["保障人数"]])
    quirk = set(wf.index[wf["quirk"].str.contains("benefit_count_mismatch")])
    assert mismatch <= quirk and len(quirk) >= 1
    assert len(mismatch) <= max(2, 0.03 * len(active))
    for fid, row in f.iterrows():
        w = wf.loc[fid]
        if w["sid"]:
            continue
        year = int(row["审批日期"][:4])
        assert round(float(row["月保障金额"]), 2) == round(welfare.standard(row["救助类别"], year) * row["保障人数"], 2)


def test_standards():
    assert welfare.standard("城市低保", 2026) == 1060 and welfare.standard("农村低保", 2024) == 770
    assert welfare.standard("城市特困", 2025) == 1313 and welfare.standard("农村特困", 2026) == 1131
    assert welfare.standard("低保边缘", 2026) == 0


def test_members_and_one_applicant(db, world):
    m, f = db["jz_member"], db["jz_family"]
    assert set(m["与申请人关系"]) <= RELATIONS
    assert set(m["是否保障对象"]) <= {"是", "否"}
    assert set(m["健康状况"]) <= {"健康", "患病", "残疾", "重病"}
    assert set(m["劳动能力"]) <= {"有", "部分丧失", "完全丧失", "无(未成年或老年)"}
    assert m["成员身份证号"].map(is_valid_id).all()
    valid = m[m["删除标志"] == "0"]
    own = valid[valid["与申请人关系"] == "本人"]
    assert not own["家庭编号"].duplicated().any()
    fam = f.set_index("家庭编号")
    known = own[own["家庭编号"].isin(fam.index)]
    assert (known["成员身份证号"].to_numpy() == fam.loc[known["家庭编号"], "申请人身份证号"].to_numpy()).all()
    missing = set(fam.index[fam["删除标志"] == "0"]) - set(own["家庭编号"])
    wf = world.tables["families"].set_index("family_id")
    assert missing <= set(wf.index[wf["quirk"].isin(["applicant_not_member"])])
    assert len(missing) >= 1  # quirk applicant_not_member


def test_member_quirks(db, world):
    m, f = db["jz_member"], db["jz_family"]
    orphans = m[~m["家庭编号"].isin(f["家庭编号"])]
    assert 1 <= len(orphans) <= max(2, 0.002 * len(m))
    active = f[(f["删除标志"] == "0") & (f["家庭状态"] != "停保")]["家庭编号"]
    valid = m[(m["删除标志"] == "0") & (m["是否保障对象"] == "是") & m["家庭编号"].isin(active)]
    twice = valid.groupby("成员身份证号")["家庭编号"].nunique()
    planted_ids = set(world.people.loc[world.people["planted"] != "", "id_number"])
    bg_twice = [i for i in twice[twice > 1].index if i not in planted_ids]
    assert 1 <= len(bg_twice) <= max(2, 0.005 * len(valid))
    # deceased_beneficiary: dead but valid 是 members of active families (background)
    death = world.people.set_index("id_number")["death_date"]
    bgv = valid[~valid["成员身份证号"].isin(planted_ids)]
    dead = bgv[death.reindex(bgv["成员身份证号"]).notna().to_numpy()]
    assert len(dead) <= max(3, 0.02 * len(bgv))
    quirky = world.tables["family_members"]
    assert set(dead["成员身份证号"]) <= set(quirky.loc[quirky["quirk"] == "deceased_beneficiary", "id_number"])


def test_payments(db, world, bg_families):
    p, f = db["jz_payment"], db["jz_family"]
    assert p["发放编号"].str.fullmatch(r"FF\d{16}").all()
    assert (p["发放编号"].str[2:10] == p["发放日期"].str.replace("-", "")).all()
    assert set(p["资金类别"]) == {"低保金", "特困供养金", "临时救助金", "分类施保金", "护理补贴"}
    assert p["收款银行账号"].str.fullmatch(r"\d{16,19}").all()
    amount = p["发放金额"].astype(float)
    assert (amount.round(2) == amount).all()
    assert p["发放日期"].min() >= "2019-01-01" and p["发放年月"].min() >= "201901"
    temp = amount[p["资金类别"] == "临时救助金"]
    assert temp[temp > 0].between(500, 20000).all()
    bg = p[p["家庭编号"].isin(bg_families)]
    # one batch day per month, on a working day between the 10th and the 15th
    regular = bg[bg["资金类别"].isin(["低保金", "特困供养金"]) & (bg["发放金额"] > 0)
                 & (bg["发放日期"].str[:7].str.replace("-", "") == bg["发放年月"])]
    days = regular.groupby("发放年月")["发放日期"].agg(lambda s: s.mode().iloc[0])
    assert days.map(lambda d: 10 <= int(d[8:]) <= 15 and cal.is_working_day(date.fromisoformat(d))).all()
    # back_pay ~1%, reversal ~0.2%, payment_after_termination ~0.1% (of background rows)
    back = (bg["发放年月"] < bg["发放日期"].str[:7].str.replace("-", "")) & (bg["发放金额"] > 0)
    assert 0.003 < back.mean() < 0.025
    neg = bg[bg["发放金额"] < 0]
    assert 1 <= len(neg) <= 0.01 * len(bg)
    for r in neg.itertuples():
        same = bg[(bg["家庭编号"] == r.家庭编号) & (bg["发放年月"] == r.发放年月) & (bg["资金类别"] == r.资金类别)
                  & (bg["发放金额"] == -r.发放金额) & (bg["发放日期"] <= r.发放日期)]
        assert len(same) >= 1
    ended = f[f["终止年月"].notna()].set_index("家庭编号")["终止年月"]
    monthly = bg[bg["资金类别"].isin(["低保金", "特困供养金"]) & (bg["发放金额"] > 0)]
    after = monthly[monthly["家庭编号"].map(ended).fillna("999999") < monthly["发放年月"]]
    paused = world.tables["families"]
    paused = set(paused.loc[paused["status"] == "暂停", "family_id"])
    assert len(after) + monthly["家庭编号"].isin(paused).sum() >= 1
    assert len(after) <= max(3, 0.005 * len(monthly))
    orphans = p[~p["家庭编号"].isin(f["家庭编号"])]
    assert 1 <= len(orphans) <= max(2, 0.001 * len(p))
    # 低保边缘 families are paid no 低保金
    edge = set(f.loc[f["救助类别"] == "低保边缘", "家庭编号"])
    assert not p[p["家庭编号"].isin(edge) & p["资金类别"].isin(["低保金", "特困供养金"])].shape[0]


def test_applications(db, world, bg_apps):
    a, am, f = db["jz_application"], db["jz_application_member"], db["jz_family"]
    assert a["申请编号"].str.fullmatch(r"SQ\d{14}").all()
    assert (a["申请编号"].str[2:10] == a["申请日期"].str.replace("-", "")).all()
    assert set(a["申请类别"]) == {"低保", "特困", "临时救助", "低保边缘"}
    assert set(a["申请状态"]) == {"已受理", "核对中", "已审批", "不予批准", "已撤回"}
    assert set(a["受理乡镇街道"]) <= TOWNS
    assert set(a["授权书签署"]) <= {"是", "否"} and set(a["承诺书签署"]) <= {"是", "否"}
    assert a.loc[a["授权书签署"] == "否", "授权书签署日期"].isna().all()
    no_date = a[(a["授权书签署"] == "是") & a["授权书签署日期"].isna()]
    signed = a[(a["授权书签署"] == "是") & a["申请编号"].isin(bg_apps)]
    assert 1 <= no_date["申请编号"].isin(bg_apps).sum() <= max(2, 0.02 * len(signed))
    # volumes (background): ~9k a year, ~45% 临时救助
    bg = a[a["申请编号"].isin(bg_apps)]
    per_year = bg[bg["申请日期"].str[:4] == "2025"]
    assert abs(len(per_year) - 9000 * SCALE) < 0.5 * 9000 * SCALE
    assert 0.3 < (bg["申请类别"] == "临时救助").mean() < 0.6
    # exactly one valid 本人 per application, the applicant
    own = am[(am["删除标志"] == "0") & (am["与申请人关系"] == "本人")]
    assert not own["申请编号"].duplicated().any()
    own = own.set_index("申请编号")
    assert set(own.index) == set(a["申请编号"])
    assert (own.loc[a["申请编号"], "成员身份证号"].to_numpy() == a["申请人身份证号"].to_numpy()).all()
    assert set(am["与申请人关系"]) <= RELATIONS and am["申请编号"].isin(a["申请编号"]).all()
    # an approved 低保/特困/低保边缘 application led to a family of the same applicant, approved later
    approved = a[(a["申请状态"] == "已审批") & (a["申请类别"] != "临时救助")]
    fam = f.groupby("申请人身份证号")["审批日期"].max()
    assert (fam.reindex(approved["申请人身份证号"]).to_numpy() >= approved["申请日期"].to_numpy()).all()
    # members per application ~2.8 (contract), with the smaller assisted households a bit fewer
    assert 1.5 < len(am) / len(a) < 4


def test_referrals(db, world, bg_apps):
    r, a = db["jz_referral"], db["jz_application"]
    assert r["转办编号"].str.fullmatch(r"ZB\d{14}").all()
    assert (r["转办编号"].str[2:10] == r["派单时间"].str[:10].str.replace("-", "")).all()
    assert set(r["承办部门"]) <= {"教体局", "住建局", "医保局", "人社局", "残联", "卫健局", "司法局", "总工会", "妇联"}
    assert set(r["反馈结果"].dropna()) <= {"已办结", "不符合条件", "办理中"}
    assert (r["反馈时间"].isna() == r["反馈结果"].isna()).all()
    assert set(r["办理时限天数"]) <= {5, 10, 15, 20, 30}
    assert (r["反馈时间"].dropna() >= r.loc[r["反馈时间"].notna(), "派单时间"]).all()
    orphans = r[~r["申请编号"].isin(a["申请编号"])]
    assert 1 <= len(orphans) <= 2
    bg = r[r["申请编号"].isin(bg_apps)]
    assert abs(len(bg) / ((AS_OF - date(2019, 1, 1)).days / 365.25) - 6000 * SCALE) < 0.4 * 6000 * SCALE
    # ~10% overdue, ~3% never answered (among referrals already due)
    w = world.tables["referrals"]
    w = w[(w["sid"] == "") & (w["dispatched_at"] + pd.to_timedelta(w["limit_days"] + 30, unit="D")
                              < pd.Timestamp(AS_OF))]
    due = w["dispatched_at"] + pd.to_timedelta(w["limit_days"], unit="D")
    overdue = w["final_at"].isna() | (w["final_at"] > due)
    assert 0.04 < overdue.mean() < 0.2
    assert 0.0 < w["final_at"].isna().mean() < 0.08


def test_front_db_hides_nothing_after_as_of_and_late_rows(world, db):
    # every visible row was inserted by the end of as_of; a late-pushed insert of as_of may be missing
    p = world.tables["payments"]
    assert len(db["jz_payment"]) <= len(p)
    assert len(p) - len(db["jz_payment"]) <= max(3, 0.02 * (p["inserted_at"].dt.date == AS_OF).sum())


# --- bank -------------------------------------------------------------------------------------------

def test_requests_follow_the_authorization_rule(out, db):
    a, am = db["jz_application"].set_index("申请编号"), db["jz_application_member"]
    valid = set(zip(am.loc[am["删除标志"] == "0", "申请编号"], am.loc[am["删除标志"] == "0", "成员身份证号"],
                    strict=True))
    reqs = _requests(out)
    assert reqs
    first_bd = AS_OF - timedelta(days=2)
    for path, r in reqs:
        assert set(r) == {"批次号", "生成时间", "查询对象"}
        assert re.fullmatch(r"HD370481\d{12}", r["批次号"]) and path.name == f"HDQ_{r['批次号']}.json"
        assert r["批次号"][8:16] == r["生成时间"][:10].replace("-", "") and TS.match(r["生成时间"])
        assert r["生成时间"] >= str(first_bd - timedelta(days=380)) and r["生成时间"] < str(first_bd)
        persons = r["查询对象"]
        assert 1 <= len(persons) <= 1000
        ids = [x["身份证号"] for x in persons]
        assert len(set(ids)) == len(ids) and all(is_valid_id(i) for i in ids)
        _check_marker(path, len(persons))
        for x in persons:
            assert set(x) == {"身份证号", "姓名", "申请编号", "授权书签署日期"}
            app = a.loc[x["申请编号"]]
            assert app["授权书签署"] == "是" and app["授权书签署日期"] == x["授权书签署日期"]
            assert app["申请状态"] != "已撤回" and (x["申请编号"], x["身份证号"]) in valid
            assert x["授权书签署日期"] <= r["生成时间"][:10]
    batches_per_year = len(reqs)
    persons_per_year = sum(len(r["查询对象"]) for _, r in reqs)
    assert persons_per_year / batches_per_year > 1.5
    assert persons_per_year > 0.4 * 25_000 * SCALE


def _walk_scalars(obj: object) -> list[object]:
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in _walk_scalars(x)]
    if isinstance(obj, list):
        return [v for x in obj for v in _walk_scalars(x)]
    return [obj]


def _check_response(path: Path, resp: dict, request: dict) -> None:
    assert set(resp) == {"批次号", "返回时间", "结果"}
    m = re.fullmatch(r"HDR_(HD370481\d{12})(_R\d+)?\.json", path.name)
    assert m and m.group(1) == resp["批次号"] == request["批次号"]
    assert all(v is None or isinstance(v, str) for v in _walk_scalars(resp))
    _check_marker(path, len(resp["结果"]))
    back = datetime.strptime(resp["返回时间"], "%Y-%m-%d %H:%M:%S")
    assert path.parent.name == back.strftime("%Y%m%d")
    assert cal.is_working_day(back.date()) and 8 <= back.hour < 20
    pickup = bank_platform.pickup_day(datetime.strptime(request["生成时间"], "%Y-%m-%d %H:%M:%S"))
    assert 2 <= (back.date() - pickup).days <= (10 if not m.group(2) else 20)
    requested = {x["身份证号"] for x in request["查询对象"]}
    rows = resp["结果"]
    assert requested <= {r["身份证号"] for r in rows}
    keys = [(r["身份证号"], r["机构名称"], r["账户类别"]) for r in rows]
    assert len(keys) == len(set(keys))
    for r in rows:
        assert set(r) == {"身份证号", "姓名", "机构名称", "账户类别", "余额", "查询状态"}
        assert r["查询状态"] in ("成功", "无记录", "查询失败")
        if r["查询状态"] == "成功":
            assert r["机构名称"] and r["账户类别"] in welfare.ACCOUNT_CATEGORIES and re.fullmatch(r"\d+\.\d{2}", r["余额"])
        else:
            assert r["账户类别"] is None and r["余额"] is None
        if r["查询状态"] == "无记录":
            assert r["机构名称"] is None
    by_person = pd.DataFrame(rows).groupby("身份证号")["查询状态"].agg(list)
    for idn, statuses in by_person.items():
        if "无记录" in statuses:
            assert statuses == ["无记录"], idn


def test_responses_follow_the_coverage_rules(out, world):
    reqs = {r["批次号"]: r for _, r in _requests(out)}
    resps = _responses(out)
    assert resps
    n_rows = unrequested = 0
    for path, resp in resps:
        request = reqs[resp["批次号"]]
        n, sha = _marker(path)
        if sha != hashlib.sha256(path.read_bytes()).hexdigest():  # broken delivery: an _R1 follows
            assert path.with_name(path.stem + "_R1.json").exists() or any(
                p.name == path.stem + "_R1.json" for p, _ in resps)
            continue
        _check_response(path, resp, request)
        requested = {x["身份证号"] for x in request["查询对象"]}
        n_rows += len(resp["结果"])
        unrequested += sum(r["身份证号"] not in requested for r in resp["结果"])
    assert unrequested <= max(2, n_rows / 1000)
    # answered within 15 days unless no_response (~1%) or still pending at as_of
    answered = {resp["批次号"] for _, resp in resps}
    old = [b for b, r in reqs.items() if r["生成时间"] < str(AS_OF - timedelta(days=15))]
    assert sum(b not in answered for b in old) <= max(2, 0.05 * len(old))


def test_holdings_truth(out, world):
    h = pd.read_parquet(out / "_truth" / "bank_holdings.parquet")
    assert list(h.columns) == ["id_number", "institution", "category", "balance", "planted"]
    assert not h.duplicated(["id_number", "institution", "category"]).any()
    planted = set(world.people.loc[world.people["planted"] != "", "id_number"])
    assert planted <= set(h.loc[h["planted"], "id_number"])  # batches naming them get no random quirk
    ok = h[h["category"].notna()]
    assert (ok["balance"] >= 0).all() and set(ok["category"]) <= set(welfare.ACCOUNT_CATEGORIES)
    # balances grow with wealth
    full = world.tables["bank_holdings"]
    wealth = world.households["wealth"].to_numpy()[world.people["hh"].to_numpy()[full["pid"].to_numpy()]]
    totals = full.assign(w=wealth).groupby(pd.cut(wealth, [0, 0.1, 0.9, 1.0]), observed=True)["balance"].median()
    assert totals.iloc[0] < totals.iloc[-1]


def test_responder_end_to_end(out, world, tmp_path, db):
    exchange = tmp_path / "exchange"
    shutil.copytree(out / "_truth", exchange / "_truth")
    am = db["jz_application_member"]
    a = db["jz_application"]
    ok = a[(a["授权书签署"] == "是") & a["授权书签署日期"].notna() & (a["申请状态"] == "核对中")]
    members = am[am["申请编号"].isin(ok["申请编号"]) & (am["删除标志"] == "0")].drop_duplicates("成员身份证号").head(6)
    persons = [{"身份证号": r.成员身份证号, "姓名": r.成员姓名, "申请编号": r.申请编号,
                "授权书签署日期": a.set_index("申请编号").at[r.申请编号, "授权书签署日期"]}
               for r in members.itertuples()]
    persons.append({"身份证号": "37048119900101123X", "姓名": "错号", "申请编号": persons[0]["申请编号"],
                    "授权书签署日期": persons[0]["授权书签署日期"]})
    holdings, seed = bank_platform.load_truth(exchange)
    seq = 1
    while True:  # a batch number the platform answers (no_response hits ~1%)
        batch = f"HD370481{AS_OF:%Y%m%d}{seq:04d}"
        request = {"批次号": batch, "生成时间": f"{AS_OF} 10:00:00", "查询对象": persons}
        if bank_platform.plan(request, holdings, seed):
            break
        seq += 1
    path = exchange / "outbox" / "bank" / f"HDQ_{batch}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    assert bank_platform.respond(exchange, AS_OF + timedelta(days=15)) == []  # no marker yet
    rows = len(persons)
    path.with_suffix(".ok").write_bytes(
        f"rows={rows}\nsha256={hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    assert bank_platform.respond(exchange, AS_OF) == []  # collected at 17:00, answered 2+ days later
    written = bank_platform.respond(exchange, AS_OF + timedelta(days=15))
    assert written and written[0].name == f"HDR_{batch}.json"
    resp = json.loads(written[0].read_text(encoding="utf-8"))
    _check_response(written[0], resp, request)
    bad = [r for r in resp["结果"] if r["身份证号"] == "37048119900101123X"]
    assert [r["查询状态"] for r in bad] == ["查询失败"] and bad[0]["机构名称"] is None
    frame = pd.read_parquet(exchange / "_truth" / "bank_holdings.parquet")
    for p in persons[:-1]:
        mine = [r for r in resp["结果"] if r["身份证号"] == p["身份证号"]]
        truth = frame[(frame["id_number"] == p["身份证号"]) & frame["category"].notna()]
        if any(r["查询状态"] == "查询失败" for r in mine):
            continue  # institution_failure
        assert round(sum(float(r["余额"]) for r in mine if r["余额"]), 2) == round(float(truth["balance"].sum()), 2)
    assert bank_platform.respond(exchange, AS_OF + timedelta(days=30)) == [] or all(
        "_R" in p.name for p in bank_platform.respond(exchange, AS_OF + timedelta(days=30)))


# --- XLSX sources -----------------------------------------------------------------------------------

def _rows(path: Path, sheet: str | None = None) -> tuple[list[str], list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    name = sheet or wb.sheet_names[0]
    return wb.sheet_names, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _is_empty(row: list[object]) -> bool:
    return all(v in ("", None) for v in row)


def _check_delivery_days(out: Path, source: str, stem: str, day: int) -> None:
    files = sorted((out / "landing" / source).glob(f"*/{stem}_*.xlsx"))
    assert len({p.name for p in files if "_R" not in p.name}) >= 13
    for p in files:
        folder = datetime.strptime(p.parent.name, "%Y%m%d").date()
        month = p.name[len(stem) + 1:len(stem) + 7]
        nxt = cal.month_add(month, 1)
        scheduled = cal.monthly_delivery_date(int(nxt[:4]), int(nxt[4:]), day)
        assert scheduled <= folder <= cal.add_working_days(scheduled, 8), p
        assert folder <= AS_OF and cal.is_working_day(folder)
    for lock in (out / "landing" / source).glob("*/~$*"):
        assert not lock.with_suffix(".ok").exists()


def test_disability_workbooks(out, world):
    _check_delivery_days(out, "disability", "CJR", 5)
    footers = 0
    files = sorted((out / "landing" / "disability").glob("*/CJR_*.xlsx"))
    for path in files:
        sheets, rows = _rows(path, "持证残疾人")
        assert sheets[0] == "持证残疾人"
        month = re.search(r"CJR_(\d{6})", path.name).group(1)
        end = cal.month_end(month)
        assert rows[0][0] == "滕州市持证残疾人信息表"
        assert rows[1][0] == f"统计日期：{end.year}年{end.month:02d}月{end.day:02d}日"
        assert rows[2][:12] == ["残疾人证号", "姓名", "性别", "残疾类别", "残疾等级", "发证日期", "证件状态", "户籍地址",
                                "监护人姓名", "联系电话", "困难残疾人生活补贴", "重度残疾人护理补贴"]
        body = rows[3:]
        data = [r for r in body if not _is_empty(r) and not str(r[0]).startswith("合计：")]
        footer = [r for r in body if str(r[0]).startswith("合计：")]
        n, sha = _marker(path)
        if sha == hashlib.sha256(path.read_bytes()).hexdigest():
            assert n == len(data)
        if footer:
            footers += 1
            assert footer[0][0] == f"合计：{len(data)}人" and all(v in ("", None) for v in footer[0][1:])
            assert body.index(footer[0]) == len(data)
        assert not any(_is_empty(r) for r in body[:len(data)])
    assert 0 < footers < len(files)


def test_disability_cells_and_rules(out, world):
    files = _latest_files(out, "disability", "CJR")
    path = files[max(files)]
    _, rows = _rows(path, "持证残疾人")
    data = [r for r in rows[3:] if not _is_empty(r) and not str(r[0]).startswith("合计：")]
    kinds = {k: str(i + 1) for i, k in enumerate(welfare.KINDS)}
    grades = {g: str(i + 1) for i, g in enumerate(welfare.GRADES)}
    text_dates = date_cells = mobiles = number_phones = bad = excel = 0
    for r in data:
        cert, name, sex, kind, grade, issued, status, address, guardian, phone, living, care = r[:12]
        assert sex in ("男", "女") and kind in kinds and grade in grades and status in ("有效", "过期", "注销")
        assert living in ("是", "否") and care in ("是", "否") and address
        if care == "是":
            assert grade in ("一级", "二级")
        if isinstance(cert, float):
            excel += 1
            assert cert >= 1e19
        else:
            c = _nfkc_id(cert)
            assert re.fullmatch(r"\d{17}[\dX][1-7][1-4]", c), cert
            assert c[18] == kinds[kind] and c[19] == grades[grade]
            bad += not is_valid_id(c[:18])
        if isinstance(issued, str):
            text_dates += 1
            assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", issued)
        else:
            date_cells += 1
            assert isinstance(issued, (date, datetime))
        if isinstance(phone, (int, float)) and phone != "":
            number_phones += 1
            mobiles += 1
            assert re.fullmatch(r"1[3-9]\d{9}", str(int(phone)))
        elif isinstance(phone, str) and phone:
            assert re.fullmatch(r"1[3-9]\d{9}|0632-\d{7}", phone)
            mobiles += phone.startswith("1")
        assert name.replace(" ", "").replace("\u3000", "") and len(name) <= 30
    n = len(data)
    assert abs(n - 55_000 * SCALE) < 0.35 * 55_000 * SCALE + 40
    assert 0.06 < text_dates / n < 0.25
    assert 0.25 < number_phones / mobiles < 0.55
    assert bad <= max(2, 0.02 * n) and excel <= max(2, 0.01 * n)
    statuses = pd.Series([r[6] for r in data]).value_counts(normalize=True)
    assert statuses["有效"] > 0.8


def test_disability_quirks_over_world(world):
    c = world.tables["disability_certs"]
    bg = c[c["sid"] == ""]
    valid = bg[bg["cancel_date"].isna()]
    assert (bg["quirk"] == "deceased_valid").sum() >= 1
    assert (bg["quirk"] == "reassessed_old").sum() == (bg["quirk"] == "reassessed_new").sum() >= 1
    dead = world.people["death_date"].to_numpy()[valid["pid"].to_numpy()]
    assert (~np.isnat(dead)).sum() <= max(3, 0.03 * len(valid))
    assert bg["cert_no"].is_unique


def test_rural_monitoring_workbooks(out, world):
    _check_delivery_days(out, "rural_monitoring", "FFP", 8)
    cols = ["户编号", "户主姓名", "户主身份证号", "监测对象类别", "主要风险类型", "纳入监测时间", "风险是否消除", "风险消除时间",
            "家庭人口数", "上年度家庭人均纯收入", "乡镇", "行政村"]
    text_dates = dates = 0
    bg_no = set(world.tables["ffp_households"].query("sid == ''")["hh_no"])
    files = sorted((out / "landing" / "rural_monitoring").glob("*/FFP_*.xlsx"))
    for path in files:
        sheets, rows = _rows(path)
        assert sheets[0] in ("监测户信息", "Sheet1")
        assert rows[0][:12] == cols
        data = [r for r in rows[1:] if not _is_empty(r)]
        n, sha = _marker(path)
        if sha == hashlib.sha256(path.read_bytes()).hexdigest():
            assert n == len(data)
        for r in data:
            hh_no, name, idn, category, risk, included, eliminated, out_date, size, income, town, village = r[:12]
            assert re.fullmatch(r"370481\d{10}", hh_no) and town in TOWNS and village.endswith("村")
            assert category in ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
            assert risk in ("因病", "因残", "因学", "因灾", "因意外事故", "因产业项目失败", "因务工就业不稳", "其他")
            assert eliminated in ("是", "否")
            assert is_valid_id(_nfkc_id(idn))
            for d in (included, out_date):
                if isinstance(d, str) and d:
                    text_dates += hh_no in bg_no
                    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}|\d{4}-\d{2}-\d{2}|\d{8}", d)
                elif d not in ("", None):
                    dates += hh_no in bg_no
            if eliminated == "是":
                assert out_date not in ("", None)
            assert isinstance(size, (int, float)) or re.fullmatch(r"\d+人?", size)
            assert isinstance(income, float)
        assert len({r[0] for r in data}) == len(data)
    assert 0.03 < text_dates / (text_dates + dates) < 0.3  # ~10% of (background) date values
    latest = _latest_files(out, "rural_monitoring", "FFP")
    _, rows = _rows(latest[max(latest)])
    data = [r for r in rows[1:] if not _is_empty(r)]
    bg = [r for r in data if r[0] in set(world.tables["ffp_households"].query("sid == ''")["hh_no"])]
    assert abs(len(bg) - 3000 * SCALE) <= 0.3 * 3000 * SCALE
    towns = pd.Series([r[10] for r in bg])
    assert towns.str.endswith("镇").mean() > 0.75
    open_share = np.mean([r[6] == "否" for r in bg])
    assert 0.1 < open_share < 0.8  # ~40% of ~10 households at this scale


def test_rural_monitoring_quirks_over_world(world):
    f = world.tables["ffp_households"]
    assert (f["quirk"] == "deceased_head").sum() >= 1
    assert (f["quirk"] == "elimination_inconsistent").sum() <= max(2, 0.02 * len(f))
    assert f["hh_no"].is_unique


# --- planted facts ----------------------------------------------------------------------------------

def _net_by_month(p: pd.DataFrame) -> pd.Series:
    return p.groupby("发放年月")["发放金额"].sum().round(2)


def test_planted_families(world, db):
    f = db["jz_family"].set_index("家庭编号")
    m, pay = db["jz_member"], db["jz_payment"]
    ids = world.people["id_number"].to_numpy(dtype=object)
    wf = world.tables["families"]
    for h in world.planted:
        if h.family is None:
            continue
        pf = h.family
        fid = wf.loc[wf["sid"] == h.sid, "family_id"].iloc[0]
        if h.kind == "family":
            assert world.household_ids[h.sid] == fid
        row = f.loc[fid]
        assert row["救助类别"] == pf.category and row["家庭状态"] == pf.status
        assert row["删除标志"] == ("1" if pf.deleted else "0")
        assert row["审批日期"] == str(AS_OF - timedelta(days=pf.approved_days_ago))
        expected = {ids[world.planted_pids[(h.sid, x.key)]]: "是" if x.covered else "否" for x in h.members}
        if h.extra_family_of is not None:
            expected[ids[world.planted_pids[h.extra_family_of]]] = "是"
        mine = m[m["家庭编号"] == fid]
        assert dict(zip(mine["成员身份证号"], mine["是否保障对象"], strict=True)) == expected
        assert set(mine["删除标志"]) == {"1" if pf.deleted else "0"}
        head = next((x for x in h.members if x.rel == "户主"), h.members[0])
        assert row["申请人身份证号"] == ids[world.planted_pids[(h.sid, head.key)]]
        covered = sum(v == "是" for v in expected.values())
        assert row["保障人数"] == covered
        amount = pf.monthly_amount if pf.monthly_amount is not None else welfare.standard(pf.category, AS_OF.year) * covered
        assert round(float(row["月保障金额"]), 2) == round(amount, 2)
        regular = pay[(pay["家庭编号"] == fid) & pay["资金类别"].isin(["低保金", "特困供养金"])]
        if pf.category == "低保边缘" or pf.deleted:
            assert regular.empty
            continue
        net = _net_by_month(regular)
        assert (regular.loc[regular["发放金额"] > 0, "发放金额"].astype(float) == round(amount, 2)).all()
        months = list(net.index)
        assert months[0] == row["开始发放年月"] or months[0] == "201901"
        assert len(months) == cal.months_between(months[0], months[-1]) + 1
        deaths = [world.people.at[world.planted_pids[(h.sid, x.key)], "death_date"] for x in h.members
                  if x.covered and x.death_days_ago is not None]
        if deaths:
            dm = cal.yyyymm(min(deaths).date())
            after = net[net.index > dm]
            assert len(after) == pf.paid_after_death_months
            if pf.reversed_after_death:
                assert (after == 0).all()
            else:
                assert (after > 0).all()
        elif pf.status == "在保":
            batch = regular.loc[regular["发放年月"] == months[-1], "发放日期"].min()
            assert months[-1] in (cal.yyyymm(AS_OF), cal.month_add(cal.yyyymm(AS_OF), -1)) and batch <= str(AS_OF)
        elif pf.status == "停保":
            assert months[-1] == row["终止年月"]


def test_planted_applications_and_referrals(world, db):
    a = db["jz_application"].set_index("申请编号")
    am, r = db["jz_application_member"], db["jz_referral"]
    ids = world.people["id_number"].to_numpy(dtype=object)
    wa = world.tables["applications"]
    for h in world.planted:
        pa = h.application
        if pa is None:
            continue
        mine = wa[(wa["sid"] == h.sid) & (wa["category"] == pa.category)
                  & (wa["app_date"] == pd.Timestamp(AS_OF - timedelta(days=pa.days_ago)))]
        assert len(mine) == 1
        app_id = mine["app_id"].iloc[0]
        if h.kind == "application":
            assert world.household_ids[h.sid] == app_id
        row = a.loc[app_id]
        assert row["申请类别"] == pa.category and row["申请状态"] == pa.status
        assert row["申请日期"] == str(AS_OF - timedelta(days=pa.days_ago))
        assert row["授权书签署"] == ("是" if pa.authorized else "否")
        has_date = pa.authorized and not pa.authorization_date_missing
        assert pd.notna(row["授权书签署日期"]) == has_date
        members = am[(am["申请编号"] == app_id) & (am["删除标志"] == "0")]
        assert set(members["成员身份证号"]) == {ids[world.planted_pids[(h.sid, x.key)]] for x in h.members}
        if pa.referral is not None:
            ref = r[r["申请编号"] == app_id]
            assert len(ref) == 1
            ref = ref.iloc[0]
            assert ref["办理时限天数"] == pa.referral.limit_days
            assert ref["派单时间"][:10] == str(AS_OF - timedelta(days=pa.referral.dispatched_days_ago))
            got = None if pd.isna(ref["反馈结果"]) else ref["反馈结果"]
            assert got == pa.referral.feedback
            if pa.referral.feedback is not None and pa.referral.feedback_days_ago is not None:
                assert ref["反馈时间"][:10] == str(AS_OF - timedelta(days=pa.referral.feedback_days_ago))


def test_planted_bank(world, out):
    latest: dict[str, tuple[str, list[dict]]] = {}
    for path, resp in _responses(out):
        for row in resp["结果"]:
            key = (resp["返回时间"], path.name)
            if row["身份证号"] not in latest or key > latest[row["身份证号"]][0]:
                latest[row["身份证号"]] = (key, [])
    for path, resp in _responses(out):
        for row in resp["结果"]:
            if latest.get(row["身份证号"], (None,))[0] == (resp["返回时间"], path.name):
                latest[row["身份证号"]][1].append(row)
    requested = {x["身份证号"] for _, r in _requests(out) for x in r["查询对象"]}
    checked = 0
    for h in world.planted:
        for x in h.members:
            idn = world.id_of(world.planted_pids[(h.sid, x.key)])
            if x.bank is None:
                assert idn not in requested
                continue
            app_ok = h.application is not None and h.application.authorized and \
                not h.application.authorization_date_missing and h.application.status != "已撤回"
            if not app_ok and h.family is None:
                assert idn not in requested  # no signed 授权书 covers him: never asked
                continue
            (back, _), rows = latest[idn]
            assert back >= str(AS_OF - timedelta(days=365))
            statuses = {r["查询状态"] for r in rows}
            total = round(sum(float(r["余额"]) for r in rows if r["查询状态"] == "成功"), 2)
            if x.bank_status == "无记录":
                assert statuses == {"无记录"}
            elif x.bank_status == "查询失败":
                assert "查询失败" in statuses and total == round(x.bank, 2)
            else:
                assert statuses == {"成功"} and total == round(x.bank, 2)
            checked += 1
    assert checked >= 1


def test_planted_disability_and_rural(world, out):
    certs = _latest_files(out, "disability", "CJR")
    month = max(certs)
    _, rows = _rows(certs[month], "持证残疾人")
    by_cert = {_nfkc_id(r[0]): r for r in rows[3:] if isinstance(r[0], str) and r[0]}
    stat = cal.month_end(month)
    ffp = _latest_files(out, "rural_monitoring", "FFP")
    _, frows = _rows(ffp[max(ffp)])
    by_head = {_nfkc_id(r[2]): r for r in frows[1:] if r[2]}
    for h in world.planted:
        for x in h.members:
            idn = world.id_of(world.planted_pids[(h.sid, x.key)])
            if x.disability is not None:
                d = x.disability
                cert = idn + str(welfare.KINDS.index(d.kind) + 1) + str(welfare.GRADES.index(d.grade) + 1)
                if AS_OF - timedelta(days=d.issued_days_ago) <= stat:
                    r = by_cert[cert]
                    assert r[0] == cert and r[3] == d.kind and r[4] == d.grade and r[6] == d.status
                else:
                    assert cert not in by_cert
        if h.rural_monitoring is not None:
            head = next((m for m in h.members if m.rel == "户主"), h.members[0])
            r = by_head[world.id_of(world.planted_pids[(h.sid, head.key)])]
            assert r[2] == world.id_of(world.planted_pids[(h.sid, head.key)])
            assert r[6] == ("否" if h.rural_monitoring else "是")


def test_no_background_records_for_planted_persons(world):
    planted = set(world.people.loc[world.people["planted"] != "", "pid"])
    t = world.tables
    for name, col in (("family_members", "pid"), ("application_members", "pid"), ("disability_certs", "pid"),
                      ("ffp_households", "head_pid"), ("bank_holdings", "pid"), ("bank_requests", "pid")):
        df = t[name]
        bad = df[df[col].isin(planted) & (df["sid"] == "" if "sid" in df else ~df["planted"])]
        assert bad.empty, name


def test_deterministic(world):
    again = build_world(world.cfg, domains=("welfare",))
    for name in ("families", "family_members", "payments", "applications", "referrals", "disability_certs",
                 "ffp_households", "bank_requests"):
        pd.testing.assert_frame_equal(world.tables[name], again.tables[name])
    assert world.household_ids == again.household_ids


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("SAFETYNET_TEST_PG_URL"), reason="SAFETYNET_TEST_PG_URL not set")
def test_postgres_round_trip(world, db):
    import sqlalchemy as sa

    from simulator.sources import assistance

    url = os.environ["SAFETYNET_TEST_PG_URL"]
    pg_world = build_world(SimConfig(out=world.cfg.out, scale=SCALE, seed=SEED, as_of=AS_OF, days=3,
                                     frontdb_urls={"assistance": url}), domains=("welfare",))
    assistance.write(pg_world)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            for table, (cols, _) in SCHEMA.items():
                got = pd.read_sql_query(sa.text(f"SELECT * FROM {table}"), con)
                assert list(got.columns) == cols
                assert len(got) == len(db[table])
            total = con.execute(sa.text('SELECT SUM("发放金额") FROM jz_payment')).scalar()
            assert round(float(total), 2) == round(float(db["jz_payment"]["发放金额"].sum()), 2)
    finally:
        engine.dispose()
