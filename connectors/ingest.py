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
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

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
    """Ingest every not-yet-accounted delivery version with business date ≤ D; return this run's rows."""
    done: list[SourceRun] = []
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
        else:
            run = _ingest_delivery(settings, d, business_date, docs_keys)
        record(settings, run)
        done.append(run)
    return done


def _ingest_delivery(settings: Settings, d: landing.Delivery, run_date: date,
                     docs_keys: list | None = None) -> SourceRun:
    name = delivery_name(d)
    try:
        parsed = connector(d.source).parse(d)
    except DeliveryRejected as exc:
        rows = sum(f.marker_rows or 0 for f in d.files)
        _quarantine_rejection(settings, d, [RowIssue(exc.file, exc.row or 0, exc.field, exc.rule, None, exc.reason)])
        return SourceRun(run_date.isoformat(), d.source, name, d.business_date.isoformat(), rows, 0, rows, 0,
                         "rejected", str(exc))
    return store(settings, parsed, d.business_date, run_date, docs_keys)


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
    from expectations import runner

    accepted, issues, checks_failed = {}, list(parsed.issues), 0
    for entity, table in parsed.tables.items():
        result = runner.validate(settings, parsed.source, entity, table, parsed.delivery, publish=False)
        if docs_keys is not None and result.docs_key is not None:
            docs_keys.append(result.docs_key)
        accepted[entity] = result.accepted
        issues += result.issues
        checks_failed += result.checks_failed
    delivered = parsed.rows_delivered
    quarantined = len({(i.file, i.row) for i in issues})
    counted = len({(i.file, i.row) for i in issues if i.rule not in NOT_COUNTED_FOR_REJECT})
    limit = REJECT_RATE.get(parsed.source, DEFAULT_REJECT_RATE)
    base = dict(run_date=run_date.isoformat(), source=parsed.source, delivery=parsed.delivery,
                business_date=business_date.isoformat(), rows_delivered=delivered, checks_failed=checks_failed)
    if delivered and counted / delivered > limit:
        reason = (f"{counted} of {delivered} rows failed checks ({counted / delivered:.1%} > "
                  f"{limit:.0%} allowed for {parsed.source})")
        quarantine.write(settings, parsed.source, business_date, parsed.delivery,
                         issues + [RowIssue(parsed.delivery, 0, None, "reject_rate", None, reason)])
        return SourceRun(**base, rows_accepted=0, rows_quarantined=delivered, status="rejected", reason=reason)
    for entity, table in accepted.items():
        raw.write(settings, parsed.source, entity, business_date, parsed.delivery, table)
    if issues:
        quarantine.write(settings, parsed.source, business_date, parsed.delivery, issues)
    return SourceRun(**base, rows_accepted=delivered - quarantined, rows_quarantined=quarantined,
                     status="accepted_with_quarantine" if quarantined else "accepted")


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
