"""The run's timetable: items that do one thing when due (injects, decision points, ad-hoc injects,
checkpoints, time marks) start as callbacks from one event instead of one SimPy process each.

The reference here is the unoptimised path, computed afresh: the same run with one process per
item (the engine's own process forms, started in the order the run has always started them).
Both must give the same result and trace byte for byte, same-hour ties included.
"""
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import ROOT

import sim.engine.run as engine_run
from sim import Scripted, WeightedRandom, load_scenario, run
from sim.engine.decisions import DecisionSource, decision_process
from sim.engine.injects import fire_inject, inject_process
from sim.engine.plan import compiled
from sim.engine.world import Process, World
from sim.scenario.model import Inject

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _process_each(w: World, source: DecisionSource, extra_injects: Sequence[tuple[str, Inject, float]]) -> None:
    """The unoptimised timetable: one process per item, as the engine started them before."""
    env, s = w.env, w.s

    def at(t: float) -> Process:
        if t > env.now:
            yield env.timeout(t - env.now)

    def extra(iid: str, spec: Inject, t: float) -> Process:
        yield from at(t)
        fire_inject(w, iid, spec)

    def checkpoint(cid: str, t: float) -> Process:
        yield from at(t)
        engine_run._take_checkpoint(w, cid)

    def wake(times: Sequence[float]) -> Process:
        for t in times:
            yield from at(t)
            w.notify("time")

    for iid, inj in s.injects.items():
        if not inj.library:
            env.process(inject_process(w, iid, inj))
    for did, point in s.decisions.items():
        env.process(decision_process(w, did, point, source))
    for iid, spec, t in extra_injects:
        env.process(extra(iid, spec, t))
    for cid, _, t in compiled(s).checkpoints:
        env.process(checkpoint(cid, t))
    if compiled(s).time_marks:
        env.process(wake(compiled(s).time_marks))


def _both(monkeypatch: pytest.MonkeyPatch, *args, **kwargs) -> tuple[str, str]:
    fast = run(*args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(engine_run, "_start_timetable", _process_each)
        slow = run(*args, **kwargs)
    return fast.to_json() + fast.trace_jsonl(), slow.to_json() + slow.trace_jsonl()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_run_as_with_a_process_per_item(monkeypatch, path: Path):
    s = load_scenario(path)
    inj = next(iter(s.injects.values()))
    for seed in range(12):
        for decisions in (None, WeightedRandom(), Scripted({}, fallback=None)):
            fast, slow = _both(monkeypatch, s, seed, decisions)
            assert fast == slow, (path.name, seed, decisions)
        fast, slow = _both(monkeypatch, s, seed, until_h=30.0, extra_injects=[("a", inj, 5.0), ("b", inj, 5.0)])
        assert fast == slow, (path.name, seed, "until/extra")


TIES = """\
name: ties
title: Ties
description: items due at the same hour as forces' timed steps
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 40}
sides:
  blue: {name: Blue}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
forces:
  early:   # its notice to move starts at H-hour, before any item's wait: it is ready first
    name: Early
    side: blue
    kind: land
    strength: 1
    unit: troops
    initial_state: activated
    notice_to_move_h: 13
    transit_h: 1
  late:    # activated at H+3: its notice to move began after the items' waits
    name: Late
    side: blue
    kind: land
    strength: 1
    unit: troops
    activate_when: {event: go}
    notice_to_move_h: 10
    transit_h: 1
injects:
  go: {title: Go, text: Activate., at_h: 3}
  tie: {title: Tie, text: At thirteen., at_h: 13}
  clock: {title: Clock, text: Thirteen struck., when: {metric: time_h, gte: 13}}
decisions:
  posture:
    title: Posture
    team: blue
    at_h: 13
    default: stay
    options: {stay: {label: Stay}}
checkpoints:
  thirteen: {title: Thirteen, at_h: 13}
"""


def test_same_hour_items_keep_the_order_their_waits_began(write, monkeypatch):
    s = load_scenario(write("ties.yaml", TIES))
    fast, slow = _both(monkeypatch, s, 1)
    assert fast == slow
    r = run(s, 1)
    at13 = [(x.kind, getattr(x, "force", "") or getattr(x, "inject", "") or getattr(x, "decision", "")
             or getattr(x, "checkpoint", ""), getattr(x, "state", "")) for x in r.trace if x.t_h == 13]
    # the early force's step began at H-hour before the timetable's items (it deploys at once: no
    # deploy condition); the items in scenario order (injects, decisions, checkpoints); then the
    # late force's step (begun at H+3); then the inject waiting on the hour (woken by the time
    # mark, whose wait began at H-hour, but fired by the event that wakes it, made at H+13)
    assert at13 == [("force", "early", "ready"), ("force", "early", "deploying"), ("inject", "tie", ""),
                    ("decision", "posture", ""), ("checkpoint", "thirteen", ""), ("force", "late", "ready"),
                    ("force", "late", "deploying"), ("inject", "clock", "")]
    cp = next(x for x in r.trace if x.kind == "checkpoint")
    assert cp.forces == {"early": "deploying", "late": "activated"}
