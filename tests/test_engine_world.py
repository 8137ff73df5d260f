"""The world's state changes only through its methods; it is the target effects apply to."""
import ast
import dataclasses
import inspect

import pytest
from conftest import ROOT
from pydantic import TypeAdapter

from sim.engine.effects import apply_effects
from sim.engine.escalation import Tension
from sim.engine.trace import (
    DelayEffectRecord,
    EncounterFactorEffectRecord,
    HoldEffectRecord,
    MeasureEffectRecord,
    OrderEffectRecord,
    PresenceEffectRecord,
    SignalRecord,
    Source,
    SourceKind,
    TensionRecord,
)
from sim.engine.world import ForceState, World
from sim.scenario.conditions import FORCE_STATES, STAGE_OF, ForceCond, ForceStage
from sim.scenario.effects import Effect, EffectTarget

STATE_HOLDERS = {"w", "world", "fs", "self.w", "self._w"}  # how engine modules name a World or a ForceState


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _writes(tree: ast.AST):
    """(line, target) of every assignment to an attribute (or an item of one) of a state holder."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            base = t.value if isinstance(t, ast.Subscript) else t
            if isinstance(base, ast.Attribute) and _name(base.value) in STATE_HOLDERS:
                yield node.lineno, ast.unparse(t)
        if isinstance(node, ast.Call) and _name(node.func) == "setattr":
            yield node.lineno, ast.unparse(node)
        # mutating calls on the world's containers (w.happened_at.setdefault, w.decision_log.append, ...)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("append", "setdefault", "update", "add", "pop", "clear") \
                and isinstance(node.func.value, ast.Attribute) and _name(node.func.value.value) in STATE_HOLDERS:
            yield node.lineno, ast.unparse(node)


def test_no_engine_module_but_the_world_writes_world_or_force_state():
    bad = []
    for path in sorted((ROOT / "sim" / "engine").glob("*.py")):
        if path.name == "world.py":
            continue
        bad += [f"{path.relative_to(ROOT)}:{n}: {what}" for n, what in _writes(ast.parse(path.read_text()))]
    assert not bad, "\n".join(bad)


def test_the_check_sees_a_write_around_the_world():
    src = "def f(w, fs):\n    fs.held = True\n    w.encounters += 1\n    w.measures['x'] = False\n" \
          "    setattr(fs, 'deploy_ordered', True)\n    w.decision_log.append(1)\n"
    assert [n for n, _ in _writes(ast.parse(src))] == [2, 3, 4, 5, 6]


def test_the_world_has_every_method_of_the_effect_target_with_its_parameters():
    for name, member in inspect.getmembers(EffectTarget):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        have = getattr(World, name, None)
        assert have is not None, f"World lacks {name}"
        assert list(inspect.signature(have).parameters) == list(inspect.signature(member).parameters), name


def test_the_world_applies_effects_to_its_own_state(baseline):
    w = World(baseline, 0, keep_trace=False)
    fs = w.forces["vjtf"]
    w.order_force("vjtf", "deploy", "a", CAUSE)
    w.hold_force("vjtf", True, "a", CAUSE)
    w.delay_force("vjtf", 5.0, "a", CAUSE)
    w.scale_presence("vjtf", 0.5, "a", CAUSE)
    assert fs.orders == {"deploy"} and fs.held and fs.due == 5.0 and fs.presence_scale == 0.5
    w.set_measure("hotline", True, "a", CAUSE)  # the baseline's line opens on 1 March (issue 10 item 8): open it
    p = w.measure_product()
    w.set_measure("hotline", False, "a", CAUSE)
    assert w.measure_product() == p / baseline.deconfliction.measures["hotline"].factor
    assert w.scale_encounters(2.0, "a", CAUSE) == 2.0 and w.scale_encounters(1.5, "a", CAUSE) == 3.0
    assert w.trace == []  # nothing recorded without the trace


CAUSE = Source(SourceKind.INJECT, "x", "Every kind")
EFFECTS = TypeAdapter(list[Effect])


def _applied(baseline, effect):
    """The records one effect leaves, applied by inject x to the baseline's world at H+0."""
    w = World(baseline, 0)
    Tension(w)
    apply_effects(w, EFFECTS.validate_python([effect]), "x", w.effects_rng, ["fact-a"], CAUSE)
    return w, w.trace


BY = {"actor": "x", "facts": ["fact-a"], "cause": CAUSE}
VJTF = "VJTF (France lead)"  # the baseline's name for force vjtf


@pytest.mark.parametrize("effect, record, text", [
    ({"signal": "talks_open"}, SignalRecord(actor="x", facts=["fact-a"], event="talks_open"), "talks_open"),
    ({"alert": "vjtf"}, OrderEffectRecord(**BY, force="vjtf", name=VJTF, order="alert"), "alert ordered: VJTF"),
    ({"activate": "vjtf"}, OrderEffectRecord(**BY, force="vjtf", name=VJTF, order="activate"),
     "activate ordered: VJTF"),
    ({"deploy": "vjtf"}, OrderEffectRecord(**BY, force="vjtf", name=VJTF, order="deploy"), "deploy ordered: VJTF"),
    ({"hold": "vjtf"}, HoldEffectRecord(**BY, force="vjtf", name=VJTF, held=True), "VJTF held at readiness"),
    ({"release": "vjtf"}, HoldEffectRecord(**BY, force="vjtf", name=VJTF, held=False), "VJTF released"),
    ({"delay": {"force": "vjtf", "hours": 12}}, DelayEffectRecord(**BY, force="vjtf", name=VJTF, delay_h=12.0),
     "VJTF delayed 12.0 h"),
    ({"presence": {"force": "vjtf", "factor": 1.5}}, PresenceEffectRecord(**BY, force="vjtf", name=VJTF, factor=1.5),
     "VJTF presence x1.5"),
    ({"encounter_rate_factor": 1.3}, EncounterFactorEffectRecord(**BY, factor=1.3, encounter_factor=1.3),
     "encounter rate x1.3"),
])
def test_each_effect_records_its_typed_record_naming_its_cause(baseline, effect, record, text):
    _, trace = _applied(baseline, effect)
    assert len(trace) == 1
    (rec,) = trace
    assert (rec.seq, rec.t_h) == (1, 0.0)  # stamped by the world
    assert dataclasses.replace(rec, seq=0, time="") == record
    assert rec.text == text.replace("VJTF", baseline.forces["vjtf"].name)


def test_a_measure_record_cites_the_measures_facts_when_the_effect_cites_none(baseline):
    spec = baseline.deconfliction.measures["hotline"]
    w = World(baseline, 0)
    Tension(w)
    apply_effects(w, EFFECTS.validate_python([{"measure": {"id": "hotline", "active": False}}]), "x",
                  w.effects_rng, [], CAUSE)
    (rec,) = w.trace
    assert isinstance(rec, MeasureEffectRecord)
    assert (rec.measure, rec.name, rec.active, rec.cause, rec.facts) == ("hotline", spec.name, False, CAUSE,
                                                                         list(spec.facts))
    assert rec.text == f"deconfliction measure {spec.name} off"
    _, (cited,) = _applied(baseline, {"measure": {"id": "hotline", "active": True}})
    assert cited.facts == ["fact-a"] and cited.active


def test_tension_effects_are_recorded_by_the_tension_with_their_cause(baseline):
    w, trace = _applied(baseline, {"tension": 7})
    jump = trace[0]
    assert isinstance(jump, TensionRecord) and jump.change == "jump" and jump.delta == 7.0
    assert jump.cause == CAUSE and jump.after == jump.before + 7.0 and jump.actor == "x"
    w, trace = _applied(baseline, {"tension_floor": 45})
    floor = trace[0]
    assert isinstance(floor, TensionRecord) and floor.change == "floor" and floor.floor == 45.0
    assert floor.cause == CAUSE and floor.delta is None and w.tension.floor == 45.0


def test_a_commit_is_not_recorded_by_the_effect_but_orders_the_axis(baseline):
    w, trace = _applied(baseline, {"commit": "kharkiv"})
    assert trace == [] and w.happened("axis.kharkiv.ordered")


def test_the_encounter_factor_recorded_is_the_combined_one(baseline):
    w = World(baseline, 0)
    apply_effects(w, EFFECTS.validate_python([{"encounter_rate_factor": 2}, {"encounter_rate_factor": 1.3}]), "x",
                  w.effects_rng, [], CAUSE)
    assert [(r.factor, r.encounter_factor) for r in w.trace] == [(2.0, 2.0), (1.3, 2.6)]


def test_named_stages_follow_the_states():
    assert [st.state for st in ForceStage] == list(FORCE_STATES)
    assert [int(st) for st in ForceStage] == list(range(len(FORCE_STATES)))
    assert STAGE_OF["in_place"] is ForceStage.IN_PLACE

    class View:
        def force_stage(self, force):
            return ForceStage.READY

    assert ForceCond(force="f", state="ready").test(View()) and not ForceCond(force="f", state="deploying").test(View())
    assert ForceState("f", None, ForceStage.DEPLOYING).state == "deploying"
