"""Report metrics from inside a trial of a Corral experiment (standard library only).

    from corral.report import report
    for epoch in range(10):
        ...
        report(loss=val_loss, accuracy=acc, step=epoch)

When CORRAL_URL and CORRAL_TOKEN are set (CORRAL_URL is set in every trial; the token only when
the trial's environment provides one), each value is pushed to
POST /api/v1/experiments/<CORRAL_EXPERIMENT>/trials/<CORRAL_TRIAL>/metrics. Values that could not
be pushed are printed as `name=value` pairs on one stdout line (with `step=<n>` first when given),
which the server reads from the trial's output: without a token, that is all a trial needs.
When the experiment collects a metrics file (CORRAL_METRICS_FILE is set), those values are
appended to that file instead, in its format (CORRAL_METRICS_FORMAT: `text` or `json`).
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
    if not unsent:
        return
    path = os.environ.get("CORRAL_METRICS_FILE")
    if path and os.environ.get("CORRAL_METRICS_FORMAT") == "json":
        record = {"step": step} if step is not None else {}
        record.update(unsent)
        line = json.dumps(record)
    else:
        parts = [f"step={step}"] if step is not None else []
        parts += [f"{k}={v!r}" for k, v in unsent.items()]
        line = " ".join(parts)
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    else:
        # Values the server did not take directly travel through stdout.
        print(line, flush=True)
