"""Bad input gets a precise 4xx naming the field, and changes nothing."""

import pytest

from conftest import ApiError


def count(admin):
    return len(admin.get("/api/v1/jobs?limit=1000")["jobs"])


@pytest.mark.parametrize("body,field", [
    ({"command": "echo hi"}, "command"),
    ({"command": []}, "command"),
    ({"command": ["true", 3]}, "command[1]"),
    ({}, "command"),
    ({"command": ["true"], "script": "x"}, "script"),
    ({"command": ["true"], "resources": {"gpus": -1}}, "resources.gpus"),
    ({"command": ["true"], "resources": {"gpus": "2"}}, "resources.gpus"),
    ({"command": ["true"], "resources": {"gpus": 1.5}}, "resources.gpus"),
    ({"command": ["true"], "resources": {"gpus": 100000}}, "resources.gpus"),
    ({"command": ["true"], "resources": {"gpu": 1}}, "resources.gpu"),
    ({"command": ["true"], "replicas": 0}, "replicas"),
    ({"command": ["true"], "replicas": 10**12}, "replicas"),
    ({"command": ["true"], "memory": 5}, "memory"),
    ({"command": ["true"], "priority": "urgent"}, "priority"),
    ({"command": ["true"], "time_limit_s": -5}, "time_limit_s"),
    ({"command": ["true"], "env": {"1BAD": "x"}}, "env.1BAD"),
    ({"command": ["true"], "env": {"K": 1}}, "env.K"),
    ({"command": ["true"], "labels": ["a"]}, "labels"),
    ({"command": ["true"], "workdir": "relative/dir"}, "workdir"),
    ({"command": ["true"], "retry": {"max_retries": -1}}, "retry.max_retries"),
    ({"command": ["true"], "preemptible": "yes"}, "preemptible"),
    ({"command": ["true"], "name": "bad name!"}, "name"),
    ([1, 2], "body"),
])
def test_invalid_spec(admin, body, field):
    before = count(admin)
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/jobs", body)
    assert e.value.status == 400, e.value.body
    err = e.value.body["error"]
    assert err["code"] == "invalid_argument"
    assert err["details"]["field"] == field
    assert field in err["message"]
    assert count(admin) == before


def test_malformed_json(admin):
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/jobs", '{"command": ["true"]', content_type="application/json")
    assert e.value.status == 400
    assert "malformed JSON" in e.value.body["error"]["message"]


def test_malformed_yaml(admin):
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/jobs", "command: [true\nfoo: : :", content_type="application/yaml")
    assert e.value.status == 400
    assert "YAML" in e.value.body["error"]["message"]


def test_oversized_body(admin):
    before = count(admin)
    big = '{"command": ["echo", "' + "x" * (2 << 20) + '"]}'
    with pytest.raises(Exception) as e:
        admin.post("/api/v1/jobs", big)
    if isinstance(e.value, ApiError):
        assert e.value.status == 413
    assert count(admin) == before


def test_unknown_ids_and_routes(admin):
    for path in ("/api/v1/jobs/999999", "/api/v1/jobs/abc", "/api/v1/nope"):
        with pytest.raises(ApiError) as e:
            admin.get(path)
        assert e.value.status == 404
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/jobs/999999/cancel")
    assert e.value.status == 404


def test_bad_query_parameters(admin):
    for q, field in (("state=sleeping", "state"), ("limit=0", "limit"), ("limit=x", "limit"),
                     ("bogus=1", "bogus"), ("label=novalue", "label")):
        with pytest.raises(ApiError) as e:
            admin.get(f"/api/v1/jobs?{q}")
        assert e.value.status == 400
        assert e.value.body["error"]["details"]["field"] == field
