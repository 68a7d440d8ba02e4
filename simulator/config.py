"""Simulation parameters and the calendar windows derived from them (interfaces.md section 2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

#: Full-city scale 1.0: ~1.75M registered residents in ~600k 户号 (sources/README.md section 1).
FULL_SCALE_RESIDENTS = 1_750_000
FULL_SCALE_HOUSEHOLDS = 600_000

#: Start of the front databases' retention that matters here (cremation keeps rows since 2018).
CREMATION_SINCE = date(2018, 1, 1)
ASSISTANCE_SINCE = date(2019, 1, 1)


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. All dates are naive Asia/Shanghai dates."""

    out: Path
    scale: float
    seed: int
    as_of: date
    days: int = 3
    #: SQLAlchemy URL per SQL source; None → SQLite files under out/landing/frontdb/.
    frontdb_urls: Mapping[str, str] | None = field(default=None)

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1.5:
            raise ValueError(f"scale must be in (0, 1.5], got {self.scale}")
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")

    # -- business dates -------------------------------------------------------------------------
    @property
    def first_business_date(self) -> date:
        """First business date D of the simulated window (the window ends at as_of)."""
        return self.as_of - timedelta(days=self.days - 1)

    @property
    def business_dates(self) -> list[date]:
        return [self.first_business_date + timedelta(days=i) for i in range(self.days)]

    @property
    def last_folder_date(self) -> date:
        """Night deliveries of business date as_of land in folder as_of + 1."""
        return self.as_of + timedelta(days=1)

    # -- history the policy needs (interfaces.md section 2) -------------------------------------
    @property
    def monthly_history_start(self) -> date:
        """Monthly deliveries are written for the 13 months before the window, and within it."""
        y, m = self.first_business_date.year, self.first_business_date.month - 13
        while m < 1:
            y, m = y - 1, m + 12
        return date(y, m, 1)

    @property
    def deaths_history_start(self) -> date:
        """Death certificates: the 365 days before the window."""
        return self.first_business_date - timedelta(days=365)

    @property
    def horizon_end(self) -> date:
        """Nothing in the simulated world happens after the end of this day."""
        return self.last_folder_date

    def frontdb_url(self, source: str) -> str:
        if self.frontdb_urls and source in self.frontdb_urls:
            return self.frontdb_urls[source]
        return f"sqlite:///{self.out / 'landing' / 'frontdb' / f'{source}.sqlite'}"

    @property
    def n_households(self) -> int:
        return max(60, round(FULL_SCALE_HOUSEHOLDS * self.scale))
