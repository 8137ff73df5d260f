"""Geography for boards and reports: great-circle distances and an offline SVG map of the theatre.

The country outlines are Natural Earth's 1:50m admin-0 countries (public domain), clipped to
the theatre (``sim/data/theatre-outlines.json``, built by ``tools/build_outlines.py``; see
``sim/data/README.md``). Nothing is fetched at run time.

:func:`great_circle_km` is the haversine distance on a sphere of the mean Earth radius
(6,371.0088 km, IUGG); :class:`TheatreMap` projects longitude and latitude onto an SVG
(equirectangular, x scaled by the cosine of the view's middle latitude, so shapes look right
in mid-latitudes) and draws outlines, routes, markers and labels. All text is XML-escaped.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape as _escape
from importlib import resources

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
LonLat = tuple[float, float]


def _text(s: str) -> str:
    """``s`` as SVG text: &, < and > escaped (attributes escape quotes too)."""
    return _escape(s, quote=False)


def great_circle_km(a: LonLat, b: LonLat) -> float:
    """Great-circle distance in km between two (longitude, latitude) points in degrees (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Country:
    id: str
    name: str
    rings: tuple[tuple[LonLat, ...], ...]


@lru_cache(maxsize=1)
def outlines() -> tuple[Country, ...]:
    """The theatre's country outlines (read once per process)."""
    raw = json.loads(resources.files("sim.data").joinpath("theatre-outlines.json").read_text(encoding="utf-8"))
    return tuple(Country(c["id"], c["name"], tuple(tuple((x, y) for x, y in r) for r in c["rings"]))
                 for c in raw["countries"])


THEATRE = (-12.0, 34.0, 50.0, 71.5)   # the box the outlines are clipped to: lon min, lat min, lon max, lat max
MARGIN = 3.0                          # degrees of map around the places shown


def box_of(points: list[LonLat], margin: float = MARGIN) -> tuple[float, float, float, float]:
    """The box of the points inside the theatre, with a margin (the theatre's box when none is)."""
    x0, y0, x1, y1 = THEATRE
    inside = [p for p in points if x0 <= p[0] <= x1 and y0 <= p[1] <= y1]
    if not inside:
        return THEATRE
    lo_x, hi_x = min(p[0] for p in inside) - margin, max(p[0] for p in inside) + margin
    lo_y, hi_y = min(p[1] for p in inside) - margin, max(p[1] for p in inside) + margin
    return (max(lo_x, x0), max(lo_y, y0), min(hi_x, x1), min(hi_y, y1))


@dataclass
class TheatreMap:
    """An SVG map of a box of the theatre, with layers added in drawing order."""

    box: tuple[float, float, float, float]          # lon min, lat min, lon max, lat max
    width: int = 960
    highlight: dict[str, str] = field(default_factory=dict)   # country name -> fill colour
    label_px: int = 13                                          # the labels' type size
    _layers: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        x0, y0, x1, y1 = self.box
        k = math.cos(math.radians((y0 + y1) / 2))
        return max(1, round(self.width * (y1 - y0) / ((x1 - x0) * k)))

    def xy(self, p: LonLat) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return ((p[0] - x0) / (x1 - x0) * self.width, (y1 - p[1]) / (y1 - y0) * self.height)

    def _path(self, pts) -> str:
        return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in map(self.xy, pts))

    def route(self, points: list[LonLat], *, colour: str = "#1f5fbf", width: float = 3, dashed: bool = False,
              title: str = "") -> None:
        dash = ' stroke-dasharray="8 5"' if dashed else ""
        tip = f"<title>{_text(title)}</title>" if title else ""
        self._layers.append(f'<path class="route" d="{self._path(points)}" fill="none" stroke="{colour}" '
                            f'stroke-width="{width}" stroke-linecap="round"{dash}>{tip}</path>')

    def marker(self, p: LonLat, label: str = "", *, colour: str = "#1f5fbf", r: float = 7, shape: str = "circle",
               title: str = "") -> None:
        x, y = self.xy(p)
        tip = f"<title>{_text(title or label)}</title>" if (title or label) else ""
        if shape == "diamond":
            body = (f'<path d="M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z" '
                    f'fill="{colour}" stroke="#fff" stroke-width="1.5">{tip}</path>')
        else:
            body = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" stroke="#fff" '
                    f'stroke-width="1.5">{tip}</circle>')
        self._layers.append(body)
        if label:
            self._layers.append(f'<text class="label" x="{x + r + 3:.1f}" y="{y + self.label_px * 0.35:.1f}">'
                                f"{_text(label)}</text>")

    def svg(self, *, title: str = "Map of the theatre", base: bool = True) -> str:
        """The map as one SVG element (self-contained: no fonts or images fetched). ``base=False``: the
        layers only, on a transparent ground (an overlay for the same box, redrawn as things move)."""
        w, h = self.width, self.height
        x0, y0, x1, y1 = self.box
        shapes = []
        for c, rings in (self.country_rings() if base else ()):
            d = "".join(self._path(r) + "Z" for r in rings)
            if d:
                fill = self.highlight.get(c.name, "#e8e4d8")
                shapes.append(f'<path class="country" d="{d}" fill="{fill}" stroke="#8a8474" stroke-width="0.6">'
                              f"<title>{_text(c.name)}</title></path>")
        style = (f"<style>.label{{font:700 {self.label_px}px sans-serif;fill:#111;paint-order:stroke;stroke:#fff;"
                 f"stroke-width:{max(3, self.label_px // 4)}px}}</style>")
        ground = f'<rect width="{w}" height="{h}" fill="#cfe3f0"/>' if base else ""
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
                f'role="img" aria-label="{_escape(title)}">{style}{ground}'
                + "".join(shapes) + "".join(self._layers) + "</svg>")

    def country_rings(self) -> list[tuple[Country, tuple[tuple[LonLat, ...], ...]]]:
        """Each country's outline rings that reach into the box (with 5 degrees to spare), in the data's order."""
        x0, y0, x1, y1 = self.box
        out = []
        for c in outlines():
            rings = tuple(r for r in c.rings if any(x0 - 5 <= x <= x1 + 5 and y0 - 5 <= y <= y1 + 5 for x, y in r))
            if rings:
                out.append((c, rings))
        return out

    def clip(self, inside: LonLat, outside: LonLat) -> LonLat:
        """Where the straight line from ``inside`` (in the box) to ``outside`` leaves the box."""
        x0, y0, x1, y1 = self.box
        t = 1.0
        for a, b, lo, hi in ((inside[0], outside[0], x0, x1), (inside[1], outside[1], y0, y1)):
            if b < lo:
                t = min(t, (lo - a) / (b - a))
            elif b > hi:
                t = min(t, (hi - a) / (b - a))
        return (inside[0] + t * (outside[0] - inside[0]), inside[1] + t * (outside[1] - inside[1]))

    def contains(self, p: LonLat) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= p[0] <= x1 and y0 <= p[1] <= y1


__all__ = ["EARTH_RADIUS_KM", "MARGIN", "THEATRE", "Country", "TheatreMap", "box_of", "great_circle_km", "outlines"]
