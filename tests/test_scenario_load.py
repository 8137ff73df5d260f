"""The loader: located errors, safe YAML, extends, --set, fact citations, references."""
import pytest
from conftest import BASELINE, MINIMAL

from sim import ScenarioError, load_scenario


def problems(path, sets=()):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, sets)
    return [str(p) for p in info.value.problems]


def test_yaml_syntax_error_names_file_and_line(write):
    p = write("bad.yaml", "name: x\ntitle: ok\n  description: [\n")
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:3:") and "YAML syntax error" in msg


def test_schema_violation_is_located_to_the_field_line(write):
    text = MINIMAL.replace("    notice_to_move_h: 10\n", "    notice_to_move_h: {dist: triangular, low: 5, mode: 1, high: 3}\n")
    p = write("bad.yaml", text)
    line = text.splitlines().index("    notice_to_move_h: {dist: triangular, low: 5, mode: 1, high: 3}") + 1
    assert problems(p) == [f"{p}:{line}: forces.f1.notice_to_move_h: need low <= mode <= high, got 5.0, 1.0, 3.0"]


def test_several_problems_one_line_each(write):
    text = MINIMAL.replace("horizon_h: 100", "horizon_h: -5").replace("    strength: 100\n", "    strength: 100\n    colour: red\n")
    msgs = problems(write("bad.yaml", text))
    assert any(m.endswith("clock.horizon_h: Input should be greater than 0") and ":4:" in m for m in msgs)
    assert any(m.endswith("forces.f1.colour: unknown field") for m in msgs)
    assert len(msgs) == 2


def test_unknown_fact_id_is_an_error_at_the_citation(write):
    text = MINIMAL.replace("    transit_h: 5\n", "    transit_h: 5\n    facts: [vjtf-readiness, made-up-fact]\n")
    p = write("bad.yaml", text)
    line = text.splitlines().index("    facts: [vjtf-readiness, made-up-fact]") + 1
    assert problems(p) == [f"{p}:{line}: forces.f1.facts.1: unknown fact id 'made-up-fact'"]


def test_reference_to_unknown_force_is_an_error(write):
    text = MINIMAL.replace("effects: [{hold: f1}]", "effects: [{hold: f9}]")
    (msg,) = problems(write("bad.yaml", text))
    assert "decisions.posture.options.stay.effects.0.hold: unknown force 'f9'; known: f1" in msg


def test_unknown_event_in_condition_and_unknown_objective_metric(write):
    text = MINIMAL.replace("activate_when: {event: go}", "activate_when: {event: gogo}").replace(
        "force.f1.ready_after_activation_h", "force.f1.teleported_h")
    msgs = problems(write("bad.yaml", text))
    assert any("forces.f1.activate_when: unknown event 'gogo'" in m for m in msgs)
    assert any("objectives.ready.metric: unknown metric 'force.f1.teleported_h'" in m for m in msgs)


@pytest.mark.parametrize("doc, expect", [
    ("a: !!python/object/apply:os.system ['true']\n", "unsupported tag"),
    ("a: !custom 3\n", "unsupported YAML tag '!custom'"),
    ("a: " + "[" * 100 + "]" * 100 + "\n", "nested deeper than 40 levels"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
     "document too large"),
    ("- just\n- a list\n", "a scenario file is a mapping"),
    ("name: x\nname: y\n", "duplicate key"),
])
def test_unsafe_or_absurd_yaml_is_refused(write, doc, expect):
    (msg,) = problems(write("bad.yaml", doc))
    assert expect in msg


def test_missing_file(tmp_path):
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file"]


def test_extends_overrides_and_keeps_the_rest(write):
    base = write("base.yaml", MINIMAL)
    child = write("child.yaml", "extends: base.yaml\nname: child\nforces:\n  f1:\n    notice_to_move_h: 20\n")
    s = load_scenario(child)
    assert s.name == "child" and s.forces["f1"].notice_to_move_h.value == 20
    assert s.forces["f1"].transit_h.value == 5 and s.title == "Minimal"
    assert s.content_hash != load_scenario(base).content_hash


def test_extends_errors_point_at_the_right_file(write):
    write("base.yaml", MINIMAL)
    child = write("child.yaml", "extends: base.yaml\nforces:\n  f1:\n    strength: -1\n")
    (msg,) = problems(child)
    assert msg.startswith(f"{child}:4: forces.f1.strength:")


def test_extends_loop_and_missing_parent(write):
    a = write("a.yaml", "extends: b.yaml\n")
    write("b.yaml", "extends: a.yaml\n")
    (msg,) = problems(a)
    assert "extends loop" in msg
    c = write("c.yaml", "name: c\nextends: nowhere.yaml\n")
    assert problems(c) == [f"{c}:2: extends: no such file: nowhere.yaml"]


def test_set_overrides_numbers_distributions_and_list_items(write):
    p = write("mini.yaml", MINIMAL)
    s = load_scenario(p, ["forces.f1.notice_to_move_h={dist: uniform, low: 1, high: 2}",
                          "escalation.rungs.1.threshold=25", "clock.horizon_h=50"])
    assert s.forces["f1"].notice_to_move_h.dist == "uniform"
    assert s.escalation.rungs[1].threshold == 25 and s.clock.horizon_h == 50


@pytest.mark.parametrize("item, expect", [
    ("forces.f1.strength", "--set forces.f1.strength: expected path=value"),
    ("forces.f2.strength=3", "--set forces.f2.strength=3: forces.f2: no such field; has f1"),
    ("forces.f1.strength=abc", "--set forces.f1.strength=abc: forces.f1.strength: Input should be a valid number"),
    ("forces.f1.speed=3", "--set forces.f1.speed=3: forces.f1.speed: unknown field"),
    ("escalation.rungs.9.threshold=1", "escalation.rungs.9: no such field"),
    ("forces.f1.strength=[1", "bad value: YAML syntax error"),
    ("..=1", "empty field name"),
])
def test_bad_set_is_reported(write, item, expect):
    (msg,) = problems(write("mini.yaml", MINIMAL), [item])
    assert expect in msg


def test_baseline_loads_and_every_parameter_cites_known_facts(baseline):
    assert baseline.name == "nato-response-2022"
    assert baseline.source == str(BASELINE)
    assert len(baseline.content_hash) == 16
