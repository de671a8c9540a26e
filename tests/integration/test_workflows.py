"""Argo workflows run by the real server: every step a real process, state in real SQLite."""

import json
import os
import shutil
import tempfile
import time

from pathlib import Path

import pytest

from conftest import ApiError, Server

HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-world-
  labels:
    workflows.argoproj.io/archive-strategy: "false"
spec:
  entrypoint: hello-world
  podGC:
    strategy: OnPodSuccess
  templates:
  - name: hello-world
    nodeSelector: {disk: ssd}
    container:
      image: busybox
      command: [echo]
      args: ["hello world"]
"""

DIAMOND = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: dag-diamond-
spec:
  entrypoint: diamond
  templates:
  - name: diamond
    dag:
      tasks:
      - name: A
        template: echo
        arguments:
          parameters: [{name: message, value: A}]
      - name: B
        depends: "A"
        template: echo
        arguments:
          parameters: [{name: message, value: B}]
      - name: C
        depends: "A"
        template: echo
        arguments:
          parameters: [{name: message, value: C}]
      - name: D
        depends: "B && C"
        template: echo
        arguments:
          parameters: [{name: message, value: D}]
  - name: echo
    inputs:
      parameters:
      - name: message
    container:
      image: busybox
      command: [echo, "{{inputs.parameters.message}}"]
"""

# Argo's parameter-aggregation-script: four python steps write the same /tmp path at once.
AGGREGATION = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: parameter-aggregation-script-
spec:
  entrypoint: parameter-aggregation
  templates:
  - name: parameter-aggregation
    steps:
    - - name: odd-or-even
        template: odd-or-even
        arguments:
          parameters:
          - name: num
            value: "{{item}}"
        withItems: [1, 2, 3, 4]
    - - name: divide-by-2
        template: divide-by-2
        arguments:
          parameters:
          - name: num
            value: "{{item.num}}"
        withParam: "{{steps.odd-or-even.outputs.result}}"
        when: "{{item.evenness}} == even"
    - - name: print
        template: whalesay
        arguments:
          parameters:
          - name: message
            value: "{{steps.divide-by-2.outputs.result}}"
  - name: odd-or-even
    inputs:
      parameters:
      - name: num
    script:
      image: python:alpine3.6
      command: [python]
      source: |
        import json, time
        with open("/tmp/num", "w") as f:
            f.write("{{inputs.parameters.num}}")
        time.sleep(0.3)
        n = int(open("/tmp/num").read())
        print(json.dumps({"num": n, "evenness": "even" if n % 2 == 0 else "odd"}))
  - name: divide-by-2
    inputs:
      parameters:
      - name: num
    script:
      image: alpine:latest
      command: [sh, -x]
      source: |
        #!/bin/sh
        echo $(({{inputs.parameters.num}}/2))
  - name: whalesay
    inputs:
      parameters:
      - name: message
    container:
      image: docker/whalesay:latest
      command: [cowsay]
      args: ["{{inputs.parameters.message}}"]
"""

FLAKY_WITH_EXIT_HANDLER = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: retry-exit-
spec:
  entrypoint: main
  onExit: report
  arguments:
    parameters:
    - name: counter
      value: COUNTER
  templates:
  - name: main
    steps:
    - - name: flaky
        template: flaky
    - - name: fail
        template: fail
  - name: flaky
    retryStrategy:
      limit: "3"
    script:
      image: alpine
      command: [sh]
      source: |
        echo x >> {{workflow.parameters.counter}}
        [ "$(wc -l < {{workflow.parameters.counter}})" -ge 2 ]
  - name: fail
    container:
      image: argoproj/argosay:v2
      args: [exit, "3"]
  - name: report
    container:
      image: argoproj/argosay:v2
      args: [echo, "status={{workflow.status}}"]
"""

# Three steps in sequence; each appends its name to a file outside the step's sandbox.
SLOW_STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: slow-steps
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: mark, arguments: {parameters: [{name: n, value: a}]}}
    - - {name: b, template: mark, arguments: {parameters: [{name: n, value: b}]}}
    - - {name: c, template: mark, arguments: {parameters: [{name: n, value: c}]}}
  - name: mark
    inputs:
      parameters: [{name: n}]
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo {{inputs.parameters.n}} >> MARKS; sleep 1.5"]
"""


@pytest.fixture
def shared_dir():
    """A directory steps can write to. Not under /tmp: every step sees its own /tmp there."""
    path = tempfile.mkdtemp(prefix="corral-wf-test-", dir="/var/tmp")
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def submit(client, text):
    return client.request("POST", "/api/v1/workflows", text, content_type="application/yaml")


def wait_done(client, wf_id, timeout=30):
    deadline = time.time() + timeout
    while True:
        wf = client.get(f"/api/v1/workflows/{wf_id}")
        if wf["phase"] in ("Succeeded", "Failed", "Error"):
            return wf
        if time.time() > deadline:
            raise AssertionError(f"workflow {wf_id} still {wf['phase']}: {json.dumps(wf)[:2000]}")
        time.sleep(0.05)


def pods(wf):
    return [n for n in wf["nodes"] if n["type"] == "Pod"]


def node(wf, display):
    matches = [n for n in wf["nodes"] if n["display_name"] == display]
    assert matches, f"no node {display} in {[n['display_name'] for n in wf['nodes']]}"
    return matches[0]


def test_hello_world_with_kubernetes_fields_ignored(server, admin):
    r = submit(admin, HELLO)
    assert r["name"].startswith("hello-world-")
    assert "spec.podGC: ignored (Kubernetes-only)" in r["warnings"]
    assert "spec.templates[0].nodeSelector: ignored (Kubernetes-only)" in r["warnings"]
    wf = wait_done(admin, r["id"])
    assert wf["phase"] == "Succeeded", wf
    assert len(wf["nodes"]) == 1 and len(pods(wf)) == 1
    root = wf["nodes"][0]
    assert root["id"] == wf["name"] and root["outputs"]["result"] == "hello world"
    assert root["outputs"]["exit_code"] == 0
    assert wf["progress"] == "1/1"
    assert wf["spec"]["metadata"]["generateName"] == "hello-world-"
    logs = admin.get(f"/api/v1/workflows/{r['id']}/logs", raw=True)
    assert f"[{wf['name']}] hello world" in logs
    listed = admin.get("/api/v1/workflows?phase=Succeeded")["workflows"]
    assert [w["id"] for w in listed] == [r["id"]]


def test_dag_diamond_runs_b_and_c_after_a_and_d_last(server, admin):
    wf = wait_done(admin, submit(admin, DIAMOND)["id"])
    assert wf["phase"] == "Succeeded"
    assert len(pods(wf)) == 4 and len(wf["nodes"]) == 5
    t = {n["display_name"]: n for n in pods(wf)}
    assert t["A"]["finished_at"] <= t["B"]["started_at"]
    assert t["A"]["finished_at"] <= t["C"]["started_at"]
    assert max(t["B"]["finished_at"], t["C"]["finished_at"]) <= t["D"]["started_at"]
    assert [t[x]["outputs"]["result"] for x in "ABCD"] == list("ABCD")
    assert t["D"]["inputs"]["parameters"] == [{"name": "message", "value": "D"}]


def test_parallel_steps_have_private_tmp_and_loop_outputs_aggregate(server, admin):
    wf = wait_done(admin, submit(admin, AGGREGATION)["id"], timeout=60)
    assert wf["phase"] == "Succeeded", [(n["display_name"], n["phase"], n["message"]) for n in wf["nodes"]]
    # Argo's node model: the steps node, 3 groups, 4 + 4 loop children (2 Skipped), print.
    assert len(wf["nodes"]) == 13 and len(pods(wf)) == 7
    results = sorted(node(wf, f"odd-or-even({i}:{i + 1})")["outputs"]["result"] for i in range(4))
    assert results == sorted(json.dumps({"num": n, "evenness": "even" if n % 2 == 0 else "odd"})
                             for n in (1, 2, 3, 4))
    skipped = [n for n in wf["nodes"] if n["phase"] == "Skipped"]
    assert len(skipped) == 2
    assert node(wf, "print")["inputs"]["parameters"][0]["value"] == "[1,2]"
    assert "< [1,2] >" in node(wf, "print")["outputs"]["result"]


def test_retry_then_failure_runs_the_exit_handler(server, admin, shared_dir):
    counter = Path(shared_dir) / "counter"
    counter.touch()
    counter.chmod(0o666)
    wf = wait_done(admin, submit(admin, FLAKY_WITH_EXIT_HANDLER.replace("COUNTER", str(counter)))["id"])
    assert wf["phase"] == "Failed"
    flaky = node(wf, "flaky")
    assert flaky["type"] == "Retry" and flaky["phase"] == "Succeeded"
    assert len(flaky["children"]) == 2
    assert node(wf, "flaky(0)")["phase"] == "Failed"
    assert node(wf, "fail")["message"] == "Error (exit code 3)"
    report = node(wf, f"{wf['name']}.onExit")
    assert report["phase"] == "Succeeded" and report["outputs"]["result"] == "status=Failed"
    assert counter.read_text().count("x") == 2


def test_bad_specs_are_refused_with_the_path_and_nothing_is_stored(server, admin):
    cases = {
        HELLO.replace("args:", "argz:"): "spec.templates[0].container.argz",
        DIAMOND.replace('depends: "A"\n        template: echo\n        arguments:\n'
                        '          parameters: [{name: message, value: B}]',
                        'depends: "D"\n        template: echo\n        arguments:\n'
                        '          parameters: [{name: message, value: B}]'): "spec.templates[0].dag.tasks",
        DIAMOND.replace('"B && C"', '"B && Z"'): "spec.templates[0].dag.tasks[3].depends",
        HELLO.replace("entrypoint: hello-world", "entrypoint: nope"): "spec.entrypoint",
        HELLO.replace('args: ["hello world"]', 'args: ["{{= 1 + }}"]'): "spec.templates[0].container.args[0]",
    }
    for text, path in cases.items():
        with pytest.raises(ApiError) as e:
            submit(admin, text)
        assert e.value.status == 400, e.value.body
        assert path in json.dumps(e.value.body), (path, e.value.body)
    assert admin.get("/api/v1/workflows")["workflows"] == []


def test_templates_are_stored_and_referenced(server, admin):
    tmpl = """
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greet
spec:
  entrypoint: say
  arguments:
    parameters: [{name: who, value: nobody}]
  templates:
  - name: say
    inputs:
      parameters: [{name: who}]
    container:
      image: alpine
      command: [echo, "hi {{inputs.parameters.who}}"]
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: cluster-greet
spec:
  templates:
  - name: say
    container:
      image: alpine
      command: [echo, cluster]
"""
    r = admin.request("POST", "/api/v1/workflow-templates", tmpl, content_type="application/yaml")
    assert {(t["kind"], t["name"]) for t in r["templates"]} == {
        ("WorkflowTemplate", "greet"), ("ClusterWorkflowTemplate", "cluster-greet")}
    by_ref = wait_done(admin, submit(admin, """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: by-ref-}
spec:
  workflowTemplateRef: {name: greet}
  arguments:
    parameters: [{name: who, value: corral}]
""")["id"])
    assert by_ref["phase"] == "Succeeded"
    assert by_ref["nodes"][0]["outputs"]["result"] == "hi corral"
    steps = wait_done(admin, submit(admin, """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: steps-ref-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: c
        templateRef: {name: cluster-greet, template: say, clusterScope: true}
""")["id"])
    assert steps["phase"] == "Succeeded" and node(steps, "c")["outputs"]["result"] == "cluster"
    with pytest.raises(ApiError) as e:
        submit(admin, "kind: Workflow\nspec:\n  workflowTemplateRef: {name: missing}\n")
    assert e.value.status == 400
    admin.request("DELETE", "/api/v1/workflow-templates/workflowtemplate/greet")
    names = [t["name"] for t in admin.get("/api/v1/workflow-templates")["templates"]]
    assert names == ["cluster-greet"]


def test_stop_cancels_the_running_step(server, admin):
    r = submit(admin, SLOW_STEPS.replace("MARKS", "/dev/null").replace("sleep 1.5", "sleep 30"))
    deadline = time.time() + 10
    while admin.get(f"/api/v1/workflows/{r['id']}")["nodes"][-1].get("started_at") is None:
        assert time.time() < deadline
        time.sleep(0.05)
    admin.post(f"/api/v1/workflows/{r['id']}/stop")
    wf = wait_done(admin, r["id"], timeout=15)
    assert wf["phase"] == "Failed"
    assert node(wf, "a")["phase"] == "Failed"
    assert not [n for n in wf["nodes"] if n["display_name"] in ("b", "c")]
    admin.request("DELETE", f"/api/v1/workflows/{r['id']}")
    with pytest.raises(ApiError) as e:
        admin.get(f"/api/v1/workflows/{r['id']}")
    assert e.value.status == 404


def test_kill9_mid_workflow_resumes_without_losing_or_repeating_a_step(tmp_path, shared_dir):
    marks = Path(shared_dir) / "marks"
    marks.touch()
    marks.chmod(0o666)
    server = Server(tmp_path / "data").start()
    try:
        client = server.client()
        r = submit(client, SLOW_STEPS.replace("MARKS", str(marks)))
        deadline = time.time() + 15
        while "b" not in marks.read_text():
            assert time.time() < deadline, marks.read_text()
            time.sleep(0.05)
        server.kill9()
        time.sleep(0.5)
        server.start()
        wf = wait_done(server.client(), r["id"], timeout=30)
        assert wf["phase"] == "Succeeded", wf
        assert marks.read_text().split() == ["a", "b", "c"]
        assert [n["display_name"] for n in pods(wf)] == ["a", "b", "c"]
    finally:
        server.stop()


CONTAINER_SET = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: container-set-}
spec:
  entrypoint: main
  templates:
  - name: main
    containerSet:
      containers:
      - name: a
        image: alpine:3
        command: [sh, -c, "touch SHARED/a.started; sleep 1; test -e SHARED/b.started && echo a-saw-b"]
      - name: b
        image: alpine:3
        command: [sh, -c, "touch SHARED/b.started; sleep 1; test -e SHARED/a.started && echo b-saw-a"]
      - name: main
        image: alpine:3
        dependencies: [a, b]
        command: [sh, -c, "test -e SHARED/a.started && test -e SHARED/b.started && echo joined"]
      - name: never
        image: alpine:3
        dependencies: [broken]
        command: [sh, -c, "echo never-runs"]
      - name: broken
        image: alpine:3
        dependencies: [a]
        command: [sh, -c, "exit 3"]
"""


def test_container_set_runs_independent_containers_at_once(server, admin, shared_dir):
    wf = wait_done(admin, submit(admin, CONTAINER_SET.replace("SHARED", shared_dir))["id"])
    logs = admin.get(f"/api/v1/workflows/{wf['id']}/logs", raw=True)
    # a and b each saw the other start while it slept: they ran at the same time.
    assert "a-saw-b" in logs and "b-saw-a" in logs, logs
    assert "joined" in logs, logs
    # broken failed, so its dependent was skipped, and the step fails with broken's code.
    assert "never-runs" not in logs, logs
    assert wf["phase"] == "Failed", wf
    root = [n for n in wf["nodes"] if n["type"] == "Pod"][0]
    assert root["outputs"]["exit_code"] == 3, root
