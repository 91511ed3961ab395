"""Point-to-point walking times between off-network points (homes → facilities, and the like).

:func:`od_times` answers "how long from each origin point to each destination point", both ends
off the network and attached to their nearest walkable edge (:func:`~isochrones.snap.snap_points`).
It is built on :func:`~isochrones.reach.reach`: one bounded search per destination on the
transposed graph (``direction="to_sources"``) gives ``T(x → d)`` for every node ``x``, and an
origin ``o`` on edge (u, v) at fraction ``f`` with access leg ``a_o`` then leaves through either
end of its edge::

    t(o → d) = min( a_o + t(p_o → u) + T(u → d),
                    a_o + t(p_o → v) + T(v → d),
                    direct(o, d) )

``t(p_o → u)`` is the v→u arc's time from ``p_o`` to ``u`` on the edge's time profile (slopes,
stairs) plus the arc's crossing delay, ``t(p_o → v)`` likewise along u→v. ``direct`` exists only
when ``o`` and ``d`` are attached to the *same* edge row: the walk along the edge between the two
snapped positions, in the direction of travel (u→v profile when ``d`` lies beyond ``o``, v→u
otherwise), plus both access legs. Without it two doors on one long street would have to walk to
a junction and back. Everything is exact within the time model: the result equals Dijkstra on the
graph with both points inserted as virtual nodes (the tests check this against networkx).

Searching from the destinations is the cheap side when they are few (facilities, candidate sites)
and the origins many (homes). The search is bounded by ``max_seconds``: a pair beyond it is absent
from the result, never approximated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from isochrones.errors import Problem
from isochrones.reach import DEFAULT_MAX_BLOCK_MB, reach
from isochrones.snap import SnappedPoints
from isochrones.walktime import WalkGraph

__all__ = ["ODMatrix", "od_times", "origin_warnings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ODMatrix:
    """Walking seconds from origin points to destination points, within a time limit.

    Attributes
    ----------
    origin_ids, destination_ids
        (m,) and (k,) the points' ids, in the order of the rows and columns.
    seconds
        (m, k) CSR matrix of walking seconds origin → destination. Only pairs within
        ``max_seconds`` are stored; an absent entry means *farther than the limit or not
        connected*, and a stored 0 is a real zero-second walk (same point). Use the sparsity
        pattern (``indptr``/``indices``), never ``matrix == 0``, to tell the two apart; scipy
        arithmetic may drop explicit zeros.
    max_seconds
        The limit searched (inclusive).
    problems
        Warnings: points not attached to the network, destinations on islands.
    """

    origin_ids: np.ndarray
    destination_ids: np.ndarray
    seconds: csr_matrix
    max_seconds: float
    problems: tuple[Problem, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return self.seconds.shape

    @property
    def n_pairs(self) -> int:
        return int(self.seconds.indptr[-1])

    def to_frame(self) -> pd.DataFrame:
        """Long table of the stored pairs: ``origin_id``, ``destination_id``, ``seconds``."""
        m = self.seconds
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        return pd.DataFrame(
            {
                "origin_id": self.origin_ids[rows],
                "destination_id": self.destination_ids[m.indices],
                "seconds": m.data,
            }
        )

    def __repr__(self) -> str:
        return (
            f"ODMatrix({self.shape[0]} origins × {self.shape[1]} destinations, "
            f"{self.n_pairs:,} pairs within {self.max_seconds:g} s, {len(self.problems)} warnings)"
        )


def _gather(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries of CSR rows ``rows`` (with repeats): (position in ``rows``, column, value)."""
    start = indptr[rows]
    count = indptr[rows + 1] - start
    which = np.repeat(np.arange(len(rows)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    pos = np.repeat(start, count) + (np.arange(len(which)) - first)
    return which, indices[pos], data[pos]


def _empty(origins: SnappedPoints, destinations: SnappedPoints, max_seconds: float, problems):
    shape = (len(origins), len(destinations))
    return ODMatrix(
        origin_ids=np.asarray(origins.point_ids),
        destination_ids=np.asarray(destinations.point_ids),
        seconds=csr_matrix(
            (np.zeros(0), np.zeros(0, np.int64), np.zeros(shape[0] + 1, np.int64)), shape=shape
        ),
        max_seconds=float(max_seconds),
        problems=tuple(problems),
    )


def origin_warnings(graph: WalkGraph, origins: SnappedPoints) -> list[Problem]:
    """Warnings for origins attached on islands cut off from the main walking network."""
    problems: list[Problem] = []
    ok = np.flatnonzero(origins.is_snapped)
    rows = origins.edge_row[ok]
    island = ok[graph.component[graph.edge_u[rows]] != 0]
    for i in island[:50]:
        problems.append(
            Problem(
                "origins",
                "the origin is on an island cut off from the main walking network",
                row=str(origins.point_ids[i]),
                severity="warning",
            )
        )
    if len(island) > 50:
        problems.append(
            Problem(
                "origins",
                f"{len(island)} origins in all lie on islands (first 50 listed)",
                severity="warning",
            )
        )
    return problems


def od_times(
    graph: WalkGraph,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    max_seconds: float,
    max_block_mb: float = DEFAULT_MAX_BLOCK_MB,
) -> ODMatrix:
    """Walking seconds from every origin point to every destination point within ``max_seconds``.

    Parameters
    ----------
    graph
        Walking graph from :func:`~isochrones.walktime.walking_arcs`.
    origins, destinations
        Points snapped to ``graph`` with :func:`~isochrones.snap.snap_points`. Points that are not
        attached get an empty row or column (and their snapping warnings are passed on).
    max_seconds
        Time limit in seconds (inclusive); pairs beyond it are not stored.
    max_block_mb
        Memory bound of one batch of the underlying :func:`~isochrones.reach.reach` search.

    Returns
    -------
    ODMatrix
        Sparse (origins × destinations) seconds; see its docstring for the meaning of absent
        entries.
    """
    if not (np.isfinite(max_seconds) and max_seconds >= 0):
        raise ValueError(f"max_seconds must be a finite number >= 0, got {max_seconds}")
    m, k = len(origins), len(destinations)
    problems: list[Problem] = list(origins.problems)
    if m == 0 or k == 0 or not origins.is_snapped.any() or not destinations.is_snapped.any():
        problems.extend(destinations.problems)
        return _empty(origins, destinations, max_seconds, problems)

    table = reach(
        graph,
        destinations,
        max_seconds=max_seconds,
        direction="to_sources",
        max_block_mb=max_block_mb,
    )
    problems.extend(table.problems)
    n = graph.n_nodes
    # Node-major table of T(node → destination): row = node, column = destination.
    order = np.lexsort((table.source, table.node))
    node_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(table.node, minlength=n), out=node_ptr[1:])
    node_dest = table.source[order]
    node_secs = table.seconds[order]

    ok = np.flatnonzero(origins.is_snapped)
    rows = origins.edge_row[ok]
    f = origins.fraction[ok]
    access = origins.access_s[ok]
    ones = np.ones(len(rows))
    # p → u walks the v→u arc from p onwards; p → v walks the u→v arc from p onwards.
    to_u = (
        access
        + (graph.seconds_from_v(rows, 0 * ones) - graph.seconds_from_v(rows, f))
        + graph.delay_vu_s[rows]
    )
    to_v = (
        access
        + (graph.seconds_from_u(rows, ones) - graph.seconds_from_u(rows, f))
        + graph.delay_uv_s[rows]
    )
    to_u = np.where(graph.edge_no_vu[rows], np.inf, to_u)  # one way (respect_oneway)
    parts_o, parts_d, parts_t = [], [], []
    for end_node, leg in ((graph.edge_u[rows], to_u), (graph.edge_v[rows], to_v)):
        which, dest, secs = _gather(node_ptr, node_dest, node_secs, end_node)
        parts_o.append(ok[which])
        parts_d.append(dest)
        parts_t.append(secs + leg[which])

    # Same edge: walk along it between the two snapped positions.
    dest_ok = np.flatnonzero(destinations.is_snapped)
    same = pd.merge(
        pd.DataFrame({"o": ok, "edge": rows}),
        pd.DataFrame({"d": dest_ok, "edge": destinations.edge_row[dest_ok]}),
        on="edge",
    )
    if len(same):
        o, d, e = (same[c].to_numpy() for c in ("o", "d", "edge"))
        fo, fd = origins.fraction[o], destinations.fraction[d]
        forward = graph.seconds_from_u(e, fd) - graph.seconds_from_u(e, fo)  # u→v, fd ≥ fo
        backward = graph.seconds_from_v(e, fd) - graph.seconds_from_v(e, fo)  # v→u, fd < fo
        backward = np.where(graph.edge_no_vu[e], np.inf, backward)
        along = np.where(fd >= fo, forward, backward)
        parts_o.append(o)
        parts_d.append(d)
        parts_t.append(origins.access_s[o] + np.maximum(along, 0.0) + destinations.access_s[d])

    o = np.concatenate(parts_o).astype(np.int64)
    d = np.concatenate(parts_d).astype(np.int64)
    t = np.concatenate(parts_t)
    keep = t <= max_seconds
    o, d, t = o[keep], d[keep], t[keep]
    order = np.lexsort((t, d, o))
    o, d, t = o[order], d[order], t[order]
    first = np.ones(len(o), dtype=bool)
    first[1:] = (o[1:] != o[:-1]) | (d[1:] != d[:-1])
    o, d, t = o[first], d[first], t[first]
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(o, minlength=m), out=indptr[1:])
    seconds = csr_matrix((t, d, indptr), shape=(m, k))

    problems.extend(origin_warnings(graph, origins))
    result = ODMatrix(
        origin_ids=np.asarray(origins.point_ids),
        destination_ids=np.asarray(destinations.point_ids),
        seconds=seconds,
        max_seconds=float(max_seconds),
        problems=tuple(problems),
    )
    log.info(
        "od_times returned %s pairs within %.0f s for %d origins × %d destinations",
        f"{len(t):,}",
        max_seconds,
        m,
        k,
    )
    return result
