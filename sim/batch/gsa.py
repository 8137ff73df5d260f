"""Global sensitivity analysis: Sobol indices and Morris screening (SALib, extra ``analysis``).

The factors (:mod:`sim.batch.factors`) span a unit hypercube; SALib draws the sample
(``SALib.sample.sobol``: Saltelli's scheme on a scrambled Sobol sequence, N x (D + 2) points
without second-order indices; ``SALib.sample.morris``: N trajectories of D + 1 points on a
4-level grid), each point becomes ``--set`` overrides of the scenario, and every point runs the
same ``reps`` replication seeds (common random numbers) on the batch executors (this process, a
local process pool or a Dask cluster, :mod:`sim.batch.executors`), the replications run as a batch
runs them (:func:`sim.batch.replicate.run_chunk`), so the result does not depend on the workers or
the backend. The output at a point is
P(objective met) over its replications, or the mean of a metric; SALib then analyses it
(bootstrap confidence intervals, seeded). Points that give the same overrides (categorical
factors on Morris's grid) are run once.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..scenario.errors import Problem, ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from .executors import Backend, DaskCluster, LocalPool, Serial
from .factors import Factor, factors
from .replicate import Chunk, run_chunk
from .runner import BatchError

METHODS = ("oat", "morris", "sobol")
MORRIS_LEVELS = 4
RESAMPLES = 1000


class AnalysisUnavailable(RuntimeError):
    """SALib (or scikit-learn) is not installed."""


@dataclass(frozen=True)
class Outcome:
    """What is analysed: an objective met (``objective``) or a metric's value (``metric``),
    with, for discovery, a threshold (``above`` / ``below``) that marks a run as of interest."""

    objective: str | None = None
    metric: str | None = None
    above: float | None = None
    below: float | None = None

    def check(self, s: Scenario, where: str) -> str:
        """The metric behind the outcome; raises ScenarioError naming what is wrong."""
        if (self.objective is None) == (self.metric is None):
            raise ScenarioError([Problem("--objective/--metric", None, "", "give exactly one of them")])
        if self.objective is not None:
            if self.objective not in s.objectives:
                raise ScenarioError([Problem(where, None, "objectives", f"no objective {self.objective!r}; "
                                             f"objectives: {', '.join(s.objectives)}")])
            return s.objectives[self.objective].metric
        from ..scenario.metrics import metric_names

        known = metric_names(s)
        if self.metric not in known:
            raise ScenarioError([Problem(f"--metric {self.metric}", None, "", "no such metric in this scenario "
                                         "(crisis-sim metrics SCENARIO lists them)")])
        return str(self.metric)

    def describe(self, s: Scenario) -> str:
        if self.objective is not None:
            return f"P({self.objective})"
        return f"mean {self.metric}"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("objective", self.objective), ("metric", self.metric), ("above", self.above),
                                  ("below", self.below)) if v is not None}


@dataclass
class SamplePlan:
    """What an analysis will run, known before any run (for the line printed first)."""

    method: str
    samples: int
    factors: list[Factor]
    pruned: list[Factor]
    points: int  # rows of the sample
    distinct: int  # distinct override sets among them (each run once)
    reps: int

    @property
    def runs(self) -> int:
        return self.distinct * self.reps

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "samples": self.samples, "dimensions": len(self.factors),
                "points": self.points, "distinct": self.distinct, "reps": self.reps, "runs": self.runs,
                "pruned": [f.path for f in self.pruned]}


def _nan_none(x: Any) -> float | None:
    x = float(x)
    return None if not math.isfinite(x) else round(x, 6)


@dataclass
class GsaResult:
    """A Sobol or Morris analysis: one row per factor, ranked (total index, or mu*)."""

    method: str
    scenario: str
    scenario_hash: str
    path: str
    sets: list[str]
    outcome: Outcome
    samples: int
    reps: int
    seed: int
    runs: int
    points: int
    parameters: list[dict[str, Any]]
    pruned: list[dict[str, Any]]
    y_mean: float | None
    y_var: float | None
    conf_level: float = 0.95
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "scenario": self.scenario, "scenario_hash": self.scenario_hash,
                "path": self.path, "sets": list(self.sets), **self.outcome.to_dict(), "samples": self.samples,
                "reps": self.reps, "seed": self.seed, "runs": self.runs, "points": self.points,
                "conf_level": self.conf_level, "y_mean": self.y_mean, "y_var": self.y_var,
                "parameters": self.parameters, "pruned": self.pruned, "notes": list(self.notes),
                "limits": LIMITS[self.method]}


def _salib() -> Any:
    try:
        import SALib
    except ModuleNotFoundError:
        raise AnalysisUnavailable("--method sobol and morris need the 'analysis' extra (SALib): "
                                  "pip install -e '.[analysis]'") from None
    return SALib


def salib_seed(seed: int) -> int:
    """The seed handed to SALib: derived from ``seed`` and never 0 (SALib 1.5-1.6 test ``if seed:``,
    so a seed of 0 would leave the bootstrap to numpy's global random state, different every run)."""
    return int(np.random.SeedSequence(int(seed)).generate_state(1)[0]) or 1


def problem(fs: Sequence[Factor]) -> dict[str, Any]:
    """SALib's problem: every factor on the unit interval (mapped to its range or categories)."""
    return {"num_vars": len(fs), "names": [f.path for f in fs], "bounds": [[0.0, 1.0]] * len(fs)}


def sample_unit(method: str, fs: Sequence[Factor], samples: int, seed: int) -> np.ndarray:
    """The unit-hypercube sample of ``method`` (rows: points, columns: factors)."""
    _salib()
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample
        return np.asarray(sobol_sample.sample(problem(fs), samples, calc_second_order=False,
                                              seed=salib_seed(seed)))
    if method == "morris":
        from SALib.sample import morris as morris_sample
        return np.asarray(morris_sample.sample(problem(fs), samples, num_levels=MORRIS_LEVELS,
                                               seed=salib_seed(seed)))
    raise ValueError(method)


def overrides(fs: Sequence[Factor], u: np.ndarray) -> list[tuple[str, ...]]:
    """Each row of a unit sample as ``--set`` overrides."""
    return [tuple(f.override(float(x)) for f, x in zip(fs, row, strict=True)) for row in u]


@dataclass(frozen=True)
class PointsTask:
    """Sample points to run in one task: each point's scenario (its overrides applied) and ``reps``
    replications on seeds ``SeedSequence(seed).spawn(reps)`` (the same at every point)."""

    scenarios: tuple[Scenario, ...]
    seed: int
    reps: int
    objective: str | None
    metric: str | None


def run_points(_base: Scenario, task: PointsTask) -> list[list[float]]:
    """Per point, per replication: 1.0 / 0.0 for the objective met, or the metric's value (NaN: never).
    The replications are run as a batch runs them (:func:`sim.batch.replicate.run_chunk`)."""
    out = []
    for sc in task.scenarios:
        res = run_chunk(sc, Chunk(0, range(task.reps), task.seed))
        names, oids = res.layout.metrics, res.layout.objectives
        if task.objective is not None:
            out.append([1.0 if ok else 0.0 for ok in res.met[:, oids.index(task.objective)].tolist()])
        else:
            j = names.index(task.metric) if task.metric in names else -1
            out.append(res.values[:, j].tolist() if j >= 0 else [math.nan] * len(res.reps))
    return out


def evaluate(path: str, sets: Sequence[str], base: Scenario, rows: Sequence[tuple[str, ...]], outcome: Outcome,
             reps: int, seed: int, *, workers: int = 1, cluster: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> list[list[float]]:
    """Run every distinct row of overrides ``reps`` times on the same seeds; per row, per
    replication, the outcome's value (1.0/0.0 for an objective met, the metric's value or NaN).

    Each point's scenario is loaded (``load_scenario`` with the row's ``--set`` overrides) only
    as its task is handed out, at most a few tasks ahead of the workers, so memory stays flat
    however large the sample and the loading overlaps the runs. The results are put back by point,
    so they do not depend on the backend, the workers or the order tasks finish in."""
    if reps < 1:
        raise BatchError("--reps must be at least 1")
    if workers < 1:
        raise BatchError("--workers must be at least 1")
    distinct = list(dict.fromkeys(rows))
    where = {ov: k for k, ov in enumerate(distinct)}
    group = max(1, 8 // reps)  # points per task: a task of a few dozen ms keeps the pool's overhead small
    got: list[list[float]] = [[] for _ in distinct]
    backend: Backend | None = None

    def tasks() -> Iterator[tuple[int, int, PointsTask]]:
        for lo in range(0, len(distinct), group):
            scs = tuple(load_scenario(path, tuple(sets) + ov) for ov in distinct[lo:lo + group])
            yield lo, 0, PointsTask(scs, seed, reps, outcome.objective, outcome.metric)

    try:
        if cluster:
            backend = DaskCluster([base], cluster)
        elif workers > 1:
            backend = LocalPool([base], workers)
        else:
            backend = Serial([base])
        done, total = 0, len(distinct) * reps
        pool: Any = backend  # the executors' interface is untyped
        for lo, values in pool.unordered(run_points, tasks(), max(2, 3 * backend.workers)):
            got[lo:lo + len(values)] = values
            done += len(values) * reps
            if progress:
                progress(done, total)
    finally:
        if backend is not None:
            backend.close()
    return [got[where[ov]] for ov in rows]


def _point_outputs(values: list[list[float]], outcome: Outcome) -> np.ndarray:
    """P(met) or the metric's mean per point; a point where the metric never happened is an error."""
    ys = []
    never = 0
    for v in values:
        x = [a for a in v if not math.isnan(a)]
        if not x:
            never += 1
            ys.append(math.nan)
        else:
            ys.append(sum(x) / len(x))
    if never:
        raise ScenarioError([Problem(f"--metric {outcome.metric}", None, "",
                                     f"the metric never happened in any replication at {never} of {len(values)} "
                                     "sample points, so it has no value there to analyse; analyse an objective "
                                     "on it (--objective) or give more --reps")])
    return np.asarray(ys, dtype=float)


def plan_analysis(method: str, base: Scenario, outcome: Outcome, samples: int, reps: int, seed: int,
                  prune: bool = True, where: str = "") -> tuple[SamplePlan, np.ndarray, list[tuple[str, ...]]]:
    """The factors, the unit sample and its overrides of a Sobol or Morris analysis."""
    if method not in ("sobol", "morris"):
        raise ValueError(method)
    metric = outcome.check(base, where)
    kept, pruned = factors(base, metric, prune=prune)
    if not kept:
        raise ScenarioError([Problem(where, None, "", "no uncertain parameter, decision or measure can move "
                                     f"{outcome.describe(base)}: nothing to analyse")])
    if method == "sobol" and (samples < 2 or samples & (samples - 1)):
        raise ScenarioError([Problem("--samples", None, "", f"Sobol sampling needs a power of 2 (64, 128, 256, "
                                     f"...), got {samples}")])
    u = sample_unit(method, kept, samples, seed)
    rows = overrides(kept, u)
    plan = SamplePlan(method, samples, kept, pruned, len(rows), len(set(rows)), reps)
    return plan, u, rows


def analyse(method: str, scenario_path: str | Path, outcome: Outcome, samples: int = 256, reps: int = 1,
            seed: int = 0, sets: Iterable[str] = (), *, workers: int = 1, cluster: str | None = None,
            progress: Callable[[int, int], None] | None = None, prune: bool = True,
            on_plan: Callable[[SamplePlan], None] | None = None, conf_level: float = 0.95) -> GsaResult:
    """A Sobol (``method="sobol"``) or Morris (``"morris"``) analysis of ``outcome`` over the
    scenario's factors. ``samples``: N (Sobol: base samples, a power of 2; Morris: trajectories).
    ``on_plan(plan)`` is called before any run. Raises ScenarioError on bad input."""
    _salib()
    sets = tuple(sets)
    path = str(scenario_path)
    base = load_scenario(path, sets)
    plan, u, rows = plan_analysis(method, base, outcome, samples, reps, seed, prune, path)
    if on_plan:
        on_plan(plan)
    values = evaluate(path, sets, base, rows, outcome, reps, seed, workers=workers, cluster=cluster,
                      progress=progress)
    y = _point_outputs(values, outcome)
    notes: list[str] = []
    var = float(np.var(y))
    if var == 0:
        notes.append("the outcome was the same at every sample point: no parameter moves it over these ranges")
    fs = plan.factors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant output divides 0 by 0; said above
        params = _sobol(fs, y, seed, conf_level) if method == "sobol" else _morris(fs, u, y, seed, conf_level)
    return GsaResult(method, base.name, base.content_hash, path, list(sets), outcome, samples, reps, seed,
                     plan.runs, plan.points, params,
                     [{"name": f.path, "label": f.label} for f in plan.pruned],
                     _nan_none(np.mean(y)), _nan_none(var), conf_level, notes)


def _sobol(fs: Sequence[Factor], y: np.ndarray, seed: int, conf: float) -> list[dict[str, Any]]:
    from SALib.analyze import sobol as sobol_analyze

    if float(np.var(y)) == 0:
        res: dict[str, Any] = {k: np.zeros(len(fs)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    else:
        res = sobol_analyze.analyze(problem(fs), y, calc_second_order=False, num_resamples=RESAMPLES,
                                    conf_level=conf, seed=salib_seed(seed))
    rows = [{**f.to_dict(), "S1": _nan_none(res["S1"][k]), "S1_conf": _nan_none(res["S1_conf"][k]),
             "ST": _nan_none(res["ST"][k]), "ST_conf": _nan_none(res["ST_conf"][k])} for k, f in enumerate(fs)]
    rows.sort(key=lambda r: (-(r["ST"] or 0.0), r["name"]))
    return rows


def _morris(fs: Sequence[Factor], u: np.ndarray, y: np.ndarray, seed: int, conf: float) -> list[dict[str, Any]]:
    from SALib.analyze import morris as morris_analyze

    res = morris_analyze.analyze(problem(fs), u, y, num_resamples=RESAMPLES, conf_level=conf,
                                 num_levels=MORRIS_LEVELS, seed=salib_seed(seed))
    rows = [{**f.to_dict(), "mu": _nan_none(res["mu"][k]), "mu_star": _nan_none(res["mu_star"][k]),
             "mu_star_conf": _nan_none(res["mu_star_conf"][k]), "sigma": _nan_none(res["sigma"][k])}
            for k, f in enumerate(fs)]
    rows.sort(key=lambda r: (-(r["mu_star"] or 0.0), r["name"]))
    return rows


LIMITS = {
    "sobol": ("Saltelli sampling on a scrambled Sobol sequence, N x (D + 2) points, analysed with SALib; S1 is "
              "the share of the outcome's variance due to the parameter alone, ST the share including all its "
              "interactions; intervals are bootstrap. Each parameter is varied uniformly over its range (a "
              "decision's options and a measure's on/off equally often), so the indices describe those ranges, "
              "not the parameters' own distributions. With few samples an index can come out slightly below 0 "
              "or above 1; every point runs the same replication seeds."),
    "morris": ("N trajectories of D + 1 points on a 4-level grid (SALib). mu* is the mean absolute change in the "
               "outcome when the parameter moves across its range (bootstrap interval), sigma the spread of "
               "those changes: large sigma means a non-linear effect or interactions. Morris ranks parameters; "
               "it does not apportion variance."),
    "oat": ("One at a time: each parameter to its low and high end with the others at their distributions. "
            "A local view: it misses interactions and is not valid for a non-linear model."),
    "discover": ("A Latin hypercube sample of the parameters, each run one case; PRIM (Friedman and Fisher 1999, "
                 "as in Bryant and Lempert 2010) peels 5 % slices of the box to raise the share of cases of "
                 "interest inside it (density) at the cost of the share of all such cases it holds (coverage). "
                 "The box shown is the densest holding at least the minimum coverage; restrictions that do not "
                 "raise the density significantly (one-sided binomial test, p >= 0.05) are left out. A box "
                 "describes the sample: it is a finding to check with a sweep, not a proof."),
}


__all__ = ["LIMITS", "METHODS", "AnalysisUnavailable", "GsaResult", "Outcome", "SamplePlan", "analyse",
           "evaluate", "plan_analysis"]
