#!/usr/bin/env python3
"""Workflow engine figures against a real server (make bench-workflow):

1. step finished -> dependent step started: p50/p99 over a long chain and a wide DAG, from the
   nodes' finished_at/started_at (anchor: Argo's ~10 s per step; target p50 <= 50 ms,
   p99 <= 200 ms);
2. a 1,000-way fan-out/fan-in: time to complete;
3. a 10,000-node workflow: server RSS above idle (target <= 100 MB);
4. kill -9 of the server mid-workflow: it resumes, and no step is lost or run twice (each step
   appends its name to a file; every name must be there exactly once).

Sizes shrink with --quick for a smoke run. Nothing here asserts timing; it prints figures.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

from run_argo import Api, Server  # noqa: E402

ARGO_STEP_SECONDS = 10.0  # Argo's usual pod-per-step overhead, the anchor for the latency figures


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def container(name, command, inputs=None):
    t = {"name": name, "container": {"image": "alpine:3", "command": command}}
    if inputs:
        t["inputs"] = {"parameters": [{"name": n} for n in inputs]}
    return t


def workflow(name, tasks, templates, parallelism=None):
    spec = {"entrypoint": "main",
            "templates": [{"name": "main", "dag": {"tasks": tasks}}] + templates}
    if parallelism:
        spec["parallelism"] = parallelism
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": name + "-"}, "spec": spec}


def submit_and_wait(api, doc, timeout, poll=0.5):
    began = time.monotonic()
    created = api.call("POST", "/workflows", doc)
    while True:
        wf = api.call("GET", f"/workflows/{created['id']}")
        if wf.get("phase") in ("Succeeded", "Failed", "Error"):
            return wf, time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{doc['metadata']['generateName']} still {wf.get('phase')} "
                               f"after {timeout}s ({wf.get('progress')})")
        time.sleep(poll)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100.0 * len(s) + 0.5)) - 1))]


def gaps(wf, edges):
    """Seconds from each parent's finished_at to its dependent's started_at, by display name."""
    by_name = {n.get("display_name"): n for n in wf.get("nodes", [])}
    out = []
    for parent, child in edges:
        p, c = by_name.get(parent), by_name.get(child)
        if p and c and p.get("finished_at") and c.get("started_at"):
            out.append(ts(c["started_at"]) - ts(p["finished_at"]))
    return out


def latency(api, chain_len, width, timeout):
    tmpl = [container("noop", ["true"])]
    chain = [{"name": f"s{i}", "template": "noop", **({"depends": f"s{i - 1}"} if i else {})}
             for i in range(chain_len)]
    wf, took = submit_and_wait(api, workflow("bench-chain", chain, tmpl), timeout)
    chain_gaps = gaps(wf, [(f"s{i - 1}", f"s{i}") for i in range(1, chain_len)])
    wide = [{"name": "root", "template": "noop"}]
    wide += [{"name": f"w{i}", "template": "noop", "depends": "root"} for i in range(width)]
    wide += [{"name": "join", "template": "noop",
              "depends": " && ".join(f"w{i}" for i in range(width))}]
    wf2, took2 = submit_and_wait(api, workflow("bench-wide", wide, tmpl), timeout)
    wide_gaps = gaps(wf2, [("root", f"w{i}") for i in range(width)])
    # The join waits for the last of the wide tasks.
    by_name = {n.get("display_name"): n for n in wf2.get("nodes", [])}
    last = max((ts(by_name[f"w{i}"]["finished_at"]) for i in range(width)
                if by_name.get(f"w{i}", {}).get("finished_at")), default=None)
    if last and by_name.get("join", {}).get("started_at"):
        wide_gaps.append(ts(by_name["join"]["started_at"]) - last)
    return {"chain": (wf["phase"], took, chain_gaps), "wide": (wf2["phase"], took2, wide_gaps)}


def fan_out(api, width, timeout, parallelism=None):
    tasks = [{"name": "start", "template": "noop"},
             {"name": "fan", "template": "noop", "depends": "start",
              "withSequence": {"count": str(width)}},
             {"name": "join", "template": "noop", "depends": "fan"}]
    doc = workflow(f"bench-fan{width}", tasks, [container("noop", ["true"])], parallelism)
    wf, took = submit_and_wait(api, doc, timeout, poll=1.0)
    pods = sum(1 for n in wf.get("nodes", []) if n.get("type") == "Pod")
    span = (ts(wf["finished_at"]) - ts(wf["started_at"])) if wf.get("started_at") and \
        wf.get("finished_at") else took
    return wf["phase"], span, pods, len(wf.get("nodes", []))


class RssSampler:
    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_kib(pid):
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.rss_kib(self.pid))
            except OSError:
                return
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def kill9(server_bin, data_dir, steps, step_seconds, timeout):
    """A chain whose steps append their name to a file; the server is killed with SIGKILL when
    about half have run, then started again on the same data directory."""
    # Outside /tmp: each step sees a private /tmp of its own.
    marks = Path(tempfile.mkdtemp(prefix="corral-bench-marks-", dir="/var/tmp"))
    os.chmod(marks, 0o777)
    log = marks / "ran.txt"
    log.touch()
    os.chmod(log, 0o666)
    tmpl = [container("mark", ["sh", "-c",
                               f"echo {{{{inputs.parameters.i}}}} >> {log}; sleep {step_seconds}"],
                      inputs=["i"])]
    tasks = [{"name": f"s{i}", "template": "mark",
              "arguments": {"parameters": [{"name": "i", "value": f"s{i}"}]},
              **({"depends": f"s{i - 1}"} if i else {})} for i in range(steps)]
    server = Server(server_bin, data_dir).start()
    api = Api(server.url, server.token)
    created = api.call("POST", "/workflows", workflow("bench-kill9", tasks, tmpl))
    deadline = time.monotonic() + timeout
    while len(log.read_text().split()) < steps // 2 and time.monotonic() < deadline:
        if api.call("GET", f"/workflows/{created['id']}").get("phase") in ("Succeeded", "Failed",
                                                                         "Error"):
            break
        time.sleep(0.05)
    killed_after = len(log.read_text().split())
    os.kill(server.proc.pid, 9)
    server.proc.wait()
    restart = time.monotonic()
    server = Server(server_bin, data_dir).start()
    api = Api(server.url, server.token)
    try:
        while True:
            wf = api.call("GET", f"/workflows/{created['id']}")
            if wf.get("phase") in ("Succeeded", "Failed", "Error"):
                break
            if time.monotonic() > deadline:
                wf["phase"] = f"still {wf.get('phase')} at the deadline"
                break
            time.sleep(0.2)
    finally:
        server.stop()
    runs = log.read_text().split()
    shutil.rmtree(marks, ignore_errors=True)
    counts = {f"s{i}": runs.count(f"s{i}") for i in range(steps)}
    lost = [k for k, v in counts.items() if v == 0]
    twice = [k for k, v in counts.items() if v > 1]
    return wf["phase"], killed_after, time.monotonic() - restart, lost, twice


def main():
    ap = argparse.ArgumentParser(description="workflow engine benchmark")
    ap.add_argument("--corral", type=Path,
                    default=Path(os.environ.get("CORRAL_BUILD_DIR", ROOT / "build")) / "corral")
    ap.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    ap.add_argument("--chain", type=int, default=200)
    ap.add_argument("--width", type=int, default=200)
    ap.add_argument("--fan", type=int, default=1000)
    ap.add_argument("--big", type=int, default=10000)
    ap.add_argument("--big-parallelism", type=int, default=64)
    ap.add_argument("--kill-steps", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    if args.quick:
        args.chain, args.width, args.fan, args.big, args.kill_steps = 20, 20, 100, 500, 10

    os.umask(0)
    scratch = Path(tempfile.mkdtemp(prefix="corral-bench-workflow-"))
    os.chmod(scratch, 0o777)
    results = {}
    try:
        server = Server(args.corral, scratch / "data").start()
        api = Api(server.url, server.token)
        try:
            time.sleep(2)
            idle_kib = RssSampler.rss_kib(server.proc.pid)
            print(f"server idle RSS: {idle_kib / 1024:.1f} MB")

            lat = latency(api, args.chain, args.width, args.timeout)
            # The headline is the chain: one dependent per finished step. In the wide DAG every
            # dependent of the root starts at once, so its gaps also measure how fast the host
            # starts that many processes; it is printed beside.
            all_gaps = list(lat["chain"][2])
            for kind, (phase, took, g) in lat.items():
                if g:
                    print(f"latency {kind}: {phase} in {took:.1f}s; finished->started over "
                          f"{len(g)} edges: p50 {pct(g, 50) * 1000:.0f} ms, "
                          f"p99 {pct(g, 99) * 1000:.0f} ms, max {max(g) * 1000:.0f} ms")
                else:
                    print(f"latency {kind}: {phase} in {took:.1f}s; no timestamps to measure")
            if all_gaps:
                p50, p99 = pct(all_gaps, 50) * 1000, pct(all_gaps, 99) * 1000
                print(f"step finished -> dependent started (chain): p50 {p50:.0f} ms "
                      f"(target <= 50), "
                      f"p99 {p99:.0f} ms (target <= 200); Argo ~{ARGO_STEP_SECONDS * 1000:.0f} ms "
                      f"per step: {ARGO_STEP_SECONDS * 1000 / max(p50, 1):.0f}x")
                results["latency_ms"] = {"p50": p50, "p99": p99, "edges": len(all_gaps)}

            phase, span, pods, nodes = fan_out(api, args.fan, args.timeout)
            print(f"fan-out/fan-in {args.fan}: {phase} in {span:.1f}s ({pods} pods, {nodes} nodes)"
                  f"; Argo at ~{ARGO_STEP_SECONDS:.0f} s per step and unbounded parallelism "
                  f"needs >= {3 * ARGO_STEP_SECONDS:.0f} s")
            results["fan"] = {"phase": phase, "seconds": span, "pods": pods, "nodes": nodes}

            with RssSampler(server.proc.pid) as rss:
                phase, span, pods, nodes = fan_out(api, args.big, args.timeout,
                                                   parallelism=args.big_parallelism)
            above = (rss.peak - idle_kib) / 1024
            print(f"{nodes}-node workflow: {phase} in {span:.1f}s; server peak RSS "
                  f"{rss.peak / 1024:.1f} MB, {above:.1f} MB above idle (target <= 100 MB)")
            results["big"] = {"phase": phase, "seconds": span, "nodes": nodes,
                              "rss_above_idle_mb": above}
        finally:
            server.stop()

        phase, killed_after, resumed_in, lost, twice = kill9(
            args.corral, scratch / "kill9-data", args.kill_steps, 0.3, args.timeout)
        print(f"kill -9 after {killed_after}/{args.kill_steps} steps: {phase} "
              f"{resumed_in:.1f}s after restart; lost {lost or 'none'}, run twice "
              f"{twice or 'none'}")
        results["kill9"] = {"phase": phase, "killed_after": killed_after, "lost": lost,
                            "twice": twice}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
