"""A small scenario whose event times are known exactly, and the tension/ladder arithmetic."""
import math

import pytest
from conftest import MINIMAL

from sim import load_scenario, run


@pytest.fixture
def mini(write):
    return load_scenario(write("mini.yaml", MINIMAL))


def times(result, kind):
    return [(r.t_h, r.text) for r in result.trace if r.kind == kind]


def test_readiness_chain_times_are_exact(mini):
    r = run(mini, seed=123)
    m = r.metrics
    # activated by the inject at H+3, ready after a 10 h notice to move, decision at H+8 lets it deploy
    assert m["force.f1.activated_h"] == 3
    assert m["force.f1.ready_h"] == 13
    assert m["force.f1.deploying_h"] == 13
    assert m["force.f1.in_place_h"] == 18
    assert m["force.f1.ready_after_activation_h"] == 10
    assert r.objectives["ready"].met is True
    assert [d["option"] for d in r.decisions] == ["deploy"]


def test_hold_decision_keeps_force_at_readiness(mini):
    r = run(mini, seed=1, decisions={"posture": "stay"})
    assert r.metrics["force.f1.ready_h"] == 13
    assert r.metrics["force.f1.deploying_h"] is None
    assert r.state["forces"]["f1"] == "ready"


def test_tension_jump_climbs_and_decay_descends_at_the_computed_hour(mini):
    r = run(mini, seed=0)
    rungs = [(rec.t_h, rec.rung) for rec in r.trace if rec.kind == "rung"]
    # tension 10 at H+0 decays with a 10 h half-life: at H+20 it is 2.5; +30 -> 32.5 (rung 1)
    assert rungs[0] == (20, 1)
    assert r.trace[[x.kind for x in r.trace].index("rung")].after == pytest.approx(32.5)
    # back below 20 when 32.5 * 2^(-t/10) = 20
    t_down = 20 + 10 * math.log2(32.5 / 20)
    assert rungs[1][1] == 0 and rungs[1][0] == pytest.approx(t_down, abs=1e-6)
    assert r.metrics["peak_rung"] == 1 and r.metrics["peak_tension"] == pytest.approx(32.5)


def test_set_override_changes_the_known_time(write):
    s = load_scenario(write("mini.yaml", MINIMAL), ["forces.f1.notice_to_move_h=20"])
    r = run(s, seed=0)
    assert r.metrics["force.f1.ready_h"] == 23
    assert r.objectives["ready"].met is False


LATE = """  late:
    title: Late
    text: Fires once the force is in place and H+30 has passed.
    when: {all: [{force: f1, state: in_place}, {metric: time_h, gte: 30}]}
decisions:"""


def test_condition_on_time_and_force_state(write):
    s = load_scenario(write("mini.yaml", MINIMAL.replace("decisions:", LATE, 1)))
    r = run(s, seed=0)
    assert [t for t, text in times(r, "inject") if text.startswith("Late")] == [30]
    # with the force held, the condition never holds
    r2 = run(s, seed=0, decisions={"posture": "stay"})
    assert not [t for t, text in times(r2, "inject") if text.startswith("Late")]


CALM = """  calm:
    title: Calm returns
    text: Tension has fallen back below 25.
    when: {all: [{event: spike}, {metric: tension, lte: 25}]}
decisions:"""


def test_tension_condition_holds_from_the_hour_decay_brings_tension_there(write):
    s = load_scenario(write("mini.yaml", MINIMAL.replace("decisions:", CALM, 1)))
    r = run(s, seed=0)
    # 32.5 at H+20 (see above), halving every 10 h towards 0: 25 is reached at 20 + 10 * log2(32.5 / 25)
    (t,) = [t for t, text in times(r, "inject") if text.startswith("Calm")]
    assert t == pytest.approx(20 + 10 * math.log2(32.5 / 25), abs=1e-6)
