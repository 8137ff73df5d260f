"""`crisis-sim workshop` end to end: a scripted session, and a session killed mid-way then resumed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASELINE, cli_in_process

from sim import load_scenario
from sim.workshop import Session, session_summary
from sim.workshop.board import build_board
from sim.workshop.commands import execute

CLI = [sys.executable, "-m", "sim"]


def _cli(*args, stdin=None, timeout=60, cwd=None):
    return cli_in_process(*args, input=stdin, cwd=cwd)


def test_scripted_session_plays_decisions_through(tmp_path):
    script = tmp_path / "play.txt"
    script.write_text("\n".join([
        "# a rehearsal of the baseline with a cautious NAC and an aggressive Moscow",
        "next 30",
        'decide saceur_deconfliction directive "stand-off distances"',
        "next 30",
        'decide nrf_deploy hold "do not provoke" --team blue',
        "decide air_defence withhold",
        "next 30",
        'decide red_reserves commit "resistance too stiff" --team red',
        'note --team white --objective vjtf_in_place "VJTF never left France"',
        "history",
        "quit",
        "next",            # after quit: not run
    ]) + "\n")
    log = tmp_path / "ws.jsonl"
    r = _cli("workshop", str(BASELINE), "--seed", "4", "--session", str(log), "--script", str(script),
             "--teams", "blue,red,white")
    assert r.returncode == 0, r.stderr
    assert "DECISION NEEDED (blue): Deploy NRF elements?" in r.stdout
    assert "red decided red_reserves: Commit the second echelon" in r.stdout
    assert "Expected action:" in r.stdout and "From: North Atlantic Council" in r.stdout
    kinds = [json.loads(x)["kind"] for x in log.read_text().splitlines()]
    assert kinds[0] == "open" and kinds[-1] == "close" and kinds.count("decide") == 4

    s = session_summary(log)
    played = {d["decision"]: d for d in s["decisions"]}
    assert played["nrf_deploy"]["option"] == "hold" and played["nrf_deploy"]["team"] == "blue"
    assert played["nrf_deploy"]["rationale"] == "do not provoke" and played["nrf_deploy"]["played"]
    assert played["red_reserves"]["team"] == "red" and played["saceur_deconfliction"]["team"] == "blue"
    # the effects say: holding the NRF keeps the VJTF at home; committing the second echelon adds 40,000 troops
    assert s["metrics"]["force.vjtf.deploying_h"] is None
    scen = load_scenario(BASELINE)
    from sim import run

    base = run(scen, 4, {"nrf_deploy": "hold", "air_defence": "withhold"})
    assert s["metrics"]["committed_troops"] == base.metrics["committed_troops"] + 40_000
    assert run(scen, 4).metrics["force.vjtf.deploying_h"] is not None
    assert s["notes_by_team"]["white"][0]["text"] == "VJTF never left France"
    assert s["notes_by_objective"]["vjtf_in_place"][0]["team"] == "white"
    assert s["closed"] and s["stopped_h"] == pytest.approx(48.0)


def test_commands_on_stdin_when_not_a_terminal(tmp_path):
    log = tmp_path / "ws.jsonl"
    r = _cli("workshop", str(BASELINE), "--session", str(log), "--turn", "12h", stdin="next\nstatus\nbogus\n")
    assert r.returncode == 0, r.stderr
    assert "error: unknown command 'bogus'" in r.stdout
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    assert [e["kind"] for e in entries] == ["open", "next", "close"]
    assert entries[0]["turn_h"] == 12.0 and entries[1]["sim_h"] <= 12.0


def test_default_session_file_under_reports(tmp_path):
    r = _cli("workshop", str(BASELINE), stdin="next\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    logs = list((tmp_path / "reports" / "sessions").glob("nato-response-2022-*.jsonl"))
    assert len(logs) == 1 and f"session log: {Path('reports') / 'sessions' / logs[0].name}" in r.stdout


def _wait_lines(path: Path, n: int, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if path.exists() and len(path.read_bytes().splitlines()) >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {n} entries")


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_session_resumes_to_the_same_state(tmp_path):
    log = tmp_path / "ws.jsonl"
    commands = ["next", "next", "inject hotline_down", 'inject "Jamming over the Baltic" --tension 5',
                "note --team red probing", "next 12"]
    # the same commands played in one go, in memory, give the reference state and the entry counts
    ref = Session.start(load_scenario(BASELINE), seed=7)
    counts = []
    for c in commands:
        assert execute(ref, c).items[0].kind != "error", c
        counts.append(len(ref.entries))
    assert ref.pending and ref.pending["decision"] == "saceur_deconfliction"

    proc = subprocess.Popen([*CLI, "workshop", str(BASELINE), "--seed", "7", "--session", str(log)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_lines(log, 1)
        for c, n in zip(commands, counts, strict=False):
            proc.stdin.write(c + "\n")
            proc.stdin.flush()
            _wait_lines(log, n)
        proc.stdin.write("decide saceur")                  # being typed when the power goes
        proc.stdin.flush()
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    kinds = [json.loads(x)["kind"] for x in log.read_text().splitlines()]
    assert "close" not in kinds and kinds[:6] == ["open", "next", "next", "inject", "inject", "note"]

    assert len(log.read_text().splitlines()) == counts[-1]
    resumed = Session.from_log(log, lambda p, o: load_scenario(p, o))
    assert build_board(resumed) == build_board(ref)
    assert resumed.view().to_json() == ref.view().to_json()

    out = tmp_path / "after.json"
    r = _cli("workshop", "--resume", str(log), stdin=f"save {out}\ndecide saceur_deconfliction forward\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["board"] == json.loads(json.dumps(build_board(ref)))
    assert json.loads(out.read_text())["state"] == json.loads(json.dumps(ref.view().state))
    tail = [json.loads(x) for x in log.read_text().splitlines()][-2:]
    assert [e["kind"] for e in tail] == ["decide", "close"] and tail[0]["option"] == "forward"


def test_resume_refuses_options_the_log_already_fixes(tmp_path):
    log = tmp_path / "s.jsonl"
    r = _cli("workshop", str(BASELINE), "--session", str(log), "--seed", "4", stdin="next\nquit\n")
    assert r.returncode == 0, r.stderr
    for extra in (["--seed", "5"], ["--turn", "3h"], ["--teams", "a,b"]):
        r = _cli("workshop", "--resume", str(log), *extra, stdin="")
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"drop {extra[0]}" in r.stderr
    r = _cli("workshop", "--resume", str(log), stdin="quit\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(log.read_text().splitlines()[0])["seed"] == 4


@pytest.mark.skipif(os.name != "posix", reason="flock and SIGKILL")
def test_second_resume_refused_while_a_session_runs_and_allowed_after_it_dies(tmp_path):
    log = tmp_path / "ws.jsonl"
    r = _cli("workshop", str(BASELINE), "--session", str(log), stdin="next\n")
    assert r.returncode == 0, r.stderr
    proc = subprocess.Popen([*CLI, "workshop", "--resume", str(log)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == f"session log: {log}\n"   # printed once the log is locked
        before = log.read_bytes()
        r = _cli("workshop", "--resume", str(log), stdin="next\nquit\n")
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr == f"error: {log}: another session has it open; quit that session first, then resume\n"
        assert log.read_bytes() == before
        proc.send_signal(signal.SIGKILL)             # a crash leaves no stale lock
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    r = _cli("workshop", "--resume", str(log), stdin="next\nquit\n")
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["kind"] for x in log.read_text().splitlines()][-2:] == ["next", "close"]
