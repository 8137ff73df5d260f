"""``validate``, ``schema``, ``list`` and ``metrics``: working with scenario files."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ..scenario.errors import ScenarioError
from ..scenario.load import load_scenario
from ..scenario.metrics import metric_names
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


def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors' YAML completion)."""
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


def metrics(scenario: Path = typer.Argument(..., help="scenario YAML file")) -> None:
    """List the metric names a scenario's runs measure (for objectives and --set)."""
    for name in metric_names(load(scenario)):
        print(name)
