"""Axes on places, and the forces that meet them: what the engine's adversary reads from a scenario.

An axis with ``start`` and ``objective_place`` (and ``waypoints`` between) runs along legs
between those places; each leg's length is the road distance between its places
(:func:`sim.scenario.places.distance_km`: great circle times the road route factor, or a given
distance), unless the axis gives ``distance_km`` (then the legs share it in proportion).

A leg is defended by the forces of the other sides, in place, whose ``destination_place`` is
the place the leg leads to and that have a combat value (``combat_value``, or ``unit_type``
from the force-ratio table times ``units``). The attacker's combat value is the axis's
committed troops divided by ``troops_per_unit``, times its ``unit_type``'s combat value. The
force-ratio table (the scenario's ``force_ratios:`` or the shipped default) turns their ratio
into a share of the axis's unopposed rate.
"""
from __future__ import annotations

from ..memo import per_object
from .effects import AccelerateCommitmentEffect, PauseCommitmentEffect, ReinforceAxisEffect, ResumeCommitmentEffect
from .model import Axis, Force, Scenario
from .places import distance_km
from .suggest import did_you_mean
from .tables import ForceRatioTable, load_force_ratios

Path = tuple[str | int, ...]


def force_ratio_table(s: Scenario) -> ForceRatioTable:
    """The table the scenario's axes meet forces through: its own ``force_ratios:`` or the default."""
    return s.force_ratios if s.force_ratios is not None else load_force_ratios()


def force_combat_value(s: Scenario, f: Force) -> float:
    """A force's combat value in battalion equivalents (0 if it gives none)."""
    if f.combat_value is not None:
        return f.combat_value
    if f.unit_type is None:
        return 0.0
    return force_ratio_table(s).combat_values[f.unit_type].value * f.units


def value_per_troop(s: Scenario, a: Axis) -> float:
    """An axis's combat value per committed soldier (0 if it names no unit type)."""
    if a.unit_type is None or a.troops_per_unit is None:
        return 0.0
    return force_ratio_table(s).combat_values[a.unit_type].value / a.troops_per_unit


@per_object()
def leg_km(s: Scenario) -> dict[str, list[float]]:
    """Each routed axis's legs in km between its places (before distance_km or distance_factor)."""
    out: dict[str, list[float]] = {}
    if s.adversary:
        for aid, a in s.adversary.axes.items():
            r = a.route
            out[aid] = [distance_km(s, p, q, "road") for p, q in zip(r, r[1:], strict=False)]
    return out


@per_object()
def leg_defenders(s: Scenario) -> dict[str, list[tuple[tuple[str, float], ...]]]:
    """Each routed axis's legs: the (force id, combat value) of every force that can defend the
    place the leg leads to (worked out once per scenario)."""
    out: dict[str, list[tuple[tuple[str, float], ...]]] = {}
    if s.adversary:
        for aid, a in s.adversary.axes.items():
            out[aid] = [tuple((fid, force_combat_value(s, s.forces[fid])) for fid in defenders(s, p))
                        for p in a.route[1:]]
    return out


def defenders(s: Scenario, place: str) -> list[str]:
    """Ids of the forces (not the adversary's) with a combat value whose destination is ``place``."""
    red = s.adversary.side if s.adversary else ""
    return [fid for fid, f in s.forces.items()
            if f.side != red and f.destination_place == place and force_combat_value(s, f) > 0]


def check_axes(s: Scenario) -> list[tuple[Path, str]]:
    """Problems as (path, message): unknown unit types, an axis meeting forces with no unit type,
    commitment effects naming an axis that has no ramp."""
    out: list[tuple[Path, str]] = []
    types = force_ratio_table(s).combat_values

    def known(ut: str | None, path: Path) -> None:
        if ut is not None and ut not in types:
            out.append((path, f"unknown unit type {ut!r}{did_you_mean(ut, types)}; the force-ratio table has "
                              f"{', '.join(types)}"))

    for fid, f in s.forces.items():
        known(f.unit_type, ("forces", fid, "unit_type"))
    if s.adversary is None:
        return out
    for aid, a in s.adversary.axes.items():
        known(a.unit_type, ("adversary", "axes", aid, "unit_type"))
        if a.unit_type is None and any(fid for p in a.route[1:] if p in s.places for fid in defenders(s, p)):
            out.append((("adversary", "axes", aid), "forces stand on this axis's route: give unit_type and "
                        "troops_per_unit so that the force-ratio table can weigh them"))
    from .references import effects
    for path, e in effects(s):
        if isinstance(e, PauseCommitmentEffect | ResumeCommitmentEffect | AccelerateCommitmentEffect
                      | ReinforceAxisEffect):
            aid = e.axis
            ramp = s.adversary.axes.get(aid)
            if ramp is not None and ramp.commitment is None:
                out.append(((*path, e.kind), f"axis {aid!r} commits all its troops at once; give it a "
                                             "commitment: ramp to pause, accelerate or reinforce it"))
    return out
