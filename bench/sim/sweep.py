#!/usr/bin/python3
"""Sweeps `corral simulate` over traces x cluster sizes x seeds and counts the targets that hold.

Traces: windows of the Philly trace (several start times: the "seeds" of a recorded trace) and
synthetic traces from gen_trace.py (one per seed). Cluster sizes: --scales times the trace's
*demand* D, in nodes of --gpus-per-node GPUs, rounded up, and never fewer nodes than the largest
gang needs (so that every job can run somewhere):

    D = (1 / W) * sum over jobs of gpus * |[submit, submit + duration) ∩ [from, to)|

the average number of GPUs busy over the window [from, to) (length W) if every job started at
its submission. A cluster of D GPUs is fully used on average by that ideal schedule; x0.75 is
overloaded (queues grow over the window), x1.5 has room, and every policy must still queue
gangs in the bursts.

Every cell runs corral, fifo, greedy and easy (oracle estimates) in one `corral simulate` and
checks corral's schedule with scripts/check_schedule.py. Targets per cell:

  jct     corral avg JCT <= min(greedy, EASY)
  wait    corral max wait <= FIFO's
  allocF  corral's GPU allocation while some waiting job's gang fits in the free GPUs >= 98%
          (time-weighted over the moments when at least one waiting trace job's gang could be
          placed on the GPUs free then, each replica within one node, ignoring reservations,
          the drain guard and queue limits; 100% when there was no such moment)
  allocW  corral's GPU allocation while jobs wait, counting idle GPUs only where a waiting job
          fits: 1 - (GPU-time idle at the moments allocF covers) / (GPU-time of the cluster while
          trace jobs wait) >= 98%. allocF is a conditional average: a policy that shortens the
          moments when work that fits waits (or, like greedy, has none) is not credited for it,
          and a few seconds with a node held idle weigh as much as hours; allocW weighs the idle
          capacity by how long it lasted against the whole waiting time.
  ok      the run completes (no crash, no invariant violation) and the checker finds nothing

The summary says in how many cells each target holds, against the goal of >= 90% of the cells
for jct and wait (and allocF), and 100% for ok.
"""

import argparse
import csv
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
POLICIES = ["corral", "fifo", "greedy", "easy"]


def read_trace(path, t_from, t_to):
    jobs = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            try:
                s = float(r["submit_s"])
                d = float(r["duration_s"])
                g = int(float(r["gpus"]))
            except ValueError:
                continue
            if (t_from is None or s >= t_from) and (t_to is None or s < t_to):
                jobs.append((s, d, g))
    return jobs


def demand(jobs, t_from, t_to):
    w = t_to - t_from
    busy = sum(g * max(0.0, min(s + d, t_to) - max(s, t_from)) for s, d, g in jobs)
    return busy / w


def run_cell(args, cell, trace, t_from, t_to, nodes):
    out = Path(args.out) / cell
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "summary.csv"
    cmd = [args.corral, "simulate", "--trace", str(trace), "--from", repr(t_from), "--to",
           repr(t_to), "--nodes", str(nodes), "--gpus-per-node", str(args.gpus_per_node),
           "--policies", ",".join(POLICIES), "--out-dir", str(out), "--summary-csv",
           str(summary)] + args.corral_flags.split()
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout_s)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {args.timeout_s} s", time.monotonic() - t0
    wall = time.monotonic() - t0
    (out / "stdout.txt").write_text(p.stdout + p.stderr)
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {p.stderr.strip()[-300:]}", wall
    rows = {r["policy"]: r for r in csv.DictReader(open(summary))}
    c = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_schedule.py"),
                        str(out / "corral_segments.csv"), "--jobs", str(out / "corral.csv"),
                        "--nodes", str(nodes), "--gpus-per-node", str(args.gpus_per_node)],
                       capture_output=True, text=True)
    if c.returncode != 0:
        return rows, "schedule check: " + c.stdout.strip().splitlines()[-1], wall
    if not args.keep_csv:
        for f in out.glob("*.csv"):
            if f.name != "summary.csv":
                f.unlink()
    return rows, None, wall


def main():
    p = argparse.ArgumentParser(description="Scheduler sweep (see the module docstring).")
    p.add_argument("--corral", default=str(ROOT / "build" / "corral"))
    p.add_argument("--philly", default=str(ROOT.parent / "shared" / "data" / "traces" /
                                           "philly.csv"))
    p.add_argument("--out", default=str(ROOT / "build" / "bench-sim"))
    p.add_argument("--window-days", type=float, default=3.0)
    p.add_argument("--philly-from", default="2.5e6,3.0e6,4.0e6,5.0e6,6.0e6",
                   help="comma list of window starts (submit_s) in the Philly trace")
    p.add_argument("--synthetic-seeds", default="1,2,3")
    p.add_argument("--scales", default="0.75,1,1.5")
    p.add_argument("--gpus-per-node", type=int, default=8)
    p.add_argument("--timeout-s", type=float, default=900)
    p.add_argument("--corral-flags", default="",
                   help="more `corral simulate` options, e.g. '--starvation-age-h 8' (they "
                        "change the corral policy only)")
    p.add_argument("--keep-csv", action="store_true", help="keep per-job and segment CSVs")
    a = p.parse_args()

    out = Path(a.out)
    (out / "traces").mkdir(parents=True, exist_ok=True)
    window = a.window_days * 86400.0
    traces = []  # (name, path, from, to)
    if a.philly_from and os.path.exists(a.philly):
        for f in a.philly_from.split(","):
            start = float(f)
            traces.append((f"philly@{start:.0f}", a.philly, start, start + window))
    elif a.philly_from:
        print(f"note: {a.philly} not found, Philly windows skipped")
    for seed in [s for s in a.synthetic_seeds.split(",") if s]:
        path = out / "traces" / f"synthetic-{seed}.csv"
        subprocess.run([sys.executable, str(HERE / "gen_trace.py"), "--seed", seed, "--days",
                        str(a.window_days), "--out", str(path)], check=True)
        traces.append((f"synth-s{seed}", str(path), 0.0, window))

    results = []
    for name, path, t_from, t_to in traces:
        jobs = read_trace(path, t_from, t_to)
        d = demand(jobs, t_from, t_to)
        largest = max((g for _, _, g in jobs), default=1)
        for scale in [float(x) for x in a.scales.split(",")]:
            nodes = max(math.ceil(scale * d / a.gpus_per_node),
                        math.ceil(largest / a.gpus_per_node), 1)
            cell = f"{name}-x{scale:g}"
            rows, error, wall = run_cell(a, cell, path, t_from, t_to, nodes)
            results.append((cell, len(jobs), d, nodes, rows, error))
            print(f"\n== {cell}: {len(jobs)} jobs, demand {d:.0f} GPUs, {nodes} nodes x "
                  f"{a.gpus_per_node} ({wall:.0f} s)")
            if rows:
                print(f"   {'policy':8} {'avgJCT h':>9} {'maxW h':>8} {'8+GPU W':>8} "
                      f"{'allocQ':>7} {'allocF':>7} {'fit%':>6} {'allocW':>7}")
                for pol in POLICIES:
                    r = rows.get(pol)
                    if r:
                        print(f"   {pol:8} {float(r['avg_jct_h']):9.2f} "
                              f"{float(r['max_wait_h']):8.2f} {float(r['big_avg_wait_h']):8.2f} "
                              f"{100 * float(r['alloc_q']):6.1f}% "
                              f"{100 * float(r['alloc_fit']):6.1f}% "
                              f"{100 * float(r['fit_share']):5.1f}% "
                              f"{100 * alloc_w(r):6.2f}%")
            if error:
                print(f"   FAILED: {error}")
            elif rows:
                t = targets(rows)
                print("   " + "  ".join(f"{k} {'MET' if v else 'MISSED'}" for k, v in t.items()))

    write_results(out / "results.csv", results)
    summarize(results)


def alloc_w(r):
    return float(r["alloc_where_fit"])


def targets(rows):
    c, fifo, greedy, easy = (rows[p] for p in POLICIES)
    f = lambda r, k: float(r[k])  # noqa: E731
    return {
        "jct": f(c, "avg_jct_h") <= min(f(greedy, "avg_jct_h"), f(easy, "avg_jct_h")),
        "wait": f(c, "max_wait_h") <= f(fifo, "max_wait_h"),
        "allocF": f(c, "alloc_fit") >= 0.98,
        "allocW": alloc_w(c) >= 0.98,
    }


def write_results(path, results):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cell", "jobs", "demand_gpus", "nodes", "error"] +
                   [f"{p}_{k}" for p in POLICIES for k in
                    ("avg_jct_h", "max_wait_h", "big_avg_wait_h", "alloc_q", "alloc_fit",
                     "fit_share", "alloc_where_fit")])
        for cell, jobs, d, nodes, rows, error in results:
            vals = []
            for p in POLICIES:
                r = (rows or {}).get(p, {})
                vals += [r.get(k, "") for k in ("avg_jct_h", "max_wait_h", "big_avg_wait_h",
                                                "alloc_q", "alloc_fit", "fit_share", "alloc_where_fit")]
            w.writerow([cell, jobs, f"{d:.1f}", nodes, error or ""] + vals)


def summarize(results):
    n = len(results)
    ok = [r for r in results if r[5] is None and r[4]]
    counts = {"jct": 0, "wait": 0, "allocF": 0, "allocW": 0}
    for _, _, _, _, rows, _ in ok:
        for k, v in targets(rows).items():
            counts[k] += v
    print(f"\n== summary over {n} cells")
    print(f"   ok      {len(ok)}/{n} cells ran and passed the schedule check (goal: all) "
          f"{'MET' if len(ok) == n else 'MISSED'}")
    for k, label in (("jct", "avg JCT <= min(greedy, EASY)"), ("wait", "max wait <= FIFO"),
                     ("allocF", "allocation while a waiting gang fits >= 98%"),
                     ("allocW", "allocation while jobs wait, idle counted where a gang fits, "
                                ">= 98%")):
        share = counts[k] / n if n else 0
        print(f"   {k:7} {counts[k]}/{n} cells ({100 * share:.0f}%) {label} (goal: >= 90%) "
              f"{'MET' if share >= 0.9 else 'MISSED'}")
    both = sum(1 for _, _, _, _, rows, _ in ok if all(targets(rows).values()))
    print(f"   all four in {both}/{n} cells")


if __name__ == "__main__":
    main()
