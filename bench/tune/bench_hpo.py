#!/usr/bin/python3
"""Corral's tuner vs Optuna 3.1, side by side (protocol: shared/benchmarks/hpo.md).

One driver owns objectives, seeds, budgets and clocks; Optuna runs in-process through
study.ask(fixed_distributions=...)/tell, Corral through `corral tune-protocol` (JSON lines). Runs
are interleaved per seed (Optuna, Corral, Optuna, Corral, ...), seeds paired.

  /usr/bin/python3 bench/tune/bench_hpo.py --corral build/corral [--quick] [--suites s1,s2,s3,s4]
"""

import argparse
import json
import math
import os
import platform
import random
import resource
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import objectives as obj  # noqa: E402
from tuners import CorralTuner, OptunaTuner  # noqa: E402

BUDGET_MARKS = (50, 100, 200)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def versions(corral_bin):
    import numpy
    import optuna
    import scipy
    import sklearn
    try:
        import cmaes
        cmaes_v = cmaes.__version__
    except ImportError:
        cmaes_v = None
    return {"python": platform.python_version(), "optuna": optuna.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "sklearn": sklearn.__version__, "cmaes": cmaes_v,
            "corral_binary": os.path.abspath(corral_bin), "cpus": os.cpu_count()}


def save_partial(args, results):
    """Results so far, rewritten after every run: a stopped run keeps what it measured (see --merge)."""
    path = os.path.join(args.out, "partial.json")
    with open(path + ".tmp", "w") as f:
        json.dump(results, f)
    os.replace(path + ".tmp", path)


def merge(paths):
    """One results object from several runs' JSON files (final or partial): rows are concatenated
    per suite, so suites or problems run as separate processes report together."""
    merged = {"runs": []}
    for path in paths:
        with open(path) as f:
            r = json.load(f)
        merged.setdefault("versions", dict(r["versions"], corral_binary="per run, below"))
        a = r["args"]
        merged["runs"].append(f"{path}: suites={','.join(a['suites'])} problems={','.join(a['problems'])} "
                              f"seeds={a['seeds']} svc_seeds={a['svc_seeds']} s4_seeds={a['s4_seeds']} "
                              f"seed_start={a.get('seed_start', 0)} "
                              f"binary={r['versions']['corral_binary']} "
                              f"{'finished' if 'finished' in r else 'partial'} "
                              f"{(r.get('finished') or time.time()) - r['started']:.0f} s")
        for suite in ("s1", "s2", "s3", "s4"):
            if suite in r:
                merged.setdefault(suite, []).extend(r[suite])
    return merged


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 1000 or abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{x:.{digits}g}"


def make_tuner(kind, binary, space, sampler, seed, pruner=None, constant_liar=False, overrides=None):
    if kind == "optuna":
        return OptunaTuner(space, sampler, seed, pruner=pruner, constant_liar=constant_liar)
    return CorralTuner(binary, space, sampler, seed, pruner=pruner, sampler_overrides=overrides)


def random_config(space, rng):
    p = {}
    for d in space["params"]:
        if d["type"] == "categorical":
            p[d["name"]] = rng.choice(d["choices"])
        elif d["type"] == "int":
            if d.get("log"):
                p[d["name"]] = int(round(math.exp(rng.uniform(math.log(d["low"]), math.log(d["high"])))))
            else:
                p[d["name"]] = rng.randint(int(d["low"]), int(d["high"]))
        elif d.get("log"):
            p[d["name"]] = math.exp(rng.uniform(math.log(d["low"]), math.log(d["high"])))
        else:
            p[d["name"]] = rng.uniform(d["low"], d["high"])
    return p


# ------------------------------------------------------------------------------------------ S1

def suite_s1(args, results):
    """Ask/tell latency at N completed trials. Between timing windows the history is filled with
    the same seeded uniform configurations for both tuners (Optuna add_trial / Corral enqueue+tell):
    the window measures the sampler's cost at N trials without paying for N slow asks first."""
    checkpoints = args.s1_checkpoints
    pairs = [("tpe", "tpe"), ("tpe_mv", "tpe_mv"), ("random", "random"), ("cmaes", "cmaes"), ("qmc", "sobol")]
    if args.s1_samplers:
        pairs = [p for p in pairs if p[1] in args.s1_samplers]
    kinds = ("corral",) if args.s1_corral_only else ("optuna", "corral")
    spaces = [(name, {"5d": obj.OVERHEAD5_SPACE, "20d": obj.OVERHEAD20_SPACE}[name]) for name in args.s1_spaces]
    rows = results["s1"] = []
    for space_name, space in spaces:
        for seed in range(args.s1_seeds):
            for o_s, c_s in pairs:
                for kind, sampler in [(k, o_s if k == "optuna" else c_s) for k in kinds]:
                    rng = random.Random(1000 + seed)
                    tuner = make_tuner(kind, args.corral, space, sampler, seed)
                    load0 = os.getloadavg()[0]
                    n = 0
                    for cp in checkpoints:
                        while n < cp:
                            p = random_config(space, rng)
                            tuner.add_completed(p, obj.overhead_objective(p))
                            n += 1
                        a0, t0 = len(tuner.ask_wall), len(tuner.tell_wall)
                        for _ in range(args.s1_window):
                            [(h, p)] = tuner.ask(1)
                            tuner.tell(h, obj.overhead_objective(p))
                            n += 1
                        rec = {"suite": "s1", "space": space_name, "seed": seed, "tuner": kind, "sampler": sampler,
                               "n": cp, "ask_wall_ms": [1e3 * x for x in tuner.ask_wall[a0:]],
                               "ask_cpu_ms": [1e3 * x for x in tuner.ask_cpu[a0:]],
                               "tell_wall_ms": [1e3 * x for x in tuner.tell_wall[t0:]]}
                        if kind == "corral":
                            rec["native_ask_ms"] = [x / 1e3 for x in tuner.native_ask_us[a0:]]
                            rec["native_ask_cpu_ms"] = [x / 1e3 for x in tuner.native_ask_cpu_us[a0:]]
                        rows.append(rec)
                    rss = tuner.peak_rss_kib() if kind == "corral" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                    rows.append({"suite": "s1_rss", "space": space_name, "seed": seed, "tuner": kind, "sampler": sampler,
                                 "peak_rss_kib": rss, "load": [load0, os.getloadavg()[0]]})
                    tuner.close()
                    log(f"s1 {space_name} seed={seed} {kind}-{sampler} done")
                    save_partial(args, results)


def report_s1(rows, out):
    out.append("## S1 suggestion latency (ms per ask; median over windows of asks and seeds)\n")
    out.append("Optuna: ask() in-process (CPU = thread time). Corral native: time inside the library as "
               "measured by tune-protocol; Corral RPC: driver round trip through the JSON-lines pipe.\n")
    spaces = sorted({r["space"] for r in rows if r["suite"] == "s1"})
    for space in spaces:
        out.append(f"\n### {space} space\n")
        out.append("| sampler (Optuna / Corral) | N | Optuna wall | Optuna CPU | Corral native wall | Corral native CPU | Corral RPC wall | Corral p95 native | tell Optuna | tell Corral RPC |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        pairs = [("tpe", "tpe"), ("tpe_mv", "tpe_mv"), ("random", "random"), ("cmaes", "cmaes"), ("qmc", "sobol")]
        for o_s, c_s in pairs:
            ns = sorted({r["n"] for r in rows if r["suite"] == "s1" and r["space"] == space})
            for n in ns:
                def pick(kind, s, key):
                    v = []
                    for r in rows:
                        if r["suite"] == "s1" and r["space"] == space and r["tuner"] == kind and r["sampler"] == s and r["n"] == n:
                            v += r.get(key, [])
                    return v
                ow, oc = pick("optuna", o_s, "ask_wall_ms"), pick("optuna", o_s, "ask_cpu_ms")
                cn, cc = pick("corral", c_s, "native_ask_ms"), pick("corral", c_s, "native_ask_cpu_ms")
                cw = pick("corral", c_s, "ask_wall_ms")
                ot, ct = pick("optuna", o_s, "tell_wall_ms"), pick("corral", c_s, "tell_wall_ms")
                if not ow and not cw:
                    continue
                out.append(f"| {o_s} / {c_s} | {n} | {fmt(pct(ow, .5))} | {fmt(pct(oc, .5))} | {fmt(pct(cn, .5))} | "
                           f"{fmt(pct(cc, .5))} | {fmt(pct(cw, .5))} | {fmt(pct(cn, .95))} | {fmt(pct(ot, .5))} | {fmt(pct(ct, .5))} |")
        # Growth: slope of median native time vs N (ms per 1000 trials).
        out.append("")
        for o_s, c_s in pairs:
            for kind, s, key in (("optuna", o_s, "ask_wall_ms"), ("corral", c_s, "native_ask_ms")):
                pts = []
                for n in sorted({r["n"] for r in rows if r["suite"] == "s1"}):
                    v = [x for r in rows if r["suite"] == "s1" and r["space"] == space and r["tuner"] == kind
                         and r["sampler"] == s and r["n"] == n for x in r.get(key, [])]
                    if v:
                        pts.append((n, pct(v, .5)))
                if len(pts) >= 2:
                    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                    mx, my = statistics.mean(xs), statistics.mean(ys)
                    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
                    out.append(f"- {kind} {s}: {fmt(ys[0])} ms at N={xs[0]} -> {fmt(ys[-1])} ms at N={xs[-1]} "
                               f"(x{ys[-1] / ys[0]:.2f}; slope {fmt(slope * 1000)} ms per 1000 trials)")
        rss = [r for r in rows if r["suite"] == "s1_rss" and r["space"] == space and r["tuner"] == "corral"]
        if rss:
            out.append(f"- Corral tune-protocol peak RSS: {max(r['peak_rss_kib'] for r in rss) / 1024:.1f} MiB")


# ------------------------------------------------------------------------------------------ S2 / S3

def run_blackbox(tuner, f, budget, batch):
    best, curve, dup_batches, failures = float("inf"), [], 0, 0
    t_start_cpu = time.thread_time()
    while len(curve) < budget:
        asked = tuner.ask(min(batch, budget - len(curve)))
        keys = [json.dumps(p, sort_keys=True) for _, p in asked]
        dup_batches += len(keys) != len(set(keys))
        for h, p in asked:
            try:
                v = f(p)
            except Exception:  # noqa: BLE001 - reported, never dropped
                v = float("nan")
            if v != v:
                failures += 1
                tuner.tell(h, None, state="failed")
            else:
                tuner.tell(h, v)
                best = min(best, v)
            curve.append(best)
    return {"curve": curve, "dup_batches": dup_batches, "failures": failures,
            "driver_cpu_s": time.thread_time() - t_start_cpu,
            "ask_ms_median": 1e3 * pct(tuner.ask_wall, .5)}


def suite_blackbox(args, results, suite):
    batch = 1 if suite == "s2" else 3
    if suite == "s2":
        pairs = [("optuna", s) for s in args.s2_optuna] + [("corral", s) for s in args.s2_corral]
    else:
        pairs = [("optuna", s) for s in args.s3_optuna] + [("corral", s) for s in args.s3_corral]
    rows = results[suite] = []
    for problem in args.problems:
        space, f, _ = obj.PROBLEMS[problem]
        seeds = args.svc_seeds if problem == "svc_digits" else args.seeds
        budget = args.budget
        for seed in range(args.seed_start, args.seed_start + seeds):
            # Interleave: alternate Optuna and Corral configurations.
            opt = [p for p in pairs if p[0] == "optuna"]
            cor = [p for p in pairs if p[0] == "corral"]
            order = []
            for i in range(max(len(opt), len(cor))):
                if i < len(opt):
                    order.append(opt[i])
                if i < len(cor):
                    order.append(cor[i])
            for kind, sampler in order:
                if problem == "svc_digits" and args.svc_samplers and sampler not in args.svc_samplers:
                    continue
                tuner = make_tuner(kind, args.corral, space, sampler, seed, constant_liar=(suite == "s3"))
                load0 = os.getloadavg()[0]
                t0 = time.perf_counter()
                r = run_blackbox(tuner, f, budget, batch)
                tuner.close()
                r.update({"suite": suite, "problem": problem, "seed": seed, "tuner": kind, "sampler": sampler,
                          "wall_s": time.perf_counter() - t0, "load": [load0, os.getloadavg()[0]]})
                rows.append(r)
                log(f"{suite} {problem} seed={seed} {kind}-{sampler}: best@{budget}={r['curve'][-1]:.6g} "
                    f"({r['wall_s']:.1f}s, ask {r['ask_ms_median']:.2f} ms)")
                save_partial(args, results)


def wilcoxon_greater(x, y):
    """p-value of 'x is larger than y' (paired); 1.0 when every pair ties."""
    from scipy.stats import wilcoxon
    d = [a - b for a, b in zip(x, y)]
    if all(abs(v) < 1e-15 for v in d):
        return 1.0
    try:
        return float(wilcoxon(x, y, alternative="greater", zero_method="zsplit").pvalue)
    except ValueError:
        return 1.0


def report_blackbox(rows, out, suite):
    if not rows:
        return
    batch = 1 if suite == "s2" else 3
    out.append(f"\n## {suite.upper()} black-box quality (batch of {batch}); median simple regret over seeds [min, max]\n")
    problems = sorted({r["problem"] for r in rows}, key=list(obj.PROBLEMS).index)
    best_seen = {}
    for pr in problems:
        opt = obj.PROBLEMS[pr][2]
        best_seen[pr] = opt if opt is not None else min(r["curve"][-1] for r in rows if r["problem"] == pr)

    def regrets(pr, kind, sampler, b):
        rs = sorted((r for r in rows if r["problem"] == pr and r["tuner"] == kind and r["sampler"] == sampler
                     and len(r["curve"]) >= b), key=lambda r: r["seed"])
        return {r["seed"]: max(r["curve"][b - 1] - best_seen[pr], 0.0) for r in rs}

    configs = sorted({(r["tuner"], r["sampler"]) for r in rows})
    longest = max(len(r["curve"]) for r in rows)
    marks = sorted({b for b in BUDGET_MARKS if b <= longest} | {longest})
    out.append("| problem | budget | " + " | ".join(f"{k}-{s}" for k, s in configs) + " |")
    out.append("|---|---|" + "---|" * len(configs))
    for pr in problems:
        for b in marks:
            cells = []
            for k, s in configs:
                v = list(regrets(pr, k, s, b).values())
                cells.append(f"{fmt(pct(v, .5))} [{fmt(min(v))}, {fmt(max(v))}] (n={len(v)})" if v else "-")
            out.append(f"| {pr} | {b} | " + " | ".join(cells) + " |")

    # Verdicts: each Corral sampler against Optuna's TPE of the same kind and against random.
    comparisons = [("corral", "tpe", "optuna", "tpe"), ("corral", "tpe_mv", "optuna", "tpe_mv"),
                   ("corral", "gp", "optuna", "tpe"), ("corral", "gp", "optuna", "tpe_mv"),
                   ("corral", "cmaes", "optuna", "cmaes"), ("corral", "sobol", "optuna", "qmc")]
    out.append("\nPaired comparison per cell (pass: median regret <= Optuna's, or not worse by a one-sided "
               "Wilcoxon signed-rank test at p < 0.05):\n")
    out.append("| Corral | vs Optuna | problem | budget | Corral median | Optuna median | wins/ties/losses | p(Corral worse) | verdict |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    losses = []
    for ck, cs, ok, os_ in comparisons:
        if (ck, cs) not in configs or (ok, os_) not in configs:
            continue
        for pr in problems:
            for b in marks:
                c, o = regrets(pr, ck, cs, b), regrets(pr, ok, os_, b)
                seeds = sorted(set(c) & set(o))
                if not seeds:
                    continue
                x, y = [c[s] for s in seeds], [o[s] for s in seeds]
                w = sum(a < b_ - 1e-12 for a, b_ in zip(x, y))
                l_ = sum(a > b_ + 1e-12 for a, b_ in zip(x, y))
                t = len(seeds) - w - l_
                p = wilcoxon_greater(x, y)
                cm, om = pct(x, .5), pct(y, .5)
                if cm <= om:
                    verdict = "pass (better or equal)"
                elif p >= 0.05:
                    verdict = "pass (not significantly worse)"
                else:
                    verdict = "LOSS"
                    losses.append(f"{cs} vs optuna-{os_} on {pr} at {b}")
                out.append(f"| {cs} | {os_} | {pr} | {b} | {fmt(cm)} | {fmt(om)} | {w}/{t}/{l_} | {p:.3f} | {verdict} |")
    out.append("\nStrictly better than random at 200 trials (median regret):\n")
    for ck, cs in [c for c in configs if c[0] == "corral" and c[1] not in ("random", "sobol")]:
        for pr in problems:
            b = max(marks)
            c, r = regrets(pr, ck, cs, b), regrets(pr, "corral", "random", b)
            if not c or not r:
                continue
            ok = pct(list(c.values()), .5) < pct(list(r.values()), .5)
            out.append(f"- {cs} on {pr}: {fmt(pct(list(c.values()), .5))} vs random {fmt(pct(list(r.values()), .5))} "
                       f"-> {'yes' if ok else 'NO'}")
            if not ok:
                losses.append(f"{cs} not better than random on {pr} at {b}")
    if suite == "s3":
        out.append("\nDuplicate configurations within a batch (batches with a duplicate / runs):\n")
        for k, s in configs:
            rs = [r for r in rows if r["tuner"] == k and r["sampler"] == s]
            out.append(f"- {k}-{s}: {sum(r['dup_batches'] for r in rs)} in {len(rs)} runs")
    out.append("\nLosses: " + ("; ".join(losses) if losses else "none") + "\n")


# ------------------------------------------------------------------------------------------ S4

def run_pruning(tuner, budget_epochs, max_epochs=27):
    """Trials one after another until the epoch budget is spent; a trial cut by the budget is told
    as failed (it is no result). Only full-fidelity trials can become the incumbent."""
    used, trials, completed, pruned = 0, 0, 0, 0
    best_full, best_test, history = float("inf"), None, []
    while used < budget_epochs:
        [(h, p)] = tuner.ask(1)
        trials += 1
        curve = obj.MlpCurve(p)
        outcome, last = "complete", float("nan")
        for epoch in range(1, max_epochs + 1):
            if used >= budget_epochs:
                outcome = "cut"
                break
            last = curve.step()
            used += 1
            if last != last:
                outcome = "failed"
                break
            if epoch < max_epochs and tuner.report(h, epoch, last):
                outcome = "pruned"
                break
        if outcome == "pruned":
            tuner.tell(h, state="pruned")
            pruned += 1
        elif outcome in ("cut", "failed"):
            tuner.tell(h, state="failed")
        else:
            tuner.report(h, max_epochs, last)
            tuner.tell(h, last)
            completed += 1
            if last < best_full:
                best_full = last
                best_test = curve.test_logloss()
            history.append((used, best_full))
    return {"trials": trials, "completed": completed, "pruned": pruned, "epochs": used,
            "best_full": best_full, "best_test": best_test, "history": history}


def suite_s4(args, results):
    configs = []
    for sampler in args.s4_samplers:
        for pr in [None, "median", "asha", "hyperband"]:
            configs.append(("optuna", sampler, pr))
        for pr in [None, "median", "asha", "hyperband", "mean_of_first"]:
            configs.append(("corral", sampler, pr))
    if args.s4_pruners:
        configs = [c for c in configs if (c[2] or "none") in args.s4_pruners]
    rows = results["s4"] = []
    for budget in args.s4_budgets:
        for seed in range(args.seed_start, args.seed_start + args.s4_seeds):
            opt = [c for c in configs if c[0] == "optuna"]
            cor = [c for c in configs if c[0] == "corral"]
            order = [x for pair in zip(opt, cor) for x in pair] + cor[len(opt):] + opt[len(cor):]
            for kind, sampler, pr in order:
                tuner = make_tuner(kind, args.corral, obj.MLP_SPACE, sampler, seed, pruner=pr)
                t0 = time.perf_counter()
                r = run_pruning(tuner, budget)
                r.update({"suite": "s4", "budget": budget, "seed": seed, "tuner": kind, "sampler": sampler,
                          "pruner": pr or "none", "wall_s": time.perf_counter() - t0,
                          "report_ms_median": 1e3 * pct(tuner.report_wall, .5),
                          "native_report_ms_median": pct(tuner.native_report_us, .5) / 1e3 if tuner.native_report_us else None})
                tuner.close()
                rows.append(r)
                log(f"s4 budget={budget} seed={seed} {kind}-{sampler}-{pr}: best={r['best_full']:.4f} "
                    f"trials={r['trials']} completed={r['completed']} ({r['wall_s']:.1f}s)")
                save_partial(args, results)


def best_at(history, epochs):
    b = float("inf")
    for used, v in history:
        if used <= epochs:
            b = v
    return b


def epochs_to_reach(history, target):
    for used, v in history:
        if v <= target:
            return used
    return None


def report_s4(rows, out):
    if not rows:
        return
    out.append("\n## S4 multi-fidelity (MLP on digits, validation log-loss, R=27, eta=3)\n")
    for budget in sorted({r["budget"] for r in rows}):
        rs = [r for r in rows if r["budget"] == budget]
        configs = sorted({(r["tuner"], r["sampler"], r["pruner"]) for r in rs})
        out.append(f"\n### {budget} epochs per run\n")
        out.append("| tuner | sampler | pruner | best@25% | best@50% | best@100% | test log-loss | trials | completed | report ms (RPC) | decision ms (native) |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for k, s, p in configs:
            sel = [r for r in rs if (r["tuner"], r["sampler"], r["pruner"]) == (k, s, p)]
            q = [pct([best_at(r["history"], budget * f) for r in sel], .5) for f in (0.25, 0.5, 1.0)]
            test = [r["best_test"] for r in sel if r["best_test"] is not None]
            nat = [r["native_report_ms_median"] for r in sel if r.get("native_report_ms_median") is not None]
            out.append(f"| {k} | {s} | {p} | {fmt(q[0])} | {fmt(q[1])} | {fmt(q[2])} | {fmt(pct(test, .5))} | "
                       f"{pct([r['trials'] for r in sel], .5):.0f} | {pct([r['completed'] for r in sel], .5):.0f} | "
                       f"{fmt(pct([r['report_ms_median'] for r in sel], .5))} | {fmt(pct(nat, .5)) if nat else '-'} |")
        out.append("\nEpochs Corral needs to reach Optuna's median final best (same sampler, same pruner kind):\n")
        for s in sorted({r["sampler"] for r in rs}):
            for p in ("asha", "hyperband", "median"):
                o = [r for r in rs if r["tuner"] == "optuna" and r["sampler"] == s and r["pruner"] == p]
                c = [r for r in rs if r["tuner"] == "corral" and r["sampler"] == s and r["pruner"] == p]
                if not o or not c:
                    continue
                target = pct([r["best_full"] for r in o], .5)
                reach = [epochs_to_reach(r["history"], target) for r in c]
                reached = [x for x in reach if x is not None]
                med = pct([x if x is not None else float("inf") for x in reach], .5)
                out.append(f"- {s}+{p}: Optuna median best {fmt(target)}; Corral reaches it in {len(reached)}/{len(c)} "
                           f"runs, median epochs {fmt(med) if med != float('inf') else 'not reached'} of {budget} "
                           f"-> {'pass' if med <= budget else 'LOSS'}")
                seeds = sorted({r["seed"] for r in o} & {r["seed"] for r in c})
                if seeds:
                    om = {r["seed"]: r["best_full"] for r in o}
                    cm = {r["seed"]: r["best_full"] for r in c}
                    w = sum(cm[x] < om[x] for x in seeds)
                    l_ = sum(cm[x] > om[x] for x in seeds)
                    out.append(f"  paired final best, Corral vs Optuna: {w} wins / {len(seeds) - w - l_} ties / {l_} losses")


# ------------------------------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corral", default=os.environ.get("CORRAL_BIN", "build/corral"))
    ap.add_argument("--suites", default="s1,s2,s3,s4")
    ap.add_argument("--quick", action="store_true", help="small CI subset (correctness, not figures)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed-start", type=int, default=0,
                    help="first seed of S2/S3/S4 (more seeds in a separate process; see --merge)")
    ap.add_argument("--svc-seeds", type=int, default=5)
    ap.add_argument("--svc-samplers", default="tpe,tpe_mv,random,gp")
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--problems", default="branin,hartmann6,rosenbrock5,svc_digits")
    ap.add_argument("--s2-optuna", default="tpe,tpe_mv,random,cmaes,qmc")
    ap.add_argument("--s2-corral", default="tpe,tpe_mv,gp,random,cmaes,sobol")
    ap.add_argument("--s3-optuna", default="tpe,tpe_mv")
    ap.add_argument("--s3-corral", default="tpe,tpe_mv,gp,random")
    ap.add_argument("--s1-seeds", type=int, default=3)
    ap.add_argument("--s1-checkpoints", default="100,500,1000,2000")
    ap.add_argument("--s1-window", type=int, default=10)
    ap.add_argument("--s1-20d", action="store_true", help="same as --s1-spaces 5d,20d")
    ap.add_argument("--s1-spaces", default="5d", help="5d, 20d or both")
    ap.add_argument("--s1-samplers", default="", help="Corral sampler names to time (default: all pairs)")
    ap.add_argument("--s1-corral-only", action="store_true", help="skip Optuna (development measurements)")
    ap.add_argument("--s4-seeds", type=int, default=5)
    ap.add_argument("--s4-budgets", default="540")
    ap.add_argument("--s4-samplers", default="tpe")
    ap.add_argument("--s4-pruners", default="")
    ap.add_argument("--out", default="bench/tune/results")
    ap.add_argument("--merge", nargs="+", metavar="JSON",
                    help="report from these runs' result files (hpo-*.json or partial.json) instead of running")
    args = ap.parse_args()
    if args.quick:
        args.seeds, args.svc_seeds, args.budget, args.s1_seeds = 2, 1, 30, 1
        args.s1_checkpoints, args.s1_window = "20,60", 3
        args.s4_seeds, args.s4_budgets = 1, "60"
        args.s2_corral = "tpe,tpe_mv,gp,random,cmaes,sobol"
        args.svc_samplers = "tpe,gp"
    split = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    args.suites, args.problems = split(args.suites), split(args.problems)
    args.s2_optuna, args.s2_corral = split(args.s2_optuna), split(args.s2_corral)
    args.s3_optuna, args.s3_corral = split(args.s3_optuna), split(args.s3_corral)
    args.svc_samplers = split(args.svc_samplers)
    args.s1_checkpoints = [int(x) for x in split(args.s1_checkpoints)]
    args.s4_budgets = [int(x) for x in split(args.s4_budgets)]
    args.s4_samplers, args.s4_pruners = split(args.s4_samplers), split(args.s4_pruners)
    args.s1_samplers = split(args.s1_samplers)
    args.s1_spaces = ["5d", "20d"] if args.s1_20d else split(args.s1_spaces)
    os.makedirs(args.out, exist_ok=True)
    if args.merge:
        results = merge(args.merge)
        header = ["Merged runs:\n"] + [f"- {r}" for r in results["runs"]] + [""]
    else:
        if not os.path.exists(args.corral):
            sys.exit(f"corral binary not found: {args.corral} (build it, or pass --corral)")
        results = {"versions": versions(args.corral), "args": vars(args), "started": time.time()}
        if "s1" in args.suites:
            suite_s1(args, results)
        for s in ("s2", "s3"):
            if s in args.suites:
                suite_blackbox(args, results, s)
        if "s4" in args.suites:
            suite_s4(args, results)
        results["finished"] = time.time()
        save_partial(args, results)
        header = [f"Run: {' '.join(sys.argv[1:])}; {results['finished'] - results['started']:.0f} s\n"]

    out = [f"# HPO benchmark: Corral vs Optuna {results['versions']['optuna']}\n",
           "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()) + "\n"] + header
    if "s1" in results:
        report_s1(results["s1"], out)
    for s in ("s2", "s3"):
        if s in results:
            report_blackbox(results[s], out, s)
    if "s4" in results:
        report_s4(results["s4"], out)
    text = "\n".join(out) + "\n"
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, f"hpo-{stamp}.json"), "w") as f:
        json.dump(results, f)
    with open(os.path.join(args.out, f"hpo-{stamp}.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
