"""A tiny hand-made district written to a temporary folder: 2 街道/镇, 4 社区/村, a few points.

Layout (CGCS2000 lon/lat, around 106.0°E 29.8°N): a 2 km × 1 km rectangle split into a west
街道 (code 500199001) and an east 镇 (500199101), each split north/south into two communities.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from siting.coords import convert

LON0, LAT0 = 106.0, 29.8
DLON = 0.0103  # ≈ 1 km at 29.8°N
DLAT = 0.0090  # ≈ 1 km


def cell(i: float, j: float) -> tuple[float, float]:
    """lon/lat of a point i km east and j km north of the south-west corner."""
    return LON0 + i * DLON, LAT0 + j * DLAT


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    x0, y0 = cell(0, 0)
    x1, y1 = cell(1, 1)
    x2, _ = cell(2, 1)
    ym = cell(0, 0.5)[1]
    streets = gpd.GeoDataFrame(
        {
            "街镇代码": ["500199001", "500199101"],
            "街镇名称": ["青石街道", "白鹤镇"],
            "类型": ["街道", "镇"],
        },
        geometry=[box(x0, y0, x1, y1), box(x1, y0, x2, y1)],
        crs="EPSG:4490",
    )
    communities = gpd.GeoDataFrame(
        {
            "社区村代码": ["500199001001", "500199001002", "500199101001", "500199101200"],
            "社区村名称": ["龙井社区", "黄桷社区", "白鹤社区", "双河村"],
            "街镇代码": ["500199001", "500199001", "500199101", "500199101"],
            "类型": ["社区", "社区", "社区", "村"],
            "常住人口": [5000, 4000, 3000, 1200],
            "60岁及以上": [1000, 900, 800, 400],
            "65岁及以上": [800, 700, 600, 330],
            "80岁及以上": [150, 120, 100, 60],
        },
        geometry=[
            box(x0, y0, x1, ym),
            box(x0, ym, x1, y1),
            box(x1, y0, x2, ym),
            box(x1, ym, x2, y1),
        ],
        crs="EPSG:4490",
    )
    streets.to_file(folder / "boundaries.gpkg", layer="街道镇")
    communities.to_file(folder / "boundaries.gpkg", layer="社区村")

    # facilities in GCJ-02, as an Amap export: true WGS84 positions are known
    wgs = [cell(0.5, 0.25), cell(1.5, 0.75), cell(1.2, 0.2)]
    g_lon, g_lat = convert([p[0] for p in wgs], [p[1] for p in wgs], src="wgs84", dst="gcj02")
    pd.DataFrame(
        {
            "id": ["B001", "B002", "B003"],
            "名称": ["龙井社区养老服务站", "双河村互助养老点", "白鹤镇养老服务中心"],
            "类型": ["社区养老服务站", "村级互助养老点", "乡镇养老服务中心"],
            "经度": [f"{v:.9f}" for v in g_lon],
            "纬度": [f"{v:.9f}" for v in g_lat],
            "建筑面积": ["300", "60", "900"],
        }
    ).to_csv(folder / "facilities.csv", index=False, encoding="utf-8-sig")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "候选点"
    ws.append(["编号", "名称", "来源", "可建类型", "建筑面积", "经度", "纬度"])
    c_lon, c_lat = convert(*cell(0.3, 0.7), src="wgs84", dst="gcj02")
    ws.append(
        ["C1", "闲置校舍", "闲置国有资产", "社区养老服务站、小区养老服务点", 420, c_lon, c_lat]
    )
    c_lon, c_lat = convert(*cell(1.7, 0.3), src="wgs84", dst="gcj02")
    ws.append(["C2", "原村委会", "社区用房", "村级互助养老点", 80, c_lon, c_lat])
    wb.save(folder / "candidates.xlsx")

    r_lon, r_lat = convert(*cell(0.4, 0.3), src="wgs84", dst="bd09")
    pd.DataFrame(
        {
            "编号": ["R1", "R2"],
            "年龄": ["82", "67"],
            "类别": ["失能", "独居"],
            "经度": [r_lon] * 2,
            "纬度": [r_lat] * 2,
        }
    ).to_csv(folder / "roster.csv", index=False, encoding="gb18030")

    (folder / "scenario.toml").write_text(
        textwrap.dedent(
            """
            [scenario]
            name = "小区测试"
            district_name = "测试区"

            [inputs.network]
            path = "roads.osm"

            [inputs.streets]
            path = "boundaries.gpkg"
            layer = "街道镇"
            [inputs.streets.columns]
            code = "街镇代码"
            name = "街镇名称"
            kind = "类型"
            [inputs.streets.values.kind]
            "街道" = "street"
            "镇" = "town"

            [inputs.communities]
            path = "boundaries.gpkg"
            layer = "社区村"
            [inputs.communities.columns]
            code = "社区村代码"
            name = "社区村名称"
            street_code = "街镇代码"
            kind = "类型"
            pop_total = "常住人口"
            pop_60p = "60岁及以上"
            pop_65p = "65岁及以上"
            pop_80p = "80岁及以上"
            [inputs.communities.values.kind]
            "社区" = "community"
            "村" = "village"

            [inputs.facilities]
            path = "facilities.csv"
            coords = "gcj02"
            [inputs.facilities.columns]
            facility_id = "id"
            name = "名称"
            type = "类型"
            lon = "经度"
            lat = "纬度"
            floor_area_m2 = "建筑面积"
            [inputs.facilities.values.type]
            "社区养老服务站" = "station"
            "村级互助养老点" = "village_point"
            "乡镇养老服务中心" = "town_center"

            [inputs.candidates]
            path = "candidates.xlsx"
            sheet = "候选点"
            coords = "gcj02"
            list_separator = "、"
            [inputs.candidates.columns]
            candidate_id = "编号"
            name = "名称"
            source = "来源"
            eligible_types = "可建类型"
            floor_area_m2 = "建筑面积"
            lon = "经度"
            lat = "纬度"
            [inputs.candidates.values.source]
            "闲置国有资产" = "idle_state_asset"
            "社区用房" = "community_room"
            [inputs.candidates.values.eligible_types]
            "社区养老服务站" = "station"
            "小区养老服务点" = "compound_point"
            "村级互助养老点" = "village_point"

            [inputs.roster]
            path = "roster.csv"
            coords = "bd09"
            [inputs.roster.columns]
            person_id = "编号"
            age = "年龄"
            group = "类别"
            lon = "经度"
            lat = "纬度"
            [inputs.roster.values.group]
            "失能" = "disabled"
            "独居" = "living_alone"
            """
        ),
        encoding="utf-8",
    )
    return folder / "scenario.toml"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Path of the tiny district's scenario.toml in a fresh temporary folder."""
    return write_tiny(tmp_path / "tiny")


@pytest.fixture(scope="session")
def small_siting():
    """The small demo siting with a total of 150 万元: (inputs, graph, coverage, result), solved
    once for the report and what-if tests (read only)."""
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.model import build_problem, solve
    from siting.optimize import optimize_settings
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "data" / "demo-small")
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    coverage = compute_coverage(inputs, graph)
    settings = optimize_settings(scenario, budget_wan_yuan=150.0)
    return (
        inputs,
        graph,
        coverage,
        solve(build_problem(inputs, coverage, graph=graph, settings=settings)),
    )
