"""The names of the metrics a scenario's runs measure.

The engine measures these on every run; objectives name one of them. Derived
from the scenario alone, so the loader can reject an objective whose metric
no run would ever measure.
"""
from __future__ import annotations

from .model import Scenario

FORCE_TIMES = ("alerted_h", "activated_h", "ready_h", "deploying_h", "in_place_h")
FORCE_DERIVED = ("ready_after_activation_h", "in_place_after_activation_h")
GLOBAL = ("encounters", "incidents", "incident_share", "peak_tension", "final_tension",
          "peak_rung", "final_rung", "committed_troops")
CHECKPOINT = ("tension", "rung", "encounters", "incidents", "committed_troops")


def event_names(s: Scenario) -> set[str]:
    names = set(s.injects) | {f"decision.{d}" for d in s.decisions}
    effects = [e for i in s.injects.values() for e in i.effects]
    effects += [e for d in s.decisions.values() for o in d.options.values() for e in o.effects]
    names |= {name for e in effects for name in e.signals()}
    if s.adversary:
        for a in s.adversary.axes:
            names |= {f"axis.{a}.committed", f"axis.{a}.arrived"}
    return names


def units_on_station(s: Scenario) -> set[tuple[str, str]]:
    out = set()
    for f in s.forces.values():
        out.add((f.side, f.unit))
        out |= {(f.side, k) for k in f.includes}
    return out


def metric_names(s: Scenario) -> list[str]:
    names = list(GLOBAL)
    for fid in s.forces:
        names += [f"force.{fid}.{m}" for m in FORCE_TIMES + FORCE_DERIVED]
    names += [f"event.{e}.h" for e in sorted(event_names(s))]
    if s.adversary:
        for a in s.adversary.axes:
            names += [f"axis.{a}.start_h", f"axis.{a}.arrival_h"]
    for c in s.checkpoints:
        names += [f"checkpoint.{c}.{m}" for m in CHECKPOINT]
        names += [f"checkpoint.{c}.force.{f}.stage" for f in s.forces]
        names += [f"checkpoint.{c}.on_station.{side}.{u}" for side, u in sorted(units_on_station(s))]
    return names
