"""Encounters between the two sides' air and sea presence, and the incidents they turn into.

Encounters arrive as a Poisson process whose rate is, summed over domains,
``encounter_rate[domain] * presence(side A) * presence(side B)`` times any
scaling effects. The rate is constant between presence changes, so on each
change the waiting time is simply drawn afresh (memorylessness keeps this exact).
An encounter becomes an incident with probability
``p_incident * product(active measure factors) * (1 + tension_sensitivity * tension / 100)``;
each incident adds ``incident_tension`` to tension.
"""
from __future__ import annotations

import math

import numpy as np
import simpy

from .world import World


def incident_probability(w: World) -> float:
    d = w.s.deconfliction
    p = d.p_incident
    for mid, active in w.measures.items():
        if active:
            p *= d.measures[mid].factor
    p *= 1.0 + d.tension_sensitivity * w.tension.value() / 100.0
    return min(p, 1.0)


def encounter_process(w: World, rng: np.random.Generator):
    """Process body. Presence changes interrupt the wait; the next encounter is then redrawn."""
    d = w.s.deconfliction
    a, b = d.between
    env = w.env
    domains = sorted(d.encounter_rate)
    while True:
        rates = [d.encounter_rate[dom] * w.presence(a, dom) * w.presence(b, dom) * w.encounter_factor
                 for dom in domains]
        total = sum(rates)
        try:
            while True:
                # no encounters at zero rate: sleep past the horizon until presence changes
                yield env.timeout(rng.exponential(1.0 / total) if total > 0 else math.inf)
                pick, dom = rng.random() * total, domains[-1]
                for dname, rate in zip(domains, rates):
                    if pick < rate:
                        dom = dname
                        break
                    pick -= rate
                encounter(w, d, a, b, dom, rng)
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
    else:
        if w.keep_trace:  # the commonest record: skip building it when nobody keeps the trace
            w.record("encounter", f"{a}/{b}", f"{dom.capitalize()} encounter deconflicted",
                     {"domain": dom, "p": round(p, 6), "encounters": w.encounters})
    w.notify("count")
