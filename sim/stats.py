"""Statistical inference for batches and reports, in one place, on scipy.

Intervals:

* :func:`mean_interval`: Student-t interval of a mean (the quantile ``scipy.stats.t.ppf``
  computes, ``scipy.special.stdtrit``).
* :func:`wilson_interval`: Wilson score interval of a proportion, the one
  ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`` gives, computed as scipy does
  from ``scipy.special.ndtri``. The confidence level is the one of ``z = 1.96`` (0.950004), the
  convention batches and reports have always printed, so the intervals are today's to every
  printed digit.

  Both intervals need only ``scipy.special`` (about a quarter of a second to import), not
  ``scipy.stats`` (a second and a half), which every batch summary would otherwise pay; the tests
  (``tests/test_stats.py``) hold them bit-identical to scipy.stats on a grid.

Tests, each returning an :class:`Outcome` (statistic, two-sided p-value, the test's name):

* samples that share seeds (common random numbers: replication *i* of both sides drawn from the
  same ``SeedSequence(seed).spawn(reps)[i]``) are paired: :func:`mcnemar` for two proportions
  (exact binomial on the discordant pairs below :data:`MCNEMAR_EXACT_BELOW` of them, chi-square
  with continuity correction from there), :func:`paired_t` (``scipy.stats.ttest_rel``) or
  :func:`wilcoxon` (``scipy.stats.wilcoxon``) for a metric;
* samples that do not: :func:`two_proportion_z` (pooled) and :func:`welch_t`
  (``scipy.stats.ttest_ind_from_stats`` with unequal variances).

Families of tests: :func:`holm` (Holm-Bonferroni step-down; scipy's ``false_discovery_control``
is Benjamini-Hochberg only, and statsmodels is not a dependency, so Holm is written here on the
sorted p-values: ``p_(i) * (m - i + 1)``, made monotone, capped at 1).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np

WILSON_Z = 1.96
WILSON_LEVEL = math.erfc(-WILSON_Z / math.sqrt(2)) - 1  # 0.9500042...: the level of z = 1.96 (2 Phi(z) - 1, as scipy)


@functools.cache
def _scipy_stats() -> ModuleType:
    """scipy.stats, imported when a test first needs it (it takes more than a second to import,
    which every command would otherwise pay at start-up)."""
    from scipy import stats
    return stats


@functools.cache
def _scipy_special() -> ModuleType:
    """scipy.special, imported when an interval first needs it."""
    from scipy import special
    return special


MCNEMAR_EXACT_BELOW = 25


@dataclass(frozen=True)
class Outcome:
    """The outcome of a two-sided test: ``stat`` (z, t, chi-square, W or a count), ``p_value``,
    the test's name as a report shows it, and ``n`` (pairs, or both samples' sizes summed)."""

    name: str
    stat: float
    p_value: float
    n: int


@functools.lru_cache(maxsize=1024)
def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (cached: a batch's summary asks it for
    every metric, mostly with the same ``df``)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    # what scipy.stats.t.ppf(p, df) returns: the support's ends at 0 and 1, nan outside, and between them
    # t's _ppf (stdtrit) times scale 1 plus loc 0 (the + 0.0: never -0.0)
    if p == 0 or p == 1:
        return -math.inf if p == 0 else math.inf
    if not 0 < p < 1:
        return math.nan
    return float(_scipy_special().stdtrit(df, p)) + 0.0


def mean_interval(mean: float, sd: float, n: int, level: float = 0.95) -> tuple[float | None, float | None]:
    """t interval for the mean (``(None, None)`` below two values)."""
    if n < 2:
        return None, None
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def wilson_interval(k: int, n: int, level: float = WILSON_LEVEL) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (``(0, 1)`` when ``n`` is 0)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if not 0 <= level <= 1:
        raise ValueError(f"confidence level must be in [0, 1], got {level}")
    k, n = int(k), int(n)
    # scipy.stats._binomtest._binom_wilson_conf_int (two-sided, no continuity correction), step for step,
    # with z the same numpy float64 so every operation rounds as there
    p = k / n
    z = _scipy_special().ndtri(0.5 + 0.5 * level)
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    q = 1 - p
    delta = z / denom * math.sqrt(4 * n * p * q + z**2)
    low = 0.0 if k == 0 else center - delta
    high = 1.0 if k == n else center + delta
    return max(0.0, float(low)), min(1.0, float(high))


# unpaired ---------------------------------------------------------------------------------------

def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> Outcome:
    """Pooled two-proportion z-test. No difference when the pooled variance is zero."""
    name = "two-proportion z"
    if n1 == 0 or n2 == 0:
        return Outcome(name, 0.0, 1.0, n1 + n2)
    pool = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    if se == 0:
        return Outcome(name, 0.0, 1.0, n1 + n2)
    z = (k1 / n1 - k2 / n2) / se
    return Outcome(name, z, float(2 * _scipy_stats().norm.sf(abs(z))), n1 + n2)


def welch_t(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> tuple[float, float, float]:
    """Welch's unequal-variance t-test from summary statistics: (t, df, two-sided p)."""
    if n1 < 2 or n2 < 2:
        return 0.0, float("nan"), 1.0
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    if v1 + v2 == 0:
        return (0.0, float("inf"), 1.0) if m1 == m2 else (math.copysign(math.inf, m1 - m2), float("inf"), 0.0)
    df = (v1 + v2) ** 2 / ((v1 * v1 / (n1 - 1) if v1 else 0.0) + (v2 * v2 / (n2 - 1) if v2 else 0.0))
    r = _scipy_stats().ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    return float(r.statistic), df, float(r.pvalue)


def welch(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> Outcome:
    t, _df, p = welch_t(m1, s1, n1, m2, s2, n2)
    return Outcome("Welch t", t, p, n1 + n2)


# paired -----------------------------------------------------------------------------------------

def discordant(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int]:
    """McNemar's discordant counts of paired outcomes: (a met and b not, b met and a not)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")
    n10 = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    n01 = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return n10, n01


def mcnemar(a: Sequence[bool], b: Sequence[bool], exact_below: int = MCNEMAR_EXACT_BELOW) -> Outcome:
    """McNemar's test of two paired proportions.

    With ``n10 + n01`` discordant pairs below ``exact_below``: the exact test, two-sided
    ``binomtest(n10, n10 + n01, 0.5)`` (its statistic is ``n10``); otherwise the chi-square
    ``(|n10 - n01| - 1)^2 / (n10 + n01)`` on 1 df (Edwards' continuity correction). No
    discordant pair: no difference, p = 1.
    """
    n10, n01 = discordant(a, b)
    d = n10 + n01
    if d == 0:
        return Outcome("McNemar exact", 0.0, 1.0, len(a))
    if d < exact_below:
        return Outcome("McNemar exact", float(n10), float(_scipy_stats().binomtest(n10, d, 0.5).pvalue), len(a))
    x2 = (abs(n10 - n01) - 1) ** 2 / d
    return Outcome("McNemar chi-square", float(x2), float(_scipy_stats().chi2.sf(x2, 1)), len(a))


def _pairs(a: Sequence[float | None], b: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")
    keep = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None
            and math.isfinite(x) and math.isfinite(y)]
    return np.array([x for x, _ in keep], dtype=float), np.array([y for _, y in keep], dtype=float)


def paired_t(a: Sequence[float | None], b: Sequence[float | None]) -> Outcome:
    """Paired t-test on the pairs where both values exist (``None``: the event never happened).

    Fewer than two pairs, or every difference zero: no difference (p = 1); a constant nonzero
    difference: t is infinite and p = 0.
    """
    x, y = _pairs(a, b)
    n = len(x)
    d = x - y
    if n < 2 or not d.any():
        return Outcome("paired t", 0.0, 1.0, n)
    if np.all(d == d[0]):
        return Outcome("paired t", math.copysign(math.inf, float(d[0])), 0.0, n)
    r = _scipy_stats().ttest_rel(x, y)
    return Outcome("paired t", float(r.statistic), float(r.pvalue), n)


def wilcoxon(a: Sequence[float | None], b: Sequence[float | None]) -> Outcome:
    """Wilcoxon signed-rank test on the pairs where both values exist (zero differences dropped,
    scipy's default). Every difference zero: p = 1."""
    x, y = _pairs(a, b)
    if not (x - y).any():
        return Outcome("Wilcoxon signed-rank", 0.0, 1.0, len(x))
    r = _scipy_stats().wilcoxon(x, y)
    return Outcome("Wilcoxon signed-rank", float(r.statistic), float(r.pvalue), len(x))


def mean_difference(a: Sequence[float | None], b: Sequence[float | None]) -> float | None:
    """Mean of the paired differences ``a - b`` over the pairs where both values exist."""
    x, y = _pairs(a, b)
    return float(np.mean(x - y)) if len(x) else None


# families ---------------------------------------------------------------------------------------

def holm_adjust(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values: the i-th smallest times ``m - i + 1``, made non-decreasing
    in that order, capped at 1."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(pvalues[i])))
        out[i] = running
    return out


def holm(pvalues: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Holm-Bonferroni step-down: which of a family of tests reject at family-wise level ``alpha``."""
    return [p <= alpha for p in holm_adjust(pvalues)]
