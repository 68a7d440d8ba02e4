"""The two-lane writer (simulator/lanes.py): same output as one lane, and table maps that hold.

A tiny city is written twice: sequentially in this process, each domain and source reading the world
through a recording table map, and by `simulator.simulate` (domains interleaved with sources, worker
process, released tables). The trees must be byte-identical, and every table a source read must be
listed in `lanes.SOURCE_TABLES`, every table a domain read from earlier domains in
`lanes.DOMAIN_TABLES` (otherwise the worker would miss it, or the release would drop it too early).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping, Sequence
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
    world = simulator.base_world(SimConfig(out=out, **ARGS))
    read: dict[str, set[str]] = {}
    for name in simulator.DOMAINS:
        before = set(world.tables)
        world.tables = _Recording(world.tables)
        importlib.import_module(f"simulator.domains.{name}").build(world)
        read[f"domain {name}"] = world.tables.read & before  # tables of earlier domains
        world.tables = dict(world.tables)
    tables = world.tables
    for name in simulator.SOURCE_MODULES:
        world.tables = _Recording(tables)
        importlib.import_module(f"simulator.sources.{name}").write(world)
        read[f"source {name}"] = world.tables.read
    world.tables = tables
    truth.write(world)
    return out, read


@pytest.mark.parametrize(("kind", "names", "table_map"), [
    ("source", simulator.SOURCE_MODULES, lanes.SOURCE_TABLES),
    ("domain", simulator.DOMAINS, lanes.DOMAIN_TABLES),
])
def test_table_maps_list_what_each_step_reads(sequential, kind: str, names: Sequence[str],
                                             table_map: Mapping[str, Sequence[str]]) -> None:
    """lanes.SOURCE_TABLES / DOMAIN_TABLES cover every table a source / domain reads (of earlier domains)."""
    _, read = sequential
    assert set(table_map) == set(names)
    for name in names:
        tables = read[f"{kind} {name}"]
        assert tables <= set(table_map[name]), f"{kind} {name} reads {sorted(tables)}"


def test_two_lanes_write_the_same_tree(sequential, tmp_path: Path) -> None:
    out, _ = sequential
    simulator.simulate(out=tmp_path / "exchange", **ARGS)
    assert _digest(tmp_path / "exchange") == _digest(out)


def test_worker_failure_is_reported(tmp_path: Path) -> None:
    world = simulator.base_world(SimConfig(out=tmp_path, **ARGS))
    worker = lanes.start_worker(world, ("medical",))  # no health tables: the source fails
    with pytest.raises(RuntimeError, match="KeyError"):
        worker.join()
