"""Workshop summary for the report, and where the workshop's outcome falls among simulated runs."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE

from sim import load_scenario, run
from sim.scenario.metrics import metric_registry
from sim.workshop import Session, compare_to_batch, percentile_rank, session_summary
from sim.workshop.commands import execute
from sim.workshop.summary import describe


def test_percentile_rank_on_plain_lists():
    r = percentile_rank(70, [50, 60, 65, 70, 80, 90, None, 100])
    assert (r["n"], r["below"], r["equal"], r["above"]) == (8, 3 / 8, 1 / 8, 4 / 8)
    assert r["percentile"] == pytest.approx(100 * (3 / 8 + 1 / 16)) and r["never"] == 1 / 8
    never = percentile_rank(None, [1, 2, None])
    assert never["below"] == pytest.approx(2 / 3) and never["equal"] == pytest.approx(1 / 3)
    low = percentile_rank(None, [1, 2, None], none_is_high=False)
    assert low["above"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        percentile_rank(1, [])


def test_rank_against_a_large_sample_matches_the_distribution():
    xs = np.random.default_rng(5).uniform(0, 100, 20_000)
    r = percentile_rank(62.0, list(xs))
    assert r["below"] == pytest.approx(0.62, abs=0.015)   # binomial sd 0.0034: 4 sd


def test_sentence_wording(baseline):
    reg = metric_registry(baseline)  # the sentence reads the metric's kind from its spec
    r = percentile_rank(70, [60] * 62 + [80] * 38)
    assert describe(reg["force.vjtf.in_place_h"], "VJTF in place", 70, r) == \
        "VJTF in place at H+70: later than 62% of 100 simulated runs"
    r = percentile_rank(3, [5] * 90 + [1] * 10)
    assert describe(reg["incidents"], "Incidents", 3, r) == "Incidents: 3, lower than 90% of 100 simulated runs"
    r = percentile_rank(60, [60] * 80 + [None] * 20)
    assert describe(reg["force.vjtf.in_place_h"], "VJTF in place", 60, r) == \
        "VJTF in place at H+60: the same as in 80% of 100 simulated runs (later than 0%, earlier than 20%); " \
        "it never happened within the horizon in 20%"


def _played(tmp_path, seed=3):
    log = tmp_path / "ws.jsonl"
    sess = Session.start(load_scenario(BASELINE), seed=seed, log_path=log, scenario_path=str(BASELINE))
    for c in ["next 20", 'decide saceur_deconfliction forward "show the flag"', "inject airspace_violation",
              'inject "Drone over a NATO base" --tension 4', "note --team blue --objective vjtf_ready slow start",
              "note general remark", "next"]:
        assert execute(sess, c).items[0].kind != "error", c
    sess.close()
    return sess, log


def test_summary_marks_decisions_not_played(tmp_path):
    sess, log = _played(tmp_path)
    s = session_summary(log)
    assert s["stopped_h"] == sess.clock and s["closed"] and s["seed"] == 3
    by = {d["decision"]: d for d in s["decisions"]}
    assert by["saceur_deconfliction"]["played"] and by["saceur_deconfliction"]["rationale"] == "show the flag"
    assert by["saceur_deconfliction"]["wall"] and by["saceur_deconfliction"]["sim_h"] == pytest.approx(
        by["saceur_deconfliction"]["decision_h"])
    for did in ("nrf_deploy", "air_defence", "red_reserves"):
        assert not by[did]["played"] and by[did]["option"] == by[did]["default"] and by[did]["wall"] is None
    # the result is the workshop's path to the horizon: played choices and injects, defaults for the rest
    extra = [(e["id"], sess.inject_spec(e), e["at_h"]) for e in sess.play.injects]
    expect = run(sess.scenario, 3, {"saceur_deconfliction": "forward"}, extra_injects=extra)
    assert s["metrics"] == expect.metrics and s["result"].horizon_h == 144
    assert s["result_at_stop"].state["t_h"] <= sess.clock + 1e-4
    assert [i["inject"] for i in s["injects"]] == ["airspace_violation", None]
    assert s["injects"][1]["text"] == "Drone over a NATO base" and s["injects"][1]["effects"][0]["tension"]["value"] == 4
    assert [n["text"] for n in s["notes_by_objective"]["vjtf_ready"]] == ["slow start"]
    assert [n["text"] for n in s["notes_by_team"][""]] == ["general remark"]


def test_compare_to_given_distributions_and_rows(tmp_path):
    _, log = _played(tmp_path)
    s = session_summary(log)
    v = s["metrics"]["peak_tension"]
    dist = {"peak_tension": [v - 1] * 3 + [v + 1]}
    (c,) = compare_to_batch(s, dist, metrics=["peak_tension"])
    assert c["below"] == 0.75 and "higher than 75% of 4 simulated runs" in c["sentence"]
    n = s["metrics"]["incidents"]   # rows either side of the session's value (0 since encounters were calibrated)
    rows = [{"peak_tension": v - 1, "incidents": n - 1}, {"peak_tension": v + 1, "incidents": n + 1000}]
    out = compare_to_batch(s, rows, metrics=["peak_tension", "incidents"])
    assert [(c["metric"], c["below"]) for c in out] == [("peak_tension", 0.5), ("incidents", 0.5)]
    runner_rows = [{"index": i, "metrics": r} for i, r in enumerate(rows)]
    assert compare_to_batch(s, runner_rows, metrics=["peak_tension", "incidents"]) == out


def test_compare_simulates_when_given_no_distribution(tmp_path):
    _, log = _played(tmp_path)
    s = session_summary(log)
    out = {c["metric"]: c for c in compare_to_batch(s, n=40, seed=11)}
    assert "force.vjtf.in_place_h" in out and "incidents" in out
    scen = load_scenario(BASELINE)
    vals = [run(scen, ch, keep_trace=False).metrics["incidents"] for ch in np.random.SeedSequence(11).spawn(40)]
    assert out["incidents"]["below"] == pytest.approx(np.mean(np.array(vals) < s["metrics"]["incidents"]))
    assert out["incidents"]["n"] == 40


def test_percentile_rank_shares_are_never_negative():
    # 1 - 0.9 - 0.1 is -2.8e-17 in floating point: the report printed "Above -0.000"
    r = percentile_rank(3, [2] * 18 + [3] * 2)
    assert (r["below"], r["equal"], r["above"]) == (0.9, 0.1, 0.0)
    assert str(round(r["above"], 3)) == "0.0"
