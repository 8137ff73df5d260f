"""Lift capacity as a fluid queue: one pool serves one demand at a time, at its full capacity.

A demand is an echelon's load (troops, or tonnes with the movement's ``tonnes_per_troop``). When
the pool is free it starts the waiting demand highest in its order (``LiftPool.order``: a
``force.echelon`` id, else the force id, else after every listed one; ties first come, first
served). A started demand takes ``load / capacity`` hours: that is computed once, at its start,
so an echelon's lift is one timeout, not one event per sortie; its last element lands the
movement's transit time after the lift ends. The choice is deferred to the end of the current
instant, so demands made at the same hour are served in the pool's order, not in the order the
processes happened to run.

A movement's own ``lift:`` is a pool private to the force (shared by the echelons that use the
force's movement, in the order they are listed) or to the echelon that gives it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from simpy.events import Event

from ..scenario.movement import EchelonPlan, Lift, LiftPool
from .world import World


@dataclass(order=True)
class _Demand:
    rank: int
    seq: int
    load: float = field(compare=False)
    started: Event = field(compare=False)   # fires with the lift's duration (h) when it starts


class Pool:
    """One lift capacity in one run."""

    def __init__(self, w: World, lift: Lift, order: dict[str, int]) -> None:
        self.w = w
        self.per_hour = lift.per_hour
        self.order = order
        self.unit = lift.unit
        self.busy = False
        self.choosing = False
        self.waiting: list[_Demand] = []
        self._seq = 0

    def rank(self, fid: str, eid: str) -> int:
        o = self.order
        return o.get(f"{fid}.{eid}", o.get(fid, len(o)))

    def request(self, fid: str, plan: EchelonPlan) -> Event:
        """An event that fires, with the hours the lift takes, when this echelon's lift starts."""
        mv = plan.movement
        load = plan.strength
        if self.unit == "tonnes":
            assert mv is not None and mv.tonnes_per_troop is not None  # check_movement demands it
            load *= mv.tonnes_per_troop
        self._seq += 1
        d = _Demand(self.rank(fid, plan.id), self._seq, load, Event(self.w.env))
        self.waiting.append(d)
        self._choose_soon()
        return d.started

    def _choose_soon(self) -> None:
        if not self.busy and not self.choosing and self.waiting:
            self.choosing = True
            self.w.env.timeout(0).callbacks.append(self._choose)

    def _choose(self, _: Event) -> None:
        self.choosing = False
        if self.busy or not self.waiting:
            return
        d = min(self.waiting)
        self.waiting.remove(d)
        hours = d.load / self.per_hour
        self.busy = True
        d.started.succeed(hours)
        self.w.env.timeout(hours).callbacks.append(self._free)

    def _free(self, _: Event) -> None:
        self.busy = False
        self._choose_soon()


def pool_for(w: World, fid: str, plan: EchelonPlan) -> Pool | None:
    """The pool an echelon's movement lifts with (made on first use in the run), or None."""
    mv = plan.movement
    if mv is None:
        return None
    if mv.pool is not None:
        key = f"pool:{mv.pool}"
        spec: Lift | LiftPool = w.s.lift_pools[mv.pool]
        order = {who: i for i, who in enumerate(w.s.lift_pools[mv.pool].order)}
    elif mv.lift is not None:
        key = f"own:{plan.movement_path}"
        spec = mv.lift
        force = w.forces[fid]
        order = {f"{fid}.{es.id}": es.plan.index for es in force.echelons.values()}
    else:
        return None
    pool = w.lift_pool(key, lambda: Pool(w, spec, order))
    assert isinstance(pool, Pool)
    return pool
