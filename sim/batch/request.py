"""What a batch is asked to do (:class:`BatchRequest`) and who hears how it goes (:class:`BatchObserver`).

:func:`sim.batch.runner.execute_batch` takes one request and one observer instead of a long list
of arguments and callbacks. An observer implements the few methods of :class:`BatchObserver`;
:class:`Quiet` does nothing and is the base to override only what one needs.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .executors import DEFAULT_CLUSTER_TIMEOUT

if TYPE_CHECKING:
    from ..scenario.model import Scenario
    from .runner import Plan
    from .sweep import Vary


@dataclass(frozen=True)
class BatchRequest:
    """A batch: ``reps`` replications of ``scenario`` at every sweep point.

    ``scenario``: a Scenario, a file path or a :class:`~sim.batch.runner.Plan`; ``sets``:
    ``path=value`` overrides; ``vary``: sweep specs (see :mod:`sim.batch.sweep`). Replication ``i``
    of every point uses ``SeedSequence(seed).spawn(reps)[i]``. ``explore_decisions``: decisions by
    weighted random, summarised per option. ``workers`` > 1: a local process pool; ``cluster``: a
    Dask scheduler address. ``db``: store every replication there; ``resume``: complete the
    unfinished batch with the same scenario, seed, reps, sweep and decision mode (``workers``,
    ``cluster`` and ``keep_traces`` are not part of that match and apply to the replications still
    to run). ``chunk``: replications per task (never changes results). ``command``: the command
    line, stored with the batch. ``stop_after``: raise :class:`~sim.batch.runner.Interrupted` once
    that many replications are fed (for tests).
    """

    scenario: Scenario | str | Path | Plan
    reps: int
    seed: int = 0
    sets: Sequence[str] = ()
    vary: Sequence[str | Vary] = ()
    explore_decisions: bool = False
    workers: int = 1
    cluster: str | None = None
    cluster_timeout: float = DEFAULT_CLUSTER_TIMEOUT
    db: str | Path | None = None
    resume: bool = False
    keep_traces: bool = False
    chunk: int | None = None
    command: str = ""
    stop_after: int | None = None


@dataclass(frozen=True)
class ResumeInfo:
    """A resumed batch: ``stored`` replications of ``total`` were stored before (``traced`` of them
    with their trace), ``to_run`` remain, with ``workers`` and ``keep_traces`` as this run applies them."""

    batch_id: int
    total: int
    stored: int
    traced: int
    to_run: int
    workers: int
    keep_traces: bool


class BatchObserver(Protocol):
    """Hears how a batch goes. Rows and progress come in replication order. ``wants_rows``: whether
    :meth:`row` does anything (when False, the batch does not build the rows for it)."""

    @property
    def wants_rows(self) -> bool: ...

    def started(self, batch_id: int | None, resumed: bool) -> None:
        """Once the store row exists (``batch_id`` None without a store); ``resumed``: an unfinished batch
        is being completed."""

    def resume_missed(self, lines: list[str]) -> None:
        """``--resume`` found no batch to complete: for each unfinished batch of the same scenario, what differs."""

    def resuming(self, info: ResumeInfo) -> None:
        """A batch is being resumed (after :meth:`started`)."""

    def row(self, row: dict[str, Any]) -> None:
        """A replication: ``{"point", "values", "index", "metrics", "objectives", "decisions"}`` (+ ``"trace"``
        with ``keep_traces``, or when a resumed batch's earlier run kept it)."""

    def progress(self, done: int, total: int) -> None:
        """``done`` of ``total`` replications fed to the statistics."""


class Quiet:
    """An observer that hears nothing; subclass it and override what you need."""

    @property
    def wants_rows(self) -> bool:
        return type(self).row is not Quiet.row

    def started(self, batch_id: int | None, resumed: bool) -> None:
        return None

    def resume_missed(self, lines: list[str]) -> None:
        return None

    def resuming(self, info: ResumeInfo) -> None:
        return None

    def row(self, row: dict[str, Any]) -> None:
        return None

    def progress(self, done: int, total: int) -> None:
        return None


@dataclass
class Callbacks(Quiet):
    """An observer from plain functions (any of them None), for callers with one or two to pass."""

    on_progress: Callable[[int, int], None] | None = None
    on_row: Callable[[dict[str, Any]], None] | None = None
    on_start: Callable[[int | None, bool], None] | None = None
    on_resume: Callable[[ResumeInfo], None] | None = None
    on_resume_miss: Callable[[list[str]], None] | None = None

    @property
    def wants_rows(self) -> bool:
        return self.on_row is not None

    def started(self, batch_id: int | None, resumed: bool) -> None:
        if self.on_start is not None:
            self.on_start(batch_id, resumed)

    def resume_missed(self, lines: list[str]) -> None:
        if self.on_resume_miss is not None:
            self.on_resume_miss(lines)

    def resuming(self, info: ResumeInfo) -> None:
        if self.on_resume is not None:
            self.on_resume(info)

    def row(self, row: dict[str, Any]) -> None:
        if self.on_row is not None:
            self.on_row(row)

    def progress(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)
