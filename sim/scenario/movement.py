"""Echelons, movement and lift: how a force gets from its home to where it is needed, as data.

* A force may list ``echelons:`` (advance party, lead elements, main body ...), each with a
  ``share`` of the force's strength or a ``strength``, a notice to move of its own (hours after
  the force's activation; default the force's ``notice_to_move_h``) or a ``ready_when``
  condition, and optionally its own ``movement``. The echelons account for the whole force.
* A ``movement:`` has a mode (air, sea, rail, road), origin and destination places (default the
  force's ``origin_place`` and ``destination_place``), a distance (given, or from the places:
  :func:`sim.scenario.places.distance_km`), a speed or a time, staging time at the origin,
  reception time at the destination, and optionally a lift capacity (``lift:``, troops or
  tonnes a day, or sorties a day times a load per sortie) or a shared ``pool:``.
* ``lift_pools:`` (scenario level) are lift capacities several forces share; competing demands
  are served one at a time at the pool's full capacity, the waiting demand highest in the pool's
  ``order`` first (``force`` or ``force.echelon`` ids; the unlisted after the listed, first come
  first served).

A force with neither ``echelons`` nor ``movement`` moves as one block (notice to move, then
``transit_h``), exactly as before these fields existed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..memo import per_object
from .conditions import Condition
from .distributions import Dist, Fixed
from .places import Mode, distance_km

if TYPE_CHECKING:
    from .model import Force, Scenario

Path = tuple[str | int, ...]
SHARE_TOL = 1e-6  # echelon shares must add up to the whole force within this


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Lift(_M):
    """A lift capacity: troops or tonnes a day, or sorties a day times the load of a sortie."""

    troops_per_day: float | None = Field(None, gt=0, le=1e7)
    tonnes_per_day: float | None = Field(None, gt=0, le=1e7)
    sorties_per_day: float | None = Field(None, gt=0, le=1e5)
    troops_per_sortie: float | None = Field(None, gt=0, le=1e5)
    tonnes_per_sortie: float | None = Field(None, gt=0, le=1e6)
    facts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_capacity(self) -> Self:
        per_sortie = [x for x in (self.troops_per_sortie, self.tonnes_per_sortie) if x is not None]
        if self.sorties_per_day is not None:
            if len(per_sortie) != 1 or self.troops_per_day is not None or self.tonnes_per_day is not None:
                raise ValueError("with sorties_per_day give exactly one of troops_per_sortie, tonnes_per_sortie "
                                 "(and no troops_per_day or tonnes_per_day)")
        elif per_sortie:
            raise ValueError("a load per sortie needs sorties_per_day")
        elif (self.troops_per_day is None) == (self.tonnes_per_day is None):
            raise ValueError("give the capacity: troops_per_day, tonnes_per_day, or sorties_per_day with a load "
                             "per sortie")
        return self

    @property
    def unit(self) -> Literal["troops", "tonnes"]:
        return "troops" if self.troops_per_day is not None or self.troops_per_sortie is not None else "tonnes"

    @property
    def per_hour(self) -> float:
        """The capacity in its unit (troops or tonnes) per hour."""
        if self.sorties_per_day is not None:
            load = self.troops_per_sortie if self.troops_per_sortie is not None else self.tonnes_per_sortie
            assert load is not None  # the validator demands one
            return self.sorties_per_day * load / 24.0
        day = self.troops_per_day if self.troops_per_day is not None else self.tonnes_per_day
        assert day is not None
        return day / 24.0


class Movement(_M):
    """How an echelon (or a whole force) moves: by which mode, from where to where, how fast."""

    mode: Mode
    origin: str | None = Field(None, description="place id of departure (default: the force's origin_place)")
    destination: str | None = Field(None, description="place id of arrival (default: the force's "
                                    "destination_place)")
    distance_km: float | None = Field(None, gt=0, le=40000, description="default: from the places")
    speed_kmh: Dist | None = Field(None, description="average speed over the distance")
    time_h: Dist | None = Field(None, description="movement time (instead of a speed)")
    staging_h: Dist = Field(default_factory=lambda: Fixed(value=0), description="at the origin, before departure")
    reception_h: Dist = Field(default_factory=lambda: Fixed(value=0),
                              description="at the destination, from arrival to in place")
    lift: Lift | None = Field(None, description="a lift capacity of its own")
    pool: str | None = Field(None, description="a lift pool (lift_pools:) shared with other forces")
    tonnes_per_troop: float | None = Field(None, gt=0, le=1e3, description="load per troop, for lift in tonnes")
    facts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.speed_kmh is None) == (self.time_h is None):
            raise ValueError("give exactly one of speed_kmh, time_h")
        if self.lift is not None and self.pool is not None:
            raise ValueError("give lift (its own capacity) or pool (a shared one), not both")
        return self


class Echelon(_M):
    """One echelon of a force: part of its strength, ready on its own notice, moving on its own."""

    name: str = Field(min_length=1)
    share: float | None = Field(None, gt=0, le=1, description="share of the force's strength")
    strength: float | None = Field(None, gt=0, le=1e8, description="strength, in the force's unit")
    notice_to_move_h: Dist | None = Field(None, description="hours from the force's activation to ready "
                                          "(default: the force's notice_to_move_h)")
    ready_when: Condition | None = Field(None, description="ready once the force is activated and this holds")
    movement: Movement | None = Field(None, description="default: the force's movement")
    description: str = ""
    facts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.share is None) == (self.strength is None):
            raise ValueError("give exactly one of share, strength")
        if self.notice_to_move_h is not None and self.ready_when is not None:
            raise ValueError("give notice_to_move_h or ready_when, not both")
        return self


class LiftPool(Lift):
    """A lift capacity shared by forces; competing demands are served in ``order``."""

    name: str = Field(min_length=1)
    mode: Mode = "air"
    order: list[str] = Field(default_factory=list, description="force or force.echelon ids, first served first")
    description: str = ""


# --- the plan of a force's echelons (derived from the scenario alone) -------------------------

@dataclass(frozen=True)
class EchelonPlan:
    """One echelon as the engine runs it; a force with movement but no echelons has one, ``main``."""

    id: str
    name: str
    strength: float
    index: int
    notice_path: str | None         # the --set path its notice is drawn at (None: ready_when)
    ready_when: Condition | None
    movement: Movement | None
    movement_path: str | None       # the --set path of its movement (shared by echelons using the force's)
    origin: str | None
    destination: str | None
    facts: tuple[str, ...]


def has_echelons(f: Force) -> bool:
    """Whether ``f`` moves by echelons (it lists echelons or a movement)."""
    return bool(f.echelons) or f.movement is not None


def _strength(f: Force, e: Echelon) -> float:
    return e.strength if e.strength is not None else (e.share or 0.0) * f.strength


def force_echelons(fid: str, f: Force) -> tuple[EchelonPlan, ...]:
    """The echelons of force ``fid`` in the order listed (worked out once per force object)."""
    return _plans(fid, f)


_plan_cache: dict[tuple[int, str], tuple[Force, tuple[EchelonPlan, ...]]] = {}


def _plans(fid: str, f: Force) -> tuple[EchelonPlan, ...]:
    hit = _plan_cache.get((id(f), fid))
    if hit is not None and hit[0] is f:
        return hit[1]
    if len(_plan_cache) > 4096:
        _plan_cache.clear()
    out: list[EchelonPlan] = []
    if has_echelons(f):
        items: Mapping[str, Echelon] = f.echelons or {"main": Echelon(name=f.name, share=1.0)}
        for i, (eid, e) in enumerate(items.items()):
            mv, mpath = (e.movement, f"forces.{fid}.echelons.{eid}.movement") if e.movement is not None \
                else (f.movement, f"forces.{fid}.movement" if f.movement is not None else None)
            notice = None if e.ready_when is not None else (
                f"forces.{fid}.echelons.{eid}.notice_to_move_h" if e.notice_to_move_h is not None
                else f"forces.{fid}.notice_to_move_h")
            origin = (mv.origin if mv is not None and mv.origin else None) or f.origin_place
            dest = (mv.destination if mv is not None and mv.destination else None) or f.destination_place
            out.append(EchelonPlan(eid, e.name, _strength(f, e), i, notice, e.ready_when, mv, mpath, origin, dest,
                                   tuple(e.facts)))
    plans = tuple(out)
    _plan_cache[(id(f), fid)] = (f, plans)
    return plans


def movement_distance(s: Scenario, plan: EchelonPlan) -> float | None:
    """The distance an echelon moves (km): given, or from its places; None if neither is known
    (worked out once per scenario object and echelon)."""
    key = (plan.movement_path, plan.origin, plan.destination)
    known = _distances(s)
    if key not in known:
        known[key] = _distance(s, plan)
    return known[key]


@per_object()
def _distances(s: Scenario) -> dict[tuple[str | None, str | None, str | None], float | None]:
    return {}


def _distance(s: Scenario, plan: EchelonPlan) -> float | None:
    mv = plan.movement
    if mv is None:
        return None
    if mv.distance_km is not None:
        return mv.distance_km
    if plan.origin is None or plan.destination is None:
        return None
    return distance_km(s, plan.origin, plan.destination, mv.mode)


# --- checks (located by the loader) ------------------------------------------------------------

def check_movement(s: Scenario) -> list[tuple[Path, str]]:
    """Echelons add up to their force, named pools and places exist, movements have a distance."""
    out: list[tuple[Path, str]] = []
    pools = s.lift_pools
    for fid, f in s.forces.items():
        if f.echelons:
            total = sum(_strength(f, e) for e in f.echelons.values())
            if abs(total - f.strength) > SHARE_TOL * max(f.strength, 1.0):
                share = total / f.strength if f.strength else float("inf")
                out.append((("forces", fid, "echelons"),
                            f"the echelons add up to {total:,.6g} {f.unit} ({share:.6g} of the force's "
                            f"{f.strength:,.6g}); they must add up to the whole force (shares summing to 1)"))
        moves: list[tuple[Path, Movement]] = []
        if f.movement is not None:
            moves.append((("forces", fid, "movement"), f.movement))
        for eid, e in f.echelons.items():
            if e.movement is not None:
                moves.append((("forces", fid, "echelons", eid, "movement"), e.movement))
        for path, mv in moves:
            if mv.pool is not None and mv.pool not in pools:
                known = f"; known pools: {', '.join(sorted(pools))}" if pools else "; the scenario has no lift_pools:"
                out.append(((*path, "pool"), f"unknown lift pool {mv.pool!r}{known}"))
            lift = mv.lift or (pools[mv.pool] if mv.pool in pools else None)
            if lift is not None and lift.unit == "tonnes" and mv.tonnes_per_troop is None:
                out.append(((*path, "tonnes_per_troop"), "lift in tonnes needs tonnes_per_troop"))
            for key in ("origin", "destination"):
                pid = getattr(mv, key)
                if pid is not None and pid not in s.places:
                    out.append(((*path, key), f"unknown place id {pid!r}"))
            origin = mv.origin or f.origin_place
            dest = mv.destination or f.destination_place
            if mv.speed_kmh is not None and mv.distance_km is None and (origin is None or dest is None):
                out.append((path, "a speed needs a distance: give distance_km, or origin and destination places "
                                  "(here or the force's origin_place / destination_place)"))
    ids = {fid for fid in s.forces} | {f"{fid}.{eid}" for fid, f in s.forces.items() for eid in f.echelons}
    for pid, pool in pools.items():
        for i, who in enumerate(pool.order):
            if who not in ids:
                out.append((("lift_pools", pid, "order", i), f"unknown force or force.echelon {who!r}"))
    return out


def movement_places(data: object) -> set[str]:
    """Place ids the (unvalidated) data of one force names in its movements (for the gazetteer import)."""
    out: set[str] = set()
    if not isinstance(data, dict):
        return out
    moves = [data.get("movement")]
    ech = data.get("echelons")
    if isinstance(ech, dict):
        moves += [e.get("movement") for e in ech.values() if isinstance(e, dict)]
    for mv in moves:
        if isinstance(mv, dict):
            out |= {v for k in ("origin", "destination") if isinstance(v := mv.get(k), str)}
    return out


def movement_hash_form(data: dict[str, Any]) -> dict[str, Any]:
    """A scenario's dumped data without the echelon, movement and lift-pool fields it leaves at their
    defaults, so that the content hash of a scenario that uses none of them is what it was before
    they existed (hashes are stored in results databases and session logs)."""
    if data.get("lift_pools") == {}:
        del data["lift_pools"]
    for f in (data.get("forces") or {}).values():
        if f.get("echelons") == {}:
            del f["echelons"]
        if "movement" in f and f["movement"] is None:
            del f["movement"]
    return data


def pool_sharers(s: Scenario, fid: str) -> list[str]:
    """The other forces that lift with a pool force ``fid`` uses (their demands can delay its lift)."""
    def pools(f: Force) -> set[str]:
        moves = [f.movement, *(e.movement for e in f.echelons.values())]
        return {mv.pool for mv in moves if mv is not None and mv.pool is not None}

    mine = pools(s.forces[fid])
    return [other for other, f in s.forces.items() if other != fid and mine & pools(f)] if mine else []
