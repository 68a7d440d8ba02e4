"""mart.eligibility (policy section 5; interfaces section 3) on the shared simulated city (slow).

The city of `ingested_city` (tests/conftest.py) is copied and built as of 2026-05-27 by warehouse.build with every
model of the repo; each planted household's `programs` in `_truth/households.jsonl` is compared with
mart.eligibility, per program (agreement, planted hits and misses). The shape of `reasons` and the other
columns are checked on the same build.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from safetynet.privacy import mask_text
from safetynet.settings import Settings
from warehouse import build

pytestmark = pytest.mark.slow

AS_OF = date(2026, 5, 27)
PROGRAMS = ("DIBAO", "TEKUN", "DIBAO_EDGE", "RIGID_EXPENDITURE")
#: The rules each program checks, in the order `reasons` lists them.
SHARED_RULES = ("has_members", "financial_assets_limit", "residential_property_limit",
                "nonresidential_property_limit", "vehicle_limit", "business_limit")
RULES: dict[str, tuple[str, ...]] = {
    "DIBAO": ("has_members", "income_below_dibao", *SHARED_RULES[1:]),
    "TEKUN": ("has_members", "income_below_dibao", "member_without_labor_capacity", "no_able_member_aged_18_59",
              *SHARED_RULES[1:]),
    "DIBAO_EDGE": ("has_members", "not_dibao_or_tekun", "income_below_edge", *SHARED_RULES[1:]),
    "RIGID_EXPENDITURE": ("has_members", "not_other_program", "annual_income_below_disposable",
                          "medical_share_of_income", *SHARED_RULES[1:]),
}
PARAMETER_KEYS = {"name", "id", "value", "effective_from", "version"}


@pytest.fixture(scope="module")
def city(ingested_city: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(truth households, mart.eligibility rows) of a copy of the shared city built as of AS_OF."""
    settings, exchange = ingested_city
    root = tmp_path_factory.mktemp("eligibility")
    shutil.copytree(settings.home, root / "home")
    own = Settings(home=root / "home", exchange=exchange, frontdb_urls=settings.frontdb_urls)
    build.build(own, AS_OF)
    truth = [json.loads(line) for line in (exchange / "_truth" / "households.jsonl").read_text(
        encoding="utf-8").splitlines()]
    con = duckdb.connect(str(build.current_path(own)), read_only=True)
    try:
        cur = con.execute("SELECT * FROM mart.eligibility ORDER BY household_id, program")
        names = [d[0] for d in cur.description]
        found = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return truth, found


def test_planted_programs_match_the_truth(city: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    truth, found = city
    eligible = {(r["household_id"], r["program"]): r["eligible"] for r in found}
    agree, compared = Counter(), Counter()
    mismatches: list[str] = []
    for t in truth:
        for program in PROGRAMS:
            expected = t["programs"][program]
            got = eligible.get((t["household_id"], program))
            kind = "hit" if expected else "miss"
            compared[program, kind] += 1
            if got == expected:
                agree[program, kind] += 1
            else:
                mismatches.append(f"{t['sid']} {program}: truth {expected}, found {got} ({t['note']})")
    print(f"\n{len(truth)} planted households, {len(found)} eligibility rows")
    for program in PROGRAMS:
        print(f"  {program:18s} eligible {agree[program, 'hit']:3d}/{compared[program, 'hit']:3d}  "
              f"not eligible {agree[program, 'miss']:3d}/{compared[program, 'miss']:3d}")
    for m in mismatches:
        print("  MISMATCH", mask_text(m))
    assert not mismatches, f"{len(mismatches)} planted (household, program) outcome(s) differ (listed above)"


def test_every_household_has_one_row_per_program(city: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    _, found = city
    per_household: dict[str, list[str]] = {}
    for r in found:
        per_household.setdefault(r["household_id"], []).append(r["program"])
    assert per_household
    assert all(sorted(p) == sorted(PROGRAMS) for p in per_household.values())


def test_reasons_list_every_rule_with_inputs_threshold_parameters(
        city: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    _, found = city
    versions = {r["rule_version"] for r in found}
    assert len(versions) == 1 and next(iter(versions)).startswith("policy-2021.1+params-")
    for r in found:
        reasons = json.loads(r["reasons"])
        assert [x["rule"] for x in reasons] == list(RULES[r["program"]]), r["program"]
        for x in reasons:
            assert set(x) == {"rule", "inputs", "threshold", "parameters", "passed"}
            assert isinstance(x["inputs"], dict) and isinstance(x["passed"], bool)
            for p in x["parameters"]:
                assert set(p) == PARAMETER_KEYS and p["version"] in r["rule_version"]
        assert r["eligible"] == all(x["passed"] for x in reasons)
        if r["program"] == "RIGID_EXPENDITURE":
            assert r["standard_amount"] == 3000   # 36000 / 12 (2026 parameter row)
        elif r["standard_amount"] is not None:
            dibao = {p["value"] for x in reasons for p in x["parameters"] if p["name"].startswith("dibao_")}
            factor = {"DIBAO": 1, "TEKUN": 1.3, "DIBAO_EDGE": 1.5}[r["program"]]
            assert len(dibao) == 1 and float(r["standard_amount"]) == pytest.approx(factor * dibao.pop())
