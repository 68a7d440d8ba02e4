"""The one normalisation library for 公民身份号码, 残疾人证号, 统一社会信用代码 and legacy organisation codes.

Grain: one raw value in, one verdict out. Every connector, transform and warehouse step uses this module
(sources/README.md sections 10 and 11); nothing else re-implements ID rules.

Normal form (README section 10): NFKC (full-width -> ASCII), remove every whitespace character (ASCII
spaces, tabs, U+3000 ...) and invisible character (U+200B, U+FEFF, U+00A0, other format characters) anywhere
in the value, uppercase ``x``; a 15-digit number with a valid date becomes its 18-digit form with the
computed check character.

Statuses (``IdResult.status``):

=============== ======== =================================================================================
status          trusted  meaning / ``normal``
=============== ======== =================================================================================
valid           yes      canonical 18 characters, valid birth date and check character
legacy15        yes      15-digit first-generation number, converted; ``normal`` is the 18-digit form
bad_check       no       18 well-formed characters, valid date, wrong check character; ``normal`` keeps the
                         cleaned 18 characters (never "repaired": we cannot know which digit is wrong)
bad_date        no       18 (or 15) well-formed characters whose birth date is not a calendar date in
                         1850-2099; ``normal`` keeps the cleaned characters (not converted)
masked          no       6 digits + 8 ``*`` + 4 characters; ``normal`` is the cleaned mask (usable for
                         probabilistic linkage: area code + last four)
excel_damaged   no       went through a spreadsheet number: scientific text ``3.70481E+17`` or any other
                         number text with a decimal point or exponent, or any ``float`` input; ``normal``
                         is None (the digits are lost). 18 plain digits are never called Excel damage
                         (a wrong check character is ``bad_check``)
empty           no       None / NaN / nothing left after cleaning; ``normal`` is None
malformed       no       anything else (wrong length, letters, X not last ...); ``normal`` is None
=============== ======== =================================================================================

Choices where the contract is silent (documented here, relied on by tests):

* An invalid date wins over a wrong check character (``bad_date``): a mistyped date digit usually breaks
  both, and the date is what makes the number meaningless.
* A 15-digit number is converted whenever ``19YYMMDD`` is a valid date, even for YY >= 85 (the contract
  says such numbers only exist for births before 1985, but conversion is still the only meaning they have).
* Python ``int`` inputs are exact and are read as their decimal digits; every ``float`` (or float-looking
  text) is ``excel_damaged`` - an IEEE double keeps 15-17 significant digits, never a trustworthy 18.
* ``fixes`` lists what cleaning changed, in the fixed order of ``FIX_NAMES``; it is filled for every
  status, so data-quality reports can count quirks even on untrusted values.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:  # heavy imports are deferred to the vectorised helpers
    import duckdb
    import pandas as pd
    import pyarrow as pa

Status = Literal["valid", "legacy15", "bad_check", "bad_date", "masked", "excel_damaged", "empty", "malformed"]
STATUSES: tuple[Status, ...] = (
    "valid", "legacy15", "bad_check", "bad_date", "masked", "excel_damaged", "empty", "malformed",
)
TRUSTED_STATUSES: frozenset[str] = frozenset({"valid", "legacy15"})
FIX_NAMES: tuple[str, ...] = ("invisible", "fullwidth", "spaces", "lowercase_x", "legacy15")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # README section 10 (see _check_unchecked)
_CHECK_CHARS = "10X98765432"
_MIN_YEAR, _MAX_YEAR = 1850, 2099
_CHECK_BYTES = np.frombuffer(_CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

_RE_ID18 = re.compile(r"\d{17}[\dX]", re.ASCII)
_RE_ID15 = re.compile(r"\d{15}", re.ASCII)
_RE_MASKED = re.compile(r"\d{6}\*{8}[\dX]{4}", re.ASCII)
# Spreadsheet renderings of a number: '3.70481E+17', '3.70481198503121E+17', '370481198503121000.0'.
_RE_FLOATISH = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:E[+-]?\d+)?", re.ASCII)
_RE_HAS_FLOAT_MARK = re.compile(r"[.E]")

# Invisible characters removed anywhere (besides every Unicode "Cf" format character).
_INVISIBLE = frozenset("\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u2028\u2029\u202f\u205f\u3164\uffa0")


@dataclass(frozen=True, slots=True)
class IdResult:
    """Verdict on one raw ID value (see module docstring for the statuses)."""

    normal: str | None
    status: Status
    fixes: tuple[str, ...] = ()
    trusted: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trusted", self.status in TRUSTED_STATUSES)


_EMPTY = IdResult(None, "empty")


# --- primitive rules -------------------------------------------------------------------------------------

def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (README section 10)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_char needs exactly 17 ASCII digits")
    return _check_unchecked(first17)


def _check_unchecked(first17: str) -> str:
    # The weights are 2**(18-i) mod 11 and 13 = 2 (mod 11), so sum(a_i * W_i) = 2 * int(first17, 13)
    # (mod 11): one C-level int() instead of a Python loop (this runs millions of times).
    return _CHECK_CHARS[(2 * int(first17, 13)) % 11]


@lru_cache(maxsize=65536)
def _date_of(yyyymmdd: str) -> date | None:
    """The calendar date of 'YYYYMMDD' within the plausible birth years, else None."""
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def is_valid_id(s: str | None) -> bool:
    """True only for a canonical 18-character number with valid date and check character (no cleaning).

    For raw values use ``normalize_id(raw).trusted``.
    """
    return (
        isinstance(s, str)
        and len(s) == 18
        and s.isascii()
        and _RE_ID18.fullmatch(s) is not None
        and _date_of(s[6:14]) is not None
        and check_char(s[:17]) == s[17]
    )


def birth_date_of(id_number: str) -> date:
    """Birth date encoded in a canonical 18-character number (or a 15-digit legacy one, century 19)."""
    if len(id_number) == 18 and _RE_ID18.fullmatch(id_number):
        d = _date_of(id_number[6:14])
    elif len(id_number) == 15 and _RE_ID15.fullmatch(id_number):
        d = _date_of("19" + id_number[6:12])
    else:
        raise ValueError("birth_date_of needs a canonical 18-character or 15-digit ID number")
    if d is None:
        raise ValueError("the ID number does not encode a valid birth date")
    return d


def sex_of(id_number: str) -> Literal["男", "女"]:
    """'男' when the sequence's last digit (18-char: digit 17; 15-digit: digit 15) is odd, else '女'."""
    if len(id_number) == 18 and _RE_ID18.fullmatch(id_number):
        digit = id_number[16]
    elif len(id_number) == 15 and _RE_ID15.fullmatch(id_number):
        digit = id_number[14]
    else:
        raise ValueError("sex_of needs a canonical 18-character or 15-digit ID number")
    return "男" if int(digit) % 2 else "女"


def upgrade_legacy15(id15: str) -> str:
    """The 18-digit form of a 15-digit first-generation number: area + '19' + YYMMDD + seq + check."""
    if len(id15) != 15 or not _RE_ID15.fullmatch(id15):
        raise ValueError("upgrade_legacy15 needs exactly 15 ASCII digits")
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_char(first17)


# --- cleaning --------------------------------------------------------------------------------------------

def _is_invisible(c: str) -> bool:
    return c in _INVISIBLE or unicodedata.category(c) == "Cf"


def _clean(raw: str) -> tuple[str, list[str]]:
    """Remove whitespace and invisible characters, NFKC, and report which kinds were present."""
    fixes: list[str] = []
    if raw.isascii():
        if any(c.isspace() for c in raw):
            raw = "".join(raw.split())
            fixes.append("spaces")
        return raw, fixes
    if any(_is_invisible(c) for c in raw):
        raw = "".join(c for c in raw if not _is_invisible(c))
        fixes.append("invisible")
    if any("\uff01" <= c <= "\uff5e" for c in raw):
        fixes.append("fullwidth")
    # NFKC maps U+3000 to a space and full-width forms to ASCII; whitespace is removed afterwards.
    s = unicodedata.normalize("NFKC", raw)
    if any(c.isspace() for c in s):
        s = "".join(s.split())
        fixes.append("spaces")
    return s, fixes


def _ordered(fixes: Iterable[str]) -> tuple[str, ...]:
    present = set(fixes)
    return tuple(f for f in FIX_NAMES if f in present)


def _classify(s: str, fixes: list[str]) -> IdResult:
    """Verdict on a cleaned string (whitespace/invisible removed, NFKC applied)."""
    if not s:
        return IdResult(None, "empty", _ordered(fixes))
    if not s.isascii():
        return IdResult(None, "malformed", _ordered(fixes))
    if len(s) == 18 and s[-1] == "x":  # the check-character position of an ID or a mask
        fixes = [*fixes, "lowercase_x"]
    u = s.upper()
    n = len(u)
    if n == 18 and _RE_ID18.fullmatch(u):
        if _date_of(u[6:14]) is None:
            return IdResult(u, "bad_date", _ordered(fixes))
        if check_char(u[:17]) == u[17]:
            return IdResult(u, "valid", _ordered(fixes))
        return IdResult(u, "bad_check", _ordered(fixes))
    if n == 15 and _RE_ID15.fullmatch(u):
        if _date_of("19" + u[6:12]) is None:
            return IdResult(u, "bad_date", _ordered(fixes))
        return IdResult(upgrade_legacy15(u), "legacy15", _ordered([*fixes, "legacy15"]))
    if n == 18 and _RE_MASKED.fullmatch(u):
        return IdResult(u, "masked", _ordered(fixes))
    if _RE_HAS_FLOAT_MARK.search(u) and _RE_FLOATISH.fullmatch(u):
        return IdResult(None, "excel_damaged", _ordered(fixes))
    return IdResult(None, "malformed", _ordered(fixes))


def _is_missing(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float):
        return math.isnan(raw)
    return type(raw).__name__ in ("NAType", "NaTType")


def _text_of(raw: object) -> str | IdResult:
    """The text to clean, or a final verdict for non-text inputs (numbers, missing values)."""
    if isinstance(raw, str):
        return raw
    if _is_missing(raw):
        return _EMPTY
    if isinstance(raw, bool):
        return IdResult(None, "malformed")
    if isinstance(raw, numbers.Integral):
        return str(int(raw))
    if isinstance(raw, numbers.Real):
        return _EMPTY if math.isnan(float(raw)) else IdResult(None, "excel_damaged")
    if isinstance(raw, bytes):
        return IdResult(None, "malformed")
    return str(raw)


# --- public normalisation --------------------------------------------------------------------------------

def normalize_id(raw: object) -> IdResult:
    """Normalise one raw 公民身份号码 value (README section 10). Pure; never raises."""
    text = _text_of(raw)
    if isinstance(text, IdResult):
        return text
    # Fast path: already canonical (the overwhelming majority of values).
    if (len(text) == 18 and text.isascii() and _RE_ID18.fullmatch(text) and _date_of(text[6:14])
            and _check_unchecked(text[:17]) == text[17]):
        return IdResult(text, "valid")
    s, fixes = _clean(text)
    return _classify(s, fixes)


def id_from_cert(cert: object) -> tuple[IdResult, str | None, str | None]:
    """Split a 残疾人证号 (18-character ID + 残疾类别 digit + 残疾等级 digit) into its ID verdict and digits.

    Trims spaces (ASCII and U+3000) and invisible characters, converts full-width characters, uppercases
    ``x``. Excel damage - a ``float``, scientific text like ``3.7048119600115E+19`` or 20 digits ending in
    ``00000`` (15 significant digits kept) - gives ``excel_damaged`` and no digits: they are lost.
    Any length other than 20 after cleaning is ``malformed``. The two digits are returned as found
    (validate 1-7 / 1-4 in the expectations).
    """
    text = _text_of(cert)
    if isinstance(text, IdResult):
        return text, None, None
    s, fixes = _clean(text)
    if not s:
        return IdResult(None, "empty", _ordered(fixes)), None, None
    u = s.upper()
    excel = (len(u) == 20 and u.isascii() and u.isdigit() and u.endswith("00000")) or (
        _RE_HAS_FLOAT_MARK.search(u) is not None and _RE_FLOATISH.fullmatch(u) is not None)
    if excel:  # a valid certificate never ends in 0 (grade 1-4), so 5 trailing zeros are Excel's
        return IdResult(None, "excel_damaged", _ordered(fixes)), None, None
    if len(u) != 20 or not u.isascii() or not u[18:].isdigit():
        return IdResult(None, "malformed", _ordered(fixes)), None, None
    result = _classify(s[:18], fixes)
    return result, u[18], u[19]


# --- organisations ---------------------------------------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_RE_USCC = re.compile(f"[{_USCC_ALPHABET}]{{18}}")
_RE_LEGACY_ORG = re.compile(r"[0-9A-Z]{8}-[0-9X]")


def uscc_check_char(first17: str) -> str:
    """Check character of a 统一社会信用代码 (GB 32100, README section 11)."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError("uscc_check_char needs 17 characters of the USCC alphabet")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    c = 31 - total % 31
    return _USCC_ALPHABET[0 if c == 31 else c]


def is_valid_uscc(code: str | None) -> bool:
    """True for an 18-character 统一社会信用代码 with the right check character (exact, no cleaning)."""
    return (
        isinstance(code, str)
        and len(code) == 18
        and _RE_USCC.fullmatch(code) is not None
        and uscc_check_char(code[:17]) == code[17]
    )


def is_legacy_org_code(code: str | None) -> bool:
    """True for a pre-2016 组织机构代码 written 'XXXXXXXX-X' (shape only: the contract gives no check rule)."""
    return isinstance(code, str) and _RE_LEGACY_ORG.fullmatch(code) is not None


def classify_identifier(raw: object) -> Literal["person", "organisation", "unknown"]:
    """Owner-identifier kind (vehicles 所有人证件号码): trusted ID -> person; valid USCC or legacy org code
    -> organisation (after the same cleaning as ID numbers); anything else -> unknown."""
    if normalize_id(raw).trusted:
        return "person"
    text = _text_of(raw)
    if isinstance(text, IdResult):
        return "unknown"
    s = _clean(text)[0].upper()
    if is_valid_uscc(s) or is_legacy_org_code(s):
        return "organisation"
    return "unknown"


# --- vectorised paths ------------------------------------------------------------------------------------

def _verdicts(uniques: Iterable[Any]) -> tuple[list[str | None], list[str]]:
    normals: list[str | None] = []
    statuses: list[str] = []
    for value in uniques:
        r = normalize_id(value)
        normals.append(r.normal)
        statuses.append(r.status)
    return normals, statuses


def _arrow_canonical_mask(arr: pa.Array) -> pa.Array:
    """True where a string value is already a canonical valid number (Arrow regex + numpy, no Python loop)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    shaped = pc.fill_null(pc.match_substring_regex(arr, r"^[0-9]{17}[0-9X]$"), False)
    if not pc.any(shaped).as_py():
        return shaped
    # Every value of `cand` is exactly 18 ASCII bytes, so its data buffer is an (n, 18) byte matrix.
    cand = pc.if_else(shaped, arr, "370481198503121235")  # a valid stand-in for the other rows
    n = len(cand)
    offset_type = np.int64 if pa.types.is_large_string(cand.type) else np.int32
    first = int(np.frombuffer(cand.buffers()[1], dtype=offset_type, count=1, offset=cand.offset * np.dtype(offset_type).itemsize)[0])
    mat = np.frombuffer(cand.buffers()[2], dtype=np.uint8, count=18 * n, offset=first).reshape(n, 18)
    digits = [mat[:, i].astype(np.int32) - 48 for i in range(17)]  # column-wise: cache friendly
    total = sum(col * w for col, w in zip(digits, _WEIGHTS, strict=True))
    check_ok = _CHECK_BYTES[total % 11] == mat[:, 17]
    year = digits[6] * 1000 + digits[7] * 100 + digits[8] * 10 + digits[9]
    month = digits[10] * 10 + digits[11]
    day = digits[12] * 10 + digits[13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    days_in_month = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    date_ok = (year >= _MIN_YEAR) & (year <= _MAX_YEAR) & month_ok & (day >= 1) & (day <= days_in_month)
    return pa.array(shaped.to_numpy(zero_copy_only=False) & check_ok & date_ok, pa.bool_())


def _normalize_arrow(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    out_type = pa.large_string() if pa.types.is_large_string(arr.type) else pa.string()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        # Numbers (Excel cells), binary, mixed: every distinct value through the scalar path.
        encoded = arr.dictionary_encode()
        normals, statuses = _verdicts(encoded.dictionary.to_pylist())
        normal = pc.take(pa.array(normals, out_type), encoded.indices)
        status = pc.take(pa.array(statuses, pa.string()), encoded.indices)
        return normal, pc.fill_null(status, "empty")
    canonical = _arrow_canonical_mask(arr)
    others = pc.if_else(canonical, pa.scalar(None, arr.type), arr)
    encoded = others.dictionary_encode()
    normals, statuses = _verdicts(encoded.dictionary.to_pylist())
    normal = pc.if_else(canonical, arr, pc.take(pa.array(normals, arr.type), encoded.indices))
    status = pc.if_else(canonical, "valid", pc.fill_null(pc.take(pa.array(statuses, pa.string()), encoded.indices), "empty"))
    return normal.cast(out_type), status


def normalize_ids(values: pa.Array | pa.ChunkedArray | pd.Series | Iterable[Any]) -> tuple[Any, Any]:
    """Vectorised ``normalize_id``: returns ``(normal, status)`` of the same kind as the input.

    pyarrow Array/ChunkedArray -> two Arrow string Arrays; pandas Series -> two object Series with the
    input's index and name; any other iterable -> two lists. Canonical valid numbers are recognised in
    Arrow without a Python call; every other distinct value is normalised once (dictionary encoding), so
    repeats cost a lookup. Results equal ``normalize_id`` value by value.
    """
    import pandas as pd
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        return _normalize_arrow(values.combine_chunks())
    if isinstance(values, pa.Array):
        return _normalize_arrow(values)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed str/float/int objects
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
                            or pa.types.is_null(arr.type)):
        normal, status = _normalize_arrow(arr.cast(pa.string()))
        normal_np = normal.to_numpy(zero_copy_only=False)
        status_np = status.to_numpy(zero_copy_only=False)
    else:
        codes, uniques = pd.factorize(series)
        normals, statuses = _verdicts(list(uniques))
        normal_np = np.array([*normals, None], dtype=object)[codes]  # code -1 (missing) -> last slot
        status_np = np.array([*statuses, "empty"], dtype=object)[codes]
    if not isinstance(values, pd.Series):
        return list(normal_np), list(status_np)
    return (
        pd.Series(normal_np, index=series.index, name=series.name, dtype=object),
        pd.Series(status_np, index=series.index, name=series.name, dtype=object),
    )


def register_duckdb(con: duckdb.DuckDBPyConnection, prefix: str = "sn_") -> None:
    """Register vectorised SQL functions on a DuckDB connection.

    ``<prefix>id_normal(VARCHAR) -> VARCHAR``, ``<prefix>id_status(VARCHAR) -> VARCHAR`` and
    ``<prefix>id_trusted(VARCHAR) -> BOOLEAN``; NULL input gives NULL / 'empty' / false.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    # No annotations on these: DuckDB evaluates them at registration time.
    def _normal(col):
        return normalize_ids(col)[0]

    def _status(col):
        return normalize_ids(col)[1]

    def _trusted(col):
        return pc.is_in(normalize_ids(col)[1], value_set=pa.array(sorted(TRUSTED_STATUSES)))

    for name, fn, ret in (("id_normal", _normal, "VARCHAR"), ("id_status", _status, "VARCHAR"),
                          ("id_trusted", _trusted, "BOOLEAN")):
        con.create_function(f"{prefix}{name}", fn, ["VARCHAR"], ret, type="arrow", null_handling="special")
