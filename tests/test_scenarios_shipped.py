"""Every shipped scenario loads, runs and measures its objectives; a new crisis needed no new code."""
import numpy as np
import pytest
from conftest import ROOT

from sim import load_scenario, run

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_runs_and_measures_every_objective(path):
    s = load_scenario(path)
    r = run(s, seed=1)
    assert r.trace[0].kind == "start" and r.trace[-1].kind == "end"
    assert set(r.objectives) == set(s.objectives)
    assert r.to_json() == run(s, seed=1).to_json()


def test_fictional_strait_crisis_responds_to_its_decisions():
    s = load_scenario(ROOT / "scenarios" / "strait-standoff.yaml")
    seeds = np.random.SeedSequence(11).spawn(40)
    sent = [run(s, q, keep_trace=False) for q in seeds]
    light = [run(s, q, {"reinforce": "stay_light"}, keep_trace=False) for q in seeds]
    # the carrier group only ever sails when sent
    assert all(r.metrics["force.carrier_group.deploying_h"] is None for r in light)
    assert sum(r.metrics["force.carrier_group.deploying_h"] is not None for r in sent) > 20
    # the hotline lowers the incident rate: refusing it raises the share of encounters that become incidents
    refused = [run(s, q, {"hotline": "refuse"}, keep_trace=False) for q in seeds]
    share = lambda rs: sum(r.metrics["incidents"] for r in rs) / sum(r.metrics["encounters"] for r in rs)  # noqa: E731
    assert share(refused) > share(sent)
