"""Input loaders: canonical columns, coordinate systems, and every kind of bad input."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from siting.coords import convert
from siting.errors import InputError
from siting.io import load_inputs
from siting.scenario import load_scenario

from .conftest import cell


def _load(path: Path):
    return load_inputs(load_scenario(path), network=False)


def _problems(path: Path) -> str:
    with pytest.raises(InputError) as info:
        _load(path)
    return str(info.value)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_tiny_district_loads_in_gauss_kruger(tiny):
    inputs = _load(tiny)
    assert inputs.crs.to_epsg() == 4544  # CGCS2000 3° GK, central meridian 105°E
    com = inputs.communities
    assert list(com["kind"]) == ["community", "community", "community", "village"]
    assert com["pop_total"].sum() == 13200
    assert com["pop_60p"].sum() == 3100
    assert list(inputs.streets["kind"]) == ["street", "town"]
    # 4 communities of ~1 km × 0.5 km
    assert np.allclose(com.area / 1e6, 0.5, rtol=0.02)


def test_gcj02_facilities_land_on_their_true_position(tiny):
    inputs = _load(tiny)
    fac = inputs.facilities.to_crs("EPSG:4326")
    expected = [cell(0.5, 0.25), cell(1.5, 0.75), cell(1.2, 0.2)]
    for geom, (lon, lat) in zip(fac.geometry, expected, strict=True):
        assert abs(geom.x - lon) < 1e-6 and abs(geom.y - lat) < 1e-6
    assert list(inputs.facilities["type"]) == ["station", "village_point", "town_center"]
    assert list(inputs.facilities["row"]) == [2, 3, 4]  # spreadsheet rows, header is row 1


def test_xlsx_candidates_and_gb18030_bd09_roster(tiny):
    inputs = _load(tiny)
    cand = inputs.candidates
    assert list(cand["eligible_types"]) == [("station", "compound_point"), ("village_point",)]
    assert list(cand["source"]) == ["idle_state_asset", "community_room"]
    assert list(cand["floor_area_m2"]) == [420.0, 80.0]
    roster = inputs.roster.to_crs("EPSG:4326")
    lon, lat = cell(0.4, 0.3)
    assert (
        abs(roster.geometry.iloc[0].x - lon) < 1e-6 and abs(roster.geometry.iloc[0].y - lat) < 1e-6
    )
    assert list(roster["group"]) == ["disabled", "living_alone"]


def test_inputs_are_never_modified(tiny):
    before = _digest(tiny.parent)
    _load(tiny)
    assert _digest(tiny.parent) == before


def test_kind_and_street_inferred_from_nbs_codes(tiny):
    text = tiny.read_text(encoding="utf-8")
    text = text.replace('street_code = "街镇代码"\n', "").replace(
        'kind = "类型"\npop_total', "pop_total"
    )
    tiny.write_text(text, encoding="utf-8")
    com = _load(tiny).communities
    assert list(com["kind"]) == ["community", "community", "community", "village"]
    assert list(com["street_code"]) == ["500199001", "500199001", "500199101", "500199101"]


# ---- bad input: every problem names the file, the row and the column ----------------------


def test_missing_file(tiny):
    (tiny.parent / "facilities.csv").unlink()
    msg = _problems(tiny)
    assert "facilities.csv" in msg and "file not found" in msg


def test_unknown_column_lists_available(tiny):
    tiny.write_text(
        tiny.read_text(encoding="utf-8").replace('pop_60p = "60岁及以上"', 'pop_60p = "老年人口"'),
        encoding="utf-8",
    )
    msg = _problems(tiny)
    assert "column '老年人口' (for 'pop_60p') not found" in msg
    assert "60岁及以上" in msg  # the available columns are listed


def test_empty_layer(tiny):
    gdf = gpd.read_file(tiny.parent / "boundaries.gpkg", layer="社区村")
    gdf.iloc[0:0].to_file(tiny.parent / "boundaries.gpkg", layer="社区村", mode="w")
    msg = _problems(tiny)
    assert "layer '社区村'" in msg and "empty" in msg


def _rewrite_communities(tiny: Path, change) -> None:
    path = tiny.parent / "boundaries.gpkg"
    gdf = gpd.read_file(path, layer="社区村")
    gdf = change(gdf)
    gdf.to_file(path, layer="社区村", mode="w")


def test_invalid_and_wrong_geometries_named_by_feature(tiny):
    def change(gdf):
        x0, y0 = cell(0, 0)
        x1, y1 = cell(1, 0.5)
        geoms = list(gdf.geometry)
        geoms[1] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # bow-tie
        geoms[2] = Point(x1, y1)  # a point in a polygon layer
        return gdf.set_geometry(geoms)

    _rewrite_communities(tiny, change)
    msg = _problems(tiny)
    # the feature and the geometry column as the file names it (GeoPackage: 'geom')
    assert re.search(r"社区村'\), row 2, column 'geom': invalid geometry \(Self-intersection", msg)
    assert re.search(r"row 3, column 'geom': wrong geometry type \['Point'\]", msg)


def test_no_crs(tiny):
    _rewrite_communities(tiny, lambda g: g.set_crs(None, allow_override=True))
    msg = _problems(tiny)
    assert "has no CRS" in msg and "EPSG:4490" in msg


def test_swapped_lon_lat_in_csv(tiny):
    text = tiny.read_text(encoding="utf-8")
    text = text.replace(
        'lon = "经度"\nlat = "纬度"\nfloor_area_m2', 'lon = "纬度"\nlat = "经度"\nfloor_area_m2'
    )
    tiny.write_text(text, encoding="utf-8")
    msg = _problems(tiny)
    assert "facilities.csv" in msg and "look swapped" in msg and 'lon = "经度"' in msg


def test_points_outside_district(tiny):
    path = tiny.parent / "facilities.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    lon, lat = convert(*cell(5, 5), src="wgs84", dst="gcj02")
    df.loc[1, ["经度", "纬度"]] = [f"{lon:.8f}", f"{lat:.8f}"]
    df.to_csv(path, index=False, encoding="utf-8-sig")
    msg = _problems(tiny)
    assert "facilities.csv, row 3: 1 record(s) lie outside the district" in msg


def test_duplicate_codes_negative_and_non_numeric_population(tiny):
    def change(gdf):
        gdf = gdf.copy()
        gdf["社区村代码"] = ["500199001001", "500199001001", "500199101001", "500199101200"]
        gdf["常住人口"] = gdf["常住人口"].astype(object)
        gdf.loc[2, "常住人口"] = "约三千"
        gdf.loc[3, "60岁及以上"] = -5
        return gdf

    _rewrite_communities(tiny, change)
    msg = _problems(tiny)
    assert re.search(r"row 1, 2, column '社区村代码': duplicate code 500199001001", msg)
    assert re.search(r"row 3, column '常住人口': non-numeric values", msg)
    assert re.search(r"row 4, column '60岁及以上': negative values", msg)


def test_unknown_facility_type_names_value_and_row(tiny):
    path = tiny.parent / "facilities.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df.loc[2, "类型"] = "老年食堂"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    msg = _problems(tiny)
    assert re.search(r"row 4, column '类型': unknown value\(s\) \['老年食堂'\]", msg)
    assert "[inputs.facilities.values.type]" in msg


def test_overlapping_communities(tiny):
    def change(gdf):
        geoms = list(gdf.geometry)
        geoms[1] = shapely.buffer(geoms[1], 0.002)  # spills into its neighbours
        return gdf.set_geometry(geoms)

    _rewrite_communities(tiny, change)
    msg = _problems(tiny)
    assert "overlap by" in msg


def test_age_bands_must_nest(tiny):
    def change(gdf):
        gdf = gdf.copy()
        gdf.loc[0, "80岁及以上"] = 900
        return gdf

    _rewrite_communities(tiny, change)
    assert "'pop_80p' exceeds 'pop_65p'" in _problems(tiny)


def test_roster_values_never_echoed(tiny):
    path = tiny.parent / "roster.csv"
    df = pd.read_csv(path, dtype=str, encoding="gb18030")
    df.loc[0, "年龄"] = "张三丰九十"
    df.to_csv(path, index=False, encoding="gb18030")
    msg = _problems(tiny)
    assert "roster.csv, row 2, column '年龄': non-numeric values" in msg
    assert "张三丰" not in msg


def test_all_problems_reported_at_once(tiny):
    (tiny.parent / "candidates.xlsx").unlink()
    path = tiny.parent / "facilities.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df.loc[0, "类型"] = "未知"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(InputError) as info:
        _load(tiny)
    sources = {Path(p.source.split(" ")[0]).name for p in info.value.problems}
    assert sources == {"candidates.xlsx", "facilities.csv"}
