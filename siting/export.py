"""GIS layers for the planning bureau (规划和自然资源局): GeoPackage, zipped Shapefiles or GeoJSON.

:func:`export_layers` writes, one layer each (layers without data are left out):

======================== ================================================================
``communities``          社区/村 polygons, population, and the coverage attributes when given
``streets``              街道/镇 polygons
``facilities_existing``  existing facilities (points)
``facilities_proposed``  proposed facilities (points), when given
``isochrones_sites``     walking isochrones per site and band
``isochrones_by_type``   walking isochrones merged per facility type and band
``demand_summary``       demand per 社区/村 (community polygons) or the given layer
======================== ================================================================

Formats
    ``gpkg``: one GeoPackage (``out_path``), dataset and layer metadata in its metadata tables.
    ``shp``: one zip (``out_path``) holding a Shapefile set per layer (``.shp .shx .dbf .prj
    .cpg``; text in UTF-8, announced by the ``.cpg``), field names of at most 10 characters,
    ``aliases.csv`` (layer, short name → full name, Chinese and English label) and
    ``metadata.json``.
    ``geojson``: a folder (``out_path``) with one ``<layer>.geojson`` per layer; the metadata is
    the top-level member ``siting_metadata`` of each file. (GeoJSON can only name a CRS with an
    EPSG code: GCJ-02 files look like WGS84 lon/lat to readers, and their metadata says GCJ-02.)

Coordinate systems (``crs``)
    ``cgcs2000`` (default, EPSG:4490, lon/lat), ``wgs84`` (EPSG:4326), ``gk`` (the CGCS2000 3°
    Gauss-Krüger zone of the district's centre, :func:`isochrones.crs.gauss_kruger_3deg_epsg`,
    metres) or ``gcj02`` (the Amap/Tencent offset: every vertex is moved WGS84 → GCJ-02 with
    :mod:`siting.coords`; there is no EPSG code for it, so the files carry a geographic CRS
    named "GCJ-02" on the WGS 84 ellipsoid, and the metadata says so).

Every file carries the scenario name, tool version, date and input hash (:func:`input_hash`).
Files appear whole or not at all: options and the output folder are checked before anything is
written, each file is written under a temporary name and moved into place, and for GeoJSON the
files are moved only once all of them were written. The roster of individuals is never exported.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from isochrones.crs import gauss_kruger_3deg_epsg
from siting.catchments import Catchments
from siting.coords import convert
from siting.errors import InputError, Problem
from siting.i18n import LABELS
from siting.i18n import label as i18n_label
from siting.io import Inputs
from siting.scenario import Scenario
from siting.transaction import atomic_path, ensure_writable_dir

__all__ = [
    "CRS_NAMES",
    "FORMATS",
    "GCJ02_CRS",
    "ExportCrs",
    "ExportFormat",
    "export_crs",
    "export_frames",
    "export_layers",
    "input_hash",
    "short_field_names",
]

log = logging.getLogger(__name__)

ExportFormat = Literal["gpkg", "shp", "geojson"]
ExportCrs = Literal["cgcs2000", "gk", "wgs84", "gcj02"]
FORMATS: tuple[str, ...] = ("gpkg", "shp", "geojson")
CRS_NAMES: tuple[str, ...] = ("cgcs2000", "gk", "wgs84", "gcj02")

#: GCJ-02 is not a datum but WGS84 plus a published offset: a named geographic CRS on the WGS 84
#: ellipsoid keeps GIS software from mistaking the shifted coordinates for true WGS84.
GCJ02_CRS = pyproj.CRS.from_wkt(
    'GEOGCRS["GCJ-02 (WGS 84 with the GCJ-02 offset; Amap/Tencent)",'
    'DATUM["GCJ-02 offset of WGS 84",ELLIPSOID["WGS 84",6378137,298.257223563,'
    'LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],'
    'CS[ellipsoidal,2],AXIS["geodetic longitude (Lon)",east,ORDER[1],'
    'ANGLEUNIT["degree",0.0174532925199433]],AXIS["geodetic latitude (Lat)",north,ORDER[2],'
    'ANGLEUNIT["degree",0.0174532925199433]]]'
)
_GCJ02_NOTE = (
    "GCJ-02 coordinates (Amap/Tencent): WGS84 shifted by the published GCJ-02 offset with "
    "siting.coords; no EPSG code exists. Convert back with siting.coords.gcj02_to_wgs84."
)

#: Layer names in the order they are written, with their Chinese/English descriptions.
LAYERS: dict[str, tuple[str, str]] = {
    "communities": ("社区/村（人口与覆盖）", "communities and villages (population, coverage)"),
    "streets": ("街道/镇", "sub-districts and towns"),
    "facilities_existing": ("现有养老服务设施", "existing elderly-care facilities"),
    "facilities_proposed": ("规划新增养老服务设施", "proposed elderly-care facilities"),
    "isochrones_sites": ("步行等时圈（按设施）", "walking isochrones per site"),
    "isochrones_by_type": ("步行等时圈（按设施类型合并）", "walking isochrones per type"),
    "demand_summary": ("老年人需求汇总", "demand summary"),
}

#: Shapefile names of long fields (others are cut to 10 characters and made unique).
_SHORT: dict[str, str] = {
    "street_code": "street_cd",
    "street_name": "street_nm",
    "kind_label": "kind_lbl",
    "type_label": "type_lbl",
    "n_extreme_poor": "n_xpoor",
    "n_living_alone": "n_alone",
    "n_disabled": "n_disabled",
    "threshold_minutes": "thresh_min",
    "n_demand_points": "n_dem_pts",
    "covered_elderly": "cov_eld",
    "covered_weighted": "cov_wgt",
    "unreached_elderly": "unreach_el",
    "coverage_pct": "cov_pct",
    "weighted_coverage_pct": "wcov_pct",
    "median_minutes": "med_min",
    "p90_minutes": "p90_min",
    "n_facilities_covering": "n_fac_cov",
    "facility_id": "fac_id",
    "floor_area_m2": "floor_m2",
    "year_opened": "year_open",
    "nursing_beds": "nurse_beds",
    "meal_service": "meal",
    "teaching_point": "teach_pt",
    "max_minutes": "max_min",
    "capital_cost_wan_yuan": "cost_wan",
    "cost_wan_yuan": "cost_wan",
    "monthly_rent_yuan": "rent_month",
    "eligible_types": "elig_types",
    "newly_covered_elderly": "new_cov_el",
    "candidate_id": "cand_id",
}

#: Labels of fields that siting.i18n does not name.
_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "code": ("代码", "code"),
    "name": ("名称", "name"),
    "street_code": ("街道/镇代码", "sub-district/town code"),
    "street_name": ("街道/镇", "sub-district/town"),
    "kind": ("类型", "kind"),
    "kind_label": ("类型（中文）", "kind (label)"),
    "type": ("设施类型", "facility type"),
    "type_label": ("设施类型（中文）", "facility type (label)"),
    "pop_total": ("常住人口", "residents"),
    "n_disabled": ("失能半失能老人", "disabled older people"),
    "n_extreme_poor": ("特困老人", "older people in extreme poverty"),
    "n_living_alone": ("独居空巢老人", "older people living alone"),
    "facility_id": ("设施编号", "facility id"),
    "site_id": ("站点编号", "site id"),
    "candidate_id": ("候选点编号", "candidate id"),
    "address": ("地址", "address"),
    "floor_area_m2": ("建筑面积（平方米）", "floor area (m²)"),
    "beds": ("床位数", "beds"),
    "year_opened": ("建成年份", "year opened"),
    "nursing_beds": ("护理型床位数", "nursing-type beds"),
    "operator": ("运营方式", "operator"),
    "meal_service": ("助餐服务", "meal point"),
    "teaching_point": ("老年大学教学点", "teaching point"),
    "year": ("计划建成年份", "planned year"),
    "status": ("状态", "status"),
    "cost_wan_yuan": ("投资（万元）", "cost (10,000 yuan)"),
    "capital_cost_wan_yuan": ("改造费用（万元）", "capital cost (10,000 yuan)"),
    "monthly_rent_yuan": ("月租金（元）", "monthly rent (yuan)"),
    "newly_covered_elderly": ("新增覆盖老年人", "older people newly covered"),
    "n_points": ("需求点数", "demand points"),
    "placement": ("需求点布设方式", "demand placement"),
    "basis": ("分配依据", "allocation basis"),
    "elderly": ("60岁及以上老年人", "older people (60+)"),
    "weighted": ("加权需求", "weighted demand"),
    "eligible_types": ("可建设施类型", "eligible types"),
    "source": ("来源", "source"),
    "note": ("备注", "note"),
}

#: Columns that would identify a person: refused in any frame given to the export.
_PERSONAL = frozenset({"person_id", "age", "id_number", "phone"})


# --------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------

_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def _input_files(path: Path) -> list[Path]:
    files = [path]
    if path.suffix.lower() == ".shp":
        stem = path.with_suffix("")
        files += [stem.with_name(stem.name + ext) for ext in _SIDECARS]
        files = [f for f in files if f == path or f.exists()]
    return files


def input_hash(scenario: Scenario) -> str:
    """SHA-256 over the bytes of every input file the scenario names, in input-name order.

    Each file contributes its input name, file name and size before its bytes (a Shapefile its
    sidecar files too), so renaming or swapping inputs changes the hash; a missing file counts as
    the word ``missing``.
    """
    h = hashlib.sha256()
    for name in sorted(scenario.inputs):
        for path in _input_files(Path(scenario.inputs[name].path)):
            if not path.exists():
                h.update(f"{name}\0{path.name}\0missing\0".encode())
                continue
            h.update(f"{name}\0{path.name}\0{path.stat().st_size}\0".encode())
            with path.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# decisions (pure)
# --------------------------------------------------------------------------------------------


def _check_options(fmt: str, crs: str) -> None:
    problems = []
    if fmt not in FORMATS:
        problems.append(
            Problem(
                "fmt",
                f"unknown export format {fmt!r}",
                hint=f"use one of {', '.join(FORMATS)} (CLI: --format)",
            )
        )
    if crs not in CRS_NAMES:
        problems.append(
            Problem(
                "crs",
                f"unknown export coordinate system {crs!r}",
                hint=f"use one of {', '.join(CRS_NAMES)} (CLI: --crs)",
            )
        )
    if problems:
        raise InputError(
            "cannot export: "
            + "; ".join(f"{p.message} ({p.hint})" for p in problems)
            + "; nothing was written",
            problems,
        )


def export_crs(name: ExportCrs, inputs: Inputs) -> pyproj.CRS:
    """The CRS of an export option: ``gk`` picks the 3° zone of the district's centre."""
    _check_options("gpkg", name)
    if name == "cgcs2000":
        return pyproj.CRS.from_epsg(4490)
    if name == "wgs84":
        return pyproj.CRS.from_epsg(4326)
    if name == "gcj02":
        return GCJ02_CRS
    centre = inputs.district.to_crs("EPSG:4326").geometry.union_all().centroid
    return pyproj.CRS.from_epsg(gauss_kruger_3deg_epsg(centre.x))


def _crs_text(name: str, crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name


def _to_crs(frame: gpd.GeoDataFrame, name: str, target: pyproj.CRS) -> gpd.GeoDataFrame:
    if name != "gcj02":
        return frame.to_crs(target)
    wgs = frame.to_crs("EPSG:4326")

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = convert(xy[:, 0], xy[:, 1], src="wgs84", dst="gcj02")
        return np.column_stack([lon, lat])

    geoms = shapely.transform(np.asarray(wgs.geometry.values, dtype=object), shift)
    return gpd.GeoDataFrame(wgs.drop(columns=wgs.geometry.name), geometry=geoms, crs=target)


def short_field_names(columns: Iterable[str]) -> dict[str, str]:
    """Unique Shapefile field names of at most 10 characters for ``columns`` (full → short)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        short = _SHORT.get(col, col)[:10]
        base, i = short, 1
        while short.lower() in used:
            suffix = f"_{i}"
            short = base[: 10 - len(suffix)] + suffix
            i += 1
        used.add(short.lower())
        out[col] = short
    return out


def field_label(col: str, lang: str) -> str:
    idx = 0 if lang == "zh" else 1
    if col in _FIELD_LABELS:
        return _FIELD_LABELS[col][idx]
    for key in (f"col_{col}", col):
        if key in LABELS:
            return LABELS[key][idx]
    return col


def _refuse_individuals(frame: pd.DataFrame | None, what: str) -> None:
    if frame is None:
        return
    bad = sorted(_PERSONAL & set(frame.columns))
    if bad:
        raise InputError(
            f"{what} holds personal columns {bad}: exports carry aggregates only; nothing was written",
            [Problem(what, f"columns {bad}", hint="aggregate the roster first (siting.roster)")],
        )


def _clean(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Plain column types every format can hold: lists joined by '/', inf as null, no row numbers."""
    out = frame.drop(columns=[c for c in ("row",) if c in frame.columns]).copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if pd.api.types.is_object_dtype(s.dtype):
            if s.map(lambda v: isinstance(v, (list, tuple))).any():
                out[col] = s.map(
                    lambda v: "/".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                )
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype(np.int32)
        elif pd.api.types.is_float_dtype(s.dtype):
            out[col] = s.where(np.isfinite(s.to_numpy(dtype=float)))
    return out


def _with_type_label(frame: gpd.GeoDataFrame, lang: str = "zh") -> gpd.GeoDataFrame:
    if "type" in frame.columns:
        frame = frame.copy()
        pos = list(frame.columns).index("type") + 1
        frame.insert(
            pos,
            "type_label",
            ["/".join(i18n_label(t, lang) for t in str(v).split("/")) for v in frame["type"]],
        )
    return frame


def _coverage_frame(value: Any) -> pd.DataFrame | None:
    if value is None:
        return None
    frame = value if isinstance(value, pd.DataFrame) else getattr(value, "communities", None)
    if not isinstance(frame, pd.DataFrame) or "code" not in frame.columns:
        raise InputError(
            "coverage must be a per-community DataFrame with a 'code' column; nothing was written",
            [Problem("coverage", f"got {type(value).__name__}")],
        )
    return frame


def export_frames(
    inputs: Inputs,
    *,
    catchments: Catchments | None = None,
    coverage: pd.DataFrame | Any | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    demand_summary: pd.DataFrame | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The layers to export, in the working CRS, with Chinese labels added (no I/O).

    Layers without data are left out. Attributes from ``coverage`` (any DataFrame with ``code``,
    e.g. ``CoverageResult.communities``) are joined to the communities; columns the communities
    already have are not repeated.
    """
    cov = _coverage_frame(coverage)
    for what, frame in (
        ("coverage", cov),
        ("proposed", proposed),
        ("demand_summary", demand_summary),
    ):
        _refuse_individuals(frame, what)
    layers: dict[str, gpd.GeoDataFrame] = {}

    com = inputs.communities.copy()
    st_names = dict(zip(inputs.streets["code"], inputs.streets["name"], strict=True))
    pos = list(com.columns).index("street_code") + 1
    com.insert(pos, "street_name", [st_names.get(c, "") for c in com["street_code"]])
    if "kind" in com.columns:
        com.insert(
            list(com.columns).index("kind") + 1,
            "kind_label",
            [i18n_label(str(k), "zh") for k in com["kind"]],
        )
    if cov is not None:
        extra = cov.drop_duplicates("code").set_index("code")
        extra = extra[[c for c in extra.columns if c not in com.columns]]
        com = com.join(extra, on="code")
    layers["communities"] = com

    streets = inputs.streets.copy()
    if "kind" in streets.columns:
        streets.insert(
            list(streets.columns).index("kind") + 1,
            "kind_label",
            [i18n_label(str(k), "zh") for k in streets["kind"]],
        )
    layers["streets"] = streets

    if inputs.facilities is not None and len(inputs.facilities):
        layers["facilities_existing"] = _with_type_label(inputs.facilities)
    if proposed is not None and len(proposed):
        prop = proposed if proposed.crs is not None else proposed.set_crs(inputs.crs)
        layers["facilities_proposed"] = _with_type_label(prop)
    if catchments is not None:
        for name, frame in (
            ("isochrones_sites", catchments.per_site),
            ("isochrones_by_type", catchments.per_type),
        ):
            if len(frame):
                layers[name] = _with_type_label(frame)
    if demand_summary is not None and len(demand_summary):
        if isinstance(demand_summary, gpd.GeoDataFrame):
            layers["demand_summary"] = demand_summary
        elif "code" in demand_summary.columns:
            geom = inputs.communities.set_index("code").geometry
            ds = demand_summary.copy()
            ds = gpd.GeoDataFrame(ds, geometry=geom.reindex(ds["code"]).values, crs=inputs.crs)
            layers["demand_summary"] = ds
        else:
            raise InputError(
                "demand_summary must be a GeoDataFrame or a DataFrame with a 'code' column "
                "(社区/村 code); nothing was written",
                [Problem("demand_summary", f"columns {list(demand_summary.columns)[:12]}")],
            )
    return {name: _clean(frame) for name, frame in layers.items()}


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------


def _metadata(
    inputs: Inputs,
    *,
    fmt: str,
    crs_name: str,
    crs: pyproj.CRS,
    scenario_hash: str,
    version: str,
    date: dt.date,
    layers: Iterable[str],
) -> dict[str, str]:
    scen = inputs.scenario
    meta = {
        "scenario": scen.name,
        "scenario_file": scen.path.name,
        "scenario_sha256": scen.sha256,
        "tool": "siting",
        "tool_version": version,
        "date": date.isoformat(),
        "input_sha256": scenario_hash,
        "format": fmt,
        "crs_option": crs_name,
        "crs": _crs_text(crs_name, crs),
        "layers": ",".join(layers),
    }
    if crs_name == "gcj02":
        meta["coordinates_note"] = _GCJ02_NOTE
    return meta


def _write_gpkg(frames: Mapping[str, gpd.GeoDataFrame], tmp: Path, meta: Mapping[str, str]) -> None:
    from siting.gpkg import write_layers

    # the frames are in the export's CRS already (any of cgcs2000, wgs84, gk, gcj02)
    write_layers(tmp, frames, meta=meta, titles=LAYERS, field_label=field_label, crs=None)


def _alias_rows(name: str, mapping: Mapping[str, str]) -> list[list[str]]:
    return [
        [name, short, full, field_label(full, "zh"), field_label(full, "en")]
        for full, short in mapping.items()
    ]


def _write_shp_zip(
    frames: Mapping[str, gpd.GeoDataFrame], tmp: Path, meta: Mapping[str, str]
) -> None:
    aliases = [["layer", "field", "full_name", "label_zh", "label_en"]]
    with (
        tempfile.TemporaryDirectory(prefix="siting-shp-") as folder,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        for name, frame in frames.items():
            cols = [c for c in frame.columns if c != frame.geometry.name]
            mapping = short_field_names(cols)
            out = frame.rename(columns=mapping)
            path = Path(folder) / f"{name}.shp"
            pyogrio.write_dataframe(out, path, driver="ESRI Shapefile", encoding="UTF-8")
            for part in sorted(Path(folder).glob(f"{name}.*")):
                zf.write(part, arcname=part.name)
            aliases.extend(_alias_rows(name, mapping))
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(aliases)
        zf.writestr("aliases.csv", "\ufeff" + text.getvalue())
        zf.writestr("metadata.json", json.dumps(dict(meta), ensure_ascii=False, indent=2) + "\n")


def _write_geojson(frame: gpd.GeoDataFrame, tmp: Path, name: str, meta: Mapping[str, str]) -> None:
    pyogrio.write_dataframe(frame, tmp, driver="GeoJSON", layer=name)
    doc = json.loads(tmp.read_text(encoding="utf-8"))
    zh, en = LAYERS[name]
    ordered = {k: doc[k] for k in ("type", "name", "crs") if k in doc}
    ordered["siting_metadata"] = {**meta, "layer": name, "layer_zh": zh, "layer_en": en}
    ordered.update({k: v for k, v in doc.items() if k not in ordered})
    tmp.write_text(json.dumps(ordered, ensure_ascii=False) + "\n", encoding="utf-8")


def export_layers(
    inputs: Inputs,
    out_path: Path | str,
    *,
    fmt: ExportFormat = "gpkg",
    crs: ExportCrs = "cgcs2000",
    catchments: Catchments | None = None,
    coverage: pd.DataFrame | Any | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    demand_summary: pd.DataFrame | None = None,
    scenario_hash: str | None = None,
    version: str | None = None,
    date: dt.date | None = None,
) -> list[Path]:
    """Write the GIS layers of a scenario; return the files written.

    Parameters
    ----------
    inputs
        The validated inputs (:func:`~siting.io.load_inputs`).
    out_path
        The GeoPackage file (``fmt='gpkg'``), the zip file (``'shp'``) or the folder (``'geojson'``).
    fmt
        ``{'gpkg', 'shp', 'geojson'}``.
    crs
        ``{'cgcs2000', 'gk', 'wgs84', 'gcj02'}`` (see the module docstring).
    catchments, coverage, proposed, demand_summary
        Optional layers: isochrones, per-community coverage (any DataFrame with ``code``),
        proposed sites (points), demand per community (DataFrame with ``code``) or any
        GeoDataFrame.
    scenario_hash
        The input hash recorded in the metadata (default: :func:`input_hash` of the scenario).
    version
        The tool version recorded (default: the installed ``siting`` version).
    date
        The date recorded (default: today).

    Raises
    ------
    InputError
        Unknown format or CRS name, an output folder that cannot be written, or personal columns
        in a frame given; raised before anything is written.
    """
    _check_options(fmt, crs)
    out_path = Path(out_path)
    ensure_writable_dir(out_path if fmt == "geojson" else out_path.parent)
    frames = export_frames(
        inputs,
        catchments=catchments,
        coverage=coverage,
        proposed=proposed,
        demand_summary=demand_summary,
    )
    target = export_crs(crs, inputs)
    frames = {name: _to_crs(frame, crs, target) for name, frame in frames.items()}
    if version is None:
        from siting import __version__ as version
    meta = _metadata(
        inputs,
        fmt=fmt,
        crs_name=crs,
        crs=target,
        scenario_hash=scenario_hash or input_hash(inputs.scenario),
        version=version,
        date=date or dt.date.today(),
        layers=frames,
    )
    written: list[Path]
    if fmt == "gpkg":
        with atomic_path(out_path) as tmp:
            _write_gpkg(frames, tmp, meta)
        written = [out_path]
    elif fmt == "shp":
        with atomic_path(out_path) as tmp:
            _write_shp_zip(frames, tmp, meta)
        written = [out_path]
    else:
        written = [out_path / f"{name}.geojson" for name in frames]
        with contextlib.ExitStack() as stack:  # all files move into place, or none
            for (name, frame), path in zip(frames.items(), written, strict=True):
                tmp = stack.enter_context(atomic_path(path))
                _write_geojson(frame, tmp, name, meta)
    log.info(
        "export_layers wrote %d layer(s) (%s) as %s in %s to %s",
        len(frames),
        ", ".join(frames),
        fmt,
        crs,
        out_path,
    )
    return written
