"""Isochrone polygons: partial edges, nesting, rivers, groups, holes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isochrones.polygons import isochrone_polygons, merge_polygons
from isochrones.reach import reach
from isochrones.snap import snap_points
from isochrones.terrain import read_dem
from isochrones.walktime import WalkingModel, walking_arcs
from tests.isochrones.helpers import (
    ORIGIN,
    grid_network,
    make_network,
    networks,
    river_network,
    write_dem,
)

OX, OY = ORIGIN
FLAT = WalkingModel(0.8, slope_function="flat")


def at(x: float, y: float) -> shapely.Point:
    return shapely.Point(OX + x, OY + y)


def test_a_partial_edge_is_cut_at_the_distance_walked_in_the_remaining_time():
    net = make_network({1: (0, 0), 2: (480, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    table = reach(graph, [1], max_seconds=600)
    # 5 minutes at 0.8 m/s: 240 m along the 480 m edge; 1 m buffer.
    (poly,) = isochrone_polygons(graph, table, max_minutes=[5], buffer_m=1.0).geometry
    assert poly.contains(at(238.9, 0)) and poly.contains(at(0, 0))
    assert not poly.contains(at(241.1, 0))
    assert poly.area == pytest.approx(2 * 240 + math.pi, rel=0.01)


def test_an_edge_reached_from_both_ends_is_cut_on_both_sides():
    nodes = {1: (0, 0), 2: (480, 0), 3: (0, 100), 4: (480, 100)}
    # Sources at both ends of the bottom edge via a detour that makes them both reached at 0 s.
    net = make_network(nodes, [(1, 2), (1, 3), (2, 4)])
    graph = walking_arcs(net, FLAT)
    table = reach(graph, [1, 2], max_seconds=600)
    (poly,) = isochrone_polygons(graph, table, max_minutes=[3], buffer_m=1.0, groups=["x", "x"])[
        "geometry"
    ]
    # 3 min = 144 m from each end: the middle 192 m are not reached.
    assert poly.contains(at(143, 0)) and poly.contains(at(337, 0))
    assert not poly.contains(at(240, 0))


def test_slopes_cut_edges_by_time_not_by_distance(tmp_path):
    write_dem(
        tmp_path / "d.tif",
        lambda x, y: 100 + 0.08 * (x - OX),
        bounds=(OX - 500, OY - 500, OX + 1500, OY + 500),
        resolution=10,
    )
    net = make_network({1: (0, 0), 2: (600, 0)}, [(1, 2)])
    graph = walking_arcs(net, WalkingModel(0.8), dem=read_dem(tmp_path / "d.tif"))
    up_m = 300 * 0.8 * math.exp(-0.28)  # 181.4 m uphill in 5 min
    down_m = 300 * 0.8 * math.exp(0.07)  # 257.4 m downhill in 5 min
    for source, expected_x in ((1, up_m), (2, 600 - down_m)):
        table = reach(graph, [source], max_seconds=300)
        (poly,) = isochrone_polygons(graph, table, max_minutes=5, buffer_m=0.5).geometry
        xmin, _, xmax, _ = poly.bounds
        edge = xmax - 0.5 if source == 1 else xmin + 0.5
        assert edge - OX == pytest.approx(expected_x, abs=0.05)


def test_nothing_is_drawn_across_an_unbridged_river():
    net, _ = river_network(with_bridge=False)
    graph = walking_arcs(net, FLAT)
    table = reach(graph, [8], max_seconds=3600)
    polys = isochrone_polygons(graph, table, max_minutes=[5, 60])
    far_bank = shapely.box(OX + 650, OY - 100, OX + 1100, OY + 400)
    assert not polys.geometry.intersects(far_bank).any()
    bridged, right = river_network(with_bridge=True)
    graph = walking_arcs(bridged, FLAT)
    polys = isochrone_polygons(graph, reach(graph, [8], max_seconds=3600), max_minutes=[60])
    xy = np.array(list(right.values())) + np.array([OX, OY])
    assert shapely.contains_xy(polys.geometry.iloc[0], xy[:, 0], xy[:, 1]).all()


def test_unreachable_blocks_become_holes():
    nodes = {1: (0, 0), 2: (400, 0), 3: (400, 400), 4: (0, 400)}
    net = make_network(nodes, [(1, 2), (2, 3), (3, 4), (4, 1)])
    graph = walking_arcs(net, WalkingModel(1.0, "flat"))
    (poly,) = isochrone_polygons(graph, reach(graph, [1], max_seconds=900), max_minutes=15).geometry
    assert poly.geom_type == "Polygon" and len(poly.interiors) == 1
    assert not poly.contains(at(200, 200))


def test_point_sources_cover_their_own_edge_and_access_leg():
    net = make_network({1: (0, 0), 2: (1000, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    points = snap_points(graph, [at(500, 40)])
    table = reach(graph, points, max_seconds=120)
    (poly,) = isochrone_polygons(graph, table, max_minutes=2, buffer_m=1.0).geometry
    # 40 m access (50 s), then 70 s = 56 m along the street each way.
    assert poly.contains(at(500, 39)) and poly.contains(at(445, 0)) and poly.contains(at(555, 0))
    assert not poly.contains(at(442, 0)) and not poly.contains(at(558, 0))


def test_groups_merge_the_polygons_of_their_sources():
    nodes, edges = grid_network(8, 8, 100)
    graph = walking_arcs(make_network(nodes, edges), FLAT)
    table = reach(graph, [1, 28, 64], max_seconds=600)
    per_site = isochrone_polygons(graph, table, max_minutes=[5, 10])
    merged = isochrone_polygons(graph, table, max_minutes=[5, 10], groups=["a", "b", "a"])
    assert merged["group"].tolist() == ["a", "a", "b", "b"]
    for band in (5, 10):
        sites = per_site[per_site.max_minutes == band].geometry.to_numpy()
        expected = shapely.union_all(sites[[0, 2]])
        got = merged[(merged.group == "a") & (merged.max_minutes == band)].geometry.iloc[0]
        assert shapely.symmetric_difference(got, expected).area < 1e-3 * expected.area


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), data=st.data())
def test_merged_site_polygons_equal_the_groups_drawn_from_the_street_parts(net, data):
    # merge_polygons (the union of each group's per-site polygons) against isochrone_polygons
    # with groups (every street part of the group buffered and dissolved at once)
    graph = walking_arcs(net, FLAT)
    ids = net.nodes.index.tolist()
    sources = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=5))
    labels = data.draw(
        st.lists(st.sampled_from("abc"), min_size=len(sources), max_size=len(sources))
    )
    table = reach(graph, sources, max_seconds=600)
    per_site = isochrone_polygons(graph, table, max_minutes=[4, 10], buffer_m=5.0)
    drawn = isochrone_polygons(graph, table, max_minutes=[4, 10], buffer_m=5.0, groups=labels)
    merged = merge_polygons(per_site, labels)
    assert merged["group"].tolist() == drawn["group"].tolist()
    assert merged["max_minutes"].tolist() == drawn["max_minutes"].tolist()
    for got, want in zip(merged.geometry, drawn.geometry, strict=True):
        assert got.is_valid and got.geom_type in ("Polygon", "MultiPolygon")
        assert shapely.difference(want, got).area <= 1e-6
        assert shapely.difference(got, want).area <= 1e-6 * max(want.area, 1.0)


def test_merge_polygons_needs_one_label_per_source():
    nodes, edges = grid_network(3, 3, 100)
    graph = walking_arcs(make_network(nodes, edges), FLAT)
    per_site = isochrone_polygons(graph, reach(graph, [1, 5], max_seconds=300), max_minutes=[2, 5])
    with pytest.raises(ValueError, match="3 group labels for 4 polygons in 2 bands"):
        merge_polygons(per_site, ["a", "b", "a"])


def test_a_band_beyond_the_reach_limit_is_refused():
    net = make_network({1: (0, 0), 2: (480, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    with pytest.raises(ValueError, match="exceeds the reach table's limit"):
        isochrone_polygons(graph, reach(graph, [1], max_seconds=300), max_minutes=[5, 10])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), data=st.data(), direction=st.sampled_from(["from_sources", "to_sources"]))
def test_reached_nodes_lie_inside_and_bands_are_nested(net, data, direction):
    graph = walking_arcs(net, FLAT)
    ids = net.nodes.index.tolist()
    sources = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    bands = sorted(data.draw(st.lists(st.floats(0.5, 40), min_size=2, max_size=4)))
    table = reach(graph, sources, max_seconds=bands[-1] * 60, direction=direction)
    polys = isochrone_polygons(graph, table, max_minutes=bands, buffer_m=10.0)
    assert shapely.is_valid(polys.geometry.to_numpy()).all()
    frame = table.to_frame(graph)
    for sid in sources:
        rows = polys[polys.source_id == sid]
        geoms = rows.geometry.to_numpy()
        for smaller, larger in itertools.pairwise(geoms):
            # Nested up to the buffer's polygonal approximation (a centimetre is plenty).
            assert shapely.difference(smaller, larger.buffer(0.01)).area < 1e-6
        for band, geom in zip(rows.max_minutes, geoms, strict=True):
            reached = frame[(frame.source_id == sid) & (frame.seconds <= band * 60)]
            xy = graph.node_xy[graph.node_positions(reached.node_id.to_numpy())]
            assert shapely.contains_xy(geom.buffer(1e-6), xy[:, 0], xy[:, 1]).all()


def test_threads_give_the_same_polygons(monkeypatch):
    nodes, edges = grid_network(12, 12, 80)
    graph = walking_arcs(make_network(nodes, edges), FLAT)
    table = reach(graph, [1, 30, 77, 100, 144], max_seconds=900)
    monkeypatch.setenv("ISOCHRONES_THREADS", "1")
    serial = isochrone_polygons(graph, table, max_minutes=[5, 10, 15])
    monkeypatch.setenv("ISOCHRONES_THREADS", "3")
    threaded = isochrone_polygons(graph, table, max_minutes=[5, 10, 15])
    assert serial.drop(columns="geometry").equals(threaded.drop(columns="geometry"))
    assert shapely.equals_exact(serial.geometry.values, threaded.geometry.values, 0).all()
    monkeypatch.setenv("ISOCHRONES_THREADS", "two")
    with pytest.raises(ValueError, match="ISOCHRONES_THREADS must be a whole number"):
        isochrone_polygons(graph, table, max_minutes=[5])
