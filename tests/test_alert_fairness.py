"""Fairness of the early-warning rules (policy.md section 6): they use only economic and status facts -
never ethnicity (民族), sex or address as a risk factor.

Two checks:
* static: no rule model (transforms/intermediate/int_alert__*.sql) mentions such a column;
* behavioural: every such field of the raw store is scrambled (ethnicity shuffled across persons, sex
  flipped, addresses replaced) and the city rebuilt; the alerts - ids, subjects, statuses - and the
  eligibility results must be exactly the same. The one address fact the policy does use, for household
  placement and not as a risk factor (a 户籍地址 ending in 集体户 makes a one-person household, policy
  section 2), is kept: the scrambled address keeps that suffix.
"""

from __future__ import annotations

import random
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from safetynet.settings import Settings
from warehouse import build
from warehouse.runner import DEFAULT_MODELS_DIR, strip_noise

AS_OF = date(2026, 5, 27)
PROTECTED = re.compile(r"\b(ethnicity|sex|gender|address|residence_address)\b|民族|性别|地址", re.IGNORECASE)
COLLECTIVE = "集体户"


def test_rule_models_name_no_protected_attribute() -> None:
    rules = sorted((DEFAULT_MODELS_DIR / "intermediate").glob("int_alert__*.sql"))
    assert len(rules) == 17
    offenders = {p.name: PROTECTED.findall(strip_noise(p.read_text(encoding="utf-8"))) for p in rules}
    assert {k: v for k, v in offenders.items() if v} == {}


def _scramble(table: pa.Table, rng: random.Random) -> pa.Table:
    """The table with ethnicity shuffled, sex flipped and every address replaced (集体户 suffix kept)."""
    out = table
    for i, name in enumerate(table.column_names):
        col = table.column(name).to_pylist()
        if name == "ethnicity":
            new = col[:]
            rng.shuffle(new)
        elif name == "sex":
            new = [{"男": "女", "女": "男"}.get(v, v) if v is not None else None for v in col]
        elif name in ("address", "residence_address"):
            new = [None if v is None else f"某地{rng.randrange(10_000)}号" + (COLLECTIVE if v.endswith(COLLECTIVE)
                   else "") for v in col]
        else:
            continue
        out = out.set_column(i, name, pa.array(new, table.schema.field(name).type))
    return out


def _scramble_raw_store(raw_dir: Path) -> int:
    """Rewrite every raw file that carries a protected column; the number of files rewritten."""
    rng = random.Random(20261128)
    rewritten = 0
    for path in sorted(raw_dir.glob("*/*/business_date=*/*.parquet")):
        names = pq.read_schema(path).names
        if not {"ethnicity", "sex", "address", "residence_address"} & set(names):
            continue
        table = pq.read_table(path)
        scrambled = _scramble(table, rng)
        assert scrambled.num_rows == table.num_rows
        path.chmod(0o644)
        pq.write_table(scrambled, path)
        rewritten += 1
    return rewritten


def _outcomes(path: Path) -> tuple[list, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        alerts = con.execute("SELECT alert_id, code, household_id, id_number, subject_key, status FROM mart.alert "
                             "ORDER BY alert_id").fetchall()
        eligibility = con.execute("SELECT household_id, program, eligible FROM mart.eligibility "
                                  "ORDER BY household_id, program").fetchall()
    finally:
        con.close()
    return alerts, eligibility


@pytest.mark.slow
def test_alerts_do_not_change_when_protected_attributes_do(
        built_city: tuple[Settings, Path, Path], tmp_path: Path) -> None:
    settings, exchange, current = built_city
    baseline = _outcomes(current)
    assert len(baseline[0]) > 0, "the planted city raises alerts; without any this test would prove nothing"

    shutil.copytree(settings.home / "raw", tmp_path / "home" / "raw")
    shutil.copytree(settings.state_dir, tmp_path / "home" / "state")
    own = Settings(home=tmp_path / "home", exchange=exchange, frontdb_urls=settings.frontdb_urls)
    before = pq.read_table(next(own.raw_dir.glob("hukou/person/*/*.parquet")), columns=["sex", "address"])
    assert _scramble_raw_store(own.raw_dir) >= 3
    after = pq.read_table(next(own.raw_dir.glob("hukou/person/*/*.parquet")), columns=["sex", "address"])
    # The scramble is real: every sex flipped, every address replaced.
    assert pc.sum(pc.equal(before.column("sex"), after.column("sex"))).as_py() == 0
    assert pc.sum(pc.equal(before.column("address"), after.column("address"))).as_py() == 0

    result = build.build(own, AS_OF)
    scrambled = _outcomes(result.published_path)
    assert scrambled[0] == baseline[0]
    assert scrambled[1] == baseline[1]
