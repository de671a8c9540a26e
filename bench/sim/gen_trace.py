#!/usr/bin/python3
"""Writes a synthetic job trace in the simulator's format (job_id,submit_s,duration_s,gpus,user,vc).

Deterministic: the same arguments give the same file (one random.Random(seed), no other input).
The model, chosen to stress what a single recorded window may not:

  * Arrivals: a Poisson stream at --jobs-per-hour, modulated by a daily cycle (rate x 0.5 at night
    to x 1.5 in the afternoon), plus bursts: in each hour, with probability --burst-prob, one
    tenant submits a sweep of 20-200 jobs (Pareto-sized) within a few minutes, all with the same
    GPU count and durations within x0.5-x2 of one draw.
  * Sizes (GPUs per job): 1 (60%), 2 (10%), 4 (10%), 8 (12%), 16 (4%), 32 (2.5%), 64 (1.5%): a
    heavy tail up to 64-GPU gangs (8 nodes of 8).
  * Durations: log-normal with median --median-duration-s and sigma 1.8 (p99 ~ 70x the median),
    clipped to [10 s, 14 days]; --zero-fraction of jobs last 0 s (they fail at once).
  * Tenants: --tenants of them, Zipf-weighted (tenant k has weight 1/k); user = the tenant.
  * Empty cells: --empty-user-fraction of jobs have empty user and vc cells, as real traces do.
"""

import argparse
import math
import random

SIZES = [(1, 0.60), (2, 0.10), (4, 0.10), (8, 0.12), (16, 0.04), (32, 0.025), (64, 0.015)]
SIGMA = 1.8
MIN_DURATION_S = 10.0
MAX_DURATION_S = 14 * 86400.0


def pick(rng, weighted):
    x = rng.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        x -= w
        if x <= 0:
            return value
    return weighted[-1][0]


def duration(rng, median_s):
    return min(MAX_DURATION_S, max(MIN_DURATION_S, median_s * math.exp(rng.gauss(0.0, SIGMA))))


def generate(seed, days, jobs_per_hour, burst_prob, tenants, median_s, zero_fraction,
             empty_fraction):
    rng = random.Random(seed)
    tenant_weights = [(f"t{k:02d}", 1.0 / k) for k in range(1, tenants + 1)]
    horizon = days * 86400.0
    jobs = []  # (submit_s, duration_s, gpus, tenant)

    # Poisson stream with a daily cycle, by thinning at the peak rate.
    peak = jobs_per_hour * 1.5 / 3600.0
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= horizon:
            break
        cycle = 1.0 + 0.5 * math.sin(2 * math.pi * (t / 86400.0 - 0.375))
        if rng.random() * 1.5 > cycle:
            continue
        jobs.append((t, duration(rng, median_s), pick(rng, SIZES), pick(rng, tenant_weights)))

    # Bursts: one tenant's sweep of similar jobs within a few minutes.
    for hour in range(int(math.ceil(horizon / 3600.0))):
        if rng.random() >= burst_prob:
            continue
        start = hour * 3600.0 + rng.random() * 3600.0
        count = min(200, int(20 * rng.paretovariate(1.5)))
        gpus = pick(rng, SIZES[:4])
        base = duration(rng, median_s)
        tenant = pick(rng, tenant_weights)
        for _ in range(count):
            submit = start + rng.random() * 300.0
            if submit < horizon:
                jobs.append((submit, min(MAX_DURATION_S, base * rng.uniform(0.5, 2.0)), gpus,
                             tenant))

    jobs.sort(key=lambda j: j[0])
    rows = []
    for i, (submit, dur, gpus, tenant) in enumerate(jobs):
        if rng.random() < zero_fraction:
            dur = 0.0
        name = "" if rng.random() < empty_fraction else tenant
        rows.append((i, round(submit, 1), round(dur, 1), gpus, name, name))
    return rows


def main():
    p = argparse.ArgumentParser(description="Synthetic GPU job trace (see the module docstring).")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=float, default=3.0)
    p.add_argument("--jobs-per-hour", type=float, default=30.0)
    p.add_argument("--burst-prob", type=float, default=0.05, help="chance of a burst per hour")
    p.add_argument("--tenants", type=int, default=8)
    p.add_argument("--median-duration-s", type=float, default=1800.0)
    p.add_argument("--zero-fraction", type=float, default=0.01)
    p.add_argument("--empty-user-fraction", type=float, default=0.02)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    rows = generate(a.seed, a.days, a.jobs_per_hour, a.burst_prob, a.tenants,
                    a.median_duration_s, a.zero_fraction, a.empty_user_fraction)
    with open(a.out, "w") as f:
        f.write("job_id,submit_s,duration_s,gpus,user,vc\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


if __name__ == "__main__":
    main()
