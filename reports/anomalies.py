"""The nightly anomaly report (夜间预警与数据质量报告) for monitors: one self-contained HTML page per night.

Grain: one report = one published night D, written to `$SAFETYNET_HOME/reports/<D>/anomalies.html`
(interfaces.md section 4; a re-run replaces it). It shows what the published warehouse says about D:
alerts new / open / resolved tonight by code, severity and town; the trend over the previous published
nights (mart.alert_rule_run_history); every NEW high-severity alert with its evidence; the rules skipped
tonight and why; each rule's false-positive rate from the monitors' dispositions; and per source its
freshness, tonight's deliveries (delivered / accepted / quarantined, failed checks) with links to the
Data Docs pages (expectations/runner.py).

Steps: `load` queries one read-only connection (plus the Data Docs / stored validation results on disk)
into plain dicts; `render` is pure (data -> HTML); `write_report` ties them together. Charts are SVG built
here as shapes and drawn by the template, so the page renders offline with no script or font fetched;
the one inline script only records, for the tests, how many charts have a non-empty bounding box.

Privacy (sources/README.md section 13): every string that comes from the data goes through `_mask`
(safetynet.privacy.mask_text, plus 18-character runs glued to letters, which mask_text leaves alone);
person IDs through mask_id. No full ID number is written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from expectations import runner as validation
from safetynet.nightly import parse_date
from safetynet.privacy import mask_id, mask_text
from safetynet.settings import SOURCES, Settings
from warehouse import query
from warehouse.lookup import SOURCE_NAMES

TEMPLATE = "anomalies.html.j2"
FILE_NAME = "anomalies.html"
#: Published nights shown in the trend charts (tonight included).
TREND_NIGHTS = 30
#: New high-severity alerts listed with their evidence; the rest are counted (safetynet alerts lists all).
MAX_LISTED = 300

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
SEVERITY_ZH: dict[str, str] = {"high": "高", "medium": "中", "low": "低"}
STATUS_ZH: dict[str, str] = {"new": "新增", "open": "持续", "resolved": "今日解除"}
SKIP_REASON_ZH: dict[str, str] = {"stale_source": "数据源过期", "out_of_season": "不在评估期"}
CADENCE_ZH: dict[str, str] = {"daily": "每日", "weekly": "每周", "monthly": "每月", "adhoc": "不定期",
                              "request": "按核对请求"}
RUN_STATUS_ZH: dict[str, str] = {"accepted": "已接收", "accepted_with_quarantine": "已接收（部分隔离）",
                                 "rejected": "整批拒收"}
CHECK_SEVERITY_ZH: dict[str, str] = {"row": "行级（不合格行隔离）", "warn": "警告（保留数据）"}
KIND_ZH: dict[str, str] = {"family": "救助家庭", "application": "申请家庭", "hukou": "户籍户"}
NO_TOWN = "（未知乡镇）"

_GLUED_ID = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
_REJECT_RATE = re.compile(r"^(\d+) of (\d+) rows failed checks \(([\d.]+%) > (\d+%) allowed for \w+\)$")


class ReportDateMismatch(RuntimeError):
    """The published warehouse describes another night than the one asked for."""


# --- privacy ------------------------------------------------------------------------------------------


def _mask(value: Any) -> str:
    """A value from the data as display text, with every ID-number-like run masked."""
    text = mask_text("" if value is None else str(value))
    return _GLUED_ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)


# --- loading ------------------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _failed_checks(settings: Settings, source: str, delivery: str) -> list[dict[str, Any]]:
    """The failed checks of one delivery's latest stored validation per entity (GX store of
    expectations/runner.py: validation_dir/gx/validations/<source>/<entity>/<delivery>/<run>/<delivery>.json;
    stored results are already masked)."""
    out = []
    for entity_dir in sorted((settings.validation_dir / "gx" / "validations" / source).glob("*")):
        runs = sorted((entity_dir / delivery).glob(f"*/{delivery}.json"))
        if not runs:
            continue
        try:
            stored = json.loads(runs[-1].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for r in stored.get("results", []):
            if r.get("success", True):
                continue
            config = r.get("expectation_config") or {}
            meta = config.get("meta") or {}
            result = r.get("result") or {}
            out.append({"entity": entity_dir.name, "check": meta.get("check") or config.get("type", "?"),
                        "severity": CHECK_SEVERITY_ZH.get(meta.get("severity"), "—"),
                        "rows": result.get("unexpected_count")})
    return out


def _docs_page(settings: Settings, source: str, delivery: str) -> Path | None:
    """The latest Data Docs page of one delivery (any entity), if the site has it."""
    root = settings.validation_dir / "data_docs" / "validations" / source
    pages = sorted(root.glob(f"*/{delivery}/*/{delivery}.html"), key=lambda p: p.parent.name)
    return pages[-1] if pages else None


def _href(target: Path | None, report_dir: Path) -> str | None:
    return os.path.relpath(target, report_dir) if target is not None and target.is_file() else None


def load(con: duckdb.DuckDBPyConnection, settings: Settings, report_dir: Path) -> dict[str, Any]:
    """Everything the report shows, as plain rows (full IDs are masked later, in `render`'s helpers)."""
    build_id, as_of = con.execute("SELECT build_id, as_of FROM meta.build_info").fetchone()
    alerts = _rows(con, """
        SELECT a.alert_id, a.code, a.severity, a.title_zh, a.household_id, a.id_number, a.town, a.first_seen,
               a.last_seen, a.status, a.resolved_on,
               -- only the listed alerts' evidence is shown: new high-severity ones
               CASE WHEN a.status = 'new' AND a.severity = 'high' THEN CAST(a.evidence AS VARCHAR) END AS evidence,
               h.village, h.kind
        FROM mart.alert a LEFT JOIN mart.household h USING (household_id)
        WHERE a.status IN ('new', 'open') OR (a.status = 'resolved' AND a.resolved_on = ?)
        ORDER BY a.code, a.town, a.household_id, a.alert_id""", [as_of])
    rules = _rows(con, "SELECT * FROM mart.alert_rule_run ORDER BY position")
    trend = _rows(con, """
        WITH nights AS (
            SELECT DISTINCT as_of FROM mart.alert_rule_run_history WHERE as_of <= ?
            ORDER BY as_of DESC LIMIT ?)
        SELECT as_of, severity, SUM(new_count) AS new, SUM(open_count) AS open,
               SUM(resolved_count) AS resolved, COUNT(*) FILTER (WHERE NOT evaluated) AS skipped
        FROM mart.alert_rule_run_history WHERE as_of IN (SELECT as_of FROM nights)
        GROUP BY ALL ORDER BY as_of, severity""", [as_of, TREND_NIGHTS])
    freshness = _rows(con, "SELECT * FROM mart.source_freshness")
    runs = _rows(con, "SELECT * FROM mart.source_run WHERE run_date = ? ORDER BY source, delivery", [as_of])
    for run in runs:
        run["failed_checks"] = (_failed_checks(settings, run["source"], run["delivery"])
                                if run["checks_failed"] else [])
        run["docs_href"] = _href(_docs_page(settings, run["source"], run["delivery"]), report_dir)
    return {"build_id": build_id, "as_of": as_of, "alerts": alerts, "rules": rules, "trend": trend,
            "freshness": freshness, "runs": runs,
            "docs_index_href": _href(validation.docs_index(settings), report_dir)}


# --- summaries (pure) ---------------------------------------------------------------------------------


def _count(alerts: Iterable[Mapping[str, Any]], key: str) -> dict[Any, dict[str, int]]:
    """key value -> {new, open, resolved, active} counts of tonight's alerts."""
    out: dict[Any, dict[str, int]] = {}
    for a in alerts:
        c = out.setdefault(a[key], {"new": 0, "open": 0, "resolved": 0})
        c[a["status"]] += 1
    for c in out.values():
        c["active"] = c["new"] + c["open"]
    return out


def _total(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = {"new": 0, "open": 0, "resolved": 0, "active": 0}
    for c in counts:
        for k in total:
            total[k] += c[k]
    return total


def _pct(rate: Any) -> str:
    return "—" if rate is None else f"{float(rate):.1%}"


def code_rows(rules: Sequence[Mapping[str, Any]], alerts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per rule (policy order): counts of tonight's alerts, whether it ran, its false-positive rate."""
    counts = _count(alerts, "code")
    zero = {"new": 0, "open": 0, "resolved": 0, "active": 0}
    return [{"code": r["code"], "title": r["title_zh"], "severity": SEVERITY_ZH.get(r["severity"], r["severity"]),
             "severity_key": r["severity"], "evaluated": bool(r["evaluated"]), **counts.get(r["code"], zero),
             "reviewed": r["reviewed_count"], "confirmed": r["confirmed_count"],
             "false_positive": r["false_positive_count"], "fp_rate": _pct(r["false_positive_rate"])}
            for r in rules]


def severity_rows(alerts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    counts = _count(alerts, "severity")
    zero = {"new": 0, "open": 0, "resolved": 0, "active": 0}
    return [{"severity": SEVERITY_ZH[s], "severity_key": s, **counts.get(s, zero)} for s in SEVERITIES]


def town_rows(alerts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per town with any alert tonight, most active first; plus active counts per severity."""
    named = [{**a, "town": a["town"] or NO_TOWN} for a in alerts]
    counts = _count(named, "town")
    rows = []
    for town, c in counts.items():
        active = [a for a in named if a["town"] == town and a["status"] in ("new", "open")]
        by_sev = {s: sum(1 for a in active if a["severity"] == s) for s in SEVERITIES}
        rows.append({"town": town, **c, **{f"active_{s}": n for s, n in by_sev.items()}})
    return sorted(rows, key=lambda r: (-r["active"], -r["new"], r["town"]))


def skipped_rows(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"code": r["code"], "title": r["title_zh"],
             "reason": SKIP_REASON_ZH.get(r["skip_reason"], "未评估"),
             "detail": _mask(r["skip_detail_zh"] or "—"),
             "sources": "、".join(SOURCE_NAMES.get(s, s) for s in (r["stale_sources"] or [])) or "—"}
            for r in rules if not r["evaluated"]]


def review_rows(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rules with at least one disposition recorded, highest false-positive rate first."""
    rows = [{"code": r["code"], "title": r["title_zh"], "reviewed": r["reviewed_count"],
             "confirmed": r["confirmed_count"], "false_positive": r["false_positive_count"],
             "rate": float(r["false_positive_rate"] or 0), "fp_rate": _pct(r["false_positive_rate"])}
            for r in rules if r["reviewed_count"]]
    return sorted(rows, key=lambda r: (-r["rate"], -r["reviewed"], r["code"]))


def _display(value: Any) -> str:
    if isinstance(value, dict | list):
        return _mask(json.dumps(value, ensure_ascii=False, default=str))
    return _mask(value) if value is not None else "—"


def _record(item: Mapping[str, Any]) -> dict[str, Any]:
    fields = item.get("fields")
    pairs = ([(_mask(k), _display(v)) for k, v in fields.items()] if isinstance(fields, dict)
             else [] if fields is None else [("", _display(fields))])
    source = item.get("source")
    return {"source": SOURCE_NAMES.get(str(source), _mask(source)) if source else "—",
            "record_key": _display(item.get("record_key")), "as_of": _display(item.get("as_of")),
            "fields": [{"name": k, "name_is_code": k.isascii(), "value": v} for k, v in pairs]}


def evidence(value: Any) -> dict[str, Any]:
    """mart.alert.evidence (JSON: source, record_key, as_of, fields, related) as masked display rows."""
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return {**_record({}), "raw": _display(value), "related": []}
    related = data.get("related") or []
    related = related if isinstance(related, list) else [related]
    return {**_record(data), "raw": None,
            "related": [_record(r) if isinstance(r, dict) else {**_record({}), "raw": _display(r)} for r in related]}


def new_high_rows(alerts: Sequence[Mapping[str, Any]], limit: int = MAX_LISTED) -> list[dict[str, Any]]:
    """The first `limit` new high-severity alerts, with their evidence, as display rows."""
    chosen = [a for a in alerts if a["status"] == "new" and a["severity"] == "high"][:limit]
    return [{"code": a["code"], "title": a["title_zh"], "town": a["town"] or NO_TOWN,
             "village": _mask(a["village"] or "—"), "kind": KIND_ZH.get(a["kind"], "—"),
             "household_id": _mask(a["household_id"] or "—"),
             "person": mask_id(a["id_number"]) if a["id_number"] else "—",
             "first_seen": a["first_seen"], "evidence": evidence(a["evidence"])}
            for a in chosen]


def _reason_zh(reason: str | None) -> tuple[str, str | None]:
    """(Chinese text, technical detail shown as code or None) of a rejection reason."""
    if not reason:
        return "—", None
    m = _REJECT_RATE.match(reason)
    if m:
        return f"{m[2]} 行中 {m[1]} 行未通过检查（{m[3]}，超过允许的 {m[4]}）", None
    return "整批拒收，技术原因：", _mask(reason)


def source_rows(freshness: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per source (sources/README.md order): freshness and tonight's deliveries."""
    order = {s: i for i, s in enumerate(SOURCES)}
    out = []
    for f in sorted(freshness, key=lambda f: order.get(f["source"], len(order))):
        mine = [r for r in runs if r["source"] == f["source"]]
        if not f["has_data"]:
            state = "无数据"
        elif f["is_stale"]:
            state = "已过期"
        else:
            state = "正常"
        deliveries = []
        for r in mine:
            text, detail = _reason_zh(r["reason"]) if r["status"] == "rejected" else ("", None)
            deliveries.append({"delivery": _mask(r["delivery"]), "business_date": r["business_date"],
                               "status": RUN_STATUS_ZH.get(r["status"], "未知"), "rejected": r["status"] == "rejected",
                               "delivered": r["rows_delivered"], "accepted": r["rows_accepted"],
                               "quarantined": r["rows_quarantined"], "checks_failed": r["checks_failed"],
                               "reason": text, "reason_detail": detail, "docs_href": r["docs_href"],
                               "failed_checks": [{**c, "check": _mask(c["check"]), "entity": _mask(c["entity"])}
                                                 for c in r["failed_checks"]]})
        out.append({
            "source": f["source"], "name": SOURCE_NAMES.get(f["source"], f["source"]),
            "cadence": CADENCE_ZH.get(f["cadence"], "—"), "stale_after": f["stale_after_days"],
            "latest": f["latest_business_date"] or "—", "days_behind": f["days_behind"],
            "state": state, "bad": state != "正常",
            "deliveries": deliveries, "delivered": sum(r["rows_delivered"] or 0 for r in mine),
            "accepted": sum(r["rows_accepted"] or 0 for r in mine),
            "quarantined": sum(r["rows_quarantined"] or 0 for r in mine),
            "checks_failed": sum(r["checks_failed"] or 0 for r in mine),
            "rejected": sum(1 for r in mine if r["status"] == "rejected"),
            "last_run_rejected": f["last_run_status"] == "rejected"})
    return out


def problem_deliveries(sources: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(source row, delivery) of tonight's deliveries with a failed check, quarantined rows or a rejection."""
    return [(s, d) for s in sources for d in s["deliveries"]
            if d["checks_failed"] or d["quarantined"] or d["rejected"]]


# --- charts (pure geometry; drawn by the template's `chart` macro) ------------------------------------

#: Colours of the series (also used by the legend and the tables' tags).
COLOURS: dict[str, str] = {"new": "#d9480f", "open": "#f59f00", "resolved": "#2f9e44",
                           "high": "#c92a2a", "medium": "#e67700", "low": "#1971c2"}


def _nice_max(value: float) -> tuple[int, int]:
    """(axis maximum, tick step) with at most 5 steps of 1, 2 or 5 x 10^k."""
    value = max(int(value), 1)
    magnitude = 1
    while True:
        for mult in (1, 2, 5):
            step = mult * magnitude
            if step * 5 >= value:
                return step * -(-value // step), step
        magnitude *= 10


def trend_charts(trend: Sequence[Mapping[str, Any]], width: int = 760, height: int = 240,
                 ) -> list[dict[str, Any]]:
    """Two charts over the nights of `trend` (rows: as_of, severity, new, open, resolved):
    stacked new/open bars with resolved bars beside them, and active alerts per severity as lines."""
    nights = sorted({r["as_of"] for r in trend})
    if not nights:
        return []
    per = {n: {"new": 0, "open": 0, "resolved": 0, **{s: 0 for s in SEVERITIES}} for n in nights}
    for r in trend:
        p = per[r["as_of"]]
        for k in ("new", "open", "resolved"):
            p[k] += int(r[k] or 0)
        if r["severity"] in SEVERITIES:
            p[r["severity"]] += int(r["new"] or 0) + int(r["open"] or 0)
    left, right, top, bottom = 48, 12, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(nights)
    labels = [{"x": left + slot * (i + 0.5), "y": height - bottom + 16, "text": n.strftime("%m-%d")}
              for i, n in enumerate(nights)]
    step_label = max(1, -(-len(nights) // 12))
    labels = [lab for i, lab in enumerate(labels) if (len(nights) - 1 - i) % step_label == 0]

    def frame(top_value: float) -> tuple[int, list[dict[str, Any]], Any]:
        ymax, step = _nice_max(top_value)

        def y(v: float) -> float:
            return top + plot_h * (1 - v / ymax)
        ticks = [{"y": y(v), "text": str(v)} for v in range(0, ymax + 1, step)]
        return ymax, ticks, y

    # chart 1: bars
    _, ticks1, y1 = frame(max(max(p["new"] + p["open"], p["resolved"]) for p in per.values()))
    bar = min(slot * 0.36, 28)
    rects = []
    for i, n in enumerate(nights):
        p, x0 = per[n], left + slot * (i + 0.5)
        base = y1(0)
        for key in ("new", "open"):
            h = y1(0) - y1(p[key])
            rects.append({"x": x0 - bar, "y": base - h, "w": bar, "h": h, "fill": COLOURS[key],
                          "title": f"{n.isoformat()} {STATUS_ZH[key]} {p[key]}"})
            base -= h
        h = y1(0) - y1(p["resolved"])
        rects.append({"x": x0 + 1, "y": y1(0) - h, "w": bar, "h": h, "fill": COLOURS["resolved"],
                      "title": f"{n.isoformat()} 今日解除 {p['resolved']}"})
    bars = {"id": "trend-status", "title": "每晚预警数量：新增、持续（堆叠）与当晚解除", "width": width,
            "height": height, "left": left, "right": width - right, "top": top, "bottom": height - bottom,
            "ticks": ticks1, "labels": labels, "rects": rects, "lines": [],
            "legend": [{"text": STATUS_ZH[k], "fill": COLOURS[k]} for k in ("new", "open", "resolved")]}

    # chart 2: lines per severity
    _, ticks2, y2 = frame(max(max(p[s] for s in SEVERITIES) for p in per.values()))
    lines = []
    for s in SEVERITIES:
        pts = [(left + slot * (i + 0.5), y2(per[n][s])) for i, n in enumerate(nights)]
        lines.append({"points": " ".join(f"{x:.1f},{y:.1f}" for x, y in pts), "stroke": COLOURS[s],
                      "dots": [{"x": x, "y": y, "title": f"{n.isoformat()} {SEVERITY_ZH[s]}风险在办 {per[n][s]}"}
                               for (x, y), n in zip(pts, nights, strict=True)]})
    severity = {**bars, "id": "trend-severity", "title": "每晚在办预警（新增＋持续），按风险等级",
                "ticks": ticks2, "rects": [], "lines": lines,
                "legend": [{"text": f"{SEVERITY_ZH[s]}风险", "fill": COLOURS[s]} for s in SEVERITIES]}
    return [bars, severity]


def code_chart(rows: Sequence[Mapping[str, Any]], width: int = 760) -> dict[str, Any]:
    """Tonight's active alerts per rule as horizontal stacked bars (new, open), one bar per rule."""
    left, right, top, row_h = 230, 60, 8, 22
    height = top + row_h * len(rows) + 30
    xmax, step = _nice_max(max((r["active"] for r in rows), default=0))
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * v / xmax
    rects, labels = [], []
    for i, r in enumerate(rows):
        y0 = top + row_h * i + 4
        start = 0
        for key in ("new", "open"):
            rects.append({"x": x(start), "y": y0, "w": x(start + r[key]) - x(start), "h": row_h - 8,
                          "fill": COLOURS[key], "title": f"{r['title']} {STATUS_ZH[key]} {r[key]}"})
            start += r[key]
        labels.append({"x": left - 6, "y": y0 + row_h / 2, "text": r["title"], "anchor": "end"})
        labels.append({"x": x(start) + 4, "y": y0 + row_h / 2, "text": str(r["active"]), "anchor": "start"})
    bottom = top + row_h * len(rows)
    return {"id": "by-code", "title": "今晚在办预警，按规则（新增＋持续）", "width": width, "height": height,
            "left": left, "right": width - right, "top": top, "bottom": bottom, "rects": rects, "lines": [],
            "row_labels": labels, "xticks": [{"x": x(v), "text": str(v)} for v in range(0, xmax + 1, step)],
            "legend": [{"text": STATUS_ZH[k], "fill": COLOURS[k]} for k in ("new", "open")]}


# --- rendering ----------------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True)


def render(data: Mapping[str, Any], generated_at: datetime | None = None) -> str:
    """The report HTML of `load`'s data (pure: `generated_at` defaults to now)."""
    alerts = data["alerts"]
    codes = code_rows(data["rules"], alerts)
    high = new_high_rows(alerts, MAX_LISTED)
    high_total = sum(1 for a in alerts if a["status"] == "new" and a["severity"] == "high")
    charts = [*trend_charts(data["trend"]), code_chart(codes)]
    sources = source_rows(data["freshness"], data["runs"])
    skipped = skipped_rows(data["rules"])
    when = (generated_at or datetime.now(UTC)).astimezone()
    return _environment().get_template(TEMPLATE).render(
        as_of=data["as_of"], build_id=data["build_id"], generated=when.strftime("%Y-%m-%d %H:%M"),
        total=_total(codes), codes=codes, severities=severity_rows(alerts), towns=town_rows(alerts),
        high=high, high_total=high_total, skipped=skipped,
        reviews=review_rows(data["rules"]), sources=sources, problems=problem_deliveries(sources), charts=charts,
        nights=len({r["as_of"] for r in data["trend"]}), trend_nights=TREND_NIGHTS,
        stale_count=sum(1 for s in sources if s["bad"]), docs_index_href=data["docs_index_href"],
        colours=COLOURS)


def report_path(settings: Settings, business_date: date | str) -> Path:
    return settings.reports_dir / parse_date(business_date).isoformat() / FILE_NAME


def write_report(settings: Settings, business_date: date | str) -> Path:
    """Render the report of night `business_date` from the published warehouse and write it atomically.

    ReportDateMismatch when the published warehouse is of another night (a failed build leaves the
    previous one published; its alerts are not tonight's)."""
    day = parse_date(business_date)
    target = report_path(settings, day)
    with query.connect_current(settings) as con:
        published = query.published_as_of(con)
        if published != day:
            raise ReportDateMismatch(f"the published warehouse is of {published}, not {day}: "
                                     f"no anomaly report written for {day}")
        data = load(con, settings, target.parent)
    html = render(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target


def report_task(settings: Settings, business_date: date | str) -> str:
    """The DAG task anomaly_report: write the report of the night; its path as a string (XCom)."""
    return str(write_report(settings, business_date))
