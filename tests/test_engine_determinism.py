"""Same scenario + seed + decisions -> the same trace, byte for byte."""
import subprocess
import sys

import numpy as np
from conftest import BASELINE, ROOT

from sim import Scripted, WeightedRandom, run


def test_same_seed_same_json(baseline):
    a, b = run(baseline, seed=11), run(baseline, seed=11)
    assert a.to_json() == b.to_json()
    assert a.trace_jsonl() == b.trace_jsonl()


def test_different_seeds_differ(baseline):
    assert run(baseline, seed=1).to_json() != run(baseline, seed=2).to_json()


def test_spawned_streams_are_reproducible(baseline):
    kids = np.random.SeedSequence(5).spawn(3)
    again = np.random.SeedSequence(5).spawn(3)
    assert run(baseline, kids[2]).to_json() == run(baseline, again[2]).to_json()
    assert run(baseline, kids[0]).to_json() != run(baseline, kids[1]).to_json()


def test_same_decisions_same_trace_and_random_source_is_seeded(baseline):
    d = {"nrf_deploy": "hold", "red_reserves": "commit"}
    assert run(baseline, 3, d).to_json() == run(baseline, 3, d).to_json()
    assert run(baseline, 3, WeightedRandom()).to_json() == run(baseline, 3, WeightedRandom()).to_json()


def test_a_decision_does_not_reshuffle_unrelated_randomness(baseline):
    # each component draws from its own stream: changing the red decision leaves NATO timings alone
    a = run(baseline, 9).metrics
    b = run(baseline, 9, {"red_reserves": "commit"}).metrics
    for k in ("force.vjtf.activated_h", "force.vjtf.ready_h", "event.summit.h", "axis.azov_landing.start_h"):
        assert a[k] == b[k]
    assert b["committed_troops"] == a["committed_troops"] + baseline.adversary.axes["second_echelon"].troops


def test_more_encounters_do_not_shift_parameter_draws(baseline):
    # encounters draw from a stream of their own: tripling the rate changes the encounter count,
    # not the notice-to-move, transit or inject hours every parameter drew from the parameter stream
    d = baseline.deconfliction
    busier = baseline.model_copy(update={"deconfliction": d.model_copy(
        update={"encounter_rate": {k: 3 * v for k, v in d.encounter_rate.items()}})})
    for seed in range(5):
        a, b = run(baseline, seed).metrics, run(busier, seed).metrics
        assert b["encounters"] > a["encounters"]
        for k in ("force.vjtf.ready_after_activation_h", "force.nrf_maritime.in_place_after_activation_h",
                  "event.nrf_activation_agreed.h", "event.summit.h", "axis.azov_landing.start_h"):
            assert a[k] == b[k], (seed, k)


def test_runs_without_a_trace_measure_the_same(baseline):
    # batches run without keeping the trace, reports and workshops with it: the outcome must not differ
    for seed in range(8):
        for decisions in (None, WeightedRandom()):
            traced = run(baseline, seed, decisions)
            bare = run(baseline, seed, decisions if decisions is None else WeightedRandom(), keep_trace=False)
            assert bare.trace == [] and traced.trace
            assert bare.metrics == traced.metrics and bare.decisions == traced.decisions, seed
            assert bare.state == traced.state


def test_paused_run_reports_the_pending_decision(baseline):
    r = run(baseline, 4, Scripted({}, fallback=None))
    assert r.pending is not None and r.pending["decision"] == "saceur_deconfliction"
    assert r.trace[-1].kind == "pending"


def test_cli_json_is_byte_identical_across_processes():
    cmd = [sys.executable, "-m", "sim", "run", str(BASELINE), "--seed", "7", "--json"]
    a = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    b = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert a == b and '"trace"' in a
