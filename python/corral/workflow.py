"""Workflows in Python: Argo `Workflow` specs built from decorated functions (standard library only).

    from corral.workflow import DAG, Workflow, script

    @script()
    def echo(message: str):
        print(message)

    with Workflow(generate_name="diamond-", entrypoint="diamond") as w:
        with DAG(name="diamond"):
            a = echo(name="A", arguments={"message": "A"})
            b = echo(name="B", arguments={"message": "B"})
            c = echo(name="C", arguments={"message": "C"})
            d = echo(name="D", arguments={"message": "D"})
            a >> [b, c] >> d
    w.create()

A `@script` function's body becomes the template's script source and runs on the host's Python;
its arguments become input parameters, decoded from JSON when they parse as JSON. `Workflow.create()`
submits through the REST API (CORRAL_URL / CORRAL_TOKEN, else the login saved by `corral login`);
with CORRAL_WORKFLOW_EMIT=1 it prints the workflow as JSON on stdout instead, which is how
`corral workflow submit pipeline.py` reads it. See docs/workflows-python.md.
"""

import ast
import inspect
import json
import os
import re
import sys
import textwrap
import time
import urllib.error
import urllib.request

__all__ = [
    "Artifact", "Backoff", "ClusterWorkflowTemplate", "Container", "DAG", "ITEM", "Parameter",
    "RetryStrategy", "Script", "Step", "Steps", "Suspend", "Task", "Workflow", "WorkflowError",
    "WorkflowTemplate", "WorkflowsClient", "resolve_connection", "script", "to_yaml",
]

API_VERSION = "argoproj.io/v1alpha1"
DEFAULT_IMAGE = "python:3"
# The loop variable of with_items / with_param, as Argo writes it.
ITEM = "{{item}}"

_UNSET = object()


class WorkflowError(Exception):
    """A bad workflow definition, or a failed API call (then `status` and `body` are set)."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


# --- context stack -------------------------------------------------------------------------------

_contexts = []


def _innermost(kind):
    for ctx in reversed(_contexts):
        if isinstance(ctx, kind):
            return ctx
    return None


class _Context:
    def __enter__(self):
        _contexts.append(self)
        return self

    def __exit__(self, *exc):
        _contexts.pop()
        return False


# --- values --------------------------------------------------------------------------------------


def _to_str(value):
    """A parameter value as Argo carries it: a string; structures are JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, Parameter):
        return value.value
    return json.dumps(value, separators=(",", ":"))


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _spec(value):
    """Turns SDK objects and snake_case dict keys into the Argo JSON form."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {(_camel(k) if isinstance(k, str) else k): _spec(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_spec(v) for v in value]
    return value


class Parameter:
    """An input or output parameter.

    Inputs: `Parameter("x", default="1")`, `Parameter("x", enum=["a", "b"])`.
    Outputs: `Parameter("x", value_from={"path": "/tmp/x"})` (or `path="/tmp/x"` for short),
    `value_from={"jsonPath": ...}`, `global_name="g"` to export it as a workflow output.
    Arguments: `Parameter("x", value="...")`.
    """

    def __init__(self, name, value=_UNSET, default=_UNSET, enum=None, description=None,
                 value_from=None, path=None, global_name=None):
        if not isinstance(name, str) or not name:
            raise WorkflowError("Parameter: name must be a non-empty string")
        self.name = name
        self.value = None if value is _UNSET else _to_str(value)
        self.default = None if default is _UNSET else _to_str(default)
        self.enum = [_to_str(e) for e in enum] if enum is not None else None
        self.description = description
        self.value_from = dict(value_from) if value_from else None
        if path is not None:
            self.value_from = dict(self.value_from or {}, path=path)
        self.global_name = global_name

    def with_value(self, value):
        return Parameter(self.name, value=value)

    def to_dict(self):
        d = {"name": self.name}
        if self.value is not None:
            d["value"] = self.value
        if self.default is not None:
            d["default"] = self.default
        if self.enum is not None:
            d["enum"] = self.enum
        if self.description:
            d["description"] = self.description
        if self.value_from:
            d["valueFrom"] = _spec(self.value_from)
        if self.global_name:
            d["globalName"] = self.global_name
        return d

    def __str__(self):
        return self.value if self.value is not None else f"{{{{inputs.parameters.{self.name}}}}}"


class Artifact:
    """An input or output artifact: a file or directory at `path`.

    Arguments: `Artifact("in", from_=task.get_artifact("out"))` or `from_="{{...}}"`;
    `raw="text"` gives the content inline; `optional=True` tolerates a missing file.
    Other Argo keys (s3, archive, mode, globalName, ...) go through `**extra`.
    """

    def __init__(self, name, path=None, from_=None, optional=None, raw=None, **extra):
        self.name = name
        self.path = path
        if isinstance(from_, Artifact):
            from_ = from_.from_
        self.from_ = from_
        self.optional = optional
        self.raw = raw
        self.extra = extra

    def with_name(self, name):
        return Artifact(name, path=self.path, from_=self.from_, optional=self.optional,
                        raw=self.raw, **self.extra)

    def to_dict(self):
        d = {"name": self.name}
        if self.path is not None:
            d["path"] = self.path
        if self.from_ is not None:
            d["from"] = self.from_
        if self.optional is not None:
            d["optional"] = self.optional
        if self.raw is not None:
            d["raw"] = {"data": self.raw}
        d.update(_spec(self.extra))
        return d


class Backoff:
    def __init__(self, duration=None, factor=None, max_duration=None):
        self.duration, self.factor, self.max_duration = duration, factor, max_duration

    def to_dict(self):
        d = {}
        if self.duration is not None:
            d["duration"] = _to_str(self.duration)
        if self.factor is not None:
            d["factor"] = self.factor
        if self.max_duration is not None:
            d["maxDuration"] = _to_str(self.max_duration)
        return d


class RetryStrategy:
    """`limit` retries after the first attempt; `retry_policy` Always|OnFailure|OnError|
    OnTransientError; `expression` an Argo expression over lastRetry (exitCode, status, ...)."""

    def __init__(self, limit=None, retry_policy=None, backoff=None, expression=None):
        self.limit, self.retry_policy = limit, retry_policy
        self.backoff, self.expression = backoff, expression

    def to_dict(self):
        d = {}
        if self.limit is not None:
            d["limit"] = self.limit if isinstance(self.limit, str) else int(self.limit)
        if self.retry_policy:
            d["retryPolicy"] = self.retry_policy
        if self.backoff is not None:
            d["backoff"] = _spec(self.backoff)
        if self.expression:
            d["expression"] = self.expression
        return d


def _parameters(items, what):
    out = []
    if items is None:
        return out
    if isinstance(items, dict):
        items = [Parameter(k, value=v) if not isinstance(v, Parameter) else v for k, v in items.items()]
    for p in items:
        if isinstance(p, str):
            p = Parameter(p)
        if not isinstance(p, (Parameter, Artifact)):
            raise WorkflowError(f"{what}: expected Parameter or Artifact, got {type(p).__name__}")
        out.append(p)
    return out


def _io(items):
    params = [p.to_dict() for p in items if isinstance(p, Parameter)]
    arts = [a.to_dict() for a in items if isinstance(a, Artifact)]
    d = {}
    if params:
        d["parameters"] = params
    if arts:
        d["artifacts"] = arts
    return d


# --- templates -----------------------------------------------------------------------------------


class _Template:
    """What every template kind shares; calling one inside a DAG or Steps adds a task/step."""

    kind = None

    def __init__(self, name, inputs=None, outputs=None, retry_strategy=None, timeout=None,
                 active_deadline_seconds=None, parallelism=None, fail_fast=None,
                 memoize=None, synchronization=None, metadata=None, node_selector=None,
                 on_exit=None, extra=None):
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?",
                                                         name):
            raise WorkflowError(f"template name {name!r}: use letters, digits, '-' and '.'")
        self.name = name
        self.inputs = _parameters(inputs, f"template {name}: inputs")
        self.outputs = _parameters(outputs, f"template {name}: outputs")
        self.retry_strategy = retry_strategy
        self.timeout = timeout
        self.active_deadline_seconds = active_deadline_seconds
        self.parallelism = parallelism
        self.fail_fast = fail_fast
        self.memoize = memoize
        self.synchronization = synchronization
        self.metadata = metadata
        self.node_selector = node_selector
        self.on_exit = on_exit
        self.extra = dict(extra or {})
        wf = _innermost(Workflow)
        if wf is not None:
            wf._add_template(self)

    def _body(self):
        raise NotImplementedError

    def to_dict(self):
        d = {"name": self.name}
        inputs, outputs = _io(self.inputs), _io(self.outputs)
        if inputs:
            d["inputs"] = inputs
        if outputs:
            d["outputs"] = outputs
        for key, value in (("retryStrategy", self.retry_strategy), ("timeout", self.timeout),
                           ("activeDeadlineSeconds", self.active_deadline_seconds),
                           ("parallelism", self.parallelism), ("failFast", self.fail_fast),
                           ("memoize", self.memoize), ("synchronization", self.synchronization),
                           ("metadata", self.metadata), ("nodeSelector", self.node_selector)):
            if value is not None:
                d[key] = _spec(value) if key != "timeout" else _to_str(value)
        d.update(self._body())
        d.update(_spec(self.extra))
        return d

    def __call__(self, name=None, arguments=None, **kw):
        return _new_node(self, name, arguments, kw)


class Container(_Template):
    """A container template: `command`/`args` run as a process on a host (the image picks the
    entrypoint when `command` is empty, as configured on the server)."""

    kind = "container"

    def __init__(self, name, image="alpine:3", command=None, args=None, env=None,
                 working_dir=None, resources=None, **kw):
        self.image, self.command, self.args = image, command, args
        self.env, self.working_dir, self.resources = env, working_dir, resources
        super().__init__(name, **_template_kw(kw))

    def _body(self):
        c = {"image": self.image}
        if self.command is not None:
            c["command"] = [_to_str(x) for x in self.command]
        if self.args is not None:
            c["args"] = [_to_str(x) for x in self.args]
        if self.env:
            c["env"] = _env(self.env)
        if self.working_dir:
            c["workingDir"] = self.working_dir
        if self.resources:
            c["resources"] = _spec(self.resources)
        return {"container": c}


class Script(_Template):
    """A script template: `source` written to a file and run with `command` (default python3)."""

    kind = "script"

    def __init__(self, name, source, image=DEFAULT_IMAGE, command=None, env=None,
                 working_dir=None, resources=None, **kw):
        self.source, self.image = source, image
        self.command = command or ["python3"]
        self.env, self.working_dir, self.resources = env, working_dir, resources
        self.func = None
        super().__init__(name, **_template_kw(kw))

    def _body(self):
        s = {"image": self.image, "command": list(self.command), "source": self.source}
        if self.env:
            s["env"] = _env(self.env)
        if self.working_dir:
            s["workingDir"] = self.working_dir
        if self.resources:
            s["resources"] = _spec(self.resources)
        return {"script": s}


class Suspend(_Template):
    """Waits for `corral workflow resume`, or `duration` ("30s", "5m")."""

    kind = "suspend"

    def __init__(self, name, duration=None, **kw):
        self.duration = duration
        super().__init__(name, **_template_kw(kw))

    def _body(self):
        return {"suspend": {"duration": _to_str(self.duration)} if self.duration else {}}


def _template_kw(kw):
    known = {"inputs", "outputs", "retry_strategy", "timeout", "active_deadline_seconds",
             "parallelism", "fail_fast", "memoize", "synchronization", "metadata", "node_selector",
             "on_exit"}
    out = {k: v for k, v in kw.items() if k in known}
    extra = {k: v for k, v in kw.items() if k not in known}
    if extra:
        out["extra"] = extra
    return out


def _env(env):
    if isinstance(env, dict):
        return [{"name": k, "value": _to_str(v)} for k, v in env.items()]
    return _spec(env)


class _Graph(_Template, _Context):
    """DAG and Steps: templates that hold other nodes and are built inside a `with` block."""

    def __enter__(self):
        if _innermost(_Graph) is not None:
            raise WorkflowError(f"{self.kind} {self.name}: define it outside other DAG/Steps "
                                "blocks and call it inside them")
        return _Context.__enter__(self)


class DAG(_Graph):
    """Tasks with dependencies: `a >> b`, `[a, b] >> c`, or `depends="a.Succeeded || b.Failed"`."""

    kind = "dag"

    def __init__(self, name, target=None, **kw):
        self.tasks = []
        self.target = target
        super().__init__(name, **_template_kw(kw))

    def _body(self):
        d = {"tasks": [t.to_dict() for t in self.tasks]}
        if self.target:
            d["target"] = self.target
        return {"dag": d}


class Steps(_Graph):
    """Groups of steps run one after another; the steps of one group run in parallel.
    Each call inside the block adds a group of one; `with s.parallel():` gathers a group."""

    kind = "steps"

    def __init__(self, name, **kw):
        self.groups = []
        self._open_group = None
        super().__init__(name, **_template_kw(kw))

    def parallel(self):
        steps = self

        class _Parallel(_Context):
            def __enter__(self):
                if steps._open_group is not None:
                    raise WorkflowError(f"steps {steps.name}: parallel groups do not nest")
                steps._open_group = []
                steps.groups.append(steps._open_group)
                return _Context.__enter__(self)

            def __exit__(self, *exc):
                steps._open_group = None
                return _Context.__exit__(self, *exc)

        return _Parallel()

    def _add(self, step):
        if self._open_group is not None:
            self._open_group.append(step)
        else:
            self.groups.append([step])

    def _body(self):
        return {"steps": [[s.to_dict() for s in group] for group in self.groups]}


# --- tasks and steps -----------------------------------------------------------------------------


class _Node:
    """One use of a template inside a DAG (Task) or Steps (Step)."""

    scope = None  # "tasks" or "steps", as Argo's {{tasks.X...}} / {{steps.X...}}

    def __init__(self, name, template=None, arguments=None, when=None, with_items=None,
                 with_param=None, with_sequence=None, continue_on=None, on_exit=None,
                 template_ref=None, hooks=None, inline=None):
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9][-a-zA-Z0-9_.]*", name):
            raise WorkflowError(f"task/step name {name!r}: use letters, digits, '-', '_' and '.'")
        if template is None and template_ref is None and inline is None:
            raise WorkflowError(f"{name}: give a template, template_ref or inline")
        self.name = name
        self.template = template
        self.template_ref = template_ref
        self.inline = inline
        if isinstance(arguments, dict) or any(
                not isinstance(a, (Parameter, Artifact)) for a in arguments or []):
            arguments = _arguments(template if isinstance(template, _Template) else None,
                                   arguments, {})
        self.arguments = arguments or []
        if isinstance(template, _Template):
            wf = _innermost(Workflow)
            if wf is not None:
                wf._add_template(template)
        self.when = when
        self.with_items = with_items
        self.with_param = with_param
        self.with_sequence = with_sequence
        self.continue_on = continue_on
        self.on_exit = on_exit
        self.hooks = hooks

    # Output references, valid in later tasks/steps of the same DAG/Steps.
    def _ref(self, what):
        return f"{{{{{self.scope}.{self.name}.{what}}}}}"

    @property
    def result(self):
        return self._ref("outputs.result")

    @property
    def exit_code(self):
        return self._ref("exitCode")

    @property
    def status(self):
        return self._ref("status")

    @property
    def id(self):
        return self._ref("id")

    @property
    def outputs_parameters(self):
        """The aggregated output parameters of a looped node, as a JSON list."""
        return self._ref("outputs.parameters")

    def get_parameter(self, name):
        return self._ref(f"outputs.parameters.{name}")

    def get_artifact(self, name):
        return Artifact(name, from_=self._ref(f"outputs.artifacts.{name}"))

    def to_dict(self):
        d = {"name": self.name}
        if self.template is not None:
            d["template"] = self.template if isinstance(self.template, str) else self.template.name
        if self.template_ref is not None:
            d["templateRef"] = _spec(self.template_ref)
        if self.inline is not None:
            d["inline"] = _spec(self.inline)
        args = _io(self.arguments)
        if args:
            d["arguments"] = args
        if self.when is not None:
            d["when"] = self.when
        if self.with_items is not None:
            d["withItems"] = list(self.with_items)
        if self.with_param is not None:
            d["withParam"] = (self.with_param if isinstance(self.with_param, str)
                              else json.dumps(self.with_param))
        if self.with_sequence is not None:
            d["withSequence"] = {k: _to_str(v) for k, v in _spec(self.with_sequence).items()}
        if self.continue_on is not None:
            d["continueOn"] = _spec(self.continue_on)
        if self.on_exit is not None:
            d["onExit"] = self.on_exit if isinstance(self.on_exit, str) else self.on_exit.name
        if self.hooks is not None:
            d["hooks"] = _spec(self.hooks)
        return d


class Task(_Node):
    scope = "tasks"

    def __init__(self, name, template=None, depends=None, **kw):
        super().__init__(name, template, **kw)
        self.depends = depends
        dag = _innermost(_Graph)
        if isinstance(dag, DAG):
            if any(t.name == name for t in dag.tasks):
                raise WorkflowError(f"dag {dag.name}: two tasks named {name!r}")
            dag.tasks.append(self)

    def _after(self, other, phase=None):
        term = other.name if phase is None else f"{other.name}.{phase}"
        self.depends = term if not self.depends else f"({self.depends}) && {term}" if (
            "||" in self.depends) else f"{self.depends} && {term}"

    def __rshift__(self, other):
        for t in other if isinstance(other, (list, tuple)) else [other]:
            if not isinstance(t, Task):
                raise WorkflowError(f"{self.name} >> {t!r}: only tasks of a DAG take >>")
            t._after(self)
        return other

    def __rrshift__(self, other):
        for t in other if isinstance(other, (list, tuple)) else [other]:
            if not isinstance(t, Task):
                raise WorkflowError(f"{t!r} >> {self.name}: only tasks of a DAG take >>")
            self._after(t)
        return self

    def on_success(self, other):
        other._after(self, "Succeeded")
        return other

    def on_failure(self, other):
        other._after(self, "Failed")
        return other

    def on_error(self, other):
        other._after(self, "Errored")
        return other

    def to_dict(self):
        d = super().to_dict()
        if self.depends:
            d["depends"] = self.depends
        return d


class Step(_Node):
    scope = "steps"

    def __init__(self, name, template=None, **kw):
        super().__init__(name, template, **kw)
        steps = _innermost(_Graph)
        if isinstance(steps, Steps):
            steps._add(self)


def _new_node(template, name, arguments, kw):
    graph = _innermost(_Graph)
    if graph is None:
        raise WorkflowError(f"template {template.name}: call it inside a `with DAG(...)` or "
                            "`with Steps(...)` block")
    wf = _innermost(Workflow)
    if wf is not None:
        wf._add_template(template)
    args = _arguments(template, arguments, kw)
    cls = Task if isinstance(graph, DAG) else Step
    if cls is Step and "depends" in kw:
        raise WorkflowError(f"{name}: depends is for DAG tasks; steps run in group order")
    return cls(name or template.name, template, arguments=args, **kw)


def _arguments(template, arguments, kw):
    """Arguments as given (a dict or a list of Parameter/Artifact), plus any keyword that names an
    input of the template."""
    args = []
    if isinstance(arguments, dict):
        for k, v in arguments.items():
            args.append(v.with_name(k) if isinstance(v, Artifact) else Parameter(k, value=v))
    elif arguments is not None:
        for a in arguments:
            if not isinstance(a, (Parameter, Artifact)):
                where = f"template {template.name}" if template is not None else "arguments"
                raise WorkflowError(f"{where}: arguments must be Parameter or Artifact, got "
                                    f"{type(a).__name__}")
            args.append(a)
    input_names = {p.name for p in template.inputs} if template is not None else set()
    for k in list(kw):
        if k in input_names:
            v = kw.pop(k)
            args.append(v.with_name(k) if isinstance(v, Artifact) else Parameter(k, value=v))
    return args


# --- @script -------------------------------------------------------------------------------------


def _function_source(func):
    """The body of `func` (docstring dropped), dedented, as the text of a script."""
    try:
        text = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as e:
        raise WorkflowError(f"@script {func.__name__}: cannot read its source ({e})") from None
    tree = ast.parse(text)
    fn = tree.body[0]
    body = fn.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    if not body:
        return "pass\n"
    lines = text.splitlines()
    start = body[0].lineno - 1
    if body[0].lineno == fn.lineno:  # def f(): print(1)
        return textwrap.dedent(ast.get_source_segment(text, body[0])) + "\n"
    return textwrap.dedent("\n".join(lines[start:])).rstrip() + "\n"


def _input_loader(names):
    """Preamble binding each input parameter to a Python variable: decoded from JSON when it
    parses (numbers, lists, objects), else the text as is."""
    if not names:
        return ""
    out = ["import json"]
    for n in names:
        out.append(f"try: {n} = json.loads(r'''{{{{inputs.parameters.{n}}}}}''')")
        out.append(f"except Exception: {n} = r'''{{{{inputs.parameters.{n}}}}}'''")
    return "\n".join(out) + "\n"


def script(name=None, image=DEFAULT_IMAGE, command=None, inputs=None, outputs=None, **kw):
    """Makes a Python function a script template. Its parameters become input parameters
    (defaults become the parameters' defaults); its body is the script source, run on the host's
    Python (the image only picks the interpreter). Whatever it prints is `.result`."""

    def wrap(func):
        sig = inspect.signature(func)
        params = []
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise WorkflowError(f"@script {func.__name__}: *args/**kwargs cannot be inputs")
            default = _UNSET if p.default is inspect.Parameter.empty else p.default
            params.append(Parameter(p.name, default=default))
        declared = _parameters(inputs, f"@script {func.__name__}: inputs")
        names = {p.name for p in params}
        all_inputs = params + [p for p in declared if p.name not in names]
        source = _input_loader([p.name for p in params]) + _function_source(func)
        tmpl_name = name or func.__name__.replace("_", "-")
        # Defined at import time, usually outside any Workflow: registered when first used.
        saved = list(_contexts)
        _contexts.clear()
        try:
            s = Script(tmpl_name, source, image=image, command=command, inputs=all_inputs,
                       outputs=outputs, **kw)
        finally:
            _contexts.extend(saved)
        s.func = func
        s.__doc__ = func.__doc__
        s.__wrapped__ = func
        return s

    if callable(name):  # bare @script
        func, name = name, None
        return wrap(func)
    return wrap


# --- workflow ------------------------------------------------------------------------------------


class Workflow(_Context):
    """An Argo `Workflow`. Templates defined or used inside its `with` block are part of it."""

    kind = "Workflow"

    def __init__(self, name=None, generate_name=None, entrypoint=None, arguments=None,
                 on_exit=None, parallelism=None, active_deadline_seconds=None, labels=None,
                 annotations=None, templates=None, workflow_template_ref=None,
                 service_account_name=None, synchronization=None, **spec_extra):
        if not name and not generate_name:
            generate_name = "workflow-"
        self.name = name
        self.generate_name = generate_name
        self.entrypoint = entrypoint
        self.arguments = _parameters(arguments, "workflow arguments")
        self.on_exit = on_exit
        self.parallelism = parallelism
        self.active_deadline_seconds = active_deadline_seconds
        self.labels = labels
        self.annotations = annotations
        self.workflow_template_ref = workflow_template_ref
        self.service_account_name = service_account_name
        self.synchronization = synchronization
        self.spec_extra = spec_extra
        self.templates = []
        for t in templates or []:
            self._add_template(t)

    def _add_template(self, template):
        for t in self.templates:
            if t is template:
                return
            if t.name == template.name:
                raise WorkflowError(f"two different templates named {template.name!r}")
        self.templates.append(template)

    def __enter__(self):
        if _contexts:
            raise WorkflowError("a Workflow cannot be defined inside another context")
        return super().__enter__()

    def to_dict(self):
        meta = {}
        if self.name:
            meta["name"] = self.name
        else:
            meta["generateName"] = self.generate_name
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        spec = {}
        entrypoint = self.entrypoint
        if entrypoint is None and self.templates and self.workflow_template_ref is None:
            entrypoint = self.templates[0].name
        if entrypoint is not None:
            spec["entrypoint"] = entrypoint if isinstance(entrypoint, str) else entrypoint.name
        args = _io(self.arguments)
        if args:
            spec["arguments"] = args
        if self.on_exit is not None:
            spec["onExit"] = self.on_exit if isinstance(self.on_exit, str) else self.on_exit.name
        for key, value in (("parallelism", self.parallelism),
                           ("activeDeadlineSeconds", self.active_deadline_seconds),
                           ("serviceAccountName", self.service_account_name),
                           ("synchronization", self.synchronization),
                           ("workflowTemplateRef", self.workflow_template_ref)):
            if value is not None:
                spec[key] = _spec(value)
        spec.update(_spec(self.spec_extra))
        if self.templates:
            spec["templates"] = [t.to_dict() for t in self.templates]
        self._check(spec)
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": meta, "spec": spec}

    def _check(self, spec):
        names = {t["name"] for t in spec.get("templates", [])}
        if self.kind == "Workflow" and "workflowTemplateRef" not in spec:
            if not spec.get("entrypoint"):
                raise WorkflowError("workflow: no entrypoint and no templates")
            if spec["entrypoint"] not in names:
                raise WorkflowError(f"workflow: entrypoint {spec['entrypoint']!r} is not a "
                                    f"template of it (templates: {sorted(names)})")
        if "onExit" in spec and spec["onExit"] not in names and "workflowTemplateRef" not in spec:
            raise WorkflowError(f"workflow: onExit {spec['onExit']!r} is not a template of it")

    def to_json(self, indent=2):
        return json.dumps(self.to_dict(), indent=indent)

    def to_yaml(self):
        return to_yaml(self.to_dict())

    def create(self, client=None, wait=False, timeout=None):
        """Submits the workflow; returns the server's answer ({"id", "name", "warnings"}), or the
        final workflow with wait=True. With CORRAL_WORKFLOW_EMIT=1 prints the JSON on stdout and
        submits nothing (returns the spec)."""
        doc = self.to_dict()
        if os.environ.get("CORRAL_WORKFLOW_EMIT") == "1":
            sys.stdout.write(json.dumps(doc) + "\n")
            sys.stdout.flush()
            return doc
        client = client or WorkflowsClient()
        created = client.post(self._collection, doc)
        if wait and "id" in created:
            return client.wait(created["id"], timeout=timeout)
        return created

    _collection = "/workflows"


class WorkflowTemplate(Workflow):
    """A `WorkflowTemplate`: templates other workflows reference (templateRef) or run
    (workflowTemplateRef). `create()` registers it; the same name again replaces it."""

    kind = "WorkflowTemplate"
    _collection = "/workflow-templates"

    def __init__(self, name, **kw):
        super().__init__(name=name, **kw)


class ClusterWorkflowTemplate(WorkflowTemplate):
    kind = "ClusterWorkflowTemplate"


# --- YAML ----------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_/][-A-Za-z0-9_./]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    s = str(v)
    if _PLAIN.fullmatch(s) and s.lower() not in _YAML_WORDS:
        return s
    return json.dumps(s)


def _yaml_block(s, indent):
    """A literal block scalar for multi-line text, or None when one cannot hold it exactly."""
    if "\n" not in s or s.startswith((" ", "\n")) or any(
            (c < " " and c not in "\n") or c == "\x7f" for c in s):
        return None
    if any(line != line.rstrip(" ") for line in s.split("\n")):
        return None
    stripped = s.rstrip("\n")
    trailing = len(s) - len(stripped)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    lines = s.split("\n")[:-1] if chomp == "+" else stripped.split("\n")
    pad = " " * indent
    body = "\n".join(pad + line if line else "" for line in lines)
    return f"|{chomp}\n{body}"


def to_yaml(value, indent=0):
    """Block-style YAML for JSON-like data; strings that YAML would read differently are quoted."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for k, v in value.items():
            key = _yaml_scalar(str(k))
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{key}:\n{to_yaml(v, indent + 2)}")
            elif isinstance(v, str) and _yaml_block(v, indent + 2):
                lines.append(f"{pad}{key}: {_yaml_block(v, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {to_yaml(v, indent + 2).strip()}")
        return "\n".join(lines) + ("\n" if indent == 0 else "")
    if isinstance(value, list):
        if not value:
            return "[]"
        lines = []
        for v in value:
            if isinstance(v, (dict, list)) and v:
                inner = to_yaml(v, indent + 2)
                lines.append(f"{pad}- {inner[indent + 2:]}")
            elif isinstance(v, str) and _yaml_block(v, indent + 2):
                lines.append(f"{pad}- {_yaml_block(v, indent + 2)}")
            else:
                lines.append(f"{pad}- {to_yaml(v, indent + 2).strip()}")
        return "\n".join(lines) + ("\n" if indent == 0 else "")
    return _yaml_scalar(value)


# --- REST client ---------------------------------------------------------------------------------


def _config_path():
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return os.path.join(xdg, "corral", "config.json")
    home = os.environ.get("HOME")
    return os.path.join(home, ".config", "corral", "config.json") if home else None


def _normalise_url(url):
    url = url.rstrip("/")
    return url if "://" in url or not url else "http://" + url


def resolve_connection(url=None, token=None):
    """Server and token, with the CLI's precedence: arguments, CORRAL_URL / CORRAL_TOKEN, the
    login saved by `corral login` (its token only for the server it was saved for), then
    http://127.0.0.1:8080."""
    saved = {}
    path = _config_path()
    if path and os.path.exists(path):
        try:
            with open(path) as f:
                saved = json.load(f)
        except (OSError, ValueError) as e:
            raise WorkflowError(f"{path}: cannot read the saved login ({e}); run `corral login`")
        if not isinstance(saved, dict):
            raise WorkflowError(f"{path} is not a JSON object; run `corral login` again")
    saved_url = _normalise_url(saved.get("url") or "")
    url = _normalise_url(url or os.environ.get("CORRAL_URL") or saved_url
                         or "http://127.0.0.1:8080")
    if not token:
        token = os.environ.get("CORRAL_TOKEN")
    if not token and saved.get("token") and (not saved_url or saved_url == url):
        token = saved["token"]
    return url, token or ""


class WorkflowsClient:
    """The workflow routes of the REST API (docs/api.md)."""

    def __init__(self, url=None, token=None, timeout=30):
        self.url, self.token = resolve_connection(url, token)
        self.timeout = timeout

    def request(self, method, path, body=None, raw=False):
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read().decode()
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                err = json.loads(text).get("error", {})
                msg = err.get("message") or text
            except (ValueError, AttributeError):
                msg = text[:200]
            raise WorkflowError(f"{method} {path}: HTTP {e.code}: {msg}", e.code, text) from None
        except urllib.error.URLError as e:
            raise WorkflowError(f"cannot reach {self.url}: {e.reason}") from None
        if raw:
            return payload
        return json.loads(payload) if payload else None

    def post(self, path, body=None):
        return self.request("POST", path, body if body is not None else {})

    def get(self, workflow_id):
        return self.request("GET", f"/workflows/{workflow_id}")

    def list(self, phase=None, limit=None):
        q = "&".join(f"{k}={v}" for k, v in (("phase", phase), ("limit", limit)) if v)
        return self.request("GET", "/workflows" + (f"?{q}" if q else ""))["workflows"]

    def logs(self, workflow_id, node=None):
        q = f"?node={urllib.request.quote(node)}" if node else ""
        return self.request("GET", f"/workflows/{workflow_id}/logs{q}", raw=True)

    def wait(self, workflow_id, timeout=None, poll=0.2):
        """Polls until the workflow has finished; returns it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wf = self.get(workflow_id)
            if wf.get("finished_at") or wf.get("phase") in ("Succeeded", "Failed", "Error"):
                return wf
            if deadline is not None and time.monotonic() > deadline:
                raise WorkflowError(f"workflow {workflow_id} still {wf.get('phase')} after "
                                    f"{timeout}s")
            time.sleep(poll)
