"""kill -9 of the server at any moment loses no accepted job and never runs one twice."""

import random
import time

import pytest

from conftest import ApiError, Server


def test_job_finishing_while_server_is_down_is_recorded(tmp_path):
    s = Server(tmp_path / "data").start()
    c = s.client()
    job = c.submit(command=["sh", "-c", "sleep 1; echo done; exit 3"])
    c.wait(job["id"], states=("running",))
    s.kill9()
    time.sleep(2)  # the job ends while no server is watching
    s.start(port=s.port)
    c = s.client()
    done = c.wait(job["id"])
    assert done["state"] == "failed"
    assert done["exit_code"] == 3
    assert len(done["attempts"]) == 1
    assert c.logs(job["id"]).strip() == "done"
    s.stop()


def test_running_job_is_readopted(tmp_path):
    s = Server(tmp_path / "data").start()
    c = s.client()
    job = c.submit(command=["sh", "-c", "sleep 2; echo survived"], resources={"gpus": 2})
    running = c.wait(job["id"], states=("running",))
    s.kill9()
    s.start(port=s.port)
    c = s.client()
    # Still running, still holding its GPUs: a 4-GPU job cannot start until it ends.
    again = c.job(job["id"])
    assert again["state"] == "running"
    assert again["placement"] == running["placement"]
    big = c.submit(command=["true"], resources={"gpus": 4})
    assert c.job(big["id"])["state"] == "pending"
    done = c.wait(job["id"])
    assert done["state"] == "succeeded"
    assert c.logs(job["id"]).strip() == "survived"
    assert c.wait(big["id"])["state"] == "succeeded"
    s.stop()


def test_cancel_survives_restart(tmp_path):
    s = Server(tmp_path / "data").start()
    c = s.client()
    job = c.submit(command=["sleep", "60"])
    c.wait(job["id"], states=("running",))
    s.kill9()
    s.start(port=s.port)
    c = s.client()
    c.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert c.wait(job["id"], timeout=15)["state"] == "cancelled"
    s.stop()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_kills_lose_nothing_and_run_nothing_twice(tmp_path, seed):
    rng = random.Random(seed)
    ledger = tmp_path / "ledger"
    ledger.touch()
    s = Server(tmp_path / "data").start()
    accepted = []

    def submit_some(n):
        c = s.client()
        for _ in range(n):
            d = rng.choice([0, 0.1, 0.3, 0.8, 1.5])
            try:
                job = c.submit(command=["sh", "-c", f"echo $CORRAL_JOB_ID >> {ledger}; sleep {d}"],
                               resources={"gpus": rng.choice([0, 1, 1, 2])})
                accepted.append(job["id"])
            except (ApiError, OSError):
                pass  # the server may be dying: an unacknowledged submission promises nothing

    submit_some(15)
    for _ in range(4):
        time.sleep(rng.uniform(0.0, 1.2))
        submit_some(3)
        s.kill9()
        time.sleep(rng.uniform(0.0, 1.0))
        s.start(port=s.port)
    c = s.client()
    for jid in accepted:
        done = c.wait(jid, timeout=60)
        assert done["state"] == "succeeded", done
    runs = [int(x) for x in ledger.read_text().split()]
    assert sorted(set(runs)) == sorted(runs), "a job ran twice"
    assert set(accepted) <= set(runs), "an accepted job never ran"
    s.stop()
