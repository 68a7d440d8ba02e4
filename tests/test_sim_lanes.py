"""The two-lane writer (simulator/lanes.py): same output as one lane, and a table map that holds.

A tiny city is written twice: sequentially in this process, each source reading the world through
a recording table map, and by `simulator.simulate` (worker process + released tables). The trees
must be byte-identical, and every table a source read must be listed in `lanes.SOURCE_TABLES`
(otherwise the worker would miss it, or the release would drop it too early).
"""

from __future__ import annotations

import hashlib
import importlib
from datetime import date
from pathlib import Path

import pytest

import simulator
from simulator import lanes, truth
from simulator.config import SimConfig

ARGS = dict(scale=0.002, seed=3, as_of=date(2026, 5, 27), days=3)


class _Recording(dict):
    """A table map that remembers every key asked for (item access, get and `in`)."""

    def __init__(self, tables: dict) -> None:
        super().__init__(tables)
        self.read: set[str] = set()

    def __getitem__(self, key: str):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    out = tmp_path_factory.mktemp("seq") / "exchange"
    world = simulator.build_world(SimConfig(out=out, **ARGS))
    tables = world.tables
    read: dict[str, set[str]] = {}
    for name in simulator.SOURCE_MODULES:
        world.tables = _Recording(tables)
        importlib.import_module(f"simulator.sources.{name}").write(world)
        read[name] = world.tables.read
    world.tables = tables
    truth.write(world)
    return out, read


def test_source_tables_list_what_each_source_reads(sequential) -> None:
    _, read = sequential
    assert set(lanes.SOURCE_TABLES) == set(simulator.SOURCE_MODULES)
    for name, tables in read.items():
        assert tables <= set(lanes.SOURCE_TABLES[name]), f"{name} reads {sorted(tables)}"


def test_two_lanes_write_the_same_tree(sequential, tmp_path: Path) -> None:
    out, _ = sequential
    simulator.simulate(out=tmp_path / "exchange", **ARGS)
    assert _digest(tmp_path / "exchange") == _digest(out)


def test_worker_failure_is_reported(tmp_path: Path) -> None:
    world = simulator.base_world(SimConfig(out=tmp_path, **ARGS))
    worker = lanes.start_worker(world, ("medical",))  # no health tables: the source fails
    with pytest.raises(RuntimeError, match="KeyError"):
        worker.join()
