"""Values derived from a scenario (or one of its frozen parts), worked out once per object.

Every run of a scenario needs the same derived lists (metric names, time marks, the channels a
condition reads); keying them by the object's identity keeps them off the per-run path. The
cache holds the object itself, so an id reused after garbage collection never hits, and it is
bounded: it is emptied when full.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

K = TypeVar("K")
T = TypeVar("T")


def per_object(limit: int = 32) -> Callable[[Callable[[K], T]], Callable[[K], T]]:
    def decorate(compute: Callable[[K], T]) -> Callable[[K], T]:
        cache: dict[int, tuple[K, T]] = {}

        @wraps(compute)
        def get(obj: K) -> T:
            hit = cache.get(id(obj))
            if hit is None or hit[0] is not obj:
                if len(cache) >= limit:
                    cache.clear()
                hit = cache[id(obj)] = (obj, compute(obj))
            return hit[1]

        return get

    return decorate
