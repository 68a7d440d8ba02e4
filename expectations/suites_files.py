"""Expectation suites of the CSV file sources vehicles, deaths, tax, property, business, housing_fund,
education and public_housing (one `Suite` per connector entity, DSL of expectations.suites, whose `ALL`
must include `SUITES` below).

Grain: each suite validates one entity table of one delivery (connectors/<source>.py `PARTS` entity,
English column names, `DERIVED` columns included).

Severity follows the one policy at the top of expectations.suites: 'row' only when the row cannot be used
correctly (a key or event-time column missing or malformed, a key duplicated inside one delivery where the
contract's current-state rule cannot tell which row is true, a value outside an enumeration, an event
dated after the as-of date, a period that ends before it starts); everything else is 'warn'. A change log
(property) is replayed per registration, so quarantining one holder row would silently change a
registration's holders: one more reason to keep cross-row rules at 'warn' there.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from expectations.suites import (
    TRUSTED_ID_STATUSES,
    Check,
    RuleFn,
    Suite,
    _birth_date_matches_id,
    _na_where,
    _sex_matches_id,
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
from safetynet.idnumber import is_valid_uscc

#: Contract regexes (the `pattern` of each column, verbatim).
VEHICLE_PLATE = r"^鲁D([A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\d{4}|[A-HJ-NP-Z0-9]{4}挂)$"
VEHICLE_STATUS = r"^(A|B|E|M|(?=[CDGPQ])C?D?G?P?Q?)$"
VIN = r"^[A-HJ-NPR-Z0-9]{17}$"
DEATH_CERTIFICATE_NO = r"^E\d{18}$"
PROPERTY_BUSINESS_NO = r"^\d{14}$"
PROPERTY_UNIT_NO = r"^370481\d{6}(GB|GX|JC|JB)\d{5}(F\d{8}|W00000000)$"
PROPERTY_CERTIFICATE_NO = r"^鲁[(（]\d{4}[)）]滕州市不动产权第\d{7}号$"
PERCENT = r"^\d{1,3}(\.\d{1,2})?%$"
USCC_PATTERN = r"^9[123]\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
HOUSING_ACCOUNT_NO = r"^\d{12}$"
STUDENT_NO = r"^(G\d{17}[\dX]|L\d{18})$"
SCHOOL_YEAR = r"^\d{4}-\d{4}$"
TAX_SERIAL_NO = r"^[1-9]\d{19}$"
HOUSING_FAMILY_NO = r"^GZ\d{8}$"

VEHICLE_TYPES_BY_PLATE: dict[str, frozenset[str]] = {
    "小型汽车": frozenset({"小型轿车", "小型普通客车", "轻型普通货车", "残疾人专用小型自动挡载客汽车"}),
    "新能源小型车": frozenset({"小型轿车", "小型普通客车", "轻型普通货车"}),
    "大型汽车": frozenset({"重型半挂牵引车", "重型普通货车"}),
    "挂车": frozenset({"重型普通半挂车"}),
    "普通摩托车": frozenset({"普通二轮摩托车"}),
    "轻便摩托车": frozenset({"普通二轮摩托车"}),
    "低速车": frozenset({"三轮汽车", "低速货车"}),
}
VEHICLE_TYPES: frozenset[str] = frozenset().union(*VEHICLE_TYPES_BY_PLATE.values())
VEHICLE_USES: frozenset[str] = frozenset({"非营运", "营转非", "公路客运", "货运", "出租客运"})
#: 使用性质 values allowed with one 车辆类型 only (vehicles.yaml 使用性质).
VEHICLE_USE_ONLY_WITH: dict[str, str] = {"出租客运": "小型轿车", "公路客运": "小型普通客车"}
VEHICLE_ENDED: frozenset[str] = frozenset({"B", "E", "M"})
DEATH_ID_TYPES: frozenset[str] = frozenset({"居民身份证", "护照", "无"})
DEATH_PLACES: frozenset[str] = frozenset({"医疗卫生机构", "家中", "其他"})
PROPERTY_ID_TYPES: frozenset[str] = frozenset({"居民身份证", "统一社会信用代码", "护照", "其他"})
PROPERTY_OWNERSHIP: frozenset[str] = frozenset({"单独所有", "共同共有", "按份共有"})
PROPERTY_USES: frozenset[str] = frozenset({"住宅", "商业", "办公", "工业", "车位", "其他"})
PROPERTY_REGISTRATION_TYPES: frozenset[str] = frozenset({"首次登记", "转移登记", "变更登记", "注销登记"})
BUSINESS_TYPES: frozenset[str] = frozenset({"个体工商户", "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业",
                                            "农民专业合作社"})
BUSINESS_STATUSES: frozenset[str] = frozenset({"存续", "在业", "注销", "吊销", "迁出"})
BUSINESS_ROLES: frozenset[str] = frozenset({"法定代表人", "经营者", "股东", "投资人", "执行事务合伙人"})
#: Roles with a subscribed contribution (business.yaml 认缴出资额).
BUSINESS_CONTRIBUTING_ROLES: frozenset[str] = frozenset({"股东", "投资人"})
BUSINESS_ID_TYPES: frozenset[str] = frozenset({"居民身份证", "统一社会信用代码", "护照", "港澳居民来往内地通行证", "其他"})
HOUSING_FUND_STATUSES: frozenset[str] = frozenset({"正常", "封存", "销户"})
GRADES_BY_STAGE: dict[str, frozenset[str]] = {
    "学前": frozenset({"小班", "中班", "大班"}),
    "小学": frozenset({"一年级", "二年级", "三年级", "四年级", "五年级", "六年级"}),
    "初中": frozenset({"七年级", "八年级", "九年级"}),
    "高中": frozenset({"高一", "高二", "高三"}),
    "中职": frozenset({"中职一年级", "中职二年级", "中职三年级"}),
}
STUDENT_STATUSES: frozenset[str] = frozenset({"在读", "休学", "转出", "毕业"})
AID_PROGRAMMES: frozenset[str] = frozenset({"学前教育幼儿资助", "义务教育家庭经济困难学生生活补助", "普通高中国家助学金",
                                            "普通高中免学杂费", "中职国家助学金", "中职免学费"})
TERMS: frozenset[str] = frozenset({"秋季", "春季"})
INCOME_ITEMS: frozenset[str] = frozenset({"工资、薪金所得", "劳务报酬所得", "经营所得", "财产租赁所得", "利息、股息、红利所得"})
HOUSING_SUPPORT_TYPES: frozenset[str] = frozenset({"实物配租", "租赁补贴"})
HOUSING_SUPPORT_STATUSES: frozenset[str] = frozenset({"保障中", "已退出"})


# --- rule helpers (each returns a nullable boolean Series: NA = not applicable).

def _iff(a: pd.Series, b: pd.Series) -> pd.Series:
    """Both true or both false (never NA: both inputs are plain booleans)."""
    return (a.astype(bool) == b.astype(bool)).astype("boolean")


def _trusted_where(status: str, applies: Callable[[pd.DataFrame], pd.Series]) -> RuleFn:
    """Rule: the ID column's status is trusted on the rows where `applies` (NA elsewhere)."""
    def fn(df: pd.DataFrame) -> pd.Series:
        return _na_where(df[status].isin(sorted(TRUSTED_ID_STATUSES)), ~applies(df).fillna(False).astype(bool))
    return fn


def _kind_is(kind_col: str, type_col: str, id_type: str, kind: str) -> RuleFn:
    """Rule: rows whose declared 证件种类/证件类型 is `id_type` have holder_kind `kind`."""
    def fn(df: pd.DataFrame) -> pd.Series:
        return _na_where(df[kind_col] == kind, (df[type_col] != id_type).fillna(True).astype(bool))
    return fn


def _on_or_before_as_of(col: str) -> RuleFn:
    """Rule: the date of `col` (a date or a timestamp) is not after the business date."""
    def fn(df: pd.DataFrame) -> pd.Series:
        return _na_where(df[col].dt.normalize() <= df["_business_date"], df[col].isna())
    return fn


def _unique_key(*cols: str, id_col: str | None = None) -> RuleFn:
    """Rule: no other row has the same key; `id_col` compares by normal form, else as delivered
    (an ID column `x` contributes coalesce(x, x_raw), so the key holds 'after normalising ID numbers')."""
    def fn(df: pd.DataFrame) -> pd.Series:
        parts = [df[c].astype("str") for c in cols]
        if id_col is not None:
            parts.append(df[id_col].fillna(df[f"{id_col}_raw"]).astype("str"))
        key = parts[0].str.cat(parts[1:], sep="\x1f", na_rep="\x00")
        return (~key.duplicated(keep=False)).astype("boolean")
    return fn


def _file_month(df: pd.DataFrame) -> pd.Series:
    """YYYYMM of a monthly file name (GJJ_202604.csv, ZZ_202604_R1.csv) as an integer."""
    return pd.to_numeric(df["_file"].str.extract(r"_(\d{6})(?:_R\d+)?\.csv$", expand=False), errors="coerce")


def _percent(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.rstrip("%"), errors="coerce")


def _shares_sum_to_100(share: str, *group: str, applies: Callable[[pd.DataFrame], pd.Series] | None = None
                       ) -> RuleFn:
    """Rule: the percentages of a group add up to 100% (99.99% - 100.01% for rounded thirds)."""
    def fn(df: pd.DataFrame) -> pd.Series:
        sel = df[share].notna() if applies is None else applies(df).fillna(False).astype(bool)
        keys = [df[g] for g in group]
        total = _percent(df[share]).where(sel).groupby(keys, sort=False, dropna=False).transform("sum")
        return _na_where(total.sub(100).abs().le(0.0100001), ~sel)
    return fn


# --- vehicles (vehicles.yaml) ---------------------------------------------------------------------------

def _vehicle_type_fits_plate(df: pd.DataFrame) -> pd.Series:
    allowed = df["plate_type"].map(lambda p: VEHICLE_TYPES_BY_PLATE.get(p, frozenset()))
    ok = pd.Series([v in a for v, a in zip(df["vehicle_type"], allowed, strict=True)], index=df.index)
    return _na_where(ok, df["plate_type"].isna() | df["vehicle_type"].isna())


def _vehicle_use_fits_type(df: pd.DataFrame) -> pd.Series:
    needed = df["use_type"].map(VEHICLE_USE_ONLY_WITH)
    return _na_where(df["vehicle_type"] == needed, needed.isna())


def _vehicle_plate_reuse(df: pd.DataFrame) -> pd.Series:
    """A 号牌号码 on several rows: at most one of them is a current (not B/E/M) vehicle."""
    current = ~df["status"].isin(sorted(VEHICLE_ENDED))
    per_plate = current.groupby(df["plate_no"], sort=False, dropna=False).transform("sum")
    return _na_where(per_plate <= 1, df["plate_no"].isna())


VEHICLES_VEHICLE = Suite("vehicles", "vehicle", checks=[
    required("plate_no", "owner_id_raw", "owner_name", "first_registration_date", "brand_model", "vin"),
    unique("vin"),
    matches("vin", VIN, severity="warn"),  # quirk nonstandard_vin (still unique)
    length_between("vin", 1, 20, severity="warn"),
    matches("plate_no", VEHICLE_PLATE, severity="warn"),
    unique("plate_no", severity="warn", note="quirk plate_reuse"),
    rule("plate_reused_only_after_end", ("plate_no", "status"), _vehicle_plate_reuse, severity="warn",
         message="号牌号码 on two current vehicles (plate_reuse allows one ended and one current)"),
    enum("plate_type", VEHICLE_TYPES_BY_PLATE),
    enum("vehicle_type", VEHICLE_TYPES),
    rule("vehicle_type_fits_plate_type", ("vehicle_type", "plate_type"), _vehicle_type_fits_plate, severity="warn",
         message="车辆类型 is not allowed with this 号牌种类"),
    enum("use_type", VEHICLE_USES),
    rule("use_fits_vehicle_type", ("use_type", "vehicle_type"), _vehicle_use_fits_type, severity="warn",
         message="出租客运 only with 小型轿车, 公路客运 only with 小型普通客车"),
    length_between("owner_id_raw", 1, 18, severity="warn"),
    in_set("holder_kind", {"person", "organisation"}, severity="warn"),  # bad or unknown identifier: no link
    length_between("owner_name", 1, 100, severity="warn"),
    rule("first_registered_by_as_of", ("first_registration_date", "_business_date"),
         _on_or_before_as_of("first_registration_date"), message="初次登记日期 is after the as-of date"),
    not_null("status"),
    matches("status", VEHICLE_STATUS),
    length_between("brand_model", 1, 100, severity="warn"),
])


# --- deaths (deaths.yaml) -------------------------------------------------------------------------------

def _death_id_iff_type(df: pd.DataFrame) -> pd.Series:
    return _na_where(_iff(df["id_number_raw"].isna(), df["id_type"] == "无"), df["id_type"].isna())


def _death_issued_after_death(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["issue_date"] >= df["death_time"].dt.normalize(),
                     df["issue_date"].isna() | df["death_time"].isna())


def _death_born_before_death(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["birth_date"] <= df["death_time"], df["birth_date"].isna() | df["death_time"].isna())


def _is_resident_id(df: pd.DataFrame) -> pd.Series:
    return (df["id_type"] == "居民身份证") & df["id_number_raw"].notna()


DEATHS_CERTIFICATE = Suite("deaths", "certificate", checks=[
    required("certificate_no", "name", "birth_date", "death_time", "residence_address", "issue_date"),
    matches("certificate_no", DEATH_CERTIFICATE_NO),
    unique("certificate_no", note="a 死亡证编号 occurs at most once per file"),
    length_between("name", 1, 30, severity="warn"),
    enum("id_type", DEATH_ID_TYPES),
    rule("id_number_iff_id_type", ("id_number_raw", "id_type"), _death_id_iff_type, severity="warn",
         message="证件号码 must be empty if and only if 证件类别 is 无"),
    length_between("id_number_raw", 1, 24, severity="warn"),
    rule("resident_id_trusted", ("id_number_status", "id_type", "id_number_raw"),
         _trusted_where("id_number_status", _is_resident_id), severity="warn",
         message="居民身份证 number is not a valid 公民身份号码 (it will not link)"),
    enum("sex", {"男", "女"}),
    rule("sex_matches_id", ("sex", "id_number"), _sex_matches_id, severity="warn",
         message="性别 disagrees with the parity of ID digit 17"),
    rule("birth_date_matches_id", ("birth_date", "id_number"), _birth_date_matches_id, severity="warn",
         message="出生日期 differs from ID digits 7-14 (quirk birth_date_mismatch)"),
    rule("born_before_death", ("birth_date", "death_time"), _death_born_before_death, severity="warn",
         message="出生日期 is after 死亡日期"),
    rule("death_by_as_of", ("death_time", "_business_date"), _on_or_before_as_of("death_time"),
         message="死亡日期 is after the as-of date"),
    enum("death_place_type", DEATH_PLACES),
    length_between("residence_address", 1, 200, severity="warn"),
    rule("issued_on_or_after_death", ("issue_date", "death_time"), _death_issued_after_death, severity="warn",
         message="签发日期 is before the date of 死亡日期"),
    pair_greater("_business_date", "issue_date", or_equal=True, note="签发日期 after the as-of date"),
], redact={"death_time", "death_place_type"})


# --- property (property.yaml) ---------------------------------------------------------------------------

def _property_share_iff_by_share(df: pd.DataFrame) -> pd.Series:
    return _na_where(_iff(df["share"].notna(), df["ownership_type"] == "按份共有"), df["ownership_type"].isna())


def _property_by_share(df: pd.DataFrame) -> pd.Series:
    return df["ownership_type"] == "按份共有"


def _property_ownership_shared(df: pd.DataFrame) -> pd.Series:
    """共有情况 is the same on all rows of a unit in a registration."""
    n = df["ownership_type"].groupby([df["business_no"], df["unit_no"]], sort=False, dropna=False).transform("nunique")
    return (n <= 1).astype("boolean")


def _property_sole_holder(df: pd.DataFrame) -> pd.Series:
    """单独所有: one holder row for the unit in the registration."""
    rows = df["ownership_type"].groupby([df["business_no"], df["unit_no"]], sort=False, dropna=False).transform("size")
    return _na_where(rows == 1, df["ownership_type"] != "单独所有")


def _property_area_iff_building(df: pd.DataFrame) -> pd.Series:
    land_only = df["unit_no"].str.endswith("W00000000")
    return _na_where(_iff(df["floor_area"].isna(), land_only.fillna(False)), df["unit_no"].isna())


def _property_accepted_before_registered(df: pd.DataFrame) -> pd.Series:
    """业务编号 starts with the acceptance date, which precedes 登记时间."""
    accepted = pd.to_datetime(df["business_no"].str.slice(0, 8), format="%Y%m%d", errors="coerce")
    return _na_where((accepted <= df["registered_at"]).fillna(False), df["registered_at"].isna())


def _property_id_is_resident(df: pd.DataFrame) -> pd.Series:
    return df["holder_id_type"] == "居民身份证"


def _property_checks(entity: str) -> list[Check | tuple[Check, ...]]:
    key = ("business_no", "unit_no") if entity == "registration" else ("unit_no",)
    return [
        required("business_no", "unit_no", "certificate_no", "holder_name", "holder_id_raw", "location",
                 "registered_at"),
        matches("business_no", PROPERTY_BUSINESS_NO),
        matches("unit_no", PROPERTY_UNIT_NO),
        rule("key_unique", (*key, "holder_id", "holder_id_raw"), _unique_key(*key, id_col="holder_id"),
             severity="warn", message=f"another row has the same {' + '.join(key)} + 证件号码"),
        matches("certificate_no", PROPERTY_CERTIFICATE_NO, severity="warn"),
        length_between("holder_name", 1, 200, severity="warn"),
        enum("holder_id_type", PROPERTY_ID_TYPES),
        length_between("holder_id_raw", 1, 30, severity="warn"),
        rule("resident_id_trusted", ("holder_id_status", "holder_id_type"),
             _trusted_where("holder_id_status", _property_id_is_resident), severity="warn",
             message="居民身份证 number is not a valid 公民身份号码 (it will not link)"),
        rule("uscc_is_organisation", ("holder_kind", "holder_id_type"),
             _kind_is("holder_kind", "holder_id_type", "统一社会信用代码", "organisation"), severity="warn",
             message="证件种类 统一社会信用代码 but 证件号码 is not a valid one"),
        enum("ownership_type", PROPERTY_OWNERSHIP),
        rule("ownership_type_shared", ("ownership_type", "business_no", "unit_no"), _property_ownership_shared,
             severity="warn", message="共有情况 differs between the rows of a unit in one registration"),
        rule("sole_owner_single_row", ("ownership_type", "business_no", "unit_no"), _property_sole_holder,
             severity="warn", message="单独所有 with several holder rows for the unit in one registration"),
        matches("share", PERCENT, severity="warn"),
        rule("share_iff_by_share", ("share", "ownership_type"), _property_share_iff_by_share, severity="warn",
             message="共有份额 must be set if and only if 共有情况 is 按份共有"),
        rule("shares_sum_to_100", ("share", "business_no", "unit_no", "ownership_type"),
             _shares_sum_to_100("share", "business_no", "unit_no", applies=_property_by_share), severity="warn",
             message="共有份额 of the unit in the registration do not add up to 100%"),
        length_between("location", 1, 300, severity="warn"),
        enum("use", PROPERTY_USES),
        between("floor_area", 0, None, strict_min=True, severity="warn"),
        rule("floor_area_iff_building", ("floor_area", "unit_no"), _property_area_iff_building, severity="warn",
             message="建筑面积 must be empty exactly for units without a building (W00000000)"),
        enum("registration_type", PROPERTY_REGISTRATION_TYPES),
        rule("registered_by_as_of", ("registered_at", "_business_date"), _on_or_before_as_of("registered_at"),
             message="登记时间 is after the as-of date"),
        rule("accepted_before_registered", ("business_no", "registered_at"), _property_accepted_before_registered,
             severity="warn", message="业务编号's acceptance date is not on or before 登记时间"),
    ]


def _property_not_cancelled(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["registration_type"] != "注销登记", df["registration_type"].isna())


PROPERTY_REGISTRATION = Suite("property", "registration", checks=_property_checks("registration"))
PROPERTY_CURRENT_HOLDER = Suite("property", "current_holder", checks=[
    *_property_checks("current_holder"),
    rule("holding_not_cancelled", ("registration_type",), _property_not_cancelled, severity="warn",
         message="a current holder established by a 注销登记"),
])


# --- business (business.yaml) ---------------------------------------------------------------------------

def _business_capital_iff_not_individual(df: pd.DataFrame) -> pd.Series:
    return _na_where(_iff(df["registered_capital"].isna(), df["entity_type"] == "个体工商户"),
                     df["entity_type"].isna())


def _business_funds_only_individual(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["entity_type"] == "个体工商户", df["individual_funds"].isna())


def _business_uscc_check(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["uscc"].map(is_valid_uscc, na_action="ignore").fillna(False).astype(bool), df["uscc"].isna())


def _business_prefix_fits_type(df: pd.DataFrame) -> pd.Series:
    """统一社会信用代码 digits 1-2: 92 个体工商户, 93 农民专业合作社, 91 every other type."""
    expected = df["entity_type"].map({"个体工商户": "92", "农民专业合作社": "93"}).fillna("91")
    return _na_where(df["uscc"].str.slice(0, 2) == expected, df["uscc"].isna() | df["entity_type"].isna())


def _business_contribution_iff_share(df: pd.DataFrame) -> pd.Series:
    return _iff(df["subscribed_capital"].notna(), df["share"].notna())


def _business_contribution_fits_role(df: pd.DataFrame) -> pd.Series:
    contributing = df["role"].isin(sorted(BUSINESS_CONTRIBUTING_ROLES))
    return _na_where(_iff(df["subscribed_capital"].notna(), contributing), df["role"].isna())


def _business_id_is_resident(df: pd.DataFrame) -> pd.Series:
    return df["id_type"] == "居民身份证"


BUSINESS_ENTITY = Suite("business", "entity", checks=[
    required("uscc", "name", "established_date", "business_scope", "address", "registration_authority"),
    matches("uscc", USCC_PATTERN),
    unique("uscc"),
    rule("uscc_check_character", ("uscc",), _business_uscc_check, severity="warn",
         message="统一社会信用代码 has a wrong check character"),
    rule("uscc_prefix_fits_type", ("uscc", "entity_type"), _business_prefix_fits_type, severity="warn",
         message="统一社会信用代码 prefix (91/92/93) does not fit 市场主体类型"),
    length_between("name", 1, 200, severity="warn"),
    enum("entity_type", BUSINESS_TYPES),
    between("registered_capital", 0, None, severity="warn"),
    rule("capital_iff_not_individual", ("registered_capital", "entity_type"), _business_capital_iff_not_individual,
         severity="warn", message="注册资本 must be empty if and only if 市场主体类型 is 个体工商户"),
    between("individual_funds", 0, None, severity="warn"),
    rule("funds_only_individual", ("individual_funds", "entity_type"), _business_funds_only_individual,
         severity="warn", message="资金数额 is set for a type other than 个体工商户"),
    pair_greater("_business_date", "established_date", or_equal=True, note="成立日期 after the as-of date"),
    enum("registration_status", BUSINESS_STATUSES),
    length_between("business_scope", 1, 4000, severity="warn"),
    length_between("address", 1, 300, severity="warn"),
    length_between("registration_authority", 1, 100, severity="warn"),
])

BUSINESS_ENTITY_PERSON = Suite("business", "entity_person", checks=[
    required("uscc", "name", "id_number_raw"),
    matches("uscc", USCC_PATTERN, severity="warn"),
    enum("role", BUSINESS_ROLES),
    rule("key_unique", ("uscc", "role", "id_number", "id_number_raw"), _unique_key("uscc", "role", id_col="id_number"),
         severity="warn", message="another row has the same 统一社会信用代码 + 人员类型 + 证件号码"),
    length_between("name", 1, 200, severity="warn"),
    enum("id_type", BUSINESS_ID_TYPES),
    length_between("id_number_raw", 1, 30, severity="warn"),
    rule("resident_id_trusted", ("id_number_status", "id_type"),
         _trusted_where("id_number_status", _business_id_is_resident), severity="warn",
         message="居民身份证 number is not a valid 公民身份号码 (it will not link)"),
    rule("uscc_is_organisation", ("holder_kind", "id_type"),
         _kind_is("holder_kind", "id_type", "统一社会信用代码", "organisation"), severity="warn",
         message="证件类型 统一社会信用代码 but 证件号码 is not a valid one"),
    between("subscribed_capital", 0, None, severity="warn"),
    rule("contribution_iff_share", ("subscribed_capital", "share"), _business_contribution_iff_share,
         severity="warn", message="认缴出资额 must be set if and only if 出资比例 is set"),
    rule("contribution_fits_role", ("subscribed_capital", "role"), _business_contribution_fits_role,
         severity="warn", message="认缴出资额 is set exactly for 股东 and 投资人"),
    matches("share", PERCENT, severity="warn"),
    rule("shares_sum_to_100", ("share", "uscc"), _shares_sum_to_100("share", "uscc"), severity="warn",
         message="出资比例 of the entity do not add up to 100% (quirk share_sum)"),
])


# --- housing_fund (housing_fund.yaml) -------------------------------------------------------------------

def _housing_whole_yuan(df: pd.DataFrame) -> pd.Series:
    c = df["monthly_contribution"]
    return _na_where((c * 100).round() % 100 == 0, c.isna())


def _housing_dormant_pays_nothing(df: pd.DataFrame) -> pd.Series:
    dormant = df["status"].isin(["封存", "销户"])
    return _na_where((df["contribution_base"] == 0) & (df["monthly_contribution"] == 0), ~dormant)


def _housing_closed_empty(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["balance"] == 0, df["status"] != "销户")


def _housing_contribution_within_rates(df: pd.DataFrame) -> pd.Series:
    """正常: 月缴存额 = 缴存基数 x (5%-12% per side) x 2, each side rounded to whole yuan."""
    base, paid = df["contribution_base"], df["monthly_contribution"]
    ok = (paid >= (base * 0.10).round() - 1) & (paid <= (base * 0.24).round() + 1)
    return _na_where(ok.fillna(False), df["status"] != "正常")


def _housing_last_paid_by_month(df: pd.DataFrame) -> pd.Series:
    month = pd.to_numeric(df["last_paid_month"], errors="coerce")
    return _na_where((month <= _file_month(df)).fillna(False), month.isna())


HOUSING_FUND_ACCOUNT = Suite("housing_fund", "account", checks=[
    required("account_no", "id_number_raw", "name", "employer", "contribution_base", "monthly_contribution",
             "balance"),
    matches("account_no", HOUSING_ACCOUNT_NO),
    unique("account_no"),
    in_set("id_number_status", TRUSTED_ID_STATUSES, severity="warn"),
    length_between("id_number_raw", 1, 18, severity="warn"),
    length_between("name", 1, 50, severity="warn"),
    length_between("employer", 1, 200, severity="warn"),
    between("contribution_base", 0, None, severity="warn"),
    between("monthly_contribution", 0, None, severity="warn"),
    rule("contribution_whole_yuan", ("monthly_contribution",), _housing_whole_yuan, severity="warn",
         message="月缴存额 does not end in .00"),
    rule("contribution_within_rates", ("monthly_contribution", "contribution_base", "status"),
         _housing_contribution_within_rates, severity="warn",
         message="月缴存额 is outside 缴存基数 x 2 x 5%-12%"),
    enum("status", HOUSING_FUND_STATUSES),
    rule("dormant_pays_nothing", ("status", "contribution_base", "monthly_contribution"),
         _housing_dormant_pays_nothing, severity="warn",
         message="封存/销户 account with 缴存基数 or 月缴存额 other than 0.00"),
    between("balance", 0, None, severity="warn"),
    rule("closed_has_no_balance", ("balance", "status"), _housing_closed_empty, severity="warn",
         message="销户 account with 账户余额 other than 0.00"),
    rule("last_paid_by_file_month", ("last_paid_month", "_file"), _housing_last_paid_by_month, severity="warn",
         message="最后缴存年月 is after the month the file describes"),
], redact={"account_no", "contribution_base", "monthly_contribution", "balance"})


# --- education (education.yaml) -------------------------------------------------------------------------

def _student_no_is_g_plus_id(df: pd.DataFrame) -> pd.Series:
    """'G' + 身份证号 = 全国学籍号 (a mismatch: which of the two numbers is the student's?)."""
    g = df["student_no"].str.startswith("G").fillna(False).astype(bool)
    id_text = df["id_number"].fillna(df["id_number_raw"])
    return _na_where(df["student_no"] == "G" + id_text, ~g | id_text.isna())


def _student_id_iff_permanent(df: pd.DataFrame) -> pd.Series:
    temporary = df["student_no"].str.startswith("L").fillna(False)
    return _na_where(_iff(df["id_number_raw"].isna(), temporary), df["student_no"].isna())


def _student_grade_fits_stage(df: pd.DataFrame) -> pd.Series:
    allowed = df["stage"].map(lambda s: GRADES_BY_STAGE.get(s, frozenset()))
    ok = pd.Series([g in a for g, a in zip(df["grade"], allowed, strict=True)], index=df.index)
    return _na_where(ok, df["stage"].isna() | df["grade"].isna())


def _aid_school_year_consecutive(df: pd.DataFrame) -> pd.Series:
    first = pd.to_numeric(df["school_year"].str.slice(0, 4), errors="coerce")
    second = pd.to_numeric(df["school_year"].str.slice(5, 9), errors="coerce")
    return _na_where(second == first + 1, first.isna() | second.isna())


def _aid_term_fits_year(df: pd.DataFrame) -> pd.Series:
    """秋季 is paid in the first year of 学年, 春季 in the second."""
    first = pd.to_numeric(df["school_year"].str.slice(0, 4), errors="coerce")
    expected = first + (df["term"] == "春季").astype(int)
    return _na_where(df["paid_date"].dt.year == expected, first.isna() | df["paid_date"].isna() | df["term"].isna())


def _aid_paid_in_file_month(df: pd.DataFrame) -> pd.Series:
    """发放日期 is within the file's month (a corrected row keeps its earlier original date)."""
    paid = df["paid_date"].dt.year * 100 + df["paid_date"].dt.month
    return _na_where((paid == _file_month(df)).fillna(False), df["paid_date"].isna())


def _aid_id_present(df: pd.DataFrame) -> pd.Series:
    return df["id_number_raw"].notna()


EDUCATION_STUDENT = Suite("education", "student", checks=[
    required("student_no", "name", "school"),
    matches("student_no", STUDENT_NO),
    unique("student_no"),
    rule("student_no_is_g_plus_id", ("student_no", "id_number", "id_number_raw"), _student_no_is_g_plus_id,
         message="全国学籍号 is not 'G' + 身份证号"),
    rule("id_number_iff_permanent_no", ("id_number_raw", "student_no"), _student_id_iff_permanent, severity="warn",
         message="身份证号 must be empty if and only if 全国学籍号 starts with 'L'"),
    rule("id_number_trusted", ("id_number_status", "id_number_raw"),
         _trusted_where("id_number_status", _aid_id_present), severity="warn",
         message="身份证号 is not a valid 公民身份号码"),
    length_between("id_number_raw", 18, 18, severity="warn"),
    length_between("name", 1, 30, severity="warn"),
    enum("stage", GRADES_BY_STAGE),
    length_between("school", 1, 100, severity="warn"),
    enum("grade", frozenset().union(*GRADES_BY_STAGE.values())),
    rule("grade_fits_stage", ("grade", "stage"), _student_grade_fits_stage, severity="warn",
         message="年级 does not belong to 学段"),
    enum("status", STUDENT_STATUSES),
])

EDUCATION_AID_PAYMENT = Suite("education", "aid_payment", checks=[
    required("id_number_raw", "name", "amount", "paid_date"),
    in_set("id_number_status", TRUSTED_ID_STATUSES, severity="warn"),
    length_between("id_number_raw", 18, 18, severity="warn"),
    rule("key_unique", ("programme", "school_year", "term", "id_number", "id_number_raw"),
         _unique_key("programme", "school_year", "term", id_col="id_number"),
         message="another row of the file has the same 身份证号 + 资助项目 + 学年 + 学期"),
    length_between("name", 1, 30, severity="warn"),
    enum("programme", AID_PROGRAMMES),
    between("amount", 0, None, strict_min=True, severity="warn"),
    not_null("school_year"),
    matches("school_year", SCHOOL_YEAR),
    rule("school_year_consecutive", ("school_year",), _aid_school_year_consecutive, severity="warn",
         message="学年 is not 'YYYY-YYYY' with consecutive years"),
    enum("term", TERMS),
    rule("term_fits_school_year", ("paid_date", "school_year", "term"), _aid_term_fits_year, severity="warn",
         message="秋季 paid outside the first year of 学年, or 春季 outside the second"),
    pair_greater("_business_date", "paid_date", or_equal=True, note="发放日期 after the as-of date"),
    rule("paid_in_file_month", ("paid_date", "_file"), _aid_paid_in_file_month, severity="warn",
         message="发放日期 is not in the month of the file (normal only for corrections)"),
], redact={"programme", "amount"})


# --- tax (tax.yaml) -------------------------------------------------------------------------------------

def _tax_period_shape(df: pd.DataFrame) -> pd.Series:
    """Monthly items: the 1st to the last day of one month; 经营所得: 1 January to a quarter end."""
    start, end = df["period_start"], df["period_end"]
    business = df["income_item"] == "经营所得"
    month_end = end.dt.is_month_end
    monthly = (start.dt.day == 1) & month_end & (start.dt.year == end.dt.year) & (start.dt.month == end.dt.month)
    quarterly = ((start.dt.month == 1) & (start.dt.day == 1) & (start.dt.year == end.dt.year) & month_end
                 & end.dt.month.isin([3, 6, 9, 12]))
    ok = quarterly.where(business, monthly)
    return _na_where(ok.fillna(False), start.isna() | end.isna() | df["income_item"].isna())


def _tax_signs_agree(df: pd.DataFrame) -> pd.Series:
    """A 冲正 line (收入额 < 0) has no positive tax; other lines no negative one."""
    negative = df["income"] < 0
    ok = ((df["tax_due"] <= 0) & (df["tax_paid"] <= 0)).where(negative, (df["tax_due"] >= 0) & (df["tax_paid"] >= 0))
    return _na_where(ok.fillna(False), df["income"].isna() | df["tax_due"].isna() | df["tax_paid"].isna())


def _tax_paid_not_above_due(df: pd.DataFrame) -> pd.Series:
    return _na_where(df["tax_paid"].abs() <= df["tax_due"].abs() + 0.005, df["tax_paid"].isna() | df["tax_due"].isna())


_TAX_LINE = ("taxpayer_id_raw", "taxpayer_name", "income_item", "period_start", "period_end", "income", "tax_due",
             "tax_paid", "withholding_agent", "declared_date", "serial_no")


def _tax_resends_identical(df: pd.DataFrame) -> pd.Series:
    """Equal (纳税人识别号, 申报序号) always means an identical line (tax.yaml resends)."""
    key = df["taxpayer_id_raw"].astype("str").str.cat(df["serial_no"].astype("str"), sep="\x1f", na_rep="\x00")
    repeated = key.duplicated(keep=False)
    ok = pd.Series(True, index=df.index, dtype="boolean")
    if repeated.any():  # compare whole lines only where a key repeats (rare)
        parts = [df.loc[repeated, c].astype("str") for c in _TAX_LINE]
        line = parts[0].str.cat(parts[1:], sep="\x1f", na_rep="\x00")
        ok[repeated] = line.groupby(key[repeated], sort=False).transform("nunique") == 1
    return ok


TAX_DECLARATION_LINE = Suite("tax", "declaration_line", checks=[
    required("taxpayer_id_raw", "taxpayer_name", "period_start", "period_end", "income", "tax_due", "tax_paid",
             "declared_date", "serial_no"),
    matches("serial_no", TAX_SERIAL_NO),
    unique("taxpayer_id_raw", "serial_no", severity="warn", note="quirk exact_duplicate"),
    rule("resends_identical", _TAX_LINE, _tax_resends_identical,
         message="two different lines share 纳税人识别号 + 申报序号"),
    length_between("taxpayer_id_raw", 18, 18, severity="warn"),
    in_set("taxpayer_id_status", TRUSTED_ID_STATUSES, severity="warn"),  # quirk non_id_taxpayer
    length_between("taxpayer_name", 1, 50, severity="warn"),
    enum("income_item", INCOME_ITEMS),
    pair_greater("period_end", "period_start", or_equal=True, note="所得期间止 before 所得期间起"),
    rule("period_shape", ("period_start", "period_end", "income_item"), _tax_period_shape, severity="warn",
         message="所得期间 is not one month (经营所得: 1 January to a quarter end)"),
    pair_greater("declared_date", "period_end", severity="warn", note="declared before the period ended"),
    pair_greater("_business_date", "declared_date", or_equal=True, note="申报日期 after the as-of date"),
    rule("signs_agree", ("income", "tax_due", "tax_paid"), _tax_signs_agree, severity="warn",
         message="收入额, 应纳税额 and 已缴税额 differ in sign (only 冲正 lines are negative)"),
    rule("paid_not_above_due", ("tax_paid", "tax_due"), _tax_paid_not_above_due, severity="warn",
         message="已缴税额 exceeds 应纳税额"),
    length_between("withholding_agent", 1, 200, severity="warn"),
], redact={"income", "tax_due", "tax_paid"})


# --- public_housing (public_housing.yaml) ---------------------------------------------------------------

def _family_subsidy_iff_rent(df: pd.DataFrame) -> pd.Series:
    return _na_where(_iff(df["monthly_subsidy"].notna(), df["support_type"] == "租赁补贴"), df["support_type"].isna())


def _family_member_count(df: pd.DataFrame) -> pd.Series:
    n = df["members"].map(len, na_action="ignore")
    return _na_where(n.between(1, 8).fillna(False), df["members"].isna())


def _family_members_trusted(df: pd.DataFrame) -> pd.Series:
    ok = df["members"].map(lambda ms: all(m["id_number_status"] in TRUSTED_ID_STATUSES for m in ms),
                           na_action="ignore")
    return _na_where(ok.fillna(False).astype(bool), df["members"].isna())


def _family_applicant_listed(df: pd.DataFrame) -> pd.Series:
    ok = [a in {m["id_number"] for m in ms} if ms is not None else False
          for a, ms in zip(df["applicant_id"], df["members"], strict=True)]
    return _na_where(pd.Series(ok, index=df.index), df["applicant_id"].isna() | df["members"].isna())


def _family_no_duplicate_member(df: pd.DataFrame) -> pd.Series:
    """As many distinct numbers as non-blank tokens in the list (connectors.public_housing de-duplicates)."""
    listed = df["member_ids_raw"].str.split(r"[;；]", regex=True).map(
        lambda tokens: sum(1 for t in tokens if t.strip()), na_action="ignore")
    return _na_where(listed == df["members"].map(len, na_action="ignore"),
                     df["member_ids_raw"].isna() | df["members"].isna())


#: The contract's list format: ID numbers separated by ';', no spaces, no trailing separator.
MEMBER_LIST = r"^[0-9Xx]+(;[0-9Xx]+)*$"

PUBLIC_HOUSING_FAMILY = Suite("public_housing", "family", checks=[
    required("family_no", "applicant_id_raw", "member_ids_raw", "support_start_date"),
    matches("family_no", HOUSING_FAMILY_NO),
    unique("family_no"),
    in_set("applicant_id_status", TRUSTED_ID_STATUSES, severity="warn"),
    length_between("applicant_id_raw", 1, 18, severity="warn"),
    matches("member_ids_raw", MEMBER_LIST, severity="warn"),  # quirk member_list_format
    rule("member_count", ("members",), _family_member_count, severity="warn", message="not 1-8 members listed"),
    rule("members_trusted", ("members",), _family_members_trusted, severity="warn",
         message="a listed member number is not a valid 公民身份号码"),
    rule("applicant_listed", ("applicant_id", "members"), _family_applicant_listed, severity="warn",
         message="申请人身份证号 is not among 家庭成员身份证号 (quirk applicant_missing)"),
    rule("no_duplicate_member", ("member_ids_raw", "members"), _family_no_duplicate_member, severity="warn",
         message="a number is listed twice in 家庭成员身份证号 (quirk duplicate_member)"),
    enum("support_type", HOUSING_SUPPORT_TYPES),
    between("monthly_subsidy", 0, None, strict_min=True, severity="warn"),
    rule("subsidy_iff_rent_subsidy", ("monthly_subsidy", "support_type"), _family_subsidy_iff_rent, severity="warn",
         message="月租赁补贴金额 must be set if and only if 保障方式 is 租赁补贴"),
    pair_greater("_business_date", "support_start_date", or_equal=True, note="保障开始日期 after the as-of date"),
    enum("support_status", HOUSING_SUPPORT_STATUSES),
], redact={"monthly_subsidy", "member_ids_raw", "members"})

#: The suites of this module, in sources/README.md order.
SUITES: tuple[Suite, ...] = (
    VEHICLES_VEHICLE, DEATHS_CERTIFICATE, TAX_DECLARATION_LINE, PROPERTY_REGISTRATION, PROPERTY_CURRENT_HOLDER,
    BUSINESS_ENTITY, BUSINESS_ENTITY_PERSON, HOUSING_FUND_ACCOUNT, EDUCATION_STUDENT, EDUCATION_AID_PAYMENT,
    PUBLIC_HOUSING_FAMILY,
)
