"""Writing department deliveries exactly as the contracts describe (sources/README.md sections 2-4, 7-9).

Grain: one data file (CSV, XLSX, JSON) with its completion marker, or one SQL front database
holding some tables. Every writer is deterministic: the same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.dialects import postgresql, sqlite

Encoding = Literal["utf-8", "gb18030"]
Quoting = Literal["minimal", "all"]
LineEnding = Literal["\r\n", "\n"]

_BOM = b"\xef\xbb\xbf"
_CSV_CHUNK_ROWS = 262_144  # bounds memory: a chunk is encoded and written before the next is built
# Arrow compute kernels release the GIL: columns of a chunk are quoted in parallel (order is kept).
_POOL = ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1))


# --- CSV (README section 7) ----------------------------------------------------------------------

def _ls(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _as_text_array(series: pd.Series, name: str) -> pa.LargeStringArray:
    """The column as an Arrow large_string array; raises TypeError for any non-string non-null value."""
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        raise TypeError(f"column {name!r} holds a non-string value: {exc}") from exc
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.large_string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise TypeError(f"column {name!r} must hold strings or None, not {arr.type}")
    return arr.cast(pa.large_string())


def _quote_field_texts(arr: pa.Array, quoting: Quoting, quote_empty: bool = False) -> pa.Array:
    """Fields as written: null -> empty; quoted per RFC 4180 with inner quotes doubled."""
    if quoting == "all":
        escaped = pc.replace_substring(pc.fill_null(arr, _ls("")), '"', '""')
        return pc.binary_join_element_wise(_ls('"'), escaped, _ls('"'), _ls(""))
    need = pc.match_substring_regex(arr, '[,"\r\n]')
    if quote_empty:
        need = pc.or_(need, pc.equal(arr, _ls("")))
    need = pc.fill_null(need, False)
    if pc.any(need).as_py():
        hits = pc.filter(arr, need)
        quoted = pc.binary_join_element_wise(
            _ls('"'), pc.replace_substring(hits, '"', '""'), _ls('"'), _ls(""))
        arr = pc.replace_with_mask(arr, need, quoted)
    return pc.fill_null(arr, _ls(""))


def _quote_one(text: str, quoting: Quoting) -> str:
    if quoting == "all" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _record_chunks(columns: Sequence[pa.Array], quoting: Quoting, line_ending: str,
                   quote_empty: bool = False) -> Iterator[bytes]:
    """UTF-8 bytes of the records (each ending with `line_ending`), a chunk of rows at a time."""
    n = len(columns[0]) if columns else 0
    for start in range(0, n, _CSV_CHUNK_ROWS):
        parts = list(_POOL.map(lambda c, s=start: _quote_field_texts(c.slice(s, _CSV_CHUNK_ROWS), quoting,
                                                                     quote_empty), columns))
        parts[-1] = pc.binary_join_element_wise(parts[-1], _ls(line_ending), _ls(""))
        lines = pc.binary_join_element_wise(*parts, _ls(",")) if len(parts) > 1 else parts[0]
        lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
        yield memoryview(lines.buffers()[2])[first:last].tobytes()


def write_csv(path: str | Path, df: pd.DataFrame, *, encoding: Encoding, bom: bool, quoting: Quoting,
              line_ending: LineEnding, tail_lines: Sequence[str] = ()) -> int:
    """Write `df` as an RFC 4180 CSV delivery; returns the marker's `rows`.

    Line 1 is the header (df column names in order); every record, the last included, ends with
    `line_ending`. minimal quoting quotes a field only if it holds , " CR or LF; all quotes every field
    (header and empty fields too). None/NaN -> empty field (`""` under all); '' is written like None.
    Values are written as given: every column must hold str or None (TypeError otherwise).
    `tail_lines` are raw lines appended after the records (charity blank / comma-only lines), each
    followed by the line ending and counted in the returned rows. A BOM is only valid with UTF-8.
    """
    if encoding not in ("utf-8", "gb18030"):
        raise ValueError("encoding must be 'utf-8' or 'gb18030'")
    if bom and encoding != "utf-8":
        raise ValueError("a BOM is only written for UTF-8")
    if quoting not in ("minimal", "all") or line_ending not in ("\r\n", "\n"):
        raise ValueError("quoting must be minimal/all and line_ending CRLF/LF")
    columns = [_as_text_array(df[c], str(c)) for c in df.columns]  # validate before touching the file
    header = ",".join(_quote_one(str(c), quoting) for c in df.columns) + line_ending
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        if bom:
            fh.write(_BOM)
        fh.write(header.encode(encoding))
        for chunk in _record_chunks(columns, quoting, line_ending):
            fh.write(chunk if encoding == "utf-8" else chunk.decode("utf-8").encode("gb18030"))
        for line in tail_lines:
            fh.write((line + line_ending).encode(encoding))
    return len(df) + len(tail_lines)


# --- Markers and file names (README sections 3-4) -------------------------------------------------

def marker_path(data_path: str | Path) -> Path:
    """`<stem>.ok` beside the data file."""
    p = Path(data_path)
    return p.with_name(p.stem + ".ok")


def file_sha256(path: str | Path) -> str:
    """Lowercase hex SHA-256 of the file's bytes exactly as stored."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_marker_text(data_path: Path, rows: int, sha: str) -> Path:
    marker = marker_path(data_path)
    marker.write_bytes(f"rows={rows}\nsha256={sha}\n".encode("ascii"))
    return marker


def write_marker(data_path: str | Path, rows: int) -> Path:
    """Write the completion marker `rows=<N>\\nsha256=<hex>\\n` of the (closed) data file; returns its path."""
    if rows < 0:
        raise ValueError("rows must be >= 0")
    return _write_marker_text(Path(data_path), rows, file_sha256(data_path))


def write_broken_marker(data_path: str | Path, rows: int,
                        kind: Literal["rows", "sha256", "truncated"] = "rows") -> Path:
    """Marker that does not match the data file (broken-delivery quirk, README section 4).

    rows: `rows` is one more than the true count (sha right). sha256: the sha of the file without its
    last byte (rows right). truncated: a realistic cut transfer - the marker describes the full file,
    then the data file is cut to about two thirds of its bytes (both fields mismatch).
    """
    data_path = Path(data_path)
    if kind == "rows":
        return _write_marker_text(data_path, rows + 1, file_sha256(data_path))
    content = data_path.read_bytes()
    if kind == "sha256":
        return _write_marker_text(data_path, rows, hashlib.sha256(content[:-1]).hexdigest())
    if kind == "truncated":
        marker = _write_marker_text(data_path, rows, hashlib.sha256(content).hexdigest())
        data_path.write_bytes(content[: len(content) * 2 // 3])
        return marker
    raise ValueError(f"unknown broken-marker kind {kind!r}")


def redelivery_name(name: str, n: int) -> str:
    """File name of the n-th re-delivery: 'HJRK_20250301.csv' -> 'HJRK_20250301_R1.csv'."""
    if n < 1:
        raise ValueError("re-deliveries are numbered from 1")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        raise ValueError(f"file name without extension: {name!r}")
    if re.search(r"_R\d+$", stem):
        raise ValueError(f"already a re-delivery name: {name!r}")
    return f"{stem}_R{n}.{ext}"


def write_excel_lock_file(data_path: str | Path, user: str = "Administrator") -> Path:
    """Excel owner file `~$<name>` beside a workbook (a non-delivery file the pipeline must ignore)."""
    if not user.isascii() or not 0 < len(user) <= 53:
        raise ValueError("user must be 1-53 ASCII characters")
    p = Path(data_path)
    lock = p.with_name("~$" + p.name)
    # Owner-file layout: name length, name padded to 53 bytes, length again, UTF-16 name padded.
    size = bytes([len(user)])
    lock.write_bytes(size + user.encode("ascii").ljust(53, b" ") + size + b"\x00"
                     + user.encode("utf-16-le").ljust(108, b"\x00"))
    return lock


# --- JSON (README section 7) ----------------------------------------------------------------------

def write_json(path: str | Path, obj: object, *, indent: int | None = 2) -> None:
    """UTF-8 without BOM, RFC 8259, non-ASCII unescaped, keys in the order given; ends with LF."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((text + "\n").encode("utf-8"))


# --- XLSX (README section 7) ----------------------------------------------------------------------

#: Creation time written into docProps/core.xml, fixed so workbooks are byte-identical across runs.
XLSX_CREATED = dt.datetime(2025, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DateCell:
    """A date cell with its own number format (e.g. 'yyyy/m/d' beside the sheet's default)."""

    value: dt.date
    num_format: str = "yyyy-mm-dd"


@dataclass(frozen=True)
class SheetSpec:
    """One worksheet. Cell kinds follow the Python values in `rows`:
    str -> text cell; int/float (not bool) -> number cell; datetime.date/datetime/pd.Timestamp/
    np.datetime64 -> date cell (Excel serial, `date_format`); DateCell -> date cell with its format;
    None/NaN/pd.NA -> no cell.

    title_rows: texts of rows above the header, each merged across the table width (A1:L1 ...).
    footer: text in column A of the row after the data ('合计：<N>人'); other cells empty.
    trailing_formatted_rows: rows after the data/footer that hold formatted blank cells (no value).
    """

    name: str
    header: Sequence[str] = ()
    rows: Sequence[Sequence[object]] | pd.DataFrame = ()
    title_rows: Sequence[str] = ()
    footer: str | None = None
    trailing_formatted_rows: int = 0
    date_format: str = "yyyy-mm-dd"
    column_widths: Sequence[float] = field(default_factory=tuple)


def _iter_rows(rows: Sequence[Sequence[object]] | pd.DataFrame) -> Iterable[Sequence[object]]:
    if isinstance(rows, pd.DataFrame):
        return rows.astype(object).itertuples(index=False, name=None)
    return rows


def _is_missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def write_xlsx(path: str | Path, sheets: Sequence[SheetSpec]) -> list[int]:
    """Write a workbook (1900 date system, values only); returns the data-row count of each sheet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"created": XLSX_CREATED, "author": "", "comments": ""})
    formats: dict[str, object] = {}

    def fmt(num_format: str) -> object:
        if num_format not in formats:
            formats[num_format] = wb.add_format({"num_format": num_format})
        return formats[num_format]

    title_fmt = wb.add_format({"bold": True, "align": "center", "valign": "vcenter"})
    blank_fmt = wb.add_format({"border": 1})
    counts: list[int] = []
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        data = list(_iter_rows(spec.rows))
        width = max([len(spec.header), *(len(r) for r in data), 1])
        for c, w in enumerate(spec.column_widths):
            ws.set_column(c, c, w)
        r = 0
        for title in spec.title_rows:
            if width > 1:
                ws.merge_range(r, 0, r, width - 1, title, title_fmt)
            else:
                ws.write_string(r, 0, title, title_fmt)
            r += 1
        if spec.header:
            for c, name in enumerate(spec.header):
                ws.write_string(r, c, name)
            r += 1
        write_string = ws.write_string
        for row in data:
            for c, v in enumerate(row):
                if type(v) is str:  # most cells: skip the type dispatch (same call as _write_cell's)
                    write_string(r, c, v)
                else:
                    _write_cell(ws, r, c, v, spec.date_format, fmt)
            r += 1
        if spec.footer is not None:
            ws.write_string(r, 0, spec.footer)
            r += 1
        for _ in range(spec.trailing_formatted_rows):
            for c in range(width):
                ws.write_blank(r, c, None, blank_fmt)
            r += 1
        counts.append(len(data))
    wb.close()
    return counts


def _write_cell(ws: object, r: int, c: int, v: object, date_format: str, fmt: object) -> None:
    if _is_missing(v):
        return
    if isinstance(v, str):
        ws.write_string(r, c, v)
    elif isinstance(v, DateCell):
        ws.write_datetime(r, c, _as_datetime(v.value), fmt(v.num_format))
    elif isinstance(v, (bool, np.bool_)):
        raise TypeError(f"booleans are not contract cells (row {r + 1}, column {c + 1})")
    elif isinstance(v, (int, float, np.integer, np.floating, decimal.Decimal)):
        ws.write_number(r, c, float(v))
    elif isinstance(v, (dt.date, np.datetime64)):
        ws.write_datetime(r, c, _as_datetime(v), fmt(date_format))
    else:
        raise TypeError(f"unsupported cell value {type(v).__name__} (row {r + 1}, column {c + 1})")


def _as_datetime(v: object) -> dt.datetime:
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    raise TypeError(f"not a date: {v!r}")


# --- SQL front databases (README section 9) -------------------------------------------------------

@dataclass(frozen=True)
class ColumnDDL:
    """One column: exact (Chinese) name, declared SQL type as in the contract, nullability."""

    name: str
    sql_type: str  # VARCHAR(n) | CHAR(n) | INTEGER | NUMERIC(p,s) | DATE | TIMESTAMP(0)
    nullable: bool = True


@dataclass(frozen=True)
class TableDDL:
    """A front-database table: columns in order and the PRIMARY KEY columns (the contract's key)."""

    columns: tuple[ColumnDDL, ...]
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names) or not self.key or not set(self.key) <= set(names):
            raise ValueError("column names must be unique and the key a non-empty subset of them")


_TEXT_FORMATS = {"DATE": "%Y-%m-%d", "TIMESTAMP": "%Y-%m-%d %H:%M:%S"}
_TYPE_RE = re.compile(r"^(VARCHAR|CHAR|NUMERIC|INTEGER|DATE|TIMESTAMP)(?:\((\d+)(?:,\s*(\d+))?\))?$")


class _SqliteTimestamp(sqlite.DATETIME):
    """SQLite DATETIME bound as 'YYYY-MM-DD HH:MM:SS' (no microseconds), declared TIMESTAMP."""

    __visit_name__ = "TIMESTAMP"

    def __init__(self) -> None:
        super().__init__(storage_format="%(year)04d-%(month)02d-%(day)02d "
                                        "%(hour)02d:%(minute)02d:%(second)02d")


def parse_sql_type(sql_type: str) -> tuple[str, int | None, int | None]:
    """('NUMERIC', 12, 2) from 'NUMERIC(12,2)'; raises ValueError for types outside README section 9."""
    m = _TYPE_RE.match(sql_type.strip().upper())
    if not m:
        raise ValueError(f"unsupported SQL type {sql_type!r}")
    kind, a, b = m.group(1), m.group(2), m.group(3)
    if kind in ("VARCHAR", "CHAR") and a is None or kind == "NUMERIC" and (a is None or b is None):
        raise ValueError(f"{sql_type!r} needs its length / precision and scale")
    return kind, int(a) if a else None, int(b) if b else None


def sa_type(sql_type: str) -> sa.types.TypeEngine:
    """SQLAlchemy type for a declared contract type (TIMESTAMP(0) whole seconds in both engines)."""
    kind, a, b = parse_sql_type(sql_type)
    if kind == "VARCHAR":
        return sa.String(a)
    if kind == "CHAR":
        return sa.CHAR(a)
    if kind == "INTEGER":
        return sa.Integer()
    if kind == "NUMERIC":
        return sa.Numeric(a, b)
    if kind == "DATE":
        return sa.Date()
    return sa.TIMESTAMP().with_variant(postgresql.TIMESTAMP(precision=0), "postgresql") \
        .with_variant(_SqliteTimestamp(), "sqlite")


def sa_table(name: str, ddl: TableDDL, metadata: sa.MetaData | None = None) -> sa.Table:
    """SQLAlchemy Core table of a TableDDL: quoted names, PRIMARY KEY on the key, no other constraints."""
    md = metadata if metadata is not None else sa.MetaData()
    cols = [sa.Column(c.name, sa_type(c.sql_type), nullable=c.nullable and c.name not in ddl.key,
                      primary_key=c.name in ddl.key, autoincrement=False) for c in ddl.columns]
    return sa.Table(name, md, *cols)


def _db_values(series: pd.Series, col: ColumnDDL, table: str) -> list[object]:
    """Column values as DB-native Python objects (vectorised): str, int, float or None.

    Text types stay str; INTEGER -> int; NUMERIC -> float rounded to the scale (from numbers) or the
    decimal text as given (from str; at most `scale` decimals); DATE / TIMESTAMP -> the texts
    'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS'.
    """
    kind, length, scale = parse_sql_type(col.sql_type)
    where = f"{table}.{col.name}"
    if kind in ("VARCHAR", "CHAR"):
        if isinstance(series.dtype, pd.CategoricalDtype):
            return _category_values(series, length, where)
        arr = _as_text_array(series, where)
        if length is not None and len(arr) and (pc.max(pc.utf8_length(arr)).as_py() or 0) > length:
            raise ValueError(f"{where}: value longer than {length}")
        return arr.to_numpy(zero_copy_only=False).tolist()
    if kind == "INTEGER":
        try:
            ints = pd.array(series, dtype="Int64")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{where}: INTEGER column needs integers") from exc
        return ints.to_numpy(dtype=object, na_value=None).tolist()
    if kind == "NUMERIC":
        return _numeric_values(series, length or 0, scale or 0, where)
    return _temporal_values(series, kind, where)


def _category_values(series: pd.Series, length: int | None, where: str) -> list[object]:
    """A categorical text column: each category's str object is shared by its rows (built once)."""
    cats = _as_text_array(pd.Series(series.cat.categories), where)
    if length is not None and len(cats) and (pc.max(pc.utf8_length(cats)).as_py() or 0) > length:
        raise ValueError(f"{where}: value longer than {length}")
    lookup = np.array([*cats.to_pylist(), None], dtype=object)
    return lookup[series.cat.codes.to_numpy()].tolist()  # code -1 (missing) picks the trailing None


def _numeric_values(series: pd.Series, precision: int, scale: int, where: str) -> list[object]:
    limit = 10.0 ** (precision - scale)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        x = np.round(series.to_numpy(dtype=np.float64, na_value=np.nan), scale)
        missing = np.isnan(x)
        if (np.abs(x[~missing]) >= limit).any():
            raise ValueError(f"{where}: value outside NUMERIC({precision},{scale})")
        if not missing.any():
            return x.tolist()
        values = x.astype(object)
        values[missing] = None
        return values.tolist()
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        pattern = rf"^-?\d{{1,{precision - scale}}}(\.\d{{1,{scale}}})?$" if scale \
            else rf"^-?\d{{1,{precision}}}$"
        ok = pc.match_substring_regex(arr, pattern)
        if not pc.all(pc.fill_null(ok, True)).as_py():
            raise ValueError(f"{where}: text is not a NUMERIC({precision},{scale}) decimal")
        return arr.to_numpy(zero_copy_only=False).tolist()
    if arr is not None and pa.types.is_null(arr.type):
        return [None] * len(arr)
    values = series.astype(object).where(series.notna(), None).tolist()
    return [None if v is None else _decimal_text(v, scale, where) for v in values]


def _temporal_values(series: pd.Series, kind: str, where: str) -> list[object]:
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        arr = None
    if arr is not None and pa.types.is_timestamp(arr.type) and arr.type.tz is None:
        if kind == "DATE":
            arr = pc.floor_temporal(arr, unit="day").cast(pa.date32(), safe=False)
        else:
            arr = pc.floor_temporal(arr, unit="second").cast(pa.timestamp("s"))
    elif arr is not None and pa.types.is_date32(arr.type) and kind == "TIMESTAMP":
        arr = arr.cast(pa.timestamp("s"))
    if arr is not None and (pa.types.is_date32(arr.type) or pa.types.is_timestamp(arr.type)):
        return arr.cast(pa.string()).to_numpy(zero_copy_only=False).tolist()
    if arr is not None and pa.types.is_null(arr.type):
        return [None] * len(arr)
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        pattern = _DATE_TEXT if kind == "DATE" else _TS_TEXT
        ok = pc.match_substring_regex(arr, pattern.pattern)
        if not pc.all(pc.fill_null(ok, True)).as_py():
            raise ValueError(f"{where}: text is not {_TEXT_FORMATS[kind]}")
        return arr.to_numpy(zero_copy_only=False).tolist()
    values = series.astype(object).where(series.notna(), None).tolist()
    return [None if v is None else _temporal_text(v, kind, where) for v in values]


_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def _temporal_text(v: object, kind: str, where: str) -> str:
    if isinstance(v, str):
        if not (_DATE_TEXT if kind == "DATE" else _TS_TEXT).match(v):
            raise ValueError(f"{where}: {v!r} is not {_TEXT_FORMATS[kind]}")
        return v
    if kind == "DATE" and isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, (dt.date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).floor("s").strftime(_TEXT_FORMATS[kind])
    raise TypeError(f"{where}: {type(v).__name__} is not a {kind}")


def _decimal_text(v: object, scale: int, where: str) -> str:
    if isinstance(v, str):
        v = decimal.Decimal(v)
    elif isinstance(v, (float, np.floating)):
        v = decimal.Decimal(repr(float(v)))
    elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        v = decimal.Decimal(int(v))
    elif not isinstance(v, decimal.Decimal):
        raise TypeError(f"{where}: {type(v).__name__} is not a decimal")
    return str(v.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP))


def _columns(ddl: TableDDL, df: pd.DataFrame, table: str) -> list[list[object]]:
    """DB-native values column by column (rows are zipped lazily while loading, saving memory)."""
    names = [c.name for c in ddl.columns]
    if list(df.columns) != names:
        raise ValueError(f"{table}: DataFrame columns {list(df.columns)} differ from the DDL {names}")
    cols = [_db_values(df[c.name], c, table) for c in ddl.columns]
    for c, values in zip(ddl.columns, cols, strict=True):
        if (not c.nullable or c.name in ddl.key) and None in values:
            raise ValueError(f"{table}.{c.name}: NULL in a NOT NULL column")
    return cols


def _engine(url: str) -> sa.Engine:
    """Engine for a front database; SQLite files get their parent folders and real transactions."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() != "sqlite":
        return sa.create_engine(u)
    if u.database not in (None, "", ":memory:"):
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(u)

    # pysqlite would run DROP/CREATE outside the transaction; take over BEGIN so a reload is atomic
    # (SQLAlchemy's documented recipe for SQLite transactions).
    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None
        # A generated front-DB file needs no crash durability: keep the rollback journal in memory and
        # skip fsyncs, which makes the bulk loads of the big tables several times faster. Rows arrive
        # in key order (the B-trees grow at their right edge), so a 64 MiB page cache is plenty; it is
        # resident memory while two front databases load at once.
        for pragma in ("journal_mode = MEMORY", "synchronous = OFF", "cache_size = -65536",
                       "temp_store = MEMORY"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _upsert_sql(name: str, ddl: TableDDL, source: str) -> str:
    cols = ", ".join(_q(c.name) for c in ddl.columns)
    others = [c.name for c in ddl.columns if c.name not in ddl.key]
    conflict = ", ".join(_q(k) for k in ddl.key)
    action = ("DO UPDATE SET " + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in others)) if others \
        else "DO NOTHING"
    return f"INSERT INTO {_q(name)} ({cols}) {source} ON CONFLICT ({conflict}) {action}"


def _sqlite_load(conn: sa.Connection, name: str, ddl: TableDDL, cols: list[list[object]],
                 upsert: bool) -> None:
    marks = ", ".join("?" for _ in ddl.columns)
    names = ", ".join(_q(c.name) for c in ddl.columns)
    sql = _upsert_sql(name, ddl, f"VALUES ({marks})") if upsert \
        else f"INSERT INTO {_q(name)} ({names}) VALUES ({marks})"
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.executemany(sql, zip(*cols, strict=True))
    finally:
        cur.close()


def _pg_load(conn: sa.Connection, name: str, ddl: TableDDL, cols: list[list[object]],
             upsert: bool) -> None:
    names = ", ".join(_q(c.name) for c in ddl.columns)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        target = name
        if upsert:
            target = f"_load_{name}"
            cur.execute(f"CREATE TEMP TABLE {_q(target)} (LIKE {_q(name)} INCLUDING DEFAULTS) ON COMMIT DROP")
        with cur.copy(f"COPY {_q(target)} ({names}) FROM STDIN") as copy:
            for row in zip(*cols, strict=True):
                copy.write_row(row)
        if upsert:
            cur.execute(_upsert_sql(name, ddl, f"SELECT {names} FROM {_q(target)}"))


def _engine_and_loader(url: str) -> tuple[sa.Engine, Callable[..., None]]:
    """Engine of the front database and the bulk loader of its backend."""
    engine = _engine(url)
    backend = engine.url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        engine.dispose()
        raise ValueError(f"unsupported database backend {backend!r}")
    return engine, _sqlite_load if backend == "sqlite" else _pg_load


def _create_tables(conn: sa.Connection, ddls: Mapping[str, TableDDL], replace: bool) -> None:
    """Create the named tables (dropping them first when replacing); other tables stay untouched."""
    md = sa.MetaData()
    for name, ddl in ddls.items():
        table = sa_table(name, ddl, md)
        if replace:
            table.drop(conn, checkfirst=True)
        table.create(conn, checkfirst=True)


def write_sql_tables(url: str, tables: Mapping[str, tuple[TableDDL, pd.DataFrame]],
                     replace: bool) -> dict[str, int]:
    """Create/fill front-database tables (SQLite file or PostgreSQL schema public) in one transaction.

    replace=True: drop and re-create each named table (others in the database are untouched), then
    insert all rows. replace=False: create missing tables, then upsert by the key (a nightly push:
    changed rows replace their old version). DataFrame columns must equal the DDL columns in order;
    values: str for VARCHAR/CHAR; int for INTEGER; float/int (rounded to the scale), decimal text with
    at most `s` decimals, or Decimal for NUMERIC (SQLite's NUMERIC affinity then stores 1200.00 as the
    integer 1200 and 1234.50 as the real 1234.5); date / datetime64 /
    'YYYY-MM-DD' for DATE; datetime / datetime64 (floored to whole seconds) / 'YYYY-MM-DD HH:MM:SS' for
    TIMESTAMP(0) - SQLite keeps dates and timestamps as exactly those texts. Returns rows per table.
    """
    prepared = {name: (ddl, _columns(ddl, df, name)) for name, (ddl, df) in tables.items()}
    engine, load = _engine_and_loader(url)
    try:
        with engine.begin() as conn:
            _create_tables(conn, {name: ddl for name, (ddl, _) in prepared.items()}, replace)
            for name, (ddl, cols) in prepared.items():
                load(conn, name, ddl, cols, upsert=not replace)
    finally:
        engine.dispose()
    return {name: len(df) for name, (_, df) in tables.items()}


def write_sql_chunks(url: str, ddls: Mapping[str, TableDDL],
                     chunks: Iterable[tuple[str, pd.DataFrame]]) -> dict[str, int]:
    """Re-create the tables of `ddls`, then insert `(table, rows)` chunks one at a time, in one transaction.

    For big tables built month by month (social_insurance): only one chunk is in memory at a time.
    Plain inserts (no upsert): the chunks together must not repeat a key. Values as in
    `write_sql_tables`. Returns rows per table.
    """
    counts = dict.fromkeys(ddls, 0)
    engine, load = _engine_and_loader(url)
    try:
        with engine.begin() as conn:
            _create_tables(conn, ddls, replace=True)
            for name, df in chunks:
                load(conn, name, ddls[name], _columns(ddls[name], df, name), upsert=False)
                counts[name] += len(df)
    finally:
        engine.dispose()
    return counts
