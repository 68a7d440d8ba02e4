"""The nightly anomaly report (reports/anomalies.py): counts, privacy, language, offline rendering in Chromium.

(a) fast: a hand-made warehouse file with the contract's tables (transforms/marts/_contracts.yaml) and
planted alerts, rule runs, history, sources and a stored validation result - independent of which rules
fire in the real models; (b) Chromium: the page renders without network and its charts are drawn;
(c) `slow`: the report of the built test city (tests/conftest.py built_city).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml
from idscan import find_ids

from reports import anomalies
from safetynet.idnumber import check_char
from safetynet.privacy import mask_id
from safetynet.settings import SOURCES, Settings
from transforms.parameters.alert_rules import read_rules

REPO = Path(__file__).resolve().parent.parent
CONTRACTS = REPO / "transforms" / "marts" / "_contracts.yaml"
AS_OF = date(2026, 5, 27)
CHROMIUM = Path("/usr/bin/chromium")


def _id(seq: int) -> str:
    """A valid 18-digit ID number (Tengzhou area code, born 1960-01-01 + seq days)."""
    born = (date(1960, 1, 1) + timedelta(days=seq)).strftime("%Y%m%d")
    first17 = f"370481{born}{seq % 1000:03d}"
    return first17 + check_char(first17)


# --- a hand-made warehouse --------------------------------------------------------------------------------

def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every mart table of the contracts with their exact columns and types, plus meta.build_info."""
    contracts = yaml.safe_load(CONTRACTS.read_text(encoding="utf-8"))
    con.execute("CREATE SCHEMA mart; CREATE SCHEMA meta")
    for table, spec in contracts["tables"].items():
        cols = ", ".join(f'"{c}" {t}' for c, t in spec["columns"].items())
        con.execute(f"CREATE TABLE mart.{table} ({cols})")
    con.execute("CREATE TABLE meta.build_info (build_id VARCHAR, as_of DATE, built_at TIMESTAMP, version VARCHAR)")


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    for row in rows:
        names = ", ".join(f'"{k}"' for k in row)
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})",
                    [json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in row.values()])


TOWNS = ("荆河街道", "龙阳镇", "滨湖镇")
#: (code, status, town index, resolved tonight?) of the planted alerts.
PLANTED = [
    ("DECEASED_STILL_PAID", "new", 0), ("DECEASED_STILL_PAID", "new", 1), ("DECEASED_STILL_PAID", "open", 0),
    ("DUPLICATE_ASSISTANCE", "new", 2), ("DUPLICATE_ASSISTANCE", "resolved", 2),
    ("INCOME_OVER_STANDARD", "new", 0), ("INCOME_OVER_STANDARD", "open", 1), ("INCOME_OVER_STANDARD", "open", 1),
    ("INCOME_OVER_STANDARD", "resolved", 0), ("VEHICLE_OWNED", "open", 2), ("HUKOU_MOVED_OUT", "new", None),
    ("REFERRAL_OVERDUE", "open", 1), ("MISSED_DIBAO", "resolved", 1),
]


def _alerts(rules: dict[str, dict]) -> list[dict]:
    out = []
    for i, (code, status, town) in enumerate(PLANTED):
        person = _id(i + 1)
        other = _id(i + 101)
        out.append({
            "alert_id": f"a{i:03d}", "code": code, "severity": rules[code]["severity"],
            "title_zh": rules[code]["title_zh"], "household_id": f"JZ37048100001{i:05d}", "id_number": person,
            "subject_key": f"{code}|JZ37048100001{i:05d}|{person}", "town": TOWNS[town] if town is not None else None,
            "first_seen": AS_OF - timedelta(days=0 if status == "new" else 3),
            "last_seen": AS_OF if status != "resolved" else AS_OF - timedelta(days=1), "status": status,
            "resolved_on": AS_OF if status == "resolved" else None,
            "evidence": {"source": "deaths", "record_key": f"E{person}", "as_of": "2026-05-26",
                         "fields": {"死亡日期": "2026-03-02", "身份证号": person, "note": f"P{other}"},
                         "related": [{"source": "assistance", "record_key": f"{person}|202605",
                                      "as_of": "2026-05-27", "fields": {"发放年月": "202605", "净额": 630.5}}]},
            "rule_version": 1, "as_of": AS_OF,
            "disposition": "false_positive" if i in (2, 6) else "confirmed" if i in (1, 7) else None,
            "disposition_note": f"核对 {person}" if i in (2, 6) else None,
        })
    # a resolved alert from an earlier night: not tonight's
    out.append({**out[-1], "alert_id": "old", "resolved_on": AS_OF - timedelta(days=5),
                "last_seen": AS_OF - timedelta(days=6)})
    return out


SKIPS = {
    "VEHICLE_OWNED": ("stale_source", "数据源未按时更新：机动车（公安交管）最新数据 2026-05-10，超过 9 天", ["vehicles"]),
    "STUDENT_AID_MISSING": ("out_of_season", "不在评估期：2025学年12月学生资助文件尚未到达起至次年8月31日评估", []),
}


def _rule_runs(rules: dict[str, dict], alerts: list[dict], night: date) -> list[dict]:
    tonight = [a for a in alerts if a["status"] != "resolved" or a["resolved_on"] == night]
    every = Counter((a["code"], a["status"]) for a in tonight)
    reviewed = Counter(a["code"] for a in alerts if a["disposition"])
    fp = Counter(a["code"] for a in alerts if a["disposition"] == "false_positive")
    rows = []
    for code, r in rules.items():
        reason, detail, stale = SKIPS.get(code, (None, None, []))
        rows.append({
            "code": code, "title_zh": r["title_zh"], "severity": r["severity"], "rule_version": 1,
            "position": r["position"], "as_of": night, "evaluated": reason is None, "skip_reason": reason,
            "skip_detail_zh": detail, "stale_sources": stale, "new_count": every[(code, "new")],
            "open_count": every[(code, "open")], "resolved_count": every[(code, "resolved")],
            "active_count": every[(code, "new")] + every[(code, "open")], "reviewed_count": reviewed[code],
            "confirmed_count": reviewed[code] - fp[code], "false_positive_count": fp[code],
            "false_positive_rate": round(fp[code] / reviewed[code], 4) if reviewed[code] else None})
    return rows


def _freshness() -> list[dict]:
    rows = []
    for s in SOURCES:
        stale = s == "vehicles"
        rows.append({"source": s, "mechanism": "file", "cadence": "weekly" if stale else "daily",
                     "stale_after_days": 9 if stale else 2, "as_of": AS_OF, "has_data": s != "public_housing",
                     "latest_business_date": None if s == "public_housing" else AS_OF - timedelta(days=17 if stale else 0),
                     "days_behind": None if s == "public_housing" else 17 if stale else 0,
                     "is_stale": stale or s == "public_housing", "last_run_status": "accepted"})
    return rows


RUNS = [
    {"run_date": AS_OF, "source": "hukou", "delivery": "HJRK_20260528", "business_date": AS_OF,
     "rows_delivered": 6000, "rows_accepted": 5990, "rows_quarantined": 10, "checks_failed": 2,
     "status": "accepted_with_quarantine"},
    {"run_date": AS_OF, "source": "deaths", "delivery": "SWZM_20260528", "business_date": AS_OF,
     "rows_delivered": 40, "rows_accepted": 0, "rows_quarantined": 40, "checks_failed": 1, "status": "rejected",
     "reason": "30 of 40 rows failed checks (75.0% > 20% allowed for deaths)"},
    {"run_date": AS_OF, "source": "tax", "delivery": "GS_202604", "business_date": AS_OF,
     "rows_delivered": 900, "rows_accepted": 900, "rows_quarantined": 0, "checks_failed": 0, "status": "accepted"},
    {"run_date": AS_OF - timedelta(days=1), "source": "tax", "delivery": "GS_202603", "business_date": AS_OF,
     "rows_delivered": 5, "rows_accepted": 5, "rows_quarantined": 0, "checks_failed": 0, "status": "accepted"},
]


def _stored_validation(settings: Settings) -> Path:
    """A stored GX result with one failed check for hukou's delivery, and its Data Docs page."""
    rel = Path("hukou/person/HJRK_20260528/20260528T010000.000000Z")
    stored = settings.validation_dir / "gx" / "validations" / rel / "HJRK_20260528.json"
    stored.parent.mkdir(parents=True)
    stored.write_text(json.dumps({"success": False, "results": [
        {"success": False, "expectation_config": {"type": "expect_column_values_to_be_unique",
                                                  "meta": {"check": "unique:id_number", "severity": "row"}},
         "result": {"unexpected_count": 10, "partial_unexpected_list": [_id(500)]}},
        {"success": True, "expectation_config": {"meta": {"check": "not_null:name"}}, "result": {}}]}))
    page = settings.validation_dir / "data_docs" / "validations" / rel / "HJRK_20260528.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html></html>")
    (settings.validation_dir / "data_docs" / "index.html").write_text("<html></html>")
    return page


@pytest.fixture()
def planted(tmp_path: Path):
    """(settings, alerts, rule runs of tonight, docs page) of a hand-made published warehouse as of AS_OF."""
    settings = Settings(home=tmp_path / "home", exchange=tmp_path / "exchange")
    rules = {r["code"]: r for r in read_rules().to_pylist()}
    alerts = _alerts(rules)
    runs = _rule_runs(rules, alerts, AS_OF)
    history = [dict(r, as_of=AS_OF - timedelta(days=d), new_count=d, open_count=2 * d, resolved_count=d % 2)
               for d in (1, 2, 4) for r in runs]
    settings.warehouse_dir.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_dir / "current.duckdb")) as con:
        _create_tables(con)
        _insert(con, "meta.build_info", [{"build_id": "2026-05-27_test", "as_of": AS_OF}])
        _insert(con, "mart.alert", alerts)
        _insert(con, "mart.alert_rule_run", runs)
        _insert(con, "mart.source_freshness", _freshness())
        _insert(con, "mart.source_run", RUNS)
        _insert(con, "mart.household", [{"household_id": a["household_id"], "kind": "family", "town": a["town"],
                                          "village": "西关社区"} for a in alerts if a["alert_id"] != "old"])
        con.execute("CREATE VIEW mart.alert_history AS SELECT * FROM mart.alert")
        con.execute("CREATE TABLE mart.alert_rule_run_hist AS SELECT * FROM mart.alert_rule_run")
        _insert(con, "mart.alert_rule_run_hist", history)
        con.execute("CREATE VIEW mart.alert_rule_run_history AS SELECT * FROM mart.alert_rule_run_hist")
    page = _stored_validation(settings)
    return settings, alerts, runs, page


@pytest.fixture()
def report(planted):
    settings, *_ = planted
    path = anomalies.write_report(settings, AS_OF)
    return path, path.read_text(encoding="utf-8")


# --- reading the page -----------------------------------------------------------------------------------

class _Page(HTMLParser):
    """Rows' data-* attributes per table id, and the visible text outside <code>, <script>, <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.text: list[str] = []
        self._table: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
        if tag == "tr" and self._table and any(k.startswith("data-") for k in a):
            self.tables.setdefault(self._table, []).append({k[5:]: v for k, v in a.items() if k.startswith("data-")})
        if tag in ("code", "script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        if tag in ("code", "script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _tonight(alerts):
    return [a for a in alerts if a["status"] != "resolved" or a["resolved_on"] == AS_OF]


# --- (a) content ------------------------------------------------------------------------------------------

def test_report_is_written_where_monitors_look(report, planted):
    settings, *_ = planted
    path, html = report
    assert path == settings.home / "reports" / "2026-05-27" / "anomalies.html"
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html


def test_counts_by_code_match_the_alerts_and_add_up(report, planted):
    _, alerts, runs, _ = planted
    rows = _parse(report[1]).tables["by-code"]
    by_code = {r["code"]: r for r in rows if r["code"]}
    expected = Counter((a["code"], a["status"]) for a in _tonight(alerts))
    assert list(by_code) == [r["code"] for r in runs]  # all 17, policy order
    for code, r in by_code.items():
        assert int(r["new"]) == expected[(code, "new")], code
        assert int(r["open"]) == expected[(code, "open")], code
        assert int(r["resolved"]) == expected[(code, "resolved")], code
        assert int(r["active"]) == int(r["new"]) + int(r["open"])
    total = next(r for r in rows if not r["code"])
    for key in ("new", "open", "resolved", "active"):
        assert int(total[key]) == sum(int(r[key]) for r in by_code.values())
    assert (int(total["new"]), int(total["open"]), int(total["resolved"])) == (5, 5, 3)
    # the rule runs' own counts agree with mart.alert
    for run in runs:
        assert int(by_code[run["code"]]["new"]) + int(by_code[run["code"]]["open"]) == run["active_count"]


def test_counts_by_severity_and_town_add_up_to_the_total(report):
    page = _parse(report[1])
    total = next(r for r in page.tables["by-code"] if not r["code"])
    for table in ("by-severity", "by-town"):
        for key in ("new", "open", "resolved"):
            assert sum(int(r[key]) for r in page.tables[table]) == int(total[key]), (table, key)
    towns = {r["town"] for r in page.tables["by-town"]}
    assert towns == {*TOWNS, anomalies.NO_TOWN}


def test_no_full_id_number_anywhere(report, planted):
    _, alerts, _, _ = planted
    assert find_ids(json.dumps([a["evidence"] for a in alerts]))  # the fixture does carry full IDs
    html = report[1]
    assert find_ids(html) == []
    assert mask_id(alerts[0]["id_number"]) in html  # shown masked (first 6, last 4)


def test_user_facing_text_is_chinese(report):
    text = " ".join(_parse(report[1]).text)
    latin = re.findall(r"[A-Za-z]{2,}", text)
    assert latin == [], latin
    assert "社会救助夜间预警报告" in text


def test_self_contained(report):
    html = report[1]
    for external in ("http:", "https:", "<link", " src=", "url(", "@import", "<img", "<iframe"):
        assert external not in html, external


def test_new_high_alerts_with_evidence(report, planted):
    _, alerts, _, _ = planted
    html = report[1]
    listed = html.count('<div class="alert"')
    assert listed == sum(1 for a in alerts if a["status"] == "new" and a["severity"] == "high") == 3
    assert "死亡日期" in html and "2026-03-02" in html and "关联：社会救助（民政）" in html
    assert "死亡医学证明（卫健）" in html and "630.5" in html


def test_long_lists_of_new_high_alerts_are_cut(planted, monkeypatch):
    settings, *_ = planted
    monkeypatch.setattr(anomalies, "MAX_LISTED", 2)
    html = anomalies.write_report(settings, AS_OF).read_text(encoding="utf-8")
    assert html.count('<div class="alert"') == 2
    assert "共 3 条，此处仅列出前 2 条" in html


def test_skipped_rules_say_why(report):
    rows = {r["code"] for r in _parse(report[1]).tables["skipped"]}
    assert rows == set(SKIPS)
    html = report[1]
    assert "数据源过期" in html and "不在评估期" in html and "机动车（公安交管）" in html


def test_false_positive_rates(report):
    rows = {r["code"]: r for r in _parse(report[1]).tables["reviews"]}
    assert set(rows) == {"DECEASED_STILL_PAID", "INCOME_OVER_STANDARD"}
    assert "50.0%" in report[1]


def test_data_quality_per_source(report, planted):
    settings, _, _, page = planted
    path, html = report
    rows = {r["source"]: r for r in _parse(html).tables["sources"]}
    assert list(rows) == list(SOURCES)
    assert (rows["hukou"]["delivered"], rows["hukou"]["accepted"], rows["hukou"]["quarantined"]) == ("6000", "5990", "10")
    assert rows["tax"]["delivered"] == "900"  # tonight's run only
    assert "40 行中 30 行未通过检查" in html  # the rejection, in Chinese
    assert "unique:id_number" in html and "10 行" in html  # the failed check from the stored result
    href = os.path.relpath(page, path.parent)
    assert f'href="{href}"' in html and (path.parent / href).resolve() == page.resolve()
    assert 'href="../../validation/data_docs/index.html"' in html


def test_refuses_a_warehouse_of_another_night(planted):
    settings, *_ = planted
    with pytest.raises(anomalies.ReportDateMismatch):
        anomalies.write_report(settings, AS_OF + timedelta(days=1))
    assert not (settings.reports_dir / "2026-05-28").exists()


def test_trend_chart_geometry():
    trend = [{"as_of": AS_OF - timedelta(days=d), "severity": s, "new": n, "open": 2 * n, "resolved": 1}
             for d, n in ((1, 3), (0, 6)) for s in ("high", "low")]
    bars, lines = anomalies.trend_charts(trend)
    new = [r for r in bars["rects"] if r["fill"] == anomalies.COLOURS["new"]]
    assert len(new) == 2 and new[1]["h"] == pytest.approx(2 * new[0]["h"])
    assert bars["ticks"][-1]["text"] == "40"  # 2 * (6 + 12) = 36 -> axis 40
    assert [len(line["dots"]) for line in lines["lines"]] == [2, 2, 2]
    assert anomalies.trend_charts([]) == []
    assert anomalies._nice_max(0) == (1, 1) and anomalies._nice_max(7) == (8, 2)


# --- (b) Chromium, offline --------------------------------------------------------------------------------

def chromium_dom(path: Path) -> str:
    """The DOM of `path` after load, in headless Chromium with every network request blocked."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is required in CI (scripts/bootstrap.sh installs it)")
        pytest.skip("chromium not installed (/usr/bin/chromium); scripts/bootstrap.sh installs it")
    with tempfile.TemporaryDirectory(prefix="safetynet-chromium-") as profile:
        out = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--virtual-time-budget=5000", "--dump-dom", path.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def _charts_drawn(dom: str) -> tuple[int, int]:
    m = re.search(r'id="chart-check"[^>]*data-expected="(\d+)"[^>]*data-rendered="(-?\d+)"', dom)
    assert m, "chart check element missing from the DOM"
    return int(m[1]), int(m[2])


def test_renders_offline_in_chromium_with_its_charts(report):
    expected, drawn = _charts_drawn(chromium_dom(report[0]))
    assert expected == 3 and drawn == expected


# --- (c) the built test city ------------------------------------------------------------------------------

@pytest.mark.slow
def test_report_of_the_built_city(built_city, tmp_path):
    built, _, current = built_city
    # A private home: the published warehouse (its history views name the built city's own files, read
    # only) and the validation docs; the report is written here, never into the shared build.
    settings = Settings(home=tmp_path / "home", exchange=built.exchange)
    settings.warehouse_dir.mkdir(parents=True)
    shutil.copy2(current, settings.warehouse_dir / "current.duckdb")
    settings.validation_dir.symlink_to(built.validation_dir)
    path = anomalies.write_report(settings, "2026-05-27")
    html = path.read_text(encoding="utf-8")
    assert find_ids(html) == []
    page = _parse(html)
    with duckdb.connect(str(current), read_only=True) as con:
        counts = dict(con.execute("""SELECT code, count(*) FILTER (WHERE status IN ('new', 'open'))
                                     FROM mart.alert GROUP BY code""").fetchall())
        delivered = dict(con.execute("""SELECT source, sum(rows_delivered) FROM mart.source_run
                                        WHERE run_date = DATE '2026-05-27' GROUP BY source""").fetchall())
    rows = {r["code"]: r for r in page.tables["by-code"] if r["code"]}
    assert len(rows) == 17
    assert {c: int(r["active"]) for c, r in rows.items() if int(r["active"])} == {c: n for c, n in counts.items() if n}
    sources = {r["source"]: r for r in page.tables["sources"]}
    assert list(sources) == list(SOURCES)
    assert {s: int(r["delivered"]) for s, r in sources.items() if int(r["delivered"])} == \
        {s: int(n) for s, n in delivered.items() if n}
    assert 'href="../../validation/data_docs/index.html"' in html
    expected, drawn = _charts_drawn(chromium_dom(path))
    assert drawn == expected == 3
