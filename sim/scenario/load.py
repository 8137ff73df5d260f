"""YAML file -> validated :class:`Scenario`.

Safe loading only; ``extends:`` chains (with loop detection); ``--set path=value``
overrides; fact-id citations checked against the register; cross-references
checked. Every problem is reported as ``FILE:LINE: field.path: message``.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .effects import EFFECT_TAGS, HASH_CONTEXT
from .errors import Problem, ScenarioError
from .facts import find_register, load_register
from .model import Scenario
from .references import check_references, cited_facts
from .yamlsrc import LineMap, dotted, parse_value, parse_yaml

MAX_EXTENDS = 10


def _read(path: Path, label: str) -> tuple[dict, LineMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(label, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(label, None, "", "is a directory, not a scenario file")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, None, "", "not UTF-8 text")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(label, None, "", f"cannot read: {exc.strerror}")]) from None
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, 1, "", "a scenario file is a mapping of fields (name:, clock:, ...)")])
    return data, lines


def _merge(base: dict, blines: LineMap, over: dict, olines: LineMap, prefix=()) -> dict:
    out = dict(base)
    for k, v in over.items():
        path = prefix + (k,)
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], blines, v, olines, path)
        else:
            for p in [p for p in blines if p[: len(path)] == path]:
                del blines[p]
            out[k] = v
        blines.update({p: ln for p, ln in olines.items() if p[: len(path)] == path})
    return out


def _resolve(path: Path, stack: tuple[Path, ...]) -> tuple[dict, LineMap]:
    label = str(path)
    data, lines = _read(path, label)
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    where = lines.get(("extends",), (label, None))
    if not isinstance(parent, str):
        raise ScenarioError([Problem(label, where[1], "extends", "give the path of the scenario to extend")])
    base_path = (path.parent / parent).resolve()
    if base_path in stack or base_path == path.resolve():
        chain = " -> ".join(str(p) for p in (*stack, path.resolve(), base_path))
        raise ScenarioError([Problem(label, where[1], "extends", f"extends loop: {chain}")])
    if len(stack) >= MAX_EXTENDS:
        raise ScenarioError([Problem(label, where[1], "extends", f"more than {MAX_EXTENDS} levels of extends")])
    if not base_path.is_file():
        raise ScenarioError([Problem(label, where[1], "extends", f"no such file: {parent}")])
    bdata, blines = _resolve(base_path, stack + (path.resolve(),))
    return _merge(bdata, blines, data, lines), blines


def apply_set(data: dict, lines: LineMap, item: str) -> None:
    """Apply one ``path=value`` override in place."""
    label = f"--set {item}"
    if "=" not in item:
        raise ScenarioError([Problem(label, None, "", "expected path=value, e.g. forces.vjtf.notice_to_move_h=96")])
    raw_path, raw_value = item.split("=", 1)
    keys = [k for k in raw_path.strip().split(".")]
    if not raw_path.strip() or any(not k for k in keys):
        raise ScenarioError([Problem(label, None, raw_path, "empty field name in path")])
    try:
        value = parse_value(raw_value)
    except ScenarioError as exc:
        raise ScenarioError([Problem(label, None, raw_path, f"bad value: {exc.problems[0].message}")]) from None
    node: Any = data
    path: tuple = ()
    for k in keys[:-1]:
        if isinstance(node, list) and k.isdigit() and int(k) < len(node):
            node, path = node[int(k)], path + (int(k),)
        elif isinstance(node, dict) and k in node:
            node, path = node[k], path + (k,)
        else:
            have = f"; has {', '.join(sorted(map(str, node)))}" if isinstance(node, dict) and node else ""
            raise ScenarioError([Problem(label, None, dotted(path + (k,)), f"no such field{have}")])
    last = keys[-1]
    if isinstance(node, list):
        if not (last.isdigit() and int(last) < len(node)):
            raise ScenarioError([Problem(label, None, dotted(path + (last,)), f"index out of range 0..{len(node) - 1}")])
        key: Any = int(last)
    elif isinstance(node, dict):
        key = last
    else:
        raise ScenarioError([Problem(label, None, dotted(path), f"is a value ({node!r}), not a mapping")])
    full = path + (key,)
    for p in [p for p in lines if p[: len(full)] == full]:
        del lines[p]
    lines[full] = (label, 0)
    node[key] = value


def _line(lines: LineMap, loc: tuple, default: str) -> tuple[str, int | None]:
    for i in range(len(loc), -1, -1):
        if loc[:i] in lines:
            f, n = lines[loc[:i]]
            return f, (n or None)
    return default, None


def _data_path(data: Any, loc: tuple) -> tuple:
    """The part of a pydantic error location that names real fields (drops union tags)."""
    out, node = [], data
    for seg in loc:
        if (isinstance(node, dict) and seg in node) or (isinstance(node, list) and isinstance(seg, int) and seg < len(node)):
            node = node[seg]
            out.append(seg)
        elif isinstance(node, dict) and isinstance(seg, str) and seg not in ("function-after", "function-before") \
                and seg not in EFFECT_TAGS:
            if not any(seg == t for t in ("fixed", "uniform", "triangular", "truncnormal", "lognormal", "exponential",
                                          "event", "force", "decision", "metric", "all", "any", "not")):
                out.append(seg)  # a missing or extra field
                node = None
        # else: a union tag or validator name: skip
    return tuple(out)


def _validation_problems(exc: ValidationError, data: dict, lines: LineMap, label: str) -> list[Problem]:
    probs, seen = [], set()
    for e in exc.errors():
        loc = _data_path(data, tuple(e["loc"]))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required field is missing"
        key = (loc, msg)
        if key in seen:
            continue
        seen.add(key)
        f, n = _line(lines, loc, label)
        probs.append(Problem(f, n, dotted(loc), msg))
    return probs


def content_hash(s: Scenario) -> str:
    blob = json.dumps(s.model_dump(mode="json", by_alias=True, exclude={"extends"}, context=HASH_CONTEXT),
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, merge, override, validate and cross-check a scenario file."""
    path = Path(path)
    label = str(path)
    data, lines = _resolve(path, ())
    for item in overrides:
        apply_set(data, lines, item)

    problems: list[Problem] = []
    cites = cited_facts(data)
    reg_field = data.get("fact_register")
    reg_path = (path.parent / reg_field) if isinstance(reg_field, str) else find_register(path)
    if cites:
        if reg_path is None or not Path(reg_path).is_file():
            f, n = _line(lines, ("fact_register",), label)
            problems.append(Problem(f, n, "fact_register", "fact ids are cited but no fact register was found "
                                    "(seeds/facts.yaml above the scenario, or fact_register:)"))
        else:
            known = load_register(str(Path(reg_path).resolve())).by_id()
            for p, fid in cites:
                if fid not in known:
                    f, n = _line(lines, p, label)
                    problems.append(Problem(f, n, dotted(p), f"unknown fact id {fid!r}"))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems + _validation_problems(exc, data, lines, label)) from None
    for p, msg in check_references(scenario):
        f, n = _line(lines, p, label)
        problems.append(Problem(f, n, dotted(p), msg))
    if problems:
        raise ScenarioError(problems)
    scenario._source = label
    scenario._hash = content_hash(scenario)
    return scenario
