"""Benchmark: generate the synthetic city at full scale, print wall time and peak memory.

Usage: .venv/bin/python benchmarks/simulate_full.py [--scale 1.0] [--out DIR] [--keep]
Runs the simulator in a child process and prints the per-phase timings it logs (the worker lane's
marked [worker]), the size of what it wrote, its CPU time and the machine's load average (other
jobs on the machine stretch the wall time). Peak memory is the peak of the summed RSS of the
simulator's whole process tree (the simulator writes some sources in a worker process), sampled
every 0.2 s, beside the largest single process's own peak (ru_maxrss).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CHILD = """
import logging, sys, time
from datetime import date
from pathlib import Path
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
logging.getLogger("simulator").setLevel(logging.INFO)
import simulator
t = time.perf_counter()
simulator.simulate(out=Path(sys.argv[1]), scale=float(sys.argv[2]), seed=1, as_of=date(2026, 5, 27), days=3)
print(f"simulate() returned after {time.perf_counter() - t:.1f} s", flush=True)
"""

_PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d.name))
    return kids


def tree_rss(pid: int) -> int:
    """Summed resident bytes of `pid` and all its descendants (0 once they are gone)."""
    kids, total, todo = _children(), 0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):  # the process may just have ended
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * _PAGE
        todo.extend(kids.get(p, []))
    return total


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.peak = max(self.peak, tree_rss(self.pid))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output tree")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="sim-bench-"))
    if out.exists():
        shutil.rmtree(out)
    load_before = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(out), str(args.scale)])
    sampler = TreeSampler(proc.pid)
    sampler.start()
    proc.wait()
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    load_after = os.getloadavg()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_one = usage.ru_maxrss / 1024 / 1024
    peak_tree = sampler.peak / 2**30
    n_files, n_bytes = tree_size(out) if out.exists() else (0, 0)
    print(f"scale            {args.scale}")
    print(f"exit code        {proc.returncode}")
    print(f"wall time        {wall:.1f} s   (target <= 600 s: {'OK' if wall <= 600 else 'MISSED'})")
    print(f"CPU time         {usage.ru_utime + usage.ru_stime:.1f} s (user {usage.ru_utime:.1f}, "
          f"system {usage.ru_stime:.1f}; all processes)")
    print(f"peak RSS         {peak_tree:.2f} GiB summed over the process tree (target <= 4 GiB: "
          f"{'OK' if peak_tree <= 4 else 'MISSED'}); largest single process {peak_one:.2f} GiB")
    print(f"load average     {' / '.join(f'{x:.1f}' for x in load_before)} before, "
          f"{' / '.join(f'{x:.1f}' for x in load_after)} after (1/5/15 min; {os.cpu_count()} cores)")
    print(f"output           {n_files} files, {n_bytes / 1e9:.2f} GB in {out}")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
