"""Walking catchments (isochrones) of existing facilities and candidate sites.

Times are walked *from home to the facility* (``direction="to_sources"``): uphill and downhill
differ, and it is the older resident who walks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from isochrones import WalkGraph, isochrone_polygons, merge_polygons, reach, snap_points
from isochrones.errors import Problem
from siting.io import Inputs
from siting.progress import advance

__all__ = ["Catchments", "facility_catchments"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Catchments:
    """Isochrone polygons per site and merged per facility type, with snapping problems."""

    per_site: gpd.GeoDataFrame
    per_type: gpd.GeoDataFrame
    problems: tuple[Problem, ...]


def _sites(inputs: Inputs, include_candidates: bool) -> gpd.GeoDataFrame:
    parts = []
    if inputs.facilities is not None:
        fac = inputs.facilities
        parts.append(
            gpd.GeoDataFrame(
                {
                    "site_id": fac.get("facility_id", pd.Series(fac.index.astype(str))).astype(str),
                    "name": fac["name"],
                    "type": fac["type"],
                    "status": "existing",
                },
                geometry=fac.geometry.values,
                crs=fac.crs,
            )
        )
    if include_candidates and inputs.candidates is not None:
        cand = inputs.candidates
        parts.append(
            gpd.GeoDataFrame(
                {
                    "site_id": cand["candidate_id"].astype(str),
                    "name": cand["name"],
                    "type": ["/".join(t) for t in cand["eligible_types"]],
                    "status": "candidate",
                },
                geometry=cand.geometry.values,
                crs=cand.crs,
            )
        )
    if not parts:
        return gpd.GeoDataFrame(
            {"site_id": [], "name": [], "type": [], "status": []}, geometry=[], crs=inputs.crs
        )
    return pd.concat(parts, ignore_index=True)


def facility_catchments(
    inputs: Inputs,
    graph: WalkGraph,
    *,
    minutes: Sequence[float] = (15.0, 25.0),
    include_candidates: bool = False,
    buffer_m: float = 30.0,
) -> Catchments:
    """Isochrones (home → site walking time) of the facilities, per site and per type."""
    sites = _sites(inputs, include_candidates)
    max_snap = float(inputs.scenario.section("walking").get("max_snap_m", 300.0))
    snapped = snap_points(
        graph, sites.geometry, max_snap_m=max_snap, point_ids=sites["site_id"].to_numpy()
    )
    ok = snapped.is_snapped
    bands = sorted({float(m) for m in minutes})
    table = reach(graph, snapped, max_seconds=bands[-1] * 60.0, direction="to_sources")
    existing = (sites["status"] == "existing").to_numpy()
    groups = np.where(existing, sites["type"].to_numpy(dtype=object), "candidate")
    # one count for both steps: every site's polygons, then every type's
    n_site, n_type = len(sites) * len(bands), len(set(groups)) * len(bands)
    per_site = isochrone_polygons(
        graph,
        table,
        max_minutes=bands,
        buffer_m=buffer_m,
        progress=lambda done, _: advance(done, n_site + n_type),
    )
    # each type's polygon: the union of its sites' polygons (not every street part again)
    per_type = merge_polygons(
        per_site, groups, progress=lambda done, _: advance(n_site + done, n_site + n_type)
    )
    info = sites.set_index("site_id")[["name", "type", "status"]]
    per_site = per_site.join(info, on="source_id").rename(columns={"source_id": "site_id"})
    per_type = per_type.rename(columns={"group": "type"})
    per_type["area_km2"] = per_type.area / 1e6
    per_site["area_km2"] = per_site.area / 1e6
    problems = tuple(table.problems)  # includes the snapping problems
    log.info(
        "facility_catchments: %d sites (%d not attached), bands %s min",
        len(sites),
        int((~ok).sum()),
        bands,
    )
    return Catchments(per_site=per_site, per_type=per_type, problems=problems)


def write_catchments(catchments: Catchments, path, *, lang: str = "zh") -> None:
    """Write the isochrones as a GeoPackage with two layers, atomically.

    ``isochrones_sites``: one polygon per site and band; ``isochrones_by_type``: merged per
    facility type and band. ``type_label`` carries the type's name in ``lang``. In the tool's
    one GeoPackage form (:func:`siting.gpkg.write_layers`: CGCS2000, version 1.2, metadata,
    field names in Chinese and English).
    """
    from siting.export import LAYERS, field_label
    from siting.gpkg import tool_metadata, write_layers
    from siting.i18n import label
    from siting.transaction import atomic_path

    frames = {}
    for layer, frame in (
        ("isochrones_sites", catchments.per_site),
        ("isochrones_by_type", catchments.per_type),
    ):
        out = frame.copy()
        out["type_label"] = [
            "/".join(label(t, lang) for t in str(v).split("/")) for v in out["type"]
        ]
        frames[layer] = out
    with atomic_path(path) as tmp:
        write_layers(
            tmp, frames, meta=tool_metadata(frames), titles=LAYERS, field_label=field_label
        )
