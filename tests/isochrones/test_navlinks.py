"""Navigation-style centrelines: no class column, direction codes, z-levels, exclusion by value.

Every layer is drawn by hand in grid metres (CGCS2000 GK 108°E, scale 1 on the meridian), so node
and edge counts and walking times (at 1 m/s on flat ground) are worked out on paper.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

from isochrones.errors import NetworkInputError
from isochrones.io import read_centrelines
from isochrones.network import StreetNetwork
from isochrones.walktime import WalkingModel, walking_arcs

GK108 = "EPSG:4545"
X0, Y0 = 500_000.0, 3_270_000.0
FLAT_1MPS = WalkingModel(walk_speed_mps=1.0, slope_function="flat")


def _line(*points: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in points])


def _write(tmp_path: Path, rows: list[dict], name: str = "links.gpkg") -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame(rows, crs=GK108).to_file(path)
    return path


def _node(net: StreetNetwork, x: float, y: float) -> list[int]:
    """Ids of the nodes at grid point (x, y) (two where levels keep them apart)."""
    at = (net.nodes["x"] - X0 - x).abs().lt(1e-6) & (net.nodes["y"] - Y0 - y).abs().lt(1e-6)
    return net.nodes.index[at].tolist()


def _seconds(net: StreetNetwork, a: tuple, b: tuple, **kwargs) -> float:
    graph = walking_arcs(net, FLAT_1MPS, **kwargs)
    (src,), (dst,) = _node(net, *a), _node(net, *b)
    pos = graph.node_positions([src, dst])
    return float(dijkstra(graph.matrix, indices=pos[0])[pos[1]])


# --------------------------------------------------------------------------- no class, direction

#: A navigation export: no class column, a DIRECTION column (0 both, 1 forward, -1 backward,
#: 禁行 closed). L0 (0,0)-(100,0) both; L1 (100,0)-(200,0) forward; L2 drawn (100,100)→(100,0)
#: but one way the other way (-1); L3 (200,0)-(300,0) closed.
LINKS = [
    {"LINK_ID": 10, "DIRECTION": "0", "geometry": _line((0, 0), (100, 0))},
    {"LINK_ID": 11, "DIRECTION": "1", "geometry": _line((100, 0), (200, 0))},
    {"LINK_ID": 12, "DIRECTION": "-1", "geometry": _line((100, 100), (100, 0))},
    {"LINK_ID": 13, "DIRECTION": "禁行", "geometry": _line((200, 0), (300, 0))},
]


def test_no_class_column_loads_with_default_class(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path, LINKS)
    with pytest.raises(NetworkInputError) as err:
        read_centrelines(path)
    assert "no road-class column found" in str(err.value)
    assert "default_class='residential'" in str(err.value)

    with caplog.at_level(logging.INFO, logger="isochrones.io"):
        net = read_centrelines(path, default_class="residential")
    # L3 closed: 4 nodes (0,0) (100,0) (200,0) (100,100), 3 edges of 100 m
    assert (net.n_nodes, net.n_edges) == (4, 3)
    assert net.edges["length_m"].tolist() == pytest.approx([100.0] * 3)
    assert set(net.edges["highway"]) == {"residential"}
    assert net.meta["columns"]["oneway"] == "DIRECTION"  # found by name
    assert net.meta["default_class_links"] == 4 and net.meta["closed_links"] == 1
    e = net.edges.set_index("way_id")  # GeoPackage fids 1..4
    assert e["oneway"].to_dict() == {1: False, 2: True, 3: True}
    # the backward link is stored in its legal direction, (100,0) → (100,100)
    assert e.loc[3, "geometry"].coords[0] == (X0 + 100, Y0 + 0)
    assert any("4 of 4 links" in m and "default_class 'residential'" in m for m in caplog.messages)


def test_default_class_fills_empty_classes_only(tmp_path: Path) -> None:
    rows = [dict(r, KIND=k) for r, k in zip(LINKS[:3], ["支路", None, "步道"], strict=True)]
    path = _write(tmp_path, rows)
    net = read_centrelines(path, columns={"highway": "KIND"}, default_class="service")
    assert net.edges.sort_values("way_id")["highway"].tolist() == ["residential", "service", "path"]
    assert net.meta["default_class_links"] == 1
    with pytest.raises(NetworkInputError, match="no road class in rows 2") as err:
        read_centrelines(path, columns={"highway": "KIND"})
    assert "default_class='residential'" in str(err.value)


def test_bad_default_class_and_unknown_direction_column(tmp_path: Path) -> None:
    path = _write(tmp_path, LINKS)
    with pytest.raises(NetworkInputError) as err:
        read_centrelines(path, default_class="街道", columns={"oneway": "ONEWAY"})
    by_column = {p.column: p for p in err.value.problems}
    assert "default_class '街道' is not a road class" in by_column["default_class"].message
    assert "column 'ONEWAY' (given for 'oneway') is not in the layer" in str(err.value)
    assert "available columns: LINK_ID, DIRECTION" in by_column["columns.oneway"].hint


def test_oneway_ignored_for_walking_unless_respected(tmp_path: Path) -> None:
    net = read_centrelines(_write(tmp_path, LINKS), default_class="residential")
    both = walking_arcs(net, FLAT_1MPS)
    assert both.n_arcs == 6  # 3 edges, both ways
    assert _seconds(net, (200, 0), (0, 0)) == pytest.approx(200.0)
    assert _seconds(net, (100, 100), (200, 0)) == pytest.approx(200.0)
    one = walking_arcs(net, FLAT_1MPS, respect_oneway=True)
    assert one.n_arcs == 4  # L0 both ways, L1 and L2 forward only
    assert _seconds(net, (200, 0), (0, 0), respect_oneway=True) == np.inf  # against L1
    assert _seconds(net, (0, 0), (100, 100), respect_oneway=True) == pytest.approx(200.0)
    assert _seconds(net, (100, 100), (0, 0), respect_oneway=True) == np.inf  # against L2


def test_provider_direction_codes(tmp_path: Path) -> None:
    """NavInfo-style codes 1 both, 2 forward, 3 backward, 4 closed, declared by the caller."""
    codes = ["1", "2", "3", "4"]
    rows = [dict(r, DIRECTION=c) for r, c in zip(LINKS, codes, strict=True)]
    path = _write(tmp_path, rows)
    navinfo = {"1": "both", "2": "forward", "3": "backward", "4": "closed"}
    net = read_centrelines(path, default_class="residential", oneway_values=navinfo)
    assert (net.n_nodes, net.n_edges, net.meta["closed_links"]) == (4, 3, 1)
    assert net.edges.set_index("way_id")["oneway"].to_dict() == {1: False, 2: True, 3: True}
    with pytest.raises(NetworkInputError, match="which is not a direction"):
        read_centrelines(path, default_class="residential", oneway_values={"4": "shut"})


# --------------------------------------------------------------------------- grade separation


def _flyover(z: bool = True) -> list[dict]:
    """Ground street A (0,0)-(200,0) crossed at (100,0) by a flyover B: ramp up (100,-100) to
    (100,-20) (z 0→1), deck (100,-20)-(100,20) (z 1), ramp down to (100,100) (z 1→0); ground
    streets C (100,100)-(0,100) and D (0,100)-(0,0) lead round; E (200,20)-(100,20) is a ground
    street ending under the deck's end. With ``z=False`` every z-level is 0 (one level)."""
    rows = [
        ("A", (0, 0), (200, 0), 0, 0),
        ("B_up", (100, -100), (100, -20), 0, 1),
        ("B_deck", (100, -20), (100, 20), 1, 1),
        ("B_down", (100, 20), (100, 100), 1, 0),
        ("C", (100, 100), (0, 100), 0, 0),
        ("D", (0, 100), (0, 0), 0, 0),
        ("E", (200, 20), (100, 20), 0, 0),
    ]
    return [
        {"NAME": n, "F_ZLEV": zf if z else 0, "T_ZLEV": zt if z else 0, "geometry": _line(a, b)}
        for n, a, b, zf, zt in rows
    ]


def test_overpass_at_another_z_level_makes_no_junction(tmp_path: Path) -> None:
    path = _write(tmp_path, _flyover())
    cols = {"z_from": "F_ZLEV", "z_to": "T_ZLEV"}
    net = read_centrelines(path, default_class="residential", columns=cols)
    # 9 nodes: the 8 grid points of the drawing, (100,20) twice (deck at z 1, E's end at z 0);
    # 7 edges: nothing is split, A is one 200 m edge
    assert (net.n_nodes, net.n_edges) == (9, 7)
    assert len(_node(net, 100, 20)) == 2 and _node(net, 100, 0) == []
    assert net.meta["crossings_split"] == 0
    # from the flyover's foot to A's east end: over the deck, round by C, D and all of A
    assert _seconds(net, (100, -100), (200, 0)) == pytest.approx(80 + 40 + 80 + 100 + 100 + 200)


def test_same_crossing_at_one_level_is_a_junction(tmp_path: Path) -> None:
    path = _write(tmp_path, _flyover(z=False))
    net = read_centrelines(path, default_class="residential")  # F_ZLEV/T_ZLEV found by name
    assert net.meta["columns"]["z_from"] == "F_ZLEV"
    # (100,0) becomes a node splitting A and the deck; E joins the deck's end: 9 nodes, 9 edges
    assert (net.n_nodes, net.n_edges) == (9, 9)
    assert len(_node(net, 100, 0)) == 1 and len(_node(net, 100, 20)) == 1
    assert _seconds(net, (100, -100), (200, 0)) == pytest.approx(80 + 20 + 100)
    # split_at_crossings off: A and the deck no longer meet, the rest is unchanged
    flat = read_centrelines(path, default_class="residential", split_at_crossings=False)
    assert (flat.n_nodes, flat.n_edges) == (8, 7)
    assert _seconds(flat, (100, -100), (200, 0)) == pytest.approx(80 + 40 + 80 + 100 + 100 + 200)


def test_bridge_column_joins_at_ends_only(tmp_path: Path) -> None:
    rows = [
        {k: v for k, v in r.items() if k not in ("F_ZLEV", "T_ZLEV")}
        | {"BRIDGE": int(r["NAME"] == "B_deck")}
        for r in _flyover()
    ]
    net = read_centrelines(
        _write(tmp_path, rows), default_class="residential", columns={"bridge": "BRIDGE"}
    )
    # no node at (100,0); E meets the deck's end (a per-link flag says nothing about the ends)
    assert (net.n_nodes, net.n_edges) == (8, 7)
    assert _seconds(net, (100, -100), (200, 0)) == pytest.approx(80 + 40 + 80 + 100 + 100 + 200)


# --------------------------------------------------------------------------- exclusion by value


def test_expressway_excluded_by_column_value(tmp_path: Path) -> None:
    rows = [
        {"KIND": "城市道路", "geometry": _line((0, 0), (200, 0))},
        {"KIND": "高速公路", "geometry": _line((100, -100), (100, 100))},
        {"KIND": "3", "geometry": _line((0, 50), (200, 50))},
    ]
    path = _write(tmp_path, rows)
    every = read_centrelines(path, default_class="residential")
    assert (every.n_nodes, every.n_edges) == (8, 7)  # the expressway crosses both streets
    net = read_centrelines(
        path, default_class="residential", exclude={"KIND": ["高速公路", "快速路"]}
    )
    assert (net.n_nodes, net.n_edges) == (4, 2)
    assert net.meta["excluded_by_value"] == {"KIND": 1}
    numeric = read_centrelines(path, default_class="residential", exclude={"KIND": [3]})
    # the TOML number 3 matches the text "3": the street at y=50 goes, A and the expressway cross
    assert (numeric.n_nodes, numeric.n_edges) == (5, 4)
    assert numeric.meta["excluded_by_value"] == {"KIND": 1}
    with pytest.raises(NetworkInputError) as err:
        read_centrelines(path, default_class="residential", exclude={"FUNCCLASS": ["1"]})
    assert err.value.problems[0].column == "exclude.FUNCCLASS"
    assert "exclude names column 'FUNCCLASS', which is not in the layer" in str(err.value)
    with pytest.raises(NetworkInputError, match=r"no walkable lines: .*excluded by KIND \(3\)"):
        read_centrelines(
            path, default_class="residential", exclude={"KIND": ["城市道路", "高速公路", 3]}
        )


def test_points_on_a_one_way_link_leave_and_arrive_its_way_only(tmp_path: Path) -> None:
    """A point 5 m north of L1's middle (150, 0): L1 runs one way (100,0) → (200,0)."""
    from isochrones.reach import reach
    from isochrones.snap import snap_points

    net = read_centrelines(_write(tmp_path, LINKS), default_class="residential")
    point = [Point(X0 + 150, Y0 + 5)]

    def reached(respect: bool, direction: str) -> dict[tuple, float]:
        graph = walking_arcs(net, FLAT_1MPS, respect_oneway=respect)
        table = reach(
            graph, snap_points(graph, point), max_seconds=1000.0, direction=direction
        ).to_frame(graph)
        xy = net.nodes.loc[table["node_id"], ["x", "y"]].to_numpy() - (X0, Y0)
        return {
            (round(x), round(y)): round(t, 6)
            for (x, y), t in zip(xy, table["seconds"], strict=True)
        }

    # 5 s of access, then 50 m either way along L1
    assert reached(False, "from_sources") == {
        (100, 0): 55,
        (200, 0): 55,
        (0, 0): 155,
        (100, 100): 155,
    }
    assert reached(True, "from_sources") == {(200, 0): 55}  # and (200,0) is a dead end (L3 closed)
    # to the point: from (100,0) along L1, from (0,0) by L0; not from (100,100) (L2 runs away)
    assert reached(True, "to_sources") == {(100, 0): 55, (0, 0): 155}
    graph = walking_arcs(net, FLAT_1MPS, respect_oneway=True)
    assert (graph.component == 0).all()  # one-way stretches are not islands


def test_od_times_on_one_way_links(tmp_path: Path) -> None:
    """p 5 m off L1's middle (one way east), q 5 m off L0's middle (two-way); same-edge pairs too."""
    from isochrones.od import od_times
    from isochrones.snap import snap_points

    net = read_centrelines(_write(tmp_path, LINKS), default_class="residential")
    pts = [Point(X0 + 150, Y0 + 5), Point(X0 + 50, Y0 + 5), Point(X0 + 180, Y0 - 5)]

    def table(respect: bool) -> np.ndarray:
        graph = walking_arcs(net, FLAT_1MPS, respect_oneway=respect)
        snapped = snap_points(graph, pts)
        od = od_times(graph, snapped, snapped, max_seconds=1000.0)
        return np.where(od.seconds.toarray() > 0, od.seconds.toarray(), np.nan).round(6)

    nan = np.nan
    # p→q 5+50+50+5, q→p the same, p→r 5+30+5 along L1, r→p 5+30+5, q→r 5+50+80+5; a point
    # to itself is its access leg out and back, 10
    both = np.array([[10, 110, 40], [110, 10, 140], [40, 140, 10]])
    np.testing.assert_array_equal(table(False), both)
    # one way: p and r leave L1 eastwards only, into the dead end at (200,0); r→p is backwards
    one = np.array([[10, nan, 40], [110, 10, 140], [nan, nan, 10]])
    np.testing.assert_array_equal(table(True), one)


def test_a_gcj02_navigation_layer_without_classes_lines_up_with_its_wgs84_original(tmp_path):
    """Issue 14: a navigation export in GCJ-02 lon/lat (file says EPSG:4326), no class column, a
    direction column, declared coords = "gcj02" and default_class, gives the network of the same
    links in WGS84: the same nodes and edges, every node within 1 mm."""
    from isochrones.coords import wgs84_to_gcj02

    # a T of three 100 m links in grid metres, then to WGS84 lon/lat, then shifted to GCJ-02
    grid = gpd.GeoDataFrame(
        {"DIRECTION": ["1", "2", "1"]},
        geometry=[_line((0, 0), (100, 0)), _line((100, 0), (200, 0)), _line((100, 0), (100, 100))],
        crs=GK108,
    )
    wgs = grid.to_crs("EPSG:4326")
    gcj = wgs.copy()
    gcj["geometry"] = [
        LineString(np.column_stack(wgs84_to_gcj02(*np.asarray(g.coords).T))) for g in wgs.geometry
    ]
    shift = Point(gcj.geometry.iloc[0].coords[0]).distance(Point(wgs.geometry.iloc[0].coords[0]))
    assert shift > 0.002  # the GCJ-02 offset is hundreds of metres here
    wgs.to_file(tmp_path / "wgs.gpkg")
    gcj.to_file(tmp_path / "gcj.gpkg")
    a = read_centrelines(tmp_path / "wgs.gpkg", crs=GK108, default_class="residential")
    b = read_centrelines(
        tmp_path / "gcj.gpkg", crs=GK108, default_class="residential", coords="gcj02"
    )
    assert (a.n_nodes, len(a.edges)) == (b.n_nodes, len(b.edges)) == (4, 3)
    assert b.meta["default_class_links"] == 3 and b.meta["vertices_converted"] == 6
    xy_a = np.sort(a.nodes[["x", "y"]].to_numpy(), axis=0)
    xy_b = np.sort(b.nodes[["x", "y"]].to_numpy(), axis=0)
    assert np.abs(xy_a - xy_b).max() < 1e-3
    # and they sit where the grid drew them: the ends and the T's junction at (100, 0)
    drawn = np.sort(grid.get_coordinates().drop_duplicates().to_numpy(), axis=0)
    assert np.abs(xy_b - drawn).max() < 1e-3
