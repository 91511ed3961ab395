"""GeoPackages that come out the same for the same inputs on the same day.

GDAL stamps each GeoPackage table with the second it was written (``gpkg_contents.last_change``),
so two runs of one scenario gave files with different bytes. The stamp is set to the day instead
(the day is in every layer's metadata as ``date`` already): same inputs and scenario, same day →
same bytes.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["GPKG_EPSG", "GPKG_VERSION", "integer_columns", "same_day_timestamps", "write_layers"]


def same_day_timestamps() -> None:
    """Make GDAL stamp GeoPackage contents with today's date at 00:00 UTC."""
    import pyogrio

    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": f"{dt.date.today().isoformat()}T00:00:00.000Z"}
    )


#: The CRS every GeoPackage of the tool is written in by default: CGCS2000 lon/lat.
GPKG_EPSG = 4490
#: The GeoPackage version: 1.2 is read by the older GDAL, QGIS and ArcGIS still common on
#: planning bureaus' machines.
GPKG_VERSION = "1.2"

_SCHEMA_EXTENSION = (
    "gpkg_data_columns",
    None,
    "gpkg_schema",
    "http://www.geopackage.org/spec121/#extension_schema",
    "read-write",
)


def tool_metadata(layers, **extra: str) -> dict[str, str]:
    """The metadata every GeoPackage of the tool carries: tool, version, day, CRS, its layers
    (and ``extra`` entries, e.g. the scenario)."""
    from siting import __version__

    return {
        **extra,
        "tool": "siting",
        "tool_version": __version__,
        "date": dt.date.today().isoformat(),
        "crs": f"CGCS2000 (EPSG:{GPKG_EPSG})",
        "layers": ",".join(layers),
    }


def integer_columns(frame):
    """``frame`` with float columns whose values are all whole numbers (or null) as integers
    (pandas ``Int64``: written as Integer64 fields, nulls kept); codes and text untouched."""
    import numpy as np
    import pandas as pd

    out = frame.copy()
    geom = getattr(frame, "geometry", None)
    gname = geom.name if geom is not None else None
    for col in out.columns:
        if col == gname or not pd.api.types.is_float_dtype(out[col].dtype):
            continue
        values = out[col].to_numpy(dtype=float)
        finite = values[~np.isnan(values)]
        whole = np.isfinite(finite).all() and np.all(finite == np.round(finite))
        if whole and not (len(finite) and np.abs(finite).max() >= 2**53):
            out[col] = pd.array([None if np.isnan(v) else int(v) for v in values], dtype="Int64")
    return out


def write_layers(
    path,
    frames,
    *,
    meta,
    titles,
    field_label,
    crs=GPKG_EPSG,
) -> None:
    """Write ``frames`` (layer name → GeoDataFrame) as one GeoPackage, the tool's one form.

    Every GeoPackage the tool writes: version :data:`GPKG_VERSION`, in ``crs`` (default
    :data:`GPKG_EPSG`, CGCS2000), the dataset's metadata (``meta``) and each layer's (``meta``
    with the layer's name and ``titles[name]`` = (zh, en)), each layer described by its titles,
    whole-number columns as integers, and every field's Chinese and English names in the
    GeoPackage schema extension (``gpkg_data_columns``: ``name`` Chinese — GDAL's alternative
    name, QGIS's alias —, ``title`` English, ``description`` both; ``field_label(column, lang)``
    gives them), and a default QGIS style per layer in ``layer_styles``
    (:mod:`siting.qgis_styles`). Same-day timestamps (:func:`same_day_timestamps`).
    """
    import sqlite3

    import pyogrio

    same_day_timestamps()
    for i, (name, frame) in enumerate(frames.items()):
        zh, en = titles[name]
        out = integer_columns(frame)
        if crs is not None and out.crs is not None and out.crs.to_epsg() != crs:
            out = out.to_crs(crs)
        pyogrio.write_dataframe(
            out,
            path,
            layer=name,
            driver="GPKG",
            dataset_metadata=dict(meta) if i == 0 else None,
            dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
            layer_metadata={**meta, "layer": name, "layer_zh": zh, "layer_en": en},
            layer_options={"DESCRIPTION": f"{zh} / {en}", "IDENTIFIER": name},
        )
    from siting.qgis_styles import write_styles

    db = sqlite3.connect(path)
    try:
        with db:
            _aliases(db, frames, field_label)
            write_styles(db, frames, f"{dt.date.today().isoformat()}T00:00:00.000Z")
    finally:
        db.close()


def _aliases(db, frames, field_label) -> None:
    """The fields' names in the GeoPackage schema extension (see :func:`write_layers`)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
        "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
        "mime_type TEXT, constraint_name TEXT, "
        "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
        "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
        "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
        "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
    )
    if not db.execute(
        "SELECT 1 FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' "
        "AND extension_name = 'gpkg_schema'"
    ).fetchone():
        db.execute("INSERT INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)", _SCHEMA_EXTENSION)
    for name, frame in frames.items():
        geom = frame.geometry.name
        used: set[str] = set()
        for col in frame.columns:
            if col == geom:
                continue
            zh, en = field_label(col, "zh"), field_label(col, "en")
            alias = zh if zh not in used else f"{zh} ({col})"
            used.add(alias)
            db.execute(
                "INSERT OR REPLACE INTO gpkg_data_columns "
                "(table_name, column_name, name, title, description) VALUES (?, ?, ?, ?, ?)",
                (name, str(col), alias, en, f"{zh} / {en}"),
            )
