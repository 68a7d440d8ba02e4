"""All 17 sources of a small simulated city through the nightly ingest, date by date (slow).

The simulator and the connectors are written independently from the same contracts; here they meet for
every source at once. `connectors.ingest.ingest_task` runs for every source, as the DAG's tasks call it,
for each business date of the window in order (2026-05-25, -26, -27), then all 17 once more for
2026-05-27. Checked:

* every source ingested something;
* every accounted delivery: delivered = accepted + quarantined, and for file sources delivered = the
  markers' `rows` of the files read;
* a delivery is rejected only where the simulator wrote a broken or short delivery that a complete `_R<n>`
  supersedes (README section 4), and no source quarantines more than 2% of its rows (charity's blank and
  comma-only lines aside: the contract says they occur, the marker counts them, they carry no data);
* running 2026-05-27 again changes nothing (raw store, quarantine store, accounting, watermarks);
* privacy: no full ID number in anything written under SAFETYNET_HOME except the raw store (logs,
  quarantine Parquet, accounting and run JSON, Data Docs), nor in the log records of the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from idscan import files_with_ids, find_ids, scanned_files

from connectors import landing, registry
from connectors.csvsource import delivery_name
from connectors.ingest import SourceRun, accounts, ingest_task
from safetynet.settings import SOURCES, SQL_SOURCES, Settings, default_frontdb_url

pytestmark = pytest.mark.slow

AS_OF = date(2026, 5, 27)
DATES = (date(2026, 5, 25), date(2026, 5, 26), AS_OF)
#: At the time of writing, seed 6 gives this small city a broken death-certificate file with its _R1, and
#: re-deliveries of hukou (in the window) and of a bank response besides the usual ones; seed 1 has no
#: broken delivery at this scale. The checks hold for any seed.
SEED = 6
MAX_QUARANTINE_RATE = 0.02
#: Quarantine rules that are a documented shape of the delivery, not a data-quality failure.
NOT_QUALITY = {"charity": {"blank_line"}}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class City:
    settings: Settings
    summaries: dict[tuple[date, str], dict]     # (business date, source) -> ingest summary JSON
    state: dict[str, dict[str, str]]            # digests after the first pass
    rerun: dict[str, dict]                      # source -> summary of the second 2026-05-27 run
    state_after: dict[str, dict[str, str]]
    log_lines: list[str]


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.is_dir() else {}


def stores(settings: Settings) -> dict[str, dict[str, str]]:
    return {"raw": digest(settings.raw_dir), "quarantine": digest(settings.quarantine_dir),
            "accounting": digest(settings.state_dir / "source_run"),
            "watermarks": digest(settings.state_dir / "watermarks")}


def ingest_all(settings: Settings, day: date) -> dict[str, dict]:
    out = {}
    for source in SOURCES:
        path = Path(ingest_task(settings, source, day.isoformat()))
        out[source] = json.loads(path.read_text(encoding="utf-8"))
    return out


def ingest_city(root: Path) -> City:
    """Simulate the city under `root`, ingest every date of the window, then the last one again."""
    import simulator

    exchange = root / "exchange"
    simulator.simulate(out=exchange, scale=0.003, seed=SEED, as_of=AS_OF, days=3)
    settings = Settings(home=root / "home", exchange=exchange,
                        frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})
    handler = _Records()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    top = logging.getLogger()
    level = top.level
    top.addHandler(handler)
    top.setLevel(logging.INFO)
    try:
        summaries = {(day, s): summary for day in DATES for s, summary in ingest_all(settings, day).items()}
        state = stores(settings)
        rerun = ingest_all(settings, AS_OF)
        state_after = stores(settings)
    finally:
        top.removeHandler(handler)
        top.setLevel(level)
    return City(settings, summaries, state, rerun, state_after, handler.lines)


def landing_versions(settings: Settings) -> dict[tuple[str, str], landing.Delivery]:
    """(source, delivery name) -> every delivery version on the landing area up to AS_OF."""
    return {(d.source, delivery_name(d)): d for source in SOURCES if registry.spec(source).mechanism == "file"
            for d in landing.scan(settings, source, AS_OF)}


def check_every_source_ingested_something(city: City) -> None:
    delivered = Counter()
    for (_, source), summary in city.summaries.items():
        delivered[source] += summary["rows_delivered"]
    assert [s for s in SOURCES if delivered[s] == 0] == [], delivered


def check_accounting_balances_and_matches_the_markers(city: City) -> None:
    runs = accounts(city.settings)
    assert runs
    for summary in city.summaries.values():
        for key in ("rows_delivered", "rows_accepted", "rows_quarantined"):
            assert summary[key] == sum(d[key] for d in summary["deliveries"]), summary["source"]
    versions = landing_versions(city.settings)
    for run in runs:
        assert run.rows_delivered == run.rows_accepted + run.rows_quarantined, run
        if registry.spec(run.source).mechanism == "file":
            d = versions[(run.source, run.delivery)]
            assert run.rows_delivered == sum(f.marker_rows or 0 for f in d.files), (run, d.files)


def check_rejections_are_broken_deliveries_that_a_redelivery_replaces(city: City) -> None:
    versions = landing_versions(city.settings)
    unexplained = []
    for run in accounts(city.settings):
        if run.status != "rejected":
            continue
        d = versions.get((run.source, run.delivery))
        later = [x for x in versions.values() if d is not None and x.source == d.source and x.key == d.key
                 and x.redelivery > d.redelivery and x.disposition == "in_use"]
        # A broken delivery of the last days may still wait for its _R1 (promised within 2 days).
        pending = d is not None and d.folder_date >= AS_OF - timedelta(days=1)
        if d is None or not (later or pending):
            unexplained.append(run)
    assert not unexplained, "\n".join(f"{r.source} {r.delivery}: {r.reason}" for r in unexplained)


def check_broken_deliveries_never_reach_the_raw_store(city: City) -> None:
    accounted = {(r.source, r.delivery): r for r in accounts(city.settings)}
    versions = landing_versions(city.settings)
    broken = [d for d in versions.values() if d.status == "broken"]
    for d in broken:
        name = delivery_name(d)
        run = accounted.get((d.source, name))
        assert run is None or run.status == "rejected", run
        assert not list(city.settings.raw_dir.glob(f"{d.source}/*/business_date=*/{name}.parquet")), name
        assert any(x.key == d.key and x.source == d.source and x.redelivery > d.redelivery
                   and x.disposition == "in_use" for x in versions.values()), f"{name} has no usable _R"
    # A superseded version (a short original, a broken one) was left for its re-delivery unless an earlier
    # run had taken it already; the version in use was ingested.
    for d in versions.values():
        if d.disposition == "superseded" and (d.source, delivery_name(d)) not in accounted:
            (in_use,) = [x for x in versions.values() if x.source == d.source and x.key == d.key
                         and x.disposition == "in_use"]
            assert (d.source, delivery_name(in_use)) in accounted, delivery_name(d)


def _quarantine_rules(settings: Settings, source: str) -> Counter:
    rules: Counter = Counter()
    for p in (settings.quarantine_dir / source).rglob("*.parquet"):
        rows = pq.read_table(p, columns=["rule", "file", "row"]).to_pylist()
        rules.update(r["rule"] for r in rows)
    return rules


def check_quarantine_rates_stay_small(city: City) -> None:
    per_source: dict[str, list[SourceRun]] = defaultdict(list)
    for run in accounts(city.settings):
        per_source[run.source].append(run)
    too_high = {}
    for source, runs in per_source.items():
        delivered = sum(r.rows_delivered for r in runs if r.status != "rejected")
        not_quality = NOT_QUALITY.get(source, set())
        ignored = 0
        if not_quality:
            for p in (city.settings.quarantine_dir / source).rglob("*.parquet"):
                rows = pq.read_table(p, columns=["rule", "file", "row"]).to_pylist()
                ignored += len({(r["file"], r["row"]) for r in rows if r["rule"] in not_quality})
        quarantined = sum(r.rows_quarantined for r in runs if r.status != "rejected") - ignored
        if delivered and quarantined / delivered > MAX_QUARANTINE_RATE:
            too_high[source] = (quarantined, delivered, _quarantine_rules(city.settings, source).most_common(5))
    assert not too_high, too_high


def check_running_the_last_date_again_changes_nothing(city: City) -> None:
    assert all(s["deliveries_found"] == 0 and s["rows_delivered"] == 0 for s in city.rerun.values()), {
        k: v["deliveries_found"] for k, v in city.rerun.items()}
    for store, before in city.state.items():
        assert city.state_after[store] == before, store
    assert city.state["raw"] and city.state["accounting"] and city.state["watermarks"]


def check_no_full_id_number_outside_the_raw_store(city: City) -> None:
    files = scanned_files(city.settings.home)
    kinds = {p.relative_to(city.settings.home).parts[0] for p in files}
    assert {"state", "runs", "validation"} <= kinds, kinds     # and quarantine/ when a row was quarantined
    assert any(p.suffix == ".html" for p in files)
    leaks = files_with_ids(files)
    assert not leaks, f"full ID numbers outside the raw store: {leaks}"
    assert city.log_lines
    logged = find_ids("\n".join(city.log_lines))
    assert not logged, f"{len(logged)} full ID numbers in the run's log records"


CHECKS = (check_every_source_ingested_something, check_accounting_balances_and_matches_the_markers,
          check_rejections_are_broken_deliveries_that_a_redelivery_replaces,
          check_broken_deliveries_never_reach_the_raw_store, check_quarantine_rates_stay_small,
          check_running_the_last_date_again_changes_nothing, check_no_full_id_number_outside_the_raw_store)


def test_city_ingest(tmp_path: Path) -> None:
    """One test (the city is built once, also under pytest-xdist), every check run, all failures shown."""
    city = ingest_city(tmp_path)
    failures = []
    for check in CHECKS:
        try:
            check(city)
        except AssertionError as exc:
            failures.append(f"{check.__name__}: {str(exc)[:2000]}")
    assert not failures, "\n\n".join(failures)
