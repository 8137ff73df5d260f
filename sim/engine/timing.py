"""Waiting for the moment something is due: an hour, a calendar time or a condition."""
from __future__ import annotations

import numpy as np

from ..scenario.model import Timing
from .world import World, channels_of, first_of


def due_hour(w: World, item: Timing, rng: np.random.Generator) -> float | None:
    """The hour a timed item is due (never before H-hour), or None if it waits on a condition."""
    if item.at_h is not None:
        return max(item.at_h.sample(rng), 0.0)
    if item.at_time is not None:
        return max(w.s.clock.hours(item.at_time), 0.0)
    return None


def wait_timing(w: World, item: Timing, rng: np.random.Generator, also=None, also_on=frozenset()):
    """Process body: return when ``item`` is due, or earlier if ``also()`` holds
    (``also_on``: the change channels that can make it hold)."""
    t = due_hour(w, item, rng)
    if t is not None and also is None:
        if t > w.env.now:
            yield w.env.timeout(t - w.env.now)
        return
    if t is not None:
        timer = w.env.timeout(max(t - w.env.now, 0.0))
        while not timer.processed and not also():
            yield first_of(w.env, (timer, w.changed(also_on)))
        return
    cond = item.when
    chans = channels_of(cond) | also_on
    while not ((cond is not None and cond.test(w)) or (also is not None and also())):
        yield w.changed(chans)
