"""The metric registry: one typed spec per metric, tied to what run() measures, read by every consumer."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BASELINE, MINIMAL, ROOT
from typer.testing import CliRunner

from sim import load_scenario, run
from sim.cli.app import app
from sim.engine import metrics as engine_metrics
from sim.report.charts import drawn_forces, readiness_gantt, window_marks
from sim.scenario.conditions import FORCE_STATES
from sim.scenario.dependencies import parameter_prefixes
from sim.scenario.metrics import ALWAYS, Family, MetricKind, metric_label, metric_names, metric_registry

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
SUBJECT = {  # the subject fields each family sets (and only those)
    Family.RUN: {"quantity"},
    Family.FORCE_TIME: {"force", "state"},
    Family.FORCE_AFTER_ACTIVATION: {"force", "state"},
    Family.EVENT: {"event"},
    Family.AXIS_START: {"axis"},
    Family.AXIS_ARRIVAL: {"axis"},
    Family.CHECKPOINT: {"quantity", "checkpoint"},
    Family.CHECKPOINT_STAGE: {"force", "checkpoint"},
    Family.CHECKPOINT_ON_STATION: {"checkpoint", "side", "element"},
    Family.ENCOUNTER_DOMAIN: {"domain"},
    Family.ENCOUNTER_CLASS: {"domain", "severity"},
    Family.SEVERITY: {"severity"},
    Family.MEASURE_OPENED: {"measure"},
    Family.MEASURE_USES: {"measure"},
    Family.FORCE_ECHELON_IN_PLACE: {"force", "echelon"},
    Family.FORCE_FIRST_IN_PLACE: {"force"},
    Family.FORCE_SHARE_IN_PLACE: {"force", "share"},
    Family.CHECKPOINT_STRENGTH: {"force", "checkpoint"},
}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_registry_is_what_run_measures(path):
    s = load_scenario(path)
    reg = metric_registry(s)
    for seed in range(3):
        r = run(s, seed)
        assert list(r.metrics) == list(reg)  # the same names, in the same order
        for name, v in r.metrics.items():
            spec = reg[name]
            if v is None:  # only a metric that can be missing is missing
                assert spec.none_means != ALWAYS, name
            elif spec.kind is MetricKind.SHARE:
                assert 0 <= v <= 1, name
            elif spec.kind is MetricKind.STATE:
                assert v in range(len(FORCE_STATES)), name
            elif spec.kind is MetricKind.TIME and not spec.after_activation:
                assert 0 <= v <= s.clock.horizon_h + 1e-9, name
    assert metric_names(s) == list(reg)
    assert {o.metric for o in s.objectives.values()} <= set(reg)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_spec_is_described_and_names_what_it_is_about(path):
    s = load_scenario(path)
    reg = metric_registry(s)
    assert reg is metric_registry(s)  # worked out once per scenario object
    titles = set()
    for name, spec in reg.items():
        assert spec.name == name
        assert spec.title.strip() and spec.unit.strip() and spec.description.strip() and spec.none_means.strip()
        assert isinstance(spec.kind, MetricKind) and isinstance(spec.family, Family)
        optional = {"inject", "decision", "axis"} if spec.family is Family.EVENT else set()
        assert SUBJECT[spec.family] <= set(spec.subject()) <= SUBJECT[spec.family] | optional, name
        if spec.force is not None:
            assert spec.force in s.forces and s.forces[spec.force].name in spec.title
        if spec.checkpoint is not None:
            assert s.checkpoints[spec.checkpoint].title in spec.title
        if spec.inject is not None:
            assert spec.event == spec.inject and s.injects[spec.inject].title in spec.title
        if spec.decision is not None:
            assert spec.event == f"decision.{spec.decision}" and s.decisions[spec.decision].title in spec.title
        if spec.axis is not None:
            assert s.adversary.axes[spec.axis].name in spec.title
        if spec.side is not None:
            assert s.sides[spec.side].name in spec.title
        assert (spec.kind is MetricKind.TIME) == (spec.unit == "h")
        titles.add(spec.title)
    assert len(titles) == len(reg)  # no two metrics read alike


def test_the_titles_a_reader_sees(baseline):
    reg = metric_registry(baseline)
    assert reg["force.vjtf.in_place_after_activation_h"].title == "VJTF (France lead): in place, hours after activation"
    air = reg["checkpoint.friday_noon_et.on_station.nato.aircraft"]
    assert metric_label(air) == "NATO aircraft on station at Friday noon, US Eastern time (aircraft)"
    assert (air.checkpoint, air.side, air.element, air.kind) == ("friday_noon_et", "nato", "aircraft", MetricKind.COUNT)
    assert "Confrontation" in reg["peak_rung"].description  # the scenario's own rung names
    ready = reg["force.vjtf.ready_after_activation_h"]
    assert ready.after_activation and ready.none_means.startswith("VJTF (France lead) was not activated")
    assert reg["incident_share"].kind is MetricKind.SHARE and reg["incident_share"].none_means != ALWAYS


def test_a_checkpoint_after_the_horizon_leaves_its_metrics_none(write):
    path = write("late.yaml", MINIMAL + "checkpoints:\n  late: {title: After the end, at_h: 500}\n")
    s = load_scenario(path)
    r = run(s, 0)
    late = [m for m in metric_registry(s).values() if m.checkpoint == "late"]
    assert late and all(r.metrics[m.name] is None for m in late)
    assert all(m.none_means == "the checkpoint falls after the horizon" for m in late)


def test_the_engine_refuses_a_quantity_it_cannot_read(write, monkeypatch):
    s = load_scenario(write("mini.yaml", MINIMAL))
    monkeypatch.delitem(engine_metrics._RUN, "final_tension")
    with pytest.raises(NotImplementedError, match="final_tension"):
        engine_metrics._Plan(s)


def test_sensitivity_paths_follow_the_subject(baseline):
    assert parameter_prefixes(baseline, "peak_rung") is None
    assert parameter_prefixes(baseline, "checkpoint.friday_noon_et.on_station.nato.aircraft") is None
    assert "forces.vjtf." in parameter_prefixes(baseline, "force.vjtf.ready_after_activation_h")
    assert parameter_prefixes(baseline, "axis.kyiv_north.arrival_h") >= {"adversary.axes.kyiv_north."}
    assert parameter_prefixes(baseline, "no.such.metric") is None


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_metrics_json_lists_every_metric_with_its_fields(baseline):
    r = _cli("metrics", BASELINE, "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    reg = metric_registry(baseline)
    assert [x["name"] for x in rows] == list(reg)
    for x in rows:
        assert {"name", "title", "unit", "kind", "description", "none_means"} <= set(x)
        assert all(isinstance(x[k], str) and x[k] for k in ("title", "unit", "kind", "description", "none_means"))
        assert x["kind"] in {k.value for k in MetricKind}
    by = {x["name"]: x for x in rows}
    assert by["force.vjtf.ready_after_activation_h"]["subject"] == {"force": "vjtf", "state": "ready"}
    assert by["checkpoint.friday_noon_et.on_station.nato.ships"]["unit"] == "ships"


def test_metrics_table_is_readable_at_80_columns(baseline):
    r = _cli("metrics", BASELINE)  # CliRunner's console is 80 columns wide
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert max(len(ln) for ln in lines) <= 80
    words = r.output.split()
    assert all(name in words for name in metric_registry(baseline))  # no name broken across lines
    assert "Friday noon, US Eastern time" in r.output and "share of" in r.output


def test_metrics_of_a_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    r = _cli("metrics", bad, "--json")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_the_readiness_chart_draws_the_forces_objectives_are_about():
    base = load_scenario(BASELINE)
    assert "allied_air_alert" not in drawn_forces(base)  # in place from the start, no objective on it
    assert window_marks(base, "vjtf") == [48.0, 72.0]  # from the objective vjtf_ready, 48-72 h
    other = load_scenario(BASELINE, [
        "objectives.vjtf_ready.metric=force.nrf_air.ready_after_activation_h",
        "objectives.vjtf_ready.target={gte: 10, lte: 30}",
        "objectives.vjtf_in_place.metric=checkpoint.friday_noon_et.force.allied_air_alert.stage"])
    assert "allied_air_alert" in drawn_forces(other)  # named by an objective's checkpoint-stage metric
    assert window_marks(other, "nrf_air") == [10.0, 30.0]
    assert window_marks(other, "vjtf") == []  # no objective on the VJTF's activation window: no marks
    assert readiness_gantt(other, run(other, 1)).svg.startswith(b"<?xml")


def test_window_marks_of_a_force_not_called_vjtf(write):
    s = load_scenario(write("mini.yaml", MINIMAL))
    assert window_marks(s, "f1") == [12.0]
    assert drawn_forces(s) == ["f1"]


def test_time_sentences_read_the_kind_not_the_name(baseline):
    from sim.workshop.summary import describe, metric_title, percentile_rank

    reg = metric_registry(baseline)
    rank = percentile_rank(50, list(np.linspace(40, 60, 11)))
    assert describe(reg["force.vjtf.ready_after_activation_h"], "VJTF ready", 50, rank) == \
        "VJTF ready 50 h after activation: later than 45% of 11 simulated runs"
    assert describe(reg["checkpoint.friday_noon_et.tension"], "Tension", 50, rank) == \
        "Tension: 50, higher than 45% of 11 simulated runs"
    assert metric_title(baseline, "event.decision.nrf_deploy.h") == "Decision \u201cDeploy NRF elements?\u201d"
    assert metric_title(baseline, "force.vjtf.in_place_h") == "VJTF (France lead) in place"
