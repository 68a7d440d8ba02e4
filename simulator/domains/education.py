"""Education: students with their 学籍 (XJ) and student-aid payments (ZZ) of source `education`.

A school year (学年) S runs 1 September S - 31 August S+1. A student's grade follows from his cohort:
grade index k = S - start_year (0-2 小班/中班/大班, 3-8 一年级-六年级, 9-11 七年级-九年级, 12-14 高一-
高三 or 中职一年级-中职三年级 by track), where start_year is the 学年 in which he is 3 by 31 August.
Everyone enters at some index (kindergarten at 3-5, or straight into 一年级) and leaves by graduating
after 九年级 (~7%: no upper secondary) or 高三/中职三年级 (毕业 on 1 July), by transfer or drop-out
(转出: also at a death or a move out of Tengzhou), and may be suspended (休学) for a while. XJ shows
who is enrolled at a month end plus those who left or graduated during the current or previous 学年.

Who: background residents of school age (planted persons only per their facts), except ~5% who study
elsewhere (kept as `elsewhere` rows: never in XJ; some are paid aid before their record moved,
quirk aid_without_enrolment); plus non-resident students (~5% of XJ rows: children of migrant
workers, NOT added to `people`: they exist only here, with pid <NA> and their own ID numbers, area
codes mostly outside 370481). ~0.3% of XJ rows carry a temporary 'L' number (mostly 学前, no ID
number known to the school).

Aid: per student and 学年, students of poor households are aided: households with a need on
1 September (health.household_need: a 特困/低保 member, a 防返贫 household, a severe disability; from
the welfare tables when present, else the latent wealth) mostly, households with wealth below
`POOR_WEALTH` often, others rarely. Paid per semester (秋季 October-December, 春季 April-June) on a
day per school and programme, only to 在读 students with an ID number. Planted: a student's ZZ row
(student_aid True) is one 秋季 payment of the current 学年 (on the working day from 15 November, or
15 October while the November file cannot be delivered yet; none before it is paid).

World tables:

`students` — one row per student (one 全国学籍号): stu (row), pid (Int64, <NA> non-resident),
    id_number (canonical), xj_no (全国学籍号), name, birth_date, start_year, first_index, last_index,
    track ('高中', '中职', '' = none), enter_date, graduation (毕业 day, NaT none), leave_date (转出
    day, NaT none), suspend_from / suspend_to (休学, NaT none), town, school_kg, school_primary,
    school_junior, school_senior, boarder, temp_number, non_resident, elsewhere, planted.
`student_aid` — one row per ZZ row version: stu (-1 for aid_without_enrolment rows of persons
    studying elsewhere), pid, id_number, name, 资助项目, amount (cents), 学年, 学期, pay_date,
    file_month ('YYYYMM': the ZZ file it is sent in; a correction's later file), version (1; 2 =
    the corrected re-send of quirk aid_correction), quirk ('', 'aid_correction',
    'aid_without_enrolment'), planted.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from simulator import calendar as cal
from simulator import names
from simulator.domains.health import NO_NEED, count_for, household_need
from simulator.ids import make_ids
from simulator.world import World

DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D")

GRADES = ("小班", "中班", "大班", "一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级",
          "高一", "高二", "高三")
VOC_GRADES = ("中职一年级", "中职二年级", "中职三年级")
STAGES = ("学前", "小学", "初中", "高中", "中职")
STATUSES = ("在读", "休学", "转出", "毕业")
PROJECTS = ("学前教育幼儿资助", "义务教育家庭经济困难学生生活补助", "普通高中国家助学金", "普通高中免学杂费", "中职国家助学金",
            "中职免学费")
SEMESTER_MONTHS = {"秋季": (10, 11, 12), "春季": (4, 5, 6)}

# Rates (education.yaml and realistic choices).
FIRST_INDEX_P = (0.72, 0.14, 0.05, 0.09)   # entry at 小班/中班/大班, or straight into 一年级
NO_UPPER_SECONDARY = 0.15
VOCATIONAL = 0.40                          # of those continuing after 九年级
ELSEWHERE = 0.05                           # resident children studying outside Tengzhou
NON_RESIDENT = 0.05                        # of XJ rows
TRANSFER_PER_YEAR = 0.012
SUSPEND = 0.004
TEMP_NUMBER = 0.003                        # of XJ rows
AID_CORRECTION = 0.002                     # of ZZ rows
AID_WITHOUT_ENROLMENT = 0.005              # of ZZ rows
POOR_WEALTH = 0.12
P_AID_NEED, P_AID_POOR, P_AID_OTHER, P_AID_NON_RESIDENT = 0.9, 0.3, 0.01, 0.06
VOC_FEE_WAIVER_ALL = 0.15                 # 中职免学费 for this share of all 中职 students
NON_RESIDENT_AREAS = (("370826", 0.14), ("370883", 0.12), ("370402", 0.08), ("370404", 0.06), ("370811", 0.08),
                      ("320322", 0.14), ("320382", 0.08), ("341221", 0.12), ("411522", 0.1), ("371321", 0.08))

#: The usual aid of a stage: (资助项目, cents per semester); planted and aid_without_enrolment rows.
STANDARD_AID = {"学前": ("学前教育幼儿资助", 50000), "小学": ("义务教育家庭经济困难学生生活补助", 25000),
                "初中": ("义务教育家庭经济困难学生生活补助", 31250), "高中": ("普通高中国家助学金", 100000),
                "中职": ("中职国家助学金", 115000)}
SENIOR_SCHOOLS = ("滕州市第一中学", "滕州市第二中学", "滕州市第三中学", "滕州市第五中学", "滕州市第七中学", "滕州市善国中学")
VOC_SCHOOLS = ("滕州市中等职业教育中心学校", "滕州市高级技工学校", "滕州市工业中等专业学校")


# --- calendar of school years ---------------------------------------------------------------------

def school_year_of(d: date) -> int:
    """First calendar year of the 学年 containing d (September - August)."""
    return d.year if d.month >= 9 else d.year - 1


def school_year_text(s: int) -> str:
    return f"{s}-{s + 1}"


def _sept1(years: np.ndarray) -> np.ndarray:
    return (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 243 * DAY \
        + np.where(_leap(np.asarray(years)), 1, 0) * DAY


def _leap(y: np.ndarray) -> np.ndarray:
    return ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)


def _july1(years: np.ndarray) -> np.ndarray:
    return _sept1(years) - 62 * DAY


def _years(d: np.ndarray) -> np.ndarray:
    return np.asarray(d, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _school_years(d: np.ndarray) -> np.ndarray:
    d = np.asarray(d, dtype="datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return _years(d) - (month < 9)


def start_years(birth: np.ndarray) -> np.ndarray:
    """学年 of 小班: the child is 3 by 31 August (born after 31 August → one year later)."""
    b = np.asarray(birth, dtype="datetime64[D]")
    y = _years(b)
    return y + 3 + (b >= _sept1(y))


# --- state on a day -------------------------------------------------------------------------------

def state_on(st: pd.DataFrame, day: np.ndarray | date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(in XJ, status index into STATUSES, grade index) of every student on `day` (a date or one per row)."""
    n = len(st)
    d = np.broadcast_to(np.asarray(np.datetime64(day, "D") if isinstance(day, date) else day,
                                   dtype="datetime64[D]"), (n,))
    s = _school_years(d)
    start = st["start_year"].to_numpy()
    first, last = st["first_index"].to_numpy(), st["last_index"].to_numpy()
    enter = st["enter_date"].to_numpy().astype("datetime64[D]")
    grad = st["graduation"].to_numpy().astype("datetime64[D]")
    leave = st["leave_date"].to_numpy().astype("datetime64[D]")
    s_from = st["suspend_from"].to_numpy().astype("datetime64[D]")
    s_to = st["suspend_to"].to_numpy().astype("datetime64[D]")
    ended = np.where(np.isnat(leave), grad, np.where(np.isnat(grad), leave, np.minimum(leave, grad)))
    inside = ~st["elsewhere"].to_numpy(dtype=bool) & (enter <= d) & (np.isnat(ended) | (ended >= _sept1(s - 1)))
    left = ~np.isnat(leave) & (leave <= d)
    graduated = ~left & ~np.isnat(grad) & (grad <= d)
    suspended = ~left & ~graduated & ~np.isnat(s_from) & (s_from <= d) & (s_to >= d)
    status = np.select([left, graduated, suspended], [2, 3, 1], 0)
    k = np.where(left, _school_years(np.where(left, leave, d)) - start, np.where(graduated, last, s - start))
    return inside, status, np.clip(k, first, last)


def stage_grade(k: np.ndarray, track: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(学段, 年级) texts of grade indexes."""
    k = np.asarray(k)
    voc = (np.asarray(track) == "中职") & (k >= 12)
    stage = np.select([k <= 2, k <= 8, k <= 11, voc], ["学前", "小学", "初中", "中职"], "高中").astype(object)
    grade = np.array(GRADES, dtype=object)[np.clip(k, 0, 14)]
    grade[voc] = np.array(VOC_GRADES, dtype=object)[k[voc] - 12]
    return stage, grade


def school_of(st: pd.DataFrame, stage: np.ndarray) -> np.ndarray:
    """学校名称 for the stage shown."""
    return np.select([stage == "学前", stage == "小学", stage == "初中"],
                     [st["school_kg"].to_numpy(dtype=object), st["school_primary"].to_numpy(dtype=object),
                      st["school_junior"].to_numpy(dtype=object)],
                     st["school_senior"].to_numpy(dtype=object)).astype(object)


# --- students -------------------------------------------------------------------------------------

def _schools(town: np.ndarray, track: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(town)
    urban = pd.Series(town, dtype=object).str.endswith("街道").to_numpy()
    t = town.astype(object)
    r = rng.random((n, 4))
    kg = np.where(r[:, 0] < 0.6, "滕州市" + t + "中心幼儿园", np.where(urban, "滕州市" + t + "实验幼儿园", "滕州市" + t + "第二幼儿园"))
    kg = np.where(urban & (r[:, 0] > 0.9), "滕州市机关幼儿园", kg)
    primary = np.where(r[:, 1] < 0.6, "滕州市" + t + "中心小学", np.where(urban, "滕州市" + t + "实验小学", "滕州市" + t + "第二小学"))
    primary = np.where(urban & (r[:, 1] > 0.88), "滕州市实验小学", primary)
    junior = np.where(urban & (r[:, 2] < 0.35), np.where(r[:, 2] < 0.2, "滕州市北辛中学", "滕州市育才中学"), "滕州市" + t + "中学")
    senior = np.where(track == "中职", np.array(VOC_SCHOOLS, dtype=object)[(r[:, 3] * len(VOC_SCHOOLS)).astype(int)],
                      np.array(SENIOR_SCHOOLS, dtype=object)[(r[:, 3] * len(SENIOR_SCHOOLS)).astype(int)])
    return {"school_kg": kg.astype(object), "school_primary": primary.astype(object),
            "school_junior": junior.astype(object), "school_senior": senior.astype(object)}


def _tracks(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    u = rng.random(n)
    none = u < NO_UPPER_SECONDARY
    track = np.where(none, "", np.where(u < NO_UPPER_SECONDARY + (1 - NO_UPPER_SECONDARY) * VOCATIONAL, "中职", "高中"))
    return track.astype(object), np.where(none, 11, 14)


def _resident_students(world: World, first_year: int) -> pd.DataFrame:
    """Background residents who are, were (since `first_year` - 1) or will be students by the horizon."""
    cfg = world.cfg
    rng = world.rng("education:students")
    p = world.people
    horizon = np.datetime64(cfg.horizon_end, "D")
    s_now = school_year_of(cfg.horizon_end)
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    start = start_years(birth)
    cand = np.flatnonzero((p["planted"] == "").to_numpy() & p["resident"].to_numpy(dtype=bool)
                          & (start <= s_now) & (start + 15 >= first_year - 1))
    n = len(cand)
    first = rng.choice(4, size=n, p=FIRST_INDEX_P)
    track, last = _tracks(rng, n)
    st = start[cand]
    enter = _sept1(st + first)
    grad = _july1(st + last + 1)
    death = p["death_date"].to_numpy().astype("datetime64[D]")[cand]
    out = p["out_date"].to_numpy().astype("datetime64[D]")[cand]
    transfer = rng.random(n) < TRANSFER_PER_YEAR * 2.5
    t_day = horizon - rng.integers(0, int(2.5 * 365), n) * DAY
    leave = np.where(transfer, t_day, NAT)
    for ev in (death, out):
        leave = np.where(~np.isnat(ev) & (np.isnat(leave) | (ev < leave)), ev, leave)
    leave = np.where(~np.isnat(leave) & (leave < grad), leave, NAT)
    valid = (enter <= horizon) & (np.isnat(leave) | (leave > enter))
    susp = rng.random(n) < SUSPEND * 3
    s_from = horizon - rng.integers(0, 540, n) * DAY
    s_to = s_from + rng.integers(60, 300, n) * DAY
    hh = p["hh"].to_numpy()[cand]
    town = world.households["town"].to_numpy(dtype=object)[hh]
    df = pd.DataFrame({
        "pid": pd.array(cand, dtype="Int64"), "id_number": p["id_number"].to_numpy(dtype=object)[cand],
        "name": p["name"].to_numpy(dtype=object)[cand], "birth_date": birth[cand].astype("datetime64[s]"),
        "start_year": st, "first_index": first, "last_index": last, "track": track,
        "enter_date": enter.astype("datetime64[s]"),
        "graduation": grad.astype("datetime64[s]"), "leave_date": leave.astype("datetime64[s]"),
        "suspend_from": np.where(susp, s_from, NAT).astype("datetime64[s]"),
        "suspend_to": np.where(susp, s_to, NAT).astype("datetime64[s]"),
        "town": town, **_schools(town, track, rng), "boarder": rng.random(n),
        "temp_number": False, "non_resident": False, "elsewhere": rng.random(n) < ELSEWHERE, "planted": "",
    })
    return df[valid].reset_index(drop=True)


def _non_resident_students(world: World, n: int, used: set[str]) -> pd.DataFrame:
    """Students from elsewhere (not in the Tengzhou register): arrive during the last years, some leave."""
    cfg = world.cfg
    rng = world.rng("education:non-residents")
    horizon = np.datetime64(cfg.horizon_end, "D")
    s_now = school_year_of(cfg.horizon_end)
    age_idx = rng.integers(0, 15, n)                    # grade index now
    start = s_now - age_idx
    birth = _sept1(start - 4) + rng.integers(0, 365, n) * DAY
    male = rng.random(n) < 0.52
    area_p = np.array([w for _, w in NON_RESIDENT_AREAS])
    area = np.array([a for a, _ in NON_RESIDENT_AREAS], dtype="U6")[rng.choice(len(area_p), size=n, p=area_p / area_p.sum())]
    ids = make_ids(area, birth, rng.integers(0, 500, n) * 2 + male)
    for _ in range(50):
        clash = pd.Series(ids).duplicated().to_numpy() | np.isin(ids, list(used))
        if not clash.any():
            break
        ids[clash] = make_ids(area[clash], birth[clash], rng.integers(0, 500, int(clash.sum())) * 2 + male[clash])
    arrival = horizon - rng.integers(0, 6 * 365, n) * DAY
    arrival = np.maximum(arrival, _sept1(start))
    first = np.clip(_school_years(arrival) - start, 0, 14)
    track, last = _tracks(rng, n)
    grad = _july1(start + last + 1)
    leave = np.where(rng.random(n) < 0.12, horizon - rng.integers(0, 700, n) * DAY, NAT)
    leave = np.where(~np.isnat(leave) & (leave > arrival) & (leave < grad), leave, NAT)
    town_names = np.array([t for t in world.households["town"].unique()], dtype=object)
    urban = np.array([t.endswith("街道") for t in town_names])
    w = np.where(urban, 7.0 / max(urban.sum(), 1), 3.0 / max((~urban).sum(), 1))
    town = town_names[rng.choice(len(town_names), size=n, p=w / w.sum())]
    df = pd.DataFrame({
        "pid": pd.array([pd.NA] * n, dtype="Int64"), "id_number": ids.astype(object),
        "name": names.person_names(male, rng), "birth_date": birth.astype("datetime64[s]"),
        "start_year": start, "first_index": first, "last_index": last, "track": track,
        "enter_date": arrival.astype("datetime64[s]"), "graduation": grad.astype("datetime64[s]"),
        "leave_date": leave.astype("datetime64[s]"), "suspend_from": NAT, "suspend_to": NAT,
        "town": town, **_schools(town, track, rng), "boarder": rng.random(n),
        "temp_number": False, "non_resident": True, "elsewhere": False, "planted": "",
    })
    return df[(first <= last) & (arrival <= horizon) & (grad > arrival)].reset_index(drop=True)


def _planted_students(world: World) -> pd.DataFrame:
    """Every planted member with a `student` fact: 在读 in that 学段 through the current 学年 (and the
    grade before it in the previous 学年), never graduating, leaving or suspended within the horizon."""
    cfg = world.cfg
    s_cur = school_year_of(cfg.as_of)
    ranges = {"学前": (0, 2), "小学": (3, 8), "初中": (9, 11), "高中": (12, 14), "中职": (12, 14)}
    rows = []
    for h, m, pid in world.planted_members():
        if m.student is None:
            continue
        birth = world.people.at[pid, "birth_date"]
        natural = s_cur - int(start_years(np.array([np.datetime64(birth, "D")]))[0])
        lo, hi = ranges[m.student]
        k = min(max(natural, lo), hi)
        first = max(0, k - 1)
        town = np.array([h.town], dtype=object)
        track = np.array(["中职" if m.student == "中职" else "高中"], dtype=object)
        schools = _schools(town, track, world.rng(f"education:planted:{h.sid}:{m.key}"))
        rows.append({
            "pid": pid, "id_number": world.id_of(pid), "name": str(world.people.at[pid, "name"]),
            "birth_date": np.datetime64(birth, "s"), "start_year": s_cur - k, "first_index": first, "last_index": 14,
            "track": str(track[0]), "enter_date": np.datetime64(_sept1(np.array([s_cur - k + first]))[0], "s"),
            "graduation": np.datetime64("NaT", "s"), "leave_date": np.datetime64("NaT", "s"),
            "suspend_from": np.datetime64("NaT", "s"), "suspend_to": np.datetime64("NaT", "s"), "town": h.town,
            **{key: str(v[0]) for key, v in schools.items()}, "boarder": 1.0, "temp_number": False,
            "non_resident": False, "elsewhere": False, "planted": h.sid,
        })
    df = pd.DataFrame(rows)
    if len(df):
        df["pid"] = pd.array(df["pid"], dtype="Int64")
    return df


def _temp_numbers(world: World, st: pd.DataFrame) -> pd.DataFrame:
    """Quirk temporary_number: 'L' + area + birth date + 4 digits for ~0.3% of the students in XJ now,
    mostly 学前 children (no ID number known to the school)."""
    rng = world.rng("education:temp-numbers")
    inside, _, k = state_on(st, world.cfg.as_of)
    bg = (st["planted"] == "").to_numpy()
    eligible = inside & bg
    w = np.where(k <= 2, 20.0, 1.0) * np.where(st["non_resident"].to_numpy(), 3.0, 1.0) * eligible
    m = min(count_for(TEMP_NUMBER, int(inside.sum())), int(eligible.sum()))
    pick = rng.choice(len(st), size=m, replace=False, p=w / w.sum()) if m else np.zeros(0, dtype=int)
    st = st.copy()
    st.loc[pick, "temp_number"] = True
    ids = st["id_number"].to_numpy(dtype=object)
    birth = np.datetime_as_string(st["birth_date"].to_numpy().astype("datetime64[D]"), unit="D")
    seq = rng.integers(0, 10_000, len(st))
    xj = np.array(["G" + str(i) for i in ids], dtype=object)
    for i in pick:
        xj[i] = f"L{ids[i][:6]}{birth[i].replace('-', '')}{seq[i]:04d}"
    st["xj_no"] = xj
    return st


def _students(world: World) -> pd.DataFrame:
    first_year = school_year_of(world.cfg.monthly_history_start) - 1
    res = _resident_students(world, first_year)
    visible_now = state_on(res, world.cfg.as_of)[0].sum()
    used = set(world.people["id_number"])
    if "deceased" in world.tables:
        used |= set(world.tables["deceased"]["id_number"].dropna())
    # some of them have left or graduated by the as-of date: draw a few more than the share asks for
    n_non = round(1.3 * NON_RESIDENT / (1 - NON_RESIDENT) * visible_now)
    st = pd.concat([res, _non_resident_students(world, n_non, used), _planted_students(world)], ignore_index=True)
    st = _temp_numbers(world, st)
    st.insert(0, "stu", np.arange(len(st)))
    return st


# --- aid ------------------------------------------------------------------------------------------

def _pay_days(keys: pd.DataFrame, months: tuple[int, ...], year: int, rng: np.random.Generator) -> np.ndarray:
    """A payment day per (school, 资助项目): a month of the semester (the middle one most), a working day."""
    out = np.empty(len(keys), dtype="datetime64[D]")
    mi = rng.choice(3, size=len(keys), p=(0.25, 0.5, 0.25))
    day = rng.integers(8, 26, len(keys))
    for i in range(len(keys)):
        out[i] = np.datetime64(cal.next_working_day_on_or_after(date(year, months[mi[i]], int(day[i]))), "D")
    return out


def _semester_rows(world: World, st: pd.DataFrame, s: int, semester: str, need: np.ndarray) -> pd.DataFrame:
    """Background aid rows of one semester of 学年 s (before the horizon)."""
    rng = world.rng(f"education:aid:{s}")
    u_aid, u_amount, u_fee, u_all = (rng.random(len(st)) for _ in range(4))
    n = len(st)
    wealth = np.full(n, 1.0)
    pid = st["pid"].to_numpy(dtype=float, na_value=np.nan)
    res = ~np.isnan(pid)
    hh = world.people["hh"].to_numpy()
    wealth[res] = world.households["wealth"].to_numpy()[hh[pid[res].astype(np.int64)]]
    p_aid = np.where(~res, P_AID_NON_RESIDENT, np.where(need <= 3, P_AID_NEED, np.where(wealth < POOR_WEALTH, P_AID_POOR,
                                                                                           P_AID_OTHER)))
    aided = u_aid < p_aid
    year = s if semester == "秋季" else s + 1
    mid = np.datetime64(date(year, SEMESTER_MONTHS[semester][1], 15), "D")
    inside, status, k = state_on(st, mid)
    stage, _ = stage_grade(k, st["track"].to_numpy())
    ok = inside & (status == 0) & ~st["temp_number"].to_numpy(dtype=bool) & (st["planted"] == "").to_numpy()
    board = st["boarder"].to_numpy()
    rows = []
    step = np.select([u_amount < 0.25, u_amount < 0.75], [0.75, 1.0], 1.25)  # mean 1.0
    pairs = (
        (ok & aided & (stage == "学前"), "学前教育幼儿资助", np.full(n, 50000)),
        (ok & aided & (stage == "小学"), "义务教育家庭经济困难学生生活补助", np.where(board < 0.2, 50000, 25000)),
        (ok & aided & (stage == "初中"), "义务教育家庭经济困难学生生活补助", np.where(board < 0.4, 62500, 31250)),
        (ok & aided & (stage == "高中"), "普通高中国家助学金", (100000 * step).astype(np.int64)),
        (ok & aided & (stage == "高中") & ((need <= 1) | (u_fee < 0.3)), "普通高中免学杂费", (75000 * (0.8 + 0.4 * (
            np.minimum((u_fee * 9).astype(int), 2) / 2))).astype(np.int64)),
        (ok & aided & (stage == "中职"), "中职国家助学金", np.full(n, 115000)),
        (ok & (stage == "中职") & (aided | (u_all < VOC_FEE_WAIVER_ALL)), "中职免学费",
         (125000 * step).astype(np.int64)),
    )
    for mask, project, amount in pairs:
        idx = np.flatnonzero(mask)
        rows.append(pd.DataFrame({"stu": st["stu"].to_numpy()[idx], "资助项目": project, "amount": amount[idx],
                                  "school": school_of(st.iloc[idx], stage[idx])}))
    df = pd.concat(rows, ignore_index=True)
    keys = df[["school", "资助项目"]].drop_duplicates().sort_values(["school", "资助项目"], ignore_index=True)
    keys["pay_date"] = _pay_days(keys, SEMESTER_MONTHS[semester], year, world.rng(f"education:pay-days:{s}:{semester}"))
    df = df.merge(keys, on=["school", "资助项目"], how="left")
    # paid only to students still 在读 on the payment day
    inside_then, status_then, _ = state_on(st.iloc[df["stu"].to_numpy()], df["pay_date"].to_numpy())
    df = df[inside_then & (status_then == 0) & (df["pay_date"].to_numpy() <= np.datetime64(world.cfg.horizon_end, "D"))]
    return df.assign(学年=school_year_text(s), 学期=semester).drop(columns="school")


def _planted_aid(world: World, st: pd.DataFrame) -> pd.DataFrame:
    """One 秋季 payment of the current 学年 for each planted student with student_aid (see module docstring)."""
    as_of = world.cfg.as_of
    s = school_year_of(as_of)
    month = 11 if as_of >= date(s, 12, 9) else 10
    pay = cal.next_working_day_on_or_after(date(s, month, 15))
    if pay > as_of:
        return pd.DataFrame()
    rows = []
    stu_of = {(sid, int(pid)): stu for stu, sid, pid in zip(st["stu"], st["planted"], st["pid"].fillna(-1),
                                                           strict=True) if sid}
    for h, m, pid in world.planted_members():
        if m.student is None or not m.student_aid:
            continue
        project, amount = STANDARD_AID[m.student]
        rows.append({"stu": stu_of[(h.sid, pid)], "资助项目": project, "amount": amount,
                     "pay_date": np.datetime64(pay, "D"), "学年": school_year_text(s), "学期": "秋季"})
    return pd.DataFrame(rows)


def _aid(world: World, st: pd.DataFrame) -> pd.DataFrame:
    cfg = world.cfg
    frames = []
    pid = st["pid"].to_numpy(dtype=float, na_value=np.nan)
    res = ~np.isnan(pid)
    for s in range(school_year_of(cfg.monthly_history_start) - 1, school_year_of(cfg.horizon_end) + 1):
        need = household_need(world, date(s, 9, 1))
        st_need = np.full(len(st), NO_NEED)
        st_need[res] = need[pid[res].astype(np.int64)]
        for semester in ("秋季", "春季"):
            frames.append(_semester_rows(world, st, s, semester, st_need))
    bg = pd.concat(frames, ignore_index=True)
    bg["pay_date"] = pd.to_datetime(bg["pay_date"]).astype("datetime64[s]")
    # only months a delivered ZZ file can describe (the month before the history start onwards)
    first_month = cal.month_add(cal.yyyymm(cfg.monthly_history_start), -1)
    bg = bg[(bg["pay_date"].dt.strftime("%Y%m") >= first_month).to_numpy()].reset_index(drop=True)
    rows = pd.concat([bg, _planted_aid(world, st)], ignore_index=True)
    stu = rows["stu"].to_numpy()
    for col in ("pid", "id_number", "name", "planted"):
        rows[col] = st[col].to_numpy(dtype=object)[stu]
    rows = pd.concat([rows.assign(quirk=""), _without_enrolment(world, st, bg)], ignore_index=True)
    rows["pay_date"] = pd.to_datetime(rows["pay_date"]).astype("datetime64[s]")
    rows["file_month"] = rows["pay_date"].dt.strftime("%Y%m")
    rows["version"] = 1
    rows = pd.concat(_corrections(world, rows), ignore_index=True)
    rows["pid"] = pd.array(rows["pid"], dtype="Int64")
    cols = ["stu", "pid", "id_number", "name", "资助项目", "amount", "学年", "学期", "pay_date", "file_month", "version",
            "quirk", "planted"]
    return rows[cols].sort_values(["file_month", "pay_date", "stu"], kind="stable", ignore_index=True)


def _without_enrolment(world: World, st: pd.DataFrame, bg: pd.DataFrame) -> pd.DataFrame:
    """Quirk aid_without_enrolment: students studying elsewhere paid once (their 学籍 moved after the
    payment, so the XJ file never shows them), with the key fields of a real payment made in a month
    whose ZZ file is delivered by the as-of date; stage and programme from the student's grade then."""
    rng = world.rng("education:without-enrolment")
    cfg = world.cfg
    last = cal.month_add(cal.yyyymm(cfg.as_of), -1 if cfg.as_of.day >= 9 else -2)
    like_pool = bg[(bg["pay_date"].dt.strftime("%Y%m") <= last).to_numpy()]
    pool = st[st["elsewhere"].to_numpy(dtype=bool)]
    k = min(count_for(AID_WITHOUT_ENROLMENT, len(bg)), len(pool), len(like_pool))
    enter = pool["enter_date"].to_numpy().astype("datetime64[D]")
    grad = pool["graduation"].to_numpy().astype("datetime64[D]")
    leave = pool["leave_date"].to_numpy().astype("datetime64[D]")
    rows, taken = [], np.zeros(len(pool), dtype=bool)
    for i in rng.permutation(len(like_pool))[: 4 * k]:
        if len(rows) == k:
            break
        like = like_pool.iloc[i]
        day = np.datetime64(like["pay_date"], "D")
        ok = ~taken & (enter <= day) & (grad > day) & (np.isnat(leave) | (leave > day))
        if not ok.any():
            continue
        j = int(rng.choice(np.flatnonzero(ok)))
        taken[j] = True
        who = pool.iloc[j]
        kk = int(_grade_index(day, int(who["start_year"])))
        stage = stage_grade(np.array([kk]), np.array([who["track"]]))[0][0]
        project, amount = STANDARD_AID[stage]
        rows.append({"stu": -1, "pid": who["pid"], "id_number": who["id_number"], "name": who["name"],
                     "资助项目": project, "amount": amount, "pay_date": like["pay_date"], "学年": like["学年"],
                     "学期": like["学期"], "quirk": "aid_without_enrolment", "planted": ""})
    return pd.DataFrame(rows)


def _grade_index(day: np.datetime64, start_year: int) -> int:
    """Grade index on a day of a student whose 小班 year is `start_year`."""
    return int(_school_years(np.array([day]))[0]) - start_year


def _corrections(world: World, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quirk aid_correction: a payment re-sent 1-2 months later (by the horizon) with the same key and
    a corrected amount. Returns (rows with both versions flagged, the re-sent rows as `version` 2)."""
    rng = world.rng("education:corrections")
    later = (rows["pay_date"].dt.to_period("M") + rng.integers(1, 3, len(rows))).dt.strftime("%Y%m").to_numpy()
    cand = np.flatnonzero((rows["quirk"] == "").to_numpy() & (rows["planted"] == "").to_numpy()
                          & (later <= f"{world.cfg.horizon_end:%Y%m}"))
    k = min(count_for(AID_CORRECTION, len(rows)), len(cand))
    pick = np.sort(rng.choice(cand, size=k, replace=False)) if k else np.zeros(0, dtype=int)
    flagged = rows.copy()
    flagged.loc[flagged.index[pick], "quirk"] = "aid_correction"
    fix = flagged.iloc[pick].copy()
    amount = fix["amount"].to_numpy()
    fix["amount"] = np.where(rng.random(k) < 0.5, amount * 2, np.maximum(amount // 2, 100))
    fix["file_month"] = later[pick]
    fix["version"] = 2
    return flagged, fix


# --- build ----------------------------------------------------------------------------------------

def build(world: World) -> None:
    """Add `students` and `student_aid` to `world.tables`."""
    st = _students(world)
    world.tables["students"] = st
    world.tables["student_aid"] = _aid(world, st)
