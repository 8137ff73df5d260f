"""Force readiness chains: standby -> alerted -> activated -> ready -> deploying -> in place.

Alert and activation wait for their condition (or an order from an effect);
activation -> ready takes the notice-to-move, ready -> deploying waits for the
deploy condition (and no hold), deploying -> in place takes the transit time.
Delay effects lengthen the step under way.
"""
from __future__ import annotations

from collections.abc import Callable

from ..scenario.conditions import Condition, ForceStage
from ..scenario.effects import Order
from ..scenario.tempo import tempo_factor
from .world import ForceState, Process, World, channels_of

STANDBY, ALERTED, ACTIVATED, READY, DEPLOYING, IN_PLACE = ForceStage


def _ordered(w: World, fs: ForceState, cond: Condition | None, order: Order) -> Callable[[], bool]:
    orders = fs.orders
    return lambda: order in orders or (cond is not None and cond.test(w))


def _timed(w: World, fs: ForceState, hours: float) -> Process:
    w.start_timed_step(fs, hours)
    while w.env.now < fs.due:  # a delay effect may move the end on while we sleep
        yield w.env.timeout(fs.due - w.env.now)


def force_process(w: World, fs: ForceState) -> Process:
    spec = fs.spec
    notice = spec.notice_to_move_h.sample(w.draws(f"forces.{fs.id}.notice_to_move_h")) * tempo_factor(w.s, "notice_to_move")
    transit = spec.transit_h.sample(w.draws(f"forces.{fs.id}.transit_h"))
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
