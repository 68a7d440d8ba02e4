"""Real estate: units and the registration log (tables `property_units`, `property_registrations`;
grain and columns in simulator/domains/assets.py).

Volumes at full scale (property.yaml): ~900k units, ~1.1M current holder rows; ~330 rows per working
day in the daily log. Most households hold one 住宅, wealthy ones more, poor ones sometimes none;
~3% of current 住宅 holders have died (the inheritance was never registered).

The log has base registrations (before the event period, all reflected in the FULL file) and the
daily events of the event period (the 20 days before the window and the window itself). The FULL file
is `assets.property_holdings(registrations, first business date)`; each daily file holds the rows whose
`delivered_on` is its business date (registration day, or 2-10 days later: quirk late_entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from simulator import geo
from simulator.domains.assets import (
    DAY,
    Pool,
    office_times,
    outsiders,
    pick,
    scale_factor,
    share_text,
    split_hundredths,
    working_days,
)
from simulator.ids import org_code_of_uscc
from simulator.names import person_names
from simulator.planted import PProperty
from simulator.world import World

USES = ("住宅", "车位", "商业", "办公", "工业", "其他")
#: Registrations per working day at full scale (~1.5 rows each: ~330 rows).
DAILY_REGISTRATIONS = 215
#: Days before the window whose daily events exist (late entries from before the window need them).
PRE_WINDOW_DAYS = 20
REG_COLUMNS = ["biz_no", "unit", "cert_no", "reg_type", "reg_time", "delivered_on", "holder_pid", "id_kind",
               "holder_id", "holder_name", "co_type", "share", "planted"]
UNIT_COLUMNS = ["unit", "use", "area", "location", "town", "on_paper", "planted"]
IDENT = ["holder_pid", "id_kind", "holder_id", "holder_name"]


@dataclass
class _Log:
    """Registrations under construction: units, registration-units (ru) and holder rows."""

    units: list[pd.DataFrame] = field(default_factory=list)
    rus: list[pd.DataFrame] = field(default_factory=list)
    holders: list[pd.DataFrame] = field(default_factory=list)
    n_units: int = 0
    n_rus: int = 0
    n_regs: int = 0
    #: ru of a 注销登记 → ru of the registration whose certificate it cancels
    cancelled_of: dict[int, int] = field(default_factory=dict)

    def add_units(self, df: pd.DataFrame) -> np.ndarray:
        idx = np.arange(self.n_units, self.n_units + len(df))
        self.units.append(df.assign(u=idx))
        self.n_units += len(df)
        return idx

    def add_rus(self, df: pd.DataFrame) -> np.ndarray:
        """df: u, reg (local registration number, shared by units of one registration; -1 = own), reg_type,
        reg_time, delivered_on, planted."""
        idx = np.arange(self.n_rus, self.n_rus + len(df))
        reg = df["reg"].to_numpy()
        local = np.unique(reg[reg >= 0])
        glob = dict(zip(local.tolist(), range(self.n_regs, self.n_regs + len(local)), strict=True))
        self.n_regs += len(local)
        own = reg < 0
        ids = np.array([glob[r] for r in reg[~own]], dtype=np.int64)
        out = np.empty(len(df), dtype=np.int64)
        out[~own] = ids
        out[own] = np.arange(self.n_regs, self.n_regs + int(own.sum()))
        self.n_regs += int(own.sum())
        self.rus.append(df.assign(ru=idx, reg=out))
        self.n_rus += len(df)
        return idx


class _People:
    """Holder identities and household relations of the background population."""

    def __init__(self, world: World, pool: Pool) -> None:
        self.pool = pool
        n_hh = len(world.households)
        self.is_adult = np.zeros(len(pool.hh), dtype=bool)
        self.is_adult[pool.adults] = True
        rel = world.people["rel"].to_numpy()
        self.rel = rel
        self.head_of = np.full(n_hh, -1, dtype=np.int64)
        heads = np.flatnonzero((rel == "户主") & self.is_adult)
        self.head_of[pool.hh[heads]] = heads
        self.spouse_of = np.full(n_hh, -1, dtype=np.int64)
        sp = np.flatnonzero((rel == "配偶") & self.is_adult)
        self.spouse_of[pool.hh[sp[::-1]]] = sp[::-1]  # first spouse row wins
        a = pool.adults[np.argsort(pool.hh[pool.adults], kind="stable")]
        self.adults_sorted = a
        hh_ids = np.arange(n_hh)
        self.start = np.searchsorted(pool.hh[a], hh_ids, side="left")
        self.count = np.searchsorted(pool.hh[a], hh_ids, side="right") - self.start
        bg = ~world.households["hh"].isin(list(world.planted_hh.values())).to_numpy()
        fam = ~world.households["collective"].to_numpy()
        self.households = np.flatnonzero(bg & fam & (self.count > 0))
        self.hh_wealth = world.households["wealth"].to_numpy()

    def partner(self, pid: np.ndarray) -> np.ndarray:
        """The 户主's spouse for a 户主, the 户主 for a spouse, else -1 (only living adults)."""
        pid = np.asarray(pid, dtype=np.int64)
        out = np.full(len(pid), -1, dtype=np.int64)
        ok = pid >= 0
        h = self.pool.hh[pid[ok]]
        r = self.rel[pid[ok]]
        out[ok] = np.where(r == "户主", self.spouse_of[h], np.where(r == "配偶", self.head_of[h], -1))
        return out

    def primary(self, rng: np.random.Generator, hh: np.ndarray) -> np.ndarray:
        """The main holder in each household: the 户主 (70%) or any adult member."""
        anyone = self.adults_sorted[self.start[hh] + (rng.random(len(hh)) * self.count[hh]).astype(np.int64)]
        head = self.head_of[hh]
        return np.where((rng.random(len(hh)) < 0.7) & (head >= 0), head, anyone)

    def households_by_wealth(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return pick(rng, self.households, 0.3 + self.hh_wealth[self.households], n)

    def identity(self, pid: np.ndarray) -> pd.DataFrame:
        pid = np.asarray(pid, dtype=np.int64)
        return pd.DataFrame({"holder_pid": pid, "id_kind": "居民身份证", "holder_id": self.pool.ids[pid],
                             "holder_name": self.pool.names[pid]})


def _holder_sets(rng: np.random.Generator, people: _People, primary: np.ndarray, ru: np.ndarray) -> pd.DataFrame:
    """Holder rows for registration-units held by persons: 单独所有, or with the partner 共同共有 (~22%) or
    按份共有 (~6%), or rounded thirds with a third adult (~0.5%, 99.99%/100.01%)."""
    n = len(primary)
    partner = people.partner(primary)
    u = rng.random(n)
    joint = (partner >= 0) & (u < 0.22)
    shares = (partner >= 0) & (u >= 0.22) & (u < 0.28)
    thirds = (partner >= 0) & (u >= 0.28) & (u < 0.285)
    third = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(thirds):
        h = people.pool.hh[primary[i]]
        members = people.adults_sorted[people.start[h]:people.start[h] + people.count[h]]
        others = members[(members != primary[i]) & (members != partner[i])]
        if len(others):
            third[i] = others[0]
    thirds &= third >= 0
    split = rng.choice(np.array([[5000, 5000], [6000, 4000], [7000, 3000]]), size=n, p=[0.6, 0.2, 0.2])
    t_split = np.where((rng.random(n) < 0.5)[:, None], [[3333, 3333, 3333]], [[3334, 3334, 3333]])
    rows_ru = [ru, ru[joint | shares | thirds], ru[thirds]]
    rows_pid = [primary, partner[joint | shares | thirds], third[thirds]]
    co = np.where(joint, "共同共有", np.where(shares | thirds, "按份共有", "单独所有")).astype(object)
    sh0 = np.where(shares, split[:, 0], np.where(thirds, t_split[:, 0], -1))
    sh1 = np.where(shares, split[:, 1], t_split[:, 1])[joint | shares | thirds]
    sh1 = np.where(joint[joint | shares | thirds], -1, sh1)
    frames = []
    for k, (r, p) in enumerate(zip(rows_ru, rows_pid, strict=True)):
        f = people.identity(p)
        f["ru"] = r
        f["_order"] = k
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    co_by_ru = pd.Series(co, index=ru)
    out["co_type"] = co_by_ru.reindex(out["ru"]).to_numpy()
    share = np.concatenate([sh0, sh1, t_split[thirds, 2]])
    out["share"] = share
    return out.sort_values(["ru", "_order"], kind="stable").drop(columns="_order")


def _single(ident: pd.DataFrame, ru: np.ndarray) -> pd.DataFrame:
    out = ident.copy()
    out["ru"] = ru
    out["co_type"] = "单独所有"
    out["share"] = -1
    return out


# --- units --------------------------------------------------------------------------------------------

def _unit_numbers(rng: np.random.Generator, town: np.ndarray, use: np.ndarray, land: np.ndarray,
                  taken: set[str]) -> np.ndarray:
    """不动产单元号: 370481 + 地籍区/子区 + GB/GX/JC/JB + 宗地顺序号 + F<building><unit> or W00000000."""
    n = len(town)
    out = np.empty(n, dtype=object)
    district = np.array([geo.TOWN_CODES[t][-3:] for t in town], dtype=object)
    urban = np.array([geo.is_urban(t) for t in town])
    collective = ~urban & np.isin(use, ["住宅", "其他"])
    todo = np.arange(n)
    for _ in range(50):
        k = len(todo)
        if not k:
            break
        sub = rng.integers(1, 60, size=k)
        u = rng.random(k)
        feat = np.where(collective[todo], np.where(u < 0.8, "JC", "JB"), np.where(u < 0.85, "GB", "GX"))
        parcel = rng.integers(1, 100_000, size=k)
        building = rng.integers(1, 80, size=k)
        floor = rng.integers(1, 33, size=k)
        room = rng.integers(1, 5, size=k)
        for j, i in enumerate(todo):
            tail = "W00000000" if land[i] else f"F{building[j]:04d}{floor[j]:02d}{room[j]:02d}"
            out[i] = f"370481{district[i]}{sub[j]:03d}{feat[j]}{parcel[j]:05d}{tail}"
        s = pd.Series(out[todo])
        clash = s.duplicated().to_numpy() | np.array([x in taken for x in s], dtype=bool)
        taken.update(s[~clash].tolist())
        todo = todo[clash]
    return out


def _locations(rng: np.random.Generator, use: np.ndarray, town: np.ndarray, village: np.ndarray) -> np.ndarray:
    """坐落; ~1% carry an ASCII comma (then quoted in the CSV)."""
    n = len(use)
    roads = geo._ROADS
    r = rng.integers(0, len(roads), size=n)
    num = rng.integers(1, 400, size=n)
    b, f, k = rng.integers(1, 7, size=n), rng.integers(1, 19, size=n), rng.integers(1, 300, size=n)
    comma = rng.random(n) < 0.01
    out = np.empty(n, dtype=object)
    for i in range(n):
        t, road = town[i], roads[r[i]]
        urban = geo.is_urban(t)
        u = use[i]
        if u == "住宅":
            rest = f"{road}{num[i]}号{b[i]}单元{f[i]}0{b[i] % 4 + 1}室" if urban else f"{village[i]}{num[i]}号"
        elif u == "车位":
            rest = f"{road}{num[i]}号地下车位{k[i]}号"
        elif u == "商业":
            rest = f"{road}{num[i]}号{k[i]}号商铺" if urban else f"{village[i]}{num[i]}号商铺"
        elif u == "办公":
            rest = f"{road}{num[i]}号{b[i]}座{f[i]}层"
        elif u == "工业":
            rest = f"工业园区{road}{num[i]}号"
        else:
            rest = f"{village[i]}{num[i]}号附属用房"
        out[i] = f"滕州市{t},{rest}" if comma[i] else f"滕州市{t}{rest}"
    return out


def _areas(rng: np.random.Generator, use: np.ndarray, town: np.ndarray, land: np.ndarray) -> np.ndarray:
    n = len(use)
    urban = np.array([geo.is_urban(t) for t in town])
    med = pd.Series(use).map({"住宅": 105.0, "车位": 22.0, "商业": 60.0, "办公": 150.0, "工业": 1500.0,
                              "其他": 40.0}).to_numpy()
    a = med * np.exp(rng.normal(0, 0.25, size=n))
    res = use == "住宅"
    a[res & ~urban] = rng.normal(130, 35, size=int((res & ~urban).sum()))
    a[res] = np.clip(a[res], 40, 300)
    wide = np.isin(use, ["商业", "办公", "工业", "其他"])
    a[wide] = med[wide] * np.exp(rng.normal(0, 0.8, size=int(wide.sum())))
    a = np.round(np.maximum(a, 5.0), 2)
    return np.where(land, np.nan, a)


def _make_units(rng: np.random.Generator, use: np.ndarray, town: np.ndarray, village: np.ndarray,
                taken: set[str], land: np.ndarray | None = None, area: np.ndarray | None = None) -> pd.DataFrame:
    n = len(use)
    if land is None:
        u = rng.random(n)
        land = ((use == "其他") & (u < 0.3)) | ((use == "工业") & (u < 0.1))
    out = pd.DataFrame({"unit": _unit_numbers(rng, town, use, land, taken), "use": use,
                        "area": _areas(rng, use, town, land) if area is None else area,
                        "location": _locations(rng, use, town, village), "town": town})
    out["on_paper"] = False
    out["planted"] = ""
    return out


# --- base registrations (before the event period) -----------------------------------------------

def _base(world: World, pool: Pool, people: _People, entities: pd.DataFrame, log: _Log,
          rng: np.random.Generator, taken: set[str], p0: np.datetime64) -> pd.DataFrame:
    """Units held at the start of the event period, each with the registration that established its
    holding. Returns the unit-level frame (u, kind, hh) for the event draws."""
    cfg = world.cfg
    sf = scale_factor(cfg)
    hh_df = world.households
    h = people.households
    w = people.hh_wealth[h]
    urban = hh_df["town"].str.endswith("街道").to_numpy()[h]
    poor, rich = w < 0.07, w > 0.85
    u = rng.random(len(h))
    n_res = np.select([poor, rich], [np.searchsorted([0.30, 0.95, 1.0], u, side="right"),
                                     np.searchsorted([0.05, 0.50, 0.85, 1.0], u, side="right")],
                      np.searchsorted([0.10, 0.76, 0.95, 1.0], u, side="right"))
    p_other = {"车位": np.where(urban, 0.1 + 0.45 * w, 0.02), "商业": 0.03 + 0.12 * w ** 2,
               "办公": 0.004 + 0.02 * w ** 2, "工业": 0.002 + 0.01 * w ** 2, "其他": np.where(urban, 0.02, 0.075)}
    counts = {"住宅": n_res, **{k: (rng.random(len(h)) < p).astype(int) for k, p in p_other.items()}}
    owner_hh = np.concatenate([np.repeat(h, c) for c in counts.values()])
    use = np.concatenate([np.full(int(c.sum()), k, dtype=object) for k, c in counts.items()])
    primary = people.primary(rng, owner_hh)

    # Deceased holders: ~3% of current 住宅 holder rows (the first 住宅 of the dead person's household,
    # else a unit of his own).
    res_idx = np.flatnonzero(use == "住宅")
    n_dead = min(len(pool.dead), int(round(len(res_idx) * 1.25 * 0.03)))
    dead = rng.choice(pool.dead, size=n_dead, replace=False) if n_dead else np.array([], dtype=np.int64)
    first_res = pd.Series(res_idx, index=owner_hh[res_idx])
    first_res = first_res[~first_res.index.duplicated()]
    target = first_res.reindex(pool.hh[dead]).to_numpy()
    has = ~np.isnan(target.astype(float))
    tgt = target[has].astype(np.int64)
    keep = ~pd.Series(tgt).duplicated().to_numpy()
    primary[tgt[keep]] = dead[has][keep]
    extra = np.r_[dead[~has], dead[has][~keep]]
    owner_hh = np.r_[owner_hh, pool.hh[extra]]
    use = np.r_[use, np.full(len(extra), "住宅", dtype=object)]
    primary = np.r_[primary, extra]
    deceased = np.zeros(len(primary), dtype=bool)
    deceased[tgt[keep]] = True
    if len(extra):
        deceased[-len(extra):] = True

    town = hh_df["town"].to_numpy()[owner_hh]
    village = hh_df["village"].to_numpy()[owner_hh]
    units = _make_units(rng, use, town, village, taken)
    u_idx = log.add_units(units)
    # Bundles: ~half of the 车位 share the registration of their household's first 住宅.
    bundle = np.full(len(use), -1, dtype=np.int64)
    park = np.flatnonzero((use == "车位") & (rng.random(len(use)) < 0.5))
    fr = first_res.reindex(owner_hh[park]).to_numpy()
    ok = ~np.isnan(fr.astype(float))
    bundle[park[ok]] = fr[ok].astype(np.int64)
    bundle[bundle >= 0] = np.where(deceased[bundle[bundle >= 0]], -1, bundle[bundle >= 0])
    primary[bundle >= 0] = primary[bundle[bundle >= 0]]

    lo = np.maximum(np.datetime64("2000-01-01", "D"), pool.birth[primary] + 22 * 365 * DAY)
    hi = np.where(deceased, pool.death[primary] - 30 * DAY, p0 - DAY)
    lo = np.minimum(lo, hi - 30 * DAY)
    reg_day = lo + (rng.random(len(primary)) ** 0.8 * ((hi - lo) / DAY)).astype(np.int64) * DAY
    reg_day[bundle >= 0] = reg_day[bundle[bundle >= 0]]
    reg_day = np.busday_offset(reg_day, 0, roll="backward")
    times = office_times(rng, reg_day)
    times[bundle >= 0] = times[bundle[bundle >= 0]]
    rtype = rng.choice(np.array(["首次登记", "转移登记", "变更登记"], dtype=object), size=len(use), p=[0.55, 0.35, 0.10])
    rtype[bundle >= 0] = rtype[bundle[bundle >= 0]]
    reg = np.where(bundle >= 0, bundle, np.arange(len(use)))
    ru = log.add_rus(pd.DataFrame({"u": u_idx, "reg": reg, "reg_type": rtype, "reg_time": times,
                                   "delivered_on": reg_day, "planted": ""}))
    hs = _holder_sets(rng, people, primary[~deceased & (bundle < 0)], ru[~deceased & (bundle < 0)])
    dec = _single(people.identity(primary[deceased]), ru[deceased])
    b_rows = np.flatnonzero(bundle >= 0)
    # Bundled 车位: the same holder rows as their 住宅.
    src = pd.concat([hs, dec]).set_index("ru")
    copies = src.loc[ru[bundle[b_rows]]].reset_index()
    copies["ru"] = np.repeat(ru[b_rows], src.index.value_counts().reindex(ru[bundle[b_rows]]).to_numpy())
    log.holders += [hs, dec, copies]
    frame = pd.DataFrame({"u": u_idx, "ru": ru, "kind": "person", "hh": owner_hh, "use": use})

    # Outsiders (~2% of person-held units), organisations, passports and other documents.
    n_out = int(round(len(use) * 0.02 / 0.98))
    ext = outsiders(rng, n_out, cfg)
    frames = [frame, _special(rng, log, taken, "outsider",
                              ext.assign(id_kind="居民身份证", holder_pid=-1).rename(
                                  columns={"id_number": "holder_id", "name": "holder_name"})[IDENT],
                              rng.choice(np.array(["住宅", "商业"], dtype=object), size=n_out, p=[0.85, 0.15]), p0)]
    firms = entities[entities["uscc"].str.startswith("91") & (entities["planted"] == "")]
    org_counts = {"商业": 11_000, "办公": 11_000, "工业": 14_000, "其他": 2_000}
    org_use = np.concatenate([np.full(max(1, round(c * sf)), k, dtype=object) for k, c in org_counts.items()])
    f = rng.integers(0, len(firms), size=len(org_use))
    org_ident = pd.DataFrame({"holder_pid": -1, "id_kind": "统一社会信用代码", "holder_id": firms["uscc"].to_numpy()[f],
                              "holder_name": firms["name"].to_numpy()[f]})
    # ~0.1% of all rows: an old 组织机构代码 (证件种类 其他) for firms with a pre-2016 code.
    legacy = np.flatnonzero(org_ident["holder_id"].str.slice(8, 10).str.isdigit().to_numpy())
    legacy = legacy[rng.random(len(legacy)) < min(1.0, 0.001 * 1.1e6 * sf / max(len(legacy), 1))]
    org_ident.loc[legacy, "id_kind"] = "其他"
    org_ident.loc[legacy, "holder_id"] = [org_code_of_uscc(c) for c in org_ident.loc[legacy, "holder_id"]]
    frames.append(_special(rng, log, taken, "org", org_ident, org_use, p0,
                           towns=firms["town"].to_numpy()[f]))
    n_pass, n_doc = max(1, round(0.001 * 1.1e6 * sf)), max(1, round(0.003 * 1.1e6 * sf))
    frames.append(_special(rng, log, taken, "document", _documents(rng, n_pass, n_doc),
                           rng.choice(np.array(["住宅", "商业"], dtype=object), size=n_pass + n_doc, p=[0.8, 0.2]), p0))
    return pd.concat(frames, ignore_index=True)


def _documents(rng: np.random.Generator, n_pass: int, n_doc: int) -> pd.DataFrame:
    """Holders identified by a passport (护照) or another document (其他: 军官证, 港澳台 permits)."""
    n = n_pass + n_doc
    digits = rng.integers(10_000_000, 99_999_999, size=n)
    kind = np.r_[np.full(n_pass, "护照", dtype=object), np.full(n_doc, "其他", dtype=object)]
    doc = rng.integers(0, 3, size=n)
    ids = np.empty(n, dtype=object)
    for i in range(n):
        if kind[i] == "护照":
            ids[i] = f"E{digits[i]}"
        else:
            ids[i] = (f"军字第{digits[i] % 10_000_000:07d}号", f"H{digits[i]}", f"{digits[i]}")[doc[i]]
    return pd.DataFrame({"holder_pid": -1, "id_kind": kind, "holder_id": ids,
                         "holder_name": person_names(rng.random(n) < 0.5, rng)})


def _special(rng: np.random.Generator, log: _Log, taken: set[str], kind: str, ident: pd.DataFrame,
             use: np.ndarray, p0: np.datetime64, towns: np.ndarray | None = None) -> pd.DataFrame:
    """Units held by one holder who is not a registered person (单独所有), registered before p0."""
    n = len(use)
    if towns is None:
        tp = np.array([t[2] for t in geo.TOWNS])
        towns = rng.choice(np.array(geo.TOWN_NAMES, dtype=object), size=n, p=tp / tp.sum())
    village = np.array([geo.village_names(t, 1, rng)[0] for t in towns], dtype=object)
    u_idx = log.add_units(_make_units(rng, use, towns, village, taken))
    day = np.busday_offset(p0 - (30 + rng.integers(0, 20 * 365, size=n)) * DAY, 0, roll="backward")
    ru = log.add_rus(pd.DataFrame({"u": u_idx, "reg": -1, "reg_type": rng.choice(
        np.array(["首次登记", "转移登记"], dtype=object), size=n), "reg_time": office_times(rng, day),
        "delivered_on": day, "planted": ""}))
    log.holders.append(_single(ident.reset_index(drop=True), ru))
    return pd.DataFrame({"u": u_idx, "ru": ru, "kind": kind, "hh": -1, "use": use})


# --- events of the event period --------------------------------------------------------------------

def _events(world: World, people: _People, entities: pd.DataFrame, log: _Log, base: pd.DataFrame,
            rng: np.random.Generator, taken: set[str], p0: np.datetime64) -> None:
    """Daily registrations from p0 to the as-of date: 首次/转移/变更/注销, unknown units, late entries."""
    cfg = world.cfg
    first = np.datetime64(cfg.first_business_date, "D")
    as_of = np.datetime64(cfg.as_of, "D")
    days = working_days(p0, as_of)
    per_day = rng.poisson(DAILY_REGISTRATIONS * scale_factor(cfg), size=len(days))
    day = np.repeat(days, per_day)
    n = len(day)
    etype = rng.choice(np.array(["首次登记", "转移登记", "变更登记", "注销登记"], dtype=object), size=n,
                       p=[0.30, 0.45, 0.15, 0.10])
    # Late entries: ~0.5% of registrations (at least one) arrive 2-10 days later, in a window file.
    delivered = day.copy()
    window_days = days[days >= first]
    late_ok = np.flatnonzero([((window_days >= d + 2 * DAY) & (window_days <= d + 10 * DAY)).any() for d in day])
    n_late = min(len(late_ok), max(1, int(rng.binomial(n, 0.005))))
    for i in rng.choice(late_ok, size=n_late, replace=False) if n_late else []:
        opts = window_days[(window_days >= day[i] + 2 * DAY) & (window_days <= day[i] + 10 * DAY)]
        delivered[i] = opts[rng.integers(0, len(opts))]
    # Unknown units (registered on paper before the system): ~0.1% of registrations, at least one after
    # the FULL file's as-of date when the window has a later working day (else the FULL would hold it).
    after_full = window_days[window_days > first]
    n_paper = max(1, int(rng.binomial(n, 0.001))) if len(after_full) else 0
    paper_day = after_full[rng.integers(0, len(after_full), size=n_paper)] if n_paper else day[:0]
    day = np.r_[day, paper_day]
    delivered = np.r_[delivered, paper_day]
    etype = np.r_[etype, rng.choice(np.array(["转移登记", "变更登记", "注销登记"], dtype=object), size=n_paper)]
    paper = np.r_[np.zeros(n, dtype=bool), np.ones(n_paper, dtype=bool)]
    n += n_paper
    times = office_times(rng, day)

    # Existing units for 转移/变更/注销 (never planted ones; each unit at most once).
    existing = np.flatnonzero((etype != "首次登记") & ~paper)
    cand = base.index.to_numpy()
    chosen = base.loc[rng.choice(cand, size=min(len(existing), len(cand)), replace=False)]
    existing = existing[:len(chosen)]
    holders = pd.concat(log.holders, ignore_index=True)
    cur = holders[holders["ru"].isin(chosen["ru"])].groupby("ru")

    # New holder sets: persons of random households (organisations for 工业/办公 units).
    buyers = people.primary(rng, people.households_by_wealth(rng, n))
    firms = entities[entities["uscc"].str.startswith("91") & entities["status"].isin(["存续", "在业"])
                     & (entities["planted"] == "")]
    firm_pick = rng.integers(0, len(firms), size=n)
    new_sets = _holder_sets(rng, people, buyers, np.arange(n))
    new_sets = {k: g.drop(columns="ru") for k, g in new_sets.groupby("ru")}

    def firm_rows(i: int) -> pd.DataFrame:
        return pd.DataFrame({"holder_pid": [-1], "id_kind": ["统一社会信用代码"],
                             "holder_id": [firms["uscc"].iloc[firm_pick[i]]],
                             "holder_name": [firms["name"].iloc[firm_pick[i]]], "co_type": ["单独所有"], "share": [-1]})

    use_new = rng.choice(np.array(["住宅", "商业", "其他", "工业", "办公"], dtype=object), size=n,
                         p=[0.70, 0.10, 0.10, 0.05, 0.05])
    use_new[paper] = "住宅"
    fresh = (etype == "首次登记") | paper
    org = fresh & ~paper & np.isin(use_new, ["工业", "办公"]) & (rng.random(n) < 0.7) & (len(firms) > 0)
    park = fresh & ~paper & (use_new == "住宅") & (rng.random(n) < 0.2)
    # New units of all 首次 (a 住宅 may come with its 车位) and paper-era events, made in one go.
    unit_ev = np.r_[np.flatnonzero(fresh), np.flatnonzero(park)]
    unit_ev.sort(kind="stable")
    first_of_ev = np.r_[True, unit_ev[1:] != unit_ev[:-1]] if len(unit_ev) else np.array([], dtype=bool)
    unit_use = np.where(first_of_ev, use_new[unit_ev], "车位").astype(object)
    hh = people.pool.hh[buyers[unit_ev]]
    unit_town = np.where(org[unit_ev], firms["town"].to_numpy()[firm_pick[unit_ev]] if len(firms) else "",
                         world.households["town"].to_numpy()[hh]).astype(object)
    units = _make_units(rng, unit_use, unit_town, world.households["village"].to_numpy()[hh].astype(object), taken)
    units["on_paper"] = paper[unit_ev]
    nu_idx = log.add_units(units) if len(units) else np.array([], dtype=np.int64)
    ex_pos = dict(zip(existing.tolist(), range(len(existing)), strict=True))
    rus, hold = [], []
    for k, i in enumerate(unit_ev):
        rus.append((("new", int(nu_idx[k])), int(i), etype[i]))
        hold.append(firm_rows(i) if org[i] else new_sets[i])
    for i in np.flatnonzero(~fresh):
        if i not in ex_pos:
            continue
        t = etype[i]
        c = chosen.iloc[ex_pos[i]]
        before = cur.get_group(c["ru"]).drop(columns="ru")
        if t == "转移登记":
            rows = firm_rows(i) if c["kind"] == "org" and rng.random() < 0.7 and len(firms) else new_sets[i]
        elif t == "变更登记":
            rows = _change(before, people)
        else:
            rows = before
        rus.append((("old", int(c["u"]), int(c["ru"])), int(i), t))
        hold.append(rows)

    u_of = [r[0][1] for r in rus]
    ev = np.array([r[1] for r in rus], dtype=np.int64)
    ru_new = log.add_rus(pd.DataFrame({"u": np.array(u_of, dtype=np.int64), "reg": ev,
                                       "reg_type": [r[2] for r in rus], "reg_time": times[ev],
                                       "delivered_on": delivered[ev], "planted": ""}))
    frames = []
    for k, rows in enumerate(hold):
        f = rows.copy()
        f["ru"] = ru_new[k]
        frames.append(f)
    if frames:
        log.holders.append(pd.concat(frames, ignore_index=True))
    # 注销: the cancelled certificate is the one of the registration it cancels.
    log.cancelled_of.update({int(ru_new[k]): r[0][2] for k, r in enumerate(rus)
                             if r[2] == "注销登记" and r[0][0] == "old"})


def _change(before: pd.DataFrame, people: _People) -> pd.DataFrame:
    """变更登记: the complete holder set after the change (partner added, or joint → shares, or a correction)."""
    rows = before.copy()
    if len(rows) == 1 and rows["holder_pid"].iloc[0] >= 0:
        partner = people.partner(rows["holder_pid"].to_numpy())[0]
        if partner >= 0:
            add = people.identity(np.array([partner]))
            rows = pd.concat([rows, add], ignore_index=True)
            rows["co_type"] = "共同共有"
            rows["share"] = -1
    elif (rows["co_type"] == "共同共有").all() and len(rows) == 2:
        rows["co_type"] = "按份共有"
        rows["share"] = [5000, 5000]
    return rows


# --- planted ------------------------------------------------------------------------------------------

def _place(day: np.datetime64, first: np.datetime64, as_of: np.datetime64) -> np.datetime64:
    """Registration day for an event meant for `day`: that day if it is a working day, else the working
    day before (or after, to stay inside the window; before the window = reflected in FULL)."""
    if np.is_busday(day):
        return day
    prev = np.busday_offset(day, 0, roll="backward")
    if day < first or prev >= first:
        return prev
    nxt = np.busday_offset(day, 0, roll="forward")
    return nxt if nxt <= as_of else prev


def _planted(world: World, people: _People, log: _Log, rng: np.random.Generator, taken: set[str],
             p0: np.datetime64) -> None:
    """Exactly the planted PProperty facts (see simulator/planted.py)."""
    cfg = world.cfg
    first = np.datetime64(cfg.first_business_date, "D")
    as_of = np.datetime64(cfg.as_of, "D")
    window = working_days(first, as_of)
    for h, m, pid in world.planted_members():
        for prop in m.properties:
            _planted_unit(world, people, log, rng, taken, p0, first, as_of, window, h.sid, h.town, m.key, pid, prop)


def _planted_unit(world: World, people: _People, log: _Log, rng: np.random.Generator, taken: set[str],
                  p0: np.datetime64, first: np.datetime64, as_of: np.datetime64, window: np.ndarray,
                  sid: str, town: str, key: str, pid: int, prop: PProperty) -> None:
    where = f"{sid}/{key}"
    if prop.use not in USES:
        raise ValueError(f"{where}: unknown 用途 {prop.use!r}")
    if prop.cancelled and prop.sold_days_ago is not None:
        raise ValueError(f"{where}: a unit cannot be both cancelled and sold")
    pids = [pid]
    if prop.co_holder is not None:
        pids.append(world.planted_pids[(sid, prop.co_holder)])
    ident = people.identity(np.array(pids))
    if prop.outside_holder:
        outsider = people.primary(rng, people.households_by_wealth(rng, 1))
        ident = pd.concat([ident, people.identity(outsider)], ignore_index=True)
    if len(ident) == 1:
        ident["co_type"], ident["share"] = "单独所有", -1
    elif prop.outside_holder:  # equal shares; thirds written 33.33% each (sum 99.99%)
        ident["co_type"] = "按份共有"
        ident["share"] = [3333] * 3 if len(ident) == 3 else split_hundredths(np.ones(len(ident)))
    else:
        ident["co_type"], ident["share"] = "共同共有", -1
    hh = world.planted_hh[sid]
    village = world.households.at[hh, "village"]
    land = prop.area is None
    unit = _make_units(rng, np.array([prop.use], dtype=object), np.array([town], dtype=object),
                       np.array([village], dtype=object), taken, land=np.array([land]),
                       area=np.array([np.nan if land else float(prop.area)]))
    unit["planted"] = sid
    u = int(log.add_units(unit)[0])

    end_day = None
    if prop.sold_days_ago is not None:
        end_day = _place(as_of - prop.sold_days_ago * DAY, first, as_of)
    if prop.via_daily_log_days_ago is not None:
        acq = _place(as_of - prop.via_daily_log_days_ago * DAY, first, as_of)
    else:  # long before the event period, once the member was an adult
        latest = min(p0 - DAY, end_day - DAY) if end_day is not None else p0 - DAY
        adult = people.pool.birth[pid] + 20 * 365 * DAY
        span = int(np.clip((latest - adult) / DAY, 31, 12 * 365))
        acq = np.busday_offset(latest - int(rng.integers(30, span)) * DAY, 0, roll="backward")
    if prop.cancelled:
        later = window[window >= acq]
        if len(later) >= 2:
            end_day = later[1 + int(rng.integers(0, len(later) - 1))]
        elif len(later) == 1:
            end_day = later[0]
        else:
            end_day = np.busday_offset(first - DAY, 0, roll="backward")
    if end_day is not None and end_day < acq:
        raise ValueError(f"{where}: the unit would end before it was acquired")
    acq_time = office_times(rng, np.array([acq]), 9.0, 12.0)[0]
    regs = []
    acq_type = "首次登记"
    if prop.via_daily_log_days_ago is not None and rng.random() < 0.5:
        # bought from a background holder registered long before
        acq_type = "转移登记"
        seller = people.primary(rng, people.households_by_wealth(rng, 1))
        old_day = np.busday_offset(min(acq, p0) - int(rng.integers(2 * 365, 10 * 365)) * DAY, 0, roll="backward")
        regs.append(("首次登记", office_times(rng, np.array([old_day]))[0], old_day,
                     _single(people.identity(seller), np.array([0])).drop(columns="ru")))
    regs.append((acq_type, acq_time, acq, ident))
    if end_day is not None:
        end_time = office_times(rng, np.array([end_day]), 14.0, 17.0)[0]
        if prop.cancelled:
            regs.append(("注销登记", end_time, end_day, ident))
        else:
            buyer = people.primary(rng, people.households_by_wealth(rng, 1))
            regs.append(("转移登记", end_time, end_day,
                         _holder_sets(rng, people, buyer, np.array([0])).drop(columns="ru")))
    ru = log.add_rus(pd.DataFrame({"u": u, "reg": -1, "reg_type": [r[0] for r in regs],
                                   "reg_time": np.array([r[1] for r in regs], dtype="datetime64[s]"),
                                   "delivered_on": np.array([r[2] for r in regs], dtype="datetime64[D]"),
                                   "planted": sid}))
    for k, r in enumerate(regs):
        log.holders.append(r[3].assign(ru=ru[k]))
        if r[0] == "注销登记":
            log.cancelled_of[int(ru[k])] = int(ru[k - 1])


# --- numbers and assembly -------------------------------------------------------------------------

def _numbers(rng: np.random.Generator, rus: pd.DataFrame, cancelled_of: dict[int, int]) -> pd.DataFrame:
    """业务编号 per registration (acceptance date + sequence) and 不动产权证号 per registration-unit."""
    regs = rus.groupby("reg", sort=True)["reg_time"].first()
    reg_day = regs.to_numpy().astype("datetime64[D]")
    # acceptance 1-30 days before 登记时间 (28 + at most a weekend)
    acc = np.busday_offset(reg_day - rng.integers(1, 29, size=len(regs)) * DAY, 0, roll="backward")
    order = np.lexsort((regs.to_numpy(), acc))
    acc_sorted = acc[order]
    gaps = rng.integers(1, 5, size=len(regs))
    csum = np.cumsum(gaps)
    day_start = np.r_[True, acc_sorted[1:] != acc_sorted[:-1]] if len(regs) else np.array([], dtype=bool)
    base = np.maximum.accumulate(np.where(day_start, csum - gaps, 0)) if len(regs) else csum
    seq = csum - base
    # Arrow string ops: no Python string per row (~1.1M rows at full scale)
    biz_sorted = (pd.Series(acc_sorted).dt.strftime("%Y%m%d").astype("str")
                  + pd.Series(seq).astype("str").str.zfill(6))
    biz = pd.Series(biz_sorted.to_numpy(), index=order).sort_index()
    biz_of = pd.Series(biz.to_numpy(), index=regs.index)

    rus = rus.copy()
    rus["biz_no"] = biz_of.reindex(rus["reg"]).to_numpy()
    year = rus["reg_time"].dt.year.to_numpy()
    order = np.lexsort((rus["ru"].to_numpy(), rus["reg_time"].to_numpy(), year))
    gaps = rng.integers(1, 4, size=len(rus))
    y_sorted = year[order]
    csum = np.cumsum(gaps)
    start = np.r_[True, y_sorted[1:] != y_sorted[:-1]] if len(rus) else np.array([], dtype=bool)
    base = np.maximum.accumulate(np.where(start, csum - gaps, 0)) if len(rus) else csum
    cert_seq = np.empty(len(rus), dtype=np.int64)
    cert_seq[order] = csum - base
    cert = ("鲁(" + pd.Series(year).astype("str") + ")滕州市不动产权第"
            + pd.Series(cert_seq).astype("str").str.zfill(7) + "号")
    by_ru = pd.Series(cert.to_numpy(), index=rus["ru"].to_numpy())
    # 注销: the cancelled certificate; unknown units: an old paper-era number.
    for ru_cancel, ru_old in cancelled_of.items():
        by_ru[ru_cancel] = by_ru[ru_old]
    rus["cert_no"] = by_ru.reindex(rus["ru"]).to_numpy()
    return rus


def build(world: World, pool: Pool, entities: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = world.cfg
    rng = world.rng("assets:property")
    p0 = np.datetime64(cfg.first_business_date - timedelta(days=PRE_WINDOW_DAYS), "D")
    people = _People(world, pool)
    log = _Log()
    taken: set[str] = set()
    base = _base(world, pool, people, entities, log, rng, taken, p0)
    _events(world, people, entities, log, base, world.rng("assets:property-events"), taken, p0)
    _planted(world, people, log, world.rng("assets:property-planted"), taken, p0)
    units = pd.concat(log.units, ignore_index=True)
    rus = pd.concat(log.rus, ignore_index=True)
    rus["reg_time"] = rus["reg_time"].astype("datetime64[s]")
    rus = _numbers(world.rng("assets:property-numbers"), rus, log.cancelled_of)
    paper_cancel = rus["reg_type"].eq("注销登记") & units["on_paper"].to_numpy()[rus["u"].to_numpy()]
    rus.loc[paper_cancel, "cert_no"] = [f"鲁({2005 + i % 10})滕州市不动产权第{9_000_000 + i:07d}号"
                                        for i in range(int(paper_cancel.sum()))]
    holders = pd.concat(log.holders, ignore_index=True)
    regs = holders.merge(rus[["ru", "u", "biz_no", "cert_no", "reg_type", "reg_time", "delivered_on", "planted"]],
                         on="ru")
    regs["unit"] = units["unit"].to_numpy()[regs["u"].to_numpy()]
    regs["share"] = _share_texts(regs["share"].to_numpy().astype(np.int64))
    regs["holder_pid"] = regs["holder_pid"].astype(np.int64)
    regs["delivered_on"] = regs["delivered_on"].astype("datetime64[s]")
    regs = regs.sort_values(["reg_time", "biz_no", "unit"], kind="stable")
    return units[UNIT_COLUMNS].reset_index(drop=True), regs[REG_COLUMNS].reset_index(drop=True)


def _share_texts(h: np.ndarray) -> np.ndarray:
    out = np.full(len(h), None, dtype=object)
    ok = h >= 0
    out[ok] = share_text(h[ok])
    return out
