"""Tests of expectations.suites_files: the suites of the CSV file sources (vehicles, deaths, tax, property,
business, housing_fund, education, public_housing).

The contract examples (the fixtures of tests/test_connectors_files.py) must pass every 'row' check through
the real runner (GX); each cross-field rule is then checked on small frames shaped like the runner's
(dates as datetime64, decimals as float64, nulls as NA).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_connectors_files import CASES, parse

from connectors.columns import schema_of
from expectations import runner
from expectations.suites import Suite, suite_for
from expectations.suites_files import SUITES
from safetynet.settings import SQL_SOURCES, Settings, default_frontdb_url

SOURCES = ("vehicles", "deaths", "tax", "property", "business", "housing_fund", "education", "public_housing")


def _settings(root: Path) -> Settings:
    exchange = root / "exchange"
    (exchange / "landing").mkdir(parents=True, exist_ok=True)
    return Settings(home=root / "home", exchange=exchange,
                    frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})


def test_every_entity_has_a_suite_on_its_columns() -> None:
    covered = set()
    for source in SOURCES:
        module = importlib.import_module(f"connectors.{source}")
        derived = getattr(module, "DERIVED", {})
        for part in module.PARTS.values():
            suite = suite_for(source, part.entity)
            covered.add((source, part.entity))
            columns = set(schema_of(part.cols).names) | set(derived.get(part.entity, ()))
            assert suite.columns <= columns, (suite.name, sorted(suite.columns - columns))
    assert {(s.source, s.entity) for s in SUITES} == covered


def test_contract_examples_pass_every_row_check(tmp_path: Path) -> None:
    """The contracts' own example lines (plus the documented quirks in the fixtures) are never quarantined;
    the quirks show up as warnings only."""
    warned: dict[str, set[str]] = {}
    for i, case in enumerate(CASES):
        settings = _settings(tmp_path / str(i))
        parsed = parse(settings, case)
        for entity, table in parsed.tables.items():
            result = runner.validate(settings, case.source, entity, table, parsed.delivery)
            assert result.issues == [], [(x.file, x.row, x.field, x.rule) for x in result.issues]
            assert result.accepted.num_rows == table.num_rows
            warned[f"{case.source}.{entity}"] = {w.split(":")[0] for w in result.warn_rows}
    assert warned["vehicles.vehicle"] == {"matches"}                      # nonstandard VIN of a moped
    assert warned["tax.declaration_line"] == {"in_set"}                   # the non-ID taxpayer
    assert warned["public_housing.family"] == {"matches", "applicant_listed", "no_duplicate_member"}
    assert all(not w for k, w in warned.items()
               if k not in ("vehicles.vehicle", "tax.declaration_line", "public_housing.family"))


# --- rules on small frames -------------------------------------------------------------------------------

def check(suite: Suite, name: str, df: pd.DataFrame) -> list[bool | None]:
    """The rule's verdict per row: True fine, False violation, None not applicable."""
    fn = next(c.fn for c in suite.checks if c.rule == name)
    assert fn is not None
    out = fn(df)
    assert out.index.equals(df.index)
    return [None if pd.isna(v) else bool(v) for v in out.astype("boolean")]


def text(*values: str | None) -> pd.Series:
    return pd.Series(values, dtype="str")


def dates(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"))


def nums(*values: float | None) -> pd.Series:
    return pd.Series([np.nan if v is None else v for v in values], dtype="float64")


def test_vehicle_rules() -> None:
    s = suite_for("vehicles", "vehicle")
    df = pd.DataFrame({"plate_type": text("小型汽车", "挂车", "低速车", "普通摩托车"),
                       "vehicle_type": text("小型轿车", "重型普通货车", "三轮汽车", "普通二轮摩托车")})
    assert check(s, "vehicle_type_fits_plate_type", df) == [True, False, True, True]
    df = pd.DataFrame({"use_type": text("出租客运", "出租客运", "公路客运", "非营运"),
                       "vehicle_type": text("小型轿车", "小型普通客车", "小型普通客车", "重型普通货车")})
    assert check(s, "use_fits_vehicle_type", df) == [True, False, True, None]
    df = pd.DataFrame({"plate_no": text("鲁DA0001", "鲁DA0001", "鲁DB0002", "鲁DB0002"),
                       "status": text("E", "A", "G", "A")})
    assert check(s, "plate_reused_only_after_end", df) == [True, True, False, False]
    df = pd.DataFrame({"first_registration_date": dates("2026-05-24", "2026-05-25"),
                       "_business_date": dates("2026-05-24", "2026-05-24")})
    assert check(s, "first_registered_by_as_of", df) == [True, False]


def test_vehicle_status_pattern() -> None:
    import re

    from expectations.suites_files import VEHICLE_STATUS
    ok = ["A", "B", "E", "M", "G", "GQ", "PQ", "GPQ", "CD", "CDGPQ", "Q"]
    bad = ["", "AG", "QG", "GG", "EA", "X", "BE"]
    assert all(re.fullmatch(VEHICLE_STATUS, v) for v in ok)
    assert not any(re.search(VEHICLE_STATUS, v) for v in bad)


def test_death_rules() -> None:
    s = suite_for("deaths", "certificate")
    df = pd.DataFrame({"id_number_raw": text("370481194512031030", None, None, "E1"),
                       "id_type": text("居民身份证", "无", "居民身份证", "无")})
    assert check(s, "id_number_iff_id_type", df) == [True, True, False, False]
    df = pd.DataFrame({"issue_date": dates("2025-01-20", "2025-01-19", "2025-01-19"),
                       "death_time": dates("2025-01-19 23:40", "2025-01-19 23:40", "2025-01-20 00:10")})
    assert check(s, "issued_on_or_after_death", df) == [True, True, False]
    df = pd.DataFrame({"death_time": dates("2026-05-26 23:59", "2026-05-27 00:01"),
                       "_business_date": dates("2026-05-26", "2026-05-26")})
    assert check(s, "death_by_as_of", df) == [True, False]
    df = pd.DataFrame({"id_number_status": text("valid", "bad_check", "malformed", "empty"),
                       "id_type": text("居民身份证", "居民身份证", "护照", "无"),
                       "id_number_raw": text("x", "x", "E12345678", None)})
    assert check(s, "resident_id_trusted", df) == [True, False, None, None]


def test_property_rules() -> None:
    s = suite_for("property", "registration")
    df = pd.DataFrame({"business_no": text("1", "1", "1", "2", "3", "3"),
                       "unit_no": text("u", "u", "u", "v", "w", "w"),
                       "share": text("33.33%", "33.33%", "33.33%", "50%", None, None),
                       "ownership_type": text("按份共有", "按份共有", "按份共有", "按份共有", "共同共有", "单独所有")})
    assert check(s, "shares_sum_to_100", df) == [True, True, True, False, None, None]
    assert check(s, "share_iff_by_share", df) == [True] * 5 + [True]
    assert check(s, "ownership_type_shared", df) == [True] * 4 + [False, False]
    assert check(s, "sole_owner_single_row", df) == [None] * 5 + [False]
    df = pd.DataFrame({"business_no": text("1", "1", "1"), "unit_no": text("u", "u", "u"),
                       "holder_id": text("370481195207080025", "370481195207080025", None),
                       "holder_id_raw": text("370481520708002", "370481195207080025", "91370481MA3C123453")})
    assert check(s, "key_unique", df) == [False, False, True]
    df = pd.DataFrame({"floor_area": nums(None, 10.0, None, 5.0),
                       "unit_no": text("370481101004JC00012W00000000", "370481101004JC00012W00000000",
                                       "370481001002GB00123F00010502", "370481001002GB00123F00010502")})
    assert check(s, "floor_area_iff_building", df) == [True, False, False, True]
    df = pd.DataFrame({"business_no": text("20250303000417", "20250305000001", "2025X303000417"),
                       "registered_at": dates("2025-03-04 15:22:07", "2025-03-04 15:22:07", "2025-03-04 15:22:07")})
    assert check(s, "accepted_before_registered", df) == [True, False, False]
    df = pd.DataFrame({"holder_kind": text("organisation", "unknown", "person"),
                       "holder_id_type": text("统一社会信用代码", "统一社会信用代码", "居民身份证")})
    assert check(s, "uscc_is_organisation", df) == [True, False, None]
    held = suite_for("property", "current_holder")
    assert check(held, "holding_not_cancelled", pd.DataFrame({"registration_type": text("注销登记", "首次登记")})) == [
        False, True]


def test_business_rules() -> None:
    s = suite_for("business", "entity")
    df = pd.DataFrame({"registered_capital": nums(None, 500.0, None, 3.0),
                       "entity_type": text("个体工商户", "有限责任公司", "合伙企业", "个体工商户")})
    assert check(s, "capital_iff_not_individual", df) == [True, True, False, False]
    df = pd.DataFrame({"uscc": text("91370481MA3C123453", "91370481MA3C123454", "92370481MA3D6789X9"),
                       "entity_type": text("有限责任公司", "有限责任公司", "有限责任公司")})
    assert check(s, "uscc_check_character", df) == [True, False, True]
    assert check(s, "uscc_prefix_fits_type", df) == [True, True, False]
    p = suite_for("business", "entity_person")
    df = pd.DataFrame({"subscribed_capital": nums(None, 322.5, 10.0, None),
                       "share": text(None, "64.5%", None, "10%"),
                       "role": text("法定代表人", "股东", "投资人", "经营者")})
    assert check(p, "contribution_iff_share", df) == [True, True, False, False]
    assert check(p, "contribution_fits_role", df) == [True, True, True, True]
    df = pd.DataFrame({"share": text("64.5%", "35.5%", "33.33%", "33.33%", "33.33%", "60%", "30%", None),
                       "uscc": text("a", "a", "b", "b", "b", "c", "c", "c")})
    assert check(p, "shares_sum_to_100", df) == [True, True, True, True, True, False, False, None]


def test_housing_fund_rules() -> None:
    s = suite_for("housing_fund", "account")
    df = pd.DataFrame({"monthly_contribution": nums(1632.0, 1632.5, 0.0)})
    assert check(s, "contribution_whole_yuan", df) == [True, False, True]
    df = pd.DataFrame({"status": text("正常", "封存", "封存", "销户"),
                       "contribution_base": nums(6800.0, 0.0, 100.0, 0.0),
                       "monthly_contribution": nums(1632.0, 0.0, 0.0, 0.0),
                       "balance": nums(1.0, 5.0, 5.0, 3.0)})
    assert check(s, "dormant_pays_nothing", df) == [None, True, False, True]
    assert check(s, "closed_has_no_balance", df) == [None, None, None, False]
    assert check(s, "contribution_within_rates", df) == [True, None, None, None]
    df = pd.DataFrame({"last_paid_month": text("202604", "202605", None),
                       "_file": text("GJJ_202604.csv", "GJJ_202604_R1.csv", "GJJ_202604.csv")})
    assert check(s, "last_paid_by_file_month", df) == [True, False, None]


def test_education_rules() -> None:
    s = suite_for("education", "student")
    df = pd.DataFrame({"student_no": text("G370481201506010041", "G370481201506010041", "L370481201803120000",
                                          "L370481201803120000"),
                       "id_number": text("370481201506010041", "370481200809223613", None, None),
                       "id_number_raw": text("370481201506010041", "370481200809223613", None, "370481201506010041")})
    assert check(s, "student_no_is_g_plus_id", df) == [True, False, None, None]
    assert check(s, "id_number_iff_permanent_no", df) == [True, True, True, False]
    df = pd.DataFrame({"stage": text("小学", "小学", "中职"), "grade": text("四年级", "七年级", "中职三年级")})
    assert check(s, "grade_fits_stage", df) == [True, False, True]
    a = suite_for("education", "aid_payment")
    df = pd.DataFrame({"school_year": text("2025-2026", "2025-2027", "2025-2026", "2025-2026"),
                       "term": text("春季", "秋季", "秋季", "春季"),
                       "paid_date": dates("2026-04-15", "2025-11-15", "2026-04-15", "2025-12-01"),
                       "_file": text("ZZ_202604.csv", "ZZ_202511.csv", "ZZ_202604.csv", "ZZ_202604.csv")})
    assert check(a, "school_year_consecutive", df) == [True, False, True, True]
    assert check(a, "term_fits_school_year", df) == [True, True, False, False]
    assert check(a, "paid_in_file_month", df) == [True, True, True, False]
    df = pd.DataFrame({"id_number": text("370481201506010041", "370481201506010041", "370481201506010041"),
                       "id_number_raw": text("370481201506010041", "370481201506010041", "370481201506010041"),
                       "programme": text("学前教育幼儿资助", "学前教育幼儿资助", "学前教育幼儿资助"),
                       "school_year": text("2025-2026", "2025-2026", "2025-2026"),
                       "term": text("秋季", "秋季", "春季")})
    assert check(a, "key_unique", df) == [False, False, True]


def test_tax_rules() -> None:
    s = suite_for("tax", "declaration_line")
    df = pd.DataFrame({"period_start": dates("2025-02-01", "2025-02-02", "2025-01-01", "2025-04-01", "2025-03-01"),
                       "period_end": dates("2025-02-28", "2025-02-28", "2025-06-30", "2025-06-30", "2025-04-30"),
                       "income_item": text("工资、薪金所得", "工资、薪金所得", "经营所得", "经营所得", "劳务报酬所得")})
    assert check(s, "period_shape", df) == [True, False, True, False, False]
    df = pd.DataFrame({"income": nums(5200.0, -3000.0, -3000.0, 0.0),
                       "tax_due": nums(6.0, -440.0, 440.0, 0.0),
                       "tax_paid": nums(6.0, -440.0, -440.0, 0.0)})
    assert check(s, "signs_agree", df) == [True, True, False, True]
    assert check(s, "paid_not_above_due", pd.DataFrame({"tax_paid": nums(6.0, 7.0), "tax_due": nums(6.0, 6.0)})) == [
        True, False]
    line = {"taxpayer_id_raw": text("1", "1", "1", "2", "2"), "taxpayer_name": text("a", "a", "a", "b", "b"),
            "income_item": text("x", "x", "x", "x", "x"),
            "period_start": dates(*["2025-02-01"] * 5), "period_end": dates(*["2025-02-28"] * 5),
            "income": nums(1.0, 1.0, 1.0, 1.0, 2.0), "tax_due": nums(0.0, 0.0, 0.0, 0.0, 0.0),
            "tax_paid": nums(0.0, 0.0, 0.0, 0.0, 0.0), "withholding_agent": text(None, None, None, "w", "w"),
            "declared_date": dates(*["2025-03-10"] * 5), "serial_no": text("9", "9", "8", "9", "9")}
    assert check(s, "resends_identical", pd.DataFrame(line)) == [True, True, True, False, False]


def test_public_housing_rules() -> None:
    s = suite_for("public_housing", "family")
    a, b = "370481197811053014", "370481198002122643"
    member = lambda n, status="valid": {"id_number": n, "id_number_status": status, "id_number_raw": n}  # noqa: E731
    df = pd.DataFrame({
        "applicant_id": text(a, a, a, None),
        "member_ids_raw": text(f"{a};{b}", f"{b}；", f"{a};{a}; ", "x"),
        "members": pd.Series([[member(a), member(b)], [member(b)], [member(a)], [member("x", "malformed")]]),
    })
    assert check(s, "applicant_listed", df) == [True, False, True, None]
    assert check(s, "no_duplicate_member", df) == [True, True, False, True]
    assert check(s, "members_trusted", df) == [True, True, True, False]
    assert check(s, "member_count", df) == [True, True, True, True]
    assert check(s, "member_count", pd.DataFrame({"members": pd.Series([[member(a)] * 9, []])})) == [False, False]
    df = pd.DataFrame({"monthly_subsidy": nums(360.0, None, None, 100.0),
                       "support_type": text("租赁补贴", "实物配租", "租赁补贴", "实物配租")})
    assert check(s, "subsidy_iff_rent_subsidy", df) == [True, True, False, False]


@pytest.mark.parametrize("source", SOURCES)
def test_id_quirks_never_quarantine(source: str) -> None:
    """ID trust checks are always 'warn' (README section 10: a quirky number keeps its row)."""
    module = importlib.import_module(f"connectors.{source}")
    for part in module.PARTS.values():
        suite = suite_for(source, part.entity)
        ids = {c.name for c in part.cols if c.kind == "id"}
        for c in suite.checks:
            if any(col.endswith("_status") and col[:-7] in ids for col in c.columns):
                assert c.severity == "warn", (suite.name, c.id)
