"""The metrics of forces that move by echelons, read from their echelons' states at the end of a run:
each echelon's hour in place, the first echelon's, the hour at least a share of the force's strength
was in place (counted by echelon: a step function of time), and the strength in place at each
checkpoint (from the checkpoint's snapshot)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..scenario.metrics import Family, MetricSpec
from .trace import r6
from .world import World

SHARE_TOL = 1e-9  # a share reached up to rounding


@dataclass
class EchelonMetricPlan:
    echelon: list[tuple[str, str, str]] = field(default_factory=list)      # (name, force, echelon)
    first: list[tuple[str, str]] = field(default_factory=list)              # (name, force)
    share: list[tuple[str, str, float]] = field(default_factory=list)       # (name, force, share)
    checkpoint: list[tuple[str, str, str]] = field(default_factory=list)    # (name, checkpoint, force)

    def __bool__(self) -> bool:
        return bool(self.echelon or self.first or self.share or self.checkpoint)


def _id(v: str | None) -> str:
    assert v is not None  # the registry sets the subject fields of each family
    return v


def echelon_plan(by: dict[Family, list[MetricSpec]]) -> EchelonMetricPlan:
    """Take the echelon families out of ``by`` (the registry's specs by family) into a plan."""
    p = EchelonMetricPlan()
    p.echelon = [(m.name, _id(m.force), _id(m.echelon)) for m in by.pop(Family.FORCE_ECHELON_IN_PLACE, [])]
    p.first = [(m.name, _id(m.force)) for m in by.pop(Family.FORCE_FIRST_IN_PLACE, [])]
    p.share = [(m.name, _id(m.force), m.share or 0.0) for m in by.pop(Family.FORCE_SHARE_IN_PLACE, [])]
    p.checkpoint = [(m.name, _id(m.checkpoint), _id(m.force)) for m in by.pop(Family.CHECKPOINT_STRENGTH, [])]
    return p


def share_in_place_h(w: World, fid: str, share: float) -> float | None:
    """The first hour at which at least ``share`` of force ``fid``'s strength was in place."""
    fs = w.forces[fid]
    total = fs.spec.strength
    arrivals = sorted((es.times["in_place"], es.plan.strength) for es in fs.echelons.values()
                      if "in_place" in es.times)
    have = 0.0
    for t, strength in arrivals:
        have += strength
        if have >= share * total * (1 - SHARE_TOL):
            return t
    return None


def measure_echelons(w: World, plan: EchelonMetricPlan, m: dict[str, float | None]) -> None:
    forces = w.forces
    for name, fid, eid in plan.echelon:
        v = forces[fid].echelons[eid].times.get("in_place")
        if v is not None:
            m[name] = r6(v)
    for name, fid in plan.first:
        times = [t for es in forces[fid].echelons.values() if (t := es.times.get("in_place")) is not None]
        if times:
            m[name] = r6(min(times))
    for name, fid, share in plan.share:
        v = share_in_place_h(w, fid, share)
        if v is not None:
            m[name] = r6(v)
    for name, cid, fid in plan.checkpoint:
        snap = w.checkpoints.get(cid)
        if snap is not None:
            m[name] = snap["strength_in_place"][fid]
