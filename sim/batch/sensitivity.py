"""One-at-a-time sensitivity of an objective to the scenario's uncertain parameters.

Every distribution in the scenario (walked from the model: force readiness times,
axis speeds, inject and decision timings, effect sizes, ...) is set in turn to its low
and its high end (``Dist.bounds()``: the range for uniform and triangular, the
5th/95th percentiles for lognormal and exponential, mean +/- 2 sd within the
truncation for truncnormal) as a fixed value, the way ``--set`` does. A few scalar
rates are moved +/-20 % (``deconfliction.p_incident``, ``deconfliction.encounter_rate.*``,
``deconfliction.tension_sensitivity``), and a caller may give ranges of its own. Each
end runs the same replication seeds (common random numbers), so the swing
``|P(objective | high) - P(objective | low)|`` is not blurred by sampling noise
between ends. Parameters are ranked by swing: the data of a tornado chart.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..scenario.dependencies import can_depend_on, parameter_prefixes
from ..scenario.distributions import Exponential, LogNormal, Triangular, TruncNormal, Uniform
from ..scenario.errors import Problem, ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from .runner import Plan, run_batch
from .sweep import Point

UNCERTAIN = (Uniform, Triangular, TruncNormal, LogNormal, Exponential)
SCALAR_SHARE = 0.2


def _walk(node: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, UNCERTAIN):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), path + (name,))
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, path + (str(k),))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, path + (str(i),))


def _num(x: float) -> str:
    return f"{x:.10g}"


def uncertain_parameters(s: Scenario) -> list[tuple[str, float, float, str]]:
    """(path, low, high, kind) of every non-degenerate distribution and the scalar rates."""
    out = []
    for path, dist in _walk(s, ()):
        lo, hi = dist.bounds()
        if hi > lo:
            out.append((".".join(path), float(lo), float(hi), dist.dist))
    d = s.deconfliction
    if d is not None:
        scalars = [("deconfliction.p_incident", d.p_incident, 1.0),
                   ("deconfliction.tension_sensitivity", d.tension_sensitivity, None)]
        scalars += [(f"deconfliction.encounter_rate.{k}", v, None) for k, v in sorted(d.encounter_rate.items())]
        for name, v, cap in scalars:
            if v is not None and v > 0:  # p_incident is None on a severity ladder that gives no override
                hi = v * (1 + SCALAR_SHARE)
                out.append((name, v * (1 - SCALAR_SHARE), min(hi, cap) if cap is not None else hi, "scalar"))
    return out


def parse_range(spec: str) -> tuple[str, float, float]:
    """``path=low:high`` (a range given by the user)."""
    path, _, rhs = spec.partition("=")
    parts = rhs.split(":")
    try:
        if not path.strip() or len(parts) != 2:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ScenarioError([Problem(f"--range {spec}", None, path.strip(), "expected path=low:high")]) from None
    if hi < lo:
        raise ScenarioError([Problem(f"--range {spec}", None, path.strip(), "high is below low")])
    return path.strip(), lo, hi


def sensitivity(scenario_path: str | Path, objective: str, reps: int = 200, seed: int = 0,
                sets: Iterable[str] = (), *, ranges: Iterable[str] = (), workers: int = 1,
                cluster: str | None = None, progress: Callable[[int, int], None] | None = None,
                prune: bool = True) -> list[dict]:
    """Rank uncertain parameters by their swing in P(``objective``), largest first.

    Returns ``[{"param", "kind", "low", "high", "p_low", "p_high", "p_base", "swing", "run"}, ...]``.
    ``ranges``: extra or replacing ``path=low:high`` ranges. ``prune``: parameters with no causal
    path to the objective's metric (:func:`sim.scenario.dependencies.parameter_prefixes`) are not
    run; their rows say ``"run": False`` and have P = the base P at both ends (under common random
    numbers their runs would be the base runs, replication for replication). Ranges given in
    ``ranges`` are always run. Raises ScenarioError on a bad scenario, objective or range (one
    Problem per fault).
    """
    sets = tuple(sets)
    base = load_scenario(scenario_path, sets)
    if objective not in base.objectives:
        raise ScenarioError([Problem(str(scenario_path), None, "objectives",
                                     f"no objective {objective!r}; objectives: {', '.join(base.objectives)}")])
    params = {p: (lo, hi, kind) for p, lo, hi, kind in uncertain_parameters(base)}
    for spec in ranges:
        p, lo, hi = parse_range(spec)
        params[p] = (lo, hi, "given")
    prefixes = parameter_prefixes(base, base.objectives[objective].metric) if prune else None
    to_run = [p for p, (_, _, kind) in params.items() if kind == "given" or can_depend_on(prefixes, p)]
    points = [Point({}, ())]
    scenarios = [base]
    problems: list[Problem] = []
    for p in to_run:
        lo, hi, kind = params[p]
        for end, v in (("low", lo), ("high", hi)):
            ov = f"{p}={_num(v)}"
            try:
                scenarios.append(load_scenario(scenario_path, sets + (ov,)))
            except ScenarioError as exc:
                problems += exc.problems
                continue
            points.append(Point({"param": p, "end": end, "value": v}, (ov,)))
    if problems:
        raise ScenarioError(problems)
    plan = Plan(base, str(scenario_path), sets, [], points, scenarios)
    summary = run_batch(plan, reps, seed, workers=workers, cluster=cluster, progress=progress)
    p_of = {}
    for pt in summary.points:
        key = (pt["point"].get("param"), pt["point"].get("end"))
        p_of[key] = pt["objectives"][objective]["p"]
    p_base = p_of[(None, None)]
    rows = []
    for p, (lo, hi, kind) in params.items():
        ran = (p, "low") in p_of
        pl, ph = (p_of[(p, "low")], p_of[(p, "high")]) if ran else (p_base, p_base)
        rows.append({"param": p, "kind": kind, "low": float(_num(lo)), "high": float(_num(hi)), "p_low": pl,
                     "p_high": ph, "p_base": p_base, "swing": round(abs(ph - pl), 6), "run": ran})
    rows.sort(key=lambda r: (-r["swing"], r["param"]))
    return rows


__all__ = ["parse_range", "sensitivity", "uncertain_parameters"]
