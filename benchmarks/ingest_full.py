"""Benchmark: the nightly ingest of every source over a simulated city, timed per source.

Usage: .venv/bin/python benchmarks/ingest_full.py [--scale 1.0] [--exchange DIR] [--home DIR]
       [--as-of 2026-05-27] [--sources hukou,deaths] [--keep]

Without --exchange, a city is simulated first (seed 1, 3 days ending at --as-of) into a temporary exchange
root; with it, that exchange root is reused as it is (front DBs: the embedded SQLite files under
landing/frontdb/). Then each source is ingested for business date --as-of - every delivery up to that
date, i.e. the first night of a fresh warehouse, with all the history the simulator writes - through
`connectors.ingest.ingest_task` (parse + validate + store, Data Docs included), one source after the
other, each in its own process as an Airflow task runs. Printed per source: rows delivered, seconds of
the ingest (imports excluded; shown apart), rows/s, seconds spent in GX validation (running the suites and
storing their results), peak RSS of the
process; plus the totals. The SAFETYNET_HOME used is temporary unless --home is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIMULATE = """
import sys
from datetime import date
from pathlib import Path
import simulator
simulator.simulate(out=Path(sys.argv[1]), scale=float(sys.argv[2]), seed=1,
                   as_of=date.fromisoformat(sys.argv[3]), days=3)
"""

#: One source in a fresh process: imports timed apart, then ingest_task; one JSON line on stdout.
INGEST = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
import great_expectations  # noqa: F401 - the import every task pays once, timed apart
from connectors import ingest
from expectations import runner
from safetynet.settings import Settings
imports = time.perf_counter() - t0
home, exchange, source, day = sys.argv[1:5]
settings = Settings.from_env({"SAFETYNET_HOME": home, "SAFETYNET_EXCHANGE": exchange})
spent = {"validate": 0.0}
def timed(fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent["validate"] += time.perf_counter() - t
    return wrapper
# Every path (validate, validate_many, chunked SQL extracts) runs GX in Session.validate and stores the
# result with Session.store_docs; code without Session is timed at runner.validate.
if hasattr(runner, "Session"):
    runner.Session.validate = timed(runner.Session.validate)
    runner.Session.store_docs = timed(runner.Session.store_docs)
else:
    runner.validate = timed(runner.validate)
t = time.perf_counter()
summary = json.loads(Path(ingest.ingest_task(settings, source, day)).read_text(encoding="utf-8"))
seconds = time.perf_counter() - t
print(json.dumps({"source": source, "imports": imports, "seconds": seconds, "validate": spent["validate"],
                  "deliveries": summary["deliveries_found"], "rows": summary["rows_delivered"],
                  "quarantined": summary["rows_quarantined"], "rejected": len(summary["rejected"]),
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

SOURCES = (
    "hukou", "vehicles", "deaths", "cremation", "assistance", "social_insurance", "tax", "medical",
    "disability", "property", "business", "housing_fund", "education", "rural_monitoring", "bank",
    "charity", "public_housing",
)


def simulate(out: Path, scale: float, as_of: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SIMULATE, str(out), str(scale), as_of], check=True)
    return time.perf_counter() - start


def ingest_one(home: Path, exchange: Path, source: str, as_of: str) -> dict:
    done = subprocess.run([sys.executable, "-c", INGEST, str(home), str(exchange), source, as_of],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"source": source, "error": last[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--exchange", type=Path, default=None, help="reuse this exchange root (no simulation)")
    ap.add_argument("--home", type=Path, default=None, help="SAFETYNET_HOME to write (default: temporary)")
    ap.add_argument("--as-of", default="2026-05-27", help="business date D (and the simulation's as-of)")
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma-separated source ids")
    ap.add_argument("--keep", action="store_true", help="keep the temporary exchange root and home")
    args = ap.parse_args()
    sources = [s for s in args.sources.split(",") if s]
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        ap.error(f"unknown source(s): {', '.join(unknown)}")
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    exchange = args.exchange.resolve() if args.exchange else work / "exchange"
    home = args.home.resolve() if args.home else work / "home"
    if args.exchange is None:
        print(f"simulating scale {args.scale} into {exchange} ...", flush=True)
        print(f"simulate: {simulate(exchange, args.scale, args.as_of):.1f} s", flush=True)
    results = []
    start = time.perf_counter()
    for source in sources:
        r = ingest_one(home, exchange, source, args.as_of)
        results.append(r)
        print(f"  {source}: " + (r["error"] if "error" in r else f"{r['rows']} rows in {r['seconds']:.1f} s"),
              flush=True)
    wall = time.perf_counter() - start
    print()
    print(f"ingest of business date {args.as_of}, scale {'(reused exchange)' if args.exchange else args.scale}, "
          f"one source at a time")
    header = f"{'source':<17} {'deliv':>5} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'validate s':>10} " \
             f"{'imports s':>9} {'peak RSS MiB':>12}  notes"
    print(header)
    print("-" * len(header))
    total_rows = total_s = total_v = 0.0
    peak = 0
    for r in results:
        if "error" in r:
            print(f"{r['source']:<17} FAILED: {r['error']}")
            continue
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0.0
        notes = ", ".join(x for x in (f"{r['quarantined']} quarantined" if r["quarantined"] else "",
                                      f"{r['rejected']} rejected" if r["rejected"] else "") if x)
        print(f"{r['source']:<17} {r['deliveries']:>5} {r['rows']:>10} {r['seconds']:>8.1f} {rate:>9.0f} "
              f"{r['validate']:>10.1f} {r['imports']:>9.1f} {r['peak_kib'] / 1024:>12.0f}  {notes}")
        total_rows += r["rows"]
        total_s += r["seconds"]
        total_v += r["validate"]
        peak = max(peak, r["peak_kib"])
    print("-" * len(header))
    rate = total_rows / total_s if total_s else 0.0
    print(f"{'total':<17} {'':>5} {int(total_rows):>10} {total_s:>8.1f} {rate:>9.0f} {total_v:>10.1f} "
          f"{'':>9} {peak / 1024:>12.0f}  (max)")
    print(f"wall time {wall:.1f} s including one process start and imports per source")
    if args.keep:
        print(f"kept: home {home}, exchange {exchange}")
    else:
        for path, given in ((home, args.home), (exchange, args.exchange)):
            if not given:
                shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError):
            work.rmdir()
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
