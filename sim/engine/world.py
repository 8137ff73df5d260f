"""The simulation state, held on one object beside the ``simpy.Environment``.

Processes change the world only through its methods, which record each change
in the trace and wake whoever waits on a condition (``tests/test_engine_world.py``
checks that no other engine module assigns to the world's or a force's state). The world
is also the :class:`~sim.scenario.conditions.StateView` that conditions and decision sources
read, and the :class:`~sim.scenario.effects.EffectTarget` that effects change.
"""
from __future__ import annotations

import hashlib
import operator
import weakref
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import simpy
from numpy.random.bit_generator import ISeedSequence
from simpy.events import PENDING, Event, ProcessGenerator, Timeout

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
from ..scenario.distributions import Dist, Fixed
from ..scenario.effects import Order
from ..scenario.model import Force, Scenario
from ..scenario.movement import EchelonPlan, force_echelons
from .memo import per_object
from .plan import compiled
from .trace import (
    CommitmentEffectRecord,
    DelayEffectRecord,
    EchelonPosition,
    EchelonRecord,
    EncounterFactorEffectRecord,
    ForceRecord,
    HoldEffectRecord,
    MeasureEffectRecord,
    MeasureFailEffectRecord,
    OrderEffectRecord,
    PresenceEffectRecord,
    Record,
    SignalRecord,
    Source,
    r6,
)

if TYPE_CHECKING:
    from .adversary import Ramps
    from .deconfliction import Encounters
    from .escalation import Tension

IN_PLACE = ForceStage.IN_PLACE
Process = Generator[Event, Any, None]  # the body of a SimPy process
Words = npt.NDArray[np.unsignedinteger[Any]]  # seed words from SeedSequence.generate_state


class AxisPosition(NamedTuple):
    """Where an axis between places stood when its rate last changed (a named tuple: made at every
    change of an axis's rate, and cheaper to make than a frozen dataclass)."""

    km: float
    t_h: float
    rate_kmh: float
    leg: int
    leg_from_km: float = 0.0   # the km (along the axis) where the current leg starts and ends
    leg_to_km: float = 0.0


ECHELON_STAGES = ("waiting", "ready", "staging", "moving", "arrived", "in_place")


@dataclass
class EchelonState:
    """One echelon of a force in a run (changed only through :class:`World`'s methods)."""

    plan: EchelonPlan
    stage: str = "waiting"          # one of ECHELON_STAGES
    times: dict[str, float] = field(default_factory=dict)  # hour each stage was reached
    due: float = 0.0                # end of its current timed step
    timed: bool = False             # in a timed step now (a delay effect moves ``due``)
    carry: float = 0.0              # delay effects met while not in a timed step, added to the next one
    departed_h: float | None = None
    arrival_h: float | None = None  # the hour the last of it arrives (known at departure)

    @property
    def id(self) -> str:
        return self.plan.id

    @property
    def place(self) -> str | None:
        if self.stage == "moving":
            return None
        return self.plan.destination if self.stage in ("arrived", "in_place") else self.plan.origin


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
    echelons: dict[str, EchelonState] = field(default_factory=dict)  # a force that moves by echelons
    strength_in_place: float = 0.0

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


@lru_cache(maxsize=65536)
def path_offset(path: str) -> int:
    """Where a parameter path's own draws start in the params stream: its 64-bit BLAKE2b hash times
    2**64 (paths are strings, so this is the same on every machine and in every process)."""
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big") * _PATH_STRIDE


class _ParamWords:
    """The params stream's words (see :class:`ParamStream`): numpy's PCG64, made at the first word asked for."""

    __slots__ = ("_bits", "_pos", "_streams")

    def __init__(self, streams: _Streams) -> None:
        self._streams = streams
        self._bits: np.random.PCG64 | None = None
        self._pos = 0

    def word(self, index: int) -> int:
        """The stream's 64-bit word at ``index`` (0 <= index < 2**128): PCG64 advanced there, one raw word."""
        bits = self._bits
        if bits is None:
            bits = self._bits = self._streams.bit_generator("params")
        pos = self._pos
        if index != pos:
            bits.advance((index - pos) % _SPAN)
        self._pos = index + 1 if index + 1 < _SPAN else 0
        word: int = bits.random_raw()  # a Python int when no size is given
        return word


class ParamStream:
    """The run's parameter stream: one PCG64 (seeded from the run's SeedSequence), in which every
    parameter path owns its own stretch, reached by jumping ahead (``PCG64.advance``).

    So a parameter's draws depend on its path and the seed alone: adding, removing or reordering a
    force, inject or decision leaves every other parameter's draws as they were (common random
    numbers between variants). The n-th draw of a path is ``Generator.random()``'s formula applied
    to the stream's word at ``path_offset(path) + n``.
    """

    __slots__ = ("_paths", "_words")

    def __init__(self, streams: _Streams) -> None:
        self._words = _ParamWords(streams)  # the paths' draws share it (and do not point back here)
        self._paths: dict[str, PathDraws] = {}

    def at(self, path: str) -> PathDraws:
        d = self._paths.get(path)
        if d is None:
            d = self._paths[path] = PathDraws(self._words, path_offset(path))
        return d


class PathDraws:
    """One parameter path's uniform draws (a :class:`~sim.scenario.draws.Draws`)."""

    __slots__ = ("_n", "_offset", "_words")

    def __init__(self, words: _ParamWords, offset: int) -> None:
        self._words, self._offset, self._n = words, offset, 0

    def random(self) -> float:
        n = self._n
        self._n = n + 1
        return (self._words.word((self._offset + n) % _SPAN) >> 11) * _TO_UNIT


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


class _Env(simpy.Environment):
    """The run's SimPy environment: SimPy's own, which also keeps the processes started in it, so
    that :meth:`World.release` can let go of them once the run is over. (Being a subclass, it is not
    bound to SimPy's event classes when made: ``BoundClass.bind_early`` binds those of the
    instance's own class only, and those bound methods would be a reference cycle of their own.)"""

    def __init__(self) -> None:
        super().__init__()
        self.processes: list[simpy.Process] = []

    # SimPy's own, made cheaper to reach: the clock is read several hundred times a run, and
    # SimPy's property is a Python function (this getter is not); ``timeout`` and ``event`` are
    # plain methods, where SimPy's BoundClass would make a bound method at every call (not being
    # bound early, see above). Same events, made and scheduled the same way.
    if TYPE_CHECKING:
        @property
        def now(self) -> float: ...
    else:
        now = property(operator.attrgetter("_now"), doc="The current simulation time.")

    def timeout(self, delay: float = 0, value: Any = None) -> Timeout:
        return Timeout(self, delay, value)

    def event(self) -> Event:
        return Event(self)

    def process(self, generator: ProcessGenerator) -> simpy.Process:
        p = simpy.Process(self, generator)
        self.processes.append(p)
        return p


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


def _r6(v: float | None) -> float | None:
    return None if v is None or v == float("inf") else round(v, 6)


class World:
    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence, keep_trace: bool = True) -> None:
        self.s = self.scenario = scenario
        self.env = _Env()
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
            fs.echelons = {p.id: EchelonState(p) for p in force_echelons(fs.id, fs.spec)}
            if fs.stage == IN_PLACE:
                fs.strength_in_place = fs.spec.strength
                for es in fs.echelons.values():
                    es.stage, es.times["in_place"] = "in_place", 0.0
        self.by_echelons = any(fs.echelons for fs in forces.values())  # the trace shows strengths and places
        self.lift_pools: dict[str, Any] = {}  # the lift pools in use (sim.engine.lift), made on first request
        # the forces that count towards each (side, domain) presence, in scenario order
        self._presence_forces: dict[tuple[str, str], list[ForceState]] = {
            k: [forces[fid] for fid in fids] for k, fids in plan.presence_forces.items()}
        self._committed = 0.0  # troops of axes committed at once
        self.ramps: Ramps | None = None  # the commitment ramps, when an axis ramps or runs between places
        self._encounters: Encounters | None = None  # the encounter clock (and counts), when there is one
        self.encounter_factor = 1.0
        self.measures = dict(plan.measures)
        self.measure_opened = {m: 0.0 for m, on in self.measures.items() if on}  # hour each first opened
        self.measure_failed: set[str] = set()  # failed measures stay off

        self.measure_p: float | None = None  # p_incident x active measure factors (measure_product), until one switches
        self.axis_start: dict[str, float] = {}
        self.axis_arrival: dict[str, float] = {}
        self.axis_position: dict[str, AxisPosition] = {}  # axes between places: where each stands
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

    def release(self) -> None:
        """The run is over: break the reference cycles its processes, events and parts made, so that
        the world and everything it holds is freed by reference counting once the result lets go of
        it, rather than left to the cyclic garbage collector (some 540 objects a run, whose collection
        cost a default-settings process about a sixth of a run's CPU). The state (what the result's
        snapshot reads) is left as it is; no process or event of the run can be resumed after this."""
        env = self.env
        for p in env.processes:
            if p._value is PENDING:  # waiting on its target (whose callbacks hold it) when the run stopped
                target = p._target
                if target is not None and target.callbacks:
                    target.callbacks.clear()
                p._generator.close()  # its frame (which holds the world) goes; the engine has no finally
        env.processes.clear()
        for *_, ev in env._queue:  # events still scheduled: their callbacks hold processes and closures
            if ev.callbacks:
                ev.callbacks.clear()
        env._queue.clear()
        for waiting in self._waiting.values():
            waiting.clear()
        self.presence_watchers.clear()
        if self.ramps is not None:
            self.ramps.listeners.clear()
        # the parts keep reading the world (the snapshot asks the tension its value now, say), but no
        # longer keep it alive: only the result (through its snapshot) does
        me = cast("World", weakref.proxy(self))
        for part in (getattr(self, "tension", None), self._encounters, self.ramps, *self.lift_pools.values()):
            if part is not None:
                part.w = me

    # --- randomness -------------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        """The Generator of one of the run's named streams (``STREAMS``): independent of the others,
        so drawing more from one (say, more encounters) never shifts another's numbers."""
        return self.streams.generator(name)

    def draws(self, path: str) -> PathDraws:
        """The draws of the scenario parameter at ``path`` (as ``--set`` names it, e.g.
        ``forces.vjtf.notice_to_move_h``): the same for a seed whatever else the scenario holds."""
        return self._params.at(path)

    def sample(self, dist: Dist, path: str) -> float:
        """One draw of the scenario parameter at ``path``, distributed as ``dist``.

        A fixed value is returned without drawing: a path's draws are its own stretch of the params
        stream (nothing else's draws depend on how many it took), and every draw at a path is of the
        one distribution the scenario gives there, so the draw a fixed value would consume (and
        ignore) changes nothing any run gives, and costs a jump of the stream."""
        if type(dist) is Fixed:
            return dist.value
        return dist.sample(self._params.at(path))

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

    @property
    def committed_troops(self) -> float:
        """Adversary troops committed now: axes committed at once, and the ramps' troops at this hour
        (to 6 places, so that a total computed to cross a value reaches it)."""
        ramps = self.ramps
        if ramps is None:
            return self._committed
        return r6(self._committed + ramps.total(self.env.now))

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
        if stage == IN_PLACE and not fs.echelons:
            fs.strength_in_place = fs.spec.strength
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
        self._committed += troops
        self.axis_start[aid] = self.env.now

    def axis_started(self, aid: str) -> None:
        """A ramped axis is committed now (its ramp counts its troops)."""
        self.axis_start[aid] = self.env.now

    def axis_moved(self, aid: str, km: float, t_h: float, rate_kmh: float, leg: int,
                   span: tuple[float, float] = (0.0, 0.0)) -> None:
        """A routed axis stood ``km`` along at hour ``t_h`` on ``leg`` (which runs over ``span`` km of the
        axis), moving at ``rate_kmh``."""
        self.axis_position[aid] = AxisPosition(km, t_h, rate_kmh, leg, *span)

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

    @property
    def encounter_clock(self) -> Encounters | None:
        """The encounter clock (with its counts by domain, class and measure), if the scenario has one."""
        return self._encounters

    def measure_product(self) -> float:
        """``p_incident`` times the factors of the active measures, multiplied in the scenario's
        order (the same floating-point product every time); cached until a measure switches."""
        p = self.measure_p
        if p is None:
            d = self.s.deconfliction
            assert d is not None  # only encounters ask, and only a scenario with deconfliction has them
            # on a severity ladder (no p_incident) the product of the uniform factors alone; the encounter
            # clock grades each class with each measure's own factors (deconfliction.Encounters.shares)
            p = 1.0 if d.p_incident is None else d.p_incident
            for mid, active in self.measures.items():
                f = d.measures[mid].factor
                if active and f is not None:
                    p *= f
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

    def attach_ramps(self, ramps: Ramps) -> None:
        self.ramps = ramps

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
        for es in fs.echelons.values():  # an echelon's step under way, or the next one it starts
            if es.stage != "in_place":
                if es.timed:
                    es.due += hours
                else:
                    es.carry += hours
        if self.keep_trace:
            self.record(DelayEffectRecord(actor=actor, facts=list(facts), cause=cause, force=fid, name=fs.spec.name,
                                          delay_h=round(hours, 4)))

    def set_measure(self, mid: str, active: bool, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        """Switch measure ``mid``; the record cites the measure's own facts when the effect cites none.
        A failed measure stays off (switching it on does nothing, and is not recorded)."""
        if active and mid in self.measure_failed:
            return
        self.measures[mid] = active
        if active:
            self.measure_opened.setdefault(mid, self.env.now)
        self.measure_p = None  # the cached product of active measure factors is stale
        if self.keep_trace:
            d = self.s.deconfliction
            assert d is not None  # the reference check saw the measure
            spec = d.measures[mid]
            self.record(MeasureEffectRecord(actor=actor, facts=list(facts or spec.facts), cause=cause, measure=mid,
                                            name=spec.name, active=active))

    def fail_measure(self, mid: str, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        """Measure ``mid`` fails: off now and for the rest of the run."""
        self.measure_failed.add(mid)
        self.measures[mid] = False
        self.measure_p = None
        if self.keep_trace:
            d = self.s.deconfliction
            assert d is not None  # the reference check saw the measure
            spec = d.measures[mid]
            self.record(MeasureFailEffectRecord(actor=actor, facts=list(facts or spec.facts), cause=cause,
                                                measure=mid, name=spec.name))

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

    def pause_commitment(self, aid: str, paused: bool, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        self._commitment_record(aid, "pause" if paused else "resume", actor, cause, facts)
        assert self.ramps is not None  # validation lets commitment effects name ramped axes only
        self.ramps.pause(aid, paused)

    def scale_commitment(self, aid: str, factor: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        self._commitment_record(aid, "accelerate", actor, cause, facts, factor=factor)
        assert self.ramps is not None  # validation lets commitment effects name ramped axes only
        self.ramps.scale(aid, factor)

    def reinforce_axis(self, aid: str, troops: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        self._commitment_record(aid, "reinforce", actor, cause, facts, troops=troops)
        assert self.ramps is not None  # validation lets commitment effects name ramped axes only
        self.ramps.reinforce(aid, troops)

    def _commitment_record(self, aid: str, change: Literal["pause", "resume", "accelerate", "reinforce"],
                           actor: str, cause: Source, facts: Sequence[str], factor: float | None = None,
                           troops: float | None = None) -> None:
        if self.keep_trace:
            assert self.s.adversary is not None  # the reference check saw the axis
            self.record(CommitmentEffectRecord(actor=actor, facts=list(facts), cause=cause, axis=aid,
                                               name=self.s.adversary.axes[aid].name, change=change, factor=factor,
                                               troops=troops))

    def axis_positions(self) -> dict[str, dict[str, Any]]:
        """Each axis running between places: km along (now), its rate, the last place passed and the next."""
        out: dict[str, dict[str, Any]] = {}
        adversary = self.s.adversary
        if adversary is None:
            return out
        now = self.env.now
        for aid, p in self.axis_position.items():
            a = adversary.axes[aid]
            route = a.route
            km = p.km + p.rate_kmh * (now - p.t_h)
            span = p.leg_to_km - p.leg_from_km
            last = route[min(p.leg, len(route) - 1)] if route else ""
            nxt = route[p.leg + 1] if route and p.leg + 1 < len(route) else ""
            out[aid] = {"km_along": round(km, 3), "rate_kmh": round(p.rate_kmh, 6), "last_place": last,
                        "last_place_name": self.s.places[last].name if last else "", "next_place": nxt,
                        "next_place_name": self.s.places[nxt].name if nxt else "",
                        "leg": p.leg, "leg_share": round(min(max((km - p.leg_from_km) / span, 0.0), 1.0), 6)
                        if span > 0 else 1.0,
                        "arrived": aid in self.axis_arrival,
                        "troops": round(self.ramps.on_axis(aid, now), 3) if self.ramps and aid in self.ramps.ramps
                        else a.troops if aid in self.axis_start else 0.0}
        return out

    def presence(self, side: str, domain: str) -> float:
        """The strength in place of ``side`` in ``domain`` (a force by echelons counts those in place)."""
        return sum(fs.strength_in_place * fs.presence_scale for fs in self._presence_forces.get((side, domain), ())
                   if fs.stage == IN_PLACE or (fs.echelons and fs.strength_in_place))

    def on_station(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for fs in self.forces.values():
            if fs.stage == IN_PLACE:
                side = out.setdefault(fs.spec.side, {})
                side[fs.spec.unit] = side.get(fs.spec.unit, 0) + fs.spec.strength
                for k, v in fs.spec.includes.items():
                    side[k] = side.get(k, 0) + v
            elif fs.echelons and fs.strength_in_place:  # part of it in place (its included elements with the last)
                side = out.setdefault(fs.spec.side, {})
                side[fs.spec.unit] = side.get(fs.spec.unit, 0) + fs.strength_in_place
        return out

    # --- echelons (sim.engine.forces and sim.engine.lift move them through these) ----------
    def echelon_stage(self, fs: ForceState, es: EchelonState, stage: str, *, notice_h: float | None = None,
                      lift_h: float | None = None, transit_h: float | None = None,
                      arrival_h: float | None = None) -> None:
        """Echelon ``es`` of ``fs`` reaches ``stage`` now; ``fields`` go to its typed record
        (notice_h, lift_h, transit_h, arrival_h). In place, its strength counts as the force's."""
        now = self.env.now
        es.stage, es.timed = stage, False
        es.times[stage] = now
        if stage == "moving":
            es.departed_h, es.arrival_h = now, arrival_h
        if stage == "in_place":
            fs.strength_in_place += es.plan.strength
        if self.keep_trace:
            p, spec = es.plan, fs.spec
            places = self.s.places
            event = "departed" if stage == "moving" else stage
            self.record(EchelonRecord(
                actor=fs.id, facts=list(p.facts or spec.facts), force=fs.id, echelon=p.id, name=p.name,
                force_name=spec.name, event=event, strength=p.strength, unit=spec.unit,  # type: ignore[arg-type]
                notice_h=_r6(notice_h), lift_h=_r6(lift_h), transit_h=_r6(transit_h), arrival_h=_r6(arrival_h),
                mode=p.movement.mode if p.movement is not None else None, origin=p.origin, destination=p.destination,
                origin_name=places[p.origin].name if p.origin in places else None,
                destination_name=places[p.destination].name if p.destination in places else None,
                strength_in_place=fs.strength_in_place if stage == "in_place" else None))
        if stage == "in_place":
            self.notify("force", presence=True)

    def lift_pool(self, key: str, make: Callable[[], Any]) -> Any:
        """The run's lift pool ``key`` (sim.engine.lift), made by ``make`` on first use."""
        pool = self.lift_pools.get(key)
        if pool is None:
            pool = self.lift_pools[key] = make()
        return pool

    def echelon_timed(self, es: EchelonState, hours: float) -> None:
        """``es`` begins a timed step of ``hours`` from now (plus any delay met while it was not timed)."""
        es.due = self.env.now + max(hours, 0.0) + es.carry
        es.carry, es.timed = 0.0, True

    def positions(self) -> dict[str, dict[str, EchelonPosition]]:
        """Where each echelon of the forces that move by echelons is now."""
        return {fid: {eid: EchelonPosition(stage=es.stage, strength=es.plan.strength, place=es.place,
                                           origin=es.plan.origin, destination=es.plan.destination,
                                           departed_h=None if es.departed_h is None else round(es.departed_h, 6),
                                           arrival_h=None if es.arrival_h is None else round(es.arrival_h, 6))
                      for eid, es in fs.echelons.items()}
                for fid, fs in self.forces.items() if fs.echelons}

    def snapshot(self, brief: bool = False) -> dict[str, Any]:
        """The state now. ``brief``: only what a checkpoint's metrics read (the run-wide quantities, the
        forces' states, what is on station, strength in place), which is all a checkpoint of a run
        without a trace keeps: the rest (positions of axes and echelons, events, measures) is left out."""
        now = self.env.now
        committed = self.committed_troops
        adversary = self.s.adversary
        snap: dict[str, Any] = {} if brief else {"t_h": round(now, 6), "time": self.calendar(now)}
        snap["tension"] = round(self.tension.value(), 4)
        snap["rung"] = rung = self.tension.rung
        snap["rung_name"] = self.s.escalation.rungs[rung].name
        snap["encounters"] = self.encounters
        snap["incidents"] = self.incidents
        snap["committed_troops"] = committed
        snap["committed_share"] = (r6(committed / adversary.massed_troops)
                                   if adversary and adversary.massed_troops else None)
        snap["forces"] = {fid: fs.state for fid, fs in self.forces.items()}
        snap["on_station"] = self.on_station()
        if not brief:
            snap["measures"] = dict(self.measures)
            snap["events"] = sorted(self.happened_at)
            if self.axis_position:
                snap["axes"] = self.axis_positions()
        if self.by_echelons:
            snap["strength_in_place"] = {fid: fs.strength_in_place for fid, fs in self.forces.items()}
            if not brief:
                snap["echelons"] = {fid: {eid: {"stage": es.stage, "strength": es.plan.strength, "place": es.place,
                                                "origin": es.plan.origin, "destination": es.plan.destination,
                                                "departed_h": None if es.departed_h is None else round(es.departed_h, 6),
                                                "arrival_h": None if es.arrival_h is None else round(es.arrival_h, 6)}
                                          for eid, es in fs.echelons.items()}
                                    for fid, fs in self.forces.items() if fs.echelons}
        return snap
