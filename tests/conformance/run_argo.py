#!/usr/bin/env python3
"""Runs Argo's example workflows against a real Corral server and compares the outcome with
expected.json: final phase, pod count (nodes of type Pod), node count, and the concrete output
values the expectation names in backticks. Prints a table and the pass rate.

    tests/conformance/run_argo.py                   # starts build/corral server itself
    tests/conformance/run_argo.py --url URL --token TOKEN
    tests/conformance/run_argo.py --only hello-world.yaml --only dag-diamond.yaml -v

The examples come from $CORRAL_ARGO_CONFORMANCE (default: ../shared/conformance/argo beside the
repository). WorkflowTemplates (workflow-template/templates.yaml,
cluster-workflow-template/clustertemplates.yaml) are registered first; every other file is
submitted, several at once, and followed until it ends or --timeout passes (then terminated and
reported as a timeout). Exit status: 0 when every file listed by --expect-pass passed (or no list
was given), 1 otherwise, 2 when the examples are missing.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILES = ("workflow-template/templates.yaml",
                  "cluster-workflow-template/clustertemplates.yaml")
FINAL = ("Succeeded", "Failed", "Error")


def default_examples_dir():
    return Path(os.environ.get("CORRAL_ARGO_CONFORMANCE", ROOT.parent / "shared/conformance/argo"))


# --- REST ----------------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


class Api:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, content_type="application/json", raw=False):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace")) from None
        return text if raw else (json.loads(text) if text else None)


# --- server --------------------------------------------------------------------------------------


class Server:
    """`corral server` on a free port in a scratch directory, as tests/integration starts it."""

    def __init__(self, binary, data_dir):
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.proc = None
        self.url = None

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Jobs run as an unprivileged account: the data directory must be theirs to write too.
        self.data_dir.chmod(0o777)
        token_file = self.data_dir / "admin-token"
        log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "server", "--data-dir", str(self.data_dir), "--port", "0",
             "--admin-token-file", str(token_file), "--kill-grace", "2",
             "--simulate-gpus", "4", "--simulate-nodes", "1"],
            stdout=subprocess.PIPE, stderr=log, start_new_session=True,
            preexec_fn=lambda: os.umask(0))
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}; see "
                                       f"{self.data_dir / 'server.log'}")
                continue
            if "listening on" in line:
                self.url = line.split("listening on ")[1].split()[0]
                break
        else:
            raise RuntimeError("server did not start within 60 s")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.token = token_file.read_text().strip()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- expectations --------------------------------------------------------------------------------


def allowed_phases(text):
    """The phases an expectation accepts: random and "usually" ones accept either outcome."""
    text = str(text)
    if text.startswith("(template"):
        return None
    found = [p for p in FINAL if p in text]
    if text.startswith(("random", "usually")):
        return {"Succeeded", "Failed"}
    return {found[0]} if found else None


def count_check(value):
    """A predicate for a pod/node count, or None when the expectation gives no number to check.
    Counts written in k ("k+1", "6k") are checked together by `formula_k` instead."""
    if isinstance(value, int):
        return (lambda n: n == value), str(value)
    text = str(value).strip()
    m = re.fullmatch(r"(\d+)", text)
    if m:
        v = int(m.group(1))
        return (lambda n: n == v), text
    m = re.match(r"(\d+)\s*\([^)]*\)\s*or\s*(\d+)", text) or re.match(r"(\d+)\s+or\s+(\d+)", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        return (lambda n: n in (a, b)), f"{a}|{b}"
    m = re.match(r"1 \+ k, k in (\d+)\.\.(\d+)", text)
    if m:
        lo, hi = 1 + int(m.group(1)), 1 + int(m.group(2))
        return (lambda n: lo <= n <= hi), f"{lo}..{hi}"
    m = re.match(r"(\d+)\.\.(\d+)", text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return (lambda n: lo <= n <= hi), f"{lo}..{hi}"
    if text.startswith("unbounded"):
        return (lambda n: n >= 1), ">=1"
    return None


def formula_k(text):
    """A count written in k ("k+1 (k = flips until heads)", "6k", "2k + 1"): a function of k, or
    None."""
    m = re.fullmatch(r"(\d*)\s*k\s*(?:\+\s*(\d+))?", str(text).split("(")[0].strip())
    if not m:
        return None
    a, b = int(m.group(1) or 1), int(m.group(2) or 0)
    return lambda k: a * k + b


def count_problems(expected, pods, nodes):
    """What the counts of a finished workflow break in the expectation. Exact numbers, choices
    and ranges are checked as such; the rest is checked for consistency with what it states:
    counts in k need one k >= 1 that gives both, "Retry node + attempts" is one more node than
    pods, and a "random" count is at least the other count it must contain (every pod is a node)
    and at least one when the workflow ran a pod."""
    problems = []
    exp_pods, exp_nodes = expected.get("pods"), expected.get("nodes")
    for key, got in (("pods", pods), ("nodes", nodes)):
        check = count_check(expected.get(key))
        if check and not check[0](got):
            problems.append(f"{key} {got}, expected {check[1]}")
    fp, fn = formula_k(exp_pods), formula_k(exp_nodes)
    if fp and fn:
        # The pod count fixes k. The node formula of the set (coinflip-recursive's `6k`) holds
        # for k = 1 only: Argo's own tree for k flips has 5k + 1 nodes. So nodes are checked
        # against the formula at k = 1 and for growth with k beyond.
        ks = [k for k in range(1, 1000) if fp(k) == pods]
        if not ks:
            problems.append(f"pods {pods}: no k gives {exp_pods!r}")
        elif ks[0] == 1 and fn(1) != nodes:
            problems.append(f"nodes {nodes}, expected {fn(1)} ({exp_nodes!r} at k = 1)")
        elif ks[0] > 1 and nodes <= fn(1):
            problems.append(f"nodes {nodes} for k = {ks[0]}, expected more than {fn(1)}")
    elif fp or fn:
        f, got, text = (fp, pods, exp_pods) if fp else (fn, nodes, exp_nodes)
        if not any(f(k) == got for k in range(1, 1000)):
            problems.append(f"{got} gives no k in {text!r}")
    if str(exp_nodes).startswith("Retry node + attempts") and nodes != pods + 1:
        problems.append(f"nodes {nodes}, expected a retry node + {pods} attempts = {pods + 1}")
    if nodes < pods:
        problems.append(f"nodes {nodes} < pods {pods}")
    if str(exp_pods).startswith("random") and pods < 1:
        problems.append("pods 0, expected some (random count)")
    return problems


def stated_seconds(expected):
    """(at_least, about): durations the expectation states (">= ~50 s", "~99 s", "~250 s",
    "Failed after ~10 s"), in seconds, or None."""
    text = f"{expected.get('outputs', '')} {expected.get('phase', '')}"
    at_least = re.search(r">=\s*~?\s*(\d+)\s*s\b", text)
    about = re.search(r"~\s*(\d+)\s*s\b", text)
    return (int(at_least.group(1)) if at_least else None,
            int(about.group(1)) if about else None)


def file_timeout(expected, timeout):
    """The bound for one file: --timeout, or longer when the file runs longer by design."""
    at_least, about = stated_seconds(expected)
    longest = max(at_least or 0, about or 0)
    if longest:
        return max(timeout, 1.5 * longest + 15)
    # Not run by Argo's CI because it is long, without saying how long.
    return max(timeout, 3 * timeout) if expected.get("no_test") == "duration" else timeout


# Backticked words that name things (a parameter, a step, a command) rather than an output.
_NAME_BEFORE = ("output ", "parameter ", "param ", "key ", "runs ", "run ", "container ",
                "mutex ")
_NAME_AFTER = (" =", " exits", " step", " Skipped", " output", " runs")
_CODE = re.compile(r"^\$|&&|=~|==|sprig\.|retryStrategy|^(cowsay|uname|sleep|bash|sh)\b")


def _value_pattern(value):
    """A regex for a backticked value; N, YYYY, <name> and [...] are placeholders."""
    out = ""
    for part in re.split(r"(\bN\b|\bYYYY\b|<[a-z_ -]+>|\[\.\.\.\])", value):
        if part == "N":
            out += r"\d+"
        elif part == "YYYY":
            out += r"\d{4}"
        elif part.startswith("<") and part.endswith(">"):
            out += r".+?"
        elif part == "[...]":
            out += r"\[.*?\]"
        else:
            out += re.escape(part)
    return out


def output_checks(text):
    """Groups of alternative regexes from the backticked values of an `outputs` text; each group
    must match somewhere in the workflow's outputs and logs."""
    text = str(text or "")
    tokens = [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"`([^`]+)`", text)]
    groups = []
    previous_end = None
    for start, end, value in tokens:
        before, after = text[max(0, start - 12):start], text[end:end + 10]
        skip = (before.endswith(_NAME_BEFORE) or after.startswith(_NAME_AFTER)
                or _CODE.search(value))
        alternative = previous_end is not None and text[previous_end:start] in ("|", "/")
        previous_end = end
        if skip:
            continue
        if value.startswith("..."):
            value = value[3:]
        pattern = _value_pattern(value)
        if alternative and groups:
            groups[-1].append(pattern)
        else:
            groups.append([pattern])
    return groups


# --- one file ------------------------------------------------------------------------------------


def haystack(api, wf):
    """Everything a workflow produced that an expected value may appear in."""
    parts = [json.dumps(wf.get("outputs") or {})]
    for node in wf.get("nodes") or []:
        out = node.get("outputs") or {}
        if out.get("result") is not None:
            parts.append(str(out["result"]))
        for p in out.get("parameters") or []:
            parts.append(str(p.get("value")))
    try:
        parts.append(api.call("GET", f"/workflows/{wf['id']}/logs", raw=True))
    except ApiError as e:
        parts.append(f"(logs: {e})")
    return "\n".join(parts)


def template_run(rel, expected, all_expected):
    """For a template document: (kind, name, pods, outputs text) of the run its expectation
    describes ("WorkflowTemplate `x`; submitting it runs 1 pod `hello argo`"), or None. "same
    content" borrows the run of the template of the same name described elsewhere."""
    text = str(expected.get("outputs", ""))
    m = re.match(r"(Cluster)?WorkflowTemplate `([^`]+)`", text)
    if not m:
        return None
    kind = "ClusterWorkflowTemplate" if m.group(1) else "WorkflowTemplate"
    name = m.group(2)
    described = text
    if "submitting it runs" not in text and "same content" in text:
        for other, e in all_expected.items():
            o = str(e.get("outputs", ""))
            if other != rel and f"`{name}`" in o and "submitting it runs" in o:
                described = o
                break
    run = re.search(r"submitting it runs (\d+) pods?(.*)", described)
    if not run:
        return None
    return kind, name, int(run.group(1)), run.group(2)


def follow(api, row, workflow_text, timeout):
    """Submits a workflow and waits for it to end (or terminates it after `timeout`)."""
    started = time.monotonic()
    try:
        created = api.call("POST", "/workflows", workflow_text, "application/yaml")
    except ApiError as e:
        row["problems"].append(f"rejected: {e}")
        return None
    row["id"] = created["id"]
    deadline = started + timeout
    wf = None
    while True:
        try:
            wf = api.call("GET", f"/workflows/{created['id']}")
        except ApiError as e:
            row["problems"].append(f"get: {e}")
            return None
        if wf.get("phase") in FINAL:
            break
        if time.monotonic() > deadline:
            row["problems"].append(f"timeout: still {wf.get('phase')} after {timeout:.0f}s")
            try:
                api.call("POST", f"/workflows/{created['id']}/terminate", {})
            except ApiError:
                pass
            break
        time.sleep(0.1)
    row["seconds"] = time.monotonic() - started
    return wf


def check_outputs(api, row, wf, outputs_text):
    groups = output_checks(outputs_text)
    if groups:
        hay = haystack(api, wf)
        for group in groups:
            if not any(re.search(p, hay) for p in group):
                row["problems"].append("output " + " | ".join(group) + " not found")


def run_template_file(api, row, rel, text, expected, all_expected, timeout):
    """A template document passes when it registers and, where its expectation says what
    submitting it does, a Workflow that references it by workflowTemplateRef does that."""
    started = time.monotonic()
    try:
        reply = api.call("POST", "/workflow-templates", text, "application/yaml")
        names = [t.get("name") for t in reply.get("templates", [])]
        row["phase"] = f"{len(names)} registered"
        m = re.match(r"(\d+) ", str(expected.get("outputs", "")))
        if m and len(names) != int(m.group(1)):
            row["problems"].append(f"{len(names)} templates registered, {m.group(1)} expected")
    except ApiError as e:
        row["problems"].append(f"rejected: {e}")
    run = template_run(rel, expected, all_expected)
    if run and not row["problems"]:
        kind, name, want_pods, outputs_text = run
        ref = {"name": name, "clusterScope": kind == "ClusterWorkflowTemplate"}
        doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
               "metadata": {"generateName": f"{name}-"},
               "spec": {"workflowTemplateRef": ref}}
        wf = follow(api, row, json.dumps(doc), timeout)
        if wf is not None:
            nodes = wf.get("nodes") or []
            pods = sum(1 for n in nodes if n.get("type") == "Pod")
            row.update(phase=f"ref: {wf.get('phase')}", pods=pods, nodes=len(nodes))
            if not row["problems"] and wf.get("phase") != "Succeeded":
                row["problems"].append(f"run by reference: phase {wf.get('phase')} "
                                       f"({wf.get('message') or 'no message'}), expected Succeeded")
            if pods != want_pods:
                row["problems"].append(f"run by reference: pods {pods}, expected {want_pods}")
            check_outputs(api, row, wf, outputs_text)
    row["seconds"] = time.monotonic() - started
    row["passed"] = not row["problems"]
    return row


def run_file(api, examples, rel, expected, timeout, all_expected=None):
    row = {"file": rel, "passed": False, "problems": [], "phase": "-", "pods": "-", "nodes": "-",
           "seconds": 0.0, "id": None}
    exp_phases = allowed_phases(expected.get("phase", ""))
    text = (examples / rel).read_text()
    if exp_phases is None:
        return run_template_file(api, row, rel, text, expected, all_expected or {}, timeout)
    wf = follow(api, row, text, file_timeout(expected, timeout))
    if wf is None:
        return row
    nodes = wf.get("nodes") or []
    pods = sum(1 for n in nodes if n.get("type") == "Pod")
    row.update(phase=wf.get("phase"), pods=pods, nodes=len(nodes))
    if not row["problems"] and wf.get("phase") not in exp_phases:
        row["problems"].append(f"phase {wf.get('phase')} ({wf.get('message') or 'no message'}), "
                               f"expected {'/'.join(sorted(exp_phases))}")
    row["problems"] += count_problems(expected, pods, len(nodes))
    at_least, _ = stated_seconds(expected)
    if at_least and not row["problems"] and row["seconds"] < 0.8 * at_least:
        row["problems"].append(f"took {row['seconds']:.0f}s, expected >= ~{at_least}s "
                               "(limits not applied?)")
    check_outputs(api, row, wf, expected.get("outputs"))
    row["passed"] = not row["problems"]
    return row


# --- all files -----------------------------------------------------------------------------------


def example_files(examples, expected, only):
    files = sorted(str(p.relative_to(examples)) for p in examples.rglob("*.yaml"))
    files = [f for f in files if f not in TEMPLATE_FILES]
    if only:
        files = [f for f in files if f in only]
    return files


def run_all(api, examples, files, expected, jobs, timeout, verbose=False):
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for rel in files:
            if rel not in expected:
                rows.append({"file": rel, "passed": False, "problems": ["not in expected.json"],
                             "phase": "-", "pods": "-", "nodes": "-", "seconds": 0.0})
                continue
            futures[pool.submit(run_file, api, examples, rel, expected[rel], timeout,
                                 expected)] = rel
        for fut in concurrent.futures.as_completed(futures):
            try:
                row = fut.result()
            except Exception as e:  # a crash in one file is that file's failure
                row = {"file": futures[fut], "passed": False, "problems": [f"runner: {e!r}"],
                       "phase": "-", "pods": "-", "nodes": "-", "seconds": 0.0}
            if verbose:
                print(f"{'PASS' if row['passed'] else 'FAIL'} {row['file']}", file=sys.stderr)
            rows.append(row)
    return sorted(rows, key=lambda r: r["file"])


def print_table(rows, out=sys.stdout):
    width = max([len(r["file"]) for r in rows] + [4])
    out.write(f"{'FILE':<{width}}  RESULT  PHASE        PODS  NODES  SECS  PROBLEMS\n")
    for r in rows:
        out.write(f"{r['file']:<{width}}  {'pass' if r['passed'] else 'FAIL':<6}  "
                  f"{str(r['phase']):<11}  {str(r['pods']):>4}  {str(r['nodes']):>5}  "
                  f"{r['seconds']:>4.0f}  {'; '.join(r['problems'])}\n")
    passed = sum(r["passed"] for r in rows)
    out.write(f"\npassed {passed}/{len(rows)} = {100.0 * passed / max(1, len(rows)):.1f}%\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=Path, default=default_examples_dir(),
                    help="the Argo examples with expected.json ($CORRAL_ARGO_CONFORMANCE)")
    ap.add_argument("--corral", type=Path,
                    default=Path(os.environ.get("CORRAL_BIN",
                                                Path(os.environ.get("CORRAL_BUILD_DIR",
                                                                    ROOT / "build")) / "corral")))
    ap.add_argument("--url", help="use this server instead of starting one")
    ap.add_argument("--token", default=os.environ.get("CORRAL_TOKEN", ""))
    ap.add_argument("--jobs", type=int, default=64, help="workflows in flight at once")
    ap.add_argument("--timeout", type=float, default=45.0, help="seconds per workflow")
    ap.add_argument("--only", action="append", default=[], help="run only this file (repeatable)")
    ap.add_argument("--json", type=Path, help="write the per-file results here")
    ap.add_argument("--expect-pass", type=Path,
                    help="a list of files that must pass (one per line, # comments)")
    ap.add_argument("--write-pass", type=Path, help="write the files that passed to this list")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    examples = args.examples
    if not (examples / "expected.json").is_file():
        print(f"run_argo: no Argo examples at {examples} (set CORRAL_ARGO_CONFORMANCE)",
              file=sys.stderr)
        return 2
    expected = json.loads((examples / "expected.json").read_text())
    files = example_files(examples, expected, set(args.only))

    server = None
    scratch = None
    began = time.monotonic()
    try:
        if args.url:
            api = Api(args.url, args.token)
        else:
            scratch = tempfile.mkdtemp(prefix="corral-conformance-")
            os.chmod(scratch, 0o777)
            server = Server(args.corral, Path(scratch) / "data").start()
            api = Api(server.url, server.token)
        problems = []
        for rel in TEMPLATE_FILES:
            try:
                api.call("POST", "/workflow-templates", (examples / rel).read_text(),
                         "application/yaml")
            except ApiError as e:
                problems.append(f"{rel}: {e}")
        for p in problems:
            print(f"run_argo: templates not loaded: {p}", file=sys.stderr)
        rows = run_all(api, examples, files, expected, args.jobs, args.timeout, args.verbose)
    finally:
        if server:
            server.stop()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    print_table(rows)
    print(f"took {time.monotonic() - began:.1f}s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str) + "\n")
    if args.write_pass:
        # Files that needed most of the time bound stay out of the required list (as comments):
        # on a slower machine they would time out without anything being broken.
        slow = 0.66 * args.timeout
        args.write_pass.write_text(
            "# Argo examples (relative to $CORRAL_ARGO_CONFORMANCE) that pass; tests/integration/\n"
            "# test_conformance.py fails if one of them stops passing. Extend it as more pass\n"
            "# (`make conformance WRITE_PASS=1` rewrites it from a run).\n"
            + "".join(r["file"] + "\n" for r in rows if r["passed"] and r["seconds"] <= slow)
            + "# These pass too but need most of the time bound per workflow; they are left out\n"
            "# so that a slower machine does not fail the test:\n"
            + "".join("# " + r["file"] + "\n" for r in rows
                      if r["passed"] and r["seconds"] > slow))
    if args.expect_pass:
        must = [line.strip() for line in args.expect_pass.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
        by_file = {r["file"]: r for r in rows}
        broken = [f for f in must if f in by_file and not by_file[f]["passed"]]
        if broken:
            print("expected to pass but did not: " + ", ".join(broken))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
