"""Builders of small synthetic street networks and DEMs for the isochrones tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from hypothesis import strategies as st

from isochrones.network import EDGE_COLUMNS, StreetNetwork

#: CGCS2000 3-degree Gauss-Krüger zone 105°E (Chongqing): the metric CRS of the test networks.
CRS = pyproj.CRS.from_epsg(4544)
#: A point in central Chongqing in that CRS (easting, northing), so lon/lat transforms are real.
ORIGIN = (548_000.0, 3_270_000.0)


def make_network(
    nodes: Mapping[int, tuple[float, float]],
    edges: Iterable[tuple[int, int] | tuple[int, int, Mapping[str, object]]],
    *,
    crs: pyproj.CRS = CRS,
    origin: tuple[float, float] = ORIGIN,
    default_highway: str = "residential",
) -> StreetNetwork:
    """A StreetNetwork from node coordinates (metres relative to ``origin``) and edges.

    Each edge is ``(u, v)`` or ``(u, v, tags)``; ``tags`` may hold any edge column and a
    ``"coords"`` list of intermediate vertices (relative metres) for a bent geometry. Tags that
    are not edge columns (e.g. ``reversed``) become extra columns.
    """
    ox, oy = origin
    node_ids = np.array(sorted(nodes), dtype=np.int64)
    xy = np.array([nodes[i] for i in node_ids], dtype=float).reshape(-1, 2) + np.array([ox, oy])
    node_gdf = gpd.GeoDataFrame(
        {"x": xy[:, 0], "y": xy[:, 1]},
        geometry=shapely.points(xy),
        index=pd.Index(node_ids, name="node_id"),
        crs=crs,
    )
    records = []
    geoms = []
    for way_id, edge in enumerate(edges, start=1000):
        u, v = edge[0], edge[1]
        tags = dict(edge[2]) if len(edge) > 2 else {}
        inner = [(x + ox, y + oy) for x, y in tags.pop("coords", [])]
        start = (nodes[u][0] + ox, nodes[u][1] + oy)
        end = (nodes[v][0] + ox, nodes[v][1] + oy)
        line = shapely.LineString([start, *inner, end])
        record = dict.fromkeys(EDGE_COLUMNS)
        record.update(
            u=int(u),
            v=int(v),
            length_m=float(line.length),
            highway=default_highway,
            oneway=False,
            way_id=way_id,
        )
        record.update(tags)
        records.append(record)
        geoms.append(line)
    extra = sorted({k for r in records for k in r} - set(EDGE_COLUMNS))
    edge_gdf = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=[*EDGE_COLUMNS, *extra]),
        geometry=geoms,
        crs=crs,
    )
    return StreetNetwork(nodes=node_gdf, edges=edge_gdf, crs=crs, source="synthetic")


def grid_network(
    nx_: int,
    ny: int,
    spacing_m: float,
    *,
    x0: float = 0.0,
    y0: float = 0.0,
    first_id: int = 1,
) -> tuple[dict[int, tuple[float, float]], list[tuple[int, int]]]:
    """Nodes and edges of an ``nx_`` × ``ny`` grid (ids row-major from ``first_id``)."""
    nodes = {}
    edges = []
    for j in range(ny):
        for i in range(nx_):
            nid = first_id + j * nx_ + i
            nodes[nid] = (x0 + i * spacing_m, y0 + j * spacing_m)
            if i > 0:
                edges.append((nid - 1, nid))
            if j > 0:
                edges.append((nid - nx_, nid))
    return nodes, edges


def write_dem(
    path,
    elevation: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    bounds: tuple[float, float, float, float],
    resolution: float,
    crs: pyproj.CRS | str = CRS,
    dtype: str = "float32",
    nodata: float | None = None,
    nodata_mask: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> None:
    """Write a GeoTIFF whose pixel centres hold ``elevation(x, y)`` (x, y in ``crs``)."""
    import rasterio
    from affine import Affine

    xmin, ymin, xmax, ymax = bounds
    cols = round((xmax - xmin) / resolution)
    rows = round((ymax - ymin) / resolution)
    transform = Affine(resolution, 0.0, xmin, 0.0, -resolution, ymax)
    xc = xmin + (np.arange(cols) + 0.5) * resolution
    yc = ymax - (np.arange(rows) + 0.5) * resolution
    xx, yy = np.meshgrid(xc, yc)
    z = np.asarray(elevation(xx, yy), dtype=float)
    if nodata_mask is not None:
        z = np.where(nodata_mask(xx, yy), nodata, z)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype=dtype,
        crs=pyproj.CRS.from_user_input(crs).to_wkt(),
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(z.astype(dtype), 1)


HIGHWAYS = ["residential", "footway", "steps", "motorway", "trunk"]


@st.composite
def networks(draw):
    """Random small street networks: random positions, edges, road types and stair tags."""
    n = draw(st.integers(2, 12))
    xy = draw(
        st.lists(
            st.tuples(st.integers(0, 1500), st.integers(0, 1500)),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    nodes = {i + 1: (float(x), float(y)) for i, (x, y) in enumerate(xy)}
    pairs = draw(st.lists(st.tuples(st.integers(1, n), st.integers(1, n)), min_size=1, max_size=30))
    edges = []
    for u, v in pairs:
        highway = draw(st.sampled_from(HIGHWAYS))
        tags = {"highway": highway}
        if highway == "steps":
            tags["step_count"] = draw(st.sampled_from([None, "12", "80", "many"]))
            tags["incline"] = draw(st.sampled_from([None, "up", "down"]))
        edges.append((u, v, tags))
    return make_network(nodes, edges)


def river_network(with_bridge: bool):
    """Two 4 x 4 grids (100 m) on both banks of a 400 m wide river; one bridge at y = 100."""
    left_nodes, left_edges = grid_network(4, 4, 100, first_id=1)
    right_nodes, right_edges = grid_network(4, 4, 100, x0=700, first_id=101)
    nodes = {**left_nodes, **right_nodes}
    edges = left_edges + right_edges
    if with_bridge:
        edges.append((8, 105, {"bridge": "yes", "highway": "secondary"}))  # (300,100)-(700,100)
    return make_network(nodes, edges), right_nodes
