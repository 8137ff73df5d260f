"""A report from a stored batch: the sweep point asked for, the decisions the batch used."""
from __future__ import annotations

import json

import pytest
from conftest import BASELINE
from typer.testing import CliRunner

from sim.cli.app import app

SWEEP = "forces.vjtf.notice_to_move_h.high=96,120"   # neither point is the scenario as written


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def sweep_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("stored")
    r = invoke("batch", BASELINE, "--reps", 12, "--seed", 3, "--vary", SWEEP, "-w", 1, "--db", d / "r.db", "--json")
    assert r.exit_code == 0, r.output
    return d / "r.db", json.loads(r.stdout)


@pytest.mark.slow
def test_report_of_a_sweep_point_is_that_points_batch(sweep_db, tmp_path):
    db, summary = sweep_db
    r = invoke("report", "--db", db, "--batch", 1, "--point", 2, "--format", "md", "--out", tmp_path / "p2")
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "p2" / "data.json").read_text())
    point = summary["points"][1]
    assert point["point"] == {"forces.vjtf.notice_to_move_h.high": 120}
    for o in data["objectives"]:
        stored = point["objectives"][o["id"]]
        assert (o["batch"]["successes"], o["batch"]["n"]) == (stored["successes"], stored["n"]), o["id"]
    md = (tmp_path / "p2" / "aar.md").read_text()
    assert "point 2 of 2 (forces.vjtf.notice_to_move_h.high=120)" in md


def test_report_of_a_sweep_has_every_points_odds_and_the_sweep_chart(sweep_db, tmp_path):
    db, summary = sweep_db
    r = invoke("report", "--db", db, "--batch", 1, "--point", 2, "--format", "md", "--out", tmp_path / "p2")
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "p2" / "data.json").read_text())
    sweep = data["sweep"]
    assert sweep["vary"] == ["forces.vjtf.notice_to_move_h.high"] and sweep["reported"] == 2
    ids = [o["id"] for o in sweep["objectives"]]
    for pt, stored in zip(sweep["points"], summary["points"], strict=True):
        for oid, odds in zip(ids, pt["odds"], strict=True):
            assert (odds["successes"], odds["n"]) == (stored["objectives"][oid]["successes"],
                                                      stored["objectives"][oid]["n"]), (pt["n"], oid)
    md = (tmp_path / "p2" / "aar.md").read_text()
    assert "Sweep: forces.vjtf.notice_to_move_h.high" in md and "| 2 (this report) |" in md
    assert (tmp_path / "p2" / "charts" / "sweep.svg").read_bytes().startswith(b"<?xml")


def test_point_out_of_range_lists_the_points(sweep_db, tmp_path):
    db, _ = sweep_db
    r = invoke("report", "--db", db, "--batch", 1, "--point", 3, "--out", tmp_path / "x")
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--point 3: batch 1 has 2 points" in lines[0]
    assert "1 = forces.vjtf.notice_to_move_h.high=96; 2 = forces.vjtf.notice_to_move_h.high=120" in lines[0]
    assert not (tmp_path / "x").exists()


def test_point_without_a_stored_batch_is_refused(tmp_path):
    r = invoke("report", BASELINE, "--point", 2, "--out", tmp_path / "x")
    assert r.exit_code == 2 and "--point picks a sweep point of a stored batch" in r.output
    assert not (tmp_path / "x").exists()


def test_report_of_a_batch_that_explored_decisions_reproduces_it(tmp_path):
    db = tmp_path / "e.db"
    r = invoke("batch", BASELINE, "--reps", 10, "--seed", 5, "--explore-decisions", "-w", 1, "--db", db, "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    r = invoke("report", "--db", db, "--batch", 1, "--format", "md", "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "rep" / "data.json").read_text())
    for o in data["objectives"]:
        stored = summary["points"][0]["objectives"][o["id"]]
        assert (o["batch"]["successes"], o["batch"]["n"]) == (stored["successes"], stored["n"]), o["id"]
    assert data["sweep"] is None and not (tmp_path / "rep" / "charts" / "sweep.svg").exists()
