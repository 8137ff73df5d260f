"""What sampling needs of a random stream: uniform draws, one at a time.

Every distribution samples by inverse CDF from one uniform number, and effects draw their
amounts the same way, so all they need of a stream is ``random()``. A ``numpy.random.Generator``
satisfies this protocol, and so does the engine's block-buffered ``Uniforms``.
"""
from __future__ import annotations

from typing import Protocol


class Draws(Protocol):
    def random(self) -> float:
        """The next uniform number in [0, 1)."""
        ...
