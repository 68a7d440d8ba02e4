"""Generic invariants of the published marts, checked on every build before it is published.

Grain: one `TableContract` per published table, read from `transforms/marts/_contracts.yaml`; one
failure message per violated invariant. `validate_marts` raises `MartValidationError` listing all of them
(so one failed build shows every problem at once) and returns the row count of every mart table.

Checked: the set of mart base tables equals the contracted set; each table's columns and DuckDB types;
keys unique and not null; declared foreign keys; min/max row counts. Once those hold, the invariants of the
published marts (expectations/suites_marts.py: keys, foreign keys, member counts, income sums, per-capita
values, programs per household, alert lifecycle, non-negative amounts, ID-derived sex ...) are validated
by Great Expectations, and their failures are raised the same way (table, expectation, a few offending
keys, ID numbers masked). The models' own tests cover the rest of the content rules.

GX runs on its SQL path, over the build's own DuckDB connection (one GX context per build):

* each suite's rows - the columns it reads, plus one boolean column `_check_<rule>` per `sql_rule` - are
  first copied into an in-memory database attached to the build (`gx_scratch`, detached afterwards, so
  nothing is written to the build file), so GX's many metric queries scan a small plain table instead of
  re-running joins;
* GX reaches that database through duckdb-engine, with `creator` handing out cursors of the build
  connection (a second `duckdb.connect` of the file would be refused: same file, other configuration).
  Those connections' `begin`/`commit`/`rollback` are no-ops: duckdb-engine begins a transaction per
  SQLAlchemy connection and GX releases the connection - which rolls it back - *before* it fetches the
  result, and a ROLLBACK on a DuckDB connection discards its pending result. That is the cause of the
  empty metric results of GX issues #10738 / #11579 (IndexError in resolve_metric_bundle). Validation
  only reads, so autocommit is the right mode anyway;
* two passes: every expectation with result_format BOOLEAN_ONLY (counts only), then the failed ones again
  with SUMMARY and `unexpected_index_column_names` = the suite's key, for which GX's SQL engine returns the
  keys of at most FAILURE_SAMPLE failing rows (a LIMIT query). SQL rules group columns (all amounts
  non-negative is one rule) because GX's cost is mostly Python per expectation, not data.

Measured on the small test city (2 cores shared, heavily loaded): the GX validation adds ~0.7 s of CPU,
1-2.5 s wall, to a build (12.2 s -> 13-14.7 s wall in-process); importing GX costs 10-30 s once per process
(Airflow runs the build task in its own process). The look-up ART indexes cost ~0.1 s.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from expectations.suites_marts import SUITES, MartSuite, expectation
from safetynet.privacy import mask_id, mask_text
from warehouse.runner import DEFAULT_MODELS_DIR

# GX logs a lot at INFO; quiet it before it is first imported (lazily, below).
logging.getLogger("great_expectations").setLevel(logging.WARNING)

DEFAULT_CONTRACTS = DEFAULT_MODELS_DIR / "marts" / "_contracts.yaml"
MART = "mart"
#: The in-memory database attached to the build while GX validates it.
SCRATCH = "gx_scratch"
#: Offending keys named per failed expectation.
FAILURE_SAMPLE = 5
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class ContractError(ValueError):
    """The contracts file itself is malformed."""


class MartValidationError(RuntimeError):
    """The marts violate their contracts; `failures` lists every violation."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__(f"{len(failures)} mart check(s) failed:\n  " + "\n  ".join(failures))


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableContract:
    name: str
    grain: str
    columns: Mapping[str, str]
    key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None


def _ident(value: object, where: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ContractError(f"{where}: {value!r} is not a lowercase identifier")
    return value


def load_contracts(path: Path = DEFAULT_CONTRACTS) -> dict[str, TableContract]:
    """Parse the contracts file (ContractError when malformed)."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise ContractError(f"{path}: no 'tables' mapping")
    contracts: dict[str, TableContract] = {}
    for name, spec in tables.items():
        where = f"{path}: {name}"
        _ident(name, where)
        cols = spec.get("columns")
        if not isinstance(cols, dict) or not cols:
            raise ContractError(f"{where}: 'columns' must map column names to types")
        columns = {_ident(c, where): str(t).upper().replace(" ", "") for c, t in cols.items()}
        key = tuple(_ident(k, where) for k in spec.get("key", ()))
        fks = tuple(ForeignKey(tuple(_ident(c, where) for c in fk["columns"]), _ident(fk["references"], where),
                               tuple(_ident(c, where) for c in fk.get("ref_columns", fk["columns"])))
                    for fk in spec.get("foreign_keys", ()))
        for col in key + tuple(c for fk in fks for c in fk.columns):
            if col not in columns:
                raise ContractError(f"{where}: key or foreign-key column {col!r} is not among the columns")
        unknown = set(spec) - {"grain", "columns", "key", "foreign_keys", "min_rows", "max_rows"}
        if unknown:
            raise ContractError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        contracts[name] = TableContract(
            name, str(spec.get("grain", "")), columns, key, fks, int(spec.get("min_rows", 0)),
            None if spec.get("max_rows") is None else int(spec["max_rows"]))
    for c in contracts.values():
        for fk in c.foreign_keys:
            ref = contracts.get(fk.references)
            if ref is None or any(col not in ref.columns for col in fk.ref_columns):
                raise ContractError(f"{path}: {c.name} references {fk.references}({', '.join(fk.ref_columns)}), "
                                    "which is not a contracted table and columns")
    return contracts


def _q(*names: str) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


def _check_table(con: duckdb.DuckDBPyConnection, c: TableContract, actual: Mapping[str, str]) -> list[str]:
    failures: list[str] = []
    table = f"{MART}.{c.name}"
    missing = [n for n in c.columns if n not in actual]
    extra = [n for n in actual if n not in c.columns]
    if missing:
        failures.append(f"{table}: missing column(s) {', '.join(missing)}")
    if extra:
        failures.append(f"{table}: column(s) not in the contract: {', '.join(extra)}")
    for name, want in c.columns.items():
        got = actual.get(name)
        if got is not None and got.replace(" ", "") != want:
            failures.append(f"{table}.{name}: type {got}, contract says {want}")
    if missing:
        return failures
    rows = _scalar(con, f"SELECT count(*) FROM {table}")
    if rows < c.min_rows:
        failures.append(f"{table}: {rows} rows, at least {c.min_rows} expected")
    if c.max_rows is not None and rows > c.max_rows:
        failures.append(f"{table}: {rows} rows, at most {c.max_rows} expected")
    if c.key:
        nulls = _scalar(con, f"SELECT count(*) FROM {table} WHERE "
                             + " OR ".join(f'"{k}" IS NULL' for k in c.key))
        dups = _scalar(con, f"SELECT count(*) FROM (SELECT {_q(*c.key)} FROM {table} "
                            f"GROUP BY ALL HAVING count(*) > 1)")
        if nulls:
            failures.append(f"{table}: {nulls} row(s) with a null key ({', '.join(c.key)})")
        if dups:
            failures.append(f"{table}: {dups} duplicated key value(s) ({', '.join(c.key)})")
    for fk in c.foreign_keys:
        match = " AND ".join(f'p."{r}" = t."{k}"' for k, r in zip(fk.columns, fk.ref_columns, strict=True))
        present = " AND ".join(f't."{k}" IS NOT NULL' for k in fk.columns)
        orphans = _scalar(con, f"SELECT count(*) FROM {table} t WHERE {present} AND NOT EXISTS "
                               f"(SELECT 1 FROM {MART}.{fk.references} p WHERE {match})")
        if orphans:
            failures.append(f"{table}: {orphans} row(s) whose ({', '.join(fk.columns)}) is not in "
                            f"{MART}.{fk.references}({', '.join(fk.ref_columns)})")
    return failures


def validate_marts(con: duckdb.DuckDBPyConnection, contracts: Path | Mapping[str, TableContract] | None = None,
                   suites: Sequence[MartSuite] | None = None) -> dict[str, int]:
    """Check every mart table against its contract, then run the GX mart suites (`suites`; default all of
    expectations.suites_marts, an empty sequence skips GX); row counts by table, or MartValidationError."""
    spec = load_contracts(DEFAULT_CONTRACTS if contracts is None else contracts) \
        if not isinstance(contracts, Mapping) else contracts
    cols = con.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
        "WHERE c.table_schema = ? AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position",
        [MART]).fetchall()
    actual: dict[str, dict[str, str]] = {}
    for table, column, dtype in cols:
        actual.setdefault(table, {})[column] = dtype
    failures = [f"{MART}.{t}: published table without a contract" for t in sorted(actual) if t not in spec]
    failures += [f"{MART}.{t}: contracted table is missing" for t in sorted(spec) if t not in actual]
    for name, contract in spec.items():
        if name in actual:
            failures += _check_table(con, contract, actual[name])
    if failures:
        raise MartValidationError(failures)
    # A models folder without some marts (tests, a partial project) runs the suites it can; the contracts
    # above already demand every contracted table, so a real build runs them all.
    runnable = [s for s in (SUITES if suites is None else suites) if s.reads <= actual.keys()]
    if runnable:
        failures = validate_expectations(con, runnable)
        if failures:
            raise MartValidationError(failures)
    return {t: _scalar(con, f"SELECT count(*) FROM {MART}.{t}") for t in sorted(actual)}


# --- Great Expectations ----------------------------------------------------------------------------------

def _gx() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _scratch_select(suite: MartSuite) -> str:
    """The rows a suite validates: its columns and one boolean per SQL rule, from mart.<table> as `t`."""
    cols = [f't."{c}"' for c in suite.columns]
    rules = [f"({c.params['sql']}) AS \"{c.derived_column}\"" for c in suite.checks if c.kind == "rule"]
    return f"SELECT {', '.join(cols + rules)} FROM {MART}.\"{suite.table}\" t"


def _read_only_connections(con: duckdb.DuckDBPyConnection) -> Any:
    """A SQLAlchemy `creator` of duckdb-engine connections on cursors of `con`, in autocommit (see above)."""
    from duckdb_engine import ConnectionWrapper

    class AutocommitConnection(ConnectionWrapper):
        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

    return lambda: AutocommitConnection(con.cursor())


def _context(con: duckdb.DuckDBPyConnection) -> tuple[Any, Any]:
    """An ephemeral, in-memory GX context (no files, no analytics, no progress bars) and its SQL datasource
    reading the build through `con`."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False))
    context = gx.get_context(project_config=config, mode="ephemeral")
    datasource = context.data_sources.add_sql(
        "build", connection_string="duckdb:///:memory:", kwargs={"creator": _read_only_connections(con)})
    return context, datasource


@contextlib.contextmanager
def _scratch(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    try:
        yield
    finally:
        con.execute(f"DETACH {SCRATCH}")


def _shown(column: str, value: Any) -> Any:
    return mask_id(value) if column.endswith("id_number") and isinstance(value, str) else value


def _key_text(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    return ", ".join(f"{k}={_shown(k, row.get(k))}" for k in columns)


def _what(check: Any) -> str:
    """'rule_name' for SQL rules (the message says what they read), else 'kind (columns)'."""
    return check.rule if check.kind == "rule" else f"{check.rule} ({', '.join(check.columns)})"


def _failure(suite: MartSuite, check: Any, result: Any) -> str:
    """The message of one failed expectation result: table, expectation, counts, a few offending keys."""
    info = result.exception_info or {}
    raised = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if info.get("raised_exception"):
        raised.append(info)
    if raised:
        detail = str(raised[0].get("exception_message", ""))[:300]
        return mask_text(f"{suite.name}: expectation {_what(check)} could not run in GX: {detail}")
    res = result.result or {}
    rows = res.get("partial_unexpected_index_list") or []
    if rows and isinstance(rows[0], Mapping):
        keys = [_key_text(r, suite.key) for r in rows]
    else:  # compound-column expectations on SQL return the offending values (here: the key), no indices
        keys = [_key_text(v, check.columns) if isinstance(v, Mapping) else str(v)
                for v in res.get("partial_unexpected_list") or []]
    sample = "; ".join(list(dict.fromkeys(keys))[:FAILURE_SAMPLE]) or "-"
    count = res.get("unexpected_count")
    counted = f"{count} of {res.get('element_count')} rows" if count is not None else "failed"
    return mask_text(f"{suite.name}: expectation {_what(check)}: {counted} - {check.message}; e.g. {sample}")


def _validate(gx: Any, batch: Any, suite: MartSuite, checks: Sequence[Any], result_format: dict[str, Any]
              ) -> list[Any]:
    """GX's results of `checks` (mart suite checks) on the suite's batch, in check order."""
    from great_expectations.validator.v1_validator import Validator

    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=[expectation(c) for c in checks])
    validator = Validator(batch_definition=batch, result_format=result_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX's deprecation chatter; outcomes are checked by the caller
        return list(validator.validate_expectation_suite(gx_suite).results)


def validate_expectations(con: duckdb.DuckDBPyConnection, suites: Sequence[MartSuite] = SUITES) -> list[str]:
    """Run the mart suites with GX on the build open in `con` (read only); one message per failed expectation.

    Two passes: every expectation with result_format BOOLEAN_ONLY (counts only: about half of GX's cost
    with SUMMARY), then only the failed ones again with SUMMARY, for the keys of a few failing rows."""
    gx = _gx()
    failures: list[str] = []
    with _scratch(con):
        for suite in suites:
            con.execute(f'CREATE TABLE {SCRATCH}."{suite.table}" AS {_scratch_select(suite)}')
        _, datasource = _context(con)
        try:
            for suite in suites:
                asset = datasource.add_query_asset(suite.name, query=f'SELECT * FROM {SCRATCH}."{suite.table}"')
                batch = asset.add_batch_definition_whole_table("whole")
                by_id = {c.id: c for c in suite.checks}
                first = _validate(gx, batch, suite, suite.checks, {"result_format": "BOOLEAN_ONLY"})
                failed = [by_id[r.expectation_config.meta["check"]] for r in first if not r.success]
                if not failed:
                    continue
                detail = {"result_format": "SUMMARY", "unexpected_index_column_names": list(suite.key),
                          "partial_unexpected_count": FAILURE_SAMPLE}
                for r in _validate(gx, batch, suite, failed, detail):
                    check = by_id[r.expectation_config.meta["check"]]
                    failures.append(_failure(suite, check, r))
        finally:
            datasource.get_engine().dispose()
    return failures
