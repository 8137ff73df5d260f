"""What a workshop produced, for the after-action report, and how its path compares with Monte Carlo.

:func:`session_summary` replays a session log. Its ``result`` is the outcome of the
workshop's path **replayed to the scenario's horizon**: the decisions the teams took
(as recorded), the injects the facilitator fired, and for any decision point the
table never reached or never answered, the scenario's default, marked
``played: False`` ("not played"). ``stopped_h`` says where the table's clock stood
when the session ended; ``result_at_stop`` is the state there.

:func:`compare_to_batch` places the workshop's metrics in a distribution of
simulated runs ("VJTF in place at H+70: later than 62% of simulated runs"); given no
distribution it simulates one itself with the scenario's default decisions over
``SeedSequence(seed).spawn(n)``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from ..engine.run import run
from ..engine.trace import InjectRecord
from ..scenario.load import load_scenario
from ..scenario.metrics import Family, MetricSpec, metric_registry
from ..scenario.model import Scenario
from .log import read_log
from .session import EPS, Play, Session


def _load(path: str, overrides: list[str]) -> Scenario:
    return load_scenario(path, overrides)


def session_summary(log_path: str | Path, load: Callable[[str, list[str]], Scenario] = _load) -> dict:
    """Replay a session log into the data an after-action report needs.

    Keys: scenario, title, scenario_hash, scenario_path, overrides, seed, turn_h, teams, log, opened_wall,
    last_wall, closed, stopped_h, horizon_h, warnings, ``result`` (the :class:`~sim.engine.trace.Result`
    to the horizon, see the module docstring), ``result_at_stop`` (Result at the stop clock), metrics,
    objectives, decisions (each with team, rationale, sim_h, time, wall and ``played``), notes,
    notes_by_team, notes_by_objective, injects (those the facilitator fired), shown (when each inject on
    the board at the stop first reached the table: :func:`first_shown`), choices and extra_injects
    (the decisions the table took and the injects the facilitator fired, as ``run`` takes them).
    Raises LogError (unusable log, scenario changed) or ScenarioError.
    """
    contents = read_log(log_path)
    sess = Session.from_log(contents, load)
    s, play = sess.scenario, sess.play
    result = sess.final_result()
    at_stop = sess.replay(min(play.clock + EPS, sess.horizon), play)
    cal = s.clock.calendar

    played = {e["decision"]: e for e in play.choices}
    decisions = []
    for d in result.decisions:
        did = d["decision"]
        point = s.decisions[did]
        e = played.get(did)
        decisions.append({
            "decision": did, "title": point.title, "option": d["option"], "label": d["label"],
            "team": sess.team_of_side(d["team"] or point.team), "rationale": d["rationale"] if e else "",
            "decision_h": d["t_h"], "time": cal(d["t_h"]).isoformat(timespec="minutes"),
            "sim_h": e["sim_h"] if e else None, "wall": e["wall"] if e else None,
            "played": e is not None, "default": point.default,
        })
    for did, point in s.decisions.items():
        if did not in {d["decision"] for d in decisions}:
            decisions.append({"decision": did, "title": point.title, "option": None, "label": None,
                              "team": sess.team_of_side(point.team), "rationale": "", "decision_h": None,
                              "time": None,
                              "sim_h": None, "wall": None, "played": False, "default": point.default})

    notes = [{"text": n["text"], "team": n["team"] and sess.team_of_side(n["team"]), "objective": n["objective"],
              "sim_h": n["sim_h"], "time": cal(n["sim_h"]).isoformat(timespec="minutes"), "wall": n["wall"]} for n in play.notes]
    by_team: dict[str, list[dict]] = {}
    by_objective: dict[str, list[dict]] = {}
    for n in notes:
        by_team.setdefault(n["team"] or "", []).append(n)
        by_objective.setdefault(n["objective"] or "", []).append(n)

    injects = []
    for e in play.injects:
        spec = sess.inject_spec(e)
        injects.append({"id": e["id"], "inject": e["inject"], "adhoc": e["inject"] is None, "title": spec.title,
                        "text": spec.text, "sender": spec.sender, "recipient": spec.recipient,
                        "effects": [ef.model_dump(exclude_none=True, mode="json") for ef in spec.effects],
                        "sim_h": e["sim_h"], "at_h": e["at_h"],
                        "time": cal(e["sim_h"]).isoformat(timespec="minutes"), "wall": e["wall"]})
    first, last = sess.entries[0], sess.entries[-1]
    return {
        "scenario": s.name, "title": s.title, "scenario_hash": s.content_hash, "scenario_path": first["path"],
        "overrides": first["overrides"], "seed": sess.seed, "turn_h": sess.turn_h, "teams": sess.teams,
        "log": str(contents.path), "opened_wall": first["wall"], "last_wall": last["wall"],
        "closed": last["kind"] == "close", "stopped_h": play.clock,
        "stopped_time": cal(play.clock).isoformat(timespec="minutes"), "horizon_h": sess.horizon,
        "warnings": list(contents.warnings),
        "result": result, "result_at_stop": at_stop,
        "metrics": dict(result.metrics),
        "objectives": {k: {"title": o.title, "metric": o.metric, "target": o.target, "value": o.value, "met": o.met}
                       for k, o in result.objectives.items()},
        "decisions": decisions, "notes": notes, "notes_by_team": by_team, "notes_by_objective": by_objective,
        "injects": injects, "shown": first_shown(sess),
        # the table's path as a run's inputs, for the report's batch on the table's decisions
        "choices": sess.choices(), "extra_injects": sess.extra_injects(),
    }


def first_shown(sess: Session) -> dict[tuple[str, float, int], dict]:
    """When each inject on the board at the stop first reached the table.

    ``{(inject id, hour to 1e-6, k): entry}``: the applied action (the open entry for what the
    opening board shows) after which the board first showed the k-th delivery (from 0) of that inject
    at that hour. An inject set off by a decision or by an inject the facilitator fired reaches the
    table with that action, not with the stop that took the clock to its hour. One replay per action.
    """
    out: dict[tuple[str, float, int], dict] = {}
    for e, p in [(sess.entries[0], Play())] + [(e, p) for e, p in sess.stack if e["kind"] != "note"]:
        seen: dict[tuple[str, float], int] = {}
        for rec in sess.replay(min(p.clock + EPS, sess.horizon), p).trace:
            if isinstance(rec, InjectRecord):
                key = (rec.inject, round(rec.t_h, 6))
                k = seen[key] = seen.get(key, -1) + 1
                out.setdefault((*key, k), e)
    return out


# --- comparison with Monte Carlo ------------------------------------------------
def percentile_rank(value: float | None, values: Iterable[float | None], *, none_is_high: bool = True) -> dict:
    """Where ``value`` falls among ``values``: shares strictly below, equal and above.

    ``None`` (the event never happened within the horizon) counts as later/higher than
    every number when ``none_is_high`` (times of events), lower otherwise.
    """
    inf = float("inf") if none_is_high else float("-inf")
    xs = np.array([inf if v is None else float(v) for v in values], dtype=float)
    if xs.size == 0:
        raise ValueError("an empty distribution")
    x = inf if value is None else float(value)
    below, equal, above = float(np.mean(xs < x)), float(np.mean(xs == x)), float(np.mean(xs > x))
    return {"n": int(xs.size), "below": below, "equal": equal, "above": above,
            "never": float(np.mean(np.isinf(xs))), "percentile": 100.0 * (below + equal / 2)}


def _fmt(spec: MetricSpec, v: float | None) -> str:
    if v is None:
        return "never within the horizon" if spec.is_time else "not measured"
    if spec.after_activation:
        return f"{v:.0f} h after activation"
    if spec.is_time:
        return f"at H+{v:.0f}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def describe(spec: MetricSpec, title: str, value: float | None, rank: dict) -> str:
    """One sentence, e.g. "VJTF in place at H+70: later than 62% of simulated runs"."""
    pct = lambda share: f"{100 * share:.0f}%"  # noqa: E731
    time = spec.is_time
    head = f"{title} {_fmt(spec, value)}:" if time else f"{title}: {_fmt(spec, value)},"
    n = rank["n"]
    more, less = ("later", "earlier") if time else ("higher", "lower")
    if rank["equal"] >= 0.5:
        s = f"{head} the same as in {pct(rank['equal'])} of {n} simulated runs"
        if rank["below"] or rank["above"]:
            s += f" ({more} than {pct(rank['below'])}, {less} than {pct(rank['above'])})"
    elif rank["below"] >= rank["above"]:
        s = f"{head} {more} than {pct(rank['below'])} of {n} simulated runs"
    else:
        s = f"{head} {less} than {pct(rank['above'])} of {n} simulated runs"
    if time and rank["never"] > 0 and value is not None:
        s += f"; it never happened within the horizon in {pct(rank['never'])}"
    return s


def simulate_distribution(scenario: Scenario, metrics: Iterable[str], *, n: int = 200, seed: int = 0,
                          decisions=None) -> dict[str, list[float | None]]:
    """Metric values over ``n`` runs seeded by ``SeedSequence(seed).spawn(n)`` (default decisions)."""
    names = list(metrics)
    out: dict[str, list[float | None]] = {m: [] for m in names}
    for child in np.random.SeedSequence(seed).spawn(n):
        r = run(scenario, child, decisions, keep_trace=False)
        for m in names:
            out[m].append(r.metrics.get(m))
    return out


def metric_title(scenario: Scenario, metric: str) -> str:
    """A readable name for a metric, from the registry: "VJTF (France lead) in place",
    "NAC agrees to activate the NRF", "Peak tension"."""
    spec = metric_registry(scenario).get(metric)
    return spec.phrase if spec else metric


def default_metrics(scenario: Scenario) -> list[tuple[str, str]]:
    """(metric, title) pairs worth comparing: the objectives' metrics, then a few headline ones."""
    reg = metric_registry(scenario)
    names = [o.metric for o in scenario.objectives.values()]
    names += [m.name for m in reg.values() if m.family is Family.FORCE_TIME and m.state == "in_place"
              and m.force is not None and scenario.forces[m.force].deploy_when is not None]
    names += ["incidents", "peak_tension", "committed_troops"]
    return [(m, metric_title(scenario, m)) for m in dict.fromkeys(names)]


def compare_to_batch(summary: Mapping, batch: Mapping[str, list] | list[Mapping] | None = None, *,
                     metrics: Iterable[str] | None = None, n: int = 200, seed: int | None = None,
                     scenario: Scenario | None = None) -> list[dict]:
    """Compare the workshop's outcome with a distribution of simulated runs.

    ``batch`` is either metric distributions (``{metric: [values...]}``) or batch rows
    (``[{metric: value, ...}, ...]``, or the batch runner's rows ``{"metrics": {...}, ...}``). Given
    none, ``n`` runs of the scenario with its default decisions are simulated here, seeded
    by ``SeedSequence(seed or the session's seed).spawn(n)``. Returns one dict per metric:
    metric, title, value, n, below, equal, above, never, percentile, sentence.
    """
    scenario = scenario or _scenario_of(summary)
    wanted = default_metrics(scenario) if metrics is None else [(m, metric_title(scenario, m)) for m in metrics]
    values = summary["metrics"]
    if batch is None:
        dist = simulate_distribution(scenario, [m for m, _ in wanted], n=n,
                                     seed=summary["seed"] if seed is None else seed)
    elif isinstance(batch, Mapping):
        dist = {k: list(v) for k, v in batch.items()}
    else:
        flat = [row["metrics"] if isinstance(row.get("metrics"), Mapping) else row for row in batch]
        dist = {m: [row.get(m) for row in flat] for m, _ in wanted}
    out = []
    reg = metric_registry(scenario)
    for m, title in wanted:
        if m not in values or not dist.get(m) or m not in reg:
            continue
        rank = percentile_rank(values[m], dist[m], none_is_high=reg[m].is_time)
        out.append({"metric": m, "title": title, "value": values[m], **rank,
                    "sentence": describe(reg[m], title, values[m], rank)})
    return out


def _scenario_of(summary: Mapping) -> Scenario:
    sc = load_scenario(summary["scenario_path"], summary.get("overrides", []))
    if sc.content_hash != summary["scenario_hash"]:
        raise ValueError(f"scenario {summary['scenario_path']} changed since the session "
                         f"({summary['scenario_hash']} -> {sc.content_hash})")
    return sc
