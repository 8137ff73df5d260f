"""Numbers told in words for reports; distributions, events and conditions come from
:mod:`sim.scenario.wording` (shared with the workshop's MSEL)."""
from __future__ import annotations

from ..scenario.wording import cond_text, dist_text, event_title

__all__ = ["cond_text", "dist_text", "event_title", "num"]


def num(x: float | None, nd: int = 1) -> str:
    if x is None:
        return "never"
    return f"{x:.{nd}f}".rstrip("0").rstrip(".") if nd else f"{x:.0f}"
