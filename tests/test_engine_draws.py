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


@pytest.mark.parametrize("seed", [0, 5, 2**64 + 9])
def test_stream_words_are_numpys_advance_then_random_raw_at_any_index(seed):
    """The params stream's word at an index is numpy's PCG64 advanced that far and asked for one raw
    word: near 0, at a path's stride, and across the end of the period."""
    from sim.engine.world import ParamStream, _Streams, _Words

    streams = _Streams(np.random.SeedSequence(seed))
    for index in (0, 1, 2, 63, 2**64, 2**64 + 1, 12345 * 2**64 + 7, 2**128 - 2, 2**128 - 1):
        bits = np.random.PCG64(_Words(streams.words("params")))  # type: ignore[arg-type]
        bits.advance(index)
        assert ParamStream(streams).word(index) == bits.random_raw(), index
