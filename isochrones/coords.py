"""Conversions between WGS84, GCJ-02 (Amap, Tencent) and BD-09 (Baidu) longitudes/latitudes.

GCJ-02 is WGS84 plus a published, deterministic offset of up to a few hundred metres, applied
only inside China; BD-09 is a further published transform of GCJ-02. The forward transforms are
the public formulas; the inverses are solved by fixed-point iteration to 1e-10°, so a round trip
returns the input within 1e-9° (most published inverses are one-step approximations that are
off by a metre or more). The offset is zero outside China's bounding box, as in the apps.

All functions take and return NumPy arrays (or scalars) of longitudes and latitudes in degrees;
:func:`geometries_to_wgs84` applies a conversion to every vertex of an array of shapely geometries
(points, lines, polygons) at once. The module is pure (no files) and lives in ``isochrones`` so that
both the network readers and :mod:`siting` use the same code; :mod:`siting.coords` re-exports it.

``"cgcs2000"`` is accepted wherever a declared system is read (:func:`declared_system`): CGCS2000
and WGS84 longitudes/latitudes agree to centimetres, so it means "no offset".
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely

__all__ = [
    "COORD_SYSTEMS",
    "DECLARED_SYSTEMS",
    "SYSTEM_NAMES",
    "CoordSystem",
    "DeclaredSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "declared_system",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geometries_to_wgs84",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
#: What a scenario may declare with ``coords = ...``.
DeclaredSystem = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
DECLARED_SYSTEMS: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")
#: How messages name each system.
SYSTEM_NAMES: dict[str, str] = {
    "wgs84": "WGS84",
    "cgcs2000": "CGCS2000",
    "gcj02": "GCJ-02",
    "bd09": "BD-09",
}

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOL = 1e-10
_MAX_ITER = 50

ArrayLike = npt.ArrayLike


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where the point lies outside the box in which GCJ-02 applies an offset."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.astype(float, copy=True), lat_a.astype(float, copy=True)


def _ret(lon: np.ndarray, lat: np.ndarray, scalar: bool):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _is_scalar(lon: ArrayLike, lat: ArrayLike) -> bool:
    return np.ndim(lon) == 0 and np.ndim(lat) == 0


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike):
    """WGS84 → GCJ-02 (the published forward formula)."""
    scalar = _is_scalar(lon, lat)
    lon_a, lat_a = _as_arrays(lon, lat)
    dlat = _offset_lat(lon_a - 105.0, lat_a - 35.0)
    dlon = _offset_lon(lon_a - 105.0, lat_a - 35.0)
    radlat = lat_a / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon_a, lat_a)
    out_lon = np.where(outside, lon_a, lon_a + dlon)
    out_lat = np.where(outside, lat_a, lat_a + dlat)
    return _ret(out_lon, out_lat, scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike):
    """GCJ-02 → BD-09 (the published forward formula)."""
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _ret(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def _invert(forward, lon: ArrayLike, lat: ArrayLike):
    """Solve forward(x) = target by fixed-point iteration (the offset varies slowly)."""
    scalar = _is_scalar(lon, lat)
    t_lon, t_lat = _as_arrays(lon, lat)
    x_lon, x_lat = t_lon.copy(), t_lat.copy()
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon, e_lat = f_lon - t_lon, f_lat - t_lat
        x_lon -= e_lon
        x_lat -= e_lat
        if np.all(np.abs(e_lon) < _TOL) and np.all(np.abs(e_lat) < _TOL):
            break
    return _ret(x_lon, x_lat, scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike):
    """GCJ-02 → WGS84, exact to 1e-10° (iterative inverse of :func:`wgs84_to_gcj02`)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike):
    """BD-09 → GCJ-02, exact to 1e-10° (iterative inverse of :func:`gcj02_to_bd09`)."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike):
    """WGS84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike):
    """BD-09 → WGS84, exact to 1e-10°."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {
    "wgs84": lambda lon, lat: _ret(*_as_arrays(lon, lat), _is_scalar(lon, lat)),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84 = {
    "wgs84": lambda lon, lat: _ret(*_as_arrays(lon, lat), _is_scalar(lon, lat)),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def convert(lon: ArrayLike, lat: ArrayLike, *, src: CoordSystem, dst: CoordSystem):
    """Convert longitudes/latitudes between ``{'wgs84', 'gcj02', 'bd09'}``.

    Examples
    --------
    >>> lon, lat = convert(106.05, 29.85, src="wgs84", dst="gcj02")
    >>> back = convert(lon, lat, src="gcj02", dst="wgs84")
    >>> abs(back[0] - 106.05) < 1e-9 and abs(back[1] - 29.85) < 1e-9
    True
    """
    for name, value in (("src", src), ("dst", dst)):
        if value not in COORD_SYSTEMS:
            raise ValueError(
                f"unknown coordinate system {name}={value!r}; use one of {COORD_SYSTEMS}"
            )
    if src == dst:
        return _TO_WGS84["wgs84"](lon, lat)
    return _FROM_WGS84[dst](*_TO_WGS84[src](lon, lat))


def declared_system(value: str | None) -> CoordSystem | None:
    """The offset system of a declared ``coords`` value, or None when the value is unknown.

    ``None`` (not declared), ``"wgs84"`` and ``"cgcs2000"`` (case-insensitive) give ``"wgs84"``.
    """
    text = "wgs84" if value is None else str(value).strip().lower()
    if text not in DECLARED_SYSTEMS:
        return None
    return "wgs84" if text == "cgcs2000" else text  # type: ignore[return-value]


def geometries_to_wgs84(geometries: npt.ArrayLike, *, src: CoordSystem) -> np.ndarray:
    """Every vertex of ``geometries`` (lon/lat degrees in ``src``) converted to WGS84.

    One vectorised call over all vertices (:func:`shapely.transform`), with the same iterative,
    1e-10°-exact inverses as :func:`convert`; missing geometries stay missing, Z is dropped.

    Examples
    --------
    >>> import shapely
    >>> ring = shapely.Polygon([(106.5, 29.5), (106.6, 29.5), (106.6, 29.6), (106.5, 29.5)])
    >>> gcj = shapely.transform(ring, lambda xy: np.column_stack(
    ...     convert(xy[:, 0], xy[:, 1], src="wgs84", dst="gcj02")))
    >>> back = geometries_to_wgs84(np.array([gcj]), src="gcj02")[0]
    >>> bool(shapely.equals_exact(back, ring, tolerance=1e-9))
    True
    """
    geoms = np.asarray(geometries, dtype=object)
    if src == "wgs84":
        return geoms.copy()
    if src not in COORD_SYSTEMS:
        raise ValueError(f"unknown coordinate system src={src!r}; use one of {COORD_SYSTEMS}")

    def to_wgs84(xy: np.ndarray) -> np.ndarray:
        lon, lat = convert(xy[:, 0], xy[:, 1], src=src, dst="wgs84")
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, to_wgs84)
