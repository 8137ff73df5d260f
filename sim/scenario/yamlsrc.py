"""Safe YAML reading that remembers where every value came from.

The node tree is composed with PyYAML's safe loader and turned into plain Python
values here, so only the standard YAML tags are accepted (no ``!!python/...``),
nesting depth and total size are bounded (no alias bombs), and every value's
path is mapped to the ``(file, line)`` it was written on.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import yaml

from .errors import Problem, ScenarioError

Path = tuple[str | int, ...]
LineMap = dict[Path, tuple[str, int]]

MAX_DEPTH = 40
MAX_NODES = 200_000
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


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
            if node.tag not in ("tag:yaml.org,2002:map",):
                self.fail(node, path, f"unsupported tag {node.tag!r}")
            self.loader.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.fail(key_node, path, "mapping keys must be plain scalars")
                key = self.scalar(key_node, path)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    self.fail(key_node, path, f"unsupported key {key!r}")
                key = str(key)
                if key in out:
                    self.fail(key_node, path + (key,), "duplicate key")
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

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag not in _SAFE_TAGS:
            self.fail(node, path, f"unsupported YAML tag {node.tag!r} (only plain data is allowed)")
        return self.loader.construct_object(node, deep=True)


def parse_yaml(text: str, label: str) -> tuple[Any, LineMap]:
    """Parse one YAML document into plain data and a path -> (file, line) map.

    The same text is parsed once (sweeps and sensitivity runs load one scenario file, and the fact
    register, once per point); each caller gets its own copy to change.
    """
    data, lines = _parse_cached(text, label)
    return copy.deepcopy(data), dict(lines)


@lru_cache(maxsize=64)
def _parse_cached(text: str, label: str) -> tuple[Any, LineMap]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError([Problem(label, line, "", f"YAML syntax error: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(label, None, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(label, None, "", f"nested too deeply (limit {MAX_DEPTH})")]) from None
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
