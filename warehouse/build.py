"""Build the warehouse for a business date into a new DuckDB file, validate it, publish it atomically.

Grain: one build = one file `$SAFETYNET_HOME/warehouse/builds/<as_of>_<UTC build time>.duckdb`, holding
schemas stg, int, mart (the models, warehouse/runner.py) and meta (build_info, model_run, raw_entity).

Steps (any failure or kill before step 7 leaves current.duckdb exactly as it was):

1. take the build lock (`warehouse/.build.lock`, flock: one build or rollback at a time; the kernel drops
   it when the process dies) and set aside leftovers of killed builds (`*.building.duckdb` -> `.failed`);
2. create `builds/<id>.building.duckdb` - a NEW file, nothing else attached - and run the runner in it;
3. `warehouse.checks.validate_marts`: `transforms/marts/_contracts.yaml`, then the Great Expectations mart
   suites (expectations/suites_marts.py);
4. history (pending, below), meta tables, the look-up indexes (warehouse.query.LOOKUP_INDEXES); drop schema
   raw (its views name raw-store paths); CHECKPOINT; close;
5. reopen read-only as a consumer would; rename to `builds/<id>.duckdb`; compute `content_hash`; write
   the manifest `builds/<id>.json`;
6. hard-link the build to `current.duckdb.tmp` (copy when the file system cannot link);
7. `os.replace(current.duckdb.tmp, current.duckdb)`: one atomic rename on the same file system. Readers
   that opened the old file keep reading the old inode; new readers get the new build, never a mix;
8. best effort (a failure is logged, the build stays published): history rename, publish log, pruning
   to the `keep` newest builds (never the published one) and the 3 newest failed ones.

A failed build is renamed `builds/<id>.failed.duckdb` (kept for diagnosis, 3 at most). A build killed
outright leaves `<id>.building.duckdb`, which the next build or rollback renames the same way.

Nobody ever opens current.duckdb or a build file for writing after step 4: consumers open read-only
(warehouse/query.py) and finished builds are mode 0444, so sharing the inode between `current.duckdb`
and its `builds/` name is safe.

History (warehouse/history.py): every published night of `mart.household_profile`, `mart.alert` and
`mart.alert_rule_run` stays queryable. A build copies each of these tables to a pending file in
`$SAFETYNET_HOME/warehouse/history/<table>/`, and right after step 7 renames it to `as_of=<D>.parquet` (so
the store holds only published builds; a rebuild of the same date replaces that date's file, i.e. each
date holds the last published build of that date). `mart.<table>_history` is a VIEW: the build's own rows
(inside the file) plus, read from the history files, every earlier date (as_of < the build's date). The
history lives outside the build files (a build does not grow with the number of nights; rollback keeps it;
a backfilled earlier date shows up), and views are excluded from the contracts and the content hash. The
alert snapshot of the latest earlier night is also the next build's input (raw.pipeline__alert_state: the
lifecycle continues from it). The views name the history folder by its absolute path: moving
SAFETYNET_HOME needs a rebuild. A crash in the instant between step 7 and that rename leaves the date
missing from later builds' history until the date is rebuilt (logged).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from safetynet.nightly import parse_date
from safetynet.settings import Settings
from warehouse import checks, history, runner
from warehouse.query import CURRENT, create_lookup_indexes, current_path

log = logging.getLogger(__name__)

DEFAULT_KEEP = 7
#: Mode of finished builds: a process that tries to open one for writing fails (unless run as root).
READ_ONLY = 0o444
KEEP_FAILED = 3
_BUILD_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{8}T\d{12})$")


class BuildError(RuntimeError):
    """A build or rollback could not be completed; current.duckdb is unchanged."""


class BuildLocked(BuildError):
    """Another build or rollback holds the lock."""


@dataclass(frozen=True)
class BuildResult:
    """What one published build produced."""

    build_id: str
    as_of: date
    build_path: Path
    published_path: Path
    content_hash: str
    tables: Mapping[str, int]
    models: tuple[runner.ModelRun, ...]
    raw: tuple[runner.RawEntity, ...]
    seconds: float


# --- locations -------------------------------------------------------------------------------------------

def builds_dir(settings: Settings) -> Path:
    return settings.warehouse_dir / "builds"


def history_dir(settings: Settings) -> Path:
    return history.root(settings)


def _building(settings: Settings, build_id: str) -> Path:
    return builds_dir(settings) / f"{build_id}.building.duckdb"


def _built(settings: Settings, build_id: str) -> Path:
    return builds_dir(settings) / f"{build_id}.duckdb"


def _new_build_id(as_of: date) -> str:
    return f"{as_of.isoformat()}_{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def build_time(build_id: str) -> str:
    """The sortable build-time part of a build id."""
    m = _BUILD_ID.match(build_id)
    if not m:
        raise BuildError(f"not a build id: {build_id!r}")
    return m.group(2)


def builds(settings: Settings) -> list[Path]:
    """Retained successful build files, oldest build first."""
    root = builds_dir(settings)
    found = [p for p in root.glob("*.duckdb") if _BUILD_ID.match(p.stem)] if root.is_dir() else []
    return sorted(found, key=lambda p: build_time(p.stem))


# --- lock and leftovers ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    builds_dir(settings).mkdir(parents=True, exist_ok=True)
    with open(settings.warehouse_dir / ".build.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked("another warehouse build or rollback is running "
                              f"(lock {settings.warehouse_dir / '.build.lock'})") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_sidecars(db: Path) -> None:
    """DuckDB's write-ahead log and spill folder of a database file."""
    with contextlib.suppress(FileNotFoundError):
        db.with_name(db.name + ".wal").unlink()
    shutil.rmtree(db.with_name(db.name + ".tmp"), ignore_errors=True)


def _set_aside(settings: Settings, build_id: str) -> None:
    """Rename whatever a failed or killed build left to `<id>.failed.duckdb`; drop its manifest."""
    failed = builds_dir(settings) / f"{build_id}.failed.duckdb"
    for path in (_building(settings, build_id), _built(settings, build_id)):
        _remove_sidecars(path)
        if path.exists():
            os.replace(path, failed)
    for stale in (builds_dir(settings) / f"{build_id}.json", *_pending_files(settings, build_id)):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def _clean_leftovers(settings: Settings) -> None:
    for path in builds_dir(settings).glob("*.building.duckdb"):
        log.warning("setting aside %s, left by a build that did not finish", path.name)
        _set_aside(settings, path.name.removesuffix(".building.duckdb"))
    for table in history.TABLES:
        folder = history.folder(settings, table)
        for pending in folder.glob(".*.parquet.pending") if folder.is_dir() else ():
            pending.unlink()
    tmp = current_path(settings).with_name(CURRENT + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()


def _prune(settings: Settings, keep: int, current: str) -> None:
    """Keep the `keep` newest builds (and always the published one, `current`) and the KEEP_FAILED newest
    failed ones."""
    for path in builds(settings)[:-keep] if keep > 0 else builds(settings):
        if path.stem != current:
            path.unlink()
            with contextlib.suppress(FileNotFoundError):
                path.with_suffix(".json").unlink()
            log.info("pruned build %s", path.name)
    failed = sorted(builds_dir(settings).glob("*.failed.duckdb"), key=lambda p: p.stat().st_mtime)
    for path in failed[:-KEEP_FAILED]:
        path.unlink()


# --- the build -------------------------------------------------------------------------------------------

def _contracts_of(models_dir: Path) -> Path:
    return Path(models_dir) / "marts" / "_contracts.yaml"


def _pending_files(settings: Settings, build_id: str) -> list[Path]:
    return [history.pending(settings, t, build_id) for t in history.TABLES]


def _write_history(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date, build_id: str) -> list[Path]:
    """Copy each history table (warehouse/history.py) to a pending file, renamed into place once the build
    is published, and (re)create the view mart.<table>_history: this build's rows plus every earlier night."""
    existing = runner.existing_relations(con)
    written: list[Path] = []
    for table in history.TABLES:
        if f"mart.{table}" not in existing:
            continue
        other = con.execute(f"SELECT count(*) FROM mart.{table} WHERE as_of IS DISTINCT FROM $d",
                            {"d": as_of}).fetchall()[0][0]
        if other:
            raise BuildError(f"mart.{table}: {other} row(s) whose as_of is not the build date {as_of}")
        folder = history.folder(settings, table)
        folder.mkdir(parents=True, exist_ok=True)
        pending = history.pending(settings, table, build_id)
        # COPY and view definitions cannot take parameters; paths are ours, quoted by sql_literal.
        con.execute(f"COPY (SELECT * FROM mart.{table}) TO {runner.sql_literal(str(pending))} "
                    "(FORMAT parquet, COMPRESSION zstd)").fetchall()
        view = f"CREATE OR REPLACE VIEW mart.{table}_history AS SELECT * FROM mart.{table}"
        if any(d < as_of for d in history.dates(settings, table)):
            # read_parquet fails on a glob without matches, hence only when an earlier date exists.
            pattern = runner.sql_literal(str(folder / f"{history.PREFIX}*.parquet"))
            view += (f" UNION ALL BY NAME SELECT * FROM read_parquet({pattern}, union_by_name = true, "
                     f"hive_partitioning = false) WHERE as_of < DATE {runner.sql_literal(as_of.isoformat())}")
        con.execute(view)
        written.append(pending)
    return written


def _commit_history(settings: Settings, as_of: date, build_id: str) -> None:
    """Move a published build's pending snapshots to history/<table>/as_of=<D>.parquet."""
    for table in history.TABLES:
        pending = history.pending(settings, table, build_id)
        if pending.exists():
            path = history.snapshot(settings, table, as_of)
            os.replace(pending, path)
            log.info("history: %s as of %s -> %s", table, as_of, path)


def _write_meta(con: duckdb.DuckDBPyConnection, build_id: str, as_of: date, report: runner.RunReport) -> None:
    """meta.build_info (one row), meta.model_run (one row per model), meta.raw_entity (one per relation)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    tables = {
        "build_info": pa.table({
            "build_id": [build_id], "as_of": pa.array([as_of], pa.date32()),
            "built_at_utc": pa.array([datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")),
            "duckdb_version": [duckdb.__version__]}),
        "model_run": pa.table({
            "position": pa.array(range(1, len(report.models) + 1), pa.int32()),
            "model": pa.array([m.name for m in report.models], pa.string()),
            "seconds": pa.array([m.seconds for m in report.models], pa.float64()),
            "rows": pa.array([m.rows for m in report.models], pa.int64())}),
        "raw_entity": pa.table({
            "relation": pa.array([r.name for r in report.raw], pa.string()),
            "files": pa.array([r.files for r in report.raw], pa.int32()),
            "empty_from": pa.array([r.empty_from for r in report.raw], pa.string())}),
    }
    for name, table in tables.items():
        runner.create_table_from_arrow(con, f"meta.{name}", table)


def _finalize(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the raw layer (its views name raw-store paths) and write everything into the file."""
    con.execute(f"DROP SCHEMA IF EXISTS {runner.RAW_SCHEMA} CASCADE")
    con.execute("CHECKPOINT")


def _open_for_build(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A new build file, opened with the configured memory limit (beyond it DuckDB spills into
    `<file>.tmp`, which _remove_sidecars clears) and without a progress bar (at full scale DuckDB draws one
    on stdout, into the DAG's task log)."""
    con = duckdb.connect(str(path), config={
        "memory_limit": settings.warehouse_memory_limit, "temp_directory": str(path.with_name(path.name + ".tmp"))})
    con.execute("SET enable_progress_bar = false")   # a session option, not accepted in the connect config
    return con


def _open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a finished build as consumers do; a leftover WAL would mean it was not closed cleanly."""
    if path.with_name(path.name + ".wal").exists():
        raise BuildError(f"{path.name} has a write-ahead log: it was not closed cleanly")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")   # the content hash is long at full scale
    return con


def _build_id_of(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT build_id FROM meta.build_info").fetchall()[0][0]


def content_hash(path: Path | str) -> str:
    """SHA-256 over every base table of schema mart: name, column names and types, row count, and the sum
    of the rows' MD5s (128 bits; each row rendered as its DuckDB text form). Summing makes it a multiset
    hash - independent of row order and of parallel execution, so no key order is needed even where keys
    are not unique; two builds from the same inputs give the same value. Views are not included."""
    con = _open_read_only(Path(path))
    try:
        return _content_hash(con)
    finally:
        con.close()


def _content_hash(con: duckdb.DuckDBPyConnection) -> str:
    tables = [t for (t,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mart' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]
    digest = hashlib.sha256()
    for table in tables:
        cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = 'mart' AND table_name = ? ORDER BY ordinal_position",
                           [table]).fetchall()
        n, lower, upper = con.execute(
            'SELECT count(*), coalesce(sum(md5_number_lower(CAST(r AS VARCHAR))), 0), '
            f'coalesce(sum(md5_number_upper(CAST(r AS VARCHAR))), 0) FROM mart."{table}" r').fetchall()[0]
        digest.update(json.dumps([table, cols, n, str(lower), str(upper)]).encode())
    return digest.hexdigest()


def _verify(path: Path, build_id: str) -> str:
    """Reopen a closed build read-only, check it is the expected build, return its content hash."""
    con = _open_read_only(path)
    try:
        found = _build_id_of(con)
        if found != build_id:
            raise BuildError(f"{path.name} holds build {found}, expected {build_id}")
        return _content_hash(con)
    finally:
        con.close()


def _place(source: Path, target: Path) -> None:
    """Make `target` the same content as `source`: a hard link, or a synced copy across file systems."""
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        os.chmod(target, READ_ONLY)
        with open(target, "rb") as fh:
            os.fsync(fh.fileno())


def _swap(tmp: Path, current: Path) -> None:
    """The commit point: one atomic rename."""
    os.replace(tmp, current)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:  # not fatal: the rename is done, only its durability across power loss is unsure
        log.warning("could not fsync %s: %s", folder, exc)


def _publish(settings: Settings, build_file: Path) -> Path:
    current = current_path(settings)
    tmp = current.with_name(CURRENT + ".tmp")
    _place(build_file, tmp)
    # A stale WAL beside current.duckdb (someone opened it for writing) would be replayed into the new file.
    stale_wal = current.with_name(CURRENT + ".wal")
    if stale_wal.exists():
        log.warning("removing %s: current.duckdb must never be opened for writing", stale_wal)
        stale_wal.unlink()
    _swap(tmp, current)
    _fsync_dir(current.parent)
    return current


def _after_publish(settings: Settings, action: str, build_id: str, keep: int | None) -> None:
    """Publish log and pruning: best effort, the publication itself is done."""
    try:
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "action": action, "build_id": build_id}
        with open(settings.warehouse_dir / "publish_log.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        if keep is not None:
            _prune(settings, keep, build_id)
    except Exception:  # noqa: BLE001 - never turn a published build into a failed one
        log.exception("after publishing %s", build_id)


def build(settings: Settings, as_of: date | str, *, models_dir: Path = runner.DEFAULT_MODELS_DIR,
          keep: int = DEFAULT_KEEP, params: Mapping[str, Any] | None = None) -> BuildResult:
    """Build, validate and publish the warehouse as of `as_of`; BuildError (current.duckdb untouched) if not."""
    day = parse_date(as_of)
    started = time.perf_counter()
    with _lock(settings):
        _clean_leftovers(settings)
        build_id = _new_build_id(day)
        building, built = _building(settings, build_id), _built(settings, build_id)
        log.info("building warehouse %s as of %s", build_id, day)
        try:
            con = _open_for_build(building, settings)
            try:
                report = runner.run(con, settings, day, models_dir=models_dir, params=params)
                tables = checks.validate_marts(con, _contracts_of(models_dir))
                _write_history(con, settings, day, build_id)
                _write_meta(con, build_id, day, report)
                create_lookup_indexes(con)
                _finalize(con)
            finally:
                con.close()
            digest = _verify(building, build_id)
            os.replace(building, built)
            os.chmod(built, READ_ONLY)
            result = BuildResult(build_id, day, built, current_path(settings), digest, tables, report.models,
                                 report.raw, round(time.perf_counter() - started, 3))
            _write_manifest(result)
            _publish(settings, built)
        except BaseException as exc:
            try:
                _set_aside(settings, build_id)
            except OSError as cleanup:
                log.error("could not set aside build %s: %s", build_id, cleanup)
            log.error("warehouse build %s failed; current.duckdb unchanged: %s", build_id, exc)
            if isinstance(exc, Exception) and not isinstance(exc, BuildError):
                raise BuildError(f"warehouse build as of {day} failed: {exc}") from exc
            raise
        log.info("published %s (as of %s, %d models, content %s) in %.1f s", build_id, day,
                 len(report.models), digest[:12], result.seconds)
        try:
            _commit_history(settings, day, build_id)
        except OSError:
            log.exception("published %s, but its history snapshots could not be moved into place; "
                          "rebuild %s to restore it", build_id, day)
        _after_publish(settings, "build", build_id, keep)
        return result


def _write_manifest(result: BuildResult) -> None:
    doc = asdict(result)   # dates and paths become text through default=str
    path = result.build_path.with_suffix(".json")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


# --- what is published, rollback, the DAG step -----------------------------------------------------------

def published_build_id(settings: Settings) -> str | None:
    """Build id of current.duckdb (from its meta.build_info), None when nothing is published."""
    current = current_path(settings)
    if not current.is_file():
        return None
    con = _open_read_only(current)
    try:
        return _build_id_of(con)
    finally:
        con.close()


def rollback(settings: Settings, to: str | Path = "previous") -> Path:
    """Publish an earlier retained build again: 'previous' (the newest build made before the published
    one), a build id, or a build file path under builds/. Returns the published path."""
    with _lock(settings):
        _clean_leftovers(settings)
        current = published_build_id(settings)
        retained = builds(settings)
        if str(to) == "previous":
            if current is None:
                raise BuildError("nothing is published yet; there is nothing to roll back")
            older = [p for p in retained if build_time(p.stem) < build_time(current)]
            if not older:
                raise BuildError(f"no retained build older than the published {current}")
            target = older[-1]
        else:
            name = Path(to).stem if str(to).endswith(".duckdb") else str(to)
            target = _built(settings, name)
            if not _BUILD_ID.match(name) or target not in retained:
                raise BuildError(f"{to}: not a retained build (see {builds_dir(settings)})")
        _verify(target, target.stem)
        published = _publish(settings, target)
        log.warning("rolled back: published %s (was %s)", target.stem, current)
        _after_publish(settings, "rollback", target.stem, None)
        return published


def build_task(settings: Settings, business_date: date | str) -> str:
    """What the nightly DAG's warehouse task calls, after every ingest task: build and publish; the
    published path (current.duckdb)."""
    return str(build(settings, business_date).published_path)
