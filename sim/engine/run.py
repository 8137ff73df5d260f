"""``run(scenario, seed, decisions) -> Result``: the one pure entry point of the engine.

Same scenario, seed and decisions give the same result and trace, byte for byte.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
from simpy.events import URGENT, Event

from ..scenario.model import Inject, Scenario
from .adversary import Ramps, axis_process, committed_marks, needs_ramps
from .decisions import Decisions, DecisionSource, as_source, start_decision
from .deconfliction import EncounterBudgetExceeded, Encounters
from .escalation import Tension
from .forces import force_process, needs_process
from .injects import fire_inject, start_inject
from .metrics import measure
from .timing import at_hour
from .trace import CheckpointRecord, EndRecord, Result, StartRecord
from .world import Uniforms, World, first_of

__all__ = ["EncounterBudgetExceeded", "run"]


def _seed_repr(seed: int | np.random.SeedSequence) -> Any:
    """The seed as results show it: an int, or a SeedSequence's entropy and spawn key."""
    if isinstance(seed, np.random.SeedSequence):
        return [seed.entropy, *seed.spawn_key] if seed.spawn_key else seed.entropy
    return int(seed)


def _take_checkpoint(w: World, cid: str) -> None:
    snap = w.snapshot(brief=not w.keep_trace)  # without a trace, only the metrics read the snapshot
    w.save_checkpoint(cid, snap)
    if not w.keep_trace:
        return
    cp = w.s.checkpoints[cid]
    w.record(CheckpointRecord(actor="control", facts=list(cp.facts), checkpoint=cid, title=cp.title,
                              tension=snap["tension"], rung=snap["rung"], committed_troops=snap["committed_troops"],
                              encounters=snap["encounters"], incidents=snap["incidents"], forces=snap["forces"],
                              on_station=snap["on_station"], strength_in_place=snap.get("strength_in_place"),
                              echelons=w.positions() if w.by_echelons else None))


def _wake_at(w: World, times: Sequence[float], i: int = 0) -> None:
    """Announce the hour on the ``time`` channel at each of ``times`` (sorted) from the ``i``-th on,
    one timeout at a time (each made when the one before fires, as a process sleeping from mark to
    mark makes them)."""
    env = w.env
    while i < len(times):
        t = times[i]
        i += 1
        if t > env.now:
            env.timeout(t - env.now).callbacks.append(partial(_woken, w, times, i))
            return
        w.notify("time")


def _woken(w: World, times: Sequence[float], i: int, _: Event) -> None:
    w.notify("time")
    _wake_at(w, times, i)


def _timetable(w: World, source: DecisionSource, extra_injects: Sequence[tuple[str, Inject, float]]) -> None:
    """Start every item that does one thing when due, in the order the run has always started them:
    injects, decision points, ad-hoc injects, checkpoints, the hours conditions compare with."""
    plan = w.plan
    for iid, inj, due in plan.injects:
        start_inject(w, iid, inj, due)
    for did, point, due in plan.decisions:
        start_decision(w, did, point, source, due)
    for iid, spec, at in extra_injects:
        at_hour(w, at, partial(fire_inject, w, iid, spec))
    for cid, _, at in plan.checkpoints:
        at_hour(w, at, partial(_take_checkpoint, w, cid))
    if plan.time_marks:
        _wake_at(w, plan.time_marks)


def _start_timetable(w: World, source: DecisionSource, extra_injects: Sequence[tuple[str, Inject, float]]) -> None:
    """Schedule :func:`_timetable` as one urgent event at H-hour, where the first of its items'
    processes would start: so every item starts at the same moment as its own process would
    have (after the processes scheduled before it, before those scheduled after), and their
    events keep their order among all others, with two SimPy events for all the items instead of
    three or four for each (the process's start, its end, and its wait's)."""
    start = Event(w.env)
    start._ok, start._value = True, None
    start.callbacks.append(lambda _: _timetable(w, source, extra_injects))
    w.env.schedule(start, URGENT)


def run(scenario: Scenario, seed: int | np.random.SeedSequence = 0, decisions: Decisions = None, *,
        until_h: float | None = None, extra_injects: Iterable[tuple[str, Inject, float]] = (),
        keep_trace: bool = True) -> Result:
    """Simulate ``scenario`` once.

    ``decisions``: None (the scenario's defaults), a mapping of decision id to option id
    (defaults for the rest), or a DecisionSource. A source that answers None pauses the run at that
    decision point; ``Result.pending`` then describes it. ``until_h`` stops the clock early (the
    workshop's turns). ``extra_injects`` are (id, Inject, hour) fired at that hour (ad-hoc injects).
    """
    w = World(scenario, seed, keep_trace)
    env = w.env
    tension = Tension(w)
    source = as_source(decisions)
    horizon = scenario.clock.horizon_h if until_h is None else min(until_h, scenario.clock.horizon_h)
    if keep_trace:
        w.record(StartRecord(actor="control", scenario=scenario.name, title=scenario.title, tension=tension.v0,
                             floor=tension.floor, half_life_h=tension.half_life, rung=tension.rung,
                             forces={f: fs.state for f, fs in w.forces.items()}))

    env.process(tension.decay_watch())
    for fs in w.forces.values():
        if needs_process(fs):
            env.process(force_process(w, fs))
    if scenario.adversary:
        if w.plan.part(needs_ramps):
            w.attach_ramps(Ramps(w, committed_marks(scenario)))
        for aid, axis in scenario.adversary.axes.items():
            env.process(axis_process(w, aid, axis))
    extras = tuple(extra_injects)
    if w.plan.injects or scenario.decisions or extras or scenario.checkpoints or w.plan.time_marks:
        _start_timetable(w, source, extras)
    if scenario.deconfliction:
        Encounters(w, Uniforms(w.streams, "encounters")).redraw()

    end = env.timeout(horizon)
    env.run(until=first_of(env, (end, w.stop)))
    if w.pending is None and keep_trace:
        w.record(EndRecord(actor="control", tension=round(tension.value(), 4), rung=tension.rung))
    metrics, outcomes = measure(w)
    w.release()
    return Result(scenario=scenario.name, scenario_hash=w.plan.content_hash, seed=_seed_repr(seed),
                  horizon_h=horizon, metrics=metrics, objectives=outcomes, decisions=list(w.decision_log),
                  trace=w.trace, snapshot=w.snapshot, pending=w.pending)
