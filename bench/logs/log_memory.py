"""Server memory while serving one large job log, plain and followed (SSE).

Run: CORRAL_BUILD_DIR=build /usr/bin/python3 bench/logs/log_memory.py [MiB]
Prints the server's resident memory (VmRSS) before and its peak (VmHWM) during each fetch.
"""

import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
from conftest import Server  # noqa: E402


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def fetch(server, path):
    req = urllib.request.Request(server.url + path,
                                 headers={"Authorization": f"Bearer {server.admin_token}"})
    got = 0
    start = time.time()
    with urllib.request.urlopen(req) as resp:
        while chunk := resp.read(1 << 20):
            got += len(chunk)
    return got, time.time() - start


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o711)  # jobs run as an unprivileged account when the server is root
        s = Server(Path(tmp) / "data", gpus=0).start()
        try:
            admin = s.client()
            job = admin.submit(
                script=f"yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c {mib * 1024 * 1024}\n")
            done = admin.wait(job["id"], timeout=600)
            assert done["state"] == "succeeded", done
            pid = s.proc.pid
            print(f"log of {mib} MiB written; server VmRSS {status_kb(pid, 'VmRSS') / 1024:.1f} MiB,"
                  f" peak so far {status_kb(pid, 'VmHWM') / 1024:.1f} MiB")
            for label, query in (("plain", ""), ("follow", "?follow=true")):
                before = status_kb(pid, "VmRSS")
                got, secs = fetch(s, f"/api/v1/jobs/{job['id']}/logs{query}")
                print(f"{label:>6}: {got / 2**20:.0f} MiB in {secs:.1f} s; server VmRSS before "
                      f"{before / 1024:.1f} MiB, after {status_kb(pid, 'VmRSS') / 1024:.1f} MiB, "
                      f"peak {status_kb(pid, 'VmHWM') / 1024:.1f} MiB")
        finally:
            s.stop()


if __name__ == "__main__":
    main()
