"""Building the world and writing the deliveries in two lanes: the calling process and a spawned worker.

Grain: a lane is an ordered list of steps. The calling (main) process builds the domains in
dependency order and, right after each domain, writes the sources whose tables are then complete,
releasing every table no later step reads: the big asset and welfare tables are gone before the next
domain's intermediates are built, which bounds the memory of the process. The worker process starts
once `WORKER_AFTER` is built and writes `WORKER_SOURCES` (the SQL front database of 人社 and the disability
workbooks, CPU-bound in SQLite/Python) while the main process builds the remaining domains and
writes the rest, the 户籍 snapshot and the 医保 front database last (`MAIN_LAST`, when the main
process holds least).

The worker is a fresh interpreter (never a fork: forking after numpy/pyarrow thread pools have
started can deadlock the child). It receives, over its stdin, the people and the tables its sources
read, one table per pickle and each as soon as it is complete, then the order to write each source.
The main thread pickles each message when it is complete; a feeder thread only writes the bytes
into the pipe, so the main process never waits for the worker (and the feeder needs the GIL only
between writes: a thread pickling DataFrames was starved for a minute by a running SQLite load). Output is
unchanged by the split and the order: every source draws only from its own named random streams
(simulator/rng.py), reads the world without changing it, and writes its own files; a domain reads
only the tables listed in `DOMAIN_TABLES`, all built before it.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import IO, Any

from simulator.phases import Phase, lean_allocator, log_phase, phase, trim
from simulator.world import World

log = logging.getLogger("simulator")

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

#: World tables each domain reads that earlier domains built (tests/test_sim_lanes.py checks this
#: too): they are kept until the domain is built.
DOMAIN_TABLES: dict[str, tuple[str, ...]] = {
    "vital": (),
    "economy": (),
    "assets": (),
    "welfare": (),
    "health": ("benefits", "disability_certs", "families", "family_members", "ffp_households", "jobs"),
    "education": ("deceased", "disability_certs", "families", "family_members", "ffp_households"),
    "social": ("disability_certs", "families", "family_members", "ffp_households"),
}

#: Sources written by the worker process, in this order as their tables are complete.
WORKER_SOURCES: tuple[str, ...] = ("deaths", "cremation", "social_insurance", "housing_fund", "disability")
#: The worker starts once this domain is built and the main process has written the sources it
#: completes: the domain's intermediates (the largest of the build at full scale) and the tables its
#: sources release are gone before a second process adds to the memory of the two.
WORKER_AFTER = "assets"
#: Main-process sources written only after every domain is built: they need no table the release
#: would free early, and each has the largest transient memory of the sources still in this process
#: (the 户籍 snapshot, the 医保 load); last, they also run beside the worker instead of delaying it.
MAIN_LAST: tuple[str, ...] = ("hukou", "medical")

#: The columns of `people` the worker's sources read (it gets only these, and `households` without
#: columns: ~0.25 GiB less in the worker at full scale; tests/test_sim_lanes.py would fail on a
#: missing one).
WORKER_PEOPLE_COLUMNS: tuple[str, ...] = ("birth_date", "death_date", "id_number", "name", "planted")


def tables_of(sources: Iterable[str]) -> set[str]:
    """World tables read by any of `sources` (KeyError for a source missing from SOURCE_TABLES)."""
    out: set[str] = set()
    for s in sources:
        if s not in SOURCE_TABLES:
            raise KeyError(f"source {s!r} has no entry in SOURCE_TABLES")
        out.update(SOURCE_TABLES[s])
    return out


def write_source(world: World, name: str, records: list[Phase] | None = None) -> None:
    """One source's deliveries, timed as a phase (appended to `records` if given)."""
    with phase(f"source {name}", records):
        importlib.import_module(f"simulator.sources.{name}").write(world)


def build_domain(world: World, name: str) -> None:
    """One domain's tables, built into `world` and timed as a phase."""
    with phase(f"domain {name}"):
        importlib.import_module(f"simulator.domains.{name}").build(world)


def build_and_write(world: World, domains: Sequence[str], sources: Sequence[str]) -> None:
    """Build `domains` into `world` (dependency order) and write `sources`, in two lanes (module
    docstring). Each table is released once no later step of this process reads it."""
    mine = [s for s in sources if s not in WORKER_SOURCES]
    theirs = [s for s in WORKER_SOURCES if s in sources]
    worker: Worker | None = None

    def release(later_domains: Sequence[str]) -> None:
        keep = tables_of(mine) | tables_of(theirs)
        for d in later_domains:
            keep.update(DOMAIN_TABLES[d])
        for t in set(world.tables) - keep:
            del world.tables[t]

    def write_ready(later_domains: Sequence[str], last: bool) -> None:
        for s in [s for s in mine if last or (s not in MAIN_LAST and _ready(world, s))]:
            write_source(world, s)
            mine.remove(s)
            release(later_domains)
        if worker is not None:
            ready = [s for s in theirs if last or _ready(world, s)]
            worker.send(world, ready)
            theirs[:] = [s for s in theirs if s not in ready]
            release(later_domains)

    try:
        if WORKER_AFTER not in domains and theirs:
            worker = start_worker(world)
        write_ready(domains, last=False)
        for i, name in enumerate(domains):
            build_domain(world, name)
            write_ready(domains[i + 1:], last=False)
            if name == WORKER_AFTER and theirs:
                trim()
                worker = start_worker(world)
                write_ready(domains[i + 1:], last=False)
        if theirs and worker is None:
            worker = start_worker(world)
        write_ready((), last=True)
    except BaseException:
        if worker is not None:
            worker.kill()
        raise
    if worker is not None:
        worker.join()


def _ready(world: World, source: str) -> bool:
    """All tables the source reads are built (a domain's tables are complete once it is built)."""
    return all(t in world.tables for t in SOURCE_TABLES[source])


@dataclass
class Worker:
    """A running worker lane: its process (stdin takes the world and the orders, stdout gives the
    result) and the feeder thread writing the stream (pickled messages queue up; None ends it)."""

    process: subprocess.Popen[bytes]
    outbox: queue.Queue[bytes | None] = field(default_factory=queue.Queue)
    feeder: threading.Thread | None = None
    sent: set[str] = field(default_factory=set)
    error: BaseException | None = None

    def send(self, world: World, sources: Sequence[str]) -> None:
        """Queue the tables of `sources` the worker has not had yet, then the order to write each."""
        for s in sources:
            for t in sorted(tables_of([s]) - self.sent):
                if t in world.tables:
                    self.put((t, world.tables[t]))
                    self.sent.add(t)
            self.put(("write", s))

    def put(self, message: tuple[str, Any]) -> None:
        self.outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def kill(self) -> None:
        """Stop the worker (the caller failed; its output is incomplete anyway)."""
        self.process.kill()
        self.process.wait()
        self.outbox.put(None)

    def join(self) -> list[Phase]:
        """End the stream and wait for the worker; its phases, or RuntimeError (the worker's traceback
        is on stderr)."""
        self.outbox.put(None)
        if self.feeder is not None:
            self.feeder.join()
        assert self.process.stdout is not None
        try:
            status, payload = pickle.load(self.process.stdout)
        except EOFError:
            status, payload = "error", f"worker exited without reporting ({self.error!r})"
        finally:
            self.process.stdout.close()
            self.process.wait()
        if status != "ok":
            raise RuntimeError(f"simulator worker failed (exit code {self.process.returncode}):\n{payload}")
        for p in payload:
            log_phase(p, "  [worker]")
        return payload

    def _feed(self, pipe: IO[bytes]) -> None:
        """Feeder thread: write each queued message into the worker's stdin (its bytes are freed
        once written)."""
        try:
            with pipe:
                while (data := self.outbox.get()) is not None:
                    pipe.write(data)
                    pipe.flush()  # a short message (an order to write) would wait in the buffer
                    del data
                pickle.dump(None, pipe)
        except BaseException as exc:  # the worker died; join() reports its own error
            self.error = exc


def start_worker(world: World, sources: Sequence[str] = ()) -> Worker:
    """Start a fresh interpreter and send it the world's people and households, reduced to what the
    worker's sources read (`WORKER_PEOPLE_COLUMNS`), then `sources`.

    A new interpreter (exec, as multiprocessing's 'spawn' does, but without re-importing the
    caller's __main__) never inherits thread pools; the world goes over its stdin one table per
    pickle, so no second copy of the whole world is held at any time.
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen([sys.executable, "-c", "from simulator.lanes import worker_main; worker_main()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    worker = Worker(proc)
    worker.put(("head", replace(world, tables={}, people=None, households=None)))
    worker.put(("people", world.people[list(WORKER_PEOPLE_COLUMNS)]))
    worker.put(("households", world.households[[]]))
    worker.feeder = threading.Thread(target=worker._feed, args=(proc.stdin,), daemon=True)
    worker.feeder.start()
    log.info("worker started")
    worker.send(world, sources)
    return worker


def worker_main() -> None:
    """Worker entry point: read the world piece by piece from stdin and write each source when told
    (releasing a table once no source still to come needs it); report the phases on stdout.

    Whatever the sources print goes to stderr: file descriptor 1 is kept for the pickled result.
    """
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    lean_allocator()
    try:
        stdin = sys.stdin.buffer
        _, world = pickle.load(stdin)
        names = {f.name for f in fields(World)}
        records: list[Phase] = []
        written: list[str] = []
        while (item := pickle.load(stdin)) is not None:
            key, value = item
            if key == "write":
                write_source(world, value, records)
                written.append(value)
                todo = [s for s in WORKER_SOURCES if s not in written]
                for t in tables_of([value]) - tables_of(todo):
                    world.tables.pop(t, None)
            elif key in names:
                setattr(world, key, value)
            else:
                world.tables[key] = value
            del item, value
        outcome: tuple[str, object] = ("ok", records)
    except BaseException:
        outcome = ("error", traceback.format_exc())
    with result:
        pickle.dump(outcome, result)
    if outcome[0] != "ok":
        raise SystemExit(1)
