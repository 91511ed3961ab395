"""The street network as two GeoDataFrames: the contract between loaders and the time model.

A :class:`StreetNetwork` holds the physical street segments between junctions, in a metric CRS.
Each edge is one undirected segment whose geometry runs from node ``u`` to node ``v``; the walking
time model (``isochrones.walktime``) turns it into two directed arcs, one per direction, because
uphill and downhill take different times.

Node table (index ``node_id``, int64: the OSM node id, or a generated id for centreline layers)
    ``x``, ``y`` (float, metres in ``crs``), ``geometry`` (Point).

Edge table (RangeIndex)
    ``u``, ``v`` (int64 node ids), ``geometry`` (LineString from u to v, metres in ``crs``),
    ``length_m`` (float, > 0), ``highway`` (str, OSM highway value or the mapped road class),
    ``oneway`` (bool; kept for information: pedestrians may walk both ways),
    ``step_count`` (str or None: the raw tag, validated by the time model), ``incline`` (str or
    None; relative to u→v: loaders that reverse a way flip it),
    ``access``, ``foot``, ``footway``, ``sidewalk``, ``bridge``, ``tunnel``, ``name``
    (str or None: raw tags), ``way_id`` (int64: OSM way id or source feature row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pyproj

__all__ = ["EDGE_COLUMNS", "NON_WALKABLE_HIGHWAYS", "WALKABLE_HIGHWAYS", "StreetNetwork"]

#: Tag columns every edge table carries (None where the source has no such information).
EDGE_COLUMNS: tuple[str, ...] = (
    "u",
    "v",
    "length_m",
    "highway",
    "oneway",
    "step_count",
    "incline",
    "access",
    "foot",
    "footway",
    "sidewalk",
    "bridge",
    "tunnel",
    "name",
    "way_id",
)

#: ``highway`` values a pedestrian may use (subject to access/foot tags).
WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "pedestrian",
        "footway",
        "path",
        "steps",
        "track",
        "cycleway",
        "corridor",
        "bridleway",
        "road",
        "trunk",
        "trunk_link",
    }
)

#: ``highway`` values never walkable for older pedestrians.
NON_WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "construction",
        "proposed",
        "raceway",
        "bus_guideway",
        "abandoned",
    }
)


@dataclass(frozen=True)
class StreetNetwork:
    """Street segments between junctions, in a metric CRS (see the module docstring)."""

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    crs: pyproj.CRS
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    def __repr__(self) -> str:
        return (
            f"StreetNetwork({self.n_nodes:,} nodes, {self.n_edges:,} edges, "
            f"{self.edges['length_m'].sum() / 1000:,.1f} km, crs={self.crs.to_string()}, "
            f"source={self.source!r})"
        )
