"""The registered population: persons, hukou households (户号) and their life events.

Grain: `people` has one row per natural person who is, or within the simulated horizon was,
registered in Tengzhou, plus non-residents who only appear in some sources (deaths in a Tengzhou
hospital, migrant students, ...). `households` has one row per 户号.

Everything time-dependent is an event date, so the state on any day (e.g. a hukou snapshot) is a
pure function of the day: see `hukou_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from simulator import geo, names
from simulator.config import CREMATION_SINCE, SimConfig
from simulator.ids import make_ids
from simulator.rng import stream

DAY = np.timedelta64(1, "D")

#: Area codes of residents' ID numbers (sources/README.md section 10).
AREA_CODES = (("370481", 0.92), ("370402", 0.006), ("370403", 0.006), ("370404", 0.006),
              ("370405", 0.006), ("370406", 0.006), ("370826", 0.015), ("370883", 0.015),
              ("320322", 0.007), ("341221", 0.007), ("411522", 0.006))
_AREA = np.array([a for a, _ in AREA_CODES])
_AREA_P = np.array([p for _, p in AREA_CODES]) / sum(p for _, p in AREA_CODES)
ETHNIC = (("汉族", 0.995), ("回族", 0.003), ("满族", 0.0006), ("蒙古族", 0.0004), ("壮族", 0.0003),
          ("苗族", 0.0003), ("土家族", 0.0002), ("朝鲜族", 0.0002))
EDUCATION = ("研究生", "大学本科", "大学专科", "中等专科", "技工学校", "高中", "初中", "小学", "文盲或半文盲")


@dataclass(frozen=True)
class Household:
    """One household template draw: (relation, age, is_male) per member, head first."""

    members: list[tuple[str, int, bool]]


def _d(x: date) -> np.datetime64:
    return np.datetime64(x, "D")


def _family(rng: np.random.Generator) -> list[tuple[str, int, bool]]:
    """A family household's members as (与户主关系, age, male), head first."""
    r = rng.random()
    head_male = rng.random() < 0.82
    sp = lambda age: ("配偶", max(20, age + int(rng.integers(-5, 4))), not head_male)  # noqa: E731

    def kids(head_age: int, k: int) -> list[tuple[str, int, bool]]:
        out = []
        for _ in range(k):
            age = head_age - int(rng.integers(22, 38))
            if age < 0:
                continue
            male = rng.random() < 0.53
            out.append(("子" if male else "女", age, male))
        return out

    if r < 0.10:  # single elderly
        return [("户主", int(rng.integers(60, 95)), rng.random() < 0.45)]
    if r < 0.19:  # single adult
        return [("户主", int(rng.integers(20, 60)), rng.random() < 0.6)]
    if r < 0.33:  # elderly couple
        age = int(rng.integers(60, 90))
        return [("户主", age, head_male), sp(age)]
    if r < 0.40:  # couple without children
        age = int(rng.integers(22, 60))
        return [("户主", age, head_male), sp(age)]
    if r < 0.70:  # couple with 1-2 children
        age = int(rng.integers(26, 60))
        return [("户主", age, head_male), sp(age), *kids(age, 1 + int(rng.random() < 0.5))]
    if r < 0.80:  # couple, children and the head's parent(s)
        age = int(rng.integers(28, 50))
        parents = [("父亲", age + int(rng.integers(22, 34)), True)]
        if rng.random() < 0.6:
            parents.append(("母亲", age + int(rng.integers(20, 32)), False))
        return [("户主", age, head_male), sp(age), *kids(age, 1 + int(rng.random() < 0.5)), *parents]
    if r < 0.93:  # three generations under an elderly head
        age = int(rng.integers(55, 80))
        son_age = age - int(rng.integers(22, 34))
        members = [("户主", age, head_male), sp(age), ("子", son_age, True), ("儿媳", son_age - 2, False)]
        for _ in range(1 + int(rng.random() < 0.5)):
            g_age = son_age - int(rng.integers(22, 32))
            if g_age >= 0:
                male = rng.random() < 0.53
                members.append(("孙子" if male else "孙女", g_age, male))
        return members
    # single parent with children
    age = int(rng.integers(28, 60))
    return [("户主", age, rng.random() < 0.4), *kids(age, 1 + int(rng.random() < 0.3))]


def _birth_dates(ages: np.ndarray, as_of: date, rng: np.random.Generator) -> np.ndarray:
    """A birth date such that the person is `age` full years old on as_of."""
    as_of_d = _d(as_of)
    days_into = rng.integers(0, 365, size=len(ages))
    years = np.array([as_of.year], dtype=int) - ages
    # birthday of the year `as_of.year - age`, then step back a random part of a year
    base = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]") + (
        _d(as_of) - _d(date(as_of.year, 1, 1)))
    out = base - days_into * DAY
    return np.minimum(out, as_of_d - DAY)


def build(cfg: SimConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The background population (planted households are added by `simulator.planted`)."""
    rng = stream(cfg.seed, "people")
    n_hh = cfg.n_households
    town_p = np.array([t[2] for t in geo.TOWNS])
    town_idx = rng.choice(len(geo.TOWNS), size=n_hh, p=town_p / town_p.sum())
    n_collective = max(1, round(n_hh * 0.001))
    collective = np.zeros(n_hh, dtype=bool)
    collective[rng.choice(n_hh, size=n_collective, replace=False)] = True

    # Villages per town, sized ~500 households at full scale, at least 3.
    villages: dict[int, list[str]] = {}
    for ti, (_, town, _) in enumerate(geo.TOWNS):
        count = int((town_idx == ti).sum())
        villages[ti] = geo.village_names(town, max(3, count // 500), rng)
    village = np.array([villages[t][rng.integers(len(villages[t]))] for t in town_idx], dtype=object)
    hukou_no = (rng.integers(1, 30_000) + np.cumsum(rng.integers(1, 1500, size=n_hh)))
    hukou_no = rng.permutation(hukou_no)
    address = np.empty(n_hh, dtype=object)
    for i in range(n_hh):
        town = geo.TOWN_NAMES[town_idx[i]]
        if collective[i]:
            org = ("第一中学", "职业教育中心", "鑫源物流有限公司", "社区", "实验中学")[rng.integers(5)]
            address[i] = f"山东省滕州市{town}{org}集体户"
        else:
            address[i] = geo.street_address(town, village[i], rng)
    households = pd.DataFrame({
        "hh": np.arange(n_hh),
        "hukou_no": [f"{x:09d}" for x in hukou_no],
        "town": [geo.TOWN_NAMES[t] for t in town_idx],
        "village": village,
        "address": address,
        "collective": collective,
        # Latent economic standing, a percentile: the domains draw wages, assets and need from it,
        # so that assistance families are actually poor without domains depending on each other.
        "wealth": rng.random(n_hh),
    })

    rel, age, male, hh = [], [], [], []
    for i in range(n_hh):
        if collective[i]:
            size = int(rng.integers(10, 40))
            for _ in range(size):
                rel.append("其他")
                age.append(int(rng.integers(16, 60)))
                male.append(bool(rng.random() < 0.55))
                hh.append(i)
            continue
        for r, a, m in _family(rng):
            rel.append(r)
            age.append(a)
            male.append(m)
            hh.append(i)
    people = _persons(cfg, np.array(hh), np.array(rel, dtype=object), np.array(age), np.array(male), rng)
    people = _life_events(cfg, people, households, rng)
    return people, households


def _persons(cfg: SimConfig, hh: np.ndarray, rel: np.ndarray, age: np.ndarray, male: np.ndarray,
             rng: np.random.Generator) -> pd.DataFrame:
    """Columns every person has; events are filled by `_life_events`."""
    n = len(hh)
    birth = _birth_dates(age, cfg.as_of, rng)
    area = rng.choice(_AREA, size=n, p=_AREA_P)
    # Children of Tengzhou parents are born with the local area code.
    area = np.where(age < 18, "370481", area)
    seq = rng.integers(0, 500, size=n) * 2 + np.where(male, 1, 0)
    ids = make_ids(area, birth, seq)
    ids = _dedupe_ids(ids, area, birth, male, rng)
    eth_p = np.array([p for _, p in ETHNIC])
    ethnicity = rng.choice(np.array([e for e, _ in ETHNIC], dtype=object), size=n, p=eth_p / eth_p.sum())
    return pd.DataFrame({
        "pid": np.arange(n),
        "id_number": ids,
        "name": names.person_names(male, rng),
        "sex": np.where(male, "男", "女"),
        "birth_date": birth,
        "ethnicity": ethnicity,
        "hh": hh,
        "rel": rel,
        "resident": np.ones(n, dtype=bool),
        "marital": _marital(age, rng),
        "education": _education(age, rng),
        "planted": np.full(n, "", dtype=object),
    })


def _dedupe_ids(ids: np.ndarray, area: np.ndarray, birth: np.ndarray, male: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Redraw sequence numbers until every ID number is unique."""
    ids = ids.copy()
    for _ in range(50):
        s = pd.Series(ids)
        dup = s.duplicated(keep="first").to_numpy()
        if not dup.any():
            return ids
        seq = rng.integers(0, 500, size=int(dup.sum())) * 2 + np.where(male[dup], 1, 0)
        ids[dup] = make_ids(area[dup], birth[dup], seq)
    raise RuntimeError("could not make unique ID numbers")


def _marital(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r = rng.random(len(age))
    out = np.where(age < 22, "未婚", np.where(age < 30, np.where(r < 0.55, "已婚", "未婚"), "已婚")).astype(object)
    out[(age >= 30) & (r < 0.04)] = "离婚"
    out[(age >= 65) & (r > 0.75)] = "丧偶"
    out[rng.random(len(age)) < 0.005] = None
    return out


def _education(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = np.array([0.005, 0.06, 0.08, 0.04, 0.03, 0.16, 0.35, 0.20, 0.075])
    out = rng.choice(np.array(EDUCATION, dtype=object), size=len(age), p=p / p.sum())
    out[(age >= 70) & (rng.random(len(age)) < 0.5)] = "文盲或半文盲"
    out[(age >= 6) & (age < 12)] = "小学"
    out[(age >= 12) & (age < 15)] = "初中"
    out[age < 6] = None
    out[rng.random(len(age)) < 0.03] = None
    return out


def _life_events(cfg: SimConfig, people: pd.DataFrame, households: pd.DataFrame,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Deaths since 2018, moves out/in, moves between households, late birth registration."""
    n = len(people)
    horizon = _d(cfg.horizon_end)
    as_of = _d(cfg.as_of)

    # --- deaths: persons who died since 2018 were residents too; add them as extra persons -------
    years = (horizon - _d(CREMATION_SINCE)) / DAY / 365.25
    n_dead = int(n * 0.0071 * years)
    host = rng.choice(np.flatnonzero(~households["collective"].to_numpy()), size=n_dead)
    death_age = np.clip(rng.gumbel(82, 8, size=n_dead), 1, 104).astype(int)
    young = rng.random(n_dead) < 0.08
    death_age[young] = rng.integers(20, 60, size=int(young.sum()))
    span = int((horizon - _d(CREMATION_SINCE)) / DAY)
    death_day = _d(CREMATION_SINCE) + rng.integers(0, span + 1, size=n_dead) * DAY
    male = rng.random(n_dead) < 0.55
    # Never 户主: the host household already has one (two 正常 heads until the death is registered).
    rel = np.where(death_age > 70, np.where(male, "父亲", "母亲"), np.where(male, "兄弟姐妹", "配偶")).astype(object)
    age_now = death_age + ((as_of - death_day) / DAY / 365.25).astype(int)
    dead = _persons(cfg, host, rel, age_now, male, rng)
    dead["pid"] += n
    dead["death_date"] = death_day
    dead["marital"] = np.where(death_age > 60, "丧偶", dead["marital"]).astype(object)
    people = pd.concat([people, dead], ignore_index=True)
    ids = people["id_number"].to_numpy().astype(object)
    birth_all = people["birth_date"].to_numpy().astype("datetime64[D]")
    people["id_number"] = _dedupe_ids(ids, np.array([i[:6] for i in ids]), birth_all,
                                      (people["sex"] == "男").to_numpy(), rng)

    # Headless households (~0.3% of family households): the registered 户主 died, nobody replaced him.
    fam = np.flatnonzero(~households["collective"].to_numpy())
    headless = rng.choice(fam, size=max(1, round(len(fam) * 0.003)), replace=False)
    head_rows = people.index[(people["rel"] == "户主") & people["hh"].isin(headless) & people["death_date"].isna()]
    people.loc[head_rows, "death_date"] = as_of - rng.integers(30, 900, size=len(head_rows)) * DAY

    total = len(people)
    death = people["death_date"].to_numpy().astype("datetime64[D]")
    has_death = ~np.isnat(death)
    # Hukou registers deaths late (hukou quirk late_death_registration).
    r = rng.random(total)
    lag = np.select([r < 0.20, r < 0.55, r < 0.85, r < 0.95, r < 0.975],
                    [rng.integers(1, 8, total), rng.integers(8, 31, total), rng.integers(31, 91, total),
                     rng.integers(91, 181, total), rng.integers(181, 400, total)], default=-1)
    reg = np.where(has_death & (lag >= 0), death + lag * DAY, np.datetime64("NaT"))
    reg = np.where(reg > horizon, np.datetime64("NaT"), reg)
    people["hukou_death_reg"] = reg.astype("datetime64[s]")
    people["death_certified"] = has_death & (rng.random(total) < 0.97)
    people["cremated"] = has_death & (rng.random(total) < 0.93)

    # --- moved out of Tengzhou (迁出) or cancelled (注销) within the last 3 years -----------------
    # Heads stay: a household whose 户主 left without a new head is the (rarer) headless quirk.
    alive_adult = np.flatnonzero(~has_death & (np.arange(total) < n) & (age_now_of(people, as_of) >= 16)
                                 & (people["rel"].to_numpy() != "户主"))
    n_out = round(n * 0.0063 * 3)
    out_rows = rng.choice(alive_adult, size=min(n_out, len(alive_adult)), replace=False)
    out_date = np.full(total, np.datetime64("NaT"), dtype="datetime64[D]")
    out_date[out_rows] = horizon - rng.integers(0, 3 * 365, size=len(out_rows)) * DAY
    out_status = np.full(total, "", dtype=object)
    out_status[out_rows] = np.where(rng.random(len(out_rows)) < 0.93, "迁出", "注销")
    people["out_date"] = out_date.astype("datetime64[s]")
    people["out_status"] = out_status

    # --- registration start: births registered late, move-ins from outside Tengzhou -------------
    birth = people["birth_date"].to_numpy().astype("datetime64[D]")
    r = rng.random(total)
    blag = np.select([r < 0.5, r < 0.9, r < 0.99], [rng.integers(1, 31, total), rng.integers(31, 91, total),
                                                    rng.integers(91, 365, total)], default=rng.integers(366, 500, total))
    start = np.where(birth > as_of - 600 * DAY, birth + blag * DAY, np.datetime64("NaT"))
    movers_in = rng.random(total) < 0.006
    start = np.where(movers_in & np.isnat(start) & ~has_death, horizon - rng.integers(0, 365, total) * DAY, start)
    people["hukou_start"] = start.astype("datetime64[s]")

    # --- moves between households inside Tengzhou in the last year ------------------------------
    fam_hh = np.flatnonzero(~households["collective"].to_numpy())
    movable = np.flatnonzero(~has_death & (out_status == "") & (people["rel"].to_numpy() != "户主"))
    n_move = min(len(movable), round(n * 0.03))
    mv = rng.choice(movable, size=n_move, replace=False)
    prev_hh = np.full(total, -1)
    prev_hh[mv] = rng.choice(fam_hh, size=n_move)
    # A move needs two different 户号 (else the duplicate registration would repeat the same row).
    same = prev_hh[mv] == people["hh"].to_numpy()[mv]
    prev_hh[mv[same]] = fam_hh[(np.searchsorted(fam_hh, prev_hh[mv[same]]) + 1) % len(fam_hh)]
    move_date = np.full(total, np.datetime64("NaT"), dtype="datetime64[D]")
    move_date[mv] = horizon - rng.integers(0, 365, size=n_move) * DAY
    people["prev_hh"] = prev_hh
    people["move_date"] = move_date.astype("datetime64[s]")
    # hukou quirk duplicate_household: the old registration was never cancelled (~0.05% of persons).
    dup = np.zeros(total, dtype=bool)
    dup[mv[rng.random(n_move) < min(1.0, 0.0005 * total / max(n_move, 1))]] = True
    people["dup_registration"] = dup
    return people


def age_now_of(people: pd.DataFrame, on: np.datetime64) -> np.ndarray:
    """Full years of age on a day (approximation by 365.25-day years, good enough for sampling)."""
    return ((on - people["birth_date"].to_numpy().astype("datetime64[D]")) / DAY / 365.25).astype(int)


def age_on(birth: pd.Series, on: date) -> np.ndarray:
    """Exact full years of age on a day (birthday counted on the day itself)."""
    b = pd.to_datetime(birth)
    years = on.year - b.dt.year
    before = (b.dt.month > on.month) | ((b.dt.month == on.month) & (b.dt.day > on.day))
    return (years - before.astype(int)).to_numpy()


def hukou_state(people: pd.DataFrame, households: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The hukou register at the end of `as_of`: one row per (person, 户号) registration.

    Rows: residents whose registration started, with 人员状态 正常 / 死亡 / 迁出 / 注销 and
    状态变动日期; non-正常 rows older than 3 years are dropped (hukou.yaml semantics.content).
    A person who moved keeps the old 户号 before the move (and both, if never cancelled).
    """
    d = _d(as_of)
    p = people[people["resident"]]
    start = p["hukou_start"].to_numpy().astype("datetime64[D]")
    started = np.isnat(start) | (start <= d)
    born = p["birth_date"].to_numpy().astype("datetime64[D]") <= d
    p = p[started & born]
    reg = p["hukou_death_reg"].to_numpy().astype("datetime64[D]")
    out = p["out_date"].to_numpy().astype("datetime64[D]")
    dead_reg = ~np.isnat(reg) & (reg <= d)
    moved_out = ~np.isnat(out) & (out <= d)
    status = np.where(dead_reg, "死亡", np.where(moved_out, p["out_status"].to_numpy(), "正常"))
    change = np.where(dead_reg, reg, np.where(moved_out, out, np.datetime64("NaT")))
    keep = (status == "正常") | (change >= d - 3 * 365 * DAY)
    move = p["move_date"].to_numpy().astype("datetime64[D]")
    before_move = ~np.isnat(move) & (d < move)
    hh = np.where(before_move, p["prev_hh"].to_numpy(), p["hh"].to_numpy())
    state = pd.DataFrame({"pid": p["pid"].to_numpy(), "hh": hh, "status": status,
                          "status_date": change.astype("datetime64[s]")})[keep]
    # Registrations never cancelled after a move: the old row stays 正常 too.
    dup = p["dup_registration"].to_numpy() & ~before_move & ~np.isnat(move) & (status == "正常")
    old = pd.DataFrame({"pid": p["pid"].to_numpy()[dup & keep], "hh": p["prev_hh"].to_numpy()[dup & keep],
                        "status": "正常", "status_date": np.datetime64("NaT", "s")})
    state = pd.concat([state, old], ignore_index=True)
    return state.merge(households[["hh", "hukou_no", "town", "village", "address", "collective"]], on="hh")
