"""The params stream's draws are numpy's PCG64 Generator draws at each path's offset."""
import numpy as np
import pytest
from conftest import numpy_path_draws

from sim.batch.seeds import replication_seed
from sim.engine.world import World

PATHS = ["forces.vjtf.notice_to_move_h", "injects.summit.at_h", "adversary.axes.kyiv.speed_kmh", "x", "é.ü"]


@pytest.mark.parametrize("seed", [0, 1, 2**63 + 5, replication_seed(7, 3), replication_seed(0, 10_000)])
def test_path_draws_are_numpys_pcg64_words(baseline, seed):
    w = World(baseline, seed, keep_trace=False)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    for path in PATHS:
        d = w.draws(path)
        assert [d.random() for _ in range(4)] == numpy_path_draws(root, path, 4), path
        assert w.draws(path) is d  # one stretch per path and run: a second ask goes on where it stopped

