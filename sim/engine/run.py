"""``run(scenario, seed, decisions) -> Result``: the one pure entry point of the engine.

Same scenario, seed and decisions give the same result and trace, byte for byte.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..scenario.conditions import metric_marks, time_marks
from ..scenario.model import Inject, Scenario
from ..scenario.references import conditions
from .adversary import Ramps, axis_process, committed_marks, needs_ramps
from .decisions import Decisions, as_source, decision_process
from .deconfliction import EncounterBudgetExceeded, Encounters
from .escalation import Tension
from .forces import force_process
from .injects import fire_inject, inject_process
from .memo import per_object
from .metrics import measure
from .trace import CheckpointRecord, EndRecord, Result, StartRecord
from .world import Process, Uniforms, World, first_of

__all__ = ["EncounterBudgetExceeded", "run"]


def _seed_repr(seed: int | np.random.SeedSequence) -> Any:
    """The seed as results show it: an int, or a SeedSequence's entropy and spawn key."""
    if isinstance(seed, np.random.SeedSequence):
        return [seed.entropy, *seed.spawn_key] if seed.spawn_key else seed.entropy
    return int(seed)


def _checkpoint(w: World, cid: str, at: float) -> Process:
    if at > w.env.now:
        yield w.env.timeout(at - w.env.now)
    snap = w.snapshot()
    cp = w.s.checkpoints[cid]
    w.save_checkpoint(cid, snap)
    w.record(CheckpointRecord(actor="control", facts=list(cp.facts), checkpoint=cid, title=cp.title,
                              tension=snap["tension"], rung=snap["rung"], committed_troops=snap["committed_troops"],
                              encounters=snap["encounters"], incidents=snap["incidents"], forces=snap["forces"],
                              on_station=snap["on_station"], strength_in_place=snap.get("strength_in_place"),
                              echelons=w.positions() if w.by_echelons else None))


def _wake_at(w: World, times: list[float]) -> Process:
    for t in sorted(set(times)):
        if t > w.env.now:
            yield w.env.timeout(t - w.env.now)
        w.notify("time")


def _extra_inject(w: World, inj: tuple[str, Inject, float]) -> Process:
    iid, spec, at = inj
    if at > w.env.now:
        yield w.env.timeout(at - w.env.now)
    fire_inject(w, iid, spec)


@per_object()
def _marks(s: Scenario) -> tuple[list[float], list[float]]:
    """The hours and the tension levels at which a comparison in any of the scenario's conditions
    can change value (once per scenario object, not per run)."""
    conds = [c for _, c in conditions(s)]
    return [t for c in conds for t in time_marks(c)], sorted({v for c in conds for v in metric_marks(c, "tension")})


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
    tension = Tension(w, _marks(scenario)[1])
    source = as_source(decisions)
    horizon = scenario.clock.horizon_h if until_h is None else min(until_h, scenario.clock.horizon_h)
    if keep_trace:
        w.record(StartRecord(actor="control", scenario=scenario.name, title=scenario.title, tension=tension.v0,
                             floor=tension.floor, half_life_h=tension.half_life, rung=tension.rung,
                             forces={f: fs.state for f, fs in w.forces.items()}))

    env.process(tension.decay_watch())
    for fs in w.forces.values():
        env.process(force_process(w, fs))
    if scenario.adversary:
        if needs_ramps(scenario):
            w.attach_ramps(Ramps(w, committed_marks(scenario)))
        for aid, axis in scenario.adversary.axes.items():
            env.process(axis_process(w, aid, axis))
    for iid, inj in scenario.injects.items():
        if not inj.library:
            env.process(inject_process(w, iid, inj))
    for did, point in scenario.decisions.items():
        env.process(decision_process(w, did, point, source))
    for extra in extra_injects:
        env.process(_extra_inject(w, extra))
    if scenario.deconfliction:
        Encounters(w, Uniforms(w.streams, "encounters")).redraw()
    for cid, cp in scenario.checkpoints.items():
        if cp.at_h is not None:
            at = cp.at_h
        else:
            assert cp.at_time is not None  # validation gives a checkpoint exactly one of at_h, at_time
            at = scenario.clock.hours(cp.at_time)
        env.process(_checkpoint(w, cid, at))
    marks, _ = _marks(scenario)
    if marks:
        env.process(_wake_at(w, marks))

    end = env.timeout(horizon)
    env.run(until=first_of(env, (end, w.stop)))
    if w.pending is None and keep_trace:
        w.record(EndRecord(actor="control", tension=round(tension.value(), 4), rung=tension.rung))
    metrics, outcomes = measure(w)
    return Result(scenario=scenario.name, scenario_hash=scenario.content_hash, seed=_seed_repr(seed),
                  horizon_h=horizon, metrics=metrics, objectives=outcomes, decisions=list(w.decision_log),
                  trace=w.trace, state=w.snapshot(), pending=w.pending)
