"""Tests of safetynet.idnumber: contract examples (sources/README.md sections 10-11) and properties."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetynet.idnumber import (
    FIX_NAMES,
    STATUSES,
    IdResult,
    birth_date_of,
    check_char,
    classify_identifier,
    id_from_cert,
    is_legacy_org_code,
    is_valid_id,
    is_valid_uscc,
    normalize_id,
    normalize_ids,
    register_duckdb,
    sex_of,
    upgrade_legacy15,
    uscc_check_char,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
AREAS = ["370481", "370402", "370403", "370404", "370405", "370406", "370826", "370883",
         "320322", "341221", "411522"]
FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789Xx*"}
SPACES = " \u3000\t"
INVISIBLES = ["\u200b", "\ufeff", "\u00a0", "\u200d", "\u2060"]

# --- strategies ------------------------------------------------------------------------------------------

areas = st.one_of(st.sampled_from(AREAS), st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@st.composite
def id18s(draw: st.DrawFn, births: st.SearchStrategy[date] = births) -> str:
    first17 = f"{draw(areas)}{draw(births):%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + check_char(first17)


def _fullwidth(draw: st.DrawFn, text: str) -> str:
    positions = draw(st.sets(st.integers(0, len(text) - 1), min_size=1))
    return "".join(FULLWIDTH.get(c, c) if i in positions else c for i, c in enumerate(text))


def _pad(draw: st.DrawFn, text: str) -> str:
    lead = draw(st.text(alphabet=SPACES, max_size=3))
    trail = draw(st.text(alphabet=SPACES, min_size=0 if lead else 1, max_size=3))
    return lead + text + trail


def _invisible(draw: st.DrawFn, text: str) -> str:
    inserts = draw(st.lists(st.tuples(st.integers(0, len(text)), st.sampled_from(INVISIBLES)),
                            min_size=1, max_size=3))
    for pos, ch in sorted(inserts, reverse=True):
        text = text[:pos] + ch + text[pos:]
    return text


@st.composite
def rendered_ids(draw: st.DrawFn) -> tuple[str, str, set[str]]:
    """(canonical id, rendering through random combinations of quirks, the fixes expected)."""
    id18 = draw(id18s())
    text, applied = id18, set()
    if birth_date_of(id18) < date(1985, 1, 1) and draw(st.booleans()):
        text, applied = id18[:6] + id18[8:17], {"legacy15"}
    elif id18.endswith("X") and draw(st.booleans()):
        text, applied = id18[:-1] + "x", {"lowercase_x"}
    if draw(st.booleans()):
        text = _fullwidth(draw, text)
        applied.add("fullwidth")
    if draw(st.booleans()):
        text = _pad(draw, text)
        applied.add("spaces")
    if draw(st.booleans()):
        text = _invisible(draw, text)
        applied.add("invisible")
    return id18, text, applied


# --- contract examples -----------------------------------------------------------------------------------

def test_contract_examples() -> None:
    assert normalize_id("370481520708002") == IdResult("370481195207080025", "legacy15", ("legacy15",))
    assert normalize_id("37048119680917105X").status == "valid"
    assert normalize_id("37048119680917105X").trusted
    r = normalize_id("370481198503121235")
    assert (r.normal, r.status, r.trusted, r.fixes) == ("370481198503121235", "valid", True, ())
    assert birth_date_of("370481198503121235") == date(1985, 3, 12)
    assert sex_of("370481198503121235") == "男"
    assert sex_of("37048119680917105X") == "男"  # digit 17 = 5
    assert sex_of("370481195207080025") == "女"  # digit 17 = 2
    assert upgrade_legacy15("370481520708002") == "370481195207080025"
    assert is_valid_uscc("91370481MA3C123453")
    assert is_legacy_org_code("16345678-9")


@pytest.mark.parametrize(
    ("raw", "normal", "status", "fixes"),
    [
        ("37048119680917105x", "37048119680917105X", "valid", ("lowercase_x",)),
        (" ３７０４８１１９８５０３１２１２３５\u3000", "370481198503121235", "valid", ("fullwidth", "spaces")),
        ("３７０４８１１９６８０９１７１０５ｘ", "37048119680917105X", "valid", ("fullwidth", "lowercase_x")),
        ("\u200b370481198503121235\ufeff", "370481198503121235", "valid", ("invisible",)),
        ("370481198503121235\u00a0", "370481198503121235", "valid", ("invisible",)),
        ("370481 198503121235", "370481198503121235", "valid", ("spaces",)),
        ("370481198503121234", "370481198503121234", "bad_check", ()),
        ("370481198513121235", "370481198513121235", "bad_date", ()),  # month 13
        ("370481190002291234", "370481190002291234", "bad_date", ()),  # 1900 is not a leap year
        ("370481521308002", "370481521308002", "bad_date", ()),
        ("370481********123X", "370481********123X", "masked", ()),
        ("370481********123x ", "370481********123X", "masked", ("spaces", "lowercase_x")),
        ("３７０４８１＊＊＊＊＊＊＊＊１２３Ｘ", "370481********123X", "masked", ("fullwidth",)),
        ("3.70481E+17", None, "excel_damaged", ()),
        ("3.70481198503121E+17", None, "excel_damaged", ()),
        ("3.70481e+17", None, "excel_damaged", ()),
        ("370481198503121000.0", None, "excel_damaged", ()),
        (3.70481198503121e17, None, "excel_damaged", ()),
        (None, None, "empty", ()),
        (float("nan"), None, "empty", ()),
        (pd.NA, None, "empty", ()),
        ("", None, "empty", ()),
        (" \u3000 ", None, "empty", ("spaces",)),
        ("37048119850312123", None, "malformed", ()),
        ("3704811985031212355", None, "malformed", ()),
        ("X70481198503121235", None, "malformed", ()),
        ("张三", None, "malformed", ()),
        ("91370481MA3C123453", None, "malformed", ()),
        (370481198503121235, "370481198503121235", "valid", ()),
        (True, None, "malformed", ()),
    ],
)
def test_examples(raw: object, normal: str | None, status: str, fixes: tuple[str, ...]) -> None:
    r = normalize_id(raw)
    assert (r.normal, r.status, r.fixes) == (normal, status, fixes)
    assert r.trusted == (status in ("valid", "legacy15"))


def test_check_char_matches_weight_definition() -> None:
    for first17 in ("37048119850312123", "37048119680917105", "00000000000000000", "99999999999999999"):
        assert check_char(first17) == "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]
    with pytest.raises(ValueError):
        check_char("3704811985031212")
    with pytest.raises(ValueError):
        check_char("٣٧٠٤٨١١٩٨٥٠٣١٢١٢٣")  # non-ASCII digits are not digits here


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_property(first17: str) -> None:
    assert check_char(first17) == "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def test_is_valid_id_is_strict() -> None:
    assert is_valid_id("370481198503121235")
    assert not is_valid_id("37048119680917105x")  # no cleaning here
    assert not is_valid_id(" 370481198503121235")
    assert not is_valid_id("370481520708002")
    assert not is_valid_id(None)


def test_birth_and_sex_reject_garbage() -> None:
    with pytest.raises(ValueError):
        birth_date_of("370481198513121235")
    with pytest.raises(ValueError):
        sex_of("abc")
    assert birth_date_of("370481520708002") == date(1952, 7, 8)
    assert sex_of("370481520708002") == "女"


# --- properties ------------------------------------------------------------------------------------------

@given(rendered_ids())
def test_normalisation_recovers_quirky_renderings(case: tuple[str, str, set[str]]) -> None:
    id18, text, applied = case
    r = normalize_id(text)
    assert r.normal == id18
    assert r.status == ("legacy15" if "legacy15" in applied else "valid")
    assert r.trusted
    assert set(r.fixes) == applied
    assert list(r.fixes) == [f for f in FIX_NAMES if f in applied]
    assert birth_date_of(r.normal) == birth_date_of(id18)
    assert sex_of(r.normal) == sex_of(id18)


@given(id18s(), st.data())
def test_wrong_check_char_is_flagged_not_fixed(id18: str, data: st.DataObject) -> None:
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != id18[-1]]))
    bad = id18[:-1] + wrong
    r = normalize_id(bad)
    assert (r.normal, r.status, r.trusted) == (bad, "bad_check", False)
    if data.draw(st.booleans()):  # quirks on top are still cleaned, but the number stays untrusted
        r2 = normalize_id(" " + "".join(FULLWIDTH[c] for c in bad.lower()))
        assert (r2.normal, r2.status, r2.trusted) == (bad, "bad_check", False)


@given(id18s(), st.sampled_from([0, 1, 2, 3, 4, 5, 14, 15, 16]), st.integers(1, 9))
def test_one_mistyped_digit_is_always_caught(id18: str, pos: int, delta: int) -> None:
    digit = (int(id18[pos]) + delta) % 10
    r = normalize_id(id18[:pos] + str(digit) + id18[pos + 1:])
    assert r.status == "bad_check" and not r.trusted


@given(id18s(), st.booleans(), st.booleans())
def test_masked_is_recognised_and_never_trusted(id18: str, pad: bool, wide: bool) -> None:
    masked = id18[:6] + "*" * 8 + id18[-4:]
    text = "".join(FULLWIDTH[c] for c in masked) if wide else masked
    text = f" {text}\u3000" if pad else text
    r = normalize_id(text)
    assert (r.normal, r.status, r.trusted) == (masked, "masked", False)


@given(id18s().filter(lambda s: not s.endswith("X")), st.integers(0, 3))
def test_excel_forms_are_recognised_and_never_trusted(id18: str, form: int) -> None:
    value = float(id18)
    rendered: object = [value, f"{value:.5E}", f"{value:.14E}", f"{value:.14E}".replace("0E", "E")][form]
    r = normalize_id(rendered)
    assert (r.normal, r.status, r.trusted) == (None, "excel_damaged", False)


@given(st.one_of(st.text(), st.text(alphabet="0123456789Xx*.E+ \u3000０１２３４５６７８９Ｘ\u200b", max_size=22)))
def test_never_raises_and_is_consistent(raw: str) -> None:
    r = normalize_id(raw)
    assert r.status in STATUSES
    assert set(r.fixes) <= set(FIX_NAMES)
    if r.trusted:
        assert is_valid_id(r.normal)
        assert normalize_id(r.normal) == IdResult(r.normal, "valid")  # normal form is a fixed point
    if r.status in ("empty", "malformed", "excel_damaged"):
        assert r.normal is None


# --- disability certificate numbers ----------------------------------------------------------------------

@given(id18s(), st.integers(1, 7), st.integers(1, 4), st.booleans(), st.booleans(), st.booleans())
def test_cert_quirks(id18: str, cat: int, grade: int, lower: bool, wide: bool, pad: bool) -> None:
    cert = f"{id18}{cat}{grade}"
    text = cert
    if lower and id18.endswith("X"):
        text = text[:17] + "x" + text[18:]
    if wide:
        text = "".join(FULLWIDTH.get(c, c) for c in text)
    if pad:
        text = f"\u3000{text}  "
    r, c, g = id_from_cert(text)
    assert (r.normal, r.status, c, g) == (id18, "valid", str(cat), str(grade))


@given(id18s().filter(lambda s: not s.endswith("X")), st.integers(1, 7), st.integers(1, 4), st.integers(0, 2))
def test_cert_excel_damage(id18: str, cat: int, grade: int, form: int) -> None:
    cert = f"{id18}{cat}{grade}"
    rendered: object = [float(cert), cert[:15] + "00000", f"{float(cert):.14E}"][form]
    r, c, g = id_from_cert(rendered)
    assert (r.status, r.trusted, c, g) == ("excel_damaged", False, None, None)


def test_cert_examples() -> None:
    assert id_from_cert("37048119600115042442") == (IdResult("370481196001150424", "valid"), "4", "2")
    r, c, g = id_from_cert(" 37048120080922361351")
    assert (r.status, r.fixes, c, g) == ("valid", ("spaces",), "5", "1")
    assert id_from_cert(3.7048119600115e19)[0].status == "excel_damaged"
    assert id_from_cert("3.70481196001150E+19")[0].status == "excel_damaged"
    assert id_from_cert("37048119600115000000") == (IdResult(None, "excel_damaged"), None, None)
    assert id_from_cert("37048119600115042342")[0].status == "bad_check"
    assert id_from_cert(None) == (IdResult(None, "empty"), None, None)
    assert id_from_cert("370481196001150424")[0].status == "malformed"


# --- organisations ---------------------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.data())
def test_uscc_property(first17: str, data: st.DataObject) -> None:
    code = first17 + uscc_check_char(first17)
    assert is_valid_uscc(code)
    wrong = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[-1]]))
    assert not is_valid_uscc(first17 + wrong)


def test_uscc_and_org_codes() -> None:
    assert not is_valid_uscc("91370481MA3C123454")
    assert not is_valid_uscc("91370481MA3C12345I")  # I is not in the alphabet
    assert not is_valid_uscc(None)
    assert not is_legacy_org_code("163456789")
    assert not is_legacy_org_code("1634567-89")
    assert is_legacy_org_code("MA3C1234-X")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("370481198503121235", "person"),
        ("370481520708002", "person"),
        ("37048119680917105x", "person"),
        ("91370481MA3C123453", "organisation"),
        ("16345678-9", "organisation"),
        ("370481198503121234", "unknown"),  # bad check: neither a person nor a valid code
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_classify_identifier(raw: str | None, kind: str) -> None:
    assert classify_identifier(raw) == kind


# --- vectorised paths ------------------------------------------------------------------------------------

mixed_values = st.lists(
    st.one_of(
        rendered_ids().map(lambda c: c[1]),
        id18s(),
        st.none(),
        st.sampled_from(["370481198503121234", "3.70481E+17", "370481********123X", "", "abc", "370481520708002"]),
    ),
    max_size=40,
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mixed_values)
def test_vectorised_equals_scalar(values: list[str | None]) -> None:
    expected_normal = [normalize_id(v).normal for v in values]
    expected_status = [normalize_id(v).status for v in values]
    normal, status = normalize_ids(pa.array(values, pa.string()))
    assert normal.to_pylist() == expected_normal and status.to_pylist() == expected_status
    series = pd.Series(values, index=range(10, 10 + len(values)), dtype=object, name="证件号码")
    normal_s, status_s = normalize_ids(series)
    assert list(normal_s) == expected_normal and list(status_s) == expected_status
    assert list(normal_s.index) == list(series.index) and normal_s.name == "证件号码"
    assert normalize_ids(values) == (expected_normal, expected_status)


def test_vectorised_other_inputs() -> None:
    values = ["370481520708002", None, "370481198503121235", "x"]
    normal, status = normalize_ids(pa.chunked_array([values[:2], values[2:]]))
    assert status.to_pylist() == ["legacy15", "empty", "valid", "malformed"]
    normal, status = normalize_ids(pa.array([3.7e17, None, float("nan")]))
    assert status.to_pylist() == ["excel_damaged", "empty", "empty"]
    normal, status = normalize_ids(pd.Series([1.5, "370481520708002", None], dtype=object))
    assert list(status) == ["excel_damaged", "legacy15", "empty"]
    normal, status = normalize_ids(pa.array(values, pa.large_string()).slice(1))
    assert normal.to_pylist() == [None, "370481198503121235", None]
    normal, status = normalize_ids(pa.array(values).dictionary_encode())
    assert status.to_pylist() == ["legacy15", "empty", "valid", "malformed"]


def test_duckdb_functions() -> None:
    con = duckdb.connect()
    register_duckdb(con)
    rows = con.sql(
        "SELECT sn_id_normal(x), sn_id_status(x), sn_id_trusted(x) "
        "FROM (VALUES (1, '370481520708002'), (2, NULL), (3, '370481198503121234')) t(i, x) ORDER BY i"
    ).fetchall()
    assert rows == [
        ("370481195207080025", "legacy15", True),
        (None, "empty", False),
        ("370481198503121234", "bad_check", False),
    ]
