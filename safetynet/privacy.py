"""Masking of identifiers for anything shown, printed or logged (sources/README.md section 13)."""

from __future__ import annotations

import re

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{5,11})([\dXx]{4})(?![0-9A-Za-z])")


def mask_id(value: str | None) -> str:
    """First 6 and last 4 characters with '*' in between: 370481********123X."""
    if value is None:
        return ""
    v = str(value).strip()
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    """Mobile numbers as 138****5678; anything else keeps only its last 4 characters."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_account(value: str | None) -> str:
    """Bank account numbers: last 4 digits only."""
    if not value:
        return ""
    return "****" + str(value)[-4:]


#: A mainland mobile number standing alone in text (not part of a longer digit run).
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    """Mask every ID-number-like run (15 to 20 characters, e.g. IDs, certificate and bank account numbers)
    and every mobile number (as mask_phone) in free text."""
    masked = _ID_LIKE.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), masked)
