"""The situation board as data and as text: what changed since the last stop, each tension change with
its typed cause, an inject's consequences listed under it, one team naming from the scenario's ``teams:``."""
from __future__ import annotations

import io

import pytest
from conftest import ROOT
from rich.console import Console

from sim.engine.trace import ForceRecord, SourceKind, TensionRecord
from sim.narrative import h_label
from sim.scenario.load import load_scenario
from sim.workshop.board import board_rich, board_text, build_board, escalation_at
from sim.workshop.commands import execute
from sim.workshop.console import render
from sim.workshop.session import Session, WorkshopError

BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"


def _session(seed: int = 3) -> Session:
    return Session.start(load_scenario(BASELINE), seed=seed)


def _text(session: Session, line: str) -> str:
    buf = io.StringIO()
    render(execute(session, line).items, Console(file=io.StringIO()), False, buf)
    return buf.getvalue()


def _until(session: Session, pred, limit: int = 40) -> dict:
    for _ in range(limit):
        session.next()
        b = build_board(session)
        if pred(b):
            return b
        while session.pending:
            session.decide(session.pending["decision"], session.pending["default"])
    raise AssertionError("the stop never came")


def test_tension_and_rung_at_each_stop_follow_from_the_typed_records():
    s = _session()
    for _ in range(12):
        while s.pending:
            s.decide(s.pending["decision"], s.pending["default"])
        s.next()
        st = s.view().state
        v, rung = escalation_at(s.view().trace, s.clock)
        assert v == pytest.approx(st["tension"], abs=1e-4) and rung == st["rung"]


def test_an_injects_tension_jump_and_forces_are_listed_under_it_not_above():
    s = _session()
    b = build_board(s)                            # H-hour: the invasion inject
    inv = next(i for i in b["injects"] if i["id"] == "invasion")
    under = [e for e in b["events"] if e["under"] == inv["seq"]]
    assert {e["kind"] for e in under} >= {"tension", "rung"}
    trace = s.view().trace
    jumps = [r for r in trace if isinstance(r, TensionRecord) and r.t_h == 0 and r.change == "jump"]
    assert jumps and all(r.cause.kind is SourceKind.INJECT and r.cause.id == "invasion" for r in jumps)
    text = board_text(b)
    timeline = text.split("What happened")[1].split("Injects:")[0]
    assert "tension +25.0" not in timeline                    # not above the inject, on its own
    card = text.split("INJECT invasion")[1]
    assert "-> tension: tension +25.0 (20.0 \u2192 45.0, Full-scale invasion)" in card


def test_forces_an_inject_moved_come_under_it_and_are_marked_changed():
    s = _session()
    b = _until(s, lambda b: any(i["id"] == "nrf_activation_agreed" for i in b["injects"]))
    nac = next(i for i in b["injects"] if i["id"] == "nrf_activation_agreed")
    window = [r for r in s.view().trace if b["since_h"] < r.t_h <= b["clock_h"] + 1e-5]
    moved = [r for r in window if isinstance(r, ForceRecord) and r.t_h == nac["h"]]
    assert moved                                               # the NAC's activation moves NRF forces
    assert {e["seq"] for e in b["events"] if e["under"] == nac["seq"]} >= {r.seq for r in moved}
    assert set(b["changed_forces"]) == {r.force for r in window if isinstance(r, ForceRecord)}
    text = board_text(b)
    for f in b["forces"]:
        row = next(ln for ln in text.splitlines() if f["name"] in ln and f["side"] in ln)
        assert row.startswith("* ") == (f["id"] in b["changed_forces"]), row
    assert "(* changed since H+" in text
    card = text.split("INJECT nrf_activation_agreed")[1]
    assert all(f"-> force: {r.text}" in card for r in moved)


def test_decay_alone_is_said_and_not_flagged_a_jump_is_flagged_with_its_cause():
    s = _session()
    b = _until(s, lambda b: not any(e["kind"] in ("tension", "rung") for e in b["events"])
               and abs(b["tension"] - b["tension_before"]) >= 0.05)    # a stop with nothing but decay
    head = board_text(b).splitlines()[2]
    d = b["tension"] - b["tension_before"]
    assert d < 0 and f"({d:+.1f} since {h_label(round(b['since_h'], 2))}, decay)" in head
    assert "<<" not in head
    _until(s, lambda b: s.pending is not None)
    assert s.pending["decision"] == "saceur_deconfliction"      # the first decision point of the baseline
    s.decide("saceur_deconfliction", "forward", "show of force")
    b = build_board(s)
    dec = next(e for e in b["events"] if e["kind"] == "decision")
    under = [e for e in b["events"] if e["under"] == dec["seq"]]
    assert [e["kind"] for e in under] == ["tension"] and "Forward posture" in under[0]["text"]
    text = board_text(b)
    assert "<<" in text.splitlines()[2]
    assert "    -> tension: tension +3.0" in text.split("decision")[1]


def test_rich_board_highlights_changed_forces_and_wraps_at_80_columns():
    s = _session()
    b = _until(s, lambda b: bool(b["changed_forces"]))
    buf = io.StringIO()
    Console(file=buf, width=80, force_terminal=True, color_system="standard").print(board_rich(b))
    out = buf.getvalue()
    assert "highlighted: changed since H+" in out and "\x1b[1;7m" in out   # bold reverse rows
    plain = io.StringIO()
    Console(file=plain, width=80, force_terminal=True, color_system=None).print(board_rich(b))
    assert max(len(x) for x in plain.getvalue().splitlines()) <= 80


def test_one_team_naming_from_the_scenarios_teams():
    s = _session()
    assert s.team_names() == ["blue", "red", "white", "ukraine"]   # ukraine: a side no team plays
    assert s.check_team("nato") == "blue" and s.check_team("russia") == "red"
    with pytest.raises(WorkshopError, match="unknown team 'purple'; teams: blue, red, white, ukraine"):
        s.check_team("purple")
    b = _until(s, lambda b: b["pending"] is not None)
    assert b["pending"]["team"] == "blue"                       # the side nato is played by team blue
    p = s.pending
    e = s.decide(p["decision"], p["default"])
    assert e["team"] == "blue"
    assert s.note("x", team="nato")["team"] == "blue"
    assert "DECISION NEEDED (nato)" not in _text(s, "status")
