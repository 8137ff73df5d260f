"""Encounters and incidents: empirical rates against the configured ones, with honest tolerances."""
import math

from sim import load_scenario, run

RATES = """\
name: rates
title: Rates
description: constant presence so encounter and incident rates are known
clock: {start: 2022-01-01T00:00:00+00:00, horizon_h: 2000}
sides:
  blue: {name: Blue}
  red: {name: Red, role: red}
escalation:
  initial_tension: 0
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
forces:
  b1: {name: B1, side: blue, kind: air, strength: 10, unit: aircraft, initial_state: in_place}
  b2: {name: B2, side: blue, kind: air, strength: 10, unit: aircraft, initial_state: activated, notice_to_move_h: 1000}
  r1: {name: R1, side: red, kind: air, strength: 10, unit: aircraft, initial_state: in_place}
deconfliction:
  between: [blue, red]
  encounter_rate: {air: 0.01}
  p_incident: 0.2
  incident_tension: 0
  measures:
    line: {name: Hotline, factor: 0.5}
"""


def test_encounter_and_incident_rates_match_configuration(write):
    s = load_scenario(write("rates.yaml", RATES))
    r = run(s, seed=2024)
    enc = [x for x in r.trace if x.kind in ("encounter", "incident")]
    before = sum(1 for x in enc if x.t_h < 1000)
    after = len(enc) - before
    # rate 0.01 * 10 * 10 = 1/h for 1000 h, then 0.01 * 20 * 10 = 2/h for 1000 h (Poisson: sd = sqrt(mean))
    assert abs(before - 1000) < 4 * math.sqrt(1000), before
    assert abs(after - 2000) < 4 * math.sqrt(2000), after
    # incidents: p = 0.2 * 0.5 = 0.1 per encounter (binomial)
    n, k = r.metrics["encounters"], r.metrics["incidents"]
    assert n == len(enc)
    assert abs(k / n - 0.1) < 4 * math.sqrt(0.1 * 0.9 / n), (k, n)
    assert all(x.p == 0.1 for x in enc)


def test_switching_a_measure_off_raises_the_incident_rate(write):
    s = load_scenario(write("rates.yaml", RATES), ["deconfliction.measures.line.active=false"])
    r = run(s, seed=2024)
    n, k = r.metrics["encounters"], r.metrics["incidents"]
    assert abs(k / n - 0.2) < 4 * math.sqrt(0.2 * 0.8 / n), (k, n)


def test_no_presence_no_encounters(write):
    s = load_scenario(write("rates.yaml", RATES), ["forces.r1.initial_state=standby"])
    r = run(s, seed=1)
    assert r.metrics["encounters"] == 0 and r.metrics["incident_share"] is None


def test_conditions_on_counts_fire_at_the_counting_event(write):
    text = RATES.replace("clock: {start: 2022-01-01T00:00:00+00:00, horizon_h: 2000}",
                         "clock: {start: 2022-01-01T00:00:00+00:00, horizon_h: 50}") + """\
injects:
  fifth:
    title: Fifth encounter
    text: The fifth encounter has happened.
    when: {metric: encounters, gte: 5}
  first_incident:
    title: First incident
    text: An incident has happened.
    when: {metric: incidents, gte: 1}
"""
    r = run(load_scenario(write("rates.yaml", text)), seed=7)
    enc = [x.t_h for x in r.trace if x.kind in ("encounter", "incident")]
    inc = [x.t_h for x in r.trace if x.kind == "incident"]
    fired = {x.inject: x.t_h for x in r.trace if x.kind == "inject"}
    assert len(enc) >= 5 and inc
    assert fired["fifth"] == enc[4]
    assert fired["first_incident"] == inc[0]


def test_presence_changes_at_h_hour_count_from_the_start(write):
    text = RATES.replace("horizon_h: 2000", "horizon_h: 500").replace(
        "initial_state: activated, notice_to_move_h: 1000", "initial_state: activated") + """\
injects:
  surge:
    title: Surge
    text: The red air force doubles its sorties.
    at_h: 0
    effects: [{presence: {force: r1, factor: 2}}]
"""
    r = run(load_scenario(write("rates.yaml", text)), seed=3)
    # both blue forces in place at H+0 (20 aircraft) against 20 red: 0.01 * 20 * 20 = 4 per hour
    n = r.metrics["encounters"]
    assert abs(n - 2000) < 4 * math.sqrt(2000), n
