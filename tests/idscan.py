"""Test helper: find full 公民身份号码 in text and files (privacy checks of what the pipeline writes).

A hit is an 18-character run `\\d{17}[\\dXx]` or a 15-digit run, not surrounded by other digits, that is a
real ID number: the 18-character one valid per GB 11643 (date and check character, safetynet.idnumber),
the 15-digit one a legacy number with a valid date (its 18-digit form is valid). Both must start with a
province code (11-82). Masked numbers (370481********123X) never match.

Known non-ID serials that can look like one are skipped: bank batch numbers `HD370481<YYYYMMDD><seq>`
(bank.yaml: 18 digits after 'HD', date-shaped, so 1 in 11 passes the check character) and digits after a
decimal point (long fractions in JSON). 死亡证编号 'E' + 18 digits never has a valid date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from safetynet.idnumber import is_valid_id, upgrade_legacy15

_RUN = re.compile(r"(?<![\d.])(\d{17}[\dXx]|\d{15})(?!\d)")
_NOT_ID_BEFORE = ("HD",)


def _is_id(run: str) -> bool:
    if not 11 <= int(run[:2]) <= 82:
        return False
    if len(run) == 15:
        return is_valid_id(upgrade_legacy15(run))
    return is_valid_id(run.upper())


def find_ids(text: str) -> list[str]:
    """Every full ID number in `text` (see module docstring)."""
    return [m.group(1) for m in _RUN.finditer(text)
            if not text[max(0, m.start() - 2):m.start()].endswith(_NOT_ID_BEFORE) and _is_id(m.group(1))]


def file_text(path: Path) -> str:
    """A file's content as text for scanning: Parquet as its rows, anything else decoded leniently."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return "\n".join(str(row) for row in pq.read_table(path).to_pylist())
    return path.read_bytes().decode("utf-8", errors="replace")


def files_with_ids(paths: Iterable[Path]) -> dict[str, list[str]]:
    """path -> the first few full ID numbers found in it (only files with hits)."""
    hits = {}
    for p in paths:
        found = find_ids(file_text(p))
        if found:
            hits[str(p)] = found[:3]
    return hits


def scanned_files(home: Path, exchange: Path | None = None) -> list[Path]:
    """Everything the pipeline wrote under SAFETYNET_HOME except the stores that hold full IDs by design
    (access-controlled): the raw store and the warehouse's databases and history; binary assets of the
    Data Docs site; and the exchange root when it lies inside the home (SAFETYNET_EXCHANGE's default):
    the departments' deliveries and the bank requests carry full IDs by contract."""
    binary = {".png", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".pyc"}
    out = []
    for p in sorted(home.rglob("*")):
        rel = p.relative_to(home).parts
        if not p.is_file() or rel[0] == "raw" or p.suffix in binary:
            continue
        if exchange is not None and p.is_relative_to(exchange):
            continue
        if rel[0] == "warehouse" and (p.suffix in {".duckdb", ".wal", ".parquet"} or "history" in rel):
            continue
        out.append(p)
    return out
