"""Places: a scenario's register of named locations, a shared gazetteer, and distances between them.

A scenario lists ``places:`` (id -> name, lat, lon, country, kind) and may import a shared
gazetteer file, found as the fact register is: the file ``gazetteer:`` names (resolved relative
to the file that names it), or else the nearest ``seeds/gazetteer.yaml`` at or above the
scenario when the scenario names a place it does not define. The gazetteer's entries are usable
by id; a scenario entry with the same id replaces the gazetteer's entry as a whole.

Distances are great-circle (:func:`sim.geo.great_circle_km`) times a route factor per mode
of movement (``sim/data/route_factors.yaml``: each default with its basis), unless the
scenario or gazetteer gives the distance (``distances:``).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..geo import great_circle_km
from .errors import Problem, ScenarioError
from .yamlsrc import LineMap, dotted, parse_yaml

if TYPE_CHECKING:
    from .model import Scenario

PLACE_ID = r"^[A-Za-z][A-Za-z0-9_\-]*$"
DataT = TypeVar("DataT", bound=BaseModel)
PlaceKind = Literal["base", "airfield", "port", "rail_head", "city", "border_crossing", "sea_area"]
Mode = Literal["air", "sea", "rail", "road"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Place(_M):
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90, description="latitude in degrees north (WGS 84)")
    lon: float = Field(ge=-180, le=180, description="longitude in degrees east (WGS 84)")
    country: str = Field(description="the country it lies in (empty for a sea area)")
    kind: PlaceKind
    source: str = Field("", description="where the coordinates come from, with the access date")

    @property
    def lonlat(self) -> tuple[float, float]:
        return (self.lon, self.lat)


class GivenDistance(_M):
    """A distance known better than great circle times a factor (a road or sea route length)."""

    a: str = Field(pattern=PLACE_ID, description="place id at one end")
    b: str = Field(pattern=PLACE_ID, description="place id at the other end")
    mode: Mode
    km: float = Field(gt=0)
    source: str = ""


def _check_ids(v: dict[str, Place]) -> dict[str, Place]:
    for k in v:
        if not re.match(PLACE_ID, k):
            raise ValueError(f"place id {k!r} must start with a letter and hold only letters, digits, - and _")
    return v


class Gazetteer(_M):
    """A shared gazetteer file: places (and optionally given distances) several scenarios use."""

    title: str = ""
    description: str = ""
    places: dict[str, Place] = Field(min_length=1)
    distances: list[GivenDistance] = Field(default_factory=list)

    _ids = field_validator("places")(classmethod(lambda cls, v: _check_ids(v)))


# --- route factors (package data) -----------------------------------------------------------

class RouteFactor(_M):
    factor: float = Field(ge=1.0, le=3.0, description="route length / great-circle length")
    basis: Literal["source", "assumption"]
    note: str = Field(min_length=1, description="the source, or why this assumption")
    facts: list[str] = Field(default_factory=list, description="fact ids it rests on")


class RouteFactors(_M):
    modes: dict[Mode, RouteFactor]

    @model_validator(mode="after")
    def _every_mode(self) -> RouteFactors:
        missing = sorted(set(get_args(Mode)) - set(self.modes))
        if missing:
            raise ValueError(f"route factors missing for modes: {', '.join(missing)}")
        return self


def _located(exc: ValidationError, lines: LineMap, label: str) -> list[Problem]:
    out = []
    for e in exc.errors():
        loc = tuple(e["loc"])
        line = next((lines[loc[:i]][1] for i in range(len(loc), 0, -1) if loc[:i] in lines), None)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required field is missing"
        out.append(Problem(label, line or None, dotted(loc), msg))
    return out


def load_data_file(text: str, label: str, model: type[BaseModel]) -> BaseModel:
    """Parse and validate a YAML data file; problems located as ``FILE:LINE: field: message``."""
    data, lines = parse_yaml(text, label)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_located(exc, lines, label)) from None


def package_data(name: str, model: type[DataT]) -> DataT:
    """The package data file ``sim/data/NAME``, validated as ``model``."""
    text = resources.files("sim.data").joinpath(name).read_text(encoding="utf-8")
    out = load_data_file(text, f"sim/data/{name}", model)
    assert isinstance(out, model)
    return out


@lru_cache(maxsize=1)
def route_factors() -> RouteFactors:
    """The default route factor per mode (``sim/data/route_factors.yaml``)."""
    return package_data("route_factors.yaml", RouteFactors)


# --- gazetteer import (called by the loader before the scenario is validated) ----------------

def _read_gazetteer(path: Path, label: str) -> tuple[dict[str, Any], LineMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(label, None, "", f"cannot read gazetteer: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, None, "", "gazetteer is not UTF-8 text")]) from None
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, 1, "", "a gazetteer is a mapping with places:")])
    try:
        Gazetteer.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_located(exc, lines, label)) from None
    return data, lines


def find_gazetteer(scenario_file: Path) -> Path | None:
    """The nearest ``seeds/gazetteer.yaml`` at or above the scenario's folder (as for the fact register)."""
    for folder in [scenario_file.resolve().parent, *scenario_file.resolve().parents]:
        cand = folder / "seeds" / "gazetteer.yaml"
        if cand.is_file():
            return cand
    return None


def _named_places(data: dict[str, Any]) -> set[str]:
    """Place ids the (unvalidated) scenario data names: forces' ends and movements, given distances."""
    from .movement import movement_places  # movement imports this module
    out: set[str] = set()
    forces = data.get("forces")
    for f in (forces.values() if isinstance(forces, dict) else ()):
        if isinstance(f, dict):
            out |= {v for k in ("origin_place", "destination_place") if isinstance(v := f.get(k), str)}
            out |= movement_places(f)
    dec = data.get("deconfliction")
    areas = dec.get("areas") if isinstance(dec, dict) else None
    out |= {v for v in (areas.values() if isinstance(areas, dict) else ()) if isinstance(v, str)}
    adversary = data.get("adversary")
    axes = adversary.get("axes") if isinstance(adversary, dict) else None
    for a in (axes.values() if isinstance(axes, dict) else ()):
        if isinstance(a, dict):
            out |= {v for k in ("start", "objective_place") if isinstance(v := a.get(k), str)}
            wps = a.get("waypoints")
            out |= {v for v in (wps if isinstance(wps, list) else ()) if isinstance(v, str)}
    dists = data.get("distances")
    for d in (dists if isinstance(dists, list) else ()):
        if isinstance(d, dict):
            out |= {v for k in ("a", "b") if isinstance(v := d.get(k), str)}
    return out


def gazetteer_path(path: str | Path, data: dict[str, Any]) -> Path | None:
    """The gazetteer a scenario file with ``data`` uses, as :func:`import_gazetteer` finds it (for tools
    that write a scenario elsewhere: ``msel --import``); None if it uses none."""
    path = Path(path)
    ref = data.get("gazetteer")
    if isinstance(ref, str):
        return path.parent / ref
    own = data.get("places")
    defined = set(own) if isinstance(own, dict) else set()
    return find_gazetteer(path) if _named_places(data) - defined else None


def import_gazetteer(data: dict[str, Any], lines: LineMap, scenario_label: str,
                     chain: Sequence[Path] = ()) -> list[Problem]:
    """Merge a gazetteer into the scenario's ``places:`` and ``distances:``.

    The gazetteer is the file ``gazetteer:`` names (relative to the file that names it); without
    ``gazetteer:``, as for the fact register, the nearest ``seeds/gazetteer.yaml`` at or above the
    scenario (or above any file of its ``extends`` chain, ``chain``), imported only when the scenario
    names a place it does not define itself. Scenario places override gazetteer places with the same id (the whole entry). The merged
    entries keep the gazetteer's file and lines, so a problem in one is located there.
    """
    ref = data.get("gazetteer")
    own = data.get("places")
    if ref is None:
        defined = set(own) if isinstance(own, dict) else set()
        found = None
        if _named_places(data) - defined:
            found = next((g for f in (Path(scenario_label), *chain) if (g := find_gazetteer(f)) is not None), None)
        if found is None:
            return []          # an unknown place id is reported by check_places
        gpath = found
    else:
        where_file, where_line = lines.get(("gazetteer",), (scenario_label, 0))
        if not isinstance(ref, str) or not ref.strip():
            return [Problem(where_file, where_line or None, "gazetteer", "give the path of a gazetteer file")]
        base = Path(where_file).parent if not where_file.startswith("--set") else Path(scenario_label).parent
        gpath = base / ref
        if not gpath.is_file():
            return [Problem(where_file, where_line or None, "gazetteer", f"no such file: {ref}")]
    try:
        gdata, glines = _read_gazetteer(gpath, str(gpath))
    except ScenarioError as exc:
        return exc.problems
    if own is not None and not isinstance(own, dict):
        return []  # the scenario's own places are malformed: model validation reports it
    own = own or {}
    merged: dict[str, Any] = {}
    for pid, entry in gdata["places"].items():
        if pid not in own:
            merged[pid] = entry
            for p, ln in glines.items():
                if p[:2] == ("places", pid):
                    lines[p] = ln
    merged.update(own)
    data["places"] = merged
    given = gdata.get("distances") or []
    if given:
        raw = data.get("distances")
        listed: list[Any] = raw if isinstance(raw, list) else []
        for i, d in enumerate(given):
            j = len(listed)
            for p, ln in glines.items():
                if p[:2] == ("distances", i):
                    lines[("distances", j, *p[2:])] = ln
            listed.append(d)
        data["distances"] = listed
    return []


# --- checks and queries ----------------------------------------------------------------------

def check_places(s: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Place ids named by forces and given distances, checked against the register."""
    known = s.places
    out: list[tuple[tuple[str | int, ...], str]] = []

    def have(pid: str | None, path: tuple[str | int, ...]) -> None:
        if pid is not None and pid not in known:
            hint = f"; known places: {', '.join(sorted(known)[:12])}{' ...' if len(known) > 12 else ''}" if known \
                else "; the scenario has no places: and no gazetteer (gazetteer:, or seeds/gazetteer.yaml above)"
            out.append((path, f"unknown place id {pid!r}{hint}"))

    for fid, f in s.forces.items():
        have(f.origin_place, ("forces", fid, "origin_place"))
        have(f.destination_place, ("forces", fid, "destination_place"))
    if s.deconfliction:
        for dom, pid in s.deconfliction.areas.items():
            have(pid, ("deconfliction", "areas", dom))
    if s.adversary:
        for aid, a in s.adversary.axes.items():
            have(a.start, ("adversary", "axes", aid, "start"))
            for k, wp in enumerate(a.waypoints):
                have(wp, ("adversary", "axes", aid, "waypoints", k))
            have(a.objective_place, ("adversary", "axes", aid, "objective_place"))
    for i, d in enumerate(s.distances):
        have(d.a, ("distances", i, "a"))
        have(d.b, ("distances", i, "b"))
    return out


def place_of(s: Scenario, pid: str) -> Place:
    """The place with id ``pid`` in the scenario's register (its own places and its gazetteer's)."""
    try:
        return s.places[pid]
    except KeyError:
        raise KeyError(f"unknown place id {pid!r}") from None


def distance_km(s: Scenario, a: str, b: str, mode: Mode) -> float:
    """Distance in km from place ``a`` to place ``b`` by ``mode``: a given distance if the scenario
    (or its gazetteer) has one for this pair and mode, else great circle times the mode's route factor."""
    pa, pb = place_of(s, a), place_of(s, b)
    for d in s.distances:
        if d.mode == mode and {d.a, d.b} == {a, b}:
            return d.km
    if a == b:
        return 0.0
    return great_circle_km(pa.lonlat, pb.lonlat) * route_factors().modes[mode].factor
