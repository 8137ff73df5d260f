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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag, ValidationError
from pydantic.fields import FieldInfo

from .axes import check_axes
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


@dataclass(frozen=True)
class Removal:
    """An entry a child scenario took out of what it extends: by ``remove: [path, ...]`` or by giving null."""

    file: str
    line: int | None
    field: str       # where it was asked for: "remove.2", or the null's own path
    path: Key        # the entry removed, e.g. ("injects", "summit")
    parent: str      # the file it was removed from (the one extended)

    @property
    def key(self) -> tuple[str, str]:
        return self.file, self.field


@dataclass
class _Chain:
    """What resolving an ``extends`` chain collects besides the data: the files read (for the fact
    register), the entries removed (for the reference check) and problems; ``keep``: removals to leave out."""

    files: list[Path] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    keep: frozenset[tuple[str, str]] = frozenset()
    problems: list[Problem] = field(default_factory=list)


def _node_at(data: Any, loc: Key) -> Any:
    try:
        for seg in loc:
            data = data[seg]
    except (KeyError, IndexError, TypeError):
        return None
    return data


def _kind_reader(disc: str | Discriminator) -> Callable[[Any], Any]:
    if isinstance(disc, Discriminator):
        if callable(disc.discriminator):
            return disc.discriminator
        disc = disc.discriminator
    name = disc
    return lambda node: node.get(name) if isinstance(node, dict) else None


def _discriminator(root: Data, loc: Key) -> Callable[[Any], Any] | None:
    """How the scenario format tells the kind of the value at ``loc`` apart when that value is a tagged union
    (a distribution's ``dist:``, a condition's key, any ``Field(discriminator=...)``): a function from the raw
    value to its kind (None where no kind is written). None if the value at ``loc`` is no such union."""
    if not loc:
        return None
    tp: Any
    parent = _unwrap(_type_at(root, loc[:-1]), _node_at(root, loc[:-1]))
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        info = next((f for n, f in parent.model_fields.items() if loc[-1] in (n, f.alias)), None)
        if info is None:
            return None
        if info.discriminator is not None:
            return _kind_reader(info.discriminator)
        tp = info.annotation
    else:
        tp = _type_at(root, loc)
    while tp is not None:
        origin = get_origin(tp)
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return None
            tp = members[0]
        elif origin is Annotated:
            args = get_args(tp)
            for meta in args[1:]:
                if isinstance(meta, Discriminator):
                    return _kind_reader(meta)
                if isinstance(meta, FieldInfo) and meta.discriminator is not None:
                    return _kind_reader(meta.discriminator)
            tp = args[0]
        else:
            return None
    return None


def _drop_lines(lines: LineMap, path: Key) -> None:
    for p in [p for p in lines if p[: len(path)] == path]:
        del lines[p]


def _merge(base: Data, blines: LineMap, over: Data, olines: LineMap, prefix: Key = (),
           root: Data | None = None, chain: _Chain | None = None, parent: str = "") -> Data:
    """``over`` (a child) laid on ``base`` (what it extends). A mapping merges into a mapping key by key;
    anything else replaces what was there whole (numbers, text, lists such as effect lists). A mapping that
    names its kind (a distribution's ``dist:``, a condition's ``event:``, ``metric:``, ...) replaces a base of
    another kind whole, rather than mixing the fields of two kinds. Null removes the entry."""
    root = base if root is None else root
    chain = _Chain() if chain is None else chain
    out = dict(base)
    for k, v in over.items():
        path = prefix + (k,)
        f, n = olines.get(path, ("", 0))
        if v is None:
            removal = Removal(f, n or None, dotted(path), path, parent)
            if removal.key in chain.keep:
                continue
            if k not in out:
                chain.problems.append(Problem(f, n or None, dotted(path), f"null removes an entry, but {parent} has "
                                              f"no {dotted(path)}{did_you_mean(str(k), map(str, out))}"))
                continue
            del out[k]
            _drop_lines(blines, path)
            chain.removals.append(removal)
            continue
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            kind = _discriminator(root, path)
            if kind is None or kind(v) is None or kind(v) == kind(out[k]):
                out[k] = _merge(out[k], blines, v, olines, path, root, chain, parent)
                continue
        _drop_lines(blines, path)
        out[k] = v
        blines.update({p: ln for p, ln in olines.items() if p[: len(path)] == path})
    return out


def _apply_removals(entries: Any, lines: LineMap, label: str, base: Data, blines: LineMap, chain: _Chain,
                    parent: str) -> None:
    """Take the entries a ``remove:`` list names (dotted paths such as ``injects.summit``) out of ``base``."""
    where = _line(lines, ("remove",), label)[1]
    if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
        chain.problems.append(Problem(label, where, "remove", "give a list of entries to remove, e.g. "
                                      "remove: [injects.summit, decisions.nrf_deploy]"))
        return
    for i, text in enumerate(entries):
        f, n = _line(lines, ("remove", i), label)
        keys = tuple(text.strip().split("."))
        removal = Removal(f, n, f"remove.{i}", keys, parent)
        if removal.key in chain.keep:
            continue
        node: Any = base
        for depth, k in enumerate(keys):
            if not isinstance(node, dict) or k not in node:
                if isinstance(node, dict):
                    why = f"no such entry in {parent}{did_you_mean(k, map(str, node))}"
                else:
                    why = f"{dotted(keys[:depth])} in {parent} is a value or a list, not a mapping of entries"
                chain.problems.append(Problem(f, n, removal.field, f"{excerpt(text)}: {why}"))
                break
            if depth == len(keys) - 1:
                del node[k]
                _drop_lines(blines, keys)
                chain.removals.append(removal)
            else:
                node[k] = dict(node[k]) if isinstance(node[k], dict) else node[k]
                node = node[k]


def _resolve(path: Path, stack: tuple[Path, ...], chain: list[Path] | _Chain | None = None) -> tuple[Data, LineMap]:
    """The data of the scenario file ``path`` with its ``extends`` chain merged in; ``chain`` collects the
    files read (a list) or, as a :class:`_Chain`, also the entries removed."""
    col = chain if isinstance(chain, _Chain) else _Chain(files=chain if chain is not None else [])
    data, lines = _resolve_one(path, stack, col)
    if col.problems:
        raise ScenarioError(_capped(col.problems, str(path)))
    return data, lines


def _resolve_one(path: Path, stack: tuple[Path, ...], chain: _Chain) -> tuple[Data, LineMap]:
    label = str(path)
    data, lines = _read(path, label)
    chain.files.append(path)
    parent = data.pop("extends", None)
    removes = data.pop("remove", _UNSET)
    if parent is None:
        if removes is not _UNSET:
            chain.problems.append(Problem(label, _line(lines, ("remove",), label)[1], "remove",
                                          "remove: takes entries out of the scenario this one extends; "
                                          "give extends: too"))
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
    bdata, blines = _resolve_one(base_path, stack + (path.resolve(),), chain)
    if removes is not _UNSET:
        _apply_removals(removes, lines, label, bdata, blines, chain, parent)
    return _merge(bdata, blines, data, lines, chain=chain, parent=parent), blines


_UNPARSED = object()
_UNSET = object()


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
    # remove: is applied by the loader (always empty here); no tempo: the hash as before tempo existed
    skip = {"extends", "remove", "exercise"} | ({"tempo"} if s.tempo is None else set())
    data = s.model_dump(mode="json", by_alias=True, exclude=skip, context=HASH_CONTEXT)
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


def _assemble(path: Path, sets: list[str], chain: _Chain) -> tuple[Data, LineMap, list[Key], list[Problem]]:
    """The scenario's data before validation: the ``extends`` chain merged, the gazetteer imported and the
    overrides applied; with the overridden paths and the problems found so far."""
    label = str(path)
    data, lines = _resolve(path, (), chain)
    overridden = [apply_set(data, lines, item) for item in sets if item.split("=", 1)[0].strip() == "gazetteer"]
    problems: list[Problem] = import_gazetteer(data, lines, label, chain.files)   # so --set can reach its places
    overridden += [apply_set(data, lines, item) for item in sets if item.split("=", 1)[0].strip() != "gazetteer"]
    return data, lines, overridden, problems


def _cross_check(s: Scenario) -> list[tuple[Key, str]]:
    return check_references(s) + check_places(s) + check_movement(s) + check_axes(s)


def _blame_removals(path: Path, sets: list[str], removals: list[Removal], found: list[tuple[Key, str]],
                    lines: LineMap) -> tuple[list[Problem], list[tuple[Key, str]]]:
    """Which of the cross-reference problems ``found`` a removal caused: the scenario is put together again
    with that one removal left out, and a problem that is then gone was caused by it. Those become one line
    at the removal naming the reference; the others are returned as they were. (Only on the error path.)"""
    blamed: list[Problem] = []
    left = list(found)
    for r in removals:
        if not left:
            break
        try:
            data, _, _, _ = _assemble(path, sets, _Chain(keep=frozenset({r.key})))
            without = {p for p, _ in _cross_check(Scenario.model_validate(data))}
        except (ScenarioError, ValidationError):
            continue
        for p, msg in [(p, m) for p, m in left if p not in without]:
            f, n = _line(lines, p, str(path))
            where = f"{f}:{n}" if n else f
            blamed.append(Problem(r.file, r.line, r.field, f"{dotted(r.path)} is removed but still referenced at "
                                  f"{dotted(p)} ({where}); remove or replace that too"))
            left.remove((p, msg))
    return blamed, left


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, merge, override, validate and cross-check a scenario file."""
    path = find_scenario(path)
    label = str(path)
    chain = _Chain()
    sets = list(overrides)
    data, lines, overridden, problems = _assemble(path, sets, chain)

    cites = cited_facts(data)
    if cites:
        problems += _register_problems(data, lines, cites, chain.files, label)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_capped(problems + _validation_problems(exc, data, lines, label, overridden),
                                    label)) from None
    found = _cross_check(scenario)
    if found and chain.removals:
        blamed, found = _blame_removals(path, sets, chain.removals, found, lines)
        problems += blamed
    for p, msg in found:
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
