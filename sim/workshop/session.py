"""The workshop session: the table's state, rebuilt by replay, never a live simulation.

A :class:`Play` is what the table has done so far: the clock, the decisions the
teams took, the injects the facilitator fired, the notes. Whatever the board shows
is computed by replaying the scenario from H-hour with those inputs::

    run(scenario, seed, Scripted(choices, fallback=None), until_h=clock, extra_injects=fired)

A decision nobody has answered yet pauses that run (``Result.pending``). ``next``
moves the clock to the next turn boundary, or to the first inject or decision point
before it; ``undo`` drops the last action (``next``, ``decide``, ``inject`` or
``note``) and replays. Every action is appended to the session log first
(:mod:`sim.workshop.log`), so the same fold rebuilds a session on ``--resume``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..engine.decisions import Choice, DefaultPolicy, Scripted
from ..engine.run import run
from ..engine.trace import InjectRecord, Result
from ..scenario.effects import TensionEffect
from ..scenario.errors import ScenarioError
from ..scenario.model import Inject, Scenario
from .log import MAX_ADHOC_TENSION, SCHEMA_VERSION, LogContents, LogError, LogWriter, read_log, wall_now

EPS = 1e-5          # hours (36 ms): the clock resolution; the trace rounds times to 1e-6 h
ADHOC_SENDER = "Exercise control"


class WorkshopError(Exception):
    """A facilitator command that cannot be carried out; the session goes on."""


@dataclass(frozen=True)
class Play:
    """The table's inputs at one moment: immutable, one per applied action."""

    clock: float = 0.0
    prev: float = -1.0                      # clock of the previous stop: the board shows what happened since
    choices: tuple[dict, ...] = ()          # decide entries, in order
    injects: tuple[dict, ...] = ()          # inject entries, in order
    notes: tuple[dict, ...] = ()            # note entries, in order
    responses: tuple[dict, ...] = ()        # response entries (a team's action on an inject), in order


@dataclass
class Session:
    scenario: Scenario
    seed: int
    turn_h: float
    teams: list[str]
    scenario_path: str
    overrides: list[str] = field(default_factory=list)
    writer: LogWriter | None = None
    stack: list[tuple[dict, Play]] = field(default_factory=list)    # applied actions (not undone)
    entries: list[dict] = field(default_factory=list)              # the whole log, as written
    closed: bool = False
    warnings: list[str] = field(default_factory=list)
    submissions: list[dict] = field(default_factory=list)          # submit entries (teams' proposed decisions)
    actor: str = ""                 # who sends the next actions: "" (the terminal), "facilitator", "team:NAME"
    room_mode: bool = False         # the terminal is projected: no expected actions, defaults or ahead
    startex: str = ""               # the planned wall-clock start (ISO 8601), from the log's open entry
    minutes_per_turn: float = 30.0  # the planned pace: minutes of exercise per turn
    _cache: tuple[Play, Result] | None = None

    # --- opening ------------------------------------------------------------
    @classmethod
    def start(cls, scenario: Scenario, *, seed: int = 0, turn_h: float = 6.0, teams: list[str] | None = None,
              log_path: str | Path | None = None, scenario_path: str = "", overrides: list[str] | None = None,
              startex: datetime | None = None, minutes_per_turn: float = 30.0) -> Session:
        """A new session; with ``log_path`` its log is created there (it must not exist). ``startex`` and
        ``minutes_per_turn`` set the planned pace (STARTEX: the wall-clock time it starts, by default now)."""
        if not turn_h > 0 or not math.isfinite(turn_h):
            raise ValueError(f"turn must be a positive number of hours, got {turn_h!r}")
        sess = cls(scenario, int(seed), float(turn_h), list(teams or default_teams(scenario)),
                   scenario_path or scenario.source, list(overrides or []))
        if log_path is not None:
            sess.writer = LogWriter(log_path)
        sess.startex = (startex or datetime.now(UTC)).isoformat(timespec="seconds")
        sess.minutes_per_turn = float(minutes_per_turn)
        sess._log("open", 0.0, path=sess.scenario_path, overrides=sess.overrides, turn_h=sess.turn_h,
                  teams=sess.teams, startex=sess.startex, minutes_per_turn=sess.minutes_per_turn)
        return sess

    @classmethod
    def from_log(cls, log: str | Path | LogContents, load: Callable[[str, list[str]], Scenario], *,
                 append: bool = False) -> Session:
        """Rebuild a session by replaying its log; ``append`` reopens the log to go on writing.

        ``load(path, overrides)`` loads the scenario the log names (raising ScenarioError).
        A scenario whose content hash differs from the log's is refused (LogError).
        """
        contents = log if isinstance(log, LogContents) else read_log(log)
        label = str(contents.path)
        first = contents.entries[0]
        try:
            scenario = load(first["path"], list(first["overrides"]))
        except ScenarioError as exc:   # a hand-edited path or override: the log's line, then the problem
            raise LogError([f"{label}:{contents.linenos[0]}: open entry: the scenario it names cannot be loaded: "
                            f"{p}" for p in exc.problems]) from None
        if scenario.content_hash != first["scenario_hash"]:
            raise LogError([f"{label}: written for scenario {first['scenario']!r} with hash {first['scenario_hash']}, "
                            f"but {first['path']} now has hash {scenario.content_hash}: the scenario changed since "
                            f"the session; restore that version or start a new session"])
        sess = cls(scenario, int(first["seed"]), float(first["turn_h"]), list(first["teams"]), first["path"],
                   list(first["overrides"]), warnings=list(contents.warnings))
        sess.startex = str(first.get("startex") or first["wall"])
        sess.minutes_per_turn = float(first.get("minutes_per_turn", 30.0))
        for lineno, entry in zip(contents.linenos, contents.entries, strict=False):
            try:
                sess._fold(entry)
            except WorkshopError as exc:
                raise LogError([f"{label}:{lineno}: {exc}"]) from None
        if append:
            sess.writer = LogWriter(contents.path, resume=contents)
            sess.closed = False
        return sess

    # --- the state ------------------------------------------------------------
    @property
    def play(self) -> Play:
        return self.stack[-1][1] if self.stack else Play()

    @property
    def clock(self) -> float:
        return self.play.clock

    @property
    def horizon(self) -> float:
        return self.scenario.clock.horizon_h

    @property
    def log_path(self) -> Path | None:
        return self.writer.path if self.writer else None

    def extra_injects(self, play: Play | None = None) -> list[tuple[str, Inject, float]]:
        return [(e["id"], self.inject_spec(e), e.get("at_h", e["sim_h"])) for e in (play or self.play).injects]

    def inject_spec(self, e: dict) -> Inject:
        if e["inject"] is not None:
            return self.scenario.injects[e["inject"]]
        a = e["adhoc"]
        effects = [TensionEffect.model_validate({"tension": a["tension"]})] if a.get("tension") else []
        return Inject(title=a["title"], text=a["text"], sender=a.get("sender") or ADHOC_SENDER,
                      recipient=a.get("recipient", ""), library=True, effects=effects)

    def choices(self, play: Play | None = None) -> dict[str, Choice]:
        return {e["decision"]: Choice(e["option"], e["team"], e["rationale"], "workshop")
                for e in (play or self.play).choices}

    def replay(self, until_h: float | None, play: Play | None = None, fallback=None) -> Result:
        play = play or self.play
        return run(self.scenario, self.seed, Scripted(self.choices(play), fallback), until_h=until_h,
                   extra_injects=self.extra_injects(play))

    def view(self) -> Result:
        """The run replayed to the current clock (paused at a pending decision, if one is open)."""
        play = self.play
        if self._cache is None or self._cache[0] is not play:
            self._cache = (play, self.replay(min(play.clock + EPS, self.horizon), play))
        return self._cache[1]

    @property
    def pending(self) -> dict | None:
        return self.view().pending

    # --- facilitator actions ----------------------------------------------------
    def next(self) -> dict:
        """Advance to the next turn boundary, or to the first inject or decision point before it."""
        play = self.play
        p = self.pending
        if p is not None:
            raise WorkshopError(f"decision {p['decision']} is waiting ({p['title']}): "
                                f"decide {p['decision']} {'|'.join(p['options'])}")
        if play.clock >= self.horizon - EPS:
            raise WorkshopError(f"the exercise has reached its horizon (H+{self.horizon:g}); "
                                "quit to close the session, or undo")
        k = math.floor((play.clock + EPS) / self.turn_h) + 1
        boundary = min(k * self.turn_h, self.horizon)
        probe = self.replay(boundary, play)
        stops = [(r.t_h, r.kind) for r in probe.trace
                 if r.kind in ("inject", "pending") and play.clock + EPS < r.t_h <= boundary + EPS]
        if stops:
            t = min(t for t, _ in stops)
            reason = "decision" if (t, "pending") in stops else "inject"
            if t >= boundary - EPS:
                t = boundary
        else:
            t, reason = boundary, ("horizon" if boundary >= self.horizon else "turn")
        return self._log("next", t, from_h=play.clock, stop=reason)

    def decide(self, decision: str, option: str, rationale: str = "", team: str | None = None,
               submission: int | None = None) -> dict:
        s = self.scenario
        if decision not in s.decisions:
            raise WorkshopError(f"unknown decision {decision!r}; decisions: {', '.join(s.decisions)}")
        point = s.decisions[decision]
        p = self.pending
        if p is None or p["decision"] != decision:
            taken = next((e for e in self.play.choices if e["decision"] == decision), None)
            now = (f"{taken['option']} was chosen at H+{taken['decision_h']:g}" if taken else
                   f"pending now: {p['decision']}" if p else "no decision is pending now")
            raise WorkshopError(f"decision {decision} is not pending ({now})")
        if option not in point.options:
            raise WorkshopError(f"decision {decision} has no option {option!r}; options: {', '.join(point.options)}")
        team = self.check_team(team) if team else self.team_of_side(point.team)
        extra = {"submission": submission} if submission is not None else {}
        return self._log("decide", self.clock, decision=decision, option=option, team=team, rationale=rationale,
                         decision_h=float(p["t_h"]), **extra)

    # --- what teams send from their own devices --------------------------------------
    def submit(self, team: str, decision: str, option: str, rationale: str = "") -> dict:
        """A team proposes its answer to the pending decision; the facilitator confirms or rejects it."""
        team = self.check_team(team)
        p = self.pending
        if p is None or p["decision"] != decision:
            raise WorkshopError(f"decision {decision} is not pending")
        if option not in self.scenario.decisions[decision].options:
            raise WorkshopError(f"decision {decision} has no option {option!r}")
        return self._log("submit", self.clock, decision=decision, option=option, team=team, rationale=rationale,
                         decision_h=float(p["t_h"]))

    def open_submissions(self) -> list[dict]:
        """Submissions for the decision pending now that are neither confirmed nor rejected."""
        p = self.pending
        done = {e.get("submission") for e, _ in self.stack if e["kind"] == "decide"}
        done |= {e["submission"] for e in self.entries if e["kind"] == "reject"}
        return [s for s in self.submissions if p is not None and s["decision"] == p["decision"]
                and s["n"] not in done]

    def confirm(self, n: int) -> dict:
        sub = next((s for s in self.open_submissions() if s["n"] == n), None)
        if sub is None:
            raise WorkshopError(f"no open submission {n}")
        return self.decide(sub["decision"], sub["option"], sub["rationale"], sub["team"], submission=n)

    def reject(self, n: int, reason: str = "") -> dict:
        if not any(s["n"] == n for s in self.open_submissions()):
            raise WorkshopError(f"no open submission {n}")
        return self._log("reject", self.clock, submission=n, reason=reason)

    def respond(self, team: str, inject_id: str, text: str) -> dict:
        """A team's actual action on an inject it received (the report sets it against the expected action)."""
        team = self.check_team(team)
        if not text.strip():
            raise WorkshopError("a response needs some text")
        delivered = {r.inject for r in self.view().trace if isinstance(r, InjectRecord)}
        if inject_id not in delivered:
            raise WorkshopError(f"inject {inject_id!r} has not been delivered")
        return self._log("response", self.clock, team=team, inject=inject_id, text=text)

    def inject(self, inject_id: str) -> dict:
        """Fire an inject of the scenario (library ones are meant for this) at the current clock."""
        if inject_id not in self.scenario.injects:
            lib = [k for k, v in self.scenario.injects.items() if v.library]
            raise WorkshopError(f"unknown inject {inject_id!r}; library injects: {', '.join(lib) or 'none'} "
                                "(or give free text in quotes)")
        return self._fire(inject_id, inject_id, None)

    def inject_text(self, text: str, *, tension: float | None = None, title: str = "",
                    sender: str = "", recipient: str = "") -> dict:
        """Fire an ad-hoc inject written at the table, optionally adding tension."""
        if not text.strip():
            raise WorkshopError("an ad-hoc inject needs some text")
        if tension is not None and not (math.isfinite(tension) and abs(tension) <= MAX_ADHOC_TENSION):
            raise WorkshopError(f"--tension must be a number from {-MAX_ADHOC_TENSION:g} to "
                                f"{MAX_ADHOC_TENSION:g}, got {tension!r}")
        adhoc = {"title": title or "Facilitator inject", "text": text, "tension": tension,
                 "sender": sender or ADHOC_SENDER, "recipient": recipient}
        n = self.writer.next_n if self.writer else len(self.entries) + 1
        return self._fire(f"adhoc-{n}", None, adhoc)

    def _fire(self, iid: str, inject_id: str | None, adhoc: dict | None) -> dict:
        # fired at the clock; while a decision is pending, just before it opens (the trace rounds times
        # to 1e-6 h, so "at the clock" could fall after the pause and stay unseen until the decision)
        p = self.pending
        at = round(min(self.clock, p["t_h"]) - 2e-6, 6) if p else self.clock
        return self._log("inject", self.clock, id=iid, inject=inject_id, adhoc=adhoc, at_h=max(at, 0.0))

    def note(self, text: str, team: str | None = None, objective: str | None = None) -> dict:
        if not text.strip():
            raise WorkshopError("a note needs some text")
        if team:
            team = self.check_team(team)
        if objective and objective not in self.scenario.objectives:
            raise WorkshopError(f"unknown objective {objective!r}; objectives: {', '.join(self.scenario.objectives)}")
        return self._log("note", self.clock, text=text, team=team or None, objective=objective or None)

    def undo(self) -> dict:
        if not self.stack:
            raise WorkshopError("nothing to undo")
        entry, _ = self.stack[-1]
        before = self.stack[-2][1] if len(self.stack) > 1 else Play()
        return self._log("undo", before.clock, undoes=entry["n"])

    def end(self, summary: dict) -> dict:
        """Close the exercise with its hot-wash ``summary`` (written to the log for the report)."""
        e = self._log("hotwash", self.clock, summary=summary)
        self.close()
        return e

    def close(self) -> None:
        try:
            if not self.closed and not (self.writer and self.writer.failed):
                self._log("close", self.clock)
        finally:
            if self.writer:
                self.writer.close()

    def pace(self, now: datetime | None = None) -> dict:
        """Planned against actual exercise time: STARTEX + clock / turn x minutes per turn, against the
        wall clock (a negative ``behind_min`` is ahead of plan)."""
        planned = self.clock / self.turn_h * self.minutes_per_turn
        start = datetime.fromisoformat(self.startex) if self.startex else datetime.now(UTC)
        actual = ((now or datetime.now(UTC)) - start).total_seconds() / 60
        return {"startex": self.startex, "minutes_per_turn": self.minutes_per_turn, "planned_min": round(planned, 1),
                "actual_min": round(actual, 1), "behind_min": round(actual - planned, 1)}

    # --- teams --------------------------------------------------------------
    def team_names(self) -> list[str]:
        """The session's teams, then any side no team plays (its decisions are taken in the side's name)."""
        return list(dict.fromkeys([*self.teams, *(self.team_of_side(side) for side in self.scenario.sides)]))

    def team_of_side(self, side: str) -> str:
        """The team that takes a side's decisions (the side itself when no team plays it)."""
        return next((t for t, spec in self.scenario.teams.items() if side in spec.sides and t in self.teams), side)

    def recipient_team(self, recipient: str) -> str | None:
        """The team an inject's recipient stands for; None: every team sees it."""
        return next((t for t, spec in self.scenario.teams.items() if recipient in spec.recipients
                     and t in self.teams), None)

    def check_team(self, team: str) -> str:
        """``team`` as the session names it: a side a team plays is that team (one naming everywhere)."""
        team = self.team_of_side(team) if team in self.scenario.sides else team
        if team not in self.team_names():
            raise WorkshopError(f"unknown team {team!r}; teams: {', '.join(self.team_names())}")
        return team

    # --- the log and the fold ----------------------------------------------------
    def _log(self, kind: str, sim_h: float, **payload) -> dict:
        if self.closed and kind != "close":
            raise WorkshopError("the session is closed")
        entry = {"v": SCHEMA_VERSION, "kind": kind, "scenario": self.scenario.name,
                 "scenario_hash": self.scenario.content_hash, "seed": self.seed, "sim_h": round(float(sim_h), 6),
                 "wall": wall_now(), **payload}
        if self.actor:
            entry["by"] = self.actor
        entry = self.writer.append(entry) if self.writer else {**entry, "n": len(self.entries) + 1}
        self._fold(entry)
        return entry

    def _fold(self, e: dict) -> None:
        """Apply one log entry to the state (the same code for live actions and replays)."""
        kind, play = e["kind"], self.play
        self.entries.append(e)
        if kind == "open" or kind == "close":
            self.closed = kind == "close"
            return
        self.closed = False
        if kind == "submit":
            self.submissions.append(e)
            return
        if kind in ("reject", "hotwash"):
            return
        if kind == "undo":
            if not self.stack or self.stack[-1][0]["n"] != e["undoes"]:
                raise WorkshopError(f"undo of entry {e['undoes']}, which is not the last action")
            self.stack.pop()
            return
        base = {k: e[k] for k in e if k not in ("v", "n", "kind", "scenario", "scenario_hash", "seed")}
        if kind == "next":
            new = Play(float(e["sim_h"]), float(e["from_h"]), play.choices, play.injects, play.notes)
        elif kind == "decide":
            if e["decision"] not in self.scenario.decisions or \
                    e["option"] not in self.scenario.decisions[e["decision"]].options:
                raise WorkshopError(f"decision {e['decision']}/{e['option']} is not in the scenario")
            new = replace(play, choices=play.choices + (base,))
        elif kind == "inject":
            if e["inject"] is not None and e["inject"] not in self.scenario.injects:
                raise WorkshopError(f"inject {e['inject']} is not in the scenario")
            if e["inject"] is None and not isinstance(e["adhoc"], dict):
                raise WorkshopError("inject entry without an inject id or ad-hoc text")
            new = replace(play, injects=play.injects + (base,))
        elif kind == "response":
            new = replace(play, responses=play.responses + (base,))
        else:
            new = replace(play, notes=play.notes + (base,))
        self.stack.append((e, new))

    # --- reading back ------------------------------------------------------------
    def history(self) -> list[dict]:
        """The actions in effect (undone ones left out), oldest first."""
        return [e for e, _ in self.stack]

    def final_result(self) -> Result:
        """The workshop's path to the horizon: decisions taken as recorded, the scenario default for the rest."""
        return self.replay(None, self.play, DefaultPolicy())


DEFAULT_TEAMS = ("blue", "red", "white")


def default_teams(scenario: Scenario) -> list[str]:
    """The scenario's teams, or blue, red and white when it names none."""
    return list(scenario.teams) or list(DEFAULT_TEAMS)
