"""Social: aid from charities (sources `charity`) and public rental housing (`public_housing`).

Charity: batches uploaded by four organisations on working days of the 12 months up to as-of
(~2-10 files a month at full scale, fewer at small scales; Spring Festival campaigns in January and
February are the largest), each batch one campaign or month of aid records: recipients are mostly
poor (need from `health.household_need`, else low latent wealth), by programme (助学 for pupils,
两癌救助 for women 35-64, 困难职工 for working-age adults); ~2% are non-residents (migrant
workers: NOT added to `people`, pid <NA>). Quirk duplicate_record: some batches are uploaded again
(a "corrected" batch under another name, the first never withdrawn), ~5% of all rows. How each file
renders the records (encoding, header, ID, phone, amount and date formats) is the source's
(simulator/sources/charity.py). Planted persons get no record.

Public housing: families admitted since 2015 (poor households, mostly urban), ~24% exited, a few
re-admitted under a new number; 保障方式 may switch in place. The members listed are the persons of
the family's 户号 alive (and not moved out) on the snapshot day, or on the exit day after an exit;
the snapshot-stable quirks are drawn per family here (member_list_format, applicant_missing,
deceased_member, duplicate_member, lowercase_x). Planted persons get no record.

World tables:

`charity_batches` — one row per uploaded file: batch, org (机构 of the file name), unit (帮扶单位),
    title (说明), project (main 帮扶项目), upload_date, copy_of (batch re-uploaded, -1 none), n_rows.
`charity_records` — one row per record of a file (re-uploads included): rec, batch, pid (Int64,
    <NA> non-resident), id_number (canonical truth), name, phone (canonical mobile or landline, None
    = not recorded), address (住址 as recorded, None = empty), project, amount (Int64 cents, <NA> in
    kind), aid_date, non_resident, dup_of (rec of the same aid in the earlier file, -1 none).
`public_housing_families` — one row per 保障家庭编号: fam_no, hh, applicant_pid, mode, subsidy (Int64
    cents, <NA> for 实物配租), start_date, admitted, exit_date (NaT none), switch_date (NaT none),
    prev_mode, prev_subsidy, prev_start (before the switch), readmitted_from (fam_no or ''),
    fullwidth_sep, trailing_sep, space_sep, applicant_missing, keep_deceased, duplicate_member,
    lowercase_x (member-list quirks, stable over the snapshots).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import geo, names
from simulator.domains.health import NO_NEED, count_for, household_need
from simulator.ids import make_ids
from simulator.world import World

DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D")

# --- charity ---------------------------------------------------------------------------------------

CHARITY_ROWS_PER_YEAR = 15_000
#: (机构 in the file name, the organisation's name, share of rows, branch unit pattern)
ORGS = (("慈善总会", "滕州市慈善总会", 0.40, "{town}慈善分会"), ("红十字会", "滕州市红十字会", 0.20, "{town}红十字会"),
        ("总工会", "滕州市总工会", 0.25, "{town}工会"), ("妇联", "滕州市妇女联合会", 0.15, "{town}妇联"))
#: Programmes per organisation: (帮扶项目, weight, amounts in yuan (None = in kind), recipient profile,
#: campaign months (empty = any)).
PROGRAMMES: dict[str, tuple[tuple[str, float, tuple[int | None, ...], str, tuple[int, ...]], ...]] = {
    "慈善总会": (("春节慰问金", 4, (None, 300, 500, 800, 1000), "elderly", (1, 2)), ("大病救助", 2, (2000, 5000, 10000, 20000), "sick", ()),
              ("助学金", 1.5, (1000, 2000, 3000, 5000), "pupil", (8, 9)), ("困难群众救助", 1.5, (500, 1000, 2000), "poor", ()),
              ("米面油慰问", 1, (None,), "elderly", (1, 2, 9, 10))),
    "红十字会": (("博爱送万家", 3, (None, 300, 500), "elderly", (1, 2)), ("大病救助", 2, (2000, 5000, 10000), "sick", ()),
              ("应急救助", 1, (500, 1000, 2000), "poor", ())),
    "总工会": (("春节送温暖", 3, (500, 800, 1000), "worker", (1, 2)), ("困难职工救助", 2, (500, 1000, 2000, 3000), "worker", ()),
            ("金秋助学", 1.5, (1000, 2000, 3000), "pupil", (8, 9))),
    "妇联": (("两癌救助", 2, (10000,), "women", ()), ("春蕾助学", 1.5, (1000, 1500), "girl", (8, 9)),
           ("困难妇女儿童救助", 1.5, (500, 1000, 2000), "women", ())),
}
MONTH_WEIGHT = (2.6, 2.0, 0.7, 0.7, 0.7, 0.8, 0.8, 1.1, 1.1, 0.8, 0.7, 0.8)
CHARITY_NON_RESIDENT = 0.02
DUPLICATE_RECORD = 0.05
PHONE_MISSING = 0.30
ADDRESS_EMPTY = 0.10
LANDLINE = 0.05

# --- public housing --------------------------------------------------------------------------------

GZF_FAMILIES = 5_000
GZF_EXITED = 0.24
GZF_READMITTED = 0.03
GZF_SWITCH = 0.05
GZF_SINCE = date(2015, 1, 1)
GZF_QUIRKS = {"fullwidth_sep": 0.02, "trailing_sep": 0.03, "space_sep": 0.02, "applicant_missing": 0.005,
              "keep_deceased": 0.02, "duplicate_member": 0.002, "lowercase_x": 0.002}


def _d(x: date) -> np.datetime64:
    return np.datetime64(x, "D")


def _ages(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    return ((np.asarray(day, dtype="datetime64[D]") - np.asarray(birth, dtype="datetime64[D]")) / DAY / 365.25).astype(int)


# --- charity: recipients ---------------------------------------------------------------------------

class _Pool:
    """Background residents who can receive aid, with a weight per recipient profile."""

    def __init__(self, world: World) -> None:
        p = world.people
        cfg = world.cfg
        start = cfg.as_of - timedelta(days=550)
        death = p["death_date"].to_numpy().astype("datetime64[D]")
        out = p["out_date"].to_numpy().astype("datetime64[D]")
        hh = p["hh"].to_numpy()
        ok = ((p["planted"] == "").to_numpy() & p["resident"].to_numpy(dtype=bool)
              & (np.isnat(death) | (death >= _d(start))) & (np.isnat(out) | (out >= _d(start)))
              & ~world.households["collective"].to_numpy(dtype=bool)[hh])
        self.pid = np.flatnonzero(ok)
        self.death = death[self.pid]
        self.out = out[self.pid]
        birth = p["birth_date"].to_numpy().astype("datetime64[D]")[self.pid]
        self.birth = birth
        age = _ages(birth, np.full(len(self.pid), _d(cfg.as_of)))
        male = (p["sex"] == "男").to_numpy()[self.pid]
        need = household_need(world, cfg.as_of)[self.pid]
        wealth = world.households["wealth"].to_numpy()[hh[self.pid]]
        poor = np.where(need < NO_NEED, 12.0, np.where(wealth < 0.1, 6.0, np.where(wealth < 0.25, 2.0, 0.15)))
        adult = age >= 18
        self.weights = {
            "poor": poor * adult, "elderly": poor * adult * np.where(age >= 60, 3.0, 1.0),
            "sick": poor * adult * np.where(age >= 45, 2.5, 1.0), "pupil": poor * ((age >= 6) & (age <= 18)),
            "girl": poor * ((age >= 6) & (age <= 18) & ~male), "worker": poor * ((age >= 22) & (age <= 59)),
            "women": poor * ((age >= 35) & (age <= 64) & ~male),
        }
        self.p = {k: w / w.sum() if w.sum() > 0 else None for k, w in self.weights.items()}


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """n mobile numbers '1[3-9]' + 9 digits."""
    return (10**10 + rng.integers(3, 10, n) * 10**9 + rng.integers(0, 10**9, n)).astype(str).astype(object)


def phones(world: World) -> np.ndarray:
    """A phone number per person (row of `people`): mobile '1[3-9]' + 9 digits, ~5% landlines '0632-' + 7."""
    rng = world.rng("social:phones")
    n = len(world.people)
    mobile = mobiles(rng, n)
    land = rng.random(n) < LANDLINE
    landline = np.char.add("0632-", (rng.integers(2_000_000, 9_000_000, n)).astype(str))
    return np.where(land, landline, mobile).astype(object)


def _addresses(world: World, pids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """住址 as recorded: town + village (~55%), the full hukou address (~35%), or empty (~10%)."""
    h = world.households
    hh = world.people["hh"].to_numpy()[pids]
    town = h["town"].iloc[hh].to_numpy(dtype=object)
    village = h["village"].iloc[hh].to_numpy(dtype=object)
    full = h["address"].iloc[hh].to_numpy(dtype=object)
    u = rng.random(len(pids))
    no_province = pd.Series(full, dtype=object).str.replace("山东省", "", regex=False).to_numpy(dtype=object)
    short = np.where(u < 0.55, town + village, np.where(u < 0.7, no_province, full))
    return np.where(u >= 1 - ADDRESS_EMPTY, None, short).astype(object)


def _non_residents(world: World, n: int, rng: np.random.Generator, used: set[str]) -> pd.DataFrame:
    """Recipients not registered in Tengzhou (migrant workers and their families)."""
    areas = np.array(["370826", "370883", "320322", "341221", "411522", "370402", "370811"], dtype="U6")
    age = rng.integers(20, 60, n)
    birth = _d(world.cfg.as_of) - (age * 365.25 + rng.integers(0, 365, n)).astype(int) * DAY
    male = rng.random(n) < 0.6
    ids = make_ids(areas[rng.integers(0, len(areas), n)], birth, rng.integers(0, 500, n) * 2 + male)
    ids = np.array([None if i in used else i for i in ids.tolist()], dtype=object)
    towns = [t for t in geo.TOWN_NAMES if geo.is_urban(t)]  # they live in the city's 街道 mostly
    addr = np.array([geo.street_address(towns[int(rng.integers(len(towns)))], "", rng).replace("山东省滕州市", "")
                     + "（暂住）" for _ in range(n)], dtype=object)
    mobile = mobiles(rng, n)
    return pd.DataFrame({"pid": pd.array([pd.NA] * n, dtype="Int64"), "id_number": ids,
                         "name": names.person_names(male, rng), "phone": mobile, "address": addr})


def _batch_plan(world: World) -> list[dict]:
    """Batches per month of the 12 months up to as-of: organisation, programme, upload day, rows."""
    cfg = world.cfg
    rng = world.rng("social:charity-batches")
    scale_rows = CHARITY_ROWS_PER_YEAR * cfg.scale
    first = cal.month_add(cal.yyyymm(cfg.as_of), -11)
    org_p = np.array([o[2] for o in ORGS])
    plan = []
    for i in range(12):
        month = cal.month_add(first, i)
        y, m = int(month[:4]), int(month[4:])
        days = [d for d in cal.date_range(date(y, m, 1), min(cal.last_day_of_month(y, m), cfg.as_of))
                if cal.is_working_day(d)]
        if not days:
            continue
        rows_month = scale_rows * MONTH_WEIGHT[m - 1] / sum(MONTH_WEIGHT)
        n_files = int(min(rng.integers(2, 11), max(1, round(rows_month / 4))))
        share = rng.dirichlet(np.full(n_files, 1.5))
        sizes = np.maximum(1, np.round(rows_month * share)).astype(int)
        for k in range(n_files):
            org = ORGS[rng.choice(len(ORGS), p=org_p / org_p.sum())]
            progs = PROGRAMMES[org[0]]
            w = np.array([pw * (3.0 if m in months else (1.0 if not months else 0.15))
                          for _, pw, _, _, months in progs])
            prog = progs[rng.choice(len(progs), p=w / w.sum())]
            plan.append({"org": org, "prog": prog, "upload": days[int(rng.integers(len(days)))],
                         "n": int(sizes[k]), "month": m, "year": y})
    return sorted(plan, key=lambda b: b["upload"])


def _title(b: dict, rng: np.random.Generator, seen: set[str]) -> str:
    """说明 of a file name: free text (Chinese, digits, spaces, brackets; never '/')."""
    project = b["prog"][0]
    y, m = b["year"], b["month"]
    options = (f"{y}年{project}", f"{project}第{rng.integers(1, 6)}批", f"{m}月{project}名单", f"{y}年{m}月{project}",
               f"{project}（{y}年{m}月）", f"{project} {y}{m:02d}")
    title = options[int(rng.integers(len(options)))]
    k = 2
    base = title
    while title in seen:
        title = f"{base}({k})"
        k += 1
    seen.add(title)
    return title


def _charity(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = world.rng("social:charity")
    pool = _Pool(world)
    phone = phones(world)
    plan = _batch_plan(world)
    towns = np.array(geo.TOWN_NAMES, dtype=object)
    person_ids = world.people["id_number"].to_numpy(dtype=object)
    person_names = world.people["name"].to_numpy(dtype=object)
    used = set(person_ids.tolist())
    batches, records = [], []
    seen: set[str] = set()
    for b, spec in enumerate(plan):
        org, (project, _, amounts, profile, _months) = spec["org"], spec["prog"]
        n = spec["n"]
        upload = _d(spec["upload"])
        # aid dates: mostly a campaign day shortly before the upload, some months earlier (up to 6)
        campaign = upload - int(rng.integers(0, 30)) * DAY
        lag = np.where(rng.random(n) < 0.7, 0, rng.integers(0, 180, n))
        aid = np.maximum(campaign - lag * DAY, upload - 182 * DAY)
        n_nr = int((rng.random(n) < CHARITY_NON_RESIDENT).sum())
        n_res = min(n - n_nr, len(pool.pid))
        p = pool.p[profile] if pool.p[profile] is not None else pool.p["poor"]
        pick = rng.choice(len(pool.pid), size=n_res, replace=False, p=p)
        aid_res = aid[:n_res]
        alive = ((np.isnat(pool.death[pick]) | (pool.death[pick] >= aid_res)) & (pool.birth[pick] <= aid_res)
                 & (np.isnat(pool.out[pick]) | (pool.out[pick] >= aid_res)))
        pids = pool.pid[pick[alive]]
        res = pd.DataFrame({"pid": pd.array(pids, dtype="Int64"),
                            "id_number": person_ids[pids], "name": person_names[pids], "phone": phone[pids],
                            "address": _addresses(world, pids, rng), "aid_date": aid_res[alive]})
        nr = _non_residents(world, n_nr, rng, used).assign(aid_date=aid[n - n_nr:])
        rec = pd.concat([res, nr], ignore_index=True)
        m = len(rec)
        if m == 0:
            continue
        rec["phone"] = np.where(rng.random(m) < PHONE_MISSING, None, rec["phone"].to_numpy(dtype=object))
        amount_choice = np.array([a if a is not None else -1 for a in amounts])
        fixed = amount_choice[int(rng.integers(len(amount_choice)))]
        per_row = amount_choice[rng.integers(0, len(amount_choice), m)]
        amt = np.where(rng.random(m) < 0.6, fixed, per_row)
        rec["amount"] = pd.array(np.where(amt < 0, None, amt * 100), dtype="Int64")
        rec["project"] = project
        rec["aid_date"] = rec["aid_date"].to_numpy().astype("datetime64[s]")
        rec["non_resident"] = rec["pid"].isna().to_numpy()
        rec["batch"] = b
        branch = rng.random() < 0.3
        unit = org[3].format(town=towns[rng.integers(len(towns))]) if branch else org[1]
        batches.append({"batch": b, "org": org[0], "unit": unit, "title": _title(spec, rng, seen), "project": project,
                        "upload_date": np.datetime64(upload, "s"), "copy_of": -1, "n_rows": m})
        records.append(rec)
    batches_df = pd.DataFrame(batches, columns=["batch", "org", "unit", "title", "project", "upload_date", "copy_of",
                                                "n_rows"])
    recs = pd.concat(records, ignore_index=True) if records else pd.DataFrame(
        columns=["pid", "id_number", "name", "phone", "address", "amount", "project", "aid_date", "non_resident", "batch"])
    recs["dup_of"] = -1
    recs.insert(0, "rec", np.arange(len(recs)))
    return _reuploads(world, batches_df, recs, seen)


def _reuploads(world: World, batches: pd.DataFrame, recs: pd.DataFrame, seen: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quirk duplicate_record: whole batches uploaded again under another name 1-15 days later (~5% of rows)."""
    rng = world.rng("social:charity-reupload")
    as_of = _d(world.cfg.as_of)
    total = len(recs)
    target = total * DUPLICATE_RECORD / (1 - DUPLICATE_RECORD)
    new_b, new_r = [], []
    got = 0
    order = rng.permutation(len(batches))
    next_b = int(batches["batch"].max()) + 1 if len(batches) else 0
    for i in order:
        if got >= target:
            break
        b = batches.iloc[i]
        if b["n_rows"] > 2 * max(target - got, 1):
            continue
        day = np.datetime64(b["upload_date"], "D") + int(rng.integers(1, 16)) * DAY
        while not cal.is_working_day(pd.Timestamp(day).date()):
            day += DAY
        if day > as_of:
            continue
        suffix = ("（更正）", "(修改版)", "（第二版）", " 新", "_改")[int(rng.integers(5))]
        title = b["title"] + suffix
        while title in seen:
            title += "1"
        seen.add(title)
        new_b.append({**b.to_dict(), "batch": next_b, "title": title, "upload_date": np.datetime64(day, "s"),
                      "copy_of": int(b["batch"])})
        r = recs[recs["batch"] == b["batch"]].copy()
        r["dup_of"] = r["rec"].to_numpy()
        r["batch"] = next_b
        new_r.append(r)
        got += len(r)
        next_b += 1
    if new_b:
        batches = pd.concat([batches, pd.DataFrame(new_b)], ignore_index=True)
        recs = pd.concat([recs, *new_r], ignore_index=True)
        recs["rec"] = np.arange(len(recs))
    batches = batches.sort_values(["upload_date", "batch"], kind="stable", ignore_index=True)
    return batches, recs


# --- public housing ------------------------------------------------------------------------------

def _public_housing(world: World) -> pd.DataFrame:
    cfg = world.cfg
    rng = world.rng("social:public-housing")
    p = world.people
    h = world.households
    as_of = _d(cfg.as_of)
    n_fam = max(3, round(GZF_FAMILIES * cfg.scale))
    planted_hh = set(world.planted_hh.values())
    wealth = h["wealth"].to_numpy()
    urban = h["town"].astype(str).str.endswith("街道").to_numpy()
    ok = ~h["collective"].to_numpy(dtype=bool) & (wealth < 0.2) & ~h["hh"].isin(planted_hh).to_numpy()
    w = np.where(ok, np.where(urban, 4.0, 1.0) * (0.25 - wealth), 0.0)
    # the applicant: the household's 户主 (else its oldest adult), alive at admission
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    by_hh = pd.DataFrame({"pid": p["pid"].to_numpy(), "hh": p["hh"].to_numpy(), "head": (p["rel"] == "户主").to_numpy(),
                          "birth": birth, "death": death, "planted": (p["planted"] != "").to_numpy()})
    by_hh = by_hh[~by_hh["planted"]].sort_values(["hh", "head", "birth"], ascending=[True, False, True])
    first = by_hh.groupby("hh", sort=False).head(1)
    row_of = dict(zip(first["hh"].to_numpy().tolist(), range(len(first)), strict=True))
    f_pid = first["pid"].to_numpy()
    f_birth = first["birth"].to_numpy().astype("datetime64[D]")
    f_death = first["death"].to_numpy().astype("datetime64[D]")
    hh_pick = rng.choice(len(h), size=min(int(n_fam * 1.5), int((w > 0).sum())), replace=False, p=w / w.sum())
    span = int((as_of - 30 * DAY - _d(GZF_SINCE)) / DAY)
    rows = []
    for hh in hh_pick:
        j = row_of.get(int(hh))
        if len(rows) >= n_fam or j is None:
            continue
        admitted = _d(GZF_SINCE) + int(rng.integers(0, span)) * DAY
        died = f_death[j]
        if f_birth[j] > admitted - 18 * 365 * DAY or (not np.isnat(died) and died <= admitted):
            continue
        exit_d = NAT
        if rng.random() < GZF_EXITED and admitted + 180 * DAY < as_of:
            exit_d = admitted + int(rng.integers(180, int((as_of - admitted) / DAY))) * DAY
        if not np.isnat(died):
            after = died + int(rng.integers(30, 180)) * DAY
            if after <= as_of and (np.isnat(exit_d) or after < exit_d):
                exit_d = after
        rows.append({"hh": int(hh), "applicant_pid": int(f_pid[j]), "admitted": admitted, "exit_date": exit_d})
    fam = pd.DataFrame(rows, columns=["hh", "applicant_pid", "admitted", "exit_date"])
    # re-admissions under a new number
    again = fam[~fam["exit_date"].isna() & (rng.random(len(fam)) < GZF_READMITTED / GZF_EXITED)].copy()
    again["admitted"] = again["exit_date"].to_numpy().astype("datetime64[D]") + rng.integers(60, 400, len(again)) * DAY
    again = again[again["admitted"].to_numpy() <= as_of]
    again["readmitted_from"] = again.index.to_numpy()
    again["exit_date"] = NAT
    fam["readmitted_from"] = -1
    fam = pd.concat([fam, again], ignore_index=True)
    n = len(fam)
    admitted = fam["admitted"].to_numpy().astype("datetime64[D]")
    size = p.groupby("hh").size().reindex(fam["hh"]).to_numpy()
    mode = np.where(rng.random(n) < 0.45, "实物配租", "租赁补贴").astype(object)
    subsidy = np.clip(np.round(150 * np.minimum(size, 4) * rng.uniform(0.8, 1.1, n) / 10) * 10, 150, 600) * 100
    switch = (rng.random(n) < GZF_SWITCH) & fam["exit_date"].isna().to_numpy() & (admitted < as_of - 800 * DAY)
    switch_d = np.where(switch, as_of - rng.integers(30, 730, n) * DAY, NAT)
    prev_mode = mode.copy()
    mode = np.where(switch, np.where(mode == "实物配租", "租赁补贴", "实物配租"), mode).astype(object)
    fam_no_base = int(rng.integers(1000, 3000))
    order = np.argsort(admitted, kind="stable")
    numbers = np.empty(n, dtype=object)
    numbers[order] = [f"GZ{fam_no_base + i * 7 + int(rng.integers(0, 7)):08d}" for i in range(n)]
    fam = fam.assign(
        fam_no=numbers, mode=mode,
        subsidy=pd.array(np.where(mode == "租赁补贴", subsidy, np.nan), dtype="Int64"),
        start_date=np.where(switch, switch_d, admitted).astype("datetime64[s]"),
        admitted=admitted.astype("datetime64[s]"),
        exit_date=fam["exit_date"].to_numpy().astype("datetime64[s]"),
        switch_date=switch_d.astype("datetime64[s]"), prev_mode=prev_mode,
        prev_subsidy=pd.array(np.where(prev_mode == "租赁补贴", subsidy, np.nan), dtype="Int64"),
        prev_start=admitted.astype("datetime64[s]"),
    )
    fam["readmitted_from"] = np.where(fam["readmitted_from"].to_numpy() >= 0,
                                      fam["fam_no"].to_numpy()[np.maximum(fam["readmitted_from"].to_numpy(), 0)], "")
    fam = _gzf_quirks(world, fam, rng)
    cols = ["fam_no", "hh", "applicant_pid", "mode", "subsidy", "start_date", "admitted", "exit_date", "switch_date",
            "prev_mode", "prev_subsidy", "prev_start", "readmitted_from", *GZF_QUIRKS]
    return fam[cols].sort_values("fam_no", ignore_index=True)


def members_on(world: World, fam: pd.DataFrame, day: date) -> list[list[int]]:
    """Persons listed in 家庭成员身份证号 of each family on `day` (the exit day after an exit), applicant
    first: the 户号's persons born by then, alive (or dead after admission, with keep_deceased) and not
    moved out; at most 8."""
    p = world.people
    d = _d(day)
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    out = p["out_date"].to_numpy().astype("datetime64[D]")
    groups = p.groupby("hh").indices
    result = []
    for hh, app, admitted, exit_d, keep_dead in zip(fam["hh"], fam["applicant_pid"], fam["admitted"],
                                                    fam["exit_date"], fam["keep_deceased"], strict=True):
        at = d if pd.isna(exit_d) or np.datetime64(exit_d, "D") > d else np.datetime64(exit_d, "D")
        adm = np.datetime64(admitted, "D")
        pids = groups.get(hh, np.zeros(0, dtype=np.int64))
        alive = (birth[pids] <= at) & (np.isnat(out[pids]) | (out[pids] > at))
        dead_ok = ~np.isnat(death[pids]) & (death[pids] <= at)
        listed = alive & (~dead_ok | (keep_dead & (death[pids] > adm)))
        mem = [int(x) for x in pids[listed] if x != app]
        result.append(([int(app)] if app in pids[listed] else []) + mem[: 8 - 1])
    return result


def _gzf_quirks(world: World, fam: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per-family member-list quirks at about the contract's share of rows, where they can show."""
    n = len(fam)
    fam = fam.assign(**{q: False for q in GZF_QUIRKS})
    as_of = world.cfg.as_of
    p = world.people
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    groups = p.groupby("hh").indices
    ids = p["id_number"].to_numpy(dtype=object)
    dead_after, has_x, two = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i, (hh, admitted) in enumerate(zip(fam["hh"], fam["admitted"], strict=True)):
        pids = groups.get(hh, np.zeros(0, dtype=np.int64))
        dd = death[pids]
        dead_after[i] = bool((~np.isnat(dd) & (dd > np.datetime64(admitted, "D")) & (dd <= _d(as_of))).any())
        has_x[i] = any(str(ids[x]).endswith("X") for x in pids)
        two[i] = len(pids) >= 2
    eligible = {"keep_deceased": dead_after, "lowercase_x": has_x, "applicant_missing": two,
                "duplicate_member": np.ones(n, dtype=bool)}
    for q, rate in GZF_QUIRKS.items():
        el = eligible.get(q, np.ones(n, dtype=bool))
        k = min(count_for(rate, n) if q not in ("fullwidth_sep", "trailing_sep", "space_sep") else round(rate * n),
                int(el.sum()))
        if k:
            fam.loc[fam.index[rng.choice(np.flatnonzero(el), size=k, replace=False)], q] = True
    return fam


# --- build ------------------------------------------------------------------------------------------

def build(world: World) -> None:
    """Add `charity_batches`, `charity_records` and `public_housing_families` to `world.tables`."""
    batches, records = _charity(world)
    world.tables["charity_batches"] = batches
    world.tables["charity_records"] = records
    world.tables["public_housing_families"] = _public_housing(world)
