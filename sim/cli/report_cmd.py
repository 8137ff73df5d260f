"""``crisis-sim report``: an after-action report (HTML, Markdown, PDF) from a scenario, a stored batch or a workshop log."""
from __future__ import annotations

import os
from pathlib import Path

import typer

from .common import err, fail, load, out, output_problems, progress_bar, seed_problems, too_many


def report(
    source: Path | None = typer.Argument(None, help="scenario YAML file (or use --db/--batch, --session)"),
    reps: int = typer.Option(200, "--reps", "-n", help="replications in the Monte Carlo batch"),
    seed: int | None = typer.Option(None, "--seed", "-s", help="seed of the narrated run and of the batch "
                                       "(default 0; with --session: the session's seed, for the batch)"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    compare: Path | None = typer.Option(None, "--compare", help="reference scenario to compare against"),
    compare_seed: int | None = typer.Option(None, "--compare-seed", help="seed of the reference batch "
                                               "(default: --seed, i.e. common random numbers)"),
    sensitivity: str | None = typer.Option(None, "--sensitivity", help="objective id: add a tornado chart"),
    out_dir: Path | None = typer.Option(None, "--out", "-o", help="output folder (default reports/<scenario>-<time>)"),
    formats: str = typer.Option("html,md", "--format", "-f", help="comma-separated: html, md, pdf"),
    db: Path | None = typer.Option(None, "--db", help="results database of `crisis-sim batch`"),
    batch: int | None = typer.Option(None, "--batch", help="batch id in --db"),
    point: int = typer.Option(1, "--point", help="with --db: which sweep point of the batch (1 = the first, "
                              "as `crisis-sim batch` lists them)"),
    session: Path | None = typer.Option(None, "--session", help="workshop session log"),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w",
                                help="worker processes for the --sensitivity runs (results do not depend on it)"),
    exercise: str | None = typer.Option(None, "--exercise", help="cover: exercise name (default: the scenario's "
                                        "exercise: section, else its title)"),
    dates: str | None = typer.Option(None, "--dates", help="cover: exercise dates"),
    location: str | None = typer.Option(None, "--location", help="cover: exercise location"),
    participants: str | None = typer.Option(None, "--participants", help="cover: participants, comma-separated"),
    classification: str | None = typer.Option(None, "--classification", help="cover: classification marking, "
                                              "printed in every page's header and footer"),
    analyst: str | None = typer.Option(None, "--analyst", help="cover: analyst"),
    version: str | None = typer.Option(None, "--report-version", help="cover: the report's version"),
) -> None:
    """Write an after-action report: exercise overview, timeline, objectives with why, improvement plan, annex."""
    try:
        from ..report.generate import FORMATS, ProgressOnly, ReportError, ReportRequest, make_report
        from ..report.render import PdfUnavailable
    except ModuleNotFoundError as exc:
        fail(f"reports need the 'report' extra ({exc.name} is not installed): pip install -e '.[report]'")

    fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    problems = []
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        problems.append(f"--format: unknown format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}")
    if reps < 1:
        problems.append(f"--reps: give at least 1 replication, got {reps}")
    if workers < 1:
        problems.append(f"--workers: give at least 1 worker, got {workers}")
    problems += too_many(reps, workers) + seed_problems(seed=seed, compare_seed=compare_seed)
    problems += output_problems("--out", out_dir, folder=True)
    given = sum(x is not None for x in (source, db, session))
    if given != 1:
        problems.append("give exactly one source: a SCENARIO file, --db FILE --batch ID, or --session FILE")
    if (db is None) != (batch is None):
        problems.append("--db and --batch go together")
    if point != 1 and db is None:
        problems.append("--point picks a sweep point of a stored batch: give it with --db and --batch")
    if problems:
        fail(problems)
    try:
        if source is not None:
            seed = 0 if seed is None else seed
            s = load(source, set_)
            kw = dict(path=source, sets=set_, reps=reps, seed=seed)
        elif db is not None:
            from ..report.aar import project_path
            from ..report.sources import load_stored_batch
            if set_:
                fail("--set applies to a scenario file, not to a stored batch")
            sb = load_stored_batch(db, batch, point)
            s, seed = sb.scenario, sb.seed
            kw = dict(path=sb.path, sets=sb.sets, reps=sb.replications.reps, seed=seed, replications=sb.replications,
                      summary=sb.summary, sweep=sb.sweep,
                      source_kind=f"stored batch {batch} in {project_path(db)}" + (f", {sb.where}" if sb.where else ""))
        else:
            from ..report.aar import project_path
            from ..report.sources import load_session
            if set_:
                fail("--set applies to a scenario file, not to a workshop session")
            summ = load_session(session)
            path, sets = summ["scenario_path"], list(summ.get("overrides") or [])
            s = load(path, sets)
            seed = int(summ.get("seed") or 0) if seed is None else seed
            kw = dict(path=path, sets=sets, reps=reps, seed=seed, narrated_run=summ["result"], workshop=summ,
                      source_kind=f"workshop session {project_path(session)}")
        other = load(compare) if compare is not None else None
        if sensitivity is not None and sensitivity not in s.objectives:
            fail(f"--sensitivity: no objective {sensitivity!r}; objectives: {', '.join(s.objectives)}")
        sens = None
        show = err.is_terminal
        if sensitivity is not None:
            from ..batch.sensitivity import sensitivity as run_sensitivity
            with progress_bar(show, "sensitivity") as progress:
                sens = run_sensitivity(kw["path"], sensitivity, kw["reps"], kw["seed"], kw["sets"], workers=workers,
                                       progress=progress)
        cover = {"name": exercise, "dates": dates, "location": location, "classification": classification,
                 "analyst": analyst, "version": version,
                 "participants": [x.strip() for x in (participants or "").split(",") if x.strip()]}
        with progress_bar(show, "replications") as progress:
            w = make_report(ReportRequest(s, out=out_dir, formats=fmts, compare_with=other, compare_seed=compare_seed,
                                          sensitivity=sens, sensitivity_objective=sensitivity, cover=cover, **kw),
                            ProgressOnly(progress))
    except ReportError as exc:
        fail(str(exc))
    except OSError as exc:  # the report folder or a file in it cannot be written
        where = exc.filename or out_dir or "reports/"
        fail(f"--out {where}: cannot write: {exc.strerror or exc}")
    except PdfUnavailable as exc:
        fail(str(exc))
    except _scenario_error() as exc:
        fail([str(p) for p in exc.problems])
    out.print(f"report written to {w.out}/")
    for f in w.files:
        if f.parent == w.out:
            out.print(f"  {f.name}")
    out.print(f"  charts/ ({sum(1 for f in w.files if f.parent.name == 'charts')} files)")


def _scenario_error():
    from ..scenario.errors import ScenarioError
    return ScenarioError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("report")(report)
