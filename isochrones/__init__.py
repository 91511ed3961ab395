"""Walking networks, walking times, reachability and isochrone polygons.

This package knows streets, slopes, stairs and time; it knows nothing about elderly care.
Data flows one way: :func:`read_osm`/:func:`read_centrelines` → :func:`walking_arcs` (with a
:func:`read_dem`) → :func:`snap_points` → :func:`reach` → :func:`isochrone_polygons` (→ :func:`merge_polygons`).
"""

from isochrones.errors import IsochronesError, NetworkInputError, Problem
from isochrones.io import read_centrelines, read_osm, to_networkx
from isochrones.network import StreetNetwork
from isochrones.od import ODMatrix, od_times
from isochrones.polygons import isochrone_polygons, merge_polygons
from isochrones.reach import ReachTable, reach
from isochrones.snap import SnappedPoints, snap_points
from isochrones.terrain import Dem, read_dem, sample_edge_profiles
from isochrones.walktime import (
    SPEED_PRESETS,
    ModelParameterError,
    WalkGraph,
    WalkingModel,
    walking_arcs,
)

__all__ = [
    "SPEED_PRESETS",
    "Dem",
    "IsochronesError",
    "ModelParameterError",
    "NetworkInputError",
    "ODMatrix",
    "Problem",
    "ReachTable",
    "SnappedPoints",
    "StreetNetwork",
    "WalkGraph",
    "WalkingModel",
    "isochrone_polygons",
    "merge_polygons",
    "od_times",
    "reach",
    "read_centrelines",
    "read_dem",
    "read_osm",
    "sample_edge_profiles",
    "snap_points",
    "to_networkx",
    "walking_arcs",
]
