"""Snapping off-network points to the nearest point of the nearest walkable edge."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from isochrones.snap import snap_points
from isochrones.walktime import WalkingModel, walking_arcs
from tests.isochrones.helpers import CRS, ORIGIN, make_network

OX, OY = ORIGIN
FLAT = WalkingModel(0.8, slope_function="flat")


def pts(*xy):
    return gpd.GeoSeries(shapely.points(np.array(xy, dtype=float) + np.array([OX, OY])), crs=CRS)


@pytest.fixture
def graph():
    # A 100 m edge, a long 1 km block edge, and a motorway nobody may walk on.
    nodes = {1: (0, 0), 2: (100, 0), 3: (1100, 0), 4: (0, 50), 5: (100, 50)}
    edges = [(1, 2), (2, 3), (4, 5, {"highway": "motorway"})]
    return walking_arcs(make_network(nodes, edges), FLAT)


def test_point_10_m_off_the_middle_of_a_100_m_edge(graph):
    snapped = snap_points(graph, pts((50, -10)))
    assert snapped.edge_row.tolist() == [0]
    assert snapped.fraction[0] == pytest.approx(0.5)
    assert snapped.access_m[0] == pytest.approx(10.0)
    assert snapped.access_s[0] == pytest.approx(10.0 / 0.8)
    assert snapped.snapped[0].equals_exact(shapely.Point(OX + 50, OY), 1e-9)
    assert snapped.problems == ()


def test_points_snap_to_the_street_not_to_the_nearest_node(graph):
    snapped = snap_points(graph, pts((600, 20)))
    assert snapped.edge_row.tolist() == [1]
    assert snapped.fraction[0] == pytest.approx(0.5)
    assert snapped.access_m[0] == pytest.approx(20.0)  # the nearest node is 500 m away


def test_excluded_edges_are_not_snapping_targets(graph):
    snapped = snap_points(graph, pts((50, 45)))  # 5 m from the motorway, 45 m from edge 0
    assert snapped.edge_row.tolist() == [0]
    assert snapped.access_m[0] == pytest.approx(45.0)


def test_points_beyond_max_snap_m_are_reported_not_attached(graph):
    snapped = snap_points(
        graph, pts((50, -10), (50, -400)), max_snap_m=300, point_ids=["home-a", "far-home"]
    )
    assert snapped.is_snapped.tolist() == [True, False]
    assert snapped.edge_row[1] == -1 and np.isnan(snapped.fraction[1])
    assert np.isnan(snapped.access_s[1])
    (problem,) = snapped.problems
    assert problem.row == "far-home" and problem.severity == "warning"
    assert "400 m" in problem.message and "max_snap_m=300" in problem.message


def test_points_in_another_crs_are_reprojected_and_ids_come_from_the_index(graph):
    series = pts((50, -10), (600, 20))
    series.index = [7, 9]
    snapped = snap_points(graph, series.to_crs("EPSG:4326"))
    assert snapped.point_ids.tolist() == [7, 9]
    assert snapped.edge_row.tolist() == [0, 1]
    np.testing.assert_allclose(snapped.access_m, [10, 20], atol=1e-3)


def test_footprints_stand_for_a_point_on_their_surface_and_missing_geometries_are_reported(graph):
    square = shapely.box(OX + 40, OY - 30, OX + 60, OY - 10)
    snapped = snap_points(graph, np.array([square, None], dtype=object))
    assert snapped.edge_row.tolist() == [0, -1]
    assert snapped.access_m[0] == pytest.approx(20.0)
    (problem,) = snapped.problems
    assert problem.row == "1" and "no geometry" in problem.message
