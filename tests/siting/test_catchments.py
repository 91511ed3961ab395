"""Facility catchments: each type's isochrone is the union of its sites' isochrones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from isochrones import isochrone_polygons, reach, snap_points
from siting.catchments import _sites, facility_catchments
from siting.io import load_inputs
from siting.scenario import load_scenario
from siting.walking import walking_graph

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"


def test_type_polygons_equal_those_drawn_from_every_street_part():
    # the per-type layer is merged from the per-site polygons; drawn the former way (every
    # street part of the type buffered and dissolved at once) it is the same to a millionth
    inputs = load_inputs(load_scenario(SMALL))
    graph = walking_graph(inputs)
    got = facility_catchments(inputs, graph, include_candidates=True)
    raw = _sites(inputs, include_candidates=True)  # the sites as facility_catchments takes them
    max_snap = float(inputs.scenario.section("walking").get("max_snap_m", 300.0))
    snapped = snap_points(
        graph, raw.geometry, max_snap_m=max_snap, point_ids=raw["site_id"].to_numpy()
    )
    groups = np.where(raw["status"] == "existing", raw["type"], "candidate")
    assert len(raw) > 30 and len(set(groups)) >= 4
    table = reach(graph, snapped, max_seconds=25 * 60.0, direction="to_sources")
    drawn = isochrone_polygons(graph, table, max_minutes=[15.0, 25.0], buffer_m=30.0, groups=groups)
    assert got.per_type["type"].tolist() == drawn["group"].tolist()
    assert got.per_type["max_minutes"].tolist() == drawn["max_minutes"].tolist()
    for a, b in zip(got.per_type.geometry, drawn.geometry, strict=True):
        # never less (to rounding); more only by the vertices of round ends drawn for one site's
        # street part inside another's (both inscribe the same band around the streets)
        assert shapely.difference(b, a).area <= 1e-3
        assert shapely.difference(a, b).area <= 1e-6 * b.area
    # and each type's polygon covers exactly its sites' polygons
    for (t, m), part in got.per_site.assign(group=np.repeat(groups, 2)).groupby(
        ["group", "max_minutes"]
    ):
        merged = got.per_type[(got.per_type["type"] == t) & (got.per_type["max_minutes"] == m)]
        union = shapely.union_all(part.geometry.to_numpy())
        assert abs(merged.geometry.iloc[0].area - union.area) <= 1e-9 * union.area
