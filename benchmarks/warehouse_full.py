"""Benchmark: the warehouse build, the household-profile lookup and the verification report, side by side.

Usage: .venv/bin/python benchmarks/warehouse_full.py --home DIR --exchange DIR [--as-of 2026-05-27]
       [--lookups 2000] [--reports 100] [--seed 1] [--skip-build] [--memory-limit 6GB]

--home is an ingested SAFETYNET_HOME: the build publishes a new current.duckdb THERE (pass a copy of a home
that must stay as it is). Measured:

1. the build (`warehouse.build.build` as of --as-of) in a child process, as the Airflow task runs it: wall
   time of the build (imports excluded and shown apart; GX's import is most of them), peak RSS of the
   child (ru_maxrss) under --memory-limit (DuckDB's, SAFETYNET_WAREHOUSE_MEMORY_LIMIT), the content hash
   and row counts;
2. the household-profile lookup by a member's ID (`warehouse.lookup.profile`, what `safetynet profile`
   shows) on one warm read-only connection (warehouse.query.connect_current): --lookups random members,
   after 50 warm-up calls; p50/p95/p99 in ms of wall time and of the process's CPU time
   (time.process_time: on a shared, loaded machine the wall time mostly measures waiting for a core),
   the same with the eligibility reasons (`with_reasons=True`, what `safetynet verify` reads), and the
   household-resolution step alone (`lookup.household_of`);
3. the verification report for persons with a covering 授权书, the steps `safetynet verify` runs
   (canonical_id, require_authorization, profile, reports.verification.write, audit.record) on the same
   connection, for --reports random covered members; the print counter and audit log go to a throw-away
   SAFETYNET_HOME so the benchmarked one keeps its state; p50/p95 in ms.

A table of the figures and their targets is printed (targets: lookup p95 <= 5 ms, report <= 1 s each),
with the machine's load average before and after the runs (os.getloadavg); `--json FILE` also writes them.
IDs are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOOKUP_P95_MS = 5.0
REPORT_MS = 1000.0
WARM_UP = 50

#: The build in a fresh process; imports timed apart; one JSON line on stdout.
BUILD = """
import json, logging, resource, sys, time
logging.basicConfig(level=logging.WARNING)
t0 = time.perf_counter()
import great_expectations  # noqa: F401 - imported by the build's validation; timed apart
from safetynet.settings import Settings
from warehouse import build
imports = time.perf_counter() - t0
home, exchange, as_of, memory = sys.argv[1:5]
settings = Settings.from_env({"SAFETYNET_HOME": home, "SAFETYNET_EXCHANGE": exchange,
                              "SAFETYNET_WAREHOUSE_MEMORY_LIMIT": memory})
t = time.perf_counter()
result = build.build(settings, as_of)
seconds = time.perf_counter() - t
print(json.dumps({"imports_s": imports, "build_s": seconds, "content_hash": result.content_hash,
                  "tables": dict(result.tables), "memory_limit": settings.warehouse_memory_limit,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_build(home: Path, exchange: Path, as_of: str, memory_limit: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", BUILD, str(home), str(exchange), as_of, memory_limit], cwd=REPO,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"build failed:\n{out.stderr[-4000:]}")
    # Libraries print to stdout too (GX's progress output, also without a newline): take the figures'
    # own line, which starts at the last '{"imports_s"'.
    start = out.stdout.rfind('{"imports_s"')
    if start < 0:
        raise SystemExit(f"build printed no figures:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout[start:].splitlines()[0])


def percentiles(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"n": len(ms), "p50": q[49], "p95": q[94], "p99": q[98], "max": max(ms)}


def _timed(fn: Any, *args: Any) -> float:
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def _timed_both(fn: Any, *args: Any) -> tuple[float, float]:
    """(wall ms, CPU ms of this process, DuckDB's threads included) of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn(*args)
    return (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000


def bench_lookups(con: Any, ids: list[str]) -> dict[str, dict[str, float]]:
    from warehouse import lookup

    for i in ids[:WARM_UP]:
        lookup.profile(con, i)
    figures: dict[str, dict[str, float]] = {}
    def with_reasons(con: Any, raw: str) -> dict[str, Any]:
        return lookup.profile(con, raw, with_reasons=True)

    for step, fn in (("profile", lookup.profile), ("profile_reasons", with_reasons),
                     ("household_of", lookup.household_of)):
        wall, cpu = zip(*(_timed_both(fn, con, i) for i in ids), strict=True)
        figures[step] = percentiles(list(wall))
        figures[f"{step}_cpu"] = percentiles(list(cpu))
    return figures


def covered_members(con: Any) -> list[str]:
    """Members of a household whose 授权书 covers them (the rule of warehouse.lookup.authorizations)."""
    return [r[0] for r in con.execute("""
        SELECT DISTINCT m.member_id_number
        FROM stg.assistance__application a
        JOIN stg.assistance__application_member m USING (application_no)
        JOIN mart.household_member hm ON hm.id_number = m.member_id_number
        WHERE m.member_id_number_status = 'valid' AND coalesce(m.deleted_flag, '') = '0'
          AND a.authorization_signed = '是' AND a.authorization_date IS NOT NULL
          AND coalesce(a.status, '') <> '已撤回'
        ORDER BY 1""").fetchall()]


def bench_reports(con: Any, settings: Any, ids: list[str]) -> dict[str, float]:
    """The steps of `safetynet verify`, state written to a throw-away home."""
    from reports import verification
    from safetynet.settings import Settings
    from warehouse import audit, lookup

    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        scratch = Settings(home=Path(tmp) / "home", exchange=settings.exchange)

        def report(raw: str, out: Path) -> None:
            person = lookup.canonical_id(raw)
            auth = lookup.require_authorization(con, person)
            data = lookup.profile(con, person, with_reasons=True)
            report_id, _ = verification.write(scratch, data, auth, out, "bench", "基准测试")
            audit.record(scratch, "verify", person, operator="bench", household_id=data["household"]["household_id"],
                         application=auth.application_no, reason="基准测试", report_id=report_id)

        report(ids[0], Path(tmp) / "warm.html")
        return percentiles([_timed(report, i, Path(tmp) / f"r{n}.html") for n, i in enumerate(ids)])


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from safetynet.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True, help="ingested SAFETYNET_HOME (the build publishes here)")
    ap.add_argument("--exchange", type=Path, required=True)
    ap.add_argument("--as-of", default="2026-05-27")
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--reports", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-build", action="store_true", help="measure the published warehouse only")
    ap.add_argument("--memory-limit", default=Settings.warehouse_memory_limit,
                    help="the build's SAFETYNET_WAREHOUSE_MEMORY_LIMIT (default: the setting's default)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)

    from warehouse.query import connect_current

    figures: dict[str, Any] = {}
    if not args.skip_build:
        figures["build"] = run_build(args.home, args.exchange, args.as_of, args.memory_limit)
    settings = Settings.from_env({"SAFETYNET_HOME": str(args.home), "SAFETYNET_EXCHANGE": str(args.exchange)})
    con = connect_current(settings)
    figures["load_before"] = os.getloadavg()
    try:
        rng = random.Random(args.seed)
        members = [r[0] for r in con.execute("SELECT id_number FROM mart.household_member ORDER BY 1").fetchall()]
        figures["members"] = len(members)
        figures["lookup_ms"] = bench_lookups(con, rng.choices(members, k=args.lookups))
        covered = covered_members(con)
        figures["covered_members"] = len(covered)
        if covered:
            figures["report_ms"] = bench_reports(con, settings, rng.choices(covered, k=args.reports))
    finally:
        con.close()
    figures["load_after"] = os.getloadavg()
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True), encoding="utf-8")
    return 0


def print_table(f: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []
    if "build" in f:
        b = f["build"]
        rows += [("build: wall time (imports excluded)", f"{b['build_s']:.1f} s", "-"),
                 ("build: imports (GX, once per process)", f"{b['imports_s']:.1f} s", "-"),
                 ("build: peak RSS of the build process", f"{b['peak_rss_mb']:.0f} MB",
                  f"memory_limit {b.get('memory_limit', '-')} (DuckDB's buffer pool)"),
                 ("build: persons / households", f"{b['tables'].get('person', 0)} / "
                                                 f"{b['tables'].get('household', 0)}", "-")]
    for step, label in (("profile", "profile lookup"), ("profile_reasons", "profile with eligibility reasons"),
                        ("household_of", "household of a member")):
        for kind in ("wall", "CPU"):
            s = f["lookup_ms"][step if kind == "wall" else f"{step}_cpu"]
            rows.append((f"{label}: {kind} p50 / p95 / p99 (n={s['n']})",
                         f"{s['p50']:.2f} / {s['p95']:.2f} / {s['p99']:.2f} ms",
                         f"p95 <= {LOOKUP_P95_MS:.0f} ms" if step == "profile" and kind == "wall" else "-"))
    if "report_ms" in f:
        s = f["report_ms"]
        rows.append((f"verification report: p50 / p95 / max (n={s['n']})",
                     f"{s['p50']:.0f} / {s['p95']:.0f} / {s['max']:.0f} ms", f"<= {REPORT_MS:.0f} ms each"))
    else:
        rows.append(("verification report", "no covered member", f"<= {REPORT_MS:.0f} ms each"))
    rows.append(("load average (1/5/15 min) before / after the runs",
                 " / ".join(" ".join(f"{x:.1f}" for x in f[k]) for k in ("load_before", "load_after")), "-"))
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<28}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<28}  {target}")


if __name__ == "__main__":
    raise SystemExit(main())
