"""Carrying out the effects of injects and decision options.

Each effect applies itself (:mod:`sim.scenario.effects`) against the world, which implements
:class:`~sim.scenario.effects.EffectTarget` through its narrow methods, each recording its typed
trace record (:mod:`.trace`) naming the cause.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..scenario.draws import Draws
from ..scenario.effects import Effect, EffectContext
from .trace import Source
from .world import World


def apply_effects(w: World, effects: Sequence[Effect], actor: str, rng: Draws, facts: Sequence[str],
                  cause: Source) -> None:
    """Apply ``effects`` in order; ``rng`` draws any sampled amounts. ``actor`` (an id) is recorded
    as who did it; ``cause`` (the inject or decision option) is what the records name."""
    if effects:
        ctx = EffectContext(actor, facts, cause, rng)
        for e in effects:
            e.apply(w, ctx)
