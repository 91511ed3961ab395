"""Every layer in GCJ-02 or BD-09, declared so, gives the original's results (issue 14, parts 1 and 5).

:func:`write_demo_in` copies the small demo with every vector layer (boundaries, buildings, road
centrelines) and every point table shifted into one system and declared so. The demo's road network
is an OpenStreetMap ``.pbf`` (real OSM is WGS84), so both the reference and the shifted copies use
the same roads written as a centreline GeoPackage (the pbf's edges with their OSM tags): the shifted
copy's is in GCJ-02 / BD-09 lon/lat with ``EPSG:4326`` in the file, as navigation layers come.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from isochrones import read_centrelines, read_osm
from isochrones.errors import NetworkInputError
from siting.coords import convert, geometries_to_wgs84
from siting.coverage import compute_coverage
from siting.errors import InputError, Problem
from siting.io import load_inputs, read_input
from siting.optimize import optimize, optimize_settings
from siting.pipeline import proposal_catchments, write_export
from siting.scenario import InputSpec, load_scenario
from siting.walking import walking_graph

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"

#: Point tables of the demo and the system they are written in (data/demo-small/scenario.toml).
POINT_TABLES = {
    "facilities": ("facilities_amap.csv", "gcj02"),
    "health": ("health_amap.csv", "gcj02"),
    "candidates": ("candidates.xlsx", "gcj02"),
    "roster": ("roster.csv", "bd09"),
}
VECTOR_INPUTS = ("district", "streets", "communities", "buildings")


def shift(geoms: np.ndarray, dst: str) -> np.ndarray:
    """WGS84 lon/lat geometries → ``dst`` lon/lat (the published forward formulas)."""

    def forward(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(convert(xy[:, 0], xy[:, 1], src="wgs84", dst=dst))

    return shapely.transform(geoms, forward)


def _shift_layer(gdf: gpd.GeoDataFrame, dst: str) -> gpd.GeoDataFrame:
    lonlat = gdf.to_crs("EPSG:4326")
    geoms = lonlat.geometry.to_numpy() if dst == "wgs84" else shift(lonlat.geometry.to_numpy(), dst)
    return gpd.GeoDataFrame(lonlat.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326")


@functools.cache
def _demo_edges() -> gpd.GeoDataFrame:
    return read_osm(SMALL / "roads.osm.pbf").edges


def _centrelines(folder: Path, system: str) -> Path:
    """The demo's OSM roads as a centreline GeoPackage in ``system`` lon/lat (file says 4326)."""
    edges = _demo_edges()
    keep = ["highway", "name", "step_count", "incline", "access", "foot", "footway"]
    keep += ["sidewalk", "bridge", "tunnel"]
    table = edges[keep].copy()
    table["oneway"] = np.where(edges["oneway"], "yes", "no")
    layer = _shift_layer(
        gpd.GeoDataFrame(table, geometry=edges.geometry.values, crs=edges.crs), system
    )
    path = folder / "roads.gpkg"
    layer.to_file(path, layer="roads")
    return path


def _shift_table(path: Path, src: str, dst: str, *, encoding: str = "utf-8-sig") -> None:
    """Rewrite the 经度/纬度 columns of a point table from ``src`` to ``dst``."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        ws = wb["候选点"]
        header = [c.value for c in ws[1]]
        i_lon, i_lat = header.index("经度") + 1, header.index("纬度") + 1
        for r in range(2, ws.max_row + 1):
            lon, lat = ws.cell(r, i_lon).value, ws.cell(r, i_lat).value
            if lon in (None, "") or lat in (None, ""):
                continue
            x, y = convert(float(lon), float(lat), src=src, dst=dst)
            ws.cell(r, i_lon).value, ws.cell(r, i_lat).value = f"{x:.9f}", f"{y:.9f}"
        wb.save(path)
        return
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    ok = (frame["经度"] != "") & (frame["纬度"] != "")
    x, y = convert(
        frame.loc[ok, "经度"].astype(float).to_numpy(),
        frame.loc[ok, "纬度"].astype(float).to_numpy(),
        src=src,
        dst=dst,
    )
    frame.loc[ok, "经度"] = [f"{v:.9f}" for v in x]
    frame.loc[ok, "纬度"] = [f"{v:.9f}" for v in y]
    frame.to_csv(path, index=False, encoding=encoding)


def write_demo_in(folder: Path, system: str) -> Path:
    """Copy data/demo-small to ``folder`` with every layer in ``system`` and declared so.

    ``system`` is ``wgs84`` (the reference: layers as lon/lat, nothing declared but the points'
    systems), ``gcj02`` or ``bd09``. Boundaries (CGCS2000 lon/lat) and buildings (Gauss-Krüger
    metres) become lon/lat in ``system`` with EPSG:4326 in the file; the roads become a centreline
    layer; the point tables are rewritten in ``system``. Returns the scenario path.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("dem.tif", "facilities_amap.csv", "health_amap.csv", "candidates.xlsx"):
        shutil.copy(SMALL / name, folder / name)
    shutil.copy(SMALL / "roster.csv", folder / "roster.csv")
    for file in ("boundaries.gpkg", "buildings.gpkg"):
        for layer, _ in pyogrio.list_layers(SMALL / file):
            gdf = gpd.read_file(SMALL / file, layer=layer)
            _shift_layer(gdf, system).to_file(folder / file, layer=layer)
    _centrelines(folder, system)
    text = (SMALL / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace(
        'path = "roads.osm.pbf"\nformat = "osm"', 'path = "roads.gpkg"\nformat = "centrelines"'
    )
    text = re.sub(r"^dir = .*$", f'dir = "{folder / "output"}"', text, flags=re.M)
    declared = {}
    for name, (file, src) in POINT_TABLES.items():
        dst = src if system == "wgs84" else system
        if dst != src:
            _shift_table(
                folder / file, src, dst, encoding="gb18030" if name == "roster" else "utf-8-sig"
            )
        declared[name] = dst
    if system != "wgs84":
        declared.update({name: system for name in (*VECTOR_INPUTS, "network")})
    text = re.sub(r'^coords = ".*"\n', "", text, flags=re.M)
    for name, value in declared.items():
        header = f"[inputs.{name}]\n"
        assert header in text, header
        text = text.replace(header, f'{header}coords = "{value}"\n', 1)
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(scenario_path: Path):
    """Inputs, coverage, siting and the exported GeoPackage of a scenario."""
    scenario = load_scenario(scenario_path)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    coverage = compute_coverage(inputs, graph)
    siting = optimize(inputs, coverage, optimize_settings(scenario), graph=graph)
    catchments = proposal_catchments(inputs, graph, siting)
    path = scenario_path.parent / "layers.gpkg"
    write_export(inputs, catchments, coverage, path, siting=siting)
    return inputs, coverage, siting, path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shifted")
    return {s: _run(write_demo_in(folder / s, s)) for s in ("wgs84", "gcj02", "bd09")}


def _max_offset_m(a: gpd.GeoSeries, b: gpd.GeoSeries) -> float:
    """Largest distance between matching vertices of two layers in a metric CRS."""
    ca, cb = shapely.get_coordinates(a.to_numpy()), shapely.get_coordinates(b.to_numpy())
    assert ca.shape == cb.shape
    return float(np.max(np.hypot(*(ca - cb).T)))


def _vertex_distance_m(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance from a vertex of one geometry to the outline of its match (both ways).

    GEOS's discrete Hausdorff distance measures the same, pair of vertices by pair, and takes
    seconds on the isochrones; distances to the outline use an index.
    """

    def one_way(x: np.ndarray, y: np.ndarray) -> float:
        if len(x) == 0:
            return 0.0
        xy, of = shapely.get_coordinates(x, return_index=True)
        outline = np.where(np.isin(shapely.get_type_id(y), [3, 6]), shapely.boundary(y), y)
        return float(shapely.distance(shapely.points(xy), outline[of]).max())

    return max(one_way(a, b), one_way(b, a))


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_shifted_demo_gives_the_original_results(runs, system):
    ref_in, ref_cov, ref_site, ref_gpkg = runs["wgs84"]
    inp, cov, site, gpkg = runs[system]
    # every layer lines up with the reference: well within 0.5 m (the inverse is exact to 1e-9°)
    for name in ("streets", "communities", "buildings", "facilities", "health", "candidates"):
        assert _max_offset_m(getattr(inp, name).geometry, getattr(ref_in, name).geometry) < 0.5, (
            name
        )
    assert _max_offset_m(inp.roster.geometry, ref_in.roster.geometry) < 0.5
    assert inp.network.n_edges == ref_in.network.n_edges == 1_637
    assert _max_offset_m(inp.network.edges.geometry, ref_in.network.edges.geometry) < 0.5
    # coverage per community equal
    cols = [
        c
        for c in ref_cov.communities.columns
        if pd.api.types.is_numeric_dtype(ref_cov.communities[c])
    ]
    pd.testing.assert_frame_equal(
        cov.communities[cols].reset_index(drop=True),
        ref_cov.communities[cols].reset_index(drop=True),
        rtol=1e-6,
    )
    for table in ("streets", "district"):
        a, b = getattr(cov, table), getattr(ref_cov, table)
        num = [c for c in b.columns if pd.api.types.is_numeric_dtype(b[c])]
        pd.testing.assert_frame_equal(a[num], b[num], rtol=1e-6)
    # the reference itself (the demo's roads as a centreline layer): 44.99 % of 14,866 covered
    district = ref_cov.district.iloc[0]
    assert district["elderly"] == 14_866
    assert district["coverage_pct"] == pytest.approx(44.99, abs=0.01)
    assert ref_site.summary["n_new_sites"] == 12
    # same chosen sites, same money and coverage
    np.testing.assert_array_equal(site.open_options, ref_site.open_options)
    assert site.summary["n_new_sites"] == ref_site.summary["n_new_sites"]
    assert site.summary["coverage_after_pct"] == pytest.approx(
        ref_site.summary["coverage_after_pct"], rel=1e-6
    )
    # the exported GIS layers (CGCS2000): equal attributes, every feature within 0.5 m
    layers = [name for name, _ in pyogrio.list_layers(ref_gpkg) if name != "layer_styles"]
    assert [name for name, _ in pyogrio.list_layers(gpkg) if name != "layer_styles"] == layers
    assert len(layers) >= 5
    for layer in layers:
        a = gpd.read_file(gpkg, layer=layer)
        b = gpd.read_file(ref_gpkg, layer=layer)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), layer
        num = [c for c in b.columns if pd.api.types.is_numeric_dtype(b[c])]
        text = [c for c in b.columns if c not in num and c != "geometry"]
        pd.testing.assert_frame_equal(a[num], b[num], rtol=1e-6, check_dtype=False)
        pd.testing.assert_frame_equal(a[text], b[text])
        if b.geometry.notna().any():
            a_m, b_m = (g.geometry.to_crs("EPSG:4544").to_numpy() for g in (a, b))
            # vertex by vertex within 0.5 m; where the vertices differ (isochrones are unions of
            # buffers), every vertex of each within 0.5 m of the other's outline
            same = shapely.equals_exact(a_m, b_m, tolerance=0.5)
            far = _vertex_distance_m(a_m[~same], b_m[~same])
            assert far < 0.5, (layer, far)


def test_validate_says_what_was_declared_and_done(runs):
    notes = {layer.name: layer.note for layer in runs["gcj02"][0].layers}
    n_vertices = int(
        shapely.get_num_coordinates(runs["gcj02"][0].communities.geometry.to_numpy()).sum()
    )
    assert (
        notes["communities"]
        == f"GCJ-02 declared, {n_vertices:,} vertices converted to WGS84/CGCS2000"
    )
    assert notes["facilities"] == "GCJ-02 declared, 14 points converted to WGS84/CGCS2000"
    assert "GCJ-02 declared" in notes["network"] and "vertices converted" in notes["network"]
    ref = {layer.name: layer.note for layer in runs["wgs84"][0].layers}
    assert ref["communities"] == "coords not declared: lon/lat read as WGS84/CGCS2000"


# ------------------------------------------------------------------------------------------
# unit tests
# ------------------------------------------------------------------------------------------

RING = shapely.Polygon(
    [(106.50, 29.50), (106.62, 29.51), (106.63, 29.63), (106.51, 29.64), (106.50, 29.50)],
    holes=[[(106.55, 29.55), (106.57, 29.55), (106.57, 29.57), (106.55, 29.55)]],
)


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_polygon_vertices_round_trip(system):
    dense = shapely.segmentize(RING, 0.001)  # 500+ vertices over 13 km
    shifted = shift(np.array([dense]), system)
    moved = np.hypot(*(shapely.get_coordinates(shifted) - shapely.get_coordinates(dense)).T)
    assert moved.min() > 0.002  # the offset is hundreds of metres
    back = geometries_to_wgs84(shifted, src=system)[0]
    err = np.abs(shapely.get_coordinates(back) - shapely.get_coordinates(dense)).max()
    assert err <= 1e-6
    assert err <= 1e-9  # in fact


def _polygon_spec(folder: Path, gdf: gpd.GeoDataFrame, **kw) -> InputSpec:
    path = folder / "communities.gpkg"
    gdf.to_file(path, layer="社区村")
    columns = {"code": "code", "name": "name", "pop_total": "pop", "pop_60p": "pop60"}
    return InputSpec(name="communities", path=path, layer="社区村", columns=columns, **kw)


def _communities(geom, crs="EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["500199001001"], "name": ["龙井社区"], "pop": [100], "pop60": [20]},
        geometry=[geom],
        crs=crs,
    )


def test_epsg4326_file_declared_gcj02_is_converted(tmp_path):
    gcj = shift(np.array([RING]), "gcj02")[0]
    problems: list[Problem] = []
    got = read_input(_polygon_spec(tmp_path, _communities(gcj), coords="gcj02"), problems)
    assert problems == []
    assert str(got.crs) == "EPSG:4326"
    err = np.abs(
        shapely.get_coordinates(got.geometry.iloc[0]) - shapely.get_coordinates(RING)
    ).max()
    assert err < 1e-9
    assert got.attrs["coords_note"] == "GCJ-02 declared, 9 vertices converted to WGS84/CGCS2000"
    # not declared: read as it is, ~500 m off
    plain = read_input(_polygon_spec(tmp_path, _communities(gcj)), problems)
    assert (
        np.abs(shapely.get_coordinates(plain.geometry.iloc[0]) - shapely.get_coordinates(gcj)).max()
        == 0
    )


def test_coords_on_projected_layer_is_an_error(tmp_path):
    metric = _communities(RING).to_crs("EPSG:4545")
    problems: list[Problem] = []
    assert read_input(_polygon_spec(tmp_path, metric, coords="gcj02"), problems) is None
    (p,) = problems
    assert p.column == "coords"
    assert "coords = 'gcj02' in [inputs.communities]" in p.message
    assert "projected metres" in p.message


def test_unknown_coords_names_input_and_value(tmp_path):
    problems: list[Problem] = []
    assert read_input(_polygon_spec(tmp_path, _communities(RING), coords="amap"), problems) is None
    (p,) = problems
    assert p.column == "coords"
    assert "coords = 'amap' in [inputs.communities]" in p.message
    assert "gcj02" in p.hint


def test_centrelines_declared_gcj02_are_converted_and_checked(tmp_path):
    line = shapely.LineString([(106.50, 29.50), (106.51, 29.50), (106.51, 29.51)])
    layer = gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[line], crs="EPSG:4326")
    gcj = _shift_layer(layer, "gcj02")
    gcj.to_file(tmp_path / "roads.gpkg", layer="roads")
    net = read_centrelines(tmp_path / "roads.gpkg", coords="gcj02", crs="EPSG:4545")
    ref = read_centrelines(_write(layer, tmp_path / "ref.gpkg"), crs="EPSG:4545")
    assert net.meta["vertices_converted"] == 3
    assert _max_offset_m(net.edges.geometry, ref.edges.geometry) < 1e-3
    with pytest.raises(NetworkInputError, match="unknown coordinate system coords = 'gcj'"):
        read_centrelines(tmp_path / "roads.gpkg", coords="gcj")
    metric = _write(layer.to_crs("EPSG:4545"), tmp_path / "metric.gpkg")
    with pytest.raises(NetworkInputError, match="coords = 'gcj02' on a layer in projected metres"):
        read_centrelines(metric, coords="gcj02")


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, layer="roads")
    return path


def test_unknown_network_coords_stops_load(tmp_path):
    path = write_demo_in(tmp_path / "d", "wgs84")
    text = path.read_text(encoding="utf-8").replace(
        "[inputs.network]\n", '[inputs.network]\ncoords = "baidu"\n', 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inputs(load_scenario(path))
    messages = [p.message for p in info.value.problems]
    assert "unknown coordinate system coords = 'baidu' in [inputs.network]" in messages


def test_undeclared_gcj02_layers_do_not_line_up(tmp_path):
    """The same copy with the offsets left undeclared on the vector layers fails validation."""
    path = write_demo_in(tmp_path / "d", "gcj02")
    text = path.read_text(encoding="utf-8")
    for name in (*VECTOR_INPUTS, "network"):
        text = text.replace(f'[inputs.{name}]\ncoords = "gcj02"\n', f"[inputs.{name}]\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="lie outside the district"):
        load_inputs(load_scenario(path), network=False)


def test_crs_on_inputs(tiny, tmp_path):
    """``crs`` on a table must be lon/lat; on a vector layer it overrides the file's CRS."""
    folder = tiny.parent
    spec = InputSpec(
        name="facilities",
        path=folder / "facilities.csv",
        coords="gcj02",
        crs="EPSG:4545",
        columns={"facility_id": "id", "name": "名称", "type": "类型", "lon": "经度", "lat": "纬度"},
        values={
            "type": {
                "社区养老服务站": "station",
                "村级互助养老点": "village_point",
                "乡镇养老服务中心": "town_center",
            }
        },
    )
    problems: list[Problem] = []
    assert read_input(spec, problems) is None
    assert problems[0].column == "crs" and "EPSG:4545" in problems[0].message
    # a layer whose file wrongly says EPSG:4545 while holding GCJ-02 lon/lat
    gcj = shift(np.array([RING]), "gcj02")[0]
    wrong = _communities(gcj).set_crs("EPSG:4545", allow_override=True)
    problems = []
    got = read_input(_polygon_spec(tmp_path, wrong, coords="gcj02", crs="EPSG:4326"), problems)
    assert problems == []
    err = np.abs(shapely.get_coordinates(got.geometry.iloc[0]) - shapely.get_coordinates(RING))
    assert err.max() < 1e-9


def test_osm_with_projected_crs_and_dem_with_coords_are_errors(tmp_path):
    from siting.io import read_network

    spec = InputSpec(name="network", path=SMALL / "roads.osm.pbf", format="osm", crs="EPSG:4545")
    with pytest.raises(InputError) as info:
        read_network(spec)
    assert info.value.problems[0].column == "crs"
    path = write_demo_in(tmp_path / "d", "wgs84")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[inputs.dem]\n", '[inputs.dem]\ncoords = "gcj02"\n'), "utf-8")
    with pytest.raises(InputError) as info:
        load_inputs(load_scenario(path), network=False)
    (p,) = info.value.problems
    assert p.column == "coords" and "[inputs.dem]" in p.message
