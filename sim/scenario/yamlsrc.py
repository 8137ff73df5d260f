"""Safe YAML reading that remembers where every value came from.

The node tree is composed with libyaml's safe loader (``yaml.CSafeLoader``: C parser and
composer, PyYAML's resolver; PyYAML's own safe loader where PyYAML was built without libyaml) and turned into plain Python values here, so only the standard YAML tags are accepted (no ``!!python/...``),
nesting depth and total size are bounded (no alias bombs), and every value's
path is mapped to the ``(file, line)`` it was written on. Merge keys (``<<: *a``,
``<<: [*a, *b]``) are resolved here, each merged value keeping the line it was written on;
a key written twice in one mapping is refused.

Size is bounded three times: the text (:data:`MAX_BYTES`, checked by the caller
before reading and here), the nodes and depth over the parser's events before
composing (:data:`MAX_NODES`, :data:`MAX_DEPTH`, so a big or deep file stops early
instead of being composed whole or recursed into), and the values after alias
expansion. Characters YAML does not allow are refused with PyYAML's reader's test
(located to the character). A scalar the standard tags cannot make (``2022-02-30``, ``!!int abc``,
an integer of more than 4,300 digits) is one located problem, not an exception.
"""
from __future__ import annotations

import copy
import os
import re
import stat
from functools import lru_cache
from typing import Any

import yaml

from .errors import Problem, ScenarioError

Path = tuple[str | int, ...]
LineMap = dict[Path, tuple[str, int]]

MAX_DEPTH = 40
MAX_NODES = 50_000             # the baseline scenario has about 700
MAX_BYTES = 512 * 1024         # the baseline scenario is 18 KB
MAX_SCALAR = 100_000           # characters in one value
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


SCENARIO_SUFFIXES = (".yaml", ".yml")


def dotted(path: Path) -> str:
    return ".".join(excerpt(str(p)) for p in path)


def read_text_file(path: str | os.PathLike[str], label: str, what: str = "scenario file") -> str:
    """The text of a regular UTF-8 file of at most :data:`MAX_BYTES` bytes, or one located problem.

    Opened without blocking and checked on the open file, so a device (``/dev/zero``), a pipe that nobody
    writes to or a folder is refused at once instead of read for ever.
    """
    def bad(msg: str) -> ScenarioError:
        return ScenarioError([Problem(label, None, "", msg)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise bad("no such file") from None
    except IsADirectoryError:
        raise bad(f"is a directory, not a {what}") from None
    except OSError as exc:
        raise bad(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise bad(f"is a directory, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise bad(f"is not a regular file (a device, pipe or socket), not a {what}")
        if st.st_size > MAX_BYTES:
            raise bad(f"too large for a {what} ({st.st_size:,} bytes; at most {MAX_BYTES:,})")
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise bad(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise bad(f"too large for a {what} (more than {MAX_BYTES:,} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("not UTF-8 text") from None


def excerpt(text: str, limit: int = 40) -> str:
    """A short quotation of user text for an error message (never the whole of a big value)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# libyaml's C loader where PyYAML was built with it (its wheels are); PyYAML's own otherwise: slower, the
# same data and lines, and the same caps (counted over its parser's events before composing)
_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CappedLoader(_FAST):
    """libyaml's safe loader (its C parser and composer; PyYAML's resolver and constructor), which composes
    only after :func:`_check_events` has bounded the document (the C composer recurses, and does not count).

    It also reads ``1e-3`` and ``2.5E6`` as numbers, as YAML 1.2 does (YAML 1.1 wants a dot and a signed
    exponent, so ``--set deconfliction.p_incident=1e-3`` was the text ``'1e-3'``).
    """


_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_OPEN_EVENTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_events(text: str, label: str) -> None:
    """Count the first document's nodes and depth over the C parser's events, before anything is composed,
    and stop at the first node past :data:`MAX_NODES` or deeper than :data:`MAX_DEPTH`: a located problem
    (where the node starts), not a node tree of a bomb nor a recursion as deep as the nesting. The counts
    are those composing would reach (every node, keys and aliases included; the root at depth 1), so the
    limits are where they were with PyYAML's composer. Syntax errors raise as they will while composing.

    libyaml's scanner reads ahead through a run of flow openings (``[[[[``...) and stops at its own limit of
    1,000 levels with a syntax error before the parser hands out the 43rd opening: then the same count runs
    over PyYAML's pure-Python parser, which hands the events out one by one, so the problem is the nesting
    one, located at the first opening too deep, as it always was."""
    try:
        _count_events(_FAST(text), label)
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):
            _count_events(yaml.SafeLoader(text), label)
        raise


def _count_events(parser: yaml.SafeLoader | yaml.CSafeLoader, label: str) -> None:
    try:
        nodes = depth = 0
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, (yaml.DocumentEndEvent, yaml.StreamEndEvent)):
                return
            if isinstance(event, _NODE_EVENTS):
                nodes += 1
                if nodes > MAX_NODES or depth + 1 > MAX_DEPTH + 2:
                    what = (f"document too large (more than {MAX_NODES} values)" if nodes > MAX_NODES
                            else f"nested deeper than {MAX_DEPTH} levels")
                    start = event.start_mark
                    line, col = (start.line + 1, start.column + 1) if start is not None else (None, None)
                    raise ScenarioError([Problem(label, line, "", what, col)])
                if isinstance(event, _OPEN_EVENTS):
                    depth += 1
            elif isinstance(event, _CLOSE_EVENTS):
                depth -= 1
    finally:
        parser.dispose()


class _Builder:
    def __init__(self, label: str):
        self.label = label
        self.lines: LineMap = {}
        self.count = 0
        self.loader = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, path: Path, message: str) -> None:
        raise ScenarioError([Problem(self.label, node.start_mark.line + 1, dotted(path), message)])

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(node, path, f"document too large (more than {MAX_NODES} values; alias expansion?)")
        if len(path) > MAX_DEPTH:
            self.fail(node, path, f"nested deeper than {MAX_DEPTH} levels")
        self.lines[path] = (self.label, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key, key_node, value_node in self.pairs(node, path, ()):
                sub = path + (key,)
                self.lines[sub] = (self.label, key_node.start_mark.line + 1)
                out[key] = self.build(value_node, sub)
                # the key's line is more useful than the value's for a block value
                self.lines[sub] = (self.label, key_node.start_mark.line + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.fail(node, path, f"unsupported tag {node.tag!r}")
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def key(self, key_node: yaml.Node, path: Path) -> str:
        if not isinstance(key_node, yaml.ScalarNode):
            self.fail(key_node, path, "mapping keys must be plain scalars")
        key = self.scalar(key_node, path)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            self.fail(key_node, path, f"unsupported key {key!r}")
        return str(key)

    def pairs(self, node: yaml.MappingNode, path: Path,
              within: tuple[yaml.Node, ...]) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """A mapping's (key, key node, value node) entries with its merge keys resolved (YAML's ``<<``):
        ``<<: *a`` or ``<<: [*a, *b]`` brings in the entries of the mappings named, an earlier one before a
        later one, and the mapping's own entries override them. A key written twice in the mapping itself is
        still refused. The value nodes stay those the entries were written in, so a problem inside merged
        content is located at its own line (the anchor's)."""
        if node.tag != "tag:yaml.org,2002:map":
            self.fail(node, path, f"unsupported tag {node.tag!r}")
        if any(node is w for w in within):
            self.fail(node, path, "a merge key (<<) names the mapping it is part of")
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merge_seen = False
        for key_node, value_node in node.value:
            self.count += 1
            if self.count > MAX_NODES:
                self.fail(key_node, path, f"document too large (more than {MAX_NODES} values; alias expansion?)")
            if key_node.tag == "tag:yaml.org,2002:merge":
                if merge_seen:
                    self.fail(key_node, path + ("<<",), "duplicate key")
                merge_seen = True
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        self.fail(src, path + ("<<",), "a merge key (<<) takes a mapping or a list of mappings, "
                                  "e.g. <<: *defaults or <<: [*a, *b]")
                    for key, kn, vn in self.pairs(src, path, (*within, node)):
                        merged.setdefault(key, (kn, vn))   # an earlier mapping wins over a later one
                continue
            key = self.key(key_node, path)
            if key in own:
                self.fail(key_node, path + (key,), "duplicate key")
            own[key] = (key_node, value_node)
        entries = {**merged, **own}
        return [(k, kn, vn) for k, (kn, vn) in entries.items()]

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag not in _SAFE_TAGS:
            self.fail(node, path, f"unsupported YAML tag {node.tag!r} (only plain data is allowed)")
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, yaml.YAMLError) as exc:
            kind = node.tag.rsplit(":", 1)[-1]
            text = excerpt(str(node.value))
            if kind == "int" and "4300 digits" in str(exc):
                why = "a whole number of more than 4,300 digits"
            elif kind == "timestamp":
                why = f"not a real date and time ({exc})" if isinstance(exc, ValueError) and str(exc) else \
                    "not a date and time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM)"
            else:
                why = {"int": "not a whole number", "float": "not a number",
                       "bool": "not true or false", "null": "not null"}.get(kind, f"not a valid {kind}")
            self.fail(node, path, f"bad value {text!r}: {why}")


_CappedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def parse_yaml(text: str, label: str) -> tuple[Any, LineMap]:
    """Parse one YAML document into plain data and a path -> (file, line) map.

    The same text is parsed once (sweeps and sensitivity runs load one scenario file, and the fact
    register, once per point); each caller gets its own copy to change.
    """
    data, lines = _parse_cached(text, label)
    return copy.deepcopy(data), dict(lines)


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def _bad_character(label: str, text: str, position: int, char: str) -> ScenarioError:
    """The problem of a character YAML does not allow, at ``position`` (characters) of ``text``."""
    line, col = _line_col(text, position)
    return ScenarioError([Problem(label, line, "", f"YAML syntax error: character {char!r} "
                                  f"(#x{ord(char):04x}) is not allowed in YAML text", col)])


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


_NAME = re.compile(r"[*&]([^\s,\[\]{}]+)")


def _with_what_libyaml_omits(msg: str, text: str, mark: Any) -> str:
    """libyaml's message with the text it leaves out and PyYAML's names: the alias or anchor, the character."""
    if mark is None:
        return msg
    lines = text.split("\n")
    at = lines[mark.line][mark.column:] if mark.line < len(lines) else ""
    name = _NAME.match(at)
    if name and msg.startswith("found duplicate anchor;"):
        return msg.replace("found duplicate anchor;", f"found duplicate anchor {name.group(1)!r};", 1)
    if name and msg == "found undefined alias":
        return f"{msg} {name.group(1)!r}"
    if at and msg.endswith("found character that cannot start any token"):
        return msg.replace("found character ", f"found character {at[0]!r} ")
    if len(at) > 1 and msg.endswith("found unknown escape character"):
        return f"{msg} {at[1]!r}"
    return msg


@lru_cache(maxsize=64)
def _parse_cached(text: str, label: str) -> tuple[Any, LineMap]:
    if len(text) > MAX_BYTES:
        raise ScenarioError([Problem(label, None, "", f"too large for a scenario ({len(text):,} characters; "
                                                      f"at most {MAX_BYTES:,})")])
    bad = _NON_PRINTABLE.search(text)   # PyYAML's reader's check (libyaml's is the same set, on bytes)
    if bad is not None:
        raise _bad_character(label, text, bad.start(), bad.group())
    loader = None
    try:
        _check_events(text, label)
        loader = _CappedLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        msg = _with_what_libyaml_omits(" ".join(str(x) for x in (exc.context, exc.problem) if x), text, mark)
        raise ScenarioError([Problem(label, line, "", f"YAML syntax error: {msg}", col)]) from None
    except yaml.reader.ReaderError as exc:   # not reached after the check above; kept as the net
        at = len(text.encode("utf-8", "surrogatepass")[: exc.position].decode("utf-8", "ignore"))
        raise _bad_character(label, text, at, exc.character if isinstance(exc.character, str)
                             else chr(exc.character)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(label, None, "", "YAML error: " + " ".join(str(exc).split()))]) from None
    except RecursionError:
        raise ScenarioError([Problem(label, None, "", f"nested too deeply (limit {MAX_DEPTH})")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return {}, {}
    builder = _Builder(label)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise ScenarioError([Problem(label, None, "", f"nested too deeply (limit {MAX_DEPTH})")]) from None
    return data, builder.lines


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value: a YAML scalar or flow collection, safely."""
    data, _ = parse_yaml(text, "--set")
    return data
