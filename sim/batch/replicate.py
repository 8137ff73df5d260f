"""The unit of work shipped to a worker: a chunk of replications of one sweep point.

:func:`run_chunk` is a plain, picklable top-level function, so the same task runs
in-process, in a local process pool or on a Dask worker. It returns one row per
replication (see :func:`replication_row`); rows hold numbers, flags and option ids
only, never engine objects.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.decisions import WeightedRandom
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Scenario
from .seeds import replication_seed


@dataclass(frozen=True)
class Chunk:
    """Replications ``indices`` of sweep point ``point``, seeded from ``seed``."""

    point: int
    indices: tuple[int, ...]
    seed: int
    explore_decisions: bool = False
    keep_traces: bool = False


def replication_row(point: int, index: int, result: Result, keep_trace: bool = False) -> dict:
    """One replication as data: seed index, sweep point index, metrics, objectives met, decisions taken."""
    row = {
        "point": point,
        "index": index,
        "metrics": result.metrics,
        "objectives": {oid: bool(o.met) for oid, o in result.objectives.items()},
        "decisions": {d["decision"]: d["option"] for d in result.decisions},
    }
    if keep_trace:
        row["trace"] = [r.to_dict() for r in result.trace]
    return row


def run_chunk(scenario: Scenario, chunk: Chunk) -> list[dict]:
    """Run every replication of ``chunk`` against ``scenario`` (the sweep point's, already loaded)."""
    source = WeightedRandom() if chunk.explore_decisions else None
    rows = []
    for i in chunk.indices:
        result = run(scenario, replication_seed(chunk.seed, i), source, keep_trace=chunk.keep_traces)
        rows.append(replication_row(chunk.point, i, result, chunk.keep_traces))
    return rows
