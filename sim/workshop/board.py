"""The situation board shown at every stop: built as plain data, rendered with rich or as plain text.

The board holds calendar time and H+hours, the escalation rung and tension, the
forces and their states, what happened since the last stop (narrated trace
records), each inject's player-facing text with its MSEL fields (sender,
recipient, expected action) and, at a decision point, the options. As data it is
JSON: a resumed session must show the same board, and tests compare it.
"""
from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..engine.trace import InjectRecord, Result
from ..narrative import STYLE, h_label, narrated, when
from ..scenario.movement import force_echelons
from .session import EPS, Session


def _calendar(session: Session, t_h: float) -> str:
    t = session.scenario.clock.calendar(t_h)
    return f"{t:%a %d %b %Y %H:%M} {t.tzname()}"


def inject_view(rec: InjectRecord) -> dict:
    """One delivered inject as the board (and the web's views) show it."""
    return {"id": rec.inject, "h": rec.t_h, "time": when(rec), "title": rec.title, "text": rec.message,
            "sender": rec.sender, "recipient": rec.recipient, "expected_action": rec.expected_action}


def forces_rows(session: Session, result: Result) -> list[dict]:
    """One row per force; a force that moves by echelons also has its strength in place and, per
    echelon, its strength, stage and the name of the place where it is (None while it moves)."""
    states = result.state["forces"]
    in_place = result.state.get("strength_in_place", {})
    where = result.state.get("echelons", {})
    places = session.scenario.places
    rows = []
    for fid, f in session.scenario.forces.items():
        row = {"id": fid, "name": f.name, "side": f.side, "kind": f.kind, "strength": f.strength, "unit": f.unit,
               "state": states[fid]}
        if fid in where:
            names = {p.id: p.name for p in force_echelons(fid, f)}
            row["in_place"] = in_place.get(fid, 0.0)
            row["echelons"] = [{"id": eid, "name": names.get(eid, eid), "strength": e["strength"], "stage": e["stage"],
                                "place": e["place"], "place_name": places[e["place"]].name if e["place"] in places
                                else None, "arrival_h": e["arrival_h"]} for eid, e in where[fid].items()]
        rows.append(row)
    return rows


def _echelon_line(f: dict, e: dict) -> str:
    """An echelon's strength, stage and where it is, e.g. "Advance party 40 troops in place at Mihail ...";
    one under its force's row while the force is not wholly in place."""
    at = f" at {e['place_name']}" if e["place_name"] else (f", due H+{e['arrival_h']:.0f}" if e["arrival_h"] is not None
                                                            and e["stage"] == "moving" else "")
    return f"{e['name']} {e['strength']:,.0f} {f['unit']} {e['stage'].replace('_', ' ')}{at}"


def build_board(session: Session) -> dict:
    """The board for the session's current stop, as JSON-ready data."""
    r = session.view()
    play = session.play
    lo, hi = play.prev + EPS, play.clock + EPS
    at_horizon = play.clock >= session.horizon - EPS
    window = [rec for rec in r.trace if lo < rec.t_h <= hi]
    events = [{"h": rec.t_h, "time": when(rec), "kind": rec.kind, "actor": rec.actor, "text": rec.text}
              for rec in narrated(window) if rec.kind != "pending" and (rec.kind != "end" or at_horizon)]
    pending = None
    if r.pending:
        p = r.pending
        pending = {"decision": p["decision"], "title": p["title"], "prompt": p["prompt"], "team": p["team"],
                   "h": p["t_h"], "time": _calendar(session, p["t_h"]), "default": p["default"],
                   "options": [{"id": k, "label": o["label"], "description": o["description"],
                                "default": k == p["default"]} for k, o in p["options"].items()]}
    st = r.state
    return {
        "scenario": session.scenario.name,
        "title": session.scenario.title,
        "seed": session.seed,
        "clock_h": play.clock,
        "h": h_label(round(play.clock, 2)),
        "time": _calendar(session, play.clock),
        "turn_h": session.turn_h,
        "horizon_h": session.horizon,
        "at_horizon": at_horizon,
        "since_h": max(play.prev, 0.0),
        "minutes_per_turn": session.minutes_per_turn,
        "planned_min": round(play.clock / session.turn_h * session.minutes_per_turn, 1),
        "tension": round(st["tension"], 1),
        "rung": st["rung"],
        "rung_name": st["rung_name"],
        "encounters": st["encounters"],
        "incidents": st["incidents"],
        "committed_troops": st["committed_troops"],
        "forces": forces_rows(session, r),
        "measures": st["measures"],
        "events": events,
        "injects": [inject_view(rec) for rec in window if isinstance(rec, InjectRecord)],
        "pending": pending,
        "decisions": [{k: e[k] for k in ("decision", "option", "team", "rationale", "decision_h")}
                      for e in play.choices],
    }


# --- plain text ------------------------------------------------------------------
def pace_text(b: dict, startex: str, now: datetime | None = None) -> str:
    """"Exercise time +1:30 planned, +1:42 actual (12 min behind)": the board's planned time against the
    wall clock now (worked out when shown, so the board itself stays the same on a resumed session)."""
    def hm(m: float) -> str:
        m = max(int(m), 0)
        return f"+{m // 60}:{m % 60:02d}"
    if not startex:
        return ""
    actual = ((now or datetime.now(UTC)) - datetime.fromisoformat(startex)).total_seconds() / 60
    p = {"planned_min": b["planned_min"], "actual_min": actual, "behind_min": actual - b["planned_min"]}
    late = p["behind_min"]
    how = "on time" if abs(late) < 1 else f"{abs(late):.0f} min {'behind' if late > 0 else 'ahead'}"
    return f"Exercise time {hm(p['planned_min'])} planned, {hm(p['actual_min'])} actual ({how})"


def header_text(b: dict, startex: str = "") -> str:
    return (f"== {b['title']} ==\n{b['time']}  ({b['h']} of H+{b['horizon_h']:g}, turn {b['turn_h']:g} h)  "
            f"{pace_text(b, startex)}\n"
            f"Escalation: rung {b['rung']} {b['rung_name']}, tension {b['tension']:.1f}; "
            f"encounters {b['encounters']}, incidents {b['incidents']}; "
            f"troops committed {b['committed_troops']:,.0f}")


def forces_text(b: dict) -> str:
    w = max((len(f["name"]) for f in b["forces"]), default=5)
    lines = ["Forces:"]
    for f in b["forces"]:
        lines.append(f"  {f['name']:<{w}}  {f['side']:<8} {f['strength']:>8,.0f} {f['unit']:<9} "
                     f"{f['state'].replace('_', ' ')}"
                     + (f" ({f['in_place']:,.0f} in place)" if "echelons" in f and f["state"] != "in_place" else ""))
        if "echelons" in f and f["state"] != "in_place":
            lines += [f"      {_echelon_line(f, e)}" for e in f["echelons"]]
    return "\n".join(lines)


def _show_forces(b: dict, forces: bool | None) -> bool:
    """The forces table at the first stop, when a force changed since the last stop, or when asked."""
    if forces is not None:
        return forces
    return b["clock_h"] == 0 or any(e["kind"] in ("force", "echelon") for e in b["events"])


def inject_text(i: dict, room: bool = False) -> str:
    lines = [f"  INJECT {i['id']} [{i['h']:.1f} h] {i['title']}", f"    {i['text']}"]
    if i["sender"] or i["recipient"]:
        lines.append(f"    From: {i['sender'] or '-'}   To: {i['recipient'] or '-'}")
    if i["expected_action"] and not room:
        lines.append(f"    Expected action: {i['expected_action']}")
    return "\n".join(lines)


def pending_text(p: dict, room: bool = False) -> str:
    lines = [f"DECISION NEEDED ({p['team']}): {p['title']}  [{p['decision']}]"]
    if p["prompt"]:
        lines.append(f"  {p['prompt']}")
    for o in p["options"]:
        lines.append(f"  - {o['id']}: {o['label']}{'  (scenario default)' if o['default'] and not room else ''}")
        if o["description"]:
            lines.append(f"      {o['description']}")
    lines.append(f"  -> decide {p['decision']} OPTION [rationale]")
    return "\n".join(lines)


def board_text(b: dict, room: bool = False, forces: bool | None = None, startex: str = "") -> str:
    parts = [header_text(b, startex), forces_text(b) if _show_forces(b, forces) else "Forces: no change (forces shows them)"]
    since = "since H-hour" if b["since_h"] <= 0 and not b["clock_h"] else f"since {h_label(round(b['since_h'], 2))}"
    ev = [f"  {e['time']:<20} {h_label(e['h']):>8}  {e['kind']:<10} {e['text']}" for e in b["events"]
          if e["kind"] != "inject"]
    parts.append(f"What happened {since}:\n" + ("\n".join(ev) if ev else "  nothing new"))
    if b["injects"]:
        parts.append("Injects:\n" + "\n".join(inject_text(i, room) for i in b["injects"]))
    if b["pending"]:
        parts.append(pending_text(b["pending"], room))
    elif b["at_horizon"]:
        parts.append("The exercise has reached its horizon. quit closes the session.")
    return "\n\n".join(parts)


# --- rich ------------------------------------------------------------------------
def forces_table(b: dict) -> Table:
    t = Table(title="Forces", title_justify="left", expand=False)
    for col in ("force", "side", "strength", "state"):
        t.add_column(col, justify="right" if col == "strength" else "left")
    colour = {"standby": "dim", "alerted": "yellow", "activated": "yellow", "ready": "cyan", "deploying": "cyan",
              "in_place": "green"}
    for f in b["forces"]:
        partial = "echelons" in f and f["state"] != "in_place"
        t.add_row(Text(f["name"]), Text(f["side"]), f"{f['strength']:,.0f} {f['unit']}"
                  + (f"\n{f['in_place']:,.0f} in place" if partial else ""),
                  Text(f["state"].replace("_", " ") + "".join(f"\n{_echelon_line(f, e)}" for e in f["echelons"])
                       if partial else f["state"].replace("_", " "), style=colour.get(f["state"], "")))
    return t


def board_rich(b: dict, room: bool = False, forces: bool | None = None, startex: str = "") -> Group:
    head = Text()
    head.append(f"{b['time']}  ", style="bold")
    head.append(f"{b['h']} of H+{b['horizon_h']:g}", style="bold cyan")
    head.append(f"   {pace_text(b, startex)}\n", style="dim")
    rung_style = "bold red" if b["rung"] >= 3 else "bold yellow" if b["rung"] >= 2 else "bold"
    head.append("Escalation: ")
    head.append(f"rung {b['rung']} {b['rung_name']}", style=rung_style)
    head.append(f", tension {b['tension']:.1f}   encounters {b['encounters']}, incidents {b['incidents']}, "
                f"troops committed {b['committed_troops']:,.0f}")
    items: list = [Panel(head, title=Text(b["title"]), title_align="left")]
    items.append(forces_table(b) if _show_forces(b, forces) else Text("Forces: no change (forces shows them)",
                                                                       style="dim"))
    ev = Table(title="What happened" + ("" if b["clock_h"] == 0 else f" since {h_label(round(b['since_h'], 2))}"),
               title_justify="left", show_header=False, box=None, padding=(0, 1))
    for e in b["events"]:
        if e["kind"] == "inject":
            continue
        ev.add_row(Text(e["time"], style="dim"), Text(h_label(e["h"]), style="dim"),
                   Text(e["kind"], style=STYLE.get(e["kind"], "")), Text(e["text"]))
    if not ev.row_count:
        ev.add_row(Text("nothing new", style="dim"))
    items.append(ev)
    for i in b["injects"]:
        body = Text(i["text"] + "\n")
        body.append(f"From: {i['sender'] or '-'}   To: {i['recipient'] or '-'}", style="dim")
        if i["expected_action"] and not room:
            body.append(f"\nExpected action: {i['expected_action']}", style="italic")
        items.append(Panel(body, title=Text(f"INJECT {h_label(i['h'])}  {i['title']}"), title_align="left",
                           border_style="cyan"))
    if b["pending"]:
        p = b["pending"]
        body = Text((p["prompt"] + "\n") if p["prompt"] else "")
        for o in p["options"]:
            body.append(f"\n{o['id']}", style="bold")
            body.append(f": {o['label']}" + ("  (scenario default)" if o["default"] and not room else ""))
            if o["description"]:
                body.append(f"\n    {o['description']}", style="dim")
        body.append(f"\n\ndecide {p['decision']} OPTION [rationale]", style="magenta")
        items.append(Panel(body, title=Text(f"DECISION NEEDED ({p['team']}): {p['title']}"), title_align="left",
                           border_style="magenta"))
    elif b["at_horizon"]:
        items.append(Text("The exercise has reached its horizon. quit closes the session.", style="bold"))
    return Group(*items)
