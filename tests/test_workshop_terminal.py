"""The terminal board: projected (--room) without answers, forces only when they changed, what undo
removed, long texts wrapped, end with the hot-wash."""
from __future__ import annotations

import io
import re
import sys

from conftest import ROOT, cli_in_process
from rich.console import Console

from sim.scenario.load import load_scenario
from sim.workshop.commands import execute
from sim.workshop.console import render
from sim.workshop.session import Session

BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"


def _session(**kw) -> Session:
    return Session.start(load_scenario(BASELINE), seed=3, **kw)


def _text(session: Session, line: str, room: bool = False) -> str:
    buf = io.StringIO()
    render(execute(session, line).items, Console(file=io.StringIO()), False, buf, room)
    return buf.getvalue()


def _to_decision(session: Session, room: bool = False) -> str:
    out = ""
    for _ in range(30):
        out += _text(session, "next", room)
        if session.pending:
            return out
    raise AssertionError("no decision came up")


def test_room_mode_shows_no_expected_action_default_or_ahead():
    plain, room = _session(), _session()
    room.room_mode = True
    a, b = _to_decision(plain), _to_decision(room, room=True)
    assert "Expected action" in a and "(scenario default)" in a
    assert "INJECT" in b and "Expected action" not in b and "(scenario default)" not in b
    assert "error: ahead is for the facilitator's eyes" in _text(room, "ahead", room=True)
    assert "error" not in _text(plain, "ahead")


def test_forces_table_only_at_the_first_stop_and_when_a_force_changed():
    s = _session()
    first = _text(s, "status")
    assert "VJTF (France lead)" in first and "Forces: no change" not in first
    outs = [_text(s, "next") for _ in range(4)]
    boards_with_table = [o for o in outs if "Forces:\n" in o]
    quiet = [o for o in outs if "Forces: no change (forces shows them)" in o]
    assert boards_with_table and quiet       # some stops changed a force, some did not
    for o in quiet:
        assert "force " not in o.split("What happened")[1].split("Injects:")[0]   # no force record then
    assert "VJTF (France lead)" in _text(s, "forces")


def test_undo_says_what_it_took_back():
    s = _session()
    _to_decision(s)
    p = s.pending
    _text(s, f"decide {p['decision']} {p['default']} because")
    out = _text(s, "undo")
    assert f"undone: {s.team_of_side(p['team'])} decided {p['decision']} = {p['default']}: because" in out


def test_long_inject_text_wraps_in_a_rich_terminal():
    s = _session()
    _text(s, 'inject "' + "word " * 60 + 'END" --title Long')
    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, color_system=None, highlight=False)
    render(execute(s, "status").items, console, True, io.StringIO())
    lines = buf.getvalue().splitlines()
    assert "END" in buf.getvalue() and max(len(x) for x in lines) <= 80


def test_end_prints_the_scoreboard_and_closes(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text("next\nnext\nend\n")
    r = cli_in_process("workshop", str(BASELINE), "--script", str(script), "--session", str(tmp_path / "w.jsonl"))
    assert r.returncode == 0, r.stderr
    assert "HOT-WASH at H+" in r.stdout and "objectives met on the table's path" in r.stdout
    assert r.stdout.count("[MET]") + r.stdout.count("[NOT MET]") == len(load_scenario(BASELINE).objectives)
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in (tmp_path / "w.jsonl").read_text().splitlines()]
    assert kinds[-2:] == ["hotwash", "close"]


def test_ctrl_d_at_the_prompt_closes_like_quit(tmp_path):
    """In a pseudo-terminal (prompt_toolkit's prompt): next, then Ctrl-D closes the session; the log ends
    with a close entry and the command exits 0."""
    import os
    import pty
    import select
    import time

    log = tmp_path / "w.jsonl"
    pid, fd = pty.fork()
    if pid == 0:                                      # the child: the workshop on the pty
        os.environ.update({"TERM": "xterm", "COLUMNS": "80", "LINES": "40"})
        os.execv(sys.executable, [sys.executable, "-m", "sim", "workshop", str(BASELINE), "--session", str(log)])
    out = b""

    def read_until(marker: bytes, timeout: float = 60.0) -> None:
        nonlocal out
        end = time.monotonic() + timeout
        while marker not in out and time.monotonic() < end:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
        assert marker in out, out[-2000:]

    try:
        read_until(b"H+0.0>")
        os.write(fd, b"next\r")
        read_until(b"H+6.0>")
        os.write(fd, b"\x04")                          # Ctrl-D
        read_until(b"session closed")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in log.read_text().splitlines()]
    assert kinds[-2:] == ["next", "close"]


def test_the_board_shows_the_pace_from_start_and_minutes_per_turn(tmp_path):
    """--start and --minutes-per-turn as in crisis-sim msel: each board says planned against actual exercise
    time (the console used to drop the session's STARTEX when it rendered a board)."""
    from datetime import UTC, datetime, timedelta

    start = (datetime.now(UTC) - timedelta(minutes=95)).replace(microsecond=0)
    script = tmp_path / "s.txt"
    script.write_text("next\nquit\n")
    r = cli_in_process("workshop", str(BASELINE), "--script", str(script), "--session", str(tmp_path / "w.jsonl"),
                       "--start", start.isoformat(), "--minutes-per-turn", "20")
    assert r.returncode == 0, r.stderr
    paces = [ln.split("Exercise time ", 1)[1] for ln in r.stdout.splitlines() if "Exercise time " in ln]
    assert len(paces) == 2
    assert paces[0].startswith("+0:00 planned, +1:3") and paces[0].endswith("min behind)")   # 95-99 min
    assert re.match(r"\+0:[0-2]\d planned, \+1:3\d actual", paces[1])          # at most one turn (H+6) of 20 min


def test_the_horizon_brings_the_scoreboard_to_the_terminal():
    s = _session()
    outs = []
    for _ in range(80):
        if s.clock >= s.horizon - 1e-6:
            break
        p = s.pending
        outs.append(_text(s, f"decide {p['decision']} {p['default']}" if p else "next"))
    last = outs[-1]
    assert f"HOT-WASH at H+{s.horizon:g}" in last and "end closes it with the hot-wash" in last
    assert last.count("[MET]") + last.count("[NOT MET]") == len(s.scenario.objectives)
    assert not any("HOT-WASH" in o for o in outs[:-1])          # only when the horizon is reached
