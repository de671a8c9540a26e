"""Report metrics from inside a trial of a Corral experiment (standard library only).

    from corral.report import report
    for epoch in range(10):
        ...
        report(loss=val_loss, accuracy=acc, step=epoch)

Where the values go, first that applies:
- CORRAL_METRICS_FILE is set (the experiment collects a metrics file): appended to it, in its
  format (CORRAL_METRICS_FORMAT `text`: `name=value` pairs, `json`: one object per line);
- CORRAL_URL and CORRAL_TOKEN are set (every trial gets both; the token may only report this
  trial's metrics): pushed to POST /api/v1/experiments/<CORRAL_EXPERIMENT>/trials/<CORRAL_TRIAL>/
  metrics;
- else, and for values that could not be pushed: printed as `name=value` pairs on one stdout line
  (with `step=<n>` first when given), which the server reads from the trial's output.
"""

import json
import math
import os
import sys
import urllib.error
import urllib.request

__all__ = ["report"]


def _push(url, token, experiment, trial, name, value, step):
    body = {"name": name, "value": value}
    if step is not None:
        body["step"] = step
    req = urllib.request.Request(
        f"{url.rstrip('/')}/api/v1/experiments/{experiment}/trials/{trial}/metrics",
        data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def report(step=None, **metrics):
    """Records named scalar values of this trial, optionally at a step (epoch, iteration)."""
    if step is not None and (not isinstance(step, int) or step < 0):
        raise ValueError("step must be a non-negative integer")
    values = {}
    for name, value in metrics.items():
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        values[name] = v
    path = os.environ.get("CORRAL_METRICS_FILE")
    if path:
        _append(path, os.environ.get("CORRAL_METRICS_FORMAT", "text"), step, values)
        return
    url = os.environ.get("CORRAL_URL")
    token = os.environ.get("CORRAL_TOKEN")
    experiment = os.environ.get("CORRAL_EXPERIMENT")
    trial = os.environ.get("CORRAL_TRIAL")
    unsent = dict(values)
    if url and token and experiment and trial:
        for name, value in values.items():
            try:
                _push(url, token, experiment, trial, name, value, step)
                del unsent[name]
            except (urllib.error.URLError, OSError) as e:
                print(f"corral.report: could not push {name}: {e}", file=sys.stderr, flush=True)
    if unsent:
        print(_text_line(step, unsent), flush=True)


def _text_line(step, values):
    parts = [f"step={step}"] if step is not None else []
    parts += [f"{k}={v!r}" for k, v in values.items()]
    return " ".join(parts)


def _append(path, fmt, step, values):
    if fmt == "json":
        record = {"step": step} if step is not None else {}
        record.update(values)
        line = json.dumps(record)
    else:
        line = _text_line(step, values)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
