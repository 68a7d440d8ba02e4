"""The published mart.alert against the planted truth, for every code of policy.md section 6 (slow).

Per-rule tests (tests/test_alerts_*_rules.py) check each rule model; this one checks what monitors get:
the alerts active (new or open) in the published warehouse after staleness, season and lifecycle, on the
first night of the built city. Every planted alert must be there (recall 100% per code), no planted near
miss may fire (no extra alert in a planted household), alerts the truth lists as skipped must not be
active, and every alert carries the catalog's severity and version, its town and its evidence.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from alerts_truth import compare, expected, truth_households

from safetynet.settings import Settings
from transforms.parameters.alert_rules import CODES, read_rules

pytestmark = pytest.mark.slow

ACTIVE = "(SELECT * FROM mart.alert WHERE status IN ('new', 'open'))"


@pytest.fixture(scope="module")
def published(built_city: tuple[Settings, Path, Path]) -> tuple[duckdb.DuckDBPyConnection, list[dict]]:
    _, exchange, current = built_city
    con = duckdb.connect(str(current), read_only=True)
    yield con, truth_households(exchange)
    con.close()


@pytest.mark.parametrize("code", CODES)
def test_every_planted_alert_fires_and_no_near_miss(published, code: str) -> None:
    con, truth = published
    agreement = compare(con, truth, code, ACTIVE)
    print("\n" + agreement.describe(truth))
    assert sum(agreement.expected.values()) >= 5, f"{code}: fewer than 5 planted hits"
    assert agreement.recall == 1.0
    assert not agreement.extra


def test_skipped_alerts_are_not_active(published) -> None:
    con, truth = published
    for code in CODES:
        skipped = expected(truth, code, key="skipped_alerts")
        if skipped:
            agreement = compare(con, truth, code, ACTIVE)
            assert not (skipped & agreement.found), code


def test_alert_rows_carry_catalog_town_and_evidence(published) -> None:
    con, _ = published
    catalog = {r["code"]: r for r in read_rules().to_pylist()}
    rows = con.execute("SELECT code, severity, rule_version, town, evidence, status, first_seen, last_seen, as_of "
                       "FROM mart.alert").fetchall()
    assert rows
    for code, severity, version, town, evidence, status, first_seen, last_seen, as_of in rows:
        assert (severity, version) == (catalog[code]["severity"], catalog[code]["rule_version"])
        assert town, code
        doc = json.loads(evidence)
        assert {"source", "record_key", "as_of", "fields"} <= doc.keys(), code
        assert status == "new" and first_seen == last_seen == as_of   # the first night of this warehouse
    runs = con.execute("SELECT code, evaluated, new_count FROM mart.alert_rule_run ORDER BY position").fetchall()
    assert [r[0] for r in runs] == list(CODES)
    assert all(evaluated for _, evaluated, _ in runs)


@pytest.mark.parametrize("code", CODES)
def test_planted_near_misses_stay_silent(published, code: str) -> None:
    """The scenarios written as near misses of a code (sid '<CODE>/miss/<n>') raise no alert of it."""
    con, truth = published
    misses = {h["household_id"] for h in truth if h["sid"].startswith(f"{code}/miss/")}
    rows = con.execute(f"SELECT household_id FROM {ACTIVE} WHERE code = ?", [code]).fetchall()
    fired = {h for (h,) in rows} & misses
    print(f"\n{code}: {len(misses)} near misses, {len(fired)} fired")
    assert len(misses) >= 5
    assert not fired
