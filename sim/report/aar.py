"""The after-action report as data: every number and sentence the report shows, in one dict.

Structure follows HSEEP's After-Action Report / Improvement Plan and the military AAR's four
questions (what was supposed to happen, what happened, why, what to sustain and improve),
framed as NATO's lessons process (observations -> lessons identified). The dict is written
as ``data.json``; templates and charts only format what is here.

HSEEP ratings come from the batch probability of meeting the objective:
P (performed without challenges) p >= 0.9; S (some challenges) p >= 0.7;
M (major challenges) p >= 0.3; U (unable to be performed) below.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from .. import __version__
from ..engine.trace import Result
from ..narrative import h_label, narrated, when
from ..scenario.model import Scenario
from . import causes as C
from .montecarlo import Replications
from .wording import num

RATINGS = (("P", 0.9, "Performed without challenges"), ("S", 0.7, "Performed with some challenges"),
           ("M", 0.3, "Performed with major challenges"), ("U", 0.0, "Unable to be performed"))
GLOBAL_METRICS = ("encounters", "incidents", "incident_share", "peak_tension", "peak_rung")
PLAN_DAYS = 90

# cause category -> (capability element, corrective action); {force}/{target}/{owner} filled in
ACTIONS = (
    ("long notice to move", "Organisation", "Shorten the notice to move of {force}: verify readiness, pre-position "
     "equipment and lift so activation-to-ready stays within the target ({target})"),
    ("short notice to move", "Planning", "Align the readiness window of {force} with the reception plan ({target})"),
    ("late activation", "Planning", "Pre-agree activation procedures and graduated response plans so the "
     "activation decision for {force} comes earlier"),
    ("never activated", "Planning", "Define the activation trigger for {force} and who pulls it"),
    ("held at readiness", "Planning", "Set criteria for releasing {force} from hold and the authority to do so"),
    ("wait for the deployment order", "Planning", "Decouple the deployment order for {force} from later political "
     "milestones, or pre-delegate it"),
    ("deployment order never given", "Planning", "Decouple the deployment order for {force} from later political "
     "milestones, or pre-delegate it"),
    ("long transit", "Equipment", "Secure strategic lift and host-nation reception for {force} to shorten transit"),
    ("delay effects", "Planning", "Build slack and alternatives into the movement plan of {force}"),
    ("not ready by the end of the run", "Organisation", "Shorten the notice to move of {force}"),
    ("still in transit", "Equipment", "Secure strategic lift for {force}"),
    ("not in place at checkpoint", "Organisation", "Bring the forces short at the checkpoint to higher readiness "
     "or activate them earlier"),
    ("deconfliction measure off", "Equipment", "Provide redundant military-to-military deconfliction channels"),
    ("more exposure", "Planning", "Weigh the exposure of forward posture against the deconfliction objective"),
    ("incidents before measures took effect", "Planning", "Issue deconfliction measures at activation, not later"),
    ("incidents by chance", "Training", "Train crews in safe-distance conduct and incident reporting"),
    ("air incident", "Training", "Drill air deconfliction and de-escalation of air encounters"),
    ("sea incident", "Training", "Drill maritime deconfliction (INCSEA-style procedures)"),
    ("decision:", "Planning", "Weigh the escalatory cost of the decision in the decision brief"),
    ("inject:", "Planning", "Prepare responses that absorb the tension of this event"),
    ("late:", "Planning", "Bring the decision or event forward: prepare it before the crisis"),
    ("early:", "Planning", "Bring the decision or event forward: prepare it before the crisis"),
    ("never happened", "Planning", "Make sure the event is triggered: assign it an owner"),
)


def rating(p: float | None) -> tuple[str, str]:
    if p is None:
        return "U", RATINGS[-1][2]
    for code, th, label in RATINGS:
        if p >= th:
            return code, label
    return "U", RATINGS[-1][2]


def _r(x, nd: int):
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd)


def _action(key: str, s: Scenario, oid: str) -> tuple[str, str]:
    o = s.objectives[oid]
    parts = o.metric.split(".")
    force = s.forces[parts[1]].name if parts[0] == "force" and len(parts) > 1 and parts[1] in s.forces else "the force"
    for prefix, element, text in ACTIONS:
        if key.startswith(prefix):
            return element, text.format(force=force, target=o.target.describe(), owner=o.owner)
    return "Exercise", f"Examine \u201c{o.title}\u201d again in the next exercise with the cause ({key}) as the focus"


def timeline(trace) -> list[dict]:
    return [{"time": when(r), "h": h_label(r.t_h), "t_h": r.t_h, "kind": r.kind, "text": r.text}
            for r in narrated(trace)]


def metric_stats(summary: dict, name: str) -> dict | None:
    m = summary["metrics"].get(name)
    if m is None:
        return None
    return {k: (_r(v, 2) if isinstance(v, float) else v) for k, v in m.items()}


def key_metrics(s: Scenario) -> list[str]:
    names = list(dict.fromkeys(o.metric for o in s.objectives.values()))
    names += [m for m in GLOBAL_METRICS if m not in names]
    for fid, f in s.forces.items():
        if f.initial_state != "in_place" and f.side == (s.deconfliction.between[0] if s.deconfliction else f.side):
            for m in (f"force.{fid}.ready_h", f"force.{fid}.in_place_h"):
                if m not in names:
                    names.append(m)
    return names


def comparison_method(comparison: dict | None) -> str:
    """The comparison's tests in words: paired when both batches share seeds, else unpaired."""
    paired = ("McNemar's test (objectives; exact binomial below 25 discordant pairs, chi-square with continuity "
              "correction from there) and the paired t-test (means, over the replications where the metric "
              "happened in both) when both batches share seeds (common random numbers, the default)")
    unpaired = "two-proportion z-test (objectives) and Welch t-test (means) for batches on different seeds"
    tests = paired if comparison is not None and comparison.get("paired") else unpaired if comparison else \
        f"{paired}; {unpaired}"
    return f"{tests}; alpha 0.05 with Holm-Bonferroni over the family"


def build_report(s: Scenario, narrated_run: Result, reps: Replications, summary: dict, *, seed: int,
                 source: dict, generated: datetime, reference: Scenario | None = None,
                 differences: list[dict] = (), reference_how: str = "", parameters: list[dict] = (),
                 comparison: dict | None = None, sensitivity: list[dict] | None = None,
                 facts: dict | None = None) -> dict:
    """Assemble the AAR: ``summary`` is the batch point of :func:`sim.report.montecarlo.summarise`."""
    facts = facts or {}
    medians = {k: v["p50"] for k, v in summary["metrics"].items() if v.get("p50") is not None}
    ctx = {"medians": medians, "reference": reference}
    date = generated.date()
    objectives, strengths, afis, plan, observations, lessons = [], [], [], [], [], []
    for oid, o in s.objectives.items():
        b = summary["objectives"][oid]
        code, label = rating(b["p"])
        out = narrated_run.objectives[oid]
        why_now = C.explain(s, oid, narrated_run, ctx)
        bc = C.batch_causes(s, oid, reps.results, ctx)
        causes = []
        for c in bc["causes"]:
            ex = C.explain(s, oid, reps.results[c["example_rep"]], ctx)
            causes.append({"cause": c["cause"], "count": c["count"], "share": _r(c["share"], 3),
                           "example_rep": c["example_rep"], "example": ex.to_dict() if ex else None})
        entry = {
            "id": oid, "title": o.title, "metric": o.metric, "target": o.target.describe(),
            "capability": o.capability, "owner": o.owner, "description": o.description,
            "facts": [facts.get(i, {"id": i, "statement": "", "source": ""}) for i in o.facts],
            "narrated": {"value": _r(out.value, 2), "met": out.met, "why": why_now.to_dict() if why_now else None},
            "batch": {"n": b["n"], "successes": b["successes"], "failed": bc["failed"], "p": _r(b["p"], 3),
                      "ci_low": _r(b["ci_low"], 3), "ci_high": _r(b["ci_high"], 3)},
            "metric_stats": metric_stats(summary, o.metric),
            "rating": code, "rating_label": label, "causes": causes,
        }
        objectives.append(entry)
        pc = f"P = {entry['batch']['p']:.3f} ({entry['batch']['successes']}/{entry['batch']['n']})"
        observations.append(f"{o.title}: met in the narrated run: {'yes' if out.met else 'no'}"
                            f" ({o.metric} = {num(out.value, 2)}, target {o.target.describe()}); over the batch {pc}, "
                            f"rated {code}.")
        if code == "P":
            strengths.append({"objective": oid, "title": o.title, "capability": o.capability,
                              "text": f"{o.title}: {pc}, rated P ({label})."})
            continue
        top = causes[0] if causes else None
        root = (f"{top['cause']} in {top['count']} of {bc['failed']} missed replications "
                f"({top['share'] * 100:.0f}%): {top['example']['headline']}") if top else "no miss recorded"
        afis.append({"objective": oid, "title": o.title, "capability": o.capability, "rating": code,
                     "text": f"{o.title}: {pc}, rated {code} ({label}).", "root_cause": root})
        element, action = _action(top["cause"], s, oid) if top else ("Exercise", "Examine again")
        plan.append({"capability": o.capability or o.title, "issue": f"{o.title} ({code}, {pc})",
                     "root_cause": top["cause"] if top else "", "corrective_action": action,
                     "element": element, "responsible": o.owner, "poc": "",
                     "start": date.isoformat(), "completion": (date + timedelta(days=PLAN_DAYS)).isoformat()})
        lessons.append({"observation": f"{o.title} missed in {bc['failed']} of {b['n']} replications; most often "
                                       f"because of {top['cause'] if top else 'unknown'}.",
                        "lesson": action, "action_body": o.owner})
    metrics_table = [{"metric": m, **(metric_stats(summary, m) or {})} for m in key_metrics(s)
                     if m in summary["metrics"]]
    if comparison is not None:
        for row in comparison["rows"]:
            for k in ("this", "other", "diff"):
                row[k] = _r(row[k], 3)
            row["stat"] = _r(row["stat"], 3)
            row["p_value"] = _r(row["p_value"], 4)
    return {
        "report": {"generated": generated.isoformat(), "date": date.isoformat(), "tool": "crisis-sim",
                   "version": __version__, "rating_thresholds": {c: th for c, th, _ in RATINGS},
                   "rating_labels": {c: lab for c, _, lab in RATINGS}, "plan_days": PLAN_DAYS},
        "source": source,
        "scenario": {"name": s.name, "title": s.title, "description": s.description, "purpose": s.purpose,
                     "hash": s.content_hash, "start": s.clock.start.isoformat(), "horizon_h": s.clock.horizon_h,
                     "display_tz": s.clock.display_tz},
        "method": {"seed": seed, "reps": reps.reps, "narrated_seed": seed,
                   "seeding": f"replication i uses numpy SeedSequence({seed}).spawn({reps.reps})[i]; the narrated "
                              f"run uses seed {seed}",
                   "proportions": "Wilson score interval, z = 1.96",
                   "means": "Student-t interval of the mean (95%)",
                   "percentiles": "numpy default (linear interpolation): p5, p50, p95",
                   "comparison": comparison_method(comparison)},
        "reference": {"how": reference_how, "differences": list(differences)},
        "timeline": timeline(narrated_run.trace),
        "narrated": {"seed": seed, "decisions": narrated_run.decisions,
                     "metrics": {m: _r(narrated_run.metrics.get(m), 2) for m in key_metrics(s)
                                 if m in narrated_run.metrics}},
        "objectives": objectives,
        "metrics": metrics_table,
        "strengths": strengths,
        "improvements": afis,
        "plan": plan,
        "sustain": [x["text"] for x in strengths],
        "improve": [f"{p['issue']}: {p['corrective_action']}" for p in plan],
        "lessons": {"observations": observations, "identified": lessons},
        "comparison": comparison,
        "sensitivity": sensitivity,
        "parameters": list(parameters),
        "charts": [],
    }
