"""The synthetic city: every department's deliveries for a synthetic Tengzhou, with planted cases.

Written from the delivery contracts alone; it never imports the pipeline (`connectors`, …).
Entry point: `simulate(...)` (the `safetynet simulate` command).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from simulator import lanes
from simulator.config import SimConfig
from simulator.phases import lean_allocator, phase
from simulator.world import World

#: Domain modules in dependency order; each has `build(world) -> None` adding its world tables.
DOMAINS: tuple[str, ...] = ("vital", "economy", "assets", "welfare", "health", "education", "social")

#: Source modules (simulator/sources/<source>.py); each has `write(world) -> None`.
SOURCE_MODULES: tuple[str, ...] = (
    "hukou", "deaths", "cremation", "social_insurance", "tax", "housing_fund", "vehicles", "property",
    "business", "assistance", "bank", "disability", "rural_monitoring", "medical", "education", "charity",
    "public_housing",
)


def build_world(cfg: SimConfig, domains: Sequence[str] = DOMAINS) -> World:
    """People, planted households, then each domain's tables."""
    return add_domains(base_world(cfg), domains)


def base_world(cfg: SimConfig) -> World:
    """People and planted households, no domain tables yet."""
    from simulator import people, planted, scenarios

    with phase("people"):
        persons, households = people.build(cfg)
        catalogue = scenarios.catalogue(cfg)
        persons, households, pids, hhs = planted.add_planted_people(
            persons, households, catalogue, cfg, World(cfg, persons, households).rng("planted-people"))
    world = World(cfg=cfg, people=persons, households=households, planted=catalogue,
                  planted_pids=pids, planted_hh=hhs)
    for hh_sid, hh in hhs.items():
        world.household_ids.setdefault(hh_sid, "HK" + str(households.at[hh, "hukou_no"]))
    return world


def add_domains(world: World, domains: Sequence[str]) -> World:
    """Build each domain's tables into `world` (in the given, dependency, order); returns it."""
    for name in domains:
        lanes.build_domain(world, name)
    return world


def write_deliveries(world: World, sources: Sequence[str] = SOURCE_MODULES) -> None:
    """Every source writes its deliveries from the (read-only) world, in this process.

    `simulate` writes them in two processes instead, interleaved with the domain builds
    (`lanes.build_and_write`); same output.
    """
    for name in sources:
        lanes.write_source(world, name)


def simulate(out: Path, scale: float, seed: int, as_of: date, days: int = 3,
             frontdb_urls: Mapping[str, str] | None = None) -> World:
    """Write the synthetic city's deliveries into the exchange root `out`, and `out/_truth/`.

    Returns the world; its domain tables are released as the sources finish (memory at full scale).
    Switches this process's Arrow allocator (`phases.lean_allocator`).
    """
    from simulator import truth

    cfg = SimConfig(out=Path(out), scale=scale, seed=seed, as_of=as_of, days=days, frontdb_urls=frontdb_urls)
    lean_allocator()
    world = base_world(cfg)
    lanes.build_and_write(world, DOMAINS, SOURCE_MODULES)
    with phase("truth"):
        truth.write(world)
    return world
