"""Checkpoint and event causes: the forces not yet in place at a checkpoint
(``checkpoint.<id>....``), and when an event came and what it waited for (``event.<name>.h``)."""
from __future__ import annotations

from typing import Any

from ...engine.trace import CheckpointRecord, Result
from ...narrative import h_label
from ...scenario.model import Objective, Scenario
from ..wording import cond_text, dist_text, event_title, num
from .escalation import _deconfliction_why, _escalation_why
from .forces import _force_steps, force_chain
from .kinds import CauseKind
from .triggers import _trigger_name, event_record, trigger_of
from .why import Step, Why, _miss


def _checkpoint_why(s: Scenario, o: Objective, r: Result, ctx: dict[str, Any]) -> Why:
    parts = o.metric.split(".")
    cid = parts[1]
    cp_title = s.checkpoints[cid].title
    cp = next((x for x in r.trace if isinstance(x, CheckpointRecord) and x.checkpoint == cid), None)
    value = r.metrics.get(o.metric)
    if cp is None:
        return Why(CauseKind.CHECKPOINT_NOT_REACHED, f"the run ended before the checkpoint \u201c{cp_title}\u201d", [])
    if parts[2] in ("tension", "rung"):
        return _escalation_why(s, o, r, ctx | {"until_h": cp.t_h})
    if parts[2] in ("incidents", "encounters"):
        return _deconfliction_why(s, o, r, ctx)
    forces = cp.forces
    if parts[2] == "on_station":
        side, unit = parts[3], parts[4]
        relevant = [f for f, spec in s.forces.items() if spec.side == side and (spec.unit == unit or unit in spec.includes)]
    elif parts[2] == "force":
        relevant = [parts[3]]
    else:
        relevant = []
    missing = [f for f in relevant if forces.get(f) != "in_place"]
    chain = [Step.of(cp, f"checkpoint \u201c{cp_title}\u201d: {o.metric.split('.', 2)[2]} = {num(value)}")]
    heads = []
    for f in missing:
        fc = force_chain(s, r, f)
        spec = s.forces[f]
        later = f", in place only at {h_label(fc.times['in_place'])}" if "in_place" in fc.times else ", never in place"
        amount = spec.includes.get(parts[4], spec.strength) if parts[2] == "on_station" else ""
        heads.append(f"{spec.name} ({amount:g} {parts[4]}) still {forces.get(f, '?').replace('_', ' ')}{later}"
                     if amount != "" else f"{spec.name} still {forces.get(f, '?').replace('_', ' ')}{later}")
        chain += _force_steps(s, fc, "in_place")
    chain.sort(key=lambda st: st.t_h)
    if not missing:
        return Why(CauseKind.POSTURE_SHORT, f"{o.metric} = {num(value)} at the checkpoint, all "
                   f"{side if parts[2] == 'on_station' else ''} forces in place", chain)
    names = ", ".join(s.forces[f].name for f in missing)
    return Why(CauseKind.NOT_IN_PLACE,
               f"at the checkpoint \u201c{cp_title}\u201d ({h_label(cp.t_h)}): " + "; ".join(heads), chain, names)


# --- events -----------------------------------------------------------------------------------

def _event_why(s: Scenario, o: Objective, r: Result, ctx: dict[str, Any]) -> Why:
    ev = o.metric[len("event."):-len(".h")]
    value = r.metrics.get(o.metric)
    title = event_title(s, ev)
    rec = event_record(r.trace, ev)
    chain = [Step.of(rec)] if rec else []
    item = s.injects.get(ev) or (s.decisions.get(ev[9:]) if ev.startswith("decision.") else None)
    if value is None:
        why = f" (it waits for {cond_text(s, item.when)})" if item is not None and item.when is not None else ""
        return Why(CauseKind.EVENT_NEVER, f"{title} never happened by the end of the run{why}", chain, title)
    limit = o.target.lte if _miss(o, value) == "late" else o.target.gte
    if item is not None and item.at_h is not None:
        return Why(CauseKind.EVENT_LATE if _miss(o, value) == "late" else CauseKind.EVENT_EARLY,
                   f"{title} came at {h_label(value)} (scenario: {dist_text(item.at_h)} h), against {limit:g} h", chain,
                   title)
    if item is not None and item.when is not None:
        trig = trigger_of(r.trace, rec) if rec else None
        if trig is not None:
            chain.insert(0, Step.of(trig))
        return Why(CauseKind.EVENT_LATE, f"{title} came at {h_label(value)}, when {cond_text(s, item.when)} held"
                   f"{' (set off by ' + _trigger_name(trig) + ')' if trig else ''}; limit {limit:g} h", chain, title)
    return Why(CauseKind.EVENT_LATE, f"{title} came at {h_label(value)}; limit {limit:g} h", chain, title)

