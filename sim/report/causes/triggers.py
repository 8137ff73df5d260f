"""Trace lookups: which record set another off (:func:`trigger_of`), the record that made an
event or condition true, and how a trigger is named in a sentence."""
from __future__ import annotations

from ...engine.trace import (
    EFFECT_TYPES,
    CheckpointRecord,
    DecisionRecord,
    ForceRecord,
    InjectRecord,
    OrderEffectRecord,
    Record,
    SignalRecord,
)
from ...narrative import h_label
from ...scenario import conditions as C
from ...scenario.conditions import FORCE_STATES

TRIGGER_KINDS = ("inject", "signal", "decision", "effect", "checkpoint")
_TRIGGER_TYPES = (InjectRecord, SignalRecord, DecisionRecord, CheckpointRecord, *EFFECT_TYPES)


def _makes(r: Record, ev: str) -> bool:
    """Whether ``r`` is the record of event ``ev`` (an inject id, a signal, or ``decision.<id>``)."""
    if isinstance(r, InjectRecord):
        return r.inject == ev
    if isinstance(r, SignalRecord):
        return r.event == ev
    if isinstance(r, DecisionRecord):
        return f"decision.{r.decision}" == ev
    return False


def event_record(trace: list[Record], ev: str, upto: int | None = None) -> Record | None:
    """The first record (before index ``upto``) of event ``ev``."""
    return next((r for r in trace[:upto] if _makes(r, ev)), None)


def _cond_record(trace: list[Record], upto: int, cond: C.Condition | None) -> Record | None:
    """The latest record (before index ``upto``) that made ``cond`` true, where the trace shows it."""
    if isinstance(cond, C.EventCond):
        return event_record(trace, cond.event, upto)
    if isinstance(cond, C.DecisionCond):
        return event_record(trace, f"decision.{cond.decision}", upto)
    if isinstance(cond, C.ForceCond):
        return next((r for r in trace[:upto] if isinstance(r, ForceRecord) and r.force == cond.force
                     and FORCE_STATES.index(r.state) >= FORCE_STATES.index(cond.state)), None)
    if isinstance(cond, (C.AllCond, C.AnyCond)):
        found = [x for x in (_cond_record(trace, upto, c) for c in (cond.all if isinstance(cond, C.AllCond)
                                                                     else cond.any)) if x is not None]
        return max(found, key=lambda r: r.seq) if found else None
    return None


def trigger_of(trace: list[Record], rec: Record, cond: C.Condition | None = None,
               order: tuple[str, str] | None = None) -> Record | None:
    """The record that set ``rec`` off.

    An order effect on the force (``order``: (force id, "activate")) first, then the record that made
    the condition ``cond`` true at that same hour, else the nearest earlier non-force record at that hour.
    """
    i = trace.index(rec)
    if order is not None:
        o = next((r for r in reversed(trace[:i]) if isinstance(r, OrderEffectRecord) and r.force == order[0]
                  and r.order == order[1]), None)
        if o is not None:
            return o
    if cond is not None:
        c = _cond_record(trace, i, cond)
        if c is not None and c.t_h == rec.t_h:
            return c
    for r in reversed(trace[:i]):
        if r.t_h != rec.t_h:
            break
        if isinstance(r, _TRIGGER_TYPES):
            return r
    return None


def _trigger_name(r: Record | None) -> str:
    if r is None:
        return "its condition coming true as time passed"
    if isinstance(r, InjectRecord):
        return f"inject \u201c{r.title}\u201d at {h_label(r.t_h)}"
    if isinstance(r, DecisionRecord):
        return f"decision \u201c{r.title}: {r.label}\u201d at {h_label(r.t_h)}"
    if isinstance(r, CheckpointRecord):
        return f"checkpoint \u201c{r.title}\u201d at {h_label(r.t_h)}"
    return f"{r.kind} \u201c{r.text}\u201d at {h_label(r.t_h)}"
