"""What every command shares: loading a scenario with user-facing errors, exit code 2 on bad input."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(lines: list[str] | str, code: int = 2) -> NoReturn:
    for ln in [lines] if isinstance(lines, str) else lines:
        err.print(f"[red]error:[/red] {ln}", markup=True) if err.is_terminal else print(f"error: {ln}", file=sys.stderr)
    raise typer.Exit(code)


def load(path: Path | str, sets: list[str] | None = None) -> Scenario:
    try:
        return load_scenario(path, sets or [])
    except ScenarioError as exc:
        fail([str(p) for p in exc.problems])


def project_dirs() -> list[Path]:
    """Folders that may hold shipped scenarios: ./scenarios and the one beside the package."""
    here = Path(__file__).resolve().parents[2] / "scenarios"
    cwd = Path.cwd() / "scenarios"
    return [p for p in dict.fromkeys([cwd, here]) if p.is_dir()]
