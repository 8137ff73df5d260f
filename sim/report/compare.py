"""Baseline against variant: every objective and key metric, the difference and whether it is significant.

When both batches ran on the same seeds (replication *i* of each from ``SeedSequence(seed).spawn(reps)[i]``:
common random numbers, the default of ``crisis-sim report --compare``), replication *i* of one is paired
with replication *i* of the other and the tests are paired: McNemar's test for objectives (exact below
25 discordant pairs, chi-square with continuity correction from there), the paired t-test for metric
means (on the replications where the metric happened in both; the difference shown is the mean of the
paired differences). Batches on different seeds are independent samples: the pooled two-proportion
z-test and Welch's t-test. Each test at alpha = 0.05; because a comparison runs a family of tests, a
difference is flagged significant only when it also survives the Holm-Bonferroni correction over the
whole family (objectives and metrics; both the raw p-value and the flag are reported). The tests are in
:mod:`sim.stats`.
"""
from __future__ import annotations

from typing import Any

from .. import stats
from .montecarlo import Replications

ALPHA = 0.05
PAIRED = ("paired: both batches ran on the same seeds (replication i of each from SeedSequence(seed)"
          ".spawn(reps)[i], common random numbers), so replication i of one is compared with replication i "
          "of the other")
UNPAIRED = "unpaired: the batches ran on different seeds, so they are independent samples"


def shares_seeds(a: Replications, b: Replications) -> bool:
    """Whether replication i of ``a`` and of ``b`` were drawn from the same seed, for every i."""
    return a.seed == b.seed and a.replication_indices() == b.replication_indices()


def compare(this: dict[str, Any], other: dict[str, Any], objectives: dict[str, str], metrics: list[str], *,
            this_label: str, other_label: str, pairs: tuple[Replications, Replications] | None = None
            ) -> dict[str, Any]:
    """``this``/``other``: batch points ({"metrics": {...}, "objectives": {...}}); ``other`` is the reference.

    ``pairs``: the two batches' replications when they share seeds (see :func:`shares_seeds`): the
    tests are then paired. Differences are this minus other.
    """
    rows: list[dict[str, Any]] = []
    for oid, title in objectives.items():
        a, b = this["objectives"].get(oid), other["objectives"].get(oid)
        if a is None or b is None:
            continue
        if pairs is not None:
            t = stats.mcnemar(pairs[0].met(oid), pairs[1].met(oid))
        else:
            t = stats.two_proportion_z(a["successes"], a["n"], b["successes"], b["n"])
        rows.append({"kind": "objective", "id": oid, "title": title, "this": a["p"], "other": b["p"],
                     "diff": a["p"] - b["p"], "stat": t.stat, "test": t.name, "n": t.n, "p_value": t.p_value})
    for name in metrics:
        a, b = this["metrics"].get(name), other["metrics"].get(name)
        if not a or not b or a.get("mean") is None or b.get("mean") is None:
            continue
        if pairs is not None:
            va, vb = pairs[0].metric_values(name), pairs[1].metric_values(name)
            t = stats.paired_t(va, vb)
            diff = stats.mean_difference(va, vb)
            if diff is None:  # the metric never happened in both runs of any pair: nothing to compare
                continue
        else:
            t = stats.welch(a["mean"], a["sd"], a["n"], b["mean"], b["sd"], b["n"])
            diff = a["mean"] - b["mean"]
        rows.append({"kind": "metric", "id": name, "title": name, "this": a["mean"], "other": b["mean"],
                     "diff": diff, "stat": t.stat, "test": t.name, "n": t.n, "p_value": t.p_value})
    flags = stats.holm([r["p_value"] for r in rows], ALPHA)
    for r, f in zip(rows, flags, strict=True):
        r["significant"] = bool(f)
    return {"this": this_label, "other": other_label, "alpha": ALPHA, "correction": "Holm-Bonferroni",
            "paired": pairs is not None, "design": PAIRED if pairs is not None else UNPAIRED, "rows": rows}
