"""The environment of Airflow subprocesses and the test PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from safetynet.airflow_env import DAGS_FOLDER, airflow_environment
from safetynet.settings import Settings


def test_airflow_environment(tmp_path):
    settings = Settings.from_env({"SAFETYNET_HOME": str(tmp_path), "SAFETYNET_FRONTDB_MEDICAL": "postgresql://x/y"})
    env = airflow_environment(settings, {"PATH": "/usr/bin", "SAFETYNET_STRAY": "1", "LANG": "C.UTF-8"})
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_FOLDER)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)
    assert env["LANG"] == "C.UTF-8" and "SAFETYNET_STRAY" not in env
    assert env["SAFETYNET_HOME"] == str(tmp_path)
    assert env["SAFETYNET_FRONTDB_MEDICAL"] == "postgresql://x/y"
    # The child resolves the same settings.
    assert Settings.from_env(env) == settings


@pytest.mark.postgres
def test_postgres_is_reachable(pg_url):
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == "frontdb"
    finally:
        engine.dispose()
