"""Fixtures that run the real `corral` binary: a server on a free port in a temporary directory."""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("CORRAL_BUILD_DIR", ROOT / "build"))
CORRAL = Path(os.environ.get("CORRAL_BIN", BUILD / "corral"))


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Client:
    """Minimal REST client for tests (stdlib only)."""

    def __init__(self, url, token):
        self.url = url
        self.token = token

    def request(self, method, path, body=None, content_type="application/json", raw=False,
                token=None, timeout=30):
        data = None
        headers = {}
        tok = self.token if token is None else token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = resp.read()
                if raw:
                    return payload.decode()
                return json.loads(payload) if payload else None
        except urllib.error.HTTPError as e:
            payload = e.read().decode()
            try:
                payload = json.loads(payload)
            except ValueError:
                pass
            raise ApiError(e.code, payload) from None

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body if body is not None else {}, **kw)

    def submit(self, **spec):
        if "script" not in spec:
            spec.setdefault("command", ["true"])
        return self.post("/api/v1/jobs", spec)

    def job(self, job_id):
        return self.get(f"/api/v1/jobs/{job_id}")

    def wait(self, job_id, states=("succeeded", "failed", "cancelled"), timeout=30):
        deadline = time.time() + timeout
        while True:
            job = self.job(job_id)
            if job["state"] in states:
                return job
            if time.time() > deadline:
                raise AssertionError(f"job {job_id} still {job['state']} after {timeout}s: {job}")
            time.sleep(0.05)

    def logs(self, job_id, **params):
        q = "&".join(f"{k}={v}" for k, v in params.items())
        return self.get(f"/api/v1/jobs/{job_id}/logs" + (f"?{q}" if q else ""), raw=True)


class Server:
    """A `corral server` process with its own data directory."""

    def __init__(self, data_dir, gpus=4, nodes=1, extra=(), preexec=None):
        self.data_dir = Path(data_dir)
        self.preexec = preexec  # run in the server's process before exec (resource limits)
        self.gpus = gpus
        self.nodes = nodes
        self.extra = list(extra)
        self.proc = None
        self.url = None
        self.log_path = self.data_dir / "server.log"
        self.token_file = self.data_dir / "admin-token"
        self.port = 0

    def start(self, port=None):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [str(CORRAL), "server", "--data-dir", str(self.data_dir), "--port",
                str(port if port is not None else self.port),
                "--admin-token-file", str(self.token_file), "--kill-grace", "2"] + self.extra
        if self.gpus:
            args += ["--simulate-gpus", str(self.gpus), "--simulate-nodes", str(self.nodes)]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log,
                                     start_new_session=True, preexec_fn=self.preexec)
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}: "
                                       f"{self.log_path.read_text()}")
                continue
            if "listening on" in line:
                self.url = line.split("listening on ")[1].split()[0]
                self.port = int(self.url.rsplit(":", 1)[1])
                break
        else:
            raise RuntimeError("server did not start")
        # Keep draining stdout so the server never blocks on a full pipe.
        import threading
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    @property
    def admin_token(self):
        return self.token_file.read_text().strip()

    def client(self, token=None):
        return Client(self.url, token or self.admin_token)

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cli(self, *args, token=None, env=None, timeout=60, check=False):
        e = dict(os.environ)
        e["CORRAL_URL"] = self.url
        e["CORRAL_TOKEN"] = token or self.admin_token
        e["XDG_CONFIG_HOME"] = str(self.data_dir / "cli-config")
        if env:
            e.update(env)
        r = subprocess.run([str(CORRAL), *args], capture_output=True, text=True, env=e,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"corral {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r


@pytest.fixture(autouse=True)
def _jobs_may_use_tmp_path(tmp_path):
    """Jobs run as an unprivileged account (the server's --default-job-user, `nobody`), not as
    the root that runs the tests: they must be able to reach the server's data directory in
    tmp_path and to write the files and directories the tests create there for them."""
    old_umask = os.umask(0)
    tmp_path.chmod(0o777)
    for parent in tmp_path.parents:
        if str(parent) in ("/", "/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o711)
    yield
    os.umask(old_umask)


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


@pytest.fixture
def admin(server):
    return server.client()


@pytest.fixture
def users(server, admin):
    """Two ordinary users with their clients."""
    out = {}
    for name in ("alice", "bob"):
        r = admin.post("/api/v1/users", {"name": name})
        out[name] = server.client(r["token"])
    return out
