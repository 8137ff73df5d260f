"""Baseline against variant: every objective and key metric, the difference and whether it is significant.

Objectives: pooled two-proportion z-test. Metric means: Welch's t-test. Each test at
alpha = 0.05; because a comparison runs a family of tests, a difference is flagged
significant only when it also survives the Holm-Bonferroni correction over the family
(both the raw p-value and the flag are reported).
"""
from __future__ import annotations

from . import stats

ALPHA = 0.05


def compare(this: dict, other: dict, objectives: dict[str, str], metrics: list[str], *,
            this_label: str, other_label: str) -> dict:
    """``this``/``other``: batch points ({"metrics": {...}, "objectives": {...}}); ``other`` is the reference.

    Differences are this minus other.
    """
    rows = []
    for oid, title in objectives.items():
        a, b = this["objectives"].get(oid), other["objectives"].get(oid)
        if a is None or b is None:
            continue
        z, p = stats.two_proportion_z(a["successes"], a["n"], b["successes"], b["n"])
        rows.append({"kind": "objective", "id": oid, "title": title, "this": a["p"], "other": b["p"],
                     "diff": a["p"] - b["p"], "stat": z, "test": "two-proportion z", "p_value": p})
    for name in metrics:
        a, b = this["metrics"].get(name), other["metrics"].get(name)
        if not a or not b or a.get("mean") is None or b.get("mean") is None:
            continue
        t, _df, p = stats.welch_t(a["mean"], a["sd"], a["n"], b["mean"], b["sd"], b["n"])
        rows.append({"kind": "metric", "id": name, "title": name, "this": a["mean"], "other": b["mean"],
                     "diff": a["mean"] - b["mean"], "stat": t, "test": "Welch t", "p_value": p})
    flags = stats.holm([r["p_value"] for r in rows], ALPHA)
    for r, f in zip(rows, flags, strict=False):
        r["significant"] = bool(f)
    return {"this": this_label, "other": other_label, "alpha": ALPHA, "correction": "Holm-Bonferroni",
            "rows": rows}
