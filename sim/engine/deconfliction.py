"""Encounters between the two sides' air and sea presence, and the incidents they turn into.

Encounters arrive as a Poisson process whose rate is, summed over domains,
``encounter_rate[domain] * presence(side A) * presence(side B)`` times any
scaling effects. The rate is constant between presence changes, so on each
change the waiting time is simply drawn afresh (memorylessness keeps this exact).
An encounter becomes an incident with probability
``p_incident * product(active measure factors) * (1 + tension_sensitivity * tension / 100)``;
each incident adds ``incident_tension`` to tension.

Encounters are the commonest events of a run, so they are driven by a callback on
their timeout rather than by a process (SimPy's cheapest kind of event: no
generator to resume), and draw from a uniform-block stream: the waiting time is
``-log(1 - u) / rate``, the domain and the incident each one more uniform. The
product of the active measure factors is cached on the world and recomputed only
when a measure switches.
"""
from __future__ import annotations

import math

from simpy.events import Event, Timeout

from ..scenario.draws import Draws
from ..scenario.model import Deconfliction
from .trace import EncounterRecord, IncidentRecord, Source, SourceKind
from .world import World

MAX_ENCOUNTERS = 20_000  # per run; the shipped scenarios have fewer than 100


class EncounterBudgetExceeded(RuntimeError):
    """A run met more encounters than :data:`MAX_ENCOUNTERS`: its rates are out of all proportion."""

    def __str__(self) -> str:
        return str(self.args[0])


def incident_probability(w: World, d: Deconfliction) -> float:
    """The chance an encounter now becomes an incident (``d``: the scenario's deconfliction)."""
    p = w.measure_p  # the cached product (read here: this runs on every encounter)
    if p is None:
        p = w.measure_product()
    if d.tension_sensitivity:  # with none the tension term is exactly 1.0: skip computing it
        p *= 1.0 + d.tension_sensitivity * w.tension.value() / 100.0
    return min(p, 1.0)


class Encounters:
    """The encounter clock: one pending timeout at a time, redrawn whenever presence changes.

    A redraw leaves the old timeout in SimPy's queue without its callback (as an interrupted
    process leaves its timeout), so it passes as a no-op.
    """

    __slots__ = ("_fire", "a", "b", "d", "domains", "encounters", "incidents", "rates", "timer", "total", "u", "w")

    def __init__(self, w: World, uniforms: Draws) -> None:
        d = w.s.deconfliction
        if d is None:
            raise ValueError("encounters need the scenario's deconfliction section")
        self.w, self.d, self.u = w, d, uniforms
        self.a, self.b = d.between
        self.domains = sorted(d.encounter_rate)
        self.rates: list[float] = []
        self.total = 0.0
        self.timer: Timeout | None = None
        # the counts are this component's own state (the world reads them): an increment here costs
        # a fraction of a method call on the world, on the commonest event of a run
        self.encounters = 0
        self.incidents = 0
        self._fire = self.fire  # one bound method, so that it can be found and removed again
        w.on_presence_change(self.redraw)
        w.attach_encounters(self)

    def redraw(self) -> None:
        """Presence (or the encounter factor) changed: the rate is new, so is the wait."""
        w, d = self.w, self.d
        if self.timer is not None:
            self.timer.callbacks.remove(self._fire)
            self.timer = None
        a, b, f = self.a, self.b, w.encounter_factor
        self.rates = [d.encounter_rate[dom] * w.presence(a, dom) * w.presence(b, dom) * f for dom in self.domains]
        self.total = sum(self.rates)
        if self.total > 0:
            self._schedule()

    def _schedule(self) -> None:
        self.timer = self.w.env.timeout(-math.log1p(-self.u.random()) / self.total)
        self.timer.callbacks.append(self._fire)

    def fire(self, _event: Event) -> None:
        self.timer = None
        w, u = self.w, self.u
        pick = u.random() * self.total
        dom = self.domains[-1]
        for name, rate in zip(self.domains, self.rates, strict=False):
            if pick < rate:
                dom = name
                break
            pick -= rate
        self.encounters += 1
        if self.encounters > MAX_ENCOUNTERS:
            raise EncounterBudgetExceeded(
                f"the run stopped at H+{w.env.now:.4g}: more than {MAX_ENCOUNTERS:,} encounters (now "
                f"{self.total:.3g} an hour); lower deconfliction.encounter_rate.{dom} "
                f"(or the {dom} forces' strength and presence it multiplies)")
        p = incident_probability(w, self.d)
        if u.random() < p:
            self._incident(dom, p)
        elif w.keep_trace:  # the commonest record: skip building it when nobody keeps the trace
            w.record(EncounterRecord(actor=f"{self.a}/{self.b}", domain=dom, p=round(p, 6),
                                     encounters=self.encounters))
        w.notify("count")
        if self.timer is None:  # the encounter itself did not change presence (and redraw)
            self._schedule()

    def _incident(self, dom: str, p: float) -> None:
        w, d, actor = self.w, self.d, f"{self.a}/{self.b}"
        self.incidents += 1
        amount = d.incident_tension.sample(self.u)
        if w.keep_trace:
            w.record(IncidentRecord(actor=actor, facts=list(d.facts), domain=dom, p=round(p, 6),
                                    incidents=self.incidents, tension_delta=amount))
        w.add_tension(amount, actor, Source(SourceKind.INCIDENT, dom), d.facts)
