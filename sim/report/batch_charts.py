"""Charts of a Monte Carlo batch summary and of a sensitivity ranking (``--chart`` of
``crisis-sim batch`` and ``crisis-sim sensitivity``).

Pure functions: each takes the summary dict that ``crisis-sim batch --json`` prints (or the
rows of :func:`sim.batch.sensitivity.sensitivity`) and a format, ``"svg"`` or ``"png"``, and
returns a :class:`Drawn`: the file's bytes (identical on every run, see
:func:`sim.report.charts.figure_bytes`) and the numbers plotted, series by series.

What :func:`batch_chart` draws:

* no ``--vary``: a horizontal bar per objective, P(success) with its 95 % Wilson interval;
* one ``--vary``: P(success) against the swept value, one line per objective (x numeric when
  every value is a number, else one category per value in the order given);
* two or more ``--vary`` (a grid): small multiples, one panel per objective, the first
  ``--vary`` on the x axis and one line per combination of the others (so a 4 x 4 grid gives
  4 lines in each of up to 7 or so panels, all on the same 0-1 scale).

Error bars are 95 % Wilson intervals; the series at one x are set slightly apart so their
intervals do not hide each other (the returned data keeps the true x). Series differ by
marker and line style as well as colour, so a chart still reads in greyscale.
"""
from __future__ import annotations

import itertools
import json
import textwrap
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np

from .charts import STYLE, figure_bytes, rendered, tornado  # first: it picks matplotlib's Agg backend

FORMATS = ("svg", "png")
BOTH = "svg+png"   # both files of one figure, laid out once (the report's charts): data is the SVG, png the PNG
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINES = ("-", "--", "-.", ":")


@dataclass
class Drawn:
    """A chart file's bytes, its format and what it plots: one dict per series with ``label``,
    ``x`` (the values as in the summary) and ``p``, ``ci_low``, ``ci_high`` (lists alike)."""

    data: bytes
    fmt: str
    series: list[dict] = field(default_factory=list)
    png: bytes | None = None     # with fmt BOTH: the PNG of the same figure (data is its SVG)


def _bytes(fig, fmt: str) -> tuple[bytes, bytes | None]:
    if fmt == BOTH:
        return rendered(fig)
    return figure_bytes(fig, fmt), None


def value_label(v) -> str:
    """A swept value as the user typed it in YAML: true/false, null, 72, 0.25, deploy."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (int, str)):
        return str(v)
    return json.dumps(v, sort_keys=True, default=str)


def _key(v) -> str:
    return json.dumps(v, sort_keys=True, default=str)  # True and 1 stay apart


def _numeric(values: list) -> bool:
    return len(values) > 1 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _short(text: str, n: int = 50) -> str:
    return text if len(text) <= n else text[:n - 2] + "\u2026"


def short_paths(paths: list[str]) -> dict[str, str]:
    """Each dotted path by its shortest tail that no other path shares (``hotline.active``)."""
    out = {}
    for p in paths:
        parts = p.split(".")
        for k in range(1, len(parts) + 1):
            tail = ".".join(parts[-k:])
            if not any(q != p and (q == tail or q.endswith("." + tail)) for q in paths):
                break
        out[p] = tail
    return out


def _heading(summary: dict, what: str) -> str:
    """Title: scenario and what is drawn, then reps, seed, overrides and decision mode."""
    n = summary["reps"]
    note = f"{n} replication{'s' if n != 1 else ''} per point, seed {summary['seed']}"
    if summary.get("sets"):
        note += "; --set " + ", ".join(summary["sets"])
    if summary.get("explore_decisions"):
        note += "; decisions at random by option weights"
    return "\n".join([f"{summary['scenario']}: {what}"] + textwrap.wrap(note, 110))


def _odds(pt: dict, oid: str) -> tuple[float, float, float]:
    o = pt["objectives"][oid]
    p = o["p"] if o["p"] is not None else float("nan")
    return p, o["ci_low"], o["ci_high"]


def _positions(values: list) -> tuple[np.ndarray, float, bool]:
    """x positions of the values, the room for setting series apart, whether x is numeric."""
    if _numeric(values):
        xs = np.array(values, dtype=float)
        gaps = np.diff(np.unique(xs))
        return xs, 0.3 * float(gaps.min()) if gaps.size else 1.0, True
    return np.arange(len(values), dtype=float), 0.4, False


def _lines(ax, values: list, series: list[dict]) -> None:
    """Plot each series (label, p, ci_low, ci_high over ``values``) with error bars, set apart."""
    xs, room, numeric = _positions(values)
    order = np.argsort(xs, kind="stable")
    k = len(series)
    for i, s in enumerate(series):
        dx = (i - (k - 1) / 2) * (room / max(k - 1, 1)) if k > 1 else 0.0
        x = xs[order] + dx
        p, lo, hi = (np.array(s[key], dtype=float)[order] for key in ("p", "ci_low", "ci_high"))
        look = {"color": COLOURS[i % len(COLOURS)], "marker": MARKERS[i % len(MARKERS)],
                "linestyle": LINES[(i + i // len(MARKERS)) % len(LINES)]}  # distinct for up to 32 series
        ax.errorbar(x, p, yerr=[p - lo, hi - p], capsize=2.5, linewidth=1.2, markersize=4.5, elinewidth=0.8,
                    label=s["label"], **look)
    ax.set_ylim(-0.03, 1.03)
    if numeric and len(values) <= 12:
        ax.set_xticks(sorted(set(xs)), [value_label(v) for v in sorted(set(values))])
    elif not numeric:
        ax.set_xticks(xs, [_short(value_label(v), 18) for v in values])
        ax.set_xlim(-0.6, len(values) - 0.4)


def _objective_series(summary: dict, points: list[dict], label=None) -> list[dict]:
    oids = list(summary["points"][0]["objectives"])
    out = []
    for oid in oids:
        p, lo, hi = zip(*(_odds(pt, oid) for pt in points), strict=False)
        out.append({"label": label(oid) if label else points[0]["objectives"][oid]["title"], "objective": oid,
                    "p": list(p), "ci_low": list(lo), "ci_high": list(hi)})
    return out


def objectives_chart(summary: dict, fmt: str = "svg") -> Drawn:
    """No sweep: a horizontal bar of P(success) per objective with its 95 % Wilson interval."""
    pt = summary["points"][0]
    oids = list(pt["objectives"])
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8.2, 0.42 * len(oids) + 1.5))
        ys = np.arange(len(oids))[::-1]
        series = []
        for y, oid in zip(ys, oids, strict=False):
            o = pt["objectives"][oid]
            p, lo, hi = _odds(pt, oid)
            ax.barh(y, p, height=0.6, color="#9ecae1", edgecolor="#08519c", linewidth=0.6)
            ax.errorbar(p, y, xerr=[[p - lo], [hi - p]], fmt="none", ecolor="black", capsize=3, linewidth=1)
            ax.annotate(f"{p:.0%} ({o['successes']}/{o['n']})", (1.01, y), va="center", fontsize=8,
                        annotation_clip=False)
            series.append({"label": o["title"], "objective": oid, "x": [None], "p": [p], "ci_low": [lo],
                           "ci_high": [hi]})
        ax.set_yticks(ys, [_short(pt["objectives"][o]["title"]) for o in oids])
        ax.set_xlim(0, 1)
        ax.set_xlabel("P(success)  (bars: 95% Wilson interval)")
        ax.set_title(_heading(summary, "P(success) per objective"), loc="left")
        ax.grid(axis="y", visible=False)
        data, png = _bytes(fig, fmt)
        plt.close(fig)
    return Drawn(data, fmt, series, png)


def sweep_chart(summary: dict, fmt: str = "svg") -> Drawn:
    """One ``--vary``: P(success) of every objective against the swept value, one line each."""
    vary = summary["vary"][0]
    path, values = vary["path"], list(vary["values"])
    by_key = {_key(pt["point"][path]): pt for pt in summary["points"]}
    points = [by_key[_key(v)] for v in values]
    series = _objective_series(summary, points)
    for s in series:
        s["x"] = values
    flat_oids = flat_objectives(series)
    for s in series:
        s["drawn"] = s["objective"] not in flat_oids
    note = flat_note(flat_oids, {s["objective"]: s["label"] for s in series}, series)
    shown = [s for s in series if s["drawn"]]
    with plt.rc_context(STYLE):
        extra = 0.15 * len(note) + 0.2 * -(-len(shown) // 2)
        fig, ax = plt.subplots(figsize=(8.2, 4.2 + extra))
        _lines(ax, values, [{**s, "label": _short(s["label"], 60)} for s in shown])
        ax.set_xlabel(f"{path}  (error bars: 95% Wilson intervals; lines set slightly apart)")
        ax.set_ylabel("P(success)")
        ax.set_title(_heading(summary, f"P(success) by {path}"), loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2 if len(shown) > 3 else 1)
        if note:
            ax.annotate(note[0], (0.0, -0.16 - 0.06 * -(-len(shown) // (2 if len(shown) > 3 else 1)) - 0.06),
                        xycoords="axes fraction", va="top", ha="left", fontsize=8, fontweight="bold",
                        annotation_clip=False)
            for k, line in enumerate(note[1:], start=1):
                ax.annotate(line, (0.02, -0.16 - 0.06 * -(-len(shown) // (2 if len(shown) > 3 else 1))
                                   - 0.06 - 0.05 * k), xycoords="axes fraction", va="top", ha="left",
                            fontsize=7, annotation_clip=False)
        data, png = _bytes(fig, fmt)
        plt.close(fig)
    return Drawn(data, fmt, series, png)


def grid_chart(summary: dict, fmt: str = "svg") -> Drawn:
    """Two or more ``--vary``: one panel per objective; x the first ``--vary``, one line per
    combination of the others."""
    varies = summary["vary"]
    xpath, xvalues = varies[0]["path"], list(varies[0]["values"])
    others = varies[1:]
    names = short_paths([v["path"] for v in others])
    by_key = {tuple(_key(pt["point"][v["path"]]) for v in varies): pt for pt in summary["points"]}
    oids = list(summary["points"][0]["objectives"])
    titles = {oid: summary["points"][0]["objectives"][oid]["title"] for oid in oids}
    combos = list(itertools.product(*(v["values"] for v in others)))
    series = []  # per objective, per combination
    for oid in oids:
        for combo in combos:
            pts = [by_key[(_key(x),) + tuple(_key(c) for c in combo)] for x in xvalues]
            p, lo, hi = zip(*(_odds(pt, oid) for pt in pts), strict=False)
            label = ", ".join(f"{names[v['path']]}={value_label(c)}" for v, c in zip(others, combo, strict=False))
            series.append({"label": label, "objective": oid, "x": xvalues,
                           "point": {v["path"]: c for v, c in zip(others, combo, strict=False)},
                           "p": list(p), "ci_low": list(lo), "ci_high": list(hi)})
    flat_oids = flat_objectives(series)
    for s in series:
        s["drawn"] = s["objective"] not in flat_oids
    shown = [oid for oid in oids if oid not in flat_oids]
    note = flat_note(flat_oids, titles, series)
    cols = 1 if len(shown) == 1 else 2 if len(shown) <= 3 else 3
    rows = -(-(len(shown) + 1) // cols)  # one more slot, for the legend
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols + 0.6, 2.3 * rows + 0.9 + 0.15 * len(note)),
                                 squeeze=False, sharey=True)
        flat = list(axes.flat)
        for k, (ax, oid) in enumerate(zip(flat, shown, strict=False)):
            _lines(ax, xvalues, [s for s in series if s["objective"] == oid])
            ax.set_title(textwrap.fill(_short(titles[oid], 64), 34), fontsize=8)
            ax.tick_params(labelsize=7)
            if k % cols == 0:
                ax.set_ylabel("P(success)")
        for ax in flat[len(shown):]:
            ax.axis("off")
        handles, labels = flat[0].get_legend_handles_labels()
        flat[len(shown)].legend(handles, labels, loc="center", title="\n".join(
            f"{names[v['path']]}: {v['path']}" if names[v["path"]] != v["path"] else v["path"] for v in others),
            title_fontsize=7, fontsize=7)
        fig.suptitle(_heading(summary, f"P(success) by {xpath}, one panel per objective") +
                     f"\nx: {xpath}; error bars: 95% Wilson intervals", fontsize=9, x=0.02, ha="left")
        fig.tight_layout(rect=(0, 0.15 * len(note) / (2.3 * rows + 0.9 + 0.15 * len(note)), 1, 1))
        _draw_note(fig, note)
        data, png = _bytes(fig, fmt)
        plt.close(fig)
    return Drawn(data, fmt, series, png)


def flat_objectives(series: list[dict]) -> list[str]:
    """The objectives whose P(success) is the same at every point of the sweep, in every series
    (a panel of them would show only a flat line); none if every objective is flat (then the
    flat lines are all there is to show, and they are drawn)."""
    by_oid: dict[str, list[float]] = {}
    for s in series:
        by_oid.setdefault(s["objective"], []).extend(float(p) for p in s["p"])
    out = []
    for oid, ps in by_oid.items():
        arr = np.array(ps, dtype=float)
        if arr.size and (bool(np.all(np.isnan(arr))) or bool(np.all(arr == arr[0]))):
            out.append(oid)
    return out if len(out) < len(by_oid) else []


def flat_note(flat_oids: list[str], titles: dict[str, str], series: list[dict]) -> list[str]:
    """The note that says which objectives were left out as flat, and at what P: a heading line,
    then one line per objective (an empty list if none was left out)."""
    if not flat_oids:
        return []
    p_of = {s["objective"]: s["p"][0] for s in series}
    n = len(flat_oids)
    lines = [f"Not drawn: {n} objective{'s' if n != 1 else ''} with the same P(success) at every point of the sweep"]
    for oid in flat_oids:
        p = p_of[oid]
        lines.append(f"{_short(titles[oid], 70)}: {'no runs' if p != p else f'{p:.0%}'} at every point")
    return lines


def _draw_note(fig, note: list[str]) -> None:
    if not note:
        return
    h = fig.get_figheight()
    fig.text(0.02, 0.1 / h + 0.15 * (len(note) - 1) / h, note[0], fontsize=8, ha="left", va="bottom",
             fontweight="bold")
    for k, line in enumerate(note[1:], start=1):
        fig.text(0.04, 0.1 / h + 0.15 * (len(note) - 1 - k) / h, line, fontsize=7, ha="left", va="bottom")


def batch_chart(summary: dict, fmt: str = "svg") -> Drawn:
    """The chart of a batch summary: bars without ``--vary``, lines with one, panels with more
    (``fmt`` "svg", "png", or :data:`BOTH`)."""
    if fmt not in (*FORMATS, BOTH):
        raise ValueError(f"chart format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    n = len(summary.get("vary") or [])
    return objectives_chart(summary, fmt) if n == 0 else sweep_chart(summary, fmt) if n == 1 else \
        grid_chart(summary, fmt)


def sensitivity_chart(rows: list[dict], objective: str, fmt: str = "svg", *, scenario: str = "", reps: int = 0,
                      seed: int = 0) -> Drawn:
    """The tornado chart of a sensitivity ranking (rows as :func:`sim.batch.sensitivity.sensitivity`
    returns them): each parameter's bar spans P at its low end to P at its high end, about the base P."""
    if fmt not in FORMATS:
        raise ValueError(f"chart format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    base = rows[0]["p_base"] if rows else None
    title = (f"{scenario + ': ' if scenario else ''}sensitivity of P({objective})"
             + (f", base {base:.0%}" if base is not None else "")
             + (f"\n{reps} replications per end, seed {seed} (common random numbers)" if reps else ""))
    ch = tornado(rows, objective, base, title=title)
    series = [{"label": r["param"], "x": [r["low"], r["high"]], "p": [r["p_low"], r["p_high"]],
               "p_base": r["p_base"], "swing": r["swing"]} for r in rows]
    return Drawn(ch.svg if fmt == "svg" else ch.png, fmt, series)


__all__ = [
    "FORMATS",
    "Drawn",
    "batch_chart",
    "grid_chart",
    "objectives_chart",
    "sensitivity_chart",
    "short_paths",
    "sweep_chart",
    "value_label",
]
