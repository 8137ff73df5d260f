"""Encounters between the two sides' air and sea presence, graded on a severity ladder or turned
into incidents with one probability, and the deconfliction measures that lower them.

Encounters arrive as a Poisson process whose rate is, summed over domains,
``encounter_rate[domain] * presence(side A) * presence(side B)`` times any
scaling effects. The rate is constant between presence changes, so on each
change the waiting time is simply drawn afresh (memorylessness keeps this exact).
An encounter becomes an incident with probability
``p_incident * product(active measure factors) * (1 + tension_sensitivity * tension / 100)``;
each incident adds ``incident_tension`` to tension (the ``p_incident`` model).

With a severity ladder (``deconfliction.severity``) each encounter is graded instead: class ``k``
(0 the least severe, routine) has the share ``share_k(domain)`` (rescaled so that the graver classes
make ``p_incident`` together, when the scenario gives one) ``* prod(active measures' factors for
k) * (1 + tension_sensitivity * tension / 100) ** k`` for ``k >= 1`` (so the spiral shifts
probability towards the graver classes), routine takes the rest (the graver shares are scaled to
sum to 1 if they exceed it). One uniform picks the class, counting down from the gravest, so
raising any share can only make the class graver. Every class above routine is an incident
(``incidents`` counts them) and adds its class's tension. A measure is *used* on an encounter
when, with the same uniform but without that measure, the class would have been graver.

A measure may open and close at an hour or on a condition (``opens:``/``closes:``, a process
each, started here), and an effect ``{measure: {id: M, fail: true}}`` turns it off for good.

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
from ..scenario.model import Deconfliction, Measure, Scenario
from ..scenario.tables import SeverityLadder
from .timing import wait_timing
from .trace import EncounterRecord, IncidentRecord, Source, SourceKind
from .world import Process, World

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

    __slots__ = ("_base", "_powers", "_spiral_at", "a", "b", "by_class", "by_domain", "d", "domains", "encounters", "grades", "incidents",
                 "ladder", "rates", "timer", "total", "u", "uses", "w")

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
        self.ladder: SeverityLadder | None = d.severity
        # a ladder: each domain's shares, each measure's factor per class, counts per domain, class, measure
        self.grades: dict[str, list[float]] = {}
        self.by_domain: dict[str, int] = dict.fromkeys(self.domains, 0)
        self.by_class: dict[tuple[str, str], int] = {}
        self.uses: dict[str, int] = dict.fromkeys(d.measures, 0)
        self._base: dict[tuple[str, str | None, tuple[bool, ...]], tuple[float, ...]] = {}
        self._spiral_at: float | None = None  # the tension the spiral's powers were last worked out at
        self._powers: list[float] = []        # (1 + sensitivity x tension / 100) ** k, k = 0, 1, ...
        if self.ladder is not None:
            self.grades = w.plan.part(_grades)
            self._base = w.plan.part(_base_shares)
            self.by_class = {(dom, c.id): 0 for dom in self.domains for c in self.ladder.classes}
        w.on_presence_change(self.redraw)
        w.attach_encounters(self)
        for mid, m in d.measures.items():
            if m.opens is not None or m.closes is not None:
                w.env.process(measure_times(w, mid, m))

    def redraw(self) -> None:
        """Presence (or the encounter factor) changed: the rate is new, so is the wait."""
        w, d = self.w, self.d
        if self.timer is not None:
            self.timer.callbacks.remove(self.fire)  # bound methods of one object compare equal
            self.timer = None
        a, b, f = self.a, self.b, w.encounter_factor
        self.rates = [d.encounter_rate[dom] * w.presence(a, dom) * w.presence(b, dom) * f for dom in self.domains]
        self.total = sum(self.rates)
        if self.total > 0:
            self._schedule()

    def _schedule(self) -> None:
        self.timer = self.w.env.timeout(-math.log1p(-self.u.random()) / self.total)
        self.timer.callbacks.append(self.fire)

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
        if self.ladder is not None:
            self._graded(dom)
        else:
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
        assert d.incident_tension is not None  # the p_incident model: validation requires it
        amount = d.incident_tension.sample(self.u)
        if w.keep_trace:
            w.record(IncidentRecord(actor=actor, facts=list(d.facts), domain=dom, p=round(p, 6),
                                    incidents=self.incidents, tension_delta=amount))
        w.add_tension(amount, actor, Source(SourceKind.INCIDENT, dom), d.facts)

    def shares(self, dom: str, without: str | None = None, measures: bool = True) -> list[float]:
        """The graver classes' shares now in ``dom`` (index 0, routine, left at 0), with the active
        measures (all but ``without``; none if not ``measures``) and the tension spiral applied."""
        w, d = self.w, self.d
        # the shares before the spiral depend on the scenario and the measures that apply alone:
        # worked out once per scenario for each (domain, measure left out, measures on)
        on = tuple(w.measures.values()) if measures else ()
        key = (dom, without, on)
        base = self._base.get(key)
        if base is None:
            base = self._base[key] = self._measured(dom, without, measures)
        if d.tension_sensitivity:
            v = w.tension.value()
            if v != self._spiral_at:  # an encounter asks several times at one tension: the powers once
                g = 1.0 + d.tension_sensitivity * v / 100.0
                self._spiral_at, self._powers = v, [g ** k for k in range(len(base))]
            out = [s * p for s, p in zip(base, self._powers, strict=True)]
        else:
            out = list(base)
        total = math.fsum(out)
        if total > 1.0:
            out = [s / total for s in out]
        return out

    def _measured(self, dom: str, without: str | None, measures: bool) -> tuple[float, ...]:
        """The graver classes' shares in ``dom`` with the active measures (but ``without``) applied."""
        ladder, w, d = self.ladder, self.w, self.d
        assert ladder is not None
        out = list(self.grades[dom])
        out[0] = 0.0
        classes = ladder.classes
        for mid, on in w.measures.items():
            if on and mid != without and measures:
                m = d.measures[mid]
                for k in range(1, len(out)):
                    out[k] *= measure_factor(m, classes[k].id, classes[k].measure_factor)
        return tuple(out)

    def _graded(self, dom: str) -> None:
        w, u = self.w, self.u
        ladder = self.ladder
        assert ladder is not None
        shares = self.shares(dom)
        x = u.random()
        k = pick_class(shares, x)
        # used: without it the same draw would have been graver. A measure only lowers shares (its
        # factors are at most 1), so a draw at or above the graver classes' total with no measure at all
        # (and no rescaling) is routine whichever measure is left out: no measure was used
        if any(w.measures.values()) and k + 1 < len(shares):
            bare = self.shares(dom, measures=False)
            total = 0.0
            for b in reversed(bare):  # summed as pick_class sums (gravest first): float sums are monotone
                total += b
            if k or total >= 0.999 or x < total:  # (near 1 the shares may have been rescaled: check all)
                for mid, on in w.measures.items():
                    if on and pick_class(self.shares(dom, without=mid), x) > k:
                        self.uses[mid] += 1
        c = ladder.classes[k]
        self.by_domain[dom] += 1
        self.by_class[dom, c.id] += 1
        p = min(math.fsum(shares), 1.0)
        place = self.d.areas.get(dom)  # type: ignore[call-overload]
        actor = f"{self.a}/{self.b}"
        if k == 0:
            if w.keep_trace:
                w.record(EncounterRecord(actor=actor, facts=list(c.facts), domain=dom, p=round(p, 6),
                                         encounters=self.encounters, severity=c.id, name=c.name, place=place))
            return
        self.incidents += 1
        if w.keep_trace:
            w.record(IncidentRecord(actor=actor, facts=list(c.facts), domain=dom, p=round(p, 6),
                                    incidents=self.incidents, tension_delta=c.tension, severity=c.id, name=c.name,
                                    place=place))
        if c.tension:
            w.add_tension(c.tension, actor, Source(SourceKind.INCIDENT, dom, c.name), [*self.d.facts, *c.facts])


def _grades(s: Scenario) -> dict[str, list[float]]:
    """Each domain's ladder shares (a plan part: the scenario's alone)."""
    d = s.deconfliction
    assert d is not None and d.severity is not None  # asked for by the encounter clock on a ladder only
    return {dom: graded_shares(d.severity, dom, d.p_incident) for dom in sorted(d.encounter_rate)}


def _base_shares(s: Scenario) -> dict[tuple[str, str | None, tuple[bool, ...]], tuple[float, ...]]:
    """A plan part: the memo of :meth:`Encounters._measured` for this scenario (filled as runs ask;
    each entry a function of the scenario and its key alone, so runs share it)."""
    return {}


def graded_shares(ladder: SeverityLadder, dom: str, p_incident: float | None) -> list[float]:
    """The ladder's shares in ``dom``, least severe first; with ``p_incident`` the graver classes
    rescaled to make that share together (in their proportions), routine the rest."""
    shares = ladder.domain_shares(dom)
    if p_incident is None:
        return shares
    graver = math.fsum(shares[1:])
    if graver == 0:  # this domain has no graver class (validation saw that some domain has)
        return shares
    return [1.0 - p_incident, *(s * p_incident / graver for s in shares[1:])]


def measure_factor(m: Measure, cid: str, ladder_factor: float) -> float:
    """What measure ``m``, while active, multiplies graver class ``cid``'s share by: its ``lowers``
    entry (1 for a class it does not name), else its ``factor``, else the ladder's own factor."""
    if m.lowers:
        return m.lowers.get(cid, 1.0)
    return ladder_factor if m.factor is None else m.factor


def pick_class(shares: list[float], x: float) -> int:
    """The class a uniform ``x`` picks: counting down from the gravest, the first whose cumulative
    share exceeds ``x``; else 0 (routine)."""
    acc = 0.0
    for k in range(len(shares) - 1, 0, -1):
        acc += shares[k]
        if x < acc:
            return k
    return 0


def measure_times(w: World, mid: str, m: Measure) -> Process:
    """Process body: open measure ``mid`` at its ``opens`` time or condition, then close it at its
    ``closes`` (each drawn at its own path, e.g. ``deconfliction.measures.hotline.opens.at_h``)."""
    cause = Source(SourceKind.MEASURE, mid, m.name)
    base = f"deconfliction.measures.{mid}"
    if m.opens is not None:
        yield from wait_timing(w, m.opens, f"{base}.opens.at_h")
        w.set_measure(mid, True, "deconfliction", cause, m.facts)
    if m.closes is not None:
        yield from wait_timing(w, m.closes, f"{base}.closes.at_h")
        if w.measures[mid]:
            w.set_measure(mid, False, "deconfliction", cause, m.facts)
