"""The engine's shortcuts give what the long way gives: fixed parameters drawn without drawing,
severity shares memoised per scenario (benchmarks/identity.py compares whole traces across revisions)."""
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import numpy_path_draws

from sim import load_scenario
from sim.engine.deconfliction import Encounters, measure_factor
from sim.engine.escalation import Tension
from sim.engine.run import run
from sim.engine.world import Uniforms, World
from sim.scenario.distributions import Fixed, Triangular

ROOT = Path(__file__).resolve().parents[1]

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _first_draw(seed: int, path: str) -> float:
    """numpy's first Generator.random() at the path's offset of the params stream (the reference)."""
    return numpy_path_draws(np.random.SeedSequence(seed), path, 1)[0]


@pytest.mark.parametrize("seed", [0, 11, 2**40 + 3])
def test_a_fixed_parameter_is_its_value_and_leaves_its_path_undrawn(baseline, seed):
    w = World(baseline, seed, keep_trace=False)
    path = "forces.vjtf.transit_h"
    assert w.sample(Fixed(value=42.5), path) == 42.5
    # the path's stretch is untouched: its next draw is still the first number of the stretch
    assert w.draws(path).random() == _first_draw(seed, path)


@pytest.mark.parametrize("seed", [0, 11])
def test_a_distributed_parameter_takes_its_paths_draws_in_turn(baseline, seed):
    w = World(baseline, seed, keep_trace=False)
    tri = Triangular(dist="triangular", low=10, mode=20, high=40)
    path = "forces.vjtf.notice_to_move_h"
    assert w.sample(tri, path) == tri.quantile(_first_draw(seed, path))
    assert w.sample(tri, path) != w.sample(tri, path)  # each call the path's next number


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_path_a_run_draws_at_has_one_distribution(path, monkeypatch):
    """Skipping a fixed value's draw changes nothing only if no path is drawn as fixed in one place
    and as a distribution in another (its later draws would move): so no path has two."""
    s = load_scenario(path)
    seen: dict[str, set[str]] = {}
    sample = World.sample

    def spy(self, dist, p):
        seen.setdefault(p, set()).add(dist.model_dump_json())
        return sample(self, dist, p)

    monkeypatch.setattr(World, "sample", spy)
    for seed in range(5):
        run(s, seed, keep_trace=False)
    assert seen, "the run drew no parameter"
    assert {p: ds for p, ds in seen.items() if len(ds) > 1} == {}


def _shares_long_way(enc: Encounters, w: World, dom: str, without: str | None, measures: bool) -> list[float]:
    """The module's formula, term by term: ladder share x active measures' factors x spiral**k, routine 0,
    rescaled to sum to 1 if the graver classes exceed it."""
    d = w.s.deconfliction
    classes = d.severity.classes
    out = [0.0, *enc.grades[dom][1:]]
    for mid, on in w.measures.items():
        if on and mid != without and measures:
            for k in range(1, len(out)):
                out[k] *= measure_factor(d.measures[mid], classes[k].id, classes[k].measure_factor)
    g = 1.0 + d.tension_sensitivity * w.tension.value() / 100.0
    out = [x * g ** k for k, x in enumerate(out)]
    total = math.fsum(out)
    return [x / total for x in out] if total > 1.0 else out


def test_memoised_severity_shares_are_the_formulas_at_every_measure_state_and_tension(baseline):
    w = World(baseline, 3, keep_trace=False)
    tension = Tension(w)
    enc = Encounters(w, Uniforms(w.streams, "encounters"))
    mids = list(w.measures)
    for states in itertools.product([False, True], repeat=len(mids)):
        for mid, on in zip(mids, states, strict=True):
            w.measures[mid] = on
        for level in (0.0, 20.0, 95.0):
            tension.v0 = level
            for dom in enc.domains:
                for without in (None, *mids):
                    for measures in (True, False):
                        for _ in range(2):  # the second call is the memo's
                            assert enc.shares(dom, without, measures) == _shares_long_way(enc, w, dom, without, measures)


def test_a_variants_shares_are_its_own_after_the_baseline_ran():
    """The memo is per scenario: a variant with another measure factor, run after the baseline has
    filled the baseline's memo, gives what it gives run first (and not the baseline's)."""
    month = ["clock.horizon_h=720"]
    sets = [*month, "deconfliction.measures.professional_conduct.factor=0.01"]
    path = ROOT / "scenarios" / "nato-response-2022.yaml"
    seeds = range(8)

    def metrics(s):
        return [run(s, seed, keep_trace=False).metrics for seed in seeds]

    a = metrics(load_scenario(path, sets))
    base = metrics(load_scenario(path, month))
    assert a != base  # the variant's measure changes what encounters become
    b = metrics(load_scenario(path, sets))
    assert a == b


def test_the_engines_rate_share_is_the_tables_at_every_step_and_between(baseline):
    from sim.engine.adversary import rate_share
    from sim.scenario.axes import force_ratio_table

    table = force_ratio_table(baseline)
    mins = [st.min_ratio for st in table.advance_rate]
    ratios = sorted({0.0, *mins, *(m * (1 + 1e-12) for m in mins), *(m * (1 - 1e-12) for m in mins if m),
                     *np.linspace(0, 2 * mins[-1] + 1, 97).tolist()})
    for ratio in ratios:
        assert rate_share(table, ratio) == table.rate_share(ratio, 1.0), ratio
    for st in table.advance_rate:  # each step's share from the ratio where it starts
        assert rate_share(table, st.min_ratio) == st.share
