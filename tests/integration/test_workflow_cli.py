"""`corral workflow ...` and the Python SDK's create() against a real server running real steps."""

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT

DIAMOND_PY = textwrap.dedent('''
    from corral.workflow import DAG, Workflow, script

    @script()
    def echo(message: str):
        print("says", message)

    @script()
    def total(values: list):
        print(sum(values))

    @script()
    def square(n: int):
        print(n * n)

    with Workflow(generate_name="diamond-py-", entrypoint="diamond") as w:
        with DAG(name="diamond"):
            a = echo(name="A", arguments={"message": "alpha"})
            b = echo(name="B", arguments={"message": "bravo"})
            c = square(name="C", arguments={"n": "{{item}}"}, with_items=[1, 2, 3])
            d = total(name="D", arguments={"values": c.result})
            a >> [b, c]
            c >> d

    print("this line is the pipeline's own and is not a workflow")
    w.create()
''')

HELLO_YAML = textwrap.dedent('''
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: hello-param-
    spec:
      entrypoint: main
      arguments:
        parameters:
          - name: message
            value: from-the-file
      templates:
        - name: main
          inputs:
            parameters:
              - name: message
                value: "{{workflow.parameters.message}}"
          container:
            image: alpine:3
            command: [sh, -c]
            args: ["echo said {{inputs.parameters.message}}"]
''')


def node_by_name(wf, display):
    return next(n for n in wf["nodes"] if n.get("display_name") == display)


def test_python_pipeline_submitted_watched_and_inspected(server, tmp_path):
    pipeline = tmp_path / "diamond.py"
    pipeline.write_text(DIAMOND_PY)
    r = server.cli("workflow", "submit", str(pipeline), "--watch", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"workflow (\d+) submitted \((diamond-py-\S+)\)", r.stdout)
    assert m, r.stdout
    wf_id, name = m.group(1), m.group(2)
    assert "Succeeded" in r.stdout

    wf = json.loads(server.cli("workflow", "get", wf_id, "-o", "json", check=True).stdout)
    assert wf["phase"] == "Succeeded"
    assert node_by_name(wf, "D")["outputs"]["result"] == "14"  # 1 + 4 + 9 from the loop

    tree = server.cli("workflow", "get", name, check=True).stdout  # by name too
    assert f"Name:        {name}" in tree
    for step in ("A", "B", "D"):
        assert re.search(rf"✔ {step}\s", tree), tree
    assert "C(0:1)" in tree

    logs = server.cli("workflow", "logs", wf_id, check=True).stdout
    assert "says alpha" in logs and "says bravo" in logs
    one = server.cli("workflow", "logs", wf_id, "--node", "A", check=True).stdout
    assert "says alpha" in one and "bravo" not in one
    followed = server.cli("workflow", "logs", wf_id, "-f", check=True).stdout
    assert "says alpha" in followed and "14" in followed

    dot = server.cli("workflow", "graph", wf_id, check=True).stdout
    assert dot.startswith(f'digraph "{name}" {{')
    assert dot.count(" -> ") >= 5 and dot.count("Succeeded") >= 5

    listed = json.loads(server.cli("workflow", "list", "-o", "json", check=True).stdout)
    assert any(str(w["id"]) == wf_id and w["phase"] == "Succeeded" for w in listed["workflows"])
    table = server.cli("workflow", "list", check=True).stdout
    assert re.search(rf"^{wf_id}\s+{name}\s+Succeeded", table, re.M), table


def test_yaml_with_parameter_override_resubmit_and_delete(server, tmp_path):
    spec = tmp_path / "hello.yaml"
    spec.write_text(HELLO_YAML)
    r = server.cli("workflow", "submit", str(spec), "-p", "message=from-the-flag", "--watch",
                   timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    wf_id = re.search(r"workflow (\d+) submitted", r.stdout).group(1)
    assert "said from-the-flag" in server.cli("workflow", "logs", wf_id, check=True).stdout

    r = server.cli("workflow", "resubmit", wf_id, check=True)
    new_id = re.search(r"resubmitted as (\d+)", r.stdout).group(1)
    assert new_id != wf_id
    r = server.cli("workflow", "delete", wf_id, check=True)
    assert f"workflow {wf_id} deleted" in r.stdout
    gone = server.cli("workflow", "get", wf_id)
    assert gone.returncode == 1 and "not" in gone.stderr.lower()


def test_failed_workflow_exits_1_and_shows_the_failed_node(server, tmp_path):
    spec = tmp_path / "fail.json"
    spec.write_text(json.dumps({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "fails-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "container": {"image": "alpine:3", "command": ["sh", "-c", "exit 3"]}}]}}))
    r = server.cli("workflow", "submit", str(spec), "--watch", timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "✖" in r.stdout and "Failed" in r.stdout


def test_templates_create_list_delete(server, tmp_path):
    f = tmp_path / "tmpl.yaml"
    f.write_text(textwrap.dedent('''
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata:
          name: say-tmpl
        spec:
          templates:
            - name: say
              container: {image: alpine:3, command: [echo, hi]}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: ClusterWorkflowTemplate
        metadata:
          name: say-cluster
        spec:
          templates:
            - name: say
              container: {image: alpine:3, command: [echo, hi]}
    '''))
    r = server.cli("workflow", "template", "create", str(f), check=True)
    assert "say-tmpl" in r.stdout and "say-cluster" in r.stdout
    table = server.cli("workflow", "template", "list", check=True).stdout
    assert re.search(r"say-tmpl\s+WorkflowTemplate", table), table
    assert re.search(r"say-cluster\s+ClusterWorkflowTemplate", table), table
    server.cli("workflow", "template", "delete", "say-tmpl", check=True)
    server.cli("workflow", "template", "delete", "say-cluster", "--cluster", check=True)
    listed = json.loads(server.cli("workflow", "template", "list", "-o", "json",
                                   check=True).stdout)
    assert not [t for t in listed["templates"] if t["name"] in ("say-tmpl", "say-cluster")]


def test_bad_input_gives_usage_or_server_errors(server, tmp_path):
    r = server.cli("workflow", "submit", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "missing.yaml" in r.stderr

    broken = tmp_path / "broken.py"
    broken.write_text("raise SystemExit('no pipeline here')\n")
    r = server.cli("workflow", "submit", str(broken))
    assert r.returncode == 2 and "exited with status 1" in r.stderr
    assert "no pipeline here" in r.stderr  # the pipeline's own stderr reaches the user

    silent = tmp_path / "silent.py"
    silent.write_text("print('nothing to submit')\n")
    r = server.cli("workflow", "submit", str(silent))
    assert r.returncode == 2 and "printed no workflow" in r.stderr

    r = server.cli("workflow", "submit", str(tmp_path / "x.yaml"), "-p", "novalue")
    assert r.returncode == 2

    cycle = tmp_path / "cycle.yaml"
    cycle.write_text(textwrap.dedent('''
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: cycle-}
        spec:
          entrypoint: main
          templates:
            - name: main
              dag:
                tasks:
                  - {name: a, template: t, depends: b}
                  - {name: b, template: t, depends: a}
            - name: t
              container: {image: alpine:3, command: ["true"]}
    '''))
    r = server.cli("workflow", "submit", str(cycle))
    assert r.returncode == 1 and "spec.templates[0].dag" in r.stderr, r.stderr
    r = server.cli("workflow", "get", "no-such-workflow")
    assert r.returncode == 1 and "no workflow named" in r.stderr


def test_sdk_create_submits_through_the_rest_api(server, tmp_path):
    pipeline = tmp_path / "direct.py"
    pipeline.write_text(DIAMOND_PY.replace("w.create()", textwrap.dedent('''
        created = w.create(wait=True, timeout=90)
        print("FINAL", created["id"], created["phase"])
    ''')))
    env = dict(os.environ, CORRAL_URL=server.url, CORRAL_TOKEN=server.admin_token,
               PYTHONPATH=str(ROOT / "python"), XDG_CONFIG_HOME=str(tmp_path))
    env.pop("CORRAL_WORKFLOW_EMIT", None)
    r = subprocess.run(["/usr/bin/python3", str(pipeline)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    m = re.search(r"FINAL (\d+) (\w+)", r.stdout)
    assert m and m.group(2) == "Succeeded", r.stdout
    wf = server.client().get(f"/api/v1/workflows/{m.group(1)}")
    assert wf["name"].startswith("diamond-py-")


def test_example_pipeline_runs(server):
    r = server.cli("workflow", "submit", str(ROOT / "examples/workflows/pipeline.py"), "--watch",
                   timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    wf_id = re.search(r"workflow (\d+) submitted", r.stdout).group(1)
    logs = server.cli("workflow", "logs", wf_id, check=True).stdout
    assert re.search(r"best learning rate 0\.\d+: w=", logs), logs
