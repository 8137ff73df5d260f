"""Streaming statistics over replications: metric summaries, objective odds, intervals.

Memory stays flat in the number of replications:

* mean and sd: rows are gathered in blocks of :data:`BLOCK` replications; each full
  block's count, mean and sum of squared deviations are computed with numpy and merged
  into the running totals with Chan et al.'s pairwise update (Welford's algorithm
  generalised to blocks). Block boundaries fall at fixed replication indices, and rows
  are always fed in replication order, so the result is bit-for-bit the same whatever
  the worker count, chunking, backend or resume history.
* percentiles (5/50/95, linear interpolation as ``numpy.percentile``'s default, i.e.
  Hyndman-Fan type 7): exact while a metric has fewer than :data:`SKETCH_K` values;
  beyond that a deterministic mergeable sketch (a Munro-Paterson / MRL compactor:
  each full level is sorted and every other item is promoted with double weight,
  alternating the offset) bounds memory at about ``SKETCH_K * log2(n / SKETCH_K)``
  floats per metric, with rank error at most ``n * levels / SKETCH_K`` (under 0.2 % of
  ``n`` at 10,000 replications). Fully deterministic given the feeding order.
* a metric that is ``None`` in a run (its event never happened) is counted in
  ``never`` and left out of mean, sd and percentiles.
* objectives: success counts with Wilson score intervals; a run whose metric is
  ``None`` did not meet the objective.

The intervals (Student-t for means, Wilson for proportions) come from :mod:`sim.stats`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..stats import mean_interval, t_quantile, wilson_interval

BLOCK = 256
SKETCH_K = 2048
PERCENTILES = (5.0, 50.0, 95.0)
DIGITS = 6

__all__ = ["MetricStats", "PointStats", "QuantileSketch", "mean_interval", "percentile", "t_quantile",
           "wilson_interval"]


def _r(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), DIGITS)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Type-7 (linear) percentile of already sorted values, ``q`` in 0..100 (reference implementation)."""
    if not sorted_values:
        raise ValueError("no values")
    h = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def stable_sorted(x: np.ndarray) -> np.ndarray:
    """``np.sort(x, kind="stable")`` of NaN-free floats, through numpy's faster unstable sort (about 5x for
    the sketch's levels): equal floats have equal bits, except 0.0 and -0.0, which compare equal; a stable
    sort leaves those in their original order, so that order is put back in the block of zeros."""
    out = np.sort(x)
    zeros = x == 0
    if zeros.any():
        out[out == 0] = x[zeros]
    return out


class QuantileSketch:
    """Exact percentiles up to ``k`` values, a deterministic compactor beyond (see module doc)."""

    def __init__(self, k: int = SKETCH_K):
        if k < 4 or k % 2:
            raise ValueError("k must be an even number >= 4")
        self.k = k
        self.n = 0
        self.levels: list[np.ndarray] = [np.empty(0)]
        self._offset = 0

    @property
    def exact(self) -> bool:
        return len(self.levels) == 1

    def extend(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        if not len(values):
            return
        self.n += len(values)
        self.levels[0] = np.concatenate((self.levels[0], values))
        h = 0
        while h < len(self.levels):
            lv = self.levels[h]
            if len(lv) >= self.k:
                lv = stable_sorted(lv)
                odd = len(lv) % 2
                self.levels[h] = lv[len(lv) - odd:]            # the largest stays when the count is odd
                promoted = lv[self._offset: len(lv) - odd: 2]
                self._offset ^= 1
                if h + 1 == len(self.levels):
                    self.levels.append(np.empty(0))
                self.levels[h + 1] = np.concatenate((self.levels[h + 1], promoted))
            h += 1

    def quantiles(self, qs: Iterable[float] = PERCENTILES) -> list[float | None]:
        qs = list(qs)
        if self.n == 0:
            return [None] * len(qs)
        if self.exact:
            return [float(x) for x in np.percentile(self.levels[0], qs)]
        vals = np.concatenate(self.levels)
        wts = np.concatenate([np.full(len(lv), 2**h, dtype=np.int64) for h, lv in enumerate(self.levels)])
        order = np.argsort(vals, kind="stable")
        vals, cum = vals[order], np.cumsum(wts[order])
        total = int(cum[-1])
        out: list[float | None] = []
        for q in qs:
            h = (total - 1) * q / 100.0
            lo = math.floor(h)
            i_lo = int(np.searchsorted(cum, lo, side="right"))
            i_hi = int(np.searchsorted(cum, min(lo + 1, total - 1), side="right"))
            out.append(float(vals[i_lo] + (h - lo) * (vals[i_hi] - vals[i_lo])))
        return out

    def nbytes(self) -> int:
        return sum(lv.nbytes for lv in self.levels)


class MetricStats:
    """Count, never-happened count, mean, sd and percentiles of named metrics, fed block by block."""

    HOLD = 8   # blocks held at most before every sketch takes its values

    def __init__(self, names: Sequence[str], sketch_k: int = SKETCH_K):
        self.names = list(names)
        m = len(self.names)
        self.count = np.zeros(m, dtype=np.int64)
        self.never = np.zeros(m, dtype=np.int64)
        self.mean = np.zeros(m)
        self.m2 = np.zeros(m)
        self.sketches = [QuantileSketch(sketch_k) for _ in self.names]
        self.k = sketch_k
        # blocks some sketches have not taken yet: a sketch takes its values only when they would fill its
        # first level (where it compacts) or when HOLD blocks are held, in one call for many blocks (the
        # same values in the same order as block by block, and an extend below k only appends: the
        # same sketch, for a fraction of the per-call cost)
        self._held: list[np.ndarray] = []
        self._taken = np.zeros(m, dtype=np.int64)    # per metric: how many of the held blocks it has taken
        self._due = np.zeros(m, dtype=np.int64)      # per metric: its first level's size plus its held values

    def add_block(self, x: np.ndarray) -> None:
        """``x``: replications x metrics, NaN where a metric was None."""
        if not len(x):
            return
        ok = ~np.isnan(x)
        nb = ok.sum(axis=0)
        self.never += len(x) - nb
        with np.errstate(invalid="ignore", divide="ignore"):
            mb = np.where(nb > 0, np.nansum(x, axis=0) / np.maximum(nb, 1), 0.0)
            m2b = np.nansum((x - mb) ** 2, axis=0)
            na = self.count
            n = na + nb
            delta = mb - self.mean
            frac = np.where(n > 0, nb / np.maximum(n, 1), 0.0)
            self.mean = self.mean + delta * frac
            self.m2 = self.m2 + m2b + delta * delta * na * frac
        self.count = n
        self._held.append(x)
        self._due += nb
        due = np.flatnonzero(self._due >= self.k)   # the block that fills a first level is the last it takes
        if len(self._held) >= self.HOLD:
            self._feed_all()
        elif len(due):
            rows = np.concatenate(self._held) if len(self._held) > 1 else x
            for j in due:
                self._feed(int(j), rows)

    def _feed(self, j: int, rows: np.ndarray) -> None:
        """Metric ``j``'s held values into its sketch, in one call (``rows``: the held blocks stacked)."""
        start = int(self._taken[j])
        col = rows[sum(len(b) for b in self._held[:start]):, j]
        sk = self.sketches[j]
        sk.extend(col[~np.isnan(col)])
        self._taken[j] = len(self._held)
        self._due[j] = len(sk.levels[0])

    def _feed_all(self) -> None:
        if self._held:
            rows = np.concatenate(self._held)
            for j in np.flatnonzero(self._taken < len(self._held)):
                self._feed(int(j), rows)
        self._held = []
        self._taken[:] = 0

    def summary(self) -> dict[str, dict[str, Any]]:
        self._feed_all()
        out = {}
        for j, name in enumerate(self.names):
            n = int(self.count[j])
            mean = float(self.mean[j]) if n else None
            sd = math.sqrt(self.m2[j] / (n - 1)) if n >= 2 else None
            lo, hi = mean_interval(mean, sd, n) if mean is not None and sd is not None else (None, None)
            p5, p50, p95 = self.sketches[j].quantiles(PERCENTILES)
            out[name] = {"n": n, "never": int(self.never[j]), "mean": _r(mean), "sd": _r(sd), "p5": _r(p5),
                         "p50": _r(p50), "p95": _r(p95), "ci_low": _r(lo), "ci_high": _r(hi)}
        return out


def _odds(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(k, n)
    return {"successes": k, "p": _r(k / n) if n else None, "ci_low": _r(lo), "ci_high": _r(hi)}


class PointStats:
    """Everything summarised for one sweep point; feed rows in replication order with :meth:`add`.

    A row is a dict with ``metrics`` (name -> number or None), ``objectives`` (id -> met) and
    ``decisions`` (decision id -> option id taken).
    """

    def __init__(self, objective_titles: dict[str, str], by_option: bool = False, block: int = BLOCK,
                 sketch_k: int = SKETCH_K):
        self.titles = dict(objective_titles)
        self.oids = list(self.titles)
        self.block = block
        self.sketch_k = sketch_k
        self.metrics: MetricStats | None = None
        self.n = 0
        self.successes = [0] * len(self.oids)
        self.by_option: dict[str, dict[str, list[Any]]] | None = {} if by_option else None
        self._rows: list[Any] = []     # rows (each a sequence of floats) or blocks of rows (2-D arrays)
        self._pending = 0              # how many rows they hold: a block of self.block is summarised at once
        self._names: tuple[str, ...] = ()

    def add(self, row: dict[str, Any]) -> None:
        m = row["metrics"]
        names = self.metrics.names if self.metrics is not None else list(m)
        met = row["objectives"]
        self.add_values(names, [math.nan if (v := m.get(k)) is None else float(v) for k in names],
                        [bool(met.get(o, False)) for o in self.oids], self.oids, row.get("decisions", {}))

    def add_values(self, names: Sequence[str], values: list[float], met: Sequence[bool], oids: Sequence[str],
                   decisions: dict[str, str]) -> None:
        """The fast path: values in ``names`` order (NaN for None), ``met`` in ``oids`` order."""
        if self.metrics is None:
            self.metrics = MetricStats(list(names), self.sketch_k)
        if tuple(names) != self._names:
            if list(names) != self.metrics.names:
                pos = {k: j for j, k in enumerate(names)}
                values = [values[pos[k]] if k in pos else math.nan for k in self.metrics.names]
            else:
                self._names = tuple(names)
        self._rows.append(np.asarray(values, dtype=float).reshape(1, -1))
        self._pending += 1
        self.n += 1
        if tuple(oids) != tuple(self.oids):
            got = dict(zip(oids, met, strict=False))
            met = [bool(got.get(o, False)) for o in self.oids]
        hits = [j for j, ok in enumerate(met) if ok]
        for j in hits:
            self.successes[j] += 1
        if self.by_option is not None:
            self._tally(decisions, hits)
        if self._pending >= self.block:
            self._flush()

    def add_array(self, names: Sequence[str], values: np.ndarray, met: np.ndarray, oids: Sequence[str],
                  decisions: Sequence[dict[str, str]] | None = None) -> None:
        """Many replications at once, in order: ``values`` (replications x ``names``, NaN for None), ``met``
        (replications x ``oids``, bool), ``decisions`` (each replication's, or None: none recorded). The
        statistics are those of :meth:`add_values` row by row (the same blocks are summarised)."""
        values = np.asarray(values, dtype=float)
        if not len(values):
            return
        if self.metrics is None:
            self.metrics = MetricStats(list(names), self.sketch_k)
        if tuple(names) != tuple(self.metrics.names):
            pos = {k: j for j, k in enumerate(names)}
            values = np.column_stack([values[:, pos[k]] if k in pos else np.full(len(values), math.nan)
                                      for k in self.metrics.names])
        met = np.asarray(met, dtype=bool)
        if tuple(oids) != tuple(self.oids):
            where = {o: j for j, o in enumerate(oids)}
            met = np.column_stack([met[:, where[o]] if o in where else np.zeros(len(met), dtype=bool)
                                   for o in self.oids])
        for j, c in enumerate(met.sum(axis=0).tolist()):
            self.successes[j] += c
        if self.by_option is not None and decisions is not None:
            for hits_row, chosen in zip(met.tolist(), decisions, strict=True):
                self._tally(chosen, [j for j, ok in enumerate(hits_row) if ok])
        self.n += len(values)
        at = 0
        while at < len(values):   # cut at the same block boundaries as row by row
            take = min(self.block - self._pending, len(values) - at)
            self._rows.append(values[at:at + take])
            self._pending += take
            at += take
            if self._pending >= self.block:
                self._flush()

    def _tally(self, chosen: dict[str, str], hits: Sequence[int]) -> None:
        """One replication in the by-option counts: each option it took, and the objectives (``hits``) it met."""
        assert self.by_option is not None
        for did, opt in chosen.items():
            cell = self.by_option.setdefault(did, {}).setdefault(opt, [0, [0] * len(self.oids)])
            cell[0] += 1
            for j in hits:
                cell[1][j] += 1

    def _flush(self) -> None:
        if self._rows and self.metrics is not None:
            self.metrics.add_block(self._rows[0] if len(self._rows) == 1 else np.concatenate(self._rows))
        self._rows = []
        self._pending = 0

    def summary(self) -> dict[str, Any]:
        self._flush()
        d: dict[str, Any] = {
            "reps": self.n,
            "metrics": self.metrics.summary() if self.metrics else {},
            "objectives": {o: {"title": self.titles[o], "n": self.n, **_odds(int(self.successes[i]), self.n)}
                           for i, o in enumerate(self.oids)},
        }
        if self.by_option is not None:
            d["by_option"] = {
                did: {opt: {"n": n, "objectives": {o: _odds(int(s[i]), n) for i, o in enumerate(self.oids)}}
                      for opt, (n, s) in sorted(opts.items())}
                for did, opts in sorted(self.by_option.items())}
        return d
