"""The results store: batches and their replications in SQLite (stdlib ``sqlite3``, WAL mode).

``batch``: one row per batch command (scenario name and content hash, resolved
parameters, seed, reps, version, command line, start and end time, status).
``replication``: one row per finished replication (batch id, sweep point index and
values, seed index, metrics, objectives met, decisions taken), written in a
transaction per finished chunk, so an interrupted batch keeps every replication
that finished. A batch is found again for ``--resume`` by its key: scenario hash,
seed, reps, sweep and decision mode (not the workers or whether traces are kept, which
never change results); each resume is recorded in the batch's ``params["resumes"]``.
"""
from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

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
CREATE TABLE IF NOT EXISTS replication (
    batch_id INTEGER NOT NULL REFERENCES batch (id),
    point_index INTEGER NOT NULL,
    seed_index INTEGER NOT NULL,
    point TEXT NOT NULL,
    metrics TEXT NOT NULL,
    objectives TEXT NOT NULL,
    decisions TEXT NOT NULL,
    trace TEXT,
    PRIMARY KEY (batch_id, point_index, seed_index)
) WITHOUT ROWID;
"""

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


def _dumps(x, sort: bool = True) -> str:
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


class Store:
    """A results database; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, create: bool = True, readonly: bool | None = None):
        """``create``: make the file (and its folder) if missing, for writing; otherwise the file must
        exist. ``readonly`` (default: ``not create``): open it read-only (SQLite ``mode=ro``), as the
        reading commands do, so a database on read-only media or without write permission still reads.
        Either way a damaged file (``PRAGMA quick_check``) is refused before anything reads or writes it."""
        self.path = Path(path)
        self.readonly = (not create) if readonly is None else readonly
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
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
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
            return int(cur.lastrowid)

    def find_unfinished(self, resume_key: str) -> int | None:
        row = self.db.execute("SELECT id FROM batch WHERE resume_key = ? AND status != 'done' ORDER BY id DESC "
                              "LIMIT 1", (resume_key,)).fetchone()
        return None if row is None else int(row[0])

    def unfinished_of(self, scenario: str) -> list[dict]:
        """The batches of ``scenario`` (its name) that did not finish, newest first."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM batch WHERE scenario = ? AND status != 'done' "
                                             "ORDER BY id DESC", (scenario,))]
        return [self.batch(i) for i in ids]

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
        return [self.batch(i) for i in ids]

    # --- replications -----------------------------------------------------
    def add_rows(self, batch_id: int, rows: list[dict], points: list[dict]) -> None:
        """Store finished replications in one transaction (``points[i]``: values of sweep point i)."""
        data = [(batch_id, r["point"], r["index"], _dumps(points[r["point"]]), _dumps(r["metrics"], False),
                 _dumps(r["objectives"], False), _dumps(r["decisions"], False),
                 "".join(_dumps(t) + "\n" for t in r["trace"]) if "trace" in r else None) for r in rows]
        with self._tx():
            self.db.executemany("INSERT OR REPLACE INTO replication VALUES (?,?,?,?,?,?,?,?)", data)

    def add_encoded(self, batch_id: int, point_values: dict, chunk) -> None:
        """Store a worker's :class:`~sim.batch.replicate.ChunkResult` (JSON already encoded) in one transaction."""
        pj = _dumps(point_values)
        data = [(batch_id, chunk.point, r.index, pj, r.metrics_json, r.objectives_json, r.decisions_json,
                 r.trace_jsonl) for r in chunk.reps]
        with self._tx():
            self.db.executemany("INSERT OR REPLACE INTO replication VALUES (?,?,?,?,?,?,?,?)", data)

    def count(self, batch_id: int) -> int:
        return int(self.db.execute("SELECT count(*) FROM replication WHERE batch_id = ?", (batch_id,)).fetchone()[0])

    def traced(self, batch_id: int) -> int:
        """How many of the batch's stored replications kept their trace."""
        return int(self.db.execute("SELECT count(*) FROM replication WHERE batch_id = ? AND trace IS NOT NULL",
                                   (batch_id,)).fetchone()[0])

    def stored_indices(self, batch_id: int, point: int, lo: int, hi: int) -> set[int]:
        """Seed indices in ``lo..hi-1`` already stored for sweep point ``point``."""
        return {r[0] for r in self.db.execute(
            "SELECT seed_index FROM replication WHERE batch_id = ? AND point_index = ? AND seed_index >= ? "
            "AND seed_index < ?", (batch_id, point, lo, hi))}

    def rows(self, batch_id: int, point: int | None = None, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        """Stored replications in (point, seed index) order, as rows like the runner's."""
        sql = ("SELECT point_index, seed_index, point, metrics, objectives, decisions, trace FROM replication "
               "WHERE batch_id = ?")
        args: list = [batch_id]
        if point is not None:
            sql += " AND point_index = ? AND seed_index >= ?"
            args += [point, lo]
            if hi is not None:
                sql += " AND seed_index < ?"
                args.append(hi)
        sql += " ORDER BY point_index, seed_index"
        for p, i, pt, m, o, d, tr in self.db.execute(sql, args):
            row = {"point": p, "index": i, "values": json.loads(pt), "metrics": json.loads(m),
                   "objectives": json.loads(o), "decisions": json.loads(d)}
            if tr is not None:
                row["trace"] = [json.loads(x) for x in tr.splitlines()]
            yield row
