"""Hostile input: every request here answers 4xx naming the field, the server stays up, and
nothing is stored. Bytes that are not UTF-8, numbers beyond a double, YAML alias bombs, NUL and
control characters, paths that climb out, and counts far beyond the limits."""

import base64
import http.client
import json
import socket
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


def send(srv, method, target, body=None, content_type="application/json", token=None,
         headers=None):
    """One request with the target and body sent exactly as given (bytes allowed). `headers`
    replaces the admin's Authorization header (an empty dict sends none)."""
    u = urlparse(srv.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    if headers is None:
        headers = {"Authorization": f"Bearer {token or srv.admin_token}"}
    headers = dict(headers)
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
    workflows = send(srv, "GET", "/api/v1/workflows?limit=10000")[1]["workflows"]
    templates = send(srv, "GET", "/api/v1/workflow-templates")[1]["templates"]
    notebooks = send(srv, "GET", "/api/v1/notebooks?all=true&ended=true")[1]["notebooks"]
    keys = send(srv, "GET", "/api/v1/ssh-keys")[1]["keys"]
    environments = send(srv, "GET", "/api/v1/environments")[1]["environments"]
    return (len(jobs), len(exps), len(users), json.dumps(queues, sort_keys=True), len(tokens),
            len(workflows), len(templates), len(notebooks), len(keys),
            json.dumps(environments, sort_keys=True))


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
            status=400, contains=None, headers=None):
    before = snapshot(srv)
    got, payload = send(srv, method, target, body, content_type, headers=headers)
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


# --- workflows, notebooks, SSH keys, environments, PyTorchJob, the notebook proxy, /metrics -----

def said_once(err, field):
    """The message names the field once, in front ("spec.x: must be ..."), never twice."""
    assert err["message"].startswith(field + ": "), err
    assert err["message"].count(field + ": ") == 1, err


def refused_naming(srv, method, target, body, field, content_type="application/json",
                   contains=None):
    err = refused(srv, method, target, body, content_type, field=field, contains=contains)
    said_once(err, field)
    return err


def workflow(kind="Workflow"):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind,
            "metadata": {"generateName": "hostile-"} if kind == "Workflow" else {"name": "t"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [[{"name": "s", "template": "echo"}]]},
                {"name": "echo", "container": {"image": "alpine", "command": ["echo", "hi"]}}]}}


def changed(doc, where, value):
    """`doc` as JSON with the value at `where` (a tuple of keys and indexes) replaced; the
    strings "1e999" and "-1e999" are written as those bare numbers, beyond what a double holds."""
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    return json.dumps(doc).replace('"1e999"', "1e999").replace('"-1e999"', "-1e999")


STEP = ("spec", "templates", 0, "steps", 0, 0)
STEP_PATH = "spec.templates[0].steps[0][0]"
TASK_PATH = "spec.templates[0].dag.tasks[0]"
SEQ = STEP + ("withSequence",)

WORKFLOW_CASES = [
    # Loops already known to be beyond 100,000 items are refused at submit.
    (SEQ, {"count": 100_000_000_000}, STEP_PATH + ".withSequence.count", "at most 100000"),
    (SEQ, {"count": "100000000000"}, STEP_PATH + ".withSequence.count", "at most 100000"),
    (SEQ, {"count": 1e11}, STEP_PATH + ".withSequence.count", "at most 100000"),
    (SEQ, {"start": "0", "end": 100000}, STEP_PATH + ".withSequence.end", "more than 100000"),
    (SEQ, {"start": "-9223372036854775808", "end": "9223372036854775807"},
     STEP_PATH + ".withSequence.end", "more than 100000"),
    (SEQ, {"count": "99999999999999999999"}, STEP_PATH + ".withSequence.count", "out of range"),
    (SEQ, {"count": "1e999"}, STEP_PATH + ".withSequence.count", "out of range"),
    (SEQ, {"count": "-1e999"}, STEP_PATH + ".withSequence.count", "out of range"),
    (SEQ, {"count": "ten"}, STEP_PATH + ".withSequence.count", "not an integer"),
    (SEQ, {"count": [1]}, STEP_PATH + ".withSequence.count", "must be an integer"),
    (SEQ, {"count": 2, "format": "%999999999d"}, STEP_PATH + ".withSequence.format", "at most 99"),
    (SEQ, {"count": 2, "format": 5}, STEP_PATH + ".withSequence.format", "must be a string"),
    (SEQ, {"count": 2, "step": 5}, STEP_PATH + ".withSequence.step", "unknown field"),
    (SEQ, {"start": 1}, STEP_PATH + ".withSequence", "needs count or end"),
    (SEQ, "100", STEP_PATH + ".withSequence", "must be an object"),
    (STEP + ("withItems",), "a,b", STEP_PATH + ".withItems", "must be a list"),
    (STEP + ("withParam",), "[1, 2", STEP_PATH + ".withParam", "not a JSON list"),
    (STEP + ("withParam",), 7, STEP_PATH + ".withParam", "JSON list"),
    # Numbers beyond a double.
    (("spec", "parallelism"), "1e999", "spec.parallelism", "out of range"),
    (("spec", "activeDeadlineSeconds"), "-1e999", "spec.activeDeadlineSeconds", "out of range"),
    # NUL bytes in names, commands, args and env.
    (("metadata", "generateName"), "a\u0000-", "metadata.generateName", "NUL"),
    (("spec", "templates", 1, "container", "command"), ["echo", "a\u0000b"],
     "spec.templates[1].container.command[1]", "NUL"),
    (("spec", "templates", 1, "container", "args"), ["\u0000"],
     "spec.templates[1].container.args[0]", "NUL"),
    (("spec", "templates", 1, "container", "env"), [{"name": "K", "value": "v\u0000"}],
     "spec.templates[1].container.env[0].value", "NUL"),
    (("spec", "templates", 1, "name"), "ec\u0000ho", "spec.templates[1].name", "NUL"),
    # Wrong types.
    (("kind",), 5, "kind", "must be a string"),
    (("metadata",), "x", "metadata", "must be an object"),
    (("metadata", "generateName"), 5, "metadata.generateName", "must be a string"),
    (("metadata", "name"), ["a"], "metadata.name", "must be a string"),
    (("metadata", "labels"), "team=a", "metadata.labels", "must be an object"),
    (("metadata", "annotations"), 5, "metadata.annotations", "must be an object"),
    (("spec",), [], "spec", "must be an object"),
    (("spec", "entrypoint"), 5, "spec.entrypoint", "is required"),
    (("spec", "templates"), "main", "spec.templates", "must be a list"),
    (("spec", "templates", 0), "main", "spec.templates[0].name", "is required"),
    (("spec", "templates", 0, "steps"), {"a": 1}, "spec.templates[0].steps", "list of lists"),
    (("spec", "templates", 0, "steps", 0), "s", "spec.templates[0].steps[0]", "list of steps"),
    (STEP + ("name",), 5, STEP_PATH + ".name", "must be a string"),
    (STEP + ("template",), 5, STEP_PATH + ".template", "must be a string"),
    (STEP + ("onExit",), 5, STEP_PATH + ".onExit", "must be a string"),
    (STEP + ("when",), [1], STEP_PATH + ".when", "must be a string"),
    (STEP, {"name": "s", "templateRef": {"name": "t", "template": "x", "clusterScope": "yes"}},
     STEP_PATH + ".templateRef.clusterScope", "must be true or false"),
    (STEP, {"name": "s", "templateRef": {"name": 5, "template": "x"}},
     STEP_PATH + ".templateRef.name", "must be a string"),
    (("spec", "templates", 1, "container", "command"), "echo",
     "spec.templates[1].container.command", "must be a list"),
    (("spec", "templates", 1, "container"), "alpine", "spec.templates[1].container",
     "must be an object"),
    (("spec", "onExit"), 5, "spec.onExit", "must be a string"),
    (("spec", "workflowTemplateRef"), "t", "spec.workflowTemplateRef", "must be an object"),
    (("spec", "workflowTemplateRef"), {"name": "t", "clusterScope": 1},
     "spec.workflowTemplateRef.clusterScope", "must be true or false"),
    (("spec", "arguments"), {"parameters": "x"}, "spec.arguments.parameters", "must be a list"),
    (("spec", "arguments"), {"parameters": [{"name": 5, "value": "x"}]},
     "spec.arguments.parameters[0].name", "must be a string"),
    (("spec", "arguments"), {"parameters": ["x"]}, "spec.arguments.parameters[0]",
     "must be an object"),
    (("spec", "templates", 1, "inputs"), {"parameters": [{"name": "p", "default": "a"}],
                                          "artifacts": 3},
     "spec.templates[1].inputs.artifacts", "must be a list"),
    (("spec", "templates", 1, "outputs"), {"parameters": [{"name": "o", "valueFrom": "x"}]},
     "spec.templates[1].outputs.parameters[0].valueFrom", "must be an object"),
    (("spec", "templates", 1, "retryStrategy"), "3", "spec.templates[1].retryStrategy",
     "must be an object"),
    (("spec", "templates", 1, "retryStrategy"), {"limit": 2, "backoff": "1s"},
     "spec.templates[1].retryStrategy.backoff", "must be an object"),
    (("spec", "templates", 1, "memoize"), {"key": "k", "cache": "c"},
     "spec.templates[1].memoize.cache", "must be an object"),
    (("spec", "templates", 1, "synchronization"), {"mutex": "m"},
     "spec.templates[1].synchronization.mutex", "must be an object"),
    (("spec", "hooks"), {"exit": "x"}, "spec.hooks.exit", "must be an object"),
    (STEP + ("continueOn",), {"failed": "yes"}, STEP_PATH + ".continueOn.failed",
     "must be true or false"),
    (("spec", "suspend"), "yes", "spec.suspend", "must be true or false"),
]


@pytest.mark.parametrize("where,value,field,contains", WORKFLOW_CASES,
                         ids=[c[2] + ":" + c[3] for c in WORKFLOW_CASES])
def test_workflow_spec(srv, where, value, field, contains):
    refused_naming(srv, "POST", "/api/v1/workflows", changed(workflow(), where, value), field,
                   contains=contains)


def test_workflow_loops_in_a_dag_and_in_templates(srv):
    dag = workflow()
    dag["spec"]["templates"][0] = {"name": "main", "dag": {"tasks": [
        {"name": "t", "template": "echo", "withSequence": {"count": 100_000_000_000}}]}}
    refused_naming(srv, "POST", "/api/v1/workflows", json.dumps(dag),
                   TASK_PATH + ".withSequence.count", contains="at most 100000")
    refused_naming(srv, "POST", "/api/v1/workflows",
                   changed(workflow(), SEQ, {"end": "-100000"}),
                   STEP_PATH + ".withSequence.end", contains="more than 100000")
    tmpl = changed(workflow("WorkflowTemplate"), SEQ, {"count": 100_000_000_000})
    refused_naming(srv, "POST", "/api/v1/workflow-templates", tmpl,
                   STEP_PATH + ".withSequence.count", contains="at most 100000")
    # In a multi-document body the bad document is named after the message.
    ok = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: ok}\n" \
         "spec:\n  templates:\n  - {name: e, container: {image: alpine, command: [echo]}}\n"
    bad = (ok.replace("name: ok", "name: bad") + "  - {name: m, steps: [[{name: s, template: e, "
           "withSequence: {count: 100000000000}}]]}\n")
    err = refused_naming(srv, "POST", "/api/v1/workflow-templates", ok + "---\n" + bad,
                         "spec.templates[1].steps[0][0].withSequence.count",
                         content_type="application/yaml", contains="(document 1)")
    assert "at most 100000" in err["message"]


def test_workflow_loop_counts_from_parameters_wait_for_the_run(srv):
    doc = workflow()
    doc["spec"]["arguments"] = {"parameters": [{"name": "n", "value": "100000000000"}]}
    step = doc["spec"]["templates"][0]["steps"][0][0]
    step["withSequence"] = {"count": "{{workflow.parameters.n}}"}
    status, created = send(srv, "POST", "/api/v1/workflows", json.dumps(doc))
    assert status == 201, created
    deadline = time.time() + 20
    while True:
        wf = send(srv, "GET", f"/api/v1/workflows/{created['id']}")[1]
        if wf["phase"] in ("Failed", "Error") or time.time() > deadline:
            break
        time.sleep(0.05)
    assert wf["phase"] in ("Failed", "Error"), wf
    assert any("at most 100000" in n["message"] for n in wf["nodes"]), wf["nodes"]
    assert not any(n["type"] == "Pod" for n in wf["nodes"])
    healthy(srv)


def test_workflow_with_very_many_items(srv):
    doc = workflow()
    doc["spec"]["templates"][0]["steps"][0][0]["withItems"] = list(range(100_001))
    err = refused(srv, "POST", "/api/v1/workflows", json.dumps(doc))
    assert "100000" in err["message"], err
    # Fewer values than the body's node bound, but each alias stands for 1,000 items.
    yaml = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\n"
            "spec:\n  entrypoint: main\n  x: &k [" + ",".join(["1"] * 1000) + "]\n"
            "  templates:\n  - name: main\n    steps:\n    - - name: s\n        template: main\n"
            "        withItems: [" + ",".join(["*k"] * 200) + "]\n")
    err = refused(srv, "POST", "/api/v1/workflows", yaml, "application/yaml")
    assert "100000" in err["message"], err


WORKFLOW_BYTES = [
    ("POST", "/api/v1/workflows", b'{"kind": "Workflow", "spec": {"entrypoint": "\xff"}}',
     "application/json", "body"),
    ("POST", "/api/v1/workflows",
     b"kind: Workflow\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n"
     b"    container: {image: alpine, args: [\"\xc3\x28\"]}\n", "application/yaml",
     "spec.templates[0].container.args[0]"),
    ("POST", "/api/v1/workflows",
     b"kind: Workflow\nmetadata:\n  labels:\n    \"k\xfe\": v\nspec: {entrypoint: m}\n",
     "application/yaml", "metadata.labels.k\ufffd"),
    ("POST", "/api/v1/workflow-templates",
     b"kind: WorkflowTemplate\nmetadata: {name: \"t\xff\"}\nspec: {}\n", "application/yaml",
     "metadata.name"),
    ("POST", "/api/v1/workflows?%FF=1", b"{}", "application/json", "query key"),
    ("POST", "/api/v1/workflows?dry=%FF", b"{}", "application/json", "dry"),
    ("GET", "/api/v1/workflows?phase=%FF", None, None, "phase"),
    ("GET", "/api/v1/workflows?limit=1e999", None, None, "limit"),
    ("GET", "/api/v1/workflows/%FF", None, None, "path"),
    ("POST", "/api/v1/workflows/%C3%28/stop", None, None, "path"),
    ("POST", "/api/v1/workflows/%FF/suspend", None, None, "path"),
    ("POST", "/api/v1/workflows/1/resume%FF", None, None, "path"),
    ("GET", "/api/v1/workflows/1/logs?node=%FF", None, None, "node"),
    ("GET", "/api/v1/workflows/1/logs?node=a%00b", None, None, "node"),
    ("DELETE", "/api/v1/workflow-templates/workflowtemplate/%FF", None, None, "path"),
    ("GET", "/api/v1/workflows/1/stop", None, None, "method"),
    ("POST", "/api/v1/notebooks", b'{"name": "\xff"}', "application/json", "body"),
    ("POST", "/api/v1/notebooks", b'name: "nb\xff"\n', "application/yaml", "name"),
    ("POST", "/api/v1/notebooks", b'environment: "py\xc0\xaf"\n', "application/yaml",
     "environment"),
    ("GET", "/api/v1/notebooks/%FF", None, None, "path"),
    ("GET", "/api/v1/notebooks/1?wait_s=%FF", None, None, "wait_s"),
    ("POST", "/api/v1/ssh-keys", b'{"key": "ssh-ed25519 \xff"}', "application/json", "body"),
    ("POST", "/api/v1/ssh-keys", b'key: "ssh-ed25519 AAAA\xff"\n', "application/yaml", "key"),
    ("DELETE", "/api/v1/ssh-keys/%FF", None, None, "path"),
    ("PUT", "/api/v1/environments", b'environments:\n  "py\xff": /opt/py\n', "application/yaml",
     "environments.py\ufffd"),
    ("PUT", "/api/v1/environments", b'environments:\n  py: "/opt/\xff"\n', "application/yaml",
     "environments.py"),
]


@pytest.mark.parametrize("method,target,body,ctype,field", WORKFLOW_BYTES,
                         ids=[f"{c[0]} {c[1][:40]} {c[4]}" for c in WORKFLOW_BYTES])
def test_invalid_utf8_in_new_entry_points(srv, method, target, body, ctype, field):
    err = refused(srv, method, target, body, ctype or "application/json", field=field)
    said_once(err, field)


@pytest.mark.parametrize("method,target,status", [
    ("POST", "/api/v1/workflows/99999999999999999999/retry", 404),
    ("POST", "/api/v1/workflows/-1/stop", 404),
    ("POST", "/api/v1/workflows/1e999/terminate", 404),
    ("POST", "/api/v1/workflows/0/resubmit", 404),
    ("POST", "/api/v1/workflows/424242/suspend", 404),
    ("POST", "/api/v1/workflows/1/explode", 404),
    ("DELETE", "/api/v1/workflows/424242", 404),
    ("GET", "/api/v1/workflows/424242/logs", 404),
    ("DELETE", "/api/v1/workflow-templates/bogus/t", 404),
    ("DELETE", "/api/v1/workflow-templates/workflowtemplate/nope", 404),
    ("POST", "/api/v1/notebooks/99999999999999999999/stop", 404),
    ("GET", "/api/v1/notebooks/424242/ssh", 404),
    ("DELETE", "/api/v1/ssh-keys/99999999999999999999", 404),
    ("GET", "/api/v1/environments/x", 404),
    ("PATCH", "/api/v1/environments", 400),
])
def test_ids_and_verbs_of_new_entry_points(srv, method, target, status):
    refused(srv, method, target, status=status)


def test_workflow_messages_name_the_field_once(srv):
    err = refused(srv, "PUT", "/api/v1/workflows/1/suspend", field="method")
    assert err["message"] == "method: PUT is not allowed on /api/v1/workflows/1/suspend"
    err = refused(srv, "POST", "/api/v1/workflows", changed(workflow(), ("spec", "entrypoint"),
                                                               "nope"), field="spec.entrypoint")
    assert err["message"] == "spec.entrypoint: no template named 'nope'"
    err = refused(srv, "POST", "/api/v1/workflows", changed(workflow(), ("kind",),
                                                               "WorkflowTemplate"), field="kind")
    assert err["message"].startswith("kind: submit a Workflow here;")
    err = refused(srv, "POST", "/api/v1/workflows",
                  changed(workflow(), ("spec", "workflowTemplateRef"), {"name": "missing"}),
                  field="spec")
    assert err["message"].startswith("spec: references WorkflowTemplate 'missing'")


NUMBERS_NULS_AND_TYPES = [
    ("POST", "/api/v1/notebooks", '{"gpus": 1e999}', "gpus", "out of range"),
    ("POST", "/api/v1/notebooks", '{"idle_timeout_s": -1e999}', "idle_timeout_s", "out of range"),
    ("POST", "/api/v1/notebooks", '{"gpus": 100000}', "gpus", None),
    ("POST", "/api/v1/notebooks", '{"gpus": "1"}', "gpus", None),
    ("POST", "/api/v1/notebooks", '{"name": 5}', "name", None),
    ("POST", "/api/v1/notebooks", '{"name": "a\\u0000b"}', "name", None),
    ("POST", "/api/v1/notebooks", '{"name": "../x"}', "name", None),
    ("POST", "/api/v1/notebooks", '{"environment": "py\\u0000"}', "environment", None),
    ("POST", "/api/v1/notebooks", '{"env": ["py"]}', "env", None),
    ("POST", "/api/v1/notebooks", '{"bogus": 1}', "bogus", None),
    ("POST", "/api/v1/notebooks", '[1]', "body", None),
    ("POST", "/api/v1/ssh-keys", '{"key": 1e999}', "key", "out of range"),
    ("POST", "/api/v1/ssh-keys", '{"key": "ssh-ed25519 AAAA\\u0000"}', "key", None),
    ("POST", "/api/v1/ssh-keys", '{"key": "ssh-ed25519 AAAA\\nssh-rsa BBBB"}', "key", None),
    ("POST", "/api/v1/ssh-keys", '{"key": ["ssh-ed25519", "AAAA"]}', "key", None),
    ("POST", "/api/v1/ssh-keys", '{"key": "command=\\"sh\\" ssh-ed25519 AAAA"}', "key", None),
    ("POST", "/api/v1/ssh-keys", '{"key": "ssh-ed25519 ' + "A" * 20000 + '"}', "key", None),
    ("POST", "/api/v1/ssh-keys", '{}', "key", "is required"),
    ("PUT", "/api/v1/environments", '{"environments": {"py": 1e999}}', "environments.py",
     "out of range"),
    ("PUT", "/api/v1/environments", '{"environments": {"py": "/opt/a\\u0000"}}',
     "environments.py", None),
    ("PUT", "/api/v1/environments", '{"environments": {"p\\u0000y": "/opt"}}',
     "environments.p\u0000y", None),
    ("PUT", "/api/v1/environments", '{"environments": {"py": "relative/dir"}}',
     "environments.py", None),
    ("PUT", "/api/v1/environments", '{"environments": {"py": "/opt/../etc"}}',
     "environments.py", None),
    ("PUT", "/api/v1/environments", '{"environments": {"../x": "/opt"}}',
     "environments.../x", None),
    ("PUT", "/api/v1/environments", '{"environments": {"py": ["/opt"]}}', "environments.py",
     None),
    ("PUT", "/api/v1/environments", '{"environments": ["py"]}', "environments", None),
    ("PUT", "/api/v1/environments", '{"envs": {}}', "envs", None),
]


@pytest.mark.parametrize("method,target,body,field,contains", NUMBERS_NULS_AND_TYPES,
                         ids=[f"{c[1]} {c[3]}" for c in NUMBERS_NULS_AND_TYPES])
def test_numbers_nuls_and_types_in_new_entry_points(srv, method, target, body, field, contains):
    refused_naming(srv, method, target, body, field, contains=contains)


PYTORCH_JOB = """apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: NAME
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: REPLICAS
      template:
        spec:
          containers:
            - name: pytorch
              image: pytorch/pytorch:2
              command: COMMAND
              env: [{name: K, value: VALUE}]
"""
WORKER = "spec.pytorchReplicaSpecs.Worker"
CONTAINER = WORKER + ".template.spec.containers[0]"


def pytorch_job(name="hostile", replicas="2", command='["true"]', value="v"):
    return (PYTORCH_JOB.replace("NAME", name).replace("REPLICAS", replicas)
            .replace("COMMAND", command).replace("VALUE", value))


@pytest.mark.parametrize("body,field,contains", [
    # A YAML scalar beyond a double stays text, which is not an integer.
    (pytorch_job(replicas="1e999"), WORKER + ".replicas", "must be an integer"),
    (pytorch_job(replicas="-1e999"), WORKER + ".replicas", "must be an integer"),
    (pytorch_job(replicas="100000000000"), WORKER + ".replicas", None),
    (pytorch_job(replicas="two"), WORKER + ".replicas", None),
    (pytorch_job(command='["echo", "a\\0b"]'), CONTAINER + ".command[1]", "NUL"),
    (pytorch_job(command='"echo"'), CONTAINER + ".command", None),
    (pytorch_job(command="[echo, {a: 1}]"), CONTAINER + ".command[1]", None),
    (pytorch_job(value='"a\\0b"'), CONTAINER + ".env[0].value", "NUL"),
    (pytorch_job(name='"../up"'), "metadata.name", None),
    (pytorch_job(name='"a\\0"'), "metadata.name", None),
    (pytorch_job().encode().replace(b"value: v", b'value: "\xff"'), CONTAINER + ".env[0].value",
     None),
    (pytorch_job().encode().replace(b"image: pytorch", b'image: "\xfe"'),
     CONTAINER + ".image", None),
])
def test_pytorch_job_yaml(srv, body, field, contains):
    refused_naming(srv, "POST", "/api/v1/jobs", body, field, "application/yaml", contains)


@pytest.mark.parametrize("where,value,field", [
    (("spec", "pytorchReplicaSpecs", "Worker", "replicas"), "1e999", WORKER + ".replicas"),
    (("spec", "runPolicy"), {"backoffLimit": "-1e999"}, "spec.runPolicy.backoffLimit"),
    (("spec", "pytorchReplicaSpecs", "Worker", "template", "spec", "containers", 0, "resources"),
     {"limits": {"cpu": "1e999"}}, CONTAINER + ".resources.limits.cpu"),
])
def test_pytorch_job_json_numbers_beyond_a_double(srv, where, value, field):
    doc = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "h"},
           "spec": {"pytorchReplicaSpecs": {"Worker": {"replicas": 1, "template": {"spec": {
               "containers": [{"name": "pytorch", "command": ["true"]}]}}}}}}
    refused_naming(srv, "POST", "/api/v1/jobs", changed(doc, where, value), field,
                   contains="out of range")


def pytorch_billion_laughs():
    return (pytorch_job() + "  bomb:\n" +
            "".join("    " + line + "\n" for line in billion_laughs().splitlines()))


@pytest.mark.parametrize("method,target,body", [
    ("POST", "/api/v1/workflows", "kind: Workflow\n" + billion_laughs()),
    ("POST", "/api/v1/workflow-templates", "kind: WorkflowTemplate\n" + billion_laughs()),
    ("POST", "/api/v1/workflow-templates",
     "kind: WorkflowTemplate\nmetadata: {name: a}\nspec: {}\n---\nkind: WorkflowTemplate\n"
     + billion_laughs()),
    ("POST", "/api/v1/jobs", pytorch_billion_laughs()),
    ("PUT", "/api/v1/environments", billion_laughs()),
    ("POST", "/api/v1/notebooks", billion_laughs()),
    ("POST", "/api/v1/ssh-keys", billion_laughs()),
])
def test_billion_laughs_in_new_entry_points(srv, method, target, body):
    before = rss_kb(srv)
    refused(srv, method, target, body, "application/yaml", contains="expands beyond 100000 nodes")
    assert rss_kb(srv) - before < 200 * 1024


@pytest.mark.parametrize("method,target", [
    ("POST", "/api/v1/workflows"), ("POST", "/api/v1/workflow-templates"),
    ("POST", "/api/v1/notebooks"), ("POST", "/api/v1/ssh-keys"), ("PUT", "/api/v1/environments"),
])
def test_deep_nesting_in_new_entry_points(srv, method, target):
    refused(srv, method, target, "[" * 100000, contains="deeper than 64")
    refused(srv, method, target, "a: " + "[" * 1000 + "]" * 1000 + "\n", "application/yaml",
            contains="deeper than 64")
    refused(srv, method, target, "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)),
            "application/yaml", contains="deeper than 64")


def test_deep_nesting_in_a_pytorch_job(srv):
    deep = pytorch_job() + "  runPolicy: " + "{a: " * 500 + "1" + "}" * 500 + "\n"
    refused(srv, "POST", "/api/v1/jobs", deep, "application/yaml", contains="deeper than 64")


def head_only(srv, method, target, length):
    """Sends a request head announcing `length` body bytes and none of them: the answer comes
    from the head alone, before the body would be read."""
    u = urlparse(srv.url)
    with socket.create_connection((u.hostname, u.port), timeout=30) as sock:
        sock.sendall((f"{method} {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      f"{srv.admin_token}\r\nContent-Type: application/yaml\r\n"
                      f"Content-Length: {length}\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < body_length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    return int(head.split()[1]), json.loads(body)


def body_length(data):
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@pytest.mark.parametrize("method,target", [
    ("POST", "/api/v1/workflows"), ("POST", "/api/v1/workflow-templates"),
    ("POST", "/api/v1/notebooks"), ("POST", "/api/v1/ssh-keys"), ("PUT", "/api/v1/environments"),
    ("POST", "/api/v1/jobs"),
])
def test_oversized_bodies_in_new_entry_points(srv, method, target):
    before = snapshot(srv)
    status, payload = head_only(srv, method, target, (1 << 20) + 1)
    assert status == 413, payload
    assert payload["error"]["details"]["field"] == "body"
    said_once(payload["error"], "body")
    healthy(srv)
    assert snapshot(srv) == before


@pytest.mark.parametrize("target,status,field", [
    ("/nb/99999999999999999999/", 404, None), ("/nb/0/tree", 404, None), ("/nb/-1/", 404, None),
    ("/nb/1e999/", 404, None), ("/nb/424242/api/kernels", 404, None),
    ("/nb/424242/../../api/v1/users", 404, None),
    ("/nb/%FF/", 400, "path"), ("/nb/1%00/", 400, "path"),
    ("/nb/424242/%FF%FE/../../etc/passwd", 400, "path"), ("/nb/424242/api?x=%FF", 400, "x"),
    ("/nb/424242/api?x=a%00b", 400, "x"),
])
def test_notebook_proxy_paths(srv, target, status, field):
    err = refused(srv, "GET", target, status=status, field=field)
    if field is None:
        assert "notebook" in err["message"], err
    else:
        said_once(err, field)


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Basic YWRtaW46eA=="}, {"Authorization": "Bearer nope"},
    {"Authorization": "Bearer " + "t" * 10000}, {"Cookie": "corral_session=\u00ff"},
])
def test_notebook_proxy_and_metrics_credentials(srv, headers):
    refused(srv, "GET", "/nb/1/lab", status=401, headers=headers)
    refused(srv, "GET", "/metrics", status=401, headers=headers)


@pytest.mark.parametrize("method,target,field", [
    ("POST", "/metrics", "method"), ("DELETE", "/metrics", "method"),
    ("GET", "/metrics?%FF=1", "query key"), ("GET", "/metrics?name=%FF", "name"),
    ("GET", "/metrics?name=x", "name"),
    ("GET", "/metrics?name[]=x", "name[]"),
])
def test_metrics_requests(srv, method, target, field):
    err = refused(srv, method, target, field=field)
    said_once(err, field)
    status, text = send(srv, "GET", "/metrics")
    assert status == 200 and b"corral_http_requests_total" in text


ED25519 = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"k" * 32).decode()


def test_new_entry_points_still_accept_good_input(srv):
    status, created = send(srv, "POST", "/api/v1/workflows",
                           changed(workflow(), SEQ, {"count": "3", "format": "%02d"}))
    assert status == 201, created
    status, key = send(srv, "POST", "/api/v1/ssh-keys",
                       json.dumps({"key": "ssh-ed25519 " + ED25519 + " caf\u00e9"}))
    assert status == 201, key
    assert send(srv, "DELETE", f"/api/v1/ssh-keys/{key['id']}")[0] == 200
    # Its three items, formatted, became three steps.
    deadline = time.time() + 20
    while True:
        wf = send(srv, "GET", f"/api/v1/workflows/{created['id']}")[1]
        pods = sorted(n["display_name"] for n in wf["nodes"] if n["type"] == "Pod")
        if len(pods) == 3 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert pods == ["s(0:00)", "s(1:01)", "s(2:02)"], wf["nodes"]
    healthy(srv)
