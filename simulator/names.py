"""Chinese personal names (mostly 2-3 characters; a few minority names with '·', a few rare characters)."""

from __future__ import annotations

import numpy as np

SURNAMES = ("王", "张", "李", "刘", "孙", "陈", "杨", "赵", "徐", "周", "马", "朱", "胡", "高", "郭", "吴",
            "宋", "褚", "颜", "程", "田", "韩", "姜", "殷", "种", "邵", "冯", "董", "黄", "曹", "袁", "许")
_SURNAME_P = np.array([11, 10, 9, 7, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 3, 2,
                       2, 1, 1, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 1, 1], dtype=float)
_SURNAME_P /= _SURNAME_P.sum()
_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国广田兴利庆文志海成东亮"
_FEMALE = "芳娜敏静丽艳娟霞秀英燕玲桂兰萍红梅琳莉雪慧婷颖倩洁琴云莲凤菊荣爱华玉雨涵欣怡佳悦"
#: Characters outside GBK (4-byte GB18030 sequences): CJK Extension A/B.
RARE = ("䶮", "𠇔", "𡒄", "䲟", "𠀾", "㛃")


def person_names(sex_male: np.ndarray, rng: np.random.Generator, rare_rate: float = 0.0002) -> np.ndarray:
    """One name per person; sex_male is a boolean array."""
    n = len(sex_male)
    sur = rng.choice(len(SURNAMES), size=n, p=_SURNAME_P)
    two = rng.random(n) < 0.7  # 70% three-character names
    m_idx = rng.integers(0, len(_MALE), size=(n, 2))
    f_idx = rng.integers(0, len(_FEMALE), size=(n, 2))
    rare = rng.random(n) < rare_rate
    rare_idx = rng.integers(0, len(RARE), size=n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        pool, idx = (_MALE, m_idx[i]) if sex_male[i] else (_FEMALE, f_idx[i])
        given = pool[idx[0]] + (pool[idx[1]] if two[i] else "")
        if rare[i]:
            given = RARE[rare_idx[i]] + given[1:] if len(given) > 1 else RARE[rare_idx[i]]
        out[i] = SURNAMES[sur[i]] + given
    return out


def minority_name(rng: np.random.Generator) -> str:
    """A transliterated minority name with a middle dot (U+00B7)."""
    first = ("阿依", "买买提", "古丽", "艾力", "热依")[rng.integers(5)]
    last = ("木拉提", "吐尔逊", "江", "巴特尔", "努尔")[rng.integers(5)]
    return f"{first}·{last}"
