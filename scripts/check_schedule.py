#!/usr/bin/python3
"""Checks a replayed schedule from its run segments alone (`corral simulate --out-dir` writes
<policy>_segments.csv), independently of the simulator's own invariant checks.

Checks:
  * no GPU (node:gpu) is in two segments at once (segments hold their GPUs over [start, end));
  * each segment holds exactly `gpus` distinct GPUs, and ends no earlier than it starts;
  * each job's segments do not overlap, only its last one may have finished, every earlier one
    was preempted, and its first one has no restart cost;
  * each finished job's useful run time adds up to its duration: a finished segment contributes
    end - start - restart_cost, a preempted one max(0, sigterm - start - restart_cost) (progress
    is kept up to the SIGTERM; the grace period after it and the restart cost are lost);
  * with --jobs <policy>.csv: every job that finished there has segments, its first segment starts
    at its start_s, its last ends at its end_s, and none starts before its submission;
  * with --nodes/--gpus-per-node: every GPU exists.

Jobs still running when the replay stopped (ended = cut; filler trials) are checked for overlap
only. Prints one line per violation (at most --max-errors) and exits 1 if there is any.
Python standard library only: run it with /usr/bin/python3 or any python3.
"""

import argparse
import csv
import sys
from collections import defaultdict

# Times are written to the millisecond; sums of many segments may differ by rounding.
EPS = 1e-6


def load_segments(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    segments = []
    for i, r in enumerate(rows, start=2):
        devices = [d for d in r["devices"].split(";") if d] if r["devices"] else []
        segments.append(
            {
                "line": i,
                "job": int(r["job"]),
                "trace_id": r["trace_id"],
                "kind": r["kind"],
                "attempt": int(r["attempt"]),
                "start": float(r["start_s"]),
                "end": float(r["end_s"]),
                "ended": r["ended"],
                "sigterm": float(r["sigterm_s"]),
                "restart": float(r["restart_cost_s"]),
                "duration": float(r["duration_s"]),
                "gpus": int(r["gpus"]),
                "devices": devices,
            }
        )
    return segments


def check(segments, jobs_csv=None, nodes=None, gpus_per_node=None):
    errors = []
    by_gpu = defaultdict(list)
    by_job = defaultdict(list)
    for s in segments:
        where = f"line {s['line']} (job {s['job']}, attempt {s['attempt']})"
        if s["end"] < s["start"] - EPS:
            errors.append(f"{where}: ends at {s['end']} before it starts at {s['start']}")
        if len(set(s["devices"])) != len(s["devices"]):
            errors.append(f"{where}: a GPU listed twice: {';'.join(s['devices'])}")
        if len(s["devices"]) != s["gpus"]:
            errors.append(f"{where}: holds {len(s['devices'])} GPUs, the job needs {s['gpus']}")
        for d in s["devices"]:
            node, _, gpu = d.partition(":")
            if nodes is not None and not 0 <= int(node) < nodes:
                errors.append(f"{where}: node {node} does not exist")
            if gpus_per_node is not None and not 0 <= int(gpu) < gpus_per_node:
                errors.append(f"{where}: GPU {d} does not exist")
            by_gpu[d].append(s)
        by_job[s["job"]].append(s)

    for gpu, segs in by_gpu.items():
        segs.sort(key=lambda s: (s["start"], s["end"]))
        latest = None  # the segment holding the GPU longest so far
        for s in segs:
            if latest is not None and s["start"] < latest["end"] - EPS:
                errors.append(
                    f"GPU {gpu}: job {s['job']} (line {s['line']}) starts at {s['start']} while "
                    f"job {latest['job']} (line {latest['line']}) holds it until {latest['end']}"
                )
            if latest is None or s["end"] > latest["end"]:
                latest = s

    finished_jobs = {}
    for job, segs in by_job.items():
        segs.sort(key=lambda s: s["attempt"])
        last = segs[-1]
        if segs[0]["restart"] > EPS:
            errors.append(f"job {job}: first attempt has a restart cost of {segs[0]['restart']} s")
        for a, b in zip(segs, segs[1:]):
            if b["start"] < a["end"] - EPS:
                errors.append(f"job {job}: attempt {b['attempt']} starts before attempt "
                              f"{a['attempt']} ends")
        for s in segs[:-1]:
            if s["ended"] != "preempted":
                errors.append(f"job {job}: attempt {s['attempt']} {s['ended']} but another follows")
        for s in segs:
            if s["ended"] == "preempted" and not s["start"] - EPS <= s["sigterm"] <= s["end"] + EPS:
                errors.append(f"job {job}: attempt {s['attempt']} SIGTERM at {s['sigterm']} "
                              f"outside [{s['start']}, {s['end']}]")
        if last["ended"] != "finished":
            continue
        useful = 0.0
        for s in segs:
            if s["ended"] == "finished":
                useful += s["end"] - s["start"] - s["restart"]
            else:
                useful += max(0.0, s["sigterm"] - s["start"] - s["restart"])
        tolerance = 1e-3 * len(segs) + EPS
        if abs(useful - last["duration"]) > tolerance:
            errors.append(f"job {job}: useful run time {useful:.3f} s, its duration is "
                          f"{last['duration']:.3f} s ({len(segs)} segments)")
        finished_jobs[job] = segs

    if jobs_csv:
        with open(jobs_csv, newline="") as f:
            for i, r in enumerate(csv.DictReader(f), start=2):
                if float(r["end_s"]) < 0:
                    continue
                segs = finished_jobs.get(int(r["job"]))
                where = f"{jobs_csv}:{i} (job {r['job_id']})"
                if segs is None:
                    errors.append(f"{where}: finished but has no finished segments")
                    continue
                # The per-job CSV has 0.1 s resolution.
                if abs(segs[0]["start"] - float(r["start_s"])) > 0.051:
                    errors.append(f"{where}: start_s {r['start_s']}, first segment "
                                  f"{segs[0]['start']}")
                if abs(segs[-1]["end"] - float(r["end_s"])) > 0.051:
                    errors.append(f"{where}: end_s {r['end_s']}, last segment {segs[-1]['end']}")
                if segs[0]["start"] < float(r["submit_s"]) - 0.051:
                    errors.append(f"{where}: starts before its submission")
    return errors


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("segments", help="<policy>_segments.csv")
    p.add_argument("--jobs", help="<policy>.csv of the same run, to cross-check")
    p.add_argument("--nodes", type=int)
    p.add_argument("--gpus-per-node", type=int)
    p.add_argument("--max-errors", type=int, default=20)
    a = p.parse_args()
    segments = load_segments(a.segments)
    errors = check(segments, a.jobs, a.nodes, a.gpus_per_node)
    for e in errors[: a.max_errors]:
        print(e)
    if len(errors) > a.max_errors:
        print(f"... and {len(errors) - a.max_errors} more")
    jobs = len({s["job"] for s in segments})
    preempted = sum(1 for s in segments if s["ended"] == "preempted")
    print(f"{a.segments}: {len(segments)} segments of {jobs} jobs ({preempted} preempted): "
          f"{'OK' if not errors else f'{len(errors)} violations'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
