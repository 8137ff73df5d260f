"""Charts of a global sensitivity analysis and of a scenario discovery (``--chart`` of
``crisis-sim sensitivity --method sobol|morris`` and ``crisis-sim discover``, and the report).

Pure functions of the result dicts (:meth:`sim.batch.gsa.GsaResult.to_dict`,
:meth:`sim.batch.discover.Discovery.to_dict` with ``cases=True``); each returns the chart's
bytes, the same on every run (:func:`sim.report.charts.figure_bytes`).
"""
from __future__ import annotations

import textwrap
from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .charts import STYLE, figure_bytes, rendered  # first: it picks matplotlib's Agg backend

FORMATS = ("svg", "png")
BOTH = "svg+png"   # (internal) both files of one figure, laid out once: what the report asks for
_STYLE = cast(Any, STYLE)


def _check(fmt: str) -> None:
    if fmt not in (*FORMATS, BOTH):
        raise ValueError(f"chart format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def _wrap(label: str, width: int = 38) -> str:
    """A scenario's label wrapped, with ``$`` escaped (matplotlib would read ``$...$`` as mathtext)."""
    label = label.replace("$", r"\$")
    return "\n".join(textwrap.wrap(label, width)) or label


def _outcome(d: dict[str, Any]) -> str:
    return f"P({d['objective']})" if "objective" in d else f"mean {d['metric']}"


def _done(fig: Any, fmt: str) -> Any:
    """The figure's bytes in ``fmt``, or with :data:`BOTH` its (SVG, PNG) from one layout."""
    fig.tight_layout()
    data = rendered(fig) if fmt == BOTH else figure_bytes(fig, fmt)
    plt.close(fig)
    return data


def sobol_chart(d: dict[str, Any], fmt: str = "svg") -> bytes:
    """First-order and total Sobol indices per parameter with their bootstrap intervals, ranked by total."""
    _check(fmt)
    rows = list(reversed(d["parameters"]))
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8.2, 0.5 * len(rows) + 1.6))
        ys = np.arange(len(rows))
        for dy, key, face, hatch, lab in ((0.18, "ST", "#404040", "", "total (ST)"),
                                           (-0.18, "S1", "#d9d9d9", "//", "first order (S1)")):
            v = np.array([r[key] or 0.0 for r in rows])
            c = np.array([r[key + "_conf"] or 0.0 for r in rows])
            ax.barh(ys + dy, v, height=0.34, color=face, hatch=hatch, edgecolor="black", linewidth=0.5, label=lab)
            ax.errorbar(v, ys + dy, xerr=c, fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(ys, [_wrap(r["label"]) for r in rows])
        ax.set_xlim(min(-0.05, ax.get_xlim()[0]), max(1.05, ax.get_xlim()[1]))
        ax.set_xlabel(f"Sobol index of {_outcome(d)} ({d['conf_level']:.0%} bootstrap intervals)")
        ax.legend(loc="lower right")
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{_wrap(d['scenario'], 200)}: Sobol indices of {_outcome(d)}\nN = {d['samples']}, {d['runs']} runs, "
                     f"seed {d['seed']}", loc="left")
        return _done(fig, fmt)


def morris_chart(d: dict[str, Any], fmt: str = "svg") -> bytes:
    """Morris screening: mu* (with its interval) against sigma, one labelled point per parameter."""
    _check(fmt)
    rows = d["parameters"]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8.2, 5.2))
        for k, r in enumerate(rows):
            mu, s, c = r["mu_star"] or 0.0, r["sigma"] or 0.0, r["mu_star_conf"] or 0.0
            ax.errorbar(mu, s, xerr=c, fmt="o", color="black", markersize=4, capsize=2, linewidth=0.8)
            ax.annotate(f"{k + 1}", (mu, s), textcoords="offset points", xytext=(4, 4), fontsize=8)
        top = max([(r["mu_star"] or 0.0) + (r["mu_star_conf"] or 0.0) for r in rows] + [1e-9])
        ax.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=0.8, label="sigma = mu*")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(f"mu* (mean absolute effect on {_outcome(d)} across the range)")
        ax.set_ylabel("sigma (non-linearity, interactions)")
        ax.legend(loc="upper left")
        key = "\n".join(f"{k + 1}. {_wrap(r['label'], 60)}" for k, r in enumerate(rows[:12]))
        fig.text(0.01, -0.01, key, fontsize=7, va="top", ha="left")
        ax.set_title(f"{_wrap(d['scenario'], 200)}: Morris screening of {_outcome(d)}\n{d['samples']} trajectories, "
                     f"{d['runs']} runs, seed {d['seed']}", loc="left")
        return _done(fig, fmt)


def gsa_chart(d: dict[str, Any], fmt: str = "svg") -> bytes:
    return sobol_chart(d, fmt) if d["method"] == "sobol" else morris_chart(d, fmt)


def _two_main(d: dict[str, Any]) -> list[int]:
    """The dimensions to plot the box on: its two most significant numeric restrictions, then other factors."""
    names = [p["name"] for p in d["parameters"]]
    numeric = [i for i, p in enumerate(d["parameters"]) if p["kind"] == "continuous"]
    order = [names.index(r["parameter"]) for r in d["box"]["restrictions"] if r["kind"] == "continuous"]
    order += [i for i in numeric if i not in order]
    return order[:2]


def files(chart: Any, d: dict[str, Any]) -> tuple[bytes, bytes]:
    """(SVG, PNG) of ``chart`` (:func:`gsa_chart` or :func:`discovery_chart`) of ``d``: one figure, laid out once."""
    svg, png = chart(d, BOTH)
    return svg, png


def discovery_chart(d: dict[str, Any], fmt: str = "svg") -> bytes:
    """Left: PRIM's peeling trajectory, density against coverage, the chosen box marked.
    Right: the cases on the box's two main parameters (of interest filled), the box drawn."""
    _check(fmt)
    with plt.rc_context(_STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.5, 4.6))
        cov = [b["coverage"] for b in d["boxes"]]
        den = [b["density"] for b in d["boxes"]]
        ax.plot(cov, den, color="black", marker="o", markersize=3, linewidth=0.8, label="peeling trajectory")
        ax.plot([d["box"]["coverage"]], [d["box"]["density"]], marker="s", markersize=9, color="#D55E00",
                linestyle="none", label="box shown")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("coverage (share of all cases of interest in the box)")
        ax.set_ylabel("density (share of the box's cases of interest)")
        ax.legend(loc="lower left")
        ax.set_title("Coverage / density trade-off", loc="left")
        dims = _two_main(d)
        x = np.asarray(d.get("x") or [], dtype=float)
        y = np.asarray(d.get("y") or [], dtype=int)
        if len(dims) == 2 and len(x):
            i, j = dims
            bx.scatter(x[y == 0, i], x[y == 0, j], s=8, facecolors="none", edgecolors="#999999", linewidths=0.5,
                       label="other runs")
            bx.scatter(x[y == 1, i], x[y == 1, j], s=8, color="black", label="runs of interest")
            pi, pj = d["parameters"][i], d["parameters"][j]
            lo = [pi["low"], pj["low"]]
            hi = [pi["high"], pj["high"]]
            for r in d["box"]["restrictions"]:
                for k, p in enumerate((pi, pj)):
                    if r["parameter"] == p["name"]:
                        lo[k], hi[k] = r["low"], r["high"]
            bx.add_patch(Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False, edgecolor="#D55E00",
                                   linewidth=1.6, label="box"))
            bx.set_xlabel(_wrap(pi["label"], 50))
            bx.set_ylabel(_wrap(pj["label"], 40))
            bx.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3)
        else:
            bx.text(0.5, 0.5, "fewer than two numeric parameters" if len(dims) < 2 else "no cases given",
                    ha="center", va="center")
            bx.set_axis_off()
        fig.suptitle(f"{_wrap(d['scenario'], 200)}: scenario discovery (PRIM), {d['runs']} runs, seed {d['seed']}", x=0.01,
                     ha="left", fontsize=10)
        return _done(fig, fmt)


__all__ = ["discovery_chart", "gsa_chart", "morris_chart", "sobol_chart"]
