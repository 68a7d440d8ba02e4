"""Identifiers of the synthetic city: citizen ID numbers (GB 11643), their format quirks, and
organisation codes (GB 32100 unified social credit code, GB 11714 组织机构代码).

Grain: one value per person / organisation. Bulk functions are vectorised over numpy arrays; the
quirk renderers are pure scalar functions applied only to the (few) rows a quirk hits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

# --- GB 11643: citizen ID numbers (sources/README.md section 10) -------------------------------

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"
_ID_CHECK_BYTES = np.frombuffer(ID_CHECK.encode("ascii"), dtype=np.uint8)
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("first17 must be 17 ASCII digits")
    s = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[s % 11]


def _valid_yyyymmdd(s: str) -> bool:
    try:
        date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        return False
    return True


def is_valid_id(s: object) -> bool:
    """True for a canonical 18-character number with a valid birth date and the right check character."""
    if not isinstance(s, str) or not _ID18.match(s) or not s.isascii():
        return False
    return _valid_yyyymmdd(s[6:14]) and check_char(s[:17]) == s[17]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 digit matrix of non-negative integers, zero-padded on the left."""
    v = np.asarray(values, dtype=np.int64)
    if (v < 0).any() or (v >= 10**width).any():
        raise ValueError(f"values must lie in [0, {10**width})")
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] // powers) % 10).astype(np.uint8)


def make_ids(area: np.ndarray | pd.Series, birth: np.ndarray | pd.Series,
             seq: np.ndarray | pd.Series) -> np.ndarray:
    """Canonical 18-character ID numbers, vectorised: area (6 digits) + birth YYYYMMDD + seq (3 digits) + check.

    `seq` is 0-999; its last digit's parity is the sex (odd = male), see `assign_seq`.
    Returns a numpy array of Python-compatible `str` (dtype '<U18').
    """
    area_arr = np.asarray(area, dtype="U6")
    n = area_arr.shape[0]
    birth_arr = np.asarray(birth, dtype="datetime64[D]")
    seq_arr = np.asarray(seq, dtype=np.int64)
    if birth_arr.shape[0] != n or seq_arr.shape[0] != n:
        raise ValueError("area, birth and seq must have the same length")
    if n == 0:
        return np.array([], dtype="U18")
    area_bytes = np.char.encode(area_arr, "ascii").astype("S6").view(np.uint8).reshape(n, 6)
    if (area_bytes < 48).any() or (area_bytes > 57).any():
        raise ValueError("area codes must be 6 ASCII digits")
    if np.isnat(birth_arr).any():
        raise ValueError("birth dates must not be NaT")
    y = birth_arr.astype("datetime64[Y]").astype(np.int64) + 1970
    m = birth_arr.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (birth_arr - birth_arr.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = y * 10000 + m * 100 + d
    digits = np.concatenate([area_bytes - 48, _digits(ymd, 8), _digits(seq_arr, 3)], axis=1)
    checks = _ID_CHECK_BYTES[(digits.astype(np.int64) @ ID_WEIGHTS) % 11]
    out = np.concatenate([digits + 48, checks[:, None]], axis=1).astype(np.uint8)
    return out.view("S18").ravel().astype("U18")


# Step sizes coprime with 500, so (offset + rank * step) mod 500 is distinct for rank < 500.
_STEPS = np.array([s for s in range(1, 500) if s % 2 and s % 5], dtype=np.int64)


def assign_seq(area: np.ndarray | pd.Series, birth: np.ndarray | pd.Series,
               male: np.ndarray | pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Sequence numbers 0-999 with parity = sex (odd male), unique per (area, birth date, sex).

    Raises ValueError if more than 500 persons share area, birth date and sex.
    """
    male_arr = np.asarray(male, dtype=bool)
    n = male_arr.shape[0]
    frame = pd.DataFrame({
        "a": np.asarray(area, dtype=object),
        "b": np.asarray(birth, dtype="datetime64[D]"),
        "m": male_arr,
    })
    codes = frame.groupby(["a", "b", "m"], sort=True).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if n else 0
    rank = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    if n and rank.max() >= 500:
        raise ValueError("more than 500 persons share area, birth date and sex")
    offset = rng.integers(0, 500, size=n_groups)
    step = _STEPS[rng.integers(0, _STEPS.size, size=n_groups)]
    half = (offset[codes] + rank * step[codes]) % 500
    return half * 2 + male_arr.astype(np.int64)


def is_male(id18: str) -> bool:
    """Sex from digit 17 of a number (digit 15 of a 15-digit legacy number): odd = male."""
    return int(id18[14] if len(id18) == 15 else id18[16]) % 2 == 1


def to_legacy15(id18: str) -> str | None:
    """Legacy 15-digit form (area + YYMMDD + sequence), or None when not born 1900-1984."""
    if not _ID18.match(id18) or not "1900" <= id18[6:10] <= "1984":
        return None
    return id18[:6] + id18[8:14] + id18[14:17]


def from_legacy15(id15: str) -> str | None:
    """18-character form of a legacy number (century 19), or None when malformed or the date is invalid."""
    if not _ID15.match(id15) or not _valid_yyyymmdd("19" + id15[6:12]):
        return None
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_char(first17)


# --- ID number format quirks (sources/README.md section 10) ------------------------------------

IdQuirk = Literal["legacy_15", "lowercase_x", "fullwidth", "spaces", "bad_check", "masked",
                  "excel_number", "empty"]
#: Quirks that replace the value entirely and exclude all others.
EXCLUSIVE_QUIRKS: tuple[str, ...] = ("empty", "masked", "excel_number")
#: Quirks that change the 18 characters themselves; at most one of them per value.
FORM_QUIRKS: tuple[str, ...] = ("legacy_15", "lowercase_x", "bad_check")
#: Quirks that only change how the characters are written; combine freely with a form quirk.
RENDER_QUIRKS: tuple[str, ...] = ("fullwidth", "spaces")
ALL_QUIRKS: tuple[str, ...] = EXCLUSIVE_QUIRKS + FORM_QUIRKS + RENDER_QUIRKS

_FULLWIDTH = str.maketrans({**{chr(0x30 + i): chr(0xFF10 + i) for i in range(10)},
                            "X": "\uff38", "x": "\uff58"})
IDEOGRAPHIC_SPACE = "\u3000"


def render_legacy15(id18: str) -> str:
    """Legacy 15-digit number; raises ValueError when the holder was not born 1900-1984."""
    legacy = to_legacy15(id18)
    if legacy is None:
        raise ValueError("legacy 15-digit numbers exist only for births 1900-1984")
    return legacy


def render_lowercase_x(value: str) -> str:
    """Check character 'x' instead of 'X' (position 18; any suffix such as a 残疾人证号's is kept)."""
    if len(value) < 18 or value[17] != "X":
        raise ValueError("lowercase_x applies only where the check character is X")
    return value[:17] + "x" + value[18:]


def render_fullwidth(value: str) -> str:
    """Whole value in full-width digits and Ｘ/ｘ (U+FF10-FF19, U+FF38, U+FF58); NFKC maps it back."""
    return value.translate(_FULLWIDTH)


def render_spaces(value: str, lead: str, trail: str) -> str:
    """Value with the given leading and trailing whitespace (1-3 ASCII spaces or U+3000 each side)."""
    return lead + value + trail


def render_bad_check(id18: str, wrong: str | None = None) -> str:
    """Same number with a wrong check character (a mistyped last digit); `wrong` must differ from the right one.

    Without `wrong`, the next character of '0123456789' after the right check (X counts as 9)
    is used. A suffix beyond 18 characters (残疾人证号) is kept.
    """
    right = check_char(id18[:17])
    if wrong is None:
        wrong = str((10 if right == "X" else int(right) + 1) % 10)
    if wrong == right or wrong not in "0123456789X":
        raise ValueError("wrong check character must be a digit or X and differ from the right one")
    return id18[:17] + wrong + id18[18:]


def render_masked(value: str) -> str:
    """First 6 characters, 8 '*', last 4 characters: 370481********123X."""
    return value[:6] + "*" * 8 + value[-4:]


def excel_float(value: str) -> float:
    """The number Excel keeps for a digit string: the first 15 significant digits, the rest zeros.

    Excel truncates (does not round) digits beyond the 15th when a long number is typed or imported.
    """
    if not value.isascii() or not value.isdigit():
        raise ValueError("excel_number applies only to all-digit values (no X)")
    digits = value.lstrip("0") or "0"
    kept = digits[:15] + "0" * max(len(digits) - 15, 0)
    return float(int(kept))


def render_excel_text(value: str, significant: int = 6) -> str:
    """Text Excel writes back to a CSV for a long number: '3.70481E+17' (6) or '3.70481198503121E+17' (15).

    Mantissa rounded to `significant` digits from the 15 kept ones, trailing zeros dropped (General format).
    """
    if not 1 <= significant <= 15:
        raise ValueError("significant must be 1-15")
    mantissa, exponent = f"{excel_float(value):.{significant - 1}E}".split("E")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"


def _share_probability(rate: float, n_all: int, eligible: np.ndarray) -> np.ndarray:
    """Per-row probability so that the expected hits are `rate` of all rows, spread over eligible rows."""
    n_eligible = int(eligible.sum())
    if rate <= 0 or n_eligible == 0:
        return np.zeros(eligible.shape[0])
    return np.where(eligible, min(rate * n_all / n_eligible, 1.0), 0.0)


def _pick(u: np.ndarray, probs: list[np.ndarray]) -> np.ndarray:
    """Index of the category each row falls into for cumulative probabilities (len(probs) = none)."""
    out = np.full(u.shape[0], len(probs), dtype=np.int64)
    lower = np.zeros(u.shape[0])
    for i, p in enumerate(probs):
        upper = np.minimum(lower + p, 1.0)
        out[(u >= lower) & (u < upper) & (out == len(probs))] = i
        lower = upper
    return out


def _spaces(rng: np.random.Generator, n: int, u3000: bool) -> tuple[list[str], list[str]]:
    """Leading/trailing whitespace for n values: leading only, trailing only or both, 1-3 characters each."""
    where = rng.integers(0, 3, size=n)  # 0 leading, 1 trailing, 2 both
    lens = rng.integers(1, 4, size=(n, 2))
    kinds = rng.random(size=(n, 2)) < 0.5
    leads: list[str] = []
    trails: list[str] = []
    for i in range(n):
        chars = [IDEOGRAPHIC_SPACE if (u3000 and kinds[i, j]) else " " for j in range(2)]
        leads.append(chars[0] * int(lens[i, 0]) if where[i] in (0, 2) else "")
        trails.append(chars[1] * int(lens[i, 1]) if where[i] in (1, 2) else "")
    return leads, trails


def apply_id_quirks(
    values: pd.Series,
    birth_year: pd.Series | None,
    rates: Mapping[str, float],
    rng: np.random.Generator,
    *,
    u3000: bool = False,
    excel: Literal["csv", "xlsx"] = "csv",
    suffix: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Render canonical ID numbers with format quirks at the given rates (each a share of ALL rows).

    values: canonical 18-character numbers (None/NaN rows stay None and get no quirk).
    birth_year: the holders' birth years (None: read from the number); legacy_15 hits only years < 1985.
    rates: {quirk: share of all rows}, keys from ALL_QUIRKS; missing keys mean 0.
    u3000: the `spaces` quirk may also use U+3000 (hand-keyed sources).
    excel: how `excel_number` appears - 'csv': text such as '3.70481E+17' (2/3 of hits) or
        '3.70481198503121E+17'; 'xlsx': a Python float with 15 significant digits (write it as a
        number cell). Only values without X are eligible.
    suffix: text appended to each number before rendering (残疾人证号 = ID + 2 digits); quirks then
        apply to the whole value, `lowercase_x`/`bad_check` to the ID part.

    Eligibility narrows a quirk to some rows (legacy_15: born < 1985; lowercase_x: check X;
    excel_number: no X), so its per-eligible probability is raised to keep the share of all rows.
    empty/masked/excel_number exclude the others; legacy_15/lowercase_x/bad_check exclude each other;
    fullwidth and spaces combine with any of those. Returns (rendered values as an object Series
    of str/None/float, quirk categories per row joined with '+' in ALL_QUIRKS order, '' for none),
    both with the index of `values`. Deterministic for a given rng state and input.
    """
    unknown = set(rates) - set(ALL_QUIRKS)
    if unknown:
        raise ValueError(f"unknown ID quirks: {sorted(unknown)}")
    n = len(values)
    raw = values.to_numpy(dtype=object)
    present = np.array([isinstance(v, str) for v in raw], dtype=bool)
    ids = np.where(present, raw, "0" * 18).astype("U18")
    if n and not pd.Series(ids).str.fullmatch(r"\d{17}[\dX]").all():
        raise ValueError("apply_id_quirks needs canonical 18-character ID numbers (or None)")
    check_x = np.char.endswith(ids, "X") & present
    year_arr = pd.Series(ids).str.slice(6, 10).astype(np.int64).to_numpy()
    if birth_year is not None:  # a caller's birth year can only narrow eligibility (never contradict the ID)
        given = pd.to_numeric(pd.Series(birth_year), errors="coerce").fillna(9999).to_numpy(dtype=np.int64)
        year_arr = np.where(given < 1985, year_arr, 9999)
    sfx = (np.full(n, "", dtype="U1") if suffix is None
           else suffix.fillna("").astype(str).to_numpy(dtype="U"))

    # Draw every random number up front in a fixed order, so the stream depends only on n.
    u_exclusive = rng.random(n)
    u_form = rng.random(n)
    u_full = rng.random(n)
    u_space = rng.random(n)
    u_excel = rng.random(n)
    wrong_picks = rng.integers(0, 10, size=n)

    eligible = {
        "empty": present, "masked": present, "excel_number": present & ~check_x,
        "legacy_15": present & (year_arr >= 1900) & (year_arr < 1985),
        "lowercase_x": check_x, "bad_check": present,
        "fullwidth": present, "spaces": present,
    }
    ex_probs = [_share_probability(rates.get(q, 0.0), n, eligible[q]) for q in EXCLUSIVE_QUIRKS]
    exclusive = _pick(u_exclusive, ex_probs)
    rest = present & (exclusive == len(EXCLUSIVE_QUIRKS))
    form_probs = [_share_probability(rates.get(q, 0.0), n, eligible[q] & rest) for q in FORM_QUIRKS]
    form = _pick(u_form, form_probs)
    full = u_full < _share_probability(rates.get("fullwidth", 0.0), n, rest)
    space = u_space < _share_probability(rates.get("spaces", 0.0), n, rest)

    out = np.where(present, np.char.add(ids, sfx), None).astype(object)
    cats = np.full(n, "", dtype=object)
    for i, q in enumerate(EXCLUSIVE_QUIRKS):
        cats[exclusive == i] = q
    for i, q in enumerate(FORM_QUIRKS):
        hit = form == i
        cats[hit] = q
    cats[full] = np.where(cats[full] == "", "fullwidth", cats[full].astype(str) + "+fullwidth")
    cats[space] = np.where(cats[space] == "", "spaces", cats[space].astype(str) + "+spaces")

    for i in np.flatnonzero(exclusive < len(EXCLUSIVE_QUIRKS)):
        kind = EXCLUSIVE_QUIRKS[exclusive[i]]
        whole = ids[i] + sfx[i]
        if kind == "empty":
            out[i] = None
        elif kind == "masked":
            out[i] = render_masked(whole)
        elif excel == "xlsx":
            out[i] = excel_float(whole)
        else:
            out[i] = render_excel_text(whole, 6 if u_excel[i] < 2 / 3 else 15)
    for i in np.flatnonzero(form < len(FORM_QUIRKS)):
        kind = FORM_QUIRKS[form[i]]
        if kind == "legacy_15":
            out[i] = render_legacy15(ids[i]) + sfx[i]
        elif kind == "lowercase_x":
            out[i] = render_lowercase_x(ids[i]) + sfx[i]
        else:
            # bad_check: a mistyped check digit (any digit but the right one)
            others = [c for c in "0123456789" if c != ids[i][17]]
            wrong = others[int(wrong_picks[i]) % len(others)]
            out[i] = render_bad_check(ids[i], wrong) + sfx[i]
    for i in np.flatnonzero(full):
        out[i] = render_fullwidth(out[i])
    sp = np.flatnonzero(space)
    leads, trails = _spaces(rng, sp.size, u3000)
    for j, i in enumerate(sp):
        out[i] = render_spaces(out[i], leads[j], trails[j])
    return (pd.Series(out, index=values.index, dtype=object),
            pd.Series(cats, index=values.index, dtype=object))


def normalise_id(value: str | None) -> str | None:
    """Normal form per README section 10 (NFKC, strip incl. U+3000, upper x, 15 → 18); for tests only."""
    if value is None:
        return None
    v = unicodedata.normalize("NFKC", value).strip().upper()
    if _ID15.match(v):
        return from_legacy15(v) or v
    return v


# --- GB 32100 unified social credit code and GB 11714 organisation code ------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Body characters of organisation codes that also fit a USCC (no I, O, S, V, Z).
_BODY_CHARS = np.array(list(USCC_ALPHABET))
_DIGITS = np.array(list("0123456789"))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 characters."""
    try:
        s = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    except ValueError as exc:
        raise ValueError("first17 must be 17 characters of the USCC alphabet") from exc
    return USCC_ALPHABET[(31 - s % 31) % 31]


def uscc(category: Literal["1", "2", "3"], body9: str, area: str = "370481", authority: str = "9") -> str:
    """Unified social credit code: authority (9 = market regulation) + category + area + body9 + check."""
    if category not in ("1", "2", "3") or len(area) != 6 or not area.isdigit() or len(body9) != 9:
        raise ValueError("category must be '1', '2' or '3', area 6 digits, body9 9 characters")
    first17 = authority + category + area + body9
    return first17 + uscc_check_char(first17)


def is_valid_uscc(s: object) -> bool:
    """True for 18 characters of the USCC alphabet with the right check character."""
    return (isinstance(s, str) and len(s) == 18 and all(c in USCC_ALPHABET for c in s)
            and uscc_check_char(s[:17]) == s[17])


def org_check_char(body8: str) -> str:
    """GB 11714 check character: 11 - (Σ c·w mod 11) over 8 characters (0-9 = 0-9, A-Z = 10-35); 10 → X, 11 → 0."""
    if len(body8) != 8:
        raise ValueError("body8 must have 8 characters")
    try:
        s = sum(_ORG_CHARS.index(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    except ValueError as exc:
        raise ValueError("body8 must consist of 0-9 and A-Z") from exc
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def org_code(body8: str) -> str:
    """Legacy 组织机构代码 as written: 'XXXXXXXX-X'."""
    return f"{body8}-{org_check_char(body8)}"


def is_valid_org_code(s: object) -> bool:
    """True for 'XXXXXXXX-X' with the right GB 11714 check character."""
    return (isinstance(s, str) and len(s) == 10 and s[8] == "-" and s[:8].isascii() and s[:8].isalnum()
            and s[:8] == s[:8].upper() and org_check_char(s[:8]) == s[9])


def _random_bodies(n: int, rng: np.random.Generator, modern_share: float) -> np.ndarray:
    """8-character organisation code bodies: 'MA' + 6 characters (since 2016) or 8 digits (legacy)."""
    modern = rng.random(n) < modern_share
    letters = _BODY_CHARS[rng.integers(0, _BODY_CHARS.size, size=(n, 6))]
    digits = _DIGITS[rng.integers(0, 10, size=(n, 8))]
    modern_bodies = np.char.add("MA", np.array(["".join(r) for r in letters], dtype="U6"))
    legacy_bodies = np.array(["".join(r) for r in digits], dtype="U8")
    return np.where(modern, modern_bodies, legacy_bodies)


def make_usccs(n: int, category: Literal["1", "2", "3"], rng: np.random.Generator, *,
               area: str = "370481", modern_share: float = 0.8) -> np.ndarray:
    """n distinct USCCs of one category. body9 = an 8-character organisation body + its GB 11714 check:
    'MA…' bodies (issued since 2016) for `modern_share` of them, 8-digit legacy bodies otherwise.
    """
    chosen: list[str] = []
    seen: set[str] = set()
    while len(chosen) < n:
        for body in _random_bodies(n - len(chosen), rng, modern_share):
            code = uscc(category, body + org_check_char(body), area)
            if code not in seen:
                seen.add(code)
                chosen.append(code)
    return np.array(chosen, dtype="U18")


def make_org_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct legacy 组织机构代码 'XXXXXXXX-X' (8-digit bodies, as issued before 2016)."""
    chosen: list[str] = []
    seen: set[str] = set()
    while len(chosen) < n:
        for body in _random_bodies(n - len(chosen), rng, 0.0):
            if body not in seen:
                seen.add(body)
                chosen.append(org_code(body))
    return np.array(chosen, dtype="U10")


def org_code_of_uscc(code: str) -> str:
    """The 组织机构代码 embedded in a USCC (positions 9-17) written 'XXXXXXXX-X'."""
    return f"{code[8:16]}-{code[16]}"
