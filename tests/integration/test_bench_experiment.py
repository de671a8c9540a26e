"""The end-to-end experiment benchmark, CI-sized: it runs and its own checks hold (exactly
maxTrialCount trials, each once, across a kill -9). Trials sleep 0.2 s so that the kill lands
mid-run: without it the whole experiment can end between two of the bench's polls. Figures are not
asserted here."""

import json
import subprocess

from conftest import CORRAL, ROOT


def test_bench_experiment_quick(tmp_path):
    out = tmp_path / "figures.json"
    r = subprocess.run(["/usr/bin/python3", str(ROOT / "bench/experiments/bench_experiment.py"),
                        "--corral", str(CORRAL), "--trials", "40", "--parallel", "4",
                        "--sleep", "0.2", "--kill-at", "20", "--out", str(out)],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    figures = json.loads(out.read_text())
    assert [f["algorithm"] for f in figures] == ["random", "tpe"]
    assert figures[1]["killed"]
    for f in figures:
        assert f["trials"] == 40 and f["distinct_params"] == 40 and not f["problems"]
        assert f["ask_ms_mean"] is not None and f["save_ms_mean"] > 0
