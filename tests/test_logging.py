"""Tests of safetynet.logging: no full ID number reaches any log output."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from safetynet.logging import IdMaskingFilter, configure_logging, mask_log_text

FULL_ID = "370481198503121235"
MASKED = "370481********1235"


@pytest.fixture()
def clean_logging() -> Iterator[io.StringIO]:
    """Configure logging for one test, with an extra handler writing to a buffer; restore afterwards."""
    root = logging.getLogger()
    saved = (logging.getLogRecordFactory(), list(root.handlers), root.level,
             {id(h): list(h.filters) for h in root.handlers}, logging.getLogger("great_expectations").level)
    configure_logging(logging.INFO)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)  # added after configuration: no filter of ours on it
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        factory, handlers, level, filters, ge_level = saved
        logging.setLogRecordFactory(factory)
        root.handlers[:] = handlers
        root.setLevel(level)
        for h in handlers:
            h.filters[:] = filters[id(h)]
        logging.getLogger("great_expectations").setLevel(ge_level)


def test_full_id_is_masked_in_output(clean_logging: io.StringIO) -> None:
    log = logging.getLogger("safetynet.test.child")
    log.info("person %s has no hukou row", FULL_ID)
    log.warning(f"certificate {FULL_ID}42 looks odd")
    log.info("full-width ３７０４８１１９８５０３１２１２３５ too")
    try:
        raise ValueError(f"bad row for {FULL_ID}")
    except ValueError:
        log.exception("while linking")
    out = clean_logging.getvalue()
    assert FULL_ID not in out and "３７０４８１１９８５０３１２１２３５" not in out
    assert f"person {MASKED} has no hukou row" in out
    assert "370481**********3542" in out
    assert "ValueError: bad row for 370481********1235" in out


def test_caplog_sees_masked_records(clean_logging: io.StringIO, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("anything").info("id=%s", FULL_ID)
    assert FULL_ID not in caplog.text and MASKED in caplog.text
    assert caplog.records[-1].getMessage() == f"id={MASKED}"


def test_great_expectations_is_quiet_and_configuration_idempotent(clean_logging: io.StringIO) -> None:
    assert logging.getLogger("great_expectations").level == logging.WARNING
    factory = logging.getLogRecordFactory()
    configure_logging(logging.INFO)
    assert logging.getLogRecordFactory() is factory
    for h in logging.getLogger().handlers:
        assert sum(isinstance(f, IdMaskingFilter) for f in h.filters) <= 1
    logging.getLogger("great_expectations.core").info("noise %s", FULL_ID)
    assert "noise" not in clean_logging.getvalue()


def test_filter_alone_masks_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s b", (FULL_ID,), None)
    assert IdMaskingFilter().filter(record) is True
    assert record.getMessage() == f"a {MASKED} b"


def test_mask_log_text_leaves_other_numbers() -> None:
    assert mask_log_text("rows=1820000 on 2026-05-27, batch HD370481202603050001") == (
        "rows=1820000 on 2026-05-27, batch HD370481202603050001")


def test_mask_text_masks_ids_accounts_and_mobile_numbers() -> None:
    from safetynet.privacy import mask_text

    text = "电话 13812345678，账号 6222021234567890123，身份证 370481198503121235，金额 12345678901.50"
    assert mask_text(text) == ("电话 138****5678，账号 622202*********0123，身份证 370481********1235，"
                               "金额 12345678901.50")
