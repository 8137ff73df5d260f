"""One workshop session shared by the terminal console and the browser views.

:class:`LiveSession` wraps a :class:`~sim.workshop.session.Session` with a lock, so the
terminal's commands and the web's requests are carried out one at a time, and a version
number that goes up after every change; the web's event streams wait on it
(:meth:`LiveSession.wait`). What each audience sees is built here as plain data, from the
same board the terminal shows:

- :meth:`room`: the projector. Clock, escalation, forces, what happened, the injects' player
  text and the decision being taken, never an expected action, a default or what lies ahead.
- :meth:`facilitator`: everything, with expected actions, defaults, ``ahead``, the pace
  and the teams' submissions waiting for confirmation.
- :meth:`team`: the room's public picture, the injects addressed to that team (an inject whose
  recipient another team plays is not shown), the team's own decision point and its responses.

Every action from a browser becomes a log entry like a terminal command, with ``by`` naming
who sent it (``facilitator`` or ``team:NAME``).
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..engine.trace import InjectRecord
from ..narrative import h_label
from .board import build_board, inject_view
from .commands import Output, Reply, ahead_lines, execute
from .hotwash import scoreboard
from .session import EPS, Session, WorkshopError


class LiveSession:
    def __init__(self, session: Session, *, teams_decide: bool = False):
        self.session = session
        self.teams_decide = teams_decide          # a team's submission is its decision, without confirmation
        self.version = 0
        self.closed = False
        self._cond = threading.Condition(threading.RLock())

    # --- changing the session -----------------------------------------------------
    @contextmanager
    def acting(self, actor: str) -> Iterator[Session]:
        """Hold the session for one action by ``actor``; the version goes up afterwards."""
        with self._cond:
            before = self.session.actor
            self.session.actor = actor
            try:
                yield self.session
            finally:
                self.session.actor = before
                self.version += 1
                self._cond.notify_all()

    @contextmanager
    def acting_read(self) -> Iterator[Session]:
        """Hold the session to read it (no change, the version stays)."""
        with self._cond:
            yield self.session

    def execute(self, line: str, actor: str = "") -> Reply:
        """A facilitator command line (the terminal's command set)."""
        with self.acting(actor) as s:
            reply = execute(s, line)
            if reply.quit:
                s.close()
                self.closed = True
            return reply

    def call(self, actor: str, action: Callable[[Session], Any]) -> Any:
        """Carry out ``action(session)`` as ``actor``; WorkshopError passes to the caller."""
        with self.acting(actor) as s:
            if self.closed:
                raise WorkshopError("the session is closed")
            return action(s)

    def submit(self, team: str, decision: str, option: str, rationale: str) -> dict:
        def act(s: Session) -> dict:
            self._check_decision_team(s, team, decision)
            e = s.submit(team, decision, option, rationale)
            if self.teams_decide:
                s.confirm(e["n"])
            return e
        return self.call(f"team:{team}", act)

    def respond(self, team: str, inject: str, text: str) -> dict:
        def act(s: Session) -> dict:
            if inject not in {i["id"] for i in self._team_injects(s, team)}:
                raise WorkshopError(f"inject {inject!r} was not sent to team {team}")
            return s.respond(team, inject, text)
        return self.call(f"team:{team}", act)

    def wake(self) -> None:
        """Wake whoever waits for a change (a server shutting down)."""
        with self._cond:
            self._cond.notify_all()

    def wait(self, version: int, timeout: float) -> int:
        """Block until the version passes ``version`` (or ``timeout`` seconds); the version now."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.version <= version and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self.version

    # --- what each audience sees ------------------------------------------------------
    def room(self) -> dict[str, Any]:
        """What the projector shows: the situation and every inject's player text (the room is the
        common picture; a team's page holds only the public injects and its own)."""
        with self._cond:
            return self._public(self.session, every_inject=True)

    def facilitator(self) -> dict[str, Any]:
        with self._cond:
            s = self.session
            data = self._public(s)
            b = build_board(s)
            data["injects"] = [self._inject(s, i, private=True) for i in self._delivered(s)]
            if b["pending"]:
                data["pending"] = {**self._pending(s, b["pending"]), "default": b["pending"]["default"]}
            data["ahead"] = ahead_lines(s, 6)
            data["submissions"] = [{k: e[k] for k in ("n", "team", "decision", "option", "rationale", "wall")}
                                   for e in s.open_submissions()]
            data["responses"] = [dict(r) for r in s.play.responses]
            data["notes"] = [dict(n) for n in s.play.notes]
            data["pace"] = s.pace()
            data["log"] = str(s.log_path) if s.log_path else ""
            data["teams_decide"] = self.teams_decide
            return data

    def team(self, team: str) -> dict[str, Any]:
        with self._cond:
            s = self.session
            data = self._public(s)
            data["team"] = team
            data["team_name"] = s.scenario.teams[team].name if team in s.scenario.teams else team
            data["injects"] = [self._inject(s, i) for i in self._team_injects(s, team)]
            p = data.get("pending")
            data["my_decision"] = bool(p) and self._decides(s, team, s.pending["team"] if s.pending else "")
            data["responses"] = [dict(r) for r in s.play.responses if r["team"] == team]
            data["submitted"] = [{k: e[k] for k in ("n", "decision", "option", "rationale")}
                                 for e in s.open_submissions() if e["team"] == team]
            return data

    # --- building blocks -----------------------------------------------------------
    def _decides(self, s: Session, team: str, side: str) -> bool:
        return team == side or s.team_of_side(side) == team

    def _check_decision_team(self, s: Session, team: str, decision: str) -> None:
        point = s.scenario.decisions.get(decision)
        if point is None or not self._decides(s, team, point.team):
            raise WorkshopError(f"decision {decision!r} is not for team {team}")

    def _delivered(self, s: Session) -> list[dict[str, Any]]:
        """Every inject delivered so far (the board's records, newest last)."""
        return [inject_view(rec) for rec in s.view().trace if isinstance(rec, InjectRecord)]

    def _team_injects(self, s: Session, team: str) -> list[dict[str, Any]]:
        return [i for i in self._delivered(s) if s.recipient_team(i["recipient"]) in (None, team)]

    def _inject(self, s: Session, i: dict[str, Any], private: bool = False) -> dict[str, Any]:
        out = {k: i[k] for k in ("id", "title", "text", "sender", "recipient")}
        out["h"] = h_label(round(i["h"], 2))
        out["for_team"] = s.recipient_team(i["recipient"]) or ""
        if private:
            out["expected_action"] = i["expected_action"]
        return out

    def _pending(self, s: Session, p: dict[str, Any]) -> dict[str, Any]:
        return {"decision": p["decision"], "title": p["title"], "prompt": p["prompt"],
                "team": s.team_of_side(p["team"]), "side": p["team"], "h": h_label(round(p["h"], 2)),
                "options": [{"id": o["id"], "label": o["label"], "description": o["description"]}
                            for o in p["options"]]}

    def _public(self, s: Session, every_inject: bool = False) -> dict[str, Any]:
        """What everyone may see; the injects and timeline hold the public injects only, or every inject
        (``every_inject``: the room's common picture)."""
        b = build_board(s)
        shown = [i for i in self._delivered(s) if every_inject or s.recipient_team(i["recipient"]) is None]
        return {
            "version": self.version,
            "closed": self.closed or s.closed,
            "title": b["title"], "time": b["time"], "h": b["h"], "clock_h": b["clock_h"],
            "horizon_h": b["horizon_h"], "turn": math.floor((b["clock_h"] + EPS) / s.turn_h) + 1,
            "turn_h": s.turn_h, "at_horizon": b["at_horizon"],
            "tension": b["tension"], "rung": b["rung"], "rung_name": b["rung_name"],
            "rungs": [{"name": x.name, "threshold": x.threshold} for x in s.scenario.escalation.rungs],
            "encounters": b["encounters"], "incidents": b["incidents"],
            "committed_troops": b["committed_troops"],
            "forces": [{k: f[k] for k in ("name", "side", "kind", "strength", "unit", "state")} for f in b["forces"]],
            "events": [{"h": h_label(e["h"]), "kind": e["kind"], "text": e["text"]} for e in b["events"]
                       if e["kind"] not in ("inject", "tension")],     # tension: the gauge's labelled jumps
            "injects": [self._inject(s, i) for i in shown[-6:]],
            "pending": self._pending(s, b["pending"]) if b["pending"] else None,
            # the injects shown and the decisions taken, in time order
            "timeline": sorted([{"h": round(i["h"], 3), "title": i["title"], "kind": "inject"} for i in shown]
                               + [{"h": round(float(e["decision_h"]), 3), "kind": "decision",
                                   "title": f"{s.scenario.decisions[e['decision']].title}: "
                                            f"{s.scenario.decisions[e['decision']].options[e['option']].label}"}
                                  for e in s.play.choices], key=lambda t: t["h"]),
            "scoreboard": scoreboard(s) if b["at_horizon"] or s.closed else None,
        }


def reply_text(reply: Reply) -> list[dict[str, Any]]:
    """A command's reply as plain items for the facilitator's console (boards left to the live view)."""
    out: list[dict[str, Any]] = []
    for item in reply.items:
        if item.kind in ("text", "error"):
            out.append({"kind": item.kind, "text": str(item.data)})
        elif item.kind == "history":
            out.append({"kind": "text", "text": "\n".join(item.data)})
    return out


__all__ = ["LiveSession", "Output", "reply_text"]
