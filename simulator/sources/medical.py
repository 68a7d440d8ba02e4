"""Source `medical`: the 医保 front database (yb_enrollment, yb_settlement) after the push of as-of + 1.

Grain: yb_enrollment one row per (身份证号码, 参保年度), latest version; yb_settlement one row per
结算流水号 (insert-only ledger with refund rows). Rendered from the health world tables
(`enrollments`, and the settlement ledger of `health.settlement_months`): a row is visible when its
更新时间 is before the last push's night (`schedule.last_push_night`); an enrolment row updated after
that shows its previous version. Quirks rendered here: late_push (~1% of the last day's changes
wait for the next push); retention (enrolment: the as-of year and the two before, as the domain
keeps; settlements: 结算日期 from the 1st of the month 36 months before the as-of month). Quirks from
the world: refund, refund_of_unknown, rounding, late_out_of_town, stale_subsidy_category,
enrolled_after_death. ID numbers are canonical. Settlements are written one origin month at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import numpy as np
import pandas as pd

from simulator import deliver, schedule
from simulator.domains import health
from simulator.world import World

SOURCE = "medical"
P_LATE_PUSH = 0.01
CHUNK_ROWS = 250_000
_DAY = np.timedelta64(1, "D")

_C = deliver.ColumnDDL
ENROLLMENT = deliver.TableDDL(columns=(
    _C("身份证号码", "VARCHAR(18)", False), _C("姓名", "VARCHAR(50)", False), _C("参保类型", "VARCHAR(10)", False),
    _C("参保状态", "VARCHAR(10)", False), _C("参保年度", "CHAR(4)", False), _C("资助参保类别", "VARCHAR(10)", False),
    _C("更新时间", "TIMESTAMP(0)", False),
), key=("身份证号码", "参保年度"))
SETTLEMENT = deliver.TableDDL(columns=(
    _C("结算流水号", "VARCHAR(40)", False), _C("身份证号码", "VARCHAR(18)", False), _C("就诊类型", "VARCHAR(10)", False),
    _C("定点医疗机构", "VARCHAR(200)", False), _C("入院日期", "DATE", False), _C("结算日期", "DATE", False),
    _C("医疗总费用", "NUMERIC(12,2)", False), _C("统筹基金支付", "NUMERIC(12,2)", False),
    _C("大病保险支付", "NUMERIC(12,2)", False), _C("医疗救助支付", "NUMERIC(12,2)", False),
    _C("个人自付", "NUMERIC(12,2)", False), _C("退费标志", "CHAR(1)", False), _C("原结算流水号", "VARCHAR(40)"),
    _C("更新时间", "TIMESTAMP(0)", False),
), key=("结算流水号",))
TABLES = {"yb_enrollment": ENROLLMENT, "yb_settlement": SETTLEMENT}
_MONEY = {"医疗总费用": "total", "统筹基金支付": "pooled", "大病保险支付": "critical", "医疗救助支付": "assistance",
          "个人自付": "oop"}


def cutoff(world: World) -> np.datetime64:
    """Changes with 更新时间 before this second are in the front database (00:00 of the last push night)."""
    night = schedule.last_push_night(world, SOURCE)
    return np.datetime64(datetime(night.year, night.month, night.day), "s")


def _pushed(ts: np.ndarray, cut: np.datetime64, planted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Visible after the last push: before the cutoff, except ~1% of the last day's changes (late_push)."""
    ts = np.asarray(ts, dtype="datetime64[s]")
    late = (ts >= cut - _DAY) & (rng.random(len(ts)) < P_LATE_PUSH) & ~planted
    return ~np.isnat(ts) & (ts < cut) & ~late


def settlement_retention_start(as_of: date) -> np.datetime64:
    """First 结算日期 kept: the 1st of the month 36 months before the as-of month."""
    mi = health.month_index(as_of) - health.RETENTION_MONTHS
    return np.datetime64(date(mi // 12, mi % 12 + 1, 1), "s")


def enrollment_rows(world: World) -> pd.DataFrame:
    """yb_enrollment as after the last push (contract columns, key order)."""
    e = world.tables["enrollments"]
    cut = cutoff(world)
    rng = world.rng("medical:late-push:enrollment")
    planted = (e["planted"] != "").to_numpy()
    created = _pushed(e["created_at"].to_numpy(), cut, planted, rng)
    changed = _pushed(e["changed_at"].to_numpy(), cut, planted, rng)
    e = e.assign(_changed=changed)[created]
    ch = e["_changed"].to_numpy()

    def value(col: str) -> pd.Categorical:
        """The column's value after the last visible change (categorical codes, no per-row strings)."""
        cats = sorted(set(e[col].cat.categories) | set(e[f"prev_{col}"].cat.categories))
        now = pd.Categorical(e[col], categories=cats).codes
        before = pd.Categorical(e[f"prev_{col}"], categories=cats).codes
        return pd.Categorical.from_codes(np.where(ch, now, before), categories=cats)

    people = world.people
    pid = e["pid"].to_numpy()
    out = pd.DataFrame({
        "身份证号码": people["id_number"].iloc[pid].reset_index(drop=True),
        "姓名": people["name"].iloc[pid].reset_index(drop=True),
        "参保类型": value("参保类型"), "参保状态": value("参保状态"),
        "参保年度": pd.Categorical(e["year"].astype(str).to_numpy()),
        "资助参保类别": value("资助参保类别"),
        "更新时间": np.where(ch, e["changed_at"].to_numpy(), e["created_at"].to_numpy()).astype("datetime64[s]"),
    })
    return out.sort_values(["身份证号码", "参保年度"], kind="stable", ignore_index=True)


def render_settlements(world: World, df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """yb_settlement rows of one ledger chunk that are in the front database (contract columns)."""
    start = settlement_retention_start(world.cfg.as_of)
    planted = (df["planted"].astype(str) != "").to_numpy()
    keep = (df["结算日期"] >= start).to_numpy() & _pushed(df["updated_at"].to_numpy(), cutoff(world), planted, rng)
    # sorted by the key: the front database's B-tree then grows at its end (much faster inserts)
    df = df[keep].sort_values("serial", kind="stable", ignore_index=True)
    ids = world.people["id_number"]
    # categoricals and Arrow strings keep their dtype (deliver converts column-wise)
    return pd.DataFrame({
        "结算流水号": df["serial"], "身份证号码": ids.iloc[df["pid"].to_numpy()].reset_index(drop=True),
        "就诊类型": df["就诊类型"], "定点医疗机构": df["定点医疗机构"],
        "入院日期": df["入院日期"], "结算日期": df["结算日期"],
        **{name: df[col].to_numpy() / 100 for name, col in _MONEY.items()},
        "退费标志": df["refund"], "原结算流水号": df["orig_serial"], "更新时间": df["updated_at"],
    })


def _pieces(table: str, df: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    for start in range(0, len(df), CHUNK_ROWS):
        yield table, df.iloc[start:start + CHUNK_ROWS]


def chunks(world: World) -> Iterator[tuple[str, pd.DataFrame]]:
    """(table, rows): yb_enrollment, then yb_settlement one origin month at a time."""
    yield from _pieces("yb_enrollment", enrollment_rows(world))
    for i, month in enumerate(health.settlement_months(world)):
        yield from _pieces("yb_settlement", render_settlements(world, month, world.rng(f"medical:late-push:{i}")))


def write(world: World) -> dict[str, int]:
    """Write both tables to the configured front database; returns rows per table."""
    return deliver.write_sql_chunks(world.cfg.frontdb_url(SOURCE), TABLES, chunks(world))
