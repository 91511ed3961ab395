"""Demand points: the elderly placed on their homes, totals preserved, priority weights."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from siting.demand import DemandWeights, build_demand, place_demand, weighted_elderly
from siting.errors import InputError
from siting.io import load_inputs
from siting.scenario import load_scenario
from tests.isochrones.helpers import CRS, ORIGIN

OX, OY = ORIGIN


def P(x: float, y: float) -> shapely.Point:
    return shapely.Point(OX + x, OY + y)


def B(x0: float, y0: float, x1: float, y1: float):
    return box(OX + x0, OY + y0, OX + x1, OY + y1)


def communities(**extra) -> gpd.GeoDataFrame:
    """C1 (社区, 300 elderly) and C2 (社区, 100) side by side, V1 (村, 90) to the east."""
    data = {
        "row": [1, 2, 3],
        "code": ["500199001001", "500199001002", "500199101200"],
        "name": ["一社区", "二社区", "三村"],
        "street_code": ["500199001", "500199001", "500199101"],
        "kind": ["community", "community", "village"],
        "pop_total": [5000.0, 2000.0, 1500.0],
        "pop_60p": [300.0, 100.0, 90.0],
        "pop_80p": [60.0, 10.0, 20.0],
        "n_disabled": [30.0, 5.0, 9.0],
        "n_extreme_poor": [3.0, 1.0, 4.0],
        "n_living_alone": [20.0, 8.0, 12.0],
    }
    data.update(extra)
    return gpd.GeoDataFrame(
        data,
        geometry=[B(0, 0, 1000, 1000), B(1000, 0, 2000, 1000), B(2000, 0, 4000, 1000)],
        crs=CRS,
    )


def test_three_buildings_share_the_elderly_by_households():
    bld = gpd.GeoDataFrame(
        {"row": [10, 11, 12, 13], "households": [10.0, 20.0, 30.0, 5.0]},
        geometry=[P(100, 520), P(400, 480), P(900, 530), P(1500, 510)],
        crs=CRS,
    )
    street = np.array([shapely.LineString([(OX, OY + 500), (OX + 4000, OY + 500)])])
    d = place_demand(communities(), buildings=bld, streets=street, street_spacing_m=500)
    pts = d.points
    c1 = pts[pts.community_code == "500199001001"]
    assert c1["elderly"].tolist() == pytest.approx([50.0, 100.0, 150.0])
    assert c1["building_row"].tolist() == [10, 11, 12]
    assert pts[pts.community_code == "500199001002"]["elderly"].tolist() == [100.0]
    # the village has no building: 2000 m of street inside, four 500 m pieces of 22.5 each
    v1 = pts[pts.community_code == "500199101200"]
    assert v1["source"].tolist() == ["street"] * 4
    assert v1["elderly"].tolist() == pytest.approx([22.5] * 4)
    assert sorted(round(g.x - OX) for g in v1.geometry) == [2250, 2750, 3250, 3750]
    assert pts["demand_id"].tolist() == list(range(len(pts)))
    assert d.communities["placement"].tolist() == ["buildings", "buildings", "streets"]
    assert d.communities["basis"].tolist() == ["households", "households", "length"]
    assert any("no residential building" in p.message for p in d.problems)


def test_building_polygons_fall_back_to_footprint_and_belong_by_representative_point():
    # two footprints in C1 (100 m² and 300 m²), no households column; one straddles C1/C2
    # with most of its area (and its representative point) in C2
    bld = gpd.GeoDataFrame(
        {"row": [1, 2, 3]},
        geometry=[B(100, 100, 110, 110), B(200, 200, 215, 220), B(990, 400, 1030, 410)],
        crs=CRS,
    )
    d = place_demand(communities(), buildings=bld)
    pts = d.points
    c1 = pts[pts.community_code == "500199001001"]
    assert c1["elderly"].tolist() == pytest.approx([75.0, 225.0])
    assert pts[pts.community_code == "500199001002"]["building_row"].tolist() == [3]
    assert d.communities["basis"].tolist()[:2] == ["footprint", "footprint"]


def test_a_community_without_buildings_or_streets_is_one_point_with_a_warning():
    d = place_demand(communities(), buildings=None, streets=None)
    assert d.points["source"].tolist() == ["centroid"] * 3
    assert d.points["elderly"].tolist() == [300.0, 100.0, 90.0]
    messages = [p for p in d.problems if "no walkable street" in p.message]
    assert [p.row for p in messages] == [1, 2, 3]
    assert "500199001002" in messages[1].message


def test_buildings_outside_every_community_are_reported_by_row():
    bld = gpd.GeoDataFrame(
        {"row": [7, 8], "households": [4.0, 9.0]},
        geometry=[P(100, 100), P(9000, 9000)],
        crs=CRS,
    )
    d = place_demand(communities(), buildings=bld)
    (warn,) = [p for p in d.problems if p.source == "buildings"]
    assert warn.row == "8" and "outside every community" in warn.message
    assert d.points["elderly"].sum() == pytest.approx(490.0)


def test_an_explicit_basis_needs_its_column():
    bld = gpd.GeoDataFrame({"row": [1]}, geometry=[P(100, 100)], crs=CRS)
    with pytest.raises(InputError, match="households"):
        place_demand(communities(), buildings=bld, basis="households")


def test_priority_weights_add_their_extra_per_group_member():
    w = DemandWeights(
        weight_80p=2.0, weight_disabled=3.0, weight_extreme_poor=1.0, weight_living_alone=1.5
    )
    weighted, problems = weighted_elderly(communities(), w)
    # C1: 300 + 1·60 + 2·30 + 0·3 + 0.5·20 = 430
    assert weighted.tolist() == pytest.approx([430.0, 100 + 10 + 10 + 4, 90 + 20 + 18 + 6])
    assert problems == []
    no_groups = communities().drop(columns=["n_disabled"])
    _, problems = weighted_elderly(no_groups, w)
    assert len(problems) == 1 and "n_disabled" in problems[0].message
    d = place_demand(communities(), weights=w)
    assert d.points["weighted"].tolist() == pytest.approx(weighted.tolist())


@settings(max_examples=40, deadline=None)
@given(
    households=st.lists(st.one_of(st.just(0.0), st.floats(0.001, 1e4)), min_size=0, max_size=40),
    elderly=st.lists(st.integers(0, 10**6), min_size=3, max_size=3),
    xs=st.data(),
)
def test_totals_per_community_are_preserved(households, elderly, xs):
    com = communities(pop_60p=[float(e) for e in elderly], pop_80p=[0.0, 0.0, 0.0])
    pts = [P(xs.draw(st.floats(1, 3999)), xs.draw(st.floats(1, 999))) for _ in households]
    bld = gpd.GeoDataFrame(
        {"row": np.arange(len(households)), "households": households}, geometry=pts, crs=CRS
    )
    street = np.array([shapely.LineString([(OX, OY + 500), (OX + 4000, OY + 500)])])
    d = place_demand(com, buildings=bld, streets=street, street_spacing_m=37.0)
    sums = d.points.groupby("community_code")["elderly"].apply(lambda s: math.fsum(s))
    for code, e in zip(com["code"], elderly, strict=True):
        if e > 0:
            assert sums[code] == pytest.approx(e, rel=1e-12, abs=1e-9)
        else:
            assert code not in sums
    assert (d.points["elderly"] >= 0).all()


def test_build_demand_on_the_tiny_district_without_network(tiny):
    inputs = load_inputs(load_scenario(tiny), network=False)
    d = build_demand(inputs)
    # no buildings, no network: one point per community with a warning naming it
    assert d.points["elderly"].tolist() == [1000.0, 900.0, 800.0, 400.0]
    assert len([p for p in d.problems if "no walkable street" in p.message]) == 4
