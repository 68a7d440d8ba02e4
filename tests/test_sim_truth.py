"""Planted-case catalogue (simulator/scenarios.py) and its truth (simulator/truth.py)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from simulator import build_world, geo, scenarios, truth
from simulator.config import SimConfig

AS_OF = date(2025, 3, 5)
#: Each parameter year; before/after the tax delivery (20th) and the disability file (5th);
#: inside and outside the STUDENT_AID_MISSING season (9 Jan - 31 Aug).
AS_OF_DATES = (date(2024, 3, 5), date(2024, 11, 30), date(2025, 1, 8), date(2025, 1, 9), date(2025, 3, 20),
               date(2025, 6, 17), date(2025, 8, 31), date(2025, 9, 1), date(2026, 2, 4), date(2026, 12, 31))
TARGETS = truth.PROGRAMS + truth.ALERT_CODES
DOC = Path(__file__).resolve().parents[1] / "docs" / "planted-cases.md"


def _cfg(tmp: Path, as_of: date = AS_OF) -> SimConfig:
    return SimConfig(out=tmp, scale=0.0001, seed=7, as_of=as_of, days=1)


def _observed(o: truth.Outcome) -> tuple[list[str], list[str]]:
    """(sorted alert codes incl. skipped ones, sorted eligible programs) of an outcome."""
    return sorted(a.code for a in o.alerts + o.skipped), sorted(p for p, ok in o.programs.items() if ok)


# ---- the catalogue ---------------------------------------------------------------------------


def test_catalogue_has_hits_and_near_misses_for_every_target(tmp_path):
    cat = scenarios.catalogue(_cfg(tmp_path))
    sids = [h.sid for h in cat]
    assert len(sids) == len(set(sids))
    counts = Counter(scenarios.target_of(s) for s in sids)
    for target in TARGETS:
        assert counts[(target, "hit")] >= 5, target
        assert counts[(target, "miss")] >= 5, target
    assert {t for t, _ in counts} == set(TARGETS)
    for h in cat:
        assert re.fullmatch(r"[A-Z_]+/(hit|miss)/\d+", h.sid)
        assert h.note.strip(), h.sid
        assert len({m.key for m in h.members}) == len(h.members), h.sid


def test_hits_expect_their_target_and_misses_do_not(tmp_path):
    for sid, e in scenarios.expectations(_cfg(tmp_path)).items():
        target, label = scenarios.target_of(sid)
        assert (target in e.alerts + e.programs) == (label == "hit"), sid


def test_towns_match_the_area_of_the_category(tmp_path):
    for h in scenarios.catalogue(_cfg(tmp_path)):
        assert h.town in geo.TOWN_NAMES
        if h.family is not None and h.family.category.startswith(("城市", "农村")):
            assert geo.is_urban(h.town) == h.family.category.startswith("城市"), h.sid


def test_catalogue_is_deterministic(tmp_path):
    assert scenarios.catalogue(_cfg(tmp_path)) == scenarios.catalogue(_cfg(tmp_path))


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_evaluator_agrees_with_the_hand_stated_expectations(tmp_path, as_of):
    cfg = _cfg(tmp_path, as_of)
    outcomes = truth.evaluate(scenarios.catalogue(cfg), as_of)
    expected = scenarios.expectations(cfg)
    assert outcomes.keys() == expected.keys()
    wrong = {sid: (_observed(o), (sorted(expected[sid].alerts), sorted(expected[sid].programs)))
             for sid, o in outcomes.items()
             if _observed(o) != (sorted(expected[sid].alerts), sorted(expected[sid].programs))}
    assert not wrong


def test_student_aid_is_skipped_outside_its_season(tmp_path):
    def fired_and_skipped(as_of: date) -> tuple[int, int]:
        outcomes = truth.evaluate(scenarios.catalogue(_cfg(tmp_path, as_of)), as_of).values()
        return (sum(a.code == "STUDENT_AID_MISSING" for o in outcomes for a in o.alerts),
                sum(a.code == "STUDENT_AID_MISSING" for o in outcomes for a in o.skipped))

    fired, skipped = fired_and_skipped(date(2025, 3, 5))
    assert fired >= 5 and skipped == 0
    fired, skipped = fired_and_skipped(date(2025, 10, 15))
    assert fired == 0 and skipped >= 5


# ---- the calendar of the rules ---------------------------------------------------------------


def test_income_window_follows_the_tax_delivery():
    assert truth.income_window(date(2025, 3, 5)) == tuple(
        [f"2024{m:02d}" for m in range(2, 13)] + ["202501"])          # policy section 3 examples
    assert truth.income_window(date(2025, 3, 20))[::11] == ("202403", "202502")
    assert truth.income_window(date(2025, 4, 20))[-1] == "202502"  # a Sunday: GS_202503 comes on the 21st
    assert truth.income_window(date(2025, 4, 21))[-1] == "202503"


def test_parameters_snapshot_and_student_season():
    assert truth.params(date(2024, 12, 31)).dibao_urban == 960
    assert truth.params(date(2025, 1, 1)).dibao_rural == 820
    assert truth.params(date(2026, 6, 1)).disposable_income_prev_year == 36000
    assert truth.disability_snapshot_date(date(2025, 3, 5)) == date(2025, 2, 28)   # CJR_202502 on Wed 5 Mar
    assert truth.disability_snapshot_date(date(2025, 3, 4)) == date(2025, 1, 31)
    assert truth.disability_snapshot_date(date(2025, 1, 5)) == date(2024, 11, 30)  # Sunday → Monday 6 Jan
    assert not truth.student_aid_evaluated(date(2025, 1, 8))
    assert truth.student_aid_evaluated(date(2025, 1, 9))
    assert truth.student_aid_evaluated(date(2025, 8, 31))
    assert not truth.student_aid_evaluated(date(2025, 9, 1))


# ---- DIR/_truth/ -----------------------------------------------------------------------------


def _write(tmp: Path) -> tuple:
    world = build_world(_cfg(tmp), domains=())
    truth.write(world)
    return world, tmp / "_truth"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_truth_files_are_complete_json_lines(tmp_path):
    world, out = _write(tmp_path)
    households = _lines(out / "households.jsonl")
    assert [h["sid"] for h in households] == [h.sid for h in world.planted]
    kinds = {h.sid: h.kind for h in world.planted}
    ids = {world.id_of(pid) for pid in world.planted_pids.values()}
    for h in households:
        assert set(h) == {"sid", "household_id", "kind", "town", "programs", "alerts", "skipped_alerts",
                          "profile", "uncertain", "members", "note"}
        assert h["kind"] == kinds[h["sid"]]
        assert re.fullmatch(r"HK\d{9}", h["household_id"])  # no domains: no 家庭编号 / 申请编号 yet
        assert set(h["programs"]) == set(truth.PROGRAMS)
        assert list(h["profile"]) == list(truth.PROFILE_COLUMNS)
        assert set(h["uncertain"]) <= set(truth.PROFILE_COLUMNS)
        for a in h["alerts"] + h["skipped_alerts"]:
            assert set(a) == {"code", "id_number", "key", "ref"} and a["code"] in truth.ALERT_CODES
            assert a["id_number"] is None or a["id_number"] in ids
        assert h["members"] is None or set(h["members"]) <= ids
    persons = _lines(out / "persons.jsonl")
    assert len(persons) == len(world.planted_pids)
    for p in persons:
        assert set(p) == {"sid", "member_key", "id_number", "household_sid", "is_member", "alerts"}
        assert p["id_number"] == world.id_of(world.planted_pids[(p["sid"], p["member_key"])])
    # every person alert of a household appears with that person
    by_id = {p["id_number"]: Counter(p["alerts"]) for p in persons}
    per_person = Counter((a["id_number"], a["code"])
                         for h in households for a in h["alerts"] if a["id_number"])
    assert all(by_id[i][code] == n for (i, code), n in per_person.items())
    assert (out / "README.md").read_text(encoding="utf-8").startswith("# Planted cases")


def test_truth_uses_assigned_household_ids_by_kind(tmp_path):
    world = build_world(_cfg(tmp_path), domains=())
    family = next(h for h in world.planted if h.kind == "family")
    hukou = next(h for h in world.planted if h.kind == "hukou")
    world.household_ids[family.sid] = "JZ3704810000000001"
    world.household_ids[hukou.sid] = "JZ3704810000000002"  # a family id on a hukou household is ignored
    truth.write(world)
    got = {h["sid"]: h["household_id"] for h in _lines(tmp_path / "_truth" / "households.jsonl")}
    assert got[family.sid] == "JZ3704810000000001"
    assert got[hukou.sid].startswith("HK")


def test_truth_is_deterministic(tmp_path):
    _, a = _write(tmp_path / "a")
    _, b = _write(tmp_path / "b")
    for name in ("households.jsonl", "persons.jsonl", "README.md"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_doc_lists_every_scenario(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    missing = [h.sid for h in scenarios.catalogue(_cfg(tmp_path)) if f"`{h.sid}`" not in text]
    assert not missing
