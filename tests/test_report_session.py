"""`crisis-sim report --session`: the after-action report of a scripted workshop.

The workshop (seed 3) takes the forward deconfliction posture and holds the NRF at readiness,
fires a library and an ad-hoc inject and notes observations by team and objective; the report
must carry the decisions with team and rationale, the notes under their team and objective,
percentile sentences whose numbers an independent recomputation reproduces, and a "why" for the
VJTF never arriving that names the hold.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim import load_scenario, run
from sim.cli.app import app
from sim.report.aar import project_path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
SEED, REPS = 3, 40
# `next 30` runs on until the next decision point halts the clock, so the script does not depend
# on how many stops the seed's inject times make before it
SCRIPT = """\
next
note --team blue --objective vjtf_ready "lift is thin"
note --team red "probing the Baltic"
inject airspace_violation
next 30
decide saceur_deconfliction forward "show resolve" --team blue
next 30
decide nrf_deploy hold "avoid provocation" --team blue
note --team white --objective vjtf_in_place "VJTF held at home"
inject "Hotline call from Moscow" --tension 2
quit
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("session")
    log, script, out = tmp / "ws.jsonl", tmp / "script.txt", tmp / "aar"
    script.write_text(SCRIPT)
    runner = CliRunner()
    r = runner.invoke(app, ["workshop", str(BASE), "--seed", str(SEED), "--session", str(log),
                            "--script", str(script)])
    assert r.exit_code == 0, r.output
    assert "error" not in r.output.lower(), r.output
    r = runner.invoke(app, ["report", "--session", str(log), "--reps", str(REPS), "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads((out / "data.json").read_text())
    return log, out, data, (out / "aar.md").read_text(), (out / "aar.html").read_text()


def _section(md: str, heading: str) -> str:
    m = re.search(rf"^#+ [\d.]*\s*{re.escape(heading)}.*?$(.*?)(?=^#{{1,3}} )", md, re.S | re.M)
    assert m, heading
    return m.group(1)


def test_session_facts_and_decisions_with_team_and_rationale(report):
    log, _out, data, md, _ = report
    w = data["workshop"]["record"]
    assert w["session"]["seed"] == SEED and w["session"]["log"] == project_path(log)  # never absolute
    assert w["session"]["teams"] == ["blue", "red", "white"] and w["session"]["turns"] >= 6
    dec = {d["decision"]: d for d in w["decisions"]}
    assert (dec["nrf_deploy"]["option"], dec["nrf_deploy"]["team"], dec["nrf_deploy"]["rationale"],
            dec["nrf_deploy"]["played"]) == ("hold", "blue", "avoid provocation", True)
    assert (dec["saceur_deconfliction"]["option"], dec["saceur_deconfliction"]["rationale"]) == ("forward", "show resolve")
    assert dec["air_defence"]["played"] is False and dec["air_defence"]["status"] == "defaulted"
    assert isinstance(dec["nrf_deploy"]["decision_h"], float) and dec["nrf_deploy"]["exercise_time"].startswith("+")
    table = _section(md, "Decisions")
    row = next(line for line in table.splitlines() if "`nrf_deploy`" in line)
    assert "Hold at readiness" in row and "| blue |" in row and "avoid provocation" in row and "played" in row
    assert dec["nrf_deploy"]["h"] in row and dec["nrf_deploy"]["time"] in row
    row = next(line for line in table.splitlines() if "`air_defence`" in line)
    assert "defaulted" in row


def test_injects_msel(report):
    log, _, data, md, _ = report
    inj = data["workshop"]["record"]["injects"]
    av = next(i for i in inj if i["inject"] == "airspace_violation")
    fired_at = next(e["sim_h"] for e in map(json.loads, log.read_text().splitlines())
                    if e["kind"] == "inject" and "airspace_violation" in json.dumps(e))
    assert fired_at > 0  # the first stop, not H-hour
    assert (av["sender"], av["recipient"], av["adhoc"]) == ("CAOC Uedem", "SACEUR", False)
    assert av["sim_h"] == pytest.approx(fired_at, abs=1e-4)  # the report keeps four decimals of an hour
    assert av["expected_action"].startswith("Intercept by the book")
    adhoc = next(i for i in inj if i["adhoc"])
    assert adhoc["text"] == "Hotline call from Moscow"
    msel = _section(md, "Injects (MSEL)")
    row = next(line for line in msel.splitlines() if "Airspace violation" in line)
    assert "CAOC Uedem" in row and "Intercept by the book" in row and row.rstrip().endswith("no (library) |")
    assert any("Hotline call from Moscow" in line and line.rstrip().endswith("| yes |") for line in msel.splitlines())


def test_notes_under_team_objective_and_lessons(report):
    _, _, data, md, html = report
    obs = data["workshop"]["record"]["observations"]
    by_team = {b["team"]: [n["text"] for n in b["notes"]] for b in obs["by_team"]}
    assert by_team == {"blue": ["lift is thin"], "red": ["probing the Baltic"], "white": ["VJTF held at home"]}
    by_obj = {b["objective"]: [n["text"] for n in b["notes"]] for b in obs["by_objective"]}
    assert by_obj["vjtf_ready"] == ["lift is thin"] and by_obj["vjtf_in_place"] == ["VJTF held at home"]
    assert by_obj[""] == ["probing the Baltic"]
    objs = {o["id"]: o for o in data["objectives"]}
    assert [n["text"] for n in objs["vjtf_ready"]["notes"]] == ["lift is thin"]
    assert objs["activation_day1"]["notes"] == []
    # markdown: under the team's heading, and in the objective's own block
    teams = _section(md, "Observations by team")
    assert re.search(r"\*\*blue\*\*\n\n- [^\n]*lift is thin", teams)
    assert re.search(r"\*\*red\*\*\n\n- [^\n]*probing the Baltic", teams)
    ready = _section(md, objs["vjtf_ready"]["title"])
    assert "lift is thin" in ready and "team blue" in ready
    # NATO lessons process: team notes are observations
    assert any("lift is thin" in x and "blue" in x for x in data["lessons"]["observations"])
    lessons = _section(md, "Lessons: observations to lessons identified")
    assert "lift is thin" in lessons and "VJTF held at home" in lessons
    assert "lift is thin" in html and "probing the Baltic" in html


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def test_percentile_sentences_match_an_independent_recomputation(report):
    _, _, data, md, _ = report
    s = load_scenario(BASE)
    from sim.workshop.summary import session_summary
    summ = session_summary(report[0])
    # the table's path: its decisions where it took them (defaults after), the facilitator's injects
    table = {d["decision"]: d["option"] for d in summ["decisions"] if d["played"]}
    assert table == {"saceur_deconfliction": "forward", "nrf_deploy": "hold"}
    batch = [run(s, ss, table, extra_injects=summ["extra_injects"]) for ss in np.random.SeedSequence(SEED).spawn(REPS)]
    defaults = [run(s, ss) for ss in np.random.SeedSequence(SEED).spawn(REPS)]
    rows = data["workshop"]["placement"]["rows"]
    assert {o.metric for o in s.objectives.values()} <= {r["metric"] for r in rows}
    assert "force.vjtf.in_place_h" in {r["metric"] for r in rows}
    workshop = summ["metrics"]
    for r in rows:
        m = r["metric"]
        is_time = m.endswith("_h") or m.endswith(".h")
        inf = np.inf if is_time else -np.inf
        xs = np.array([inf if b.metrics.get(m) is None else float(b.metrics[m]) for b in batch])
        x = inf if workshop[m] is None else float(workshop[m])
        below, equal, above = np.mean(xs < x), np.mean(xs == x), np.mean(xs > x)
        assert r["n"] == REPS
        assert r["below"] == pytest.approx(below, abs=1e-4) and r["above"] == pytest.approx(above, abs=1e-4)
        assert r["percentile"] == pytest.approx(100 * (below + equal / 2), abs=0.01)
        nums = re.findall(r"(\d+)% of (\d+) simulated runs", r["sentence"])
        assert nums and int(nums[0][1]) == REPS
        pcts = set(re.findall(r"(\d+)%", r["sentence"]))
        expected = {_pct(v)[:-1] for v in (below, equal, above, np.mean(np.isinf(xs)))}
        assert pcts <= expected, (r["sentence"], expected)
        assert r["sentence"] in md
    vjtf = next(r for r in rows if r["metric"] == "force.vjtf.in_place_h")
    assert vjtf["value"] is None and "never within the horizon" in vjtf["sentence"]
    # on the table's decisions the VJTF is held in every run, so the path ties with all of them
    assert "the same as in 100% of 40 simulated runs" in vjtf["sentence"]
    # objectives on the workshop path against P(success) over the same batch, and over the defaults
    for o in data["workshop"]["placement"]["objectives"]:
        k = sum(b.objectives[o["id"]].met for b in batch)
        assert (o["successes"], o["n"]) == (k, REPS) and o["p"] == pytest.approx(k / REPS, abs=5e-4)
        k0 = sum(b.objectives[o["id"]].met for b in defaults)
        assert o["default_successes"] == k0 and o["default_p"] == pytest.approx(k0 / REPS, abs=5e-4)


def test_hold_explains_the_missed_vjtf_objective(report):
    _, _, data, md, html = report
    o = next(x for x in data["objectives"] if x["id"] == "vjtf_in_place")
    assert o["narrated"]["met"] is False and o["workshop"]["met"] is False
    why = o["narrated"]["why"]
    assert why["key"] == "held at readiness"
    assert "nrf_deploy" in why["headline"] and "held at readiness" in why["headline"]
    assert "Hold at readiness" in why["workshop_headline"] and "avoid provocation" in why["workshop_headline"]
    block = _section(md, o["title"])
    assert "Why it was missed on the workshop path" in block and "Hold at readiness" in block
    # the heading gives the batch's rating and the table's own result beside it
    assert f"{o['title']} [{o['rating']}; missed at the table]" in md
    assert "missed at the table</small>" in html
    afi = [x for x in data["improvements"] if x["objective"] == "vjtf_in_place"]
    assert afi and "held at readiness" in afi[0]["root_cause"]
    assert any("hold" in p["corrective_action"] for p in data["plan"])
    # strengths: met on the workshop path and rated P on the table's decisions; every other objective is an
    # area for improvement (the ratings now come from the batch on the table's decisions)
    assert {x["objective"] for x in data["improvements"]} == {x["id"] for x in data["objectives"]
                                                              if not x["narrated"]["met"] or x["rating"] != "P"}
    assert {x["objective"] for x in data["strengths"]} == {x["id"] for x in data["objectives"]
                                                           if x["narrated"]["met"] and x["rating"] == "P"}
    assert data["timeline"] and data["narrated"]["source"] == "workshop"
    assert any(t["text"].startswith("Deploy NRF elements?: Hold at readiness") for t in data["timeline"])


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action") and v:
                self.refs.append(v)


def test_html_is_self_contained(report):
    _, _, _, _, html = report
    p = _Refs()
    p.feed(html)
    assert p.refs and all(v.startswith("data:") or v.startswith("#") for v in p.refs)
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html.replace("http://www.w3.org/2000/svg", ""))
    assert "@import" not in html and "url(http" not in html
    assert "Workshop record" in html and "Where this workshop falls" in html


@pytest.mark.parametrize("content", [None, "garbage{\n", ""])
def test_missing_or_corrupt_session_log_exits_2_with_one_line(tmp_path, content):
    log = tmp_path / "ws.jsonl"
    if content is not None:
        log.write_text(content)
    r = CliRunner().invoke(app, ["report", "--session", str(log), "--reps", "2", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and str(log) in lines[0]
    assert not (tmp_path / "o").exists()


def test_distribution_chart_marks_the_workshop_value():
    from sim.report import charts

    s = load_scenario(BASE)
    rs = [run(s, q, keep_trace=False) for q in np.random.SeedSequence(1).spawn(15)]
    values = {o.metric: [r.metrics[o.metric] for r in rs] for o in s.objectives.values()}
    plain = charts.distributions(s, values)
    marked = charts.distributions(s, values, {"force.vjtf.in_place_h": 91.0}, "workshop path")
    assert marked.svg != plain.svg and marked.svg.count(b"<path") > plain.svg.count(b"<path")
