"""``crisis-sim msel``: the Master Scenario Events List a facilitator prints (see sim.workshop.msel)."""
from __future__ import annotations

import math
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..scenario.load import register_path, resolved_data
from ..scenario.places import gazetteer_path
from .common import clean, fail, load, output_problems, seed_problems, write_output
from .workshop_cmd import parse_turn

if TYPE_CHECKING:   # the workshop package is imported when the command runs: other commands do without it
    from ..workshop.msel import Msel

MAX_MINUTES_PER_TURN = 1440


def formats() -> tuple[str, ...]:
    """The MSEL's formats: the text renderers', the workbook and the inject cards."""
    from ..workshop.msel import RENDERERS

    return (*RENDERERS, "xlsx", "html")


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
    format_: str = typer.Option("md", "--format", "-f", help="md (a Markdown table), csv, xlsx (a workbook with a "
                                "status column; needs --out) or html (printable inject cards)"),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="write to FILE (atomically) instead of stdout"),
    import_file: Path | None = typer.Option(None, "--import", help="an MSEL edited in a spreadsheet (.xlsx or "
                                            ".csv): write SCENARIO with its injects as edited to --out (YAML)"),
) -> None:
    """Write the Master Scenario Events List (MSEL) of SCENARIO, for the facilitator to print before a workshop.

    One line per inject delivered and decision point reached in the run with SEED and the default decisions.

    Each with H+ and calendar time, turn, exercise time, sender, recipient, expected action, trigger, facts.

    Then the contingency (library) injects, which the facilitator fires when needed, with no times.

    With --import FILE: read an MSEL edited in a spreadsheet back into a scenario (written to --out).
    """
    if import_file is not None:
        _import(scenario, import_file, out_file, seed, set_, turn, minutes_per_turn, start)
        return
    from ..workshop.msel import render
    from ..workshop.msel_cards import render_cards
    from ..workshop.msel_sheet import MissingExtra, render_xlsx

    problems: list[str] = seed_problems(seed=seed)
    turn_h = _parsed(parse_turn, turn, problems)
    pace = _parsed(parse_minutes, minutes_per_turn, problems)
    start_at = _parsed(parse_start, start, problems) if start is not None else None
    fmt = format_.strip().lower()
    if fmt not in formats():
        problems.append(f"--format: unknown format {format_!r}; choose from {', '.join(formats())}")
    if fmt == "xlsx" and out_file is None:
        problems.append("--format xlsx: give --out FILE.xlsx (a workbook is not written to the terminal)")
    problems += output_problems("--out", out_file)
    if problems:
        fail(problems)
    s = load(scenario, set_)
    m = _build(s, seed, turn_h, pace, start_at, set_, start)
    text: str | bytes
    if fmt == "xlsx":
        try:
            text = render_xlsx(m)
        except MissingExtra as exc:
            fail(str(exc))
    else:
        text = render_cards(m) if fmt == "html" else render(m, fmt)
    if out_file is None:
        assert isinstance(text, str)  # xlsx needs --out (checked above)
        sys.stdout.write(clean(text))  # on a terminal: no escape sequences from the scenario
        return
    write_output("--out", out_file, text)
    print(f"MSEL written to {out_file}")


def _build(s, seed: int, turn_h: float, pace: float, start_at: datetime | None, sets: list[str],
           start: str | None) -> Msel:
    from ..workshop.msel import build_msel

    try:
        return build_msel(s, seed, turn_h=turn_h, minutes_per_turn=pace, start=start_at, overrides=sets)
    except OverflowError:
        fail(f"--start {start}: the exercise would run past the year 9999 at this pace; give an earlier --start")


def _import(scenario: Path, edited: Path, out_file: Path | None, seed: int, sets: list[str], turn: str,
            minutes_per_turn: str, start: str | None) -> None:
    """``msel SCENARIO --import EDITED --out NEW.yaml``: the scenario with the MSEL's edits to its injects."""
    from ..workshop.msel_import import MselImportError, apply_edits, dump_yaml, read_edited
    from ..workshop.msel_sheet import MissingExtra

    problems: list[str] = seed_problems(seed=seed)
    if sets:
        problems.append("--set: not taken with --import (the scenario written is the file's own, edited); "
                        "edit the scenario file or --set when you run the result")
    if out_file is None:
        problems.append("--import: give --out NEW.yaml for the scenario it writes")
    elif out_file.suffix.lower() not in (".yaml", ".yml"):
        problems.append(f"--out {out_file}: the scenario written is YAML; name it .yaml or .yml")
    if not edited.is_file():
        problems.append(f"--import {edited}: no such file" if not edited.exists() else
                        f"--import {edited}: not a regular file")
    turn_h = _parsed(parse_turn, turn, problems)
    pace = _parsed(parse_minutes, minutes_per_turn, problems)
    start_at = _parsed(parse_start, start, problems) if start is not None else None
    problems += output_problems("--out", out_file)
    if problems:
        fail(problems)
    assert out_file is not None
    try:
        sheet = read_edited(edited)
    except MissingExtra as exc:
        fail(str(exc))
    except MselImportError as exc:
        fail(exc.problems)
    # the pace and seed the sheet was made with, unless given on the command line
    about = sheet.about
    if about.get("seed", "").isdigit() and seed == 0:
        seed = int(about["seed"])
    s = load(scenario)
    original = _build(s, seed, turn_h, pace, start_at, [], start)
    data = resolved_data(scenario)
    try:
        data = apply_edits(data, original, sheet)
    except MselImportError as exc:
        fail(exc.problems)
    reg = register_path(scenario, data)
    here = register_path(out_file, data)
    if reg is not None and (here is None or Path(here).resolve() != Path(reg).resolve()):  # not found by itself
        data["fact_register"] = os.path.relpath(Path(reg).resolve(), out_file.resolve().parent)
    gaz, gaz_here = gazetteer_path(scenario, data), gazetteer_path(out_file, data)
    if gaz is not None and gaz.is_file() and (gaz_here is None or gaz_here.resolve() != gaz.resolve()):
        data["gazetteer"] = os.path.relpath(gaz.resolve(), out_file.resolve().parent)
    header = (f"{s.title}\nWritten by `crisis-sim msel {scenario} --import {edited.name}` from the edited MSEL "
              f"(seed {seed}).\nA scenario file like any other: validate it, run it, or build its MSEL again.")
    text = dump_yaml(data, header)
    check = out_file.with_name(f".{out_file.name}.check.yaml")
    write_output("--out", check, text)
    try:
        load_checked = load_scenario_quiet(check)
    finally:
        check.unlink(missing_ok=True)
    if load_checked:
        fail([p.replace(str(check), str(out_file)) for p in load_checked])
    write_output("--out", out_file, text)
    print(f"Scenario written to {out_file} ({len(data.get('injects') or {})} injects)")


def load_scenario_quiet(path: Path) -> list[str]:
    """The problems of the scenario file at ``path`` (empty when it loads)."""
    from ..scenario.errors import ScenarioError
    from ..scenario.load import load_scenario

    try:
        load_scenario(path)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("msel")(msel)


__all__ = ["msel", "parse_minutes", "parse_start", "register"]
