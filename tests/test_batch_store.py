"""The results store's packed rows: exact round trip, old databases still read, same exports."""

import json
import math
import sqlite3

import pytest
from conftest import BASELINE

from sim import load_scenario, run
from sim.batch import Store, replication_seed, run_batch
from sim.batch.export import to_csv
from sim.batch.replicate import Chunk, replication_row, run_chunk
from sim.batch.runner import TASK_S, Chunker, chunk_size
from sim.batch.store import Layout, RowCodec, StoreError, layout_of

OIDS = tuple(f"o{j}" for j in range(11))  # more than 8: the met bits take two bytes


def codec(names, choices=(("d1", "a"), ("d1", "b"), ("d2", "x"))):
    return RowCodec(Layout(tuple(names), OIDS, tuple(choices)))


def test_round_trip_keeps_none_nan_ints_bools_and_order():
    values = {"a": None, "b": 0, "c": 1.5, "d": float("nan"), "e": -3, "f": True, "g": 2**52, "h": 1e-300,
              "i": None, "j": 7.0, "k": float("inf")}
    c = codec(values)
    met = [True, False, True, False, False, False, False, False, True, False, True]
    data = c.encode(list(values.values()), met, [("d2", "x"), ("d1", "b")])
    metrics, objectives, decisions = c.decode(data)
    assert list(metrics) == list(values)
    for k, v in values.items():
        got = metrics[k]
        assert type(got) is type(v), k  # None stays None, an int stays int (CSV prints 0, not 0.0), a bool bool
        assert got == v or (isinstance(v, float) and math.isnan(v) and math.isnan(got)), k
    assert objectives == dict(zip(OIDS, met, strict=True))
    assert list(decisions.items()) == [("d2", "x"), ("d1", "b")]  # the order taken, not the layout's
    floats = c.block([data])[0][0]  # the statistics' view: NaN for None
    assert math.isnan(floats[0]) and floats[2] == 1.5 and floats[1] == 0.0


def test_without_bools_or_decisions_the_row_is_shorter_and_still_exact():
    c = codec(["x", "y"])
    plain = c.encode([1, None], [False] * len(OIDS), [])
    assert c.decode(plain) == ({"x": 1, "y": None}, dict.fromkeys(OIDS, False), {})
    with_bool = c.encode([True, None], [False] * len(OIDS), [])
    assert len(with_bool) == len(plain) + 1 and c.decode(with_bool)[0] == {"x": True, "y": None}


def test_bad_rows_are_refused():
    c = codec(["x"])
    with pytest.raises(ValueError, match="layout"):
        c.encode([1.0, 2.0], [False] * len(OIDS), [])
    with pytest.raises(ValueError, match="not in the layout"):
        c.encode([1.0], [False] * len(OIDS), [("d9", "z")])
    with pytest.raises(TypeError, match="not a number"):
        c.encode(["text"], [False] * len(OIDS), [])
    with pytest.raises(ValueError, match="too large"):
        c.encode([2**60], [False] * len(OIDS), [])
    with pytest.raises(StoreError, match="format"):
        c.decode(b"\x07" + bytes(20))


def test_a_baseline_replication_packs_into_little_more_than_its_floats():
    s = load_scenario(BASELINE)
    res = run_chunk(s, Chunk(0, range(3), 5))
    n = len(res.layout.metrics)
    assert n > 100
    for rep in res.reps:
        assert len(rep.data) <= 1 + 8 * n + 2 * ((n + 7) // 8) + 1 + 2 * len(s.decisions)
    one = run(s, replication_seed(5, 1), keep_trace=False)
    expect = replication_row(0, 1, one)
    assert res.row(res.reps[1]) == {k: expect[k] for k in ("point", "index", "metrics", "objectives", "decisions")}


# --- old databases: the JSON-row layout written before ``rep`` ---------------------------------------
OLD_SCHEMA = """
CREATE TABLE batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT, scenario TEXT NOT NULL, scenario_hash TEXT NOT NULL,
    params TEXT NOT NULL, resume_key TEXT NOT NULL, seed INTEGER NOT NULL, reps INTEGER NOT NULL,
    points INTEGER NOT NULL, version TEXT NOT NULL, command TEXT NOT NULL, started TEXT NOT NULL,
    finished TEXT, status TEXT NOT NULL);
CREATE INDEX batch_key ON batch (resume_key, status);
CREATE TABLE replication (
    batch_id INTEGER NOT NULL REFERENCES batch (id), point_index INTEGER NOT NULL,
    seed_index INTEGER NOT NULL, point TEXT NOT NULL, metrics TEXT NOT NULL, objectives TEXT NOT NULL,
    decisions TEXT NOT NULL, trace TEXT, PRIMARY KEY (batch_id, point_index, seed_index)) WITHOUT ROWID;
"""


def _dumps(x, sort=True):
    return json.dumps(x, sort_keys=sort, separators=(",", ":"), ensure_ascii=False)


def old_db(path, rows, meta, status="done"):
    """A database as the previous version wrote it (its schema and its JSON rows), from ``rows``."""
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO batch (scenario, scenario_hash, params, resume_key, seed, reps, points, version, "
               "command, started, finished, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
               (meta["scenario"], meta["scenario_hash"], _dumps(meta["params"]), meta["resume_key"], meta["seed"],
                meta["reps"], meta["points"], meta["version"], meta["command"], meta["started"], meta["finished"],
                status))
    db.executemany("INSERT INTO replication VALUES (?,?,?,?,?,?,?,?)", [
        (1, r["point"], r["index"], _dumps(r["values"]), _dumps(r["metrics"], False),
         _dumps(r["objectives"], False), _dumps(r["decisions"], False),
         "".join(_dumps(t) + "\n" for t in r["trace"]) if "trace" in r else None) for r in rows])
    db.commit()
    db.close()


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """One explored sweep stored the new way, and its rows and batch record."""
    db = tmp_path_factory.mktemp("store") / "new.db"
    summary = run_batch(BASELINE, 12, 3, vary=["forces.vjtf.notice_to_move_h=48,96"], explore_decisions=True,
                        db=db, chunk=5)
    with Store(db, create=False) as st:
        return db, summary, st.batch(1), list(st.rows(1))


def test_new_rows_are_the_runs_rows(stored):
    db, _, meta, rows = stored
    assert [(r["point"], r["index"]) for r in rows] == [(p, i) for p in range(2) for i in range(12)]
    s = load_scenario(BASELINE, ["forces.vjtf.notice_to_move_h=96"])
    from sim.engine.decisions import WeightedRandom
    one = run(s, replication_seed(3, 7), WeightedRandom(), keep_trace=False)
    expect = replication_row(1, 7, one)
    got = rows[12 + 7]
    assert got == {**expect, "values": {"forces.vjtf.notice_to_move_h": 96}}
    assert list(got["metrics"]) == list(one.metrics) and list(got["decisions"]) == list(expect["decisions"])


def test_an_old_database_reads_as_before(stored, tmp_path):
    _, _, meta, rows = stored
    old = tmp_path / "old.db"
    old_db(old, rows, meta)
    with Store(old, create=False) as st:
        assert st.legacy and st.count(1) == 24 and st.traced(1) == 0
        assert st.stored_indices(1, 1, 5, 9) == {5, 6, 7, 8}
        assert list(st.rows(1)) == rows
        assert list(st.rows(1, point=1, lo=3, hi=6)) == rows[15:18]
        assert {k: v for k, v in st.batch(1).items()} == meta
        old_csv = to_csv(st, 1)
        # opened for reading (read-only, so no table is created), an old database has no ``rep``: still read
        assert st.readonly and st.rep_tables == ("replication",)
    with Store(old, create=True) as st:  # opened for writing, ``rep`` is added beside the old rows
        assert st.rep_tables == ("rep", "replication") and list(st.rows(1)) == rows and st.count(1) == 24
    with Store(stored[0], create=False) as st:
        assert not st.legacy
        assert to_csv(st, 1) == old_csv  # the same export, byte for byte, from either layout


def test_an_old_interrupted_batch_resumes_into_the_new_layout(stored, tmp_path):
    db, summary, meta, rows = stored
    old = tmp_path / "old.db"
    old_db(old, rows[:4] + rows[12:21], meta, status="interrupted")  # some of each point
    resumed = run_batch(BASELINE, 12, 3, vary=["forces.vjtf.notice_to_move_h=48,96"], explore_decisions=True,
                        db=old, resume=True)
    assert resumed.to_json() == summary.to_json() and resumed.batch_id == 1
    with Store(old, create=False) as st:
        assert st.count(1) == 24 and list(st.rows(1)) == rows
        (n_old,) = st.db.execute("SELECT count(*) FROM replication").fetchone()
        assert n_old == 13


def test_layout_of_plain_rows_and_add_rows(tmp_path, stored):
    _, _, meta, rows = stored
    lay = layout_of(rows)
    assert lay.metrics == tuple(rows[0]["metrics"]) and lay.objectives == tuple(rows[0]["objectives"])
    assert set(lay.choices) == {kv for r in rows for kv in r["decisions"].items()}
    with Store(tmp_path / "x.db") as st:
        bid = st.create_batch(scenario=meta["scenario"], scenario_hash=meta["scenario_hash"], params=meta["params"],
                              resume_key="k", seed=3, reps=12, points=2, version="t", command="")
        st.add_rows(bid, [{**r, "trace": [{"kind": "start", "t": 0}]} if r["index"] == 0 else r for r in rows])
        back = list(st.rows(bid))
        assert st.traced(bid) == 2 and back[0]["trace"] == [{"kind": "start", "t": 0}]
        assert [{k: v for k, v in r.items() if k != "trace"} for r in back] == rows


def test_chunks_run_about_a_second_and_shrink_at_the_end():
    cost = 0.0013
    assert chunk_size(10_000, 2, cost) == int(TASK_S / cost)   # about a second of work
    assert chunk_size(200, 2, cost, points=65) == 200          # a sensitivity point in one chunk, not 29
    ch = Chunker(2)
    assert ch.size(10_000) == 8                                 # nothing measured yet
    ch.cpu, ch.reps = 0.13, 100
    sizes, left = [], 10_000
    while left:
        n = min(left, ch.size(left))
        sizes.append(n)
        left -= n
    assert sizes[0] == int(TASK_S / cost) and sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == 10_000 and sizes[-1] <= math.ceil(0.05 / cost) + 1 and len(sizes) < 40
    assert Chunker(2, fixed=7).size(10_000) == 7 and Chunker(2, keep_traces=True).size(10_000) <= 100


def _format_1(c, values, met, dec):
    """A row as format 1 wrote it (values first, NaN for None, then the masks), built by hand from its spec."""
    import struct

    def mask(js, nb):
        return sum(1 << j for j in js).to_bytes(nb, "little")
    nb = (len(values) + 7) // 8
    return b"".join((b"\x01", struct.pack(f"<{len(values)}d", *[math.nan if v is None else v for v in values]),
                     mask([j for j, v in enumerate(values) if v is None], nb),
                     mask([j for j, v in enumerate(values) if type(v) is int], nb),
                     mask([j for j, ok in enumerate(met) if ok], 2), struct.pack(f"<{len(dec)}H", *dec)))


def test_a_none_value_takes_no_value_bytes_and_format_1_rows_still_read():
    c = codec(["x", "y", "z"])
    met = [True] + [False] * (len(OIDS) - 1)
    full = c.encode([1.5, 2, 3.0], met, [("d1", "b")])
    holes = c.encode([None, 2, None], met, [("d1", "b")])
    assert len(full) - len(holes) == 16  # two None values: two float64 fewer
    assert c.decode(holes) == ({"x": None, "y": 2, "z": None}, dict(zip(OIDS, met, strict=True)), {"d1": "b"})
    f = c.block([holes])[0][0]
    assert math.isnan(f[0]) and f[1] == 2.0 and math.isnan(f[2])
    old = _format_1(c, [None, 2, 3.0], met, [1])  # a database written before format 2
    assert c.decode(old) == ({"x": None, "y": 2, "z": 3.0}, dict(zip(OIDS, met, strict=True)), {"d1": "b"})
    f = c.block([old])[0][0]
    assert math.isnan(f[0]) and list(f[1:]) == [2.0, 3.0]
