"""Bad input a user can give: one clear line per problem, exit code 2, no traceback, no half-written file."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import BASELINE, ROOT
from typer.testing import CliRunner

from sim.cli.app import app
from sim.cli.common import MAX_WORKERS

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def errors(r) -> list[str]:
    """The error lines of a failed command (and no traceback)."""
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return [ln for ln in r.output.splitlines() if ln.startswith("error: ")]


def cli(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=kw.pop("cwd", ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)


def test_ctrl_c_twice_during_a_pooled_batch_exits_130_and_keeps_the_db_consistent(tmp_path):
    """Ctrl-C reaches the workers too, and an impatient user (or `timeout`) may press it twice:
    the batch used to hang for ever after printing 'interrupted' (a worker interrupted mid-protocol,
    or a pool shut-down cut short by the second interrupt)."""
    db = tmp_path / "r.db"
    p = cli("batch", BASELINE, "--reps", 5000, "--workers", 2, "--db", db)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until replications are being stored
        time.sleep(0.1)
        try:
            with sqlite3.connect(db) as c:
                if c.execute("SELECT count(*) FROM rep").fetchone()[0]:
                    break
        except sqlite3.Error:
            pass
    os.killpg(p.pid, signal.SIGINT)
    os.kill(p.pid, signal.SIGINT)
    try:
        _out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError("the interrupted batch hung") from None
    assert p.returncode == 130, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("error: interrupted: "), err
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT status FROM batch").fetchall() == [("interrupted",)]


def test_pool_workers_ignore_ctrl_c():
    from sim.batch.executors import LocalPool

    pool = LocalPool([], 2)
    try:
        assert pool.pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
    finally:
        pool.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_in_any_command_says_interrupted_and_exits_130(monkeypatch):
    """Typer turned Ctrl-C into a silent exit 130 in run, msel, report, workshop, ..."""
    import sim.cli.run_cmd as run_cmd

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_cmd, "run_engine", interrupted)
    r = invoke("run", BASELINE)
    assert r.exit_code == 130
    assert errors(r) == ["error: interrupted"]


def test_ctrl_c_in_a_scripted_workshop_names_the_log_to_resume(monkeypatch, tmp_path):
    import sim.workshop.console as console  # the command imports its loop from there when it runs

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(console, "loop", interrupted)
    log = tmp_path / "s.jsonl"
    r = invoke("workshop", BASELINE, "--session", log)
    assert r.exit_code == 130
    (line,) = errors(r)
    assert line.startswith("error: interrupted;") and f"--resume {log}" in line
    assert log.is_file()


SEED_MSG = "must be a whole number from 0 to 9223372036854775807"


def test_a_negative_seed_is_an_error_in_every_command(tmp_path):
    """numpy's SeedSequence raised ValueError (a traceback) on a negative seed; a batch also left a
    'failed' batch in the store, and a workshop a log its --resume could not open."""
    for args in (["run", BASELINE], ["msel", BASELINE],
                 ["workshop", BASELINE, "--session", tmp_path / "s.jsonl"],
                 ["batch", BASELINE, "--reps", 1, "-w", 1, "--db", tmp_path / "r.db"],
                 ["sensitivity", BASELINE, "-o", "vjtf_ready", "--reps", 1, "-w", 1],
                 ["report", BASELINE, "--reps", 1, "-w", 1, "--out", tmp_path / "r"]):
        r = invoke(*args, "--seed", -1)
        assert r.exit_code == 2, (args, r.output)
        assert errors(r) == [f"error: --seed: {SEED_MSG}, got -1"], args
    assert not list(tmp_path.iterdir())


def test_seeds_counts_and_workers_too_large_for_the_store_or_the_machine(tmp_path):
    """Too large for SQLite's 64-bit integers (OverflowError) or for a C int (--workers)."""
    big = 99999999999999999999999
    r = invoke("batch", BASELINE, "--reps", big, "--workers", big, "--seed", big, "--db", tmp_path / "r.db")
    assert r.exit_code == 2
    assert errors(r) == [f"error: --reps: at most 1,000,000,000 replications, got {big}",
                         f"error: --workers: at most {MAX_WORKERS} local "
                         f"worker processes, got {big} (--cluster runs on more machines)",
                         f"error: --seed: {SEED_MSG}, got {big}"]
    assert not (tmp_path / "r.db").exists()
    r = invoke("report", BASELINE, "--compare", BASELINE, "--compare-seed", -2, "--out", tmp_path / "o")
    assert r.exit_code == 2 and errors(r) == [f"error: --compare-seed: {SEED_MSG}, got -2"]
    r = invoke("sensitivity", BASELINE, "-o", "vjtf_ready", "--top", -1)
    assert r.exit_code == 2 and errors(r) == ["error: --top: must be 0 (every parameter) or more, got -1"]


def test_output_paths_that_are_folders_or_below_a_file_are_refused_before_any_work(tmp_path):
    """run --trace DIR and report --out FILE were tracebacks (IsADirectoryError, FileExistsError);
    export/msel/batch said 'cannot write: File exists' for a path below a file, and batch --chart
    and sensitivity --chart found out only after every replication had run."""
    folder, afile = tmp_path / "dir.svg", tmp_path / "f.txt"
    folder.mkdir()
    afile.write_text("keep me")
    db = tmp_path / "r.db"
    cases = [
        (["run", BASELINE, "--trace", folder], f"error: --trace {folder}: is a folder; give a file name"),
        (["run", BASELINE, "--trace", afile / "t.jsonl"],
         f"error: --trace {afile / 't.jsonl'}: {afile} is a file, not a folder"),
        (["batch", BASELINE, "--reps", 1, "-w", 1, "--db", db, "--chart", folder],
         f"error: --chart {folder}: is a folder; give a file name"),
        (["sensitivity", BASELINE, "-o", "vjtf_ready", "--chart", afile / "c.png"],
         f"error: --chart {afile / 'c.png'}: {afile} is a file, not a folder"),
        (["msel", BASELINE, "--out", folder], f"error: --out {folder}: is a folder; give a file name"),
        (["export", 1, "--db", db, "--out", afile / "x.csv"],
         f"error: --out {afile / 'x.csv'}: {afile} is a file, not a folder"),
        (["report", BASELINE, "--out", afile], f"error: --out {afile}: is a file; give a folder to write the report into"),
        (["workshop", BASELINE, "--session", folder], f"error: --session {folder}: is a folder; give a file name"),
    ]
    for args, line in cases:
        r = invoke(*args)
        assert r.exit_code == 2, (args, r.output)
        assert errors(r) == [line], args
    assert not db.exists() and afile.read_text() == "keep me" and not list(folder.iterdir())


def test_an_unwritable_report_folder_is_one_line(tmp_path, monkeypatch):
    import sim.report.generate as generate

    def refuse(path, data):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(generate, "atomic_write", refuse)
    r = invoke("report", BASELINE, "--reps", 1, "-w", 1, "--out", tmp_path / "r")
    assert r.exit_code == 2
    (line,) = errors(r)
    assert line.startswith(f"error: --out {tmp_path / 'r'}") and line.endswith("cannot write: Permission denied")


def test_reading_commands_leave_a_file_that_is_not_a_results_db_as_it_was(tmp_path):
    """results/export/report --db on an empty file or another program's SQLite file used to add
    crisis-sim's tables to it (an empty notes.yaml became a database) and report 'no batches'."""
    empty = tmp_path / "notes.yaml"
    empty.write_text("")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE foo (x)")
    c.close()
    before = other.read_bytes()
    for args in (["results"], ["export", 1], ["report", "--batch", 1]):
        r = invoke(*args, "--db", empty)
        assert r.exit_code == 2 and errors(r) == [f"error: {empty}: not a results database (an empty file); "
                                                  "crisis-sim batch --db FILE makes one"], args
        r = invoke(*args, "--db", other)
        assert r.exit_code == 2 and errors(r) == [f"error: {other}: not a results database (an SQLite file "
                                                  "without crisis-sim's batch table; it has foo)"], args
    r = invoke("batch", BASELINE, "--reps", 1, "-w", 1, "--db", other)
    assert r.exit_code == 2
    assert empty.read_bytes() == b"" and other.read_bytes() == before


def test_a_batch_id_too_large_for_sqlite_is_no_such_batch(tmp_path):
    db = tmp_path / "r.db"
    assert invoke("batch", BASELINE, "--reps", 1, "-w", 1, "--db", db).exit_code == 0
    big = 2**70
    r = invoke("export", big, "--db", db)
    assert r.exit_code == 2 and errors(r) == [f"error: no batch {big} in {db} (batches: 1)"]
    r = invoke("report", "--db", db, "--batch", big)
    assert r.exit_code == 2 and errors(r) == [f"error: {db}: no batch {big}"]


def test_a_hand_edited_session_log_with_bad_open_values_is_one_line(tmp_path):
    """workshop --resume crashed (int('x'), a zero turn, a numeric override) and report --session
    said 'invalid literal for int() with base 10' or "argument of type 'int' is not iterable"."""
    import json

    log = tmp_path / "s.jsonl"
    script = tmp_path / "cmds.txt"
    script.write_text("quit\n")
    assert invoke("workshop", BASELINE, "--session", log, "--script", script).exit_code == 0
    good = [json.loads(x) for x in log.read_text().splitlines()]
    for field, value, why in (("seed", "x", "'seed' must be a whole number from 0 to 9223372036854775807, got 'x'"),
                              ("turn_h", 0, "'turn_h' must be a positive number of hours, got 0"),
                              ("overrides", [5], "'overrides' must be a list of path=value texts, got [5]"),
                              ("teams", [], "'teams' must be a list of team names, got []")):
        entries = [dict(e) for e in good]
        for e in entries:
            if e["kind"] == "open" or field == "seed":
                e[field] = value
        bad = tmp_path / f"bad-{field}.jsonl"
        bad.write_text("".join(json.dumps(e) + "\n" for e in entries))
        for args in (["workshop", "--resume", bad, "--script", script], ["report", "--session", bad]):
            r = invoke(*args)
            assert r.exit_code == 2, (args, r.output)
            assert errors(r) == [f"error: {bad}:1: open entry: {why}"], args


def test_msel_pace_turn_and_start_out_of_range_are_one_line(tmp_path):
    """--minutes-per-turn 1e308 and a --start near 9999 were OverflowError tracebacks; a turn of
    1e-7 minutes or 1e20 days gave a nonsense MSEL (turn 11804318401, ENDEX at +43200000000:00)."""
    cases = [(["--minutes-per-turn", "1e308"],
              "error: --minutes-per-turn: expected a number of minutes from 1 to 1440 (a day), got '1e308'"),
             (["--start", "9999-12-31T23:59", "--minutes-per-turn", "1000"],
              "error: --start 9999-12-31T23:59: the exercise would run past the year 9999 at this pace; "
              "give an earlier --start"),
             (["--turn", "0.0000001m"], "error: --turn: a turn is 1 minute to 90 days (the longest scenario), "
                                        "got '0.0000001m'"),
             (["--turn", "99999999999999999999d"], "error: --turn: a turn is 1 minute to 90 days (the longest "
                                                   "scenario), got '99999999999999999999d'")]
    for args, line in cases:
        r = invoke("msel", BASELINE, *args)
        assert r.exit_code == 2, (args, r.output)
        assert errors(r) == [line], args
    r = invoke("workshop", BASELINE, "--turn", "0.001m", "--session", tmp_path / "s.jsonl")
    assert r.exit_code == 2 and errors(r)[0].startswith("error: --turn: a turn is 1 minute")
    assert not (tmp_path / "s.jsonl").exists()


@pytest.mark.parametrize("setting", ["forces.vjtf.strength=.inf", "escalation.half_life_h=.nan",
                                     "forces.vjtf.notice_to_move_h.high=1e400"])
def test_infinite_or_nan_figures_are_refused(setting):
    r = CliRunner().invoke(app, ["validate", str(BASELINE), "--set", setting])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and setting.split("=")[0] in lines[0], r.output
