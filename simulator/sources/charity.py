"""Source `charity`: ad-hoc CSV uploads `<机构>_帮扶_<说明>.csv` of four organisations (folder = upload day).

Grain: one file per batch of the social world table `charity_batches`, one line per record of
`charity_records` (no key; re-uploaded batches repeat their records: quirk duplicate_record). Each file
is hand-made: its style (`FileStyle`) is drawn per file - encoding UTF-8 with BOM ~50% / UTF-8 ~20% /
GB18030 ~30%, CRLF ~90% (else LF), required columns in another order ~10%, 序号 first ~30%, 备注 last
~20%, a header name with a stray space ~3%, blank or comma-only lines at the end ~5% (counted in the
marker's rows), a main date format with ~15% of rows in another one, amounts as '500' or '500.00'.
Per row: ID formats at the contract's shares (empty 40%, masked 20%, spaces 2% incl. U+3000,
fullwidth 1%, bad_check 1%, excel_number 1% as text '3.70481E+17', lowercase_x 0.5%, legacy_15
0.5%), phones plain / '138 6321 2345' / '138-6321-2345' (landlines as recorded), amounts with
thousands separators or '元' (~8% of filled amounts), names with spaces ~2%. Never re-delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import deliver
from simulator.ids import IDEOGRAPHIC_SPACE, apply_id_quirks
from simulator.world import World

SOURCE = "charity"
REQUIRED = ("帮扶单位", "受助人姓名", "身份证号", "联系电话", "住址", "帮扶项目", "帮扶金额", "帮扶日期")
ID_RATES = {"empty": 0.40, "masked": 0.20, "spaces": 0.02, "fullwidth": 0.01, "bad_check": 0.01,
            "excel_number": 0.01, "lowercase_x": 0.005, "legacy_15": 0.005}
ENCODINGS = (("utf-8-bom", 0.5), ("utf-8", 0.2), ("gb18030", 0.3))
CRLF = 0.9
COLUMN_ORDER = 0.10
SEQ_FIRST = 0.30
REMARK_LAST = 0.20
HEADER_SPACE = 0.03
BLANK_LINES = 0.05
DATE_FORMATS = ("slash", "iso", "chinese", "compact")
DATE_MIX = 0.15
NAME_SPACES = 0.02
AMOUNT_YUAN, AMOUNT_THOUSANDS = 0.05, 0.03
PHONE_SPACES, PHONE_HYPHENS = 0.15, 0.10   # of filled mobile numbers
REMARKS = ("已发放", "现金发放", "银行转账", "实物", "入户慰问", "")


@dataclass(frozen=True)
class FileStyle:
    """How one hand-made file is written."""

    encoding: str               # 'utf-8-bom', 'utf-8' or 'gb18030'
    crlf: bool
    columns: tuple[str, ...]    # header as written (required names possibly with a stray space, extras)
    date_format: str
    decimals: bool              # amounts '500.00' rather than '500'
    tail_lines: tuple[str, ...]  # blank / comma-only lines after the records


def draw_style(rng: np.random.Generator) -> FileStyle:
    """A file's style at the contract's shares."""
    enc = ENCODINGS[rng.choice(len(ENCODINGS), p=[p for _, p in ENCODINGS])][0]
    cols = list(REQUIRED)
    if rng.random() < COLUMN_ORDER:
        cols = [cols[i] for i in rng.permutation(len(cols))]
        if tuple(cols) == REQUIRED:
            cols = cols[1:] + cols[:1]
    if rng.random() < HEADER_SPACE:
        i = int(rng.integers(len(cols)))
        cols[i] = cols[i] + " " if rng.random() < 0.5 else " " + cols[i]
    if rng.random() < SEQ_FIRST:
        cols = ["序号", *cols]
    if rng.random() < REMARK_LAST:
        cols = [*cols, "备注"]
    tail: tuple[str, ...] = ()
    if rng.random() < BLANK_LINES:
        commas = "," * (len(cols) - 1)
        tail = tuple("" if rng.random() < 0.5 else commas for _ in range(int(rng.integers(1, 4))))
    return FileStyle(encoding=str(enc), crlf=bool(rng.random() < CRLF), columns=tuple(cols),
                     date_format=DATE_FORMATS[int(rng.integers(len(DATE_FORMATS)))],
                     decimals=bool(rng.random() < 0.5), tail_lines=tail)


def _dates(days: pd.Series, fmt: np.ndarray) -> np.ndarray:
    d = pd.to_datetime(days)
    y, m, dd = d.dt.year.astype(str), d.dt.month.astype(str), d.dt.day.astype(str)
    variants = {"slash": (y + "/" + m + "/" + dd), "iso": d.dt.strftime("%Y-%m-%d"),
                "chinese": (y + "年" + m + "月" + dd + "日"), "compact": d.dt.strftime("%Y%m%d")}
    out = np.empty(len(d), dtype=object)
    for name, text in variants.items():
        sel = fmt == name
        out[sel] = text.to_numpy(dtype=object)[sel]
    return out


def _amounts(cents: pd.Series, decimals: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """帮扶金额 texts and which rows carry an amount_formats quirk ('2,000.00' or '500元')."""
    n = len(cents)
    filled = cents.notna().to_numpy()
    yuan = cents.fillna(0).to_numpy(dtype=np.int64) // 100
    plain = np.array([f"{v}.00" if decimals else f"{v}" for v in yuan], dtype=object)
    u = rng.random(n)
    suffix = filled & (u < AMOUNT_YUAN)
    thousands = filled & ~suffix & (u < AMOUNT_YUAN + AMOUNT_THOUSANDS) & (yuan >= 1000)
    out = plain.copy()
    out[suffix] = np.array([f"{v}元" for v in yuan[suffix]], dtype=object)
    out[thousands] = np.array([f"{v:,}.00" if (decimals or rng.random() < 0.7) else f"{v:,}"
                               for v in yuan[thousands]], dtype=object)
    out[~filled] = None
    return out, suffix | thousands


def _phones(phone: pd.Series, rng: np.random.Generator) -> np.ndarray:
    out = phone.to_numpy(dtype=object).copy()
    u = rng.random(len(out))
    for i, p in enumerate(out):
        if p is None or (isinstance(p, float) and np.isnan(p)) or not str(p).startswith("1"):
            continue
        if u[i] < PHONE_SPACES:
            out[i] = f"{p[:3]} {p[3:7]} {p[7:]}"
        elif u[i] < PHONE_SPACES + PHONE_HYPHENS:
            out[i] = f"{p[:3]}-{p[3:7]}-{p[7:]}"
    return out


def render(records: pd.DataFrame, unit: str, style: FileStyle, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """The file's rows (columns as `style.columns`) and the ID quirk categories per row."""
    n = len(records)
    ids, id_quirk = apply_id_quirks(records["id_number"].reset_index(drop=True), None, ID_RATES, rng, u3000=True)
    names = records["name"].to_numpy(dtype=object).copy()
    spaced = rng.random(n) < NAME_SPACES
    for i in np.flatnonzero(spaced):
        pad = IDEOGRAPHIC_SPACE if rng.random() < 0.3 else " "
        names[i] = (pad + names[i]) if rng.random() < 0.5 else (names[i] + pad)
    fmt = np.where(rng.random(n) < DATE_MIX, np.array(DATE_FORMATS)[rng.integers(0, 4, n)], style.date_format)
    amounts, _ = _amounts(records["amount"], style.decimals, rng)
    values = {
        "帮扶单位": np.full(n, unit, dtype=object), "受助人姓名": names, "身份证号": ids.to_numpy(dtype=object),
        "联系电话": _phones(records["phone"], rng), "住址": records["address"].to_numpy(dtype=object),
        "帮扶项目": records["project"].to_numpy(dtype=object), "帮扶金额": amounts,
        "帮扶日期": _dates(records["aid_date"], fmt),
        "序号": np.arange(1, n + 1).astype(str).astype(object),
        "备注": np.array(REMARKS, dtype=object)[rng.integers(0, len(REMARKS), n)],
    }
    values["备注"][rng.random(n) < 0.6] = None
    df = pd.DataFrame({c: values[c.strip()] for c in style.columns}, columns=list(style.columns))
    return df, id_quirk


def file_name(org: str, title: str) -> str:
    return f"{org}_帮扶_{title}.csv"


def write_batch(world: World, batch: pd.Series, records: pd.DataFrame) -> tuple[Path, FileStyle, pd.Series]:
    """Write one upload and its marker; returns (path, style, ID quirk per row)."""
    rng = world.rng(f"charity:file:{int(batch['batch'])}")
    style = draw_style(rng)
    df, id_quirk = render(records, str(batch["unit"]), style, rng)
    day: date = pd.Timestamp(batch["upload_date"]).date()
    path = world.cfg.out / "landing" / SOURCE / f"{day:%Y%m%d}" / file_name(str(batch["org"]), str(batch["title"]))
    rows = deliver.write_csv(path, df, encoding="gb18030" if style.encoding == "gb18030" else "utf-8",
                             bom=style.encoding == "utf-8-bom", quoting="minimal",
                             line_ending="\r\n" if style.crlf else "\n", tail_lines=style.tail_lines)
    deliver.write_marker(path, rows)
    return path, style, id_quirk


def write(world: World) -> list[Path]:
    """Every upload of the window and the 12 months before (the domain's batches); returns the paths."""
    batches = world.tables["charity_batches"]
    recs = world.tables["charity_records"]
    by_batch = recs.groupby("batch", sort=False).indices
    out = []
    for _, b in batches.iterrows():
        idx = by_batch.get(b["batch"])
        if idx is None:
            continue
        out.append(write_batch(world, b, recs.iloc[idx])[0])
    return out
