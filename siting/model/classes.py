"""Demand classes: points with the same covering decisions share one coverage variable per period.

Demand points already covered by a fixed, uncapacitated option are constants. The others are
grouped by the set of variable (or capacitated) options that cover them and by their 社区/村 (so
that targets per 社区/村 stay exact); a class's weight in period ``j`` is the sum of its points'
weighted demand grown to that period. This is exact, and why the model is small: no variable or
term exists for a pair that does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix

if TYPE_CHECKING:
    from siting.model.problem import SitingProblem

__all__ = ["Classes", "demand_classes", "filter_columns"]


def filter_columns(a: csr_matrix, keep: np.ndarray) -> csr_matrix:
    """``a`` with the entries of the columns not in ``keep`` removed (same shape)."""
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    sel = keep[a.indices]
    out = csr_matrix(
        (np.ones(int(sel.sum()), dtype=bool), (rows[sel], a.indices[sel])), shape=a.shape
    )
    out.sort_indices()
    return out


@dataclass(frozen=True, eq=False)
class Classes:
    point_class: np.ndarray  # (m,) class of each point, −1: constant or unreachable
    const_covered: np.ndarray  # (m,) covered by a fixed uncapacitated option
    weight: np.ndarray  # (n_q, T)
    elderly: np.ndarray  # (n_q, T)
    community: np.ndarray  # (n_q,)
    unc: csr_matrix  # (n_q, K) variable uncapacitated options covering the class
    cap: csr_matrix  # (n_q, K) capacitated options (fixed or not) covering the class

    def __len__(self) -> int:
        return len(self.community)


def demand_classes(problem: SitingProblem, capacitated: np.ndarray) -> Classes:
    cover = problem.cover
    allowed = problem.allowed
    fixed = problem.options["fixed"].to_numpy()
    m = cover.shape[0]
    const = (cover @ (allowed & fixed & ~capacitated).astype(np.int64)) > 0
    sub = filter_columns(cover, allowed & (~fixed | capacitated))
    nnz = np.diff(sub.indptr)
    point_class = np.full(m, -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    reps: list[int] = []
    dc = problem.demand_community
    for i in np.flatnonzero(~const & (nnz > 0)):
        key = sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes()
        key += int(dc[i]).to_bytes(8, "little", signed=True)
        c = keys.get(key)
        if c is None:
            c = keys[key] = len(reps)
            reps.append(int(i))
        point_class[i] = c
    n = len(reps)
    member = point_class >= 0
    g = problem.growth
    T = g.shape[1]
    weight = np.zeros((n, T))
    elderly = np.zeros((n, T))
    for j in range(T):
        weight[:, j] = np.bincount(
            point_class[member], weights=(problem.matrix.weights * g[:, j])[member], minlength=n
        )
        elderly[:, j] = np.bincount(
            point_class[member], weights=(problem.matrix.elderly * g[:, j])[member], minlength=n
        )
    rep = np.asarray(reps, dtype=np.int64)
    cls_cover = sub[rep] if n else csr_matrix((0, cover.shape[1]), dtype=bool)
    return Classes(
        point_class=point_class,
        const_covered=const,
        weight=weight,
        elderly=elderly,
        community=dc[rep] if n else np.zeros(0, np.int64),
        unc=filter_columns(cls_cover, ~capacitated),
        cap=filter_columns(cls_cover, capacitated),
    )
