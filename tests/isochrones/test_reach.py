"""Bounded many-source reach, checked against networkx Dijkstra as an independent oracle."""

from __future__ import annotations

import math
import sys

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from isochrones.reach import reach
from isochrones.snap import snap_points
from isochrones.terrain import read_dem
from isochrones.walktime import (
    STEP_DOWN_S,
    STEP_UP_S,
    TREAD_M,
    WalkingModel,
    walking_arcs,
)
from tests.isochrones.helpers import (
    ORIGIN,
    grid_network,
    make_network,
    networks,
    river_network,
    write_dem,
)

OX, OY = ORIGIN
SPEED = 0.8
FLAT = WalkingModel(SPEED, slope_function="flat")


def oracle_graph(net) -> nx.DiGraph:
    """Directed walking graph built from the StreetNetwork alone, by the documented rules."""
    g = nx.DiGraph()
    g.add_nodes_from(net.nodes.index)
    for e in net.edges.itertuples():
        if e.u == e.v or e.highway in ("motorway", "trunk"):
            continue
        length = e.length_m
        if e.highway == "steps":
            count = int(e.step_count) if e.step_count in ("12", "80") else length / TREAD_M
            rest = max(length - count * TREAD_M, 0.0) / SPEED
            up, down = count * STEP_UP_S + rest, count * STEP_DOWN_S + rest
            t_uv, t_vu = {"up": (up, down), "down": (down, up)}.get(e.incline, (up, up))
        else:
            t_uv = t_vu = length / SPEED
        for a, b, t in ((e.u, e.v, t_uv), (e.v, e.u, t_vu)):
            if not g.has_edge(a, b) or g[a][b]["weight"] > t:
                g.add_edge(a, b, weight=t)
    return g


def arcs_graph(graph) -> nx.DiGraph:
    """networkx graph built from the engine's own arc arrays (min over parallel arcs)."""
    g = nx.DiGraph()
    g.add_nodes_from(graph.node_ids)
    for t, h, s in zip(graph.tail, graph.head, graph.seconds, strict=True):
        a, b = graph.node_ids[t], graph.node_ids[h]
        if not g.has_edge(a, b) or g[a][b]["weight"] > s:
            g.add_edge(a, b, weight=s)
    return g


def assert_same_reach(found: dict, expected_all: dict, limit: float) -> None:
    """Same times; nodes within 1e-6 s of the limit may fall either way (float sums)."""
    for node, t in found.items():
        assert t <= limit
        assert t == pytest.approx(expected_all[node], rel=1e-9, abs=1e-9)
    for node, t in expected_all.items():
        if t <= limit - 1e-6:
            assert node in found


def engine_times(table, graph) -> dict:
    frame = table.to_frame(graph)
    return {
        sid: dict(zip(grp.node_id, grp.seconds, strict=True))
        for sid, grp in frame.groupby("source_id")
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    net=networks(),
    data=st.data(),
    limit=st.floats(0, 3000),
    direction=st.sampled_from(["from_sources", "to_sources"]),
    block_mb=st.sampled_from([1e-9, 256.0]),
)
def test_reach_equals_networkx_dijkstra(net, data, limit, direction, block_mb):
    graph = walking_arcs(net, FLAT)
    ids = net.nodes.index.tolist()
    sources = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4))
    table = reach(graph, sources, max_seconds=limit, direction=direction, max_block_mb=block_mb)
    found = engine_times(table, graph)
    for oracle in (oracle_graph(net), arcs_graph(graph)):
        if direction == "to_sources":
            oracle = oracle.reverse()
        for s in set(sources):
            expected = nx.single_source_dijkstra_path_length(oracle, s, weight="weight")
            assert_same_reach(found.get(s, {}), expected, limit)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    net=networks(),
    px=st.floats(-200, 1700),
    py=st.floats(-200, 1700),
    limit=st.floats(0, 3000),
    direction=st.sampled_from(["from_sources", "to_sources"]),
)
def test_reach_from_an_off_network_point_equals_networkx_with_a_virtual_node(
    net, px, py, limit, direction
):
    graph = walking_arcs(net, FLAT)
    assume(graph.edge_has_arcs.any())
    point = shapely.Point(OX + px, OY + py)
    snapped = snap_points(graph, [point], max_snap_m=1e6)
    (row,) = snapped.edge_row
    # Independent check of the snap: no walkable edge is closer.
    lines = graph.edge_geometry[graph.edge_has_arcs]
    assert snapped.access_m[0] == pytest.approx(shapely.distance(lines, point).min(), abs=1e-6)
    table = reach(graph, snapped, max_seconds=limit, direction=direction)

    line = graph.edge_geometry[row]
    e = net.edges.iloc[row]
    f = line.project(point) / line.length
    access_s = point.distance(line) / SPEED
    g = oracle_graph(net)
    w_uv, w_vu = g[e.u][e.v]["weight"], g[e.v][e.u]["weight"]
    is_fastest = (
        net.edges.loc[(net.edges.u == e.u) & (net.edges.v == e.v)].shape[0] == 1
        and net.edges.loc[(net.edges.u == e.v) & (net.edges.v == e.u)].shape[0] == 0
    )
    assume(is_fastest)  # the oracle's edge weights are then exactly this edge's times
    if direction == "from_sources":
        g.add_edge("p", e.u, weight=access_s + f * w_vu)  # p → u along v→u
        g.add_edge("p", e.v, weight=access_s + (1 - f) * w_uv)
        expected = nx.single_source_dijkstra_path_length(g, "p", weight="weight")
    else:
        g.add_edge(e.u, "p", weight=access_s + f * w_uv)  # u → p along u→v
        g.add_edge(e.v, "p", weight=access_s + (1 - f) * w_vu)
        expected = nx.single_source_dijkstra_path_length(g.reverse(), "p", weight="weight")
    expected.pop("p")
    assert_same_reach(engine_times(table, graph).get(0, {}), expected, limit)


def test_limit_is_inclusive_and_sources_reach_themselves_at_zero():
    net = make_network({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [(1, 2), (2, 3)])
    graph = walking_arcs(net, FLAT)
    table = reach(graph, [1], max_seconds=125.0)
    assert table.to_frame(graph).to_dict("list") == {
        "source_id": [1, 1],
        "node_id": [1, 2],
        "seconds": [0.0, 125.0],
    }
    matrix = table.to_csr()
    assert matrix.shape == (1, 3) and matrix.nnz == 2


def test_to_sources_is_the_walk_towards_the_source_uphill_or_downhill(tmp_path):
    write_dem(
        tmp_path / "d.tif",
        lambda x, y: 100 + 0.08 * (x - OX),
        bounds=(OX - 500, OY - 500, OX + 1500, OY + 500),
        resolution=10,
    )
    net = make_network({1: (0, 0), 2: (300, 0), 3: (600, 0)}, [(1, 2), (2, 3)])
    graph = walking_arcs(net, WalkingModel(0.8), dem=read_dem(tmp_path / "d.tif"))
    up = 300 / (0.8 * math.exp(-0.28))
    down = 300 / (0.8 * math.exp(0.07))
    # The facility is at the top (node 3): walking to it from node 1 climbs 2 edges.
    to_top = engine_times(reach(graph, [3], max_seconds=3600, direction="to_sources"), graph)
    from_top = engine_times(reach(graph, [3], max_seconds=3600), graph)
    assert to_top[3][1] == pytest.approx(2 * up, rel=1e-6)
    assert from_top[3][1] == pytest.approx(2 * down, rel=1e-6)


@pytest.mark.parametrize("with_bridge", [True, False])
def test_far_bank_is_reached_only_through_the_bridge(with_bridge):
    net, right = river_network(with_bridge)
    graph = walking_arcs(net, FLAT)
    times = engine_times(reach(graph, [1], max_seconds=7200), graph)[1]
    if not with_bridge:
        assert not set(times) & set(right)
        assert graph.summary()["components"] == 2
        return
    # Every far-bank node: to the bridge's west end, across 400 m, then the grid distance.
    t_bridge = times[8] + 400 / SPEED
    for nid, (x, y) in right.items():
        assert times[nid] == pytest.approx(t_bridge + (abs(x - 700) + abs(y - 100)) / SPEED)


def test_sources_on_islands_are_reported():
    net, _ = river_network(with_bridge=False)
    graph = walking_arcs(net, FLAT)
    assert graph.summary()["share_outside_largest_component"] == pytest.approx(0.5)
    table = reach(graph, [1, 101], max_seconds=60)
    (problem,) = table.problems
    assert problem.row == "101" and "island of 16 nodes" in problem.message


def test_small_memory_bound_gives_the_same_table_in_many_batches():
    nodes, edges = grid_network(12, 12, 80)
    graph = walking_arcs(make_network(nodes, edges), FLAT)
    sources = np.arange(1, 145, 7)
    a = reach(graph, sources, max_seconds=600)
    b = reach(graph, sources, max_seconds=600, max_block_mb=144 * 8 * 3 / 2**20)  # 3 per batch
    np.testing.assert_array_equal(a.source, b.source)
    np.testing.assert_array_equal(a.node, b.node)
    np.testing.assert_array_equal(a.seconds, b.seconds)


def test_unknown_source_nodes_and_bad_limits_are_errors():
    net = make_network({1: (0, 0), 2: (100, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    with pytest.raises(ValueError, match="not in the walking graph"):
        reach(graph, [1, 99], max_seconds=60)
    with pytest.raises(ValueError, match="max_seconds"):
        reach(graph, [1], max_seconds=-1)


@pytest.mark.parametrize("direction", ["from_sources", "to_sources"])
@pytest.mark.parametrize("snapped", [False, True])
def test_local_searches_equal_the_whole_graph_bit_for_bit(
    tmp_path, monkeypatch, direction, snapped
):
    reach_module = sys.modules["isochrones.reach"]  # the package's `reach` is the function

    write_dem(  # a hill: downhill walks are faster than flat ones (the halo's v_max)
        tmp_path / "hill.tif",
        lambda x, y: 200 + 60 * np.exp(-(((x - OX - 1000) ** 2 + (y - OY - 1000) ** 2) / 4e5)),
        bounds=(OX - 200, OY - 200, OX + 2200, OY + 2200),
        resolution=20,
    )
    nodes, edges = grid_network(41, 41, 50)
    graph = walking_arcs(
        make_network(nodes, edges), WalkingModel(0.8), dem=read_dem(tmp_path / "hill.tif")
    )
    rng = np.random.default_rng(3)
    if snapped:
        xy = rng.uniform(0, 2000, size=(60, 2))
        sources = snap_points(graph, [shapely.Point(OX + x, OY + y) for x, y in xy], max_snap_m=100)
    else:
        sources = rng.choice(np.array(sorted(nodes)), size=60, replace=False)
    used = []
    real = reach_module._local_groups
    monkeypatch.setattr(reach_module, "_local_groups", lambda *a: used.append(real(*a)) or used[-1])
    monkeypatch.setattr(reach_module, "LOCAL_MIN_NODES", 0)
    monkeypatch.setattr(reach_module, "_EXTRACT_VS_SCAN", 0)  # local even where slower
    local = reach(graph, sources, max_seconds=240, direction=direction)
    assert used and used[0] is not None and len(used[0]) > 4  # several groups, not the graph
    assert max(len(nodes) for _, nodes in used[0]) < graph.n_nodes / 3
    monkeypatch.setattr(reach_module, "LOCAL_MIN_NODES", 10**9)
    whole = reach(graph, sources, max_seconds=240, direction=direction)
    assert len(local.source) == len(whole.source) > 1000
    for a, b in (
        (local.source, whole.source),
        (local.node, whole.node),
        (local.seconds, whole.seconds),
    ):
        assert np.array_equal(a, b)
