"""Places, the shared gazetteer, distances, and the default data tables (force ratios, severity ladder)."""
import math
import re

import pytest
from conftest import BASELINE, MINIMAL, ROOT

from sim import ScenarioError, load_scenario
from sim.geo import EARTH_RADIUS_KM
from sim.scenario.facts import load_register
from sim.scenario.places import Gazetteer, distance_km, place_of, route_factors
from sim.scenario.tables import ForceRatioTable, SeverityLadder, load_force_ratios, load_severity_ladder
from sim.scenario.yamlsrc import parse_yaml

GAZETTEER = ROOT / "seeds" / "gazetteer.yaml"

GAZ = """\
title: test gazetteer
places:
  home:
    name: Home base
    lat: 48.86
    lon: 2.35
    country: France
    kind: base
  away:
    name: Away airfield
    lat: 44.36
    lon: 28.49
    country: Romania
    kind: airfield
"""


def problems(path, sets=()):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, sets)
    return [str(p) for p in info.value.problems]


def with_places(text=MINIMAL, places="", gazetteer="gazetteer: seeds/gaz.yaml\n", force=""):
    out = text.replace("clock:", f"{gazetteer}{places}clock:", 1)
    return out.replace("    transit_h: 5\n", "    transit_h: 5\n" + force, 1)


# --- distances ----------------------------------------------------------------------------------

def test_warsaw_bucharest_great_circle_matches_the_closed_form(baseline):
    """Haversine on the gazetteer's coordinates against the spherical law of cosines (another
    closed form of the same sphere): equal to well under a metre."""
    w, b = place_of(baseline, "warsaw"), place_of(baseline, "bucharest")
    p1, p2, dl = math.radians(w.lat), math.radians(b.lat), math.radians(b.lon - w.lon)
    cosines = EARTH_RADIUS_KM * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))
    got = distance_km(baseline, "warsaw", "bucharest", "air")
    assert got == pytest.approx(cosines, abs=1e-3)
    assert got == pytest.approx(distance_km(baseline, "bucharest", "warsaw", "air"), abs=1e-9)
    # the two cities lie about 8.5 degrees of arc apart: 945 km give or take the 0.01-degree rounding
    assert 935 < got < 955


def test_a_quarter_meridian_is_a_quarter_of_the_circumference(write):
    gaz = ("places:\n  equator: {name: E, lat: 0, lon: 10, country: '', kind: sea_area}\n"
           "  pole: {name: P, lat: 90, lon: 10, country: '', kind: sea_area}\n")
    write("seeds/gaz.yaml", gaz)
    s = load_scenario(write("s.yaml", with_places()))
    assert distance_km(s, "equator", "pole", "air") == pytest.approx(math.pi * EARTH_RADIUS_KM / 2, rel=1e-12)
    assert distance_km(s, "pole", "pole", "road") == 0.0


def test_road_and_rail_apply_their_route_factor_and_a_given_distance_wins(write):
    write("seeds/gaz.yaml", GAZ)
    text = with_places(places="distances:\n  - {a: away, b: home, mode: rail, km: 2500, source: timetable}\n")
    s = load_scenario(write("s.yaml", text))
    air = distance_km(s, "home", "away", "air")
    assert distance_km(s, "home", "away", "road") == pytest.approx(air * route_factors().modes["road"].factor)
    assert distance_km(s, "home", "away", "rail") == 2500           # given, either direction
    assert distance_km(s, "away", "home", "rail") == 2500
    assert route_factors().modes["road"].factor == 1.2


def test_every_mode_has_a_documented_route_factor():
    rf = route_factors()
    assert set(rf.modes) == {"air", "sea", "rail", "road"}
    assert all(m.note and m.basis in ("source", "assumption") and m.factor >= 1 for m in rf.modes.values())
    known = load_register(str(ROOT / "seeds" / "facts.yaml")).by_id()
    assert rf.modes["road"].facts == ["road-circuity-example"] and known["road-circuity-example"].value == 1.15
    # the cited example: 1,750 road miles against 1,520 geodesic
    assert 1750 / 1520 == pytest.approx(known["road-circuity-example"].value, abs=0.005)


# --- gazetteer import and override ---------------------------------------------------------------

def test_gazetteer_places_are_usable_by_id_and_scenario_places_override(write):
    write("seeds/gaz.yaml", GAZ)
    mine = "places:\n  away: {name: My airfield, lat: 45.0, lon: 28.0, country: Romania, kind: airfield}\n"
    s = load_scenario(write("s.yaml", with_places(places=mine, force="    origin_place: home\n"
                                                   "    destination_place: away\n")))
    assert place_of(s, "home").name == "Home base"                  # from the gazetteer
    assert (place_of(s, "away").name, place_of(s, "away").lat) == ("My airfield", 45.0)  # the scenario's own
    assert (s.forces["f1"].origin_place, s.forces["f1"].destination_place) == ("home", "away")
    with pytest.raises(KeyError, match="unknown place id 'nowhere'"):
        place_of(s, "nowhere")


def test_gazetteer_distances_are_imported_and_their_faults_located_there(write):
    gaz = GAZ + "distances:\n  - {a: home, b: away, mode: road, km: 2600}\n  - {a: home, b: away, mode: canal, km: 3}\n"
    g = write("seeds/gaz.yaml", gaz)
    line = gaz.splitlines().index("  - {a: home, b: away, mode: canal, km: 3}") + 1
    (msg,) = problems(write("s.yaml", with_places()))
    assert msg.startswith(f"{g}:{line}: distances.1.mode: Input should be 'air', 'sea', 'rail' or 'road'")
    write("seeds/gaz.yaml", gaz.replace("  - {a: home, b: away, mode: canal, km: 3}\n", ""))
    s = load_scenario(write("s.yaml", with_places()))
    assert distance_km(s, "away", "home", "road") == 2600


def test_gazetteer_path_is_relative_to_the_file_that_names_it(write, tmp_path):
    (tmp_path / "sub").mkdir()
    write("seeds/gaz.yaml", GAZ)
    write("base.yaml", with_places())                              # names seeds/gaz.yaml, from tmp_path
    child = write("sub/child.yaml", "extends: ../base.yaml\ntitle: Child\n")
    assert place_of(load_scenario(child), "home").country == "France"


def test_a_bad_latitude_in_the_gazetteer_is_located_there(write):
    gaz = write("seeds/gaz.yaml", GAZ.replace("lat: 44.36", "lat: 94.36"))
    line = GAZ.splitlines().index("    lat: 44.36") + 1
    assert problems(write("s.yaml", with_places())) == [
        f"{gaz}:{line}: places.away.lat: Input should be less than or equal to 90"]


def test_a_bad_latitude_kind_and_id_in_the_scenario_are_located(write):
    write("seeds/gaz.yaml", GAZ)
    mine = "places:\n  here:\n    name: Here\n    lat: -91\n    lon: 200\n    country: X\n    kind: castle\n"
    text = with_places(places=mine)
    p = write("s.yaml", text)
    lines = text.splitlines()
    msgs = problems(p)
    assert f"{p}:{lines.index('    lat: -91') + 1}: places.here.lat: Input should be greater than or equal to -90" in msgs
    assert f"{p}:{lines.index('    lon: 200') + 1}: places.here.lon: Input should be less than or equal to 180" in msgs
    assert any(m.startswith(f"{p}:{lines.index('    kind: castle') + 1}: places.here.kind: Input should be 'base'")
               for m in msgs)
    assert len(msgs) == 3
    bad_id = with_places(places="places:\n  9th: {name: N, lat: 0, lon: 0, country: X, kind: city}\n")
    q = write("t.yaml", bad_id)
    assert problems(q) == [f"{q}:{bad_id.splitlines().index('places:') + 1}: places: id '9th' must start with a "
                           "letter and hold only letters, digits, - and _"]


def test_an_unknown_place_id_is_located_at_the_force(write):
    write("seeds/gaz.yaml", GAZ)
    text = with_places(force="    destination_place: atlantis\n")
    p = write("s.yaml", text)
    line = text.splitlines().index("    destination_place: atlantis") + 1
    (msg,) = problems(p)
    assert msg == f"{p}:{line}: forces.f1.destination_place: unknown place id 'atlantis'; known places: away, home"


def test_an_unknown_place_in_a_set_override_names_the_option(write):
    write("seeds/gaz.yaml", GAZ)
    p = write("s.yaml", with_places(force="    origin_place: home\n"))
    (msg,) = problems(p, ["forces.f1.origin_place=nowhere"])
    assert msg.startswith("--set forces.f1.origin_place=nowhere: forces.f1.origin_place: unknown place id 'nowhere'")


def test_set_reaches_gazetteer_places_and_its_faults_name_the_option(write):
    write("seeds/gaz.yaml", GAZ)
    p = write("s.yaml", with_places())
    assert place_of(load_scenario(p, ["places.home.lat=50.5"]), "home").lat == 50.5
    assert problems(p, ["places.home.lat=95"]) == [
        "--set places.home.lat=95: places.home.lat: Input should be less than or equal to 90"]
    write("seeds/other.yaml", GAZ.replace("Home base", "Other base"))
    assert place_of(load_scenario(p, ["gazetteer=seeds/other.yaml"]), "home").name == "Other base"


def test_a_missing_gazetteer_file_is_located_at_its_line(write):
    text = with_places(gazetteer="gazetteer: seeds/none.yaml\n")
    p = write("s.yaml", text)
    line = text.splitlines().index("gazetteer: seeds/none.yaml") + 1
    assert problems(p) == [f"{p}:{line}: gazetteer: no such file: seeds/none.yaml"]


def test_without_gazetteer_line_the_one_above_is_used_when_a_place_is_named(write):
    """As for the fact register: seeds/gazetteer.yaml at or above the scenario, when needed."""
    named = write("s.yaml", MINIMAL.replace("    transit_h: 5\n", "    transit_h: 5\n    destination_place: kyiv\n"))
    s = load_scenario(named)
    assert s.gazetteer is None and place_of(s, "kyiv").country == "Ukraine" and len(s.places) >= 30
    assert load_scenario(write("plain.yaml", MINIMAL)).places == {}   # names no place: imports nothing


def test_places_without_any_gazetteer_are_an_error(tmp_path_factory):
    d = tmp_path_factory.mktemp("bare")                  # no seeds/ at or above it
    p = d / "s.yaml"
    p.write_text(MINIMAL.replace("    transit_h: 5\n", "    transit_h: 5\n    origin_place: home\n"))
    (msg,) = problems(p)
    assert msg.endswith("forces.f1.origin_place: unknown place id 'home'; the scenario has no places: and no "
                        "gazetteer (gazetteer:, or seeds/gazetteer.yaml above)")


# --- the shipped gazetteer and the baseline -------------------------------------------------------

def test_shipped_gazetteer_is_valid_cited_and_to_a_hundredth_of_a_degree():
    data, _ = parse_yaml(GAZETTEER.read_text(encoding="utf-8"), str(GAZETTEER))
    gaz = Gazetteer.model_validate(data)
    assert len(gaz.places) >= 30
    for pid, p in gaz.places.items():
        assert re.match(r"^Wikipedia: .+\(accessed 2026-12-01\); coordinates checked on .+", p.source), pid
        assert round(p.lat, 2) == p.lat and round(p.lon, 2) == p.lon, pid
    kinds = {p.kind for p in gaz.places.values()}
    assert {"base", "airfield", "port", "city", "sea_area", "border_crossing"} <= kinds
    for needed in ("mk_air_base", "lask_air_base", "amari_air_base", "siauliai_air_base", "lielvarde_air_base",
                   "constanta_port", "gdynia_port", "rzeszow_jasionka", "fort_bragg", "fort_stewart", "kyiv",
                   "kharkiv", "mariupol", "kherson", "armiansk", "belgorod", "gomel"):
        assert needed in gaz.places


def test_known_gazetteer_coordinates():
    """Spot checks against the coordinates the search tool found (see each entry's source)."""
    data, _ = parse_yaml(GAZETTEER.read_text(encoding="utf-8"), str(GAZETTEER))
    g = Gazetteer.model_validate(data).places
    assert (g["mk_air_base"].lat, g["mk_air_base"].lon) == (44.36, 28.49)      # 44.3630 N 28.4870 E
    assert (g["lask_air_base"].lat, g["lask_air_base"].lon) == (51.55, 19.18)  # 51.5516 N 19.1791 E
    assert (g["pope_field"].lat, g["pope_field"].lon) == (35.17, -79.01)       # 35.1708 N 79.0144 W
    assert (g["kherson"].lat, g["kherson"].lon) == (46.64, 32.63)              # 46.6425 N 32.6250 E
    assert (g["amari_air_base"].lat, g["amari_air_base"].lon) == (59.26, 24.22)  # AIP 591544N 0241307E


def test_baseline_forces_name_places_of_the_gazetteer(baseline):
    assert baseline.gazetteer is None and len(baseline.places) >= 30    # seeds/gazetteer.yaml, found above
    named = {(f.origin_place, f.destination_place) for f in baseline.forces.values() if f.origin_place}
    assert ("paris", "mk_air_base") in named and ("fort_stewart", "grafenwoehr") in named
    # transatlantic: Fort Stewart to Grafenwoehr is some 7,700 km by air
    assert 7500 < distance_km(baseline, "fort_stewart", "grafenwoehr", "air") < 7900
    assert BASELINE.name == "nato-response-2022.yaml"


# --- data tables ----------------------------------------------------------------------------------

def test_force_ratio_table_validates_and_cites_the_register():
    t = load_force_ratios()
    known = load_register(str(ROOT / "seeds" / "facts.yaml")).by_id()
    assert all(f in known for f in t.cited_facts())
    ratios = {p.mission: (p.friendly, p.enemy) for p in t.planning_ratios}
    assert ratios["deliberate_attack"] == (3, 1) and ratios["delay"] == (1, 6)
    assert known["planning-ratio-delay"].value == 6


def test_force_ratio_rate_share_by_hand():
    t = load_force_ratios()
    cv = t.combat_values
    # two heavy brigades (2 x 4.5 = 9) against a light brigade (3): ratio 3.0, the deliberate-attack step
    assert t.rate_share(2 * cv["heavy_brigade"].value, cv["light_brigade"].value) == 0.5
    assert t.rate_share(2.99, 1) == 0.35          # just below 3:1: the hasty-attack step
    assert t.rate_share(0.9, 1) == 0.0            # below parity: halted
    assert t.rate_share(100, 1) == 1.0 and t.rate_share(5, 0) == 1.0
    shares = [s.share for s in t.advance_rate]
    assert shares == sorted(shares)


def test_severity_ladder_validates_sums_to_one_and_cites_the_register():
    lad = load_severity_ladder()
    known = load_register(str(ROOT / "seeds" / "facts.yaml")).by_id()
    assert all(f in known for f in lad.cited_facts())
    assert [c.id for c in lad.classes][0] == "routine_intercept"
    for active in (False, True):
        assert math.fsum(lad.shares(active).values()) == pytest.approx(1.0, abs=1e-12)
    off, on = lad.shares(False), lad.shares(True)
    assert on["armed_exchange"] == pytest.approx(off["armed_exchange"] * 0.3)
    assert on["routine_intercept"] > off["routine_intercept"]


@pytest.mark.parametrize("model, text, expect", [
    (SeverityLadder, "classes:\n  - {id: a, name: A, share: 0.5, tension: 0, measure_factor: 1, basis: assumption}\n"
                     "  - {id: b, name: B, share: 0.4, tension: 1, measure_factor: 1, basis: assumption}\n",
     "classes: shares must sum to 1, not 0.9"),
    (ForceRatioTable, "planning_ratios: [{mission: m, friendly: 1, enemy: 1, facts: [x]}]\n"
                      "combat_values: {bn: {value: 1, basis: assumption, note: n}}\n"
                      "advance_rate:\n  - {min_ratio: 0, share: 0.5, basis: assumption}\n"
                      "  - {min_ratio: 2, share: 0.2, basis: assumption}\n",
     ":3: advance_rate: share must not fall as the ratio rises"),
])
def test_a_broken_table_is_reported_with_its_line(tmp_path, model, text, expect):
    p = tmp_path / "t.yaml"
    p.write_text(text)
    loader = load_severity_ladder if model is SeverityLadder else load_force_ratios
    with pytest.raises(ScenarioError) as info:
        loader(p)
    (msg,) = [str(x) for x in info.value.problems]
    assert msg.startswith(str(p)) and expect in msg
