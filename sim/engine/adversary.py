"""The adversary: forces massed, committed along axes, advancing against opposition.

An axis is committed at its time or condition (or by a ``commit`` effect). Without
``commitment:`` or places its troops then count as committed at once, and it advances
``distance_km`` at ``speed_kmh`` slowed by ``opposition`` (the share of speed lost to
resistance): the original model, trace for trace.

With a ``commitment:`` ramp its troops are committed over time (:class:`Ramps`): a
piecewise-linear function of time, capped by the axis's troops and, across all axes, by the
massed force. Its rate changes only at events (a step of its schedule, a cap reached, an
effect), each computed ahead analytically, as are the moments the total crosses a value a
condition compares ``committed_troops`` with; nothing ticks.

With places (``start``, ``waypoints``, ``objective_place``) it advances leg by leg; each leg's
rate is the unopposed rate times the force-ratio table's share for the axis's committed combat
value against the defenders in place at the place the leg leads to
(:mod:`sim.scenario.axes`). The rate is piecewise-constant: it is recomputed when a defender
arrives, when commitment crosses a band of the table (that moment computed ahead from the
ramp), or at a new leg, and the arrival is re-planned from the distance left; each change is an
:class:`~sim.engine.trace.AdvanceRecord`.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from simpy.events import Event

from ..scenario.axes import force_ratio_table, leg_defenders, leg_km, value_per_troop
from ..scenario.conditions import metric_marks
from ..scenario.model import Axis, Scenario
from ..scenario.references import conditions
from ..scenario.tables import ForceRatioTable
from .memo import per_object
from .timing import wait_timing
from .trace import (
    AdvanceCause,
    AdvanceRecord,
    AxisRecord,
    CommitmentRecord,
    CommitmentState,
    WaypointRecord,
)
from .world import IN_PLACE, Process, World, first_of

_EPS = 1e-6  # troops: a ramp within this of its cap (or the total of the massed force) has reached it
INF = math.inf


@per_object()
def committed_marks(s: Scenario) -> list[float]:
    """The values of ``committed_troops`` at which a condition of the scenario can change (once per scenario)."""
    return sorted({v for _, c in conditions(s) for v in metric_marks(c, "committed_troops")})


@per_object()
def _rate_steps(table: ForceRatioTable) -> tuple[list[float], list[float]]:
    """The force-ratio table's advance-rate steps as two lists: the ratios where each starts, its share."""
    return [st.min_ratio for st in table.advance_rate], [st.share for st in table.advance_rate]


def rate_share(table: ForceRatioTable, ratio: float) -> float:
    """``table.rate_share(ratio, 1.0)`` (``ratio``: the attacker's combat value over a defender's that
    is not 0) with the table's steps read once per table: it is asked at every change of an axis's rate."""
    mins, shares = _rate_steps(table)
    return shares[bisect.bisect_right(mins, ratio) - 1]


def _values_per_troop(s: Scenario) -> dict[str, float]:
    """Each axis's combat value per committed soldier (a plan part)."""
    return {aid: value_per_troop(s, a) for aid, a in s.adversary.axes.items()} if s.adversary else {}


def needs_ramps(s: Scenario) -> bool:
    return s.adversary is not None and any(a.ramped for a in s.adversary.axes.values())


def axis_process(w: World, aid: str, axis: Axis) -> Process:
    if axis.ramped:
        yield from _routed(w, aid, axis)
        return
    adversary = w.s.adversary
    assert adversary is not None  # an axis belongs to the adversary
    path = f"adversary.axes.{aid}"
    speed = w.sample(axis.speed_kmh, f"{path}.speed_kmh")
    opposition = min(max(w.sample(axis.opposition, f"{path}.opposition"), 0.0), 1.0)
    ordered = f"axis.{aid}.ordered"
    yield from wait_timing(w, axis, f"{path}.at_h", also=lambda: w.happened(ordered), also_on=frozenset({"event"}))
    troops = axis.troops
    if w.ramps is not None:  # beside ramps, a step never takes the total past the massed force
        troops = min(troops, max(adversary.massed_troops - w.committed_troops, 0.0))
    w.axis_committed(aid, troops)
    if w.keep_trace:
        w.record(AxisRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                            event="committed", troops=troops, committed_troops=w.committed_troops,
                            objective=axis.objective or ""))
    w.mark(f"axis.{aid}.committed", record=False)
    w.notify("troops")
    if w.ramps is not None:
        w.ramps.kick()  # the massed force's room changed
    effective = speed * (1.0 - opposition)
    if effective <= 0:
        return
    distance = axis.distance_km
    assert isinstance(distance, float | int)  # an axis without places or commitment gives its distance
    yield w.env.timeout(distance / effective)
    w.axis_arrived(aid)
    if w.keep_trace:
        w.record(AxisRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                            event="arrived", troops=axis.troops, committed_troops=w.committed_troops,
                            objective=axis.objective or ""))
    w.mark(f"axis.{aid}.arrived", record=False)


# --- commitment ramps ----------------------------------------------------------------------

@dataclass
class Ramp:
    """One axis's commitment: ``c0`` troops at hour ``t0``, rising at ``rate`` troops an hour
    until the next change (the manager settles it at every change)."""

    aid: str
    name: str
    cap: float
    c0: float = 0.0
    t0: float = 0.0
    base: float = 0.0                 # troops an hour by the schedule
    factor: float = 1.0               # accelerations multiplied
    paused: bool = False
    started: bool = False
    rate: float = 0.0                 # troops an hour in force
    state: CommitmentState = "committing"
    announced: bool = False           # its start recorded
    steps: list[tuple[float, float]] = field(default_factory=list)  # (hour, troops an hour) to come

    def value(self, t: float) -> float:
        if not self.rate:
            return self.c0
        return min(self.cap, self.c0 + self.rate * (t - self.t0))


class Ramps:
    """Every ramped axis's commitment, and the total within the massed force."""

    def __init__(self, w: World, marks: list[float]) -> None:
        adversary = w.s.adversary
        assert adversary is not None  # only an adversary's axes ramp
        self.w = w
        self.massed = adversary.massed_troops
        self.ramps: dict[str, Ramp] = {aid: Ramp(aid, a.name, a.troops) for aid, a in adversary.axes.items()
                                       if a.commitment is not None}
        self.marks = marks
        self.listeners: dict[str, Callable[[], None]] = {}
        self._kick: Event | None = None
        w.env.process(self._loop())

    # the committed troops ------------------------------------------------------------
    def total(self, t: float) -> float:
        return math.fsum([r.value(t) for r in self.ramps.values()])

    def on_axis(self, aid: str, t: float) -> float:
        return self.ramps[aid].value(t)

    # changes -------------------------------------------------------------------------
    def start(self, aid: str, initial: float, base_per_h: float, steps: list[tuple[float, float]]) -> None:
        self._settle()
        r = self.ramps[aid]
        r.started, r.base, r.steps = True, base_per_h, steps
        room = max(self.massed - self.w.committed_troops, 0.0)
        r.c0, r.t0 = min(initial, r.cap, room), self.w.env.now
        self.kick()

    def pause(self, aid: str, paused: bool) -> None:
        self._settle()
        self.ramps[aid].paused = paused
        self.kick()

    def scale(self, aid: str, factor: float) -> None:
        self._settle()
        self.ramps[aid].factor *= factor
        self.kick()

    def reinforce(self, aid: str, troops: float) -> None:
        self._settle()
        self.ramps[aid].cap += troops
        self.kick()

    def kick(self) -> None:
        """Wake the manager: something changed the rates (it re-plans at once)."""
        k = self._kick
        if k is not None and not k.triggered:
            k.succeed()

    # the manager's process -------------------------------------------------------------
    def _settle(self) -> None:
        now = self.w.env.now
        for r in self.ramps.values():
            if r.started:
                v = r.value(now)
                r.c0, r.t0 = (r.cap if r.cap - v < _EPS else v), now
                while r.steps and r.steps[0][0] <= now + 1e-9:
                    r.base = r.steps.pop(0)[1]

    def _rerate(self) -> None:
        w = self.w
        room = self.massed - w.committed_troops
        for r in self.ramps.values():
            if not r.started:
                continue
            state: CommitmentState
            if r.paused:
                state = "paused"
            elif r.cap - r.c0 < _EPS:
                state = "capped"
            elif room < _EPS:
                state = "massed"
            else:
                state = "committing"
            rate = r.base * r.factor if state == "committing" else 0.0
            before = r.rate
            if rate != before or state != r.state or not r.announced:
                r.rate, r.state, r.announced = rate, state, True
                if w.keep_trace:
                    spec = self._axis(r.aid)
                    facts = spec.commitment.facts if spec.commitment is not None else []
                    w.record(CommitmentRecord(actor=self._side(), facts=list(facts), axis=r.aid, name=r.name,
                                              state=state, rate_per_day=round(rate * 24, 6),
                                              rate_before_per_day=round(before * 24, 6),
                                              axis_troops=round(r.c0, 6), cap=r.cap,
                                              committed_troops=w.committed_troops))
                listener = self.listeners.get(r.aid)
                if listener is not None:
                    listener()

    def _side(self) -> str:
        adversary = self.w.s.adversary
        assert adversary is not None
        return adversary.side

    def _axis(self, aid: str) -> Axis:
        adversary = self.w.s.adversary
        assert adversary is not None
        return adversary.axes[aid]

    def _next(self) -> float:
        """Hours to the next change of any rate, or of a compared value of the total."""
        now = self.w.env.now
        total = self.w.committed_troops
        best = INF
        rising = 0.0
        for r in self.ramps.values():
            if not r.started:
                continue
            if r.steps:
                best = min(best, r.steps[0][0] - now)
            if r.rate > 0:
                rising += r.rate
                best = min(best, (r.cap - r.c0) / r.rate)
        if rising > 0:
            best = min(best, (self.massed - total) / rising)
            for m in self.marks:
                if m > total:
                    best = min(best, (m - total) / rising)
                    break
        return max(best, 0.0)

    def _loop(self) -> Process:
        w = self.w
        env = w.env
        while True:
            self._settle()
            self._rerate()
            w.notify("troops")
            dt = self._next()
            self._kick = Event(env)
            if dt == INF:
                yield self._kick
            else:
                yield first_of(env, (env.timeout(dt), self._kick))


# --- axes that ramp or run between places ---------------------------------------------------

def _routed(w: World, aid: str, axis: Axis) -> Process:
    s = w.s
    adversary = s.adversary
    assert adversary is not None and w.ramps is not None  # the run makes the ramps for a ramped axis
    ramps = w.ramps
    env = w.env
    path = f"adversary.axes.{aid}"
    speed = w.sample(axis.speed_kmh, f"{path}.speed_kmh")
    opposition = min(max(w.sample(axis.opposition, f"{path}.opposition"), 0.0), 1.0)
    route = axis.route
    legs = list(leg_km(s)[aid]) if route else []
    if axis.distance_km is not None:
        d = axis.distance_km
        total = float(d) if isinstance(d, float | int) else max(w.sample(d, f"{path}.distance_km"), 0.0)
        raw = math.fsum(legs)
        legs = [total * x / raw for x in legs] if legs and raw > 0 else [total]
    elif axis.distance_factor is not None:
        f = max(w.sample(axis.distance_factor, f"{path}.distance_factor"), 0.0)
        legs = [x * f for x in legs]
    c = axis.commitment
    base = steps = None
    if c is not None:
        base = max(w.sample(c.troops_per_day, f"{path}.commitment.troops_per_day"), 0.0) / 24
        steps = [(k, st.after_h, max(w.sample(st.troops_per_day, f"{path}.commitment.steps.{k}.troops_per_day"),
                                     0.0) / 24) for k, st in enumerate(c.steps)]
    ordered = f"axis.{aid}.ordered"
    yield from wait_timing(w, axis, f"{path}.at_h", also=lambda: w.happened(ordered), also_on=frozenset({"event"}))
    now = w.env.now
    if c is not None:
        assert base is not None and steps is not None
        ramps.start(aid, c.initial, base, [(now + h, r) for _, h, r in steps])
        w.axis_started(aid)
        ramp = ramps.ramps[aid]
        troops_now: Callable[[], float] = lambda: ramp.value(env.now)  # noqa: E731
    else:
        troops = min(axis.troops, max(adversary.massed_troops - w.committed_troops, 0.0))
        w.axis_committed(aid, troops)
        ramps.kick()
        troops_now = lambda: troops  # noqa: E731
    if w.keep_trace:
        w.record(AxisRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                            event="committed", troops=round(troops_now(), 6), committed_troops=w.committed_troops,
                            objective=axis.objective or (s.places[route[-1]].name if route else "")))
    w.mark(f"axis.{aid}.committed", record=False)
    w.notify("troops")
    unopposed = speed * (1.0 - opposition)
    vpt = w.plan.part(_values_per_troop)[aid]
    table = force_ratio_table(s)
    bands = _rate_steps(table)[0]  # the ratios where the table's steps start (increasing)
    n_bands = len(bands)
    places = [s.places[p] for p in route]
    ends = [math.fsum(legs[:i + 1]) for i in range(len(legs))]
    spans = [_span(ends, k) for k in range(len(legs) + 1)]
    wake: list[Event | None] = [None]

    def poke() -> None:
        ev = wake[0]
        if ev is not None and not ev.triggered:
            ev.succeed()

    if c is not None:
        ramps.listeners[aid] = poke
    leg, pos, rate = 0, 0.0, 0.0
    seen_def: list[tuple[tuple[str, float], ...]] = [()]

    forces = w.forces
    # each leg's possible defenders, with their states (in the table's order)
    by_leg = [tuple((forces[d[0]], d) for d in ds) for ds in leg_defenders(s)[aid]] if route else []

    def standing(i: int) -> tuple[tuple[str, float], ...]:
        if not by_leg or not by_leg[i]:
            return ()
        return tuple([d for fs, d in by_leg[i] if fs.stage == IN_PLACE])

    def on_presence() -> None:
        if leg < len(legs) and standing(leg) != seen_def[0]:
            poke()

    w.on_presence_change(on_presence)
    cause: AdvanceCause = "set_off"
    floor_ratio = 0.0  # a band crossed by the ramp counts as crossed (no float shortfall)
    while leg < len(legs):
        now = env.now
        held = standing(leg)
        seen_def[0] = held
        dcv = math.fsum([cv for _, cv in held])
        troops = troops_now()
        acv = troops * vpt
        ratio = None if dcv == 0 else max(acv / dcv, floor_ratio)
        share = 1.0 if ratio is None else rate_share(table, ratio)
        new = unopposed * share
        if new != rate or cause in ("set_off", "leg"):
            if w.keep_trace:
                w.record(AdvanceRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name, leg=leg,
                                       from_place=route[leg] if route else "", to_place=route[leg + 1] if route else "",
                                       to_name=places[leg + 1].name if route else (axis.objective or "its objective"),
                                       km_along=round(pos, 6), cause=cause, attacker=round(acv, 6),
                                       defender=round(dcv, 6), ratio=None if ratio is None else round(ratio, 6),
                                       share=share, rate_before_kmh=round(rate, 6), rate_kmh=round(new, 6),
                                       defenders=[fid for fid, _ in held]))
            rate = new
        w.axis_moved(aid, pos, now, rate, leg, spans[leg])
        floor_ratio = 0.0
        # what comes next: the end of the leg, or commitment crossing the next band of the table
        t_leg = (ends[leg] - pos) / rate if rate > 0 else INF
        t_band, band = INF, 0.0
        if c is not None and dcv > 0 and vpt > 0:
            c0, t0, r = ramp.c0, ramp.t0, ramp.rate  # the axis's ramp now
            if r > 0:
                cur = ratio if ratio is not None else 0.0
                i = bisect.bisect_right(bands, cur)  # the first band above the ratio now
                if i < n_bands:
                    nxt = bands[i]
                    need = nxt * dcv / vpt
                    t_band, band = max(t0 + (need - c0) / r - now, 0.0), nxt
        dt = min(t_leg, t_band)
        ev = wake[0] = Event(env)
        if dt == INF:
            yield ev
        else:
            yield first_of(env, (env.timeout(dt), ev))
        wake[0] = None
        pos = min(pos + rate * (env.now - now), ends[leg])
        if not ev.triggered and dt == t_leg:  # the leg's end: snap to it (no float shortfall)
            pos = ends[leg]
            leg += 1
            cause = "leg"
            last = leg == len(legs)
            if route and w.keep_trace:
                w.record(WaypointRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                                        place=route[leg], place_name=places[leg].name, km_along=round(pos, 6),
                                        objective=last))
            w.axis_moved(aid, pos, env.now, 0.0 if last else rate, leg, spans[leg])
            continue
        if not ev.triggered and dt == t_band:
            floor_ratio, cause = band, "commitment"
        else:
            cause = "defenders" if standing(leg) != held else "commitment"
    if c is not None:
        ramps.listeners.pop(aid, None)
    w.axis_arrived(aid)
    if w.keep_trace:
        w.record(AxisRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                            event="arrived", troops=round(troops_now(), 6), committed_troops=w.committed_troops,
                            objective=axis.objective or (places[-1].name if places else "")))
    w.mark(f"axis.{aid}.arrived", record=False)


def _span(ends: list[float], leg: int) -> tuple[float, float]:
    """The km along the axis where ``leg`` starts and ends (the last leg's end once the objective is reached)."""
    if not ends:
        return (0.0, 0.0)
    k = min(leg, len(ends) - 1)
    return (ends[k - 1] if k > 0 else 0.0, ends[k])
