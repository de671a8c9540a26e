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


def test_tokens_are_listed_and_revoked_at_once(server, admin, users):
    alice, bob = users["alice"], users["bob"]
    made = alice.post("/api/v1/tokens", {"label": "laptop"})
    assert made["user"] == "alice" and made["label"] == "laptop" and made["token"]
    laptop = server.client(made["token"])
    assert laptop.get("/api/v1/whoami")["name"] == "alice"  # now cached by the server

    mine = alice.get("/api/v1/tokens")["tokens"]
    assert [t["label"] for t in mine] == ["initial", "laptop"]
    assert all("token" not in t and "hash" not in t for t in mine)
    assert {t["user"] for t in admin.get("/api/v1/tokens?all=true")["tokens"]} == \
        {"admin", "alice", "bob"}
    assert status_of(lambda: alice.get("/api/v1/tokens?all=true")) == 403

    # Someone else's token looks like no token at all; nothing changes.
    assert status_of(lambda: bob.request("DELETE", f"/api/v1/tokens/{made['id']}")) == 404
    assert laptop.get("/api/v1/whoami")["name"] == "alice"

    revoked = alice.request("DELETE", f"/api/v1/tokens/{made['id']}")
    assert revoked["id"] == made["id"]
    assert status_of(lambda: laptop.get("/api/v1/whoami")) == 401
    assert alice.get("/api/v1/whoami")["name"] == "alice"  # the other token still works
    assert status_of(lambda: alice.request("DELETE", f"/api/v1/tokens/{made['id']}")) == 404

    # An admin can mint a token for a user who lost theirs, and revoke anyone's.
    for_bob = admin.post("/api/v1/tokens", {"user": "bob", "label": "reset"})
    assert server.client(for_bob["token"]).get("/api/v1/whoami")["name"] == "bob"
    assert status_of(lambda: alice.post("/api/v1/tokens", {"user": "bob"})) == 403
    admin.request("DELETE", f"/api/v1/tokens/{for_bob['id']}")
    assert status_of(lambda: server.client(for_bob["token"]).get("/api/v1/whoami")) == 401


def test_token_bad_input_names_the_field(users):
    alice = users["alice"]
    before = len(alice.get("/api/v1/tokens")["tokens"])
    for body, field in (({"label": ""}, "label"), ({"label": "x" * 65}, "label"),
                        ({"labels": "a"}, "labels"), ({"label": 3}, "label")):
        with pytest.raises(ApiError) as e:
            alice.post("/api/v1/tokens", body)
        assert e.value.status == 400 and e.value.body["error"]["details"]["field"] == field
    assert len(alice.get("/api/v1/tokens")["tokens"]) == before


def test_cli_token_ls_and_revoke(server, users):
    alice = users["alice"]
    r = server.cli("token", "create", "--label", "ci", token=alice.token, check=True)
    new_token = r.stdout.strip()
    listing = server.cli("token", "ls", token=alice.token, check=True).stdout
    assert "LABEL" in listing and "ci" in listing and new_token not in listing
    token_id = next(t["id"] for t in alice.get("/api/v1/tokens")["tokens"] if t["label"] == "ci")
    r = server.cli("token", "revoke", str(token_id), token=alice.token, check=True)
    assert f"revoked token {token_id}" in r.stdout
    assert server.cli("whoami", token=new_token).returncode == 4
