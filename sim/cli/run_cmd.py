"""``crisis-sim run``: one narrated run of a scenario."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ..engine.run import run as run_engine
from ..narrative import STYLE, line, narrated
from ..scenario.metrics import metric_registry
from .common import clean, fail, load, out, output_problems, seed_problems, write_output


def run(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    seed: int = typer.Option(0, "--seed", "-s", help="random seed; the same seed gives the same run"),
    set_: list[str] = typer.Option([], "--set", help="override a parameter: path=value (repeatable)"),
    json_: bool = typer.Option(False, "--json", help="print the machine-readable result instead"),
    trace: Path | None = typer.Option(None, "--trace", help="write the trace as JSON Lines to FILE"),
    effects: bool = typer.Option(False, "--effects", help="show every effect in the timeline"),
    encounters: bool = typer.Option(False, "--encounters", help="show deconflicted encounters too"),
) -> None:
    """Run SCENARIO once and narrate the timeline, then summarise metrics and objectives."""
    if problems := seed_problems(seed=seed) + output_problems("--trace", trace):
        fail(problems)
    s = load(scenario, set_)
    result = run_engine(s, seed)
    if trace:
        write_output("--trace", trace, result.trace_jsonl())
    if json_:
        print(result.to_json())
        return
    out.print(Text(clean(f"{s.title}  (seed {seed}, scenario {s.content_hash})"), style="bold"))
    recs = narrated(result.trace, include_effects=effects)
    if encounters:
        recs = [r for r in result.trace if r.kind in {x.kind for x in recs} | {"encounter"}]
    for rec in recs:
        cal, h, kind, text = line(rec)
        t = Text()
        t.append(f"{cal:<22} {h:>8}  ", style="dim")
        t.append(f"{kind:<10} ", style=STYLE.get(kind, ""))
        t.append(clean(text))
        out.print(t)
    counts = Counter(r.kind for r in result.trace)
    m = result.metrics
    out.print()
    out.print(Text(f"Encounters {m['encounters']}, incidents {m['incidents']} "
                   f"({counts['encounter']} deconflicted); peak tension {m['peak_tension']:.1f}, "
                   f"peak rung {m['peak_rung']} ({clean(s.escalation.rungs[int(m['peak_rung'] or 0)].name)}); "
                   f"troops committed {m['committed_troops']:,.0f} of {s.adversary.massed_troops:,.0f}"
                   if s.adversary else
                   f"Encounters {m['encounters']}, incidents {m['incidents']}; peak rung {m['peak_rung']}"))
    table = Table(title="Objectives", show_lines=False)
    table.add_column("objective")
    table.add_column("target")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("met")
    reg = metric_registry(s)
    for o in result.objectives.values():
        v = "never" if o.value is None else f"{o.value:g}" if isinstance(o.value, int) else f"{o.value:.2f}"
        unit = reg[o.metric].unit if o.metric in reg else ""
        table.add_row(clean(o.title), clean(o.target), v, Text(unit),
                      Text("yes", style="green") if o.met else Text("NO", style="bold red"))
    out.print(table)
    if trace:
        out.print(f"trace written to {trace}")
