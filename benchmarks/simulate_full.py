"""Benchmark: generate the synthetic city at full scale, print wall time and peak memory.

Usage: .venv/bin/python benchmarks/simulate_full.py [--scale 1.0] [--out DIR] [--keep]
Runs the simulator in a child process so that the peak RSS reported is the simulator's alone,
and prints per-phase timings the simulator logs, plus the size of what it wrote.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time
from datetime import date
from pathlib import Path
import simulator
t = time.perf_counter()
simulator.simulate(out=Path(sys.argv[1]), scale=float(sys.argv[2]), seed=1, as_of=date(2026, 5, 27), days=3)
print(f"simulate() returned after {time.perf_counter() - t:.1f} s", flush=True)
"""


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output tree")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="sim-bench-"))
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(out), str(args.scale)], check=False)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    n_files, n_bytes = tree_size(out) if out.exists() else (0, 0)
    print(f"scale            {args.scale}")
    print(f"exit code        {proc.returncode}")
    print(f"wall time        {wall:.1f} s   (target <= 600 s: {'OK' if wall <= 600 else 'MISSED'})")
    print(f"peak RSS         {peak_kib / 1024 / 1024:.2f} GiB (target <= 4 GiB: "
          f"{'OK' if peak_kib <= 4 * 1024 * 1024 else 'MISSED'})")
    print(f"output           {n_files} files, {n_bytes / 1e9:.2f} GB in {out}")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
