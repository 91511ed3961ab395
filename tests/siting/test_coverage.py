"""Coverage of the elderly, checked on a small district whose walking times are worked out by hand.

The district (metres east/north of ``ORIGIN``, CGCS2000 / 3-degree GK zone 105°E):

- 街道 A = [0, 2000] × [0, 1000] with 社区 C1 = [0, 1000] (300 older people) and
  社区 C2 = [1000, 2000] (100); 镇 B = [2000, 4000] × [0, 1000], all of it 村 V1 (90).
- One straight street along y = 500 from x = 0 to 4000, junctions every 1000 m; walked flat at 0.8 m/s.
- Homes: in C1 three buildings at (100, 520), (400, 480), (900, 530) with 10, 20, 30 households
  (50, 100, 150 older people); in C2 one building at (1500, 510). V1 has no building: its 90 people
  go on its 2000 m of street, four pieces of 500 m (22.5 at x = 2250, 2750, 3250, 3750).
- Facilities: station S at (200, 500) in C1, village point P at (3000, 500), town center T at
  (3500, 520).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isochrones.walktime import WalkingModel, walking_arcs
from siting.coverage import (
    CoverageSettings,
    compute_coverage,
    coverage_matrix,
    snap_demand,
    weighted_quantile,
)
from siting.demand import place_demand
from siting.errors import InputError, ScenarioError
from siting.indicators import INDICATOR_KEYS
from siting.io import Inputs
from siting.scenario import load_scenario
from tests.isochrones.helpers import CRS, ORIGIN, grid_network, make_network

OX, OY = ORIGIN
SPEED = 0.8
FLAT = WalkingModel(SPEED, slope_function="flat")


def P(x: float, y: float) -> shapely.Point:
    return shapely.Point(OX + x, OY + y)


def B(x0: float, y0: float, x1: float, y1: float):
    return shapely.box(OX + x0, OY + y0, OX + x1, OY + y1)


def facilities(*rows: tuple[str, str, float, float, float]) -> gpd.GeoDataFrame:
    """Facilities from (id, type, x, y, floor area)."""
    return gpd.GeoDataFrame(
        {
            "row": np.arange(2, len(rows) + 2),
            "facility_id": [r[0] for r in rows],
            "name": [f"{r[0]} {r[1]}" for r in rows],
            "type": [r[1] for r in rows],
            "floor_area_m2": [float(r[4]) for r in rows],
        },
        geometry=[P(r[2], r[3]) for r in rows],
        crs=CRS,
    )


BASE_FACILITIES = (
    ("S", "station", 200, 500, 300),
    ("P", "village_point", 3000, 500, 60),
    ("T", "town_center", 3500, 520, 900),
)


def district(
    folder: Path,
    *,
    facs=BASE_FACILITIES,
    settings_toml: str = "",
    health: bool = True,
    roster: gpd.GeoDataFrame | None = None,
) -> tuple[Inputs, object]:
    """The hand-checked district as Inputs, and its walking graph."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scenario.toml"
    path.write_text(
        textwrap.dedent(
            """
            [scenario]
            district_name = "手算区"
            [inputs.network]
            path = "roads.osm"
            [inputs.streets]
            path = "b.gpkg"
            [inputs.communities]
            path = "b.gpkg"
            [inputs.facilities]
            path = "facilities.csv"
            [demand]
            street_spacing_m = 500
            """
        )
        + textwrap.dedent(settings_toml),
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    streets = gpd.GeoDataFrame(
        {
            "row": [1, 2],
            "code": ["500199001", "500199101"],
            "name": ["甲街道", "乙镇"],
            "kind": ["street", "town"],
        },
        geometry=[B(0, 0, 2000, 1000), B(2000, 0, 4000, 1000)],
        crs=CRS,
    )
    com = gpd.GeoDataFrame(
        {
            "row": [1, 2, 3],
            "code": ["500199001001", "500199001002", "500199101200"],
            "name": ["一社区", "二社区", "三村"],
            "street_code": ["500199001", "500199001", "500199101"],
            "kind": ["community", "community", "village"],
            "pop_total": [5000.0, 2000.0, 1500.0],
            "pop_60p": [300.0, 100.0, 90.0],
        },
        geometry=[B(0, 0, 1000, 1000), B(1000, 0, 2000, 1000), B(2000, 0, 4000, 1000)],
        crs=CRS,
    )
    bld = gpd.GeoDataFrame(
        {"row": [2, 3, 4, 5], "households": [10.0, 20.0, 30.0, 5.0]},
        geometry=[P(100, 520), P(400, 480), P(900, 530), P(1500, 510)],
        crs=CRS,
    )
    net = make_network({i: (1000.0 * i, 500.0) for i in range(5)}, [(i, i + 1) for i in range(4)])
    hlth = (
        gpd.GeoDataFrame(
            {
                "row": [2],
                "facility_id": ["H1"],
                "name": ["乙镇卫生院"],
                "type": ["township_hospital"],
            },
            geometry=[P(3600, 520)],
            crs=CRS,
        )
        if health
        else None
    )
    inputs = Inputs(
        scenario=scenario,
        crs=CRS,
        district=gpd.GeoDataFrame({"name": ["手算区"]}, geometry=[B(0, 0, 4000, 1000)], crs=CRS),
        streets=streets,
        communities=com,
        network=net,
        buildings=bld,
        facilities=facilities(*facs),
        health=hlth,
        roster=roster,
    )
    return inputs, walking_arcs(net, FLAT)


@pytest.fixture
def hand(tmp_path):
    return district(tmp_path / "hand")


def test_hand_checked_walking_times_and_coverage(hand):
    inputs, graph = hand
    result = compute_coverage(inputs, graph)
    m = result.matrix
    dense = {}
    coo = m.seconds.tocoo()
    for i, j, t in zip(coo.row, coo.col, coo.data, strict=True):
        dense[int(i), str(m.site_ids[j])] = float(t)
    # homes of C1 to S: 20 + 100 m, 20 + 200 m, 30 + 700 m
    assert dense[0, "S"] == pytest.approx(120 / SPEED)
    assert dense[1, "S"] == pytest.approx(220 / SPEED)
    assert dense[2, "S"] == pytest.approx(730 / SPEED)  # 15.2 min: not covered in a 社区
    # C2's home to S: 10 + 1300 m = 27.3 min
    assert dense[3, "S"] == pytest.approx(1310 / SPEED)
    # the village's street points (x = 2250, 2750, 3250, 3750) to P (on the street at x = 3000) and
    # T (20 m off the street at x = 3500); the 15-minute circle holds in 村 too (POLICY_RULES §2)
    assert [dense[i, "P"] for i in (4, 5, 6, 7)] == pytest.approx(
        [750 / SPEED, 250 / SPEED, 250 / SPEED, 750 / SPEED]
    )
    assert [dense[i, "T"] for i in (4, 5, 6, 7)] == pytest.approx(
        [1270 / SPEED, 770 / SPEED, 270 / SPEED, 270 / SPEED]
    )
    # 750 m = 15.6 min and 770 m = 16.0 min are out: point 4 has nothing within 15 minutes
    assert m.is_covered().tolist() == [True, True, False, False, False, True, True, True]

    com = result.communities.set_index("code")
    assert com.loc["500199001001", "covered_elderly"] == pytest.approx(150.0)
    assert com.loc["500199001001", "coverage_pct"] == pytest.approx(50.0)
    # weighted median and 90th percentile of (2.5, 4.58, 15.21 min) with weights (50, 100, 150)
    assert com.loc["500199001001", "median_minutes"] == pytest.approx(220 / SPEED / 60)
    assert com.loc["500199001001", "p90_minutes"] == pytest.approx(730 / SPEED / 60)
    assert com.loc["500199001002", "coverage_pct"] == 0.0
    assert com.loc["500199001002", "median_minutes"] == pytest.approx(1310 / SPEED / 60)
    assert com.loc["500199101200", "coverage_pct"] == pytest.approx(75.0)  # 3 of 4 pieces of 22.5
    assert com.loc["500199101200", "n_facilities_covering"] == 2
    assert com["threshold_minutes"].tolist() == [15.0, 15.0, 15.0]

    st_ = result.streets.set_index("code")
    assert st_.loc["500199001", "covered_elderly"] == pytest.approx(150.0)
    assert st_.loc["500199001", "elderly"] == pytest.approx(400.0)
    assert st_.loc["500199001", "coverage_pct"] == pytest.approx(37.5)
    assert st_.loc["500199101", "n_communities_fully_covered"] == 0  # the 村 is 75 % covered

    d = result.district.set_index(["scope", "facility_type"])
    assert d.loc[("district", "any"), "covered_elderly"] == pytest.approx(150.0 + 67.5)
    assert result.coverage_pct == pytest.approx(100 * 217.5 / 490)
    assert d.loc[("community", "any"), "coverage_pct"] == pytest.approx(100 * 150 / 400)
    # T covers two of the four village pieces within 15 minutes (270 m each)
    assert d.loc[("village", "town_center"), "coverage_pct"] == pytest.approx(50.0)
    # 医养结合 (002 §25): only T lies within 500 m of the 卫生院 H1 (100 m; P is 600 m, S 3.4 km
    # away); in the 村 its 25-minute circle holds 3 of the 4 pieces (1270 m = 26.5 min is out)
    assert d.loc[("village", "medical_care"), "coverage_pct"] == pytest.approx(75.0)
    assert d.loc[("village", "medical_care"), "n_facilities"] == 1
    assert d.loc[("community", "medical_care"), "covered_elderly"] == 0.0
    assert d.loc[("district", "medical_care"), "covered_elderly"] == pytest.approx(67.5)
    assert d.loc[("district", "station"), "covered_elderly"] == pytest.approx(150.0)
    assert d.loc[("district", "institution"), "covered_elderly"] == 0.0


def test_unreachable_beyond_the_horizon_is_infinite_not_a_number(tmp_path):
    # only the station: the village's homes are 2050–3550 m away, beyond a 30-minute horizon
    inputs, graph = district(
        tmp_path, facs=BASE_FACILITIES[:1], settings_toml="[coverage]\nreport_max_minutes = 30\n"
    )
    result = compute_coverage(inputs, graph)
    com = result.communities.set_index("code")
    assert np.isinf(com.loc["500199101200", "median_minutes"])
    assert com.loc["500199101200", "unreached_elderly"] == pytest.approx(90.0)
    # C2's home is 27.3 min away: within the horizon, a number
    assert com.loc["500199001002", "median_minutes"] == pytest.approx(1310 / SPEED / 60)


def test_thresholds_per_type_and_kind_come_from_the_scenario(tmp_path):
    toml = """
        [coverage]
        community_minutes = 16
        [coverage.type_minutes]
        station = {community = 30}
        """
    inputs, graph = district(tmp_path, settings_toml=toml)
    s = CoverageSettings.from_scenario(inputs.scenario)
    assert s.minutes("community", "station") == 30.0
    assert s.minutes("community", "village_point") == 16.0
    assert s.minutes("village", "station") == 15.0  # the 一刻钟 circle in 村 too
    result = compute_coverage(inputs, graph, settings=s)
    # C1's third home (15.2 min) and C2's home (27.3 min) are now covered by the station
    assert result.matrix.is_covered(types=["station"])[:4].tolist() == [True] * 4


@pytest.mark.parametrize(
    "toml, what",
    [
        ("[coverage]\ncommunity_minutes = -5\n", "community_minutes"),
        ("[coverage.type_minutes]\nhospital = 20\n", "unknown facility type"),
        ("[coverage.type_minutes]\nstation = {town = 20}\n", "unknown community kind"),
        ("[coverage]\nhome_care_types = ['station', 'clinic']\n", "clinic"),
    ],
)
def test_bad_coverage_settings_name_the_key(tmp_path, toml, what):
    inputs, _ = district(tmp_path, settings_toml=toml)
    with pytest.raises(ScenarioError, match=what):
        CoverageSettings.from_scenario(inputs.scenario)


def test_candidates_with_several_types_are_one_column_per_type(hand):
    inputs, graph = hand
    demand = place_demand(
        inputs.communities,
        buildings=inputs.buildings,
        streets=graph.edge_geometry,
        street_spacing_m=500,
    )
    cand = gpd.GeoDataFrame(
        {
            "row": [2, 3],
            "candidate_id": ["C1", "C2"],
            "eligible_types": [("station", "street_center"), ("village_point",)],
        },
        geometry=[P(1500, 500), P(2500, 500)],
        crs=CRS,
    )
    s = CoverageSettings(type_minutes={"street_center": {"community": 25.0, "village": 25.0}})
    snapped = snap_demand(graph, demand)
    mc = coverage_matrix(
        graph,
        demand,
        cand,
        id_column="candidate_id",
        type_column="eligible_types",
        settings=s,
        snapped_demand=snapped,
    )
    assert mc.site_ids.tolist() == ["C1", "C1", "C2"]
    assert mc.site_types.tolist() == ["station", "street_center", "village_point"]
    # C1 as a station covers C2's home (10 m) and C1's third home (600 + 30 m = 13.1 min);
    # as a street center (25 min) also the home at 400 m (1100 + 20 m = 23.3 min), not the one
    # at 100 m (1400 + 20 m = 29.6 min)
    cov = mc.covers().toarray()
    assert cov[:4, 0].tolist() == [False, False, True, True]
    assert cov[:4, 1].tolist() == [False, True, True, True]
    both = coverage_matrix(
        graph, demand, inputs.facilities, settings=s, snapped_demand=snapped
    ).hstack(mc)
    assert both.shape == (8, 6)
    assert both.site_ids.tolist() == ["S", "P", "T", "C1", "C1", "C2"]
    assert both.is_covered().tolist() == [True, True, True, True, True, True, True, True]
    # the existing sites alone leave C1's third home, C2's home and the village piece at x = 2250
    # (15.6 min from P) uncovered; C2 (250 m from that piece) covers it
    assert both.select(np.array([0, 1, 2])).is_covered().tolist() == [
        True,
        True,
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_sites_of_unknown_type_are_an_error_naming_the_row(hand):
    inputs, graph = hand
    demand = place_demand(inputs.communities, buildings=inputs.buildings)
    bad = facilities(("X", "daycare", 100, 500, 10), ("S", "station", 200, 500, 300))
    with pytest.raises(InputError, match="unknown type") as err:
        coverage_matrix(graph, demand, bad)
    assert [p.row for p in err.value.problems] == ["2"]


def test_weighted_quantile_is_the_lower_inverse_cdf():
    v = np.array([10.0, np.inf, 5.0])
    w = np.array([1.0, 2.0, 1.0])
    # sorted: 5 (weight 1), 10 (1), inf (2): half the weight is reached at 10
    assert weighted_quantile(v, w, 0.5) == 10.0
    assert weighted_quantile(v, w, 0.51) == np.inf
    assert weighted_quantile(v, w, 0.25) == 5.0
    assert weighted_quantile(v, w, 0.26) == 10.0
    assert np.isnan(weighted_quantile(v, np.zeros(3), 0.5))


def _grid_world(seed_points, facility_points, types, kinds):
    nodes, edges = grid_network(5, 5, 200)
    net = make_network(nodes, edges)
    graph = walking_arcs(net, FLAT)
    com = gpd.GeoDataFrame(
        {
            "row": [1, 2],
            "code": ["500199001001", "500199001200"],
            "street_code": ["500199001"] * 2,
            "kind": kinds,
            "pop_60p": [120.0, 80.0],
        },
        geometry=[B(-50, -50, 400, 850), B(400, -50, 850, 850)],
        crs=CRS,
    )
    bld = gpd.GeoDataFrame(
        {"row": np.arange(len(seed_points)), "households": np.ones(len(seed_points))},
        geometry=[P(x, y) for x, y in seed_points],
        crs=CRS,
    )
    demand = place_demand(com, buildings=bld, streets=graph.edge_geometry)
    fac = facilities(
        *[
            (f"F{i}", t, x, y, 100)
            for i, ((x, y), t) in enumerate(zip(facility_points, types, strict=True))
        ]
    )
    return graph, demand, fac


xy = st.tuples(st.floats(-40, 840), st.floats(-40, 840))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    homes=st.lists(xy, min_size=1, max_size=15),
    sites=st.lists(xy, min_size=0, max_size=4),
    new=xy,
    types=st.lists(
        st.sampled_from(["station", "village_point", "street_center", "institution"]),
        min_size=5,
        max_size=5,
    ),
    kinds=st.sampled_from([["community", "village"], ["village", "community"]]),
    minutes=st.floats(1, 30),
)
def test_adding_a_facility_never_decreases_coverage(homes, sites, new, types, kinds, minutes):
    s = CoverageSettings(community_minutes=minutes, village_minutes=minutes * 1.5)
    graph, demand, before = _grid_world(homes, sites, types[: len(sites)], kinds)
    _, _, after = _grid_world(homes, [*sites, new], types[: len(sites) + 1], kinds)
    snapped = snap_demand(graph, demand)
    m0 = coverage_matrix(graph, demand, before, settings=s, snapped_demand=snapped)
    m1 = coverage_matrix(graph, demand, after, settings=s, snapped_demand=snapped)
    for t in (None, ["station"], list(s.home_care_types)):
        c0, c1 = m0.is_covered(types=t), m1.is_covered(types=t)
        assert not (c0 & ~c1).any()
        assert (m1.nearest_seconds(types=t) <= m0.nearest_seconds(types=t)).all()
        assert (
            demand.points["elderly"].to_numpy()[c1].sum()
            >= demand.points["elderly"].to_numpy()[c0].sum()
        )


def test_compute_coverage_on_the_small_demo():
    from siting.io import load_inputs
    from siting.walking import walking_graph

    root = Path(__file__).parents[2] / "data" / "demo-small"
    inputs = load_inputs(load_scenario(root))
    result = compute_coverage(inputs, walking_graph(inputs))
    com = result.communities
    # every older person is in the demand, and the tables add up
    assert com["elderly"].sum() == pytest.approx(inputs.communities["pop_60p"].sum())
    assert result.streets["covered_elderly"].sum() == pytest.approx(com["covered_elderly"].sum())
    d = result.district.set_index(["scope", "facility_type"])
    assert d.loc[("district", "any"), "covered_elderly"] == pytest.approx(
        com["covered_elderly"].sum()
    )
    assert d.loc[("community", "any"), "covered_elderly"] + d.loc[
        ("village", "any"), "covered_elderly"
    ] == pytest.approx(d.loc[("district", "any"), "covered_elderly"])
    assert 0 < result.coverage_pct < 100
    assert len(result.indicators.items) == len(INDICATOR_KEYS)
