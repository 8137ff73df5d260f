"""Tension and the escalation ladder.

Tension jumps when incidents or effects add to it and otherwise decays
exponentially towards a floor with a set half-life. The rung is the highest
rung whose threshold tension has reached; a process watches for the moment
decay takes tension below the current rung and steps the ladder down, and for
the moment it falls past a level a condition compares tension with (so that
``{metric: tension, lte: 40}`` holds from the exact hour decay brings it there).

Every change is recorded with its cause: a :class:`~sim.engine.trace.TensionRecord` for each jump
or new floor (tension just before and just after), a :class:`~sim.engine.trace.RungRecord` for each
move of the ladder (by a jump, or by decay at the hour tension crosses the threshold). Between two
tension records tension is :func:`~sim.engine.trace.decayed` from the earlier one's ``after``: the
engine and the readers of a trace compute it with the same function.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from ..scenario.model import Scenario
from .plan import compiled
from .trace import DECAY, RungRecord, Source, TensionRecord, decayed
from .world import Process, World, first_of


def _levels(s: Scenario) -> list[float]:
    """The tension levels whose downward crossing matters: rung thresholds and the levels conditions
    compare tension with (a list the run only reads)."""
    return sorted({r.threshold for r in s.escalation.rungs} | set(compiled(s).tension_marks))


class Tension:
    def __init__(self, world: World) -> None:
        self.w = world
        # every level whose downward crossing matters: rung thresholds and condition comparisons
        self.levels = world.plan.part(_levels)
        self._crossed: float | None = None  # the last level decay took tension below, since the last jump
        esc = world.s.escalation
        self.rungs = esc.rungs
        self.half_life = esc.half_life_h
        self.floor = esc.floor
        self.v0 = max(esc.initial_tension, self.floor)
        self.t0 = 0.0
        self.rung = self._rung_for(self.v0)
        self.peak = self.v0
        self.peak_rung = self.rung
        self._jump = world.env.event()
        world.attach_tension(self)

    def value(self, t: float | None = None) -> float:
        t = self.w.env.now if t is None else t
        return decayed(self.v0, self.floor, self.half_life, t - self.t0)

    def _rung_for(self, v: float) -> int:
        r = 0
        for i, rung in enumerate(self.rungs):
            if v >= rung.threshold:
                r = i
        return r

    def _set(self, v: float, actor: str, cause: Source, facts: Iterable[str] = (), delta: float | None = None) -> None:
        """Tension jumps to ``v`` (not below the floor); ``delta`` is the amount added (None: a new floor)."""
        keep = self.w.keep_trace
        before = self.value() if keep else 0.0
        self.v0, self.t0 = max(v, self.floor, 0.0), self.w.env.now
        self._crossed = None
        self.peak = max(self.peak, self.v0)
        if keep:
            self.w.record(TensionRecord(actor=actor, facts=list(facts), change="floor" if delta is None else "jump",
                                        before=before, after=self.v0, floor=self.floor, delta=delta, cause=cause))
        new = self._rung_for(self.v0)
        if new != self.rung:
            old, self.rung = self.rung, new
            self.peak_rung = max(self.peak_rung, new)
            if keep:
                self.w.record(RungRecord(actor=actor, facts=list(facts), rung=new, from_rung=old,
                                         name=self.rungs[new].name, before=before, after=self.v0, cause=cause))
        ev, self._jump = self._jump, self.w.env.event()
        ev.succeed()
        self.w.notify("tension")

    def add(self, amount: float, actor: str, cause: Source, facts: Iterable[str] = ()) -> None:
        self._set(self.value() + amount, actor, cause, facts, amount)

    def set_floor(self, floor: float, actor: str, cause: Source, facts: Iterable[str] = ()) -> None:
        cur = self.value()
        self.floor = floor
        self._set(max(cur, floor), actor, cause, facts)

    def _next_level(self) -> float | None:
        """The next level decay will take tension below: the highest one at or under the value at the
        last jump (or under the last level crossed), above the floor it decays towards."""
        top = self.v0 if self._crossed is None else self._crossed
        below = [x for x in self.levels if self.floor < x and (x < top if self._crossed is not None else x <= top)]
        return below[-1] if below else None

    def decay_watch(self) -> Process:
        """Process: at each level decay crosses, step the ladder down (a rung's threshold) and wake
        whoever waits on a tension condition."""
        env = self.w.env
        while True:
            thr = self._next_level()
            if thr is None or self.v0 <= self.floor:
                yield self._jump
                continue
            t_cross = self.t0 + self.half_life * math.log2((self.v0 - self.floor) / (thr - self.floor))
            jump = self._jump
            if t_cross > env.now:
                yield first_of(env, (env.timeout(t_cross - env.now), jump))
            if jump.triggered:
                continue
            self._crossed = thr
            if self.rung > 0 and thr == self.rungs[self.rung].threshold:
                old = self.rung
                self.rung -= 1
                if self.w.keep_trace:
                    v = self.value()
                    self.w.record(RungRecord(actor="escalation", rung=self.rung, from_rung=old,
                                             name=self.rungs[self.rung].name, before=v, after=v, cause=DECAY))
            self.w.notify("tension")
