"""The whole synthetic city, as the foundation issue checks it.

`safetynet simulate --out DIR --scale 0.01 --seed 1 --as-of 2026-05-27 --days 3` must write every source's
deliveries (contract-level checks common to all files here; per-source rules in tests/test_sim_*.py), the
truth files, byte-identical on a second run, and load the SQL sources into PostgreSQL as well as SQLite.
The contracts' name patterns are restated here, not imported from the pipeline (independent readings).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

import simulator

AS_OF = date(2026, 5, 27)
ARGS = dict(scale=0.01, seed=1, as_of=AS_OF, days=3)

#: Data file name patterns per file source (the contracts' name_regex).
NAMES = {
    "hukou": [r"^HJRK_(\d{8})(_R\d+)?\.csv$"],
    "vehicles": [r"^JDC_(\d{8})(_R\d+)?\.csv$"],
    "deaths": [r"^SWZM_(\d{8})(_R\d+)?\.csv$"],
    "tax": [r"^GS_(\d{6})(_R\d+)?\.csv$"],
    "disability": [r"^CJR_(\d{6})(_R\d+)?\.xlsx$"],
    "property": [r"^BDC_(\d{8})(_R\d+)?\.csv$", r"^BDC_FULL_(\d{8})(_R\d+)?\.csv$"],
    "business": [r"^SCZT_(\d{8})(_R\d+)?\.csv$", r"^SCZT_RY_(\d{8})(_R\d+)?\.csv$"],
    "housing_fund": [r"^GJJ_(\d{6})(_R\d+)?\.csv$"],
    "education": [r"^XJ_(\d{6})(_R\d+)?\.csv$", r"^ZZ_(\d{6})(_R\d+)?\.csv$"],
    "rural_monitoring": [r"^FFP_(\d{6})(_R\d+)?\.xlsx$"],
    "bank": [r"^HDR_(HD370481\d{12})(_R\d+)?\.json$"],
    "charity": [r"^(慈善总会|红十字会|总工会|妇联)_帮扶_(.+)\.csv$"],
    "public_housing": [r"^GZF_(\d{6})(_R\d+)?\.csv$"],
}
SQL_TABLES = {
    "cremation": ["t_hhdj"],
    "assistance": ["jz_family", "jz_member", "jz_payment", "jz_application", "jz_application_member",
                   "jz_referral"],
    "social_insurance": ["si_contribution", "si_benefit"],
    "medical": ["yb_enrollment", "yb_settlement"],
}
MARKER = re.compile(rb"rows=(0|[1-9]\d*)\nsha256=([0-9a-f]{64})\n")


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city") / "exchange"
    simulator.simulate(out=out, **ARGS)
    return out


def test_every_source_delivers(city: Path) -> None:
    landing = city / "landing"
    for source in NAMES:
        folders = [p for p in (landing / source).iterdir() if p.is_dir()]
        assert folders, f"no delivery folder for {source}"
    for source, tables in SQL_TABLES.items():
        engine = sa.create_engine(f"sqlite:///{landing / 'frontdb' / f'{source}.sqlite'}")
        with engine.connect() as conn:
            for table in tables:
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() > 0, table
        engine.dispose()


def test_names_markers_and_hashes(city: Path) -> None:
    """Every data file matches its contract name and has a well-formed marker whose sha256 matches — except
    a broken delivery (README section 4), which must be followed by an _R<n> re-delivery."""
    broken = []
    for source, patterns in NAMES.items():
        for folder in (city / "landing" / source).iterdir():
            assert re.fullmatch(r"\d{8}", folder.name), f"{source}: folder {folder.name}"
            for f in folder.iterdir():
                if f.suffix == ".ok" or f.name.startswith("~$"):
                    continue
                assert any(re.match(p, f.name) for p in patterns), f"{source}: unexpected file {f.name}"
                marker = f.with_suffix(".ok")
                assert marker.is_file(), f"{f} has no marker"
                m = MARKER.fullmatch(marker.read_bytes())
                assert m, f"{marker} is not 'rows=N\\nsha256=HEX\\n'"
                if m.group(2).decode() != hashlib.sha256(f.read_bytes()).hexdigest():
                    broken.append(f)
    for f in broken:
        stem, ext = f.stem, f.suffix
        redelivered = list(f.parent.parent.glob(f"*/{stem}_R*{ext}"))
        assert redelivered, f"broken delivery {f} has no re-delivery"


def test_outbox_requests_have_markers(city: Path) -> None:
    requests = sorted((city / "outbox" / "bank").glob("HDQ_*.json"))
    assert requests
    for f in requests:
        m = MARKER.fullmatch(f.with_suffix(".ok").read_bytes())
        assert m and int(m.group(1)) == len(json.loads(f.read_text(encoding="utf-8"))["查询对象"])


def test_truth_files(city: Path) -> None:
    households = [json.loads(line) for line in (city / "_truth" / "households.jsonl").read_text("utf-8").splitlines()]
    persons = [json.loads(line) for line in (city / "_truth" / "persons.jsonl").read_text("utf-8").splitlines()]
    assert len(households) >= 21 * 10 and persons
    for h in households:
        assert h["household_id"], h["sid"]
        if h["kind"] == "family":
            assert re.fullmatch(r"JZ370481\d{10}", h["household_id"]), h
        elif h["kind"] == "application":
            assert re.fullmatch(r"SQ\d{14}", h["household_id"]), h
        else:
            assert h["household_id"].startswith("HK"), h
        assert set(h["programs"]) == {"DIBAO", "TEKUN", "DIBAO_EDGE", "RIGID_EXPENDITURE"}


def test_byte_identical_rerun(city: Path, tmp_path: Path) -> None:
    again = tmp_path / "exchange"
    simulator.simulate(out=again, **ARGS)
    first, second = tree_digest(city), tree_digest(again)
    assert first.keys() == second.keys()
    differing = [k for k in first if first[k] != second[k]]
    assert not differing, f"{len(differing)} files differ, e.g. {differing[:5]}"


@pytest.mark.postgres
def test_sql_sources_load_into_postgresql(pg_database: str, tmp_path: Path, city: Path) -> None:
    out = tmp_path / "exchange"
    simulator.simulate(out=out, **ARGS, frontdb_urls={s: pg_database for s in SQL_TABLES})
    assert not (out / "landing" / "frontdb").exists() or not any((out / "landing" / "frontdb").iterdir())
    pg = sa.create_engine(pg_database)
    try:
        with pg.connect() as conn:
            for source, tables in SQL_TABLES.items():
                lite = sa.create_engine(f"sqlite:///{city / 'landing' / 'frontdb' / f'{source}.sqlite'}")
                with lite.connect() as lconn:
                    for table in tables:
                        n_pg = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                        n_lite = lconn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                        assert n_pg == n_lite > 0, (table, n_pg, n_lite)
                lite.dispose()
    finally:
        pg.dispose()
