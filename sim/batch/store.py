"""The results store: batches and their replications in SQLite (stdlib ``sqlite3``, WAL mode).

``batch``: one row per batch command (scenario name and content hash, resolved
parameters, seed, reps, version, command line, start and end time, status).
``layout``: what a replication's packed values mean, once per batch (and per distinct
layout in it): the metric names, the objective ids and the (decision, option) pairs.
``rep``: one row per finished replication (batch id, sweep point index, seed index,
layout id, the packed values, the trace when kept), written in a transaction per
finished chunk, so an interrupted batch keeps every replication that finished. A
sweep point's values are read from the batch's ``params["points"]``. A batch is found
again for ``--resume`` by its key: scenario hash, seed, reps, sweep and decision mode
(not the workers or whether traces are kept, which never change results); each resume
is recorded in the batch's ``params["resumes"]``.

A replication's ``data`` (:class:`RowCodec`) is, little-endian: one format byte; the
metric values that are not None as float64, in layout order; a bit mask of the values
that are None, one of those that are integers (and, when the format byte says so, one
of those that are booleans); the objectives met, one bit each; then the decisions taken,
in the order taken, as uint16 indices into the layout's pairs. With the rebuilt
baseline's 217 metrics (about 28 of them None in a run) that is about 1.6 KB, against
8.8 KB of JSON per row before. Format 1, which also stored a NaN for each None value,
is still read.

Databases written before this layout keep their ``replication`` table (a JSON row per
replication); it is still read, alongside ``rep``, so old batches export, list, report
and resume as they did.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
import struct
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    params TEXT NOT NULL,
    resume_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    points INTEGER NOT NULL,
    version TEXT NOT NULL,
    command TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_key ON batch (resume_key, status);
CREATE TABLE IF NOT EXISTS layout (
    batch_id INTEGER NOT NULL REFERENCES batch (id),
    id INTEGER NOT NULL,
    spec TEXT NOT NULL,
    PRIMARY KEY (batch_id, id)
);
CREATE TABLE IF NOT EXISTS rep (
    batch_id INTEGER NOT NULL REFERENCES batch (id),
    point_index INTEGER NOT NULL,
    seed_index INTEGER NOT NULL,
    layout INTEGER NOT NULL,
    data BLOB NOT NULL,
    trace TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS rep_key ON rep (batch_id, point_index, seed_index);
"""
# ``rep`` is a rowid table, not WITHOUT ROWID: a WITHOUT ROWID row (an index b-tree entry) keeps at
# most about 1,000 bytes on its page and spills the rest to an overflow page of its own, which for a
# 1.1 KB row would cost a whole extra page per replication.

LEGACY = "replication"  # the table of JSON rows written before ``rep``; read, never written

STATUSES = ("running", "interrupted", "failed", "done")


class StoreError(Exception):
    """The results file cannot be opened or is not a results store."""


def _disk_full(path: Path) -> bool:
    """Whether the filesystem holding ``path`` has no room left (SQLite reports some full disks as I/O errors)."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(x: Any, sort: bool = True) -> str:
    return json.dumps(x, sort_keys=sort, separators=(",", ":"), ensure_ascii=False)


def explain(path: Path, exc: sqlite3.Error, doing: str = "", readonly: bool = True) -> StoreError:
    """One line for an SQLite error on the results file ``path`` (by its result code, not its message)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    doing = f"{doing}: " if doing else ""
    if name == "SQLITE_FULL" or (name.startswith("SQLITE_IOERR") and _disk_full(path)):
        why = "the disk is full"
    elif name.startswith("SQLITE_READONLY"):
        why = ("the file or its folder is read-only (results, export and report --db can still read it)"
               if not readonly else "the file is read-only")
    elif name.startswith("SQLITE_CORRUPT"):
        why = "the results database is damaged; it is left untouched: restore a copy or give another --db"
    elif name == "SQLITE_NOTADB":
        return StoreError(f"{path}: not a results database ({exc})")
    elif name.startswith("SQLITE_CANTOPEN") and not readonly and not (
            os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))):
        why = "the file or its folder is read-only (results, export and report --db can still read it)"
    elif name.startswith("SQLITE_CANTOPEN"):
        why = "cannot open the file (is its folder readable, and writable for a new database?)"
    elif name.startswith("SQLITE_IOERR"):
        why = "a disk I/O error (is the disk full, or failing?)"
    elif name.startswith("SQLITE_BUSY"):
        why = "another program holds the database locked; try again when it has finished"
    else:
        why = str(exc)
    return StoreError(f"{path}: {doing}{why}")


_FORMAT = 2         # the format byte of a packed replication: values that are None are not stored
_FORMAT_1 = 1       # read only: every value stored, NaN for None
_NAN = struct.pack("<d", math.nan)
_PAGE = 8192        # SQLite page size of a new database
_HAS_BOOLS = 0x80   # set in it when a boolean mask follows the integer mask


@dataclass(frozen=True)
class Layout:
    """What a packed replication holds, in order: metric names, objective ids, (decision, option) pairs."""

    metrics: tuple[str, ...]
    objectives: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]

    def to_json(self) -> str:
        return _dumps({"metrics": list(self.metrics), "objectives": list(self.objectives),
                       "choices": [list(c) for c in self.choices]}, False)

    @classmethod
    def from_json(cls, text: str) -> Layout:
        d = json.loads(text)
        return cls(tuple(d["metrics"]), tuple(d["objectives"]), tuple((a, b) for a, b in d["choices"]))


def _mask(bits: Iterable[int], nbytes: int) -> bytes:
    m = 0
    for j in bits:
        m |= 1 << j
    return m.to_bytes(nbytes, "little")


def _bits(m: int) -> Iterator[int]:
    while m:
        low = m & -m
        yield low.bit_length() - 1
        m ^= low


_NONE_TYPE = type(None)


class RowCodec:
    """Packs one replication's metrics, objectives met and decisions into bytes, and back (module doc)."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.n = len(layout.metrics)
        self.mask_bytes = (self.n + 7) // 8
        self.met_bytes = (len(layout.objectives) + 7) // 8
        self._choice = {c: k for k, c in enumerate(layout.choices)}
        self._dec = struct.Struct("<H")
        self._met: dict[int, list[bool]] = {}
        self._where: dict[int, Any] = {}

    def encode(self, values: Sequence[Any], met: Sequence[bool], decisions: Iterable[tuple[str, str]]) -> bytes:
        """``values`` in layout order (None for a metric that never happened), ``met`` in objective order,
        ``decisions`` the (decision, option) pairs taken, in order (each a pair of the layout)."""
        if len(values) != self.n or len(met) != len(self.layout.objectives):
            raise ValueError("values or objectives do not match the layout")
        types = list(map(type, values))
        nones = [j for j, k in enumerate(types) if k is _NONE_TYPE] if _NONE_TYPE in types else []
        ints = [j for j, k in enumerate(types) if k is int] if int in types else []
        bools = [j for j, k in enumerate(types) if k is bool] if bool in types else []
        present = [v for v in values if v is not None] if nones else values
        try:
            packed = struct.pack(f"<{len(present)}d", *present)
        except struct.error:
            raise TypeError("a metric value is not a number") from None
        if any(abs(values[j]) >= 2**53 for j in ints):
            raise ValueError("an integer metric is too large to store exactly")
        try:
            dec = [self._choice[c] for c in decisions]
        except KeyError as exc:
            raise ValueError(f"decision {exc.args[0]} is not in the layout") from None
        return b"".join((bytes((_FORMAT | (_HAS_BOOLS if bools else 0),)),
                         _mask(nones, self.mask_bytes), _mask(ints, self.mask_bytes),
                         _mask(bools, self.mask_bytes) if bools else b"",
                         _mask((j for j, ok in enumerate(met) if ok), self.met_bytes),
                         packed, struct.pack(f"<{len(dec)}H", *dec)))

    def _parts(self, data: bytes) -> tuple[int, int, int, int, int]:
        """Where the masks (the None mask first) and the met bits start, where the values start and how
        many there are, and where the decisions start: (masks, met, values, count, decisions). Format 1
        had the values first, all of them, and the decisions after the met bits."""
        fmt = data[0] & 0x7F if data else None
        if fmt not in (_FORMAT, _FORMAT_1):
            raise StoreError(f"a stored replication has format {fmt}, not {_FORMAT}")
        o = self.mask_bytes
        masks = (3 if data[0] & _HAS_BOOLS else 2) * o
        if fmt == _FORMAT_1:
            m = 1 + 8 * self.n
            return m, m + masks, 1, self.n, m + masks + self.met_bytes
        at = 1 + masks
        k = self.n - int.from_bytes(data[1:1 + o], "little").bit_count()
        v = at + self.met_bytes
        return 1, at, v, k, v + 8 * k

    def _offsets(self, data: bytes) -> tuple[int, int]:
        """(where the met bits start, where the decisions start)."""
        _, at, _, _, dec = self._parts(data)
        return at, dec

    def _gather(self, none_mask: int, k: int) -> Any:
        """For each metric, where its value is among the stored ones (``k``, the NaN after them, for None;
        ``none_mask`` -1: every value is stored)."""
        got = self._where.get(none_mask)
        if got is None:  # few distinct patterns recur: each is worked out once
            import numpy as np
            if none_mask < 0:  # every value stored (format 1 stored NaN for None)
                got = np.arange(self.n, dtype=np.intp)
            else:
                got = np.full(self.n, k, dtype=np.intp)
                present = [j for j in range(self.n) if not none_mask >> j & 1]
                got[present] = np.arange(len(present))
            self._where[none_mask] = got
        return got

    def met(self, data: bytes) -> list[bool]:
        at, _ = self._offsets(data)
        m = int.from_bytes(data[at:at + self.met_bytes], "little")
        got = self._met.get(m)
        if got is None:  # few distinct patterns recur: each is worked out once (callers only read it)
            got = self._met[m] = [bool(m >> j & 1) for j in range(len(self.layout.objectives))]
        return list(got)

    def block(self, rows: Sequence[bytes]) -> tuple[Any, Any]:
        """Many packed replications at once, for statistics: (metric values, replications x metrics float64,
        NaN for None; objectives met, replications x objectives bool)."""
        import numpy as np
        parts: list[bytes] = []
        where: list[Any] = []
        at = 0
        for d in rows:  # each row's stored values and a NaN after them, and where each metric is among them
            m, _, v, k, _ = self._parts(d)
            parts += (d[v:v + 8 * k], _NAN)
            where.append(self._gather(int.from_bytes(d[m:m + self.mask_bytes], "little") if k < self.n else -1, k)
                         + at)
            at += k + 1
        values = np.frombuffer(b"".join(parts), dtype="<f8").take(
            np.concatenate(where) if where else np.zeros(0, dtype=np.intp)).reshape(len(rows), self.n)
        met = np.array([self.met(d) for d in rows], dtype=bool).reshape(len(rows), len(self.layout.objectives))
        return values, met

    def decisions(self, data: bytes) -> dict[str, str]:
        _, at = self._offsets(data)
        choices = self.layout.choices
        return dict(choices[k] for (k,) in self._dec.iter_unpack(data[at:]))

    def metrics(self, data: bytes) -> dict[str, Any]:
        m, _, v, k, _ = self._parts(data)
        o = self.mask_bytes
        none = int.from_bytes(data[m:m + o], "little")
        stored = iter(struct.unpack_from(f"<{k}d", data, v))
        vals: list[Any] = [None if none >> j & 1 else next(stored) for j in range(self.n)] \
            if k < self.n else list(stored)
        ints, bools = m + o, m + 2 * o
        for j in _bits(none):  # format 1 stored NaN there
            vals[j] = None
        for j in _bits(int.from_bytes(data[ints:ints + o], "little")):
            vals[j] = int(vals[j])
        if data[0] & _HAS_BOOLS:
            for j in _bits(int.from_bytes(data[bools:bools + o], "little")):
                vals[j] = bool(vals[j])
        return dict(zip(self.layout.metrics, vals, strict=True))

    def decode(self, data: bytes) -> tuple[dict[str, Any], dict[str, bool], dict[str, str]]:
        """(metrics, objectives met, decisions) exactly as they were given to :meth:`encode`."""
        return (self.metrics(data), dict(zip(self.layout.objectives, self.met(data), strict=True)),
                self.decisions(data))


def layout_of(rows: Iterable[Mapping[str, Any]]) -> Layout:
    """The layout of plain rows (``metrics``, ``objectives``, ``decisions`` dicts): the first row's
    metric and objective order, and every (decision, option) pair the rows took, in order met."""
    metrics: tuple[str, ...] | None = None
    objectives: tuple[str, ...] = ()
    choices: dict[tuple[str, str], None] = {}
    for r in rows:
        if metrics is None:
            metrics, objectives = tuple(r["metrics"]), tuple(r["objectives"])
        choices.update(dict.fromkeys(r["decisions"].items()))
    return Layout(metrics or (), objectives, tuple(choices))


class Store:
    """A results database; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, create: bool = True, readonly: bool | None = None):
        """``create``: make the file (and its folder) if missing, for writing; otherwise the file must
        exist. ``readonly`` (default: ``not create``): open it read-only (SQLite ``mode=ro``), as the
        reading commands do, so a database on read-only media or without write permission still reads.
        Either way a damaged file (``PRAGMA quick_check``) is refused before anything reads or writes it."""
        self.path = Path(path)
        self.readonly = (not create) if readonly is None else readonly
        self._layouts: dict[int, dict[Layout, int]] = {}
        if not create and not self.path.is_file():
            raise StoreError(f"{self.path}: no such results database")
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create its folder {exc.filename or self.path.parent}: "
                                 f"{exc.strerror or exc}") from None
        if not create and self.path.stat().st_size == 0:
            raise StoreError(f"{self.path}: not a results database (an empty file); "
                             "crisis-sim batch --db FILE makes one")
        try:
            self.db = self._connect()
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        try:
            # look before writing anything: another program's SQLite file is not ours to add tables to
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "batch" not in tables and (tables or not create):
                raise StoreError(f"{self.path}: not a results database (an SQLite file without crisis-sim's "
                                 f"batch table{'; it has ' + ', '.join(sorted(tables)) if tables else ''})")
            if tables:
                self._check_integrity()
            if not self.readonly:
                if not tables:  # a new file: pages that hold several packed replications each (the
                    self.db.execute(f"PRAGMA page_size={_PAGE}")  # default 4 KB fits two, wasting a quarter)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
            self._find_tables()
        except sqlite3.Error as exc:
            self.db.close()
            raise self.error(exc) from None
        except StoreError:
            self.db.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        if not self.readonly:
            return sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        uri = "file:" + urllib.parse.quote(str(self.path.absolute())) + "?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            # a WAL database in a folder we cannot write: SQLite cannot make its -shm file. With no -wal
            # file beside it and no way for anyone to write here, nothing changes under us: read as immutable
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() or os.access(self.path.parent, os.W_OK):
                raise
            return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30, isolation_level=None)

    def _check_integrity(self) -> None:
        """Refuse a damaged file at once (``PRAGMA quick_check``: every page and index, not the contents)."""
        try:
            first = self.db.execute("PRAGMA quick_check(1)").fetchone()
        except sqlite3.DatabaseError as exc:
            first = (str(exc),)
        if first is None or first[0] != "ok":
            what = " ".join(str(first[0] if first else "no answer").replace("*** in database main ***", "").split())
            raise StoreError(f"{self.path}: the results database is damaged ({what[:120]}); it is left untouched: "
                             "restore a copy or give another --db")

    def error(self, exc: sqlite3.Error, doing: str = "") -> StoreError:
        """One line for an SQLite error on this file (by its result code, not its message)."""
        return explain(self.path, exc, doing, readonly=self.readonly)

    def _find_tables(self) -> None:
        """Which replication tables this database has: ``rep`` (packed rows) and, in a database an
        earlier version wrote, the JSON rows of ``replication`` (read, never written). A database
        opened without creating tables may lack ``rep``."""
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self.legacy = LEGACY in tables
        self.rep_tables = tuple(t for t in ("rep", LEGACY) if t in tables)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self):
        """One write transaction; an SQLite error (full disk, read-only file) becomes one StoreError line."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._layouts.clear()  # a layout stored in the rolled-back transaction is gone again
                if self.db.in_transaction:  # SQLite may have rolled back already (a full disk does)
                    try:
                        self.db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self.error(exc, "cannot write") from None

    # --- batches ----------------------------------------------------------
    def create_batch(self, *, scenario: str, scenario_hash: str, params: dict, resume_key: str, seed: int,
                     reps: int, points: int, version: str, command: str) -> int:
        with self._tx():
            cur = self.db.execute(
                "INSERT INTO batch (scenario, scenario_hash, params, resume_key, seed, reps, points, version, "
                "command, started, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (scenario, scenario_hash, _dumps(params), resume_key, seed, reps, points, version, command,
                 _now(), "running"))
            return int(cur.lastrowid or 0)

    def find_unfinished(self, resume_key: str) -> int | None:
        row = self.db.execute("SELECT id FROM batch WHERE resume_key = ? AND status != 'done' ORDER BY id DESC "
                              "LIMIT 1", (resume_key,)).fetchone()
        return None if row is None else int(row[0])

    def unfinished_of(self, scenario: str) -> list[dict]:
        """The batches of ``scenario`` (its name) that did not finish, newest first."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM batch WHERE scenario = ? AND status != 'done' "
                                             "ORDER BY id DESC", (scenario,))]
        return [b for i in ids if (b := self.batch(i)) is not None]

    def set_status(self, batch_id: int, status: str) -> None:
        assert status in STATUSES
        with self._tx():
            self.db.execute("UPDATE batch SET status = ?, finished = ? WHERE id = ?",
                            (status, _now() if status != "running" else None, batch_id))

    def record_resume(self, batch_id: int, run: dict) -> None:
        """Mark the batch running again and append ``run`` (what this resume does) to ``params["resumes"]``."""
        with self._tx():
            (params,) = self.db.execute("SELECT params FROM batch WHERE id = ?", (batch_id,)).fetchone()
            params = json.loads(params)
            params["resumes"] = [*params.get("resumes", []), {**run, "started": _now()}]
            self.db.execute("UPDATE batch SET params = ?, status = 'running', finished = NULL WHERE id = ?",
                            (_dumps(params), batch_id))

    def batch(self, batch_id: int) -> dict | None:
        if not -2**63 <= batch_id < 2**63:  # no such id can be stored (SQLite integers are 64-bit)
            return None
        cur = self.db.execute("SELECT * FROM batch WHERE id = ?", (batch_id,))
        row = cur.fetchone()
        if row is None:
            return None
        d = dict(zip([c[0] for c in cur.description], row, strict=False))
        d["params"] = json.loads(d["params"])
        d["stored"] = self.count(batch_id)
        return d

    def batches(self) -> list[dict]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM batch ORDER BY id")]
        return [b for i in ids if (b := self.batch(i)) is not None]

    # --- replications -----------------------------------------------------
    def layout_id(self, batch_id: int, layout: Layout) -> int:
        """The id of ``layout`` in the batch, stored on first use (call inside a transaction)."""
        cache = self._layouts.setdefault(batch_id, {})
        if not cache:
            for lid, spec in self.db.execute("SELECT id, spec FROM layout WHERE batch_id = ?", (batch_id,)):
                cache[Layout.from_json(spec)] = int(lid)
        lid = cache.get(layout)
        if lid is None:
            lid = len(cache)
            self.db.execute("INSERT INTO layout (batch_id, id, spec) VALUES (?,?,?)",
                            (batch_id, lid, layout.to_json()))
            cache[layout] = lid
        return lid

    def _codecs(self, batch_id: int) -> dict[int, RowCodec]:
        return {int(lid): RowCodec(Layout.from_json(spec)) for lid, spec in
                self.db.execute("SELECT id, spec FROM layout WHERE batch_id = ?", (batch_id,))}

    def add_rows(self, batch_id: int, rows: list[dict[str, Any]]) -> None:
        """Store finished replications given as plain rows (``point``, ``index``, ``metrics``,
        ``objectives``, ``decisions``, optionally ``trace``) in one transaction."""
        layout = layout_of(rows)
        codec = RowCodec(layout)
        with self._tx():
            lid = self.layout_id(batch_id, layout)
            self.db.executemany("INSERT OR REPLACE INTO rep VALUES (?,?,?,?,?,?)", [
                (batch_id, r["point"], r["index"], lid,
                 codec.encode([r["metrics"].get(k) for k in layout.metrics],
                              [bool(r["objectives"].get(o)) for o in layout.objectives], r["decisions"].items()),
                 "".join(_dumps(t) + "\n" for t in r["trace"]) if "trace" in r else None) for r in rows])

    def add_encoded(self, batch_id: int, chunk: Any) -> None:
        """Store a worker's :class:`~sim.batch.replicate.ChunkResult` (rows already packed) in one transaction."""
        with self._tx():
            lid = self.layout_id(batch_id, chunk.layout)
            self.db.executemany("INSERT OR REPLACE INTO rep VALUES (?,?,?,?,?,?)",
                                [(batch_id, chunk.point, r.seed_index, lid, r.data, r.trace_jsonl) for r in chunk.reps])

    def _both(self, sql: str, args: Sequence[Any]) -> int:
        """``sql`` (a count over table ``{t}``) summed over ``rep`` and, in an old database, the old table."""
        return sum(int(self.db.execute(sql.format(t=t), args).fetchone()[0]) for t in self.rep_tables)

    def count(self, batch_id: int) -> int:
        return self._both("SELECT count(*) FROM {t} WHERE batch_id = ?", (batch_id,))

    def traced(self, batch_id: int) -> int:
        """How many of the batch's stored replications kept their trace."""
        return self._both("SELECT count(*) FROM {t} WHERE batch_id = ? AND trace IS NOT NULL", (batch_id,))

    def stored_indices(self, batch_id: int, point: int, lo: int, hi: int) -> set[int]:
        """Seed indices in ``lo..hi-1`` already stored for sweep point ``point``."""
        sql = "SELECT seed_index FROM {t} WHERE batch_id = ? AND point_index = ? AND seed_index >= ? AND seed_index < ?"
        out: set[int] = set()
        for t in self.rep_tables:
            out.update(r[0] for r in self.db.execute(sql.format(t=t), (batch_id, point, lo, hi)))
        return out

    def rows(self, batch_id: int, point: int | None = None, lo: int = 0, hi: int | None = None
             ) -> Iterator[dict[str, Any]]:
        """Stored replications in (point, seed index) order, as rows like the runner's."""
        where = "WHERE batch_id = ?"
        args: list[Any] = [batch_id]
        if point is not None:
            where += " AND point_index = ? AND seed_index >= ?"
            args += [point, lo]
            if hi is not None:
                where += " AND seed_index < ?"
                args.append(hi)
        parts = {"rep": f"SELECT point_index, seed_index, layout, data, NULL, NULL, NULL, NULL, trace FROM rep {where}",
                 LEGACY: f"SELECT point_index, seed_index, NULL, NULL, point, metrics, objectives, decisions, trace "
                         f"FROM {LEGACY} {where}"}
        if not self.rep_tables:
            return
        sql = " UNION ALL ".join(parts[t] for t in self.rep_tables) + " ORDER BY 1, 2"
        args = args * len(self.rep_tables)
        codecs = self._codecs(batch_id) if "rep" in self.rep_tables else {}
        meta = self.db.execute("SELECT params FROM batch WHERE id = ?", (batch_id,)).fetchone()
        points = json.loads(meta[0]).get("points", []) if meta else []
        for p, i, lid, data, pt, m, o, d, tr in self.db.execute(sql, args):
            if data is not None:
                metrics, met, decisions = codecs[lid].decode(data)
                values = dict(points[p]["values"]) if p < len(points) else {}
                row: dict[str, Any] = {"point": p, "index": i, "values": values, "metrics": metrics, "objectives": met,
                       "decisions": decisions}
            else:
                row = {"point": p, "index": i, "values": json.loads(pt), "metrics": json.loads(m),
                       "objectives": json.loads(o), "decisions": json.loads(d)}
            if tr is not None:
                row["trace"] = [json.loads(x) for x in tr.splitlines()]
            yield row
