"""A sweep side by side, what `results` tells apart, and the --resume line after an interrupted batch."""
import json
import re

from conftest import BASELINE
from typer.testing import CliRunner

from sim.batch import Interrupted, run_batch
from sim.cli.app import app
from sim.cli.batch_cmd import sweep_table

VARY = ["--vary", "forces.vjtf.notice_to_move_h=48,96", "--vary", "deconfliction.measures.hotline.active=true,false"]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_two_way_sweep_is_one_table_of_its_points(tmp_path):
    db = tmp_path / "r.db"
    r = invoke("batch", BASELINE, "-n", 12, "-w", 1, "--db", db, *VARY)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "4 sweep points, 12 replications each" in out and "Point:" not in out
    assert "O3 VJTF in place on the eastern flank by H+120 (vjtf_in_place)" in out and "--detail" in out
    assert len(out.splitlines()) < 60  # was 8 blocks of tables
    # the rows are the grid in order, the first --vary slowest, with the library's figures
    lib = run_batch(BASELINE, 12, 0, vary=[VARY[1], VARY[3]]).to_dict()
    table, key = sweep_table(lib)
    assert table.row_count == 4 and len(key) == len(lib["points"][0]["objectives"])
    cells = [[str(c) for c in col._cells] for col in table.columns]
    assert cells[1] == ["48", "48", "96", "96"] and cells[2] == ["true", "false", "true", "false"]
    oids = list(lib["points"][0]["objectives"])
    k = 3 + oids.index("vjtf_in_place")
    for i, pt in enumerate(lib["points"]):
        o = pt["objectives"]["vjtf_in_place"]
        assert cells[k][i] == f"{o['p']:.0%}\n{o['ci_low'] * 100:.0f}-{o['ci_high'] * 100:.0f}"
    assert [c.header for c in table.columns][-3:] == ["incidents", "peak tension", "peak rung"]
    r = invoke("batch", BASELINE, "-n", 12, "-w", 1, "--db", db, *VARY, "--detail")
    assert r.exit_code == 0 and r.stdout.count("Point: ") == 4


def test_results_tells_batches_apart_and_an_interrupted_one_points_at_resume(tmp_path):
    db = tmp_path / "r.db"
    r = invoke("batch", BASELINE, "-n", 4, "-w", 1, "--db", db, "--set", "forces.vjtf.transit_h=30")
    assert r.exit_code == 0, r.output
    cmd = ["batch", BASELINE, "-n", 6, "-w", 1, "--db", db, "--vary", "forces.vjtf.notice_to_move_h=48,96"]
    try:
        run_batch(BASELINE, 6, 0, vary=["forces.vjtf.notice_to_move_h=48,96"], db=db, stop_after=5, chunk=1,
                  command="crisis-sim batch x")
    except Interrupted:
        pass
    r = invoke("results", "--db", db, "--json")
    b1, b2 = json.loads(r.stdout)
    assert b1["varied"] == "--set forces.vjtf.transit_h=30" and b1["resume_command"] is None
    assert b2["varied"] == "--vary forces.vjtf.notice_to_move_h=48,96" and b2["status"] == "interrupted"
    r = invoke("results", "--db", db)
    flat = re.sub(r"[\s│]+", " ", r.stdout)
    assert "5/12" in r.stdout and "interrupted" in r.stdout and "4/4" in r.stdout
    assert "notice_to_mo" in r.stdout and "transit_h=30" in flat.replace(" ", "")
    assert "batch 2 is interrupted (5 of 12 replications stored); to complete it: crisis-sim batch x --resume" \
        in flat
    # the same command again: it says so and shows the --resume line, then runs a new batch
    r = invoke(*cmd)
    assert r.exit_code == 0, r.output
    note = " ".join(r.stderr.split())
    assert "note: batch 2 in" in note and "is this same command, interrupted with 5 of 12 replications" in note
    assert "--vary forces.vjtf.notice_to_move_h=48,96 --workers 1 --db" in note and note.endswith("--resume")
    r = invoke(*cmd, "--resume")
    assert r.exit_code == 0 and "resuming batch 2" in r.stderr
