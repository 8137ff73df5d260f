"""The world's state changes only through its methods; it is the target effects apply to."""
import ast
import inspect

from conftest import ROOT

from sim.engine.world import ForceState, World
from sim.scenario.conditions import FORCE_STATES, STAGE_OF, ForceCond, ForceStage
from sim.scenario.effects import EffectTarget

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
    w.order_force("vjtf", "deploy")
    w.hold_force("vjtf", True)
    w.delay_force("vjtf", 5.0)
    w.scale_presence("vjtf", 0.5)
    assert fs.orders == {"deploy"} and fs.held and fs.due == 5.0 and fs.presence_scale == 0.5
    p = w.measure_product()
    w.set_measure("hotline", False)
    assert w.measure_product() == p / baseline.deconfliction.measures["hotline"].factor
    assert w.scale_encounters(2.0) == 2.0 and w.scale_encounters(1.5) == 3.0


def test_named_stages_follow_the_states():
    assert [st.state for st in ForceStage] == list(FORCE_STATES)
    assert [int(st) for st in ForceStage] == list(range(len(FORCE_STATES)))
    assert STAGE_OF["in_place"] is ForceStage.IN_PLACE

    class View:
        def force_stage(self, force):
            return ForceStage.READY

    assert ForceCond(force="f", state="ready").test(View()) and not ForceCond(force="f", state="deploying").test(View())
    assert ForceState("f", None, ForceStage.DEPLOYING).state == "deploying"
