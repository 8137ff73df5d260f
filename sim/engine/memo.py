"""The engine's per-object memo: :func:`sim.memo.per_object` (moved there so that the scenario
layer, below the engine, can use it too)."""
from __future__ import annotations

from ..memo import per_object

__all__ = ["per_object"]
