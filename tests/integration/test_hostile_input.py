"""Hostile input: every request here answers 4xx naming the field, the server stays up, and
nothing is stored. Bytes that are not UTF-8, numbers beyond a double, YAML alias bombs, NUL and
control characters, paths that climb out, and counts far beyond the limits."""

import http.client
import json
import time
from urllib.parse import urlparse

import pytest

from conftest import ROOT, Server

JOB_OK = b'{"command": ["true"]'


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("hostile") / "data").start()
    yield s
    s.stop()


def send(srv, method, target, body=None, content_type="application/json", token=None):
    """One request with the target and body sent exactly as given (bytes allowed)."""
    u = urlparse(srv.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Authorization": f"Bearer {token or srv.admin_token}"}
    if body is not None:
        headers["Content-Type"] = content_type
        if isinstance(body, str):
            body = body.encode()
    conn.request(method, target, body=body, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    try:
        payload = json.loads(payload)
    except ValueError:
        pass
    return resp.status, payload


def snapshot(srv):
    jobs = send(srv, "GET", "/api/v1/jobs?limit=1000")[1]["jobs"]
    exps = send(srv, "GET", "/api/v1/experiments")[1]["experiments"]
    users = send(srv, "GET", "/api/v1/users")[1]["users"]
    queues = [{k: q[k] for k in ("name", "configured", "guaranteed_gpus", "max_gpus", "weight")}
              for q in send(srv, "GET", "/api/v1/queues")[1]["queues"]]
    tokens = send(srv, "GET", "/api/v1/tokens?all=true")[1]["tokens"]
    return (len(jobs), len(exps), len(users), json.dumps(queues, sort_keys=True), len(tokens))


def healthy(srv):
    assert srv.proc.poll() is None, "server died"
    status, body = send(srv, "GET", "/healthz")
    assert status == 200 and body == {"status": "ok"}


def rss_kb(srv):
    with open(f"/proc/{srv.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def refused(srv, method, target, body=None, content_type="application/json", field=None,
            status=400, contains=None):
    before = snapshot(srv)
    got, payload = send(srv, method, target, body, content_type)
    assert got == status, (got, payload)
    err = payload["error"]
    if field is not None:
        assert err["details"].get("field") == field, err
        assert field in err["message"]
    if contains is not None:
        assert contains in err["message"], err
    healthy(srv)
    assert snapshot(srv) == before
    return err


# --- bytes that are not UTF-8 -------------------------------------------------------------------

INVALID_UTF8 = [
    ("POST", "/api/v1/jobs", b'{"command": ["echo", "\xff"]}', "application/json", "body"),
    ("POST", "/api/v1/jobs", b'{"command": ["true"], "env": {"\xc3\x28": "x"}}',
     "application/json", "body"),
    ("POST", "/api/v1/jobs", b'command: [echo, "\xff"]\n', "application/yaml", "command[1]"),
    ("POST", "/api/v1/jobs", b'command: [echo, \xc3\x28]\n', "application/yaml", "command[1]"),
    ("POST", "/api/v1/jobs", b'command: [true]\nlabels:\n  "k\xfe": v\n', "application/yaml",
     "labels.k\ufffd"),
    ("POST", "/api/v1/experiments", b'{"name": "\xff"}', "application/json", "body"),
    ("POST", "/api/v1/experiments", b'name: "x\xff"\n', "application/yaml", "name"),
    ("PUT", "/api/v1/queues", b'queues:\n  - name: "\xff"\n', "application/yaml", "queues[0].name"),
    ("POST", "/api/v1/users", b'name: "\xed\xa0\x80"\n', "application/yaml", "name"),
    ("POST", "/api/v1/tokens", b'label: "\xf8\x88\x80\x80\x80"\n', "application/yaml", "label"),
    ("GET", "/api/v1/jobs/%FF", None, None, "path"),
    ("GET", "/api/v1/experiments/%C3%28/trials", None, None, "path"),
    ("DELETE", "/api/v1/tokens/%FF", None, None, "path"),
    ("GET", "/api/v1/jobs?state=%FF", None, None, "state"),
    ("GET", "/api/v1/jobs?name=%FF", None, None, "name"),
    ("GET", "/api/v1/jobs?label=k%3D%FF", None, None, "label"),
    ("GET", "/api/v1/jobs?owner=%C0%AF", None, None, "owner"),
    ("GET", "/api/v1/jobs?%FF=1", None, None, "query key"),
    ("GET", "/api/v1/events?since=%FF", None, None, "since"),
]


@pytest.mark.parametrize("method,target,body,ctype,field", INVALID_UTF8)
def test_invalid_utf8_is_refused(srv, method, target, body, ctype, field):
    err = refused(srv, method, target, body, ctype or "application/json", field=field)
    assert "UTF-8" in err["message"] or "malformed" in err["message"]


def test_invalid_utf8_in_a_trial_metric(srv):
    status, exp = send(srv, "POST", "/api/v1/experiments", EXPERIMENT_OK)
    assert status == 201, exp
    # Its trial's job appears on its own; wait for it so that the counts below hold still.
    deadline = time.time() + 20
    while not any(t["job"] for t in send(srv, "GET", f"/api/v1/experiments/{exp['id']}/trials")[1]
                  ["trials"]):
        assert time.time() < deadline
        time.sleep(0.05)
    refused(srv, "POST", f"/api/v1/experiments/{exp['id']}/trials/0/metrics",
            b'name: "m\xff"\nvalue: 1\n', "application/yaml", field="name")
    refused(srv, "GET", f"/api/v1/experiments/{exp['id']}/trials/0/metrics?name=%FF",
            field="name")
    send(srv, "POST", f"/api/v1/experiments/{exp['id']}/stop", {})


# --- numbers beyond a double --------------------------------------------------------------------

EXPERIMENT_OK = json.dumps({
    "name": "hostile-ok",
    "objective": {"metric": "loss", "direction": "minimize"},
    "parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
    "algorithm": {"name": "random"},
    "maxTrialCount": 1,
    "trial": {"command": ["sleep", "30"]},
})


@pytest.mark.parametrize("method,target,body,field", [
    ("POST", "/api/v1/jobs", '{"command": ["true"], "replicas": 1e999}', "replicas"),
    ("POST", "/api/v1/jobs", '{"command": ["true"], "resources": {"gpus": -1e999}}',
     "resources.gpus"),
    ("POST", "/api/v1/experiments", EXPERIMENT_OK.replace('"maxTrialCount": 1',
                                                          '"maxTrialCount": 1e999'),
     "maxTrialCount"),
    ("PUT", "/api/v1/queues", '{"queues": [{"name": "a", "weight": 1e999}]}', "queues[0].weight"),
    ("POST", "/api/v1/tokens", '{"label": 1e999}', "label"),
    ("POST", "/api/v1/users", '{"name": "carol", "role": 1e999}', "role"),
])
def test_number_beyond_a_double(srv, method, target, body, field):
    err = refused(srv, method, target, body, field=field)
    assert "out of range" in err["message"]


# --- YAML bombs ---------------------------------------------------------------------------------

def billion_laughs():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("target", ["/api/v1/jobs", "/api/v1/experiments", "/api/v1/queues"])
def test_billion_laughs_stays_small(srv, target):
    body = billion_laughs()
    assert len(body) < 600
    before = rss_kb(srv)
    method = "PUT" if target.endswith("queues") else "POST"
    refused(srv, method, target, body, "application/yaml", contains="expands beyond 100000 nodes")
    assert rss_kb(srv) - before < 200 * 1024


def test_deep_nesting_and_many_aliases(srv):
    refused(srv, "POST", "/api/v1/jobs", "[" * 100000, contains="deeper than 64")
    refused(srv, "POST", "/api/v1/jobs", "a: " + "[" * 1000 + "]" * 1000 + "\n", "application/yaml",
            contains="deeper than 64")
    aliases = "a: &a 1\nb: [" + ", ".join(["*a"] * 1500) + "]\n"
    refused(srv, "POST", "/api/v1/jobs", aliases, "application/yaml", contains="aliases")


# --- NUL, control characters, paths -------------------------------------------------------------

@pytest.mark.parametrize("spec,field", [
    ({"command": ["echo", "a\u0000b"]}, "command[1]"),
    ({"script": "echo a\u0000b"}, "script"),
    ({"command": ["true"], "env": {"K": "v\u0000w"}}, "env.K"),
    ({"command": ["true"], "workdir": "/tmp\u0000/x"}, "workdir"),
    ({"command": ["true"], "workdir": "/tmp/../etc"}, "workdir"),
    ({"command": ["true"], "labels": {"k": "v\u0000"}}, "labels.k"),
    ({"command": ["true"], "labels": {"k": "line\nforged"}}, "labels.k"),
    ({"command": ["true"], "name": "a\nb"}, "name"),
    ({"command": ["true"], "name": "../x"}, "name"),
])
def test_nul_and_control_characters(srv, spec, field):
    refused(srv, "POST", "/api/v1/jobs", json.dumps(spec), field=field)


@pytest.mark.parametrize("name", ["../x", "a\u0000b", "a\nINFO forged line", "a..b", "x" * 64])
def test_experiment_names(srv, name):
    spec = json.loads(EXPERIMENT_OK)
    spec["name"] = name
    refused(srv, "POST", "/api/v1/experiments", json.dumps(spec), field="name")


def test_katib_name_names_metadata(srv):
    body = ("apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata:\n  name: \"../up\"\n"
            "spec:\n  objective: {type: minimize, objectiveMetricName: loss}\n"
            "  algorithm: {algorithmName: random}\n  maxTrialCount: 1\n  parameters:\n"
            "    - {name: x, parameterType: double, feasibleSpace: {min: '0', max: '1'}}\n"
            "  trialTemplate:\n    primaryContainerName: t\n    trialSpec:\n      apiVersion: batch/v1\n      kind: Job\n"
            "      spec:\n        template:\n          spec:\n            containers:\n"
            "              - {name: t, image: x, command: [sleep, '1']}\n")
    refused(srv, "POST", "/api/v1/experiments", body, "application/yaml", field="metadata.name")


@pytest.mark.parametrize("trial,field", [
    ({"command": ["true"], "workdir": "../.."}, "trial.workdir"),
    ({"command": ["true"], "workdir": "a/../../b"}, "trial.workdir"),
    ({"command": ["true", "a\u0000"]}, "trial.command[1]"),
    ({"command": ["true"], "env": {"K": "\u0000"}}, "trial.env.K"),
    ({"command": ["true"], "queue": "../q"}, "trial.queue"),
])
def test_trial_template_rules(srv, trial, field):
    spec = json.loads(EXPERIMENT_OK)
    spec["trial"] = trial
    refused(srv, "POST", "/api/v1/experiments", json.dumps(spec), field=field)


def test_names_of_users_tokens_queues(srv):
    refused(srv, "POST", "/api/v1/users", '{"name": "../root"}', field="name")
    refused(srv, "POST", "/api/v1/tokens", '{"label": "a\\nb"}', field="label")
    refused(srv, "PUT", "/api/v1/queues", '{"queues": [{"name": "q\\u0000"}]}',
            field="queues[0].name")
    refused(srv, "GET", "/api/v1/jobs?name=a%00b", field="name")


# --- counts -------------------------------------------------------------------------------------

def test_sixty_thousand_labels(srv):
    labels = {f"k{i}": "v" for i in range(60000)}
    refused(srv, "POST", "/api/v1/jobs", json.dumps({"command": ["true"], "labels": labels}),
            field="labels", contains="more than 64")


def test_too_many_env_and_args(srv):
    env = {f"K{i}": "v" for i in range(1025)}
    refused(srv, "POST", "/api/v1/jobs", json.dumps({"command": ["true"], "env": env}),
            field="env")
    refused(srv, "POST", "/api/v1/jobs", json.dumps({"command": ["x"] * 4097}), field="command")


def test_ids_and_query_values(srv):
    refused(srv, "GET", "/api/v1/jobs/99999999999999999999999", status=404)
    refused(srv, "GET", "/api/v1/jobs/-1", status=404)
    refused(srv, "GET", "/api/v1/jobs?limit=1e999", field="limit")
    refused(srv, "GET", "/api/v1/jobs?limit=0", field="limit")
    refused(srv, "GET", "/api/v1/jobs?cursor=-5", field="cursor")
    refused(srv, "GET", "/api/v1/experiments/18446744073709551616", status=404)
    refused(srv, "GET", "/api/v1/experiments/1/trials/99999999999/metrics", status=404)


def test_accepted_input_still_works(srv):
    status, job = send(srv, "POST", "/api/v1/jobs",
                       '{"command": ["sh", "-c", "echo \\"caf\\u00e9\\"\\n"], '
                       '"env": {"MULTI": "a\\tb\\nc"}, "labels": {"corral.io/team": "ml research"},'
                       ' "workdir": "/tmp"}')
    assert status == 201, job
    assert job["spec"]["labels"] == {"corral.io/team": "ml research"}
    healthy(srv)


# --- the entry points of sessions, accounts, logs and experiment defaults -----------------------

SESSION_AND_ACCOUNT_INPUT = [
    ("POST", "/api/v1/login", b'{"name": "adm\xffin", "password": "x"}', "body"),
    ("POST", "/api/v1/login", b'{"name": "admin", "password": 1e999}', "password"),
    ("POST", "/api/v1/login", b'{"name": "adm\\u0000in", "password": "secret-pass"}', "name"),
    ("POST", "/api/v1/login",
     b'{"name": "admin", "password": "' + b"p" * 300_000 + b'"}', "password"),
    ("POST", "/api/v1/login", b'{"token": "' + b"t" * 100_000 + b'"}', "token"),
    ("PUT", "/api/v1/users/me/password", b'{"password": "new\\u0000password"}', "password"),
    ("PUT", "/api/v1/users/me/password", b'{"password": "new\xfepassword"}', "body"),
    ("PUT", "/api/v1/users/me/password", b'{"password": 1e999}', "password"),
    ("POST", "/api/v1/users", b'{"name": "zed", "unix_user": "ro\\u0000ot"}', "unix_user"),
    ("POST", "/api/v1/users", b'{"name": "zed", "unix_user": 1e999}', "unix_user"),
    ("POST", "/api/v1/users", b'name: zed\nunix_user: "r\xffot"\n', "unix_user"),
]


@pytest.mark.parametrize("method,target,body,field", SESSION_AND_ACCOUNT_INPUT)
def test_session_and_account_input(srv, method, target, body, field):
    content_type = "application/yaml" if body.startswith(b"name:") else "application/json"
    refused(srv, method, target, body, content_type, field=field)
    if target.endswith("/password"):
        # The refused change did not take: the admin still has no password to log in with.
        status, _ = send(srv, "POST", "/api/v1/login",
                         b'{"name": "admin", "password": "newpassword"}')
        assert status == 401


def test_log_parameters(srv):
    status, job = send(srv, "POST", "/api/v1/jobs", '{"command": ["echo", "hi"]}')
    assert status == 201
    logs = f"/api/v1/jobs/{job['id']}/logs"
    refused(srv, "GET", logs + "?offset=99999999999999999999999", field="offset")
    refused(srv, "GET", logs + "?offset=-5", field="offset")
    refused(srv, "GET", logs + "?tail=1e999", field="tail")
    refused(srv, "GET", logs + "?replica=%00", field="replica")
    refused(srv, "GET", logs + "?attempt=%FF", field="attempt")


def test_experiment_workdir_default(srv):
    spec = open(ROOT / "examples/tune/quadratic-native.yaml", "rb").read()
    refused(srv, "POST", "/api/v1/experiments?workdir=%FF", spec, "application/yaml",
            field="workdir")
    refused(srv, "POST", "/api/v1/experiments?workdir=rel/../x", spec, "application/yaml",
            field="workdir")
    refused(srv, "POST", "/api/v1/experiments?workdir=/a%00b", spec, "application/yaml",
            field="workdir")
    refused(srv, "POST", "/api/v1/experiments?workdir=/" + "b" * 5000, spec, "application/yaml",
            field="workdir")
