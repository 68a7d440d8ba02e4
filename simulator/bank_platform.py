"""The provincial verification platform (核对平台) on the exchange area: it collects marked request
batches `outbox/bank/HDQ_<批次号>.json` and answers each with `landing/bank/<YYYYMMDD>/HDR_<批次号>.json`
(+ `.ok`) per bank.yaml: pickup at 17:00 on working days, arrival 2-10 calendar days later (usually
3-5 working days) at 08:00-20:00 on a working day, coverage per semantics.coverage, and the quirks
no_response (~1% of batches), institution_failure (~2% of persons), name_differs (~0.5% of 成功 rows),
unrequested_person (~1 in 5,000 rows) and redelivered_response (~0.5% of batches, `_R1` 1-5 working
days later with the corrected results), plus the common broken delivery (~0.1%: a truncated response
whose marker does not match, its `_R1` 1-2 working days later).

Grain: one request batch → its planned deliveries. Everything about a batch is drawn from the
stream `bank-platform:<批次号>` of the simulation seed, so the historical responses written by
`simulate` and the ones `respond` writes later agree, and `respond` is idempotent.

What the platform answers from (written by simulator/sources/bank.py, the truth area, never read by
the pipeline): `DIR/_truth/bank_holdings.parquet` - one row per (身份证号, institution, 账户类别) with
the balance; a row whose 账户类别 is null marks an institution that fails for that person (planted
查询失败), a row whose 机构名称 is null only marks a planted person without holdings; `planted` = no
random quirk (and always an answer) for a batch naming that person. It covers every person named in
金民工程 (families, applications) and the planted persons; anyone else holds nothing (无记录).
`DIR/_truth/bank_platform.json` holds the seed.

Command (wired by the lead): `safetynet simulate-bank --exchange DIR --today YYYY-MM-DD` calls
`respond(DIR, today)` and prints how many responses it wrote.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import deliver
from simulator.ids import is_valid_id, make_ids
from simulator.rng import stream

P_NO_RESPONSE = 0.01
P_INSTITUTION_FAILURE = 0.02
P_PLATFORM_FAILURE = 0.1      # share of failures where the platform itself could not query the person
P_NAME_DIFFERS = 0.005
P_UNREQUESTED = 1 / 5000
P_REDELIVERED = 0.005
P_BROKEN = 0.001              # README section 4: marker does not match; an _R1 follows within 2 days
#: Working days from pickup to arrival (bank.yaml: 2-10 calendar days, usually 3-5 working days).
WAIT_DAYS = (2, 3, 4, 5, 6, 7)
WAIT_P = (0.08, 0.27, 0.3, 0.2, 0.1, 0.05)
REQUEST_NAME = re.compile(r"^HDQ_(HD370481\d{12})\.json$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
HOLDINGS_FILE = Path("_truth") / "bank_holdings.parquet"
META_FILE = Path("_truth") / "bank_platform.json"

#: Institutions that may fail to answer (a random one per institution_failure).
FAILING_INSTITUTIONS = (
    "中国工商银行股份有限公司滕州支行", "中国农业银行股份有限公司滕州市支行", "中国银行股份有限公司滕州支行",
    "中国建设银行股份有限公司滕州支行", "中国邮政储蓄银行股份有限公司滕州市支行", "枣庄银行股份有限公司滕州支行",
    "中泰证券股份有限公司滕州营业部", "齐鲁银行股份有限公司枣庄滕州支行", "山东滕州农村商业银行股份有限公司")
#: Variant characters an institution may hold for a name (quirk name_differs).
_VARIANTS = dict(zip("伟强军杰涛明刚华飞波浩健俊龙林国兴文志海东芳娜敏静丽艳娟霞英燕玲兰萍红梅莉雪慧婷颖云凤荣玉",
                     "玮墙君傑滔铭钢骅菲博皓建骏隆琳國星雯智凯東方那民晶莉燕鹃侠瑛艳铃蘭平宏玫丽雪惠亭莹芸鳳蓉钰",
                     strict=True))


@dataclass(frozen=True)
class Holdings:
    """What the institutions hold: 身份证号 → [(机构名称, 账户类别 or None = fails, 余额 or None)]."""

    by_id: Mapping[str, tuple[tuple[str, str | None, float | None], ...]] = field(default_factory=dict)
    planted: frozenset[str] = frozenset()

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Holdings:
        """From columns id_number, institution, category, balance, planted."""
        by_id: dict[str, list[tuple[str, str | None, float | None]]] = {}
        insts = df["institution"].astype(object).where(df["institution"].notna(), None)
        cats = df["category"].astype(object).where(df["category"].notna(), None)
        bals = df["balance"].astype(object).where(df["balance"].notna(), None)
        for idn, inst, cat, bal in zip(df["id_number"], insts, cats, bals, strict=True):
            if inst is None:
                continue  # a planted person without holdings: only marks him planted
            by_id.setdefault(str(idn), []).append((str(inst), cat, None if bal is None else float(bal)))
        planted = frozenset(str(x) for x in df.loc[df["planted"].astype(bool), "id_number"])
        return cls({k: tuple(v) for k, v in by_id.items()}, planted)


@dataclass(frozen=True)
class Delivery:
    """One response file the platform delivers: its arrival time, file name and JSON object."""

    arrival: datetime
    name: str
    payload: dict
    broken: bool = False      # written with a marker that does not match (truncated transfer)


def pickup_day(created: datetime) -> date:
    """The working day whose 17:00 pickup collects a request generated at `created`."""
    day = created.date()
    if cal.is_working_day(day) and created.time() <= time(17, 0):
        return day
    return cal.next_working_day_on_or_after(day + timedelta(days=1))


def _at(day: date, seconds: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(seconds=int(seconds))


def _variant(name: str) -> str:
    for i in range(len(name) - 1, -1, -1):
        if name[i] in _VARIANTS:
            return name[:i] + _VARIANTS[name[i]] + name[i + 1:]
    return name[:-1] + ("章" if name[-1] != "章" else "张")  # no known variant: a homophone


def _mis_keyed(idn: str, rng: np.random.Generator) -> str:
    """A different valid number: the sequence digits mistyped at an institution."""
    for _ in range(20):
        seq = int(rng.integers(0, 1000))
        if f"{seq:03d}" != idn[14:17]:
            birth = np.array([np.datetime64(f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}", "D")])
            return str(make_ids(np.array([idn[:6]]), birth, np.array([seq]))[0])
    raise RuntimeError("could not mis-key an ID number")


def _row(idn: str, name: str, inst: str | None, cat: str | None, bal: float | None, status: str) -> dict:
    return {"身份证号": idn, "姓名": name, "机构名称": inst, "账户类别": cat,
            "余额": None if bal is None else f"{bal:.2f}", "查询状态": status}


def _results(persons: list[dict], holdings: Holdings, rng: np.random.Generator, quirks: bool) -> list[dict]:
    """结果 rows per semantics.coverage; random quirks only when `quirks`."""
    n = len(persons)
    u_fail, u_kind, u_inst = rng.random(n), rng.random(n), rng.integers(0, len(FAILING_INSTITUTIONS), size=n)
    rows: list[dict] = []
    for i, person in enumerate(persons):
        idn, name = str(person.get("身份证号")), str(person.get("姓名") or "")
        if not is_valid_id(idn):
            rows.append(_row(idn, name, None, None, None, "查询失败"))
            continue
        held = holdings.by_id.get(idn, ())
        ok = sorted((h for h in held if h[1] is not None), key=lambda h: (h[0], h[1]))
        fails = sorted({h[0] for h in held if h[1] is None})
        if quirks and u_fail[i] < P_INSTITUTION_FAILURE:
            if u_kind[i] < P_PLATFORM_FAILURE:
                rows.append(_row(idn, name, None, None, None, "查询失败"))
                continue
            inst = FAILING_INSTITUTIONS[int(u_inst[i])]
            ok = [h for h in ok if h[0] != inst]
            fails = sorted({*fails, inst})
        for inst, cat, bal in ok:
            rows.append(_row(idn, name, inst, cat, max(float(bal or 0.0), 0.0), "成功"))
        rows.extend(_row(idn, name, inst, None, None, "查询失败") for inst in fails)
        if not ok and not fails:
            rows.append(_row(idn, name, None, None, None, "无记录"))
    if quirks:
        u_name = rng.random(len(rows))
        for row, u in zip(rows, u_name, strict=True):
            if row["查询状态"] == "成功" and u < P_NAME_DIFFERS:
                row["姓名"] = _variant(row["姓名"])
        if rows and rng.random() < len(rows) * P_UNREQUESTED:
            src = rows[int(rng.integers(len(rows)))]
            requested = {str(p.get("身份证号")) for p in persons}
            if is_valid_id(src["身份证号"]):
                other = _mis_keyed(src["身份证号"], rng)
                if other not in requested:
                    rows.append(_row(other, src["姓名"], "山东滕州农村商业银行股份有限公司", "活期存款",
                                     round(float(rng.lognormal(7, 1)), 2), "成功"))
    return rows


def plan(request: Mapping, holdings: Holdings, seed: int, *, arrival: datetime | None = None) -> list[Delivery]:
    """The deliveries answering one request batch (possibly none: no_response).

    A batch naming a planted person gets no random quirk (and always an answer). `arrival` fixes the
    arrival time (the simulator's planted batches); otherwise it is drawn.
    """
    batch = str(request["批次号"])
    created = datetime.strptime(str(request["生成时间"]), TIME_FORMAT)
    persons = list(request["查询对象"])
    rng = stream(seed, f"bank-platform:{batch}")
    u = rng.random(8)
    quirks = not any(str(p.get("身份证号")) in holdings.planted for p in persons)
    if quirks and u[0] < P_NO_RESPONSE:
        return []
    if arrival is None:
        wait = WAIT_DAYS[int(np.searchsorted(np.cumsum(WAIT_P), u[1] * sum(WAIT_P), side="right"))]
        pickup = pickup_day(created)
        day = cal.add_working_days(pickup, wait)
        while (day - pickup).days > 10:  # never more than 10 calendar days
            wait -= 1
            day = cal.add_working_days(pickup, wait)
        arrival = _at(day, 8 * 3600 + int(u[2] * 12 * 3600))
    rows = _results(persons, holdings, rng, quirks)
    broken = quirks and u[6] < P_BROKEN
    out = [Delivery(arrival, f"HDR_{batch}.json",
                    {"批次号": batch, "返回时间": arrival.strftime(TIME_FORMAT), "结果": rows}, broken)]
    if broken or (quirks and u[3] < P_REDELIVERED):
        wait = 1 + int(u[4] * (2 if broken else 5))
        again = _at(cal.add_working_days(arrival.date(), wait), 8 * 3600 + int(u[5] * 12 * 3600))
        fixed = _results(persons, holdings, rng, quirks=False)
        out.append(Delivery(again, f"HDR_{batch}_R1.json",
                            {"批次号": batch, "返回时间": again.strftime(TIME_FORMAT), "结果": fixed}))
    return out


def write_delivery(exchange: Path, delivery: Delivery, *, compact: bool = False) -> Path:
    """landing/bank/<arrival date>/<name> + marker (rows = 结果 elements)."""
    path = Path(exchange) / "landing" / "bank" / delivery.arrival.strftime("%Y%m%d") / delivery.name
    deliver.write_json(path, delivery.payload, indent=None if compact else 2)
    if delivery.broken:
        deliver.write_broken_marker(path, len(delivery.payload["结果"]), "truncated")
    else:
        deliver.write_marker(path, len(delivery.payload["结果"]))
    return path


def compact_json(batch: str, seed: int) -> bool:
    """Whether the platform writes a batch's response compact (about half) or pretty-printed."""
    return bool(stream(seed, f"bank-platform-format:{batch}").random() < 0.5)


def save_truth(exchange: Path, holdings: pd.DataFrame, seed: int) -> None:
    """Persist what `respond` answers from (columns id_number, institution, category, balance, planted)."""
    out = Path(exchange) / HOLDINGS_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    cols = ["id_number", "institution", "category", "balance", "planted"]
    holdings[cols].reset_index(drop=True).to_parquet(out, index=False)
    (Path(exchange) / META_FILE).write_text(json.dumps({"seed": int(seed)}) + "\n", encoding="utf-8")


def load_truth(exchange: Path) -> tuple[Holdings, int]:
    exchange = Path(exchange)
    seed = int(json.loads((exchange / META_FILE).read_text(encoding="utf-8"))["seed"])
    return Holdings.from_frame(pd.read_parquet(exchange / HOLDINGS_FILE)), seed


def _marker_ok(data: Path) -> bool:
    """A request counts only with a marker matching it (README section 3)."""
    marker = deliver.marker_path(data)
    if not marker.exists():
        return False
    lines = marker.read_text(encoding="ascii", errors="replace").split("\n")
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    return len(lines) >= 2 and lines[1] == f"sha256={sha}"


def answered(exchange: Path) -> set[str]:
    """Names of the response files already delivered (any folder)."""
    return {p.name for p in (Path(exchange) / "landing" / "bank").glob("*/HDR_*.json")}


def requests(exchange: Path) -> Iterable[tuple[Path, dict]]:
    """Every complete (marked) request in outbox/bank, in name order."""
    for path in sorted((Path(exchange) / "outbox" / "bank").glob("HDQ_*.json")):
        if not REQUEST_NAME.match(path.name) or not _marker_ok(path):
            continue
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
            datetime.strptime(str(request["生成时间"]), TIME_FORMAT)
            if not isinstance(request["查询对象"], list):
                continue
        except (ValueError, KeyError, TypeError):
            continue  # the platform rejects a malformed request without answering
        yield path, request


def respond(exchange: Path, today: date, *, holdings: Holdings | None = None, seed: int | None = None) -> list[Path]:
    """Answer every collected request whose response arrives by the end of `today`; returns files written.

    Idempotent: a response already in landing/bank (any folder) is never rewritten, so calling it
    day by day delivers each response on its arrival day.
    """
    if holdings is None or seed is None:
        loaded, loaded_seed = load_truth(exchange)
        holdings = holdings or loaded
        seed = loaded_seed if seed is None else seed
    done = answered(exchange)
    written: list[Path] = []
    for _, request in requests(exchange):
        created = datetime.strptime(str(request["生成时间"]), TIME_FORMAT)
        if pickup_day(created) > today:
            continue
        for delivery in plan(request, holdings, seed):
            if delivery.arrival.date() <= today and delivery.name not in done:
                written.append(write_delivery(exchange, delivery, compact=compact_json(str(request["批次号"]), seed)))
                done.add(delivery.name)
    return written
