"""The facilitator's console: reads command lines, shows boards.

On a terminal it prompts with prompt_toolkit (tab completion of command names,
decision and option ids, inject ids, team and objective names) and renders
boards with rich; otherwise (a script file or piped standard input) it reads
lines one by one and prints plain text, so rehearsals and tests run the same
commands without a person. At the end of the input the session is closed.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from rich.console import Console
from rich.text import Text

from ..safetext import deep, terminal
from ..signals import Terminated
from .board import board_rich, board_text, forces_table, forces_text, header_text
from .commands import COMMANDS, Output, Reply, execute
from .session import Session


def render(items: list[Output], console: Console, rich: bool, stream: TextIO, room: bool = False) -> None:
    for it in items:
        it = Output(it.kind, deep(terminal, it.data), it.startex)  # scenario and facilitator text: no escape sequences
        if it.kind == "board":
            if rich:
                console.print(board_rich(it.data, room, startex=it.startex))
            else:
                print(board_text(it.data, room, startex=it.startex), file=stream)
        elif it.kind == "forces":
            if rich:
                console.print(forces_table(it.data))
            else:
                print(header_text(it.data).splitlines()[1] + "\n" + forces_text(it.data), file=stream)
        elif it.kind == "history":
            for ln in it.data:
                console.print(ln, markup=False) if rich else print(ln, file=stream)
        elif it.kind == "error":
            console.print(Text.assemble(("error: ", "red"), str(it.data))) if rich else print(f"error: {it.data}",
                                                                                               file=stream)
        else:
            console.print(str(it.data), markup=False) if rich else print(it.data, file=stream)
    if not rich:
        stream.flush()


def completions(session: Session, before: str) -> list[str]:
    """Words that may follow ``before`` (the line up to the word being typed)."""
    words = before.split()
    if not words or (len(words) == 1 and not before.endswith(" ")):
        return COMMANDS
    s = session.scenario
    done = words if before.endswith(" ") else words[:-1]
    cmd, prev = done[0], done[-1]
    if prev == "--team":
        return session.team_names()
    if prev == "--objective":
        return list(s.objectives)
    args = [w for w in done[1:] if not w.startswith("--")]
    if cmd == "decide":
        if not args:
            p = session.pending
            return ([p["decision"]] if p else []) + [d for d in s.decisions if not p or d != p["decision"]]
        if len(args) == 1 and args[0] in s.decisions:
            return list(s.decisions[args[0]].options) + ["--team"]
        return ["--team"]
    if cmd == "inject":
        if not args:
            return [k for k, v in s.injects.items() if v.library] + [k for k, v in s.injects.items() if not v.library]
        return ["--tension", "--title"]
    if cmd == "note":
        return ["--team", "--objective"]
    if cmd == "help" and not args:
        return COMMANDS
    return []


def _tty_lines(session: Session) -> Iterator[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion

    class _Completer(Completer):
        def get_completions(self, document, complete_event):
            word = document.get_word_before_cursor(WORD=True)
            before = document.text_before_cursor[: len(document.text_before_cursor) - len(word)]
            for c in completions(session, before):
                if c.startswith(word):
                    yield Completion(c, start_position=-len(word))

    ps: PromptSession[str] = PromptSession(completer=_Completer(), complete_while_typing=False)
    while True:
        try:
            yield ps.prompt(f"{session.scenario.name} H+{session.clock:.1f}> ")
        except Terminated:
            raise               # SIGTERM or SIGHUP (the terminal closed): the session stops
        except KeyboardInterrupt:
            continue            # Ctrl-C drops the line being typed
        except EOFError:
            return


def _plain_lines(stream: TextIO) -> Iterator[str]:
    for ln in stream:
        yield ln.rstrip("\n")


def loop(session: Session, lines: Iterable[str] | None = None, *, console: Console | None = None,
         rich: bool | None = None, echo: bool = False, stream: TextIO | None = None,
         run: Callable[[Session, str], Reply] = execute) -> tuple[int, int]:
    """Show the board, then run commands until quit or the end of the input; close the session.

    ``run`` carries out one command line (a :class:`~sim.workshop.live.LiveSession`'s, when the
    web serves the same session). Returns (commands run, commands that failed). Warnings from
    reading the log (a skipped torn last line) go to standard error."""
    stream = stream or sys.stdout
    console = console or Console(highlight=False)   # long texts wrap at the terminal's width
    interactive = lines is None and sys.stdin.isatty()
    rich = console.is_terminal if rich is None else rich
    if lines is None:
        lines = _tty_lines(session) if interactive else _plain_lines(sys.stdin)
    room = session.room_mode
    for w in session.warnings:
        print(f"warning: {w}", file=sys.stderr, flush=True)
    render(run(session, "status").items, console, rich, stream, room)
    n_run = n_failed = 0
    try:
        for ln in lines:
            if not ln.strip() or ln.lstrip().startswith("#"):
                continue
            if echo:
                print(f"> {ln}", file=stream, flush=True)
            reply = run(session, ln)
            render(reply.items, console, rich, stream, room)
            n_run += 1
            n_failed += any(it.kind == "error" for it in reply.items)
            if reply.quit:
                break
        else:  # the end of the input (Ctrl-D at the prompt) closes the session like quit
            if interactive:
                render([Output("text", "session closed" + (f"; log: {session.log_path}" if session.writer
                                                             else ""))], console, rich, stream, room)
    finally:
        session.close()
    return n_run, n_failed
