"""Writing the deliveries in two lanes at once: a spawned worker process and the calling one.

Grain: a lane is an ordered list of sources. At full scale the SQL front databases and the
disability workbooks are CPU-bound in Python/SQLite (one core each), so `WORKER_SOURCES` run in a
second process while this one writes the rest; the halves take about equal CPU. The worker starts
after `BEFORE_WORKER` are written and their tables released, to bound the memory of both.

The worker is a fresh interpreter (never a fork: forking after numpy/pyarrow thread pools have
started can deadlock the child). It receives a copy of the world holding only the tables its
sources read (`SOURCE_TABLES`), one table per pickle, so no pickled copy of the whole world ever
exists. Output is unchanged by the split: every source draws only from its own named random
streams (simulator/rng.py), reads the world without changing it, and writes its own files.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from simulator.phases import Phase, log_phase, phase, trim
from simulator.world import World

#: World tables each source reads besides `people` and `households` (tests/test_sim_lanes.py checks
#: this against what the sources actually read).
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "hukou": (),
    "deaths": ("death_certificates",),
    "cremation": ("cremations",),
    "social_insurance": ("benefits", "employers", "jobs", "resident_contrib"),
    "tax": ("foreign_taxpayers", "tax_income"),
    "housing_fund": ("employers", "gjj_accounts"),
    "vehicles": ("vehicles",),
    "property": ("property_registrations", "property_units"),
    "business": ("entities", "entity_persons"),
    "assistance": ("application_members", "applications", "families", "family_members", "payments",
                   "referrals"),
    "bank": ("application_members", "applications", "bank_holdings", "bank_requests", "families",
             "family_members"),
    "disability": ("disability_certs", "families", "family_members"),
    "rural_monitoring": ("ffp_households",),
    "medical": ("enrollments", "medical_risk", "settlements"),
    "education": ("student_aid", "students"),
    "charity": ("charity_batches", "charity_records"),
    "public_housing": ("public_housing_families",),
}

#: Sources written by the worker process (the 医保 front database and the disability workbooks).
WORKER_SOURCES: tuple[str, ...] = ("medical", "disability")
#: Sources this process writes before it starts the worker: they read the biggest world tables
#: (~1.4 GiB at full scale) and write quickly, so those tables are released before the worker's
#: copy of people and the health tables adds to the memory of the two processes.
BEFORE_WORKER: tuple[str, ...] = ("property", "tax", "bank", "assistance", "business", "vehicles", "education")

_SHARED_FIELDS = ("people", "households")


def tables_of(sources: Sequence[str]) -> set[str]:
    """World tables read by any of `sources` (an unknown source reads every table)."""
    out: set[str] = set()
    for s in sources:
        if s not in SOURCE_TABLES:
            raise KeyError(f"source {s!r} has no entry in SOURCE_TABLES")
        out.update(SOURCE_TABLES[s])
    return out


def write_sources(world: World, sources: Sequence[str], records: list[Phase] | None = None,
                  release: bool = False, keep: Collection[str] = ()) -> None:
    """Write `sources` in order; with `release`, drop each world table once no later source reads it
    (tables in `keep`, which sources written afterwards read, stay)."""
    for i, name in enumerate(sources):
        with phase(f"source {name}", records):
            importlib.import_module(f"simulator.sources.{name}").write(world)
        if release:
            for t in tables_of(sources[i:i + 1]) - tables_of(sources[i + 1:]) - set(keep):
                world.tables.pop(t, None)


def write_in_two_lanes(world: World, sources: Sequence[str]) -> None:
    """Write `sources`: `BEFORE_WORKER` here, then `WORKER_SOURCES` in a worker process while this one
    writes the rest. Releases every table once written (the caller gives `world.tables` up)."""
    first = [s for s in sources if s in BEFORE_WORKER]
    theirs = [s for s in sources if s in WORKER_SOURCES and s not in first]
    rest = [s for s in sources if s not in first and s not in theirs]
    for t in set(world.tables) - tables_of(sources):
        del world.tables[t]
    write_sources(world, first, release=True, keep=tables_of([*theirs, *rest]))
    worker = start_worker(world, theirs) if theirs else None
    try:
        for t in set(world.tables) - tables_of(rest):
            del world.tables[t]
        trim()  # the released tables' memory goes back to the OS before the big loads
        write_sources(world, rest, release=True)
    except BaseException:
        if worker is not None:
            worker.kill()
        raise
    if worker is not None:
        worker.join()


@dataclass
class Worker:
    """A running worker lane: its process (stdin takes the world, stdout gives the result)."""

    process: subprocess.Popen[bytes]
    sources: tuple[str, ...]

    def kill(self) -> None:
        """Stop the worker (the caller failed; its output is incomplete anyway)."""
        self.process.kill()
        self.process.wait()

    def join(self) -> list[Phase]:
        """Wait for the worker; its phases, or RuntimeError (the worker's traceback is on stderr)."""
        assert self.process.stdout is not None
        try:
            status, payload = pickle.load(self.process.stdout)
        except EOFError:
            status, payload = "error", "worker exited without reporting"
        finally:
            self.process.stdout.close()
            self.process.wait()
        if status != "ok":
            raise RuntimeError(f"simulator worker failed (exit code {self.process.returncode}):\n{payload}")
        for p in payload:
            log_phase(p, "  [worker]")
        return payload


def start_worker(world: World, sources: Sequence[str]) -> Worker:
    """Start a fresh interpreter writing `sources` from a copy of the tables they read.

    A new interpreter (exec, as multiprocessing's 'spawn' does, but without re-importing the
    caller's __main__) never inherits thread pools; the world goes over its stdin one table per
    pickle, so no second copy of the whole world is held at any time.
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen([sys.executable, "-c", "from simulator.lanes import worker_main; worker_main()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    try:
        with proc.stdin as pipe:
            head = replace(world, tables={}, **{f: None for f in _SHARED_FIELDS})
            pickle.dump((tuple(sources), head), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            for f in _SHARED_FIELDS:
                pickle.dump((f, getattr(world, f)), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            for t in sorted(tables_of(sources) & world.tables.keys()):
                pickle.dump((t, world.tables[t]), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(None, pipe)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return Worker(proc, tuple(sources))


def worker_main() -> None:
    """Worker entry point: read the world from stdin piece by piece, write the sources, report on stdout.

    Whatever the sources print goes to stderr: file descriptor 1 is kept for the pickled result.
    """
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        stdin = sys.stdin.buffer
        sources, world = pickle.load(stdin)
        names = {f.name for f in fields(World)}
        while (item := pickle.load(stdin)) is not None:
            key, value = item
            if key in names:
                setattr(world, key, value)
            else:
                world.tables[key] = value
        records: list[Phase] = []
        write_sources(world, sources, records, release=True)
        outcome: tuple[str, object] = ("ok", records)
    except BaseException:
        outcome = ("error", traceback.format_exc())
    with result:
        pickle.dump(outcome, result)
    if outcome[0] != "ok":
        raise SystemExit(1)
