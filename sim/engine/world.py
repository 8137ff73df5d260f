"""The simulation state, held on one object beside the ``simpy.Environment``.

Processes change the world only through its methods, which record each change
in the trace and wake whoever waits on a condition (``tests/test_engine_world.py``
checks that no other engine module assigns to the world's or a force's state). The world
is also the :class:`~sim.scenario.conditions.StateView` that conditions and decision sources
read, and the :class:`~sim.scenario.effects.EffectTarget` that effects change.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import simpy
from numpy.random.bit_generator import ISeedSequence
from simpy.events import PENDING, Event

from ..scenario.conditions import (
    FORCE_STATES,
    Condition,
    DecisionCond,
    EventCond,
    ForceCond,
    ForceStage,
    MetricCond,
    walk,
)
from ..scenario.effects import Order
from ..scenario.model import Force, Scenario
from .memo import per_object
from .plan import compiled
from .trace import (
    DelayEffectRecord,
    EncounterFactorEffectRecord,
    ForceRecord,
    HoldEffectRecord,
    MeasureEffectRecord,
    OrderEffectRecord,
    PresenceEffectRecord,
    Record,
    SignalRecord,
    Source,
)

if TYPE_CHECKING:
    from .deconfliction import Encounters
    from .escalation import Tension

IN_PLACE = ForceStage.IN_PLACE
Process = Generator[Event, Any, None]  # the body of a SimPy process
Words = npt.NDArray[np.unsignedinteger[Any]]  # seed words from SeedSequence.generate_state


@dataclass
class ForceState:
    """One force's state in a run (changed only through :class:`World`'s methods)."""

    id: str
    spec: Force
    stage: ForceStage
    times: dict[str, float] = field(default_factory=dict)
    due: float = 0.0                # end of the current timed step (notice-to-move or transit)
    held: bool = False
    orders: set[Order] = field(default_factory=set)  # alert, activate, deploy: ordered by an effect
    presence_scale: float = 1.0

    @property
    def state(self) -> str:
        return FORCE_STATES[self.stage]


class _Words(ISeedSequence):
    """Four words of seed state, handed to ``PCG64`` as its seed sequence (numpy's documented
    extension point): the words come from the run's SeedSequence, so each stream is seeded from it
    without building a SeedSequence per stream (which cost more than the rest of a stream's set-up)."""

    __slots__ = ("words",)

    def __init__(self, words: Words) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: npt.DTypeLike = np.uint32) -> Words:
        if n_words != 4 or np.dtype(dtype) != np.uint64:  # pragma: no cover - PCG64 asks for exactly this
            raise ValueError("seed words are for PCG64 only")
        return self.words


# The named random streams of a run, each seeded from its own four words of the run's SeedSequence
# (``generate_state`` gives the same leading words however many are asked for, so a stream added at
# the end leaves the others' numbers as they were).
STREAMS = ("params", "encounters", "effects", "decisions")


class _Streams:
    """The run's streams, each made on first use (most runs never draw from some of them)."""

    __slots__ = ("_made", "_words")

    def __init__(self, root: np.random.SeedSequence) -> None:
        self._words: Words = root.generate_state(4 * len(STREAMS), np.uint64)
        self._made: dict[str, np.random.Generator] = {}

    def words(self, name: str) -> tuple[int, int, int, int]:
        """The four seed words of stream ``name`` (as Python ints)."""
        k = 4 * STREAMS.index(name)
        w0, w1, w2, w3 = self._words[k:k + 4].tolist()
        return w0, w1, w2, w3

    def bit_generator(self, name: str) -> np.random.PCG64:
        k = 4 * STREAMS.index(name)
        # numpy documents ISeedSequence as PCG64's seed extension point; its stubs list SeedSequence only
        return np.random.PCG64(_Words(self._words[k:k + 4]))  # type: ignore[arg-type]

    def generator(self, name: str) -> np.random.Generator:
        gen = self._made.get(name)
        if gen is None:
            gen = self._made[name] = np.random.Generator(self.bit_generator(name))
        return gen


CHANNELS = ("event", "force", "decision", "tension", "count", "troops", "time")
_METRIC_CHANNEL = {"tension": "tension", "rung": "tension", "encounters": "count", "incidents": "count",
                   "committed_troops": "troops", "time_h": "time"}


def channels_of(*conds: Condition | None) -> frozenset[str]:
    """The change channels whose changes can alter the value of any of ``conds`` (None ignored)."""
    out: frozenset[str] = frozenset()
    for cond in conds:
        if cond is not None:
            out |= _channels_of_one(cond)
    return out


@per_object(limit=4096)
def _channels_of_one(cond: Condition) -> frozenset[str]:
    """The channels of one condition; conditions are frozen, so this is worked out once per object."""
    out: set[str] = set()
    for leaf in walk(cond):
        if isinstance(leaf, EventCond):
            out.add("event")
        elif isinstance(leaf, ForceCond):
            out.add("force")
        elif isinstance(leaf, DecisionCond):
            out.add("decision")
        elif isinstance(leaf, MetricCond):
            out.add(_METRIC_CHANNEL[leaf.metric])
    return frozenset(out)


_SPAN = 1 << 128  # PCG64's period: advances wrap around it
_PATH_STRIDE = 1 << 64  # each parameter path owns 2**64 consecutive draws of the params stream
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53: how numpy's Generator.random turns PCG64 words into [0, 1)
# PCG64 as numpy defines it (numpy/random/src/pcg64: a 128-bit LCG with this multiplier, the XSL-RR
# output of the state after each step); ParamStream evaluates it in Python ints, see there
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_M128 = _SPAN - 1
_M64 = (1 << 64) - 1


@lru_cache(maxsize=65536)
def path_offset(path: str) -> int:
    """Where a parameter path's own draws start in the params stream: its 64-bit BLAKE2b hash times
    2**64 (paths are strings, so this is the same on every machine and in every process)."""
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big") * _PATH_STRIDE


def _lcg_jump(n: int) -> tuple[int, int]:
    """(A, C) with ``n`` steps of PCG64's LCG taking state ``x`` to ``(A * x + C * inc) mod 2**128``
    (``inc`` the stream's increment); by squaring, as ``PCG64.advance`` does."""
    a, c, step_a, step_c = 1, 0, _PCG_MULT, 1
    while n:
        if n & 1:
            a, c = (a * step_a) & _M128, (c * step_a + step_c) & _M128
        step_c = (step_c * (step_a + 1)) & _M128
        step_a = (step_a * step_a) & _M128
        n >>= 1
    return a, c


@lru_cache(maxsize=65536)
def path_jump(path: str) -> tuple[int, int]:
    """The jump from the params stream's seeded state to the state of ``path``'s first draw (its
    word at ``path_offset(path)``): the same for every run, so worked out once per path."""
    return _lcg_jump(path_offset(path) + 1)


def _xsl_rr(x: int) -> int:
    """PCG64's output word for LCG state ``x``."""
    v = ((x >> 64) ^ x) & _M64
    r = x >> 122
    return ((v >> r) | (v << (64 - r))) & _M64


class ParamStream:
    """The run's parameter stream: one PCG64 (seeded from the run's SeedSequence), in which every
    parameter path owns its own stretch, reached by jumping ahead (what ``PCG64.advance`` does).

    So a parameter's draws depend on its path and the seed alone: adding, removing or reordering a
    force, inject or decision leaves every other parameter's draws as they were (common random
    numbers between variants). The n-th draw of a path is ``Generator.random()``'s formula applied
    to the stream's word at ``path_offset(path) + n``: the word ``PCG64.random_raw()`` gives after
    ``PCG64.advance(path_offset(path) + n)``. This class computes that word in Python ints, from the
    seeded state and the path's jump (:func:`path_jump`, once per path): a few multiplications
    instead of a numpy call to advance and one to draw (``tests/test_engine_draws.py`` checks the
    words against numpy's PCG64).
    """

    __slots__ = ("_paths", "_seeded", "_streams")

    def __init__(self, streams: _Streams) -> None:
        self._streams = streams
        self._seeded: tuple[int, int] | None = None  # (state, inc) as PCG64 seeds them, at the first draw
        self._paths: dict[str, PathDraws] = {}

    def at(self, path: str) -> PathDraws:
        d = self._paths.get(path)
        if d is None:
            d = self._paths[path] = PathDraws(self, path)
        return d

    def seeded(self) -> tuple[int, int]:
        """The LCG state and increment of the params stream's PCG64 as seeded (``pcg64_set_seed``:
        seed and sequence from the stream's four words, high word first)."""
        got = self._seeded
        if got is None:
            w0, w1, w2, w3 = self._streams.words("params")
            inc = (((w2 << 64 | w3) << 1) | 1) & _M128
            x = (inc + (w0 << 64 | w1)) & _M128  # srandom: one step from 0 (giving inc), plus the seed,
            got = self._seeded = ((x * _PCG_MULT + inc) & _M128, inc)  # and one step more
        return got


class PathDraws:
    """One parameter path's uniform draws (a :class:`~sim.scenario.draws.Draws`)."""

    __slots__ = ("_path", "_stream", "_x")

    def __init__(self, stream: ParamStream, path: str) -> None:
        self._stream, self._path = stream, path
        self._x: int | None = None  # the LCG state of the last draw

    def random(self) -> float:
        x = self._x
        state, inc = self._stream.seeded()
        if x is None:
            a, c = path_jump(self._path)
            x = (a * state + c * inc) & _M128
        else:
            x = (x * _PCG_MULT + inc) & _M128
        self._x = x
        return (_xsl_rr(x) >> 11) * _TO_UNIT


class Uniforms:
    """A named stream's uniform draws, taken from its Generator a block at a time: one numpy call,
    not one per draw.

    Parameters, effects and encounters sample by inverse CDF from ``random()`` alone, so the
    sequence of numbers they get is exactly the Generator's ``random`` stream.
    """

    __slots__ = ("_buf", "_gen", "_i", "_name", "_streams")
    BLOCK = 64

    def __init__(self, streams: _Streams, name: str) -> None:
        self._streams, self._name = streams, name
        self._gen: np.random.Generator | None = None
        self._buf: list[float] = []
        self._i = 0

    def random(self) -> float:
        i = self._i
        if i == len(self._buf):
            if self._gen is None:  # the stream is made at its first draw
                self._gen = self._streams.generator(self._name)
            self._buf, i = self._gen.random(self.BLOCK).tolist(), 0
        self._i = i + 1
        return self._buf[i]


def first_of(env: simpy.Environment, events: Sequence[Event]) -> Event:
    """An event that fires when the first of ``events`` is processed.

    What ``a | b`` (SimPy's AnyOf) does, on exactly the same schedule (it is triggered at the
    moment the first event is processed and stops listening to the others once it is processed
    itself), so the order of same-time events is unchanged; but it builds no ConditionValue
    (its value is None), which makes it several times cheaper.
    """
    ev = Event(env)

    def fire(_: Event) -> None:
        if ev._value is PENDING:
            ev.succeed()

    def done(_: Event) -> None:
        for e in events:
            cbs = e.callbacks
            if cbs and fire in cbs:
                cbs.remove(fire)

    for e in events:
        if e.callbacks is None:
            fire(e)
        else:
            e.callbacks.append(fire)
    ev.callbacks.append(done)
    return ev


@lru_cache(maxsize=4096)
def _calendar(start: datetime, tz: ZoneInfo, t_h: float) -> str:
    """Calendar time ``t_h`` hours after ``start`` in ``tz`` (the same few hours recur run after run)."""
    return (start + timedelta(hours=t_h)).astimezone(tz).isoformat(timespec="minutes")


class World:
    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence, keep_trace: bool = True) -> None:
        self.s = self.scenario = scenario
        self.env = simpy.Environment()
        self.root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.keep_trace = keep_trace
        self.trace: list[Record] = []
        self._seq = 0
        self.plan = plan = compiled(scenario)  # what follows from the scenario alone, worked out once
        self._tz = plan.tz
        self._start = scenario.clock.start
        self.happened_at: dict[str, float] = {}
        self.decided: dict[str, str] = {}
        self.decision_log: list[dict[str, Any]] = []
        self.forces = forces = {fid: ForceState(fid, f, plan.initial_stage[fid]) for fid, f in scenario.forces.items()}
        for fs in forces.values():
            if fs.stage:
                fs.times = dict.fromkeys(FORCE_STATES[1: fs.stage + 1], 0.0)
        # the forces that count towards each (side, domain) presence, in scenario order
        self._presence_forces: dict[tuple[str, str], list[ForceState]] = {
            k: [forces[fid] for fid in fids] for k, fids in plan.presence_forces.items()}
        self.committed_troops = 0.0
        self._encounters: Encounters | None = None  # the encounter clock (and counts), when there is one
        self.encounter_factor = 1.0
        self.measures = dict(plan.measures)
        self.measure_p: float | None = None  # p_incident x active measure factors (measure_product), until one switches
        self.axis_start: dict[str, float] = {}
        self.axis_arrival: dict[str, float] = {}
        self.tension: Tension  # attached by escalation.Tension
        # every scenario parameter (notice to move, inject hours, axis speeds...) is drawn from the params
        # stream at its own path (``draws``); effects and random decisions draw from their own streams,
        # so what the players decide never shifts a parameter's draw
        self.streams = _Streams(self.root)
        self._params = ParamStream(self.streams)
        self.effects_rng = Uniforms(self.streams, "effects")
        self._waiting: dict[str, list[tuple[Callable[[], bool], Event]]] = {c: [] for c in CHANNELS}
        self.presence_watchers: list[Callable[[], None]] = []  # called when presence or the encounter factor changes
        self.stop = self.env.event()
        self.pending: dict[str, Any] | None = None
        self.checkpoints: dict[str, dict[str, Any]] = {}

    # --- randomness -------------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        """The Generator of one of the run's named streams (``STREAMS``): independent of the others,
        so drawing more from one (say, more encounters) never shifts another's numbers."""
        return self.streams.generator(name)

    def draws(self, path: str) -> PathDraws:
        """The draws of the scenario parameter at ``path`` (as ``--set`` names it, e.g.
        ``forces.vjtf.notice_to_move_h``): the same for a seed whatever else the scenario holds."""
        return self._params.at(path)

    # --- the trace --------------------------------------------------------
    def calendar(self, t_h: float) -> str:
        return _calendar(self._start, self._tz, t_h)

    def record(self, rec: Record) -> None:
        """Stamp ``rec`` with its sequence number, hour and calendar time and append it (when the
        trace is kept). Hot callers test ``keep_trace`` first, so that runs without a trace do not
        even build the record."""
        self._seq += 1
        if self.keep_trace:
            t = round(self.env.now, 6)
            rec.seq, rec.t_h, rec.time = self._seq, t, self.calendar(t)
            self.trace.append(rec)

    # --- waiting on conditions ---------------------------------------------
    # A process waiting for a condition registers it on the channels the condition reads (see
    # channels_of). A change announced on a channel tests the conditions registered there and
    # fires the event of each one that now holds; so a process sleeps until its condition holds:
    # an encounter does not wake a process waiting for a force to be ready, nor does a force that
    # moves wake one whose condition still fails.
    def until(self, test: Callable[[], bool], channels: frozenset[str], deadline: float | None = None) -> Event:
        """An event that fires at the first change on ``channels`` after which ``test()`` holds,
        or at hour ``deadline`` if that comes first."""
        ev = Event(self.env)
        entry = (test, ev)
        for c in channels:
            self._waiting[c].append(entry)
        if deadline is not None:
            def due(_: Event) -> None:
                if ev._value is PENDING:
                    ev.succeed()
            self.env.timeout(max(deadline - self.env.now, 0.0)).callbacks.append(due)
        return ev

    def wait_for(self, test: Callable[[], bool], channels: frozenset[str]) -> Process:
        """Process body: return once ``test()`` holds (at once if it holds already)."""
        while not test():
            yield self.until(test, channels)

    def notify(self, *channels: str, presence: bool = False) -> None:
        """Announce a change on ``channels`` (and to the presence watchers if ``presence``)."""
        for c in channels:
            waiting = self._waiting[c]
            if waiting:
                keep = []
                for entry in waiting:
                    ev = entry[1]
                    if ev._value is PENDING:  # not yet fired (through another channel or its deadline)
                        if entry[0]():
                            ev.succeed()
                        else:
                            keep.append(entry)
                self._waiting[c] = keep
        if presence:
            for watcher in self.presence_watchers:
                watcher()

    # --- StateView --------------------------------------------------------
    def happened(self, event: str) -> bool:
        return event in self.happened_at

    def force_stage(self, force: str) -> int:
        return self.forces[force].stage

    def decision_taken(self, decision: str) -> str | None:
        return self.decided.get(decision)

    def metric(self, name: str) -> float:
        if name == "time_h":
            return self.env.now
        if name == "tension":
            return self.tension.value()
        if name == "rung":
            return self.tension.rung
        if name == "encounters":
            return self.encounters
        if name == "incidents":
            return self.incidents
        if name == "committed_troops":
            return self.committed_troops
        raise KeyError(name)

    # --- changes ------------------------------------------------------------
    def mark(self, event: str, actor: str = "", facts: Sequence[str] = (), record: bool = True) -> None:
        if event not in self.happened_at:
            self.happened_at[event] = self.env.now
        if record and self.keep_trace:
            self.record(SignalRecord(actor=actor, facts=list(facts), event=event))
        self.notify("event")

    def set_stage(self, fs: ForceState, stage: ForceStage, *, notice_h: float | None = None,
                  transit_h: float | None = None) -> None:
        """Move ``fs`` on to ``stage``; the notice to move or transit time drawn for the step it
        starts is recorded (rounded to 6 places) when the trace is kept."""
        if stage <= fs.stage:
            return
        for st in FORCE_STATES[fs.stage + 1: stage + 1]:
            fs.times[st] = self.env.now
        fs.stage = stage
        if self.keep_trace:
            spec = fs.spec
            self.record(ForceRecord(actor=fs.id, facts=list(spec.facts), force=fs.id, name=spec.name, state=fs.state,
                                    notice_h=None if notice_h is None else round(notice_h, 6),
                                    transit_h=None if transit_h is None else round(transit_h, 6)))
        self.notify("force", presence=stage == IN_PLACE)

    def start_timed_step(self, fs: ForceState, hours: float) -> None:
        """``fs`` begins a timed step (notice to move, transit) of ``hours`` (never negative) from now."""
        fs.due = self.env.now + max(hours, 0.0)

    def axis_committed(self, aid: str, troops: float) -> None:
        """An adversary axis is committed now with ``troops`` (the troops channel is notified by the caller
        once it has recorded the commitment)."""
        self.committed_troops += troops
        self.axis_start[aid] = self.env.now

    def axis_arrived(self, aid: str) -> None:
        self.axis_arrival[aid] = self.env.now

    @property
    def encounters(self) -> int:
        """Encounters so far (counted by the encounter clock, which owns the count)."""
        e = self._encounters
        return 0 if e is None else e.encounters

    @property
    def incidents(self) -> int:
        """Encounters that turned into incidents so far."""
        e = self._encounters
        return 0 if e is None else e.incidents

    def measure_product(self) -> float:
        """``p_incident`` times the factors of the active measures, multiplied in the scenario's
        order (the same floating-point product every time); cached until a measure switches."""
        p = self.measure_p
        if p is None:
            d = self.s.deconfliction
            assert d is not None  # only encounters ask, and only a scenario with deconfliction has them
            p = d.p_incident
            for mid, active in self.measures.items():
                if active:
                    p *= d.measures[mid].factor
            self.measure_p = p
        return p

    def deliver_inject(self, iid: str) -> None:
        self.happened_at.setdefault(iid, self.env.now)

    def take_decision(self, did: str, option: str, entry: dict[str, Any]) -> None:
        """Decision ``did`` is taken with ``option`` now; ``entry`` goes to the decision log."""
        self.decided[did] = option
        self.happened_at.setdefault(f"decision.{did}", self.env.now)
        self.decision_log.append(entry)

    def pause(self, pending: dict[str, Any]) -> None:
        """Stop the run here: a decision point waits for an answer (``pending`` describes it)."""
        self.pending = pending
        if not self.stop.triggered:
            self.stop.succeed()

    def save_checkpoint(self, cid: str, snap: dict[str, Any]) -> None:
        self.checkpoints[cid] = snap

    def attach_tension(self, tension: Tension) -> None:
        self.tension = tension

    def attach_encounters(self, encounters: Encounters) -> None:
        self._encounters = encounters

    def on_presence_change(self, watcher: Callable[[], None]) -> None:
        self.presence_watchers.append(watcher)

    # --- EffectTarget: what effects change (each records its own typed record) -----
    def order_force(self, fid: str, order: Order, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        fs = self.forces[fid]
        fs.orders.add(order)
        if self.keep_trace:
            self.record(OrderEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fid, name=fs.spec.name,
                                          order=order))
        self.notify("force")

    def hold_force(self, fid: str, held: bool, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        fs = self.forces[fid]
        fs.held = held
        if self.keep_trace:
            self.record(HoldEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fid, name=fs.spec.name,
                                         held=held))
        self.notify("force")

    def delay_force(self, fid: str, hours: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        """Lengthen ``fid``'s timed step under way (its process sleeps on until the new end)."""
        fs = self.forces[fid]
        fs.due += hours
        if self.keep_trace:
            self.record(DelayEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fid, name=fs.spec.name,
                                          delay_h=round(hours, 4)))

    def set_measure(self, mid: str, active: bool, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        """Switch measure ``mid``; the record cites the measure's own facts when the effect cites none."""
        self.measures[mid] = active
        self.measure_p = None  # the cached product of active measure factors is stale
        if self.keep_trace:
            d = self.s.deconfliction
            assert d is not None  # the reference check saw the measure
            spec = d.measures[mid]
            self.record(MeasureEffectRecord(actor=actor, facts=list(facts or spec.facts), cause=cause, measure=mid,
                                            name=spec.name, active=active))

    def scale_presence(self, fid: str, factor: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        fs = self.forces[fid]
        fs.presence_scale = factor
        if self.keep_trace:
            self.record(PresenceEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fid,
                                             name=fs.spec.name, factor=factor))
        self.notify(presence=True)

    def scale_encounters(self, factor: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> float:
        """Multiply the encounter rates by ``factor``; the combined factor now in force."""
        self.encounter_factor *= factor
        if self.keep_trace:
            self.record(EncounterFactorEffectRecord(actor=actor, facts=list(facts), cause=cause, factor=factor,
                                                    encounter_factor=round(self.encounter_factor, 6)))
        self.notify(presence=True)
        return self.encounter_factor

    def add_tension(self, amount: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        """Tension jumps by ``amount`` (the tension records it, with its cause)."""
        self.tension.add(amount, actor, cause, facts)

    def set_tension_floor(self, level: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        self.tension.set_floor(level, actor, cause, facts)

    def commit_axis(self, aid: str, actor: str, facts: Sequence[str] = ()) -> None:
        """Order axis ``aid`` committed now (its process is waiting for this event; the axis records it)."""
        self.mark(f"axis.{aid}.ordered", actor, facts, record=False)

    def presence(self, side: str, domain: str) -> float:
        return sum(fs.spec.strength * fs.presence_scale for fs in self._presence_forces.get((side, domain), ())
                   if fs.stage == IN_PLACE)

    def on_station(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for fs in self.forces.values():
            if fs.stage == IN_PLACE:
                side = out.setdefault(fs.spec.side, {})
                side[fs.spec.unit] = side.get(fs.spec.unit, 0) + fs.spec.strength
                for k, v in fs.spec.includes.items():
                    side[k] = side.get(k, 0) + v
        return out

    def snapshot(self) -> dict[str, Any]:
        return {
            "t_h": round(self.env.now, 6),
            "time": self.calendar(self.env.now),
            "tension": round(self.tension.value(), 4),
            "rung": self.tension.rung,
            "rung_name": self.s.escalation.rungs[self.tension.rung].name,
            "encounters": self.encounters,
            "incidents": self.incidents,
            "committed_troops": self.committed_troops,
            "forces": {fid: fs.state for fid, fs in self.forces.items()},
            "on_station": self.on_station(),
            "measures": dict(self.measures),
            "events": sorted(self.happened_at),
        }
