"""The catalogue of bad inputs (issue 15, parts 4–6): every case is refused by `validate` AND `run`.

Each case breaks a fresh copy of ``data/demo-small`` in one way a real user's files are broken —
codes, populations, spreadsheets, layers, coordinate systems, the road network, the DEM, settings —
and checks with :func:`tests.siting.refusal.assert_refused` that ``siting validate`` and ``siting
run`` both exit with status 1, print the same problems (file, layer or sheet, row or feature, column
and what is wrong), print no traceback, write nothing and leave the inputs byte-identical.
``docs/bad_input.md`` is the table of these cases; :func:`test_the_docs_list_every_case` keeps it
in step.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from isochrones import read_osm
from tests.siting.refusal import assert_refused

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"
DOCS = ROOT / "docs" / "bad_input.md"


# --------------------------------------------------------------------------------------------
# breaking a copy of the small demo
# --------------------------------------------------------------------------------------------


def edit_layer(folder: Path, layer: str, change: Callable, file: str = "boundaries.gpkg") -> None:
    """Rewrite one layer of a GeoPackage through ``change(gdf) -> gdf`` (fids stay 1..n)."""
    path = folder / file
    gdf = gpd.read_file(path, layer=layer)
    change(gdf).to_file(path, layer=layer, mode="w")


def set_value(layer: str, column: str, index: int, value, file: str = "boundaries.gpkg"):
    """A breaker that sets one cell of a layer (feature ``index + 1``)."""

    def breaks(folder: Path) -> None:
        def change(gdf):
            gdf[column] = gdf[column].astype(object)
            gdf.loc[index, column] = value
            return gdf

        edit_layer(folder, layer, change, file)

    return breaks


def edit_toml(folder: Path, old: str, new: str) -> None:
    path = folder / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def toml(old: str, new: str):
    return lambda folder: edit_toml(folder, old, new)


def append_toml(text: str):
    def breaks(folder: Path) -> None:
        path = folder / "scenario.toml"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")

    return breaks


def edit_csv(folder: Path, name: str, change: Callable, encoding: str = "utf-8-sig") -> None:
    path = folder / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    change(frame).to_csv(path, index=False, encoding=encoding)


def edit_geometry(layer: str, change: Callable, file: str = "boundaries.gpkg"):
    """A breaker that replaces a layer's geometries by ``change(geoseries)``."""
    return lambda folder: edit_layer(folder, layer, lambda g: g.set_geometry(change(g)), file)


@functools.cache
def _edges() -> gpd.GeoDataFrame:
    return read_osm(SMALL / "roads.osm.pbf").edges


def roads_as_centrelines(dx_deg: float = 0.0):
    """The demo's OSM roads as a centreline GeoPackage, shifted ``dx_deg`` degrees east."""

    def breaks(folder: Path) -> None:
        edges = _edges()
        table = edges[["highway", "name", "access", "foot"]].copy()
        layer = gpd.GeoDataFrame(table, geometry=edges.geometry.values, crs=edges.crs)
        layer = layer.to_crs("EPSG:4326")
        layer = layer.set_geometry(layer.geometry.translate(dx_deg, 0.0))
        layer.to_file(folder / "roads.gpkg", layer="roads")
        edit_toml(
            folder,
            'path = "roads.osm.pbf"\nformat = "osm"',
            'path = "roads.gpkg"\nformat = "centrelines"',
        )

    return breaks


def formula_cell(folder: Path) -> None:
    path = folder / "candidates.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["候选点"]["E3"] = "=E2*1.1"  # no saved value: openpyxl does not compute it
    wb.save(path)


def xlsx_cell(cell: str, value):
    """A breaker that sets one cell of the candidates' sheet."""

    def breaks(folder: Path) -> None:
        path = folder / "candidates.xlsx"
        wb = openpyxl.load_workbook(path)
        wb["候选点"][cell] = value
        wb.save(path)

    return breaks


def csv_cell(name: str, column: str, index: int, value, encoding: str = "utf-8-sig"):
    """A breaker that sets one cell of a CSV table (row ``index + 2`` of the file)."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[index, column] = value
        return frame

    return lambda folder: edit_csv(folder, name, change, encoding)


def rename_sheet(folder: Path) -> None:
    path = folder / "candidates.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["候选点"].title = "Sheet1"
    wb.save(path)


def rewrite_dem(change: Callable):
    def breaks(folder: Path) -> None:
        path = folder / "dem.tif"
        with rasterio.open(path) as src:
            profile, band = src.profile, src.read(1)
        profile, band = change(profile, band)
        with rasterio.open(path, "w", **profile) as out:
            out.write(band, 1)

    return breaks


def _dem_nodata(profile, band):
    profile.update(nodata=-9999.0)
    return profile, np.full_like(band, -9999.0)


def _dem_shifted(profile, band):
    t = profile["transform"]
    profile.update(transform=Affine(t.a, t.b, t.c + 5.0, t.d, t.e, t.f))
    return profile, band


def _bow_tie(g: gpd.GeoDataFrame):
    x0, y0, x1, y1 = g.geometry.iloc[0].bounds
    geoms = list(g.geometry)
    geoms[0] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    return geoms


def _one_empty(g: gpd.GeoDataFrame):
    geoms = list(g.geometry)
    geoms[2] = shapely.Polygon()
    return geoms


def _swap_xy(g: gpd.GeoDataFrame):
    return shapely.transform(g.geometry.values, lambda xy: xy[:, ::-1])


def _overlap(g: gpd.GeoDataFrame):
    geoms = list(g.geometry)
    geoms[1] = geoms[1].union(geoms[0].buffer(-0.001))
    return geoms


def _facility_far(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[0, "经度"] = f"{float(frame.loc[0, '经度']) + 1.0:.6f}"
    return frame


def _swap_lonlat(frame: pd.DataFrame) -> pd.DataFrame:
    frame["经度"], frame["纬度"] = frame["纬度"].copy(), frame["经度"].copy()
    return frame


def _facility_type(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[0, "类型"] = "老年食堂"
    return frame


def _utf16(folder: Path) -> None:
    path = folder / "health_amap.csv"
    path.write_text(path.read_text(encoding="utf-8-sig"), encoding="utf-16")


def _roster_age(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[0, "年龄"] = "150"
    return frame


def _buildings_crs(folder: Path) -> None:  # the file says 4545 (GK 108°E), its numbers are 4544's
    edit_layer(
        folder,
        "residential",
        lambda g: g.set_crs("EPSG:4545", allow_override=True),
        "buildings.gpkg",
    )


def _no_crs(folder: Path) -> None:
    edit_layer(folder, "社区村", lambda g: g.set_crs(None, allow_override=True))


def _delete(name: str):
    return lambda folder: (folder / name).unlink()


def _street_of_other(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g.loc[0, "街镇代码"] = "500199101"  # 德寺社区 (in 泉石街道) said to be in 宝桥镇
    return g


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------

COM = "boundaries.gpkg (layer '社区村')"
ST = "boundaries.gpkg (layer '街道镇')"
SCEN = "scenario.toml"


@dataclass(frozen=True)
class Case:
    """One bad input: its id, what is wrong, how to break the demo, what the message must say."""

    id: str
    what: str
    breaks: Callable[[Path], None]
    says: tuple[str, ...]


CASES: tuple[Case, ...] = (
    # codes
    Case(
        "community_code_11_digits",
        "a 社区/村 code of 11 digits",
        set_value("社区村", "社区村代码", 2, "50019900100"),
        (COM, "row 3", "column '社区村代码'", "12-digit 社区/村 code", "'50019900100' (11"),
    ),
    Case(
        "community_code_letters",
        "a 社区/村 code with letters",
        set_value("社区村", "社区村代码", 2, "5001990010AB"),
        (COM, "row 3", "column '社区村代码'", "ASCII digits only", "'5001990010AB'"),
    ),
    Case(
        "community_code_full_width",
        "a 社区/村 code typed in full-width digits (全角)",
        set_value("社区村", "社区村代码", 2, "５００１９９００１００３"),
        (COM, "row 3", "column '社区村代码'", "full-width digits", "'500199001003'"),
    ),
    Case(
        "community_code_empty",
        "a 社区/村 without a code",
        set_value("社区村", "社区村代码", 2, ""),
        (COM, "row 3", "column '社区村代码'", "empty code"),
    ),
    Case(
        "community_code_duplicate",
        "two 社区/村 with the same code",
        set_value("社区村", "社区村代码", 1, "500199001001"),
        (COM, "row 1, 2", "column '社区村代码'", "duplicate code 500199001001"),
    ),
    Case(
        "street_code_10_digits",
        "a 街道/镇 code of 10 digits",
        set_value("街道镇", "街镇代码", 1, "5001991011"),
        (ST, "row 2", "column '街镇代码'", "9-digit 街道/镇 code", "'5001991011'"),
    ),
    Case(
        "community_street_code_malformed",
        "a 社区/村's 街道/镇 code with a letter",
        set_value("社区村", "街镇代码", 0, "50019900l"),
        (COM, "row 1", "column '街镇代码'", "9-digit 街道/镇 code", "'50019900l'"),
    ),
    Case(
        "community_street_unknown",
        "a 社区/村 in a 街道/镇 the streets layer does not have",
        set_value("社区村", "街镇代码", 0, "500199999"),
        (COM, "row 1", "column '街镇代码'", "['500199999'] not in the streets layer"),
    ),
    # populations
    Case(
        "population_1e15",
        "a 社区/村 of 10¹⁵ residents",
        set_value("社区村", "常住人口", 2, 1e15),
        (COM, "row 3", "column '常住人口'", "above 1,000,000 in one 社区/村 is impossible"),
    ),
    Case(
        "population_infinite",
        "an infinite population",
        set_value("社区村", "常住人口", 2, float("inf")),
        (COM, "row 3", "column '常住人口'", "infinite values"),
    ),
    Case(
        "population_negative",
        "a negative population",
        set_value("社区村", "常住人口", 2, -10),
        (COM, "row 3", "column '常住人口'", "negative values"),
    ),
    Case(
        "population_not_whole",
        "a population with a fraction",
        set_value("社区村", "常住人口", 2, 6668.5),
        (COM, "row 3", "column '常住人口'", "must be whole numbers"),
    ),
    Case(
        "population_text",
        "a population written as text",
        set_value("社区村", "常住人口", 2, "约6700人"),
        (COM, "row 3", "column '常住人口'", "non-numeric values", "'约6700人'"),
    ),
    Case(
        "population_full_width",
        "a population typed in full-width digits",
        set_value("社区村", "常住人口", 2, "６６６８"),
        (COM, "row 3", "column '常住人口'", "non-numeric values", "full-width digits"),
    ),
    Case(
        "population_60p_missing",
        "a 社区/村 without its 60+ count (required)",
        set_value("社区村", "60岁及以上", 2, None),
        (COM, "row 3", "column '60岁及以上'", "missing values in required column"),
    ),
    Case(
        "population_60p_above_total",
        "more people aged 60+ than residents",
        set_value("社区村", "60岁及以上", 2, 9999),
        (COM, "row 3", "column '60岁及以上'", "'pop_60p' exceeds 'pop_total'"),
    ),
    Case(
        "population_65p_above_60p",
        "more people aged 65+ than 60+",
        set_value("社区村", "65岁及以上", 2, 1490),
        (COM, "row 3", "column '65岁及以上'", "'pop_65p' exceeds 'pop_60p'"),
    ),
    Case(
        "population_80p_above_65p",
        "more people aged 80+ than 65+",
        set_value("社区村", "80岁及以上", 2, 1228),
        (COM, "row 3", "column '80岁及以上'", "'pop_80p' exceeds 'pop_65p'"),
    ),
    Case(
        "group_above_60p",
        "more 失能 people than people aged 60+",
        set_value("社区村", "失能半失能", 2, 2000),
        (COM, "row 3", "column '失能半失能'", "'n_disabled' exceeds the 60+ population"),
    ),
    Case(
        "district_code_5_digits",
        "a district code of 5 digits",
        lambda f: (
            edit_toml(
                f,
                'layer = "区界"\n',
                'layer = "区界"\n[inputs.district.columns]\ncode = "区划代码"\nname = "名称"\n',
            )
            or set_value("区界", "区划代码", 0, "50019")(f)
        ),
        ("boundaries.gpkg (layer '区界')", "row 1", "column '区划代码'", "6-digit 区县 code"),
    ),
    # spreadsheets and tables
    Case(
        "xlsx_formula_without_value",
        "an XLSX formula cell without a saved value (reads as blank)",
        formula_cell,
        (
            "candidates.xlsx (sheet '候选点')",
            "row 3",
            "column '建筑面积'",
            "E3 =E2*1.1",
            "without a saved value",
        ),
    ),
    Case(
        "xlsx_sheet_missing",
        "the named sheet is not in the workbook",
        rename_sheet,
        ("candidates.xlsx (sheet '候选点')", "sheet '候选点' not found", "['Sheet1']"),
    ),
    Case(
        "csv_undecodable",
        "a CSV in an encoding that is neither UTF-8 nor GB18030 (UTF-16)",
        _utf16,
        ("health_amap.csv", "cannot decode the text as utf-8-sig or gb18030", "encoding"),
    ),
    Case(
        "file_missing",
        "an input file that does not exist",
        _delete("candidates.xlsx"),
        ("candidates.xlsx (sheet '候选点')", "file not found", "[inputs.candidates] path"),
    ),
    Case(
        "layer_missing",
        "a layer name that is not in the GeoPackage",
        toml('layer = "社区村"', 'layer = "社区"'),
        ("boundaries.gpkg (layer '社区')", "layer '社区' not found", "'社区村'"),
    ),
    Case(
        "column_missing",
        "a column mapping naming a column the file does not have",
        toml('pop_total = "常住人口"', 'pop_total = "总人口"'),
        (COM, "column '总人口'", "(for 'pop_total') not found"),
    ),
    Case(
        "facility_type_unknown",
        "a facility type that is neither canonical nor mapped",
        lambda f: edit_csv(f, "facilities_amap.csv", _facility_type),
        ("facilities_amap.csv", "row 2", "column '类型'", "unknown value(s) ['老年食堂']"),
    ),
    Case(
        "nursing_beds_above_beds",
        "more nursing-type beds than beds",
        csv_cell("facilities_amap.csv", "护理型床位数", 0, "999"),
        (
            "facilities_amap.csv",
            "row 2",
            "column '护理型床位数'",
            "more nursing-type beds than beds",
        ),
    ),
    Case(
        "yes_no_unknown",
        "a yes/no column with a value that is neither",
        csv_cell("facilities_amap.csv", "助餐服务", 0, "偶尔"),
        ("facilities_amap.csv", "row 2", "column '助餐服务'", "unknown yes/no value(s) ['偶尔']"),
    ),
    Case(
        "lonlat_full_width",
        "a longitude typed in full-width digits",
        csv_cell("facilities_amap.csv", "经度", 0, "１０６.０１１２０２"),
        (
            "facilities_amap.csv",
            "row 2",
            "column '经度/纬度'",
            "non-numeric coordinates",
            "full-width digits",
        ),
    ),
    Case(
        "candidate_types_unknown",
        "a candidate site eligible for an unknown facility type",
        xlsx_cell("D2", "养老院"),
        ("candidates.xlsx (sheet '候选点')", "row 2", "column '可建类型'", "['养老院']"),
    ),
    Case(
        "candidate_id_duplicate",
        "two candidate sites with the same id",
        xlsx_cell("A3", "C0001"),
        ("candidates.xlsx (sheet '候选点')", "row 2, 3", "column '编号'", "duplicate candidate_id"),
    ),
    Case(
        "buildings_households_negative",
        "a building with a negative number of households",
        set_value("residential", "户数", 0, -5, file="buildings.gpkg"),
        ("buildings.gpkg (layer 'residential')", "row 1", "column '户数'", "negative values"),
    ),
    Case(
        "roster_age_impossible",
        "a roster age of 150",
        lambda f: edit_csv(f, "roster.csv", _roster_age, encoding="gb18030"),
        ("roster.csv", "row 2", "column '年龄'", "values above 130"),
    ),
    # geometry
    Case(
        "communities_are_points",
        "the 社区/村 layer holds points",
        edit_geometry("社区村", lambda g: g.geometry.representative_point()),
        (COM, "column 'geom'", "wrong geometry type ['Point']", "no usable polygon is left"),
    ),
    Case(
        "communities_are_lines",
        "the 社区/村 layer holds lines (boundaries exported as lines)",
        edit_geometry("社区村", lambda g: g.geometry.boundary),
        (COM, "column 'geom'", "wrong geometry type ['LineString']", "needs polygons"),
    ),
    Case(
        "streets_are_points",
        "the 街道/镇 layer holds points",
        edit_geometry("街道镇", lambda g: g.geometry.representative_point()),
        (ST, "row 1, 2, 3", "column 'geom'", "[inputs.streets] needs polygons"),
    ),
    Case(
        "district_is_lines",
        "the district layer holds lines",
        edit_geometry("区界", lambda g: g.geometry.boundary),
        ("boundaries.gpkg (layer '区界')", "row 1", "[inputs.district] needs polygons"),
    ),
    Case(
        "streets_and_communities_swapped",
        "[inputs.streets] and [inputs.communities] name each other's layers",
        lambda f: (
            edit_toml(
                f,
                'layer = "街道镇"\n[inputs.streets.columns]',
                'layer = "社区村"\n[inputs.streets.columns]',
            )
            or edit_toml(
                f,
                'layer = "社区村"\n[inputs.communities.columns]',
                'layer = "街道镇"\n[inputs.communities.columns]',
            )
        ),
        (COM, "column '类型'", "unknown value(s) ['村', '社区'] for 'kind'", "duplicate code"),
    ),
    Case(
        "facilities_are_polygons",
        "[inputs.facilities] names a polygon layer",
        toml(
            'path = "facilities_amap.csv"\n',
            'path = "boundaries.gpkg"\nlayer = "社区村"\n',
        ),
        (COM, "column 'geom'", "[inputs.facilities] needs points"),
    ),
    Case(
        "communities_from_a_table",
        "[inputs.communities] names a CSV table",
        toml(
            'path = "boundaries.gpkg"\nlayer = "社区村"',
            'path = "facilities_amap.csv"',
        ),
        ("facilities_amap.csv", "a table cannot hold polygons"),
    ),
    Case(
        "geometry_empty",
        "one 社区/村 with an empty geometry",
        edit_geometry("社区村", _one_empty),
        (COM, "row 3", "column 'geom'", "missing or empty geometry"),
    ),
    Case(
        "geometry_all_empty",
        "every 社区/村 geometry empty",
        edit_geometry("社区村", lambda g: [shapely.Polygon()] * len(g)),
        (COM, "missing or empty geometry", "no usable polygon is left"),
    ),
    Case(
        "geometry_invalid",
        "a self-intersecting (bow-tie) 社区/村",
        edit_geometry("社区村", _bow_tie),
        (COM, "row 1", "column 'geom'", "invalid geometry (Self-intersection"),
    ),
    Case(
        "layer_xy_swapped",
        "the 街道/镇 layer with latitude as x",
        edit_geometry("街道镇", _swap_xy),
        (ST, "column 'geom'", "x and y look swapped"),
    ),
    Case(
        "communities_overlap",
        "two 社区/村 that overlap",
        edit_geometry("社区村", _overlap),
        (COM, "500199001001", "500199001002", "overlap"),
    ),
    Case(
        "community_outside_its_street",
        "a 社区/村 said to be in a 街道/镇 it lies outside",
        lambda f: edit_layer(f, "社区村", _street_of_other),
        (COM, "row 1", "community 500199001001 extends", "beyond its 街道/镇"),
    ),
    # coordinate systems
    Case(
        "scenario_crs_invalid",
        "[scenario] crs is not a CRS",
        toml('language = "zh"', 'language = "zh"\ncrs = "GK-105"'),
        (SCEN, "column 'scenario.crs'", "[scenario] crs = 'GK-105' is not a CRS"),
    ),
    Case(
        "scenario_crs_geographic",
        "[scenario] crs is longitude/latitude, not metres",
        toml('language = "zh"', 'language = "zh"\ncrs = "EPSG:4326"'),
        (SCEN, "column 'scenario.crs'", "is not a projected CRS in metres"),
    ),
    Case(
        "layer_crs_invalid",
        "crs on a layer is not a CRS",
        toml('layer = "街道镇"\n', 'layer = "街道镇"\ncrs = "EPSG:999999"\n'),
        (ST, "column 'crs'", "crs = 'EPSG:999999' in [inputs.streets] is not a CRS"),
    ),
    Case(
        "table_crs_invalid",
        "crs on a lon/lat table is not a CRS",
        toml('path = "facilities_amap.csv"\n', 'path = "facilities_amap.csv"\ncrs = "wgs"\n'),
        ("facilities_amap.csv", "column 'crs'", "crs = 'wgs' in [inputs.facilities] is not a CRS"),
    ),
    Case(
        "table_crs_projected",
        "crs on a lon/lat table is a projected CRS",
        toml('path = "facilities_amap.csv"\n', 'path = "facilities_amap.csv"\ncrs = "EPSG:4545"\n'),
        ("facilities_amap.csv", "column 'crs'", "is not a longitude/latitude CRS"),
    ),
    Case(
        "layer_without_crs",
        "a layer whose file declares no CRS",
        _no_crs,
        (COM, "the layer has no CRS", 'crs = "EPSG:4490"'),
    ),
    Case(
        "coords_unknown",
        "coords names an unknown offset system",
        toml(
            'path = "facilities_amap.csv"\ncoords = "gcj02"',
            'path = "facilities_amap.csv"\ncoords = "amap"',
        ),
        ("facilities_amap.csv", "column 'coords'", "unknown coordinate system coords = 'amap'"),
    ),
    Case(
        "coords_on_projected_layer",
        "coords declared on a layer in projected metres",
        toml('layer = "residential"\n', 'layer = "residential"\ncoords = "gcj02"\n'),
        ("buildings.gpkg (layer 'residential')", "column 'coords'", "projected metres"),
    ),
    Case(
        "buildings_wrong_crs",
        "every building in the wrong CRS (all outside the district)",
        _buildings_crs,
        ("buildings.gpkg (layer 'residential')", "all 348 buildings lie outside every community"),
    ),
    Case(
        "csv_lon_lat_swapped",
        "a point table with longitude and latitude swapped",
        lambda f: edit_csv(f, "facilities_amap.csv", _swap_lonlat),
        ("facilities_amap.csv", "column '经度/纬度'", "longitude and latitude look swapped"),
    ),
    Case(
        "point_outside_district",
        "a facility 1° east of the district",
        lambda f: edit_csv(f, "facilities_amap.csv", _facility_far),
        ("facilities_amap.csv", "row 2", "1 record(s) lie outside the district"),
    ),
    # the road network
    Case(
        "network_one_degree_away",
        "a road network 1° east of the district (0 % would be covered)",
        roads_as_centrelines(1.0),
        (
            "buildings.gpkg (layer 'residential')",
            "roads.gpkg",
            "attaches only 0 of 348 homes",
            "max_snap_m = 300 m",
            "[validation] min_attached_share = 0.5",
        ),
    ),
    Case(
        "network_attaches_too_few",
        "max_snap_m so small that most homes are not attached",
        toml('speed = "older_adult"', 'speed = "older_adult"\nmax_snap_m = 5'),
        ("buildings.gpkg (layer 'residential')", "of 348 homes", "max_snap_m = 5 m"),
    ),
    Case(
        "network_is_a_table",
        "[inputs.network] names a CSV table",
        toml(
            'path = "roads.osm.pbf"\nformat = "osm"',
            'path = "facilities_amap.csv"\nformat = "centrelines"',
        ),
        ("facilities_amap.csv", "a table (.csv) cannot hold road centrelines"),
    ),
    Case(
        "network_is_polygons",
        "[inputs.network] names a polygon layer",
        toml(
            'path = "roads.osm.pbf"\nformat = "osm"',
            'path = "boundaries.gpkg"\nformat = "centrelines"\nlayer = "社区村"',
        ),
        ("boundaries.gpkg layer '社区村'", "row 1", "road centrelines must be LineString"),
    ),
    Case(
        "network_crs_invalid",
        "crs on the road layer is not a CRS",
        lambda f: (
            roads_as_centrelines()(f)
            or edit_toml(f, 'format = "centrelines"', 'format = "centrelines"\ncrs = "EPSG:0000"')
        ),
        ("roads.gpkg", "column 'crs'", "crs = 'EPSG:0000' in [inputs.network] is not a CRS"),
    ),
    Case(
        "osm_file_with_link_options",
        "navigation-link options on an OSM file",
        toml('format = "osm"', 'format = "osm"\ndefault_class = "residential"'),
        ("roads.osm.pbf", "column 'inputs.network.default_class'", "given for an OSM file"),
    ),
    Case(
        "network_missing",
        "the road network file does not exist",
        _delete("roads.osm.pbf"),
        ("roads.osm.pbf",),
    ),
    # the DEM
    Case(
        "dem_unreadable",
        "a DEM that is not a raster",
        lambda f: (f / "dem.tif").write_bytes(b"not a GeoTIFF"),
        ("dem.tif", "not a readable raster"),
    ),
    Case(
        "dem_all_nodata",
        "a DEM whose every cell is nodata",
        rewrite_dem(_dem_nodata),
        ("dem.tif", "every cell is nodata"),
    ),
    Case(
        "dem_elsewhere",
        "a DEM 5° away from the district",
        rewrite_dem(_dem_shifted),
        ("dem.tif", "the DEM covers none of the district"),
    ),
    Case(
        "dem_crs_key",
        "crs given on the DEM (ignored before)",
        toml('path = "dem.tif"\n', 'path = "dem.tif"\ncrs = "EPSG:4490"\n'),
        ("dem.tif", "column 'crs'", "a DEM is read in the CRS its file declares"),
    ),
    # settings: what `run` parses, `validate` parses
    Case(
        "walking_speed_zero",
        "walking speed 0",
        toml('speed = "older_adult"', "speed = 0"),
        (SCEN, "column 'walking.speed'", "got 0"),
    ),
    Case(
        "walking_speed_negative",
        "walking speed −1 m/s",
        toml('speed = "older_adult"', "speed = -1"),
        (SCEN, "column 'walking.speed'", "got -1"),
    ),
    Case(
        "walking_speed_kmh",
        "walking speed 4.8 (km/h given as m/s)",
        toml('speed = "older_adult"', "speed = 4.8"),
        (SCEN, "column 'walking.speed'", "at most 3", "not km/h"),
    ),
    Case(
        "walking_speed_preset_unknown",
        "an unknown walking-speed preset",
        toml('speed = "older_adult"', 'speed = "elderly"'),
        (SCEN, "column 'walking.speed'", "unknown walking-speed preset 'elderly'"),
    ),
    Case(
        "walking_max_snap_zero",
        "[walking] max_snap_m = 0",
        toml('speed = "older_adult"', 'speed = "older_adult"\nmax_snap_m = 0'),
        (SCEN, "column 'walking.max_snap_m'", "must be a number of metres > 0"),
    ),
    Case(
        "roster_min_count_zero",
        "[roster] min_count = 0 (would show counts of one person)",
        append_toml("[roster]\nmin_count = 0"),
        (SCEN, "column 'roster.min_count'", "must be a whole number >= 1, got 0"),
    ),
    Case(
        "optimize_objective_unknown",
        "an unknown [optimize] objective",
        toml('objective = "max_coverage"', 'objective = "max_fun"'),
        (SCEN, "optimize.objective", "max_fun"),
    ),
    Case(
        "optimize_decay_half_minutes_negative",
        "an attendance objective whose decay halves at -5 minutes",
        toml(
            'objective = "max_coverage"',
            'objective = "attendance"\ndecay = "gaussian"\ndecay_half_minutes = -5',
        ),
        (SCEN, "column 'optimize.decay_half_minutes'", "(0, 1440], got -5"),
    ),
    Case(
        "optimize_decay_unknown",
        "an unknown distance decay",
        toml('objective = "max_coverage"', 'objective = "attendance"\ndecay = "linear"'),
        (SCEN, "column 'optimize.decay'", "unknown decay 'linear'", "'exponential'"),
    ),
    Case(
        "rules_capacity_basis_unknown",
        "capacities measured in an unknown unit",
        append_toml('[rules]\ncapacity_basis = "rooms"'),
        (SCEN, "column 'rules.capacity_basis'", "unknown capacity_basis 'rooms'", "'floor_area'"),
    ),
    Case(
        "budget_line_negative",
        "a budget line with a negative amount",
        toml("per_year_wan_yuan = 60", "per_year_wan_yuan = -60"),
        (SCEN, "budget.line[0]", "-60"),
    ),
    Case(
        "coverage_minutes_zero",
        "[coverage] community_minutes = 0",
        append_toml("[coverage]\ncommunity_minutes = 0"),
        (SCEN, "column 'coverage.community_minutes'", "positive number of minutes"),
    ),
    Case(
        "demand_weight_negative",
        "a negative [demand] weight",
        append_toml("[demand]\nweight_80p = -2"),
        (SCEN, "column 'demand.weight_80p'", "finite number >= 0"),
    ),
    Case(
        "plan_years_reversed",
        "a [plan] whose last year is before its first",
        append_toml("[plan]\nfirst_year = 2025\nlast_year = 2021"),
        (SCEN, "plan.", "2025", "2021"),
    ),
    Case(
        "validation_share_above_one",
        "[validation] min_attached_share above 1",
        append_toml("[validation]\nmin_attached_share = 1.5"),
        (SCEN, "column 'validation.min_attached_share'", "a share from 0 to 1"),
    ),
    Case(
        "settings_key_typo",
        "a misspelt section ([walkng]) that would fall back to the defaults",
        toml("[walking]", "[walkng]"),
        (SCEN, "column 'walkng'", "unknown key 'walkng'"),
    ),
    Case(
        "settings_and_inputs_together",
        "a bad setting and a bad input: both listed at once",
        lambda f: (
            edit_toml(f, 'speed = "older_adult"', "speed = 0")
            or set_value("社区村", "常住人口", 2, -10)(f)
        ),
        (SCEN, "column 'walking.speed'", COM, "negative values"),
    ),
)


def _problem_lines(text: str) -> list[str]:
    """The printed problems (``  - …``), the scenario's folder left out."""
    return [line.strip() for line in text.splitlines() if line.lstrip().startswith("- ")]


@pytest.fixture
def broken(tmp_path: Path, monkeypatch):
    """A function ``case -> folder``: a fresh broken copy of the small demo; cwd is tmp."""
    monkeypatch.chdir(tmp_path)

    def make(case: Case) -> Path:
        folder = tmp_path / "demo-small"
        shutil.copytree(SMALL, folder)
        case.breaks(folder)
        return folder

    return make


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_and_run_refuse(case: Case, broken, capsys, tmp_path):
    folder = broken(case)
    outputs = [tmp_path / "output", tmp_path / "maps"]
    printed = {}
    for command in ("validate", "run"):
        printed[command] = assert_refused(
            [command, str(folder)], capsys, inputs=[folder], outputs=outputs, says=case.says
        )
    # one code path: the same problems, in the same order
    assert _problem_lines(printed["validate"]) == _problem_lines(printed["run"])
    assert _problem_lines(printed["validate"]), printed["validate"]


#: Implausible but possible: a warning with the numbers, and the run goes on (exit status 0).
WARNINGS: tuple[Case, ...] = (
    Case(
        "share_60p_implausible",
        "70 % of a 社区's residents aged 60+",
        set_value("社区村", "60岁及以上", 2, 4668),
        (
            COM,
            "row 3",
            "column '60岁及以上'",
            "more than 60% of their residents aged 60+",
            "500199001003 裕川社区 (4,668 of 6,668, 70.0%)",
        ),
    ),
    Case(
        "community_very_large",
        "a 社区 of 150,000 residents",
        set_value("社区村", "常住人口", 2, 150_000),
        (COM, "row 3", "column '常住人口'", "more than 100,000 residents", "150,000"),
    ),
    Case(
        "roster_codes_unknown",
        "roster people whose community code is not in the communities layer",
        lambda f: edit_csv(
            f,
            "roster.csv",
            lambda r: r.assign(社区村代码=r["社区村代码"].where(r.index >= 3, "500199001999")),
            encoding="gb18030",
        ),
        (
            "roster.csv",
            "row 2, 3, 4",
            "column '社区村代码'",
            "fewer than 5 of about 2,340 people have a community code that is not in the communities layer",
        ),
    ),
    Case(
        "community_code_not_nested",
        "a 社区/村 code that does not begin with its 街道/镇 code",
        set_value("社区村", "社区村代码", 0, "500199102099"),
        (COM, "row 1", "column '街镇代码'", "do not begin with their 街道/镇 code"),
    ),
)


@pytest.mark.parametrize("case", WARNINGS, ids=[c.id for c in WARNINGS])
def test_implausible_values_are_warned_with_their_numbers(case: Case, broken, capsys, tmp_path):
    folder = broken(case)
    text = assert_refused(
        ["validate", str(folder)],
        capsys,
        inputs=[folder],
        outputs=[tmp_path / "output", tmp_path / "maps"],
        says=case.says,
        exit_code=0,
    )
    assert "Validation passed: no errors found." in text


def test_roster_codes_are_never_echoed(broken, capsys):
    case = next(c for c in WARNINGS if c.id == "roster_codes_unknown")
    folder = broken(case)
    from siting.cli import main

    assert main(["validate", str(folder), "--skip-network"]) == 0
    assert "500199001999" not in capsys.readouterr().out


def test_the_docs_list_every_case():
    text = DOCS.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    assert listed == {c.id for c in (*CASES, *WARNINGS)}
