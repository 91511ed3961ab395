"""Tiled walking times equal untiled ones, entry for entry (random graphs, hills, a real district)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from isochrones import read_dem, snap_points, walking_arcs
from isochrones.od import od_times
from isochrones.tiles import max_speed_mps, od_times_tiled, plan_tiles, subgraph
from isochrones.walktime import WalkingModel
from tests.isochrones.helpers import ORIGIN, grid_network, make_network, networks, write_dem

OX, OY = ORIGIN
FLAT = WalkingModel(0.8, slope_function="flat")


def P(x: float, y: float) -> shapely.Point:
    return shapely.Point(OX + x, OY + y)


def assert_same(a, b) -> None:
    """Same CSR structure and values, bit for bit, and the same warnings."""
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(a.seconds, name), getattr(b.seconds, name))
    assert a.seconds.shape == b.seconds.shape
    assert list(a.problems) == list(b.problems)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    net=networks(),
    origins=st.lists(
        st.tuples(st.floats(-100, 1600), st.floats(-100, 1600)), min_size=1, max_size=6
    ),
    dests=st.lists(st.tuples(st.floats(-100, 1600), st.floats(-100, 1600)), min_size=1, max_size=6),
    limit=st.floats(0, 3000),
    tile_m=st.sampled_from([50.0, 300.0, 1000.0, 5000.0]),
)
def test_tiled_equals_untiled_on_random_graphs(net, origins, dests, limit, tile_m):
    graph = walking_arcs(net, FLAT)
    assume(graph.edge_has_arcs.any())
    so = snap_points(graph, [P(x, y) for x, y in origins], max_snap_m=400.0)
    sd = snap_points(graph, [P(x, y) for x, y in dests], max_snap_m=150.0)
    a = od_times(graph, so, sd, max_seconds=limit)
    b = od_times_tiled(graph, so, sd, max_seconds=limit, tile_m=tile_m)
    assert_same(a, b)


@pytest.fixture(scope="module")
def hilly(tmp_path_factory):
    """A 30 × 30 grid of 60 m blocks over a hill (Tobler: downhill faster than flat)."""
    folder = tmp_path_factory.mktemp("hill")
    nodes, edges = grid_network(30, 30, 60.0)
    net = make_network(nodes, edges)
    dem_path = folder / "dem.tif"
    write_dem(
        dem_path,
        lambda x, y: 300.0 + 120.0 * np.exp(-(((x - OX - 900) ** 2 + (y - OY - 900) ** 2) / 5e5)),
        bounds=(OX - 200, OY - 200, OX + 2000, OY + 2000),
        resolution=10.0,
    )
    graph = walking_arcs(net, WalkingModel(0.8), dem=read_dem(dem_path))
    rng = np.random.default_rng(7)
    homes = snap_points(graph, [P(*xy) for xy in rng.uniform(-30, 1770, (400, 2))])
    sites = snap_points(graph, [P(*xy) for xy in rng.uniform(0, 1740, (40, 2))], max_snap_m=40.0)
    return graph, homes, sites


def test_max_speed_bounds_every_arc_and_exceeds_flat_on_a_hill(hilly):
    graph, _, _ = hilly
    v = max_speed_mps(graph)
    length = shapely.length(graph.edge_geometry[graph.edge_row])
    assert (length / graph.seconds <= v + 1e-9).all()
    assert v > 0.8  # Tobler: the best downhill slope is faster than flat ground


@pytest.mark.parametrize("tile_m", [150.0, 400.0, 900.0])
def test_tiled_equals_untiled_on_a_hill_and_tiles_are_smaller(hilly, tile_m):
    graph, homes, sites = hilly
    a = od_times(graph, homes, sites, max_seconds=600.0)
    b = od_times_tiled(graph, homes, sites, max_seconds=600.0, tile_m=tile_m)
    assert a.n_pairs > 1000
    assert_same(a, b)
    tiles = list(plan_tiles(graph, homes, sites, max_seconds=600.0, tile_m=tile_m))
    assert sum(len(t.destination_index) for t in tiles) == len(sites)
    # 600 s at ≤ 1 m/s is a halo of ~ 900 m: small tiles hold part of the 1.8 km square only
    assert max(t.graph.n_nodes for t in tiles) < graph.n_nodes


def test_tiles_run_on_an_executor_with_the_same_result(hilly):
    graph, homes, sites = hilly
    a = od_times(graph, homes, sites, max_seconds=900.0)
    with ThreadPoolExecutor(2) as pool:
        b = od_times_tiled(graph, homes, sites, max_seconds=900.0, tile_m=300.0, executor=pool)
    assert_same(a, b)


def test_subgraph_keeps_times_of_the_induced_edges():
    nodes, edges = grid_network(4, 1, 100.0)  # 1 - 2 - 3 - 4
    graph = walking_arcs(make_network(nodes, edges), FLAT)
    sub, node_map, edge_map = subgraph(graph, np.array([1, 2]))  # positions of nodes 2 and 3
    assert sub.n_nodes == 2 and list(sub.node_ids) == [2, 3]
    assert (edge_map >= 0).sum() == 1  # only edge 2-3 has both ends kept
    assert sub.n_arcs == 2
    assert sub.matrix[0, 1] == pytest.approx(100.0 / 0.8)
    assert node_map[0] == -1 and node_map[3] == -1


def test_bad_tile_size_is_refused(hilly):
    graph, homes, sites = hilly
    with pytest.raises(ValueError, match="tile_m"):
        od_times_tiled(graph, homes, sites, max_seconds=60.0, tile_m=0.0)
