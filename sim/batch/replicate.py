"""The unit of work shipped to a worker: a chunk of replications of one sweep point.

:func:`run_chunk` is a plain, picklable top-level function, so the same task runs
in-process, in a local process pool or on a Dask worker. It returns a compact
:class:`ChunkResult`: metric names once, then per replication the metric values as a
list (NaN for "never happened"), the objectives met, the decisions taken and the same
already encoded as JSON for the results store. So the process that gathers results
does little per replication (no JSON encoding, small pickles), which keeps parallel
efficiency high. Rows hold numbers, flags and option ids only, never engine objects.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..engine.decisions import WeightedRandom
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Scenario
from .seeds import replication_seed


@dataclass(frozen=True)
class Chunk:
    """Replications ``indices`` of sweep point ``point``, seeded from ``seed``."""

    point: int
    indices: Sequence[int]  # a range, or the missing indices of a resumed chunk
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


class Rep(NamedTuple):
    index: int
    values: list[float]          # metric values in ChunkResult.names order, NaN when None
    met: list[bool]              # in ChunkResult.oids order
    decisions: dict[str, str]
    metrics_json: str
    objectives_json: str
    decisions_json: str
    trace_jsonl: str | None


@dataclass
class ChunkResult:
    point: int
    names: tuple[str, ...]
    oids: tuple[str, ...]
    reps: list[Rep]

    def row(self, rep: Rep) -> dict[str, Any]:
        """One replication as a plain row (the same as :func:`replication_row` gives)."""
        row = {"point": self.point, "index": rep.index, "metrics": json.loads(rep.metrics_json),
               "objectives": dict(zip(self.oids, rep.met, strict=False)), "decisions": dict(rep.decisions)}
        if rep.trace_jsonl is not None:
            row["trace"] = [json.loads(x) for x in rep.trace_jsonl.splitlines()]
        return row


def _dumps(x) -> str:
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


def run_chunk(scenario: Scenario, chunk: Chunk) -> ChunkResult:
    """Run every replication of ``chunk`` against ``scenario`` (the sweep point's, already loaded)."""
    source = WeightedRandom() if chunk.explore_decisions else None
    names: tuple[str, ...] = ()
    oids: tuple[str, ...] = ()
    reps = []
    for i in chunk.indices:
        result = run(scenario, replication_seed(chunk.seed, i), source, keep_trace=chunk.keep_traces)
        m = result.metrics
        if not names:
            names, oids = tuple(m), tuple(result.objectives)
        elif tuple(m) != names or tuple(result.objectives) != oids:  # one scenario measures the same names
            raise RuntimeError("metric names changed between replications of one scenario")
        met = [bool(o.met) for o in result.objectives.values()]
        dec = {d["decision"]: d["option"] for d in result.decisions}
        reps.append(Rep(i, [math.nan if v is None else float(v) for v in m.values()], met, dec, _dumps(m),
                        _dumps(dict(zip(oids, met, strict=False))), _dumps(dec),
                        result.trace_jsonl() if chunk.keep_traces else None))
    return ChunkResult(chunk.point, names, oids, reps)
