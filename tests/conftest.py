import contextlib
import subprocess
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The suite runs on every core through pytest-xdist (in the test extra) as ``-n auto --dist loadfile``:
    each test file in one worker, so a module-scoped fixture (a batch, a report) is made once. The command line
    overrides it (``-n 0`` for one process, ``-n 4``, ``--dist load``, ``-p no:xdist``); without pytest-xdist
    the suite runs in one process as before. An option in addopts would make pytest refuse to start where
    pytest-xdist is missing."""
    if not config.pluginmanager.hasplugin("xdist") or config.option.numprocesses is not None:
        return
    if hasattr(config, "workerinput"):      # a worker, which parses the command line again: it runs its share
        return
    if config.getoption("usepdb", False) or config.getoption("collectonly", False):
        return
    config.option.numprocesses = "auto"
    if config.option.dist == "no":
        config.option.dist = "loadfile"


def cli_in_process(*args, input: str | None = None, cwd: Path | str | None = None,
                   **_ignored) -> subprocess.CompletedProcess:
    """``crisis-sim ARGS`` run in this process through typer's CliRunner, returned as a
    ``subprocess.run(..., capture_output=True, text=True)`` result would be: ``returncode``, ``stdout``,
    ``stderr``. An exception the command let escape is put on ``stderr`` as the traceback a real process
    would print, so tests asserting "no traceback" still can fail. For tests that are not about the
    process itself (exit codes of a real process, signals, stdin being a terminal stay subprocess tests)."""
    from typer.testing import CliRunner

    from sim.cli.app import app

    argv = [str(a) for a in args]
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        r = CliRunner().invoke(app, argv, input=input, prog_name="crisis-sim")
    stderr = r.stderr
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*r.exc_info))
    return subprocess.CompletedProcess(["crisis-sim", *argv], r.exit_code, r.stdout, stderr)


def numpy_path_draws(root, path: str, n: int) -> list[float]:
    """The reference for the params stream: numpy's PCG64 seeded with that stream's words of ``root``
    (a SeedSequence), advanced to the path's offset, then Generator.random() draw by draw."""
    import numpy as np

    from sim.engine.world import STREAMS, _Words, path_offset

    k = 4 * STREAMS.index("params")
    words = root.generate_state(4 * len(STREAMS), np.uint64)[k:k + 4]
    bits = np.random.PCG64(_Words(words))  # type: ignore[arg-type]
    bits.advance(path_offset(path))
    gen = np.random.Generator(bits)
    return [float(gen.random()) for _ in range(n)]


def scripted_session(tmp: Path, script: str, start: str, *, seed: int = 3, minutes_per_turn: int = 20):
    """``crisis-sim workshop BASELINE --script`` in ``tmp`` (session log ``tmp/ws.jsonl``, STARTEX ``start``),
    then the session reopened from its log for more entries: (log, Session)."""
    from typer.testing import CliRunner

    from sim import load_scenario
    from sim.cli.app import app
    from sim.workshop.session import Session

    log, path = tmp / "ws.jsonl", tmp / "script.txt"
    path.write_text(script)
    r = CliRunner().invoke(app, ["workshop", str(BASELINE), "--seed", str(seed), "--session", str(log),
                                 "--script", str(path), "--start", start, "--minutes-per-turn", str(minutes_per_turn)])
    assert r.exit_code == 0, r.output
    return log, Session.from_log(log, lambda p, o: load_scenario(p, o), append=True)


@pytest.fixture(scope="session")
def baseline():
    from sim import load_scenario

    return load_scenario(BASELINE)


@pytest.fixture
def write(tmp_path):
    """Write a YAML file (and copies of the fact register and gazetteer beside it) and return its path."""
    (tmp_path / "seeds").mkdir(exist_ok=True)
    (tmp_path / "seeds" / "facts.yaml").write_text((ROOT / "seeds" / "facts.yaml").read_text())
    (tmp_path / "seeds" / "gazetteer.yaml").write_text((ROOT / "seeds" / "gazetteer.yaml").read_text())

    def _write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.write_text(text)
        return p

    return _write


MINIMAL = """\
name: mini
title: Minimal
description: a two-force scenario with known event times
clock: {start: 2022-02-24T00:00:00+00:00, horizon_h: 100}
sides:
  blue: {name: Blue}
  red: {name: Red, role: red}
escalation:
  initial_tension: 10
  half_life_h: 10
  rungs:
    - {name: calm, threshold: 0}
    - {name: tense, threshold: 20}
    - {name: hot, threshold: 50}
forces:
  f1:
    name: First
    side: blue
    kind: land
    strength: 100
    unit: troops
    activate_when: {event: go}
    deploy_when: {decision: posture, option: deploy}
    notice_to_move_h: 10
    transit_h: 5
injects:
  go:
    title: Go
    text: Activate.
    at_h: 3
  spike:
    title: Spike
    text: Something bad.
    at_h: 20
    effects: [{tension: 30}]
decisions:
  posture:
    title: Posture
    team: blue
    at_h: 8
    default: deploy
    options:
      deploy: {label: Deploy}
      stay: {label: Stay, effects: [{hold: f1}]}
objectives:
  ready:
    title: ready within 12 h of activation
    metric: force.f1.ready_after_activation_h
    target: {lte: 12}
"""
