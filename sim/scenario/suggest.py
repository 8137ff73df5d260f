""""Did you mean ...?" for near misses of a field, option, id or metric name (difflib)."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices nearest ``word`` (at most ``n``, best first); none if nothing is close."""
    return difflib.get_close_matches(str(word), sorted({str(c) for c in choices}), n=n, cutoff=0.6)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for a near miss of one of ``choices``, else ``""``."""
    near = close_matches(word, choices)
    return f"; did you mean {' or '.join(repr(c) for c in near)}?" if near else ""
