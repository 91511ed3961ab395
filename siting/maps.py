"""HTML coverage maps for planning meetings: one self-contained file per scenario.

:func:`coverage_map` builds a :class:`folium.Map` from plain objects (the validated inputs, the
isochrones, a per-community coverage table, proposed sites, uncovered demand points, aggregated
care-map cells); :func:`write_map` writes it atomically. Layers can be switched on and off
(bottom to top):

- 社区/村 coloured by coverage % (现状, and 规划后 when an after-plan table is given), else by the
  number of older people; uncovered older people as a density (heat) layer from demand points,
  else as graduated circles per community; the care map (关爱地图) from aggregated roster cells;
- walking isochrones of existing home-care (and proposed) facilities, one layer per band;
- the road network by class (the background: the fictional demo district has no real base map);
- 街道/镇 boundaries with their names;
- facilities by type, each type with its own symbol and colour (inline SVG, no icon font), with
  popups; proposed facilities as stars.

A title with the scenario name and date, a legend and a metric scale bar are always drawn.

**Offline** (the default): the page references no server. Leaflet 1.9.3 (JS and CSS, BSD-2-Clause)
is inlined from the ``xstatic-leaflet`` package, its two control images as data URIs; the heat-map
plugin (Leaflet.heat + simpleheat, BSD-2-Clause) from the copy shipped inside ``folium``. jQuery,
Bootstrap and the awesome-markers/Font Awesome files that folium links by default are not used
and are dropped. An element that needs any other script raises an error instead of going online.

**Base maps**: ``"none"`` (default), ``"osm"`` (OpenStreetMap tiles, online), ``"tianditu"``
(天地图 vector tiles + labels, online, needs a key; CGCS2000 ≈ WGS84, no shift) or ``"amap"``
(高德 tiles in GCJ-02: every overlay is shifted WGS84 → GCJ-02 with :mod:`siting.coords` so that
it lines up with the tiles).

**Text from the inputs** (names, addresses, codes, scenario and plan names) is shown as typed and
never runs: :func:`html_text` escapes it once where it enters the page (popups, tooltips, GeoJSON
properties that tooltips show, layer names, labels, the title); tooltips and popups travel as JSON
strings, never pasted into the page's script.

The roster of individuals is never drawn: the care map takes aggregated cells only
(:attr:`siting.roster.RosterAggregates.grid`), and only their count columns reach the page.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import json
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.plugins import HeatMap

from siting import map_controls
from siting.catchments import Catchments
from siting.coords import convert
from siting.errors import InputError, Problem
from siting.i18n import Language, labeller
from siting.i18n import label as i18n_label
from siting.io import FACILITY_TYPES, SITEABLE_TYPES, Inputs
from siting.map_template import RawMacro, Template, folium_template
from siting.transaction import atomic_path

__all__ = ["BASEMAPS", "Basemap", "coverage_map", "external_references", "html_text", "write_map"]

log = logging.getLogger(__name__)

Basemap = Literal["none", "osm", "tianditu", "amap"]
BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
LANGUAGES: tuple[str, ...] = ("zh", "en")

# --------------------------------------------------------------------------------------------
# labels (map-only; type names come from siting.i18n)
# --------------------------------------------------------------------------------------------

_LABELS: dict[str, tuple[str, str]] = {
    "map_title": ("养老服务设施步行覆盖图", "Walking coverage of elderly-care facilities"),
    "legend": ("图例", "Legend"),
    "lorenz_panel": ("公平性：洛伦兹曲线（点击展开）", "Equity: Lorenz curves (click to open)"),
    "lorenz_alt": (
        "各社区/村老年人覆盖率的洛伦兹曲线（规划前后）",
        "Lorenz curves of coverage across 社区/村 (before and after the plan)",
    ),
    "layer_roads": ("道路网", "road network"),
    "layer_streets": ("街道/镇界", "sub-district and town boundaries"),
    "layer_cov_before": ("社区/村覆盖率（现状）", "coverage by community (current)"),
    "layer_cov_after": ("社区/村覆盖率（规划后）", "coverage by community (with the plan)"),
    "layer_elderly": ("社区/村老年人口（60岁及以上）", "older people (60+) by community"),
    "layer_iso_existing": ("现有设施{m}分钟步行圈", "{m}-minute walk to existing facilities"),
    "layer_iso_proposed": ("规划设施{m}分钟步行圈", "{m}-minute walk to proposed facilities"),
    "layer_fac_existing": ("{type}（{n}）", "{type} ({n})"),
    "layer_fac_proposed": ("规划新增设施（{n}）", "proposed facilities ({n})"),
    "layer_health": ("医疗卫生设施（{n}）", "health facilities ({n})"),
    "layer_uncovered": ("未覆盖老年人密度", "older people not covered (density)"),
    "layer_uncovered_circles": (
        "未覆盖老年人（按社区/村）",
        "older people not covered (by community)",
    ),
    "layer_care": ("关爱地图（困难老人，网格汇总）", "care map (elderly in difficulty, per cell)"),
    "legend_coverage": ("覆盖率", "coverage"),
    "legend_coverage_rule": ("覆盖率（{rule}步行）", "coverage (walk ≤ {rule})"),
    "legend_elderly": ("60岁及以上老年人", "older people (60+)"),
    "legend_facilities": ("养老服务设施", "elderly-care facilities"),
    "legend_proposed": ("规划新增（★）", "proposed (★)"),
    "legend_isochrones": ("步行圈", "walking isochrones"),
    "max_n": ("最大 {n} 人", "largest: {n}"),
    "low_high": ("低 → 高", "low → high"),
    "heat_scale": ("每个居住点未覆盖老年人：少 → ≥ {top} 人", "uncovered per home: few → ≥ {top}"),
    "legend_care": ("困难老人（每格人数）", "elderly in difficulty (per cell)"),
    "road_main": ("干道", "main roads"),
    "road_local": ("支路、街巷", "local streets"),
    "road_path": ("步道、梯道、小路", "paths, stairs, tracks"),
    "no_data": ("无数据", "no data"),
    "minutes": ("{m}分钟", "{m} min"),
    "name": ("名称", "name"),
    "type": ("类型", "type"),
    "status": ("状态", "status"),
    "existing": ("现有", "existing"),
    "proposed": ("规划新增", "proposed"),
    "address": ("地址", "address"),
    "floor_area_m2": ("建筑面积（平方米）", "floor area (m²)"),
    "beds": ("床位（张）", "beds"),
    "year_opened": ("建成年份", "year opened"),
    "year_planned": ("计划建成年份", "planned year"),
    "cost_wan_yuan": ("投资（万元）", "cost (10,000 yuan)"),
    "newly_covered_elderly": ("新增覆盖老年人", "older people newly covered"),
    "street_name": ("所属街道/镇", "sub-district/town"),
    "kind": ("类别", "kind"),
    "elderly": ("60岁及以上老年人", "older people (60+)"),
    "coverage_pct": ("覆盖率", "coverage"),
    "covered_elderly": ("已覆盖老年人", "older people covered"),
    "uncovered_elderly": ("未覆盖老年人", "older people not covered"),
    "median_minutes": ("到最近设施步行中位数（分钟）", "median walk to nearest (min)"),
    "roster_total": ("困难老人", "elderly in difficulty"),
    "suppressed_note": (
        "“*”为隐私保护隐去的数（小数及据以推算的数）",
        "“*”: withheld for privacy (small counts, and counts they could be worked out from)",
    ),
    "map_date": ("制图日期", "date"),
    "layer_access": ("社区/村可达性（现状）", "access by community (current)"),
    "layer_access_after": ("社区/村可达性（规划后）", "access by community (with the plan)"),
    "legend_access": ("可达性（{unit}）", "access ({unit})"),
    "access": ("可达性", "access"),
    "access_none": ("0（步行范围内无供给）", "0 (no supply in reach)"),
}


_t = labeller(_LABELS)


# --------------------------------------------------------------------------------------------
# styles
# --------------------------------------------------------------------------------------------

#: Colour and symbol of each facility type (ColorBrewer-like, distinguishable in print).
TYPE_STYLE: dict[str, tuple[str, str]] = {
    "street_center": ("#b2182b", "square"),
    "town_center": ("#e66101", "square"),
    "station": ("#2166ac", "circle"),
    "village_point": ("#1b7837", "triangle"),
    "compound_point": ("#762a83", "diamond"),
    "institution": ("#8c510a", "house"),
}
_HEALTH_STYLE = ("#4d4d4d", "cross")

#: Coverage classes (%, lower bounds) and colours (RdYlGn).
COVERAGE_BINS: tuple[tuple[float, str], ...] = (
    (0.0, "#d73027"),
    (30.0, "#fc8d59"),
    (50.0, "#fee08b"),
    (70.0, "#d9ef8b"),
    (85.0, "#91cf60"),
    (95.0, "#1a9850"),
)
NO_DATA_COLOUR = "#d9d9d9"
_ISO_EXISTING = "#08306b"
_ISO_PROPOSED = "#6a00a8"
_ELDERLY_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
_CARE_BINS: tuple[tuple[float, str], ...] = (
    (0.0, "#f2f0f7"),
    (10.0, "#cbc9e2"),
    (20.0, "#9e9ac8"),
    (50.0, "#6a51a3"),
    (100.0, "#3f007d"),
)
_ROAD_CLASSES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "main": (
        (
            "motorway",
            "motorway_link",
            "trunk",
            "trunk_link",
            "primary",
            "primary_link",
            "secondary",
            "secondary_link",
        ),
        {"color": "#8c8c8c", "weight": 2.4, "opacity": 0.9},
    ),
    "local": (
        (
            "tertiary",
            "tertiary_link",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "road",
        ),
        {"color": "#a6a6a6", "weight": 1.2, "opacity": 0.85},
    ),
    "path": (
        ("footway", "path", "pedestrian", "track", "steps", "cycleway", "bridleway", "corridor"),
        {"color": "#b3b3b3", "weight": 0.8, "opacity": 0.8, "dashArray": "3 3"},
    ),
}
_FONT = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
    '"WenQuanYi Micro Hei", sans-serif'
)


#: Access classes, low → high (YlGnBu); 0 (no supply in reach) has a colour of its own.
ACCESS_COLOURS: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
_NO_ACCESS = "#fdae6b"


def coverage_colour(pct: float | None) -> str:
    """The fill of a coverage % in the map's classes (:data:`COVERAGE_BINS`; no data: grey)."""
    if pct is None or not np.isfinite(pct):
        return NO_DATA_COLOUR
    colour = COVERAGE_BINS[0][1]
    for low, c in COVERAGE_BINS:
        if pct >= low:
            colour = c
    return colour


#: The proposed sites' symbols, black-edged: (points, inner radius as a share (0: a polygon),
#: turn). A five-point star for a single plan; one symbol per plan in a comparison
#: (:data:`PLAN_SYMBOLS`).
_STARS: dict[str, tuple[int, float, float]] = {
    "star": (5, 0.45, 0.0),
    "hexagon": (6, 0.0, 0.0),
    "star4": (4, 0.4, 0.0),
    "pentagon": (5, 0.0, 0.0),
    "star6": (6, 0.5, 0.0),
    "octagon": (8, 0.0, np.pi / 8),
}
PLAN_SYMBOLS: tuple[str, ...] = ("star", "hexagon", "star4", "pentagon", "star6", "octagon")


def _proposed_tooltip(row: dict, lang: Language) -> str:
    """A proposed site's name, with its build year in a plan (``2026年建`` / ``built 2026``)."""
    name = str(row.get("name", ""))
    year = row.get("year")
    if year is None or (isinstance(year, float) and math.isnan(year)):
        return name
    return f"{name} · {int(year)}年建" if lang == "zh" else f"{name} · built {int(year)}"


def _symbol_svg(shape: str, colour: str, size: int, *, stroke: str = "#ffffff") -> str:
    """An inline SVG symbol (no icon font, no image file)."""
    s = size
    h = s / 2
    common = f'fill="{colour}" stroke="{stroke}" stroke-width="1.6"'
    if shape == "square":
        body = f'<rect x="2" y="2" width="{s - 4}" height="{s - 4}" {common}/>'
    elif shape == "circle":
        body = f'<circle cx="{h}" cy="{h}" r="{h - 2}" {common}/>'
    elif shape == "triangle":
        body = f'<polygon points="{h},1.5 {s - 1.5},{s - 2} 1.5,{s - 2}" {common}/>'
    elif shape == "diamond":
        body = f'<polygon points="{h},1 {s - 1},{h} {h},{s - 1} 1,{h}" {common}/>'
    elif shape == "house":
        body = (
            f'<polygon points="{h},1.5 {s - 1.5},{h - 1} {s - 3.5},{h - 1} {s - 3.5},{s - 2} '
            f'3.5,{s - 2} 3.5,{h - 1} 1.5,{h - 1}" {common}/>'
        )
    elif shape == "cross":
        a, b = s * 0.35, s * 0.65
        body = (
            f'<polygon points="{a},1 {b},1 {b},{a} {s - 1},{a} {s - 1},{b} {b},{b} {b},{s - 1} '
            f'{a},{s - 1} {a},{b} 1,{b} 1,{a} {a},{a}" {common}/>'
        )
    elif shape in _STARS:
        points, inner, turn = _STARS[shape]
        pts = []
        for i in range(2 * points if inner else points):
            r = (h - 1) if (i % 2 == 0 or not inner) else (h - 1) * inner
            ang = -np.pi / 2 + turn + i * np.pi / (points if inner else points / 2)
            pts.append(f"{h + r * np.cos(ang):.1f},{h + r * np.sin(ang):.1f}")
        body = f'<polygon points="{" ".join(pts)}" fill="{colour}" stroke="#000000" stroke-width="1.3"/>'
    else:
        raise ValueError(f"unknown symbol {shape!r}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" '
        f'viewBox="0 0 {s} {s}">{body}</svg>'
    )


# --------------------------------------------------------------------------------------------
# geometry to display coordinates
# --------------------------------------------------------------------------------------------


def _display(
    geoms: gpd.GeoSeries, *, gcj: bool, simplify_m: float = 0.0, decimals: int = 6
) -> np.ndarray:
    """Geometries in lon/lat (WGS84; GCJ-02 for Amap tiles), rounded (6 decimals ≈ 0.1 m)."""
    if simplify_m > 0:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    lonlat = geoms.to_crs("EPSG:4326").values

    def _round(xy: np.ndarray) -> np.ndarray:
        if gcj:
            lon, lat = convert(xy[:, 0], xy[:, 1], src="wgs84", dst="gcj02")
            xy = np.column_stack([lon, lat])
        return np.round(xy, decimals)

    return shapely.transform(np.asarray(lonlat, dtype=object), _round)


class _Collection(dict):
    """A GeoJSON FeatureCollection whose geometries stay shapely objects (``shapes``, one per
    feature; the features' ``geometry`` is None) until :class:`_GeoJson` packs them."""

    shapes: np.ndarray


def _feature_collection(geoms: np.ndarray, props: list[dict[str, Any]]) -> _Collection:
    """The features of a map layer: the geometries with their properties, text properties
    HTML-escaped (folium's GeoJsonTooltip and GeoJsonPopup put property values into
    ``innerHTML``); missing and empty geometries are left out."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) != len(props):
        raise ValueError(f"{len(geoms)} geometries but {len(props)} property rows")
    keep = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    out = _Collection(
        type="FeatureCollection",
        features=[
            {
                "type": "Feature",
                "id": str(i),
                "properties": {
                    k: html_text(v) if isinstance(v, str) else v for k, v in props[i].items()
                },
                "geometry": None,
            }
            for i in keep.tolist()
        ],
    )
    out.shapes = geoms[keep]
    return out


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _fmt_int(value: Any) -> str:
    v = _num(value)
    return "—" if v is None else f"{v:,.0f}"


def _fmt_pct(value: Any) -> str:
    v = _num(value)
    return "—" if v is None else f"{v:.1f}%"


def html_text(value: Any) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped, so that it shows as typed and never runs.

    Every text that comes from the inputs (names, addresses, codes, plan and district names)
    goes through this function exactly once, where it is put into the page's HTML: a popup or
    tooltip, a GeoJSON property that a tooltip or popup shows (folium and Leaflet put those into
    ``innerHTML``), a layer name, a label, the title. Data stays plain text until then: never
    escape it earlier, nor twice (``&`` would show as ``&amp;``).

    Braces are escaped too (``&#123;``, ``&#125;``; they show as typed): folium and branca read
    the text their elements write as a Jinja template once more, where ``{{ 7*7 }}`` in a name
    would show as 49 and Jinja code would run (:mod:`siting.map_template`).
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


def _html_properties(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with its text columns HTML-escaped (:func:`html_text`), for a GeoJSON
    layer built from a GeoDataFrame whose properties a tooltip or popup shows."""
    out = frame.copy()
    for col in out.columns:
        if col != out.geometry.name and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [html_text(v) if isinstance(v, str) else v for v in out[col]]
    return out


def _css_token(value: Any) -> str:
    """``value`` as one CSS class-name token (anything but letters, digits, ``-`` and ``_``
    becomes ``_``), for class names made of codes."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(value))


@dataclass(frozen=True)
class PopupTable:
    """A popup: a bold title over a table of (label, value) rows, all plain text (escaped where
    they are put into HTML; rows without a value are left out)."""

    title: str
    rows: tuple[tuple[str, str], ...]


def _popup_table(title: str, rows: list[tuple[str, str]]) -> PopupTable:
    return PopupTable(str(title), tuple((str(k), str(v)) for k, v in rows if v))


# --------------------------------------------------------------------------------------------
# parameter checks
# --------------------------------------------------------------------------------------------


def _coverage_frame(value: Any, what: str) -> pd.DataFrame | None:
    """A per-community coverage table: any DataFrame with ``code`` and ``coverage_pct``.

    An object with a ``communities`` DataFrame attribute (``siting.coverage.CoverageResult``) is
    accepted too.
    """
    if value is None:
        return None
    frame = value if isinstance(value, pd.DataFrame) else getattr(value, "communities", None)
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{what} must be a DataFrame with columns 'code' and 'coverage_pct'",
            [Problem(what, f"got {type(value).__name__}")],
        )
    missing = [c for c in ("code", "coverage_pct") if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {missing}",
            [Problem(what, f"columns present: {list(frame.columns)[:20]}")],
        )
    frame = frame.copy()
    frame["code"] = frame["code"].astype(str)
    return frame.drop_duplicates("code").set_index("code")


def _check_options(lang: str, basemap: str, tianditu_key: str | None) -> None:
    problems = []
    if lang not in LANGUAGES:
        problems.append(
            Problem("lang", f"unknown language {lang!r}", hint=f"use one of {LANGUAGES}")
        )
    if basemap not in BASEMAPS:
        problems.append(
            Problem("basemap", f"unknown base map {basemap!r}", hint=f"use one of {BASEMAPS}")
        )
    elif basemap == "tianditu" and not (tianditu_key or "").strip():
        problems.append(
            Problem(
                "tianditu_key",
                "the Tianditu (天地图) base map needs a key",
                hint="pass tianditu_key=... (CLI: --tianditu-key); get a free key at the "
                "Tianditu developer site, or use basemap 'none', 'osm' or 'amap'",
            )
        )
    if problems:
        raise InputError("cannot draw the map: " + "; ".join(p.message for p in problems), problems)


# --------------------------------------------------------------------------------------------
# offline assets
# --------------------------------------------------------------------------------------------

#: folium's default assets that our maps do not use (awesome-markers, Bootstrap, jQuery).
_UNUSED_ASSETS = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)


def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError(
            "offline maps inline Leaflet from the 'xstatic-leaflet' package: "
            "pip install xstatic-leaflet (or pass offline=False)"
        ) from exc
    return Path(xleaflet.BASE_DIR)


def _asset_text(name: str) -> tuple[str, str]:
    """(kind, text) of an asset folium asks for, read from an installed package."""
    if name == "leaflet":
        return "js", (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    if name == "leaflet_css":
        folder = _leaflet_dir()
        css = (folder / "leaflet.css").read_text(encoding="utf-8")

        def data_uri(match: re.Match) -> str:
            png = (folder / match.group(1)).read_bytes()
            return f"url(data:image/png;base64,{base64.b64encode(png).decode()})"

        return "css", re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    if name == "leaflet-heat.js":
        heat = Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"
        return "js", heat.read_text(encoding="utf-8")
    raise InputError(
        f"offline map: no local copy of the script or style '{name}'",
        [Problem("offline", f"asset {name!r} would be loaded from the internet")],
    )


def _walk(element) -> list:
    out = [element]
    for child in element._children.values():
        out.extend(_walk(child))
    return out


def _inline_assets(m: folium.Map) -> None:
    """Replace every CDN link of the map's elements by the inlined file (or drop unused ones)."""
    wanted: dict[str, None] = {}
    for el in _walk(m):
        js = list(getattr(el, "default_js", []))
        css = list(getattr(el, "default_css", []))
        if not js and not css:
            continue
        for name, _url in [*css, *js]:
            if name not in _UNUSED_ASSETS:
                wanted[name] = None
        el.default_js = []  # instance attributes: folium's class lists stay untouched
        el.default_css = []
    header = m.get_root().header
    for i, name in enumerate(sorted(wanted, key=lambda n: (n != "leaflet_css", n != "leaflet", n))):
        kind, text = _asset_text(name)
        text = text.replace("</script", "<\\/script").replace("</style", "<\\/style")
        tag = (
            f'<script data-asset="{name}">\n{text}\n</script>'
            if kind == "js"
            else f'<style data-asset="{name}">\n{text}\n</style>'
        )
        header.add_child(Element(tag), name=f"siting_asset_{i}", index=i)


_EXTERNAL = re.compile(r"<(?:script|link|img)\b[^>]*?(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def external_references(text: str) -> list[str]:
    """``<script src>``, ``<link href>`` and ``<img src>`` that point to a server."""
    return [m.group(0) for m in _EXTERNAL.finditer(text)]


# --------------------------------------------------------------------------------------------
# elements
# --------------------------------------------------------------------------------------------


#: Display coordinates are whole multiples of 1e-5 degree (about 1 m). A layer's vertices are
#: stored as the differences to the vertex before (running on across rings and features),
#: zigzag- and varint-coded into bytes (1–2 bytes for most vertices of a street-scale shape) and
#: base64-coded, the properties as one key list and a value list per feature
#: (:func:`_pack_features`), then decoded in the page by ``sitingDecode``: about a
#: sixth of the size of the same shapes as GeoJSON text.
_PACK_SCALE = 100_000

_DECODE_JS = """<script>
function sitingDecode(p) {
    var bin = atob(p.b), pos = 0, x = 0, y = 0, s = p.scale;
    function num() {
        var v = 0, mul = 1, c;
        do { c = bin.charCodeAt(pos++); v += (c & 127) * mul; mul *= 128; } while (c & 128);
        return (v % 2) ? -(v + 1) / 2 : v / 2;
    }
    function point() { x += num(); y += num(); return [x / s, y / s]; }
    function points(n) { var out = new Array(n); for (var i = 0; i < n; i++) { out[i] = point(); } return out; }
    function rings(c) { return c.map(points); }
    function geometry(g) {
        var t = g[0], c = g[1], coords;
        if (t === "Point") { coords = point(); }
        else if (t === "MultiPoint" || t === "LineString") { coords = points(c); }
        else if (t === "Polygon" || t === "MultiLineString") { coords = rings(c); }
        else { coords = c.map(rings); }
        return {type: t, coordinates: coords};
    }
    function properties(v) {
        if (!p.k) { return v; }
        var o = {};
        for (var i = 0; i < p.k.length; i++) { o[p.k[i]] = v[i]; }
        return o;
    }
    return {type: "FeatureCollection", features: p.f.map(function (f) {
        return {type: "Feature", id: f[0], properties: properties(f[1]), geometry: geometry(f[2])};
    })};
}
</script>"""


def _shape_of(g: Mapping[str, Any], runs: list) -> list[Any]:
    """``[type, vertex counts]`` of a GeoJSON geometry; its coordinate runs appended to ``runs``."""
    t, c = g["type"], g["coordinates"]
    if t == "Point":
        runs.append([c])
        return [t, None]
    if t in ("MultiPoint", "LineString"):
        runs.append(c)
        return [t, len(c)]
    if t in ("Polygon", "MultiLineString"):
        runs.extend(c)
        return [t, [len(r) for r in c]]
    if t == "MultiPolygon":
        runs.extend(r for poly in c for r in poly)
        return [t, [[len(r) for r in poly] for poly in c]]
    raise ValueError(f"cannot pack a {t} for the map")


def _varints(values: np.ndarray) -> bytes:
    """Signed integers as zigzag varints (7 bits a byte, low bits first)."""
    z = ((values << 1) ^ (values >> 63)).astype(np.uint64)
    nbytes = np.ones(len(z), dtype=np.int64)
    for k in range(1, 10):
        nbytes += z >= np.uint64(1 << (7 * k))
    ends = np.cumsum(nbytes)
    out = np.zeros(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    starts = ends - nbytes
    for k in range(int(nbytes.max()) if len(nbytes) else 0):
        sel = nbytes > k
        byte = (z[sel] >> np.uint64(7 * k)) & np.uint64(127)
        more = (nbytes[sel] > k + 1).astype(np.uint64) << np.uint64(7)
        out[starts[sel] + k] = (byte | more).astype(np.uint8)
    return out.tobytes()


_RAGGED = {
    shapely.GeometryType.POINT: "Point",
    shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon",
    shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
}


def _ragged_shapes(shapes: np.ndarray) -> tuple[list[list[Any]], np.ndarray] | None:
    """``[type, vertex counts]`` per shape and all vertices, from shapely's ragged arrays (one
    geometry type per layer, single parts promoted to multi); None for mixed layers."""
    try:
        kind, coords, offsets = shapely.to_ragged_array(shapes)
    except ValueError:  # mixed types, or geometry collections
        return None
    name = _RAGGED[kind]
    n = len(shapes)
    if name == "Point":
        return [[name, None] for _ in range(n)], coords
    first = np.diff(offsets[0]).tolist()  # vertices per point set, line or ring
    if name in ("LineString", "MultiPoint"):
        return [[name, k] for k in first], coords
    if name in ("Polygon", "MultiLineString"):
        o = offsets[1].tolist()
        return [[name, first[o[i] : o[i + 1]]] for i in range(n)], coords
    rings, polys = offsets[1].tolist(), offsets[2].tolist()
    return [
        [name, [first[rings[p] : rings[p + 1]] for p in range(polys[i], polys[i + 1])]]
        for i in range(n)
    ], coords


def _pack_features(
    features: list[Mapping[str, Any]], shapes: np.ndarray | None = None
) -> dict[str, Any]:
    """A FeatureCollection's features as ``sitingDecode`` reads them (see :data:`_PACK_SCALE`):
    their geometry from ``shapes`` (shapely, one per feature) or their GeoJSON ``geometry``."""
    props = [f.get("properties") or {} for f in features]
    keys = list(props[0]) if props else []
    columnar = all(list(p) == keys for p in props)  # the same keys in every feature: stored once
    ragged = _ragged_shapes(shapes) if shapes is not None and len(shapes) else None
    if ragged is not None:
        geometry, xy = ragged
    else:
        runs: list = []
        geometry = [
            _shape_of(
                f["geometry"] if shapes is None else json.loads(shapely.to_geojson(shapes[i])),
                runs,
            )
            for i, f in enumerate(features)
        ]
        parts = [np.asarray(r, dtype=float).reshape(-1, np.shape(r)[-1]) for r in runs if len(r)]
        xy = np.concatenate(parts) if parts else np.zeros((0, 2))
    rows = [
        [f.get("id"), [p[k] for k in keys] if columnar else p, g]
        for f, p, g in zip(features, props, geometry, strict=True)
    ]
    if len(xy):
        q = np.rint(np.asarray(xy, dtype=float)[:, :2] * _PACK_SCALE).astype(np.int64)
        q[1:] -= q[:-1].copy()
        blob = _varints(q.ravel())
    else:
        blob = b""
    packed = {"scale": _PACK_SCALE, "b": base64.b64encode(blob).decode("ascii"), "f": rows}
    if columnar:
        packed["k"] = keys
    return packed


class _GeoJson(folium.GeoJson, RawMacro):
    """folium's GeoJson layer with its shapes packed (:func:`_pack_features`) in the page.

    Styles, tooltips and popups work as in folium (on the decoded features); the properties
    travel unchanged, already escaped by :func:`_feature_collection`.
    """

    _template = folium_template(
        folium.GeoJson,
        "{{ this.get_name() }}_add({{ this.data|tojson }});",
        "{{ this.get_name() }}_add(sitingDecode({{ this.packed|tojson }}));",
    )

    def __init__(self, data: Any, *args: Any, **kwargs: Any) -> None:
        self.shapes = getattr(data, "shapes", None)  # a _Collection: its shapely geometries
        super().__init__(data, *args, **kwargs)

    def render(self, **kwargs: Any) -> None:
        self.packed = _pack_features(self.data.get("features", []), self.shapes)
        header = self.get_root().header
        if "siting_decode" not in header._children:
            header.add_child(Element(_DECODE_JS), name="siting_decode")
        super().render(**kwargs)


class _ScaleBar(RawMacro):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, maxWidth: 180,
                         position: "bottomleft"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class _HtmlPopup(RawMacro):
    """A popup bound from an HTML string (folium's Popup needs jQuery to parse its content)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 320});
        {% endmacro %}
        """
    )

    def __init__(self, html_content: str) -> None:
        super().__init__()
        self._name = "HtmlPopup"
        self.html = html_content


class _HtmlTooltip(RawMacro):
    """A tooltip bound from an HTML string passed as a JSON string.

    folium's Tooltip pastes its text into a JavaScript template literal, where a backtick or
    ``${`` in a name would be code; here the HTML travels as a JSON string (``tojson`` also
    escapes ``<``, ``>``, ``&`` and ``'``, so it cannot end the script either).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }}, {sticky: true});
        {% endmacro %}
        """
    )

    def __init__(self, html_content: str) -> None:
        super().__init__()
        self._name = "HtmlTooltip"
        self.html = html_content


class _EscapedNames(OrderedDict):
    """A dict whose keys are HTML-escaped as they are set (:func:`html_text`)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(html_text(key), value)


class _LayerControl(folium.LayerControl):
    """folium's layer list with every layer name HTML-escaped: Leaflet's layer control puts the
    names into ``innerHTML``, and a name may carry a plan's name. The layers keep their plain
    names; only the list's keys, filled when the control renders, are escaped."""

    def reset(self) -> None:
        self.base_layers = _EscapedNames()
        self.overlays = _EscapedNames()


def _legend_html(sections: list[tuple[str, list[tuple[str, str]]]], lang: Language) -> str:
    """The legend's HTML: section titles and item texts are plain text (escaped here), the
    swatches are the tool's own SVG."""
    parts = [f'<div class="siting-legend-title">{html_text(_t("legend", lang))}</div>']
    for title, items in sections:
        parts.append(f'<div class="siting-legend-section">{html_text(title)}</div>')
        for swatch, text in items:
            parts.append(
                f'<div class="siting-legend-item"><span class="siting-swatch">{swatch}</span>'
                f"<span>{html_text(text)}</span></div>"
            )
    return '<div id="siting-legend" class="siting-legend">' + "".join(parts) + "</div>"


def _lorenz_panel(png: bytes, lang: Language) -> str:
    """A collapsed panel holding the Lorenz figure, embedded as a data URI (works offline)."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("lorenz must be the bytes of a PNG (siting.equity.lorenz_png)")
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<details id="siting-lorenz" class="siting-lorenz">'
        f"<summary>{html_text(_t('lorenz_panel', lang))}</summary>"
        f'<img alt="{html_text(_t("lorenz_alt", lang))}" src="data:image/png;base64,{data}">'
        "</details>"
    )


def _patch(fill: str, *, stroke: str = "#666666", opacity: float = 1.0, dash: str = "") -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="14">'
        f'<rect x="1" y="1" width="20" height="12" fill="{fill}" fill-opacity="{opacity}" '
        f'stroke="{stroke}" stroke-width="1.2"{dash_attr}/></svg>'
    )


def _line(colour: str, width: float, dash: str = "") -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="14">'
        f'<line x1="1" y1="7" x2="21" y2="7" stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
        "</svg>"
    )


_CSS = """
<style>
  html, body, .leaflet-container {{ font-family: {font}; }}
  .leaflet-container {{ background: #f7f6f2; }}
  #siting-title {{ position: fixed; top: 10px; left: 50%; transform: translateX(-50%);
    z-index: 1000; background: rgba(255,255,255,0.93); padding: 6px 16px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); text-align: center; pointer-events: none;
    max-width: 56%; }}
  #siting-title .main {{ font-size: 18px; font-weight: 700; color: #222; }}
  #siting-title .sub {{ font-size: 12px; color: #555; margin-top: 2px; }}
  .siting-legend {{ position: fixed; bottom: 34px; left: 10px; z-index: 1000;
    background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; line-height: 1.35; color: #222;
    max-height: calc(100vh - 140px); overflow-y: auto; min-width: 150px; }}
  .siting-lorenz {{ position: fixed; bottom: 34px; right: 10px; z-index: 1000;
    background: rgba(255,255,255,0.96); padding: 6px 10px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; color: #222; }}
  .siting-lorenz summary {{ cursor: pointer; font-weight: 700; }}
  .siting-lorenz img {{ display: block; width: min(460px, 60vw); margin-top: 6px; }}
  @media print {{ .siting-lorenz:not([open]) {{ display: none; }} }}
  .siting-legend-title {{ font-weight: 700; font-size: 13px; margin-bottom: 2px; }}
  .siting-legend-section {{ font-weight: 700; margin-top: 6px; color: #333; }}
  .siting-legend-item {{ display: flex; align-items: center; gap: 6px; white-space: nowrap; }}
  .siting-swatch {{ display: inline-flex; width: 22px; justify-content: center; }}
  .leaflet-control-layers {{ font-size: 12px; max-height: calc(100vh - 60px); overflow-y: auto; }}
  .leaflet-control-layers-expanded {{ padding: 6px 8px; }}
  .siting-popup table {{ border-collapse: collapse; margin-top: 4px; font-size: 12px; }}
  .siting-popup th {{ text-align: left; font-weight: 400; color: #555; padding: 1px 8px 1px 0;
    white-space: nowrap; }}
  .siting-popup td {{ padding: 1px 0; }}
  .siting-community-label {{ font-size: 11px; color: #333; white-space: nowrap;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; transform: translate(-50%, -50%);
    display: inline-block; pointer-events: none; }}
  .siting-street-label {{ font-size: 14px; font-weight: 700; color: #1a1a1a; white-space: nowrap;
    text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 4px #fff, 0 0 4px #fff; pointer-events: none;
    transform: translate(-50%, -50%); display: inline-block; }}
  .siting-fac {{ background: none; border: none; }}
  .leaflet-tooltip {{ font-family: {font}; }}
</style>
"""


#: From this zoom on, the map names every 社区/村 (at lower zooms the names would overlap).
COMMUNITY_LABEL_ZOOM = 14


class _CommunityLabels(RawMacro):
    """The 社区/村 names, shown from zoom :data:`COMMUNITY_LABEL_ZOOM` on: one layer group filled
    by one loop of the page's script, added to the map and removed from it as the zoom crosses
    the threshold (not in the layer list). Names are HTML-escaped here (:func:`html_text`) and
    travel as JSON strings, as every name in the page."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var rows = {{ this.rows|tojson }};
            var group = L.layerGroup();
            for (var i = 0; i < rows.length; i++) {
                var span = document.createElement("span");
                span.className = "siting-community-label";
                span.innerHTML = rows[i][2];  // escaped in Python (html_text)
                L.marker([rows[i][0], rows[i][1]], {
                    icon: L.divIcon({html: span, className: "siting-label", iconSize: [0, 0]}),
                    interactive: false, keyboard: false
                }).addTo(group);
            }
            function sync() {
                if (map.getZoom() >= {{ this.zoom }}) { group.addTo(map); }
                else { group.remove(); }
            }
            map.on("zoomend", sync);
            sync();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], zoom: int = COMMUNITY_LABEL_ZOOM) -> None:
        super().__init__()
        self._name = "CommunityLabels"
        self.rows = rows
        self.zoom = int(zoom)


def _tools(
    m: folium.Map,
    inputs: Inputs,
    com_geoms: np.ndarray,
    names: Mapping[str, tuple[str, str, str]],
    lang: Language,
    gcj: bool,
    heading: str,
) -> None:
    """The map's tools (:mod:`siting.map_controls`): the search index of every 社区/村 (name,
    街道/镇 and code, HTML-escaped; its display bounds) and the 街道/镇 outlines for the minimap."""
    index = []
    for code, (w, s, e, n) in zip(
        inputs.communities["code"].astype(str), shapely.bounds(com_geoms), strict=True
    ):
        name, street, _kind = names[code]
        label = html_text(" · ".join(p for p in (name, street, code) if p))
        index.append([label, round(s, 5), round(w, 5), round(n, 5), round(e, 5)])
    outline = _display(inputs.streets.geometry, gcj=gcj, simplify_m=40.0, decimals=4)
    features = [
        {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
        for g in outline
    ]
    stem = re.sub(r"[^\w-]+", "_", heading).strip("_") or "map"
    map_controls.add_tools(
        m, index, {"type": "FeatureCollection", "features": features}, lang=lang, file_stem=stem
    )


def _community_labels(m: folium.Map, inputs: Inputs, gcj: bool) -> None:
    com = inputs.communities
    if com is None or not len(com) or "name" not in com:
        return
    pts = _display(
        gpd.GeoSeries(shapely.point_on_surface(com.geometry.values), crs=com.crs), gcj=gcj
    )
    xy = shapely.get_coordinates(pts)
    rows = [
        [round(float(y), 6), round(float(x), 6), html_text(str(nm))]
        for (x, y), nm in zip(xy, com["name"], strict=True)
    ]
    _CommunityLabels(rows).add_to(m)


class _Markers(RawMacro):
    """Symbols of many sites added to their layer (the parent) in one loop of the page's script.

    One Leaflet ``divIcon`` per distinct symbol (shape, colour, size, CSS classes), shared by
    its markers: the page carries each symbol's SVG once instead of once per marker, and the
    map renders one template instead of one per marker. A popup (:class:`PopupTable`) travels as
    its title and (label number, value) pairs, each label once for the layer, and the script
    builds its HTML (a bold title over a table of label/value rows); titles, labels, values and
    tooltips are plain text escaped here (:func:`html_text`) and travel as JSON strings
    (``tojson`` escapes ``<``, ``>``, ``&`` and ``'``), never as code.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var icons = {{ this.icons|tojson }}.map(function (o) { return L.divIcon(o); });
            var heads = {{ this.heads|tojson }};
            var rows = {{ this.rows|tojson }};
            var layer = {{ this._parent.get_name() }};
            function popup(p) {  // [title, label number, value, …], escaped in Python
                var h = '<div class="siting-popup"><b>' + p[0] + "</b><table>";
                for (var j = 1; j < p.length; j += 2) {
                    h += "<tr><th>" + heads[p[j]] + "</th><td>" + p[j + 1] + "</td></tr>";
                }
                return h + "</table></div>";
            }
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.marker([r[0], r[1]], {icon: icons[r[2]], pane: {{ this.pane|tojson }}})
                    .bindPopup(popup(r[3]), {maxWidth: 320})
                    .bindTooltip(r[4], {sticky: true})
                    .addTo(layer);
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, pane: str = "markerPane") -> None:
        super().__init__()
        self._name = "Markers"
        self.pane = pane
        self.icons: list[dict[str, Any]] = []
        self.rows: list[list[Any]] = []
        self.heads: list[str] = []  # the popups' labels, escaped
        self._icon_index: dict[tuple, int] = {}
        self._head_index: dict[str, int] = {}

    def add(
        self,
        lat: float,
        lon: float,
        *,
        colour: str,
        shape: str,
        size: int,
        classes: str,
        popup: PopupTable,
        tooltip: str,
    ) -> _Markers:
        """One facility symbol with a popup and a tooltip (plain text, escaped here)."""
        key = (shape, colour, size, classes)
        k = self._icon_index.get(key)
        if k is None:
            k = self._icon_index[key] = len(self.icons)
            self.icons.append(
                {
                    "html": _symbol_svg(shape, colour, size),
                    "iconSize": [size, size],
                    "iconAnchor": [size // 2, size // 2],
                    "className": f"siting-fac {classes}",
                }
            )
        cells: list[Any] = [html_text(popup.title)]
        for head, value in popup.rows:
            h = self._head_index.get(head)
            if h is None:
                h = self._head_index[head] = len(self.heads)
                self.heads.append(html_text(head))
            cells += [h, html_text(value)]
        self.rows.append([round(float(lat), 6), round(float(lon), 6), k, cells, html_text(tooltip)])
        return self

    def locations(self, css_class: str | None = None) -> list[tuple[float, float]]:
        """(lat, lon) of the markers, those whose icon has ``css_class`` if given (for tests)."""
        return [
            (r[0], r[1])
            for r in self.rows
            if css_class is None or css_class in self.icons[r[2]]["className"].split()
        ]


def _scenario_title(inputs: Inputs, lang: Language) -> str:
    settings = inputs.scenario.settings.get("scenario", {})
    if lang == "en" and settings.get("name_en"):
        return str(settings["name_en"])
    return inputs.scenario.name


def _deterministic_ids(m: folium.Map, seed: str) -> None:
    """Replace folium's random element ids by sequential ones: same inputs, same HTML."""
    for i, el in enumerate(_walk(m.get_root())):
        el._id = f"{seed}{i:05d}"


# --------------------------------------------------------------------------------------------
# the map
# --------------------------------------------------------------------------------------------


def coverage_map(
    inputs: Inputs,
    *,
    catchments: Catchments | None = None,
    coverage: pd.DataFrame | Any | None = None,
    coverage_after: pd.DataFrame | Any | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    uncovered: gpd.GeoDataFrame | None = None,
    roster_cells: gpd.GeoDataFrame | None = None,
    access: pd.DataFrame | None = None,
    lorenz: bytes | None = None,
    lang: Language = "zh",
    basemap: Basemap = "none",
    tianditu_key: str | None = None,
    offline: bool = True,
    title: str | None = None,
    date: dt.date | None = None,
    minutes: tuple[float, ...] = (15.0, 25.0),
    extra_legend: list[tuple[str, list[tuple[str, str]]]] | None = None,
) -> folium.Map:
    """An interactive coverage map of the district for planning meetings.

    Parameters
    ----------
    inputs
        The validated inputs (:func:`~siting.io.load_inputs`); the roster of individuals in it is
        never used.
    catchments
        Walking isochrones (:func:`~siting.catchments.facility_catchments`), one layer per band:
        the union of the home-care types' ``per_type`` polygons (institutions left out, as in the
        coverage), and for proposed sites the union of the ``per_site`` rows whose ``site_id`` is
        in ``proposed['site_id']`` (compute the catchments with ``include_candidates=True``).
    coverage, coverage_after
        Per-community coverage now and with the plan: any DataFrame with columns ``code`` and
        ``coverage_pct`` (optional ``elderly``, ``covered_elderly``, ``median_minutes``), e.g.
        ``CoverageResult.communities``. Without ``coverage`` the communities are coloured by
        their number of older people. With ``coverage_after`` a second community layer
        (规划后) gives the before/after view.
    proposed
        Proposed sites (points, any CRS): ``name``, ``type`` (one of the facility types),
        optional ``site_id``, ``floor_area_m2``, ``cost_wan_yuan``, ``year``,
        ``newly_covered_elderly``.
    uncovered
        Demand points not covered (points, any CRS), weighted by ``elderly`` if present: drawn as
        a heat map. Without it, but with ``elderly`` and ``covered_elderly`` in ``coverage``,
        uncovered older people are drawn as circles per community.
    roster_cells
        The aggregated care map (``RosterAggregates.grid``): polygons with count columns
        ``total`` and per group (NaN = suppressed). Points are refused: never individuals.
    access
        Per-community accessibility (:func:`siting.access_tables.access_map_frame`): ``code``,
        ``access`` and optionally ``access_after``, in the unit of ``access.attrs["unit"]``;
        drawn as layers that are off until ticked (5 classes, quintiles of the current values).
    lorenz
        A PNG of the Lorenz curves (:func:`siting.equity.lorenz_png`), shown in a panel that opens
        on a click (bottom right), embedded in the file.
    lang
        Labels in ``{'zh', 'en'}``.
    basemap
        ``{'none', 'osm', 'tianditu', 'amap'}``; ``'amap'`` shifts every overlay to GCJ-02.
    tianditu_key
        The Tianditu key (required for ``basemap='tianditu'``).
    offline
        Inline every script and style (no CDN); base-map tiles still need the internet.
    title
        Title (default: the scenario name); the date follows it.
    date
        The date shown (default: today).
    minutes
        Isochrone bands drawn (those present in ``catchments``).
    extra_legend
        Legend sections added at the end: (title, [(SVG swatch, text)]), e.g. a comparison's
        symbol per plan.

    Returns
    -------
    folium.Map
        Write it with :func:`write_map`.
    """
    _check_options(lang, basemap, tianditu_key)
    before = _coverage_frame(coverage, "coverage")
    after = _coverage_frame(coverage_after, "coverage_after")
    if roster_cells is not None and len(roster_cells):
        kinds = set(roster_cells.geom_type.dropna())
        if not kinds <= {"Polygon", "MultiPolygon"}:
            raise InputError(
                "roster_cells must be aggregated cells (polygons), never individual records",
                [Problem("roster_cells", f"geometry types {sorted(kinds)}")],
            )
    gcj = basemap == "amap"
    date = date or dt.date.today()
    heading = title or _scenario_title(inputs, lang)

    district = inputs.district.to_crs("EPSG:4326")
    w, s, e, n = district.total_bounds
    if gcj:
        (w, e), (s, n) = convert(np.array([w, e]), np.array([s, n]), src="wgs84", dst="gcj02")
    m = folium.Map(
        location=[(s + n) / 2, (w + e) / 2],
        tiles=None,
        zoom_start=12,
        control_scale=False,
        prefer_canvas=False,
        zoom_snap=0.25,
    )
    m.get_root().title = html_text(f"{heading} · {date.isoformat()}")
    _add_basemap(m, basemap, tianditu_key, lang)
    # room for the legend (left), the title (top) and the layer list (right)
    m.fit_bounds([[s, w], [n, e]], padding_top_left=(230, 70), padding_bottom_right=(250, 10))

    # panes, bottom to top; isochrones, roads and boundaries let clicks through to the polygons
    for name, z, clickable in (
        ("siting-fill", 350, True),
        ("siting-care", 360, True),
        ("siting-iso", 380, False),
        ("siting-roads", 420, False),
        ("siting-lines", 440, False),
    ):
        folium.map.CustomPane(name, z_index=z, pointer_events=clickable).add_to(m)

    legend: list[tuple[str, list[tuple[str, str]]]] = []
    names = _community_names(inputs)

    # communities ------------------------------------------------------------------------
    com = inputs.communities
    com_geoms = _display(com.geometry, gcj=gcj, simplify_m=3.0, decimals=5)
    if before is not None:
        _community_layer(
            m, com, com_geoms, before, names, lang, _t("layer_cov_before", lang), show=True
        )
        if after is not None:
            _community_layer(
                m, com, com_geoms, after, names, lang, _t("layer_cov_after", lang), show=False
            )
        items = [(_patch(c), f"≥ {low:g}%") for low, c in reversed(COVERAGE_BINS[1:])]
        items.append((_patch(COVERAGE_BINS[0][1]), f"< {COVERAGE_BINS[1][0]:g}%"))
        items.append((_patch(NO_DATA_COLOUR), _t("no_data", lang)))
        legend.append((_coverage_legend_title(before, lang), items))
    else:
        legend.append(_elderly_layer(m, com, com_geoms, names, lang))

    if access is not None and len(access):
        legend.append(_access_layers(m, com, com_geoms, access, names, lang))

    # care map (aggregated cells only) ------------------------------------------------------
    if roster_cells is not None and len(roster_cells):
        legend.append(_care_layer(m, roster_cells, lang, gcj))

    # uncovered older people ----------------------------------------------------------------
    if uncovered is not None and len(uncovered):
        legend.append(_heat_layer(m, uncovered, lang, gcj))
    elif before is not None and {"elderly", "covered_elderly"} <= set(before.columns):
        legend.append(_uncovered_circles(m, com, before, lang, gcj))

    # isochrones ----------------------------------------------------------------------------
    if catchments is not None:
        legend.append(_isochrone_layers(m, catchments, proposed, lang, gcj, minutes))

    # roads and boundaries ------------------------------------------------------------------
    if inputs.network is not None:
        _roads_layer(m, inputs.network.edges, lang, gcj)
        legend.append(
            (
                _t("layer_roads", lang),
                [
                    (
                        _line(style["color"], style["weight"] + 0.4, style.get("dashArray", "")),
                        _t(f"road_{cls}", lang),
                    )
                    for cls, (_, style) in _ROAD_CLASSES.items()
                ],
            )
        )
    _streets_layer(m, inputs, lang, gcj)
    _community_labels(m, inputs, gcj)
    _tools(m, inputs, com_geoms, names, lang, gcj, heading)

    # facilities ----------------------------------------------------------------------------
    legend.append(_facility_layers(m, inputs, proposed, lang, gcj))

    _ScaleBar().add_to(m)
    _LayerControl(collapsed=False, position="topright").add_to(m)
    sub = f"{_t('map_title', lang)} · {_t('map_date', lang)} {date.isoformat()}"
    root = m.get_root()
    root.header.add_child(Element(_CSS.format(font=_FONT)), name="siting_css")
    root.html.add_child(
        Element(
            f'<div id="siting-title"><div class="main">{html_text(heading)}</div>'
            f'<div class="sub">{html_text(sub)}</div></div>'
        ),
        name="siting_title",
    )
    root.html.add_child(
        Element(_legend_html(legend + (extra_legend or []), lang)), name="siting_legend"
    )
    if lorenz is not None:
        root.html.add_child(Element(_lorenz_panel(lorenz, lang)), name="siting_lorenz")
    if offline:
        _inline_assets(m)
    m._siting_offline = offline  # checked by write_map
    _deterministic_ids(m, seed=inputs.scenario.sha256[:8] if inputs.scenario.sha256 else "s")
    log.info(
        "coverage_map drew %d 社区/村, %d facilities%s, basemap %s, %s",
        len(com),
        0 if inputs.facilities is None else len(inputs.facilities),
        "" if proposed is None else f" + {len(proposed)} proposed",
        basemap,
        "offline" if offline else "online scripts",
    )
    return m


_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


def _add_basemap(m: folium.Map, basemap: str, key: str | None, lang: Language) -> None:
    """The basemaps as a switch in the layer list (one shown: ``basemap``).

    With WGS84/CGCS2000 overlays: none, OpenStreetMap and, with a key, 天地图 (streets and
    imagery, each with its labels). With GCJ-02 overlays (``basemap='amap'``): none and 高德
    (streets and imagery), since the overlays are shifted to Amap's tiles. Tiles need the
    internet; without it the map is drawn on its plain background.
    """
    zh = lang == "zh"
    folium.FeatureGroup(
        name="无底图" if zh else "No basemap", overlay=False, show=basemap == "none"
    ).add_to(m)
    if basemap == "amap":
        for style, name in ((8, ("高德地图", "Amap")), (6, ("高德影像", "Amap imagery"))):
            host = "webrd0{s}" if style == 8 else "webst0{s}"
            folium.TileLayer(
                tiles=f"https://{host}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                f"&style={style}&x={{x}}&y={{y}}&z={{z}}",
                attr="高德地图 AutoNavi (GCJ-02)",
                name=name[0] if zh else name[1],
                subdomains="1234",
                max_zoom=18,
                show=style == 8,
            ).add_to(m)
        return
    folium.TileLayer(
        tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attr="© OpenStreetMap contributors",
        name="OpenStreetMap",
        max_zoom=19,
        show=basemap == "osm",
    ).add_to(m)
    if key is None:
        return
    labels = "cva" if zh else "eva"
    for i, (layer, label_layer, name) in enumerate(
        (
            ("vec", labels, ("天地图", "Tianditu")),
            ("img", "cia" if zh else "eia", ("天地图影像", "Tianditu imagery")),
        )
    ):
        group = folium.FeatureGroup(
            name=name[0] if zh else name[1], overlay=False, show=basemap == "tianditu" and i == 0
        )
        for lyr in (layer, label_layer):
            folium.TileLayer(
                tiles=_TIANDITU.format(s="{s}", layer=lyr, key=key),
                attr="天地图 Tianditu",
                subdomains="01234567",
                max_zoom=18,
                control=False,
            ).add_to(group)
        group.add_to(m)


def _band_note(band: float, lang: Language) -> str:
    """What a band beyond the 15-minute rule is for: 25 minutes is 万州's rural 医养结合 circle."""
    if abs(band - 25.0) > 1e-9:
        return ""
    return "（农村医养结合圈，002 §25）" if lang == "zh" else " (rural 医养结合 circle, 002 §25)"


def _coverage_legend_title(table: pd.DataFrame, lang: Language) -> str:
    """ "覆盖率（社区、村15分钟步行）" (or per kind when they differ) from the table's thresholds."""
    if not {"threshold_minutes", "kind"} <= set(table.columns):
        return _t("legend_coverage", lang)
    parts = []
    by_kind = {
        kind: sorted(set(table.loc[table["kind"] == kind, "threshold_minutes"].dropna()))
        for kind in ("community", "village")
    }
    if by_kind["community"] and by_kind["community"] == by_kind["village"]:
        mins = "/".join(f"{v:g}" for v in by_kind["community"])
        both = (
            f"{i18n_label('community', lang)}、{i18n_label('village', lang)}{mins}分钟"
            if lang == "zh"
            else f"{mins} min"
        )
        return _t("legend_coverage_rule", lang, rule=both)
    for kind in ("community", "village"):
        values = by_kind[kind]
        if values:
            mins = "/".join(f"{v:g}" for v in values)
            parts.append(
                f"{i18n_label(kind, lang)}{mins}分钟" if lang == "zh" else f"{mins} min ({kind}s)"
            )
    if not parts:
        return _t("legend_coverage", lang)
    return _t("legend_coverage_rule", lang, rule=("、" if lang == "zh" else ", ").join(parts))


def _community_names(inputs: Inputs) -> dict[str, tuple[str, str, str]]:
    """code → (name, 街道/镇 name, kind) of every community."""
    st = dict(zip(inputs.streets["code"], inputs.streets["name"], strict=True))
    com = inputs.communities
    kinds = com["kind"] if "kind" in com else pd.Series([""] * len(com))
    return {
        str(c): (str(nm), st.get(sc, ""), str(k))
        for c, nm, sc, k in zip(com["code"], com["name"], com["street_code"], kinds, strict=True)
    }


def _table_layer(
    m: folium.Map,
    geoms: np.ndarray,
    rows: list[dict[str, str]],
    colours: list[str],
    *,
    fields: list[tuple[str, str]],
    tooltip: list[str],
    style: Mapping[str, Any],
    name: str,
    pane: str,
    show: bool = True,
    highlight: bool = False,
) -> _GeoJson:
    """Polygons with a fill colour each and a popup table built in the page from ``fields``.

    ``rows`` and the field labels are plain text: the GeoJSON carries them HTML-escaped.

    Only the values travel per feature (the field labels once per layer), and the colour is
    looked up by feature id, so large layers stay small.
    """
    fc = _feature_collection(geoms, rows)
    colour_of = {f["id"]: colours[int(f["id"])] for f in fc["features"]}
    keys = [k for k, _ in fields]
    return _GeoJson(
        fc,
        name=name,
        show=show,
        pane=pane,
        style_function=lambda f: {**style, "fillColor": colour_of[f["id"]]},
        highlight_function=(lambda f: {"weight": 2.5, "color": "#333333"}) if highlight else None,
        tooltip=folium.GeoJsonTooltip(fields=tooltip, labels=False),
        popup=folium.GeoJsonPopup(
            fields=keys,
            aliases=[html_text(alias) for _, alias in fields],
            class_name="siting-popup",
        ),
    ).add_to(m)


def _community_layer(
    m: folium.Map,
    com: gpd.GeoDataFrame,
    geoms: np.ndarray,
    table: pd.DataFrame,
    names: Mapping[str, tuple[str, str, str]],
    lang: Language,
    layer_name: str,
    *,
    show: bool,
    pane: str = "siting-fill",
) -> _GeoJson:
    has_cov = "covered_elderly" in table.columns
    has_med = "median_minutes" in table.columns
    rows, colours = [], []
    for code, elderly in zip(com["code"].astype(str), com["pop_60p"], strict=True):
        name, street, kind = names[code]
        row = table.loc[code] if code in table.index else None
        pct = _num(row["coverage_pct"]) if row is not None else None
        el = _num(row["elderly"]) if row is not None and "elderly" in row else _num(elderly)
        cov = _num(row["covered_elderly"]) if row is not None and has_cov else None
        rec = {
            "name": name,
            "street": street,
            "kind": _t(kind, lang) if kind else "",
            "elderly": _fmt_int(el),
            "pct": _fmt_pct(pct),
        }
        if has_cov:
            rec["covered"] = _fmt_int(cov)
            rec["uncovered"] = _fmt_int(None if el is None or cov is None else max(el - cov, 0.0))
        if has_med:
            med = _num(row["median_minutes"]) if row is not None else None
            rec["median"] = "—" if med is None else f"{med:.1f}"
        rows.append(rec)
        colours.append(coverage_colour(pct))
    fields = [
        ("name", _t("name", lang)),
        ("street", _t("street_name", lang)),
        ("kind", _t("kind", lang)),
        ("elderly", _t("elderly", lang)),
        ("pct", _t("coverage_pct", lang)),
    ]
    if has_cov:
        fields += [
            ("covered", _t("covered_elderly", lang)),
            ("uncovered", _t("uncovered_elderly", lang)),
        ]
    if has_med:
        fields.append(("median", _t("median_minutes", lang)))
    return _table_layer(
        m,
        geoms,
        rows,
        colours,
        fields=fields,
        tooltip=["name", "pct"],
        style={"color": "#ffffff", "weight": 0.8, "fillOpacity": 0.72},
        name=layer_name,
        pane=pane,
        show=show,
        highlight=True,
    )


def _access_layers(
    m: folium.Map,
    com: gpd.GeoDataFrame,
    geoms: np.ndarray,
    access: pd.DataFrame,
    names: Mapping[str, tuple[str, str, str]],
    lang: Language,
) -> tuple[str, list[tuple[str, str]]]:
    """社区/村 by access, current and (with ``access_after``) after the plan, both hidden until
    ticked; the classes are quintiles of the current positive values, shared by both layers."""
    table = access.assign(code=access["code"].astype(str)).set_index("code")
    now = table["access"].to_numpy(dtype=float)
    positive = now[np.isfinite(now) & (now > 0)]
    edges = np.unique(np.quantile(positive, [0.2, 0.4, 0.6, 0.8])) if len(positive) else np.zeros(0)

    def colour(v: float | None) -> str:
        if v is None or not np.isfinite(v):
            return NO_DATA_COLOUR
        if v <= 0:
            return _NO_ACCESS
        return ACCESS_COLOURS[int(np.searchsorted(edges, v, side="right"))]

    unit = str(access.attrs.get("unit", ""))
    layers = [("access", "layer_access")]
    if "access_after" in table:
        layers.append(("access_after", "layer_access_after"))
    for column, key in layers:
        rows, colours = [], []
        for code in com["code"].astype(str):
            name, street, kind = names[code]
            v = _num(table.at[code, column]) if code in table.index else None
            el = (
                _num(table.at[code, "elderly"])
                if code in table.index and "elderly" in table
                else None
            )
            rows.append(
                {
                    "name": name,
                    "street": street,
                    "kind": _t(kind, lang) if kind else "",
                    "elderly": _fmt_int(el),
                    "access": "—" if v is None else f"{v:.3g}",
                }
            )
            colours.append(colour(v))
        _table_layer(
            m,
            geoms,
            rows,
            colours,
            fields=[
                ("name", _t("name", lang)),
                ("street", _t("street_name", lang)),
                ("kind", _t("kind", lang)),
                ("elderly", _t("elderly", lang)),
                ("access", _t("legend_access", lang, unit=unit)),
            ],
            tooltip=["name", "access"],
            style={"color": "#ffffff", "weight": 0.8, "fillOpacity": 0.72},
            name=_t(key, lang),
            pane="siting-fill",
            show=False,
            highlight=True,
        )
    bounds = [f"{b:.3g}" for b in edges]
    items = [(_patch(_NO_ACCESS), _t("access_none", lang))]
    if len(bounds):
        items.append((_patch(ACCESS_COLOURS[0]), f"< {bounds[0]}"))
        items += [
            (_patch(ACCESS_COLOURS[i + 1]), f"{a} – {b}")
            for i, (a, b) in enumerate(itertools.pairwise(bounds))
        ]
        items.append((_patch(ACCESS_COLOURS[len(bounds)]), f"≥ {bounds[-1]}"))
    elif len(positive):
        items.append((_patch(ACCESS_COLOURS[0]), "> 0"))
    items.append((_patch(NO_DATA_COLOUR), _t("no_data", lang)))
    return _t("legend_access", lang, unit=unit), items


def _elderly_layer(
    m: folium.Map,
    com: gpd.GeoDataFrame,
    geoms: np.ndarray,
    names: Mapping[str, tuple[str, str, str]],
    lang: Language,
) -> tuple[str, list[tuple[str, str]]]:
    values = com["pop_60p"].to_numpy(dtype=float)
    edges = np.unique(np.nanquantile(values, [0.2, 0.4, 0.6, 0.8])) if len(values) else []
    rows, colours = [], []
    for code, v in zip(com["code"].astype(str), values, strict=True):
        name, street, kind = names[code]
        cls = int(np.searchsorted(edges, v, side="right"))
        colours.append(_ELDERLY_COLOURS[min(cls, len(_ELDERLY_COLOURS) - 1)])
        rows.append(
            {
                "name": name,
                "street": street,
                "kind": _t(kind, lang) if kind else "",
                "elderly": _fmt_int(v),
            }
        )
    _table_layer(
        m,
        geoms,
        rows,
        colours,
        fields=[
            ("name", _t("name", lang)),
            ("street", _t("street_name", lang)),
            ("kind", _t("kind", lang)),
            ("elderly", _t("elderly", lang)),
        ],
        tooltip=["name", "elderly"],
        style={"color": "#ffffff", "weight": 0.8, "fillOpacity": 0.75},
        name=_t("layer_elderly", lang),
        pane="siting-fill",
        highlight=True,
    )
    bounds = [0.0, *edges.tolist(), float(np.nanmax(values)) if len(values) else 0.0]
    items = [
        (_patch(_ELDERLY_COLOURS[i]), f"{bounds[i]:,.0f} – {bounds[i + 1]:,.0f}")
        for i in range(len(bounds) - 1)
    ]
    return _t("legend_elderly", lang), items[::-1]


def _care_layer(
    m: folium.Map, cells: gpd.GeoDataFrame, lang: Language, gcj: bool
) -> tuple[str, list[tuple[str, str]]]:
    """Aggregated roster cells: only the count columns reach the page ("*" = suppressed)."""
    from siting.roster import GROUPS  # the aggregate's count columns

    groups = [g for g in GROUPS if g in cells.columns]
    geoms = _display(cells.geometry, gcj=gcj, decimals=5)
    rows, colours = [], []
    for rec in cells[["total", *groups]].to_dict("records"):
        total = _num(rec["total"])
        row = {"total": "*" if total is None else f"{total:,.0f}"}
        for g in groups:
            v = _num(rec[g])
            row[g] = "*" if v is None else f"{v:,.0f}"
        rows.append(row)
        colour = _CARE_BINS[0][1]
        for low, c in _CARE_BINS:
            if total is not None and total >= low:
                colour = c
        colours.append(colour)
    _table_layer(
        m,
        geoms,
        rows,
        colours,
        fields=[("total", _t("roster_total", lang))]
        + [(g, i18n_label(f"group_{g}", lang)) for g in groups],
        tooltip=["total"],
        style={"color": "#54278f", "weight": 0.6, "fillOpacity": 0.75},
        name=_t("layer_care", lang),
        pane="siting-care",
        show=False,
    )
    items = []
    for i, (low, colour) in enumerate(_CARE_BINS):
        high = _CARE_BINS[i + 1][0] if i + 1 < len(_CARE_BINS) else None
        text = f"{low:g}+" if high is None else f"{max(low, 1):g} – {high - 1:g}"
        items.append((_patch(colour), text))
    items = items[::-1]
    items.append(("", _t("suppressed_note", lang)))
    return _t("legend_care", lang), items


class _HeatMap(HeatMap, RawMacro):
    """folium's HeatMap with its data checked at once (folium checks every point in Python:
    a fifth of a second for the demo's homes), written as compact JSON."""

    _template = folium_template(HeatMap)

    def __init__(self, data: list, **kwargs) -> None:
        super().__init__([], **kwargs)
        arr = np.asarray(data, dtype=float).reshape(-1, 3)
        if not np.isfinite(arr).all():
            raise ValueError("heat map data may not contain NaNs or infinities")
        if (np.abs(arr[:, 0]) > 90).any() or (np.abs(arr[:, 1]) > 180).any():
            raise ValueError("heat map points must be latitude, longitude in degrees")
        self.data = data


def _heat_layer(
    m: folium.Map, points: gpd.GeoDataFrame, lang: Language, gcj: bool
) -> tuple[str, list[tuple[str, str]]]:
    geoms = _display(points.geometry, gcj=gcj)
    xy = shapely.get_coordinates(geoms)
    weights = (
        points["elderly"].to_numpy(dtype=float) if "elderly" in points else np.ones(len(points))
    )
    top = float(np.nanquantile(weights, 0.95)) if len(weights) else 1.0
    w = np.clip(np.nan_to_num(weights) / (top or 1.0), 0.05, 1.0)
    # 5 decimals: a metre, under a blur of 18 pixels
    data = [[round(y, 5), round(x, 5), round(float(v), 3)] for (x, y), v in zip(xy, w, strict=True)]
    gradient = {0.15: "#c6dbef", 0.4: "#6baed6", 0.7: "#2171b5", 1.0: "#08306b"}
    _HeatMap(
        data,
        name=_t("layer_uncovered", lang),
        radius=22,
        blur=18,
        min_opacity=0.25,
        gradient=gradient,
        show=False,
    ).add_to(m)
    ramp = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="14"><defs>'
        '<linearGradient id="sitingheat"><stop offset="0" stop-color="#c6dbef"/>'
        '<stop offset="0.5" stop-color="#4292c6"/><stop offset="1" stop-color="#08306b"/>'
        '</linearGradient></defs><rect x="1" y="1" width="20" height="12" '
        'fill="url(#sitingheat)"/></svg>'
    )
    return _t("layer_uncovered", lang), [(ramp, _t("heat_scale", lang, top=f"{top:,.0f}"))]


def _uncovered_circles(
    m: folium.Map, com: gpd.GeoDataFrame, table: pd.DataFrame, lang: Language, gcj: bool
) -> tuple[str, list[tuple[str, str]]]:
    pts = _display(com.geometry.representative_point(), gcj=gcj)
    xy = shapely.get_coordinates(pts)
    group = folium.FeatureGroup(name=_t("layer_uncovered_circles", lang), show=False)
    biggest = 1.0
    values = []
    for code in com["code"].astype(str):
        row = table.loc[code] if code in table.index else None
        v = 0.0
        if row is not None:
            v = max((_num(row["elderly"]) or 0.0) - (_num(row["covered_elderly"]) or 0.0), 0.0)
        values.append(v)
        biggest = max(biggest, v)
    for (x, y), v, name in zip(xy, values, com["name"], strict=True):
        if v < 1:
            continue
        circle = folium.CircleMarker(
            [y, x],
            radius=float(3 + 17 * np.sqrt(v / biggest)),
            color="#08306b",
            weight=1,
            fill=True,
            fill_color="#2171b5",
            fill_opacity=0.45,
        )
        _HtmlTooltip(html_text(f"{name}: {_t('uncovered_elderly', lang)} {v:,.0f}")).add_to(circle)
        circle.add_to(group)
    group.add_to(m)
    swatch = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="14"><circle cx="11" cy="7" '
        'r="5" fill="#2171b5" fill-opacity="0.45" stroke="#08306b"/></svg>'
    )
    return _t("layer_uncovered_circles", lang), [(swatch, _t("max_n", lang, n=f"{biggest:,.0f}"))]


def _isochrone_layers(
    m: folium.Map,
    catchments: Catchments,
    proposed: gpd.GeoDataFrame | None,
    lang: Language,
    gcj: bool,
    minutes: tuple[float, ...],
) -> tuple[str, list[tuple[str, str]]]:
    per_type_all = catchments.per_type
    per_type = per_type_all[per_type_all["type"].isin(SITEABLE_TYPES)]  # home care, as the coverage
    bands = [b for b in sorted(set(per_type["max_minutes"].astype(float))) if b in minutes]
    items = []
    with ThreadPoolExecutor(max(1, min(len(bands), 4))) as pool:  # GEOS without the GIL
        unions = list(
            pool.map(
                lambda b: _display_union(
                    per_type[per_type["max_minutes"].astype(float) == b].geometry.values,
                    per_type.crs,
                ),
                bands,
            )
        )
    for k, band in enumerate(bands):
        geoms = _display(unions[k], gcj=gcj, decimals=5)
        props = [{}]
        style = {
            "fillColor": _ISO_EXISTING,
            "color": _ISO_EXISTING,
            "weight": 0.6 if k == 0 else 1.0,
            "opacity": 0.6,
            "dashArray": "" if k == 0 else "5 4",
            "fillOpacity": 0.24 if k == 0 else 0.10,
        }
        _GeoJson(
            _feature_collection(geoms, props),
            name=_t("layer_iso_existing", lang, m=f"{band:g}") + _band_note(band, lang),
            show=k == 0,
            pane="siting-iso",
            style_function=lambda f, st=style: st,
        ).add_to(m)
        items.append(
            (
                _patch(
                    _ISO_EXISTING,
                    stroke=_ISO_EXISTING,
                    opacity=style["fillOpacity"] * 2,
                    dash=style["dashArray"],
                ),
                _t("minutes", lang, m=f"{band:g}") + _band_note(band, lang),
            )
        )
    if proposed is not None and len(proposed) and "site_id" in proposed:
        ids = set(proposed["site_id"].astype(str))
        ps = catchments.per_site
        candidates = set(ps.loc[ps["status"] != "existing", "site_id"].astype(str))
        ps = ps[ps["site_id"].astype(str).isin(ids)]
        # the isochrones of exactly the proposed sites were dissolved by the catchments already
        # (their "candidate" group, :func:`siting.catchments.facility_catchments`)
        dissolved = per_type_all[per_type_all["type"] == "candidate"] if ids == candidates else None
        for band in bands:
            sel = ps[ps["max_minutes"].astype(float) == band]
            if not len(sel):
                continue
            if dissolved is not None and (dissolved["max_minutes"].astype(float) == band).any():
                one = dissolved[dissolved["max_minutes"].astype(float) == band].geometry
                # its disjoint parts simplified one by one (the whole shape at once is slow)
                parts = shapely.get_parts(one.values)
                shape = gpd.GeoSeries(
                    [shapely.multipolygons(shapely.simplify(parts, 5.0, preserve_topology=True))],
                    crs=one.crs,
                )
            else:
                shape = _display_union(sel.geometry.values, ps.crs)
            geoms = _display(shape, gcj=gcj, decimals=5)
            props = [{}]
            _GeoJson(
                _feature_collection(geoms, props),
                name=_t("layer_iso_proposed", lang, m=f"{band:g}") + _band_note(band, lang),
                show=band == bands[0],
                pane="siting-iso",
                style_function=lambda f: {
                    "fillColor": _ISO_PROPOSED,
                    "color": _ISO_PROPOSED,
                    "weight": 1.0,
                    "opacity": 0.8,
                    "dashArray": "2 3",
                    "fillOpacity": 0.22,
                },
            ).add_to(m)
        items.append(
            (
                _patch(_ISO_PROPOSED, stroke=_ISO_PROPOSED, opacity=0.44, dash="2 3"),
                _t("proposed", lang),
            )
        )
    return _t("legend_isochrones", lang), items


def _display_union(polygons: np.ndarray, crs: Any, tolerance_m: float = 5.0) -> gpd.GeoSeries:
    """One shape of the union of ``polygons``, for display: each part simplified on its own
    (``tolerance_m``), then dissolved. Simplifying the parts first is 2–10× faster than the
    dissolved whole (fewer vertices to dissolve, and topology-preserving simplification of one
    large shape is slow) and differs from it by less than ``tolerance_m``."""
    parts = shapely.simplify(shapely.get_parts(polygons), tolerance_m, preserve_topology=True)
    parts = parts[~shapely.is_empty(parts)]
    # a part that meets no other part is its own piece of the union: only the others dissolve
    left, right = shapely.STRtree(parts).query(parts, predicate="intersects")
    alone = np.bincount(left[left != right], minlength=len(parts)) == 0
    merged = shapely.union_all(parts[~alone])
    if not shapely.is_valid(merged):
        merged = shapely.make_valid(merged)
    if alone.any():
        pieces = [
            *shapely.get_parts(merged)[~shapely.is_empty(shapely.get_parts(merged))],
            *parts[alone],
        ]
        merged = shapely.multipolygons(pieces)
    return gpd.GeoSeries([merged], crs=crs)


def _roads_layer(m: folium.Map, edges: gpd.GeoDataFrame, lang: Language, gcj: bool) -> None:
    group = folium.FeatureGroup(name=_t("layer_roads", lang), show=True)
    highway = (
        edges["highway"].astype(str) if "highway" in edges else pd.Series("", index=edges.index)
    )
    for cls in ("path", "local", "main"):  # main roads drawn last, on top
        classes, style = _ROAD_CLASSES[cls]
        sel = (
            edges[highway.isin(classes)]
            if cls != "local"
            else edges[~highway.isin(_ROAD_CLASSES["main"][0] + _ROAD_CLASSES["path"][0])]
        )
        if not len(sel):
            continue
        # the edges are noded already (one per street between junctions): chained into runs
        # through the junctions of two, each run simplified on its own (no dissolve: it took a
        # second on the demo and its output was no smaller)
        runs = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(sel.geometry.values)))
        runs = shapely.simplify(runs, 4.0, preserve_topology=False)
        geoms = _display(
            gpd.GeoSeries([shapely.multilinestrings(runs)], crs=edges.crs), gcj=gcj, decimals=5
        )
        _GeoJson(
            _feature_collection(geoms, [{}]),
            pane="siting-roads",
            interactive=False,
            style_function=lambda f, s=style: s,
            control=False,
        ).add_to(group)
    group.add_to(m)


def _label_point(polygon, obstacles: np.ndarray | shapely.STRtree | None, n: int = 24):
    """A point well inside ``polygon`` and away from the facility symbols (``obstacles``, or
    their tree), for its name."""
    w, s, e, n_ = polygon.bounds
    gx, gy = np.meshgrid(np.linspace(w, e, n + 2)[1:-1], np.linspace(s, n_, n + 2)[1:-1])
    grid = shapely.points(gx.ravel(), gy.ravel())
    grid = grid[shapely.contains(polygon, grid)]
    if not len(grid):
        return polygon.representative_point()
    score = shapely.distance(grid, polygon.boundary)
    if obstacles is not None and len(obstacles):
        tree = obstacles if isinstance(obstacles, shapely.STRtree) else shapely.STRtree(obstacles)
        (which, _), dist = tree.query_nearest(grid, return_distance=True, all_matches=False)
        near = np.full(len(grid), np.inf)
        near[which] = dist
        score = np.minimum(score, 1.5 * near)
    return grid[int(np.argmax(score))]


def _streets_layer(m: folium.Map, inputs: Inputs, lang: Language, gcj: bool) -> None:
    streets = inputs.streets
    group = folium.FeatureGroup(name=_t("layer_streets", lang), show=True)
    geoms = _display(streets.geometry, gcj=gcj, simplify_m=3.0, decimals=5)
    props = [{"name": str(nm)} for nm in streets["name"]]
    _GeoJson(
        _feature_collection(geoms, props),
        pane="siting-lines",
        interactive=False,
        style_function=lambda f: {
            "fill": False,
            "color": "#3d3d3d",
            "weight": 2.2,
            "dashArray": "8 4 2 4",
            "opacity": 0.9,
        },
        control=False,
    ).add_to(group)
    obstacles = (
        shapely.STRtree(inputs.facilities.geometry.values)
        if inputs.facilities is not None and len(inputs.facilities)
        else None
    )
    anchors = gpd.GeoSeries(
        [_label_point(g, obstacles) for g in streets.geometry.values], crs=streets.crs
    )
    pts = _display(anchors, gcj=gcj)
    for (x, y), nm in zip(shapely.get_coordinates(pts), streets["name"], strict=True):
        folium.Marker(
            [y, x],
            icon=folium.DivIcon(
                html=f'<span class="siting-street-label">{html_text(nm)}</span>',
                icon_size=(0, 0),
                class_name="siting-label",
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def _facility_popup(
    row: Mapping[str, Any], type_name: str, lang: Language, *, status: str
) -> PopupTable:
    rows = [
        (_t("type", lang), i18n_label(type_name, lang)),
        (_t("status", lang), _t(status, lang)),
    ]
    for col, key in (
        ("floor_area_m2", "floor_area_m2"),
        ("beds", "beds"),
        ("cost_wan_yuan", "cost_wan_yuan"),
        ("capital_cost_wan_yuan", "cost_wan_yuan"),
        ("year_opened", "year_opened"),
        ("year", "year_planned"),
        ("newly_covered_elderly", "newly_covered_elderly"),
    ):
        v = _num(row.get(col))
        if v is None or (col == "beds" and v == 0) or (col == "year" and v < 1000):
            continue  # no beds; "year" 0: the one-period model builds in no calendar year
        text = f"{v:g}" if key in ("year_opened", "year_planned") else f"{v:,.0f}"
        if key == "cost_wan_yuan":
            text = f"{v:,.1f}"
        rows.append((_t(key, lang), text))
    address = row.get("address")
    if isinstance(address, str) and address:
        rows.append((_t("address", lang), address))
    return _popup_table(str(row.get("name", "")), rows)


def _facility_layers(
    m: folium.Map,
    inputs: Inputs,
    proposed: gpd.GeoDataFrame | None,
    lang: Language,
    gcj: bool,
) -> tuple[str, list[tuple[str, str]]]:
    items: list[tuple[str, str]] = []
    fac = inputs.facilities
    if fac is not None and len(fac):
        xy = shapely.get_coordinates(_display(fac.geometry, gcj=gcj))
        records = fac.drop(columns="geometry").to_dict("records")
        for t in FACILITY_TYPES:
            idx = [i for i, r in enumerate(records) if r["type"] == t]
            if not idx:
                continue
            colour, shape = TYPE_STYLE[t]
            size = 18 if t.endswith("center") else 14
            group = folium.FeatureGroup(
                name=_t("layer_fac_existing", lang, type=i18n_label(t, lang), n=len(idx))
            )
            markers = _Markers()
            for i in idx:
                markers.add(
                    xy[i, 1],
                    xy[i, 0],
                    colour=colour,
                    shape=shape,
                    size=size,
                    classes=f"siting-fac-existing siting-type-{t}",
                    popup=_facility_popup(records[i], t, lang, status="existing"),
                    tooltip=str(records[i]["name"]),
                )
            markers.add_to(group)
            group.add_to(m)
            items.append((_symbol_svg(shape, colour, 14), i18n_label(t, lang)))
    if proposed is not None and len(proposed):
        xy = shapely.get_coordinates(_display(proposed.geometry, gcj=gcj))
        group = folium.FeatureGroup(name=_t("layer_fac_proposed", lang, n=len(proposed)))
        markers = _Markers()
        for i, row in enumerate(proposed.drop(columns="geometry").to_dict("records")):
            t = str(row.get("type", ""))
            colour = TYPE_STYLE.get(t, ("#000000", ""))[0]
            markers.add(
                xy[i, 1],
                xy[i, 0],
                colour=colour,
                shape="star",
                size=22,
                classes=f"siting-fac-proposed siting-type-{_css_token(t)}",
                popup=_facility_popup(row, t, lang, status="proposed"),
                tooltip=_proposed_tooltip(row, lang),
            )
        markers.add_to(group)
        group.add_to(m)
        items.append((_symbol_svg("star", "#ffffff", 16), _t("legend_proposed", lang)))
    health = inputs.health
    if health is not None and len(health):
        colour, shape = _HEALTH_STYLE
        xy = shapely.get_coordinates(_display(health.geometry, gcj=gcj))
        group = folium.FeatureGroup(name=_t("layer_health", lang, n=len(health)), show=False)
        markers = _Markers()
        for i, row in enumerate(health.drop(columns="geometry").to_dict("records")):
            markers.add(
                xy[i, 1],
                xy[i, 0],
                colour=colour,
                shape=shape,
                size=12,
                classes="siting-health",
                popup=_popup_table(
                    str(row["name"]), [(_t("type", lang), i18n_label(str(row["type"]), lang))]
                ),
                tooltip=str(row["name"]),
            )
        markers.add_to(group)
        group.add_to(m)
        items.append((_symbol_svg(shape, colour, 12), _t("health", lang)))
    return _t("legend_facilities", lang), items


def write_map(m: folium.Map, path: Path | str) -> Path:
    """Write the map as one self-contained HTML file, atomically; return its path.

    A map built with ``offline=True`` is checked: a ``<script src>`` or ``<link href>`` to a
    server raises an error and nothing is written.
    """
    path = Path(path)
    text = m.get_root().render()
    if getattr(m, "_siting_offline", False):
        found = external_references(text)
        if found:
            raise InputError(
                f"the offline map {path.name} would load files from the internet; nothing was written",
                [Problem(str(path), f"external reference {ref!r}") for ref in found[:5]],
            )
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.info("write_map wrote %s (%s KB)", path, f"{len(text.encode()) / 1024:,.0f}")
    return path


# ------------------------------------------------------------------------------------------
# the map of a plan (siting plan, siting compare)
# ------------------------------------------------------------------------------------------


def default_plan_map_path(out_dir: Path) -> Path:
    """``maps/<out_dir's name>.html`` in the working directory (as ``siting run`` names its map)."""
    return Path.cwd() / "maps" / f"{Path(out_dir).name}.html"


def coverage_tables(result: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-community coverage before the plan and at its end (a :class:`~siting.model.result.SitingResult`)."""
    c = result.communities
    before = pd.DataFrame(
        {
            "code": c["code"].astype(str),
            "elderly": c["elderly"],
            "covered_elderly": c["covered_before"],
            "coverage_pct": c["coverage_before_pct"],
        }
    )
    after = pd.DataFrame(
        {
            "code": c["code"].astype(str),
            "elderly": c["elderly_final"],
            "covered_elderly": c["covered_after"],
            "coverage_pct": c["coverage_after_pct"],
        }
    )
    return before, after


def proposed_layer(result: Any) -> gpd.GeoDataFrame | None:
    """The sites a plan builds, with their year, as a map layer (None without geometry)."""
    b = result.builds
    if not isinstance(b, gpd.GeoDataFrame) or len(b) == 0:
        return None
    return gpd.GeoDataFrame(
        {
            "site_id": b["site_id"].astype(str),
            "name": b["name"].astype(str),
            "type": b["type"].astype(str),
            "floor_area_m2": b["floor_area_m2"],
            "cost_wan_yuan": b["cost_wan_yuan"],
            "year": b["year"].astype(int),
            "newly_covered_elderly": b["newly_covered_elderly"],
        },
        geometry=b.geometry.to_numpy(),
        crs=b.crs,
    )


def plan_map(
    result: Any, *, lang: Language = "zh", basemap: str = "none", tianditu_key: str | None = None
):
    """The HTML map of a plan: coverage before and in the final year, the builds with their year,
    the Lorenz curves before the plan and in its final year."""
    problem = result.problem
    if problem.inputs is None:
        raise InputError(
            "a plan map needs the district's inputs (the plan was built from a cost matrix)"
        )
    before, after = coverage_tables(result)
    proposed = proposed_layer(result)
    years = result.years
    span = (
        "" if not years else (f"{years[0]}" if years[0] == years[-1] else f"{years[0]}–{years[-1]}")
    )
    title = f"{result.name} · {span}" if span else result.name
    from siting.equity import result_lorenz_png

    return coverage_map(
        problem.inputs,
        coverage=before,
        coverage_after=after,
        proposed=proposed if proposed is not None and len(proposed) else None,
        lorenz=result_lorenz_png(result, lang=lang),
        lang=lang,
        basemap=basemap,  # type: ignore[arg-type]
        tianditu_key=tianditu_key,
        title=title,
    )
