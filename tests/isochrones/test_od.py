"""Point-to-point walking times, checked by hand and against networkx Dijkstra on a graph with the
points inserted as virtual nodes by hand (an independent oracle)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from isochrones.od import od_times
from isochrones.snap import snap_points
from isochrones.walktime import STEP_DOWN_S, STEP_UP_S, TREAD_M, WalkingModel, walking_arcs
from tests.isochrones.helpers import ORIGIN, make_network, networks

OX, OY = ORIGIN
SPEED = 0.8
FLAT = WalkingModel(SPEED, slope_function="flat")


def P(x: float, y: float) -> shapely.Point:
    return shapely.Point(OX + x, OY + y)


def edge_times(e) -> tuple[float, float] | None:
    """(u→v, v→u) seconds of one edge by the documented rules (flat model), None if not walkable."""
    if e.u == e.v or e.highway in ("motorway", "trunk"):
        return None
    length = e.length_m
    if e.highway == "steps":
        count = int(e.step_count) if e.step_count in ("12", "80") else length / TREAD_M
        rest = max(length - count * TREAD_M, 0.0) / SPEED
        up, down = count * STEP_UP_S + rest, count * STEP_DOWN_S + rest
        return {"up": (up, down), "down": (down, up)}.get(e.incline, (up, up))
    return length / SPEED, length / SPEED


def oracle_times(net, origins, destinations) -> dict[tuple[int, int], float]:
    """All origin → destination times: each point's edge is split at the points by hand."""
    g = nx.DiGraph()

    def add(a, b, t):
        if not g.has_edge(a, b) or g[a][b]["weight"] > t:
            g.add_edge(a, b, weight=t)

    lines = {}
    for row, e in enumerate(net.edges.itertuples()):
        times = edge_times(e)
        if times is not None:
            lines[row] = (e, times)
    # nearest walkable edge (first in row order among ties, like STRtree's choice is not
    # guaranteed: the test draws points off ties with probability 1)
    stops: dict[int, list[tuple[float, object]]] = {}
    for kind, pts in (("o", origins), ("d", destinations)):
        for i, p in enumerate(pts):
            dist = {r: net.edges.geometry.iloc[r].distance(p) for r in lines}
            row = min(dist, key=dist.get)
            line = net.edges.geometry.iloc[row]
            f = line.project(p) / line.length
            stops.setdefault(row, []).append((f, (kind, i)))
            if kind == "o":
                add((kind, i), ("p", kind, i), dist[row] / SPEED)
            else:
                add(("p", kind, i), (kind, i), dist[row] / SPEED)
    for row, (e, (t_uv, t_vu)) in lines.items():
        chain = [(0.0, e.u), *sorted((f, ("p", *key)) for f, key in stops.get(row, [])), (1.0, e.v)]
        for (fa, a), (fb, b) in itertools.pairwise(chain):
            add(a, b, (fb - fa) * t_uv)
            add(b, a, (fb - fa) * t_vu)
    out = {}
    for i in range(len(origins)):
        dist = nx.single_source_dijkstra_path_length(g, ("o", i), weight="weight")
        for j in range(len(destinations)):
            if ("d", j) in dist:
                out[i, j] = dist["d", j]
    return out


def as_dict(od) -> dict[tuple[int, int], float]:
    m = od.seconds
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return {(int(i), int(j)): float(t) for i, j, t in zip(rows, m.indices, m.data, strict=True)}


def test_hand_checked_times_on_a_street_with_a_side_street():
    # A straight 400 m street 1-2 with a 300 m side street 2-3 going north.
    net = make_network({1: (0, 0), 2: (400, 0), 3: (400, 300)}, [(1, 2), (2, 3)])
    graph = walking_arcs(net, FLAT)
    homes = snap_points(graph, [P(100, 10), P(300, -20), P(410, 200)], point_ids=["a", "b", "c"])
    sites = snap_points(graph, [P(200, 5), P(390, 250)], point_ids=["S", "T"])
    od = od_times(graph, homes, sites, max_seconds=3600)
    t = as_dict(od)
    # a → S: same edge, 10 m + 100 m + 5 m at 0.8 m/s
    assert t[0, 0] == pytest.approx(115 / SPEED)
    # b → S: same edge, walking back towards u: 20 + 100 + 5
    assert t[1, 0] == pytest.approx(125 / SPEED)
    # a → T: 10 + 300 to node 2 + 250 up the side street + 10
    assert t[0, 1] == pytest.approx(570 / SPEED)
    # c → S: 10 + 200 down to node 2 + 200 back along the street + 5
    assert t[2, 0] == pytest.approx(415 / SPEED)
    # c → T: same side street: 10 + 50 + 10
    assert t[2, 1] == pytest.approx(70 / SPEED)
    assert od.n_pairs == 6
    frame = od.to_frame()
    assert set(frame.origin_id) == {"a", "b", "c"} and set(frame.destination_id) == {"S", "T"}


def test_the_limit_drops_pairs_and_keeps_exact_zeros():
    net = make_network({1: (0, 0), 2: (400, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    homes = snap_points(graph, [P(100, 0), P(350, 0)])
    sites = snap_points(graph, [P(100, 0)])
    od = od_times(graph, homes, sites, max_seconds=100 / SPEED)
    # home 0 is the site: a stored zero; home 1 is 250 m away, beyond 125 m
    assert od.seconds.indptr.tolist() == [0, 1, 1]
    assert od.seconds.data.tolist() == [0.0]
    od_all = od_times(graph, homes, sites, max_seconds=250 / SPEED)
    assert as_dict(od_all)[1, 0] == pytest.approx(250 / SPEED)


def test_uphill_and_downhill_differ_on_stairs():
    # 30 m of stairs tagged up from 1 to 2 with 100 steps (no landings: 100 × 0.30 m = 30 m)
    net = make_network(
        {1: (0, 0), 2: (30, 0)},
        [(1, 2, {"highway": "steps", "step_count": "100", "incline": "up"})],
    )
    graph = walking_arcs(net, FLAT)
    low = snap_points(graph, [P(0, 0)])
    high = snap_points(graph, [P(30, 0)])
    up = as_dict(od_times(graph, low, high, max_seconds=1e4))[0, 0]
    down = as_dict(od_times(graph, high, low, max_seconds=1e4))[0, 0]
    assert up == pytest.approx(100 * STEP_UP_S)
    assert down == pytest.approx(100 * STEP_DOWN_S)


def test_unattached_points_give_empty_rows_and_columns_with_warnings():
    net = make_network({1: (0, 0), 2: (400, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    homes = snap_points(graph, [P(100, 0), P(100, 5000)], point_ids=["near", "far"])
    sites = snap_points(graph, [P(300, 0), P(-3000, 0)], point_ids=["S", "X"])
    od = od_times(graph, homes, sites, max_seconds=3600)
    assert as_dict(od) == {(0, 0): pytest.approx(200 / SPEED)}
    rows = {p.row for p in od.problems}
    assert {"far", "X"} <= rows


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    net=networks(),
    origins=st.lists(
        st.tuples(st.floats(-100, 1600), st.floats(-100, 1600)), min_size=1, max_size=4
    ),
    dests=st.lists(st.tuples(st.floats(-100, 1600), st.floats(-100, 1600)), min_size=1, max_size=4),
    limit=st.floats(0, 4000),
    data=st.data(),
)
def test_od_times_equal_networkx_dijkstra_with_virtual_nodes(net, origins, dests, limit, data):
    graph = walking_arcs(net, FLAT)
    assume(graph.edge_has_arcs.any())
    o_pts = [P(x, y) for x, y in origins]
    d_pts = [P(x, y) for x, y in dests]
    # sometimes put a destination on the very edge position of an origin (same point)
    if data.draw(st.booleans()):
        d_pts.append(o_pts[0])
    walkable = net.edges.geometry[graph.edge_has_arcs]
    for p in o_pts + d_pts:  # avoid ties between two nearest edges (the oracle picks one)
        dist = np.sort(shapely.distance(walkable.to_numpy(), p))
        assume(len(dist) == 1 or dist[1] - dist[0] > 1e-6)
    so = snap_points(graph, o_pts, max_snap_m=1e6)
    sd = snap_points(graph, d_pts, max_snap_m=1e6)
    od = od_times(graph, so, sd, max_seconds=limit)
    found = as_dict(od)
    expected = oracle_times(net, o_pts, d_pts)
    for key, t in found.items():
        assert t <= limit
        assert t == pytest.approx(expected[key], rel=1e-9, abs=1e-6)
    for key, t in expected.items():
        if t <= limit - 1e-6:
            assert key in found
