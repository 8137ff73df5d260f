"""The kinds of cause the "why" analysis can find, with their wording and corrective action.

Every :class:`~sim.report.causes.why.Why` has a :class:`CauseKind`; the category the report
shows (and counts across a batch) is :func:`wording` of the kind and its subject (a force's
name, an inject's title...), and the improvement plan's corrective action is :func:`action`
of the kind. Both tables are keyed by the enum, and a test checks that every kind has both.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ...scenario.metrics import metric_registry
from ...scenario.model import Scenario


class CauseKind(StrEnum):
    # force timing (force.<id>.<time>)
    LONG_NOTICE = "long_notice"
    SHORT_NOTICE = "short_notice"
    EARLY_ACTIVATION = "early_activation"
    EARLY_ALERT = "early_alert"
    LATE_ACTIVATION = "late_activation"
    LATE_ALERT = "late_alert"
    NEVER_ACTIVATED = "never_activated"
    NOT_READY = "not_ready"
    HELD = "held"
    WAIT_DEPLOY_ORDER = "wait_deploy_order"
    DEPLOY_ORDER_NEVER_GIVEN = "deploy_order_never_given"
    LONG_TRANSIT = "long_transit"
    STILL_IN_TRANSIT = "still_in_transit"
    DELAY_EFFECTS = "delay_effects"
    # escalation (peak_rung, peak_tension, ...): what made the jump over the line
    TENSION_LOW = "tension_low"
    TENSION_LEVEL = "tension_level"
    AIR_INCIDENT = "air_incident"
    SEA_INCIDENT = "sea_incident"
    LAND_INCIDENT = "land_incident"
    INJECT = "inject"
    DECISION = "decision"
    # deconfliction (incidents, incident_share, encounters)
    MEASURE_OFF = "measure_off"
    MORE_EXPOSURE = "more_exposure"
    INCIDENTS_BEFORE_MEASURES = "incidents_before_measures"
    INCIDENTS_BY_CHANCE = "incidents_by_chance"
    # checkpoint posture (checkpoint.<id>....)
    CHECKPOINT_NOT_REACHED = "checkpoint_not_reached"
    POSTURE_SHORT = "posture_short"
    NOT_IN_PLACE = "not_in_place"
    # event timing (event.<name>.h)
    EVENT_NEVER = "event_never"
    EVENT_LATE = "event_late"
    EVENT_EARLY = "event_early"
    # any other metric
    OUTSIDE_TARGET = "outside_target"


INCIDENT_KINDS = {"air": CauseKind.AIR_INCIDENT, "sea": CauseKind.SEA_INCIDENT, "land": CauseKind.LAND_INCIDENT}

# the category as the report shows it; {subject} is the Why's subject
WORDING: dict[CauseKind, str] = {
    CauseKind.LONG_NOTICE: "long notice to move",
    CauseKind.SHORT_NOTICE: "short notice to move",
    CauseKind.EARLY_ACTIVATION: "early activation",
    CauseKind.EARLY_ALERT: "early alert",
    CauseKind.LATE_ACTIVATION: "late activation",
    CauseKind.LATE_ALERT: "late alert",
    CauseKind.NEVER_ACTIVATED: "never activated",
    CauseKind.NOT_READY: "not ready by the end of the run",
    CauseKind.HELD: "held at readiness",
    CauseKind.WAIT_DEPLOY_ORDER: "wait for the deployment order",
    CauseKind.DEPLOY_ORDER_NEVER_GIVEN: "deployment order never given",
    CauseKind.LONG_TRANSIT: "long transit",
    CauseKind.STILL_IN_TRANSIT: "still in transit at the end of the run",
    CauseKind.DELAY_EFFECTS: "delay effects",
    CauseKind.TENSION_LOW: "tension stayed low",
    CauseKind.TENSION_LEVEL: "tension level",
    CauseKind.AIR_INCIDENT: "air incident",
    CauseKind.SEA_INCIDENT: "sea incident",
    CauseKind.LAND_INCIDENT: "land incident",
    CauseKind.INJECT: "inject: {subject}",
    CauseKind.DECISION: "decision: {subject}",
    CauseKind.MEASURE_OFF: "deconfliction measure off: {subject}",
    CauseKind.MORE_EXPOSURE: "more exposure: {subject}",
    CauseKind.INCIDENTS_BEFORE_MEASURES: "incidents before measures took effect",
    CauseKind.INCIDENTS_BY_CHANCE: "incidents by chance, measures unchanged",
    CauseKind.CHECKPOINT_NOT_REACHED: "checkpoint not reached",
    CauseKind.POSTURE_SHORT: "posture short at checkpoint",
    CauseKind.NOT_IN_PLACE: "not in place at checkpoint: {subject}",
    CauseKind.EVENT_NEVER: "never happened: {subject}",
    CauseKind.EVENT_LATE: "late: {subject}",
    CauseKind.EVENT_EARLY: "early: {subject}",
    CauseKind.OUTSIDE_TARGET: "{subject} outside target",
}


@dataclass(frozen=True)
class Action:
    element: str   # HSEEP capability element: Planning, Organisation, Equipment, Training, Exercise
    text: str      # {force}, {target}, {owner}, {objective} are filled in


_DECOUPLE = ("Decouple the deployment order for {force} from later political milestones, or pre-delegate it")
_FORWARD = "Bring the decision or event forward: prepare it before the crisis"

ACTIONS: dict[CauseKind, Action] = {
    CauseKind.LONG_NOTICE: Action("Organisation", "Shorten the notice to move of {force}: verify readiness, "
                                  "pre-position equipment and lift so activation-to-ready stays within the target "
                                  "({target})"),
    CauseKind.SHORT_NOTICE: Action("Planning", "Align the readiness window of {force} with the reception plan "
                                   "({target})"),
    CauseKind.EARLY_ACTIVATION: Action("Planning", "Align the activation of {force} with the reception plan "
                                       "({target})"),
    CauseKind.EARLY_ALERT: Action("Planning", "Align the alert of {force} with its readiness plan ({target})"),
    CauseKind.LATE_ACTIVATION: Action("Planning", "Pre-agree activation procedures and graduated response plans so "
                                      "the activation decision for {force} comes earlier"),
    CauseKind.LATE_ALERT: Action("Planning", "Agree the indications and warnings that alert {force}, and who issues "
                                 "the alert"),
    CauseKind.NEVER_ACTIVATED: Action("Planning", "Define the activation trigger for {force} and who pulls it"),
    CauseKind.NOT_READY: Action("Organisation", "Shorten the notice to move of {force}"),
    CauseKind.HELD: Action("Planning", "Set criteria for releasing {force} from hold and the authority to do so"),
    CauseKind.WAIT_DEPLOY_ORDER: Action("Planning", _DECOUPLE),
    CauseKind.DEPLOY_ORDER_NEVER_GIVEN: Action("Planning", _DECOUPLE),
    CauseKind.LONG_TRANSIT: Action("Equipment", "Secure strategic lift and host-nation reception for {force} to "
                                   "shorten transit"),
    CauseKind.STILL_IN_TRANSIT: Action("Equipment", "Secure strategic lift for {force}"),
    CauseKind.DELAY_EFFECTS: Action("Planning", "Build slack and alternatives into the movement plan of {force}"),
    CauseKind.TENSION_LOW: Action("Exercise", "Review the target of \u201c{objective}\u201d ({target}): tension "
                                  "stayed below it"),
    CauseKind.TENSION_LEVEL: Action("Planning", "Prepare de-escalation options that keep tension within the target "
                                    "({target})"),
    CauseKind.AIR_INCIDENT: Action("Training", "Drill air deconfliction and de-escalation of air encounters"),
    CauseKind.SEA_INCIDENT: Action("Training", "Drill maritime deconfliction (INCSEA-style procedures)"),
    CauseKind.LAND_INCIDENT: Action("Training", "Drill border-area deconfliction and de-escalation of land "
                                    "encounters"),
    CauseKind.INJECT: Action("Planning", "Prepare responses that absorb the tension of this event"),
    CauseKind.DECISION: Action("Planning", "Weigh the escalatory cost of the decision in the decision brief"),
    CauseKind.MEASURE_OFF: Action("Equipment", "Provide redundant military-to-military deconfliction channels"),
    CauseKind.MORE_EXPOSURE: Action("Planning", "Weigh the exposure of forward posture against the deconfliction "
                                    "objective"),
    CauseKind.INCIDENTS_BEFORE_MEASURES: Action("Planning", "Issue deconfliction measures at activation, not later"),
    CauseKind.INCIDENTS_BY_CHANCE: Action("Training", "Train crews in safe-distance conduct and incident reporting"),
    CauseKind.CHECKPOINT_NOT_REACHED: Action("Exercise", "Run the exercise long enough to reach the checkpoint of "
                                             "\u201c{objective}\u201d, or move the checkpoint inside the horizon"),
    CauseKind.POSTURE_SHORT: Action("Organisation", "Plan more forces for the checkpoint: with every planned force "
                                    "in place the posture still fell short of {target}"),
    CauseKind.NOT_IN_PLACE: Action("Organisation", "Bring the forces short at the checkpoint to higher readiness or "
                                   "activate them earlier"),
    CauseKind.EVENT_NEVER: Action("Planning", "Make sure the event is triggered: assign it an owner"),
    CauseKind.EVENT_LATE: Action("Planning", _FORWARD),
    CauseKind.EVENT_EARLY: Action("Planning", "Hold the decision or event until its window ({target}): agree when "
                                  "it is due"),
    CauseKind.OUTSIDE_TARGET: Action("Exercise", "Examine \u201c{objective}\u201d again in the next exercise with "
                                     "the cause as the focus"),
}


def wording(kind: CauseKind, subject: str = "") -> str:
    """The category of a cause as the report shows it, e.g. "not in place at checkpoint: VJTF"."""
    return WORDING[kind].format(subject=subject)


def action(kind: CauseKind | str, s: Scenario, oid: str) -> tuple[str, str]:
    """(capability element, corrective action) for a cause of kind ``kind`` behind objective ``oid``."""
    o = s.objectives[oid]
    spec = metric_registry(s).get(o.metric)
    force = s.forces[spec.force].name if spec and spec.force in s.forces else "the force"
    a = ACTIONS[CauseKind(kind)]
    return a.element, a.text.format(force=force, target=o.target.describe(), owner=o.owner, objective=o.title)
