"""Benchmark of a Sobol analysis (a script, not a test): the baseline's ``vjtf_in_place`` objective.

    python benchmarks/sobol.py [--samples 256] [--workers 2] [--rounds 1]

Runs ``sim.batch.gsa.analyse("sobol", ...)`` on the baseline scenario and prints one JSON object:

samples        N, the Sobol base sample (a power of 2)
dimensions     D, the parameters sampled (those that can reach the objective's metric; the rest pruned)
points         N x (D + 2), the rows of Saltelli's sample (no second-order indices)
runs           replications run: the distinct points (a decision's option repeats) x reps per point
wall_s         wall-clock seconds of the whole analysis (loading every point's scenario, the runs on
               the process pool, SALib's analysis with 1,000 bootstrap resamples), median of --rounds
cpu_s          CPU seconds of this process and its workers, median of --rounds
runs_per_s     runs / wall_s
load_avg_start 1-minute load average when the benchmark started (other work on the machine slows it)
top            the parameters ranked by total index, with S1, ST and their 95 % intervals
identical      whether every round gave the same indices (they must)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--objective", default="vjtf_in_place")
    args = ap.parse_args()

    from sim.batch.gsa import Outcome, analyse

    load = os.getloadavg()[0]
    walls, cpus, results = [], [], []
    plan_info: dict = {}
    for k in range(args.rounds):
        c0, t0 = _cpu(), time.perf_counter()
        res = analyse("sobol", BASELINE, Outcome(objective=args.objective), samples=args.samples, seed=0,
                      workers=args.workers, on_plan=lambda p: plan_info.update(p.to_dict()))
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        results.append(res.to_dict())
        print(f"round {k + 1}: {res.runs} runs in {walls[-1]:.1f} s wall, {cpus[-1]:.1f} s CPU", file=sys.stderr)
    d = results[0]
    out = {"samples": args.samples, "dimensions": plan_info["dimensions"], "points": d["points"], "runs": d["runs"],
           "workers": args.workers, "wall_s": round(statistics.median(walls), 2),
           "cpu_s": round(statistics.median(cpus), 2), "runs_per_s": round(d["runs"] / statistics.median(walls), 1),
           "load_avg_start": round(load, 2), "identical": all(r == d for r in results),
           "top": [{k: r[k] for k in ("name", "S1", "S1_conf", "ST", "ST_conf")} for r in d["parameters"]]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
