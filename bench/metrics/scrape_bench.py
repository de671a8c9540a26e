"""What a /metrics scrape costs with 10,000 jobs in the store, against anchors from the same run.

Fills a server with JOBS jobs (half waiting, half cancelled: the waiting ones are what the control
thread walks per scrape, the cancelled ones what the store counts), then times scrapes next to
GET /healthz and GET /api/v1/nodes, and job submissions with and without a scraper hammering
/metrics at the same time (what a scrape takes from the control thread shows up there).

Usage: CORRAL_BUILD_DIR=build /usr/bin/python3 bench/metrics/scrape_bench.py [--jobs 10000]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
from conftest import Server  # noqa: E402
from metrics_text import Scrape  # noqa: E402


def timed_get(url, token, n):
    out = []
    for _ in range(n):
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
        out.append(time.perf_counter() - t0)
    return out, body


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def line(name, values):
    return (f"{name:<34} n={len(values):<4} p50={pct(values, 50) * 1e3:8.2f} ms  "
            f"p99={pct(values, 99) * 1e3:8.2f} ms  max={max(values) * 1e3:8.2f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=10000)
    ap.add_argument("--scrapes", type=int, default=40)
    ap.add_argument("--submits", type=int, default=300)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="corral-metrics-bench-"))
    os.chmod(work, 0o777)
    server = Server(work / "data", gpus=4, nodes=1).start()
    admin = server.client()
    token = server.admin_token
    try:
        hold = admin.submit(name="hold", command=["sleep", "3600"], resources={"gpus": 1})
        admin.wait(hold["id"], states=("running",))
        t0 = time.time()
        priorities = ["normal", "high", "opportunistic"]

        def submit(i):
            # Asks for every GPU while `hold` keeps one: waits.
            return admin.submit(name=f"j{i}", command=["true"], resources={"gpus": 4},
                                priority=priorities[i % 3])["id"]

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(submit, range(args.jobs)))
        fill_s = time.time() - t0
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda j: admin.post(f"/api/v1/jobs/{j}/cancel"), ids[::2]))
        print(f"filled: {args.jobs} jobs submitted in {fill_s:.1f} s, {len(ids[::2])} cancelled")

        base = server.url
        metrics, body = timed_get(base + "/metrics", token, args.scrapes)
        scrape = Scrape(body.decode())
        assert scrape.value("corral_jobs", state="cancelled") == len(ids[::2])
        assert scrape.value("corral_jobs", state="pending") == args.jobs - len(ids[::2])
        healthz, _ = timed_get(base + "/healthz", token, args.scrapes)
        nodes, _ = timed_get(base + "/api/v1/nodes", token, args.scrapes)
        page, _ = timed_get(base + "/api/v1/jobs?limit=100", token, args.scrapes)
        snapshot = scrape.value("corral_metrics_snapshot_seconds")
        snap_hist = scrape.series("corral_control_task_run_seconds_count", task="metrics.snapshot")
        run_sum = scrape.value("corral_control_task_run_seconds_sum", task="metrics.snapshot")
        run_count = snap_hist[0][1]

        def submit_latencies(n):
            out = []
            for i in range(n):
                t = time.perf_counter()
                admin.submit(name=f"s{i}", command=["true"], resources={"gpus": 4})
                out.append(time.perf_counter() - t)
            return out

        quiet = submit_latencies(args.submits)
        stop = threading.Event()
        scraped = [0]

        def scraper():
            while not stop.is_set():
                timed_get(base + "/metrics", token, 1)
                scraped[0] += 1

        threads = [threading.Thread(target=scraper) for _ in range(2)]
        for t in threads:
            t.start()
        busy = submit_latencies(args.submits)
        stop.set()
        for t in threads:
            t.join()

        print(f"exposition: {len(body)} bytes, {len(scrape.samples)} samples")
        print(line("GET /metrics", metrics))
        print(line("GET /healthz (anchor)", healthz))
        print(line("GET /api/v1/nodes (anchor)", nodes))
        print(line("GET /api/v1/jobs?limit=100 (anchor)", page))
        print(f"control thread per scrape: mean {run_sum / run_count * 1e3:.3f} ms over "
              f"{int(run_count)} scrapes (last scrape waited+ran {snapshot * 1e3:.3f} ms)")
        print(line("POST /jobs, no scraper", quiet))
        print(line(f"POST /jobs, 2 scrapers ({scraped[0]} scrapes)", busy))
        print(f"ratios: /metrics p50 = {pct(metrics, 50) / pct(nodes, 50):.1f}x GET /nodes; "
              f"submit p99 with scrapers = {pct(busy, 99) / pct(quiet, 99):.2f}x without")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
