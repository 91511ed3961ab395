"""The what-if layer of the map of a siting (issue 19): every existing facility, proposed site and
candidate as a site to click, a panel with the figures, and the choropleth of the plan's coverage
recoloured as the planner opens and closes sites, all in the page with no server.

The data is :func:`siting.whatif.whatif_data` (names HTML-escaped, as every name in the page),
JSON compressed with zlib and base64-coded; the page decodes it with the browser's own
``DecompressionStream`` and computes the figures with ``siting/assets/whatif.js``, the same sums
as :func:`siting.whatif.evaluate_state`. "保存调整" saves the changes as the CSV that ``siting
evaluate SCENARIO EDITS`` reads.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import folium

from siting.i18n import Language
from siting.i18n import label as i18n_label
from siting.map_controls import script_element, style_element
from siting.map_template import RawMacro, Template

__all__ = ["WHATIF_JS", "WhatIf", "add_whatif", "pack"]

WHATIF_JS = Path(__file__).parent / "assets" / "whatif.js"

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("方案推演（点击点位开关，即时重算）", "What if (click a site to open or close it)"),
    "coverage": ("覆盖率", "coverage"),
    "newly": ("较现状新增覆盖老年人", "older people newly covered"),
    "spent": ("支出合计（万元）", "spent (万元)"),
    "reset": ("重置为优化方案", "reset to the optimized plan"),
    "save": ("保存调整（CSV）", "save the edits (CSV)"),
    "opened": ("开放", "opened"),
    "closed": ("关闭", "closed"),
    "close": ("关闭此点", "close this site"),
    "open_as": ("开放为", "open as "),
    "open_now": ("当前：", "now: "),
    "closed_now": ("当前未开放", "now closed"),
    "status_existing": ("现有设施", "existing facility"),
    "status_proposed": ("优化方案新增", "proposed by the plan"),
    "status_candidate": ("候选点", "candidate"),
}

_CSS = """
  .siting-whatif { position: absolute; top: 60px; left: 50%; transform: translateX(-50%);
    z-index: 1000; background: rgba(255,255,255,0.96); padding: 6px 10px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; min-width: 260px; max-width: 340px; }
  .siting-whatif-head { font-weight: 700; margin-bottom: 4px; }
  .siting-whatif-figures div { display: flex; justify-content: space-between; gap: 12px; }
  .siting-whatif-figures .v { font-variant-numeric: tabular-nums; font-weight: 600; }
  .siting-whatif-edits { margin: 4px 0; padding-left: 18px; max-height: 120px; overflow-y: auto; }
  .siting-whatif-buttons button { margin-right: 6px; font-size: 12px; }
  @media print { .siting-whatif-buttons { display: none; } }
"""


def pack(data: dict[str, Any]) -> str:
    """The data as base64 of zlib-compressed JSON (what the page decodes)."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return base64.b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")


class WhatIf(RawMacro):
    """The what-if on the parent map (see the module notes)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var bins = {{ this.bins|tojson }};
            window.sitingWhatIfReady = sitingWhatIf({
                map: {{ this._parent.get_name() }},
                data: {{ this.packed|tojson }},
                words: {{ this.words|tojson }},
                typeNames: {{ this.type_names|tojson }},
                typeColours: {{ this.type_colours|tojson }},
                lineNames: {{ this.line_names|tojson }},
                ruleNames: {{ this.rule_names|tojson }},
                fileName: {{ this.file_name|tojson }},
                communityLayer: {{ this.community_layer.get_name() if this.community_layer else "null" }},
                beforeLayer: {{ this.before_layer.get_name() if this.before_layer else "null" }},
                colour: function (p) {
                    if (p === null || p === undefined || isNaN(p)) return {{ this.no_data|tojson }};
                    var c = bins[0][1];
                    for (var i = 0; i < bins.length; i++) if (p >= bins[i][0]) c = bins[i][1];
                    return c;
                }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        lang: Language = "zh",
        community_layer: folium.GeoJson | None = None,
        before_layer: folium.GeoJson | None = None,
        file_name: str = "edits.csv",
    ) -> None:
        super().__init__()
        from siting.costs import LINES
        from siting.maps import COVERAGE_BINS, NO_DATA_COLOUR, TYPE_STYLE

        self._name = "WhatIf"
        self.packed = pack(data)
        self.words = {k: (zh if lang == "zh" else en) for k, (zh, en) in _WORDS.items()}
        self.type_names = {t: i18n_label(t, lang) for t in TYPE_STYLE}
        self.type_colours = {t: c for t, (c, _shape) in TYPE_STYLE.items()}
        self.line_names = {ln: i18n_label(f"line_{ln}", lang) for ln in LINES}
        rules = dict.fromkeys(u["rule"] for u in data["units"])
        self.rule_names = {r: i18n_label(f"rule_{r}", lang) for r in rules}
        self.bins = [list(b) for b in COVERAGE_BINS]
        self.no_data = NO_DATA_COLOUR
        self.community_layer = community_layer
        self.before_layer = before_layer
        self.file_name = file_name

    def render(self, **kwargs: Any) -> None:
        header = self.get_root().header
        if "siting_whatif_js" not in header._children:
            header.add_child(style_element(_CSS, "siting-whatif"), name="siting_whatif_css")
            header.add_child(
                script_element(WHATIF_JS.read_text(encoding="utf-8"), "siting-whatif"),
                name="siting_whatif_js",
            )
        super().render(**kwargs)


def add_whatif(
    m: folium.Map, result: Any, *, lang: Language = "zh", stem: str = "edits"
) -> WhatIf | None:
    """Add the what-if of a one-period siting ``result`` to ``m`` (None for a multi-year plan).

    The choropleth it recolours is the map's "coverage with the plan" layer, switched on (and
    today's off) at the first edit.
    """
    from siting.maps import _t, html_text
    from siting.whatif import whatif_data

    if result.settings.years:
        return None
    data = whatif_data(result)
    data["options"]["name"] = [html_text(n) for n in data["options"]["name"]]
    data["communities"]["name"] = [html_text(n) for n in data["communities"]["name"]]

    def layer(key: str) -> folium.GeoJson | None:
        name = _t(key, lang)
        return next(
            (
                el
                for el in m._children.values()
                if isinstance(el, folium.GeoJson) and getattr(el, "layer_name", None) == name
            ),
            None,
        )

    whatif = WhatIf(
        data,
        lang=lang,
        community_layer=layer("layer_cov_after"),
        before_layer=layer("layer_cov_before"),
        file_name=f"{stem}_edits.csv",
    )
    whatif.add_to(m)
    return whatif
