"""Force readiness chains: standby -> alerted -> activated -> ready -> deploying -> in place.

Alert and activation wait for their condition (or an order from an effect);
activation -> ready takes the notice-to-move, ready -> deploying waits for the
deploy condition (and no hold), deploying -> in place takes the transit time.
Delay effects lengthen the step under way.

A force with ``echelons:`` or a ``movement:`` (sim/scenario/movement.py) is alerted and
activated as a whole; then each echelon runs on its own: ready after its notice to move (from
the force's activation) or when its ``ready_when`` holds; once the force may deploy (its deploy
condition or order, and no hold) it stages at its origin, waits for its lift (sim/engine/lift.py),
moves (the lift's hours for all of it, plus the transit time), and is received at its destination.
An echelon is never ready before the one listed before it (echelons follow each other).
The force is **ready** when its first echelon is ready, **deploying** when the first echelon
starts staging, and **in place** when the last echelon is in place; its strength in place rises
by each echelon's strength as that echelon is in place (a step function of time).

Draws: every echelon draws at its own ``--set`` path; echelons that use the force's notice to
move, movement or transit time draw from the force's path, one draw each in the order the
echelons are listed (so the first echelon's notice is the draw a force without echelons gets).
"""
from __future__ import annotations

from collections.abc import Callable

from simpy.events import Event

from ..scenario.conditions import Condition, ForceStage
from ..scenario.effects import Order
from ..scenario.movement import movement_distance
from ..scenario.tempo import tempo_factor
from .lift import pool_for
from .world import EchelonState, ForceState, Process, World, channels_of

STANDBY, ALERTED, ACTIVATED, READY, DEPLOYING, IN_PLACE = ForceStage


def _ordered(w: World, fs: ForceState, cond: Condition | None, order: Order) -> Callable[[], bool]:
    orders = fs.orders
    return lambda: order in orders or (cond is not None and cond.test(w))


def _timed(w: World, fs: ForceState, hours: float) -> Process:
    w.start_timed_step(fs, hours)
    while w.env.now < fs.due:  # a delay effect may move the end on while we sleep
        yield w.env.timeout(fs.due - w.env.now)


def needs_process(fs: ForceState) -> bool:
    """Whether ``fs`` has a step left to take: a force in place at H-hour that does not move by
    echelons has none, so its process would only draw its times (each at its own path, which leaves
    every other draw as it is) and end; the run starts none for it (two SimPy events and a
    generator fewer, nothing else changed)."""
    return fs.stage < IN_PLACE or bool(fs.echelons)


def force_process(w: World, fs: ForceState) -> Process:
    if fs.echelons:
        yield from _by_echelons(w, fs)
        return
    spec = fs.spec
    notice = w.sample(spec.notice_to_move_h, f"forces.{fs.id}.notice_to_move_h") * tempo_factor(w.s, "notice_to_move")
    transit = w.sample(spec.transit_h, f"forces.{fs.id}.transit_h")
    activate = _ordered(w, fs, spec.activate_when, "activate")
    if fs.stage < ALERTED:
        alert = _ordered(w, fs, spec.alert_when, "alert")
        chans = channels_of(spec.alert_when, spec.activate_when) | {"force"}  # orders come on "force"
        yield from w.wait_for(lambda: alert() or activate(), chans)
        w.set_stage(fs, ALERTED)
    if fs.stage < ACTIVATED:
        chans = channels_of(spec.activate_when) | {"force"}
        yield from w.wait_for(activate, chans)
        w.set_stage(fs, ACTIVATED, notice_h=notice)
    if fs.stage < READY:
        yield from _timed(w, fs, notice)
        w.set_stage(fs, READY)
    if fs.stage < DEPLOYING:
        cond = spec.deploy_when
        chans = channels_of(cond) | {"force"}
        orders = fs.orders
        yield from w.wait_for(lambda: not fs.held and (cond is None or "deploy" in orders or cond.test(w)), chans)
        w.set_stage(fs, DEPLOYING, transit_h=transit)
    if fs.stage < IN_PLACE:
        yield from _timed(w, fs, transit)
        w.set_stage(fs, IN_PLACE)


# --- forces that move by echelons ------------------------------------------------------------

def staging_hours(w: World, hours: float) -> float:
    """The staging time an echelon takes at its origin: the drawn hours times the scenario's tempo
    factor for staging (:mod:`sim.scenario.tempo`)."""
    return hours * tempo_factor(w.s, "staging")


def _timed_echelon(w: World, es: EchelonState, hours: float) -> Process:
    w.echelon_timed(es, hours)
    while w.env.now < es.due:  # a delay effect may move the end on while we sleep
        yield w.env.timeout(es.due - w.env.now)


def _by_echelons(w: World, fs: ForceState) -> Process:
    spec = fs.spec
    fid = fs.id
    # every echelon's times, drawn at H+0 in the order the echelons are listed
    drawn: list[tuple[EchelonState, float | None, float, float, float]] = []
    for es in fs.echelons.values():
        p = es.plan
        notice = None
        if p.notice_path is not None:
            e = spec.echelons.get(p.id)
            dist = e.notice_to_move_h if e is not None and e.notice_to_move_h is not None else spec.notice_to_move_h
            notice = w.sample(dist, p.notice_path) * tempo_factor(w.s, "notice_to_move")
        mv, base = p.movement, p.movement_path
        if mv is None:
            transit, staging, reception = w.sample(spec.transit_h, f"forces.{fid}.transit_h"), 0.0, 0.0
        else:
            if mv.time_h is not None:
                transit = w.sample(mv.time_h, f"{base}.time_h")
            else:
                assert mv.speed_kmh is not None  # the model demands one of them
                speed = w.sample(mv.speed_kmh, f"{base}.speed_kmh")
                km = movement_distance(w.s, p)
                assert km is not None  # check_movement demands a distance for a speed
                transit = km / speed if speed > 0 else float("inf")
            staging = w.sample(mv.staging_h, f"{base}.staging_h")
            reception = w.sample(mv.reception_h, f"{base}.reception_h")
        drawn.append((es, notice, transit, staging, reception))
    activate = _ordered(w, fs, spec.activate_when, "activate")
    if fs.stage < ALERTED:
        alert = _ordered(w, fs, spec.alert_when, "alert")
        chans = channels_of(spec.alert_when, spec.activate_when) | {"force"}
        yield from w.wait_for(lambda: alert() or activate(), chans)
        w.set_stage(fs, ALERTED)
    if fs.stage < ACTIVATED:
        yield from w.wait_for(activate, channels_of(spec.activate_when) | {"force"})
        w.set_stage(fs, ACTIVATED, notice_h=drawn[0][1])  # the first echelon's notice (the force's readiness)
    start = fs.stage  # a force that starts the run ready (or deploying) has every echelon so
    before: Event | None = None  # the echelon listed before is ready
    for es, notice, transit, staging, reception in drawn:
        ready = Event(w.env)
        if es.stage == "waiting":
            w.env.process(_echelon(w, fs, es, start, notice, transit, staging, reception, before, ready))
        before = ready


def _echelon(w: World, fs: ForceState, es: EchelonState, start: int, notice: float | None, transit: float,
             staging: float, reception: float, before: Event | None, ready: Event) -> Process:
    spec, p = fs.spec, es.plan
    if start >= READY:
        notice = None
    elif p.ready_when is not None:
        cond = p.ready_when
        yield from w.wait_for(lambda: cond.test(w), channels_of(cond))
    elif notice is not None:
        yield from _timed_echelon(w, es, notice)
    if before is not None and not before.processed:  # never ready before the echelon listed before it
        yield before
    w.echelon_stage(fs, es, "ready", notice_h=notice)
    ready.succeed()
    if fs.stage < READY:
        w.set_stage(fs, READY)
    if start < DEPLOYING:
        gate = spec.deploy_when
        orders = fs.orders
        yield from w.wait_for(lambda: not fs.held and (gate is None or "deploy" in orders or gate.test(w)),
                              channels_of(gate) | {"force"})
    if fs.stage < DEPLOYING:
        w.set_stage(fs, DEPLOYING)
    w.echelon_stage(fs, es, "staging")
    yield from _timed_echelon(w, es, staging_hours(w, staging))
    pool = pool_for(w, fs.id, p)
    lift_h = 0.0
    if pool is not None:
        lift_h = yield pool.request(fs.id, p)
    move = lift_h + transit
    w.echelon_stage(fs, es, "moving", lift_h=lift_h if pool is not None else None, transit_h=transit,
                    arrival_h=w.env.now + max(move, 0.0) + es.carry)
    if move == float("inf"):
        return  # it never gets there (a speed of 0)
    yield from _timed_echelon(w, es, move)
    w.echelon_stage(fs, es, "arrived")
    yield from _timed_echelon(w, es, reception)
    w.echelon_stage(fs, es, "in_place")
    if fs.stage < IN_PLACE and all(e.stage == "in_place" for e in fs.echelons.values()):
        w.set_stage(fs, IN_PLACE)
