"""The "why" analysis reads causes from traces: escalation, deconfliction and checkpoint posture,
and the tension replay agrees with the engine's own snapshots."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run, stats
from sim.report.causes import batch_causes, explain
from sim.report.tension import value_at

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "nato-response-2022.yaml"


def _reps(s, n, seed):
    return [run(s, ss) for ss in np.random.SeedSequence(seed).spawn(n)]


def test_tension_replay_matches_checkpoint_and_end_snapshots():
    s = load_scenario(BASE, ["deconfliction.p_incident=0.6"])
    for seed in range(6):
        r = run(s, seed)
        cp = next(x for x in r.trace if x.kind == "checkpoint")
        end = r.trace[-1]
        assert value_at(r.trace, cp.t_h) == pytest.approx(cp.tension, abs=1e-3)
        assert value_at(r.trace, end.t_h) == pytest.approx(end.tension, abs=1e-3)


# The baseline before its encounters were calibrated (issue 10 item 7): the former rates and one incident class
# adding the former mean tension (8.3), so that incidents drive tension over the "Armed incident" line
SPIRAL = ["deconfliction.encounter_rate={air: 0.000075, sea: 0.00003}",
          "deconfliction.severity={classes: [{id: routine_intercept, name: Routine intercept, share: 0.1, tension: 0, "
          "measure_factor: 1, basis: assumption}, {id: incident, name: Incident, share: 0.9, tension: 8.3, "
          "measure_factor: 1, basis: assumption}]}"]


def test_escalation_why_names_the_jump_that_crossed_the_line():
    s = load_scenario(BASE, SPIRAL)
    results = _reps(s, 20, 4)
    missed = [r for r in results if not r.objectives["no_armed_incident"].met]
    assert len(missed) >= 15
    for r in missed:
        w = explain(s, "no_armed_incident", r)
        climb = next(x for x in r.trace if x.kind == "rung" and x.rung >= 3 and x.from_rung < 3)
        assert f"H+{climb.t_h:.1f}" in w.headline or f"H+{climb.t_h:.0f}" in w.headline
        assert "over rung 3 (Armed incident, threshold 78)" in w.headline
        assert any(st.text == climb.text for st in w.chain)
        if climb.actor == "nato/russia":
            assert w.key.endswith("incident")
    bc = batch_causes(s, "no_armed_incident", results)
    assert bc["failed"] == len(missed)
    assert sum(c["count"] for c in bc["causes"]) == len(missed)
    assert bc["causes"][0]["cause"] in ("air incident", "sea incident")


def test_checkpoint_why_names_the_force_not_in_place():
    s = load_scenario(BASE, ["forces.nrf_air.activate_when={event: summit}"])
    r = run(s, 2)
    assert not r.objectives["air_posture"].met
    w = explain(s, "air_posture", r)
    assert w.key == "not in place at checkpoint: NRF air elements"
    assert "NRF air elements (20 aircraft) still activated" in w.headline
    assert any("set off by inject “Emergency video summit of NATO leaders”" in st.text for st in w.chain)


def test_held_force_is_explained_by_the_hold_decision():
    s = load_scenario(BASE, ["decisions.nrf_deploy.default=hold"])
    r = run(s, 1)
    assert not r.objectives["vjtf_in_place"].met
    w = explain(s, "vjtf_in_place", r)
    assert w.key == "held at readiness"
    assert "decision.nrf_deploy" in w.headline


def test_met_objectives_have_no_why():
    s = load_scenario(BASE)
    r = run(s, 0)
    assert all(explain(s, oid, r) is None for oid, o in r.objectives.items() if o.met)


def test_statistics_against_known_values():
    # t = 2.0 on 10 df: P(T <= 2) = 0.963306 (tables), so the two-sided p is 2 * (1 - 0.963306)
    z = np.arange(11.0) - 5
    d = 2.0 / math.sqrt(11) + z / z.std(ddof=1)
    assert stats.paired_t(list(d), [0.0] * 11).p_value == pytest.approx(2 * (1 - 0.963306), abs=2e-6)
    same = stats.two_proportion_z(30, 60, 30, 60)
    assert (same.stat, same.p_value) == (0.0, 1.0)
    t, df, p = stats.welch_t(10.0, 2.0, 30, 12.0, 2.0, 30)
    assert t == pytest.approx(-3.873, abs=1e-3) and df == pytest.approx(58.0) and p < 0.001
    assert stats.holm([0.01, 0.04, 0.03], 0.05) == [True, False, False]


def test_every_cause_kind_has_a_wording_and_a_corrective_action():
    from sim.report.causes.kinds import ACTIONS, INCIDENT_KINDS, WORDING, CauseKind, action, wording
    from sim.scenario.model import Deconfliction

    s = load_scenario(BASE)
    assert set(WORDING) == set(ACTIONS) == set(CauseKind)
    labels = [wording(k, "X") for k in CauseKind]
    assert len(set(labels)) == len(labels)                      # two kinds never share a category
    for k in CauseKind:
        for oid in s.objectives:
            element, text = action(k, s, oid)
            assert element in ("Planning", "Organisation", "Equipment", "Training", "Exercise")
            assert text and "{" not in text
    # the forces' actions name the force behind the objective
    assert "VJTF (France lead)" in action(CauseKind.SHORT_NOTICE, s, "vjtf_ready")[1]
    # every encounter domain a scenario can have has its incident kind
    assert set(INCIDENT_KINDS) == set(Deconfliction.model_fields["encounter_rate"].annotation.__args__[0].__args__)


def test_short_notice_to_move_gets_its_planned_corrective_action():
    """--set forces.vjtf.notice_to_move_h=30: the VJTF is ready too early, and the plan says so
    (it used to fall through a text-prefix table to the generic "Examine ... again")."""
    from datetime import UTC, datetime

    from sim.report import aar
    from sim.report.causes import CauseKind
    from sim.report.montecarlo import replicate, summarise

    s = load_scenario(BASE, ["forces.vjtf.notice_to_move_h=30"])
    reps = replicate(s, 30, 0)
    narrated = run(s, 0)
    report = aar.build_report(aar.Inputs(s, narrated, reps, summarise(reps, sorted(narrated.metrics)), seed=0,
                                         source=aar.Source("scenario", "", []),
                                         generated=datetime(2026, 1, 1, tzinfo=UTC)))
    ready = next(o for o in report.objectives if o.id == "vjtf_ready")
    assert ready.causes[0].cause == "short notice to move" and ready.causes[0].count == 30
    assert ready.causes[0].kind is CauseKind.SHORT_NOTICE
    (plan,) = [p for p in report.plan if p.issue.startswith(s.objectives["vjtf_ready"].title)]
    assert plan.element == "Planning"
    assert plan.corrective_action == ("Align the readiness window of VJTF (France lead) with the reception plan "
                                         "(between 48 and 72)")


def test_a_why_names_the_decisions_behind_it_by_id():
    """The workshop report attaches the decisions a cause names by their ids, not by finding titles in prose."""
    s = load_scenario(BASE, ["decisions.nrf_deploy.default=hold"])
    w = explain(s, "vjtf_in_place", run(s, 1))
    d = w.to_dict()
    assert (d["kind"], d["key"], d["decision_ids"]) == ("held", "held at readiness", ["nrf_deploy"])
    # a jump by a decision: the decision is named by id, its title and label are the subject
    s = load_scenario(BASE, ["deconfliction.p_incident=0", "decisions.air_defence.options.supply.effects=[{tension: 60}]"])
    r = run(s, 0)
    w = explain(s, "no_armed_incident", r)
    point = s.decisions["air_defence"]
    assert (w.kind, w.subject) == ("decision", f"{point.title}: {point.options['supply'].label}")
    assert w.key == f"decision: {point.title}: {point.options['supply'].label}" and "air_defence" in w.decision_ids()
