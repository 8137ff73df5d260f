"""Global sensitivity (Sobol, Morris) and scenario discovery (PRIM) on scenarios with a known answer."""
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sim import load_scenario
from sim.batch import prim
from sim.batch.analyses import listing, load
from sim.batch.discover import discover
from sim.batch.factors import factors, parameter_label
from sim.batch.gsa import Outcome, analyse
from sim.cli.app import app

# the objective (ready within 12 h of activation) is the notice to move alone: P = 7/15 over 5..20
ONE = """\
name: one
title: One parameter decides
description: the objective reads the notice to move alone; transit, the go time and the decision do not move it
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 100}
sides:
  blue: {name: Blue}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
forces:
  f1:
    name: First Brigade
    side: blue
    kind: land
    strength: 100
    unit: troops
    activate_when: {event: go}
    deploy_when: {decision: posture, option: deploy}
    notice_to_move_h: {dist: uniform, low: 5, high: 20}
    transit_h: {dist: uniform, low: 2, high: 8}
injects:
  go: {title: Go, text: Activate., at_h: {dist: uniform, low: 1, high: 5}}
decisions:
  posture:
    title: Posture
    team: blue
    at_h: 8
    default: deploy
    options:
      deploy: {label: Deploy}
      stay: {label: Stay, effects: [{hold: f1}]}
objectives:
  ready:
    title: ready within 12 h of activation
    metric: force.f1.ready_after_activation_h
    target: {lte: 12}
"""

# a planted failure region: "early" is missed exactly when both a and b come after H+6
# (the early signal waits for H+6 and for a or b); c is a distractor that moves nothing
PLANTED = """\
name: planted
title: Planted failure region
description: the objective fails when a and b both come late
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 40}
sides:
  blue: {name: Blue}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs: [{name: calm, threshold: 0}]
injects:
  a: {title: Alpha, text: a, at_h: {dist: uniform, low: 0, high: 10}}
  b: {title: Bravo, text: b, at_h: {dist: uniform, low: 0, high: 10}}
  c: {title: Charlie, text: c, at_h: {dist: uniform, low: 0, high: 10}}
  d:
    title: Delta
    text: d
    when: {all: [{metric: time_h, gte: 6}, {any: [{event: a}, {event: b}]}]}
objectives:
  early:
    title: Delta by H+6
    metric: event.d.h
    target: {lte: 6.001}
"""


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    d = tmp_path_factory.mktemp("one")
    p = d / "one.yaml"
    p.write_text(ONE)
    return p


@pytest.fixture(scope="module")
def sobol_serial(one):
    return analyse("sobol", one, Outcome(objective="ready"), samples=128, seed=3, workers=1)


def test_factors_have_plain_labels_and_categories(one):
    s = load_scenario(one)
    kept, pruned = factors(s, s.objectives["ready"].metric)
    by = {f.path: f for f in kept}
    assert set(by) == {"forces.f1.notice_to_move_h", "forces.f1.transit_h", "injects.go.at_h",
                       "decisions.posture.default"}
    assert by["forces.f1.notice_to_move_h"].label == "First Brigade notice to move (h)"
    assert by["decisions.posture.default"].label == "option taken at decision \u201cPosture\u201d"
    post = by["decisions.posture.default"]
    assert post.kind == "categorical" and [post.value(u) for u in (0.0, 0.49, 0.5, 0.999, 1.0)] == \
        ["deploy", "deploy", "stay", "stay", "stay"]
    assert by["forces.f1.transit_h"].override(0.5) == "forces.f1.transit_h=5"
    assert parameter_label(s, "injects.go.at_h") == "inject \u201cGo\u201d time (H+)"
    assert pruned == []


def test_sobol_total_index_near_1_for_the_deciding_parameter_and_0_for_the_others(sobol_serial):
    res = sobol_serial
    assert res.points == 128 * (4 + 2) and res.runs <= res.points  # points with the same overrides run once
    rows = {r["name"]: r for r in res.parameters}
    top = res.parameters[0]
    assert top["name"] == "forces.f1.notice_to_move_h"
    assert abs(top["ST"] - 1) < 0.15 and top["ST"] - top["ST_conf"] < 1 < top["ST"] + top["ST_conf"] + 0.05
    assert top["S1"] > 0.8  # a function of one variable: no interaction either
    for name in ("forces.f1.transit_h", "injects.go.at_h", "decisions.posture.default"):
        r = rows[name]
        for k in ("S1", "ST"):
            assert r[k] - r[k + "_conf"] <= 0 <= r[k] + r[k + "_conf"], (name, k, r)
    assert res.y_mean == pytest.approx(7 / 15, abs=0.08)
    assert set(res.to_dict()["parameters"][0]) >= {"name", "S1", "S1_conf", "ST", "ST_conf"}


def test_sobol_identical_for_1_and_2_workers(one):
    one_w, two_w = (analyse("sobol", one, Outcome(objective="ready"), samples=32, seed=3, workers=w) for w in (1, 2))
    assert json.dumps(two_w.to_dict(), sort_keys=True) == json.dumps(one_w.to_dict(), sort_keys=True)
    assert one_w.parameters[0]["name"] == "forces.f1.notice_to_move_h"


def test_seed_0_gives_the_same_intervals_every_time(one):
    # SALib leaves a seed of 0 to numpy's global random state; the analysis must not
    a, b = (analyse("sobol", one, Outcome(objective="ready"), samples=16, seed=0) for _ in range(2))
    assert a.parameters == b.parameters and a.parameters[0]["ST_conf"] > 0


def test_morris_ranks_the_deciding_parameter_and_is_identical_for_1_and_2_workers(one):
    a = analyse("morris", one, Outcome(objective="ready"), samples=12, seed=5, workers=1)
    b = analyse("morris", one, Outcome(objective="ready"), samples=12, seed=5, workers=2)
    assert a.to_dict() == b.to_dict()
    assert a.parameters[0]["name"] == "forces.f1.notice_to_move_h" and a.parameters[0]["mu_star"] > 0.3
    assert all(r["mu_star"] == 0 and r["sigma"] == 0 for r in a.parameters[1:])
    assert set(a.parameters[0]) >= {"name", "mu_star", "mu_star_conf", "sigma"}


@pytest.mark.slow
def test_morris_on_a_dask_cluster_is_identical_to_one_worker(one):
    distributed = pytest.importorskip("distributed")
    serial = analyse("morris", one, Outcome(objective="ready"), samples=6, seed=2, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = analyse("morris", one, Outcome(objective="ready"), samples=6, seed=2,
                       cluster=cluster.scheduler_address)
    assert dask.to_dict() == serial.to_dict()


def test_a_metric_and_bad_requests(one):
    res = analyse("morris", one, Outcome(metric="force.f1.ready_after_activation_h"), samples=4, seed=1)
    # the notice to move is the metric: its elementary effect over the whole range is 20 - 5 = 15 h
    assert res.parameters[0]["name"] == "forces.f1.notice_to_move_h"
    assert res.parameters[0]["mu_star"] == pytest.approx(15, abs=1e-6)
    from sim.scenario.errors import ScenarioError
    with pytest.raises(ScenarioError, match="power of 2"):
        analyse("sobol", one, Outcome(objective="ready"), samples=100)
    with pytest.raises(ScenarioError, match="no objective 'nope'"):
        analyse("sobol", one, Outcome(objective="nope"), samples=8)
    with pytest.raises(ScenarioError, match="no such metric"):
        analyse("morris", one, Outcome(metric="force.f9.in_place_h"), samples=4)


def test_prim_recovers_a_box_from_synthetic_cases():
    rng = np.random.default_rng(1)
    x = rng.random((600, 3))
    y = ((x[:, 0] > 0.6) & (x[:, 1] > 0.7)).astype(int)
    tr = prim.peel(x, y, [False] * 3)
    assert tr[0].coverage == 1 and tr[0].density == pytest.approx(y.mean())
    assert all(b.mass >= 0.05 for b in tr)
    assert [b.density for b in tr] == sorted(b.density for b in tr)  # each peel raises the density here
    box, dropped = prim.drop_insignificant(x, y, tr[prim.choose(tr)], [False] * 3)
    assert box.restricted == [0, 1] and box.density > 0.95 and box.coverage > 0.85
    assert abs(box.limits[0].low - 0.6) < 0.05 and abs(box.limits[1].low - 0.7) < 0.05


def test_discovery_recovers_the_planted_region(tmp_path):
    p = tmp_path / "planted.yaml"
    p.write_text(PLANTED)
    res = discover(p, Outcome(objective="early"), samples=300, seed=4, prune=False)
    d = res.to_dict()
    # planted: a > 6 and b > 6 (16 % of the square); tolerance: one peel (5 % of the range) per bound
    assert d["base_rate"] == pytest.approx(0.16, abs=0.05)
    rs = {r["parameter"]: r for r in d["box"]["restrictions"]}
    assert set(rs) == {"injects.a.at_h", "injects.b.at_h"}  # the distractor c is not restricted
    for r in rs.values():
        assert abs(r["low"] - 6) <= 0.6 and r["high_open"] and r["p_value"] < 0.001
    assert d["box"]["density"] > 0.9 and d["box"]["coverage"] > 0.8
    assert d["sentence"].startswith("When inject \u201cAlpha\u201d time (H+) exceeds") or \
        d["sentence"].startswith("When inject \u201cBravo\u201d time (H+) exceeds")
    assert "is missed in" in d["sentence"] and "of all misses" in d["sentence"]
    assert all(set(b) >= {"coverage", "density", "restrictions"} for b in d["boxes"])


def test_cli_sobol_json_chart_and_stored(one, tmp_path):
    runner = CliRunner()
    db = tmp_path / "r.db"
    r = runner.invoke(app, ["sensitivity", str(one), "--objective", "ready", "--method", "sobol", "--samples", "16",
                            "-w", "1", "--json", "--db", str(db), "--chart", str(tmp_path / "s.svg")])
    assert r.exit_code == 0, r.output
    assert "16 x (4 + 2) = 96 sample points" in r.stderr
    d = json.loads(r.stdout)
    assert d["method"] == "sobol" and len(d["parameters"]) == 4 and d["points"] == 96
    assert (tmp_path / "s.svg").read_bytes().startswith(b"<?xml")
    (a,) = listing(db)
    assert a["kind"] == "sobol" and a["params"]["samples"] == 16 and a["params"]["objective"] == "ready"
    assert load(db, a["id"])["parameters"] == d["parameters"]
    r = runner.invoke(app, ["results", "--db", str(db)])
    assert r.exit_code == 0 and "sobol" in r.stdout and "ready" in r.stdout
    r = runner.invoke(app, ["sensitivity", str(one), "--objective", "ready", "--method", "sobol", "--samples", "10",
                            "--db", str(db)])
    assert r.exit_code == 2 and "power of 2" in r.stderr
    r = runner.invoke(app, ["sensitivity", str(one), "--objective", "ready", "--method", "anova"])
    assert r.exit_code == 2 and "--method: one of oat, morris, sobol" in r.stderr


def test_cli_discover_prints_a_sentence(tmp_path):
    p = tmp_path / "planted.yaml"
    p.write_text(PLANTED)
    runner = CliRunner()
    r = runner.invoke(app, ["discover", str(p), "--objective", "early", "--samples", "120", "-w", "1",
                            "--all-parameters", "--db", str(tmp_path / "r.db"), "--chart", str(tmp_path / "d.png")])
    assert r.exit_code == 0, r.output
    assert "Latin hypercube: 120 sample points of 3 parameters" in r.stderr
    assert "When inject" in r.stdout and "Delta by H+6" in r.stdout and "of all misses" in r.stdout
    assert (tmp_path / "d.png").read_bytes()[:4] == b"\x89PNG"
    r = runner.invoke(app, ["discover", str(p), "--metric", "event.d.h"])
    assert r.exit_code == 2 and "give exactly one of --above X or --below X" in r.stderr
    r = runner.invoke(app, ["discover", str(p), "--metric", "event.d.h", "--above", "nan", "--samples", "0"])
    assert r.exit_code == 2 and "--above: a finite number, got nan" in r.stderr and "--samples: must be at least 1" \
        in r.stderr and "Traceback" not in r.output


def test_report_sections_fresh_and_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    p = tmp_path / "planted.yaml"
    p.write_text(PLANTED)
    runner = CliRunner()
    db = tmp_path / "r.db"
    r = runner.invoke(app, ["discover", str(p), "--objective", "early", "--samples", "60", "-w", "1",
                            "--all-parameters", "--db", str(db)])
    assert r.exit_code == 0, r.output
    # the stored discovery, on its own scenario, and a fresh Morris screening beside it
    r = runner.invoke(app, ["report", "--db", str(db), "--analysis", "1", "--reps", "3", "-w", "1", "--sensitivity",
                            "early", "--method", "morris", "--samples", "4", "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "b" / "aar.md").read_text()
    assert "Scenario discovery: where early is missed" in md and "(stored analysis 1)" in md
    assert "When inject" in md and "| Restriction | p-value |" in md
    assert "Global sensitivity of P(early): Morris screening" in md and "Morris elementary effects" in md
    assert "| inject \u201cAlpha\u201d time (H+) | " in md and "*Limits:*" in md
    data = json.loads((tmp_path / "b" / "data.json").read_text())
    assert [a["kind"] for a in data["analyses"]] == ["discover", "morris"]
    assert {r["name"] for r in data["analyses"][0]["box"]["restrictions"]} <= {"injects.a.at_h", "injects.b.at_h"}
    assert (tmp_path / "b" / "charts" / "analysis-2.svg").exists()
    html = (tmp_path / "b" / "aar.html").read_text()
    assert "Morris screening" in html and "Scenario discovery (PRIM)" in html
    r = runner.invoke(app, ["report", "--db", str(db), "--analysis", "7"])
    assert r.exit_code == 2 and "no analysis 7" in r.stderr
    r = runner.invoke(app, ["report", str(p), "--method", "sobol"])
    assert r.exit_code == 2 and "--method goes with --sensitivity" in r.stderr


def test_charts_are_reproducible_and_take_any_label(sobol_serial):
    from sim.report.gsa_charts import discovery_chart, gsa_chart

    d = sobol_serial.to_dict()
    d["parameters"][0]["label"] = "cost in $ and $x$ [bold]"  # mathtext and markup are shown as typed
    a, b = gsa_chart(d, "svg"), gsa_chart(d, "svg")
    assert a == b and a.startswith(b"<?xml")
    rng = np.random.default_rng(0)
    x = rng.random((50, 2)).tolist()
    disc = {"scenario": "s", "runs": 50, "seed": 0, "boxes": [{"coverage": 1, "density": 0.2}],
            "box": {"coverage": 1, "density": 0.2, "restrictions": []}, "x": x, "y": [int(r[0] > 0.8) for r in x],
            "parameters": [{"name": n, "label": n, "kind": "continuous", "low": 0, "high": 1} for n in "ab"]}
    assert discovery_chart(disc, "png") == discovery_chart(disc, "png")
