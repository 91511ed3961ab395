"""DEM reading and elevation profiles along edges, checked against DEMs with known shapes."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from isochrones.errors import NetworkInputError
from isochrones.terrain import flat_profiles, points_along, read_dem, sample_edge_profiles
from isochrones.walktime import WalkingModel, walking_arcs
from tests.isochrones.helpers import CRS, ORIGIN, make_network, write_dem

OX, OY = ORIGIN
# DEM bounds around the test networks (metres in EPSG:4544), 10 m pixels.
BOUNDS = (OX - 500, OY - 500, OX + 1500, OY + 500)


def plane(slope_x: float, z0: float = 100.0):
    return lambda x, y: z0 + slope_x * (x - OX)


def test_read_dem_keeps_grid_crs_and_turns_nodata_into_nan(tmp_path):
    path = tmp_path / "dem.tif"
    write_dem(
        path,
        plane(0.1),
        bounds=BOUNDS,
        resolution=10,
        dtype="int16",
        nodata=-32768,
        nodata_mask=lambda x, y: (x < OX - 400) & (y > OY + 400),
    )
    dem = read_dem(path)
    assert dem.elevation_m.shape == (100, 200)
    assert dem.crs.equals(CRS)
    assert dem.nodata == -32768
    assert dem.transform.a == 10 and dem.transform.c == BOUNDS[0]
    assert np.isnan(dem.elevation_m[0, 0])  # the nodata corner (top left)
    assert np.isnan(dem.elevation_m).sum() == 10 * 10
    assert dem.elevation_m[50, 60] == pytest.approx(100 + 0.1 * (BOUNDS[0] + 605 - OX), abs=0.5)


def test_read_dem_rejects_a_file_that_is_not_a_raster(tmp_path):
    path = tmp_path / "dem.tif"
    path.write_text("not a raster")
    with pytest.raises(NetworkInputError, match="cannot read the DEM"):
        read_dem(path)


def test_bilinear_sampling_is_exact_on_a_plane_and_nan_outside(tmp_path):
    write_dem(
        tmp_path / "d.tif",
        lambda x, y: 3.0 * (x - OX) - 2.0 * (y - OY),
        bounds=BOUNDS,
        resolution=10,
    )
    dem = read_dem(tmp_path / "d.tif")
    x = np.array([OX + 0.0, OX + 123.4, OX - 77.7, OX + 2000.0])
    y = np.array([OY + 0.0, OY - 45.6, OY + 300.1, OY])
    z = dem.sample(x, y)
    np.testing.assert_allclose(z[:3], 3.0 * (x[:3] - OX) - 2.0 * (y[:3] - OY), atol=1e-3)
    assert np.isnan(z[3])


def test_profile_of_a_sloped_edge_climbs_one_way_and_descends_the_other(tmp_path):
    write_dem(tmp_path / "d.tif", plane(0.08), bounds=BOUNDS, resolution=10)
    dem = read_dem(tmp_path / "d.tif")
    net = make_network({1: (0, 0), 2: (300, 0)}, [(1, 2), (2, 1)])
    prof = sample_edge_profiles(net, dem, spacing_m=30)
    assert prof.n_segments.tolist() == [10, 10]
    np.testing.assert_allclose(prof.z_start_m, [100, 124], atol=1e-3)
    np.testing.assert_allclose(prof.z_end_m, [124, 100], atol=1e-3)
    np.testing.assert_allclose(prof.rise_m, [24, 0], atol=1e-3)
    np.testing.assert_allclose(prof.fall_m, [0, 24], atol=1e-3)
    np.testing.assert_allclose(prof.segment_rise_m[:10], 2.4, atol=1e-4)
    assert prof.covered.all() and prof.problems == ()


def test_a_road_over_a_hill_rises_and_falls(tmp_path):
    # A ridge along y at x = OX + 155 (a pixel centre), flanks of 10 % each side.
    write_dem(
        tmp_path / "d.tif",
        lambda x, y: 50 - 0.1 * np.abs(x - OX - 155),
        bounds=BOUNDS,
        resolution=10,
    )
    net = make_network({1: (5, 0), 2: (305, 0)}, [(1, 2)])
    prof = sample_edge_profiles(net, read_dem(tmp_path / "d.tif"), spacing_m=30)
    # End minus start is 0, but the walk climbs 15 m and descends 15 m.
    assert prof.z_end_m[0] - prof.z_start_m[0] == pytest.approx(0, abs=1e-3)
    assert prof.rise_m[0] == pytest.approx(15, abs=1e-3)
    assert prof.fall_m[0] == pytest.approx(15, abs=1e-3)


def test_bridge_follows_a_straight_grade_not_the_valley_floor(tmp_path):
    # A 40 m deep valley centred at x = OX + 155; the bridge heads are on its rims.
    write_dem(
        tmp_path / "d.tif",
        lambda x, y: np.maximum(10, 50 - 0.4 * np.maximum(0, 100 - np.abs(x - OX - 155))),
        bounds=BOUNDS,
        resolution=10,
    )
    nodes = {1: (5, 0), 2: (305, 0)}
    net = make_network(nodes, [(1, 2, {"bridge": "yes"}), (1, 2, {"bridge": None})])
    prof = sample_edge_profiles(net, read_dem(tmp_path / "d.tif"))
    assert prof.rise_m[0] == pytest.approx(0, abs=1e-6)
    assert prof.fall_m[0] == pytest.approx(0, abs=1e-6)
    assert prof.fall_m[1] == pytest.approx(prof.rise_m[1], abs=1e-3)
    assert prof.fall_m[1] > 30


def test_dem_in_lon_lat_is_sampled_at_the_transformed_positions(tmp_path):
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(OX, OY)
    write_dem(
        tmp_path / "d.tif",
        lambda lon, lat: 200 + 1000 * (lon - lon0) + 3000 * (lat - lat0),
        bounds=(lon0 - 0.02, lat0 - 0.02, lon0 + 0.02, lat0 + 0.02),
        resolution=1 / 3600,
        crs="EPSG:4326",
    )
    net = make_network({1: (0, 0), 2: (700, 400)}, [(1, 2)])
    prof = sample_edge_profiles(net, read_dem(tmp_path / "d.tif"))
    lon2, lat2 = to_ll.transform(OX + 700, OY + 400)
    assert prof.z_start_m[0] == pytest.approx(200, abs=0.01)
    assert prof.z_end_m[0] == pytest.approx(
        200 + 1000 * (lon2 - lon0) + 3000 * (lat2 - lat0), abs=0.01
    )


def test_edges_outside_the_dem_are_flat_and_reported_with_bbox_and_count(tmp_path):
    write_dem(tmp_path / "d.tif", plane(0.1), bounds=BOUNDS, resolution=10)
    nodes = {1: (0, 0), 2: (100, 0), 3: (2000, 0), 4: (2100, 50)}
    net = make_network(nodes, [(1, 2), (2, 3), (3, 4)])
    prof = sample_edge_profiles(net, read_dem(tmp_path / "d.tif"))
    assert prof.covered.tolist() == [True, False, False]
    np.testing.assert_allclose(prof.rise_m, [10, 0, 0], atol=1e-3)
    (problem,) = prof.problems
    assert problem.severity == "warning"
    assert "2 edges" in problem.message and "outside the DEM extent" in problem.message
    assert "ways 1001, 1002" in problem.message
    assert f"({OX + 100:.0f}, {OY:.0f}, {OX + 2100:.0f}, {OY + 50:.0f})" in problem.message


def test_edges_on_nodata_cells_are_flat_and_reported(tmp_path):
    write_dem(
        tmp_path / "d.tif",
        plane(0.1),
        bounds=BOUNDS,
        resolution=10,
        nodata=-9999,
        nodata_mask=lambda x, y: (x > OX + 150) & (x < OX + 350),
    )
    net = make_network({1: (0, 0), 2: (100, 0), 3: (400, 0)}, [(1, 2), (2, 3)])
    prof = sample_edge_profiles(net, read_dem(tmp_path / "d.tif"))
    assert prof.covered.tolist() == [True, False]
    assert prof.rise_m[1] == 0
    (problem,) = prof.problems
    assert "1 edges" in problem.message and "nodata" in problem.message


def test_flat_profiles_cut_edges_at_the_spacing():
    net = make_network({1: (0, 0), 2: (95, 0), 3: (95, 10)}, [(1, 2), (2, 3)])
    prof = flat_profiles(net, spacing_m=30)
    assert prof.n_segments.tolist() == [4, 1]
    assert prof.offsets.tolist() == [0, 5, 7]
    assert not prof.covered.any() and (prof.segment_rise_m == 0).all()


def test_edges_without_geometry_are_uncovered_and_get_no_arcs(tmp_path):
    write_dem(tmp_path / "d.tif", plane(0.1), bounds=BOUNDS, resolution=10)
    net = make_network({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [(1, 2), (2, 3)])
    net.edges.loc[1, "geometry"] = shapely.LineString()
    dem = read_dem(tmp_path / "d.tif")
    prof = sample_edge_profiles(net, dem)
    assert prof.covered.tolist() == [True, False] and prof.problems == ()
    graph = walking_arcs(net, WalkingModel(0.8), dem=dem)
    assert graph.edge_has_arcs.tolist() == [True, False]


@settings(max_examples=50, deadline=None)
@given(
    coords=st.lists(
        st.tuples(st.integers(-500, 500), st.integers(-500, 500)), min_size=2, max_size=6
    ),
    fractions=st.lists(st.floats(0, 1), min_size=1, max_size=10),
)
def test_points_along_equals_shapely_interpolation(coords, fractions):
    line = shapely.LineString(coords)
    geoms = np.array([shapely.LineString([(0, 0), (3, 4)]), line], dtype=object)
    rows = np.ones(len(fractions), dtype=int)
    got = points_along(geoms, rows, np.array(fractions))
    if line.length == 0:
        np.testing.assert_allclose(got, np.repeat([coords[0]], len(fractions), axis=0))
        return
    expected = shapely.get_coordinates(
        shapely.line_interpolate_point(line, fractions, normalized=True)
    )
    np.testing.assert_allclose(got, expected, atol=1e-6)
