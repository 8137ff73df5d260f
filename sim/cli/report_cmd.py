"""``crisis-sim report``: an after-action report (HTML, Markdown, PDF) from a scenario, a stored batch or a workshop log."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer

from ..scenario.suggest import did_you_mean
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
    sensitivity: str | None = typer.Option(None, "--sensitivity", help="objective id: add a sensitivity section "
                                           "(--method oat: a tornado chart; morris, sobol: global indices)"),
    method: str = typer.Option("oat", "--method", help="of --sensitivity: oat (one at a time, local), morris or sobol"),
    discover: str | None = typer.Option(None, "--discover", help="objective id: add a scenario discovery section "
                                        "(where it is missed: Latin hypercube and PRIM)"),
    samples: int | None = typer.Option(None, "--samples", "-N", help="sobol: N (a power of 2, default 256); morris: "
                                       "trajectories (default 20); --discover: points (default 500)"),
    analysis: list[int] = typer.Option([], "--analysis", help="with --db: add a stored sensitivity or discovery "
                                       "analysis (its id in `crisis-sim results`; repeatable); alone with --db, "
                                       "the report is on that analysis's scenario"),
    out_dir: Path | None = typer.Option(None, "--out", "-o", help="output folder (default reports/<scenario>-<time>)"),
    formats: str = typer.Option("html,md", "--format", "-f", help="comma-separated: html, md, pdf"),
    db: Path | None = typer.Option(None, "--db", help="results database of `crisis-sim batch`"),
    batch: int | None = typer.Option(None, "--batch", help="batch id in --db"),
    point: int = typer.Option(1, "--point", help="with --db: which sweep point of the batch (1 = the first, "
                              "as `crisis-sim batch` lists them)"),
    session: Path | None = typer.Option(None, "--session", help="workshop session log"),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w",
                                help="worker processes for the replications and the --sensitivity runs (results "
                                     "do not depend on it)"),
    force: bool = typer.Option(False, "--force", help="replace the report already in --out (the folder is "
                               "cleared first; refused for a folder holding anything but a report)"),
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
    """Write an after-action report: exercise overview, timeline, objectives with why, improvement plan, annex.

    Never overwrites a report silently: the default folder gets a unique name, and an --out folder that
    already holds files is refused unless --force (which replaces the whole report, stale charts included).
    """
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
        problems.append("give exactly one source: a SCENARIO file, --db FILE --batch ID, --db FILE --analysis ID, "
                        "or --session FILE")
    if db is None and batch is not None:
        problems.append("--db and --batch go together")
    if db is not None and batch is None and not analysis:
        problems.append("with --db give --batch ID or --analysis ID")
    if analysis and db is None:
        problems.append("--analysis reads a stored analysis: give the results database with --db")
    if method not in ("oat", "morris", "sobol"):
        problems.append(f"--method: one of oat, morris, sobol, not {method!r}")
    elif method != "oat" and sensitivity is None:
        problems.append("--method goes with --sensitivity OBJECTIVE")
    if samples is not None and samples < 1:
        problems.append(f"--samples: must be at least 1, got {samples}")
    if point != 1 and db is None:
        problems.append("--point picks a sweep point of a stored batch: give it with --db and --batch")
    if problems:
        fail(problems)
    try:
        if source is not None:
            seed = 0 if seed is None else seed
            s = load(source, set_)
            kw: dict[str, Any] = dict(path=source, sets=set_, reps=reps, seed=seed)
        elif db is not None and batch is None:
            stored = _stored_analyses(db, analysis)
            first = stored[0]
            s = load(first["path"], first.get("sets", []))
            seed = int(first.get("seed", 0)) if seed is None else seed
            kw = dict(path=first["path"], sets=list(first.get("sets", [])), reps=reps, seed=seed,
                      source_kind=f"scenario of stored analysis {analysis[0]} in {db}")
        elif db is not None:
            from ..report.aar import project_path
            from ..report.sources import load_stored_batch
            if set_:
                fail("--set applies to a scenario file, not to a stored batch")
            assert batch is not None  # the stored-analysis branch above takes db without --batch
            sb = load_stored_batch(db, batch, point, workers)
            s, seed = sb.scenario, sb.seed
            kw = dict(path=sb.path, sets=sb.sets, reps=sb.replications.reps, seed=seed, replications=sb.replications,
                      summary=sb.summary, sweep=sb.sweep,
                      source_kind=f"stored batch {batch} in {project_path(db)}" + (f", {sb.where}" if sb.where else ""))
        else:
            from ..report.aar import project_path
            from ..report.sources import load_session
            if set_:
                fail("--set applies to a scenario file, not to a workshop session")
            assert session is not None
            summ = load_session(session)
            path, sets = summ["scenario_path"], list(summ.get("overrides") or [])
            s = load(path, sets)
            seed = int(summ.get("seed") or 0) if seed is None else seed
            kw = dict(path=path, sets=sets, reps=reps, seed=seed, narrated_run=summ["result"], workshop=summ,
                      source_kind=f"workshop session {project_path(session)}")
        other = load(compare) if compare is not None else None
        if sensitivity is not None and sensitivity not in s.objectives:
            fail(f"--sensitivity: no objective {sensitivity!r}{did_you_mean(sensitivity, s.objectives)}; "
                 f"objectives: {', '.join(s.objectives)}")
        if discover is not None and discover not in s.objectives:
            fail(f"--discover: no objective {discover!r}{did_you_mean(discover, s.objectives)}; "
                 f"objectives: {', '.join(s.objectives)}")
        from ..report.generate import default_out_dir, generation_time
        target, replaces = _claim(out_dir, default_out_dir(s, generation_time()), force)  # before any work
        show = err.is_terminal
        extra = _analyses(db, analysis if batch is not None else analysis[1:], kw, sensitivity, method, discover,
                          samples, workers, show)
        if db is not None and batch is None:
            extra = [stored[0], *extra]
        sens = None
        if sensitivity is not None and method == "oat":
            from ..batch.sensitivity import sensitivity as run_sensitivity
            with progress_bar(show, "sensitivity") as progress:
                sens = run_sensitivity(kw["path"], sensitivity, kw["reps"], kw["seed"], kw["sets"], workers=workers,
                                       progress=progress)
        cover = {"name": exercise, "dates": dates, "location": location, "classification": classification,
                 "analyst": analyst, "version": version,
                 "participants": [x.strip() for x in (participants or "").split(",") if x.strip()]}
        try:
            with progress_bar(show, "replications") as progress:
                w = make_report(ReportRequest(s, out=target, formats=fmts, compare_with=other,
                                              compare_seed=compare_seed, sensitivity=sens,
                                              sensitivity_objective=sensitivity, analyses=extra, cover=cover,
                                              workers=workers, **kw),
                                ProgressOnly(progress))
        except BaseException:
            _unclaim(target, replaces)
            raise
        if replaces is not None:
            w = _swap(w, target, replaces)
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


def _stored_analyses(db: Path, ids: list[int]) -> list[dict]:
    from ..batch.analyses import load as load_analysis
    from ..batch.store import StoreError
    try:
        return [load_analysis(db, i) for i in ids]
    except StoreError as exc:
        fail(str(exc))


def _analyses(db: Path | None, ids: list[int], kw: dict, sensitivity: str | None, method: str,
              discover: str | None, samples: int | None, workers: int, show: bool) -> list[dict]:
    """The analyses the report adds: stored ones (--analysis), a fresh Sobol or Morris (--sensitivity
    with --method), a fresh discovery (--discover); the runs print their count first, as the commands do."""
    from ..batch.executors import BackendError
    from ..batch.gsa import AnalysisUnavailable, Outcome
    from ..batch.runner import BatchError
    from .gsa_cmd import plan_line

    out = _stored_analyses(db, ids) if ids and db is not None else []
    try:
        if sensitivity is not None and method != "oat":
            from ..batch.gsa import analyse
            n = samples if samples is not None else (256 if method == "sobol" else 20)
            with progress_bar(show, f"{method} runs") as progress:
                out.append(analyse(method, kw["path"], Outcome(objective=sensitivity), n, 1, kw["seed"], kw["sets"],
                                   workers=workers, progress=progress,
                                   on_plan=lambda p: err.print(plan_line(p))).to_dict())
        if discover is not None:
            from ..batch.discover import discover as run_discover
            with progress_bar(show, "discovery runs") as progress:
                out.append(run_discover(kw["path"], Outcome(objective=discover), samples or 500, 1, kw["seed"],
                                        kw["sets"], workers=workers, progress=progress,
                                        on_plan=lambda p: err.print(plan_line(p))).to_dict(cases=True))
    except (AnalysisUnavailable, BatchError, BackendError) as exc:
        fail(str(exc))
    return out


REPORT_ENTRIES = {"aar.html", "aar.md", "aar.pdf", "data.json", "charts", "improvement_plan.xlsx", "improvement_plan.csv"}


def _claim(out_dir: Path | None, default: Path, force: bool) -> tuple[Path, Path | None]:
    """The folder the report is written into, made now (so two reports cannot pick the same one), and the
    report folder it replaces (``--force``), or None. Fails in one line when the folder is taken."""
    try:
        if out_dir is None:  # reports/<scenario>-<time>, then -2, -3, ... (same second, SOURCE_DATE_EPOCH)
            for k in range(1, 10_000):
                path = default if k == 1 else default.with_name(f"{default.name}-{k}")
                try:
                    path.mkdir(parents=True)
                    return path, None
                except FileExistsError:
                    continue
            fail(f"--out: {default.parent} already holds 10,000 reports named {default.name}; give --out")
        try:
            out_dir.mkdir(parents=True)
            return out_dir, None
        except FileExistsError:
            pass
        held = sorted(p.name for p in out_dir.iterdir())
        if not held:
            return out_dir, None
        if not force:
            fail(f"--out {out_dir}: already holds {', '.join(held[:4])}{', ...' if len(held) > 4 else ''}; give "
                 "another folder, or --force to replace the report in it")
        if other := [n for n in held if n not in REPORT_ENTRIES and not n.startswith(".")]:
            fail(f"--out {out_dir}: --force replaces a report folder only, and this one also holds "
                 f"{', '.join(other[:4])}{', ...' if len(other) > 4 else ''}")
        # written beside, then swapped in: the old report stays whole until the new one is
        new = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
        new.chmod(out_dir.stat().st_mode & 0o7777)  # mkdtemp makes 0700; keep the folder's own permissions
        return new, out_dir
    except OSError as exc:
        fail(f"--out {exc.filename or out_dir or default}: cannot write: {exc.strerror or exc}")


def _unclaim(target: Path, replaces: Path | None) -> None:
    """After a failed report: remove the folder made for it (a forced rewrite leaves the old report)."""
    if replaces is not None:
        shutil.rmtree(target, ignore_errors=True)
        return
    try:
        target.rmdir()  # only while empty: never what someone else wrote meanwhile
    except OSError:
        pass


def _swap(w, new: Path, old: Path):
    """Put the report written in ``new`` in place of the report folder ``old`` (which is removed whole)."""
    trash = Path(tempfile.mkdtemp(prefix=f".{old.name}.old-", dir=old.parent))
    os.replace(old, trash / old.name)
    os.replace(new, old)
    shutil.rmtree(trash, ignore_errors=True)
    w.files = [old / f.relative_to(new) for f in w.files]
    w.out = old
    return w


def _scenario_error():
    from ..scenario.errors import ScenarioError
    return ScenarioError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("report")(report)
