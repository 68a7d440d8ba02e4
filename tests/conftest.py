"""Shared test set-up: a throw-away Airflow home for in-process Airflow imports, and the test PostgreSQL.

Airflow reads its configuration when first imported, so the AIRFLOW_* variables are set here, at import
time, before any test module imports airflow.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="safetynet-test-airflow-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """SQLAlchemy URL of the test PostgreSQL (database frontdb, superuser, empty schema public at first).

    Taken from SAFETYNET_TEST_PG_URL (set by scripts/test.sh); otherwise scripts/postgres.sh starts the
    private cluster. If that fails the test is skipped, except in CI, where it fails.
    """
    url = os.environ.get("SAFETYNET_TEST_PG_URL")
    if url:
        return url
    script = str(REPO_ROOT / "scripts" / "postgres.sh")
    try:
        subprocess.run([script, "start"], check=True, capture_output=True, text=True, timeout=600)
        return subprocess.run([script, "url"], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        if _in_ci():
            pytest.fail(f"PostgreSQL needed in CI but could not be started: {detail}")
        pytest.skip(f"PostgreSQL not available: {detail}")


@pytest.fixture()
def pg_database(pg_url: str, request: pytest.FixtureRequest):
    """A fresh PostgreSQL database for one test (dropped afterwards): no clash with other tests or workers."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
