"""The simulated world: what is true in the synthetic city, before any department reports it.

Grain of the core tables: `people` one row per person (see simulator/people.py), `households` one
row per 户号. Domain modules (simulator/domains/) add their own tables to `tables`, keyed by a
documented name (docs/simulator.md lists them); source modules (simulator/sources/) only read the
world and write deliveries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.config import SimConfig
from simulator.planted import PHousehold, PMember, Truth
from simulator.rng import stream


@dataclass
class World:
    cfg: SimConfig
    people: pd.DataFrame
    households: pd.DataFrame
    planted: tuple[PHousehold, ...] = ()
    #: (scenario id, member key) → pid of the planted person
    planted_pids: dict[tuple[str, str], int] = field(default_factory=dict)
    #: scenario id → hh (row of `households`) of the planted household's hukou registration
    planted_hh: dict[str, int] = field(default_factory=dict)
    #: scenario id → the household_id the policy gives it (家庭编号, 申请编号 or HK+户号)
    household_ids: dict[str, str] = field(default_factory=dict)
    #: domain tables by name
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: list[Truth] = field(default_factory=list)

    def rng(self, name: str) -> np.random.Generator:
        """The deterministic random stream for one purpose (see simulator/rng.py)."""
        return stream(self.cfg.seed, name)

    @property
    def background(self) -> pd.Series:
        """Boolean mask over `people`: persons that are not planted (domains generate for these)."""
        return self.people["planted"] == ""

    def scenario(self, sid: str) -> PHousehold:
        for h in self.planted:
            if h.sid == sid:
                return h
        raise KeyError(sid)

    def planted_members(self) -> list[tuple[PHousehold, PMember, int]]:
        """Every planted (household, member, pid), in catalogue order."""
        return [(h, m, self.planted_pids[(h.sid, m.key)]) for h in self.planted for m in h.members]

    def id_of(self, pid: int) -> str:
        return str(self.people.at[pid, "id_number"])
