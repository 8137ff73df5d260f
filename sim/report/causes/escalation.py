"""Escalation and deconfliction causes: the tension jumps (incidents, injects, decisions) that
took tension over the line, with the rung climbs (``peak_rung``, ``peak_tension``, ...), and the
incidents and measure switches behind ``incidents`` / ``incident_share``."""
from __future__ import annotations

from collections import Counter

from ...engine.trace import Record, Result
from ...narrative import h_label
from ...scenario.model import Objective, Scenario
from .. import tension as T
from ..wording import num
from .why import Step, Why, _miss


def _jump_cause(s: Scenario, trace: list[Record], j: T.Jump) -> tuple[str, str]:
    """(category, description) of the record that made one tension jump."""
    rec = j.record
    if rec.kind == "incident":
        dom = rec.state.get("domain", "")
        return f"{dom} incident", f"{dom} incident at {h_label(rec.t_h)} (tension +{rec.state['tension_delta']:.1f})"
    actor = rec.actor
    if actor in s.injects:
        title = s.injects[actor].title
        return f"inject: {title}", f"inject \u201c{title}\u201d at {h_label(rec.t_h)} ({rec.text})"
    if actor.startswith("decision.") and actor[9:] in s.decisions:
        did = actor[9:]
        dec = next((x for x in reversed(trace[: trace.index(rec)]) if x.kind == "decision"
                    and x.state.get("decision") == did), None)
        label = dec.text if dec else s.decisions[did].title
        return f"decision: {label}", f"decision \u201c{label}\u201d at {h_label(rec.t_h)} ({rec.text})"
    adhoc = next((x for x in trace if x.kind == "inject" and x.state.get("inject") == actor), None)
    if adhoc is not None:   # an inject written at a workshop's table: its title, not its log id (adhoc-N)
        title = adhoc.state.get("title") or actor
        return f"inject: {title}", f"ad-hoc inject \u201c{title}\u201d at {h_label(rec.t_h)} ({rec.text})"
    return f"effect by {actor}", f"{rec.text} by {actor} at {h_label(rec.t_h)}"


def _escalation_why(s: Scenario, o: Objective, r: Result, ctx: dict) -> Why:
    value = r.metrics.get(o.metric)
    rungs = s.escalation.rungs
    metric = o.metric.split(".")[-1]
    is_rung = metric in ("peak_rung", "final_rung", "rung")
    limit = o.target.lte if o.target.lte is not None else o.target.gte
    line = rungs[int(limit) + 1].threshold if is_rung and int(limit) + 1 < len(rungs) else float(limit)
    upto = ctx.get("until_h", r.horizon_h)
    js = [j for j in T.jumps(s, r.trace) if j.t_h <= upto]
    crossing = [j for j in js if j.after >= line and j.before < line] if is_rung else \
        [j for j in js if j.after > line >= j.before]
    if _miss(o, value) == "early" or not crossing:
        return Why("tension stayed low" if _miss(o, value) == "early" else "tension level",
                   f"{o.metric} = {num(value, 2)} against the target {o.target.describe()}", [])
    cross = crossing[-1] if metric.startswith("final") else crossing[0]
    key, desc = _jump_cause(s, r.trace, cross)
    window = 2 * s.escalation.half_life_h
    chain = [Step.of(j.record, _jump_cause(s, r.trace, j)[1] + f": tension {j.before:.1f} \u2192 {j.after:.1f}")
             for j in js if cross.t_h - window <= j.t_h <= cross.t_h and j.after > j.before]
    chain += [Step.of(x) for x in r.trace if x.kind == "rung" and x.state.get("rung", 0) > x.state.get("from", 0)
              and x.t_h <= upto and cross.t_h - window <= x.t_h <= cross.t_h + 1e-9]
    chain.sort(key=lambda st: st.t_h)
    what = (f"rung {int(limit) + 1} ({rungs[int(limit) + 1].name}, threshold {line:g})" if is_rung
            else f"tension {line:g}")
    n_inc = sum(1 for j in js if j.record.kind == "incident" and cross.t_h - window <= j.t_h <= cross.t_h)
    return Why(key, f"{desc} took tension from {cross.before:.1f} to {cross.after:.1f}, over {what}; "
               f"{n_inc} incident(s) in the {window:g} h before", chain)


# --- deconfliction -----------------------------------------------------------------------

def _deconfliction_why(s: Scenario, o: Objective, r: Result, ctx: dict) -> Why:
    value = r.metrics.get(o.metric)
    inc = [x for x in r.trace if x.kind == "incident"]
    switches = [x for x in r.trace if x.kind == "effect" and ("measure" in x.state or "presence_scale" in x.state
                                                              or "encounter_factor" in x.state)]
    chain = sorted([Step.of(x) for x in inc] + [Step.of(x, f"{x.text} (by {x.actor})") for x in switches],
                   key=lambda st: st.t_h)
    base = f"{r.metrics.get('incidents')} incidents in {r.metrics.get('encounters')} encounters ({o.metric} = {num(value, 3)})"
    off = [x for x in switches if x.state.get("active") is False]
    if off:
        return Why(f"deconfliction measure off: {s.deconfliction.measures[off[0].state['measure']].name}",
                   f"{base}; {off[0].text} at {h_label(off[0].t_h)} by {off[0].actor}", chain)
    up = [x for x in switches if x.state.get("presence_scale", 1) > 1 or "encounter_factor" in x.state]
    if up:
        return Why(f"more exposure: {up[0].text}", f"{base}; exposure raised: {up[0].text} at {h_label(up[0].t_h)} "
                   f"by {up[0].actor}", chain)
    on = [x for x in switches if x.state.get("active") is True]
    if on and inc and inc[0].t_h < on[0].t_h:
        early = sum(1 for x in inc if x.t_h < on[0].t_h)
        return Why("incidents before measures took effect", f"{base}; {early} incident(s) before {on[0].text} at "
                   f"{h_label(on[0].t_h)}", chain)
    doms = Counter(x.state.get("domain", "") for x in inc)
    dtext = ", ".join(f"{n} {d}" for d, n in sorted(doms.items()))
    return Why("incidents by chance, measures unchanged", f"{base} ({dtext}) with the deconfliction measures unchanged",
               chain)

