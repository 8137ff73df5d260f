"""Echelons, movement and lift pools (issue 10 items 2 and 3): hand-computed arrival steps, the
queue order of a shared pool, echelon metrics, a force without echelons as before, located errors."""
import json

import pytest
from conftest import MINIMAL

from sim import ScenarioError, load_scenario, run
from sim.engine.trace import CheckpointRecord, EchelonRecord, trace_schema
from sim.scenario.metrics import Family, metric_registry
from sim.scenario.places import distance_km

HEAD = """\
name: lift
title: Lift
description: a force by echelons under a fixed lift capacity
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 400}
sides:
  blue: {name: Blue}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
injects:
  go: {title: Go, text: Activate., at_h: 4}
checkpoints:
  early: {title: Early, at_h: 50}
  late: {title: Late, at_h: 130}
"""

ECHELONS = HEAD + """\
forces:
  a:
    name: Alpha
    side: blue
    kind: land
    strength: 1000
    unit: troops
    origin_place: paris
    destination_place: mk_air_base
    activate_when: {event: go}
    movement:
      mode: air
      time_h: 5
      staging_h: 2
      reception_h: 1
      lift: {troops_per_day: 240}
    echelons:
      adv: {name: Advance party, share: 0.1, notice_to_move_h: 10}
      main: {name: Main body, strength: 900, notice_to_move_h: 20}
objectives:
  half:
    title: half in place by H+100
    metric: force.a.in_place_50pct_h
    target: {lte: 100}
"""


def pool_scenario(order: str) -> str:
    force = """\
  {fid}:
    name: Force {fid}
    side: blue
    kind: land
    strength: 240
    unit: troops
    origin_place: fort_bragg
    destination_place: rzeszow_jasionka
    activate_when: {{event: go}}
    notice_to_move_h: 10
    movement: {{mode: air, speed_kmh: 800, pool: airbridge}}
"""
    return HEAD + f"""\
lift_pools:
  airbridge: {{name: Air bridge, sorties_per_day: 2.4, troops_per_sortie: 100, order: [{order}]}}
forces:
""" + force.format(fid="b") + force.format(fid="c")


@pytest.fixture
def echelons(write):
    return load_scenario(write("lift.yaml", ECHELONS))


def test_arrival_steps_under_a_fixed_lift_capacity_are_the_hand_computed_ones(echelons):
    r = run(echelons, seed=5)
    m = r.metrics
    # activated H+4. Advance party (100): ready H+14, stages 2 h, lifts 100 / 10 per h = 10 h from H+16,
    # lands 5 h after the lift ends (H+31), received 1 h later: in place H+32. Main body (900): ready
    # H+24, stages to H+26 when the lift is free again, lifts 90 h, lands H+121, in place H+122.
    assert m["force.a.activated_h"] == 4
    assert m["force.a.ready_h"] == 14 and m["force.a.deploying_h"] == 14
    assert m["force.a.echelon.adv.in_place_h"] == 32
    assert m["force.a.echelon.main.in_place_h"] == 122
    assert m["force.a.first_echelon_in_place_h"] == 32
    assert m["force.a.in_place_50pct_h"] == 122 and m["force.a.in_place_100pct_h"] == 122
    assert m["force.a.in_place_h"] == 122
    assert m["checkpoint.early.force.a.in_place"] == 100
    assert m["checkpoint.late.force.a.in_place"] == 1000
    assert r.objectives["half"].met is False
    steps = [(x.t_h, x.echelon, x.strength_in_place) for x in r.trace
             if isinstance(x, EchelonRecord) and x.event == "in_place"]
    assert steps == [(32, "adv", 100), (122, "main", 1000)]
    dep = [x for x in r.trace if isinstance(x, EchelonRecord) and x.event == "departed"]
    assert [(x.t_h, x.lift_h, x.transit_h, x.arrival_h) for x in dep] == [(16, 10, 5, 31), (26, 90, 5, 121)]
    assert dep[0].origin == "paris" and dep[0].destination == "mk_air_base" and dep[0].mode == "air"
    assert "Mihail Kog" in next(x.text for x in r.trace if isinstance(x, EchelonRecord) and x.event == "arrived")


def test_checkpoints_and_the_state_give_strength_in_place_and_positions(echelons):
    r = run(echelons, seed=5)
    cps = {x.checkpoint: x for x in r.trace if isinstance(x, CheckpointRecord)}
    assert cps["early"].strength_in_place == {"a": 100}
    early = cps["early"].echelons["a"]
    assert early["adv"].stage == "in_place" and early["adv"].place == "mk_air_base"
    assert early["main"].stage == "moving" and early["main"].place is None
    assert (early["main"].departed_h, early["main"].arrival_h) == (26, 121)
    line = json.loads(r.trace_jsonl().splitlines()[[x.kind for x in r.trace].index("checkpoint")])
    assert line["echelons"]["a"]["main"]["destination"] == "mk_air_base"
    assert r.state["strength_in_place"] == {"a": 1000}
    assert r.state["echelons"]["a"]["main"]["place"] == "mk_air_base"
    assert "EchelonRecord" in trace_schema()["$defs"]


def test_a_share_metric_reached_by_the_first_echelon(write):
    s = load_scenario(write("lift.yaml", ECHELONS.replace("share: 0.1", "share: 0.6")
                            .replace("strength: 900", "strength: 400")))
    m = run(s, seed=1).metrics
    # the advance party is now 600 troops: 60 h of lift from H+16, lands H+81, in place H+82 (60 %)
    assert m["force.a.echelon.adv.in_place_h"] == 82
    assert m["force.a.in_place_50pct_h"] == 82
    # the main body (400) stages to H+26 but waits for the lift until H+76: 40 h, lands H+121, in place H+122
    assert m["force.a.in_place_100pct_h"] == 122


def test_a_delay_lengthens_the_step_an_echelon_is_in(write):
    text = ECHELONS.replace("injects:\n", "injects:\n  slow: {title: Slow, text: Late., at_h: 15, "
                            "effects: [{delay: {force: a, hours: 3}}]}\n")
    m = run(load_scenario(write("lift.yaml", text)), seed=1).metrics
    # at H+15 the advance party stages (3 h more: departs H+19) and the main body waits out its notice (ready H+27)
    assert m["force.a.echelon.adv.in_place_h"] == 35
    assert m["force.a.ready_h"] == 14
    assert m["force.a.echelon.main.in_place_h"] == 125


@pytest.mark.parametrize(("order", "first"), [("b, c", "b"), ("c, b", "c")])
def test_a_shared_pool_serves_the_force_first_in_its_order_first(write, order, first):
    s = load_scenario(write("pool.yaml", pool_scenario(order)))
    r = run(s, seed=3)
    m = r.metrics
    # both ready at H+14 and asking at once; 240 troops at 2.4 sorties x 100 a day (10 an hour) is 24 h each
    km = distance_km(s, "fort_bragg", "rzeszow_jasionka", "air")
    second = "c" if first == "b" else "b"
    assert m[f"force.{first}.in_place_h"] == pytest.approx(14 + 24 + km / 800, abs=1e-6)
    assert m[f"force.{second}.in_place_h"] == pytest.approx(14 + 48 + km / 800, abs=1e-6)


def test_the_pool_order_can_name_one_echelon(write):
    text = pool_scenario("c").replace("  airbridge:", "  airbridge:").replace("order: [c]", "order: [c.main]")
    with pytest.raises(ScenarioError) as info:  # c has no echelons listed: c.main is not an id to name
        load_scenario(write("pool.yaml", text))
    assert "lift_pools.airbridge.order.0: unknown force or force.echelon 'c.main'" in str(info.value)


def test_metrics_of_forces_by_echelons_are_in_the_registry_with_titles(echelons):
    reg = metric_registry(echelons)
    spec = reg["force.a.in_place_50pct_h"]
    assert spec.family is Family.FORCE_SHARE_IN_PLACE and spec.share == 0.5 and spec.unit == "h"
    assert spec.title == "Alpha: 50% of its strength in place, hours after H-hour"
    assert reg["force.a.echelon.main.in_place_h"].echelon == "main"
    assert reg["checkpoint.late.force.a.in_place"].unit == "troops"
    assert reg["force.a.first_echelon_in_place_h"].to_dict()["subject"] == {"force": "a"}


def test_a_force_without_echelons_records_and_measures_as_before(write):
    mini = load_scenario(write("mini.yaml", MINIMAL))
    r = run(mini, seed=123)
    assert not any(isinstance(x, EchelonRecord) for x in r.trace)
    assert "strength_in_place" not in r.state and "echelons" not in r.state
    assert not [n for n in r.metrics if "echelon" in n or "pct" in n]
    # one echelon of the whole force, moving by the force's transit time, keeps the same times
    one = MINIMAL.replace("    transit_h: 5\n", "    transit_h: 5\n    echelons: {all: {name: All, share: 1}}\n")
    m = run(load_scenario(write("one.yaml", one)), seed=123).metrics
    for k in ("activated_h", "ready_h", "deploying_h", "in_place_h", "ready_after_activation_h"):
        assert m[f"force.f1.{k}"] == r.metrics[f"force.f1.{k}"]
    held = run(load_scenario(write("one.yaml", one)), seed=1, decisions={"posture": "stay"})
    assert held.metrics["force.f1.ready_h"] == 13 and held.metrics["force.f1.deploying_h"] is None
    assert held.metrics["force.f1.echelon.all.in_place_h"] is None


def test_force_conditions_see_the_last_echelon_in_place(write):
    text = ECHELONS.replace("injects:\n", "injects:\n  seen: {title: Seen, text: All in., "
                            "when: {force: a, state: in_place}}\n")
    assert run(load_scenario(write("lift.yaml", text)), seed=2).metrics["event.seen.h"] == 122


@pytest.mark.parametrize(("change", "where", "message"), [
    ("share: 0.1", "share: 0.2", "forces.a.echelons: the echelons add up to 1,100 troops (1.1 of the force's"),
    ("lift: {troops_per_day: 240}", "pool: airlift", "forces.a.movement.pool: unknown lift pool 'airlift'"),
    ("      mode: air\n", "      mode: air\n      origin: atlantis\n", "forces.a.movement.origin: unknown place id "
     "'atlantis'"),
])
def test_bad_echelons_pools_and_places_are_one_located_line_each(write, change, where, message):
    path = write("bad.yaml", ECHELONS.replace(change, where, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:") and message in lines[0]
    assert lines[0].split(":")[1].isdigit()  # the line number


def test_a_lift_needs_one_capacity_and_a_movement_one_speed_or_time(write):
    bad = ECHELONS.replace("lift: {troops_per_day: 240}", "lift: {sorties_per_day: 3}")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write("bad.yaml", bad))
    assert "forces.a.movement.lift" in str(info.value) and "troops_per_sortie" in str(info.value)
    bad = ECHELONS.replace("      time_h: 5\n", "      time_h: 5\n      speed_kmh: 700\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write("bad.yaml", bad))
    assert "exactly one of speed_kmh, time_h" in str(info.value)


def test_sensitivity_pruning_knows_forces_on_one_pool_depend_on_each_other(write):
    from sim.scenario.dependencies import parameter_prefixes

    s = load_scenario(write("pool.yaml", pool_scenario("b, c")))
    assert {"forces.b.", "forces.c."} <= parameter_prefixes(s, "force.b.in_place_h")
    # c's place in the queue moves b's arrival
    second = load_scenario(write("pool2.yaml", pool_scenario("c, b")))
    assert run(second, seed=1).metrics["force.b.in_place_h"] > run(s, seed=1).metrics["force.b.in_place_h"]


def test_an_echelon_ready_on_a_condition_and_never_before_the_one_before_it(write):
    text = ECHELONS.replace("main: {name: Main body, strength: 900, notice_to_move_h: 20}",
                            "main: {name: Main body, strength: 900, ready_when: {event: release}}")
    text = text.replace("injects:\n", "injects:\n  release: {title: Release, text: Go on., at_h: 9}\n")
    m = run(load_scenario(write("lift.yaml", text)), seed=1).metrics
    # released at H+9, but the advance party is only ready at H+14: the main body follows it, stages to H+16
    # and waits for the lift (busy with the advance party until H+26): 90 h, lands H+121, in place H+122
    assert m["force.a.echelon.main.in_place_h"] == 122
    early = text.replace("notice_to_move_h: 10}", "notice_to_move_h: 2}")
    m = run(load_scenario(write("lift.yaml", early)), seed=1).metrics
    # advance party ready H+6, lifted H+8-18, in place H+24; main body ready at its release H+9, staged
    # by H+11, lifted from H+18 for 90 h: lands H+113, in place H+114
    assert m["force.a.echelon.adv.in_place_h"] == 24 and m["force.a.echelon.main.in_place_h"] == 114


def test_tempo_scales_the_echelons_notice_and_staging_by_its_factors(write):
    from sim.scenario.tempo import tempo_factor

    s = load_scenario(write("lift.yaml", ECHELONS), ["tempo={posture: exercise}"])
    n, st = tempo_factor(s, "notice_to_move"), tempo_factor(s, "staging")
    assert n > 1 and st > 1
    dep = [x for x in run(s, seed=5).trace if isinstance(x, EchelonRecord) and x.event == "departed"]
    # activated H+4; the advance party is ready 10 h x n later and stages 2 h x st, then lifts its 100 troops in
    # 10 h (lift and the 5 h flight are not the tempo's)
    assert dep[0].t_h == pytest.approx(4 + 10 * n + 2 * st, abs=1e-5)
    assert (dep[0].lift_h, dep[0].transit_h) == (10, 5)
