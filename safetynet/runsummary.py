"""The run summary of one nightly run: one JSON per business date, combining the per-source summaries.

Grain: one file per business date, `$SAFETYNET_HOME/runs/<YYYY-MM-DD>/summary.json`, with one entry per
source. A re-run of the same date replaces it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from safetynet.nightly import parse_date
from safetynet.settings import SOURCES, Settings

#: Columns of the per-source table shown by `safetynet run`: keys of a source summary, named as in
#: mart.source_run (interfaces.md section 3). A list counts its items; a missing key shows as unknown.
TABLE_COLUMNS: tuple[str, ...] = (
    "deliveries_found", "rows_delivered", "rows_accepted", "rows_quarantined", "checks_failed", "problems",
)


class IncompleteRunError(RuntimeError):
    """Raised after the summary is written when some sources produced no summary (their task failed)."""


def summary_path(settings: Settings, business_date: date | str) -> Path:
    return settings.runs_dir / parse_date(business_date).isoformat() / "summary.json"


def write_run_summary(
    settings: Settings, business_date: date | str, paths: Mapping[str, str | None] | Sequence[str | None]
) -> str:
    """Combine the per-source summary files into summary.json and return its path.

    `paths` maps source id to the JSON file its task returned (a sequence is read in `SOURCES` order);
    None marks a source whose task failed. The file is written in any case, so a failed night still
    leaves a record; then IncompleteRunError makes the run itself fail.
    """
    by_source = dict(paths) if isinstance(paths, Mapping) else dict(zip(SOURCES, paths, strict=True))
    sources = {source: _source_entry(path) for source, path in by_source.items()}
    failed = [source for source, entry in sources.items() if entry["status"] != "ok"]
    summary = {
        "business_date": parse_date(business_date).isoformat(),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "failed" if failed else "ok",
        "failed_sources": failed,
        "sources": sources,
    }
    target = summary_path(settings, business_date)
    _write_json_atomic(target, summary)
    if failed:
        raise IncompleteRunError(f"no summary from {len(failed)} source(s): {', '.join(failed)}; see {target}")
    return str(target)


def read_run_summary(settings: Settings, business_date: date | str) -> dict[str, Any]:
    """The summary.json of a business date (FileNotFoundError when that date never ran)."""
    return json.loads(summary_path(settings, business_date).read_text(encoding="utf-8"))


def table_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per source for display: status plus the TABLE_COLUMNS found (None where unknown)."""
    rows = []
    for source, entry in summary.get("sources", {}).items():
        detail = entry.get("summary") or {}
        row: dict[str, Any] = {"source": source, "status": entry.get("status")}
        row.update({column: _lookup(detail, column) for column in TABLE_COLUMNS})
        rows.append(row)
    return rows


def _source_entry(path: str | None) -> dict[str, Any]:
    if not path:
        return {"status": "failed", "summary_path": None, "summary": None}
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"status": "failed", "summary_path": str(path), "summary": None, "error": str(exc)}
    return {"status": "ok", "summary_path": str(path), "summary": content}


def _lookup(detail: Any, key: str) -> Any:
    """A count from a source summary: the value, or the length of a list; None when unknown."""
    value = detail.get(key) if isinstance(detail, Mapping) else None
    return len(value) if isinstance(value, list | dict) else value


def _write_json_atomic(target: Path, content: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".summary-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(content, fh, ensure_ascii=False, indent=2, default=str)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
