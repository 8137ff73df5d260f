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
from ..scenario.metrics import metric_label, metric_registry
from ..scenario.model import Scenario
from . import causes as C
from .montecarlo import Replications
from .wording import num

RATINGS = (("P", 0.9, "Performed without challenges"), ("S", 0.7, "Performed with some challenges"),
           ("M", 0.3, "Performed with major challenges"), ("U", 0.0, "Unable to be performed"))
GLOBAL_METRICS = ("encounters", "incidents", "incident_share", "peak_tension", "peak_rung")
PLAN_DAYS = 90

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


def _action(kind: C.CauseKind | str, s: Scenario, oid: str) -> tuple[str, str]:
    """(capability element, corrective action) for a cause of ``kind``: looked up in causes.kinds."""
    return C.action(kind, s, oid)


def metric_text(s: Scenario, name: str) -> str:
    """A metric as the report shows it: its title and unit (the raw name goes to the annex)."""
    spec = metric_registry(s).get(name)
    return metric_label(spec) if spec else name


def metric_annex(s: Scenario, names: list[str]) -> list[dict[str, str]]:
    """The annex of raw metric names: one row per metric shown, with its title, unit and kind."""
    reg = metric_registry(s)
    return [{"name": n, "title": reg[n].title, "unit": reg[n].unit, "kind": reg[n].kind.value}
            for n in dict.fromkeys(names) if n in reg]


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
            causes.append({"cause": c["cause"], "kind": c["kind"], "count": c["count"], "share": _r(c["share"], 3),
                           "example_rep": c["example_rep"], "example": ex.to_dict() if ex else None})
        entry = {
            "id": oid, "title": o.title, "metric": o.metric, "metric_label": metric_text(s, o.metric),
            "target": o.target.describe(),
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
                            f" ({metric_text(s, o.metric)} = {num(out.value, 2)}, target {o.target.describe()}); over the batch {pc}, "
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
        element, action = _action(top["kind"], s, oid) if top else ("Exercise", "Examine again")
        plan.append({"capability": o.capability or o.title, "issue": f"{o.title} ({code}, {pc})",
                     "root_cause": top["cause"] if top else "", "corrective_action": action,
                     "element": element, "responsible": o.owner, "poc": "",
                     "start": date.isoformat(), "completion": (date + timedelta(days=PLAN_DAYS)).isoformat()})
        lessons.append({"observation": f"{o.title} missed in {bc['failed']} of {b['n']} replications; most often "
                                       f"because of {top['cause'] if top else 'unknown'}.",
                        "lesson": action, "action_body": o.owner})
    metrics_table = [{"metric": m, "label": metric_text(s, m), **(metric_stats(summary, m) or {})} for m in key_metrics(s)
                     if m in summary["metrics"]]
    if comparison is not None:
        for row in comparison["rows"]:
            for k in ("this", "other", "diff"):
                row[k] = _r(row[k], 3)
            row["stat"] = _r(row["stat"], 3)
            row["p_value"] = _r(row["p_value"], 4)
            if row["kind"] == "metric":
                row["title"] = metric_text(s, row["id"])
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
                   "comparison": "two-proportion z-test (objectives), Welch t-test (means), alpha 0.05 with "
                                 "Holm-Bonferroni over the family"},
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
        "metric_annex": metric_annex(s, [o.metric for o in s.objectives.values()] + key_metrics(s)),
    }
