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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...engine.trace import Result
from ...scenario.model import Scenario
from ..wording import num
from .escalation import _deconfliction_why, _escalation_why
from .events import _checkpoint_why, _event_why
from .forces import COMPONENTS, ForceChain, LateForce, _force_why, force_chain, late_miss
from .kinds import CauseKind, action, wording
from .triggers import TRIGGER_KINDS, trigger_of
from .why import Step, Why

__all__ = ["COMPONENTS", "TRIGGER_KINDS", "CauseKind", "CauseNote", "ForceChain", "Found", "LateForce", "Step", "Why",
           "action", "batch_causes", "batch_causes_of", "explain", "force_chain", "note", "trigger_of", "wording"]


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


@dataclass(frozen=True)
class Found:
    """A cause found in one run without the batch's context: its kind and subject (the category counted)."""

    kind: CauseKind
    subject: str = ""

    def key_kind(self, s: Scenario, ctx: dict[str, Any]) -> tuple[str, CauseKind]:
        return wording(self.kind, self.subject), self.kind


CauseNote = Found | LateForce
"""What a batch keeps of one missed run for the causes count: the cause when it is known from the run
alone, or the numbers that pick it once the batch's medians are known (a late force)."""


def note(s: Scenario, oid: str, r: Result) -> CauseNote | None:
    """The compact cause of objective ``oid``'s miss in run ``r`` (None when met), read from its trace
    (in a batch's worker, so the trace need not be kept): :func:`cause_of` of it with the batch's context
    is the category :func:`explain` gives with that context."""
    if r.objectives[oid].met:
        return None
    late = late_miss(s, s.objectives[oid], r)
    if late is not None:
        return late
    w = explain(s, oid, r, {})  # only a late force reads the context
    assert w is not None
    return Found(w.kind, w.subject)


def cause_of(s: Scenario, n: CauseNote, ctx: dict[str, Any]) -> tuple[str, CauseKind]:
    """(category as worded, kind) of a noted miss, with the batch's context."""
    if isinstance(n, LateForce):
        kind = n.kind(s, ctx)
        return wording(kind), kind
    return n.key_kind(s, ctx)


def batch_causes_of(s: Scenario, notes: Iterable[tuple[int, CauseNote]], ctx: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    """The causes of the misses over a batch from the runs' notes (``(position, note)`` of each missed
    run, in position order): {"failed", "causes": [{cause, kind, count, share, example_rep}]}."""
    ctx = ctx or {}
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    kinds: dict[str, CauseKind] = {}
    failed = 0
    for i, n in notes:
        key, kind = cause_of(s, n, ctx)
        failed += 1
        counts[key] += 1
        first.setdefault(key, i)
        kinds[key] = kind
    causes = [{"cause": k, "kind": kinds[k], "count": c, "share": c / failed, "example_rep": first[k]}
              for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"failed": failed, "causes": causes}


def batch_causes(s: Scenario, oid: str, results: list[Result], ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    """The causes of the misses over a batch of full runs (:func:`batch_causes_of` of their notes)."""
    found: Mapping[int, CauseNote | None] = {i: note(s, oid, r) for i, r in enumerate(results)}
    return batch_causes_of(s, ((i, n) for i, n in found.items() if n is not None), ctx)
