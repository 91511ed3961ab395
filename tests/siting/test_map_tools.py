"""The map's tools (siting.map_controls), used as a planner would in headless Chromium with no
network: search a 社区/村 by name and by code, measure a distance, fullscreen, PNG export, print,
layer opacity, minimap, basemap switch; and the vendored plugins checked against their manifest."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import struct

import pytest
from pyproj import Geod

from siting import map_controls
from siting.maps import coverage_map, write_map
from tests.siting import browser
from tests.siting.test_maps import DATE, SMALL, build, needs_chromium

MAP_JS = "(Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map))"
SLEEP_JS = "const sleep = ms => new Promise(r => setTimeout(r, ms));"

#: A 社区 renamed so that its name would run as HTML if the search list used innerHTML.
HOSTILE = '<img src=x onerror="window.__pwned=1">龙门社区'


def test_vendored_plugins_match_their_manifest():
    manifest = map_controls.manifest()
    assert set(manifest) == {
        "leaflet.fullscreen",
        "leaflet-minimap",
        "leaflet-measure",
        "leaflet-search",
        "leaflet-side-by-side",
        "leaflet-simple-map-screenshoter",
    }
    for package, entry in manifest.items():
        assert entry["integrity"].startswith("sha512-") and entry["license"]
        for name, digest in entry["files"].items():
            data = (map_controls.ASSETS / package / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{package}/{name} changed"
        licence = [n for n in entry["files"] if n.upper().startswith("LICENSE")]
        assert licence or package == "leaflet-search"  # its licence is in the script's header
    header = (map_controls.ASSETS / "leaflet-search" / "dist/leaflet-search.min.js").read_text()
    assert "Licensed under the MIT license" in header


def test_inlined_styles_carry_their_images():
    css = map_controls.plugin_text("leaflet-measure", "dist/leaflet-measure.css")
    urls = re.findall(r"url\(([^)]*)\)", css)
    assert len(urls) == 12 and all(u.startswith("data:image/png;base64,") for u in urls)
    # plain-text SVG URIs become base64 (their text holds "http://", which no filter should see)
    css = map_controls.plugin_text("leaflet.fullscreen", "dist/Control.FullScreen.css")
    assert "http://" not in css and css.count("data:image/svg+xml;base64,") == 2
    # the remote search's spinner was not vendored: no reference to a missing file is left
    css = map_controls.plugin_text("leaflet-search", "dist/leaflet-search.src.css")
    assert "loader.gif" not in css and "search-icon.png" not in css
    with pytest.raises(KeyError, match="MANIFEST"):
        map_controls.plugin_text("leaflet-search", "images/loader.gif")


@pytest.fixture(scope="module")
def hostile_map(tmp_path_factory):
    demo = build(SMALL)
    inputs = demo["inputs"]
    com = inputs.communities.copy()
    com.loc[com.index[0], "name"] = HOSTILE
    demo["inputs"] = dataclasses.replace(inputs, communities=com)
    m = coverage_map(**demo, date=DATE)
    path = write_map(m, tmp_path_factory.mktemp("tools") / "tools.html")
    return demo, path


def test_the_basemap_switch(hostile_map):
    demo, _ = hostile_map
    inputs = demo["inputs"]

    def base_layers(**kw) -> list[str]:
        html = coverage_map(inputs, date=DATE, **kw).get_root().render()
        block = re.search(r"base_layers : \{(.*?)\}", html, re.S).group(1)
        return [json.loads(f'"{k}"') for k in re.findall(r'"([^"]+)" :', block)]

    assert base_layers() == ["无底图", "OpenStreetMap"]
    assert base_layers(basemap="tianditu", tianditu_key="KEY") == [
        "无底图",
        "OpenStreetMap",
        "天地图",
        "天地图影像",
    ]
    # GCJ-02 overlays: only GCJ-02 tiles (OSM would sit 500 m off)
    assert base_layers(basemap="amap") == ["无底图", "高德地图", "高德影像"]
    assert base_layers(lang="en") == ["No basemap", "OpenStreetMap"]


@needs_chromium
def test_tools_work_in_chromium_without_network(hostile_map, tmp_path):
    demo, path = hostile_map
    inputs = demo["inputs"]
    com = inputs.communities
    code = str(com["code"].iloc[3])
    pdf = tmp_path / "print.pdf"
    report = browser.load_page(
        path,
        print_pdf=pdf,
        evaluate={
            "by_name": f"""(async () => {{ {SLEEP_JS} const m = {MAP_JS}; const s = m.sitingSearch;
                s.searchText('龙门'); await sleep(1200);
                const tips = Array.from(s._tooltip.querySelectorAll('.search-tip'));
                return {{texts: tips.map(t => t.textContent), html: tips.map(t => t.innerHTML),
                         pwned: window.__pwned === 1}}; }})()""",
            "by_code": f"""(async () => {{ {SLEEP_JS} const m = {MAP_JS}; const s = m.sitingSearch;
                s.searchText('{code}'); await sleep(1200);
                const tips = Array.from(s._tooltip.querySelectorAll('.search-tip'));
                const texts = tips.map(t => t.textContent);
                if (tips.length) tips[0].click();
                await sleep(800);
                const b = m.getBounds();
                return {{texts, zoom: m.getZoom(),
                         view: [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]}}; }})()""",
            "measure": f"""(async () => {{ {SLEEP_JS} const m = {MAP_JS}; m.setZoom(13);
                await sleep(400); const c = m.sitingMeasure; c._startMeasure();
                const r = m.getContainer().getBoundingClientRect();
                for (const [x, y] of [[500, 300], [800, 620]]) {{
                    c._handleMeasureClick({{originalEvent: new MouseEvent('click',
                        {{clientX: r.left + x, clientY: r.top + y}})}});
                }}
                const ll = c._latlngs.map(p => [p.lat, p.lng]);
                c._handleMeasureDoubleClick(); await sleep(300);
                const p = document.querySelector('.leaflet-measure-resultpopup');
                return {{ll, text: p ? p.innerText : null}}; }})()""",
            "fullscreen": f"""(async () => {{ {SLEEP_JS} const m = {MAP_JS};
                m.toggleFullscreen(); await sleep(500);
                const on = document.fullscreenElement === document.documentElement
                    && !!document.querySelector('.siting-legend');
                m.toggleFullscreen(); await sleep(500);
                return {{on, off: document.fullscreenElement === null}}; }})()""",
            "png": f"""(async () => {{ const m = {MAP_JS};
                const url = await m.sitingScreenshot.takeScreen('image');
                return {{url, size: [m.getSize().x, m.getSize().y]}}; }})()""",
            "opacity": f"""(() => {{ const m = {MAP_JS};
                const r = m.sitingOpacity.getContainer().querySelector('input');
                r.value = '40'; r.dispatchEvent(new Event('input'));
                return ['siting-fill', 'siting-iso'].map(p => m.getPane(p).style.opacity); }})()""",
            "minimap": f"""(() => {{ const m = {MAP_JS}; let n = 0;
                m.sitingMiniMap._miniMap.eachLayer(l => {{ if (l.feature) n++; }});
                return n; }})()""",
            "buttons": "Array.from(document.querySelectorAll('.leaflet-top.leaflet-left a'))"
            ".map(a => a.title).filter(t => t)",
        },
    )
    assert report.errors == [] and report.requests == []
    v = report.values

    # search by name: the hostile name is shown as text and never runs
    assert v["by_name"]["pwned"] is False
    assert any(t.startswith(HOSTILE) for t in v["by_name"]["texts"])
    assert not any("<img" in h for h in v["by_name"]["html"])
    # search by code: one hit; choosing it zooms to that 社区/村
    assert len(v["by_code"]["texts"]) == 1 and v["by_code"]["texts"][0].endswith(code)
    target = com[com["code"].astype(str) == code].to_crs("EPSG:4326").geometry.iloc[0]
    cx, cy = target.centroid.x, target.centroid.y
    s, w, n, e = v["by_code"]["view"]
    assert s < cy < n and w < cx < e and v["by_code"]["zoom"] >= 14

    # measure: the length shown is the geodesic distance between the two clicked points
    (lat1, lon1), (lat2, lon2) = v["measure"]["ll"]
    _, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    shown = float(
        re.search(r"([\d,]+(?:\.\d+)?) 米", v["measure"]["text"]).group(1).replace(",", "")
    )
    assert metres > 1000 and shown == pytest.approx(metres, rel=5e-3)  # a sphere vs the ellipsoid

    assert v["fullscreen"] == {"on": True, "off": True}

    # PNG export: an image of the map (title and legend in, buttons out)
    url = v["png"]["url"]
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    mw, mh = v["png"]["size"]
    assert mw - 10 <= width <= mw and mh - 10 <= height <= mh and len(png) > 100_000

    assert v["opacity"] == ["0.4", "0.4"]
    assert v["minimap"] == len(inputs.streets)
    for title in ("打印地图（A4 横向）", "导出 PNG 图片", "全屏"):
        assert title in v["buttons"]

    # print: one A4 landscape page
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert len(boxes) == 1
    w_pt, h_pt = (float(x) for x in boxes[0])
    assert w_pt == pytest.approx(841.9, abs=1) and h_pt == pytest.approx(595.3, abs=1)
