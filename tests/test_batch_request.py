"""execute_batch: one request, one observer hearing the batch in order (start, resume, rows, progress)."""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.batch import BatchRequest, Interrupted, Quiet, ResumeInfo, execute_batch, run_batch

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "nato-response-2022.yaml"


class Recorder(Quiet):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def started(self, batch_id, resumed):
        self.events.append(("started", batch_id, resumed))

    def resume_missed(self, lines):
        self.events.append(("missed", len(lines)))

    def resuming(self, info):
        self.events.append(("resuming", info))

    def row(self, row):
        self.events.append(("row", row["index"]))

    def progress(self, done, total):
        self.events.append(("progress", done, total))


def test_observer_hears_start_then_rows_and_progress_in_order():
    rec = Recorder()
    summary = execute_batch(BatchRequest(BASELINE, 6, 2, chunk=4), rec)
    assert rec.events[0] == ("started", None, False)
    rows = [e[1] for e in rec.events if e[0] == "row"]
    assert rows == list(range(6))
    progress = [e[1:] for e in rec.events if e[0] == "progress"]
    assert progress[-1] == (6, 6) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    # the wrapper with the old arguments gives the same summary
    assert run_batch(BASELINE, 6, 2, chunk=4).to_json() == summary.to_json()
    assert execute_batch(BatchRequest(BASELINE, 6, 2)).to_json() == summary.to_json()  # no observer: quiet


def test_a_resume_is_told_with_its_counts(tmp_path):
    db = tmp_path / "r.db"
    with pytest.raises(Interrupted):
        execute_batch(BatchRequest(BASELINE, 10, 3, db=db, chunk=5, stop_after=5))
    # a resume that matches no unfinished batch says what differs, then starts a new one
    rec = Recorder()
    execute_batch(BatchRequest(BASELINE, 4, 9, db=db, resume=True), rec)
    assert rec.events[:2] == [("started", 2, False), ("missed", 1)]
    rec = Recorder()
    execute_batch(BatchRequest(BASELINE, 10, 3, db=db, resume=True, keep_traces=True), rec)
    assert rec.events[0] == ("started", 1, True)
    kind, info = rec.events[1]
    assert kind == "resuming" and isinstance(info, ResumeInfo)
    assert 5 <= info.stored < 10 and info.to_run == 10 - info.stored
    assert (info.batch_id, info.total, info.traced, info.keep_traces, info.workers) == (1, 10, 0, True, 1)
    assert [e[1] for e in rec.events if e[0] == "row"] == list(range(10))


def test_rows_are_built_only_for_an_observer_that_reads_them():
    from sim.batch import Callbacks

    assert not Quiet().wants_rows and Recorder().wants_rows
    assert not Callbacks().wants_rows and Callbacks(on_row=print).wants_rows

    class Counting(Quiet):
        def __init__(self) -> None:
            self.done = 0

        def progress(self, done, total):
            self.done = done

    c = Counting()
    assert not c.wants_rows
    execute_batch(BatchRequest(BASELINE, 3, 1), c)
    assert c.done == 3
