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
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from ..engine.trace import Record, Result
from ..narrative import h_label, when
from ..scenario import conditions as C
from ..scenario.conditions import FORCE_STATES
from ..scenario.model import Objective, Scenario
from . import tension as T
from .wording import cond_text, dist_text, event_title, num

TRIGGER_KINDS = ("inject", "signal", "decision", "effect", "checkpoint")
COMPONENTS = {  # which steps of the readiness chain make up each force time
    "alerted_h": ("alert",),
    "activated_h": ("activation",),
    "ready_h": ("activation", "notice", "delay"),
    "ready_after_activation_h": ("notice", "delay"),
    "deploying_h": ("activation", "notice", "delay", "wait"),
    "in_place_h": ("activation", "notice", "delay", "wait", "transit"),
    "in_place_after_activation_h": ("notice", "delay", "wait", "transit"),
}


@dataclass
class Step:
    t_h: float
    time: str
    text: str

    @classmethod
    def of(cls, rec: Record, text: str | None = None) -> "Step":
        return cls(rec.t_h, when(rec), text or rec.text)


@dataclass
class Why:
    key: str
    headline: str
    chain: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"key": self.key, "headline": self.headline,
                "chain": [asdict(s) | {"h": h_label(s.t_h)} for s in self.chain]}


def _miss(o: Objective, value) -> str:
    if value is None:
        return "never"
    if o.target.lte is not None and value > o.target.lte:
        return "late"  # above the ceiling
    if o.target.gte is not None and value < o.target.gte:
        return "early"  # below the floor
    return "met"


# --- force readiness chains ----------------------------------------------------------

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


@dataclass
class ForceChain:
    """The readiness chain of one force in one run, decomposed into its steps (hours)."""

    fid: str
    times: dict[str, float]
    records: dict[str, Record]
    delays: list[Record]
    holds: list[Record]
    trigger: Record | None
    components: dict[str, float]


def force_chain(s: Scenario, r: Result, fid: str) -> ForceChain:
    times: dict[str, float] = {}
    recs: dict[str, Record] = {}
    start = next((x for x in r.trace if x.kind == "start"), None)
    init = (start.state.get("forces", {}).get(fid) if start else None) or s.forces[fid].initial_state
    for st in FORCE_STATES[: FORCE_STATES.index(init) + 1]:
        times[st] = 0.0
    for x in r.trace:
        if x.kind == "force" and x.state.get("force") == fid:
            st = x.state["state"]
            for prev in FORCE_STATES[: FORCE_STATES.index(st) + 1]:
                times.setdefault(prev, x.t_h)
            recs[st] = x
    delays = [x for x in r.trace if x.kind == "effect" and x.state.get("force") == fid and "delay_h" in x.state]
    holds = [x for x in r.trace if x.kind == "effect" and x.state.get("force") == fid and "held" in x.state]
    spec = s.forces[fid]
    trig = (trigger_of(r.trace, recs["activated"], spec.activate_when, (fid, "activate"))
            if "activated" in recs else None)

    def delay_between(a: str, b: str) -> float:
        lo, hi = times.get(a), times.get(b, float("inf"))
        return sum(d.state["delay_h"] for d in delays if lo is not None and lo <= d.t_h <= hi)

    comp: dict[str, float] = {}
    if "alerted" in times:
        comp["alert"] = times["alerted"]
    if "activated" in times:
        comp["activation"] = times["activated"]
    if "ready" in times:
        d = delay_between("activated", "ready")
        comp["notice"] = times["ready"] - times["activated"] - d
        comp["delay"] = d
    if "deploying" in times and "ready" in times:
        comp["wait"] = times["deploying"] - times["ready"]
    if "in_place" in times and "deploying" in times:
        d = delay_between("deploying", "in_place")
        comp["transit"] = times["in_place"] - times["deploying"] - d
        comp["delay"] = comp.get("delay", 0.0) + d
    return ForceChain(fid, times, recs, delays, holds, trig, comp)


def _force_steps(s: Scenario, fc: ForceChain, upto: str) -> list[Step]:
    spec = s.forces[fc.fid]
    steps: list[Step] = []
    order = FORCE_STATES[: FORCE_STATES.index(upto) + 1] if upto in FORCE_STATES else FORCE_STATES
    for st in order:
        rec = fc.records.get(st)
        if rec is None:
            continue
        if st == "activated":
            steps.append(Step.of(rec, f"{spec.name} activated, set off by {_trigger_name(fc.trigger)}"))
            if "notice" in fc.components:
                steps.append(Step.of(rec, f"notice to move drawn: {num(fc.components['notice'], 0)} h "
                                          f"(scenario: {dist_text(spec.notice_to_move_h)} h)"))
        elif st == "deploying" and fc.components.get("wait", 0) > 0.05:
            steps.append(Step.of(rec, f"{spec.name} deploying after waiting {num(fc.components['wait'])} h at "
                                      f"readiness for {cond_text(s, spec.deploy_when)}"))
        else:
            steps.append(Step.of(rec))
    for d in fc.delays + fc.holds:
        steps.append(Step.of(d, f"{d.text} (by {d.actor})"))
    return sorted(steps, key=lambda x: x.t_h)


def _force_why(s: Scenario, o: Objective, r: Result, fid: str, stat: str, ctx: dict) -> Why:
    spec = s.forces[fid]
    fc = force_chain(s, r, fid)
    value = r.metrics.get(o.metric)
    miss = _miss(o, value)
    target_state = {"alerted_h": "alerted", "activated_h": "activated", "ready_h": "ready",
                    "ready_after_activation_h": "ready", "deploying_h": "deploying", "in_place_h": "in_place",
                    "in_place_after_activation_h": "in_place"}.get(stat, "in_place")
    steps = _force_steps(s, fc, target_state)
    if miss == "never":
        reached = max((st for st in fc.times), key=FORCE_STATES.index, default="standby")
        held = [h for h in fc.holds if h.state.get("held")]
        if reached in ("standby", "alerted"):
            return Why("never activated", f"{spec.name} never activated: {cond_text(s, spec.activate_when)} "
                       f"did not happen by the end of the run (H+{num(r.horizon_h)})", steps)
        if reached == "activated":
            return Why("not ready by the end of the run",
                       f"{spec.name} still on notice to move at the end of the run (activated "
                       f"{h_label(fc.times['activated'])}, notice {dist_text(spec.notice_to_move_h)} h)", steps)
        if reached == "ready" and held:
            h = held[-1]
            return Why("held at readiness", f"{spec.name} held at readiness by {h.actor} at {h_label(h.t_h)} "
                       f"and never released", steps)
        if reached == "ready":
            return Why("deployment order never given", f"{spec.name} ready at {h_label(fc.times['ready'])} but "
                       f"{cond_text(s, spec.deploy_when)} never came", steps)
        return Why("still in transit at the end of the run", f"{spec.name} still in transit at the end of the run "
                   f"(deploying from {h_label(fc.times['deploying'])})", steps)
    parts = COMPONENTS.get(stat, ())
    comp = {k: fc.components.get(k, 0.0) for k in parts}
    med = ctx.get("medians", {})
    limit = o.target.lte if miss == "late" else o.target.gte
    if miss == "early":
        key = "notice" if "notice" in comp else parts[0] if parts else "activation"
        return Why(f"short {key}", f"{spec.name}: {key.replace('notice', 'notice to move')} of only "
                   f"{num(comp.get(key), 0)} h brought it to {num(value)} h, before the {limit:g} h window", steps)
    # late: a step that alone breaks the limit decides; otherwise the step furthest above its usual length
    base = ctx.get("reference")
    bspec = base.forces.get(fid, spec) if base is not None else spec
    ref = {"notice": bspec.notice_to_move_h.mean(), "transit": bspec.transit_h.mean(), "delay": 0.0, "wait": 0.0,
           "activation": med.get(f"force.{fid}.activated_h", comp.get("activation", 0.0)),
           "alert": med.get(f"force.{fid}.alerted_h", comp.get("alert", 0.0))}
    alone = [k for k in comp if limit is not None and comp[k] > limit]
    culprit = alone[0] if alone else max(comp, key=lambda k: (comp[k] - ref.get(k, 0.0), -parts.index(k)))
    held = [h for h in fc.holds if h.state.get("held") and h.t_h <= fc.times.get("deploying", 1e9)]
    over = f"{num(value)} h against a limit of {limit:g} h"
    if culprit == "notice":
        return Why("long notice to move", f"notice to move {num(comp['notice'], 0)} h for {spec.name} "
                   f"(scenario: {dist_text(spec.notice_to_move_h)} h) took it to {over}", steps)
    if culprit == "activation":
        trig = _trigger_name(fc.trigger)
        medtxt = f" (batch median {h_label(ref['activation'])})" if f"force.{fid}.activated_h" in med else ""
        return Why("late activation", f"{spec.name} activated late at {h_label(comp['activation'])}{medtxt}, "
                   f"set off by {trig}; {over}", steps)
    if culprit == "wait" and held:
        h = held[0]
        return Why("held at readiness", f"{spec.name} held at readiness by {h.actor} at {h_label(h.t_h)}, waiting "
                   f"{num(comp['wait'])} h before deploying; {over}", steps)
    if culprit == "wait":
        return Why("wait for the deployment order", f"{spec.name} waited {num(comp['wait'])} h at readiness for "
                   f"{cond_text(s, spec.deploy_when)}; {over}", steps)
    if culprit == "delay":
        names = ", ".join(sorted({d.actor for d in fc.delays}))
        return Why("delay effects", f"delays of {num(comp['delay'])} h imposed on {spec.name} by {names}; {over}", steps)
    if culprit == "transit":
        return Why("long transit", f"transit of {num(comp['transit'], 0)} h for {spec.name} (scenario: "
                   f"{dist_text(spec.transit_h)} h); {over}", steps)
    return Why("late alert", f"{spec.name} alerted at {h_label(comp.get('alert', 0))}; {over}", steps)


# --- escalation ------------------------------------------------------------------------

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


# --- checkpoints ---------------------------------------------------------------------------

def _checkpoint_why(s: Scenario, o: Objective, r: Result, ctx: dict) -> Why:
    parts = o.metric.split(".")
    cid = parts[1]
    cp_title = s.checkpoints[cid].title
    cp = next((x for x in r.trace if x.kind == "checkpoint" and x.text.endswith(cp_title)), None)
    value = r.metrics.get(o.metric)
    if cp is None:
        return Why("checkpoint not reached", f"the run ended before the checkpoint \u201c{cp_title}\u201d", [])
    if parts[2] in ("tension", "rung"):
        return _escalation_why(s, o, r, ctx | {"until_h": cp.t_h})
    if parts[2] in ("incidents", "encounters"):
        return _deconfliction_why(s, o, r, ctx)
    forces = cp.state.get("forces", {})
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
        return Why("posture short at checkpoint", f"{o.metric} = {num(value)} at the checkpoint, all "
                   f"{side if parts[2] == 'on_station' else ''} forces in place", chain)
    names = ", ".join(s.forces[f].name for f in missing)
    return Why(f"not in place at checkpoint: {names}",
               f"at the checkpoint \u201c{cp_title}\u201d ({h_label(cp.t_h)}): " + "; ".join(heads), chain)


# --- events -----------------------------------------------------------------------------------

def _event_why(s: Scenario, o: Objective, r: Result, ctx: dict) -> Why:
    ev = o.metric[len("event."):-len(".h")]
    value = r.metrics.get(o.metric)
    title = event_title(s, ev)
    rec = next((x for x in r.trace if (x.kind == "inject" and x.state.get("inject") == ev)
                or (x.kind == "signal" and x.state.get("event") == ev)
                or (x.kind == "decision" and f"decision.{x.state.get('decision')}" == ev)), None)
    chain = [Step.of(rec)] if rec else []
    item = s.injects.get(ev) or (s.decisions.get(ev[9:]) if ev.startswith("decision.") else None)
    if value is None:
        why = f" (it waits for {cond_text(s, item.when)})" if item is not None and item.when is not None else ""
        return Why(f"never happened: {title}", f"{title} never happened by the end of the run{why}", chain)
    limit = o.target.lte if _miss(o, value) == "late" else o.target.gte
    if item is not None and item.at_h is not None:
        return Why(f"{'late' if _miss(o, value) == 'late' else 'early'}: {title}",
                   f"{title} came at {h_label(value)} (scenario: {dist_text(item.at_h)} h), against {limit:g} h", chain)
    if item is not None and item.when is not None:
        trig = trigger_of(r.trace, rec) if rec else None
        if trig is not None:
            chain.insert(0, Step.of(trig))
        return Why(f"late: {title}", f"{title} came at {h_label(value)}, when {cond_text(s, item.when)} held"
                   f"{' (set off by ' + _trigger_name(trig) + ')' if trig else ''}; limit {limit:g} h", chain)
    return Why(f"late: {title}", f"{title} came at {h_label(value)}; limit {limit:g} h", chain)


# --- entry points ---------------------------------------------------------------------------------

def explain(s: Scenario, oid: str, r: Result, ctx: dict | None = None) -> Why | None:
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
    return Why(f"{m} outside target", f"{m} = {num(v, 2)} against the target {o.target.describe()}", [])


def batch_causes(s: Scenario, oid: str, results: list[Result], ctx: dict | None = None) -> dict:
    """The causes of the misses over a batch: {"failed", "causes": [{key, count, share, example}], "example_rep"}."""
    counts: Counter = Counter()
    first: dict[str, int] = {}
    failed = 0
    for i, r in enumerate(results):
        w = explain(s, oid, r, ctx)
        if w is None:
            continue
        failed += 1
        counts[w.key] += 1
        first.setdefault(w.key, i)
    causes = [{"cause": k, "count": n, "share": n / failed, "example_rep": first[k]}
              for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"failed": failed, "causes": causes}
