"""Jobs on a real two-node Slurm cluster (tests/slurm/start-cluster.sh) through a real server
started with `--executor slurm`: logs, GPU grants, cancel, gangs across nodes with real DDP
training (torch, gloo, CPU) by plain environment and by torchrun, and adoption after kill -9."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Server

REPO = Path(__file__).resolve().parents[2]
START = REPO / "tests" / "slurm" / "start-cluster.sh"
STOP = REPO / "tests" / "slurm" / "stop-cluster.sh"

DDP_SCRIPT = (REPO / "tests" / "slurm" / "ddp_train.py").read_text()


@pytest.fixture(scope="session")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("the Slurm test cluster needs root (network namespaces, slurmd)")
    was_running = _cluster_running()
    r = subprocess.run([str(START)], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        out = (r.stdout + r.stderr)[-2000:]
        if "apt-get failed" in out or "missing packages" in out:
            pytest.skip(f"Slurm cannot be installed here: {out}")
        raise AssertionError(f"start-cluster.sh failed:\n{out}")
    yield r.stdout
    # A cluster this session started goes with it; one that was up before stays up.
    if not was_running:
        subprocess.run([str(STOP)], capture_output=True, timeout=120)


def _cluster_running():
    try:
        pid = int(Path("/run/corral-slurm/slurmctld.pid").read_text())
        return Path(f"/proc/{pid}/comm").read_text().strip() == "slurmctld"
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def spool(tmp_path_factory):
    # A directory every node reaches (the nodes share this host's file system) and every job
    # account may traverse.
    d = tmp_path_factory.mktemp("slurm-spool")
    for p in [d, *d.parents]:
        if str(p) in ("/", "/tmp"):
            break
        p.chmod(p.stat().st_mode | 0o711)
    return d


@pytest.fixture(scope="module")
def slurm_server(slurm_cluster, tmp_path_factory, spool):
    data = tmp_path_factory.mktemp("slurm-server")
    prefix = f"corral-t{os.getpid()}"
    s = Server(data, gpus=0, extra=["--executor", "slurm", "--slurm-spool-dir", str(spool),
                                    "--slurm-poll-interval", "0.2",
                                    "--slurm-job-prefix", prefix])
    s.job_prefix = prefix
    s.start()
    yield s
    s.stop()
    # Jobs of this server that a failed test left behind.
    q = subprocess.run(["squeue", "-h", "-o", "%i %j"], capture_output=True, text=True).stdout
    ids = [l.split()[0] for l in q.splitlines() if l.split()[1].startswith(prefix + "-")]
    if ids:
        subprocess.run(["scancel", *ids])


@pytest.fixture
def admin(slurm_server):
    return slurm_server.client(slurm_server.admin_token)


def _shared_dir(tmp_path):
    tmp_path.chmod(0o777)
    for p in tmp_path.parents:
        if str(p) in ("/", "/tmp"):
            break
        p.chmod(p.stat().st_mode | 0o711)
    return tmp_path


def test_nodes_learned_from_slurm(admin):
    nodes = {n["name"]: n for n in admin.get("/api/v1/nodes")["nodes"]}
    assert set(nodes) == {"n1", "n2"}
    assert all(len(n["gpus"]) == 8 and n["cpus"] == 16 and n["up"] for n in nodes.values())
    # MASTER_ADDR material: each node's NodeAddr, as the other nodes reach it.
    addrs = {n["address"] for n in nodes.values()}
    if Path("/run/corral-slurm/mode").read_text().strip() == "netns":
        assert addrs == {"10.233.233.11", "10.233.233.12"}, addrs


def test_single_job_succeeds_with_logs_and_granted_gpus(admin):
    job = admin.submit(command=["sh", "-c", "echo hello from $(hostname) "
                                "CVD=$CUDA_VISIBLE_DEVICES SLURM=$SLURM_JOB_ID; echo oops >&2"],
                       resources={"gpus": 3})
    done = admin.wait(job["id"], timeout=60)
    assert done["state"] == "succeeded", done
    rep = done["attempts"][0]["replicas"][0]
    assert rep["external_id"].isdigit()
    out = admin.logs(job["id"])
    assert "oops" in out
    line = next(l for l in out.splitlines() if l.startswith("hello"))
    host = line.split()[2]
    assert host == rep["node"], (line, rep)
    cvd = line.split("CVD=")[1].split()[0]
    assert len(cvd.split(",")) == 3, line
    assert f"SLURM={rep['external_id']}" in line


def test_exit_code_and_failure(admin):
    job = admin.submit(command=["sh", "-c", "exit 7"])
    done = admin.wait(job["id"], timeout=60)
    assert done["state"] == "failed" and done["exit_code"] == 7


def test_cancel_running_job(admin):
    job = admin.submit(command=["sleep", "300"])
    running = admin.wait(job["id"], states=("running",), timeout=60)
    slurm_id = running["attempts"][0]["replicas"][0]["external_id"]
    admin.post(f"/api/v1/jobs/{job['id']}/cancel")
    done = admin.wait(job["id"], timeout=60)
    assert done["state"] == "cancelled"
    deadline = time.time() + 30
    while time.time() < deadline:
        q = subprocess.run(["squeue", "-h", "-j", slurm_id, "-o", "%T"], capture_output=True,
                           text=True).stdout.strip()
        if q in ("", "CANCELLED", "COMPLETED", "FAILED"):
            break
        time.sleep(0.2)
    assert q in ("", "CANCELLED", "COMPLETED", "FAILED"), q


def test_gang_across_two_nodes_sees_ranks_and_reaches_master(admin):
    # 8 GPUs per replica: each replica takes a whole node.
    script = ("echo RANK=$RANK WORLD=$WORLD_SIZE NODE_RANK=$NODE_RANK LOCAL_RANK=$LOCAL_RANK "
              "HOST=$(hostname) MASTER=$MASTER_ADDR:$MASTER_PORT PET=$PET_NNODES/$PET_NODE_RANK\n"
              "python3 -c \"import socket,os,sys,time\n"
              "a=(os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT']))\n"
              "if os.environ['RANK']=='0':\n"
              "  s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "  s.bind(('0.0.0.0', a[1])); s.listen(1); c,_=s.accept(); print('GOT', c.recv(64).decode())\n"
              "else:\n"
              "  for i in range(100):\n"
              "    try: c=socket.create_connection(a, timeout=1); break\n"
              "    except OSError: time.sleep(0.1)\n"
              "  c.sendall(b'hello-from-rank-1'); print('SENT')\n\"\n")
    job = admin.submit(script=script, replicas=2, resources={"gpus": 8})
    done = admin.wait(job["id"], timeout=90)
    assert done["state"] == "succeeded", done
    reps = done["attempts"][0]["replicas"]
    assert {r["node"] for r in reps} == {"n1", "n2"}
    logs = [admin.logs(job["id"], replica=i) for i in range(2)]
    ranks = [l.split("RANK=")[1].split()[0] for l in logs]
    assert ranks == ["0", "1"], logs
    assert all("WORLD=2" in l for l in logs)
    hosts = [l.split("HOST=")[1].split()[0] for l in logs]
    assert hosts[0] != hosts[1]
    assert "GOT hello-from-rank-1" in logs[0]
    assert "SENT" in logs[1]
    assert all("PET=2/" in l for l in logs)


def _torch_available():
    return subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                          capture_output=True).returncode == 0


@pytest.mark.parametrize("launcher", ["env", "torchrun"])
def test_ddp_training_on_two_nodes(admin, tmp_path, launcher):
    if not _torch_available():
        pytest.fail("python3-torch is not installed (scripts/install-deps.sh test installs it)")
    d = _shared_dir(tmp_path)
    (d / "train.py").write_text(DDP_SCRIPT)
    (d / "train.py").chmod(0o644)
    if launcher == "env":
        command = ["/usr/bin/python3", str(d / "train.py")]
    else:
        command = ["torchrun", "--monitor_interval", "0.5", str(d / "train.py")]
    job = admin.submit(command=command, replicas=2, resources={"gpus": 8})
    done = admin.wait(job["id"], timeout=120)
    logs = [admin.logs(job["id"], replica=i) for i in range(2)]
    assert done["state"] == "succeeded", (done, logs)
    lines = [next(l for l in log.splitlines() if "DDP rank=" in l) for log in logs]
    ranks = sorted(int(l.split("rank=")[1].split()[0]) for l in lines)
    assert ranks == [0, 1], lines
    assert all("world=2" in l and "weights_equal=True" in l for l in lines), lines
    assert len({l.split("host=")[1].split()[0] for l in lines}) == 2, lines


def test_gang_failure_stops_the_rest_and_retries(admin):
    job = admin.submit(command=["sh", "-c", "if [ $RANK = 1 ]; then exit 3; fi; sleep 120"],
                       replicas=2, resources={"gpus": 8}, retry={"max_retries": 1})
    t0 = time.time()
    done = admin.wait(job["id"], timeout=90)
    assert done["state"] == "failed", done
    assert len(done["attempts"]) == 2
    for attempt in done["attempts"]:
        reps = attempt["replicas"]
        # Replica 1 failed on its own; replica 0 was stopped with SIGTERM as the gang ended.
        assert reps[1]["exit_code"] == 3, attempt
        assert reps[0].get("signal") == 15 or reps[0]["exit_code"] == 143, attempt
    assert time.time() - t0 < 60


def test_server_kill9_adopts_and_job_finishes_once(slurm_server, tmp_path):
    admin = slurm_server.client(slurm_server.admin_token)
    d = _shared_dir(tmp_path)
    marker = d / "runs"
    job = admin.submit(command=["sh", "-c", f"echo run >> {marker}; sleep 4; echo done"],
                       resources={"gpus": 1})
    admin.wait(job["id"], states=("running",), timeout=60)
    slurm_server.kill9()
    time.sleep(1)
    slurm_server.start(port=slurm_server.port)
    admin = slurm_server.client(slurm_server.admin_token)
    done = admin.wait(job["id"], timeout=60)
    assert done["state"] == "succeeded", done
    assert len(done["attempts"]) == 1
    assert marker.read_text().count("run") == 1
    assert "done" in admin.logs(job["id"])


def test_job_lost_with_its_node_is_requeued_on_another(admin):
    job = admin.submit(command=["sh", "-c", "echo on $(hostname); sleep 20"],
                       resources={"gpus": 8})
    running = admin.wait(job["id"], states=("running",), timeout=60)
    node = running["attempts"][-1]["replicas"][0]["node"]
    other = "n2" if node == "n1" else "n1"
    subprocess.run(["scontrol", "update", f"nodename={node}", "state=down",
                    "reason=corral-test"], check=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            j = admin.job(job["id"])
            if len(j["attempts"]) >= 2 and j["state"] == "running":
                break
            time.sleep(0.2)
        # The node went down (Slurm brings it back by itself once its slurmd answers).
        assert len(j["attempts"]) >= 2 and j["state"] == "running", j
        assert j["attempts"][0]["end_reason"] == "node down", j["attempts"][0]
        assert j["attempts"][-1]["replicas"][0]["node"] == other
    finally:
        subprocess.run(["scontrol", "update", f"nodename={node}", "state=resume"],
                       capture_output=True)
        admin.post(f"/api/v1/jobs/{job['id']}/cancel")
    deadline = time.time() + 30
    while time.time() < deadline:
        if node in subprocess.run(["sinfo", "-h", "-t", "idle,mix,alloc", "-o", "%n"],
                                  capture_output=True, text=True).stdout.split():
            break
        time.sleep(0.2)
