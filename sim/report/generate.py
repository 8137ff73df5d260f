"""From a source (scenario file, stored batch, workshop log) to the report files on disk.

:func:`make_report` takes a :class:`ReportRequest`: it runs the narrated run and the Monte Carlo
batch, builds the AAR once (:func:`sim.report.aar.build_report`, or
:func:`sim.report.workshop.build_report` for a workshop), draws the charts and writes ``aar.html``,
``aar.md``, ``charts/*.svg|png``, ``data.json`` (and ``aar.pdf`` when asked and available), each
atomically. Progress goes to one :class:`ReportObserver`. The generation time honours
``SOURCE_DATE_EPOCH``.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..atomic import atomic_write
from ..engine.run import run
from ..engine.trace import Result
from ..scenario.model import Scenario
from .aside import aside
from .montecarlo import Replications, replicate, summarise

if TYPE_CHECKING:
    from . import aar
    from . import charts as CH

# What only the pages need (the AAR's model, the comparison, the parameters annex, the templates) is imported
# once the batch has started: the workers need not wait for it, and the other core has the batch meanwhile.

# The charts (sim.report.charts: matplotlib, most of a second to import) are imported where they are first
# drawn: in the thread beside the batch's workers, not before the batch while the other core waits; the
# templates (Jinja2) once the batch has started. A report still needs both, and says so at once, as when this
# module imported them:
for _name in ("matplotlib", "jinja2"):
    if importlib.util.find_spec(_name) is None:
        raise ModuleNotFoundError(f"No module named {_name!r}", name=_name)

FORMATS = ("html", "md", "pdf")


class ReportError(ValueError):
    """Bad input for a report (the CLI prints it and exits 2)."""


def generation_time() -> datetime:
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:
        try:
            return datetime.fromtimestamp(int(sde), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise ReportError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, got {sde!r}") from None
    return datetime.now(UTC).replace(microsecond=0)


def default_out_dir(s: Scenario, when: datetime, root: Path = Path("reports")) -> Path:
    return root / f"{s.name}-{when:%Y%m%dT%H%M%S}"


@dataclass
class Written:
    out: Path
    files: list[Path] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    report: aar.AAR | None = None


@dataclass(frozen=True)
class ReportRequest:
    """A report on scenario ``scenario`` (loaded from ``path`` with ``sets``).

    ``narrated_run`` (default: ``run(scenario, seed)``), ``replications`` and ``summary`` (default: a
    fresh batch of ``reps``) let a stored batch or a workshop session supply its own. ``workshop`` is
    the session summary of :func:`sim.report.sources.load_session`: its result is the narrated run,
    the batch (``seed``, ``reps``) is the distribution it is placed in, and the findings are the
    workshop's. ``compare_with``: a reference scenario, run on ``compare_seed`` (default ``seed``:
    the same seeds, so the comparison's tests are paired). ``sweep`` (a stored batch with
    ``--vary``: every point's objective odds) adds an overview of the sweep, with its chart, beside
    the analysis of the point reported on.
    """

    scenario: Scenario
    path: str | Path
    sets: Sequence[str] = ()
    reps: int = 200
    seed: int = 0
    out: Path | None = None
    formats: tuple[str, ...] = ("html", "md")
    compare_with: Scenario | None = None
    compare_seed: int | None = None
    sensitivity: list[dict[str, Any]] | None = None
    sensitivity_objective: str | None = None
    narrated_run: Result | None = None
    replications: Replications | None = None
    summary: dict[str, Any] | None = None
    source_kind: str = "scenario"
    workshop: dict[str, Any] | None = None
    sweep: dict[str, Any] | None = None
    analyses: list[dict[str, Any]] | None = None   # Sobol, Morris or discovery results: a section each
    cover: dict[str, Any] | None = None       # the cover block's fields given on the command line
    workers: int = 1                          # processes for the replications (the data do not depend on it)


class ReportObserver(Protocol):
    """Hears how a report goes: which batch runs (``stage``: "batch" or "reference"), then its progress."""

    def stage(self, name: str) -> None: ...

    def progress(self, done: int, total: int) -> None: ...


class QuietReport:
    """A report observer that hears nothing."""

    def stage(self, name: str) -> None:
        return None

    def progress(self, done: int, total: int) -> None:
        return None


@dataclass
class ProgressOnly(QuietReport):
    """An observer from one ``progress(done, total)`` function (None: nothing)."""

    on_progress: Callable[[int, int], None] | None = None

    def progress(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)


def _compare_block(s: Scenario, summary: dict[str, Any], this_reps: Replications, other: Scenario, seed: int,
                   metrics: list[str], obs: ReportObserver, workers: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the reference on ``seed`` and compare; paired tests when it shares the batch's seeds."""
    from .compare import compare, shares_seeds

    obs.stage("reference")
    other_reps = replicate(other, this_reps.reps, seed, progress=obs.progress, workers=workers,
                           indices=this_reps.replication_indices())  # the same replications, so they can pair
    other_summary = summarise(other_reps, metrics)
    shared = {oid: o.title for oid, o in s.objectives.items() if oid in other.objectives}
    comp = compare(summary, other_summary, shared, [m for m in metrics if m in other_summary["metrics"]],
                   this_label=s.name if s.name != other.name else f"{s.name} (this run)",
                   other_label=other.name if s.name != other.name else f"{other.name} (reference)",
                   pairs=(this_reps, other_reps) if shares_seeds(this_reps, other_reps) else None)
    return comp, other_summary


def _table_batches(s: Scenario, req: ReportRequest, metrics: list[str],
                   obs: ReportObserver) -> tuple[Replications, Any]:
    """A workshop's two batches on the same seeds: the table's decisions (fixed where the table took them,
    the scenario's defaults after) with the facilitator's injects, and the counterfactual: the defaults
    throughout. Returns the table's batch and the counterfactual (its replications, summary and the paired
    comparison of the two)."""
    from ..engine.decisions import DefaultPolicy, Scripted
    from . import aar
    from .compare import compare
    from .workshop import Counterfactual

    summ = req.workshop or {}
    obs.stage("batch")
    table = replicate(s, req.reps, req.seed, Scripted(summ.get("choices") or {}, DefaultPolicy()),
                      progress=obs.progress, extra_injects=summ.get("extra_injects") or (), workers=req.workers)
    obs.stage("counterfactual")
    defaults = replicate(s, req.reps, req.seed, progress=obs.progress, workers=req.workers)
    table_summary, default_summary = summarise(table, metrics), summarise(defaults, metrics)
    keys = [m for m in aar.key_metrics(s) if m in table_summary["metrics"]]
    comp = compare(table_summary, default_summary, {oid: o.title for oid, o in s.objectives.items()}, keys,
                   this_label="the table's decisions", other_label="had the table taken the defaults",
                   pairs=(table, defaults))
    return table, Counterfactual(defaults, default_summary, comp)


def report_from_scenario(s: Scenario, path: str | Path, *, progress: Callable[[int, int], None] | None = None,
                         **options: Any) -> Written:
    """:func:`make_report` with the request's fields as arguments (``options``: the other fields of
    :class:`ReportRequest`) and one progress function."""
    return make_report(ReportRequest(s, path, **options), ProgressOnly(progress))


def make_report(req: ReportRequest, observer: ReportObserver | None = None) -> Written:
    """Build the report of ``req`` and write its files."""
    obs: ReportObserver = observer if observer is not None else QuietReport()
    s, seed = req.scenario, req.seed
    if req.reps < 1:
        raise ReportError("--reps: give at least 1 replication")
    bad = [f for f in req.formats if f not in FORMATS]
    if bad:
        raise ReportError(f"--format: unknown format {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    when = generation_time()
    narrated_run = req.narrated_run
    if req.workshop is not None and narrated_run is None:
        narrated_run = req.workshop["result"]
    narrated_run = narrated_run if narrated_run is not None else run(s, seed)
    metrics = sorted(narrated_run.metrics)
    label = "workshop path" if req.workshop is not None else "narrated run"
    run_charts: list[CH.Chart] = []

    def draw_run_charts() -> None:   # the narrated run's charts do not wait for the batch
        from . import charts as CH
        from .map import theatre_map
        theatre = theatre_map(s, title=f"Theatre map: the forces' routes, {s.title}")
        run_charts.extend([CH.readiness_gantt(s, narrated_run, label), CH.escalation(s, narrated_run, label)]
                          + ([theatre] if theatre is not None else []))   # a scenario without places has no map

    counterfactual = None
    if req.replications is not None:
        reps_ = req.replications
    elif req.workshop is not None:
        reps_, counterfactual = _table_batches(s, req, metrics, obs)
    else:
        obs.stage("batch")
        reps_ = replicate(s, req.reps, seed, progress=obs.progress, workers=req.workers,
                          alongside=draw_run_charts if req.workers > 1 else None)   # drawn while the workers run
    if not run_charts:
        draw_run_charts()
    from . import charts as CH
    values = {o.metric: reps_.metric_values(o.metric) for o in s.objectives.values()}
    # the outcome histograms need only the batch: drawn on the second core while this process builds the AAR
    # (its PNG on a core of its own too, once laid out: so the child is not a daemon, which may have no child)
    distributions = aside(lambda: CH.distributions(s, values, narrated_run.metrics if req.workshop is not None
                                                   else None, label,
                                                   narrated=narrated_run.metrics if req.workshop is None else None,
                                                   beside=req.workers > 1),
                          req.workers > 1, daemon=False)
    try:
        from . import aar, render
        from .parameters import baseline_of, differences, fact_lookup, parameters

        summary = req.summary if req.summary is not None else summarise(reps_, metrics)
        reference, how = baseline_of(req.path, list(req.sets))
        other_seed = seed if req.compare_seed is None else req.compare_seed
        comp = other_summary = None
        if req.compare_with is not None:
            comp, other_summary = _compare_block(s, summary, reps_, req.compare_with, other_seed, aar.key_metrics(s), obs,
                                                 req.workers)
        x = aar.Inputs(s, narrated_run, reps_, summary, seed,
                       aar.Source(req.source_kind, aar.project_path(req.path), list(req.sets)), when, reference=reference,
                       differences=differences(s, reference, list(req.sets)), reference_how=how,
                       parameters=parameters(s), comparison=comp, other_summary=other_summary, other_seed=other_seed,
                       sensitivity=req.sensitivity, facts=fact_lookup(s), sweep=req.sweep)
        if req.workshop is not None:
            from . import workshop as W
            report: aar.AAR = W.build_report(x, req.workshop, counterfactual)
        else:
            report = aar.build_report(x)
        report.cover = aar.cover(s, req.cover, req.workshop["teams"] if req.workshop is not None else None)
        objectives = report.objective_dicts()
        # everything that does not need the histograms is done before waiting for them (drawn on the other core):
        # the other charts, the improvement plan's files, the templates compiled; the files and their order as ever
        after: list[CH.Chart] = []
        probabilities = CH.probabilities(objectives, report.report.rating_thresholds)
        if report.comparison is not None:
            comparison = dataclasses.asdict(report.comparison)
            after.append(CH.comparison(comparison, {o["id"]: o["batch"] for o in objectives},
                                       comparison["other_objectives"]))
        if req.sensitivity:
            base_p = next((o.batch.p for o in report.objectives if o.id == req.sensitivity_objective), None)
            after.append(CH.tornado(req.sensitivity, req.sensitivity_objective or "", base_p, scenario=s))
        if req.sweep is not None:
            after.append(_sweep_chart(req.sweep))
        if req.analyses:  # Sobol, Morris, discovery: sections of their own (sim.report.analyses)
            from .analyses import sections

            report.analyses, more = sections(req.analyses)
            report.sections = report.numbered()
            after += more
        plan = plan_files(report)
        render.prepare(req.formats)
        drawn = [*run_charts[:2], distributions(), probabilities, *run_charts[2:], *after]
    except BaseException:   # the histograms are not wanted: no child left writing them
        distributions.discard()
        raise
    return write(req.out or default_out_dir(s, when), report, drawn, req.formats, plan)


def _sweep_chart(sweep: dict[str, Any]) -> CH.Chart:
    """The batch's sweep chart, for the sweep overview."""
    from . import charts as CH
    from .batch_charts import BOTH, batch_chart

    title = f"P(success) across the sweep of {', '.join(v['path'] for v in sweep['vary'])}"
    drawn = batch_chart(sweep, BOTH)   # one figure, both files
    assert drawn.png is not None
    return CH.Chart("sweep", title, drawn.data, drawn.png)


def plan_files(report: aar.AAR) -> list[tuple[str, bytes | str]]:
    """The improvement plan for tracking after the exercise: (file name, content), the CSV always, the
    workbook when openpyxl is there."""
    from .plan_sheet import plan_csv, plan_xlsx
    files: list[tuple[str, bytes | str]] = [("improvement_plan.csv", plan_csv(report.plan))]
    book = plan_xlsx(report.plan, report.cover.classification if report.cover is not None else "")
    if book is not None:
        files.append(("improvement_plan.xlsx", book))
    return files


def write(out: Path, report: aar.AAR, drawn: list[CH.Chart], formats: tuple[str, ...],
          plan: list[tuple[str, bytes | str]] | None = None) -> Written:
    """Write the report files; PDF last (and only if WeasyPrint imports: else PdfUnavailable before writing).
    ``plan``: the improvement plan's files as :func:`plan_files` makes them (made here if not given)."""
    from . import aar, render

    report.charts = [aar.ChartRef(c.name, c.title, f"charts/{c.name}.svg", f"charts/{c.name}.png") for c in drawn]
    data = report.to_dict()
    page = render.html(data, drawn) if ("html" in formats or "pdf" in formats) else None
    pdf_bytes = render.pdf(page) if page is not None and "pdf" in formats else None
    w = Written(out, data=data, report=report)
    for c in drawn:
        w.files.append(atomic_write(out / "charts" / f"{c.name}.svg", c.svg))
        w.files.append(atomic_write(out / "charts" / f"{c.name}.png", c.png))
    w.files.append(atomic_write(out / "data.json", json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False,
                                                              allow_nan=False) + "\n"))
    if "html" in formats and page is not None:
        w.files.append(atomic_write(out / "aar.html", page))
    if "md" in formats:
        w.files.append(atomic_write(out / "aar.md", render.markdown(data, drawn)))
    for name, content in plan if plan is not None else plan_files(report):
        w.files.append(atomic_write(out / name, content))
    if pdf_bytes is not None:
        w.files.append(atomic_write(out / "aar.pdf", pdf_bytes))
    return w
