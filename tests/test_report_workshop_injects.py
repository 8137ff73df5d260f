"""The workshop record's injects (report --session): what reached the table, when (both clocks), and how.

Fast: each test plays a short session through the Session API and builds the record from its log,
with no Monte Carlo batch.
"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from conftest import BASELINE

from sim import load_scenario
from sim.report import workshop as W
from sim.workshop import Session, session_summary
from sim.workshop.commands import execute
from sim.workshop.log import read_log


@pytest.fixture
def ticking_wall(monkeypatch):
    """Each log entry is written one minute after the one before (a real table's pace)."""
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    tick = itertools.count()
    monkeypatch.setattr("sim.workshop.session.wall_now",
                        lambda: (t0 + timedelta(minutes=next(tick))).isoformat(timespec="seconds"))


def _record(tmp_path, commands, seed=7):
    log = tmp_path / "ws.jsonl"
    sess = Session.start(load_scenario(BASELINE), seed=seed, log_path=log, scenario_path=str(BASELINE))
    for c in commands:
        assert execute(sess, c).items[0].kind != "error", c
    sess.close()
    s = sess.scenario
    summ = session_summary(log)
    return sess, W.record(s, summ, list(read_log(log).entries), batch_seed=seed, reps=1)


def test_a_scheduled_inject_fired_again_keeps_its_scheduled_delivery(tmp_path):
    # the invasion comes at H+0 as scheduled; the facilitator reads it out again at the third stop
    sess, rec = _record(tmp_path, ["next 3", "inject invasion"])
    inv = [i for i in rec["injects"] if i["inject"] == "invasion"]
    assert [(i["sim_h"], i["source"]) for i in inv] == [(0.0, "scheduled"), (round(sess.clock, 4), "fired by the facilitator")]


def test_injects_set_off_by_a_default_answer_never_reached_the_table(tmp_path):
    # the session ends with "Deploy NRF elements?" open; Article V reaffirmed follows that decision, so it
    # is on the path carried on with the default, but the table never saw it
    sess, rec = _record(tmp_path, ["next 20", "decide saceur_deconfliction directive", "next 20"])
    assert sess.pending["decision"] == "nrf_deploy"
    shown = [i["inject"] for i in rec["injects"]]
    assert "summit" in shown and "no_troops_ukraine" in shown
    assert "article5" not in shown


def test_an_inject_set_off_by_an_action_has_that_action_s_exercise_time(tmp_path, ticking_wall):
    # entries one minute apart: open +0:00, n stops to the deconfliction decision (+0:01 to +0:0n), the
    # decision (+0:0n+1), the summit brought forward (+0:0n+2), which sets off "No NATO troops into
    # Ukraine" at once, and the NRF deployed (+0:0n+3), which sets off "Article V reaffirmed"
    sess, rec = _record(tmp_path, ["next 20", "decide saceur_deconfliction directive", "inject summit",
                                   "decide nrf_deploy deploy"])
    n = len([e for e in sess.entries if e["kind"] == "next"])
    assert 1 <= n < 20  # the run paused at the decision before its twentieth stop
    inj = {i["inject"]: i for i in rec["injects"]}
    assert inj["invasion"]["exercise_time"] == "+0:00:00"
    stops = {f"+0:{k:02d}:00" for k in range(1, n + 1)}
    before = [i for i in rec["injects"] if 0 < i["sim_h"] < inj["summit"]["sim_h"]]
    assert before and all(i["exercise_time"] in stops for i in before)  # the ones before reached the table at a stop
    assert inj["summit"]["exercise_time"] == f"+0:{n + 2:02d}:00"
    assert inj["no_troops_ukraine"]["exercise_time"] == f"+0:{n + 2:02d}:00"     # not the last stop's
    assert inj["article5"]["exercise_time"] == f"+0:{n + 3:02d}:00"
    order = [i["inject"] for i in rec["injects"]]
    assert order.index("summit") < order.index("no_troops_ukraine") < order.index("article5")


def test_why_names_an_ad_hoc_inject_by_its_title_not_its_log_id(tmp_path):
    from sim.report.causes import explain

    sess, _rec = _record(tmp_path, ["next", 'inject "Moscow cuts the hotline" --title "Hotline cut" --tension 40'])
    why = explain(sess.scenario, "no_armed_incident", sess.final_result())
    assert why is not None
    text = " ".join([why.key, why.headline] + [st.text for st in why.chain])  # rung steps name it by title too
    assert "adhoc-" not in text
    assert why.headline.startswith("ad-hoc inject \u201cHotline cut\u201d at H+") and why.key == "inject: Hotline cut"


def test_a_scheduled_inject_brought_forward_is_not_called_a_library_inject(tmp_path):
    _, rec = _record(tmp_path, ["next", "inject summit", "inject airspace_violation"])
    src = {i["inject"]: i["source"] for i in rec["injects"]}
    assert src["airspace_violation"] == "library"
    assert src["summit"] == "fired by the facilitator"
    assert src["no_troops_ukraine"] == "scheduled"
