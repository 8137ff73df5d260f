"""End-to-end: the core commands as a user types them."""
import json

import pytest
from conftest import BASELINE, MINIMAL, ROOT
from typer.testing import CliRunner

from sim.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_run_narrates_the_timeline_and_objectives():
    r = invoke("run", BASELINE, "--seed", 1)
    assert r.exit_code == 0, r.output
    out = r.output
    for beat in ("NAC agrees to activate the NRF", "VJTF (France lead): ready", "Amphibious landing",
                 "Emergency video summit", "Deploy NRF elements", "Objectives", "H+"):
        assert beat in out
    assert "Thu 24 Feb" in out and "Fri 25 Feb" in out


def test_json_and_trace_file(tmp_path):
    trace = tmp_path / "t.jsonl"
    r = invoke("run", BASELINE, "--seed", 5, "--json", "--trace", trace)
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data["seed"] == 5 and data["scenario"] == "nato-response-2022"
    lines = [json.loads(x) for x in trace.read_text().splitlines()]
    assert [x["seq"] for x in lines] == [x["seq"] for x in data["trace"]]
    # trace format 2 (issue 9): typed fields instead of a free-form "state"; the start record carries the version
    assert {"t_h", "time", "kind", "actor", "text", "facts", "trace_format"} <= set(lines[0])
    assert lines[0]["kind"] == "start" and lines[0]["trace_format"] == 2
    assert "wall" not in r.output and "elapsed" not in r.output


def test_set_changes_the_run():
    r = invoke("run", BASELINE, "--seed", 1, "--json", "--set", "forces.vjtf.notice_to_move_h=96")
    data = json.loads(r.output)
    assert data["metrics"]["force.vjtf.ready_after_activation_h"] == 96
    assert data["objectives"]["vjtf_ready"]["met"] is False


def test_bad_input_exit_2_one_line_per_problem(tmp_path):
    r = invoke("run", tmp_path / "missing.yaml")
    assert r.exit_code == 2 and "missing.yaml: no such file" in r.output and "Traceback" not in r.output
    r = invoke("run", BASELINE, "--set", "forces.vjtf.notice_to_move_h=abc")
    assert r.exit_code == 2 and "--set forces.vjtf.notice_to_move_h=abc" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("horizon_h: 100", "horizon_h: 0").replace("strength: 100", "strength: lots"))
    r = invoke("validate", bad)
    assert r.exit_code == 2
    errs = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
    assert len(errs) == 2 and all(str(bad) in e for e in errs)


def test_validate_schema_list_metrics():
    r = invoke("validate", *sorted((ROOT / "scenarios").glob("*.yaml")))
    assert r.exit_code == 0 and r.output.count(": ok") == len(list((ROOT / "scenarios").glob("*.yaml")))
    r = invoke("schema")
    schema = json.loads(r.output)
    assert {"clock", "forces", "deconfliction", "injects", "decisions", "objectives"} <= set(schema["properties"])
    import jsonschema
    import yaml

    doc = json.loads(json.dumps(yaml.safe_load(BASELINE.read_text()), default=str))
    jsonschema.validate(doc, schema)
    doc["forces"]["vjtf"]["kind"] = "space"
    try:
        jsonschema.validate(doc, schema)
        raise AssertionError("schema accepted kind: space")
    except jsonschema.ValidationError:
        pass
    r = invoke("list")
    assert "nato-response-2022" in r.output and "vjtf-slip" in r.output
    r = invoke("metrics", BASELINE)
    assert "force.vjtf.ready_after_activation_h" in r.output.split()


def test_variant_scenarios_differ_from_the_baseline_as_described():
    slip = json.loads(invoke("run", ROOT / "scenarios" / "vjtf-slip.yaml", "--json").output)
    assert slip["metrics"]["force.vjtf.ready_after_activation_h"] > 72
    down = json.loads(invoke("run", ROOT / "scenarios" / "hotline-down.yaml", "--json").output)
    assert down["state"]["measures"]["hotline"] is False


@pytest.mark.parametrize("missing", ["matplotlib", "jinja2"])   # both imported only once the batch runs
def test_report_without_the_report_extra_says_which_extra(tmp_path, missing):
    import subprocess
    import sys

    code = (f"import sys; sys.modules[{missing!r}] = None; sys.argv = ['crisis-sim', 'report', sys.argv[1], "
            "'--reps', '2', '--out', sys.argv[2]]; from sim.cli.app import main; main()")
    r = subprocess.run([sys.executable, "-c", code, str(BASELINE), str(tmp_path / "r")], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"reports need the 'report' extra ({missing} is not installed)" in r.stderr
    assert not (tmp_path / "r").exists()
