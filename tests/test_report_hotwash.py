"""The hot-wash in the workshop report: `end` writes the objectives scoreboard to the session log, and
`crisis-sim report --session LOG` shows it with the pace at that moment (planned against actual exercise
time from STARTEX) and the teams' responses against the injects that had an expected action."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import scripted_session
from typer.testing import CliRunner

from sim.cli.app import app
from sim.report.workshop import hotwash
from sim.workshop.commands import execute

STARTEX = "2026-03-02T09:00:00+00:00"
SCRIPT = "next\nnext 3\nnote --team nato \"air <i>picture</i> thin\"\nquit\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hotwash")
    out = tmp / "aar"
    log, sess = scripted_session(tmp, SCRIPT, STARTEX)
    sess.respond("blue", "invasion", "Council convened <b>at once</b>")
    reply = execute(sess, "end")                 # the hot-wash, written to the log; closes the session
    assert reply.quit
    r = CliRunner().invoke(app, ["report", "--session", str(log), "--reps", "8", "--out", str(out)])
    assert r.exit_code == 0, r.output
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    data = json.loads((out / "data.json").read_text())
    return entries, data, (out / "aar.md").read_text(), (out / "aar.html").read_text()


def test_the_logged_hotwash_is_in_the_report_with_pace_and_responses(report):
    entries, data, md, html = report
    logged = next(e for e in entries if e["kind"] == "hotwash")
    hw = data["workshop"]["record"]["hotwash"]
    assert (hw["met"], hw["objectives"]) == (logged["summary"]["met"], logged["summary"]["objectives"])
    assert [r["title"] for r in hw["scoreboard"]] == [r["title"] for r in logged["summary"]["scoreboard"]]
    assert [r["met"] for r in hw["scoreboard"]] == [r["met"] for r in logged["summary"]["scoreboard"]]
    # the pace at the hot-wash: planned = sim hours / 6 h x 20 min, actual = its wall clock after STARTEX
    planned = logged["sim_h"] / 6.0 * 20.0
    actual = (datetime.fromisoformat(logged["wall"]) - datetime.fromisoformat(STARTEX)).total_seconds() / 60
    assert hw["pace"]["planned_min"] == pytest.approx(planned, abs=0.05)
    assert hw["pace"]["actual_min"] == pytest.approx(actual, abs=0.05) and hw["pace"]["how"].endswith("behind")
    # one response, to the invasion; every other inject with an expected action went unanswered
    asked = [i for i in data["workshop"]["record"]["injects"] if i["expected_action"]]
    assert hw["expected"] == len(asked) >= 2 and hw["answered"] == 1 and hw["responses"] == 1
    assert "Full-scale invasion" not in hw["unanswered"] and len(hw["unanswered"]) == len(asked) - 1
    block = md.split("### Hot-wash", 1)[1].split("###", 1)[0]
    assert f"{hw['met']} of {hw['objectives']} objectives met" in block
    assert f"answered 1 of the {len(asked)} injects" in block and hw["pace_text"] in block
    for r in hw["scoreboard"]:
        assert f"| {r['title']} | {'met' if r['met'] else 'not met'} |" in block
    assert "<h3>Hot-wash</h3>" in html and f"{hw['met']} of {hw['objectives']} objectives met" in html


def test_team_naming_is_one_in_the_report(report):
    _entries, data, md, _html = report
    w = data["workshop"]["record"]
    teams = {d["team"] for d in w["decisions"]} | {n["team"] for n in w["notes"]} | {r["team"] for r in w["responses"]}
    assert teams <= {"blue", "red", "white"} and "blue" in teams          # the note --team nato is blue's
    assert "nato" not in {b["team"] for b in w["observations"]["by_team"]}
    table = md.split("### Decisions", 1)[1].split("###", 1)[0]
    assert "| nato |" not in table and "| russia |" not in table


def test_no_hotwash_without_end():
    assert hotwash([{"kind": "open"}, {"kind": "close"}], {}, 6.0, [], []) is None
