"""The web UI end to end: the real server serving ui/dist, Debian's Chromium driven by
playwright-core (tests/ui/e2e.mjs) through login, every view, live logs and events, and another
user's objects kept out of sight. Screenshots of each view are kept in build/ui-screenshots/."""

import json
import os
import shutil
import subprocess
import time

from conftest import BUILD, ROOT, Server

UI = ROOT / "ui"

def built_ui():
    """ui/dist as `make ui` builds it; built here when missing so the test can run on its own."""
    if not (UI / "dist" / "index.html").exists():
        if not (UI / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=UI, check=True, timeout=300)
        subprocess.run(["npm", "run", "build"], cwd=UI, check=True, timeout=300)
    return UI / "dist"


def test_ui_end_to_end(tmp_path):
    dist = built_ui()
    shots = BUILD / "ui-screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    # Three nodes of two GPUs: Bob and Alice each hold one, so Alice's 3 x 2-GPU job has to wait.
    server = Server(tmp_path / "data", gpus=2, nodes=3, extra=["--ui-dir", str(dist)]).start()
    try:
        admin = server.client()
        tokens = {}
        for name in ("alice", "bob"):
            tokens[name] = admin.post("/api/v1/users", {"name": name})["token"]
        password = "alice-browser-pass"
        admin.request("PUT", "/api/v1/users/alice/password", {"password": password})
        spec = {
            "name": "alice-search",
            "objective": {"metric": "loss", "direction": "minimize",
                          "additionalMetrics": ["accuracy"]},
            "parameters": [
                {"name": "lr", "type": "float", "low": 0.001, "high": 0.1, "log": True},
                {"name": "width", "type": "int", "low": 16, "high": 128},
                {"name": "opt", "type": "categorical", "choices": ["sgd", "adam"]},
            ],
            "algorithm": {"name": "random"},
            "seed": 3,
            "parallelTrialCount": 2,
            "maxTrialCount": 40,
            "trial": {"command": [
                "/usr/bin/python3", "-c",
                "import sys, time\n"
                "lr, w = float(sys.argv[1]), int(sys.argv[2])\n"
                "for e in range(1, 6):\n"
                "    print(f'loss={(lr - 0.03) ** 2 * 100 + 1 / (w * e)!r}', flush=True)\n"
                "    print(f'accuracy={1 - 1 / (e + w / 16)!r}', flush=True)\n"
                "    time.sleep(0.15)\n",
                "${trialParameters.lr}", "${trialParameters.width}"]},
        }
        env = dict(os.environ)
        env.update({
            "CORRAL_URL": server.url,
            "ALICE_PASSWORD": password,
            "ALICE_TOKEN": tokens["alice"],
            "BOB_TOKEN": tokens["bob"],
            "EXPERIMENT_SPEC": json.dumps(spec),
            "SCREENSHOT_DIR": str(shots),
        })
        start = time.time()
        r = subprocess.run(["node", str(ROOT / "tests" / "ui" / "e2e.mjs")], env=env,
                           capture_output=True, text=True, timeout=120)
        print(r.stdout)
        assert r.returncode == 0, f"e2e failed after {time.time() - start:.1f}s:\n{r.stdout}\n{r.stderr}"
        for view in ("login", "jobs", "job-detail", "cluster", "queue", "experiments",
                     "experiment-detail", "workflows", "workflow-detail", "notebooks"):
            assert (shots / f"{view}.png").stat().st_size > 5000, view
    finally:
        server.stop()
