"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), as scenario discovery uses
it (Bryant and Lempert 2010): find a box of parameter space where the cases of interest
concentrate.

Peeling: from the box holding every case, remove in turn the slice that most raises the share
of cases of interest inside the box (its *density*): for a numeric dimension the ``alpha`` share
of the box's cases with the lowest or with the highest values, for a categorical dimension one
category. Stop when the box would hold less than ``min_mass`` of all cases. Each step is a box on
the *peeling trajectory*, with its coverage (the share of all cases of interest inside it) and
density: the trade-off a user picks from. Each restriction of a box is tested: the box's
density against that of the same box without the restriction, by a one-sided binomial test
(``scipy.stats.binomtest``). Pasting is not done.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import binomtest


@dataclass(frozen=True)
class Limit:
    """The box along one dimension: ``low <= x <= high`` (numeric) or ``x in allowed`` (categorical)."""

    low: float = -np.inf
    high: float = np.inf
    allowed: frozenset[int] | None = None

    def inside(self, x: np.ndarray) -> np.ndarray:
        if self.allowed is not None:
            return np.isin(x, sorted(self.allowed))
        return (x >= self.low) & (x <= self.high)


@dataclass
class Box:
    limits: list[Limit]
    coverage: float
    density: float
    mass: float
    n: int  # cases inside
    k: int  # cases of interest inside
    restricted: list[int] = field(default_factory=list)  # dimensions the box restricts
    p_values: dict[int, float] = field(default_factory=dict)


def inside(x: np.ndarray, limits: Sequence[Limit]) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for d, lim in enumerate(limits):
        mask &= lim.inside(x[:, d])
    return mask


def full_limits(x: np.ndarray, categorical: Sequence[bool]) -> list[Limit]:
    """The box holding every case: no bound on a numeric dimension, every category seen allowed."""
    return [Limit(allowed=frozenset(int(v) for v in np.unique(x[:, d]))) if categorical[d] else Limit()
            for d in range(x.shape[1])]


def box_of(x: np.ndarray, y: np.ndarray, limits: list[Limit], full: list[Limit]) -> Box:
    """The coverage, density and mass of the box ``limits``."""
    return _box(x, y, limits, full)


def _box(x: np.ndarray, y: np.ndarray, limits: list[Limit], full: list[Limit]) -> Box:
    m = inside(x, limits)
    n, k, total = int(m.sum()), int(y[m].sum()), int(y.sum())
    restricted = [d for d, (a, b) in enumerate(zip(limits, full, strict=True)) if a != b]
    return Box(list(limits), k / total if total else 0.0, k / n if n else 0.0, n / len(y), n, k, restricted)


def significance(x: np.ndarray, y: np.ndarray, box: Box, full: list[Limit]) -> dict[int, float]:
    """For each restricted dimension, the one-sided binomial p-value of the box's density
    against the density of the same box without that restriction."""
    out = {}
    for d in box.restricted:
        wider = list(box.limits)
        wider[d] = full[d]
        m = inside(x, wider)
        p0 = float(y[m].mean()) if m.any() else 0.0
        if box.n == 0 or p0 >= 1.0:
            out[d] = 1.0
        else:
            out[d] = float(binomtest(box.k, box.n, p0, alternative="greater").pvalue)
    return out


def peel(x: np.ndarray, y: np.ndarray, categorical: Sequence[bool], alpha: float = 0.05,
         min_mass: float = 0.05) -> list[Box]:
    """The peeling trajectory, first box (everything) to last. ``x``: cases x dimensions
    (categorical dimensions hold category numbers), ``y``: 1 for a case of interest, else 0."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    full = full_limits(x, categorical)
    limits = list(full)
    trajectory = [_box(x, y, limits, full)]
    while trajectory[-1].density < 1.0:
        m = inside(x, limits)
        n = int(m.sum())
        best: tuple[tuple[float, int, int], list[Limit]] | None = None
        for d in range(x.shape[1]):
            col = x[m, d]
            candidates: list[Limit] = []
            lim = limits[d]
            if categorical[d]:
                assert lim.allowed is not None
                if len(lim.allowed) > 1:
                    candidates = [Limit(allowed=lim.allowed - {c}) for c in sorted(lim.allowed)]
            elif len(col):
                lo_q = float(np.quantile(col, alpha, method="higher"))
                hi_q = float(np.quantile(col, 1 - alpha, method="lower"))
                # peel the low end: keep x >= lo_q (strictly above the lowest values removed)
                if lo_q > col.min():
                    candidates.append(Limit(lo_q, lim.high))
                if hi_q < col.max():
                    candidates.append(Limit(lim.low, hi_q))
            for c in candidates:
                keep = m & c.inside(x[:, d])
                kn = int(keep.sum())
                if kn == n or kn < min_mass * len(y) or kn == 0:
                    continue
                dens = float(y[keep].mean())
                # the most density gained; among equals, the smallest slice removed, then the first dimension
                score = (dens, kn, -d)
                if best is None or score > best[0]:
                    best = (score, [*limits[:d], c, *limits[d + 1:]])
        if best is None:
            break
        limits = best[1]
        trajectory.append(_box(x, y, limits, full))
    for b in trajectory:
        b.p_values = significance(x, y, b, full)
    return trajectory


def choose(trajectory: Sequence[Box], min_coverage: float = 0.5) -> int:
    """The box to show: the densest with at least ``min_coverage`` (ties: the larger coverage)."""
    ok = [i for i, b in enumerate(trajectory) if b.coverage >= min_coverage] or [0]
    return max(ok, key=lambda i: (round(trajectory[i].density, 12), trajectory[i].coverage, -i))


def drop_insignificant(x: np.ndarray, y: np.ndarray, box: Box, categorical: Sequence[bool],
                       level: float = 0.05) -> tuple[Box, list[int]]:
    """Remove, one at a time, the least significant restriction while its p-value is ``level`` or more."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    full = full_limits(x, categorical)
    dropped: list[int] = []
    while box.restricted:
        worst = max(box.restricted, key=lambda d: (box.p_values[d], d))
        if box.p_values[worst] < level:
            break
        limits = list(box.limits)
        limits[worst] = full[worst]
        box = _box(x, y, limits, full)
        box.p_values = significance(x, y, box, full)
        dropped.append(worst)
    return box, dropped


def to_dict(box: Box) -> dict[str, Any]:
    return {"coverage": round(box.coverage, 6), "density": round(box.density, 6), "mass": round(box.mass, 6),
            "n": box.n, "k": box.k}
