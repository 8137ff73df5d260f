"""The executive summary comes first and the findings have one structure.

A report on the baseline with the VJTF's notice to move at 96 h (so one objective is rated U and has a
cause) must open with the executive summary: purpose, a bottom line of three to five sentences, one row
per objective with its rating, P and interval and a one-line why, at most three corrective actions (those
of the worst-rated objectives) and one chart. Strengths are exactly the objectives rated P; the improvement
plan and the lessons hold only objectives with a corrective action; the full timeline is an annex; and no
sentence about an objective is printed more than twice in aar.md.
"""
from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest

from sim import load_scenario
from sim.report.generate import ReportRequest, make_report

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
SLOW = ["forces.vjtf.notice_to_move_h=96"]
REPS = 30


def objective_sentences(md: str, titles: list[str]) -> collections.Counter[str]:
    """Every sentence (or ';' clause) of ``md`` that says something about an objective (its title and more),
    with how often it is printed; list markers, table bars and a bold "**Label**: " lead are not the sentence."""
    out: collections.Counter[str] = collections.Counter()
    for line in md.splitlines():
        for cell in line.split(" | "):
            cell = re.sub(r"^\s*\|?\s*(#+\s|-\s|\d+\.\s)?", "", cell)
            cell = re.sub(r"^\*\*[^*]+\*\*:\s*", "", cell)
            for sent in re.split(r"(?<=[.;])\s+", cell):
                sent = sent.strip(" |*`")
                hit = [t for t in titles if t in sent]
                if hit and len(sent) > max(map(len, hit)) + 12:
                    out[sent] += 1
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("summary")
    s = load_scenario(BASE, SLOW)
    make_report(ReportRequest(s, BASE, sets=SLOW, reps=REPS, seed=1, out=out))
    return s, out, json.loads((out / "data.json").read_text()), (out / "aar.md").read_text(), \
        (out / "aar.html").read_text()


def test_the_summary_comes_first_with_its_parts(report):
    s, _out, data, md, html = report
    ex = data["executive"]
    assert data["sections"][0] == {"id": "summary", "number": 1}
    assert re.findall(r"^## (.+)$", md, re.M)[0] == "1. Executive summary"
    assert html.index('<section id="summary">') < html.index('<section id="overview"')
    assert ex["purpose"] == s.purpose
    sentences = [x for line in ex["bottom_line"] for x in re.split(r"(?<=\.)\s+(?=[A-Z0-9\u201c])", line)]
    assert 3 <= len(sentences) <= 5, sentences
    objs = {o["id"]: o for o in data["objectives"]}
    assert [r["id"] for r in ex["rows"]] == list(s.objectives)
    for r in ex["rows"]:
        o = objs[r["id"]]
        assert (r["rating"], r["p"], r["ci_low"], r["ci_high"]) == (o["rating"], o["batch"]["p"],
                                                                    o["batch"]["ci_low"], o["batch"]["ci_high"])
        assert r["why"] and "\n" not in r["why"]
    ready = objs["vjtf_ready"]
    assert ready["rating"] == "U"
    why = next(r["why"] for r in ex["rows"] if r["id"] == "vjtf_ready")
    assert why.startswith(ready["causes"][0]["cause"])
    assert "\u201cVJTF lead elements ready 48-72 h after activation\u201d, rated U" in ex["bottom_line"][1]
    # the top actions: at most three, from the plan, worst-rated objective first
    assert 1 <= len(ex["actions"]) <= 3 and all(a in data["plan"] for a in ex["actions"])
    assert ex["actions"][0]["objective"] == "vjtf_ready"
    summary = md.split("## 1. Executive summary", 1)[1].split("\n## ", 1)[0]
    assert summary.count("![") == 1 and "charts/probabilities.svg" in summary
    assert ex["actions"][0]["corrective_action"] in summary


def test_one_findings_structure(report):
    _s, _out, data, md, _html = report
    rated_p = [o["id"] for o in data["objectives"] if o["rating"] == "P"]
    assert [x["objective"] for x in data["strengths"]] == rated_p
    assert {p["objective"] for p in data["plan"]} <= {o["id"] for o in data["objectives"] if o["rating"] != "P"}
    assert all(p["corrective_action"] and p["root_cause"] for p in data["plan"])
    assert len(data["lessons"]["observations"]) == len(data["lessons"]["identified"]) == len(data["plan"])
    assert "Sustain and improve" not in md
    # each objective not rated P carries its corrective action in its own block
    for p in data["plan"]:
        o = next(x for x in data["objectives"] if x["id"] == p["objective"])
        block = md.split(f" {o['title']} [", 1)[1].split("\n### ", 1)[0]
        assert f"**Lesson and corrective action:** {p['corrective_action']}" in block
    # the full timeline is an annex; the body says where it is
    body, annex = md.split("## Annex D. Full timeline", 1)
    assert all(t["text"].split("\n")[0][:40] in annex for t in data["timeline"][:5])
    assert "| Time | H+ | Kind | What happened |" not in body


def test_no_objective_sentence_more_than_twice(report):
    s, _out, _data, md, _html = report
    counts = objective_sentences(md, [o.title for o in s.objectives.values()])
    assert counts, "no objective sentence found: the counter is broken"
    assert max(counts.values()) <= 2, [(k, v) for k, v in counts.items() if v > 2]
