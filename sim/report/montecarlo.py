"""The one door to Monte Carlo batches: replications with their traces, summarised as ``sim.batch`` does.

Uses ``sim.batch`` (seeds, Wilson interval) when it is importable; otherwise runs the
replications itself with ``run(scenario, SeedSequence(seed).spawn(n)[i])``, the same seeding.
The report needs every replication's trace for its "why" analysis, so replications are
always run here with ``keep_trace=True``; the summary has the shape of one point of
``BatchSummary.to_dict()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Scenario
from . import stats

try:  # the batch package, when it has landed
    from ..batch.seeds import replication_seeds as _batch_seeds
except Exception:  # pragma: no cover - depends on what is installed
    _batch_seeds = None
try:
    from ..batch.stats import wilson_interval as _batch_wilson
    from ..batch.stats import PointStats as _PointStats
    from ..batch.replicate import replication_row as _row
except Exception:  # pragma: no cover
    _batch_wilson = _PointStats = _row = None


def replication_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    if _batch_seeds is not None:
        return list(_batch_seeds(seed, n))
    return np.random.SeedSequence(seed).spawn(n)


def wilson(k: int, n: int) -> tuple[float, float]:
    if _batch_wilson is not None:
        return tuple(float(x) for x in _batch_wilson(k, n, z=1.96))
    return stats.wilson_interval(k, n, 1.96)


@dataclass
class Replications:
    """A batch of runs of one scenario with their traces."""

    scenario: Scenario
    seed: int
    results: list[Result] = field(default_factory=list)

    @property
    def reps(self) -> int:
        return len(self.results)

    def metric_values(self, name: str) -> list[float | None]:
        return [r.metrics.get(name) for r in self.results]

    def met(self, oid: str) -> list[bool]:
        return [r.objectives[oid].met for r in self.results]


def replicate(scenario: Scenario, reps: int, seed: int = 0, decisions=None) -> Replications:
    """Run ``reps`` replications seeded by spawning ``SeedSequence(seed)``."""
    out = Replications(scenario, seed)
    for ss in replication_seeds(seed, reps):
        out.results.append(run(scenario, ss, decisions, keep_trace=True))
    return out


def summarise(reps: Replications, metrics: list[str] | None = None) -> dict:
    """One batch point: {"reps", "metrics": {name: describe}, "objectives": {id: proportion}}.

    With ``sim.batch`` importable the numbers come from its ``PointStats`` fed in replication
    order, exactly as ``crisis-sim batch`` computes them.
    """
    if _PointStats is not None and reps.results:
        return summarise_rows([_row(0, i, r) for i, r in enumerate(reps.results)],
                              {oid: o.title for oid, o in reps.scenario.objectives.items()}, metrics)
    names = metrics if metrics is not None else sorted(reps.results[0].metrics) if reps.results else []
    out = {"reps": reps.reps, "metrics": {}, "objectives": {}}
    for name in names:
        out["metrics"][name] = stats.describe(reps.metric_values(name))
    for oid, obj in reps.scenario.objectives.items():
        flags = reps.met(oid)
        k, n = sum(flags), len(flags)
        lo, hi = wilson(k, n)
        out["objectives"][oid] = {"title": obj.title, "n": n, "successes": k, "p": (k / n) if n else None,
                                  "ci_low": lo, "ci_high": hi}
    return out


def summarise_rows(rows: list[dict], titles: dict[str, str], metrics: list[str] | None = None) -> dict:
    """The batch package's summary of replication rows (``{"metrics", "objectives"}`` each)."""
    ps = _PointStats(titles)
    for row in rows:
        ps.add(row)
    d = ps.summary()
    if metrics is not None:
        d["metrics"] = {k: v for k, v in d["metrics"].items() if k in set(metrics)}
    return d
