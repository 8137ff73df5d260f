"""Parameters left out of a sensitivity run really cannot move the objective's metric.

For every shipped scenario, every uncertain parameter is set to each end and run on the same
seeds; wherever the dependency analysis says a metric cannot depend on the parameter, the
metric must come out the same, replication for replication.
"""
from __future__ import annotations

import glob

import pytest
from conftest import ROOT

from sim import load_scenario, run
from sim.batch.sensitivity import _num, uncertain_parameters
from sim.scenario.dependencies import can_depend_on, parameter_prefixes

SEEDS = range(4)


@pytest.mark.parametrize("path", sorted(glob.glob(str(ROOT / "scenarios" / "*.yaml"))),
                         ids=lambda p: p.rsplit("/", 1)[-1])
@pytest.mark.slow
def test_pruned_parameters_leave_the_metric_unchanged(path):
    base = load_scenario(path)
    metrics = {o.metric for o in base.objectives.values()} | {f"force.{f}.in_place_h" for f in base.forces}
    prefixes = {m: parameter_prefixes(base, m) for m in metrics}
    pruned_somewhere = 0
    base_runs = [run(base, q, keep_trace=False).metrics for q in SEEDS]
    for p, lo, hi, _ in uncertain_parameters(base):
        blind = [m for m in metrics if not can_depend_on(prefixes[m], p)]
        if not blind:
            continue
        pruned_somewhere += 1
        for v in (lo, hi):
            s = load_scenario(path, [f"{p}={_num(v)}"])
            for q, ref in zip(SEEDS, base_runs, strict=False):
                got = run(s, q, keep_trace=False).metrics
                for m in blind:
                    assert got[m] == ref[m], (p, v, q, m)
    assert pruned_somewhere > 0  # the analysis prunes something in every shipped scenario


def test_a_tension_condition_makes_everything_relevant(baseline):
    # the Finland warning waits on a time comparison (relevant: its own inputs only) ...
    assert parameter_prefixes(baseline, "event.russia_warns_finland.h") == {"injects.russia_warns_finland.",
                                                                            "injects.finland_statement."}
    # ... while rungs and checkpoint states read the run as a whole
    assert parameter_prefixes(baseline, "peak_rung") is None
    assert parameter_prefixes(baseline, "checkpoint.friday_noon_et.tension") is None


def test_a_sampled_delay_on_the_force_makes_everything_relevant(write):
    from conftest import MINIMAL

    text = MINIMAL.replace("""    at_h: 20
    effects: [{tension: 30}]""", """    at_h: 20
    effects: [{tension: 30}, {delay: {force: f1, hours: {dist: uniform, low: 1, high: 3}}}]""")
    s = load_scenario(write("delayed.yaml", text))
    assert parameter_prefixes(s, "force.f1.in_place_h") is None
    fixed = load_scenario(write("fixed.yaml", text.replace("{dist: uniform, low: 1, high: 3}", "2")))
    assert parameter_prefixes(fixed, "force.f1.in_place_h") == {"forces.f1.", "injects.go.", "injects.spike.",
                                                                "decisions.posture."}
