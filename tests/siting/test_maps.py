"""HTML coverage maps, checked as a planner opens them: in headless Chromium with no network."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from siting.catchments import facility_catchments
from siting.coords import convert
from siting.coverage import compute_coverage
from siting.errors import InputError
from siting.i18n import label
from siting.io import FACILITY_TYPES, load_inputs
from siting.maps import (
    _GeoJson,
    _Markers,
    _pack_features,
    coverage_map,
    external_references,
    write_map,
)
from siting.scenario import load_scenario
from siting.walking import walking_graph
from tests.siting import browser

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"
DATE = dt.date(2026, 3, 1)

needs_chromium = pytest.mark.skipif(
    not browser.available(),
    reason=f"{browser.CHROMIUM} not installed (CI installs Debian's chromium package)",
)

LAYER_NAMES_JS = (
    "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label > span > span'))"
    ".map(e => e.textContent.trim())"
)


def proposed_sites(inputs) -> gpd.GeoDataFrame:
    """Two candidate sites standing in for the optimizer's choice: a station and a village point."""
    cand = inputs.candidates
    rows = []
    for wanted in ("station", "village_point"):
        hit = cand[[wanted in t for t in cand["eligible_types"]]].iloc[0]
        rows.append((hit, wanted))
    return gpd.GeoDataFrame(
        {
            "site_id": [r["candidate_id"] for r, _ in rows],
            "name": [r["name"] for r, _ in rows],
            "type": [t for _, t in rows],
            "floor_area_m2": [r["floor_area_m2"] for r, _ in rows],
            "cost_wan_yuan": [35.5, 12.0],
            "year": [2026, 2027],
            "newly_covered_elderly": [210.0, 64.0],
        },
        geometry=[r.geometry for r, _ in rows],
        crs=cand.crs,
    )


def build(folder: Path) -> dict:
    """Everything a map needs, computed on a demo district folder."""
    inputs = load_inputs(load_scenario(folder))
    graph = walking_graph(inputs)
    catchments = facility_catchments(inputs, graph, include_candidates=True)
    before = compute_coverage(inputs, graph)
    proposed = proposed_sites(inputs)
    added = gpd.GeoDataFrame(
        {"facility_id": proposed["site_id"], "name": proposed["name"], "type": proposed["type"]},
        geometry=proposed.geometry.values,
        crs=proposed.crs,
    )
    with_plan = dataclasses.replace(
        inputs, facilities=pd.concat([inputs.facilities, added], ignore_index=True)
    )
    after = compute_coverage(with_plan, graph, demand=before.demand)
    covered = np.diff(before.matrix.covers(types=list(before.settings.home_care_types)).indptr) > 0
    return {
        "inputs": inputs,
        "catchments": catchments,
        "coverage": before.communities,
        "coverage_after": after.communities,
        "proposed": proposed,
        "uncovered": before.demand.points[~covered],
        "roster_cells": before.roster.grid,
    }


@pytest.fixture(scope="module")
def demo() -> dict:
    return build(SMALL)


@pytest.fixture(scope="module")
def zh_map(demo, tmp_path_factory) -> Path:
    m = coverage_map(**demo, date=DATE)
    return write_map(m, tmp_path_factory.mktemp("maps") / "demo-small.html")


def expected_layers(demo, lang: str = "zh") -> list[str]:
    inputs = demo["inputs"]
    counts = inputs.facilities["type"].value_counts()
    fac = [
        f"{label(t, lang)}（{counts[t]}）" if lang == "zh" else f"{label(t, lang)} ({counts[t]})"
        for t in FACILITY_TYPES
        if t in counts
    ]
    if lang == "en":
        return [
            "coverage by community (current)",
            "coverage by community (with the plan)",
            "care map (elderly in difficulty, per cell)",
            "older people not covered (density)",
            "15-minute walk to existing facilities",
            "25-minute walk to existing facilities (rural 医养结合 circle, 002 §25)",
            "15-minute walk to proposed facilities",
            "25-minute walk to proposed facilities (rural 医养结合 circle, 002 §25)",
            "road network",
            "sub-district and town boundaries",
            *fac,
            "proposed facilities (2)",
            f"health facilities ({len(inputs.health)})",
        ]
    return [
        "社区/村覆盖率（现状）",
        "社区/村覆盖率（规划后）",
        "关爱地图（困难老人，网格汇总）",
        "未覆盖老年人密度",
        "现有设施15分钟步行圈",
        "现有设施25分钟步行圈（农村医养结合圈，002 §25）",
        "规划设施15分钟步行圈",
        "规划设施25分钟步行圈（农村医养结合圈，002 §25）",
        "道路网",
        "街道/镇界",
        *fac,
        "规划新增设施（2）",
        f"医疗卫生设施（{len(inputs.health)}）",
    ]


# --------------------------------------------------------------------------------------------
# the page itself
# --------------------------------------------------------------------------------------------


def test_offline_html_references_no_server(zh_map):
    text = zh_map.read_text(encoding="utf-8")
    srcs = re.findall(r"<(?:script|link|img)\b[^>]*?(?:src|href)\s*=\s*[\"']?([^\"' >]+)", text)
    assert [s for s in srcs if re.match(r"(?:https?:)?//", s)] == []
    assert "http://" not in "".join(srcs) and "https://" not in "".join(srcs)
    assert external_references(text) == []
    # Leaflet and the heat plugin are inlined, the unused jQuery/Bootstrap/Font Awesome dropped
    assert 'data-asset="leaflet"' in text and 'data-asset="leaflet-heat.js"' in text
    assert "Leaflet 1.9.3" in text
    for gone in ("jquery", "bootstrap", "fontawesome", "awesome-markers"):
        assert gone not in text.lower()
    assert text.count("<html") == 1 and "<title>演示区小样（虚构） · 2026-03-01</title>" in text


def test_online_mode_links_the_cdn(demo):
    """Sanity check of the test above: folium's default output does link a CDN."""
    html = coverage_map(demo["inputs"], offline=False, date=DATE).get_root().render()
    assert external_references(html)


def test_same_inputs_same_html(demo):
    a = coverage_map(**demo, date=DATE).get_root().render()
    b = coverage_map(**demo, date=DATE).get_root().render()
    assert a == b


@needs_chromium
def test_map_in_chromium_without_network(demo, zh_map, tmp_path):
    inputs = demo["inputs"]
    shot = tmp_path / "demo-small_zh.png"
    report = browser.load_page(
        zh_map,
        screenshot=shot,
        evaluate={
            "layers": LAYER_NAMES_JS,
            "existing": "document.querySelectorAll('.siting-fac-existing').length",
            "proposed": "document.querySelectorAll('.siting-fac-proposed').length",
            "communities": "document.querySelectorAll('.leaflet-siting-fill-pane path').length",
            "legend": "document.getElementById('siting-legend').innerText",
            "title": "document.getElementById('siting-title').innerText",
            "scale": "document.querySelector('.leaflet-control-scale-line').innerText",
            "font": "getComputedStyle(document.body).fontFamily",
        },
        evaluate_after={
            "popup": "document.querySelector('.siting-type-street_center').click(),"
            " document.querySelector('.leaflet-popup-content').innerText",
        },
    )
    assert report.errors == []
    assert report.requests == []  # nothing tried to reach a server
    v = report.values
    assert v["layers"] == expected_layers(demo)
    assert v["existing"] == len(inputs.facilities) == 14
    assert v["proposed"] == 2
    assert v["communities"] == len(inputs.communities)  # only the 现状 layer is on at first
    for text in ("图例", "覆盖率（社区、村15分钟步行）", "≥ 95%", "道路网", "规划新增（★）"):
        assert text in v["legend"]
    for t in set(inputs.facilities["type"]):
        assert label(t) in v["legend"]
    assert "演示区小样（虚构）" in v["title"] and "2026-03-01" in v["title"]
    assert re.fullmatch(r"\d+ (m|km)", v["scale"])
    assert "Noto Sans CJK SC" in v["font"]
    center = inputs.facilities[inputs.facilities["type"] == "street_center"].iloc[0]
    for text in (
        center["name"],
        "街道养老服务中心",
        "建筑面积（平方米）",
        f"{center['floor_area_m2']:,.0f}",
    ):
        assert text in v["popup"]
    assert shot.stat().st_size > 50_000  # a drawn map, not a blank page
    maps_dir = ROOT / "maps"
    if maps_dir.is_dir():  # for people to look at; git-ignored
        shutil.copy(shot, maps_dir / "demo-small_coverage_map.png")
        shutil.copy(zh_map, maps_dir / "demo-small_coverage_map.html")


@needs_chromium
def test_before_after_and_care_layers_switch_on(demo, zh_map, tmp_path):
    click = """(() => { const want = %s; let n = 0;
      document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(l => {
        if (want.includes(l.textContent.trim())) { l.querySelector('input').click(); n++; } });
      return n; })()"""
    names = ["社区/村覆盖率（现状）", "社区/村覆盖率（规划后）", "关爱地图（困难老人，网格汇总）"]
    report = browser.load_page(
        zh_map,
        screenshot=tmp_path / "after.png",
        evaluate={
            "clicked": click % json.dumps(names),
            "fills": "document.querySelectorAll('.leaflet-siting-fill-pane path').length",
            "cells": "document.querySelectorAll('.leaflet-siting-care-pane path').length",
            "iso": "document.querySelectorAll('.leaflet-siting-iso-pane path').length",
        },
    )
    assert report.errors == []
    assert report.values["clicked"] == 3
    # 现状 off, 规划后 on: one polygon per community; the care map: one square per shown cell
    assert report.values["fills"] == len(demo["inputs"].communities)
    assert report.values["cells"] == len(demo["roster_cells"])
    assert report.values["iso"] == 2  # 15 minutes: existing home care, and the proposed sites


@needs_chromium
def test_english_map(demo, tmp_path):
    path = write_map(coverage_map(**demo, lang="en", date=DATE), tmp_path / "en.html")
    report = browser.load_page(
        path,
        screenshot=tmp_path / "en.png",
        evaluate={
            "layers": LAYER_NAMES_JS,
            "legend": "document.getElementById('siting-legend').innerText",
        },
    )
    assert report.errors == []
    assert report.values["layers"] == expected_layers(demo, "en")
    assert "Legend" in report.values["legend"] and "street care center" in report.values["legend"]


def in_page(text: str, html: str) -> bool:
    """Whether ``text`` is in the page, as written or JSON-escaped inside a script."""
    return text in html or json.dumps(text)[1:-1] in html


def test_without_coverage_communities_show_the_elderly(demo):
    m = coverage_map(demo["inputs"], date=DATE)
    html = m.get_root().render()
    assert in_page("社区/村老年人口（60岁及以上）", html) and in_page("60岁及以上老年人", html)
    assert not in_page("社区/村覆盖率（现状）", html)


# --------------------------------------------------------------------------------------------
# base maps
# --------------------------------------------------------------------------------------------


def _marker_locations(m: folium.Map, css_class: str) -> list[tuple[float, float]]:
    """(lat, lon) of every facility symbol with ``css_class`` on the map."""
    out, stack = [], [m]
    while stack:
        el = stack.pop()
        if isinstance(el, _Markers):
            out.extend(el.locations(css_class))
        stack.extend(el._children.values())
    return out


def test_amap_shifts_every_overlay_to_gcj02(demo):
    inputs = demo["inputs"]
    m = coverage_map(inputs, basemap="amap", date=DATE)
    html = m.get_root().render()
    assert "autonavi.com" in html
    wgs = inputs.facilities.to_crs("EPSG:4326").geometry
    exp_lon, exp_lat = convert(wgs.x.to_numpy(), wgs.y.to_numpy(), src="wgs84", dst="gcj02")
    got = np.array(_marker_locations(m, "siting-fac-existing"))
    expected = np.column_stack([exp_lat, exp_lon])
    order = np.lexsort(got.T[::-1])
    order_e = np.lexsort(expected.T[::-1])
    assert np.abs(got[order] - expected[order_e]).max() < 1.1e-6
    # the shift is real (hundreds of metres), and the plain map is not shifted
    assert np.abs(expected - np.column_stack([wgs.y, wgs.x])).max() > 1e-3
    plain = np.array(_marker_locations(coverage_map(inputs, date=DATE), "siting-fac-existing"))
    assert (
        np.abs(np.sort(plain, axis=0) - np.sort(np.column_stack([wgs.y, wgs.x]), axis=0)).max()
        < 1.1e-6
    )


def test_tianditu_needs_a_key(demo, tmp_path):
    with pytest.raises(InputError, match="tianditu_key"):
        coverage_map(demo["inputs"], basemap="tianditu")
    assert list(tmp_path.iterdir()) == []
    m = coverage_map(demo["inputs"], basemap="tianditu", tianditu_key="KEY123", date=DATE)
    html = m.get_root().render()
    assert "tianditu.gov.cn/vec_w/wmts" in html and "tk=KEY123" in html
    assert external_references(html) == []  # tiles are fetched by Leaflet, no script goes online


def test_osm_basemap(demo):
    html = coverage_map(demo["inputs"], basemap="osm", date=DATE).get_root().render()
    assert "tile.openstreetmap.org" in html and "OpenStreetMap contributors" in html


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


def test_unknown_basemap_and_language_are_named(demo):
    with pytest.raises(InputError) as info:
        coverage_map(demo["inputs"], basemap="google", lang="fr")
    text = str(info.value)
    assert "google" in text and "'none', 'osm', 'tianditu', 'amap'" in text
    assert "fr" in text and "'zh', 'en'" in text


def test_roster_points_are_refused(demo):
    with pytest.raises(InputError, match="never individual records"):
        coverage_map(demo["inputs"], roster_cells=demo["inputs"].roster)


def test_coverage_table_needs_code_and_pct(demo):
    with pytest.raises(InputError, match="coverage_pct"):
        coverage_map(demo["inputs"], coverage=demo["coverage"].drop(columns="coverage_pct"))


def test_unwritable_folder_writes_nothing(demo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    m = coverage_map(demo["inputs"], date=DATE)
    with pytest.raises(InputError, match="cannot write to the output folder"):
        write_map(m, blocker / "map.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_offline_map_with_an_online_plugin_is_refused(demo, tmp_path):
    m = coverage_map(demo["inputs"], date=DATE)
    folium.plugins.MiniMap().add_to(m)  # links its script from a CDN
    with pytest.raises(InputError):
        write_map(m, tmp_path / "map.html")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# packed shapes: the page's layers are the Python layers
# --------------------------------------------------------------------------------------------


def _decode(packed: dict) -> list[dict]:
    """An independent reader of :func:`siting.maps._pack_features` (base64 → varints → deltas)."""
    data = base64.b64decode(packed["b"])
    values, v, shift = [], 0, 0
    for byte in data:
        v |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append((v >> 1) if v % 2 == 0 else -((v + 1) >> 1))
            v, shift = 0, 0
    it = iter(values)
    x = y = 0

    def point():
        nonlocal x, y
        x += next(it)
        y += next(it)
        return [x / packed["scale"], y / packed["scale"]]

    def geometry(t, c):
        if t == "Point":
            return point()
        if t in ("LineString", "MultiPoint"):
            return [point() for _ in range(c)]
        if t in ("Polygon", "MultiLineString"):
            return [[point() for _ in range(n)] for n in c]
        return [[[point() for _ in range(n)] for n in poly] for poly in c]

    out = []
    for fid, props, (t, c) in packed["f"]:
        if "k" in packed:
            props = dict(zip(packed["k"], props, strict=True))
        out.append({"id": fid, "properties": props, "type": t, "coordinates": geometry(t, c)})
    assert next(it, None) is None  # every value read
    return out


def test_packed_shapes_decode_to_the_same_coordinates():
    rng = np.random.default_rng(7)
    ring = np.round(np.column_stack([106 + rng.random(50), 29 + rng.random(50)]), 5)
    ring[-1] = ring[0]
    features = [
        {"id": "0", "properties": {"a": 1, "b": "x"}, "geometry": {"type": "Point", "coordinates": [106.5, 29.25]}},
        {"id": "1", "properties": {"a": None, "b": "<b>"}, "geometry": {"type": "LineString", "coordinates": ring[:7].tolist()}},
        {"id": "2", "properties": {"a": 3, "b": ""}, "geometry": {"type": "Polygon", "coordinates": [ring.tolist(), ring[::-1].tolist()]}},
        {"id": "3", "properties": {"a": 4, "b": "y"}, "geometry": {"type": "MultiPolygon", "coordinates": [[ring.tolist()], [[*ring[:4].tolist(), ring[0].tolist()]]]}},
        {"id": "4", "properties": {"a": 5, "b": "z"}, "geometry": {"type": "MultiLineString", "coordinates": [ring[:3].tolist(), [[-180.0, -90.0], [180.0, 90.0]]]}},
    ]  # fmt: skip
    packed = _pack_features(features)
    assert packed["k"] == ["a", "b"]
    for f, d in zip(features, _decode(packed), strict=True):
        assert d["id"] == f["id"] and d["properties"] == f["properties"]
        assert d["type"] == f["geometry"]["type"]
        flat_d = np.concatenate(
            [np.ravel(np.asarray(r, dtype=float)) for r in _rings(d["coordinates"])]
        )
        flat_f = np.concatenate(
            [np.ravel(np.asarray(r, dtype=float)) for r in _rings(f["geometry"]["coordinates"])]
        )
        assert np.abs(flat_d - flat_f).max() < 1e-9
    # different keys per feature: the properties stay objects
    mixed = [dict(features[0], properties={"a": 1}), dict(features[1], properties={"b": 2})]
    packed = _pack_features(mixed)
    assert "k" not in packed and [d["properties"] for d in _decode(packed)] == [{"a": 1}, {"b": 2}]


def _rings(coords):
    """Every innermost list of positions (a point is a ring of one)."""
    if isinstance(coords[0], (int, float)):
        return [[coords]]
    if isinstance(coords[0][0], (int, float)):
        return [coords]
    return [r for c in coords for r in _rings(c)]


@needs_chromium
def test_the_page_decodes_every_layer_to_the_python_features(demo, zh_map):
    m = coverage_map(**demo, date=DATE)  # the same names as zh_map's (deterministic ids)
    expected, stack = {}, [m]
    while stack:
        el = stack.pop()
        if isinstance(el, _GeoJson):
            shapes = el.shapes
            expected[el.get_name()] = [
                (f, shapely.get_coordinates(shapes[i]) if shapes is not None else None)
                for i, f in enumerate(el.data["features"])
            ]
        stack.extend(el._children.values())
    report = browser.load_page(
        zh_map,
        evaluate={
            "layers": "Object.fromEntries(Object.keys(window).filter(k => k.startsWith('geo_json_')"
            " && window[k] && window[k].toGeoJSON).map(k => [k, window[k].toGeoJSON(false).features]))"
        },
    )
    assert report.errors == []
    got = report.values["layers"]
    assert set(got) == set(expected) and len(expected) > 5
    for name, features in expected.items():
        page = got[name]
        assert len(page) == len(features), name
        for (f, xy), g in zip(features, page, strict=True):
            assert str(g.get("id", f["id"])) == str(f["id"])
            assert g["properties"] == f["properties"]
            if xy is None:  # a layer from GeoJSON (the city map's)
                assert f["geometry"]["type"] == g["geometry"]["type"]
                xy = np.concatenate([np.ravel(r) for r in _rings(f["geometry"]["coordinates"])])
            y = np.concatenate([np.ravel(r) for r in _rings(g["geometry"]["coordinates"])])
            x = np.ravel(xy)
            assert len(x) == len(y) and np.abs(x - y).max() < 1e-9, name


def test_packed_shapely_layers_single_and_mixed_types():
    polygon = shapely.Polygon([(106, 29), (106.001, 29), (106.001, 29.001), (106, 29)])
    multi = shapely.MultiPolygon([polygon, shapely.affinity.translate(polygon, 0.01, 0)])
    line = shapely.LineString([(106, 29), (106.00002, 29.00003), (106.1, 29.2)])
    for shapes in ([polygon, multi], [line, shapely.Point(106.5, 29.5)], [shapely.Point(106, 29)]):
        shapes = np.array(shapes, dtype=object)
        features = [{"id": str(i), "properties": {"n": i}} for i in range(len(shapes))]
        decoded = _decode(_pack_features(features, shapes))
        for shape, d in zip(shapes, decoded, strict=True):
            y = np.concatenate([np.ravel(r) for r in _rings(d["coordinates"])])
            assert np.abs(np.ravel(shapely.get_coordinates(shape)) - y).max() < 1e-9
            assert d["type"].replace("Multi", "") == shape.geom_type.replace("Multi", "")


def test_the_heat_legend_gives_its_scale_in_older_people(demo, zh_map):
    points = demo["uncovered"]
    top = float(np.nanquantile(points["elderly"].to_numpy(dtype=float), 0.95))
    html = zh_map.read_text(encoding="utf-8")
    legend = html[html.index('id="siting-legend"') :]
    assert f"每个居住点未覆盖老年人：少 → ≥ {top:,.0f} 人" in legend


@pytest.mark.skipif(not browser.available(), reason="chromium not installed")
def test_community_names_appear_from_zoom_14(demo, zh_map, tmp_path):
    from siting.maps import COMMUNITY_LABEL_ZOOM

    count = "document.querySelectorAll('.siting-community-label').length"
    find = "Object.values(window).find(function (v) { return v instanceof L.Map; })"
    zoom_to = (
        "(function (z) { var m = " + find + "; m.setZoom(z, {animate: false});"
        " return [m.getZoom(), " + count + "]; })"
    )
    report = browser.load_page(
        zh_map,
        evaluate={
            "far": f"{zoom_to}({COMMUNITY_LABEL_ZOOM - 2})",
            "near": f"{zoom_to}({COMMUNITY_LABEL_ZOOM + 1})",
            "names": "Array.from(document.querySelectorAll('.siting-community-label'))"
            ".map(function (e) { return e.textContent; })",
        },
    )
    assert report.errors == [] and report.requests == []
    far_zoom, far = report.values["far"]
    near_zoom, near = report.values["near"]
    assert far_zoom < COMMUNITY_LABEL_ZOOM and far == 0
    assert near_zoom >= COMMUNITY_LABEL_ZOOM and near == len(demo["inputs"].communities)
    assert sorted(report.values["names"]) == sorted(demo["inputs"].communities["name"])
