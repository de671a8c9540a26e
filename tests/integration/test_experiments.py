"""Experiments run by the real server: trials as real processes, metrics from their output."""

import json
import time

import pytest

from conftest import ApiError, Server

PY = "/usr/bin/python3"

# A quadratic bowl with its minimum at x=0.5, y=-0.25; prints Katib's `name=value` format.
QUADRATIC = (
    "import sys; x=float(sys.argv[1]); y=float(sys.argv[2]); "
    "print(f'loss={(x-0.5)**2+(y+0.25)**2!r}')"
)


def quadratic(x, y):
    return (x - 0.5) ** 2 + (y + 0.25) ** 2


def native_spec(name="quad", max_trials=8, parallel=3, sleep=0.0, **extra):
    script = QUADRATIC if not sleep else f"import time; time.sleep({sleep}); " + QUADRATIC
    spec = {
        "name": name,
        "objective": {"metric": "loss", "direction": "minimize"},
        "parameters": [
            {"name": "x", "type": "float", "low": -2, "high": 2},
            {"name": "y", "type": "float", "low": -2, "high": 2},
        ],
        "algorithm": {"name": "random"},
        "seed": 11,
        "parallelTrialCount": parallel,
        "maxTrialCount": max_trials,
        "trial": {"command": [PY, "-c", script, "${trialParameters.x}", "${trialParameters.y}"]},
    }
    spec.update(extra)
    return spec


KATIB_YAML = """
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: katib-quadratic
  namespace: kubeflow
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
    additionalMetricNames: [accuracy]
  algorithm:
    algorithmName: random
    algorithmSettings:
      - name: random_state
        value: "5"
  parallelTrialCount: 2
  maxTrialCount: 6
  maxFailedTrialCount: 2
  parameters:
    - name: x
      parameterType: double
      feasibleSpace: {min: "-2", max: "2"}
    - name: y
      parameterType: int
      feasibleSpace: {min: "-2", max: "2"}
  trialTemplate:
    primaryContainerName: training-container
    trialParameters:
      - name: xValue
        reference: x
      - name: yValue
        reference: y
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                image: docker.io/example/quadratic:latest
                command: ["/usr/bin/python3", "-c"]
                args:
                  - "import os, sys; x=float(sys.argv[1]); y=float(os.environ['Y']); print(f'accuracy=0.5 loss={(x-0.5)**2+(y+0.25)**2!r}')"
                  - "${trialParameters.xValue}"
                env:
                  - name: Y
                    value: "${trialParameters.yValue}"
            restartPolicy: Never
"""


def wait_experiment(client, exp_id, states=("succeeded", "failed", "stopped"), timeout=30,
                    watch=None):
    deadline = time.time() + timeout
    while True:
        exp = client.get(f"/api/v1/experiments/{exp_id}")
        if watch:
            watch(exp)
        if exp["state"] in states:
            return exp
        if time.time() > deadline:
            raise AssertionError(f"experiment {exp_id} still {exp['state']} after {timeout}s: {exp}")
        time.sleep(0.05)


def trials_of(client, exp_id):
    return client.get(f"/api/v1/experiments/{exp_id}/trials")["trials"]


def check_best(exp, trials):
    done = [t for t in trials if t["state"] == "succeeded"]
    assert done
    best = min(done, key=lambda t: t["objective"])
    assert exp["best"]["number"] == best["number"]
    assert exp["best"]["objective"] == pytest.approx(best["objective"])


def test_native_experiment_runs_to_max_trials_with_bounded_parallelism(server, admin):
    exp = admin.post("/api/v1/experiments", native_spec(sleep=0.3))
    assert exp["state"] == "running"
    assert exp["format"] == "native"
    in_flight = []
    exp = wait_experiment(admin, exp["id"],
                          watch=lambda e: in_flight.append(e["trials"]["pending"] +
                                                           e["trials"]["running"]))
    assert exp["state"] == "succeeded", exp
    assert exp["message"] == "maxTrialCount reached"
    assert max(in_flight) <= 3
    assert max(in_flight) >= 2  # it did run trials side by side
    trials = trials_of(admin, exp["id"])
    assert [t["number"] for t in trials] == list(range(8))
    assert all(t["state"] == "succeeded" for t in trials)
    for t in trials:
        # The objective is what the trial computed from the parameters it was given.
        assert t["objective"] == pytest.approx(quadratic(t["params"]["x"], t["params"]["y"]))
        job = admin.job(t["job"])
        assert job["state"] == "succeeded"
        assert job["spec"]["priority"] == "opportunistic"
    check_best(exp, trials)
    # The jobs' run times overlap at most parallelTrialCount deep.
    spans = []
    for t in trials:
        a = admin.job(t["job"])["attempts"][-1]
        spans.append((a["started_at"], a["ended_at"]))
    for start, _ in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 3
    series = admin.get(f"/api/v1/experiments/{exp['id']}/trials/0/metrics")
    assert series["metrics"]["loss"][0]["value"] == pytest.approx(trials[0]["objective"])


def test_katib_yaml_experiment(server, admin):
    exp = admin.post("/api/v1/experiments", KATIB_YAML, content_type="application/yaml")
    assert exp["format"] == "katib"
    assert exp["name"] == "katib-quadratic"
    warnings = " ".join(exp["warnings"])
    assert "metadata.namespace" in warnings
    assert "containers[0].image" in warnings
    assert "restartPolicy" in warnings
    exp = wait_experiment(admin, exp["id"])
    assert exp["state"] == "succeeded", exp
    trials = trials_of(admin, exp["id"])
    assert len(trials) == 6
    for t in trials:
        assert isinstance(t["params"]["y"], int)
        assert t["state"] == "succeeded", t
        assert t["objective"] == pytest.approx(quadratic(t["params"]["x"], t["params"]["y"]))
    check_best(exp, trials)
    series = admin.get(f"/api/v1/experiments/{exp['id']}/trials/1/metrics")["metrics"]
    assert set(series) == {"loss", "accuracy"}


def test_goal_ends_the_experiment(server, admin):
    spec = native_spec(max_trials=30, parallel=1)
    spec["objective"]["goal"] = 100.0  # every trial reaches it
    exp = wait_experiment(admin, admin.post("/api/v1/experiments", spec)["id"])
    assert exp["state"] == "succeeded"
    assert exp["message"].startswith("goal reached")
    assert exp["trials"]["succeeded"] == 1


def test_failed_trials_fail_the_experiment(server, admin):
    spec = native_spec(max_trials=10, parallel=1, maxFailedTrialCount=1)
    spec["trial"] = {"script": "echo no metric here; exit 3"}
    exp = wait_experiment(admin, admin.post("/api/v1/experiments", spec)["id"])
    assert exp["state"] == "failed"
    assert exp["trials"]["failed"] == 2
    assert exp["trials"]["total"] == 2


def test_median_stop_prunes_bad_trials(server, admin):
    # Loss falls with the epochs from a level set by x: trials with a large x are clearly worse
    # than the median at every step and get stopped early.
    script = ("import sys, time\n"
              "x = float(sys.argv[1])\n"
              "for e in range(1, 9):\n"
              "    print(f'epoch={e} loss={x * 10 + 1 / e!r}', flush=True)\n"
              "    time.sleep(0.25)\n")
    spec = {
        "name": "prune",
        "objective": {"metric": "loss"},
        "parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        "algorithm": {"name": "random"},
        "earlyStopping": {"name": "median", "n_startup_trials": 2},
        "seed": 2,
        "parallelTrialCount": 2,
        "maxTrialCount": 10,
        "trial": {"command": [PY, "-c", script, "${trialParameters.x}"]},
    }
    exp = wait_experiment(admin, admin.post("/api/v1/experiments", spec)["id"], timeout=40)
    assert exp["state"] == "succeeded", exp
    trials = trials_of(admin, exp["id"])
    assert len(trials) == 10
    pruned = [t for t in trials if t["state"] == "pruned"]
    assert pruned, trials
    # A pruned trial's job was cancelled before it printed all its epochs.
    cancelled = [t for t in pruned if admin.job(t["job"])["state"] == "cancelled"]
    assert cancelled
    series = admin.get(f"/api/v1/experiments/{exp['id']}/trials/{cancelled[0]['number']}/metrics")
    steps = [p["step"] for p in series["metrics"]["loss"]]
    assert steps == sorted(steps) and steps[0] == 1 and len(steps) < 8
    # Pruned trials are worse than the best complete one.
    check_best(exp, trials)
    best = exp["best"]["objective"]
    assert all(t["objective"] > best for t in pruned)


def test_asha_prunes_bad_trials(server, admin):
    script = ("import sys, time\n"
              "x = float(sys.argv[1])\n"
              "for e in range(1, 10):\n"
              "    print(f'step={e} loss={x + 1 / e!r}', flush=True)\n"
              "    time.sleep(0.1)\n")
    spec = {
        "name": "asha",
        "objective": {"metric": "loss"},
        "parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        "algorithm": {"name": "random"},
        "earlyStopping": {"name": "asha", "min_resource": 1, "max_resource": 9,
                          "reduction_factor": 3},
        "seed": 4,
        "parallelTrialCount": 3,
        "maxTrialCount": 12,
        "trial": {"command": [PY, "-c", script, "${trialParameters.x}"]},
    }
    exp = wait_experiment(admin, admin.post("/api/v1/experiments", spec)["id"], timeout=40)
    assert exp["state"] == "succeeded", exp
    assert exp["early_stopping"] == "asha"
    trials = trials_of(admin, exp["id"])
    assert len(trials) == 12
    assert exp["trials"]["pruned"] >= 1, trials
    assert exp["trials"]["pruned"] + exp["trials"]["succeeded"] == 12
    check_best(exp, trials)


def test_pushed_metrics(server, admin):
    # The trial reports nothing on stdout: its objective comes through the API.
    spec = native_spec(max_trials=1, parallel=1)
    spec["trial"] = {"command": ["sleep", "2"]}
    exp = admin.post("/api/v1/experiments", spec)
    exp_id = exp["id"]
    deadline = time.time() + 10
    while trials_of(admin, exp_id)[0]["state"] != "running":
        assert time.time() < deadline
        time.sleep(0.05)
    r = admin.post(f"/api/v1/experiments/{exp_id}/trials/0/metrics",
                   {"name": "loss", "value": 0.125, "step": 1})
    assert r == {"name": "loss", "value": 0.125, "step": 1}
    with pytest.raises(ApiError) as e:
        admin.post(f"/api/v1/experiments/{exp_id}/trials/0/metrics", {"name": "loss"})
    assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == "value"
    exp = wait_experiment(admin, exp_id)
    assert exp["state"] == "succeeded"
    assert trials_of(admin, exp_id)[0]["objective"] == 0.125


def test_stop_and_resume(server, admin):
    exp = admin.post("/api/v1/experiments", native_spec(max_trials=4, parallel=2, sleep=1.5))
    exp_id = exp["id"]
    time.sleep(0.5)
    stopped = admin.post(f"/api/v1/experiments/{exp_id}/stop")
    assert stopped["state"] == "stopped"
    trials = trials_of(admin, exp_id)
    assert trials and all(t["state"] == "cancelled" for t in trials)
    for t in trials:
        assert admin.wait(t["job"])["state"] == "cancelled"
    with pytest.raises(ApiError) as e:
        admin.post(f"/api/v1/experiments/{exp_id}/stop")
    assert e.value.status == 409
    resumed = admin.post(f"/api/v1/experiments/{exp_id}/resume")
    assert resumed["state"] == "running"
    exp = wait_experiment(admin, exp_id)
    assert exp["state"] == "succeeded"
    assert exp["trials"]["succeeded"] == 4  # cancelled trials do not use up the budget


def test_validation_errors_name_the_field(server, admin):
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/experiments", KATIB_YAML.replace("maxTrialCount: 6", "maxTrials: 6"),
                   content_type="application/yaml")
    assert e.value.status == 400
    assert e.value.body["error"]["details"]["field"] == "spec.maxTrials"
    bad = native_spec()
    bad["parameters"][1]["low"] = 5
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/experiments", bad)
    assert e.value.status == 400
    assert e.value.body["error"]["details"]["field"].startswith("parameters[1]")
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/experiments", "{not json")
    assert e.value.status == 400
    assert admin.get("/api/v1/experiments")["experiments"] == []


def test_ownership(server, admin, users):
    alice, bob = users["alice"], users["bob"]
    exp = alice.post("/api/v1/experiments", native_spec(max_trials=1, parallel=1))
    assert [e["id"] for e in alice.get("/api/v1/experiments")["experiments"]] == [exp["id"]]
    assert bob.get("/api/v1/experiments")["experiments"] == []
    for path in ("", "/trials", "/trials/0/metrics"):
        with pytest.raises(ApiError) as e:
            bob.get(f"/api/v1/experiments/{exp['id']}{path}")
        assert e.value.status == 404
    with pytest.raises(ApiError) as e:
        bob.post(f"/api/v1/experiments/{exp['id']}/stop")
    assert e.value.status == 404
    assert admin.get(f"/api/v1/experiments/{exp['id']}")["name"] == "quad"
    wait_experiment(alice, exp["id"])
    job = alice.job(trials_of(alice, exp["id"])[0]["job"])
    assert job["owner"] == "alice"


def test_kill9_mid_experiment_restores_exactly(tmp_path):
    s = Server(tmp_path / "data").start()
    try:
        admin = s.client()
        exp = admin.post("/api/v1/experiments", native_spec(max_trials=8, parallel=2, sleep=0.8))
        exp_id = exp["id"]
        deadline = time.time() + 20
        while True:
            e = admin.get(f"/api/v1/experiments/{exp_id}")
            if e["trials"]["succeeded"] >= 2 and e["trials"]["running"] >= 1:
                break
            assert time.time() < deadline, e
            time.sleep(0.05)
        before = {t["number"]: t for t in trials_of(admin, exp_id)}
        s.kill9()
        s.start()
        admin = s.client()
        after = {t["number"]: t for t in trials_of(admin, exp_id)}
        # Nothing acknowledged was lost: every trial is still there with its job and parameters.
        for n, t in before.items():
            assert after[n]["job"] == t["job"]
            assert after[n]["params"] == t["params"]
        exp = wait_experiment(admin, exp_id, timeout=40)
        assert exp["state"] == "succeeded", exp
        trials = trials_of(admin, exp_id)
        assert [t["number"] for t in trials] == list(range(8))
        assert all(t["state"] == "succeeded" for t in trials), trials
        job_ids = [t["job"] for t in trials]
        assert len(set(job_ids)) == 8
        jobs = admin.get(f"/api/v1/jobs?label=corral.experiment={exp_id}")["jobs"]
        assert sorted(j["id"] for j in jobs) == sorted(job_ids)
        params = [json.dumps(t["params"], sort_keys=True) for t in trials]
        assert len(set(params)) == 8
        check_best(exp, trials)
    finally:
        s.stop()


def test_cli(server, admin, tmp_path):
    spec_file = tmp_path / "katib.yaml"
    spec_file.write_text(KATIB_YAML)
    r = server.cli("tune", "submit", str(spec_file), check=True)
    assert "experiment 1 created (katib-quadratic)" in r.stdout
    assert "warning: metadata.namespace" in r.stderr
    wait_experiment(admin, 1)
    r = server.cli("tune", "ls", check=True)
    assert r.stdout.splitlines()[0].split()[:4] == ["ID", "NAME", "STATE", "TRIALS"]
    assert "katib-quadratic   succeeded   6/6" in r.stdout
    r = server.cli("tune", "trials", "1", check=True)
    assert len(r.stdout.splitlines()) == 7
    best = admin.get("/api/v1/experiments/1")["best"]
    r = server.cli("-o", "json", "tune", "best", "1", check=True)
    assert json.loads(r.stdout)["number"] == best["number"]
    r = server.cli("tune", "describe", "1", check=True)
    assert f"Best:        trial {best['number']}:" in r.stdout
    r = server.cli("tune", "stop", "1")
    assert r.returncode == 1 and "already succeeded" in r.stderr
    r = server.cli("tune", "describe", "99")
    assert r.returncode == 1


def test_state_written_whole_by_an_older_server_is_resumed(tmp_path):
    """An experiment whose search state was saved as one document (before each trial kept its
    own record) resumes after an upgrade with nothing lost or repeated."""
    import sqlite3
    s = Server(tmp_path / "data").start()
    try:
        admin = s.client()
        spec = native_spec(max_trials=8, parallel=2, sleep=0.5, algorithm={"name": "tpe"})
        exp_id = admin.post("/api/v1/experiments", spec)["id"]
        deadline = time.time() + 20
        while admin.get(f"/api/v1/experiments/{exp_id}")["trials"]["succeeded"] < 3:
            assert time.time() < deadline
            time.sleep(0.05)
        before = {t["number"]: t for t in trials_of(admin, exp_id)}
        s.kill9()
        db = sqlite3.connect(s.data_dir / "corral.db")
        (raw,) = db.execute("SELECT sampler_state FROM experiments WHERE id = ?",
                            (exp_id,)).fetchone()
        state = json.loads(raw)
        head = state.pop("search")
        records = [json.loads(r) for (r,) in db.execute(
            "SELECT search_state FROM trials WHERE experiment_id = ? ORDER BY number", (exp_id,))]
        assert len(records) == head.pop("trial_count") >= 3
        state["study"] = dict(head, version=1, trials=records)
        db.execute("UPDATE experiments SET sampler_state = ? WHERE id = ?",
                   (json.dumps(state), exp_id))
        db.execute("UPDATE trials SET search_state = NULL WHERE experiment_id = ?", (exp_id,))
        db.commit()
        db.close()

        s.start()
        admin = s.client()
        exp = wait_experiment(admin, exp_id, timeout=40)
        assert exp["state"] == "succeeded", exp
        trials = trials_of(admin, exp_id)
        assert [t["number"] for t in trials] == list(range(8))
        assert all(t["state"] == "succeeded" for t in trials), trials
        for n, t in before.items():
            assert trials[n]["params"] == t["params"]
        assert len({json.dumps(t["params"], sort_keys=True) for t in trials}) == 8
        # The resumed server wrote the split form back.
        db = sqlite3.connect(s.data_dir / "corral.db")
        (raw,) = db.execute("SELECT sampler_state FROM experiments WHERE id = ?",
                            (exp_id,)).fetchone()
        assert "search" in json.loads(raw) and "study" not in json.loads(raw)
        assert db.execute("SELECT count(*) FROM trials WHERE experiment_id = ? AND "
                          "search_state IS NOT NULL", (exp_id,)).fetchone() == (8,)
        db.close()
    finally:
        s.stop()


# Reports through corral.report: with a metrics file it appends there, in the file's format.
REPORTING_TRIAL = (
    "import sys; sys.path.insert(0, sys.argv[3]); from corral.report import report; "
    "x=float(sys.argv[1]); y=float(sys.argv[2]); "
    "print('loss=1000'); "  # stdout is not read when only the file counts
    "[report(step=e, loss=(x-0.5)**2+(y+0.25)**2 + 1.0/(e+1)) for e in range(3)]; "
    "report(step=3, loss=(x-0.5)**2+(y+0.25)**2)"
)


def test_metrics_file_text_and_json(server, admin, tmp_path):
    from conftest import ROOT
    for fmt in ("text", "json"):
        runs = tmp_path / f"runs-{fmt}"
        spec = native_spec(name=f"file-{fmt}", max_trials=4, parallel=2)
        spec["collectStdout"] = False
        spec["metricsFile"] = {"path": "${trialSpec.Name}/metrics.log", "format": fmt}
        spec["trial"] = {"command": [PY, "-c", REPORTING_TRIAL, "${trialParameters.x}",
                                     "${trialParameters.y}", str(ROOT / "python")],
                         "workdir": str(runs)}
        # A file an earlier run left behind at trial 0's path does not count.
        (runs / f"file-{fmt}-trial-0").mkdir(parents=True)
        (runs / f"file-{fmt}-trial-0" / "metrics.log").write_text(
            'loss=-5\n' if fmt == "text" else '{"loss": -5}\n')
        exp = admin.post("/api/v1/experiments", spec)
        exp = wait_experiment(admin, exp["id"])
        assert exp["state"] == "succeeded", exp
        trials = trials_of(admin, exp["id"])
        assert len(trials) == 4 and all(t["state"] == "succeeded" for t in trials), trials
        for t in trials:
            assert t["objective"] == pytest.approx(quadratic(t["params"]["x"], t["params"]["y"]))
            job = admin.job(t["job"])
            assert job["spec"]["env"]["CORRAL_METRICS_FILE"] == \
                f"{runs}/file-{fmt}-trial-{t['number']}/metrics.log"
        series = admin.get(f"/api/v1/experiments/{exp['id']}/trials/1/metrics")["metrics"]["loss"]
        assert [p["step"] for p in series] == [0, 1, 2, 3]
        check_best(exp, trials)


def test_katib_file_collector(server, admin, tmp_path):
    doc = KATIB_YAML.replace("parallelTrialCount: 2", "parallelTrialCount: 1")
    doc += f"""  metricsCollectorSpec:
    collector:
      kind: File
    source:
      fileSystemPath:
        path: {tmp_path}/katib-metrics.json
        kind: File
        format: JSON
"""
    doc = doc.replace(
        "print(f'accuracy=0.5 loss={(x-0.5)**2+(y+0.25)**2!r}')",
        "import json; open(os.environ['CORRAL_METRICS_FILE'], 'a').write(json.dumps("
        "{'loss': str((x-0.5)**2+(y+0.25)**2), 'timestamp': 'now'}) + chr(10)); print('loss=7')")
    exp = admin.post("/api/v1/experiments", doc, content_type="application/yaml")
    exp = wait_experiment(admin, exp["id"], timeout=60)
    assert exp["state"] == "succeeded", exp
    trials = trials_of(admin, exp["id"])
    assert len(trials) == 6
    for t in trials:
        assert t["objective"] == pytest.approx(quadratic(t["params"]["x"], t["params"]["y"]))


def test_trials_push_with_their_own_scoped_token(server, admin, users, tmp_path):
    from conftest import ROOT
    alice = users["alice"]
    spec = native_spec(name="push", max_trials=3, parallel=1)
    spec["collectStdout"] = False  # only pushed values count
    # Each trial also leaves the token it was given where the test can read it.
    keep_token = ("; import os; open(os.path.join(sys.argv[4], 'token-' + os.environ['CORRAL_TRIAL'])"
                  ", 'w').write(os.environ['CORRAL_TOKEN'])")
    spec["trial"] = {"command": [PY, "-c", REPORTING_TRIAL + keep_token, "${trialParameters.x}",
                                 "${trialParameters.y}", str(ROOT / "python"), str(tmp_path)]}
    exp = alice.post("/api/v1/experiments", spec)
    exp = wait_experiment(alice, exp["id"])
    assert exp["state"] == "succeeded", exp
    trials = trials_of(alice, exp["id"])
    for t in trials:
        assert t["objective"] == pytest.approx(quadratic(t["params"]["x"], t["params"]["y"]))
    series = alice.get(f"/api/v1/experiments/{exp['id']}/trials/0/metrics")["metrics"]["loss"]
    assert [p["step"] for p in series] == [0, 1, 2, 3]

    # The token a trial got can report that trial's metrics and do nothing else.
    # The token reaches the trial's processes only: the job's spec does not hold it.
    job = alice.job(trials[0]["job"])
    assert job["parent"] == {"kind": "experiment", "id": exp["id"], "key": "0"}
    assert "CORRAL_TOKEN" not in job["spec"].get("env", {})
    assert "corral_trial_" not in server.cli("describe", str(job["id"]), check=True).stdout
    token = (tmp_path / "token-0").read_text()
    assert token.startswith("corral_trial_")
    trial_client = server.client(token)
    own = f"/api/v1/experiments/{exp['id']}/trials/0/metrics"
    with pytest.raises(ApiError) as e:  # allowed, but the trial has ended
        trial_client.post(own, {"name": "loss", "value": 1.0})
    assert e.value.status == 409
    for method, path in (("GET", "/api/v1/jobs"), ("GET", own),
                         ("POST", f"/api/v1/experiments/{exp['id']}/trials/1/metrics"),
                         ("POST", "/api/v1/tokens")):
        with pytest.raises(ApiError) as e:
            trial_client.request(method, path, body={"name": "loss", "value": 1.0}
                                 if method == "POST" else None)
        assert e.value.status == 403, (method, path)
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    with pytest.raises(ApiError) as e:
        server.client(forged).post(own, {"name": "loss", "value": 1.0})
    assert e.value.status == 401
