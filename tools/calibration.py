"""The baseline against the record: when the model reaches each recorded place or moment.

    PYTHONPATH=. python tools/calibration.py [--seeds 200]     # prints the validation table (Markdown)

Each record names a fact of the register (seeds/facts.yaml) and what in a run stands for it (an axis
reaching a place, an echelon's step). The record's window is read from the fact itself (its `time`,
else its `date` as a UTC day), converted to hours after H-hour with the scenario's clock, so the
dates live in one place. tests/test_calibration.py checks the records the model claims to reproduce.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sim.engine.run import run
from sim.engine.trace import EchelonRecord, WaypointRecord
from sim.scenario.facts import Fact, load_register
from sim.scenario.load import load_scenario
from sim.scenario.model import Clock, Scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"
REGISTER = ROOT / "seeds" / "facts.yaml"

Check = Literal["on_day", "by_day", "not_by_horizon", "after_day"]


@dataclass(frozen=True)
class Record:
    """One recorded moment and what in a run stands for it.

    ``subject``: ``("waypoint", axis, place)`` the hour the axis reached the place;
    ``("echelon", force, echelon, event)`` the hour of that echelon step (``first_landing``: the
    departure plus the transit, when the first of it lands; ``last_landing``: ``arrival_h``).
    ``check``: ``on_day`` the model's median falls on the fact's day; ``by_day`` by the end of it;
    ``not_by_horizon`` at least 90% of runs never reach it; ``after_day`` the median falls after it.
    """

    label: str
    fact: str
    subject: tuple[str, ...]
    check: Check
    note: str = ""


RECORDS: tuple[Record, ...] = (
    Record("Northern axis at the Chornobyl plant", "ru-chornobyl-captured-24feb",
           ("waypoint", "kyiv_north", "chornobyl_npp"), "by_day"),
    Record("Northern axis at Ivankiv", "ru-ivankiv-25feb", ("waypoint", "kyiv_north", "ivankiv"), "on_day"),
    Record("Northern axis at Hostomel (Kyiv's north-western outskirts)", "ru-bucha-irpin-27feb",
           ("waypoint", "kyiv_north", "hostomel"), "by_day",
           "the airport itself fell to an air assault on 24 February (ru-hostomel-airport-24feb), which the model does not have"),
    Record("Kyiv not reached", "ru-kyiv-not-entered", ("waypoint", "kyiv_north", "kyiv"), "not_by_horizon"),
    Record("North-eastern axis at Kharkiv (entered, then repelled)", "ru-kharkiv-entered-repelled-27feb",
           ("waypoint", "kharkiv", "kharkiv"), "on_day",
           "the model's axis stops at its objective: it has no repulse, so 'reached' is the record's 'entered'"),
    Record("Southern axis at Nova Kakhovka", "ru-nova-kakhovka-24feb",
           ("waypoint", "crimea", "nova_kakhovka"), "on_day"),
    Record("Southern axis at Kherson", "ru-kherson-captured", ("waypoint", "crimea", "kherson"), "on_day"),
    Record("Mariupol not taken (encircled 2 March)", "ru-mariupol-encircled-2mar",
           ("waypoint", "azov_landing", "mariupol"), "not_by_horizon",
           "the model has no encirclement; the landing's axis is held short of the city"),
    Record("VJTF precursors (advance party) in Romania", "french-precursors-romania",
           ("echelon", "vjtf", "advance_party", "in_place"), "on_day"),
    Record("First French soldiers of the battalion land at Mihail Kogalniceanu", "french-first-soldiers-mk",
           ("echelon", "vjtf", "lead_elements", "first_landing"), "on_day"),
    Record("1st ABCT, 3rd ID: first flights leave Hunter Army Airfield", "us-1abct-first-flights-27feb",
           ("echelon", "us_bragg_stewart", "abct_1_3id", "departed"), "on_day"),
    Record("1st ABCT, 3rd ID: still flying on 1 March", "us-1abct-flights-1mar",
           ("echelon", "us_bragg_stewart", "abct_1_3id", "last_landing"), "after_day"),
)

NOT_MODELLED: tuple[tuple[str, str, str], ...] = (
    ("Melitopol entered", "ru-melitopol-entered-25feb", "no axis runs from Crimea to Melitopol"),
)


def fact_window(fact: Fact, clock: Clock) -> tuple[float, float, float | None]:
    """The fact's UTC day as hours after H-hour on ``clock`` (low, high), and its hour if it gives a time."""
    if fact.date is None:
        raise ValueError(f"fact {fact.id} has no date")
    lo = clock.hours(dt.datetime.combine(fact.date, dt.time(0), tzinfo=dt.UTC))
    return lo, lo + 24.0, None if fact.time is None else clock.hours(fact.time)


def hours(s: Scenario, seeds: Iterable[int]) -> dict[tuple[str, ...], list[float]]:
    """Per subject, the hour in each run (inf: not within the horizon)."""
    subjects = [r.subject for r in RECORDS]
    out: dict[tuple[str, ...], list[float]] = {k: [] for k in subjects}
    for seed in seeds:
        got: dict[tuple[str, ...], float] = {}
        for rec in run(s, seed).trace:
            if isinstance(rec, WaypointRecord):
                got.setdefault(("waypoint", rec.axis, rec.place), rec.t_h)
            elif isinstance(rec, EchelonRecord):
                key = ("echelon", rec.force, rec.echelon)
                got.setdefault((*key, rec.event), rec.t_h)
                if rec.event == "departed":
                    got.setdefault((*key, "first_landing"), rec.t_h + (rec.transit_h or 0.0))
                    if rec.arrival_h is not None:
                        got.setdefault((*key, "last_landing"), rec.arrival_h)
        for k in subjects:
            out[k].append(got.get(k, math.inf))
    return out


@dataclass(frozen=True)
class Row:
    record: Record
    window: tuple[float, float, float | None]
    p10: float
    median: float
    p90: float
    share_reached: float   # runs that reach it within the horizon
    share_on_day: float    # runs whose hour falls on the fact's day
    share_by_day: float    # runs whose hour falls by the end of the fact's day
    within: bool


def evaluate(s: Scenario, seeds: Sequence[int]) -> list[Row]:
    reg = load_register(str(REGISTER)).by_id()
    got = hours(s, seeds)
    rows = []
    for r in RECORDS:
        v = np.array(got[r.subject])
        lo, hi, at = fact_window(reg[r.fact], s.clock)
        with np.errstate(invalid="ignore"):  # runs that never reach it count as inf
            p10, med, p90 = (float(x) if not np.isnan(x) else math.inf for x in np.percentile(v, [10, 50, 90]))
        on = float(np.mean((v >= lo) & (v < hi)))
        by = float(np.mean(v < hi))
        reached = float(np.mean(np.isfinite(v)))
        within = {"on_day": lo <= med < hi, "by_day": med < hi, "not_by_horizon": reached <= 0.1,
                  "after_day": med >= hi}[r.check]
        rows.append(Row(r, (lo, hi, at), p10, med, p90, reached, on, by, within))
    return rows


def _h(x: float, horizon: float) -> str:
    return f"> H+{horizon:.0f}" if not math.isfinite(x) else f"H+{x:.0f}"


def table(rows: Sequence[Row], horizon: float, n: int) -> str:
    lines = ["| record (fact) | the record | model median | model 10-90% | runs on the day (by its end) | within? |",
             "|---|---|---|---|---|---|"]
    for w in rows:
        lo, hi, at = w.window
        when = {"on_day": f"H+{max(lo, 0):.0f} to H+{hi:.0f}", "by_day": f"by H+{hi:.0f}",
                "not_by_horizon": f"not by H+{horizon:.0f}", "after_day": f"after H+{hi:.0f}"}[w.record.check]
        if at is not None:
            when += f" (H+{at:.0f})"
        note = f" - {w.record.note}" if w.record.note else ""
        share = (f"{w.share_reached:.0%} reach it" if w.record.check == "not_by_horizon"
                 else f"{w.share_on_day:.0%} ({w.share_by_day:.0%})")
        lines.append(f"| {w.record.label} ({w.record.fact}){note} | {when} | {_h(w.median, horizon)} | "
                     f"{_h(w.p10, horizon)} to {_h(w.p90, horizon)} | {share} | {'yes' if w.within else '**no**'} |")
    for label, fact, why in NOT_MODELLED:
        lines.append(f"| {label} ({fact}) | | | | | not modelled: {why} |")
    lines.append(f"\n{n} seeds (0-{n - 1}), default decisions, horizon H+{horizon:.0f}.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    a = ap.parse_args()
    s = load_scenario(BASELINE)
    print(table(evaluate(s, range(a.seeds)), s.clock.horizon_h, a.seeds))


if __name__ == "__main__":
    main()
