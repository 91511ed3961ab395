"""QGIS styles for the tool's GeoPackages, so that QGIS opens every layer styled as in the map.

QGIS reads a GeoPackage's ``layer_styles`` table and applies the style marked ``useAsDefault``
when a layer is added. :func:`layer_style` gives the QML (QGIS's style XML) of one layer from its
name and columns, with the HTML map's classes and colours (:mod:`siting.maps`):

- 社区/村 and 区县: the coverage choropleth (after the plan where the layer has it), the map's
  bins (``COVERAGE_BINS``);
- facilities: one symbol per facility type, the map's colour and shape (``TYPE_STYLE``), labelled
  in Chinese;
- isochrones: one band per ``max_minutes``, the map's blue, the first band stronger;
- 街道/镇 and anything else: outlines (polygons), thin lines, small grey points.

:func:`write_styles` stores them in ``layer_styles``, created as QGIS creates it (not listed in
``gpkg_contents``, so GDAL and the tool's readers see the same layers as before). The QML is plain
text built here: no QGIS is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

__all__ = ["layer_style", "write_styles"]

_SHAPES = {
    "square": "square",
    "circle": "circle",
    "triangle": "triangle",
    "diamond": "diamond",
    "house": "pentagon",
    "cross": "cross",
}


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(**values: str) -> str:
    items = "".join(
        f'<Option type="QString" name="{k}" value={quoteattr(str(v))}/>' for k, v in values.items()
    )
    return f'<Option type="Map">{items}</Option>'


def _fill(
    name: str, colour: str, alpha: int, outline: str, width: float, dash: bool = False
) -> str:
    opts = _options(
        color=_rgba(colour, alpha),
        outline_color=_rgba(outline),
        outline_width=f"{width:g}",
        outline_width_unit="MM",
        outline_style="dash" if dash else "solid",
        style="solid" if alpha else "no",
    )
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{opts}</layer></symbol>'
    )


def _marker(name: str, colour: str, shape: str, size: float = 3.0) -> str:
    opts = _options(
        color=_rgba(colour),
        name=shape,
        size=f"{size:g}",
        size_unit="MM",
        outline_color="255,255,255,255",
        outline_width="0.3",
    )
    return (
        f'<symbol type="marker" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleMarker" enabled="1" locked="0" pass="0">{opts}</layer></symbol>'
    )


def _line(name: str, colour: str, width: float) -> str:
    opts = _options(line_color=_rgba(colour), line_width=f"{width:g}", line_width_unit="MM")
    return (
        f'<symbol type="line" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleLine" enabled="1" locked="0" pass="0">{opts}</layer></symbol>'
    )


def _qml(renderer: str) -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.28.0" styleCategories="Symbology">{renderer}</qgis>\n'
    )


def _single(symbol: str) -> str:
    return _qml(
        '<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0">'
        f"<symbols>{symbol}</symbols></renderer-v2>"
    )


def layer_style(name: str, geometry: str, columns: Iterable[str]) -> tuple[str, str]:
    """(QML, description) of the layer ``name`` of ``geometry`` type with ``columns``."""
    from siting.i18n import label
    from siting.maps import _ISO_EXISTING, COVERAGE_BINS, TYPE_STYLE

    cols = set(columns)
    geometry = geometry.upper()
    polygon = "POLYGON" in geometry
    point = "POINT" in geometry
    field = next((c for c in ("coverage_after_pct", "coverage_pct") if c in cols), None)
    if polygon and field is not None and name != "streets":
        ranges, symbols = [], []
        for i, (low, colour) in enumerate(COVERAGE_BINS):
            high = COVERAGE_BINS[i + 1][0] if i + 1 < len(COVERAGE_BINS) else 100.0
            text = f"{low:g}–{high:g}%" if i + 1 < len(COVERAGE_BINS) else f"≥ {low:g}%"
            ranges.append(
                f'<range lower="{low:g}" upper="{high:g}" symbol="{i}" '
                f'label={quoteattr(text)} render="true"/>'
            )
            symbols.append(_fill(str(i), colour, 200, "#ffffff", 0.26))
        renderer = (
            f'<renderer-v2 type="graduatedSymbol" attr="{field}" graduatedMethod="GraduatedColor" '
            'symbollevels="0" forceraster="0" enableorderby="0">'
            f"<ranges>{''.join(ranges)}</ranges><symbols>{''.join(symbols)}</symbols>"
            "</renderer-v2>"
        )
        return _qml(renderer), f"覆盖率分级（{field}，与地图相同）"
    if point and "type" in cols:
        cats, symbols = [], []
        for i, (t, (colour, shape)) in enumerate(TYPE_STYLE.items()):
            cats.append(
                f'<category value="{t}" symbol="{i}" label={quoteattr(label(t, "zh"))} '
                'render="true"/>'
            )
            symbols.append(_marker(str(i), colour, _SHAPES.get(shape, "circle")))
        renderer = (
            '<renderer-v2 type="categorizedSymbol" attr="type" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><categories>{"".join(cats)}</categories>'
            f"<symbols>{''.join(symbols)}</symbols></renderer-v2>"
        )
        return _qml(renderer), "按设施类型（与地图相同的颜色与形状）"
    if polygon and "max_minutes" in cols:
        cats, symbols = [], []
        for i, minutes in enumerate((5, 10, 15, 25, 30)):
            cats.append(
                f'<category value="{minutes}" symbol="{i}" label="{minutes} 分钟" render="true"/>'
            )
            alpha = 70 if minutes <= 15 else 30
            symbols.append(_fill(str(i), _ISO_EXISTING, alpha, _ISO_EXISTING, 0.3, minutes > 15))
        renderer = (
            '<renderer-v2 type="categorizedSymbol" attr="max_minutes" symbollevels="0" '
            f'forceraster="0" enableorderby="0"><categories>{"".join(cats)}</categories>'
            f"<symbols>{''.join(symbols)}</symbols></renderer-v2>"
        )
        return _qml(renderer), "步行等时圈（按时间）"
    if polygon:
        return _single(_fill("0", "#ffffff", 0, "#3c3c3c", 0.5)), "边界"
    if point:
        return _single(_marker("0", "#636363", "circle", 1.6)), "点"
    return _single(_line("0", "#8c8c8c", 0.3)), "线"


def write_styles(db, layers: Iterable[str], date: str) -> None:
    """Store a default QGIS style for each of ``layers`` in ``db`` (a GeoPackage's sqlite)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
        "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
        "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
        "update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"
    )
    for layer in layers:
        row = db.execute(
            "SELECT column_name, geometry_type_name FROM gpkg_geometry_columns "
            "WHERE table_name = ?",
            (layer,),
        ).fetchone()
        if row is None:
            continue
        geom_col, geom_type = row
        columns = [r[1] for r in db.execute(f'PRAGMA table_info("{layer}")')]
        qml, description = layer_style(layer, geom_type, columns)
        db.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'siting', '', ?)",
            (layer, geom_col, layer, qml, description, date),
        )
