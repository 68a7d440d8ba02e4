"""Append-only audit log of window look-ups and alert reviews (who, when, whom, why) at settings.audit_log.

Grain: one JSON line per profile view, verification report, refused report or monitor's disposition of an
alert. Lines are appended under an exclusive file lock and never rewritten. Never holds a full ID
number: `whom` is masked here, whatever the caller passes.
"""

from __future__ import annotations

import fcntl
import getpass
import json
from datetime import UTC, datetime
from typing import Any, Literal

from safetynet.privacy import mask_id, mask_text
from safetynet.settings import Settings

Action = Literal["profile_view", "verify", "verify_refused", "alert_review"]


def current_user() -> str:
    """The OS user running the command (fallback when no --operator is given)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


def record(settings: Settings, action: Action, whom: str, *, operator: str | None = None,
           household_id: str | None = None, application: str | None = None, reason: str | None = None,
           report_id: str | None = None, detail: str | None = None) -> dict[str, Any]:
    """Append one audit line and return it. `whom` is an ID number (masked before writing)."""
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": operator or current_user(),
        "action": action,
        "whom": mask_id(whom),
        "household_id": household_id,
        "application": application,
        "reason": mask_text(reason) if reason else reason,
        "report_id": report_id,
        "detail": mask_text(detail) if detail else None,
    }
    path = settings.audit_log
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(line)
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return entry


def read(settings: Settings) -> list[dict[str, Any]]:
    """Every audit line (oldest first); [] when there is no log yet."""
    path = settings.audit_log
    if not path.is_file():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
