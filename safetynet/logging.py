"""Process-wide logging set-up that never lets a full ID number reach a log (sources/README.md section 13).

Grain: one call per process (CLI entry point, Airflow task start). Masking happens twice over, because a
filter on the root logger does not see records of child loggers and handlers added later (Airflow's)
carry no filter of ours:

* `IdMaskingFilter` on every root handler present at configuration time;
* a wrapped LogRecord factory, so every record created afterwards - by any logger, for any handler - is
  masked at birth (message with its arguments, formatted exception and stack text).

Masking uses `safetynet.privacy.mask_text` (first 6 and last 4 characters kept), plus the same pattern for
full-width digits, which `mask_text` does not cover.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from safetynet.privacy import mask_text

_FULLWIDTH_ID = re.compile(r"(?<![０-９0-9])([０-９]{6})([０-９]{5,11})([０-９ＸｘXx]{4})(?![０-９0-9])")
_MASKED_FLAG = "_safetynet_masked"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def mask_log_text(text: str) -> str:
    """`mask_text` plus full-width ID-number-like runs."""
    text = mask_text(text)
    if any("\uff10" <= c <= "\uff19" for c in text):
        text = _FULLWIDTH_ID.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    return text


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place (once): the rendered message replaces msg/args; exception text is
    pre-rendered and masked so formatters use it instead of formatting the traceback themselves."""
    if getattr(record, _MASKED_FLAG, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not hide the message
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = mask_log_text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_log_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_log_text(record.stack_info)
    setattr(record, _MASKED_FLAG, True)
    return record


class IdMaskingFilter(logging.Filter):
    """Masks ID-number-like text in every record it sees; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _install_record_factory() -> None:
    current = logging.getLogRecordFactory()
    if getattr(current, _MASKED_FLAG, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(current(*args, **kwargs))

    setattr(factory, _MASKED_FLAG, True)
    logging.setLogRecordFactory(factory)


def configure_logging(level: int | str = logging.INFO) -> None:
    """Root level, a stderr handler if none exists, ID masking everywhere, quiet great_expectations.
    Idempotent."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, IdMaskingFilter) for f in handler.filters):
            handler.addFilter(IdMaskingFilter())
    _install_record_factory()
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
