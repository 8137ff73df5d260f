"""The AAR as typed data: built once, data.json is its asdict and reads back to the same report;
section numbers come from the data; a comparison on shared seeds is paired and says so."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from sim import load_scenario
from sim.report import aar
from sim.report.generate import ReportRequest, make_report
from sim.report.workshop import WorkshopAAR

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
SLIP = ROOT / "scenarios" / "vjtf-slip.yaml"
REPS = 24


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The VJTF-slip variant against the baseline, on the same seeds (paired) and on other seeds."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        s, base = load_scenario(SLIP), load_scenario(BASE)
        out = {}
        for name, cseed in (("paired", None), ("unpaired", 9)):
            o = tmp_path_factory.mktemp(name)
            out[name] = (o, make_report(ReportRequest(s, SLIP, reps=REPS, seed=2, out=o, compare_with=base,
                                                      compare_seed=cseed)))
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return out


def test_data_json_is_the_typed_report_and_reads_back(reports):
    out, w = reports["paired"]
    data = json.loads((out / "data.json").read_text())
    assert isinstance(w.report, aar.AAR) and not isinstance(w.report, WorkshopAAR)
    assert data == w.report.to_dict()
    back = aar.AAR.from_dict(data)
    assert back == w.report
    assert isinstance(back.objectives[0], aar.Objective) and isinstance(back.objectives[0].batch, aar.BatchOdds)
    assert isinstance(back.comparison, aar.Comparison) and isinstance(back.comparison.rows[0], aar.ComparisonRow)
    assert isinstance(back.comparison.other_objectives["vjtf_ready"], aar.Odds)


def test_section_numbers_come_from_the_data(reports):
    out, w = reports["paired"]
    ids = [s.id for s in w.report.sections]
    assert ids == ["summary", "overview", "timeline", "objectives", "findings", "plan", "comparison"]
    assert [s.number for s in w.report.sections] == list(range(1, 8))
    md = (out / "aar.md").read_text()
    heads = re.findall(r"^## (\d+)\. (\w+)", md, re.M)
    assert [int(n) for n, _ in heads] == list(range(1, 8))
    assert [t for _, t in heads] == ["Executive", "Exercise", "Timeline", "Analysis", "Strengths", "Improvement",
                                     "Comparison"]
    html = (out / "aar.html").read_text()
    assert re.findall(r"<h2>(\d+)\. ", html) == [str(k) for k in range(1, 8)]
    # the objectives' subsections are numbered under their section's number
    k = w.report.sections[ids.index("objectives")].number
    assert re.findall(rf"^### {k}\.(\d+) ", md, re.M) == [str(i) for i in range(1, len(w.report.objectives) + 1)]


def test_comparison_on_shared_seeds_is_paired_and_names_its_tests(reports):
    out, w = reports["paired"]
    comp = w.report.comparison
    assert comp is not None and comp.paired and comp.other_seed == 2
    tests = {r.kind: set() for r in comp.rows}
    for r in comp.rows:
        tests[r.kind].add(r.test)
    assert tests["objective"] <= {"McNemar exact", "McNemar chi-square"}
    assert tests["metric"] == {"paired t"}
    md = (out / "aar.md").read_text()
    table = md.split(". Comparison:")[1]
    assert "| McNemar exact |" in table or "| McNemar chi-square |" in table
    assert "| paired t |" in table and "Welch" not in table and "two-proportion" not in table
    assert "Tests paired: both batches ran on the same seeds" in table
    assert "McNemar test" in w.report.method.comparison and "Welch" not in w.report.method.comparison
    # the VJTF is ready later in the variant in every replication: the paired test finds it
    ready = next(r for r in comp.rows if r.id == "force.vjtf.ready_h")
    assert ready.diff is not None and ready.diff > 0 and ready.significant and ready.n == REPS


def test_comparison_on_other_seeds_stays_unpaired(reports):
    out, w = reports["unpaired"]
    comp = w.report.comparison
    assert comp is not None and not comp.paired and comp.other_seed == 9
    assert {r.test for r in comp.rows} == {"two-proportion z", "Welch t"}
    table = (out / "aar.md").read_text().split(". Comparison:")[1]
    assert "Tests unpaired: the batches ran on different seeds" in table and "McNemar" not in table


def test_workshop_report_extends_the_aar_and_reads_back(tmp_path):
    from typer.testing import CliRunner

    from sim.cli.app import app
    from sim.report.workshop import WorkshopObjective

    log, script, out = tmp_path / "ws.jsonl", tmp_path / "script.txt", tmp_path / "aar"
    script.write_text('next\nnote --team blue --objective vjtf_ready "lift is thin"\nquit\n')
    runner = CliRunner()
    r = runner.invoke(app, ["workshop", str(BASE), "--seed", "3", "--session", str(log), "--script", str(script)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", "--session", str(log), "--reps", "8", "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads((out / "data.json").read_text())
    back = WorkshopAAR.from_dict(data)
    assert back.to_dict() == data
    assert isinstance(back.objectives[0], WorkshopObjective) and back.narrated.source == "workshop"
    ready = next(o for o in back.objectives if o.id == "vjtf_ready")
    assert [n["text"] for n in ready.notes] == ["lift is thin"]
    ids = [s.id for s in back.sections]
    assert ids == ["summary", "overview", "workshop", "timeline", "objectives", "placement", "findings", "plan"]
    md = (out / "aar.md").read_text()
    heads = re.findall(r"^## (\d+)\. (.+)$", md, re.M)
    assert [int(k) for k, _ in heads] == list(range(1, 9))
    assert heads[0][1] == "Executive summary"
    assert heads[2][1] == "Workshop record" and heads[5][1] == "Where this workshop falls"


def test_pairs_follow_replication_indices():
    """A stored batch may hold replications 5 and 7 only: the reference runs those two, and they pair."""
    from sim import run
    from sim.batch.seeds import replication_seed
    from sim.report.compare import shares_seeds
    from sim.report.montecarlo import Replications, replicate

    s, base = load_scenario(SLIP), load_scenario(BASE)
    stored = Replications(s, 4, [run(s, replication_seed(4, i), keep_trace=True) for i in (5, 7)], [5, 7])
    ref = replicate(base, 2, 4, indices=stored.replication_indices())
    assert ref.replication_indices() == [5, 7]
    assert ref.results[1].metrics == run(base, replication_seed(4, 7)).metrics
    assert shares_seeds(stored, ref)
    assert not shares_seeds(stored, replicate(base, 2, 4))          # replications 0 and 1: not pairs
    assert replicate(base, 2, 4).replication_indices() == [0, 1]
