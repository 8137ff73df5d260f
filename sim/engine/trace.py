"""Trace records and the run result: the only things consumers of the engine read.

A trace is an ordered list of typed records, one dataclass per kind (``InjectRecord``,
``ForceRecord``, ``TensionRecord``, ...; effects one per effect, all of kind ``effect``). Every
record has the simulated hour, the calendar time, the actor and the fact ids behind it, and
the ids and values of what happened as fields: consumers read the fields. Each record's
:attr:`~Record.text` is narrative derived from those fields, for display only (timelines,
boards); nothing reads it back.

JSON from here is deterministic: sorted keys, no wall-clock fields. The JSON Lines trace
(``crisis-sim run --trace FILE``) is one record per line, ``text`` included; the first (the
``start`` record) carries ``trace_format``, the version of this layout. :func:`trace_schema`
gives its JSON Schema (``crisis-sim schema --trace``), generated from these dataclasses.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from math import floor
from typing import Any, Literal

# the cause of a change is defined below the engine (effects pass it on); records carry it
from ..scenario.causes import DECAY as DECAY
from ..scenario.causes import Source as Source
from ..scenario.causes import SourceKind as SourceKind

TRACE_FORMAT = 2  # 1: records with free-form ``state`` dicts; 2: typed records (this module)



def r6(x: float) -> float:
    """``x`` to 6 decimal places (halves rounded up), as metrics and states report hours and levels.

    ``round(x, 6)`` gives the same for all but exact halves, at five times the cost (it goes
    through a decimal conversion), and a run rounds over a hundred values.
    """
    return floor(x * 1e6 + 0.5) / 1e6


def decayed(v0: float, floor: float, half_life_h: float, dt_h: float) -> float:
    """Tension ``dt_h`` hours after it stood at ``v0``, decaying towards ``floor`` with ``half_life_h``:
    the engine's tension between two changes, and how readers of a trace get it between two
    :class:`TensionRecord` (the one formula, used by both)."""
    f: float = 2.0 ** (-dt_h / half_life_h)
    return floor + (v0 - floor) * f


@dataclass(slots=True, kw_only=True)
class Record:
    """What every record has; the world fills ``seq``, ``t_h`` and ``time`` when it records one."""

    kind: str = ""
    seq: int = 0
    t_h: float = 0.0
    time: str = ""
    actor: str = ""
    facts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:  # pragma: no cover - every kind below has its own
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["text"] = self.text
        return d


@dataclass(slots=True, kw_only=True)
class StartRecord(Record):
    """H-hour: the trace's format version, the scenario, the initial tension (with its floor and
    half-life), rung and force states."""

    kind: Literal["start"] = "start"
    trace_format: int = TRACE_FORMAT
    scenario: str
    title: str
    tension: float          # initial tension (not below the floor)
    floor: float
    half_life_h: float
    rung: int
    forces: dict[str, str]  # force id -> initial state

    @property
    def text(self) -> str:
        return f"{self.title}: H-hour"


@dataclass(slots=True, kw_only=True)
class InjectRecord(Record):
    """An inject delivered: its id, title and message apart, with its MSEL fields."""

    kind: Literal["inject"] = "inject"
    inject: str
    title: str
    message: str            # what the players are told
    sender: str = ""
    recipient: str = ""
    expected_action: str = ""
    adhoc: bool = False     # written at a workshop's table (not in the scenario)

    @property
    def text(self) -> str:
        return f"{self.title}: {self.message}"


@dataclass(slots=True, kw_only=True)
class SignalRecord(Record):
    """A signal effect: an event that conditions can wait on."""

    kind: Literal["signal"] = "signal"
    event: str

    @property
    def text(self) -> str:
        return self.event


@dataclass(slots=True, kw_only=True)
class ForceRecord(Record):
    """A force moved on to a state (with the notice to move or transit time drawn for the step it starts)."""

    kind: Literal["force"] = "force"
    force: str
    name: str
    state: str
    notice_h: float | None = None   # the notice to move drawn (on activation)
    transit_h: float | None = None  # the transit time drawn (on deploying)

    @property
    def text(self) -> str:
        note = (f" (notice to move {self.notice_h:.0f} h)" if self.notice_h is not None
                else f" (transit {self.transit_h:.0f} h)" if self.transit_h is not None else "")
        return f"{self.name}: {self.state.replace('_', ' ')}{note}"


EchelonEvent = Literal["ready", "staging", "departed", "arrived", "in_place"]


@dataclass(slots=True, kw_only=True)
class EchelonRecord(Record):
    """An echelon of a force moved on: ready (``notice_h`` drawn), staging at its origin, departed
    (the first of it leaves; ``arrival_h`` is when the last of it lands), arrived at its
    destination, in place (``strength_in_place`` is the force's total from then on)."""

    kind: Literal["echelon"] = "echelon"
    force: str
    echelon: str
    name: str               # the echelon's name
    force_name: str
    event: EchelonEvent
    strength: float         # the echelon's strength, in the force's unit
    unit: str
    mode: str | None = None         # air, sea, rail, road (None: no movement given, the force's transit_h)
    origin: str | None = None       # place ids
    destination: str | None = None
    origin_name: str | None = None  # the places' names
    destination_name: str | None = None
    notice_h: float | None = None   # ready: the notice to move drawn (None: ready on a condition)
    lift_h: float | None = None     # departed: hours the lift takes to move all of it
    transit_h: float | None = None  # departed: hours from leaving the origin to landing
    arrival_h: float | None = None  # departed: the hour the last of it arrives
    strength_in_place: float | None = None  # in place: the force's strength in place now

    @property
    def text(self) -> str:
        named = self.force_name if self.name == self.force_name else f"{self.force_name}, {self.name}"
        who = f"{named} ({self.strength:,.0f} {self.unit})"
        if self.event == "ready":
            return f"{who}: ready" + (f" (notice to move {self.notice_h:.0f} h)" if self.notice_h is not None else "")
        if self.event == "staging":
            return f"{who}: staging" + (f" at {self.origin_name or self.origin}" if self.origin else "")
        if self.event == "departed":
            by = f" by {self.mode}" if self.mode else ""
            where = f" from {self.origin_name or self.origin}" if self.origin else ""
            eta = f", last of it due H+{self.arrival_h:.0f}" if self.arrival_h is not None else ""
            return f"{who}: departs{where}{by}{eta}"
        if self.event == "arrived":
            return f"{who}: arrived" + (f" at {self.destination_name or self.destination}" if self.destination else "")
        total = f" ({self.strength_in_place:,.0f} {self.unit} in place)" if self.strength_in_place is not None else ""
        return f"{who}: in place{total}"


@dataclass(slots=True, kw_only=True)
class EchelonPosition:
    """Where an echelon is at a checkpoint: its stage and place (None while it moves)."""

    stage: str              # waiting, ready, staging, moving, arrived, in_place
    strength: float
    place: str | None       # place id where it is (origin before departure, destination on arrival)
    origin: str | None
    destination: str | None
    departed_h: float | None = None
    arrival_h: float | None = None


@dataclass(slots=True, kw_only=True)
class DecisionRecord(Record):
    """A decision taken: the decision point, the option, its label and the team that took it."""

    kind: Literal["decision"] = "decision"
    decision: str
    title: str
    option: str
    label: str
    team: str
    rationale: str = ""
    source: str = "default"

    @property
    def text(self) -> str:
        return f"{self.title}: {self.label}"


@dataclass(slots=True, kw_only=True)
class PendingRecord(Record):
    """A decision point waiting for an answer: the run pauses here."""

    kind: Literal["pending"] = "pending"
    decision: str
    title: str
    team: str
    options: list[str]

    @property
    def text(self) -> str:
        return f"Decision needed: {self.title}"


@dataclass(slots=True, kw_only=True)
class AxisRecord(Record):
    """An adversary axis committed (its troops, the running total) or arrived at its objective."""

    kind: Literal["axis"] = "axis"
    axis: str
    name: str
    event: Literal["committed", "arrived"]
    troops: float
    committed_troops: float
    objective: str = ""

    @property
    def text(self) -> str:
        if self.event == "arrived":
            return f"{self.name}: reaches {self.objective or 'its objective'}"
        if not self.troops:  # a ramp: its troops follow, as its commitment records say
            return f"{self.name}: committed, its troops to follow (total {self.committed_troops:,.0f})"
        return f"{self.name}: {self.troops:,.0f} troops committed (total {self.committed_troops:,.0f})"


_GRADED = ("severity", "name", "place")  # the fields of a graded encounter (None on the p_incident model)


def _graded_dict(rec: Record) -> dict[str, Any]:
    """``rec`` as a dict without the graded fields it does not have (so that p_incident traces keep
    their layout, byte for byte)."""
    d = Record.to_dict(rec)
    for k in _GRADED:
        if d.get(k, 0) is None:
            del d[k]
    return d
CommitmentState = Literal["committing", "capped", "massed", "paused"]


@dataclass(slots=True, kw_only=True)
class CommitmentRecord(Record):
    """An axis's rate of commitment changed (a ramp started, a step of its schedule, its cap or the
    massed force reached, a pause, an acceleration or reinforcement): troops a day, before and after."""

    kind: Literal["commitment"] = "commitment"
    axis: str
    name: str
    state: CommitmentState
    rate_per_day: float          # troops a day from now on
    rate_before_per_day: float
    axis_troops: float           # committed on this axis so far
    cap: float                   # what the axis can commit (its troops and reinforcements)
    committed_troops: float      # committed on all axes so far

    @property
    def text(self) -> str:
        now = f"{self.axis_troops:,.0f} of {self.cap:,.0f} committed, total {self.committed_troops:,.0f}"
        if self.state == "committing":
            return f"{self.name}: commits {self.rate_per_day:,.0f} troops a day ({now})"
        why = {"capped": "all its troops committed", "massed": "the massed force is all committed",
               "paused": "commitment paused"}[self.state]
        return f"{self.name}: {why} ({now})"


AdvanceCause = Literal["set_off", "defenders", "commitment", "leg"]


@dataclass(slots=True, kw_only=True)
class AdvanceRecord(Record):
    """An axis's rate of advance changed on a leg, and why: the force ratio against the defenders
    in place at the place the leg leads to (attacker and defender combat values in battalion
    equivalents; ``ratio`` None when nobody defends it)."""

    kind: Literal["advance"] = "advance"
    axis: str
    name: str
    leg: int                     # 0 for the first leg
    from_place: str
    to_place: str
    to_name: str
    km_along: float              # from the start of the axis
    cause: AdvanceCause
    attacker: float
    defender: float
    ratio: float | None
    share: float                 # of the unopposed rate, from the force-ratio table
    rate_before_kmh: float
    rate_kmh: float
    defenders: list[str] = field(default_factory=list)   # force ids

    @property
    def text(self) -> str:
        odds = "unopposed" if self.ratio is None else f"ratio {self.ratio:.2f}:1 against the defenders"
        if self.rate_kmh == 0:
            return f"{self.name}: halted before {self.to_name} ({odds}, km {self.km_along:,.1f})"
        return (f"{self.name}: advances on {self.to_name} at {self.rate_kmh:.2f} km/h ({odds}, "
                f"km {self.km_along:,.1f})")


@dataclass(slots=True, kw_only=True)
class WaypointRecord(Record):
    """An axis reached one of its places (a waypoint or its objective)."""

    kind: Literal["waypoint"] = "waypoint"
    axis: str
    name: str
    place: str
    place_name: str
    km_along: float
    objective: bool

    @property
    def text(self) -> str:
        return f"{self.name}: reaches {self.place_name}" + (" (its objective)" if self.objective else "")


@dataclass(slots=True, kw_only=True)
class EncounterRecord(Record):
    """An encounter between the two sides' forces, deconflicted (on a severity ladder: graded at its
    least severe class, ``severity``; the graver classes are :class:`IncidentRecord`)."""

    kind: Literal["encounter"] = "encounter"
    domain: str
    p: float                # the incident probability it faced (a ladder: the chance of a class above routine)
    encounters: int         # encounters so far
    severity: str | None = None  # severity class id (a severity ladder only)
    name: str | None = None      # the severity class's name
    place: str | None = None     # place id of the domain's area, if the scenario gives one

    @property
    def text(self) -> str:
        if self.name is not None:
            return f"{self.domain.capitalize()} encounter: {self.name.lower()}"
        return f"{self.domain.capitalize()} encounter deconflicted"

    def to_dict(self) -> dict[str, Any]:
        return _graded_dict(self)


@dataclass(slots=True, kw_only=True)
class IncidentRecord(Record):
    """An encounter that turned into an incident, and the tension it adds (on a severity ladder:
    its class, one graver than routine)."""

    kind: Literal["incident"] = "incident"
    domain: str
    p: float
    incidents: int          # incidents so far
    tension_delta: float
    severity: str | None = None  # severity class id (a severity ladder only)
    name: str | None = None      # the severity class's name
    place: str | None = None     # place id of the domain's area, if the scenario gives one

    @property
    def text(self) -> str:
        if self.name is not None:
            return f"{self.domain.capitalize()} encounter: {self.name} (tension +{self.tension_delta:.1f})"
        return f"{self.domain.capitalize()} encounter turns into an incident (tension +{self.tension_delta:.1f})"

    def to_dict(self) -> dict[str, Any]:
        return _graded_dict(self)


@dataclass(slots=True, kw_only=True)
class TensionRecord(Record):
    """A change of tension by a jump (an effect or an incident) or a new floor: the value just
    before and just after, and its cause. Between two of these tension decays towards ``floor``
    with the scenario's half-life (:func:`decayed`)."""

    kind: Literal["tension"] = "tension"
    change: Literal["jump", "floor"]
    before: float
    after: float
    floor: float
    delta: float | None = None      # the amount added (a jump)
    cause: Source

    @property
    def text(self) -> str:
        what = f"tension floor set to {self.floor:g}" if self.change == "floor" else f"tension {self.delta or 0.0:+.1f}"
        return f"{what} ({self.before:.1f} \u2192 {self.after:.1f}, {self.cause.text})"


@dataclass(slots=True, kw_only=True)
class RungRecord(Record):
    """The escalation ladder moved: by a jump (``before``/``after`` the jump) or by decay
    (``before`` = ``after`` = tension as it crossed the rung's threshold)."""

    kind: Literal["rung"] = "rung"
    rung: int
    from_rung: int
    name: str
    before: float
    after: float
    cause: Source

    @property
    def text(self) -> str:
        if self.cause.kind is SourceKind.DECAY:
            return f"Escalation eases to rung {self.rung}: {self.name}"
        verb = "climbs" if self.rung > self.from_rung else "drops"
        return f"Escalation {verb} to rung {self.rung}: {self.name} ({self.cause.text})"


# --- effects: kind "effect", told apart by ``effect`` -----------------------------------
@dataclass(slots=True, kw_only=True)
class OrderEffectRecord(Record):
    """An alert, activation or deployment ordered by an inject or decision."""

    kind: Literal["effect"] = "effect"
    effect: Literal["order"] = "order"
    cause: Source
    force: str
    name: str
    order: Literal["alert", "activate", "deploy"]

    @property
    def text(self) -> str:
        return f"{self.order} ordered: {self.name}"


@dataclass(slots=True, kw_only=True)
class HoldEffectRecord(Record):
    """A force held at readiness, or released."""

    kind: Literal["effect"] = "effect"
    effect: Literal["hold"] = "hold"
    cause: Source
    force: str
    name: str
    held: bool              # False: released

    @property
    def text(self) -> str:
        return f"{self.name} {'held at readiness' if self.held else 'released'}"


@dataclass(slots=True, kw_only=True)
class DelayEffectRecord(Record):
    """A delay added to a force's current step."""

    kind: Literal["effect"] = "effect"
    effect: Literal["delay"] = "delay"
    cause: Source
    force: str
    name: str
    delay_h: float

    @property
    def text(self) -> str:
        return f"{self.name} delayed {self.delay_h:.1f} h"


@dataclass(slots=True, kw_only=True)
class MeasureEffectRecord(Record):
    """A deconfliction measure switched on or off."""

    kind: Literal["effect"] = "effect"
    effect: Literal["measure"] = "measure"
    cause: Source
    measure: str
    name: str
    active: bool

    @property
    def text(self) -> str:
        return f"deconfliction measure {self.name} {'on' if self.active else 'off'}"


@dataclass(slots=True, kw_only=True)
class MeasureFailEffectRecord(Record):
    """A deconfliction measure failed: off for the rest of the run."""

    kind: Literal["effect"] = "effect"
    effect: Literal["measure_fail"] = "measure_fail"
    cause: Source
    measure: str
    name: str

    @property
    def text(self) -> str:
        return f"deconfliction measure {self.name} fails"


@dataclass(slots=True, kw_only=True)
class PresenceEffectRecord(Record):
    """A force's presence (for encounters) scaled."""

    kind: Literal["effect"] = "effect"
    effect: Literal["presence"] = "presence"
    cause: Source
    force: str
    name: str
    factor: float           # the force's presence scale from now on

    @property
    def text(self) -> str:
        return f"{self.name} presence x{self.factor:g}"


@dataclass(slots=True, kw_only=True)
class EncounterFactorEffectRecord(Record):
    """Every encounter rate scaled."""

    kind: Literal["effect"] = "effect"
    effect: Literal["encounter_factor"] = "encounter_factor"
    cause: Source
    factor: float           # this effect's factor
    encounter_factor: float  # the product of all so far

    @property
    def text(self) -> str:
        return f"encounter rate x{self.factor:g}"


@dataclass(slots=True, kw_only=True)
class CommitmentEffectRecord(Record):
    """An axis's commitment paused, resumed, accelerated (``factor``) or reinforced (``troops``)."""

    kind: Literal["effect"] = "effect"
    effect: Literal["commitment"] = "commitment"
    cause: Source
    axis: str
    name: str
    change: Literal["pause", "resume", "accelerate", "reinforce"]
    factor: float | None = None
    troops: float | None = None

    @property
    def text(self) -> str:
        if self.change == "accelerate":
            return f"{self.name}: commitment rate x{self.factor:g}"
        if self.change == "reinforce":
            return f"{self.name}: reinforced by {self.troops:,.0f} troops"
        return f"{self.name}: commitment {'paused' if self.change == 'pause' else 'resumed'}"


EffectRecord = (OrderEffectRecord | HoldEffectRecord | DelayEffectRecord | MeasureEffectRecord
                | MeasureFailEffectRecord | PresenceEffectRecord | EncounterFactorEffectRecord
                | CommitmentEffectRecord)
EFFECT_TYPES: tuple[type[Record], ...] = (OrderEffectRecord, HoldEffectRecord, DelayEffectRecord, MeasureEffectRecord,
                                          MeasureFailEffectRecord, PresenceEffectRecord, EncounterFactorEffectRecord,
                                          CommitmentEffectRecord)


@dataclass(slots=True, kw_only=True)
class CheckpointRecord(Record):
    """A checkpoint: its id and title, and the posture at that hour."""

    kind: Literal["checkpoint"] = "checkpoint"
    checkpoint: str
    title: str
    tension: float
    rung: int
    committed_troops: float
    encounters: int
    incidents: int
    forces: dict[str, str]                      # force id -> state
    on_station: dict[str, dict[str, float]]     # side -> unit -> amount in place
    # only in scenarios with forces that move by echelons (left out of the JSON otherwise):
    strength_in_place: dict[str, float] | None = None           # force id -> strength in place
    echelons: dict[str, dict[str, EchelonPosition]] | None = None  # force id -> echelon id -> position

    @property
    def text(self) -> str:
        return f"Checkpoint: {self.title}"

    def to_dict(self) -> dict[str, Any]:
        d = Record.to_dict(self)
        for k in ("strength_in_place", "echelons"):
            if d[k] is None:
                del d[k]
        return d


@dataclass(slots=True, kw_only=True)
class EndRecord(Record):
    """The end of the run (not written when the run pauses at a decision)."""

    kind: Literal["end"] = "end"
    tension: float
    rung: int

    @property
    def text(self) -> str:
        return f"End of simulation at H+{self.t_h:g}"


RECORD_TYPES: tuple[type[Record], ...] = (
    StartRecord, InjectRecord, SignalRecord, ForceRecord, EchelonRecord, DecisionRecord, PendingRecord, AxisRecord,
    CommitmentRecord, AdvanceRecord, WaypointRecord, EncounterRecord, IncidentRecord, TensionRecord, RungRecord,
    *EFFECT_TYPES, CheckpointRecord, EndRecord)
# the kinds of record, in that order (every effect record is of kind "effect")
KINDS: tuple[str, ...] = tuple(dict.fromkeys(str(t.__dataclass_fields__["kind"].default) for t in RECORD_TYPES))


def trace_schema() -> dict[str, Any]:
    """The JSON Schema of one line of the JSON Lines trace, generated from the record dataclasses
    (a union told apart by ``kind``, and for effects by ``effect``)."""
    from typing import Annotated, Union

    from pydantic import Field, TypeAdapter

    others = tuple(t for t in RECORD_TYPES if t not in EFFECT_TYPES)
    effect = Annotated[Union[EFFECT_TYPES], Field(discriminator="effect")]  # type: ignore[valid-type]  # noqa: UP007
    line = Annotated[Union[(*others, effect)], Field(discriminator="kind")]  # type: ignore[valid-type]
    sch = TypeAdapter(line).json_schema(mode="serialization")
    for name, d in sch.get("$defs", {}).items():
        if name.endswith("Record"):  # the narrative every line carries, derived from the fields
            d["properties"]["text"] = {"type": "string", "title": "Text",
                                       "description": "narrative derived from the other fields, for display only"}
            d["required"] = sorted(set(d.get("required", [])) | {"text", "kind"})
            d["additionalProperties"] = False
    sch["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    sch["title"] = f"crisis-sim trace record (trace_format {TRACE_FORMAT})"
    return sch


@dataclass
class Outcome:
    """One objective measured on one run."""

    id: str
    title: str
    metric: str
    target: str
    value: float | None
    met: bool


@dataclass
class Result:
    """One run's outcome. ``state`` (the world's state at the end: forces, tension, measures, events)
    is taken from ``snapshot`` when first read, so runs whose state nobody reads (a batch's) never
    take it; the result is equal to, and pickles as, one holding the state itself."""

    scenario: str
    scenario_hash: str
    seed: Any
    horizon_h: float
    metrics: dict[str, float | None]
    objectives: dict[str, Outcome]
    decisions: list[dict[str, Any]]
    trace: list[Record]
    snapshot: Callable[[], dict[str, Any]] = field(repr=False, compare=False)
    pending: dict[str, Any] | None = None
    _state: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def state(self) -> dict[str, Any]:
        st = self._state
        if st is None:
            st = self._state = self.snapshot()
            self.snapshot = partial(dict, st)  # lets go of the world it was taken from
        return st

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in (
            "scenario", "scenario_hash", "seed", "horizon_h", "metrics", "objectives", "decisions", "trace",
            "state", "pending"))

    def __getstate__(self) -> dict[str, Any]:
        st = self.state
        return {**self.__dict__, "snapshot": partial(dict, st)}

    def to_dict(self, trace: bool = True) -> dict[str, Any]:
        d = {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "horizon_h": self.horizon_h,
            "metrics": self.metrics,
            "objectives": {k: asdict(v) for k, v in self.objectives.items()},
            "decisions": self.decisions,
            "state": self.state,
            "pending": self.pending,
        }
        if trace:
            d["trace"] = [r.to_dict() for r in self.trace]
        return d

    def to_json(self, trace: bool = True, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(trace), sort_keys=True, indent=indent, ensure_ascii=False)

    def trace_jsonl(self) -> str:
        return "".join(json.dumps(r.to_dict(), sort_keys=True, ensure_ascii=False) + "\n" for r in self.trace)

    def events(self, kind: str) -> list[Record]:
        return [r for r in self.trace if r.kind == kind]
