"""Deaths: who died since 2018, who certified the death (deaths) and who cremated the body (cremation).

Built from `people.death_date`, `death_certified` and `cremated` (simulator/people.py draws them),
plus deceased non-residents, who are NOT added to `people` (no hukou, no other domain knows them):
they exist only here, with `pid` <NA>. Quirks of the deaths and cremation contracts are drawn here,
so each table holds both the values as the department records them (contract column names) and the
truth (`id_number`, flags naming the quirk). Planted persons get exactly their facts (a certificate if
'deaths' in `death_in`, a cremation row if 'cremation' in it) and no random quirk.

World tables:

`deceased` — one row per dead person who appears in deaths or cremation (death since 2018-01-01):
    did (row index), pid (Int64, <NA> for non-residents), planted (scenario id or ''), resident,
    id_number (canonical truth; None for unidentified or foreign persons), passport (None unless
    foreign), name (truth; '无名氏' for the unidentified), sex, birth_date, death_time (minute
    precision), address (常住地址 as the family reports it), unidentified, in_deaths, in_cremation.

`death_certificates` — one row per certificate version (a correction is version 2, same 死亡证编号):
    the contract columns 死亡证编号, 死者姓名, 证件类别, 证件号码, 性别, 出生日期 (datetime64, date),
    死亡日期 (datetime64, minute), 死亡地点类别, 常住地址, 签发日期 (datetime64, date) as delivered,
    plus version, did, pid, planted, entry_date (day entered into the system), file_date (= entry
    date + 1: the folder and SWZM_<date> file it lands in), id_number (truth), id_quirk (categories
    of `simulator.ids.apply_id_quirks`, '' for none), corrected (field name fixed by version 2, set
    on both versions, '' for none), birth_mismatch, late_issue (issued > 7 days after death),
    late_entry, non_resident.

`cremations` — one row per t_hhdj row ever entered, duplicates included, with its history:
    the contract columns 登记编号, 逝者姓名, 逝者身份证号, 死亡日期, 火化日期 (datetime64, dates),
    殡仪馆 in their final version, plus did, pid, planted, created_at (insert time = first 更新时间),
    corrected_at (NaT if never updated) with orig_逝者身份证号 / orig_死亡日期 (values before that
    update; equal to the final ones otherwise), deleted_at (soft delete time, NaT if none),
    insert_late / correct_late / delete_late (quirk late_push: that change reaches the front DB
    one push late), twin (登记编号 of the other row of a duplicate_then_deleted pair, None
    otherwise), id_number (truth), id_quirk, death_date_differs, name_variant, non_resident.
    `simulator/sources/cremation.py` derives the table state after a given push from this history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator import geo, names
from simulator.config import CREMATION_SINCE
from simulator.ids import apply_id_quirks, make_ids
from simulator.world import World

DAY = np.timedelta64(1, "D")
MINUTE = np.timedelta64(60, "s")
SECOND = np.timedelta64(1, "s")

#: Rates from deaths.yaml / cremation.yaml (shares of rows unless said otherwise).
DEATHS_NON_RESIDENT = 0.04
CREMATION_NON_RESIDENT = 0.03
DEATHS_ID_RATES = {"legacy_15": 0.003, "lowercase_x": 0.003, "spaces": 0.002, "empty": 0.014}
CREMATION_ID_RATES = {"legacy_15": 0.005, "lowercase_x": 0.003, "spaces": 0.003, "empty": 0.01}
LATE_ENTRY = 0.03
CORRECTION = 0.02
BIRTH_MISMATCH = 0.002
PASSPORT_SHARE = 0.001          # of certificate rows (foreign or hukou-less Chinese passport holders)
UNIDENTIFIED_SHARE = 0.0012     # of certificate rows (无名氏)
OTHER_COUNTY = 0.06             # certificates issued elsewhere in Shandong (Tengzhou residents)
COMMA_ADDRESS = 0.02            # 常住地址 written with an ASCII comma
CREMATION_ELSEWHERE = 0.03      # residents cremated at another funeral home, registered here
DUPLICATE = 0.005
DEATH_DATE_DIFFERS = 0.02
NAME_VARIANT = 0.005
CREMATION_UPDATE = 0.01         # rows corrected in place (contract: no rate; a realistic small share)
LATE_PUSH = 0.01

TENGZHOU = "370481"
PLACES = np.array(["医疗卫生机构", "家中", "其他"], dtype=object)
OTHER_COUNTIES = np.array(["370402", "370403", "370826", "370883", "370811", "370102"], dtype=object)
FUNERAL_HOMES = np.array(["枣庄市殡仪馆", "微山县殡仪馆", "邹城市殡仪馆", "济宁市殡仪馆", "薛城区殡仪馆"],
                         dtype=object)
HOME = "滕州市殡仪馆"
UNIDENTIFIED = "无名氏"
#: Where deceased non-residents come from: (area code, 常住地址 prefix, weight).
NON_RESIDENT_AREAS = (("370826", "山东省微山县", 0.25), ("370883", "山东省邹城市", 0.18),
                      ("370402", "山东省枣庄市市中区", 0.08), ("370405", "山东省枣庄市台儿庄区", 0.05),
                      ("370811", "山东省济宁市任城区", 0.06), ("320322", "江苏省沛县", 0.16),
                      ("320382", "江苏省邳州市", 0.06), ("341221", "安徽省临泉县", 0.09),
                      ("411522", "河南省光山县", 0.07))
#: Homophones and variant forms of name characters (quirk name_variant, correction of 死者姓名).
VARIANTS = dict(zip(
    "伟强军杰涛明刚华飞鑫波宇浩凯健俊帆旭宁龙林欢阳国广兴利庆文志海成东亮"
    "芳娜敏静丽艳娟霞秀英燕玲桂兰萍红梅琳莉雪慧婷颖倩洁琴云莲凤菊荣爱玉"
    "王张李刘孙陈杨赵徐周马朱胡高郭吴",
    "玮墙君傑滔铭钢骅菲新博雨皓铠建骏凡煦凝隆琳焕杨國廣星莉青雯智凯诚東靓"
    "方那民晶莉燕鹃侠琇瑛艳铃贵蘭平宏玫林丽雪惠亭莹茜杰芹芸连鳳桔蓉艾钰"
    "汪章理柳荪程阳肇许洲玛珠湖郜国伍", strict=True))


def build(world: World) -> None:
    """Add `deceased`, `death_certificates` and `cremations` to `world.tables`."""
    deceased = _deceased(world)
    world.tables["deceased"] = deceased
    world.tables["death_certificates"] = _certificates(world, deceased)
    world.tables["cremations"] = _cremations(world, deceased)


# --- shared helpers ------------------------------------------------------------------------------

def name_variant(name: str) -> str | None:
    """The name with one character replaced by a homophone/variant (last given-name character first)."""
    if name == UNIDENTIFIED:
        return None
    for i in range(len(name) - 1, -1, -1):
        if name[i] in VARIANTS:
            return name[:i] + VARIANTS[name[i]] + name[i + 1:]
    return None


def _days(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype="datetime64[D]")


def _choice_p(rng: np.random.Generator, n: int, p: list[float]) -> np.ndarray:
    w = np.array(p, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _render_ids(ids: pd.Series, eligible: np.ndarray, rates: dict[str, float], rng: np.random.Generator,
                already_empty: int) -> tuple[np.ndarray, np.ndarray]:
    """ID quirks on eligible (background) rows, so their share of ALL rows meets `rates`.

    `empty` counts the `already_empty` rows that show no number anyway (unidentified …) toward its share.
    """
    n = len(ids)
    out = ids.to_numpy(dtype=object).copy()
    cats = np.full(n, "", dtype=object)
    m = int(eligible.sum())
    if m == 0:
        return out, cats
    scaled = {q: r * n / m for q, r in rates.items()}
    scaled["empty"] = max(0.0, rates["empty"] * n - already_empty) / m
    sub = ids[eligible].reset_index(drop=True)
    rendered, kind = apply_id_quirks(sub, None, scaled, rng)
    out[eligible] = rendered.to_numpy(dtype=object)
    cats[eligible] = kind.to_numpy(dtype=object)
    return out, cats


# --- deceased -----------------------------------------------------------------------------------

def _deceased(world: World) -> pd.DataFrame:
    cfg = world.cfg
    rng = world.rng("vital:deceased")
    p = world.people
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    known = ~np.isnat(death) & (death >= np.datetime64(CREMATION_SINCE)) & (
        p["death_certified"].to_numpy() | p["cremated"].to_numpy())
    r = p[known]
    n_r = len(r)
    hh_addr = world.households.set_index("hh")
    address = hh_addr["address"].reindex(r["hh"].to_numpy()).to_numpy(dtype=object)
    town = hh_addr["town"].reindex(r["hh"].to_numpy()).to_numpy(dtype=object)
    village = hh_addr["village"].reindex(r["hh"].to_numpy()).to_numpy(dtype=object)
    background = (r["planted"] == "").to_numpy()
    # 常住地址 as the family reports it: usually the 户籍地址, sometimes where they actually lived.
    other = background & (rng.random(n_r) < 0.15)
    for i in np.flatnonzero(other):
        address[i] = geo.street_address(town[i], village[i], rng)
    comma = background & (rng.random(n_r) < COMMA_ADDRESS)
    for i in np.flatnonzero(comma):
        address[i] = address[i].replace(town[i], town[i] + ",", 1)
    minutes = rng.integers(0, 24 * 60, size=n_r)
    minutes[~background] = 9 * 60 + 30  # planted: 09:30, no midnight ambiguity
    residents = pd.DataFrame({
        "pid": pd.array(r["pid"].to_numpy(), dtype="Int64"),
        "planted": r["planted"].to_numpy(dtype=object),
        "resident": True,
        "id_number": r["id_number"].to_numpy(dtype=object),
        "passport": None,
        "name": r["name"].to_numpy(dtype=object),
        "sex": r["sex"].to_numpy(dtype=object),
        "birth_date": r["birth_date"].to_numpy().astype("datetime64[s]"),
        "death_time": (death[known] + minutes * MINUTE).astype("datetime64[s]"),
        "address": address,
        "unidentified": False,
        "in_deaths": r["death_certified"].to_numpy(dtype=bool),
        "in_cremation": r["cremated"].to_numpy(dtype=bool),
    })
    non_res = _non_residents(world, int(residents["in_deaths"].sum()), int(residents["in_cremation"].sum()),
                             p["id_number"])
    out = pd.concat([residents, non_res], ignore_index=True)
    out = out.sort_values(["death_time", "resident"], kind="stable", ignore_index=True)
    out.insert(0, "did", np.arange(len(out)))
    horizon = np.datetime64(cfg.horizon_end, "D") + DAY
    return out[_days(out["death_time"].to_numpy()) < horizon].reset_index(drop=True)


def _non_residents(world: World, n_deaths: int, n_crem: int, used_ids: pd.Series) -> pd.DataFrame:
    """Persons not in the Tengzhou register who died in Tengzhou (hospital) or were cremated there."""
    rng = world.rng("vital:non-residents")
    n_d = round(n_deaths * DEATHS_NON_RESIDENT / (1 - DEATHS_NON_RESIDENT))
    n_c = round(n_crem * CREMATION_NON_RESIDENT / (1 - CREMATION_NON_RESIDENT))
    both = round(min(n_d, n_c) * 0.7)
    n = n_d + n_c - both
    in_deaths = np.zeros(n, dtype=bool)
    in_crem = np.zeros(n, dtype=bool)
    in_deaths[:n_d] = True
    in_crem[n_d - both:] = True
    start = np.datetime64(CREMATION_SINCE, "D")
    span = int((np.datetime64(world.cfg.horizon_end, "D") - start) / DAY)
    death = start + rng.integers(0, span + 1, size=n) * DAY
    age = np.clip(rng.gumbel(76, 11, size=n), 1, 102).astype(int)
    birth = death - (age * 365.25 + rng.integers(0, 365, size=n)).astype(int) * DAY
    male = rng.random(n) < 0.6
    which = _choice_p(rng, n, [w for _, _, w in NON_RESIDENT_AREAS])
    area = np.array([NON_RESIDENT_AREAS[i][0] for i in which], dtype="U6")
    ids = make_ids(area, birth, rng.integers(0, 500, size=n) * 2 + male)
    residents_ids = pa.array(used_ids, type=pa.string())
    for _ in range(50):  # never someone else's number
        taken = pc.is_in(pa.array(ids), value_set=residents_ids).to_numpy(zero_copy_only=False)
        clash = pd.Series(ids).duplicated().to_numpy() | taken
        if not clash.any():
            break
        ids[clash] = make_ids(area[clash], birth[clash], rng.integers(0, 500, size=int(clash.sum())) * 2
                              + male[clash])
    villages = geo.village_names("镇", 300, rng)
    v_idx = rng.integers(0, len(villages), size=n)
    address = np.array([f"{NON_RESIDENT_AREAS[which[i]][1]}{villages[v_idx[i]]}{rng.integers(1, 400)}号"
                        for i in range(n)], dtype=object)
    name = names.person_names(male, rng)
    kind = rng.random(n)
    denominator = max(n_d, 1) / (n_deaths + n_d) if n_deaths + n_d else 1.0
    unident = kind < UNIDENTIFIED_SHARE / denominator
    passport = (kind >= UNIDENTIFIED_SHARE / denominator) & (
        kind < (UNIDENTIFIED_SHARE + PASSPORT_SHARE) / denominator)
    id_number = ids.astype(object)
    id_number[unident | passport] = None
    name[unident] = UNIDENTIFIED
    address[unident] = "不详"
    pp = np.where(rng.random(n) < 0.5, "E", "M")
    passports = np.array([f"{pp[i]}{rng.integers(10_000_000, 99_999_999)}" for i in range(n)], dtype=object)
    passports[~passport] = None
    minutes = rng.integers(0, 24 * 60, size=n)
    return pd.DataFrame({
        "pid": pd.array([pd.NA] * n, dtype="Int64"),
        "planted": "",
        "resident": False,
        "id_number": id_number,
        "passport": passports,
        "name": name,
        "sex": np.where(male, "男", "女").astype(object),
        "birth_date": birth.astype("datetime64[s]"),
        "death_time": (death + minutes * MINUTE).astype("datetime64[s]"),
        "address": address,
        "unidentified": unident,
        "in_deaths": in_deaths,
        "in_cremation": in_crem,
    })


# --- death certificates ---------------------------------------------------------------------------

def _certificates(world: World, deceased: pd.DataFrame) -> pd.DataFrame:
    rng = world.rng("vital:certificates")
    d = deceased[deceased["in_deaths"]].reset_index(drop=True)
    n = len(d)
    bg = (d["planted"] == "").to_numpy()
    resident = d["resident"].to_numpy()
    death_day = _days(d["death_time"].to_numpy())

    # Place and issue delay: hospitals certify at once, home deaths are certified later (推断书).
    place = np.where(resident, _choice_p(rng, n, [0.45, 0.50, 0.05]), np.where(rng.random(n) < 0.85, 0, 2))
    place[~bg] = 0
    u = rng.random(n)
    home_lag = np.select([u < 0.35, u < 0.63, u < 0.88, u < 0.98],
                         [0, 1, rng.integers(2, 8, n), rng.integers(8, 31, n)], default=rng.integers(31, 121, n))
    hosp_lag = (rng.random(n) < 0.1).astype(int)
    lag = np.where(place == 0, hosp_lag, home_lag)
    lag[~bg] = 0
    issue = death_day + lag * DAY
    late_entry = bg & (rng.random(n) < LATE_ENTRY)
    entry = issue + np.where(late_entry, rng.integers(2, 11, n), 0) * DAY

    # 死亡证编号: E + county + year of issue + sequence (in issue order within county and year).
    county = np.where(resident & bg & (rng.random(n) < OTHER_COUNTY),
                      OTHER_COUNTIES[rng.integers(0, len(OTHER_COUNTIES), n)], TENGZHOU).astype(object)
    year = issue.astype("datetime64[Y]").astype(int) + 1970
    # Tengzhou numbers its own certificates 1, 2, …; other counties' numbers are sparse here (only
    # their certificates of Tengzhou residents reach this feed).
    order = pd.DataFrame({"c": county, "y": year, "i": issue, "t": rng.random(n)}).sort_values(["c", "y", "i", "t"])
    group = order.groupby(["c", "y"], sort=False).ngroup().to_numpy()
    local = order["c"].to_numpy() == TENGZHOU
    gap = np.where(local, 1, rng.integers(1, 400, n))
    base = np.where(local, 0, rng.integers(100, 3000, int(group.max()) + 1 if n else 0)[group])
    seq_by_row = np.empty(n, dtype=np.int64)
    seq_by_row[order.index.to_numpy()] = pd.Series(gap).groupby(group).cumsum().to_numpy() + base
    cert_no = np.array([f"E{county[i]}{year[i]}{seq_by_row[i]:08d}" for i in range(n)], dtype=object)

    # Certificate columns as keyed (final = correct version), with the ID number quirks.
    rendered, id_quirk = _render_ids(d["id_number"], bg, DEATHS_ID_RATES, rng,
                                     int(d["unidentified"].sum()))
    passport = d["passport"].to_numpy(dtype=object)
    has_pp = pd.notna(passport)
    number = np.where(has_pp, passport, rendered).astype(object)
    kind = np.where(has_pp, "护照", np.where(pd.isna(rendered), "无", "居民身份证")).astype(object)
    birth = d["birth_date"].to_numpy().astype("datetime64[D]")
    unident = d["unidentified"].to_numpy()
    birth = np.where(unident, birth.astype("datetime64[Y]").astype("datetime64[D]") + 181 * DAY, birth)
    mismatch = bg & (kind == "居民身份证") & (rng.random(n) < BIRTH_MISMATCH)
    shift = rng.integers(1, 40, n) * np.where(rng.random(n) < 0.5, -1, 1)
    shown_birth = np.where(mismatch, birth + shift * DAY, birth)
    final = pd.DataFrame({
        "死亡证编号": cert_no,
        "死者姓名": d["name"].to_numpy(dtype=object),
        "证件类别": kind,
        "证件号码": number,
        "性别": d["sex"].to_numpy(dtype=object),
        "出生日期": shown_birth.astype("datetime64[s]"),
        "死亡日期": d["death_time"].to_numpy().astype("datetime64[s]"),
        "死亡地点类别": PLACES[place],
        "常住地址": d["address"].to_numpy(dtype=object),
        "签发日期": issue.astype("datetime64[s]"),
        "version": 1,
        "did": d["did"].to_numpy(),
        "pid": d["pid"].array,
        "planted": d["planted"].to_numpy(dtype=object),
        "entry_date": entry.astype("datetime64[s]"),
        "id_number": d["id_number"].to_numpy(dtype=object),
        "id_quirk": id_quirk,
        "corrected": "",
        "birth_mismatch": mismatch,
        "late_issue": lag > 7,
        "late_entry": late_entry,
        "non_resident": ~resident,
    })

    # Corrections: the first issue carried one wrong field, a re-issue (version 2) fixes it.
    fix = np.flatnonzero(bg & (rng.random(n) < CORRECTION))
    fields = np.array(["死者姓名", "证件号码", "出生日期", "性别", "死亡日期"], dtype=object)
    pick = fields[_choice_p(rng, len(fix), [0.25, 0.25, 0.2, 0.1, 0.2])]
    first = final.iloc[fix].copy()
    alt_seq = rng.integers(1, 499, len(fix)) * 2
    for j, i in enumerate(fix):
        field = pick[j]
        if field == "死者姓名" and name_variant(first.at[i, "死者姓名"]) is None:
            field = "出生日期"
        if field == "证件号码" and not (first.at[i, "证件类别"] == "居民身份证" and final.at[i, "id_number"]):
            field = "出生日期"
        if field == "死者姓名":
            first.at[i, "死者姓名"] = name_variant(first.at[i, "死者姓名"])
        elif field == "证件号码":  # a well-formed number of nobody: sequence digits mistyped
            idn = str(final.at[i, "id_number"])
            wrong = make_ids(np.array([idn[:6]]), np.array([np.datetime64(f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}")]),
                             np.array([(int(idn[14:17]) + int(alt_seq[j])) % 1000]))[0]
            first.at[i, "证件号码"] = str(wrong)
        elif field == "出生日期":
            first.at[i, "出生日期"] = first.at[i, "出生日期"] + pd.Timedelta(days=int(shift[i]))
        elif field == "性别":
            first.at[i, "性别"] = "女" if first.at[i, "性别"] == "男" else "男"
        else:  # date of death keyed a day early (the issue date stays on or after it)
            first.at[i, "死亡日期"] = first.at[i, "死亡日期"] - pd.Timedelta(days=1)
        final.at[i, "corrected"] = field
        first.at[i, "corrected"] = field
    corr_day = _days(final["entry_date"].to_numpy()[fix]) + rng.integers(1, 61, len(fix)) * DAY
    second = final.iloc[fix].copy()
    second["version"] = 2
    second["签发日期"] = corr_day.astype("datetime64[s]")
    second["entry_date"] = corr_day.astype("datetime64[s]")
    second["late_entry"] = False
    v1 = final.copy()
    for col in ("死者姓名", "证件号码", "出生日期", "性别", "死亡日期", "corrected"):
        v1.loc[fix, col] = first[col].to_numpy()
    out = pd.concat([v1, second], ignore_index=True)
    out["file_date"] = (out["entry_date"] + pd.Timedelta(days=1)).astype("datetime64[s]")
    return out.sort_values(["file_date", "死亡证编号"], kind="stable", ignore_index=True)


# --- cremations -----------------------------------------------------------------------------------

def _cremations(world: World, deceased: pd.DataFrame) -> pd.DataFrame:
    rng = world.rng("vital:cremations")
    as_of = np.datetime64(world.cfg.as_of, "D")
    d = deceased[deceased["in_cremation"]].reset_index(drop=True)
    n = len(d)
    bg = (d["planted"] == "").to_numpy()
    resident = d["resident"].to_numpy()
    death_day = _days(d["death_time"].to_numpy())
    lag = np.array([0, 1, 2, 3, 4, 5, 6, 7])[_choice_p(rng, n, [3, 12, 30, 30, 15, 5, 3, 2])]
    # planted: cremated two days after death, but never after as-of (their facts must be visible)
    lag = np.where(bg, lag, np.minimum(2, np.maximum((as_of - death_day) / DAY, 0)).astype(int))
    cremated = death_day + lag * DAY
    reg_lag = np.where(bg, _choice_p(rng, n, [90, 6, 4]), 0)
    created = ((cremated + reg_lag * DAY).astype("datetime64[s]")
               + rng.integers(7 * 3600 + 1800, 18 * 3600, n) * SECOND)

    rendered, id_quirk = _render_ids(d["id_number"], bg, CREMATION_ID_RATES, rng, int(d["id_number"].isna().sum()))
    name = d["name"].to_numpy(dtype=object).copy()
    variant = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(bg & (rng.random(n) < NAME_VARIANT)):
        v = name_variant(name[i])
        if v is not None:
            name[i], variant[i] = v, True
    differs = bg & (rng.random(n) < DEATH_DATE_DIFFERS)
    step = np.where(rng.random(n) < 0.5, -1, 1)
    step = np.where(death_day + step * DAY > cremated, -1, step)
    shown_death = np.where(differs, death_day + step * DAY, death_day)
    home = np.where(resident & bg & (rng.random(n) < CREMATION_ELSEWHERE),
                    FUNERAL_HOMES[rng.integers(0, len(FUNERAL_HOMES), n)], HOME).astype(object)

    # In-place corrections: the ID number was missing at registration, or the date of death wrong.
    upd = bg & (rng.random(n) < CREMATION_UPDATE)
    corrected_at = np.where(upd, created + rng.integers(3600, 20 * 86400, n) * SECOND,
                            np.datetime64("NaT", "s"))
    fix_id = upd & pd.notna(rendered) & (rng.random(n) < 0.6)
    orig_id = np.where(fix_id, None, rendered).astype(object)
    orig_death = np.where(upd & ~fix_id, death_day + np.where(death_day - DAY >= np.datetime64(CREMATION_SINCE),
                                                              -1, 0) * DAY, shown_death)
    rows = pd.DataFrame({
        "逝者姓名": name,
        "逝者身份证号": rendered,
        "死亡日期": shown_death.astype("datetime64[s]"),
        "火化日期": cremated.astype("datetime64[s]"),
        "殡仪馆": home,
        "did": d["did"].to_numpy(),
        "pid": d["pid"].array,
        "planted": d["planted"].to_numpy(dtype=object),
        "created_at": created,
        "corrected_at": corrected_at.astype("datetime64[s]"),
        "orig_逝者身份证号": orig_id,
        "orig_死亡日期": orig_death.astype("datetime64[s]"),
        "deleted_at": np.datetime64("NaT", "s"),
        "id_number": d["id_number"].to_numpy(dtype=object),
        "id_quirk": id_quirk,
        "death_date_differs": differs,
        "name_variant": variant,
        "non_resident": ~resident,
        "dup": -1,
    })

    # duplicate_then_deleted: entered again under a second number; one of the two deleted within days.
    dup = np.flatnonzero(bg & (rng.random(n) < DUPLICATE))
    twins = rows.iloc[dup].copy()
    twins["created_at"] = twins["created_at"] + pd.to_timedelta(rng.integers(600, 2 * 86400, len(dup)), unit="s")
    twins["corrected_at"] = np.datetime64("NaT", "s")
    twins["orig_逝者身份证号"] = twins["逝者身份证号"]
    twins["orig_死亡日期"] = twins["死亡日期"]
    twins["dup"] = dup
    rows.loc[dup, "dup"] = np.arange(n, n + len(dup))
    rows = pd.concat([rows, twins], ignore_index=True)
    delete_twin = rng.random(len(dup)) < 0.6
    deleted = np.where(delete_twin, np.arange(n, n + len(dup)), dup)
    rows.loc[deleted, "deleted_at"] = (rows.loc[np.arange(n, n + len(dup)), "created_at"].to_numpy()
                                       + rng.integers(3600, 7 * 86400, len(dup)) * SECOND)

    # 登记编号: HH + registration date + daily sequence in order of entry.
    rows = rows.sort_values(["created_at", "did"], kind="stable")
    day = rows["created_at"].dt.strftime("%Y%m%d")
    seq = rows.groupby(day, sort=False).cumcount() + 1
    reg = ("HH" + day + seq.map("{:04d}".format)).reindex(rows.index)
    rows.insert(0, "登记编号", reg.to_numpy(dtype=object))
    rows["twin"] = np.where(rows["dup"].to_numpy() >= 0,
                            pd.Series(rows["登记编号"]).reindex(rows["dup"].clip(lower=0)).to_numpy(dtype=object),
                            None)
    rows = rows.drop(columns="dup").reset_index(drop=True)
    m = len(rows)
    planted = (rows["planted"] != "").to_numpy()
    for col in ("insert_late", "correct_late", "delete_late"):
        rows[col] = ~planted & (rng.random(m) < LATE_PUSH)
    return rows.sort_values("created_at", kind="stable", ignore_index=True)
