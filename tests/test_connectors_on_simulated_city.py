"""End-to-end check of the CSV file connectors and their suites on a small simulated city (slow).

The simulator is written independently from the same contracts, so this is where the connectors' and the
suites' reading of the contracts meets another reading. For each source, `connectors.ingest.ingest_task`
runs for business date 2026-05-27 over every delivery the simulator wrote (deaths: 365 days of history),
then for every delivery version handled:

* delivered = accepted + quarantined, and delivered = the markers' `rows` of the files read;
* a rejected delivery is one the landing scan already found broken (marker rows or sha256 wrong): the
  connectors never reject a well-formed delivery;
* the quarantine rate stays small (< 2% per source);
* every usable delivery was accounted for, and a second run adds nothing (idempotence).

Data Docs rendering is switched off here: the runner rebuilds the site index from every stored result on
each validation, which makes deaths' 368-delivery first load take ~18 minutes; the docs have their own
tests. Nothing else is replaced.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from connectors import ingest, landing
from connectors.csvsource import delivery_name
from expectations import runner
from safetynet.settings import SQL_SOURCES, Settings, default_frontdb_url

pytestmark = pytest.mark.slow

AS_OF = date(2026, 5, 27)
SOURCES = ("vehicles", "deaths", "tax", "property", "business", "housing_fund", "education", "public_housing")
MAX_QUARANTINE_RATE = 0.02


def _module_exists(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _simulate(out: Path) -> None:
    """The whole city; if a simulator module is still missing, the domains and sources that exist."""
    import simulator
    from simulator.config import SimConfig

    try:
        simulator.simulate(out=out, scale=0.002, seed=1, as_of=AS_OF, days=3)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("simulator."):
            raise
        cfg = SimConfig(out=out, scale=0.002, seed=1, as_of=AS_OF, days=3)
        domains = [d for d in simulator.DOMAINS if _module_exists(f"simulator.domains.{d}")]
        world = simulator.build_world(cfg, domains=domains)
        simulator.write_deliveries(world, [s for s in SOURCES if _module_exists(f"simulator.sources.{s}")])


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("city")
    exchange = root / "exchange"
    _simulate(exchange)
    return Settings(home=root / "home", exchange=exchange,
                    frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})


@pytest.fixture(scope="module")
def summaries(city: Settings) -> dict[str, dict]:
    """The ingest summary of each delivered source (ingest_task's JSON)."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_publish", lambda *args, **kwargs: None, raising=False)
        for source in SOURCES:
            if (city.landing / source).is_dir():
                out[source] = json.loads(Path(ingest.ingest_task(city, source, AS_OF)).read_text(encoding="utf-8"))
    return out


def _quarantine(settings: Settings, source: str) -> list[dict]:
    root = settings.quarantine_dir / source
    return [r for p in sorted(root.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]


@pytest.mark.parametrize("source", SOURCES)
def test_every_delivery_is_accounted_exactly(city: Settings, summaries: dict[str, dict], source: str) -> None:
    if source not in summaries:
        pytest.skip(f"the simulator wrote no {source} deliveries (module missing)")
    summary = summaries[source]
    versions = {delivery_name(d): d for d in landing.scan(city, source, AS_OF)}
    handled = {d for d, v in versions.items() if v.disposition in ("in_use", "rejected")}
    runs = {r["delivery"]: r for r in summary["deliveries"]}
    assert set(runs) == handled, "every usable or broken delivery version is accounted, nothing else"
    assert runs, f"no {source} delivery at all"
    for name, run in runs.items():
        assert run["rows_delivered"] == run["rows_accepted"] + run["rows_quarantined"], name
        markers = sum(f.marker_rows or 0 for f in versions[name].files)
        assert run["rows_delivered"] == markers, name
        if run["status"] == "rejected":
            assert versions[name].status == "broken", f"{name} rejected by the connector: {run['reason']}"


@pytest.mark.parametrize("source", SOURCES)
def test_quarantine_is_rare_and_explained(city: Settings, summaries: dict[str, dict], source: str) -> None:
    if source not in summaries:
        pytest.skip(f"the simulator wrote no {source} deliveries (module missing)")
    summary = summaries[source]
    kept = [r for r in summary["deliveries"] if r["status"] != "rejected"]
    delivered = sum(r["rows_delivered"] for r in kept)
    quarantined = sum(r["rows_quarantined"] for r in kept)
    issues = [(q["file"], q["row"], q["field"], q["rule"], q["value"]) for q in _quarantine(city, source)
              if q["rule"] != "reject_rate"]
    assert quarantined <= MAX_QUARANTINE_RATE * max(delivered, 1), issues[:20]
    for file, row, _field, rule, _value in issues:
        assert file and rule and row is not None  # every quarantined row names its file, row and rule


def test_raw_store_holds_every_entity(city: Settings, summaries: dict[str, dict]) -> None:
    from warehouse import raw

    for source in summaries:
        module = importlib.import_module(f"connectors.{source}")
        for part in module.PARTS.values():
            if part.entity == "current_holder" and not any(
                    d.file("BDC_FULL") for d in landing.scan(city, source, AS_OF)):
                continue
            assert raw.glob(city, source, part.entity), f"{source}.{part.entity} has no raw file"


def test_second_run_adds_nothing(city: Settings, summaries: dict[str, dict]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_publish", lambda *args, **kwargs: None, raising=False)
        for source in summaries:
            again = json.loads(Path(ingest.ingest_task(city, source, AS_OF)).read_text(encoding="utf-8"))
            assert again["deliveries"] == [], source
