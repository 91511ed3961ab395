"""Relations between sites and units that the rules need, computed once when the problem is built.

- :func:`locate`: the 街道/镇 or 社区/村 polygon holding each site (as :mod:`siting.indicators`);
- :func:`health_distance_m`: straight-line metres from each center to its matching health facility
  (街道中心–社区卫生服务中心, 镇中心–乡镇卫生院, a 医院 for both; 001 §二(五), 000 ch.6 §1);
- :func:`hub_pair_arrays` and :func:`site_walk_seconds`: the (station, center) pairs of 中心带站
  (001 §二(三)): same 街道/镇, or within ``hub_reach_minutes`` walking (staff walk to the stations
  they run), or ``hub_reach_m`` straight line;
- :func:`spacing_pairs`: options of one type closer than its minimum spacing;
- :func:`sharing_shares`: the share of each community's elderly an option covers (the sharing rule
  for small 社区, 001 §二(一));
- :func:`community_table`: the communities with the elderly of their demand points.

Straight lines for health adjacency and spacing (planning relations between two sites); walking
time for the hub reach.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix

from isochrones.od import od_times
from isochrones.snap import snap_points
from siting.indicators import HEALTH_FOR_CENTER, _locate
from siting.standards import CENTER_TYPES

if TYPE_CHECKING:
    import geopandas as gpd

    from isochrones import WalkGraph

__all__ = [
    "community_table",
    "health_distance_m",
    "hub_pair_arrays",
    "locate",
    "sharing_shares",
    "site_walk_seconds",
    "spacing_pairs",
]

log = logging.getLogger(__name__)


def locate(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Position of the polygon holding each point (−1 if none), as :mod:`siting.indicators` does."""
    return _locate(np.asarray(points, dtype=object), np.asarray(polygons, dtype=object))


def health_distance_m(
    geoms: np.ndarray, types: np.ndarray, health: gpd.GeoDataFrame | None
) -> np.ndarray:
    """Straight-line metres from each center to its nearest matching health facility.

    NaN for types that are not centers; ``inf`` when there is no matching health facility.
    """
    out = np.full(len(geoms), np.nan)
    is_center = np.isin(types, CENTER_TYPES)
    out[is_center] = np.inf
    if health is None or len(health) == 0 or not is_center.any():
        return out
    h_geoms = np.asarray(health.geometry.array, dtype=object)
    h_types = health["type"].to_numpy()
    for center_type, matching in HEALTH_FOR_CENTER.items():
        sel = np.flatnonzero(types == center_type)
        ok = np.isin(h_types, matching)
        if len(sel) == 0 or not ok.any():
            continue
        tree = shapely.STRtree(h_geoms[ok])
        _, dist = tree.query_nearest(
            np.asarray(geoms, dtype=object)[sel], return_distance=True, all_matches=False
        )
        out[sel] = dist
    return out


def site_walk_seconds(
    graph: WalkGraph,
    origins: np.ndarray,
    destinations: np.ndarray,
    *,
    max_seconds: float,
    max_snap_m: float,
) -> csr_matrix:
    """(origins × destinations) walking seconds between sites, stored within ``max_seconds``."""
    so = snap_points(
        graph,
        np.asarray(origins, dtype=object),
        max_snap_m=max_snap_m,
        point_ids=np.arange(len(origins)),
    )
    sd = snap_points(
        graph,
        np.asarray(destinations, dtype=object),
        max_snap_m=max_snap_m,
        point_ids=np.arange(len(destinations)),
    )
    return od_times(graph, so, sd, max_seconds=max_seconds).seconds.tocsr()


def hub_pair_arrays(
    station_opts: np.ndarray,
    center_opts: np.ndarray,
    street: np.ndarray,
    reach: csr_matrix,
) -> tuple[np.ndarray, np.ndarray]:
    """Allowed (station option, center option) pairs: same 街道/镇, or ``reach`` (centers × stations) stored.

    Returns the option positions of the stations and of the centers, one entry per pair.
    """
    if len(station_opts) == 0 or len(center_opts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    same = (street[center_opts][:, None] == street[station_opts][None, :]) & (
        street[center_opts][:, None] >= 0
    )
    allowed = (reach.astype(bool).toarray() if reach.nnz else np.zeros(same.shape, bool)) | same
    c, s = np.nonzero(allowed)
    return station_opts[s], center_opts[c]


def spacing_pairs(
    geoms: np.ndarray,
    types: np.ndarray,
    groups: np.ndarray,
    candidates: np.ndarray,
    min_spacing_m: Mapping[str, float],
) -> np.ndarray:
    """(n, 2) option positions of one type closer than its minimum spacing, at different sites.

    Only pairs among ``candidates`` (options that may open, fixed ones included) are returned.
    """
    out = []
    for t, dist in min_spacing_m.items():
        sel = np.flatnonzero(candidates & (types == t))
        if len(sel) < 2 or not dist > 0:
            continue
        g = np.asarray(geoms, dtype=object)[sel]
        a, b = shapely.STRtree(g).query(g, predicate="dwithin", distance=float(dist))
        keep = (a < b) & (groups[sel[a]] != groups[sel[b]])
        out.append(np.column_stack([sel[a[keep]], sel[b[keep]]]))
    return np.concatenate(out) if out else np.zeros((0, 2), np.int64)


def sharing_shares(
    cover: csr_matrix,
    elderly: np.ndarray,
    demand_community: np.ndarray,
    n_communities: int,
    columns: np.ndarray,
) -> csr_matrix:
    """(communities × options) share of each community's elderly that option ``j`` covers.

    Only the ``columns`` (option positions) are filled; demand points outside every community are
    left out.
    """
    k = cover.shape[1]
    sub = cover[:, columns].tocoo()
    inside = demand_community[sub.row] >= 0
    rows, cols = demand_community[sub.row[inside]], columns[sub.col[inside]]
    el = elderly[sub.row[inside]]
    covered = coo_matrix((el, (rows, cols)), shape=(n_communities, k)).tocsr()
    covered.sum_duplicates()
    totals = np.bincount(
        demand_community[demand_community >= 0],
        weights=elderly[demand_community >= 0],
        minlength=n_communities,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(totals > 0, 1.0 / totals, 0.0)
    return csr_matrix(covered.multiply(inv[:, None]))


def community_table(
    communities: pd.DataFrame, demand_community: np.ndarray, elderly: np.ndarray
) -> pd.DataFrame:
    """Communities with the elderly of their demand points (``elderly``), for the rules above."""
    out = communities[["code", "name", "street_code", "kind"]].reset_index(drop=True).copy()
    inside = demand_community >= 0
    out["elderly"] = np.bincount(
        demand_community[inside], weights=elderly[inside], minlength=len(out)
    )
    return out
