"""``--chart`` of ``crisis-sim batch`` and ``crisis-sim sensitivity``: files, contents, reproducibility."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import BASELINE, MINIMAL, ROOT
from typer.testing import CliRunner

from sim import load_scenario
from sim.batch import run_batch
from sim.cli.app import app
from sim.report.batch_charts import batch_chart, short_paths, value_label

runner = CliRunner()
SWEEP = "forces.vjtf.notice_to_move_h=48,96"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def svg_text(path) -> str:
    text = path.read_text()
    assert ET.fromstring(text).tag.endswith("svg")  # well-formed XML, an <svg> root
    return text


def drawn_p(series: list[dict]) -> list[list[float]]:
    return [s["p"] for s in series]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The baseline swept over two notice-to-move values, 20 reps each, with --json and --chart."""
    d = tmp_path_factory.mktemp("sweep")
    r = invoke("batch", BASELINE, "--reps", 20, "--seed", 1, "--vary", SWEEP, "-w", 1, "--db", d / "r.db",
               "--json", "--chart", d / "sweep.svg")
    assert r.exit_code == 0, r.output
    assert r.stderr.strip().endswith(f"chart written to {d / 'sweep.svg'}")
    return d, json.loads(r.stdout)


def test_sweep_chart_names_objectives_and_swept_values(sweep):
    d, summary = sweep
    text = svg_text(d / "sweep.svg")
    titles = [o["title"] for o in summary["points"][0]["objectives"].values()]
    assert len(titles) == 7
    # issue 13: an objective with the same P at both values is not drawn as a flat line but named in the note
    drawn = batch_chart(summary, "svg").series
    flat = {s["label"]: s["p"][0] for s in drawn if not s["drawn"]}
    assert 0 < len(flat) < 7 and all(s["p"][0] == s["p"][1] for s in drawn if not s["drawn"])
    pieces = [t if t not in flat else f"{t}: {flat[t]:.0%} at every point" for t in titles]
    for piece in pieces + ["48", "96", "nato-response-2022: P(success) by forces.vjtf.notice_to_move_h",
                           "20 replications per point, seed 1"]:
        assert f"<!-- {piece} -->" in text, piece  # text drawn as paths keeps its words in a comment


def test_sweep_chart_plots_the_summary_and_is_the_library_chart(sweep):
    d, summary = sweep
    drawn = batch_chart(run_batch(BASELINE, 20, 1, vary=[SWEEP]).to_dict(), "svg")
    assert drawn.data == (d / "sweep.svg").read_bytes()  # the CLI draws exactly the library's chart
    # objectives in the scenario's order (--json sorts them by id)
    assert [s["objective"] for s in drawn.series] == list(load_scenario(BASELINE).objectives)
    assert sorted(s["objective"] for s in drawn.series) == list(summary["points"][0]["objectives"])
    for s in drawn.series:
        assert s["x"] == [48, 96]
        for key in ("p", "ci_low", "ci_high"):
            assert s[key] == [pt["objectives"][s["objective"]][key] for pt in summary["points"]]
    # notice to move 96 h: the VJTF is not in place in time
    assert next(s for s in drawn.series if s["objective"] == "vjtf_in_place")["p"][1] < 0.5


def test_the_same_command_writes_the_same_bytes(sweep, tmp_path):
    d, _ = sweep
    r = invoke("batch", BASELINE, "--reps", 20, "--seed", 1, "--vary", SWEEP, "-w", 2, "--db", tmp_path / "r.db",
               "--chart", tmp_path / "again.svg")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith(f"chart written to {tmp_path / 'again.svg'}")  # after the tables
    assert (tmp_path / "again.svg").read_bytes() == (d / "sweep.svg").read_bytes()


def test_no_vary_bar_chart_png_and_svg(write, tmp_path):
    path = write("mini.yaml", MINIMAL)
    for name in ("bars.png", "bars.SVG"):
        r = invoke("batch", path, "--reps", 5, "-w", 1, "--db", tmp_path / "r.db", "--chart", tmp_path / name)
        assert r.exit_code == 0, r.output
    assert (tmp_path / "bars.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    text = svg_text(tmp_path / "bars.SVG")
    assert "<!-- ready within 12 h of activation -->" in text and "<!-- 100% (5/5) -->" in text


def test_categorical_sweep_and_grid_plot_the_summary(write, tmp_path):
    path = write("mini.yaml", MINIMAL)
    r = invoke("batch", path, "--reps", 4, "-w", 1, "--db", tmp_path / "r.db", "--json",
               "--vary", "forces.f1.notice_to_move_h=10,14", "--vary", "decisions.posture.default=deploy,stay",
               "--chart", tmp_path / "grid.svg")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    drawn = batch_chart(summary, "svg")
    # one line per value of the second --vary, x the first; ready within 12 h only with 10 h notice to move
    assert [s["label"] for s in drawn.series] == ["default=deploy", "default=stay"]
    assert drawn_p(drawn.series) == [[1.0, 0.0], [1.0, 0.0]]
    text = svg_text(tmp_path / "grid.svg")
    for piece in ("10", "14", "default=deploy", "default=stay", "default: decisions.posture.default"):
        assert f"<!-- {piece} -->" in text, piece

    one = {**summary, "vary": summary["vary"][1:],
           "points": [{**pt, "point": {"decisions.posture.default": pt["point"]["decisions.posture.default"]}}
                      for pt in summary["points"][:2]]}
    cat = batch_chart(one, "svg")
    assert cat.series[0]["x"] == ["deploy", "stay"] and cat.series[0]["p"] == [1.0, 1.0]
    assert "<!-- deploy -->" in cat.data.decode() and "<!-- stay -->" in cat.data.decode()


def test_value_labels_and_short_paths():
    assert [value_label(v) for v in (True, False, None, 72, 0.25, "hold", [1, 2])] == \
        ["true", "false", "null", "72", "0.25", "hold", "[1, 2]"]
    assert short_paths(["forces.a.transit_h", "forces.b.transit_h", "deconfliction.measures.hotline.active"]) == \
        {"forces.a.transit_h": "a.transit_h", "forces.b.transit_h": "b.transit_h",
         "deconfliction.measures.hotline.active": "active"}


def test_sensitivity_tornado_chart(write, tmp_path):
    path = write("mini.yaml", MINIMAL)
    r = invoke("sensitivity", path, "--objective", "ready", "--reps", 3, "-w", 1, "--range",
               "forces.f1.notice_to_move_h=8:16", "--range", "forces.f1.transit_h=1:9", "--chart", tmp_path / "t.svg")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith(f"chart written to {tmp_path / 't.svg'}")
    text = svg_text(tmp_path / "t.svg")
    # issue 13: plain labels (the object and the field in words), not the raw paths, and the ends' values
    for piece in ("f1: notice to move", "f1: transit time", "mini: sensitivity of P(ready), base 100%"):
        assert f"<!-- {piece} -->" in text, piece
    assert "forces.f1.notice_to_move_h" not in text and "forces.f1.transit_h" not in text
    # nothing uncertain and no --range: no chart to draw
    r = invoke("sensitivity", path, "--objective", "ready", "--reps", 2, "-w", 1, "--chart", tmp_path / "u.svg")
    assert r.exit_code == 2 and "no uncertain parameter to chart" in r.stderr
    assert not (tmp_path / "u.svg").exists()


@pytest.mark.parametrize("cmd", [["batch", BASELINE], ["sensitivity", BASELINE, "--objective", "no_armed_incident"]])
def test_a_chart_name_without_svg_or_png_is_refused_before_any_run(cmd, tmp_path):
    r = invoke(*cmd, "--chart", tmp_path / "c.pdf", "--reps", 0)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr.splitlines() == ["error: --reps: must be at least 1, got 0",
                                     f"error: --chart: {tmp_path / 'c.pdf'}: the file name must end in .svg or .png"]
    r = invoke(*cmd, "--chart", tmp_path / "chart", "--reps", 1)
    assert r.exit_code == 2 and r.stderr.splitlines() == [
        f"error: --chart: {tmp_path / 'chart'}: the file name must end in .svg or .png"]


def test_chart_without_the_report_extra_says_which_extra(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; sys.argv = ['crisis-sim', 'batch', sys.argv[1], "
            "'--reps', '2', '--db', sys.argv[2], '--chart', sys.argv[3]]; from sim.cli.app import main; main()")
    r = subprocess.run([sys.executable, "-c", code, str(BASELINE), str(tmp_path / "r.db"), str(tmp_path / "c.svg")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == ("error: --chart needs the 'report' extra (matplotlib is not installed): "
                                "pip install -e '.[report]'")
    assert not (tmp_path / "r.db").exists() and not (tmp_path / "c.svg").exists()
