"""The coordinate-system check on copies of the small demo shifted by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from siting.coords import convert
from siting.crs_check import check_coordinate_systems
from siting.errors import InputError
from siting.io import load_inputs
from siting.scenario import load_scenario

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"
POINTS = ("facilities", "health", "candidates", "roster")
POLYGONS = ("district", "streets", "communities")


@pytest.fixture(scope="module")
def demo():
    """The small demo's inputs as loaded (every layer correct)."""
    return load_inputs(load_scenario(SMALL))


def _check(inputs, points=None, polygons=None, declared=None):
    decl = {n: s.coords for n, s in inputs.scenario.inputs.items()}
    decl.update(declared or {})
    pts = {n: getattr(inputs, n) for n in POINTS}
    pts.update(points or {})
    polys = {n: getattr(inputs, n) for n in POLYGONS}
    polys.update(polygons or {})
    return check_coordinate_systems(
        pts, polys, roads=inputs.network.edges.geometry, declared=decl, crs=inputs.crs
    )


def _moved(gdf: gpd.GeoDataFrame, fn) -> gpd.GeoDataFrame:
    """``gdf`` with every vertex (lon/lat WGS84) moved by ``fn(lon, lat) -> (lon, lat)``."""
    ll = gdf.to_crs("EPSG:4326")
    geoms = shapely.transform(
        ll.geometry.values, lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1]))
    )
    return ll.set_geometry(geoms).set_crs("EPSG:4326", allow_override=True)


def test_correct_layers_give_no_finding(demo):
    findings, fits = _check(demo)
    assert findings == ()
    # the declared readings were measured: every point layer within 30 m of the roads (median)
    assert all(f.road_m[f.declared] < 30 for f in fits if f.kind == "points")


def test_wgs84_facilities_declared_gcj02_name_wgs84(demo):
    # written as WGS84 (their true position), declared GCJ-02: the loader shifts them ≈ 466 m
    shifted = _moved(demo.facilities, lambda lo, la: convert(lo, la, src="gcj02", dst="wgs84"))
    findings, fits = _check(demo, points={"facilities": shifted})
    assert [(f.kind, f.layers, dict(f.readings)) for f in findings] == [
        ("points", ("facilities",), {"facilities": "wgs84"})
    ]
    fit = next(f for f in fits if f.layer == "facilities")
    assert fit.road_m["wgs84"] == pytest.approx(15.7, abs=1.0)  # the true positions
    assert fit.road_m["gcj02"] > 2 * fit.road_m["wgs84"]
    assert 'set coords = "wgs84" on [inputs.facilities]' in findings[0].hint


def test_swapped_axes_are_named(demo):
    ll = demo.facilities.to_crs("EPSG:4326")
    swapped = ll.set_geometry(shapely.points(ll.geometry.y, ll.geometry.x))
    findings, _ = _check(demo, points={"facilities": swapped})
    assert [(f.layers, f.readings["facilities"]) for f in findings] == [
        (("facilities",), "swapped")
    ]
    assert "swap the lon/lat columns" in findings[0].hint


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "demo-small"
    shutil.copytree(SMALL, folder)
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _shift_polygons(folder: Path) -> None:
    """Every layer of boundaries.gpkg written in GCJ-02 while its file says EPSG:4490."""
    src, tmp = folder / "boundaries.gpkg", folder / "shifted.gpkg"
    for layer, _ in pyogrio.list_layers(src):
        g = gpd.read_file(src, layer=layer)
        moved = _moved(g, lambda lo, la: convert(lo, la, src="wgs84", dst="gcj02"))
        moved.to_crs(g.crs).to_file(tmp, layer=layer)
    tmp.replace(src)


def test_undeclared_gcj02_facilities_warn_with_numbers(tmp_path):
    folder = _copy(tmp_path)
    _edit(
        folder, 'path = "facilities_amap.csv"\ncoords = "gcj02"\n', 'path = "facilities_amap.csv"\n'
    )
    inputs = load_inputs(load_scenario(folder))
    found = [w for w in inputs.warnings if "coordinate systems" in w.message]
    assert len(found) == 1
    assert found[0].source == str(folder / "facilities_amap.csv")
    assert 'set coords = "gcj02" on [inputs.facilities]' in found[0].hint
    assert "16 m from the roads if read as GCJ-02, 49 m as declared (WGS84)" in found[0].message


def test_shifted_polygons_name_the_polygons_not_the_points(tmp_path):
    folder = _copy(tmp_path)
    _shift_polygons(folder)
    with pytest.raises(InputError) as info:
        load_inputs(load_scenario(folder))
    problems = info.value.problems
    outside = [p for p in problems if "outside the district" in p.message]
    assert len(outside) == 1 and outside[0].source.endswith("roster.csv")
    assert "coords" not in outside[0].hint  # no suggestion to change the points
    (found,) = [p for p in problems if "coordinate systems" in p.message]
    assert found.source == str(folder / "boundaries.gpkg")
    assert "[inputs.district], [inputs.streets], [inputs.communities]" in found.hint
    assert 'set coords = "gcj02"' in found.hint
    assert "facilities" not in found.hint and "roster" not in found.hint
    # 4 of the 549 sampled points (all 49 facilities, health, candidates + 500 of the roster) lie
    # outside the shifted polygons, none read as GCJ-02
    assert "4 of 549 sampled points lie outside them as declared (WGS84), 0 if read as GCJ-02" in (
        found.message
    )


def test_points_and_polygons_shifted_together_name_both(demo):
    to_gcj = lambda lo, la: convert(lo, la, src="wgs84", dst="gcj02")  # noqa: E731
    polys = {n: _moved(getattr(demo, n), to_gcj) for n in POLYGONS}
    points = {"facilities": _moved(demo.facilities, to_gcj)}
    findings, _ = _check(demo, points=points, polygons=polys, declared={"facilities": None})
    assert [(f.kind, f.layers) for f in findings] == [
        ("points_and_polygons", ("facilities", "district", "streets", "communities"))
    ]
    assert "[inputs.network]" in findings[0].hint
    assert 'set coords = "gcj02" on [inputs.facilities], [inputs.district]' in findings[0].hint
