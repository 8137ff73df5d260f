"""Waiting for the moment something is due: an hour, a calendar time or a condition."""
from __future__ import annotations

from collections.abc import Callable

from ..scenario.draws import Draws
from ..scenario.model import Timing
from .world import Process, World, channels_of


def due_hour(w: World, item: Timing, rng: Draws, scale: float = 1.0) -> float | None:
    """The hour a timed item is due (never before H-hour), or None if it waits on a condition
    (``scale``: multiplies an ``at_h`` drawn, e.g. the tempo's decision delay)."""
    if item.at_h is not None:
        return max(item.at_h.sample(rng) * scale, 0.0)
    if item.at_time is not None:
        return max(w.s.clock.hours(item.at_time), 0.0)
    return None


def wait_timing(w: World, item: Timing, rng: Draws, also: Callable[[], bool] | None = None,
                also_on: frozenset[str] = frozenset(), scale: float = 1.0) -> Process:
    """Process body: return when ``item`` is due, or earlier if ``also()`` holds
    (``also_on``: the change channels that can make it hold; ``scale``: as for :func:`due_hour`)."""
    t = due_hour(w, item, rng, scale)
    if t is not None:
        if also is None:
            if t > w.env.now:
                yield w.env.timeout(t - w.env.now)
        elif not also():
            yield w.until(also, also_on, deadline=t)
        return
    cond = item.when
    test: Callable[[], bool]
    if also is None:
        assert cond is not None  # validation gives a timed item exactly one of at_h, at_time, when
        test = lambda: cond.test(w)  # noqa: E731
    else:
        test = lambda: (cond is not None and cond.test(w)) or also()  # noqa: E731
    yield from w.wait_for(test, channels_of(cond) | also_on)
