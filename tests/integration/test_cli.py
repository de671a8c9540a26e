"""The corral CLI against a real server."""

import json
import subprocess

from conftest import CORRAL


def test_run_follow_exits_with_job_code(server):
    r = server.cli("run", "--follow", "--", "sh", "-c", "echo from-cli; exit 5")
    assert r.returncode == 5, r.stderr
    assert "from-cli" in r.stdout


def test_run_ps_describe_logs_cancel(server):
    r = server.cli("run", "--gpus", "1", "--name", "sleeper", "--", "sleep", "30", check=True)
    job_id = r.stdout.strip().split()[-1]
    assert job_id.isdigit()
    client = server.client()
    client.wait(int(job_id), states=("running",))
    ps = server.cli("ps", check=True).stdout
    assert "sleeper" in ps and job_id in ps
    ps_json = json.loads(server.cli("ps", "-o", "json", check=True).stdout)
    jobs = ps_json if isinstance(ps_json, list) else ps_json.get("jobs", [])
    assert any(str(j["id"]) == job_id for j in jobs)
    desc = server.cli("describe", job_id, check=True).stdout
    assert "running" in desc.lower() and "sim-0" in desc
    nodes = server.cli("nodes", check=True).stdout
    assert "sim-0" in nodes and "admin" in nodes and job_id in nodes
    assert "simulated" in nodes.lower() or "sim" in nodes.lower()
    server.cli("cancel", job_id, check=True)
    assert client.wait(int(job_id), timeout=15)["state"] == "cancelled"


def test_logs(server):
    client = server.client()
    job = client.submit(command=["sh", "-c", "echo one; echo two"])
    client.wait(job["id"])
    r = server.cli("logs", str(job["id"]), check=True)
    assert r.stdout.split() == ["one", "two"]
    r = server.cli("logs", "-f", str(job["id"]), check=True)
    assert r.stdout.split() == ["one", "two"]


def test_bad_input_and_unknown_job(server):
    r = server.cli("describe", "999999")
    assert r.returncode != 0 and "not found" in r.stderr.lower()
    r = server.cli("run", "--gpus", "99", "--", "true")
    assert r.returncode != 0 and "gpu" in r.stderr.lower()


def test_server_down_and_wrong_token(server):
    r = server.cli("ps", token="corral_wrong")
    assert r.returncode != 0
    assert "token" in r.stderr.lower() and len(r.stderr.strip().splitlines()) == 1
    r = server.cli("ps", env={"CORRAL_URL": "http://127.0.0.1:1"})
    assert r.returncode != 0
    assert "cannot reach" in r.stderr.lower() or "connect" in r.stderr.lower()
    assert len(r.stderr.strip().splitlines()) == 1


def test_login_writes_config(server, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "CORRAL_URL": "", "CORRAL_TOKEN": ""}
    e = dict(__import__("os").environ)
    e.update(env)
    e.pop("CORRAL_URL")
    e.pop("CORRAL_TOKEN")
    r = subprocess.run([str(CORRAL), "login", "--url", server.url, "--token", server.admin_token],
                       capture_output=True, text=True, env=e)
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "cfg" / "corral" / "config.json"
    assert cfg.exists() and oct(cfg.stat().st_mode & 0o777) == "0o600"
    r = subprocess.run([str(CORRAL), "whoami"], capture_output=True, text=True, env=e)
    assert r.returncode == 0 and "admin" in r.stdout
