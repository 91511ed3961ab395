"""GeoPackages that come out the same for the same inputs on the same day.

GDAL stamps each GeoPackage table with the second it was written (``gpkg_contents.last_change``),
so two runs of one scenario gave files with different bytes. The stamp is set to the day instead
(the day is in every layer's metadata as ``date`` already): same inputs and scenario, same day →
same bytes.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["same_day_timestamps"]


def same_day_timestamps() -> None:
    """Make GDAL stamp GeoPackage contents with today's date at 00:00 UTC."""
    import pyogrio

    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": f"{dt.date.today().isoformat()}T00:00:00.000Z"}
    )
