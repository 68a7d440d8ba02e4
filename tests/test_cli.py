"""The `safetynet` command line: help everywhere, one-line errors, and the wiring of `simulate`."""

from __future__ import annotations

import sys
import types
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetynet.cli import app

COMMANDS = ["simulate", "run", "profile", "verify", "alerts", "review-alert", "airflow-ui"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private SAFETYNET_HOME with no front database configured."""
    return {"SAFETYNET_HOME": str(tmp_path / "home"), "SAFETYNET_DEBUG": ""} | {
        f"SAFETYNET_FRONTDB_{s}": "" for s in ("CREMATION", "ASSISTANCE", "SOCIAL_INSURANCE", "MEDICAL")
    }


def test_top_level_help(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize("args", [["alerts"], ["review-alert", "abc", "--verdict", "confirmed", "--reviewer", "x"]])
def test_warehouse_commands_without_a_warehouse_fail_with_one_line(runner, env, args):
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_run_without_deliveries_fails_with_one_line(runner, env):
    result = runner.invoke(app, ["run"], env=env)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_unexpected_errors_are_one_line_without_traceback(runner, env, monkeypatch):
    def boom(**_: object) -> None:
        raise ValueError("bad thing\nsecond line 370481199001011234")

    monkeypatch.setitem(sys.modules, "simulator", types.SimpleNamespace(simulate=boom))
    args = ["simulate", "--out", "x", "--scale", "0.1", "--seed", "1", "--as-of", "2026-05-27"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1
    assert result.stderr.strip() == "错误: ValueError: bad thing"


def test_simulate_wiring(runner, env, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "simulator", types.SimpleNamespace(simulate=lambda **kw: calls.append(kw)))
    out = tmp_path / "exchange"
    args = ["simulate", "--out", str(out), "--scale", "0.002", "--seed", "7", "--as-of", "2026-05-27", "--days", "3"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert calls == [dict(out=out, scale=0.002, seed=7, as_of=date(2026, 5, 27), days=3, frontdb_urls=None)]

    configured = env | {"SAFETYNET_FRONTDB_MEDICAL": "postgresql+psycopg://u@127.0.0.1:1/db"}
    assert runner.invoke(app, args, env=configured).exit_code == 0
    assert calls[1]["frontdb_urls"]["medical"] == "postgresql+psycopg://u@127.0.0.1:1/db"


def test_bad_date_is_rejected(runner, env):
    result = runner.invoke(app, ["run", "--as-of", "27.05.2026"], env=env)
    assert result.exit_code != 0
