"""From a source (scenario file, stored batch, workshop log) to the report files on disk.

``report_from_scenario`` runs the narrated run and the Monte Carlo batch, assembles the AAR
data, draws the charts and writes ``aar.html``, ``aar.md``, ``charts/*.svg|png``,
``data.json`` (and ``aar.pdf`` when asked and available), each atomically.
The generation time honours ``SOURCE_DATE_EPOCH``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..atomic import atomic_write
from ..engine.run import run
from ..scenario.model import Scenario
from . import aar, render
from . import charts as CH
from .compare import compare
from .montecarlo import replicate, summarise
from .parameters import baseline_of, differences, fact_lookup, parameters

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
    data: dict = field(default_factory=dict)


def _compare_block(s: Scenario, summary: dict, other: Scenario, reps: int, seed: int, metrics: list[str],
                   progress=None):
    other_reps = replicate(other, reps, seed, progress=progress)
    other_summary = summarise(other_reps, metrics)
    shared = {oid: o.title for oid, o in s.objectives.items() if oid in other.objectives}
    comp = compare(summary, other_summary, shared, [m for m in metrics if m in other_summary["metrics"]],
                   this_label=s.name if s.name != other.name else f"{s.name} (this run)",
                   other_label=other.name if s.name != other.name else f"{other.name} (reference)")
    return comp, other_summary


def report_from_scenario(s: Scenario, path: str | Path, *, sets: list[str] = (), reps: int = 200, seed: int = 0,
                         out: Path | None = None, formats: tuple[str, ...] = ("html", "md"),
                         compare_with: Scenario | None = None, compare_seed: int | None = None,
                         sensitivity: list[dict] | None = None, sensitivity_objective: str | None = None,
                         narrated_run=None, replications=None, summary=None,
                         source_kind: str = "scenario", workshop: dict | None = None, sweep: dict | None = None,
                         progress=None, analyses: list[dict] | None = None) -> Written:
    """Report on scenario ``s`` (loaded from ``path`` with ``sets``).

    ``narrated_run`` (default: ``run(s, seed)``), ``replications`` and ``summary`` (default: a fresh
    batch of ``reps``) let a stored batch or a workshop session supply its own. ``workshop`` is the
    session summary of :func:`sim.report.sources.load_session`: its result is the narrated run, the
    batch (``seed``, ``reps``) is the distribution it is placed in, and the findings are the workshop's.
    ``sweep`` (a stored batch with ``--vary``: every point's objective odds) adds an overview of the
    sweep, with its chart, beside the analysis of the point reported on. ``analyses`` (results of
    Sobol, Morris or discovery, fresh or stored) add a section each.
    """
    if reps < 1:
        raise ReportError("--reps: give at least 1 replication")
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ReportError(f"--format: unknown format {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    when = generation_time()
    if workshop is not None and narrated_run is None:
        narrated_run = workshop["result"]
    narrated_run = narrated_run if narrated_run is not None else run(s, seed)
    reps_ = replications if replications is not None else replicate(s, reps, seed, progress=progress)
    reps = reps_.reps
    metrics = sorted(narrated_run.metrics)
    summary = summary if summary is not None else summarise(reps_, metrics)
    reference, how = baseline_of(path, list(sets))
    diffs = differences(s, reference, list(sets))
    comp = other_summary = None
    if compare_with is not None:
        comp, other_summary = _compare_block(s, summary, compare_with, reps,
                                             seed if compare_seed is None else compare_seed, aar.key_metrics(s),
                                             progress)
    data = aar.build_report(s, narrated_run, reps_, summary, seed=seed,
                            source={"kind": source_kind, "path": str(path), "sets": list(sets)},
                            generated=when, reference=reference, differences=diffs, reference_how=how,
                            parameters=parameters(s), comparison=comp, sensitivity=sensitivity,
                            facts=fact_lookup(s))
    data["workshop"] = None
    if workshop is not None:
        _workshop_block(data, s, workshop, reps_, summary, seed)
    if comp is not None:
        data["comparison"]["other_objectives"] = {k: _odds(v) for k, v in other_summary["objectives"].items()}
        data["comparison"]["other_seed"] = seed if compare_seed is None else compare_seed
    values = {o.metric: reps_.metric_values(o.metric) for o in s.objectives.values()}
    label = "workshop path" if workshop is not None else "narrated run"
    drawn = [CH.readiness_gantt(s, narrated_run, label), CH.escalation(s, narrated_run, label),
             CH.distributions(s, values, narrated_run.metrics if workshop is not None else None, label),
             CH.probabilities(data["objectives"], data["report"]["rating_thresholds"])]
    if comp is not None:
        this_obj = {o["id"]: o["batch"] for o in data["objectives"]}
        drawn.append(CH.comparison(data["comparison"], this_obj, data["comparison"]["other_objectives"]))
    if sensitivity:
        base_p = next((o["batch"]["p"] for o in data["objectives"] if o["id"] == sensitivity_objective), None)
        drawn.append(CH.tornado(sensitivity, sensitivity_objective or "", base_p))
    data["sweep"] = None
    if sweep is not None:
        drawn.append(_sweep_block(data, sweep))
    data["analyses"] = []
    if analyses:  # Sobol, Morris, discovery: sections of their own (sim.report.analyses)
        from .analyses import sections
        data["analyses"], more = sections(analyses)
        drawn += more
    out = out or default_out_dir(s, when)
    return write(out, data, drawn, formats)


def _odds(o: dict) -> dict:
    """An objective's odds from a batch summary, as the report shows them (to 3 places)."""
    return {x: aar._r(o[x], 3) if isinstance(o[x], float) else o[x] for x in ("n", "successes", "p", "ci_low", "ci_high")}


def _sweep_block(data: dict, sweep: dict) -> CH.Chart:
    """The sweep overview: each point's overrides and objective odds (the reported point marked),
    and the batch's sweep chart."""
    from .batch_charts import batch_chart

    oids = [o["id"] for o in data["objectives"]]
    data["sweep"] = {
        "vary": [v["path"] for v in sweep["vary"]], "reported": sweep["reported"], "reps": sweep["reps"],
        "objectives": [{"id": o["id"], "title": o["title"]} for o in data["objectives"]],
        "points": [{"n": k, "overrides": pt["overrides"],
                    "odds": [_odds(pt["objectives"][oid]) for oid in oids]}
                   for k, pt in enumerate(sweep["points"], 1)]}
    title = f"P(success) across the sweep of {', '.join(data['sweep']['vary'])}"
    return CH.Chart("sweep", title, batch_chart(sweep, "svg").data, batch_chart(sweep, "png").data)


def _workshop_block(data: dict, s: Scenario, summ: dict, reps_, summary: dict, seed: int) -> None:
    from . import workshop as W
    rec = W.record(s, summ, summ.get("log_entries") or [], batch_seed=seed, reps=reps_.reps)
    place = W.placement(s, summ, reps_, summary)
    data["workshop"] = {"record": rec, "placement": place}
    W.apply(data, s, rec, place)
    m = data["method"]
    m["narrated_seed"] = summ["seed"]
    data["narrated"]["seed"] = summ["seed"]
    data["narrated"]["source"] = "workshop"
    m["seeding"] = (f"the workshop path is the session's (seed {summ['seed']}, the teams' decisions and injects, "
                    f"defaults for decisions not taken); batch replication i uses numpy "
                    f"SeedSequence({seed}).spawn({reps_.reps})[i] with the scenario's default decisions")


def write(out: Path, data: dict, drawn: list, formats: tuple[str, ...]) -> Written:
    """Write the report files; PDF last (and only if WeasyPrint imports: else PdfUnavailable before writing)."""
    page = render.html(data, drawn) if ("html" in formats or "pdf" in formats) else None
    pdf_bytes = render.pdf(page) if "pdf" in formats else None
    w = Written(out, data=data)
    data["charts"] = [{"name": c.name, "title": c.title, "svg": f"charts/{c.name}.svg", "png": f"charts/{c.name}.png"}
                      for c in drawn]
    for c in drawn:
        w.files.append(atomic_write(out / "charts" / f"{c.name}.svg", c.svg))
        w.files.append(atomic_write(out / "charts" / f"{c.name}.png", c.png))
    w.files.append(atomic_write(out / "data.json", json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False,
                                                              allow_nan=False) + "\n"))
    if "html" in formats:
        w.files.append(atomic_write(out / "aar.html", render.html(data, drawn)))
    if "md" in formats:
        w.files.append(atomic_write(out / "aar.md", render.markdown(data, drawn)))
    if pdf_bytes is not None:
        w.files.append(atomic_write(out / "aar.pdf", pdf_bytes))
    return w
