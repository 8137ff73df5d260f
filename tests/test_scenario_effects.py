"""Effects, one class per kind: parsing from their one key, located errors, what each applies,
references and can move."""
import re
from typing import Any

import pytest
from conftest import BASELINE, MINIMAL, ROOT
from pydantic import TypeAdapter
from typer.testing import CliRunner

from sim import ScenarioError, load_scenario, run
from sim.cli.app import app
from sim.scenario.causes import Source, SourceKind
from sim.scenario.dependencies import parameter_prefixes
from sim.scenario.effects import (
    EFFECT_CLASSES,
    KINDS,
    Effect,
    EffectBase,
    EffectContext,
    Moves,
    Ref,
)

EFFECTS = TypeAdapter(list[Effect])

# one example of every kind, as a scenario writes it
EXAMPLES = {
    "signal": {"signal": "talks_open"},
    "tension": {"tension": {"dist": "uniform", "low": 2, "high": 6}},
    "tension_floor": {"tension_floor": 40},
    "alert": {"alert": "f1"},
    "activate": {"activate": "f1"},
    "deploy": {"deploy": "f1"},
    "hold": {"hold": "f1"},
    "release": {"release": "f1"},
    "delay": {"delay": {"force": "f1", "hours": 12}},
    "measure": {"measure": {"id": "hotline", "active": False}},
    "presence": {"presence": {"force": "f1", "factor": 1.5}},
    "commit": {"commit": "north"},
    "encounter_rate_factor": {"encounter_rate_factor": 1.3},
    "pause_commitment": {"pause_commitment": "north"},
    "resume_commitment": {"resume_commitment": "north"},
    "accelerate_commitment": {"accelerate_commitment": {"axis": "north", "factor": 2}},
    "reinforce_axis": {"reinforce_axis": {"axis": "north", "troops": 5000}},
}


def test_every_kind_has_one_class_and_an_example():
    assert len(set(KINDS)) == len(KINDS) == len(EFFECT_CLASSES)
    assert set(KINDS) == set(EXAMPLES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_kind_parses_from_its_one_key_and_dumps_back(kind):
    (e,) = EFFECTS.validate_python([EXAMPLES[kind]])
    assert e.kind == kind and type(e).kind == kind
    dumped = e.model_dump(mode="json", exclude_none=True)
    assert list(dumped) == [kind]
    assert EFFECTS.validate_python([dumped]) == [e]


class Draws:
    def __init__(self, u: float):
        self.u = u

    def random(self) -> float:
        return self.u


class Target:
    """An EffectTarget that notes every call (the world's narrow methods record their own typed
    records: ``tests/test_engine_world.py`` checks those)."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, *args))
            return 2.6 if name == "scale_encounters" else None
        return call


@pytest.fixture
def mini(write):
    return load_scenario(write("mini.yaml", MINIMAL))


WHY = Source(SourceKind.INJECT, "x", "Why")
BY = ("inject.x", WHY, ["f"])  # actor, cause, facts: passed on to every method that records a change


@pytest.mark.parametrize("kind, call", [
    ("signal", ("mark", "talks_open", "inject.x", ["f"])),
    ("tension", ("add_tension", 3.0, *BY)),
    ("tension_floor", ("set_tension_floor", 40.0, *BY)),
    ("alert", ("order_force", "f1", "alert", *BY)),
    ("activate", ("order_force", "f1", "activate", *BY)),
    ("deploy", ("order_force", "f1", "deploy", *BY)),
    ("hold", ("hold_force", "f1", True, *BY)),
    ("release", ("hold_force", "f1", False, *BY)),
    ("delay", ("delay_force", "f1", 12.0, *BY)),
    ("measure", ("set_measure", "hotline", False, *BY)),
    ("presence", ("scale_presence", "f1", 1.5, *BY)),
    ("commit", ("commit_axis", "north", "inject.x", ["f"])),
    ("encounter_rate_factor", ("scale_encounters", 1.3, *BY)),
    ("pause_commitment", ("pause_commitment", "north", True, *BY)),
    ("resume_commitment", ("pause_commitment", "north", False, *BY)),
    ("accelerate_commitment", ("scale_commitment", "north", 2.0, *BY)),
    ("reinforce_axis", ("reinforce_axis", "north", 5000.0, *BY)),
])
def test_each_kind_applies_itself_through_the_targets_narrow_methods(mini, kind, call):
    (e,) = EFFECTS.validate_python([EXAMPLES[kind]])
    t = Target(mini)
    e.apply(t, EffectContext("inject.x", ["f"], WHY, Draws(0.25)))  # uniform 2..6 at 0.25 gives 3
    assert t.calls == [call]


def test_references_name_the_field_that_gives_each_id():
    refs = {k: EFFECTS.validate_python([v])[0].references() for k, v in EXAMPLES.items()}
    assert refs["hold"] == (Ref("force", "f1", ("hold",)),)
    assert refs["delay"] == (Ref("force", "f1", ("delay", "force")),)
    assert refs["presence"] == (Ref("force", "f1", ("presence", "force")),)
    assert refs["measure"] == (Ref("measure", "hotline", ("measure", "id")),)
    assert refs["commit"] == (Ref("axis", "north", ("commit",)),)
    assert refs["signal"] == refs["tension"] == refs["encounter_rate_factor"] == ()


@pytest.mark.parametrize("cls", EFFECT_CLASSES, ids=lambda c: c.__name__)
def test_every_kind_says_what_it_moves_and_applies_itself(cls):
    # no kind inherits EffectBase's refusals: a kind that forgot would be pruned or do nothing
    assert "apply" in {k for c in cls.__mro__[:-1] if c is not EffectBase for k in vars(c)}
    assert "moves" in {k for c in cls.__mro__[:-1] if c is not EffectBase for k in vars(c)}
    (e,) = EFFECTS.validate_python([EXAMPLES[cls.kind]])
    assert e.moves()


def test_what_each_kind_can_move():
    moves = {k: EFFECTS.validate_python([v])[0].moves() for k, v in EXAMPLES.items()}
    for k in ("alert", "activate", "deploy", "hold", "release", "delay"):
        assert moves[k] == (Moves("force", "f1"),), k
    assert moves["signal"] == (Moves("event", "talks_open"),)
    assert moves["commit"] == (Moves("axis", "north"),)
    assert moves["tension"] == moves["tension_floor"] == (Moves("tension"),)
    assert moves["presence"] == moves["encounter_rate_factor"] == (Moves("encounters"),)
    assert moves["measure"] == (Moves("incidents"),)
    drawn = {k for k, v in EXAMPLES.items() if EFFECTS.validate_python([v])[0].random_amount()}
    assert drawn == {"tension"}  # the example delay is a fixed 12 h


def problems(path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def _with_stay_effects(effects: str) -> str:
    return MINIMAL.replace("stay: {label: Stay, effects: [{hold: f1}]}", f"stay: {{label: Stay, effects: {effects}}}")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


@pytest.mark.parametrize("effect, field, what", [
    ('{hold: ""}', "hold", "a force id"),
    ('{alert: ""}', "alert", "a force id"),
    ('{activate: " "}', "activate", "a force id"),
    ('{commit: ""}', "commit", "an axis id"),
    ('{signal: ""}', "signal", "an event name"),
    ('{delay: {force: "", hours: 3}}', "delay.force", "a force id"),
    ('{measure: {id: ""}}', "measure.id", "a measure id"),
])
def test_an_empty_target_is_refused_at_its_line(write, effect, field, what):
    text = _with_stay_effects(f"[{effect}]")
    p = write("bad.yaml", text)
    line = _line_of(text, "stay: {label: Stay")
    assert problems(p) == [f"{p}:{line}: decisions.posture.options.stay.effects.0.{field}: empty: give {what}"]


@pytest.mark.parametrize("effect, field, msg", [
    ("{presence: {force: f1, factor: 11}}", "presence.factor", "Input should be less than or equal to 10"),
    ("{encounter_rate_factor: -0.5}", "encounter_rate_factor", "Input should be greater than or equal to 0"),
    ("{tension_floor: -1}", "tension_floor", "Input should be greater than or equal to 0"),
    ("{delay: {force: f1, hours: {dist: triangular, low: 5, mode: 1, high: 3}}}", "delay.hours",
     "need low <= mode <= high, got 5.0, 1.0, 3.0"),
    ("{tension: {dist: uniform, low: 3, high: 1}}", "tension", "high (1.0) is below low (3.0)"),
    ("{hold: f1, release: f1}", "", "an effect has exactly one key, got ['hold', 'release']"),
    ("{hold: f1, colour: red}", "colour", "unknown field"),
    ("{presence: {force: f1, factor: 1, factr: 2}}", "presence.factr", "unknown field; did you mean 'factor'?"),
])
def test_bad_effect_fields_are_located_to_the_field(write, effect, field, msg):
    text = _with_stay_effects(f"[{effect}]")
    p = write("bad.yaml", text)
    line = _line_of(text, "stay: {label: Stay")
    where = "decisions.posture.options.stay.effects.0" + (f".{field}" if field else "")
    assert problems(p) == [f"{p}:{line}: {where}: {msg}"]


def test_an_unknown_kind_lists_the_kinds(write):
    # a key near no kind (one near a kind gets a did-you-mean after the list: the next test)
    p = write("bad.yaml", _with_stay_effects("[{beam_up: f1}]"))
    (msg,) = problems(p)
    assert msg.endswith("decisions.posture.options.stay.effects.0: an effect needs exactly one of the keys "
                        + ", ".join(KINDS))


def test_a_misspelt_kind_suggests_the_nearest(write):
    p = write("bad.yaml", _with_stay_effects("[{hodl: f1}]"))
    (msg,) = problems(p)
    assert msg.endswith("an effect needs exactly one of the keys " + ", ".join(KINDS) + "; did you mean 'hold'?")


def test_orders_and_delays_move_a_force_in_a_run(write):
    # f1 waits for event "go" (H+3) to activate; an order at H+1 activates it first, and a delay
    # of 4 h at H+5 lengthens its 10 h notice to move: ready at 1 + 10 + 4
    text = MINIMAL.replace("""  go:
    title: Go
    text: Activate.
    at_h: 3
""", """  go:
    title: Go
    text: Activate.
    at_h: 3
  early:
    title: Early
    text: Activate now.
    at_h: 1
    effects: [{activate: f1}]
  slow:
    title: Slow
    text: Lift is late.
    at_h: 5
    effects: [{delay: {force: f1, hours: 4}}]
""")
    s = load_scenario(write("orders.yaml", text))
    m = run(s, seed=0).metrics
    assert m["force.f1.activated_h"] == 1 and m["force.f1.ready_h"] == 15
    # the decision at H+8 (deploy) lets it go once ready: in place after its 5 h transit
    assert m["force.f1.in_place_h"] == 20
    held = load_scenario(write("held.yaml", text), ["decisions.posture.default=stay"])
    assert run(held, seed=0).metrics["force.f1.in_place_h"] is None


def test_pruning_follows_every_effect_aimed_at_a_force(write):
    kinds = ["alert", "activate", "deploy", "hold", "release"]
    extra = "".join(f"""  by_{k}:
    title: {k}
    text: {k}.
    at_h: {{dist: uniform, low: 1, high: 2}}
    effects: [{{{k}: f1}}]
""" for k in kinds)
    text = MINIMAL.replace("injects:\n", "injects:\n" + extra)
    s = load_scenario(write("aimed.yaml", text))
    prefixes = parameter_prefixes(s, "force.f1.in_place_h")
    assert prefixes is not None and {f"injects.by_{k}." for k in kinds} <= prefixes
    assert "injects.spike." not in prefixes  # a tension effect does not move a force
    # a delay of drawn length depends on the effects stream, so on the whole run
    drawn = text.replace("effects: [{hold: f1}]}", "effects: [{delay: {force: f1, hours: {dist: uniform, low: 1, "
                         "high: 3}}}]}")
    assert parameter_prefixes(load_scenario(write("drawn.yaml", drawn)), "force.f1.in_place_h") is None


def test_the_readme_lists_every_kind():
    text = (ROOT / "README.md").read_text()
    listed = re.search(r"Effects: (.*?)\.\n", text, re.S)
    assert listed is not None
    assert re.findall(r"`(\w+)`", listed.group(1)) == list(KINDS)


@pytest.mark.parametrize("kind", ["hold", "alert", "activate", "deploy", "release", "commit"])
def test_run_refuses_an_empty_target_given_with_set_in_one_line(kind):
    # these passed `validate` and then crashed the engine (KeyError) or did nothing (commit)
    item = f'decisions.saceur_deconfliction.options.directive.effects=[{{{kind}: ""}}]'
    r = CliRunner().invoke(app, ["run", str(BASELINE), "--set", item])
    assert r.exit_code == 2 and "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith(f"error: --set {item}: ")
    assert lines[0].endswith(f"decisions.saceur_deconfliction.options.directive.effects.0.{kind}: empty: give "
                             + ("an axis id" if kind == "commit" else "a force id"))
