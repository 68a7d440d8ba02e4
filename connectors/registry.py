"""Per-source delivery facts, encoded from the contracts (sources/<source>.yaml `delivery:` and `files:`).

Grain: one `SourceSpec` per source id (17), one `FilePart` per file kind of a delivery. Nothing here reads
the contracts at run time; when a contract changes, change this table (tests pin the name regexes).

Terms (sources/README.md sections 2-5):

* mechanism: 'file' (landing folders) or 'sql' (front database, no landing files). The bank source is a
  'file' source whose format is 'json' (contract `delivery.mechanism: file`, `format: json`).
* timing: 'night' deliveries have business date = folder date - 1, 'daytime' ones = folder date.
* redelivery: where an `_R<n>` re-delivery goes: 'same_folder' (daily/weekly), 'later_folder' (monthly
  sources and bank responses) or 'never' (charity). Supersession works by logical key across folders in
  every case; the placement only feeds diagnostics.
* stale_after_days (policy.md, stale sources): daily sources (SQL pushes included) 2, weekly 9, monthly
  40; bank and charity are never stale (None).
* schedule_day: weekday for weekly sources (0 = Monday), day of month for monthly ones; None otherwise.
  `moves_to_working_day`: a manual delivery whose scheduled day moves to the next working day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

Mechanism = Literal["file", "sql"]
Cadence = Literal["daily", "weekly", "monthly", "adhoc", "request"]
Timing = Literal["night", "daytime"]
Redelivery = Literal["same_folder", "later_folder", "never"]

#: Staleness grace in days per cadence (policy.md "Stale sources"); None = never stale.
STALE_AFTER_DAYS: dict[str, int | None] = {"daily": 2, "weekly": 9, "monthly": 40, "adhoc": None, "request": None}


@dataclass(frozen=True)
class FilePart:
    """One file kind of a delivery. `name_regex` is the contract's, verbatim: group 1 is the logical token
    (date, month or batch number; charity: the organisation), group 2 the optional `_R<n>` suffix (charity:
    the description - charity files are never re-delivered)."""

    part: str
    name_regex: str
    semantics: str
    required: bool = True
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(self.name_regex))


@dataclass(frozen=True)
class ParsedName:
    """What a data file name says: its part, the delivery key, the re-delivery number."""

    part: str
    stem: str
    token: str
    redelivery: int
    key: str


@dataclass(frozen=True)
class SourceSpec:
    """Delivery facts of one source."""

    source: str
    mechanism: Mechanism
    format: Literal["csv", "xlsx", "json", "sql"]
    cadence: Cadence
    timing: Timing
    parts: tuple[FilePart, ...] = ()
    redelivery: Redelivery = "same_folder"
    schedule_day: int | None = None
    moves_to_working_day: bool = False
    tables: tuple[str, ...] = ()
    outbound_parts: tuple[FilePart, ...] = ()

    @property
    def has_landing_files(self) -> bool:
        return self.mechanism == "file"

    @property
    def stale_after_days(self) -> int | None:
        return STALE_AFTER_DAYS[self.cadence]

    @property
    def primary(self) -> FilePart:
        """The part whose name gives the delivery key (SCZT for business, XJ for education, BDC for property)."""
        if not self.parts:
            raise ValueError(f"source {self.source} has no landing files")
        return self.parts[0]

    @property
    def keyed_by_file(self) -> bool:
        """True when every file is its own delivery and names may repeat across folders (charity)."""
        return self.redelivery == "never"

    def business_date(self, folder_date: date) -> date:
        """Business date of a delivery from its folder date alone (README section 5)."""
        return folder_date - timedelta(days=1) if self.timing == "night" else folder_date

    def parse(self, name: str) -> ParsedName | None:
        """Parse a landing data-file name; None when it matches none of the source's name regexes."""
        for part in self.parts:
            m = part.pattern.match(name)
            if m is None:
                continue
            stem = name.rsplit(".", 1)[0]
            if self.keyed_by_file:
                return ParsedName(part.part, stem, m.group(1), 0, stem)
            suffix = m.group(2)
            n = int(suffix[2:]) if suffix else 0
            return ParsedName(part.part, stem, m.group(1), n, f"{self.primary.part}_{m.group(1)}")
        return None


def _p(part: str, regex: str, semantics: str, required: bool = True) -> FilePart:
    return FilePart(part, regex, semantics, required)


_SPECS: tuple[SourceSpec, ...] = (
    SourceSpec("hukou", "file", "csv", "daily", "night",
               (_p("HJRK", r"^HJRK_(\d{8})(_R\d+)?\.csv$", "snapshot"),)),
    SourceSpec("vehicles", "file", "csv", "weekly", "night",
               (_p("JDC", r"^JDC_(\d{8})(_R\d+)?\.csv$", "snapshot"),), schedule_day=0),
    SourceSpec("deaths", "file", "csv", "daily", "night",
               (_p("SWZM", r"^SWZM_(\d{8})(_R\d+)?\.csv$", "incremental"),)),
    SourceSpec("cremation", "sql", "sql", "daily", "night", tables=("t_hhdj",)),
    SourceSpec("assistance", "sql", "sql", "daily", "night",
               tables=("jz_family", "jz_member", "jz_payment", "jz_application", "jz_application_member",
                       "jz_referral")),
    SourceSpec("social_insurance", "sql", "sql", "daily", "night", tables=("si_contribution", "si_benefit")),
    SourceSpec("tax", "file", "csv", "monthly", "daytime",
               (_p("GS", r"^GS_(\d{6})(_R\d+)?\.csv$", "incremental"),),
               redelivery="later_folder", schedule_day=20, moves_to_working_day=True),
    SourceSpec("medical", "sql", "sql", "daily", "night", tables=("yb_enrollment", "yb_settlement")),
    SourceSpec("disability", "file", "xlsx", "monthly", "daytime",
               (_p("CJR", r"^CJR_(\d{6})(_R\d+)?\.xlsx$", "snapshot"),),
               redelivery="later_folder", schedule_day=5, moves_to_working_day=True),
    SourceSpec("property", "file", "csv", "daily", "night",
               (_p("BDC", r"^BDC_(\d{8})(_R\d+)?\.csv$", "change_log"),
                _p("BDC_FULL", r"^BDC_FULL_(\d{8})(_R\d+)?\.csv$", "snapshot", required=False))),
    SourceSpec("business", "file", "csv", "weekly", "night",
               (_p("SCZT", r"^SCZT_(\d{8})(_R\d+)?\.csv$", "snapshot"),
                _p("SCZT_RY", r"^SCZT_RY_(\d{8})(_R\d+)?\.csv$", "snapshot")), schedule_day=2),
    SourceSpec("housing_fund", "file", "csv", "monthly", "night",
               (_p("GJJ", r"^GJJ_(\d{6})(_R\d+)?\.csv$", "snapshot"),),
               redelivery="later_folder", schedule_day=3),
    SourceSpec("education", "file", "csv", "monthly", "night",
               (_p("XJ", r"^XJ_(\d{6})(_R\d+)?\.csv$", "snapshot"),
                _p("ZZ", r"^ZZ_(\d{6})(_R\d+)?\.csv$", "incremental")),
               redelivery="later_folder", schedule_day=10),
    SourceSpec("rural_monitoring", "file", "xlsx", "monthly", "daytime",
               (_p("FFP", r"^FFP_(\d{6})(_R\d+)?\.xlsx$", "snapshot"),),
               redelivery="later_folder", schedule_day=8, moves_to_working_day=True),
    SourceSpec("bank", "file", "json", "request", "daytime",
               (_p("HDR", r"^HDR_(HD370481\d{12})(_R\d+)?\.json$", "response"),),
               redelivery="later_folder",
               outbound_parts=(_p("HDQ", r"^HDQ_(HD370481\d{12})\.json$", "request"),)),
    SourceSpec("charity", "file", "csv", "adhoc", "daytime",
               (_p("charity_batch", r"^(慈善总会|红十字会|总工会|妇联)_帮扶_(.+)\.csv$", "append_batch"),),
               redelivery="never"),
    SourceSpec("public_housing", "file", "csv", "monthly", "daytime",
               (_p("GZF", r"^GZF_(\d{6})(_R\d+)?\.csv$", "snapshot"),),
               redelivery="later_folder", schedule_day=6, moves_to_working_day=True),
)

#: Source id -> its spec, in the order of sources/README.md section 1.
REGISTRY: dict[str, SourceSpec] = {s.source: s for s in _SPECS}


def spec(source: str) -> SourceSpec:
    """The spec of a source id; KeyError with the known ids otherwise."""
    try:
        return REGISTRY[source]
    except KeyError:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(REGISTRY)}") from None


def is_stale(source: str, latest_business_date: date | None, d: date) -> bool:
    """policy.md: stale on D when the latest accepted delivery's business date is before D - grace.

    A source with nothing accepted yet is stale, except bank and charity, which are never stale.
    """
    grace = spec(source).stale_after_days
    if grace is None:
        return False
    return latest_business_date is None or latest_business_date < d - timedelta(days=grace)
