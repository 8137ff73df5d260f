"""Sensitivity and discovery results in the results database: one row per analysis.

Its own table, ``analysis``, beside the batch tables (which it leaves alone): the kind
(``sobol``, ``morris`` or ``discover``), the scenario's name and hash, the parameters that
reproduce it (scenario path, ``--set``, objective or metric and threshold, samples, reps, seed),
the whole result as JSON (what ``--json`` prints), the command line and the time.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .store import Store, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS analysis (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    params TEXT NOT NULL,
    result TEXT NOT NULL,
    command TEXT NOT NULL,
    version TEXT NOT NULL,
    created TEXT NOT NULL
);
"""
PARAM_KEYS = ("path", "sets", "objective", "metric", "above", "below", "samples", "reps", "seed", "runs")


def _version() -> str:
    from .. import __version__
    return __version__


def _has_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analysis'").fetchone() is not None


def save(path: str | Path, kind: str, result: dict[str, Any], command: str = "") -> int:
    """Store one analysis (``result``: its ``to_dict()``); its id."""
    with Store(path) as st:
        try:
            st.db.executescript(SCHEMA)
            params = {k: result[k] for k in PARAM_KEYS if k in result}
            st.db.execute("BEGIN IMMEDIATE")
            cur = st.db.execute(
                "INSERT INTO analysis (kind, scenario, scenario_hash, params, result, command, version, created) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (kind, result["scenario"], result["scenario_hash"], json.dumps(params, sort_keys=True),
                 json.dumps(result, sort_keys=True, allow_nan=False), command, _version(),
                 datetime.now(UTC).isoformat(timespec="seconds")))
            st.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if st.db.in_transaction:
                st.db.execute("ROLLBACK")
            raise StoreError(f"{path}: cannot store the analysis ({exc})") from None
        return int(cur.lastrowid or 0)


def listing(path: str | Path) -> list[dict[str, Any]]:
    """Every stored analysis without its result body: id, kind, scenario, params, command, created."""
    with Store(path, create=False) as st:
        if not _has_table(st.db):
            return []
        cur = st.db.execute("SELECT id, kind, scenario, scenario_hash, params, command, version, created "
                            "FROM analysis ORDER BY id")
        names = [c[0] for c in cur.description]
        out = []
        for row in cur.fetchall():
            d = dict(zip(names, row, strict=True))
            d["params"] = json.loads(d["params"])
            out.append(d)
        return out


def load(path: str | Path, analysis_id: int) -> dict[str, Any]:
    """The stored result of analysis ``analysis_id`` (with ``kind`` and ``id``); StoreError if none."""
    with Store(path, create=False) as st:
        row = None
        if _has_table(st.db) and -2**63 <= analysis_id < 2**63:
            row = st.db.execute("SELECT kind, result FROM analysis WHERE id = ?", (analysis_id,)).fetchone()
        if row is None:
            raise StoreError(f"{path}: no analysis {analysis_id} (crisis-sim results lists them)")
        return {**json.loads(row[1]), "kind": row[0], "id": analysis_id}


__all__ = ["listing", "load", "save"]
