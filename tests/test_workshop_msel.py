"""`crisis-sim msel`: the Master Scenario Events List read from one run with default decisions."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from conftest import BASELINE, MINIMAL
from typer.testing import CliRunner

from sim.cli.app import app
from sim.cli.workshop_cmd import parse_turn
from sim.narrative import h_label
from sim.workshop import Session
from sim.workshop.msel import (
    CSV_FIELDS,
    build_msel,
    exercise_minutes,
    msel_from_result,
    msel_run,
    render_md,
    turn_of,
)

SEED = 7
START = datetime(2026, 12, 1, 9, 0)
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["msel", *[str(a) for a in args]])


@pytest.fixture(scope="module")
def played(baseline):
    """The baseline's run with SEED and default decisions, and its MSEL (6 h turns, 30 min each, from 09:00)."""
    result = msel_run(baseline, SEED)
    return result, msel_from_result(baseline, result, turn_h=6.0, minutes_per_turn=30, start=START)


def by_id(m, iid):
    return next(r for r in m.rows if r.id == iid)


def test_rows_are_the_runs_injects_and_decisions_in_trace_order(baseline, played):
    result, m = played
    recs = [r for r in result.trace if r.kind in ("inject", "decision")]
    assert len(m.rows) == len(recs) >= 10
    assert [r.number for r in m.rows] == list(range(1, len(recs) + 1))
    assert [(r.type, r.id, r.sim_h, r.sim_time) for r in m.rows] == \
        [(x.kind, x.inject if x.kind == "inject" else x.decision, x.t_h, x.time) for x in recs]
    assert {r.type for r in m.rows} == {"inject", "decision"}
    # the run a workshop started with this seed plays out when every answer is the default
    final = Session.start(baseline, seed=SEED).final_result()
    assert [(x.kind, x.t_h) for x in final.trace if x.kind in ("inject", "decision")] == \
        [(x.kind, x.t_h) for x in recs]
    # MSEL fields: an inject's from its trace record; a decision's team, options and default from the scenario
    inv = by_id(m, "invasion")
    assert (inv.sender, inv.recipient, inv.expected_action) == (
        "Intelligence", "North Atlantic Council", "Convene the Council; put NRF elements on alert.")
    assert inv.text.startswith("Russian forces cross") and inv.facts[0] == "invasion-start"
    nrf = by_id(m, "nrf_deploy")
    assert nrf.recipient == "NATO" and nrf.default == "deploy" and [k for k, _ in nrf.options] == ["deploy", "hold"]
    assert "deploy: Deploy NRF elements on land, at sea and in the air (default)" in nrf.expected_action
    # triggers: a sampled hour with its distribution, a condition in words
    act = by_id(m, "nrf_activation_agreed")
    assert act.trigger == f"at {h_label(act.sim_h)} (uniform 5-15 h)"
    assert by_id(m, "no_troops_ukraine").trigger == "after inject \u201cEmergency video summit of NATO leaders\u201d"
    assert by_id(m, "red_reserves").trigger == "at H+48"


def test_exercise_times_exact_for_a_start_and_pace(played, baseline):
    _, m = played
    # 6 h of scenario time = 30 min of exercise: 5 min per simulated hour
    assert by_id(m, "invasion").exercise_time == START                                      # H+0
    assert by_id(m, "russia_warns_finland").exercise_time == datetime(2026, 12, 1, 12, 0)  # H+36: 180 min
    assert by_id(m, "red_reserves").exercise_time == datetime(2026, 12, 1, 13, 0)          # H+48: 240 min
    act = by_id(m, "nrf_activation_agreed")                                                 # a sampled hour
    assert act.exercise_min == pytest.approx(act.sim_h * 5, abs=1e-6)
    assert act.exercise_time == START + timedelta(minutes=act.exercise_min)
    # another pace: 12 h turns of 45 min; H+36 is 3 turns in: 135 min; offsets without a start
    m2 = msel_from_result(baseline, played[0], turn_h=12.0, minutes_per_turn=45)
    assert by_id(m2, "russia_warns_finland").exercise_min == 135
    md = render_md(m2)
    assert "| +2:15 | inject | Russia warns Finland" in md and "| +3:00 | decision | Commit the second echelon" in md
    assert "ENDEX (H+144) at +9:00" in md


def test_turn_numbers_at_a_boundary(played, baseline):
    _, m = played
    assert turn_of(0.0, 6.0) == 1 and turn_of(5.9, 6.0) == 1 and turn_of(6.0, 6.0) == 2
    assert turn_of(36.0, parse_turn("20m")) == 109 and turn_of(1.0, parse_turn("20m")) == 4
    assert by_id(m, "invasion").turn == 1
    assert by_id(m, "russia_warns_finland").turn == 7          # H+36 opens turn 7 = [36, 42)
    assert by_id(m, "red_reserves").turn == 9                  # H+48 opens turn 9
    m12 = msel_from_result(baseline, played[0], turn_h=12.0, minutes_per_turn=30)
    assert by_id(m12, "russia_warns_finland").turn == 4 and by_id(m12, "red_reserves").turn == 5
    assert all(r.turn == turn_of(r.sim_h, 6.0) for r in m.rows)


def test_library_injects_only_as_contingency(played, baseline):
    _, m = played
    library = [k for k, v in baseline.injects.items() if v.library]
    assert library and [r.id for r in m.contingency] == library
    assert not {r.id for r in m.rows} & set(library)
    assert all(r.type == "contingency" and r.sim_h is None and r.turn is None and r.exercise_time is None
               for r in m.contingency)
    md = render_md(m)
    head, tail = md.split("## Contingency injects")
    assert all(f"`{i}`" not in head and f"`{i}`" in tail for i in library)


def test_unreached_items_are_named(write):
    text = MINIMAL.replace("injects:\n", """injects:
  never:
    title: Never
    text: Waits on an option the default run never takes.
    when: {decision: posture, option: stay}
  spare:
    title: Spare
    text: Only when the facilitator wants it.
    library: true
""", 1)
    from sim import load_scenario

    m = build_msel(load_scenario(write("mini.yaml", text)), 1, turn_h=4, minutes_per_turn=15)
    assert [r.id for r in m.rows] == ["go", "posture", "spike"]
    assert [(r.turn, r.exercise_min) for r in m.rows] == [(1, 11.25), (3, 30), (6, 75)]
    assert m.unreached == (("inject", "never", "after decision \u201cPosture\u201d = stay"),)
    assert [r.id for r in m.contingency] == ["spare"]
    assert "Not reached in this run" in render_md(m)


def test_cli_md_to_stdout_with_title_block():
    r = invoke(BASELINE, "--seed", SEED, "--turn", "6h", "--start", "2026-12-01T09:00", "--minutes-per-turn", 30,
               "--set", "injects.finland_statement.at_h=30")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "# MSEL: NATO Response Force activation, February 2022"
    head = "\n".join(lines[:8])
    assert "seed 7" in head and "hash `" in head and "6 h of scenario time = 30 min of exercise" in head
    assert "STARTEX Tue 01 Dec 2026 09:00" in head and "`injects.finland_statement.at_h=30`" in head
    assert "| 1 | H+0 | Thu 24 Feb 04:00 +01 | 1 | 09:00 | inject | Full-scale invasion (`invasion`) |" in r.output
    assert "| H+30 | Fri 25 Feb 10:00 +01 | 6 | 11:30 | inject | Finland may reconsider membership" in r.output


def test_csv_round_trips(tmp_path, played):
    _, m = played
    out = tmp_path / "sub" / "msel.csv"
    r = invoke(BASELINE, "--seed", SEED, "--start", "2026-12-01T09:00", "--format", "csv", "--out", out)
    assert r.exit_code == 0, r.output
    assert str(out) in r.output and not list(out.parent.glob(".*.tmp"))
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    rows = list(reader)
    assert tuple(reader.fieldnames) == CSV_FIELDS
    assert len(rows) == len(m.rows) + len(m.contingency)
    timed, spare = rows[:len(m.rows)], rows[len(m.rows):]
    assert [x["number"] for x in timed] == [str(i) for i in range(1, len(m.rows) + 1)]
    assert [(x["type"], x["id"], float(x["sim_h"]), x["sim_time"]) for x in timed] == \
        [(r.type, r.id, r.sim_h, r.sim_time) for r in m.rows]
    inv = timed[0]
    assert (inv["turn"], inv["exercise_time"], inv["title"]) == ("1", "2026-12-01T09:00", "Full-scale invasion")
    assert inv["text"] == by_id(m, "invasion").text and inv["facts"].split("; ") == list(by_id(m, "invasion").facts)
    red = next(x for x in timed if x["id"] == "red_reserves")
    assert (red["exercise_time"], red["options"], red["default"]) == ("2026-12-01T13:00", "hold_back; commit",
                                                                       "hold_back")
    assert {x["type"] for x in spare} == {"contingency"}
    assert all(x["number"] == x["sim_h"] == x["sim_time"] == x["turn"] == x["exercise_time"] == "" for x in spare)


@pytest.mark.parametrize("args, needle", [
    (["--turn", "0h"], "--turn"),
    (["--turn", "six hours"], "--turn"),
    (["--start", "tomorrow"], "--start"),
    (["--start", "2026-13-01T09:00"], "--start"),
    (["--minutes-per-turn", "0"], "--minutes-per-turn"),
    (["--minutes-per-turn", "0.5"], "--minutes-per-turn"),
    (["--minutes-per-turn", "half"], "--minutes-per-turn"),
    (["--format", "pdf"], "--format"),
    (["--set", "forces.vjtff.strength=3"], "--set forces.vjtff.strength=3"),
])
def test_bad_input_exits_2_with_one_line(args, needle):
    r = invoke(BASELINE, *args)
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 2, r.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)


def test_missing_or_invalid_scenario_exits_2(tmp_path, write):
    r = invoke(tmp_path / "missing.yaml")
    assert r.exit_code == 2 and r.output.strip() == f"error: {tmp_path / 'missing.yaml'}: no such file"
    bad = write("bad.yaml", MINIMAL.replace("horizon_h: 100", "horizon_h: 0"))
    r = invoke(bad)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in r.output


def test_ahead_lists_the_msel_rows_after_the_clock(baseline):
    from sim.workshop.commands import ahead_lines, execute

    sess = Session.start(baseline, seed=7, turn_h=6)
    rows = msel_from_result(baseline, sess.final_result(), turn_h=6).rows
    first = ahead_lines(sess, 3)
    assert len(first) == 3 and all(r.title in line for r, line in zip(rows[1:4], first, strict=False))  # row 1 is at H+0
    execute(sess, "next")
    execute(sess, "next")
    later = [r for r in rows if r.sim_h > sess.clock + 1e-5]
    got = ahead_lines(sess, 2)
    assert len(got) == 2 and later[0].title in got[0] and later[1].title in got[1]
    assert h_label(round(later[0].sim_h, 2)) in got[0] and f"turn {later[0].turn}" in got[0]
    reply = execute(sess, "ahead x")
    assert reply.items[0].kind == "error" and "ahead takes a number" in reply.items[0].data


def test_movements_on_the_path_are_the_runs_echelon_and_waypoint_records(played):
    from sim.engine.trace import EchelonRecord, WaypointRecord

    result, m = played
    moves = [r for r in result.trace if (isinstance(r, EchelonRecord) and r.event in ("departed", "in_place"))
             or isinstance(r, WaypointRecord)]
    assert moves and [mv.sim_h for mv in m.movements] == [float(r.t_h) for r in moves]
    first_in = next(r for r in moves if isinstance(r, EchelonRecord) and r.event == "in_place")
    row = m.movements[moves.index(first_in)]
    assert row.event == "in place" and row.place == first_in.destination_name
    assert row.strength.endswith(f"{first_in.strength_in_place:,.0f} {first_in.unit} in place")
    assert (row.turn, row.exercise_min) == (turn_of(row.sim_h, 6.0), exercise_minutes(row.sim_h, 6.0, 30))
    md = render_md(m)
    section = md[md.index("## Movements on this path"):md.index("## Contingency injects")]
    assert section.count("\n| H+") == len(moves) and first_in.destination_name in section
