"""Notebooks with the real Jupyter server (Debian's notebook 6.4), run as an interactive job,
reached through the server's authenticated proxy (HTTP and the kernel WebSocket), culled when
idle, and reachable with the real ssh client through the WebSocket tunnel."""

import json
import os
import pwd
import subprocess
import time
import uuid

import pytest
import websocket  # python3-websocket (Debian)

from conftest import CORRAL, ApiError, Server
from test_sessions import PASSWORD, Browser, set_password

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: notebooks run as the users' own accounts")

SSH_ACCOUNT = "corral-t-nbssh"


def cli_env(server, token):
    return dict(os.environ, CORRAL_URL=server.url, CORRAL_TOKEN=token,
                XDG_CONFIG_HOME=str(server.data_dir / "cli-config"))


def start_notebook(client, timeout=90, **body):
    nb = client.post("/api/v1/notebooks", body)
    assert nb["state"] == "starting"
    deadline = time.time() + timeout
    while nb["state"] == "starting" and time.time() < deadline:
        nb = client.get(f"/api/v1/notebooks/{nb['id']}?wait_s=10")
    assert nb["state"] == "ready", nb
    return nb


def gpus_in_use(client):
    return sum(1 for n in client.get("/api/v1/nodes")["nodes"] for g in n["gpus"] if g["job"])


def wait_for(predicate, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def stop_all(client):
    """Stops the client's notebooks and waits for their jobs to end: stopping the server alone
    would leave them running, as it leaves every job (they are re-adopted on restart)."""
    for nb in client.get("/api/v1/notebooks")["notebooks"]:
        client.request("DELETE", f"/api/v1/notebooks/{nb['id']}")
        client.wait(nb["job"], timeout=30)


def kernel_socket(server, client, nb, kernel_id):
    ws_url = server.url.replace("http://", "ws://")
    return websocket.create_connection(
        f"{ws_url}{nb['path']}api/kernels/{kernel_id}/channels",
        header=[f"Authorization: Bearer {client.token}"], timeout=30)


def execute(ws, code, wait=True):
    """Sends an execute_request on a kernel's channels; returns the text/plain result."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False}}))
    if not wait:
        return None
    while True:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "execute_result":
            return msg["content"]["data"]["text/plain"]
        if msg["msg_type"] == "error":
            raise AssertionError(msg["content"])


def test_notebook_kernel_through_the_proxy_only_for_its_owner(server, admin, users):
    alice, bob = users["alice"], users["bob"]
    # Bad requests name their field and make nothing.
    for body, field in (({"gpus": -1}, "gpus"), ({"environment": "nope"}, "environment"),
                        ({"name": "a b"}, "name"), ({"idle_timeout_s": 0}, "idle_timeout_s"),
                        ({"colour": 1}, "colour")):
        with pytest.raises(ApiError) as e:
            alice.post("/api/v1/notebooks", body)
        assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == field
    with pytest.raises(ApiError) as e:
        alice.post("/api/v1/notebooks", {"gpus": 99})
    assert e.value.status == 422 and e.value.body["error"]["details"]["field"] == "gpus"
    assert alice.get("/api/v1/notebooks?ended=1")["notebooks"] == []
    nb = start_notebook(alice, name="lab", gpus=1)
    with pytest.raises(ApiError) as e:
        alice.post("/api/v1/notebooks", {"name": "lab"})
    assert e.value.status == 409
    assert nb["url"].endswith(f"/nb/{nb['id']}/") and nb["node"] and nb["start_seconds"] > 0
    assert gpus_in_use(admin) == 1
    # The job is an interactive one of alice's; the Jupyter token is in no spec or listing.
    job = alice.job(nb["job"])
    assert job["spec"]["priority"] == "interactive" and job["owner"] == "alice"
    assert "JUPYTER_TOKEN" not in json.dumps(job)

    status = alice.get(f"{nb['path']}api/status")
    assert "last_activity" in status
    kernel = alice.post(f"{nb['path']}api/kernels", {"name": "python3"})
    ws = kernel_socket(server, alice, nb, kernel["id"])
    try:
        assert execute(ws, "1+1") == "2"
        assert execute(ws, "import os; os.getuid()") == str(pwd.getpwnam("nobody").pw_uid)
    finally:
        ws.close()

    # Nobody else gets in: another user and the admin see no notebook, no credentials is 401.
    for other in (bob, admin):
        with pytest.raises(ApiError) as e:
            other.get(f"{nb['path']}api/status")
        assert e.value.status == 404
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            kernel_socket(server, other, nb, kernel["id"])
        assert e.value.status_code == 404
    with pytest.raises(ApiError) as e:
        alice.get(f"{nb['path']}api/status", token="")
    assert e.value.status == 401
    with pytest.raises(ApiError) as e:
        alice.get(f"{nb['path']}api/status", token="corral_" + "0" * 48)
    assert e.value.status == 401
    assert [n["id"] for n in bob.get("/api/v1/notebooks")["notebooks"]] == []

    # A browser session works like the token; a page of another origin is refused.
    set_password(server, "alice", PASSWORD)
    browser = Browser(server.url)
    assert browser.login("alice", PASSWORD)[0] == 200
    status, _, body = browser.request("GET", f"{nb['path']}api/status")
    assert status == 200 and "last_activity" in body
    status, _, _ = browser.request("GET", f"{nb['path']}api/status",
                                   headers={"Origin": "http://evil.example"})
    assert status == 403

    # kill -9 of the server: the notebook keeps running and is reachable after the restart.
    server.kill9()
    server.start()
    assert alice.get(f"/api/v1/notebooks/{nb['id']}")["state"] == "ready"
    assert alice.get(f"{nb['path']}api/kernels")[0]["id"] == kernel["id"]

    r = server.cli("notebook", "stop", "lab", token=alice.token)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: alice.get(f"/api/v1/notebooks/{nb['id']}")["state"] == "stopped")
    assert gpus_in_use(admin) == 0
    with pytest.raises(ApiError) as e:
        alice.get(f"{nb['path']}api/status")
    assert e.value.status == 404


def test_idle_notebook_is_culled_but_not_one_with_a_busy_kernel(tmp_path):
    s = Server(tmp_path / "data", gpus=2, extra=["--notebook-idle-check-interval", "0.5"]).start()
    try:
        admin = s.client()
        idle = start_notebook(admin, name="idle", gpus=1, idle_timeout_s=2)
        busy = start_notebook(admin, name="busy", gpus=1, idle_timeout_s=3)
        kernel = admin.post(f"{busy['path']}api/kernels", {"name": "python3"})
        ws = kernel_socket(s, admin, busy, kernel["id"])
        execute(ws, "import time; time.sleep(600)", wait=False)
        ws.close()  # no connection left: only the busy kernel keeps it
        culled = wait_for(lambda: admin.get(f"/api/v1/notebooks/{idle['id']}")["state"] == "culled",
                          timeout=20)
        assert culled
        # Its job is cancelled and the GPU returns as soon as Jupyter has exited.
        assert wait_for(lambda: admin.job(idle["job"])["state"] == "cancelled", timeout=15)
        assert gpus_in_use(admin) == 1
        time.sleep(4)  # past its 3 s timeout
        view = admin.get(f"/api/v1/notebooks/{busy['id']}")
        assert view["state"] == "ready" and view["last_activity"], view
        ended = admin.get("/api/v1/notebooks?ended=1")["notebooks"]
        assert {n["name"]: n["state"] for n in ended} == {"idle": "culled", "busy": "ready"}
    finally:
        stop_all(s.client())
        s.stop()


@pytest.fixture
def ssh_account():
    subprocess.run(["userdel", SSH_ACCOUNT], capture_output=True)
    subprocess.run(["useradd", "-M", "-r", "-s", "/bin/sh", SSH_ACCOUNT], check=True)
    yield SSH_ACCOUNT
    subprocess.run(["userdel", SSH_ACCOUNT], capture_output=True)


def test_ssh_and_scp_through_the_tunnel_with_the_owners_key_only(server, admin, tmp_path,
                                                                 ssh_account):
    carol = server.client(admin.post("/api/v1/users",
                                     {"name": "carol", "unix_user": ssh_account})["token"])
    dave = server.client(admin.post("/api/v1/users", {"name": "dave"})["token"])
    keys = {}
    for who in ("carol", "dave"):
        path = tmp_path / f"id_{who}"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                       check=True)
        keys[who] = path
    with pytest.raises(ApiError) as e:
        carol.post("/api/v1/ssh-keys", {"key": 'command="sh" ' +
                                        (tmp_path / "id_carol.pub").read_text()})
    assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == "key"
    r = server.cli("ssh-key", "add", str(keys["carol"]) + ".pub", token=carol.token)
    assert r.returncode == 0, r.stderr
    dave.post("/api/v1/ssh-keys", {"key": (tmp_path / "id_dave.pub").read_text()})

    r = server.cli("notebook", "start", "--gpus", "1", "--name", "box", token=carol.token)
    assert r.returncode == 0, r.stderr
    assert "4 of 4 GPUs free" in r.stderr and "ready in" in r.stderr
    nb = carol.get("/api/v1/notebooks")["notebooks"][0]
    assert nb["state"] == "ready" and r.stdout.strip() == nb["url"]
    ssh_opts = ["-i", str(keys["carol"]), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]
    r = server.cli("ssh", "box", *ssh_opts, "--", "id -un; echo gpus=$CUDA_VISIBLE_DEVICES",
                   token=carol.token)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [ssh_account, "gpus=0"]

    # scp both ways through the same tunnel.
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(300_000))
    proxy = f"ProxyCommand={CORRAL} ssh-proxy box"
    env_opts = ["-o", proxy, "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", *ssh_opts]
    e = cli_env(server, carol.token)
    subprocess.run(["scp", *env_opts, str(src), f"{ssh_account}@nb:/tmp/corral-nb-payload"],
                   check=True, env=e, timeout=60)
    back = tmp_path / "back.bin"
    subprocess.run(["scp", *env_opts, f"{ssh_account}@nb:/tmp/corral-nb-payload", str(back)],
                   check=True, env=e, timeout=60)
    assert back.read_bytes() == src.read_bytes()
    os.remove("/tmp/corral-nb-payload")

    # dave's key does not open carol's notebook, and dave cannot open its tunnel at all.
    r = server.cli("ssh", "box", "-i", str(keys["dave"]), "-o", "IdentitiesOnly=yes", "-o",
                   "BatchMode=yes", "--", "true", token=carol.token)
    assert r.returncode == 255 and "Permission denied" in r.stderr
    r = server.cli("ssh-proxy", str(nb["id"]), token=dave.token)
    assert r.returncode != 0
    ws_url = server.url.replace("http://", "ws://")
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(f"{ws_url}/api/v1/notebooks/{nb['id']}/ssh",
                                    header=[f"Authorization: Bearer {dave.token}"])
    assert e.value.status_code == 404

    config = server.cli("ssh-config", token=carol.token).stdout
    assert "Host corral-box" in config and "ssh-proxy box" in config
    stop_all(carol)
