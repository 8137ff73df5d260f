"""A run leaves no reference cycles behind: once its result is dropped, the world and everything
it held are freed by reference counting, not left for the cyclic garbage collector (which cost a
default-settings process a large share of each run); and the result's snapshot still reads the
world's state after the run let go of its processes."""
import gc
import weakref
from pathlib import Path

import pytest

from sim import load_scenario
from sim.engine.run import run
from sim.engine.world import World

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture
def no_collector():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@pytest.mark.parametrize("until_h", [None, 0.0, 24.0])
def test_a_finished_run_leaves_nothing_for_the_cycle_collector(path, until_h, no_collector):
    s = load_scenario(path)
    run(s, 0, keep_trace=False, until_h=until_h)  # the scenario's plan and caches, made once and kept
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept in gc.garbage
    for seed in range(3):
        for keep_trace in (False, True):
            r = run(s, seed, keep_trace=keep_trace, until_h=until_h)
            world = weakref.ref(r.snapshot.__self__)  # the result's lazy snapshot is the world's
            del r
            assert world() is None, "the world outlived its result"
    gc.collect()
    assert [type(o).__name__ for o in gc.garbage] == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@pytest.mark.parametrize("until_h", [0.0, 30.0, None])
def test_the_snapshot_after_the_release_is_the_one_before(path, until_h, monkeypatch):
    s = load_scenario(path)
    released = [run(s, seed, until_h=until_h).snapshot() for seed in range(3)]
    monkeypatch.setattr(World, "release", lambda self: None)  # the world as the run left it, processes and all
    kept = [run(s, seed, until_h=until_h).snapshot() for seed in range(3)]
    assert released == kept
    assert any(snap["tension"] for snap in kept)  # the snapshot reads live state (tension through its part)
