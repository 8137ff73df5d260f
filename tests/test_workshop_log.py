"""Workshop session log: self-describing fsynced entries, resume by replay, damaged logs."""
from __future__ import annotations

import json

import pytest
from conftest import BASELINE
from typer.testing import CliRunner

from sim import load_scenario
from sim.cli.app import app
from sim.workshop import LogError, Session, read_log
from sim.workshop.board import build_board

COMMANDS = ["next", "next", "inject airspace_violation",
            'note --team blue --objective no_armed_incident "intercept went fine"', "next 12",
            'decide saceur_deconfliction forward "show of force"', "next"]


def _load(path, overrides):
    return load_scenario(path, overrides)


def _session(tmp_path, name="s.jsonl", commands=COMMANDS, seed=2):
    from sim.workshop.commands import execute

    log = tmp_path / name
    sess = Session.start(load_scenario(BASELINE), seed=seed, log_path=log, scenario_path=str(BASELINE))
    for c in commands:
        assert execute(sess, c).items[0].kind != "error", c
    sess.writer.close()
    return sess, log


def test_entries_are_self_describing(tmp_path):
    _sess, log = _session(tmp_path)
    lines = log.read_text().splitlines()
    entries = [json.loads(x) for x in lines]
    assert [e["n"] for e in entries] == list(range(1, len(entries) + 1))
    s = load_scenario(BASELINE)
    for e in entries:
        assert e["v"] == 1 and e["scenario"] == s.name and e["scenario_hash"] == s.content_hash and e["seed"] == 2
        assert isinstance(e["sim_h"], float) and "T" in e["wall"]
    assert entries[0]["kind"] == "open" and entries[0]["turn_h"] == 6.0 and entries[0]["path"] == str(BASELINE)
    kinds = [e["kind"] for e in entries]
    assert kinds[:5] == ["open", "next", "next", "inject", "note"] and kinds[-2:] == ["decide", "next"]
    assert set(kinds[5:-2]) == {"next"}
    assert entries[3]["inject"] == "airspace_violation" and entries[3]["sim_h"] == entries[2]["sim_h"]
    d = entries[-2]
    assert (d["decision"], d["option"], d["team"], d["rationale"]) == ("saceur_deconfliction", "forward", "blue",
                                                                      "show of force")
    assert d["sim_h"] == d["decision_h"] == entries[-3]["sim_h"] and entries[-3]["stop"] == "decision"


def test_resume_rebuilds_the_same_board(tmp_path):
    sess, log = _session(tmp_path)
    again = Session.from_log(log, _load)
    assert build_board(again) == build_board(sess)
    assert again.view().to_json() == sess.view().to_json()
    assert again.history() == sess.history()


def test_corrupt_last_line_is_skipped_and_cut_on_append(tmp_path):
    sess, log = _session(tmp_path)
    n_lines = len(log.read_text().splitlines())
    good = build_board(sess)
    with log.open("a") as fh:
        fh.write('{"v": 1, "kind": "next", "scen')          # a write cut short by a crash
    contents = read_log(log)
    assert contents.warnings == [f"{log}:{n_lines + 1}: corrupt entry skipped (not a complete JSON entry)"]
    resumed = Session.from_log(contents, _load, append=True)
    assert build_board(resumed) == good
    resumed.next()
    resumed.close()
    entries = [json.loads(x) for x in log.read_text().splitlines()]   # every line parses again
    assert [e["kind"] for e in entries[-2:]] == ["next", "close"] and entries[-1]["n"] == n_lines + 2


def test_corrupt_middle_line_is_an_error(tmp_path):
    _, log = _session(tmp_path)
    lines = log.read_text().splitlines()
    lines[2] = lines[2][:-5]
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogError) as exc:
        read_log(log)
    assert exc.value.problems == [f"{log}:3: not a complete JSON entry"]


def test_entry_from_another_seed_is_an_error(tmp_path):
    _, log = _session(tmp_path)
    lines = log.read_text().splitlines()
    e = json.loads(lines[3])
    e["seed"] = 99
    lines[3] = json.dumps(e)
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogError, match=r":4: seed 99 differs from the open entry's 2"):
        read_log(log)


def test_cli_resume_reports_skip_then_continues(tmp_path):
    sess, log = _session(tmp_path)
    with log.open("a") as fh:
        fh.write('{"v": 1, "ki')
    script = tmp_path / "more.txt"
    script.write_text(f"save {tmp_path / 'board.json'}\n")
    r = CliRunner().invoke(app, ["workshop", "--resume", str(log), "--script", str(script)])
    assert r.exit_code == 0, r.output
    n = len(log.read_text().splitlines())
    assert f"{log}:{n}: corrupt entry skipped" in r.output
    saved = json.loads((tmp_path / "board.json").read_text())
    assert saved["board"] == json.loads(json.dumps(build_board(sess)))
    assert json.loads(log.read_text().splitlines()[-1])["kind"] == "close"


def test_cli_corrupt_middle_line_exits_2(tmp_path):
    _, log = _session(tmp_path)
    lines = log.read_text().splitlines()
    lines[1] = "garbage"
    log.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(app, ["workshop", "--resume", str(log)], input="")
    assert r.exit_code == 2
    assert f"{log}:2: not a complete JSON entry" in r.output
    assert "Traceback" not in r.output


def test_cli_refuses_a_log_of_another_scenario_version(tmp_path, write):
    src = write("base.yaml", BASELINE.read_text())
    script = tmp_path / "s.txt"
    script.write_text("next\nnext\n")
    log = tmp_path / "ws.jsonl"
    r = CliRunner().invoke(app, ["workshop", str(src), "--session", str(log), "--script", str(script)])
    assert r.exit_code == 0, r.output
    old = load_scenario(src).content_hash
    src.write_text(BASELINE.read_text().replace("horizon_h: 144", "horizon_h: 150"))
    new = load_scenario(src).content_hash
    assert old != new
    r = CliRunner().invoke(app, ["workshop", "--resume", str(log)], input="")
    assert r.exit_code == 2
    assert old in r.output and new in r.output and "changed since the session" in r.output


def test_cli_bad_input_exit_2(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["workshop"])
    assert r.exit_code == 2 and "give a SCENARIO file, or --resume FILE" in r.output
    r = runner.invoke(app, ["workshop", str(BASELINE), "--turn", "soon", "--session", str(tmp_path / "a.jsonl")])
    assert r.exit_code == 2 and "--turn: expected a duration" in r.output
    r = runner.invoke(app, ["workshop", "--resume", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2 and "missing.jsonl: no such session log" in r.output
    r = runner.invoke(app, ["workshop", str(BASELINE), "--script", str(tmp_path / "nope.txt")])
    assert r.exit_code == 2 and "nope.txt: no such script file" in r.output
    r = runner.invoke(app, ["workshop", str(BASELINE), "--set", "forces.vjtf.nonesuch=1",
                            "--session", str(tmp_path / "b.jsonl")], input="")
    assert r.exit_code == 2 and "forces.vjtf.nonesuch" in r.output
    existing = tmp_path / "exists.jsonl"
    existing.write_text("x\n")
    r = runner.invoke(app, ["workshop", str(BASELINE), "--session", str(existing)], input="")
    assert r.exit_code == 2 and "already exists; use --resume" in r.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = runner.invoke(app, ["workshop", "--resume", str(empty)])
    assert r.exit_code == 2 and "empty session log" in r.output


def test_cli_resume_refused_while_another_session_has_the_log(tmp_path):
    _, log = _session(tmp_path)
    with log.open("a") as fh:
        fh.write('{"v": 1, "ki')                   # a damaged tail a resume would cut: it must stay
    holder = Session.from_log(log, _load, append=True)      # holds the lock until it is closed
    before = log.read_bytes()
    script = tmp_path / "more.txt"
    script.write_text("next\nnote more\n")
    runner = CliRunner()
    for extra in ([], ["--script", str(script)]):
        r = runner.invoke(app, ["workshop", "--resume", str(log), *extra], input="next\n")
        assert r.exit_code == 2, r.output
        assert r.output == f"error: {log}: another session has it open; quit that session first, then resume\n"
        assert log.read_bytes() == before
    holder.next()                                  # the holder goes on writing undisturbed
    holder.close()
    r = runner.invoke(app, ["workshop", "--resume", str(log), "--script", str(script)])
    assert r.exit_code == 0, r.output
    kinds = [json.loads(x)["kind"] for x in log.read_text().splitlines()]
    assert kinds[-5:] == ["next", "close", "next", "note", "close"]


def test_lock_is_released_when_a_session_ends(tmp_path):
    from sim.workshop import LogLocked

    _, log = _session(tmp_path)                    # _session closed its writer: the lock went with it
    first = Session.from_log(log, _load, append=True)
    with pytest.raises(LogLocked, match="another session has it open"):
        Session.from_log(log, _load, append=True)
    first.close()
    second = Session.from_log(log, _load, append=True)
    second.next()
    second.close()
    assert [json.loads(x)["kind"] for x in log.read_text().splitlines()][-3:] == ["close", "next", "close"]


def test_a_log_written_while_being_read_is_not_cut(tmp_path):
    _, log = _session(tmp_path)
    stale = read_log(log)
    other = Session.from_log(log, _load, append=True)   # another session writes after our read, then ends
    other.next()
    other.close()
    before = log.read_bytes()
    with pytest.raises(LogError, match="wrote to it while it was being read; resume again"):
        Session.from_log(stale, _load, append=True)
    assert log.read_bytes() == before
