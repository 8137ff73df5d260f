"""Tension and the escalation ladder.

Tension jumps when incidents or effects add to it and otherwise decays
exponentially towards a floor with a set half-life. The rung is the highest
rung whose threshold tension has reached; a process watches for the moment
decay takes tension below the current rung and steps the ladder down, and for
the moment it falls past a level a condition compares tension with (so that
``{metric: tension, lte: 40}`` holds from the exact hour decay brings it there).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .world import Process, World, first_of


class Tension:
    def __init__(self, world: World, condition_levels: Iterable[float] = ()) -> None:
        self.w = world
        # every level whose downward crossing matters: rung thresholds and condition comparisons
        self.levels = sorted({r.threshold for r in world.s.escalation.rungs} | set(condition_levels))
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
        v: float = self.floor + (self.v0 - self.floor) * 2.0 ** (-(t - self.t0) / self.half_life)
        return v

    def _rung_for(self, v: float) -> int:
        r = 0
        for i, rung in enumerate(self.rungs):
            if v >= rung.threshold:
                r = i
        return r

    def _set(self, v: float, actor: str, why: str, facts: Sequence[str] = ()) -> None:
        before = self.value() if self.w.keep_trace else 0.0
        self.v0, self.t0 = max(v, self.floor, 0.0), self.w.env.now
        self._crossed = None
        self.peak = max(self.peak, self.v0)
        new = self._rung_for(self.v0)
        if new != self.rung:
            old, self.rung = self.rung, new
            self.peak_rung = max(self.peak_rung, new)
            if self.w.keep_trace:
                verb = "climbs" if new > old else "drops"
                self.w.record("rung", actor, f"Escalation {verb} to rung {new}: {self.rungs[new].name} ({why})",
                              {"rung": new, "from": old, "tension": round(self.v0, 4), "before": round(before, 4)},
                              facts)
        ev, self._jump = self._jump, self.w.env.event()
        ev.succeed()
        self.w.notify("tension")

    def add(self, amount: float, actor: str, why: str, facts: Sequence[str] = ()) -> None:
        self._set(self.value() + amount, actor, why, facts)

    def set_floor(self, floor: float, actor: str, why: str) -> None:
        cur = self.value()
        self.floor = floor
        self._set(max(cur, floor), actor, why)

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
                    self.w.record("rung", "escalation",
                                  f"Escalation eases to rung {self.rung}: {self.rungs[self.rung].name}",
                                  {"rung": self.rung, "from": old, "tension": round(self.value(), 4)})
            self.w.notify("tension")
