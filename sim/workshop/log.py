"""The workshop's session log: append-only JSON Lines, one self-describing entry per facilitator action.

Every entry carries the schema version ``v``, its number ``n`` in the log, the
``kind`` (open, next, decide, inject, note, undo, close), the scenario name and
content hash, the seed, the simulated clock ``sim_h`` after the action and the
wall-clock time ``wall`` (exercise time and real time are both kept). Each entry
is written with one ``write`` call, flushed and fsynced before the command's
result is shown, so killing the process loses at most the command being typed.

Reading is strict in the middle and forgiving at the end: a truncated or corrupt
*last* line (a write cut short by a crash) is reported and skipped; a corrupt line
anywhere else is an error naming ``FILE:LINE``.

A :class:`LogWriter` holds an exclusive advisory lock (``flock``) on the log from
before its first write until it is closed, so two facilitators cannot write to the
same log at once: the second gets :class:`LogLocked`. The lock belongs to the open
file, so the kernel drops it when the session ends or the process dies (a crash
never leaves a stale lock). Readers (reports, summaries) do not lock. Where
``fcntl`` is missing (Windows) or the filesystem has no locks, logs are not locked.
"""
from __future__ import annotations

import errno
import json
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: sessions are not locked against each other
    fcntl = None

SCHEMA_VERSION = 1
KINDS = ("open", "next", "decide", "inject", "note", "undo", "close")
COMMON = {"v": int, "n": int, "kind": str, "scenario": str, "scenario_hash": str, "sim_h": (int, float), "wall": str}
PAYLOAD = {
    "open": {"path": str, "overrides": list, "turn_h": (int, float), "teams": list},
    "next": {"from_h": (int, float), "stop": str},
    "decide": {"decision": str, "option": str, "team": str, "rationale": str, "decision_h": (int, float)},
    "inject": {"id": str, "inject": (str, type(None)), "adhoc": (dict, type(None)), "at_h": (int, float)},
    "note": {"text": str, "team": (str, type(None)), "objective": (str, type(None))},
    "undo": {"undoes": int},
    "close": {},
}


class LogError(Exception):
    """A session log that cannot be used: ``problems`` are ``FILE:LINE: message`` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class LogWriteError(OSError):
    """An entry could not be written (a full disk, say): it is not in the log, and the session stops.
    The log keeps every entry before it (a torn last line is dropped on ``--resume``)."""


class LogLocked(LogError):
    """Another session (this process or another) has the log open for writing."""


@dataclass
class LogContents:
    path: Path
    entries: list[dict]
    linenos: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    good_bytes: int = 0          # length of the file up to the end of the last good line
    ends_with_newline: bool = True
    size: int | None = None      # length of the file when it was read


def wall_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _problem(entry, n: int) -> str | None:
    """What is wrong with one parsed entry (None: nothing)."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    v = entry.get("v")
    if isinstance(v, int) and v > SCHEMA_VERSION:
        return f"schema version {v} is newer than this crisis-sim reads ({SCHEMA_VERSION}); upgrade crisis-sim"
    kind = entry.get("kind")
    if kind not in KINDS:
        return f"unknown entry kind {kind!r}"
    for key, typ in {**COMMON, **PAYLOAD[kind]}.items():
        if key not in entry:
            return f"{kind} entry lacks {key!r}"
        if not isinstance(entry[key], typ) or (typ in (int, (int, float)) and isinstance(entry[key], bool)):
            return f"{kind} entry: {key!r} has the wrong type"
    if "seed" not in entry:
        return f"{kind} entry lacks 'seed'"
    if kind == "open":
        seed, turn = entry["seed"], entry["turn_h"]
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
            return f"open entry: 'seed' must be a whole number from 0 to {2**63 - 1}, got {seed!r}"
        if not (math.isfinite(turn) and turn > 0):
            return f"open entry: 'turn_h' must be a positive number of hours, got {turn!r}"
        if not entry["teams"] or not all(isinstance(t, str) and t for t in entry["teams"]):
            return f"open entry: 'teams' must be a list of team names, got {entry['teams']!r}"
        if not all(isinstance(o, str) for o in entry["overrides"]):
            return f"open entry: 'overrides' must be a list of path=value texts, got {entry['overrides']!r}"
    if entry["v"] != SCHEMA_VERSION:
        return f"unknown schema version {entry['v']!r}"
    if entry["n"] != n:
        return f"entry number {entry['n']} where {n} was expected"
    return None


def read_log(path: str | os.PathLike) -> LogContents:
    """Parse and check a session log; raise :class:`LogError` if it cannot be used."""
    path = Path(path)
    label = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LogError([f"{label}: no such session log"]) from None
    except IsADirectoryError:
        raise LogError([f"{label}: is a directory, not a session log"]) from None
    except OSError as exc:
        raise LogError([f"{label}: cannot read: {exc.strerror}"]) from None
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    entries: list[dict] = []
    linenos: list[int] = []
    warnings: list[str] = []
    offset = good = 0
    last_idx = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
    for i, ln in enumerate(lines):
        lineno = i + 1
        end = offset + len(ln) + 1
        if not ln.strip():
            offset = end
            continue
        problem = None
        try:
            entry = json.loads(ln.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            entry, problem = None, "not a complete JSON entry"
        if problem is None:
            problem = _problem(entry, len(entries) + 1)
        if problem is None and entries:
            first = entries[0]
            for key in ("scenario", "scenario_hash", "seed"):
                if entry[key] != first[key]:
                    problem = f"{key} {entry[key]!r} differs from the open entry's {first[key]!r}"
                    break
        if problem is None and (entry["kind"] == "open") != (not entries):
            problem = "the first entry must be the only 'open' entry"
        if problem is not None:
            if i == last_idx and entries and "newer than" not in problem:
                warnings.append(f"{label}:{lineno}: corrupt entry skipped ({problem})")
                break
            raise LogError([f"{label}:{lineno}: {problem}"])
        entries.append(entry)
        linenos.append(lineno)
        offset = end
        good = min(end, len(raw))
    if not entries:
        raise LogError([f"{label}: empty session log (no 'open' entry)"])
    return LogContents(path, entries, linenos, warnings, good, raw[:good].endswith(b"\n") if good else True,
                       len(raw))


_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL}


def _lock(fd: int, path: Path) -> None:
    """Take the exclusive lock on the open log ``fd`` without waiting; close ``fd`` and raise if it is taken."""
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LogLocked([f"{path}: another session has it open; quit that session first, then resume"]) from None
    except OSError as exc:
        if exc.errno in _NO_LOCKS:      # a filesystem without locks: go on unlocked, as before locks existed
            return
        os.close(fd)
        raise


class LogWriter:
    """Appends entries to a session log, each flushed and fsynced before returning.

    Holds the log's lock until :meth:`close` (raises :class:`LogLocked`, having written
    nothing, when another session holds it).
    """

    def __init__(self, path: str | os.PathLike, *, resume: LogContents | None = None):
        self.path = Path(path)
        if resume is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            _lock(fd, self.path)
            self._fsync_dir()
            self.next_n = 1
        else:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            _lock(fd, self.path)
            if resume.size is not None and os.fstat(fd).st_size != resume.size:
                os.close(fd)    # written to between reading and locking: the replay would miss entries
                raise LogError([f"{self.path}: another session wrote to it while it was being read; resume again"])
            if os.fstat(fd).st_size > resume.good_bytes:
                os.ftruncate(fd, resume.good_bytes)   # drop the damaged tail so new entries start clean
            if not resume.ends_with_newline:
                os.write(fd, b"\n")
            os.fsync(fd)
            self.next_n = len(resume.entries) + 1
        self._fh = os.fdopen(fd, "ab", buffering=0)
        self.failed: LogWriteError | None = None  # once a write failed, nothing more is written

    def _fsync_dir(self) -> None:
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)

    def append(self, entry: dict) -> dict:
        """Number, write, flush and fsync one entry; return it as written."""
        entry = {**entry, "n": self.next_n}
        data = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        if self.failed is not None:
            raise self.failed
        try:
            self._fh.write(data)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            self.failed = LogWriteError(exc.errno, exc.strerror or str(exc), str(self.path))
            raise self.failed from None
        self.next_n += 1
        return entry

    def sync(self) -> None:
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the log, which releases its lock."""
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError:
                pass  # nothing buffered (every entry is written unbuffered and fsynced)
