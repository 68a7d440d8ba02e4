"""Outbound bank queries: request batches outbox/bank/HDQ_<批次号>.json + .ok (bank.yaml, file HDQ).

Grain: one `write_requests` call = the batches needed for a list of persons (1-1000 per batch, a
身份证号 at most once per batch); one file + marker per batch. 批次号 = 'HD370481' + YYYYMMDD of
生成时间 + a 4-digit sequence of that day, unique for ever: the next number after every batch of the day
found in the outbox or in the ledger `$SAFETYNET_HOME/state/bank_requests/issued.jsonl` (the ledger keeps
uniqueness even if the outbox is ever cleaned), allocated under a file lock.

Authorization (bank.yaml semantics.authorization, policy.md section 4): a request may list only persons
covered by a signed 授权书 - the members named in an application (jz_application_member rows with
删除标志 '0'; the applicant is one of them, 与申请人关系 本人) whose application has 授权书签署 = 是, a non-null
授权书签署日期 and 申请状态 other than 已撤回. `covered_persons` computes that rule from the assistance
entity tables; `write_requests` refuses the whole call (writes nothing) if any person is not covered with
exactly the 申请编号 and 授权书签署日期 it names.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.idnumber import is_valid_id
from safetynet.privacy import mask_id
from safetynet.settings import Settings
from warehouse import raw

PREFIX = "HD370481"
MAX_PERSONS = 1000
MAX_SEQUENCE = 9999
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
LOCAL = ZoneInfo("Asia/Shanghai")
_APPLICATION_NO = re.compile(r"SQ\d{14}")

#: (身份证号, 申请编号, 授权书签署日期): one person covered by the 授权书 of one application.
Coverage = tuple[str, str, date]


@dataclass(frozen=True)
class Person:
    """One 查询对象: who is queried, the name as registered and the application whose 授权书 covers it."""

    id_number: str
    name: str
    application_no: str
    authorization_date: date

    @property
    def coverage(self) -> Coverage:
        return (self.id_number, self.application_no, self.authorization_date)

    def as_json(self) -> dict[str, str]:
        return {"身份证号": self.id_number, "姓名": self.name, "申请编号": self.application_no,
                "授权书签署日期": self.authorization_date.isoformat()}


class NotCovered(PermissionError):
    """A person without a covering signed 授权书 was asked for: nothing was written."""


# --- the authorization rule ----------------------------------------------------------------------------------

def _frame(table: pa.Table | pd.DataFrame) -> pd.DataFrame:
    return table.to_pandas() if isinstance(table, pa.Table) else table


def _latest(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """The latest version per key when the table holds several extracts (by 更新时间, then extract)."""
    order = [c for c in ("updated_at", "_business_date", "_delivery") if c in df.columns]
    if not order:
        return df.drop_duplicates(key, keep="last")
    return df.sort_values(order, kind="stable").drop_duplicates(key, keep="last")


def _as_date(value: Any) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def covered_persons(application: pa.Table | pd.DataFrame, application_member: pa.Table | pd.DataFrame
                    ) -> set[Coverage]:
    """Every (身份证号, 申请编号, 授权书签署日期) covered by a signed 授权书 (module docstring).

    Inputs are the assistance entities `application` and `application_member` (English column names of
    connectors.assistance), current state or several extracts (reduced to the latest version per key).
    Pure: the inputs are not modified.
    """
    app = _latest(_frame(application), ["application_no"])
    mem = _latest(_frame(application_member), ["application_no", "member_id_number"])
    signed = app[(app["authorization_signed"] == "是") & app["authorization_date"].notna()
                 & (app["status"] != "已撤回")]
    named = mem[(mem["deleted_flag"] == "0") & mem["member_id_number"].notna()]
    if "member_id_number_status" in named.columns:  # only trustworthy numbers can be sent (canonical)
        named = named[named["member_id_number_status"] == "valid"]
    both = named[["application_no", "member_id_number"]].merge(
        signed[["application_no", "authorization_date"]], on="application_no", how="inner")
    return {(str(i), str(a), d) for i, a, d in zip(both["member_id_number"], both["application_no"],
                                                  both["authorization_date"].map(_as_date), strict=True)
            if d is not None}


def load_covered(settings: Settings, business_date: date) -> set[Coverage]:
    """`covered_persons` over every assistance extract in the raw store with business date <= D."""
    tables = {}
    for entity, cols in (("application", ["application_no", "authorization_signed", "authorization_date",
                                          "status", "updated_at", "_business_date", "_delivery"]),
                         ("application_member", ["application_no", "member_id_number",
                                                 "member_id_number_status", "deleted_flag", "updated_at",
                                                 "_business_date", "_delivery"])):
        paths = [p for p in raw.glob(settings, "assistance", entity)
                 if p.parent.name.removeprefix("business_date=") <= business_date.isoformat()]
        parts = [pq.read_table(p, columns=cols) for p in paths]
        tables[entity] = pa.concat_tables(parts) if parts else None
    if tables["application"] is None or tables["application_member"] is None:
        return set()
    return covered_persons(tables["application"], tables["application_member"])


# --- writing batches ---------------------------------------------------------------------------------------

def _person(p: Person | Sequence[Any]) -> Person:
    """A validated Person from a Person or an (id_number, name, application_no, authorization_date) tuple."""
    person = p if isinstance(p, Person) else Person(str(p[0]), str(p[1]), str(p[2]), _as_date(p[3]))  # type: ignore[arg-type]
    if not is_valid_id(person.id_number):
        raise ValueError(f"not a canonical valid 身份证号: {mask_id(person.id_number)}")
    if not person.name.strip():
        raise ValueError(f"empty 姓名 for {mask_id(person.id_number)}")
    if not _APPLICATION_NO.fullmatch(person.application_no):
        raise ValueError(f"申请编号 {person.application_no!r} does not match ^SQ\\d{{14}}$")
    if not isinstance(person.authorization_date, date):
        raise ValueError(f"no 授权书签署日期 for {mask_id(person.id_number)}")
    return person


def batches(persons: Iterable[Person]) -> list[list[Person]]:
    """Persons split into batches of at most MAX_PERSONS with each 身份证号 at most once per batch, in
    input order (an exact repeat is dropped; the same person under another application goes to the
    next batch that does not hold him yet)."""
    out: list[list[Person]] = []
    ids: list[set[str]] = []
    seen: set[Person] = set()
    for p in persons:
        if p in seen:
            continue
        seen.add(p)
        for batch, held in zip(out, ids, strict=True):
            if len(batch) < MAX_PERSONS and p.id_number not in held:
                batch.append(p)
                held.add(p.id_number)
                break
        else:
            out.append([p])
            ids.append({p.id_number})
    return out


def _ledger(settings: Settings) -> Path:
    return settings.state_dir / "bank_requests" / "issued.jsonl"


def _used_sequences(settings: Settings, day: str) -> set[int]:
    pattern = re.compile(rf"(?:HDQ_)?{PREFIX}{day}(\d{{4}})(?:\.json|\.ok)?")
    used = set()
    folder = settings.outbox / "bank"
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    if _ledger(settings).is_file():
        names += [json.loads(line)["batch_no"] for line in _ledger(settings).read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    for name in names:
        m = pattern.fullmatch(name)
        if m:
            used.add(int(m.group(1)))
    return used


@contextlib.contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    path = _ledger(settings).with_name(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_batch(folder: Path, batch_no: str, generated: datetime, persons: Sequence[Person]) -> Path:
    """One request file, then its marker (README section 3: rows = number of 查询对象)."""
    doc = {"批次号": batch_no, "生成时间": generated.strftime(TIME_FORMAT),
           "查询对象": [p.as_json() for p in persons]}
    data = (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    path = folder / f"HDQ_{batch_no}.json"
    _write_atomic(path, data)
    _write_atomic(path.with_suffix(".ok"),
                  f"rows={len(persons)}\nsha256={hashlib.sha256(data).hexdigest()}\n".encode("ascii"))
    return path


def write_requests(settings: Settings, business_date: date, persons: Iterable[Person | Sequence[Any]], *,
                   covered: Collection[Coverage] | None = None, now: datetime | None = None) -> list[Path]:
    """Write the request batches for `persons` ((身份证号, 姓名, 申请编号, 授权书签署日期) tuples or Person);
    returns the request files written, in batch order.

    Raises NotCovered (nothing written) if any person is not covered by a signed 授权书 with the 申请编号
    and 授权书签署日期 given - checked against `covered` or, by default, `load_covered(settings, D)`.
    """
    people = [_person(p) for p in persons]
    if not people:
        return []
    allowed = load_covered(settings, business_date) if covered is None else covered
    refused = sorted({p.id_number for p in people if p.coverage not in allowed})
    if refused:
        shown = ", ".join(mask_id(i) for i in refused[:5]) + (" ..." if len(refused) > 5 else "")
        raise NotCovered(f"{len(refused)} person(s) are not covered by a signed 授权书 with the 申请编号 and "
                         f"授权书签署日期 given: {shown}; no request was written")
    generated = (now or datetime.now(LOCAL).replace(tzinfo=None)).replace(microsecond=0)
    day = f"{generated:%Y%m%d}"
    folder = settings.outbox / "bank"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with _lock(settings):
        used = _used_sequences(settings, day)
        start = max(used, default=0) + 1
        groups = batches(people)
        if start + len(groups) - 1 > MAX_SEQUENCE:
            raise RuntimeError(f"no free 批次号 left for {day} ({len(groups)} needed)")
        with _ledger(settings).open("a", encoding="utf-8") as ledger:
            for seq, group in enumerate(groups, start=start):
                batch_no = f"{PREFIX}{day}{seq:04d}"
                written.append(write_batch(folder, batch_no, generated, group))
                ledger.write(json.dumps({"batch_no": batch_no, "generated_at": generated.strftime(TIME_FORMAT),
                                         "business_date": business_date.isoformat(), "persons": len(group)})
                             + "\n")
                ledger.flush()
    return written


# --- the nightly step ----------------------------------------------------------------------------------------

#: Application statuses still being verified: their covered persons need a financial-asset query.
OPEN_STATUSES = frozenset({"已受理", "核对中"})


def already_requested(settings: Settings) -> set[tuple[str, str]]:
    """(身份证号, 申请编号) of every person in a request batch already in the outbox (whoever wrote it)."""
    done: set[tuple[str, str]] = set()
    for path in sorted((settings.outbox / "bank").glob("HDQ_*.json")):
        if not path.with_suffix(".ok").is_file():
            continue  # not complete: the platform ignores it too
        for p in json.loads(path.read_text(encoding="utf-8")).get("查询对象", []):
            done.add((p["身份证号"], p["申请编号"]))
    return done


def pending_persons(settings: Settings, business_date: date) -> list[Person]:
    """Covered persons of open applications (as of D) not yet requested for that application.

    Grain: one Person per (身份证号, 申请编号), sorted, so reruns and backfills choose the same persons.
    """
    tables = {}
    for entity in ("application", "application_member"):
        paths = [p for p in raw.glob(settings, "assistance", entity)
                 if p.parent.name.removeprefix("business_date=") <= business_date.isoformat()]
        if not paths:
            return []
        tables[entity] = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="default")
    apps = _latest(_frame(tables["application"]), ["application_no"])
    open_apps = set(apps.loc[apps["status"].isin(OPEN_STATUSES), "application_no"])
    members = _latest(_frame(tables["application_member"]), ["application_no", "member_id_number"])
    names = {(i, a): n for i, a, n in zip(members["member_id_number"], members["application_no"],
                                          members["member_name"], strict=True)}
    done = already_requested(settings)
    covered = covered_persons(tables["application"], tables["application_member"])
    return sorted((Person(i, names.get((i, a)) or "", a, d) for i, a, d in covered
                   if a in open_apps and (i, a) not in done), key=lambda p: (p.application_no, p.id_number))


def request_task(settings: Settings, business_date: date | str) -> str:
    """What the DAG's bank step calls: write the pending requests; returns a JSON summary path (counts only)."""
    d = business_date if isinstance(business_date, date) else date.fromisoformat(str(business_date))
    persons = pending_persons(settings, d)
    written = write_requests(settings, d, persons, covered={p.coverage for p in persons})
    out = settings.runs_dir / d.isoformat() / "bank_requests.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"business_date": d.isoformat(), "persons": len(persons),
                               "batches": [p.name for p in written]}, ensure_ascii=False, indent=1),
                   encoding="utf-8")
    return str(out)
