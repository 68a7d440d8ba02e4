"""Source `social_insurance`: the 人社 front database (si_contribution, si_benefit) after the push of as-of + 1.

Grain: si_contribution one row per (个人编号, 险种类型, 缴费年月); si_benefit one row per (身份证号码,
待遇类型, 发放年月). Rendered from the economy world tables (`jobs`, `benefits`, `resident_contrib`):
month M is bulk-loaded on the 10th-15th of M+1 (更新时间 then), 170 contributions are annual rows
'YYYY01' paid mostly January-June, pensions raised from January are recalculated in place in July.
Quirks (background rows only): back_contribution, cancelled_contribution, two_person_numbers,
benefit_after_death, late_push, ID formats legacy_15 / lowercase_x. Retention: the 36 months before
the as-of month; the as-of month itself holds only 170 rows 'YYYY01' in January. Rows are built and
inserted in chunks, each a range of the table's key spanning all months (memory stays bounded at
full scale, and SQLite's primary-key index only grows at its end).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator import deliver, schedule
from simulator.domains.economy import (
    BENEFIT_KINDS,
    money_array,
    month_index,
    months_of,
    si_contribution_base,
    si_floor,
    text_array,
    to_cents,
    yyyymm,
)
from simulator.ids import render_legacy15, render_lowercase_x
from simulator.world import World

SOURCE = "social_insurance"
RETENTION_MONTHS = 36
P_BACK = 0.02
P_CANCELLED = 0.0005
P_TWO_NUMBERS = 0.003
P_AFTER_DEATH_ROWS = 0.001
P_LATE_PUSH = 0.01
ID_RATES = {"legacy_15": 0.005, "lowercase_x": 0.001}

_C = deliver.ColumnDDL
CONTRIBUTION = deliver.TableDDL(columns=(
    _C("个人编号", "VARCHAR(20)", False), _C("身份证号码", "VARCHAR(18)", False), _C("姓名", "VARCHAR(50)", False),
    _C("险种类型", "CHAR(3)", False), _C("单位编号", "VARCHAR(20)"), _C("单位名称", "VARCHAR(200)"),
    _C("缴费年月", "CHAR(6)", False), _C("缴费基数", "NUMERIC(12,2)"), _C("个人缴费金额", "NUMERIC(12,2)", False),
    _C("更新时间", "TIMESTAMP(0)", False),
), key=("个人编号", "险种类型", "缴费年月"))
BENEFIT = deliver.TableDDL(columns=(
    _C("身份证号码", "VARCHAR(18)", False), _C("待遇类型", "VARCHAR(20)", False), _C("发放年月", "CHAR(6)", False),
    _C("发放金额", "NUMERIC(12,2)", False), _C("更新时间", "TIMESTAMP(0)", False),
), key=("身份证号码", "待遇类型", "发放年月"))

_SEC = np.timedelta64(1, "s")
_DAY = np.timedelta64(1, "D")


def _day(y: int, m: int, d: int) -> np.datetime64:
    return np.datetime64(date(y, m, d), "s")


def _month_start(mi: int | np.ndarray) -> np.ndarray:
    """First second of a month index (vectorised)."""
    return (np.asarray(mi, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[s]")


class _Ctx:
    """What every month's rows need: cutoff, person numbers, rendered IDs and names (Arrow, for take())."""

    def __init__(self, world: World) -> None:
        cfg = world.cfg
        self.world = world
        self.asof = month_index(cfg.as_of)
        self.first = self.asof - RETENTION_MONTHS
        self.ref_year = cfg.as_of.year
        night = schedule.last_push_night(world, SOURCE)
        self.cutoff = np.datetime64(datetime(night.year, night.month, night.day), "s")
        people = world.people
        self.names = text_array(people["name"])
        self.planted = (people["planted"] != "").to_numpy()
        self.death_mi = months_of(people["death_date"])
        rng = world.rng("social_insurance:persons")
        n = len(people)
        nums = _unique_numbers(2 * n, rng)
        self.number, self.number_old = nums[:n], nums[n:]
        # two_person_numbers: months before the split month are booked under the old number.
        two = (rng.random(n) < P_TWO_NUMBERS) & ~self.planted
        self.split = np.where(two, self.first + rng.integers(3, RETENTION_MONTHS - 3, n), -1)
        self.ids = _rendered_ids(world, _row_weights(world, self.first, self.asof), self.planted)
        # Rank of each person's 身份证号码 in text order (si_benefit rows are inserted in key order).
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[pc.sort_indices(self.ids).to_numpy()] = np.arange(n)
        emps = world.tables["employers"]
        self.unit_no = text_array(emps["unit_no"])
        self.unit_name = text_array(emps["name"])
        self.months = text_array([yyyymm(m) for m in range(self.first, self.asof + 1)])
        # Chunks of ~200k rows (~16M contribution rows at full scale): bounded memory while inserting.
        self.buckets = max(1, round(cfg.scale * 80))


def _row_weights(world: World, first: int, asof: int) -> np.ndarray:
    """Rows each person has in the retention window (so ID quirks hit the stated share of rows)."""
    w = np.zeros(len(world.people))
    jobs = world.tables["jobs"]
    jobs = jobs[jobs["kind"] != "none"]
    for t, mult in ((jobs, 1 + jobs["si_210"].to_numpy() + jobs["si_410"].to_numpy()),
                    (world.tables["benefits"], 1)):
        months = np.clip(np.minimum(t["end_mi"].to_numpy(), asof - 1) - np.maximum(t["start_mi"].to_numpy(), first)
                         + 1, 0, None)
        np.add.at(w, t["pid"].to_numpy(), months * mult)
    rc = world.tables["resident_contrib"]
    np.add.at(w, rc["pid"].to_numpy(), (rc["year"].to_numpy() * 12 >= first).astype(float))
    return w


def _rendered_ids(world: World, weight: np.ndarray, planted: np.ndarray) -> pa.Array:
    """身份证号码 per person: a few migrated persons keep a 15-digit number or a lowercase x.

    Chosen per person (a person's records agree) with a probability that makes the expected share
    of rows equal the contract rate. Arrow strings throughout: Python objects for every person
    would add ~0.3 GiB at full scale while the worker's first source starts beside a domain build.
    """
    rng = world.rng("social_insurance:ids")
    ids = text_array(world.people["id_number"])
    born = world.people["birth_date"].dt.year.to_numpy()
    total = weight.sum()
    legacy_ok = (born < 1985) & (born >= 1900) & ~planted & (weight > 0)
    q = min(1.0, ID_RATES["legacy_15"] * total / max(weight[legacy_ok].sum(), 1.0))
    legacy = legacy_ok & (rng.random(len(ids)) < q)
    ends_x = pc.fill_null(pc.ends_with(ids, "X"), False).to_numpy(zero_copy_only=False)
    x_ok = ends_x & ~planted & ~legacy & (weight > 0)
    q = min(1.0, ID_RATES["lowercase_x"] * total / max(weight[x_ok].sum(), 1.0))
    lower = x_ok & (rng.random(len(ids)) < q)
    hit = legacy | lower
    if not hit.any():
        return ids
    rows = np.flatnonzero(hit)
    new = [render_legacy15(v) if legacy[i] else render_lowercase_x(v)
           for i, v in zip(rows.tolist(), ids.take(pa.array(rows)).to_pylist(), strict=True)]
    return pc.replace_with_mask(ids, pa.array(hit), pa.array(new, type=pa.string()))


def _unique_numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct 10-digit numbers (the 个人编号 after '370481')."""
    vals = np.unique(rng.integers(10**9, 10**10, size=int(n * 1.01) + 16))
    while len(vals) < n:
        vals = np.unique(np.concatenate([vals, rng.integers(10**9, 10**10, size=n)]))
    return rng.permutation(vals)[:n]


def _numbers(nums: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar("370481"), pc.cast(pa.array(nums), pa.string()), "")


def _take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    return values.take(pa.array(idx, type=pa.int64()))


def _load_times(mi: int, n: int, batch: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """更新时间 of month mi's bulk load: the 10th-14th of the next month, rows of one batch share a second."""
    start = _month_start(mi + 1) + 9 * _DAY + 8 * 3600 * _SEC
    if batch is None:
        sec = rng.integers(0, 5 * 86400 - 10 * 3600, n)
    else:
        keys, inv = np.unique(batch, return_inverse=True)
        sec = rng.integers(0, 5 * 86400 - 10 * 3600, len(keys))[inv]
    return start + sec * _SEC


def _office_time(day0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A time 08:30-17:30 on the given days (datetime64[s] at midnight)."""
    return day0 + rng.integers(30600, 63000, len(day0)) * _SEC


def _visible(ts: np.ndarray, ctx: _Ctx, planted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pushed by the last push: 更新时间 before its night; ~1% of the last day's changes a night late."""
    last_day = ctx.cutoff - _DAY
    late = (ts >= last_day) & (rng.random(len(ts)) < P_LATE_PUSH) & ~planted
    return (ts < ctx.cutoff) & ~late


#: 险种类型 codes in text order, and the individual share per code as (numerator, denominator).
_XZ = ("110", "120", "210", "410")
_SHARE_NUM = np.array([8, 8, 3, 0, 20])  # last: flexible 110 (20%)
_SHARE_DEN = np.array([100, 100, 1000, 1, 100])
_NULL = pa.scalar(None, pa.string())


def _contribution_rows(ctx: _Ctx, jobs: pd.DataFrame, mi: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Month mi's 110/120/210/410 rows of some jobs, as visible after the last push."""
    j = jobs[(jobs["start_mi"] <= mi) & (jobs["end_mi"] >= mi)]
    year = mi // 12
    kind = j["kind"].to_numpy()
    base = np.where(kind == "flex", si_floor(year), si_contribution_base(j["wage"].to_numpy(), year, ctx.ref_year))
    fixed = j["si_base"].to_numpy()
    base = np.where(np.isnan(fixed), base, fixed)
    # One row per job and insurance: 110/120 (share code 4 = flexible 110), 210, 410.
    main = np.select([kind == "120", kind == "flex"], [1, 4], 0)
    sel = [np.ones(len(j), dtype=bool), j["si_210"].to_numpy(dtype=bool), j["si_410"].to_numpy(dtype=bool)]
    share = np.concatenate([main, np.full(int(sel[1].sum()), 2), np.full(int(sel[2].sum()), 3)])
    rows = np.concatenate([np.flatnonzero(s) for s in sel])
    pid = j["pid"].to_numpy()[rows]
    xz = np.where(share == 4, 0, share)
    _, first = np.unique(pid * 8 + xz, return_index=True)  # a person has one row per 险种 and month
    keep_one = np.zeros(len(rows), dtype=bool)
    keep_one[first] = True
    rows, pid, share, xz = rows[keep_one], pid[keep_one], share[keep_one], xz[keep_one]
    base_c = to_cents(base[rows])
    own_c = (base_c * _SHARE_NUM[share] * 2 + _SHARE_DEN[share]) // (2 * _SHARE_DEN[share])  # half up
    n = len(rows)
    planted = j["planted"].to_numpy(dtype=bool)[rows]
    emp = j["emp"].to_numpy()[rows]
    batch = np.where(share == 4, -1 - np.arange(n), emp)
    ts = _load_times(mi, n, batch, rng)
    back = (rng.random(n) < P_BACK) & ~planted
    back_day = _month_start(mi + rng.integers(3, 13, n)) + rng.integers(0, 28, n) * _DAY
    ts = np.where(back, _office_time(back_day, rng), ts)
    cancel = (rng.random(n) < P_CANCELLED) & ~planted
    cancel_ts = ts + rng.integers(5, 90, n) * _DAY + rng.integers(0, 3600, n) * _SEC
    cancel &= cancel_ts < ctx.cutoff
    ts = np.where(cancel, cancel_ts, ts)
    base_c = np.where(cancel, 0, base_c)
    own_c = np.where(cancel, 0, own_c)
    k = _visible(ts, ctx, planted, rng)
    return {"pid": pid[k], "emp": emp[k], "xz": xz[k], "base": base_c[k], "own": own_c[k], "ts": ts[k],
            "mi": np.full(int(k.sum()), mi)}


def _resident_rows(ctx: _Ctx, rc: pd.DataFrame, year: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """170: one row per person and year, 缴费年月 'YYYY01', paid in the January-June collection mostly."""
    rc = rc[rc["year"] == year]
    n = len(rc)
    early = rng.random(n) < 0.88
    day = np.where(early, rng.integers(1, 181, n), rng.integers(181, 362, n))
    ts = _office_time(np.datetime64(date(year, 1, 1), "s") + day * _DAY, rng)
    k = _visible(ts, ctx, np.zeros(n, dtype=bool), rng)
    m = int(k.sum())
    return {"pid": rc["pid"].to_numpy()[k], "emp": np.full(m, -1), "xz": np.full(m, 4), "base": np.full(m, -1),
            "own": to_cents(rc["level"].to_numpy()[k]), "ts": ts[k], "mi": np.full(m, year * 12)}


def _bucket(values: np.ndarray, lo: int, hi: int, buckets: int) -> np.ndarray:
    return (np.asarray(values, dtype=np.int64) - lo) * buckets // (hi - lo)


def _contribution_chunk(ctx: _Ctx, b: int) -> pd.DataFrame:
    """All si_contribution rows whose 个人编号 falls in bucket b, in key order."""
    world = ctx.world
    nb = ctx.buckets
    in_b = (_bucket(ctx.number, 10**9, 10**10, nb) == b) | (
        (ctx.split >= 0) & (_bucket(ctx.number_old, 10**9, 10**10, nb) == b))
    jobs = world.tables["jobs"]
    jobs = jobs[(jobs["kind"] != "none") & in_b[jobs["pid"].to_numpy()]]
    rc = world.tables["resident_contrib"]
    rc = rc[in_b[rc["pid"].to_numpy()]]
    parts = [_contribution_rows(ctx, jobs, mi, world.rng(f"social_insurance:contribution:{mi}:{b}"))
             for mi in range(ctx.first, ctx.asof)]
    parts += [_resident_rows(ctx, rc, y, world.rng(f"social_insurance:resident:{y}:{b}"))
              for y in range(ctx.first // 12, ctx.asof // 12 + 1) if y * 12 >= ctx.first]
    r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    pid = r["pid"]
    number = np.where(r["mi"] < ctx.split[pid], ctx.number_old[pid], ctx.number[pid])
    mine = _bucket(number, 10**9, 10**10, nb) == b
    order = np.flatnonzero(mine)[np.lexsort((r["mi"][mine], r["xz"][mine], number[mine]))]
    r = {k: v[order] for k, v in r.items()}
    pid, emp, base = r["pid"], r["emp"], r["base"]
    has_unit = emp >= 0
    table = pa.table({
        "个人编号": _numbers(number[order]), "身份证号码": _take(ctx.ids, pid), "姓名": _take(ctx.names, pid),
        "险种类型": _take(text_array(_XZ + ("170",)), r["xz"]),
        "单位编号": pc.if_else(pa.array(has_unit), _take(ctx.unit_no, np.maximum(emp, 0)), _NULL),
        "单位名称": pc.if_else(pa.array(has_unit), _take(ctx.unit_name, np.maximum(emp, 0)), _NULL),
        "缴费年月": _take(ctx.months, r["mi"] - ctx.first),
        "缴费基数": pc.if_else(pa.array(base >= 0), money_array(np.maximum(base, 0)), _NULL),
        "个人缴费金额": money_array(r["own"]), "更新时间": pa.array(r["ts"], type=pa.timestamp("s")),
    })
    return table.to_pandas()


def _benefit_spells(ctx: _Ctx) -> pd.DataFrame:
    """Benefit spells with the benefit_after_death quirk: some are paid 1-6 months past the death month."""
    b = ctx.world.tables["benefits"]
    rng = ctx.world.rng("social_insurance:after-death")
    death = ctx.death_mi[b["pid"].to_numpy()]
    stops_at_death = (b["end_mi"].to_numpy() == death) & ~b["planted"].to_numpy() & (death >= ctx.first)
    months = np.clip(np.minimum(b["end_mi"].to_numpy(), ctx.asof - 1)
                     - np.maximum(b["start_mi"].to_numpy(), ctx.first) + 1, 0, None).sum()
    p = min(1.0, P_AFTER_DEATH_ROWS * months / max(1.0, 3.5 * stops_at_death.sum()))
    hit = stops_at_death & (rng.random(len(b)) < p)
    end = np.where(hit, b["end_mi"].to_numpy() + rng.integers(1, 7, len(b)), b["end_mi"].to_numpy())
    return b.assign(end_mi=end)


#: 待遇类型 in text order (the key's second column), and each world category's position in it.
_KINDS = tuple(sorted(BENEFIT_KINDS))
_KIND_ORDER = np.array([_KINDS.index(k) for k in BENEFIT_KINDS])


def _benefit_rows(ctx: _Ctx, spells: pd.DataFrame, mi: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    b = spells[(spells["start_mi"] <= mi) & (spells["end_mi"] >= mi)]
    n = len(b)
    year, month = mi // 12, mi % 12 + 1
    rate = b["raise_rate"].to_numpy()
    level = b["amount"].to_numpy() * (1 + rate) ** (year - ctx.ref_year)
    prev = b["amount"].to_numpy() * (1 + rate) ** (year - 1 - ctx.ref_year)
    kind = _KIND_ORDER[b["kind"].cat.codes.to_numpy()]
    ts = _load_times(mi, n, kind, rng)
    # The annual raise is decided mid-year: January-June are recalculated in place in July (back pay).
    recalc = _office_time(_day(year, 7, 20) + rng.integers(0, 5, n) * _DAY, rng)
    raised = (rate > 0) & (month <= 6)
    done = raised & (recalc < ctx.cutoff)
    amount = np.where(raised & ~done, prev, level)
    ts = np.where(done, recalc, ts)
    k = _visible(ts, ctx, b["planted"].to_numpy(), rng)
    return {"pid": b["pid"].to_numpy()[k], "kind": kind[k], "amount": to_cents(amount[k]), "ts": ts[k],
            "mi": np.full(int(k.sum()), mi)}


def _benefit_chunk(ctx: _Ctx, spells: pd.DataFrame, b: int) -> pd.DataFrame:
    """All si_benefit rows whose 身份证号码 falls in bucket b (by text order), in key order."""
    rank = ctx.id_rank[spells["pid"].to_numpy()]
    cuts = np.quantile(rank, np.arange(1, ctx.buckets) / ctx.buckets) if len(rank) else np.array([])
    spells = spells[np.searchsorted(cuts, rank, side="right") == b]  # buckets of about equal size
    parts = [_benefit_rows(ctx, spells, mi, ctx.world.rng(f"social_insurance:benefit:{mi}:{b}"))
             for mi in range(ctx.first, ctx.asof)]
    r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((r["mi"], r["kind"], ctx.id_rank[r["pid"]]))
    r = {k: v[order] for k, v in r.items()}
    table = pa.table({
        "身份证号码": _take(ctx.ids, r["pid"]), "待遇类型": _take(text_array(_KINDS), r["kind"]),
        "发放年月": _take(ctx.months, r["mi"] - ctx.first), "发放金额": money_array(r["amount"]),
        "更新时间": pa.array(r["ts"], type=pa.timestamp("s")),
    })
    return table.to_pandas()


def chunks(world: World) -> Iterator[tuple[str, pd.DataFrame]]:
    """(table, rows) chunks, each a range of the table's key in key order, ascending.

    The tables are thus inserted in primary-key order (the index only grows at its end), which
    keeps SQLite fast at full scale; each chunk spans all months of the retention window.
    """
    ctx = _Ctx(world)
    spells = _benefit_spells(ctx)
    for b in range(ctx.buckets):
        df = _contribution_chunk(ctx, b)
        if len(df):
            yield "si_contribution", df
    for b in range(ctx.buckets):
        df = _benefit_chunk(ctx, spells, b)
        if len(df):
            yield "si_benefit", df


def write(world: World) -> dict[str, int]:
    """Write both tables to the configured front database; returns rows per table."""
    url = world.cfg.frontdb_url(SOURCE)
    return deliver.write_sql_chunks(url, {"si_contribution": CONTRIBUTION, "si_benefit": BENEFIT},
                                    chunks(world))
