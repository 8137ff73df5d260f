"""Scenario discovery: under which combinations of parameters does an objective fail (or a
metric pass a threshold)?

The factors (:mod:`sim.batch.factors`) are sampled by a Latin hypercube
(``scipy.stats.qmc.LatinHypercube``, seeded); every sample point runs the same ``reps``
replication seeds (common random numbers) on the batch executors (:func:`sim.batch.gsa.evaluate`); each run
is one case, of interest when the objective is missed (or the metric is above / below the
threshold). PRIM (:mod:`sim.batch.prim`) peels a box where those cases concentrate; the box
shown is the densest on the peeling trajectory that still holds ``min_coverage`` of them, with
the restrictions that are not significant (one-sided binomial test, p >= 0.05) removed.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from ..scenario.errors import Problem, ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from . import prim
from .factors import Factor, factors
from .gsa import LIMITS, Outcome, SamplePlan, evaluate, overrides
from .sensitivity import _num

ALPHA = 0.05
MIN_MASS = 0.05
MIN_COVERAGE = 0.5
LEVEL = 0.05


@dataclass
class Discovery:
    scenario: str
    scenario_hash: str
    path: str
    sets: list[str]
    outcome: Outcome
    samples: int
    reps: int
    seed: int
    runs: int
    cases: int  # runs analysed (runs without a value of the metric are left out)
    interest: int  # cases of interest
    left_out: int
    factors: list[dict[str, Any]]
    pruned: list[dict[str, Any]]
    trajectory: list[dict[str, Any]]
    chosen: int
    box: dict[str, Any]
    sentence: str
    x: list[list[float]] = field(default_factory=list, repr=False)
    y: list[int] = field(default_factory=list, repr=False)

    def to_dict(self, cases: bool = False) -> dict[str, Any]:
        d = {"method": "prim", "scenario": self.scenario, "scenario_hash": self.scenario_hash, "path": self.path,
             "sets": list(self.sets), **self.outcome.to_dict(), "samples": self.samples, "reps": self.reps,
             "seed": self.seed, "runs": self.runs, "cases": self.cases, "of_interest": self.interest,
             "left_out": self.left_out, "base_rate": round(self.interest / self.cases, 6) if self.cases else None,
             "parameters": self.factors, "pruned": self.pruned, "boxes": self.trajectory, "chosen": self.chosen,
             "box": self.box, "sentence": self.sentence,
             "settings": {"alpha": ALPHA, "min_mass": MIN_MASS, "min_coverage": MIN_COVERAGE, "level": LEVEL},
             "limits": LIMITS["discover"]}
        if cases:
            d["x"], d["y"] = self.x, self.y
        return d


def _restrictions(box: prim.Box, fs: list[Factor]) -> list[dict[str, Any]]:
    out = []
    for d in box.restricted:
        f, lim = fs[d], box.limits[d]
        r: dict[str, Any] = {"parameter": f.path, "label": f.label, "kind": f.kind,
                             "p_value": round(box.p_values.get(d, 1.0), 6)}
        if f.kind == "categorical":
            assert lim.allowed is not None
            r["values"] = [f.categories[i] for i in sorted(lim.allowed)]
            r["value_labels"] = [f.category_labels[i] for i in sorted(lim.allowed)]
            r["low"] = r["high"] = None
        else:
            r["low"] = float(_num(lim.low)) if math.isfinite(lim.low) else float(_num(f.low))
            r["high"] = float(_num(lim.high)) if math.isfinite(lim.high) else float(_num(f.high))
            r["low_open"], r["high_open"] = not math.isfinite(lim.low), not math.isfinite(lim.high)
        r["text"] = restriction_text(r)
        out.append(r)
    out.sort(key=lambda r: (r["p_value"], r["parameter"]))
    return out


def _box_dict(box: prim.Box, fs: list[Factor]) -> dict[str, Any]:
    return {**prim.to_dict(box), "restrictions": _restrictions(box, fs)}


def restriction_text(r: dict[str, Any]) -> str:
    """One restriction in words: "VJTF notice to move (h) exceeds 66"."""
    if r["kind"] == "categorical":
        return f"{r['label']} is {' or '.join(r['value_labels'])}"
    if r["low_open"]:
        return f"{r['label']} is below {r['high']:.3g}"
    if r["high_open"]:
        return f"{r['label']} exceeds {r['low']:.3g}"
    return f"{r['label']} is between {r['low']:.3g} and {r['high']:.3g}"


def outcome_text(s: Scenario, o: Outcome) -> tuple[str, str]:
    """(what happens to a case of interest, what they are called): ("the objective “…” is missed", "misses")."""
    if o.objective is not None:
        return f"the objective \u201c{s.objectives[o.objective].title}\u201d is missed", "misses"
    if o.above is not None:
        return f"{o.metric} is above {o.above:g}", f"runs with {o.metric} above {o.above:g}"
    return f"{o.metric} is below {o.below:g}", f"runs with {o.metric} below {o.below:g}"


def sentence(s: Scenario, o: Outcome, box: dict[str, Any], cases: int, interest: int) -> str:
    what, called = outcome_text(s, o)
    if not interest:
        return f"Not one of the {cases} runs is a case of interest ({what}): there is nothing to discover."
    base = interest / cases
    if not box["restrictions"]:
        return (f"No region of the parameters concentrates the {called}: {what} in {base:.0%} of all runs, "
                "and no restriction raises that significantly.")
    when = " and ".join(r["text"] for r in box["restrictions"])
    return (f"When {when}, {what} in {box['density']:.0%} of runs ({box['k']} of {box['n']}); this region holds "
            f"{box['coverage']:.0%} of all {called} ({box['k']} of {interest}); over the whole sample, "
            f"{base:.0%} of runs.")


def discover(scenario_path: str | Path, outcome: Outcome, samples: int = 500, reps: int = 1, seed: int = 0,
             sets: Iterable[str] = (), *, workers: int = 1, cluster: str | None = None,
             progress: Callable[[int, int], None] | None = None, prune: bool = True,
             on_plan: Callable[[SamplePlan], None] | None = None, min_coverage: float = MIN_COVERAGE) -> Discovery:
    """Latin hypercube sample, run, PRIM. Raises ScenarioError on bad input."""
    sets = tuple(sets)
    path = str(scenario_path)
    base = load_scenario(path, sets)
    metric = outcome.check(base, path)
    if outcome.metric is not None and (outcome.above is None) == (outcome.below is None):
        raise ScenarioError([Problem("--above/--below", None, "", "with --metric give exactly one of --above X "
                                     "or --below X (which runs are of interest)")])
    if samples < 2:
        raise ScenarioError([Problem("--samples", None, "", f"give at least 2 sample points, got {samples}")])
    kept, pruned = factors(base, metric, prune=prune)
    if not kept:
        raise ScenarioError([Problem(path, None, "", "no uncertain parameter, decision or measure can reach "
                                     f"{metric}: nothing to discover")])
    u = qmc.LatinHypercube(d=len(kept), rng=np.random.default_rng(seed)).random(samples)
    rows = overrides(kept, u)
    plan = SamplePlan("discover", samples, kept, pruned, len(rows), len(set(rows)), reps)
    if on_plan:
        on_plan(plan)
    values = evaluate(path, sets, base, rows, outcome, reps, seed, workers=workers, cluster=cluster,
                      progress=progress)
    categorical = [f.kind == "categorical" for f in kept]
    point_x = [[float(f.index(float(a))) if f.kind == "categorical" else float(f.value(float(a)))
                for f, a in zip(kept, row, strict=True)] for row in u]
    xs: list[list[float]] = []
    ys: list[int] = []
    left_out = 0
    for px, vals in zip(point_x, values, strict=True):
        for v in vals:
            if math.isnan(v):
                left_out += 1
                continue
            if outcome.objective is not None:
                hit = v == 0.0
            elif outcome.above is not None:
                hit = v > outcome.above
            else:
                hit = v < float(outcome.below)  # type: ignore[arg-type]
            xs.append(px)
            ys.append(int(hit))
    if not xs:
        raise ScenarioError([Problem(f"--metric {outcome.metric}", None, "", "the metric never happened in any run: "
                                     "nothing to discover (analyse an objective on it with --objective)")])
    x, y = np.asarray(xs), np.asarray(ys)
    full = prim.full_limits(x, categorical)
    trajectory = prim.peel(x, y, categorical, ALPHA, MIN_MASS) if y.any() else [prim.box_of(x, y, full, full)]
    chosen = prim.choose(trajectory, min_coverage)
    final, dropped = prim.drop_insignificant(x, y, trajectory[chosen], categorical, LEVEL)
    box = _box_dict(final, kept)
    box["dropped"] = [{"parameter": kept[d].path, "label": kept[d].label,
                       "p_value": round(trajectory[chosen].p_values[d], 6)} for d in dropped]
    box["from_box"] = chosen
    return Discovery(base.name, base.content_hash, path, list(sets), outcome, samples, reps, seed, plan.runs,
                     len(ys), int(y.sum()), left_out, [f.to_dict() for f in kept],
                     [{"name": f.path, "label": f.label} for f in pruned],
                     [_box_dict(b, kept) for b in trajectory], chosen, box,
                     sentence(base, outcome, box, len(ys), int(y.sum())), xs, ys)


__all__ = ["Discovery", "discover", "restriction_text", "sentence"]
