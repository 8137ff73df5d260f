"""Encounters between the two sides' air and sea presence, and the incidents they turn into.

Encounters arrive as a Poisson process whose rate is, summed over domains,
``encounter_rate[domain] * presence(side A) * presence(side B)`` times any
scaling effects. The rate is constant between presence changes, so on each
change the waiting time is simply drawn afresh (memorylessness keeps this exact).
An encounter becomes an incident with probability
``p_incident * product(active measure factors) * (1 + tension_sensitivity * tension / 100)``;
each incident adds ``incident_tension`` to tension.

This loop is the hottest code in a run (dozens of encounters per run), so it keeps
what does not change between encounters: the product of the active measure
factors is cached on the world and recomputed only when a measure switches.
"""
from __future__ import annotations

import math

import numpy as np
import simpy

from .world import World


def measure_product(w: World) -> float:
    """``p_incident`` times the factors of the active measures, multiplied in the scenario's
    order (the same floating-point product every time); cached until a measure switches."""
    p = w.measure_p
    if p is None:
        d = w.s.deconfliction
        p = d.p_incident
        for mid, active in w.measures.items():
            if active:
                p *= d.measures[mid].factor
        w.measure_p = p
    return p


def incident_probability(w: World) -> float:
    d = w.s.deconfliction
    p = w.measure_p
    if p is None:
        p = measure_product(w)
    if d.tension_sensitivity:  # with none the tension term is exactly 1.0: skip computing it
        p *= 1.0 + d.tension_sensitivity * w.tension.value() / 100.0
    return min(p, 1.0)


def _rates(w: World, d, a: str, b: str, domains: list[str]) -> list[float]:
    return [d.encounter_rate[dom] * w.presence(a, dom) * w.presence(b, dom) * w.encounter_factor
            for dom in domains]


def _pick(domains: list[str], rates: list[float], pick: float) -> str:
    """The domain whose slice of the summed rate ``pick`` falls in."""
    for dname, rate in zip(domains, rates):
        if pick < rate:
            return dname
        pick -= rate
    return domains[-1]


def encounter_process(w: World, rng: np.random.Generator):
    """Process body. Presence changes interrupt the wait; the next encounter is then redrawn."""
    d = w.s.deconfliction
    a, b = d.between
    env = w.env
    timeout = env.timeout
    random, exponential = rng.random, rng.exponential
    domains = sorted(d.encounter_rate)
    while True:
        rates = _rates(w, d, a, b, domains)
        total = sum(rates)
        try:
            if total <= 0:
                # no encounters at zero rate: sleep past the horizon until presence changes
                yield timeout(math.inf)
            scale = 1.0 / total
            while True:
                yield timeout(exponential(scale))
                encounter(w, d, a, b, _pick(domains, rates, random() * total), rng)
        except simpy.Interrupt:
            continue  # presence changed: redraw at the new rate (memorylessness keeps this exact)


def encounter(w: World, d, a: str, b: str, dom: str, rng: np.random.Generator) -> None:
    w.encounters += 1
    p = incident_probability(w)
    if rng.random() < p:
        w.incidents += 1
        amount = d.incident_tension.sample(rng)
        w.record("incident", f"{a}/{b}", f"{dom.capitalize()} encounter turns into an incident "
                 f"(tension +{amount:.1f})", {"domain": dom, "p": round(p, 6), "incidents": w.incidents,
                                              "tension_delta": round(amount, 4)}, d.facts)
        w.tension.add(amount, f"{a}/{b}", f"{dom} incident", d.facts)
    elif w.keep_trace:  # the commonest record: skip building it when nobody keeps the trace
        w.record("encounter", f"{a}/{b}", f"{dom.capitalize()} encounter deconflicted",
                 {"domain": dom, "p": round(p, 6), "encounters": w.encounters})
    w.notify("count")
