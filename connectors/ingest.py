"""The per-source nightly ingest: landing → parse → validate → raw store + quarantine + accounting.

Grain of the accounting: one `SourceRun` per (source, delivery version) handled, written once to
`$SAFETYNET_HOME/state/source_run/<source>/<delivery>.json`; interfaces.md section 3 `mart.source_run` is
their union. For every delivery: rows_delivered = rows_accepted + rows_quarantined (a rejected delivery
quarantines all its rows, as a whole, with the reason).

Idempotent: a delivery version already accounted for is skipped, so running the same business date twice
changes nothing. A rejected delivery never stops the other deliveries or sources; the source's previous
data stays in use because nothing of the rejected delivery reaches the raw store.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from connectors import landing, registry
from connectors.base import DeliveryRejected, Parsed, RowIssue
from connectors.csvsource import delivery_name
from expectations import quarantine
from safetynet.privacy import mask_text
from safetynet.settings import Settings
from warehouse import raw

log = logging.getLogger(__name__)

#: Share of a delivery's rows that may be quarantined before the whole delivery is rejected.
#: Hand-made sources (charity) are noisier by nature.
REJECT_RATE: dict[str, float] = {"charity": 0.5}
DEFAULT_REJECT_RATE = 0.05
#: Quarantine reasons that say nothing about the delivery's quality, so they never count towards the
#: reject rate: charity's blank and comma-only lines (counted by its marker, carrying no data), and bank
#: result rows for persons never requested (the platform's error: that row is quarantined and reported,
#: the rest of the response is good).
NOT_COUNTED_FOR_REJECT = frozenset({"blank_line", "unrequested_person"})
#: Rows of parsed deliveries of one source validated together (one GX run per entity and group).
BATCH_ROWS = 200_000


@dataclass(frozen=True)
class SourceRun:
    """Accounting of one delivery version (interfaces.md section 3 `mart.source_run`)."""

    run_date: str
    source: str
    delivery: str
    business_date: str
    rows_delivered: int
    rows_accepted: int
    rows_quarantined: int
    checks_failed: int
    status: str            # accepted | accepted_with_quarantine | rejected
    reason: str | None = None


def _account_path(settings: Settings, source: str, delivery: str) -> Path:
    return settings.state_dir / "source_run" / source / f"{delivery}.json"


def already_accounted(settings: Settings, source: str, delivery: str) -> bool:
    """Whether a delivery version (or SQL extract) has been handled already."""
    return _account_path(settings, source, delivery).is_file()


def record(settings: Settings, run: SourceRun) -> None:
    """Write a delivery's accounting row (once) and log it: counts, and for a rejection its reason (which
    names the file, row and field, never row content; masked as a last guard)."""
    _write_account(settings, run)
    why = f": {mask_text(run.reason)}" if run.status == "rejected" and run.reason else ""
    log.log(logging.WARNING if run.status == "rejected" else logging.INFO,
            "%s %s: delivered %d, accepted %d, quarantined %d (%s%s)", run.source, run.delivery,
            run.rows_delivered, run.rows_accepted, run.rows_quarantined, run.status, why)


def _write_account(settings: Settings, run: SourceRun) -> None:
    path = _account_path(settings, run.source, run.delivery)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(run), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def accounts(settings: Settings, source: str | None = None) -> list[SourceRun]:
    """Every accounted delivery version (optionally of one source), oldest run first."""
    root = settings.state_dir / "source_run"
    pattern = f"{source}/*.json" if source else "*/*.json"
    runs = [SourceRun(**json.loads(p.read_text(encoding="utf-8"))) for p in root.glob(pattern)]
    return sorted(runs, key=lambda r: (r.run_date, r.source, r.delivery))


def connector(source: str):
    """The connector module of a source (connectors/<source>.py)."""
    return importlib.import_module(f"connectors.{source}")


def ingest_file_source(settings: Settings, source: str, business_date: date,
                       docs_keys: list | None = None) -> list[SourceRun]:
    """Ingest every not-yet-accounted delivery version with business date ≤ D; return this run's rows.

    Parsed deliveries are validated in groups of up to BATCH_ROWS rows (one GX run per entity and group:
    a source with hundreds of small files pays GX's per-run setup once per group, not once per file), then
    stored and accounted one by one, exactly as if each had been validated alone.
    """
    done: list[SourceRun] = []
    pending: list[tuple[Parsed, date]] = []
    for d in landing.scan(settings, source, business_date):
        name = delivery_name(d)
        if already_accounted(settings, source, name) or d.disposition in ("superseded", "waiting"):
            continue
        if d.disposition == "rejected":
            rows = sum(f.marker_rows or 0 for f in d.files)
            run = SourceRun(business_date.isoformat(), source, name, d.business_date.isoformat(), rows, 0, rows,
                            0, "rejected", "; ".join(d.problems) or "broken delivery")
            _quarantine_rejection(settings, d, [RowIssue(f.name, 0, None, f.status, None, f.problem or f.status)
                                                for f in d.files if f.status in landing.BROKEN_FILE_STATUSES])
            record(settings, run)
            done.append(run)
            continue
        try:
            parsed = connector(d.source).parse(d)
        except DeliveryRejected as exc:
            rows = sum(f.marker_rows or 0 for f in d.files)
            _quarantine_rejection(settings, d, [RowIssue(exc.file, exc.row or 0, exc.field, exc.rule, None,
                                                         exc.reason)])
            run = SourceRun(business_date.isoformat(), d.source, name, d.business_date.isoformat(), rows, 0, rows,
                            0, "rejected", str(exc))
            record(settings, run)
            done.append(run)
            continue
        pending.append((parsed, d.business_date))
        if sum(p.rows_delivered for p, _ in pending) >= BATCH_ROWS:
            done += _store_group(settings, pending, business_date, docs_keys)
            pending = []
    return done + _store_group(settings, pending, business_date, docs_keys)


def _store_group(settings: Settings, group: list[tuple[Parsed, date]], run_date: date,
                 docs_keys: list | None) -> list[SourceRun]:
    """Validate a group of parsed deliveries of one source together, then store and account each."""
    from expectations import runner

    if not group:
        return []
    results: dict[tuple[int, str], runner.ValidationResult] = {}
    entities = list(dict.fromkeys(e for p, _ in group for e in p.tables))
    for entity in entities:
        members = [i for i, (p, _) in enumerate(group) if entity in p.tables]
        validated = runner.validate_many(settings, group[0][0].source, entity,
                                         [(group[i][0].delivery, group[i][0].tables[entity]) for i in members])
        for i, r in zip(members, validated, strict=True):
            results[(i, entity)] = r
        _add_docs_key(docs_keys, validated[0].docs_key if validated else None)
    runs = []
    for i, (parsed, business_date) in enumerate(group):
        sink = DeliverySink(settings, parsed.source, parsed.delivery, business_date, run_date)
        try:
            sink.add(parsed, {e: results[(i, e)] for e in parsed.tables})
            run = sink.finish()
        finally:
            sink.abort()
        record(settings, run)
        runs.append(run)
    return runs


def _add_docs_key(docs_keys: list | None, key: object) -> None:
    if docs_keys is not None and key is not None and key not in docs_keys:
        docs_keys.append(key)


def _quarantine_rejection(settings: Settings, d: landing.Delivery, issues: list[RowIssue]) -> None:
    """A delivery rejected as a whole leaves its reason in the quarantine store too (row 0 = the delivery,
    as for a reject-rate rejection), so the store names every delivered row that was not accepted."""
    quarantine.write(settings, d.source, d.business_date, delivery_name(d), issues)


def store(settings: Settings, parsed: Parsed, business_date: date, run_date: date,
          docs_keys: list | None = None) -> SourceRun:
    """Validate a parsed delivery, then write raw + quarantine and return its accounting row.

    The validation results are stored for Data Docs; their keys are appended to `docs_keys` so that the
    caller builds the pages once per run (`expectations.runner.publish_docs`).
    """
    return store_chunks(settings, parsed.source, parsed.delivery, [parsed], business_date, run_date, docs_keys)


def store_chunks(settings: Settings, source: str, delivery: str, chunks: Iterable[Parsed], business_date: date,
                 run_date: date, docs_keys: list | None = None) -> SourceRun:
    """`store` of a delivery that arrives in chunks (disjoint rows, e.g. a SQL extract read in bounded
    batches): each chunk is validated and written as it comes, so memory stays bounded by the chunk size
    (and the quarantined rows); the reject-rate decision is taken on the whole delivery at the end, and
    nothing is visible in the raw or quarantine store before it."""
    from expectations import runner

    sessions: dict[str, runner.Session] = {}
    sink = DeliverySink(settings, source, delivery, business_date, run_date)
    try:
        for parsed in chunks:
            results = {}
            for entity, table in parsed.tables.items():
                session = sessions.setdefault(entity, runner.Session(settings, source, entity))
                (results[entity],) = session.validate([(delivery, table)], docs_name=delivery)
            sink.add(parsed, results)
        for session in sessions.values():
            _add_docs_key(docs_keys, session.store_docs(delivery))
        return sink.finish()
    finally:
        sink.abort()


class DeliverySink:
    """The accepted rows and the issues of one delivery version, written chunk by chunk to temporary files
    beside their final places (raw store, quarantine store), renamed there by `finish` - or dropped when
    the delivery is rejected or anything fails. Counting assumes chunks hold disjoint rows."""

    def __init__(self, settings: Settings, source: str, delivery: str, business_date: date, run_date: date) -> None:
        self.settings, self.source, self.delivery = settings, source, delivery
        self.business_date, self.run_date = business_date, run_date
        self.delivered = self.quarantined = self.counted = 0
        self.failed: dict[str, set[str]] = {}
        self._raw: dict[str, _ParquetOnce] = {}
        self._quarantine = _ParquetOnce(quarantine.path_for(settings, source, business_date, delivery),
                                        quarantine.SCHEMA)

    def add(self, parsed: Parsed, results: dict) -> None:
        """One chunk: its parse issues and per-entity validation results (expectations.runner)."""
        issues = list(parsed.issues)
        for entity, result in results.items():
            issues += result.issues
            self.failed.setdefault(entity, set()).update(result.failed)
            if entity not in self._raw:
                path = raw.path_for(self.settings, self.source, entity, self.business_date, self.delivery)
                self._raw[entity] = _ParquetOnce(path, result.accepted.schema)
            self._raw[entity].write(result.accepted)
        self.delivered += parsed.rows_delivered
        self.quarantined += len({(i.file, i.row) for i in issues})
        self.counted += len({(i.file, i.row) for i in issues if i.rule not in NOT_COUNTED_FOR_REJECT})
        self._write_issues(issues)

    def _write_issues(self, issues: list[RowIssue]) -> None:
        if issues:
            self._quarantine.write(_issue_table(self.source, self.delivery, self.business_date, issues))

    def finish(self) -> SourceRun:
        """Decide (reject rate), move the files into place and return the accounting row."""
        delivered, counted = self.delivered, self.counted
        limit = REJECT_RATE.get(self.source, DEFAULT_REJECT_RATE)
        base = dict(run_date=self.run_date.isoformat(), source=self.source, delivery=self.delivery,
                    business_date=self.business_date.isoformat(), rows_delivered=delivered,
                    checks_failed=sum(len(f) for f in self.failed.values()))
        if delivered and counted / delivered > limit:
            reason = (f"{counted} of {delivered} rows failed checks ({counted / delivered:.1%} > "
                      f"{limit:.0%} allowed for {self.source})")
            self._write_issues([RowIssue(self.delivery, 0, None, "reject_rate", None, reason)])
            self._quarantine.commit()
            return SourceRun(**base, rows_accepted=0, rows_quarantined=delivered, status="rejected", reason=reason)
        for writer in self._raw.values():
            writer.commit()
        if self.quarantined:
            self._quarantine.commit()
        return SourceRun(**base, rows_accepted=delivered - self.quarantined, rows_quarantined=self.quarantined,
                         status="accepted_with_quarantine" if self.quarantined else "accepted")

    def abort(self) -> None:
        """Remove whatever was not committed (a no-op after `finish` for committed files)."""
        for writer in (*self._raw.values(), self._quarantine):
            writer.abort()


class _ParquetOnce:
    """A Parquet file written once (an existing file is left as it is: the stores are immutable), in
    chunks to a temporary name in its folder and renamed into place by `commit` (readers never see half a
    file). Nothing is created before the first `write` or `commit`."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema = path, schema
        self.skip = path.is_file()
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.skip:
            return
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")
        self.writer.write_table(table if table.schema == self.schema else table.cast(self.schema))

    def commit(self) -> None:
        if self.skip:
            return
        if self.writer is None:
            self.write(self.schema.empty_table())
        self.writer.close()
        self.writer = None
        os.replace(self.tmp, self.path)
        self.skip = True

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)


def _issue_table(source: str, delivery: str, business_date: date, issues: list[RowIssue]) -> pa.Table:
    """Quarantine rows (expectations.quarantine.SCHEMA) of issues, masked."""
    masked = [i.masked() for i in issues]
    n = len(masked)
    return pa.table({
        "source": [source] * n, "delivery": [delivery] * n, "business_date": [business_date] * n,
        "file": [i.file for i in masked], "row": [i.row for i in masked], "field": [i.field for i in masked],
        "rule": [i.rule for i in masked], "value": [i.value for i in masked],
        "message": [i.message for i in masked],
    }, schema=quarantine.SCHEMA)


def ingest_task(settings: Settings, source: str, business_date: date | str) -> str:
    """What the DAG's per-source task calls: ingest, then write the run's summary JSON; returns its path."""
    from expectations import runner
    from safetynet.logging import configure_logging

    # A task entry point: mask ID numbers in every log record, keeping the level Airflow configured.
    configure_logging(logging.getLogger().getEffectiveLevel())
    d = business_date if isinstance(business_date, date) else date.fromisoformat(str(business_date))

    spec = registry.spec(source)
    docs_keys: list = []
    if spec.mechanism == "sql":
        status = landing.frontdb_status(settings, source)
        if status["problem"]:
            raise RuntimeError(status["problem"])
        runs = connector(source).extract_task(settings, d, docs_keys)
    else:
        runs = ingest_file_source(settings, source, d, docs_keys)
    runner.publish_docs(settings, docs_keys)
    out = settings.home / "runs" / d.isoformat() / "ingest" / f"{source}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "source": source, "business_date": d.isoformat(),
        "deliveries": [asdict(r) for r in runs],
        "deliveries_found": len(runs),
        "rows_delivered": sum(r.rows_delivered for r in runs),
        "rows_accepted": sum(r.rows_accepted for r in runs),
        "rows_quarantined": sum(r.rows_quarantined for r in runs),
        "checks_failed": sum(r.checks_failed for r in runs),
        "rejected": [r.delivery for r in runs if r.status == "rejected"],
        "problems": [f"{r.delivery}: {r.reason}" for r in runs if r.status == "rejected"],
    }
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(out)
