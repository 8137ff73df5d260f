"""``validate``, ``schema``, ``list`` and ``metrics``: working with scenario files."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ..engine.trace import trace_schema
from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from ..scenario.metrics import ALWAYS, MetricSpec, metric_registry
from ..scenario.model import Scenario
from ..scenario.yamlsrc import parse_yaml
from .common import clean, err, fail, load, out, project_dirs


def validate(files: list[Path] = typer.Argument(..., help="scenario files"),
             set_: list[str] = typer.Option([], "--set", help="override path=value before validating")) -> None:
    """Check scenario files; print one line per problem (exit 2 if any)."""
    problems: list[str] = []
    for f in files:
        try:
            s = load_scenario(f, set_)
            out.print(f"{f}: ok ({s.name}, {len(s.forces)} forces, {len(s.injects)} injects, "
                      f"{len(s.decisions)} decisions, {len(s.objectives)} objectives)")
        except ScenarioError as exc:
            problems += [str(p) for p in exc.problems]
    if problems:
        fail(problems)


def schema(trace: bool = typer.Option(False, "--trace", help="the schema of one line of a JSON Lines trace "
                                        "(run --trace FILE) instead")) -> None:
    """Print the JSON Schema of the scenario format (for editors' YAML completion), or with --trace of a trace line."""
    if trace:
        print(json.dumps(trace_schema(), indent=2, sort_keys=True))
        return
    sch = Scenario.model_json_schema(by_alias=True)
    sch["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    sch["title"] = "crisis-sim scenario"
    print(json.dumps(sch, indent=2, sort_keys=True))


def list_() -> None:
    """List the shipped scenarios with one-line descriptions."""
    table = Table(show_header=True)
    table.add_column("file")
    table.add_column("name")
    table.add_column("description")
    for d in project_dirs():
        for f in sorted(d.glob("*.yaml")):
            try:
                data, _ = parse_yaml(f.read_text(encoding="utf-8"), str(f))
                desc = data.get("description", "") if isinstance(data, dict) else ""
                name = data.get("name", "") if isinstance(data, dict) else ""
            except (ScenarioError, OSError) as exc:
                err.print(f"{f}: unreadable ({exc})")
                continue
            try:
                rel = f.relative_to(Path.cwd())
            except ValueError:
                rel = f
            table.add_row(str(rel), clean(str(name)), clean(str(desc)))
    out.print(table)


def metrics(scenario: Path = typer.Argument(..., help="scenario YAML file"),
            json_: bool = typer.Option(False, "--json", help="print a JSON list of the metrics instead")) -> None:
    """List the metrics a scenario's runs measure: name, title, unit, kind and description
    (objectives, --metric and conditions name them)."""
    reg = metric_registry(load(scenario))
    if json_:
        print(json.dumps([spec.to_dict() for spec in reg.values()], indent=2, ensure_ascii=False))
        return
    out.print(metrics_table(list(reg.values()), out.width))


def metrics_table(specs: list[MetricSpec], width: int) -> Table:
    """The metrics as a table: on a wide console one column per field; narrower (80 columns),
    the name, title and description stacked in the first column beside unit and kind."""
    wide = width >= 140
    t = Table(show_header=True, show_lines=not wide, padding=(0, 1), box=box.SIMPLE_HEAD, pad_edge=False)
    if wide:
        t.add_column("name", no_wrap=True)
        t.add_column("title", ratio=1)
        t.add_column("unit", max_width=12)
        t.add_column("kind", no_wrap=True)
        t.add_column("description", ratio=2)
    else:
        t.add_column("name, title and description", overflow="fold", ratio=1)
        t.add_column("unit, kind", max_width=12)
    for m in specs:
        about = Text(m.description, style="dim")
        if m.none_means != ALWAYS:
            about.append(f" None: {m.none_means}.", style="dim")
        if wide:
            t.add_row(Text(m.name, style="bold"), Text(m.title), Text(m.unit), m.kind.value, about)
        else:
            t.add_row(Text.assemble((m.name, "bold"), "\n", m.title, "\n", about),
                      Text.assemble(m.unit, "\n", (m.kind.value, "italic")))
    return t
