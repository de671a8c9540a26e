"""Browser sessions: password login, the session cookie, CSRF rules, logout, revocation, limits."""

import http.client
import json
import os
import subprocess
from urllib.parse import urlparse

import pytest

from conftest import CORRAL, ApiError

PASSWORD = "correct horse battery"


class Browser:
    """What a browser does with Corral's cookie: keeps it and sends it back; nothing more."""

    def __init__(self, url):
        u = urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, send_csrf=True):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = f"corral_session={self.cookie}"
        if send_csrf and self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, dict(resp.getheaders()), json.loads(payload) if payload else None
        finally:
            conn.close()

    def login(self, name, password, headers=None):
        status, hdrs, body = self.request("POST", "/api/v1/login",
                                          {"name": name, "password": password}, headers)
        if status == 200:
            self.cookie = hdrs["Set-Cookie"].split(";")[0].split("=", 1)[1]
            self.csrf = body["csrf_token"]
        return status, hdrs, body


def set_password(server, name, password, token=None):
    """`corral users passwd NAME` (admin) or, with a user's token, `corral passwd`."""
    env = dict(os.environ, CORRAL_URL=server.url, CORRAL_TOKEN=token or server.admin_token,
               XDG_CONFIG_HOME=str(server.data_dir / "cli-config"))
    args = ["passwd"] if token else ["users", "passwd", name]
    r = subprocess.run([str(CORRAL), *args], input=password + "\n", capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def job_count(client):
    return len(client.get("/api/v1/jobs?limit=1000")["jobs"])


def test_login_cookie_csrf_and_ownership(server, admin, users):
    set_password(server, "alice", PASSWORD)
    alice = Browser(server.url)
    status, hdrs, body = alice.login("alice", PASSWORD)
    assert status == 200, body
    cookie = hdrs["Set-Cookie"]
    attrs = [a.strip() for a in cookie.split(";")]
    assert attrs[0].startswith("corral_session=") and len(attrs[0]) == len("corral_session=") + 43
    assert "HttpOnly" in attrs and "SameSite=Strict" in attrs and "Path=/" in attrs
    assert "Max-Age=604800" in attrs and "Secure" not in attrs
    assert body["name"] == "alice" and body["role"] == "user" and body["csrf_token"]

    # The cookie authenticates reads, and the session says who is logged in.
    assert alice.request("GET", "/api/v1/whoami")[2] == {"name": "alice", "role": "user"}
    status, _, session = alice.request("GET", "/api/v1/session")
    assert status == 200 and session["csrf_token"] == alice.csrf and session["name"] == "alice"

    # An unsafe request without the CSRF token is refused and changes nothing.
    spec = {"command": ["true"]}
    status, _, err = alice.request("POST", "/api/v1/jobs", spec, send_csrf=False)
    assert status == 403 and "X-CSRF-Token" in err["error"]["message"]
    status, _, err = alice.request("POST", "/api/v1/jobs", spec, {"X-CSRF-Token": "forged"})
    assert status == 403
    assert job_count(users["alice"]) == 0
    # From another site, even with the token: refused, naming the Origin header.
    status, _, err = alice.request("POST", "/api/v1/jobs", spec,
                                   {"Origin": "http://evil.example"})
    assert status == 403 and "Origin" in err["error"]["message"]
    assert job_count(users["alice"]) == 0
    # With the token (and this server as Origin) it goes through.
    status, _, job = alice.request("POST", "/api/v1/jobs", spec,
                                   {"Origin": f"http://127.0.0.1:{server.port}"})
    assert status == 201 and job["owner"] == "alice"
    assert job_count(users["alice"]) == 1

    # The cookie is alice's: bob's job is as invisible as through her token.
    bobs = users["bob"].submit(command=["sleep", "30"])
    assert alice.request("GET", f"/api/v1/jobs/{bobs['id']}")[0] == 404
    assert alice.request("POST", f"/api/v1/jobs/{bobs['id']}/cancel")[0] == 404
    assert alice.request("GET", "/api/v1/users")[0] == 403
    assert users["bob"].job(bobs["id"])["state"] in ("pending", "starting", "running")
    admin.post(f"/api/v1/jobs/{bobs['id']}/cancel")

    # Behind a TLS proxy the cookie is Secure.
    _, hdrs, _ = Browser(server.url).login("alice", PASSWORD, {"X-Forwarded-Proto": "https"})
    assert "Secure" in [a.strip() for a in hdrs["Set-Cookie"].split(";")]

    # Logout ends the session and clears the cookie.
    assert alice.request("POST", "/api/v1/logout", send_csrf=False)[0] == 403
    status, hdrs, _ = alice.request("POST", "/api/v1/logout")
    assert status == 200 and "Max-Age=0" in hdrs["Set-Cookie"]
    assert alice.request("GET", "/api/v1/whoami")[0] == 401
    assert alice.request("GET", "/api/v1/session")[0] == 401


def test_wrong_password_is_generic_and_limited(server, users):
    set_password(server, "alice", PASSWORD)
    b = Browser(server.url)
    wrong = b.login("alice", "not the password")
    unknown = b.login("mallory", "not the password")
    no_password = b.login("bob", "not the password")
    assert wrong[0] == unknown[0] == no_password[0] == 401
    assert wrong[2] == unknown[2] == no_password[2]
    assert wrong[2]["error"]["message"] == "wrong user name or password"
    for _ in range(7):
        assert b.login("alice", "still wrong")[0] == 401
    # Ten failures from this address within five minutes: even the right password waits.
    status, hdrs, err = b.login("alice", PASSWORD)
    assert status == 429, err
    assert 0 < int(hdrs["Retry-After"]) <= 300
    assert err["error"]["code"] == "resource_exhausted"
    assert b.cookie is None
    # Bearer tokens are not affected.
    assert users["alice"].get("/api/v1/whoami")["name"] == "alice"


def test_password_change_revokes_sessions(server, users):
    set_password(server, "alice", PASSWORD, token=users["alice"].token)
    first, second = Browser(server.url), Browser(server.url)
    assert first.login("alice", PASSWORD)[0] == 200
    assert second.login("alice", PASSWORD)[0] == 200
    new = "a much newer password"
    # From a session, the old password is required and must be right.
    status, _, err = first.request("PUT", "/api/v1/users/me/password", {"password": new})
    assert status == 400 and err["error"]["details"]["field"] == "old_password"
    status, _, err = first.request("PUT", "/api/v1/users/me/password",
                                   {"password": new, "old_password": "wrong password"})
    assert status == 403
    status, _, err = first.request("PUT", "/api/v1/users/me/password",
                                   {"password": "short", "old_password": PASSWORD})
    assert status == 400 and err["error"]["details"]["field"] == "password"
    assert second.request("GET", "/api/v1/whoami")[0] == 200
    status, _, body = first.request("PUT", "/api/v1/users/me/password",
                                    {"password": new, "old_password": PASSWORD})
    assert status == 200 and body["sessions_revoked"] == 2
    for b in (first, second):
        assert b.request("GET", "/api/v1/whoami")[0] == 401
    assert Browser(server.url).login("alice", PASSWORD)[0] == 401
    assert Browser(server.url).login("alice", new)[0] == 200
    # A user may not set someone else's password; an admin may, which ends that user's sessions.
    with pytest.raises(ApiError) as e:
        users["bob"].request("PUT", "/api/v1/users/alice/password", {"password": "x" * 12})
    assert e.value.status == 403
    third = Browser(server.url)
    assert third.login("alice", new)[0] == 200
    set_password(server, "alice", "set by the admin")
    assert third.request("GET", "/api/v1/whoami")[0] == 401
    assert Browser(server.url).login("alice", "set by the admin")[0] == 200


def test_token_login_and_sessions_survive_restart(server, users):
    b = Browser(server.url)
    status, _, _ = b.request("POST", "/api/v1/login", {"token": "corral_" + "0" * 48})
    assert status == 401
    status, hdrs, body = b.request("POST", "/api/v1/login", {"token": users["alice"].token})
    assert status == 200 and body["name"] == "alice"
    # The answer carries the CSRF token: no cache may keep it.
    assert hdrs.get("Cache-Control") == "no-store", hdrs
    b.cookie = hdrs["Set-Cookie"].split(";")[0].split("=", 1)[1]
    b.csrf = body["csrf_token"]
    status, _, err = b.request("POST", "/api/v1/login", {"name": "alice"})
    assert status == 400 and err["error"]["details"]["field"] == "password"

    server.stop()
    server.start()
    assert b.request("GET", "/api/v1/whoami")[2]["name"] == "alice"
    assert b.request("GET", "/api/v1/session")[2]["csrf_token"] == b.csrf
    assert b.request("POST", "/api/v1/jobs", {"command": ["true"]})[0] == 201
    # Only the cookie's hash is stored.
    blob = b"".join(p.read_bytes() for p in server.data_dir.glob("corral.db*"))
    assert b.cookie.encode() not in blob


def test_revoking_a_token_ends_the_sessions_made_from_it(server, users):
    set_password(server, "alice", PASSWORD, token=users["alice"].token)
    made = users["alice"].post("/api/v1/tokens", {"label": "browser"})
    from_token, from_password = Browser(server.url), Browser(server.url)
    status, hdrs, body = from_token.request("POST", "/api/v1/login", {"token": made["token"]})
    assert status == 200 and body["name"] == "alice"
    from_token.cookie = hdrs["Set-Cookie"].split(";")[0].split("=", 1)[1]
    from_token.csrf = body["csrf_token"]
    assert from_password.login("alice", PASSWORD)[0] == 200
    # Both cookies are in use (and cached) before the revocation.
    for b in (from_token, from_password):
        assert b.request("GET", "/api/v1/whoami")[2]["name"] == "alice"

    users["alice"].request("DELETE", f"/api/v1/tokens/{made['id']}")
    status, _, err = from_token.request("GET", "/api/v1/whoami")
    assert status == 401 and err["error"]["code"] == "unauthenticated"
    assert from_token.request("GET", "/api/v1/session")[0] == 401
    assert from_token.request("POST", "/api/v1/login", {"token": made["token"]})[0] == 401
    # The password session and alice's other token are not affected.
    assert from_password.request("GET", "/api/v1/whoami")[2]["name"] == "alice"
    assert from_password.request("POST", "/api/v1/jobs", {"command": ["true"]})[0] == 201
    assert users["alice"].get("/api/v1/whoami")["name"] == "alice"
