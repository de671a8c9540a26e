"""`corral tune-protocol` end to end: the JSON-lines ask/tell protocol, state dump/load resuming
exactly, error replies naming fields, and a quick run of the HPO benchmark driver (correctness
only; the figures come from bench/tune/run.sh).

The binary is $CORRAL_BIN, else $CORRAL_BUILD_DIR/corral, else build/corral."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from corral.tune_client import TuneError, TuneProcess  # noqa: E402

BINARY = os.environ.get(
    "CORRAL_BIN", os.path.join(os.environ.get("CORRAL_BUILD_DIR", os.path.join(ROOT, "build")), "corral"))

SPACE = {"params": [
    {"name": "x", "type": "float", "low": -5, "high": 10},
    {"name": "lr", "type": "float", "low": 1e-5, "high": 1e-1, "log": True},
    {"name": "n", "type": "int", "low": 1, "high": 64, "log": True},
    {"name": "opt", "type": "categorical", "choices": ["sgd", "adam"]},
    {"name": "momentum", "type": "float", "low": 0, "high": 0.9, "step": 0.1,
     "condition": {"parent": "opt", "values": ["sgd"]}},
]}


def objective(p):
    return (p["x"] - 2) ** 2 + abs(p["n"] - 10) / 10 + (0 if p["opt"] == "adam" else 0.5)


@pytest.fixture
def proc():
    assert os.path.exists(BINARY), f"corral binary not found at {BINARY} (build it or set CORRAL_BIN)"
    with TuneProcess(BINARY) as p:
        yield p


@pytest.mark.parametrize("sampler", [{"name": "tpe"}, {"name": "tpe", "multivariate": True},
                                     {"name": "cmaes"}, {"name": "sobol"}, {"name": "random"},
                                     {"name": "gp", "n_candidates": 200}])
def test_dump_and_load_resume_identically(proc, sampler):
    proc.create(SPACE, sampler=sampler, seed=3)
    for _ in range(15):
        t = proc.ask(1)["trials"][0]
        proc.tell(t["trial"], objective(t["params"]))
    pending = proc.ask(2)["trials"]  # running across the "restart"
    state = proc.dump()
    with TuneProcess(BINARY) as other:
        other.load(state)
        for p in (proc, other):
            for t in pending:
                p.tell(t["trial"], objective(t["params"]))
        a = [proc.ask(3)["trials"] for _ in range(3)]
        b = [other.ask(3)["trials"] for _ in range(3)]
    assert a == b
    for batch in a:
        keys = {json.dumps(t["params"], sort_keys=True) for t in batch}
        assert len(keys) == len(batch), "duplicate configuration in a batch"
        for t in batch:
            p = t["params"]
            assert -5 <= p["x"] <= 10 and 1e-5 <= p["lr"] <= 1e-1 and 1 <= p["n"] <= 64
            assert isinstance(p["n"], int)
            assert ("momentum" in p) == (p["opt"] == "sgd")


def test_tpe_finds_good_region(proc):
    proc.create(SPACE, sampler={"name": "tpe"}, seed=0)
    for _ in range(80):
        t = proc.ask(1)["trials"][0]
        proc.tell(t["trial"], objective(t["params"]))
    best = proc.best()
    assert best["value"] < 0.5
    assert best["params"]["opt"] == "adam"


def test_pruning_and_failed_trials(proc):
    proc.create(SPACE, sampler={"name": "random"}, seed=1,
                pruner={"name": "median", "n_startup_trials": 2})
    for i in range(3):
        t = proc.ask(1)["trials"][0]
        for step in range(5):
            assert proc.report(t["trial"], step, 1.0 + step * 0.0)["should_prune"] is False
        proc.tell(t["trial"], 1.0)
    t = proc.ask(1)["trials"][0]
    assert proc.report(t["trial"], 0, 5.0)["should_prune"] is True
    proc.tell(t["trial"], state="pruned")
    t = proc.ask(1)["trials"][0]
    proc.tell(t["trial"], float("nan"))  # fails closed
    trials = proc.dump()["trials"]
    assert [x["state"] for x in trials] == ["complete"] * 3 + ["pruned", "failed"]


def test_errors_name_the_field(proc):
    with pytest.raises(TuneError) as e:
        proc.create(SPACE, sampler={"name": "tpe", "n_ei_candidates": 0})
    assert e.value.code == "invalid_argument" and e.value.field == "sampler.n_ei_candidates"
    with pytest.raises(TuneError) as e:
        proc.create({"params": [{"name": "a", "type": "float", "low": 1, "high": 0}]})
    assert e.value.field == "params[0].high"
    with pytest.raises(TuneError) as e:
        proc.ask(1)
    assert e.value.code == "not_found"
    proc.create(SPACE, seed=0)
    t = proc.ask(1)["trials"][0]
    proc.tell(t["trial"], 1.0)
    with pytest.raises(TuneError) as e:
        proc.tell(t["trial"], 2.0)
    assert e.value.code == "failed_precondition"


def test_grid_exhausts(proc):
    space = {"params": [{"name": "a", "type": "int", "low": 1, "high": 3},
                        {"name": "b", "type": "categorical", "choices": ["x", "y"]}]}
    proc.create(space, sampler={"name": "grid"})
    r = proc.ask(10)
    assert len(r["trials"]) == 6 and r["exhausted"] is True
    assert len({json.dumps(t["params"], sort_keys=True) for t in r["trials"]}) == 6


def test_quick_benchmark_runs(tmp_path):
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    assert os.path.exists(BINARY), f"corral binary not found at {BINARY}"
    cmd = [sys.executable, os.path.join(ROOT, "bench", "tune", "bench_hpo.py"), "--quick", "--corral", BINARY,
           "--suites", "s1,s2,s3,s4", "--problems", "branin", "--s4-pruners", "none,asha,hyperband",
           "--out", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1"))
    assert r.returncode == 0, r.stderr[-3000:]
    for heading in ("## S1", "## S2", "## S3", "## S4", "Paired comparison"):
        assert heading in r.stdout
    assert any(name.endswith(".json") for name in os.listdir(tmp_path))
