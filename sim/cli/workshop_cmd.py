"""``crisis-sim workshop``: a facilitator steps a scenario turn by turn with the teams (see sim.workshop)."""
from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from .. import signals
from ..scenario.errors import ScenarioError
from ..scenario.load import find_scenario, load_scenario
from .common import fail, load, out, output_problems, seed_problems

if TYPE_CHECKING:   # the workshop package is imported when the command runs: other commands do without it
    from ..workshop.session import Session

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
    teams: str | None = typer.Option(None, "--teams", help="team names, comma-separated  [default: the scenario's teams, else blue,red,white]"),
    seed: int | None = typer.Option(None, "--seed", "-s", help="random seed of the adjudication  [default: 0]"),
    session_file: Path | None = typer.Option(
        None, "--session", help="session log to write (default reports/sessions/<scenario>-<UTC time>.jsonl)"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    script: Path | None = typer.Option(None, "--script", help="run the commands in FILE instead of asking"),
    resume: Path | None = typer.Option(None, "--resume", help="go on with the session logged in FILE "
                                                 "(refused while another session has it open)"),
    echo: bool = typer.Option(False, "--echo", help="echo each scripted command before its output"),
    room: bool = typer.Option(False, "--room", help="the terminal is projected for the room: no expected actions, "
                              "defaults or ahead on it"),
    web: bool = typer.Option(False, "--web", help="also serve the session to browsers: a room board, a facilitator "
                             "console and team pages (extra 'web')"),
    host: str = typer.Option("127.0.0.1", "--host", help="with --web: the address to listen on (loopback unless "
                             "you give another; the LAN sees team pages only with the PIN)"),
    port: int = typer.Option(8765, "--port", help="with --web: the port (0: any free one)"),
    pin: str | None = typer.Option(None, "--pin", help="with --web: the teams' PIN (default: six random digits)"),
    teams_decide: bool = typer.Option(False, "--teams-decide", help="with --web: a team's decision takes effect "
                                      "at once, without the facilitator's confirmation"),
    start: str | None = typer.Option(None, "--start", help="STARTEX, the exercise's wall-clock start (ISO 8601; "
                                     "default now), for the pace: planned against actual exercise time"),
    minutes_per_turn: str = typer.Option("30", "--minutes-per-turn", help="minutes of exercise per turn (>= 1)"),
) -> None:
    """Run a tabletop workshop: the clock moves a turn (or to the next inject or decision) at a time.

    Commands at the prompt: next, decide, inject, note, status, forces, history, ahead, undo, save, end, quit,
    help. Ctrl-D closes the session like quit; end closes it with the hot-wash (the objectives scoreboard).
    A session locks its log until it ends: a second session on the same log is refused (exit 2).
    """
    from ..workshop.console import loop
    from ..workshop.log import LogError, LogWriteError, read_log
    from ..workshop.session import Session, default_teams

    problems = seed_problems(seed=seed)
    pace_start, pace = None, 30.0
    from .msel_cmd import parse_minutes, parse_start

    try:
        pace_start = parse_start(start) if start is not None else None
        if pace_start is not None and pace_start.tzinfo is None:
            pace_start = pace_start.astimezone()   # a local wall-clock time
    except ValueError as exc:
        problems.append(str(exc))
    try:
        pace = parse_minutes(minutes_per_turn)
    except ValueError as exc:
        problems.append(str(exc))
    if resume is not None and (start is not None or minutes_per_turn != "30"):
        problems.append("--resume FILE takes --start and --minutes-per-turn from the log; drop them")
    if web:
        if not 0 <= port <= 65535:
            problems.append(f"--port: expected 0 to 65535, got {port}")
        if pin is not None and not re.fullmatch(r"\d{4,12}", pin):
            problems.append(f"--pin: expected 4 to 12 digits, got {pin!r}")
    if problems:
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
            fail([f"{resume}:1: open entry: the scenario it names cannot be loaded: {p}" for p in exc.problems])
        except OSError as exc:
            fail(f"{resume}: cannot append: {exc.strerror}")
    else:
        if scenario is None:
            fail("give a SCENARIO file, or --resume FILE")
        turn, seed = turn or "6h", seed or 0
        try:
            turn_h = parse_turn(turn)
        except ValueError as exc:
            fail(str(exc))
        team_list = [t.strip() for t in (teams or "x").split(",") if t.strip()]
        if not team_list or any(not re.fullmatch(r"[A-Za-z][\w\-]*", t) for t in team_list):
            fail(f"--teams: expected names separated by commas (letters, digits, - and _), got {teams!r}")
        s = load(scenario, set_)
        if teams is None:
            team_list = default_teams(s)
        if session_file is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            session_file = Path("reports") / "sessions" / f"{s.name}-{stamp}.jsonl"
        if problems := output_problems("--session", session_file):
            fail(problems)
        if session_file.exists():
            fail(f"{session_file}: already exists; use --resume {session_file} to go on with it")
        try:
            sess = Session.start(s, seed=seed, turn_h=turn_h, teams=team_list, log_path=session_file,
                                 scenario_path=str(find_scenario(scenario).resolve()), overrides=set_,
                                 startex=pace_start, minutes_per_turn=pace)
        except LogError as exc:
            fail(exc.problems)
        except OSError as exc:
            fail(f"{session_file}: cannot create: {exc.strerror}")
    sess.room_mode = room
    if web:
        _serve(sess, lines, host=host, port=port, pin=pin, teams_decide=teams_decide, echo=echo)
        return
    rich = out.is_terminal and lines is None
    if rich:
        out.print(f"[dim]session log: {sess.log_path}  (help lists the commands)[/dim]")
    else:
        print(f"session log: {sess.log_path}", flush=True)
    try:
        n_run, failed = loop(sess, lines, console=Console(highlight=False) if rich else out, rich=rich, echo=echo,
                             stream=sys.stdout)
    except LogWriteError as exc:
        fail(f"{sess.log_path}: cannot write the session log: {exc.strerror}; the session stops here, and the log "
             f"keeps every entry before this command: once fixed, crisis-sim workshop --resume {sess.log_path} "
             "goes on from there", code=1)
    except KeyboardInterrupt as exc:
        fail(f"{signals.describe(exc)}; the session log {sess.log_path} keeps every entry so far: "
             f"crisis-sim workshop --resume {sess.log_path} goes on from there",
             code=signals.exit_code(exc))
    if script is not None and failed:
        fail(f"{script}: {failed} of {n_run} command{'s' if n_run != 1 else ''} failed (the error lines above say why)")


def _serve(sess: Session, lines: list[str] | None, *, host: str, port: int, pin: str | None, teams_decide: bool,
           echo: bool) -> None:
    """The session served to browsers, the terminal console beside it (when there is a terminal)."""
    from ..workshop.console import loop

    try:
        from ..web.serve import ServeError
        from ..web.serve import start as start_server
        from ..workshop.live import LiveSession
    except ImportError:
        sess.close()
        fail("--web needs the web extra: pip install 'crisis-sim[web]'")
    live = LiveSession(sess, teams_decide=teams_decide)
    try:
        server = start_server(live, host, port, pin)
    except ServeError as exc:
        sess.close()
        fail(str(exc))
    print(f"session log: {sess.log_path}", flush=True)
    for name, url in server.urls(list(sess.teams)).items():
        print(f"{name + ':':<14} {url}", flush=True)
    print(f"{'team PIN:':<14} {server.secrets.pin}", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}: anyone on that network can open the room board; team pages need "
              "the PIN, the console its token", file=sys.stderr, flush=True)
    try:
        if lines is not None or sys.stdin.isatty():
            rich = out.is_terminal and lines is None
            loop(sess, lines, console=Console(highlight=False) if rich else out, rich=rich, echo=echo,
                 stream=sys.stdout, run=lambda s, ln: live.execute(ln))
            live.closed = True
        else:  # no terminal: the browsers drive the session until quit there, or Ctrl-C / SIGTERM
            print("no terminal: run the session from the facilitator console; Ctrl-C ends the server", flush=True)
            while not live.closed:
                live.wait(live.version, 1.0)
    except KeyboardInterrupt:
        fail(f"interrupted; the session log {sess.log_path} keeps every entry so far: "
             f"crisis-sim workshop --resume {sess.log_path} --web goes on from there", code=130)
    finally:
        with live.acting(""):
            sess.close()
            live.closed = True
        server.stop()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("workshop")(workshop)


__all__ = ["parse_turn", "register", "workshop"]
