"""Conversions between WGS84, GCJ-02 (Amap, Tencent) and BD-09 (Baidu): see :mod:`isochrones.coords`.

The code lives in :mod:`isochrones.coords` (the network readers need it, and ``isochrones`` does not
import ``siting``); this module re-exports it under the name the policy side has always used.
"""

from __future__ import annotations

from isochrones.coords import (
    COORD_SYSTEMS,
    DECLARED_SYSTEMS,
    SYSTEM_NAMES,
    CoordSystem,
    DeclaredSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    declared_system,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometries_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

__all__ = [
    "COORD_SYSTEMS",
    "DECLARED_SYSTEMS",
    "SYSTEM_NAMES",
    "CoordSystem",
    "DeclaredSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "declared_system",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geometries_to_wgs84",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
