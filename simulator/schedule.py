"""Delivery fates: which deliveries are missing, broken, re-delivered or late (sources/README.md section 4).

Grain: one scheduled delivery of one source, named by a `key` the caller chooses (the file date
'YYYYMMDD' for daily/weekly files, 'YYYYMM' for monthly ones, the night 'YYYYMMDD' for SQL pushes).
Every fate is drawn from its own stream `schedule:<source>:<key>`, so it depends only on
(seed, source, key): adding days to the window or another source never changes a delivery's fate.

How a source renders a fate (the contract's rules, repeated here so every source does the same):
- missing: nothing is written (only snapshot sources; the next delivery supersedes).
- broken: the data file with a marker that does not match it (`deliver.write_broken_marker`), then
  the `_R1` re-delivery (`redelivered` is always True with `broken`).
- redelivered: the original (a flawed version: e.g. a few records short) and `_R1` with the
  correct content; daily/weekly sources into the folder of the original date.
- late: arrives after `late_after` (automated: hours, same folder); manual monthly deliveries come
  `late_working_days` working days after the scheduled day (folder = day actually delivered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from simulator.rng import stream
from simulator.world import World

#: README section 4 rates (shares of deliveries).
P_MISSING = 0.003       # daily/weekly snapshot deliveries
P_BROKEN = 0.001
P_REDELIVERED = 0.005
P_LATE_AUTOMATED = 0.02
P_LATE_MANUAL = 0.10
P_NO_PUSH = 0.005       # SQL nights without a push


@dataclass(frozen=True)
class Fate:
    """What happens to one scheduled delivery."""

    missing: bool = False
    broken: bool = False
    redelivered: bool = False
    late: bool = False
    late_working_days: int = 0  # manual monthly deliveries only: 1-5 when late, else 0

    @property
    def delivered_ok(self) -> bool:
        """True when the original file is written complete, with a correct marker, and not superseded."""
        return not (self.missing or self.broken or self.redelivered)


def delivery_fate(world: World, source: str, key: str, *, can_be_missing: bool = False,
                  manual: bool = False, redeliverable: bool = True) -> Fate:
    """The fate of one file delivery.

    can_be_missing: daily/weekly snapshot sources (hukou, vehicles, business); incremental and
        change-log sources are never skipped.
    manual: manual monthly deliveries (disability, rural_monitoring, public_housing, tax): late means
        1-5 working days; otherwise late means a few hours (the folder is unchanged).
    redeliverable: False for charity uploads (never re-delivered, never broken).
    """
    u = stream(world.cfg.seed, f"schedule:{source}:{key}").random(4)
    if can_be_missing and u[0] < P_MISSING:
        return Fate(missing=True)
    broken = redeliverable and u[1] < P_BROKEN
    redelivered = redeliverable and u[1] < P_BROKEN + P_REDELIVERED
    late = u[2] < (P_LATE_MANUAL if manual else P_LATE_AUTOMATED)
    days = 1 + int(u[3] * 5) if (late and manual) else 0
    return Fate(broken=broken, redelivered=redelivered, late=late, late_working_days=days)


def push_skipped(world: World, source: str, night: date) -> bool:
    """True when the SQL push in the night of `night` did not happen (the next night carries both days)."""
    return bool(stream(world.cfg.seed, f"schedule:{source}:push:{night:%Y%m%d}").random() < P_NO_PUSH)


def last_push_night(world: World, source: str) -> date:
    """The night of the latest push before the simulated front database is read (as-of + 1 unless skipped)."""
    night = world.cfg.last_folder_date
    while push_skipped(world, source, night):
        night -= timedelta(days=1)
    return night
