"""The map's tools: fullscreen, measuring, search by 社区/村, minimap, print and PNG export,
the basemap opacity, and the side-by-side view of two plans.

Every script and style comes from the npm packages copied into ``siting/assets/leaflet-plugins``
(``scripts/vendor_leaflet_plugins.py``, checked against ``MANIFEST.json``) and is inlined in the
page, with the images its styles use as ``data:`` URIs: the maps keep working on an offline
intranet. Names travel as JSON strings and are put in the page as text, never as HTML.

- fullscreen: ``leaflet.fullscreen`` (the whole page goes fullscreen, so the title and the legend
  stay on screen);
- measuring distances and areas: ``leaflet-measure`` (its Chinese or English build);
- search by 社区/村 name or code: ``leaflet-search`` over an index of every community (name,
  街道/镇, code, bounds); choosing one zooms to it;
- minimap: ``leaflet-minimap`` with the 街道/镇 outlines (no tiles, so it works offline);
- PNG export: ``leaflet-simple-map-screenshoter`` (the map with its title and legend, without
  the buttons);
- print: a button and a print stylesheet (A4 landscape, controls hidden, colours kept);
- opacity: a slider for the filled layers, so a basemap shows through;
- side by side (the compare map): ``leaflet-side-by-side`` between the sites of two plans.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import folium
from branca.element import Element

from siting.i18n import Language
from siting.map_template import Raw, RawMacro, Template

__all__ = [
    "ASSETS",
    "MapTools",
    "SideBySide",
    "manifest",
    "plugin_text",
    "script_element",
    "style_element",
]

#: Where the vendored plugins live (package data).
ASSETS = Path(__file__).parent / "assets" / "leaflet-plugins"

_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}

_TEXT: dict[str, tuple[str, str]] = {
    "fullscreen": ("全屏", "Full screen"),
    "fullscreen_exit": ("退出全屏", "Exit full screen"),
    "search": ("查找社区/村（名称或代码）", "Find a 社区/村 (name or code)"),
    "search_none": ("没有找到", "Not found"),
    "search_cancel": ("取消", "Cancel"),
    "minimap_hide": ("隐藏鹰眼图", "Hide the overview map"),
    "minimap_show": ("显示鹰眼图", "Show the overview map"),
    "print": ("打印地图（A4 横向）", "Print the map (A4 landscape)"),
    "png": ("导出 PNG 图片", "Save as PNG"),
    "opacity": ("图层不透明度", "Layer opacity"),
    "left": ("左", "left"),
    "right": ("右", "right"),
}


def _text(key: str, lang: Language) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


@cache
def manifest() -> dict[str, dict[str, Any]]:
    """The vendored packages: version, licence, tarball integrity and each file's SHA-256."""
    return json.loads((ASSETS / "MANIFEST.json").read_text(encoding="utf-8"))


def plugin_text(package: str, name: str) -> str:
    """The text of one vendored file; a CSS file with its images inlined as ``data:`` URIs
    (references to files that were not vendored, such as a remote search's spinner, become
    ``none``)."""
    entry = manifest().get(package)
    if entry is None or name not in entry["files"]:
        raise KeyError(f"{package}/{name} is not in {ASSETS / 'MANIFEST.json'}")
    path = ASSETS / package / name
    text = path.read_text(encoding="utf-8")
    if not name.endswith(".css"):
        return text

    def data_uri(match: re.Match) -> str:
        ref = match.group(2)
        target = (path.parent / ref).resolve()
        rel = target.relative_to((ASSETS / package).resolve()).as_posix()
        if rel not in entry["files"]:
            return "none"
        b64 = base64.b64encode(target.read_bytes()).decode()
        return f"url(data:{_MIME[target.suffix]};base64,{b64})"

    def svg_base64(match: re.Match) -> str:  # plain-text SVG URIs (they hold "http://" text)
        svg = urllib.parse.unquote(match.group(2)).encode()
        return f"url(data:image/svg+xml;base64,{base64.b64encode(svg).decode()})"

    text = re.sub(r"""url\((["'])data:image/svg\+xml,(.*?)\1\)""", svg_base64, text)
    return re.sub(r"""url\((["']?)(?!data:)([^"')]+)\1\)""", data_uri, text)


def script_element(text: str, name: str) -> Element:
    """A ``<script>`` with ``text`` inlined as it is (``</script`` escaped)."""
    text = text.replace("</script", "<\\/script")
    return Raw(f'<script data-asset="{name}">\n{text}\n</script>')


def style_element(text: str, name: str) -> Element:
    """A ``<style>`` with ``text`` inlined as it is (``</style`` escaped)."""
    text = text.replace("</style", "<\\/style")
    return Raw(f'<style data-asset="{name}">\n{text}\n</style>')


#: The side-by-side control was written for browserify: Leaflet comes in as ``L``, its styles
#: are inlined on their own, and nothing is exported.
def _side_by_side_js() -> str:
    source = plugin_text("leaflet-side-by-side", "index.js")
    for line in (
        "var L = require('leaflet')",
        "require('./layout.css')",
        "require('./range.css')",
        "module.exports = L.Control.SideBySide",
    ):
        if line not in source:
            raise RuntimeError(f"leaflet-side-by-side changed: {line!r} not found")
        source = source.replace(line, "")
    return f"(function (L) {{\n{source}\n}})(window.L);"


@cache
def _default_icon() -> dict[str, str]:
    """Leaflet's default marker images as ``data:`` URIs (Leaflet would fetch them by path)."""
    from siting.maps import _leaflet_dir

    folder = _leaflet_dir() / "images"
    uri = {
        name: "data:image/png;base64,"
        + base64.b64encode((folder / f"{name}.png").read_bytes()).decode()
        for name in ("marker-icon", "marker-icon-2x", "marker-shadow")
    }
    return {
        "iconUrl": uri["marker-icon"],
        "iconRetinaUrl": uri["marker-icon-2x"],
        "shadowUrl": uri["marker-shadow"],
    }


_PRINT_ICON = (
    '<svg viewBox="0 0 24 24" width="18" height="18" style="vertical-align:middle">'
    '<path fill="#333" d="M7 3h10v4H7zM5 8h14a2 2 0 0 1 2 2v6h-4v4H7v-4H3v-6a2 2 0 0 1 2-2zm'
    '4 7v3h6v-3zm8-4.5a1 1 0 1 0 0 2 1 1 0 0 0 0-2z"/></svg>'
)

_PRINT_CSS = """
  .leaflet-top.leaflet-left { display: flex; align-items: flex-start; }
  .siting-tool a { font-size: 16px; line-height: 30px; text-align: center; color: #333;
    text-decoration: none; display: block; width: 30px; height: 30px; }
  .siting-sbs-toggle a { width: auto; padding: 0 7px; white-space: nowrap; font-size: 13px; }
  .siting-opacity { background: rgba(255,255,255,0.94); padding: 4px 8px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; }
  .siting-opacity input { width: 120px; vertical-align: middle; }
  .leaflet-control-minimap { margin-bottom: 44px !important; }
  .leaflet-control-search .search-tooltip li { white-space: nowrap; }
  @page { size: A4 landscape; margin: 8mm; }
  @media print {
    html, body { width: 100%; height: 100%; margin: 0; }
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .leaflet-control-container .leaflet-top, .leaflet-control-minimap, .siting-opacity,
    .leaflet-control-search, .leaflet-sbs-range { display: none !important; }
    .siting-legend { max-height: none; overflow: visible; }
  }
"""


class MapTools(RawMacro):
    """Every tool of :mod:`siting.map_controls` on the parent map.

    Parameters
    ----------
    communities
        The search index: one ``[label, south, west, north, east]`` per 社区/村, the label
        HTML-escaped (:func:`siting.maps.html_text`, as every name in the page), e.g.
        ``"龙泉社区 · 太平镇 · 500151001001"``; the page decodes it in an inert document and shows it
        as text.
    outline
        The 街道/镇 outlines for the minimap, as GeoJSON (display coordinates).
    lang
        ``'zh'`` or ``'en'``.
    file_stem
        The PNG's file name (without ``.png``).
    panes
        The panes the opacity slider dims (the filled layers).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var text = {{ this.text|tojson }};
            var container = map.getContainer();
            // Leaflet's default marker (the measure tool's click catcher) from inlined images
            L.Icon.Default.imagePath = "";
            L.Icon.Default.mergeOptions({{ this.default_icon|tojson }});
            // title, legend and panels inside the map: fullscreen and PNG export keep them
            document.querySelectorAll("#siting-title, .siting-legend, .siting-lorenz")
                .forEach(function (el) {
                    container.appendChild(el);
                    L.DomEvent.disableClickPropagation(el);
                    L.DomEvent.disableScrollPropagation(el);
                });
            new L.Control.FullScreen({position: "topleft", title: text.fullscreen,
                titleCancel: text.fullscreen_exit,
                fullscreenElement: document.documentElement}).addTo(map);
            map.sitingMeasure = L.control.measure({position: "topleft", primaryLengthUnit: "meters",
                secondaryLengthUnit: "kilometers", primaryAreaUnit: "sqmeters",
                secondaryAreaUnit: "hectares", activeColor: "#d7301f",
                completedColor: "#b30000"}).addTo(map);

            var index = {{ this.communities|tojson }};
            var bounds = {};
            var inert = new DOMParser();  // labels travel HTML-escaped; decoded to plain text
            for (var i = 0; i < index.length; i++) {
                var label = inert.parseFromString(index[i][0], "text/html").documentElement.textContent;
                bounds[label] = L.latLngBounds([index[i][1], index[i][2]],
                                                     [index[i][3], index[i][4]]);
            }
            map.sitingSearch = new L.Control.Search({
                position: "topleft", initial: false, marker: false, zoom: 16,
                textPlaceholder: text.search, textErr: text.search_none,
                textCancel: text.search_cancel, autoCollapse: true, tipAutoSubmit: true,
                sourceData: function (typed, callResponse) {
                    var records = {};
                    for (var k in bounds) { records[k] = bounds[k].getCenter(); }
                    callResponse(records);
                    return {abort: function () {}};
                },
                formatData: function (records) { return records; },
                buildTip: function (label) {
                    var a = document.createElement("a");
                    a.href = "#";
                    a.textContent = label;  // names as text, never HTML
                    return a;
                },
                moveToLocation: function (latlng, title, m) {
                    m.fitBounds(bounds[title], {maxZoom: 16});
                }
            }).addTo(map);

            var Button = L.Control.extend({
                onAdd: function () {
                    var div = L.DomUtil.create("div", "leaflet-bar siting-tool");
                    var a = L.DomUtil.create("a", "", div);
                    a.href = "#"; a.title = this.options.title;
                    a.innerHTML = this.options.icon;  // a constant SVG of this module
                    a.setAttribute("role", "button");
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.on(a, "click", L.DomEvent.preventDefault);
                    L.DomEvent.on(a, "click", this.options.action);
                    return div;
                }
            });
            map.sitingPrint = new Button({position: "topleft", title: text.print,
                icon: {{ this.print_icon|tojson }}, action: function () { window.print(); }}).addTo(map);
            map.sitingScreenshot = L.simpleMapScreenshoter({position: "topleft",
                screenName: {{ this.file_stem|tojson }}, mimeType: "image/png",
                hideElementsWithSelectors: [".leaflet-control-container",
                                            ".leaflet-sbs-range"]}).addTo(map);
            var shot = map.sitingScreenshot.getContainer && map.sitingScreenshot.getContainer();
            if (shot) { shot.title = text.png; shot.querySelectorAll("a").forEach(
                function (a) { a.title = text.png; }); }

            var Opacity = L.Control.extend({
                onAdd: function () {
                    var div = L.DomUtil.create("div", "siting-opacity");
                    var label = L.DomUtil.create("label", "", div);
                    label.textContent = text.opacity + " ";
                    var range = L.DomUtil.create("input", "", label);
                    range.type = "range"; range.min = "10"; range.max = "100"; range.value = "100";
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.on(range, "input", function () {
                        {{ this.panes|tojson }}.forEach(function (p) {
                            var pane = map.getPane(p);
                            if (pane) { pane.style.opacity = range.value / 100; }
                        });
                    });
                    return div;
                }
            });
            map.sitingOpacity = new Opacity({position: "topright"}).addTo(map);

            var outline = L.geoJSON({{ this.outline|tojson }}, {interactive: false,
                style: {color: "#3d3d3d", weight: 1, fillColor: "#9ecae1", fillOpacity: 0.4}});
            map.sitingMiniMap = new L.Control.MiniMap(outline, {position: "bottomright",
                toggleDisplay: true, zoomLevelOffset: -3, width: 160, height: 160,
                strings: {hideText: text.minimap_hide, showText: text.minimap_show},
                mapOptions: {attributionControl: false}}).addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        communities: Sequence[Sequence[Any]],
        outline: Mapping[str, Any],
        *,
        lang: Language = "zh",
        file_stem: str = "map",
        panes: Sequence[str] = ("siting-fill", "siting-care", "siting-iso"),
    ) -> None:
        super().__init__()
        self._name = "MapTools"
        self.communities = [list(row) for row in communities]
        self.outline = dict(outline)
        self.lang = lang
        self.text = {k: _text(k, lang) for k in _TEXT}
        self.file_stem = str(file_stem)
        self.panes = list(panes)
        self.print_icon = _PRINT_ICON
        self.default_icon = _default_icon()

    def render(self, **kwargs: Any) -> None:
        header = self.get_root().header
        if "siting_tools_css" not in header._children:
            measure = (
                "dist/leaflet-measure.cn.js" if self.lang == "zh" else "dist/leaflet-measure.en.js"
            )
            styles = [
                ("leaflet.fullscreen", "dist/Control.FullScreen.css"),
                ("leaflet-measure", "dist/leaflet-measure.css"),
                ("leaflet-search", "dist/leaflet-search.src.css"),
                ("leaflet-minimap", "dist/Control.MiniMap.min.css"),
            ]
            scripts = [
                ("leaflet.fullscreen", "dist/Control.FullScreen.umd.js"),
                ("leaflet-measure", measure),
                ("leaflet-search", "dist/leaflet-search.min.js"),
                ("leaflet-minimap", "dist/Control.MiniMap.min.js"),
                ("leaflet-simple-map-screenshoter", "dist/leaflet-simple-map-screenshoter.js"),
            ]
            css = "\n".join(plugin_text(p, n) for p, n in styles) + _PRINT_CSS
            header.add_child(style_element(css, "leaflet-plugins"), name="siting_tools_css")
            for i, (package, name) in enumerate(scripts):
                header.add_child(
                    script_element(plugin_text(package, name), package), name=f"siting_tools_js{i}"
                )
        super().render(**kwargs)


class SideBySide(RawMacro):
    """A button that puts two plans side by side: plan A to the left of a divider dragged across
    the map, plan B to its right (``leaflet-side-by-side``), for the compare map.

    ``left_name`` and ``right_name`` are HTML-escaped already (as every name in the page).
    Each plan's layers are drawn in panes of their own (``left_panes``, ``right_panes``, made
    with :class:`folium.map.CustomPane`); the divider clips those panes. Switching the view on
    shows the layers ``left_layers`` and ``right_layers``;
    switching it off removes the divider and the clipping. The layers are folium elements (their
    names are read when the page renders).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var text = {{ this.text|tojson }};
            // a layer standing for several panes: the control clips "its container"
            var PaneSet = L.Layer.extend({
                initialize: function (panes) { this._panes = panes; },
                onAdd: function () {}, onRemove: function () {},
                getContainer: function () {
                    var panes = this._panes;
                    return {style: {
                        get clip() { return map.getPane(panes[0]).style.clip; },
                        set clip(v) { panes.forEach(function (n) { map.getPane(n).style.clip = v; }); }
                    }};
                }
            });
            var left = new PaneSet({{ this.left_panes|tojson }});
            var right = new PaneSet({{ this.right_panes|tojson }});
            var layers = [{% for l in this.left_layers + this.right_layers %}{{ l.get_name() }}{{ ", " if not loop.last }}{% endfor %}];
            var control = null;
            var Toggle = L.Control.extend({
                onAdd: function () {
                    var div = L.DomUtil.create("div", "leaflet-bar siting-tool siting-sbs-toggle");
                    var a = L.DomUtil.create("a", "", div);
                    a.href = "#"; a.textContent = text.label;
                    // plan names travel HTML-escaped; decoded in an inert document, set as text
                    a.title = new DOMParser().parseFromString(text.title, "text/html")
                        .documentElement.textContent;
                    a.setAttribute("role", "button");
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.on(a, "click", L.DomEvent.preventDefault);
                    L.DomEvent.on(a, "click", function () { map.sitingSideBySideToggle(); });
                    return div;
                }
            });
            map.sitingSideBySideToggle = function () {
                if (control) {  // the divider first: it unclips the panes while they are on
                    control.remove(); control = null;
                    left.remove(); right.remove();
                    L.DomUtil.removeClass(map.getContainer(), "siting-sbs-on");
                } else {
                    layers.forEach(function (l) { l.addTo(map); });
                    left.addTo(map); right.addTo(map);
                    control = L.control.sideBySide(left, right).addTo(map);
                    L.DomUtil.addClass(map.getContainer(), "siting-sbs-on");
                }
                map.sitingSideBySide = control;
                return !!control;
            };
            new Toggle({position: "topleft"}).addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        left_panes: Sequence[str],
        right_panes: Sequence[str],
        left_layers: Sequence[Element],
        right_layers: Sequence[Element],
        *,
        left_name: str,
        right_name: str,
        lang: Language = "zh",
    ) -> None:
        super().__init__()
        self._name = "SideBySide"
        self.left_panes = list(left_panes)
        self.right_panes = list(right_panes)
        self.left_layers = list(left_layers)
        self.right_layers = list(right_layers)
        zh = lang == "zh"
        self.text = {
            "label": "对比" if zh else "A | B",
            "title": (
                f"左右对比：{left_name}（左）| {right_name}（右）"
                if zh
                else f"Side by side: {left_name} (left) | {right_name} (right)"
            ),
        }

    def render(self, **kwargs: Any) -> None:
        header = self.get_root().header
        if "siting_sbs_css" not in header._children:
            css = plugin_text("leaflet-side-by-side", "layout.css") + plugin_text(
                "leaflet-side-by-side", "range.css"
            )
            header.add_child(style_element(css, "leaflet-side-by-side"), name="siting_sbs_css")
            header.add_child(
                script_element(_side_by_side_js(), "leaflet-side-by-side"), name="siting_sbs_js"
            )
        super().render(**kwargs)


def add_tools(
    m: folium.Map,
    communities: Sequence[Sequence[Any]],
    outline: Mapping[str, Any],
    *,
    lang: Language,
    file_stem: str,
) -> MapTools:
    """Add :class:`MapTools` to ``m`` and return it."""
    tools = MapTools(communities, outline, lang=lang, file_stem=file_stem)
    tools.add_to(m)
    return tools
