"""Injects: scenario events told to the players, fired at a time or on a condition, with effects."""
from __future__ import annotations

from ..scenario.model import Inject
from .effects import apply_effects
from .plan import Due
from .timing import wait_timing, when_due
from .trace import InjectRecord, Source, SourceKind
from .world import Process, World


def fire_inject(w: World, iid: str, inj: Inject) -> None:
    w.deliver_inject(iid)
    adhoc = iid not in w.s.injects  # written at a workshop's table
    if w.keep_trace:
        w.record(InjectRecord(actor=inj.sender or "control", facts=list(inj.facts), inject=iid, title=inj.title,
                              message=inj.text, sender=inj.sender, recipient=inj.recipient,
                              expected_action=inj.expected_action, adhoc=adhoc))
    if inj.effects:  # (most injects have none: their cause is not even made)
        cause = Source(SourceKind.ADHOC_INJECT if adhoc else SourceKind.INJECT, iid, inj.title)
        apply_effects(w, inj.effects, iid, w.effects_rng, inj.facts, cause)
    w.notify("event")


def _due(w: World, iid: str, inj: Inject) -> None:
    if iid in w.happened_at:  # delivered already (a facilitator brought it forward): once is enough
        return
    fire_inject(w, iid, inj)


def inject_process(w: World, iid: str, inj: Inject) -> Process:
    """Process body: fire ``iid`` when it is due (unless delivered already)."""
    yield from wait_timing(w, inj, f"injects.{iid}.at_h")
    _due(w, iid, inj)


def start_inject(w: World, iid: str, inj: Inject, due: Due) -> None:
    """The callback form of :func:`inject_process` (what the run's timetable starts)."""
    when_due(w, inj, due, lambda: _due(w, iid, inj))
