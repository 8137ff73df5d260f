"""The compiled plan of a scenario, and the state a result takes only when it is read."""
import pickle

from sim import run
from sim.engine.plan import Plan, compiled


def test_one_plan_per_scenario_object_and_parts_computed_once(baseline):
    assert compiled(baseline) is compiled(baseline)
    assert compiled(baseline.model_copy()) is not compiled(baseline)  # keyed by the object, not by equality
    calls = []

    def forces_of(s):
        calls.append(s)
        return tuple(s.forces)

    plan = compiled(baseline)
    assert plan.part(forces_of) == tuple(baseline.forces) and plan.part(forces_of) is plan.part(forces_of)
    assert calls == [baseline]
    assert Plan(baseline).part(forces_of) == tuple(baseline.forces) and len(calls) == 2  # a new plan computes anew


PLANNED = """\
name: planned
title: Planned
description: timed items of every kind
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 40}
sides:
  blue: {name: Blue}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
injects:
  fixed: {title: Fixed, text: ., at_h: 4}
  early: {title: Early, text: ., at_h: -3}
  drawn: {title: Drawn, text: ., at_h: {dist: uniform, low: 1, high: 2}}
  dated: {title: Dated, text: ., at_time: 2022-02-24T06:30:00+01:00}
  waits: {title: Waits, text: ., when: {all: [{metric: time_h, gte: 12}, {metric: tension, lte: 5}]}}
  spare: {title: Spare, text: ., library: true}
decisions:
  choose:
    title: Choose
    team: blue
    when: {metric: time_h, gte: 7}
    default: a
    options: {a: {label: A}}
checkpoints:
  noon: {title: Noon, at_time: 2022-02-24T13:00:00+01:00}
  first: {title: First, at_h: 3}
"""


def test_plan_fixes_the_hours_the_scenario_fixes(write):
    from sim import load_scenario

    plan = compiled(load_scenario(write("planned.yaml", PLANNED)))
    assert [(iid, due.path, due.hour) for iid, _, due in plan.injects] == [
        ("fixed", "injects.fixed.at_h", 4.0), ("early", "injects.early.at_h", 0.0),   # never before H-hour
        ("drawn", "injects.drawn.at_h", None), ("dated", "injects.dated.at_h", 5.5),
        ("waits", "injects.waits.at_h", None)]                                     # the library inject waits for a hand
    assert [(did, due.hour) for did, _, due in plan.decisions] == [("choose", None)]
    assert [(cid, h) for cid, _, h in plan.checkpoints] == [("noon", 12.0), ("first", 3.0)]
    assert plan.time_marks == (7.0, 12.0) and plan.tension_marks == (5.0,)


def test_state_is_taken_when_first_read_and_is_the_same(baseline):
    r = run(baseline, 5, keep_trace=False)
    assert r._state is None  # nobody has read it yet
    st = r.state
    assert list(st["forces"]) == list(baseline.forces) and r.state is st and st == run(baseline, 5).state
    again = pickle.loads(pickle.dumps(run(baseline, 5, keep_trace=False)))
    assert again.state == st and again == pickle.loads(pickle.dumps(r))
    assert run(baseline, 5) != run(baseline, 6)
