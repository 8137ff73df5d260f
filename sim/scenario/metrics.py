"""The metrics a scenario's runs measure: one typed :class:`MetricSpec` per metric.

The engine measures these on every run; objectives name one of them. Derived from the
scenario alone (:func:`metric_registry`, worked out once per scenario object), so the loader
can reject an objective whose metric no run would ever measure, and every consumer (the
engine's plan, reports, charts, the workshop, sensitivity pruning, ``crisis-sim metrics``)
reads a spec's fields (its kind, unit, title and the force, event, axis, checkpoint, side or
unit it is about) instead of parsing the dotted name.

The names are the public keys of results (``run().metrics``), objectives and batches:

* run-wide quantities, e.g. ``incidents``, ``peak_tension`` (:data:`RUN`);
* ``force.FORCE.STATE_h`` (hour a force reached a state) and
  ``force.FORCE.{ready,in_place}_after_activation_h``;
* ``event.EVENT.h`` (hour an inject fired, a decision was taken, a signal was sent, an axis
  was committed or arrived);
* ``axis.AXIS.start_h`` and ``axis.AXIS.arrival_h``;
* at each checkpoint: ``checkpoint.CP.QUANTITY`` (:data:`AT_CHECKPOINT`),
  ``checkpoint.CP.force.FORCE.stage`` and ``checkpoint.CP.on_station.SIDE.UNIT``;
* with a severity ladder: ``encounters.DOMAIN``, ``encounters.DOMAIN.CLASS``, ``severity.CLASS``
  (all domains), ``measure.MEASURE.opened_h`` and ``measure.MEASURE.uses``. ``incidents`` then
  counts the encounters of every class above the first (routine).

How to add a metric: add its :class:`Family` (or a quantity to :data:`RUN` /
:data:`AT_CHECKPOINT`) and its spec here, and its reader in :mod:`sim.engine.metrics`; the
engine refuses a plan with a family or quantity it cannot read.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from ..memo import per_object
from .conditions import FORCE_STATES, ForceState
from .model import Scenario


class MetricKind(StrEnum):
    """What sort of number a metric is."""

    TIME = "time"    # an hour: after H-hour, or after the force's activation
    COUNT = "count"  # how many (encounters, incidents, troops, aircraft on station ...)
    SHARE = "share"  # a fraction between 0 and 1
    LEVEL = "level"  # a position on a scale (tension, the escalation rung)
    STATE = "state"  # a state coded as a number (a force's readiness stage)


class Family(StrEnum):
    """Which part of a run a metric is read from: one engine reader per family."""

    RUN = "run"                                  # a run-wide quantity at the horizon (``quantity``)
    FORCE_TIME = "force_time"                    # hour ``force`` reached ``state``
    FORCE_AFTER_ACTIVATION = "force_after_activation"  # hours from its activation to ``state``
    EVENT = "event"                              # hour ``event`` happened
    AXIS_START = "axis_start"                    # hour ``axis`` was committed and set off
    AXIS_ARRIVAL = "axis_arrival"                # hour ``axis`` reached its objective
    CHECKPOINT = "checkpoint"                    # a run-wide ``quantity`` at ``checkpoint``
    CHECKPOINT_STAGE = "checkpoint_stage"        # readiness stage of ``force`` at ``checkpoint``
    CHECKPOINT_ON_STATION = "checkpoint_on_station"  # ``element`` of ``side`` in place at ``checkpoint``
    ENCOUNTER_DOMAIN = "encounter_domain"        # encounters in ``domain`` (a severity ladder only)
    ENCOUNTER_CLASS = "encounter_class"          # encounters in ``domain`` graded ``severity``
    SEVERITY = "severity"                        # encounters graded ``severity``, all domains
    MEASURE_OPENED = "measure_opened"            # hour ``measure`` first opened (a severity ladder only)
    MEASURE_USES = "measure_uses"                # encounters ``measure`` lowered the severity of
    # forces that move by echelons (sim/scenario/movement.py)
    FORCE_ECHELON_IN_PLACE = "force_echelon_in_place"  # hour ``echelon`` of ``force`` was in place
    FORCE_FIRST_IN_PLACE = "force_first_in_place"      # hour the first echelon of ``force`` was in place
    FORCE_SHARE_IN_PLACE = "force_share_in_place"      # hour at least ``share`` of ``force``'s strength was in place
    CHECKPOINT_STRENGTH = "checkpoint_strength"        # strength of ``force`` in place at ``checkpoint``


ALWAYS = "never: always measured"  # the none_means of a metric that always has a value


@dataclass(frozen=True)
class Quantity:
    """A run-wide quantity: its kind, unit, title and description (the title's words for a
    checkpoint read "Tension at Friday noon")."""

    kind: MetricKind
    unit: str
    title: str
    description: str
    none_means: str = ALWAYS
    scale: str = ""  # "rungs", "massed" or "ladder": the description names the scenario's rungs, massed troops
    #                  or the severity classes counted


# the run-wide quantities measured at the horizon, in the order results list them
RUN: dict[str, Quantity] = {
    "encounters": Quantity(MetricKind.COUNT, "encounters", "Encounters",
                           "Encounters between the two sides' forces in place over the whole run "
                           "(deconflicted ones and those that became incidents)."),
    "incidents": Quantity(MetricKind.COUNT, "incidents", "Incidents",
                          "Encounters that became incidents over the whole run.", scale="ladder"),
    "incident_share": Quantity(MetricKind.SHARE, "share of encounters",
                               "Share of encounters that became incidents",
                               "Incidents divided by encounters over the whole run (0 to 1).",
                               "no encounter happened, so there is no share"),
    "peak_tension": Quantity(MetricKind.LEVEL, "tension points", "Peak tension",
                             "The highest tension reached during the run."),
    "final_tension": Quantity(MetricKind.LEVEL, "tension points", "Final tension",
                              "Tension at the end of the run (the horizon)."),
    "peak_rung": Quantity(MetricKind.LEVEL, "rung", "Peak escalation rung",
                          "The highest rung of the escalation ladder reached during the run.", scale="rungs"),
    "final_rung": Quantity(MetricKind.LEVEL, "rung", "Final escalation rung",
                           "The rung of the escalation ladder at the end of the run (the horizon).", scale="rungs"),
    "committed_troops": Quantity(MetricKind.COUNT, "troops", "Troops committed",
                                 "Adversary troops committed to their axes of advance by the end of the run.",
                                 scale="massed"),
    "committed_share": Quantity(MetricKind.SHARE, "share of the massed force", "Share of the massed force committed",
                                "Adversary troops committed by the end of the run divided by the troops massed "
                                "(0 to 1).", "the scenario has no adversary (or none massed)", scale="massed"),
}

# the run-wide quantities snapshot at each checkpoint, in the order results list them
AT_CHECKPOINT: dict[str, Quantity] = {
    "tension": Quantity(MetricKind.LEVEL, "tension points", "Tension", "Tension at the checkpoint."),
    "rung": Quantity(MetricKind.LEVEL, "rung", "Escalation rung", "The rung of the escalation ladder at the checkpoint.",
                     scale="rungs"),
    "encounters": Quantity(MetricKind.COUNT, "encounters", "Encounters",
                           "Encounters between the two sides' forces from H-hour up to the checkpoint."),
    "incidents": Quantity(MetricKind.COUNT, "incidents", "Incidents",
                          "Encounters that became incidents from H-hour up to the checkpoint.", scale="ladder"),
    "committed_troops": Quantity(MetricKind.COUNT, "troops", "Troops committed",
                                 "Adversary troops committed to their axes of advance by the checkpoint.",
                                 scale="massed"),
    "committed_share": Quantity(MetricKind.SHARE, "share of the massed force", "Share of the massed force committed",
                                "Adversary troops committed by the checkpoint divided by the troops massed (0 to 1).",
                                "the scenario has no adversary (or none massed)", scale="massed"),
}

# the force states whose hour is measured (``force.F.<state>_h``), and those also measured after activation
FORCE_TIMED = cast(tuple[ForceState, ...], FORCE_STATES[1:])  # every state after standby
AFTER_ACTIVATION: tuple[ForceState, ...] = ("ready", "in_place")

NEVER = "did not happen within the horizon"
CHECKPOINT_LATE = "the checkpoint falls after the horizon"


@dataclass(frozen=True)
class MetricSpec:
    """One metric: what it is, in what unit, what ``None`` means, and what it is about.

    The subject fields (``force``, ``state``, ``event``, ``inject``, ``decision``, ``axis``,
    ``checkpoint``, ``side``, ``element``, ``quantity``) are None where they do not apply;
    ``family`` says which are set and where the engine reads the value.
    """

    name: str
    kind: MetricKind
    unit: str
    title: str
    description: str
    none_means: str
    family: Family
    quantity: str | None = None     # RUN / CHECKPOINT: a key of RUN or AT_CHECKPOINT
    force: str | None = None        # force id
    state: ForceState | None = None  # the force state reached (FORCE_TIME, FORCE_AFTER_ACTIVATION)
    event: str | None = None        # event name, as conditions name it (an inject id, decision.D, axis.A.committed)
    inject: str | None = None       # the inject behind the event, if any
    decision: str | None = None     # the decision point behind the event, if any
    axis: str | None = None         # axis id (AXIS_*, and the axis events)
    checkpoint: str | None = None   # checkpoint id
    side: str | None = None         # side id (CHECKPOINT_ON_STATION)
    element: str | None = None      # what is counted on station: a force's unit or an included element
    domain: str | None = None       # encounter domain (air, sea, land)
    severity: str | None = None     # severity class id (ENCOUNTER_CLASS, SEVERITY)
    measure: str | None = None      # deconfliction measure id (MEASURE_*)
    echelon: str | None = None      # echelon id of ``force`` (FORCE_ECHELON_IN_PLACE)
    share: float | None = None      # share of the force's strength (FORCE_SHARE_IN_PLACE)
    short: str = ""                 # the metric as a sentence names it ("VJTF (France lead) in place"); "" = title

    @property
    def phrase(self) -> str:
        """The metric as a sentence names it: "VJTF (France lead) in place", "Peak tension"."""
        return self.short or self.title

    @property
    def is_time(self) -> bool:
        return self.kind is MetricKind.TIME

    @property
    def after_activation(self) -> bool:
        return self.family is Family.FORCE_AFTER_ACTIVATION

    def subject(self) -> dict[str, str]:
        """The subject fields that are set, e.g. ``{"force": "vjtf", "state": "in_place"}``."""
        keys = ("quantity", "force", "state", "event", "inject", "decision", "axis", "checkpoint", "side", "element",
                "domain", "severity", "measure", "echelon")
        out = {k: v for k in keys if (v := getattr(self, k)) is not None}
        if self.share is not None:
            out["share"] = f"{self.share:g}"
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, title, unit, kind, description, none_means, family and the subject."""
        return {"name": self.name, "title": self.title, "unit": self.unit, "kind": self.kind.value,
                "description": self.description, "none_means": self.none_means, "family": self.family.value,
                "subject": self.subject()}


def metric_label(spec: MetricSpec) -> str:
    """The title with its unit, as a reader sees a metric: "Peak tension (tension points)"; a time's
    title names its unit already ("VJTF (France lead): in place, hours after activation"), and so
    does a count of what its title is ("Incidents")."""
    if spec.kind is MetricKind.TIME or spec.title.lower() == spec.unit:
        return spec.title
    return f"{spec.title} ({spec.unit})"


def event_names(s: Scenario) -> set[str]:
    names = set(s.injects) | {f"decision.{d}" for d in s.decisions}
    effects = [e for i in s.injects.values() for e in i.effects]
    effects += [e for d in s.decisions.values() for o in d.options.values() for e in o.effects]
    names |= {name for e in effects for name in e.signals()}
    if s.adversary:
        for a in s.adversary.axes:
            names |= {f"axis.{a}.committed", f"axis.{a}.arrived"}
    return names


def units_on_station(s: Scenario) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for f in s.forces.values():
        out.add((f.side, f.unit))
        out |= {(f.side, k) for k in f.includes}
    return out


def _words(key: str) -> str:
    return key.replace("_", " ")


def _hours(since: str) -> str:
    return f"hours after {since}"


def _force_specs(s: Scenario, fid: str) -> Iterator[MetricSpec]:
    f = s.forces[fid]
    side = s.sides[f.side].name if f.side in s.sides else f.side
    who = f"{f.name} ({side}, {f.strength:,.0f} {f.unit})"
    for st in FORCE_TIMED:
        yield MetricSpec(
            f"force.{fid}.{st}_h", MetricKind.TIME, "h", f"{f.name}: {_words(st)}, {_hours('H-hour')}",
            f"The hour of the run at which {who} became {_words(st)}.",
            f"{f.name} did not become {_words(st)} within the horizon",
            Family.FORCE_TIME, force=fid, state=st, short=f"{f.name} {_words(st)}")
    for st in AFTER_ACTIVATION:
        yield MetricSpec(
            f"force.{fid}.{st}_after_activation_h", MetricKind.TIME, "h",
            f"{f.name}: {_words(st)}, {_hours('activation')}",
            f"Hours from the activation of {who} to it being {_words(st)}.",
            f"{f.name} was not activated, or not {_words(st)}, within the horizon",
            Family.FORCE_AFTER_ACTIVATION, force=fid, state=st, short=f"{f.name} {_words(st)}")


SHARES_IN_PLACE = (0.5, 1.0)  # the shares of a force's strength whose hour in place is measured


def _echelon_specs(s: Scenario, fid: str) -> Iterator[MetricSpec]:
    """A force that moves by echelons: each echelon's hour in place, the first's, and the hours
    at least half and all of its strength were in place."""
    from .movement import force_echelons  # movement imports the model, as this module does

    f = s.forces[fid]
    hrs = _hours("H-hour")
    plans = force_echelons(fid, f)
    if f.echelons:
        for p in plans:
            yield MetricSpec(
                f"force.{fid}.echelon.{p.id}.in_place_h", MetricKind.TIME, "h", f"{f.name}, {p.name}: in place, {hrs}",
                f"The hour of the run at which the echelon {p.name} of {f.name} ({p.strength:,.0f} {f.unit}) was in "
                "place (the last of it arrived and received).", f"{p.name} was not in place within the horizon",
                Family.FORCE_ECHELON_IN_PLACE, force=fid, echelon=p.id, short=f"{f.name}, {p.name} in place")
    yield MetricSpec(
        f"force.{fid}.first_echelon_in_place_h", MetricKind.TIME, "h", f"{f.name}: first echelon in place, {hrs}",
        f"The hour of the run at which the first echelon of {f.name} was in place.",
        f"no echelon of {f.name} was in place within the horizon", Family.FORCE_FIRST_IN_PLACE, force=fid,
        short=f"{f.name} first echelon in place")
    for share in SHARES_IN_PLACE:
        pct = f"{share:.0%}"
        yield MetricSpec(
            f"force.{fid}.in_place_{share * 100:.0f}pct_h", MetricKind.TIME, "h",
            f"{f.name}: {pct} of its strength in place, {hrs}",
            f"The hour of the run from which at least {pct} of {f.name}'s {f.strength:,.0f} {f.unit} were in place "
            "(counted by echelon).", f"less than {pct} of {f.name} was in place within the horizon",
            Family.FORCE_SHARE_IN_PLACE, force=fid, share=share, short=f"{pct} of {f.name} in place")


def _signal_sources(s: Scenario, name: str) -> list[str]:
    from .references import effects  # references imports this module

    out = []
    for path, e in effects(s):
        if name in e.signals():
            if path[0] == "injects":
                out.append(f"inject \u201c{s.injects[str(path[1])].title}\u201d")
            else:
                d = s.decisions[str(path[1])]
                out.append(f"decision \u201c{d.title}\u201d (option \u201c{d.options[str(path[3])].label}\u201d)")
    return list(dict.fromkeys(out))


def _event_specs(s: Scenario) -> Iterator[MetricSpec]:
    """One time per event, in the order of the event names: each built from what the event is
    (an inject, a decision point, an axis committed or arriving, else a signal)."""
    hrs = _hours("H-hour")
    known: dict[str, MetricSpec] = {}
    if s.adversary:
        for aid, a in s.adversary.axes.items():
            for what, words in (("committed", "troops committed"), ("arrived", "reaches its objective")):
                ev = f"axis.{aid}.{what}"
                known[ev] = MetricSpec(
                    f"event.{ev}.h", MetricKind.TIME, "h", f"{a.name}: {words}, {hrs}",
                    f"The hour of the run at which the {a.name} ({a.troops:,.0f} troops) "
                    + (f"reached {a.objective or 'its objective'}." if what == "arrived" else "was committed."),
                    NEVER, Family.EVENT, event=ev, axis=aid, short=f"{a.name} {words}")
    for did, d in s.decisions.items():
        ev = f"decision.{did}"
        team = s.sides[d.team].name if d.team in s.sides else d.team
        known[ev] = MetricSpec(
            f"event.{ev}.h", MetricKind.TIME, "h", f"Decision \u201c{d.title}\u201d taken: {hrs}",
            f"The hour of the run at which the decision \u201c{d.title}\u201d ({team}) was taken, whichever option.",
            NEVER, Family.EVENT, event=ev, decision=did, short=f"Decision \u201c{d.title}\u201d")
    for iid, inj in s.injects.items():
        by = _signal_sources(s, iid)
        known[iid] = MetricSpec(
            f"event.{iid}.h", MetricKind.TIME, "h", f"Inject \u201c{inj.title}\u201d: {hrs}",
            f"The hour of the run at which the inject \u201c{inj.title}\u201d fired"
            + (f" (or its id was signalled, by {' or '.join(by)})." if by else "."),
            NEVER, Family.EVENT, event=iid, inject=iid, short=inj.title)
    for ev in sorted(event_names(s)):
        if ev in known:
            yield known[ev]
            continue
        by = _signal_sources(s, ev)
        yield MetricSpec(f"event.{ev}.h", MetricKind.TIME, "h", f"Signal \u201c{_words(ev)}\u201d: {hrs}",
                         f"The hour of the run at which the signal \u201c{ev}\u201d was first sent"
                         + (f", by {' or '.join(by)}." if by else "."), NEVER, Family.EVENT, event=ev,
                         short=f"Signal \u201c{_words(ev)}\u201d")


def _axis_specs(s: Scenario, aid: str) -> Iterator[MetricSpec]:
    a = s.adversary.axes[aid] if s.adversary else None
    assert a is not None
    hrs = _hours("H-hour")
    yield MetricSpec(f"axis.{aid}.start_h", MetricKind.TIME, "h", f"{a.name}: advance starts, {hrs}",
                     f"The hour of the run at which the {a.name} committed its {a.troops:,.0f} troops and set off.",
                     NEVER, Family.AXIS_START, axis=aid, short=f"{a.name} sets off")
    far = (f"{a.distance_km:,.0f} km" if isinstance(a.distance_km, float | int)
           else "distance " + a.distance_km.describe() if a.distance_km is not None
           else "by " + ", ".join(s.places[p].name if p in s.places else p for p in a.route[1:]))
    yield MetricSpec(f"axis.{aid}.arrival_h", MetricKind.TIME, "h", f"{a.name}: arrival, {hrs}",
                     f"The hour of the run at which the {a.name} reached {a.objective or 'its objective'} "
                     f"({far}).", f"{NEVER} (not committed, halted, or still on its way)",
                     Family.AXIS_ARRIVAL, axis=aid, short=f"{a.name} arrives")


def _described(s: Scenario, q: Quantity) -> str:
    """A quantity's description with the scenario's scale: the rungs' names, the massed troops."""
    if q.scale == "rungs":
        return q.description + " Rungs: " + ", ".join(f"{i} {r.name}" for i, r in enumerate(s.escalation.rungs)) + "."
    if q.scale == "ladder":
        lad = s.deconfliction.severity if s.deconfliction else None
        if lad is None:
            return q.description
        return q.description + " On the severity ladder: every encounter graver than the first class (" + ", ".join(
            c.name.lower() for c in lad.classes[1:]) + f"; not {lad.classes[0].name.lower()})."
    if q.scale == "massed" and s.adversary:
        who = s.sides[s.adversary.side].name if s.adversary.side in s.sides else s.adversary.side
        return q.description + f" {who} massed {s.adversary.massed_troops:,.0f}."
    return q.description


def _checkpoint_specs(s: Scenario, cid: str, units: list[tuple[str, str]]) -> Iterator[MetricSpec]:
    at = s.checkpoints[cid].title
    for k, q in AT_CHECKPOINT.items():
        yield MetricSpec(f"checkpoint.{cid}.{k}", q.kind, q.unit, f"{q.title} at {at}",
                         f"{_described(s, q)} (checkpoint \u201c{at}\u201d)", CHECKPOINT_LATE, Family.CHECKPOINT,
                         quantity=k, checkpoint=cid)
    stages = ", ".join(f"{i} {_words(st)}" for i, st in enumerate(FORCE_STATES))
    for fid, f in s.forces.items():
        yield MetricSpec(f"checkpoint.{cid}.force.{fid}.stage", MetricKind.STATE, "stage",
                         f"{f.name}: readiness stage at {at}",
                         f"The readiness state of {f.name} at the checkpoint \u201c{at}\u201d as a number: {stages}.",
                         CHECKPOINT_LATE, Family.CHECKPOINT_STAGE, force=fid, checkpoint=cid)
    from .movement import has_echelons

    for fid, f in s.forces.items():
        if has_echelons(f):
            yield MetricSpec(f"checkpoint.{cid}.force.{fid}.in_place", MetricKind.COUNT, f.unit,
                             f"{f.name}: {f.unit} in place at {at}",
                             f"The strength of {f.name} in place at the checkpoint \u201c{at}\u201d ({f.unit}, "
                             f"of {f.strength:,.0f}; counted by echelon).", CHECKPOINT_LATE, Family.CHECKPOINT_STRENGTH,
                             force=fid, checkpoint=cid)
    for side, u in units:
        who = s.sides[side].name if side in s.sides else side
        forces = [f.name for f in s.forces.values() if f.side == side and (f.unit == u or u in f.includes)]
        yield MetricSpec(f"checkpoint.{cid}.on_station.{side}.{u}", MetricKind.COUNT, _words(u),
                         f"{who} {_words(u)} on station at {at}",
                         f"{_words(u).capitalize()} of {who} forces in place at the checkpoint \u201c{at}\u201d, "
                         f"counted over {', '.join(forces)}.", CHECKPOINT_LATE, Family.CHECKPOINT_ON_STATION,
                         checkpoint=cid, side=side, element=u)


def _encounter_specs(s: Scenario) -> Iterator[MetricSpec]:
    """On a severity ladder: encounters per domain and per class (in each domain and in all), and
    each deconfliction measure's opening hour and uses."""
    d = s.deconfliction
    if d is None or d.severity is None:
        return
    classes = d.severity.classes
    incident_words = ", ".join(c.name.lower() for c in classes[1:])
    for dom in sorted(d.encounter_rate):
        where = f" over {s.places[d.areas[dom]].name}" if dom in d.areas and d.areas[dom] in s.places else ""
        yield MetricSpec(f"encounters.{dom}", MetricKind.COUNT, "encounters", f"{dom.capitalize()} encounters",
                         f"Encounters in the {dom} domain{where} over the whole run, of every severity class.",
                         ALWAYS, Family.ENCOUNTER_DOMAIN, domain=dom)
    for c in classes:
        counted = "not an incident" if c is classes[0] else "counted in incidents"
        yield MetricSpec(f"severity.{c.id}", MetricKind.COUNT, "encounters", f"{c.name}: encounters, all domains",
                         f"Encounters graded \u201c{c.name}\u201d over the whole run, in every domain ({counted}; "
                         f"incidents are the classes {incident_words}).", ALWAYS, Family.SEVERITY,
                         severity=c.id, short=c.name)
        for dom in sorted(d.encounter_rate):
            yield MetricSpec(f"encounters.{dom}.{c.id}", MetricKind.COUNT, "encounters",
                             f"{c.name}: {dom} encounters",
                             f"Encounters in the {dom} domain graded \u201c{c.name}\u201d over the whole run "
                             f"({counted}).", ALWAYS, Family.ENCOUNTER_CLASS, domain=dom, severity=c.id,
                             short=f"{c.name} ({dom})")
    for mid, m in d.measures.items():
        yield MetricSpec(f"measure.{mid}.opened_h", MetricKind.TIME, "h", f"{m.name}: opened, {_hours('H-hour')}",
                         f"The hour of the run at which the measure \u201c{m.name}\u201d first became active "
                         f"(0: active from H-hour).", "the measure never opened within the horizon",
                         Family.MEASURE_OPENED, measure=mid, short=f"{m.name} opened")
        yield MetricSpec(f"measure.{mid}.uses", MetricKind.COUNT, "encounters", f"{m.name}: encounters handled",
                         f"Encounters the measure \u201c{m.name}\u201d handled: it was active and, without it, "
                         f"the same draw would have given a graver severity class.", ALWAYS,
                         Family.MEASURE_USES, measure=mid, short=f"{m.name} uses")


def _build(s: Scenario) -> dict[str, MetricSpec]:
    specs = [MetricSpec(k, q.kind, q.unit, q.title, _described(s, q), q.none_means, Family.RUN, quantity=k)
             for k, q in RUN.items()]
    from .movement import has_echelons

    for fid in s.forces:
        specs += _force_specs(s, fid)
        if has_echelons(s.forces[fid]):
            specs += _echelon_specs(s, fid)
    specs += _event_specs(s)
    if s.adversary:
        for aid in s.adversary.axes:
            specs += _axis_specs(s, aid)
    units = sorted(units_on_station(s))
    for cid in s.checkpoints:
        specs += _checkpoint_specs(s, cid, units)
    specs += _encounter_specs(s)
    return {m.name: m for m in specs}


_registry = per_object()(_build)


def metric_registry(s: Scenario) -> Mapping[str, MetricSpec]:
    """Every metric a run of ``s`` measures, by name, in the order results list them
    (worked out once per scenario object; do not change the mapping)."""
    return _registry(s)


def metric_names(s: Scenario) -> list[str]:
    return list(metric_registry(s))
