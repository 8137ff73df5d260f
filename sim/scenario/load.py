"""YAML file -> validated :class:`Scenario`.

Safe loading only; ``extends:`` chains (with loop detection); ``--set path=value``
overrides; fact-id citations checked against the register; cross-references
checked. Every problem is reported as ``FILE:LINE: field.path: message``.
"""
from __future__ import annotations

import copy
import hashlib
import json
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag, ValidationError

from .distributions import Fixed
from .effects import EFFECT_TAGS, HASH_CONTEXT, KINDS
from .errors import Problem, ScenarioError
from .facts import find_register, load_register
from .model import Scenario
from .movement import check_movement, movement_hash_form
from .places import check_places, import_gazetteer
from .references import check_references, cited_facts
from .suggest import did_you_mean
from .yamlsrc import SCENARIO_SUFFIXES, LineMap, dotted, excerpt, parse_value, parse_yaml, read_text_file

MAX_EXTENDS = 10
Data = dict[str, Any]
Key = tuple[str | int, ...]
MAX_PROBLEMS = 30  # one file that is not a scenario at all would otherwise give a line per key it holds


class Override(str):
    """A ``path=value`` override that came from another option than ``--set`` (``--vary``), so that its
    problems name the option and the text as the user typed them. Equal to (and stored as) the plain text."""

    option: str
    typed: str

    def __new__(cls, text: str, option: str = "--set", typed: str | None = None) -> Override:
        self = super().__new__(cls, text)
        self.option, self.typed = option, text if typed is None else typed
        return self


def shipped_dirs() -> list[Path]:
    """Folders that hold shipped scenarios: ./scenarios and the one beside the package."""
    here = Path(__file__).resolve().parents[2] / "scenarios"
    cwd = Path.cwd() / "scenarios"
    return [p for p in dict.fromkeys([cwd, here]) if p.is_dir()]


def find_scenario(path: str | Path) -> Path:
    """``path`` itself, or, for a bare name such as ``nato-response-2022`` (what ``crisis-sim list`` shows)
    that is not a file, the shipped scenario of that name."""
    p = Path(path)
    if p.exists() or len(p.parts) != 1 or p.suffix in SCENARIO_SUFFIXES:
        return p
    for d in shipped_dirs():
        for suffix in SCENARIO_SUFFIXES:
            cand = d / f"{p.name}{suffix}"
            if cand.is_file():
                try:
                    return cand.relative_to(Path.cwd())
                except ValueError:
                    return cand
    return p


def _read(path: Path, label: str) -> tuple[Data, LineMap]:
    text = read_text_file(path, label)
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, 1, "", "a scenario file is a mapping of fields (name:, clock:, ...)")])
    return data, lines


def _merge(base: Data, blines: LineMap, over: Data, olines: LineMap, prefix: Key = ()) -> Data:
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


def _resolve(path: Path, stack: tuple[Path, ...], chain: list[Path] | None = None) -> tuple[Data, LineMap]:
    label = str(path)
    data, lines = _read(path, label)
    if chain is not None:
        chain.append(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    where = lines.get(("extends",), (label, None))
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Problem(label, where[1], "extends", "give the path of the scenario to extend")])
    if Path(parent).suffix not in SCENARIO_SUFFIXES:
        raise ScenarioError([Problem(label, where[1], "extends", "give a scenario file ending in .yaml or .yml, "
                                     f"got {excerpt(parent)!r}")])
    base_path = (path.parent / parent).resolve()
    if base_path in stack or base_path == path.resolve():
        loop = " -> ".join(str(p) for p in (*stack, path.resolve(), base_path))
        raise ScenarioError([Problem(label, where[1], "extends", f"extends loop: {loop}")])
    if len(stack) >= MAX_EXTENDS:
        raise ScenarioError([Problem(label, where[1], "extends", f"more than {MAX_EXTENDS} levels of extends")])
    if not base_path.exists():
        raise ScenarioError([Problem(label, where[1], "extends", f"no such file: {parent}")])
    if not base_path.is_file():
        raise ScenarioError([Problem(label, where[1], "extends", f"{parent} is not a regular file (a folder, "
                                     "device or pipe); give a scenario .yaml file")])
    bdata, blines = _resolve(base_path, stack + (path.resolve(),), chain)
    return _merge(bdata, blines, data, lines), blines


_UNPARSED = object()


def apply_set(data: Data, lines: LineMap, item: str, parsed: Any = _UNPARSED, copy_path: bool = False) -> Key:
    """Apply one ``path=value`` override in place; return the path it set. ``parsed``: the value, already
    parsed from the text; ``copy_path``: copy each mapping or list on the way instead of changing it (the
    caller passes a shallow copy of ``data``)."""
    label = f"{getattr(item, 'option', '--set')} {excerpt(getattr(item, 'typed', item), 80)}"
    if "=" not in item:
        raise ScenarioError([Problem(label, None, "", "expected path=value, e.g. forces.vjtf.notice_to_move_h=96")])
    raw_path, raw_value = item.split("=", 1)
    keys = [k for k in raw_path.strip().split(".")]
    if not raw_path.strip() or any(not k for k in keys):
        raise ScenarioError([Problem(label, None, raw_path, "empty field name in path")])
    try:
        value = parse_value(raw_value) if parsed is _UNPARSED else parsed
    except ScenarioError as exc:
        msg = exc.problems[0].message
        raise ScenarioError([Problem(label, None, raw_path.strip(),
                                     msg if msg.startswith("bad value") else f"bad value: {msg}")]) from None
    node: Any = data
    path: Key = ()
    for k in keys[:-1]:
        if isinstance(node, list) and k.isdigit() and int(k) < len(node):
            if copy_path:
                node[int(k)] = copy.copy(node[int(k)])
            node, path = node[int(k)], path + (int(k),)
        elif isinstance(node, dict) and k in node:
            if copy_path:
                node[k] = copy.copy(node[k])
            node, path = node[k], path + (k,)
        else:
            have = f"; has {', '.join(sorted(map(str, node)))}" if isinstance(node, dict) and node else ""
            near = did_you_mean(k, map(str, node)) if isinstance(node, dict) else ""
            if near and have:
                have = f" ({have[2:]})"
            raise ScenarioError([Problem(label, None, dotted(path + (k,)), f"no such field{near}{have}")])
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
    return full


def _line(lines: LineMap, loc: Key, default: str) -> tuple[str, int | None]:
    for i in range(len(loc), -1, -1):
        if loc[:i] in lines:
            f, n = lines[loc[:i]]
            return f, (n or None)
    return default, None


def _data_path(data: Any, loc: tuple[Any, ...]) -> Key:
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


def _tagged(union: Any, disc: Discriminator, node: Any) -> Any:
    """The effect class (a member of the union told apart by a callable discriminator) that ``node`` is.
    (Conditions' tags are also field names, which error locations keep: they are not resolved here.)"""
    tag = disc.discriminator(node) if callable(disc.discriminator) and isinstance(node, dict) else None
    if tag not in EFFECT_TAGS:
        return None
    for member in get_args(union):
        if get_origin(member) is Annotated and any(isinstance(m, Tag) and m.tag == tag for m in get_args(member)[1:]):
            return get_args(member)[0]
    return None


def _unwrap(tp: Any, node: Any) -> Any:
    """The model (or container type) behind Annotated / Optional / a ``dist``-tagged union / a union with a
    callable discriminator, if one is clear."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            disc = next((m for m in get_args(tp)[1:] if isinstance(m, Discriminator)), None)
            tp = get_args(tp)[0] if disc is None else _tagged(get_args(tp)[0], disc, node)
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) > 1 and isinstance(node, dict) and "dist" in node:
                members = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)
                           and "dist" in m.model_fields and node["dist"] in get_args(m.model_fields["dist"].annotation)]
            if len(members) != 1:
                return None
            tp = members[0]
        else:
            return tp


def _type_at(data: Any, loc: Key) -> Any:
    """The annotation the scenario format has at ``loc`` (None where that is not clear-cut)."""
    tp: Any = Scenario
    node = data
    for seg in loc:
        tp = _unwrap(tp, node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if seg in (n, f.alias)), None)
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (dict, list, tuple) and get_args(tp):
            tp = get_args(tp)[-1] if get_origin(tp) is dict else get_args(tp)[0]
        else:
            return None
        try:
            node = node[seg]
        except (KeyError, IndexError, TypeError):
            node = None
    return tp


def _fields_at(data: Any, loc: Key) -> list[str]:
    """The field names the scenario format allows at ``loc`` (empty where that is not clear-cut)."""
    try:
        node = data
        for seg in loc:
            node = node[seg]
    except (KeyError, IndexError, TypeError):
        node = None
    tp = _unwrap(_type_at(data, loc), node)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


def _is_dist(tp: Any) -> bool:
    """Whether an annotation is (an optional) distribution: a number or a ``dist:`` mapping."""
    if get_origin(tp) is Annotated:
        return _is_dist(get_args(tp)[0])
    return get_origin(tp) in (Union, types.UnionType) and any(a is Fixed or _is_dist(a) for a in get_args(tp))


_DISTS = "a number, or a distribution such as {dist: uniform, low: 1, high: 2}"


def _message(e: Any, data: Data, loc: Key) -> str:
    """pydantic's message in the scenario's words: what was given, what is valid, the nearest choice."""
    msg: str = e["msg"].removeprefix("Value error, ")
    given = e.get("input")
    shown = excerpt(repr(given)) if isinstance(given, (str, int, float, bool)) else None
    if e["type"] == "extra_forbidden":
        return "unknown field" + did_you_mean(str(loc[-1]) if loc else "", _fields_at(data, loc[:-1]))
    if e["type"] == "missing":
        return "required field is missing"
    if e["type"] == "effect" and isinstance(given, dict):  # no key names a kind: the nearest kind to the first
        return msg + did_you_mean(str(next(iter(given), "")), KINDS)
    if e["type"] == "model_attributes_type" and _is_dist(_type_at(data, loc)):
        return f"expected {_DISTS}, got {shown}"
    if e["type"] == "union_tag_invalid":
        ctx = e.get("ctx") or {}
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
        tag = str(ctx.get("tag", ""))
        return f"unknown distribution {excerpt(tag)!r}{did_you_mean(tag, tags)}; one of {', '.join(tags)}"
    if e["type"] == "model_attributes_type":
        return f"expected a mapping of fields, got {shown}" if shown else msg
    if e["type"] == "literal_error" and shown:
        expected = str((e.get("ctx") or {}).get("expected", ""))
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        return f"{msg}, got {shown}{did_you_mean(str(given), choices)}"
    if shown and e["type"].endswith(("_type", "_parsing", "_finite_number")) and "got" not in msg:
        return f"{msg}, got {shown}"
    return msg


def _validation_problems(exc: ValidationError, data: Data, lines: LineMap, label: str,
                         overridden: Iterable[Key] = ()) -> list[Problem]:
    probs, seen = [], set()
    for e in exc.errors():
        loc = _data_path(data, tuple(e["loc"]))
        msg = _message(e, data, loc)
        key = (loc, msg)
        if key in seen:
            continue
        seen.add(key)
        f, n = _line(lines, loc, label)
        field = dotted(loc)
        if n is not None:  # a check on a whole block: blame an override below it, not the file's line
            below = [p for p in overridden if p[: len(loc)] == loc and p != loc]
            if below:
                f, n = lines.get(below[-1], (f, n))
                n = n or None
                field = dotted(below[-1]) if n is None else field
        if e["type"] == "extra_forbidden" and f.startswith("--") and "did you mean" not in msg:
            if fields := _fields_at(data, loc[:-1]):   # typed on the command line: say what would do
                msg += f"; the fields here are {', '.join(sorted(fields))}"
        probs.append(Problem(f, n, field, msg))
    return probs


def _capped(problems: list[Problem], label: str) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return problems[:MAX_PROBLEMS] + [Problem(label, None, "", f"... and {len(problems) - MAX_PROBLEMS} more "
                                              "problems (is this a scenario file?)")]


def _owner(data: Any, loc: Key) -> tuple[Key, Any] | None:
    """The deepest block along ``loc`` that is one pydantic model (its path and class)."""
    best = None
    for i in range(len(loc) + 1):
        try:
            node = data
            for seg in loc[:i]:
                node = node[seg]
        except (KeyError, IndexError, TypeError):
            break
        tp = _unwrap(_type_at(data, loc[:i]), node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            best = (loc[:i], tp)
    return best


def override_checker(path: str | Path, overrides: Iterable[str] = ()) -> Callable[..., Problem | None]:
    """A quick check of one more ``path=value`` override on top of ``overrides``: it validates only the
    block the value lands in (a force, a distribution, ...), so a sweep's thousands of values are checked in
    a blink; the whole scenario is still validated for every point later. The check returns the problem
    (None: none found)."""
    path = find_scenario(path)
    data, lines = _resolve(path, ())
    for item in overrides:
        apply_set(data, lines, item)

    def check(item: str, parsed: Any = _UNPARSED) -> Problem | None:
        mine = dict(data)
        mlines: LineMap = {}
        try:
            full = apply_set(mine, mlines, item, parsed, copy_path=True)
        except ScenarioError as exc:
            return exc.problems[0]
        owner = _owner(mine, full)
        if owner is None or owner[0] == ():
            return None
        where, model = owner
        node: Any = mine
        for seg in where:
            node = node[seg]
        try:
            model.model_validate(node)
        except ValidationError as exc:
            for e in exc.errors():
                e = {**e, "loc": where + tuple(e["loc"])}
                loc = _data_path(mine, tuple(e["loc"]))
                label = mlines[full][0]
                return Problem(label, None, dotted(loc), _message(e, mine, loc))
        return None

    return check


def content_hash(s: Scenario) -> str:
    data = s.model_dump(mode="json", by_alias=True, exclude={"extends", "exercise"}, context=HASH_CONTEXT)
    blob = json.dumps(movement_hash_form(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _register_problems(data: Data, lines: LineMap, cites: list[tuple[Key, str]], chain: list[Path],
                       label: str) -> list[Problem]:
    """Check the cited fact ids against the register: the ``fact_register:`` path relative to the file that
    names it, else the nearest ``seeds/facts.yaml`` above the scenario or above each file it extends."""
    reg_field = data.get("fact_register")
    if reg_field is not None:
        f, n = _line(lines, ("fact_register",), label)
        if not isinstance(reg_field, str) or Path(reg_field).suffix not in SCENARIO_SUFFIXES:
            return [Problem(f, n, "fact_register", f"give a fact register file ending in .yaml or .yml, "
                                                   f"got {excerpt(str(reg_field))!r}")]
        named_by = Path(f) if Path(f).is_file() else Path.cwd() / "--set"   # a --set path is relative to here
        reg_path: Path | None = named_by.parent / reg_field
        if reg_path is None or not reg_path.is_file():
            return [Problem(f, n, "fact_register", f"no such fact register: {excerpt(reg_field)} "
                                                   f"(looked in {named_by.parent})")]
    else:
        reg_path = next((r for r in map(find_register, chain) if r is not None), None)
        if reg_path is None:
            p0, _fid = cites[0]
            f, n = _line(lines, p0, label)
            looked = " and ".join(dict.fromkeys(str(c.resolve().parent) for c in chain))
            return [Problem(f, n, dotted(p0), f"fact ids are cited but no fact register was found: looked for "
                                              f"seeds/facts.yaml at and above {looked}; give fact_register: "
                                              f"in {label}")]
    if reg_path is None:  # pragma: no cover - returned above
        return []
    known = load_register(str(reg_path.resolve())).by_id()
    out = []
    for p, fid in cites:
        if fid not in known:
            f, n = _line(lines, p, label)
            out.append(Problem(f, n, dotted(p), f"unknown fact id {excerpt(str(fid))!r}{did_you_mean(fid, known)}"))
    return out


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, merge, override, validate and cross-check a scenario file."""
    path = find_scenario(path)
    label = str(path)
    chain: list[Path] = []
    data, lines = _resolve(path, (), chain)
    sets = list(overrides)
    overridden = [apply_set(data, lines, item) for item in sets if item.split("=", 1)[0].strip() == "gazetteer"]
    problems: list[Problem] = import_gazetteer(data, lines, label, chain)   # so --set can reach its places
    overridden += [apply_set(data, lines, item) for item in sets if item.split("=", 1)[0].strip() != "gazetteer"]

    cites = cited_facts(data)
    if cites:
        problems += _register_problems(data, lines, cites, chain, label)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_capped(problems + _validation_problems(exc, data, lines, label, overridden),
                                    label)) from None
    for p, msg in check_references(scenario) + check_places(scenario) + check_movement(scenario):
        f, n = _line(lines, p, label)
        problems.append(Problem(f, n, dotted(p), msg))
    if problems:
        raise ScenarioError(_capped(problems, label))
    scenario._source = label
    scenario._hash = content_hash(scenario)
    return scenario


def resolved_data(path: str | Path) -> Data:
    """A scenario file's plain data with its ``extends`` chain merged (not validated): what
    tools that rewrite a scenario (``msel --import``) start from."""
    data, _ = _resolve(Path(path), ())
    return data


def register_path(path: str | Path, data: Data) -> Path | None:
    """The fact register a scenario file with ``data`` uses (as :func:`load_scenario` finds it)."""
    path = Path(path)
    reg_field = data.get("fact_register")
    return (path.parent / reg_field) if isinstance(reg_field, str) else find_register(path)
