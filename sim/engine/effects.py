"""Carrying out the effects of injects and decision options.

One small function per effect kind (``_EFFECTS``), each changing the world and, when the
trace is kept, recording what it did.
"""
from __future__ import annotations

from ..scenario.model import Effect
from .trace import (
    DelayEffectRecord,
    EncounterFactorEffectRecord,
    HoldEffectRecord,
    MeasureEffectRecord,
    OrderEffectRecord,
    PresenceEffectRecord,
    Source,
)
from .world import World


def apply_effects(w: World, effects: list[Effect], actor: str, rng, facts, cause: Source) -> None:
    """Apply ``effects`` in order; ``rng`` (``random()`` only) draws any sampled amounts. ``actor`` (an id)
    is recorded as who did it; ``cause`` (the inject or decision option) is what the records name."""
    for e in effects:
        _EFFECTS[e.kind](w, e, actor, rng, facts, cause)


def apply_effect(w: World, e: Effect, actor: str, rng, facts, cause: Source) -> None:
    _EFFECTS[e.kind](w, e, actor, rng, facts, cause)


def _signal(w, e, actor, rng, facts, cause):
    w.mark(e.signal, actor, facts)


def _tension(w, e, actor, rng, facts, cause):
    w.tension.add(e.tension.sample(rng), actor, cause, facts)


def _tension_floor(w, e, actor, rng, facts, cause):
    w.tension.set_floor(e.tension_floor, actor, cause, facts)


def _order(w, e, actor, rng, facts, cause):
    kind = e.kind
    fs = w.forces[getattr(e, kind)]
    setattr(fs, f"{kind}_ordered", True)
    if w.keep_trace:
        w.record(OrderEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fs.id, name=fs.spec.name,
                                   order=kind))
    w.notify("force")


def _hold_release(w, e, actor, rng, facts, cause):
    kind = e.kind
    fs = w.forces[getattr(e, kind)]
    fs.held = kind == "hold"
    if w.keep_trace:
        w.record(HoldEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fs.id, name=fs.spec.name,
                                  held=fs.held))
    w.notify("force")


def _delay(w, e, actor, rng, facts, cause):
    fs = w.forces[e.delay.force]
    hours = e.delay.hours.sample(rng)
    fs.due += hours
    if w.keep_trace:
        w.record(DelayEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fs.id, name=fs.spec.name,
                                   delay_h=round(hours, 4)))


def _measure(w, e, actor, rng, facts, cause):
    w.measures[e.measure.id] = e.measure.active
    w.measure_p = None  # the cached product of active measure factors is stale
    if w.keep_trace:
        spec = w.s.deconfliction.measures[e.measure.id]
        w.record(MeasureEffectRecord(actor=actor, facts=list(facts or spec.facts), cause=cause, measure=e.measure.id,
                                     name=spec.name, active=e.measure.active))


def _presence(w, e, actor, rng, facts, cause):
    fs = w.forces[e.presence.force]
    fs.presence_scale = e.presence.factor
    if w.keep_trace:
        w.record(PresenceEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fs.id, name=fs.spec.name,
                                      factor=e.presence.factor))
    w.notify(presence=True)


def _commit(w, e, actor, rng, facts, cause):
    w.mark(f"axis.{e.commit}.ordered", actor, facts, record=False)


def _encounter_rate_factor(w, e, actor, rng, facts, cause):
    w.encounter_factor *= e.encounter_rate_factor
    if w.keep_trace:
        w.record(EncounterFactorEffectRecord(actor=actor, facts=list(facts), cause=cause,
                                             factor=e.encounter_rate_factor,
                                             encounter_factor=round(w.encounter_factor, 6)))
    w.notify(presence=True)


_EFFECTS = {
    "signal": _signal, "tension": _tension, "tension_floor": _tension_floor,
    "alert": _order, "activate": _order, "deploy": _order, "hold": _hold_release, "release": _hold_release,
    "delay": _delay, "measure": _measure, "presence": _presence, "commit": _commit,
    "encounter_rate_factor": _encounter_rate_factor,
}
