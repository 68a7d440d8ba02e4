"""Motor vehicles on the Tengzhou register (table `vehicles`; grain and columns in
simulator/domains/assets.py).

Volumes at full scale (vehicles.yaml): ~450k rows per snapshot (~410k current, ~40k ended within 24
months), ~8% owned by organisations; weekly ~900 new registrations, ~600 transfers, ~500 cancellations.
Households own cars by wealth: the poorest (wealth < 0.07) rarely own a non-exempt car and more often
a motorcycle, 三轮汽车 or 低速货车 (exempt types), so the vehicle rule and its exemptions both matter.
"""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pandas as pd

from simulator.domains.assets import (
    DAY,
    Pool,
    change_period_start,
    outsiders,
    pick,
    scale_factor,
    weekly_folder_dates,
)
from simulator.ids import to_legacy15
from simulator.world import World

STATUS_RE = re.compile(r"^(A|B|E|M|(?=[CDGPQ])C?D?G?P?Q?)$")
ENDED = ("B", "E", "M")
#: 车辆类型 → allowed 号牌种类 (vehicles.yaml 车辆类型 meaning).
PLATE_TYPES = {
    "小型轿车": ("小型汽车", "新能源小型车"), "小型普通客车": ("小型汽车", "新能源小型车"),
    "轻型普通货车": ("小型汽车", "新能源小型车"), "残疾人专用小型自动挡载客汽车": ("小型汽车",),
    "重型半挂牵引车": ("大型汽车",), "重型普通货车": ("大型汽车",), "重型普通半挂车": ("挂车",),
    "普通二轮摩托车": ("普通摩托车", "轻便摩托车"), "三轮汽车": ("低速车",), "低速货车": ("低速车",),
}
EXEMPT = ("普通二轮摩托车", "三轮汽车", "低速货车", "残疾人专用小型自动挡载客汽车")
#: 车辆类型 → (brand models, new-energy brand models)
BRANDS = {
    "小型轿车": (("大众汽车牌FV7152BBDBG", "大众汽车牌SVW7144BPV", "丰田牌TV7250HEV", "别克牌SGM7150DAA1",
                 "吉利牌MR7152D01", "长安牌SC7164JAB6", "本田牌HG7150CAC6", "日产牌DFL7160VBL3", "奇瑞牌SQR7150J621"),
                ("比亚迪牌BYD7005BEVA", "特斯拉牌TSL7000BEVAR0", "五菱牌LZW7001EVNE", "比亚迪牌BYD7152ST6HEV")),
    "小型普通客车": (("五菱牌LZW6407BAF", "长安牌SC6406B5", "金杯牌SY6543US3BH", "别克牌SGM6521ATA", "哈弗牌CC6460RM21"),
                  ("理想牌LXA6500SHEVX1", "比亚迪牌BYD6480STHEV")),
    "轻型普通货车": (("福田牌BJ1032V5JV5", "江淮牌HFC1041P93K1C2V", "五菱牌LZW1028PYA", "东风牌EQ1041S3BDF"),
                  ("东风牌EQ1032TACBEV",)),
    "残疾人专用小型自动挡载客汽车": (("奇瑞牌SQR7150J621", "比亚迪牌BYD7150WT5"), ()),
    "重型半挂牵引车": (("解放牌CA4250P66K24T1A1E5", "东风牌DFH4250A", "豪沃牌ZZ4257N3247E1"), ()),
    "重型普通货车": (("解放牌CA1310P63K1L6T4E5", "豪沃牌ZZ1317N4667E1", "陕汽牌SX1310MB456"), ()),
    "重型普通半挂车": (("梁山华宇牌HYJ9400", "梁山通亚牌TYA9400", "鲁郓万通牌YFW9401"), ()),
    "普通二轮摩托车": (("雅迪牌YD1200DT", "爱玛牌AM1000DT", "豪爵牌HJ125-7", "五羊-本田牌WH125-12",
                   "新大洲本田牌SDH125-51", "钱江牌QJ150-19A"), ()),
    "三轮汽车": (("时风牌7YP-1450D", "五征牌7YP-1450D9", "巨力牌7YP-1150DA"), ()),
    "低速货车": (("时风牌SF2310", "五征牌WL2310D", "北京牌BJ2810"), ()),
}
#: World manufacturer identifiers by brand (VIN positions 1-3).
WMI = {"大众汽车": "LFV", "丰田": "LVG", "别克": "LSG", "吉利": "L6T", "长安": "LS5", "本田": "LHG", "日产": "LGB",
       "奇瑞": "LVV", "比亚迪": "LGX", "特斯拉": "LRW", "五菱": "LZW", "理想": "LW4", "金杯": "LSY", "哈弗": "LGW",
       "福田": "LVB", "江淮": "LJ1", "东风": "LGA", "解放": "LFW", "豪沃": "LZZ", "陕汽": "LZG", "梁山华宇": "LA9",
       "梁山通亚": "LA9", "鲁郓万通": "LA9", "雅迪": "LYD", "爱玛": "LAM", "豪爵": "LC6", "五羊-本田": "LWB",
       "新大洲本田": "LAL", "钱江": "LBB", "时风": "LS7", "五征": "LWZ", "巨力": "LJL", "北京": "LBJ"}
VIN_CHARS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))
PLATE_CHARS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
PLATE_LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # ISO 3779 model year: A = 2010 … Y = 2000, 1 = 2001 …
STATUS_SHARES = (("A", 0.816), ("G", 0.03), ("Q", 0.03), ("GQ", 0.015), ("P", 0.004), ("PQ", 0.004),
                 ("GPQ", 0.002), ("C", 0.002), ("D", 0.002), ("DG", 0.001), ("B", 0.015), ("E", 0.058),
                 ("M", 0.021))
COLUMNS = ["vin", "plate", "plate_type", "vtype", "use", "brand", "first_reg", "owner_kind", "owner_pid",
           "owner_id", "owner_name", "owner_legacy15", "status", "valid_from", "valid_to", "planted"]


def build(world: World, pool: Pool, entities: pd.DataFrame) -> pd.DataFrame:
    cfg = world.cfg
    rng = world.rng("assets:vehicles")
    earliest = np.datetime64(weekly_folder_dates(cfg, 0)[0] - timedelta(days=1), "D")
    horizon = np.datetime64(cfg.horizon_end, "D")
    v = _background_vehicles(world, pool, entities, rng, earliest, horizon)
    planted = _planted(world, pool, world.rng("assets:vehicles-planted"), earliest)
    v = pd.concat([v, planted], ignore_index=True)
    v = _identify(v, rng)
    states = _states(world, pool, entities, v, rng, earliest, horizon)
    return states[COLUMNS].reset_index(drop=True)


# --- who owns what -------------------------------------------------------------------------------

def _household_vehicles(world: World, pool: Pool, rng: np.random.Generator) -> pd.DataFrame:
    """Vehicles of registered households, drawn from household wealth; owner an adult member."""
    hh = world.households
    bg = ~hh["hh"].isin(list(world.planted_hh.values())).to_numpy()
    w = hh["wealth"].to_numpy()
    poor = w < 0.07
    urban = hh["town"].str.endswith("街道").to_numpy()
    lam = {
        "car": np.where(poor, 0.03, 0.12 + 0.7 * w),
        "moto": np.where(urban, 0.07, 0.13) + np.where(poor, 0.05, 0.0),
        "lowspeed": np.where(urban, 0.01, 0.09) * np.where(poor, 1.3, 1.0),
        "heavy": 0.012 * (0.5 + w) * ~poor,
        "disabled": np.full(len(hh), 0.0015),
    }
    # Eligible owners per household (background adults), head preferred.
    adults = pool.adults
    order = np.argsort(pool.hh[adults], kind="stable")
    a_sorted = adults[order]
    a_hh = pool.hh[a_sorted]
    start = np.searchsorted(a_hh, hh["hh"].to_numpy(), side="left")
    count = np.searchsorted(a_hh, hh["hh"].to_numpy(), side="right") - start
    # The 户主 of each household, if he is an eligible owner (hh equals the row of `households`).
    head_of = np.full(len(hh), -1, dtype=np.int64)
    is_adult = np.zeros(len(pool.hh), dtype=bool)
    is_adult[adults] = True
    head_pid = np.flatnonzero((world.people["rel"] == "户主").to_numpy() & is_adult)
    head_of[pool.hh[head_pid]] = head_pid
    frames = []
    for cat, lam_c in lam.items():
        k = rng.poisson(lam_c) * (bg & (count > 0))
        h = np.repeat(np.arange(len(hh)), k)
        owner = a_sorted[start[h] + (rng.random(len(h)) * count[h]).astype(np.int64)]
        head = head_of[h]
        owner = np.where((rng.random(len(h)) < 0.6) & (head >= 0), head, owner)
        frames.append(pd.DataFrame({"cat": cat, "owner_pid": owner}))
    out = pd.concat(frames, ignore_index=True)
    out["owner_kind"] = "person"
    return out


def _vtypes(rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
    n = len(cat)
    out = np.empty(n, dtype=object)
    table = {
        "car": (("小型轿车", "小型普通客车", "轻型普通货车"), (0.80, 0.14, 0.06)),
        "moto": (("普通二轮摩托车",), (1.0,)),
        "lowspeed": (("三轮汽车", "低速货车"), (0.6, 0.4)),
        "heavy": (("重型半挂牵引车", "重型普通货车", "重型普通半挂车"), (0.35, 0.40, 0.25)),
        "disabled": (("残疾人专用小型自动挡载客汽车",), (1.0,)),
        "org": (("轻型普通货车", "重型半挂牵引车", "重型普通货车", "重型普通半挂车", "小型轿车", "小型普通客车"),
                (0.22, 0.15, 0.13, 0.15, 0.25, 0.10)),
    }
    for c, (types, p) in table.items():
        sel = np.flatnonzero(cat == c)
        out[sel] = rng.choice(np.array(types, dtype=object), size=len(sel), p=np.array(p))
    return out


def _background_vehicles(world: World, pool: Pool, entities: pd.DataFrame, rng: np.random.Generator,
                         earliest: np.datetime64, horizon: np.datetime64) -> pd.DataFrame:
    cfg = world.cfg
    hv = _household_vehicles(world, pool, rng)
    n_person = len(hv)
    # Owners not in the Tengzhou hukou register (~2% of person-owned rows).
    n_out = int(round(n_person * 0.02 / 0.98))
    ext = outsiders(rng, n_out, cfg)
    ov = pd.DataFrame({"cat": rng.choice(np.array(["car", "moto", "heavy"], dtype=object), size=n_out,
                                         p=[0.8, 0.12, 0.08]),
                       "owner_pid": -1, "owner_kind": "outsider", "owner_id": ext["id_number"].to_numpy(),
                       "owner_name": ext["name"].to_numpy()})
    # Registered owners who died; the vehicle was never transferred (~1.5% of person-owned A rows).
    n_dead = int(round((n_person + n_out) * 0.82 * 0.015))
    dead = pool.dead[pool.death[pool.dead] < earliest]
    dv = pd.DataFrame({"cat": rng.choice(np.array(["car", "moto", "lowspeed"], dtype=object), size=n_dead,
                                         p=[0.7, 0.2, 0.1]),
                       "owner_pid": pick(rng, dead, None, n_dead) if len(dead) else np.full(n_dead, -1),
                       "owner_kind": "person", "deceased": True})
    dv = dv[dv["owner_pid"] >= 0]
    # Organisations (~8% of all rows): enterprises active on the horizon.
    n_org = int(round((n_person + n_out + len(dv)) * 0.08 / 0.92))
    firms = entities[entities["uscc"].str.startswith("91") & entities["status"].isin(["存续", "在业"])
                     & (entities["planted"] == "")]
    f = rng.integers(0, len(firms), size=n_org) if len(firms) else np.array([], dtype=int)
    org = pd.DataFrame({"cat": "org", "owner_pid": -1, "owner_kind": "org",
                        "owner_id": firms["uscc"].to_numpy()[f], "owner_name": firms["name"].to_numpy()[f],
                        "org_est": firms["established"].to_numpy()[f]})
    v = pd.concat([hv, ov, dv, org], ignore_index=True)
    v["deceased"] = v["deceased"].astype("boolean").fillna(False).astype(bool)
    person = v["owner_kind"] == "person"
    v.loc[person, "owner_id"] = pool.ids[v.loc[person, "owner_pid"].to_numpy()]
    v.loc[person, "owner_name"] = pool.names[v.loc[person, "owner_pid"].to_numpy()]
    v["vtype"] = _vtypes(rng, v["cat"].to_numpy())
    v["first_reg"] = _first_registration(rng, v, pool, horizon)
    v["status"], v["end"] = _status(rng, v, earliest, horizon)
    v["planted"] = ""
    v["owner_legacy15"] = False
    return v.drop(columns=["cat", "org_est"])


def _first_registration(rng: np.random.Generator, v: pd.DataFrame, pool: Pool,
                        horizon: np.datetime64) -> np.ndarray:
    """初次登记日期: skewed to recent years (~900 new registrations a week at full scale); never before the
    owner turned 20 or the organisation was established; before a deceased owner's death."""
    n = len(v)
    age = np.minimum(rng.exponential(8 * 365.25, size=n), 25 * 365).astype(np.int64)
    first = horizon - age * DAY
    lo = np.full(n, np.datetime64("1995-01-01", "D"))
    hi = np.full(n, horizon)
    person = (v["owner_kind"] == "person").to_numpy()
    pid = v["owner_pid"].to_numpy()
    lo[person] = np.maximum(lo[person], pool.birth[pid[person]] + 20 * 365 * DAY)
    dec = v["deceased"].to_numpy()
    hi[dec] = pool.death[pid[dec]] - 30 * DAY
    org = (v["owner_kind"] == "org").to_numpy()
    est = v["org_est"].to_numpy().astype("datetime64[D]")
    lo[org] = np.maximum(lo[org], est[org])
    lo = np.minimum(lo, hi - DAY)
    bad = (first < lo) | (first > hi)
    span = ((hi - lo) / DAY).astype(np.int64)
    first[bad] = lo[bad] + (rng.random(int(bad.sum())) * span[bad]).astype(np.int64) * DAY
    return first.astype("datetime64[s]")


def _status(rng: np.random.Generator, v: pd.DataFrame, earliest: np.datetime64,
            horizon: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Final 机动车状态 per vehicle and, for B/E/M, the day the registration ended (within the 24 months
    before the earliest snapshot written, or later)."""
    n = len(v)
    codes = np.array([c for c, _ in STATUS_SHARES], dtype=object)
    p = np.array([s for _, s in STATUS_SHARES])
    status = rng.choice(codes, size=n, p=p / p.sum())
    first = v["first_reg"].to_numpy().astype("datetime64[D]")
    # 达到报废标准 (P) only for vehicles older than 8 years: move young draws onto old 'A' vehicles.
    young = first > horizon - 8 * 365 * DAY
    has_p = np.array(["P" in s for s in status])
    moved = status[young & has_p]
    status[young & has_p] = "A"
    old_a = np.flatnonzero(~young & (status == "A") & ~v["deceased"].to_numpy())
    take = rng.choice(old_a, size=min(len(moved), len(old_a)), replace=False)
    status[take] = moved[:len(take)]
    status[v["deceased"].to_numpy()] = "A"
    lo24 = np.datetime64(pd.Timestamp(earliest) - pd.DateOffset(months=24), "D") + DAY
    lo = np.maximum(first + 60 * DAY, lo24)
    ended = np.isin(status, ENDED)
    status[ended & (lo >= horizon)] = "A"
    ended = np.isin(status, ENDED)
    span = np.maximum(((horizon - lo) / DAY).astype(np.int64), 1)
    end = lo + (rng.random(n) * span).astype(np.int64) * DAY
    return status, np.where(ended, end, np.datetime64("NaT")).astype("datetime64[s]")


# --- planted ----------------------------------------------------------------------------------------

def _planted(world: World, pool: Pool, rng: np.random.Generator, earliest: np.datetime64) -> pd.DataFrame:
    """Exactly the planted PVehicle facts; the state holds on every snapshot written."""
    rows = []
    for h, m, pid in world.planted_members():
        for pv in m.vehicles:
            if pv.vtype not in PLATE_TYPES:
                raise ValueError(f"{h.sid}/{m.key}: unknown 车辆类型 {pv.vtype!r}")
            if not STATUS_RE.match(pv.status):
                raise ValueError(f"{h.sid}/{m.key}: invalid 机动车状态 {pv.status!r}")
            idn = world.id_of(pid)
            if pv.legacy15_owner_id and to_legacy15(idn) is None:
                raise ValueError(f"{h.sid}/{m.key}: a 15-digit number needs a birth year before 1985")
            adult = pool.birth[pid] + 18 * 365 * DAY
            span = int(np.clip((earliest - adult) / DAY, 2 * 365 + 1, 10 * 365))
            first = earliest - int(rng.integers(2 * 365, span)) * DAY
            end = earliest - int(rng.integers(30, 300)) * DAY if pv.status in ENDED else np.datetime64("NaT")
            rows.append({"owner_pid": pid, "owner_kind": "person", "owner_id": idn,
                         "owner_name": world.people.at[pid, "name"], "vtype": pv.vtype,
                         "first_reg": np.datetime64(first, "s"), "status": pv.status,
                         "end": np.datetime64(end, "s"), "planted": h.sid, "deceased": False,
                         "owner_legacy15": pv.legacy15_owner_id})
    cols = ["owner_pid", "owner_kind", "owner_id", "owner_name", "vtype", "first_reg", "status", "end",
            "planted", "deceased", "owner_legacy15"]
    out = pd.DataFrame(rows, columns=cols)
    out["first_reg"] = out["first_reg"].astype("datetime64[s]")
    out["end"] = out["end"].astype("datetime64[s]")
    return out


# --- identities: plates, VINs, brands, use -----------------------------------------------------------

def _identify(v: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    v = v.copy()
    n = len(v)
    vtype = v["vtype"].to_numpy()
    first = v["first_reg"].to_numpy().astype("datetime64[D]")
    year = first.astype("datetime64[Y]").astype(int) + 1970
    nev_p = np.where(year >= 2021, 0.25, np.where(year >= 2017, 0.05, 0.0))
    small = np.isin(vtype, ["小型轿车", "小型普通客车", "轻型普通货车"])
    nev = small & (rng.random(n) < nev_p * np.where(vtype == "轻型普通货车", 0.3, 1.0))
    plate_type = np.array([PLATE_TYPES[t][0] for t in vtype], dtype=object)
    plate_type[nev] = "新能源小型车"
    moto = vtype == "普通二轮摩托车"
    plate_type[moto & (rng.random(n) < 0.3)] = "轻便摩托车"
    v["plate_type"] = plate_type
    v["brand"] = _brands(rng, vtype, nev)
    v["use"] = _use(rng, vtype, (v["owner_kind"] == "org").to_numpy())
    planted = (v["planted"] != "").to_numpy()
    v.loc[planted, "use"] = np.where(np.isin(vtype[planted], ["重型半挂牵引车", "重型普通货车", "重型普通半挂车"]),
                                     "货运", "非营运")
    v["vin"] = _vins(rng, v["brand"].to_numpy(), year, vtype, planted)
    v["plate"] = new_plates(rng, plate_type, set())
    return v


def _brands(rng: np.random.Generator, vtype: np.ndarray, nev: np.ndarray) -> np.ndarray:
    out = np.empty(len(vtype), dtype=object)
    for t, (ice, ev) in BRANDS.items():
        for mask, models in ((vtype == t) & ~nev, ice), ((vtype == t) & nev, ev or ice):
            sel = np.flatnonzero(mask)
            out[sel] = rng.choice(np.array(models, dtype=object), size=len(sel))
    return out


def _use(rng: np.random.Generator, vtype: np.ndarray, org: np.ndarray) -> np.ndarray:
    """使用性质: 出租客运 only with 小型轿车, 公路客运 only with 小型普通客车 (vehicles.yaml)."""
    n = len(vtype)
    u = rng.random(n)
    out = np.full(n, "非营运", dtype=object)
    car, van = vtype == "小型轿车", vtype == "小型普通客车"
    out[car & (u < np.where(org, 0.4, 0.015))] = "出租客运"
    out[car & ~org & (u >= 0.015) & (u < 0.05)] = "营转非"
    out[van & (u < np.where(org, 0.5, 0.03))] = "公路客运"
    out[van & ~org & (u >= 0.03) & (u < 0.07)] = "营转非"
    out[np.isin(vtype, ["重型半挂牵引车", "重型普通货车", "重型普通半挂车"])] = "货运"
    out[(vtype == "轻型普通货车") & (org | (u < 0.5))] = "货运"
    out[np.isin(vtype, ["三轮汽车", "低速货车"]) & (u < 0.3)] = "货运"
    return out


def _vins(rng: np.random.Generator, brand: np.ndarray, year: np.ndarray, vtype: np.ndarray,
          planted: np.ndarray) -> np.ndarray:
    """Unique VINs: WMI + VDS + check (unreliable) + model year + plant + serial; quirk nonstandard_vin
    (~2% of 低速车, ~0.5% of motorcycles; shorter or with I/O/Q)."""
    n = len(brand)
    wmi = np.array([WMI[b.split("牌")[0]] for b in brand], dtype=object)
    year_code = np.array([_YEAR_CODES[(y - 2010) % 30] for y in year], dtype=object)
    vins = np.empty(n, dtype=object)
    todo = np.arange(n)
    for _ in range(20):
        k = len(todo)
        if not k:
            break
        vds = VIN_CHARS[rng.integers(0, len(VIN_CHARS) - 10, size=(k, 5))]
        check = np.where(rng.random(k) < 0.09, "X", rng.integers(0, 10, size=k).astype(str))
        plant = VIN_CHARS[rng.integers(0, len(VIN_CHARS), size=k)]
        serial = rng.integers(0, 1_000_000, size=k)
        vins[todo] = [f"{wmi[i]}{''.join(vds[j])}{check[j]}{year_code[i]}{plant[j]}{serial[j]:06d}"
                      for j, i in enumerate(todo)]
        todo = np.flatnonzero(pd.Series(vins).duplicated().to_numpy())
    low = np.isin(vtype, ["三轮汽车", "低速货车"])
    moto = vtype == "普通二轮摩托车"
    odd = ~planted & ((low & (rng.random(n) < 0.02)) | (moto & (rng.random(n) < 0.005)))
    for i in np.flatnonzero(odd):
        if rng.random() < 0.5:
            vins[i] = vins[i][:int(rng.integers(10, 17))]
        else:
            pos = int(rng.integers(3, 17))
            vins[i] = vins[i][:pos] + "IOQ"[int(rng.integers(0, 3))] + vins[i][pos + 1:]
    dup = pd.Series(vins).duplicated().to_numpy()
    vins[dup] = [s + "Q" for s in vins[dup]]  # a truncated VIN that met another stays unique
    return vins


def new_plates(rng: np.random.Generator, plate_type: np.ndarray, taken: set[str]) -> np.ndarray:
    """Unique 号牌号码 per plate type: 鲁D + 5 characters; 新能源 6 (D/F first); 挂车 4 + '挂'."""
    n = len(plate_type)
    out = np.empty(n, dtype=object)
    todo = np.arange(n)
    for _ in range(50):
        k = len(todo)
        if not k:
            break
        first = np.where(rng.random(k) < 0.6, PLATE_LETTERS[rng.integers(0, len(PLATE_LETTERS), size=k)],
                         rng.integers(0, 10, size=k).astype(str))
        rest = np.where(rng.random((k, 4)) < 0.15, PLATE_LETTERS[rng.integers(0, len(PLATE_LETTERS), size=(k, 4))],
                        rng.integers(0, 10, size=(k, 4)).astype(str))
        nev_first = np.where(rng.random(k) < 0.7, "D", "F")
        nev_second = PLATE_CHARS[rng.integers(0, len(PLATE_CHARS), size=k)]
        digits = rng.integers(0, 10_000, size=k)
        pt = plate_type[todo]
        for j, i in enumerate(todo):
            # Each plate family draws from its whole pattern space (contract 号牌号码): at full scale there are
            # tens of thousands of NEV and trailer plates, more than 4 digits alone could number.
            if pt[j] == "新能源小型车":
                out[i] = f"鲁D{nev_first[j]}{nev_second[j]}{digits[j]:04d}"
            elif pt[j] == "挂车":
                out[i] = "鲁D" + "".join(rest[j]) + "挂"
            else:
                out[i] = "鲁D" + first[j] + "".join(rest[j])
        seen = pd.Series(out[todo])
        clash = seen.duplicated().to_numpy() | np.array([x in taken for x in seen], dtype=bool)
        taken.update(seen[~clash].tolist())
        todo = todo[clash]
    if len(todo):
        raise RuntimeError("could not draw unique plates")
    return out


# --- state intervals: transfers, ends, plate reuse ----------------------------------------------------

def _states(world: World, pool: Pool, entities: pd.DataFrame, v: pd.DataFrame, rng: np.random.Generator,
            earliest: np.datetime64, horizon: np.datetime64) -> pd.DataFrame:
    cfg = world.cfg
    v = v.reset_index(drop=True)
    v["valid_from"] = v["first_reg"]
    v["valid_to"] = np.datetime64("NaT", "s")
    end = v["end"].to_numpy()
    ended = ~np.isnat(end)

    # Transfers (过户) in the change period: ~600 a week at full scale.
    start = np.datetime64(change_period_start(cfg), "D")
    weeks = (horizon - start) / DAY / 7
    cand = np.flatnonzero(~ended & (v["planted"] == "").to_numpy() & ~v["deceased"].to_numpy()
                          & (v["owner_kind"] != "outsider").to_numpy()
                          & (v["first_reg"].to_numpy() < start.astype("datetime64[s]")))
    n_tr = min(len(cand), int(rng.poisson(600 * scale_factor(cfg) * weeks)))
    tr = np.sort(rng.choice(cand, size=n_tr, replace=False))
    when = (start + rng.integers(1, int((horizon - start) / DAY) + 1, size=n_tr) * DAY).astype("datetime64[s]")
    before = v.loc[tr].copy()
    before["valid_to"] = when
    after = v.loc[tr].copy()
    after["valid_from"] = when
    to_org = (after["owner_kind"] == "org").to_numpy() & (rng.random(n_tr) < 0.5)
    buyers = pick(rng, pool.adults, 0.2 + pool.wealth[pool.adults], n_tr)
    after["owner_kind"] = np.where(to_org, "org", "person")
    after["owner_pid"] = np.where(to_org, -1, buyers)
    after["owner_id"] = np.where(to_org, after["owner_id"], pool.ids[buyers])
    after["owner_name"] = np.where(to_org, after["owner_name"], pool.names[buyers])
    firms = entities[entities["uscc"].str.startswith("91") & entities["status"].isin(["存续", "在业"])
                     & (entities["planted"] == "")]
    if to_org.any() and len(firms):
        f = rng.integers(0, len(firms), size=int(to_org.sum()))
        after.loc[to_org, "owner_id"] = firms["uscc"].to_numpy()[f]
        after.loc[to_org, "owner_name"] = firms["name"].to_numpy()[f]
    replate = rng.random(n_tr) < 0.3
    taken = set(v["plate"])
    after.loc[replate, "plate"] = new_plates(rng, after.loc[replate, "plate_type"].to_numpy(), taken)

    # Ended registrations: 'A' until the end day, then B/E/M.
    e_idx = np.flatnonzero(ended)
    pre = v.loc[e_idx].copy()
    pre["valid_to"] = v.loc[e_idx, "end"]
    pre["status"] = "A"
    post = v.loc[e_idx].copy()
    post["valid_from"] = v.loc[e_idx, "end"]

    plain = v.drop(index=np.r_[tr, e_idx])
    out = pd.concat([plain, before, after, pre, post]).sort_index(kind="stable")
    out = _plate_reuse(out, rng)
    return out


def _plate_reuse(states: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Quirk plate_reuse (~0.3% of rows in pairs, at least one pair): a plate of an ended 小型汽车 reissued
    to a vehicle first registered after the end."""
    s = states.reset_index(names="_veh")
    n_vehicles = s["_veh"].nunique()
    single = s.groupby("_veh")["_veh"].transform("size") == 1
    ended_rows = s[s["status"].isin(ENDED) & (s["planted"] == "") & (s["plate_type"] == "小型汽车")]
    ended_rows = ended_rows[s.loc[ended_rows.index, "_veh"].map(s.groupby("_veh")["plate"].nunique()) == 1]
    current = s[single & ~s["status"].isin(ENDED) & (s["planted"] == "") & (s["plate_type"] == "小型汽车")]
    k = min(len(ended_rows), max(1, round(0.0015 * n_vehicles)))
    if k == 0 or current.empty:
        return states
    donors = ended_rows.loc[rng.choice(ended_rows.index, size=k, replace=False)]
    used: set[int] = set()
    for _, d in donors.iterrows():
        ok = current.index[(current["first_reg"] > d["valid_from"]) & ~current.index.isin(list(used))]
        if not len(ok):
            continue
        r = int(rng.choice(ok))
        used.add(r)
        s.loc[r, "plate"] = d["plate"]
    return s.set_index("_veh").rename_axis(None)
