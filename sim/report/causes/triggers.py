"""Trace lookups: which record set another off (:func:`trigger_of`), the record that made an
event or condition true, and how a trigger is named in a sentence."""
from __future__ import annotations

from ...engine.trace import Record
from ...narrative import h_label
from ...scenario import conditions as C
from ...scenario.conditions import FORCE_STATES

TRIGGER_KINDS = ("inject", "signal", "decision", "effect", "checkpoint")


def _event_record(trace: list[Record], upto: int, ev: str) -> Record | None:
    for r in trace[:upto]:
        if (r.kind == "inject" and r.state.get("inject") == ev) or (r.kind == "signal" and r.state.get("event") == ev) \
                or (r.kind == "decision" and f"decision.{r.state.get('decision')}" == ev):
            return r
    return None


def _cond_record(trace: list[Record], upto: int, cond) -> Record | None:
    """The latest record (before index ``upto``) that made ``cond`` true, where the trace shows it."""
    if isinstance(cond, C.EventCond):
        return _event_record(trace, upto, cond.event)
    if isinstance(cond, C.DecisionCond):
        return _event_record(trace, upto, f"decision.{cond.decision}")
    if isinstance(cond, C.ForceCond):
        return next((r for r in trace[:upto] if r.kind == "force" and r.state.get("force") == cond.force
                     and FORCE_STATES.index(r.state["state"]) >= FORCE_STATES.index(cond.state)), None)
    if isinstance(cond, (C.AllCond, C.AnyCond)):
        found = [x for x in (_cond_record(trace, upto, c) for c in (cond.all if isinstance(cond, C.AllCond)
                                                                     else cond.any)) if x is not None]
        return max(found, key=lambda r: r.seq) if found else None
    return None


def trigger_of(trace: list[Record], rec: Record, cond=None, order: tuple[str, str] | None = None) -> Record | None:
    """The record that set ``rec`` off.

    An order effect on the force (``order``: (force id, "activate")) first, then the record that made
    the condition ``cond`` true at that same hour, else the nearest earlier non-force record at that hour.
    """
    i = trace.index(rec)
    if order is not None:
        o = next((r for r in reversed(trace[:i]) if r.kind == "effect" and r.state.get("force") == order[0]
                  and r.state.get("order") == order[1]), None)
        if o is not None:
            return o
    if cond is not None:
        c = _cond_record(trace, i, cond)
        if c is not None and c.t_h == rec.t_h:
            return c
    for r in reversed(trace[:i]):
        if r.t_h != rec.t_h:
            break
        if r.kind in TRIGGER_KINDS:
            return r
    return None


def _trigger_name(r: Record | None) -> str:
    if r is None:
        return "its condition coming true as time passed"
    if r.kind == "inject":
        return f"inject \u201c{r.state.get('title', r.text)}\u201d at {h_label(r.t_h)}"
    if r.kind == "decision":
        return f"decision \u201c{r.text}\u201d at {h_label(r.t_h)}"
    return f"{r.kind} \u201c{r.text}\u201d at {h_label(r.t_h)}"
