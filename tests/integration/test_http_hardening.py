"""The HTTP layer under hostile clients: invalid targets, slowloris, thousands of idle sockets."""

import json
import resource
import socket
import time

import pytest

from conftest import Server


def raw_request(port, target, extra=b"", timeout=5):
    """Sends one request with the target's bytes exactly as given; returns (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + extra +
                  b"\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.fixture
def fast_deadline_server(tmp_path):
    s = Server(tmp_path / "data", extra=["--header-timeout-s", "1"]).start()
    yield s
    s.stop()


@pytest.mark.parametrize("target,field", [
    (b"/%ff", "path"),
    (b"/api/v1/jobs/%C0%AF", "path"),
    (b"/api/v1/jobs/%ED%A0%80", "path"),
    (b"/api/\xff\xfe", "path"),
    (b"/api/v1/jobs/1%00", "path"),
    (b"/api/v1/jobs?state=%ff", "state"),
    (b"/api/v1/jobs?%ff=1", "query key"),
])
def test_invalid_target_is_400_and_the_server_lives(server, admin, target, field):
    status, body = raw_request(server.port, target)
    assert status == 400, body
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_argument"
    assert error["details"]["field"] == field
    assert server.proc.poll() is None
    assert admin.get("/api/v1/whoami")["name"] == "admin"


def test_slowloris_is_closed_by_the_header_deadline(fast_deadline_server):
    server = fast_deadline_server
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /api/v1/whoami HTTP/1.1\r\n")
    start = time.monotonic()
    closed = False
    s.settimeout(0.25)
    # One byte every 250 ms would keep a per-read timeout from ever firing.
    while time.monotonic() - start < 5 and not closed:
        try:
            s.sendall(b"X")
            closed = s.recv(4096) == b""
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            closed = True
    took = time.monotonic() - start
    s.close()
    assert closed, "the trickling connection was not closed"
    assert took < 3, f"closed only after {took:.1f}s"
    assert server.client().get("/api/v1/whoami")["name"] == "admin"


def test_two_thousand_idle_connections_do_not_block_legitimate_requests(server, admin):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    idle = []
    try:
        for _ in range(2000):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        token = server.admin_token.encode()
        latencies = []
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            f = s.makefile("rb")
            for _ in range(100):
                t0 = time.perf_counter()
                s.sendall(b"GET /api/v1/whoami HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                          token + b"\r\n\r\n")
                status = int(f.readline().split(b" ", 2)[1])
                length = 0
                while True:
                    line = f.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = f.read(length)
                latencies.append(time.perf_counter() - t0)
                assert status == 200, body
                assert json.loads(body)["name"] == "admin"
        latencies.sort()
        print(f"\n100 requests beside 2,000 idle connections: p50 "
              f"{latencies[49] * 1000:.2f} ms, p99 {latencies[98] * 1000:.2f} ms")
    finally:
        for s in idle:
            s.close()
