"""Tests of the simulator's own utilities: ID numbers and codes, delivery calendar, delivery writers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import python_calamine
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import calendar as cal
from simulator import deliver, ids

# --- ID numbers ----------------------------------------------------------------------------------


def test_check_char_examples_from_the_contract() -> None:
    assert ids.check_char("37048119850312123") == "5"
    assert ids.check_char("37048119680917105") == "X"
    assert ids.is_valid_id("370481198503121235")
    assert ids.is_valid_id("37048119680917105X")
    assert not ids.is_valid_id("370481198503121236")
    assert not ids.is_valid_id("37048119680917105x")  # lowercase is a quirk, not canonical
    assert not ids.is_valid_id("370481198502301230")  # 30 February
    assert not ids.is_valid_id(None)
    assert ids.from_legacy15("370481520708002") == "370481195207080025"
    assert ids.to_legacy15("370481195207080025") == "370481520708002"
    assert ids.to_legacy15("370481198503121235") is None  # born 1985: never had a 15-digit card


def test_make_ids_vectorised_matches_scalar() -> None:
    out = ids.make_ids(np.array(["370481", "370402"]), np.array(["1985-03-12", "1968-09-17"], dtype="datetime64[D]"),
                       np.array([123, 105]))
    assert list(out) == ["370481198503121235", "37040219680917105" + ids.check_char("37040219680917105")]
    assert ids.make_ids(np.array([], dtype="U6"), np.array([], dtype="datetime64[D]"), np.array([])).size == 0
    with pytest.raises(ValueError):
        ids.make_ids(np.array(["37048A"]), np.array(["1985-03-12"], dtype="datetime64[D]"), np.array([1]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(110000, 659999), st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
                          st.integers(0, 999)), min_size=1, max_size=20))
def test_make_ids_always_valid_and_parity_is_sex(rows: list[tuple[int, dt.date, int]]) -> None:
    area = np.array([f"{a:06d}" for a, _, _ in rows])
    birth = np.array([d for _, d, _ in rows], dtype="datetime64[D]")
    seq = np.array([s for _, _, s in rows])
    for (_, d, s), idn in zip(rows, ids.make_ids(area, birth, seq), strict=True):
        assert ids.is_valid_id(idn)
        assert idn[6:14] == d.strftime("%Y%m%d")
        assert ids.is_male(idn) == (s % 2 == 1)


@settings(max_examples=60, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(1984, 12, 31)), st.integers(0, 999))
def test_legacy15_round_trip(d: dt.date, s: int) -> None:
    idn = str(ids.make_ids(np.array(["370481"]), np.array([d], dtype="datetime64[D]"), np.array([s]))[0])
    legacy = ids.to_legacy15(idn)
    assert legacy is not None and len(legacy) == 15
    assert ids.from_legacy15(legacy) == idn
    assert ids.is_male(legacy) == ids.is_male(idn)


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"\A[0-9]{17}[0-9Xx]\Z", fullmatch=True))
def test_fullwidth_normalises_back(value: str) -> None:
    rendered = ids.render_fullwidth(value)
    assert all(0xFF10 <= ord(c) <= 0xFF19 or c in "\uff38\uff58" for c in rendered)
    assert unicodedata.normalize("NFKC", rendered) == value


def test_assign_seq_unique_and_parity() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    area = np.where(rng.random(n) < 0.9, "370481", "370402")
    birth = np.datetime64("1980-01-01") + rng.integers(0, 3, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    seq = ids.assign_seq(area, birth, male, rng)
    assert ((seq % 2 == 1) == male).all() and seq.min() >= 0 and seq.max() <= 999
    made = ids.make_ids(area, birth, seq)
    assert pd.Series(made).is_unique


def test_quirk_renderers() -> None:
    assert ids.render_lowercase_x("37048119680917105X") == "37048119680917105x"
    assert ids.render_lowercase_x("37048119680917105X44") == "37048119680917105x44"
    with pytest.raises(ValueError):
        ids.render_lowercase_x("370481198503121235")
    assert ids.render_masked("37048119680917105X") == "370481********105X"
    bad = ids.render_bad_check("370481198503121235")
    assert len(bad) == 18 and bad[:17] == "37048119850312123" and not ids.is_valid_id(bad)
    assert ids.render_spaces("1", " ", "\u3000") == " 1\u3000"
    assert ids.render_excel_text("370481198503121235") == "3.70481E+17"
    assert ids.render_excel_text("370481198503121235", 15) == "3.70481198503121E+17"
    # Excel keeps 15 significant digits: the 20-character 残疾人证号 loses its last 5
    assert ids.excel_float("37048119600115042442") == 37048119600115000000.0
    with pytest.raises(ValueError):
        ids.excel_float("37048119680917105X")


def _canonical(n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    birth = np.datetime64("1930-01-01") + rng.integers(0, 90 * 365, n).astype("timedelta64[D]")
    return pd.Series(ids.make_ids(np.full(n, "370481"), birth, rng.integers(0, 1000, n)).astype(object))


def test_apply_id_quirks_rates_eligibility_and_exclusivity() -> None:
    values = _canonical(40_000, 7)
    values.iloc[:100] = None
    rates = {"legacy_15": 0.02, "lowercase_x": 0.02, "fullwidth": 0.03, "spaces": 0.05, "bad_check": 0.02,
             "masked": 0.10, "excel_number": 0.02, "empty": 0.20}
    out, cats = ids.apply_id_quirks(values, None, rates, np.random.default_rng(3), u3000=True)
    n = len(values)
    assert out.index.equals(values.index) and cats.index.equals(values.index)
    assert out.iloc[:100].isna().all() and (cats.iloc[:100] == "").all()  # missing stays missing, no quirk
    for quirk, rate in rates.items():
        parts = cats.str.split("+")
        share = parts.apply(lambda p, q=quirk: q in p).sum() / n
        assert abs(share - rate) < 0.25 * rate + 0.002, (quirk, share)
    for i in np.flatnonzero(cats.str.contains("legacy_15")):
        assert int(values.iloc[i][6:10]) < 1985
    for i in np.flatnonzero(cats.str.contains("lowercase_x")):
        assert values.iloc[i].endswith("X")
    for exclusive in ("empty", "masked", "excel_number"):
        assert not cats[cats.str.contains(exclusive)].str.contains(r"\+").any()
    assert not cats.str.contains("legacy_15\\+lowercase_x|lowercase_x\\+bad_check").any()
    # the normal form of every rendered number that is not bad/masked/damaged/empty is the original
    plain = ~cats.str.contains("bad_check|masked|excel_number|empty") & values.notna()
    assert (out[plain].map(ids.normalise_id) == values[plain]).all()
    assert out[cats == "empty"].isna().all()
    assert out[cats == "masked"].str.fullmatch(r"\d{6}\*{8}[\dX]{4}").all()
    assert out[cats == "excel_number"].str.fullmatch(r"3\.\d+E\+17").all()
    assert out[cats.str.contains("spaces")].str.contains("\u3000").any()
    bad = out[cats == "bad_check"]
    assert bad.str.fullmatch(r"\d{17}[\dX]").all() and not bad.map(ids.is_valid_id).any()


def test_apply_id_quirks_deterministic_xlsx_floats_and_suffix() -> None:
    values = _canonical(5_000, 11)
    suffix = pd.Series(np.where(np.arange(5_000) % 2 == 0, "42", "13"))
    rates = {"excel_number": 0.05, "lowercase_x": 0.02, "spaces": 0.02}
    a = ids.apply_id_quirks(values, None, rates, np.random.default_rng(5), excel="xlsx", suffix=suffix)
    b = ids.apply_id_quirks(values, None, rates, np.random.default_rng(5), excel="xlsx", suffix=suffix)
    assert a[0].equals(b[0]) and a[1].equals(b[1])
    out, cats = a
    floats = out[cats == "excel_number"]
    assert len(floats) > 0 and all(isinstance(v, float) and v > 1e19 for v in floats)
    plain = out[cats == ""]
    assert (plain == values[cats == ""] + suffix[cats == ""]).all()
    assert out[cats == "lowercase_x"].str.fullmatch(r"\d{17}x\d\d").all()
    with pytest.raises(ValueError):
        ids.apply_id_quirks(values, None, {"typo": 0.1}, np.random.default_rng(0))


def test_apply_id_quirks_birth_year_narrows_legacy() -> None:
    values = _canonical(2_000, 2)
    years = pd.Series(np.full(2_000, 1990))  # caller says: nobody born before 1985
    _, cats = ids.apply_id_quirks(values, years, {"legacy_15": 0.05}, np.random.default_rng(0))
    assert (cats == "").all()


def test_uscc_and_org_codes() -> None:
    assert ids.uscc_check_char("91370481MA3C12345") == "3"
    assert ids.is_valid_uscc("91370481MA3C123453")
    assert not ids.is_valid_uscc("91370481MA3C123454")
    assert ids.org_code("D2143569") == "D2143569-X"  # the GB 11714 example
    assert ids.is_valid_org_code("D2143569-X") and not ids.is_valid_org_code("D2143569-1")
    codes = ids.make_usccs(2_000, "2", np.random.default_rng(0))
    assert len(set(codes)) == 2_000
    assert all(ids.is_valid_uscc(c) and c.startswith("92370481") for c in codes)
    assert all(ids.is_valid_org_code(ids.org_code_of_uscc(c)) for c in codes)
    orgs = ids.make_org_codes(500, np.random.default_rng(0))
    assert len(set(orgs)) == 500 and all(re.fullmatch(r"\d{8}-[\dX]", o) and ids.is_valid_org_code(o) for o in orgs)
    with pytest.raises(ValueError):
        ids.uscc("4", "MA3C12345")


# --- calendar ------------------------------------------------------------------------------------


def test_calendar() -> None:
    assert cal.is_working_day(dt.date(2025, 3, 7)) and not cal.is_working_day(dt.date(2025, 3, 8))
    assert cal.next_working_day_on_or_after(dt.date(2025, 4, 5)) == dt.date(2025, 4, 7)
    assert cal.next_working_day_on_or_after(dt.date(2025, 4, 7)) == dt.date(2025, 4, 7)
    assert cal.monthly_delivery_date(2025, 4, 20) == dt.date(2025, 4, 21)  # tax: 20th is a Sunday
    assert cal.monthly_delivery_date(2025, 1, 5) == dt.date(2025, 1, 6)  # disability
    assert cal.monthly_delivery_date(2025, 5, 3, holidays_included=True) == dt.date(2025, 5, 3)  # housing_fund
    assert cal.add_working_days(dt.date(2025, 3, 7), 1) == dt.date(2025, 3, 10)
    assert cal.month_add("202501", -1) == "202412" and cal.month_add("202412", 14) == "202602"
    assert cal.months_between("202412", "202502") == 2 and cal.months_between("202502", "202412") == -2
    assert cal.last_day_of_month(2024, 2) == dt.date(2024, 2, 29)
    assert cal.last_day_of_month(2025, 12) == dt.date(2025, 12, 31)
    assert cal.month_end("202502") == dt.date(2025, 2, 28) and cal.yyyymm(dt.date(2025, 3, 1)) == "202503"
    assert len(cal.date_range(dt.date(2025, 1, 30), dt.date(2025, 2, 2))) == 4
    with pytest.raises(ValueError):
        cal.month_add("202513", 1)


# --- CSV -----------------------------------------------------------------------------------------

FRAME = pd.DataFrame({
    "姓名": ["张三", "𠀾丽", None, "", 'say "hi"', "a,b", "l1\nl2", "c\r\nd"],
    "编号": ["1", "0012", "3", "4", "5", "6", "7", None],
})


def test_csv_minimal_utf8_bom_crlf(tmp_path: Path) -> None:
    p = tmp_path / "X_20250301.csv"
    rows = deliver.write_csv(p, FRAME, encoding="utf-8", bom=True, quoting="minimal", line_ending="\r\n")
    assert rows == 8
    expected = ('姓名,编号\r\n张三,1\r\n𠀾丽,0012\r\n,3\r\n,4\r\n"say ""hi""",5\r\n"a,b",6\r\n'
                '"l1\nl2",7\r\n"c\r\nd",\r\n')
    assert p.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")


def test_csv_all_quoted_lf(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    deliver.write_csv(p, FRAME, encoding="utf-8", bom=False, quoting="all", line_ending="\n")
    expected = ('"姓名","编号"\n"张三","1"\n"𠀾丽","0012"\n"","3"\n"","4"\n"say ""hi""","5"\n"a,b","6"\n'
                '"l1\nl2","7"\n"c\r\nd",""\n')
    assert p.read_bytes() == expected.encode("utf-8")


def test_csv_gb18030_four_byte_character(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    deliver.write_csv(p, FRAME.iloc[:2], encoding="gb18030", bom=False, quoting="minimal", line_ending="\r\n")
    data = p.read_bytes()
    assert data == "姓名,编号\r\n张三,1\r\n𠀾丽,0012\r\n".encode("gb18030")
    assert "𠀾".encode("gb18030") in data and len("𠀾".encode("gb18030")) == 4
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    with pytest.raises(ValueError):
        deliver.write_csv(p, FRAME, encoding="gb18030", bom=True, quoting="minimal", line_ending="\r\n")


def test_csv_header_only_and_type_errors(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    empty = pd.DataFrame({"a": pd.Series([], dtype=object), "b": pd.Series([], dtype=object)})
    assert deliver.write_csv(p, empty, encoding="utf-8", bom=False, quoting="all", line_ending="\n") == 0
    assert p.read_bytes() == b'"a","b"\n'
    for bad in (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": ["x", 1]}, dtype=object),
                pd.DataFrame({"a": [1.5, None]})):
        with pytest.raises(TypeError):
            deliver.write_csv(p, bad, encoding="utf-8", bom=False, quoting="minimal", line_ending="\n")
    all_null = pd.DataFrame({"a": [None, None], "b": ["x", "y"]})
    deliver.write_csv(p, all_null, encoding="utf-8", bom=False, quoting="minimal", line_ending="\n")
    assert p.read_bytes() == b"a,b\n,x\n,y\n"
    n = deliver.write_csv(p, all_null, encoding="utf-8", bom=False, quoting="minimal", line_ending="\r\n",
                          tail_lines=["", ","])
    assert n == 4 and p.read_bytes() == b"a,b\r\n,x\r\n,y\r\n\r\n,\r\n"


def _reference_csv(df: pd.DataFrame, quoting: str, le: str) -> str:
    def field(v: object) -> str:
        text = "" if v is None else str(v)
        if quoting == "all" or any(c in text for c in ',"\r\n'):
            return '"' + text.replace('"', '""') + '"'
        return text
    lines = [",".join(field(c) for c in df.columns)]
    lines += [",".join(field(v) for v in row) for row in df.astype(object).where(df.notna(), None).itertuples(
        index=False, name=None)]
    return "".join(line + le for line in lines)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.one_of(st.none(), st.text(alphabet=',"\r\n ab张𠀾', max_size=6))] * 3),
                min_size=0, max_size=30),
       st.sampled_from(["minimal", "all"]), st.sampled_from(["\r\n", "\n"]))
def test_csv_matches_reference_across_chunks(rows: list[tuple], quoting: str, le: str) -> None:
    df = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    old = deliver._CSV_CHUNK_ROWS
    deliver._CSV_CHUNK_ROWS = 7  # force several chunks
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "h.csv"
            deliver.write_csv(path, df, encoding="utf-8", bom=False, quoting=quoting, line_ending=le)
            text = path.read_bytes().decode("utf-8")
    finally:
        deliver._CSV_CHUNK_ROWS = old
    assert text == _reference_csv(df, quoting, le)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert len(parsed) == len(rows) + 1
    assert [[v or None for v in r] for r in parsed[1:]] == [[v or None for v in r] for r in rows]


def test_csv_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        deliver.write_csv(p, FRAME, encoding="gb18030", bom=False, quoting="minimal", line_ending="\r\n")
    assert a.read_bytes() == b.read_bytes()


# --- markers and names ---------------------------------------------------------------------------


def test_markers(tmp_path: Path) -> None:
    p = tmp_path / "SWZM_20250301.csv"
    rows = deliver.write_csv(p, FRAME, encoding="utf-8", bom=True, quoting="minimal", line_ending="\n")
    marker = deliver.write_marker(p, rows)
    assert marker == tmp_path / "SWZM_20250301.ok"
    sha = hashlib.sha256(p.read_bytes()).hexdigest()
    assert marker.read_bytes() == f"rows=8\nsha256={sha}\n".encode("ascii")
    deliver.write_broken_marker(p, rows, "rows")
    assert marker.read_text().startswith("rows=9\n") and sha in marker.read_text()
    deliver.write_broken_marker(p, rows, "sha256")
    assert marker.read_text().startswith("rows=8\n") and sha not in marker.read_text()
    full = p.read_bytes()
    deliver.write_broken_marker(p, rows, "truncated")
    assert marker.read_text() == f"rows=8\nsha256={sha}\n" and len(p.read_bytes()) < len(full)


def test_redelivery_names_match_contract_regexes() -> None:
    regexes = {
        "HJRK_20250301.csv": r"^HJRK_(\d{8})(_R\d+)?\.csv$",
        "SCZT_RY_20250305.csv": r"^SCZT_RY_(\d{8})(_R\d+)?\.csv$",
        "CJR_202502.xlsx": r"^CJR_(\d{6})(_R\d+)?\.xlsx$",
        "GS_202502.csv": r"^GS_(\d{6})(_R\d+)?\.csv$",
        "HDR_HD370481202503010001.json": r"^HDR_(HD370481\d{12})(_R\d+)?\.json$",
    }
    for name, rx in regexes.items():
        for n in (1, 2, 12):
            again = deliver.redelivery_name(name, n)
            assert re.match(rx, again) and again.endswith(f"_R{n}." + name.rsplit(".", 1)[1])
            assert deliver.marker_path(Path(again)).name == again.rsplit(".", 1)[0] + ".ok"
    with pytest.raises(ValueError):
        deliver.redelivery_name("HJRK_20250301_R1.csv", 2)
    with pytest.raises(ValueError):
        deliver.redelivery_name("HJRK_20250301.csv", 0)


def test_excel_lock_file_does_not_match_regex(tmp_path: Path) -> None:
    lock = deliver.write_excel_lock_file(tmp_path / "CJR_202502.xlsx")
    assert lock.name == "~$CJR_202502.xlsx" and not re.match(r"^CJR_(\d{6})(_R\d+)?\.xlsx$", lock.name)


# --- JSON ----------------------------------------------------------------------------------------


def test_json(tmp_path: Path) -> None:
    p = tmp_path / "HDR_x.json"
    obj = {"批次号": "HD370481202503010001", "结果": [{"姓名": "张三", "余额": "12.50", "备注": None}]}
    deliver.write_json(p, obj)
    data = p.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and "张三".encode() in data
    assert data.index("批次号".encode()) < data.index("结果".encode())
    assert json.loads(data) == obj
    deliver.write_json(p, obj, indent=None)
    assert p.read_bytes() == (json.dumps(obj, ensure_ascii=False) + "\n").encode()


# --- XLSX ----------------------------------------------------------------------------------------

HEADER = ["残疾人证号", "姓名", "性别", "残疾类别", "残疾等级", "发证日期", "证件状态", "户籍地址", "监护人姓名",
          "联系电话", "困难残疾人生活补贴", "重度残疾人护理补贴"]


def _disability_sheets(footer: bool) -> list[deliver.SheetSpec]:
    rows = pd.DataFrame([
        ["37048119600115042442", "赵桂兰", "女", "肢体", "二级", dt.date(2019, 6, 12), "有效",
         "山东省滕州市级索镇前李村35号", None, "13863212345", "否", "是"],
        [" 37048120080922361351", "孙  浩", "男", "智力", "一级", "2021.03.08", "有效",
         "山东省滕州市龙泉街道文化路8号", "孙立新", 15906321234, "是", "是"],
        [ids.excel_float("37048119600115042442"), "李四", "男", "视力", "四级",
         deliver.DateCell(dt.date(2024, 7, 3), "yyyy/m/d"), "过期", "x", None, None, "否", "否"],
    ], columns=HEADER)
    main = deliver.SheetSpec("持证残疾人", HEADER, rows,
                             title_rows=["滕州市持证残疾人信息表", "统计日期：2025年02月28日"],
                             footer="合计：3人" if footer else None, trailing_formatted_rows=3)
    return [main, deliver.SheetSpec("Sheet2"), deliver.SheetSpec("Sheet3")]


def test_xlsx_round_trip_with_calamine(tmp_path: Path) -> None:
    p = tmp_path / "CJR_202502.xlsx"
    assert deliver.write_xlsx(p, _disability_sheets(footer=True)) == [3, 0, 0]
    wb = python_calamine.CalamineWorkbook.from_path(str(p))
    assert wb.sheet_names == ["持证残疾人", "Sheet2", "Sheet3"]
    sheet = wb.get_sheet_by_name("持证残疾人")
    data = sheet.to_python(skip_empty_area=False)
    assert data[0][0] == "滕州市持证残疾人信息表" and data[1][0] == "统计日期：2025年02月28日"
    assert data[2] == HEADER
    r4, r5, r6 = data[3], data[4], data[5]
    assert r4[0] == "37048119600115042442" and r4[5] == dt.date(2019, 6, 12) and r4[8] == ""
    assert r4[9] == "13863212345"  # text cell stays text
    assert r5[0] == " 37048120080922361351" and r5[5] == "2021.03.08"  # text date stays text
    assert r5[9] == 15906321234.0 and isinstance(r5[9], float)  # number cell
    assert r6[0] == 3.7048119600115e19 and r6[5] == dt.date(2024, 7, 3)
    assert data[6][0] == "合计：3人" and all(v == "" for v in data[6][1:])
    assert ((0, 0), (0, 11)) in sheet.merged_cell_ranges and ((1, 0), (1, 11)) in sheet.merged_cell_ranges
    assert wb.get_sheet_by_name("Sheet2").to_python() == []
    with zipfile.ZipFile(p) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert '<dimension ref="A1:L10"/>' in xml  # 2 title + header + 3 data + footer + 3 formatted rows
    assert re.search(r'<row r="10"[^>]*><c r="A10" s="\d+"/>', xml)  # formatted but empty
    assert "yyyy/m/d" in styles and "yyyy-mm-dd" in styles


def test_xlsx_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    deliver.write_xlsx(a, _disability_sheets(footer=False))
    deliver.write_xlsx(b, _disability_sheets(footer=False))
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert "2025-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_xlsx_rejects_unknown_cells(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        deliver.write_xlsx(tmp_path / "x.xlsx", [deliver.SheetSpec("S", ["a"], [[True]])])


# --- SQL -----------------------------------------------------------------------------------------

DDL = deliver.TableDDL(columns=(
    deliver.ColumnDDL("登记编号", "VARCHAR(20)", nullable=False),
    deliver.ColumnDDL("金额", "NUMERIC(12,2)"),
    deliver.ColumnDDL("次数", "INTEGER"),
    deliver.ColumnDDL("死亡日期", "DATE"),
    deliver.ColumnDDL("更新时间", "TIMESTAMP(0)", nullable=False),
    deliver.ColumnDDL("删除标志", "CHAR(1)", nullable=False),
), key=("登记编号",))


def _sql_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "登记编号": ["HH202501220001", "HH202501220002", "HH202501220003"],
        "金额": [1200.0, 1234.5, np.nan],
        "次数": pd.array([1, None, 3], dtype="Int64"),
        "死亡日期": pd.to_datetime(["2025-01-20", "2025-01-21", None]),
        "更新时间": pd.to_datetime(["2025-01-22 08:00:01.7", "2025-01-22 09:30:00", "2025-01-23 00:00:00"], format="ISO8601"),
        "删除标志": ["0", "0", "1"],
    })


def test_sql_sqlite_affinities_and_texts(tmp_path: Path) -> None:
    db = tmp_path / "landing" / "frontdb" / "cremation.sqlite"
    url = f"sqlite:///{db}"
    other = pd.DataFrame({"登记编号": ["A"], "金额": ["1.00"], "次数": [1], "死亡日期": ["2025-01-01"],
                          "更新时间": ["2025-01-01 00:00:00"], "删除标志": ["0"]})
    assert deliver.write_sql_tables(url, {"t_other": (DDL, other)}, replace=True) == {"t_other": 1}
    assert deliver.write_sql_tables(url, {"t_hhdj": (DDL, _sql_frame())}, replace=True) == {"t_hhdj": 3}
    with sqlite3.connect(db) as con:
        got = con.execute('SELECT "金额", typeof("金额"), "次数", "死亡日期", typeof("死亡日期"), "更新时间", '
                          '"删除标志", typeof("删除标志") FROM t_hhdj ORDER BY 1 IS NULL, "登记编号"').fetchall()
        ddl_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 't_hhdj'").fetchone()[0]
        assert con.execute("SELECT count(*) FROM t_other").fetchone() == (1,)
    assert got == [
        (1200, "integer", 1, "2025-01-20", "text", "2025-01-22 08:00:01", "0", "text"),
        (1234.5, "real", None, "2025-01-21", "text", "2025-01-22 09:30:00", "0", "text"),
        (None, "null", 3, None, "null", "2025-01-23 00:00:00", "1", "text"),
    ]
    assert 'PRIMARY KEY ("登记编号")' in ddl_sql and '"更新时间" TIMESTAMP NOT NULL' in ddl_sql

    # a nightly push: upsert by key, text values accepted as given
    push = pd.DataFrame({"登记编号": ["HH202501220002", "HH202501230001"], "金额": ["99.90", "0.50"],
                         "次数": [2, 1], "死亡日期": ["2025-01-21", "2025-01-22"],
                         "更新时间": ["2025-01-23 10:00:00", "2025-01-23 11:00:00"], "删除标志": ["1", "0"]})
    deliver.write_sql_tables(url, {"t_hhdj": (DDL, push)}, replace=False)
    with sqlite3.connect(db) as con:
        rows = con.execute('SELECT "登记编号", "金额", "删除标志" FROM t_hhdj ORDER BY 1').fetchall()
    assert rows == [("HH202501220001", 1200, "0"), ("HH202501220002", 99.9, "1"),
                    ("HH202501220003", None, "1"), ("HH202501230001", 0.5, "0")]

    # SQLAlchemy Core through the same types writes the same texts (no microseconds)
    table = deliver.sa_table("t_hhdj", DDL)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"登记编号": "X1", "金额": 5, "次数": 1, "死亡日期": dt.date(2025, 2, 1),
                                       "更新时间": dt.datetime(2025, 2, 2, 3, 4, 5, 678), "删除标志": "0"}])
        got = conn.execute(sa.text('SELECT "死亡日期", "更新时间" FROM t_hhdj WHERE "登记编号" = \'X1\'')).one()
        back = conn.execute(sa.select(table.c["更新时间"]).where(table.c["登记编号"] == "HH202501220001")).scalar()
    engine.dispose()
    assert tuple(got) == ("2025-02-01", "2025-02-02 03:04:05")
    assert back == dt.datetime(2025, 1, 22, 8, 0, 1)


def test_sql_chunks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'si.sqlite'}"
    frame = _sql_frame()
    chunks = [("a", frame.iloc[:2]), ("b", frame), ("a", frame.iloc[2:])]
    assert deliver.write_sql_chunks(url, {"a": DDL, "b": DDL}, iter(chunks)) == {"a": 3, "b": 3}
    with sqlite3.connect(tmp_path / "si.sqlite") as con:
        assert con.execute('SELECT count(*), max("更新时间") FROM a').fetchone() == (3, "2025-01-23 00:00:00")


def test_sql_validation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    bad_null = _sql_frame().assign(删除标志=[None, "0", "0"])
    with pytest.raises(ValueError):
        deliver.write_sql_tables(url, {"t": (DDL, bad_null)}, replace=True)
    with pytest.raises(ValueError):
        deliver.write_sql_tables(url, {"t": (DDL, _sql_frame().assign(删除标志=["01", "0", "0"]))}, replace=True)
    with pytest.raises(ValueError):
        deliver.write_sql_tables(url, {"t": (DDL, _sql_frame().assign(金额=["1.234", "1", "2"]))}, replace=True)
    with pytest.raises(ValueError):
        deliver.write_sql_tables(url, {"t": (DDL, _sql_frame()[["删除标志", "登记编号"]])}, replace=True)
    with pytest.raises(ValueError):
        deliver.TableDDL(columns=(deliver.ColumnDDL("a", "INTEGER"),), key=("b",))
    with pytest.raises(ValueError):
        deliver.parse_sql_type("TEXT")


@pytest.mark.postgres
def test_sql_postgres_round_trip(pg_url: str) -> None:
    names = ("t_simutils_a", "t_simutils_b")
    try:
        deliver.write_sql_tables(pg_url, {names[1]: (DDL, _sql_frame())}, replace=True)
        deliver.write_sql_tables(pg_url, {names[0]: (DDL, _sql_frame())}, replace=True)
        push = _sql_frame().iloc[[1]].assign(金额=[7.0], 删除标志=["1"])
        deliver.write_sql_tables(pg_url, {names[0]: (DDL, push)}, replace=False)
        engine = sa.create_engine(pg_url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f'SELECT "登记编号", "金额", "次数", "死亡日期", "更新时间", "删除标志" '
                                        f'FROM {names[0]} ORDER BY 1')).all()
            other = conn.execute(sa.text(f"SELECT count(*) FROM {names[1]}")).scalar()
            kinds = dict(conn.execute(sa.text(
                "SELECT column_name, data_type FROM information_schema.columns "
                f"WHERE table_schema = 'public' AND table_name = '{names[0]}'")).all())
        engine.dispose()
        assert other == 3
        assert rows[0][1:] == (pytest.approx(1200), 1, dt.date(2025, 1, 20), dt.datetime(2025, 1, 22, 8, 0, 1), "0")
        assert str(rows[1][1]) == "7.00" and rows[1][5] == "1"
        assert rows[2][1] is None and rows[2][3] is None
        assert kinds["更新时间"] == "timestamp without time zone" and kinds["金额"] == "numeric"
    finally:
        engine = sa.create_engine(pg_url)
        with engine.begin() as conn:
            for n in names:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {n}"))
        engine.dispose()
