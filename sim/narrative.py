"""Trace records told as a timeline people read: calendar time, H+hours, what happened.

Shared by the CLI's narrated run, the workshop's situation board and the reports.
"""
from __future__ import annotations

from datetime import datetime

from .engine.trace import Record

# kinds a reader wants in a narrated timeline; routine encounters are summarised instead
NARRATED = ("inject", "force", "echelon", "decision", "pending", "axis", "advance", "waypoint", "commitment", "incident",
            "rung", "checkpoint", "signal", "start", "end")
STYLE = {"inject": "bold cyan", "force": "green", "echelon": "green", "decision": "bold magenta",
         "pending": "bold magenta", "axis": "red", "advance": "red", "waypoint": "red", "commitment": "red",
         "incident": "bold red", "rung": "bold yellow", "checkpoint": "blue", "signal": "cyan",
         "effect": "dim", "tension": "dim", "encounter": "dim", "start": "bold", "end": "bold"}


def when(rec: Record) -> str:
    t = datetime.fromisoformat(rec.time)
    return f"{t:%a %d %b %H:%M} {t:%z}"[:-2]  # e.g. "Thu 24 Feb 09:37 +01"


def h_label(t_h: float) -> str:
    return f"H+{t_h:.1f}" if t_h % 1 else f"H+{t_h:.0f}"


def narrated(trace: list[Record], include_effects: bool = False) -> list[Record]:
    kinds = NARRATED + (("effect", "tension") if include_effects else ())
    return [r for r in trace if r.kind in kinds]


def line(rec: Record) -> tuple[str, str, str, str]:
    """(calendar time, H+hours, kind, text) for one record."""
    return when(rec), h_label(rec.t_h), rec.kind, rec.text
