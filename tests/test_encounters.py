"""Graded encounters on a severity ladder, and deconfliction measures over time (issue 10 items 7 and 8).

Statistical checks compare counts with their configured expectation: a class's count among n encounters
is binomial, so it must lie within 4 standard errors, sqrt(n p (1 - p)), of n p (a false alarm about
once in 16,000 runs of a check); the number of encounters in a stretch is Poisson (sd = sqrt(mean)).
"""
import math

import pytest
from conftest import BASELINE
from typer.testing import CliRunner

from sim import load_scenario, run
from sim.cli.app import app
from sim.engine.deconfliction import Encounters, graded_shares, pick_class
from sim.engine.escalation import Tension
from sim.engine.trace import EncounterRecord, IncidentRecord
from sim.engine.world import Uniforms, World
from sim.scenario.causes import Source, SourceKind
from sim.scenario.metrics import Family, metric_registry
from sim.scenario.tables import load_severity_ladder

# constant presence: 0.02 x 10 x 10 = 2 air encounters an hour, 0.01 x 10 x 10 = 1 at sea
GRADED = """\
name: graded
title: Graded
description: constant presence so encounter and class rates are known
clock: {{start: 2022-01-01T00:00:00+00:00, horizon_h: {horizon}}}
sides:
  blue: {{name: Blue}}
  red: {{name: Red, role: red}}
escalation:
  initial_tension: 0
  half_life_h: 10
  rungs: [{{name: calm, threshold: 0}}]
forces:
  ba: {{name: BA, side: blue, kind: air, strength: 10, unit: aircraft, initial_state: in_place}}
  ra: {{name: RA, side: red, kind: air, strength: 10, unit: aircraft, initial_state: in_place}}
  bs: {{name: BS, side: blue, kind: sea, strength: 10, unit: ships, initial_state: in_place}}
  rs: {{name: RS, side: red, kind: sea, strength: 10, unit: ships, initial_state: in_place}}
deconfliction:
  between: [blue, red]
  encounter_rate: {{air: 0.02, sea: 0.01}}
  areas: {{air: baltic_sea, sea: black_sea}}
  severity:
    classes:
      - {{id: routine, name: Routine, share: 0.7, domain_share: {{sea: 0.85}}, tension: 0, measure_factor: 1,
         basis: assumption}}
      - {{id: unsafe, name: Unsafe, share: 0.2, domain_share: {{sea: 0.1}}, tension: 0, measure_factor: 0.5,
         basis: assumption}}
      - {{id: serious, name: Serious, share: 0.1, domain_share: {{sea: 0.05}}, tension: 0, measure_factor: 0.5,
         basis: assumption}}
  measures:
{measures}
{injects}
"""


def _scenario(write, measures="    {}", injects="", horizon=2000, name="graded.yaml"):
    text = GRADED.format(horizon=horizon, measures=measures, injects=injects)
    if measures.strip() == "{}":
        text = text.replace("  measures:\n    {}\n", "")
    return load_scenario(write(name, text))


def _within(count: int, n: int, p: float, sds: float = 4.0) -> bool:
    return abs(count - n * p) <= sds * math.sqrt(n * p * (1 - p)) + 1e-9


def _graded(r):
    return [x for x in r.trace if isinstance(x, EncounterRecord | IncidentRecord)]


def test_each_class_is_drawn_at_its_configured_rate_in_each_domain(write):
    s = _scenario(write)
    r = run(s, seed=7)
    recs = _graded(r)
    for dom, shares in (("air", {"routine": 0.7, "unsafe": 0.2, "serious": 0.1}),
                        ("sea", {"routine": 0.85, "unsafe": 0.1, "serious": 0.05})):
        mine = [x for x in recs if x.domain == dom]
        n = len(mine)
        # Poisson count of encounters over 2,000 h at 2 (air) or 1 (sea) an hour
        mean = 2000 * (2.0 if dom == "air" else 1.0)
        assert abs(n - mean) < 4 * math.sqrt(mean), (dom, n)
        for cid, p in shares.items():
            k = sum(x.severity == cid for x in mine)
            assert _within(k, n, p), (dom, cid, k, n, p)
            assert r.metrics[f"encounters.{dom}.{cid}"] == k
        assert r.metrics[f"encounters.{dom}"] == n
        assert all(x.place == ("baltic_sea" if dom == "air" else "black_sea") for x in mine)
    # incidents are the classes above routine; a class across domains is the sum of its domains
    graver = [x for x in recs if x.severity != "routine"]
    assert r.metrics["incidents"] == len(graver) == sum(isinstance(x, IncidentRecord) for x in recs)
    assert all(isinstance(x, IncidentRecord) == (x.severity != "routine") for x in recs)
    for cid in ("routine", "unsafe", "serious"):
        assert r.metrics[f"severity.{cid}"] == r.metrics[f"encounters.air.{cid}"] + r.metrics[f"encounters.sea.{cid}"]
    assert r.metrics["encounters"] == len(recs)


def test_a_measure_lowers_the_classes_it_names_by_its_factor_and_counts_its_uses(write):
    # "line" halves unsafe and leaves serious alone; "conduct" names no factor: the ladder's (0.5) on both
    s = _scenario(write, measures="    line: {name: Line, lowers: {unsafe: 0.5}}\n"
                                  "    conduct: {name: Conduct, active: false}")
    r = run(s, seed=11)
    air = [x for x in _graded(r) if x.domain == "air"]
    n = len(air)
    # shares with line on: unsafe 0.2 x 0.5 = 0.1, serious 0.1, routine the rest
    assert _within(sum(x.severity == "unsafe" for x in air), n, 0.1)
    assert _within(sum(x.severity == "serious" for x in air), n, 0.1)
    assert _within(sum(x.severity == "routine" for x in air), n, 0.8)
    # a use: the same draw without the line would have been graver, i.e. it fell in the unsafe share it removed
    total = r.metrics["encounters"]
    expected = 2000 * 2.0 * 0.1 + 2000 * 1.0 * 0.05   # air: 0.2 - 0.1; sea: 0.1 - 0.05 (Poisson in total)
    assert abs(r.metrics["measure.line.uses"] - expected) < 4 * math.sqrt(expected)
    assert r.metrics["measure.conduct.uses"] == 0 and r.metrics["measure.conduct.opened_h"] is None
    assert r.metrics["measure.line.opened_h"] == 0.0
    assert total == len(_graded(r))


def test_a_measure_opens_closes_and_fails_as_configured(write):
    # the line opens at H+500, closes at H+1000; a second line opens on an inject and an inject makes it
    # fail at H+1500: after that it is off although it was never switched off
    measures = ("    line: {name: Line, factor: 0.25, opens: {at_h: 500}, closes: {at_h: 1000}}\n"
                "    other: {name: Other, factor: 0.5, opens: {when: {event: talks}}}")
    injects = ("injects:\n"
               "  talks: {title: Talks, text: Talks open., at_h: 1250}\n"
               "  cut: {title: Cut, text: The line is cut., at_h: 1500, effects: [{measure: {id: other, fail: true}}]}\n"
               "  retry: {title: Retry, text: Try again., at_h: 1750, effects: [{measure: {id: other, active: true}}]}")
    s = _scenario(write, measures=measures, injects=injects)
    r = run(s, seed=5)
    air = [x for x in _graded(r) if x.domain == "air"]

    def share(lo, hi):
        part = [x for x in air if lo <= x.t_h < hi]
        return sum(x.severity != "routine" for x in part), len(part)

    for (lo, hi), p in (((0, 500), 0.3), ((500, 1000), 0.3 * 0.25), ((1000, 1250), 0.3),
                        ((1250, 1500), 0.3 * 0.5), ((1500, 2000), 0.3)):
        k, n = share(lo, hi)
        assert n > 300 and _within(k, n, p), (lo, hi, k, n, p)
    assert r.metrics["measure.line.opened_h"] == 500.0
    assert r.metrics["measure.other.opened_h"] == 1250.0
    effects = [x for x in r.trace if x.kind == "effect"]
    assert [(x.t_h, x.effect, x.measure) for x in effects] == [
        (500.0, "measure", "line"), (1000.0, "measure", "line"), (1250.0, "measure", "other"),
        (1500.0, "measure_fail", "other")]   # the retry at H+1750 does not turn a failed line on
    assert effects[0].cause.kind is SourceKind.MEASURE and effects[0].active and not effects[1].active


def test_the_opening_hour_is_drawn_at_its_own_path(write):
    s = _scenario(write, measures="    line: {name: Line, opens: {at_h: {dist: uniform, low: 10, high: 20}}}",
                  horizon=50)
    hours = {run(s, seed=q, keep_trace=False).metrics["measure.line.opened_h"] for q in range(8)}
    assert len(hours) == 8 and all(10 <= h <= 20 for h in hours)
    moved = load_scenario(BASELINE, ["deconfliction.measures.hotline.opens.at_h=100"])
    assert run(moved, 1, keep_trace=False).metrics["measure.hotline.opened_h"] == 100.0


def test_the_tension_spiral_shifts_probability_towards_the_graver_classes(write):
    s = _scenario(write)
    s = s.model_copy(update={"deconfliction": s.deconfliction.model_copy(update={"tension_sensitivity": 0.5})})
    w = World(s, 0)
    Tension(w)
    enc = Encounters(w, Uniforms(w.streams, "encounters"))
    calm = enc.shares("air")
    w.add_tension(100, "x", Source(SourceKind.INJECT, "x", "x"))
    hot = enc.shares("air")
    g = 1 + 0.5 * w.tension.value() / 100
    assert hot[1] == pytest.approx(calm[1] * g) and hot[2] == pytest.approx(calm[2] * g ** 2)
    assert hot[2] / hot[1] > calm[2] / calm[1]   # graver grows faster
    assert pick_class([0.0, 0.2, 0.1], 0.05) == 2 and pick_class([0.0, 0.2, 0.1], 0.15) == 1
    assert pick_class([0.0, 0.2, 0.1], 0.31) == 0


def test_p_incident_shares_out_the_graver_classes_in_their_proportions():
    lad = load_severity_ladder()
    shares = graded_shares(lad, "air", 0.1)
    base = lad.domain_shares("air")
    assert shares[0] == pytest.approx(0.9) and math.fsum(shares) == pytest.approx(1.0)
    assert shares[2] / shares[1] == pytest.approx(base[2] / base[1])
    assert graded_shares(lad, "air", None) == base


def test_legacy_records_keep_their_layout_and_graded_ones_carry_class_and_place(write, baseline):
    legacy = EncounterRecord(domain="air", p=0.1, encounters=1).to_dict()
    assert not {"severity", "name", "place"} & set(legacy)
    r = run(baseline, 3)
    graded = [x.to_dict() for x in _graded(r)]
    assert graded and all(d["severity"] and d["place"] in ("baltic_sea", "black_sea") for d in graded)
    assert any(d["text"].endswith("encounter: routine intercept") for d in graded)


def test_the_registry_describes_each_class_domain_and_measure(baseline):
    reg = metric_registry(baseline)
    lad = baseline.deconfliction.severity
    by = {f: [m for m in reg.values() if m.family is f] for f in Family}
    assert {m.severity for m in by[Family.SEVERITY]} == {c.id for c in lad.classes}
    assert {(m.domain, m.severity) for m in by[Family.ENCOUNTER_CLASS]} == \
        {(d, c.id) for d in ("air", "sea") for c in lad.classes}
    assert {m.measure for m in by[Family.MEASURE_USES]} == set(baseline.deconfliction.measures)
    assert "Baltic Sea" in reg["encounters.air"].description
    assert "unsafe or unprofessional intercept" in reg["incidents"].description
    assert "not routine intercept" in reg["incidents"].description


def test_the_baseline_hotline_opens_on_1_march(baseline):
    hours = [run(baseline, q, keep_trace=False).metrics["measure.hotline.opened_h"] for q in range(10)]
    march_1 = baseline.clock.hours(baseline.clock.start.replace(month=3, day=1, hour=0))
    assert all(march_1 <= h <= march_1 + 24 for h in hours)


BAD = [
    ("share: 0.7, domain_share: {sea: 0.85}", "share: 0.6, domain_share: {sea: 0.85}",
     "deconfliction.severity.classes: shares must sum to 1, not 0.9"),
    ("share: 0.7, domain_share: {sea: 0.85}", "share: 0.7, domain_share: {sea: 0.8}",
     "deconfliction.severity.classes: the sea shares (domain_share, else share) must sum to 1, not 0.95"),
    ("areas: {air: baltic_sea", "areas: {air: atlantis", "deconfliction.areas.air: unknown place id 'atlantis'"),
]


@pytest.mark.parametrize("old, new, expect", BAD, ids=["shares", "domain-shares", "area"])
def test_a_bad_ladder_or_area_is_one_located_line(write, old, new, expect):
    text = GRADED.format(horizon=10, measures="    {}", injects="").replace("  measures:\n    {}\n", "")
    assert old in text
    p = write("bad.yaml", text.replace(old, new))
    r = CliRunner().invoke(app, ["validate", str(p)])
    errs = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert r.exit_code == 2 and len(errs) == 1 and "Traceback" not in r.output, r.output
    line = next(i for i, ln in enumerate(text.replace(old, new).splitlines(), 1) if new.split(",")[0] in ln)
    assert errs[0].startswith(f"error: {p}:") and expect in errs[0], errs[0]
    if "shares" not in expect:
        assert errs[0].startswith(f"error: {p}:{line}:")


@pytest.mark.parametrize("measures, injects, expect", [
    ("    line: {name: Line, lowers: {unsafe_x: 0.5}}", "",
     "deconfliction.measures.line.lowers.unsafe_x: unknown severity class 'unsafe_x'; did you mean 'unsafe'?"),
    ("    line: {name: Line}", "injects:\n  cut: {title: Cut, text: x, at_h: 1, effects: [{measure: {id: lin, fail: true}}]}",
     "injects.cut.effects.0.measure.id: unknown measure 'lin'"),
    ("    line: {name: Line, opens: {at_h: 1, when: {event: x}}}", "",
     "deconfliction.measures.line.opens: give exactly one of at_h, at_time, when"),
])
def test_a_bad_measure_is_one_located_line(write, measures, injects, expect):
    text = GRADED.format(horizon=10, measures=measures, injects=injects)
    p = write("bad.yaml", text)
    r = CliRunner().invoke(app, ["validate", str(p)])
    errs = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert r.exit_code == 2 and len(errs) == 1 and "Traceback" not in r.output, r.output
    assert errs[0].startswith(f"error: {p}:") and expect in errs[0], errs[0]


def test_the_p_incident_model_still_refuses_a_measure_without_a_factor(write):
    text = GRADED.format(horizon=10, measures="    line: {name: Line}", injects="")
    start, end = text.index("  severity:"), text.index("  measures:")
    text = text[:start] + "  p_incident: 0.2\n  incident_tension: 1\n" + text[end:]
    r = CliRunner().invoke(app, ["validate", str(write("legacy.yaml", text))])
    assert r.exit_code == 2 and "every measure needs a factor: line" in r.output, r.output


def test_a_failed_line_is_the_why_of_the_deconfliction_objective():
    from sim.report.causes import explain

    # a target no run meets, so that the objective is missed and explained
    s = load_scenario(BASELINE.parent / "hotline-down.yaml", ["objectives.deconfliction_holds.target={lte: -1}"])
    r = run(s, 2)
    (fail,) = [x for x in r.trace if x.kind == "effect" and x.effect == "measure_fail"]
    assert (fail.t_h, fail.measure, fail.cause.id) == (0.0, "hotline", "hotline_refused")
    assert r.metrics["measure.hotline.opened_h"] is None and r.metrics["measure.hotline.uses"] == 0
    w = explain(s, "deconfliction_holds", r)
    assert w.kind.value == "measure_off" and "Military-to-military deconfliction line fails at H+0" in w.headline
