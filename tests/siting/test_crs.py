import pytest

from isochrones.crs import gauss_kruger_3deg_epsg, working_crs


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [(75.0, 4534), (105.0, 4544), (106.4, 4544), (106.6, 4545), (108.0, 4545), (135.0, 4554)],
)
def test_gauss_kruger_zone(lon, epsg):
    assert gauss_kruger_3deg_epsg(lon) == epsg


def test_zone_central_meridian_matches_epsg_definition():
    # the EPSG definition itself is the oracle: its central meridian is the nearest multiple of 3
    for lon in (104.2, 106.05, 107.7, 109.4):
        crs = working_crs(lon, 29.8)
        central = next(
            p.value for p in crs.coordinate_operation.params if "longitude" in p.name.lower()
        )
        assert abs(central - lon) <= 1.5
        assert crs.name.startswith("CGCS2000 / 3-degree Gauss-Kruger CM")


def test_utm_outside_china():
    assert working_crs(24.94, 60.17).to_epsg() == 32635  # Helsinki
    assert working_crs(-74.0, 40.7).to_epsg() == 32618  # New York
