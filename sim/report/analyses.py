"""The report's sections for global sensitivity (Sobol, Morris) and scenario discovery (PRIM).

:func:`sections` turns analysis results (their ``to_dict()``, fresh or loaded from the results
database) into the data the templates ``analyses.html.j2`` / ``analyses.md.j2`` show (plain
parameter labels, intervals, the method named and its limits) and one chart each.
"""
from __future__ import annotations

from typing import Any

from .charts import Chart
from .gsa_charts import discovery_chart, files, gsa_chart

METHOD_NAMES = {"sobol": "Sobol indices (variance-based global sensitivity)",
                "morris": "Morris elementary effects (global screening)",
                "discover": "Scenario discovery (PRIM)"}


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
    out: dict[str, Any] = {"kind": kind, "method": METHOD_NAMES[kind], "limits": d.get("limits", ""), "chart": name,
                           "outcome": _outcome(d), "samples": d["samples"], "reps": d["reps"], "seed": d["seed"],
                           "runs": d["runs"], "sets": list(d.get("sets", [])),
                           "pruned": [p["label"] for p in d.get("pruned", [])], "notes": list(d.get("notes", [])),
                           "stored_id": d.get("id")}
    if kind == "sobol":
        out["title"] = f"Global sensitivity of {_outcome(d)}: Sobol indices"
        out["rows"] = [{"label": r["label"], "name": r["name"], "S1": r["S1"], "ST": r["ST"],
                        "S1_interval": _lo_hi(r["S1"], r["S1_conf"]), "ST_interval": _lo_hi(r["ST"], r["ST_conf"])}
                       for r in d["parameters"]]
        svg, png = files(gsa_chart, d)
    elif kind == "morris":
        out["title"] = f"Global sensitivity of {_outcome(d)}: Morris screening"
        out["rows"] = [{"label": r["label"], "name": r["name"], "mu_star": r["mu_star"], "sigma": r["sigma"],
                        "mu_star_interval": _lo_hi(r["mu_star"], r["mu_star_conf"])} for r in d["parameters"]]
        svg, png = files(gsa_chart, d)
    else:
        if "objective" in d:
            what = f"{d['objective']} is missed"
        else:
            what = f"{d['metric']} is " + (f"above {d['above']:g}" if "above" in d else f"below {d['below']:g}")
        out["title"] = f"Scenario discovery: where {what}"
        out["sentence"] = d["sentence"]
        box = d["box"]
        out["box"] = {"coverage": box["coverage"], "density": box["density"], "n": box["n"], "k": box["k"],
                      "restrictions": [{"label": r["label"], "name": r["parameter"], "text": r["text"],
                                        "p_value": r["p_value"]} for r in box["restrictions"]],
                      "dropped": [{"label": r["label"], "p_value": r["p_value"]} for r in box.get("dropped", [])]}
        out["base_rate"] = d["base_rate"]
        out["cases"], out["of_interest"] = d["cases"], d["of_interest"]
        out["steps"] = len(d["boxes"]) - 1
        svg, png = files(discovery_chart, d)
    return out, Chart(name, out["title"], svg, png)


def sections(results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Chart]]:
    """Every analysis's section data and chart, in the order given."""
    secs, charts = [], []
    for k, d in enumerate(results, 1):
        s, c = section(d, k)
        secs.append(s)
        charts.append(c)
    return secs, charts


__all__ = ["METHOD_NAMES", "section", "sections"]
