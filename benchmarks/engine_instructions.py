"""Instructions per replication of the engine, this checkout against another (a script, not a test).

    python benchmarks/engine_instructions.py --against /work/ref [--runs 100]

Counts the instructions (valgrind's cachegrind, ``--cache-sim=no``) of a fresh interpreter that runs
``--runs`` replications of the baseline scenario without their trace (what a report's or a batch's
workers run: ``Job(s, 0).run(i, keep_trace=False)``), less those of one that runs none (the imports
and the scenario's load), for each checkout with its own code on ``PYTHONPATH``. The count does not
drift with the machine's load as CPU time does (on a shared machine paired timed rounds can differ by
30 % minute to minute), so a change of a few per cent shows; it is a proxy for CPU time, not a
measure of it: confirm a gain with ``benchmarks/bench.py --against``. Needs valgrind on PATH.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "scenarios/nato-response-2022.yaml"
CHILD = """
import sys
from sim.report.montecarlo import Job
from sim.scenario.load import load_scenario
job = Job(load_scenario(sys.argv[1]), 0)
for i in range(int(sys.argv[2])):
    job.run(i, keep_trace=False)
"""


def instructions(root: Path, runs: int) -> int:
    """Instructions of a fresh interpreter running ``runs`` replications with ``root``'s code."""
    got = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          sys.executable, "-c", CHILD, str(root / BASELINE), str(runs)],
                         check=True, capture_output=True, text=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"})
    m = re.search(r"I\s+refs:\s+([\d,]+)", got.stderr)
    if m is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{got.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def per_run(root: Path, runs: int) -> float:
    with ThreadPoolExecutor(2) as pool:  # the two counts at once (each is one process)
        full, empty = pool.map(lambda n: instructions(root, n), (runs, 0))
    return (full - empty) / runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", type=Path, metavar="DIR", help="the other checkout (e.g. a worktree of an earlier commit)")
    ap.add_argument("--runs", type=int, default=100, help="replications per count (default 100)")
    a = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not on PATH", file=sys.stderr)
        return 2
    here = per_run(ROOT, a.runs)
    print(f"here  {ROOT}: {here / 1e6:.3f} M instructions a replication ({a.runs} runs)")
    if a.against is not None:
        there = per_run(a.against.resolve(), a.runs)
        print(f"there {a.against.resolve()}: {there / 1e6:.3f} M instructions a replication")
        print(f"ratio here / there: {here / there:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
