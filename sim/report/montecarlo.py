"""The one door to Monte Carlo batches for the report: replications with their traces,
summarised by ``sim.batch`` exactly as ``crisis-sim batch`` summarises them.

The report needs every replication's trace for its "why" analysis, so replications are
run here with ``keep_trace=True``, seeded as the batch seeds them; the summary has the shape
of one point of ``BatchSummary.to_dict()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..batch.replicate import replication_row
from ..batch.seeds import replication_seeds
from ..batch.stats import PointStats
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Scenario


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


def replicate(scenario: Scenario, reps: int, seed: int = 0, decisions=None, progress=None) -> Replications:
    """Run ``reps`` replications seeded by spawning ``SeedSequence(seed)``; ``progress(done, total)``
    is called after each."""
    out = Replications(scenario, seed)
    for i, ss in enumerate(replication_seeds(seed, reps), start=1):
        out.results.append(run(scenario, ss, decisions, keep_trace=True))
        if progress is not None:
            progress(i, reps)
    return out


def summarise(reps: Replications, metrics: list[str] | None = None) -> dict:
    """One batch point: {"reps", "metrics": {name: stats}, "objectives": {id: odds}}, from the batch
    package's ``PointStats`` fed in replication order."""
    return summarise_rows([replication_row(0, i, r) for i, r in enumerate(reps.results)],
                          {oid: o.title for oid, o in reps.scenario.objectives.items()}, metrics)


def summarise_rows(rows: list[dict], titles: dict[str, str], metrics: list[str] | None = None) -> dict:
    """The batch package's summary of replication rows (``{"metrics", "objectives"}`` each)."""
    ps = PointStats(titles)
    for row in rows:
        ps.add(row)
    d = ps.summary()
    if metrics is not None:
        d["metrics"] = {k: v for k, v in d["metrics"].items() if k in set(metrics)}
    return d
