#!/usr/bin/env python3
"""Load time of every web UI view, in Chromium, with a large history and cluster.

A real server with --simulate-nodes (1,000 by default, 8 GPUs each) gets JOBS ended jobs of two
users written straight into its store (copies of a real job's row; the server is stopped
meanwhile), then running jobs holding some GPUs and a small experiment. bench/ui/measure.mjs
logs in as one user and opens each view repeatedly: a full page load (navigation start to the
view's `view-ready` Performance mark) and an in-app navigation (`view:NAME` measure). The API
calls behind the views are timed alone as anchors.

Usage: CORRAL_BUILD_DIR=build /usr/bin/python3 bench/ui/run.py [--jobs N] [--nodes N] [--runs N]
"""

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("CORRAL_BUILD_DIR", ROOT / "build"))
CORRAL = Path(os.environ.get("CORRAL_BIN", BUILD / "corral"))
DIST = ROOT / "ui" / "dist"


class Server:
    def __init__(self, data, nodes, gpus):
        self.data, self.nodes, self.gpus = data, nodes, gpus
        self.proc = None
        self.url = None

    def start(self):
        args = [str(CORRAL), "server", "--data-dir", str(self.data), "--port", "0",
                "--admin-token-file", str(self.data / "admin-token"), "--ui-dir", str(DIST),
                "--simulate-nodes", str(self.nodes), "--simulate-gpus", str(self.gpus)]
        log = open(self.data / "server.log", "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if "listening on" in line:
                self.url = line.split("listening on ")[1].split()[0]
                import threading
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return self
            if not line and self.proc.poll() is not None:
                raise RuntimeError((self.data / "server.log").read_text()[-2000:])
        raise RuntimeError("server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    @property
    def admin(self):
        return (self.data / "admin-token").read_text().strip()


def call(url, token, method, path, body=None):
    req = urllib.request.Request(url + "/api/v1" + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        payload = r.read()
        return json.loads(payload) if payload else None


def wait_ended(url, token, job_id):
    for _ in range(600):
        if call(url, token, "GET", f"/jobs/{job_id}")["state"] in ("succeeded", "failed", "cancelled"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"job {job_id} did not end")


def fill_history(db, templates, count):
    """Copies the template jobs' rows `count` times in all (alternating owners), as ended jobs."""
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(jobs)") if r[1] != "id"]
    per = count // len(templates)
    t0 = time.time()
    with con:
        for template in templates:
            select = ", ".join(
                "'hist-' || n" if c == "name" else
                f"submitted_at - n * 1000" if c == "submitted_at" else
                f"ended_at - n * 1000" if c == "ended_at" else c
                for c in cols)
            con.execute(
                f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {per}) "
                f"INSERT INTO jobs ({', '.join(cols)}) SELECT {select} FROM seq, jobs WHERE jobs.id = ?",
                (template,))
    total = con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    con.close()
    return total, time.time() - t0


def api_anchor(url, token, path, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        req = urllib.request.Request(url + "/api/v1" + path,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Accept-Encoding": "identity"})
        with urllib.request.urlopen(req, timeout=60) as r:
            size = len(r.read())
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not (DIST / "index.html").exists():
        sys.exit("ui/dist is missing: run `make ui`")

    with tempfile.TemporaryDirectory(prefix="corral-bench-ui-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        os.chmod(tmp, 0o755)
        server = Server(data, args.nodes, args.gpus).start()
        admin = server.admin
        tokens = {}
        for name in ("alice", "bob"):
            tokens[name] = call(server.url, admin, "POST", "/users", {"name": name})["token"]
        password = "bench-password-1"
        call(server.url, admin, "PUT", "/users/alice/password", {"password": password})
        templates = []
        for name in ("alice", "bob"):
            j = call(server.url, tokens[name], "POST", "/jobs",
                     {"name": "template", "command": ["sh", "-c", "echo done"]})
            wait_ended(server.url, tokens[name], j["id"])
            templates.append(j["id"])
        server.stop()

        total, secs = fill_history(data / "corral.db", templates, args.jobs)
        print(f"history: {total} jobs in the store (filled in {secs:.1f}s)")

        server.start()
        # Running jobs on some nodes, a job that waits, and a small experiment.
        running = []
        for i in range(100):
            user = ("alice", "bob")[i % 2]
            running.append(call(server.url, tokens[user], "POST", "/jobs",
                                {"name": f"live-{i}", "command": ["sleep", "600"],
                                 "resources": {"gpus": args.gpus}})["id"])
        exp = call(server.url, tokens["alice"], "POST", "/experiments", {
            "name": "bench-search",
            "objective": {"metric": "loss", "direction": "minimize"},
            "parameters": [{"name": "x", "type": "float", "low": -2, "high": 2}],
            "algorithm": {"name": "random"}, "seed": 1, "parallelTrialCount": 4, "maxTrialCount": 20,
            "trial": {"command": ["/usr/bin/python3", "-c",
                                  "import sys; x=float(sys.argv[1])\n"
                                  "for s in range(5): print(f'loss={x*x+1/(s+1)}')",
                                  "${trialParameters.x}"]}})
        for _ in range(300):
            if call(server.url, tokens["alice"], "GET", f"/experiments/{exp['id']}")["state"] != "running":
                break
            time.sleep(0.1)
        detail_job = templates[0]
        # A finished four-step DAG workflow and one open notebook (no GPU) for those views.
        step = {"name": "step", "container": {"image": "alpine:3", "command": ["true"]}}
        flow = call(server.url, tokens["alice"], "POST", "/workflows", {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "bench-diamond"},
            "spec": {"entrypoint": "diamond", "templates": [
                {"name": "diamond", "dag": {"tasks": [
                    {"name": "A", "template": "step"},
                    {"name": "B", "depends": "A", "template": "step"},
                    {"name": "C", "depends": "A", "template": "step"},
                    {"name": "D", "depends": "B && C", "template": "step"}]}}, step]}})
        notebook = call(server.url, tokens["alice"], "POST", "/notebooks",
                        {"name": "bench-lab", "gpus": 0})
        call(server.url, tokens["alice"], "GET", f"/notebooks/{notebook['id']}?wait_s=30")
        for _ in range(300):
            if call(server.url, tokens["alice"], "GET", f"/workflows/{flow['id']}")["phase"] not in ("Pending", "Running"):
                break
            time.sleep(0.1)

        print(f"cluster: {args.nodes} nodes x {args.gpus} GPUs, {len(running)} running jobs")
        print("\nAPI alone (median of 10, uncompressed):")
        anchors = {}
        for label, path, tok in (
                ("nodes", "/nodes", tokens["alice"]),
                ("jobs page (alice)", "/jobs?limit=50", tokens["alice"]),
                ("jobs page (admin, all)", "/jobs?limit=50", admin),
                ("jobs page, state=failed (alice)", "/jobs?limit=50&state=failed", tokens["alice"]),
                ("pending jobs", "/jobs?state=pending,starting&limit=200", tokens["alice"]),
                ("queues", "/queues", tokens["alice"]),
                ("experiments", "/experiments", tokens["alice"]),
                ("workflows", "/workflows?limit=200", tokens["alice"]),
                ("workflow", f"/workflows/{flow['id']}", tokens["alice"]),
                ("notebooks", "/notebooks", tokens["alice"]),
                ("job", f"/jobs/{detail_job}", tokens["alice"])):
            ms, size = api_anchor(server.url, tok, path, 10)
            anchors[label] = ms
            print(f"  {label:34s} {ms:7.1f} ms  {size / 1024:8.1f} KiB")

        env = dict(os.environ, CORRAL_URL=server.url, USER_NAME="alice", USER_PASSWORD=password,
                   RUNS=str(args.runs), JOB_ID=str(detail_job), EXPERIMENT_ID=str(exp["id"]),
                   WORKFLOW_ID=str(flow["id"]))
        r = subprocess.run(["node", str(ROOT / "bench" / "ui" / "measure.mjs")], env=env,
                           capture_output=True, text=True, timeout=600)
        for job_id in running:
            call(server.url, admin, "POST", f"/jobs/{job_id}/cancel")
        call(server.url, tokens["alice"], "POST", f"/notebooks/{notebook['id']}/stop")
        server.stop()
        if r.returncode != 0:
            sys.exit(f"measure.mjs failed:\n{r.stdout}\n{r.stderr}")
        results = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"\nViews in Chromium (median of {args.runs}; target <= 300 ms):")
        print(f"  {'view':20s} {'full load':>10s} {'in-app':>10s}")
        worst = 0.0
        for view, m in results.items():
            worst = max(worst, m["full"], m["inapp"])
            print(f"  {view:20s} {m['full']:8.0f} ms {m['inapp']:8.0f} ms")
        print(f"\nslowest: {worst:.0f} ms ({'within' if worst <= 300 else 'OVER'} the 300 ms target)")


if __name__ == "__main__":
    main()
