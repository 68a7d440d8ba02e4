"""assistance (民政局 社会救助, 金民工程): six front-DB tables, current state read incrementally by 更新时间.

Entities (one row per table row version extracted; staging keeps the latest per key):

* `family` (jz_family, key 家庭编号) - an assisted family (case), soft-deleted by 删除标志.
* `member` (jz_member, key 家庭编号 + 成员身份证号) - a member of a family, soft-deleted.
* `payment` (jz_payment, key 发放编号) - one payment or reversal row (never deleted).
* `application` (jz_application, key 申请编号) - one application with its 授权书 facts.
* `application_member` (jz_application_member, key 申请编号 + 成员身份证号) - a person named in an
  application (and so in its 授权书), soft-deleted.
* `referral` (jz_referral, key 转办编号) - one 一体联动 referral with its latest feedback.

ID columns are canonical by contract; they are still typed as `id` (normal form + status + raw) so a
violation shows up in the suites instead of silently linking nobody.
"""

from __future__ import annotations

from datetime import date

from connectors.columns import Col
from connectors.sqlsource import SqlTable, extract_source
from safetynet.settings import Settings

DATE = "date:%Y-%m-%d"
TIMESTAMP = "datetime:%Y-%m-%d %H:%M:%S"
UPDATED = Col("更新时间", "updated_at", TIMESTAMP)
DELETED = Col("删除标志", "deleted_flag")

TABLES = (
    SqlTable("jz_family", "family", (
        Col("家庭编号", "family_no"),
        Col("申请人身份证号", "applicant_id_number", "id"),
        Col("申请人姓名", "applicant_name"),
        Col("救助类别", "category"),
        Col("保障人数", "covered_count", "int"),
        Col("月保障金额", "monthly_amount", "decimal:2"),
        Col("审批日期", "approval_date", DATE),
        Col("开始发放年月", "start_month", "yearmonth"),
        Col("终止年月", "end_month", "yearmonth"),
        Col("家庭状态", "status"),
        Col("乡镇街道", "town"),
        Col("村居", "village"),
        UPDATED, DELETED,
    ), key=("家庭编号",)),
    SqlTable("jz_member", "member", (
        Col("家庭编号", "family_no"),
        Col("成员身份证号", "member_id_number", "id"),
        Col("成员姓名", "member_name"),
        Col("与申请人关系", "relation_to_applicant"),
        Col("是否保障对象", "is_covered"),
        Col("健康状况", "health"),
        Col("劳动能力", "work_capacity"),
        UPDATED, DELETED,
    ), key=("家庭编号", "成员身份证号")),
    SqlTable("jz_payment", "payment", (
        Col("发放编号", "payment_no"),
        Col("家庭编号", "family_no"),
        Col("发放年月", "pay_month", "yearmonth"),
        Col("资金类别", "fund_type"),
        Col("发放金额", "amount", "decimal:2"),
        Col("发放日期", "pay_date", DATE),
        Col("收款银行账号", "bank_account"),
        UPDATED,
    ), key=("发放编号",)),
    SqlTable("jz_application", "application", (
        Col("申请编号", "application_no"),
        Col("申请人身份证号", "applicant_id_number", "id"),
        Col("申请人姓名", "applicant_name"),
        Col("申请日期", "application_date", DATE),
        Col("申请类别", "category"),
        Col("受理乡镇街道", "town"),
        Col("授权书签署", "authorization_signed"),
        Col("授权书签署日期", "authorization_date", DATE),
        Col("承诺书签署", "pledge_signed"),
        Col("申请状态", "status"),
        UPDATED,
    ), key=("申请编号",)),
    SqlTable("jz_application_member", "application_member", (
        Col("申请编号", "application_no"),
        Col("成员身份证号", "member_id_number", "id"),
        Col("成员姓名", "member_name"),
        Col("与申请人关系", "relation_to_applicant"),
        UPDATED, DELETED,
    ), key=("申请编号", "成员身份证号")),
    SqlTable("jz_referral", "referral", (
        Col("转办编号", "referral_no"),
        Col("申请编号", "application_no"),
        Col("承办部门", "department"),
        Col("转办事项", "matter"),
        Col("派单时间", "dispatched_at", TIMESTAMP),
        Col("办理时限天数", "time_limit_days", "int"),
        Col("反馈时间", "feedback_at", TIMESTAMP),
        Col("反馈结果", "feedback_result"),
        UPDATED,
    ), key=("转办编号",)),
)

#: The same tables keyed like a file connector's parts (what expectations.runner reads for field names).
PARTS = {t.table: t for t in TABLES}


def extract_task(settings: Settings, business_date: date, docs_keys: list | None = None):
    return extract_source(settings, "assistance", TABLES, business_date, docs_keys)
