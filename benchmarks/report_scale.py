"""``crisis-sim report`` at scale: wall time and peak memory, this tree against an earlier revision.

    python benchmarks/report_scale.py --before-rev aea766d --reps 2000 --rounds 3 --big 20000

Each round runs the report of the baseline scenario once with each tree (in alternating order, so
drift in the machine's load falls on both), in a fresh interpreter as a user would, and the
figures are the medians over the rounds with their spread (min-max), and the median of the
per-round ratios (after / before), of wall time and of the CPU seconds of all the report's
processes (which a loaded machine disturbs less than the wall time). Peak memory is read in the process that ran the report with
``resource.getrusage``: its own peak RSS, and its children's (the pool's workers; the largest
of them), whose sum main + workers x worker counts the pages the forked workers share with the
main process once per process; and the peak of the summed proportional set size (PSS, from
``/proc/PID/smaps_rollup``, sampled every 50 ms by this script over the process and its descendants), which counts
shared pages once: the memory the report really takes. The timed rounds are not sampled: a sample
takes about 10 ms of CPU, some 15 % of a core, which a report using both cores would lose and a
one-process report, leaving a core idle, would not. PSS is read in one more run of each tree,
after the rounds. The last line is one JSON object with every figure.

``--big N`` (default 20,000, 0 to skip) runs one report of N replications with this tree only and
prints its wall time and peak memory (the issue's target: under 400 MB).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/nato-response-2022.yaml"

RUNNER = r"""
import json, resource, sys, time
from sim.cli.app import main
t0 = time.perf_counter()
try:
    sys.argv = ["crisis-sim"] + sys.argv[1:]
    main()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
wall = time.perf_counter() - t0
own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print("BENCH " + json.dumps({"in_process_s": wall, "main_mb": own.ru_maxrss / 1024, "worker_mb": children.ru_maxrss / 1024,
                             "main_cpu_s": own.ru_utime + own.ru_stime,
                             "cpu_s": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime}))
"""


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the pool's workers, a forkserver's children), from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def tree_of(rev: str, into: Path) -> Path:
    """The source tree of git revision ``rev`` (``git archive``), unpacked in ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def one(tree: Path, reps: int, workers: int, out: Path, sample: bool = False) -> dict[str, float]:
    """One report in a fresh interpreter with ``tree`` on the path: wall seconds (interpreter start
    included) and peak memory (``sample``: the peak PSS too, sampled from here, which costs CPU)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "SOURCE_DATE_EPOCH": "1700000000"}
    args = [sys.executable, "-c", RUNNER, "report", SCENARIO, "--reps", str(reps), "--workers", str(workers),
            "--out", str(out), "--format", "html,md"]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        proc = subprocess.Popen(args, cwd=tree, env=env, stdout=so, stderr=se, text=True)
        peak = 0
        while sample and proc.poll() is None:   # sampled from here: a thread in the report would change its pool's start
            peak = max(peak, sum(pss_kb(p) for p in process_tree(proc.pid)))
            time.sleep(0.05)
        proc.wait()
        wall = time.perf_counter() - t0
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read(), se.read()
    if proc.returncode != 0:
        raise SystemExit(f"report failed in {tree}:\n{stderr[-2000:]}")
    line = next(x for x in stdout.splitlines() if x.startswith("BENCH "))
    got = json.loads(line[len("BENCH "):])
    got["wall_s"] = wall
    got["pss_mb"] = peak / 1024
    got["total_mb_bound"] = got["main_mb"] + workers * got["worker_mb"]
    return got


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before-rev", default="", help="git revision to compare with (e.g. the commit before this work)")
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="this tree's --workers")
    ap.add_argument("--big", type=int, default=20000, help="replications of the memory run (0: skip it)")
    a = ap.parse_args()
    result: dict[str, float | int | str] = {"reps": a.reps, "workers": a.workers, "rounds": a.rounds}
    with tempfile.TemporaryDirectory(prefix="report-scale-") as tmp:
        before = tree_of(a.before_rev, Path(tmp) / "before") if a.before_rev else None
        print(f"machine: {os.cpu_count()} cores, load {load()}")
        rows: dict[str, list[dict[str, float]]] = {"after": [], "before": []}
        for r in range(a.rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for which in order:
                if which == "before" and before is None:
                    continue
                tree = ROOT if which == "after" else before
                assert tree is not None
                got = one(tree, a.reps, a.workers, Path(tmp) / f"{which}-{r}")
                rows[which].append(got)
                print(f"round {r + 1} {which:6}: {got['wall_s']:6.2f} s wall, {got['cpu_s']:.1f} s CPU (main "
                      f"{got['main_cpu_s']:.1f} s), main {got['main_mb']:.0f} MB, "
                      f"workers {got['worker_mb']:.0f} MB each (load {load()})")
        pss: dict[str, float] = {}
        for which, tree in (("after", ROOT), ("before", before)):
            if tree is not None:   # the memory the report really takes: one more run each, sampled
                pss[which] = one(tree, a.reps, a.workers, Path(tmp) / f"{which}-pss", sample=True)["pss_mb"]
                print(f"{which:6} report --reps {a.reps}: peak PSS {pss[which]:.0f} MB (a run sampled for it)")
        for which, got in rows.items():
            if got:
                print(f"{which:6} report --reps {a.reps}: wall {spread([g['wall_s'] for g in got])} s; peak main "
                      f"{spread([g['main_mb'] for g in got])} MB, worker {spread([g['worker_mb'] for g in got])} MB")
                result[f"{which}_wall_s"] = round(statistics.median(g["wall_s"] for g in got), 2)
                result[f"{which}_cpu_s"] = round(statistics.median(g["cpu_s"] for g in got), 2)
                result[f"{which}_main_cpu_s"] = round(statistics.median(g["main_cpu_s"] for g in got), 2)
                result[f"{which}_main_mb"] = round(statistics.median(g["main_mb"] for g in got), 1)
                result[f"{which}_total_mb_bound"] = round(statistics.median(g["total_mb_bound"] for g in got), 1)
                result[f"{which}_pss_mb"] = round(pss[which], 1)
        if rows["before"]:
            ratios = [x["wall_s"] / y["wall_s"] for x, y in zip(rows["after"], rows["before"], strict=True)]
            print(f"after / before wall, per round: {spread(ratios)} (target: at most 0.5)")
            result["wall_ratio"] = round(statistics.median(ratios), 3)
            cpu = [x["cpu_s"] / y["cpu_s"] for x, y in zip(rows["after"], rows["before"], strict=True)]
            print(f"after / before CPU seconds (all processes), per round: {spread(cpu)}")
            result["cpu_ratio"] = round(statistics.median(cpu), 3)
        if a.big:
            got = one(ROOT, a.big, a.workers, Path(tmp) / "big", sample=True)
            print(f"report --reps {a.big}: {got['wall_s']:.1f} s wall, peak main {got['main_mb']:.0f} MB, workers "
                  f"{got['worker_mb']:.0f} MB each (RSS, shared pages counted in each: {got['total_mb_bound']:.0f} MB); "
                  f"peak PSS of all {got['pss_mb']:.0f} MB (target: under 400)")
            result.update({"big_reps": a.big, "big_wall_s": round(got["wall_s"], 1),
                           "big_main_mb": round(got["main_mb"], 1), "big_worker_mb": round(got["worker_mb"], 1),
                           "big_total_mb_bound": round(got["total_mb_bound"], 1), "big_pss_mb": round(got["pss_mb"], 1)})
    result["load"] = load()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
