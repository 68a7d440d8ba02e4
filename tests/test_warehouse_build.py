"""Warehouse build: runner, models, validation, atomic publication, rollback, history (warehouse/*).

Each test writes a tiny raw store (hukou person snapshots and cremation extracts shaped exactly like the
connectors' entity tables, lineage columns included) plus accounting JSON, into its own SAFETYNET_HOME.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import yaml

from connectors import cremation, hukou, ingest
from connectors.columns import schema_of
from safetynet.settings import REPO_ROOT, Settings
from warehouse import build, checks, query, raw, runner

AS_OF = date(2025, 3, 2)
HUKOU_COLS = schema_of(hukou.PARTS["HJRK"].cols)
CREMATION_COLS = schema_of(cremation.TABLES[0].cols)


# --- a tiny raw store ------------------------------------------------------------------------------------

def _person(pid: str, name: str, hukou_no: str = "000123456") -> dict:
    return {"id_number": pid, "id_number_status": "valid", "id_number_raw": pid, "name": name, "sex": "男",
            "ethnicity": "汉族", "birth_date": date(1980, 1, 1), "hukou_no": hukou_no, "relation_to_head": "户主",
            "address": "山东省滕州市洪绪镇后屯村1号", "town": "洪绪镇", "village": "后屯村", "status": "正常",
            "status_date": None, "marital_status": "已婚", "education": "初中"}


def _cremation(reg: str, updated: str, deleted: str = "0", death: date = date(2025, 2, 27)) -> dict:
    return {"registration_no": reg, "name": "张某", "id_number": None, "id_number_status": "empty",
            "id_number_raw": None, "death_date": death, "cremation_date": date(2025, 3, 1), "funeral_home": "滕州市殡仪馆",
            "updated_at": datetime.fromisoformat(updated), "deleted_flag": deleted}


def _write(settings: Settings, source: str, entity: str, schema: pa.Schema, day: date, delivery: str,
           rows: list[dict]) -> None:
    lineage = {"_source": source, "_delivery": delivery, "_file": f"{delivery}.csv", "_business_date": day}
    data = [{**r, **lineage, "_row": i} for i, r in enumerate(rows, 1)]
    raw.write(settings, source, entity, day, delivery, pa.Table.from_pylist(data, schema=schema))
    ingest.record(settings, ingest.SourceRun(day.isoformat(), source, delivery, day.isoformat(), len(rows),
                                             len(rows), 0, 0, "accepted"))


def make_raw_store(settings: Settings) -> None:
    people = [_person("370481198001010011", "张一"), _person("370481198001010022", "张二"),
              _person("370481198001010033", "张三")]
    d1, d2, d3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)
    _write(settings, "hukou", "person", HUKOU_COLS, d1, "HJRK_20250302", people)
    _write(settings, "hukou", "person", HUKOU_COLS, d2, "HJRK_20250303", [*people, _person("370481198001010044", "张四")])
    _write(settings, "hukou", "person", HUKOU_COLS, d2, "HJRK_20250303_R1",
           [*people, _person("370481198001010044", "张肆")])        # re-delivery corrects a name
    _write(settings, "hukou", "person", HUKOU_COLS, d3, "HJRK_20250304",   # after AS_OF
           [*people, _person("370481198001010044", "张肆"), _person("370481198001010055", "张五")])
    _write(settings, "cremation", "cremation", CREMATION_COLS, d1, "t_hhdj_20250302",
           [_cremation("HH202503010001", "2025-03-01 10:00:00"), _cremation("HH202503010002", "2025-03-01 11:00:00"),
            _cremation("HH202503010004", "2025-03-01 12:00:00")])
    _write(settings, "cremation", "cremation", CREMATION_COLS, d2, "t_hhdj_20250303",
           [_cremation("HH202503010001", "2025-03-02 09:00:00", death=date(2025, 2, 26)),
            _cremation("HH202503010002", "2025-03-02 11:00:00", deleted="1"),
            _cremation("HH202503020001", "2025-03-02 12:00:00"),
            _cremation("HH202503010004", "2025-03-01 12:00:00")])      # unchanged, re-read in the 48 h overlap
    _write(settings, "cremation", "cremation", CREMATION_COLS, d3, "t_hhdj_20250304",
           [_cremation("HH202503020001", "2025-03-03 08:00:00", deleted="1")])
    ingest.record(settings, ingest.SourceRun(d2.isoformat(), "deaths", "SWZM_20250303", d2.isoformat(), 5, 0, 5, 0,
                                             "rejected", "marker rows mismatch"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", exchange=tmp_path / "exchange")
    make_raw_store(s)
    return s


#: The models this module's mechanics tests build with (the real transforms/ grows with other work).
CORE_MODELS = ("staging/stg_hukou__person.sql", "staging/stg_cremation__cremation.sql",
               "staging/stg_pipeline__raw_files.sql", "staging/stg_pipeline__sources.sql",
               "staging/stg_pipeline__source_run.sql", "marts/mart_source_run.sql", "marts/mart_source_freshness.sql")
CORE_TABLES = ("source_run", "source_freshness")


@pytest.fixture(scope="module")
def core_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """transforms/ reduced to the models above and their contracts (never modified by a test)."""
    target = tmp_path_factory.mktemp("core") / "models"
    for rel in CORE_MODELS:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(runner.DEFAULT_MODELS_DIR / rel, target / rel)
    contracts = yaml.safe_load(checks.DEFAULT_CONTRACTS.read_text(encoding="utf-8"))
    tables = {name: contracts["tables"][name] for name in CORE_TABLES}
    (target / "marts" / "_contracts.yaml").write_text(
        yaml.safe_dump({"version": 1, "tables": tables}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


@pytest.fixture
def models(core_models: Path, tmp_path: Path) -> Path:
    """A private copy of `core_models` that a test may add models to."""
    return Path(shutil.copytree(core_models, tmp_path / "models"))


@pytest.fixture(scope="module")
def published_home(tmp_path_factory: pytest.TempPathFactory, core_models: Path) -> Path:
    """A home with the raw store and one published build (as of 2025-03-01), built once per module."""
    home = tmp_path_factory.mktemp("published") / "home"
    s = Settings(home=home, exchange=home / "exchange")
    make_raw_store(s)
    build.build(s, date(2025, 3, 1), models_dir=core_models)
    return home


@pytest.fixture
def published(published_home: Path, tmp_path: Path) -> Settings:
    """A private copy of `published_home` (current.duckdb included)."""
    home = tmp_path / "home"
    shutil.copytree(published_home, home)
    return Settings(home=home, exchange=home / "exchange")


def add_model(models_dir: Path, layer: str, filename: str, ctes: str) -> None:
    body = f"-- {filename}\n-- grain: test model\n\nwith\n\n{textwrap.dedent(ctes).strip()}\n\nselect * from final\n"
    (models_dir / layer).mkdir(parents=True, exist_ok=True)
    (models_dir / layer / filename).write_text(body, encoding="utf-8")


def snapshot(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_ino


def published_id(settings: Settings) -> str:
    con = query.connect_current(settings)
    try:
        return con.execute("SELECT build_id FROM meta.build_info").fetchall()[0][0]
    finally:
        con.close()


def assert_failed_cleanly(settings: Settings, before: tuple[str, int, int], old_id: str) -> None:
    current = build.current_path(settings)
    assert snapshot(current) == before
    assert published_id(settings) == old_id
    assert not list(build.builds_dir(settings).glob("*.building.duckdb*"))
    assert list(build.builds_dir(settings).glob("*.failed.duckdb"))


# --- build and publish -----------------------------------------------------------------------------------

def test_build_publishes_a_readable_warehouse(settings: Settings) -> None:
    result = build.build(settings, AS_OF)                   # every model of transforms/
    current = build.current_path(settings)
    assert result.published_path == current and current.is_file() and result.build_path.is_file()
    assert (result.tables["source_freshness"], result.tables["source_run"]) == (17, 6)
    con = query.connect_current(settings)
    try:
        assert query.published_as_of(con) == AS_OF
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE mart.x AS SELECT 1")
        schemas = {s for (s,) in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
        assert "raw" not in schemas and {"stg", "mart", "meta"} <= schemas   # the raw layer is not published

        people = con.execute("SELECT name, _delivery FROM stg.hukou__person ORDER BY id_number").fetchall()
        assert people == [(n, "HJRK_20250303_R1") for n in ("张一", "张二", "张三", "张肆")]

        crem = con.execute("SELECT registration_no, death_date, is_deleted, _delivery FROM stg.cremation__cremation "
                           "ORDER BY registration_no").fetchall()
        assert crem == [("HH202503010001", date(2025, 2, 26), False, "t_hhdj_20250303"),
                        ("HH202503010002", date(2025, 2, 27), True, "t_hhdj_20250303"),
                        ("HH202503010004", date(2025, 2, 27), False, "t_hhdj_20250303"),
                        ("HH202503020001", date(2025, 2, 27), False, "t_hhdj_20250303")]

        runs = con.execute("SELECT source, delivery, status FROM mart.source_run ORDER BY source, delivery").fetchall()
        assert runs == [("cremation", "t_hhdj_20250302", "accepted"), ("cremation", "t_hhdj_20250303", "accepted"),
                        ("deaths", "SWZM_20250303", "rejected"), ("hukou", "HJRK_20250302", "accepted"),
                        ("hukou", "HJRK_20250303", "accepted"), ("hukou", "HJRK_20250303_R1", "accepted")]

        fresh = {r[0]: r[1:] for r in con.execute(
            "SELECT source, has_data, latest_business_date, days_behind, is_stale, latest_delivery, latest_rows, "
            "last_run_status FROM mart.source_freshness").fetchall()}
        assert len(fresh) == 17
        assert fresh["hukou"] == (True, AS_OF, 0, False, "HJRK_20250303_R1", 4, "accepted")
        assert fresh["cremation"] == (True, AS_OF, 0, False, "t_hhdj_20250303", 4, "accepted")
        assert fresh["deaths"] == (False, None, None, True, None, 0, "rejected")
        assert fresh["bank"][3] is False                    # never stale
    finally:
        con.close()


def test_empty_entity_is_typed_like_its_files(settings: Settings) -> None:
    result = build.build(settings, date(2025, 2, 28))       # before every delivery
    empty_from = {r.name: r.empty_from for r in result.raw}
    assert all(r.files == 0 for r in result.raw)
    assert empty_from["raw.hukou__person"] == "later raw file HJRK_20250304.parquet"
    assert empty_from["raw.cremation__cremation"] == "later raw file t_hhdj_20250304.parquet"
    con = query.connect_current(settings)
    try:
        assert con.execute("SELECT count(*) FROM stg.hukou__person").fetchall() == [(0,)]
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'cremation__cremation'").fetchall())
        assert types["updated_at"] == "TIMESTAMP" and types["death_date"] == "DATE"
        assert con.execute("SELECT count(*) FROM mart.source_freshness WHERE has_data").fetchall() == [(0,)]
    finally:
        con.close()


def test_same_inputs_give_the_same_content_hash(settings: Settings) -> None:
    first = build.build(settings, AS_OF)                    # every model of transforms/
    again = build.build(settings, AS_OF)
    assert again.build_id != first.build_id
    assert again.content_hash == first.content_hash == build.content_hash(build.current_path(settings))
    assert build.content_hash(first.build_path) == first.content_hash
    assert build.build(settings, date(2025, 3, 3)).content_hash != first.content_hash


def test_build_runs_under_the_configured_memory_limit(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings.warehouse_memory_limit reaches the connection the models run on, and spilling leaves nothing."""
    seen: list[tuple[str, str]] = []
    run = runner.run

    def recording(con: duckdb.DuckDBPyConnection, *args: object, **kwargs: object) -> runner.RunReport:
        seen.append(con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')")
                    .fetchall()[0])
        return run(con, *args, **kwargs)

    monkeypatch.setattr(runner, "run", recording)
    small = replace(settings, warehouse_memory_limit="64MB")
    result = build.build(small, AS_OF)
    expected = duckdb.connect(config={"memory_limit": "64MB"})
    try:
        limit = expected.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    finally:
        expected.close()
    assert seen == [(limit, str(build.builds_dir(small) / f"{result.build_id}.building.duckdb.tmp"))]
    assert not list(build.builds_dir(small).glob("*.tmp"))


def test_memory_limit_setting_is_read_and_checked() -> None:
    assert Settings.from_env({"SAFETYNET_WAREHOUSE_MEMORY_LIMIT": " 3GiB "}).warehouse_memory_limit == "3GiB"
    assert Settings.from_env({}).warehouse_memory_limit == Settings.warehouse_memory_limit
    with pytest.raises(ValueError, match="SAFETYNET_WAREHOUSE_MEMORY_LIMIT"):
        Settings.from_env({"SAFETYNET_WAREHOUSE_MEMORY_LIMIT": "lots"})


def test_connect_current_without_a_warehouse(tmp_path: Path) -> None:
    with pytest.raises(query.WarehouseNotPublished, match="尚未发布数据仓库"):
        query.connect_current(Settings(home=tmp_path, exchange=tmp_path / "exchange"))


# --- failures leave current.duckdb alone -----------------------------------------------------------------

def test_sql_error_fails_the_build_and_keeps_current(published: Settings, models: Path) -> None:
    settings = published
    before, old_id = snapshot(build.current_path(settings)), published_id(settings)
    add_model(models, "marts", "mart_broken.sql", "final as (select no_such_column from stg.hukou__person)")
    with pytest.raises(build.BuildError, match="mart.broken"):
        build.build(settings, AS_OF, models_dir=models)
    assert_failed_cleanly(settings, before, old_id)


def test_contract_violation_fails_the_build(published: Settings, models: Path) -> None:
    settings = published
    before, old_id = snapshot(build.current_path(settings)), published_id(settings)
    contracts = models / "marts" / "_contracts.yaml"
    contracts.write_text(contracts.read_text(encoding="utf-8").replace("min_rows: 17", "min_rows: 18"),
                         encoding="utf-8")
    with pytest.raises(build.BuildError, match="at least 18"):
        build.build(settings, AS_OF, models_dir=models)
    assert_failed_cleanly(settings, before, old_id)


class Boom(Exception):
    pass


@pytest.mark.parametrize(("module", "step", "exc"), [
    (runner, "create_raw_layer", Boom),
    (runner, "execute_model", Boom),
    (runner, "execute_model", KeyboardInterrupt),
    (checks, "validate_marts", Boom),
    (build, "_write_history", Boom),
    (build, "_finalize", Boom),
    (build, "_verify", Boom),
    (build, "_swap", Boom),          # current.duckdb.tmp is in place, the rename never happens
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_failure_at_any_step_keeps_current_and_rerun_completes(
        published: Settings, core_models: Path, monkeypatch: pytest.MonkeyPatch, module, step: str,
        exc: type[BaseException]) -> None:
    settings = published
    before, old_id = snapshot(build.current_path(settings)), published_id(settings)

    def fail(*args, **kwargs):
        raise exc(f"simulated failure in {step}")

    monkeypatch.setattr(module, step, fail)
    with pytest.raises((build.BuildError, KeyboardInterrupt)):
        build.build(settings, AS_OF, models_dir=core_models)
    assert_failed_cleanly(settings, before, old_id)
    monkeypatch.undo()
    result = build.build(settings, AS_OF, models_dir=core_models)
    assert published_id(settings) == result.build_id
    assert not build.current_path(settings).with_name("current.duckdb.tmp").exists()


SLOW = """
source as (select range as n from range(1000000)),
final as (select count(*) as pairs from source a, source b where (a.n * b.n) % 7 = 3)
"""


def test_sigkill_mid_build_keeps_current_and_rerun_completes(published: Settings, models: Path,
                                                             core_models: Path) -> None:
    settings = published
    before, old_id = snapshot(build.current_path(settings)), published_id(settings)
    add_model(models, "marts", "mart_slow.sql", SLOW)
    script = ("import sys; from pathlib import Path; from safetynet.settings import Settings; "
              "from warehouse import build; "
              "build.build(Settings(home=Path(sys.argv[1]), exchange=Path(sys.argv[1]) / 'x'), sys.argv[2], "
              "models_dir=Path(sys.argv[3]))")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(settings.home), AS_OF.isoformat(), str(models)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not list(build.builds_dir(settings).glob("*.building.duckdb")):
            assert proc.poll() is None, "the build process ended before it could be killed"
            assert time.monotonic() < deadline, "the build never started"
            time.sleep(0.05)
        time.sleep(1.0)                                    # well inside the slow model
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert snapshot(build.current_path(settings)) == before and published_id(settings) == old_id
    assert list(build.builds_dir(settings).glob("*.building.duckdb"))      # what the kill left behind

    result = build.build(settings, AS_OF, models_dir=core_models)
    assert published_id(settings) == result.build_id
    assert not list(build.builds_dir(settings).glob("*.building.duckdb*"))
    assert list(build.builds_dir(settings).glob("*.failed.duckdb"))


# --- rollback, retention, history ------------------------------------------------------------------------

def test_rollback_and_retention(published: Settings, core_models: Path, tmp_path: Path) -> None:
    settings = published
    with pytest.raises(build.BuildError, match="nothing is published"):
        build.rollback(Settings(home=tmp_path / "empty", exchange=tmp_path / "x"))
    with pytest.raises(build.BuildError, match="no retained build older"):
        build.rollback(settings)
    (first,) = build.builds(settings)                       # as of 2025-03-01, built by the fixture
    second = build.build(settings, AS_OF, keep=2, models_dir=core_models)
    assert build.rollback(settings) == build.current_path(settings)
    assert published_id(settings) == first.stem
    build.rollback(settings, to=second.build_path)
    assert published_id(settings) == second.build_id
    build.rollback(settings, to=first.stem)
    third = build.build(settings, date(2025, 3, 3), keep=2, models_dir=core_models)
    assert [p.stem for p in build.builds(settings)] == [second.build_id, third.build_id]
    with pytest.raises(build.BuildError, match="not a retained build"):
        build.rollback(settings, to=first.stem)
    build.rollback(settings, to="previous")
    assert published_id(settings) == second.build_id


def test_profile_history_stays_queryable(settings: Settings, models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_model(models, "marts", "mart_household_profile.sql", """
        members as (select hukou_no, count(*) as member_count from stg.hukou__person group by hukou_no),
        final as (select hukou_no as household_id, cast($as_of as date) as as_of, member_count from members)
    """)
    contracts = models / "marts" / "_contracts.yaml"
    contracts.write_text(contracts.read_text(encoding="utf-8") + textwrap.indent(textwrap.dedent("""
        household_profile:
          grain: one row per household
          key: [household_id]
          columns: {household_id: VARCHAR, as_of: DATE, member_count: BIGINT}
    """), "  "), encoding="utf-8")
    build.build(settings, date(2025, 3, 1), models_dir=models)
    build.build(settings, AS_OF, models_dir=models)
    assert sorted(p.name for p in (build.history_dir(settings) / "household_profile").iterdir()) == [
        "as_of=2025-03-01.parquet", "as_of=2025-03-02.parquet"]
    history = "SELECT as_of, member_count FROM mart.household_profile_history ORDER BY as_of"
    con = query.connect_current(settings)
    try:
        assert con.execute(history).fetchall() == [(date(2025, 3, 1), 3), (AS_OF, 4)]
    finally:
        con.close()
    build.rollback(settings)
    con = query.connect_current(settings)
    try:
        assert con.execute(history).fetchall() == [(date(2025, 3, 1), 3)]
    finally:
        con.close()

    def fail(*args, **kwargs):
        raise Boom("publication fails")

    monkeypatch.setattr(build, "_swap", fail)               # validated, never published: no history
    with pytest.raises(build.BuildError):
        build.build(settings, date(2025, 3, 3), models_dir=models)
    assert sorted(p.name for p in (build.history_dir(settings) / "household_profile").iterdir()) == [
        "as_of=2025-03-01.parquet", "as_of=2025-03-02.parquet"]


# --- the runner ------------------------------------------------------------------------------------------

def test_runner_orders_by_dependency_and_rejects_cycles(tmp_path: Path) -> None:
    add_model(tmp_path, "marts", "mart_c.sql", "final as (select * from int.b join stg.a__x using (v))")
    add_model(tmp_path, "intermediate", "int_d.sql", "final as (select * from mart.c)")
    add_model(tmp_path, "intermediate", "int_b.sql", "final as (select * from stg.a__x)  -- not mart.zzz")
    add_model(tmp_path, "staging", "stg_a__x.sql", "final as (select 1 as v, 'int.q' as s)")
    ordered = runner.order(runner.discover(tmp_path))
    assert [m.name for m in ordered] == ["stg.a__x", "int.b", "mart.c", "int.d"]

    add_model(tmp_path, "intermediate", "int_p.sql", "final as (select * from int.q)")
    add_model(tmp_path, "intermediate", "int_q.sql", "final as (select * from int.p)")
    with pytest.raises(runner.DependencyCycle, match=r"int\.p -> int\.q|int\.q -> int\.p"):
        runner.order(runner.discover(tmp_path))


@pytest.mark.parametrize(("layer", "filename", "ctes", "message"), [
    ("marts", "mart_x.sql", "final as (select * from int.nothing)", "neither a model nor an existing"),
    ("marts", "mart_x.sql", "final as (select * from raw.hukou__person)", "may not read raw.hukou__person"),
    ("staging", "stg_x__y.sql", "final as (select * from stg.other)", "may not read stg.other"),
])
def test_runner_rejects_bad_references(tmp_path: Path, layer: str, filename: str, ctes: str, message: str) -> None:
    add_model(tmp_path, layer, filename, ctes)
    with pytest.raises(runner.ModelError, match=message):
        runner.order(runner.discover(tmp_path))


def test_runner_enforces_the_model_skeleton(tmp_path: Path) -> None:
    (tmp_path / "staging").mkdir()
    path = tmp_path / "staging" / "stg_a__b.sql"
    path.write_text("-- grain: x\nselect 1 as v\n", encoding="utf-8")
    with pytest.raises(runner.ModelError, match="select \\* from final"):
        runner.discover(tmp_path)
    path.write_text("with final as (select 1 as v)\nselect * from final\n", encoding="utf-8")
    with pytest.raises(runner.ModelError, match="grain"):
        runner.discover(tmp_path)


def test_parameters_are_bound(tmp_path: Path) -> None:
    add_model(tmp_path, "staging", "stg_test__as_of.sql", """
        final as (select $as_of as as_of, '$not_a_parameter' as text, $limit_rows as n)  -- $nor_this
    """)
    settings = Settings(home=tmp_path / "home", exchange=tmp_path / "exchange")
    (model,) = runner.discover(tmp_path)
    assert model.params == {"as_of", "limit_rows"}
    con = duckdb.connect()
    try:
        with pytest.raises(runner.ModelError, match=r"\$limit_rows"):
            runner.run(con, settings, AS_OF, models_dir=tmp_path)
        report = runner.run(con, settings, AS_OF, models_dir=tmp_path, params={"limit_rows": 5, "unused": 1})
        assert [(m.name, m.rows) for m in report.models] == [("stg.test__as_of", 1)]
        assert con.execute("SELECT * FROM stg.test__as_of").fetchall() == [(AS_OF, "$not_a_parameter", 5)]
    finally:
        con.close()


def test_validate_marts_reports_every_violation(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(textwrap.dedent("""
        tables:
          parent: {grain: g, key: [id], columns: {id: INTEGER}}
          child:
            grain: g
            key: [id]
            columns: {id: INTEGER, parent_id: INTEGER, note: VARCHAR}
            foreign_keys: [{columns: [parent_id], references: parent, ref_columns: [id]}]
          absent: {grain: g, columns: {id: INTEGER}}
    """), encoding="utf-8")
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE mart.parent AS SELECT * FROM (VALUES (1), (1), (NULL)) t(id)")
        con.execute("CREATE TABLE mart.child AS SELECT 1 AS id, 9 AS parent_id, 1.5 AS note")
        con.execute("CREATE TABLE mart.stray AS SELECT 1 AS id")
        with pytest.raises(checks.MartValidationError) as err:
            checks.validate_marts(con, tmp_path / "c.yaml")
    finally:
        con.close()
    text = "\n".join(err.value.failures)
    for expected in ("mart.stray: published table without a contract", "mart.absent: contracted table is missing",
                     "mart.parent: 1 row(s) with a null key", "mart.parent: 1 duplicated key",
                     "mart.child.note: type DECIMAL(2,1), contract says VARCHAR",
                     "mart.child: 1 row(s) whose (parent_id) is not in mart.parent(id)"):
        assert expected in text


def test_raw_entity_without_files_is_typed_from_its_connector(tmp_path: Path) -> None:
    add_model(tmp_path, "staging", "stg_cremation__cremation.sql", "final as (select * from raw.cremation__cremation)")
    settings = Settings(home=tmp_path / "home", exchange=tmp_path / "exchange")
    con = duckdb.connect()
    try:
        report = runner.run(con, settings, AS_OF, models_dir=tmp_path)
        assert [(r.name, r.files, r.empty_from) for r in report.raw] == [
            ("raw.cremation__cremation", 0, "connectors.cremation")]
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = 'stg'").fetchall())
        assert types["updated_at"] == "TIMESTAMP" and types["death_date"] == "DATE" and types["_row"] == "BIGINT"
        add_model(tmp_path, "staging", "stg_nowhere__thing.sql", "final as (select * from raw.nowhere__thing)")
        with pytest.raises(runner.ModelError, match="no raw files and no connector"):
            runner.run(con, settings, AS_OF, models_dir=tmp_path)
    finally:
        con.close()
