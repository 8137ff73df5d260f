"""The hot-wash at the end of a workshop: an objectives scoreboard and a one-page summary.

Read from the table's own path (:meth:`Session.final_result`: the decisions the table took,
the scenario's defaults for any point it never reached) and from what the table did (the
decisions with their rationales, the injects delivered, the teams' responses, the notes).
``end`` writes it to the session log as a ``hotwash`` entry, for the report; the room board and
the terminal show the scoreboard.
"""
from __future__ import annotations

from typing import Any

from ..narrative import h_label
from ..scenario.metrics import metric_label, metric_registry
from .session import Session


def _value_text(v: float | None, unit: str) -> str:
    if v is None:
        return "never happened"
    return f"{v:,.1f} {unit}".strip() if unit else f"{v:,.1f}"


def scoreboard(session: Session) -> list[dict[str, Any]]:
    """One row per objective: met or not on the table's path, with the value and the target."""
    s = session.scenario
    reg = metric_registry(s)
    res = session.final_result()
    rows = []
    for oid, o in res.objectives.items():
        spec = reg.get(o.metric)
        rows.append({"id": oid, "title": o.title, "met": o.met, "value": o.value,
                     "value_text": _value_text(o.value, spec.unit if spec else ""),
                     "target": o.target, "metric": metric_label(spec) if spec else o.metric})
    return rows


def summary(session: Session) -> dict[str, Any]:
    """The hot-wash: the scoreboard and what the table did, as data for the log and the report."""
    s = session.scenario
    play = session.play
    rows = scoreboard(session)
    decisions = [{"decision": e["decision"], "title": s.decisions[e["decision"]].title, "option": e["option"],
                  "label": s.decisions[e["decision"]].options[e["option"]].label, "team": e["team"],
                  "rationale": e["rationale"], "h": e["decision_h"]} for e in play.choices]
    return {"scoreboard": rows, "met": sum(r["met"] for r in rows), "objectives": len(rows),
            "clock_h": session.clock, "decisions": decisions,
            "injects_fired": len(play.injects), "responses": len(play.responses), "notes": len(play.notes)}


def hotwash_lines(h: dict[str, Any]) -> list[str]:
    """The hot-wash as lines for the terminal."""
    out = [f"HOT-WASH at {h_label(round(h['clock_h'], 2))}: {h['met']} of {h['objectives']} objectives met "
           "on the table's path"]
    for r in h["scoreboard"]:
        out.append(f"  [{'MET' if r['met'] else 'NOT MET'}] {r['title']}: {r['value_text']} (target {r['target']})")
    if h["decisions"]:
        out.append("Decisions taken:")
        out += [f"  {h_label(round(d['h'], 2))} {d['team']}: {d['title']} -> {d['label']}"
                + (f" ({d['rationale']})" if d["rationale"] else "") for d in h["decisions"]]
    out.append(f"{h['injects_fired']} facilitator injects, {h['responses']} team responses, {h['notes']} notes.")
    return out


__all__ = ["hotwash_lines", "scoreboard", "summary"]
