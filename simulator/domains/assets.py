"""Assets of the synthetic city: market entities, motor vehicles and real estate (what is true).

`build(world)` adds five world tables (entities first: vehicles and property draw organisation
owners from them). Dates are naive `datetime64[s]` at midnight unless stated; NaT = open / none.

- `entities` (simulator/domains/assets_business.py): one row per market entity with a 统一社会信用代码.
  uscc, name, etype (市场主体类型), capital (注册资本 万元, NaN for 个体工商户), funds (资金数额 万元, NaN =
  empty), established (成立日期), initial_status (登记状态 before `status_date`), status (登记状态 from
  `status_date` on; equal to initial_status when status_date is NaT), status_date, scope (经营范围, may hold a
  line break), address (住所), authority (登记机关), town, planted (scenario id or "").
- `entity_persons`: one row per (entity, 人员类型, person, validity interval). uscc (may name no entity:
  quirk orphan_person), role, pid (-1 = not in `people`), name, id_kind (证件类型), id_number (canonical),
  contribution (认缴出资额 万元, NaN = empty), share (出资比例 text, None = empty), valid_from / valid_to
  (NaT = since establishment / still recorded), planted.
- `vehicles` (assets_vehicles.py): one row per (vehicle, state interval). vin, plate, plate_type,
  vtype (车辆类型), use (使用性质), brand, first_reg, owner_kind ('person', 'outsider' = not in the hukou
  register, 'org'), owner_pid (-1 unless 'person'), owner_id (canonical ID number or 统一社会信用代码),
  owner_name, owner_legacy15 (the register keeps the 15-digit number: planted fact), status (机动车状态
  letters), valid_from, valid_to (exclusive; NaT = open), planted.
- `property_units` (assets_property.py): one row per 不动产单元. unit, use (用途), area (建筑面积, NaN =
  none), location (坐落), town, on_paper (registered on paper before the system: quirk unknown_unit), planted.
- `property_registrations`: the change log, one row per (业务编号, unit, holder). biz_no, unit, cert_no
  (ASCII parentheses), reg_type, reg_time (datetime64[s]), delivered_on (business date of the daily file
  carrying it; <= first business date = reflected in the FULL file), holder_pid (-1 = not in `people`),
  id_kind (证件种类), holder_id (canonical), holder_name, co_type (共有情况), share (共有份额 text or None),
  planted.

Planted persons (people.planted != "") get exactly the facts of their scenario (PVehicle, PProperty,
PBusiness) and nothing else; background draws never pick them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulator.config import FULL_SCALE_HOUSEHOLDS, SimConfig
from simulator.geo import is_urban
from simulator.ids import make_ids
from simulator.names import person_names
from simulator.world import World

DAY = np.timedelta64(1, "D")
#: Area codes of persons outside the Tengzhou register (never used for residents, so never a collision).
OUTSIDE_AREAS = ("370102", "370211", "370811", "320303", "110105", "410105", "340104", "130102")


def _d64(x: date) -> np.datetime64:
    return np.datetime64(x, "D")


def weekly_folder_dates(cfg: SimConfig, weekday: int) -> list[date]:
    """Folder dates of a weekly night delivery (weekday: 0 = Monday): the latest one before the window's
    first folder, then every one in [first folder, as-of + 1] (docs/simulator.md, Time)."""
    first = cfg.first_business_date + timedelta(days=1)
    before = first - timedelta(days=(first.weekday() - weekday - 1) % 7 + 1)
    inside = [first + timedelta(days=i) for i in range((cfg.last_folder_date - first).days + 1)]
    return [before] + [d for d in inside if d.weekday() == weekday]


def change_period_start(cfg: SimConfig) -> date:
    """Start of the weeks in which weekly changes (transfers, closures, …) are generated: four weeks
    before the as-of date of the earliest weekly snapshot written."""
    earliest = min(weekly_folder_dates(cfg, 0)[0], weekly_folder_dates(cfg, 2)[0])
    return earliest - timedelta(days=29)


def scale_factor(cfg: SimConfig) -> float:
    """Share of the full city: volumes stated at full scale are multiplied by it."""
    return cfg.n_households / FULL_SCALE_HOUSEHOLDS


@dataclass(frozen=True)
class Pool:
    """Background persons the asset draws pick from (planted persons never), indexed by pid.

    adults: alive on the horizon and aged >= 19 on the as-of date; dead: died before the first business
    date aged >= 25 (deceased owners and holders).
    """

    adults: np.ndarray
    dead: np.ndarray
    age: np.ndarray
    wealth: np.ndarray
    urban: np.ndarray
    hh: np.ndarray
    town: np.ndarray
    ids: np.ndarray
    names: np.ndarray
    birth: np.ndarray
    death: np.ndarray


def make_pool(world: World) -> Pool:
    cfg = world.cfg
    p = world.people
    hh = p["hh"].to_numpy()
    households = world.households.set_index("hh")
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    age = ((_d64(cfg.as_of) - birth) / DAY / 365.25).astype(int)
    background = (p["planted"] == "").to_numpy()
    alive = np.isnat(death)
    age_at_death = np.where(alive, 0, ((death - birth) / DAY / 365.25)).astype(int)
    town = households["town"].reindex(hh).to_numpy().astype(object)
    return Pool(
        adults=np.flatnonzero(background & alive & (age >= 19)),
        dead=np.flatnonzero(background & ~alive & (death < _d64(cfg.first_business_date))
                            & (age_at_death >= 25)),
        age=age,
        wealth=households["wealth"].reindex(hh).to_numpy(dtype=float),
        urban=np.array([is_urban(t) for t in town], dtype=bool),
        hh=hh, town=town,
        ids=p["id_number"].to_numpy().astype(object),
        names=p["name"].to_numpy().astype(object),
        birth=birth, death=death,
    )


def pick(rng: np.random.Generator, candidates: np.ndarray, weights: np.ndarray | None, n: int) -> np.ndarray:
    """n draws with replacement from candidates (probability proportional to weights)."""
    if n <= 0 or len(candidates) == 0:
        return np.array([], dtype=candidates.dtype)
    p = None if weights is None else weights / weights.sum()
    return rng.choice(candidates, size=n, p=p)


def outsiders(rng: np.random.Generator, n: int, cfg: SimConfig) -> pd.DataFrame:
    """Persons not in the Tengzhou register: canonical ID numbers from other areas, names, birth dates."""
    if n <= 0:
        return pd.DataFrame({"id_number": pd.Series([], dtype=object), "name": pd.Series([], dtype=object),
                             "birth": np.array([], dtype="datetime64[D]")})
    area = rng.choice(np.array(OUTSIDE_AREAS), size=n)
    birth = _d64(cfg.as_of) - rng.integers(22 * 365, 70 * 365, size=n) * DAY
    male = rng.random(n) < 0.6
    seq = rng.integers(0, 500, size=n) * 2 + male
    ids = make_ids(area, birth, seq)
    for _ in range(50):  # unique among themselves
        dup = pd.Series(ids).duplicated().to_numpy()
        if not dup.any():
            break
        ids[dup] = make_ids(area[dup], birth[dup], rng.integers(0, 500, size=int(dup.sum())) * 2 + male[dup])
    return pd.DataFrame({"id_number": ids.astype(object), "name": person_names(male, rng), "birth": birth})


def working_days(start: np.datetime64, end: np.datetime64) -> np.ndarray:
    """Monday-Friday days in [start, end] (simulator.calendar ignores holidays, so does this)."""
    days = np.arange(start, end + DAY, dtype="datetime64[D]")
    return days[np.is_busday(days)]


def office_times(rng: np.random.Generator, days: np.ndarray, lo_h: float = 8.5, hi_h: float = 17.5) -> np.ndarray:
    """A time of day between lo_h and hi_h o'clock on each day (datetime64[s])."""
    secs = rng.integers(int(lo_h * 3600), int(hi_h * 3600), size=len(days))
    return days.astype("datetime64[s]") + secs.astype("timedelta64[s]")


def share_text(hundredths: np.ndarray) -> np.ndarray:
    """'50%', '35.5%', '33.33%' from shares in hundredths of a percent."""
    out = []
    for h in np.asarray(hundredths, dtype=np.int64):
        whole, frac = divmod(int(h), 100)
        out.append(f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%")
    return np.array(out, dtype=object)


def split_hundredths(weights: np.ndarray) -> np.ndarray:
    """Integer shares in hundredths of a percent summing to exactly 10000 (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * 10000
    base = np.floor(raw).astype(np.int64)
    rest = 10000 - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


def build(world: World) -> None:
    """Entities and their persons, then vehicles, then real estate (see the module docstring)."""
    from simulator.domains import assets_business, assets_property, assets_vehicles

    pool = make_pool(world)
    entities, persons = assets_business.build(world, pool)
    world.tables["entities"] = compact(entities)
    world.tables["entity_persons"] = compact(persons)
    world.tables["vehicles"] = compact(assets_vehicles.build(world, pool, entities))
    units, registrations = assets_property.build(world, pool, entities)
    world.tables["property_units"] = compact(units)
    world.tables["property_registrations"] = compact(registrations)


def compact(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas' Arrow-backed `str` dtype (missing = NaN): a tenth of the memory of
    Python string objects, which matters at full scale (~1.1M registration rows)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype("str")
    return out


# --- views the sources (and the truth) read --------------------------------------------------------

def vehicles_on(vehicles: pd.DataFrame, day: date) -> pd.DataFrame:
    """The vehicle register at 24:00 of `day`: states in force on that day, registrations that ended
    (B, E, M) only within the 24 months before it (vehicles.yaml semantics.content)."""
    d = np.datetime64(day, "s")
    vf = vehicles["valid_from"].to_numpy()
    vt = vehicles["valid_to"].to_numpy()
    live = (vf <= d) & (np.isnat(vt) | (vt > d)) & (vehicles["first_reg"].to_numpy() <= d)
    ended = vehicles["status"].isin(["B", "E", "M"]).to_numpy()
    cutoff = np.datetime64(pd.Timestamp(day) - pd.DateOffset(months=24), "s")
    return vehicles[live & (~ended | (vf > cutoff))]


def business_on(entities: pd.DataFrame, persons: pd.DataFrame, day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The market-entity register at 24:00 of `day`: entities established by then with their status on
    that day, and the persons recorded on that day (orphan rows included)."""
    d = np.datetime64(day, "s")
    ents = entities[entities["established"].to_numpy() <= d].copy()
    sd = ents["status_date"].to_numpy()
    ents["status"] = np.where(~np.isnat(sd) & (sd <= d), ents["status"], ents["initial_status"])
    vf = persons["valid_from"].to_numpy()
    vt = persons["valid_to"].to_numpy()
    on = (np.isnat(vf) | (vf <= d)) & (np.isnat(vt) | (vt > d))
    known = persons["uscc"].isin(entities["uscc"]).to_numpy()
    in_ents = persons["uscc"].isin(ents["uscc"]).to_numpy()
    return ents, persons[on & (in_ents | ~known)]


def property_holdings(registrations: pd.DataFrame, day: date) -> pd.DataFrame:
    """Current holder rows at 24:00 of business date `day`, replaying every registration delivered by then
    (property.yaml semantics.current_state): per unit the registration with the latest 登记时间 (then the
    greater 业务编号) wins; a 注销登记 leaves no holder. The index of `registrations` is kept."""
    d = np.datetime64(day, "D")
    regs = registrations[registrations["delivered_on"].to_numpy().astype("datetime64[D]") <= d]
    key = regs[["unit", "reg_time", "biz_no"]]
    last = (key.drop_duplicates().sort_values(["unit", "reg_time", "biz_no"], kind="stable")
            .drop_duplicates("unit", keep="last"))
    won = pd.MultiIndex.from_frame(key).isin(pd.MultiIndex.from_frame(last))
    return regs[won & (regs["reg_type"] != "注销登记").to_numpy()]
