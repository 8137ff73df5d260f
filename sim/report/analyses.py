"""The report's sections for global sensitivity (Sobol, Morris) and scenario discovery (PRIM).

:func:`sections` turns analysis results (their ``to_dict()``, fresh or loaded from the results
database) into the data the templates ``analyses.html.j2`` / ``analyses.md.j2`` show (plain
parameter labels, intervals, the method named and its limits) and one chart each.
"""
from __future__ import annotations

from typing import Any

from .charts import Chart
from .gsa_charts import discovery_chart, gsa_chart

METHOD_NAMES = {"sobol": "Sobol indices (variance-based global sensitivity)",
                "morris": "Morris elementary effects (global screening)",
                "discover": "Scenario discovery (PRIM)"}
LIMITS = {
    "sobol": ("Saltelli sampling on a scrambled Sobol sequence, N x (D + 2) points, analysed with SALib; S1 is "
              "the share of the outcome's variance due to the parameter alone, ST the share including all its "
              "interactions; intervals are bootstrap. Each parameter is varied uniformly over its range (a "
              "decision's options and a measure's on/off equally often), so the indices describe those ranges, "
              "not the parameters' own distributions. With few samples an index can come out slightly below 0 "
              "or above 1; every point runs the same replication seeds."),
    "morris": ("N trajectories of D + 1 points on a 4-level grid (SALib). mu* is the mean absolute change in the "
               "outcome when the parameter moves across its range (bootstrap interval), sigma the spread of "
               "those changes: large sigma means a non-linear effect or interactions. Morris ranks parameters; "
               "it does not apportion variance."),
    "discover": ("A Latin hypercube sample of the parameters, each run one case; PRIM (Friedman and Fisher 1999, "
                 "as in Bryant and Lempert 2010) peels 5 % slices of the box to raise the share of cases of "
                 "interest inside it (density) at the cost of the share of all such cases it holds (coverage). "
                 "The box shown is the densest holding at least the minimum coverage; restrictions that do not "
                 "raise the density significantly (one-sided binomial test, p >= 0.05) are left out. A box "
                 "describes the sample: it is a finding to check with a sweep, not a proof."),
}


def _lo_hi(v: float | None, c: float | None) -> tuple[float | None, float | None]:
    if v is None:
        return None, None
    return round(v - (c or 0.0), 3), round(v + (c or 0.0), 3)


def _outcome(d: dict[str, Any]) -> str:
    if "objective" in d:
        return f"P({d['objective']})"
    return f"mean {d['metric']}"


def section(d: dict[str, Any], n: int) -> tuple[dict[str, Any], Chart]:
    """The data of one analysis section and its chart (named ``analysis-N``)."""
    kind = d.get("kind") or d["method"]
    if kind == "prim":
        kind = "discover"
    name = f"analysis-{n}"
    out: dict[str, Any] = {"kind": kind, "method": METHOD_NAMES[kind], "limits": LIMITS[kind], "chart": name,
                           "outcome": _outcome(d), "samples": d["samples"], "reps": d["reps"], "seed": d["seed"],
                           "runs": d["runs"], "sets": list(d.get("sets", [])),
                           "pruned": [p["label"] for p in d.get("pruned", [])], "notes": list(d.get("notes", [])),
                           "stored_id": d.get("id")}
    if kind == "sobol":
        out["title"] = f"Global sensitivity of {_outcome(d)}: Sobol indices"
        out["rows"] = [{"label": r["label"], "name": r["name"], "S1": r["S1"], "ST": r["ST"],
                        "S1_interval": _lo_hi(r["S1"], r["S1_conf"]), "ST_interval": _lo_hi(r["ST"], r["ST_conf"])}
                       for r in d["parameters"]]
        svg, png = gsa_chart(d, "svg"), gsa_chart(d, "png")
    elif kind == "morris":
        out["title"] = f"Global sensitivity of {_outcome(d)}: Morris screening"
        out["rows"] = [{"label": r["label"], "name": r["name"], "mu_star": r["mu_star"], "sigma": r["sigma"],
                        "mu_star_interval": _lo_hi(r["mu_star"], r["mu_star_conf"])} for r in d["parameters"]]
        svg, png = gsa_chart(d, "svg"), gsa_chart(d, "png")
    else:
        from ..batch.discover import restriction_text

        if "objective" in d:
            what = f"{d['objective']} is missed"
        else:
            what = f"{d['metric']} is " + (f"above {d['above']:g}" if "above" in d else f"below {d['below']:g}")
        out["title"] = f"Scenario discovery: where {what}"
        out["sentence"] = d["sentence"]
        box = d["box"]
        out["box"] = {"coverage": box["coverage"], "density": box["density"], "n": box["n"], "k": box["k"],
                      "restrictions": [{"label": r["label"], "name": r["parameter"], "text": restriction_text(r),
                                        "p_value": r["p_value"]} for r in box["restrictions"]],
                      "dropped": [{"label": r["label"], "p_value": r["p_value"]} for r in box.get("dropped", [])]}
        out["base_rate"] = d["base_rate"]
        out["cases"], out["of_interest"] = d["cases"], d["of_interest"]
        out["steps"] = len(d["boxes"]) - 1
        svg, png = discovery_chart(d, "svg"), discovery_chart(d, "png")
    return out, Chart(name, out["title"], svg, png)


def sections(results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Chart]]:
    """Every analysis's section data and chart, in the order given."""
    secs, charts = [], []
    for k, d in enumerate(results, 1):
        s, c = section(d, k)
        secs.append(s)
        charts.append(c)
    return secs, charts


__all__ = ["LIMITS", "METHOD_NAMES", "section", "sections"]
