"""Cross-references inside a scenario: every id an effect, condition or objective names must exist."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .conditions import Condition, DecisionCond, EventCond, ForceCond, walk
from .effects import Effect, RefKind
from .metrics import event_names, metric_names
from .model import Scenario
from .suggest import did_you_mean

Path = tuple[str | int, ...]


def conditions(s: Scenario) -> Iterator[tuple[Path, Condition]]:
    """(path, condition) for every condition in the scenario."""
    for fid, f in s.forces.items():
        for key, cond in (("alert_when", f.alert_when), ("activate_when", f.activate_when),
                          ("deploy_when", f.deploy_when)):
            if cond is not None:
                yield ("forces", fid, key), cond
        for eid, e in f.echelons.items():
            if e.ready_when is not None:
                yield ("forces", fid, "echelons", eid, "ready_when"), e.ready_when
    for iid, inj in s.injects.items():
        if inj.when is not None:
            yield ("injects", iid, "when"), inj.when
    for did, point in s.decisions.items():
        if point.when is not None:
            yield ("decisions", did, "when"), point.when
    if s.adversary:
        for aid, a in s.adversary.axes.items():
            if a.when is not None:
                yield ("adversary", "axes", aid, "when"), a.when
    if s.deconfliction:
        for mid, m in s.deconfliction.measures.items():
            for key, t in (("opens", m.opens), ("closes", m.closes)):
                if t is not None and t.when is not None:
                    yield ("deconfliction", "measures", mid, key, "when"), t.when


def effects(s: Scenario) -> Iterator[tuple[Path, Effect]]:
    """(path, effect) for every effect of an inject or a decision option."""
    for iid, inj in s.injects.items():
        for k, e in enumerate(inj.effects):
            yield ("injects", iid, "effects", k), e
    for did, d in s.decisions.items():
        for oid, o in d.options.items():
            for k, e in enumerate(o.effects):
                yield ("decisions", did, "options", oid, "effects", k), e


def check_references(s: Scenario) -> list[tuple[Path, str]]:
    """Problems as (path, message) pairs."""
    out: list[tuple[Path, str]] = []
    forces, sides = set(s.forces), set(s.sides)
    axes = set(s.adversary.axes) if s.adversary else set()
    measures = set(s.deconfliction.measures) if s.deconfliction else set()
    events = event_names(s)

    def known(kind: str, name: str, pool: set[str], path: Path) -> None:
        if name not in pool:
            hint = f"; known: {', '.join(sorted(pool))}" if pool else f"; the scenario has no {kind}s"
            out.append((path, f"unknown {kind} {name!r}{did_you_mean(name, pool)}{hint}"))

    for fid, f in s.forces.items():
        known("side", f.side, sides, ("forces", fid, "side"))
    for tid, team in s.teams.items():
        for i, side in enumerate(team.sides):
            known("side", side, sides, ("teams", tid, "sides", i))
    if s.adversary:
        known("side", s.adversary.side, sides, ("adversary", "side"))
    if s.deconfliction:
        for i, side in enumerate(s.deconfliction.between):
            known("side", side, sides, ("deconfliction", "between", i))
        ladder = s.deconfliction.severity
        if ladder is not None:
            graver = {c.id for c in ladder.classes[1:]}
            for mid, m in s.deconfliction.measures.items():
                for cid in m.lowers:
                    if cid not in graver:
                        out.append((("deconfliction", "measures", mid, "lowers", cid),
                                    f"unknown severity class {cid!r}{did_you_mean(cid, graver)}; a measure lowers "
                                    f"one of {', '.join(c.id for c in ladder.classes[1:])}"))
    for path, cond in conditions(s):
        for leaf in walk(cond):
            if isinstance(leaf, ForceCond):
                known("force", leaf.force, forces, path)
            elif isinstance(leaf, EventCond):
                known("event", leaf.event, events, path)
            elif isinstance(leaf, DecisionCond):
                known("decision", leaf.decision, set(s.decisions), path)
                if leaf.decision in s.decisions and leaf.option is not None:
                    known("option", leaf.option, set(s.decisions[leaf.decision].options), path)
    pools: dict[RefKind, set[str]] = {"force": forces, "axis": axes, "measure": measures}
    for path, e in effects(s):
        for ref in e.references():
            known(ref.kind, ref.id, pools[ref.kind], path + ref.path)
    valid = set(metric_names(s))
    for oid, o in s.objectives.items():
        if o.metric not in valid:
            out.append((("objectives", oid, "metric"), f"unknown metric {o.metric!r}"
                        f"{did_you_mean(o.metric, valid)}; see `crisis-sim metrics`"))
    return out


def cited_facts(data: Any, path: Path = ()) -> list[tuple[Path, str]]:
    """Every (path, fact id) cited anywhere in raw scenario data."""
    out: list[tuple[Path, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "facts" and isinstance(v, list):
                out += [(path + (k, i), f) for i, f in enumerate(v) if isinstance(f, str)]
            else:
                out += cited_facts(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += cited_facts(v, path + (i,))
    return out
