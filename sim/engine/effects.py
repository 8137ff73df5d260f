"""Carrying out the effects of injects and decision options."""
from __future__ import annotations

import numpy as np

from ..scenario.model import Effect
from .world import World


def apply_effects(w: World, effects: list[Effect], actor: str, rng: np.random.Generator, facts=()) -> None:
    for e in effects:
        apply_effect(w, e, actor, rng, facts)


def apply_effect(w: World, e: Effect, actor: str, rng: np.random.Generator, facts=()) -> None:
    kind = e.kind
    if kind == "signal":
        w.mark(e.signal, actor, f"{e.signal}", facts)
    elif kind == "tension":
        amount = e.tension.sample(rng)
        w.record("effect", actor, f"tension {amount:+.1f}", {"tension_delta": round(amount, 4)}, facts)
        w.tension.add(amount, actor, actor, facts)
    elif kind == "tension_floor":
        w.record("effect", actor, f"tension floor set to {e.tension_floor:g}", {"tension_floor": e.tension_floor}, facts)
        w.tension.set_floor(e.tension_floor, actor, actor)
    elif kind in ("alert", "activate", "deploy"):
        fs = w.forces[getattr(e, kind)]
        setattr(fs, f"{kind}_ordered", True)
        w.record("effect", actor, f"{kind} ordered: {fs.spec.name}", {"force": fs.id, "order": kind}, facts)
        w.notify("force")
    elif kind in ("hold", "release"):
        fs = w.forces[getattr(e, kind)]
        fs.held = kind == "hold"
        w.record("effect", actor, f"{fs.spec.name} {'held at readiness' if fs.held else 'released'}",
                 {"force": fs.id, "held": fs.held}, facts)
        w.notify("force")
    elif kind == "delay":
        fs = w.forces[e.delay.force]
        hours = e.delay.hours.sample(rng)
        fs.due += hours
        w.record("effect", actor, f"{fs.spec.name} delayed {hours:.1f} h", {"force": fs.id, "delay_h": round(hours, 4)},
                 facts)
    elif kind == "measure":
        w.measures[e.measure.id] = e.measure.active
        w.measure_p = None  # the cached product of active measure factors is stale
        spec = w.s.deconfliction.measures[e.measure.id]
        w.record("effect", actor, f"deconfliction measure {spec.name} {'on' if e.measure.active else 'off'}",
                 {"measure": e.measure.id, "active": e.measure.active}, facts or spec.facts)
    elif kind == "presence":
        fs = w.forces[e.presence.force]
        fs.presence_scale = e.presence.factor
        w.record("effect", actor, f"{fs.spec.name} presence x{e.presence.factor:g}",
                 {"force": fs.id, "presence_scale": e.presence.factor}, facts)
        w.notify(presence=True)
    elif kind == "commit":
        w.mark(f"axis.{e.commit}.ordered", actor, f"commit ordered: {e.commit}", facts, record=False)
    elif kind == "encounter_rate_factor":
        w.encounter_factor *= e.encounter_rate_factor
        w.record("effect", actor, f"encounter rate x{e.encounter_rate_factor:g}",
                 {"encounter_factor": round(w.encounter_factor, 6)}, facts)
        w.notify(presence=True)
    else:  # pragma: no cover - the model admits no other key
        raise ValueError(kind)
