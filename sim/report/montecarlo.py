"""The one door to Monte Carlo batches for the report: replications with their traces,
summarised by ``sim.batch`` exactly as ``crisis-sim batch`` summarises them.

The report needs every replication's trace for its "why" analysis, so replications are
run here with ``keep_trace=True``, seeded as the batch seeds them; the summary has the shape
of one point of ``BatchSummary.to_dict()``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..batch.replicate import replication_row
from ..batch.seeds import replication_seed, replication_seeds
from ..batch.stats import PointStats
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Inject, Scenario


@dataclass
class Replications:
    """A batch of runs of one scenario with their traces. ``indices``: each result's replication index
    (its stream is ``replication_seed(seed, index)``); empty means 0, 1, 2, ... in order."""

    scenario: Scenario
    seed: int
    results: list[Result] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)

    @property
    def reps(self) -> int:
        return len(self.results)

    def replication_indices(self) -> list[int]:
        return list(self.indices) if self.indices else list(range(len(self.results)))

    def metric_values(self, name: str) -> list[float | None]:
        return [r.metrics.get(name) for r in self.results]

    def met(self, oid: str) -> list[bool]:
        return [r.objectives[oid].met for r in self.results]


def replicate(scenario: Scenario, reps: int, seed: int = 0, decisions: Any = None,
              progress: Callable[[int, int], None] | None = None, indices: list[int] | None = None,
              extra_injects: Sequence[tuple[str, Inject, float]] = ()) -> Replications:
    """Run ``reps`` replications seeded by spawning ``SeedSequence(seed)`` (or the replications
    ``indices``, when given: the same streams as a batch's replications of those indices);
    ``decisions`` and ``extra_injects`` as :func:`sim.engine.run.run` takes them (a workshop's path);
    ``progress(done, total)`` is called after each."""
    if indices is not None and indices != list(range(len(indices))):
        out = Replications(scenario, seed, indices=list(indices))
        seeds = [replication_seed(seed, i) for i in indices]
    else:
        out = Replications(scenario, seed)
        seeds = replication_seeds(seed, reps if indices is None else len(indices))
    for k, ss in enumerate(seeds, start=1):
        out.results.append(run(scenario, ss, decisions, keep_trace=True, extra_injects=extra_injects))
        if progress is not None:
            progress(k, len(seeds))
    return out


def summarise(reps: Replications, metrics: list[str] | None = None) -> dict[str, Any]:
    """One batch point: {"reps", "metrics": {name: stats}, "objectives": {id: odds}}, from the batch
    package's ``PointStats`` fed in replication order."""
    return summarise_rows([replication_row(0, i, r) for i, r in enumerate(reps.results)],
                          {oid: o.title for oid, o in reps.scenario.objectives.items()}, metrics)


def summarise_rows(rows: list[dict[str, Any]], titles: dict[str, str],
                   metrics: list[str] | None = None) -> dict[str, Any]:
    """The batch package's summary of replication rows (``{"metrics", "objectives"}`` each)."""
    ps = PointStats(titles)
    for row in rows:
        ps.add(row)
    d = ps.summary()
    if metrics is not None:
        d["metrics"] = {k: v for k, v in d["metrics"].items() if k in set(metrics)}
    return d
