"""Jobs through the REST API of a real server running real processes."""

import json
import time
import urllib.request

import pytest

from conftest import ApiError


def test_submit_runs_and_captures_output(admin):
    job = admin.submit(command=["sh", "-c", "echo hello; echo oops >&2; exit 0"], name="hello")
    assert job["state"] in ("pending", "starting", "running")
    assert job["owner"] == "admin"
    done = admin.wait(job["id"])
    assert done["state"] == "succeeded"
    assert done["exit_code"] == 0
    assert done["attempts"][0]["replicas"][0]["exit_code"] == 0
    logs = admin.logs(job["id"])
    assert "hello" in logs and "oops" in logs


def test_exit_code_recorded_and_failed(admin):
    job = admin.submit(command=["sh", "-c", "exit 7"])
    done = admin.wait(job["id"])
    assert done["state"] == "failed"
    assert done["exit_code"] == 7
    assert "7" in done["reason"]


def test_script_job(admin):
    job = admin.submit(script="#!/bin/sh\nfor i in 1 2 3; do echo line$i; done\n")
    assert admin.wait(job["id"])["state"] == "succeeded"
    assert admin.logs(job["id"]).split() == ["line1", "line2", "line3"]


def test_gpu_isolation_env(admin):
    job = admin.submit(
        command=["sh", "-c", "echo CVD=$CUDA_VISIBLE_DEVICES NVD=$NVIDIA_VISIBLE_DEVICES "
                 "ID=$CORRAL_JOB_ID"],
        resources={"gpus": 2})
    done = admin.wait(job["id"])
    assert done["state"] == "succeeded"
    gpus = done["attempts"][0]["replicas"][0]["gpus"]
    assert len(gpus) == 2
    want = ",".join(str(g) for g in gpus)
    out = admin.logs(job["id"])
    assert f"CVD={want} " in out
    assert f"NVD={want} " in out
    assert f"ID={job['id']}" in out


def test_concurrent_jobs_get_disjoint_gpus(admin):
    jobs = [admin.submit(command=["sleep", "1"], resources={"gpus": 2}) for _ in range(2)]
    running = [admin.wait(j["id"], states=("running",)) for j in jobs]
    sets = [set(r["placement"][0]["gpus"]) for r in running]
    assert len(sets[0]) == 2 and len(sets[1]) == 2
    assert not (sets[0] & sets[1])
    # A third 2-GPU job must wait: all 4 GPUs are taken.
    third = admin.submit(command=["true"], resources={"gpus": 2})
    assert admin.job(third["id"])["state"] == "pending"
    assert admin.job(third["id"])["reason"]
    for j in jobs + [third]:
        assert admin.wait(j["id"])["state"] == "succeeded"


def test_cancel_running_job_terminates_group(admin, tmp_path):
    marker = tmp_path / "child-alive"
    job = admin.submit(command=["sh", "-c", f"(sleep 30; touch {marker}) & sleep 30"])
    admin.wait(job["id"], states=("running",))
    r = admin.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert r["id"] == job["id"]
    done = admin.wait(job["id"], timeout=15)
    assert done["state"] == "cancelled"
    with pytest.raises(ApiError) as e:
        admin.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert e.value.status == 409


def test_cancel_ignoring_sigterm_is_killed_after_grace(admin):
    job = admin.submit(command=["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"])
    admin.wait(job["id"], states=("running",))
    t0 = time.time()
    admin.post(f"/api/v1/jobs/{job['id']}/cancel")
    done = admin.wait(job["id"], timeout=20)
    assert done["state"] == "cancelled"
    assert time.time() - t0 >= 1.5  # the server runs with a 2 s grace period


def test_cancel_pending_job(admin):
    job = admin.submit(command=["true"], resources={"gpus": 4}, name="blocker")
    blocker = admin.submit(command=["sleep", "5"], resources={"gpus": 4})
    pending = admin.submit(command=["true"], resources={"gpus": 4})
    admin.post(f"/api/v1/jobs/{pending['id']}/cancel")
    assert admin.job(pending["id"])["state"] == "cancelled"
    assert admin.job(pending["id"])["attempts"] == []
    admin.post(f"/api/v1/jobs/{blocker['id']}/cancel")
    admin.wait(job["id"])


def test_time_limit(admin):
    job = admin.submit(command=["sleep", "30"], time_limit_s=1)
    done = admin.wait(job["id"], timeout=20)
    assert done["state"] == "failed"
    assert "time limit" in done["reason"]


def test_retry_policy(admin, tmp_path):
    counter = tmp_path / "count"
    # Fails twice, then succeeds.
    script = (f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; "
              f"[ $n -ge 3 ]")
    job = admin.submit(command=["sh", "-c", script], retry={"max_retries": 2})
    done = admin.wait(job["id"])
    assert done["state"] == "succeeded"
    assert [a["exit_code"] for a in done["attempts"]] == [1, 1, 0]
    assert counter.read_text().strip() == "3"


def test_multi_replica_gang(admin):
    job = admin.submit(command=["sh", "-c", "echo rank=$RANK world=$WORLD_SIZE"],
                       replicas=2, resources={"gpus": 1})
    done = admin.wait(job["id"])
    assert done["state"] == "succeeded"
    reps = done["attempts"][0]["replicas"]
    assert len(reps) == 2
    assert admin.logs(job["id"], replica=1).strip() == "rank=1 world=2"
    assert not set(reps[0]["gpus"]) & set(reps[1]["gpus"]) or reps[0]["node"] != reps[1]["node"]


def test_infeasible_is_rejected_and_changes_nothing(admin):
    before = admin.get("/api/v1/jobs?limit=1000")["jobs"]
    with pytest.raises(ApiError) as e:
        admin.submit(command=["true"], resources={"gpus": 5})
    assert e.value.status == 422
    assert e.value.body["error"]["code"] == "infeasible"
    assert "4" in e.value.body["error"]["message"]
    after = admin.get("/api/v1/jobs?limit=1000")["jobs"]
    assert len(after) == len(before)


def test_list_filters_and_paging(admin):
    ids = [admin.submit(command=["true"], labels={"batch": "p"}, name=f"p{i}")["id"]
           for i in range(5)]
    for i in ids:
        admin.wait(i)
    page1 = admin.get("/api/v1/jobs?label=batch=p&limit=2")
    assert [j["id"] for j in page1["jobs"]] == sorted(ids, reverse=True)[:2]
    assert page1["next_cursor"]
    page2 = admin.get(f"/api/v1/jobs?label=batch=p&limit=2&cursor={page1['next_cursor']}")
    assert [j["id"] for j in page2["jobs"]] == sorted(ids, reverse=True)[2:4]
    by_name = admin.get("/api/v1/jobs?name=p3")["jobs"]
    assert [j["id"] for j in by_name] == [ids[3]]
    done = admin.get("/api/v1/jobs?state=succeeded&label=batch=p")["jobs"]
    assert len(done) == 5


def test_yaml_spec(admin):
    body = "command: [sh, -c, 'echo from-yaml']\nresources:\n  gpus: 1\nlabels:\n  kind: yaml\n"
    job = admin.post("/api/v1/jobs", body, content_type="application/yaml")
    assert admin.wait(job["id"])["state"] == "succeeded"
    assert admin.logs(job["id"]).strip() == "from-yaml"


def test_follow_logs_sse(admin):
    job = admin.submit(command=["sh", "-c", "for i in 1 2 3; do echo tick$i; sleep 0.2; done"])
    req = urllib.request.Request(f"{admin.url}/api/v1/jobs/{job['id']}/logs?follow=true",
                                 headers={"Authorization": f"Bearer {admin.token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        text = resp.read().decode()
    assert "event: log\ndata: tick1" in text
    assert "data: tick3" in text
    end = text.split("event: end\ndata: ")[1].split("\n")[0]
    assert json.loads(end)["state"] == "succeeded"


def test_event_stream(admin):
    job = admin.submit(command=["true"])
    admin.wait(job["id"])
    req = urllib.request.Request(f"{admin.url}/api/v1/events?since=0",
                                 headers={"Authorization": f"Bearer {admin.token}"})
    seen = []
    with urllib.request.urlopen(req, timeout=10) as resp:
        while True:
            line = resp.readline().decode()
            if line.startswith("data: "):
                ev = json.loads(line[6:])
                if ev["job"] == job["id"]:
                    seen.append(ev["type"])
                    if ev["type"] == "succeeded":
                        break
    assert seen[0] == "submitted"
    assert "started" in seen and seen[-1] == "succeeded"


def test_nodes_show_simulated_gpus_and_users(admin):
    job = admin.submit(command=["sleep", "2"], resources={"gpus": 1})
    running = admin.wait(job["id"], states=("running",))
    nodes = admin.get("/api/v1/nodes")["nodes"]
    assert len(nodes) == 1 and nodes[0]["simulated"] is True
    gpus = nodes[0]["gpus"]
    assert len(gpus) == 4 and all(g["simulated"] for g in gpus)
    used = [g for g in gpus if g["job"] == job["id"]]
    assert [g["index"] for g in used] == running["placement"][0]["gpus"]
    assert used[0]["user"] == "admin"
    admin.wait(job["id"])


def test_openapi_document(server, admin):
    doc = admin.get("/api/v1/openapi.json", token="")
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/jobs" in doc["paths"]
    assert "JobSpec" in doc["components"]["schemas"]
