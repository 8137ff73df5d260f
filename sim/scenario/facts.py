"""The fact register: facts taken from the source material, each with an id.

Scenario parameters cite fact ids (``facts: [vjtf-readiness]``); an id the register
does not hold is an error, located to the file and line that cites it.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import Problem, ScenarioError
from .yamlsrc import parse_yaml, read_text_file


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    published: dt.date | None = None
    kind: str = ""


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    statement: str
    value: float | None = None
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    qualifier: str | None = None
    date: dt.date | None = None
    time: dt.datetime | None = None
    source: str
    note: str = ""


class FactRegister(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[Source] = Field(min_length=1)
    facts: list[Fact]

    def by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}


@lru_cache(maxsize=8)
def load_register(path: str) -> FactRegister:
    text = read_text_file(path, path, "fact register")
    data, lines = parse_yaml(text, path)
    try:
        reg = FactRegister.model_validate(data)
    except ValidationError as exc:
        probs = []
        for e in exc.errors():
            loc = tuple(e["loc"])
            line = next((lines[loc[:i]][1] for i in range(len(loc), 0, -1) if loc[:i] in lines), None)
            probs.append(Problem(path, line, ".".join(map(str, loc)), e["msg"]))
        raise ScenarioError(probs) from None
    ids = [f.id for f in reg.facts]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ScenarioError([Problem(path, None, "facts", f"duplicate fact ids: {', '.join(dup)}")])
    sources = {s.id for s in reg.sources}
    bad = [Problem(path, lines.get(("facts", i, "source"), (0, None))[1], f"facts.{i}.source",
                   f"unknown source {f.source!r}") for i, f in enumerate(reg.facts) if f.source not in sources]
    if bad:
        raise ScenarioError(bad)
    return reg


def find_register(scenario_file: Path) -> Path | None:
    """The nearest ``seeds/facts.yaml`` at or above the scenario's folder."""
    for folder in [scenario_file.resolve().parent, *scenario_file.resolve().parents]:
        cand = folder / "seeds" / "facts.yaml"
        if cand.is_file():
            return cand
    return None
