"""The after-action report as typed data: every number and sentence the report shows, built once.

Structure follows HSEEP's After-Action Report / Improvement Plan and the military AAR's four
questions (what was supposed to happen, what happened, why, what to sustain and improve),
framed as NATO's lessons process (observations -> lessons identified). :func:`build_report`
returns an :class:`AAR`; ``dataclasses.asdict`` of it is ``data.json``, and templates and charts
only format what is there. The workshop report (:mod:`sim.report.workshop`) is an
:class:`AAR` too, extended with its own sections. Section numbers are data (:attr:`AAR.sections`):
the templates print them, they do not count.

HSEEP ratings come from the batch probability of meeting the objective:
P (performed without challenges) p >= 0.9; S (some challenges) p >= 0.7;
M (major challenges) p >= 0.3; U (unable to be performed) below.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from types import UnionType
from typing import Any, Self, TypeVar, Union, get_args, get_origin, get_type_hints

from .. import __version__
from ..engine.trace import Result
from ..narrative import h_label, narrated, when
from ..scenario.metrics import metric_label, metric_registry
from ..scenario.model import Scenario
from . import causes as C
from .montecarlo import Replications
from .wording import num

RATINGS = (("P", 0.9, "Performed without challenges"), ("S", 0.7, "Performed with some challenges"),
           ("M", 0.3, "Performed with major challenges"), ("U", 0.0, "Unable to be performed"))
GLOBAL_METRICS = ("encounters", "incidents", "incident_share", "peak_tension", "peak_rung")
PLAN_DAYS = 90
T = TypeVar("T")


def rating(p: float | None) -> tuple[str, str]:
    if p is None:
        return "U", RATINGS[-1][2]
    for code, th, label in RATINGS:
        if p >= th:
            return code, label
    return "U", RATINGS[-1][2]


def rounded(x: Any, nd: int) -> float | None:
    """``x`` rounded to ``nd`` places; None for None, NaN and infinities."""
    if x is None:
        return None
    v = float(x)
    if not math.isfinite(v):
        return None
    return round(v, nd)


# the report's parts ----------------------------------------------------------------------------

@dataclass
class ReportInfo:
    generated: str
    date: str
    tool: str
    version: str
    rating_thresholds: dict[str, float]
    rating_labels: dict[str, str]
    plan_days: int


@dataclass
class Source:
    kind: str
    path: str
    sets: list[str]


@dataclass
class Cover:
    """The report's cover block: from the scenario's ``exercise:`` section, the command line over it.
    ``classification`` is printed in every page's header and footer."""

    name: str
    dates: str
    location: str
    participants: list[str]
    teams: list[str]
    classification: str
    analyst: str
    version: str


COVER_FIELDS = ("name", "dates", "location", "participants", "classification", "analyst", "version")


def cover(s: Scenario, given: dict[str, Any] | None = None, teams: Sequence[str] | None = None) -> Cover:
    """The cover of a report on ``s``: ``given`` (the command line's, by field name) over the scenario's
    ``exercise:`` section; the name defaults to the scenario's title, the teams to the scenario's."""
    ex = s.exercise.model_dump() if s.exercise is not None else {}
    vals = {k: ex.get(k) or ([] if k == "participants" else "") for k in COVER_FIELDS}
    vals.update({k: v for k, v in (given or {}).items() if k in COVER_FIELDS and v})
    names = list(teams) if teams is not None else [t.name for t in s.teams.values()]
    return Cover(str(vals["name"] or s.title), str(vals["dates"]), str(vals["location"]),
                 [str(x) for x in vals["participants"]], names, str(vals["classification"]),
                 str(vals["analyst"]), str(vals["version"]))


def project_path(p: str | Any) -> str:
    """A path as a report prints it: never absolute. Relative to the working directory when it lies
    under it, else to the project folder holding its ``scenarios/`` folder, else the file's name."""
    from pathlib import Path
    path = Path(str(p))
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        pass
    for parent in path.parents:
        if parent.name == "scenarios":
            return str(path.relative_to(parent.parent))
    return path.name


@dataclass
class ScenarioInfo:
    name: str
    title: str
    description: str
    purpose: str
    hash: str
    start: str
    horizon_h: float
    display_tz: str


@dataclass
class Method:
    seed: int
    reps: int
    narrated_seed: int
    seeding: str
    proportions: str
    means: str
    percentiles: str
    comparison: str


@dataclass
class Reference:
    how: str
    differences: list[dict[str, Any]]


@dataclass
class TimelineEntry:
    time: str
    h: str
    t_h: float
    kind: str
    text: str


@dataclass
class NarratedRun:
    seed: int
    decisions: list[dict[str, Any]]
    metrics: dict[str, float | None]


@dataclass
class MetricSummary:
    """A metric over the batch (rounded to 2 places): count, never-happened count, mean with its
    95 % t interval, sd and percentiles."""

    n: int
    never: int
    mean: float | None
    sd: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class MetricRow(MetricSummary):
    metric: str = ""
    label: str = ""


@dataclass
class Outcome:
    """An objective in the narrated run (or on the workshop path): the value, met or not, and why not."""

    value: float | None
    met: bool
    why: dict[str, Any] | None


@dataclass
class Odds:
    """An objective over the batch: successes of n with the Wilson interval (3 places)."""

    n: int
    successes: int
    p: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class BatchOdds(Odds):
    failed: int = 0


@dataclass
class Cause:
    cause: str
    kind: str
    count: int
    share: float | None
    example_rep: int
    example: dict[str, Any] | None


@dataclass
class Objective:
    id: str
    title: str
    metric: str
    metric_label: str
    target: str
    capability: str
    owner: str
    description: str
    facts: list[dict[str, Any]]
    narrated: Outcome
    batch: BatchOdds
    metric_stats: MetricSummary | None
    rating: str
    rating_label: str
    causes: list[Cause]


@dataclass
class Strength:
    objective: str
    title: str
    capability: str
    text: str


@dataclass
class Improvement:
    objective: str
    title: str
    capability: str
    rating: str
    text: str
    root_cause: str


@dataclass
class PlanItem:
    capability: str
    issue: str
    root_cause: str
    corrective_action: str
    element: str
    responsible: str
    poc: str
    start: str
    completion: str
    objective: str = ""


@dataclass
class Lesson:
    observation: str
    lesson: str
    action_body: str


@dataclass
class Lessons:
    observations: list[str]
    identified: list[Lesson]


@dataclass
class Findings:
    """What to sustain and improve: strengths, areas for improvement, the plan and the lessons."""

    strengths: list[Strength]
    improvements: list[Improvement]
    plan: list[PlanItem]
    lessons: Lessons

    @property
    def sustain(self) -> list[str]:
        return [x.text for x in self.strengths]

    @property
    def improve(self) -> list[str]:
        return [f"{p.issue}: {p.corrective_action}" for p in self.plan]


@dataclass
class ComparisonRow:
    kind: str
    id: str
    title: str
    this: float | None
    other: float | None
    diff: float | None
    stat: float | None
    test: str
    n: int
    p_value: float | None
    significant: bool


@dataclass
class Comparison:
    """This batch against a reference batch (see :mod:`sim.report.compare`): paired tests when they share seeds."""

    this: str
    other: str
    alpha: float
    correction: str
    paired: bool
    design: str
    rows: list[ComparisonRow]
    other_objectives: dict[str, Odds]
    other_seed: int


@dataclass
class SweepPoint:
    n: int
    overrides: list[str]
    odds: list[Odds]


@dataclass
class Sweep:
    """Every point of a stored sweep, beside the point the report analyses."""

    vary: list[str]
    reported: int
    reps: int
    objectives: list[dict[str, str]]
    points: list[SweepPoint]


@dataclass
class ChartRef:
    name: str
    title: str
    svg: str
    png: str


@dataclass
class SummaryRow:
    """One objective in the executive summary: its rating, P with its interval and a one-line why."""

    id: str
    title: str
    rating: str
    rating_label: str
    p: float | None
    ci_low: float | None
    ci_high: float | None
    why: str


@dataclass
class ExecutiveSummary:
    """The report's first pages: purpose, the bottom line (3-5 sentences), the objectives with their
    ratings, the top three corrective actions and the one chart (``chart``: its name)."""

    purpose: str
    bottom_line: list[str]
    rows: list[SummaryRow]
    actions: list[PlanItem]
    chart: str = "probabilities"


@dataclass
class Section:
    """A numbered section of the report: ``id`` is what templates look it up by."""

    id: str
    number: int


@dataclass
class AAR:
    """The after-action report. ``asdict`` of it is ``data.json``."""

    report: ReportInfo
    source: Source
    scenario: ScenarioInfo
    method: Method
    reference: Reference
    timeline: list[TimelineEntry]
    narrated: NarratedRun
    objectives: Sequence[Objective]
    metrics: list[MetricRow]
    strengths: list[Strength]
    improvements: list[Improvement]
    plan: list[PlanItem]
    sustain: list[str]
    improve: list[str]
    lessons: Lessons
    comparison: Comparison | None
    sensitivity: list[dict[str, Any]] | None
    parameters: list[dict[str, Any]]
    sweep: Sweep | None
    metric_annex: list[dict[str, str]] = field(default_factory=list)
    analyses: list[dict[str, Any]] = field(default_factory=list)   # Sobol, Morris, discovery sections
    workshop: Any = None
    executive: ExecutiveSummary | None = None
    cover: Cover | None = None
    sections: list[Section] = field(default_factory=list)
    charts: list[ChartRef] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.sections:
            self.sections = self.numbered()

    def optional_sections(self) -> list[tuple[str, bool]]:
        """Every section in report order, with whether this report has it."""
        return [("summary", self.executive is not None), ("overview", True), ("timeline", True), ("objectives", True), ("findings", True), ("plan", True),
                ("comparison", self.comparison is not None), ("sensitivity", bool(self.sensitivity)),
                ("sweep", self.sweep is not None)] + [(f"analysis-{k}", True) for k in range(1, len(self.analyses) + 1)]

    def numbered(self) -> list[Section]:
        return [Section(sid, k) for k, sid in enumerate((sid for sid, shown in self.optional_sections() if shown),
                                                         start=1)]

    def to_dict(self) -> dict[str, Any]:
        """What ``data.json`` holds."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The report back from :meth:`to_dict` (or ``data.json``)."""
        return from_dict(cls, data)

    def objective_dicts(self) -> list[dict[str, Any]]:
        """The objectives as plain dicts (what the charts read)."""
        return [asdict(o) for o in self.objectives]


def _typed(tp: Any, v: Any) -> Any:
    """``v`` (from JSON) as type ``tp``: dataclasses, lists and dicts of them, optional ones."""
    if v is None:
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union or origin is UnionType:
        inner = [a for a in args if a is not type(None)]
        return _typed(inner[0], v) if len(inner) == 1 else v
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return from_dict(tp, v)
    if origin in (list, Sequence):
        return [_typed(args[0], x) for x in v]
    if origin is dict:
        return {k: _typed(args[1], x) for k, x in v.items()}
    return v


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass of this module (or one extending it) from its ``asdict`` form."""
    hints = get_type_hints(cls)
    return cls(**{f.name: _typed(hints[f.name], data[f.name]) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                  if f.name in data})


def findings_lists(f: Findings) -> dict[str, Any]:
    """The findings as the AAR's fields."""
    return {"strengths": f.strengths, "improvements": f.improvements, "plan": f.plan, "sustain": f.sustain,
            "improve": f.improve, "lessons": f.lessons}


def _action(kind: C.CauseKind | str, s: Scenario, oid: str) -> tuple[str, str]:
    """(capability element, corrective action) for a cause of ``kind``: looked up in causes.kinds."""
    return C.action(kind, s, oid)


def metric_text(s: Scenario, name: str) -> str:
    """A metric as the report shows it: its title and unit (the raw name goes to the annex)."""
    spec = metric_registry(s).get(name)
    return metric_label(spec) if spec else name


def metric_annex(s: Scenario, names: list[str]) -> list[dict[str, str]]:
    """The annex of raw metric names: one row per metric shown, with its title, unit and kind."""
    reg = metric_registry(s)
    return [{"name": n, "title": reg[n].title, "unit": reg[n].unit, "kind": reg[n].kind.value}
            for n in dict.fromkeys(names) if n in reg]


# building --------------------------------------------------------------------------------------

def timeline(trace: Any) -> list[TimelineEntry]:
    return [TimelineEntry(when(r), h_label(r.t_h), r.t_h, r.kind, r.text) for r in narrated(trace)]


def metric_stats(summary: dict[str, Any], name: str) -> MetricSummary | None:
    m = summary["metrics"].get(name)
    if m is None:
        return None
    return MetricSummary(int(m["n"]), int(m["never"]), *(rounded(m[k], 2) for k in
                                                        ("mean", "sd", "p5", "p50", "p95", "ci_low", "ci_high")))


def odds(o: dict[str, Any]) -> Odds:
    """An objective's odds from a batch summary, as the report shows them (to 3 places)."""
    return Odds(int(o["n"]), int(o["successes"]), *(rounded(o[x], 3) for x in ("p", "ci_low", "ci_high")))


def key_metrics(s: Scenario) -> list[str]:
    names = list(dict.fromkeys(o.metric for o in s.objectives.values()))
    names += [m for m in GLOBAL_METRICS if m not in names]
    for fid, f in s.forces.items():
        if f.initial_state != "in_place" and f.side == (s.deconfliction.between[0] if s.deconfliction else f.side):
            for m in (f"force.{fid}.ready_h", f"force.{fid}.in_place_h"):
                if m not in names:
                    names.append(m)
    return names


def comparison_method(comparison: dict[str, Any] | None) -> str:
    """The comparison's tests in words: paired when both batches share seeds, else unpaired."""
    paired = ("the McNemar test (objectives; exact binomial below 25 discordant pairs, chi-square with continuity "
              "correction from there) and the paired t-test (means, over the replications where the metric "
              "happened in both) when both batches share seeds (common random numbers, the default)")
    unpaired = "two-proportion z-test (objectives) and Welch t-test (means) for batches on different seeds"
    tests = paired if comparison is not None and comparison.get("paired") else unpaired if comparison else \
        f"{paired}; {unpaired}"
    return f"{tests}; alpha 0.05 with Holm-Bonferroni over the family"


def report_info(generated: datetime) -> ReportInfo:
    return ReportInfo(generated.isoformat(), generated.date().isoformat(), "crisis-sim", __version__,
                      {c: th for c, th, _ in RATINGS}, {c: lab for c, _, lab in RATINGS}, PLAN_DAYS)


def scenario_info(s: Scenario) -> ScenarioInfo:
    return ScenarioInfo(s.name, s.title, s.description, s.purpose, s.content_hash, s.clock.start.isoformat(),
                        s.clock.horizon_h, s.clock.display_tz)


def method(seed: int, reps: int, comparison: dict[str, Any] | None, *, narrated_seed: int | None = None,
           seeding: str | None = None) -> Method:
    return Method(seed, reps, seed if narrated_seed is None else narrated_seed,
                  seeding or f"replication i uses numpy SeedSequence({seed}).spawn({reps})[i]; the narrated "
                             f"run uses seed {seed}",
                  "Wilson score interval, z = 1.96", "Student-t interval of the mean (95%)",
                  "numpy default (linear interpolation): p5, p50, p95", comparison_method(comparison))


def narrated_metrics(s: Scenario, r: Result) -> dict[str, float | None]:
    return {m: rounded(r.metrics.get(m), 2) for m in key_metrics(s) if m in r.metrics}


def metrics_table(s: Scenario, summary: dict[str, Any]) -> list[MetricRow]:
    rows = []
    for m in key_metrics(s):
        st = metric_stats(summary, m)
        if st is not None:
            rows.append(MetricRow(**asdict(st), metric=m, label=metric_text(s, m)))
    return rows


def analyse_objectives(s: Scenario, narrated_run: Result, reps: Replications, summary: dict[str, Any],
                       ctx: dict[str, Any], facts: dict[str, Any]) -> list[Objective]:
    """Each objective: target, the narrated run's value and why, the batch's odds, rating and causes."""
    out = []
    for oid, o in s.objectives.items():
        b = summary["objectives"][oid]
        code, label = rating(b["p"])
        res = narrated_run.objectives[oid]
        why_now = C.explain(s, oid, narrated_run, ctx)
        bc = reps.causes(oid, ctx)   # from the runs' compact cause notes; the examples run again with traces
        causes = []
        for c in bc["causes"]:
            ex = C.explain(s, oid, reps.traced(c["example_rep"]), ctx)
            causes.append(Cause(c["cause"], c["kind"], c["count"], rounded(c["share"], 3), c["example_rep"],
                                ex.to_dict() if ex else None))
        out.append(Objective(
            id=oid, title=o.title, metric=o.metric, metric_label=metric_text(s, o.metric), target=o.target.describe(), capability=o.capability,
            owner=o.owner, description=o.description,
            facts=[facts.get(i, {"id": i, "statement": "", "source": ""}) for i in o.facts],
            narrated=Outcome(rounded(res.value, 2), res.met, why_now.to_dict() if why_now else None),
            batch=BatchOdds(b["n"], b["successes"], rounded(b["p"], 3), rounded(b["ci_low"], 3),
                            rounded(b["ci_high"], 3), failed=bc["failed"]),
            metric_stats=metric_stats(summary, o.metric), rating=code, rating_label=label, causes=causes))
    return out


def batch_findings(s: Scenario, objectives: Sequence[Objective], narrated_run: Result, date: Date) -> Findings:
    """Strengths, areas for improvement, plan and lessons from the batch's odds and causes."""
    strengths, afis, plan, observations, lessons = [], [], [], [], []
    for entry in objectives:
        oid, o = entry.id, s.objectives[entry.id]
        out = narrated_run.objectives[oid]
        code, label, b = entry.rating, entry.rating_label, entry.batch
        pc = f"P = {b.p:.3f} ({b.successes}/{b.n})"
        if code == "P":
            strengths.append(Strength(oid, o.title, o.capability, f"{o.title}: {pc}, rated P ({label})."))
            continue
        # only an observation that leads to a lesson goes to the lessons process
        observations.append(f"{o.title}: met in the narrated run: {'yes' if out.met else 'no'}"
                            f" ({metric_text(s, o.metric)} = {num(out.value, 2)}, target {o.target.describe()}); over the batch {pc}, "
                            f"rated {code}.")
        top = entry.causes[0] if entry.causes else None
        root = (f"{top.cause} in {top.count} of {b.failed} missed replications "
                f"({(top.share or 0.0) * 100:.0f}%): {top.example['headline'] if top.example else ''}") \
            if top else "no miss recorded"
        afis.append(Improvement(oid, o.title, o.capability, code, f"{o.title}: {pc}, rated {code} ({label}).", root))
        if top is None:   # no cause recorded: no corrective action to plan, nor a lesson to draw
            continue
        element, action = _action(top.kind, s, oid)
        plan.append(PlanItem(o.capability or o.title, f"{o.title} ({code}, {pc})", top.cause, action,
                             element, o.owner, "", date.isoformat(), (date + timedelta(days=PLAN_DAYS)).isoformat(),
                             objective=oid))
        lessons.append(Lesson(f"{o.title} missed in {b.failed} of {b.n} replications; most often "
                              f"because of {top.cause}.", action, o.owner))
    return Findings(strengths, afis, plan, Lessons(observations, lessons))


def comparison_of(s: Scenario, comp: dict[str, Any] | None, other_summary: dict[str, Any] | None,
                  other_seed: int) -> Comparison | None:
    """The comparison of :func:`sim.report.compare.compare` as the report shows it (rounded)."""
    if comp is None or other_summary is None:
        return None
    rows = [ComparisonRow(r["kind"], r["id"], metric_text(s, r["id"]) if r["kind"] == "metric" else r["title"], rounded(r["this"], 3), rounded(r["other"], 3),
                          rounded(r["diff"], 3), rounded(r["stat"], 3), r["test"], r["n"], rounded(r["p_value"], 4),
                          r["significant"]) for r in comp["rows"]]
    return Comparison(comp["this"], comp["other"], comp["alpha"], comp["correction"], comp["paired"], comp["design"],
                      rows, {k: odds(v) for k, v in other_summary["objectives"].items()}, other_seed)


def sweep_of(s: Scenario, sweep: dict[str, Any] | None) -> Sweep | None:
    """The sweep overview: each point's overrides and objective odds (the reported point marked)."""
    if sweep is None:
        return None
    oids = list(s.objectives)
    return Sweep([v["path"] for v in sweep["vary"]], sweep["reported"], sweep["reps"],
                 [{"id": oid, "title": o.title} for oid, o in s.objectives.items()],
                 [SweepPoint(k, list(pt["overrides"]), [odds(pt["objectives"][oid]) for oid in oids])
                  for k, pt in enumerate(sweep["points"], 1)])


@dataclass
class Inputs:
    """What every report is built from: the scenario, the narrated run (or the workshop path), the batch
    and its summary, and what the request adds (reference, comparison, sensitivity, sweep)."""

    scenario: Scenario
    narrated_run: Result
    reps: Replications
    summary: dict[str, Any]
    seed: int
    source: Source
    generated: datetime
    reference: Scenario | None = None
    differences: list[dict[str, Any]] = field(default_factory=list)
    reference_how: str = ""
    parameters: list[dict[str, Any]] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    other_summary: dict[str, Any] | None = None
    other_seed: int = 0
    sensitivity: list[dict[str, Any]] | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    sweep: dict[str, Any] | None = None

    def context(self) -> dict[str, Any]:
        """What the cause analysis compares against: the batch's medians and the baseline."""
        medians = {k: v["p50"] for k, v in self.summary["metrics"].items() if v.get("p50") is not None}
        return {"medians": medians, "reference": self.reference}


def common_parts(x: Inputs) -> dict[str, Any]:
    """The AAR's fields every report has in common (all but the findings, the objectives and the method)."""
    return {"report": report_info(x.generated), "source": x.source, "scenario": scenario_info(x.scenario),
            "reference": Reference(x.reference_how, list(x.differences)), "timeline": timeline(x.narrated_run.trace),
            "metrics": metrics_table(x.scenario, x.summary),
            "comparison": comparison_of(x.scenario, x.comparison, x.other_summary, x.other_seed),
            "sensitivity": x.sensitivity, "parameters": list(x.parameters), "sweep": sweep_of(x.scenario, x.sweep),
            "metric_annex": metric_annex(x.scenario, [o.metric for o in x.scenario.objectives.values()]
                                         + key_metrics(x.scenario))}


SEVERITY = {code: k for k, (code, _, _) in enumerate(RATINGS)}


def summary_why(o: Objective) -> str:
    """One line on why an objective got its rating: the top cause of its misses, else how often it was met."""
    b = o.batch
    if o.causes and o.rating != "P":
        c = o.causes[0]
        return f"{c.cause} in {c.count} of {b.failed} missed runs"
    return f"met in {b.successes} of {b.n} runs"


def top_actions(objectives: Sequence[Objective], plan: list[PlanItem], k: int = 3) -> list[PlanItem]:
    """The ``k`` corrective actions of the worst-rated objectives (lowest P first)."""
    rank = {o.id: (-SEVERITY.get(o.rating, 0), o.batch.p if o.batch.p is not None else 0.0)
            for o in objectives}
    return sorted(plan, key=lambda p: rank.get(p.objective, (0, 1.0)))[:k]


def executive_summary(s: Scenario, objectives: Sequence[Objective], plan: list[PlanItem],
                      said: list[str]) -> ExecutiveSummary:
    """The executive summary: the bottom line is the ratings in one sentence, the worst objective and why,
    ``said`` (what the source adds: the narrated run, or the table's path against the defaults) and the
    plan's first corrective action; at most five sentences."""
    counts = {code: sum(o.rating == code for o in objectives) for code, _, _ in RATINGS}
    rated = ", ".join(f"{n} {code}" for code, n in counts.items() if n)
    line = [f"Of {len(objectives)} objectives, {rated} (HSEEP ratings from the probability of meeting each "
            f"over {objectives[0].batch.n if objectives else 0} simulated runs)."]
    worst = sorted((o for o in objectives if o.rating != "P"),
                   key=lambda o: (-SEVERITY[o.rating], o.batch.p if o.batch.p is not None else 0.0))
    if worst:
        w = worst[0]
        line.append(f"Most at risk: “{w.title}”, rated {w.rating} (P = {w.batch.p or 0.0:.2f}): "
                    f"{summary_why(w)}.")
    else:
        line.append("Every objective was performed without challenges in at least 90% of the runs.")
    line += said
    actions = top_actions(objectives, plan)
    if actions:
        line.append(f"{len(plan)} corrective action{'s' if len(plan) != 1 else ''} in the improvement plan; "
                    f"the first: {actions[0].corrective_action} ({actions[0].responsible}).")
    rows = [SummaryRow(o.id, o.title, o.rating, o.rating_label, o.batch.p, o.batch.ci_low, o.batch.ci_high,
                       summary_why(o)) for o in objectives]
    return ExecutiveSummary(s.purpose or s.description, line[:5], rows, actions)


def build_report(x: Inputs) -> AAR:
    """Assemble the AAR: ``x.summary`` is the batch point of :func:`sim.report.montecarlo.summarise`."""
    s = x.scenario
    objectives = analyse_objectives(s, x.narrated_run, x.reps, x.summary, x.context(), x.facts)
    findings = batch_findings(s, objectives, x.narrated_run, x.generated.date())
    met = sum(x.narrated_run.objectives[o.id].met for o in objectives)
    said = [f"The narrated run (seed {x.seed}) met {met} of {len(objectives)} objectives."]
    return AAR(**common_parts(x), method=method(x.seed, x.reps.reps, x.comparison),
               narrated=NarratedRun(x.seed, x.narrated_run.decisions, narrated_metrics(s, x.narrated_run)),
               objectives=objectives, **findings_lists(findings),
               executive=executive_summary(s, objectives, findings.plan, said))
