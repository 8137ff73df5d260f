"""sim.stats: intervals and tests against closed-form values; paired tests on common random numbers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim import stats


def _old_wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The closed form the batches printed before scipy: Wilson (1927) with z = 1.96."""
    p, z2 = k / n, z * z
    d = 1 + z2 / n
    c, h = (p + z2 / (2 * n)) / d, z / d * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, c - h), min(1.0, c + h)


def test_wilson_from_binomtest_equals_the_closed_form_to_every_printed_digit():
    for n in (1, 2, 3, 7, 10, 40, 60, 200, 263, 1000):
        for k in range(0, n + 1, max(1, n // 50)):
            lo, hi = stats.wilson_interval(k, n)
            olo, ohi = _old_wilson(k, n)
            assert (round(lo, 6), round(hi, 6)) == (round(olo, 6), round(ohi, 6)), (k, n)
            assert lo == pytest.approx(olo, abs=1e-12) and hi == pytest.approx(ohi, abs=1e-12)


def test_t_interval_uses_the_exact_quantile():
    assert stats.t_quantile(0.975, 4) == pytest.approx(2.776445, abs=1e-6)   # tables: 2.7764
    assert stats.t_quantile(0.975, 29) == pytest.approx(2.045230, abs=1e-6)  # tables: 2.0452
    lo, hi = stats.mean_interval(10.0, 2.0, 5)
    assert (lo, hi) == pytest.approx((10 - 2.776445 * 2 / math.sqrt(5), 10 + 2.776445 * 2 / math.sqrt(5)), abs=1e-5)


def test_mcnemar_exact_on_a_small_table():
    # 8 pairs met only by a, 2 only by b, 30 by both, 10 by neither: 10 discordant pairs, exact binomial
    a = [True] * 8 + [False] * 2 + [True] * 30 + [False] * 10
    b = [False] * 8 + [True] * 2 + [True] * 30 + [False] * 10
    t = stats.mcnemar(a, b)
    # two-sided: 2 * P(X <= 2), X ~ Bin(10, 1/2) = 2 * (1 + 10 + 45) / 1024
    assert t.name == "McNemar exact" and t.stat == 8 and t.n == 50
    assert t.p_value == pytest.approx(112 / 1024, abs=1e-12)
    assert stats.mcnemar(a, a).p_value == 1.0
    assert stats.discordant(a, b) == (8, 2)


def test_mcnemar_chi_square_with_continuity_from_25_discordant_pairs():
    a = [True] * 30 + [False] * 12 + [True] * 5
    b = [False] * 30 + [True] * 12 + [True] * 5
    t = stats.mcnemar(a, b)
    x2 = (abs(30 - 12) - 1) ** 2 / 42                 # 6.880952
    assert t.name == "McNemar chi-square" and t.stat == pytest.approx(x2)
    assert t.p_value == pytest.approx(math.erfc(math.sqrt(x2 / 2)), rel=1e-9)  # chi-square, 1 df
    # the switch: 24 discordant pairs exact, 25 chi-square
    assert stats.mcnemar([True] * 24, [False] * 24).name == "McNemar exact"
    assert stats.mcnemar([True] * 24, [False] * 24).p_value == pytest.approx(2 * 0.5**24)
    assert stats.mcnemar([True] * 25, [False] * 25).name == "McNemar chi-square"


def test_holm_on_known_p_values():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06
    assert stats.holm_adjust(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm(p, 0.05) == [True, False, False, True]
    assert stats.holm([0.01, 0.04, 0.03], 0.05) == [True, False, False]
    assert stats.holm_adjust([0.5, 0.9]) == [1.0, 1.0]
    assert stats.holm([]) == []


def test_paired_t_closed_form_and_missing_pairs():
    # differences with mean 2/sqrt(11) and sd 1 over 11 pairs: t = 2 on 10 df, p = 2 * (1 - 0.963306)
    z = np.arange(11.0) - 5
    d = 2.0 / math.sqrt(11) + z / z.std(ddof=1)
    t = stats.paired_t(list(d + 100), [100.0] * 11)
    assert t.name == "paired t" and t.stat == pytest.approx(2.0) and t.n == 11
    assert t.p_value == pytest.approx(0.073388, abs=2e-6)
    # a pair where either value is None (the event never happened) is left out
    t2 = stats.paired_t([*list(d), None, 5.0], [0.0] * 11 + [1.0, None])
    assert t2.n == 11 and t2.stat == pytest.approx(2.0)
    assert stats.paired_t([1.0, 2.0], [1.0, 2.0]).p_value == 1.0
    assert stats.paired_t([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]).p_value == 0.0
    assert stats.mean_difference([3.0, None, 5.0], [1.0, 2.0, 2.0]) == pytest.approx(2.5)


def test_wilcoxon_signed_rank_exact_small_sample():
    # five positive differences: W = 0, exact two-sided p = 2 / 2^5
    t = stats.wilcoxon([2.0, 4.0, 6.0, 8.0, 10.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert t.stat == 0 and t.p_value == pytest.approx(2 / 32)
    assert stats.wilcoxon([1.0, 2.0], [1.0, 2.0]).p_value == 1.0


def test_paired_test_sees_what_the_unpaired_one_misses_on_common_random_numbers():
    """Two variants on the same draws: a large shared noise, a small effect. The paired test removes
    the shared noise and finds the effect; Welch's test, treating the samples as independent, cannot."""
    rng = np.random.default_rng(7)
    n = 60
    common = rng.normal(0.0, 10.0, n)               # what both runs share (the seed's draws)
    a = common + 1.0 + rng.normal(0.0, 0.5, n)      # the variant: one unit later
    b = common + rng.normal(0.0, 0.5, n)
    paired = stats.paired_t(list(a), list(b))
    d = a - b
    assert paired.stat == pytest.approx(d.mean() / (d.std(ddof=1) / math.sqrt(n)), rel=1e-12)
    welch = stats.welch(a.mean(), a.std(ddof=1), n, b.mean(), b.std(ddof=1), n)
    se = math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    assert welch.stat == pytest.approx((a.mean() - b.mean()) / se, rel=1e-12)
    assert paired.p_value < 1e-6 < 0.2 < welch.p_value
    # objectives: met when the time is under a threshold; the variant misses in a few more runs
    ta, tb = list(a < 0.0), list(b < 0.0)
    n10, n01 = stats.discordant(ta, tb)
    assert n01 > 0 and n10 == 0                     # only ever later: every discordant pair goes one way
    assert stats.mcnemar(ta, tb).p_value == pytest.approx(2 * 0.5 ** n01)


def test_welch_from_summary_statistics():
    t, df, p = stats.welch_t(10.0, 2.0, 30, 12.0, 2.0, 30)
    assert t == pytest.approx(-2 / math.sqrt(8 / 30)) and df == pytest.approx(58.0) and p < 0.001
    assert stats.welch_t(1.0, 0.0, 5, 1.0, 0.0, 5) == (0.0, math.inf, 1.0)


def test_intervals_are_bit_identical_to_scipy_stats_on_a_grid():
    """The summary computes its intervals from scipy.special (stdtrit, ndtri) so as not to import scipy.stats;
    they must be what scipy.stats gives, to the last bit (so printed intervals cannot change)."""
    from scipy import stats as sst
    stats.t_quantile.cache_clear()
    dfs = [1, 2, 3, 4, 5, 7, 9, 10, 19, 29, 30, 49, 99, 100, 199, 999, 1999, 19999, 1.5, 2.75]
    ps = [0.0, 1e-9, 0.001, 0.025, 0.05, 0.1, 0.3, 0.5, 0.6, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 1 - 1e-9, 1.0]
    for df in dfs:
        for p in ps:
            got, want = stats.t_quantile(p, df), float(sst.t.ppf(p, df))
            assert got == want and math.copysign(1, got) == math.copysign(1, want), (p, df, got, want)
    for level in (0.9, 0.95, 0.99):
        assert stats.mean_interval(3.25, 1.5, 17, level) == (
            3.25 - float(sst.t.ppf(0.5 + level / 2, 16)) * 1.5 / math.sqrt(17),
            3.25 + float(sst.t.ppf(0.5 + level / 2, 16)) * 1.5 / math.sqrt(17))
    for level in (stats.WILSON_LEVEL, 0.8, 0.9, 0.99):
        for n in (*range(1, 41), 60, 99, 200, 263, 1000, 1999, 2000, 20000):
            for k in sorted({*range(0, n + 1, max(1, n // 60)), 0, 1, n - 1, n}):
                ci = sst.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
                want = (max(0.0, float(ci.low)), min(1.0, float(ci.high)))
                assert stats.wilson_interval(k, n, level) == want, (k, n, level)


def test_the_summary_intervals_do_not_import_scipy_stats():
    import subprocess
    import sys
    code = ("import sys; from sim import stats; stats.t_quantile(0.975, 9); stats.wilson_interval(3, 10); "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
