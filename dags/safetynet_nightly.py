"""Nightly run of safetynet: on D+1 at 06:45 Asia/Shanghai, process business date D.

Wiring only: every task calls exactly one function outside dags/ (tests/test_dags.py enforces it).
Heavy imports stay inside the tasks so the scheduler parses this file quickly.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from safetynet.nightly import CRON, DAG_ID, TIMEZONE
from safetynet.settings import SOURCES


@task
def business_date(dag_run=None, params=None) -> str:
    from safetynet import nightly

    return nightly.business_date_for(dag_run, params["as_of"])


@task
def ingest(source: str, day: str) -> str:
    from connectors import ingest as ingest_mod
    from safetynet.settings import Settings

    return ingest_mod.ingest_task(Settings.from_env(), source, day)


@task
def bank_requests(day: str) -> str:
    from connectors import bank_requests as requests
    from safetynet.settings import Settings

    return requests.request_task(Settings.from_env(), day)


# all_done: publish even if a source failed - mart.source_freshness marks it stale, and run_summary
# still fails the run. A failed build leaves the published warehouse untouched.
@task(trigger_rule="all_done")
def build_warehouse(day: str) -> str:
    from safetynet.settings import Settings
    from warehouse import build

    return build.build_task(Settings.from_env(), day)


# After a published build only (default trigger): a failed build leaves the previous night's warehouse,
# whose alerts are not tonight's. A leaf task, so a failed report fails the run.
@task
def anomaly_report(day: str) -> str:
    from reports import anomalies
    from safetynet.settings import Settings

    return anomalies.report_task(Settings.from_env(), day)


# all_done: the summary records failed sources too, then fails the run itself (IncompleteRunError).
@task(trigger_rule="all_done", retries=0)
def run_summary(day: str, paths: dict[str, str | None]) -> str:
    from safetynet import runsummary
    from safetynet.settings import Settings

    return runsummary.write_run_summary(Settings.from_env(), day, paths)


@dag(
    dag_id=DAG_ID,
    schedule=CRON,
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={"as_of": Param(None, type=["null", "string"], format="date", description="business date D")},
    tags=["safetynet"],
    doc_md=__doc__,
)
def safetynet_nightly():
    day = business_date()
    paths = {source: ingest.override(task_id=f"ingest_{source}")(source, day) for source in SOURCES}
    # Only persons covered by a signed 授权书 of an open application are queried (connectors/bank_requests.py).
    paths["assistance"] >> bank_requests(day)
    published = build_warehouse(day)
    list(paths.values()) >> published
    published >> run_summary(day, paths)
    published >> anomaly_report(day)


safetynet_nightly()
