"""``crisis-sim sensitivity --method sobol|morris`` and ``crisis-sim discover``: printing only;
the work is in :mod:`sim.batch.gsa` and :mod:`sim.batch.discover`."""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from ..batch.executors import BackendError
from ..batch.gsa import AnalysisUnavailable, Outcome, SamplePlan
from ..batch.runner import BatchError
from ..batch.store import StoreError
from ..scenario.errors import ScenarioError
from .common import err, fail, out, progress_bar, seed_problems, too_many, write_output


def _interval(v: float | None, c: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.3f} [{v - (c or 0.0):.3f}, {v + (c or 0.0):.3f}]"


def plan_line(plan: SamplePlan) -> str:
    """The run count, said before any run: "Sobol: 256 x (5 + 2) = 1792 sample points ..."."""
    d = len(plan.factors)
    if plan.method == "sobol":
        how = f"Sobol: N x (D + 2) = {plan.samples} x ({d} + 2) = {plan.points} sample points"
    elif plan.method == "morris":
        how = f"Morris: {plan.samples} trajectories x ({d} + 1) = {plan.points} sample points"
    else:
        how = f"Latin hypercube: {plan.points} sample points of {d} parameters"
    same = f" ({plan.distinct} distinct)" if plan.distinct != plan.points else ""
    return (f"{how}{same}, {plan.reps} replication{'s' if plan.reps != 1 else ''} each on the same seeds: "
            f"{plan.runs} runs")


def pruned_line(pruned: list[dict[str, Any]], what: str) -> str:
    return (f"{len(pruned)} parameters not sampled: no chain of conditions and effects leads from them to {what} "
            f"(--all-parameters samples them): " + ", ".join(p["label"] for p in pruned))


def _checks(samples: int, reps: int, workers: int, seed: int) -> list[str]:
    problems = [f"--{n}: must be at least 1, got {v}" for n, v in (("samples", samples), ("reps", reps),
                                                                    ("workers", workers)) if v < 1]
    return problems + too_many(reps, workers) + seed_problems(seed=seed)


def _chart_ok(chart: Path | None) -> list[str]:
    from .batch_cmd import _chart_problems
    return _chart_problems(chart)


def _show(d: dict[str, Any], json_: bool, printer: Callable[[dict[str, Any]], None], chart: Path | None,
          draw: Callable[[str], bytes]) -> None:
    """An analysis as JSON or a table, and its chart (``draw(fmt)``) when asked (sensitivity and discover)."""
    if json_:
        print(json.dumps(d, sort_keys=True, indent=2, allow_nan=False))
    else:
        printer(d)
    if chart is not None:
        write_output("--chart", chart, draw(chart.suffix.lower().lstrip(".")))
        (err if json_ else out).print(f"chart written to {chart}")


def _store(db: Path | None, kind: str, result: dict[str, Any], command: str, to_stderr: bool) -> None:
    if db is None:
        return
    from ..batch.analyses import save
    try:
        aid = save(db, kind, result, command)
    except StoreError as exc:
        fail(str(exc))
    (err if to_stderr else out).print(Text(f"stored as analysis {aid} in {db} (crisis-sim results; "
                                           f"crisis-sim report --db {db} --analysis {aid})", style="dim"))


def run_gsa(method: str, scenario: Path, outcome: Outcome, samples: int, reps: int, seed: int, sets: list[str],
            workers: int, cluster: str | None, prune: bool, json_: bool, chart: Path | None, db: Path | None,
            command: str) -> None:
    """``sensitivity --method sobol|morris``: plan line, progress bar, ranked table or JSON, chart, store."""
    from ..batch.gsa import analyse

    if problems := _checks(samples, reps, workers, seed) + _chart_ok(chart):
        fail(problems)

    def planned(plan: SamplePlan) -> None:
        err.print(plan_line(plan))

    try:
        with progress_bar(err.is_terminal and not json_, f"{method} runs") as progress:
            res = analyse(method, scenario, outcome, samples, reps, seed, sets, workers=workers, cluster=cluster,
                          progress=progress, prune=prune, on_plan=planned)
    except ScenarioError as exc:
        fail([str(p) for p in exc.problems])
    except (BatchError, BackendError, AnalysisUnavailable) as exc:
        fail(str(exc))
    d = res.to_dict()

    def draw(fmt: str) -> bytes:
        from ..report.gsa_charts import gsa_chart
        return gsa_chart(d, fmt)

    _show(d, json_, print_gsa, chart, draw)
    _store(db, method, d, command, json_)


def print_gsa(d: dict[str, Any]) -> None:
    what = f"P({d['objective']})" if "objective" in d else f"mean {d['metric']}"
    if d["method"] == "sobol":
        t = Table(title=f"Sobol indices of {what}, ranked by total index ({d['conf_level']:.0%} bootstrap "
                        f"intervals; N = {d['samples']}, {d['runs']} runs, seed {d['seed']})", title_justify="left")
        t.add_column("#", justify="right")
        t.add_column("parameter", overflow="fold", min_width=30)
        t.add_column("total ST [interval]", justify="right", no_wrap=True)
        t.add_column("first order S1 [interval]", justify="right", no_wrap=True)
        t.add_column("", no_wrap=True)
        for i, r in enumerate(d["parameters"], 1):
            t.add_row(str(i), Text(r["label"]), _interval(r["ST"], r["ST_conf"]), _interval(r["S1"], r["S1_conf"]),
                      "█" * round(12 * max(0.0, min(1.0, r["ST"] or 0.0))))
    else:
        t = Table(title=f"Morris screening of {what}, ranked by mu* ({d['conf_level']:.0%} bootstrap intervals; "
                        f"{d['samples']} trajectories, {d['runs']} runs, seed {d['seed']})", title_justify="left")
        t.add_column("#", justify="right")
        t.add_column("parameter", overflow="fold", min_width=30)
        t.add_column("mu* [interval]", justify="right", no_wrap=True)
        t.add_column("mu", justify="right", no_wrap=True)
        t.add_column("sigma", justify="right", no_wrap=True)
        for i, r in enumerate(d["parameters"], 1):
            t.add_row(str(i), Text(r["label"]), _interval(r["mu_star"], r["mu_star_conf"]), f"{r['mu'] or 0.0:.3f}",
                      f"{r['sigma'] or 0.0:.3f}")
    out.print(t)
    out.print(Text(f"{what} over the sample: mean {d['y_mean'] if d['y_mean'] is not None else '-'}", style="dim"))
    for n in d["notes"]:
        out.print(Text(n, style="yellow"))
    if d["pruned"]:
        out.print(Text(pruned_line(d["pruned"], what), style="dim"))
    out.print(Text(d["limits"], style="dim"))


def discover(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    objective: str | None = typer.Option(None, "--objective", "-o", help="find where this objective is missed"),
    metric: str | None = typer.Option(None, "--metric", "-m", help="or find where this metric is --above or "
                                      "--below a value"),
    above: float | None = typer.Option(None, "--above", help="with --metric: runs above this value are of interest"),
    below: float | None = typer.Option(None, "--below", help="with --metric: runs below this value are of interest"),
    samples: int = typer.Option(500, "--samples", "-N", help="Latin hypercube sample points"),
    reps: int = typer.Option(1, "--reps", "-n", help="replications per sample point (the same seeds at every point)"),
    seed: int = typer.Option(0, "--seed", "-s", help="seeds the sample and the replications"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w", help="local worker processes"),
    cluster: str | None = typer.Option(None, "--cluster", help="run on a Dask cluster: tcp://HOST:PORT"),
    min_coverage: float = typer.Option(0.5, "--min-coverage", help="the box shown is the densest holding at least "
                                       "this share of the runs of interest"),
    all_parameters: bool = typer.Option(False, "--all-parameters", help="sample every parameter, also those with "
                                        "no causal path to the outcome"),
    json_: bool = typer.Option(False, "--json", help="print the result as JSON (every box of the trajectory)"),
    chart: Path | None = typer.Option(None, "--chart", help="draw the trade-off curve and the box to FILE (.svg "
                                      "or .png; extra 'report')"),
    db: Path = typer.Option(Path("reports/results.db"), "--db", help="results database the analysis is stored in"),
) -> None:
    """Under which combinations of parameters is OBJECTIVE missed? Latin hypercube sample, runs, PRIM."""
    problems = _checks(samples, reps, workers, seed) + _chart_ok(chart)
    if (objective is None) == (metric is None):
        problems.append("give --objective ID, or --metric NAME with --above X or --below X")
    elif metric is not None and (above is None) == (below is None):
        problems.append(f"--metric {metric}: give exactly one of --above X or --below X")
    elif objective is not None and (above is not None or below is not None):
        problems.append("--above/--below go with --metric, not --objective")
    for name, v in (("above", above), ("below", below)):
        if v is not None and not math.isfinite(v):
            problems.append(f"--{name}: a finite number, got {v}")
    if not 0 < min_coverage <= 1:
        problems.append(f"--min-coverage: a share above 0 and at most 1, got {min_coverage:g}")
    if problems:
        fail(problems)
    from ..batch.discover import discover as run_discover
    from .batch_cmd import _command

    outcome = Outcome(objective, metric, above, below)
    try:
        with progress_bar(err.is_terminal and not json_, "discovery runs") as progress:
            res = run_discover(scenario, outcome, samples, reps, seed, set_, workers=workers, cluster=cluster,
                               progress=progress, prune=not all_parameters,
                               on_plan=lambda p: err.print(plan_line(p)), min_coverage=min_coverage)
    except ScenarioError as exc:
        fail([str(p) for p in exc.problems])
    except (BatchError, BackendError) as exc:
        fail(str(exc))
    d = res.to_dict()

    def draw_box(fmt: str) -> bytes:
        from ..report.gsa_charts import discovery_chart
        return discovery_chart(res.to_dict(cases=True), fmt)

    _show(d, json_, print_discovery, chart, draw_box)
    command = _command("discover", scenario, [("--objective", objective), ("--metric", metric), ("--above", above),
                                              ("--below", below), ("--samples", samples), ("--reps", reps),
                                              ("--seed", seed), ("--set", set_), ("--db", db)])
    _store(db, "discover", res.to_dict(cases=True), command, json_)  # the cases too: the report draws the box


def print_discovery(d: dict[str, Any]) -> None:
    out.print(Text(d["sentence"], style="bold"))
    box = d["box"]
    if box["restrictions"]:
        t = Table(title=f"The box (from step {box['from_box']} of {len(d['boxes']) - 1} of the peeling trajectory)",
                  title_justify="left")
        t.add_column("parameter", overflow="fold", min_width=30)
        t.add_column("restriction", overflow="fold")
        t.add_column("p-value", justify="right", no_wrap=True)
        for r in box["restrictions"]:
            t.add_row(Text(r["label"]), Text(r["text"].removeprefix(r["label"]).strip()),
                      f"{r['p_value']:.2g}")
        out.print(t)
    for r in box.get("dropped", []):
        out.print(Text(f"left out: the restriction on {r['label']} (p = {r['p_value']:.2g}, not significant)",
                       style="dim"))
    tr = Table(title="Peeling trajectory (coverage / density trade-off; every box in --json)", title_justify="left")
    for col in ("step", "coverage", "density", "runs in box", "restricted"):
        tr.add_column(col, justify="right")
    steps = d["boxes"]
    shown = sorted(set(range(0, len(steps), max(1, len(steps) // 8))) | {len(steps) - 1, d["chosen"]})
    for i in shown:
        b = steps[i]
        tr.add_row(f"{i}{' *' if i == d['chosen'] else ''}", f"{b['coverage']:.0%}", f"{b['density']:.0%}",
                   str(b["n"]), str(len(b["restrictions"])))
    out.print(tr)
    out.print(Text(f"{d['cases']} runs analysed ({d['samples']} Latin hypercube points x {d['reps']} replications"
                   + (f"; {d['left_out']} runs where the metric never happened left out" if d["left_out"] else "")
                   + "). " + d["limits"], style="dim"))
    if d["pruned"]:
        out.print(Text(pruned_line(d["pruned"], "the outcome"), style="dim"))
