"""`corral simulate` end to end: a synthetic trace with empty tenant cells, zero-length jobs and
gangs up to 64 GPUs, replayed under every policy (preemption included); each policy's run
segments are checked by scripts/check_schedule.py, which must also catch a broken schedule."""

import csv
import subprocess
import sys

from conftest import CORRAL, ROOT

GEN = ROOT / "bench" / "sim" / "gen_trace.py"
CHECK = ROOT / "scripts" / "check_schedule.py"
POLICIES = ["corral", "corral-limit", "fifo", "greedy", "easy", "easy-limit", "corral+preempt"]


def simulate(tmp_path):
    trace = tmp_path / "trace.csv"
    subprocess.run([sys.executable, str(GEN), "--seed", "7", "--days", "0.5",
                    "--jobs-per-hour", "40", "--empty-user-fraction", "0.1",
                    "--zero-fraction", "0.05", "--out", str(trace)], check=True)
    out = tmp_path / "out"
    r = subprocess.run([str(CORRAL), "simulate", "--trace", str(trace), "--nodes", "10",
                        "--preemption", "--shorter-job-ratio", "2", "--out-dir", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return trace, out, r.stdout


def check(out, policy, *extra):
    stem = policy.replace("+", "_")
    return subprocess.run([sys.executable, str(CHECK), str(out / f"{stem}_segments.csv"),
                           "--jobs", str(out / f"{stem}.csv"), "--nodes", "10",
                           "--gpus-per-node", "8", *extra], capture_output=True, text=True)


def test_empty_tenants_and_segments_check_out(tmp_path):
    trace, out, stdout = simulate(tmp_path)
    with open(trace) as f:
        rows = list(csv.DictReader(f))
    empty = sum(1 for r in rows if not r["vc"])
    assert empty > 0 and any(float(r["duration_s"]) == 0 for r in rows)
    assert f"note: {empty} jobs name no tenant" in stdout
    for policy in POLICIES:
        r = check(out, policy)
        assert r.returncode == 0, policy + ": " + r.stdout
        assert r.stdout.strip().endswith("OK"), r.stdout
    with open(out / "corral.csv") as f:
        jobs = list(csv.DictReader(f))
    assert sum(1 for j in jobs if j["tenant"] == "(no tenant)") == empty
    # Zero-length jobs take no time: they end when they start.
    zero = [j for j in jobs if float(j["duration_s"]) == 0]
    assert zero and all(float(j["end_s"]) == float(j["start_s"]) for j in zero)
    # The preemptive run did preempt, and its segments say so.
    with open(out / "corral_preempt_segments.csv") as f:
        assert any(s["ended"] == "preempted" for s in csv.DictReader(f))


def test_checker_catches_a_gpu_used_twice_and_lost_work(tmp_path):
    _, out, _ = simulate(tmp_path)
    path = out / "corral_segments.csv"
    with open(path) as f:
        segs = list(csv.DictReader(f))
    fields = list(segs[0].keys())
    # A second job on the first segment's GPUs at the same time.
    a = next(s for s in segs if float(s["end_s"]) > float(s["start_s"]) and s["kind"] == "trace")
    b = next(s for s in segs if s["job"] != a["job"] and s["kind"] == "trace")
    bad = dict(b, start_s=a["start_s"], end_s=a["end_s"], devices=a["devices"], gpus=a["gpus"])
    broken = [bad if s is b else s for s in segs]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(broken)
    r = check(out, "corral")
    assert r.returncode == 1 and "GPU" in r.stdout and "holds it until" in r.stdout
    # A job that ran 10 s less than its duration.
    short = dict(a, end_s=f"{float(a['end_s']) - 10:.3f}")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows([short if s is a else s for s in segs])
    r = check(out, "corral")
    assert r.returncode == 1 and "useful run time" in r.stdout


def test_odd_rows_replay_under_every_policy(tmp_path):
    # Gangs that are not multiples of a node (3, 12 GPUs), jobs of 0 GPUs, one larger than the
    # cluster, sub-second and 0 s durations, repeated job ids, empty tenant cells (the last one
    # of a row included), with filler and interactive work besides.
    trace = tmp_path / "odd.csv"
    rows = ["job_id,submit_s,duration_s,gpus,user,vc"]
    shapes = [0, 1, 3, 8, 12, 16, 100]
    durations = [0, 0.4, 30, 600, 7200]
    for i in range(150):
        tenant = ["", "a", "b"][i % 3]
        rows.append(f"{i % 40},{i * 97.5:.1f},{durations[i % 5]},{shapes[i % 7]},{tenant},"
                    f"{tenant if i % 4 else ''}")
    trace.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    r = subprocess.run([str(CORRAL), "simulate", "--trace", str(trace), "--nodes", "10",
                        "--preemption", "--filler", "8", "--interactive-every-s", "1800",
                        "--out-dir", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "jobs name no tenant" in r.stdout
    stems = sorted(p.name[: -len("_segments.csv")] for p in out.glob("*_segments.csv"))
    assert len(stems) == 9
    for stem in stems:
        c = check(out, stem)
        assert c.returncode == 0, stem + ": " + c.stdout
    with open(out / "corral.csv") as f:
        jobs = list(csv.DictReader(f))
    # The 100-GPU jobs never start; everything else finishes.
    trace_jobs = [j for j in jobs if j["kind"] == "trace"]
    assert all((float(j["end_s"]) < 0) == (j["gpus"] == "100") for j in trace_jobs)


def test_checkpointable_jobs_borrow_held_gpus(tmp_path):
    trace = tmp_path / "trace.csv"
    subprocess.run([sys.executable, str(GEN), "--seed", "3", "--days", "1",
                    "--out", str(trace)], check=True)
    summaries = {}
    for share in ("0", "1"):
        out = tmp_path / f"out-{share}"
        r = subprocess.run([str(CORRAL), "simulate", "--trace", str(trace), "--nodes", "24",
                            "--policies", "corral", "--checkpointable-share", share,
                            "--out-dir", str(out), "--summary-csv", str(out / "s.csv")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "idle GPUs counted only while a waiting gang fits" in r.stdout
        with open(out / "s.csv") as f:
            summaries[share] = next(csv.DictReader(f))
        c = subprocess.run([sys.executable, str(CHECK), str(out / "corral_segments.csv"),
                            "--jobs", str(out / "corral.csv"), "--nodes", "24",
                            "--gpus-per-node", "8"], capture_output=True, text=True)
        assert c.returncode == 0 and c.stdout.strip().endswith("OK"), c.stdout
    # Without checkpointing nothing is preempted; with it the held GPUs are lent and taken back,
    # and less capacity sits idle while work that fits waits.
    assert int(summaries["0"]["preemptions"]) == 0
    assert int(summaries["1"]["preemptions"]) > 0
    assert float(summaries["1"]["alloc_where_fit"]) > float(summaries["0"]["alloc_where_fit"])


def test_a_negative_policy_option_is_an_error_not_the_default(tmp_path):
    trace = tmp_path / "trace.csv"
    subprocess.run([sys.executable, str(GEN), "--seed", "1", "--days", "0.1",
                    "--out", str(trace)], check=True)
    for flag in ("--drain-guard-nodes", "--fifo-max-wait-factor", "--starvation-age-h"):
        r = subprocess.run([str(CORRAL), "simulate", "--trace", str(trace), flag, "-2"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, flag
        assert f"{flag}: must be >= 0, got -2" in r.stderr, r.stderr
