"""Towns, villages and addresses of the synthetic Tengzhou (sources/README.md section 12)."""

from __future__ import annotations

import numpy as np

#: (statistical code, name, share of registered residents). The five 街道 are urban.
TOWNS: tuple[tuple[str, str, float], ...] = (
    ("370481001", "荆河街道", 0.085), ("370481002", "龙泉街道", 0.080), ("370481003", "北辛街道", 0.075),
    ("370481004", "善南街道", 0.060), ("370481005", "东沙河街道", 0.045), ("370481101", "洪绪镇", 0.040),
    ("370481102", "南沙河镇", 0.040), ("370481103", "大坞镇", 0.038), ("370481104", "滨湖镇", 0.040),
    ("370481105", "级索镇", 0.042), ("370481106", "西岗镇", 0.040), ("370481107", "姜屯镇", 0.042),
    ("370481108", "鲍沟镇", 0.036), ("370481109", "张汪镇", 0.038), ("370481110", "官桥镇", 0.042),
    ("370481111", "柴胡店镇", 0.036), ("370481112", "羊庄镇", 0.036), ("370481113", "木石镇", 0.034),
    ("370481114", "界河镇", 0.044), ("370481115", "龙阳镇", 0.034), ("370481116", "东郭镇", 0.053),
)
TOWN_NAMES: tuple[str, ...] = tuple(t[1] for t in TOWNS)
TOWN_CODES: dict[str, str] = {t[1]: t[0] for t in TOWNS}


def is_urban(town: str) -> bool:
    """A 街道 is urban, a 镇 rural (policy section 1)."""
    return town.endswith("街道")


_VILLAGE_A = "前后东西南北大小上下新老张王李刘赵孙周吴郑冯陈杨黄马高林徐朱胡"
_VILLAGE_B = "屯庄营集店楼寨洼坡岭河湖桥园沟庙堂官泉山埠"
_COMMUNITY_A = "杏坛善国文化荆河龙泉北辛学院鑫城书院平行府前幸福和谐科圣滨河塔寺红荷墨子"
_ROADS = ("杏坛路", "善国北路", "善国中路", "文化路", "荆河路", "龙泉路", "北辛路", "学院路", "平行路",
          "府前路", "解放路", "大同路", "墨子路", "塔寺路", "鲁班大道", "益康大道")


def village_names(town: str, n: int, rng: np.random.Generator) -> list[str]:
    """n distinct village (…村) or community (…社区) short names for a town."""
    names: list[str] = []
    seen: set[str] = set()
    urban = is_urban(town)
    while len(names) < n:
        if urban:
            i, j = rng.integers(0, len(_COMMUNITY_A) - 1, size=2)
            name = _COMMUNITY_A[i] + _COMMUNITY_A[j] + "社区" if rng.random() < 0.4 else (
                _COMMUNITY_A[i:i + 2] + "社区")
        else:
            name = _VILLAGE_A[rng.integers(len(_VILLAGE_A))] + _VILLAGE_B[rng.integers(len(_VILLAGE_B))] + "村"
            if rng.random() < 0.3:
                name = _VILLAGE_A[rng.integers(len(_VILLAGE_A))] + name
        if name in seen:
            if len(seen) > 2000:
                name = f"{name[:-1]}{len(names)}{name[-1]}"
            else:
                continue
        seen.add(name)
        names.append(name)
    return names


def street_address(town: str, village: str, rng: np.random.Generator) -> str:
    """户籍地址: '山东省滕州市' + town + street or village + number (no ASCII commas)."""
    if is_urban(town):
        road = _ROADS[rng.integers(len(_ROADS))]
        return (f"山东省滕州市{town}{road}{rng.integers(1, 400)}号"
                f"{rng.integers(1, 7)}单元{rng.integers(1, 19)}0{rng.integers(1, 5)}室")
    return f"山东省滕州市{town}{village}{rng.integers(1, 600)}号"
