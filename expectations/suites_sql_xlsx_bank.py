"""Expectation suites of the SQL sources assistance, social_insurance and medical, the XLSX sources
disability and rural_monitoring, charity and bank (one `Suite` per connector entity; DSL of
expectations.suites, whose `ALL` includes `SUITES` below).

Severity follows the policy at the top of expectations.suites ('row' only when the row cannot be used
correctly: key, required column, enumeration, event after the as-of date or a period ending before it
starts; everything else, documented quirks first, is 'warn'). Column names are the connectors' English
names (connectors/<source>.py `PARTS` and `DERIVED`).
"""

from __future__ import annotations

import pandas as pd

from expectations.suites import (
    HUKOU_RELATIONS,
    ID18,
    TOWNS,
    TRUSTED_ID_STATUSES,
    YES_NO,
    Check,
    Severity,
    Suite,
    between,
    enum,
    in_set,
    length_between,
    matches,
    not_null,
    pair_greater,
    required,
    rule,
    unique,
)

FLAGS = frozenset({"0", "1"})
RELATIONS = (HUKOU_RELATIONS - {"户主"}) | {"本人"}
MOBILE_OR_LANDLINE = r"^(1[3-9]\d{9}|0632-\d{7})$"
#: Rounding tolerance for money compared in float64 (values have 2 decimals).
EPS = 0.0005


def _applicable(ok: pd.Series, missing: pd.Series) -> pd.Series:
    """A nullable boolean: `ok`, NA where `missing` (not applicable -> the row is skipped)."""
    return ok.astype("boolean").mask(missing.to_numpy(dtype=bool))


def _iff(df: pd.DataFrame, condition: pd.Series, filled: str, decided_by: str) -> pd.Series:
    """`filled` is set if and only if `condition`; NA where the deciding column is missing."""
    return _applicable(condition == df[filled].notna(), df[decided_by].isna())


def canonical_id(column: str, *, key: bool) -> tuple[Check, ...]:
    """An ID column the contract says is always canonical (README section 10: no quirks). Part of the key:
    a malformed number cannot be placed ('row'); otherwise only its presence is 'row' - an untrusted number
    keeps its row and linkage treats it as unknown."""
    severity: Severity = "row" if key else "warn"
    return (not_null(f"{column}_raw"), matches(f"{column}_raw", ID18, severity=severity),
            in_set(f"{column}_status", {"valid"}, severity=severity))


def quirky_id(column: str, *, nullable: bool = False) -> tuple[Check, ...]:
    """An ID column with format quirks: kept whatever its status (linkage treats untrusted as unknown)."""
    checks = (in_set(f"{column}_status", TRUSTED_ID_STATUSES, severity="warn"),)
    return checks if nullable else (not_null(f"{column}_raw"), *checks)


def _digits_are_date(number: str, date_col: str, start: int):
    """Rule: characters [start, start+8) of a serial number are the YYYYMMDD of a date column."""
    def fn(df: pd.DataFrame) -> pd.Series:
        ymd = df[date_col].dt.strftime("%Y%m%d")
        return _applicable(df[number].str.slice(start, start + 8) == ymd, df[number].isna() | df[date_col].isna())
    return fn


# --- assistance (assistance.yaml) --------------------------------------------------------------------------

ASSISTANCE_FAMILY = Suite("assistance", "family", redact={"monthly_amount", "category"}, checks=[
    matches("family_no", r"^JZ370481\d{10}$"),
    unique("family_no"),
    *canonical_id("applicant_id_number", key=False),
    required("family_no", "applicant_name", "covered_count", "monthly_amount", "approval_date", "start_month",
             "village", "updated_at"),
    enum("category", {"城市低保", "农村低保", "城市特困", "农村特困", "低保边缘"}),
    between("covered_count", 0, severity="warn"),
    between("monthly_amount", 0, severity="warn"),
    enum("status", {"在保", "暂停", "停保"}),
    rule("end_month_iff_terminated", ("end_month", "status"),
         lambda df: _iff(df, df["status"] == "停保", "end_month", "status"), severity="warn",
         message="终止年月 must be set if and only if 家庭状态 is 停保"),
    rule("end_not_before_start", ("end_month", "start_month"),
         lambda df: _applicable(df["end_month"] >= df["start_month"], df["end_month"].isna()
                                | df["start_month"].isna()),
         message="终止年月 is before 开始发放年月"),
    pair_greater("_business_date", "approval_date", or_equal=True, note="审批日期 after the as-of date"),
    enum("town", TOWNS),
    length_between("village", 1, 50, severity="warn"),
    enum("deleted_flag", FLAGS),
])

ASSISTANCE_MEMBER = Suite("assistance", "member", redact={"health", "work_capacity"}, checks=[
    required("family_no", "member_name", "updated_at"),
    *canonical_id("member_id_number", key=True),
    unique("family_no", "member_id_number"),
    enum("relation_to_applicant", RELATIONS),
    enum("is_covered", YES_NO),
    enum("health", {"健康", "患病", "残疾", "重病"}),
    enum("work_capacity", {"有", "部分丧失", "完全丧失", "无(未成年或老年)"}),
    enum("deleted_flag", FLAGS),
])

ASSISTANCE_PAYMENT = Suite("assistance", "payment", redact={"amount", "bank_account"}, checks=[
    matches("payment_no", r"^FF\d{16}$"),
    unique("payment_no"),
    required("payment_no", "family_no", "pay_month", "amount", "pay_date", "bank_account", "updated_at"),
    enum("fund_type", {"低保金", "特困供养金", "临时救助金", "分类施保金", "护理补贴"}),
    matches("bank_account", r"^\d{16,19}$", severity="warn"),
    rule("payment_no_has_pay_date", ("payment_no", "pay_date"), _digits_are_date("payment_no", "pay_date", 2),
         severity="warn", message="发放编号 does not carry 发放日期 (FF + YYYYMMDD + sequence)"),
    pair_greater("_business_date", "pay_date", or_equal=True, note="paid after the as-of date"),
])

ASSISTANCE_APPLICATION = Suite("assistance", "application", checks=[
    matches("application_no", r"^SQ\d{14}$"),
    unique("application_no"),
    *canonical_id("applicant_id_number", key=False),
    required("application_no", "applicant_name", "application_date", "updated_at"),
    enum("category", {"低保", "特困", "临时救助", "低保边缘"}),
    enum("town", TOWNS),
    enum("authorization_signed", YES_NO),
    enum("pledge_signed", YES_NO),
    enum("status", {"已受理", "核对中", "已审批", "不予批准", "已撤回"}),
    rule("application_no_has_date", ("application_no", "application_date"),
         _digits_are_date("application_no", "application_date", 2), severity="warn",
         message="申请编号 does not carry 申请日期 (SQ + YYYYMMDD + sequence)"),
    # 授权书签署日期 is NULL if and only if 授权书签署 = 否; the quirk authorization_date_missing (是 without a
    # date) is documented, a date without a signature is not.
    rule("authorization_date_missing", ("authorization_date", "authorization_signed"),
         lambda df: _applicable(df["authorization_date"].notna(), df["authorization_signed"] != "是"),
         severity="warn", message="授权书签署 is 是 but 授权书签署日期 is empty (quirk authorization_date_missing: "
                                  "the application cannot cover a bank query)"),
    rule("authorization_date_without_signature", ("authorization_date", "authorization_signed"),
         lambda df: _applicable(df["authorization_date"].isna(), df["authorization_signed"] != "否"),
         severity="warn", message="授权书签署日期 is set although 授权书签署 is 否"),
    pair_greater("_business_date", "application_date", or_equal=True, note="申请日期 after the as-of date"),
])

ASSISTANCE_APPLICATION_MEMBER = Suite("assistance", "application_member", checks=[
    required("application_no", "member_name", "updated_at"),
    *canonical_id("member_id_number", key=True),
    unique("application_no", "member_id_number"),
    enum("relation_to_applicant", RELATIONS),
    enum("deleted_flag", FLAGS),
])

ASSISTANCE_REFERRAL = Suite("assistance", "referral", checks=[
    matches("referral_no", r"^ZB\d{14}$"),
    unique("referral_no"),
    required("referral_no", "application_no", "matter", "dispatched_at", "time_limit_days", "updated_at"),
    enum("department", {"教体局", "住建局", "医保局", "人社局", "残联", "卫健局", "司法局", "总工会", "妇联"}),
    length_between("matter", 1, 200, severity="warn"),
    between("time_limit_days", 1, severity="warn"),
    in_set("feedback_result", {"已办结", "不符合条件", "办理中"}),
    rule("feedback_time_iff_result", ("feedback_at", "feedback_result"),
         lambda df: df["feedback_at"].isna() == df["feedback_result"].isna(), severity="warn",
         message="反馈时间 must be empty if and only if 反馈结果 is empty"),
    pair_greater("feedback_at", "dispatched_at", or_equal=True, note="feedback before dispatch"),
    rule("referral_no_has_dispatch_date", ("referral_no", "dispatched_at"),
         _digits_are_date("referral_no", "dispatched_at", 2), severity="warn",
         message="转办编号 does not carry the dispatch date (ZB + YYYYMMDD + sequence)"),
])

# --- social_insurance (social_insurance.yaml) --------------------------------------------------------------

INSURANCE_TYPES = frozenset({"110", "120", "170", "210", "410"})

SI_CONTRIBUTION = Suite("social_insurance", "contribution",
                        redact={"contribution_base", "personal_amount"}, checks=[
    matches("person_no", r"^370481\d{10}$"),
    unique("person_no", "insurance_type", "contribution_month"),
    *quirky_id("id_number"),
    required("person_no", "name", "contribution_month", "personal_amount", "updated_at"),
    enum("insurance_type", INSURANCE_TYPES),
    matches("employer_no", r"^370481\d{5}$", severity="warn"),
    rule("employer_name_iff_employer_no", ("employer_name", "employer_no"),
         lambda df: df["employer_name"].isna() == df["employer_no"].isna(), severity="warn",
         message="单位名称 must be empty if and only if 单位编号 is empty"),
    rule("employer_iff_not_residents", ("employer_no", "insurance_type"),
         lambda df: _iff(df, df["insurance_type"] != "170", "employer_no", "insurance_type"),
         severity="warn", message="单位编号 should be empty for 170 (城乡居民) and set for every other 险种类型"),
    rule("base_iff_not_residents", ("contribution_base", "insurance_type"),
         lambda df: _iff(df, df["insurance_type"] != "170", "contribution_base", "insurance_type"),
         severity="warn", message="缴费基数 should be empty for 170 (城乡居民) and set for every other 险种类型"),
    rule("residents_month_is_january", ("contribution_month", "insurance_type"),
         lambda df: _applicable(df["contribution_month"].str.endswith("01"), df["insurance_type"] != "170"),
         severity="warn", message="a 170 contribution is annual: 缴费年月 should be YYYY01"),
    between("contribution_base", 0, severity="warn"),
    between("personal_amount", 0, severity="warn"),
])

SI_BENEFIT = Suite("social_insurance", "benefit", redact={"amount", "benefit_type"}, checks=[
    *quirky_id("id_number"),
    # The front DB's primary key is on the number as stored; after normalisation a legacy-15 and an
    # 18-digit row of the same person-month would collide - reported, not quarantined.
    unique("id_number_raw", "benefit_type", "benefit_month"),
    unique("id_number", "benefit_type", "benefit_month", severity="warn", note="same person in two ID forms"),
    required("benefit_month", "amount", "updated_at"),
    enum("benefit_type", {"基本养老金", "城乡居民基础养老金", "失业保险金", "工伤保险待遇"}),
    between("amount", 0, strict_min=True, severity="warn"),
])

# --- medical (medical.yaml) --------------------------------------------------------------------------------

MEDICAL_ENROLLMENT = Suite("medical", "enrollment", redact={"subsidy_category"}, checks=[
    *canonical_id("id_number", key=True),
    unique("id_number", "year"),
    required("name", "year", "updated_at"),
    enum("scheme", {"职工医保", "居民医保"}),
    enum("status", {"参保缴费", "暂停", "终止"}),
    matches("year", r"^\d{4}$"),
    enum("subsidy_category", {"特困人员", "低保对象", "防返贫监测对象", "重度残疾人", "无"}),
    rule("employees_not_subsidised", ("subsidy_category", "scheme"),
         lambda df: _applicable(df["subsidy_category"] == "无", df["scheme"] != "职工医保"), severity="warn",
         message="资助参保类别 must be 无 for 职工医保"),
])


def _self_pay_gap(df: pd.DataFrame) -> pd.Series:
    """|个人自付 - (医疗总费用 - 统筹 - 大病 - 医疗救助)| in yuan."""
    return (df["total_cost"] - df["fund_pay"] - df["critical_illness_pay"] - df["assistance_pay"]
            - df["self_pay"]).abs()


_AMOUNTS = ("total_cost", "fund_pay", "critical_illness_pay", "assistance_pay", "self_pay")

MEDICAL_SETTLEMENT = Suite("medical", "settlement", redact={"visit_type", "provider", *_AMOUNTS}, checks=[
    unique("settlement_no"),
    length_between("settlement_no", 1, 40),
    *canonical_id("id_number", key=False),
    required("settlement_no", "provider", "admission_date", "settlement_date", *_AMOUNTS, "updated_at"),
    enum("visit_type", {"普通门诊", "门诊慢特病", "住院"}),
    length_between("provider", 1, 200, severity="warn"),
    pair_greater("settlement_date", "admission_date", or_equal=True, note="入院日期 after 结算日期"),
    # 个人自付 = 医疗总费用 - 统筹 - 大病 - 医疗救助: off by exactly 0.01 is the rounding quirk; more is a
    # contract violation, reported apart (both keep the row: its amounts are still what the department paid).
    rule("self_pay_rounding", ("self_pay", *_AMOUNTS[:4]), lambda df: _self_pay_gap(df) <= EPS,
         severity="warn", message="个人自付 differs from the formula by 0.01 (quirk rounding)"),
    rule("self_pay_formula", ("self_pay", *_AMOUNTS[:4]), lambda df: _self_pay_gap(df) <= 0.01 + EPS,
         severity="warn", message="个人自付 differs from 医疗总费用 - 统筹基金支付 - 大病保险支付 - 医疗救助支付 by more than 0.01"),
    enum("refund_flag", FLAGS),
    rule("original_iff_refund", ("original_settlement_no", "refund_flag"),
         lambda df: _iff(df, df["refund_flag"] == "1", "original_settlement_no", "refund_flag"), severity="warn",
         message="原结算流水号 must be set if and only if 退费标志 is '1'"),
    rule("refund_amounts_not_positive", ("total_cost", "refund_flag"),
         lambda df: _applicable((df["total_cost"] <= 0) == (df["refund_flag"] == "1"),
                                df["refund_flag"].isna() | (df["total_cost"] == 0)),
         severity="warn", message="医疗总费用 should be negative exactly on refund rows"),
])

# --- disability (disability.yaml) --------------------------------------------------------------------------

CATEGORY_DIGITS = {"视力": "1", "听力": "2", "言语": "3", "肢体": "4", "智力": "5", "精神": "6", "多重": "7"}
GRADE_DIGITS = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}


def _digit_agrees(digit: str, column: str, codes: dict[str, str]):
    def fn(df: pd.DataFrame) -> pd.Series:
        return _applicable(df[digit] == df[column].map(codes), df[digit].isna() | df[column].isna())
    return fn


def _sex_matches_id(df: pd.DataFrame) -> pd.Series:
    digit = df["id_number"].str.slice(16, 17)
    expected = digit.isin(list("13579")).map({True: "男", False: "女"})
    return _applicable(df["sex"] == expected, df["sex"].isna() | ~digit.fillna("").str.isdigit())


DISABILITY_CERTIFICATE = Suite("disability", "certificate",
                               redact={"category", "grade", "living_allowance", "care_allowance"}, checks=[
    not_null("cert_no_raw"),
    in_set("id_number_status", TRUSTED_ID_STATUSES, severity="warn"),
    matches("cert_no", r"^\d{17}[\dX][1-7][1-4]$"),
    unique("cert_no"),
    rule("category_digit_agrees", ("category_digit", "category"),
         _digit_agrees("category_digit", "category", CATEGORY_DIGITS),
         message="残疾人证号 digit 19 disagrees with 残疾类别"),
    rule("grade_digit_agrees", ("grade_digit", "grade"), _digit_agrees("grade_digit", "grade", GRADE_DIGITS),
         message="残疾人证号 digit 20 disagrees with 残疾等级"),
    required("name", "issue_date", "address", "stat_date"),
    length_between("name", 1, 30, severity="warn"),
    matches("name", r"^\S+$", severity="warn"),
    enum("sex", {"男", "女"}),
    rule("sex_matches_id", ("sex", "id_number"), _sex_matches_id, severity="warn",
         message="性别 disagrees with the parity of ID digit 17"),
    enum("category", CATEGORY_DIGITS),
    enum("grade", GRADE_DIGITS),
    enum("status", {"有效", "过期", "注销"}),
    pair_greater("stat_date", "issue_date", or_equal=True, note="issued after the 统计日期 (the as-of date)"),
    length_between("address", 1, 200, severity="warn"),
    length_between("guardian_name", 1, 30, severity="warn"),
    matches("phone", MOBILE_OR_LANDLINE, severity="warn"),
    enum("living_allowance", YES_NO),
    enum("care_allowance", YES_NO),
    rule("care_allowance_only_severe", ("care_allowance", "grade"),
         lambda df: _applicable(df["grade"].isin(["一级", "二级"]), df["care_allowance"] != "是"),
         severity="warn", message="重度残疾人护理补贴 是 although 残疾等级 is not 一级 or 二级"),
])

# --- rural_monitoring (rural_monitoring.yaml) ---------------------------------------------------------------

RURAL_HOUSEHOLD = Suite("rural_monitoring", "household",
                        redact={"category", "risk_type", "income_per_capita"}, checks=[
    matches("household_no", r"^370481\d{10}$"),
    unique("household_no"),
    required("household_no", "head_name", "included_date", "household_size", "income_per_capita", "village"),
    length_between("head_name", 1, 30, severity="warn"),
    *quirky_id("head_id_number"),
    length_between("head_id_number_raw", 1, 24, severity="warn"),
    enum("category", {"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"}),
    enum("risk_type", {"因病", "因残", "因学", "因灾", "因意外事故", "因产业项目失败", "因务工就业不稳", "其他"}),
    enum("risk_eliminated", YES_NO),
    # 风险消除时间 empty if and only if 风险是否消除 = 否: a date while 否 is the quirk
    # elimination_inconsistent (warn); 是 without a date is not documented.
    rule("eliminated_without_date", ("eliminated_date", "risk_eliminated"),
         lambda df: _applicable(df["eliminated_date"].notna(), df["risk_eliminated"] != "是"), severity="warn",
         message="风险是否消除 is 是 but 风险消除时间 is empty"),
    rule("elimination_inconsistent", ("eliminated_date", "risk_eliminated"),
         lambda df: _applicable(df["eliminated_date"].isna(), df["risk_eliminated"] != "否"),
         severity="warn", message="风险消除时间 set while 风险是否消除 is 否 (quirk elimination_inconsistent)"),
    between("household_size", 1, 12, severity="warn"),
    between("income_per_capita", 0, severity="warn"),
    pair_greater("_business_date", "included_date", or_equal=True, note="纳入监测时间 after the as-of date"),
    enum("town", TOWNS),
    length_between("village", 1, 50, severity="warn"),
    matches("village", r"村$", severity="warn"),
])

# --- charity (charity.yaml) --------------------------------------------------------------------------------

CHARITY_AID = Suite("charity", "aid", redact={"project", "amount"}, checks=[
    required("aid_unit", "name", "project", "aid_date"),
    enum("organisation", {"慈善总会", "红十字会", "总工会", "妇联"}),
    matches("phone", r"^(1[3-9]\d{9}|0632\d{7})$", severity="warn"),
    between("amount", 0, severity="warn"),
    pair_greater("_business_date", "aid_date", or_equal=True, note="帮扶日期 after the upload"),
])

# --- bank (bank.yaml) --------------------------------------------------------------------------------------


def _only_when_success(column: str):
    def fn(df: pd.DataFrame) -> pd.Series:
        return _applicable(df[column].isna(), df["query_status"].isna() | (df["query_status"] == "成功"))
    return fn


BANK_RESULT = Suite("bank", "result", redact={"institution", "account_type", "balance"}, checks=[
    matches("batch_no", r"^HD370481\d{12}$"),
    required("batch_no", "returned_at", "name"),
    *canonical_id("id_number", key=True),
    unique("id_number_raw", "institution", "account_type"),
    enum("query_status", {"成功", "无记录", "查询失败"}),
    in_set("account_type", {"活期存款", "定期存款", "理财产品", "基金", "证券资产"}),
    between("balance", 0, severity="warn"),
    rule("balance_only_when_success", ("balance", "query_status"), _only_when_success("balance"),
         severity="warn", message="余额 must be empty unless 查询状态 is 成功"),
    rule("account_type_only_when_success", ("account_type", "query_status"), _only_when_success("account_type"),
         severity="warn", message="账户类别 must be empty unless 查询状态 is 成功"),
    rule("success_is_complete", ("query_status", "institution", "account_type", "balance"),
         lambda df: _applicable(df["institution"].notna() & df["account_type"].notna() & df["balance"].notna(),
                                df["query_status"] != "成功"),
         severity="warn", message="a 成功 row needs 机构名称, 账户类别 and 余额"),
    rule("no_record_has_no_institution", ("institution", "query_status"),
         lambda df: _applicable(df["institution"].isna(), df["query_status"] != "无记录"), severity="warn",
         message="a 无记录 row has no 机构名称"),
    pair_greater("returned_at", "authorization_date", severity="warn", note="answered before the 授权书 was signed"),
])

SUITES: tuple[Suite, ...] = (
    ASSISTANCE_FAMILY, ASSISTANCE_MEMBER, ASSISTANCE_PAYMENT, ASSISTANCE_APPLICATION,
    ASSISTANCE_APPLICATION_MEMBER, ASSISTANCE_REFERRAL, SI_CONTRIBUTION, SI_BENEFIT, MEDICAL_ENROLLMENT,
    MEDICAL_SETTLEMENT, DISABILITY_CERTIFICATE, RURAL_HOUSEHOLD, CHARITY_AID, BANK_RESULT,
)
