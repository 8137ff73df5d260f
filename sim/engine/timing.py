"""Waiting for the moment something is due: an hour, a calendar time or a condition.

Two forms of the same waits: process bodies (``wait_timing``, for processes that go on after
the wait) and callbacks (``at_hour``, ``when_holds``, ``when_due``, for items that do one thing
when due: injects, decision points, checkpoints). A callback is scheduled on exactly the SimPy
events the process would have yielded, created at the same moments, so the order of same-time
events is the same either way; it only spares the process (its start, its end and the
generator's resumptions).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from simpy.events import Event

from ..scenario.model import Timing
from .plan import Due
from .world import Process, World, channels_of


def due_hour(w: World, item: Timing, path: str, scale: float = 1.0) -> float | None:
    """The hour a timed item is due (never before H-hour), or None if it waits on a condition
    (``path``: where its ``at_h`` is drawn; ``scale``: multiplies an ``at_h`` drawn, e.g. the tempo's
    decision delay)."""
    if item.at_h is not None:
        return max(w.sample(item.at_h, path) * scale, 0.0)
    if item.at_time is not None:
        return max(w.s.clock.hours(item.at_time), 0.0)
    return None


def wait_timing(w: World, item: Timing, path: str, also: Callable[[], bool] | None = None,
                also_on: frozenset[str] = frozenset(), scale: float = 1.0) -> Process:
    """Process body: return when ``item`` is due, or earlier if ``also()`` holds
    (``also_on``: the change channels that can make it hold; ``scale``: as for :func:`due_hour`)."""
    t = due_hour(w, item, path, scale)
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


def at_hour(w: World, t: float, then: Callable[[], None]) -> None:
    """Call ``then()`` at hour ``t`` (now if ``t`` is not later): the callback form of
    ``if t > now: yield env.timeout(t - now)``."""
    env = w.env
    now = env.now
    if t > now:
        env.timeout(t - now).callbacks.append(lambda _: then())
    else:
        then()


def when_holds(w: World, test: Callable[[], bool], channels: frozenset[str], then: Callable[[], None]) -> None:
    """Call ``then()`` once ``test()`` holds (now if it does already): the callback form of
    :meth:`World.wait_for` (the test is tried again each time the awaited event is processed)."""
    if test():
        then()
    else:
        w.until(test, channels).callbacks.append(partial(_held, w, test, channels, then))


def _held(w: World, test: Callable[[], bool], channels: frozenset[str], then: Callable[[], None], _: Event) -> None:
    """The awaited event of :func:`when_holds` is processed: try the test again (a module function, not
    a closure that names itself, which would be a reference cycle outliving the run)."""
    when_holds(w, test, channels, then)


def when_due(w: World, item: Timing, due: Due, then: Callable[[], None]) -> None:
    """Call ``then()`` when ``item`` is due: the callback form of ``wait_timing(w, item, due.path)``
    (``due``: the item's :class:`~sim.engine.plan.Due`, with its hour when the scenario fixes it)."""
    t = due.hour
    if t is None:
        t = due_hour(w, item, due.path, due.scale)
    if t is not None:
        at_hour(w, t, then)
        return
    cond = item.when
    assert cond is not None  # validation gives a timed item exactly one of at_h, at_time, when
    when_holds(w, lambda: cond.test(w), channels_of(cond), then)
