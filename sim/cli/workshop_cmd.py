"""``crisis-sim workshop``: a facilitator steps a scenario turn by turn with the teams (see sim.workshop)."""
from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from .. import signals
from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from ..workshop.console import loop
from ..workshop.log import LogError, LogWriteError, read_log
from ..workshop.session import Session
from .common import fail, load, out, output_problems, seed_problems

MIN_TURN_H, MAX_TURN_H = 1 / 60, 2160.0  # a minute (finer turns step the clock billions of times); 90 days
_UNITS = {"": 1.0, "h": 1.0, "m": 1 / 60, "min": 1 / 60, "d": 24.0}


def parse_turn(text: str) -> float:
    """"6h", "90m", "1d", "1.5" (hours) -> hours; ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(h|m|min|d)?\s*", text.lower())
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"--turn: expected a duration like 6h, 90m or 1d, got {text!r}")
    hours = float(m.group(1)) * _UNITS[m.group(2) or ""]
    if not MIN_TURN_H <= hours <= MAX_TURN_H:
        raise ValueError(f"--turn: a turn is 1 minute to {MAX_TURN_H / 24:g} days (the longest scenario), got {text!r}")
    return hours


def _load_for_log(path: str, overrides: list[str]):
    return load_scenario(path, overrides)


def workshop(
    scenario: Path | None = typer.Argument(None, help="scenario YAML file (not with --resume)"),
    turn: str | None = typer.Option(None, "--turn", help="length of a turn: 6h, 90m, 1d  [default: 6h]"),
    teams: str | None = typer.Option(None, "--teams", help="team names, comma-separated  [default: blue,red,white]"),
    seed: int | None = typer.Option(None, "--seed", "-s", help="random seed of the adjudication  [default: 0]"),
    session_file: Path | None = typer.Option(
        None, "--session", help="session log to write (default reports/sessions/<scenario>-<UTC time>.jsonl)"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    script: Path | None = typer.Option(None, "--script", help="run the commands in FILE instead of asking"),
    resume: Path | None = typer.Option(None, "--resume", help="go on with the session logged in FILE "
                                                 "(refused while another session has it open)"),
    echo: bool = typer.Option(False, "--echo", help="echo each scripted command before its output"),
) -> None:
    """Run a tabletop workshop: the clock moves a turn (or to the next inject or decision) at a time.

    Commands at the prompt: next, decide, inject, note, status, forces, history, undo, save, quit, help.
    A session locks its log until it ends: a second session on the same log is refused (exit 2).
    """
    if problems := seed_problems(seed=seed):
        fail(problems)
    lines = None
    if script is not None:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            fail(f"{script}: no such script file")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{script}: cannot read: {getattr(exc, 'strerror', None) or exc}")
    if resume is not None:
        given = [name for name, v in (("SCENARIO", scenario), ("--set", set_), ("--session", session_file),
                                      ("--seed", seed), ("--turn", turn), ("--teams", teams)) if v]
        if given or seed == 0:
            fail(f"--resume FILE takes the scenario, --set, --seed, --turn, --teams and --session from the log; "
                 f"drop {', '.join(given or ['--seed'])}")
        try:
            sess = Session.from_log(read_log(resume), _load_for_log, append=True)
        except LogError as exc:
            fail(exc.problems)
        except ScenarioError as exc:
            fail([f"{resume}: the scenario it names cannot be loaded"] + [str(p) for p in exc.problems])
        except OSError as exc:
            fail(f"{resume}: cannot append: {exc.strerror}")
    else:
        if scenario is None:
            fail("give a SCENARIO file, or --resume FILE")
        turn, teams, seed = turn or "6h", teams or "blue,red,white", seed or 0
        try:
            turn_h = parse_turn(turn)
        except ValueError as exc:
            fail(str(exc))
        team_list = [t.strip() for t in teams.split(",") if t.strip()]
        if not team_list or any(not re.fullmatch(r"[A-Za-z][\w\-]*", t) for t in team_list):
            fail(f"--teams: expected names separated by commas (letters, digits, - and _), got {teams!r}")
        s = load(scenario, set_)
        if session_file is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            session_file = Path("reports") / "sessions" / f"{s.name}-{stamp}.jsonl"
        if problems := output_problems("--session", session_file):
            fail(problems)
        if session_file.exists():
            fail(f"{session_file}: already exists; use --resume {session_file} to go on with it")
        try:
            sess = Session.start(s, seed=seed, turn_h=turn_h, teams=team_list, log_path=session_file,
                                 scenario_path=str(scenario.resolve()), overrides=set_)
        except LogError as exc:
            fail(exc.problems)
        except OSError as exc:
            fail(f"{session_file}: cannot create: {exc.strerror}")
    rich = out.is_terminal and lines is None
    if rich:
        out.print(f"[dim]session log: {sess.log_path}  (help lists the commands)[/dim]")
    else:
        print(f"session log: {sess.log_path}", flush=True)
    try:
        run, failed = loop(sess, lines, console=out, rich=rich, echo=echo, stream=sys.stdout)
    except LogWriteError as exc:
        fail(f"{sess.log_path}: cannot write the session log: {exc.strerror}; the session stops here, and the log "
             f"keeps every entry before this command: once fixed, crisis-sim workshop --resume {sess.log_path} "
             "goes on from there", code=1)
    except KeyboardInterrupt as exc:
        fail(f"{signals.describe(exc)}; the session log {sess.log_path} keeps every entry so far: "
             f"crisis-sim workshop --resume {sess.log_path} goes on from there",
             code=signals.exit_code(exc))
    if script is not None and failed:
        fail(f"{script}: {failed} of {run} command{'s' if run != 1 else ''} failed (the error lines above say why)")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("workshop")(workshop)


__all__ = ["parse_turn", "register", "workshop"]
