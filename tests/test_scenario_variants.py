"""Variants (issue 10 items 4 and 9): YAML merge keys, extends that replaces kinds and removes entries,
tempo postures, and draws keyed by a parameter's path (same draws seed for seed across variants)."""
import numpy as np
import pytest
from conftest import BASELINE, MINIMAL, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ScenarioError, load_scenario, run
from sim.engine.trace import AxisRecord, DecisionRecord, ForceRecord, InjectRecord
from sim.engine.world import World
from sim.scenario.distributions import Fixed, Triangular, Uniform
from sim.scenario.tempo import TEMPO_KINDS, default_postures, tempo_factor
from sim.scenario.yamlsrc import parse_yaml


def problems(path, sets=()):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, sets)
    return [str(p) for p in info.value.problems]


def line_of(text, needle):
    return text.splitlines().index(needle) + 1


# --- YAML merge keys -------------------------------------------------------------------------------

MERGE = """\
defaults: &d
  low: 1
  high: 9
extra: &e
  high: 5
  mode: 3
one:
  <<: *d
  high: 7
two:
  <<: [*e, *d]
"""


def test_merge_keys_bring_entries_in_and_own_entries_win():
    data, lines = parse_yaml(MERGE, "m.yaml")
    assert data["one"] == {"low": 1, "high": 7}                     # the mapping's own high wins
    assert data["two"] == {"high": 5, "mode": 3, "low": 1}          # an earlier mapping wins over a later one
    # merged values are located where they were written: two.low at the anchor's line 2, two.high at line 5
    assert lines[("two", "low")] == ("m.yaml", 2) and lines[("two", "high")] == ("m.yaml", 5)
    assert lines[("one", "high")] == ("m.yaml", 9)


def test_duplicate_keys_are_still_refused_beside_merge_keys():
    for doc, line in [("a: &a {x: 1}\nb:\n  <<: *a\n  y: 1\n  y: 2\n", 5),
                      ("a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n", 4)]:
        with pytest.raises(ScenarioError) as info:
            parse_yaml(doc, "d.yaml")
        (p,) = info.value.problems
        assert p.line == line and p.message == "duplicate key"


def test_merge_of_a_non_mapping_is_one_located_line():
    with pytest.raises(ScenarioError) as info:
        parse_yaml("a: &a [1, 2]\nb:\n  <<: *a\n", "d.yaml")
    (p,) = info.value.problems
    assert p.line == 1 and p.path == "b.<<" and "takes a mapping or a list of mappings" in p.message


def test_scenario_with_merge_keys_loads_and_an_error_inside_merged_content_is_located(write):
    text = MINIMAL.replace("forces:\n  f1:\n", "forces:\n  f1: &f1\n").replace(
        "injects:\n", "  f2:\n    <<: *f1\n    name: Second\n    strength: 50\n injects:\n".replace(" injects", "injects"), 1)
    s = load_scenario(write("ok.yaml", text))
    assert s.forces["f2"].strength == 50 and s.forces["f2"].name == "Second"
    assert (s.forces["f2"].side, s.forces["f2"].notice_to_move_h.value) == ("blue", 10)
    assert s.forces["f1"].strength == 100
    # an error inside the merged content is reported at the line it was written on (the anchor's)
    bad = text.replace("    notice_to_move_h: 10\n", "    notice_to_move_h: {dist: uniform, low: 9, high: 1}\n")
    p = write("bad.yaml", bad)
    line = line_of(bad, "    notice_to_move_h: {dist: uniform, low: 9, high: 1}")
    assert problems(p) == [f"{p}:{line}: forces.f1.notice_to_move_h: high (1.0) is below low (9.0)",
                           f"{p}:{line}: forces.f2.notice_to_move_h: high (1.0) is below low (9.0)"]
    # and an error in the merging mapping's own entries at its own line
    bad = text.replace("    strength: 50\n", "    strength: -50\n")
    p = write("bad2.yaml", bad)
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:{line_of(bad, '    strength: -50')}: forces.f2.strength:")


# --- extends: kinds, remove, null ----------------------------------------------------------------------

def test_extends_replaces_a_distribution_of_another_kind_whole(write):
    write("base.yaml", MINIMAL.replace("    notice_to_move_h: 10\n",
                                       "    notice_to_move_h: {dist: triangular, low: 5, mode: 8, high: 12}\n"))
    s = load_scenario(write("u.yaml", "extends: base.yaml\nforces:\n  f1:\n"
                                      "    notice_to_move_h: {dist: uniform, low: 1, high: 2}\n"))
    assert s.forces["f1"].notice_to_move_h == Uniform(dist="uniform", low=1, high=2)   # no mode left behind
    s = load_scenario(write("n.yaml", "extends: base.yaml\nforces:\n  f1:\n    notice_to_move_h: 4\n"))
    assert s.forces["f1"].notice_to_move_h == Fixed(value=4)
    # the same kind, or no kind written, still merges field by field
    s = load_scenario(write("t.yaml", "extends: base.yaml\nforces:\n  f1:\n    notice_to_move_h: {high: 20}\n"))
    assert s.forces["f1"].notice_to_move_h == Triangular(dist="triangular", low=5, mode=8, high=20)
    s = load_scenario(write("t2.yaml", "extends: base.yaml\nforces:\n  f1:\n"
                                       "    notice_to_move_h: {dist: triangular, mode: 6}\n"))
    assert s.forces["f1"].notice_to_move_h == Triangular(dist="triangular", low=5, mode=6, high=12)


def test_extends_replaces_a_condition_of_another_type_and_an_effect_list(write):
    write("base.yaml", MINIMAL)
    s = load_scenario(write("c.yaml", "extends: base.yaml\nforces:\n  f1:\n"
                                      "    activate_when: {metric: time_h, gte: 3}\n"
                                      "    deploy_when: {all: [{event: go}, {metric: tension, lte: 90}]}\n"
                                      "decisions:\n  posture:\n    options:\n      stay:\n"
                                      "        effects: [{tension: 2}]\n"))
    f1 = s.forces["f1"]
    assert f1.activate_when.metric == "time_h" and f1.activate_when.gte == 3
    assert [type(c).__name__ for c in f1.deploy_when.all] == ["EventCond", "MetricCond"]
    (eff,) = s.decisions["posture"].options["stay"].effects
    assert type(eff).__name__ == "TensionEffect" and not eff.references()   # the hold on f1 is gone
    # a condition of the same type merges: the force's state changes, the force named stays
    write("b2.yaml", MINIMAL.replace("activate_when: {event: go}", "activate_when: {force: f1, state: alerted}"))
    s = load_scenario(write("c2.yaml", "extends: b2.yaml\nforces:\n  f1:\n    activate_when: {state: standby}\n"))
    assert (s.forces["f1"].activate_when.force, s.forces["f1"].activate_when.state) == ("f1", "standby")


def test_remove_and_null_take_entries_out(write):
    base = MINIMAL.replace("injects:\n", "injects:\n  later:\n    title: Later\n    text: More.\n    at_h: 30\n")
    write("base.yaml", base)
    s = load_scenario(write("r.yaml", "extends: base.yaml\nremove: [injects.later, objectives.ready]\n"))
    assert "later" not in s.injects and "ready" not in s.objectives and "go" in s.injects
    s = load_scenario(write("z.yaml", "extends: base.yaml\ninjects:\n  later: null\nforces:\n  f1:\n"
                                      "    deploy_when: null\n"))
    assert "later" not in s.injects and s.forces["f1"].deploy_when is None
    # removed then written anew: a replacement, whole
    s = load_scenario(write("w.yaml", "extends: base.yaml\nremove: [injects.later]\ninjects:\n  later:\n"
                                      "    title: New\n    text: Other.\n    when: {event: go}\n"))
    assert s.injects["later"].at_h is None and s.injects["later"].when.event == "go"


def test_remove_and_null_of_what_is_not_there_are_located(write):
    write("base.yaml", MINIMAL)
    p = write("r.yaml", "extends: base.yaml\nremove:\n  - injects.goo\n  - forces.f1.name.x\n")
    assert problems(p) == [f"{p}:3: remove.0: injects.goo: no such entry in base.yaml; did you mean 'go'?",
                           f"{p}:4: remove.1: forces.f1.name.x: forces.f1.name in base.yaml is a value or a list, "
                           "not a mapping of entries"]
    p = write("n.yaml", "extends: base.yaml\ninjects:\n  goo: null\n")
    assert problems(p) == [f"{p}:3: injects.goo: null removes an entry, but base.yaml has no injects.goo"
                           "; did you mean 'go'?"]
    p = write("alone.yaml", MINIMAL + "remove: [injects.go]\n")
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:{len(MINIMAL.splitlines()) + 1}: remove: ") and "give extends:" in msg


def test_removing_what_is_still_referenced_is_one_line_naming_the_reference(write):
    base = write("base.yaml", MINIMAL)
    p = write("r.yaml", "extends: base.yaml\nname: r\nremove: [injects.go]\n")
    ref = line_of(MINIMAL, "    activate_when: {event: go}")
    assert problems(p) == [f"{p}:3: remove.0: injects.go is removed but still referenced at "
                           f"forces.f1.activate_when ({base}:{ref}); remove or replace that too"]
    p = write("z.yaml", "extends: base.yaml\nname: z\nforces:\n  f1: null\n")
    msgs = problems(p)
    assert msgs and all(m.startswith(f"{p}:4: forces.f1: forces.f1 is removed but still referenced at ")
                        for m in msgs)
    assert any("objectives.ready.metric" in m for m in msgs) and any("decisions.posture.options" in m for m in msgs)
    # replacing the reference as well makes the variant whole
    s = load_scenario(write("ok.yaml", "extends: base.yaml\nname: ok\nremove: [injects.go]\nforces:\n  f1:\n"
                                       "    activate_when: {metric: time_h, gte: 1}\n"))
    assert "go" not in s.injects


def test_extends_rule_keeps_the_shipped_variants_as_they_were(baseline):
    slip = load_scenario(ROOT / "scenarios" / "vjtf-slip.yaml")
    n = slip.forces["vjtf"].notice_to_move_h
    assert (n.low, n.mode, n.high) == (72, 96, 120) and n.facts == baseline.forces["vjtf"].notice_to_move_h.facts


# --- tempo -----------------------------------------------------------------------------------------------

def test_default_postures_are_cited_or_marked_as_assumptions():
    d = default_postures()
    assert d.basis == "crisis" and {"crisis", "heightened", "exercise"} <= set(d.postures)
    assert all(d.postures["crisis"].factor(k) == 1.0 for k in TEMPO_KINDS)
    from sim.scenario.facts import load_register
    known = load_register(str(ROOT / "seeds" / "facts.yaml")).by_id()
    for name, p in d.postures.items():
        for k in TEMPO_KINDS:
            f = getattr(p, k)
            assert f.basis == "assumption" or (f.facts and set(f.facts) <= set(known)), (name, k)
    # the exercise notice factor is the cited arithmetic: a seven-day standby over the crisis's 48-72 h
    seven = known["nrf-standby-seven-days"].value * 24
    crisis = (known["vjtf-readiness"].low + known["vjtf-readiness"].high) / 2
    assert d.postures["exercise"].notice_to_move.factor == pytest.approx(seven / crisis)
    ten, five = known["us-heightened-alert-ten-to-five"].high, known["us-heightened-alert-ten-to-five"].low
    assert d.postures["heightened"].notice_to_move.factor == pytest.approx(seven / crisis * five / ten)


def test_tempo_factor_is_relative_to_the_basis_and_postures_can_be_the_scenario_own(write):
    base = write("base.yaml", MINIMAL)
    assert all(tempo_factor(load_scenario(base), k) == 1.0 for k in TEMPO_KINDS)
    ex = load_scenario(base, ["tempo={posture: exercise}"])
    d = default_postures().postures
    assert [tempo_factor(ex, k) for k in TEMPO_KINDS] == [d["exercise"].factor(k) for k in TEMPO_KINDS]
    own = load_scenario(write("own.yaml", "extends: base.yaml\ntempo:\n  posture: drill\n  basis: heightened\n"
                                          "  postures:\n    drill: {notice_to_move: 2.1, decision_delay: 3}\n"))
    assert tempo_factor(own, "notice_to_move") == pytest.approx(2.1 / d["heightened"].notice_to_move.factor)
    assert tempo_factor(own, "staging") == pytest.approx(1 / d["heightened"].staging.factor)
    assert tempo_factor(own, "decision_delay") == pytest.approx(3 / d["heightened"].decision_delay.factor)
    assert ex.content_hash != load_scenario(base).content_hash != own.content_hash


def test_unknown_posture_is_located_at_its_field(write):
    write("base.yaml", MINIMAL)
    p = write("t.yaml", "extends: base.yaml\ntempo:\n  posture: excercise\n")
    assert problems(p) == [f"{p}:3: tempo.posture: unknown posture 'excercise'; "
                           "one of crisis, exercise, heightened; did you mean 'exercise'?"]
    (msg,) = problems(write("f.yaml", "extends: base.yaml\ntempo:\n  posture: x\n  postures:\n"
                                      "    x: {staging: 0}\n"))
    assert ":5: tempo.postures.x.staging: Input should be greater than or equal to 0.05" in msg


def _times(result):
    """Per-path values of one run: the parameters drawn (notice, transit) and the hours of timed items."""
    out = {}
    for r in result.trace:
        if isinstance(r, ForceRecord) and r.notice_h is not None:
            out[f"forces.{r.force}.notice_to_move_h"] = r.notice_h
        elif isinstance(r, ForceRecord) and r.transit_h is not None:
            out[f"forces.{r.force}.transit_h"] = r.transit_h
        elif isinstance(r, InjectRecord):
            out[f"injects.{r.inject}.h"] = r.t_h
        elif isinstance(r, DecisionRecord):
            out[f"decisions.{r.decision}.h"] = r.t_h
        elif isinstance(r, AxisRecord):
            out[f"adversary.axes.{r.axis}.{r.event}_h"] = r.t_h
    return out


def test_a_tempo_variant_scales_notice_and_decision_delay_by_the_factor_and_nothing_else(baseline):
    ex = load_scenario(BASELINE, ["tempo={posture: exercise}"])
    notice, delay = tempo_factor(ex, "notice_to_move"), tempo_factor(ex, "decision_delay")
    assert notice > 1 and delay > 1
    timed = {f"decisions.{d}.h" for d, p in baseline.decisions.items() if p.at_h is not None}
    assert timed
    for seed in range(20):
        a, b = _times(run(baseline, seed)), _times(run(ex, seed))
        scaled = kept = 0
        for key, value in a.items():
            if key.endswith("notice_to_move_h"):
                assert b[key] == pytest.approx(value * notice, abs=1e-5), (seed, key)   # the trace keeps 6 decimals
                scaled += 1
            elif key in timed:
                assert b[key] == pytest.approx(value * delay, abs=1e-5), (seed, key)
                scaled += 1
            elif key in b and (key.endswith("transit_h") or (key.startswith("injects.") and
                                                             baseline.injects[key.split(".")[1]].at_h is not None)):
                assert b[key] == value, (seed, key)   # transit and inject hours are not the tempo's
                kept += 1
        assert scaled >= 4 and kept >= 6


def test_same_draws_when_a_variant_adds_a_force_and_removes_an_inject(write):
    # the variant sits beside the baseline (so it finds the fact register); draws follow paths, not positions
    child = ROOT / "scenarios" / "_test_same_draws.yaml"
    child.write_text("extends: nato-response-2022.yaml\nname: same-draws\nremove: [injects.nrf_activation_agreed]\n"
                     "injects:\n  nrf_activation_agreed_v2:\n    title: NAC agrees (variant)\n    text: x\n"
                     "    at_h: {dist: uniform, low: 5, high: 15}\n"
                     "forces:\n  vjtf:\n    activate_when: {event: nrf_activation_agreed_v2}\n"
                     "  nrf_air:\n    activate_when: {event: nrf_activation_agreed_v2}\n"
                     "  nrf_maritime:\n    activate_when: {event: nrf_activation_agreed_v2}\n"
                     "  uk_land:\n    name: UK battlegroup\n    side: nato\n    kind: land\n    strength: 1000\n"
                     "    unit: troops\n    activate_when: {event: invasion}\n"
                     "    notice_to_move_h: {dist: uniform, low: 10, high: 30}\n"
                     "    transit_h: {dist: uniform, low: 5, high: 9}\n"
                     "objectives:\n  activation_day1:\n    metric: event.nrf_activation_agreed_v2.h\n")
    try:
        base, var = load_scenario(BASELINE), load_scenario(child)
    finally:
        child.unlink()
    assert list(var.forces)[-1] == "uk_land" and "nrf_activation_agreed" not in var.injects
    compared = 0
    for seed in range(20):
        a, b = _times(run(base, seed)), _times(run(var, seed))
        assert "forces.uk_land.notice_to_move_h" in b and "injects.nrf_activation_agreed.h" in a
        for key, value in a.items():
            drawn = key.endswith(("notice_to_move_h", "transit_h")) or (
                key.startswith("injects.") and base.injects[key.split(".")[1]].at_h is not None) or (
                key.startswith("adversary.") and key.endswith("committed_h"))
            if drawn and key in b:
                assert b[key] == value, (seed, key)
                compared += 1
    assert compared >= 20 * 8


# --- World.draws -------------------------------------------------------------------------------------------

PATHS = ["forces.vjtf.notice_to_move_h", "forces.vjtf.transit_h", "injects.summit.at_h",
         "adversary.axes.kyiv_north.speed_kmh", "decisions.saceur_deconfliction.at_h", "x"]


@settings(max_examples=60, deadline=None)
@given(order=st.lists(st.sampled_from(PATHS), min_size=1, max_size=40), seed=st.integers(0, 2**32 - 1))
def test_world_draws_give_the_same_nth_draw_whatever_the_order_paths_are_asked_in(baseline, order, seed):
    asked = World(baseline, seed, keep_trace=False)
    got: dict[str, list[float]] = {}
    for path in order:
        got.setdefault(path, []).append(asked.draws(path).random())
    for path, values in got.items():   # one path at a time, in a fresh world of the same seed
        alone = World(baseline, seed, keep_trace=False).draws(path)
        assert values == [alone.random() for _ in values], path
    # and two paths never share their draws
    firsts = {p: v[0] for p, v in got.items()}
    assert len(set(firsts.values())) == len(firsts)


def test_world_draws_are_uniform_and_differ_by_seed(baseline):
    d = World(baseline, 1).draws("forces.vjtf.notice_to_move_h")
    xs = np.array([d.random() for _ in range(4000)])
    assert 0 <= xs.min() and xs.max() < 1 and abs(xs.mean() - 0.5) < 0.02   # sd of the mean ~0.0046
    assert World(baseline, 2).draws("forces.vjtf.notice_to_move_h").random() != xs[0]
