"""The unit of work shipped to a worker: a chunk of replications of one sweep point.

:func:`run_chunk` is a plain, picklable top-level function, so the same task runs
in-process, in a local process pool or on a Dask worker. It returns a compact
:class:`ChunkResult`: the layout once (metric names, objective ids, the scenario's
(decision, option) pairs), then per replication the bytes the results store keeps
(:class:`~sim.batch.store.RowCodec`: metric values packed as float64, objectives met as
bits, decisions as indices), and the chunk's statistics' inputs as two arrays (metric
values and objectives met, unpacked from those bytes here). So the process that gathers
results does little per replication: it inserts the bytes as they are and feeds the
arrays to the statistics, with no JSON and no unpacking, which keeps parallel
efficiency high. Rows hold numbers, flags and option ids only, never engine
objects. The chunk also says how much CPU it took, so the runner can size later chunks.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..engine.decisions import WeightedRandom
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Scenario
from .seeds import replication_seed
from .store import Layout, RowCodec


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
    seed_index: int
    data: bytes                  # packed as RowCodec(ChunkResult.layout) packs it
    trace_jsonl: str | None


@dataclass
class ChunkResult:
    point: int
    layout: Layout
    reps: list[Rep]
    # the chunk's statistics' inputs, made in the worker (RowCodec.block of the reps' data: metric values,
    # replications x metrics float64 with NaN for None; objectives met, replications x objectives bool),
    # so that the process gathering results does not unpack every row again
    values: Any = field(repr=False, compare=False)
    met: Any = field(repr=False, compare=False)
    cpu_s: float = 0.0           # the worker's CPU seconds for the chunk (runs and packing)
    _codec: RowCodec | None = field(default=None, repr=False, compare=False)

    @property
    def codec(self) -> RowCodec:
        if self._codec is None:
            self._codec = RowCodec(self.layout)
        return self._codec

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_codec": None}  # a codec is rebuilt where it is used, never pickled

    def row(self, rep: Rep) -> dict[str, Any]:
        """One replication as a plain row (the same as :func:`replication_row` gives)."""
        metrics, met, decisions = self.codec.decode(rep.data)
        row: dict[str, Any] = {"point": self.point, "index": rep.seed_index, "metrics": metrics, "objectives": met,
                               "decisions": decisions}
        if rep.trace_jsonl is not None:
            row["trace"] = [json.loads(x) for x in rep.trace_jsonl.splitlines()]
        return row


def choices_of(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """Every (decision, option) pair the scenario offers, in its order."""
    return tuple((did, oid) for did, d in scenario.decisions.items() for oid in d.options)


# a batch worker's garbage collector: a replication allocates a few thousand objects, some in reference
# cycles (the world and its processes), which the youngest generation's collections free; with
# Python's default threshold of 700 a run sets off one every other replication, each also scanning
# the long-lived objects promoted so far. In a worker the modules and scenarios loaded before its
# first chunk are frozen out of collection (gc.freeze: never scanned again, and left unwritten in
# forked workers' shared pages) and the youngest generation collected every 10,000 allocations.
WORKER_GC_THRESHOLD = (10_000, 10, 10)
_gc_tuned = False


def tune_worker_gc() -> None:
    """Once per worker process, before its first chunk: :data:`WORKER_GC_THRESHOLD` and gc.freeze().
    Not in the main process (a batch run in-process leaves its caller's collector as it was)."""
    global _gc_tuned
    if _gc_tuned or multiprocessing.parent_process() is None:
        return
    _gc_tuned = True
    worker_gc()


def worker_gc() -> None:
    """A batch worker's collector settings, here and now: what is alive frozen out of collection, and
    :data:`WORKER_GC_THRESHOLD` (``benchmarks/bench.py`` times runs under them, then undoes them)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)


def run_chunk(scenario: Scenario, chunk: Chunk) -> ChunkResult:
    """Run every replication of ``chunk`` against ``scenario`` (the sweep point's, already loaded)."""
    tune_worker_gc()
    t0 = time.process_time()
    source = WeightedRandom() if chunk.explore_decisions else None
    names: tuple[str, ...] = ()
    oids: tuple[str, ...] = ()
    raw = []
    for i in chunk.indices:
        result = run(scenario, replication_seed(chunk.seed, i), source, keep_trace=chunk.keep_traces)
        m = result.metrics
        if not names:
            names, oids = tuple(m), tuple(result.objectives)
        elif tuple(m) != names or tuple(result.objectives) != oids:  # one scenario measures the same names
            raise RuntimeError("metric names changed between replications of one scenario")
        raw.append((i, list(m.values()), [bool(o.met) for o in result.objectives.values()],
                    {d["decision"]: d["option"] for d in result.decisions},
                    result.trace_jsonl() if chunk.keep_traces else None))
    choices = dict.fromkeys(choices_of(scenario))
    for r in raw:  # a pair outside the scenario's options (never expected) still gets an index
        choices.update(dict.fromkeys(r[3].items()))
    codec = RowCodec(Layout(names, oids, tuple(choices)))
    reps = [Rep(i, codec.encode(values, met, dec.items()), tr) for i, values, met, dec, tr in raw]
    values, met = codec.block([rep.data for rep in reps])
    return ChunkResult(chunk.point, codec.layout, reps, values, met, time.process_time() - t0)
