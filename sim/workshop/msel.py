"""The Master Scenario Events List (MSEL) a facilitator prints before a workshop.

Built from one run of the scenario with a seed and the default decisions: the run a
workshop started with that seed plays out when the teams take the default answers
(:meth:`Session.final_result` with no choices). One row per inject delivered (trace
records of kind ``inject``) and one per decision point reached (kind ``decision``), in
trace order, each with both clocks: simulated (H+hours and the calendar time the
trace gives) and exercise (the planned wall-clock time at a pace of ``minutes_per_turn``
minutes of exercise per turn of ``turn_h`` simulated hours). Library injects (fired by
the facilitator when needed) are listed apart, as contingency injects, with no times.

Pure functions over a Scenario and a Result: :func:`msel_from_result` builds an
:class:`Msel`, :func:`render_md` and :func:`render_csv` turn it into text.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..engine.decisions import DefaultPolicy
from ..engine.run import run
from ..engine.trace import DecisionRecord, EchelonRecord, InjectRecord, Result, WaypointRecord
from ..narrative import h_label
from ..safetext import csv_cell, markdown
from ..scenario import conditions as C
from ..scenario.distributions import Fixed
from ..scenario.model import Scenario, Timing
from ..scenario.wording import cond_text, dist_text
from .session import ADHOC_SENDER, EPS

CSV_FIELDS = ("number", "type", "id", "sim_h", "sim_time", "turn", "exercise_time", "title", "text", "sender",
              "recipient", "expected_action", "options", "default", "trigger", "facts")
CONTINGENCY_TRIGGER = "fired by the facilitator when needed"


@dataclass(frozen=True)
class MselRow:
    number: int | None               # 1..n in trace order; None for a contingency inject
    type: str                        # inject | decision | contingency
    id: str                          # inject or decision id (what `inject ID` / `decide ID` take)
    sim_h: float | None              # hours after H-hour
    sim_time: str                    # calendar time as the trace gives it (ISO 8601, minutes)
    turn: int | None                 # turn k covers [(k-1)*turn_h, k*turn_h)
    exercise_min: float | None       # planned minutes after STARTEX
    exercise_time: datetime | None   # STARTEX + exercise_min, when a start is given
    title: str
    text: str
    sender: str
    recipient: str
    expected_action: str
    trigger: str
    facts: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()    # decisions: (option id, label)
    default: str = ""                            # decisions: the default option id


@dataclass(frozen=True)
class MovementRow:
    """A movement on the MSEL's path, for the facilitator's timeline: an echelon departing or in place,
    an axis reaching a place (read from the run's typed records)."""

    sim_h: float
    sim_time: str
    turn: int
    exercise_min: float
    who: str              # the force (and echelon) or the axis, by name
    event: str            # departs, in place, reaches
    place: str            # the place's name ("" when the scenario names none)
    strength: str         # the echelon's strength, and the force's in place after it ("" for an axis)


@dataclass(frozen=True)
class Msel:
    scenario: str
    title: str
    scenario_hash: str
    seed: object
    turn_h: float
    minutes_per_turn: float
    start: datetime | None
    horizon_h: float
    rows: tuple[MselRow, ...]
    contingency: tuple[MselRow, ...]
    unreached: tuple[tuple[str, str, str], ...] = ()     # (type, id, trigger) of items the run never reached
    overrides: tuple[str, ...] = field(default_factory=tuple)
    movements: tuple[MovementRow, ...] = ()               # echelons departing and in place, axes at places

    @property
    def endex_min(self) -> float:
        return exercise_minutes(self.horizon_h, self.turn_h, self.minutes_per_turn)


# --- the two clocks -------------------------------------------------------------
def turn_of(sim_h: float, turn_h: float) -> int:
    """The turn ``sim_h`` falls in: turn 1 is [0, turn_h). A time within the workshop's clock
    resolution (EPS) of a boundary counts as on it, as the workshop's ``next`` does."""
    return math.floor((sim_h + EPS) / turn_h) + 1


def exercise_minutes(sim_h: float, turn_h: float, minutes_per_turn: float) -> float:
    """Planned minutes of exercise after STARTEX: (sim_h / turn_h) * minutes_per_turn
    (to 1e-6 min, so a time on a whole minute does not print as the minute before)."""
    return round(sim_h / turn_h * minutes_per_turn, 6)


def offset_text(minutes: float) -> str:
    """Minutes after STARTEX as "+H:MM" (whole minutes, rounded down like the trace's times)."""
    m = math.floor(minutes)
    return f"+{m // 60}:{m % 60:02d}"


# --- how the scenario schedules an item ---------------------------------------------
def trigger_text(s: Scenario, item: Timing, t_h: float | None = None) -> str:
    """How the scenario schedules ``item``: "at H+9.9 (uniform 5-15 h)", "at H+48",
    "at 2022-02-25T12:00-05:00 (H+38)", "after inject “...”", "when tension >= 60".
    ``t_h``: the hour it came in this run (shown for a sampled hour)."""
    if item.at_h is not None:
        if isinstance(item.at_h, Fixed):
            return f"at {h_label(max(item.at_h.value, 0.0))}"
        drawn = f"at {h_label(t_h)} " if t_h is not None else "at "
        return f"{drawn}({dist_text(item.at_h)} h)"
    if item.at_time is not None:
        return f"at {item.at_time.isoformat(timespec='minutes')} ({h_label(max(s.hours(item.at_time), 0.0))})"
    if item.when is not None:  # "after" an event or a decision, "when" a state holds
        after = isinstance(item.when, (C.EventCond, C.DecisionCond))
        return f"{'after' if after else 'when'} {cond_text(s, item.when)}"
    return ""


# --- building -------------------------------------------------------------------------
def _team_name(s: Scenario, team: str) -> str:
    return s.sides[team].name if team in s.sides else team


def msel_run(scenario: Scenario, seed=0) -> Result:
    """The run the MSEL is read from: ``seed``, the scenario's default decisions, no ad-hoc injects."""
    return run(scenario, seed, DefaultPolicy())


def msel_from_result(scenario: Scenario, result: Result, *, turn_h: float = 6.0, minutes_per_turn: float = 30,
                     start: datetime | None = None, overrides=()) -> Msel:
    """The MSEL of ``result`` (a run of ``scenario``), at a pace of ``minutes_per_turn`` per ``turn_h``."""
    if not (turn_h > 0 and math.isfinite(turn_h)):
        raise ValueError(f"turn must be a positive number of hours, got {turn_h!r}")
    if not (minutes_per_turn >= 1 and math.isfinite(minutes_per_turn)):
        raise ValueError(f"minutes per turn must be at least 1, got {minutes_per_turn!r}")
    s = scenario
    rows: list[MselRow] = []
    seen_injects, seen_decisions = set(), set()
    for rec in result.trace:
        if not isinstance(rec, (InjectRecord, DecisionRecord)):
            continue
        t = float(rec.t_h)
        minutes = exercise_minutes(t, turn_h, minutes_per_turn)
        at = start + timedelta(minutes=minutes) if start is not None else None
        clock: dict[str, Any] = dict(number=len(rows) + 1, sim_h=t, sim_time=rec.time, turn=turn_of(t, turn_h),
                                     exercise_min=minutes, exercise_time=at, facts=tuple(rec.facts))
        if isinstance(rec, InjectRecord):
            iid = rec.inject
            spec = s.injects.get(iid)
            seen_injects.add(iid)
            rows.append(MselRow(type="inject", id=iid, title=rec.title, text=rec.message, sender=rec.sender,
                                recipient=rec.recipient, expected_action=rec.expected_action,
                                trigger=trigger_text(s, spec, t) if spec is not None and not spec.library
                                else CONTINGENCY_TRIGGER, **clock))
        else:
            did = rec.decision
            point = s.decisions[did]
            seen_decisions.add(did)
            options = tuple((k, o.label) for k, o in point.options.items())
            choice = "; ".join(f"{k}: {label}" + (" (default)" if k == point.default else "") for k, label in options)
            rows.append(MselRow(type="decision", id=did, title=point.title, text=point.prompt, sender=ADHOC_SENDER,
                                recipient=_team_name(s, point.team), expected_action=f"Decide: {choice}",
                                trigger=trigger_text(s, point, t), options=options, default=point.default, **clock))
    contingency = tuple(
        MselRow(number=None, type="contingency", id=iid, sim_h=None, sim_time="", turn=None, exercise_min=None,
                exercise_time=None, title=inj.title, text=inj.text, sender=inj.sender, recipient=inj.recipient,
                expected_action=inj.expected_action, trigger=CONTINGENCY_TRIGGER, facts=tuple(inj.facts))
        for iid, inj in s.injects.items() if inj.library)
    unreached = tuple([("inject", iid, trigger_text(s, inj)) for iid, inj in s.injects.items()
                       if not inj.library and iid not in seen_injects]
                      + [("decision", did, trigger_text(s, p)) for did, p in s.decisions.items()
                         if did not in seen_decisions])
    return Msel(s.name, s.title, s.content_hash, result.seed, float(turn_h), minutes_per_turn, start,
                float(result.horizon_h), tuple(rows), contingency, unreached, tuple(overrides),
                movements_of(result, turn_h, minutes_per_turn))


def movements_of(result: Result, turn_h: float, minutes_per_turn: float) -> tuple[MovementRow, ...]:
    """The run's movements: each echelon's departure and arrival in place, each place an axis reaches."""
    out: list[MovementRow] = []
    for rec in result.trace:
        what: tuple[str, str, str, str] | None = None   # who, event, place, strength
        if isinstance(rec, EchelonRecord) and rec.event in ("departed", "in_place"):
            who = rec.force_name if rec.name == rec.force_name else f"{rec.force_name}, {rec.name}"
            strength = f"{rec.strength:,.0f} {rec.unit}"
            if rec.event == "departed":
                by = f" by {rec.mode}" if rec.mode else ""
                what = (who, f"departs{by}", rec.origin_name or rec.origin or "", strength)
            else:
                total = (f"; {rec.strength_in_place:,.0f} {rec.unit} in place"
                         if rec.strength_in_place is not None else "")
                what = (who, "in place", rec.destination_name or rec.destination or "", strength + total)
        elif isinstance(rec, WaypointRecord):
            what = (rec.name, "reaches its objective" if rec.objective else "reaches", rec.place_name, "")
        if what is not None:
            t = float(rec.t_h)
            out.append(MovementRow(t, rec.time, turn_of(t, turn_h), exercise_minutes(t, turn_h, minutes_per_turn),
                                   *what))
    return tuple(out)


def build_msel(scenario: Scenario, seed=0, *, turn_h: float = 6.0, minutes_per_turn: float = 30,
               start: datetime | None = None, overrides=()) -> Msel:
    """Run ``scenario`` once with ``seed`` and the default decisions, and build its MSEL."""
    return msel_from_result(scenario, msel_run(scenario, seed), turn_h=turn_h, minutes_per_turn=minutes_per_turn,
                            start=start, overrides=overrides)


# --- rendering -------------------------------------------------------------------------
def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _exercise_text(m: Msel, minutes: float | None, fmt: str) -> str:
    """Planned exercise time: an offset "+H:MM" without a STARTEX; with one, ``fmt`` (ISO 8601 if empty)."""
    if minutes is None:
        return ""
    if m.start is None:
        return offset_text(minutes)
    t = m.start + timedelta(minutes=minutes)
    return t.strftime(fmt) if fmt else t.isoformat(timespec="minutes")


def _md_time_format(m: Msel) -> str:
    """"%H:%M" when the whole exercise is one calendar day, else the day too."""
    if m.start is None:
        return ""
    end = m.start + timedelta(minutes=m.endex_min)
    return "%H:%M" if end.date() == m.start.date() else "%a %d %b %H:%M"


def _calendar_cell(iso: str) -> str:
    """The trace's calendar time as the narrated timeline shows it: "Thu 24 Feb 09:37 +01"."""
    t = datetime.fromisoformat(iso)
    return f"{t:%a %d %b %H:%M} {t:%z}"[:-2]


def _cell(text) -> str:
    return markdown(" ".join(str(text).split()).replace("|", "\\|"))


def _pace(m: Msel) -> str:
    return f"{m.turn_h:g} h of scenario time = {m.minutes_per_turn:g} min of exercise"


def render_md(m: Msel) -> str:
    fmt = _md_time_format(m)
    lines = [f"# MSEL: {markdown(m.title)}", "",
             (f"Master Scenario Events List. Scenario `{m.scenario}` (hash `{m.scenario_hash}`), seed {m.seed}, "
              "the scenario's default decisions.  "),
             f"Turn: {_pace(m)}.  ",
             (f"STARTEX {m.start:%a %d %b %Y %H:%M}" + (f" UTC{m.start:%z}" if m.start.utcoffset() is not None else "")
              if m.start else "Exercise times are offsets (hours:minutes) from STARTEX")
             + f"; ENDEX (H+{m.horizon_h:g}) at {_exercise_text(m, m.endex_min, fmt)}.  ",
             ]
    if m.overrides:
        lines.append("Overrides: " + ", ".join(f"`{markdown(o.replace('`', chr(39)))}`" for o in m.overrides) + ".  ")
    lines[-1] = lines[-1].rstrip()
    lines += ["", ("| # | Sim time | Scenario time | Turn | Exercise time | Type | Title | Message | From | To "
                   "| Expected action | Trigger | Facts |"),
              "|---:|---|---|---:|---|---|---|---|---|---|---|---|---|"]
    for r in m.rows:
        rec_time = _calendar_cell(r.sim_time)
        cells = [r.number, h_label(r.sim_h or 0.0), rec_time, r.turn, _exercise_text(m, r.exercise_min, fmt), r.type,
                 f"{r.title} (`{r.id}`)", r.text, r.sender, r.recipient, r.expected_action, r.trigger,
                 ", ".join(r.facts)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if not m.rows:
        lines.append("| | | | | | | (no inject or decision point in this run) | | | | | | |")
    if m.unreached:
        lines += ["", "Not reached in this run (with another seed or other decisions they may be): "
                  + "; ".join(f"{_cell(t)} `{i}` ({_cell(trig)})" for t, i, trig in m.unreached) + "."]
    if m.movements:
        lines += ["", "## Movements on this path", "",
                  ("Forces by echelon (departing, in place) and the adversary's axes at their places, in this run: "
                   "for the facilitator's map and situation updates, not injects."), "",
                  "| Sim time | Scenario time | Turn | Exercise time | Who | Event | Place | Strength |",
                  "|---|---|---:|---|---|---|---|---|"]
        for mv in m.movements:
            cells = [h_label(mv.sim_h), _calendar_cell(mv.sim_time), mv.turn, _exercise_text(m, mv.exercise_min, fmt),
                     mv.who, mv.event, mv.place, mv.strength]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "## Contingency injects", ""]
    if m.contingency:
        lines += [("Library injects, fired by the facilitator when needed (`inject ID` in a workshop); "
                   "no planned time."), "",
                  "| ID | Title | Message | From | To | Expected action | Facts |",
                  "|---|---|---|---|---|---|---|"]
        for r in m.contingency:
            cells = [f"`{r.id}`", r.title, r.text, r.sender, r.recipient, r.expected_action, ", ".join(r.facts)]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    else:
        lines.append("None in this scenario.")
    return "\n".join(lines) + "\n"


def csv_rows(m: Msel) -> list[dict[str, str]]:
    """One dict per CSV line (every value a string), MSEL rows then contingency injects."""
    out = []
    for r in (*m.rows, *m.contingency):
        out.append({
            "number": "" if r.number is None else str(r.number), "type": r.type, "id": r.id,
            "sim_h": "" if r.sim_h is None else _num(r.sim_h), "sim_time": r.sim_time,
            "turn": "" if r.turn is None else str(r.turn), "exercise_time": _exercise_text(m, r.exercise_min, ""),
            "title": r.title, "text": r.text, "sender": r.sender, "recipient": r.recipient,
            "expected_action": r.expected_action, "options": "; ".join(k for k, _ in r.options),
            "default": r.default, "trigger": r.trigger, "facts": "; ".join(r.facts)})
    return out


def render_csv(m: Msel) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    w.writeheader()
    w.writerows({k: csv_cell(v) for k, v in row.items()} for row in csv_rows(m))
    return buf.getvalue()


RENDERERS = {"md": render_md, "csv": render_csv}


def render(m: Msel, fmt: str = "md") -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(RENDERERS)}")
    return RENDERERS[fmt](m)


__all__ = [
    "CSV_FIELDS",
    "Msel",
    "MselRow",
    "build_msel",
    "csv_rows",
    "exercise_minutes",
    "msel_from_result",
    "msel_run",
    "offset_text",
    "render",
    "render_csv",
    "render_md",
    "trigger_text",
    "turn_of",
]
