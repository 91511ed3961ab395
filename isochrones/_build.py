"""Array-level construction of a street network from polylines (private to :mod:`isochrones.io`).

Both loaders reduce their input to the same shape: *parts* (polylines) given as flat, part-sorted
vertex arrays, each vertex with a node key (or ``-1``) and a flag telling whether it is a junction.
:func:`split_parts` cuts the parts into edges at their junction vertices with numpy only (no
per-edge Python loop), :func:`drop_zero_length` removes degenerate edges, and
:func:`assemble_network` builds the node and edge GeoDataFrames of the
:class:`~isochrones.network.StreetNetwork` contract.

:func:`node_lines` is the geometric half of the centreline loader: it snaps digitising gaps and
splits lines at junctions and crossings with shapely 2 (STRtree, vectorised predicates) and
returns the vertex arrays for :func:`split_parts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from isochrones.network import EDGE_COLUMNS

__all__ = [
    "EdgeArrays",
    "NodedLines",
    "assemble_network",
    "drop_zero_length",
    "node_lines",
    "split_parts",
]

_TYPED_COLUMNS = frozenset({"u", "v", "length_m", "oneway", "way_id"})

#: Node points closer than this (metres) are one node in centreline layers (floating-point noise).
NODE_MERGE_M = 1e-3


@dataclass(frozen=True)
class EdgeArrays:
    """Edges as parallel arrays: node keys, geometry (u to v), length and the source part."""

    u: np.ndarray
    v: np.ndarray
    geometry: np.ndarray
    length_m: np.ndarray
    part: np.ndarray

    def take(self, mask: np.ndarray) -> EdgeArrays:
        return EdgeArrays(
            self.u[mask], self.v[mask], self.geometry[mask], self.length_m[mask], self.part[mask]
        )


def split_parts(
    key: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    part: np.ndarray,
    is_node: np.ndarray,
    reverse_part: np.ndarray | None = None,
) -> EdgeArrays:
    """Cut polylines into edges at their junction vertices.

    Parameters
    ----------
    key
        Node key of each vertex (int64); only read where the vertex is a node.
    x, y
        Vertex coordinates in metres.
    part
        Part number of each vertex; vertices of a part are contiguous and in drawing order, and
        every part has at least two vertices.
    is_node
        Whether the vertex is a junction; the first and last vertex of each part always are.
    reverse_part
        Boolean per part number: the edges of these parts run against the drawing order
        (OSM ``oneway=-1``), so that ``u`` to ``v`` is the legal direction.

    Returns
    -------
    EdgeArrays
        One edge per stretch between consecutive junction vertices of a part; geometry from
        ``u`` to ``v``; ``part`` is the part number of each edge.
    """
    n = len(key)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return EdgeArrays(empty, empty, np.zeros(0, dtype=object), np.zeros(0), empty)
    first = np.ones(n, dtype=bool)
    first[1:] = part[1:] != part[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]
    is_node = is_node | first | last
    starts = is_node & ~last
    edge = np.cumsum(starts) - 1  # edge of each vertex; the last vertex of a part closes its edge
    inner = np.flatnonzero(is_node & ~first & ~last)  # also close the edge before them

    pos = np.concatenate([np.arange(n), inner])
    eid = np.concatenate([edge, edge[inner] - 1])
    n_edges = int(starts.sum())
    edge_part = part[starts]
    order_key = pos.astype(np.int64)
    if reverse_part is not None:
        flip = reverse_part[edge_part][eid]
        order_key = np.where(flip, -order_key, order_key)
    order = np.lexsort((order_key, eid))
    pos, eid = pos[order], eid[order]

    xs, ys = x[pos], y[pos]
    seg = np.hypot(np.diff(xs), np.diff(ys))
    same = eid[1:] == eid[:-1]
    length = np.bincount(eid[1:][same], weights=seg[same], minlength=n_edges)

    bounds = np.flatnonzero(np.r_[True, eid[1:] != eid[:-1]])
    u = key[pos[bounds]]
    v = key[pos[np.r_[bounds[1:] - 1, len(pos) - 1]]]
    geometry = shapely.linestrings(np.column_stack([xs, ys]), indices=eid)
    return EdgeArrays(u.astype(np.int64), v.astype(np.int64), geometry, length, edge_part)


def drop_zero_length(edges: EdgeArrays) -> tuple[EdgeArrays, dict[int, int], int]:
    """Drop edges of zero length and merge the distinct nodes they joined.

    Two distinct nodes joined by a zero-length edge stand at the same place (duplicate OSM nodes,
    collapsed centreline pieces); dropping the edge without merging them would disconnect the
    network there. Each group of such nodes is merged into its smallest key.

    Returns
    -------
    edges, merged, n_dropped
        The remaining edges (``u``/``v`` relabelled), the map from merged-away key to the key kept,
        and the number of edges dropped.
    """
    zero = edges.length_m <= 0.0
    n_dropped = int(zero.sum())
    merged: dict[int, int] = {}
    if not n_dropped:
        return edges, merged, 0
    pairs = zero & (edges.u != edges.v)
    kept = edges.take(~zero)
    if pairs.any():
        zu, zv = edges.u[pairs], edges.v[pairs]
        keys, inv = np.unique(np.concatenate([zu, zv]), return_inverse=True)
        m = len(zu)
        graph = coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(keys), len(keys)))
        _, label = connected_components(graph, directed=False)
        smallest = pd.Series(keys).groupby(label).transform("min").to_numpy()
        merged = {int(k): int(s) for k, s in zip(keys, smallest, strict=True) if k != s}
        if merged:
            lookup = pd.Series(merged)
            u = pd.Series(kept.u)
            v = pd.Series(kept.v)
            kept = EdgeArrays(
                u.map(lookup).fillna(u).to_numpy(np.int64),
                v.map(lookup).fillna(v).to_numpy(np.int64),
                kept.geometry,
                kept.length_m,
                kept.part,
            )
    return kept, merged, n_dropped


def assemble_network(
    edges: EdgeArrays,
    attributes: pd.DataFrame,
    crs: pyproj.CRS,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Node and edge GeoDataFrames of the :class:`~isochrones.network.StreetNetwork` contract.

    ``attributes`` holds one row per part (positional, ``edges.part`` indexes it) with the tag
    columns of :data:`~isochrones.network.EDGE_COLUMNS` other than ``u``, ``v``, ``length_m``.
    Node coordinates are taken from the edge ends.
    """
    table = attributes.iloc[edges.part].reset_index(drop=True)
    table.insert(0, "u", edges.u)
    table.insert(1, "v", edges.v)
    table.insert(2, "length_m", edges.length_m.astype(float))
    table = table[list(EDGE_COLUMNS)]
    for col in EDGE_COLUMNS:
        if col not in _TYPED_COLUMNS:  # text tags: object dtype, None where absent
            values = table[col].to_numpy(dtype=object, copy=True)
            values[pd.isna(values)] = None
            table[col] = pd.Series(values, dtype=object)
    table["oneway"] = table["oneway"].astype(bool)
    table["way_id"] = table["way_id"].astype(np.int64)
    edge_gdf = gpd.GeoDataFrame(table, geometry=edges.geometry, crs=crs)

    start = shapely.get_point(edges.geometry, 0)
    end = shapely.get_point(edges.geometry, -1)
    ids = np.concatenate([edges.u, edges.v])
    pts = np.concatenate([start, end])
    node_id, at = np.unique(ids, return_index=True)
    xy = shapely.get_coordinates(pts[at])
    node_gdf = gpd.GeoDataFrame(
        {"x": xy[:, 0], "y": xy[:, 1]},
        index=pd.Index(node_id.astype(np.int64), name="node_id"),
        geometry=shapely.points(xy),
        crs=crs,
    )
    return node_gdf, edge_gdf


# --------------------------------------------------------------------------- centreline noding


@dataclass(frozen=True)
class NodedLines:
    """Vertex arrays for :func:`split_parts`, plus what the noding did (for the log)."""

    key: np.ndarray
    x: np.ndarray
    y: np.ndarray
    part: np.ndarray
    is_node: np.ndarray
    n_end_snaps: int
    n_t_snaps: int
    n_crossings: int


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` items linked by the pairs ``a``-``b``."""
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _cluster_points(
    xy: np.ndarray, tolerance_m: float, group: np.ndarray | None = None
) -> np.ndarray:
    """Cluster label of each point: single linkage of points within ``tolerance_m``.

    With ``group``, only points of equal group (z-level) are linked.
    """
    n = len(xy)
    pts = shapely.points(xy)
    if tolerance_m > 0:
        a, b = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=tolerance_m)
    else:
        a = b = np.zeros(0, dtype=np.int64)
    if group is None:
        group = np.zeros(n, dtype=np.int64)
    same = group[a] == group[b]
    a, b = a[same], b[same]
    exact = pd.MultiIndex.from_arrays([xy[:, 0], xy[:, 1], group]).factorize()[0]
    first_of = pd.Series(np.arange(n)).groupby(exact).transform("first").to_numpy()
    return _components(n, np.r_[a, np.arange(n)], np.r_[b, first_of])


def _representatives(xy: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Per point, the coordinates of its cluster's most common exact location (the anchor)."""
    frame = pd.DataFrame({"c": label, "x": xy[:, 0], "y": xy[:, 1]})
    counts = frame.groupby(["c", "x", "y"], sort=True).size().reset_index(name="n")
    anchor = counts.sort_values(["c", "n"], ascending=[True, False], kind="stable")
    anchor = anchor.drop_duplicates("c").set_index("c")
    return anchor.loc[label, ["x", "y"]].to_numpy()


def node_lines(
    lines: np.ndarray,
    *,
    level: np.ndarray,
    separated: np.ndarray,
    snap_tolerance_m: float,
    split_at_crossings: bool,
    end_level: np.ndarray | None = None,
) -> NodedLines:
    """Snap digitising gaps and find the junctions of 2-D LineStrings in a metric CRS.

    1. Line ends within ``snap_tolerance_m`` of each other (single linkage) become one point: the
       location most of them already share, so well-drawn junctions stay where they are.
    2. A line end within ``snap_tolerance_m`` of the interior of another line at the same level
       (equal ``level`` and ``separated`` flag) is moved onto its nearest point, which splits that
       line (T-junction; also when the end already touches the line exactly).
    3. With ``split_at_crossings``, lines that cross are split at every common point, unless one
       of them is ``separated`` (bridge, tunnel) or their ``level`` differs.

    With ``end_level`` (the z-level of each line's start, then of each line's end: ``2 *
    len(lines)`` values, as navigation data's from/to z-levels), steps 1 and 2 join only ends and
    lines at the same level, and nodes at one place but on different levels stay apart: an
    overpass ending above a road's end does not meet it. Without it every end may join every
    other end (a bridge's ends meet the ground streets).

    Nodes closer than :data:`NODE_MERGE_M` are merged. Vertex keys are node numbers (``-1`` for
    plain vertices); the part of each vertex is its line's position in ``lines``.
    """
    n_lines = len(lines)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    starts = np.flatnonzero(np.r_[True, line_of[1:] != line_of[:-1]])
    ends = np.r_[starts[1:] - 1, len(coords) - 1]

    # 1. endpoint clusters
    end_idx = np.concatenate([starts, ends])
    end_xy = coords[end_idx]
    end_line = np.concatenate([np.arange(n_lines), np.arange(n_lines)])
    by_level = end_level is not None
    end_lev = np.asarray(end_level, dtype=np.int64) if by_level else level[end_line]
    label = _cluster_points(end_xy, snap_tolerance_m, end_lev if by_level else None)
    snapped = _representatives(end_xy, label)
    n_end_snaps = int((np.abs(snapped - end_xy).max(axis=1) > 0).sum())
    coords[end_idx] = snapped

    # 2. T-junctions: cluster points near the interior of another line at the same level
    geoms = shapely.linestrings(coords, indices=line_of)
    tree = shapely.STRtree(geoms)
    end_pts = shapely.points(coords[end_idx])
    split_line: list[np.ndarray] = []
    split_xy: list[np.ndarray] = []
    split_kind: list[np.ndarray] = []  # True for crossings
    n_t_snaps = 0
    if snap_tolerance_m > 0:
        e, cand = tree.query(end_pts, predicate="dwithin", distance=snap_tolerance_m)
    else:
        e, cand = tree.query(end_pts, predicate="intersects")
    keep = (
        (cand != end_line[e])
        & (level[cand] == end_lev[e])
        & (separated[cand] == separated[end_line[e]])
    )
    e, cand = e[keep], cand[keep]
    if len(e):
        dist = shapely.distance(end_pts[e], geoms[cand])
        along = shapely.line_locate_point(geoms[cand], end_pts[e])
        length = shapely.length(geoms[cand])
        interior = (along > NODE_MERGE_M) & (along < length - NODE_MERGE_M)
        e, cand, dist, along = e[interior], cand[interior], dist[interior], along[interior]
        # per endpoint cluster, the nearest candidate line
        frame = pd.DataFrame({"c": label[e], "line": cand, "d": dist, "along": along, "e": e})
        best = frame.sort_values(["c", "d", "line"], kind="stable").drop_duplicates("c")
        if len(best):
            target = shapely.line_interpolate_point(
                geoms[best["line"].to_numpy()], best["along"].to_numpy()
            )
            target_xy = shapely.get_coordinates(target)
            moved = best["d"].to_numpy() > 0
            n_t_snaps = int(moved.sum())
            new_xy = pd.DataFrame(target_xy, index=best["c"].to_numpy())
            hit = np.isin(label, best["c"].to_numpy())
            coords[end_idx[hit]] = new_xy.loc[label[hit]].to_numpy()
            split_line.append(best["line"].to_numpy())
            split_xy.append(target_xy)
            split_kind.append(np.zeros(len(best), dtype=bool))
            geoms = shapely.linestrings(coords, indices=line_of)
            tree = shapely.STRtree(geoms)

    # 3. crossings between lines at the same, unseparated level
    n_crossings = 0
    if split_at_crossings:
        a, b = tree.query(geoms, predicate="intersects")
        keep = (a < b) & ~separated[a] & ~separated[b] & (level[a] == level[b])
        a, b = a[keep], b[keep]
        if len(a):
            inter = shapely.intersection(geoms[a], geoms[b])
            parts, which = shapely.get_parts(inter, return_index=True)
            pts_xy, pts_idx = shapely.get_coordinates(parts, return_index=True)
            pair = which[pts_idx]  # linear overlaps contribute their vertices
            split_line += [a[pair], b[pair]]
            split_xy += [pts_xy, pts_xy]
            split_kind += [np.ones(len(pair), dtype=bool)] * 2

    # merge split points into the lines' vertex sequences
    vertex_along = _along(coords, line_of, starts)
    if split_line:
        s_line = np.concatenate(split_line)
        s_xy = np.concatenate(split_xy)
        s_along = shapely.line_locate_point(geoms[s_line], shapely.points(s_xy))
        interior = (s_along > 0) & (s_along < shapely.length(geoms[s_line]))
        s_line, s_xy, s_along = s_line[interior], s_xy[interior], s_along[interior]
        crossing_xy = s_xy[np.concatenate(split_kind)[interior]]
        n_crossings = len(np.unique(crossing_xy.round(3), axis=0))
    else:
        s_line = np.zeros(0, dtype=np.int64)
        s_xy = np.zeros((0, 2))
        s_along = np.zeros(0)
    vertex_lev = level[line_of].copy()
    vertex_lev[end_idx] = end_lev
    all_lev = np.concatenate([vertex_lev, level[s_line]])
    all_line = np.concatenate([line_of, s_line])
    all_xy = np.concatenate([coords, s_xy])
    all_along = np.concatenate([vertex_along, s_along])
    node_flag = np.zeros(len(all_line), dtype=bool)
    node_flag[end_idx] = True
    node_flag[len(coords) :] = True
    kind = np.r_[np.zeros(len(coords)), np.ones(len(s_line))]
    order = np.lexsort((kind, all_along, all_line))
    all_line, all_xy, node_flag = all_line[order], all_xy[order], node_flag[order]
    all_lev = all_lev[order]

    # one key per node location and level (merging floating-point noise), anchors as coordinates
    node_at = np.flatnonzero(node_flag)
    node_label = _cluster_points(
        all_xy[node_at], NODE_MERGE_M, all_lev[node_at] if by_level else None
    )
    all_xy[node_at] = _representatives(all_xy[node_at], node_label)
    key = np.full(len(all_line), -1, dtype=np.int64)
    key[node_at] = node_label

    # collapse runs of one location within a line into one vertex (a node if any of them is)
    same = (all_line[1:] == all_line[:-1]) & (all_xy[1:] == all_xy[:-1]).all(axis=1)
    run = np.cumsum(np.r_[True, ~same]) - 1
    keep = np.flatnonzero(np.r_[True, ~same])
    run_key = np.full(len(keep), -1, dtype=np.int64)
    np.maximum.at(run_key, run, key)
    run_node = np.zeros(len(keep), dtype=bool)
    np.logical_or.at(run_node, run, node_flag)
    return NodedLines(
        key=run_key,
        x=all_xy[keep, 0],
        y=all_xy[keep, 1],
        part=all_line[keep],
        is_node=run_node,
        n_end_snaps=n_end_snaps,
        n_t_snaps=n_t_snaps,
        n_crossings=n_crossings,
    )


def _along(coords: np.ndarray, line_of: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Distance of each vertex from the start of its line, along the line."""
    seg = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    seg[starts] = 0.0
    total = np.cumsum(seg)
    return total - total[starts][line_of]


def flip_incline(values: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """``incline`` tags made relative to the stored geometry where the loader reversed it.

    OSM's ``incline`` is relative to the way's drawing direction; a loader that reverses a way
    (``oneway=-1``, a backward one-way centreline) flips ``up``/``down`` and the sign of numbers
    such as ``10%`` or ``-5°`` so that the tag keeps meaning "rising from u to v".
    """
    out = np.asarray(values, dtype=object).copy()
    for i in np.flatnonzero(np.asarray(reverse, dtype=bool)):
        value = out[i]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        text = str(value).strip()
        lower = text.lower()
        if lower == "up":
            out[i] = "down"
        elif lower == "down":
            out[i] = "up"
        elif text.startswith("-"):
            out[i] = text[1:]
        elif text[:1].isdigit() or text.startswith("+"):
            out[i] = "-" + text.lstrip("+")
    return out
