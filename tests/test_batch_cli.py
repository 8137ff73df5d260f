"""End-to-end: batch, sensitivity, results and export as a user types them."""
import csv
import io
import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import BASELINE
from typer.testing import CliRunner

from sim.batch import Store, run_batch
from sim.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "results.db"
    r = invoke("batch", BASELINE, "--reps", 30, "--seed", 3, "--vary", "forces.vjtf.notice_to_move_h=48,96",
               "--workers", 1, "--db", db, "--json")
    assert r.exit_code == 0, r.output
    return db, json.loads(r.stdout)


def test_batch_json_is_the_library_summary(stored):
    _db, data = stored
    lib = run_batch(BASELINE, 30, 3, vary=["forces.vjtf.notice_to_move_h=48,96"])
    assert data == json.loads(lib.to_json())
    # slower notice to move: the in-place objective is met less often
    p = [pt["objectives"]["vjtf_in_place"]["p"] for pt in data["points"]]
    assert p[0] > p[1]


def test_batch_table_output(tmp_path):
    r = invoke("batch", BASELINE, "-n", 20, "-w", 1, "--db", tmp_path / "x.db", "--explore-decisions",
               "--metric", "incidents")
    assert r.exit_code == 0, r.output
    out = r.stdout
    for piece in ("20 replications per point", "incidents", "95% CI mean", "P(success)", "95% Wilson",
                  "VJTF in place", "(vjtf_in_place)", "by option taken", "nrf_deploy: deploy"):
        assert piece in out, piece
    assert "encounters" not in out.split("Metrics")[1].split("P(success)")[0]  # filtered by --metric


@pytest.mark.parametrize("args,message", [
    (["--vary", "forces.vjtf.notice_to_move_h=48:96"], "--vary forces.vjtf.notice_to_move_h=48:96: "
                                                        "forces.vjtf.notice_to_move_h: a range is start:stop:step"),
    (["--vary", "deconfliction.p_incident=0.1,1.5"], "--vary deconfliction.p_incident=1.5: deconfliction.p_incident:"),
    (["--vary", "forces.nope.transit_h=1,2"], "forces.nope: no such field"),
    (["--set", "forces.vjtf.notice_to_move_h"], "expected path=value"),
    (["--set", "escalation.half_life_h=-3"], "escalation.half_life_h: Input should be greater than 0"),
    (["--reps", "0"], "--reps: must be at least 1"),
    (["--workers", "0"], "--workers: must be at least 1"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    r = invoke("batch", BASELINE, "--db", tmp_path / "r.db", *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.output
    assert not (tmp_path / "r.db").exists()  # nothing stored for a request that never started


def test_missing_scenario_and_bad_cluster(tmp_path):
    r = invoke("batch", tmp_path / "nope.yaml", "--db", tmp_path / "r.db")
    assert r.exit_code == 2 and "nope.yaml: no such file" in r.stderr
    r = invoke("batch", BASELINE, "-n", 2, "--db", tmp_path / "r.db", "--cluster", "tcp://127.0.0.1:9")
    assert r.exit_code == 2 and "cannot reach the Dask cluster at tcp://127.0.0.1:9" in r.stderr


def test_results_lists_batches(stored, tmp_path):
    db, _ = stored
    r = invoke("results", "--db", db, "--json")
    assert r.exit_code == 0
    (b,) = json.loads(r.stdout)
    assert (b["scenario"], b["seed"], b["reps"], b["points"], b["stored"], b["status"]) == \
        ("nato-response-2022", 3, 30, 2, 60, "done")
    assert b["command"].startswith("crisis-sim batch") and b["version"] and b["started"] <= b["finished"]
    r = invoke("results", "--db", db)
    assert r.exit_code == 0 and "nato-response" in r.stdout and "60/60" in r.stdout
    r = invoke("results", "--db", tmp_path / "none.db")
    assert r.exit_code == 2 and "no such results database" in r.stderr
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all " * 100)
    r = invoke("results", "--db", junk)
    assert r.exit_code == 2 and "not a results database" in r.stderr


def test_export_csv(stored, tmp_path):
    db, data = stored
    out = tmp_path / "b.csv"
    r = invoke("export", 1, "--format", "csv", "--db", db, "--out", out)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 60
    assert [(int(x["point_index"]), int(x["seed_index"])) for x in rows] == [(p, i) for p in (0, 1) for i in range(30)]
    assert {x["point.forces.vjtf.notice_to_move_h"] for x in rows} == {"48", "96"}
    met = sum(int(x["objective.vjtf_in_place"]) for x in rows[:30])
    assert met == data["points"][0]["objectives"]["vjtf_in_place"]["successes"]
    mean = sum(float(x["metric.incidents"]) for x in rows[:30]) / 30
    assert mean == pytest.approx(data["points"][0]["metrics"]["incidents"]["mean"], abs=1e-6)
    assert rows[0]["decision.nrf_deploy"] == "deploy"
    r = invoke("export", 99, "--db", db, "--out", out)
    assert r.exit_code == 2 and "no batch 99" in r.stderr
    r = invoke("export", 1, "--format", "xlsx", "--db", db)
    assert r.exit_code == 2 and "--format: must be one of csv, parquet" in r.stderr


def test_export_parquet_or_a_clear_message(stored, tmp_path):
    db, _ = stored
    out = tmp_path / "b.parquet"
    r = invoke("export", 1, "--format", "parquet", "--db", db, "--out", out)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        assert r.exit_code == 2 and "parquet export needs pyarrow" in r.stderr and not out.exists()
        return
    assert r.exit_code == 0 and pq.read_table(out).num_rows == 60


def test_sensitivity_cli(write):
    from test_batch_runner import SENS
    path = write("sens.yaml", SENS)
    r = invoke("sensitivity", path, "--objective", "ready", "--reps", 20, "--seed", 2, "-w", 1, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["objective"] == "ready" and data["parameters"][0]["param"] == "forces.f1.notice_to_move_h"
    assert data["parameters"][0]["swing"] == 1.0
    r = invoke("sensitivity", path, "--objective", "ready", "--reps", 5, "-w", 1)
    assert r.exit_code == 0 and "forces.f1.notice_to_move_h" in r.stdout and "swing" in r.stdout
    r = invoke("sensitivity", path, "--objective", "nope", "--reps", 5)
    assert r.exit_code == 2 and "no objective 'nope'; objectives: ready" in r.stderr
    r = invoke("sensitivity", path, "--objective", "ready", "--range", "forces.f1.transit_h=3")
    assert r.exit_code == 2 and "expected path=low:high" in r.stderr


@pytest.mark.slow
def test_sensitivity_skips_parameters_with_no_causal_path_and_they_would_not_move_it():
    args = ("sensitivity", BASELINE, "--objective", "vjtf_in_place", "--reps", 4, "--seed", 1, "-w", 1, "--json")
    pruned = json.loads(invoke(*args).stdout)["parameters"]
    full = {r["param"]: r for r in json.loads(invoke(*args, "--all-parameters").stdout)["parameters"]}
    skipped = [r for r in pruned if not r["run"]]
    assert skipped and "adversary.axes.kyiv_north.speed_kmh" in {r["param"] for r in skipped}
    assert {r["param"] for r in pruned if r["run"]} >= {"forces.vjtf.notice_to_move_h", "forces.vjtf.movement.staging_h"}
    assert set(full) == {r["param"] for r in pruned} and all(r["run"] for r in full.values())
    for r in pruned:
        f = full[r["param"]]
        assert (r["p_low"], r["p_high"], r["swing"]) == (f["p_low"], f["p_high"], f["swing"]), r["param"]
    r = invoke(*args[:-1])
    assert r.exit_code == 0 and f"{len(skipped)} parameters not run" in r.stdout


def _stored(db):
    try:
        with Store(db, create=False) as st:
            return st.count(1)
    except Exception:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_process_resumes_to_the_same_summary(tmp_path, sig):
    db = tmp_path / "k.db"
    cmd = [sys.executable, "-m", "sim", "batch", str(BASELINE), "--reps", "240", "--seed", "5",
           "--workers", "1", "--db", str(db), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while _stored(db) < 30 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    kept = _stored(db)
    assert 30 <= kept < 240
    with Store(db) as st:
        assert st.batches()[0]["status"] == ("running" if sig == signal.SIGKILL else "interrupted")
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert f"interrupted: {kept} replications kept in batch 1 of {db}" in stderr and "--resume" in stderr
        return
    r = invoke("batch", BASELINE, "--reps", 240, "--seed", 5, "--workers", 2, "--db", db, "--json", "--resume")
    assert r.exit_code == 0, r.output
    assert "resuming batch 1" in r.stderr
    assert r.stdout.strip() == run_batch(BASELINE, 240, 5, workers=2).to_json()
    with Store(db) as st:
        (b,) = st.batches()
        assert b["status"] == "done" and b["stored"] == 240


def test_export_parquet_without_pyarrow_says_which_extra(stored, tmp_path, monkeypatch):
    db, _ = stored
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = tmp_path / "b.parquet"
    r = invoke("export", 1, "--format", "parquet", "--db", db, "--out", out)
    assert r.exit_code == 2 and "parquet export needs pyarrow: pip install 'crisis-sim[parquet]'" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("before, after", [(False, True), (True, False)])
def test_resume_honours_workers_and_keep_traces(tmp_path, monkeypatch, before, after):
    import sim.batch.runner as batch_runner
    from sim.batch import Interrupted

    db = tmp_path / "r.db"
    with pytest.raises(Interrupted):
        run_batch(BASELINE, 30, 3, db=db, chunk=5, stop_after=10, keep_traces=before)
    pools = []

    class SpyPool(batch_runner.LocalPool):
        def __init__(self, scenarios, workers):
            pools.append(workers)
            super().__init__(scenarios, workers)

    monkeypatch.setattr(batch_runner, "LocalPool", SpyPool)
    r = invoke("batch", BASELINE, "--reps", 30, "--seed", 3, "--db", db, "--workers", 2, "--json", "--resume",
               *(["--keep-traces"] if after else []))
    assert r.exit_code == 0, r.output
    assert pools == [2]                               # --workers is not part of the match, and is honoured
    assert r.stdout.strip() == run_batch(BASELINE, 30, 3).to_json()
    lines = r.stderr.splitlines()
    assert lines[0] == f"resuming batch 1 from {db}: 10 of 30 replications stored, 20 to run with 2 workers"
    if after:
        assert lines[1] == ("--keep-traces: the 20 replications still to run keep their traces; 10 of the 10 "
                            "stored earlier were run without --keep-traces and have none")
    else:
        assert lines[1] == ("no --keep-traces: the 20 replications still to run are stored without traces, "
                            "unlike the 10 stored earlier; add --keep-traces to keep them")
    with Store(db) as st:
        (b,) = st.batches()
        traced = [("trace" in row) for row in st.rows(1)]
    assert b["status"] == "done" and b["stored"] == 30
    assert traced == [before] * 10 + [after] * 20     # --keep-traces applied to the replications still to run
    (res,) = b["params"]["resumes"]
    assert res["keep_traces"] is after and res["stored"] == 10 and "--workers 2" in res["command"]
    assert b["params"]["keep_traces"] is before       # what the first run did, as before


def test_resume_with_the_same_traces_option_says_nothing_about_traces(tmp_path):
    from sim.batch import Interrupted

    db = tmp_path / "r.db"
    with pytest.raises(Interrupted):
        run_batch(BASELINE, 20, 3, db=db, chunk=5, stop_after=5, keep_traces=True)
    r = invoke("batch", BASELINE, "--reps", 20, "--seed", 3, "--db", db, "--workers", 1, "--json", "--resume",
               "--keep-traces")
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        f"resuming batch 1 from {db}: 5 of 20 replications stored, 15 to run with 1 worker"]
    with Store(db) as st:
        assert all("trace" in row for row in st.rows(1))


def test_resume_that_matches_nothing_says_what_differs(tmp_path):
    from sim.batch import Interrupted

    db = tmp_path / "r.db"
    with pytest.raises(Interrupted):
        run_batch(BASELINE, 20, 3, db=db, chunk=5, stop_after=5)
    r = invoke("batch", BASELINE, "--reps", 8, "--seed", 3, "--set", "forces.vjtf.transit_h=20", "--db", db,
               "--workers", 1, "--json", "--resume")
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        f"no unfinished batch matches this command in {db}; starting batch 2",
        "  batch 1 (5 of 20 stored) differs: --set (none) (now forces.vjtf.transit_h=20); --reps 20 (now 8)"]
