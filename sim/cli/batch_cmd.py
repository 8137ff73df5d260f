"""``crisis-sim batch``, ``sensitivity``, ``results`` and ``export``: Monte Carlo from the command line.

Parsing and printing only; the work is in :mod:`sim.batch`.
"""
from __future__ import annotations

import fnmatch
import json
import os
import shlex
import sqlite3
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from .. import signals
from ..batch.executors import DEFAULT_CLUSTER_TIMEOUT, BackendError, ignoring_sigint
from ..batch.export import FORMATS, ExportError
from ..batch.export import export as export_rows
from ..batch.runner import BatchError, run_batch
from ..batch.sensitivity import sensitivity as run_sensitivity
from ..batch.store import Store, StoreError
from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from .common import err, fail, load, out, output_problems, progress_bar, seed_problems, too_many, write_output

DEFAULT_DB = Path("reports/results.db")
HEADLINE = ("encounters", "incidents", "incident_share", "peak_tension", "final_tension", "peak_rung",
            "committed_troops")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if not isinstance(v, (int, float)):
        return str(v)
    if abs(v) >= 1000 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _count_problems(**counts: int) -> list[str]:
    """A count option below 1, one line per bad option."""
    return [f"--{name}: must be at least 1, got {n}" for name, n in counts.items() if n < 1]


def _chart_problems(chart: Path | None) -> list[str]:
    """Check ``--chart FILE`` before any work: a .svg or .png name, and the 'report' extra installed."""
    if chart is None:
        return []
    if chart.suffix.lower() not in (".svg", ".png"):
        return [f"--chart: {chart}: the file name must end in .svg or .png"]
    if problems := output_problems("--chart", chart):
        return problems
    try:
        from ..report import batch_charts  # noqa: F401
    except ModuleNotFoundError as exc:
        missing = (exc.name or "matplotlib").split(".")[0]
        return [f"--chart needs the 'report' extra ({missing} is not installed): pip install -e '.[report]'"]
    return []


def _write_chart(chart: Path, draw, to_stderr: bool) -> None:
    """Draw (``draw(fmt)`` returns a Drawn) and write the chart atomically; say where."""
    drawn = draw(chart.suffix.lower().lstrip("."))
    write_output("--chart", chart, drawn.data)
    (err if to_stderr else out).print(f"chart written to {chart}")


def _kept(db: Path, batch_id: int) -> str:
    """``N replications kept in batch B of DB`` (read back from the store; it may be unreadable by now)."""
    with ignoring_sigint():  # a second Ctrl-C must not cut this line short
        try:
            with Store(db, create=False) as st:
                return f"{st.count(batch_id)} replications kept in batch {batch_id} of {db}"
        except (StoreError, sqlite3.Error):
            return f"the replications stored so far are kept in batch {batch_id} of {db}"


def _command(name: str, scenario: Path, options: list[tuple[str, object]]) -> str:
    """The command line as parsed (what --resume must repeat), for the results store."""
    words = ["crisis-sim", name, str(scenario)]
    for opt, v in options:
        for x in (v if isinstance(v, list) else [v]):
            if x is True:
                words.append(opt)
            elif x not in (None, False):
                words += [opt, str(x)]
    return shlex.join(words)


def _shown_metrics(names: list[str], objective_metrics: set[str], patterns: list[str], all_: bool) -> list[str]:
    if all_:
        return names
    if patterns:
        return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    return [n for n in names if n in HEADLINE or n in objective_metrics]


def _print_point(pt: dict, metric_names: list[str], title: str) -> None:
    m = Table(title=title, title_justify="left", show_lines=False, padding=(0, 1))
    m.add_column("metric", overflow="fold", min_width=22)
    for col in ("n/never", "mean", "sd", "p5", "p50", "p95", "95% CI mean"):
        m.add_column(col, justify="right", no_wrap=True)
    for name in metric_names:
        s = pt["metrics"].get(name)
        if s is None:
            continue
        ci = "-" if s["ci_low"] is None else f"{_fmt(s['ci_low'])}-{_fmt(s['ci_high'])}"
        m.add_row(name, f"{s['n']}/{s['never']}" if s["never"] else str(s["n"]), _fmt(s["mean"]), _fmt(s["sd"]),
                  _fmt(s["p5"]), _fmt(s["p50"]), _fmt(s["p95"]), ci)
    out.print(m)
    o = Table(show_lines=False, padding=(0, 1))
    o.add_column("objective", overflow="fold", min_width=30)
    o.add_column("P(success)", justify="right", no_wrap=True)
    o.add_column("95% Wilson", justify="right", no_wrap=True)
    o.add_column("met", justify="right", no_wrap=True)
    for oid, s in pt["objectives"].items():
        p = s["p"] or 0.0
        style = "green" if p >= 0.9 else "yellow" if p >= 0.5 else "bold red"
        o.add_row(f"{s['title']} [dim]({oid})[/dim]", Text(f"{p:.1%}", style=style),
                  f"{s['ci_low']:.1%}-{s['ci_high']:.1%}", f"{s['successes']}/{s['n']}")
    out.print(o)
    if "by_option" in pt:
        b = Table(title="P(objective) by option taken", title_justify="left", padding=(0, 1))
        oids = list(pt["objectives"])
        b.add_column("decision: option", overflow="fold", min_width=22)
        b.add_column("runs", justify="right")
        for k, _oid in enumerate(oids, 1):
            b.add_column(f"O{k}", justify="right", no_wrap=True)
        for did, opts in pt["by_option"].items():
            for opt, cell in opts.items():
                b.add_row(f"{did}: {opt}", str(cell["n"]),
                          *[f"{cell['objectives'][oid]['p']:.0%}" if cell["n"] else "-" for oid in oids])
        out.print(b)
        out.print(Text("  " + ", ".join(f"O{k} {oid}" for k, oid in enumerate(oids, 1)), style="dim"))


def batch(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    reps: int = typer.Option(100, "--reps", "-n", help="replications per sweep point"),
    seed: int = typer.Option(0, "--seed", "-s", help="replication i uses SeedSequence(SEED).spawn(REPS)[i]"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    vary: list[str] = typer.Option([], "--vary", help="sweep: path=v1,v2,... or path=start:stop:step (stop "
                                   "included); several make a full grid"),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w", help="local worker processes"),
    cluster: str | None = typer.Option(None, "--cluster", help="run on a Dask cluster: tcp://HOST:PORT"),
    cluster_timeout: float = typer.Option(DEFAULT_CLUSTER_TIMEOUT, "--cluster-timeout",
                                          help="seconds to wait for the --cluster scheduler to answer"),
    db: Path = typer.Option(DEFAULT_DB, "--db", help="results database (SQLite)"),
    resume: bool = typer.Option(False, "--resume", help="complete the unfinished batch of this same command "
                                "(same scenario, --set, --vary, --reps, --seed, --explore-decisions); --workers, "
                                "--cluster and --keep-traces may differ and apply to the replications still to run"),
    json_: bool = typer.Option(False, "--json", help="print the summary as JSON (no wall-clock fields)"),
    explore: bool = typer.Option(False, "--explore-decisions", help="decide at random by option weights; "
                                 "summarise outcomes per option"),
    keep_traces: bool = typer.Option(False, "--keep-traces", help="store every run's trace too (large); with "
                                     "--resume, the traces of the replications still to run"),
    metric: list[str] = typer.Option([], "--metric", "-m", help="metrics to show (glob, repeatable)"),
    all_metrics: bool = typer.Option(False, "--all-metrics", help="show every metric in the table"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw P(success) per objective to FILE (.svg or "
                                         ".png; extra 'report'): bars, or lines against the --vary values"),
) -> None:
    """Run SCENARIO many times and summarise metrics and objective odds (per sweep point).

    --resume completes an interrupted batch of the same command with the same result. Workers and
    traces never change results, so a resume may use other --workers (or --cluster), and its
    --keep-traces applies to the replications it runs; it says when stored ones differ.
    """
    if problems := (_count_problems(reps=reps, workers=workers) + too_many(reps, workers) + seed_problems(seed=seed)
                    + _chart_problems(chart)):
        fail(problems)
    state: dict = {}

    def started(batch_id, resumed) -> None:
        state["id"] = batch_id
        if resume and not resumed:
            err.print(f"no unfinished batch matches this command in {db}; starting batch {batch_id}")

    def missed(lines: list[str]) -> None:
        for line in lines:
            err.print(f"  {line}")

    def resuming(info: dict) -> None:
        w = info["workers"]
        err.print(f"resuming batch {info['batch_id']} from {db}: {info['stored']} of {info['total']} replications "
                  f"stored, {info['to_run']} to run" + (f" with {w} worker{'s' if w != 1 else ''}"
                                                         if info["to_run"] else ""))
        untraced = info["stored"] - info["traced"]
        if not info["to_run"]:
            return
        if info["keep_traces"] and untraced:
            err.print(f"--keep-traces: the {info['to_run']} replications still to run keep their traces; "
                      f"{untraced} of the {info['stored']} stored earlier were run without --keep-traces and have none")
        elif not info["keep_traces"] and info["traced"]:
            err.print(f"no --keep-traces: the {info['to_run']} replications still to run are stored without traces, "
                      f"unlike the {info['traced']} stored earlier; add --keep-traces to keep them")

    show = err.is_terminal and not json_
    try:
        with progress_bar(show, "replications") as progress:
            summary = run_batch(scenario, reps, seed, sets=set_, vary=vary, explore_decisions=explore,
                                workers=workers, cluster=cluster, cluster_timeout=cluster_timeout, db=db,
                                resume=resume, progress=progress,
                                keep_traces=keep_traces, on_start=started, on_resume=resuming, on_resume_miss=missed,
                                command=_command("batch", scenario, [
                                    ("--reps", reps), ("--seed", seed), ("--set", set_), ("--vary", vary),
                                    ("--workers", workers), ("--cluster", cluster), ("--db", db),
                                    ("--explore-decisions", explore), ("--keep-traces", keep_traces)]))
    except ScenarioError as exc:
        fail([str(p) for p in exc.problems])
    except (BatchError, BackendError, StoreError) as exc:
        bid = state.get("id")
        if bid is None:
            fail(str(exc))
        fail(f"{exc}; {_kept(db, bid)}, run the same command with --resume to complete it", code=1)
    except KeyboardInterrupt as exc:
        bid = state.get("id")
        if bid is not None:
            fail(f"{signals.describe(exc)}: {_kept(db, bid)}; run the same command with --resume to complete it",
                 code=signals.exit_code(exc))
        fail(signals.describe(exc), code=signals.exit_code(exc))
    if json_:
        print(summary.to_json())
    else:
        _print_summary(summary, scenario, reps, seed, set_, db, metric, all_metrics)
    if chart is not None:
        from ..report.batch_charts import batch_chart
        _write_chart(chart, lambda fmt: batch_chart(summary.to_dict(), fmt), to_stderr=json_)


def _print_summary(summary, scenario: Path, reps: int, seed: int, set_: list[str], db: Path, metric: list[str],
                   all_metrics: bool) -> None:
    d = summary.to_dict()
    out.print(Text(f"{scenario}: {reps} replications per point, seed {seed}, scenario {d['scenario_hash']}"
                   + (f", {len(d['points'])} sweep points" if len(d["points"]) > 1 else "")
                   + f"  (batch {summary.batch_id} in {db})", style="bold"))
    objective_metrics = {o.metric for o in load_scenario(scenario, set_).objectives.values()}
    hidden = 0
    for pt in d["points"]:
        names = list(pt["metrics"])
        shown = _shown_metrics(names, objective_metrics, metric, all_metrics)
        hidden = len(names) - len(shown)
        where = ", ".join(f"{k}={json.dumps(v)}" for k, v in pt["point"].items())
        _print_point(pt, shown, f"Point: {where}" if where else "Metrics")
    if hidden:
        out.print(Text(f"{hidden} more metrics per point: --metric GLOB or --all-metrics; --json for all", style="dim"))


def sensitivity(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    objective: str = typer.Option(..., "--objective", "-o", help="objective id whose odds to explain"),
    reps: int = typer.Option(200, "--reps", "-n", help="replications at each end of each parameter"),
    seed: int = typer.Option(0, "--seed", "-s", help="the same seeds at every end (common random numbers)"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    range_: list[str] = typer.Option([], "--range", help="vary this parameter over path=low:high (repeatable)"),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w", help="local worker processes"),
    cluster: str | None = typer.Option(None, "--cluster", help="run on a Dask cluster: tcp://HOST:PORT"),
    top: int = typer.Option(0, "--top", help="show only the top N parameters (0: all)"),
    all_parameters: bool = typer.Option(False, "--all-parameters", help="run every parameter, also those with no "
                                        "causal path to the objective (their swing is 0: by default they are not run)"),
    json_: bool = typer.Option(False, "--json", help="print the ranking as JSON (tornado chart data)"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw the tornado chart to FILE (.svg or .png; "
                                         "extra 'report'); with --top, of the parameters shown"),
) -> None:
    """Which uncertain parameters move P(OBJECTIVE) most? One at a time, each to its low and high end."""
    problems = _count_problems(reps=reps, workers=workers) + too_many(reps, workers) + seed_problems(seed=seed)
    if top < 0:
        problems.append(f"--top: must be 0 (every parameter) or more, got {top}")
    if problems := problems + _chart_problems(chart):
        fail(problems)
    try:
        with progress_bar(err.is_terminal and not json_, "sensitivity") as progress:
            rows = run_sensitivity(scenario, objective, reps, seed, set_, ranges=range_, workers=workers,
                                   cluster=cluster, progress=progress, prune=not all_parameters)
    except ScenarioError as exc:
        fail([str(p) for p in exc.problems])
    except (BatchError, BackendError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        fail(signals.describe(exc), code=signals.exit_code(exc))
    skipped = [r["param"] for r in rows if not r["run"]]
    if not json_:
        rows = [r for r in rows if r["run"]]
    if top > 0:
        rows = rows[:top]
    if json_:
        print(json.dumps({"objective": objective, "reps": reps, "seed": seed, "sets": list(set_),
                          "p_base": rows[0]["p_base"] if rows else None, "parameters": rows},
                         sort_keys=True, indent=2))
    else:
        _print_sensitivity(rows, objective, reps, seed)
        if skipped:
            out.print(Text(f"{len(skipped)} parameters not run: no chain of conditions and effects leads from them "
                           f"to {objective}'s metric, so their swing is 0 (--all-parameters runs them): "
                           + ", ".join(skipped), style="dim"))
    if chart is not None:
        if not rows:
            fail(f"--chart: {scenario} has no uncertain parameter to chart; give some with --range path=low:high")
        from ..report.batch_charts import sensitivity_chart
        name = load(scenario, set_).name
        _write_chart(chart, lambda fmt: sensitivity_chart(rows, objective, fmt, scenario=name, reps=reps, seed=seed),
                     to_stderr=json_)


def _print_sensitivity(rows: list[dict], objective: str, reps: int, seed: int) -> None:
    base = rows[0]["p_base"] if rows else None
    t = Table(title=f"Sensitivity of P({objective}) (base {_fmt(base)}, {reps} reps per end, seed {seed})",
              title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("parameter", overflow="fold", min_width=30)
    for col in ("low", "high", "P at low", "P at high", "swing"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("", no_wrap=True)
    widest = max([r["swing"] for r in rows] + [1e-12])
    for i, r in enumerate(rows, 1):
        t.add_row(str(i), r["param"], f"{r['low']:g}", f"{r['high']:g}", f"{r['p_low']:.1%}", f"{r['p_high']:.1%}",
                  f"{r['swing']:.1%}", "█" * round(12 * r["swing"] / widest))
    out.print(t)


def results(
    db: Path = typer.Option(DEFAULT_DB, "--db", help="results database (SQLite)"),
    json_: bool = typer.Option(False, "--json", help="print the batches as JSON"),
) -> None:
    """List the batches stored in the results database."""
    try:
        with Store(db, create=False) as st:
            try:
                rows = st.batches()
            except sqlite3.Error as exc:  # damage that the check on opening did not see
                raise st.error(exc, "cannot read") from None
    except StoreError as exc:
        fail(str(exc))
    if json_:
        print(json.dumps(rows, sort_keys=True, indent=2))
        return
    if not rows:
        out.print(f"no batches in {db}")
        return
    t = Table(title=f"Batches in {db}", title_justify="left")
    for col in ("id", "scenario", "seed", "reps", "points", "stored", "status", "started (UTC)"):
        t.add_column(col, justify="right" if col in ("id", "seed", "reps", "points", "stored") else "left",
                     overflow="fold")
    for b in rows:
        style = {"done": "green", "running": "yellow", "interrupted": "yellow", "failed": "red"}[b["status"]]
        t.add_row(str(b["id"]), b["scenario"], str(b["seed"]), str(b["reps"]), str(b["points"]),
                  f"{b['stored']}/{b['reps'] * b['points']}", Text(b["status"], style=style),
                  b["started"][:16].replace("T", " "))
    out.print(t)


def export(
    batch_id: int = typer.Argument(..., help="batch id (see crisis-sim results)"),
    format_: str = typer.Option("csv", "--format", "-f", help="csv or parquet"),
    out_path: Path | None = typer.Option(None, "--out", "-o", help="output file (default reports/batch-ID.FORMAT)"),
    db: Path = typer.Option(DEFAULT_DB, "--db", help="results database (SQLite)"),
) -> None:
    """Export a batch's replications, one row each, as CSV or Parquet."""
    if format_ not in FORMATS:
        fail(f"--format: must be one of {', '.join(FORMATS)}, not {format_!r}")
    if problems := output_problems("--out", out_path):
        fail(problems)
    try:
        data = export_rows(str(db), batch_id, format_)
    except (StoreError, ExportError) as exc:
        fail(str(exc))
    path = out_path or Path("reports") / f"batch-{batch_id}.{format_}"
    write_output("--out", path, data)
    err.print(f"batch {batch_id} written to {path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("batch")(batch)
    app.command("sensitivity")(sensitivity)
    app.command("results")(results)
    app.command("export")(export)
