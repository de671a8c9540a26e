"""The web UI's files served by `corral server --ui-dir`, next to the API."""

import http.client
import json
import os
import subprocess

import pytest

from conftest import CORRAL, Server

INDEX = b"<!doctype html><title>Corral</title><script src=/assets/app-1a2b.js></script>"
APP_JS = b"console.log('corral ui')"


@pytest.fixture
def ui_server(tmp_path):
    ui = tmp_path / "ui"
    (ui / "assets").mkdir(parents=True)
    (ui / "index.html").write_bytes(INDEX)
    (ui / "assets" / "app-1a2b.js").write_bytes(APP_JS)
    (tmp_path / "secret.txt").write_text("not for the web")
    os.symlink(tmp_path / "secret.txt", ui / "leak.txt")
    s = Server(tmp_path / "data", gpus=1, extra=["--ui-dir", str(ui)]).start()
    yield s
    s.stop()


def raw_get(server, path, headers=None, method="GET"):
    """Sends the path exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_index_assets_and_revalidation(ui_server):
    status, h, body = raw_get(ui_server, "/")
    assert status == 200 and body == INDEX
    assert h["content-type"].startswith("text/html")
    assert h["cache-control"] == "no-cache"
    assert h["content-security-policy"] == "default-src 'self'"
    assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
    assert "last-modified" in h

    status, h, body = raw_get(ui_server, "/assets/app-1a2b.js")
    assert status == 200 and body == APP_JS
    assert h["content-type"].startswith("text/javascript")
    assert h["cache-control"] == "public, max-age=31536000, immutable"
    status, h2, body = raw_get(ui_server, "/assets/app-1a2b.js", {"If-None-Match": h["etag"]})
    assert status == 304 and body == b"" and h2["etag"] == h["etag"]

    # A deep link into the app gets index.html; a missing file with an extension does not.
    status, _, body = raw_get(ui_server, "/jobs/12")
    assert status == 200 and body == INDEX
    assert raw_get(ui_server, "/assets/missing.js")[0] == 404
    assert raw_get(ui_server, "/", method="HEAD")[2] == b""


def test_nothing_outside_the_directory(ui_server):
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                 "/assets/%2e%2e/%2e%2e/secret.txt", "/index.html%00.js"):
        status, _, body = raw_get(ui_server, path)
        assert status in (400, 404), path
        assert b"not for the web" not in body, path
    status, _, body = raw_get(ui_server, "/leak.txt")
    assert status == 404 and b"not for the web" not in body
    assert raw_get(ui_server, "/index.html", method="POST")[0] == 400


def test_api_health_and_errors_still_reach_the_api(ui_server):
    token = ui_server.admin_token
    status, h, body = raw_get(ui_server, "/api/v1/whoami", {"Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(body)["name"] == "admin"
    status, _, body = raw_get(ui_server, "/api/v1/no-such-route",
                              {"Authorization": f"Bearer {token}"})
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    assert raw_get(ui_server, "/api/v1/jobs")[0] == 401
    status, _, body = raw_get(ui_server, "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_missing_ui_dir_is_a_startup_error(tmp_path):
    r = subprocess.run([str(CORRAL), "server", "--data-dir", str(tmp_path / "d"), "--port", "0",
                        "--simulate-gpus", "1", "--ui-dir", str(tmp_path / "nope")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "--ui-dir" in r.stderr
