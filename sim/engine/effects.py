"""Carrying out the effects of injects and decision options.

One small function per effect kind (``_EFFECTS``), each changing the world and, when the
trace is kept, recording what it did.
"""
from __future__ import annotations

from ..scenario.model import Effect
from .world import World


def apply_effects(w: World, effects: list[Effect], actor: str, rng, facts=(), why: str = "") -> None:
    """Apply ``effects`` in order; ``rng`` (``random()`` only) draws any sampled amounts. ``actor`` (an id)
    is recorded as who did it; ``why`` (a title, default the actor) is what a rung change names."""
    for e in effects:
        _EFFECTS[e.kind](w, e, actor, rng, facts, why or actor)


def apply_effect(w: World, e: Effect, actor: str, rng, facts=(), why: str = "") -> None:
    _EFFECTS[e.kind](w, e, actor, rng, facts, why or actor)


def _signal(w, e, actor, rng, facts, why):
    w.mark(e.signal, actor, f"{e.signal}", facts)


def _tension(w, e, actor, rng, facts, why):
    amount = e.tension.sample(rng)
    if w.keep_trace:
        w.record("effect", actor, f"tension {amount:+.1f}", {"tension_delta": round(amount, 4)}, facts)
    w.tension.add(amount, actor, why, facts)


def _tension_floor(w, e, actor, rng, facts, why):
    if w.keep_trace:
        w.record("effect", actor, f"tension floor set to {e.tension_floor:g}", {"tension_floor": e.tension_floor},
                 facts)
    w.tension.set_floor(e.tension_floor, actor, why)


def _order(w, e, actor, rng, facts, why):
    kind = e.kind
    fs = w.forces[getattr(e, kind)]
    setattr(fs, f"{kind}_ordered", True)
    if w.keep_trace:
        w.record("effect", actor, f"{kind} ordered: {fs.spec.name}", {"force": fs.id, "order": kind}, facts)
    w.notify("force")


def _hold_release(w, e, actor, rng, facts, why):
    kind = e.kind
    fs = w.forces[getattr(e, kind)]
    fs.held = kind == "hold"
    if w.keep_trace:
        w.record("effect", actor, f"{fs.spec.name} {'held at readiness' if fs.held else 'released'}",
                 {"force": fs.id, "held": fs.held}, facts)
    w.notify("force")


def _delay(w, e, actor, rng, facts, why):
    fs = w.forces[e.delay.force]
    hours = e.delay.hours.sample(rng)
    fs.due += hours
    if w.keep_trace:
        w.record("effect", actor, f"{fs.spec.name} delayed {hours:.1f} h", {"force": fs.id, "delay_h": round(hours, 4)},
                 facts)


def _measure(w, e, actor, rng, facts, why):
    w.measures[e.measure.id] = e.measure.active
    w.measure_p = None  # the cached product of active measure factors is stale
    if w.keep_trace:
        spec = w.s.deconfliction.measures[e.measure.id]
        w.record("effect", actor, f"deconfliction measure {spec.name} {'on' if e.measure.active else 'off'}",
                 {"measure": e.measure.id, "active": e.measure.active}, facts or spec.facts)


def _presence(w, e, actor, rng, facts, why):
    fs = w.forces[e.presence.force]
    fs.presence_scale = e.presence.factor
    if w.keep_trace:
        w.record("effect", actor, f"{fs.spec.name} presence x{e.presence.factor:g}",
                 {"force": fs.id, "presence_scale": e.presence.factor}, facts)
    w.notify(presence=True)


def _commit(w, e, actor, rng, facts, why):
    w.mark(f"axis.{e.commit}.ordered", actor, f"commit ordered: {e.commit}", facts, record=False)


def _encounter_rate_factor(w, e, actor, rng, facts, why):
    w.encounter_factor *= e.encounter_rate_factor
    if w.keep_trace:
        w.record("effect", actor, f"encounter rate x{e.encounter_rate_factor:g}",
                 {"encounter_factor": round(w.encounter_factor, 6)}, facts)
    w.notify(presence=True)


_EFFECTS = {
    "signal": _signal, "tension": _tension, "tension_floor": _tension_floor,
    "alert": _order, "activate": _order, "deploy": _order, "hold": _hold_release, "release": _hold_release,
    "delay": _delay, "measure": _measure, "presence": _presence, "commit": _commit,
    "encounter_rate_factor": _encounter_rate_factor,
}
