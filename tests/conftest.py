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


# ---- one simulated, ingested city shared by the slow end-to-end tests ------------------------------------
#: The small city every end-to-end test reads (built once per test session, across xdist workers).
CITY_ARGS = {"scale": 0.003, "seed": 1, "as_of": "2026-05-27", "days": 3}
CITY_DATES = ("2026-05-25", "2026-05-26", "2026-05-27")


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by all xdist workers of this session (the parent of the per-worker base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def ingested_city(tmp_path_factory: pytest.TempPathFactory):
    """(Settings, exchange root) of a simulated city whose 17 sources were ingested for CITY_DATES.

    Built once under a file lock and reused by every worker; treat it as read-only (copy what you change).
    """
    import fcntl
    from datetime import date

    import simulator
    from connectors.ingest import ingest_task
    from safetynet.settings import SOURCES, Settings

    # SAFETYNET_TEST_CITY (developer convenience, never set in CI): a folder to keep the built city in
    # across pytest sessions. Stale once the simulator or the connectors change: delete it then.
    keep = os.environ.get("SAFETYNET_TEST_CITY")
    root = Path(keep) if keep else _shared_dir(tmp_path_factory) / "shared-city"
    root.mkdir(parents=True, exist_ok=True)
    exchange, home, done = root / "exchange", root / "home", root / "READY"
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        settings = Settings(home=home, exchange=exchange, frontdb_urls={
            s: f"sqlite:///{exchange / 'landing' / 'frontdb' / f'{s}.sqlite'}"
            for s in ("cremation", "assistance", "social_insurance", "medical")})
        if not done.exists():
            simulator.simulate(out=exchange, scale=CITY_ARGS["scale"], seed=CITY_ARGS["seed"],
                               as_of=date.fromisoformat(CITY_ARGS["as_of"]), days=CITY_ARGS["days"])
            for day in CITY_DATES:
                for source in SOURCES:
                    ingest_task(settings, source, day)
            done.write_text("ok")
    return settings, exchange


BUILT_AS_OF = "2026-05-27"


@pytest.fixture(scope="session")
def built_city(ingested_city, tmp_path_factory: pytest.TempPathFactory):
    """(Settings, exchange root, path of the published current.duckdb) of a private copy of the shared city
    built as of BUILT_AS_OF with every model of the repo. Read-only: copy what you change."""
    from datetime import date

    from safetynet.settings import Settings
    from warehouse import build

    settings, exchange = ingested_city
    root = tmp_path_factory.mktemp("built-city")
    shutil.copytree(settings.home, root / "home")
    own = Settings(home=root / "home", exchange=exchange, frontdb_urls=settings.frontdb_urls)
    result = build.build(own, date.fromisoformat(BUILT_AS_OF))
    return own, exchange, result.published_path
