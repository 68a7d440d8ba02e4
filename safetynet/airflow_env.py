"""Airflow as a subprocess: its environment, its metadata DB, and running the nightly DAG for one date.

Airflow's home is `$SAFETYNET_HOME/airflow` (SQLite metadata DB, airflow.cfg, task logs). Every Airflow
process started by safetynet gets the environment of `airflow_environment`, so the CLI, the UI and the
scheduler see the same DAGs folder, database and SAFETYNET_* settings.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from safetynet.nightly import DAG_ID, logical_date_for
from safetynet.runsummary import summary_path
from safetynet.settings import REPO_ROOT, Settings

DAGS_FOLDER = REPO_ROOT / "dags"
#: Where `airflow standalone` (simple auth manager) writes the generated admin password.
PASSWORDS_FILE_NAME = "simple_auth_manager_passwords.json.generated"
#: After Ctrl-C, how long `airflow standalone` may take to stop its components before SIGTERM.
STOP_GRACE_SECONDS = 15


@dataclass(frozen=True)
class NightlyRun:
    """Outcome of one `airflow dags test` run of the nightly DAG."""

    business_date: date
    returncode: int
    log_path: Path
    summary_path: Path
    #: Whether this run wrote summary.json (a file left by an earlier run of the same date does not count).
    summary_written: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def airflow_environment(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for Airflow subprocesses: `base` (default: this process's) plus safetynet's Airflow setup.

    SAFETYNET_* variables are rewritten from `settings`, so the child resolves exactly the same settings.
    """
    inherited = dict(os.environ if base is None else base)
    env = {k: v for k, v in inherited.items() if not k.startswith("SAFETYNET_")}
    home = settings.airflow_home
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in inherited.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    python_path = [p for p in inherited.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(REPO_ROOT)]
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            # LocalExecutor forks this many workers up front (default 32); sized for a 2-core machine.
            "AIRFLOW__CORE__PARALLELISM": "4",
            "PATH": os.pathsep.join([venv_bin, *path]),
            # The child imports the same checkout as this process, whatever the venv's editable install says.
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *python_path]),
            "SAFETYNET_HOME": str(settings.home),
            "SAFETYNET_EXCHANGE": str(settings.exchange),
        }
    )
    env.update({f"SAFETYNET_FRONTDB_{src.upper()}": url for src, url in settings.frontdb_urls.items()})
    if settings.debug:
        env["SAFETYNET_DEBUG"] = "1"
    return env


def airflow_command(*args: str) -> list[str]:
    """The `airflow` CLI of this interpreter's environment."""
    return [sys.executable, "-m", "airflow", *args]


def ensure_airflow_db(settings: Settings) -> None:
    """Create or upgrade Airflow's metadata DB once per Airflow version (stamp file beside the DB)."""
    # The version from package metadata: importing airflow here would initialise it for the wrong home.
    version = importlib.metadata.version("apache-airflow")
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    stamp = home / ".db-migrated"
    if stamp.is_file() and stamp.read_text().strip() == version and (home / "airflow.db").is_file():
        return
    log = home / "db-migrate.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            airflow_command("db", "migrate"),
            env=airflow_environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed (exit {done.returncode}); see {log}")
    stamp.write_text(version + "\n")


def run_nightly(settings: Settings, business_date: date) -> NightlyRun:
    """Run the nightly DAG for `business_date` through Airflow (`airflow dags test`), logging to a file.

    Same DAG object the scheduler runs: logical date D+1 06:45 Asia/Shanghai, conf {"as_of": D}.
    The log goes to runs/<D>/airflow.log; the DAG writes runs/<D>/summary.json.
    """
    ensure_airflow_db(settings)
    target = summary_path(settings, business_date)
    target.parent.mkdir(parents=True, exist_ok=True)
    log_path = target.parent / "airflow.log"
    command = airflow_command(
        "dags", "test", DAG_ID, logical_date_for(business_date).isoformat(),
        "--conf", json.dumps({"as_of": business_date.isoformat()}),
    )
    started = time.time()
    with log_path.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            command,
            env=airflow_environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=settings.home,
            check=False,
        )
    written = target.is_file() and target.stat().st_mtime >= started
    return NightlyRun(business_date, done.returncode, log_path, target, written)


def standalone_command(settings: Settings, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """Command and environment of `airflow standalone` (api-server, scheduler, dag-processor, triggerer)."""
    env = airflow_environment(settings)
    local = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    env.update(
        {
            "AIRFLOW__API__HOST": host,
            "AIRFLOW__API__PORT": str(port),
            # Task workers report to the API server; the default assumes localhost:8080.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{local}:{port}/execution/",
        }
    )
    return airflow_command("standalone"), env


def run_standalone(settings: Settings, host: str, port: int) -> int:
    """Run `airflow standalone` until it ends or this process gets SIGINT/SIGTERM.

    Returns standalone's exit code, or 0 when it was stopped on request. Standalone stops its components
    only on SIGINT, and a plain SIGTERM would orphan them; so it runs in its own process group, and either
    signal becomes SIGINT to that whole group, then SIGTERM after a grace period (standalone itself may
    hang after its components have stopped).
    """
    ensure_airflow_db(settings)
    command, env = standalone_command(settings, host, port)
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    stop_asked: list[float] = []

    def forward(_signum: int, _frame: object) -> None:
        stop_asked.append(time.monotonic())
        _signal_group(proc.pid, signal.SIGINT)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while proc.poll() is None:
            if stop_asked and time.monotonic() - stop_asked[0] > STOP_GRACE_SECONDS:
                _signal_group(proc.pid, signal.SIGTERM)
            time.sleep(0.5)
        return 0 if stop_asked else proc.returncode
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _signal_group(proc.pid, signal.SIGTERM)  # stragglers of the group, if any


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def passwords_file(settings: Settings) -> Path:
    return settings.airflow_home / PASSWORDS_FILE_NAME
