"""Overlaps and gaps of the 社区/村 polygons, counted in full, with tolerances from the scenario.

The tolerances and the length of the lists are the scenario's ``[validation]`` settings::

    [validation]
    overlap_tolerance_m2 = 1.0     # two 社区/村 may share up to this area (digitising slivers)
    gap_tolerance_m2 = 1000.0      # holes between 社区/村 inside the district smaller than this are ignored
    max_listed = 20                # problems of one kind listed one by one; the rest are counted

Every check lists the first ``max_listed`` problems (largest first) and then one line
"… and M more (total T)", so a layer with hundreds of overlaps says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from siting.errors import Problem, ScenarioError

__all__ = ["PolygonTolerances", "gap_problems", "listed", "overlap_problems"]


@dataclass(frozen=True)
class PolygonTolerances:
    """The ``[validation]`` settings (see the module docstring)."""

    overlap_tolerance_m2: float = 1.0
    gap_tolerance_m2: float = 1000.0
    max_listed: int = 20

    @classmethod
    def from_scenario(cls, scenario) -> PolygonTolerances:
        keys = ("overlap_tolerance_m2", "gap_tolerance_m2", "max_listed")
        raw = {k: v for k, v in scenario.section("validation").items() if k in keys}
        bad = [
            Problem(
                str(scenario.path),
                f"[validation] {key} must be ≥ 0, got {raw[key]!r}",
                column=f"validation.{key}",
                hint=f"e.g. {key} = {getattr(cls, key)}",
            )
            for key in ("overlap_tolerance_m2", "gap_tolerance_m2", "max_listed")
            if key in raw and not raw[key] >= 0
        ]
        if bad:
            raise ScenarioError(f"scenario {scenario.path}: invalid [validation] settings", bad)
        return cls(**raw)


def listed(problems: Sequence[Problem], *, limit: int, what: str) -> list[Problem]:
    """The first ``limit`` problems, then one "… and M more (total T)" problem of the same kind."""
    problems = list(problems)
    if len(problems) <= limit:
        return problems
    first = problems[0]
    rest = len(problems) - limit
    return [
        *problems[:limit],
        Problem(
            first.source,
            f"… and {rest:,} more {what} (total {len(problems):,})",
            hint=f"[validation] max_listed = {len(problems)} lists them all",
            severity=first.severity,
        ),
    ]


def overlap_problems(
    label: str, gdf: gpd.GeoDataFrame, tolerances: PolygonTolerances
) -> list[Problem]:
    """Every pair of polygons (metric CRS, ``code`` and ``row`` columns) overlapping by more than
    the tolerance, largest first, listed up to ``max_listed``."""
    geoms = np.asarray(gdf.geometry.values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return []
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    bad = np.flatnonzero(area > tolerances.overlap_tolerance_m2)
    bad = bad[np.argsort(-area[bad], kind="stable")]
    codes, rows = gdf["code"].to_numpy(), gdf["row"].to_numpy()
    out = [
        Problem(
            label,
            f"polygons {codes[left[k]]} and {codes[right[k]]} overlap by {area[k]:,.0f} m²",
            row=f"{rows[left[k]]} and {rows[right[k]]}",
            hint="communities must not overlap: fix the boundaries (overlaps up to "
            f"[validation] overlap_tolerance_m2 = {tolerances.overlap_tolerance_m2:g} are ignored)",
        )
        for k in bad
    ]
    return listed(out, limit=tolerances.max_listed, what="overlapping pairs")


def gap_problems(
    label: str,
    district_geom,
    communities_union,
    crs: pyproj.CRS,
    tolerances: PolygonTolerances,
) -> list[Problem]:
    """Warnings for the holes of the district no community covers, each larger than the tolerance:
    one line with their number and area, then the largest, listed up to ``max_listed``."""
    gap = shapely.difference(district_geom, communities_union)
    parts = shapely.get_parts(gap)
    parts = parts[shapely.get_type_id(parts) == 3] if len(parts) else parts  # polygons only
    area = shapely.area(parts)
    big = np.flatnonzero(area > tolerances.gap_tolerance_m2)
    if len(big) == 0:
        return []
    big = big[np.argsort(-area[big], kind="stable")]
    where = gpd.GeoSeries(shapely.point_on_surface(parts[big]), crs=crs).to_crs("EPSG:4326")
    hint = (
        "people living in gaps are not counted (gaps up to [validation] gap_tolerance_m2 = "
        f"{tolerances.gap_tolerance_m2:g} are ignored)"
    )
    head = Problem(
        label,
        f"communities leave {area[big].sum() / 1e6:,.2f} km² of the district uncovered, in "
        f"{len(big):,} gap(s) larger than {tolerances.gap_tolerance_m2:g} m²",
        severity="warning",
        hint=hint,
    )
    each = [
        Problem(
            label,
            f"gap of {area[k]:,.0f} m² between communities at lon/lat {p.x:.5f}, {p.y:.5f}",
            severity="warning",
        )
        for k, p in zip(big, where.values, strict=True)
    ]
    return [head, *listed(each, limit=tolerances.max_listed, what="gaps")]
