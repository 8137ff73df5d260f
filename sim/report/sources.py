"""Where a report's runs come from besides a scenario file: a stored batch or a workshop log.

Both need packages that may be absent (``sim.batch``'s store, ``sim.workshop``); each loader
raises :class:`~sim.report.generate.ReportError` with a one-line message when they are.
A stored batch keeps metrics and objectives per replication but (usually) no traces, so the
replications are run again from their stored seeds for the "why" analysis; the run is
deterministic, and the report checks that the re-run metrics equal the stored ones.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from .generate import ReportError
from .montecarlo import Replications, replicate, summarise_rows


class StoredBatch(NamedTuple):
    scenario: Scenario
    path: str
    sets: list[str]              # the batch's --set and the point's own overrides
    seed: int
    replications: Replications   # re-run, their causes read from the traces
    summary: dict                # of the point reported on
    where: str                   # "point 2 of 5 (...)", or "" for a batch without --vary
    sweep: dict | None           # every point's objective odds, as `crisis-sim batch --json` gives them


def load_stored_batch(db: Path, batch_id: int, point: int = 1, workers: int = 1) -> StoredBatch:
    """Sweep point ``point`` (1 = the first, as ``crisis-sim batch`` lists them) of a stored batch.

    The scenario is loaded with the batch's ``--set`` and the point's own overrides, and the
    replications are re-run with the decisions the batch used (weighted random when it explored
    them), on ``workers`` processes, so that they reproduce the stored metrics. A batch with ``--vary`` also gives the odds
    of every point (``sweep``), for the report's overview of the sweep.
    """
    try:
        from ..batch.store import Store, StoreError, explain
        from ..engine.decisions import WeightedRandom
    except Exception:
        raise ReportError("--db needs the batch package (sim.batch), which is not available") from None
    try:
        with Store(db, create=False) as st:
            meta = st.batch(batch_id)
            if meta is None:
                raise ReportError(f"{db}: no batch {batch_id}")
            params = meta["params"]
            points = params.get("points") or [{"overrides": [], "values": {}}]
            if not 1 <= point <= len(points):
                listed = "; ".join(f"{k} = {', '.join(p['overrides']) or 'as the scenario'}"
                                   for k, p in enumerate(points, 1))
                raise ReportError(f"--point {point}: batch {batch_id} has {len(points)} point"
                                  f"{'s' if len(points) != 1 else ''} ({listed})")
            by_point: list[list[dict]] | None = None   # a sweep's rows, point by point
            if len(points) > 1:
                by_point = [[] for _ in points]
                for r in st.rows(batch_id):
                    by_point[r["point"]].append(r)
            rows = list(st.rows(batch_id, point=point - 1)) if by_point is None else by_point[point - 1]
    except StoreError as exc:
        raise ReportError(str(exc)) from None
    except sqlite3.Error as exc:  # damage that the check on opening did not see
        raise ReportError(str(explain(Path(db), exc, "cannot read"))) from None
    path, sets = params.get("path"), list(params.get("sets", []))
    if not path:
        raise ReportError(f"{db}: batch {batch_id} does not record its scenario file")
    pt = points[point - 1]
    try:
        base = load_scenario(path, sets)
        s = load_scenario(path, sets + list(pt["overrides"])) if pt["overrides"] else base
    except ScenarioError as exc:
        raise ReportError("; ".join(str(p) for p in exc.problems)) from None
    if base.content_hash != meta["scenario_hash"] or s.content_hash != pt.get("scenario_hash", s.content_hash):
        raise ReportError(f"{path}: scenario changed since batch {batch_id} was run "
                          f"(hash {base.content_hash}, stored {meta['scenario_hash']})")
    if not rows:
        raise ReportError(f"{db}: batch {batch_id} holds no replications" + (f" at point {point}" if len(points) > 1
                                                                             else ""))
    seed = int(meta["seed"])
    explore = bool(params.get("explore_decisions"))
    reps = replicate(s, len(rows), seed, WeightedRandom() if explore else None, indices=[int(r["index"]) for r in rows],
                     workers=workers)
    for got, row in zip(reps.results, rows, strict=True):
        if got.metrics != row["metrics"]:
            raise ReportError(f"{db}: replication {row['index']} does not reproduce (engine version changed?)")
    titles = {oid: o.title for oid, o in s.objectives.items()}
    summary = summarise_rows(rows, titles)
    where = (f"point {point} of {len(points)} ({', '.join(pt['overrides'])})" if len(points) > 1 else "")
    sweep = None
    if by_point is not None:
        sweep = {"scenario": s.name, "seed": seed, "reps": int(meta["reps"]), "sets": sets,
                 "vary": params.get("vary", []), "explore_decisions": explore, "reported": point,
                 "points": [{"point": p["values"], "overrides": p["overrides"],
                             "objectives": (summary if k == point - 1 else summarise_rows(rs, titles))["objectives"]}
                            for k, (p, rs) in enumerate(zip(points, by_point, strict=False))]}
    return StoredBatch(s, path, sets + list(pt["overrides"]), seed, reps, summary, where, sweep)


def load_session(log: Path) -> dict:
    """The workshop's session summary (its final Result is the report's narrated run).

    The summary gains ``log_entries``: the log's entries as read, for the turns played and the
    exercise clock of the scheduled injects.
    """
    try:
        from ..workshop.log import read_log
        from ..workshop.summary import session_summary
    except Exception:
        raise ReportError("--session needs the workshop package (sim.workshop), which is not available") from None
    try:
        summ = session_summary(log)
        summ["log_entries"] = list(read_log(log).entries)
        return summ
    except ScenarioError as exc:
        raise ReportError("; ".join(str(p) for p in exc.problems)) from None
    except Exception as exc:  # OSError, ValueError, LogError and friends: one line, no traceback
        raise ReportError(_one_line(log, exc)) from None


def _one_line(log: Path, exc: Exception) -> str:
    lines = [x.strip() for x in (getattr(exc, "problems", None) or str(exc).splitlines()) if str(x).strip()]
    msg = "; ".join(str(x) for x in lines) or type(exc).__name__
    return msg if msg.startswith(str(log)) else f"{log}: {msg}"
