"""The one door to Monte Carlo batches for the report: replications on the batch layer's process
pool, kept as compact per-run summaries, summarised by ``sim.batch`` exactly as ``crisis-sim batch``
summarises them.

Replication ``i`` draws from ``replication_seed(seed, i)`` as in a batch, so the report's data do not
depend on the number of workers. Each worker runs its chunk without traces (recording is about 40% of
a run), runs again with its trace each replication that missed an objective (the same run: it is
deterministic), reads what the report needs from that trace there (the cause of each objective missed:
:func:`sim.report.causes.note`) and sends back only numbers: the metric values, the objectives met and those notes. The main process keeps them
in arrays (about 1.4 KB per replication), never the traces. The few runs the report shows in full
(an example of each cause) are run again, alone, when asked for (:meth:`Replications.traced`): the run
is deterministic, so that is the same trace.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..batch.executors import Backend, LocalPool, Serial
from ..batch.replicate import tune_worker_gc
from ..batch.runner import Chunker
from ..batch.seeds import replication_seed
from ..batch.stats import PointStats
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Inject, Scenario
from . import causes as C

# how a metric value is kept: the value's own type comes back from metric_values
FLOAT, NONE, INT, BOOL = 0, 1, 2, 3


@dataclass(frozen=True)
class Job:
    """What every replication of a report's batch shares (installed once in each worker)."""

    scenario: Scenario
    seed: int
    decisions: Any = None
    extra_injects: tuple[tuple[str, Inject, float], ...] = ()

    def run(self, index: int, keep_trace: bool = True) -> Result:
        return run(self.scenario, replication_seed(self.seed, index), self.decisions, keep_trace=keep_trace,
                   extra_injects=self.extra_injects)


@dataclass(frozen=True)
class Part:
    """Positions ``lo`` to ``lo + len(indices)`` of a batch: the replications ``indices``."""

    lo: int
    indices: Sequence[int]


@dataclass
class PartResult:
    """A part's runs as numbers: values (runs x metrics, NaN for None), how each value is typed, the
    objectives met and the cause notes of the misses (position, objective, note)."""

    lo: int
    names: tuple[str, ...]
    oids: tuple[str, ...]
    values: np.ndarray
    kinds: np.ndarray
    met: np.ndarray
    notes: list[tuple[int, str, C.CauseNote]]
    cpu_s: float = 0.0

    @property
    def reps(self) -> range:   # what sim.batch.runner.Chunker reads: how many runs the part had
        return range(len(self.values))


class _Kinds(dict[type, int]):
    def __missing__(self, key: type) -> int:   # any other number type (numpy's, say) is kept as a float
        return FLOAT


_KINDS = _Kinds({type(None): NONE, bool: BOOL, int: INT, float: FLOAT})


def summarise_runs(job: Job, results: Sequence[Result], lo: int = 0) -> PartResult:
    """The numbers and cause notes of ``results`` (positions ``lo``...), traces read and dropped."""
    s = job.scenario
    names: tuple[str, ...] = tuple(results[0].metrics) if results else ()
    oids: tuple[str, ...] = tuple(results[0].objectives) if results else ()
    rows: list[list[Any]] = []
    kind_rows: list[list[int]] = []
    met = np.zeros((len(results), len(oids)), dtype=bool)
    notes: list[tuple[int, str, C.CauseNote]] = []
    kind_of = _KINDS.__getitem__
    for k, r in enumerate(results):
        if tuple(r.metrics) != names or tuple(r.objectives) != oids:
            raise RuntimeError("metric names changed between replications of one scenario")
        vals = list(r.metrics.values())
        rows.append([np.nan if v is None else v for v in vals])
        kind_rows.append(list(map(kind_of, map(type, vals))))
        for j, oid in enumerate(oids):
            if r.objectives[oid].met:
                met[k, j] = True
            elif r.trace:
                n = C.note(s, oid, r)
                if n is not None:
                    notes.append((lo + k, oid, n))
    values = np.array(rows, dtype=float).reshape(len(results), len(names))
    kinds = np.array(kind_rows, dtype=np.int8).reshape(len(results), len(names))
    return PartResult(lo, names, oids, values, kinds, met, notes)


def _run_for_report(job: Job, index: int, trace_first: bool = False) -> Result:
    """Replication ``index`` as the report needs it: without its trace (recording costs about 40% of a
    run), and run again with it only when an objective was missed, for the cause note. The run is
    deterministic, so the second run is the first one with its trace (the same metrics and outcomes).
    ``trace_first``: with its trace at once (where most runs miss, one run is cheaper than two)."""
    if trace_first:
        return job.run(index)
    r = job.run(index, keep_trace=False)
    return job.run(index) if _missed(r) else r


def _missed(r: Result) -> bool:
    return not all(o.met for o in r.objectives.values())


def run_part(job: Job, part: Part) -> PartResult:
    """Run the replications of ``part`` (in a worker) and keep their numbers and cause notes."""
    tune_worker_gc()  # as a batch worker: the report's forked workers hold matplotlib's heap too
    t0 = time.process_time()
    results: list[Result] = []
    missed = 0
    for i in part.indices:   # once more than half the part's runs so far missed, trace at once
        r = _run_for_report(job, i, trace_first=2 * missed > len(results) >= 4)
        missed += _missed(r)
        results.append(r)
    out = summarise_runs(job, results, part.lo)
    out.cpu_s = time.process_time() - t0
    return out


@dataclass(frozen=True)
class RunSummary:
    """One replication as the report keeps it: its metrics and the objectives it met (no trace)."""

    index: int
    metrics: dict[str, Any]
    met: dict[str, bool]


class Replications:
    """A batch of runs of one scenario, kept as numbers. ``indices``: each position's replication index
    (its stream is ``replication_seed(seed, index)``); empty means 0, 1, 2, ... in order.

    ``results`` (full runs) are read into the same compact form; ``size``: how many runs the batch will
    have (the parts of :func:`replicate` fill them in)."""

    def __init__(self, scenario: Scenario, seed: int, results: Sequence[Result] = (), indices: Sequence[int] = (),
                 decisions: Any = None, extra_injects: Sequence[tuple[str, Inject, float]] = (), size: int = 0):
        self.scenario = scenario
        self._size = max(size, len(indices), len(results))
        self.seed = seed
        self.indices = list(indices)
        self.job = Job(scenario, seed, decisions, tuple(extra_injects))
        self.names: tuple[str, ...] = ()
        self.oids: tuple[str, ...] = tuple(scenario.objectives)
        self._values = np.empty((0, 0))
        self._kinds = np.empty((0, 0), dtype=np.int8)
        self._met = np.empty((0, len(self.oids)), dtype=bool)
        self._notes: dict[str, list[tuple[int, C.CauseNote]]] = {}
        self._traced: dict[int, Result] = {}
        if results:
            self._allocate(len(results), tuple(results[0].metrics))
            self.add(summarise_runs(self.job, results))

    def _allocate(self, n: int, names: tuple[str, ...]) -> None:
        self.names = names
        self._col = {k: j for j, k in enumerate(names)}
        self._values = np.full((n, len(names)), np.nan)
        self._kinds = np.full((n, len(names)), NONE, dtype=np.int8)
        self._met = np.zeros((n, len(self.oids)), dtype=bool)

    def add(self, part: PartResult) -> None:
        """Put a finished part in its place (parts may come in any order)."""
        if not len(part.values):
            return
        if not self.names:
            self._allocate(max(self._size, part.lo + len(part.values)), part.names)
        if part.names != self.names:
            raise RuntimeError("metric names changed between replications of one scenario")
        rows = slice(part.lo, part.lo + len(part.values))
        self._values[rows], self._kinds[rows] = part.values, part.kinds
        cols = [part.oids.index(o) for o in self.oids]
        self._met[rows] = part.met[:, cols]
        for pos, oid, n in part.notes:
            self._notes.setdefault(oid, []).append((pos, n))

    @property
    def reps(self) -> int:
        return len(self._values)

    def replication_indices(self) -> list[int]:
        return list(self.indices) if self.indices else list(range(self.reps))

    def index_at(self, pos: int) -> int:
        return self.indices[pos] if self.indices else pos

    def _value(self, pos: int, j: int) -> Any:
        k, v = self._kinds[pos, j], self._values[pos, j]
        return None if k == NONE else int(v) if k == INT else bool(v) if k == BOOL else float(v)

    def metric_values(self, name: str) -> list[Any]:
        """The metric in every run, in position order (None where it never happened)."""
        j = self._col.get(name) if self.names else None
        if j is None:
            return [None] * self.reps
        return [self._value(p, j) for p in range(self.reps)]

    def met(self, oid: str) -> list[bool]:
        return [bool(x) for x in self._met[:, self.oids.index(oid)]]

    @property
    def results(self) -> Sequence[RunSummary]:
        """Each run's metrics and objectives met (built when read; the traces are not kept)."""
        return _Runs(self)

    def run_summary(self, pos: int) -> RunSummary:
        return RunSummary(self.index_at(pos), {k: self._value(pos, j) for j, k in enumerate(self.names)},
                          {o: bool(self._met[pos, j]) for j, o in enumerate(self.oids)})

    def notes(self, oid: str) -> list[tuple[int, C.CauseNote]]:
        """(position, cause note) of each run that missed ``oid``, in position order."""
        return sorted(self._notes.get(oid, []), key=lambda x: x[0])

    def causes(self, oid: str, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
        """The causes of ``oid``'s misses over the batch (:func:`sim.report.causes.batch_causes_of`)."""
        return C.batch_causes_of(self.scenario, self.notes(oid), ctx)

    def traced(self, pos: int) -> Result:
        """The run at position ``pos`` with its trace: run again (the same trace), and kept for the report."""
        if pos not in self._traced:
            self._traced[pos] = self.job.run(self.index_at(pos))
        return self._traced[pos]

    @property
    def traces_kept(self) -> int:
        """How many full traces are held (the examples the report shows)."""
        return len(self._traced)

    def summary_stats(self, titles: dict[str, str]) -> PointStats:
        """The batch package's statistics, fed in position order (as ``crisis-sim batch`` feeds them)."""
        ps = PointStats(titles)
        ps.add_array(list(self.names), self._values[:self.reps], self._met[:self.reps], list(self.oids))
        return ps


class _Runs(Sequence[RunSummary]):
    def __init__(self, reps: Replications):
        self._reps = reps

    def __len__(self) -> int:
        return self._reps.reps

    def __getitem__(self, pos: Any) -> Any:
        if isinstance(pos, slice):
            return [self._reps.run_summary(p) for p in range(*pos.indices(len(self)))]
        if pos < 0:
            pos += len(self)
        if not 0 <= pos < len(self):
            raise IndexError(pos)
        return self._reps.run_summary(pos)

    def __iter__(self) -> Iterator[RunSummary]:
        return (self._reps.run_summary(p) for p in range(len(self)))


def replicate(scenario: Scenario, reps: int, seed: int = 0, decisions: Any = None,
              progress: Callable[[int, int], None] | None = None, indices: Sequence[int] | None = None,
              extra_injects: Sequence[tuple[str, Inject, float]] = (), workers: int = 1,
              alongside: Callable[[], None] | None = None) -> Replications:
    """Run ``reps`` replications seeded by spawning ``SeedSequence(seed)`` (or the replications
    ``indices``, when given: the same streams as a batch's replications of those indices);
    ``decisions`` and ``extra_injects`` as :func:`sim.engine.run.run` takes them (a workshop's path),
    on ``workers`` processes (the batch layer's pool; the result does not depend on it);
    ``progress(done, total)`` is called as parts finish. ``alongside``: work for this process while the
    workers run (in a thread started once they are; its exception, if any, is raised after the batch)."""
    order = list(range(reps)) if indices is None else list(indices)
    out = Replications(scenario, seed, indices=order if order != list(range(len(order))) else (),
                       decisions=decisions, extra_injects=extra_injects, size=len(order))
    if not order:
        return out
    job = out.job
    backend: Backend = LocalPool([job], workers) if workers > 1 else Serial([job])
    chunker = Chunker(backend.workers)
    done, total = 0, len(order)

    def tasks() -> Iterator[tuple[int, int, Part]]:
        lo = 0
        while lo < total:
            hi = min(total, lo + chunker.size(total - lo))
            yield lo, 0, Part(lo, order[lo:hi])
            lo = hi

    failed: list[BaseException] = []

    def side() -> None:
        try:
            assert alongside is not None
            alongside()
        except BaseException as exc:  # handed to the main thread
            failed.append(exc)

    thread = threading.Thread(target=side, name="report-alongside", daemon=True) if alongside is not None else None
    try:
        if thread is not None:
            thread.start()   # after the pool has forked its workers
        pool: Any = backend  # the executors' interface is untyped
        for _lo, part in pool.unordered(run_part, tasks(), max(2, 3 * backend.workers)):
            chunker.observe(part)
            out.add(part)
            done += len(part.values)
            if progress is not None:
                progress(done, total)
    finally:
        backend.close()
        if thread is not None:
            thread.join()
    if failed:
        raise failed[0]
    return out


def summarise(reps: Replications, metrics: list[str] | None = None) -> dict[str, Any]:
    """One batch point: {"reps", "metrics": {name: stats}, "objectives": {id: odds}}, from the batch
    package's ``PointStats`` fed in replication order."""
    d = reps.summary_stats({oid: o.title for oid, o in reps.scenario.objectives.items()}).summary()
    if metrics is not None:
        d["metrics"] = {k: v for k, v in d["metrics"].items() if k in set(metrics)}
    return d


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
