"""Overlap and gap checks count every problem, with the scenario's tolerances."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from siting.errors import ScenarioError
from siting.io import load_inputs
from siting.polygon_checks import PolygonTolerances, gap_problems, overlap_problems
from siting.scenario import load_scenario

CRS = "EPSG:4544"


def _chain(n: int, overlap_m: float = 10.0) -> gpd.GeoDataFrame:
    """``n`` squares of 100 m in a row, each overlapping the next by ``overlap_m`` × 100 m."""
    step = 100.0 - overlap_m
    return gpd.GeoDataFrame(
        {"code": [f"C{i:02d}" for i in range(n)], "row": list(range(1, n + 1))},
        geometry=[box(i * step, 0, i * step + 100, 100) for i in range(n)],
        crs=CRS,
    )


def test_more_than_20_overlaps_report_the_total():
    # 30 squares: 29 neighbouring pairs overlap by 10 m × 100 m = 1,000 m² each
    problems = overlap_problems("communities.gpkg", _chain(30), PolygonTolerances())
    assert len(problems) == 21
    assert problems[0].message == "polygons C00 and C01 overlap by 1,000 m²"
    assert problems[0].row == "1 and 2"
    assert problems[-1].message == "… and 9 more overlapping pairs (total 29)"
    assert problems[-1].severity == "error"
    # listed in full with a longer list
    assert len(overlap_problems("x", _chain(30), PolygonTolerances(max_listed=50))) == 29


def test_overlap_tolerance_is_a_setting():
    assert overlap_problems("x", _chain(30), PolygonTolerances(overlap_tolerance_m2=1000.0)) == []
    assert (
        len(overlap_problems("x", _chain(30), PolygonTolerances(overlap_tolerance_m2=999.0))) == 21
    )


def test_gaps_are_counted_and_filtered_by_the_tolerance():
    district = box(0, 0, 1000, 1000)
    # communities covering the district but for holes of 400, 2,500 and 10,000 m²
    holes = [box(100, 100, 120, 120), box(300, 300, 350, 350), box(600, 600, 700, 700)]
    union = shapely.difference(district, shapely.union_all(holes))
    problems = gap_problems("c.gpkg", district, union, CRS, PolygonTolerances())
    assert [p.message.split(" at ")[0] for p in problems] == [
        "communities leave 0.01 km² of the district uncovered, in 2 gap(s) larger than 1000 m²",
        "gap of 10,000 m² between communities",
        "gap of 2,500 m² between communities",
    ]
    assert all(p.severity == "warning" for p in problems)
    tiny = PolygonTolerances(gap_tolerance_m2=100.0, max_listed=1)
    problems = gap_problems("c.gpkg", district, union, CRS, tiny)
    assert "in 3 gap(s) larger than 100 m²" in problems[0].message
    assert problems[-1].message == "… and 2 more gaps (total 3)"
    assert (
        gap_problems("c.gpkg", district, union, CRS, PolygonTolerances(gap_tolerance_m2=1e4)) == []
    )


def test_validation_settings_are_checked(tmp_path):
    path = tmp_path / "s.toml"
    small = Path(__file__).resolve().parents[2] / "data" / "demo-small" / "scenario.toml"
    path.write_text(
        f'extends = "{small.as_posix()}"\n[validation]\noverlap_tolerance_m2 = -1\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="overlap_tolerance_m2 must be ≥ 0"):
        load_inputs(load_scenario(path), network=False)
