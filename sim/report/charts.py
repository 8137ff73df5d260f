"""The report's charts, drawn with matplotlib (Agg) in one style readable in greyscale.

States, ratings and series are told apart by hatches, markers and line styles, not by colour
alone. Every chart is returned as SVG and PNG bytes; both are reproducible byte for byte
(fixed SVG hash salt, no dates or software tags in the metadata).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..engine.trace import Result, RungRecord, SourceKind, StartRecord
from ..scenario.conditions import FORCE_STATES
from ..scenario.metrics import metric_label, metric_registry
from ..scenario.model import Scenario
from . import tension as T
from .causes import force_chain

STYLE = {
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#dddddd",
    "grid.linewidth": 0.6, "legend.fontsize": 8, "legend.frameon": False, "figure.dpi": 100,
    "savefig.dpi": 110, "svg.hashsalt": "crisis-sim-report", "svg.fonttype": "path", "hatch.linewidth": 0.7,
    "path.simplify": True,
}
STATE_LOOK = {  # face colour (grey scale) and hatch per readiness state
    "standby": ("#f2f2f2", ""), "alerted": ("#dcdcdc", ".."), "activated": ("#bdbdbd", "//"),
    "ready": ("#969696", "xx"), "deploying": ("#737373", "\\\\"), "in_place": ("#252525", ""),
}
RATING_LOOK = {"P": ("#252525", ""), "S": ("#737373", "//"), "M": ("#bdbdbd", "xx"), "U": ("#f0f0f0", "..")}


@dataclass
class Chart:
    name: str
    title: str
    svg: bytes
    png: bytes


def figure_bytes(fig, fmt: str) -> bytes:
    """``fig`` as ``"svg"`` or ``"png"`` bytes with no dates or software tags; drawn inside
    ``plt.rc_context(STYLE)`` (fixed SVG hash salt) the bytes are the same on every run."""
    buf = io.BytesIO()
    meta = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, metadata=meta, bbox_inches="tight")
    return buf.getvalue()


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "\u2026"


def _save(fig, name: str, title: str) -> Chart:
    svg, png = figure_bytes(fig, "svg"), figure_bytes(fig, "png")
    plt.close(fig)
    return Chart(name, title, svg, png)


def readiness_gantt(s: Scenario, r: Result, run_label: str = "narrated run") -> Chart:
    """Each force's readiness states over the narrated run, with the bounds of the objectives on its
    times after activation (e.g. 48 h / 72 h) marked after its activation."""
    with plt.rc_context(STYLE):
        forces = drawn_forces(s)
        fig, ax = plt.subplots(figsize=(8.2, 0.55 * max(len(forces), 2) + 1.4))
        horizon = r.horizon_h
        for row, fid in enumerate(reversed(forces)):
            fc = force_chain(s, r, fid)
            states = [st for st in FORCE_STATES if st in fc.times]
            for i, st in enumerate(states):
                t0 = fc.times[st]
                t1 = fc.times[states[i + 1]] if i + 1 < len(states) else horizon
                if t1 <= t0:
                    continue
                face, hatch = STATE_LOOK[st]
                ax.barh(row, t1 - t0, left=t0, height=0.6, color=face, hatch=hatch, edgecolor="#444444",
                        linewidth=0.5)
            marks = window_marks(s, fid)
            if marks and "activated" in fc.times:
                for k, m in enumerate(marks):
                    x = fc.times["activated"] + m
                    if x <= horizon:
                        ax.plot([x, x], [row - 0.42, row + 0.42], color="black", linestyle=("--", ":")[k % 2],
                                linewidth=1.2)
                        ax.annotate(f"+{m:g} h", (x, row + 0.44), fontsize=7, ha="center", va="bottom")
        ax.set_yticks(range(len(forces)), [s.forces[f].name for f in reversed(forces)])
        ax.set_xlim(0, horizon)
        ax.set_xlabel("hours after H-hour")
        ax.set_title(f"Force readiness, {run_label}")
        handles = [plt.Rectangle((0, 0), 1, 1, facecolor=STATE_LOOK[st][0], hatch=STATE_LOOK[st][1],
                                 edgecolor="#444444", linewidth=0.5) for st in FORCE_STATES]
        ax.legend(handles, [st.replace("_", " ") for st in FORCE_STATES], ncol=6, loc="upper center",
                  bbox_to_anchor=(0.5, -0.18))
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


def escalation(s: Scenario, r: Result, run_label: str = "narrated run") -> Chart:
    """Tension (rebuilt from the trace) and the escalation rung, with incidents marked."""
    with plt.rc_context(STYLE):
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8.2, 4.6), sharex=True, height_ratios=[3, 1.3])
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
        ax.set_ylabel("tension")
        top = max(ys + [s.escalation.rungs[-1].threshold]) * 1.08
        ax.set_ylim(0, top)
        ax.legend(loc="upper left", ncol=4)
        ax.set_title(f"Escalation, {run_label}")
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
        return _save(fig, "escalation", f"Escalation rung and tension ({run_label})")


def distributions(s: Scenario, values: dict[str, list[float | None]],
                  marked: dict[str, float | None] | None = None, marked_label: str = "") -> Chart:
    """ECDF of each objective's metric over the batch with its target lines; ``marked`` (metric ->
    value, e.g. the workshop's own outcome) is drawn as a solid vertical line."""
    with plt.rc_context(STYLE):
        objs = list(s.objectives.items())
        cols = 2
        rows = max(1, (len(objs) + 1) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(8.2, 2.1 * rows), squeeze=False)
        for ax, (_oid, o) in zip(axes.flat, objs, strict=False):
            vals = values.get(o.metric, [])
            xs = np.sort(np.array([v for v in vals if v is not None], dtype=float))
            never = sum(v is None for v in vals)
            if xs.size:
                ys = np.arange(1, xs.size + 1) / len(vals)
                ax.step(np.concatenate([[xs[0]], xs]), np.concatenate([[0], ys]), where="post", color="black",
                        linewidth=1.2)
            for bound, ls in ((o.target.gte, "--"), (o.target.lte, "-.")):
                if bound is not None:
                    ax.axvline(bound, color="#555555", linestyle=ls, linewidth=1)
            mark = (marked or {}).get(o.metric)
            if mark is not None:
                ax.axvline(mark, color="black", linestyle="-", linewidth=2.2, alpha=0.55)
            ax.set_ylim(0, 1.02)
            ax.set_title(o.title if len(o.title) < 48 else o.title[:46] + "\u2026", fontsize=8)
            spec = metric_registry(s).get(o.metric)
            label = metric_label(spec) if spec else o.metric
            ax.set_xlabel(_short(label, 70) + (f"  ({never} never)" if never else ""), fontsize=7)
            ax.set_ylabel("share of runs \u2264 x", fontsize=7)
        for ax in list(axes.flat)[len(objs):]:
            ax.set_visible(False)
        note = f"; thick line: {marked_label}" if marked else ""
        fig.suptitle(f"Distributions over the batch (dashed: lower target, dash-dot: upper target{note})",
                     fontsize=9)
        fig.tight_layout()
        return _save(fig, "distributions", "Distributions of the objectives' metrics")


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


def tornado(rows: list[dict], objective: str, base_p: float | None, title: str | None = None) -> Chart:
    """Sensitivity of one objective's probability to each parameter's low and high end (the
    parameters that were run: those with no causal path to the objective are left out)."""
    with plt.rc_context(STYLE):
        rows = sorted((r for r in rows if r.get("run", True)), key=lambda x: x["swing"])
        fig, ax = plt.subplots(figsize=(8.2, 0.4 * len(rows) + 1.4))
        base = base_p if base_p is not None else 0.0
        for y, rw in enumerate(rows):
            ax.barh(y, rw["p_low"] - base, left=base, color="#bdbdbd", hatch="//", edgecolor="black", linewidth=0.5,
                    height=0.6, label="parameter at its low end" if y == 0 else None)
            ax.barh(y, rw["p_high"] - base, left=base, color="#404040", edgecolor="black", linewidth=0.5,
                    height=0.6, label="parameter at its high end" if y == 0 else None)
        ax.axvline(base, color="black", linewidth=0.8)
        ax.set_yticks(range(len(rows)), [rw["param"] for rw in rows])
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"P({objective})")
        ax.legend(loc="lower right")
        ax.set_title(title or f"Sensitivity of {objective}")
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
