"""A workshop report rates the table's path, with the default decisions beside it as the counterfactual.

A scripted workshop (`crisis-sim workshop --script`) holds the NRF at readiness; a team then records a
response to an inject (the browser workshop's ``response`` entry, written here through the session API).
`crisis-sim report --session LOG --reps 30` must not rate "VJTF in place on the eastern flank by H+120"
P (the table's decision keeps the VJTF at home in every replication), must show the default-decision
batch on the same seeds beside it (where the VJTF does arrive), must set the team's response against the
inject's expected action, and must give the pace (planned against actual exercise time) from STARTEX.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from conftest import scripted_session
from typer.testing import CliRunner

from sim import load_scenario
from sim.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
REPS = 30
STARTEX = "2026-03-02T09:00:00+00:00"
SCRIPT = """\
next
next 30
decide saceur_deconfliction forward "show resolve" --team blue
next 30
decide nrf_deploy hold "avoid provocation" --team blue
quit
"""
RESPONSE = "Scrambled <b>QRA</b> | pair"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("table")
    out = tmp / "aar"
    log, sess = scripted_session(tmp, SCRIPT, STARTEX)
    delivered = [rec.inject for rec in sess.view().trace if rec.kind == "inject"]
    assert "invasion" in delivered
    sess.respond("blue", "invasion", RESPONSE)
    sess.close()
    r = CliRunner().invoke(app, ["report", "--session", str(log), "--reps", str(REPS), "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads((out / "data.json").read_text())
    return log, data, (out / "aar.md").read_text(), (out / "aar.html").read_text()


def test_the_table_path_rates_the_objectives_and_the_defaults_stand_beside(report):
    _, data, md, html = report
    title = "VJTF in place on the eastern flank by H+120"
    o = next(x for x in data["objectives"] if x["title"] == title)
    assert o["rating"] != "P"
    assert o["batch"]["successes"] == 0 and o["batch"]["n"] == REPS     # held in every replication
    assert not re.search(rf"{re.escape(title)} \[P\b", md)
    place = next(x for x in data["workshop"]["placement"]["objectives"] if x["title"] == title)
    assert place["default_rating"] == "P" and place["default_successes"] > 0
    cf = data["workshop"]["counterfactual"]
    assert cf["paired"] is True and cf["other"] == "had the table taken the defaults"
    row = next(r for r in cf["rows"] if r["kind"] == "objective" and r["title"] == title)
    assert row["this"] == 0.0 and row["other"] == pytest.approx(place["default_p"], abs=1e-3)
    assert row["test"].startswith("McNemar") and row["significant"] is True
    # the objectives the hold does not touch are rated alike on both batches
    day1 = next(x for x in data["workshop"]["placement"]["objectives"] if x["id"] == "activation_day1")
    assert day1["p"] == day1["default_p"]
    for text in (md, html):
        assert "Had the table taken the defaults (counterfactual)" in text
    cf_md = md.split("Had the table taken the defaults (counterfactual)", 1)[1].split("\n## ", 1)[0]
    line = next(x for x in cf_md.splitlines() if x.startswith(f"| {title} |"))
    assert line.startswith(f"| {title} | {o['rating']} | 0.000 (0/{REPS}) | P |")


def test_responses_against_the_expected_action(report):
    _, data, md, html = report
    s = load_scenario(BASE)
    (resp,) = data["workshop"]["record"]["responses"]
    assert (resp["team"], resp["inject"], resp["text"]) == ("blue", "invasion", RESPONSE)
    assert resp["expected_action"] == s.injects["invasion"].expected_action
    block = md.split("### Responses to injects", 1)[1].split("###", 1)[0]
    line = next(x for x in block.splitlines() if "`invasion`" in x)
    assert s.injects["invasion"].expected_action in line and "Scrambled &lt;b>QRA&lt;/b> \\| pair" in line  # tags neutralised in Markdown (issue 11)
    assert "Scrambled &lt;b&gt;QRA&lt;/b&gt; | pair" in html and "<b>QRA</b>" not in html


def test_pace_planned_against_actual(report):
    log, data, _md, _html = report
    pace = data["workshop"]["record"]["pace"]
    assert pace["startex"] == STARTEX and pace["minutes_per_turn"] == 20.0
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    stops = [e for e in entries if e["kind"] == "next"]
    assert len(pace["rows"]) == len(stops) >= 3
    start = datetime.fromisoformat(STARTEX)
    for row, e in zip(pace["rows"], stops, strict=True):
        assert row["planned_min"] == pytest.approx(e["sim_h"] / 6.0 * 20.0, abs=0.05)
        actual = (datetime.fromisoformat(e["wall"]) - start).total_seconds() / 60
        assert row["actual_min"] == pytest.approx(actual, abs=0.05)
        assert row["behind_min"] == pytest.approx(actual - row["planned_min"], abs=0.1)
        assert row["how"].endswith("behind")     # STARTEX lies in the past: every turn came late


def test_no_objective_sentence_more_than_twice(report):
    from test_report_summary import objective_sentences
    _, _data, md, _html = report
    counts = objective_sentences(md, [o.title for o in load_scenario(BASE).objectives.values()])
    assert counts and max(counts.values()) <= 2, [(k, v) for k, v in counts.items() if v > 2]
