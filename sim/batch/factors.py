"""The factors of a global sensitivity analysis or a scenario discovery: which parts of a
scenario vary, over what range, and how a point of the unit hypercube becomes ``--set`` overrides.

Continuous factors are the scenario's uncertain parameters (:func:`sim.batch.sensitivity.uncertain_parameters`:
every non-degenerate distribution over its ``bounds()``, and a few scalar rates +/-20 %); each is
set to one value of its range at a sample point, uniformly over the range (the question asked is
"what if this parameter were this value", not "how is it distributed"). Categorical factors are
the decisions (which option the team takes: ``decisions.ID.default``) and the deconfliction
measures (``deconfliction.measures.ID.active``, on or off); a uniform ``u`` in [0, 1) picks
category ``floor(u * k)``, so every category has the same share of the sample. Factors with no
chain of conditions and effects to the metric (:mod:`sim.scenario.dependencies`) are pruned.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..scenario.dependencies import can_depend_on, parameter_prefixes
from ..scenario.model import Scenario
from .sensitivity import _num, uncertain_parameters

FIELD_WORDS = {
    "notice_to_move_h": "notice to move (h)", "transit_h": "transit (h)", "at_h": "time (H+)",
    "after_h": "delay (h)", "speed_kmh": "speed (km/h)", "opposition": "opposition",
    "p_incident": "P(incident per encounter)", "tension_sensitivity": "tension sensitivity",
    "incident_tension": "tension per incident",
}


@dataclass(frozen=True)
class Factor:
    """One dimension of the sample: ``path`` as ``--set`` takes it, a plain ``label``."""

    path: str
    label: str
    kind: str  # "continuous" or "categorical"
    source: str  # the distribution ("uniform", ...), "scalar", "decision" or "measure"
    low: float = 0.0
    high: float = 1.0
    categories: tuple[str, ...] = ()  # the values as --set takes them (categorical)
    category_labels: tuple[str, ...] = ()

    def index(self, u: float) -> int:
        """The category a unit value picks (categorical factors)."""
        return min(len(self.categories) - 1, max(0, math.floor(u * len(self.categories))))

    def value(self, u: float) -> float | str:
        """The factor's value at unit value ``u``: a number in [low, high], or a category."""
        if self.kind == "categorical":
            return self.categories[self.index(u)]
        return self.low + min(1.0, max(0.0, u)) * (self.high - self.low)

    def override(self, u: float) -> str:
        v = self.value(u)
        return f"{self.path}={v if isinstance(v, str) else _num(v)}"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.path, "label": self.label, "kind": self.kind, "source": self.source}
        if self.kind == "categorical":
            d["categories"] = list(self.categories)
        else:
            d["low"], d["high"] = float(_num(self.low)), float(_num(self.high))
        return d


def _field(name: str) -> str:
    return FIELD_WORDS.get(name, name.replace("_", " "))


def parameter_label(s: Scenario, path: str) -> str:
    """A scenario path in the scenario's own names: ``forces.vjtf.notice_to_move_h`` ->
    "VJTF notice to move (h)", ``injects.summit.at_h`` -> "inject “Emergency summit” time (H+)"."""
    parts = path.split(".")
    head, rest = parts[0], parts[1:]
    if head == "forces" and len(rest) >= 2 and rest[0] in s.forces:
        return f"{s.forces[rest[0]].name} {' '.join(_field(p) for p in rest[1:])}"
    if head == "injects" and len(rest) >= 2 and rest[0] in s.injects:
        return f"inject \u201c{s.injects[rest[0]].title}\u201d {' '.join(_field(p) for p in rest[1:])}"
    if head == "decisions" and len(rest) >= 2 and rest[0] in s.decisions:
        title = s.decisions[rest[0]].title
        if rest[1:] == ["default"]:
            return f"option taken at decision \u201c{title}\u201d"
        return f"decision \u201c{title}\u201d {' '.join(_field(p) for p in rest[1:])}"
    if head == "adversary" and len(rest) >= 3 and rest[0] == "axes" and s.adversary and rest[1] in s.adversary.axes:
        return f"{s.adversary.axes[rest[1]].name} {' '.join(_field(p) for p in rest[2:])}"
    d = s.deconfliction
    if head == "deconfliction" and d is not None:
        if len(rest) >= 2 and rest[0] == "measures" and rest[1] in d.measures:
            tail = "" if rest[2:] == ["active"] else " " + " ".join(_field(p) for p in rest[2:])
            return f"measure \u201c{d.measures[rest[1]].name}\u201d{tail}"
        if len(rest) == 2 and rest[0] == "encounter_rate":
            return f"{rest[1]} encounter rate"
        return " ".join(_field(p) for p in rest)
    return path


def factors(s: Scenario, metric: str | None, prune: bool = True,
            categorical: bool = True) -> tuple[list[Factor], list[Factor]]:
    """``(kept, pruned)``: the factors that can reach ``metric`` and those that cannot (with
    ``prune=False`` or ``metric=None`` every factor is kept)."""
    out: list[Factor] = []
    for path, lo, hi, kind in uncertain_parameters(s):
        out.append(Factor(path, parameter_label(s, path), "continuous", kind, lo, hi))
    if categorical:
        for did, dp in s.decisions.items():
            if len(dp.options) > 1:
                opts = tuple(dp.options)
                out.append(Factor(f"decisions.{did}.default", parameter_label(s, f"decisions.{did}.default"),
                                  "categorical", "decision", categories=opts,
                                  category_labels=tuple(o.label or k for k, o in dp.options.items())))
        if s.deconfliction is not None:
            for mid in s.deconfliction.measures:
                path = f"deconfliction.measures.{mid}.active"
                out.append(Factor(path, parameter_label(s, path), "categorical", "measure",
                                  categories=("true", "false"), category_labels=("on", "off")))
    prefixes = parameter_prefixes(s, metric) if (prune and metric is not None) else None
    kept = [f for f in out if can_depend_on(prefixes, f.path)]
    return kept, [f for f in out if f not in kept]


__all__ = ["Factor", "factors", "parameter_label"]
