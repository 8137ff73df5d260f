"""Typed trace records: every record carries the ids and values its consumers read, the JSON Lines
trace validates against the schema generated from the record types, tension and its causes are
recorded by the engine (and agree with the engine's own tension), and consumers find records by id."""
from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from conftest import BASELINE, ROOT

from sim import load_scenario, run
from sim.engine import escalation
from sim.engine.decisions import Scripted
from sim.engine.trace import (
    EFFECT_TYPES,
    KINDS,
    RECORD_TYPES,
    TRACE_FORMAT,
    AxisRecord,
    CheckpointRecord,
    DecisionRecord,
    ForceRecord,
    IncidentRecord,
    InjectRecord,
    PendingRecord,
    RungRecord,
    SourceKind,
    StartRecord,
    TensionRecord,
    trace_schema,
)
from sim.report.causes import explain
from sim.report.tension import value_at
from sim.scenario.model import Inject


def _lines(result) -> list[dict]:
    return [json.loads(x) for x in result.trace_jsonl().splitlines()]


@pytest.fixture(scope="module")
def traces():
    """Traces that between them hold every kind of record: the shipped scenarios over a few seeds, a
    run paused at a decision point, a run with an ad-hoc inject and variants with holds and delays."""
    out = []
    for p in sorted((ROOT / "scenarios").glob("*.yaml")):
        s = load_scenario(p)
        out.append(run(s, 0))
    base = load_scenario(BASELINE)
    out.append(run(base, 1, Scripted({}, None)))                      # paused at the first decision point
    hold = load_scenario(BASELINE, ["decisions.nrf_deploy.default=hold", "deconfliction.p_incident=0.9"])
    out += [run(hold, seed) for seed in range(2)]
    delay = load_scenario(BASELINE, ["injects.finland_statement.effects=[{delay: {force: vjtf, hours: 6}}, {alert: vjtf}]",
                                     "decisions.red_reserves.default=commit"])
    out.append(run(delay, 2))
    ramp = load_scenario(BASELINE, ["decisions.red_reserves.default=commit",
                                    "decisions.red_reserves.options.commit.effects=[{commit: second_echelon}, "
                                    "{accelerate_commitment: {axis: second_echelon, factor: 2}}]"])
    out.append(run(ramp, 2))                                          # a commitment effect
    adhoc = Inject(title="Hotline silent for 3 h", text="The hotline to Moscow does not answer.",
                   library=True, effects=[{"tension": 5}])
    out.append(run(base, 3, extra_injects=[("adhoc-1", adhoc, 7.5)]))
    return out


def _shape(x):
    """The structure of a JSON value: keys and value types, not the values."""
    if isinstance(x, dict):
        return tuple(sorted((k, _shape(v)) for k, v in x.items()))
    if isinstance(x, list):
        return ("list", tuple(sorted({_shape(v) for v in x})))
    return type(x).__name__


def test_the_trace_schema_validates_every_record_of_a_baseline_trace_and_every_kind(baseline, traces):
    schema = trace_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for line in _lines(run(baseline, 0)):                               # every record of a baseline trace
        errors = list(validator.iter_errors(line))
        assert not errors, (line, errors[0].message)
    seen, shapes = set(), {}
    for r in traces:
        lines = _lines(r)
        assert lines[0]["kind"] == "start" and lines[0]["trace_format"] == TRACE_FORMAT
        for line in lines:
            seen.add(line["kind"] if line["kind"] != "effect" else f"effect.{line['effect']}")
            shapes.setdefault(_shape(line), line)
    for line in shapes.values():    # one record of every shape in the other traces (jsonschema is slow)
        errors = list(validator.iter_errors(line))
        assert not errors, (line, errors[0].message)
    # every kind of record, and every kind of effect record, was checked
    effects = {f"effect.{t.__dataclass_fields__['effect'].default}" for t in EFFECT_TYPES}
    assert (set(KINDS) - {"effect"}) | effects == seen
    assert len(RECORD_TYPES) == len(KINDS) - 1 + len(EFFECT_TYPES)


def test_the_schema_refuses_a_record_without_its_ids(traces):
    validator = jsonschema.Draft202012Validator(trace_schema())
    line = next(x for x in _lines(traces[0]) if x["kind"] == "inject")
    assert validator.is_valid(line)
    for key in ("inject", "title", "message"):
        assert not validator.is_valid({k: v for k, v in line.items() if k != key})
    assert not validator.is_valid(line | {"state": {"inject": line["inject"]}})  # no free-form state any more
    assert not validator.is_valid(line | {"kind": "checkpoint"})


def test_the_cli_prints_the_trace_schema_that_run_trace_files_follow(tmp_path):
    from typer.testing import CliRunner

    from sim.cli.app import app
    r = CliRunner().invoke(app, ["schema", "--trace"])
    assert r.exit_code == 0
    schema = json.loads(r.output)
    assert schema == json.loads(json.dumps(trace_schema()))
    assert f"trace_format {TRACE_FORMAT}" in schema["title"]
    out = tmp_path / "run.jsonl"
    assert CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "strait-standoff.yaml"), "--seed", "2",
                                    "--trace", str(out)]).exit_code == 0
    validator = jsonschema.Draft202012Validator(schema)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines and all(validator.is_valid(x) for x in lines)


def test_records_carry_ids_with_title_and_text_apart(baseline):
    r = run(baseline, 1)
    injects = [x for x in r.trace if isinstance(x, InjectRecord)]
    assert injects
    for x in injects:
        spec = baseline.injects[x.inject]
        assert (x.title, x.message, x.sender, x.recipient, x.expected_action) == (
            spec.title, spec.text, spec.sender, spec.recipient, spec.expected_action)
        assert not x.adhoc and x.facts == list(spec.facts)
        assert x.text == f"{spec.title}: {spec.text}"                 # the narrative, derived from the fields
    for x in (x for x in r.trace if isinstance(x, DecisionRecord)):
        point = baseline.decisions[x.decision]
        assert x.option == point.default and x.team == point.team and x.title == point.title
        assert x.label == point.options[x.option].label
    for x in (x for x in r.trace if isinstance(x, ForceRecord)):
        assert x.name == baseline.forces[x.force].name and x.state in ("alerted", "activated", "ready",
                                                                        "deploying", "in_place")
        assert (x.notice_h is not None) == (x.state == "activated")
    axes = [x for x in r.trace if isinstance(x, AxisRecord)]
    assert {x.axis for x in axes} <= set(baseline.adversary.axes) and axes
    (cp,) = [x for x in r.trace if isinstance(x, CheckpointRecord)]
    assert cp.checkpoint == "friday_noon_et" and cp.title == baseline.checkpoints["friday_noon_et"].title
    assert cp.on_station["nato"]["aircraft"] == r.metrics["checkpoint.friday_noon_et.on_station.nato.aircraft"]
    start = r.trace[0]
    assert isinstance(start, StartRecord) and start.forces == {f: x.initial_state for f, x in baseline.forces.items()}


def test_every_tension_change_names_its_cause(traces):
    for r in traces:
        incidents = [x for x in r.trace if isinstance(x, IncidentRecord)]
        changes = [x for x in r.trace if isinstance(x, TensionRecord)]
        by_incident = [x for x in changes if x.cause.kind is SourceKind.INCIDENT]
        assert [(x.t_h, x.domain, x.tension_delta) for x in incidents] == \
            [(x.t_h, x.cause.id, x.delta) for x in by_incident]
        for x in changes:
            assert x.cause.kind in (SourceKind.INJECT, SourceKind.ADHOC_INJECT, SourceKind.DECISION,
                                    SourceKind.INCIDENT)
            if x.change == "jump":
                assert x.after == pytest.approx(max(x.before + x.delta, x.floor, 0.0), abs=1e-12)
            else:
                assert x.after == pytest.approx(max(x.before, x.floor), abs=1e-12) and x.delta is None
            if x.cause.kind is SourceKind.DECISION:
                dec = [d for d in r.trace if isinstance(d, DecisionRecord) and d.seq < x.seq]
                assert (dec[-1].decision, dec[-1].option, dec[-1].label) == (x.cause.id, x.cause.option,
                                                                             x.cause.label)
            if x.cause.kind is SourceKind.INJECT:
                inj = [d for d in r.trace if isinstance(d, InjectRecord) and d.seq < x.seq]
                assert (inj[-1].inject, inj[-1].title) == (x.cause.id, x.cause.title)
    adhoc = traces[-1]
    (x,) = [x for x in adhoc.trace if isinstance(x, TensionRecord) and x.cause.kind is SourceKind.ADHOC_INJECT]
    assert (x.cause.id, x.cause.title, x.delta, x.t_h) == ("adhoc-1", "Hotline silent for 3 h", 5.0, 7.5)
    assert next(i for i in adhoc.trace if isinstance(i, InjectRecord) and i.inject == "adhoc-1").adhoc


def test_recorded_tension_is_the_engine_s_tension_at_those_hours(monkeypatch):
    """Each tension record's before/after is Tension.value() just before and just after the change, and
    a rung left by decay is left at the hour tension equals that rung's threshold."""
    seen: list[tuple[float, float, float]] = []
    original = escalation.Tension._set

    def spy(self, v, actor, cause, facts=(), delta=None):
        before = self.value()
        original(self, v, actor, cause, facts, delta)
        seen.append((self.w.env.now, before, self.value()))

    monkeypatch.setattr(escalation.Tension, "_set", spy)
    s = load_scenario(BASELINE, ["deconfliction.p_incident=0.6"])
    for seed in range(6):
        seen.clear()
        r = run(s, seed)
        recs = [x for x in r.trace if isinstance(x, TensionRecord)]
        assert len(recs) == len(seen) > 0
        for x, (t, before, after) in zip(recs, seen, strict=True):
            assert x.t_h == pytest.approx(t, abs=1e-6) and x.before == before and x.after == after
        for x in r.trace:
            if isinstance(x, RungRecord) and x.cause.kind is SourceKind.DECAY:
                assert x.before == x.after == pytest.approx(s.escalation.rungs[x.from_rung].threshold, abs=1e-9)
                assert value_at(r.trace, x.t_h) == pytest.approx(x.after, abs=1e-4)
        end = r.trace[-1]
        assert value_at(r.trace, end.t_h) == pytest.approx(end.tension, abs=1e-4)


def test_rung_records_say_before_and_after_and_why(baseline):
    s = load_scenario(BASELINE, ["deconfliction.p_incident=0.9"])
    r = run(s, 4)
    climbs = [x for x in r.trace if isinstance(x, RungRecord) and x.rung > x.from_rung]
    assert climbs
    for x in climbs:
        assert x.before < s.escalation.rungs[x.rung].threshold <= x.after
        assert x.name == s.escalation.rungs[x.rung].name
        assert x.cause.kind is not SourceKind.DECAY and x.cause.text in x.text


SIMILAR = """\
extends: {base}
name: two-checkpoints
title: Two checkpoints with similar titles
description: the baseline with a Thursday checkpoint whose title ends like Friday's
checkpoints:
  thursday:
    title: Thursday noon ET
    at_h: 2
  friday_noon_et:
    title: noon ET
objectives:
  air_200:
    title: 200+ jets on high alert by Friday
    metric: checkpoint.friday_noon_et.on_station.nato.aircraft
    target: {{gte: 200}}
"""


def test_a_checkpoint_is_explained_by_its_own_record_not_one_with_a_similar_title(write):
    """Thursday's checkpoint at H+2 ends with the title of Friday's ("noon ET"): the miss of an objective on
    Friday's is explained by Friday's record (H+38), where every NATO force is in place, not by Thursday's."""
    path = write("two.yaml", SIMILAR.format(base=BASELINE))
    s = load_scenario(path)
    r = run(s, 0)
    assert not r.objectives["air_200"].met
    cps = {x.checkpoint: x for x in r.trace if isinstance(x, CheckpointRecord)}
    assert (cps["thursday"].t_h, cps["friday_noon_et"].t_h) == (2.0, 38.0)
    assert any(f != "in_place" for f in cps["thursday"].forces.values())
    w = explain(s, "air_200", r)
    value = r.metrics["checkpoint.friday_noon_et.on_station.nato.aircraft"]
    assert w.key == "posture short at checkpoint"
    assert w.headline == f"checkpoint.friday_noon_et.on_station.nato.aircraft = {value:g} at the checkpoint, all nato " \
                         "forces in place"
    assert [(st.t_h, st.text) for st in w.chain][0] == (38.0, f"checkpoint \u201cnoon ET\u201d: "
                                                              f"on_station.nato.aircraft = {value:g}")
    # a force short at Friday's checkpoint is named with Friday's hour
    late = load_scenario(path, ["forces.nrf_air.activate_when={event: summit}"])
    r = run(late, 2)
    w = explain(late, "air_200", r)
    assert w.key == "not in place at checkpoint: NRF air elements"
    assert w.headline.startswith("at the checkpoint \u201cnoon ET\u201d (H+38): NRF air elements (20 aircraft) still")


def test_a_paused_run_records_the_pending_decision(baseline):
    r = run(baseline, 1, Scripted({}, None))
    last = r.trace[-1]
    assert isinstance(last, PendingRecord) and last.decision == r.pending["decision"]
    assert last.options == list(baseline.decisions[last.decision].options)


def test_same_seed_same_trace_bytes(baseline):
    kids = np.random.SeedSequence(11).spawn(2)
    assert run(baseline, kids[1]).trace_jsonl() == run(baseline, kids[1]).trace_jsonl()
