"""Workshop session: stops, decisions, injects and undo, all rebuilt by replay."""
from __future__ import annotations

import pytest
from conftest import BASELINE, MINIMAL

from sim import load_scenario, run
from sim.workshop import Session, WorkshopError
from sim.workshop.board import build_board
from sim.workshop.commands import execute


@pytest.fixture
def mini(write):
    from sim import load_scenario

    return load_scenario(write("mini.yaml", MINIMAL))


def _clocks(sess: Session, n: int) -> list[tuple[float, str]]:
    out = []
    for _ in range(n):
        e = sess.next()
        out.append((e["sim_h"], e["stop"]))
        if sess.pending or e["stop"] == "horizon":
            break
    return out


def test_next_stops_at_injects_decisions_and_turn_boundaries(mini):
    sess = Session.start(mini, turn_h=6)
    # go inject at 3, the turn boundary at 6, then the posture decision at 8 (the run pauses there)
    assert _clocks(sess, 5) == [(3.0, "inject"), (6.0, "turn"), (8.0, "decision")]
    assert sess.pending["decision"] == "posture"
    with pytest.raises(WorkshopError, match="decision posture is waiting"):
        sess.next()
    sess.decide("posture", "deploy", "get there first")
    assert sess.pending is None
    # spike inject at 20 falls between the boundaries 18 and 24
    assert _clocks(sess, 4) == [(12.0, "turn"), (18.0, "turn"), (20.0, "inject"), (24.0, "turn")]


def test_board_shows_what_happened_since_the_last_stop(mini):
    sess = Session.start(mini, turn_h=6)
    b0 = build_board(sess)
    assert b0["clock_h"] == 0 and b0["pending"] is None
    sess.next()
    b = build_board(sess)
    assert [i["id"] for i in b["injects"]] == ["go"]
    assert {f["id"]: f["state"] for f in b["forces"]} == {"f1": "activated"}
    assert all(0 < e["h"] <= 3 for e in b["events"])
    sess.next()
    sess.next()
    b = build_board(sess)
    assert b["pending"]["decision"] == "posture"
    assert [o["id"] for o in b["pending"]["options"]] == ["deploy", "stay"]
    assert b["pending"]["options"][0]["default"] is True
    assert not b["injects"]  # the go inject was shown at its own stop


def test_first_stop_on_baseline_matches_the_engine(baseline):
    sess = Session.start(baseline, seed=3, turn_h=6)
    sess.next()
    full = run(baseline, 3)
    firsts = [r.t_h for r in full.trace if r.kind == "inject" and r.t_h > 0] + [d["t_h"] for d in full.decisions]
    assert sess.clock == pytest.approx(min(min(firsts), 6.0), abs=1e-6)


def test_decide_errors_keep_the_session_going(mini):
    sess = Session.start(mini, turn_h=6)
    r = execute(sess, "decide posture deploy")
    assert r.items[0].kind == "error" and "not pending" in r.items[0].data
    r = execute(sess, "decide nope deploy")
    assert "unknown decision 'nope'" in r.items[0].data and "posture" in r.items[0].data
    _clocks(sess, 5)
    r = execute(sess, "decide posture fly")
    assert "no option 'fly'" in r.items[0].data and "deploy, stay" in r.items[0].data
    r = execute(sess, "decide posture stay --team purple")
    assert "unknown team 'purple'" in r.items[0].data
    r = execute(sess, "frobnicate")
    assert "unknown command 'frobnicate'" in r.items[0].data
    r = execute(sess, 'note "unterminated')
    assert r.items[0].kind == "error"
    r = execute(sess, "decide posture stay too slow --team red")
    assert r.items[0].kind == "text" and "red decided posture" in r.items[0].data
    e = sess.history()[-1]
    assert (e["decision"], e["option"], e["team"], e["rationale"], e["decision_h"]) == \
        ("posture", "stay", "red", "too slow", 8.0)
    r = execute(sess, "decide posture deploy")
    assert "not pending" in r.items[0].data and "stay was chosen at H+8" in r.items[0].data


def test_decision_effects_follow_through(mini):
    sess = Session.start(mini, turn_h=6)
    _clocks(sess, 5)
    sess.decide("posture", "stay")
    assert sess.final_result().metrics["force.f1.deploying_h"] is None
    sess.undo()
    sess.decide("posture", "deploy")
    m = sess.final_result().metrics
    assert m["force.f1.deploying_h"] == pytest.approx(13.0) and m["force.f1.in_place_h"] == pytest.approx(18.0)


def test_undo_goes_back_by_replay(mini):
    sess = Session.start(mini, turn_h=6)
    sess.next()
    sess.next()
    before_stop = build_board(sess)
    sess.next()
    at_decision = build_board(sess)
    sess.decide("posture", "stay")
    assert build_board(sess) != at_decision
    sess.undo()
    assert build_board(sess) == at_decision and sess.pending["decision"] == "posture"
    sess.undo()
    assert build_board(sess) == before_stop and sess.clock == 6.0
    sess.note("a thought")
    sess.undo()
    assert build_board(sess) == before_stop and not sess.play.notes
    sess.undo()
    sess.undo()
    with pytest.raises(WorkshopError, match="nothing to undo"):
        sess.undo()
    kinds = [e["kind"] for e in sess.entries]
    assert kinds.count("undo") == 5 and kinds[0] == "open"


def test_library_and_adhoc_injects_take_effect_at_the_clock(baseline):
    # the baseline's line opens on 1 March (issue 10 item 8): here it is open from H-hour, for the inject to cut
    baseline = load_scenario(BASELINE, ["deconfliction.measures.hotline.active=true"])
    sess = Session.start(baseline, seed=1, turn_h=6)
    sess.next()
    t0 = sess.view().state["tension"]
    assert sess.view().state["measures"]["hotline"] is True
    execute(sess, "inject hotline_down")
    assert sess.view().state["measures"]["hotline"] is False
    execute(sess, 'inject "Power cut in the Baltics" --tension 12 --title Blackout')
    assert sess.view().state["tension"] == pytest.approx(t0 + 12, abs=0.01)
    b = build_board(sess)
    assert [i["title"] for i in b["injects"]][-2:] == ["Deconfliction line unanswered", "Blackout"]
    assert b["injects"][-1]["text"] == "Power cut in the Baltics"
    r = execute(sess, "inject nonesuch")
    assert r.items[0].kind == "error" and "hotline_down" in r.items[0].data
    r = execute(sess, 'inject "text" --tension lots')
    assert "--tension must be a number" in r.items[0].data


def test_a_scheduled_inject_brought_forward_is_delivered_once(baseline):
    # the facilitator pulls the summit forward to H+0: it comes then, not again at its scheduled hour
    planned = run(baseline, 2)
    assert [r.t_h for r in planned.trace if r.kind == "inject" and r.inject == "summit"] != [0.0]
    sess = Session.start(baseline, seed=2, turn_h=6)
    execute(sess, "inject summit")
    final = sess.final_result()
    assert [r.t_h for r in final.trace if r.kind == "inject" and r.inject == "summit"] == [0.0]
    assert final.metrics["event.summit.h"] == 0.0


def test_notes_check_team_and_objective(baseline):
    sess = Session.start(baseline, teams=["blue", "red"])
    assert "unknown objective" in execute(sess, "note --objective nope hi").items[0].data
    assert "unknown team" in execute(sess, "note --team green hi").items[0].data
    assert execute(sess, "note --team red --objective vjtf_ready they look slow").items[0].kind == "text"
    n = sess.play.notes[-1]
    assert (n["team"], n["objective"], n["text"]) == ("red", "vjtf_ready", "they look slow")


def test_horizon_ends_the_clock(mini):
    sess = Session.start(mini, turn_h=48)
    _clocks(sess, 3)
    sess.decide("posture", "deploy")
    stops = _clocks(sess, 10)
    assert stops == [(20.0, "inject"), (48.0, "turn"), (96.0, "turn"), (100.0, "horizon")]
    with pytest.raises(WorkshopError, match="horizon"):
        sess.next()
    assert any(e["kind"] == "end" for e in build_board(sess)["events"])


def test_inject_during_a_pending_decision_shows_before_it(baseline):
    # the trace rounds times to 1e-6 h: an inject "at the clock" must not land after the paused decision
    for seed in range(8):
        sess = Session.start(baseline, seed=seed)
        while not sess.pending:
            sess.next()
        p = sess.pending
        sess.inject("airspace_violation")
        assert sess.pending == p
        assert "airspace_violation" in [i["id"] for i in build_board(sess)["injects"]], seed


def test_completion_offers_ids(baseline):
    from sim.workshop.console import completions

    sess = Session.start(baseline, teams=["blue", "red", "white"])
    assert "decide" in completions(sess, "") and "undo" in completions(sess, "")
    assert completions(sess, "decide ")[:1] == ["saceur_deconfliction"]
    while not sess.pending:
        sess.next()
    assert completions(sess, "decide ")[0] == sess.pending["decision"]
    assert completions(sess, "decide nrf_deploy ")[:2] == ["deploy", "hold"]
    assert completions(sess, "decide nrf_deploy hold --team ")[:3] == ["blue", "red", "white"]
    assert "hotline_down" in completions(sess, "inject ")[:3]
    assert "vjtf_ready" in completions(sess, "note --objective ")


def test_rich_board_shows_text_literally(baseline):
    import io

    from rich.console import Console

    from sim.workshop.board import board_rich, board_text
    from sim.workshop.commands import Output
    from sim.workshop.console import render

    sess = Session.start(baseline)
    while not sess.pending:
        sess.next()
    execute(sess, 'inject "Press asks about [red]lines[/red]" --title "Q [&] A"')
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=140, color_system=None)
    console.print(board_rich(build_board(sess)))
    render([Output("error", "usage: decide DECISION OPTION [rationale]")], console, True, buf)
    shown = buf.getvalue()
    assert "Press asks about [red]lines[/red]" in shown and "Q [&] A" in shown
    assert "[rationale]" in shown and "DECISION NEEDED (blue)" in shown
    plain = board_text(build_board(sess))
    assert "Press asks about [red]lines[/red]" in plain and "decide saceur_deconfliction OPTION" in plain
