"""Isochrone polygons: the walkable street parts reached within a time, buffered and dissolved.

For each source (or group of sources) and each time band ``T``:

- every edge end reached at time ``t < T`` contributes the part of the edge walkable in the
  remaining ``T − t``, found on the arc's time profile (its sampled sub-segments; within one
  sub-segment time is proportional to distance), so slopes and stairs cut edges where they should;
  an edge reached from both ends contributes both parts (which merge when they meet);
- a point source contributes the parts of its own edge on both sides of its snapped position and
  its straight access leg;
- a reached node with no time left (or no walkable edge) contributes its position;
- the parts of one edge are merged into disjoint intervals, buffered by ``buffer_m`` (one
  vectorised ``shapely.buffer`` call for all polygons of a band) and dissolved with
  ``shapely.union_all`` per polygon, the polygons of a band on every core (threads: GEOS runs
  without the GIL; ``ISOCHRONES_THREADS`` sets how many).

Bands are built from the smallest up: band ``k`` is the union of band ``k − 1``'s polygon and the
buffers of the parts that band ``k − 1`` did not already draw, so bands are exactly nested and
each street part is dissolved once per polygon chain. Holes appear where blocks are unreachable
or wider than twice the buffer. Direction follows the
reach table: with ``"to_sources"`` a polygon is where one can walk *to* the source within ``T``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from isochrones.reach import ReachTable
from isochrones.terrain import LineVertices
from isochrones.walktime import WalkGraph

__all__ = ["DEFAULT_BUFFER_M", "isochrone_polygons", "merge_polygons"]

log = logging.getLogger(__name__)

#: Default half-width of the band drawn around reached streets (m): about the depth of the
#: buildings that line a street, so that a home whose door opens on a reached street falls
#: inside; also the DEM pixel size and a typical snapping distance of homes.
DEFAULT_BUFFER_M = 30.0

_EPS = 1e-9


def _threads() -> int:
    """Threads for the dissolves: the cores this process may use (at most 8), or
    ``ISOCHRONES_THREADS`` (1: none)."""
    env = os.environ.get("ISOCHRONES_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError as exc:
            raise ValueError(
                f"ISOCHRONES_THREADS must be a whole number >= 1, got {env!r}"
            ) from exc
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _dissolve(parts: np.ndarray, previous: shapely.Geometry | None) -> shapely.Geometry:
    """One polygon: the union of a band's new parts and the band before's polygon."""
    if previous is not None:
        parts = np.append(parts, previous)
    return shapely.union_all(parts) if len(parts) else shapely.Polygon()


def _in_slices(
    fn: Callable[[np.ndarray], np.ndarray], geoms: np.ndarray, threads: int
) -> np.ndarray:
    """``fn`` (a vectorised shapely function) of ``geoms`` in as many slices as threads (GEOS
    runs without the GIL; the same result as one call)."""
    if threads <= 1 or len(geoms) < 2_000:
        return fn(geoms)
    with ThreadPoolExecutor(threads) as pool:
        return np.concatenate(list(pool.map(fn, np.array_split(geoms, threads))))


def _make_valid(flat: np.ndarray) -> None:
    """Repair, in place, the polygons GEOS left invalid."""
    invalid = ~shapely.is_valid(flat)
    if invalid.any():
        flat[invalid] = shapely.make_valid(flat[invalid])


def _previous(band: np.ndarray | None, n: int) -> list:
    return [None] * n if band is None else list(band)


def _incidence(graph: WalkGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node → incident walkable edges as CSR: (indptr, edge rows, side 0 = node is u, 1 = v)."""
    rows = np.flatnonzero(graph.edge_has_arcs)
    nodes = np.concatenate([graph.edge_u[rows], graph.edge_v[rows]])
    edge = np.concatenate([rows, rows])
    side = np.concatenate([np.zeros(len(rows), np.int8), np.ones(len(rows), np.int8)])
    order = np.argsort(nodes, kind="stable")
    indptr = np.zeros(graph.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(nodes, minlength=graph.n_nodes), out=indptr[1:])
    return indptr, edge[order], side[order]


def _substrings(geoms: np.ndarray, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LineStrings of ``geoms[rows]`` between normalised positions ``a < b``, vectorised."""
    if len(rows) == 0:
        return np.empty(0, dtype=object)
    used, inv = np.unique(rows, return_inverse=True)
    vx = LineVertices.of(geoms[used])
    # Inner vertices strictly between a and b, then the two interpolated ends.
    lo = np.searchsorted(vx.key, a + 2.0 * inv, side="right")
    hi = np.searchsorted(vx.key, b + 2.0 * inv, side="left")
    n_inner = np.maximum(hi - lo, 0)
    counts = n_inner + 2
    ptr = np.concatenate(([0], np.cumsum(counts)))
    out = np.empty((int(ptr[-1]), 2))
    out[ptr[:-1]] = vx.interpolate(inv, a)
    out[ptr[1:] - 1] = vx.interpolate(inv, b)
    piece = np.repeat(np.arange(len(rows)), n_inner)
    within = np.arange(len(piece)) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
    out[ptr[piece] + 1 + within] = vx.coords[lo[piece] + within]
    return shapely.linestrings(out, indices=np.repeat(np.arange(len(rows)), counts))


def _min_times(
    table: ReachTable, origin: np.ndarray, n_origins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, node, seconds) with the minimum seconds over the sources of each origin."""
    o = origin[table.source]
    key = o * np.int64(table.n_nodes) + table.node
    order = np.lexsort((table.seconds, key))
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return o[order][first], table.node[order][first], table.seconds[order][first]


def _edge_pieces(
    graph: WalkGraph,
    table: ReachTable,
    o: np.ndarray,
    node: np.ndarray,
    t: np.ndarray,
    band_s: float,
    incidence: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(origin, edge row, a, b) of the edge parts reached from reached edge ends."""
    indptr, inc_edge, inc_side = incidence
    keep = t <= band_s
    o, node, t = o[keep], node[keep], t[keep]
    deg = indptr[node + 1] - indptr[node]
    entry = np.repeat(np.arange(len(node)), deg)
    k = np.arange(len(entry)) - np.repeat(np.cumsum(deg) - deg, deg) + np.repeat(indptr[node], deg)
    rows = inc_edge[k]
    at_u = inc_side[k] == 0
    tau = band_s - t[entry]
    if table.direction == "from_sources":
        a = np.where(at_u, 0.0, graph.fraction_from_v(rows, tau))
        b = np.where(at_u, graph.fraction_from_u(rows, tau), 1.0)
    else:
        # Walking q → u along v→u within tau (after the crossing delay at u), or q → v along u→v.
        total_vu = graph.seconds_from_v(rows, np.zeros(len(rows)))
        total_uv = graph.seconds_from_u(rows, np.ones(len(rows)))
        tau_u = tau - graph.delay_vu_s[rows]
        tau_v = tau - graph.delay_uv_s[rows]
        a = np.where(at_u, 0.0, graph.fraction_from_u(rows, total_uv - tau_v))
        b = np.where(at_u, graph.fraction_from_v(rows, total_vu - tau_u), 1.0)
        ok = np.where(at_u, tau_u, tau_v) >= 0
        a, b, rows, entry = a[ok], b[ok], rows[ok], entry[ok]
    return o[entry], rows, a, b


def _point_pieces(
    graph: WalkGraph, table: ReachTable, origin: np.ndarray, band_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Own-edge parts of point sources, and their access legs (origin, line)."""
    pts = table.points
    empty = np.zeros(0, np.int64)
    if pts is None:
        return empty, empty, np.zeros(0), np.zeros(0), empty, np.empty(0, dtype=object)
    idx = np.flatnonzero(pts.is_snapped & (pts.access_s <= band_s))
    rows = pts.edge_row[idx]
    f = pts.fraction[idx]
    tau = band_s - pts.access_s[idx]
    if table.direction == "from_sources":
        hi = graph.fraction_from_u(rows, graph.seconds_from_u(rows, f) + tau)
        lo = graph.fraction_from_v(rows, graph.seconds_from_v(rows, f) + tau)
    else:
        lo = graph.fraction_from_u(rows, graph.seconds_from_u(rows, f) - tau)
        hi = graph.fraction_from_v(rows, graph.seconds_from_v(rows, f) - tau)
    o = origin[idx]
    # Access legs (straight, walked at the flat speed), cut from the point's side if too long.
    leg_idx = np.flatnonzero(pts.is_snapped)
    start = shapely.get_coordinates(pts.geometry[leg_idx]).reshape(-1, 2)
    end = shapely.get_coordinates(pts.snapped[leg_idx]).reshape(-1, 2)
    share = np.minimum(1.0, band_s / np.maximum(pts.access_s[leg_idx], _EPS))[:, None]
    legs = shapely.linestrings(np.stack([start, start + share * (end - start)], axis=1))
    return (
        np.concatenate([o, o]),
        np.concatenate([rows, rows]),
        np.concatenate([lo, f]),
        np.concatenate([f, hi]),
        origin[leg_idx],
        np.asarray(legs, dtype=object).reshape(-1),
    )


def _merge_intervals(
    key: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of the intervals [a, b] of each key: sorted, disjoint (key, a, b)."""
    if len(key) == 0:
        return key, a, b
    order = np.lexsort((a, key))
    key, a, b = key[order], a[order], b[order]
    new_key = np.ones(len(key), dtype=bool)
    new_key[1:] = key[1:] != key[:-1]
    reach_b = pd.Series(b).groupby(np.cumsum(new_key)).cummax().to_numpy()
    start = new_key.copy()
    start[1:] |= a[1:] > reach_b[:-1] + _EPS
    first = np.flatnonzero(start)
    return key[first], a[first], np.maximum.reduceat(b, first)


def isochrone_polygons(
    graph: WalkGraph,
    table: ReachTable,
    *,
    max_minutes: Sequence[float] | float,
    buffer_m: float = DEFAULT_BUFFER_M,
    groups: Sequence | np.ndarray | None = None,
    quad_segs: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> gpd.GeoDataFrame:
    """Isochrone polygons per source (or per group of sources) and time band.

    Parameters
    ----------
    graph
        The walking graph the table was computed on.
    table
        Reach table from :func:`~isochrones.reach.reach`, with ``max_seconds`` at least the
        largest band.
    max_minutes
        Time bands in minutes, e.g. ``(5, 10, 15)``.
    buffer_m
        Half-width of the band around reached streets, metres (default :data:`DEFAULT_BUFFER_M`).
    groups
        One label per source (e.g. facility type): sources with the same label give one merged
        polygon per band. ``None``: one polygon per source.
    quad_segs
        Segments per quarter circle of the buffer (4: at most 2 % of ``buffer_m`` off a circle).
    progress
        Called with (polygons done, polygons) as each polygon is dissolved, in order.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``source_id`` (or ``group``), ``max_minutes``, ``geometry``; one row per
        source/group and band, bands ascending, polygons nested; empty polygons where nothing is
        reached. CRS of the graph.
    """
    bands = np.unique(np.atleast_1d(np.asarray(max_minutes, dtype=float)))
    if len(bands) == 0 or not np.all(bands >= 0):
        raise ValueError(f"max_minutes must be one or more times >= 0, got {max_minutes!r}")
    if bands[-1] * 60 > table.max_seconds * (1 + 1e-12):
        raise ValueError(
            f"the largest band ({bands[-1]:g} min) exceeds the reach table's limit "
            f"({table.max_seconds / 60:g} min); compute reach with max_seconds >= "
            f"{bands[-1] * 60:g}"
        )
    if not buffer_m > 0:
        raise ValueError(f"buffer_m must be > 0, got {buffer_m}")
    if groups is None:
        origin = np.arange(table.n_sources)
        labels = np.asarray(table.source_ids)
        label_name = "source_id"
    else:
        groups = np.asarray(groups)
        if len(groups) != table.n_sources:
            raise ValueError(f"{len(groups)} group labels for {table.n_sources} sources")
        origin, labels = pd.factorize(groups)
        labels = np.asarray(labels)
        label_name = "group"
    n_origins = len(labels)
    n_edges = len(graph.edge_geometry)

    threads = _threads()
    incidence = _incidence(graph)
    degree = np.diff(incidence[0])
    o_all, node_all, t_all = _min_times(table, origin, n_origins)
    polys = np.empty((n_origins, len(bands)), dtype=object)
    previous: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for j, minutes in enumerate(bands):
        band_s = minutes * 60.0
        o, rows, a, b = _edge_pieces(graph, table, o_all, node_all, t_all, band_s, incidence)
        po, prow, pa, pb, leg_origin, legs = _point_pieces(graph, table, origin, band_s)
        key, a, b = _merge_intervals(
            np.concatenate([o, po]) * n_edges + np.concatenate([rows, prow]),
            np.concatenate([a, pa]),
            np.concatenate([b, pb]),
        )
        keep = b - a > _EPS
        key, a, b = key[keep], a[keep], b[keep]
        # Pieces already drawn in the previous band are inside its polygon: only draw the rest.
        new = np.ones(len(key), dtype=bool)
        if previous is not None:
            old = pd.MultiIndex.from_arrays(previous)
            new = ~pd.MultiIndex.from_arrays([key, a, b]).isin(old)
        previous = (key, a, b)
        lines = _substrings(graph.edge_geometry, key[new] % n_edges, a[new], b[new])
        # Reached nodes with no time left or no walkable edge: their position.
        bare = (t_all <= band_s) & (
            (band_s - t_all <= _EPS * max(1.0, band_s)) | (degree[node_all] == 0)
        )
        geoms = np.concatenate(
            [lines, legs, shapely.points(graph.node_xy[node_all[bare]]).reshape(-1)]
        )
        owner = np.concatenate([key[new] // n_edges, leg_origin, o_all[bare]]).astype(np.int64)
        buffers = _in_slices(
            lambda g: shapely.buffer(g, buffer_m, quad_segs=quad_segs), geoms, threads
        )
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], np.arange(n_origins + 1))

        groups = [buffers[order[bounds[i] : bounds[i + 1]]] for i in range(n_origins)]
        previous_band = polys[:, j - 1] if j > 0 else None
        # GEOS runs without the GIL: the polygons of a band are dissolved on every core, each
        # on its own (the same polygons in any order)
        total = n_origins * len(bands)
        if threads > 1 and n_origins > 1:
            with ThreadPoolExecutor(threads) as pool:
                done = pool.map(_dissolve, groups, _previous(previous_band, n_origins))
                for i, poly in enumerate(done):
                    polys[i, j] = poly
                    if progress is not None:
                        progress(j * n_origins + i + 1, total)
        else:
            for i in range(n_origins):
                polys[i, j] = _dissolve(
                    groups[i], None if previous_band is None else previous_band[i]
                )
                if progress is not None:
                    progress(j * n_origins + i + 1, total)
    flat = polys.reshape(-1)
    _make_valid(flat)
    result = gpd.GeoDataFrame(
        {
            label_name: np.repeat(labels, len(bands)),
            "max_minutes": np.tile(bands, n_origins),
        },
        geometry=flat,
        crs=graph.crs,
    )
    log.info(
        "isochrone_polygons returned %d polygons (%d %s x %d bands, buffer %.0f m)",
        len(result),
        n_origins,
        "groups" if groups is not None else "sources",
        len(bands),
        buffer_m,
    )
    return result


def merge_polygons(
    polygons: gpd.GeoDataFrame,
    groups: Sequence | np.ndarray,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> gpd.GeoDataFrame:
    """Per-group isochrones from per-source ones: the union of each group's polygons per band.

    The polygons of ``isochrone_polygons(..., groups=groups)`` (a group's polygon is the union of
    its sources' polygons), from the polygons already drawn rather than from every street part
    again: each group and band is one ``shapely.union_all`` of its sources' polygons, the
    largest groups first, on every core. Both inscribe the same band around the streets; where
    one source's part of a street ends inside another's, its round end keeps its own vertices,
    so a merged polygon may exceed the one drawn from the parts by about a millionth of its
    area (never less than it, to rounding).

    Parameters
    ----------
    polygons
        Per-source polygons from :func:`isochrone_polygons` (``groups=None``): one row per
        source and band, sources in the reach table's order, bands ascending.
    groups
        One label per source, as ``groups`` of :func:`isochrone_polygons`.
    progress
        Called with (polygons done, polygons) as each merged polygon is done.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``group``, ``max_minutes``, ``geometry``, as :func:`isochrone_polygons` returns
        with ``groups``: groups in order of first appearance, bands ascending.
    """
    groups = np.asarray(groups)
    bands = np.unique(polygons["max_minutes"].to_numpy(dtype=float))
    if len(polygons) != len(groups) * len(bands):
        raise ValueError(
            f"{len(groups)} group labels for {len(polygons)} polygons in {len(bands)} bands: "
            "give one label per source of the per-source polygons"
        )
    origin, labels = pd.factorize(groups)
    labels = np.asarray(labels)
    geoms = polygons.geometry.to_numpy().reshape(len(groups), len(bands))
    jobs = [(i, j, geoms[origin == i, j]) for i in range(len(labels)) for j in range(len(bands))]
    jobs.sort(key=lambda job: -len(job[2]))  # the largest first: the cores finish together
    out = np.empty((len(labels), len(bands)), dtype=object)
    threads = _threads()

    def union(job: tuple[int, int, np.ndarray]) -> shapely.Geometry:
        return shapely.union_all(job[2])

    with ThreadPoolExecutor(threads if len(jobs) > 1 else 1) as pool:
        for n, ((i, j, _), poly) in enumerate(zip(jobs, pool.map(union, jobs), strict=True)):
            out[i, j] = poly if not poly.is_empty else shapely.Polygon()
            if progress is not None:
                progress(n + 1, len(jobs))
    flat = out.reshape(-1)
    _make_valid(flat)
    return gpd.GeoDataFrame(
        {"group": np.repeat(labels, len(bands)), "max_minutes": np.tile(bands, len(labels))},
        geometry=flat,
        crs=polygons.crs,
    )
