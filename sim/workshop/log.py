"""The workshop's session log: append-only JSON Lines, one self-describing entry per facilitator action.

Every entry carries the schema version ``v``, its number ``n`` in the log, the
``kind`` (open, next, decide, inject, note, undo, close), the scenario name and
content hash, the seed, the simulated clock ``sim_h`` after the action and the
wall-clock time ``wall`` (exercise time and real time are both kept). Each entry
is written with one ``write`` call, flushed and fsynced before the command's
result is shown, so killing the process loses at most the command being typed.

Reading is strict in the middle and forgiving at the end: a truncated *last* line
(a write cut short by a crash) is reported and skipped; a corrupt line anywhere
else, or a whole entry that fails its model (:class:`OpenEntry`, :class:`InjectEntry`,
...: a missing field, a wrong type, NaN, a turn of a nanosecond, a team name that
``--teams`` would refuse), is an error naming ``FILE:LINE`` and the field.

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
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

try:
    import fcntl
except ImportError:  # not POSIX: sessions are not locked against each other
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 1
KINDS = ("open", "next", "decide", "inject", "note", "undo", "close", "submit", "reject", "response", "hotwash")
TEAM = r"^[A-Za-z][\w\-]*$"          # the rule --teams applies
MIN_TURN_H, MAX_TURN_H = 1 / 60, 2160.0  # a minute to 90 days, as --turn
MAX_HOURS = 1e6                       # any simulated hour in a log (a scenario runs at most 2,160)
MAX_ADHOC_TENSION = 1000.0            # tension an ad-hoc inject may add or take away
MAX_SEED = 2**63 - 1

_Hours = Annotated[float, Field(ge=-MAX_HOURS, le=MAX_HOURS)]
_Text = Annotated[str, Field(max_length=100_000)]


class _Entry(BaseModel):
    """The fields every entry carries. Strict: ``"5"`` is not a number, ``true`` not a count; NaN and
    infinities are refused; unknown fields are kept (a newer minor writer may add some)."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="allow")
    v: int
    n: int
    scenario: _Text
    scenario_hash: _Text
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)]
    sim_h: _Hours
    wall: _Text


class OpenEntry(_Entry):
    kind: Literal["open"]
    path: _Text
    overrides: list[_Text]
    turn_h: Annotated[float, Field(ge=MIN_TURN_H, le=MAX_TURN_H)]
    teams: Annotated[list[Annotated[str, Field(pattern=TEAM, max_length=100)]], Field(min_length=1, max_length=100)]
    startex: _Text | None = None                                  # the planned wall-clock start
    minutes_per_turn: Annotated[float, Field(ge=1, le=1440)] = 30.0


class NextEntry(_Entry):
    kind: Literal["next"]
    from_h: _Hours
    stop: _Text


class DecideEntry(_Entry):
    kind: Literal["decide"]
    decision: _Text
    option: _Text
    team: _Text
    rationale: _Text
    decision_h: _Hours


class AdHoc(BaseModel):
    """An inject written at the table."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")
    title: _Text
    text: _Text
    sender: _Text = ""
    recipient: _Text = ""
    tension: Annotated[float, Field(ge=-MAX_ADHOC_TENSION, le=MAX_ADHOC_TENSION)] | None = None


class InjectEntry(_Entry):
    kind: Literal["inject"]
    id: _Text
    inject: _Text | None
    adhoc: AdHoc | None
    at_h: _Hours


class NoteEntry(_Entry):
    kind: Literal["note"]
    text: _Text
    team: Annotated[str, Field(pattern=TEAM, max_length=100)] | None
    objective: _Text | None


class UndoEntry(_Entry):
    kind: Literal["undo"]
    undoes: int


class CloseEntry(_Entry):
    kind: Literal["close"]


class SubmitEntry(_Entry):
    """A team's proposed answer to the pending decision, from its own device."""

    kind: Literal["submit"]
    decision: _Text
    option: _Text
    team: Annotated[str, Field(pattern=TEAM, max_length=100)]
    rationale: _Text
    decision_h: _Hours


class RejectEntry(_Entry):
    kind: Literal["reject"]
    submission: int
    reason: _Text


class ResponseEntry(_Entry):
    """A team's actual action on an inject it received."""

    kind: Literal["response"]
    team: Annotated[str, Field(pattern=TEAM, max_length=100)]
    inject: _Text
    text: _Text


class HotwashEntry(_Entry):
    """The hot-wash written by ``end``: the objectives scoreboard and what the table did."""

    kind: Literal["hotwash"]
    summary: dict[str, Any]


_ENTRY: TypeAdapter[Any] = TypeAdapter(Annotated[
    OpenEntry | NextEntry | DecideEntry | InjectEntry | NoteEntry | UndoEntry | CloseEntry | SubmitEntry
    | RejectEntry | ResponseEntry | HotwashEntry,
    Field(discriminator="kind")])


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
    entries: list[dict[str, Any]]
    linenos: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    good_bytes: int = 0          # length of the file up to the end of the last good line
    ends_with_newline: bool = True
    size: int | None = None      # length of the file when it was read


def wall_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _open_problem(entry: dict[str, Any]) -> str | None:
    """The open entry's values in the words of the options they came from (--seed, --turn, --teams, --set)."""
    seed, turn, teams, overrides = (entry.get(k) for k in ("seed", "turn_h", "teams", "overrides"))
    if "seed" in entry and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED):
        return f"open entry: 'seed' must be a whole number from 0 to {MAX_SEED}, got {seed!r}"[:200]
    if isinstance(turn, (int, float)) and not isinstance(turn, bool) and not turn > 0:
        return f"open entry: 'turn_h' must be a positive number of hours, got {turn!r}"
    if isinstance(teams, list) and not teams:
        return f"open entry: 'teams' must be a list of team names, got {teams!r}"
    if isinstance(overrides, list) and not all(isinstance(o, str) for o in overrides):
        return f"open entry: 'overrides' must be a list of path=value texts, got {overrides!r}"[:200]
    return None


def _problem(entry: Any, n: int) -> str | None:
    """What is wrong with one parsed entry (None: nothing)."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    v = entry.get("v")
    if isinstance(v, int) and v > SCHEMA_VERSION:
        return f"schema version {v} is newer than this crisis-sim reads ({SCHEMA_VERSION}); upgrade crisis-sim"
    kind = entry.get("kind")
    if kind not in KINDS:
        return f"unknown entry kind {str(kind)[:40]!r}"
    if kind == "open" and (why := _open_problem(entry)):
        return why
    try:
        _ENTRY.validate_python(entry)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(x) for x in e["loc"][1:])   # the first is the kind's tag
        if e["type"] == "missing":
            return f"{kind} entry lacks {loc!r}"
        given = e.get("input")
        got = f", got {json.dumps(given)[:40]}" if isinstance(given, (str, int, float, bool)) or given is None else ""
        return f"{kind} entry: {loc}: {e['msg']}{got}"
    if entry["v"] != SCHEMA_VERSION:
        return f"unknown schema version {entry['v']!r}"
    if entry["n"] != n:
        return f"entry number {entry['n']} where {n} was expected"
    return None


def read_log(path: str | os.PathLike[str]) -> LogContents:
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
    entries: list[dict[str, Any]] = []
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
            # only a write cut short (a torn line) is skipped; a whole entry that fails its model is an error
            if i == last_idx and entries and entry is None:
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

    def __init__(self, path: str | os.PathLike[str], *, resume: LogContents | None = None) -> None:
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

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
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
