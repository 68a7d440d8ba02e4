"""Source `assistance`: the six jz_* tables of the front database as they stand after the last push
(the night of as-of + 1 unless skipped, simulator.schedule).

Grain: one row per table key, derived from the event columns of the welfare world tables
(simulator/domains/welfare.py): a row is visible once inserted, and shows the state after the last
change visible to it. The push in the night of N carries every change up to 24:00 of N - 1; quirk
late_push (~1% of background rows) holds that row's changes of day N - 1 back for one more push
(its state is the one at 24:00 of N - 2, with that 更新时间).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulator import deliver
from simulator.schedule import last_push_night
from simulator.world import World

SOURCE = "assistance"
LATE_PUSH = 0.01
PAYMENT_CHUNK = 500_000


def _c(name: str, sql_type: str, nullable: bool = False) -> deliver.ColumnDDL:
    return deliver.ColumnDDL(name, sql_type, nullable=nullable)


DDL: dict[str, deliver.TableDDL] = {
    "jz_family": deliver.TableDDL(columns=(
        _c("家庭编号", "VARCHAR(20)"), _c("申请人身份证号", "VARCHAR(18)"), _c("申请人姓名", "VARCHAR(50)"),
        _c("救助类别", "VARCHAR(10)"), _c("保障人数", "INTEGER"), _c("月保障金额", "NUMERIC(10,2)"),
        _c("审批日期", "DATE"), _c("开始发放年月", "CHAR(6)"), _c("终止年月", "CHAR(6)", True),
        _c("家庭状态", "VARCHAR(4)"), _c("乡镇街道", "VARCHAR(10)"), _c("村居", "VARCHAR(50)"),
        _c("更新时间", "TIMESTAMP(0)"), _c("删除标志", "CHAR(1)")), key=("家庭编号",)),
    "jz_member": deliver.TableDDL(columns=(
        _c("家庭编号", "VARCHAR(20)"), _c("成员身份证号", "VARCHAR(18)"), _c("成员姓名", "VARCHAR(50)"),
        _c("与申请人关系", "VARCHAR(10)"), _c("是否保障对象", "VARCHAR(2)"), _c("健康状况", "VARCHAR(4)"),
        _c("劳动能力", "VARCHAR(20)"), _c("更新时间", "TIMESTAMP(0)"), _c("删除标志", "CHAR(1)")),
        key=("家庭编号", "成员身份证号")),
    "jz_payment": deliver.TableDDL(columns=(
        _c("发放编号", "VARCHAR(32)"), _c("家庭编号", "VARCHAR(20)"), _c("发放年月", "CHAR(6)"),
        _c("资金类别", "VARCHAR(10)"), _c("发放金额", "NUMERIC(12,2)"), _c("发放日期", "DATE"),
        _c("收款银行账号", "VARCHAR(30)"), _c("更新时间", "TIMESTAMP(0)")), key=("发放编号",)),
    "jz_application": deliver.TableDDL(columns=(
        _c("申请编号", "VARCHAR(24)"), _c("申请人身份证号", "VARCHAR(18)"), _c("申请人姓名", "VARCHAR(50)"),
        _c("申请日期", "DATE"), _c("申请类别", "VARCHAR(10)"), _c("受理乡镇街道", "VARCHAR(10)"),
        _c("授权书签署", "VARCHAR(2)"), _c("授权书签署日期", "DATE", True), _c("承诺书签署", "VARCHAR(2)"),
        _c("申请状态", "VARCHAR(6)"), _c("更新时间", "TIMESTAMP(0)")), key=("申请编号",)),
    "jz_application_member": deliver.TableDDL(columns=(
        _c("申请编号", "VARCHAR(24)"), _c("成员身份证号", "VARCHAR(18)"), _c("成员姓名", "VARCHAR(50)"),
        _c("与申请人关系", "VARCHAR(10)"), _c("更新时间", "TIMESTAMP(0)"), _c("删除标志", "CHAR(1)")),
        key=("申请编号", "成员身份证号")),
    "jz_referral": deliver.TableDDL(columns=(
        _c("转办编号", "VARCHAR(24)"), _c("申请编号", "VARCHAR(24)"), _c("承办部门", "VARCHAR(10)"),
        _c("转办事项", "VARCHAR(200)"), _c("派单时间", "TIMESTAMP(0)"), _c("办理时限天数", "INTEGER"),
        _c("反馈时间", "TIMESTAMP(0)", True), _c("反馈结果", "VARCHAR(10)", True), _c("更新时间", "TIMESTAMP(0)")),
        key=("转办编号",)),
}


def _cutoffs(world: World, table: str, rows: pd.DataFrame, night: date) -> pd.Series:
    """Per row: the end of the last day whose changes the push shows it with (late_push: a day earlier)."""
    end = pd.Timestamp(night) - pd.Timedelta(seconds=1)
    rng = world.rng(f"assistance:late-push:{table}")
    late = (rng.random(len(rows)) < LATE_PUSH) & (rows["sid"] == "").to_numpy()
    return pd.Series(np.where(late, end - pd.Timedelta(days=1), end), index=rows.index).astype("datetime64[s]")


def _le(times: pd.Series, cut: pd.Series) -> np.ndarray:
    return (times.notna() & (times <= cut)).to_numpy()


def _latest(cut: pd.Series, *times: pd.Series) -> pd.Series:
    """The latest of the given times that lie at or before the row's cutoff."""
    stacked = pd.concat([t.where(t <= cut) for t in times], axis=1)
    return stacked.max(axis=1).astype("datetime64[s]")


def family_state(world: World, night: date) -> pd.DataFrame:
    f = world.tables["families"]
    cut = _cutoffs(world, "jz_family", f, night)
    seen = _le(f["created_at"], cut)
    f, cut = f[seen], cut[seen]
    stopped = _le(f["terminate_at"], cut)
    paused = _le(f["suspend_at"], cut)
    reviewed = f["review_at"].isna() | _le(f["review_at"], cut)
    return pd.DataFrame({
        "家庭编号": f["family_id"], "申请人身份证号": f["applicant_id"], "申请人姓名": f["applicant_name"],
        "救助类别": f["category"], "保障人数": f["count"].astype(int),
        "月保障金额": np.where(reviewed, f["amount"], f["amount_prev"]),
        "审批日期": f["approval"].where(reviewed, f["approval_prev"]),
        "开始发放年月": f["start_month"],
        "终止年月": f["end_month"].astype(object).where(stopped, None),
        "家庭状态": np.where(stopped, "停保", np.where(paused, "暂停", "在保")),
        "乡镇街道": f["town"], "村居": f["village"],
        "更新时间": _latest(cut, f["created_at"], f["review_at"], f["suspend_at"], f["terminate_at"],
                        f["deleted_at"], f["count_at"]),
        "删除标志": np.where(_le(f["deleted_at"], cut), "1", "0"),
    }).sort_values("家庭编号", ignore_index=True)


def _members_state(rows: pd.DataFrame, cut: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    seen = _le(rows["created_at"], cut)
    rows, cut = rows[seen], cut[seen]
    deleted = _le(rows["deleted_at"], cut)
    return rows.assign(_deleted=np.where(deleted, "1", "0"),
                       _updated=rows["deleted_at"].where(deleted, rows["created_at"]).astype("datetime64[s]")), cut


def member_state(world: World, night: date) -> pd.DataFrame:
    m = world.tables["family_members"].rename(columns={"joined_at": "created_at"})
    m, _ = _members_state(m, _cutoffs(world, "jz_member", m, night))
    return pd.DataFrame({
        "家庭编号": m["family_id"], "成员身份证号": m["id_number"], "成员姓名": m["name"],
        "与申请人关系": m["relation"], "是否保障对象": m["covered"], "健康状况": m["health"],
        "劳动能力": m["labor"], "更新时间": m["_updated"], "删除标志": m["_deleted"],
    }).sort_values(["家庭编号", "成员身份证号"], ignore_index=True)


def payment_state(world: World, night: date) -> pd.DataFrame:
    p = world.tables["payments"]
    p = p[_le(p["inserted_at"], _cutoffs(world, "jz_payment", p, night))]
    return pd.DataFrame({
        "发放编号": p["pay_id"], "家庭编号": p["family_id"], "发放年月": p["month"], "资金类别": p["kind"],
        "发放金额": p["amount"], "发放日期": p["pay_date"], "收款银行账号": p["account"], "更新时间": p["inserted_at"],
    }).reset_index(drop=True)


def application_state(world: World, night: date) -> pd.DataFrame:
    a = world.tables["applications"]
    cut = _cutoffs(world, "jz_application", a, night)
    seen = _le(a["created_at"], cut)
    a, cut = a[seen], cut[seen]
    decided = _le(a["decided_at"], cut)
    checked = _le(a["check_at"], cut)
    status = np.where(decided, a["final_status"].astype(object), np.where(checked, "核对中", "已受理"))
    return pd.DataFrame({
        "申请编号": a["app_id"], "申请人身份证号": a["applicant_id"], "申请人姓名": a["applicant_name"],
        "申请日期": a["app_date"], "申请类别": a["category"], "受理乡镇街道": a["town"],
        "授权书签署": a["authorized"], "授权书签署日期": a["auth_date"], "承诺书签署": a["promise"],
        "申请状态": status, "更新时间": _latest(cut, a["created_at"], a["check_at"], a["decided_at"]),
    }).sort_values("申请编号", ignore_index=True)


def application_member_state(world: World, night: date) -> pd.DataFrame:
    m = world.tables["application_members"]
    m, _ = _members_state(m, _cutoffs(world, "jz_application_member", m, night))
    return pd.DataFrame({
        "申请编号": m["app_id"], "成员身份证号": m["id_number"], "成员姓名": m["name"], "与申请人关系": m["relation"],
        "更新时间": m["_updated"], "删除标志": m["_deleted"],
    }).sort_values(["申请编号", "成员身份证号"], ignore_index=True)


def referral_state(world: World, night: date) -> pd.DataFrame:
    r = world.tables["referrals"]
    cut = _cutoffs(world, "jz_referral", r, night)
    seen = _le(r["dispatched_at"], cut)
    r, cut = r[seen], cut[seen]
    final = _le(r["final_at"], cut)
    interim = _le(r["interim_at"], cut) & ~final
    fb_time = r["final_at"].where(final, r["interim_at"].where(interim))
    result = np.where(final, r["final_result"].astype(object), np.where(interim, "办理中", None))
    return pd.DataFrame({
        "转办编号": r["ref_id"], "申请编号": r["app_id"], "承办部门": r["dept"], "转办事项": r["item"],
        "派单时间": r["dispatched_at"], "办理时限天数": r["limit_days"].astype(int),
        "反馈时间": fb_time.astype("datetime64[s]"), "反馈结果": result,
        "更新时间": _latest(cut, r["dispatched_at"], fb_time.astype("datetime64[s]")),
    }).sort_values("转办编号", ignore_index=True)


def state_after_push(world: World, night: date) -> dict[str, pd.DataFrame]:
    """All six tables after the push in the night of `night`."""
    return {"jz_family": family_state(world, night), "jz_member": member_state(world, night),
            "jz_payment": payment_state(world, night), "jz_application": application_state(world, night),
            "jz_application_member": application_member_state(world, night),
            "jz_referral": referral_state(world, night)}


def write(world: World) -> None:
    url = world.cfg.frontdb_url(SOURCE)
    tables = state_after_push(world, last_push_night(world, SOURCE))
    payments = tables.pop("jz_payment")
    first = payments.iloc[:PAYMENT_CHUNK]
    deliver.write_sql_tables(url, {**{name: (DDL[name], df) for name, df in tables.items()},
                                   "jz_payment": (DDL["jz_payment"], first)}, replace=True)
    # the payment table is large (~2M rows at full scale): load the rest in chunks to bound memory
    for start in range(PAYMENT_CHUNK, len(payments), PAYMENT_CHUNK):
        chunk = payments.iloc[start:start + PAYMENT_CHUNK]
        deliver.write_sql_tables(url, {"jz_payment": (DDL["jz_payment"], chunk)}, replace=False)


def last_visible_day(world: World) -> date:
    """The last day whose changes the front database shows (normally as_of)."""
    return last_push_night(world, SOURCE) - timedelta(days=1)
