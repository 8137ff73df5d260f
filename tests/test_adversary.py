"""The adversary (issue 10 items 5 and 6): axes on places, commitment ramps within the massed force,
forces that meet the advance through the force-ratio table. Times are worked out by hand."""
import pytest
from typer.testing import CliRunner

from sim import ScenarioError, load_scenario, run
from sim.cli.app import app
from sim.geo import great_circle_km
from sim.scenario.places import route_factors
from sim.scenario.tables import load_force_ratios

HEAD = """\
name: adv
title: Adversary test
description: axes, ramps and defenders with times known by hand
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 200}
sides:
  blue: {name: Blue}
  red: {name: Red, role: red}
places:
  a: {name: Alpha, lat: 50.0, lon: 30.0, country: X, kind: city}
  b: {name: Bravo, lat: 50.5, lon: 30.0, country: X, kind: city}
  c: {name: Charlie, lat: 51.0, lon: 30.0, country: X, kind: city}
escalation:
  initial_tension: 0
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
"""

TWO_LEG = HEAD + """\
distances:
  - {a: a, b: b, mode: road, km: 100}
  - {a: b, b: c, mode: road, km: 50}
forces:
  def:
    name: Defenders
    side: blue
    kind: land
    strength: 3000
    unit: troops
    initial_state: ready
    transit_h: 12
    destination_place: c
    unit_type: light_brigade
adversary:
  side: red
  massed_troops: 10000
  axes:
    ax:
      name: The axis
      troops: 8000
      at_h: 0
      start: a
      waypoints: [b]
      objective_place: c
      speed_kmh: 10
      unit_type: battalion
      troops_per_unit: 800
"""


def kinds(r, kind):
    return [x for x in r.trace if x.kind == kind]


def test_a_defender_arriving_mid_leg_slows_the_advance_by_the_table(write):
    # leg a-b (100 km) unopposed at 10 km/h: b at H+10. Leg b-c (50 km): 20 km more by H+12, when a
    # light brigade (3 battalion equivalents) arrives at c; the attacker is 8000/800 = 10 battalions,
    # ratio 10/3 = 3.33, the table's 3:1 step gives half speed: 30 km at 5 km/h, so c at H+18.
    table = load_force_ratios()
    assert table.combat_values["light_brigade"].value == 3.0 and table.rate_share(10, 3) == 0.5
    r = run(load_scenario(write("adv.yaml", TWO_LEG)), 0)
    assert r.metrics["axis.ax.arrival_h"] == pytest.approx(18.0, abs=1e-9)
    assert [(w.t_h, w.place, w.km_along) for w in kinds(r, "waypoint")] == [(10.0, "b", 100.0), (18.0, "c", 150.0)]
    slowed = [a for a in kinds(r, "advance") if a.cause == "defenders"]
    assert len(slowed) == 1
    a = slowed[0]
    assert (a.t_h, a.leg, a.from_place, a.to_place, a.defenders) == (12.0, 1, "b", "c", ["def"])
    assert (a.attacker, a.defender, a.share, a.rate_before_kmh, a.rate_kmh) == (10.0, 3.0, 0.5, 10.0, 5.0)
    assert a.ratio == pytest.approx(10 / 3, abs=1e-6) and a.km_along == pytest.approx(120.0)
    # the snapshot gives where the axis stands, with place ids and names
    mid = run(load_scenario(write("adv.yaml", TWO_LEG)), 0, until_h=14).state["axes"]["ax"]
    assert mid["km_along"] == pytest.approx(130.0) and mid["last_place"] == "b" and mid["next_place"] == "c"
    assert mid["next_place_name"] == "Charlie" and mid["rate_kmh"] == 5.0


def test_a_stronger_defender_halts_the_axis(write):
    # two light brigades: ratio 10/6 = 1.67, the table's 1:1 step gives a tenth of the speed;
    # at six brigades (ratio 0.56) the axis halts for good after H+12
    t = TWO_LEG.replace("unit_type: light_brigade", "unit_type: light_brigade\n    units: 2")
    r = run(load_scenario(write("adv.yaml", t)), 0)
    assert r.metrics["axis.ax.arrival_h"] == pytest.approx(12 + 30 / 1.0, abs=1e-9)
    t = TWO_LEG.replace("unit_type: light_brigade", "unit_type: light_brigade\n    units: 6")
    r = run(load_scenario(write("adv.yaml", t)), 0)
    assert r.metrics["axis.ax.arrival_h"] is None
    assert kinds(r, "advance")[-1].rate_kmh == 0 and "halted before Charlie" in kinds(r, "advance")[-1].text


def test_legs_are_great_circle_times_the_road_factor_unless_distance_km_is_given(write):
    t = TWO_LEG.replace("distances:\n  - {a: a, b: b, mode: road, km: 100}\n  - {a: b, b: c, mode: road, km: 50}\n", "")
    t = t.replace("    destination_place: c\n", "")  # no defender
    s = load_scenario(write("adv.yaml", t))
    road = route_factors().modes["road"].factor
    km = (great_circle_km((30.0, 50.0), (30.0, 50.5)) + great_circle_km((30.0, 50.5), (30.0, 51.0))) * road
    assert run(s, 0).metrics["axis.ax.arrival_h"] == pytest.approx(km / 10, abs=1e-6)  # metrics to 6 places
    # distance_km given: the legs share it in proportion (equal legs here), b at half of it
    s = load_scenario(write("adv.yaml", t), ["adversary.axes.ax.distance_km=60"])
    r = run(s, 0)
    assert r.metrics["axis.ax.arrival_h"] == pytest.approx(6.0)
    assert kinds(r, "waypoint")[0].t_h == pytest.approx(3.0)
    # an uncertain distance is drawn at its own path: different seeds, different arrivals within its range
    s = load_scenario(write("adv.yaml", t), ["adversary.axes.ax.distance_km={dist: uniform, low: 50, high: 70}"])
    hours = {run(s, seed).metrics["axis.ax.arrival_h"] for seed in range(5)}
    assert len(hours) == 5 and all(5 <= h <= 7 for h in hours)


RAMP = HEAD + """\
checkpoints:
  h5: {title: H+5, at_h: 5}
  h20: {title: H+20, at_h: 20}
injects:
  watch:
    title: Watch
    text: 750 committed
    when: {metric: committed_troops, gte: 750}
adversary:
  side: red
  massed_troops: 1500
  axes:
    one:
      name: Axis one
      troops: 1000
      at_h: 0
      distance_km: 1000
      speed_kmh: 1
      commitment: {troops_per_day: 2400}
    two:
      name: Axis two
      troops: 10000
      at_h: 10
      distance_km: 1000
      speed_kmh: 1
      commitment: {troops_per_day: 2400}
"""


def test_a_commitment_ramp_meets_its_schedule_capped_by_the_axis_and_the_massed_force(write):
    s = load_scenario(write("adv.yaml", RAMP))  # the caps (11,000) may exceed the massed 1,500
    r = run(s, 0)
    m = r.metrics
    # 2,400 a day is 100 an hour: 500 at H+5; axis one full (1,000) at H+10; axis two then adds 100 an
    # hour until the massed 1,500 at H+15
    assert m["checkpoint.h5.committed_troops"] == 500 and m["checkpoint.h5.committed_share"] == pytest.approx(1 / 3,
                                                                                                              abs=1e-6)
    assert m["checkpoint.h20.committed_troops"] == 1500 and m["committed_share"] == 1.0
    assert m["event.watch.h"] == 7.5  # the crossing is computed ahead, not found by ticking
    states = [(c.t_h, c.axis, c.state) for c in kinds(r, "commitment")]
    assert (10.0, "one", "capped") in states and (15.0, "two", "massed") in states
    assert max(c.committed_troops for c in kinds(r, "commitment")) == 1500
    for t in (2.5, 12.5):
        assert run(s, 0, until_h=t).state["committed_troops"] == pytest.approx(min(100 * t, 1000) + max(0, 100 * (t - 10)))


def test_a_schedule_step_changes_the_rate(write):
    t = RAMP.replace("commitment: {troops_per_day: 2400}\n    two:",
                     "commitment: {troops_per_day: 2400, steps: [{after_h: 4, troops_per_day: 1200}]}\n    two:")
    m = run(load_scenario(write("adv.yaml", t)), 0).metrics
    assert m["checkpoint.h5.committed_troops"] == 400 + 50     # 100/h for 4 h, then 50/h
    # 700 at H+10 (one: 400 + 300), when axis two adds its 100 an hour: 150 an hour to 750
    assert m["event.watch.h"] == pytest.approx(10 + 50 / 150)


def test_pause_resume_and_accelerate_move_the_ramp(write):
    t = RAMP.replace("""injects:
""", """injects:
  stop:
    title: Stop
    text: pause
    at_h: 4
    effects: [{pause_commitment: one}]
  go:
    title: Go
    text: resume, twice as fast
    at_h: 6
    effects: [{resume_commitment: one}, {accelerate_commitment: {axis: one, factor: 2}}]
  more:
    title: More
    text: reinforce
    at_h: 12
    effects: [{reinforce_axis: {axis: one, troops: 200}}]
""")
    r = run(load_scenario(write("adv.yaml", t)), 0)
    m = r.metrics
    # 400 by H+4, none until H+6, then 200/h: 750 at H+7.75, the cap of 1,000 at H+9; reinforced by 200 at
    # H+12 (with axis two's 200 since H+10), one adds 200/h and two 100/h: the massed 1,500 at H+13
    assert m["checkpoint.h5.committed_troops"] == 400
    assert m["event.watch.h"] == pytest.approx(7.75)
    assert [(c.t_h, c.state) for c in kinds(r, "commitment") if c.axis == "one"][:4] == [
        (0.0, "committing"), (4.0, "paused"), (6.0, "committing"), (9.0, "capped")]
    assert ("reinforce", 200.0) in [(e.change, e.troops) for e in r.trace if getattr(e, "effect", "") == "commitment"]
    late = run(load_scenario(write("adv.yaml", t)), 0, until_h=14)
    assert late.state["committed_troops"] == 1500
    assert [(c.t_h, c.axis, c.state) for c in kinds(late, "commitment")][-2:] == [(13.0, "one", "capped"),
                                                                                 (13.0, "two", "massed")]


def test_commitment_crossing_a_band_of_the_table_changes_the_rate_at_the_computed_hour(write):
    # a light brigade (3) in place at b from the start; the axis ramps 100 troops an hour of battalions
    # of 800: ratio t/8/3 = t/24. Halted below 1:1; a tenth of 10 km/h from H+24 (1:1), 0.35 from H+60
    # (2.5:1), half from H+72 (3:1); the ramp is full (8,000) at H+80, ratio 3.33, no band further
    t = TWO_LEG.replace("initial_state: ready\n    transit_h: 12\n    destination_place: c",
                        "initial_state: in_place\n    destination_place: b")
    t = t.replace("troops_per_unit: 800", "troops_per_unit: 800\n      commitment: {troops_per_day: 2400}")
    r = run(load_scenario(write("adv.yaml", t)), 0)
    changes = [(a.t_h, a.share) for a in kinds(r, "advance") if a.leg == 0]
    assert changes == [(0.0, 0.0), (24.0, 0.1), (60.0, 0.35), (72.0, 0.5)]
    # distance: 36 km at 1 km/h to H+60, 42 km at 3.5 km/h to H+72, the last 22 km at 5 km/h
    assert kinds(r, "waypoint")[0].t_h == pytest.approx(72 + 22 / 5, abs=1e-6)


def test_scenarios_without_places_or_ramps_keep_a_stepped_commitment_and_the_mass_check(write):
    t = RAMP.replace("      commitment: {troops_per_day: 2400}\n", "")
    with pytest.raises(ScenarioError, match="axes commit 11000 troops, more than the 1500 massed"):
        load_scenario(write("adv.yaml", t))


def _error(path, *extra):
    r = CliRunner().invoke(app, ["validate", str(path), *extra])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    return [ln for ln in r.output.splitlines() if ln.startswith("error")]


@pytest.mark.parametrize("old, new, field, words", [
    ("objective_place: c", "objective_place: zulu", "adversary.axes.ax.objective_place", "unknown place id 'zulu'"),
    ("waypoints: [b]", "waypoints: [b, yankee]", "adversary.axes.ax.waypoints.1", "unknown place id 'yankee'"),
    ("unit_type: light_brigade", "unit_type: light_brigde", "forces.def.unit_type",
     "unknown unit type 'light_brigde'"),
    ("unit_type: battalion\n", "unit_type: company\n", "adversary.axes.ax.unit_type", "unknown unit type 'company'"),
    ("      unit_type: battalion\n      troops_per_unit: 800\n", "", "adversary.axes.ax",
     "give unit_type and troops_per_unit"),
])
def test_bad_input_is_located(write, old, new, field, words):
    assert old in TWO_LEG
    p = write("adv.yaml", TWO_LEG.replace(old, new))
    lines = _error(p)
    assert len(lines) == 1, lines
    assert str(p) in lines[0] and f": {field}: " in lines[0] and words in lines[0]
    assert f"{p}:" in lines[0] and lines[0].split(f"{p}:")[1].split(":")[0].isdigit()  # the line number


def test_a_commitment_effect_needs_a_ramped_axis(write):
    t = TWO_LEG + """injects:
  stop: {title: Stop, text: pause, at_h: 1, effects: [{pause_commitment: ax}]}
"""
    lines = _error(write("adv.yaml", t))
    assert len(lines) == 1 and "injects.stop.effects.0.pause_commitment" in lines[0] and "all its troops at once" \
        in lines[0]


def test_the_baseline_never_commits_more_than_the_massed_force(baseline):
    s = load_scenario(baseline.source, ["decisions.red_reserves.default=commit",
                                        "adversary.axes.second_echelon.troops=400000",
                                        "clock.horizon_h=720"])
    for seed in range(5):
        r = run(s, seed, keep_trace=False)
        assert r.metrics["committed_troops"] == s.adversary.massed_troops
        assert r.metrics["committed_share"] == 1.0
