"""Bad input through the real nightly path: one case per failure mode of a delivery.

Each case builds a small landing tree by hand (bytes written as a department would, markers computed here):
a good hukou delivery for business date D-1 that is ingested first, a good deaths delivery for D (the other
source of the same run), then the bad hukou delivery for D; `connectors.ingest.ingest_task` runs for both
sources on D, exactly as the DAG's tasks call it. For every case:

* a clear message names the file (and the row and field where there is one): the accounting reason, the
  run summary's `problems`, the warning logged, or the quarantine row;
* delivered = accepted + quarantined for every accounted delivery, and in the run summaries;
* the previous good hukou delivery stays in the raw store byte for byte;
* deaths is ingested normally in the same run;
* nothing written outside the raw store holds a full ID number.

The bank case (a response with a person never requested) works the same way with bank in place of hukou.
The DAG-level case (slow) runs `safetynet run --as-of D` - Airflow's `dags test` through
`safetynet.airflow_env.run_nightly` - with one source that fails and one delivery that is rejected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from idscan import files_with_ids, find_ids, scanned_files

from connectors import bank_requests, landing
from connectors.ingest import accounts, ingest_task
from safetynet.idnumber import check_char
from safetynet.settings import SOURCES, SQL_SOURCES, Settings, default_frontdb_url

D_PREV, D = date(2026, 5, 26), date(2026, 5, 27)
#: Night deliveries of business date B land in folder B+1 (README section 5).
FOLDER_PREV, FOLDER = "20260527", "20260528"
NAME = "HJRK_20260528.csv"

HUKOU_HEADER = ("公民身份号码,姓名,性别,民族,出生日期,户号,与户主关系,户籍地址,乡镇街道,村居委会,人员状态,状态变动日期,"
                "婚姻状况,文化程度")
DEATHS_HEADER = "死亡证编号,死者姓名,证件类别,证件号码,性别,出生日期,死亡日期,死亡地点类别,常住地址,签发日期"
#: deaths.yaml's example lines (UTF-8, LF).
DEATHS_LINES = [
    "E370481202500000317,张广田,居民身份证,370481194512031030,男,1945-12-03,2025-01-19 23:40,家中,山东省滕州市洪绪镇后屯村218号,2025-01-20",
    'E370481202500000318,刘秀英,居民身份证,370481520708002,女,1952-07-08,2025-01-20 06:15,医疗卫生机构,"山东省滕州市北辛街道,善国北路12号",2025-01-20',
]
#: Enough rows that one quarantined row stays under the reject rate (5%).
N_ROWS = 30
SURNAMES = "张王李刘陈杨赵黄周吴"
GIVEN = ["伟", "静", "敏", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛"]


def ident(first17: str) -> str:
    return first17 + check_char(first17)


def hukou_rows(n: int = N_ROWS) -> list[str]:
    """n contract-conform 户籍 records (GB18030 text), three persons per 户号."""
    rows = []
    for i in range(n):
        born = date(1950 + i, 1 + i % 12, 1 + i % 28)
        sex = "男" if i % 2 else "女"
        seq = f"{100 + i:03d}"[:2] + ("1" if sex == "男" else "2")
        id_number = ident(f"370481{born:%Y%m%d}{seq}")
        household = f"{123000 + i // 3:09d}"
        relation = ("户主", "配偶", "子")[i % 3]
        name = SURNAMES[i % 10] + GIVEN[i % 12]
        rows.append(f"{id_number},{name},{sex},汉族,{born:%Y%m%d},{household},{relation},"
                    f"山东省滕州市洪绪镇后屯村{i // 3 + 1}号,洪绪镇,后屯村,正常,,已婚,初中")
    return rows


def csv_bytes(header: str, rows: list[str], *, encoding: str = "gb18030", eol: str = "\r\n") -> bytes:
    return "".join(line + eol for line in [header, *rows]).encode(encoding)


def hukou_bytes(rows: list[str] | None = None) -> bytes:
    return csv_bytes(HUKOU_HEADER, hukou_rows() if rows is None else rows)


def put(settings: Settings, source: str, folder: str, name: str, data: bytes, *, rows: int | None,
        marker_data: bytes | None = None) -> Path:
    """A data file and (unless rows is None) its marker, whose sha256 is that of `marker_data` if given."""
    path = settings.landing / source / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if rows is not None:
        sha = hashlib.sha256(data if marker_data is None else marker_data).hexdigest()
        path.with_name(name.rsplit(".", 1)[0] + ".ok").write_bytes(f"rows={rows}\nsha256={sha}\n".encode("ascii"))
    return path


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.is_dir() else {}


@dataclass
class World:
    settings: Settings
    prev_raw: dict[str, str]      # digest of the previous good hukou delivery in the raw store


@pytest.fixture()
def world(tmp_path: Path) -> World:
    """Landing: good hukou for D-1 (already ingested), good deaths for D."""
    exchange = tmp_path / "exchange"
    (exchange / "landing").mkdir(parents=True)
    settings = Settings(home=tmp_path / "home", exchange=exchange,
                        frontdb_urls={s: default_frontdb_url(exchange, s) for s in SQL_SOURCES})
    put(settings, "hukou", FOLDER_PREV, "HJRK_20260527.csv", hukou_bytes(), rows=N_ROWS)
    put(settings, "deaths", FOLDER, "SWZM_20260528.csv",
        csv_bytes(DEATHS_HEADER, DEATHS_LINES, encoding="utf-8", eol="\n"), rows=len(DEATHS_LINES))
    summary = run(settings, D_PREV, ("hukou",))["hukou"]
    assert (summary["rows_accepted"], summary["rows_quarantined"]) == (N_ROWS, 0), summary
    prev = raw_prev(settings)
    assert prev, "the previous good delivery is not in the raw store"
    return World(settings, prev)


def raw_prev(settings: Settings) -> dict[str, str]:
    return tree_digest(settings.raw_dir / "hukou" / "person" / f"business_date={D_PREV}")


def run(settings: Settings, day: date, sources=("hukou", "deaths")) -> dict[str, dict]:
    """ingest_task for each source, as the DAG calls it; source -> its run summary JSON."""
    return {s: json.loads(Path(ingest_task(settings, s, day.isoformat())).read_text(encoding="utf-8"))
            for s in sources}


def account(settings: Settings, source: str, delivery: str) -> dict:
    return json.loads((settings.state_dir / "source_run" / source / f"{delivery}.json").read_text("utf-8"))


def quarantine_rows(settings: Settings, source: str, day: date = D) -> list[dict]:
    folder = settings.quarantine_dir / source / f"business_date={day}"
    return [r for p in sorted(folder.glob("*.parquet")) for r in pq.read_table(p).to_pylist()]


def check_run(w: World, summaries: dict[str, dict], *, other: str = "deaths", prev_raw=raw_prev) -> None:
    """What every case must show besides its own message (module docstring)."""
    s = w.settings
    for run_ in accounts(s):
        assert run_.rows_delivered == run_.rows_accepted + run_.rows_quarantined, run_
    for summary in summaries.values():
        assert summary["rows_delivered"] == summary["rows_accepted"] + summary["rows_quarantined"], summary
        for d in summary["deliveries"]:
            assert d["rows_delivered"] == d["rows_accepted"] + d["rows_quarantined"], d
    assert prev_raw(s) == w.prev_raw, "the previous good delivery changed in the raw store"
    good = summaries[other]
    assert good["deliveries_found"] == 1 and not good["problems"], good
    assert good["rows_accepted"] == good["rows_delivered"] > 0, good
    leaks = files_with_ids(scanned_files(s.home))
    assert not leaks, f"full ID numbers outside the raw store: {leaks}"


def rejected(w: World, summary: dict, rule: str | None = None, delivery: str = "HJRK_20260528") -> dict:
    """The one rejected delivery of a summary, checked for its counts and its quarantine record."""
    (d,) = summary["deliveries"]
    assert d["delivery"] == delivery and d["status"] == "rejected", d
    assert d["rows_accepted"] == 0 and d["rows_quarantined"] == d["rows_delivered"], d
    assert summary["rejected"] == [delivery] and len(summary["problems"]) == 1, summary
    assert summary["problems"][0].startswith(f"{delivery}: "), summary["problems"]
    (q,) = quarantine_rows(w.settings, "hukou")
    assert (q["delivery"], q["file"], q["row"]) == (delivery, NAME, 0) and q["message"], q
    if rule is not None:
        assert q["rule"] == rule, q
    return d


def assert_logged(caplog: pytest.LogCaptureFixture, *needles: str) -> None:
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    for needle in needles:
        assert needle in text, f"{needle!r} not in the warnings logged:\n{text}"
    assert not find_ids("\n".join(r.getMessage() for r in caplog.records))


# --- file-level failures: the delivery is rejected as a whole ---------------------------------------------


def test_truncated_file_sha256_mismatch(world: World, caplog) -> None:
    full = hukou_bytes()
    put(world.settings, "hukou", FOLDER, NAME, full[: len(full) // 2], rows=N_ROWS, marker_data=full)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "sha_mismatch")
    assert d["rows_delivered"] == N_ROWS                      # what the marker promised
    assert f"landing/hukou/{FOLDER}/{NAME}" in d["reason"] and "sha256" in d["reason"]
    assert_logged(caplog, NAME, "sha256")
    check_run(world, summaries)


def test_marker_rows_wrong_sha_right(world: World, caplog) -> None:
    put(world.settings, "hukou", FOLDER, NAME, hukou_bytes(), rows=N_ROWS + 1)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "marker_rows")
    assert d["rows_delivered"] == N_ROWS + 1
    assert NAME in d["reason"] and f"rows={N_ROWS + 1}" in d["reason"] and f"{N_ROWS} records" in d["reason"]
    assert_logged(caplog, NAME, "rows=")
    check_run(world, summaries)


def test_data_file_without_marker_waits(world: World) -> None:
    s = world.settings
    put(s, "hukou", FOLDER, NAME, hukou_bytes(), rows=None)
    summaries = run(s, D)
    hukou = summaries["hukou"]
    assert (hukou["deliveries_found"], hukou["problems"], hukou["rejected"]) == (0, [], [])
    assert not (s.state_dir / "source_run" / "hukou" / "HJRK_20260528.json").exists()
    assert not (s.raw_dir / "hukou" / "person" / f"business_date={D}").exists()
    (waiting,) = [x for x in landing.scan(s, "hukou", D) if x.business_date == D]
    assert waiting.disposition == "waiting" and NAME in waiting.problems[0]
    check_run(world, summaries)
    # Once the marker arrives the next run takes the delivery.
    put(s, "hukou", FOLDER, NAME, hukou_bytes(), rows=N_ROWS)
    later = run(s, D, ("hukou",))["hukou"]
    assert (later["deliveries_found"], later["rows_accepted"]) == (1, N_ROWS)


def test_utf8_with_bom_to_a_gb18030_source(world: World, caplog) -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(HUKOU_HEADER, hukou_rows(), encoding="utf-8")
    put(world.settings, "hukou", FOLDER, NAME, data, rows=N_ROWS)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "encoding")
    assert NAME in d["reason"] and "BOM" in d["reason"]
    assert_logged(caplog, NAME, "BOM")
    check_run(world, summaries)


def test_utf8_export_to_a_gb18030_source(world: World, caplog) -> None:
    # The same records exported as UTF-8: some of its multi-byte sequences are no GB18030 sequence (which
    # ones decode to garbage instead depends on the text, so the test checks its own premise).
    data = csv_bytes(HUKOU_HEADER, hukou_rows(), encoding="utf-8")
    with pytest.raises(UnicodeDecodeError) as bad:
        data.decode("gb18030")
    line = data.count(b"\n", 0, bad.value.start) + 1
    put(world.settings, "hukou", FOLDER, NAME, data, rows=N_ROWS)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "encoding")
    assert d["reason"] == f"{NAME}: bytes at offset {bad.value.start} (line {line}) are not valid GB18030"
    assert_logged(caplog, NAME, "GB18030")
    check_run(world, summaries)


def test_renamed_column(world: World, caplog) -> None:
    put(world.settings, "hukou", FOLDER, NAME, csv_bytes(HUKOU_HEADER.replace("姓名", "名字"), hukou_rows()),
        rows=N_ROWS)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "header")
    assert f"{NAME} row 0 field 姓名" in d["reason"] and "missing column(s) 姓名" in d["reason"]
    assert "unexpected column(s) 名字" in d["reason"]
    assert quarantine_rows(world.settings, "hukou")[0]["field"] == "姓名"
    assert_logged(caplog, NAME, "姓名")
    check_run(world, summaries)


def test_extra_column(world: World, caplog) -> None:
    data = csv_bytes(HUKOU_HEADER + ",备注", [r + ",无" for r in hukou_rows()])
    put(world.settings, "hukou", FOLDER, NAME, data, rows=N_ROWS)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "header")
    assert f"{NAME} row 0 field 备注" in d["reason"] and "unexpected column(s) 备注" in d["reason"]
    assert_logged(caplog, NAME, "备注")
    check_run(world, summaries)


def test_empty_file(world: World, caplog) -> None:
    put(world.settings, "hukou", FOLDER, NAME, b"", rows=0)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"], "empty_file")
    assert d["rows_delivered"] == 0
    assert NAME in d["reason"] and "empty file" in d["reason"]
    assert_logged(caplog, NAME, "empty file")
    check_run(world, summaries)


def test_garbage_bytes_with_a_correct_marker(world: World, caplog) -> None:
    data = random.Random(20260528).randbytes(4096)
    put(world.settings, "hukou", FOLDER, NAME, data, rows=3)
    summaries = run(world.settings, D)
    d = rejected(world, summaries["hukou"])
    assert d["reason"].startswith(NAME), d["reason"]
    assert_logged(caplog, NAME)
    check_run(world, summaries)


# --- re-delivery -------------------------------------------------------------------------------------------


def test_duplicate_redelivery_supersedes_and_adds_nothing_twice(world: World) -> None:
    s = world.settings
    put(s, "hukou", FOLDER, NAME, hukou_bytes(), rows=N_ROWS)
    first = run(s, D)
    assert first["hukou"]["deliveries"][0]["status"] == "accepted"
    original = tree_digest(s.raw_dir / "hukou" / "person" / f"business_date={D}")
    # The same content again as _R1 (README section 4): it supersedes the original ...
    put(s, "hukou", FOLDER, "HJRK_20260528_R1.csv", hukou_bytes(), rows=N_ROWS)
    versions = [x for x in landing.scan(s, "hukou", D) if x.business_date == D]
    assert [(x.redelivery, x.disposition) for x in versions] == [(0, "superseded"), (1, "in_use")]
    second = run(s, D, ("hukou",))["hukou"]
    assert [(x["delivery"], x["rows_accepted"]) for x in second["deliveries"]] == [("HJRK_20260528_R1", N_ROWS)]
    after = tree_digest(s.raw_dir / "hukou" / "person" / f"business_date={D}")
    assert {k: v for k, v in after.items() if k in original} == original, "the original's raw file changed"
    assert set(after) - set(original) == {"HJRK_20260528_R1.parquet"}
    # ... and ingesting again adds nothing: no accounting, raw, quarantine or summary counts.
    state = {d: tree_digest(s.home / d) for d in ("raw", "quarantine", "state")}
    third = run(s, D)
    assert all(x["deliveries_found"] == 0 and x["rows_delivered"] == 0 for x in third.values()), third
    assert {d: tree_digest(s.home / d) for d in ("raw", "quarantine", "state")} == state
    check_run(world, first)


# --- row-level failure: that row is quarantined, the others accepted -----------------------------------------


def test_row_with_too_many_fields(world: World) -> None:
    rows = hukou_rows()
    rows[6] += ",多余"
    put(world.settings, "hukou", FOLDER, NAME, hukou_bytes(rows), rows=N_ROWS)
    summaries = run(world.settings, D)
    (d,) = summaries["hukou"]["deliveries"]
    assert (d["status"], d["rows_delivered"], d["rows_accepted"], d["rows_quarantined"]) == (
        "accepted_with_quarantine", N_ROWS, N_ROWS - 1, 1)
    (q,) = quarantine_rows(world.settings, "hukou")
    assert (q["file"], q["row"], q["rule"]) == (NAME, 7, "field_count")
    assert q["message"] == "expected 14 fields, found 15"
    accepted = pq.read_table(world.settings.raw_dir / "hukou" / "person" / f"business_date={D}"
                             / "HJRK_20260528.parquet")
    assert accepted.num_rows == N_ROWS - 1 and 7 not in accepted.column("_row").to_pylist()
    check_run(world, summaries)


# --- bank: a response naming a person never requested --------------------------------------------------------

BATCH_PREV, BATCH = "HD370481202605180001", "HD370481202605200001"
APPLICATION, AUTHORIZED = "SQ20260515000001", date(2026, 5, 15)


def bank_result(id_number: str, name: str, i: int) -> dict:
    return {"身份证号": id_number, "姓名": name, "机构名称": f"测试银行{i}号支行", "账户类别": "活期存款",
            "余额": f"{100 + i}.00", "查询状态": "成功"}


def bank_round(settings: Settings, batch: str, folder: str, persons: list[tuple[str, str]],
               extra: list[tuple[str, str]] = ()) -> str:
    """A request of `persons` in the outbox and its response (5 accounts each, plus `extra` rows) in
    landing/bank/<folder>/; returns the response's delivery name."""
    outbox = settings.outbox / "bank"
    outbox.mkdir(parents=True, exist_ok=True)
    generated = datetime.strptime(batch[8:16], "%Y%m%d").replace(hour=16)
    bank_requests.write_batch(outbox, batch, generated,
                              [bank_requests.Person(i, n, APPLICATION, AUTHORIZED) for i, n in persons])
    results = [bank_result(i, n, k) for i, n in persons for k in range(5)]
    results += [bank_result(i, n, 99) for i, n in extra]
    doc = {"批次号": batch, "返回时间": f"{folder[:4]}-{folder[4:6]}-{folder[6:]} 10:12:33", "结果": results}
    put(settings, "bank", folder, f"HDR_{batch}.json", json.dumps(doc, ensure_ascii=False).encode("utf-8"),
        rows=len(results))
    return f"HDR_{batch}"


def test_bank_response_with_an_unrequested_person(world: World) -> None:
    s = world.settings
    people = [(r.split(",")[0], r.split(",")[1]) for r in hukou_rows(8)]
    requested, stranger = people[:5], people[7]
    prev = bank_round(s, BATCH_PREV, "20260526", people[5:7])
    assert run(s, D_PREV, ("bank",))["bank"]["rows_accepted"] == 10

    def prev_raw(settings: Settings) -> dict[str, str]:
        return tree_digest(settings.raw_dir / "bank" / "result" / f"business_date={D_PREV}")

    world.prev_raw = prev_raw(s)
    assert f"{prev}.parquet" in world.prev_raw
    delivery = bank_round(s, BATCH, "20260527", requested, extra=[stranger])
    put(s, "hukou", FOLDER, NAME, hukou_bytes(), rows=N_ROWS)        # the other source of this run
    summaries = run(s, D, ("bank", "hukou"))
    (d,) = summaries["bank"]["deliveries"]
    assert (d["delivery"], d["status"], d["rows_delivered"], d["rows_accepted"], d["rows_quarantined"]) == (
        delivery, "accepted_with_quarantine", 26, 25, 1)
    (q,) = quarantine_rows(s, "bank")
    assert (q["file"], q["row"], q["field"], q["rule"]) == (f"{delivery}.json", 26, "身份证号", "unrequested_person")
    assert q["value"] != stranger[0] and q["value"].startswith(stranger[0][:6]) and "*" in q["value"]
    accepted = pq.read_table(s.raw_dir / "bank" / "result" / f"business_date={D}" / f"{delivery}.parquet")
    assert stranger[0] not in accepted.column("id_number").to_pylist()
    check_run(world, summaries, other="hukou", prev_raw=prev_raw)


# --- the DAG: one source fails, one delivery is rejected, the others go through --------------------------------


def empty_front_db(settings: Settings, source: str, *, tables: bool = True) -> None:
    """An embedded front DB with the contract's tables and no rows (or with no tables at all)."""
    from connectors.ingest import connector

    path = settings.landing / "frontdb" / f"{source}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        for t in connector(source).TABLES if tables else ():
            columns = ", ".join(f'"{c.src}" TEXT' for c in t.cols)
            conn.execute(f"CREATE TABLE {t.table} ({columns})")
        if not tables:
            conn.execute("CREATE TABLE unrelated (x TEXT)")
    conn.close()


@pytest.mark.slow
def test_dag_run_with_a_failing_source_and_a_rejected_delivery(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from safetynet.cli import app

    home = tmp_path / "home"
    settings = Settings.from_env({"SAFETYNET_HOME": str(home)})
    put(settings, "hukou", FOLDER, NAME, hukou_bytes(), rows=N_ROWS)
    full = csv_bytes(DEATHS_HEADER, DEATHS_LINES, encoding="utf-8", eol="\n")
    put(settings, "deaths", FOLDER, "SWZM_20260528.csv", full[:100], rows=2, marker_data=full)   # truncated
    for source in SQL_SOURCES:
        empty_front_db(settings, source, tables=source != "cremation")   # cremation: front DB lacks t_hhdj
    env = {"SAFETYNET_HOME": str(home), "SAFETYNET_DEBUG": "", "COLUMNS": "200"} | {
        f"SAFETYNET_FRONTDB_{s.upper()}": "" for s in SQL_SOURCES}
    result = CliRunner().invoke(app, ["run", "--as-of", D.isoformat()], env=env)
    log_path = home / "runs" / D.isoformat() / "airflow.log"
    airflow_log = log_path.read_text(encoding="utf-8") if log_path.is_file() else ""
    assert result.exit_code == 1, result.output + airflow_log[-3000:]
    summary = json.loads((home / "runs" / D.isoformat() / "summary.json").read_text(encoding="utf-8"))
    # The failing source is reported, every other source's task succeeded.
    assert summary["status"] == "failed" and summary["failed_sources"] == ["cremation"], summary
    assert [s for s in SOURCES if summary["sources"][s]["status"] != "ok"] == ["cremation"]
    hukou = summary["sources"]["hukou"]["summary"]
    assert (hukou["rows_delivered"], hukou["rows_accepted"]) == (N_ROWS, N_ROWS)
    deaths = summary["sources"]["deaths"]["summary"]
    assert deaths["rejected"] == ["SWZM_20260528"] and "SWZM_20260528.csv" in deaths["problems"][0]
    # `safetynet run` printed the per-source table, the problems and the one-line failure.
    out = result.stdout
    for source in SOURCES:
        assert source in out
    assert "SWZM_20260528.csv" in out and "夜间批处理失败" in result.stderr
    # Nothing the run wrote or logged holds a full ID number (raw store and warehouse excepted).
    assert not find_ids(result.output + airflow_log)
    leaks = files_with_ids(scanned_files(home, settings.exchange))
    assert not leaks, f"full ID numbers outside the raw store: {leaks}"
