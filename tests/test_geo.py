"""Great-circle distances and the offline theatre map."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from sim.geo import EARTH_RADIUS_KM, TheatreMap, great_circle_km, outlines


def test_quarter_meridian_is_a_quarter_of_the_great_circle():
    assert great_circle_km((0, 0), (0, 90)) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM, rel=1e-12)
    assert great_circle_km((10, 0), (100, 0)) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM, rel=1e-12)
    assert great_circle_km((0, 0), (180, 0)) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-12)


def test_known_city_distances():
    # spherical-model great-circle distances (the ellipsoid differs by up to ~0.5%)
    london, paris = (-0.1278, 51.5074), (2.3522, 48.8566)
    warsaw, bucharest = (21.0122, 52.2297), (26.1025, 44.4268)
    assert great_circle_km(london, paris) == pytest.approx(343.6, abs=1.0)
    assert great_circle_km(warsaw, bucharest) == pytest.approx(946, abs=5)
    assert great_circle_km(warsaw, bucharest) == pytest.approx(great_circle_km(bucharest, warsaw), rel=1e-15)


def test_outlines_cover_the_theatre_and_crimea_is_drawn_as_ukraine():
    names = {c.name for c in outlines()}
    assert {"Ukraine", "Russia", "Poland", "Romania", "Estonia", "Latvia", "Lithuania", "Belarus"} <= names
    by = {c.name: c for c in outlines()}
    simferopol = (34.10, 44.95)

    def contains(rings, p):
        inside = False
        for r in rings:
            for (x1, y1), (x2, y2) in zip(r, r[1:] + r[:1], strict=True):
                if (y1 > p[1]) != (y2 > p[1]) and p[0] < x1 + (p[1] - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        return inside

    assert contains([list(r) for r in by["Ukraine"].rings], simferopol)
    assert not contains([list(r) for r in by["Russia"].rings], simferopol)
    assert contains([list(r) for r in by["Poland"].rings], (21.0122, 52.2297))   # Warsaw


def test_svg_map_projects_markers_and_escapes_labels():
    m = TheatreMap((12, 42, 42, 60.5), width=800)
    assert m.height == round(800 * 18.5 / (30 * math.cos(math.radians(51.25))))
    assert m.xy((12, 60.5)) == (0, 0) and m.xy((42, 42)) == pytest.approx((800, m.height))
    m.marker((26.1, 44.43), "<script>x</script>")
    m.route([(13.4, 52.5), (21.0, 52.2)], title="a & b")
    svg = m.svg()
    root = ET.fromstring(svg)              # well-formed XML
    assert root.tag.endswith("svg") and "<script>" not in svg and "&lt;script&gt;" in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")   # nothing fetched
    assert svg.count('class="country"') >= 20


def test_svg_map_title_cannot_break_out_of_its_attribute():
    title = 'Map: x" onload="alert(1)'   # a scenario's title, in the room board's inline SVG
    root = ET.fromstring(TheatreMap((12, 42, 42, 60.5), width=400).svg(title=title))
    assert root.get("aria-label") == title and root.get("onload") is None
