"""Hostile and careless input (issue 11): every reproducer ends in one line naming the file, line and field
or the option as typed, with exit code 2, no traceback and no hang; text from scenarios never reaches a
terminal, a Markdown viewer or a spreadsheet as something to run."""
import csv
import io
import json
import math
import os
import shutil
import time

import pytest
from conftest import BASELINE, ROOT
from typer.testing import CliRunner

from sim.cli.app import app
from sim.scenario import yamlsrc
from sim.scenario.distributions import MAX_PARAM, MAX_SIGMA, Exponential, LogNormal, TruncNormal, Uniform

S = str(BASELINE)
NINES = "9" * 4301


def invoke(*args, **kw):
    return CliRunner().invoke(app, [str(a) for a in args], **kw)


def one_error(r) -> str:
    """The one error line of a command refused as bad input (exit 2, no traceback)."""
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2, r.output
    errs = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert len(errs) == 1, r.output
    return errs[0]


def refused(*args) -> str:
    return one_error(invoke(*args))


@pytest.fixture
def project(tmp_path):
    """A copy of the shipped scenarios and the fact register in a folder of its own."""
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    return tmp_path


# 1, 2, 3: scalars the YAML tags cannot make --------------------------------------------------------------

@pytest.mark.parametrize("value, why", [
    ("2022-02-30T00:00:00+00:00", "not a real date and time (day is out of range for month)"),
    ("2022-13-45", "not a real date and time (month must be in 1..12)"),
])
def test_impossible_dates_are_one_line(value, why):
    line = refused("validate", S, "--set", f"clock.start={value}")
    assert line == f"error: --set clock.start={value}: clock.start: bad value {value!r}: {why}"


def test_an_impossible_date_in_a_file_names_its_line(project):
    f = project / "scenarios" / "bad-date.yaml"
    f.write_text("extends: nato-response-2022.yaml\nname: bad-date\nclock:\n  start: 2022-13-45\n")
    assert refused("validate", f) == (f"error: {f}:4: clock.start: bad value '2022-13-45': not a real date and "
                                      "time (month must be in 1..12)")


def test_an_integer_of_4301_digits_is_one_short_line():
    line = refused("validate", S, "--set", f"forces.vjtf.strength={NINES}")
    assert "forces.vjtf.strength: bad value '9999" in line and "a whole number of more than 4,300 digits" in line
    assert len(line) < 300  # neither the option nor the value is echoed whole


@pytest.mark.parametrize("item, why", [
    ("injects.invasion.title=!!timestamp garbage", "bad value 'garbage': not a date and time"),
    ("forces.vjtf.strength=!!int abc", "bad value 'abc': not a whole number"),
    ("forces.vjtf.encounters=!!bool maybe", "bad value 'maybe': not true or false"),
    ("forces.vjtf.strength=!!float xyz", "bad value 'xyz': not a number"),
])
def test_standard_tags_with_bad_content_are_one_line(item, why):
    line = refused("validate", S, "--set", item)
    assert line.startswith(f"error: --set {item}: {item.split('=')[0]}: ") and why in line, line


def test_numbers_in_scientific_notation_are_numbers():
    """YAML 1.1 read 1e-3 as the text '1e-3' (it wants 1.0e-3): refused as 'not a number'."""
    assert yamlsrc.parse_value("1e-3") == 0.001 and yamlsrc.parse_value("2E6") == 2e6
    assert invoke("validate", S, "--set", "deconfliction.p_incident=1e-1").exit_code == 0


# 4: what validates must run ------------------------------------------------------------------------------

@pytest.mark.parametrize("item, field", [
    ("adversary.axes.crimea.opposition={dist: lognormal, median: 2, sigma: 1e300}", "opposition.sigma"),
    ("forces.vjtf.transit_h={dist: uniform, low: -1e300, high: 1e300}", "forces.vjtf.transit_h"),
    ("forces.vjtf.transit_h={dist: exponential, mean: 1e200}", "forces.vjtf.transit_h"),
    ("clock.start=0001-01-01T00:30:00+01:00", "clock.start"),
    ("clock.start=9999-12-31T23:00:00+00:00", "clock.start"),
    ("checkpoints.friday_noon_et.at_time=9999-12-31T23:00:00+00:00", "checkpoints.friday_noon_et"),
    ("injects.invasion.at_time=0001-01-01T00:00:00+00:00", "injects.invasion.at_time"),
])
def test_parameters_that_overflow_sampling_or_calendar_arithmetic_are_refused(item, field):
    line = refused("run", S, "--set", item)
    assert line.startswith(f"error: --set {item}: ") and field in line, line


def test_every_distribution_at_its_bounds_samples_finite_numbers():
    extremes = [LogNormal(dist="lognormal", median=MAX_PARAM, sigma=MAX_SIGMA),
                Uniform(dist="uniform", low=-MAX_PARAM, high=MAX_PARAM),
                Exponential(dist="exponential", mean=MAX_PARAM),
                TruncNormal(dist="truncnormal", mean=MAX_PARAM, sd=MAX_PARAM)]
    for d in extremes:
        for u in (1e-12, 0.5, 1 - 1e-12):
            assert math.isfinite(d.quantile(u)), (d, u)


def test_a_scenario_at_the_bounds_runs():
    r = invoke("run", S, "--json", "--set", "adversary.axes.crimea.opposition={dist: lognormal, median: 0.5, "
               "sigma: 10}", "--set", "clock.start=8999-12-20T00:00:00+14:00")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["horizon_h"] == 144


# 10: hand-edited session logs ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def good_log(tmp_path_factory):
    d = tmp_path_factory.mktemp("log")
    script = d / "cmds.txt"
    script.write_text('next\ninject "Hotline silent" --tension 5\n')
    log = d / "good.jsonl"
    r = invoke("workshop", S, "--session", log, "--script", script)
    assert r.exit_code == 0, r.output
    return [json.loads(x) for x in log.read_text().splitlines()][:-1]   # without the close entry


def _adhoc(e):
    return next(x for x in e if x["kind"] == "inject")["adhoc"]


@pytest.mark.parametrize("name, edit, where, why", [
    ("no-title", lambda e: _adhoc(e).pop("title"), 3, "inject entry lacks 'adhoc.title'"),
    ("tension-text", lambda e: _adhoc(e).update(tension="high"), 3,
     'inject entry: adhoc.tension: Input should be a valid number, got "high"'),
    ("tension-huge", lambda e: _adhoc(e).update(tension=1e308), 3,
     "inject entry: adhoc.tension: Input should be less than or equal to 1000, got 1e+308"),
    ("turn", lambda e: e[0].update(turn_h=1e-9), 1, "open entry: turn_h: Input should be greater than or equal to"),
    ("nan", lambda e: e[1].update(sim_h=float("nan")), 2, "next entry: sim_h: Input should be a finite number, got NaN"),
    ("team", lambda e: e[0].update(teams=["blue", "a b!"]), 1, "open entry: teams.1: String should match pattern"),
    ("override", lambda e: e[0].update(overrides=["forces.vjtf.strength=!!int abc"]), 1,
     "open entry: the scenario it names cannot be loaded: --set forces.vjtf.strength=!!int abc: "
     "forces.vjtf.strength: bad value 'abc': not a whole number"),
])
def test_a_hand_edited_session_log_entry_is_one_line_with_file_line_and_field(tmp_path, good_log, name, edit,
                                                                               where, why):
    entries = json.loads(json.dumps(good_log))
    edit(entries)
    log = tmp_path / f"{name}.jsonl"
    text = "".join(json.dumps(e) + "\n" for e in entries)
    script = tmp_path / "quit.txt"
    script.write_text("quit\n")
    for args in (["workshop", "--resume", log, "--script", script], ["report", "--session", log, "--out",
                                                                      tmp_path / "rep"]):
        log.write_text(text)
        line = one_error(invoke(*args))
        assert line.startswith(f"error: {log}:{where}: {why}"), (args, line)
        assert log.read_text() == text   # a refused log is not written to


# 11: runaways --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["100", "9223372036854775808"])
def test_absurd_encounter_rates_are_refused(value):
    line = refused("validate", S, "--set", f"deconfliction.encounter_rate.air={value}")
    assert "deconfliction.encounter_rate.air: Input should be less than or equal to 1" in line


def test_a_run_over_its_encounter_budget_stops_with_one_line_naming_the_rate(monkeypatch):
    import sim.engine.deconfliction as d

    monkeypatch.setattr(d, "MAX_ENCOUNTERS", 300)
    t = time.monotonic()
    line = refused("run", S, "--set", "deconfliction.encounter_rate.air=0.01")
    assert time.monotonic() - t < 20
    assert line.startswith("error: the run stopped at H+") and "more than 300 encounters" in line
    assert "lower deconfliction.encounter_rate.air" in line
    assert invoke("run", S).exit_code == 0   # the baseline is far below any budget


def test_the_encounter_budget_also_stops_a_batch_in_one_line(monkeypatch, tmp_path):
    import sim.engine.deconfliction as d

    monkeypatch.setattr(d, "MAX_ENCOUNTERS", 300)
    line = refused("batch", S, "--reps", 2, "--workers", 1, "--db", tmp_path / "r.db", "--set",
                   "deconfliction.encounter_rate.air=0.01")
    assert "lower deconfliction.encounter_rate.air" in line


# 12: files that are not scenarios -------------------------------------------------------------------------

def test_a_device_a_fifo_and_a_folder_are_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    t = time.monotonic()
    assert refused("run", "/dev/zero") == "error: /dev/zero: is not a regular file (a device, pipe or socket), " \
                                          "not a scenario file"
    assert refused("run", fifo).endswith("is not a regular file (a device, pipe or socket), not a scenario file")
    assert refused("run", tmp_path).endswith("is a directory, not a scenario file")
    assert time.monotonic() - t < 10


def test_a_big_file_is_refused_before_parsing_and_a_node_bomb_while_composing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: big\nitems:\n" + "  - [1, 2]\n" * 60_000)   # 600 KB
    t = time.monotonic()
    assert refused("validate", big) == (f"error: {big}: too large for a scenario file "
                                        f"({big.stat().st_size:,} bytes; at most {yamlsrc.MAX_BYTES:,})")
    many = tmp_path / "many.yaml"
    many.write_text("items:\n" + "  - [1, 2, 3, 4, 5, 6, 7]\n" * 15_000)  # under the size cap, 120,000 values
    assert many.stat().st_size < yamlsrc.MAX_BYTES
    line = refused("validate", many)
    assert line.startswith(f"error: {many}:") and f"document too large (more than {yamlsrc.MAX_NODES} values)" in line
    assert time.monotonic() - t < 15


# 17, 18, 19: text that leaks into outputs ---------------------------------------------------------------

PAYLOAD = '<script>alert(1)</script> <img src=x onerror=alert(2)> &amp;'


def test_markdown_msel_neutralises_html_from_the_scenario(tmp_path):
    out = tmp_path / "msel.md"
    r = invoke("msel", S, "--set", f"injects.invasion.title={PAYLOAD}", "--out", out)
    assert r.exit_code == 0, r.output
    md = out.read_text()
    assert "<script>" not in md and "<img" not in md and "&lt;script>alert(1)&lt;/script>" in md
    assert "&amp;amp;" in md


@pytest.mark.slow
def test_markdown_aar_neutralises_html_from_the_scenario(tmp_path):
    out = tmp_path / "rep"
    r = invoke("report", S, "--reps", 3, "--workers", 1, "--out", out, "--set",
               f"objectives.activation_day1.title={PAYLOAD}")
    assert r.exit_code == 0, r.output
    md = (out / "aar.md").read_text()
    assert "<script>" not in md and "<img" not in md and "&lt;script>" in md
    assert "<script>" not in (out / "aar.html").read_text()   # the HTML was escaped before, and still is
    assert "<br>" in md or "| " in md   # the template's own Markdown is untouched


FORMULAS = ['=HYPERLINK("http://x","y")', "+SUM(1)", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1+1"]


def test_msel_csv_cells_never_start_a_formula():
    from sim.safetext import csv_cell

    for f in FORMULAS:
        r = invoke("msel", S, "--format", "csv", "--set", f"injects.invasion.title={json.dumps(f)}")
        assert r.exit_code == 0, r.output
        rows = list(csv.DictReader(io.StringIO(r.output)))
        titles = [row["title"] for row in rows if row["id"] == "invasion"]
        assert titles == [csv_cell(f)] and titles[0].startswith("'"), titles
    assert csv_cell(-2.5) == -2.5 and csv_cell("plain") == "plain" and csv_cell("") == ""


def test_export_csv_cells_never_start_a_formula(tmp_path):
    db = tmp_path / "r.db"
    vary = "injects.invasion.title=" + ",".join(json.dumps(f) for f in FORMULAS[:3])
    r = invoke("batch", S, "--reps", 1, "--workers", 1, "--db", db, "--vary", vary)
    assert r.exit_code == 0, r.output
    out = tmp_path / "batch.csv"
    r = invoke("export", 1, "--db", db, "--format", "csv", "--out", out)
    assert r.exit_code == 0, r.output
    cells = [c for row in csv.reader(io.StringIO(out.read_text())) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells


ESC = '"\\e[2J\\e]0;pwned\\a evil \\r title"'


def test_terminal_escapes_from_a_scenario_never_reach_the_terminal(tmp_path):
    r = invoke("run", S, "--set", f"title={ESC}", "--set", f"injects.invasion.title={ESC}")
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output and "\r" not in r.output
    assert "pwned" in r.output
    script = tmp_path / "cmds.txt"
    script.write_text("next 3\nstatus\nhistory\n")
    r = invoke("workshop", S, "--set", f"injects.invasion.title={ESC}", "--session", tmp_path / "s.jsonl",
               "--script", script)
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output and "pwned" in r.output
    r = invoke("validate", S, "--set", "forces.vjtf.strength=\x1b[2Jx")
    assert r.exit_code == 2 and "\x1b" not in r.output


# 20-23: extends and the fact register ---------------------------------------------------------------------

def test_extends_of_a_file_that_is_not_a_scenario_never_echoes_it(project):
    f = project / "scenarios" / "shadow.yaml"
    f.write_text("extends: ../../../../../../etc/passwd\n")
    line = refused("validate", f)
    assert line == (f"error: {f}:1: extends: give a scenario file ending in .yaml or .yml, "
                    "got '../../../../../../etc/passwd'")
    assert "root:" not in line
    g = project / "scenarios" / "register.yaml"
    g.write_text("extends: nato-response-2022.yaml\nfact_register: /etc/passwd\n")
    assert refused("validate", g) == (f"error: {g}:2: fact_register: give a fact register file ending in .yaml "
                                      "or .yml, got '/etc/passwd'")


def test_a_non_scenario_yaml_is_at_most_a_few_lines(project):
    f = project / "keys.yaml"
    f.write_text("".join(f"key{i}: value {i}\n" for i in range(200)) + "name: x\n")
    r = invoke("validate", f)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert len(r.output.splitlines()) <= 32 and "more problems (is this a scenario file?)" in r.output


def test_extends_of_a_device_or_a_link_to_one_says_what_it_is(project):
    f = project / "scenarios" / "zero.yaml"
    f.write_text("extends: /dev/zero\n")
    assert "no such file" not in refused("validate", f)
    (project / "scenarios" / "dev.yaml").symlink_to("/dev/zero")
    f.write_text("extends: dev.yaml\n")
    assert refused("validate", f) == (f"error: {f}:1: extends: dev.yaml is not a regular file (a folder, device "
                                      "or pipe); give a scenario .yaml file")


def test_a_scenario_outside_the_project_extending_a_shipped_one_finds_the_parents_register(tmp_path):
    f = tmp_path / "elsewhere" / "mine.yaml"
    f.parent.mkdir()
    f.write_text(f"extends: {BASELINE}\nname: mine\nforces:\n  vjtf:\n    strength: 6000\n")
    r = invoke("validate", f)
    assert r.exit_code == 0, r.output


def test_no_register_anywhere_says_which_files_looked(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    # the baseline without its place ids (no gazetteer is beside it either: that would be one more line each),
    # nor the movements that need them
    lines, text, skip = BASELINE.read_text().splitlines(keepends=True), "", False
    for ln in lines:
        skip = ln.startswith("    movement:") or (skip and ln.startswith("      "))
        if not skip and not ln.lstrip().startswith(("origin_place:", "destination_place:", "pool:", "areas:")):
            text += ln
    # the axes' places need a gazetteer: one named outside any seeds/ folder (so no register is found beside it)
    (tmp_path / "g").mkdir()
    shutil.copy(ROOT / "seeds" / "gazetteer.yaml", tmp_path / "g" / "gazetteer.yaml")
    text = text.replace("name: nato-response-2022", "name: nato-response-2022\ngazetteer: ../g/gazetteer.yaml", 1)
    (a / "base.yaml").write_text(text)
    child = tmp_path / "b" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../a/base.yaml\nname: child\n")
    line = refused("validate", child)
    assert "fact ids are cited but no fact register was found: looked for seeds/facts.yaml at and above " \
           f"{child.parent} and {a}" in line
    assert line.startswith(f"error: {a / 'base.yaml'}:")   # at the first citation


def test_fact_register_is_relative_to_the_file_that_names_it(tmp_path):
    (tmp_path / "reg").mkdir()
    shutil.copy(ROOT / "seeds" / "facts.yaml", tmp_path / "reg" / "facts.yaml")
    (tmp_path / "a").mkdir()
    text = BASELINE.read_text().replace("name: nato-response-2022", "name: base\nfact_register: ../reg/facts.yaml\n"
                                        "gazetteer: ../reg/gazetteer.yaml")
    shutil.copy(ROOT / "seeds" / "gazetteer.yaml", tmp_path / "reg" / "gazetteer.yaml")   # named the same way
    (tmp_path / "a" / "base.yaml").write_text(text)
    child = tmp_path / "child.yaml"
    child.write_text("extends: a/base.yaml\nname: child\n")
    r = invoke("validate", child)
    assert r.exit_code == 0, r.output


# 21: YAML reader errors ----------------------------------------------------------------------------------

def test_yaml_errors_are_one_line_with_line_and_column(tmp_path):
    f = tmp_path / "bell.yaml"
    f.write_text("name: x\ntitle: a\x07b\n")
    assert refused("validate", f) == (f"error: {f}:2:9: YAML syntax error: character '\\x07' (#x0007) is not "
                                      "allowed in YAML text")
    g = tmp_path / "flow.yaml"
    g.write_text("name: x\ntitle: [a\n")
    assert refused("validate", g).startswith(f"error: {g}:3:1: YAML syntax error: while parsing a flow sequence")


# 24: a big sweep with a bad value ------------------------------------------------------------------------

def test_a_10000_point_sweep_with_a_bad_value_is_one_line_with_the_count(tmp_path):
    t = time.monotonic()
    line = refused("batch", S, "--reps", 1, "--workers", 1, "--db", tmp_path / "r.db", "--vary",
                   "forces.vjtf.strength=-10000:-1:1")
    assert time.monotonic() - t < 25
    assert line == ("error: --vary forces.vjtf.strength=-10000: forces.vjtf.strength: Input should be greater "
                    "than or equal to 0 (10,000 of the 10,000 values refused; the first shown)")


# 25: usage errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, line", [
    (["run"], "error: Missing argument 'scenario'. (crisis-sim run --help shows the usage)"),
    (["run", S, "--seed", "abc"], "error: Invalid value for '--seed' / '-s': Input should be a valid integer, "
                                  "unable to parse string as an integer (crisis-sim run --help shows the usage)"),
    (["batch", S, "--bogus"], "error: No such option: --bogus (crisis-sim batch --help shows the usage)"),
    (["rn", S], "error: No such command 'rn'. Did you mean 'run'? (crisis-sim --help shows the usage)"),
])
def test_usage_errors_are_one_line(args, line):
    r = CliRunner().invoke(app, args, prog_name="crisis-sim")
    assert one_error(r) == line
    assert "╭" not in r.output and "Usage:" not in r.output


# 29: messages in the user's words ------------------------------------------------------------------------

@pytest.mark.parametrize("option, item, line", [
    ("--set", "forces.vjtf.notice_to_move_h=abc",
     "error: --set forces.vjtf.notice_to_move_h=abc: forces.vjtf.notice_to_move_h: expected a number, or a "
     "distribution such as {dist: uniform, low: 1, high: 2}, got 'abc'"),
    ("--set", "decisions.nrf_deploy.default=holdd",
     "error: --set decisions.nrf_deploy.default=holdd: decisions.nrf_deploy.default: default 'holdd' is not one "
     "of the options ['deploy', 'hold']; did you mean 'hold'?"),
    ("--set", "forces.vjtf.strenght=3",
     "error: --set forces.vjtf.strenght=3: forces.vjtf.strenght: unknown field; did you mean 'strength'?"),
    ("--set", "forces.vjtff.strength=3",
     "error: --set forces.vjtff.strength=3: forces.vjtff: no such field; did you mean 'vjtf'? (has "
     "allied_air_alert, allied_maritime, nrf_air, nrf_maritime, ru_air, ru_fleets, ua_72_mech, ua_donbas_line, "
     "ua_kharkiv_defence, ua_kherson_defence, ua_kyiv_defence, ua_mariupol_defence, us_bragg_stewart, us_earlier, "
     "vjtf)"),
    ("--set", "forces.vjtf.kind=lnd",
     "error: --set forces.vjtf.kind=lnd: forces.vjtf.kind: Input should be 'land', 'air' or 'sea', got 'lnd'; "
     "did you mean 'land'?"),
    ("--set", "forces.vjtf.transit_h={dist: unifrm}",
     "error: --set forces.vjtf.transit_h={dist: unifrm}: forces.vjtf.transit_h: unknown distribution 'unifrm'; "
     "did you mean 'uniform'?; one of fixed, uniform, triangular, truncnormal, lognormal, exponential"),
    ("--set", "objectives.vjtf_ready.metric=force.vjtf.ready_after_activation",
     "error: scenarios/nato-response-2022.yaml"),
])
def test_messages_name_what_was_typed_and_the_nearest_choice(option, item, line):
    got = refused("validate", S, option, item)
    if line.startswith("error: scenarios/"):
        assert "unknown metric 'force.vjtf.ready_after_activation'; did you mean " \
               "'force.vjtf.ready_after_activation_h' or " in got, got
    else:
        assert got == line


def test_a_vary_is_reported_as_a_vary_with_the_fields_there(tmp_path):
    line = refused("batch", S, "--reps", 1, "--workers", 1, "--db", tmp_path / "r.db", "--vary", "x=0.1-0.4")
    assert line.startswith("error: --vary x=0.1-0.4: x: unknown field; the fields here are adversary, "
                           "checkpoints, clock, ")


# 30: a shipped scenario by its name ----------------------------------------------------------------------

def test_a_shipped_scenario_by_the_name_list_shows(tmp_path):
    r = invoke("run", "nato-response-2022", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["scenario"] == "nato-response-2022"
    assert invoke("validate", "vjtf-slip").exit_code == 0
    assert invoke("msel", "strait-standoff").exit_code == 0
    assert refused("run", "no-such-scenario") == "error: no-such-scenario: no such file"


def test_a_standard_tag_with_nothing_after_it_is_one_line(tmp_path):
    """Found by the fuzz at scale: `facts: !!float` (a tag on an empty value) was an IndexError."""
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / "facts.yaml", tmp_path / "seeds" / "facts.yaml")
    shutil.copy(ROOT / "seeds" / "gazetteer.yaml", tmp_path / "seeds" / "gazetteer.yaml")
    f = tmp_path / "t.yaml"
    f.write_text(BASELINE.read_text().replace("      facts: [ru-troops-committed, btg-size]\n", "      facts: !!float\n", 1))
    line = refused("validate", f)
    assert line.startswith(f"error: {f}:") and "facts: bad value '': not a number" in line
    for tag in ("!!float", "!!int", "!!bool"):
        assert "bad value ''" in refused("validate", BASELINE, "--set", f"forces.vjtf.strength={tag}")
