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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from isochrones.errors import Problem
from isochrones.snap import SnappedPoints
from isochrones.walktime import WalkGraph, arcs_to_csr

__all__ = ["DEFAULT_MAX_BLOCK_MB", "Direction", "ReachTable", "reach", "source_warnings"]

log = logging.getLogger(__name__)

Direction = Literal["from_sources", "to_sources"]

#: Default memory bound of one dense batch of distances (MiB).
DEFAULT_MAX_BLOCK_MB = 256.0

#: Target size of one dense batch block, bytes (fits in a typical L2/L3 cache).
_CACHE_BLOCK_BYTES = 4 * 2**20


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
    n_cols = search.shape[0]
    # Batches small enough for the dense block to stay in cache (a few MiB: scanning it for the
    # few reached nodes costs more than the search when reach sets are small), and never above
    # the memory bound.
    memory_rows = max(1, int(max_block_mb * 2**20 // (8 * n_cols)))
    cache_rows = max(8, int(_CACHE_BLOCK_BYTES // (8 * n_cols)))
    batch = min(memory_rows, cache_rows)
    parts_s, parts_n, parts_t = [], [], []
    for start in range(0, len(active), batch):
        chunk = active[start : start + batch]
        dist = dijkstra(search, directed=True, indices=search_index[chunk], limit=max_seconds)
        flat_all = dist.ravel()
        flat = np.flatnonzero(flat_all < np.inf)
        r, c = np.divmod(flat, n_cols)
        keep = c < n  # drop the virtual source columns
        parts_s.append(chunk[r[keep]])
        parts_n.append(c[keep])
        parts_t.append(flat_all[flat[keep]])
    src = np.concatenate(parts_s).astype(np.int64) if parts_s else np.zeros(0, np.int64)
    node = np.concatenate(parts_n).astype(np.int64) if parts_n else np.zeros(0, np.int64)
    seconds = np.concatenate(parts_t) if parts_t else np.zeros(0)

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
    log.info(
        "reach (%s, %.0f s) from %d sources returned %s reached pairs in %d batches; "
        "%d sources on islands, %.1f%% of walkable nodes outside the largest component",
        direction,
        max_seconds,
        k,
        f"{len(src):,}",
        -(-len(active) // batch),
        int(island.sum()),
        100 * graph.summary()["share_outside_largest_component"],
    )
    return table
