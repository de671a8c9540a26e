"""Ask/tell adapters with one interface for Optuna (in-process) and Corral (tune-protocol)."""

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from corral.tune_client import TuneProcess  # noqa: E402


def optuna_distributions(space):
    import optuna.distributions as d
    out = {}
    for p in space["params"]:
        if p["type"] == "categorical":
            out[p["name"]] = d.CategoricalDistribution(p["choices"])
        elif p["type"] == "int":
            out[p["name"]] = d.IntDistribution(int(p["low"]), int(p["high"]), log=p.get("log", False),
                                               step=int(p.get("step", 1)))
        else:
            out[p["name"]] = d.FloatDistribution(p["low"], p["high"], log=p.get("log", False),
                                                 step=p.get("step"))
    return out


class Timed:
    """Accumulates wall and CPU (thread) time of the tuner's own calls."""

    def __init__(self):
        self.ask_wall, self.ask_cpu, self.tell_wall, self.report_wall = [], [], [], []
        self.native_ask_us, self.native_ask_cpu_us, self.native_report_us = [], [], []


class OptunaTuner(Timed):
    SAMPLERS = ("tpe", "tpe_mv", "random", "cmaes", "qmc")

    def __init__(self, space, sampler, seed, pruner=None, constant_liar=False):
        super().__init__()
        import optuna
        warnings.filterwarnings("ignore")
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        s = optuna.samplers
        if sampler == "tpe":
            smp = s.TPESampler(seed=seed, constant_liar=constant_liar)
        elif sampler == "tpe_mv":
            smp = s.TPESampler(seed=seed, multivariate=True, constant_liar=constant_liar)
        elif sampler == "random":
            smp = s.RandomSampler(seed=seed)
        elif sampler == "cmaes":
            smp = s.CmaEsSampler(seed=seed)
        elif sampler == "qmc":
            smp = s.QMCSampler(seed=seed, qmc_type="sobol", scramble=True)
        else:
            raise ValueError(sampler)
        p = optuna.pruners
        prn = {None: p.NopPruner(), "median": p.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
               "asha": p.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
               "hyperband": p.HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)}[pruner]
        self.study = optuna.create_study(sampler=smp, pruner=prn, direction="minimize")
        self.dists = optuna_distributions(space)
        self.name = f"optuna-{sampler}"

    def ask(self, n=1):
        out = []
        for _ in range(n):
            t0, c0 = time.perf_counter(), time.thread_time()
            trial = self.study.ask(fixed_distributions=self.dists)
            self.ask_wall.append(time.perf_counter() - t0)
            self.ask_cpu.append(time.thread_time() - c0)
            out.append((trial, dict(trial.params)))
        return out

    def tell(self, handle, value=None, state="complete"):
        from optuna.trial import TrialState
        t0 = time.perf_counter()
        if state == "complete" and value is not None and value == value:
            self.study.tell(handle, value)
        elif state == "pruned":
            self.study.tell(handle, state=TrialState.PRUNED)
        else:
            self.study.tell(handle, state=TrialState.FAIL)
        self.tell_wall.append(time.perf_counter() - t0)

    def report(self, handle, step, value):
        t0 = time.perf_counter()
        handle.report(value, step)
        prune = handle.should_prune()
        self.report_wall.append(time.perf_counter() - t0)
        return prune

    def add_completed(self, params, value):
        import optuna
        self.study.add_trial(optuna.trial.create_trial(params=params, distributions=self.dists, value=value))

    def close(self):
        pass


class CorralTuner(Timed):
    SAMPLERS = {
        "random": {"name": "random"},
        "sobol": {"name": "sobol"},
        "tpe": {"name": "tpe"},
        "tpe_mv": {"name": "tpe", "multivariate": True},
        "cmaes": {"name": "cmaes"},
        "gp": {"name": "gp"},
    }
    PRUNERS = {None: {"name": "none"}, "median": {"name": "median", "n_startup_trials": 5},
               "mean_of_first": {"name": "mean_of_first", "n_startup_trials": 5},
               "asha": {"name": "asha", "min_resource": 1, "max_resource": 27, "reduction_factor": 3},
               "hyperband": {"name": "hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3}}

    def __init__(self, binary, space, sampler, seed, pruner=None, sampler_overrides=None):
        super().__init__()
        self.proc = TuneProcess(binary)
        cfg = dict(self.SAMPLERS[sampler])
        cfg.update(sampler_overrides or {})
        self.proc.create(space, sampler=cfg, pruner=self.PRUNERS[pruner], seed=seed)
        self.name = f"corral-{sampler}"

    def ask(self, n=1):
        t0, c0 = time.perf_counter(), time.thread_time()
        reply = self.proc.ask(n)
        wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
        for _ in range(n):
            self.ask_wall.append(wall / n)
            self.ask_cpu.append(cpu / n)
            self.native_ask_us.append(reply["us"] / n)
            self.native_ask_cpu_us.append(reply["cpu_us"] / n)
        return [(t["trial"], t["params"]) for t in reply["trials"]]

    def tell(self, handle, value=None, state="complete"):
        t0 = time.perf_counter()
        if state == "complete" and (value is None or value != value):
            state = "failed"
        self.proc.tell(handle, value, state=state)
        self.tell_wall.append(time.perf_counter() - t0)

    def report(self, handle, step, value):
        t0 = time.perf_counter()
        reply = self.proc.report(handle, step, value)
        self.report_wall.append(time.perf_counter() - t0)
        self.native_report_us.append(reply["us"])
        return reply["should_prune"]

    def add_completed(self, params, value):
        trial = self.proc.enqueue(params)["trial"]
        self.proc.tell(trial, value)

    def peak_rss_kib(self):
        return self.proc.peak_rss_kib()

    def close(self):
        self.proc.close()
