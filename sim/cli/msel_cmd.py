"""``crisis-sim msel``: the Master Scenario Events List a facilitator prints (see sim.workshop.msel)."""
from __future__ import annotations

import math
import sys
from datetime import datetime
from pathlib import Path

import typer

from ..workshop.msel import RENDERERS, build_msel, render
from .common import clean, fail, load, output_problems, seed_problems, write_output
from .workshop_cmd import parse_turn

MAX_MINUTES_PER_TURN = 1440


def parse_start(text: str) -> datetime:
    """"2026-12-01T09:00" (ISO 8601, a UTC offset optional) -> datetime; ValueError otherwise."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--start: expected an ISO 8601 time like 2026-12-01T09:00, got {text!r}") from None


def parse_minutes(text: str) -> float:
    """Minutes of exercise per turn: a number, at least 1; ValueError otherwise."""
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and 1 <= v <= MAX_MINUTES_PER_TURN):
        raise ValueError(f"--minutes-per-turn: expected a number of minutes from 1 to {MAX_MINUTES_PER_TURN} "
                         f"(a day), got {text!r}")
    return v


def _parsed(parse, text: str, problems: list[str]):
    try:
        return parse(text)
    except ValueError as exc:
        problems.append(str(exc))
        return None


def msel(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    seed: int = typer.Option(0, "--seed", "-s", help="random seed: the run a workshop with this seed plays out "
                                                    "with the default decisions"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    turn: str = typer.Option("6h", "--turn", help="length of a turn in scenario time: 6h, 90m, 1d"),
    start: str | None = typer.Option(None, "--start", help="STARTEX, the exercise's wall-clock start "
                                        "(ISO 8601, e.g. 2026-12-01T09:00); without it, times are offsets +H:MM"),
    minutes_per_turn: str = typer.Option("30", "--minutes-per-turn", help="minutes of exercise per turn (>= 1)"),
    format_: str = typer.Option("md", "--format", "-f", help="md (a Markdown table to print) or csv (a spreadsheet)"),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="write to FILE (atomically) instead of stdout"),
) -> None:
    """Write the Master Scenario Events List (MSEL) of SCENARIO, for the facilitator to print before a workshop.

    One line per inject delivered and decision point reached in the run with SEED and the default decisions.

    Each with H+ and calendar time, turn, exercise time, sender, recipient, expected action, trigger, facts.

    Then the contingency (library) injects, which the facilitator fires when needed, with no times.
    """
    problems: list[str] = seed_problems(seed=seed)
    turn_h = _parsed(parse_turn, turn, problems)
    pace = _parsed(parse_minutes, minutes_per_turn, problems)
    start_at = _parsed(parse_start, start, problems) if start is not None else None
    fmt = format_.strip().lower()
    if fmt not in RENDERERS:
        problems.append(f"--format: unknown format {format_!r}; choose from {', '.join(RENDERERS)}")
    problems += output_problems("--out", out_file)
    if problems:
        fail(problems)
    s = load(scenario, set_)
    try:
        text = render(build_msel(s, seed, turn_h=turn_h, minutes_per_turn=pace, start=start_at, overrides=set_), fmt)
    except OverflowError:
        fail(f"--start {start}: the exercise would run past the year 9999 at this pace; give an earlier --start")
    if out_file is None:
        sys.stdout.write(clean(text))  # on a terminal: no escape sequences from the scenario
        return
    write_output("--out", out_file, text)
    print(f"MSEL written to {out_file}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("msel")(msel)


__all__ = ["msel", "parse_minutes", "parse_start", "register"]
