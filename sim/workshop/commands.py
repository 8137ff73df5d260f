"""Facilitator commands: one line in (parsed with shlex), what to show out.

:func:`execute` carries out one command on a :class:`~sim.workshop.session.Session`
and returns :class:`Output` items (a board, a forces table, text, an error) for
the console to render; a bad command gives an error item and the session goes on.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import atomic_write
from ..narrative import h_label
from .board import build_board
from .msel import msel_from_result
from .session import EPS, Session, WorkshopError

HELP = {
    "next": "next [N]                        advance to the next turn boundary, inject or decision point (N times)",
    "decide": "decide DECISION OPTION [why]    record a team's choice at the pending decision [--team T]",
    "inject": 'inject ID | inject "text"       fire a library inject, or ad-hoc text [--tension X] [--title T]',
    "note": "note [--team T] [--objective O] TEXT   an observation for the report",
    "status": "status                          show the situation board again",
    "forces": "forces                          the forces and their states",
    "history": "history                         what the table has done (both clocks)",
    "ahead": "ahead [N]                       the next N (5) injects and decision points if the teams take the "
             "defaults (facilitator only: the MSEL from here)",
    "undo": "undo                            take back the last next/decide/inject/note (replays)",
    "save": "save [FILE]                     make sure the log is on disk; with FILE, write the board as JSON",
    "end": "end                             close the exercise with the hot-wash: the objectives scoreboard, "
           "written to the log for the report",
    "quit": "quit                            close the session (the log keeps everything); Ctrl-D too",
    "help": "help [COMMAND]                  this list",
}
COMMANDS = list(HELP)
ALIASES = {"exit": "quit", "n": "next", "?": "help"}


@dataclass
class Output:
    kind: str                    # board | forces | text | error | history
    data: Any = None
    startex: str = ""            # a board: the session's STARTEX, for the pace shown beside it


@dataclass
class Reply:
    items: list[Output] = field(default_factory=list)
    quit: bool = False


def _options(tokens: list[str], names: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Split ``--name value`` / ``--name=value`` options (only ``names``) from the other words."""
    rest, opts, i = [], {}, 0
    while i < len(tokens):
        tok = tokens[i]
        key = tok[2:].split("=", 1)[0] if tok.startswith("--") else None
        if key is None:
            rest.append(tok)
        elif key not in names:
            raise WorkshopError(f"unknown option --{key}" + (f"; options: {', '.join('--' + n for n in names)}"
                                                             if names else ""))
        elif "=" in tok:
            opts[key] = tok.split("=", 1)[1]
        elif i + 1 < len(tokens):
            opts[key] = tokens[i + 1]
            i += 1
        else:
            raise WorkshopError(f"--{key} needs a value")
        i += 1
    return rest, opts


def execute(session: Session, line: str) -> Reply:
    """Carry out one facilitator command line."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:
        return Reply([Output("error", f"cannot parse the line: {exc}")])
    if not tokens:
        return Reply()
    cmd, args = ALIASES.get(tokens[0].lower(), tokens[0].lower()), tokens[1:]
    handler = _HANDLERS.get(cmd)
    if handler is None:
        return Reply([Output("error", f"unknown command {tokens[0]!r}; commands: {', '.join(COMMANDS)}")])
    try:
        return handler(session, args)
    except WorkshopError as exc:
        return Reply([Output("error", str(exc))])


def _board(session: Session) -> Output:
    return Output("board", build_board(session), session.startex)


def _count(args: list[str], command: str, what: str, default: int) -> int:
    """The optional count N of ``next [N]`` or ``ahead [N]`` (at least 1)."""
    try:
        n = int(args[0]) if args else default
    except ValueError:
        raise WorkshopError(f"{command} takes a number of {what}, got {args[0]!r}") from None
    if len(args) > 1 or n < 1:
        raise WorkshopError(f"usage: {command} [N] with N >= 1")
    return n


def _next(session: Session, args: list[str]) -> Reply:
    _, _opts = _options(args, ())
    times = _count(args, "next", "stops", 1)
    items: list[Output] = []
    for k in range(times):
        try:
            session.next()
        except WorkshopError as exc:
            if k == 0:
                raise
            items.append(Output("text", f"stopped after {k} of {times}: {exc}"))
            break
        items.append(_board(session))
        if session.pending:
            break
    if session.clock >= session.horizon - EPS and not session.pending:
        # the horizon: the scoreboard, as end will log it
        from .hotwash import hotwash_lines, summary
        items.append(Output("history", hotwash_lines(summary(session))))
    return Reply(items)


def _decide(session: Session, args: list[str]) -> Reply:
    rest, opts = _options(args, ("team",))
    if len(rest) < 2:
        p = session.pending
        hint = f"; pending: {p['decision']} ({', '.join(p['options'])})" if p else ""
        raise WorkshopError(f"usage: decide DECISION OPTION [rationale] [--team T]{hint}")
    e = session.decide(rest[0], rest[1], " ".join(rest[2:]), opts.get("team"))
    label = session.scenario.decisions[e["decision"]].options[e["option"]].label
    return Reply([Output("text", f"{e['team']} decided {e['decision']}: {label}"), _board(session)])


def _inject(session: Session, args: list[str]) -> Reply:
    rest, opts = _options(args, ("tension", "title", "sender", "recipient"))
    if not rest:
        raise WorkshopError('usage: inject ID | inject "free text" [--tension X] [--title T]')
    if len(rest) == 1 and rest[0] in session.scenario.injects and not opts:
        session.inject(rest[0])
    elif len(rest) == 1 and " " not in rest[0] and not opts and rest[0].replace("_", "").replace("-", "").isalnum():
        session.inject(rest[0])          # one bare word: meant as an id; unknown -> a clear error
    else:
        try:
            tension = float(opts["tension"]) if "tension" in opts else None
        except ValueError:
            raise WorkshopError(f"--tension must be a number, got {opts['tension']!r}") from None
        session.inject_text(" ".join(rest), tension=tension, title=opts.get("title", ""),
                            sender=opts.get("sender", ""), recipient=opts.get("recipient", ""))
    return Reply([_board(session)])


def _note(session: Session, args: list[str]) -> Reply:
    rest, opts = _options(args, ("team", "objective"))
    e = session.note(" ".join(rest), opts.get("team"), opts.get("objective"))
    who = " ".join(x for x in (e["team"] and f"team {e['team']}", e["objective"] and f"objective {e['objective']}")
                   if x)
    return Reply([Output("text", f"noted at {h_label(round(e['sim_h'], 2))}" + (f" ({who})" if who else ""))])


def _status(session: Session, args: list[str]) -> Reply:
    return Reply([_board(session)])


def _forces(session: Session, args: list[str]) -> Reply:
    return Reply([Output("forces", build_board(session))])


def _history(session: Session, args: list[str]) -> Reply:
    return Reply([Output("history", history_lines(session))])


def action_text(e: dict) -> str:
    """One action of the table in words (``history`` and ``undo`` say it the same way)."""
    if e["kind"] == "next":
        return f"clock to {h_label(round(e['sim_h'], 2))} ({e['stop']})"
    if e["kind"] == "decide":
        return f"{e['team']} decided {e['decision']} = {e['option']}" + (
            f": {e['rationale']}" if e["rationale"] else "")
    if e["kind"] == "inject":
        return f"inject {e['inject']}" if e["inject"] else f"ad-hoc inject: {e['adhoc']['text']}"
    if e["kind"] == "response":
        return f"{e['team']} responded to {e['inject']}: {e['text']}"
    tags = ", ".join(x for x in (e["team"], e["objective"]) if x)
    return f"note{f' [{tags}]' if tags else ''}: {e['text']}"


def history_lines(session: Session) -> list[str]:
    cal = session.scenario.clock.calendar
    out = []
    for e in session.history():
        t = cal(e["sim_h"])
        out.append(f"{t:%a %d %b %H:%M} {h_label(round(e['sim_h'], 2)):>8}  (wall {e['wall']})  {action_text(e)}")
    return out or ["nothing yet"]


def _ahead(session: Session, args: list[str]) -> Reply:
    if session.room_mode:
        raise WorkshopError("ahead is for the facilitator's eyes: not shown on a projected (--room) console")
    return Reply([Output("history", ahead_lines(session, _count(args, "ahead", "items", 5)))])


def ahead_lines(session: Session, n: int = 5) -> list[str]:
    """The next ``n`` MSEL rows after the clock on the session's path (recorded decisions, defaults
    for the rest): what the facilitator should expect, not a forecast of what the teams will do."""
    m = msel_from_result(session.scenario, session.final_result(), turn_h=session.turn_h)
    rows = [r for r in m.rows if r.sim_h is not None and r.sim_h > session.clock + EPS][:n]
    if not rows:
        return ["nothing more before the end of the scenario"]
    out = []
    for r in rows:
        who = f"{r.sender} -> {r.recipient}" if r.type == "inject" else f"{r.recipient} decides"
        out.append(f"{h_label(round(r.sim_h or 0.0, 2)):>8}  turn {r.turn:<3} {r.type:<8} {r.title} ({who}; {r.trigger})")
    return out


def _undo(session: Session, args: list[str]) -> Reply:
    what = action_text(session.stack[-1][0]) if session.stack else ""
    e = session.undo()
    return Reply([Output("text", f"undone: {what} (entry {e['undoes']})"), _board(session)])


def _save(session: Session, args: list[str]) -> Reply:
    if session.writer:
        session.writer.sync()
    msgs = [f"session log {session.log_path} is on disk ({len(session.entries)} entries)" if session.writer
            else "no session log (nothing to save)"]
    if args:
        path = Path(args[0])
        if str(path) in ("", ".") or path.is_dir():
            raise WorkshopError(f"save {args[0]}: is a folder; give a file name (the session goes on)")
        blocker = next((p for p in reversed(path.absolute().parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise WorkshopError(f"save {args[0]}: {blocker} is a file, not a folder (the session goes on)")
        board = build_board(session)
        try:
            atomic_write(path, json.dumps({"board": board, "state": session.view().state}, sort_keys=True,
                                          indent=2, ensure_ascii=False))
        except OSError as exc:
            raise WorkshopError(f"save {args[0]}: cannot write: {exc.strerror or exc} (the session goes on)") from None
        msgs.append(f"board written to {args[0]}")
    return Reply([Output("text", m) for m in msgs])


def _end(session: Session, args: list[str]) -> Reply:
    from .hotwash import hotwash_lines, summary

    h = summary(session)
    session.end(h)
    tail = f"; log: {session.log_path}" if session.writer else ""
    return Reply([Output("history", hotwash_lines(h)), Output("text", f"session closed{tail}")], quit=True)


def _quit(session: Session, args: list[str]) -> Reply:
    return Reply([Output("text", "session closed" + (f"; log: {session.log_path}" if session.writer else ""))],
                 quit=True)


def _help(session: Session, args: list[str]) -> Reply:
    if args:
        cmd = ALIASES.get(args[0], args[0])
        if cmd not in HELP:
            raise WorkshopError(f"no command {args[0]!r}; commands: {', '.join(COMMANDS)}")
        return Reply([Output("text", HELP[cmd])])
    return Reply([Output("text", "\n".join(HELP.values()))])


_HANDLERS = {"next": _next, "decide": _decide, "inject": _inject, "note": _note, "status": _status,
             "forces": _forces, "history": _history, "ahead": _ahead, "undo": _undo,
             "save": _save, "end": _end, "quit": _quit, "help": _help}
