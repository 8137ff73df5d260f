"""Why an objective was missed: a cause chain read from one run's trace.

Each analysis walks the records that bear on the objective's metric and returns a
:class:`Why`: a short category (``key``, counted across a batch's failed replications),
a headline naming the event that decided the miss, and the chain of dated steps that led
there. Nothing here is canned: every sentence is built from trace records and the
scenario's own parameters.

* force timing (``force.<id>.<time>``): activation (and the record that triggered it),
  the notice to move drawn, delay and hold effects, the wait for the deploy condition, transit;
* escalation (``peak_rung``, ``peak_tension``, ...): the tension jumps (incidents, injects,
  decisions) that took tension over the line, with the rung climbs;
* deconfliction (``incidents``, ``incident_share``): the incidents and the measure switches;
* checkpoint posture (``checkpoint.<id>.on_station...``): the forces not yet in place;
* event timing (``event.<name>.h``): when the event came and what it waited for.

Every cause has a kind from one enum (:class:`.kinds.CauseKind`); its wording (the category a
report counts) and its corrective action are looked up by the kind in :mod:`.kinds`.

Modules: :mod:`.kinds` (CauseKind, wording, action), :mod:`.why` (Step, Why), :mod:`.triggers`
(trace lookups), :mod:`.forces` (readiness chains), :mod:`.escalation` (escalation and
deconfliction), :mod:`.events` (checkpoints and events); :func:`explain` and :func:`batch_causes`
here dispatch to them.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ...engine.trace import Result
from ...scenario.model import Scenario
from ..wording import num
from .escalation import _deconfliction_why, _escalation_why
from .events import _checkpoint_why, _event_why
from .forces import COMPONENTS, ForceChain, _force_why, force_chain
from .kinds import CauseKind, action, wording
from .triggers import TRIGGER_KINDS, trigger_of
from .why import Step, Why

__all__ = ["COMPONENTS", "TRIGGER_KINDS", "CauseKind", "ForceChain", "Step", "Why", "action", "batch_causes",
           "explain", "force_chain", "trigger_of", "wording"]


def explain(s: Scenario, oid: str, r: Result, ctx: dict[str, Any] | None = None) -> Why | None:
    """Why objective ``oid`` was missed in run ``r`` (None when it was met).

    ``ctx`` may hold ``medians`` (metric name -> batch median, the yardstick for a late activation)
    and ``reference`` (the baseline Scenario, whose mean notice to move and transit are the
    yardstick for "long"; default: this scenario's own).
    """
    ctx = ctx or {}
    o = s.objectives[oid]
    if r.objectives[oid].met:
        return None
    m = o.metric
    parts = m.split(".")
    if parts[0] == "force" and len(parts) == 3 and parts[1] in s.forces:
        return _force_why(s, o, r, parts[1], parts[2], ctx)
    if m in ("peak_rung", "final_rung", "peak_tension", "final_tension"):
        return _escalation_why(s, o, r, ctx)
    if m in ("incidents", "incident_share", "encounters"):
        return _deconfliction_why(s, o, r, ctx)
    if parts[0] == "checkpoint" and len(parts) >= 3 and parts[1] in s.checkpoints:
        return _checkpoint_why(s, o, r, ctx)
    if parts[0] == "event" and m.endswith(".h"):
        return _event_why(s, o, r, ctx)
    v = r.metrics.get(m)
    return Why(CauseKind.OUTSIDE_TARGET, f"{m} = {num(v, 2)} against the target {o.target.describe()}", [], m)


def batch_causes(s: Scenario, oid: str, results: list[Result], ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    """The causes of the misses over a batch: {"failed", "causes": [{cause, kind, count, share, example_rep}]}
    (``cause`` the category as worded, ``kind`` its CauseKind)."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    kinds: dict[str, CauseKind] = {}
    failed = 0
    for i, r in enumerate(results):
        w = explain(s, oid, r, ctx)
        if w is None:
            continue
        failed += 1
        counts[w.key] += 1
        first.setdefault(w.key, i)
        kinds[w.key] = w.kind
    causes = [{"cause": k, "kind": kinds[k], "count": n, "share": n / failed, "example_rep": first[k]}
              for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"failed": failed, "causes": causes}
