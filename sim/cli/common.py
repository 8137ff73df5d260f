"""What every command shares: loading a scenario with user-facing errors, exit code 2 on bad input."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..atomic import atomic_write
from ..safetext import terminal
from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from ..scenario.model import Scenario

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


clean = terminal  # text from scenarios and users, made safe for a terminal (control characters dropped)


def fail(lines: list[str] | str, code: int = 2) -> NoReturn:
    for ln in [lines] if isinstance(lines, str) else lines:
        ln = " ".join(clean(ln).split("\n"))
        err.print(f"[red]error:[/red] {escape(ln)}", markup=True) if err.is_terminal else \
            print(f"error: {ln}", file=sys.stderr)
    raise typer.Exit(code)


MAX_SEED = 2**63 - 1  # numpy's SeedSequence takes no negative seed; the results store keeps 64-bit integers
MAX_REPS = 10**9
MAX_WORKERS = max(256, 4 * (os.cpu_count() or 1))


def seed_problems(**seeds: int | None) -> list[str]:
    """A seed option outside 0..MAX_SEED (``compare_seed=`` checks ``--compare-seed``), one line each."""
    return [f"--{name.replace('_', '-')}: must be a whole number from 0 to {MAX_SEED}, got {v}"
            for name, v in seeds.items() if v is not None and not 0 <= v <= MAX_SEED]


def too_many(reps: int | None = None, workers: int | None = None) -> list[str]:
    """--reps or --workers above what can run (the lower bound is each command's own check)."""
    out = []
    if reps is not None and reps > MAX_REPS:
        out.append(f"--reps: at most {MAX_REPS:,} replications, got {reps}")
    if workers is not None and workers > MAX_WORKERS:
        out.append(f"--workers: at most {MAX_WORKERS} local worker processes, got {workers} "
                   "(--cluster runs on more machines)")
    return out


def _blocking_parent(path: Path) -> Path | None:
    """The first existing ancestor of ``path`` that is not a folder (so nothing can be written below it)."""
    for parent in reversed(path.absolute().parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def output_problems(option: str, path: Path | None, folder: bool = False) -> list[str]:
    """Check an output path before any work: a file (or, ``folder``, a folder) that can be created there."""
    if path is None:
        return []
    if str(path) in ("", "."):
        return [f"{option}: give a {'folder' if folder else 'file'} name"]
    if not folder and path.is_dir():
        return [f"{option} {path}: is a folder; give a file name"]
    if folder and path.exists() and not path.is_dir():
        return [f"{option} {path}: is a file; give a folder to write the report into"]
    if (blocker := _blocking_parent(path)) is not None:
        return [f"{option} {path}: {blocker} is a file, not a folder"]
    where = next((p for p in [path, *path.absolute().parents] if p.exists()), None) if folder else \
        next((p for p in path.absolute().parents if p.exists()), None)
    if where is not None and where.is_dir() and not os.access(where, os.W_OK | os.X_OK):
        return [f"{option} {path}: cannot write in {where} (read-only or no permission)"]
    return []


def write_output(option: str, path: Path, data: str | bytes) -> None:
    """Write an output file atomically, or fail with one line naming the option and the file."""
    if problems := output_problems(option, path):
        fail(problems)
    try:
        atomic_write(path, data)
    except OSError as exc:
        fail(f"{option} {path}: cannot write: {exc.strerror or exc}")


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


@contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr, started at the first update (so no refresh thread exists
    yet when worker processes are forked)."""
    if not enabled:
        yield None
        return
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=err, transient=True)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()
