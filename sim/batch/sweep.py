"""Parameter sweeps: ``--vary`` specs parsed and expanded into a full grid of points.

A spec is ``path=v1,v2,...`` (a list; values are YAML scalars or flow collections,
commas inside ``[]``/``{}``/quotes do not split) or ``path=start:stop:step`` (a numeric
range that includes ``stop`` when ``start + k*step`` lands on it, e.g. ``48:96:24``
gives 48, 72, 96 and ``0:1:0.3`` gives 0, 0.3, 0.6, 0.9). Several specs make the full
grid, the first spec varying slowest. Each point is applied as ``--set`` overrides,
after the batch's own ``--set`` values, through ``load_scenario``, so a bad path or
value is reported like any other override.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..scenario.errors import Problem, ScenarioError
from ..scenario.load import Override, override_checker
from ..scenario.yamlsrc import parse_value

MAX_VALUES = 10_000
FEW = 3  # refused values of one spec reported one line each; more are one line with their count
MAX_POINTS = 10_000  # the whole grid: each point is a validated scenario and a batch of its own


@dataclass(frozen=True)
class Vary:
    path: str
    raw: tuple[str, ...]  # the values as typed, for --set
    values: tuple[Any, ...]  # the values parsed, for summaries

    def to_dict(self) -> dict:
        return {"path": self.path, "values": list(self.values)}


def _bad(spec: str, path: str, msg: str) -> ScenarioError:
    return ScenarioError([Problem(f"--vary {spec}", None, path, msg)])


def split_top(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _range(spec: str, path: str, parts: list[str]) -> list[str]:
    nums = [x if (x := _number(p)) is not None else math.nan for p in parts]  # the caller checked: numbers
    start, stop, step = nums
    if step == 0:
        raise _bad(spec, path, "range step must not be 0")
    if (stop - start) * step < 0:
        raise _bad(spec, path, f"range {start:g}:{stop:g} never reached with step {step:g}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_VALUES:
        raise _bad(spec, path, f"range gives {count} values, more than {MAX_VALUES}")
    integral = all(float(x).is_integer() and "." not in p for x, p in zip(nums, parts, strict=False))
    vals = [start + k * step for k in range(count)]
    return [str(int(round(v))) if integral else repr(round(v, 10)) for v in vals]


def parse_vary(spec: str) -> Vary:
    """Parse one ``--vary`` spec (raises ScenarioError with a one-line message)."""
    return _values(spec, *_raw(spec))


def _raw(spec: str) -> tuple[str, list[str], bool]:
    """The path, the values as typed (a range expanded, not parsed yet) and whether they came from a range."""
    if "=" not in spec:
        raise _bad(spec, "", "expected path=v1,v2,... or path=start:stop:step")
    path, rhs = (x.strip() for x in spec.split("=", 1))
    if not path or any(not k for k in path.split(".")):
        raise _bad(spec, path, "empty field name in path")
    if not rhs:
        raise _bad(spec, path, "no values given")
    parts = rhs.split(":")
    is_range = "," not in rhs and len(parts) == 3 and all(_number(p) is not None for p in parts)
    if is_range:
        raw = _range(spec, path, parts)
    elif "," not in rhs and len(parts) in (2, 3) and all(p.strip() and _number(p) is not None for p in parts[:2]):
        raise _bad(spec, path, "a range is start:stop:step, all three numbers")
    else:
        raw = split_top(rhs)
        if any(not r for r in raw):
            raise _bad(spec, path, "empty value in the list")
    return path, raw, is_range


def _values(spec: str, path: str, raw: list[str], is_range: bool) -> Vary:
    values: list[Any] = []
    for r in raw:
        if is_range:  # numbers written by _range: read them as numbers without a YAML parser per value
            values.append(int(r) if "." not in r and "e" not in r and "inf" not in r else float(r))
            continue
        try:
            values.append(parse_value(r))
        except ScenarioError as exc:
            raise _bad(spec, path, f"bad value {r!r}: {exc.problems[0].message}") from None
    if len(set(map(repr, values))) != len(values):
        raise _bad(spec, path, "a value is listed twice")
    return Vary(path, tuple(raw), tuple(values))


def parse_varies(specs: Iterable[str]) -> list[Vary]:
    """Parse the ``--vary`` specs; a grid of more than MAX_POINTS points is refused before any value is parsed."""
    specs = list(specs)
    raws = [_raw(spec) for spec in specs]
    check_grid([len(raw) for _, raw, _ in raws])  # before parsing any value: a huge grid is refused at once
    out: list[Vary] = []
    for spec, (path, raw, is_range) in zip(specs, raws, strict=True):
        v = _values(spec, path, raw, is_range)
        if any(o.path == v.path for o in out):
            raise _bad(spec, v.path, "this path is already varied by another --vary")
        out.append(v)
    return out


def check_grid(sizes: list[int]) -> None:
    """Raise ScenarioError (one line, with the point count) for a grid of more than MAX_POINTS points."""
    points = math.prod(sizes)
    if points > MAX_POINTS:
        shown = " x ".join(f"{n:,}" for n in sizes)
        raise ScenarioError([Problem("--vary", None, "", f"the grid has {points:,} points ({shown}), more than "
                                     f"{MAX_POINTS:,}; vary fewer values or fewer parameters at once")])


@dataclass(frozen=True)
class Point:
    """One grid point: its parameter values (for summaries) and its ``--set`` overrides."""

    values: dict
    overrides: tuple[str, ...]


def expand_grid(varies: list[Vary]) -> list[Point]:
    """The full grid, first spec slowest; one empty point when nothing varies."""
    if not varies:
        return [Point({}, ())]
    check_grid([len(v.raw) for v in varies])
    points = []
    for combo in itertools.product(*(range(len(v.raw)) for v in varies)):
        points.append(Point({v.path: v.values[k] for v, k in zip(varies, combo, strict=False)},
                            tuple(Override(f"{v.path}={v.raw[k]}", "--vary")
                                  for v, k in zip(varies, combo, strict=False))))
    return points


def check_varies(path: str, sets: tuple[str, ...], varies: list[Vary]) -> None:
    """Check each ``--vary`` value once, by itself (not once per grid point): a line per refused value, or,
    with more than :data:`FEW`, one line for the spec saying how many are refused (raises ScenarioError)."""
    if not varies:
        return
    check = override_checker(path, sets)
    problems = []
    for v in varies:
        bad = [(raw, q) for raw, value in zip(v.raw, v.values, strict=True)
               if (q := check(Override(f"{v.path}={raw}", "--vary"), value)) is not None]
        if 0 < len(bad) <= FEW:
            problems += [q for _, q in bad]
        elif bad:
            q = bad[0][1]
            problems.append(Problem(q.file, q.line, q.path, f"{q.message} ({len(bad):,} of the {len(v.raw):,} "
                                                            "values refused; the first shown)"))
    if problems:
        raise ScenarioError(problems)
