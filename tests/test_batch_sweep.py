"""--vary parsing and grid expansion."""
import pytest
from conftest import BASELINE

from sim import ScenarioError
from sim.batch.runner import plan_batch
from sim.batch.sweep import expand_grid, parse_varies, parse_vary


def test_list_and_typed_values():
    v = parse_vary("forces.vjtf.notice_to_move_h=48,72,96")
    assert v.path == "forces.vjtf.notice_to_move_h" and v.values == (48, 72, 96) and v.raw == ("48", "72", "96")
    v = parse_vary("deconfliction.measures.hotline.active=true,false")
    assert v.values == (True, False)


def test_commas_inside_flow_collections_do_not_split():
    v = parse_vary("forces.vjtf.transit_h={dist: uniform, low: 1, high: 2},5")
    assert v.values == ({"dist": "uniform", "low": 1, "high": 2}, 5)


def test_range_includes_stop_when_landed_on():
    assert parse_vary("x=48:96:24").values == (48, 72, 96)
    assert parse_vary("x=48:95:24").values == (48, 72)
    assert parse_vary("x=0:1:0.25").values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_vary("x=0.1:0.3:0.1").values == (0.1, 0.2, 0.3)  # no float drift past stop
    assert parse_vary("x=10:0:-5").values == (10, 5, 0)


@pytest.mark.parametrize("spec,message", [
    ("novalue", "expected path=v1,v2"),
    ("x=", "no values given"),
    ("x=1:5:0", "step must not be 0"),
    ("x=5:1:1", "never reached"),
    ("x=1:5", "start:stop:step"),
    ("x=1,,2", "empty value"),
    ("x=1,1", "listed twice"),
    (".x=1,2", "empty field name"),
    ("x=[1,2", "bad value"),
])
def test_bad_specs_rejected_with_a_message(spec, message):
    with pytest.raises(ScenarioError) as e:
        parse_vary(spec)
    assert message in str(e.value) and f"--vary {spec}" in str(e.value)


def test_same_path_twice_rejected():
    with pytest.raises(ScenarioError, match="already varied"):
        parse_varies(["x=1,2", "x=3,4"])


def test_grid_two_by_three_first_slowest():
    pts = expand_grid(parse_varies(["a.b=1,2", "c=x,y,z"]))
    assert len(pts) == 6
    assert [p.values for p in pts] == [{"a.b": a, "c": c} for a in (1, 2) for c in ("x", "y", "z")]
    assert pts[4].overrides == ("a.b=2", "c=y")
    assert expand_grid([])[0].values == {} and len(expand_grid([])) == 1


def test_plan_validates_every_point_up_front_with_located_errors():
    plan = plan_batch(BASELINE, ["deconfliction.p_incident=0.3"],
                      ["forces.vjtf.notice_to_move_h=48,96", "deconfliction.measures.hotline.active=true,false"])
    assert len(plan.scenarios) == 4 and len({s.content_hash for s in plan.scenarios}) == 4
    assert plan.scenarios[3].deconfliction.measures["hotline"].active is False
    assert plan.scenarios[3].deconfliction.p_incident == 0.3
    with pytest.raises(ScenarioError) as e:
        plan_batch(BASELINE, [], ["deconfliction.p_incident=0.5,1.5,2"])
    msgs = [str(p) for p in e.value.problems]
    assert len(msgs) == 2 and all("deconfliction.p_incident" in m and "less than or equal to 1" in m for m in msgs)
    with pytest.raises(ScenarioError, match="no such field"):
        plan_batch(BASELINE, [], ["forces.nope.notice_to_move_h=1,2"])
