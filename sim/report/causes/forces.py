"""Force readiness chains: a force's times decomposed into alert, activation, notice to move,
delay, wait for the deploy condition and transit (:func:`force_chain`), the dated steps of that
chain, and why a force-timing objective (``force.<id>.<time>``) was missed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...engine.trace import DelayEffectRecord, ForceRecord, HoldEffectRecord, Record, Result, StartRecord
from ...narrative import h_label
from ...scenario.conditions import FORCE_STATES
from ...scenario.model import Force, Objective, Scenario
from ...scenario.movement import force_echelons, has_echelons, movement_distance
from ..wording import cond_text, dist_text, num
from .kinds import CauseKind as K
from .triggers import _trigger_name, trigger_of
from .why import Step, Why, _decision_of, _miss

COMPONENTS = {  # which steps of the readiness chain make up each force time
    "alerted_h": ("alert",),
    "activated_h": ("activation",),
    "ready_h": ("activation", "notice", "delay"),
    "ready_after_activation_h": ("notice", "delay"),
    "deploying_h": ("activation", "notice", "delay", "wait"),
    "in_place_h": ("activation", "notice", "delay", "wait", "transit"),
    "in_place_after_activation_h": ("notice", "delay", "wait", "transit"),
}
# a force that moves by echelons (issue 10): its first echelon, or a share of it, in place; "transit" is then
# everything from deploying to that hour (staging, lift, movement, reception)
ECHELON_STATS = ("first_echelon_in_place_h", "in_place_50pct_h", "in_place_100pct_h")
COMPONENTS.update(dict.fromkeys(ECHELON_STATS, COMPONENTS["in_place_h"]))


@dataclass
class ForceChain:
    """The readiness chain of one force in one run, decomposed into its steps (hours)."""

    fid: str
    times: dict[str, float]
    records: dict[str, ForceRecord]
    delays: list[DelayEffectRecord]
    holds: list[HoldEffectRecord]
    trigger: Record | None
    components: dict[str, float]


def force_chain(s: Scenario, r: Result, fid: str) -> ForceChain:
    times: dict[str, float] = {}
    recs: dict[str, ForceRecord] = {}
    start = next((x for x in r.trace if isinstance(x, StartRecord)), None)
    init = (start.forces.get(fid) if start else None) or s.forces[fid].initial_state
    for st in FORCE_STATES[: FORCE_STATES.index(init) + 1]:
        times[st] = 0.0
    for x in r.trace:
        if isinstance(x, ForceRecord) and x.force == fid:
            for prev in FORCE_STATES[: FORCE_STATES.index(x.state) + 1]:
                times.setdefault(prev, x.t_h)
            recs[x.state] = x
    delays = [x for x in r.trace if isinstance(x, DelayEffectRecord) and x.force == fid]
    holds = [x for x in r.trace if isinstance(x, HoldEffectRecord) and x.force == fid]
    spec = s.forces[fid]
    trig = (trigger_of(r.trace, recs["activated"], spec.activate_when, (fid, "activate"))
            if "activated" in recs else None)

    def delay_between(a: str, b: str) -> float:
        lo, hi = times.get(a), times.get(b, float("inf"))
        return sum(d.delay_h for d in delays if lo is not None and lo <= d.t_h <= hi)

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


def _decisions(rec: Record | None) -> list[str]:
    d = _decision_of(rec) if rec is not None else ""
    return [d] if d else []


def _force_steps(s: Scenario, fc: ForceChain, upto: str) -> list[Step]:
    spec = s.forces[fc.fid]
    steps: list[Step] = []
    order = FORCE_STATES[: FORCE_STATES.index(upto) + 1] if upto in FORCE_STATES else FORCE_STATES
    for st in order:
        rec = fc.records.get(st)
        if rec is None:
            continue
        if st == "activated":
            steps.append(Step.of(rec, f"{spec.name} activated, set off by {_trigger_name(fc.trigger)}", fc.trigger))
            if "notice" in fc.components:
                steps.append(Step.of(rec, f"notice to move drawn: {num(fc.components['notice'])} h "
                                          f"(scenario: {dist_text(spec.notice_to_move_h)} h)"))
        elif st == "deploying" and fc.components.get("wait", 0) > 0.05:
            steps.append(Step.of(rec, f"{spec.name} deploying after waiting {num(fc.components['wait'])} h at "
                                      f"readiness for {cond_text(s, spec.deploy_when)}"))
        else:
            steps.append(Step.of(rec))
    for d in [*fc.delays, *fc.holds]:
        steps.append(Step.of(d, f"{d.text} (by {d.actor})"))
    return sorted(steps, key=lambda x: x.t_h)


@dataclass(frozen=True)
class LateForce:
    """A force that came too late, in numbers: which step of its chain is to blame depends on the
    batch's medians (the yardstick for a late alert or activation), known only once the whole batch
    has run. A batch's workers keep this compact summary of each late run instead of its trace, and
    :meth:`kind` picks the cause when the medians are known, as :func:`_force_why` does for one run."""

    fid: str
    parts: tuple[str, ...]                     # the steps that make up the time (COMPONENTS)
    comp: tuple[tuple[str, float], ...]        # each step's length in this run (hours)
    limit: float | None
    held: bool                                 # held at readiness before deploying (and never released)

    def yardsticks(self, s: Scenario, ctx: dict[str, Any]) -> dict[str, float]:
        """Each step's usual length: the reference scenario's mean notice and transit, the batch's median
        alert and activation hours (this run's own when the medians are not given)."""
        comp, med = dict(self.comp), ctx.get("medians", {})
        spec = s.forces[self.fid]
        base = ctx.get("reference")
        bspec = base.forces.get(self.fid, spec) if base is not None else spec
        return {"notice": bspec.notice_to_move_h.mean(), "transit": usual_transit(base or s, self.fid, bspec),
                "delay": 0.0,
                "wait": 0.0, "activation": med.get(f"force.{self.fid}.activated_h", comp.get("activation", 0.0)),
                "alert": med.get(f"force.{self.fid}.alerted_h", comp.get("alert", 0.0))}

    def kind(self, s: Scenario, ctx: dict[str, Any]) -> K:
        """The cause: a step that alone breaks the limit, else the step furthest above its usual length."""
        comp, ref, parts = dict(self.comp), self.yardsticks(s, ctx), self.parts
        alone = [k for k in comp if self.limit is not None and comp[k] > self.limit]
        culprit = alone[0] if alone else max(comp, key=lambda k: (comp[k] - ref.get(k, 0.0), -parts.index(k)))
        if culprit == "wait":
            return K.HELD if self.held else K.WAIT_DEPLOY_ORDER
        return {"notice": K.LONG_NOTICE, "activation": K.LATE_ACTIVATION, "delay": K.DELAY_EFFECTS,
                "transit": K.LONG_TRANSIT}.get(culprit, K.LATE_ALERT)


def usual_transit(s: Scenario, fid: str, spec: Force) -> float:
    """A force's usual time from deploying to in place: its transit time's mean; for a force that moves
    by echelons, its first echelon's staging, travel and reception means (lift waits and queues left out:
    they are what a long transit is blamed on)."""
    plans = force_echelons(fid, spec)
    if not plans or plans[0].movement is None:
        return spec.transit_h.mean()
    mv = plans[0].movement
    if mv.time_h is not None:
        travel = mv.time_h.mean()
    else:
        km = movement_distance(s, plans[0])
        speed = mv.speed_kmh.mean() if mv.speed_kmh is not None else 0.0
        travel = km / speed if km is not None and speed > 0 else 0.0
    return mv.staging_h.mean() + travel + mv.reception_h.mean()


def late_force(fc: ForceChain, stat: str, limit: float | None) -> LateForce:
    """The compact summary of a late force time ``stat`` (a key of COMPONENTS) against ``limit``."""
    parts = COMPONENTS.get(stat, ())
    held = any(h.held and h.t_h <= fc.times.get("deploying", 1e9) for h in fc.holds)
    return LateForce(fc.fid, parts, tuple((k, fc.components.get(k, 0.0)) for k in parts), limit, held)


def late_miss(s: Scenario, o: Objective, r: Result) -> LateForce | None:
    """The :class:`LateForce` of objective ``o`` (a force-timing objective) in run ``r`` when it was
    missed late, None otherwise (never reached or early: their causes need no batch context)."""
    parts = o.metric.split(".")
    if parts[0] != "force" or len(parts) != 3 or parts[1] not in s.forces:
        return None
    miss = _miss(o, r.metrics.get(o.metric))
    if miss in ("never", "early"):
        return None
    return late_force(force_chain(s, r, parts[1]), parts[2], o.target.lte if miss == "late" else o.target.gte)


def _force_why(s: Scenario, o: Objective, r: Result, fid: str, stat: str, ctx: dict[str, Any]) -> Why:
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
        held = [h for h in fc.holds if h.held]
        if reached in ("standby", "alerted"):
            return Why(K.NEVER_ACTIVATED, f"{spec.name} never activated: {cond_text(s, spec.activate_when)} "
                       f"did not happen by the end of the run (H+{num(r.horizon_h)})", steps)
        if reached == "activated":
            return Why(K.NOT_READY,
                       f"{spec.name} still on notice to move at the end of the run (activated "
                       f"{h_label(fc.times['activated'])}, notice {dist_text(spec.notice_to_move_h)} h)", steps)
        if reached == "ready" and held:
            h = held[-1]
            return Why(K.HELD, f"{spec.name} held at readiness by {h.actor} at {h_label(h.t_h)} "
                       f"and never released", steps, decisions=_decisions(h))
        if reached == "ready":
            return Why(K.DEPLOY_ORDER_NEVER_GIVEN, f"{spec.name} ready at {h_label(fc.times['ready'])} but "
                       f"{cond_text(s, spec.deploy_when)} never came", steps)
        return Why(K.STILL_IN_TRANSIT, f"{spec.name} still in transit at the end of the run "
                   f"(deploying from {h_label(fc.times['deploying'])})", steps)
    parts = COMPONENTS.get(stat, ())
    comp = {k: fc.components.get(k, 0.0) for k in parts}
    if stat in ECHELON_STATS and value is not None and "deploying" in fc.times:
        comp["transit"] = value - fc.times["deploying"]
    med = ctx.get("medians", {})
    limit = o.target.lte if miss == "late" else o.target.gte
    if miss == "early":
        key = "notice" if "notice" in comp else parts[0] if parts else "activation"
        kind = {"notice": K.SHORT_NOTICE, "alert": K.EARLY_ALERT}.get(key, K.EARLY_ACTIVATION)
        return Why(kind, f"{spec.name}: {key.replace('notice', 'notice to move')} of only "
                   f"{num(comp.get(key))} h brought it to {num(value)} h, before the {limit:g} h window", steps)
    # late: a step that alone breaks the limit decides; otherwise the step furthest above its usual length
    late = late_force(fc, stat, limit)
    ref = late.yardsticks(s, ctx)
    kind = late.kind(s, ctx)
    held = [h for h in fc.holds if h.held and h.t_h <= fc.times.get("deploying", 1e9)]
    over = f"{num(value)} h against a limit of {limit:g} h"
    if kind is K.LONG_NOTICE:
        return Why(K.LONG_NOTICE, f"notice to move {num(comp['notice'])} h for {spec.name} "
                   f"(scenario: {dist_text(spec.notice_to_move_h)} h) took it to {over}", steps)
    if kind is K.LATE_ACTIVATION:
        trig = _trigger_name(fc.trigger)
        medtxt = f" (batch median {h_label(ref['activation'])})" if f"force.{fid}.activated_h" in med else ""
        return Why(K.LATE_ACTIVATION, f"{spec.name} activated late at {h_label(comp['activation'])}{medtxt}, "
                   f"set off by {trig}; {over}", steps, decisions=_decisions(fc.trigger))
    if kind is K.HELD:
        h = held[0]
        return Why(K.HELD, f"{spec.name} held at readiness by {h.actor} at {h_label(h.t_h)}, waiting "
                   f"{num(comp['wait'])} h before deploying; {over}", steps, decisions=_decisions(h))
    if kind is K.WAIT_DEPLOY_ORDER:
        return Why(K.WAIT_DEPLOY_ORDER, f"{spec.name} waited {num(comp['wait'])} h at readiness for "
                   f"{cond_text(s, spec.deploy_when)}; {over}", steps)
    if kind is K.DELAY_EFFECTS:
        names = ", ".join(sorted({d.actor for d in fc.delays}))
        return Why(K.DELAY_EFFECTS, f"delays of {num(comp['delay'])} h imposed on {spec.name} by {names}; {over}",
                   steps, decisions=[d for x in fc.delays if (d := _decision_of(x))])
    if kind is K.LONG_TRANSIT:
        given = "staging, lift, movement and reception of its echelons" if has_echelons(spec) \
            else f"scenario: {dist_text(spec.transit_h)} h"
        return Why(K.LONG_TRANSIT, f"transit of {num(comp['transit'])} h for {spec.name} ({given}); {over}", steps)
    return Why(K.LATE_ALERT, f"{spec.name} alerted at {h_label(comp.get('alert', 0))}; {over}", steps)

