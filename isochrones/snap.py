"""Attach off-network points (facilities, homes) to the nearest point of the nearest walkable edge.

A point is snapped to the closest point of the closest edge that has walking arcs (not to the
closest node: in a city of long blocks the nearest node can be 200 m away while the street is at
the door). The straight access leg from the point to the street is walked at the flat speed of
the walking model. Points farther than ``max_snap_m`` from every walkable edge are not attached;
each is reported as a warning with its id and distance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from isochrones.errors import Problem
from isochrones.walktime import WalkGraph

__all__ = ["DEFAULT_MAX_SNAP_M", "SnappedPoints", "snap_points"]

log = logging.getLogger(__name__)

#: Default largest access distance (m): farther points are reported, not attached. 300 m is a
#: third of the 15-minute circle's 800–1000 m (GB 50180-2018), beyond which a point is more
#: likely misplaced (wrong coordinates, GCJ-02 shift, missing streets) than really that far.
DEFAULT_MAX_SNAP_M = 300.0


@dataclass(frozen=True, eq=False)
class SnappedPoints:
    """Points attached to walkable edges.

    Attributes
    ----------
    point_ids
        (k,) the points' ids (the GeoSeries index or the ids passed).
    geometry
        (k,) the original points, in the graph's CRS.
    edge_row
        (k,) int64 positional row of the edge each point is attached to; −1 if not attached.
    fraction
        (k,) position of the snapped point along the edge geometry from u (0..1); NaN if not.
    snapped
        (k,) the snapped points on the edges (None if not attached).
    access_m
        (k,) straight distance to the nearest walkable edge (also for unattached points).
    access_s
        (k,) access leg time at the flat speed; NaN for unattached points.
    problems
        Warnings for points not attached.
    """

    point_ids: np.ndarray
    geometry: np.ndarray
    edge_row: np.ndarray
    fraction: np.ndarray
    snapped: np.ndarray
    access_m: np.ndarray
    access_s: np.ndarray
    max_snap_m: float
    problems: tuple[Problem, ...] = ()

    @property
    def is_snapped(self) -> np.ndarray:
        return self.edge_row >= 0

    def __len__(self) -> int:
        return len(self.point_ids)

    def __repr__(self) -> str:
        return (
            f"SnappedPoints({len(self)} points, {int(self.is_snapped.sum())} attached, "
            f"max_snap_m={self.max_snap_m:g}, {len(self.problems)} warnings)"
        )


def _as_points(
    points: gpd.GeoSeries | gpd.GeoDataFrame | Sequence | np.ndarray, crs: pyproj.CRS
) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(points, gpd.GeoDataFrame):
        points = points.geometry
    if isinstance(points, gpd.GeoSeries):
        if points.crs is not None and not pyproj.CRS.from_user_input(points.crs).equals(crs):
            points = points.to_crs(crs)
        return np.asarray(points.array, dtype=object), points.index.to_numpy()
    return np.asarray(points, dtype=object), None


def snap_points(
    graph: WalkGraph,
    points: gpd.GeoSeries | gpd.GeoDataFrame | Sequence | np.ndarray,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    point_ids: Sequence | np.ndarray | None = None,
) -> SnappedPoints:
    """Snap points to the nearest point on the nearest walkable edge.

    Parameters
    ----------
    graph
        Walking graph (its edges with arcs are the candidates).
    points
        Points: a GeoSeries/GeoDataFrame (reprojected to the graph's CRS when its CRS differs) or
        an array of shapely geometries in the graph's CRS. Non-point geometries (building
        footprints) stand for their ``shapely.point_on_surface``.
    max_snap_m
        Largest access distance in metres; farther points are reported and not attached.
    point_ids
        Ids for messages and results; default the GeoSeries index, else 0..k−1.

    Returns
    -------
    SnappedPoints
    """
    if not max_snap_m >= 0:
        raise ValueError(f"max_snap_m must be >= 0, got {max_snap_m}")
    geoms, index = _as_points(points, graph.crs)
    k = len(geoms)
    if point_ids is None:
        point_ids = index if index is not None else np.arange(k)
    point_ids = np.asarray(point_ids)
    if len(point_ids) != k:
        raise ValueError(f"{len(point_ids)} point_ids for {k} points")
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    not_point = ~missing & (shapely.get_type_id(geoms) != 0)
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])

    rows_walkable = np.flatnonzero(graph.edge_has_arcs)
    edge_row = np.full(k, -1, dtype=np.int64)
    fraction = np.full(k, np.nan)
    access_m = np.full(k, np.nan)
    snapped = np.full(k, None, dtype=object)
    problems: list[Problem] = []
    valid = np.flatnonzero(~missing)
    if len(rows_walkable) and len(valid):
        tree = graph.walkable_edge_tree
        (pi, ti), dist = tree.query_nearest(geoms[valid], return_distance=True, all_matches=False)
        point = valid[pi]
        access_m[point] = dist
        near = dist <= max_snap_m
        rows = rows_walkable[ti[near]]
        point = point[near]
        lines = graph.edge_geometry[rows]
        fraction[point] = shapely.line_locate_point(lines, geoms[point], normalized=True)
        snapped[point] = shapely.line_interpolate_point(lines, fraction[point], normalized=True)
        edge_row[point] = rows
    for i in np.flatnonzero(missing):
        problems.append(
            Problem(
                "points",
                "the point has no geometry and is not attached",
                row=str(point_ids[i]),
                severity="warning",
            )
        )
    far = ~missing & (edge_row < 0)
    for i in np.flatnonzero(far):
        where = (
            f"{access_m[i]:,.0f} m from the nearest walkable street"
            if np.isfinite(access_m[i])
            else "in a network without walkable streets"
        )
        problems.append(
            Problem(
                "points",
                f"the point is {where}, beyond max_snap_m={max_snap_m:g} m; it is not attached",
                row=str(point_ids[i]),
                hint="check its coordinates (CRS, GCJ-02/BD-09 offsets) or the network extent",
                severity="warning",
            )
        )
    access_s = np.where(edge_row >= 0, access_m / graph.walk_speed_mps, np.nan)
    result = SnappedPoints(
        point_ids=point_ids,
        geometry=geoms,
        edge_row=edge_row,
        fraction=fraction,
        snapped=snapped,
        access_m=access_m,
        access_s=access_s,
        max_snap_m=float(max_snap_m),
        problems=tuple(problems),
    )
    attached = int((edge_row >= 0).sum())
    log.info(
        "snap_points attached %d of %d points (median access %.0f m; %d beyond %g m)",
        attached,
        k,
        float(np.nanmedian(access_m[edge_row >= 0])) if attached else float("nan"),
        int(far.sum()),
        max_snap_m,
    )
    return result
