"""Scenario data told in words: distributions, events and conditions, as reports and the
facilitator's MSEL show them."""
from __future__ import annotations

from . import conditions as C
from .distributions import Dist
from .model import Scenario


def dist_text(d: Dist | None) -> str:
    """e.g. "triangular 48/60/72 (low/mode/high)" or "96" (each distribution says itself)."""
    return "" if d is None else d.describe()


def event_title(s: Scenario, event: str) -> str:
    if event in s.injects:
        return f"inject \u201c{s.injects[event].title}\u201d"
    if event.startswith("decision.") and event[9:] in s.decisions:
        return f"decision \u201c{s.decisions[event[9:]].title}\u201d"
    if event.startswith("axis.") and s.adversary:
        parts = event.split(".")
        if len(parts) == 3 and parts[1] in s.adversary.axes:
            return f"{s.adversary.axes[parts[1]].name} {parts[2]}"
    return f"signal \u201c{event}\u201d"


def cond_text(s: Scenario, c: C.Condition | None) -> str:
    """A condition in words: "inject “Emergency video summit”", "time >= H+36 and tension <= 40",
    "(VJTF ready or decision “Deploy?” = deploy)", "not (…)"."""
    if c is None:
        return "no condition"
    if isinstance(c, C.EventCond):
        return event_title(s, c.event)
    if isinstance(c, C.ForceCond):
        name = s.forces[c.force].name if c.force in s.forces else c.force
        return f"{name} {c.state.replace('_', ' ')}"
    if isinstance(c, C.DecisionCond):
        title = s.decisions[c.decision].title if c.decision in s.decisions else c.decision
        return f"decision \u201c{title}\u201d" + (f" = {c.option}" if c.option else "")
    if isinstance(c, C.MetricCond):
        sym = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<", "eq": "="}
        name, pre = ("time", "H+") if c.metric == "time_h" else (c.metric, "")
        return " and ".join(f"{name} {sym[k]} {pre}{getattr(c, k):g}" for k in sym if getattr(c, k) is not None)
    if isinstance(c, C.AllCond):
        return " and ".join(cond_text(s, x) for x in c.all)
    if isinstance(c, C.AnyCond):
        return "(" + " or ".join(cond_text(s, x) for x in c.any) + ")"
    if isinstance(c, C.NotCond):
        return f"not ({cond_text(s, c.not_)})"
    return str(c)
