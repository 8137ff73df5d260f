"""``run_batch``: many replications of a scenario (and of every sweep point), summarised.

The runner cuts the work into chunks of replications, hands them to a backend
(this process, a local process pool, or a Dask cluster), stores each finished
chunk in the results database at once, and feeds rows to the statistics strictly
in (sweep point, replication index) order through a small reorder buffer. So the
summary depends only on the scenario, seed, reps, sweep and decision mode, never
on workers, chunk sizes, backend or interruptions; and memory stays flat in reps.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenario.errors import Problem, ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from .executors import Backend, DaskCluster, LocalPool, Serial, ignoring_sigint
from .replicate import Chunk, ChunkResult, run_chunk
from .request import BatchObserver, BatchRequest, Callbacks, Quiet, ResumeInfo
from .stats import PointStats
from .store import Store, StoreError
from .sweep import Point, Vary, check_varies, expand_grid, parse_varies


class BatchError(Exception):
    """A batch cannot start (bad request, unreachable backend); the message is one line."""


class Interrupted(Exception):
    """Raised when a batch is stopped early (``stop_after``): finished replications are stored."""


@dataclass
class BatchSummary:
    scenario: str
    scenario_hash: str
    seed: int
    reps: int
    points: list[dict]
    sets: list[str] = field(default_factory=list)
    vary: list[dict] = field(default_factory=list)
    explore_decisions: bool = False
    batch_id: int | None = None  # where the replications are stored (not part of the summary)

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "scenario_hash": self.scenario_hash, "seed": self.seed,
                "reps": self.reps, "sets": list(self.sets), "vary": list(self.vary),
                "explore_decisions": self.explore_decisions, "points": self.points}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, ensure_ascii=False)


@dataclass
class Plan:
    """What a batch will run: the base scenario, the grid and one validated scenario per point."""

    base: Scenario
    path: str
    sets: tuple[str, ...]
    varies: list[Vary]
    points: list[Point]
    scenarios: list[Scenario]


def plan_batch(scenario: Scenario | str | Path, sets: Iterable[str] = (), vary: Iterable[str | Vary] | None = None
               ) -> Plan:
    """Load and validate the scenario at every sweep point up front (raises ScenarioError, all problems)."""
    sets = tuple(sets)
    specs = list(vary or [])
    varies = [v for v in specs if isinstance(v, Vary)] + parse_varies(s for s in specs if isinstance(s, str))
    if isinstance(scenario, Scenario):
        base, path = scenario, scenario.source
        if sets and path:
            base = load_scenario(path, sets)
    else:
        path = str(scenario)
        base = load_scenario(path, sets)
    points = expand_grid(varies)
    if varies and not path:
        raise ScenarioError([Problem("--vary", None, "", "a sweep needs the scenario's file path")])
    check_varies(path, sets, varies)  # each value once, by itself: one line per bad spec, in a blink
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for p in points:
        if not p.overrides:
            scenarios.append(base)
            continue
        try:
            scenarios.append(load_scenario(path, sets + p.overrides))
        except ScenarioError as exc:
            problems += [q for q in exc.problems if q not in problems]
            break  # a combination refused: the first is enough to fix (a 10,000-point grid gave 10,000 lines)
    if problems:
        raise ScenarioError(problems)
    return Plan(base, path, sets, varies, points, scenarios)


def resume_key(plan: Plan, seed: int, reps: int, explore_decisions: bool) -> str:
    key = {"scenario_hash": plan.base.content_hash, "seed": seed, "reps": reps,
           "points": [[list(p.overrides), s.content_hash] for p, s in zip(plan.points, plan.scenarios, strict=False)],
           "explore_decisions": explore_decisions}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]


TASK_S = 1.0        # a task's target length: CPU seconds of the worker that runs it
MIN_TASK_S = 0.05   # and the shortest worth sending (the tail of a batch), overhead per task ~1 ms
FIRST_CHUNK = 8     # replications per chunk before the first chunk has said what one costs
RESUME_CHUNK = 100  # the same in a resumed batch (whose stored spans are read back chunk by chunk)
GUIDED = 2          # a chunk is at most the replications not yet handed out / (GUIDED * workers)
TRACE_CHUNK = 100   # at most this many replications per chunk when traces are kept (memory)


class Chunker:
    """How many replications the next chunk gets: guided self-scheduling on the measured cost.

    Each finished chunk reports its worker's CPU time (:attr:`ChunkResult.cpu_s`); from the
    mean cost per replication so far, a chunk runs for about :data:`TASK_S` (so the per-task
    overhead of a pool or a Dask scheduler is a small share of it) but never more than the
    work not yet handed out divided by ``GUIDED * workers``, so the chunks shrink towards the
    end of the batch (to about :data:`MIN_TASK_S`) and the workers finish together. Until a
    cost is known, chunks of :data:`FIRST_CHUNK` (:data:`RESUME_CHUNK` when resuming). A chunk
    never spans two sweep points. The chunk sizes never change results (rows are fed to the
    statistics in replication order).
    """

    def __init__(self, workers: int, fixed: int | None = None, keep_traces: bool = False, first: int = FIRST_CHUNK):
        self.workers = max(1, workers)
        self.fixed = fixed
        self.first = first
        self.cap = TRACE_CHUNK if keep_traces else None
        self.cpu = 0.0
        self.reps = 0

    def observe(self, result: ChunkResult) -> None:
        if result.reps:
            self.cpu += result.cpu_s
            self.reps += len(result.reps)

    @property
    def cost(self) -> float | None:
        """Mean worker CPU seconds per replication so far (None before any chunk finished)."""
        return self.cpu / self.reps if self.reps and self.cpu > 0 else None

    def size(self, remaining: int) -> int:
        """The next chunk's size, ``remaining`` replications of the batch not yet handed out."""
        if self.fixed:
            return self.fixed
        cost = self.cost
        if cost is None:
            n = self.first
        else:
            guided = math.ceil(remaining / (GUIDED * self.workers))
            n = min(max(1, int(TASK_S / cost)), max(math.ceil(MIN_TASK_S / cost), guided))
        return max(1, min(n, self.cap) if self.cap else n)


def chunk_size(reps: int, workers: int, cost_s: float, points: int = 1) -> int:
    """The chunk size a batch settles on, on paper: ``reps`` per point, ``cost_s`` CPU seconds per
    replication (what :class:`Chunker` gives once the cost is known, before the tail)."""
    ch = Chunker(workers)
    ch.cpu, ch.reps = cost_s, 1
    return min(reps, ch.size(reps * points))


def _version() -> str:
    from .. import __version__
    return __version__


def resume_misses(unfinished: list[dict], plan: Plan, seed: int, reps: int, explore_decisions: bool) -> list[str]:
    """Why each of the ``unfinished`` batches (same scenario name) is not the one this command resumes."""
    out = []
    for b in unfinished:
        p = b["params"]
        why = []
        if p.get("path") != plan.path:
            why.append(f"scenario file {p.get('path')} (now {plan.path})")
        if list(p.get("sets", [])) != list(plan.sets):
            why.append(f"--set {' '.join(p.get('sets', [])) or '(none)'} (now {' '.join(plan.sets) or '(none)'})")
        elif b["scenario_hash"] != plan.base.content_hash:
            why.append(f"the scenario has changed since (hash {b['scenario_hash']}, now {plan.base.content_hash})")
        if p.get("vary", []) != [v.to_dict() for v in plan.varies]:
            why.append("--vary " + (" ".join(f"{v['path']}={','.join(map(str, v['values']))}" for v in p["vary"])
                                    or "(none)"))
        if int(b["seed"]) != seed:
            why.append(f"--seed {b['seed']} (now {seed})")
        if int(b["reps"]) != reps:
            why.append(f"--reps {b['reps']} (now {reps})")
        if bool(p.get("explore_decisions")) != explore_decisions:
            why.append("--explore-decisions" + (" on" if p.get("explore_decisions") else " off") + " then")
        out.append(f"batch {b['id']} ({b['stored']} of {int(b['reps']) * int(b['points'])} stored) differs: "
                   + "; ".join(why or ["another version of crisis-sim"]))
    return out


def run_batch(scenario: Scenario | str | Path | Plan, reps: int, seed: int = 0, *,
              progress: Callable[[int, int], None] | None = None,
              on_row: Callable[[dict[str, Any]], None] | None = None,
              on_start: Callable[[int | None, bool], None] | None = None,
              on_resume: Callable[[ResumeInfo], None] | None = None,
              on_resume_miss: Callable[[list[str]], None] | None = None, **options: Any) -> BatchSummary:
    """:func:`execute_batch` with the request's fields as arguments (``options``: the other fields of
    :class:`~sim.batch.request.BatchRequest`) and callbacks for the observer's methods."""
    return execute_batch(BatchRequest(scenario, reps, seed, **options),
                         Callbacks(progress, on_row, on_start, on_resume, on_resume_miss))


def execute_batch(request: BatchRequest, observer: BatchObserver | None = None) -> BatchSummary:
    """Run the replications of ``request`` at every sweep point and summarise them.

    ``observer`` hears, in this order: :meth:`~BatchObserver.started` once the store row exists; when
    ``resume`` finds no batch to complete, :meth:`~BatchObserver.resume_missed` (for each unfinished
    batch of the same scenario, what differs); when a batch is resumed, :meth:`~BatchObserver.resuming`;
    then :meth:`~BatchObserver.row` and :meth:`~BatchObserver.progress` in replication order.
    """
    obs: BatchObserver = observer if observer is not None else Quiet()
    rows_wanted = obs.wants_rows
    scenario, reps, seed, sets, vary = request.scenario, request.reps, request.seed, request.sets, request.vary
    explore_decisions, workers, cluster, db = request.explore_decisions, request.workers, request.cluster, request.db
    resume, keep_traces, chunk, command = request.resume, request.keep_traces, request.chunk, request.command
    stop_after, cluster_timeout = request.stop_after, request.cluster_timeout
    if reps < 1:
        raise BatchError("--reps must be at least 1")
    if workers < 1:
        raise BatchError("--workers must be at least 1")
    if resume and db is None:
        raise BatchError("--resume needs a results database (--db)")
    seed = int(seed)
    plan = scenario if isinstance(scenario, Plan) else plan_batch(scenario, sets, vary)
    values = [p.values for p in plan.points]
    titles = {oid: o.title for oid, o in plan.base.objectives.items()}
    total = reps * len(plan.points)

    store: Store | None = None
    batch_id, resumed = None, False
    misses: list[str] = []
    backend: Backend | None = None
    try:
        # workers first: a forked worker then holds no copy of the database connection
        if cluster:
            backend = DaskCluster(plan.scenarios, cluster, cluster_timeout)
        elif workers > 1:
            backend = LocalPool(plan.scenarios, workers)
        else:
            backend = Serial(plan.scenarios)
        store = Store(db) if db is not None else None
        if store is not None:
            key = resume_key(plan, seed, reps, explore_decisions)
            batch_id = store.find_unfinished(key) if resume else None
            resumed = batch_id is not None
            misses = resume_misses(store.unfinished_of(plan.base.name), plan, seed, reps, explore_decisions) \
                if resume and not resumed else []
            if batch_id is None:
                params = {"path": plan.path, "sets": list(plan.sets), "vary": [v.to_dict() for v in plan.varies],
                          "points": [{"values": p.values, "overrides": list(p.overrides), "scenario_hash":
                                      s.content_hash} for p, s in zip(plan.points, plan.scenarios, strict=False)],
                          "explore_decisions": explore_decisions, "keep_traces": keep_traces}
                batch_id = store.create_batch(scenario=plan.base.name, scenario_hash=plan.base.content_hash,
                                              params=params, resume_key=key, seed=seed, reps=reps,
                                              points=len(plan.points), version=_version(), command=command)
            else:
                stored, traced = store.count(batch_id), store.traced(batch_id)
                resume_info = ResumeInfo(batch_id, total, stored, traced, total - stored, backend.workers,
                                         keep_traces)
                store.record_resume(batch_id, {"command": command, "keep_traces": keep_traces, "stored": stored})
        obs.started(batch_id, resumed)
        if misses:
            obs.resume_missed(misses)
        if resumed:
            obs.resuming(resume_info)
        chunker = Chunker(backend.workers, chunk, keep_traces, RESUME_CHUNK if resumed else FIRST_CHUNK)
        stats = [PointStats(titles, by_option=explore_decisions) for _ in plan.points]

        # the chunks in order, cut as the backend asks for work (sized by the cost measured so far; memory
        # does not grow with --reps); in a resumed batch, only the missing replications are computed
        done = 0
        order: dict[int, tuple[int, int, int, Sequence[int]]] = {}  # the chunks handed out, not yet fed
        ready: dict[int, ChunkResult | None] = {}
        next_seq = 0

        def tasks() -> Iterator[tuple[int, int, Chunk]]:
            nonlocal next_seq
            remaining, seq = total, 0
            for pi in range(len(plan.points)):
                lo = 0
                while lo < reps:
                    hi = min(reps, lo + chunker.size(remaining))
                    remaining -= hi - lo
                    todo: Sequence[int] = range(lo, hi)  # a range: O(1) memory however many reps
                    if resumed:
                        assert store is not None and batch_id is not None
                        have = store.stored_indices(batch_id, pi, lo, hi)
                        todo = tuple(i for i in todo if i not in have)
                    order[seq] = (pi, lo, hi, todo)
                    if todo:
                        yield seq, pi, Chunk(pi, todo, seed, explore_decisions, keep_traces)
                    elif seq == next_seq:  # all stored already, and every chunk before it fed: feed it now
                        feed(seq, None)
                        next_seq += 1
                    else:
                        ready[seq] = None
                    seq += 1
                    lo = hi

        def fed_one() -> None:
            nonlocal done
            done += 1
            if stop_after is not None and done >= stop_after:
                raise Interrupted(f"stopped after {done} replications")

        def feed(seq: int, result: ChunkResult | None) -> None:
            pi, lo, hi, todo = order.pop(seq)
            if result is None or (resumed and len(todo) < hi - lo):
                assert store is not None and batch_id is not None  # only a resumed batch has stored rows
                for row in store.rows(batch_id, pi, lo, hi):  # stored (and just finished), in order
                    stats[pi].add(row)
                    if rows_wanted:
                        obs.row(row)
                    fed_one()
            else:
                codec, st = result.codec, stats[pi]
                st.add_array(result.layout.metrics, result.values, result.met, result.layout.objectives,
                             [codec.decisions(rep.data) for rep in result.reps] if explore_decisions else None)
                for rep in result.reps:
                    if rows_wanted:
                        obs.row({**result.row(rep), "values": values[pi]})
                    fed_one()
            obs.progress(done, total)

        window = max(2, 3 * backend.workers)
        for seq, result in backend.unordered(run_chunk, tasks(), window):
            chunker.observe(result)
            if store is not None and batch_id is not None:
                store.add_encoded(batch_id, result)
            ready[seq] = result
            while next_seq in ready:
                feed(next_seq, ready.pop(next_seq))
                next_seq += 1
        while next_seq in ready:  # chunks that were all stored already, after the last computed one
            feed(next_seq, ready.pop(next_seq))
            next_seq += 1
        if store is not None and batch_id is not None:
            store.set_status(batch_id, "done")
    except BaseException as exc:
        if store is not None and batch_id is not None:
            with ignoring_sigint():  # a second Ctrl-C must not leave the batch marked running
                try:
                    store.set_status(batch_id, "interrupted" if isinstance(exc, (KeyboardInterrupt, Interrupted))
                                     else "failed")
                except StoreError:
                    pass  # the disk is full or the file went read-only: the first error is the one to tell
        raise
    finally:
        if backend is not None:
            backend.close()
        if store is not None:
            store.close()

    points = [{"point": p.values, **st.summary()} for p, st in zip(plan.points, stats, strict=False)]
    return BatchSummary(plan.base.name, plan.base.content_hash, seed, reps, points, list(plan.sets),
                        [v.to_dict() for v in plan.varies], explore_decisions, batch_id)
