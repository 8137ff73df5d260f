"""Injects: scenario events told to the players, fired at a time or on a condition, with effects."""
from __future__ import annotations

from ..scenario.draws import Draws
from ..scenario.model import Inject
from .effects import apply_effects
from .timing import wait_timing
from .world import Process, World


def fire_inject(w: World, iid: str, inj: Inject) -> None:
    w.deliver_inject(iid)
    if w.keep_trace:
        w.record("inject", inj.sender or "control", f"{inj.title}: {inj.text}",
                 {"inject": iid, "title": inj.title, "sender": inj.sender, "recipient": inj.recipient,
                  "expected_action": inj.expected_action}, inj.facts)
    apply_effects(w, inj.effects, iid, w.effects_rng, inj.facts, inj.title)
    w.notify("event")


def inject_process(w: World, iid: str, inj: Inject, rng: Draws) -> Process:
    yield from wait_timing(w, inj, rng)
    if iid in w.happened_at:  # delivered already (a facilitator brought it forward): once is enough
        return
    fire_inject(w, iid, inj)
