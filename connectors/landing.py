"""Delivery discovery under the landing root (sources/README.md sections 2-5). Read-only on landing/.

Grain: `DeliveryFile` = one data file and its marker; `Delivery` = one version (original or `_R<n>`) of
one logical delivery (e.g. 'HJRK_20260527', 'GS_202604', 'SCZT_20260527' for the SCZT + SCZT_RY pair,
'HDR_HD370481202603050001', or a charity file's stem).

Rules applied by `scan`, with the choices made where the contract leaves room:

1. Folders are `<source>/<YYYYMMDD>`; other folder names are ignored. A folder's deliveries are seen only
   when their business date (registry: folder date - 1 for night sources, folder date for daytime ones)
   is <= `up_to` - so a backfill sees exactly what the original run saw, plus late arrivals.
2. A name matching no `name_regex` of the source and not the marker of such a file (Excel locks
   '~$CJR_202502.xlsx', temp files, orphan markers) is ignored (listed by `scan_landing`, never read).
3. Marker `<stem>.ok`: exactly 'rows=<N>\\n' 'sha256=<64 lowercase hex>\\n'. Missing marker -> the file is
   still being written ('no_marker': not ready, not an error). An empty marker is treated the same way
   (the portal may not have flushed it yet). Anything else -> 'marker_malformed'. The sha256 of the data
   bytes must equal the marker's ('sha_mismatch' otherwise). `rows` is exposed, not verified: counting
   records is the parser's job; it reports a mismatch with `check_rows`, which marks the delivery broken.
4. Delivery status: 'broken' if any file is broken (rejected as a whole), else 'incomplete' if any file
   lacks its marker or a required part is missing (business: SCZT and SCZT_RY; education: XJ and ZZ;
   property: BDC, with BDC_FULL optional), else 'complete'.
5. Re-deliveries: versions of a key are grouped across folders (daily/weekly `_R<n>` land in the same
   folder, monthly and bank ones in a later folder; grouping by key covers both). Version n is composed
   per part of the highest file version <= n, so a pair where only one file was re-sent still forms a
   whole delivery. The highest *complete* version is the one in use; lower versions get
   `superseded_by`. A higher version that is incomplete (still arriving) or broken is reported but does
   not displace the version in use: the contract rejects a broken delivery as a whole and promises an
   `_R<n+1>`, and until it arrives the earlier good version is the best truth (a broken original with
   no complete re-delivery leaves the key with nothing usable). A part not (yet) re-sent is taken from
   the earlier version. `Delivery.disposition` names the outcome: in_use, superseded, rejected (broken)
   or waiting (incomplete). `scan` returns every version; `usable()` keeps the ones to read, and
   `check_rows` re-applies this rule after the parser has counted records.
6. Charity files are never re-delivered and their names may repeat across folders (the same campaign
   next year), so each (folder, file) is its own delivery; `key` is the stem.
7. sha256 results are cached per source under `settings.state_dir/landing_sha256/` keyed by path, size
   and mtime (departments never modify a file after its marker), so nightly rescans of 90 days of
   folders stay cheap. Nothing is ever written under landing/.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from connectors.registry import SourceSpec, is_stale, spec
from safetynet.privacy import mask_text
from safetynet.settings import Settings

FileStatus = Literal["ok", "no_marker", "marker_malformed", "rows_mismatch", "sha_mismatch", "unreadable"]
DeliveryStatus = Literal["complete", "incomplete", "broken"]

BROKEN_FILE_STATUSES: frozenset[str] = frozenset({"marker_malformed", "rows_mismatch", "sha_mismatch",
                                                  "unreadable"})
_RE_FOLDER = re.compile(r"\d{8}", re.ASCII)
_RE_MARKER = re.compile(rb"rows=(0|[1-9]\d*)\nsha256=([0-9a-f]{64})\n")
_MARKER_MAX_BYTES = 4096

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryFile:
    """One data file in a landing folder, with what its marker says."""

    path: Path
    name: str
    stem: str
    part: str
    folder_date: date
    redelivery: int
    marker_path: Path | None
    marker_rows: int | None
    marker_sha256: str | None
    size: int
    status: FileStatus
    problem: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One version of one logical delivery (see module docstring)."""

    source: str
    folder_date: date
    business_date: date
    key: str
    redelivery: int
    files: tuple[DeliveryFile, ...]
    status: DeliveryStatus
    problems: tuple[str, ...] = ()
    superseded_by: int | None = None

    @property
    def usable(self) -> bool:
        """Complete and not superseded: the version to read."""
        return self.status == "complete" and self.superseded_by is None

    @property
    def disposition(self) -> Literal["in_use", "superseded", "rejected", "waiting"]:
        """What the pipeline does with this version: read it, skip it for a later version, reject it
        (broken), or wait for it (incomplete)."""
        if self.superseded_by is not None:
            return "superseded"
        return {"complete": "in_use", "broken": "rejected", "incomplete": "waiting"}[self.status]  # type: ignore[return-value]

    def file(self, part: str) -> DeliveryFile | None:
        """The file of a part (e.g. 'SCZT_RY'), or None when the delivery has none."""
        return next((f for f in self.files if f.part == part), None)


@dataclass(frozen=True)
class IgnoredName:
    """A landing entry that is not part of any delivery (never read)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class LandingScan:
    """Everything `scan_landing` found for one source up to a business date."""

    source: str
    up_to: date
    deliveries: tuple[Delivery, ...]
    ignored: tuple[IgnoredName, ...] = field(default=())

    @property
    def usable(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.usable)


# --- sha256 cache (outside landing/) ---------------------------------------------------------------------

class _ShaCache:
    """sha256 of landing files keyed by (path, size, mtime_ns); persisted as JSON under the state dir."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        self._seen: set[str] = set()
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self._entries = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._entries = {}

    def sha256(self, path: Path, size: int, mtime_ns: int) -> str:
        key = str(path)
        self._seen.add(key)
        hit = self._entries.get(key)
        if isinstance(hit, list) and len(hit) == 3 and hit[0] == size and hit[1] == mtime_ns:
            return str(hit[2])
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        value = digest.hexdigest()
        self._entries[key] = [size, mtime_ns, value]
        self._dirty = True
        return value

    def save(self) -> None:
        if self._path is None:
            return
        # Forget files the platform has purged (90 days), so the cache stays as small as the landing root.
        gone = [k for k in self._entries if k not in self._seen and not Path(k).exists()]
        for k in gone:
            del self._entries[k]
        if not (self._dirty or gone):
            return
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            _write_atomic(self._path, json.dumps(self._entries, ensure_ascii=False, sort_keys=True))
        self._dirty = False


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading one folder ----------------------------------------------------------------------------------

def _rel(settings: Settings, path: Path) -> str:
    """Path as shown to engineers: relative to the exchange root (landing/<source>/<folder>/<name>)."""
    try:
        return path.relative_to(settings.exchange).as_posix()
    except ValueError:
        return str(path)


def _folder_date(name: str) -> date | None:
    if not _RE_FOLDER.fullmatch(name):
        return None
    try:
        return datetime.strptime(name, "%Y%m%d").date()
    except ValueError:
        return None


def _read_file(settings: Settings, src: SourceSpec, path: Path, folder_date: date, names: set[str],
               cache: _ShaCache, verify_sha: bool) -> DeliveryFile:
    parsed = src.parse(path.name)
    assert parsed is not None
    shown = _rel(settings, path)
    marker_name = f"{parsed.stem}.ok"
    marker = path.with_name(marker_name)
    base = dict(path=path, name=path.name, stem=parsed.stem, part=parsed.part, folder_date=folder_date,
                redelivery=parsed.redelivery)
    try:
        st = path.stat()
    except OSError as exc:
        return DeliveryFile(**base, marker_path=None, marker_rows=None, marker_sha256=None, size=0,
                            status="unreadable", problem=f"{shown}: cannot stat data file ({type(exc).__name__})")
    if marker_name not in names:
        return DeliveryFile(**base, marker_path=None, marker_rows=None, marker_sha256=None, size=st.st_size,
                            status="no_marker", problem=f"{shown}: no marker {marker_name} yet (still being written)")
    try:
        with marker.open("rb") as fh:
            content = fh.read(_MARKER_MAX_BYTES + 1)
    except OSError as exc:
        return DeliveryFile(**base, marker_path=marker, marker_rows=None, marker_sha256=None, size=st.st_size,
                            status="unreadable", problem=f"{shown}: cannot read marker {marker_name} "
                                                         f"({type(exc).__name__})")
    if not content:
        return DeliveryFile(**base, marker_path=marker, marker_rows=None, marker_sha256=None, size=st.st_size,
                            status="no_marker", problem=f"{shown}: marker {marker_name} is still empty")
    m = _RE_MARKER.fullmatch(content)
    if m is None:  # never echo the marker's content: it is not ours to print
        return DeliveryFile(**base, marker_path=marker, marker_rows=None, marker_sha256=None, size=st.st_size,
                            status="marker_malformed",
                            problem=f"{shown}: marker {marker_name} is malformed (expected exactly two LF-terminated "
                                    f"lines rows=<N> and sha256=<64 lowercase hex>, {len(content)} bytes found)")
    rows, sha = int(m.group(1)), m.group(2).decode("ascii")
    ok = DeliveryFile(**base, marker_path=marker, marker_rows=rows, marker_sha256=sha, size=st.st_size,
                      status="ok")
    if not verify_sha:
        return ok
    try:
        actual = cache.sha256(path, st.st_size, st.st_mtime_ns)
    except OSError as exc:
        return replace(ok, status="unreadable",
                       problem=f"{shown}: cannot read data file ({type(exc).__name__})")
    if actual != sha:
        return replace(ok, status="sha_mismatch",
                       problem=f"{shown}: sha256 of the data file ({actual[:12]}...) differs from its marker "
                               f"({sha[:12]}...): truncated or altered transfer, {st.st_size} bytes")
    return ok


def _scan_folder(settings: Settings, src: SourceSpec, folder: Path, folder_date: date, cache: _ShaCache,
                 verify_sha: bool) -> tuple[list[DeliveryFile], list[IgnoredName]]:
    entries = sorted(folder.iterdir(), key=lambda p: p.name)
    names = {p.name for p in entries if p.is_file()}
    data_stems = {p.name.rsplit(".", 1)[0] for p in entries if p.is_file() and src.parse(p.name)}
    files: list[DeliveryFile] = []
    ignored: list[IgnoredName] = []
    for p in entries:
        if not p.is_file():
            ignored.append(IgnoredName(p, "not a regular file"))
        elif src.parse(p.name) is not None:
            files.append(_read_file(settings, src, p, folder_date, names, cache, verify_sha))
        elif p.name.endswith(".ok") and p.name[:-3] in data_stems:
            continue  # the marker of a data file
        elif p.name.endswith(".ok"):
            ignored.append(IgnoredName(p, "marker without a data file"))
        else:
            ignored.append(IgnoredName(p, "name matches no file of the contract"))
    return files, ignored


# --- assembling deliveries -------------------------------------------------------------------------------

def _status_of(files: Sequence[DeliveryFile], missing_parts: Sequence[str]) -> DeliveryStatus:
    if any(f.status in BROKEN_FILE_STATUSES for f in files):
        return "broken"
    if missing_parts or any(f.status == "no_marker" for f in files):
        return "incomplete"
    return "complete"


def _suffix(n: int) -> str:
    return f"_R{n}" if n else "original"


def _versions(src: SourceSpec, key: str, files: list[DeliveryFile]) -> list[Delivery]:
    """All versions of one logical delivery (supersession not yet applied)."""
    by_part: dict[str, dict[int, DeliveryFile]] = defaultdict(dict)
    notes: list[str] = []
    for f in sorted(files, key=lambda f: (f.folder_date, f.name)):
        earlier = by_part[f.part].get(f.redelivery)
        if earlier is not None:  # same name in two folders: the later folder wins
            notes.append(f"{f.name} delivered in folders {earlier.folder_date:%Y%m%d} and {f.folder_date:%Y%m%d}; "
                         f"using the later one")
        by_part[f.part][f.redelivery] = f
    drafts: list[Delivery] = []
    for n in sorted({f.redelivery for f in files}):
        chosen: list[DeliveryFile] = []
        missing: list[str] = []
        for part in src.parts:
            versions = [v for v in by_part.get(part.part, {}) if v <= n]
            if versions:
                chosen.append(by_part[part.part][max(versions)])
            elif part.required:
                missing.append(part.part)
        own = [f for f in chosen if f.redelivery == n]
        folder_date = max(f.folder_date for f in own)
        problems = [f.problem for f in chosen if f.problem]
        problems += [f"{key} ({_suffix(n)}): part {p} not delivered yet" for p in missing]
        problems += _placement_notes(src, key, n, own)
        drafts.append(Delivery(src.source, folder_date, src.business_date(folder_date), key, n, tuple(chosen),
                               _status_of(chosen, missing), tuple(notes + problems)))
    return drafts


def _group_id(d: Delivery) -> tuple[Any, ...]:
    return (d.source, d.key, d.folder_date) if spec(d.source).keyed_by_file else (d.source, d.key)


def _supersede(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """Per logical delivery, the highest complete version is in use; lower versions are superseded by it.
    Higher incomplete or broken versions do not displace it (module docstring, rule 5)."""
    groups: dict[tuple[Any, ...], list[Delivery]] = defaultdict(list)
    for d in deliveries:
        groups[_group_id(d)].append(d)
    result: list[Delivery] = []
    for members in groups.values():
        complete = [d.redelivery for d in members if d.status == "complete"]
        in_use = max(complete) if complete else None
        for d in members:
            by = in_use if in_use is not None and d.redelivery < in_use else None
            result.append(d if d.superseded_by == by else replace(d, superseded_by=by))
    result.sort(key=lambda d: (d.business_date, d.key, d.redelivery))
    return result


def _placement_notes(src: SourceSpec, key: str, n: int, own: Iterable[DeliveryFile]) -> list[str]:
    """Contract deviations worth a note but not a rejection (file date vs folder date)."""
    notes = []
    if src.cadence in ("daily", "weekly"):
        for f in own:
            token = src.parse(f.name).token  # type: ignore[union-attr]
            if token != f"{f.folder_date:%Y%m%d}":
                notes.append(f"{key} ({_suffix(n)}): {f.name} lies in folder {f.folder_date:%Y%m%d}, "
                             f"not in the folder of its file date")
    return notes


# --- public API ------------------------------------------------------------------------------------------

def _cache_for(settings: Settings, source: str, use_cache: bool) -> _ShaCache:
    return _ShaCache(settings.state_dir / "landing_sha256" / f"{source}.json" if use_cache else None)


def scan_landing(settings: Settings, source: str, up_to: date, *, verify_sha: bool = True,
                 use_cache: bool = True) -> LandingScan:
    """All deliveries (every version) of a file source with business date <= up_to, plus ignored names.

    SQL sources have no landing files: the result is empty. Never writes under landing/.
    """
    src = spec(source)
    root = settings.landing / source
    if not src.has_landing_files or not root.is_dir():
        return LandingScan(source, up_to, ())
    cache = _cache_for(settings, source, use_cache)
    files: list[DeliveryFile] = []
    ignored: list[IgnoredName] = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        folder_date = _folder_date(folder.name) if folder.is_dir() else None
        if folder_date is None:
            ignored.append(IgnoredName(folder, "not a YYYYMMDD delivery folder"))
            continue
        if src.business_date(folder_date) > up_to:
            continue
        found, skipped = _scan_folder(settings, src, folder, folder_date, cache, verify_sha)
        files += found
        ignored += skipped
    cache.save()
    groups: dict[tuple[Any, ...], list[DeliveryFile]] = defaultdict(list)
    for f in files:
        parsed = src.parse(f.name)
        assert parsed is not None
        groups[(parsed.key, f.folder_date) if src.keyed_by_file else (parsed.key,)].append(f)
    drafts = [d for group, members in groups.items() for d in _versions(src, group[0], members)]
    return LandingScan(source, up_to, tuple(_supersede(drafts)), tuple(ignored))


def scan(settings: Settings, source: str, up_to: date) -> list[Delivery]:
    """All deliveries (every version; filter with `.usable`) with business date <= up_to, sorted by
    (business_date, key, redelivery). See the module docstring for the rules."""
    return list(scan_landing(settings, source, up_to).deliveries)


def usable(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """The versions to read: complete and not superseded, in (business_date, key) order."""
    return [d for d in deliveries if d.usable]


def check_rows(deliveries: Sequence[Delivery], counted: Mapping[Path | str, int]) -> list[Delivery]:
    """The deliveries after the parser counted records (data file path -> records).

    A file whose count differs from its marker's `rows` becomes 'rows_mismatch', its delivery 'broken'
    (rejected as a whole), and supersession is recomputed, so an earlier complete version of the same key
    comes back into use (rule 5).
    """
    counts = {Path(k): v for k, v in counted.items()}
    updated: list[Delivery] = []
    for d in deliveries:
        files = []
        problems = list(d.problems)
        for f in d.files:
            n = counts.get(f.path)
            if n is not None and f.status == "ok" and f.marker_rows is not None and n != f.marker_rows:
                problem = (f"{f.path.parent.name}/{f.name}: {n} records parsed but the marker says "
                           f"rows={f.marker_rows}")
                f = replace(f, status="rows_mismatch", problem=problem)
                problems.append(problem)
            files.append(f)
        if len(problems) != len(d.problems):
            d = replace(d, files=tuple(files), problems=tuple(problems), status="broken")
        updated.append(d)
    return _supersede(updated)


# --- front databases -------------------------------------------------------------------------------------

def frontdb_status(settings: Settings, source: str) -> dict[str, Any]:
    """Whether the SQL source's front database is reachable and has the contract's tables.

    Reads the catalog only. SQLite files are opened read-only and never created (a missing file is
    reported, not made). The URL is shown with its password hidden.
    """
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from connectors import frontdb

    src = spec(source)
    raw = settings.frontdb_url(source)
    result: dict[str, Any] = {"url": raw, "reachable": False, "tables": {t: False for t in src.tables},
                              "problem": None}
    try:
        url = make_url(raw)
        result["url"] = url.render_as_string(hide_password=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a configuration problem to report
        result["url"] = "<unparseable>"
        result["problem"] = f"front database URL of {source} cannot be parsed ({type(exc).__name__})"
        return result
    try:
        engine = frontdb.engine(raw)
    except frontdb.FrontDbMissing as exc:
        result["problem"] = f"{source}: {exc}"
        return result
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        result["reachable"] = True
        result["tables"] = {t: t in names for t in src.tables}
        missing = [t for t, present in result["tables"].items() if not present]
        if missing:
            result["problem"] = f"front database of {source} lacks table(s) {', '.join(missing)}"
    except Exception as exc:  # noqa: BLE001 - unreachable for any reason is what we report
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        result["problem"] = f"front database of {source} not reachable ({type(exc).__name__}: {first_line})"
    finally:
        engine.dispose()
    return result


# --- the Airflow task ------------------------------------------------------------------------------------

def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _file_json(settings: Settings, f: DeliveryFile) -> dict[str, Any]:
    return {"name": f.name, "path": _rel(settings, f.path), "part": f.part, "folder": f"{f.folder_date:%Y%m%d}",
            "redelivery": f.redelivery, "status": f.status, "marker_rows": f.marker_rows,
            "marker_sha256": f.marker_sha256, "size_bytes": f.size, "problem": f.problem}


def _delivery_json(settings: Settings, d: Delivery) -> dict[str, Any]:
    return {"key": d.key, "redelivery": d.redelivery, "folder_date": d.folder_date.isoformat(),
            "business_date": d.business_date.isoformat(), "status": d.status, "usable": d.usable,
            "disposition": d.disposition, "superseded_by": d.superseded_by, "files": [_file_json(settings, f) for f in d.files],
            "problems": list(d.problems)}


def _notes(d: Delivery) -> list[str]:
    verdict = ("rejected as a whole (an _R re-delivery should follow)" if d.disposition == "rejected"
               else "not complete yet (not an error until it is late)")
    return [f"{d.key} {_suffix(d.redelivery)}: {verdict}", *d.problems]


def inventory(settings: Settings, source: str, business_date: date) -> dict[str, Any]:
    """The inventory summary of one source for one business date (what `inventory_task` writes).

    Besides every delivery version up to D, it gives tonight's arrivals: `deliveries_found` = versions
    whose business date is D, `rows_delivered` = the markers' rows of those in use (None when none).
    """
    src = spec(source)
    summary: dict[str, Any] = {
        "source": source, "business_date": business_date.isoformat(), "mechanism": src.mechanism,
        "format": src.format, "cadence": src.cadence, "timing": src.timing,
        "stale_after_days": src.stale_after_days, "generated_at": datetime.now().isoformat(timespec="seconds"),
    }
    if src.mechanism == "sql":
        front = frontdb_status(settings, source)
        summary.update(deliveries=[], ignored=[], frontdb=front, latest_usable=None, stale=None,
                       counts={}, problems=[front["problem"]] if front["problem"] else [])
        return summary
    found = scan_landing(settings, source, business_date)
    deliveries = found.deliveries
    in_use = [d for d in deliveries if d.usable]
    latest = max(in_use, key=lambda d: (d.business_date, d.key), default=None)
    counts = {s: sum(d.status == s for d in deliveries) for s in ("complete", "incomplete", "broken")}
    counts.update({s: sum(d.disposition == s for d in deliveries)
                   for s in ("in_use", "superseded", "rejected", "waiting")})
    tonight = [d for d in deliveries if d.business_date == business_date]
    tonight_rows = [f.marker_rows or 0 for d in tonight if d.usable for f in d.files]
    summary.update(
        deliveries_found=len(tonight),
        rows_delivered=sum(tonight_rows) if tonight_rows else None,
        landing_dir=_rel(settings, settings.landing / source),
        deliveries=[_delivery_json(settings, d) for d in deliveries],
        ignored=[{"path": _rel(settings, i.path), "reason": i.reason} for i in found.ignored],
        counts=counts,
        latest_usable=None if latest is None else {"key": latest.key, "redelivery": latest.redelivery,
                                                   "business_date": latest.business_date.isoformat()},
        stale=is_stale(source, None if latest is None else latest.business_date, business_date),
        problems=[p for d in deliveries if d.disposition in ("rejected", "waiting") for p in _notes(d)],
    )
    return summary


def inventory_task(settings: Settings, source: str, business_date: date | datetime | str) -> str:
    """Airflow task body: scan one source, write `$SAFETYNET_HOME/runs/<D>/inventory/<source>.json`,
    return its path. The JSON names files and counts, never file content; any ID-number-like text is
    masked as a last guard."""
    d = _as_date(business_date)
    summary = inventory(settings, source, d)
    out = settings.runs_dir / d.isoformat() / "inventory" / f"{source}.json"
    _write_atomic(out, mask_text(json.dumps(summary, ensure_ascii=False, indent=2)) + "\n")
    counts = summary["counts"]
    if summary["mechanism"] == "sql":
        log.info("inventory %s for %s: front database reachable=%s, problems=%d", source, d,
                 summary["frontdb"]["reachable"], len(summary["problems"]))
    else:
        log.info("inventory %s for %s: %d in use, %d waiting, %d rejected, stale=%s", source, d,
                 counts["in_use"], counts["waiting"], counts["rejected"], summary["stale"])
    return str(out)
