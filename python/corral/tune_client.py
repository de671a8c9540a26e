"""Client for `corral tune-protocol`: Corral's search library (samplers, pruners) over JSON lines.

Standard library only. One TuneProcess holds one `corral tune-protocol` child process, which can
hold several studies (by id). Every call returns the decoded reply; a reply with ok=false raises
TuneError carrying the error code, message and field.
"""

import json
import os
import subprocess


class TuneError(Exception):
    def __init__(self, error):
        self.code = error.get("code")
        self.field = error.get("field")
        self.message = error.get("message")
        super().__init__(f"{self.code}: {self.field + ': ' if self.field else ''}{self.message}")


class TuneProcess:
    def __init__(self, corral_binary, env=None):
        self._proc = subprocess.Popen(
            [corral_binary, "tune-protocol"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )

    @property
    def pid(self):
        return self._proc.pid

    def call(self, request):
        """Sends one request and returns the reply; raises TuneError when ok is false."""
        self._proc.stdin.write(json.dumps(request, allow_nan=False) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise TuneError({"code": "unavailable", "message": "tune-protocol process exited"})
        reply = json.loads(line)
        if not reply.get("ok"):
            raise TuneError(reply.get("error", {}))
        return reply

    def create(self, space, sampler=None, pruner=None, direction="minimize", seed=0, study_id=""):
        study = {"space": space, "direction": direction, "seed": seed}
        if sampler is not None:
            study["sampler"] = sampler
        if pruner is not None:
            study["pruner"] = pruner
        return self.call({"op": "create", "id": study_id, "study": study})

    def ask(self, n=1, study_id=""):
        return self.call({"op": "ask", "id": study_id, "n": n})

    def tell(self, trial, value=None, state="complete", study_id=""):
        req = {"op": "tell", "id": study_id, "trial": trial, "state": state}
        if state == "complete":
            # NaN/inf travel as null and fail the trial on the other side.
            ok = value is not None and value == value and abs(value) != float("inf")
            req["value"] = value if ok else None
        return self.call(req)

    def report(self, trial, step, value, study_id=""):
        ok = value == value and abs(value) != float("inf")
        return self.call({"op": "report", "id": study_id, "trial": trial, "step": step,
                          "value": value if ok else None})

    def enqueue(self, params, study_id=""):
        return self.call({"op": "enqueue", "id": study_id, "params": params})

    def best(self, study_id=""):
        return self.call({"op": "best", "id": study_id})

    def dump(self, study_id=""):
        return self.call({"op": "dump", "id": study_id})["state"]

    def load(self, state, study_id=""):
        return self.call({"op": "load", "id": study_id, "state": state})

    def peak_rss_kib(self):
        """Peak resident set size of the child process (Linux), or None."""
        try:
            with open(f"/proc/{self._proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def close(self):
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def default_binary():
    """The corral binary named by $CORRAL_BIN, else `corral` on PATH."""
    return os.environ.get("CORRAL_BIN", "corral")
