"""A real cause appears and goes away over simulated nights, and the alert follows: new -> open -> resolved.

On a copy of the shared city, a vehicles snapshot delivered for night 2 puts a (non-exempt, counting) car
in the name of a member of an active assistance family; the snapshot of night 4 no longer has it. The
real rule VEHICLE_OWNED, the real lifecycle and the history store must give: nothing on night 1, new on
night 2 (evidence naming the VIN), open on night 3, resolved on night 4 - and a monitor's disposition
recorded on night 2 is still there after every later rebuild.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetynet.settings import Settings
from warehouse import build, dispositions

pytestmark = pytest.mark.slow

N1, N2, N3, N4 = date(2026, 5, 25), date(2026, 5, 26), date(2026, 5, 27), date(2026, 5, 28)
VIN = "LSVTEST0000000001"


def _query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(build.current_path(settings)), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _snapshot(settings: Settings) -> Path:
    return sorted(settings.raw_dir.glob("vehicles/vehicle/business_date=*/JDC_*.parquet"))[-1]


def _deliver_snapshot(settings: Settings, base: pa.Table, extra: list[dict], business_date: date) -> None:
    """A new weekly vehicles snapshot in the raw store (as connectors.ingest would store it)."""
    delivery = f"JDC_{business_date + timedelta(days=1):%Y%m%d}"
    rows = base.to_pylist() + extra
    table = pa.Table.from_pylist([{**r, "_delivery": delivery, "_file": f"{delivery}.csv",
                                   "_business_date": business_date} for r in rows], schema=base.schema)
    folder = settings.raw_dir / "vehicles" / "vehicle" / f"business_date={business_date.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"{delivery}.parquet")


def test_vehicle_alert_appears_stays_and_resolves(ingested_city: tuple[Settings, Path],
                                                  tmp_path: Path) -> None:
    base_settings, exchange = ingested_city
    shutil.copytree(base_settings.home, tmp_path / "home")
    settings = Settings(home=tmp_path / "home", exchange=exchange, frontdb_urls=base_settings.frontdb_urls)

    build.build(settings, N1)
    # A living member of an active family with no vehicle alert yet.
    person, household = _query(settings, """
        SELECT m.id_number, m.household_id
        FROM mart.household_member m
        JOIN mart.household h USING (household_id)
        JOIN mart.household_profile p USING (household_id)
        WHERE h.kind = 'family' AND p.vehicle_count = 0 AND p.assistance_category IS NOT NULL
        ORDER BY m.household_id, m.id_number LIMIT 1""")[0]
    assert _query(settings, "SELECT count(*) FROM mart.alert WHERE code = 'VEHICLE_OWNED' AND id_number = ?",
                  [person]) == [(0,)]

    base = pq.read_table(_snapshot(settings))
    template = base.slice(0, 1).to_pylist()[0]
    car = {**template, "plate_no": "鲁D0TEST", "plate_type": "小型汽车", "vehicle_type": "小型普通客车",
           "use_type": "非营运", "owner_id": person, "owner_id_status": "valid", "owner_id_raw": person,
           "owner_name": "测试", "status": "A", "vin": VIN, "holder_kind": "person", "_row": base.num_rows + 1}
    _deliver_snapshot(settings, base, [car], N2)
    build.build(settings, N2)
    rows = _query(settings, "SELECT alert_id, status, first_seen, household_id, subject_key, evidence "
                            "FROM mart.alert WHERE code = 'VEHICLE_OWNED' AND id_number = ?", [person])
    assert len(rows) == 1
    alert_id, status, first_seen, found_household, subject_key, evidence = rows[0]
    assert (status, first_seen, found_household, subject_key) == ("new", N2, household, VIN)
    evidence = json.loads(evidence)
    assert evidence["source"] == "vehicles" and VIN in json.dumps(evidence, ensure_ascii=False)
    dispositions.record(settings, alert_id, "confirmed", "赵六", "已电话核实")

    build.build(settings, N3)
    assert _query(settings, "SELECT status, first_seen, last_seen, disposition FROM mart.alert WHERE alert_id = ?",
                  [alert_id]) == [("open", N2, N3, "confirmed")]

    _deliver_snapshot(settings, base, [], N4)
    build.build(settings, N4)
    assert _query(settings, "SELECT status, first_seen, last_seen, resolved_on, disposition FROM mart.alert "
                            "WHERE alert_id = ?", [alert_id]) == [("resolved", N2, N3, N4, "confirmed")]
    # The history keeps each night's state.
    assert _query(settings, "SELECT as_of, status FROM mart.alert_history WHERE alert_id = ? ORDER BY as_of",
                  [alert_id]) == [(N2, "new"), (N3, "open"), (N4, "resolved")]
