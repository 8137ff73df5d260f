"""Escalation and deconfliction causes: the tension jumps (incidents, injects, decisions) that
took tension over the line, with the rung climbs (``peak_rung``, ``peak_tension``, ...), and the
incidents and measure switches behind ``incidents`` / ``incident_share``."""
from __future__ import annotations

from collections import Counter
from typing import Any

from ...engine.trace import (
    EncounterFactorEffectRecord,
    IncidentRecord,
    MeasureEffectRecord,
    MeasureFailEffectRecord,
    PresenceEffectRecord,
    Result,
    RungRecord,
    SourceKind,
    TensionRecord,
)
from ...narrative import h_label
from ...scenario.model import Objective, Scenario
from .. import tension as T
from ..wording import num
from .kinds import INCIDENT_KINDS, CauseKind
from .why import Step, Why, _miss


def _jump_cause(rec: TensionRecord) -> tuple[CauseKind, str, str]:
    """(kind, subject, description) of the cause of one tension change, from the record's cause."""
    c, at = rec.cause, h_label(rec.t_h)
    what = f"tension floor set to {rec.floor:g}" if rec.change == "floor" else f"tension {rec.delta or 0.0:+.1f}"
    if c.kind is SourceKind.INCIDENT:
        graded = f": {c.title.lower()}" if c.title else ""   # the severity class, on a graded ladder
        return INCIDENT_KINDS[c.id], "", f"{c.id} incident{graded} at {at} (tension +{rec.delta or 0.0:.1f})"
    if c.kind is SourceKind.DECISION:
        label = f"{c.title}: {c.label}"
        return CauseKind.DECISION, label, f"decision \u201c{label}\u201d at {at} ({what})"
    if c.kind is SourceKind.ADHOC_INJECT:   # an inject written at a workshop's table: its title, not its log id
        return CauseKind.INJECT, c.title or c.id, f"ad-hoc inject \u201c{c.title or c.id}\u201d at {at} ({what})"
    return CauseKind.INJECT, c.title, f"inject \u201c{c.title}\u201d at {at} ({what})"


def _escalation_why(s: Scenario, o: Objective, r: Result, ctx: dict[str, Any]) -> Why:
    value = r.metrics.get(o.metric)
    rungs = s.escalation.rungs
    metric = o.metric.split(".")[-1]
    is_rung = metric in ("peak_rung", "final_rung", "rung")
    limit = o.target.lte if o.target.lte is not None else o.target.gte
    if limit is None:   # a target with neither bound is met by any value (the model refuses it anyway)
        return Why(CauseKind.TENSION_LEVEL, f"{o.metric} = {num(value, 2)}", [])
    line = rungs[int(limit) + 1].threshold if is_rung and int(limit) + 1 < len(rungs) else float(limit)
    upto = ctx.get("until_h", r.horizon_h)
    js = [j for j in T.jumps(r.trace) if j.t_h <= upto]
    crossing = [j for j in js if j.after >= line and j.before < line] if is_rung else \
        [j for j in js if j.after > line >= j.before]
    if _miss(o, value) == "early" or not crossing:
        return Why(CauseKind.TENSION_LOW if _miss(o, value) == "early" else CauseKind.TENSION_LEVEL,
                   f"{o.metric} = {num(value, 2)} against the target {o.target.describe()}", [])
    cross = crossing[-1] if metric.startswith("final") else crossing[0]
    kind, subject, desc = _jump_cause(cross.record)
    window = 2 * s.escalation.half_life_h
    chain = [Step.of(j.record, _jump_cause(j.record)[2] + f": tension {j.before:.1f} \u2192 {j.after:.1f}")
             for j in js if cross.t_h - window <= j.t_h <= cross.t_h and j.after > j.before]
    chain += [Step.of(x) for x in r.trace if isinstance(x, RungRecord) and x.rung > x.from_rung
              and x.t_h <= upto and cross.t_h - window <= x.t_h <= cross.t_h + 1e-9]
    chain.sort(key=lambda st: st.t_h)
    what = (f"rung {int(limit) + 1} ({rungs[int(limit) + 1].name}, threshold {line:g})" if is_rung
            else f"tension {line:g}")
    n_inc = sum(1 for j in js if j.record.cause.kind is SourceKind.INCIDENT
                and cross.t_h - window <= j.t_h <= cross.t_h)
    decision = [cross.record.cause.id] if cross.record.cause.kind is SourceKind.DECISION else []
    return Why(kind, f"{desc} took tension from {cross.before:.1f} to {cross.after:.1f}, over {what}; "
               f"{n_inc} incident(s) in the {window:g} h before", chain, subject, decision)


# --- deconfliction -----------------------------------------------------------------------

def _deconfliction_why(s: Scenario, o: Objective, r: Result, ctx: dict[str, Any]) -> Why:
    value = r.metrics.get(o.metric)
    inc = [x for x in r.trace if isinstance(x, IncidentRecord)]
    switches = [x for x in r.trace if isinstance(x, (MeasureEffectRecord, MeasureFailEffectRecord, PresenceEffectRecord,
                                                     EncounterFactorEffectRecord))]
    chain = sorted([Step.of(x) for x in inc] + [Step.of(x, f"{x.text} (by {x.actor})") for x in switches],
                   key=lambda st: st.t_h)
    base = f"{r.metrics.get('incidents')} incidents in {r.metrics.get('encounters')} encounters ({o.metric} = {num(value, 3)})"
    measures = [x for x in switches if isinstance(x, MeasureEffectRecord)]
    off = [x for x in switches if isinstance(x, MeasureFailEffectRecord)
           or (isinstance(x, MeasureEffectRecord) and not x.active)]
    if off:
        return Why(CauseKind.MEASURE_OFF, f"{base}; {off[0].text} at {h_label(off[0].t_h)} by {off[0].actor}", chain,
                   off[0].name)
    up = [x for x in switches if isinstance(x, EncounterFactorEffectRecord)
          or (isinstance(x, PresenceEffectRecord) and x.factor > 1)]
    if up:
        x = up[0]
        exposure = (f"{x.name} presence x{x.factor:g}" if isinstance(x, PresenceEffectRecord)
                    else f"encounter rate x{x.factor:g}")
        return Why(CauseKind.MORE_EXPOSURE, f"{base}; exposure raised: {exposure} at {h_label(x.t_h)} "
                   f"by {x.actor}", chain, exposure)
    on = [x for x in measures if x.active]
    if on and inc and inc[0].t_h < on[0].t_h:
        early = sum(1 for x in inc if x.t_h < on[0].t_h)
        return Why(CauseKind.INCIDENTS_BEFORE_MEASURES, f"{base}; {early} incident(s) before {on[0].text} at "
                   f"{h_label(on[0].t_h)}", chain)
    doms = Counter(x.domain for x in inc)
    dtext = ", ".join(f"{n} {d}" for d, n in sorted(doms.items()))
    return Why(CauseKind.INCIDENTS_BY_CHANCE, f"{base} ({dtext}) with the deconfliction measures unchanged", chain)
