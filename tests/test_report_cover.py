"""The report's cover block: from the scenario's optional ``exercise:`` section, the command line over it;
the classification marking in every page's header and footer; paths never absolute."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim import load_scenario
from sim.cli.app import app
from sim.report.aar import project_path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
MARK = 'NATO RESTRICTED </style><script>alert("x")</script>'


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cover")
    scen = tmp / "cover.yaml"
    scen.write_text(f"extends: {BASE}\nfact_register: {ROOT / 'seeds' / 'facts.yaml'}\nexercise:\n  name: Steadfast Table 26\n  dates: 2-3 March 2026\n"
                    f"  location: SHAPE, Mons\n  participants: [SHAPE J3, JFC Brunssum]\n"
                    f"  classification: NATO UNCLASSIFIED\n  analyst: A. Analyst\n  version: draft 1\n")
    runner = CliRunner()
    outs = {}
    for name, extra in (("scenario", []), ("cli", ["--classification", MARK, "--analyst", "B. Other"])):
        out = tmp / name
        r = runner.invoke(app, ["report", str(scen), "--reps", "4", "--out", str(out), *extra])
        assert r.exit_code == 0, r.output
        outs[name] = (json.loads((out / "data.json").read_text()), (out / "aar.md").read_text(),
                      (out / "aar.html").read_text())
    return scen, outs


def test_the_exercise_section_is_not_simulated():
    s = load_scenario(BASE)
    assert s.exercise is None
    with_cover = s.model_copy(update={"exercise": {"name": "x"}})
    from sim.scenario.load import content_hash
    assert content_hash(with_cover) == s.content_hash


def test_cover_from_the_scenario(made):
    scen, outs = made
    data, md, html = outs["scenario"]
    assert data["cover"] == {"name": "Steadfast Table 26", "dates": "2-3 March 2026", "location": "SHAPE, Mons",
                             "participants": ["SHAPE J3", "JFC Brunssum"],
                             "teams": [t.name for t in load_scenario(scen).teams.values()],
                             "classification": "NATO UNCLASSIFIED", "analyst": "A. Analyst", "version": "draft 1"}
    assert md.startswith("**NATO UNCLASSIFIED**\n") and md.rstrip().endswith("**NATO UNCLASSIFIED**")
    assert "| Exercise | Steadfast Table 26 |" in md and "| Analyst | A. Analyst |" in md
    # every printed page: the @page header and footer; on screen, a banner at the top and the bottom
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert '"DejaVu Sans"' in style            # the style sheet itself is not HTML-escaped
    assert re.search(r"@top-center \{ content: \"NATO UNCLASSIFIED\";", style)
    assert re.search(r"@bottom-center \{ content: \"NATO UNCLASSIFIED\";", style)
    assert html.count('class="marking marking-') == 2


def test_the_command_line_overrides_and_the_marking_is_escaped(made):
    _scen, outs = made
    data, _md, html = outs["cli"]
    assert data["cover"]["classification"] == MARK and data["cover"]["analyst"] == "B. Other"
    assert data["cover"]["name"] == "Steadfast Table 26"      # not given: the scenario's
    assert "<script>" not in html and "</style><script>" not in html
    assert "&lt;script&gt;" in html
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<" not in style and "\\3c " in style


def test_no_absolute_path_in_the_report(made):
    scen, outs = made
    for data, md, html in outs.values():
        for text in (md, html, json.dumps(data)):
            assert str(ROOT) not in text and str(scen.parent) not in text
    assert project_path(BASE) in {"scenarios/nato-response-2022.yaml", str(BASE.relative_to(Path.cwd()))
                                  if BASE.is_relative_to(Path.cwd()) else ""}
    assert not Path(project_path(scen)).is_absolute()
