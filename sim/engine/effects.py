"""Carrying out the effects of injects and decision options.

Each effect applies itself (:mod:`sim.scenario.effects`) against the world, which implements
:class:`~sim.scenario.effects.EffectTarget` through its narrow methods.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..scenario.draws import Draws
from ..scenario.effects import Effect, EffectContext
from .world import World


def apply_effects(w: World, effects: Sequence[Effect], actor: str, rng: Draws, facts: Sequence[str] = (),
                  why: str = "") -> None:
    """Apply ``effects`` in order; ``rng`` draws any sampled amounts. ``actor`` (an id) is recorded
    as who did it; ``why`` (a title, default the actor) is what a rung change names."""
    if effects:
        ctx = EffectContext(actor, facts, why or actor, rng)
        for e in effects:
            e.apply(w, ctx)

