"""kill -9 of the server again and again while clients submit: every acknowledged job must run
exactly once and end as it should. Prints the figures; exits 1 on a lost or doubled job.

Usage: CORRAL_BUILD_DIR=build /usr/bin/python3 bench/durability/kill_loop.py [--kills 15]
       [--clients 4] [--up-s 3]
"""

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
from conftest import ApiError, Server  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=15)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--up-s", type=float, default=3.0, help="seconds between restart and kill")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="corral-kill-loop-"))
    os.chmod(work, 0o777)  # jobs run as an unprivileged account and write the ledger here
    ledger = work / "ledger"
    ledger.touch()
    os.chmod(ledger, 0o666)
    server = Server(work / "data", gpus=8, nodes=2).start()
    accepted, refused, lock = [], [0], threading.Lock()
    stop = threading.Event()

    def client(seed):
        r = random.Random(seed)
        while not stop.is_set():
            d = r.choice([0, 0.05, 0.2, 0.5])
            try:
                job = server.client().submit(
                    command=["sh", "-c", f"echo $CORRAL_JOB_ID >> {ledger}; sleep {d}"],
                    resources={"gpus": r.choice([0, 1, 1, 2])})
                with lock:
                    accepted.append(job["id"])
            except (ApiError, OSError):
                with lock:
                    refused[0] += 1  # the server was dying or down: nothing was promised
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(rng.random(),)) for _ in range(args.clients)]
    for t in threads:
        t.start()
    restart_s = []
    for _ in range(args.kills):
        time.sleep(rng.uniform(0.5, args.up_s))
        server.kill9()
        time.sleep(rng.uniform(0.0, 0.5))
        t0 = time.monotonic()
        server.start(port=server.port)
        restart_s.append(time.monotonic() - t0)
    stop.set()
    for t in threads:
        t.join()

    c = server.client()
    states = {}
    for jid in accepted:
        states[jid] = c.wait(jid, timeout=300)["state"]
    server.stop()
    runs = [int(x) for x in ledger.read_text().split()]
    doubled = len(runs) - len(set(runs))
    lost = sorted(set(accepted) - set(runs))
    not_succeeded = sum(1 for s in states.values() if s != "succeeded")
    restart_s.sort()
    print(f"kills                      {args.kills}")
    print(f"acknowledged jobs          {len(accepted)}")
    print(f"unacknowledged submissions {refused[0]} (server down or dying; promised nothing)")
    print(f"lost (acknowledged, never ran)  {len(lost)}   target 0")
    print(f"ran twice                  {doubled}   target 0")
    print(f"not succeeded              {not_succeeded}   target 0")
    print(f"restart to listening       p50 {restart_s[len(restart_s) // 2]:.2f} s, "
          f"max {restart_s[-1]:.2f} s")
    return 0 if not lost and not doubled and not not_succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
