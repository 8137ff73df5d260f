"""The after-action report of a workshop: the record of the table and where its path falls.

Input is :func:`sim.workshop.summary.session_summary` (with the session log's entries, for
the turns and the exercise clock of scheduled injects) and two Monte Carlo batches of the same
scenario on the same seeds: the table's path (the decisions the table took, fixed at the points it
reached, the scenario's defaults after, and the facilitator's injects), which rates the objectives,
and the counterfactual (the default decisions throughout: "had the table taken the defaults"),
compared with it by paired tests. Out come

* ``record``: session facts, the decisions table (sim time, calendar time, exercise wall-clock
  time, option, team, rationale, played or defaulted), the injects delivered (MSEL style), the
  teams' responses to injects against each inject's expected action, the pace (planned against
  actual exercise time at each turn) and the teams' observations by team and by objective;
* ``placement``: each objective metric and key time on the workshop path, its percentile rank in
  the batch (:func:`sim.workshop.summary.compare_to_batch` fed the batch's own rows, so the numbers
  are the batch's) and the objectives met on the path against P(success) over the batch on the
  table's decisions and over the counterfactual;
* :func:`build_report`: the workshop's AAR (:class:`WorkshopAAR`, an :class:`~sim.report.aar.AAR`
  extended with those two sections), whose findings (strengths, areas for improvement, improvement
  plan, observations -> lessons identified) are drawn on the workshop's result rather than the batch's.

Everything here only reads: the workshop package is imported, never the other way round.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as date_
from datetime import datetime, timedelta
from typing import Any

from ..narrative import h_label
from ..scenario.metrics import metric_registry
from ..scenario.model import Scenario
from . import aar
from .montecarlo import Replications
from .wording import num

EPS = 1e-5
TABLE_BATCH = "runs on the table's decisions"


@dataclass
class Counterfactual:
    """The default-decision batch beside the table's (same seeds), and the paired comparison of the two
    (:func:`sim.report.compare.compare`, the table's batch first)."""

    replications: Replications
    summary: dict[str, Any]
    comparison: dict[str, Any]


def _cal(iso: str | None) -> str:
    if not iso:
        return ""
    t = datetime.fromisoformat(iso)
    return f"{t:%a %d %b %Y %H:%M} {t:%z}"[:-2]


def _wall(iso: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def _elapsed(wall: str | None, opened: datetime | None) -> tuple[float | None, str]:
    """Exercise time: seconds since the session opened, and "+1:05:09"."""
    w = _wall(wall)
    if w is None or opened is None:
        return None, ""
    secs = max(0.0, (w - opened).total_seconds())
    return secs, "+" + str(timedelta(seconds=int(secs)))


def _wall_label(iso: str | None) -> str:
    w = _wall(iso)
    return "" if w is None else f"{w:%Y-%m-%d %H:%M:%S} {w:%Z}".strip()


def applied_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log's actions still in effect (responses to injects among them): undone ones (and the undo
    entries) left out."""
    stack: list[dict[str, Any]] = []
    for e in entries:
        if e.get("kind") == "undo":
            if stack and stack[-1].get("n") == e.get("undoes"):
                stack.pop()
        elif e.get("kind") in ("next", "decide", "inject", "note", "response"):
            stack.append(e)
    return stack


def record(s: Scenario, summ: dict[str, Any], entries: list[dict[str, Any]], *, batch_seed: int,
           reps: int) -> dict[str, Any]:
    """The workshop record: session facts, decisions, injects (MSEL), observations."""
    opened = _wall(summ.get("opened_wall"))
    applied = applied_entries(entries)
    stops = [e for e in applied if e["kind"] == "next"]
    result = summ["result"]
    cal = s.clock.calendar

    decisions = []
    for d in summ["decisions"]:
        secs, ex = _elapsed(d.get("wall"), opened)
        opt = s.decisions[d["decision"]].options.get(d["option"]) if d.get("option") else None
        default = s.decisions[d["decision"]].default
        decisions.append({
            "decision": d["decision"], "title": d["title"], "option": d["option"], "label": d["label"],
            "description": getattr(opt, "description", "") or "", "team": d["team"] or "",
            "rationale": d["rationale"] or "", "played": bool(d["played"]),
            "status": "played" if d["played"] else ("defaulted" if d["option"] else "not reached"),
            "default": default, "is_default": d["option"] == default,
            "decision_h": aar.rounded(d["decision_h"], 4), "h": h_label(d["decision_h"]) if d["decision_h"] is not None
            else "", "time": _cal(d["time"]), "time_iso": d["time"],
            "wall": d.get("wall"), "wall_label": _wall_label(d.get("wall")), "exercise_s": secs,
            "exercise_time": ex, "after_stop": d["decision_h"] is not None and d["decision_h"] > summ["stopped_h"] + EPS,
        })

    # the facilitator's injects, by id and the hour they went in: one the facilitator fires again after
    # its scheduled delivery (or a library inject fired twice) is in the trace once per delivery
    fired: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for i in summ["injects"]:
        fired.setdefault((i["id"], round(float(i.get("at_h", i["sim_h"])), 6)), []).append(i)
    first_shown = summ.get("shown") or {}
    injects = []

    def facilitator_row(i: dict[str, Any], idx: float) -> dict[str, Any]:
        secs, ex = _elapsed(i.get("wall"), opened)
        spec = s.injects.get(i["inject"]) if i["inject"] else None
        return {"id": i["id"], "inject": i["inject"], "title": i["title"], "text": i["text"],
                "sender": i["sender"] or "", "recipient": i["recipient"] or "",
                "expected_action": (spec.expected_action if spec is not None else "") or "",
                "adhoc": bool(i["adhoc"]),
                "source": "ad hoc" if i["adhoc"] else "library" if spec is None or spec.library
                else "fired by the facilitator",      # a scheduled inject brought forward or read out again
                "sim_h": aar.rounded(i["sim_h"], 4), "h": h_label(i["sim_h"]), "time": _cal(i["time"]),
                "wall": i.get("wall"), "exercise_s": secs, "exercise_time": ex, "_order": idx}

    # the scenario's own injects that reached the table before the session stopped: read from the board
    # at the stop (paused at a decision still open), not from the path carried on to the horizon, where an
    # open decision takes its default and what follows it at the same hour never reached the table. Each
    # reached the table with the action after which the board first showed it: the stop that took the
    # clock to its hour, or the decision or inject that set it off (the opening board for H-hour's)
    shown = summ.get("result_at_stop") or result
    seen: dict[tuple[str, float], int] = {}
    for idx, rec in enumerate(shown.trace):
        if rec.kind != "inject" or rec.t_h > summ["stopped_h"] + EPS:
            continue
        iid = rec.inject
        key = (iid, round(rec.t_h, 6))
        k = seen[key] = seen.get(key, -1) + 1
        if fired.get(key):
            injects.append(facilitator_row(fired[key].pop(0), idx))
            continue
        if iid not in s.injects:
            continue
        spec = s.injects[iid]
        by = first_shown.get((*key, k))
        if by is None:
            by = next((e for e in stops if e["sim_h"] + EPS >= rec.t_h), None)
        wall = by["wall"] if by else summ.get("opened_wall")
        secs, ex = _elapsed(wall, opened)
        injects.append({"id": iid, "inject": iid, "title": spec.title, "text": spec.text,
                        "sender": spec.sender or "", "recipient": spec.recipient or "",
                        "expected_action": spec.expected_action or "", "adhoc": False, "source": "scheduled",
                        "sim_h": aar.rounded(rec.t_h, 4), "h": h_label(rec.t_h),
                        "time": _cal(cal(rec.t_h).isoformat(timespec="minutes")),
                        "wall": wall, "exercise_s": secs, "exercise_time": ex, "_order": idx})
    injects += [facilitator_row(i, float("inf")) for rest in fired.values() for i in rest]
    # in the order the table got them: sim time, then exercise time, then the trace's (causal) order
    injects.sort(key=lambda x: (x["sim_h"], x["exercise_s"] or 0.0, x["_order"]))
    for x in injects:
        del x["_order"]

    def note(n: dict[str, Any]) -> dict[str, Any]:
        secs, ex = _elapsed(n.get("wall"), opened)
        o = s.objectives.get(n["objective"]) if n.get("objective") else None
        return {"text": n["text"], "team": n["team"] or "", "objective": n["objective"] or "",
                "objective_title": o.title if o else "", "sim_h": aar.rounded(n["sim_h"], 4), "h": h_label(n["sim_h"]),
                "time": _cal(n["time"]), "wall": n.get("wall"), "exercise_s": secs, "exercise_time": ex}

    notes = [note(n) for n in summ["notes"]]
    teams = list(summ["teams"]) + sorted({n["team"] for n in notes if n["team"] and n["team"] not in summ["teams"]})
    by_team = [{"team": t or "(no team)", "notes": [n for n in notes if n["team"] == t]}
               for t in teams + [""] if any(n["team"] == t for n in notes)]
    by_objective = [{"objective": oid, "title": o.title, "notes": [n for n in notes if n["objective"] == oid]}
                    for oid, o in s.objectives.items() if any(n["objective"] == oid for n in notes)]
    general = [n for n in notes if not n["objective"]]
    if general:
        by_objective.append({"objective": "", "title": "General (no objective)", "notes": general})

    last = _wall(summ.get("last_wall"))
    duration = (last - opened).total_seconds() if last and opened else None
    open_entry = entries[0] if entries and entries[0].get("kind") == "open" else {}
    session = {
        "scenario": summ["scenario"], "title": summ["title"], "scenario_path": aar.project_path(summ["scenario_path"]),
        "overrides": list(summ.get("overrides") or []), "seed": summ["seed"], "log": aar.project_path(summ["log"]),
        "turn_h": summ["turn_h"], "turns": len(stops), "teams": list(summ["teams"]),
        "opened_wall": summ.get("opened_wall"), "last_wall": summ.get("last_wall"),
        "opened_label": _wall_label(summ.get("opened_wall")), "last_label": _wall_label(summ.get("last_wall")),
        "duration_s": duration, "duration": "" if duration is None else str(timedelta(seconds=int(duration))),
        "closed": bool(summ["closed"]), "stopped_h": aar.rounded(summ["stopped_h"], 4), "stopped": h_label(summ["stopped_h"]),
        "stopped_time": _cal(summ["stopped_time"]), "horizon_h": summ["horizon_h"],
        "played_decisions": sum(d["played"] for d in decisions),
        "defaulted_decisions": sum(not d["played"] and d["option"] is not None for d in decisions),
        "warnings": list(summ.get("warnings") or []),
        "batch_seed": batch_seed, "batch_reps": reps,
        "completion": ("The table played to " + h_label(summ["stopped_h"]) + " of H+" + f"{summ['horizon_h']:g}"
                       + "; the path was carried on to the horizon with the recorded decisions and injects, and "
                       "the scenario's default for every decision the table did not take."),
    }
    said = responses(s, applied, injects, opened)
    paced = pace(open_entry, stops, summ["turn_h"])
    return {"session": session, "decisions": decisions, "injects": injects, "notes": notes,
            "observations": {"by_team": by_team, "by_objective": by_objective},
            "responses": said, "pace": paced,
            "hotwash": hotwash(entries, open_entry, summ["turn_h"], injects, said)}


def hotwash(entries: list[dict[str, Any]], open_entry: dict[str, Any], turn_h: float,
            injects: list[dict[str, Any]], said: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The hot-wash the facilitator closed the exercise with (the log's ``hotwash`` entry, written by
    ``end``): its objectives scoreboard as the table saw it, the pace at that moment (planned against
    actual exercise time) and how many injects with an expected action the teams answered. None when the
    session was closed without one (``quit``)."""
    e = next((x for x in reversed(entries) if x.get("kind") == "hotwash"), None)
    if e is None:
        return None
    h = e.get("summary") or {}
    board = [{"id": str(r.get("id", "")), "title": str(r.get("title", "")), "met": bool(r.get("met")),
              "value_text": str(r.get("value_text", "")), "target": str(r.get("target", "")),
              "metric": str(r.get("metric", ""))} for r in h.get("scoreboard") or []]
    at = pace(open_entry, [e], turn_h)["rows"][0]
    asked = [i for i in injects if i["expected_action"]]
    answered = {r["inject"] for r in said}
    clock_h = float(h.get("clock_h", e.get("sim_h") or 0.0))
    return {"h": h_label(clock_h), "clock_h": aar.rounded(clock_h, 4), "wall_label": _wall_label(e.get("wall")),
            "met": sum(r["met"] for r in board), "objectives": len(board), "scoreboard": board,
            "decisions": len(h.get("decisions") or []), "injects_fired": int(h.get("injects_fired") or 0),
            "responses": len(said), "notes": int(h.get("notes") or 0),
            "pace": at, "pace_text": (f"{at['planned']} planned, {at['actual']} actual ({at['how']})"
                                      if at["actual"] else "not recorded"),
            "expected": len(asked), "answered": sum(i["id"] in answered for i in asked),
            "unanswered": [i["title"] for i in asked if i["id"] not in answered]}


def responses(s: Scenario, entries: list[dict[str, Any]], injects: list[dict[str, Any]],
              opened: datetime | None) -> list[dict[str, Any]]:
    """The teams' responses to injects (the applied log entries of kind "response"), each beside the
    inject's expected action: the delivered inject's (by delivery id, then scenario inject id)."""
    by_id = {i["id"]: i for i in injects}
    out = []
    for e in entries:
        if e.get("kind") != "response":
            continue
        iid = str(e.get("inject") or "")
        delivered = by_id.get(iid)
        spec = s.injects.get(iid)
        title = delivered["title"] if delivered else spec.title if spec is not None else iid
        expected = (delivered["expected_action"] if delivered else (spec.expected_action or "") if spec is not None
                    else "")
        secs, ex = _elapsed(e.get("wall"), opened)
        out.append({"team": str(e.get("team") or ""), "inject": iid, "title": title, "expected_action": expected,
                    "text": str(e.get("text") or ""), "sim_h": aar.rounded(e.get("sim_h"), 4),
                    "h": h_label(float(e.get("sim_h") or 0.0)), "exercise_s": secs, "exercise_time": ex})
    return out


def _hm(minutes: float) -> str:
    m = int(round(abs(minutes)))
    return f"{'-' if minutes < 0 else '+'}{m // 60}:{m % 60:02d}"


def pace(open_entry: dict[str, Any], stops: list[dict[str, Any]], turn_h: float) -> dict[str, Any]:
    """Planned against actual exercise time at each turn: planned = sim hours / turn length x minutes per
    turn after STARTEX (the open entry's ``startex``, else the time it was opened), actual = the turn's wall
    clock after STARTEX."""
    start = _wall(open_entry.get("startex") or open_entry.get("wall"))
    mpt = float(open_entry.get("minutes_per_turn") or 30.0)
    rows = []
    for e in stops:
        w = _wall(e.get("wall"))
        planned = float(e["sim_h"]) / turn_h * mpt if turn_h else 0.0
        actual = (w - start).total_seconds() / 60 if w is not None and start is not None else None
        late = None if actual is None else actual - planned
        rows.append({"h": h_label(float(e["sim_h"])), "sim_h": aar.rounded(e["sim_h"], 4),
                     "planned_min": aar.rounded(planned, 1), "actual_min": aar.rounded(actual, 1),
                     "planned": _hm(planned), "actual": "" if actual is None else _hm(actual),
                     "behind_min": aar.rounded(late, 1),
                     "how": "" if late is None else "on time" if abs(late) < 1
                     else f"{abs(late):.0f} min {'behind' if late > 0 else 'ahead'}"})
    last = rows[-1] if rows else None
    summary = (f"At the last turn ({last['h']}): {last['planned']} planned, {last['actual']} actual "
               f"({last['how']})." if last and last["actual"] else "No turn was played.")
    return {"startex": str(open_entry.get("startex") or open_entry.get("wall") or ""), "minutes_per_turn": mpt,
            "turn_h": turn_h, "rows": rows, "summary": summary}


def placement_metrics(s: Scenario) -> list[str]:
    """The objectives' metrics, then the key times (readiness and arrival) and headline metrics."""
    from ..workshop.summary import default_metrics
    names = [o.metric for o in s.objectives.values()]
    names += [m for m, _ in default_metrics(s)]
    reg = metric_registry(s)
    names += [m for m in aar.key_metrics(s) if m in reg and reg[m].is_time]
    return list(dict.fromkeys(names))


def placement(s: Scenario, summ: dict[str, Any], reps: Replications, summary: dict[str, Any],
              counterfactual: Counterfactual | None = None) -> dict[str, Any]:
    """Where the workshop's path falls in the batch on the table's decisions (``reps``), and the odds had
    the table taken the defaults (``counterfactual``) beside them."""
    from ..workshop.summary import compare_to_batch
    rows: list[Mapping[str, Any]] = [{"metrics": r.metrics} for r in reps.results]
    names = [m for m in placement_metrics(s) if m in summ["metrics"]]
    compared = compare_to_batch(summ, rows, metrics=names, scenario=s)
    objective_of: dict[str, list[str]] = {}
    for oid, o in s.objectives.items():
        objective_of.setdefault(o.metric, []).append(oid)
    out_rows = []
    for c in compared:
        out_rows.append({"metric": c["metric"], "title": c["title"], "label": aar.metric_text(s, c["metric"]),
                         "value": aar.rounded(c["value"], 4),
                         "n": c["n"], "below": aar.rounded(c["below"], 4), "equal": aar.rounded(c["equal"], 4),
                         "above": aar.rounded(c["above"], 4), "never": aar.rounded(c["never"], 4),
                         "percentile": aar.rounded(c["percentile"], 2), "sentence": c["sentence"],
                         "objectives": objective_of.get(c["metric"], []),
                         "median": aar.rounded((summary["metrics"].get(c["metric"]) or {}).get("p50"), 4)})
    objectives = []
    for oid, o in s.objectives.items():
        w = summ["result"].objectives[oid]
        b = summary["objectives"][oid]
        p = b["p"]
        met = bool(w.met)
        sentence = (f"{o.title}: {'met' if met else 'missed'} on the workshop path; met in {b['successes']} of "
                    f"{b['n']} {TABLE_BATCH} (P = {p:.3f}).")
        d = counterfactual.summary["objectives"][oid] if counterfactual is not None else None
        objectives.append({"id": oid, "title": o.title, "target": o.target.describe(), "metric": o.metric,
                           "metric_label": aar.metric_text(s, o.metric), "value": aar.rounded(w.value, 4), "met": met, "p": aar.rounded(p, 3),
                           "ci_low": aar.rounded(b["ci_low"], 3), "ci_high": aar.rounded(b["ci_high"], 3),
                           "successes": b["successes"], "n": b["n"],
                           "against_odds": (met and p is not None and p < 0.5) or (not met and p is not None and p >= 0.5),
                           "sentence": sentence,
                           "default_p": aar.rounded(d["p"], 3) if d else None,
                           "default_successes": d["successes"] if d else None,
                           "default_rating": aar.rating(d["p"])[0] if d else None})
    how = (f"{reps.reps} runs of the same scenario on the table's decisions (each fixed where the table took "
           f"it, the scenario's default after; the facilitator's injects at their hours), replication i seeded by "
           f"SeedSequence({reps.seed}).spawn({reps.reps})[i]")
    if counterfactual is not None:
        how += (f"; beside them the counterfactual, the same {reps.reps} seeds with the default decisions "
                f"throughout (`crisis-sim batch --reps {reps.reps} --seed {reps.seed}`)")
    return {"reps": reps.reps, "seed": reps.seed,
            "how": how + "; a time that never came within the horizon counts as later than every time that did",
            "rows": out_rows, "objectives": objectives}


def _decision_steps(why: dict[str, Any] | None, decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workshop decisions a why chain names (by id: ``why["decision_ids"]``)."""
    if not why:
        return []
    ids = set(why["decision_ids"])
    return [d for d in decisions if d["option"] is not None and d["decision"] in ids]


def _decision_sentence(d: dict[str, Any]) -> str:
    who = f"team {d['team']}" if d["played"] and d["team"] else "the scenario's default (not played)"
    s = f"\u201c{d['title']}\u201d: {d['label']} ({d['option']}), taken at {d['h']} by {who}"
    if d["rationale"]:
        s += f", rationale \u201c{d['rationale']}\u201d"
    if d["played"] and not d["is_default"]:
        s += f"; the default was {d['default']}"
    return s


@dataclass
class WorkshopObjective(aar.Objective):
    """An objective of the workshop report: the AAR's, with the teams' notes on it, where the workshop
    path falls against the batch (``workshop``) and the percentile rank of its metric (``rank``)."""

    notes: list[dict[str, Any]] = field(default_factory=list)
    workshop: dict[str, Any] = field(default_factory=dict)
    rank: dict[str, Any] | None = None


@dataclass
class WorkshopNarrated(aar.NarratedRun):
    source: str = "workshop"


@dataclass
class WorkshopLessons(aar.Lessons):
    team_observations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WorkshopPart:
    """The workshop's own sections: the record of the table and where its path falls in the batch."""

    record: dict[str, Any]
    placement: dict[str, Any]
    counterfactual: aar.Comparison | None = None


@dataclass
class WorkshopAAR(aar.AAR):
    """The AAR of a workshop: the narrated run is the workshop's path, the findings are the workshop's,
    and two sections are added: the workshop record (after the overview) and where it falls (after
    the analysis of objectives)."""

    narrated: WorkshopNarrated
    objectives: Sequence[WorkshopObjective]
    lessons: WorkshopLessons
    workshop: WorkshopPart | None = None

    def optional_sections(self) -> list[tuple[str, bool]]:
        base = super().optional_sections()
        out: list[tuple[str, bool]] = []
        for sid, shown in base:
            out.append((sid, shown))
            if sid == "overview":
                out.append(("workshop", True))
            elif sid == "objectives":
                out.append(("placement", True))
        return out


def _workshop_why(why: dict[str, Any] | None, decisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The why of the workshop path, with the workshop decisions it names."""
    if why is None:
        return None
    steps = _decision_steps(why, decisions)
    said = [_decision_sentence(d) for d in steps]
    headline = why["headline"]
    if steps:
        headline += ". Decision" + ("s" if len(steps) > 1 else "") + " on the workshop path: " + "; ".join(said)
    return {**why, "decisions": said, "workshop_headline": headline}


def workshop_objectives(objectives: list[aar.Objective], s: Scenario, rec: dict[str, Any],
                        place: dict[str, Any]) -> list[WorkshopObjective]:
    """The AAR's objectives, extended with the workshop's notes, placement and rank."""
    notes_of = {b["objective"]: b["notes"] for b in rec["observations"]["by_objective"] if b["objective"]}
    place_of = {p["id"]: p for p in place["objectives"]}
    rank_of = {r["metric"]: r for r in place["rows"]}
    out = []
    for o in objectives:
        fields = {f.name: getattr(o, f.name) for f in dataclasses.fields(o)}
        fields["narrated"] = dataclasses.replace(o.narrated, why=_workshop_why(o.narrated.why, rec["decisions"]))
        out.append(WorkshopObjective(**fields, notes=notes_of.get(o.id, []), workshop=place_of[o.id],
                                     rank=rank_of.get(s.objectives[o.id].metric)))
    return out


def workshop_findings(s: Scenario, objectives: list[WorkshopObjective], rec: dict[str, Any],
                      date: date_) -> aar.Findings:
    """The findings: an objective met on the workshop path and rated P (over the runs on the table's
    decisions) is a strength; any other is an area for improvement, its cause the path's own why when the
    path missed it, else the commonest cause of the batch's misses."""
    strengths, afis, plan, observations, lessons = [], [], [], [], []
    for entry in objectives:
        oid, o = entry.id, s.objectives[entry.id]
        why = entry.narrated.why
        pl, rank = entry.workshop, entry.rank
        pc = f"P = {pl['p']:.3f} ({pl['successes']}/{pl['n']}) over the {TABLE_BATCH}"
        said = "; ".join(f"team {n['team'] or '?'} at {n['h']}: \u201c{n['text']}\u201d" for n in entry.notes)
        on_path = (f"{'met' if pl['met'] else 'missed'} on the workshop path "
                   f"({aar.metric_text(s, o.metric)} = {num(pl['value'], 2)}, target {pl['target']})")
        if pl["met"] and entry.rating == "P":
            strengths.append(aar.Strength(oid, o.title, o.capability, f"{o.title}: {on_path}; {pc}."
                                          + (f" {rank['sentence']}." if rank else "")))
            continue
        top = entry.causes[0] if entry.causes else None
        if not pl["met"] and why is not None:
            head, key, kind = why["workshop_headline"], why["key"], why["kind"]
        elif top is not None:
            head = (f"{top.cause} in {top.count} of {entry.batch.failed} missed runs on the table's decisions"
                    + (f": {top.example['headline']}" if top.example else ""))
            key, kind = top.cause, top.kind
        else:
            head, key, kind = "no cause found in the trace", "", None
        afis.append(aar.Improvement(oid, o.title, o.capability, entry.rating, f"{o.title}: {on_path}; {pc}, rated "
                                    f"{entry.rating}.", head))
        if kind is None:   # no cause found: no corrective action to plan, nor a lesson to draw
            continue
        element, action = aar._action(kind, s, oid)
        issue = f"{o.title} ({'missed in the workshop' if not pl['met'] else 'rated ' + entry.rating}; {pc})"
        plan.append(aar.PlanItem(o.capability or o.title, issue, key, action, element, o.owner, "", date.isoformat(),
                                 (date + timedelta(days=aar.PLAN_DAYS)).isoformat(), objective=oid))
        lessons.append(aar.Lesson(f"{o.title} {on_path.split(' (')[0]}, rated {entry.rating}: {head}."
                                  + (f" Team observations: {said}." if said else ""), action, o.owner))
        # only an observation that leads to a lesson goes to the lessons process
        observations.append(f"{o.title}: {on_path}; {pc}." + (f" Team observations: {said}." if said else ""))
    observations[:0] = [f"Team {n['team'] or '(none)'}"
                        + (f" on \u201c{n['objective_title']}\u201d" if n["objective_title"] else "")
                        + f" at {n['h']} ({n['time']}): {n['text']}" for n in rec["notes"]]
    team = [{"team": n["team"], "objective": n["objective"], "h": n["h"], "time": n["time"], "text": n["text"]}
            for n in rec["notes"]]
    return aar.Findings(strengths, afis, plan, WorkshopLessons(observations, lessons, team))


def build_report(x: aar.Inputs, summ: dict[str, Any], counterfactual: Counterfactual | None = None) -> WorkshopAAR:
    """The AAR of a workshop session (``summ``: :func:`sim.report.sources.load_session`); ``x.narrated_run``
    is the workshop's path, ``x.reps`` the batch on the table's decisions that rates the objectives and
    ``counterfactual`` the default-decision batch on the same seeds."""
    s = x.scenario
    rec = record(s, summ, summ.get("log_entries") or [], batch_seed=x.seed, reps=x.reps.reps)
    place = placement(s, summ, x.reps, x.summary, counterfactual)
    cf = (aar.comparison_of(s, counterfactual.comparison, counterfactual.summary, x.seed)
          if counterfactual is not None else None)
    objectives = workshop_objectives(aar.analyse_objectives(s, x.narrated_run, x.reps, x.summary, x.context(),
                                                            x.facts), s, rec, place)
    findings = workshop_findings(s, objectives, rec, x.generated.date())
    seeding = (f"the workshop path is the session's (seed {summ['seed']}, the teams' decisions and injects, "
               f"defaults for decisions not taken); batch replication i uses numpy "
               f"SeedSequence({x.seed}).spawn({x.reps.reps})[i] with the table's decisions (defaults where the "
               f"table did not decide), and the counterfactual the same seeds with the default decisions")
    common = aar.common_parts(x)
    common["metric_annex"] = aar.metric_annex(s, [a["name"] for a in common["metric_annex"]]
                                              + [r["metric"] for r in place["rows"]])
    met = sum(bool(p["met"]) for p in place["objectives"])
    said = [f"The table played to {rec['session']['stopped']} and its path met {met} of {len(objectives)} "
            f"objectives; the ratings come from {x.reps.reps} runs on the table's decisions."]
    if cf is not None:
        rating_of = {o.id: o.rating for o in objectives}
        moved = [f"\u201c{p['title']}\u201d ({rating_of[p['id']]} \u2192 {p['default_rating']})"
                 for p in place["objectives"] if p["default_rating"] and p["default_rating"] != rating_of[p["id"]]]
        said.append("Had the table taken the defaults, " + ("; ".join(moved) + " would have been rated differently."
                                                            if moved else "every rating would have been the same."))
    return WorkshopAAR(**common,
                       executive=aar.executive_summary(s, objectives, findings.plan, said),
                       method=aar.method(x.seed, x.reps.reps, x.comparison, narrated_seed=summ["seed"],
                                         seeding=seeding),
                       narrated=WorkshopNarrated(summ["seed"], x.narrated_run.decisions,
                                                 aar.narrated_metrics(s, x.narrated_run)),
                       objectives=objectives, **aar.findings_lists(findings),
                       workshop=WorkshopPart(rec, place, cf))
