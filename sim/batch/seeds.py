"""Random streams for replications: one child of ``SeedSequence(seed)`` per replication.

Replication ``i`` of a batch with seed ``S`` always draws from
``SeedSequence(S).spawn(n)[i]``, which equals ``SeedSequence(S, spawn_key=(i,))``:
its stream depends only on ``S`` and ``i``, never on the number of replications,
the worker count, the chunking or the backend. Sweep points reuse the same seeds
(common random numbers), so differences between points are due to the parameters.
"""
from __future__ import annotations

from numpy.random import SeedSequence


def replication_seeds(seed: int, n: int) -> list[SeedSequence]:
    """The streams of replications 0..n-1: ``SeedSequence(seed).spawn(n)``."""
    return SeedSequence(int(seed)).spawn(int(n))


def replication_seed(seed: int, index: int) -> SeedSequence:
    """The stream of replication ``index`` alone (same as ``replication_seeds(seed, index + 1)[index]``)."""
    return SeedSequence(int(seed), spawn_key=(int(index),))
