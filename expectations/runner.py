"""Validation of entity tables of deliveries with their Great Expectations suite, and their Data Docs.

Grain: one `validate` call = one (source, entity, delivery version), one stored validation result and one
Data Docs page per such triple (a re-validation replaces both). Two scaled-up forms share its code
(`Session`): `validate_many` checks many small deliveries of one (source, entity) in one GX run - one
stored result and page for the group, named `<first delivery>..<last delivery>` - and a `Session` fed the
chunks of one large delivery (connectors.sqlsource) runs GX per chunk and stores one merged result per
delivery. Every result is per delivery either way: rule columns are computed per delivery and uniqueness
is scoped to one (a scope column beside the key), so a delivery's rows pass or fail exactly as alone.

Design:

* GX really runs every check: the suite (expectations.suites) is built as a GX ExpectationSuite and run by
  GX Core on the pandas datasource (GX's SQL path over duckdb-engine returns empty metrics, GX issues
  #10738 / #11579). The Arrow table is converted to pandas once - only the columns the suite reads; dates
  become datetime64, decimals float64 (the accepted Arrow table keeps the exact types). `rule` checks are
  computed into boolean columns `_check_<name>` first, so every check, cross-field ones included, is a GX
  map expectation with row-level results. Nothing is re-implemented outside GX.
* Row indices: result_format COMPLETE on a frame whose index is the row's position in the Arrow table, so
  GX's `unexpected_index_list` is the positions of the failing rows, and `_file`/`_row` (and the offending
  values) are read back from the Arrow table. This is deliberate instead of
  `unexpected_index_column_names=['_row']`: GX resolves named index columns with a per-row lookup (~80 µs
  per failing row and check, minutes for a systematically broken column of hukou's 1.8M rows), while the
  positional path is vectorised; `_row` alone is also not unique when an entity table concatenates files.
  The Data Docs copy gets `_file`/`_row` of the sampled failing rows.
* Each failing (row, 'row'-severity check) becomes a RowIssue (field = the contract column name when the
  connector's PARTS knows it, rule = the check's rule, value = the offending value(s), unmasked -
  quarantine masks) and the row leaves `accepted`. 'warn' failures keep their rows; they are returned as
  `warnings` (at most WARN_SAMPLE per check; `warn_rows` has the counts). `checks_failed` counts failed
  expectations of either severity.
* Data Docs: a static site under `settings.validation_dir / "data_docs"` (index: `docs_index`), built by
  an ephemeral GX context whose expectation and validation-result stores are folders under
  `validation_dir / "gx"` - no great_expectations.yml is written, so parallel Airflow tasks never race on
  a config file, and a file lock serialises the store/site updates. Only this result's page, its suite's
  page and the index are rebuilt per call.
* Privacy of the docs: GX renders unexpected values. What is stored and rendered is a copy of the result
  reduced to the partial (<= DOCS_SAMPLE) lists, with values of the suite's `redact` columns replaced and
  every string passed through an ID masker (first 6 + last 4, no word-boundary condition, so an ID glued
  to other characters is masked too). The rendered pages are scanned and masked again as a last line of
  defence (a hit is logged as a bug), and GX's logo beacon (an S3 image URL carrying the context id) is
  pointed at the site's local copy.
* Cost: a GX run costs ~0.3 s of setup whatever its size (building the metric graph of ~25
  expectations); writing the suite to the expectations store another ~0.4 s, so it is written once per
  process (`_gx_suite`). Hence validate_many for the hundreds of daily files of deaths or bank.
* GX usage analytics are off in the context config (`analytics_enabled=False`), never through environment
  variables (only safetynet.settings reads those); progress bars are off; the `great_expectations` logger
  is set to WARNING before GX is imported (lazily: importing this module stays cheap); GX's batch
  fingerprint (an md5 over the whole frame, ~10 s at 1.8M rows) is switched off.

Timing (2 cores shared with other work, load ~6): a 1.8M-row hukou table through its 35-expectation suite
takes 15-18 s (Arrow->pandas and rule columns ~4 s, GX ~10 s, issues and docs ~1 s); the same table with
one check failing on every row takes ~48 s (1.8M RowIssues). Importing GX costs another 15-25 s once per
process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import importlib
import json
import logging
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import RowIssue
from expectations.suites import Check, Suite, suite_for
from safetynet.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

# GX logs a lot at INFO; quiet it before it is first imported (it is imported lazily, below).
logging.getLogger("great_expectations").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

#: Warn-severity failures returned per check (all of them are counted in `warn_rows`).
WARN_SAMPLE = 200
#: Unexpected values kept per expectation in the stored (docs) result.
DOCS_SAMPLE = 20
#: Validation results listed on the Data Docs index page (newest first).
DOCS_INDEX_LIMIT = 1000
SITE_NAME = "safetynet"
REDACTED = "***"
_LINEAGE_KEYS = ("_file", "_row")
_BIG_RESULT_KEYS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")
# ID-like digit runs (15-21 characters: IDs, 残疾人证号 ...) anywhere, even glued to letters or digits.
_DOCS_ID = re.compile(r"(\d{6})(\d{5,11})([\dXx]{4})")
_GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/logo-long\.png"
                      r"[^\"')\s]*")


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of validating one entity table of one delivery."""

    accepted: pa.Table                 # rows without a 'row'-severity failure (input order kept)
    issues: list[RowIssue]             # one per (failing row, 'row' check): these rows are quarantined
    checks_failed: int                 # failed expectations, either severity
    docs_path: Path | None             # the Data Docs page of this validation (None until published)
    warnings: list[RowIssue] = field(default_factory=list)     # 'warn' failures (sample, rows kept)
    warn_rows: dict[str, int] = field(default_factory=dict)    # check id -> failing rows (warn checks)
    failed: tuple[str, ...] = ()                               # ids of the failed checks, suite order
    docs_key: Any = None                                       # stored result, for publish_docs()


class SuiteError(RuntimeError):
    """The suite cannot run on this table (a missing column, a rule that raised): a code bug, not data."""


def validate(settings: Settings, source: str, entity: str, table: pa.Table, delivery: str, *,
             publish: bool = True) -> ValidationResult:
    """Run the (source, entity) suite on `table`; see the module docstring. Never mutates `table`.

    publish=False stores the result but leaves the Data Docs build to one `publish_docs` call for a whole
    ingest run: rebuilding the site reads every stored result, so doing it per delivery is quadratic.
    An empty table has nothing to check and is not run through GX.
    """
    session = Session(settings, source, entity)
    (result,) = session.validate([(delivery, table)], docs_name=delivery)
    key = session.store_docs(delivery)
    docs = publish_docs(settings, [key])[0] if publish and key is not None else None
    return dataclasses.replace(result, docs_path=docs, docs_key=key)


def validate_many(settings: Settings, source: str, entity: str, tables: Sequence[tuple[str, pa.Table]]
                  ) -> list[ValidationResult]:
    """`validate` of many deliveries' tables of one (source, entity) in one GX run (small deliveries cost
    GX's per-run setup, ~0.3 s, once instead of once each); one stored result for them all (`docs_key` of
    every returned result; publish with `publish_docs`). Results in input order, each as `validate` gives."""
    if not tables:
        return []
    session = Session(settings, source, entity)
    name = tables[0][0] if len(tables) == 1 else f"{tables[0][0]}..{tables[-1][0]}"
    results = session.validate(tables, docs_name=name)
    key = session.store_docs(name)
    return [dataclasses.replace(r, docs_key=key) for r in results]


class Session:
    """One (source, entity) suite, ready to validate many tables in one process: chunks of one large delivery
    (SQL extracts, validated chunk by chunk) or many small deliveries at once.

    Each `validate` call is one GX run over the concatenation of its tables. Per-delivery scope is kept:
    `rule` columns are computed per table, and uniqueness is checked within each table (the check runs on
    its columns plus a scope column holding the table's index). The Data Docs copies of the runs given one
    `docs_name` are merged (counts added, samples kept up to DOCS_SAMPLE) and stored once by `store_docs`.
    Uniqueness and cross-row rules see one call's tables only: a delivery split into chunks is checked per
    chunk (connectors.sqlsource explains why that is enough for the front-DB tables).
    """

    def __init__(self, settings: Settings, source: str, entity: str) -> None:
        self.settings, self.source, self.entity = settings, source, entity
        self.suite = suite_for(source, entity)
        self.names = _field_names(source, entity)
        self._docs: dict[str, dict[str, Any]] = {}

    def validate(self, tables: Sequence[tuple[str, pa.Table]], *, docs_name: str) -> list[ValidationResult]:
        """Validate each (delivery, table) - one GX run for all non-empty ones; results in input order."""
        suite = self.suite
        for _, table in tables:
            missing = sorted((suite.columns | set(_LINEAGE_KEYS)) - set(table.column_names))
            if missing:
                raise SuiteError(f"suite {suite.name} reads columns the table lacks: {', '.join(missing)}")
        full = [(d, t) for d, t in tables if t.num_rows]
        if not full:
            return [ValidationResult(t, [], 0, None) for _, t in tables]
        whole = full[0][1] if len(full) == 1 else _concat([t for _, t in full])
        bounds = np.cumsum([0, *(t.num_rows for _, t in full)])
        gx_result = _run(self.settings, suite, _frame(whole, suite, bounds))
        positions = _failing_positions(suite, gx_result, whole.num_rows)
        data = _docs_copy(gx_result, suite, whole, positions, docs_name)
        self._docs[docs_name] = _merge_docs(self._docs[docs_name], data) if docs_name in self._docs else data
        by_table = iter([self._result(t, {c: p[(p >= a) & (p < b)] - a for c, p in positions.items()})
                         for (_, t), a, b in zip(full, bounds[:-1], bounds[1:], strict=True)])
        return [next(by_table) if t.num_rows else ValidationResult(t, [], 0, None) for _, t in tables]

    def _result(self, table: pa.Table, positions: dict[str, np.ndarray]) -> ValidationResult:
        """One table's result from its failing positions (check id -> positions, possibly empty)."""
        positions = {c: p for c, p in positions.items() if len(p)}
        checks = self.suite.checks
        failed = tuple(c.id for c in checks if c.id in positions)
        row_checks = [c for c in checks if c.id in positions and c.severity == "row"]
        warn_checks = [c for c in checks if c.id in positions and c.severity == "warn"]
        issues = [i for c in row_checks for i in _issues(table, c, positions[c.id], self.names)]
        warns = [i for c in warn_checks for i in _issues(table, c, positions[c.id][:WARN_SAMPLE], self.names)]
        drop = np.zeros(table.num_rows, dtype=bool)
        for c in row_checks:
            drop[positions[c.id]] = True
        accepted = table.filter(pa.array(~drop)) if drop.any() else table
        return ValidationResult(accepted, issues, len(failed), None, warns,
                                {c.id: len(positions[c.id]) for c in warn_checks}, failed)

    def store_docs(self, docs_name: str) -> Any:
        """Store the (merged) docs copy of `docs_name`'s runs; its key (None when nothing was run)."""
        data = self._docs.pop(docs_name, None)
        return None if data is None else _store(self.settings, self.suite, docs_name, data)


def _concat(tables: list[pa.Table]) -> pa.Table:
    """One table of many deliveries' tables (same entity: same columns; types unified where they differ)."""
    try:
        return pa.concat_tables(tables)
    except pa.ArrowInvalid:
        return pa.concat_tables(tables, promote_options="permissive")


def docs_index(settings: Settings) -> Path:
    """The Data Docs index page (for report links); it exists once anything was validated."""
    return _docs_root(settings) / "index.html"


# --- pandas frame --------------------------------------------------------------------------------------------

def _frame(table: pa.Table, suite: Suite, bounds: np.ndarray | None = None) -> pd.DataFrame:
    """The frame GX validates: the suite's columns (index = position in `table`), then the rule columns and
    the scope columns of uniqueness checks. `bounds` delimit the deliveries concatenated in `table`
    (default: one): rules are computed per delivery and uniqueness is scoped to one."""
    import pandas as pd

    bounds = np.array([0, table.num_rows]) if bounds is None else bounds
    sub = table.select([c for c in table.column_names if c in suite.columns])
    # Decimals as float64: comparisons and ± tolerances in pandas (the accepted table keeps decimals).
    for i, f in enumerate(sub.schema):
        if pa.types.is_decimal(f.type):
            sub = sub.set_column(i, f.name, pc.cast(sub.column(i), pa.float64()))
    df = sub.to_pandas(date_as_object=False, types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    slices = [df] if len(bounds) == 2 else [df.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    scope = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    derived = {}
    for check in suite.checks:
        if check.scope_column is not None:
            # The delivery's index, missing where every key column is (GX then skips the row, as it skips a
            # missing single key or an all-missing compound key).
            present = df[list(check.columns)].notna().any(axis=1).to_numpy(dtype=bool)
            derived[check.scope_column] = pd.Series(pd.array(scope, dtype="Int64"), index=df.index).mask(~present)
            continue
        if check.fn is None:
            continue
        derived[check.derived_column] = pd.concat([_rule_values(suite, check, part) for part in slices])
    return pd.concat([df, pd.DataFrame(derived, index=df.index)], axis=1) if derived else df


def _rule_values(suite: Suite, check: Check, df: pd.DataFrame) -> pd.Series:
    """A `rule` check's boolean column on one delivery's frame."""
    import pandas as pd

    try:
        values = check.fn(df)
        ok = (isinstance(values, pd.Series) and len(values) == len(df) and values.index.equals(df.index))
        values = values.astype("boolean") if ok else None
    except Exception as exc:
        raise SuiteError(f"rule {check.id} of {suite.name} raised: {type(exc).__name__}: {exc}") from exc
    if values is None:
        raise SuiteError(f"rule {check.id} of {suite.name} must return a boolean Series aligned with the frame")
    return values


# --- GX --------------------------------------------------------------------------------------------------

def _gx() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _docs_root(settings: Settings) -> Path:
    return settings.validation_dir / "data_docs"


@functools.cache
def _context(validation_dir: Path) -> Any:
    """An ephemeral GX context with file-backed stores and the docs site (one per process and folder)."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch below this many bytes (md5 over hash_pandas_object: ~10 s at 1.8M
    # rows, as long as all the checks together). Lineage already identifies the data: skip it.
    pandas_execution_engine.HASH_THRESHOLD = 0
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    stores = dict(defaults.stores)
    for name, folder in ((defaults.expectations_store_name, "expectations"),
                         (defaults.validation_results_store_name, "validations")):
        stores[name] = {**stores[name], "store_backend": {
            "class_name": "TupleFilesystemStoreBackend", "base_directory": str(validation_dir / "gx" / folder)}}
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(validation_dir / "data_docs")},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder",
                               "validation_results_limit": DOCS_INDEX_LIMIT},
        "site_section_builders": {"profiling": "None"},
    }
    config = DataContextConfig(
        store_backend_defaults=defaults, stores=stores, data_docs_sites={SITE_NAME: site},
        analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False))
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.data_sources.add_pandas("safetynet")
    return context


def _run(settings: Settings, suite: Suite, frame: pd.DataFrame) -> Any:
    """GX's ExpectationSuiteValidationResult of the suite on the frame (COMPLETE, positional indices)."""
    from great_expectations.validator.v1_validator import Validator

    context = _context(settings.validation_dir)
    datasource = context.data_sources.get("safetynet")
    try:
        asset = datasource.get_asset(suite.name)
    except LookupError:
        asset = datasource.add_dataframe_asset(suite.name)
        asset.add_batch_definition_whole_dataframe("whole")
    result_format = {"result_format": "COMPLETE", "return_unexpected_index_query": False,
                     "partial_unexpected_count": DOCS_SAMPLE}
    # The V1 Validator is what ValidationDefinition.run and Batch.validate use. Called directly it loads the
    # batch once and stores nothing (ValidationDefinition.run would store the full, unmasked result).
    validator = Validator(batch_definition=asset.get_batch_definition("whole"),
                          batch_parameters={"dataframe": frame}, result_format=result_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX's pandas deprecation chatter; outcomes are checked below
        return validator.validate_expectation_suite(_gx_suite(settings, suite))


@functools.cache
def _gx_suite_cached(validation_dir: Path, suite: Suite) -> Any:
    gx = _gx()
    context = _context(validation_dir)
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=[c.expectation() for c in suite.checks],
                                   meta={"source": suite.source, "entity": suite.entity})
    return context.suites.add_or_update(gx_suite)


def _gx_suite(settings: Settings, suite: Suite) -> Any:
    """The suite as a GX ExpectationSuite, written to the file-backed expectations store once per process
    (writing it costs ~0.4 s, as much as validating a small delivery)."""
    with _lock(settings):
        return _gx_suite_cached(settings.validation_dir, suite)


def _failing_positions(suite: Suite, gx_result: Any, n_rows: int) -> dict[str, np.ndarray]:
    """Check id -> positions (ascending) of its failing rows, for every failed check."""
    by_id = {c.id: c for c in suite.checks}
    out: dict[str, np.ndarray] = {}
    for r in gx_result.results:
        check = by_id[r.expectation_config.meta["check"]]
        info = r.exception_info or {}
        if info.get("raised_exception"):
            raise SuiteError(f"check {check.id} of {suite.name} raised in GX: {info.get('exception_message')}")
        if r.success:
            continue
        index = np.unique(np.asarray(r.result.get("unexpected_index_list") or [], dtype=np.int64))
        if len(index) == 0 or index[0] < 0 or index[-1] >= n_rows:
            raise SuiteError(f"check {check.id} of {suite.name} failed without usable row indices")
        out[check.id] = index
    return out


@contextlib.contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    """An exclusive lock on the validation folder (parallel Airflow tasks share the stores and site)."""
    settings.validation_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.validation_dir / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- row issues ----------------------------------------------------------------------------------------------

def _field_names(source: str, entity: str) -> dict[str, str]:
    """English column -> contract column name, from the connector's PARTS (empty when unknown)."""
    try:
        module = importlib.import_module(f"connectors.{source}")
    except ModuleNotFoundError as exc:
        if exc.name != f"connectors.{source}":
            raise
        return {}
    names: dict[str, str] = {}
    for part in getattr(module, "PARTS", {}).values():
        if getattr(part, "entity", None) != entity:
            continue
        for col in part.cols:
            names[col.name] = col.src
            if col.kind == "id":
                names[f"{col.name}_status"] = names[f"{col.name}_raw"] = col.src
    return names


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(table: pa.Table, columns: list[str], positions: np.ndarray) -> dict[str, list[Any]]:
    """The given columns (plus _file/_row) at the given positions, as Python lists."""
    cols = list(dict.fromkeys([*columns, *_LINEAGE_KEYS]))
    return table.select(cols).take(pa.array(positions, pa.int64())).to_pydict()


def _issues(table: pa.Table, check: Check, positions: np.ndarray, names: dict[str, str]) -> list[RowIssue]:
    if len(positions) == 0:
        return []
    cols = list(dict.fromkeys(check.columns))
    taken = _rows(table, cols, positions)
    field_name = names.get(cols[0], cols[0])
    out = []
    for i in range(len(positions)):
        if len(cols) == 1:
            value = _text(taken[cols[0]][i])
        else:
            value = "; ".join(f"{names.get(c, c)}={_text(taken[c][i]) or ''}" for c in cols)
        out.append(RowIssue(taken["_file"][i], taken["_row"][i], field_name, check.rule, value, check.message))
    return out


# --- Data Docs -----------------------------------------------------------------------------------------------

def _holds_real_id(text: str) -> bool:
    """Whether a long digit run could be an unmasked ID number (an 18-character window with a valid check
    character). Everything ID-like is masked regardless; this only decides whether that is worth a
    warning - bank batch numbers (HD + 20 digits) and settlement numbers are long digit runs too."""
    from safetynet.idnumber import is_valid_id

    for m in _DOCS_ID.finditer(text):
        run = m.group(0).upper()
        if any(is_valid_id(run[i:i + 18]) for i in range(len(run) - 17)):
            return True
    return False


def _mask_docs(text: str) -> str:
    return _DOCS_ID.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


def _mask_deep(obj: Any) -> Any:
    if isinstance(obj, str):
        return _mask_docs(obj)
    if isinstance(obj, list):
        return [_mask_deep(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _mask_deep(v) for k, v in obj.items()}
    return obj


def _sample_rows(table: pa.Table, check: Check, positions: np.ndarray, redact: frozenset[str]) -> list[dict]:
    """`_file`, `_row` and the check's column values of the first sampled failing rows (for the docs)."""
    taken = _rows(table, list(check.columns), positions[:DOCS_SAMPLE])
    return [{c: (REDACTED if c in redact else taken[c][i] if c in _LINEAGE_KEYS else _text(taken[c][i]))
             for c in taken} for i in range(len(taken["_row"]))]


def _docs_copy(gx_result: Any, suite: Suite, table: pa.Table, positions: dict[str, np.ndarray],
               delivery: str) -> dict[str, Any]:
    """The result as stored and rendered (JSON): partial lists only, redacted columns hidden, IDs masked."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

    by_id = {c.id: c for c in suite.checks}
    slim = []
    for r in gx_result.results:
        check = by_id[r.expectation_config.meta["check"]]
        result = {k: v for k, v in (r.result or {}).items() if k not in _BIG_RESULT_KEYS}
        if check.id in positions:
            # The renderer lists `_file`/`_row` beside each sampled value from these (GX's own keys).
            sample = _sample_rows(table, check, positions[check.id], suite.redact)
            result["unexpected_index_column_names"] = list(_LINEAGE_KEYS)
            result["unexpected_index_list"] = result["partial_unexpected_index_list"] = sample
            if suite.redact & set(check.columns):
                result["partial_unexpected_list"] = [REDACTED for _ in result.get("partial_unexpected_list", [])]
                result["partial_unexpected_counts"] = [{**c, "value": REDACTED}
                                                       for c in result.get("partial_unexpected_counts", [])]
        slim.append(ExpectationValidationResult(success=r.success, expectation_config=r.expectation_config,
                                                result=result, meta=r.meta, exception_info=r.exception_info))
    copy = ExpectationSuiteValidationResult(success=gx_result.success, results=slim, suite_name=suite.name,
                                            statistics=gx_result.statistics, meta=dict(gx_result.meta))
    data = json.loads(json.dumps(copy.to_json_dict(), default=str))
    data["meta"]["batch_kwargs"] = {"data_asset_name": suite.name, "delivery": delivery,
                                    "rows": table.num_rows}
    return _mask_deep(data)


_COUNTS = ("element_count", "missing_count", "unexpected_count")


def _merge_docs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two docs copies (JSON) of one suite on disjoint rows as one: counts added, percentages recomputed,
    samples concatenated up to DOCS_SAMPLE. Never mutates its inputs."""
    results = [_merge_result(x, y) for x, y in zip(a["results"], b["results"], strict=True)]
    ok = sum(1 for r in results if r["success"])
    stats = {**a.get("statistics", {}), "successful_expectations": ok,
             "unsuccessful_expectations": len(results) - ok,
             "success_percent": 100.0 * ok / len(results) if results else None}
    kwargs = a["meta"].get("batch_kwargs", {})
    rows = kwargs.get("rows", 0) + b["meta"].get("batch_kwargs", {}).get("rows", 0)
    return {**a, "success": a["success"] and b["success"], "results": results, "statistics": stats,
            "meta": {**a["meta"], "batch_kwargs": {**kwargs, "rows": rows}}}


def _merge_result(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
    if x["expectation_config"]["meta"]["check"] != y["expectation_config"]["meta"]["check"]:
        raise SuiteError("docs copies of different suites cannot be merged")
    rx, ry = x.get("result") or {}, y.get("result") or {}
    out = {**rx, **{k: rx.get(k, 0) + ry.get(k, 0) for k in _COUNTS if k in rx or k in ry}}
    for k in ("partial_unexpected_list", "partial_unexpected_index_list", "unexpected_index_list"):
        if k in rx or k in ry:
            out[k] = [*rx.get(k, []), *ry.get(k, [])][:DOCS_SAMPLE]
    if "partial_unexpected_counts" in rx or "partial_unexpected_counts" in ry:
        counts: dict[str, dict[str, Any]] = {}
        for c in [*rx.get("partial_unexpected_counts", []), *ry.get("partial_unexpected_counts", [])]:
            key = json.dumps(c["value"], sort_keys=True, default=str)
            counts[key] = {"value": c["value"], "count": counts.get(key, {"count": 0})["count"] + c["count"]}
        out["partial_unexpected_counts"] = sorted(counts.values(), key=lambda c: -c["count"])[:DOCS_SAMPLE]
    if "unexpected_index_column_names" in ry:
        out["unexpected_index_column_names"] = ry["unexpected_index_column_names"]
    n, missing, bad = out.get("element_count", 0), out.get("missing_count", 0), out.get("unexpected_count", 0)
    for k, value in (("missing_percent", 100.0 * missing / n if n else None),
                     ("unexpected_percent_total", 100.0 * bad / n if n else None),
                     ("unexpected_percent", 100.0 * bad / (n - missing) if n - missing else None),
                     ("unexpected_percent_nonmissing", 100.0 * bad / (n - missing) if n - missing else None)):
        if k in out:
            out[k] = value
    return {**x, "success": x["success"] and y["success"], "result": out}


def _store(settings: Settings, suite: Suite, delivery: str, data: dict[str, Any]) -> Any:
    """Store the docs copy of one validation (replacing an earlier result of this delivery); its key."""
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = _context(settings.validation_dir)
    store = context.validation_results_store
    run_time = datetime.now(UTC)
    suite_key = ExpectationSuiteIdentifier(name=suite.name)
    key = ValidationResultIdentifier(suite_key, RunIdentifier(run_name=delivery, run_time=run_time), delivery)
    data = {**data, "meta": {**data["meta"], "run_id": {"run_name": delivery, "run_time": run_time.isoformat()},
                             "validation_time": run_time.isoformat()}}
    with _lock(settings):
        for old in store.list_keys():
            if old.expectation_suite_identifier.name == suite.name and old.run_id.run_name == delivery:
                store.remove_key(old)
        store.set(key, expectationSuiteValidationResultSchema.load(data))
    return key


def publish_docs(settings: Settings, keys: Sequence[Any]) -> list[Path | None]:
    """Build the Data Docs pages of stored results (and the index) once; the page of each key."""
    keys = [k for k in keys if k is not None]
    if not keys:
        return []
    context = _context(settings.validation_dir)
    suite_keys = list({k.expectation_suite_identifier.name: k.expectation_suite_identifier for k in keys}.values())
    with _lock(settings):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=[*keys, *suite_keys])
        pages = [_page(context, k) for k in keys]
        for path in (docs_index(settings), *pages, *(_page(context, k) for k in suite_keys)):
            if path is not None and path.is_file():
                _scrub(path, _docs_root(settings))
    return pages


def _page(context: Any, key: Any) -> Path | None:
    """The file of a resource's Data Docs page."""
    from urllib.parse import unquote, urlparse

    urls = context.get_docs_sites_urls(resource_identifier=key, site_name=SITE_NAME)
    url = urls[0].get("site_url") if urls else None
    return Path(unquote(urlparse(url).path)) if url else None


def _scrub(path: Path, docs_root: Path) -> None:
    """Mask ID-like runs left in a rendered page (should never find one: logged as a bug if it does), and
    point GX's logo - an image URL carrying the context id, i.e. a beacon - at the site's own copy."""
    text = path.read_text(encoding="utf-8")
    logo = os.path.relpath(docs_root / "static" / "images" / "logo-long.png", path.parent)
    cleaned = _GX_LOGO.sub(logo, text)
    masked = _mask_docs(cleaned)
    if masked != cleaned and _holds_real_id(cleaned):
        log.warning("Data Docs page %s contained ID-like values; masked after rendering", path.name)
    if masked != text:
        path.write_text(masked, encoding="utf-8")
