"""The report's theatre map: the scenario's places and what moves between them, drawn offline.

The country outlines (``sim/data/theatre-outlines.json``) and the projection are :mod:`sim.geo`'s,
the ones the room board's SVG map uses (:class:`sim.geo.TheatreMap`: equirectangular, x scaled by
the cosine of the box's middle latitude; the box from :func:`sim.geo.box_of`); matplotlib draws
them here in the report's style and colour-blind-safe palette (:data:`sim.report.charts.OKABE_ITO`).

What is drawn is a list of typed :class:`Layer` objects, each a key entry with its tracks (a line
through places: a force's route from ``origin_place`` to ``destination_place``, an axis of advance)
and points (an incident, say): :func:`force_routes` and :func:`axes` build them from the scenario,
and another layer is one more :class:`Layer` in the list. A place beyond the box (a force flying
in from North America) is drawn where its track enters the map, labelled with where it comes from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import matplotlib.pyplot as plt
from matplotlib import patheffects
from matplotlib.collections import PolyCollection

from ..geo import LonLat, TheatreMap, box_of
from ..scenario.model import Scenario
from ..scenario.places import place_of
from . import charts as CH
from .charts import OKABE_ITO, STYLE, Chart

WIDTH = 1000.0     # the projection's width in map units (the figure is scaled to the page)
SIDE_COLOURS = {"blue": OKABE_ITO["blue"], "red": OKABE_ITO["vermillion"], "green": OKABE_ITO["bluish_green"]}
LAND, SEA, BORDER = "#e8e4d8", "#cfe3f0", "#8a8474"   # as the room board's map
HALO = [patheffects.withStroke(linewidth=3, foreground="white")]


@dataclass(frozen=True)
class Spot:
    """A named place on the map."""

    name: str
    lonlat: LonLat


@dataclass(frozen=True)
class Track:
    """A line through places, in order: a force's route, an axis of advance. ``id``: what it is (a force
    or axis id), kept as the drawn line's SVG id."""

    id: str
    label: str
    spots: tuple[Spot, ...]


@dataclass(frozen=True)
class Layer:
    """One entry of the map's key: its tracks and points, drawn in ``colour`` as ``style`` says
    (a route: a solid arrow; an axis: a broad dashed arrow; points: stars)."""

    title: str
    colour: str
    style: Literal["route", "axis", "points"] = "route"
    tracks: tuple[Track, ...] = ()
    points: tuple[Spot, ...] = ()


def _role_colour(s: Scenario, side: str) -> str:
    role = s.sides[side].role if side in s.sides else ""
    return SIDE_COLOURS.get(role, OKABE_ITO["black"])


def _spot(s: Scenario, pid: str) -> Spot:
    p = place_of(s, pid)
    return Spot(p.name, p.lonlat)


def force_routes(s: Scenario) -> list[Layer]:
    """One layer per side: each force that names both its places, origin to destination."""
    by_side: dict[str, list[Track]] = {}
    for fid, f in s.forces.items():
        if f.origin_place and f.destination_place:
            by_side.setdefault(f.side, []).append(
                Track(f"route-{fid}", f.name, (_spot(s, f.origin_place), _spot(s, f.destination_place))))
    return [Layer(f"{s.sides[side].name if side in s.sides else side} forces: origin \u2192 destination",
                  _role_colour(s, side), "route", tuple(tracks)) for side, tracks in by_side.items()]


def axes(s: Scenario) -> list[Layer]:
    """The adversary's axes of advance that name their places (start, waypoints, objective place)."""
    adv = s.adversary
    if adv is None:
        return []
    tracks = []
    for aid, a in adv.axes.items():
        if a.route:
            tracks.append(Track(f"axis-{aid}", a.name, tuple(_spot(s, i) for i in a.route)))
    if not tracks:
        return []
    return [Layer(f"{s.sides[adv.side].name if adv.side in s.sides else adv.side} axes of advance",
                  _role_colour(s, adv.side), "axis", tuple(tracks))]


def encounter_areas(s: Scenario) -> list[Layer]:
    """Where the scenario's encounters (and the incidents they grade into) happen: each domain's area
    (``deconfliction.areas``), one point per area naming its domains."""
    d = s.deconfliction
    if d is None or not d.areas:
        return []
    by_place: dict[str, list[str]] = {}
    for dom, pid in d.areas.items():
        by_place.setdefault(pid, []).append(dom)
    spots = tuple(Spot(f"{place_of(s, pid).name} ({', '.join(doms)} encounters)", place_of(s, pid).lonlat)
                  for pid, doms in by_place.items())
    return [Layer("Encounter and incident areas", OKABE_ITO["reddish_purple"], "points", points=spots)]


def layers_of(s: Scenario) -> list[Layer]:
    """The layers the report's map shows for ``s``: axes under the forces' routes, the encounter areas."""
    return axes(s) + force_routes(s) + encounter_areas(s)


@dataclass
class MapPlan:
    """The map laid out in projected units (x right, y down, 0..width x 0..height): every track's
    polyline (its ends brought to the map's edge when they lie beyond it) and every place's label."""

    box: tuple[float, float, float, float]
    width: float
    height: float
    layers: list[Layer]
    lines: list[tuple[Layer, Track, list[tuple[float, float]]]] = field(default_factory=list)
    places: dict[str, tuple[float, float]] = field(default_factory=dict)   # label -> where it is drawn
    projection: TheatreMap | None = None


def plan(s: Scenario, layers: list[Layer] | None = None) -> MapPlan:
    """Lay out ``layers`` (default :func:`layers_of`) on the box of their places."""
    layers = layers_of(s) if layers is None else layers
    pts = [sp.lonlat for ly in layers for tr in ly.tracks for sp in tr.spots] + \
        [sp.lonlat for ly in layers for sp in ly.points]
    m = TheatreMap(box_of(pts), int(WIDTH))
    out = MapPlan(m.box, float(m.width), float(m.height), layers, projection=m)
    for ly in layers:
        for tr in ly.tracks:
            ll = [sp.lonlat for sp in tr.spots]
            shown = []
            for k, (sp, p) in enumerate(zip(tr.spots, ll, strict=True)):
                if m.contains(p):
                    q, name = p, sp.name
                else:  # brought in along the track from its neighbour inside the map
                    near = ll[k + 1] if k + 1 < len(ll) else ll[k - 1]
                    if not m.contains(near):
                        continue
                    q, name = m.clip(near, p), f"from {sp.name}" if k == 0 else f"to {sp.name}"
                shown.append(m.xy(q))
                out.places.setdefault(name, m.xy(q))
            if len(shown) >= 2:
                out.lines.append((ly, tr, shown))
        for sp in ly.points:
            if m.contains(sp.lonlat):
                out.places.setdefault(sp.name, m.xy(sp.lonlat))
    return out


def map_label(name: str, n: int = 34) -> str:
    """A place's name as the map prints it: its words before any aside in brackets, at most ``n`` characters
    (the key below the map gives the full names)."""
    short = name.split(" (")[0] if " (" in name and not name.startswith("(") else name
    return short if len(short) <= n else short[:n - 1] + "\u2026"


def _label_place(x: float, y: float, w: float, h: float, unit: float, width: float, height: float,
                 taken: list[tuple[float, float, float, float]]) -> tuple[float, float, str, str]:
    """Where a label of ``w`` x ``h`` (map units) goes beside its place at (x, y): the first of above right,
    below right, above left, below left that stays on the map and clear of the labels placed so far
    (then added to ``taken``); above right if none is."""
    gap = 5 * unit
    options = [(6, 4, "left", "bottom", (x + gap, y - gap - h, x + gap + w, y - gap)),
               (6, -4, "left", "top", (x + gap, y + gap, x + gap + w, y + gap + h)),
               (-6, 4, "right", "bottom", (x - gap - w, y - gap - h, x - gap, y - gap)),
               (-6, -4, "right", "top", (x - gap - w, y + gap, x - gap, y + gap + h))]

    def clear(b: tuple[float, float, float, float]) -> bool:
        on_map = b[0] >= 0 and b[2] <= width and b[1] >= 0 and b[3] <= height
        return on_map and not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in taken)

    pick = next((o for o in options if clear(o[4])), options[0] if x < 0.7 * width else options[2])
    taken.append(pick[4])
    return float(pick[0]), float(pick[1]), pick[2], pick[3]


def theatre_map(s: Scenario, layers: list[Layer] | None = None, title: str = "") -> Chart | None:
    """The map as a report chart (None when no layer has anything on the map)."""
    p = plan(s, layers)
    if not p.lines and not any(ly.points for ly in p.layers):
        return None
    assert p.projection is not None
    with plt.rc_context(STYLE):
        inch = 7.6
        fig, ax = plt.subplots(figsize=(inch, inch * p.height / p.width + 0.9))
        ax.set_facecolor(SEA)
        rings = [[p.projection.xy(q) for q in ring] for _c, rs in p.projection.country_rings() for ring in rs]
        ax.add_collection(PolyCollection(rings, facecolors=LAND, edgecolors=BORDER, linewidths=0.5, zorder=1))
        handles: list[Any] = []
        for ly in p.layers:
            if ly.style == "points":
                pts = [p.projection.xy(sp.lonlat) for sp in ly.points if p.projection.contains(sp.lonlat)]
                if pts:
                    dots = ax.scatter([x for x, _ in pts], [y for _, y in pts], marker="*", s=120, color=ly.colour,
                                      edgecolor="black", linewidth=0.5, zorder=5)
                    dots.set_gid(f"points-{len(handles)}")
                handles.append(plt.Line2D([], [], marker="*", color=ly.colour, linestyle="none", markersize=10))
                continue
            axis = ly.style == "axis"
            handles.append(plt.Line2D([], [], color=ly.colour, linewidth=4 if axis else 2,
                                      linestyle="--" if axis else "-"))
        number = 0
        key_lines = []
        for ly, tr, xy in p.lines:
            axis = ly.style == "axis"
            xs, ys = [x for x, _ in xy], [y for _, y in xy]
            (line,) = ax.plot(xs, ys, color=ly.colour, linewidth=4 if axis else 2,
                              linestyle="--" if axis else "-", alpha=0.85 if axis else 1.0, zorder=3,
                              solid_capstyle="round")
            line.set_gid(tr.id)
            ax.annotate("", xy=xy[-1], xytext=xy[-2], zorder=4,
                        arrowprops={"arrowstyle": "-|>", "color": ly.colour, "lw": 0, "mutation_scale": 18,
                                    "shrinkA": 0, "shrinkB": 0})
            ax.plot([xs[0]], [ys[0]], marker="o", markersize=6, color=ly.colour, markeredgecolor="white",
                    markeredgewidth=1, zorder=4, linestyle="none")
            number += 1
            mx, my = (xs[0] + xs[-1]) / 2, (ys[0] + ys[-1]) / 2
            ax.annotate(str(number), (mx, my), ha="center", va="center", fontsize=8, color="white",
                        fontweight="bold", zorder=6,
                        bbox={"boxstyle": "circle,pad=0.25", "fc": ly.colour, "ec": "white", "lw": 0.8})
            ends = " \u2192 ".join(sp.name for sp in tr.spots)
            key_lines.append(f"{number}  {tr.label}: {ends}")
        unit = p.width / (inch * 72)   # map units per point
        taken: list[tuple[float, float, float, float]] = [(x - 9 * unit, y - 9 * unit, x + 9 * unit, y + 9 * unit)
                                                          for _ly, _tr, xy in p.lines for x, y in xy[1:-1]]
        for name, (x, y) in sorted(p.places.items(), key=lambda kv: (kv[1][1], kv[1][0])):
            text = map_label(name)
            w, h = (len(text) * 4.6 + 4) * unit, 11 * unit
            ax.plot([x], [y], marker="s", markersize=4, color="black", zorder=5, linestyle="none")
            dx, dy, ha, va = _label_place(x, y, w, h, unit, p.width, p.height, taken)
            ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=8, ha=ha, va=va,
                        zorder=7, path_effects=HALO)
        ax.set_xlim(0, p.width)
        ax.set_ylim(p.height, 0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color(BORDER)
        x0, y0, x1, y1 = p.box
        ax.set_title(title or f"Theatre map: {s.title}", loc="left")
        ax.legend(handles, [ly.title for ly in p.layers], loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=min(len(handles), 2), fontsize=8)
        key_lines.append(f"Map {abs(x0):.0f}\u00b0{'W' if x0 < 0 else 'E'} to {abs(x1):.0f}\u00b0"
                         f"{'W' if x1 < 0 else 'E'}, {y0:.0f}\u00b0N to {y1:.0f}\u00b0N; country outlines: Natural "
                         "Earth (public domain)")
        ax.annotate("\n".join(key_lines), (0, -0.06 - 0.03 * ((len(handles) + 1) // 2)), xycoords="axes fraction",
                    va="top", ha="left", fontsize=8, annotation_clip=False)
        return CH._save(fig, "map", title or "Theatre map: forces' routes")


__all__ = ["Layer", "MapPlan", "Spot", "Track", "axes", "force_routes", "layers_of", "plan", "theatre_map"]
