"""``crisis-sim batch``, ``sensitivity``, ``results`` and ``export``: Monte Carlo from the command line.

Parsing and printing only; the work is in :mod:`sim.batch`.
"""
from __future__ import annotations

import fnmatch
import json
import os
import shlex
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from .. import signals
from ..batch.executors import DEFAULT_CLUSTER_TIMEOUT, BackendError, ignoring_sigint
from ..batch.export import FORMATS, ExportError
from ..batch.export import export as export_rows
from ..batch.gsa import METHODS, Outcome
from ..batch.request import BatchRequest, Quiet, ResumeInfo
from ..batch.runner import BatchError, Plan, execute_batch, plan_batch, resume_key
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
    detail: bool = typer.Option(False, "--detail", help="a sweep: every point's own tables of metrics and "
                                "objectives, after one another (by default one table of the points side by side)"),
) -> None:
    """Run SCENARIO many times and summarise metrics and objective odds (per sweep point).

    --resume completes an interrupted batch of the same command with the same result. Workers and
    traces never change results, so a resume may use other --workers (or --cluster), and its
    --keep-traces applies to the replications it runs; it says when stored ones differ.
    """
    if problems := (_count_problems(reps=reps, workers=workers) + too_many(reps, workers) + seed_problems(seed=seed)
                    + _chart_problems(chart)):
        fail(problems)
    observer = _BatchLines(db, resume)
    try:
        command = _command("batch", scenario, [
            ("--reps", reps), ("--seed", seed), ("--set", set_), ("--vary", vary), ("--workers", workers),
            ("--cluster", cluster), ("--db", db), ("--explore-decisions", explore), ("--keep-traces", keep_traces)])
        if not resume:
            _point_at_resume(plan_batch(scenario, set_, vary), db, seed, reps, explore, command)
        with progress_bar(err.is_terminal and not json_, "replications") as progress:
            observer.bar = progress
            summary = execute_batch(BatchRequest(
                scenario, reps, seed, sets=set_, vary=vary, explore_decisions=explore, workers=workers,
                cluster=cluster, cluster_timeout=cluster_timeout, db=db, resume=resume, keep_traces=keep_traces,
                command=command), observer)
    except ScenarioError as exc:
        fail([str(p) for p in exc.problems])
    except (BatchError, BackendError, StoreError) as exc:
        bid = observer.batch_id
        if bid is None:
            fail(str(exc))
        fail(f"{exc}; {_kept(db, bid)}, run the same command with --resume to complete it", code=1)
    except KeyboardInterrupt as exc:
        bid = observer.batch_id
        if bid is not None:
            fail(f"{signals.describe(exc)}: {_kept(db, bid)}; run the same command with --resume to complete it",
                 code=signals.exit_code(exc))
        fail(signals.describe(exc), code=signals.exit_code(exc))
    if json_:
        print(summary.to_json())
    else:
        _print_summary(summary, scenario, reps, seed, set_, db, metric, all_metrics, detail)
    if chart is not None:
        from ..report.batch_charts import batch_chart
        _write_chart(chart, lambda fmt: batch_chart(summary.to_dict(), fmt), to_stderr=json_)


class _BatchLines(Quiet):
    """What `crisis-sim batch` tells on stderr as the batch goes: starting, resuming, the progress bar."""

    def __init__(self, db: Path, resume: bool) -> None:
        self.db, self.resume = db, resume
        self.batch_id: int | None = None
        self.bar: Callable[[int, int], None] | None = None

    def started(self, batch_id: int | None, resumed: bool) -> None:
        self.batch_id = batch_id
        if self.resume and not resumed:
            err.print(f"no unfinished batch matches this command in {self.db}; starting batch {batch_id}")

    def resume_missed(self, lines: list[str]) -> None:
        for line in lines:
            err.print(f"  {line}")

    def resuming(self, info: ResumeInfo) -> None:
        w = info.workers
        err.print(f"resuming batch {info.batch_id} from {self.db}: {info.stored} of {info.total} replications "
                  f"stored, {info.to_run} to run" + (f" with {w} worker{'s' if w != 1 else ''}"
                                                     if info.to_run else ""))
        untraced = info.stored - info.traced
        if not info.to_run:
            return
        if info.keep_traces and untraced:
            err.print(f"--keep-traces: the {info.to_run} replications still to run keep their traces; "
                      f"{untraced} of the {info.stored} stored earlier were run without --keep-traces and have none")
        elif not info.keep_traces and info.traced:
            err.print(f"no --keep-traces: the {info.to_run} replications still to run are stored without traces, "
                      f"unlike the {info.traced} stored earlier; add --keep-traces to keep them")

    def progress(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar(done, total)


def _point_at_resume(plan: Plan, db: Path, seed: int, reps: int, explore: bool, command: str) -> None:
    """The same command as an unfinished batch: say so, and how to complete that one instead."""
    try:
        if not db.is_file() or db.stat().st_size == 0:
            return
        with Store(db, create=False) as st:
            bid = st.find_unfinished(resume_key(plan, seed, reps, explore))
            b = st.batch(bid) if bid is not None else None
    except (OSError, StoreError):
        return  # the batch itself says what is wrong with the file
    if b is None:
        return
    line = shlex.join([*shlex.split(command), "--resume"])
    err.print(f"note: batch {b['id']} in {db} is this same command, {b['status']} with {b['stored']} of "
              f"{b['reps'] * b['points']} replications stored; this starts a new batch. To complete batch "
              f"{b['id']} instead: {line}", markup=False)


def _print_summary(summary, scenario: Path, reps: int, seed: int, set_: list[str], db: Path, metric: list[str],
                   all_metrics: bool, detail: bool = False) -> None:
    d = summary.to_dict()
    out.print(Text(f"{scenario}: {reps} replications per point, seed {seed}, scenario {d['scenario_hash']}"
                   + (f", {len(d['points'])} sweep points" if len(d["points"]) > 1 else "")
                   + f"  (batch {summary.batch_id} in {db})", style="bold"))
    objective_metrics = {o.metric for o in load_scenario(scenario, set_).objectives.values()}
    hidden = 0
    if len(d["points"]) > 1 and not detail:
        _print_sweep_table(d, metric, all_metrics)
        return
    for pt in d["points"]:
        names = list(pt["metrics"])
        shown = _shown_metrics(names, objective_metrics, metric, all_metrics)
        hidden = len(names) - len(shown)
        where = ", ".join(f"{k}={json.dumps(v)}" for k, v in pt["point"].items())
        _print_point(pt, shown, f"Point: {where}" if where else "Metrics")
    if hidden:
        out.print(Text(f"{hidden} more metrics per point: --metric GLOB or --all-metrics; --json for all", style="dim"))


SWEEP_HEADLINE = ("incidents", "peak_tension", "peak_rung")


def sweep_table(d: dict[str, Any], metric_patterns: Sequence[str] = (), all_metrics: bool = False
                ) -> tuple[Table, list[str]]:
    """One row per sweep point: the varied values, each objective's P(success) with its 95 % Wilson
    interval, and the mean of the headline metrics (or of those --metric picks); the key of the objectives."""
    from ..report.batch_charts import value_label

    paths = [v["path"] for v in d["vary"]]
    oids = list(d["points"][0]["objectives"]) if d["points"] else []
    names = list(d["points"][0]["metrics"]) if d["points"] else []
    metrics = names if all_metrics else [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in metric_patterns)] \
        if metric_patterns else [n for n in SWEEP_HEADLINE if n in names]
    t = Table(title=f"{len(d['points'])} sweep points, {d['reps']} replications each: P(success) over its 95% "
                    "Wilson interval (in %), and metric means", title_justify="left", padding=(0, 1), show_lines=True)
    t.add_column("#", justify="right", no_wrap=True)
    for p in paths:
        t.add_column(".".join(p.split(".")[-2:]), justify="right", overflow="fold", min_width=8)
    for k, _oid in enumerate(oids, 1):
        t.add_column(f"O{k}", justify="right", no_wrap=True)
    for m in metrics:
        t.add_column(m.replace("_", " "), justify="right", overflow="fold", min_width=6)
    for i, pt in enumerate(d["points"], 1):
        cells: list[str | Text] = [str(i), *(Text(value_label(pt["point"].get(p))) for p in paths)]
        for oid in oids:
            o = pt["objectives"][oid]
            p = o["p"] or 0.0
            style = "green" if p >= 0.9 else "yellow" if p >= 0.5 else "bold red"
            cells.append(Text(f"{p:.0%}\n{o['ci_low'] * 100:.0f}-{o['ci_high'] * 100:.0f}", style=style))
        cells += [_fmt(pt["metrics"][m]["mean"]) if m in pt["metrics"] else "-" for m in metrics]
        t.add_row(*cells)
    key = [f"O{k} {pt_title} ({oid})" for k, (oid, pt_title) in
           enumerate(((oid, d["points"][0]["objectives"][oid]["title"]) for oid in oids), 1)]
    return t, key


def _print_sweep_table(d: dict[str, Any], metric: list[str], all_metrics: bool) -> None:
    t, key = sweep_table(d, metric, all_metrics)
    out.print(t)
    for line in key:
        out.print(Text(f"  {line}", style="dim"))
    out.print(Text("every point's metrics and objectives in full: --detail; all of it: --json", style="dim"))


def sensitivity(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    objective: str | None = typer.Option(None, "--objective", "-o", help="objective id whose odds to explain"),
    metric: str | None = typer.Option(None, "--metric", "-m", help="or a metric whose mean to explain "
                                      "(sobol, morris)"),
    method: str = typer.Option("oat", "--method", help="oat (one at a time: a local view), morris (screening: "
                               "mu*, sigma) or sobol (first-order and total indices with intervals)"),
    samples: int | None = typer.Option(None, "--samples", "-N", help="sobol: N base samples, a power of 2 (runs: "
                                       "N x (D + 2)); morris: trajectories (runs: N x (D + 1)); default 256 / 20"),
    reps: int | None = typer.Option(None, "--reps", "-n", help="oat: replications at each end of each parameter "
                                    "(default 200); sobol, morris: replications per sample point (default 1)"),
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
                                         "extra 'report'); with --top, of the parameters shown; sobol: the "
                                         "indices with intervals; morris: mu* against sigma"),
    db: Path = typer.Option(DEFAULT_DB, "--db", help="sobol, morris: the results database the analysis is "
                            "stored in"),
) -> None:
    """Which uncertain parameters move P(OBJECTIVE) most? oat: one at a time, each to its low and high end;
    morris and sobol: global, every parameter at once over its range (extra 'analysis')."""
    if method not in METHODS:
        fail(f"--method: one of {', '.join(METHODS)}, not {method!r}")
    if method != "oat":
        if range_ or top:
            fail(f"--range and --top go with --method oat, not {method}")
        if (objective is None) == (metric is None):
            fail("give --objective ID or --metric NAME")
        from .gsa_cmd import run_gsa
        n = samples if samples is not None else (256 if method == "sobol" else 20)
        r = 1 if reps is None else reps
        run_gsa(method, scenario, Outcome(objective, metric), n, r, seed, set_, workers, cluster, not all_parameters,
                json_, chart, db, _command("sensitivity", scenario, [
                    ("--objective", objective), ("--metric", metric), ("--method", method), ("--samples", n),
                    ("--reps", r), ("--seed", seed), ("--set", set_), ("--db", db)]))
        return
    if objective is None or metric is not None:
        fail("--method oat explains an objective: give --objective ID (--metric goes with morris or sobol)")
    if samples is not None:
        fail("--samples goes with --method morris or sobol; oat runs --reps replications at each end")
    reps = 200 if reps is None else reps
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
    t = Table(title=f"Sensitivity of P({objective}) one at a time, a local view (base {_fmt(base)}, {reps} reps "
                    f"per end, seed {seed}; --method morris or sobol for a global one)", title_justify="left")
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


def _varied(b: dict[str, Any]) -> str:
    """What a stored batch varied and set, as typed: --vary path=v1,v2; --set path=v; --explore-decisions."""
    from ..report.batch_charts import value_label

    p = b["params"]
    parts = [f"--vary {v['path']}={','.join(value_label(x) for x in v['values'])}" for v in p.get("vary", [])]
    parts += [f"--set {x}" for x in p.get("sets", [])]
    if p.get("explore_decisions"):
        parts.append("--explore-decisions")
    return " ".join(parts) or "(no --vary or --set)"


def _resume_line(b: dict[str, Any]) -> str | None:
    """The command that completes an unfinished batch, or None when it finished."""
    if b["status"] == "done" or not b.get("command"):
        return None
    words = shlex.split(b["command"])
    return shlex.join(words if "--resume" in words else [*words, "--resume"])


def _analysis_outcome(a: dict[str, Any]) -> str:
    p = a["params"]
    if "objective" in p:
        return f"objective {p['objective']}"
    if "above" in p:
        return f"{p['metric']} above {p['above']:g}"
    if "below" in p:
        return f"{p['metric']} below {p['below']:g}"
    return f"metric {p.get('metric')}"


def results(
    db: Path = typer.Option(DEFAULT_DB, "--db", help="results database (SQLite)"),
    json_: bool = typer.Option(False, "--json", help="print the batches (and analyses, with their kind) as JSON"),
) -> None:
    """List the batches (what each varied and set, its status, replications done of asked) and the
    sensitivity and discovery analyses stored in the results database."""
    from ..batch.analyses import listing

    try:
        with Store(db, create=False) as st:
            try:
                rows = st.batches()
            except sqlite3.Error as exc:  # damage that the check on opening did not see
                raise st.error(exc, "cannot read") from None
        analyses = listing(db)
    except StoreError as exc:
        fail(str(exc))
    if json_:
        for b in rows:
            b["varied"], b["resume_command"] = _varied(b), _resume_line(b)
        print(json.dumps(rows + analyses, sort_keys=True, indent=2))
        return
    if not rows and not analyses:
        out.print(f"no batches in {db}")
        return
    if rows:
        t = Table(title=f"Batches in {db} (times UTC)", title_justify="left")
        for col in ("id", "scenario: varied and set", "seed", "points", "replications", "status", "started"):
            t.add_column(col, justify="right" if col in ("id", "seed", "points", "replications") else "left",
                         overflow="fold", no_wrap=not col.startswith("scenario"), min_width=24 if
                         col.startswith("scenario") else None)
        for b in rows:
            style = {"done": "green", "running": "yellow", "interrupted": "yellow", "failed": "red"}[b["status"]]
            t.add_row(str(b["id"]), Text(b["scenario"], style="bold") + Text("\n" + _varied(b)), str(b["seed"]),
                      str(b["points"]), f"{b['stored']}/{b['reps'] * b['points']}", Text(b["status"], style=style),
                      b["started"][5:16].replace("T", " "))
        out.print(t)
        for b in rows:
            if (line := _resume_line(b)) is not None and b["status"] != "running":
                out.print(Text(f"batch {b['id']} is {b['status']} ({b['stored']} of {b['reps'] * b['points']} "
                               f"replications stored); to complete it: {line}", style="yellow"))
    if analyses:
        a_t = Table(title=f"Analyses in {db} (times UTC; crisis-sim report --db {db} --analysis ID)",
                    title_justify="left")
        for col in ("id", "method", "scenario: of, set", "samples", "reps", "seed", "runs", "stored"):
            a_t.add_column(col, justify="right" if col in ("id", "samples", "reps", "seed", "runs") else "left",
                           overflow="fold", no_wrap=not col.startswith("scenario"), min_width=24 if
                           col.startswith("scenario") else None)
        for a in analyses:
            p = a["params"]
            what = _analysis_outcome(a) + "".join(f" --set {x}" for x in p.get("sets", []))
            a_t.add_row(str(a["id"]), a["kind"], Text(a["scenario"], style="bold") + Text("\n" + what),
                        str(p.get("samples", "-")), str(p.get("reps", "-")), str(p.get("seed", "-")),
                        str(p.get("runs", "-")), a["created"][5:16].replace("T", " "))
        out.print(a_t)


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
    from .gsa_cmd import discover
    app.command("discover")(discover)
    app.command("results")(results)
    app.command("export")(export)
