"""The one typed settings object. Nothing else in the project reads environment variables.

Layout per interfaces.md section 1: everything the system writes lives under SAFETYNET_HOME;
departments deliver under the exchange root; SQL front databases are SQLAlchemy URLs per source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The four SQL sources (sources/README.md section 9).
SQL_SOURCES: tuple[str, ...] = ("cremation", "assistance", "social_insurance", "medical")

#: A memory size as DuckDB's memory_limit takes it.
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)

#: Every source id, in the order of sources/README.md section 1.
SOURCES: tuple[str, ...] = (
    "hukou", "vehicles", "deaths", "cremation", "assistance", "social_insurance", "tax", "medical",
    "disability", "property", "business", "housing_fund", "education", "rural_monitoring", "bank",
    "charity", "public_housing",
)


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with `Settings.from_env()` (or directly in tests)."""

    home: Path
    exchange: Path
    frontdb_urls: Mapping[str, str] = field(default_factory=dict)
    #: SAFETYNET_DEBUG=1: the command line shows full tracebacks instead of a one-line cause.
    debug: bool = False
    #: SAFETYNET_WAREHOUSE_MEMORY_LIMIT: DuckDB's memory_limit for a warehouse build (e.g. `6GB`); beyond it
    #: DuckDB spills to a temporary directory beside the build. Without a limit DuckDB takes 80% of RAM,
    #: which a full-city build fills (19 GB on a 24 GB machine) next to every other job of the night.
    warehouse_memory_limit: str = "6GB"

    def __post_init__(self) -> None:
        if not MEMORY_SIZE.fullmatch(self.warehouse_memory_limit):
            raise ValueError(f"SAFETYNET_WAREHOUSE_MEMORY_LIMIT: {self.warehouse_memory_limit!r} is not a size "
                             "such as 6GB, 512MB or 4GiB")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("SAFETYNET_HOME") or REPO_ROOT / "var").resolve()
        exchange = Path(env.get("SAFETYNET_EXCHANGE") or home / "exchange").resolve()
        urls = {
            src: env.get(f"SAFETYNET_FRONTDB_{src.upper()}") or default_frontdb_url(exchange, src)
            for src in SQL_SOURCES
        }
        debug = (env.get("SAFETYNET_DEBUG") or "").strip().lower() in {"1", "true", "yes", "on"}
        memory = (env.get("SAFETYNET_WAREHOUSE_MEMORY_LIMIT") or "").strip() or cls.warehouse_memory_limit
        return cls(home=home, exchange=exchange, frontdb_urls=urls, debug=debug, warehouse_memory_limit=memory)

    def with_exchange(self, exchange: Path) -> Settings:
        """The same settings pointed at another exchange root (front DB defaults follow it)."""
        exchange = Path(exchange).resolve()
        urls = {
            src: (default_frontdb_url(exchange, src) if url == default_frontdb_url(self.exchange, src) else url)
            for src, url in self.frontdb_urls.items()
        }
        return replace(self, exchange=exchange, frontdb_urls=urls)

    # Derived locations (all under home, interfaces.md section 1).
    @property
    def landing(self) -> Path:
        return self.exchange / "landing"

    @property
    def outbox(self) -> Path:
        return self.exchange / "outbox"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def frontdb_configured(self) -> bool:
        """True when any front database URL differs from its SQLite default (i.e. was configured)."""
        return any(url != default_frontdb_url(self.exchange, src) for src, url in self.frontdb_urls.items())

    @property
    def runs_dir(self) -> Path:
        """Per-run records of the nightly DAG: runs/<YYYY-MM-DD>/summary.json and the run's log."""
        return self.home / "runs"

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def validation_dir(self) -> Path:
        return self.home / "validation"

    @property
    def state_dir(self) -> Path:
        """Small persistent state that survives warehouse rebuilds (watermarks, dispositions)."""
        return self.home / "state"

    @property
    def audit_log(self) -> Path:
        return self.home / "audit" / "audit.jsonl"

    def frontdb_url(self, source: str) -> str:
        return self.frontdb_urls[source]


def default_frontdb_url(exchange: Path, source: str) -> str:
    return f"sqlite:///{Path(exchange) / 'landing' / 'frontdb' / f'{source}.sqlite'}"
