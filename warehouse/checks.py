"""Generic invariants of the published marts, checked on every build before it is published.

Grain: one `TableContract` per published table, read from `transforms/marts/_contracts.yaml`; one
failure message per violated invariant. `validate_marts` raises `MartValidationError` listing all of them
(so one failed build shows every problem at once) and returns the row count of every mart table.

Checked: the set of mart base tables equals the contracted set; each table's columns and DuckDB types;
keys unique and not null; declared foreign keys; min/max row counts. Content rules (eligibility, alerts)
are the models' own tests, not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from warehouse.runner import DEFAULT_MODELS_DIR

DEFAULT_CONTRACTS = DEFAULT_MODELS_DIR / "marts" / "_contracts.yaml"
MART = "mart"
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


def validate_marts(con: duckdb.DuckDBPyConnection, contracts: Path | Mapping[str, TableContract] | None = None
                   ) -> dict[str, int]:
    """Check every mart table against its contract; row counts by table, or MartValidationError."""
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
    return {t: _scalar(con, f"SELECT count(*) FROM {MART}.{t}") for t in sorted(actual)}
