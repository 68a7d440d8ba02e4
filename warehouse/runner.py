"""The model runner: executes the SQL models under `transforms/` into one DuckDB connection.

Grain: one `Model` per SQL file; one run = the raw layer (views over the raw store as of a business date)
plus every model, in dependency order, each materialised as `CREATE OR REPLACE TABLE <schema>.<name>`.

Layout (house style after dbt-labs/jaffle-shop):

    transforms/staging/stg_<source>__<entity>.sql   -> stg.<source>__<entity>   reads raw.* only
    transforms/intermediate/int_<name>.sql          -> int.<name>               reads stg/int/mart
    transforms/marts/mart_<name>.sql                -> mart.<name>              reads stg/int/mart
    transforms/marts/_contracts.yaml                   published tables (warehouse.checks)

A model is one SELECT: a header comment stating the grain (`-- ... grain: ...`), CTEs, and the last
statement `select * from final`. Models refer to each other by schema-qualified, unquoted names
(`stg.hukou__person`); the runner derives the dependencies by scanning for those names (outside comments
and string literals), sorts topologically and rejects cycles. Values come in as named DuckDB parameters
(`$as_of`); a model is given exactly the parameters it mentions, from a fixed set (`as_of` DATE, plus what
the caller adds). Positional `?` parameters are rejected (nothing could say which value is meant).

The raw layer (schema `raw`, created by the runner before any model; build.py drops it before publishing):

* `raw.<source>__<entity>`: a view `read_parquet([files], union_by_name=true)` over the raw-store files of
  that entity whose business date is <= as_of. The file list is chosen here, from Settings and the
  directory names (`business_date=<D>`), never by a model; partitions are not parsed from the paths
  (hive_partitioning=false) because every file already carries `_business_date`. Quarantined rows never
  reach the raw store (connectors.ingest writes only accepted rows, and nothing of a rejected delivery),
  so the views need no quarantine filter.
* An entity with no file <= as_of becomes an EMPTY table with the entity's real column types - taken from
  a later raw file when there is one (backfills), else declared by its connector (`connectors.<source>
  .PARTS` or `.TABLES`, + `DERIVED`; derived columns typed VARCHAR). Models therefore never need to be skipped, every
  mart table exists in every build, and `mart.source_freshness` says which sources have no data.
* `raw.pipeline__raw_files` (one row per raw file <= as_of), `raw.pipeline__sources` (one row per
  configured source id, with the delivery facts of connectors.registry), `raw.pipeline__source_run`
  (one row per accounted delivery, from `state/source_run/*/*.json`, business date <= as_of) and
  `raw.pipeline__snapshot_in_use` (one row per entity: the delivery a full-snapshot source's staging
  model reads - one rule for every snapshot source, so no model re-derives it).
* `raw.policy__alert_rules`: the early-warning rule catalog (`transforms/parameters/alert_rules.csv`,
  transforms.parameters.alert_rules), versioned with the code like the parameters.
* `raw.pipeline__alert_state`: the previous published night's mart.alert (warehouse/history.py), which
  carries the alert lifecycle across nights; `raw.pipeline__alert_disposition`: the monitors'
  dispositions (warehouse/dispositions.py). Both live outside the rebuilt build files.
* `raw.policy__parameters`: the reviewed policy parameter file of the repo
  (`transforms/parameters/policy_parameters.csv`, read and checked by transforms.parameters.loader; the whole
  dated table, every row - models pick the rows in effect on as_of). Not from the raw store: the file is
  versioned with the code, and every build names its version (`_version`).

The view text has to embed the file paths as SQL string literals (DuckDB views cannot take parameters);
they are quoted by `sql_literal` and come from the raw store's own directory listing, never from input.
"""

from __future__ import annotations

import graphlib
import importlib
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.settings import REPO_ROOT, SOURCES, Settings
from transforms.parameters import alert_rules
from transforms.parameters import loader as parameters
from warehouse import dispositions, history

log = logging.getLogger(__name__)

#: Where the models live by default.
DEFAULT_MODELS_DIR = REPO_ROOT / "transforms"

#: Layer folder -> (schema, file-name prefix), in build order.
LAYERS: dict[str, tuple[str, str]] = {
    "staging": ("stg", "stg_"),
    "intermediate": ("int", "int_"),
    "marts": ("mart", "mart_"),
}
#: Which schemas a model of each schema may read.
ALLOWED_REFS: dict[str, frozenset[str]] = {
    "stg": frozenset({"raw"}),
    "int": frozenset({"stg", "int", "mart"}),
    "mart": frozenset({"stg", "int", "mart"}),
}
RAW_SCHEMA = "raw"
#: Pseudo-source of the raw layer's inventory relations (raw.pipeline__*).
PIPELINE = "pipeline"

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_REF = re.compile(r"(?<![\w.$\"])(stg|int|mart|raw)\s*\.\s*([a-z_][a-z0-9_]*)", re.IGNORECASE)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)
_FINAL = re.compile(r"select\s+\*\s+from\s+final\s*;?\s*$", re.IGNORECASE)
_REDELIVERY = re.compile(r"_R(\d+)$")


class ModelError(RuntimeError):
    """A model cannot be discovered, ordered or executed; the message names the model file."""


class DependencyCycle(ModelError):
    """The models' references form a cycle."""


@dataclass(frozen=True)
class Model:
    """One SQL file: `<schema>.<table>`, its SELECT, and what it references."""

    schema: str
    table: str
    path: Path
    sql: str
    refs: frozenset[str]        # schema-qualified relations read, raw.* included
    params: frozenset[str]      # $names used

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class ModelRun:
    """Timing and size of one executed model."""

    name: str
    seconds: float
    rows: int


@dataclass(frozen=True)
class RawEntity:
    """One raw-layer relation: how many files it reads, or why it is empty."""

    source: str
    entity: str
    files: int
    empty_from: str | None = None   # None when it reads files; else where the empty schema came from

    @property
    def name(self) -> str:
        return f"{RAW_SCHEMA}.{self.source}__{self.entity}"


@dataclass(frozen=True)
class RunReport:
    as_of: date
    raw: tuple[RawEntity, ...]
    models: tuple[ModelRun, ...]
    seconds: float


# --- discovery -------------------------------------------------------------------------------------------

def strip_noise(sql: str) -> str:
    """SQL without comments and string literals (what reference and parameter scans look at)."""
    return _NOISE.sub(" ", sql)


def _states_grain(text: str) -> bool:
    """Whether the leading comment block mentions the grain."""
    for line in text.lstrip().splitlines():
        if not line.lstrip().startswith("--"):
            return False
        if "grain" in line.lower():
            return True
    return False


def parse_model(path: Path, schema: str, prefix: str) -> Model:
    """One model file -> Model; ModelError on a name, style or statement problem."""
    stem = path.stem
    if not stem.startswith(prefix) or not _IDENT.match(stem[len(prefix):]):
        raise ModelError(f"{path}: model files in this folder are named {prefix}<name>.sql (lowercase)")
    text = path.read_text(encoding="utf-8")
    if not _states_grain(text):
        raise ModelError(f"{path}: the file must start with a comment stating the grain ('-- ... grain: ...')")
    body = text.strip()
    code = strip_noise(body).strip()
    if not _FINAL.search(code):
        raise ModelError(f"{path}: a model ends with 'select * from final'")
    code = code.rstrip().rstrip(";")
    if ";" in code:
        raise ModelError(f"{path}: a model is exactly one SELECT statement")
    if "?" in code:
        raise ModelError(f"{path}: use named parameters ($as_of), not '?'")
    refs = frozenset(f"{s.lower()}.{t.lower()}" for s, t in _REF.findall(code))
    params = frozenset(_PARAM.findall(code))
    sql = body[:-1] if body.endswith(";") else body
    return Model(schema, stem[len(prefix):], path, sql, refs, params)


def discover(models_dir: Path = DEFAULT_MODELS_DIR) -> list[Model]:
    """Every model under the layer folders (files starting with '_' are not models)."""
    models: list[Model] = []
    for folder, (schema, prefix) in LAYERS.items():
        root = Path(models_dir) / folder
        if root.is_dir():
            models += [parse_model(p, schema, prefix) for p in sorted(root.glob("*.sql"))
                       if not p.name.startswith("_")]
    seen: dict[str, Path] = {}
    for m in models:
        if m.name in seen:
            raise ModelError(f"{m.path}: model {m.name} is also defined by {seen[m.name]}")
        seen[m.name] = m.path
    return models


def order(models: Sequence[Model], existing: Iterable[str] = ()) -> list[Model]:
    """Models in dependency order (ties by layer, then name). `existing` names relations a model may read
    that no model builds. DependencyCycle on a cycle, ModelError on a reference to nothing or across layers."""
    by_name = {m.name: m for m in models}
    known = set(existing)
    graph: dict[str, set[str]] = {}
    for m in models:
        for ref in sorted(m.refs):
            schema = ref.split(".", 1)[0]
            if schema not in ALLOWED_REFS[m.schema]:
                raise ModelError(f"{m.path}: a {m.schema} model may not read {ref} "
                                 f"(allowed: {', '.join(sorted(ALLOWED_REFS[m.schema]))})")
            if schema != RAW_SCHEMA and ref not in by_name and ref not in known:
                raise ModelError(f"{m.path}: {ref} is neither a model nor an existing relation")
        graph[m.name] = {r for r in m.refs if r in by_name and r != m.name}
        if m.name in m.refs:
            raise DependencyCycle(f"dependency cycle: {m.name} -> {m.name} ({m.path})")
    rank = {schema: i for i, (schema, _) in enumerate(LAYERS.values())}
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        raise DependencyCycle("dependency cycle: " + " -> ".join(reversed(cycle))) from None
    result: list[Model] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: (rank[by_name[n].schema], n))
        for n in ready:
            result.append(by_name[n])
            sorter.done(n)
    return result


# --- the raw layer ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RawFile:
    """One file of the raw store (warehouse/raw.py layout)."""

    source: str
    entity: str
    business_date: date
    delivery: str
    path: Path

    @property
    def redelivery(self) -> int:
        m = _REDELIVERY.search(self.delivery)
        return int(m.group(1)) if m else 0


def scan_raw_store(settings: Settings) -> list[RawFile]:
    """Every raw file of every entity (any business date), in (source, entity, date, delivery) order."""
    files: list[RawFile] = []
    root = settings.raw_dir
    if not root.is_dir():
        return files
    for path in sorted(root.glob("*/*/business_date=*/*.parquet")):
        source, entity, part = path.parts[-4], path.parts[-3], path.parts[-2]
        if path.name.startswith(".") or not (_IDENT.match(source) and _IDENT.match(entity)):
            continue
        try:
            day = date.fromisoformat(part.removeprefix("business_date="))
        except ValueError:
            log.warning("raw store: ignoring %s (not a business_date=YYYY-MM-DD folder)", path)
            continue
        files.append(RawFile(source, entity, day, path.stem, path))
    return files


def sql_literal(value: str) -> str:
    """A SQL string literal (only for what cannot be a parameter: file paths in view definitions)."""
    return "'" + value.replace("'", "''") + "'"


def _declared_schema(source: str, entity: str) -> pa.Schema | None:
    """The entity's columns as its connector declares them (PARTS + DERIVED), or None."""
    from connectors.columns import schema_of

    try:
        module = importlib.import_module(f"connectors.{source}")
    except ModuleNotFoundError:
        return None
    # File connectors declare PARTS; SQL connectors TABLES (some also PARTS).
    for part in (*getattr(module, "PARTS", {}).values(), *getattr(module, "TABLES", ())):
        if getattr(part, "entity", None) != entity:
            continue
        schema = schema_of(part.cols)
        at = schema.get_field_index("_source")
        for offset, name in enumerate(n for n in getattr(module, "DERIVED", {}).get(entity, ())
                                      if n not in schema.names):
            schema = schema.insert(at + offset, pa.field(name, pa.string()))
        # Parquet stores second timestamps as ms, which DuckDB reads as TIMESTAMP (us): match it.
        return pa.schema([pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
                          for f in schema])
    return None


def create_table_from_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """CREATE OR REPLACE TABLE <name> with the rows and column types of an Arrow table."""
    view = f"_arrow_{name.replace('.', '_')}"
    con.register(view, table)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}").fetchall()
    finally:
        con.unregister(view)


def _inventory_tables(settings: Settings, files: Sequence[RawFile], as_of: date) -> dict[str, pa.Table]:
    """raw.pipeline__raw_files, raw.pipeline__sources, raw.pipeline__source_run as Arrow tables."""
    from connectors import ingest, registry

    in_scope = [f for f in files if f.business_date <= as_of]
    raw_files = pa.table({
        "source": pa.array([f.source for f in in_scope], pa.string()),
        "entity": pa.array([f.entity for f in in_scope], pa.string()),
        "business_date": pa.array([f.business_date for f in in_scope], pa.date32()),
        "delivery": pa.array([f.delivery for f in in_scope], pa.string()),
        "redelivery": pa.array([f.redelivery for f in in_scope], pa.int32()),
        "rows": pa.array([pq.read_metadata(f.path).num_rows for f in in_scope], pa.int64()),
        "file": pa.array([f.path.relative_to(settings.raw_dir).as_posix() for f in in_scope], pa.string()),
    })
    specs = [registry.spec(s) for s in SOURCES]
    sources = pa.table({
        "source": pa.array([s.source for s in specs], pa.string()),
        "mechanism": pa.array([s.mechanism for s in specs], pa.string()),
        "format": pa.array([s.format for s in specs], pa.string()),
        "cadence": pa.array([s.cadence for s in specs], pa.string()),
        "timing": pa.array([s.timing for s in specs], pa.string()),
        "stale_after_days": pa.array([s.stale_after_days for s in specs], pa.int32()),
    })
    runs = [r for r in ingest.accounts(settings) if date.fromisoformat(r.business_date) <= as_of]
    source_run = pa.table({
        "run_date": pa.array([date.fromisoformat(r.run_date) for r in runs], pa.date32()),
        "source": pa.array([r.source for r in runs], pa.string()),
        "delivery": pa.array([r.delivery for r in runs], pa.string()),
        "business_date": pa.array([date.fromisoformat(r.business_date) for r in runs], pa.date32()),
        "rows_delivered": pa.array([r.rows_delivered for r in runs], pa.int64()),
        "rows_accepted": pa.array([r.rows_accepted for r in runs], pa.int64()),
        "rows_quarantined": pa.array([r.rows_quarantined for r in runs], pa.int64()),
        "checks_failed": pa.array([r.checks_failed for r in runs], pa.int64()),
        "status": pa.array([r.status for r in runs], pa.string()),
        "reason": pa.array([r.reason for r in runs], pa.string()),
    })
    return {"raw_files": raw_files, "sources": sources, "source_run": source_run,
            "snapshot_in_use": _snapshots_in_use(in_scope)}


def _snapshot_order(f: RawFile) -> tuple[str, int, date]:
    """Which snapshot file of an entity is in use: the greatest delivery key (snapshot date or month, e.g.
    JDC_<YYYYMMDD>, GJJ_<YYYYMM>), then the highest re-delivery _R<n>, then the latest business date."""
    return _REDELIVERY.sub("", f.delivery), f.redelivery, f.business_date


def _snapshots_in_use(files: Sequence[RawFile]) -> pa.Table:
    """raw.pipeline__snapshot_in_use: one row per (source, entity) - the delivery a full-snapshot source's
    staging model reads (only meaningful for snapshot sources; computed for every entity)."""
    best: dict[tuple[str, str], RawFile] = {}
    for f in files:
        key = (f.source, f.entity)
        if key not in best or _snapshot_order(f) > _snapshot_order(best[key]):
            best[key] = f
    rows = [best[k] for k in sorted(best)]
    return pa.table({
        "source": pa.array([f.source for f in rows], pa.string()),
        "entity": pa.array([f.entity for f in rows], pa.string()),
        "delivery": pa.array([f.delivery for f in rows], pa.string()),
        "business_date": pa.array([f.business_date for f in rows], pa.date32()),
    })


def create_raw_layer(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date,
                     models: Sequence[Model] = ()) -> list[RawEntity]:
    """Create schema raw: one relation per raw entity (on disk or read by a model) + the inventories."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    files = scan_raw_store(settings)
    for name, table in _inventory_tables(settings, files, as_of).items():
        create_table_from_arrow(con, f"{RAW_SCHEMA}.{PIPELINE}__{name}", table)
    parameters.register(con)
    create_table_from_arrow(con, alert_rules.RELATION, alert_rules.read_rules())
    create_table_from_arrow(con, f"{RAW_SCHEMA}.{PIPELINE}__alert_disposition", dispositions.read(settings))
    _create_alert_state(con, settings, as_of)
    entities: dict[tuple[str, str], list[RawFile]] = {}
    for f in files:
        entities.setdefault((f.source, f.entity), []).append(f)
    for m in models:
        for ref in m.refs:
            schema, rel = ref.split(".", 1)
            if schema != RAW_SCHEMA or rel.startswith(f"{PIPELINE}__") or rel.startswith("policy__"):
                continue
            source, sep, entity = rel.partition("__")
            if not sep or not entity:
                raise ModelError(f"{m.path}: raw relations are named raw.<source>__<entity>, not {ref}")
            entities.setdefault((source, entity), [])
    created: list[RawEntity] = []
    for (source, entity), all_files in sorted(entities.items()):
        created.append(_create_entity(con, source, entity, all_files, as_of))
    return created


def _create_alert_state(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date) -> None:
    """raw.pipeline__alert_state: the published mart.alert of the latest night before as_of (history store),
    or an empty table typed like it when there is none (the first night, or a backfill before it)."""
    name = f"{RAW_SCHEMA}.{PIPELINE}__alert_state"
    previous = history.previous(settings, "alert", as_of)
    if previous is None:
        create_table_from_arrow(con, name, history.ALERT_STATE_SCHEMA.empty_table())
        return
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({sql_literal(str(previous))}, "
                "hive_partitioning = false)")


def _create_entity(con: duckdb.DuckDBPyConnection, source: str, entity: str, all_files: Sequence[RawFile],
                   as_of: date) -> RawEntity:
    name = f"{RAW_SCHEMA}.{source}__{entity}"
    use = [f for f in all_files if f.business_date <= as_of]
    if use:
        paths = ", ".join(sql_literal(str(f.path)) for f in use)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet([{paths}], "
                    "union_by_name = true, hive_partitioning = false)")
        return RawEntity(source, entity, len(use))
    if all_files:
        later = all_files[-1]
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet({sql_literal(str(later.path))}, "
                    "hive_partitioning = false) WHERE false").fetchall()
        origin = f"later raw file {later.path.name}"
    else:
        schema = _declared_schema(source, entity)
        if schema is None:
            raise ModelError(f"{name} is read by a model but has no raw files and no connector declaring "
                             f"entity {entity!r} (connectors/{source}.py PARTS or TABLES)")
        create_table_from_arrow(con, name, schema.empty_table())
        origin = f"connectors.{source}"
    log.warning("%s: no raw file with business date <= %s; empty, typed from %s", name, as_of, origin)
    return RawEntity(source, entity, 0, origin)


# --- execution -------------------------------------------------------------------------------------------

def existing_relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """schema.name of every table and view in the connection's database."""
    rows = con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
    return {f"{s}.{t}" for s, t in rows}


def bind(model: Model, params: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the parameters the model mentions; ModelError if one is not provided."""
    missing = sorted(model.params - params.keys())
    if missing:
        raise ModelError(f"{model.path}: unknown parameter(s) {', '.join('$' + p for p in missing)} "
                         f"(available: {', '.join('$' + p for p in sorted(params))})")
    return {p: params[p] for p in sorted(model.params)}


def execute_model(con: duckdb.DuckDBPyConnection, model: Model, params: Mapping[str, Any]) -> ModelRun:
    """CREATE OR REPLACE TABLE <schema>.<table> AS <model sql>, with its parameters bound."""
    bound = bind(model, params)
    started = time.perf_counter()
    try:
        # CTAS answers with its row count; fetching it also completes the result (DuckDB 2.x: a pending
        # result would block the connection's next query).
        rows = con.execute(f"CREATE OR REPLACE TABLE {model.schema}.{model.table} AS\n{model.sql}",
                           bound or None).fetchall()[0][0]
    except duckdb.Error as exc:
        raise ModelError(f"model {model.name} ({model.path}) failed: {exc}") from exc
    run = ModelRun(model.name, round(time.perf_counter() - started, 3), rows)
    log.info("built %s: %d rows in %.2f s", run.name, run.rows, run.seconds)
    return run


def run_models(con: duckdb.DuckDBPyConnection, models: Sequence[Model], params: Mapping[str, Any]) -> list[ModelRun]:
    """Execute models (already ordered) one by one; stops at the first failure (ModelError)."""
    for schema, _ in LAYERS.values():
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    return [execute_model(con, m, params) for m in models]


def run(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date, *,
        models_dir: Path = DEFAULT_MODELS_DIR, params: Mapping[str, Any] | None = None) -> RunReport:
    """Discover and order the models, create the raw layer as of `as_of`, execute every model."""
    started = time.perf_counter()
    models = discover(models_dir)
    ordered = order(models, existing_relations(con))
    raw = create_raw_layer(con, settings, as_of, models)
    runs = run_models(con, ordered, {"as_of": as_of, **(params or {})})
    report = RunReport(as_of, tuple(raw), tuple(runs), round(time.perf_counter() - started, 3))
    log.info("ran %d models as of %s in %.2f s (%d raw relations, %d empty)", len(runs), as_of,
             report.seconds, len(raw), sum(1 for r in raw if r.files == 0))
    return report
