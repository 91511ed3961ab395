"""Walking times computed in spatial tiles with a halo, for large areas and for scale-out.

:func:`od_times_tiled` gives exactly the matrix of :func:`~isochrones.od.od_times`, computed tile
by tile. The destinations are split into square tiles (``tile_m`` on a side); each tile's search
runs on a *subgraph*: the nodes within the halo of the tile, and the origins attached to edges of
it. The halo is as wide as the longest walk within the time limit::

    halo = max_seconds × v_max + max snapping distance of the destinations + 1 m

where ``v_max`` is the fastest speed anywhere in the graph (the largest length / time of any
interval of any edge profile, downhill included; access legs walk at the flat speed, which the
profiles reach on flat ground). Every node of a walk that takes at most ``max_seconds`` lies
within ``max_seconds × v_max`` of the destination's point on its edge, so every such walk is in
the tile's subgraph; the subgraph walks are walks of the whole graph; and a shortest path's time
is summed along the same arcs in the same order. The tiled result is therefore *equal* to the
untiled one, entry for entry, not merely close (the tests check this bit for bit).

Each tile is an independent task of small, picklable arguments (its subgraph and points), so the
tiles can run in any :class:`concurrent.futures.Executor`, e.g. ``dask.distributed``'s
``Client.get_executor()``: a worker then holds one tile's graph, never the whole area's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np
import shapely
from scipy.sparse import csr_matrix

from isochrones.od import ODMatrix, od_times, origin_warnings
from isochrones.reach import DEFAULT_MAX_BLOCK_MB, source_warnings
from isochrones.snap import SnappedPoints
from isochrones.walktime import WalkGraph, max_speed_mps

__all__ = ["Tile", "max_speed_mps", "od_times_tiled", "plan_tiles", "subgraph"]

log = logging.getLogger(__name__)


def subgraph(graph: WalkGraph, nodes: np.ndarray) -> tuple[WalkGraph, np.ndarray, np.ndarray]:
    """The graph induced by some nodes: their arcs and the edges with both ends among them.

    Parameters
    ----------
    graph
        The whole walking graph.
    nodes
        Positions of the nodes to keep (any order, repeats allowed).

    Returns
    -------
    (WalkGraph, node_map, edge_map)
        The subgraph, and for every node and edge row of ``graph`` its position in the subgraph
        (−1 where dropped). Component labels are those of the whole graph, so warnings about
        islands mean the same thing in a tile as in the whole.
    """
    keep = np.unique(np.asarray(nodes, dtype=np.int64))
    node_map = np.full(graph.n_nodes, -1, dtype=np.int64)
    node_map[keep] = np.arange(len(keep))
    edges = np.flatnonzero((node_map[graph.edge_u] >= 0) & (node_map[graph.edge_v] >= 0))
    edge_map = np.full(len(graph.edge_u), -1, dtype=np.int64)
    edge_map[edges] = np.arange(len(edges))
    arcs = np.flatnonzero((node_map[graph.tail] >= 0) & (node_map[graph.head] >= 0))
    offsets = graph.profile_offsets
    counts = offsets[edges + 1] - offsets[edges]
    new_offsets = np.zeros(len(edges) + 1, dtype=offsets.dtype)
    np.cumsum(counts, out=new_offsets[1:])
    samples = np.repeat(offsets[edges], counts) + (
        np.arange(int(counts.sum())) - np.repeat(new_offsets[:-1], counts)
    )
    sub = WalkGraph(
        node_ids=graph.node_ids[keep],
        node_xy=graph.node_xy[keep],
        tail=node_map[graph.tail[arcs]],
        head=node_map[graph.head[arcs]],
        seconds=graph.seconds[arcs],
        edge_row=edge_map[graph.edge_row[arcs]],
        direction=graph.direction[arcs],
        matrix=graph.matrix[keep][:, keep].tocsr(),
        edge_u=node_map[graph.edge_u[edges]],
        edge_v=node_map[graph.edge_v[edges]],
        edge_has_arcs=graph.edge_has_arcs[edges],
        edge_geometry=graph.edge_geometry[edges],
        delay_uv_s=graph.delay_uv_s[edges],
        delay_vu_s=graph.delay_vu_s[edges],
        profile_offsets=new_offsets,
        profile_uv_s=graph.profile_uv_s[samples],
        profile_vu_s=graph.profile_vu_s[samples],
        component=graph.component[keep],
        walk_speed_mps=graph.walk_speed_mps,
        crs=graph.crs,
        excluded={},
        problems=(),
    )
    return sub, node_map, edge_map


def _subset_points(points: SnappedPoints, which: np.ndarray, edge_map: np.ndarray) -> SnappedPoints:
    """Some of the points for a tile's search: attached to the subgraph's edge rows, numbered
    0..k-1, without their geometries (a search needs edge, fraction and access leg only; the
    tile stays small to ship) and without warnings."""
    rows = points.edge_row[which]
    empty = np.full(len(which), None, dtype=object)
    return replace(
        points,
        point_ids=np.arange(len(which)),
        geometry=empty,
        edge_row=np.where(rows >= 0, edge_map[np.maximum(rows, 0)], -1),
        fraction=points.fraction[which],
        snapped=empty,
        access_m=points.access_m[which],
        access_s=points.access_s[which],
        problems=(),
    )


@dataclass(frozen=True, eq=False)
class Tile:
    """One tile's task: its subgraph, origins and destinations, and where they sit in the whole.

    The subgraph and points are *search-only*: no edge or point geometries (the search needs
    times along edges, not shapes), so a tile is cheap to send to a worker.
    ``origin_index``/``destination_index`` are the positions of the tile's points in the whole
    problem's origins/destinations. ``bounds`` is the tile's square (xmin, ymin, xmax, ymax).
    """

    key: tuple[int, int]
    bounds: tuple[float, float, float, float]
    graph: WalkGraph
    origins: SnappedPoints
    destinations: SnappedPoints
    origin_index: np.ndarray
    destination_index: np.ndarray
    max_seconds: float
    max_block_mb: float = DEFAULT_MAX_BLOCK_MB

    @property
    def nbytes(self) -> int:
        """Approximate size of the tile's arrays (what a worker holds for it), bytes."""
        g = self.graph
        arrays = [
            g.node_xy, g.tail, g.head, g.seconds, g.edge_row, g.edge_u, g.edge_v,
            g.profile_uv_s, g.profile_vu_s, g.matrix.data, g.matrix.indices,
        ]  # fmt: skip
        return int(sum(a.nbytes for a in arrays))


def _point_xy(points: SnappedPoints) -> np.ndarray:
    """Coordinates of the points' snapped positions (original position where not attached)."""
    geoms = np.where(points.is_snapped, points.snapped, points.geometry)
    return shapely.get_coordinates(np.asarray(list(geoms), dtype=object))


def plan_tiles(
    graph: WalkGraph,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    max_seconds: float,
    tile_m: float,
    max_block_mb: float = DEFAULT_MAX_BLOCK_MB,
) -> Iterator[Tile]:
    """The tiles of an :func:`od_times` problem, one per non-empty square of destinations.

    Tiles come in a fixed order (by row, then column of the grid), each built when asked for, so
    a caller can hand them out one at a time.
    """
    if not (np.isfinite(tile_m) and tile_m > 0):
        raise ValueError(f"tile_m must be a positive number of metres, got {tile_m}")
    dest_ok = np.flatnonzero(destinations.is_snapped)
    if len(dest_ok) == 0:
        return
    halo = max_seconds * max_speed_mps(graph) + float(destinations.max_snap_m) + 1.0
    dxy = _point_xy(destinations)[dest_ok]
    x0, y0 = dxy.min(axis=0)
    col = np.floor((dxy[:, 0] - x0) / tile_m).astype(np.int64)
    row = np.floor((dxy[:, 1] - y0) / tile_m).astype(np.int64)
    nx, ny = graph.node_xy[:, 0], graph.node_xy[:, 1]
    o_rows = origins.edge_row
    for r, c in sorted(set(zip(row.tolist(), col.tolist(), strict=True))):
        members = dest_ok[(row == r) & (col == c)]
        pts = dxy[(row == r) & (col == c)]
        (bx0, by0), (bx1, by1) = pts.min(axis=0), pts.max(axis=0)
        dx = np.maximum(np.maximum(bx0 - nx, nx - bx1), 0.0)
        dy = np.maximum(np.maximum(by0 - ny, ny - by1), 0.0)
        inside = np.flatnonzero(np.hypot(dx, dy) <= halo)
        # the halo's nodes, their neighbours (so edges leaving the halo keep both ends), and
        # both ends of the destinations' own edges (walks along one edge)
        mark = np.zeros(graph.n_nodes, dtype=bool)
        mark[inside] = True
        touching = mark[graph.edge_u] | mark[graph.edge_v]
        d_rows = destinations.edge_row[members]
        nodes = np.concatenate(
            [
                inside,
                graph.edge_u[touching],
                graph.edge_v[touching],
                graph.edge_u[d_rows],
                graph.edge_v[d_rows],
            ]
        )
        sub, _, edge_map = subgraph(graph, nodes)
        # a search-only graph: the tile's search needs times, not shapes (cheaper to ship)
        sub = replace(sub, edge_geometry=np.full(len(sub.edge_u), None, dtype=object))
        o_in = np.flatnonzero((o_rows >= 0) & (edge_map[np.maximum(o_rows, 0)] >= 0))
        yield Tile(
            key=(int(r), int(c)),
            bounds=(
                float(x0 + c * tile_m),
                float(y0 + r * tile_m),
                float(x0 + (c + 1) * tile_m),
                float(y0 + (r + 1) * tile_m),
            ),
            graph=sub,
            origins=_subset_points(origins, o_in, edge_map),
            destinations=_subset_points(destinations, members, edge_map),
            origin_index=o_in,
            destination_index=members,
            max_seconds=float(max_seconds),
            max_block_mb=max_block_mb,
        )


def solve_tile(tile: Tile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run one tile: (origin, destination, seconds) triples in the whole problem's positions."""
    od = od_times(
        tile.graph,
        tile.origins,
        tile.destinations,
        max_seconds=tile.max_seconds,
        max_block_mb=tile.max_block_mb,
    )
    m = od.seconds
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return tile.origin_index[rows], tile.destination_index[m.indices], m.data


def od_times_tiled(
    graph: WalkGraph,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    max_seconds: float,
    tile_m: float = 5000.0,
    executor: Executor | None = None,
    max_block_mb: float = DEFAULT_MAX_BLOCK_MB,
    progress: Callable[[int, int], None] | None = None,
) -> ODMatrix:
    """:func:`~isochrones.od.od_times`, computed in tiles of destinations with a halo.

    Parameters
    ----------
    graph, origins, destinations, max_seconds, max_block_mb
        As for :func:`~isochrones.od.od_times`.
    tile_m
        Side of the square tiles, metres.
    executor
        Where the tiles run: any :class:`concurrent.futures.Executor` (for Dask,
        ``distributed.Client(...).get_executor()``); in this process when None.
    progress
        Called with (tiles done, tiles) after each tile, in the tiles' order.

    Returns
    -------
    ODMatrix
        Equal to ``od_times(graph, origins, destinations, max_seconds=max_seconds)``.
    """
    if not (np.isfinite(max_seconds) and max_seconds >= 0):
        raise ValueError(f"max_seconds must be a finite number >= 0, got {max_seconds}")
    m, k = len(origins), len(destinations)
    tiles = plan_tiles(
        graph,
        origins,
        destinations,
        max_seconds=max_seconds,
        tile_m=tile_m,
        max_block_mb=max_block_mb,
    )
    tiles = list(tiles)
    parts = []
    futures = None if executor is None else [executor.submit(solve_tile, t) for t in tiles]
    for i, tile in enumerate(tiles):
        parts.append(solve_tile(tile) if futures is None else futures[i].result())
        if progress is not None:
            progress(i + 1, len(tiles))
    if parts:
        o = np.concatenate([p[0] for p in parts]).astype(np.int64)
        d = np.concatenate([p[1] for p in parts]).astype(np.int64)
        t = np.concatenate([p[2] for p in parts])
    else:
        o, d, t = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    order = np.lexsort((d, o))
    o, d, t = o[order], d[order], t[order]
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(o, minlength=m), out=indptr[1:])
    problems = list(origins.problems)
    if m == 0 or k == 0 or not origins.is_snapped.any() or not destinations.is_snapped.any():
        problems.extend(destinations.problems)  # as od_times: nothing was searched
    else:
        problems.extend(source_warnings(graph, destinations))
        problems.extend(origin_warnings(graph, origins))
    log.info("od_times_tiled: %d tiles of %.0f m, %s pairs", len(parts), tile_m, f"{len(t):,}")
    return ODMatrix(
        origin_ids=np.asarray(origins.point_ids),
        destination_ids=np.asarray(destinations.point_ids),
        seconds=csr_matrix((t, d, indptr), shape=(m, k)),
        max_seconds=float(max_seconds),
        problems=tuple(problems),
    )
