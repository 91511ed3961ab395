"""Choice of a metric working CRS.

Inside China the working CRS is the CGCS2000 3-degree Gauss-Krüger zone whose central meridian
is nearest to the data (EPSG:4534 for 75°E up to EPSG:4554 for 135°E, without zone prefix in the
false easting); Chongqing lies in the zones of 105°E (EPSG:4544) and 108°E (EPSG:4545).
Elsewhere it is the UTM zone of the data's centre, as ``geopandas.GeoSeries.estimate_utm_crs``
picks it.
"""

from __future__ import annotations

import pyproj
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

__all__ = ["gauss_kruger_3deg_epsg", "in_china", "working_crs"]

# Generous bounding box of the territory in which CGCS2000 Gauss-Krüger zones are the norm.
_CHINA_BOUNDS = (73.4, 18.0, 135.1, 53.6)


def in_china(lon: float, lat: float) -> bool:
    """Whether a WGS84/CGCS2000 longitude/latitude lies in mainland China's bounding box."""
    w, s, e, n = _CHINA_BOUNDS
    return w <= lon <= e and s <= lat <= n


def gauss_kruger_3deg_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (central meridian, no zone prefix).

    >>> gauss_kruger_3deg_epsg(106.05)
    4544
    >>> gauss_kruger_3deg_epsg(107.6)
    4545
    """
    central = round(lon / 3.0) * 3
    if not 75 <= central <= 135:
        raise ValueError(f"longitude {lon} is outside the CGCS2000 3-degree zones (75°E–135°E)")
    return 4534 + (central - 75) // 3


def working_crs(lon: float, lat: float) -> pyproj.CRS:
    """The metric CRS to compute in, for data centred at ``lon``/``lat`` (degrees, WGS84)."""
    if in_china(lon, lat):
        return pyproj.CRS.from_epsg(gauss_kruger_3deg_epsg(lon))
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    if not infos:
        raise ValueError(f"no UTM zone found for lon={lon}, lat={lat}")
    return pyproj.CRS.from_epsg(int(infos[0].code))
