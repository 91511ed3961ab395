"""Reading a district's inputs: polygons, points and tables, with a column mapping and validation.

Every reader takes an :class:`~siting.scenario.InputSpec` (file, layer or sheet, column mapping, value
mapping, coordinate system) and returns a GeoDataFrame with the canonical columns of
:data:`SCHEMAS` plus ``row``, the row or feature the record came from (spreadsheet row numbers for
CSV/XLSX, with the header on row 1; feature ids for vector layers), so every later message can point
back into the user's file.

Coordinates: ``coords`` (``{wgs84, cgcs2000, gcj02, bd09}``) says which offset an input's
longitudes/latitudes carry, whatever CRS its file declares (GCJ-02 files say EPSG:4326); every vertex
of every point, line and polygon is converted to WGS84 on load by :mod:`isochrones.coords` (the road
network by its reader, the same code). ``crs`` gives the CRS of a file that declares none or a wrong
one. What was declared and done is the ``note`` of each :class:`LayerSummary` (``siting validate``).

Readers never stop at the first problem: they collect every :class:`~isochrones.errors.Problem` into
the list they are given, and :func:`load_inputs` raises one :class:`~siting.errors.InputError` listing
them all. Files are only read (CSV as text, XLSX as cell values, vector layers through GDAL): nothing
from an input is ever evaluated, and inputs are never modified.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from isochrones.crs import working_crs
from isochrones.errors import NetworkInputError
from isochrones.network import StreetNetwork
from siting.coords import (
    DECLARED_SYSTEMS,
    SYSTEM_NAMES,
    CoordSystem,
    convert,
    declared_system,
    geometries_to_wgs84,
)
from siting.disclosure import people_text, round_people
from siting.errors import InputError, Problem
from siting.scenario import InputSpec, Scenario

__all__ = [
    "FACILITY_TYPES",
    "HEALTH_TYPES",
    "SCHEMAS",
    "Field",
    "Inputs",
    "load_inputs",
    "read_input",
    "read_network",
]

log = logging.getLogger(__name__)

#: Canonical facility types (POLICY_RULES §1). ``institution`` is residential care, not home care.
FACILITY_TYPES: tuple[str, ...] = (
    "street_center",
    "town_center",
    "station",
    "village_point",
    "compound_point",
    "institution",
)
#: The home-care facility types that can be sited (all but institutions).
SITEABLE_TYPES: tuple[str, ...] = FACILITY_TYPES[:5]
HEALTH_TYPES: tuple[str, ...] = (
    "community_health_center",
    "township_hospital",
    "village_clinic",
    "hospital",
)
#: Who runs a facility: ``public`` 公办公营 (the government, a 街道/镇 or a village/residents'
#: committee runs it itself), ``public_private`` 公建民营 (publicly built, run by an institution,
#: enterprise or social organisation under contract), ``private`` 民办 / 民办公助 (built and run by
#: 社会力量, with or without public aid). The last two are "socially operated" (社会化运营, 001 §一;
#: 社会运营, 004 一; 002 §13).
OPERATORS: tuple[str, ...] = ("public", "public_private", "private")
SOCIAL_OPERATORS: tuple[str, ...] = ("public_private", "private")
#: Values a yes/no column understands without a value mapping (case-insensitive).
BOOL_TRUE = frozenset({"1", "true", "t", "yes", "y", "是", "有", "提供", "√", "✓"})
BOOL_FALSE = frozenset({"0", "false", "f", "no", "n", "否", "无", "不提供", "×", "✗"})
ROSTER_GROUPS: tuple[str, ...] = ("disabled", "extreme_poor", "living_alone", "low_income", "other")

VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".zip"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}

FieldKind = Literal["str", "code", "int", "float", "enum", "list", "bool"]


@dataclass(frozen=True)
class Field:
    """A canonical column: its type, whether it must be present, and its allowed values."""

    name: str
    kind: FieldKind = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: codes: exactly this many ASCII digits (NBS 统计用区划代码: 6 区县, 9 街道/镇, 12 社区/村)
    digits: int | None = None


_POP = {"kind": "int", "minimum": 0}
#: Lengths of the NBS codes (统计用区划代码): 区县 6 digits, 街道/镇 9 (the 区县's 6 and 3 more),
#: 社区/村 12 (the 街道/镇's 9 and 3 more: 001–199 居委会/社区, 200–399 村委会/村).
DISTRICT_CODE_DIGITS, STREET_CODE_DIGITS, COMMUNITY_CODE_DIGITS = 6, 9, 12

#: Canonical columns of every input.
SCHEMAS: dict[str, tuple[Field, ...]] = {
    "district": (Field("code", "code", digits=DISTRICT_CODE_DIGITS), Field("name")),
    "streets": (
        Field("code", "code", required=True, digits=STREET_CODE_DIGITS),
        Field("name", required=True),
        Field("kind", "enum", choices=("street", "town")),
    ),
    "communities": (
        Field("code", "code", required=True, digits=COMMUNITY_CODE_DIGITS),
        Field("name", required=True),
        Field("street_code", "code", digits=STREET_CODE_DIGITS),
        Field("kind", "enum", choices=("community", "village")),
        Field("pop_total", required=True, **_POP),
        Field("pop_60p", required=True, **_POP),
        Field("pop_65p", **_POP),
        Field("pop_80p", **_POP),
        Field("n_disabled", **_POP),
        Field("n_extreme_poor", **_POP),
        Field("n_living_alone", **_POP),
    ),
    "buildings": (
        Field("name"),
        Field("kind"),
        Field("households", "float", minimum=0),
        Field("floor_area_m2", "float", minimum=0),
        # new housing (indicator new_housing_provision): built in or after [indicators] new_housing_since
        Field("year_built", "int", minimum=1900),
    ),
    "facilities": (
        Field("facility_id", "code"),
        Field("name", required=True),
        Field("type", "enum", required=True, choices=FACILITY_TYPES),
        Field("address"),
        Field("floor_area_m2", "float", minimum=0),
        Field("beds", "int", minimum=0),
        Field("year_opened", "int", minimum=1900),
        # optional, for the indicators of 000 专栏1/专栏2, 001 §一 and 004 (siting.indicators)
        Field("nursing_beds", "int", minimum=0),
        Field("operator", "enum", choices=OPERATORS),
        Field("meal_service", "bool"),
        Field("teaching_point", "bool"),
        # optional, the supply of `siting access` with [access] supply = "staff" (siting.access)
        Field("staff", "float", minimum=0),
    ),
    "health": (
        Field("facility_id", "code"),
        Field("name", required=True),
        Field("type", "enum", required=True, choices=HEALTH_TYPES),
        Field("address"),
    ),
    "candidates": (
        Field("candidate_id", "code", required=True),
        Field("name", required=True),
        Field("source", "enum", choices=("idle_state_asset", "community_room", "rental", "other")),
        Field("eligible_types", "list", required=True, choices=SITEABLE_TYPES),
        Field("floor_area_m2", "float", minimum=0),
        Field("capital_cost_wan_yuan", "float", minimum=0),
        Field("monthly_rent_yuan", "float", minimum=0),
        Field("note"),
    ),
    "roster": (
        Field("person_id", "code"),
        Field("age", "int", required=True, minimum=0, maximum=130),
        Field("group", "enum", required=True, choices=ROSTER_GROUPS),
        Field("community_code", "code"),
    ),
}

#: Geometry each input must have: polygons, points, or either (buildings may be footprints or points).
GEOMETRY: dict[str, Literal["polygon", "point", "any"]] = {
    "district": "polygon",
    "streets": "polygon",
    "communities": "polygon",
    "buildings": "any",
    "facilities": "point",
    "health": "point",
    "candidates": "point",
    "roster": "point",
}

#: Inputs whose records are people: never echo their values in messages beyond row and id.
PRIVATE_INPUTS = frozenset({"roster"})


# --------------------------------------------------------------------------------------------
# raw reading
# --------------------------------------------------------------------------------------------


def _read_csv(spec: InputSpec, problems: list[Problem]) -> pd.DataFrame | None:
    encodings = [spec.encoding] if spec.encoding else ["utf-8-sig", "gb18030"]
    sep = "\t" if spec.path.suffix.lower() == ".tsv" else ","
    last_error: Exception | None = None
    for enc in encodings:
        try:
            frame = pd.read_csv(
                spec.path,
                dtype=str,
                keep_default_na=False,
                encoding=enc,
                sep=sep,
                skipinitialspace=True,
                skip_blank_lines=False,  # so that row labels stay the file's line numbers
            )
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            problems.append(
                Problem(spec.label, f"cannot parse as CSV: {exc}", hint="save it as UTF-8 CSV")
            )
            return None
        except LookupError:
            problems.append(
                Problem(spec.label, f"unknown encoding '{spec.encoding}'", column="encoding")
            )
            return None
        # blank lines (and lines of bare separators) are not records; the others keep their line
        # number (header on line 1) for every message
        lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
        blank = (frame.fillna("").astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1)
        frame = frame[~blank.to_numpy()].reset_index(drop=True)
        frame.attrs["rows"] = lines[~blank.to_numpy()].to_numpy()
        return frame
    problems.append(
        Problem(
            spec.label,
            f"cannot decode the text as {' or '.join(encodings)}: {last_error}",
            hint="set `encoding = ...` for this input in the scenario (e.g. 'gb18030' or 'utf-8')",
        )
    )
    return None


def _read_excel(spec: InputSpec, problems: list[Problem]) -> pd.DataFrame | None:
    """The sheet's cell values as text; formula cells must carry the value Excel saved with them.

    A workbook written by a program other than Excel/WPS/LibreOffice (or saved with manual
    calculation) may hold formulas without a saved value: they would read as blank, so they are an
    error naming each cell (``E7``). Rows keep their sheet row numbers (``attrs['rows']``).
    """
    import openpyxl  # lazy: only Excel inputs need it

    try:
        wb = openpyxl.load_workbook(spec.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        problems.append(Problem(spec.label, f"cannot open as an Excel workbook: {exc}"))
        return None
    try:
        sheet = spec.sheet or wb.sheetnames[0]
        if sheet not in wb.sheetnames:
            problems.append(
                Problem(
                    spec.label,
                    f"sheet '{sheet}' not found",
                    hint=f"sheets in the workbook: {wb.sheetnames}",
                )
            )
            return None
        rows = list(wb[sheet].iter_rows(min_row=1, min_col=1, values_only=True))
    finally:
        wb.close()
    if not rows:
        return pd.DataFrame()
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    formulas = _unsaved_formulas(spec, sheet, rows)
    for col, cells in formulas.items():
        name = header[col] if col < len(header) and header[col] else None
        problems.append(
            Problem(
                spec.label,
                f"{len(cells)} formula cell(s) without a saved value (they would read as blank): "
                + ", ".join(f"{ref} {text}" for _, ref, text in cells[:8])
                + (f" … ({len(cells)} cells)" if len(cells) > 8 else ""),
                row=_rows_text([r for r, _, _ in cells]),
                column=name,
                hint="open the workbook in Excel or WPS and save it (that stores the computed "
                "values), or paste the cells as values",
            )
        )
    blank_formula = {r for cells in formulas.values() for r, _, _ in cells}
    body, numbers = [], []
    for i, r in enumerate(rows[1:], start=2):
        if any(v not in (None, "") for v in r) or i in blank_formula:
            body.append(
                ["" if v is None else (v if isinstance(v, str) else _cell_text(v)) for v in r]
            )
            numbers.append(i)
    frame = pd.DataFrame(body, columns=header, dtype=str)
    frame.attrs["rows"] = np.asarray(numbers, dtype=np.int64)
    return frame


def _unsaved_formulas(
    spec: InputSpec, sheet: str, values: list[tuple]
) -> dict[int, list[tuple[int, str, str]]]:
    """Formula cells whose saved value is missing: by column position, (row, cell, formula)."""
    if not any(v is None for r in values for v in r):
        return {}
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(spec.path, read_only=True, data_only=False)
    try:
        cells = list(wb[sheet].iter_rows(min_row=1, min_col=1, values_only=True))
    finally:
        wb.close()
    out: dict[int, list[tuple[int, str, str]]] = {}
    for i, (saved, raw) in enumerate(zip(values, cells, strict=False), start=1):
        for j, (v, f) in enumerate(zip(saved, raw, strict=False)):
            text = f if isinstance(f, str) else getattr(f, "text", None)  # ArrayFormula
            if v is None and isinstance(text, str) and text.startswith(("=", "{=")):
                out.setdefault(j, []).append((i, f"{get_column_letter(j + 1)}{i}", text))
    return out


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_vector(spec: InputSpec, problems: list[Problem]) -> gpd.GeoDataFrame | None:
    try:
        # QGIS keeps its styles in a table "layer_styles" that GDAL lists as a layer
        layers = [str(name) for name, _ in pyogrio.list_layers(spec.path) if name != "layer_styles"]
    except Exception as exc:
        problems.append(Problem(spec.label, f"cannot open as a GIS layer: {exc}"))
        return None
    layer = spec.layer
    if layer is None:
        if len(layers) > 1:
            problems.append(
                Problem(
                    spec.label,
                    f"the file has {len(layers)} layers and no layer is named",
                    hint=f"set `layer = ...` for input '{spec.name}'; layers: {layers}",
                )
            )
            return None
        layer = layers[0] if layers else None
    elif layer not in layers:
        problems.append(
            Problem(spec.label, f"layer '{layer}' not found", hint=f"layers in the file: {layers}")
        )
        return None
    try:
        gdf = pyogrio.read_dataframe(spec.path, layer=layer, fid_as_index=True)
    except Exception as exc:
        problems.append(Problem(spec.label, f"cannot read layer: {exc}"))
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):  # a table without geometry (e.g. a DBF or a CSV)
        problems.append(
            Problem(
                spec.label,
                "the layer has no geometry",
                hint="give a GIS layer with geometries (GeoPackage, Shapefile, GeoJSON)",
            )
        )
        return None
    with contextlib.suppress(Exception):  # the file's name of the geometry column, for messages
        gdf.attrs["geometry_column"] = pyogrio.read_info(spec.path, layer=layer)["geometry_name"]
    return gdf


def _row_labels(frame: pd.DataFrame, is_table: bool) -> pd.Series:
    if is_table:  # spreadsheet row numbers: header on row 1 (blank rows skipped, not renumbered)
        numbers = frame.attrs.get("rows")
        if numbers is None or len(numbers) != len(frame):
            numbers = np.arange(len(frame)) + 2
        return pd.Series(np.asarray(numbers), index=frame.index)
    return pd.Series(frame.index.to_numpy(), index=frame.index)


# --------------------------------------------------------------------------------------------
# columns and values
# --------------------------------------------------------------------------------------------


def _rows_text(rows: pd.Series | list, limit: int = 8) -> str:
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        text += f" … ({len(rows)} rows)"
    return text


def _normalise_code(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


#: How to fix numbers or codes typed with full-width digits (全角数字, e.g. from a Chinese IME).
FULL_WIDTH_HINT = (
    "full-width digits (全角数字, e.g. １２３): retype them as ASCII digits (半角, 123) — "
    "the tool does not convert them"
)


def _has_full_width(text: str) -> bool:
    """True if ``text`` holds a full-width (全角) digit, letter or sign (U+FF01–U+FF5E)."""
    return any("\uff01" <= ch <= "\uff5e" for ch in str(text))


def _code_format_problems(
    label: str, fld: Field, source_col: str, codes: pd.Series, rows: pd.Series
) -> list[Problem]:
    """Codes that are not exactly ``fld.digits`` ASCII digits (empty codes are reported apart).

    Full-width digits are an error with their ASCII form as the hint: the tool never converts
    them silently (a code is a key that must match other files and systems byte for byte).
    """
    n = fld.digits
    given = codes != ""
    ok = codes.str.fullmatch(f"[0-9]{{{n}}}")
    wide = given & ~ok & codes.map(_has_full_width)
    wrong = given & ~ok & ~wide
    out = []
    what = {6: "区县", 9: "街道/镇", 12: "社区/村"}.get(n, "")
    if wrong.any():
        sample = ", ".join(f"{c!r} ({len(c)} characters)" for c in codes[wrong].unique()[:3])
        out.append(
            Problem(
                label,
                f"'{fld.name}' must be a {n}-digit {what} code (NBS 统计用区划代码, ASCII digits "
                f"only), got {sample}",
                row=_rows_text(rows[wrong]),
                column=source_col,
                hint=f"give the full {n}-digit code of the NBS list (no letters, spaces or "
                "separators; a spreadsheet must keep the column as text)",
            )
        )
    if wide.any():
        import unicodedata

        first = codes[wide].iloc[0]
        out.append(
            Problem(
                label,
                f"'{fld.name}' holds full-width digits (全角), e.g. {first!r}",
                row=_rows_text(rows[wide]),
                column=source_col,
                hint=f"retype the codes in ASCII digits (半角), e.g. "
                f"{unicodedata.normalize('NFKC', first)!r}; the tool does not convert them",
            )
        )
    return out


def _convert_field(
    spec: InputSpec,
    fld: Field,
    source_col: str,
    raw: pd.Series,
    rows: pd.Series,
    problems: list[Problem],
) -> pd.Series:
    label = spec.label
    private = spec.name in PRIVATE_INPUTS
    if fld.kind in ("str",):
        out = raw.map(
            lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
        )
        if fld.required:
            empty = out == ""
            if empty.any():
                problems.append(
                    Problem(
                        label,
                        f"empty value in required column for '{fld.name}'",
                        row=_rows_text(rows[empty]),
                        column=source_col,
                    )
                )
        return out
    if fld.kind == "code":
        out = raw.map(_normalise_code)
        if fld.required:
            empty = out == ""
            if empty.any():
                problems.append(
                    Problem(
                        label,
                        f"empty code in column for '{fld.name}'",
                        row=_rows_text(rows[empty]),
                        column=source_col,
                    )
                )
        if fld.digits is not None:
            problems.extend(_code_format_problems(label, fld, source_col, out, rows))
        return out
    if fld.kind in ("int", "float"):
        text = raw.map(lambda v: "" if v is None else str(v).strip().replace(",", ""))
        blank = (text == "") | text.str.lower().isin(["nan", "none", "null"])
        num = pd.to_numeric(text.where(~blank), errors="coerce")
        bad = num.isna() & ~blank
        if bad.any():
            sample = "" if private else f" (e.g. {text[bad].iloc[0]!r})"
            wide = text[bad].map(_has_full_width).any()
            problems.append(
                Problem(
                    label,
                    f"non-numeric values in column for '{fld.name}'{sample}",
                    row=_rows_text(rows[bad]),
                    column=source_col,
                    hint=FULL_WIDTH_HINT if wide else "use plain numbers (no units or text)",
                )
            )
        infinite = num.notna() & ~np.isfinite(num.to_numpy(dtype=float))
        if infinite.any():
            problems.append(
                Problem(
                    label,
                    f"infinite values in column for '{fld.name}'",
                    row=_rows_text(rows[infinite]),
                    column=source_col,
                    hint="give a finite number",
                )
            )
            num = num.where(~infinite)
        if fld.maximum is not None:
            high = num > fld.maximum
            if high.any():
                problems.append(
                    Problem(
                        label,
                        f"values above {fld.maximum:g} in column for '{fld.name}'",
                        row=_rows_text(rows[high]),
                        column=source_col,
                    )
                )
        if fld.required and blank.any():
            problems.append(
                Problem(
                    label,
                    f"missing values in required column for '{fld.name}'",
                    row=_rows_text(rows[blank]),
                    column=source_col,
                )
            )
        if fld.minimum is not None:
            low = num < fld.minimum
            if low.any():
                what = "negative values" if fld.minimum == 0 else f"values below {fld.minimum:g}"
                problems.append(
                    Problem(
                        label,
                        f"{what} in column for '{fld.name}'",
                        row=_rows_text(rows[low]),
                        column=source_col,
                    )
                )
        if fld.kind == "int":
            frac = num.notna() & (num != np.floor(num))
            if frac.any():
                problems.append(
                    Problem(
                        label,
                        f"'{fld.name}' must be whole numbers",
                        row=_rows_text(rows[frac]),
                        column=source_col,
                    )
                )
        return num.astype(float)
    mapping = {str(k): v for k, v in spec.values.get(fld.name, {}).items()}
    if fld.kind == "bool":
        return _convert_bool(spec, fld, source_col, raw, rows, mapping, problems)
    if fld.kind == "enum":
        text = raw.map(lambda v: "" if v is None else str(v).strip())
        mapped = text.map(lambda v: mapping.get(v, v))
        unknown = ~mapped.isin(fld.choices) & ~((text == "") & (not fld.required))
        if unknown.any():
            values = sorted(set(text[unknown]))
            problems.append(
                Problem(
                    label,
                    f"unknown value(s) {values[:10]} for '{fld.name}'",
                    row=_rows_text(rows[unknown]),
                    column=source_col,
                    hint=f"map them in [inputs.{spec.name}.values.{fld.name}] to one of {list(fld.choices)}",
                )
            )
        return mapped.where(mapped != "", None)
    # list
    sep = spec.list_separator or ";"
    out = []
    unknown_rows, unknown_values = [], set()
    for row, value in zip(rows, raw, strict=True):
        items = [s.strip() for s in str(value or "").replace("；", sep).split(sep) if s.strip()]
        mapped_items = tuple(mapping.get(s, s) for s in items)
        bad = [s for s, m in zip(items, mapped_items, strict=True) if m not in fld.choices]
        if bad:
            unknown_rows.append(row)
            unknown_values.update(bad)
        if fld.required and not items:
            unknown_rows.append(row)
        out.append(tuple(m for m in mapped_items if m in fld.choices))
    if unknown_rows:
        problems.append(
            Problem(
                label,
                f"empty or unknown value(s) {sorted(unknown_values)[:10]} in list column for '{fld.name}'",
                row=_rows_text(unknown_rows),
                column=source_col,
                hint=f"separate items with '{sep}' and map them in [inputs.{spec.name}.values.{fld.name}] to {list(fld.choices)}",
            )
        )
    return pd.Series(out, index=raw.index, dtype=object)


def _convert_bool(
    spec: InputSpec,
    fld: Field,
    source_col: str,
    raw: pd.Series,
    rows: pd.Series,
    mapping: Mapping[str, Any],
    problems: list[Problem],
) -> pd.Series:
    """A yes/no column as pandas' nullable boolean (blank: unknown, ``<NA>``)."""
    out: list[bool | None] = []
    bad = []
    for value in raw:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.append(None)
            continue
        text = _cell_text(value)
        mapped = mapping.get(text, text)
        if isinstance(mapped, bool):
            out.append(mapped)
            continue
        word = str(mapped).strip().lower()
        if word in ("", "nan", "none", "null"):
            out.append(None)
        elif word in BOOL_TRUE:
            out.append(True)
        elif word in BOOL_FALSE:
            out.append(False)
        else:
            out.append(None)
            bad.append(text)
    if bad:
        texts = raw.map(lambda v: "" if v is None else _cell_text(v))
        mask = texts.isin(bad)
        problems.append(
            Problem(
                spec.label,
                f"unknown yes/no value(s) {sorted(set(bad))[:10]} for '{fld.name}'",
                row=_rows_text(rows[mask]),
                column=source_col,
                hint=f"use 是/否, yes/no, 1/0, or map them in [inputs.{spec.name}.values.{fld.name}] "
                '(e.g. "提供" = true)',
            )
        )
    return pd.Series(pd.array(out, dtype="boolean"), index=raw.index)


def _declared_coords(spec: InputSpec, problems: list[Problem]) -> CoordSystem | None:
    """The offset system ``spec`` declares (``wgs84`` if none); None, with a problem, if unknown."""
    system = declared_system(spec.coords)
    if system is None:
        problems.append(
            Problem(
                spec.label,
                f"unknown coordinate system coords = '{spec.coords}' in [inputs.{spec.name}]",
                column="coords",
                hint=f"use one of {', '.join(DECLARED_SYSTEMS)} (gcj02: Amap/高德, Tencent; "
                "bd09: Baidu/百度)",
            )
        )
    return system


def _is_crs(crs: Any) -> bool:
    try:
        pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return False
    return True


def _is_geographic(crs: Any) -> bool:
    try:
        return pyproj.CRS.from_user_input(crs).is_geographic
    except pyproj.exceptions.CRSError:
        return False


def _coords_note(
    declared: str | None,
    n_converted: int,
    crs: Any,
    *,
    what: str = "vertices",
    private: bool = False,
) -> str:
    """What was declared and what was done, for the validation table (a private layer's count is
    rounded: :func:`siting.disclosure.people_text`)."""
    if crs is not None and not pyproj.CRS.from_user_input(crs).is_geographic:
        return ""
    if declared is None:
        return "coords not declared: lon/lat read as WGS84/CGCS2000"
    name = SYSTEM_NAMES[str(declared).strip().lower()]
    if declared_system(declared) == "wgs84":
        return f"{name} declared: no offset"
    count = people_text(n_converted) if private else f"{n_converted:,}"
    return f"{name} declared, {count} {what} converted to WGS84/CGCS2000"


def _apply_coords(
    spec: InputSpec, gdf: gpd.GeoDataFrame, problems: list[Problem]
) -> gpd.GeoDataFrame | None:
    """Convert every vertex of a vector layer from its declared system to WGS84.

    The layer's file says EPSG:4326 (or 4490) whatever offset its lon/lat carry; ``coords`` says
    which. A declaration on a layer in projected metres is an error. Sets ``attrs['coords_note']``.
    """
    system = _declared_coords(spec, problems)
    if system is None:
        return None
    if spec.coords is not None and not gdf.crs.is_geographic:
        problems.append(
            Problem(
                spec.label,
                f"coords = '{spec.coords}' in [inputs.{spec.name}], but the layer is in projected "
                f"metres ({gdf.crs.name}): coords says which offset longitudes/latitudes carry",
                column="coords",
                hint=f"remove `coords` from [inputs.{spec.name}] (the layer's CRS is used as it "
                "is), or export the layer as longitude/latitude in its original system",
            )
        )
        return None
    n_converted = 0
    if system != "wgs84":
        geoms = gdf.geometry.to_numpy()
        converted = geometries_to_wgs84(geoms, src=system)
        n_converted = int(shapely.get_num_coordinates(converted).sum())
        gdf = gpd.GeoDataFrame(
            gdf.drop(columns=gdf.geometry.name), geometry=converted, crs="EPSG:4326"
        )
        log.info(
            "%s: %s declared, %s vertices converted to WGS84",
            spec.label,
            SYSTEM_NAMES[system],
            people_text(n_converted) if spec.name in PRIVATE_INPUTS else f"{n_converted:,}",
        )
    gdf.attrs["coords_note"] = _coords_note(
        spec.coords, n_converted, gdf.crs, private=spec.name in PRIVATE_INPUTS
    )
    return gdf


def _points_from_lonlat(
    spec: InputSpec, frame: pd.DataFrame, rows: pd.Series, problems: list[Problem]
) -> gpd.GeoSeries | None:
    lon_col = spec.columns.get("lon", "lon")
    lat_col = spec.columns.get("lat", "lat")
    missing = [c for c in (lon_col, lat_col) if c not in frame.columns]
    if missing:
        problems.append(
            Problem(
                spec.label,
                f"coordinate column(s) {missing} not found",
                column=", ".join(missing),
                hint=f"map them with [inputs.{spec.name}.columns] lon = ... and lat = ...; columns in the file: {list(frame.columns)}",
            )
        )
        return None
    coords = _declared_coords(spec, problems)
    if coords is None:
        return None
    if spec.crs and not _is_crs(spec.crs):
        problems.append(
            Problem(
                spec.label,
                f"crs = '{spec.crs}' in [inputs.{spec.name}] is not a CRS",
                column="crs",
                hint='a lon/lat table takes a geographic CRS, e.g. crs = "EPSG:4490" (CGCS2000); '
                "declare an offset with `coords`",
            )
        )
        return None
    if spec.crs and not _is_geographic(spec.crs):
        problems.append(
            Problem(
                spec.label,
                f"crs = '{spec.crs}' is not a longitude/latitude CRS, but a table gives lon/lat",
                column="crs",
                hint=f'remove `crs` from [inputs.{spec.name}] (or set "EPSG:4490"), and declare '
                "the offset with `coords`",
            )
        )
        return None
    lon = pd.to_numeric(frame[lon_col].map(lambda v: str(v).strip()), errors="coerce")
    lat = pd.to_numeric(frame[lat_col].map(lambda v: str(v).strip()), errors="coerce")
    missing_xy = lon.isna() | lat.isna() | ~np.isfinite(lon) | ~np.isfinite(lat)
    if missing_xy.any():
        wide = (frame[lon_col].map(_has_full_width) | frame[lat_col].map(_has_full_width))[
            missing_xy
        ].any()
        problems.append(
            Problem(
                spec.label,
                "missing or non-numeric coordinates",
                row=_rows_text(rows[missing_xy]),
                column=f"{lon_col}/{lat_col}",
                hint=FULL_WIDTH_HINT
                if wide
                else "every record needs a longitude and a latitude in decimal degrees",
            )
        )
    ok = ~missing_xy
    if ok.any():
        lo, la = lon[ok], lat[ok]
        swapped = lo.between(-90, 90) & la.between(90, 180) if la.abs().max() > 90 else None
        if swapped is not None and swapped.mean() > 0.5:
            problems.append(
                Problem(
                    spec.label,
                    f"longitude and latitude look swapped: column '{lon_col}' holds values like {lo.median():.3f} "
                    f"and column '{lat_col}' values like {la.median():.3f}",
                    column=f"{lon_col}/{lat_col}",
                    hint=f'swap the mapping: lon = "{lat_col}", lat = "{lon_col}"',
                )
            )
            return None
        out_of_range = ~(lo.between(-180, 180) & la.between(-90, 90))
        if out_of_range.any():
            problems.append(
                Problem(
                    spec.label,
                    "coordinates out of range (not degrees of longitude/latitude)",
                    row=_rows_text(rows[ok][out_of_range]),
                    column=f"{lon_col}/{lat_col}",
                    hint="give decimal degrees, or convert projected x/y to longitude/latitude",
                )
            )
            return None
    x = np.full(len(frame), np.nan)
    y = np.full(len(frame), np.nan)
    if ok.any():
        wx, wy = convert(lon[ok].to_numpy(), lat[ok].to_numpy(), src=coords, dst="wgs84")
        x[ok.to_numpy()] = wx
        y[ok.to_numpy()] = wy
    geoms = shapely.points(x, y)
    geoms[~ok.to_numpy()] = None
    out = gpd.GeoSeries(geoms, index=frame.index, crs="EPSG:4326")
    out.attrs["coords_note"] = _coords_note(
        spec.coords, int(ok.sum()), None, what="points", private=spec.name in PRIVATE_INPUTS
    )
    return out


def _check_geometry(
    spec: InputSpec,
    gdf: gpd.GeoDataFrame,
    rows: pd.Series,
    problems: list[Problem],
    *,
    is_table: bool = False,
) -> pd.Series:
    """Check geometry presence, type, validity and axis order; return a mask of usable rows.

    A table's rows without a point were reported with their lon/lat columns already.
    """
    label = spec.label
    column = gdf.attrs.get("geometry_column") or "geometry"
    geom = gdf.geometry.values
    usable = pd.Series(True, index=gdf.index)
    empty = pd.Series(shapely.is_missing(geom) | shapely.is_empty(geom), index=gdf.index)
    if empty.any() and not is_table:
        problems.append(
            Problem(label, "missing or empty geometry", row=_rows_text(rows[empty]), column=column)
        )
    usable &= ~empty
    want = GEOMETRY[spec.name]
    types = pd.Series(shapely.get_type_id(geom), index=gdf.index)
    allowed = {"polygon": {3, 6}, "point": {0}, "any": {0, 3, 6}}[want]
    wrong = ~types.isin(allowed) & ~empty
    if wrong.any():
        found = sorted({shapely.geometry.base.GEOMETRY_TYPES[t] for t in types[wrong]})
        needs = {"polygon": "polygons", "point": "points", "any": "polygons or points"}[want]
        problems.append(
            Problem(
                label,
                f"wrong geometry type {found}; [inputs.{spec.name}] needs {needs}",
                row=_rows_text(rows[wrong]),
                column=column,
                hint="export the layer with the right geometry type (one type per layer), and "
                f"check that [inputs.{spec.name}] names the right file and layer",
            )
        )
        usable &= ~wrong
    invalid = pd.Series(~shapely.is_valid(geom), index=gdf.index) & usable
    if invalid.any():
        reasons = shapely.is_valid_reason(geom[invalid.to_numpy()])
        problems.append(
            Problem(
                label,
                f"invalid geometry ({reasons[0]})",
                row=_rows_text(rows[invalid]),
                column=column,
                hint="repair it in GIS (e.g. QGIS 'Fix geometries' or `make_valid`)",
            )
        )
        usable &= ~invalid
    if gdf.crs is not None and gdf.crs.is_geographic and usable.any():
        b = shapely.bounds(geom[usable.to_numpy()])
        xs = (b[:, 0] + b[:, 2]) / 2
        ys = (b[:, 1] + b[:, 3]) / 2
        if np.mean((np.abs(xs) <= 90) & (np.abs(ys) > 90)) > 0.5 or np.mean(np.abs(ys) > 90) > 0:
            problems.append(
                Problem(
                    label,
                    "x and y look swapped (latitudes in the x axis) or the CRS is wrong: "
                    f"coordinates like ({np.median(xs):.6g}, {np.median(ys):.6g}) in a "
                    f"longitude/latitude CRS ({gdf.crs.name})",
                    column=column,
                    hint="export with longitude as x, or set the layer's real CRS (e.g. "
                    f'crs = "EPSG:4545" in [inputs.{spec.name}] for Gauss-Krüger metres)',
                )
            )
            usable &= False
    return usable


def read_input(spec: InputSpec, problems: list[Problem]) -> gpd.GeoDataFrame | None:
    """Read one input into its canonical columns; append problems to ``problems``.

    Returns a GeoDataFrame with the columns of ``SCHEMAS[spec.name]`` present in the file, ``row``
    and ``geometry`` (in the file's CRS, EPSG:4326 for lon/lat tables), or None when the file cannot be
    read at all. Rows with unusable geometry are dropped (after being reported).
    """
    label = spec.label
    if not spec.path.exists():
        problems.append(
            Problem(
                label, "file not found", hint=f"check [inputs.{spec.name}] path in the scenario"
            )
        )
        return None
    suffix = spec.path.suffix.lower()
    is_table = suffix in TABLE_SUFFIXES
    if suffix == ".xls":
        problems.append(
            Problem(label, "old .xls workbooks are not supported", hint="save it as .xlsx")
        )
        return None
    if is_table:
        frame = (
            _read_excel(spec, problems)
            if suffix in (".xlsx", ".xlsm")
            else _read_csv(spec, problems)
        )
    elif suffix in VECTOR_SUFFIXES or spec.path.is_dir():
        frame = _read_vector(spec, problems)
    else:
        problems.append(
            Problem(
                label,
                f"unsupported file type '{suffix}'",
                hint="use GeoPackage, Shapefile, GeoJSON, CSV or XLSX",
            )
        )
        return None
    if frame is None:
        return None
    if len(frame) == 0:
        problems.append(
            Problem(
                label,
                "the layer or table is empty",
                hint="check that the right file/layer is named",
            )
        )
        return None
    frame = frame.copy()
    if is_table:
        frame.columns = [str(c).strip() for c in frame.columns]
    rows = _row_labels(frame, is_table)

    # geometry
    if is_table:
        if GEOMETRY[spec.name] == "polygon":
            problems.append(
                Problem(
                    label,
                    "a table cannot hold polygons",
                    hint="give a GeoPackage, Shapefile or GeoJSON",
                )
            )
            return None
        geometry = _points_from_lonlat(spec, frame, rows, problems)
        if geometry is None:
            return None
        note = geometry.attrs.get("coords_note", "")
        gdf = gpd.GeoDataFrame(frame, geometry=geometry)
    else:
        gdf = frame
        if spec.crs and not _is_crs(spec.crs):
            problems.append(
                Problem(
                    label,
                    f"crs = '{spec.crs}' in [inputs.{spec.name}] is not a CRS",
                    column="crs",
                    hint='give an EPSG code, e.g. "EPSG:4490" (CGCS2000 lon/lat) or "EPSG:4545"',
                )
            )
            return None
        if gdf.crs is None:
            if spec.crs:
                gdf = gdf.set_crs(spec.crs)
            else:
                problems.append(
                    Problem(
                        label,
                        "the layer has no CRS",
                        hint=f'define it in the file (e.g. EPSG:4490) or set `crs = "EPSG:4490"` in [inputs.{spec.name}]',
                    )
                )
                return None
        elif spec.crs:  # the scenario overrides a wrong CRS in the file
            gdf = gdf.set_crs(spec.crs, allow_override=True)
        gdf = _apply_coords(spec, gdf, problems)
        if gdf is None:
            return None
        note = gdf.attrs.get("coords_note", "")
    usable = _check_geometry(spec, gdf, rows, problems, is_table=is_table)

    # columns
    out: dict[str, Any] = {}
    reserved = {"lon", "lat"}
    for key in spec.columns:
        if key not in reserved and key not in {f.name for f in SCHEMAS[spec.name]}:
            problems.append(
                Problem(
                    label,
                    f"unknown canonical column '{key}' in the mapping",
                    column=f"inputs.{spec.name}.columns.{key}",
                    hint=f"known: {[f.name for f in SCHEMAS[spec.name]]}",
                )
            )
    for fld in SCHEMAS[spec.name]:
        source = spec.columns.get(fld.name, fld.name)
        if source not in gdf.columns:
            if fld.required or fld.name in spec.columns:
                problems.append(
                    Problem(
                        label,
                        f"column '{source}' (for '{fld.name}') not found",
                        column=source,
                        hint=f"columns in the file: {[c for c in gdf.columns if c != 'geometry']}; "
                        f'map it in [inputs.{spec.name}.columns] {fld.name} = "..."',
                    )
                )
            continue
        out[fld.name] = _convert_field(spec, fld, source, gdf[source], rows, problems)
    result = gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
    result.insert(0, "row", rows)
    result = result[usable.to_numpy()].reset_index(drop=True)
    result.attrs["coords_note"] = note
    return result


def _duplicates(spec: InputSpec, gdf: gpd.GeoDataFrame, col: str, problems: list[Problem]) -> None:
    if col not in gdf:
        return
    codes = gdf[col]
    dup = codes.duplicated(keep=False) & (codes != "")
    if dup.any():
        groups = gdf[dup].groupby(col)["row"].apply(list)
        for code, rws in list(groups.items())[:20]:
            shown = code if spec.name not in PRIVATE_INPUTS else "(id)"
            problems.append(
                Problem(
                    spec.label,
                    f"duplicate {col} {shown}",
                    row=_rows_text(rws),
                    column=spec.columns.get(col, col),
                    hint="codes must be unique",
                )
            )


# --------------------------------------------------------------------------------------------
# the whole district
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerSummary:
    """One line of the validation table.

    ``records`` of a private input (the roster) is rounded to the nearest
    :data:`siting.disclosure.ROUND_TO` and ``shown`` holds what to print instead of it, in Chinese
    and English (``("约 2,340", "about 2,340")``): its exact size is never shown.
    """

    name: str
    file: str
    records: int
    crs: str
    note: str = ""
    shown: tuple[str, str] = ()


@dataclass(frozen=True)
class Inputs:
    """Every input of a scenario, validated, in the metric working CRS.

    Optional inputs that the scenario does not name are None. ``warnings`` holds problems that did
    not stop the run.
    """

    scenario: Scenario
    crs: pyproj.CRS
    district: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    network: StreetNetwork | None
    buildings: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    health: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    roster: gpd.GeoDataFrame | None = None
    dem_path: Path | None = None
    warnings: tuple[Problem, ...] = ()
    layers: tuple[LayerSummary, ...] = field(default=(), compare=False)


def working_crs_problem(scenario: Scenario) -> Problem | None:
    """The problem with ``[scenario] crs`` (not a CRS, or not in metres), or None."""
    setting = scenario.settings["scenario"].get("crs", "auto")
    if not setting or setting == "auto":
        return None
    hint = (
        'give a projected CRS in metres, e.g. crs = "EPSG:4544" (CGCS2000 3° Gauss-Krüger, '
        'central meridian 105°E), or crs = "auto"'
    )
    try:
        crs = pyproj.CRS.from_user_input(setting)
    except pyproj.exceptions.CRSError:
        return Problem(
            str(scenario.path),
            f"[scenario] crs = {setting!r} is not a CRS",
            column="scenario.crs",
            hint=hint,
        )
    units = {a.unit_name for a in crs.axis_info}
    if crs.is_geographic or not units <= {"metre", "meter"}:
        return Problem(
            str(scenario.path),
            f"[scenario] crs = {setting!r} ({crs.name}) is not a projected CRS in metres: "
            "distances and walking times are computed in it",
            column="scenario.crs",
            hint=hint,
        )
    return None


def _choose_crs(
    scenario: Scenario, polygons: gpd.GeoDataFrame, problems: list[Problem]
) -> pyproj.CRS:
    """``[scenario] crs``, else the Gauss-Krüger zone (or UTM) of the polygons' centre.

    A bad setting is reported and the automatic choice used, so the other checks still run.
    """
    setting = scenario.settings["scenario"].get("crs", "auto")
    problem = working_crs_problem(scenario)
    if problem is not None:
        problems.append(problem)
    elif setting and setting != "auto":
        return pyproj.CRS.from_user_input(setting)
    centre = polygons.to_crs("EPSG:4326").geometry.union_all().centroid
    return working_crs(centre.x, centre.y)


#: read_centrelines keywords whose scenario key has another name.
_TOML_OPTION = {"source_crs": "crs", "oneway_values": "values.oneway"}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    """A bare key where TOML allows one (quoted when all digits, to read as text)."""
    bare = (
        key and not key.isdigit() and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    )
    return key if bare else json.dumps(key, ensure_ascii=False)


def toml_option(input_name: str, option: str, value: Any) -> str:
    """A hint naming a loader option in scenario syntax.

    ``toml_option("network", "default_class", "residential")`` gives
    ``set [inputs.network] default_class = "residential"``; ``columns.highway`` gives
    ``set [inputs.network.columns] highway = "…"``; ``exclude.KIND`` an inline table.
    """
    head, _, key = option.partition(".")
    head = _TOML_OPTION.get(head, head)
    if head == "exclude" and key:
        return f"set [inputs.{input_name}] exclude = {{ {_toml_key(key)} = {_toml_value(value)} }}"
    if key:
        return f"set [inputs.{input_name}.{head}] {_toml_key(key)} = {_toml_value(value)}"
    section, _, leaf = head.rpartition(".")
    table = f"inputs.{input_name}" + (f".{section}" if section else "")
    return f"set [{table}] {leaf} = {_toml_value(value)}"


def read_network(spec: InputSpec, *, crs: pyproj.CRS | None = None) -> StreetNetwork:
    """Read the road network named by ``spec`` (OSM file or road-centreline layer)."""
    from isochrones import io as iso_io  # lazy: osmium is only needed here

    fmt = (spec.format or "").lower()
    suffixes = "".join(spec.path.suffixes).lower()
    if not fmt:
        fmt = "osm" if any(s in suffixes for s in (".osm", ".pbf")) else "centrelines"
    link_keys = [
        key
        for key, given in (
            ("default_class", spec.default_class is not None),
            ("exclude", bool(spec.exclude)),
            ("respect_oneway", spec.respect_oneway),
            ("split_at_crossings", not spec.split_at_crossings),
        )
        if given
    ]
    if spec.crs and not _is_crs(spec.crs):
        raise InputError(
            f"{spec.label}: crs = '{spec.crs}' in [inputs.{spec.name}] is not a CRS",
            [
                Problem(
                    spec.label,
                    f"crs = '{spec.crs}' in [inputs.{spec.name}] is not a CRS",
                    column="crs",
                    hint='give an EPSG code, e.g. "EPSG:4490" (CGCS2000 lon/lat) or "EPSG:4545"',
                )
            ],
        )
    if fmt != "osm" and spec.path.suffix.lower() in TABLE_SUFFIXES:
        raise InputError(
            f"{spec.label}: a road network is a line layer or an OSM file, not a table",
            [
                Problem(
                    spec.label,
                    f"a table ({spec.path.suffix}) cannot hold road centrelines",
                    hint="give an OSM file (.osm, .osm.pbf) or a line layer (GeoPackage, "
                    "Shapefile, GeoJSON), and check that [inputs.network] names the right file",
                )
            ],
        )
    if fmt == "osm" and link_keys:
        raise InputError(
            f"{spec.label}: {', '.join(link_keys)} apply to road-centreline layers, not to OSM "
            "files (OSM ways join only at shared nodes)",
            [
                Problem(
                    spec.label,
                    f"{', '.join(link_keys)} given for an OSM file",
                    column=f"inputs.{spec.name}.{link_keys[0]}",
                    hint=f"remove them from [inputs.{spec.name}], or set [inputs.{spec.name}] "
                    'format = "centrelines" if the file is a centreline layer',
                )
            ],
        )
    if fmt == "osm":
        if spec.crs and not _is_geographic(spec.crs):
            raise InputError(
                f"{spec.label}: OpenStreetMap files are in longitude/latitude",
                [
                    Problem(
                        spec.label,
                        f"crs = '{spec.crs}' in [inputs.{spec.name}], but OpenStreetMap files "
                        "are longitude/latitude",
                        column="crs",
                        hint=f"remove `crs` from [inputs.{spec.name}]; declare an offset with "
                        "`coords`",
                    )
                ],
            )
        return iso_io.read_osm(spec.path, crs=crs, coords=spec.coords)
    if fmt == "centrelines":
        kwargs: dict[str, Any] = {
            "layer": spec.layer,
            "crs": crs,
            "coords": spec.coords,
            "source_crs": spec.crs,
        }
        if spec.columns:
            kwargs["columns"] = dict(spec.columns)
        if spec.class_map:
            kwargs["class_map"] = dict(spec.class_map)
        if spec.snap_tolerance_m is not None:
            kwargs["snap_tolerance_m"] = float(spec.snap_tolerance_m)
        if spec.encoding:
            kwargs["encoding"] = spec.encoding
        if spec.default_class is not None:
            kwargs["default_class"] = spec.default_class
        if spec.exclude:
            kwargs["exclude"] = {k: list(v) for k, v in spec.exclude.items()}
        if spec.values.get("oneway"):
            kwargs["oneway_values"] = {str(k): str(v) for k, v in spec.values["oneway"].items()}
        kwargs["split_at_crossings"] = spec.split_at_crossings
        kwargs["option_hint"] = lambda option, value: toml_option(spec.name, option, value)
        return iso_io.read_centrelines(spec.path, **kwargs)
    raise InputError(
        f"{spec.label}: unknown network format '{spec.format}'",
        [
            Problem(
                spec.label,
                f"unknown format '{spec.format}'",
                column="format",
                hint="use 'osm' or 'centrelines'",
            )
        ],
    )


def _network_note(network: StreetNetwork) -> str:
    """Nodes, and what a navigation-link layer's options did, for the validation table."""
    meta = network.meta
    parts = [f"{network.n_nodes:,} nodes"]
    if meta.get("default_class_links"):
        parts.append(f"{meta['default_class_links']:,} links given default_class")
    if meta.get("closed_links"):
        parts.append(f"{meta['closed_links']:,} closed links dropped")
    for col, count in (meta.get("excluded_by_value") or {}).items():
        parts.append(f"{count:,} links excluded by {col}")
    return ", ".join(parts)


def _community_checks(
    spec: InputSpec,
    com: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    label = spec.label
    com = com.copy()
    codes = com["code"]
    if "kind" not in com:
        # NBS convention: the last three digits 001–199 are 居民委员会 (社区), 200–399 村民委员会 (村)
        tail = pd.to_numeric(codes.str[-3:], errors="coerce")
        kind = pd.Series(np.where(tail < 200, "community", "village"), index=com.index)
        bad = (codes.str.len() != 12) | tail.isna() | (tail >= 400)
        if bad.any():
            problems.append(
                Problem(
                    label,
                    "cannot tell 社区 from 村: no 'kind' column and codes are not 12-digit NBS codes",
                    row=_rows_text(com["row"][bad]),
                    column=spec.columns.get("code", "code"),
                    hint=f'map a column with 社区/村 in [inputs.{spec.name}.columns] kind = "..."',
                )
            )
        com["kind"] = kind
    elif com["kind"].isna().any():
        problems.append(
            Problem(
                label,
                "empty 社区/村 kind",
                row=_rows_text(com["row"][com["kind"].isna()]),
                column=spec.columns.get("kind", "kind"),
            )
        )
    if "street_code" not in com:
        com["street_code"] = codes.str[:9]
    else:
        # NBS codes nest: a 社区/村 code begins with its 街道/镇's code
        nbs = codes.str.fullmatch("[0-9]{12}") & com["street_code"].str.fullmatch("[0-9]{9}")
        other = nbs & (codes.str[:9] != com["street_code"])
        if other.any():
            problems.append(
                Problem(
                    label,
                    f"{int(other.sum())} 社区/村 code(s) do not begin with their 街道/镇 code, e.g. "
                    f"{codes[other].iloc[0]} in {com['street_code'][other].iloc[0]}",
                    row=_rows_text(com["row"][other]),
                    column=spec.columns.get("street_code", "street_code"),
                    hint="NBS codes nest (the first 9 digits of a 社区/村 code are its 街道/镇's): "
                    "check the street_code column, or the codes after a boundary change",
                    severity="warning",
                )
            )
    if streets is not None and "code" in streets:
        unknown = ~com["street_code"].isin(set(streets["code"]))
        if unknown.any():
            problems.append(
                Problem(
                    label,
                    f"街道/镇 code(s) {sorted(set(com['street_code'][unknown]))[:10]} not in the streets layer",
                    row=_rows_text(com["row"][unknown]),
                    column=spec.columns.get("street_code", "street_code"),
                    hint="every 社区/村 must belong to a 街道/镇 of the streets layer",
                )
            )
    order = [("pop_60p", "pop_total"), ("pop_65p", "pop_60p"), ("pop_80p", "pop_65p")]
    if "pop_65p" not in com:
        order.append(("pop_80p", "pop_60p"))
    for small, big in order:
        if small in com and big in com:
            bad = com[small] > com[big]
            if bad.any():
                problems.append(
                    Problem(
                        label,
                        f"'{small}' exceeds '{big}'",
                        row=_rows_text(com["row"][bad]),
                        column=spec.columns.get(small, small),
                        hint="age bands must nest: 80+ ≤ 65+ ≤ 60+ ≤ total",
                    )
                )
    for group in ("n_disabled", "n_extreme_poor", "n_living_alone"):
        if group in com and "pop_60p" in com:
            bad = com[group] > com["pop_60p"]
            if bad.any():
                problems.append(
                    Problem(
                        label,
                        f"'{group}' exceeds the 60+ population",
                        row=_rows_text(com["row"][bad]),
                        column=spec.columns.get(group, group),
                    )
                )
    return com


def _overlaps(
    spec: InputSpec, gdf: gpd.GeoDataFrame, problems: list[Problem], tolerances=None
) -> None:
    """Report pairs of polygons that overlap by more than the tolerance (metric CRS), all counted."""
    from siting.polygon_checks import PolygonTolerances, overlap_problems

    problems.extend(overlap_problems(spec.label, gdf, tolerances or PolygonTolerances()))


def _outside(
    spec: InputSpec,
    gdf: gpd.GeoDataFrame,
    district_geom,
    problems: list[Problem],
    *,
    tol_m: float = 100.0,
) -> gpd.GeoDataFrame:
    inside = shapely.dwithin(gdf.geometry.values, district_geom, tol_m)
    if (~inside).any():
        problems.append(
            Problem(
                spec.label,
                f"{int((~inside).sum())} record(s) lie outside the district (more than {tol_m:g} m)",
                row=_rows_text(gdf["row"][~inside]),
                hint="check the coordinates; the coordinate-system check, when it reports, says "
                "which system fits",
            )
        )
    return gdf[inside].reset_index(drop=True)


def _coordinate_check(
    specs: Mapping[str, InputSpec],
    layers: Mapping[str, gpd.GeoDataFrame | None],
    network: StreetNetwork | None,
    crs: pyproj.CRS,
    problems: list[Problem],
) -> None:
    """Which coordinate system fits the layers (:mod:`siting.crs_check`), as problems."""
    from siting.crs_check import check_coordinate_systems

    point_names = ("facilities", "health", "candidates", "roster")
    findings, _ = check_coordinate_systems(
        {n: layers.get(n) for n in point_names},
        {n: layers.get(n) for n in ("district", "streets", "communities")},
        roads=network.edges.geometry if network is not None else None,
        declared={n: s.coords for n, s in specs.items()},
        crs=crs,
    )
    # an error when points were found outside the district (the run stops anyway), else a warning
    outside = any("outside the district" in p.message for p in problems)
    for f in findings:
        problems.append(
            Problem(
                ", ".join(dict.fromkeys(str(specs[n].path) for n in f.layers)),
                f"coordinate systems: {f.message}",
                hint=f.hint,
                severity="error" if outside else "warning",
            )
        )


def _roster_code_problems(
    spec: InputSpec, roster: gpd.GeoDataFrame, known: set[str]
) -> list[Problem]:
    """People whose community code is not a code of the communities layer: counted, by row.

    They are placed by their point instead (:mod:`siting.roster`), so this is a warning; codes
    are personal data's keys and are never echoed, only the rows.
    """
    codes = roster["community_code"].astype(str)
    given = codes != ""
    unknown = given & ~codes.isin(known)
    if not unknown.any():
        return []
    malformed = unknown & ~codes.str.fullmatch(f"[0-9]{{{COMMUNITY_CODE_DIGITS}}}")
    detail = (
        f" ({int(malformed.sum()):,} not {COMMUNITY_CODE_DIGITS}-digit codes)"
        if (malformed.any())
        else ""
    )
    from siting.disclosure import people_text

    return [
        Problem(
            spec.label,
            f"{people_text(int(unknown.sum()))} of {people_text(len(roster))} people have a "
            "community code that is not "
            f"in the communities layer{detail}: they are placed by their point",
            row=_rows_text(roster["row"][unknown]),
            column=spec.columns.get("community_code", "community_code"),
            hint="give the 12-digit code of their 社区/村 as in the communities layer",
            severity="warning",
        )
    ]


def _dem_problems(spec: InputSpec, district_geom, crs: pyproj.CRS) -> list[Problem]:
    """The DEM must open as a raster with a CRS and cover the district (a cheap header read:
    the elevations are read by :func:`siting.walking.walking_graph`)."""
    import rasterio  # lazy: only a DEM needs it
    from rasterio.warp import transform_bounds

    try:
        with rasterio.open(spec.path) as src:
            dem_crs, bounds, count = src.crs, src.bounds, src.count
    except Exception as exc:  # rasterio/GDAL raise several types
        return [
            Problem(
                spec.label,
                f"not a readable raster: {str(exc).splitlines()[0]}",
                hint="give a GeoTIFF of elevations in metres (e.g. an SRTM or 1″ DEM tile), or "
                "remove [inputs.dem] (walking times then ignore slopes)",
            )
        ]
    if dem_crs is None:
        return [
            Problem(
                spec.label,
                "the DEM has no CRS",
                hint="assign one in the file, e.g. gdal_edit.py -a_srs EPSG:4490 dem.tif",
            )
        ]
    if count < 1:
        return [Problem(spec.label, "the raster has no band of elevations")]
    try:
        x0, y0, x1, y1 = transform_bounds(dem_crs, crs, *bounds, densify_pts=21)
    except Exception as exc:  # a CRS PROJ cannot transform
        return [Problem(spec.label, f"the DEM's CRS cannot be transformed: {exc}")]
    covered = shapely.area(shapely.intersection(district_geom, shapely.box(x0, y0, x1, y1)))
    share = covered / max(shapely.area(district_geom), 1.0)
    if share <= 0:
        return [
            Problem(
                spec.label,
                f"the DEM covers none of the district (its extent in {crs.name}: "
                f"x {x0:,.0f}–{x1:,.0f}, y {y0:,.0f}–{y1:,.0f} m)",
                hint="give the DEM tile(s) of this district, or check the file's CRS",
            )
        ]
    if share < 0.95:
        return [
            Problem(
                spec.label,
                f"the DEM covers {share:.0%} of the district: slopes are ignored outside it",
                hint="give a DEM that covers the whole district (merge the tiles)",
                severity="warning",
            )
        ]
    return []


def _where(gdf: gpd.GeoDataFrame) -> str:
    """The first feature's position as its file gives it, e.g. ``(106.01, 29.80)``."""
    p = gdf.geometry.values[0]
    p = shapely.point_on_surface(p) if p is not None and not p.is_empty else None
    return "?" if p is None else f"({p.x:.6g}, {p.y:.6g})"


def load_inputs(scenario: Scenario, *, network: bool = True) -> Inputs:
    """Read and validate every input of ``scenario``; raise one InputError listing all problems.

    Parameters
    ----------
    scenario
        The loaded scenario.
    network
        Also read the road network (the slowest input).
    """
    problems: list[Problem] = []
    specs = scenario.inputs
    raw: dict[str, gpd.GeoDataFrame | None] = {}
    for name in (
        "district",
        "streets",
        "communities",
        "buildings",
        "facilities",
        "health",
        "candidates",
        "roster",
    ):
        if name in specs:
            raw[name] = read_input(specs[name], problems)
            if raw[name] is not None and name in ("streets", "communities"):
                _duplicates(specs[name], raw[name], "code", problems)
            if raw[name] is not None and name == "candidates":
                _duplicates(specs[name], raw[name], "candidate_id", problems)
            if raw[name] is not None and name in ("facilities", "health"):
                _duplicates(specs[name], raw[name], "facility_id", problems)
    for name in ("district", "streets", "communities"):
        g = raw.get(name)
        if g is not None and len(g) == 0:  # every feature was dropped (reported above)
            problems.append(
                Problem(
                    specs[name].label,
                    "no usable polygon is left in the layer: every feature was dropped "
                    "(see the problems of this file)",
                    hint=f"check that [inputs.{name}] names the right file and layer (a "
                    "point or line layer, or another input's layer, cannot stand in for it)",
                )
            )
            raw[name] = None if name == "district" else g
    streets, com = raw.get("streets"), raw.get("communities")
    unusable = [
        name
        for name, g in (("streets", streets), ("communities", com))
        if g is None
        or len(g) == 0
        or any(f.required and f.name not in g for f in SCHEMAS[name])  # reported above
    ]
    if unusable:
        raise InputError(f"scenario {scenario.path}: required inputs cannot be read", problems)

    crs = _choose_crs(scenario, com, problems)
    layers = {name: (g.to_crs(crs) if g is not None else None) for name, g in raw.items()}
    com = _community_checks(
        specs["communities"], layers["communities"], layers["streets"], problems
    )
    from siting.plausibility import InputLimits, population_problems

    try:
        limits = InputLimits.from_scenario(scenario)
    except InputError as exc:
        problems.extend(exc.problems)
        limits = InputLimits()
    problems.extend(
        population_problems(
            specs["communities"].label, com, dict(specs["communities"].columns), limits
        )
    )
    streets = layers["streets"].copy()
    if "kind" not in streets:
        streets["kind"] = np.where(streets["name"].str.endswith("街道"), "street", "town")
    from siting.polygon_checks import PolygonTolerances, gap_problems, listed

    tolerances = PolygonTolerances.from_scenario(scenario)
    _overlaps(specs["communities"], com, problems, tolerances)

    district = layers.get("district")
    district_geom = (
        district.geometry.union_all() if district is not None else com.geometry.union_all()
    )
    union = com.geometry.union_all()
    warnings: list[Problem] = gap_problems(
        specs["communities"].label, district_geom, union, crs, tolerances
    )
    # nesting: each community inside its 街道/镇
    if "code" in streets:
        st_geom = dict(zip(streets["code"], streets.geometry.values, strict=True))
        outside = []
        for code, row, geom, st in zip(
            com["code"], com["row"], com.geometry.values, com["street_code"], strict=True
        ):
            parent = st_geom.get(st)
            if parent is not None:
                spill = shapely.area(shapely.difference(geom, parent))
                if spill > max(1.0, 0.01 * shapely.area(geom)):
                    outside.append((code, row, spill))
        spills = [
            Problem(
                specs["communities"].label,
                f"community {code} extends {spill:,.0f} m² beyond its 街道/镇",
                row=row,
                hint="communities must nest inside their 街道/镇 polygon",
            )
            for code, row, spill in outside
        ]
        problems.extend(listed(spills, limit=tolerances.max_listed, what="communities"))

    points: dict[str, gpd.GeoDataFrame | None] = {}
    for name in ("facilities", "health", "candidates", "roster"):
        g = layers.get(name)
        points[name] = _outside(specs[name], g, district_geom, problems) if g is not None else None
    roster = points.get("roster")
    if roster is not None and "community_code" in roster:
        problems.extend(_roster_code_problems(specs["roster"], roster, set(com["code"])))
    fac = points.get("facilities")
    if fac is not None and "nursing_beds" in fac and "beds" in fac:
        over = fac["nursing_beds"].to_numpy(dtype=float) > fac["beds"].to_numpy(dtype=float)
        if over.any():
            problems.append(
                Problem(
                    specs["facilities"].label,
                    "more nursing-type beds than beds",
                    row=_rows_text(fac["row"][over]),
                    column=specs["facilities"].columns.get("nursing_beds", "nursing_beds"),
                    hint="nursing_beds counts the nursing-type beds among the facility's beds",
                )
            )
    buildings = layers.get("buildings")
    if (
        buildings is not None
        and len(buildings)
        and not shapely.intersects(buildings.geometry.values, union).any()
    ):
        problems.append(
            Problem(
                specs["buildings"].label,
                f"all {len(buildings):,} buildings lie outside every community: the layer would "
                f"be dropped entirely (its CRS: {raw['buildings'].crs.name}; first building at "
                f"{_where(raw['buildings'])})",
                hint='check the layer\'s CRS (set crs = "EPSG:…" in [inputs.buildings] if the '
                "file declares a wrong one) and coords, or that it is this district's layer",
            )
        )
        buildings = None
    if buildings is not None:
        inside = shapely.intersects(buildings.geometry.values, union)
        if (~inside).any():
            warnings.append(
                Problem(
                    specs["buildings"].label,
                    f"{int((~inside).sum())} building(s) lie outside every community and are ignored",
                    row=_rows_text(buildings["row"][~inside]),
                    severity="warning",
                )
            )
            buildings = buildings[inside].reset_index(drop=True)
        if "households" not in buildings and "floor_area_m2" not in buildings:
            warnings.append(
                Problem(
                    specs["buildings"].label,
                    "no 'households' or 'floor_area_m2' column: demand is spread by footprint area",
                    severity="warning",
                )
            )

    street_network = None
    if network and _declared_coords(specs["network"], problems) is not None:
        try:
            street_network = read_network(specs["network"], crs=crs)
        except (NetworkInputError, InputError) as exc:
            problems.extend(exc.problems or [Problem(specs["network"].label, str(exc))])
    _coordinate_check(specs, layers, street_network, crs, problems)
    dem_path = specs["dem"].path if "dem" in specs else None
    if dem_path is not None and declared_system(specs["dem"].coords) != "wgs84":
        problems.append(
            Problem(
                specs["dem"].label,
                f"coords = '{specs['dem'].coords}' in [inputs.dem]: a DEM is read in its own CRS",
                column="coords",
                hint="remove `coords` from [inputs.dem]; give the DEM in a real CRS (any)",
            )
        )
    if dem_path is not None and specs["dem"].crs:
        problems.append(
            Problem(
                specs["dem"].label,
                f"crs = '{specs['dem'].crs}' in [inputs.dem]: a DEM is read in the CRS its file "
                "declares",
                column="crs",
                hint="remove `crs` from [inputs.dem]; assign the CRS in the file instead "
                "(e.g. gdal_edit.py -a_srs EPSG:4490 dem.tif)",
            )
        )
    if dem_path is not None and not dem_path.exists():
        warnings.append(
            Problem(
                specs["dem"].label,
                "DEM file not found: walking times will ignore slopes",
                severity="warning",
            )
        )
        dem_path = None
    if dem_path is not None:
        problems.extend(_dem_problems(specs["dem"], district_geom, crs))

    problems_err = [p for p in problems if p.severity == "error"]
    warnings.extend(p for p in problems if p.severity != "error")
    if problems_err:
        raise InputError(
            f"scenario {scenario.path}: {len(problems_err)} problem(s) in the inputs; nothing was written",
            problems_err,
        )

    summaries = []
    for name, g in (
        ("district", district),
        ("streets", streets),
        ("communities", com),
        *[(n, points.get(n)) for n in ("facilities", "health", "candidates", "roster")],
        ("buildings", buildings),
    ):
        if g is not None:
            private = name in PRIVATE_INPUTS
            summaries.append(
                LayerSummary(
                    name,
                    specs[name].label,
                    round_people(len(g)) if private else len(g),
                    str(raw[name].crs),
                    note=raw[name].attrs.get("coords_note", ""),
                    shown=(people_text(len(g), "zh"), people_text(len(g), "en")) if private else (),
                )
            )
    if street_network is not None:
        meta = street_network.meta
        coords_note = _coords_note(
            specs["network"].coords,
            int(meta.get("vertices_converted", 0)),
            meta.get("source_crs"),
        )
        summaries.append(
            LayerSummary(
                "network",
                specs["network"].label,
                street_network.n_edges,
                str(street_network.crs),
                note="; ".join(t for t in (_network_note(street_network), coords_note) if t),
            )
        )
    if district is None:
        district = gpd.GeoDataFrame(
            {"name": [scenario.settings["scenario"].get("district_name", "")]},
            geometry=[district_geom],
            crs=crs,
        )
    log.info(
        "load_inputs read %d 街道/镇, %d 社区/村 (%s residents, %s aged 60+)",
        len(streets),
        len(com),
        f"{com['pop_total'].sum():,.0f}",
        f"{com['pop_60p'].sum():,.0f}",
    )
    return Inputs(
        scenario=scenario,
        crs=crs,
        district=district,
        streets=streets,
        communities=com,
        network=street_network,
        buildings=buildings,
        facilities=points["facilities"],
        health=points["health"],
        candidates=points["candidates"],
        roster=points["roster"],
        dem_path=dem_path,
        warnings=tuple(warnings),
        layers=tuple(summaries),
    )
