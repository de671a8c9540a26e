#!/usr/bin/env python3
"""bench/slurm: Corral on Slurm against Slurm alone, side by side in one run, on the project's
two-node test cluster (tests/slurm/start-cluster.sh; needs root).

  1. N trivial jobs straight through `sbatch` (one serial client), then the same N through a
     Corral server with `--executor slurm` (one serial API client), on the same CPU slots: end to
     end time of each and Corral's overhead per job beyond Slurm's own (target <= 50 ms).
  2. Placement: jobs of 1-4 GPUs then an 8-GPU job; how often Slurm ran a replica exactly where
     Corral placed it, and whether the 8-GPU job started without waiting (packing held).
  3. An 8-GPU DDP job across 2 nodes (2 replicas x 4 GPUs, torchrun with 4 processes each):
     every rank 0..7 reports, weights agree.
  4. kill -9 of the server while Slurm runs M jobs; after a restart every job ends exactly once.

Usage: bench/slurm/run.py [--build build] [--jobs 2000] [--kill-jobs 300]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def sh(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, check=True, **kw).stdout


class Server:
    def __init__(self, corral, data, spool, prefix):
        self.corral, self.data, self.spool, self.prefix = corral, data, spool, prefix
        self.proc, self.url, self.port = None, None, 0

    def start(self):
        args = [self.corral, "server", "--data-dir", str(self.data), "--port", str(self.port),
                "--admin-token-file", str(self.data / "token"), "--log-level", "warn",
                "--executor", "slurm", "--slurm-spool-dir", str(self.spool),
                "--slurm-job-prefix", self.prefix, "--slurm-poll-interval", "0.2",
                "--kill-grace", "2"]
        self.data.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=open(self.data / "server.log", "ab"),
                                     start_new_session=True)
        while True:
            line = self.proc.stdout.readline().decode()
            if not line and self.proc.poll() is not None:
                sys.exit(f"server exited: {(self.data / 'server.log').read_text()[-2000:]}")
            if "listening on" in line:
                self.url = line.split("listening on ")[1].split()[0]
                self.port = int(self.url.rsplit(":", 1)[1])
                break
        import threading
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.token = (self.data / "token").read_text().strip()

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")

    def jobs(self, state=None):
        q = "?limit=100000" + (f"&state={state}" if state else "")
        r = self.call("GET", "/api/v1/jobs" + q)
        return r["jobs"] if isinstance(r, dict) else r

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def wait_all(server, ids, timeout):
    """Waits until no job is active, then reads each of `ids`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = server.call("GET", "/api/v1/jobs?state=pending,starting,running,preempted&limit=1")
        if not r["jobs"]:
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"jobs still active after {timeout}s")
    return {i: server.call("GET", f"/api/v1/jobs/{i}") for i in ids}


def slurm_direct(n, marker):
    name = f"corral-bench-direct-{os.getpid()}"
    t0 = time.time()
    for _ in range(n):
        sh("sbatch", "--parsable", "-J", name, "-c", "1", "--no-requeue", "-o", "/dev/null",
           "--wrap", f"echo $SLURM_JOB_ID >> {marker}")
    t1 = time.time()
    while sh("squeue", "-h", "-n", name, "-o", "%i").strip():
        time.sleep(0.1)
    t2 = time.time()
    return t1 - t0, t2 - t0


def corral_jobs(server, n, marker, kill_at=None):
    ids = []
    t0 = time.time()
    for i in range(n):
        j = server.call("POST", "/api/v1/jobs",
                        {"command": ["sh", "-c", f"echo $CORRAL_JOB_ID >> {marker}"],
                         "resources": {"cpus": 1}})
        ids.append(j["id"])
        if kill_at is not None and i + 1 == kill_at:
            server.kill9()
            server.start()
    t1 = time.time()
    deadline = time.time() + max(600, n)
    while server.call("GET", "/api/v1/jobs?state=pending,starting,running,preempted&limit=1")["jobs"]:
        if time.time() > deadline:
            raise SystemExit("jobs still active")
        time.sleep(0.1)
    t2 = time.time()
    done = wait_all(server, ids, 60)
    return ids, done, t1 - t0, t2 - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--kill-jobs", type=int, default=300)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/slurm needs root (it starts the test cluster)")
    corral = str((REPO / a.build / "corral").resolve())
    print("== cluster:", sh(str(REPO / "tests/slurm/start-cluster.sh")).strip().splitlines()[-1])
    work = Path(tempfile.mkdtemp(prefix="corral-bench-slurm-"))
    work.chmod(0o777)
    spool = work / "spool"
    spool.mkdir()
    spool.chmod(0o711)
    server = Server(corral, work / "data", spool, f"corral-bench-{os.getpid()}")
    server.start()
    try:
        # ---- 1. overhead
        print(f"== {a.jobs} trivial jobs: sbatch directly, then through Corral (same 32 CPU slots)")
        m1 = work / "direct.runs"
        m1.touch(); m1.chmod(0o666)
        s_submit, s_total = slurm_direct(a.jobs, m1)
        m2 = work / "corral.runs"
        m2.touch(); m2.chmod(0o666)
        ids, done, c_submit, c_total = corral_jobs(server, a.jobs, m2)
        ok = sum(1 for j in done.values() if j["state"] == "succeeded")
        overhead_ms = (c_total - s_total) / a.jobs * 1000
        print(f"  Slurm alone : {a.jobs / s_submit:7.1f} accepted/s, all done in {s_total:6.1f} s "
              f"({a.jobs / s_total:.1f} jobs/s)")
        print(f"  Corral+Slurm: {a.jobs / c_submit:7.1f} accepted/s, all done in {c_total:6.1f} s "
              f"({a.jobs / c_total:.1f} jobs/s), {ok}/{a.jobs} succeeded")
        print(f"  Corral overhead per job beyond Slurm's own: {overhead_ms:.1f} ms "
              f"(target <= 50 ms) -> {'OK' if overhead_ms <= 50 else 'MISSED'}")

        # ---- 2. placement
        print("== placement: 1-4 GPU jobs, then an 8-GPU job")
        small = [server.call("POST", "/api/v1/jobs",
                             {"command": ["sleep", "6"], "resources": {"gpus": g}})["id"]
                 for g in (1, 2, 1, 4)]
        time.sleep(0.5)
        big = server.call("POST", "/api/v1/jobs",
                          {"command": ["sleep", "1"], "resources": {"gpus": 8}})["id"]
        agree = total = 0
        seen = set()
        deadline = time.time() + 30
        big_started = None
        t_big = time.time()
        while time.time() < deadline and (len(seen) < len(small) + 1 or big_started is None):
            for jid in small + [big]:
                j = server.call("GET", f"/api/v1/jobs/{jid}")
                if j["state"] != "running" or jid in seen:
                    continue
                rep = j["attempts"][-1]["replicas"][0]
                q = sh("squeue", "-h", "-j", rep["external_id"], "-o", "%N").strip()
                seen.add(jid)
                total += 1
                agree += q == rep["node"]
                if jid == big:
                    big_started = time.time() - t_big
            time.sleep(0.1)
        wait_all(server, small + [big], 60)
        print(f"  Slurm ran {agree}/{total} jobs on the node Corral chose; the 8-GPU job started "
              f"{big_started if big_started is not None else float('nan'):.1f} s after submission "
              f"while 8 GPUs of small jobs ran (packed onto one node: "
              f"{'yes' if big_started is not None and big_started < 5 else 'no'})")

        # ---- 3. DDP 8 GPUs across 2 nodes
        print("== DDP: 2 replicas x 4 GPUs on 2 nodes, torchrun 4 processes each (8 ranks)")
        train = work / "ddp.py"
        train.write_text((REPO / "tests/slurm/ddp_train.py").read_text())
        train.chmod(0o644)
        j = server.call("POST", "/api/v1/jobs", {
            "command": ["torchrun", "--monitor_interval", "0.5", str(train)],
            # 9 of a node's 16 CPUs per replica: two replicas cannot share a node.
            "replicas": 2, "resources": {"gpus": 4, "cpus": 9},
            "env": {"PET_NPROC_PER_NODE": "4"}})
        d = wait_all(server, [j["id"]], 600)[j["id"]]
        logs = ""
        for r in range(2):
            req = urllib.request.Request(f"{server.url}/api/v1/jobs/{j['id']}/logs?replica={r}",
                                         headers={"Authorization": f"Bearer {server.token}"})
            logs += urllib.request.urlopen(req).read().decode(errors="replace")
        ranks = sorted(int(l.split("rank=")[1].split()[0]) for l in logs.splitlines()
                       if "DDP rank=" in l)
        nodes = {r["node"] for r in d["attempts"][-1]["replicas"]}
        agree_w = all("weights_equal=True" in l for l in logs.splitlines() if "DDP rank=" in l)
        print(f"  state={d['state']} nodes={sorted(nodes)} ranks={ranks} weights agree={agree_w} "
              f"-> {'OK' if d['state'] == 'succeeded' and ranks == list(range(8)) and agree_w else 'FAILED'}")

        # ---- 4. kill -9 mid-run
        print(f"== kill -9 of the server after {a.kill_jobs // 2} of {a.kill_jobs} submissions")
        m3 = work / "kill.runs"
        m3.touch(); m3.chmod(0o666)
        ids, done, _, total_s = corral_jobs(server, a.kill_jobs, m3, kill_at=a.kill_jobs // 2)
        runs = [int(x) for x in m3.read_text().split()]
        counts = {i: runs.count(i) for i in ids}
        lost = [i for i, c in counts.items() if c == 0]
        twice = [i for i, c in counts.items() if c > 1]
        bad = [i for i, j in done.items() if j["state"] != "succeeded"]
        print(f"  {len(ids)} jobs: {len(lost)} never ran, {len(twice)} ran twice, {len(bad)} not "
              f"succeeded, done in {total_s:.1f} s -> "
              f"{'OK' if not lost and not twice and not bad else 'FAILED'}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
