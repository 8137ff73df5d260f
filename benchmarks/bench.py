"""Benchmark of the Monte Carlo batch on the baseline scenario (a script, not a test).

    python benchmarks/bench.py [--rounds 5] [--quick]
    python benchmarks/bench.py --against ../other-worktree   # the engine alone, this checkout / that one

Every figure is the median of ``--rounds`` (at least 5) paired rounds, printed with its
spread (min-max) and the machine's load average beside it: the engine and a bare SimPy
model of the same event mix run alternately in the same process; 1- and 2-worker
batches alternate; fresh processes for 1,000 and 10,000 replications alternate; the
process pool and a Dask LocalCluster alternate. Other work on the machine slows every
figure; the paired ratios (per-event ratio, efficiency, Dask / pool) suffer least.

The last line is one JSON object:

us_per_run           CPU microseconds per engine run (``run(..., keep_trace=False)``)
events_per_rep       SimPy events the engine processes per replication (``Environment.step`` counted
                     by wrapping it in this process only; the engine is untouched)
us_per_event_engine  us_per_run / events_per_rep
us_per_event_simpy   the same for bare SimPy running the same event mix (as many process starts,
                     process ends, timeouts and triggered events per replication) in the same process
per_event_ratio      us_per_event_engine / us_per_event_simpy (median of the per-round ratios)
setup_us             CPU microseconds of a run stopped at H+0 (set-up, starting every process, H-hour,
                     metrics: the part of a run that does not grow with simulated time)
gc_us_per_run        of us_per_run, the CPU the garbage collector takes (``gc.callbacks``; this
                     process's settings: Python's defaults)
us_per_run_worker_gc us_per_run and setup_us with the collector set as a batch worker sets it
setup_us_worker_gc   (``sim.batch.replicate.tune_worker_gc``: gc.freeze and a higher threshold): what a
                     replication costs in a batch
efficiency_2w        replications per wall second with 2 workers / (2 x with 1 worker), results store on
main_us_per_rep      CPU microseconds of the main process (``time.process_time``) per replication over
                     a 10,000-replication batch with 2 workers, results store on (all of it: scenario
                     loading, pool start, storing, statistics)
db_bytes_per_rep     size of that batch's results database / replications
rss_mb_1k/_10k       peak RSS (MB) of a fresh process running a 1,000 / 10,000-replication batch with
                     2 workers (the process that gathers, aggregates and stores results)
secs_10k_2w          wall-clock seconds of that 10,000-replication batch
dask_vs_pool         wall time of a batch on a Dask LocalCluster (2 worker processes, 1 thread each)
                     / on the process pool with 2 workers, each in a fresh process (null without the
                     ``cluster`` extra)
load_avg             1-minute load average at the start, and its median over the rounds

Then "scale on paper": from the measured cost per replication and per-task overheads, the
chunk size the runner chooses and the predicted efficiency at 8, 32 and 128 workers, and
which of the workers, the main process or the Dask scheduler is the limit.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"
SCALE_WORKERS = (8, 32, 128)


def load() -> float:
    return os.getloadavg()[0]


class Figure:
    """Values of one figure over the rounds, and the load average when each was taken."""

    def __init__(self, name: str, unit: str = "", digits: int = 1):
        self.name, self.unit, self.digits = name, unit, digits
        self.values: list[float] = []
        self.loads: list[float] = []

    def add(self, v: float) -> None:
        self.values.append(v)
        self.loads.append(load())

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def line(self) -> str:
        d = self.digits
        return (f"  {self.name:<22} {self.median:>10.{d}f} {self.unit:<8} (min {min(self.values):.{d}f}, "
                f"max {max(self.values):.{d}f}, n={len(self.values)}; load {min(self.loads):.1f}-"
                f"{max(self.loads):.1f})")


def say(text: str) -> None:
    print(text, flush=True)


# --- engine against bare SimPy ---------------------------------------------------------------------
def count_events(fn: Callable[[], Any]) -> Counter[str]:
    """Run ``fn()`` with simpy.Environment.step wrapped; the events processed, by class."""
    import simpy.core

    original = simpy.core.Environment.step
    seen: Counter[str] = Counter()

    def step(self: Any) -> None:
        if self._queue:  # else step raises EmptySchedule: the run is over
            seen[type(self._queue[0][3]).__name__] += 1
        return original(self)

    simpy.core.Environment.step = step  # type: ignore[method-assign]
    try:
        fn()
    finally:
        simpy.core.Environment.step = original  # type: ignore[method-assign]
    return seen


def bare_model(mix: dict[str, int]) -> Callable[[], None]:
    """One replication of bare SimPy with ``mix`` events: as many processes started (Initialize),
    ending (Process), timeouts (Timeout) and triggered events (Event) as the engine's run."""
    import simpy

    started, ending, timeouts, events = (mix.get(k, 0) for k in ("Initialize", "Process", "Timeout", "Event"))
    waiters = min(ending // 2, events)               # each waits for one event, then ends
    producers = max(1, ending - waiters)             # the timeouts and the triggering, then end
    idle = max(0, started - waiters - producers)     # never end (the engine's run-long loops)
    per_t = [timeouts // producers + (j < timeouts % producers) for j in range(producers)]
    per_e = [events // producers + (j < events % producers) for j in range(producers)]

    def rep() -> None:
        env = simpy.Environment()
        sig = [env.event() for _ in range(events)]
        nxt = iter(range(events))

        def waiter(k: int) -> Any:
            yield sig[k]

        def sleeper() -> Any:
            yield env.event()

        def producer(j: int) -> Any:
            n_t, n_e = per_t[j], per_e[j]
            for step in range(max(n_t, 1)):
                if step < n_t:
                    yield env.timeout(0.5 + 0.25 * j)
                for _ in range(n_e // max(n_t, 1) + (step < n_e % max(n_t, 1))):
                    sig[next(nxt)].succeed()

        for k in range(waiters):
            env.process(waiter(k))
        for _ in range(idle):
            env.process(sleeper())
        for j in range(producers):
            env.process(producer(j))
        env.run()

    return rep


def engine_rounds(rounds: int, n: int) -> dict[str, Any]:
    from sim import load_scenario, run
    from sim.batch.seeds import replication_seed

    s = load_scenario(BASELINE)
    seeds = [replication_seed(0, i) for i in range(n)]
    run(s, seeds[0], keep_trace=False)  # warm caches
    mix_full = count_events(lambda: [run(s, q, keep_trace=False) for q in seeds])
    mix_h0 = count_events(lambda: [run(s, q, keep_trace=False, until_h=0.0) for q in seeds])
    per_rep = sum(mix_full.values()) / n
    mix = {k: round(v / n) for k, v in mix_full.items()}
    bare = bare_model(mix)
    bare_mix = count_events(bare)
    bare_events = sum(bare_mix.values())
    say(f"engine event mix per replication: {', '.join(f'{k} {v / n:.1f}' for k, v in sorted(mix_full.items()))} "
        f"= {per_rep:.1f} ({sum(mix_h0.values()) / n:.0f} of them by H+0)")
    say(f"bare SimPy model of that mix:     {', '.join(f'{k} {v}' for k, v in sorted(bare_mix.items()))} "
        f"= {bare_events}")
    f_run, f_h0 = Figure("us_per_run", "us"), Figure("setup_us", "us")
    f_ev, f_sp, f_ratio = (Figure("us_per_event_engine", "us", 2), Figure("us_per_event_simpy", "us", 2),
                           Figure("per_event_ratio", "x", 2))
    for _ in range(rounds):  # paired: the three measurements of a round run back to back
        t = time.process_time()
        for q in seeds:
            run(s, q, keep_trace=False)
        full = (time.process_time() - t) / n * 1e6
        t = time.process_time()
        for q in seeds:
            run(s, q, keep_trace=False, until_h=0.0)
        zero = (time.process_time() - t) / n * 1e6
        t = time.process_time()
        for _ in range(n):
            bare()
        simpy_us = (time.process_time() - t) / n * 1e6 / bare_events
        f_run.add(full)
        f_h0.add(zero)
        f_ev.add(full / per_rep)
        f_sp.add(simpy_us)
        f_ratio.add(full / per_rep / simpy_us)
    for f in (f_run, f_h0, f_ev, f_sp, f_ratio):
        say(f.line())
    gc_figures = engine_gc_rounds(rounds, s, seeds)
    return {"figures": [f_run, f_h0, f_ev, f_sp, f_ratio], "events_per_rep": per_rep, "gc": gc_figures}


def engine_gc_rounds(rounds: int, s: Any, seeds: list[Any]) -> dict[str, Figure]:
    """The garbage collector's part of a run: its CPU per run under this process's settings (timed by
    ``gc.callbacks``), and the run's CPU with the settings a batch worker uses
    (``sim.batch.replicate.tune_worker_gc``: collect, freeze, a higher threshold), restored after."""
    import gc

    from sim import run
    from sim.batch.replicate import worker_gc

    f_gc, f_wrun, f_wh0 = (Figure("gc_us_per_run", "us"), Figure("us_per_run_worker_gc", "us"),
                           Figure("setup_us_worker_gc", "us"))
    spent = [0.0, 0.0]

    def timed(phase: str, _: dict[str, Any]) -> None:
        if phase == "start":
            spent[1] = time.process_time()
        else:
            spent[0] += time.process_time() - spent[1]

    n = len(seeds)
    threshold = gc.get_threshold()
    for _ in range(rounds):
        spent[0] = 0.0
        gc.callbacks.append(timed)
        try:
            for q in seeds:
                run(s, q, keep_trace=False)
        finally:
            gc.callbacks.remove(timed)
        f_gc.add(spent[0] / n * 1e6)
        worker_gc()
        try:
            t = time.process_time()
            for q in seeds:
                run(s, q, keep_trace=False)
            f_wrun.add((time.process_time() - t) / n * 1e6)
            t = time.process_time()
            for q in seeds:
                run(s, q, keep_trace=False, until_h=0.0)
            f_wh0.add((time.process_time() - t) / n * 1e6)
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()
    for f in (f_gc, f_wrun, f_wh0):
        say(f.line())
    return {"gc_us_per_run": f_gc, "us_per_run_worker_gc": f_wrun, "setup_us_worker_gc": f_wh0}


def engine_child(n: int, baseline: Path = BASELINE) -> None:
    """In a fresh process: CPU microseconds per run of ``baseline``, full and stopped at H+0 (the best of 3
    passes of ``n`` replications each), and the SimPy events per replication, as JSON."""
    from sim import load_scenario, run
    from sim.batch.seeds import replication_seed

    s = load_scenario(baseline)
    seeds = [replication_seed(0, i) for i in range(n)]
    events = sum(count_events(lambda: [run(s, q, keep_trace=False) for q in seeds]).values()) / n
    out: dict[str, float] = {"events_per_rep": events}
    for key, until in (("us_per_run", None), ("setup_us", 0.0)):
        passes = []
        for _ in range(3):
            t = time.process_time()
            for q in seeds:
                run(s, q, keep_trace=False, until_h=until)
            passes.append((time.process_time() - t) / n * 1e6)
        out[key] = min(passes)
    print(json.dumps(out))


def against(other: Path, rounds: int, n: int) -> None:
    """This checkout's engine against ``other``'s: fresh processes, alternately, each with its own code and
    its own baseline scenario (so an earlier commit's figure is the cost of the baseline as it was then)."""
    here, there = ROOT, other.resolve()
    say(f"engine: {here} against {there}, {rounds} rounds of {n} baseline replications, load {load():.2f}")
    got: dict[Path, list[dict[str, float]]] = {here: [], there: []}
    for _ in range(rounds):
        for root in (there, here):
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--engine-child", str(n),
                                  "--baseline", str(root / "scenarios" / BASELINE.name)],
                                 check=True, capture_output=True, text=True, cwd=root,
                                 env={**os.environ, "PYTHONPATH": str(root)})
            got[root].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for key in ("us_per_run", "setup_us", "events_per_rep"):
        f = Figure(f"{key} ratio", "x", 3)
        for a_, b_ in zip(got[here], got[there], strict=True):
            f.add(a_[key] / b_[key])
        say(f"  {key:<15} here {statistics.median(r[key] for r in got[here]):8.1f}, there "
            f"{statistics.median(r[key] for r in got[there]):8.1f};" + f.line())


def hotspots(reps: int, top: int = 8) -> str:
    from sim import load_scenario, run

    s = load_scenario(BASELINE)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(reps):
        run(s, i, keep_trace=False)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:])


# --- batches -----------------------------------------------------------------------------------------
def batch_wall(reps: int, workers: int) -> float:
    from sim.batch import run_batch

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        run_batch(BASELINE, reps, 1, workers=workers, db=Path(d) / "bench.db")
        return time.perf_counter() - t


def child(reps: int, workers: int, chunk: int, cluster: str) -> None:
    """In a fresh process: one batch; print its wall time, main-process CPU, peak RSS, db size as JSON."""
    from sim.batch import run_batch

    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "bench.db"
        c0, k0, t = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        run_batch(BASELINE, reps, 2, workers=workers, db=db, chunk=chunk or None, cluster=cluster or None)
        wall, main = time.perf_counter() - t, time.process_time() - c0
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        size = sum(p.stat().st_size for p in Path(d).iterdir() if p.name.startswith("bench.db"))
    print(json.dumps({"wall": wall, "main_cpu": main, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      / 1024, "db_bytes": size, "workers_cpu": (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)}))


def fresh(reps: int, workers: int = 2, chunk: int = 0, cluster: str = "") -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(reps), str(workers), str(chunk), cluster or "-"],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    got: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


def cluster_host() -> None:
    """In a fresh process: a Dask LocalCluster (2 worker processes, 1 thread each); print its address
    and the scheduler's pid, and keep it up until stdin closes."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cl:
        print(json.dumps({"address": cl.scheduler_address, "pid": os.getpid()}), flush=True)
        sys.stdin.read()


def proc_cpu(pid: int) -> float:
    try:
        import psutil
    except ImportError:
        return math.nan
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)


# --- scale on paper -----------------------------------------------------------------------------------
def predict(reps: int, workers: int, cost: float, main_rep: float, main_task: float, worker_task: float,
            sched_task: float | None) -> dict[str, Any]:
    """Predicted efficiency of a batch of ``reps`` on ``workers``, chunked as the runner chunks it.

    Work: reps x cost (+ worker_task per task) spread over the workers, plus the last chunk's tail;
    the main process does main_rep per replication and main_task per task, one after the other; a
    Dask scheduler sched_task per task. The batch takes the longest of the three."""
    from sim.batch.runner import Chunker

    ch = Chunker(workers)
    ch.cpu, ch.reps = cost, 1
    sizes, left = [], reps
    while left:
        n = min(left, ch.size(left))
        sizes.append(n)
        left -= n
    tasks = len(sizes)
    t_workers = (reps * cost + tasks * worker_task) / workers + sizes[-1] * cost
    t_main = reps * main_rep + tasks * main_task
    t_sched = tasks * sched_task if sched_task is not None else 0.0
    limits = {"workers": t_workers, "main process": t_main, "scheduler": t_sched}
    bound = max(limits, key=lambda k: limits[k])
    return {"chunk": sizes[0], "tasks": tasks, "efficiency": reps * cost / (workers * limits[bound]), "limit": bound,
            "max_workers_main": cost / main_rep if main_rep > 0 else math.inf}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="paired rounds per figure (at least 5)")
    ap.add_argument("--quick", action="store_true", help="smaller runs (figures noisier; the 10k batch becomes 3k)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask comparison")
    ap.add_argument("--against", metavar="DIR", type=Path,
                    help="only the engine: this checkout against another (a worktree of an earlier commit), in fresh "
                         "processes alternately, and the per-round ratios")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--engine-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--baseline", type=Path, default=BASELINE, help=argparse.SUPPRESS)
    ap.add_argument("--cluster-host", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.engine_child:
        engine_child(a.engine_child, a.baseline)
        return
    if a.against:
        against(a.against, max(5, a.rounds), 60 if a.quick else 150)
        return
    if a.child:
        child(int(a.child[0]), int(a.child[1]), int(a.child[2]), "" if a.child[3] == "-" else a.child[3])
        return
    if a.cluster_host:
        cluster_host()
        return
    rounds = max(5, a.rounds)
    big = 3000 if a.quick else 10_000
    rate_reps = 400 if a.quick else 1000
    dask_reps = 1000 if a.quick else 3000
    n_engine = 60 if a.quick else 150
    load0 = os.getloadavg()
    t_start = time.perf_counter()
    say(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, load average {load0[0]:.2f} {load0[1]:.2f} "
        f"{load0[2]:.2f} at start" + (" (the machine is busy: absolute figures are slow and noisy; the paired "
                                       "ratios less so)" if load0[0] > 0.5 else ""))
    say(f"each figure: median of {rounds} paired rounds (min, max; the 1-minute load average over its rounds)")

    say(f"\nengine against bare SimPy ({n_engine} baseline replications per round, CPU time, same process):")
    eng = engine_rounds(rounds, n_engine)
    f_run, f_h0, f_ev, f_sp, f_ratio = eng["figures"]
    say("engine hotspots (cProfile, tottime, one pass):\n" + hotspots(n_engine))

    say(f"\nbatches of {rate_reps} replications, results store on, 1 and 2 workers alternately (wall):")
    f_eff = Figure("efficiency_2w", "", 3)
    f_r1, f_r2 = Figure("reps_per_s_1w", "reps/s"), Figure("reps_per_s_2w", "reps/s")
    for _ in range(rounds):
        w1 = batch_wall(rate_reps, 1)
        w2 = batch_wall(rate_reps, 2)
        f_r1.add(rate_reps / w1)
        f_r2.add(rate_reps / w2)
        f_eff.add(w1 / (2 * w2))
    for f in (f_r1, f_r2, f_eff):
        say(f.line())

    say(f"\nfresh processes, 2 workers, results store on: 1,000 and {big:,} replications alternately:")
    f_rss1, f_rss10 = Figure("rss_mb_1k", "MB"), Figure(f"rss_mb_{big // 1000}k", "MB")
    f_secs, f_main, f_db = Figure(f"secs_{big // 1000}k_2w", "s", 2), Figure("main_us_per_rep", "us"), \
        Figure("db_bytes_per_rep", "B", 0)
    slopes, fixed = [], []
    for _ in range(rounds):
        k1 = fresh(1000)
        k10 = fresh(big)
        f_rss1.add(k1["rss_mb"])
        f_rss10.add(k10["rss_mb"])
        f_secs.add(k10["wall"])
        f_main.add(k10["main_cpu"] / big * 1e6)
        f_db.add(k10["db_bytes"] / big)
        slope = (k10["main_cpu"] - k1["main_cpu"]) / (big - 1000)
        slopes.append(slope)
        fixed.append(k1["main_cpu"] - 1000 * slope)
    for f in (f_rss1, f_rss10, f_secs, f_main, f_db):
        say(f.line())
    main_rep, main_fixed = statistics.median(slopes), statistics.median(fixed)
    say(f"  main process: {main_rep * 1e6:.1f} us per replication + {main_fixed * 1e3:.0f} ms per batch (scenario "
        f"loading, pool start), from the 1k/10k pairs")

    n_ov = 120 if a.quick else 240
    say(f"\nper-task overhead: {n_ov} replications in chunks of 1 and in 2 chunks, fresh processes, 2 workers:")
    main_task, worker_task = [], []
    for _ in range(rounds):
        one = fresh(n_ov, chunk=1)
        two = fresh(n_ov, chunk=n_ov // 2)
        main_task.append((one["main_cpu"] - two["main_cpu"]) / (n_ov - 2))
        worker_task.append((one["workers_cpu"] - two["workers_cpu"]) / (n_ov - 2))
    o_main, o_worker = statistics.median(main_task), max(0.0, statistics.median(worker_task))
    say(f"  main process {o_main * 1e6:.0f} us per task (min {min(main_task) * 1e6:.0f}, max "
        f"{max(main_task) * 1e6:.0f}); workers {o_worker * 1e6:.0f} us per task (min {min(worker_task) * 1e6:.0f}, "
        f"max {max(worker_task) * 1e6:.0f})")

    dask_ratio: float | None = None
    o_sched: float | None = None
    try:
        import distributed  # noqa: F401
        have_dask = not a.no_dask
    except ImportError:
        have_dask = False
        say("\nDask: not installed (extra 'cluster'); dask_vs_pool is null")
    if have_dask:
        host = subprocess.Popen([sys.executable, __file__, "--cluster-host"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        try:
            info = json.loads(host.stdout.readline())  # type: ignore[union-attr]
            addr, pid = info["address"], int(info["pid"])
            fresh(50, cluster=addr)  # the workers import the engine once
            say(f"\nDask LocalCluster (2 worker processes, 1 thread each) against the pool (2 workers), "
                f"{dask_reps} replications, each batch in a fresh process, alternately (wall):")
            f_dask = Figure("dask_vs_pool", "x", 3)
            f_pw, f_dw = Figure("pool_secs", "s", 2), Figure("dask_secs", "s", 2)
            sched = []
            c0, t0 = proc_cpu(pid), time.perf_counter()
            time.sleep(3)  # the scheduler's CPU when idle (heartbeats, nannies' checks), per second
            idle = (proc_cpu(pid) - c0) / (time.perf_counter() - t0)
            for _ in range(rounds):
                p = fresh(dask_reps)
                d = fresh(dask_reps, cluster=addr)
                f_pw.add(p["wall"])
                f_dw.add(d["wall"])
                f_dask.add(d["wall"] / p["wall"])
                c0, t0 = proc_cpu(pid), time.perf_counter()
                fresh(n_ov, chunk=1, cluster=addr)
                c1, t1 = proc_cpu(pid), time.perf_counter()
                fresh(n_ov, chunk=n_ov // 2, cluster=addr)
                c2, t2 = proc_cpu(pid), time.perf_counter()
                busy_one, busy_two = (c1 - c0) - idle * (t1 - t0), (c2 - c1) - idle * (t2 - t1)
                sched.append((busy_one - busy_two) / (n_ov - 2))
            for f in (f_pw, f_dw, f_dask):
                say(f.line())
            dask_ratio = f_dask.median
            if not any(math.isnan(x) for x in sched):
                o_sched = max(0.0, statistics.median(sched))
                say(f"  scheduler process {o_sched * 1e6:.0f} us of CPU per task (min {min(sched) * 1e6:.0f}, max "
                    f"{max(sched) * 1e6:.0f}), beyond its {idle * 1e3:.0f} ms per second when idle")
        finally:
            host.stdin.close()  # type: ignore[union-attr]
            host.wait(timeout=60)

    cost = f_run.median / 1e6
    say(f"\nscale on paper: {big:,} and 1,000,000 replications at {cost * 1e3:.2f} ms each; main process "
        f"{main_rep * 1e6:.1f} us per replication and {o_main * 1e6:.0f} us per task; workers {o_worker * 1e6:.0f} us "
        f"per task" + (f"; Dask scheduler {o_sched * 1e6:.0f} us per task" if o_sched is not None else ""))
    scale: dict[str, Any] = {}
    for reps in (big, 1_000_000):
        for w in (2, *SCALE_WORKERS):
            pool = predict(reps, w, cost, main_rep, o_main, o_worker, None)
            dask = predict(reps, w, cost, main_rep, o_main, o_worker, o_sched) if o_sched is not None else None
            say(f"  {reps:>9,} reps, {w:>3} workers: chunks of {pool['chunk']:>4} ({pool['tasks']:>4} tasks): "
                f"efficiency {pool['efficiency']:.2f} (limit: {pool['limit']})"
                + (f"; Dask {dask['efficiency']:.2f} (limit: {dask['limit']})" if dask else ""))
            if reps == big and w in SCALE_WORKERS:
                scale[str(w)] = round(pool["efficiency"], 3)
    say(f"  the main process is the limit beyond about {cost / main_rep:.0f} workers (a replication's "
        f"{cost * 1e6:.0f} us of work / its {main_rep * 1e6:.1f} us in the main process)"
        + (f"; a Dask scheduler at {o_sched * 1e6:.0f} us per task of {pool['chunk']} replications allows "
           f"{pool['chunk'] * cost / o_sched:.0f} workers" if o_sched else ""))
    say(f"\nbenchmark took {time.perf_counter() - t_start:.0f} s; load average now {load():.2f}")

    print(json.dumps({
        "us_per_run": round(f_run.median),
        "events_per_rep": round(eng["events_per_rep"], 1),
        "us_per_event_engine": round(f_ev.median, 3),
        "us_per_event_simpy": round(f_sp.median, 3),
        "per_event_ratio": round(f_ratio.median, 2),
        "setup_us": round(f_h0.median),
        **{k: round(f.median) for k, f in eng["gc"].items()},
        "main_us_per_rep": round(f_main.median, 1),
        "efficiency_2w": round(f_eff.median, 3),
        "db_bytes_per_rep": round(f_db.median),
        "dask_vs_pool": round(dask_ratio, 3) if dask_ratio is not None else None,
        "rss_mb_1k": round(f_rss1.median, 1),
        "rss_mb_10k": round(f_rss10.median, 1),
        "secs_10k_2w": round(f_secs.median, 2),
        "reps_10k": big,
        "predicted_efficiency": scale,
        "rounds": rounds,
        "load_avg": [round(load0[0], 2), round(statistics.median(f_run.loads + f_eff.loads + f_main.loads), 2)],
    }))


if __name__ == "__main__":
    main()
