"""Faults and signals (issue 11): damaged, full and read-only stores, killed workers, SIGTERM and SIGHUP,
an unreachable cluster, runaway grids and reps, workshop write failures, report folders.

Every fault ends in one line (no traceback), a clear exit code, and nothing written where it must not be.
Subprocess tests have bounded timeouts; the batches are small."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT
from typer.testing import CliRunner

from sim.batch.executors import BackendError
from sim.batch.runner import Interrupted, run_batch
from sim.batch.store import Store, StoreError
from sim.cli.app import app

CLI = [sys.executable, "-m", "sim"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def invoke(*args, **kw):
    return CliRunner().invoke(app, [str(a) for a in args], **kw)


def cli(*args, timeout=60, preexec=None, **kw):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV,
                          cwd=ROOT, preexec_fn=preexec, **kw)


def one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A results database with one finished batch (and its --json), made once."""
    d = tmp_path_factory.mktemp("faults")
    r = invoke("batch", BASELINE, "--reps", 24, "--seed", 7, "-w", 1, "--db", d / "r.db", "--json")
    assert r.exit_code == 0, r.output
    return d / "r.db", r.stdout


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made read-only for this process: chmod for a normal user; a read-only bind mount for root
    (root writes through permissions). Skips where neither works."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    ro = folder.with_name(folder.name + "-ro")
    ro.mkdir()
    ok = subprocess.run(["mount", "--bind", str(folder), str(ro)], capture_output=True).returncode == 0
    if ok and subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], capture_output=True).returncode != 0:
        subprocess.run(["umount", str(ro)], capture_output=True)
        ok = False
    if not ok:
        pytest.skip("running as root without mount: no way to make a read-only folder")
    try:
        yield ro
    finally:
        if subprocess.run(["umount", str(ro)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(ro)], capture_output=True)


def file_size_limit(nbytes: int):
    """preexec_fn: a process that cannot write files past ``nbytes`` (a full disk, as the process sees it)."""
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return limit


# --- item 5: a damaged database ---------------------------------------------------------------------------

def test_damaged_database_is_refused_on_open_in_one_line_and_never_written(stored, tmp_path):
    db, _ = stored
    raw = bytearray(db.read_bytes())
    assert len(raw) > 8 * 4096
    for off in range(4096, len(raw), 8192):  # overwrite every other 4 KiB page, the first kept
        raw[off:off + 4096] = b"\xff" * len(raw[off:off + 4096])
    bad = tmp_path / "bad.db"
    bad.write_bytes(bytes(raw))
    before = md5(bad)
    for args in (["results", "--db", bad], ["export", 1, "--db", bad, "--out", tmp_path / "x.csv"],
                 ["report", "--db", bad, "--batch", 1, "--out", tmp_path / "rep"],
                 ["batch", BASELINE, "--reps", 3, "-w", 1, "--db", bad]):
        r = invoke(*args)
        assert r.exit_code == 2, (args, r.output)
        line = one_line(r.stderr)
        assert f"{bad}: the results database is damaged" in line and "left untouched" in line
    assert md5(bad) == before
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "rep").exists()


# --- items 6 and 28: full disk, read-only folders and files -----------------------------------------------

def test_full_disk_under_db_is_one_line_naming_resume_and_the_batch_resumes(stored, tmp_path):
    _, expected = stored
    db = tmp_path / "full.db"
    r = cli("batch", BASELINE, "--reps", 24, "--seed", 7, "-w", 1, "--db", db, "--json",
            preexec=file_size_limit(200_000))  # the schema fits (8 KB pages, WAL), 24 reps do not
    assert r.returncode == 1, r.stderr
    line = one_line(r.stderr)
    assert f"{db}: cannot write:" in line and "--resume" in line and r.stdout == ""
    r = invoke("batch", BASELINE, "--reps", 24, "--seed", 7, "-w", 1, "--db", db, "--json", "--resume")
    assert r.exit_code == 0, r.output
    assert r.stdout == expected


def test_db_in_a_read_only_folder_is_one_line_and_reading_commands_read_it(stored, tmp_path):
    db, _ = stored
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "r.db").write_bytes(db.read_bytes())
    before = md5(folder / "r.db")
    with read_only(folder) as ro:
        r = invoke("batch", BASELINE, "--reps", 3, "-w", 1, "--db", ro / "r.db")
        assert r.exit_code == 2 and "read-only" in one_line(r.stderr)
        r = invoke("batch", BASELINE, "--reps", 3, "-w", 1, "--db", ro / "sub" / "new.db")
        assert r.exit_code == 2 and f"cannot create its folder {ro / 'sub'}" in one_line(r.stderr)
        r = invoke("results", "--db", ro / "r.db", "--json")
        assert r.exit_code == 0, r.output
        assert [b["stored"] for b in json.loads(r.stdout)] == [24]
        r = invoke("export", 1, "--db", ro / "r.db", "--out", tmp_path / "e.csv")
        assert r.exit_code == 0, r.output
        assert len((tmp_path / "e.csv").read_text().splitlines()) == 25
        assert sorted(p.name for p in folder.iterdir()) == ["r.db"]  # no -wal or -shm could be made there
    assert md5(folder / "r.db") == before


def test_reading_opens_read_only_so_nothing_can_be_written(stored, tmp_path):
    db, _ = stored
    copy = tmp_path / "c.db"
    copy.write_bytes(db.read_bytes())
    with Store(copy, create=False) as st:
        assert st.batch(1)["stored"] == 24
        with pytest.raises(StoreError, match="cannot write: the file is read-only"):
            st.set_status(1, "failed")
    with Store(copy, create=False) as st:
        assert st.batch(1)["status"] == "done"


# --- item 9: a killed pool worker; item 16: SIGTERM, SIGHUP, SIGKILL -----------------------------------------

def _children(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                kids.append(int(d))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stored_count(db: Path) -> int:
    try:
        with Store(db, create=False) as st:
            return st.count(1)
    except Exception:
        return 0


def _start_pool_batch(db: Path, reps: int = 1200):
    proc = subprocess.Popen([*CLI, "batch", str(BASELINE), "--reps", str(reps), "--seed", "3", "-w", "2",
                             "--db", str(db), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV, cwd=ROOT, start_new_session=True)
    deadline = time.time() + 40
    while _stored_count(db) < 20 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert proc.poll() is None and len(workers) >= 2, proc.stderr.read() if proc.poll() is not None else workers
    return proc, workers


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


posix_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@posix_only
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_stop_a_batch_like_ctrl_c(tmp_path, sig, code):
    db = tmp_path / "t.db"
    proc, workers = _start_pool_batch(db)
    try:
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    kept = _stored_count(db)
    line = one_line(stderr)
    assert line == (f"error: interrupted by {signal.Signals(sig).name}: {kept} replications kept in batch 1 of "
                    f"{db}; run the same command with --resume to complete it")
    with Store(db, create=False) as st:
        assert st.batch(1)["status"] == "interrupted"
    assert _gone_within(workers, 5)


@posix_only
def test_workers_leave_by_themselves_when_the_batch_is_killed(tmp_path):
    proc, workers = _start_pool_batch(tmp_path / "k.db")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    try:
        assert _gone_within(workers, 5), [p for p in workers if _alive(p)]
    finally:
        for p in workers:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


FORKSERVER_BATCH = """
import threading, time
if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()  # a thread: workers via forkserver
    from sim.batch import executors
    from sim.batch.runner import run_batch
    assert executors.start_method() == "forkserver"
    run_batch({scenario!r}, 100000, workers=2, db={db!r})
"""


@posix_only
def test_forkserver_workers_leave_too_when_the_batch_is_killed(tmp_path):
    db = tmp_path / "f.db"
    script = tmp_path / "fs.py"
    script.write_text(FORKSERVER_BATCH.format(scenario=str(BASELINE), db=str(db)))
    proc = subprocess.Popen([sys.executable, str(script)], env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 40
    while _stored_count(db) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    tree = [k for c in _children(proc.pid) for k in [c, *_children(c)]]  # forkserver, its workers, the tracker
    assert proc.poll() is None and len(tree) >= 3, tree
    proc.kill()
    proc.wait(timeout=10)
    try:
        assert _gone_within(tree, 5), [p for p in tree if _alive(p)]
    finally:
        for p in tree:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


@posix_only
def test_a_killed_worker_is_one_line_naming_resume_and_the_batch_resumes(tmp_path):
    db = tmp_path / "w.db"
    proc, workers = _start_pool_batch(db, reps=400)
    os.kill(workers[0], signal.SIGKILL)
    try:
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    line = one_line(stderr)
    assert "a worker process died (killed by SIGKILL" in line and "--resume" in line and str(db) in line
    assert _gone_within(workers, 5)
    r = invoke("batch", BASELINE, "--reps", 400, "--seed", 3, "-w", 1, "--db", db, "--json", "--resume")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == run_batch(BASELINE, 400, 3, workers=1).to_json()


# --- item 13: the sweep grid; item 14: chunks made lazily ---------------------------------------------------

def test_a_huge_sweep_grid_is_refused_at_once_with_its_point_count():
    t = time.perf_counter()
    r = invoke("batch", BASELINE, "--reps", 1, "--vary", "forces.vjtf.strength=1:10000:1",
               "--vary", "forces.ru_air.strength=1:10000:1")
    assert time.perf_counter() - t < 10
    assert r.exit_code == 2
    assert "the grid has 100,000,000 points (10,000 x 10,000), more than 10,000" in one_line(r.stderr)


def test_memory_does_not_depend_on_reps():
    tracemalloc.start()
    try:
        t = time.perf_counter()
        with pytest.raises(Interrupted):
            run_batch(BASELINE, 10**9, 0, workers=1, chunk=5, stop_after=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t < 20
    assert peak < 60 * 2**20  # a chunk list up front would be 10 million entries (gigabytes)


# --- item 15: --cluster ------------------------------------------------------------------------------------

@pytest.fixture
def silent_listener():
    """A TCP port that accepts connections and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    held, stop = [], threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(srv.accept()[0])

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    th.join(2)
    for c in held:
        c.close()
    srv.close()


def test_a_silent_cluster_address_fails_within_the_timeout(silent_listener):
    pytest.importorskip("distributed")
    t = time.perf_counter()
    with pytest.raises(BackendError, match="no Dask scheduler answered at .* within 1 s"):
        run_batch(BASELINE, 2, cluster=silent_listener, cluster_timeout=1)
    assert time.perf_counter() - t < 8


def test_a_garbage_cluster_address_is_one_line_and_nothing_after():
    pytest.importorskip("distributed")
    r = cli("batch", BASELINE, "--reps", 2, "--cluster", "garbage", "--db", "/nonexistent/never.db", timeout=40)
    assert r.returncode == 2
    assert one_line(r.stderr) == "error: --cluster garbage: expected tcp://HOST:PORT (the Dask scheduler's address)"


# --- items 7, 8, 26, 27: the workshop --------------------------------------------------------------------------

def test_workshop_save_to_bad_paths_is_one_line_and_the_session_goes_on(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text(f"save /\nsave /etc/passwd/x\nbogus\nnote 'still here'\nsave {tmp_path / 'b.json'}\n")
    log = tmp_path / "w.jsonl"
    r = invoke("workshop", BASELINE, "--script", script, "--session", log)
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "error: save /: is a folder; give a file name (the session goes on)" in r.stdout
    assert "error: save /etc/passwd/x: /etc/passwd is a file, not a folder (the session goes on)" in r.stdout
    assert (tmp_path / "b.json").exists()
    assert [json.loads(x)["kind"] for x in log.read_text().splitlines()] == ["open", "note", "close"]
    assert r.exit_code == 2   # item 27: failing script commands are counted
    assert r.stderr == f"error: {script}: 3 of 5 commands failed (the error lines above say why)\n"


def test_a_clean_script_still_exits_0(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text("note fine\nquit\n")
    r = invoke("workshop", BASELINE, "--script", script, "--session", tmp_path / "w.jsonl")
    assert r.exit_code == 0 and r.stderr == ""


def test_full_disk_mid_workshop_is_one_line_and_the_session_resumes(tmp_path):
    script = tmp_path / "notes.txt"
    script.write_text("".join(f"note 'observation number {i} of the white cell'\n" for i in range(200)))
    log = tmp_path / "w.jsonl"
    r = cli("workshop", BASELINE, "--script", script, "--session", log, preexec=file_size_limit(6000))
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert f"{log}: cannot write the session log:" in line and f"crisis-sim workshop --resume {log}" in line
    written = log.read_bytes()
    assert 0 < len(written) <= 6000
    r = invoke("workshop", "--resume", log, input="note 'after the disk was freed'\nquit\n")
    assert r.exit_code == 0, r.output
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    assert entries[-2]["text"] == "after the disk was freed" and entries[-1]["kind"] == "close"
    assert [e["n"] for e in entries] == list(range(1, len(entries) + 1))


def test_a_skipped_torn_last_line_is_a_warning_on_stderr(tmp_path):
    log = tmp_path / "w.jsonl"
    assert invoke("workshop", BASELINE, "--session", log, input="note one\n").exit_code == 0
    with log.open("a") as fh:
        fh.write('{"v": 1, "ki')
    r = invoke("workshop", "--resume", log, input="quit\n")
    assert r.exit_code == 0, r.output
    assert r.stderr == f"warning: {log}:4: corrupt entry skipped (not a complete JSON entry)\n"
    assert "corrupt entry" not in r.stdout


# --- items 31 and 32: report folders and output paths ---------------------------------------------------------

@pytest.mark.slow
def test_reports_never_overwrite_a_folder_silently(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1650000000")
    name = "nato-response-2022-20220415T052000"
    first = tmp_path / "reports" / name  # what a report of the same second (or the same SOURCE_DATE_EPOCH) left
    (first / "charts").mkdir(parents=True)
    (first / "aar.md").write_text("the first report")
    (first / "charts" / "stale.svg").write_text("<svg/>")
    r = invoke("report", BASELINE, "--reps", 2, "--format", "md")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [name, f"{name}-2"]
    assert (first / "aar.md").read_text() == "the first report" and (first.parent / f"{name}-2" / "aar.md").exists()
    r = invoke("report", BASELINE, "--reps", 2, "--format", "md", "--out", first)
    assert r.exit_code == 2
    assert "already holds aar.md, charts; give another folder, or --force" in one_line(r.stderr)
    r = invoke("report", BASELINE, "--reps", 2, "--format", "md", "--out", first, "--force")
    assert r.exit_code == 0, r.output
    assert not (first / "charts" / "stale.svg").exists() and (first / "charts" / "escalation.svg").exists()
    assert (first / "aar.md").read_text() != "the first report"
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    r = invoke("report", BASELINE, "--reps", 2, "--format", "md", "--out", tmp_path / "mine", "--force")
    assert r.exit_code == 2 and "also holds thesis.tex" in one_line(r.stderr)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "years of work"


def test_unwritable_outputs_are_found_before_any_work(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with read_only(folder) as ro:
        t = time.perf_counter()
        r = invoke("report", BASELINE, "--reps", 100_000, "--out", ro / "rep")
        assert r.exit_code == 2
        assert one_line(r.stderr) == f"error: --out {ro / 'rep'}: cannot write in {ro} (read-only or no permission)"
        r = invoke("batch", BASELINE, "--reps", 100_000, "--chart", ro / "c.svg", "--db", tmp_path / "r.db")
        assert r.exit_code == 2
        assert one_line(r.stderr) == f"error: --chart {ro / 'c.svg'}: cannot write in {ro} (read-only or no permission)"
        assert time.perf_counter() - t < 15  # 100,000 replications would take minutes


@posix_only
def test_sigterm_stops_a_workshop_in_one_line_naming_resume(tmp_path):
    log = tmp_path / "w.jsonl"
    proc = subprocess.Popen([*CLI, "workshop", str(BASELINE), "--session", str(log)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        assert proc.stdout.readline() == f"session log: {log}\n"
        proc.stdin.write("note 'before the signal'\n")
        proc.stdin.flush()
        deadline = time.time() + 20
        while len(log.read_text().splitlines()) < 2 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    assert one_line(stderr) == (f"error: interrupted by SIGTERM; the session log {log} keeps every entry so far: "
                                f"crisis-sim workshop --resume {log} goes on from there")
    r = invoke("workshop", "--resume", log, input="quit\n")
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["kind"] for x in log.read_text().splitlines()][:2] == ["open", "note"]
