"""Byte-identity of the engine's output: this checkout against another (a script, not a test).

    python benchmarks/identity.py --against ../main [--seeds 50] [--reps 200]

For every shipped scenario (``scenarios/*.yaml`` of each checkout: each runs its own files),
hashes (SHA-256) the JSON of the full trace and result of seeds 0..N-1, the results of the same
runs without a trace (what a batch's workers store), a run stopped at H+24 (a workshop's turn),
and the summary of a ``run_batch`` of ``--reps`` replications (seed 7, this process). Each
checkout is hashed in a fresh interpreter with its own code on ``PYTHONPATH``; the script prints
one line per scenario and exits 1 if any digest differs. An engine change that claims
"results unchanged" runs this against the revision before it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def digests(root: Path, seeds: int, reps: int) -> dict[str, dict[str, str]]:
    """Digests of ``root``'s shipped scenarios, computed with the code already imported."""
    from sim.batch.runner import run_batch
    from sim.engine.run import run
    from sim.scenario.load import load_scenario

    out: dict[str, dict[str, str]] = {}
    for path in sorted((root / "scenarios").glob("*.yaml")):
        s = load_scenario(path)
        traces, results = hashlib.sha256(), hashlib.sha256()
        for seed in range(seeds):
            traces.update(run(s, seed).to_json().encode())
            results.update(run(s, seed, keep_trace=False).to_json(trace=False).encode())
        traces.update(run(s, 3, until_h=24.0).to_json().encode())
        batch = hashlib.sha256(run_batch(s, reps, seed=7).to_json().encode()) if reps else None
        out[path.stem] = {"traces": traces.hexdigest()[:16], "results": results.hexdigest()[:16],
                          "batch": batch.hexdigest()[:16] if batch else "-"}
    return out


def in_child(root: Path, seeds: int, reps: int) -> dict[str, dict[str, str]]:
    got = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(root), str(seeds), str(reps)],
                         check=True, capture_output=True, text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    result: dict[str, dict[str, str]] = json.loads(got.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", type=Path, metavar="DIR", help="the other checkout (e.g. ../main)")
    ap.add_argument("--seeds", type=int, default=50, help="seeds per scenario (default 50)")
    ap.add_argument("--reps", type=int, default=200, help="replications of the batch per scenario (0: none)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(digests(Path(a.child[0]), int(a.child[1]), int(a.child[2]))))
        return 0
    here = in_child(ROOT, a.seeds, a.reps)
    if a.against is None:
        for name, d in here.items():
            print(f"{name:<22} traces {d['traces']}  results {d['results']}  batch {d['batch']}")
        return 0
    there = in_child(a.against.resolve(), a.seeds, a.reps)
    bad = 0
    for name in sorted(set(here) | set(there)):
        h, t = here.get(name), there.get(name)
        same = h == t
        bad += not same
        print(f"{name:<22} {'identical' if same else 'DIFFERENT'}  here {h}  there {t}")
    print(f"{len(here)} scenarios x {a.seeds} seeds + batch of {a.reps}: "
          f"{'all byte-identical' if not bad else f'{bad} differ'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
