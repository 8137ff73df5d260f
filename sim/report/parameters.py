"""Every parameter of a scenario with its sources, and what differs from the baseline.

A parameter is any number or distribution in the scenario (strengths, notice to move,
rates, thresholds, targets...). Its facts are the ids cited on the value itself and on the
object that holds it; each is resolved against the fact register to its statement and
source title. The baseline is the ``extends:`` parent, or, for ``--set`` overrides on a
scenario that extends nothing, the same file without them.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from ..scenario.distributions import Dist
from ..scenario.errors import ScenarioError
from ..scenario.facts import find_register, load_register
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from ..scenario.yamlsrc import parse_yaml, read_text_file
from .wording import dist_text

_DIST: TypeAdapter[Dist] = TypeAdapter(Dist)
DIST_KEYS = {"fixed", "uniform", "triangular", "truncnormal", "lognormal", "exponential"}
SKIP = {"schema_version", "facts", "extends", "fact_register"}


def _is_dist(v: Any) -> bool:
    return isinstance(v, dict) and v.get("dist") in DIST_KEYS


def _value_text(v: Any) -> str:
    if _is_dist(v):
        d = dict(v)
        if d["dist"] == "fixed":
            return f"{d['value']:g}"
        return dist_text(_DIST.validate_python(d))
    if isinstance(v, dict) and set(v) <= {"gte", "lte"}:
        return " and ".join(f"{'>=' if k == 'gte' else '<='} {x:g}" for k, x in v.items() if x is not None)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _walk(node: Any, path: tuple, inherited: list[str], out: dict) -> None:
    if isinstance(node, dict):
        own = list(node.get("facts") or [])
        if _is_dist(node) or (set(node) <= {"gte", "lte"} and node):
            out[".".join(map(str, path))] = ({k: v for k, v in node.items() if k != "facts"}, own, inherited)
            return
        facts = own or inherited
        for k, v in node.items():
            if k == "facts":
                continue
            _walk(v, path + (k,), facts, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, path + (i,), inherited, out)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        out[".".join(map(str, path))] = (node, [], list(inherited))


def flatten(s: Scenario) -> dict[str, tuple[Any, list[str], list[str]]]:
    """path -> (value, fact ids cited on the value, fact ids of the object holding it)."""
    # place coordinates are data with their own source (the gazetteer's), not model parameters
    data = s.model_dump(mode="json", by_alias=True,
                        exclude={"extends", "fact_register", "schema_version", "gazetteer", "places"})
    out: dict = {}
    _walk(data, (), [], out)
    return out


def _own_fields(path: Path) -> Any:
    """The plain data of one scenario file as written (its ``extends`` not merged in), or ``{}`` if it cannot
    be read. Through the located parser, which has parsed the same text when the scenario was loaded (so
    this is its cached result, not a second parse)."""
    label = str(path)
    try:
        data, _ = parse_yaml(read_text_file(path, label), label)
    except ScenarioError:
        return {}
    return data


def fact_lookup(s: Scenario) -> dict[str, dict]:
    """fact id -> {"id", "statement", "source"} from the scenario's register (empty if none)."""
    src = Path(s.source) if s.source else None
    reg_path = None
    if src is not None:
        raw = _own_fields(src)
        if isinstance(raw, dict) and isinstance(raw.get("fact_register"), str):
            reg_path = src.parent / raw["fact_register"]
        else:
            reg_path = find_register(src)
    if reg_path is None or not reg_path.is_file():
        return {}
    reg = load_register(str(reg_path.resolve()))
    titles = {x.id: x.title for x in reg.sources}
    return {f.id: {"id": f.id, "statement": f.statement, "source": titles.get(f.source, f.source)} for f in reg.facts}


def parameters(s: Scenario) -> list[dict]:
    """The annex: every parameter with its value text and cited facts."""
    facts = fact_lookup(s)
    rows = []
    for path, (v, own, ctx) in flatten(s).items():
        ids = own or ctx
        rows.append({"path": path, "value": _value_text(v), "cited": "value" if own else "object" if ctx else "none",
                     "facts": [_fact(facts, i) for i in ids]})
    return rows


def _fact(facts: dict, i: str) -> dict:
    return facts.get(i, {"id": i, "statement": "(not in the register)", "source": ""})


def baseline_of(path: str | Path, sets: list[str]) -> tuple[Scenario | None, str]:
    """(baseline scenario, how it was chosen) for a scenario file and its --set overrides."""
    p = Path(path)
    raw = _own_fields(p)
    parent = raw.get("extends") if isinstance(raw, dict) else None
    try:
        if isinstance(parent, str):
            from .aar import project_path
            return load_scenario(p.parent / parent), f"the parent scenario {project_path(p.parent / parent)} (extends)"
        if sets:
            return load_scenario(p), f"{p.name} without the --set overrides"
    except ScenarioError:
        return None, ""
    return None, ""


def differences(s: Scenario, base: Scenario | None, sets: Sequence[str] = ()) -> list[dict]:
    """Parameters whose value differs from the baseline, each with the facts behind both values."""
    if base is None:
        return []
    facts = fact_lookup(s) or fact_lookup(base)
    mine, theirs = flatten(s), flatten(base)
    set_paths = {x.split("=", 1)[0].strip() for x in sets}
    rows = []
    for path in sorted(set(mine) | set(theirs)):
        a, b = mine.get(path), theirs.get(path)
        if a is not None and b is not None and a[0] == b[0]:
            continue
        own = list(dict.fromkeys((a[1] if a else []) + (b[1] if b else [])))
        ids = own or list(dict.fromkeys((a[2] if a else []) + (b[2] if b else [])))
        rows.append({"path": path, "baseline": _value_text(b[0]) if b else "(absent)",
                     "value": _value_text(a[0]) if a else "(absent)",
                     "origin": "--set" if any(path == sp or path.startswith(sp + ".") for sp in set_paths) else "file",
                     "cited": "value" if own else "object" if ids else "none",
                     "facts": [_fact(facts, i) for i in ids]})
    # non-numeric differences (e.g. a decision default) are parameters too
    da = s.model_dump(mode="json", by_alias=True, exclude={"extends", "fact_register", "name", "title",
                                                             "description", "purpose"})
    db = base.model_dump(mode="json", by_alias=True, exclude={"extends", "fact_register", "name", "title",
                                                                "description", "purpose"})
    seen: set[str] = {str(r["path"]) for r in rows}
    for path, va, vb in _leaf_diffs(da, db, ()):
        if path in seen or any(path.startswith(x + ".") for x in seen) or path.endswith(".facts"):
            continue
        rows.append({"path": path, "baseline": str(vb), "value": str(va),
                     "origin": "--set" if any(path == sp or path.startswith(sp + ".") for sp in set_paths) else "file",
                     "cited": "none", "facts": []})
    return sorted(rows, key=lambda r: r["path"])


def _leaf_diffs(a: Any, b: Any, path: tuple):
    if isinstance(a, dict) and isinstance(b, dict) and not _is_dist(a) and not _is_dist(b):
        for k in sorted(set(a) | set(b), key=str):
            yield from _leaf_diffs(a.get(k), b.get(k), path + (k,))
    elif (a != b and not isinstance(a, (int, float))) or (isinstance(a, bool) and a != b):
        if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
            if a != b:
                yield ".".join(map(str, path)), _short(a), _short(b)
        else:
            yield ".".join(map(str, path)), a, b


def _short(v: Any) -> str:
    return "(absent)" if v is None else yaml.safe_dump(v, default_flow_style=True, sort_keys=True).strip()
