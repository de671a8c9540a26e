"""The Python workflow SDK (python/corral/workflow.py): the Argo specs it generates, checked
field by field, and its scripts run by the real interpreter. No server needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

from corral import workflow as wf  # noqa: E402
from corral.workflow import (DAG, Artifact, Backoff, Container, Parameter,  # noqa: E402
                             RetryStrategy, Steps, Workflow, WorkflowError, WorkflowTemplate,
                             script)


@script()
def echo(message: str):
    print(message)


@script(image="python:3.12", outputs=[Parameter("double", path="/tmp/double")])
def double(n: int = 2):
    """Doubles n."""
    with open("/tmp/double", "w") as f:
        f.write(str(n * 2))
    print(n * 2)


def templates_by_name(doc):
    return {t["name"]: t for t in doc["spec"]["templates"]}


def test_dag_diamond_with_rshift_and_lists():
    with Workflow(generate_name="diamond-", entrypoint="diamond") as w:
        with DAG(name="diamond"):
            a = echo(name="A", arguments={"message": "A"})
            b = echo(name="B", arguments={"message": "B"})
            c = echo(name="C", message="C")
            d = echo(name="D", arguments={"message": "D"})
            a >> [b, c] >> d
    doc = w.to_dict()
    assert doc["apiVersion"] == "argoproj.io/v1alpha1"
    assert doc["kind"] == "Workflow"
    assert doc["metadata"] == {"generateName": "diamond-"}
    assert doc["spec"]["entrypoint"] == "diamond"
    tasks = templates_by_name(doc)["diamond"]["dag"]["tasks"]
    assert [t["name"] for t in tasks] == ["A", "B", "C", "D"]
    assert "depends" not in tasks[0]
    assert tasks[1]["depends"] == "A" and tasks[2]["depends"] == "A"
    assert tasks[3]["depends"] == "B && C"
    assert tasks[2]["arguments"] == {"parameters": [{"name": "message", "value": "C"}]}
    assert all(t["template"] == "echo" for t in tasks)
    # The script template is included once, however many tasks use it.
    assert [t["name"] for t in doc["spec"]["templates"]] == ["diamond", "echo"]


def test_script_source_is_the_function_body_with_inputs_bound():
    t = templates_by_name_of(double)
    assert t["inputs"] == {"parameters": [{"name": "n", "default": "2"}]}
    assert t["outputs"] == {"parameters": [{"name": "double", "valueFrom": {"path": "/tmp/double"}}]}
    assert t["script"]["image"] == "python:3.12"
    assert t["script"]["command"] == ["python3"]
    src = t["script"]["source"]
    assert "def double" not in src and "@script" not in src and "Doubles n" not in src
    assert "json.loads(r'''{{inputs.parameters.n}}''')" in src
    assert src.rstrip().endswith("print(n * 2)")


def templates_by_name_of(tmpl):
    return tmpl.to_dict()


@pytest.mark.parametrize("value,expected", [("21", "42\n"), ("[1]", "[1, 1]\n"), ("ab", "abab\n")])
def test_script_source_runs_on_the_host_python(tmp_path, value, expected):
    """The generated source, with Argo's substitution of the input, is a working program; inputs
    are decoded from JSON when they parse."""
    src = double.to_dict()["script"]["source"].replace("{{inputs.parameters.n}}", value)
    src = src.replace("/tmp/double", str(tmp_path / "double"))
    r = subprocess.run(["/usr/bin/python3", "-c", src], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == expected
    assert (tmp_path / "double").read_text() == expected.strip()


def test_steps_sequential_and_parallel_groups_with_results():
    with Workflow(name="steps-demo", entrypoint="main",
                  arguments={"greeting": "hi", "count": 3}) as w:
        with Steps(name="main") as s:
            first = double(name="first", arguments={"n": 1})
            with s.parallel():
                echo(name="left", arguments={"message": first.result})
                echo(name="right", arguments={"message": first.get_parameter("double")},
                     when=f"{first.result} > 1")
            echo(name="last", arguments={"message": "{{workflow.parameters.greeting}}"})
    doc = w.to_dict()
    assert doc["metadata"] == {"name": "steps-demo"}
    assert doc["spec"]["arguments"] == {"parameters": [{"name": "greeting", "value": "hi"},
                                                       {"name": "count", "value": "3"}]}
    groups = templates_by_name(doc)["main"]["steps"]
    assert [[s["name"] for s in g] for g in groups] == [["first"], ["left", "right"], ["last"]]
    left, right = groups[1]
    assert left["arguments"]["parameters"][0]["value"] == "{{steps.first.outputs.result}}"
    assert right["arguments"]["parameters"][0]["value"] == \
        "{{steps.first.outputs.parameters.double}}"
    assert right["when"] == "{{steps.first.outputs.result}} > 1"


def test_loops_retry_exit_handler_and_artifacts():
    exit_handler = Container(name="cleanup", image="alpine:3", command=["sh", "-c"],
                             args=["echo {{workflow.status}}"])
    produce = Container(name="produce", image="alpine:3", command=["sh", "-c"],
                        args=["echo data > /tmp/out.txt"],
                        outputs=[Artifact("out", path="/tmp/out.txt")],
                        retry_strategy=RetryStrategy(limit=3, retry_policy="Always",
                                                     backoff=Backoff("1s", 2, "1m")))
    consume = Container(name="consume", image="alpine:3", command=["cat", "/tmp/in.txt"],
                        inputs=[Artifact("in", path="/tmp/in.txt"), Parameter("x")])
    with Workflow(generate_name="loops-", entrypoint="main", on_exit=exit_handler,
                  parallelism=2, active_deadline_seconds=300) as w:
        w._add_template(exit_handler)
        with DAG(name="main"):
            p = produce(with_items=["a", {"k": 1}])
            c = consume(arguments={"in": p.get_artifact("out"), "x": "{{item}}"},
                        with_param=p.result, continue_on={"failed": True})
            p >> c
            echo(name="seq", arguments={"message": wf.ITEM},
                 with_sequence={"start": 1, "end": 3})
    doc = w.to_dict()
    spec = doc["spec"]
    assert spec["onExit"] == "cleanup"
    assert spec["parallelism"] == 2 and spec["activeDeadlineSeconds"] == 300
    t = templates_by_name(doc)
    assert t["produce"]["retryStrategy"] == {
        "limit": 3, "retryPolicy": "Always",
        "backoff": {"duration": "1s", "factor": 2, "maxDuration": "1m"}}
    assert t["produce"]["outputs"] == {"artifacts": [{"name": "out", "path": "/tmp/out.txt"}]}
    assert t["consume"]["inputs"] == {"parameters": [{"name": "x"}],
                                      "artifacts": [{"name": "in", "path": "/tmp/in.txt"}]}
    tasks = {x["name"]: x for x in t["main"]["dag"]["tasks"]}
    assert tasks["produce"]["withItems"] == ["a", {"k": 1}]
    assert tasks["consume"]["withParam"] == "{{tasks.produce.outputs.result}}"
    assert tasks["consume"]["continueOn"] == {"failed": True}
    assert tasks["consume"]["arguments"]["artifacts"] == [
        {"name": "in", "from": "{{tasks.produce.outputs.artifacts.out}}"}]
    assert tasks["consume"]["depends"] == "produce"
    assert tasks["seq"]["withSequence"] == {"start": "1", "end": "3"}


def test_on_failure_and_explicit_depends():
    with Workflow(generate_name="x-", entrypoint="main") as w:
        with DAG(name="main"):
            a = echo(name="a", arguments={"message": "1"})
            b = echo(name="b", arguments={"message": "2"}, depends="a.Succeeded || a.Failed")
            c = echo(name="c", arguments={"message": "3"})
            a.on_failure(c)
            a >> b
    tasks = {x["name"]: x for x in templates_by_name(w.to_dict())["main"]["dag"]["tasks"]}
    assert tasks["c"]["depends"] == "a.Failed"
    assert tasks["b"]["depends"] == "(a.Succeeded || a.Failed) && a"


def test_nested_templates_and_workflow_template():
    with WorkflowTemplate(name="shared-steps", entrypoint="outer") as wt:
        with DAG(name="inner", inputs=[Parameter("msg")]) as inner:
            echo(name="say", arguments={"message": "{{inputs.parameters.msg}}"})
        with DAG(name="outer"):
            inner(name="one", arguments={"msg": "x"})
    doc = wt.to_dict()
    assert doc["kind"] == "WorkflowTemplate" and doc["metadata"] == {"name": "shared-steps"}
    outer = templates_by_name(doc)["outer"]["dag"]["tasks"][0]
    assert outer == {"name": "one", "template": "inner",
                     "arguments": {"parameters": [{"name": "msg", "value": "x"}]}}
    with Workflow(generate_name="ref-", workflow_template_ref={"name": "shared-steps"}) as w:
        pass
    assert w.to_dict()["spec"] == {"workflowTemplateRef": {"name": "shared-steps"}}


def test_bad_definitions_are_errors_that_name_the_problem():
    with pytest.raises(WorkflowError, match="inside a `with DAG"):
        echo(name="outside")
    with pytest.raises(WorkflowError, match="entrypoint 'missing'"):
        with Workflow(generate_name="x-", entrypoint="missing") as w:
            with DAG(name="main"):
                echo(name="a", arguments={"message": "1"})
        w.to_dict()
    with pytest.raises(WorkflowError, match="two tasks named 'a'"):
        with Workflow(generate_name="x-") as w:
            with DAG(name="main"):
                echo(name="a", arguments={"message": "1"})
                echo(name="a", arguments={"message": "2"})
    with pytest.raises(WorkflowError, match="template name"):
        Container(name="Bad Name!")
    with pytest.raises(WorkflowError, match="depends is for DAG tasks"):
        with Workflow(generate_name="x-") as w:
            with Steps(name="main"):
                echo(name="a", arguments={"message": "1"}, depends="b")
    assert not wf._contexts, "a failed block leaves no context behind"


def test_yaml_round_trips_through_a_yaml_parser():
    import yaml  # python3-yaml: scripts/install-deps.sh test
    with Workflow(generate_name="yaml-", entrypoint="main",
                  arguments={"on": "yes", "n": "007", "multi": "a\n  b\n\n"}) as w:
        with DAG(name="main"):
            double(name="d", arguments={"n": 3})
    doc = w.to_dict()
    assert yaml.safe_load(w.to_yaml()) == doc
    assert "source: |" in w.to_yaml()


def test_emit_mode_prints_json_and_submits_nothing(tmp_path):
    """CORRAL_WORKFLOW_EMIT=1 is how `corral workflow submit pipeline.py` reads a pipeline: the
    example must print its workflow and contact no server (CORRAL_URL points nowhere)."""
    env = dict(os.environ, CORRAL_WORKFLOW_EMIT="1", PYTHONPATH=str(ROOT / "python"),
               CORRAL_URL="http://127.0.0.1:9", XDG_CONFIG_HOME=str(tmp_path))
    r = subprocess.run(["/usr/bin/python3", str(ROOT / "examples/workflows/pipeline.py")],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(docs) == 1 and docs[0]["kind"] == "Workflow"
    names = [t["name"] for t in docs[0]["spec"]["templates"]]
    assert names == ["main", "prepare", "train", "pick-best"]


def test_connection_follows_the_clis_precedence(tmp_path, monkeypatch):
    cfg = tmp_path / "corral" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps({"url": "saved-host:8080/", "token": "saved-token"}))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("CORRAL_URL", raising=False)
    monkeypatch.delenv("CORRAL_TOKEN", raising=False)
    assert wf.resolve_connection() == ("http://saved-host:8080", "saved-token")
    monkeypatch.setenv("CORRAL_URL", "http://other:1")
    # The saved token is never sent to a different server.
    assert wf.resolve_connection() == ("http://other:1", "")
    monkeypatch.setenv("CORRAL_TOKEN", "env-token")
    assert wf.resolve_connection() == ("http://other:1", "env-token")
    cfg.write_text("[1]")
    with pytest.raises(WorkflowError, match="not a JSON object"):
        wf.resolve_connection()


def test_create_reports_an_unreachable_server(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("CORRAL_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("CORRAL_WORKFLOW_EMIT", raising=False)
    with Workflow(generate_name="x-") as w:
        with DAG(name="main"):
            echo(name="a", arguments={"message": "1"})
    with pytest.raises(WorkflowError, match="cannot reach http://127.0.0.1:9"):
        w.create()


def test_explicit_task_objects_take_dict_arguments_and_register_their_template():
    say = Container(name="say", image="alpine:3", command=["echo"], args=["{{inputs.parameters.m}}"],
                    inputs=[Parameter("m")])
    with Workflow(generate_name="x-", entrypoint="main") as w:
        with DAG(name="main"):
            wf.Task(name="one", template=say, arguments={"m": 1})
            wf.Task(name="two", template=say, arguments=[Parameter("m", value="2")], depends="one")
    doc = w.to_dict()
    assert [t["name"] for t in doc["spec"]["templates"]] == ["main", "say"]
    tasks = templates_by_name(doc)["main"]["dag"]["tasks"]
    assert tasks[0]["arguments"] == {"parameters": [{"name": "m", "value": "1"}]}
    assert tasks[1]["depends"] == "one"
