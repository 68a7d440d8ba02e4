"""Early-warning rules on assisted families' members and on referrals (policy.md section 6) against the
planted truth of the shared simulated city: DECEASED_STILL_PAID, DECEASED_MEMBER_ACTIVE, DUPLICATE_ASSISTANCE,
HUKOU_MOVED_OUT, PUBLIC_PAYROLL_MEMBER, STUDENT_AID_MISSING, MEDICAL_SUBSIDY_MISSING, REFERRAL_OVERDUE.

Grain: one test per rule model int.alert__<code> (every planted hit found, no alert in a planted household
that truth does not expect - the planted near misses must stay silent), plus the shape of the evidence.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from alerts_truth import compare, truth_households

from safetynet.settings import REPO_ROOT
from warehouse import runner

pytestmark = pytest.mark.slow

CODES = (
    "DECEASED_STILL_PAID", "DECEASED_MEMBER_ACTIVE", "DUPLICATE_ASSISTANCE", "HUKOU_MOVED_OUT",
    "PUBLIC_PAYROLL_MEMBER", "STUDENT_AID_MISSING", "MEDICAL_SUBSIDY_MISSING", "REFERRAL_OVERDUE",
)
#: The evidence's source per rule (the record that triggered it).
SOURCE = {
    "DECEASED_STILL_PAID": "assistance", "DECEASED_MEMBER_ACTIVE": "assistance",
    "DUPLICATE_ASSISTANCE": "assistance", "HUKOU_MOVED_OUT": "hukou",
    "PUBLIC_PAYROLL_MEMBER": "social_insurance", "STUDENT_AID_MISSING": "education",
    "MEDICAL_SUBSIDY_MISSING": "medical", "REFERRAL_OVERDUE": "assistance",
}
#: Rules over several sources carry `related` records.
RELATED = {code for code in CODES if code != "REFERRAL_OVERDUE"}
OUTPUT_COLUMNS = ["code", "household_id", "id_number", "subject_key", "evidence"]


@pytest.fixture(scope="module")
def con(built_city):
    _, _, path = built_city
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def truth(built_city):
    _, exchange, _ = built_city
    return truth_households(exchange)


def _relation(code: str) -> str:
    return f"int.alert__{code.lower()}"


@pytest.mark.parametrize("code", CODES)
def test_rule_finds_every_planted_alert_and_no_near_miss(con, truth, code):
    agreement = compare(con, truth, code, _relation(code))
    print(agreement.describe(truth))
    assert sum(agreement.expected.values()) > 0, f"{code}: the city plants no hit"
    assert agreement.recall == 1.0, agreement.describe(truth)
    assert not agreement.extra, agreement.describe(truth)


@pytest.mark.parametrize("code", CODES)
def test_rule_output_columns_and_evidence_shape(con, code):
    relation = _relation(code)
    columns = [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]
    assert columns == OUTPUT_COLUMNS
    rows = con.execute(f"SELECT code, household_id, id_number, subject_key, evidence FROM {relation}").fetchall()
    assert rows, f"{code}: no alert in the city"
    as_of = dict(con.execute("SELECT source, strftime(data_as_of, '%Y-%m-%d') FROM int.source_asof").fetchall())
    for rule, household_id, id_number, subject_key, evidence in rows:
        assert rule == code and household_id
        if code == "REFERRAL_OVERDUE":
            assert id_number is None and subject_key and subject_key.startswith("ZB")
        else:
            assert id_number and subject_key is None
        ev = json.loads(evidence)
        assert ev["source"] == SOURCE[code]
        assert ev["record_key"]
        assert ev["as_of"] == as_of[ev["source"]]
        assert isinstance(ev["fields"], dict) and ev["fields"]
        if code in RELATED:
            assert ev["related"], f"{code}: no related record"
            for record in ev["related"]:
                assert set(record) == {"source", "record_key", "as_of", "fields"}
                assert record["record_key"] and record["as_of"] == as_of[record["source"]]
        else:
            assert "related" not in ev


def test_every_alert_lands_in_a_household_of_the_warehouse(con):
    missing = con.execute(
        "SELECT code, count(*) FROM int.alert_candidates "
        "WHERE code IN (SELECT unnest(?)) "
        "AND household_id NOT IN (SELECT household_id FROM mart.household) GROUP BY code",
        [list(CODES)],
    ).fetchall()
    assert missing == []


def test_deceased_rules_partition_the_dead_covered_members(con):
    """Every dead 是 member of an active family raises exactly one of the two death rules."""
    counts = con.execute("""
        SELECT
            (SELECT count(*) FROM int.family_covered_members WHERE death_date IS NOT NULL),
            (SELECT count(*) FROM int.alert__deceased_still_paid),
            (SELECT count(*) FROM int.alert__deceased_member_active),
            (SELECT count(*) FROM int.alert__deceased_still_paid
             INNER JOIN int.alert__deceased_member_active USING (household_id, id_number))
    """).fetchone()
    dead, paid, active, both = counts
    assert both == 0 and paid + active == dead


def test_still_paid_evidence_lists_positive_months_after_the_death(con):
    for (evidence,) in con.execute("SELECT evidence FROM int.alert__deceased_still_paid").fetchall():
        fields = json.loads(evidence)["fields"]
        months = fields["paid_months"]
        assert months and all(m["pay_month"] > fields["death_month"] and m["net_amount"] > 0 for m in months)
        assert fields["net_amount_after_death"] == pytest.approx(sum(m["net_amount"] for m in months))


def test_referral_overdue_evidence_is_past_due_without_final_result(con):
    for (evidence,) in con.execute("SELECT evidence FROM int.alert__referral_overdue").fetchall():
        fields = json.loads(evidence)["fields"]
        assert fields["days_overdue"] >= 1
        assert fields["feedback_result"] in (None, "办理中")


def test_referral_overdue_thresholds_and_unplaced_applicant():
    """On handmade inputs: due today is not overdue, one day later is; a final result (also a late one) closes
    the referral, 办理中 does not; an unplaced applicant's alert goes to his 户号's other 正常 persons."""
    model = runner.parse_model(REPO_ROOT / "transforms" / "intermediate" / "int_alert__referral_overdue.sql",
                               "int", "int_")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA stg; CREATE SCHEMA int")
    con.execute("""
        CREATE TABLE stg.assistance__referral AS
        SELECT *, '民政' AS department, '事项' AS matter,
            coalesce(feedback_result IN ('已办结', '不符合条件'), false) AS is_closed
        FROM (VALUES
            ('ZB1', 'SQ1', TIMESTAMP '2026-05-07 10:00:00', 20, NULL, NULL),              -- due 05-27: not yet
            ('ZB2', 'SQ1', TIMESTAMP '2026-05-06 23:59:00', 20, NULL, NULL),              -- due 05-26: overdue
            ('ZB3', 'SQ1', TIMESTAMP '2026-04-01 10:00:00', 10, '办理中', TIMESTAMP '2026-04-05 10:00:00'),
            ('ZB4', 'SQ1', TIMESTAMP '2026-04-01 10:00:00', 10, '已办结', TIMESTAMP '2026-05-20 10:00:00'),
            ('ZB5', 'SQ2', TIMESTAMP '2026-04-01 10:00:00', 10, NULL, NULL),              -- unplaced applicant
            ('ZB6', 'SQ9', TIMESTAMP '2026-04-01 10:00:00', 10, NULL, NULL)               -- unknown application
        ) AS t(referral_no, application_no, dispatched_at, time_limit_days, feedback_result, feedback_at);
        CREATE TABLE stg.assistance__application AS SELECT * FROM (VALUES
            ('SQ1', 'P-A', 'valid'), ('SQ2', 'P-B', 'valid')
        ) AS t(application_no, applicant_id_number, applicant_id_number_status);
        CREATE TABLE int.household_assignment AS SELECT * FROM (VALUES
            ('P-A', 'SQ1'), ('P-C', 'HK100'), ('P-D', 'HK100'), ('P-E', 'JZ7')
        ) AS t(id_number, household_id);
        CREATE TABLE int.hukou_registration AS SELECT * FROM (VALUES
            ('P-B', '100', '迁出'), ('P-C', '100', '正常'), ('P-D', '100', '正常'), ('P-E', '100', '正常')
        ) AS t(id_number, hukou_no, status);
        CREATE TABLE int.source_asof AS SELECT 'assistance' AS source, DATE '2026-05-27' AS data_as_of;
    """)
    runner.execute_model(con, model, {"as_of": date(2026, 5, 27)})
    rows = con.execute("SELECT subject_key, household_id, evidence->>'$.fields.days_overdue' "
                       "FROM int.alert__referral_overdue ORDER BY subject_key").fetchall()
    assert rows == [("ZB2", "SQ1", "1"), ("ZB3", "SQ1", "46"), ("ZB5", "HK100", "46")]
