"""Effects: what an inject or a decision option does, one class per kind.

Written in YAML as a mapping with exactly one key, the kind::

    effects: [{hold: vjtf}, {tension: {dist: uniform, low: 2, high: 6}}, {delay: {force: vjtf, hours: 12}}]

Each class knows three things, so that a new kind is one class (and its tests):

- ``apply(target, ctx)``: carry itself out against an :class:`EffectTarget` (the engine's world
  implements it; this layer never imports the engine), drawing any sampled amount from
  ``ctx.draws``; the target's narrow methods record what changed (a typed trace record naming
  ``ctx.cause``) when the trace is kept;
- ``references()``: the ids of forces, measures and axes it names (checked by
  :mod:`.references`, each at its own field);
- ``moves()`` and ``random_amount()``: what it can change (a force's times, an event, an axis,
  tension, encounters, incidents) and whether by a drawn amount (read by :mod:`.dependencies`
  to prune sensitivity runs), and ``signals()``, the named events it records (metrics measure
  them, conditions may wait on them).

The kind is read from the one key given (a callable discriminator, as for conditions), so a
problem is reported at the effect's own field.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Protocol, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    Tag,
    model_serializer,
    model_validator,
)

from .causes import Source
from .distributions import Dist
from .draws import Draws

Order = Literal["alert", "activate", "deploy"]
RefKind = Literal["force", "measure", "axis"]
Moved = Literal["force", "event", "axis", "tension", "encounters", "incidents"]
MAX_FACTOR = 10.0  # a presence or encounter-rate factor beyond x10 is no longer a posture change


class EffectTarget(Protocol):
    """What an effect may do to the simulation state (the engine's World implements it). Each
    method records its own change (when the trace is kept), with who did it (``actor``), why
    (``cause``) and the ``facts`` cited."""

    def mark(self, event: str, actor: str = "", facts: Sequence[str] = (), record: bool = True) -> None: ...
    def order_force(self, fid: str, order: Order, actor: str, cause: Source, facts: Sequence[str] = ()) -> None: ...
    def hold_force(self, fid: str, held: bool, actor: str, cause: Source, facts: Sequence[str] = ()) -> None: ...
    def delay_force(self, fid: str, hours: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None: ...
    def set_measure(self, mid: str, active: bool, actor: str, cause: Source, facts: Sequence[str] = ()) -> None: ...
    def fail_measure(self, mid: str, actor: str, cause: Source, facts: Sequence[str] = ()) -> None:
        """Measure ``mid`` fails: off from now on, whatever its opening times or switches say."""
        ...
    def scale_presence(self, fid: str, factor: float, actor: str, cause: Source,
                       facts: Sequence[str] = ()) -> None: ...
    def scale_encounters(self, factor: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> float:
        """Multiply the encounter rates by ``factor``; the combined factor now in force."""
        ...
    def add_tension(self, amount: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None: ...
    def set_tension_floor(self, level: float, actor: str, cause: Source, facts: Sequence[str] = ()) -> None: ...
    def commit_axis(self, aid: str, actor: str, facts: Sequence[str] = ()) -> None: ...
    def pause_commitment(self, aid: str, paused: bool, actor: str, cause: Source,
                         facts: Sequence[str] = ()) -> None: ...
    def scale_commitment(self, aid: str, factor: float, actor: str, cause: Source,
                         facts: Sequence[str] = ()) -> None: ...
    def reinforce_axis(self, aid: str, troops: float, actor: str, cause: Source,
                       facts: Sequence[str] = ()) -> None: ...


class EffectContext(NamedTuple):
    """Who applies effects and why: ``actor`` (an id) is recorded as who did it, ``facts`` are
    cited, ``cause`` (the inject or decision option) is what the records name; ``draws`` gives
    sampled amounts."""

    actor: str
    facts: Sequence[str]
    cause: Source
    draws: Draws


class Ref(NamedTuple):
    """An id an effect names: what kind of thing, the id, and the field (under the effect) giving it."""

    kind: RefKind
    id: str
    path: tuple[str, ...]


class Moves(NamedTuple):
    """Something an effect can change: a force's times, an event, an axis (each by id), or the
    run-wide tension, encounters or incidents (id empty)."""

    what: Moved
    id: str = ""


def _named(what: str) -> AfterValidator:
    def check(v: str) -> str:
        if not v.strip():
            raise ValueError(f"empty: give {what}")
        return v
    return AfterValidator(check)


ForceId = Annotated[str, _named("a force id")]
AxisId = Annotated[str, _named("an axis id")]
MeasureId = Annotated[str, _named("a measure id")]
EventName = Annotated[str, _named("an event name")]

# The form every effect took in the hash of a scenario before effects were one class per kind: all
# thirteen keys, None for those not given. ``content_hash`` keeps it, so that the hashes stored in
# results databases and session logs stay valid; a kind added later is hashed in its own form.
HASH_CONTEXT = {"effect_form": "v1"}
_V1_KEYS = ("signal", "tension", "tension_floor", "alert", "activate", "deploy", "hold", "release", "delay",
            "measure", "presence", "commit", "encounter_rate_factor")


class EffectBase(BaseModel):
    """One thing an inject or a decision option does. Exactly one key per effect."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: ClassVar[str]  # the one key, as written in YAML

    @model_validator(mode="before")
    @classmethod
    def _one_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) > 1:
            given = [k for k in data if k in _TAG]
            if len(given) > 1:
                raise ValueError(f"an effect has exactly one key, got {given}")
        return data

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if info.context == HASH_CONTEXT and self.kind in _V1_KEYS:
            out = {k: None for k in _V1_KEYS} | out
        return out

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        """Carry the effect out (every kind says how)."""
        raise NotImplementedError

    def references(self) -> tuple[Ref, ...]:
        """The ids it names (none unless a kind says so)."""
        return ()

    def moves(self) -> tuple[Moves, ...]:
        """What it can change. Every kind must say (no default): an effect that moved a force's
        times without saying so would be pruned from sensitivity runs of that force's metrics."""
        raise NotImplementedError

    def random_amount(self) -> bool:
        """Whether the amount it applies is drawn (so depends on every earlier draw of its stream)."""
        return False

    def signals(self) -> tuple[str, ...]:
        return ()


class SignalEffect(EffectBase):
    kind = "signal"
    signal: EventName = Field(description="record a named event")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.mark(self.signal, ctx.actor, ctx.facts)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("event", self.signal),)

    def signals(self) -> tuple[str, ...]:
        return (self.signal,)


class TensionEffect(EffectBase):
    kind = "tension"
    tension: Dist = Field(description="add to tension (negative lowers it)")

    def random_amount(self) -> bool:
        return self.tension.dist != "fixed"

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.add_tension(self.tension.sample(ctx.draws), ctx.actor, ctx.cause, ctx.facts)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("tension"),)


class TensionFloorEffect(EffectBase):
    kind = "tension_floor"
    tension_floor: float = Field(ge=0, description="set the level tension decays towards")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.set_tension_floor(self.tension_floor, ctx.actor, ctx.cause, ctx.facts)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("tension"),)


class _ForceEffect(EffectBase):
    """An effect aimed at one force, named by its one key."""

    @property
    def force(self) -> str:
        raise NotImplementedError

    def references(self) -> tuple[Ref, ...]:
        return (Ref("force", self.force, (self.kind,)),)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("force", self.force),)


class _OrderEffect(_ForceEffect):
    """An order that moves a force on without waiting for its condition."""

    order: ClassVar[Order]

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.order_force(self.force, self.order, ctx.actor, ctx.cause, ctx.facts)


class AlertEffect(_OrderEffect):
    kind = order = "alert"
    alert: ForceId = Field(description="force id to put on alert")

    @property
    def force(self) -> str:
        return self.alert


class ActivateEffect(_OrderEffect):
    kind = order = "activate"
    activate: ForceId = Field(description="force id to activate")

    @property
    def force(self) -> str:
        return self.activate


class DeployEffect(_OrderEffect):
    kind = order = "deploy"
    deploy: ForceId = Field(description="force id to deploy once ready")

    @property
    def force(self) -> str:
        return self.deploy


class _HoldReleaseEffect(_ForceEffect):
    held: ClassVar[bool]

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.hold_force(self.force, self.held, ctx.actor, ctx.cause, ctx.facts)


class HoldEffect(_HoldReleaseEffect):
    kind, held = "hold", True
    hold: ForceId = Field(description="force id to hold at readiness (no deployment)")

    @property
    def force(self) -> str:
        return self.hold


class ReleaseEffect(_HoldReleaseEffect):
    kind, held = "release", False
    release: ForceId = Field(description="force id released from hold")

    @property
    def force(self) -> str:
        return self.release


class Delay(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    force: ForceId
    hours: Dist


class DelayEffect(EffectBase):
    kind = "delay"
    delay: Delay = Field(description="add hours to a force's current readiness step")

    def random_amount(self) -> bool:
        return self.delay.hours.dist != "fixed"

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.delay_force(self.delay.force, self.delay.hours.sample(ctx.draws), ctx.actor, ctx.cause, ctx.facts)

    def references(self) -> tuple[Ref, ...]:
        return (Ref("force", self.delay.force, ("delay", "force")),)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("force", self.delay.force),)


class MeasureSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    id: MeasureId
    active: bool = True
    fail: bool = Field(False, description="the measure fails: off for the rest of the run (its opening time and "
                       "later switches no longer turn it on)")

    @model_validator(mode="after")
    def _fail_or_switch(self) -> MeasureSwitch:
        if self.fail and "active" in self.model_fields_set:
            raise ValueError("give active (a switch) or fail: true (off for good), not both")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if not self.fail:  # a switch keeps the form it had before measures could fail (and its content hash)
            out.pop("fail", None)
        return out


class MeasureEffect(EffectBase):
    kind = "measure"
    measure: MeasureSwitch = Field(description="switch a deconfliction measure on or off, or make it fail")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        if self.measure.fail:
            target.fail_measure(self.measure.id, ctx.actor, ctx.cause, ctx.facts)
        else:
            target.set_measure(self.measure.id, self.measure.active, ctx.actor, ctx.cause, ctx.facts)

    def references(self) -> tuple[Ref, ...]:
        return (Ref("measure", self.measure.id, ("measure", "id")),)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("incidents"),)


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    force: ForceId
    factor: float = Field(ge=0, le=MAX_FACTOR)


class PresenceEffect(EffectBase):
    kind = "presence"
    presence: Scale = Field(description="scale a force's presence in encounters (0 to 10)")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.scale_presence(self.presence.force, self.presence.factor, ctx.actor, ctx.cause, ctx.facts)

    def references(self) -> tuple[Ref, ...]:
        return (Ref("force", self.presence.force, ("presence", "force")),)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("encounters"),)


class CommitEffect(EffectBase):
    kind = "commit"
    commit: AxisId = Field(description="adversary axis id to commit now")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.commit_axis(self.commit, ctx.actor, ctx.facts)

    def references(self) -> tuple[Ref, ...]:
        return (Ref("axis", self.commit, ("commit",)),)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("axis", self.commit),)


class _AxisEffect(EffectBase):
    """An effect on one axis's commitment."""

    @property
    def axis(self) -> str:
        raise NotImplementedError

    @property
    def _ref_path(self) -> tuple[str, ...]:
        return (self.kind,)

    def references(self) -> tuple[Ref, ...]:
        return (Ref("axis", self.axis, self._ref_path),)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("axis", self.axis),)


class PauseCommitmentEffect(_AxisEffect):
    kind = "pause_commitment"
    pause_commitment: AxisId = Field(description="axis id whose commitment ramp pauses")

    @property
    def axis(self) -> str:
        return self.pause_commitment

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.pause_commitment(self.axis, True, ctx.actor, ctx.cause, ctx.facts)


class ResumeCommitmentEffect(_AxisEffect):
    kind = "resume_commitment"
    resume_commitment: AxisId = Field(description="axis id whose paused commitment ramp resumes")

    @property
    def axis(self) -> str:
        return self.resume_commitment

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.pause_commitment(self.axis, False, ctx.actor, ctx.cause, ctx.facts)


class AxisFactor(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    axis: AxisId
    factor: float = Field(ge=0, le=MAX_FACTOR)


class AccelerateCommitmentEffect(_AxisEffect):
    kind = "accelerate_commitment"
    accelerate_commitment: AxisFactor = Field(description="multiply an axis's commitment rate (0 to 10)")

    @property
    def axis(self) -> str:
        return self.accelerate_commitment.axis

    @property
    def _ref_path(self) -> tuple[str, ...]:
        return (self.kind, "axis")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.scale_commitment(self.axis, self.accelerate_commitment.factor, ctx.actor, ctx.cause, ctx.facts)


class AxisTroops(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    axis: AxisId
    troops: float = Field(gt=0, le=1e8)


class ReinforceAxisEffect(_AxisEffect):
    kind = "reinforce_axis"
    reinforce_axis: AxisTroops = Field(description="add troops to what an axis commits (within the massed force)")

    @property
    def axis(self) -> str:
        return self.reinforce_axis.axis

    @property
    def _ref_path(self) -> tuple[str, ...]:
        return (self.kind, "axis")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.reinforce_axis(self.axis, self.reinforce_axis.troops, ctx.actor, ctx.cause, ctx.facts)


class EncounterRateEffect(EffectBase):
    kind = "encounter_rate_factor"
    encounter_rate_factor: float = Field(ge=0, le=MAX_FACTOR, description="scale all encounter rates (0 to 10)")

    def apply(self, target: EffectTarget, ctx: EffectContext) -> None:
        target.scale_encounters(self.encounter_rate_factor, ctx.actor, ctx.cause, ctx.facts)

    def moves(self) -> tuple[Moves, ...]:
        return (Moves("encounters"),)


def _which(v: Any) -> str | None:
    """The tag of the class for ``v``: the class of its first key that names a kind."""
    if isinstance(v, EffectBase):
        return type(v).__name__
    if isinstance(v, dict):
        for k in v:
            tag = _TAG.get(k)
            if tag is not None:
                return tag
    return None


_Kinds = Union[  # noqa: UP007 - the members carry their tags
    Annotated[SignalEffect, Tag("SignalEffect")],
    Annotated[TensionEffect, Tag("TensionEffect")],
    Annotated[TensionFloorEffect, Tag("TensionFloorEffect")],
    Annotated[AlertEffect, Tag("AlertEffect")],
    Annotated[ActivateEffect, Tag("ActivateEffect")],
    Annotated[DeployEffect, Tag("DeployEffect")],
    Annotated[HoldEffect, Tag("HoldEffect")],
    Annotated[ReleaseEffect, Tag("ReleaseEffect")],
    Annotated[DelayEffect, Tag("DelayEffect")],
    Annotated[MeasureEffect, Tag("MeasureEffect")],
    Annotated[PresenceEffect, Tag("PresenceEffect")],
    Annotated[CommitEffect, Tag("CommitEffect")],
    Annotated[EncounterRateEffect, Tag("EncounterRateEffect")],
    Annotated[PauseCommitmentEffect, Tag("PauseCommitmentEffect")],
    Annotated[ResumeCommitmentEffect, Tag("ResumeCommitmentEffect")],
    Annotated[AccelerateCommitmentEffect, Tag("AccelerateCommitmentEffect")],
    Annotated[ReinforceAxisEffect, Tag("ReinforceAxisEffect")],
]
EFFECT_CLASSES: tuple[type[EffectBase], ...] = tuple(get_args(member)[0] for member in get_args(_Kinds))
KINDS: tuple[str, ...] = tuple(c.kind for c in EFFECT_CLASSES)
_TAG: dict[str, str] = {c.kind: c.__name__ for c in EFFECT_CLASSES}
# the tags pydantic puts in an error's location (the loader drops them from the field path)
EFFECT_TAGS: frozenset[str] = frozenset(_TAG.values())

Effect = Annotated[
    _Kinds,
    Discriminator(_which, custom_error_type="effect",
                  custom_error_message=f"an effect needs exactly one of the keys {', '.join(KINDS)}"),
]
