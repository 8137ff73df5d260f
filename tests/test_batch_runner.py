"""run_batch: determinism across backends, seeds per replication, resume, decisions, sensitivity."""

import pytest
from conftest import BASELINE

from sim import load_scenario, run
from sim.batch import BatchError, Interrupted, Store, replication_seed, replication_seeds, run_batch
from sim.batch.sensitivity import sensitivity, uncertain_parameters

VARY = ["deconfliction.p_incident=0.2,0.35"]


@pytest.fixture(scope="module")
def serial():
    return run_batch(BASELINE, 40, 11, vary=VARY, chunk=7)


def test_seeds_are_spawned_children():
    a = replication_seeds(9, 5)
    assert [s.spawn_key for s in a] == [(i,) for i in range(5)]
    assert all((replication_seed(9, i).generate_state(4) == a[i].generate_state(4)).all() for i in range(5))


def test_summary_shape_and_no_wall_clock(serial):
    d = serial.to_dict()
    assert d["scenario"] == "nato-response-2022" and d["seed"] == 11 and d["reps"] == 40
    assert [p["point"] for p in d["points"]] == [{"deconfliction.p_incident": 0.2},
                                                 {"deconfliction.p_incident": 0.35}]
    pt = d["points"][0]
    assert pt["reps"] == 40 and "by_option" not in pt
    assert set(pt["metrics"]["encounters"]) == {"n", "never", "mean", "sd", "p5", "p50", "p95", "ci_low", "ci_high"}
    assert set(pt["objectives"]["no_armed_incident"]) == {"title", "n", "successes", "p", "ci_low", "ci_high"}
    text = serial.to_json()
    assert not any(w in text for w in ("elapsed", "started", "finished", "wall"))
    # a higher incident probability gives more incidents on the same seeds (common random numbers)
    inc = [p["metrics"]["incidents"]["mean"] for p in d["points"]]
    assert inc[1] > inc[0]


def test_identical_json_across_workers_chunks_and_a_dask_cluster(serial):
    two = run_batch(BASELINE, 40, 11, vary=VARY, workers=2)
    assert two.to_json() == serial.to_json()
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = run_batch(BASELINE, 40, 11, vary=VARY, cluster=cluster.scheduler_address, chunk=13)
    assert dask.to_json() == serial.to_json()


def test_replication_i_is_its_own_stream():
    rows20, rows30 = [], []
    run_batch(BASELINE, 20, 4, on_row=rows20.append)
    run_batch(BASELINE, 30, 4, on_row=rows30.append, chunk=4)
    assert [r["index"] for r in rows30] == list(range(30))
    assert [r["metrics"] for r in rows30[:20]] == [r["metrics"] for r in rows20]
    s = load_scenario(BASELINE)
    one = run(s, replication_seed(4, 17), keep_trace=False)
    assert rows30[17]["metrics"] == one.metrics
    assert rows30[17]["objectives"] == {k: o.met for k, o in one.objectives.items()}


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, serial):
    db = tmp_path / "r.db"
    with pytest.raises(Interrupted):
        run_batch(BASELINE, 40, 11, vary=VARY, db=db, chunk=6, stop_after=29)
    with Store(db) as st:
        (b,) = st.batches()
        assert b["status"] == "interrupted" and 29 <= b["stored"] < 80
    seen = []
    resumed = run_batch(BASELINE, 40, 11, vary=VARY, db=db, resume=True, workers=2,
                        on_start=lambda bid, r: seen.append((bid, r)))
    assert seen == [(b["id"], True)] and resumed.batch_id == b["id"]
    assert resumed.to_json() == serial.to_json()
    with Store(db) as st:
        (b,) = st.batches()
        assert b["status"] == "done" and b["stored"] == 80
        assert b["params"]["vary"] == [{"path": "deconfliction.p_incident", "values": [0.2, 0.35]}]
    # a different seed is a different batch, not a resume
    run_batch(BASELINE, 5, 12, vary=VARY, db=db, resume=True)
    with Store(db) as st:
        assert [x["id"] for x in st.batches()] == [1, 2]


def test_failure_marks_the_batch(tmp_path):
    db = tmp_path / "f.db"

    def boom(row):
        raise RuntimeError("consumer broke")

    with pytest.raises(RuntimeError):
        run_batch(BASELINE, 5, 0, db=db, on_row=boom)
    with Store(db) as st:
        assert st.batches()[0]["status"] == "failed"


def test_explore_decisions_counts_per_option():
    s = run_batch(BASELINE, 60, 2, explore_decisions=True).to_dict()["points"][0]
    opts = s["by_option"]["saceur_deconfliction"]
    assert set(opts) == {"directive", "forward"}
    assert sum(o["n"] for o in opts.values()) == 60  # always reached
    # weights 2:1, so directive is taken more often (binomial sd ~3.7 at n=60)
    assert opts["directive"]["n"] > opts["forward"]["n"]
    for o in opts.values():
        cell = o["objectives"]["no_armed_incident"]
        assert cell["ci_low"] <= cell["p"] <= cell["ci_high"]
    total = s["objectives"]["no_armed_incident"]["successes"]
    assert sum(o["objectives"]["no_armed_incident"]["successes"] for o in opts.values()) == total


def test_bad_requests():
    with pytest.raises(BatchError, match="at least 1"):
        run_batch(BASELINE, 0)
    with pytest.raises(BatchError, match="workers"):
        run_batch(BASELINE, 3, workers=0)


SENS = """\
name: sens
title: Sensitivity check
description: one parameter decides the objective, another does not
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 100}
sides:
  blue: {name: Blue}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
forces:
  f1:
    name: First
    side: blue
    kind: land
    strength: 100
    unit: troops
    activate_when: {event: go}
    notice_to_move_h: {dist: uniform, low: 6, high: 18}
    transit_h: {dist: uniform, low: 1, high: 3}
injects:
  go: {title: Go, text: Activate., at_h: 3}
objectives:
  ready:
    title: ready within 12 h of activation
    metric: force.f1.ready_after_activation_h
    target: {lte: 12}
"""


def test_sensitivity_ranks_the_deciding_parameter_first(write):
    path = write("sens.yaml", SENS)
    params = {p for p, *_ in uncertain_parameters(load_scenario(path))}
    assert params == {"forces.f1.notice_to_move_h", "forces.f1.transit_h"}
    rows = sensitivity(path, "ready", reps=30, seed=1)
    assert [r["param"] for r in rows] == ["forces.f1.notice_to_move_h", "forces.f1.transit_h"]
    top = rows[0]
    assert (top["low"], top["high"], top["p_low"], top["p_high"], top["swing"]) == (6, 18, 1.0, 0.0, 1.0)
    assert rows[1]["swing"] == 0.0
    assert 0.3 < top["p_base"] < 0.8  # P(U(6,18) <= 12) = 0.5, n = 30
    given = sensitivity(path, "ready", reps=10, seed=1, ranges=["forces.f1.notice_to_move_h=11:13"])
    assert given[0]["kind"] == "given" and (given[0]["low"], given[0]["high"]) == (11, 13)
    with pytest.raises(Exception, match="no objective 'nope'"):
        sensitivity(path, "nope", reps=2)


def test_pickled_scenario_keeps_its_hash_and_source():
    import pickle
    s = load_scenario(BASELINE, ["forces.vjtf.notice_to_move_h=80"])
    t = pickle.loads(pickle.dumps(s))
    assert (t.content_hash, t.source) == (s.content_hash, s.source) and t.content_hash


def test_traces_kept_only_when_asked(tmp_path):
    db = tmp_path / "t.db"
    rows = []
    run_batch(BASELINE, 3, 1, db=db, keep_traces=True, on_row=rows.append)
    assert all(r["trace"] and r["trace"][0]["kind"] == "start" for r in rows)
    with Store(db) as st:
        stored = list(st.rows(1))
    assert [r["trace"] for r in stored] == [r["trace"] for r in rows]
    plain = []
    run_batch(BASELINE, 2, 1, on_row=plain.append)
    assert all("trace" not in r for r in plain)


def test_resume_needs_a_store():
    with pytest.raises(BatchError, match="--resume needs"):
        run_batch(BASELINE, 3, resume=True)
