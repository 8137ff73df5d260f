"""The report at scale (issue 13 item 10) and its theatre map: replications on the batch layer's pool give
the same report whatever the number of workers; the report keeps per-run numbers and a bounded number of
full traces; the causes counted from the workers' notes are those read from full traces; each chart is
laid out once and saved once per format; the map projects the places inside its frame, draws a route per
force with places, and is in the HTML and the Markdown."""
from __future__ import annotations

import json
import os
import pickle
import re
from datetime import datetime
from pathlib import Path

import matplotlib.figure as mfig
import pytest

from sim import load_scenario
from sim.batch.seeds import replication_seed
from sim.engine.run import run
from sim.report import causes as C
from sim.report.causes import CauseKind
from sim.report.generate import ReportRequest, make_report
from sim.report.map import Layer, Spot, layers_of, plan, theatre_map
from sim.report.montecarlo import Job, Part, replicate, run_part, summarise, summarise_runs
from sim.scenario.places import place_of

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
SLIP = ROOT / "scenarios" / "vjtf-slip.yaml"


@pytest.fixture
def epoch():
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    yield
    if old is None:
        del os.environ["SOURCE_DATE_EPOCH"]
    else:
        os.environ["SOURCE_DATE_EPOCH"] = old


@pytest.mark.slow
def test_workers_1_and_2_write_the_same_report_data(tmp_path, epoch):
    s = load_scenario(SLIP)
    data = []
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        make_report(ReportRequest(s, SLIP, reps=40, seed=3, out=out, formats=("md",), workers=w))
        data.append((out / "data.json").read_text(encoding="utf-8"))
    assert data[0] == data[1]
    d = json.loads(data[0])
    assert d["method"]["reps"] == 40
    assert any(o["causes"] for o in d["objectives"])   # the slip misses objectives: causes were counted


def test_causes_from_the_workers_notes_are_those_of_the_full_traces():
    """The compact notes (a late force's numbers, resolved with the batch's medians) count the same causes,
    with the same example runs, as reading every full trace with the batch's context did."""
    s = load_scenario(SLIP)
    reps = replicate(s, 60, 5, workers=2)
    full = [run(s, replication_seed(5, i), keep_trace=True) for i in range(60)]
    summ = summarise(reps)
    ctx = {"medians": {k: v["p50"] for k, v in summ["metrics"].items() if v.get("p50") is not None},
           "reference": load_scenario(BASE)}
    kinds = set()
    for oid in s.objectives:
        assert reps.causes(oid, ctx) == C.batch_causes(s, oid, full, ctx)
        for pos, n in reps.notes(oid):
            assert C.cause_of(s, n, ctx)[0] == C.explain(s, oid, full[pos], ctx).key
            kinds.add(C.cause_of(s, n, ctx)[1])
    assert any(isinstance(n, C.LateForce) for oid in s.objectives for _, n in reps.notes(oid))
    assert kinds  # some objective was missed, so the comparison above compared something
    for oid in s.objectives:
        assert reps.met(oid) == [r.objectives[oid].met for r in full]
    for m in ("incidents", "peak_tension", "force.vjtf.in_place_h"):
        assert reps.metric_values(m) == [r.metrics.get(m) for r in full]   # ints stay ints, None stays None


def test_the_medians_can_change_a_late_forces_cause():
    """Why the notes wait for the batch: notice 10 h over its mean (60 h); activation 1 h after the median
    blames the notice, 28 h after it blames the activation."""
    late = C.LateForce("vjtf", ("activation", "notice", "delay", "wait", "transit"),
                       (("activation", 30.0), ("notice", 70.0), ("delay", 0.0), ("wait", 0.0), ("transit", 24.0)),
                       100.0, False)
    s = load_scenario(BASE)
    assert late.kind(s, {"medians": {"force.vjtf.activated_h": 29.0}}) is CauseKind.LONG_NOTICE
    assert late.kind(s, {"medians": {"force.vjtf.activated_h": 2.0}}) is CauseKind.LATE_ACTIVATION


def test_a_workers_part_holds_numbers_not_traces():
    s = load_scenario(BASE)
    part = run_part(Job(s, 1), Part(0, range(20)))
    assert part.values.shape == (20, len(run(s, 0).metrics))
    traced = [run(s, replication_seed(1, i), keep_trace=True) for i in range(20)]
    assert len(pickle.dumps(part)) < len(pickle.dumps(traced)) / 10


@pytest.mark.slow
def test_full_traces_kept_do_not_grow_with_the_replications():
    """The report keeps a full trace only for the causes' example runs: one per (objective, cause category)
    at most, a bound set by the scenario's objectives and the kinds of cause, not by the number of runs."""
    from sim.report import aar
    from sim.report.parameters import fact_lookup
    s = load_scenario(SLIP)
    kept = []
    for n in (30, 300):
        reps = replicate(s, n, 2, workers=2)
        summ = summarise(reps)
        x = aar.Inputs(s, run(s, 2), reps, summ, 2, aar.Source("scenario", "x.yaml", []),
                       datetime(2026, 1, 1), facts=fact_lookup(s))
        objectives = aar.analyse_objectives(s, x.narrated_run, reps, summ, x.context(), x.facts)
        assert reps.traces_kept == len({c.example_rep for o in objectives for c in o.causes})  # one per example run
        assert reps.traces_kept <= sum(len(o.causes) for o in objectives)   # the (objective, category) pairs
        kept.append(reps.traces_kept)
        assert len(reps.results) == n and reps.results[n - 1].metrics == run(s, replication_seed(2, n - 1)).metrics
    assert 0 < kept[0] <= kept[1] <= len(s.objectives) * len(CauseKind)
    assert kept[1] < 300 / 10   # a handful of traces for 300 runs


@pytest.mark.slow
def test_each_chart_is_laid_out_once_and_saved_once_per_format(tmp_path, epoch, monkeypatch):
    saves: dict[int, list[str]] = {}
    tight: list[object] = []
    renders: dict[int, int] = {}
    save, draw = mfig.Figure.savefig, mfig.Figure.draw

    def counting_save(self, *a, **k):
        saves.setdefault(id(self), []).append(k.get("format"))
        if k.get("bbox_inches") == "tight":
            tight.append(self)
        return save(self, *a, **k)

    def counting_draw(self, renderer):
        renders[id(self)] = renders.get(id(self), 0) + 1
        return draw(self, renderer)

    monkeypatch.setattr(mfig.Figure, "savefig", counting_save)
    monkeypatch.setattr(mfig.Figure, "draw", counting_draw)
    s = load_scenario(SLIP)
    w = make_report(ReportRequest(s, SLIP, reps=12, seed=1, out=tmp_path / "r", formats=("md",),
                                  compare_with=load_scenario(BASE)))
    charts = {p.stem for p in w.files if p.parent.name == "charts"}
    assert {"readiness", "escalation", "distributions", "probabilities", "comparison", "map"} <= charts
    assert len(saves) == len(charts)                      # one figure per chart
    assert all(sorted(f) == ["png", "svg"] for f in saves.values())
    assert not tight                                      # no savefig lays the figure out again
    # one layout pass and one render per format; the histograms, fitted to the figure by tight_layout and saved
    # whole, need no layout pass
    assert sorted(renders[k] for k in saves) == [2] + [3] * (len(saves) - 1)


def test_the_map_projects_its_places_inside_the_frame_and_draws_a_route_per_force():
    s = load_scenario(BASE)
    p = plan(s)
    with_places = [fid for fid, f in s.forces.items() if f.origin_place and f.destination_place]
    routed = [aid for aid, a in s.adversary.axes.items() if a.route]
    assert with_places and sorted(t.id for _, t, _ in p.lines) == sorted(
        [f"route-{f}" for f in with_places] + [f"axis-{a}" for a in routed])
    assert routed and [sp.name for ly in p.layers for sp in ly.points] == [
        f"{place_of(s, pid).name} ({dom} encounters)" for dom, pid in s.deconfliction.areas.items()]
    assert p.places
    for x, y in [*p.places.values(), *(q for _, _, xy in p.lines for q in xy)]:
        assert -1e-6 <= x <= p.width + 1e-6 and -1e-6 <= y <= p.height + 1e-6
    # Paris lies left of and above the Black Sea coast (x grows east, y grows south)
    paris, mk = p.places["Paris (stands for France, the VJTF lead nation)"], \
        p.places["Mihail Kogălniceanu Air Base (57th Air Base)"]
    assert paris[0] < mk[0] and paris[1] < mk[1]
    # a place beyond the theatre comes in at the map's edge, named as where the route comes from
    assert any(name.startswith("from Fort Bragg") and x < 1.0 for name, (x, _) in p.places.items())
    chart = theatre_map(s)
    assert chart is not None and chart.png.startswith(b"\x89PNG")
    svg = chart.svg.decode()
    for fid in with_places:
        assert f'id="route-{fid}"' in svg


def test_the_map_takes_more_layers_and_none_without_any():
    s = load_scenario(BASE)
    incident = Layer("incidents", "#CC79A7", "points", points=(Spot("air incident", (25.0, 45.0)),))
    chart = theatre_map(s, layers_of(s) + [incident])
    assert chart is not None and 'id="points-' in chart.svg.decode()
    assert theatre_map(s, []) is None


@pytest.mark.slow
def test_the_map_is_in_the_html_and_the_markdown(tmp_path, epoch):
    s = load_scenario(BASE)
    w = make_report(ReportRequest(s, BASE, reps=6, seed=0, out=tmp_path / "r", formats=("html", "md")))
    md = (w.out / "aar.md").read_text(encoding="utf-8")
    html = (w.out / "aar.html").read_text(encoding="utf-8")
    assert "](charts/map.svg)" in md
    assert re.search(r'<figure class="map"><img alt="Theatre map[^"]*" src="data:image/svg\+xml;base64,', html)
    assert (w.out / "charts" / "map.png").stat().st_size > 10_000
    assert any(c["name"] == "map" for c in w.data["charts"])


@pytest.mark.parametrize("path", [BASE, SLIP])
def test_a_part_run_without_traces_gives_the_numbers_and_notes_of_full_traces(path):
    """The workers trace only the runs that missed an objective (the baseline misses few, the slip most):
    the part's values, kinds, objectives met and cause notes are those read from every full trace."""
    s = load_scenario(path)
    job = Job(s, 4)
    part = run_part(job, Part(0, range(40)))
    full = summarise_runs(job, [job.run(i) for i in range(40)])
    assert part.names == full.names and part.oids == full.oids
    assert (part.values.tobytes(), part.kinds.tobytes(), part.met.tobytes()) == \
        (full.values.tobytes(), full.kinds.tobytes(), full.met.tobytes())
    assert part.notes == full.notes
    if path == SLIP:
        assert full.notes   # misses were noted, so the notes above compared something


def test_aside_computes_in_a_forked_child_and_falls_back_here():
    import subprocess
    import sys
    import threading

    from sim.report.generate import aside
    code = ("import os; from sim.report.generate import aside; "
            "print(aside(os.getpid)() != os.getpid(), aside(os.getpid, fork=False)() == os.getpid())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    assert out == ["True", "True"]   # a fresh process (one thread): drawn in a child, its result pickled back
    here = os.getpid()
    assert aside(os.getpid, fork=False)() == here
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:   # another thread runs: fork is unsafe, so it is computed here
        assert aside(os.getpid)() == here
    finally:
        stop.set()
        other.join()

    def boom() -> int:
        raise ValueError("no chart")
    with pytest.raises(ValueError, match="no chart"):   # a child's failure is raised here, computed again
        aside(boom)()


def test_a_non_daemon_aside_may_start_an_aside_of_its_own_and_a_chart_png_rendered_beside_is_the_same():
    """The histograms' child renders their PNG in a child of its own (so it is not a daemon); the bytes are
    those rendered in one process."""
    import subprocess
    import sys
    code = ("import os\n"
            "from sim.report.aside import aside\n"
            "inner = lambda: aside(os.getpid)()\n"
            "a, b = aside(lambda: (os.getpid(), inner()), daemon=False)()\n"
            "print(len({a, b, os.getpid()}) == 3)\n"
            "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
            "from sim.report.charts import STYLE, rendered\n"
            "with plt.rc_context(STYLE):\n"
            "    fig, ax = plt.subplots(figsize=(4, 3)); ax.hist([1, 2, 2, 3, 3, 3]); ax.set_title('t')\n"
            "    print(aside(lambda: rendered(fig, beside=True), daemon=False)() == rendered(fig))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["True", "True"], out.stderr[-2000:]


def _gone(pid: int, within_s: float = 10.0) -> bool:
    """Whether process ``pid`` has ended (a zombie left to init counts as ended) within ``within_s``."""
    import time
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/status") as fh:
                if any(line.startswith("State:") and "Z" in line.split()[1] for line in fh):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_an_aside_child_whose_result_is_not_wanted_does_not_linger():
    # a result bigger than a pipe holds, so the child blocks writing it until someone reads: discarded, or its
    # parent gone without reading, the child ends instead of waiting for ever (a report that failed after the
    # batch once left one behind per failure)
    import subprocess
    import sys
    big = "lambda: b'x' * 4_000_000"
    for ending in ("a.discard()", "os._exit(0)"):
        code = (f"import os, sys, time; from sim.report.generate import aside; a = aside({big}); "
                f"time.sleep(0.3); print(a.proc.pid, flush=True); {ending}")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
        assert _gone(int(out.stdout.split()[0])), ending
