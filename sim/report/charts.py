"""The report's charts, drawn with matplotlib (Agg) for lay readers.

Readiness states are drawn in the colour-blind-safe Okabe-Ito palette (one colour per state,
with a legend); ratings and series are told apart by hatches, markers and line styles as well
as colour. Hours are labelled as real H-hours (H+48), never as offsets from another event. Every chart is returned as SVG and PNG bytes; both are reproducible byte for byte
(fixed SVG hash salt, no dates or software tags in the metadata).
"""
from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..engine.trace import HoldEffectRecord, Result, RungRecord, Source, SourceKind, StartRecord
from ..scenario.conditions import FORCE_STATES
from ..scenario.metrics import metric_label, metric_registry
from ..scenario.model import Scenario
from . import tension as T
from .causes import force_chain

STYLE: Any = {  # matplotlib rc parameters (Any: its stubs type the keys as literals)
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#dddddd",
    "grid.linewidth": 0.6, "legend.fontsize": 8, "legend.frameon": False, "figure.dpi": 100,
    "savefig.dpi": 110, "svg.hashsalt": "crisis-sim-report", "svg.fonttype": "path", "hatch.linewidth": 0.7,
    "path.simplify": True,
    # titles at the top of their axes, as matplotlib would place them on these charts (no tick labels or x label
    # above an axes): fixed, so that it does not measure every axis's tick labels to check, in every pass
    "axes.titley": 1.0,
}
OKABE_ITO = {  # the Okabe-Ito palette, told apart with every common colour-vision deficiency
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
STATE_COLOURS = {  # one Okabe-Ito colour per readiness state; standby (not yet in the chain) stays pale
    "standby": "#F2F2F2", "alerted": OKABE_ITO["yellow"], "activated": OKABE_ITO["orange"],
    "ready": OKABE_ITO["sky_blue"], "deploying": OKABE_ITO["blue"], "in_place": OKABE_ITO["bluish_green"],
}
RATING_LOOK = {"P": ("#252525", ""), "S": ("#737373", "//"), "M": ("#bdbdbd", "xx"), "U": ("#f0f0f0", "..")}


@dataclass
class Chart:
    name: str
    title: str
    svg: bytes
    png: bytes


PAD_INCHES = 0.1   # the margin around a chart's content (matplotlib's savefig.pad_inches)


def tight_bbox(fig: Any) -> Any:
    """The box (inches) holding everything ``fig`` draws, legends and notes outside the axes included,
    padded: from one layout pass that renders nothing. Saving with this box, each format is rendered
    once (``bbox_inches="tight"`` lays the figure out again, and renders it again, in every savefig)."""
    fig.draw_without_rendering()
    fig.set_layout_engine(None)  # laid out now (tight_layout leaves a placeholder that lays out again per save)
    return fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD_INCHES)


def _saved(fig: Any, fmt: str, bbox: Any) -> bytes:
    buf = io.BytesIO()
    meta = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, metadata=meta, bbox_inches=bbox)
    return buf.getvalue()


def figure_bytes(fig: Any, fmt: str) -> bytes:
    """``fig`` as ``"svg"`` or ``"png"`` bytes with no dates or software tags, cropped to its content;
    drawn inside ``plt.rc_context(STYLE)`` (fixed SVG hash salt) the bytes are the same on every run."""
    return _saved(fig, fmt, tight_bbox(fig))


def rendered(fig: Any, beside: bool = False, crop: bool = True) -> tuple[bytes, bytes]:
    """``fig`` as (SVG, PNG) bytes (as :func:`figure_bytes` gives them): laid out once, each format
    rendered once; with ``beside``, the PNG in a forked child while this process renders the SVG (the
    same bytes: the child renders the figure as laid out here). ``crop=False``: the whole figure, for one
    that ``tight_layout`` has already fitted to its edges (no layout pass to find its content's box)."""
    if crop:
        bbox = tight_bbox(fig)
    else:
        bbox = None
        fig.set_layout_engine(None)   # as tight_bbox leaves it: with an engine, each savefig lays out again
    if beside:
        from .aside import aside

        png = aside(lambda: _saved(fig, "png", bbox))
        return _saved(fig, "svg", bbox), png()
    return _saved(fig, "svg", bbox), _saved(fig, "png", bbox)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "\u2026"


def _save(fig, name: str, title: str, beside: bool = False, crop: bool = True) -> Chart:
    svg, png = rendered(fig, beside, crop)
    plt.close(fig)
    return Chart(name, title, svg, png)


def hour_ticks(ax, horizon: float) -> None:
    """x ticks every 12, 24 or 48 h labelled as real H-hours ("H+48"), so nothing reads as an offset."""
    step = 12 if horizon <= 72 else 24 if horizon <= 240 else 48
    ticks = list(np.arange(0, horizon + 1e-9, step))
    ax.set_xticks(ticks, [f"H+{t:g}" for t in ticks])


@dataclass(frozen=True)
class Window:
    """A target window on a force's time after activation, from one objective: the state it is
    about (ready, in place) and its bounds in hours after activation (None where open)."""

    force: str
    state: str
    low: float | None
    high: float | None

    def text(self) -> str:
        st = self.state.replace("_", " ")
        if self.low is not None and self.high is not None:
            return f"{st} window {self.low:g}-{self.high:g} h after activation"
        if self.high is not None:
            return f"{st} within {self.high:g} h of activation"
        return f"{st} at least {self.low:g} h after activation"

    def span(self, activated_h: float) -> tuple[float, float]:
        """The window in real hours after H-hour, given the force's activation hour."""
        return (activated_h + (self.low or 0.0), activated_h + self.high if self.high is not None else float("inf"))


def windows(s: Scenario, fid: str) -> list[Window]:
    """The target windows of the objectives on ``fid``'s times after activation (read from the
    metric registry), one per objective, duplicates dropped."""
    reg = metric_registry(s)
    out: list[Window] = []
    for o in s.objectives.values():
        m = reg.get(o.metric)
        if m and m.force == fid and m.after_activation and (o.target.gte is not None or o.target.lte is not None):
            w = Window(fid, str(m.state), o.target.gte, o.target.lte)
            if w not in out:
                out.append(w)
    return out


def held_at(r: Result, fid: str) -> HoldEffectRecord | None:
    """The hold effect that still holds ``fid`` at the end of the run (None if it was released or never held)."""
    last = None
    for x in r.trace:
        if isinstance(x, HoldEffectRecord) and x.force == fid:
            last = x
    return last if last is not None and last.held else None


def readiness_gantt(s: Scenario, r: Result, run_label: str = "narrated run") -> Chart:
    """Each force's readiness states over the narrated run as a Gantt chart, one colour-blind-safe
    (Okabe-Ito) colour per state; the objectives' target windows on its time after activation drawn
    as dashed boxes at their real hours (activation + bounds); and, on a force held back that never
    gets in place, the decision that held it."""
    with plt.rc_context(STYLE):
        forces = drawn_forces(s)
        fig, ax = plt.subplots(figsize=(8.6, 0.75 * max(len(forces), 2) + 1.6))
        horizon = r.horizon_h
        drawn_states: list[str] = []
        any_window = any_hold = False
        for row, fid in enumerate(reversed(forces)):
            fc = force_chain(s, r, fid)
            states = [st for st in FORCE_STATES if st in fc.times]
            for i, st in enumerate(states):
                t0 = fc.times[st]
                t1 = fc.times[states[i + 1]] if i + 1 < len(states) else horizon
                if t1 <= t0:
                    continue
                if st not in drawn_states:
                    drawn_states.append(st)
                ax.barh(row, t1 - t0, left=t0, height=0.5, color=STATE_COLOURS[st], edgecolor="white",
                        linewidth=0.6)
            if "activated" in fc.times:
                for k, w in enumerate(windows(s, fid)):
                    x0, x1 = w.span(fc.times["activated"])
                    if x0 >= horizon:
                        continue
                    any_window = True  # the box stops at the horizon; the label keeps the real hours
                    ax.add_patch(plt.Rectangle((x0, row - 0.31), min(x1, horizon) - x0, 0.62, fill=False,
                                               edgecolor="black", linestyle="--", linewidth=1.1, zorder=3))
                    where = (f"H+{x0:.0f} to H+{x1:.0f}" if w.low is not None and w.high is not None
                             else f"from H+{x0:.0f}" if w.high is None else f"by H+{x1:.0f}")
                    late = x0 > 0.55 * horizon
                    ax.annotate(f"{w.text()} ({where})", (min(x1, horizon) if late else x0, row + 0.33 + 0.2 * k),
                                fontsize=7, ha="right" if late else "left", va="bottom", annotation_clip=False)
            hold = held_at(r, fid)
            if hold is not None and "in_place" not in fc.times:
                any_hold = True
                ax.plot([hold.t_h], [row], marker="X", markersize=8, color=OKABE_ITO["vermillion"],
                        markeredgecolor="black", markeredgewidth=0.6, zorder=4, linestyle="none")
                ax.annotate(f"held at H+{hold.t_h:.0f} by \u201c{_short(hold.cause.text, 60)}\u201d: "
                            f"not in place by H+{horizon:.0f}", (hold.t_h, row - 0.36), fontsize=7,
                            ha="left" if hold.t_h < 0.5 * horizon else "right", va="top", zorder=5)
        ax.set_yticks(range(len(forces)), [s.forces[f].name for f in reversed(forces)])
        ax.set_ylim(-0.6, len(forces) - 0.2)
        ax.set_xlim(0, horizon)
        hour_ticks(ax, horizon)
        ax.set_xlabel("hours after H-hour")
        ax.set_title(f"Force readiness, {run_label}")
        handles: list = [plt.Rectangle((0, 0), 1, 1, facecolor=STATE_COLOURS[st], edgecolor="#999999",
                                       linewidth=0.4) for st in FORCE_STATES if st in drawn_states]
        labels = [st.replace("_", " ") for st in FORCE_STATES if st in drawn_states]
        if any_window:
            handles.append(plt.Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linestyle="--"))
            labels.append("target window")
        if any_hold:
            handles.append(plt.Line2D([], [], marker="X", color=OKABE_ITO["vermillion"], markeredgecolor="black",
                                      linestyle="none"))
            labels.append("held by a decision")
        below = 0.48 / (fig.get_figheight() * (0.88 - 0.11))  # about half an inch under the axis, clear of its label
        if labels:  # a scenario whose forces never change state has nothing to key
            ax.legend(handles, labels, ncol=min(len(labels), 8), loc="upper center", bbox_to_anchor=(0.5, -below),
                      handlelength=1.6, columnspacing=1.2)
        ax.grid(axis="y", visible=False)
        return _save(fig, "readiness", f"Force readiness ({run_label})")


def drawn_forces(s: Scenario) -> list[str]:
    """The forces the readiness chart draws: those that do not start in place, and those an
    objective's metric is about (its force, read from the metric registry)."""
    reg = metric_registry(s)
    named = {m.force for o in s.objectives.values() if (m := reg.get(o.metric)) and m.force is not None}
    return [fid for fid, f in s.forces.items() if f.initial_state != "in_place" or fid in named]


def window_marks(s: Scenario, fid: str) -> list[float]:
    """The bounds of the objectives on ``fid``'s times after activation (the marks drawn after its
    activation), in hours; none if no objective sets one."""
    reg = metric_registry(s)
    marks = [x for o in s.objectives.values() if (m := reg.get(o.metric)) and m.force == fid and m.after_activation
             for x in (o.target.gte, o.target.lte) if x is not None]
    return sorted(set(marks))


CAUSE_WORD = {SourceKind.INJECT: "inject", SourceKind.ADHOC_INJECT: "table inject", SourceKind.DECISION: "decision"}


@dataclass(frozen=True)
class Mover:
    """A decision or inject that moved tension (its jump and, or, the floor it raised), numbered
    in time order for the escalation chart's key."""

    number: int
    t_h: float
    before: float
    after: float
    floor_raised: bool
    cause: Source

    def text(self) -> str:
        what = (f"{self.cause.title} \u2192 {self.cause.label}" if self.cause.kind is SourceKind.DECISION
                else self.cause.text)
        change = [f"{self.after - self.before:+.0f}"] if round(self.after - self.before) else []
        change += ["floor raised"] if self.floor_raised else []
        return (f"{self.number}  H+{self.t_h:.0f}  {CAUSE_WORD[self.cause.kind]}: {_short(what, 80)}"
                f" ({', '.join(change) or 'no change'})")


def movers(r: Result) -> list[Mover]:
    """The decisions and injects that changed tension in the run (incidents and decay left out),
    from the trace's tension records and their causes; one per cause and hour (a jump and the
    floor it raises at once are one mover)."""
    out: list[Mover] = []
    for j in T.jumps(r.trace):
        c = j.record.cause
        if c.kind not in CAUSE_WORD:
            continue
        floor = j.record.change == "floor"
        if out and out[-1].cause == c and out[-1].t_h == j.t_h:
            last = out.pop()
            out.append(Mover(last.number, last.t_h, last.before, j.after, last.floor_raised or floor, c))
        else:
            out.append(Mover(len(out) + 1, j.t_h, j.before, j.after, floor, c))
    return out


def _cluster(ms: list[Mover], gap: float) -> list[int]:
    """A cluster number per mover (in time order): a mover less than ``gap`` hours after the
    previous one joins its cluster."""
    out: list[int] = []
    for i, m in enumerate(ms):
        out.append(out[-1] if i and m.t_h - ms[i - 1].t_h < gap else (out[-1] + 1 if out else 0))
    return out


def escalation(s: Scenario, r: Result, run_label: str = "narrated run") -> Chart:
    """Tension (rebuilt from the trace) and the escalation rung, with incidents marked and the
    decisions and injects that moved tension numbered where they moved it (the key below names them)."""
    with plt.rc_context(STYLE):
        ms = movers(r)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8.2, 4.8 + 0.15 * len(ms)), sharex=True,
                                      height_ratios=[3, 1.3])
        xs, ys = T.curve(r.trace, r.horizon_h)
        ax.plot(xs, ys, color="black", linewidth=1.3, label="tension")
        for k, rung in enumerate(s.escalation.rungs[1:], start=1):
            ax.axhline(rung.threshold, color="#888888", linestyle=":", linewidth=0.8)
            ax.annotate(f"{k}: {rung.name}", (r.horizon_h, rung.threshold), fontsize=7, ha="right", va="bottom",
                        color="#444444")
        inc = [j for j in T.jumps(r.trace) if j.record.cause.kind is SourceKind.INCIDENT]
        for dom, marker in (("air", "^"), ("sea", "s"), ("land", "D")):
            pts = [j for j in inc if j.record.cause.id == dom]
            if pts:
                ax.scatter([j.t_h for j in pts], [j.after for j in pts], marker=marker, s=28, facecolor="white",
                           edgecolor="black", zorder=3, label=f"{dom} incident")
        clusters = _cluster(ms, r.horizon_h * 0.035)
        for i, m in enumerate(ms):
            # badges close in time form a cluster: they share the height of its highest point and
            # stand one above the other, in time order
            mates = [j for j in range(len(ms)) if clusters[j] == clusters[i]]
            base_y, level = max(ms[j].after for j in mates), mates.index(i)
            colour = OKABE_ITO["blue"] if m.cause.kind is SourceKind.DECISION else OKABE_ITO["vermillion"]
            ax.plot([m.t_h, m.t_h], [m.after, base_y], color=colour, linewidth=0.7, zorder=4)
            ax.annotate(str(m.number), (m.t_h, base_y), xytext=(0, 9 + 13 * level), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, color="white", fontweight="bold", zorder=5,
                        bbox={"boxstyle": "circle,pad=0.2", "fc": colour, "ec": "none"},
                        arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.7, "shrinkA": 0,
                                    "shrinkB": 0})
        if any(m.cause.kind is SourceKind.DECISION for m in ms):
            ax.scatter([], [], marker="o", s=30, color=OKABE_ITO["blue"], label="decision (numbered)")
        if any(m.cause.kind is not SourceKind.DECISION for m in ms):
            ax.scatter([], [], marker="o", s=30, color=OKABE_ITO["vermillion"], label="inject (numbered)")
        ax.set_ylabel("tension")
        top = max(ys + [s.escalation.rungs[-1].threshold]) * 1.08
        ax.set_ylim(0, top)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, fontsize=7)
        ax.set_title(f"Escalation, {run_label}", pad=20)
        rx, ry = [0.0], [next((x.rung for x in r.trace if isinstance(x, StartRecord)), 0)]
        for x in r.trace:
            if isinstance(x, RungRecord):
                rx.append(x.t_h)
                ry.append(x.rung)
        rx.append(r.horizon_h)
        ry.append(ry[-1])
        ax2.step(rx, ry, where="post", color="black", linewidth=1.2)
        ax2.set_yticks(range(len(s.escalation.rungs)))
        ax2.set_ylim(-0.3, len(s.escalation.rungs) - 0.7)
        ax2.set_ylabel("rung")
        ax2.set_xlabel("hours after H-hour")
        ax2.set_xlim(0, r.horizon_h)
        hour_ticks(ax2, r.horizon_h)
        if ms:
            ax2.annotate("\n".join(m.text() for m in ms), (0.0, -0.42), xycoords="axes fraction", va="top",
                         ha="left", fontsize=7, annotation_clip=False)
        return _save(fig, "escalation", f"Escalation rung and tension ({run_label})")


def _constant(xs: np.ndarray) -> bool:
    return xs.size > 0 and bool(np.all(xs == xs[0]))


def _bins(xs: np.ndarray, integer: bool) -> np.ndarray:
    """Histogram bin edges: one bin per whole number for integer values over a short range, else
    numpy's "auto" rule capped at 30 bins (both fixed by the data, so the chart is reproducible)."""
    lo, hi = float(xs.min()), float(xs.max())
    if integer and hi - lo <= 30:
        return np.arange(lo - 0.5, hi + 1.5, 1.0)
    edges = np.histogram_bin_edges(xs, bins="auto")
    return edges if edges.size <= 31 else np.linspace(lo, hi, 31)


def _value_text(v: float, unit: str) -> str:
    return f"{v:g} {unit}".strip()


def distributions(s: Scenario, values: dict[str, list[float | None]],
                  marked: dict[str, float | None] | None = None, marked_label: str = "", *,
                  narrated: Mapping[str, float | None] | None = None,
                  narrated_label: str = "narrated run", beside: bool = False) -> Chart:
    """A histogram of each objective's metric over the batch (runs per bin), the target band
    shaded; ``marked`` (metric -> value, e.g. the workshop's own outcome, named ``marked_label``) and
    ``narrated`` (the narrated run's metrics) are drawn as vertical lines. A metric that takes one
    value in every run is a short text panel (the value, how many runs, whether it meets the
    target) instead of a collapsed histogram. Titles and units come from the metric registry. ``beside``:
    the PNG rendered in a forked child while the SVG is (:func:`rendered`)."""
    reg = metric_registry(s)
    band_colour, mark_colour, narr_colour = OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"], OKABE_ITO["blue"]
    with plt.rc_context(STYLE):
        objs = list(s.objectives.items())
        cols = 2
        rows = max(1, (len(objs) + 1) // cols)
        height = 2.3 * rows + 0.7
        fig, axes = plt.subplots(rows, cols, figsize=(8.2, height), squeeze=False)
        for ax, (_oid, o) in zip(axes.flat, objs, strict=False):
            vals = values.get(o.metric, [])
            xs = np.array([v for v in vals if v is not None], dtype=float)
            never = sum(v is None for v in vals)
            spec = reg.get(o.metric)
            unit = spec.unit if spec else ""
            label = metric_label(spec) if spec else o.metric
            ax.set_title(_short(o.title, 56), fontsize=8)
            lo_t, hi_t = o.target.gte, o.target.lte
            if _constant(xs) or not xs.size:
                ax.axis("off")
                lines = [textwrap.fill(label, 64)]
                if xs.size:
                    met = (lo_t is None or xs[0] >= lo_t) and (hi_t is None or xs[0] <= hi_t)
                    every = "every run" if not never else f"every run that measured it ({xs.size} of {len(vals)})"
                    lines += [f"{_value_text(float(xs[0]), unit)} in {every}",
                              f"target {_target_text(lo_t, hi_t, unit)}: {'met' if met else 'missed'} in "
                              f"{'every run' if not never else 'all of them'}"]
                else:
                    lines += [f"never measured in {len(vals)} runs"]
                if never and xs.size:
                    lines.append(f"{never} runs: {spec.none_means if spec else 'no value'}")
                ax.text(0.5, 0.58, lines[1], ha="center", va="center", fontsize=9, fontweight="bold", wrap=True,
                        transform=ax.transAxes)
                ax.text(0.5, 0.25, "\n".join(lines[:1] + lines[2:]), ha="center", va="center", fontsize=7,
                        transform=ax.transAxes)
                continue
            integer = bool(np.all(xs == np.round(xs))) and (spec is None or not spec.is_time)
            edges = _bins(xs, integer)
            ax.hist(xs, bins=edges, color="#7f7f7f", edgecolor="white", linewidth=0.5, zorder=2)
            left, right = float(edges[0]), float(edges[-1])
            for b in (lo_t, hi_t):
                if b is not None:
                    left, right = min(left, b), max(right, b)
            pad = 0.04 * (right - left or 1.0)
            left, right = left - pad, right + pad
            half = 0.5 if integer else 0.0  # whole numbers: the band covers the bins of the values that meet it
            band = (lo_t - half if lo_t is not None else None, hi_t + half if hi_t is not None else None)
            if band != (None, None):
                ax.axvspan(band[0] if band[0] is not None else left, band[1] if band[1] is not None else right,
                           color=band_colour, alpha=0.18, linewidth=0, zorder=1)
                for b in band:
                    if b is not None:
                        ax.axvline(b, color=band_colour, linewidth=1.2, zorder=3)
            for src, colour, style in ((narrated, narr_colour, "--"), (marked, mark_colour, "-")):
                v = (src or {}).get(o.metric)
                if v is not None:
                    ax.axvline(v, color=colour, linestyle=style, linewidth=2, zorder=4)
            ax.set_xlim(left, right)
            if integer:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(_short(label, 70) + (f"  ({never} of {len(vals)} runs: never)" if never else ""),
                          fontsize=7)
            ax.set_ylabel("runs", fontsize=7)
            ax.grid(axis="x", visible=False)
        for ax in list(axes.flat)[len(objs):]:
            ax.set_visible(False)
        handles: list = [plt.Rectangle((0, 0), 1, 1, color="#7f7f7f"),
                         plt.Rectangle((0, 0), 1, 1, color=band_colour, alpha=0.3)]
        labels = [f"runs of the batch ({max((len(v) for v in values.values()), default=0)})", "target band"]
        if narrated:
            handles.append(plt.Line2D([], [], color=narr_colour, linestyle="--", linewidth=2))
            labels.append(narrated_label)
        if marked:
            handles.append(plt.Line2D([], [], color=mark_colour, linewidth=2))
            labels.append(marked_label or "marked value")
        fig.suptitle("Outcomes over the batch", fontsize=10, y=1 - 0.08 / height, va="top")
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.32 / height), ncol=len(labels),
                   fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.62 / height))
        # everything is inside the figure now, a tight layout's pad from its edges: saved whole, without the
        # layout pass that would find its content's box (it took off 0.07 in of the width; the histograms are
        # what a report waits for once its batch is done)
        return _save(fig, "distributions", "Distributions of the objectives' metrics", beside, crop=False)


def _target_text(lo: float | None, hi: float | None, unit: str) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g} {unit}".strip()
    if lo is not None:
        return f"at least {_value_text(lo, unit)}"
    if hi is not None:
        return f"at most {_value_text(hi, unit)}"
    return "none"


def probabilities(objectives: list[dict], thresholds: dict[str, float]) -> Chart:
    """P(meeting each objective) with Wilson intervals and the rating thresholds."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8.2, 0.45 * len(objectives) + 1.3))
        ys = np.arange(len(objectives))[::-1]
        for y, o in zip(ys, objectives, strict=False):
            b = o["batch"]
            face, hatch = RATING_LOOK[o["rating"]]
            ax.barh(y, b["p"], color=face, hatch=hatch, edgecolor="black", linewidth=0.6, height=0.6)
            ax.errorbar(b["p"], y, xerr=[[b["p"] - b["ci_low"]], [b["ci_high"] - b["p"]]], fmt="none",
                        ecolor="black", capsize=3, linewidth=1)
            ax.annotate(o["rating"], (1.02, y), va="center", fontsize=8, annotation_clip=False)
        for code in ("M", "S", "P"):
            ax.axvline(thresholds[code], color="#777777", linestyle=":", linewidth=0.8)
        ax.set_yticks(ys, [o["title"] if len(o["title"]) < 50 else o["title"][:48] + "\u2026" for o in objectives])
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability of meeting the objective (bars: 95% Wilson interval; dotted: rating thresholds)")
        ax.set_title("Objectives over the batch")
        ax.grid(axis="y", visible=False)
        return _save(fig, "probabilities", "Probability of meeting each objective")


FIELD_WORDS = {"at_h": "hour", "notice_to_move_h": "notice to move", "transit_h": "transit time",
               "p_incident": "chance an encounter becomes an incident", "tension_sensitivity": "tension sensitivity",
               "encounter_rate": "encounter rate", "delay_h": "delay", "half_life_h": "tension half-life"}


def _field_words(parts: list[str]) -> str:
    words = []
    for p in parts:
        if p in FIELD_WORDS:
            words.append(FIELD_WORDS[p])
        elif p.endswith("_h"):
            words.append(p[:-2].replace("_", " "))
        else:
            words.append(p.replace("_", " "))
    return ", ".join(words)


def param_label(path: str, s: Scenario | None = None) -> str:
    """A parameter's dotted path as a lay reader names it: the object's scenario name or title (with
    ``s``; its id without) and the field in words, e.g. ``forces.vjtf.notice_to_move_h`` ->
    "VJTF (France lead): notice to move" and ``injects.summit.at_h`` -> "Inject \u201cSummit\u201d: time"."""
    parts = path.split(".")
    if len(parts) >= 3 and parts[0] in ("forces", "injects", "decisions"):
        kind, oid, rest = parts[0], parts[1], parts[2:]
        name = oid.replace("_", " ")
        if s is not None:
            if kind == "forces" and oid in s.forces:
                name = s.forces[oid].name
            elif kind == "injects" and oid in s.injects:
                name = s.injects[oid].title
            elif kind == "decisions" and oid in s.decisions:
                name = s.decisions[oid].title
        quoted = f"\u201c{name}\u201d" if s is not None else name
        subject = {"forces": name, "injects": f"Inject {quoted}", "decisions": f"Decision {quoted}"}[kind]
        return f"{subject}: {_field_words(rest)}"
    if len(parts) >= 4 and parts[:2] == ["adversary", "axes"]:
        if s and s.adversary and parts[2] in s.adversary.axes:
            return f"Axis \u201c{s.adversary.axes[parts[2]].name}\u201d: {_field_words(parts[3:])}"
        return f"Axis {parts[2].replace('_', ' ')}: {_field_words(parts[3:])}"
    if len(parts) >= 2:
        return f"{parts[0].replace('_', ' ').capitalize()}: {_field_words(parts[1:])}"
    return _field_words(parts)


def _end_text(v: float, path: str) -> str:
    if path.endswith(".at_h"):
        return f"H+{v:g}"
    return f"{v:g} h" if path.endswith("_h") else f"{v:g}"


def tornado(rows: list[dict], objective: str, base_p: float | None, title: str | None = None, *,
            scenario: Scenario | None = None, objective_title: str | None = None) -> Chart:
    """Sensitivity of one objective's probability to each parameter's low and high end (the
    parameters that were run: those with no causal path to the objective are left out). Labels are
    plain (:func:`param_label`, names from ``scenario`` if given), each bar end shows the value the
    parameter was set to, and the legend sits below the axis, clear of the bars."""
    with plt.rc_context(STYLE):
        rows = sorted((r for r in rows if r.get("run", True)), key=lambda x: x["swing"])
        fig, ax = plt.subplots(figsize=(8.2, 0.45 * len(rows) + 1.9))
        base = base_p if base_p is not None else 0.0
        low_c, high_c = OKABE_ITO["sky_blue"], OKABE_ITO["blue"]
        if objective_title is None and scenario is not None and objective in scenario.objectives:
            objective_title = scenario.objectives[objective].title
        what = objective_title or objective
        for y, rw in enumerate(rows):
            same = {k: abs(rw[k] - rw.get("p_base", base)) < 1e-9 for k in ("p_low", "p_high")}  # no change
            for key, end, colour, hatch, lab in (("p_low", "low", low_c, "//", "parameter at its low end"),
                                                 ("p_high", "high", high_c, "", "parameter at its high end")):
                ax.barh(y, rw[key] - base, left=base, color=colour, hatch=hatch, edgecolor="black", linewidth=0.5,
                        height=0.6, label=lab if y == 0 else None)
                if end in rw and not same[key] and rw[key] != base:
                    right = rw[key] > base
                    inside = (rw[key] < 0.07 and not right) or (rw[key] > 0.93 and right)  # no room outside
                    ax.annotate(_end_text(rw[end], rw["param"]), (rw[key], y),
                                xytext=(-3 if right == inside else 3, 0), textcoords="offset points",
                                ha="right" if right == inside else "left", va="center", fontsize=7,
                                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"} if inside else None)
            if same["p_low"] and same["p_high"]:
                ax.annotate("no change at either end", (base, y), xytext=(4, 0), textcoords="offset points",
                            ha="left", va="center", fontsize=7, color="#444444")
        ax.axvline(base, color="black", linewidth=0.8)
        if base_p is not None:
            ax.annotate(f"base {base_p:.0%}", (base, len(rows) - 0.4), ha="center", va="bottom", fontsize=7,
                        annotation_clip=False)
        ax.set_yticks(range(len(rows)), [_short(param_label(rw["param"], scenario), 60) for rw in rows])
        ax.set_ylim(-0.6, len(rows) - 0.1)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(f"probability of meeting \u201c{_short(what, 70)}\u201d")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28 if len(rows) < 4 else -0.2), ncol=2)
        ax.grid(axis="y", visible=False)
        ax.set_title(title or f"Sensitivity of {what}", pad=14)
        return _save(fig, "tornado", f"Sensitivity of {objective}")


def comparison(comp: dict, this_obj: dict, other_obj: dict) -> Chart:
    """Baseline against variant: each objective's probability with intervals, significant ones starred."""
    with plt.rc_context(STYLE):
        rows = [r for r in comp["rows"] if r["kind"] == "objective"]
        fig, ax = plt.subplots(figsize=(8.2, 0.55 * len(rows) + 1.4))
        ys = np.arange(len(rows))[::-1]
        for y, rw in zip(ys, rows, strict=False):
            for dy, src, face, hatch, lab in ((0.18, this_obj, "#404040", "", comp["this"]),
                                               (-0.18, other_obj, "#e0e0e0", "//", comp["other"])):
                b = src[rw["id"]]
                ax.barh(y + dy, b["p"], height=0.34, color=face, hatch=hatch, edgecolor="black", linewidth=0.5,
                        label=lab if y == ys[0] else None)
                ax.errorbar(b["p"], y + dy, xerr=[[b["p"] - b["ci_low"]], [b["ci_high"] - b["p"]]], fmt="none",
                            ecolor="black", capsize=2, linewidth=0.8)
            if rw["significant"]:
                ax.annotate("*", (1.02, y), va="center", fontsize=12, annotation_clip=False)
        ax.set_yticks(ys, [rw["title"] if len(rw["title"]) < 50 else rw["title"][:48] + "\u2026" for rw in rows])
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability of meeting the objective (* significant after Holm correction, alpha 0.05)")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        ax.grid(axis="y", visible=False)
        return _save(fig, "comparison", "Comparison with the reference scenario")
