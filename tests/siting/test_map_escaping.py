"""No script in a map: every text from the inputs is shown as text, never run (issue 15).

A copy of the small demo district gets a payload appended to every text value of every input
layer (街道/镇 and 社区/村 names, the district's name and code, facility and health names,
addresses and ids, candidate names, notes and ids, building names and kinds, the roster's ids,
names and addresses, the scenario's names, the budget lines' names, the plans' names). The
district is run as ``siting run`` runs it (its coverage map), drawn once more in English (the
title is then ``name_en``), gathered into a city map, and planned twice for the compare map and a
plan map. Each map is opened in headless Chromium with
every popup and tooltip opened; no payload may run, and each name must show as typed.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from siting.citywide import CityResult, run_district, write_city
from siting.compare import compare, write_comparison
from siting.io import load_inputs
from siting.maps import coverage_map, html_text, plan_map, write_map
from siting.scenario import load_scenario
from tests.siting import browser

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"

needs_chromium = pytest.mark.skipif(
    not browser.available(), reason=f"{browser.CHROMIUM} not installed"
)

#: Each adds 1 to ``window.__xss`` if it runs, as markup, as an attribute that breaks out of its
#: quotes, or as code that breaks out of a JavaScript string or template literal; the last one
#: must show as typed, neither unescaped nor escaped twice, nor read as a Jinja template.
PAYLOADS = (
    '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
    "<script>window.__xss=(window.__xss||0)+1</script>",
    '"><svg onload="window.__xss=(window.__xss||0)+1">',
    "'><img src=x onerror='window.__xss=(window.__xss||0)+1'>",
    "`;window.__xss=(window.__xss||0)+1;`${window.__xss=(window.__xss||0)+1}",
    "</script><script>window.__xss=(window.__xss||0)+1</script>",
    " & &amp; &lt;b&gt; {{ 7*7 }} {% raw %} {# 龙井社区",
)
#: Markup that must never be in a page unescaped (in the HTML or in its script's data).
RAW_MARKUP = ("<img src=x", "<svg onload", "<script>window.__xss", "</script><script>window")


#: The maps checked: `siting run`'s, an English coverage map, the city, compare and plan maps.
MAPS = ("run", "en", "city", "compare", "plan")


def planted(text: object, i: int) -> str:
    return f"{text}{PAYLOADS[i % len(PAYLOADS)]}"


def _plant_column(frame: pd.DataFrame, column: str, offset: int = 0) -> list[str]:
    frame[column] = [planted(v, i + offset) for i, v in enumerate(frame[column])]
    return list(frame[column])


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def plant(folder: Path) -> dict[str, list[str]]:
    """Append a payload to every text value of every input of the copied district.

    Returns the planted values by field (the codes the map never shows included).
    """
    shown: dict[str, list[str]] = {}
    gpkg = folder / "boundaries.gpkg"
    for layer, columns in (
        ("区界", ["名称"]),
        ("街道镇", ["街镇名称"]),
        ("社区村", ["社区村名称"]),
    ):
        frame = gpd.read_file(gpkg, layer=layer)
        for k, col in enumerate(columns):
            shown[f"{layer}.{col}"] = _plant_column(frame, col, offset=k)
        frame.to_file(gpkg, layer=layer, mode="w")
    buildings = folder / "buildings.gpkg"
    frame = gpd.read_file(buildings, layer="residential")
    for k, col in enumerate(("名称", "类别")):
        shown[f"buildings.{col}"] = _plant_column(frame, col, offset=k)
    frame.to_file(buildings, layer="residential", mode="w")
    for name, columns in (
        ("facilities_amap.csv", ["id", "名称", "地址"]),
        ("health_amap.csv", ["id", "名称", "地址"]),
    ):
        path = folder / name
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        for k, col in enumerate(columns):
            shown[f"{name}.{col}"] = _plant_column(frame, col, offset=k)
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    path = folder / "roster.csv"
    frame = pd.read_csv(path, dtype=str, encoding="gb18030")
    for k, col in enumerate(("编号", "姓名", "地址")):
        shown[f"roster.{col}"] = _plant_column(frame, col, offset=k)
    frame.to_csv(path, index=False, encoding="gb18030")
    path = folder / "candidates.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["候选点"]
    header = [c.value for c in ws[1]]
    for k, col in enumerate(("编号", "名称", "备注")):
        j = header.index(col)
        values = []
        for i, row in enumerate(ws.iter_rows(min_row=2)):
            row[j].value = planted(row[j].value, i + k)
            values.append(row[j].value)
        shown[f"candidates.{col}"] = values
    wb.save(path)
    path = folder / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    scenario = {
        "name": planted("演示区小样（虚构）", 0),
        "name_en": planted("Small demo district", 1),
        "district_name": planted("演示区", 2),
        "district_code": planted("500199", 3),
    }
    for key, value in scenario.items():
        text, n = re.subn(
            rf"(?m)^{key} = .*$", lambda _m, k=key, v=value: f"{k} = {_toml(v)}", text, count=1
        )
        assert n == 1, key
        shown[f"scenario.{key}"] = [value]
    lines = []
    for i, old in enumerate(('name = "区级资金"', 'name = "市级建设补助"')):
        lines.append(planted(old.split('"')[1], i + 4))
        text = text.replace(old, f"name = {_toml(lines[-1])}")
    shown["budget.line.name"] = lines
    path.write_text(text, encoding="utf-8")
    return shown


@dataclass
class Built:
    shown: dict[str, list[str]]
    maps: dict[str, Path] = field(default_factory=dict)
    proposed: list[str] = field(default_factory=list)  # names of the sites `siting run` chose
    plans: tuple[str, ...] = ()
    plan_builds: dict[str, list[str]] = field(default_factory=dict)
    n_cells: int = 0  # care-map cells
    n_short: int = 0  # 社区/村 with older people not covered today (a circle each)
    n_whatif: int = 0  # sites of the run map's what-if: home-care facilities and candidates


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    root = tmp_path_factory.mktemp("xss")
    folder = root / "demo-small"
    shutil.copytree(SMALL, folder)
    out = Built(plant(folder))
    with contextlib.chdir(root):  # `siting run` writes its map to ./maps
        district = run_district(folder / "scenario.toml")
        assert district.ok, district.error
        (run_map,) = [Path(p) for p in district.outputs if p.endswith(".html")]
        out.maps["run"] = run_map
        out.proposed = list(district.proposed["name"])
        (grid,) = [p for p in district.outputs if p.endswith("roster_grid.csv")]
        out.n_cells = len(pd.read_csv(grid))
        com = district.communities
        out.n_short = int((com["elderly"] - com["covered_elderly"] >= 1).sum())
        fac = pd.read_csv(folder / "facilities_amap.csv", encoding="utf-8-sig")
        institutions = fac["类型"].isin(["养老院", "敬老院", "养老机构"])  # not home care
        out.n_whatif = int((~institutions).sum()) + len(out.shown["candidates.名称"])
        city = CityResult(districts=(district,))
        write_city(city, root / "city", map_path=root / "city.html")
        out.maps["city"] = root / "city.html"
        inputs = load_inputs(load_scenario(folder))  # the English title is the scenario's name_en
        out.maps["en"] = write_map(coverage_map(inputs, lang="en"), root / "en.html")
        base = (folder / "scenario.toml").as_posix()
        out.plans = (planted("甲方案", 0), planted("乙方案", 2))
        a, b = root / "a.toml", root / "b.toml"
        for path, name, budget in ((a, out.plans[0], 20), (b, out.plans[1], 40)):
            path.write_text(
                f"extends = {_toml(base)}\n[scenario]\nname = {_toml(name)}\n"
                f"[plan]\nbudget_wan_yuan = {budget}\nlast_year = 2023\n",
                encoding="utf-8",
            )
        comparison = compare(a, b)
        write_comparison(comparison, root / "cmp", map_path=root / "compare.html")
        out.maps["compare"] = root / "compare.html"
        out.plan_builds = {r.name: list(r.builds["name"]) for r in comparison.results}
        out.maps["plan"] = write_map(plan_map(comparison.results[0]), root / "plan.html")
    return out


def expected_text(b: Built, which: str) -> list[str]:
    """Planted values each map must show (as typed) in its title, layers, labels, popups or tooltips."""
    s = b.shown
    if which == "run":
        return [
            *s["scenario.name"],
            *s["街道镇.街镇名称"],
            *s["社区村.社区村名称"],
            *s["facilities_amap.csv.名称"],
            *s["facilities_amap.csv.地址"],
            *s["health_amap.csv.名称"],
            *b.proposed,
        ]
    if which == "en":
        return [*s["scenario.name_en"], *s["街道镇.街镇名称"], *s["社区村.社区村名称"]]
    if which == "city":
        return [
            *s["scenario.district_name"],
            *s["社区村.社区村名称"],
            *s["facilities_amap.csv.名称"],
            *b.proposed,
        ]
    if which == "compare":
        builds = [n for names in b.plan_builds.values() for n in names]
        return [*b.plans, *s["街道镇.街镇名称"], *s["社区村.社区村名称"], *builds]
    return [b.plans[0], *b.plan_builds[b.plans[0]], *s["社区村.社区村名称"]]


def expected_counts(b: Built, which: str) -> tuple[int, int]:
    """(popups, tooltips) of a map with every layer on: one per feature that has one."""
    n_fac = len(b.shown["facilities_amap.csv.名称"])
    n_health = len(b.shown["health_amap.csv.名称"])
    n_com = len(b.shown["社区村.社区村名称"])
    if which == "run":  # 现状 and 规划后 communities, care cells, facilities, health, proposed,
        # and the what-if's sites (a popup to open or close each, its name as tooltip)
        both = 2 * n_com + b.n_cells + n_fac + n_health + len(b.proposed) + b.n_whatif
        return both, both
    if which == "en":  # communities by older people, facilities, health
        both = n_com + n_fac + n_health
        return both, both
    if which == "city":  # communities (two layers) and the district: tooltips only
        return n_fac + len(b.proposed), 2 * n_com + n_fac + len(b.proposed) + 1
    builds = b.plan_builds if which == "compare" else {b.plans[0]: b.plan_builds[b.plans[0]]}
    layers = 1 + (len(b.plans) if which == "compare" else 1)  # 现状, then each plan's end
    popups = layers * n_com + n_fac + n_health + sum(len(n) for n in builds.values())
    return popups, popups + b.n_short  # the circles of older people not covered: tooltips


def test_html_text_escapes_once_and_keeps_chinese():
    assert html_text("龙井社区") == "龙井社区"
    assert (
        html_text("A&B <img src=x> \"q\" 's'")
        == "A&amp;B &lt;img src=x&gt; &quot;q&quot; &#x27;s&#x27;"
    )
    assert html_text(None) == ""
    assert html_text("{{ 7*7 }} {% raw %}") == "&#123;&#123; 7*7 &#125;&#125; &#123;% raw %&#125;"


def _escaped(value: str) -> str:
    """HTML-escaped with the braces (that Jinja would read) as character references."""
    return html.escape(value).replace("{", "&#123;").replace("}", "&#125;")


def _decoded(text: str) -> str:
    """The page with the escapes of its script's JSON strings undone (``\\u003c`` → ``<``...)."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace('\\"', '"').replace("\\/", "/")


@pytest.mark.parametrize("which", MAPS)
def test_no_raw_markup_in_the_html_or_its_data(built, which):
    page = built.maps[which].read_text(encoding="utf-8")
    data = _decoded(page)
    for raw in RAW_MARKUP:
        assert raw not in page
        assert raw not in data, f"{raw!r} unescaped in the data of the {which} map"
    for value in expected_text(built, which):
        # escaped exactly once: HTML-escaped text, never the double-escaped form
        once, twice = _escaped(value), _escaped(_escaped(value))
        assert once in data, value
        assert twice == once or twice not in data, value
    for value in built.shown["roster.姓名"] + built.shown["roster.地址"]:
        assert html.escape(value) not in data and value not in data  # the roster never shows


@needs_chromium
@pytest.mark.parametrize("which", MAPS)
def test_no_payload_runs_in_chromium_and_names_show_as_typed(built, which):
    report = browser.load_page(
        built.maps[which],
        evaluate={
            "opened": browser.OPEN_EVERY_POPUP_AND_TOOLTIP_JS,
            "title": "document.title",
            "heading": "document.getElementById('siting-title').innerText",
            "layers": "document.querySelector('.leaflet-control-layers').innerText",
            "labels": "Array.from(document.querySelectorAll('.siting-street-label'))"
            ".map(e => e.innerText).join('\\n')",
        },
        pause_s=1.0,  # images that fail to load fire onerror a little later
        evaluate_after={
            "xss": "typeof window.__xss === 'undefined' ? 0 : window.__xss",
            "planted": "document.querySelectorAll('img[src=\"x\"], [onerror], [onload]').length",
        },
        timeout_s=20,
    )
    v = report.values
    assert v["xss"] == 0, f"{v['xss']} payload(s) ran in the {which} map"
    assert v["planted"] == 0
    assert report.errors == [] and report.requests == []
    opened = v["opened"]
    assert opened["maps"] == 1
    assert (opened["popups"], opened["tooltips"]) == expected_counts(built, which)
    shown = "\n".join([*opened["texts"], v["title"], v["heading"], v["layers"], v["labels"]])
    missing = [t for t in expected_text(built, which) if t not in shown]
    assert missing == []
    if which in ("run", "en"):
        name = built.shown["scenario.name" if which == "run" else "scenario.name_en"][0]
        assert v["title"].startswith(name + " · ")
        for street in built.shown["街道镇.街镇名称"]:
            assert street in v["labels"]
    if which == "compare":
        for plan in built.plans:
            assert f"{plan}：规划建设" in v["layers"]
