"""Tests of the CSV file connectors vehicles, deaths, property, business, housing_fund, education, tax and
public_housing on tiny hand-written landing trees (no simulator).

Every fixture is written byte for byte as its contract says (encoding, BOM, line ending, quoting), mostly
from the contract's own `example` lines, with markers computed here; it then goes through
`landing.scan` and the connector's `parse`, exactly as `connectors.ingest` calls them.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from connectors import landing
from connectors.base import DeliveryRejected, Parsed
from connectors.columns import schema_of
from connectors.landing import Delivery
from safetynet.settings import SQL_SOURCES, Settings, default_frontdb_url

# --- fixtures written like a department ---------------------------------------------------------------------


@dataclass(frozen=True)
class Fmt:
    """A contract's CSV dialect, as a writer: encoding, BOM, line ending."""

    encoding: str
    bom: bool
    eol: str


UTF8_BOM_CRLF = Fmt("utf-8", True, "\r\n")
UTF8_LF = Fmt("utf-8", False, "\n")
UTF8_CRLF = Fmt("utf-8", False, "\r\n")
GB18030_CRLF = Fmt("gb18030", False, "\r\n")


def encode(lines: list[str], fmt: Fmt) -> bytes:
    """Records (each already CSV text, possibly with quoted line breaks) + the line ending after each."""
    data = "".join(line + fmt.eol for line in lines).encode(fmt.encoding)
    return (codecs.BOM_UTF8 + data) if fmt.bom else data


def quote_all(*fields: str) -> str:
    """One all-quoted CSV record (vehicles, tax): every field in "…", inner quotes doubled."""
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields)


@dataclass(frozen=True)
class FileSpec:
    name: str
    lines: list[str]      # header first
    records: int          # data records (a quoted line break is still one record)


@dataclass(frozen=True)
class Case:
    source: str
    folder: str
    up_to: date
    fmt: Fmt
    files: tuple[FileSpec, ...]
    bad_date: tuple[str, str, str, str]   # file, text in data record 1, its unparseable replacement, field


VEHICLES = Case("vehicles", "20260525", date(2026, 5, 24), UTF8_BOM_CRLF, (
    FileSpec("JDC_20260525.csv", [
        quote_all("号牌号码", "号牌种类", "车辆类型", "使用性质", "所有人证件号码", "所有人", "初次登记日期", "机动车状态",
                  "品牌型号", "车辆识别代号"),
        # the contract's three example lines
        '"鲁D8K2M5","小型汽车","小型轿车","非营运","370481198503121235","张伟","2019-04-23","A","大众汽车牌FV7152BBDBG","LFV2A21K4K4123456"',
        '"鲁DD12345","新能源小型车","小型轿车","非营运","370481197811053014","王强","2023-09-02","G","比亚迪牌BYD7005BEVA","LGXCE4CB5P0123456"',
        '"鲁D3627挂","挂车","重型普通半挂车","货运","91370481MA3C123453","滕州市鑫源物流有限公司","2016-11-08","E","梁山华宇牌HYJ9400","LA99FRC39G0SHY123"',
        # quirks: legacy 15-digit owner, lowercase x, legacy 组织机构代码, nonstandard VIN, a quote in a value
        quote_all("鲁D5A7Q2", "普通摩托车", "普通二轮摩托车", "非营运", "370481520708002", "刘秀英", "2003-06-17", "GQ",
                  "雅迪牌YD1200DT", "LYDQ0000123"),
        quote_all("鲁D6B8C3", "小型汽车", "小型普通客车", "公路客运", "37048119680917105x", "王建国", "2012-01-09", "PQ",
                  "五菱牌LZW6407BAF", "LZWADAGA9C8123456"),
        quote_all("鲁D7C9D4", "大型汽车", "重型普通货车", "货运", "16345678-9", '滕州市"红旗"运输公司', "2009-03-30", "A",
                  "解放牌CA1250P66K2L5T1E5", "LFWSRXSJ9AAD12345"),
    ], 6),
), ("JDC_20260525.csv", '"2019-04-23"', '"2019-04-31"', "初次登记日期"))

DEATHS = Case("deaths", "20260527", date(2026, 5, 26), UTF8_LF, (
    FileSpec("SWZM_20260527.csv", [
        "死亡证编号,死者姓名,证件类别,证件号码,性别,出生日期,死亡日期,死亡地点类别,常住地址,签发日期",
        "E370481202500000317,张广田,居民身份证,370481194512031030,男,1945-12-03,2025-01-19 23:40,家中,山东省滕州市洪绪镇后屯村218号,2025-01-20",
        'E370481202500000318,刘秀英,居民身份证,370481520708002,女,1952-07-08,2025-01-20 06:15,医疗卫生机构,"山东省滕州市北辛街道,善国北路12号",2025-01-20',
        "E370481202600000401,无名氏,无,,男,1970-01-01,2026-05-25 14:05,其他,山东省滕州市龙泉街道,2026-05-26",
        "E370883202600000077,Smith John,护照,E12345678,男,1961-02-03,2026-05-24 09:30,医疗卫生机构,山东省邹城市,2026-05-26",
        "E370481202600000402,孙立平,居民身份证, 37048119680917105x ,男,1968-09-17,2026-05-25 03:00,家中,山东省滕州市荆河街道,2026-05-26",
    ], 5),
), ("SWZM_20260527.csv", "2025-01-19 23:40", "2025-01-19 24:40", "死亡日期"))

PROPERTY_HEADER = "业务编号,不动产单元号,不动产权证号,权利人,证件种类,证件号码,共有情况,共有份额,坐落,用途,建筑面积,登记类型,登记时间"
PROPERTY = Case("property", "20260527", date(2026, 5, 26), GB18030_CRLF, (
    FileSpec("BDC_20260527.csv", [
        PROPERTY_HEADER,
        "20250303000417,370481001002GB00123F00010502,鲁(2025)滕州市不动产权第0004521号,张伟,居民身份证,370481198503121235,按份共有,50%,滕州市荆河街道杏坛路118号3单元502室,住宅,118.36,转移登记,2025-03-04 15:22:07",
        "20250303000417,370481001002GB00123F00010502,鲁(2025)滕州市不动产权第0004521号,李静,居民身份证,341221198905072243,按份共有,50%,滕州市荆河街道杏坛路118号3单元502室,住宅,118.36,转移登记,2025-03-04 15:22:07",
        '20250304000022,370481006003GB00457F00010001,鲁(2025)滕州市不动产权第0004533号,滕州市鑫源物流有限公司,统一社会信用代码,91370481MA3C123453,单独所有,,"滕州市洪绪镇工业园区,兴业路6号",工业,2350.00,首次登记,2025-03-04 16:05:41',
        # a rare character (4 bytes in GB18030), full-width parentheses, a legacy 15-digit number with a
        # trailing space, a unit without a building (no area)
        "20260510000031,370481101004JC00012W00000000,鲁（2019）滕州市不动产权第0001234号,王𠮷,居民身份证,370481520708002 ,单独所有,,滕州市洪绪镇后屯村,其他,,变更登记,2026-05-26 10:11:12",
    ], 4),
    FileSpec("BDC_FULL_20260527.csv", [
        PROPERTY_HEADER,
        "20190612000101,370481002001GB00045F00020301,鲁（2019）滕州市不动产权第0001234号,赵敏,居民身份证,37048119870715109x,共同共有,,滕州市龙泉街道善国中路9号2单元301室,住宅,96.50,转移登记,2019-06-20 09:15:00",
        "20190612000101,370481002001GB00045F00020301,鲁（2019）滕州市不动产权第0001234号,王建国,居民身份证,37048119680917105X,共同共有,,滕州市龙泉街道善国中路9号2单元301室,住宅,96.50,转移登记,2019-06-20 09:15:00",
    ], 2),
), ("BDC_20260527.csv", "2025-03-04 15:22:07", "2025-03-04 15:22", "登记时间"))

BUSINESS = Case("business", "20260527", date(2026, 5, 26), UTF8_LF, (
    FileSpec("SCZT_20260527.csv", [
        "统一社会信用代码,主体名称,市场主体类型,注册资本,资金数额,成立日期,登记状态,经营范围,住所,登记机关",
        '91370481MA3C123453,滕州市鑫源物流有限公司,有限责任公司,500.000000,,2016-05-18,存续,"一般项目：道路货物运输（不含危险货物）；国内货物运输代理；装卸搬运。（除依法须经批准的项目外,凭营业执照依法自主开展经营活动）",山东省枣庄市滕州市洪绪镇工业园区兴业路6号,滕州市市场监督管理局',
        "92370481MA3D6789X9,滕州市洪绪镇张伟百货店,个体工商户,,3.000000,2019-08-02,在业,日用百货、五金交电零售。,山东省枣庄市滕州市洪绪镇后屯村,滕州市市场监督管理局洪绪市场监督管理所",
        # quirk multiline_scope: LF and CRLF inside the quoted 经营范围 (one record)
        '93370481MA3E0000X1,滕州市后屯村果蔬种植专业合作社,农民专业合作社,120.500000,,2018-03-09,存续,"许可项目：\n蔬菜种植；\r\n水果种植。",山东省枣庄市滕州市洪绪镇后屯村,滕州市市场监督管理局',
    ], 3),
    FileSpec("SCZT_RY_20260527.csv", [
        "统一社会信用代码,人员类型,姓名,证件类型,证件号码,认缴出资额,出资比例",
        "91370481MA3C123453,法定代表人,张伟,居民身份证,370481198503121235,,",
        "91370481MA3C123453,股东,张伟,居民身份证,370481198503121235,322.500000,64.5%",
        "91370481MA3C123453,股东,王强,居民身份证,370481197811053014,177.500000,35.5%",
        "92370481MA3D6789X9,经营者,张伟,居民身份证,370481198503121235,,",
        "93370481MA3E0000X1,投资人,滕州市鑫源物流有限公司,统一社会信用代码,91370481MA3C123453,20.000000,16.6%",
        "93370481MA3E0000X1,投资人,刘秀英,居民身份证,370481520708002,100.500000,83.4%",
    ], 6),
), ("SCZT_20260527.csv", "2016-05-18", "2016/05/18", "成立日期"))

HOUSING_FUND = Case("housing_fund", "20260503", date(2026, 5, 2), UTF8_CRLF, (
    FileSpec("GJJ_202604.csv", [
        "个人账号,身份证号,姓名,单位名称,缴存基数,月缴存额,账户状态,账户余额,最后缴存年月",
        "037048100123,370481197811053014,王强,滕州市中心人民医院,6800.00,1632.00,正常,48213.57,202502",
        "037048100456,370481198503121235,张伟,滕州市鑫源物流有限公司,0.00,0.00,封存,5120.33,202106",
        '000048100789,370481520708002,刘秀英,"滕州市某某公司,后勤部",0.00,0.00,销户,0.00,',
    ], 3),
), ("GJJ_202604.csv", "202502", "202513", "最后缴存年月"))

EDUCATION = Case("education", "20260510", date(2026, 5, 9), UTF8_BOM_CRLF, (
    FileSpec("XJ_202604.csv", [
        "全国学籍号,身份证号,姓名,学段,学校名称,年级,学籍状态",
        "G370481201506010041,370481201506010041,张雨涵,小学,滕州市洪绪镇中心小学,四年级,在读",
        "G370481200809223613,370481200809223613,孙浩,高中,滕州市第一中学,高二,在读",
        "L370481201803120000,,王小宝,学前,滕州市荆河街道中心幼儿园,大班,在读",
    ], 3),
    FileSpec("ZZ_202604.csv", [
        "身份证号,姓名,资助项目,资助金额,学年,学期,发放日期",
        "370481201506010041,张雨涵,义务教育家庭经济困难学生生活补助,250.00,2025-2026,春季,2026-04-15",
        "370481200809223613,孙浩,普通高中国家助学金,1000.00,2025-2026,春季,2026-04-20",
    ], 2),
), ("ZZ_202604.csv", "2026-04-15", "2026-4-15", "发放日期"))

TAX_HEADER = quote_all("纳税人识别号", "纳税人姓名", "所得项目", "所得期间起", "所得期间止", "收入额", "应纳税额", "已缴税额",
                       "扣缴义务人名称", "申报日期", "申报序号")
TAX = Case("tax", "20260520", date(2026, 5, 20), UTF8_LF, (
    FileSpec("GS_202604.csv", [
        TAX_HEADER,
        '"370481198503121235","张伟","工资、薪金所得","2025-02-01","2025-02-28","5200.00","6.00","6.00","滕州市鑫源物流有限公司","2025-03-10","10013704812503000123"',
        '"370481198503121235","张伟","工资、薪金所得","2025-02-01","2025-02-28","5600.00","18.00","18.00","滕州市鑫源物流有限公司","2025-03-14","10013704812503004567"',
        '"37048119680917105X","王建国","劳务报酬所得","2025-02-01","2025-02-28","3000.00","440.00","440.00","滕州市第一建筑工程有限公司","2025-03-12","10013704812503001890"',
        # a 冲正 line, a self-declared rent line (empty agent, ""), a non-ID taxpayer number
        quote_all("37048119680917105X", "王建国", "劳务报酬所得", "2025-02-01", "2025-02-28", "-3000.00", "-440.00",
                  "-440.00", "滕州市第一建筑工程有限公司", "2026-05-08", "10013704812605000042"),
        quote_all("370481197811053014", "王强", "财产租赁所得", "2026-04-01", "2026-04-30", "1500.00", "0.00", "0.00",
                  "", "2026-05-11", "10013704812605000777"),
        quote_all("F37000000012345678", "Smith John", "工资、薪金所得", "2026-04-01", "2026-04-30", "20000.00",
                  "2590.00", "2590.00", "滕州市鑫源物流有限公司", "2026-05-12", "10013704812605001000"),
    ], 6),
), ("GS_202604.csv", '"2025-03-10"', '"20250310"', "申报日期"))

PUBLIC_HOUSING = Case("public_housing", "20260506", date(2026, 5, 6), UTF8_LF, (
    FileSpec("GZF_202604.csv", [
        "保障家庭编号,申请人身份证号,家庭成员身份证号,保障方式,月租赁补贴金额,保障开始日期,保障状态",
        "GZ00001234,370481197811053014,370481197811053014;370481198002122643;370481200605301819,租赁补贴,360.00,2021-07-01,保障中",
        "GZ00001302,370481196001150424,370481196001150424；,实物配租,,2022-03-15,保障中",
        # quirks: mixed separators with a space, duplicate member (once in lowercase x), applicant missing
        "GZ00001400,37048119680917105x,37048119680917105X; 370481198503121235；37048119680917105x,租赁补贴,150.00,2019-01-01,已退出",
        "GZ00001401,370481194512031030,370481198503121235,实物配租,,2020-05-01,保障中",
    ], 4),
), ("GZF_202604.csv", "2021-07-01", "2021-06-31", "保障开始日期"))

CASES = (VEHICLES, DEATHS, PROPERTY, BUSINESS, HOUSING_FUND, EDUCATION, TAX, PUBLIC_HOUSING)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    exchange = tmp_path / "exchange"
    (exchange / "landing").mkdir(parents=True)
    return Settings(home=tmp_path / "home", exchange=exchange,
                    frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})


def deliver(settings: Settings, case: Case, *, edit: tuple[str, str, str] | None = None,
            header_edit: tuple[str, str] | None = None, rows_delta: int = 0) -> None:
    """Write the case's files and markers. `edit` = (file, old, new) replaces text in data record 1;
    `header_edit` = (old, new) renames a header column of the first file; `rows_delta` falsifies the
    first file's marker rows (its sha256 stays right)."""
    folder = settings.landing / case.source / case.folder
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(case.files):
        lines = list(f.lines)
        if edit is not None and edit[0] == f.name:
            assert edit[1] in lines[1], edit
            lines[1] = lines[1].replace(edit[1], edit[2], 1)
        if header_edit is not None and i == 0:
            assert header_edit[0] in lines[0]
            lines[0] = lines[0].replace(header_edit[0], header_edit[1], 1)
        data = encode(lines, case.fmt)
        (folder / f.name).write_bytes(data)
        rows = f.records + (rows_delta if i == 0 else 0)
        marker = f"rows={rows}\nsha256={hashlib.sha256(data).hexdigest()}\n"
        (folder / (f.name.rsplit(".", 1)[0] + ".ok")).write_bytes(marker.encode("ascii"))


def the_delivery(settings: Settings, case: Case) -> Delivery:
    found = landing.scan(settings, case.source, case.up_to)
    assert len(found) == 1, found
    assert found[0].usable, found[0].problems
    return found[0]


def parse(settings: Settings, case: Case, **kwargs) -> Parsed:
    deliver(settings, case, **kwargs)
    return importlib.import_module(f"connectors.{case.source}").parse(the_delivery(settings, case))


def rows(parsed: Parsed, entity: str) -> list[dict]:
    return parsed.tables[entity].to_pylist()


# --- every source: counting, schema, lineage, bad input ------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source)
def test_clean_delivery_counts_every_record_once(settings: Settings, case: Case) -> None:
    parsed = parse(settings, case)
    module = importlib.import_module(f"connectors.{case.source}")
    assert parsed.source == case.source and not parsed.issues and not parsed.warnings
    assert parsed.delivered == {f.name: f.records for f in case.files}
    assert sum(t.num_rows for t in parsed.tables.values()) == parsed.rows_delivered
    derived = getattr(module, "DERIVED", {})
    for part in module.PARTS.values():
        table = parsed.tables[part.entity]
        expected = schema_of(part.cols)
        extra = [n for n in table.column_names if n not in expected.names]
        assert extra == list(derived.get(part.entity, ())), "derived columns must be declared in DERIVED"
        # derived columns sit before the lineage columns
        assert table.column_names[-5:] == ["_source", "_delivery", "_file", "_row", "_business_date"]
        for f in expected:
            assert table.schema.field(f.name).type == f.type, f.name
        assert set(table.column("_source").to_pylist()) == {case.source}
        assert set(table.column("_business_date").to_pylist()) == {case.up_to}
    files = {f.name: f.records for f in case.files}
    for table in parsed.tables.values():
        by_file: dict[str, list[int]] = {}
        for f, r in zip(table.column("_file").to_pylist(), table.column("_row").to_pylist(), strict=True):
            by_file.setdefault(f, []).append(r)
        for f, rs in by_file.items():
            assert rs == list(range(1, files[f] + 1))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source)
def test_unparseable_date_quarantines_the_row(settings: Settings, case: Case) -> None:
    file, old, new, field = case.bad_date
    parsed = parse(settings, case, edit=(file, old, new))
    assert len(parsed.issues) == 1
    issue = parsed.issues[0]
    assert (issue.file, issue.row, issue.field) == (file, 1, field)
    assert issue.rule.startswith(("type:date", "type:datetime", "type:yearmonth"))
    assert issue.value == new.strip('"')
    # the row left its table, every other row stayed: delivered = accepted + quarantined
    assert parsed.rows_delivered == sum(f.records for f in case.files)
    assert sum(t.num_rows for t in parsed.tables.values()) + parsed.rows_with_issues == parsed.rows_delivered
    entity = next(p.entity for n, p in importlib.import_module(f"connectors.{case.source}").PARTS.items()
                  if file.startswith(n + "_") and file[len(n) + 1].isdigit())
    assert 1 not in parsed.tables[entity].filter(pc.equal(parsed.tables[entity]["_file"], file))[
        "_row"].to_pylist()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source)
def test_renamed_column_rejects_the_delivery(settings: Settings, case: Case) -> None:
    first = case.files[0].lines[0]
    column = first.split(",")[1].strip('"')
    deliver(settings, case, header_edit=(column, column + "名"))
    module = importlib.import_module(f"connectors.{case.source}")
    with pytest.raises(DeliveryRejected) as exc:
        module.parse(the_delivery(settings, case))
    assert exc.value.field == column and column in str(exc.value)
    assert exc.value.file == case.files[0].name and exc.value.rule == "header"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source)
def test_marker_rows_mismatch_rejects_the_delivery(settings: Settings, case: Case) -> None:
    deliver(settings, case, rows_delta=1)
    module = importlib.import_module(f"connectors.{case.source}")
    with pytest.raises(DeliveryRejected) as exc:
        module.parse(the_delivery(settings, case))
    assert exc.value.rule == "marker_rows" and exc.value.file == case.files[0].name


@pytest.mark.parametrize("case", [VEHICLES, DEATHS, EDUCATION], ids=lambda c: c.source)
def test_wrong_bom_or_encoding_rejects_the_delivery(settings: Settings, case: Case) -> None:
    """A BOM where none is declared, or none where one is (the file was re-saved by hand)."""
    wrong = Fmt(case.fmt.encoding, not case.fmt.bom, case.fmt.eol)
    deliver(settings, Case(case.source, case.folder, case.up_to, wrong, case.files, case.bad_date))
    with pytest.raises(DeliveryRejected) as exc:
        importlib.import_module(f"connectors.{case.source}").parse(the_delivery(settings, case))
    assert exc.value.rule == "encoding"


# --- vehicles ---------------------------------------------------------------------------------------------

def test_vehicles_all_quoted_bom_crlf(settings: Settings) -> None:
    got = {r["vin"]: r for r in rows(parse(settings, VEHICLES), "vehicle")}
    first = got["LFV2A21K4K4123456"]
    assert first["plate_no"] == "鲁D8K2M5" and first["plate_type"] == "小型汽车"  # the BOM did not stick to a name
    assert first["first_registration_date"] == date(2019, 4, 23)
    assert (first["owner_id"], first["owner_id_status"], first["holder_kind"]) == (
        "370481198503121235", "valid", "person")
    assert got["LGXCE4CB5P0123456"]["plate_no"] == "鲁DD12345"
    org = got["LA99FRC39G0SHY123"]
    assert (org["owner_id"], org["owner_id_status"], org["owner_id_raw"], org["holder_kind"]) == (
        None, "malformed", "91370481MA3C123453", "organisation")
    legacy = got["LYDQ0000123"]
    assert (legacy["owner_id"], legacy["owner_id_status"], legacy["holder_kind"]) == (
        "370481195207080025", "legacy15", "person")
    assert legacy["status"] == "GQ"
    assert got["LZWADAGA9C8123456"]["owner_id"] == "37048119680917105X"
    old_org = got["LFWSRXSJ9AAD12345"]
    assert old_org["holder_kind"] == "organisation" and old_org["owner_id_raw"] == "16345678-9"
    assert old_org["owner_name"] == '滕州市"红旗"运输公司'


# --- deaths -----------------------------------------------------------------------------------------------

def test_deaths_ids_passports_and_quoted_address(settings: Settings) -> None:
    got = {r["certificate_no"]: r for r in rows(parse(settings, DEATHS), "certificate")}
    a = got["E370481202500000317"]
    assert a["death_time"] == datetime(2025, 1, 19, 23, 40) and a["issue_date"] == date(2025, 1, 20)
    assert a["birth_date"] == date(1945, 12, 3)
    b = got["E370481202500000318"]
    assert (b["id_number"], b["id_number_status"], b["id_number_raw"]) == (
        "370481195207080025", "legacy15", "370481520708002")
    assert b["residence_address"] == "山东省滕州市北辛街道,善国北路12号"
    unknown = got["E370481202600000401"]
    assert (unknown["id_type"], unknown["id_number"], unknown["id_number_status"]) == ("无", None, "empty")
    passport = got["E370883202600000077"]
    assert (passport["id_number"], passport["id_number_raw"]) == (None, "E12345678")
    spaced = got["E370481202600000402"]
    assert (spaced["id_number"], spaced["id_number_status"]) == ("37048119680917105X", "valid")
    assert spaced["id_number_raw"] == " 37048119680917105x "


# --- property ---------------------------------------------------------------------------------------------

def test_property_change_log_and_full_file(settings: Settings) -> None:
    parsed = parse(settings, PROPERTY)
    reg = rows(parsed, "registration")
    assert [r["_file"] for r in reg] == ["BDC_20260527.csv"] * 4
    assert reg[0]["share"] == "50%" and reg[0]["floor_area"] == Decimal("118.36")
    assert reg[0]["registered_at"] == datetime(2025, 3, 4, 15, 22, 7)
    assert reg[2]["location"] == "滕州市洪绪镇工业园区,兴业路6号" and reg[2]["share"] is None
    assert (reg[2]["holder_id"], reg[2]["holder_kind"]) == (None, "organisation")
    rare = reg[3]
    assert rare["holder_name"] == "王𠮷" and rare["certificate_no"].startswith("鲁（2019）")
    assert (rare["holder_id"], rare["holder_id_status"], rare["holder_kind"]) == (
        "370481195207080025", "legacy15", "person")
    assert rare["floor_area"] is None
    full = rows(parsed, "current_holder")
    assert [r["_file"] for r in full] == ["BDC_FULL_20260527.csv"] * 2
    assert [r["holder_id"] for r in full] == ["37048119870715109X", "37048119680917105X"]


def test_property_without_full_file_is_complete(settings: Settings) -> None:
    only_bdc = Case("property", "20260528", date(2026, 5, 27), GB18030_CRLF,
                    (FileSpec("BDC_20260528.csv", [PROPERTY_HEADER], 0),), PROPERTY.bad_date)
    parsed = parse(settings, only_bdc)
    assert parsed.delivered == {"BDC_20260528.csv": 0}
    assert parsed.tables["registration"].num_rows == 0 and "current_holder" not in parsed.tables
    assert "holder_kind" in parsed.tables["registration"].column_names


# --- business ---------------------------------------------------------------------------------------------

def test_business_multiline_scope_is_one_record(settings: Settings) -> None:
    parsed = parse(settings, BUSINESS)
    assert parsed.delivered == {"SCZT_20260527.csv": 3, "SCZT_RY_20260527.csv": 6}
    ent = {r["uscc"]: r for r in rows(parsed, "entity")}
    assert ent["93370481MA3E0000X1"]["business_scope"] == "许可项目：\n蔬菜种植；\r\n水果种植。"
    assert ent["93370481MA3E0000X1"]["_row"] == 3
    assert ent["91370481MA3C123453"]["registered_capital"] == Decimal("500.000000")
    assert ent["91370481MA3C123453"]["individual_funds"] is None
    assert "凭营业执照" in ent["91370481MA3C123453"]["business_scope"]
    assert ent["92370481MA3D6789X9"]["registered_capital"] is None
    assert ent["92370481MA3D6789X9"]["individual_funds"] == Decimal("3.000000")
    assert ent["92370481MA3D6789X9"]["established_date"] == date(2019, 8, 2)
    persons = rows(parsed, "entity_person")
    assert persons[1]["subscribed_capital"] == Decimal("322.500000") and persons[1]["share"] == "64.5%"
    assert persons[0]["subscribed_capital"] is None and persons[0]["share"] is None
    corp = persons[4]
    assert (corp["id_number"], corp["id_number_raw"], corp["holder_kind"]) == (
        None, "91370481MA3C123453", "organisation")
    assert (persons[5]["id_number"], persons[5]["holder_kind"]) == ("370481195207080025", "person")


def test_business_needs_both_files(settings: Settings) -> None:
    deliver(settings, BUSINESS)
    (settings.landing / "business" / "20260527" / "SCZT_RY_20260527.ok").unlink()
    found = landing.scan(settings, "business", BUSINESS.up_to)
    assert [d.disposition for d in found] == ["waiting"]


# --- housing_fund -----------------------------------------------------------------------------------------

def test_housing_fund_accounts_keep_leading_zeros(settings: Settings) -> None:
    got = rows(parse(settings, HOUSING_FUND), "account")
    assert [r["account_no"] for r in got] == ["037048100123", "037048100456", "000048100789"]
    assert got[0]["monthly_contribution"] == Decimal("1632.00") and got[0]["balance"] == Decimal("48213.57")
    assert got[0]["last_paid_month"] == "202502" and got[2]["last_paid_month"] is None
    assert got[2]["employer"] == "滕州市某某公司,后勤部"
    assert (got[2]["id_number"], got[2]["id_number_status"]) == ("370481195207080025", "legacy15")


# --- education --------------------------------------------------------------------------------------------

def test_education_pair_with_bom(settings: Settings) -> None:
    parsed = parse(settings, EDUCATION)
    students = rows(parsed, "student")
    assert [s["student_no"] for s in students] == [
        "G370481201506010041", "G370481200809223613", "L370481201803120000"]
    assert students[2]["id_number"] is None and students[2]["id_number_status"] == "empty"
    assert (students[1]["stage"], students[1]["grade"]) == ("高中", "高二")
    aid = rows(parsed, "aid_payment")
    assert aid[0]["amount"] == Decimal("250.00") and aid[0]["paid_date"] == date(2026, 4, 15)
    assert (aid[1]["programme"], aid[1]["school_year"], aid[1]["term"]) == ("普通高中国家助学金", "2025-2026", "春季")


# --- tax --------------------------------------------------------------------------------------------------

def test_tax_all_quoted_serials_stay_text(settings: Settings) -> None:
    got = rows(parse(settings, TAX), "declaration_line")
    assert got[0]["serial_no"] == "10013704812503000123"  # 20 digits: beyond int64, kept as text
    assert got[0]["income_item"] == "工资、薪金所得"
    assert (got[0]["period_start"], got[0]["period_end"]) == (date(2025, 2, 1), date(2025, 2, 28))
    assert got[3]["income"] == Decimal("-3000.00") and got[3]["tax_paid"] == Decimal("-440.00")
    assert got[4]["withholding_agent"] is None  # "" is null
    assert (got[5]["taxpayer_id"], got[5]["taxpayer_id_raw"]) == (None, "F37000000012345678")
    assert got[5]["taxpayer_id_status"] == "malformed"


# --- public_housing ---------------------------------------------------------------------------------------

def test_public_housing_member_lists(settings: Settings) -> None:
    got = {r["family_no"]: r for r in rows(parse(settings, PUBLIC_HOUSING), "family")}
    first = got["GZ00001234"]
    assert [m["id_number"] for m in first["members"]] == [
        "370481197811053014", "370481198002122643", "370481200605301819"]
    assert first["monthly_subsidy"] == Decimal("360.00") and first["support_start_date"] == date(2021, 7, 1)
    trailing = got["GZ00001302"]
    assert trailing["member_ids_raw"] == "370481196001150424；"
    assert [m["id_number"] for m in trailing["members"]] == ["370481196001150424"]
    assert trailing["monthly_subsidy"] is None
    mixed = got["GZ00001400"]
    assert mixed["applicant_id"] == "37048119680917105X"
    assert [(m["id_number"], m["id_number_raw"]) for m in mixed["members"]] == [
        ("37048119680917105X", "37048119680917105X"), ("370481198503121235", " 370481198503121235")]
    assert all(m["id_number_status"] == "valid" for m in mixed["members"])
    assert [m["id_number"] for m in got["GZ00001401"]["members"]] == ["370481198503121235"]


def test_public_housing_split_members() -> None:
    from connectors.public_housing import members, split_members

    assert split_members("a;b；c; d;") == ["a", "b", "c", " d"]
    assert split_members(";；") == [] and split_members(None) == []
    out = members(pa.array(["370481520708002;370481195207080025", "12345", None])).to_pylist()
    assert out[0] == [{"id_number": "370481195207080025", "id_number_status": "legacy15",
                       "id_number_raw": "370481520708002"}]
    assert out[1] == [{"id_number": None, "id_number_status": "malformed", "id_number_raw": "12345"}]
    assert out[2] is None
