"""Jobs of different users cannot reach each other or the server, do not outlive their cancel,
and cannot fill the server with their output. Runs the real server as root with two local
accounts made for the test."""

import os
import pwd
import stat
import subprocess
import time
import urllib.request
import uuid

import pytest

from conftest import ApiError, Server

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: the server switches jobs to other local accounts")

ACCOUNTS = ("corral-t-alice", "corral-t-bob")


@pytest.fixture(scope="module")
def accounts():
    made = []
    for name in ACCOUNTS:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["useradd", "-M", "-r", "-s", "/usr/sbin/nologin", name], check=True)
        made.append(name)
    yield {name: pwd.getpwnam(name) for name in made}
    for name in made:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def iso(tmp_path, accounts):
    s = Server(tmp_path / "data", gpus=1, extra=["--max-log-bytes", "4096"]).start()
    admin = s.client()
    clients = {}
    for user, account in (("alice", ACCOUNTS[0]), ("bob", ACCOUNTS[1])):
        r = admin.post("/api/v1/users", {"name": user, "unix_user": account})
        assert r["user"]["unix_user"] == account
        clients[user] = s.client(r["token"])
    yield s, admin, clients
    s.stop()


def replica_dir(server, job_id):
    return server.data_dir / "jobs" / str(job_id) / "1" / "0"


def wait_for(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_job_runs_as_its_users_account_without_privileges(iso, accounts):
    s, admin, users = iso
    job = users["alice"].submit(script="id -u; id -g; echo USER=$USER\n"
                                       "grep -E '^(NoNewPrivs|CapEff|CapPrm):' /proc/self/status\n")
    done = users["alice"].wait(job["id"])
    assert done["state"] == "succeeded", done
    out = users["alice"].logs(job["id"]).split("\n")
    account = accounts[ACCOUNTS[0]]
    assert out[0] == str(account.pw_uid) and out[1] == str(account.pw_gid)
    assert f"USER={ACCOUNTS[0]}" in out
    assert "NoNewPrivs:\t1" in out
    assert "CapEff:\t0000000000000000" in out
    assert "CapPrm:\t0000000000000000" in out


def test_a_job_cannot_reach_another_users_job_or_the_server(iso, tmp_path, accounts):
    s, admin, users = iso
    bob_dir = tmp_path / "bob-work"
    bob_dir.mkdir()
    os.chown(bob_dir, accounts[ACCOUNTS[1]].pw_uid, accounts[ACCOUNTS[1]].pw_gid)
    marker = "bob-" + uuid.uuid4().hex[:8]
    bob = users["bob"].submit(
        script=f"echo log-secret; mkdir -m 700 private && echo file-secret > private/f\n"
               f"chmod 700 {bob_dir}; echo workdir-secret > {bob_dir}/f\n"
               f"touch ready; exec sh -c 'while :; do sleep 1; done' {marker}\n",
        env={"BOB_SECRET": "env-secret"})
    bob_work = replica_dir(s, bob["id"]) / "work"
    assert wait_for(lambda: (bob_work / "ready").exists())
    bob_pid = processes_with(marker)[0]
    targets = {
        "log": f"cat {replica_dir(s, bob['id'])}/output.log",
        "replica-dir": f"ls {replica_dir(s, bob['id'])}",
        "replica-work": f"ls {bob_work}",
        "replica-private": f"cat {bob_work}/private/f",
        "workdir": f"cat {bob_dir}/f",
        "environ": f"cat /proc/{bob_pid}/environ",
        "data-dir": f"ls {s.data_dir}",
        "database": f"cat {s.data_dir}/corral.db",
        "wal": f"cat {s.data_dir}/corral.db-wal",
        "trial-key": f"cat {s.data_dir}/trial-key",
        "write-db": f"echo x >> {s.data_dir}/corral.db",
    }
    script = "".join(f"if {cmd} >/dev/null 2>&1; then echo LEAK:{name}; "
                     f"else echo DENIED:{name}; fi\n" for name, cmd in targets.items())
    alice = users["alice"].submit(script=script)
    assert users["alice"].wait(alice["id"])["state"] == "succeeded"
    out = users["alice"].logs(alice["id"])
    assert "LEAK" not in out, out
    for name in targets:
        assert f"DENIED:{name}" in out
    # Bob's own job could write where it had to.
    assert (bob_work / "private" / "f").read_text() == "file-secret\n"
    users["bob"].post(f"/api/v1/jobs/{bob['id']}/cancel")
    users["bob"].wait(bob["id"])


def test_data_directory_and_database_are_the_servers(iso):
    s, admin, users = iso
    assert stat.S_IMODE(s.data_dir.stat().st_mode) == 0o711  # traversable, never listable
    for name in ("corral.db", "corral.db-wal", "trial-key"):
        path = s.data_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    job = users["alice"].submit(command=["true"])
    users["alice"].wait(job["id"])
    rdir = replica_dir(s, job["id"])
    assert stat.S_IMODE((rdir / "output.log").stat().st_mode) == 0o600
    assert (rdir / "output.log").stat().st_uid == 0
    work = rdir / "work"
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert work.stat().st_uid == pwd.getpwnam(ACCOUNTS[0]).pw_uid


def test_setsid_helper_dies_with_its_cancelled_job_before_the_gpu_is_free(iso):
    s, admin, users = iso
    marker = "corral-escapee-" + uuid.uuid4().hex[:8]
    job = users["alice"].submit(
        script=f"setsid sh -c 'while :; do sleep 1; done' {marker} &\ntouch ready\nsleep 1000\n",
        resources={"gpus": 1})
    assert wait_for(lambda: (replica_dir(s, job["id"]) / "work" / "ready").exists())
    assert processes_with(marker)
    users["alice"].post(f"/api/v1/jobs/{job['id']}/cancel")

    def gpu_free():
        gpus = admin.get("/api/v1/nodes")["nodes"][0]["gpus"]
        return gpus[0]["job"] is None

    assert wait_for(gpu_free)
    # The GPU is reported free only after every process of the job is gone.
    assert processes_with(marker) == []
    done = users["alice"].job(job["id"])
    assert done["state"] == "cancelled"
    node = admin.get("/api/v1/nodes")["nodes"][0]
    assert node["job_accounts"] == "per-user"
    assert node["containment"]


def test_log_cap_keeps_the_head_and_the_job_runs_on(iso):
    s, admin, users = iso
    job = users["alice"].submit(
        script="i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done; exit 3\n")
    done = users["alice"].wait(job["id"])
    assert done["state"] == "failed" and done["exit_code"] == 3  # it ran to its own end
    out = users["alice"].logs(job["id"])
    assert out.startswith("line-0\nline-1\n")
    assert out.endswith("corral: log limit of 4096 bytes reached; further output discarded\n")
    assert len(out.encode()) < 4096 + 200
    # The truncation is a job event.
    req = urllib.request.Request(s.url + "/api/v1/events?since=0",
                                 headers={"Authorization": f"Bearer {users['alice'].token}"})
    seen = []
    with urllib.request.urlopen(req, timeout=5) as resp:
        for raw in resp:
            line = raw.decode()
            if line.startswith("data:") and f'"job":{job["id"]}' in line.replace(" ", ""):
                seen.append(line)
                if "log_truncated" in line:
                    break
    assert any("log_truncated" in e for e in seen), seen


def test_tail_offset_and_range(iso):
    s, admin, users = iso
    job = users["alice"].submit(script="i=1; while [ $i -le 300 ]; do echo $i; i=$((i+1)); done\n")
    assert users["alice"].wait(job["id"])["state"] == "succeeded"
    alice = users["alice"]
    assert alice.logs(job["id"], tail=3) == "298\n299\n300\n"
    assert alice.logs(job["id"], tail=0) == ""
    full = alice.logs(job["id"])
    assert alice.logs(job["id"], offset=len(full) - 4) == "300\n"
    assert alice.logs(job["id"], offset=10**9) == ""
    req = urllib.request.Request(s.url + f"/api/v1/jobs/{job['id']}/logs",
                                 headers={"Authorization": f"Bearer {alice.token}",
                                          "Range": "bytes=0-5"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206
        assert resp.read().decode() == "1\n2\n3\n"
        assert resp.headers["Content-Range"] == f"bytes 0-5/{len(full)}"
    with pytest.raises(ApiError) as e:
        alice.logs(job["id"], tail=-1)
    assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == "tail"
    r = s.cli("logs", "--tail", "2", str(job["id"]), token=alice.token, check=True)
    assert r.stdout == "299\n300\n"


def test_user_mapping_rules(iso, accounts):
    s, admin, users = iso
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/users", {"name": "carol", "unix_user": "no-such-account-x"})
    assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == "unix_user"
    # A Corral user called root without a mapping does not run as root.
    root_user = s.client(admin.post("/api/v1/users", {"name": "root"})["token"])
    job = root_user.submit(command=["id", "-u"])
    assert root_user.wait(job["id"])["state"] == "succeeded"
    assert root_user.logs(job["id"]).strip() == str(pwd.getpwnam("nobody").pw_uid)
    r = s.cli("users", "create", "dave", "--unix-user", ACCOUNTS[1], check=True)
    listed = {u["name"]: u for u in admin.get("/api/v1/users")["users"]}
    assert listed["dave"]["unix_user"] == ACCOUNTS[1] and r.returncode == 0


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_serving_a_large_log_takes_bounded_memory(tmp_path):
    s = Server(tmp_path / "data", gpus=0).start()
    try:
        admin = s.client()
        size = 64 * 1024 * 1024
        job = admin.submit(script=f"yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c {size}\n")
        assert admin.wait(job["id"], timeout=60)["state"] == "succeeded"
        before = vm_hwm_kb(s.proc.pid)
        req = urllib.request.Request(s.url + f"/api/v1/jobs/{job['id']}/logs",
                                     headers={"Authorization": f"Bearer {admin.token}"})
        got = 0
        with urllib.request.urlopen(req) as resp:
            while chunk := resp.read(1 << 20):
                got += len(chunk)
        assert got == size
        req = urllib.request.Request(s.url + f"/api/v1/jobs/{job['id']}/logs?follow=true",
                                     headers={"Authorization": f"Bearer {admin.token}"})
        with urllib.request.urlopen(req) as resp:
            while resp.read(1 << 20):
                pass
        grown_mb = (vm_hwm_kb(s.proc.pid) - before) / 1024
        # The whole log is 64 MiB; a bounded reader needs a few chunks.
        assert grown_mb < 32, f"server peak memory grew by {grown_mb:.1f} MiB"
    finally:
        s.stop()


def test_a_server_that_is_not_root_runs_jobs_as_itself_and_says_so(tmp_path):
    nobody = pwd.getpwnam("nobody")
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, nobody.pw_uid, nobody.pw_gid)

    def drop():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    s = Server(data, gpus=1, preexec=drop).start()
    try:
        admin = s.client()
        alice = s.client(admin.post("/api/v1/users", {"name": "alice"})["token"])
        job = alice.submit(script="id -u; grep NoNewPrivs /proc/self/status\n")
        assert alice.wait(job["id"])["state"] == "succeeded"
        assert alice.logs(job["id"]).split("\n")[:2] == [str(nobody.pw_uid), "NoNewPrivs:\t1"]
        node = admin.get("/api/v1/nodes")["nodes"][0]
        assert node["job_accounts"] == f"server (uid {nobody.pw_uid})"
        assert "every job runs as this server's own account" in s.log_path.read_text()
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    finally:
        s.stop()


def test_an_existing_data_directory_is_tightened_at_start(tmp_path):
    data = tmp_path / "data"
    old_log = data / "jobs" / "1" / "1" / "0" / "output.log"
    old_log.parent.mkdir(parents=True)
    old_log.write_text("old output\n")
    old_log.chmod(0o644)
    (data / "trial-key").write_text("k" * 64 + "\n")
    (data / "trial-key").chmod(0o644)
    data.chmod(0o755)
    s = Server(data, gpus=1).start()
    try:
        assert stat.S_IMODE(data.stat().st_mode) == 0o711
        assert stat.S_IMODE((data / "trial-key").stat().st_mode) == 0o600
        assert stat.S_IMODE((data / "corral.db").stat().st_mode) == 0o600
        assert stat.S_IMODE(old_log.stat().st_mode) == 0o600
    finally:
        s.stop()
