"""The verification report (核对报告): one self-contained, A4-printable HTML page per call.

Grain: one report = one (application, household, build) with a 核对编号 and a print counter. The 核对编号 is
deterministic: 'HD' + build as_of (YYYYMMDD) + 8 hex of SHA-256(application|household|as_of) + a 2-digit
sequence that distinguishes rebuilds of the same as_of (a new build_id gets the next number). Prints are
counted per 核对编号 in $SAFETYNET_HOME/state/report_prints.json (under a file lock).

Privacy (sources/README.md section 13): the report itself may show identifiers in full; we show the
family members' ID numbers in full (staff compare them with the documents on the counter) but the header's
applicant masked, as the issue asks, since the header is what sits on top of a printed pile.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from safetynet.privacy import mask_id
from safetynet.settings import SOURCES, Settings
from warehouse.lookup import PROGRAMS, SOURCE_VALUES, Authorization

PURPOSE = "仅供本行政区域内社会救助审核使用"
OBJECTION_DAYS = 5
TEMPLATE = "verification.html.j2"

#: Chinese labels of profile values (shown per source and in the computation).
LABELS: dict[str, str] = {
    "income_wage": "工资性收入（月均）", "income_pension": "养老金（月均）", "income_business": "经营性收入（月均）",
    "income_property": "财产性收入（月均）", "income_transfer": "转移性收入（月均）",
    "financial_assets_total": "金融资产合计", "residential_property_count": "住宅套数",
    "residential_property_area": "住宅面积（㎡）", "nonresidential_property_count": "非住宅套数",
    "vehicle_count": "机动车数", "nonexempt_vehicle_count": "非豁免机动车数",
    "active_business_count": "经营主体数", "medical_out_of_pocket_12m": "12个月医疗自付",
    "severe_disability_count": "重度残疾人数", "assistance_category": "现享救助类别",
    "assistance_monthly_amount": "现享救助月金额",
}


def prints_path(settings: Settings) -> Path:
    return settings.state_dir / "report_prints.json"


@contextmanager
def _locked_state(settings: Settings) -> Iterator[dict[str, Any]]:
    path = prints_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".report_prints.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        yield state
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)


def allocate(settings: Settings, application: str, household_id: str, as_of: Any, build_id: str,
             ) -> tuple[str, int]:
    """(核对编号, print number of this print), counting this print."""
    digest = hashlib.sha256(f"{application}|{household_id}|{as_of}".encode()).hexdigest()[:8].upper()
    base = f"HD{str(as_of).replace('-', '')}{digest}"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with _locked_state(settings) as state:
        builds = state.setdefault("_sequences", {}).setdefault(base, [])
        if build_id not in builds:
            builds.append(build_id)
        report_id = f"{base}-{builds.index(build_id) + 1:02d}"
        entry = state.setdefault(report_id, {"prints": 0, "first_print": now, "build_id": build_id})
        entry["prints"] += 1
        entry["last_print"] = now
        return report_id, entry["prints"]


def _num(v: Any) -> Decimal:
    return Decimal(str(v)) if v is not None else Decimal(0)


def _plain(v: Any) -> str:
    """A parameter without trailing zeros: 1.3000 -> 1.3, 24.0000 -> 24."""
    d = _num(v).normalize()
    return f"{d:f}"


def _money(v: Any) -> str:
    return "—" if v is None else f"{_num(v):,.2f}"


def _show(v: Any) -> str:
    if v is None:
        return "无"
    return _money(v) if isinstance(v, Decimal | float) else str(v)


def computation(prof: dict[str, Any] | None, household: dict[str, Any],
                params: dict[str, Decimal]) -> list[dict[str, str]]:
    """The income and asset steps against the standards (policy.md sections 3-5), as display rows."""
    if prof is None:
        return [{"step": "家庭档案", "formula": "本户暂无档案数据", "value": "—", "standard": "—", "verdict": "—"}]
    area = prof.get("area") or household.get("area") or "urban"
    dibao = params.get(f"dibao_{area}/{area}") or params.get("dibao_urban/urban") or Decimal(0)
    n = max(int(prof["member_count"] or 0), 1)
    parts = ["income_wage", "income_pension", "income_business", "income_property", "income_transfer"]
    total = sum((_num(prof[p]) for p in parts), Decimal(0))
    per_capita = total / n
    tekun = dibao * params.get("tekun_multiplier/all", Decimal("1.3"))
    edge = dibao * params.get("edge_multiplier/all", Decimal("1.5"))
    months = params.get("fin_asset_months/all", Decimal(24))
    assets = prof["financial_assets_total"]

    def ok(cond: bool) -> str:
        return "符合" if cond else "不符合"

    rows = [
        {"step": "① 家庭月收入", "formula": " + ".join(f"{LABELS[p]} {_money(prof[p])}" for p in parts),
         "value": _money(total), "standard": "—", "verdict": "—"},
        {"step": "② 人均月收入", "formula": f"{_money(total)} ÷ {n} 人", "value": _money(per_capita),
         "standard": f"低保标准 {_money(dibao)}（{'城市' if area == 'urban' else '农村'}）",
         "verdict": ok(per_capita < dibao)},
        {"step": "③ 特困/低保边缘对照", "formula": f"低保标准 × {_plain(params.get('tekun_multiplier/all', '1.3'))} / "
         f"× {_plain(params.get('edge_multiplier/all', '1.5'))}", "value": _money(per_capita),
         "standard": f"{_money(tekun)} / {_money(edge)}", "verdict": ok(per_capita < edge)},
        {"step": "④ 人均金融资产",
         "formula": "无银行核对结果" if assets is None else f"{_money(assets)} ÷ {n} 人",
         "value": "—" if assets is None else _money(_num(assets) / n),
         "standard": f"≤ {_plain(months)} × {_money(dibao)} = {_money(months * dibao)}",
         "verdict": "未知" if assets is None else ok(_num(assets) / n <= months * dibao)},
        {"step": "⑤ 住宅", "formula": f"{prof['residential_property_count']} 套，"
         f"{_money(prof['residential_property_area'])} ㎡", "value": str(prof["residential_property_count"]),
         "standard": f"≤ {_plain(params.get('max_residential_units/all', 1))} 套",
         "verdict": ok(_num(prof["residential_property_count"]) <= params.get("max_residential_units/all", 1))},
        {"step": "⑥ 非住宅房产", "formula": "商业、办公、工业用房", "value": str(prof["nonresidential_property_count"]),
         "standard": "0", "verdict": ok(not prof["nonresidential_property_count"])},
        {"step": "⑦ 非豁免机动车", "formula": f"机动车 {prof['vehicle_count']} 辆",
         "value": str(prof["nonexempt_vehicle_count"]), "standard": "0",
         "verdict": ok(not prof["nonexempt_vehicle_count"])},
        {"step": "⑧ 经营主体", "formula": "法定代表人、股东、投资人等", "value": str(prof["active_business_count"]),
         "standard": "0", "verdict": ok(not prof["active_business_count"])},
        {"step": "⑨ 医疗自付（12个月）", "formula": "刚性支出参考",
         "value": _money(prof["medical_out_of_pocket_12m"]),
         "standard": f"≥ {_money(params.get('hardship_min_oop/all'))}", "verdict": "—"},
    ]
    return rows


def source_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per source: checked?, data found for the family or none, as-of date and the values it feeds."""
    prof = data["profile"] or {}
    out = []
    order = {s: i for i, s in enumerate(SOURCES)}
    for f in sorted(data["freshness"], key=lambda f: order.get(f["source"], len(order))):
        if not f["has_data"]:
            status = "未核对（暂无数据）"
        elif f["members_found"]:
            status = f"已核对，有数据（{f['members_found']} 人）"
        else:
            status = "已核对，无记录"
        values = "；".join(f"{LABELS[k]} {_show(prof[k])}" for k in SOURCE_VALUES.get(f["source"], ()) if k in prof)
        as_of = prof.get(f"asof_{f['source']}") or f["latest_business_date"] or "—"
        out.append({"name": f["name_zh"], "status": status, "as_of": as_of,
                    "stale": bool(f["is_stale"]), "found": values or "—"})
    return out


#: mart.eligibility.reasons rule ids -> (what is checked, how the input compares with the threshold).
RULE_ZH: dict[str, tuple[str, str]] = {
    "has_members": ("家庭成员人数", "> 0"),
    "income_below_dibao": ("人均月收入低于低保标准", "<"),
    "income_below_edge": ("人均月收入低于低保边缘标准", "<"),
    "member_without_labor_capacity": ("有无劳动能力成员（60岁以上、16岁以下或重度残疾）", "> 0"),
    "no_able_member_aged_18_59": ("无18-59岁有劳动能力成员", "= 0"),
    "financial_assets_limit": ("人均金融资产不超过限额", "≤"),
    "residential_property_limit": ("住宅套数不超过限额", "≤"),
    "nonresidential_property_limit": ("无非住宅房产", "≤"),
    "vehicle_limit": ("无非豁免机动车", "≤"),
    "business_limit": ("无经营主体身份", "≤"),
    "not_dibao_or_tekun": ("不符合低保、特困条件", ""),
    "not_other_program": ("不符合其他救助项目", ""),
    "annual_income_below_disposable": ("人均年收入低于上年居民人均可支配收入", "<"),
    "medical_share_of_income": ("医疗自付占家庭年收入比例达到标准", "≥"),
}
#: Input names of the rules -> Chinese labels.
INPUT_ZH: dict[str, str] = {
    "member_count": "成员人数", "income_12m_x3": "12个月收入合计", "monthly_income_per_capita": "人均月收入",
    "without_labor_capacity_count": "无劳动能力成员数", "able_member_aged_18_59_count": "18-59岁有劳动能力成员数",
    "financial_assets_total": "金融资产合计", "known": "金融资产已查询", "residential_property_count": "住宅套数",
    "nonresidential_property_count": "非住宅套数", "nonexempt_vehicle_count": "非豁免机动车数",
    "active_business_count": "经营主体数", "annual_income_per_capita": "人均年收入", "annual_income": "家庭年收入",
    "medical_out_of_pocket_12m": "12个月医疗自付", "DIBAO": "低保", "TEKUN": "特困", "DIBAO_EDGE": "低保边缘",
}


def _input_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        shown = "是" if value else "否"
    elif key in PROGRAMS and isinstance(value, bool | None):
        shown = "—"
    else:
        shown = _show(value)
    return f"{INPUT_ZH.get(key, key)} {shown}"


def _reasons(value: Any) -> list[dict[str, str]]:
    """mart.eligibility.reasons (JSON list of {rule, inputs, threshold, parameters, passed}) as table rows in
    Chinese: the check, its inputs, the standard (with the parameter rows it came from) and the result."""
    if value is None:
        return []
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return [{"rule": str(value), "inputs": "", "standard": "", "result": ""}]
    if not isinstance(items, list):
        items = [items]
    rows = []
    for item in items:
        if not isinstance(item, dict):
            rows.append({"rule": str(item), "inputs": "", "standard": "", "result": ""})
            continue
        name, comparator = RULE_ZH.get(str(item.get("rule")), (str(item.get("rule")), ""))
        inputs = item.get("inputs") if isinstance(item.get("inputs"), dict) else {}
        threshold = item.get("threshold")
        standard = f"{comparator} {_show(threshold)}".strip() if threshold is not None and comparator else "—"
        params = [f"{p.get('name')} = {_show(p.get('value'))}（{p.get('effective_from')} 起）"
                  for p in item.get("parameters") or [] if isinstance(p, dict)]
        if params:
            standard += "；依据 " + "、".join(params)
        passed = item.get("passed")
        rows.append({"rule": name, "inputs": "；".join(_input_text(k, v) for k, v in inputs.items()) or "—",
                     "standard": standard, "result": "通过" if passed is True else "未通过" if passed is False
                     else "未知（数据缺失）"})
    return rows


def program_rows(eligibility: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """One row per program, with its rule rows; None when mart.eligibility is not published (暂不可用)."""
    if eligibility is None:
        return None
    by_code = {str(r.get("program")): r for r in eligibility}
    rows = []
    for code, name in PROGRAMS.items():
        r = by_code.get(code)
        if r is None:
            rows.append({"name": name, "result": "无结果", "rules": [], "standard_amount": "—", "version": "—"})
            continue
        flag = r.get("eligible", r.get("is_eligible"))
        result = "符合" if flag is True else "不符合" if flag is False else str(flag)
        rows.append({"name": name, "result": result, "rules": _reasons(r.get("reasons")),
                     "standard_amount": _show(r.get("standard_amount")), "version": r.get("rule_version") or "—"})
    return rows


def render(data: dict[str, Any], auth: Authorization, report_id: str, print_no: int,
           operator: str, reason: str) -> str:
    """The report HTML (pure apart from the current time)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    household = data["household"]
    applicant = auth.applicant_id_number or household.get("head_id_number")
    params = {k: Decimal(str(v)) for k, v in data["parameters"].items()}
    return env.get_template(TEMPLATE).render(
        report_id=report_id, print_no=print_no, now=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
        as_of=data["as_of"], build_id=data["build_id"], auth=auth, operator=operator, reason=reason,
        applicant=mask_id(applicant) if applicant else "—", household=household,
        members=data["members"], sources=source_rows(data),
        steps=computation(data["profile"], household, params), programs=program_rows(data["eligibility"]),
        purpose=PURPOSE, objection_days=OBJECTION_DAYS)


def write(settings: Settings, data: dict[str, Any], auth: Authorization, out: Path, operator: str,
          reason: str) -> tuple[str, int]:
    """Count a print, render and write the report to `out` (atomically); returns (核对编号, print number)."""
    report_id, print_no = allocate(settings, auth.application_no, data["household"]["household_id"],
                                   data["as_of"], data["build_id"])
    html = render(data, auth, report_id, print_no, operator, reason)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return report_id, print_no
