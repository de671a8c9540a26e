"""Notebook start time and the proxy under load, with the real server and real Jupyter.

1. start -> usable: POST /notebooks until the first 200 of <notebook>/api/status through the
   proxy, N times in a row (median, p95), beside a bare Jupyter server started by hand on this
   machine in the same run (the floor) and JupyterHub's local spawner (1.30 s, NOTES.md).
2. start -> usable with every GPU taken by opportunistic work (interactive work preempts it).
3. M notebooks open at once, each hit through the proxy by its own client, while the API's
   latency (GET /api/v1/jobs) is measured; against the same measurement with no notebooks.

Prints the figures; asserts nothing about timing. Needs root (notebooks run as `nobody`).
Usage: CORRAL_BUILD_DIR=build /usr/bin/python3 bench/notebooks/bench_notebooks.py
       [--starts 20] [--open 100]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
from conftest import ApiError, Server  # noqa: E402

JUPYTERHUB_ANCHOR_S = 1.30


def ts(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def usable(client, nb, timeout=120):
    """Seconds from the POST's start to the first 200 of api/status through the proxy."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        view = client.get(f"/api/v1/notebooks/{nb['id']}?wait_s=10")
        if view["state"] == "ready":
            client.get(f"{view['path']}api/status")
            return view
        if view["state"] != "starting":
            raise RuntimeError(f"notebook {nb['id']}: {view}")
    raise RuntimeError(f"notebook {nb['id']} not ready after {timeout}s")


def timed_start(client, **body):
    t0 = time.perf_counter()
    nb = client.post("/api/v1/notebooks", body)
    view = usable(client, nb)
    return time.perf_counter() - t0, view


def bare_jupyter_start(work, app):
    """A Jupyter server started directly (no Corral), polled every 20 ms: the floor."""
    port = 39000 + os.getpid() % 1000
    env = {"HOME": str(work), "PATH": "/usr/bin:/bin", "JUPYTER_TOKEN": "bench",
           "JUPYTER_RUNTIME_DIR": str(work / "rt")}
    t0 = time.perf_counter()
    command = (["/usr/bin/python3", "-m", "notebook"] if app == "notebook"
               else ["jupyter-server"])
    config = "NotebookApp" if app == "notebook" else "ServerApp"
    p = subprocess.Popen(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                          *command, "--no-browser", "--ip=127.0.0.1",
                          f"--port={port}", f"--{config}.port_retries=0",
                          f"--{config}.base_url=/nb/0/", f"--notebook-dir={work}"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/nb/0/api/status",
                                             headers={"Authorization": "token bench"})
                urllib.request.urlopen(req, timeout=1).read()
                return time.perf_counter() - t0
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)
    finally:
        p.terminate()
        p.wait()


def api_latencies(client, seconds):
    out = []
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        client.get("/api/v1/jobs?limit=20")
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--preempt-starts", type=int, default=5)
    ap.add_argument("--open", type=int, default=100)
    ap.add_argument("--api-seconds", type=float, default=10)
    ap.add_argument("--app", choices=("notebook", "server"), default="notebook",
                    help="the server's --notebook-app")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-bench-nb-"))
    os.chmod(work, 0o777)
    (work / "bare").mkdir(mode=0o777)
    os.chmod(work / "bare", 0o777)


    gpus = 8
    # CPUs enough for every notebook (each asks for one) on one node of 8 GPUs.
    nodes_file = work / "nodes.yaml"
    nodes_file.write_text(f"nodes: [{{name: n0, gpus: {gpus}, cpus: {args.open + 16}, "
                          f"memory_mb: 1048576}}]\n")
    server = Server(work / "data", gpus=0,
                    extra=["--nodes-file", str(nodes_file), "--opportunistic-grace", "5",
                           "--notebook-app", args.app]).start()
    admin = server.client()
    try:
        starts, launch, jupyter, bare = [], [], [], []
        for i in range(args.starts):
            # The bare start alternates with Corral's, so that both see the machine's load alike.
            bare.append(bare_jupyter_start(work / "bare", args.app))
            s, view = timed_start(admin, name=f"s{i}", gpus=1)
            starts.append(s)
            # Where the time went: Corral's part (accepted -> the job's processes run) and
            # Jupyter's (running -> first answer, as the prober saw it).
            job = admin.job(view["job"])
            launch.append(ts(job["started_at"]) - ts(view["created_at"]))
            jupyter.append(ts(view["ready_at"]) - ts(job["started_at"]))
            admin.request("DELETE", f"/api/v1/notebooks/{view['id']}")
        print(f"start -> usable over {len(starts)} starts: median {statistics.median(starts):.2f} s, "
              f"p95 {pct(starts, 95):.2f} s, max {max(starts):.2f} s "
              f"(target median <= 1.0 s; JupyterHub local spawner {JUPYTERHUB_ANCHOR_S:.2f} s "
              f"per NOTES.md; bare {args.app} start here, alternating: median "
              f"{statistics.median(bare):.2f} s, p95 {pct(bare, 95):.2f} s)")
        print(f"  of which accepted -> running (scheduling, durable launch, shim): median "
              f"{statistics.median(launch):.3f} s; running -> Jupyter's first answer: median "
              f"{statistics.median(jupyter):.3f} s")

        # Every GPU busy with opportunistic work: the notebook's start includes a preemption.
        filler = [admin.submit(command=["sleep", "3600"], resources={"gpus": 1},
                               priority="opportunistic")["id"] for _ in range(gpus)]
        time.sleep(1)
        busy = []
        for i in range(args.preempt_starts):
            s, view = timed_start(admin, name=f"p{i}", gpus=1)
            busy.append(s)
            admin.request("DELETE", f"/api/v1/notebooks/{view['id']}")
        for j in filler:
            admin.post(f"/api/v1/jobs/{j}/cancel")
        print(f"start -> usable at 100% allocation (opportunistic work preempted, 5 s grace): "
              f"median {statistics.median(busy):.2f} s, p95 {pct(busy, 95):.2f} s "
              f"(target p95 <= 60 s)")

        base = api_latencies(admin, args.api_seconds)
        opened = []
        t0 = time.perf_counter()
        for i in range(args.open):
            opened.append(admin.post("/api/v1/notebooks", {"name": f"o{i}", "gpus": 0}))
        ready = [usable(admin, nb, timeout=900) for nb in opened]
        if not ready:
            return
        print(f"{len(ready)} notebooks ready in {time.perf_counter() - t0:.1f} s")
        stop = threading.Event()
        proxied = [0]
        errors = [0]

        def hammer(view):
            while not stop.is_set():
                try:
                    admin.get(f"{view['path']}api/contents")
                    proxied[0] += 1
                except (ApiError, OSError):
                    errors[0] += 1
                time.sleep(0.5)

        threads = [threading.Thread(target=hammer, args=(v,), daemon=True) for v in ready]
        for t in threads:
            t.start()
        loaded = api_latencies(admin, args.api_seconds)
        stop.set()
        for t in threads:
            t.join()
        print(f"API GET /jobs p50/p99: {statistics.median(base):.1f}/{pct(base, 99):.1f} ms with no "
              f"notebooks; {statistics.median(loaded):.1f}/{pct(loaded, 99):.1f} ms with "
              f"{len(ready)} notebooks open, {proxied[0]} proxied requests in "
              f"{args.api_seconds:.0f} s ({errors[0]} errors)")
        for v in ready:
            admin.request("DELETE", f"/api/v1/notebooks/{v['id']}")
    finally:
        # Stopping the server leaves jobs running (they are re-adopted on restart): stop them.
        for nb in admin.get("/api/v1/notebooks")["notebooks"]:
            admin.request("DELETE", f"/api/v1/notebooks/{nb['id']}")
        for nb in admin.get("/api/v1/notebooks?ended=1")["notebooks"]:
            admin.wait(nb["job"], timeout=120)
        server.stop()


if __name__ == "__main__":
    main()
