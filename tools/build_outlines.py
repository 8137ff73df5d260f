"""Build sim/data/theatre-outlines.json from Natural Earth's 1:50m country outlines.

The outlines come from the npm package ``world-atlas`` 2.0.2 (Natural Earth 1:50m admin-0
countries as TopoJSON; Natural Earth is in the public domain, the package is ISC-licensed).
Fetch it with ``npm pack world-atlas@2.0.2`` and run::

    python tools/build_outlines.py world-atlas-2.0.2/countries-50m.json sim/data/theatre-outlines.json

Each country's rings are decoded from the TopoJSON arcs, clipped to the theatre's box
(Europe from the Atlantic to the Urals, the Baltic and the Black Sea), thinned to 0.02 degrees
and rounded to 0.01 degrees: enough for a board projected in a room or an A4 report.
"""
from __future__ import annotations

import json
import sys

BOX = (-12.0, 34.0, 50.0, 71.5)  # lon min, lat min, lon max, lat max
STEP = 0.02                      # drop a point closer than this (degrees) to the last one kept


def decode(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring(arcs: list, idx: list[int]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i in idx:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(pts if not out else pts[1:])
    return out


def clip(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman against the box (convex), one edge at a time."""
    x0, y0, x1, y1 = BOX
    edges = [(lambda p: p[0] >= x0, lambda a, b: _at_x(a, b, x0)), (lambda p: p[0] <= x1, lambda a, b: _at_x(a, b, x1)),
             (lambda p: p[1] >= y0, lambda a, b: _at_y(a, b, y0)), (lambda p: p[1] <= y1, lambda a, b: _at_y(a, b, y1))]
    for inside, cut in edges:
        if not points:
            break
        src, points = points, []
        prev = src[-1]
        for cur in src:
            if inside(cur):
                if not inside(prev):
                    points.append(cut(prev, cur))
                points.append(cur)
            elif inside(prev):
                points.append(cut(prev, cur))
            prev = cur
    return points


def _at_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _at_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def thin(points):
    out = []
    for p in points:
        if not out or abs(p[0] - out[-1][0]) + abs(p[1] - out[-1][1]) >= STEP:
            out.append(p)
    return [[round(x, 2), round(y, 2)] for x, y in out]


CRIMEA = (32.4, 44.3, 36.7, 46.3)  # the peninsula's box


def _crimea_to_ukraine(countries: list[dict]) -> None:
    """Natural Earth's default view draws Crimea as part of Russia (de facto control); the allies and
    the UN General Assembly (resolution 68/262, 27 March 2014) hold it to be Ukraine's, so the ring is
    moved to Ukraine."""
    by_name = {c["name"]: c for c in countries}
    ru, ua = by_name["Russia"], by_name["Ukraine"]
    x0, y0, x1, y1 = CRIMEA
    inside = [r for r in ru["rings"] if all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in r)]
    if len(inside) != 1:
        raise SystemExit(f"expected one Crimean ring in Russia's outline, found {len(inside)}")
    ru["rings"].remove(inside[0])
    ua["rings"].append(inside[0])


def main(src: str, dst: str) -> None:
    topo = json.load(open(src, encoding="utf-8"))
    arcs = decode(topo)
    countries = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        rings = []
        for poly in polys:
            outer = thin(clip(ring(arcs, poly[0])))  # holes (lakes) are left out at this scale
            if len(outer) >= 4:
                rings.append(outer)
        if rings:
            countries.append({"id": g.get("id", ""), "name": g["properties"]["name"], "rings": rings})
    _crimea_to_ukraine(countries)
    countries.sort(key=lambda c: c["name"])
    doc = {"source": "Natural Earth 1:50m admin-0 countries (public domain), via world-atlas 2.0.2 (ISC)",
           "box": list(BOX), "countries": countries}
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
