#!/usr/bin/python3
"""End-to-end tuner figure: an experiment through the real server, trials as real processes.

Runs the same experiment (Hartmann-6, minimised, trials computed by awk) with the random sampler
(the anchor: a search that costs nothing) and with TPE, one after the other against the same
server, and prints per phase: wall time, trials/s, slot occupancy, the time from a trial's end to
its replacement's submission (early vs late trials: growth the user would notice), the server's
own search cost (ask and state-save times from `search_cost`), and the best value found. With
--kill-at N the server is killed with SIGKILL once N trials have succeeded and restarted; the
bench then checks that exactly maxTrialCount trials ran, each once, none lost.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Hartmann-6 (minimum -3.32237 at a known point): computed by the trial itself.
HARTMANN6_AWK = r"""
BEGIN {
  split("1.0 1.2 3.0 3.2", al, " ");
  split("10 3 17 3.5 1.7 8 0.05 10 17 0.1 8 14 3 3.5 1.7 10 17 8 17 8 0.05 10 0.1 14", A, " ");
  split("1312 1696 5569 124 8283 5886 2329 4135 8307 3736 1004 9991 2348 1451 3522 2883 3047 6650 4047 8828 8732 5743 1091 381", P, " ");
  x[1]=X1; x[2]=X2; x[3]=X3; x[4]=X4; x[5]=X5; x[6]=X6; y = 0;
  for (i = 1; i <= 4; i++) {
    s = 0;
    for (j = 1; j <= 6; j++) { d = x[j] - P[(i-1)*6+j] * 1e-4; s += A[(i-1)*6+j] * d * d; }
    y -= al[i] * exp(-s);
  }
  printf "loss=%.17g\n", y;
}
"""
HARTMANN6_MIN = -3.32237


def spec(name, algorithm, trials, parallel, sleep, seed):
    params = [{"name": f"x{i}", "type": "float", "low": 0, "high": 1} for i in range(1, 7)]
    assigns = " ".join(f"-v X{i}=${{trialParameters.x{i}}}" for i in range(1, 7))
    script = (f"sleep {sleep}\n" if sleep > 0 else "") + \
        f"awk {assigns} '{HARTMANN6_AWK}'\n"
    return {
        "name": name,
        "objective": {"metric": "loss", "direction": "minimize"},
        "parameters": params,
        "algorithm": {"name": algorithm},
        "seed": seed,
        "parallelTrialCount": parallel,
        "maxTrialCount": trials,
        "trial": {"script": script},
    }


class Api:
    def __init__(self, url, token):
        self.url, self.token = url, token

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())


class Server:
    def __init__(self, corral, data_dir, nodes, gpus_per_node):
        self.corral, self.data_dir = corral, Path(data_dir)
        self.nodes, self.gpus = nodes, gpus_per_node
        self.port, self.proc, self.url = 0, None, None

    def start(self):
        args = [self.corral, "server", "--data-dir", str(self.data_dir), "--port", str(self.port),
                "--admin-token-file", str(self.data_dir / "admin-token"),
                "--simulate-gpus", str(self.gpus), "--simulate-nodes", str(self.nodes),
                "--log-level", "warn"]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if "listening on" in line:
                self.url = line.split("listening on ")[1].split()[0]
                self.port = int(self.url.rsplit(":", 1)[1])
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return
            if not line and self.proc.poll() is not None:
                sys.exit(f"server exited: {(self.data_dir / 'server.log').read_text()[-2000:]}")
        sys.exit("server did not start")

    def api(self):
        return Api(self.url, (self.data_dir / "admin-token").read_text().strip())

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def run_phase(server, name, algorithm, args, kill_at):
    api = server.api()
    t0 = time.time()
    exp = api.call("POST", "/api/v1/experiments",
                   spec(name, algorithm, args.trials, args.parallel, args.sleep, args.seed))
    exp_id = exp["id"]
    killed_at = None
    restart_s = None
    in_flight_samples = []
    while True:
        e = api.call("GET", f"/api/v1/experiments/{exp_id}")
        in_flight_samples.append(e["trials"]["pending"] + e["trials"]["running"])
        if e["state"] != "running":
            break
        if kill_at and killed_at is None and e["trials"]["succeeded"] >= kill_at:
            killed_at = time.time()
            server.kill9()
            server.start()
            api = server.api()
            restart_s = time.time() - killed_at
            continue
        time.sleep(0.1)
    wall = time.time() - t0
    trials = api.call("GET", f"/api/v1/experiments/{exp_id}/trials")["trials"]
    jobs = {j["id"]: j for j in api.call(
        "GET", f"/api/v1/jobs?label=corral.experiment={exp_id}&limit=1000")["jobs"]}

    numbers = [t["number"] for t in trials]
    job_ids = [t["job"] for t in trials]
    params = {json.dumps(t["params"], sort_keys=True) for t in trials}
    problems = []
    if sorted(numbers) != list(range(args.trials)):
        problems.append(f"trial numbers are not 0..{args.trials - 1}")
    if len(set(job_ids)) != len(job_ids) or set(job_ids) != set(jobs):
        problems.append(f"{len(set(job_ids))} distinct trial jobs, {len(jobs)} experiment jobs")
    not_ok = [t for t in trials if t["state"] != "succeeded"]
    if not_ok:
        problems.append(f"{len(not_ok)} trials not succeeded: "
                        f"{sorted({t['state'] for t in not_ok})}")
    if e["state"] != "succeeded":
        problems.append(f"experiment {e['state']}: {e['message']}")

    # Slot refill: a trial submitted after the first wave replaces one that ended; the gap from
    # the latest end before its submission to the submission is what the platform added.
    ends = sorted(ts(j["ended_at"]) for j in jobs.values() if j["ended_at"])
    refill = {}
    busy = 0.0
    for t in trials:
        j = jobs.get(t["job"])
        if not j:
            continue
        a = j["attempts"][-1] if j["attempts"] else None
        if a and a["started_at"] and a["ended_at"]:
            busy += ts(a["ended_at"]) - ts(a["started_at"])
        if t["number"] < args.parallel:
            continue
        sub = ts(j["submitted_at"])
        before = [x for x in ends if x <= sub + 1e-6]
        if before:
            refill[t["number"]] = sub - before[-1]
    if killed_at is not None:
        # Trials submitted around the restart measure the restart, not the search.
        for n in list(refill):
            sub = ts(jobs[job_ids[numbers.index(n)]]["submitted_at"])
            if killed_at - 1 <= sub <= killed_at + (restart_s or 0) + 2:
                del refill[n]
    n_window = min(100, max(1, args.trials // 8))
    early = [refill[n] * 1e3 for n in sorted(refill)[:n_window]]
    late = [refill[n] * 1e3 for n in sorted(refill)[-n_window:]]
    best = min((t["objective"] for t in trials if t.get("objective") is not None),
               default=float("nan"))
    cost = e.get("search_cost", {})
    return {
        "phase": name, "algorithm": algorithm, "trials": len(trials), "wall_s": wall,
        "trials_per_s": len(trials) / wall,
        "occupancy": busy / (args.parallel * wall),
        "max_in_flight": max(in_flight_samples),
        "refill_ms_p50_early": pct(early, 0.5), "refill_ms_p95_early": pct(early, 0.95),
        "refill_ms_p50_late": pct(late, 0.5), "refill_ms_p95_late": pct(late, 0.95),
        "ask_ms_mean": cost.get("ask_ms_mean"), "ask_ms_max": cost.get("ask_ms_max"),
        "ask_ms_last": cost.get("ask_ms_last"), "save_ms_mean": cost.get("save_ms_mean"),
        "save_ms_last": cost.get("save_ms_last"), "save_ms_max": cost.get("save_ms_max"),
        "best": best, "regret": best - HARTMANN6_MIN,
        "killed": killed_at is not None, "restart_s": restart_s,
        "distinct_params": len(params), "problems": problems,
    }


def fmt(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corral", default=str(ROOT / "build" / "corral"))
    ap.add_argument("--trials", type=int, default=800)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--gpus-per-node", type=int, default=8)
    ap.add_argument("--sleep", type=float, default=0.5, help="seconds each trial sleeps")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--algorithms", default="random,tpe")
    ap.add_argument("--kill-at", type=int, default=-1,
                    help="kill -9 the server once this many trials succeeded in the last phase "
                         "(default: half of --trials; 0: never)")
    ap.add_argument("--out", help="write the figures as JSON here")
    args = ap.parse_args()
    kill_at = args.trials // 2 if args.kill_at < 0 else args.kill_at

    data = Path(tempfile.mkdtemp(prefix="corral-bench-exp-"))
    server = Server(args.corral, data, args.nodes, args.gpus_per_node)
    server.start()
    results = []
    try:
        algorithms = args.algorithms.split(",")
        for i, algorithm in enumerate(algorithms):
            last = i == len(algorithms) - 1
            results.append(run_phase(server, f"bench-{algorithm}", algorithm, args,
                                     kill_at if last else 0))
    finally:
        server.stop()

    print(f"# Experiment end to end: {args.trials} trials, {args.parallel} in parallel, "
          f"{args.nodes}x{args.gpus_per_node} simulated GPUs, trial = sleep {args.sleep} s + "
          f"Hartmann-6 in awk; cpus {os.cpu_count()}\n")
    cols = ["algorithm", "trials", "wall_s", "trials_per_s", "occupancy", "max_in_flight",
            "refill_ms_p50_early", "refill_ms_p95_early", "refill_ms_p50_late",
            "refill_ms_p95_late", "ask_ms_mean", "ask_ms_last", "ask_ms_max", "save_ms_mean",
            "save_ms_last", "best", "regret", "killed", "restart_s", "distinct_params"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
    print()
    anchor = results[0]
    for r in results[1:]:
        print(f"- {r['algorithm']} vs {anchor['algorithm']} (anchor, same run): refill p50 late "
              f"{fmt(r['refill_ms_p50_late'])} ms vs {fmt(anchor['refill_ms_p50_late'])} ms; "
              f"late/early refill p50 {fmt(r['refill_ms_p50_late'] / max(r['refill_ms_p50_early'], 1e-9))}x; "
              f"regret {fmt(r['regret'])} vs {fmt(anchor['regret'])}")
    failed = False
    for r in results:
        if r["problems"]:
            failed = True
            print(f"- {r['algorithm']}: PROBLEMS: " + "; ".join(r["problems"]))
        else:
            print(f"- {r['algorithm']}: {r['trials']} trials, each once, all succeeded"
                  + (f" (server killed -9 mid-run, back in {r['restart_s']:.1f} s)"
                     if r["killed"] else ""))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
