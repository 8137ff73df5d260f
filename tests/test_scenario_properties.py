"""Properties: distributions stay in their bounds; the loader never fails with anything but ScenarioError."""
import numpy as np
from conftest import MINIMAL
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from sim import ScenarioError, load_scenario
from sim.scenario.distributions import Dist

dist = TypeAdapter(Dist)
finite = st.floats(-1e4, 1e4, allow_nan=False)


@given(finite, finite, finite, st.integers(0, 2**32 - 1))
def test_bounded_distributions_sample_inside_their_bounds(a, b, c, seed):
    lo, mode, hi = sorted([a, b, c])
    rng = np.random.default_rng(seed)
    for spec in ({"dist": "uniform", "low": lo, "high": hi},
                 {"dist": "triangular", "low": lo, "mode": mode, "high": hi},
                 {"dist": "truncnormal", "mean": mode, "sd": (hi - lo) / 2 + 1, "low": lo, "high": hi + 1}):
        d = dist.validate_python(spec)
        x = d.sample(rng)
        assert spec["low"] <= x <= spec["high"]
        assert d.bounds()[0] <= d.bounds()[1]


def test_sample_means_match_declared_means():
    rng = np.random.default_rng(1)
    for spec in ({"dist": "lognormal", "median": 10, "sigma": 0.5}, {"dist": "exponential", "mean": 4},
                 {"dist": "triangular", "low": 48, "mode": 60, "high": 72}, 7):
        d = dist.validate_python(spec)
        xs = np.array([d.sample(rng) for _ in range(20000)])
        sd = xs.std() or 1e-9
        assert abs(xs.mean() - d.mean()) < 4 * sd / np.sqrt(len(xs)), spec


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcfx:{}[]-,'\"!&*|>#%@ \n\t01.")), max_size=120))
def test_loader_only_ever_raises_scenario_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    p.write_text(text)
    try:
        load_scenario(p)
    except ScenarioError as exc:
        assert exc.problems and all(str(pr).startswith(str(p)) for pr in exc.problems)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(MINIMAL.splitlines()), st.sampled_from(["", "x", ": 3", "-1", "{", "  y: [1]"]))
def test_mutated_scenarios_fail_cleanly(tmp_path_factory, line, junk):
    p = tmp_path_factory.mktemp("mut") / "s.yaml"
    p.write_text(MINIMAL.replace(line, line + junk, 1))
    try:
        load_scenario(p)
    except ScenarioError as exc:
        assert all(":" in str(pr) for pr in exc.problems)
