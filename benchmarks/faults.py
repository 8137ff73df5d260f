"""Fault script (issue 11): attack batches and stores as a careless user, a crash or a full disk would,
and print a table of outcomes (a script, not a test; bounded in time).

    PYTHONPATH=$PWD /work/venv/bin/python benchmarks/faults.py [--kills 25] [--reps 1500] [--budget 900]

Attacks:
- kills: ``--kills`` batches (2 workers, a fresh results database each) get SIGKILL, SIGTERM or SIGHUP
  (chosen at random, seeded) at a random moment, from start-up to the end of the work; each is then
  resumed with ``--resume --json`` and compared byte for byte with an uninterrupted batch's ``--json``.
  A worker still alive 5 s after its parent ended counts against the run; so does a traceback, an exit
  code other than 128+N (or -9 for SIGKILL), or a batch left marked ``running`` after SIGTERM/SIGHUP.
- a killed worker (kill -9 of one pool worker), then resumed and compared the same way;
- a damaged database (every other 4 KiB page overwritten): batch, results, export, report --db;
- a full disk under --db (a 256 KiB tmpfs when run as root and mount works, else RLIMIT_FSIZE), then the
  database copied elsewhere and resumed;
- a read-only database and a read-only folder (a read-only bind mount as root, else chmod);
- a full disk in the middle of a workshop (RLIMIT_FSIZE), then resumed.

Each row says how many runs behaved (one line on stderr, the right exit code, no traceback, no data
written where it must not be, results identical after resume). The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
S = ROOT / "scenarios" / "nato-response-2022.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-m", "sim"]


@dataclass
class Row:
    attack: str
    runs: int = 0
    ok: int = 0
    tracebacks: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, good: bool, stderr: str = "", note: str = "") -> None:
        self.runs += 1
        self.ok += good
        self.tracebacks += "Traceback" in stderr
        if note and (not good or not self.notes) and note not in self.notes:
            self.notes.append(note)


def run(*args, timeout: float = 120, preexec: Callable[[], None] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV,
                          cwd=ROOT, preexec_fn=preexec, **kw)


def one_line(stderr: str) -> bool:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr


def md5(p: Path) -> str:
    return hashlib.md5(p.read_bytes()).hexdigest()


def children(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(st[1]) == pid:
                kids.append(int(d))
    return kids


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def status(db: Path) -> tuple[str, int]:
    import sqlite3
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT status, (SELECT count(*) FROM rep) FROM batch WHERE id = 1").fetchone()
        finally:
            con.close()
        return (row[0], row[1]) if row else ("none", 0)
    except sqlite3.Error:
        return ("none", 0)


def size_limit(nbytes: int) -> Callable[[], None]:
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return limit


def mounted(cmds: list[list[str]]) -> bool:
    return os.geteuid() == 0 and all(subprocess.run(c, capture_output=True).returncode == 0 for c in cmds)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path | None]:
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    ro = folder.with_name(folder.name + "-ro")
    ro.mkdir()
    if not mounted([["mount", "--bind", str(folder), str(ro)], ["mount", "-o", "remount,bind,ro", str(ro)]]):
        subprocess.run(["umount", str(ro)], capture_output=True)
        yield None
        return
    try:
        yield ro
    finally:
        if subprocess.run(["umount", str(ro)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(ro)], capture_output=True)


def batch_args(reps: int, db: Path, workers: int = 2) -> list:
    return ["batch", S, "--reps", reps, "--seed", 11, "-w", workers, "--db", db, "--json"]


def kills(tmp: Path, n: int, reps: int, ref: str, span: float, rng: random.Random, deadline: float,
          rows: dict[str, Row]) -> dict:
    expected = {signal.SIGKILL: -9, signal.SIGTERM: 143, signal.SIGHUP: 129}
    left_alive = identical = finished_first = before_start = 0
    for i in range(n):
        if time.time() > deadline:
            rows["kill"].notes.append(f"stopped after {i} of {n}: time budget spent")
            break
        sig = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
        row = rows[f"batch + {sig.name}"]
        db = tmp / f"kill-{i}.db"
        proc = subprocess.Popen([*CLI, *map(str, batch_args(reps, db))], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT, start_new_session=True)
        at = rng.uniform(0.2, 0.8 * span)
        t0 = time.time()
        kids: list[int] = []
        while time.time() - t0 < at and proc.poll() is None:
            kids = children(proc.pid) or kids
            time.sleep(0.02)
        kids = children(proc.pid) or kids
        if proc.poll() is not None:
            finished_first += 1
            proc.communicate()
            row.add(True, note="some finished before the signal")
            continue
        proc.send_signal(sig)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            row.add(False, err, "did not stop within 60 s")
            continue
        died = time.time()
        st, kept = status(db)
        if st == "done":  # the signal came as the finished batch was closing down (or writing its output)
            finished_first += 1
            good = "Traceback" not in err and (out == ref if proc.returncode == 0 else
                                                proc.returncode in (expected[sig], -sig) and not err.strip())
            row.add(good, err, f"some had finished when the signal came (exit {proc.returncode})")
            continue
        resume = subprocess.Popen([*CLI, *map(str, batch_args(reps, db)), "--resume"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
        time.sleep(max(0.0, died + 5 - time.time()))  # the old workers, 5 s after their parent ended
        stray = [k for k in kids if alive(k)]
        left_alive += len(stray)
        for k in stray:
            os.kill(k, signal.SIGKILL)
        early = st == "none"  # no batch row yet: still starting (a signal before the command's handlers are
        # in place takes its default action, -N; nothing is stored, there is nothing to resume)
        codes = {expected[sig], -sig} if early else {expected[sig]}
        good = proc.returncode in codes and not stray and "Traceback" not in err
        if sig != signal.SIGKILL and not early:
            good = good and one_line(err) and "--resume" in err and st == "interrupted"
        elif sig != signal.SIGKILL:
            good = good and (not err.strip() or one_line(err))
        before_start += early
        out, rerr = resume.communicate(timeout=300)
        r = subprocess.CompletedProcess(resume.args, resume.returncode, out, rerr)
        same = r.returncode == 0 and r.stdout == ref
        identical += same
        good = good and same
        note = (f"killed at {at:.1f} s, {kept} kept, status {st}, exit {proc.returncode}"
                + (" (before the batch row existed)" if early else "")
                + ("" if same else ", RESUME DIFFERS") + (f", {len(stray)} workers left" if stray else ""))
        row.add(good, err + r.stderr, note)
        print(f"  {i + 1}/{n} {sig.name}: {'ok' if good else 'BAD'} ({note})", flush=True)
    return {"kills": sum(rows[f"batch + {s.name}"].runs for s in expected), "kills_identical": identical,
            "kills_finished_first": finished_first, "kills_before_batch_row": before_start,
            "workers_alive_5s": left_alive}


def killed_worker(tmp: Path, reps: int, ref: str, row: Row) -> None:
    db = tmp / "worker.db"
    proc = subprocess.Popen([*CLI, *map(str, batch_args(reps, db))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, cwd=ROOT, start_new_session=True)
    t0 = time.time()
    while status(db)[1] < 20 and proc.poll() is None and time.time() - t0 < 60:
        time.sleep(0.05)
    kids = children(proc.pid)
    if proc.poll() is not None or not kids:
        proc.communicate()
        row.add(False, note="batch ended before a worker could be killed")
        return
    os.kill(kids[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    time.sleep(1)
    r = run(*batch_args(reps, db), "--resume", timeout=300)
    good = (proc.returncode == 1 and one_line(err) and "worker process died" in err and "--resume" in err
            and not any(alive(k) for k in kids) and r.stdout == ref)
    row.add(good, err, err.strip()[:110] + ("" if r.stdout == ref else " / RESUME DIFFERS"))


def damaged(tmp: Path, db: Path, row: Row) -> None:
    raw = bytearray(db.read_bytes())
    for off in range(4096, len(raw), 8192):
        raw[off:off + 4096] = b"\xff" * len(raw[off:off + 4096])
    bad = tmp / "damaged.db"
    bad.write_bytes(bytes(raw))
    before = md5(bad)
    for args in (["batch", S, "--reps", 5, "-w", 1, "--db", bad], ["results", "--db", bad],
                 ["export", 1, "--db", bad, "--out", tmp / "d.csv"],
                 ["report", "--db", bad, "--batch", 1, "--out", tmp / "d-report"]):
        r = run(*args)
        row.add(r.returncode == 2 and one_line(r.stderr) and "damaged" in r.stderr and md5(bad) == before,
                r.stderr, f"{args[0]}: " + r.stderr.strip()[:100])


def full_disk(tmp: Path, reps: int, ref: str, row: Row) -> str:
    where = tmp / "full"
    where.mkdir()
    how = "tmpfs 256 KiB" if mounted([["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)]]) else \
        "RLIMIT_FSIZE 256 KiB"
    try:
        db = where / "r.db"
        r = run(*batch_args(reps, db), preexec=None if how.startswith("tmpfs") else size_limit(256 * 1024))
        copy = tmp / "after-full.db"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db}{suffix}").exists():
                shutil.copyfile(f"{db}{suffix}", f"{copy}{suffix}")
        again = run(*batch_args(reps, copy), "--resume", timeout=300)
        good = r.returncode == 1 and one_line(r.stderr) and "--resume" in r.stderr and again.stdout == ref
        row.add(good, r.stderr, f"{how}: " + r.stderr.strip()[:100] + ("" if again.stdout == ref else " / RESUME DIFFERS"))
    finally:
        if how.startswith("tmpfs"):
            subprocess.run(["umount", str(where)], capture_output=True)
    return how


def read_only_cases(tmp: Path, db: Path, row: Row) -> None:
    folder = tmp / "ro"
    folder.mkdir()
    shutil.copyfile(db, folder / "r.db")
    before = md5(folder / "r.db")
    with read_only(folder) as ro:
        if ro is None:
            row.notes.append("no way to make a read-only folder here (root without mount)")
            return
        for args, code, want in ((["results", "--db", ro / "r.db"], 0, ""),
                                 (["export", 1, "--db", ro / "r.db", "--out", tmp / "ro.csv"], 0, ""),
                                 (["report", "--db", ro / "r.db", "--batch", 1, "--reps", 5, "--format", "md",
                                   "--out", tmp / "ro-report"], 0, ""),
                                 (["batch", S, "--reps", 5, "-w", 1, "--db", ro / "r.db"], 2, "read-only"),
                                 (["batch", S, "--reps", 5, "-w", 1, "--db", ro / "new" / "r.db"], 2, "cannot create"),
                                 (["report", S, "--reps", 5, "--out", ro / "rep"], 2, "cannot write")):
            r = run(*args)
            good = r.returncode == code and "Traceback" not in r.stderr and (not code or (one_line(r.stderr)
                                                                                       and want in r.stderr))
            row.add(good, r.stderr, f"{args[0]} exit {r.returncode}" + (f": {r.stderr.strip()[:90]}" if code else ""))
    row.add(md5(folder / "r.db") == before, note="database unchanged")


def workshop_full(tmp: Path, row: Row) -> None:
    script = tmp / "notes.txt"
    script.write_text("".join(f"note 'observation {i} of the white cell'\n" for i in range(300)))
    log = tmp / "ws.jsonl"
    r = run("workshop", S, "--script", script, "--session", log, preexec=size_limit(8000))
    again = run("workshop", "--resume", log, input="note 'disk freed'\nquit\n")
    kinds = [json.loads(x)["kind"] for x in log.read_text().splitlines()] if again.returncode == 0 else []
    good = r.returncode == 1 and one_line(r.stderr) and "--resume" in r.stderr and kinds[-2:] == ["note", "close"]
    row.add(good, r.stderr + again.stderr, r.stderr.strip()[:110])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=25)
    ap.add_argument("--reps", type=int, default=800)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--budget", type=float, default=900, help="seconds for the whole script (kills stop early)")
    a = ap.parse_args()
    t_start = time.time()
    deadline = t_start + a.budget
    rng = random.Random(a.seed)
    rows = {k: Row(k) for k in ("batch + SIGKILL", "batch + SIGTERM", "batch + SIGHUP", "kill")}
    for name in ("worker kill -9", "damaged database", "full disk under --db", "read-only database and folder",
                 "full disk mid-workshop"):
        rows[name] = Row(name)
    with tempfile.TemporaryDirectory(prefix="crisis-faults-") as d:
        tmp = Path(d)
        t0 = time.time()
        ref_run = run(*batch_args(a.reps, tmp / "ref.db"), timeout=600)
        span = time.time() - t0
        assert ref_run.returncode == 0, ref_run.stderr
        ref = ref_run.stdout
        print(f"reference: {a.reps} replications, 2 workers, {span:.1f} s; kills at 0.2 s to {0.8 * span:.1f} s",
              flush=True)
        figures = kills(tmp, a.kills, a.reps, ref, span, rng, deadline - 120, rows)
        killed_worker(tmp, a.reps, ref, rows["worker kill -9"])
        damaged(tmp, tmp / "ref.db", rows["damaged database"])
        figures["full_disk"] = full_disk(tmp, a.reps, ref, rows["full disk under --db"])
        read_only_cases(tmp, tmp / "ref.db", rows["read-only database and folder"])
        workshop_full(tmp, rows["full disk mid-workshop"])
    shown = [r for r in rows.values() if r.runs or r.notes]
    width = max(len(r.attack) for r in shown)
    print(f"\n{'attack':<{width}}  runs  ok  tracebacks  example / problem")
    for r in shown:
        print(f"{r.attack:<{width}}  {r.runs:>4}  {r.ok:>2}  {r.tracebacks:>10}  {'; '.join(r.notes)[:150]}")
    figures.update({"runs": sum(r.runs for r in rows.values()), "ok": sum(r.ok for r in rows.values()),
                    "tracebacks": sum(r.tracebacks for r in rows.values()), "seconds": round(time.time() - t_start, 1),
                    "reps": a.reps, "seed": a.seed})
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
