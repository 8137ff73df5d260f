"""After-action reports: numbers agree with data.json and an independent recomputation, the HTML is
self-contained, charts are real, the "why" names the cause, comparisons flag real differences only,
and SOURCE_DATE_EPOCH makes the output byte-identical."""
from __future__ import annotations

import json
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim import load_scenario, run
from sim.cli.app import app
from sim.report.generate import report_from_scenario
from sim.report.render import _cell
from sim.scenario.metrics import metric_label, metric_registry

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
SLOW = ["forces.vjtf.notice_to_move_h=96"]
REPS, SEED = 40, 3


@pytest.fixture(scope="module")
def miss(tmp_path_factory):
    """A report on the baseline with the VJTF's notice to move set to 96 h, compared with the baseline."""
    out = tmp_path_factory.mktemp("miss")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        s = load_scenario(BASE, SLOW)
        report_from_scenario(s, BASE, sets=SLOW, reps=REPS, seed=SEED, out=out,
                             compare_with=load_scenario(BASE))
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    data = json.loads((out / "data.json").read_text())
    return out, data, s


def _objective_lines(md: str) -> dict[str, tuple[float, float, float, int, int, str]]:
    """title -> (p, ci_low, ci_high, successes, n, rating) parsed from aar.md."""
    found = {}
    for m in re.finditer(r"^### \d+\.\d+ (.+?) \[([PSMU])\]\n(.*?)(?=^### )", md, re.S | re.M):
        title, code, body = m.group(1), m.group(2), m.group(3)
        b = re.search(r"P = ([\d.]+) \(95% CI ([\d.]+)–([\d.]+)\); met in (\d+) of (\d+)", body)
        found[title] = (float(b.group(1)), float(b.group(2)), float(b.group(3)), int(b.group(4)), int(b.group(5)),
                        code)
    return found


def test_objective_numbers_match_data_json_and_an_independent_recomputation(miss):
    out, data, s = miss
    parsed = _objective_lines((out / "aar.md").read_text())
    assert len(parsed) == len(s.objectives) == len(data["objectives"])
    # independent: run the replications ourselves and compute Wilson intervals by hand
    results = [run(s, ss) for ss in np.random.SeedSequence(SEED).spawn(REPS)]
    z = 1.96
    for o in data["objectives"]:
        p, lo, hi, k, n, code = parsed[o["title"]]
        b = o["batch"]
        assert (p, lo, hi, k, n, code) == (b["p"], b["ci_low"], b["ci_high"], b["successes"], b["n"], o["rating"])
        k2 = sum(r.objectives[o["id"]].met for r in results)
        ph = k2 / REPS
        centre = (ph + z * z / (2 * REPS)) / (1 + z * z / REPS)
        half = z * math.sqrt(ph * (1 - ph) / REPS + z * z / (4 * REPS ** 2)) / (1 + z * z / REPS)
        assert k == k2 and n == REPS
        assert p == pytest.approx(ph, abs=5e-4)
        assert lo == pytest.approx(max(0, centre - half), abs=5e-4)
        assert hi == pytest.approx(min(1, centre + half), abs=5e-4)
        expected = "P" if ph >= 0.9 else "S" if ph >= 0.7 else "M" if ph >= 0.3 else "U"
        assert code == expected


def test_metric_table_matches_numpy(miss):
    out, data, s = miss
    results = [run(s, ss) for ss in np.random.SeedSequence(SEED).spawn(REPS)]
    md = (out / "aar.md").read_text()
    for row in data["metrics"]:
        vals = np.array([r.metrics[row["metric"]] for r in results if r.metrics[row["metric"]] is not None], float)
        if vals.size < 2:
            continue
        line = next(ln for ln in md.splitlines() if ln.startswith(f"| {_cell(row['label'])} |"))  # titles, not names
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert float(cells[3]) == pytest.approx(row["mean"], abs=0.006) == pytest.approx(vals.mean(), abs=0.006)
        assert float(cells[7]) == pytest.approx(np.percentile(vals, 50), abs=0.006)
        assert float(cells[6]) == pytest.approx(np.percentile(vals, 5), abs=0.006)
        assert float(cells[5]) == pytest.approx(vals.std(ddof=1), abs=0.006)


def test_tables_show_metric_titles_and_units_and_the_annex_the_names(miss):
    out, data, s = miss
    reg = metric_registry(s)
    for fmt, code in (("aar.md", "`{}`"), ("aar.html", "<code>{}</code>")):
        text = (out / fmt).read_text()
        body, annex = text.split("Annex C. Metric names")
        for o in data["objectives"]:
            assert o["metric_label"] == metric_label(reg[o["metric"]])
            assert code.format(o["metric"]) not in body and code.format(o["metric"]) in annex, (fmt, o["metric"])
        for row in data["metrics"]:
            assert code.format(row["metric"]) not in body and code.format(row["metric"]) in annex
    md = (out / "aar.md").read_text()
    air = reg["checkpoint.friday_noon_et.on_station.nato.aircraft"]
    assert f"| {_cell(metric_label(air))} >= 100 |" in md  # the objective's target, in words and units
    assert f"| {_cell(air.title)} | aircraft | count | `{air.name}` |" in md  # its raw name, in the annex
    assert [a["name"] for a in data["metric_annex"]] == list(dict.fromkeys(
        [o.metric for o in s.objectives.values()] + [m["metric"] for m in data["metrics"]]))


def test_why_names_the_notice_to_move_that_caused_the_miss(miss):
    out, data, _s = miss
    o = next(x for x in data["objectives"] if x["id"] == "vjtf_ready")
    assert o["rating"] == "U" and o["batch"]["successes"] == 0
    assert not o["narrated"]["met"]
    why = o["narrated"]["why"]
    assert "notice to move 96 h" in why["headline"]
    assert any("notice to move drawn: 96 h" in st["text"] for st in why["chain"])
    assert any("activated, set off by inject" in st["text"] and "NAC agrees" in st["text"] for st in why["chain"])
    assert o["causes"][0] == {**o["causes"][0], "cause": "long notice to move", "count": REPS, "share": 1.0}
    md = (out / "aar.md").read_text()
    assert "notice to move 96 h" in md
    # the difference from the baseline is listed with its fact
    d = data["reference"]["differences"]
    assert [x["path"] for x in d] == ["forces.vjtf.notice_to_move_h"]
    assert d[0]["value"] == "96" and d[0]["origin"] == "--set"
    assert d[0]["facts"][0]["id"] == "vjtf-readiness" and "two to three days" in d[0]["facts"][0]["statement"]
    # improvement plan: owner, dates from SOURCE_DATE_EPOCH (2023-11-14) + 90 days
    plan = next(p for p in data["plan"] if "VJTF lead elements" in p["issue"])
    assert plan["responsible"] == "VJTF (France lead)" and plan["element"] == "Organisation"
    assert (plan["start"], plan["completion"]) == ("2023-11-14", "2024-02-12")


def test_comparison_flags_the_large_difference(miss):
    _out, data, _s = miss
    rows = {r["id"]: r for r in data["comparison"]["rows"]}
    assert rows["vjtf_ready"]["significant"] and rows["vjtf_ready"]["diff"] < -0.9
    assert rows["force.vjtf.ready_h"]["significant"] and rows["force.vjtf.ready_h"]["diff"] > 25
    assert not rows["activation_day1"]["significant"]  # the same in both


def test_comparison_of_the_baseline_with_itself_flags_nothing():
    from sim.report.aar import key_metrics
    from sim.report.compare import compare
    from sim.report.montecarlo import replicate, summarise

    s = load_scenario(BASE)
    a, b = summarise(replicate(s, 60, 11)), summarise(replicate(s, 60, 12))
    comp = compare(a, b, {k: o.title for k, o in s.objectives.items()}, key_metrics(s), this_label="a",
                   other_label="b")
    assert len(comp["rows"]) > 10
    assert not [r["id"] for r in comp["rows"] if r["significant"]]


def test_html_is_self_contained_and_parses(miss):
    out, _data, _s = miss
    text = (out / "aar.html").read_text()

    class Refs(HTMLParser):
        def __init__(self):
            super().__init__()
            self.refs, self.tags, self.imgs = [], [], 0

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.imgs += tag == "img"
            for k, v in attrs:
                if k in ("src", "href", "srcset", "data", "poster") and v:
                    self.refs.append(v)

    p = Refs()
    p.feed(text)
    p.close()
    assert "table" in p.tags and p.imgs >= 5
    assert all(r.startswith("data:image/") or r.startswith("#") for r in p.refs), p.refs
    assert not re.search(r"https?://|url\(|@import|@font-face", text.split("<body>")[0])
    assert "@page" in text and "break-before: page" in text and "thead { display: table-header-group" in text
    assert "notice to move 96 h" in text


def test_charts_exist_and_are_drawn(miss):
    out, data, _s = miss
    names = {c["name"] for c in data["charts"]}
    assert names == {"readiness", "escalation", "distributions", "probabilities", "comparison", "map"}  # map: issue 13
    for n in names:
        svg = (out / "charts" / f"{n}.svg").read_bytes()
        png = (out / "charts" / f"{n}.png").read_bytes()
        assert svg.startswith(b"<?xml") and b"<path" in svg and len(svg) > 10_000
        assert png.startswith(b"\x89PNG") and len(png) > 10_000


@pytest.mark.slow
def test_source_date_epoch_gives_byte_identical_reports(tmp_path):
    runner = CliRunner()
    outs = []
    for k in range(2):
        o = tmp_path / f"r{k}"
        res = runner.invoke(app, ["report", str(BASE), "--reps", "8", "--seed", "5", "--out", str(o)],
                            env={"SOURCE_DATE_EPOCH": "1650000000"})
        assert res.exit_code == 0, res.output
        outs.append(o)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert len(files) == 15  # with improvement_plan.csv and .xlsx, and the theatre map's two files (issue 13)
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f
    assert json.loads((outs[0] / "data.json").read_text())["report"]["generated"] == "2022-04-15T05:20:00+00:00"


def test_cli_bad_input_exits_2_with_one_line_per_problem(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["report", str(BASE), "--format", "html,docx", "--reps", "0"])
    assert r.exit_code == 2
    assert "--format: unknown format docx" in r.output and "--reps: give at least 1" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["report", str(BASE), "--set", "forces.nope.x=1"])
    assert r.exit_code == 2 and "forces.nope" in r.output
    r = runner.invoke(app, ["report", "--session", str(tmp_path / "none.log")])
    assert r.exit_code == 2 and "none.log" in r.output
    r = runner.invoke(app, ["report", str(BASE), "--reps", "2", "--out", str(tmp_path / "o"), "--sensitivity", "nah"])
    assert r.exit_code == 2 and "no objective 'nah'" in r.output
    try:
        import weasyprint  # noqa: F401
    except Exception:
        r = runner.invoke(app, ["report", str(BASE), "--reps", "2", "--format", "pdf", "--out", str(tmp_path / "p")])
        assert r.exit_code == 2
        assert "PDF needs the 'pdf' extra: pip install 'crisis-sim[pdf]'" in r.output
        assert not (tmp_path / "p").exists()
