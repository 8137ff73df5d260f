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

from ..engine.trace import (
    DecisionRecord,
    IncidentRecord,
    InjectRecord,
    Record,
    Result,
    RungRecord,
    SourceKind,
    StartRecord,
    TensionRecord,
    decayed,
)
from ..narrative import STYLE, h_label, narrated, when
from ..scenario.movement import force_echelons
from .session import EPS, Session


def _calendar(session: Session, t_h: float) -> str:
    t = session.scenario.clock.calendar(t_h)
    return f"{t:%a %d %b %Y %H:%M} {t.tzname()}"


def inject_view(rec: InjectRecord) -> dict:
    """One delivered inject as the board (and the web's views) show it."""
    return {"id": rec.inject, "seq": rec.seq, "h": rec.t_h, "time": when(rec), "title": rec.title,
            "text": rec.message, "sender": rec.sender, "recipient": rec.recipient,
            "expected_action": rec.expected_action}


_CARRIER = {SourceKind.INJECT: InjectRecord, SourceKind.ADHOC_INJECT: InjectRecord,
            SourceKind.DECISION: DecisionRecord, SourceKind.INCIDENT: IncidentRecord}


def _carrier_id(rec: Record) -> str:
    """The id a cause names its carrier by: the inject's, the decision's, the incident's domain."""
    if isinstance(rec, InjectRecord):
        return rec.inject
    if isinstance(rec, DecisionRecord):
        return rec.decision
    if isinstance(rec, IncidentRecord):
        return rec.domain
    return ""


def caused_by(window: list[Record]) -> dict[int, int]:
    """Which record of ``window`` (by seq) each change is listed under: a tension or rung change under
    the inject, decision or incident its typed cause names (the latest such record at the same hour);
    a force's change under the inject or decision it directly follows at the same hour (the cascade the
    engine ran for it: a force's condition met by that inject or decision). Others stand on their own."""
    under: dict[int, int] = {}
    carriers: list[Record] = []          # injects, decisions and incidents so far, newest last
    for rec in window:
        if isinstance(rec, (InjectRecord, DecisionRecord, IncidentRecord)):
            carriers.append(rec)
            continue
        if isinstance(rec, (TensionRecord, RungRecord)):
            want = _CARRIER.get(rec.cause.kind)
            hit = next((c for c in reversed(carriers) if want is not None and isinstance(c, want)
                        and abs(c.t_h - rec.t_h) <= EPS and _carrier_id(c) == rec.cause.id), None)
            if hit is not None:
                under[rec.seq] = hit.seq
        elif rec.kind == "force":
            last = next((c for c in reversed(carriers) if not isinstance(c, IncidentRecord)), None)
            if last is not None and abs(last.t_h - rec.t_h) <= EPS and last.seq > max(
                    (c.seq for c in carriers if isinstance(c, IncidentRecord)), default=-1):
                under[rec.seq] = last.seq
    return under


def escalation_at(trace: list[Record], t_h: float) -> tuple[float, int]:
    """Tension and rung at hour ``t_h`` (after every record at that hour), read from the typed records:
    the last change before it, decayed with the scenario's half-life (:func:`decayed`, the engine's formula)."""
    start = next(r for r in trace if isinstance(r, StartRecord))
    v, floor, at, rung = start.tension, start.floor, 0.0, start.rung
    for r in trace:
        if r.t_h > t_h + EPS:
            break
        if isinstance(r, TensionRecord):
            v, floor, at = r.after, r.floor, r.t_h
        elif isinstance(r, RungRecord):
            rung = r.rung
    return decayed(v, floor, start.half_life_h, max(t_h - at, 0.0)), rung


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
    under = caused_by(window)
    events = [{"h": rec.t_h, "time": when(rec), "kind": rec.kind, "actor": rec.actor, "text": rec.text,
               "seq": rec.seq, "under": under.get(rec.seq),
               "force": getattr(rec, "force", None) if rec.kind == "force" else None}
              for rec in narrated(window, include_effects=True)
              if rec.kind not in ("pending", "effect") and (rec.kind != "end" or at_horizon)]
    t_prev, rung_prev = escalation_at(r.trace, play.prev) if play.prev >= 0 else (None, None)
    pending = None
    if r.pending:
        p = r.pending
        pending = {"decision": p["decision"], "title": p["title"], "prompt": p["prompt"],
                   "team": session.team_of_side(p["team"]),
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
        # the last stop's escalation (None at the first board), for what changed since
        "tension_before": None if t_prev is None else round(t_prev, 1),
        "rung_before": rung_prev,
        "changed_forces": sorted({e["force"] for e in events if e["force"]}),
        "rung_name": st["rung_name"],
        "encounters": st["encounters"],
        "incidents": st["incidents"],
        "committed_troops": st["committed_troops"],
        "forces": forces_rows(session, r),
        "axes": axes_rows(session, st),
        "measures": st["measures"],
        "events": events,
        "injects": [inject_view(rec) for rec in window if isinstance(rec, InjectRecord)],
        "pending": pending,
        "decisions": [{k: e[k] for k in ("decision", "option", "team", "rationale", "decision_h")}
                      for e in play.choices],
    }


def axes_rows(session: Session, st: dict) -> list[dict]:
    """The axes running between places, from the snapshot: name, km along, last place passed, next place."""
    adversary = session.scenario.adversary
    if adversary is None:
        return []
    return [{"axis": aid, "name": adversary.axes[aid].name, **pos} for aid, pos in st.get("axes", {}).items()]


def axes_text(b: dict) -> str:
    w = max((len(a["name"]) for a in b.get("axes", [])), default=5)
    lines = ["Axes:"]
    for a in b.get("axes", []):
        where = f"reached {a['last_place_name']}" if a["arrived"] else \
            f"last passed {a['last_place_name']}, next {a['next_place_name']}"
        lines.append(f"  {a['name']:<{w}}  km {a['km_along']:>7,.1f}  {a['troops']:>8,.0f} troops  {where}")
    return "\n".join(lines)


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


def since_label(b: dict) -> str:
    """"since H+6" (the last stop), or "since H-hour" on the first board."""
    return "since H-hour" if b.get("tension_before") is None else f"since {h_label(round(b['since_h'], 2))}"


def escalation_change(b: dict) -> tuple[str, bool]:
    """What moved on the ladder since the last stop ("+5.1 since H+6; up from rung 0", or "" when
    nothing did), and whether it is news: a jump (listed with its cause) or another rung, not decay alone."""
    if b.get("tension_before") is None:
        return "", False
    d = round(b["tension"] - b["tension_before"], 1)
    jumped = any(e["kind"] == "tension" for e in b["events"])
    parts = [f"{d:+.1f} since {h_label(round(b['since_h'], 2))}" + ("" if jumped else ", decay")] \
        if abs(d) >= 0.05 else []
    moved = b["rung_before"] is not None and b["rung_before"] != b["rung"]
    if moved:
        parts.append(f"{'up' if b['rung'] > b['rung_before'] else 'down'} from rung {b['rung_before']}")
    return "; ".join(parts), jumped or moved


def header_text(b: dict, startex: str = "") -> str:
    change, news = escalation_change(b)
    return (f"== {b['title']} ==\n{b['time']}  ({b['h']} of H+{b['horizon_h']:g}, turn {b['turn_h']:g} h)  "
            f"{pace_text(b, startex)}\n"
            f"Escalation: rung {b['rung']} {b['rung_name']}, tension {b['tension']:.1f}"
            + (f" ({change})" if change else "") + (" <<" if news else "") + "; "
            f"encounters {b['encounters']}, incidents {b['incidents']}; "
            f"troops committed {b['committed_troops']:,.0f}")


def _changed(b: dict, f: dict) -> bool:
    return b.get("tension_before") is not None and f["id"] in b.get("changed_forces", ())


def forces_text(b: dict) -> str:
    w = max((len(f["name"]) for f in b["forces"]), default=5)
    lines = ["Forces:"]
    for f in b["forces"]:
        lines.append(f"{'* ' if _changed(b, f) else '  '}{f['name']:<{w}}  {f['side']:<8} {f['strength']:>8,.0f} "
                     f"{f['unit']:<9} {f['state'].replace('_', ' ')}"
                     + (f" ({f['in_place']:,.0f} in place)" if "echelons" in f and f["state"] != "in_place" else ""))
        if "echelons" in f and f["state"] != "in_place":
            lines += [f"      {_echelon_line(f, e)}" for e in f["echelons"]]
    if any(_changed(b, f) for f in b["forces"]):
        lines.append(f"  (* changed {since_label(b)})")
    return "\n".join(lines)


def _show_forces(b: dict, forces: bool | None) -> bool:
    """The forces table at the first stop, when a force changed since the last stop, or when asked."""
    if forces is not None:
        return forces
    return b.get("tension_before") is None or any(e["kind"] in ("force", "echelon") for e in b["events"])


def timeline(b: dict) -> list[tuple[dict, list[dict]]]:
    """The events that stand on their own (injects are shown as cards), each with the changes listed
    under it (a decision's tension jump, an incident's)."""
    under: dict[int, list[dict]] = {}
    for e in b["events"]:
        if e.get("under") is not None:
            under.setdefault(e["under"], []).append(e)
    return [(e, under.get(e.get("seq", -1), [])) for e in b["events"]
            if e["kind"] != "inject" and e.get("under") is None]


def consequences(b: dict, i: dict) -> list[dict]:
    """The changes an inject set off, listed under it (its tension jump, the forces it moved)."""
    return [e for e in b["events"] if e.get("under") is not None and e["under"] == i.get("seq")]


def inject_text(i: dict, room: bool = False, then: list[dict] | None = None) -> str:
    lines = [f"  INJECT {i['id']} [{i['h']:.1f} h] {i['title']}", f"    {i['text']}"]
    if i["sender"] or i["recipient"]:
        lines.append(f"    From: {i['sender'] or '-'}   To: {i['recipient'] or '-'}")
    if i["expected_action"] and not room:
        lines.append(f"    Expected action: {i['expected_action']}")
    lines += [f"    -> {e['kind']}: {e['text']}" for e in then or ()]
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
    if b.get("axes"):
        parts.append(axes_text(b))
    ev = []
    for e, then in timeline(b):
        ev.append(f"  {e['time']:<20} {h_label(e['h']):>8}  {e['kind']:<10} {e['text']}")
        ev += [f"  {'':<20} {'':>8}    -> {c['kind']}: {c['text']}" for c in then]
    parts.append(f"What happened {since_label(b)}:\n" + ("\n".join(ev) if ev else "  nothing new"))
    if b["injects"]:
        parts.append("Injects:\n" + "\n".join(inject_text(i, room, consequences(b, i)) for i in b["injects"]))
    if b["pending"]:
        parts.append(pending_text(b["pending"], room))
    elif b["at_horizon"]:
        parts.append("The exercise has reached its horizon. end closes it with the hot-wash for the report; quit without.")
    return "\n\n".join(parts)


# --- rich ------------------------------------------------------------------------
def forces_table(b: dict) -> Table:
    changed = any(_changed(b, f) for f in b["forces"])
    t = Table(title="Forces", title_justify="left", expand=False,
              caption=f"highlighted: changed {since_label(b)}" if changed else None, caption_justify="left")
    for col in ("force", "side", "strength", "state"):
        t.add_column(col, justify="right" if col == "strength" else "left")
    colour = {"standby": "dim", "alerted": "yellow", "activated": "yellow", "ready": "cyan", "deploying": "cyan",
              "in_place": "green"}
    for f in b["forces"]:
        new = _changed(b, f)
        partial = "echelons" in f and f["state"] != "in_place"
        t.add_row(Text(("* " if new else "") + f["name"]), Text(f["side"]), f"{f['strength']:,.0f} {f['unit']}"
                  + (f"\n{f['in_place']:,.0f} in place" if partial else ""),
                  Text(f["state"].replace("_", " ") + "".join(f"\n{_echelon_line(f, e)}" for e in f["echelons"])
                       if partial else f["state"].replace("_", " "), style=colour.get(f["state"], "")),
                  style="bold reverse" if new else None)
    return t


def _event_row(ev: Table, e: dict, sub: bool = False) -> None:
    kind = Text(("\u2192 " if sub else "") + e["kind"],
                style=STYLE.get(e["kind"], "") if e["kind"] != "tension" else "bold yellow")
    ev.add_row(Text("" if sub else e["time"], style="dim"), Text("" if sub else h_label(e["h"]), style="dim"),
               kind, Text(e["text"]))


def board_rich(b: dict, room: bool = False, forces: bool | None = None, startex: str = "") -> Group:
    head = Text()
    head.append(f"{b['time']}  ", style="bold")
    head.append(f"{b['h']} of H+{b['horizon_h']:g}", style="bold cyan")
    head.append(f"   {pace_text(b, startex)}\n", style="dim")
    rung_style = "bold red" if b["rung"] >= 3 else "bold yellow" if b["rung"] >= 2 else "bold"
    head.append("Escalation: ")
    head.append(f"rung {b['rung']} {b['rung_name']}", style=rung_style)
    head.append(f", tension {b['tension']:.1f}")
    change, news = escalation_change(b)
    if change:
        head.append(f" ({change})", style="bold reverse yellow" if news else "dim")
    head.append(f"   encounters {b['encounters']}, incidents {b['incidents']}, "
                f"troops committed {b['committed_troops']:,.0f}")
    items: list = [Panel(head, title=Text(b["title"]), title_align="left")]
    items.append(forces_table(b) if _show_forces(b, forces) else Text("Forces: no change (forces shows them)",
                                                                       style="dim"))
    if b.get("axes"):
        items.append(Text(axes_text(b)))
    items.append(Text(f"What happened {since_label(b)}", style="italic"))
    ev = Table(show_header=False, box=None, padding=(0, 1))
    for e, then in timeline(b):
        _event_row(ev, e)
        for c in then:
            _event_row(ev, c, sub=True)
    if not ev.row_count:
        ev.add_row(Text("nothing new", style="dim"))
    items.append(ev)
    for i in b["injects"]:
        body = Text(i["text"] + "\n")
        body.append(f"From: {i['sender'] or '-'}   To: {i['recipient'] or '-'}", style="dim")
        if i["expected_action"] and not room:
            body.append(f"\nExpected action: {i['expected_action']}", style="italic")
        for c in consequences(b, i):
            body.append(f"\n\u2192 {c['kind']}: ", style="bold yellow" if c["kind"] == "tension" else
                        STYLE.get(c["kind"], ""))
            body.append(c["text"])
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
        items.append(Text("The exercise has reached its horizon. end closes it with the hot-wash for the report; quit without.", style="bold"))
    return Group(*items)
