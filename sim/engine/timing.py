"""Waiting for the moment something is due: an hour, a calendar time or a condition."""
from __future__ import annotations

from ..scenario.draws import Draws
from ..scenario.model import Timing
from .world import World, channels_of


def due_hour(w: World, item: Timing, rng: Draws) -> float | None:
    """The hour a timed item is due (never before H-hour), or None if it waits on a condition."""
    if item.at_h is not None:
        return max(item.at_h.sample(rng), 0.0)
    if item.at_time is not None:
        return max(w.s.clock.hours(item.at_time), 0.0)
    return None


def wait_timing(w: World, item: Timing, rng: Draws, also=None, also_on=frozenset()):
    """Process body: return when ``item`` is due, or earlier if ``also()`` holds
    (``also_on``: the change channels that can make it hold)."""
    t = due_hour(w, item, rng)
    if t is not None and also is None:
        if t > w.env.now:
            yield w.env.timeout(t - w.env.now)
        return
    if t is not None:
        if not also():
            yield w.until(also, also_on, deadline=t)
        return
    cond = item.when
    if also is None:
        test = lambda: cond.test(w)  # noqa: E731
    else:
        test = lambda: (cond is not None and cond.test(w)) or also()  # noqa: E731
    yield from w.wait_for(test, channels_of(cond) | also_on)
