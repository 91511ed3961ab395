"""Bounded shortest walking times from many sources at once.

:func:`reach` runs ``scipy.sparse.csgraph.dijkstra`` (compiled) from batches of sources with a
time limit and keeps only the reached (source, node, seconds) triples. The batch size keeps the
dense ``batch × n`` float64 block that scipy returns under ``max_block_mb``.

Sources are graph nodes (node ids) or off-network points snapped to edges
(:class:`~isochrones.snap.SnappedPoints`). A point ``p`` on edge (u, v) at fraction ``f`` becomes
a virtual node with two arcs whose times are exact partial arc times along the edge's time profile
plus the access leg: from ``p`` to ``u`` is the v→u arc's time from ``p`` onwards, from ``p`` to
``v`` the u→v arc's time from ``p`` onwards (and the other way round for ``to_sources``).

Direction
    ``"from_sources"``: time from each source to the nodes (a facility's outreach).
    ``"to_sources"``: time from the nodes to each source, searched on the transposed graph.
    Uphill and downhill differ, so the two are not the same; coverage of homes by a facility is
    the time a resident walks *from home to the facility*, i.e. ``"to_sources"`` with the
    facilities as sources.

Sources on islands (components other than the largest) are reported as warnings.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from isochrones.errors import Problem
from isochrones.snap import SnappedPoints
from isochrones.walktime import WalkGraph, arcs_to_csr, max_speed_mps

__all__ = ["DEFAULT_MAX_BLOCK_MB", "Direction", "ReachTable", "reach", "source_warnings"]

log = logging.getLogger(__name__)

Direction = Literal["from_sources", "to_sources"]

#: Default memory bound of one dense batch of distances (MiB).
DEFAULT_MAX_BLOCK_MB = 256.0

#: Target size of one dense batch block, bytes (fits in a typical L2/L3 cache).
_CACHE_BLOCK_BYTES = 4 * 2**20

#: Graphs of at least this many nodes are searched locally (:func:`_local_groups`): each group
#: of nearby sources on the nodes within its walk's reach, so that a source costs what its walk
#: reaches, not the size of the graph. Smaller graphs are searched whole (no gain below this).
LOCAL_MIN_NODES = 20_000

#: Cost of cutting one node's arcs out of the graph for a local search, in units of one node of a
#: whole-graph search (its dense row's initialisation and scan): about 200 (0.24 µs against
#: 1.1 ns, scripts/bench_reach_scale.py).
_EXTRACT_VS_SCAN = 200

#: Per graph: its fastest speed and a tree of its nodes, for the local searches.
_GEOMETRY_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class ReachTable:
    """Reached (source, node, seconds) triples, sorted by source then node.

    Attributes
    ----------
    source
        (r,) int64 position of the source in ``source_ids``.
    node
        (r,) int64 node position in the graph (``graph.node_ids[node]`` is the id).
    seconds
        (r,) float64 walking time, ``<= max_seconds``.
    source_ids
        (k,) the sources' ids (node ids, or the points' ids).
    source_node
        (k,) node position of node sources; −1 for point sources.
    points
        The snapped points when the sources are points, else None.
    max_seconds, direction
        The limit and direction searched.
    n_nodes
        Number of nodes of the graph.
    problems
        Warnings: sources on islands, and the points' snapping warnings.
    """

    source: np.ndarray
    node: np.ndarray
    seconds: np.ndarray
    source_ids: np.ndarray
    source_node: np.ndarray
    points: SnappedPoints | None
    max_seconds: float
    direction: Direction
    n_nodes: int
    problems: tuple[Problem, ...] = ()

    @property
    def n_sources(self) -> int:
        return len(self.source_ids)

    def __repr__(self) -> str:
        return (
            f"ReachTable({self.n_sources} sources, {len(self.node):,} reached pairs, "
            f"{self.direction}, max_seconds={self.max_seconds:g}, {len(self.problems)} warnings)"
        )

    def to_csr(self) -> csr_matrix:
        """k × n CSR matrix of seconds; a source's own node is an explicit 0 entry.

        Absent entries mean *not reached*, not 0: use the matrix's sparsity pattern.
        """
        indptr = np.zeros(self.n_sources + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.source, minlength=self.n_sources), out=indptr[1:])
        return csr_matrix((self.seconds, self.node, indptr), shape=(self.n_sources, self.n_nodes))

    def to_frame(self, graph: WalkGraph) -> pd.DataFrame:
        """DataFrame with columns ``source_id``, ``node_id``, ``seconds``."""
        return pd.DataFrame(
            {
                "source_id": self.source_ids[self.source],
                "node_id": graph.node_ids[self.node],
                "seconds": self.seconds,
            }
        )


def _virtual_arcs(
    graph: WalkGraph, points: SnappedPoints, direction: Direction
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arcs of the search graph from each attached point's virtual node to both edge ends.

    Returns the positions of the attached points, and per arc: the virtual node's rank among
    them, the node position reached and the seconds.
    """
    ok = np.flatnonzero(points.is_snapped)
    rows = points.edge_row[ok]
    f = points.fraction[ok]
    access = points.access_s[ok]
    from_u = graph.seconds_from_u(rows, f)  # u → p along the u→v arc
    from_v = graph.seconds_from_v(rows, f)  # v → p along the v→u arc
    if direction == "from_sources":
        total_uv = graph.seconds_from_u(rows, np.ones(len(rows)))
        total_vu = graph.seconds_from_v(rows, np.zeros(len(rows)))
        to_u = access + (total_vu - from_v) + graph.delay_vu_s[rows]  # p → u along v→u
        to_v = access + (total_uv - from_u) + graph.delay_uv_s[rows]  # p → v along u→v
    else:  # arcs of the transposed graph: u → p and v → p walked forwards
        to_u = access + from_u
        to_v = access + from_v
    # one-way edges (respect_oneway): p → u and v → p would walk v→u
    no_vu = graph.edge_no_vu[rows]
    if direction == "from_sources":
        to_u = np.where(no_vu, np.inf, to_u)
    else:
        to_v = np.where(no_vu, np.inf, to_v)
    rank = np.arange(len(ok))
    seconds = np.concatenate([to_u, to_v])
    keep = np.isfinite(seconds)
    return (
        ok,
        np.concatenate([rank, rank])[keep],
        np.concatenate([graph.edge_u[rows], graph.edge_v[rows]])[keep],
        seconds[keep],
    )


def _with_virtual_rows(
    base: csr_matrix, rank: np.ndarray, head: np.ndarray, seconds: np.ndarray, k: int
) -> csr_matrix:
    """``base`` (n×n) grown by ``k`` virtual nodes whose only arcs leave them (rows n..n+k−1)."""
    n = base.shape[0]
    virtual = arcs_to_csr(rank, head, seconds, k, n_cols=n)
    indptr = np.concatenate([base.indptr, base.indptr[-1] + virtual.indptr[1:]])
    return csr_matrix(
        (
            np.concatenate([base.data, virtual.data]),
            np.concatenate([base.indices, virtual.indices]),
            indptr,
        ),
        shape=(n + k, n + k),
    )


def _island_warnings(graph, source_ids, source_node, points, island) -> list[Problem]:
    """One warning per source on an island (a component other than the largest)."""
    problems: list[Problem] = []
    for i in np.flatnonzero(island):
        comp = graph.component[
            source_node[i] if source_node[i] >= 0 else graph.edge_u[points.edge_row[i]]
        ]
        size = int((graph.component == comp).sum())
        problems.append(
            Problem(
                "sources",
                f"the source is on an island of {size} nodes, cut off from the main walking "
                "network",
                row=str(source_ids[i]),
                hint="check for missing links (bridges, stairs, footways) or access tags",
                severity="warning",
            )
        )
    return problems


def source_warnings(graph: WalkGraph, points: SnappedPoints) -> list[Problem]:
    """The warnings :func:`reach` gives for snapped sources: not attached, or on an island."""
    ok = np.flatnonzero(points.is_snapped)
    island = np.zeros(len(points), dtype=bool)
    island[ok] = graph.component[graph.edge_u[points.edge_row[ok]]] != 0
    source_node = np.full(len(points), -1, dtype=np.int64)
    return [
        *points.problems,
        *_island_warnings(graph, points.point_ids, source_node, points, island),
    ]


def _graph_geometry(graph: WalkGraph) -> tuple[float, cKDTree]:
    """The graph's fastest walking speed (m/s) and a k-d tree of its nodes (cached per graph)."""
    cached = _GEOMETRY_CACHE.get(graph)
    if cached is None:
        cached = (max_speed_mps(graph), cKDTree(graph.node_xy))
        _GEOMETRY_CACHE[graph] = cached
    return cached


def _source_xy(graph: WalkGraph, points: SnappedPoints | None, source_node, active) -> np.ndarray:
    """Where each active source's search starts: its node, or its point on its edge."""
    if points is None:
        return graph.node_xy[source_node[active]]
    return shapely.get_coordinates(np.asarray(list(points.snapped[active]), dtype=object))


def _local_groups(
    graph: WalkGraph, xy: np.ndarray, max_seconds: float
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Groups of nearby sources and the graph nodes each group's walks can reach.

    Every node of a walk of at most ``max_seconds`` lies within ``halo = max_seconds × v_max``
    (+1 m) of where the walk starts (``v_max``: :func:`~isochrones.walktime.max_speed_mps`), so a
    search on the nodes within the halo of a group of sources gives exactly the whole graph's
    times (the same arcs summed in the same order). Sources are grouped by squares as wide as
    the halo; each group's nodes are those within its sources' bounding circle plus the halo.
    Returns ``(positions among xy, node positions)`` per group, or None when the groups would
    cover most of the graph anyway.
    """
    v_max, tree = _graph_geometry(graph)
    halo = max_seconds * v_max + 1.0
    cell = max(halo, 1.0)
    key = np.floor(xy / cell).astype(np.int64)
    order = np.lexsort((key[:, 0], key[:, 1]))
    bounds = np.flatnonzero(np.any(np.diff(key[order], axis=0) != 0, axis=1)) + 1
    split = np.split(order, bounds)
    lo = np.array([xy[m].min(axis=0) for m in split])
    hi = np.array([xy[m].max(axis=0) for m in split])
    centre = (lo + hi) / 2
    radius = np.hypot(*(hi - lo).T) / 2 + halo
    found = tree.query_ball_point(centre, radius, return_sorted=True)
    groups = [
        (members, np.asarray(nodes, dtype=np.int64))
        for members, nodes in zip(split, found, strict=True)
    ]
    extracted = sum(len(nodes) for _, nodes in groups)
    # Cutting a group's graph out costs about _EXTRACT_VS_SCAN times what scanning one node of
    # a whole-graph search costs (measured by scripts/bench_reach_scale.py): search locally
    # only where that is cheaper.
    if extracted * _EXTRACT_VS_SCAN >= graph.n_nodes * len(xy):
        return None
    return groups


class _Scratch:
    """Two arrays over the search graph's nodes, reused by every block of one :func:`reach`
    call: which set last claimed a node (its stamp) and the node's position in that set's block.
    Filling them costs a set's nodes, not the graph's."""

    def __init__(self, size: int) -> None:
        self.stamp = np.full(size, -1, dtype=np.int64)
        self.local = np.zeros(size, dtype=np.int64)
        self.next_stamp = 0


def _block_subsearch(
    search: csr_matrix, row_sets: list[np.ndarray], scratch: _Scratch | None = None
) -> tuple[csr_matrix, np.ndarray]:
    """The search graphs induced by each row set (ascending positions), side by side.

    One block-diagonal graph holds a copy of each set's induced graph (so a node in two sets is
    two nodes), its rows in the order of the sets and within a set ascending, each row's arcs
    in ``search``'s order; returns it and the sorted keys ``set × N + position`` of its nodes
    (``N`` the search graph's size), by which a set's node is found (:func:`numpy.searchsorted`).
    An arc's head is looked up in ``scratch`` (made here when not given), so the cost follows
    the sets' nodes and arcs.
    """
    size = search.shape[0]
    if scratch is None:
        scratch = _Scratch(size)
    rows = np.concatenate(row_sets)
    owner = np.repeat(np.arange(len(row_sets), dtype=np.int64), [len(r) for r in row_sets])
    keys = owner * size + rows  # sorted: sets in order, each ascending
    start, stop = search.indptr[rows], search.indptr[rows + 1]
    counts = stop - start
    take = np.repeat(stop - np.cumsum(counts), counts) + np.arange(int(counts.sum()))
    heads = search.indices[take]
    col = np.empty(len(take), dtype=np.int64)
    keep = np.empty(len(take), dtype=bool)
    arc_ptr = np.concatenate(([0], np.cumsum(counts)))
    offset = 0
    for r in row_sets:
        stamp = scratch.next_stamp
        scratch.next_stamp += 1
        scratch.stamp[r] = stamp
        scratch.local[r] = offset + np.arange(len(r))
        a, b = arc_ptr[offset], arc_ptr[offset + len(r)]
        h = heads[a:b]
        keep[a:b] = scratch.stamp[h] == stamp  # arcs leaving the set are dropped
        col[a:b] = scratch.local[h]
        offset += len(r)
    row_of = np.repeat(np.arange(len(rows)), counts)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of[keep], minlength=len(rows)), out=indptr[1:])
    sub = csr_matrix((search.data[take][keep], col[keep], indptr), shape=(len(rows), len(rows)))
    return sub, keys


def _search(
    search: csr_matrix,
    search_index: np.ndarray,
    active: np.ndarray,
    rows: np.ndarray | None,
    n: int,
    max_seconds: float,
    max_block_mb: float,
    parts_s: list,
    parts_n: list,
    parts_t: list,
    owner: np.ndarray | None = None,
) -> int:
    """Dijkstra from ``search_index[active]`` on ``search`` in batches; appends the reached
    (source, node, seconds) triples (``rows``: graph positions of ``search``'s nodes, None when
    it is the whole graph; ``owner``: the sources' positions, default ``active``)."""
    n_cols = search.shape[0]
    # Batches small enough for the dense block to stay in cache (a few MiB: scanning it for the
    # few reached nodes costs more than the search when reach sets are small), and never above
    # the memory bound.
    memory_rows = max(1, int(max_block_mb * 2**20 // (8 * n_cols)))
    cache_rows = max(8, int(_CACHE_BLOCK_BYTES // (8 * n_cols)))
    batch = min(memory_rows, cache_rows)
    owner = active if owner is None else owner
    batches = 0
    for start in range(0, len(active), batch):
        chunk = active[start : start + batch]
        dist = dijkstra(search, directed=True, indices=search_index[chunk], limit=max_seconds)
        flat_all = dist.ravel()
        flat = np.flatnonzero(flat_all < np.inf)
        r, c = np.divmod(flat, n_cols)
        if rows is not None:
            c = rows[c]
        keep = c < n  # drop the virtual source columns
        parts_s.append(owner[start : start + batch][r[keep]])
        parts_n.append(c[keep])
        parts_t.append(flat_all[flat[keep]])
        batches += 1
    return batches


def reach(
    graph: WalkGraph,
    sources: SnappedPoints | Sequence[int] | np.ndarray,
    *,
    max_seconds: float,
    direction: Direction = "from_sources",
    max_block_mb: float = DEFAULT_MAX_BLOCK_MB,
) -> ReachTable:
    """Walking times between sources and every node reachable within ``max_seconds``.

    Parameters
    ----------
    graph
        Walking graph from :func:`~isochrones.walktime.walking_arcs`.
    sources
        Node ids of the graph, or points snapped with :func:`~isochrones.snap.snap_points`.
    max_seconds
        Time limit in seconds (inclusive).
    direction
        {"from_sources", "to_sources"}; see the module docstring. Coverage of homes by
        facilities uses ``"to_sources"`` (home → facility).
    max_block_mb
        Memory bound of one batch's dense distance block, MiB.

    Returns
    -------
    ReachTable
    """
    if not (np.isfinite(max_seconds) and max_seconds >= 0):
        raise ValueError(f"max_seconds must be a finite number >= 0, got {max_seconds}")
    if direction not in ("from_sources", "to_sources"):
        raise ValueError(f"direction must be 'from_sources' or 'to_sources', got {direction!r}")
    if not max_block_mb > 0:
        raise ValueError(f"max_block_mb must be > 0, got {max_block_mb}")
    n = graph.n_nodes
    base = graph.matrix if direction == "from_sources" else graph.matrix_transposed
    problems: list[Problem] = []

    if isinstance(sources, SnappedPoints):
        points = sources
        source_ids = points.point_ids
        k = len(points)
        source_node = np.full(k, -1, dtype=np.int64)
        ok, rank, to_node, cost = _virtual_arcs(graph, points, direction)
        search_index = np.full(k, -1, dtype=np.int64)
        search_index[ok] = n + np.arange(len(ok))
        search = _with_virtual_rows(base, rank, to_node, cost, len(ok))
        island = np.zeros(k, dtype=bool)
        island[ok] = graph.component[graph.edge_u[points.edge_row[ok]]] != 0
        problems.extend(points.problems)
    else:
        points = None
        source_ids = np.atleast_1d(np.asarray(sources))
        source_node = graph.node_positions(source_ids)
        k = len(source_ids)
        search_index = source_node
        search = base
        island = graph.component[source_node] != 0

    problems.extend(_island_warnings(graph, source_ids, source_node, points, island))

    active = np.flatnonzero(search_index >= 0)
    groups = None
    if n >= LOCAL_MIN_NODES and len(active):
        groups = _local_groups(graph, _source_xy(graph, points, source_node, active), max_seconds)
    parts_s, parts_n, parts_t = [], [], []
    batches = 0
    if groups is None:  # the whole graph for every source
        batches = _search(search, search_index, active, None, n, max_seconds, max_block_mb,
                          parts_s, parts_n, parts_t)  # fmt: skip
    else:
        size = search.shape[0]
        scratch = _Scratch(size)
        budget = _CACHE_BLOCK_BYTES // 8  # cells of the dense block of one search
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        cells = sources_in = nodes_in = 0

        def flush() -> int:
            # groups side by side in one graph: one search call for all their sources
            chunk = np.concatenate([active[m] for m, _ in pending])
            sets = [np.concatenate([nd, np.sort(search_index[active[m]][search_index[active[m]] >= n])])
                    for m, nd in pending]  # fmt: skip
            sub, keys = _block_subsearch(search, sets, scratch)
            gid = np.repeat(np.arange(len(pending)), [len(m) for m, _ in pending])
            local = np.searchsorted(keys, gid * size + search_index[chunk])
            rows = keys % size
            return _search(sub, local, np.arange(len(chunk)), rows, n, max_seconds,
                           max_block_mb, parts_s, parts_n, parts_t, owner=chunk)  # fmt: skip

        for members, nodes in groups:
            k_g, m_g = len(members), len(nodes) + len(members)
            if pending and (sources_in + k_g) * (nodes_in + m_g) > budget:
                batches += flush()
                pending, sources_in, nodes_in = [], 0, 0
            pending.append((members, nodes))
            sources_in, nodes_in = sources_in + k_g, nodes_in + m_g
        if pending:
            batches += flush()
        del cells
    src = np.concatenate(parts_s).astype(np.int64) if parts_s else np.zeros(0, np.int64)
    node = np.concatenate(parts_n).astype(np.int64) if parts_n else np.zeros(0, np.int64)
    seconds = np.concatenate(parts_t) if parts_t else np.zeros(0)
    if groups is not None and len(src):  # sources in order, each source's nodes ascending
        order = np.argsort(src, kind="stable")
        src, node, seconds = src[order], node[order], seconds[order]

    table = ReachTable(
        source=src,
        node=node,
        seconds=seconds,
        source_ids=source_ids,
        source_node=source_node,
        points=points,
        max_seconds=float(max_seconds),
        direction=direction,
        n_nodes=n,
        problems=tuple(problems),
    )
    if log.isEnabledFor(logging.INFO):  # the graph's summary scans the whole graph
        log.info(
            "reach (%s, %.0f s) from %d sources returned %s reached pairs in %d batches; "
            "%d sources on islands, %.1f%% of walkable nodes outside the largest component",
            direction,
            max_seconds,
            k,
            f"{len(src):,}",
            batches,
            int(island.sum()),
            100 * graph.summary()["share_outside_largest_component"],
        )
    return table
