"""Per-phase wall time and memory of a simulation run, logged for benchmarks/simulate_full.py.

Grain: one `Phase` per domain build, source write or truth write, in the process that ran it.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa

log = logging.getLogger("simulator")


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    rss_gib: float  # resident memory of the process when the phase ended
    peak_gib: float  # the process's peak resident memory so far


def rss_gib() -> float:
    """Current resident set size of this process in GiB (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096 / 2**30
    except OSError:
        return 0.0


def peak_gib() -> float:
    """Peak resident set size of this process so far in GiB: VmHWM, which (unlike ru_maxrss) a
    freshly exec'd worker does not inherit from its parent. 0 where /proc is unavailable."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC = _load_libc()


def trim() -> None:
    """Give freed heap memory back to the OS (glibc keeps it otherwise; two processes share 4 GiB)."""
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


def lean_allocator() -> None:
    """Route Arrow's allocations (pandas' Arrow-backed strings included) through jemalloc, purging freed
    pages at once: Arrow's default mimalloc keeps freed memory resident (the world build's peak at scale
    0.3: 1.40 GB instead of 1.52 GB, same CPU time). Process-wide; no-op without jemalloc."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:
        pass


def log_phase(p: Phase, where: str = "") -> None:
    log.info("phase %-30s %7.1f s  rss %.2f GiB  peak %.2f GiB%s", p.name, p.seconds, p.rss_gib, p.peak_gib,
             where)


@contextmanager
def phase(name: str, records: list[Phase] | None = None) -> Iterator[None]:
    """Time the block, then return freed memory to the OS; log it (and append it to `records` if given)."""
    start = time.perf_counter()
    yield
    trim()
    p = Phase(name, time.perf_counter() - start, rss_gib(), peak_gib())
    log_phase(p)
    if records is not None:
        records.append(p)
