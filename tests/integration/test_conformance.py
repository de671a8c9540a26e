"""Argo conformance: every example in $CORRAL_ARGO_CONFORMANCE (default ../shared/conformance/argo)
runs on a real server (tests/conformance/run_argo.py); each file listed in
tests/conformance/expected_pass.txt must still pass. Extend the list as more examples pass:
`make conformance WRITE_PASS=1` rewrites it from a run."""

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

import run_argo  # noqa: E402
from conftest import CORRAL  # noqa: E402

PASS_LIST = ROOT / "tests" / "conformance" / "expected_pass.txt"


def listed():
    return [line.strip() for line in PASS_LIST.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_argo_examples_that_passed_still_pass(tmp_path, capsys):
    examples = run_argo.default_examples_dir()
    if not (examples / "expected.json").is_file():
        pytest.skip(f"no Argo examples at {examples}: set CORRAL_ARGO_CONFORMANCE to a checkout "
                    "of the conformance set to run this test")
    expected = json.loads((examples / "expected.json").read_text())
    must = listed()
    unknown = [f for f in must if f not in expected]
    assert not unknown, f"{PASS_LIST.name} names files not in expected.json: {unknown}"
    out = tmp_path / "results.json"
    # Only the listed files run here: the others (some slow by design, as colored-logs or the
    # mutex example) are left to `make conformance`.
    only = [arg for f in must for arg in ("--only", f)]
    rc = run_argo.main(["--examples", str(examples), "--corral", str(CORRAL),
                        "--timeout", os.environ.get("CORRAL_CONFORMANCE_TIMEOUT", "45"),
                        "--json", str(out), "--expect-pass", str(PASS_LIST)] + only)
    table = capsys.readouterr().out
    rows = {r["file"]: r for r in json.loads(out.read_text())}
    broken = {f: rows[f]["problems"] for f in must if not rows[f]["passed"]}
    assert not broken, f"examples that passed before now fail: {broken}\n{table}"
    assert rc == 0, table
    # The rate only moves up: at least as many pass as the list holds.
    assert sum(r["passed"] for r in rows.values()) >= len(must), table
