"""The scheduler inside the real server: queues borrow and reclaim, gangs are not starved,
interactive work preempts opportunistic work."""

import time

import pytest

from conftest import ApiError, Server

# A job that ends promptly on SIGTERM, as a checkpointing trainer would.
SLEEPER = ["sh", "-c", "trap 'exit 143' TERM; sleep 60 & wait"]


def wait_until(pred, timeout=20, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("condition not reached")


@pytest.fixture
def queued_server(tmp_path):
    qfile = tmp_path / "queues.yaml"
    qfile.write_text("queues:\n"
                     "  - {name: team-a, guaranteed_gpus: 2, max_gpus: 4, weight: 1}\n"
                     "  - {name: team-b, guaranteed_gpus: 2, max_gpus: 4, weight: 1}\n")
    s = Server(tmp_path / "data", extra=["--queues-file", str(qfile), "--preemption-grace", "1",
                                          "--opportunistic-grace", "1"]).start()
    yield s
    s.stop()


def test_queue_config_api(queued_server):
    admin = queued_server.client()
    qs = {q["name"]: q for q in admin.get("/api/v1/queues")["queues"]}
    assert qs["team-a"]["guaranteed_gpus"] == 2 and qs["team-a"]["configured"]
    with pytest.raises(ApiError) as e:
        admin.request("PUT", "/api/v1/queues", {"queues": [{"name": "x", "guaranteed_gpus": 3,
                                                            "max_gpus": 1}]})
    assert e.value.body["error"]["details"]["field"] == "queues[0].max_gpus"
    # Unknown queue on a job is a 400 naming the field.
    with pytest.raises(ApiError) as e:
        admin.submit(command=["true"], queue="nope")
    assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == "queue"
    # A live change takes effect without a restart.
    r = admin.request("PUT", "/api/v1/queues",
                      {"queues": [{"name": "team-a", "guaranteed_gpus": 1},
                                  {"name": "team-c", "guaranteed_gpus": 3, "max_gpus": 3}]})
    names = {q["name"] for q in r["queues"] if q["configured"]}
    assert names == {"team-a", "team-c"}
    with pytest.raises(ApiError) as e:
        admin.submit(command=["true"], queue="team-c", resources={"gpus": 4})
    assert e.value.status == 422
    assert admin.wait(admin.submit(command=["true"], queue="team-c")["id"])["state"] == "succeeded"


def test_borrowed_gpus_are_reclaimed(queued_server):
    admin = queued_server.client()
    alice = queued_server.client(admin.post("/api/v1/users", {"name": "alice"})["token"])
    bob = queued_server.client(admin.post("/api/v1/users", {"name": "bob"})["token"])
    borrowers = [bob.submit(command=SLEEPER, queue="team-b", resources={"gpus": 1})["id"]
                 for _ in range(4)]
    for j in borrowers:
        bob.wait(j, states=("running",))
    qs = {q["name"]: q for q in admin.get("/api/v1/queues")["queues"]}
    assert qs["team-b"]["gpus_in_use"] == 4 and qs["team-b"]["borrowed_gpus"] == 2
    # team-a wants its guarantee back: two of bob's jobs are preempted, alice's job starts.
    t0 = time.time()
    owner_job = alice.submit(command=["sh", "-c", "echo got $CUDA_VISIBLE_DEVICES"],
                             queue="team-a", resources={"gpus": 2})
    done = alice.wait(owner_job["id"], timeout=30)
    assert done["state"] == "succeeded"
    assert time.time() - t0 < 15
    preempted = [j for j in borrowers
                 if any(a["end_reason"] == "preempted" for a in bob.job(j)["attempts"])]
    assert len(preempted) == 2
    # Preempted work requeues and keeps its history.
    for j in preempted:
        job = wait_until(lambda: (lambda x: x if len(x["attempts"]) >= 2 else None)(bob.job(j)))
        assert job["attempts"][0]["end_reason"] == "preempted"
    for j in borrowers:
        bob.post(f"/api/v1/jobs/{j}/cancel")


def test_gang_is_not_starved_by_small_jobs(tmp_path):
    s = Server(tmp_path / "data", extra=["--starvation-age", "2",
                                         "--large-job-starvation-age", "2"]).start()
    c = s.client()
    small = []
    gang = None
    t_end = time.time() + 12
    while time.time() < t_end:
        # Keep every GPU busy with a stream of short 1-GPU jobs.
        active = [j for j in small[-12:] if c.job(j)["state"] in ("pending", "starting", "running")]
        if len(active) < 6:
            small.append(c.submit(command=["sleep", "1"], resources={"gpus": 1},
                                  time_limit_s=5)["id"])
        if gang is None and len(small) >= 6:
            gang = c.submit(command=["sh", "-c", "echo gang on $CUDA_VISIBLE_DEVICES"],
                            resources={"gpus": 4}, time_limit_s=30)["id"]
            gang_submitted = time.time()
        if gang is not None and c.job(gang)["state"] != "pending":
            break
        time.sleep(0.1)
    job = c.wait(gang, timeout=30)
    assert job["state"] == "succeeded"
    # It started while small jobs kept arriving, soon after it became the oldest waiter.
    started = time.time()
    assert started - gang_submitted < 12, "the gang waited for the whole stream"
    assert len(job["attempts"][0]["replicas"][0]["gpus"]) == 4
    for j in small:
        try:
            c.post(f"/api/v1/jobs/{j}/cancel")
        except ApiError:
            pass
    s.stop()


def test_interactive_preempts_opportunistic(queued_server):
    c = queued_server.client()
    fillers = [c.submit(command=SLEEPER, priority="opportunistic", resources={"gpus": 1})["id"]
               for _ in range(4)]
    for j in fillers:
        c.wait(j, states=("running",))
    t0 = time.time()
    nb = c.submit(command=["sh", "-c", "echo notebook on $CUDA_VISIBLE_DEVICES; sleep 1"],
                  priority="interactive", resources={"gpus": 1})
    c.wait(nb["id"], states=("running", "succeeded"), timeout=20)
    waited = time.time() - t0
    assert waited < 6, f"interactive start took {waited:.1f}s with a 1 s grace"
    victims = [j for j in fillers
               if any(a["end_reason"] == "preempted" for a in c.job(j)["attempts"])]
    assert len(victims) == 1
    for j in fillers:
        c.post(f"/api/v1/jobs/{j}/cancel")


def test_queues_cli(queued_server, tmp_path):
    out = queued_server.cli("queues", check=True).stdout
    assert "team-a" in out and "team-b" in out and "GUARANTEED" in out
    f = tmp_path / "q.yaml"
    f.write_text("queues:\n  - {name: research, guaranteed_gpus: 3}\n")
    out = queued_server.cli("queues", "--set", str(f), check=True).stdout
    assert "research" in out and "team-a" not in out
    f.write_text("queues:\n  - {name: research, guaranteed_gpus: -3}\n")
    r = queued_server.cli("queues", "--set", str(f))
    assert r.returncode != 0 and "queues[0].guaranteed_gpus" in r.stderr


def test_preemption_follows_the_retry_policy(queued_server):
    c = queued_server.client()
    # Two fillers may restart after preemption (the default), two may not.
    restartable = [c.submit(command=SLEEPER, priority="opportunistic", resources={"gpus": 1})["id"]
                   for _ in range(2)]
    once = [c.submit(command=SLEEPER, priority="opportunistic", resources={"gpus": 1},
                     retry={"max_retries": 2, "retry_on_preemption": False})["id"]
            for _ in range(2)]
    assert c.job(once[0])["spec"]["retry"] == {"max_retries": 2, "retry_on_preemption": False}
    for j in restartable + once:
        c.wait(j, states=("running",))
    # Interactive work takes all four GPUs: every filler is preempted.
    urgent = [c.submit(command=["sleep", "1"], priority="interactive", resources={"gpus": 1})["id"]
              for _ in range(4)]
    for j in once:
        job = c.wait(j, states=("failed",), timeout=20)
        assert job["reason"] == "preempted"
        assert len(job["attempts"]) == 1 and job["attempts"][0]["end_reason"] == "preempted"
    for j in restartable:
        job = wait_until(lambda: (lambda x: x if x["state"] == "pending" or len(x["attempts"]) >= 2
                                  else None)(c.job(j)))
        assert job["attempts"][0]["end_reason"] == "preempted"
    for j in urgent + restartable:
        try:
            c.post(f"/api/v1/jobs/{j}/cancel")
        except ApiError:
            pass


def test_checkpointing_job_borrows_gpus_held_for_a_gang(tmp_path):
    s = Server(tmp_path / "data", extra=["--starvation-age", "1", "--large-job-starvation-age",
                                         "1", "--preemption-grace", "1"]).start()
    c = s.client()
    # Two of the four GPUs are busy for ~4 s; a 4-GPU gang becomes due after 1 s and holds the
    # node for when they free.
    first = c.submit(command=["sleep", "4"], resources={"gpus": 2}, time_limit_s=6)["id"]
    c.wait(first, states=("running",))
    gang = c.submit(command=["sh", "-c", "echo gang on $CUDA_VISIBLE_DEVICES"],
                    resources={"gpus": 4}, time_limit_s=30)["id"]
    time.sleep(1.5)
    # Both would run past the gang's start: the checkpointing one borrows an idle GPU, the other
    # waits behind the reservation.
    borrower = c.submit(command=SLEEPER, resources={"gpus": 1}, time_limit_s=60,
                        preemptible=True)["id"]
    waiter = c.submit(command=SLEEPER, resources={"gpus": 1}, time_limit_s=60)["id"]
    running = c.wait(borrower, states=("running",), timeout=10)
    assert "held for a waiting gang" in running["reason"], running["reason"]
    assert c.job(waiter)["state"] == "pending"
    assert "reservation" in c.job(waiter)["reason"], c.job(waiter)["reason"]
    # When the first job ends, the gang takes the GPU back and starts.
    done = c.wait(gang, timeout=30)
    assert done["state"] == "succeeded"
    assert len(done["attempts"][0]["replicas"][0]["gpus"]) == 4
    job = wait_until(lambda: (lambda x: x if x["attempts"] and
                              x["attempts"][0]["end_reason"] == "preempted" else None)(
        c.job(borrower)))
    assert len(job["attempts"]) >= 1
    # The waiter never held the gang up: it started only after the gang.
    w = c.job(waiter)
    if w["attempts"] and w["attempts"][0]["started_at"]:
        assert w["attempts"][0]["started_at"] >= done["attempts"][0]["started_at"]
    for j in (borrower, waiter):
        try:
            c.post(f"/api/v1/jobs/{j}/cancel")
        except ApiError:
            pass
    s.stop()
