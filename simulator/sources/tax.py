"""Source `tax`: monthly GS_YYYYMM.csv deliveries of individual income tax declaration lines.

Grain: one line per accepted declaration (纳税人识别号, 申报序号); exact resends repeat a line.
Rendered from the economy world table `tax_income` (one row per group: person, agent, item, period):
each group is declared once, normally in the month after its period by the 15th (经营所得 after the
quarter), and the delivery made on the 20th (or next working day; ~10% late by 1-5 working days)
holds the lines accepted from the previous delivery date up to the day before. Quirks (background
groups only): correction, reversal (~70% re-declared), exact_duplicate, late_declaration,
unpaid tax; zero_income and non_id_taxpayer come from the world. Planted groups are declared on time,
with the 更正申报 / 冲正 their facts state, in the same delivery as the original line.
History: the deliveries from `history_start` (monthly_history_start less one quarter, which the
policy's 经营所得 rule needs) to as-of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator import calendar, deliver, schedule
from simulator.domains.economy import (
    ITEM_BUSINESS,
    ITEM_INTEREST,
    ITEM_LABOR,
    ITEM_RENT,
    ITEM_WAGE,
    money_array,
    month_index,
    text_array,
    to_cents,
    yyyymm,
)
from simulator.world import World

SOURCE = "tax"
COLUMNS = ("纳税人识别号", "纳税人姓名", "所得项目", "所得期间起", "所得期间止", "收入额", "应纳税额", "已缴税额",
           "扣缴义务人名称", "申报日期", "申报序号")
P_LATE = 0.01
P_CORRECTION = 0.005
P_REVERSAL = 0.001
P_REDECLARED = 0.7
P_DUPLICATE = 0.003
P_UNPAID = 0.005
EXTRA_HISTORY_MONTHS = 3
_DAY = np.timedelta64(1, "D")
_WAGE_BRACKETS = ((3000, 0.03, 0), (12000, 0.10, 210), (25000, 0.20, 1410), (35000, 0.25, 2660),
                  (55000, 0.30, 4410), (80000, 0.35, 7160), (np.inf, 0.45, 15160))


@dataclass(frozen=True)
class Delivery:
    """One monthly delivery: GS_<period> made on `day` holding lines accepted in [window_start, day)."""

    period: str
    day: date
    window_start: date
    fate: schedule.Fate
    redelivery_day: date | None


def history_start(world: World) -> date:
    """First business date delivered: the monthly history, one quarter earlier.

    The policy's 经营所得 rule needs the cumulative line of the quarter before the window's first
    quarter, filed up to 15 months before the as-of date (two months before monthly_history_start).
    """
    start = world.cfg.monthly_history_start
    mi = month_index(start) - EXTRA_HISTORY_MONTHS
    return date(mi // 12, mi % 12 + 1, 1)


def deliveries(world: World) -> list[Delivery]:
    """The deliveries whose business date (= folder date) lies from `history_start` to as-of."""
    cfg = world.cfg
    start = history_start(world)
    first, last = month_index(start), month_index(cfg.as_of)
    days: list[tuple[int, date, schedule.Fate]] = []
    for x in range(first - 2, last + 1):
        fate = schedule.delivery_fate(world, SOURCE, yyyymm(x - 1), manual=True)
        d = calendar.monthly_delivery_date(x // 12, x % 12 + 1, 20)
        days.append((x, calendar.add_working_days(d, fate.late_working_days), fate))
    out = []
    for (_, prev, _), (x, day, fate) in zip(days, days[1:], strict=False):
        if not start <= day <= cfg.as_of:
            continue
        redo = calendar.add_working_days(day, 1 + int(fate.broken)) if fate.redelivered else None
        out.append(Delivery(yyyymm(x - 1), day, prev, fate, redo if redo and redo <= cfg.as_of else None))
    return out


# ---- tax amounts -----------------------------------------------------------------------------

def _tax_due(item: np.ndarray, amount: np.ndarray, special: np.ndarray) -> np.ndarray:
    """应纳税额 (yuan) of a line, simplified withholding rules per 所得项目."""
    wage_taxable = np.maximum(amount - 5000 - 0.105 * np.minimum(amount, 22_000) - special, 0)
    wage_tax = np.zeros_like(amount)
    lower = 0.0
    for top, rate, quick in _WAGE_BRACKETS:
        hit = (wage_taxable > lower) & (wage_taxable <= top)
        wage_tax = np.where(hit, wage_taxable * rate - quick, wage_tax)
        lower = top
    labor_base = np.where(amount <= 4000, np.maximum(amount - 800, 0), amount * 0.8)
    labor_tax = np.select([labor_base <= 20_000, labor_base <= 50_000],
                          [labor_base * 0.2, labor_base * 0.3 - 2000], labor_base * 0.4 - 7000)
    rent_tax = np.where(amount <= 4000, np.maximum(amount - 800, 0), amount * 0.8) * 0.1
    tax = np.select([item == ITEM_WAGE, item == ITEM_LABOR, item == ITEM_RENT, item == ITEM_INTEREST],
                    [wage_tax, labor_tax, rent_tax, amount * 0.2], amount * 0.01)
    return np.maximum(tax, 0)


# ---- dates -----------------------------------------------------------------------------------

def _month_start(mi: np.ndarray) -> np.ndarray:
    return (np.asarray(mi, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _working(d: np.ndarray) -> np.ndarray:
    """Saturdays and Sundays move to the next Monday."""
    wd = (d.astype(np.int64) + 3) % 7  # 0 = Monday
    return d + np.where(wd == 5, 2, np.where(wd == 6, 1, 0)) * _DAY


def _uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """A uniform [0, 1) number per key (splitmix64), the same wherever the key occurs."""
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _filing_dates(agent: np.ndarray, period: np.ndarray, self_declared: np.ndarray, planted: np.ndarray,
                  seed: int, rng: np.random.Generator) -> np.ndarray:
    """Regular 申报日期: the month after the period, days 1-15, early days likelier; one day per agent
    and period (all of an employer's lines are filed together), any day for self-declared lines."""
    u = _uniform(agent.astype(np.int64) * 10**6 + period, seed)
    day = np.minimum(np.ceil(np.log1p(-u) / np.log(1 - 0.18)), 15).astype(np.int64)
    n = len(agent)
    day = np.where(self_declared, rng.integers(1, 16, n), day)
    day = np.where(planted, rng.integers(1, 9, n), day)
    return _working(_month_start(period + 1) + (day - 1) * _DAY)


# ---- lines -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lines:
    """Declaration lines as arrays: group (row of tax_income), amounts in cents, 申报日期, 申报序号 key."""

    g: np.ndarray
    amount: np.ndarray
    tax: np.ndarray
    paid: np.ndarray
    day: np.ndarray
    serial: np.ndarray  # months since 1970 * 10**6 + the month's counter (same order as the text)


_CHUNK = 1_000_000


def _chunk_lines(world: World, start: int, stop: int, lo: np.datetime64, hi: np.datetime64,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The lines of groups [start, stop) accepted in [lo, hi): the declaration and its follow-ups."""
    g = world.tables["tax_income"].iloc[start:stop]
    n = len(g)
    planted = g["planted"].to_numpy()
    truth = to_cents(g["amount"].to_numpy())
    period = g["period_mi"].to_numpy().astype(np.int64)
    agent = g["agent"].cat.codes.to_numpy()
    self_declared = agent == g["agent"].cat.categories.get_indexer([""])[0]
    d0 = _filing_dates(agent, period, self_declared, planted, world.cfg.seed, rng)
    late = (rng.random(n) < P_LATE) & ~planted
    d0 = np.where(late, _working(_month_start(period + 2 + rng.integers(0, 5, n)) + rng.integers(0, 28, n) * _DAY), d0)
    first = g["first_declared"].to_numpy()
    p_corr = ~np.isnan(first)
    corr = ((rng.random(n) < P_CORRECTION) & ~planted) | p_corr
    wrong = np.round(truth * np.where(rng.random(n) < 0.5, rng.uniform(0.5, 0.95, n), rng.uniform(1.05, 1.5, n)))
    wrong = np.where(wrong == truth, truth + 100, wrong).astype(np.int64)
    base = np.where(p_corr, to_cents(np.nan_to_num(first)), np.where(corr, wrong, truth))
    rev = ((rng.random(n) < P_REVERSAL) & ~planted & ~corr & (base > 0)) | g["reversed_only"].to_numpy()
    redo = rev & ~planted & (rng.random(n) < P_REDECLARED)
    # Follow-up lines are accepted on later days: 更正申报, then 冲正 of the latest line, then a new line.
    follow = np.where(planted, rng.integers(1, 5, n), rng.integers(1, 36, n)) * _DAY
    d1 = _working(d0 + follow)
    d2 = np.where(corr, _working(d1 + follow), d1)
    d3 = _working(d2 + rng.integers(1, 16, n) * _DAY)
    item = np.asarray(g["item"].cat.categories, dtype=object)[g["item"].cat.codes.to_numpy()]
    special = (np.maximum(g["pid"].to_numpy(), 0) % 4) * 1000.0

    def due(cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tax = to_cents(_tax_due(item, cents / 100, special))
        unpaid = (rng.random(n) < P_UNPAID) & ~planted & (tax > 0)
        return tax, np.where(unpaid, np.floor(tax * rng.uniform(0, 0.9, n)).astype(np.int64), tax)

    tax0, paid0 = due(base)
    tax1, paid1 = due(truth)
    # A 冲正 negates the line it reverses exactly (the corrected one if any), unpaid share included.
    tax2, paid2 = -np.where(corr, tax1, tax0), -np.where(corr, paid1, paid0)
    amt2 = -np.where(corr, truth, base)
    idx = np.arange(start, stop)
    kinds = ((np.ones(n, dtype=bool), base, tax0, paid0, d0), (corr, truth, tax1, paid1, d1),
             (rev, amt2, tax2, paid2, d2), (redo, truth, tax1, paid1, d3))
    parts = []
    for sel, amt, tax, paid, day in kinds:
        sel = sel & (day >= lo) & (day < hi)
        parts.append({"g": idx[sel].astype(np.int32), "amount": amt[sel], "tax": tax[sel], "paid": paid[sel],
                      "day": day[sel]})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _lines(world: World, lo: date, hi: date) -> Lines:
    """Every declaration line accepted in [lo, hi) with its 申报序号 (duplicates not yet added).

    Built a chunk of groups at a time (temporaries stay small at full scale).
    """
    rng = world.rng("tax:lines")
    n = len(world.tables["tax_income"])
    lo64, hi64 = np.datetime64(lo, "D"), np.datetime64(hi, "D")
    chunks = [_chunk_lines(world, a, min(a + _CHUNK, n), lo64, hi64, rng) for a in range(0, n, _CHUNK)]
    r = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    # 申报序号: 1001 + 370481 + YYMM of acceptance + a counter of the month (with gaps), in acceptance order.
    order = np.lexsort((rng.random(len(r["g"])), r["day"]))
    ym = r["day"][order].astype("datetime64[M]").astype(np.int64)
    inc = rng.integers(1, 3, len(order))
    starts = np.r_[True, ym[1:] != ym[:-1]]
    grp = np.cumsum(starts) - 1
    offsets = rng.integers(1, 1000, int(grp.max()) + 1 if len(grp) else 0)
    csum = np.cumsum(inc)
    seq = csum - (csum - inc)[starts][grp] + offsets[grp]
    if len(seq) and seq.max() >= 10**6:
        raise ValueError("申报序号 counter overflow")
    serial = np.empty(len(order), dtype=np.int64)
    serial[order] = ym * 10**6 + seq
    return Lines(g=r["g"], amount=r["amount"], tax=r["tax"], paid=r["paid"], day=r["day"], serial=serial)


# ---- rendering -------------------------------------------------------------------------------

class _Texts:
    """Arrow lookup tables for rendering lines: persons then foreign taxpayers, items, agents."""

    def __init__(self, world: World) -> None:
        g = world.tables["tax_income"]
        people, foreign = world.people, world.tables["foreign_taxpayers"]
        self.n_people = len(people)
        self.ids = pa.concat_arrays([text_array(people["id_number"]), text_array(foreign["taxpayer_id"])])
        self.names = pa.concat_arrays([text_array(people["name"]), text_array(foreign["name"])])
        self.items = text_array(g["item"].cat.categories)
        self.agents = pa.array([a or None for a in g["agent"].cat.categories], type=pa.string())


def _pad(v: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(v), pa.string()), width, "0")


def _serial_text(serial: np.ndarray) -> pa.Array:
    """申报序号: 1001 + 370481 + YYMM of acceptance + the month's 6-digit counter."""
    ym, seq = serial // 10**6, serial % 10**6
    return pc.binary_join_element_wise(pa.scalar("1001370481"), _pad((ym // 12 + 1970) % 100, 2),
                                       _pad(ym % 12 + 1, 2), _pad(seq, 6), "")


def _dates(d: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(d.astype("datetime64[D]"), type=pa.date32()), pa.string())


def _take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    return values.take(pa.array(idx, type=pa.int64()))


def _render(world: World, texts: _Texts, lines: Lines, rows: np.ndarray) -> pd.DataFrame:
    """The contract's columns (all text) for the lines `rows`, in that order."""
    g = world.tables["tax_income"]
    gi = lines.g[rows]
    pid = g["pid"].to_numpy()[gi]
    who = np.where(pid >= 0, pid, texts.n_people + g["fid"].to_numpy()[gi])
    item = g["item"].cat.codes.to_numpy()[gi]
    period = g["period_mi"].to_numpy()[gi].astype(np.int64)
    business = g["item"].cat.categories.get_loc(ITEM_BUSINESS)
    start = np.where(item == business, _month_start(period // 12 * 12), _month_start(period))
    end = _month_start(period + 1) - _DAY
    table = pa.table({
        "纳税人识别号": _take(texts.ids, who), "纳税人姓名": _take(texts.names, who),
        "所得项目": _take(texts.items, item), "所得期间起": _dates(start), "所得期间止": _dates(end),
        "收入额": money_array(lines.amount[rows]), "应纳税额": money_array(lines.tax[rows]),
        "已缴税额": money_array(lines.paid[rows]),
        "扣缴义务人名称": _take(texts.agents, g["agent"].cat.codes.to_numpy()[gi]),
        "申报日期": _dates(lines.day[rows]), "申报序号": _serial_text(lines.serial[rows]),
    })
    return table.to_pandas()


def _write_file(world: World, texts: _Texts, folder: date, name: str, lines: Lines, rows: np.ndarray,
                broken: bool) -> None:
    path = world.cfg.out / "landing" / SOURCE / f"{folder:%Y%m%d}" / name
    n = deliver.write_csv(path, _render(world, texts, lines, rows), encoding="utf-8", bom=False, quoting="all",
                          line_ending="\n")
    if broken:
        kind = ("rows", "sha256", "truncated")[int(world.rng(f"tax:broken:{name}").integers(3))]
        deliver.write_broken_marker(path, n, kind)
    else:
        deliver.write_marker(path, n)


def write(world: World) -> list[Delivery]:
    """Write every GS delivery (and re-delivery) of the simulated history and window."""
    dels = deliveries(world)
    if not dels:
        return dels
    lines = _lines(world, dels[0].window_start, dels[-1].day)
    texts = _Texts(world)
    planted = world.tables["tax_income"]["planted"].to_numpy()[lines.g]
    bounds = np.array([np.datetime64(d.window_start, "D") for d in dels] + [np.datetime64(dels[-1].day, "D")])
    which = np.searchsorted(bounds, lines.day, side="right") - 1
    rng = world.rng("tax:duplicates")
    n = len(lines.g)
    dup = (rng.random(n) < P_DUPLICATE) & ~planted
    dup_to = np.where(rng.random(n) < 0.5, which, which + 1)
    for k, d in enumerate(dels):
        rows = np.concatenate([np.flatnonzero(which == k), np.flatnonzero(dup & (dup_to == k))])
        rows = rows[np.argsort(lines.serial[rows], kind="stable")]
        name = f"GS_{d.period}.csv"
        if d.fate.redelivered:
            # The original is flawed (a few lines short) or broken; the _R1 is complete.
            short = rows
            if not d.fate.broken:
                pr = planted[rows]
                drop = (world.rng(f"tax:short:{d.period}").random(len(rows)) < 0.002) & ~pr
                drop[np.flatnonzero(~pr)[:1]] = True
                short = rows[~drop]
            _write_file(world, texts, d.day, name, lines, short, broken=d.fate.broken)
            if d.redelivery_day is not None:
                _write_file(world, texts, d.redelivery_day, deliver.redelivery_name(name, 1), lines, rows, False)
        else:
            _write_file(world, texts, d.day, name, lines, rows, broken=False)
    return dels
