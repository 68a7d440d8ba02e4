"""Tests of expectations.suites and expectations.runner (GX suites as code, row-level quarantine, Data Docs).

GX is imported once per test process (~15-25 s on a loaded 2-core box); every test that validates shares a
module-scoped home, so the context is built once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.base import LINEAGE
from connectors.columns import typecast
from connectors.hukou import PARTS as HUKOU_PARTS
from expectations import suites
from expectations.suites import (
    MissingSuite,
    Suite,
    all_suites,
    between,
    in_set,
    not_null,
    pair_greater,
    registry,
    rule,
    suite_for,
    unique,
)
from safetynet.idnumber import check_char
from safetynet.settings import SOURCES, SQL_SOURCES, Settings, default_frontdb_url

FULL_ID = re.compile(r"\d{17}[\dXx]")
HEADER = HUKOU_PARTS["HJRK"].header
ADDRESS = "山东省滕州市洪绪镇后屯村218号"


def idn(area: str, born: str, seq: int) -> str:
    first = f"{area}{born}{seq:03d}"
    return first + check_char(first)


def person(id_number: str, name: str = "张伟", sex: str | None = None, *, born: str | None = None,
           hukou_no: str = "000123456", relation: str = "户主", ethnicity: str = "汉族", status: str = "正常",
           status_date: str | None = None, town: str = "洪绪镇", address: str = ADDRESS) -> list[str | None]:
    """One HJRK record in contract column order; sex and birth date default to what the ID says."""
    if sex is None:
        sex = "男" if int(id_number[16]) % 2 else "女"
    return [id_number, name, sex, ethnicity, born or id_number[6:14], hukou_no, relation, address, town,
            "后屯村", status, status_date, "已婚", "初中"]


# Row 1-3 fine; 4 bad 民族 (row); 5 status date on a 正常 row (warn: an if-and-only-if rule on an optional
# column, the row's facts stay readable); 6 sex disagrees with the ID (warn);
# 7 same ID as row 1 in another 户号 (warn: duplicate_household, also row 1); 8 ID with lowercase x (row).
ID_HEAD = idn("370481", "19850312", 123)
ID_X = next(i for s in range(200) if (i := idn("370481", "19700101", s)).endswith("X"))
RECORDS = [
    person(ID_HEAD),
    person(idn("341221", "19890507", 224), "李静", relation="配偶"),
    person(idn("370481", "19451203", 103), "张广田", relation="父亲", status="死亡", status_date="20250217"),
    person(idn("370481", "19700101", 105), "王五", ethnicity="火星族", hukou_no="000123457"),
    person(idn("370481", "19700102", 107), "赵六", status_date="20250101", hukou_no="000123458"),
    person(idn("370481", "19700103", 109), "钱七", sex="女", hukou_no="000123459"),
    person(ID_HEAD, hukou_no="000999999", relation="其他"),
    person(ID_X.lower(), "孙八", hukou_no="000123460"),
]
BUSINESS_DATE = date(2025, 2, 28)


def hukou_table(records: list[list[str | None]], file: str = "HJRK_20250301.csv") -> pa.Table:
    strings = pa.table({h: [r[i] for r in records] for i, h in enumerate(HEADER)}
                       | {"_row": pa.array(range(1, len(records) + 1), pa.int64())})
    table, issues = typecast(strings, HUKOU_PARTS["HJRK"].cols, source="hukou", delivery="HJRK_20250301",
                             file=file, business_date=BUSINESS_DATE)
    assert issues == []
    return table


def make_settings(root: Path) -> Settings:
    exchange = root / "exchange"
    (exchange / "landing").mkdir(parents=True, exist_ok=True)
    return Settings(home=root / "home", exchange=exchange,
                    frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})


def scan_ids(root: Path) -> list[str]:
    """Every unmasked 18-character ID-like run in any file below root (binary files decoded leniently)."""
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            hits += [f"{p.relative_to(root)}: {m}" for m in FULL_ID.findall(p.read_bytes().decode("utf-8", "replace"))]
    return hits


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("expectations"))


@pytest.fixture(scope="module")
def result(home: Settings):
    from expectations import runner

    return runner.validate(home, "hukou", "person", hukou_table(RECORDS), "HJRK_20250301")


# --- suites ----------------------------------------------------------------------------------------------

def connector_columns(source: str) -> dict[str, set[str]] | None:
    """entity -> the columns its connector produces (PARTS + DERIVED + lineage; an id column x gives x,
    x_status, x_raw); None while connectors/<source>.py does not exist or exposes no PARTS yet."""
    try:
        module = importlib.import_module(f"connectors.{source}")
    except ModuleNotFoundError as exc:
        if exc.name == f"connectors.{source}":
            return None
        raise
    if not hasattr(module, "PARTS"):
        return None
    out: dict[str, set[str]] = {}
    for part in module.PARTS.values():
        cols = out.setdefault(part.entity, set(LINEAGE))
        for col in part.cols:
            cols |= {col.name, f"{col.name}_status", f"{col.name}_raw"} if col.kind == "id" else {col.name}
    for entity, names in getattr(module, "DERIVED", {}).items():
        out.setdefault(entity, set(LINEAGE)).update(names)
    return out


def test_every_suite_reads_columns_its_connector_produces() -> None:
    checked = 0
    for suite in all_suites():
        produced = connector_columns(suite.source)
        if produced is None:
            continue
        assert suite.entity in produced, f"connectors.{suite.source} has no entity {suite.entity}"
        unknown = sorted(suite.columns - produced[suite.entity])
        assert not unknown, f"{suite.name} reads columns its connector does not produce: {unknown}"
        checked += 1
    assert checked >= 1  # hukou at least


def test_every_connector_entity_has_a_suite() -> None:
    missing = [f"{source}.{entity}" for source in SOURCES for entity in (connector_columns(source) or {})
               if (source, entity) not in registry()]
    assert missing == []


def test_suites_are_keyed_by_known_sources_and_missing_ones_refuse() -> None:
    assert {s.source for s in all_suites()} <= set(SOURCES)
    assert not [s.name for s in all_suites() if not s.checks]  # no suite passes everything
    assert suite_for("hukou", "person") is suites.HUKOU_PERSON
    with pytest.raises(MissingSuite, match=r"no expectation suite for hukou\.household"):
        suite_for("hukou", "household")


def test_hukou_suite_follows_the_contract() -> None:
    s = suites.HUKOU_PERSON
    by_id = {c.id: c for c in s.checks}
    assert by_id["in_set:ethnicity"].params["values"] == suites.ETHNICITIES and len(suites.ETHNICITIES) == 56
    assert by_id["in_set:town"].params["values"] == suites.TOWNS and len(suites.TOWNS) == 21
    assert by_id["matches:hukou_no"].params["regex"] == r"^\d{9}$"
    # One severity policy (expectations.suites): documented quirks and invariants that leave the row readable
    # warn; a broken key, an unknown code or an impossible date quarantines.
    assert by_id["sex_matches_id:sex+id_number"].severity == "warn"
    assert by_id["unique:id_number"].severity == "warn"
    assert by_id["unique:id_number+hukou_no"].severity == "row"
    assert by_id["birth_date_matches_id:birth_date+id_number"].severity == "warn"
    assert by_id["status_date_iff_not_normal:status_date+status"].severity == "warn"
    assert by_id["pair_greater:_business_date+status_date"].severity == "row"
    assert by_id["length_between:name"].severity == "warn"
    assert by_id["in_set:id_number_status"].severity == "row"
    assert "not_null:marital_status" not in by_id and "in_set:marital_status" in by_id
    assert s.redact == {"ethnicity"}


def test_dsl_maps_checks_to_gx_expectations() -> None:
    kinds = {
        "not_null": not_null("a"), "in_set": in_set("a", {"x"}), "unique1": unique("a"), "unique2": unique("a", "b"),
        "greater": pair_greater("a", "b", or_equal=True),
        "rule": rule("r", ("a",), lambda df: df["a"].notna(), message="m", severity="warn"),
    }
    types = {k: type(c.expectation()).__name__ for k, c in kinds.items()}
    assert types == {
        "not_null": "ExpectColumnValuesToNotBeNull", "in_set": "ExpectColumnValuesToBeInSet",
        "unique1": "ExpectCompoundColumnsToBeUnique", "unique2": "ExpectCompoundColumnsToBeUnique",
        "greater": "ExpectColumnPairValuesAToBeGreaterThanB", "rule": "ExpectColumnValuesToBeInSet",
    }
    assert kinds["rule"].expectation().column == "_check_r"
    assert kinds["rule"].expectation().meta == {"check": "r:a", "severity": "warn"}
    with pytest.raises(ValueError, match="twice"):
        Suite("x", "y", checks=[not_null("a"), not_null("a")])
    assert len(Suite("x", "y", checks=[not_null("a"), not_null("a", severity="warn").named("a_set")]).checks) == 2
    assert between("d", date(2000, 1, 2)).expectation().min_value == datetime(2000, 1, 2)  # frames hold datetime64
    with pytest.raises(ValueError, match="severity"):
        not_null("a", severity="fatal")  # type: ignore[arg-type]


# --- runner ----------------------------------------------------------------------------------------------

def test_row_failures_are_quarantined_with_row_field_and_rule(result) -> None:
    got = {(i.row, i.field, i.rule) for i in result.issues}
    assert got == {
        (4, "民族", "in_set"),
        (8, "公民身份号码", "matches"),
    }
    assert all(i.file == "HJRK_20250301.csv" and i.message for i in result.issues)
    values = {i.rule: i.value for i in result.issues}
    assert values["in_set"] == "火星族"
    assert values["matches"] == ID_X.lower()  # unmasked here: quarantine.write masks
    assert result.accepted.column("_row").to_pylist() == [1, 2, 3, 5, 6, 7]
    assert result.accepted.schema == hukou_table(RECORDS).schema


def test_warn_failures_keep_their_rows(result) -> None:
    warned = {(i.row, i.rule) for i in result.warnings}
    assert {(6, "sex_matches_id"), (1, "unique"), (7, "unique"), (5, "status_date_iff_not_normal")} <= warned
    assert {6, 1, 7, 5} <= set(result.accepted.column("_row").to_pylist())
    values = {i.rule: i.value for i in result.warnings}
    assert values["status_date_iff_not_normal"] == "状态变动日期=2025-01-01; 人员状态=正常"
    assert result.warn_rows["unique:id_number"] == 2
    assert result.warn_rows["sex_matches_id:sex+id_number"] == 1


def test_checks_failed_counts_failed_expectations_of_both_severities(result) -> None:
    assert result.failed == ("matches:id_number_raw", "unique:id_number", "sex_matches_id:sex+id_number",
                             "in_set:ethnicity", "status_date_iff_not_normal:status_date+status")
    assert result.checks_failed == 5


def test_clean_rows_pass_quietly_and_rows_repeating_across_files_are_told_apart(home: Settings, result, capfd,
                                                                                 caplog) -> None:
    """An entity table of two files has `_row` 1..n twice; the failing row is found by position, the
    clean file's rows come through unchanged, and GX prints and logs nothing."""
    from expectations import runner

    clean = hukou_table(RECORDS[:3], "A.csv")
    table = pa.concat_tables([clean, hukou_table(RECORDS[3:4], "B.csv")])
    capfd.readouterr()
    with caplog.at_level(logging.INFO):
        r = runner.validate(home, "hukou", "person", table, "HJRK_20250303")
    assert [(i.file, i.row, i.rule) for i in r.issues] == [("B.csv", 1, "in_set")]
    assert r.accepted.equals(clean) and r.warnings == [] and r.checks_failed == 1
    assert capfd.readouterr() == ("", "")  # no progress bars, no prints
    assert [rec.getMessage() for rec in caplog.records if rec.name.startswith("great_expectations")] == []
    assert logging.getLogger("great_expectations").level == logging.WARNING


def test_missing_columns_and_bad_rules_are_code_errors(home: Settings, monkeypatch) -> None:
    from expectations import runner

    with pytest.raises(runner.SuiteError, match="town"):
        runner.validate(home, "hukou", "person", hukou_table(RECORDS[:1]).drop_columns(["town"]), "HJRK_X")
    bad = Suite("hukou", "person", checks=[rule("broken", ("sex",), lambda df: df["sex"].head(1), message="m")])
    monkeypatch.setitem(registry(), ("hukou", "person"), bad)
    with pytest.raises(runner.SuiteError, match="broken"):
        runner.validate(home, "hukou", "person", hukou_table(RECORDS[:2]), "HJRK_Y")


def test_gx_context_has_analytics_off_and_docs_in_the_validation_dir(home: Settings, result) -> None:
    from expectations import runner

    context = runner._context(home.validation_dir)
    assert context.config.analytics_enabled is False
    assert context.progress_bars.globally is False
    assert runner.docs_index(home) == home.validation_dir / "data_docs" / "index.html"
    assert runner.docs_index(home).is_file()
    assert result.docs_path is not None and result.docs_path.is_file()
    assert home.validation_dir / "data_docs" in result.docs_path.parents
    assert not list(home.validation_dir.rglob("great_expectations.yml"))


def test_data_docs_show_failures_masked_and_never_a_full_id(home: Settings, result) -> None:
    page = result.docs_path.read_text(encoding="utf-8")
    # The failing values are rendered (so the scan below is not vacuous) - masked.
    assert f"{ID_HEAD[:6]}********{ID_HEAD[-4:]}" in page
    assert "火星族" not in page  # 民族 is redacted in the docs
    assert "HJRK_20250301.csv" in page
    assert scan_ids(home.validation_dir) == []
    assert "amazonaws.com/logo-long.png" not in page


def test_docs_masking_catches_ids_glued_to_other_characters(tmp_path: Path) -> None:
    from expectations import runner

    glued = f"q=%22{ID_HEAD}%22&id{ID_X}x <td>370481520708002</td>"  # URL-encoded, glued, legacy 15
    masked = runner._mask_docs(glued)
    assert not re.search(r"\d{15}", masked) and "370481*****8002" in masked
    page = tmp_path / "docs" / "validations" / "p.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png'
                    f'?d=1&dataContextId=abc"/>{glued}', encoding="utf-8")
    runner._scrub(page, tmp_path / "docs")
    text = page.read_text(encoding="utf-8")
    assert scan_ids(tmp_path) == [] and 'src="../static/images/logo-long.png"' in text


def test_revalidation_replaces_the_delivery_result(home: Settings, result) -> None:
    from expectations import runner

    again = runner.validate(home, "hukou", "person", hukou_table(RECORDS), "HJRK_20250301")
    stored = list((home.validation_dir / "gx" / "validations").rglob("*HJRK_20250301.json"))
    pages = list((home.validation_dir / "data_docs" / "validations").rglob("HJRK_20250301.html"))
    assert len(stored) == 1 and len(pages) == 1 and pages[0] == again.docs_path
    assert not result.docs_path.exists() or result.docs_path == again.docs_path


# --- end to end through connectors.ingest -------------------------------------------------------------------

def deliver_hukou(settings: Settings, folder: date, records: list[list[str | None]]) -> Path:
    """An HJRK file in GB18030 with CRLF, and its marker, as the department writes them."""
    d = settings.landing / "hukou" / folder.strftime("%Y%m%d")
    d.mkdir(parents=True, exist_ok=True)
    lines = [",".join(HEADER)] + [",".join(v or "" for v in r) for r in records]
    data = "".join(line + "\r\n" for line in lines).encode("gb18030")
    path = d / f"HJRK_{folder:%Y%m%d}.csv"
    path.write_bytes(data)
    (d / f"HJRK_{folder:%Y%m%d}.ok").write_bytes(
        f"rows={len(records)}\nsha256={hashlib.sha256(data).hexdigest()}\n".encode())
    return path


def listing(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_ingest_end_to_end_is_counted_and_idempotent(tmp_path: Path) -> None:
    from connectors import ingest
    from expectations import quarantine, runner
    from warehouse import raw

    settings = make_settings(tmp_path)
    d = date(2025, 3, 1)
    # 2 bad rows of 68 stay under the 5 % reject rate.
    filler = [person(idn("370402", f"2001{m:02d}{day:02d}", 11), "周九", hukou_no=f"{200000 + m * 100 + day:09d}")
              for m in range(1, 13) for day in range(1, 6)]
    deliver_hukou(settings, d + timedelta(days=1), RECORDS + filler)
    summary = json.loads(Path(ingest.ingest_task(settings, "hukou", d)).read_text(encoding="utf-8"))
    assert summary["rows_delivered"] == 68
    assert (summary["rows_accepted"], summary["rows_quarantined"]) == (66, 2)
    assert summary["rows_delivered"] == summary["rows_accepted"] + summary["rows_quarantined"]
    assert summary["checks_failed"] == 5 and summary["rejected"] == []

    delivery = "HJRK_20250302"
    account = json.loads((settings.state_dir / "source_run" / "hukou" / f"{delivery}.json").read_text("utf-8"))
    assert account["status"] == "accepted_with_quarantine"
    assert account["rows_delivered"] == account["rows_accepted"] + account["rows_quarantined"]
    accepted = pq.read_table(raw.path_for(settings, "hukou", "person", d, delivery))
    assert accepted.num_rows == account["rows_accepted"] == 66
    assert accepted.column("_row").to_pylist() == [1, 2, 3, 5, 6, 7, *range(9, 69)]
    q = pq.read_table(quarantine.path_for(settings, "hukou", d, delivery)).to_pylist()
    assert {(r["row"], r["field"], r["rule"]) for r in q} == {
        (4, "民族", "in_set"), (8, "公民身份号码", "matches")}
    assert len({r["row"] for r in q}) == account["rows_quarantined"]
    assert scan_ids(settings.quarantine_dir) == []

    index = runner.docs_index(settings)
    assert index.is_file() and delivery in index.read_text(encoding="utf-8")
    assert scan_ids(settings.validation_dir) == []

    watched = {name: listing(getattr(settings, name)) for name in
               ("raw_dir", "quarantine_dir", "validation_dir")}
    watched["source_run"] = listing(settings.state_dir / "source_run")
    again = json.loads(Path(ingest.ingest_task(settings, "hukou", d)).read_text(encoding="utf-8"))
    assert again["deliveries"] == [] and again["rows_delivered"] == 0
    assert {name: listing(getattr(settings, name)) for name in ("raw_dir", "quarantine_dir", "validation_dir")
            } | {"source_run": listing(settings.state_dir / "source_run")} == watched
