"""Stored replications as a table: CSV (stdlib) or Parquet (pyarrow, extra ``parquet``).

One row per replication: ``batch_id``, ``point_index``, ``seed_index``, one
``point.<path>`` column per varied parameter, then ``metric.<name>`` (empty when the
event never happened), ``objective.<id>`` (1 met, 0 not) and ``decision.<id>`` (the
option taken, empty when the point was never reached).
"""
from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from typing import Any

from ..safetext import csv_cell
from .store import Store, StoreError

FORMATS = ("csv", "parquet")


class ExportError(Exception):
    """The export cannot be made (unknown batch, missing optional dependency)."""


def columns_and_rows(store: Store, batch_id: int) -> tuple[list[str], Iterator[list[Any]]]:
    b = store.batch(batch_id)
    if b is None:
        known = ", ".join(str(x["id"]) for x in store.batches()) or "none"
        raise ExportError(f"no batch {batch_id} in {store.path} (batches: {known})")
    paths = [v["path"] for v in b["params"].get("vary", [])]
    first = next(store.rows(batch_id), None)
    metrics = list(first["metrics"]) if first else []
    objectives = list(first["objectives"]) if first else []
    decisions = sorted({did for r in store.rows(batch_id) for did in r["decisions"]}) if first else []
    cols = (["batch_id", "point_index", "seed_index"] + [f"point.{p}" for p in paths]
            + [f"metric.{m}" for m in metrics] + [f"objective.{o}" for o in objectives]
            + [f"decision.{d}" for d in decisions])

    def rows() -> Iterator[list[Any]]:
        for r in store.rows(batch_id):
            yield ([batch_id, r["point"], r["index"]] + [r["values"].get(p) for p in paths]
                   + [r["metrics"].get(m) for m in metrics]
                   + [None if o not in r["objectives"] else int(bool(r["objectives"][o])) for o in objectives]
                   + [r["decisions"].get(d) for d in decisions])

    return cols, rows()


def to_csv(store: Store, batch_id: int) -> str:
    cols, rows = columns_and_rows(store, batch_id)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(c) for c in cols])
    for r in rows:
        w.writerow(["" if v is None else csv_cell(v) for v in r])
    return buf.getvalue()


def to_parquet(store: Store, batch_id: int) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("parquet export needs pyarrow: pip install 'crisis-sim[parquet]'") from None
    cols, rows = columns_and_rows(store, batch_id)
    data = list(rows)
    table = pa.table({c: [r[i] for r in data] for i, c in enumerate(cols)})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def export(db: str, batch_id: int, fmt: str) -> str | bytes:
    """The batch's replications in ``fmt`` (csv: text, parquet: bytes)."""
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    with Store(db, create=False) as store:
        try:
            return to_csv(store, batch_id) if fmt == "csv" else to_parquet(store, batch_id)
        except sqlite3.Error as exc:  # damage that the check on opening did not see
            raise store.error(exc, "cannot read") from None


__all__ = ["FORMATS", "ExportError", "StoreError", "columns_and_rows", "export", "to_csv", "to_parquet"]
