"""Compare alerts found in a built warehouse with the simulator's planted truth (`_truth/households.jsonl`).

Grain of a comparison: one alert subject = (household_id, id_number or None) per code, counted (a person
with two vehicles has two VEHICLE_OWNED alerts). Only planted households are compared - background
households have no truth, so an alert there is neither right nor wrong here.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

from safetynet.privacy import mask_text

Subject = tuple[str, str | None]


def truth_households(exchange: Path) -> list[dict]:
    path = exchange / "_truth" / "households.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def expected(truth: list[dict], code: str, key: str = "alerts") -> Counter[Subject]:
    """The planted alerts of `code` (key='skipped_alerts': those whose rule is skipped on the as-of date)."""
    return Counter((h["household_id"], a["id_number"]) for h in truth for a in h[key] if a["code"] == code)


def found(con: duckdb.DuckDBPyConnection, relation: str, code: str, households: set[str]) -> Counter[Subject]:
    """The alerts of `code` in `relation` (a rule model int.alert__<code>, or mart.alert filtered to active
    statuses by the caller's relation) that land in planted households."""
    rows = con.execute(f"SELECT household_id, id_number FROM {relation} WHERE code = ?", [code]).fetchall()
    return Counter((h, i) for h, i in rows if h in households)


@dataclass(frozen=True)
class Agreement:
    code: str
    expected: Counter[Subject]
    found: Counter[Subject]

    @property
    def missed(self) -> Counter[Subject]:
        return self.expected - self.found

    @property
    def extra(self) -> Counter[Subject]:
        return self.found - self.expected

    @property
    def recall(self) -> float:
        total = sum(self.expected.values())
        return 1.0 if total == 0 else 1 - sum(self.missed.values()) / total

    def describe(self, truth: list[dict]) -> str:
        notes = {h["household_id"]: f"{h['sid']} ({mask_text(h['note'])})" for h in truth}
        lines = [f"{self.code}: expected {sum(self.expected.values())}, found {sum(self.found.values())}, "
                 f"recall {self.recall:.0%}, extra {sum(self.extra.values())}"]
        lines += [f"  missed {mask_text(hh)} person={'yes' if p else 'no'}: {notes[hh]}" for hh, p in self.missed]
        lines += [f"  extra  {mask_text(hh)} person={'yes' if p else 'no'}: {notes[hh]}" for hh, p in self.extra]
        return "\n".join(lines)


def compare(con: duckdb.DuckDBPyConnection, truth: list[dict], code: str, relation: str) -> Agreement:
    households = {h["household_id"] for h in truth}
    return Agreement(code, expected(truth, code), found(con, relation, code, households))
