"""Text from scenarios and users made safe for each output it reaches.

One helper per kind of output, used by every writer of that kind:

- :func:`terminal`: control characters dropped (``ESC [2J`` clears a screen, ``ESC ]0;`` retitles a
  window, a carriage return overwrites a line); tabs and newlines stay.
- :func:`markdown`: HTML in Markdown neutralised (``<script>``, ``<img onerror=...>`` and entities), as
  Markdown viewers render raw HTML; text such as ``<= 120`` stays as it reads.
- :func:`csv_cell`: a spreadsheet formula neutralised (a cell starting with ``= + - @``, a tab or a
  carriage return gets a leading quote, the usual rule against CSV injection); numbers stay numbers.
"""
from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def terminal(text: str) -> str:
    """``text`` without control characters (but with its tabs and newlines)."""
    return _CONTROL.sub("", text)


def markdown(text: str) -> str:
    """``text`` with every ``<`` that could open an HTML tag or comment, and every ``&`` that could start an
    entity, written as an entity: a Markdown viewer shows it instead of running it."""
    return _TAG_OPEN.sub("&lt;", _ENTITY.sub("&amp;", text))


def csv_cell(value: Any) -> Any:
    """A CSV or spreadsheet cell that no spreadsheet evaluates: text starting with a formula character is
    prefixed with ``'``; anything else (numbers, empty cells, plain text) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def deep(fn: Any, data: Any) -> Any:
    """``fn`` applied to every string inside nested dicts, lists and tuples (keys too)."""
    if isinstance(data, str):
        return fn(data)
    if isinstance(data, dict):
        return {deep(fn, k): deep(fn, v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(deep(fn, x) for x in data) if not hasattr(data, "_fields") else \
            type(data)(*(deep(fn, x) for x in data))
    return data
