"""The room board's map: forces at their places, moving ones along their route; the adversary's
axes with how far they have come; the incidents where they happened.

A force that names its places (``origin_place``, ``destination_place``; see
:mod:`sim.scenario.places`) is drawn at its origin until it deploys, along the straight line
to its destination while in transit (the share of its drawn transit time gone by, read from
the trace's force records), and at its destination once in place. The box is the places' own,
with a margin, within the theatre; a place beyond it (Fort Bragg, for a flight to Poland) is
drawn where its route enters the map, labelled with where it comes from. An axis that runs between
places is drawn along them, with a marker where its head stands now (the share of its current leg
covered, from the run's state). Incidents are drawn at their domain's area (the place on the
incident record), one marker per area with how many. The base map (country outlines) is drawn once
per session; the overlay is redrawn as things move.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..engine.trace import ForceRecord, IncidentRecord
from ..geo import LonLat, TheatreMap, box_of, outlines
from ..scenario.model import Scenario
from ..scenario.places import place_of
from ..workshop.session import EPS, Session

WIDTH = 900
SIDE_COLOUR = {"blue": "#0072B2", "red": "#D55E00", "green": "#009E73", "white": "#555555"}


@dataclass(frozen=True)
class Placed:
    force: str
    name: str
    side: str
    origin: LonLat
    destination: LonLat
    origin_name: str
    destination_name: str


def placed_forces(s: Scenario) -> list[Placed]:
    out = []
    for fid, f in s.forces.items():
        if f.origin_place and f.destination_place:
            a, b = place_of(s, f.origin_place), place_of(s, f.destination_place)
            out.append(Placed(fid, f.name, f.side, a.lonlat, b.lonlat, a.name, b.name))
    return out


@dataclass(frozen=True)
class PlacedAxis:
    axis: str
    name: str
    side: str
    names: tuple[str, ...]        # the places' names, start to objective
    points: tuple[LonLat, ...]


def placed_axes(s: Scenario) -> list[PlacedAxis]:
    adv = s.adversary
    if adv is None:
        return []
    out = []
    for aid, a in adv.axes.items():
        if a.route:
            ps = [place_of(s, pid) for pid in a.route]
            out.append(PlacedAxis(aid, a.name, adv.side, tuple(p.name for p in ps), tuple(p.lonlat for p in ps)))
    return out


class RoomMap:
    """The map of one session's scenario: its box and base drawn once."""

    def __init__(self, s: Scenario):
        self.s = s
        self.forces = placed_forces(s)
        self.axes = placed_axes(s)
        self.areas = {pid: place_of(s, pid) for pid in (s.deconfliction.areas.values() if s.deconfliction else ())}
        self.box = box_of([p for f in self.forces for p in (f.origin, f.destination)]
                          + [p for a in self.axes for p in a.points] + [a.lonlat for a in self.areas.values()])
        self._base: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.forces or self.axes or self.areas)

    def base(self) -> str:
        if self._base is None:
            sides = {f.side for f in self.forces}
            self._base = TheatreMap(self.box, WIDTH).svg(title=f"Map: {self.s.title} ({len(outlines())} countries)"
                                                         if sides else "Map")
        return self._base

    def _end(self, m: TheatreMap, p: LonLat, other: LonLat) -> LonLat:
        return p if m.contains(p) else m.clip(other, p)

    def overlay(self, session: Session) -> tuple[str, list[dict[str, Any]]]:
        """What is on the map now (SVG, same box as :meth:`base`), drawn layer by layer (:data:`LAYERS`,
        bottom first), and one key of everything drawn, numbered across the layers."""
        m = TheatreMap(self.box, WIDTH, label_px=30)
        view = Drawing(self, session, m)
        for layer in LAYERS:
            layer(view)
        return m.svg(title="On the map", base=False), view.key


@dataclass
class Drawing:
    """One overlay being drawn: the map, the session's state and the key the layers add to. A layer
    reads the session's typed state and trace (``session.view()``), draws on ``m`` and calls :meth:`add`
    for each thing it drew, which gives the number its marker carries."""

    room: RoomMap
    session: Session
    m: TheatreMap
    key: list[dict[str, Any]] = field(default_factory=list)

    def colour(self, side: str) -> str:
        s = self.room.s
        role = s.sides[side].role if side in s.sides else "white"
        return SIDE_COLOUR.get(role, "#555555")

    def add(self, layer: str, label: str, colour: str, **extra: Any) -> int:
        n = len(self.key) + 1
        self.key.append({"n": n, "layer": layer, "label": label, "colour": colour, **extra})
        return n


def forces_layer(d: Drawing) -> None:
    """Forces at their origin, along their route while deploying (the share of the drawn transit time gone
    by), at their destination once in place."""
    room, session, m = d.room, d.session, d.m
    states = session.view().state["forces"]
    departed: dict[str, tuple[float, float]] = {}
    for r in session.view().trace:
        if isinstance(r, ForceRecord) and r.state == "deploying" and r.transit_h is not None:
            departed[r.force] = (r.t_h, r.transit_h)
    for f in room.forces:
        colour = d.colour(f.side)
        state = states.get(f.force, "standby")
        a = room._end(m, f.origin, f.destination)
        b = room._end(m, f.destination, f.origin)
        if state == "deploying" and f.force in departed:
            t0, dur = departed[f.force]
            share = min(max((session.clock - t0) / dur, 0.0), 1.0) if dur > EPS else 1.0
            where = (f.origin[0] + share * (f.destination[0] - f.origin[0]),
                     f.origin[1] + share * (f.destination[1] - f.origin[1]))
            where = room._end(m, where, f.destination)
            label = f"{f.name}: in transit ({share:.0%})"
        elif state == "in_place":
            where, share, label = b, 1.0, f"{f.name}: in place at {f.destination_name}"
        else:
            where, share, label = a, 0.0, f"{f.name}: {state.replace('_', ' ')} at {f.origin_name}"
        m.route([a, b], colour=colour, width=4, dashed=state != "in_place", title=f"{f.origin_name} to "
                f"{f.destination_name}")
        n = d.add("forces", label, colour, force=f.force, name=f.name, state=state, share=round(share, 3))
        m.marker(where, str(n), colour=colour, r=16 if state == "in_place" else 12,
                 shape="diamond" if state == "deploying" else "circle", title=label)


def axes_layer(d: Drawing) -> None:
    """Each axis along its places (thin, dashed until committed), its head where it stands now."""
    room, m = d.room, d.m
    state = d.session.view().state.get("axes", {})
    for a in room.axes:
        colour = d.colour(a.side)
        now = state.get(a.axis)
        pts = [p if m.contains(p) else room._end(m, p, a.points[1] if k == 0 else a.points[k - 1])
               for k, p in enumerate(a.points)]
        m.route(pts, colour=colour, width=3, dashed=now is None, title=" to ".join(a.names))
        if now is None:
            label = f"{a.name}: not committed"
            where = pts[0]
        else:
            leg = min(int(now["leg"]), len(pts) - 1)
            share = float(now["leg_share"])
            a0, a1 = pts[leg], pts[min(leg + 1, len(pts) - 1)]
            where = (a0[0] + share * (a1[0] - a0[0]), a0[1] + share * (a1[1] - a0[1]))
            if now["arrived"]:
                label = f"{a.name}: at {a.names[-1]}"
            else:
                label = f"{a.name}: {now['km_along']:,.0f} km in"
        n = d.add("axes", label, colour, axis=a.axis, name=a.name, committed=now is not None)
        m.marker(where, str(n), colour=colour, r=12, shape="diamond", title=label)


def incidents_layer(d: Drawing) -> None:
    """Incidents so far, one marker per area (the domain's place), sized by how many."""
    room, m = d.room, d.m
    by_place: dict[str, list[IncidentRecord]] = {}
    for r in d.session.view().trace:
        if isinstance(r, IncidentRecord) and r.place and r.place in room.areas:
            by_place.setdefault(r.place, []).append(r)
    for pid, recs in by_place.items():
        area = room.areas[pid]
        kinds: dict[str, int] = {}
        for r in recs:
            kinds[r.name or "incident"] = kinds.get(r.name or "incident", 0) + 1
        label = f"{len(recs)} incident{'s' if len(recs) != 1 else ''} in {area.name}: " + ", ".join(
            f"{k} x{v}" if v > 1 else k for k, v in kinds.items())
        x0, y0, x1, y1 = m.box
        where = area.lonlat if m.contains(area.lonlat) else m.clip(((x0 + x1) / 2, (y0 + y1) / 2), area.lonlat)
        n = d.add("incidents", label, INCIDENT_COLOUR, place=pid, count=len(recs))
        m.marker(where, str(n), colour=INCIDENT_COLOUR, r=12 + min(len(recs), 6) * 2, shape="circle", title=label)


INCIDENT_COLOUR = "#CC79A7"   # Okabe-Ito reddish purple: apart from the sides' colours

# the overlay's layers, bottom first
LAYERS: list[Callable[[Drawing], None]] = [axes_layer, forces_layer, incidents_layer]


__all__ = ["LAYERS", "Drawing", "RoomMap", "axes_layer", "box_of", "forces_layer", "incidents_layer", "placed_axes",
           "placed_forces"]
