"""Generate the synthetic demo district 演示区 (code 500199, FICTIONAL) used by tests, docs and demos.

The district is modelled on 铜梁区 (500151): 4 街道 around a hilly urban core on both banks of a
river, 20 镇 with a town seat each, ~69 社区 and ~250 村, ~690,000 residents of whom ~26 % are
60 or older. Nothing in it is real: the boundary, the terrain, the roads, the names and every
person on the roster are made up by this script from a seed, so the data can be published (CC0)
and every later feature (walking isochrones with slopes and stairs, coverage, the optimizer, maps)
can be exercised on something that looks and behaves like a real Chongqing district.

Usage::

    python scripts/make_demo_district.py                 # full district into data/demo
    python scripts/make_demo_district.py --small         # small variant into data/demo-small
    python scripts/make_demo_district.py --out DIR --seed 20201101
    python scripts/make_demo_district.py --city 4        # fictional city of 4 small districts
                                                         # into data/city/<code>/ (500191...)
    python scripts/make_demo_district.py --scale 4       # 4 × the demo's area and population
                                                         # into data/demo-x4 (benchmarks)

The city mode (:func:`generate_city`) is for scale-out tests and benchmarks: N (1-8) small
districts 演示城一区 (500191), 演示城二区 (500192), ..., each with its own seed, code, name and
origin (:class:`District`), side by side without overlapping; every code and id inside starts
with the district's code, so the districts can be merged.

The output is deterministic: the same seed gives the same content (see :func:`content_hash`).
Files are written to a temporary folder next to the target and moved into place at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.affinity
import shapely.ops
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, cKDTree
from shapely import LineString, MultiPolygon, Point, Polygon
from shapely.strtree import STRtree

__all__ = [
    "District",
    "Layout",
    "city_district",
    "content_hash",
    "demo_district",
    "district_seed",
    "generate",
    "generate_city",
    "main",
]

DEFAULT_SEED = 20201101
CITY_MAX_DISTRICTS = 8
CITY_FIRST_CODE = 500191  # 500191..500198: not county-level codes of Chongqing (nor is 500199)
CITY_SPACING_DEG = (0.1, 0.07)  # lon, lat between neighbouring city districts (~9.7 km x 7.8 km)
CITY_PER_ROW = 4
CITY_ATTEMPTS = 5  # seeds tried per city district (about 1 draw in 40 of the small layout fails)
OSM_IDS_PER_DISTRICT = 10**7  # city mode: OSM ids are <district code> * 10**7 + n
_CN_DIGITS = "一二三四五六七八"
METRIC_EPSG = 4544  # CGCS2000 / 3-degree Gauss-Kruger CM 105E
BOUNDARY_EPSG = 4490  # CGCS2000 geographic
OSM_TIMESTAMP = "2025-01-01T00:00:00Z"
ARCSEC = 1.0 / 3600.0
RIVER_HALF_WIDTH_M = {"main": 55.0, "trib": 28.0}
BRIDGE_END_M = {"main": 75.0, "trib": 45.0}  # distance of bridge ends from the river centreline
PERSONS_PER_HOUSEHOLD = {"社区": 2.6, "村": 2.9}
FIXED_DATE = "2025-01-01T00:00:00Z"

# Names of the real 街道/镇/社区/村 of 铜梁 (500151, official code list) without their suffixes;
# the fictional names avoid them.
_REAL_TONGLIANG = (
    "巴川 东城 南城 蒲吕 旧县 土桥 二坪 水口 安居 白羊 平滩 小林 双山 "
    "虎峰 石鱼 福果 庆隆 少云 维新 高楼 大庙 围龙 华兴 永嘉 安溪 西河 "
    "侣俸 太平 东方 和平 正街 龙山 体育街 八一路 仙鱼 淮远 袁家 柿花 "
    "接龙 玉皇 千年 大雁 盘龙 金龙 塔山 晏渡 姜家岩 全兴 长坡 龙城 玉泉 "
    "双门 梁祝 飞凤 花院 安全 水星 拦马 青羊 南门 两路 岳阳 桐子 团结 "
    "白龙 聚星 西来 鱼溅 黄桷门 河东 马滩 翠英 梯子 巴岳 葫芦 新市 大坪 "
    "穆莲 龙桥 平安 人和 沙心 石虎 大塘 善心 新联 沙坝 青山 康济 万寿 "
    "金钟 永兴 石砚 檬梓 大观 长河 四龙 宋坪 双兴 箭高 丁家 九塘 中峰 "
    "龙洞 永清 祝家 白果 桃溪 高桥 庆林 大磨 六赢 新房 高垭 河水 黄沙 "
    "新田 石庄 兴龙 二郎 隘口 狮子 中山 严家 三房 清泉 树荫 天寨 大滩 "
    "汪祠 大田 会龙 大南 临江 龙兴 赛龙 玉顶 七佛 石马 紫极 淘河 杨乐 "
    "龙泉 琵琶 象山 四面 杨寿 金羊 羊咀 水碾 清晏 金铃 凤凰 兵马 石船 "
    "龙潭 万桥 洋海 华光 新华 插腊 青杠 珠玉 高平 四方 太安 红河 立灯 "
    "金竹 洪太 玉龙 团宝 惠风 团山 圣灯 鱼龙 庆云 华寿 双河 建新 双泉 "
    "岩湾 寿桥 大理 群坊 喻兴 新生 华西 温泉 石梯 庙湾 滴水 石岭 久远 "
    "石柱 水鸭 东山 天锡 纯古 太公 青符 双桥 翰林 轮桥 石寨 回龙 西泉 "
    "进仕 双龙 群力 前进 鱼兴 兴红 联丰 东店 长乐 太康 盐田 三和 兴发 "
    "福兴 林宇 三星 三多 西山 河兴 团实 荷香 龙岗 高山 三元 镜滩 冬笋 "
    "金源 庆新 同康 琼江 长滩 塔坡 大佛 七宝 老君 转龙 海棠 向阳 石庙 "
    "高碑 双堰 砚池 龙翔 新滩 槐树 营基 沿河 新堰 双石 杨柳 龙源 涪江 "
    "莲花 盘石 文兴 龙岩 大狮 东森 黄升 莲胜 金桂 双马 双鹅 双胜 三品 "
    "石兴 龙升 龙井 龙鸣 龙湾 龙苑 化龙 龙珠 合龙 龙隐 龙湖 龙韵 腾龙 "
    "龙神 卧龙 惠民 犀牛 茯苓 三塘 香山 明月 团林 嘉庆 围永 永东 竹海 "
    "高龙 大兴 蓝山 复兴 圣水 明山 和益 塘坪 万年 幸福 顺河 金滩 龙峰 "
    "安康 谭洪 长兴 新四 龙岭 大珑 双永 兴建 三善 池水河 中兴 竹园 水龙 "
    "新学 柏香 石蛤 永乐 玉林 西岳 保乡 文曲 石河 志和 天星 保宁 妙明 "
    "凤飞 白塔 三石 坪堰 太石 白云 凉水 余家 双福 垣楼 坪漆 团碾 铁鹅 "
)

_FIRST = (
    "青龙白黄双石金玉凤鹤松柏桂兰梅竹清平安永太长新兴福寿德仁和顺高云岩溪泉碧翠丹紫银宝华荣"
    "昌盛丰裕嘉庆宁泰康乐春秋星月明天东南西北中上下大小古红绿莲荷杏桃柳枫樟杉槐桐茶"
)
_SECOND = (
    "石井鹤桷河山岭峰坪坝湾桥溪塘林园冲垭岩沟田坡嘴池泉滩洲台阁庙寺观门关口堡寨场店湖源川岗梁堰亭"
)
_SURNAMES = (
    "陈李刘张王杨黄周罗谭何吴唐邓蒋曾胡赵徐冉彭向谢郭肖熊付田余袁廖邹龙杜秦冯任蔡程雷苏"
    "江夏姚万汪叶游钟魏文孙马朱梁郑韩罗宋许朱卢"
)
_FEMALE_CHARS = "芳英秀兰珍华玉琼淑凤翠群蓉素桂萍菊琴碧惠容香莲"
_MALE_CHARS = "明华国建福成林德文强平清忠贵山发全荣海云书银才"
_HAMLET_SUFFIX = (
    "家院子",
    "家湾",
    "家沟",
    "家坝",
    "家坡",
    "家嘴",
    "家岩",
    "家大院",
    "家垭口",
    "家祠堂",
)
_COMPOUND_SUFFIX = ("小区", "花园", "苑", "小区", "家园", "苑")


# --------------------------------------------------------------------------------------------
# Identity of a district: code, names, where it lies, what its scenario says
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    """Who a generated district is and where it lies; every name and code in it derives from this.

    Parameters
    ----------
    code
        Fictional 6-digit 区划代码; every 街道/镇 (9 digits) and 社区/村 (12 digits) code starts with it.
    name, name_en
        Short district name (演示区) and its English description ("Demo district").
    origin_lonlat
        WGS84 lon/lat of the local frame's origin (the district lies around it).
    scenario_name, scenario_name_en
        Title written into ``scenario.toml``.
    output_dir
        ``[output] dir`` of the scenario.
    budget_wan_yuan
        ``[optimize] budget_wan_yuan`` of the scenario.
    city_index
        k of a district of a generated city (0-based), None for the demo district. City districts
        prefix facility, health, candidate and roster ids with their code and number their OSM
        objects from ``code * 10**7``, so that the districts of a city can be merged.
    """

    code: str
    name: str
    name_en: str
    origin_lonlat: tuple[float, float]
    scenario_name: str
    scenario_name_en: str
    output_dir: str
    budget_wan_yuan: int
    city_index: int | None = None

    @property
    def id_prefix(self) -> str:
        return "" if self.city_index is None else self.code

    @property
    def osm_id_base(self) -> int:
        return 0 if self.city_index is None else int(self.code) * OSM_IDS_PER_DISTRICT


def demo_district(*, small: bool = False, scale: float = 1.0) -> District:
    """The fictional demo district 演示区 (500199), full or small variant.

    ``scale`` ≠ 1 (``--scale N``, for benchmarks) names the district ``N`` times the variant's
    area and population, with its own output folder and ``N`` times the budget.
    """
    dist = _demo_district(small)
    if scale == 1.0:
        return dist
    tag = f"{scale:g}"
    return dataclasses.replace(
        dist,
        scenario_name=f"{dist.scenario_name}（面积与人口 ×{tag}，基准测试用）",
        scenario_name_en=f"{dist.scenario_name_en} (area and population ×{tag}, for benchmarks)",
        output_dir=f"{dist.output_dir}-x{tag}",
        budget_wan_yuan=round(dist.budget_wan_yuan * scale),
    )


def _demo_district(small: bool) -> District:
    return District(
        code="500199",
        name="演示区",
        name_en="Demo district",
        origin_lonlat=(106.0, 29.8),
        scenario_name="演示区小样（虚构）" if small else "演示区（虚构）养老服务设施现状与选址",
        scenario_name_en=(
            "Small demo district (fictional): elderly-care facilities, coverage and siting"
            if small
            else "Demo district (fictional): elderly-care facilities, coverage and siting"
        ),
        output_dir="output/demo-small" if small else "output/demo",
        budget_wan_yuan=300 if small else 800,
    )


def city_district(k: int) -> District:
    """District k (0-based) of the fictional demo city: 演示城一区 (500191), 演示城二区 (500192), …

    The districts lie on a grid of ``CITY_PER_ROW`` per row, ``CITY_SPACING_DEG`` apart, west to
    east and then north to south, starting at the demo district's origin.
    """
    if not 0 <= k < CITY_MAX_DISTRICTS:
        raise ValueError(f"a city has 1 to {CITY_MAX_DISTRICTS} districts; got index {k}")
    lon0, lat0 = demo_district().origin_lonlat
    row, col = divmod(k, CITY_PER_ROW)
    name = f"演示城{_CN_DIGITS[k]}区"
    return District(
        code=str(CITY_FIRST_CODE + k),
        name=name,
        name_en=f"Demo city district {k + 1}",
        origin_lonlat=(
            round(lon0 + col * CITY_SPACING_DEG[0], 6),
            round(lat0 - row * CITY_SPACING_DEG[1], 6),
        ),
        scenario_name=f"{name}（虚构）",
        scenario_name_en=(
            f"Demo city district {k + 1} (fictional): elderly-care facilities, coverage and siting"
        ),
        output_dir=f"output/city/{CITY_FIRST_CODE + k}",
        budget_wan_yuan=300,
        city_index=k,
    )


def district_seed(seed: int, k: int, attempt: int = 0) -> int:
    """Seed of district k of a city generated with ``seed`` (a 32-bit mix of both).

    ``attempt`` > 0 gives the seeds tried when a draw cannot be built (see :func:`generate_city`).
    """
    entropy = [seed, k] if attempt == 0 else [seed, k, attempt]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


# --------------------------------------------------------------------------------------------
# Layout of a variant
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Hand-chosen layout of a variant, in metres of a local frame (x east, y north)."""

    variant: str
    half_x_m: float
    half_y_m: float
    area_km2: float
    core_center: tuple[float, float]
    core_axes: tuple[float, float]
    river_main: tuple[tuple[float, float], ...]
    river_main_levels: tuple[float, float]
    river_trib: tuple[tuple[float, float], ...] | None
    river_trib_level: float
    core_bridge_y: tuple[float, ...]
    rural_bridges: tuple[tuple[str, float, float], ...]  # (river, x, y) near which to build
    ridges: tuple[tuple[float, float, float, float, float, float], ...]  # x0 y0 x1 y1 crest sigma
    motorway: tuple[tuple[float, float], ...]
    interchanges_x: tuple[float, ...]
    trunk: tuple[tuple[float, float], ...]
    n_core_communities: int
    n_fringe_villages: int
    n_towns: int
    n_towns_two_communities: int
    n_rural_villages: int
    pop_total: int
    pop_core_mean: float
    pop_town_mean: float
    pop_village_mean: float
    hamlet_households: float
    cost_cell_m: float
    n_stations_share: float = 0.40
    n_points_share: float = 0.35
    n_street_centers: int = 2
    n_town_centers: int = 11
    scale: float = 1.0  # area and population against the variant's own (``--scale``)

    def count(self, n: int) -> int:
        """A count of the unscaled variant, times the layout's scale (at least 1)."""
        return n if self.scale == 1.0 else max(1, round(n * self.scale))


FULL = Layout(
    variant="full",
    half_x_m=20000.0,
    half_y_m=17000.0,
    area_km2=1300.0,
    core_center=(1800.0, -800.0),
    core_axes=(2750.0, 3650.0),
    river_main=(
        (-5500.0, 23000.0),
        (-4500.0, 19000.0),
        (-2500.0, 13000.0),
        (400.0, 6500.0),
        (2300.0, 2500.0),
        (2900.0, -500.0),
        (2500.0, -3500.0),
        (3800.0, -8000.0),
        (6500.0, -13000.0),
        (8500.0, -21000.0),
        (9200.0, -24000.0),
    ),
    river_main_levels=(247.0, 206.0),
    river_trib=(
        (24000.0, -1500.0),
        (21000.0, -3000.0),
        (15000.0, -6500.0),
        (10500.0, -5000.0),
        (6800.0, -7600.0),
    ),
    river_trib_level=252.0,
    core_bridge_y=(1700.0, -600.0, -2900.0),
    rural_bridges=(
        ("main", -1500.0, 10500.0),
        ("main", 5600.0, -11500.0),
        ("trib", 8800.0, -5800.0),
        ("trib", 16500.0, -5800.0),
    ),
    ridges=(
        (-17500.0, 1500.0, -4500.0, 15000.0, 810.0, 1700.0),
        (8000.0, -16500.0, 21500.0, -500.0, 610.0, 1300.0),
        (-15000.0, -15500.0, -7000.0, -8500.0, 500.0, 1200.0),
    ),
    motorway=(
        (-26000.0, 2500.0),
        (-19000.0, 4200.0),
        (-12000.0, 5600.0),
        (-3000.0, 6700.0),
        (2000.0, 6000.0),
        (9000.0, 3000.0),
        (16000.0, -1500.0),
        (21000.0, -3600.0),
        (27000.0, -5000.0),
    ),
    interchanges_x=(-2200.0, 12500.0),
    trunk=(
        (-700.0, -1500.0),
        (-5000.0, -2600.0),
        (-9000.0, -2300.0),
        (-15000.0, -900.0),
        (-24000.0, -2000.0),
    ),
    n_core_communities=46,
    n_fringe_villages=12,
    n_towns=20,
    n_towns_two_communities=3,
    n_rural_villages=238,
    pop_total=690_000,
    pop_core_mean=6600.0,
    pop_town_mean=4000.0,
    pop_village_mean=1180.0,
    hamlet_households=38.0,
    cost_cell_m=75.0,
)

SMALL = Layout(
    variant="small",
    half_x_m=4200.0,
    half_y_m=3200.0,
    area_km2=40.0,
    core_center=(300.0, 200.0),
    core_axes=(1350.0, 1050.0),
    river_main=(
        (-900.0, 6000.0),
        (-500.0, 3600.0),
        (700.0, 1200.0),
        (1050.0, 0.0),
        (800.0, -1200.0),
        (1800.0, -3500.0),
        (2300.0, -6000.0),
    ),
    river_main_levels=(236.0, 226.0),
    river_trib=None,
    river_trib_level=0.0,
    core_bridge_y=(550.0, -600.0),
    rural_bridges=(("main", 1500.0, -2500.0),),
    ridges=((-4800.0, 300.0, -1500.0, 3600.0, 560.0, 650.0),),
    motorway=(
        (-6000.0, -900.0),
        (-2800.0, 1700.0),
        (500.0, 2500.0),
        (3500.0, 2100.0),
        (6000.0, 1500.0),
    ),
    interchanges_x=(-1500.0,),
    trunk=((-950.0, -250.0), (-2600.0, -900.0), (-6000.0, -1800.0)),
    n_core_communities=6,
    n_fringe_villages=2,
    n_towns=2,
    n_towns_two_communities=0,
    n_rural_villages=12,
    pop_total=57_000,
    pop_core_mean=5800.0,
    pop_town_mean=3600.0,
    pop_village_mean=1050.0,
    hamlet_households=34.0,
    cost_cell_m=40.0,
)


SCALE_MAX = 16.0


def scaled_layout(lay: Layout, n: float) -> Layout:
    """``lay`` with ``n`` times its area and population (lengths × √n, counts × n).

    The outline, rivers, ridges, roads and bridges of the variant are stretched by √n from the
    frame's origin, so the district keeps its shape: one core on the main river, towns and
    villages around it. Every count (社区, 村, towns, centers) grows n-fold and so does the
    population; densities, slopes, building and hamlet sizes, the spacing of streets and the
    coverage radius stay those of the variant. The core gets √n times as many bridges.
    ``n = 1`` returns ``lay`` itself (the committed demo is unchanged, byte for byte).
    """
    if n == 1:
        return lay
    k = math.sqrt(n)

    def pts(seq):
        return tuple((x * k, y * k) for x, y in seq)

    lo, hi = min(lay.core_bridge_y) * k, max(lay.core_bridge_y) * k
    n_bridges = max(len(lay.core_bridge_y), round(len(lay.core_bridge_y) * k))
    return dataclasses.replace(
        lay,
        half_x_m=lay.half_x_m * k,
        half_y_m=lay.half_y_m * k,
        area_km2=lay.area_km2 * n,
        core_center=(lay.core_center[0] * k, lay.core_center[1] * k),
        core_axes=(lay.core_axes[0] * k, lay.core_axes[1] * k),
        river_main=pts(lay.river_main),
        river_trib=None if lay.river_trib is None else pts(lay.river_trib),
        core_bridge_y=tuple(float(y) for y in np.linspace(hi, lo, n_bridges)),
        rural_bridges=tuple((r, x * k, y * k) for r, x, y in lay.rural_bridges),
        ridges=tuple(
            (x0 * k, y0 * k, x1 * k, y1 * k, crest, sigma)
            for x0, y0, x1, y1, crest, sigma in lay.ridges
        ),
        motorway=pts(lay.motorway),
        interchanges_x=tuple(x * k for x in lay.interchanges_x),
        trunk=pts(lay.trunk),
        n_core_communities=round(lay.n_core_communities * n),
        n_fringe_villages=round(lay.n_fringe_villages * n),
        n_towns=round(lay.n_towns * n),
        n_towns_two_communities=round(lay.n_towns_two_communities * n),
        n_rural_villages=round(lay.n_rural_villages * n),
        pop_total=round(lay.pop_total * n),
        n_street_centers=round(lay.n_street_centers * n),
        n_town_centers=round(lay.n_town_centers * n),
        scale=float(n),
    )


# --------------------------------------------------------------------------------------------
# Frame, noise and small geometry helpers
# --------------------------------------------------------------------------------------------


class Frame:
    """Local metric frame (EPSG:4544 minus a whole-metre origin) and its lon/lat conversions."""

    def __init__(self, origin_lonlat: tuple[float, float]) -> None:
        fwd = pyproj.Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)
        x0, y0 = fwd.transform(*origin_lonlat)
        self.x0, self.y0 = float(round(x0)), float(round(y0))
        self._to_ll = pyproj.Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)
        self._from_ll = fwd

    def to_lonlat(self, x, y):
        return self._to_ll.transform(np.asarray(x, float) + self.x0, np.asarray(y, float) + self.y0)

    def to_local(self, lon, lat):
        x, y = self._from_ll.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x) - self.x0, np.asarray(y) - self.y0

    def geom_to_lonlat(self, geom):
        return shapely.transform(geom, lambda c: np.column_stack(self.to_lonlat(c[:, 0], c[:, 1])))

    def geom_to_metric(self, geom):
        return shapely.transform(geom, lambda c: c + np.array([self.x0, self.y0]))


class Waves:
    """A smooth random field: a sum of plane waves (cheap to evaluate anywhere)."""

    def __init__(self, rng, n: int, wl_min: float, wl_max: float, amp: float) -> None:
        wl = np.exp(rng.uniform(np.log(wl_min), np.log(wl_max), n))
        ang = rng.uniform(0, 2 * np.pi, n)
        self.kx = 2 * np.pi / wl * np.cos(ang)
        self.ky = 2 * np.pi / wl * np.sin(ang)
        self.ph = rng.uniform(0, 2 * np.pi, n)
        a = wl / wl.max()
        self.a = amp * a / np.sqrt((a**2).sum() / 2)

    def __call__(self, x, y):
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        out = np.zeros(np.broadcast(x, y).shape)
        for kx, ky, ph, a in zip(self.kx, self.ky, self.ph, self.a, strict=True):
            out += a * np.sin(kx * x + ky * y + ph)
        return out


def smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def catmull_rom(points, n_per_seg: int = 24) -> np.ndarray:
    p = np.asarray(points, float)
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = []
    t = np.linspace(0, 1, n_per_seg, endpoint=False)[:, None]
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    out.append(p[-2][None, :])
    return np.vstack(out)


def resample(coords, step: float) -> np.ndarray:
    c = np.asarray(coords, float)
    seg = np.hypot(*np.diff(c, axis=0).T)
    s = np.concatenate([[0], np.cumsum(seg)])
    if s[-1] == 0:
        return c[[0, -1]]
    n = max(int(np.ceil(s[-1] / step)), 1)
    t = np.linspace(0, s[-1], n + 1)
    return np.column_stack([np.interp(t, s, c[:, 0]), np.interp(t, s, c[:, 1])])


def chaikin(coords, iters: int = 2) -> np.ndarray:
    c = np.asarray(coords, float)
    for _ in range(iters):
        if len(c) < 3:
            return c
        q = 0.75 * c[:-1] + 0.25 * c[1:]
        r = 0.25 * c[:-1] + 0.75 * c[1:]
        mid = np.empty((2 * (len(c) - 1), 2))
        mid[0::2], mid[1::2] = q, r
        c = np.vstack([c[0], mid[1:-1], c[-1]])
    return c


def bezier(p0, p1, p2, n: int = 12) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2 = (np.asarray(p, float) for p in (p0, p1, p2))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def fillet(points, radius: float) -> np.ndarray:
    """Polyline with its corners rounded by quadratic Bézier arcs of about ``radius`` metres."""
    p = np.asarray(points, float)
    out = [p[0]]
    for i in range(1, len(p) - 1):
        a, c, b = p[i - 1], p[i], p[i + 1]
        la, lb = np.hypot(*(a - c)), np.hypot(*(b - c))
        r = min(radius, la / 2.2, lb / 2.2)
        out.extend(bezier(c + (a - c) / la * r, c, c + (b - c) / lb * r, 8))
    out.append(p[-1])
    return np.vstack(out)


def normals(coords) -> np.ndarray:
    c = np.asarray(coords, float)
    d = np.gradient(c, axis=0)
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    return np.column_stack([-d[:, 1], d[:, 0]])


def random_points_in(poly, n: int, rng) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    out = []
    got = 0
    shapely.prepare(poly)
    while got < n:
        k = max(2 * (n - got), 64)
        xy = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        out.append(xy)
        got += len(xy)
    return np.vstack(out)[:n]


def distance_to_line(line: LineString, xy: np.ndarray) -> np.ndarray:
    """``shapely.distance(line, points)``, the same numbers, by a tree of the line's segments.

    (A point's distance to a line is its distance to the nearest segment; a scaled district's
    river is long, and measuring every sample point against all of it is quadratic.)
    """
    c = np.asarray(line.coords)
    tree = STRtree(shapely.linestrings(np.stack([c[:-1], c[1:]], axis=1)))
    _, dist = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    return dist


def polygon_parts(geom) -> list:
    if geom is None or geom.is_empty:
        return []
    return [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and g.area > 0]


def largest_polygon(geom):
    parts = polygon_parts(geom)
    return max(parts, key=lambda g: g.area) if parts else None


class NameGen:
    """Unique two-character fictional names from syllable lists, avoiding real 铜梁 names.

    ``long_after`` (scaled layouts, which need more names than the two-character pool holds
    comfortably): once that many names are taken, names have three characters (two first
    syllables and a second one).
    """

    def __init__(self, rng, *, long_after: int | None = None) -> None:
        self.rng = rng
        self.used: set[str] = set(_REAL_TONGLIANG.split())
        self.long_after = long_after
        self.taken = 0

    def take(self, suffix: str = "", *, first: str = _FIRST, second: str = _SECOND) -> str:
        self.taken += 1
        long = self.long_after is not None and self.taken > self.long_after
        for _ in range(10_000):
            a = first[int(self.rng.integers(len(first)))]
            if long:
                a += first[int(self.rng.integers(len(first)))]
            b = second[int(self.rng.integers(len(second)))]
            if a[-1] == b or (long and a[0] == a[1]):
                continue
            base = a + b
            if base in self.used:
                continue
            self.used.add(base)
            return base + suffix
        raise RuntimeError("ran out of fictional names")


# --------------------------------------------------------------------------------------------
# District outline, rivers, core
# --------------------------------------------------------------------------------------------


def make_boundary(lay: Layout, rng) -> Polygon:
    th = np.linspace(0, 2 * np.pi, 1440, endpoint=False)
    n = 3.2
    c, s = np.cos(th), np.sin(th)
    r = (np.abs(c / lay.half_x_m) ** n + np.abs(s / lay.half_y_m) ** n) ** (-1 / n)
    noise = np.zeros_like(th)
    for k in range(2, 120):
        amp = 0.075 * (k / 2.0) ** -1.05
        noise += amp * np.sin(k * th + rng.uniform(0, 2 * np.pi)) * rng.uniform(0.3, 1.0)
    r = r * (1 + noise)
    poly = Polygon(np.column_stack([r * c, r * s]))
    scale = math.sqrt(lay.area_km2 * 1e6 / poly.area)
    poly = shapely.affinity.scale(poly, scale, scale, origin=(0, 0))
    poly = shapely.set_precision(poly.simplify(8.0), 0.01)
    return shapely.make_valid(poly) if not poly.is_valid else poly


def make_river(points, rng, *, meander_amp: float, calm=None) -> LineString:
    c = resample(catmull_rom(points, 40), 40.0)
    s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))])
    disp = np.zeros(len(c))
    for wl in (2600.0, 1500.0, 900.0):
        disp += meander_amp * (wl / 2600.0) * np.sin(2 * np.pi * s / wl + rng.uniform(0, 2 * np.pi))
    if calm is not None:
        disp *= calm(c)
    c = c + normals(c) * disp[:, None]
    return LineString(resample(chaikin(c, 2), 30.0))


def make_core(lay: Layout, rng) -> Polygon:
    th = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    rho = (
        1
        + 0.07 * np.sin(2 * th + rng.uniform(0, 6.3))
        + 0.05 * np.sin(3 * th + rng.uniform(0, 6.3))
    )
    rho += 0.025 * np.sin(7 * th + rng.uniform(0, 6.3))
    a, b = lay.core_axes
    cx, cy = lay.core_center
    return Polygon(
        np.column_stack([cx + a * rho * np.cos(th), cy + b * rho * np.sin(th)])
    ).simplify(5.0)


@dataclass
class World:
    """Everything generated so far (local metres unless stated)."""

    lay: Layout
    dist: District
    frame: Frame
    district: Polygon
    core: Polygon
    river: LineString
    trib: LineString | None
    banks: list  # list of bank polygons (district split by the rivers)
    west_bank: Polygon  # the half-plane-like region west of the main river (whole DEM box)
    dem: np.ndarray | None = None
    dem_transform: tuple | None = None  # (west, north) of the raster, pixel = ARCSEC
    extras: dict = field(default_factory=dict)

    # DEM sampling -----------------------------------------------------------------------
    def z(self, x, y) -> np.ndarray:
        lon, lat = self.frame.to_lonlat(x, y)
        west, north = self.dem_transform
        col = (np.asarray(lon) - west) / ARCSEC - 0.5
        row = (north - np.asarray(lat)) / ARCSEC - 0.5
        return ndimage.map_coordinates(
            self.extras["_dem_f"], [np.atleast_1d(row), np.atleast_1d(col)], order=1, mode="nearest"
        )

    def river_buffer(self):
        parts = [self.river.buffer(RIVER_HALF_WIDTH_M["main"], quad_segs=4)]
        if self.trib is not None:
            parts.append(self.trib.buffer(RIVER_HALF_WIDTH_M["trib"], quad_segs=4))
        return shapely.unary_union(parts)


def river_side_split(box: Polygon, line: LineString):
    c = np.asarray(line.coords)
    d0 = (c[0] - c[3]) / np.hypot(*(c[0] - c[3]))
    d1 = (c[-1] - c[-4]) / np.hypot(*(c[-1] - c[-4]))
    ext = LineString(np.vstack([c[0] + d0 * 1e5, c, c[-1] + d1 * 1e5]))
    pieces = shapely.get_parts(shapely.polygonize([shapely.unary_union([box.boundary, ext])]))
    if len(pieces) != 2:
        raise RuntimeError("the main river must cut the district in two")
    return sorted(pieces, key=lambda p: p.centroid.x)


# --------------------------------------------------------------------------------------------
# Terrain (DEM)
# --------------------------------------------------------------------------------------------


def fft_noise(
    shape, dx: float, dy: float, wl_min: float, wl_max: float, beta: float, rng
) -> np.ndarray:
    ny, nx = shape
    white = rng.standard_normal(shape)
    fx = np.fft.rfftfreq(nx, dx)
    fy = np.fft.fftfreq(ny, dy)
    f = np.hypot(fx[None, :], fy[:, None])
    amp = np.where((f >= 1 / wl_max) & (f <= 1 / wl_min), np.maximum(f, 1e-12) ** (-beta / 2), 0.0)
    field_ = np.fft.irfft2(np.fft.rfft2(white) * amp, s=shape)
    return (field_ - field_.mean()) / field_.std()


def make_dem(w: World, rng) -> None:
    lay, fr = w.lay, w.frame
    margin = 1800.0
    minx, miny, maxx, maxy = w.district.bounds
    xs = np.array([minx - margin, maxx + margin])
    ys = np.array([miny - margin, maxy + margin])
    lon, lat = fr.to_lonlat(np.repeat(xs, 2), np.tile(ys, 2))
    west = math.floor(min(lon) * 3600) / 3600
    east = math.ceil(max(lon) * 3600) / 3600
    south = math.floor(min(lat) * 3600) / 3600
    north = math.ceil(max(lat) * 3600) / 3600
    nx = round((east - west) * 3600)
    ny = round((north - south) * 3600)
    w.dem_transform = (west, north)
    lons = west + (np.arange(nx) + 0.5) * ARCSEC
    lats = north - (np.arange(ny) + 0.5) * ARCSEC
    LON, LAT = np.meshgrid(lons, lats)
    X, Y = fr.to_local(LON.ravel(), LAT.ravel())
    X = X.reshape(LON.shape)
    Y = Y.reshape(LON.shape)
    dy_m = ARCSEC * 111_000.0
    dx_m = ARCSEC * 111_000.0 * math.cos(math.radians(w.dist.origin_lonlat[1]))

    n1 = fft_noise(X.shape, dx_m, dy_m, 900.0, 22_000.0, 3.0, rng)
    n2 = fft_noise(X.shape, dx_m, dy_m, 150.0, 900.0, 2.2, rng)
    n3 = fft_noise(X.shape, dx_m, dy_m, 500.0, 3000.0, 2.5, rng)
    h = 345.0 + 80.0 * n1 + 32.0 * n3 + 7.0 * n2
    h = 232.0 + np.logaddexp(0.0, (h - 232.0) / 25.0) * 25.0  # soft floor

    # ridges (NE-SW folds of the 川东 parallel ridges)
    for x0, y0, x1, y1, crest, sigma in lay.ridges:
        t, dperp = ridge_coords(x0, y0, x1, y1, X, Y)
        taper = smoothstep(t / 0.2) * smoothstep((1 - t) / 0.2)
        along = 0.9 + 0.06 * np.sin(2 * np.pi * t * 2.3 + 1.1) + 0.04 * np.sin(2 * np.pi * t * 5.1)
        sig = np.where(dperp > 0, sigma, 0.7 * sigma)  # one flank steeper than the other
        bump = np.exp(-((dperp / sig) ** 2)) * taper
        hr = 300.0 + (crest - 300.0) * along * bump + 28.0 * n3 * bump + 16.0 * n2 * np.sqrt(bump)
        k = 40.0
        h = 0.5 * (h + hr + np.sqrt((h - hr) ** 2 + k * k))

    # rivers: rasterise with their water level, then carve valleys by distance
    from affine import Affine
    from rasterio import features

    tr = Affine(ARCSEC, 0.0, west, 0.0, -ARCSEC, north)
    shapes_main, shapes_all = [], []
    lines = [("main", w.river, lay.river_main_levels)]
    if w.trib is not None:
        jl = river_level_at(w, shapely.get_point(w.trib, -1))
        lines.append(("trib", w.trib, (lay.river_trib_level, jl)))
    for kind, line, (l0, l1) in lines:
        c = np.asarray(line.coords)
        s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))])
        lev = l0 + (l1 - l0) * s / s[-1]
        ll = np.column_stack(fr.to_lonlat(c[:, 0], c[:, 1]))
        for i in range(len(c) - 1):
            item = (LineString(ll[i : i + 2]), float(lev[i]))
            shapes_all.append(item)
            if kind == "main":
                shapes_main.append(item)
    lev_all = features.rasterize(
        shapes_all, (ny, nx), transform=tr, all_touched=True, fill=0, dtype="float32"
    )
    on = lev_all > 0
    dist, (ri, ci) = ndimage.distance_transform_edt(~on, sampling=(dy_m, dx_m), return_indices=True)
    L = lev_all[ri, ci]
    main_on = (
        features.rasterize(
            shapes_main, (ny, nx), transform=tr, all_touched=True, fill=0, dtype="float32"
        )
        > 0
    )
    dmain = ndimage.distance_transform_edt(~main_on, sampling=(dy_m, dx_m))
    floor = np.where(dmain <= dist + 1, 220.0, 130.0)
    side = np.where(dmain <= dist + 1, 2300.0, 1500.0)
    v = smoothstep((dist - floor) / side)
    h = L + 5.0 + np.maximum(h - L - 5.0, 0.0) * v
    h = np.where(dist < 45.0, L - 2.0, h)

    # urban core: a low riverside terrace, an escarpment, and an upper terrace (west bank)
    cx, cy = lay.core_center
    a, b = lay.core_axes
    rho = np.hypot((X - cx) / a, (Y - cy) / b)
    wc = 1.0 - smoothstep((rho - 1.05) / 0.55)
    westmask = shapely.contains_xy(w.west_bank, X, Y)
    d = dmain
    g_w = 8.0 + 14.0 * np.minimum(d, 450.0) / 450.0 + 80.0 * smoothstep((d - 450.0) / 200.0)
    g_w += np.minimum(np.maximum(d - 650.0, 0.0) * 0.03, 38.0) + 14.0 * n1 * smoothstep(
        (d - 700.0) / 400.0
    )
    g_e = 8.0 + 68.0 * smoothstep((d - 150.0) / 1700.0) + 7.0 * n1 * smoothstep((d - 400.0) / 600.0)
    park = w.extras.get("park")
    hc = L + np.where(westmask, g_w, g_e)
    if park is not None:
        px, py, pr, ph = park
        hc += ph * np.exp(-(((X - px) ** 2 + (Y - py) ** 2) / pr**2))
    hc = np.where(dmain < 45.0, L - 2.0, hc)
    h = wc * hc + (1 - wc) * h
    h = np.clip(h, 200.0, 905.0)
    w.dem = np.round(h).astype(np.int16)
    w.extras["_dem_f"] = w.dem.astype(float)


def river_level_at(w: World, pt: Point) -> float:
    l0, l1 = w.lay.river_main_levels
    s = w.river.project(pt)
    return l0 + (l1 - l0) * s / w.river.length


def ridge_height(lay: Layout, x, y) -> np.ndarray:
    """Height of the ridge component alone (m above the hills), for tunnels and town siting."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    out = np.zeros(np.broadcast(x, y).shape)
    for x0, y0, x1, y1, crest, sigma in lay.ridges:
        t, dperp = ridge_coords(x0, y0, x1, y1, x, y)
        taper = smoothstep(t / 0.2) * smoothstep((1 - t) / 0.2)
        sig = np.where(dperp > 0, sigma, 0.7 * sigma)
        out = np.maximum(out, (crest - 300.0) * np.exp(-((dperp / sig) ** 2)) * taper)
    return out


def ridge_coords(x0, y0, x1, y1, x, y):
    """Position along a ridge (0..1) and signed distance from its slightly wavy crest line (m)."""
    vx, vy = x1 - x0, y1 - y0
    length = math.hypot(vx, vy)
    t = ((x - x0) * vx + (y - y0) * vy) / length**2
    cross = ((x - x0) * vy - (y - y0) * vx) / length
    wiggle = 420.0 * np.sin(2 * np.pi * t * 1.6 + 0.7) + 160.0 * np.sin(2 * np.pi * t * 4.3 + 2.0)
    dperp = cross - wiggle
    tc = np.clip(t, 0, 1)
    beyond = np.hypot(np.maximum(-t, 0) * length, np.maximum(t - 1, 0) * length)
    del tc
    return t, np.sign(dperp) * np.hypot(dperp, beyond)


def build_world(lay: Layout, dist: District, rng) -> World:
    frame = Frame(dist.origin_lonlat)
    district = make_boundary(lay, rng)
    core = make_core(lay, rng).intersection(district)
    cx, cy = lay.core_center
    a, b = lay.core_axes

    def calm(c):
        rho = np.hypot((c[:, 0] - cx) / a, (c[:, 1] - cy) / b)
        return 0.3 + 0.7 * smoothstep((rho - 0.9) / 0.6)

    amp = 260.0 if lay.variant == "full" else 120.0
    river = make_river(lay.river_main, rng, meander_amp=amp, calm=calm)
    trib = None
    if lay.river_trib is not None:
        end = Point(lay.river_trib[-1])
        junction = river.interpolate(river.project(end))
        pts = [*lay.river_trib[:-1], (junction.x, junction.y)]
        t = make_river(pts, rng, meander_amp=150.0)
        c = np.asarray(t.coords)
        c[-1] = (junction.x, junction.y)
        trib = LineString(c)
        # cut the tributary where it first meets the main river's buffer, then end on the river
        hit = trib.intersection(river.buffer(1.0))
        if not hit.is_empty:
            s_first = min(trib.project(Point(q)) for g in shapely.get_parts(hit) for q in g.coords)
            trib = shapely.ops.substring(trib, 0, max(s_first - 1.0, 0))
            c = np.vstack([np.asarray(trib.coords), [junction.x, junction.y]])
            trib = LineString(c)
        # the main river gets the junction as a vertex, so that the two can share a node
        rc = np.asarray(river.coords)
        s_all = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(rc, axis=0).T))])
        k = int(np.searchsorted(s_all, river.project(junction)))
        river = LineString(np.vstack([rc[:k], [junction.x, junction.y], rc[k:]]))
    minx, miny, maxx, maxy = district.bounds
    box = shapely.box(minx - 6000, miny - 6000, maxx + 6000, maxy + 6000)
    sides = river_side_split(box, river)
    west_bank = sides[0]
    lines = [district.exterior, river] + ([trib] if trib is not None else [])
    faces = shapely.get_parts(shapely.polygonize([shapely.unary_union(lines, grid_size=0.01)]))
    banks = [f for f in faces if district.contains(f.representative_point()) and f.area > 1e4]
    banks.sort(key=lambda f: -f.area)
    w = World(lay, dist, frame, district, core, river, trib, banks, west_bank)
    # a park hill on the west upper terrace of the core
    rp = river.interpolate(river.project(Point(lay.core_center)))
    park = (rp.x - (1650.0 if lay.variant == "full" else 1150.0), rp.y + 300.0)
    w.extras["park"] = (park[0], park[1], 320.0 if lay.variant == "full" else 230.0, 55.0)
    return w


# --------------------------------------------------------------------------------------------
# Communities (社区/村) and streets/towns (街道/镇)
# --------------------------------------------------------------------------------------------


@dataclass
class Community:
    idx: int
    kind: str  # "社区" | "村"
    role: str  # "core" | "fringe" | "seat" | "village"
    seed: tuple[float, float]
    geom: Polygon | None = None
    unit: int = -1
    code: str = ""
    name: str = ""
    pop: int = 0
    p60: int = 0
    p65: int = 0
    p80: int = 0
    groups: dict = field(default_factory=dict)
    hh_size: float = 2.6


@dataclass
class Unit:
    idx: int
    kind: str  # "街道" | "镇"
    seat: tuple[float, float]
    code: str = ""
    name: str = ""
    geom: Polygon | None = None
    members: list = field(default_factory=list)


def lloyd(samples, weights, fixed, n_free: int, rng, iters: int = 25) -> np.ndarray:
    fixed = np.asarray(fixed, float).reshape(-1, 2)
    if n_free <= 0:
        return fixed
    pick = rng.choice(len(samples), size=n_free, replace=False, p=weights / weights.sum())
    free = samples[pick].copy()
    for _ in range(iters):
        seeds = np.vstack([fixed, free])
        _, idx = cKDTree(seeds).query(samples)
        idx -= len(fixed)
        ok = idx >= 0
        wsum = np.bincount(idx[ok], weights[ok], minlength=n_free)
        mx = np.bincount(idx[ok], weights[ok] * samples[ok, 0], minlength=n_free)
        my = np.bincount(idx[ok], weights[ok] * samples[ok, 1], minlength=n_free)
        has = wsum > 0
        free[has] = np.column_stack([mx[has] / wsum[has], my[has] / wsum[has]])
    return np.vstack([fixed, free])


def allocate(total: int, weights) -> np.ndarray:
    """Largest-remainder apportionment of ``total`` to ``weights``."""
    weights = np.asarray(weights, float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), int)
    q = weights / weights.sum() * total
    out = np.floor(q).astype(int)
    rest = total - out.sum()
    order = np.lexsort((np.arange(len(q)), -(q - out)))
    out[order[:rest]] += 1
    return out


def place_towns(w: World, rng) -> np.ndarray:
    lay = w.lay
    big = lay.variant == "full"
    allowed = w.district.buffer(-1500.0 if big else -700.0).difference(
        w.core.buffer(4800.0 if big else 1300.0)
    )
    samples = random_points_in(allowed, lay.count(30000 if big else 4000), rng)
    centres = lloyd(samples, np.ones(len(samples)), np.empty((0, 2)), lay.n_towns, rng, iters=30)
    rb = w.river_buffer().buffer(850.0 if big else 450.0)
    shapely.prepare(rb)
    shapely.prepare(allowed)
    out = []
    r = 1600.0 if big else 600.0
    g = np.linspace(-r, r, 17)
    gx, gy = np.meshgrid(g, g)
    for cx, cy in centres:
        px, py = cx + gx.ravel(), cy + gy.ravel()
        z = w.z(px, py)
        pen = 0.035 * np.hypot(px - cx, py - cy) + 3.0 * ridge_height(lay, px, py)
        pen += np.where(shapely.contains_xy(rb, px, py), 1e4, 0.0)
        pen += np.where(shapely.contains_xy(allowed, px, py), 0.0, 1e4)
        k = int(np.argmin(z + pen))
        out.append((px[k], py[k]))
    return np.array(out)


def exact_tiling(cells, seeds_of_cells, outline) -> list:
    """Re-node cell boundaries so that cells tile ``outline`` exactly; returns faces per cell."""
    lines = [outline.boundary] + [c.boundary for c in cells]
    noded = shapely.unary_union(lines, grid_size=0.01)
    faces = [f for f in shapely.get_parts(shapely.polygonize([noded])) if f.area > 0]
    faces = [f for f in faces if outline.contains(f.representative_point())]
    tree = STRtree(cells)
    reps = [f.representative_point() for f in faces]
    pairs = tree.query(reps, predicate="within")
    owner = np.full(len(faces), -1)
    owner[pairs[0]] = pairs[1]
    return faces, owner


def partition(w: World, rng):
    lay = w.lay
    big = lay.variant == "full"
    towns = place_towns(w, rng)
    seat_seeds = [tuple(t) for t in towns]
    second = []
    for i in range(lay.n_towns_two_communities):
        t = towns[i * (lay.n_towns // max(lay.n_towns_two_communities, 1))]
        ang = rng.uniform(0, 2 * np.pi)
        second.append((t[0] + 950.0 * np.cos(ang), t[1] + 950.0 * np.sin(ang)))
    rural = w.district.difference(w.core)
    cells, cell_seed = [], []
    communities: list[Community] = []

    def add_comm(kind, role, seed):
        communities.append(
            Community(len(communities), kind, role, (float(seed[0]), float(seed[1])))
        )
        return len(communities) - 1

    rp = w.river
    for layer, region, n_total in (
        ("core", w.core, lay.n_core_communities),
        ("rural", rural, lay.n_fringe_villages + lay.n_rural_villages),
    ):
        pieces = [g for bank in w.banks for g in polygon_parts(region.intersection(bank))]
        pieces = [p for p in pieces if p.area > 2e4]
        if layer == "core":
            samp = [random_points_in(p, lay.count(6000 if big else 3000), rng) for p in pieces]
            dens = [1.0 + 4.0 * np.exp(-distance_to_line(rp, s) / 1300.0) for s in samp]
            mass = np.array([p.area * d.mean() for p, d in zip(pieces, dens, strict=True)])
        else:
            samp = [random_points_in(p, max(int(p.area / 2.5e4), 50), rng) for p in pieces]
            dens = [np.ones(len(s)) for s in samp]
            mass = np.array([p.area for p in pieces])
        n_alloc = allocate(n_total, mass)
        for piece, s, d, n in zip(pieces, samp, dens, n_alloc, strict=True):
            fixed_all = [] if layer == "core" else seat_seeds + second
            fixed = [f for f in fixed_all if piece.contains(Point(f))]
            seeds = lloyd(s, d, fixed, int(n), rng)
            ids = []
            for k, sd in enumerate(seeds):
                if layer == "core":
                    ids.append(add_comm("社区", "core", sd))
                elif k < len(fixed):
                    role = "seat" if tuple(fixed[k]) in seat_seeds else "seat2"
                    ids.append(add_comm("社区", role, sd))
                else:
                    ids.append(add_comm("村", "village", sd))
            if len(seeds) == 1:
                vor = [piece]
                vmap = [0]
            else:
                vc = shapely.get_parts(
                    shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=piece)
                )
                vtree = STRtree(vc)
                pairs = vtree.query(shapely.points(seeds), predicate="within")
                vmap_arr = np.full(len(seeds), -1)
                vmap_arr[pairs[0]] = pairs[1]
                vor, vmap = [], []
                for k in range(len(seeds)):
                    vor.append(vc[vmap_arr[k]].intersection(piece))
                    vmap.append(k)
            for k, cgeom in zip(vmap, vor, strict=True):
                for part in polygon_parts(cgeom):
                    cells.append(part)
                    cell_seed.append(ids[k])
    faces, owner = exact_tiling(cells, cell_seed, w.district)
    by_comm = defaultdict(list)
    orphans = []
    for f, o in zip(faces, owner, strict=True):
        if o < 0:
            orphans.append(f)
        else:
            by_comm[cell_seed[o]].append(f)
    for c in communities:
        geom = shapely.unary_union(by_comm.get(c.idx, []))
        parts = polygon_parts(geom)
        if not parts:
            c.geom = None
            continue
        seedp = Point(c.seed)
        main = next((p for p in parts if p.covers(seedp)), max(parts, key=lambda g: g.area))
        c.geom = main
        orphans.extend(p for p in parts if p is not main)
    communities = [c for c in communities if c.geom is not None]
    merge_orphans(communities, orphans)
    for i, c in enumerate(communities):
        c.idx = i
    return communities, towns


def merge_orphans(comms: list[Community], orphans) -> None:
    pending = list(orphans)
    for _ in range(20):
        if not pending:
            return
        tree = STRtree([c.geom for c in comms])
        left = []
        for f in pending:
            best, best_len = None, 0.0
            for j in tree.query(f, predicate="intersects"):
                shared = f.boundary.intersection(comms[j].geom.boundary).length
                if shared > best_len:
                    best, best_len = j, shared
            if best is None:
                left.append(f)
                continue
            merged = shapely.unary_union([comms[best].geom, f], grid_size=0.01)
            comms[best].geom = largest_polygon(merged) if merged.geom_type != "Polygon" else merged
        pending = left
    if pending:
        raise RuntimeError(f"{len(pending)} partition fragments could not be merged")


def split_streets(w: World, core: list[Community], n_streets: int) -> None:
    """Share the core 社区 of a scaled layout among ``n_streets`` 街道 (sets ``unit``).

    Each bank of the river gets 街道 in proportion to its core 社区 (at least one where it has
    any); a bank's 社区 are then cut into compact groups of nearly equal size by recursive
    bisection of their seeds along the longer extent. (The unscaled layouts use the hand-drawn
    rule of :func:`assign_units` instead.)
    """
    by_bank: dict[int, list[Community]] = defaultdict(list)
    for c in core:
        p = Point(c.seed)
        by_bank[next((i for i, b in enumerate(w.banks) if b.covers(p)), -1)].append(c)
    banks = sorted(by_bank)
    sizes = np.array([len(by_bank[b]) for b in banks], float)
    share = np.ones(len(banks), int) + allocate(n_streets - len(banks), sizes)
    next_unit = 0

    def cut(members: list[Community], k: int) -> None:
        nonlocal next_unit
        if k <= 1 or len(members) <= 1:
            for c in members:
                c.unit = next_unit
            next_unit += 1
            return
        xy = np.array([c.seed for c in members])
        axis = int(np.ptp(xy[:, 1]) > np.ptp(xy[:, 0]))
        order = sorted(members, key=lambda c: (c.seed[axis], c.seed[1 - axis], c.idx))
        k0 = k // 2
        n0 = round(len(order) * k0 / k)
        cut(order[:n0], k0)
        cut(order[n0:], k - k0)

    for b, k in zip(banks, share, strict=True):
        cut(by_bank[b], int(k))
    if next_unit != n_streets:
        raise RuntimeError(f"{next_unit} 街道 drawn for {n_streets}: too few core 社区")


def assign_units(w: World, comms: list[Community], towns: np.ndarray, rng, names: NameGen):
    lay = w.lay
    big = lay.variant == "full"
    cy = lay.core_center[1]
    core = [c for c in comms if c.role == "core"]
    n_streets = lay.count(4 if big else 1)
    units = [Unit(i, "街道", (0.0, 0.0)) for i in range(n_streets)]
    shapely.prepare(w.west_bank)
    if lay.scale != 1.0:
        split_streets(w, core, n_streets)
    else:
        for c in core:
            p = Point(c.seed)
            if not big:
                c.unit = 0
            elif not w.west_bank.contains(p):
                c.unit = 3
            elif w.river.distance(p) >= 1400.0:
                c.unit = 2
            else:
                c.unit = 0 if c.seed[1] >= cy else 1
    # fringe villages: the villages along the core edge
    villages = [c for c in comms if c.role == "village"]
    border = [
        (c.geom.boundary.intersection(w.core.boundary).length, -c.geom.distance(w.core), c.idx)
        for c in villages
    ]
    border.sort(key=lambda t: (-t[0], -t[1], t[2]))
    fringe_ids = {t[2] for t in border[: lay.n_fringe_villages]}
    core_tree = STRtree([c.geom for c in core])
    for c in villages:
        if c.idx in fringe_ids:
            c.role = "fringe"
            best, best_len = None, -1.0
            for j in core_tree.query(c.geom.buffer(1.0)):
                shared = c.geom.boundary.intersection(core[j].geom.boundary).length
                if shared > best_len:
                    best, best_len = core[j], shared
            if best is None or best_len <= 0:
                best = min(core, key=lambda k: k.geom.distance(c.geom))
            c.unit = best.unit
    for t in towns:
        units.append(Unit(len(units), "镇", (float(t[0]), float(t[1]))))
    town_units = units[n_streets:]
    bank_of = {}
    for c in comms:
        p = Point(c.seed)
        bank_of[c.idx] = next((i for i, b in enumerate(w.banks) if b.covers(p)), -1)
    seat_bank = [
        next((i for i, b in enumerate(w.banks) if b.covers(Point(u.seat))), -1) for u in town_units
    ]
    for c in comms:
        if c.role == "seat":
            c.unit = next(u.idx for u in town_units if u.seat == c.seed)
        elif c.role in ("seat2", "village"):
            d = np.array(
                [math.hypot(c.seed[0] - u.seat[0], c.seed[1] - u.seat[1]) for u in town_units]
            )
            d += np.array(
                [0.0 if seat_bank[k] == bank_of[c.idx] else 3500.0 for k in range(len(town_units))]
            )
            c.unit = town_units[int(np.argmin(d))].idx
    repair_contiguity(comms, units)
    # seats of 街道: the core 社区 nearest to the middle of the 街道's 社区
    for u in units[:n_streets]:
        mem = [c for c in comms if c.unit == u.idx and c.kind == "社区"]
        mid = shapely.unary_union([c.geom for c in mem]).centroid
        u.seat = min(mem, key=lambda c: Point(c.seed).distance(mid)).seed
    # order towns north to south in bands, west to east within a band, and give codes
    street_order = list(range(n_streets))
    town_order = sorted(
        range(n_streets, len(units)),
        key=lambda i: (-round(units[i].seat[1] / (8000.0 if big else 3000.0)), units[i].seat[0]),
    )
    remap = {old: new for new, old in enumerate(street_order + town_order)}
    units = [units[i] for i in street_order + town_order]
    for c in comms:
        c.unit = remap[c.unit]
    for i, u in enumerate(units):
        u.idx = i
        if u.kind == "街道":
            u.code = f"{w.dist.code}{i + 1:03d}"
            u.name = names.take("街道")
        else:
            u.code = f"{w.dist.code}{101 + i - n_streets:03d}"
            u.name = names.take("镇")
        u.members = [c for c in comms if c.unit == i]
        u.geom = shapely.unary_union([c.geom for c in u.members])
    # community codes and names
    for u in units:
        sx, sy = u.seat
        shequ = sorted(
            (c for c in u.members if c.kind == "社区"),
            key=lambda c: (c.role not in ("seat",), math.hypot(c.seed[0] - sx, c.seed[1] - sy)),
        )
        cun = sorted(
            (c for c in u.members if c.kind == "村"),
            key=lambda c: (math.atan2(c.seed[0] - sx, c.seed[1] - sy) % (2 * math.pi), c.idx),
        )
        k = 1
        for c in shequ:
            c.code = f"{u.code}{k:03d}"
            k += 1 + int(rng.random() < 0.08)
            if c.role == "seat":
                c.name = u.name[:-1] + "社区"
            else:
                c.name = names.take("社区")
        k = 200
        for c in cun:
            c.code = f"{u.code}{k:03d}"
            k += 1 + int(rng.random() < 0.08)
            c.name = names.take("村")
        if k > 399 or any(int(c.code[-3:]) > 199 for c in shequ):
            raise RuntimeError(f"too many communities in {u.name} for the NBS code ranges")
    comms.sort(key=lambda c: c.code)
    for i, c in enumerate(comms):
        c.idx = i
    return units


def repair_contiguity(comms: list[Community], units: list[Unit]) -> None:
    """Reassign communities cut off from the rest of their 街道/镇 to the neighbour they share most with."""
    for _ in range(30):
        changed = False
        tree = STRtree([c.geom for c in comms])
        for u in units:
            mem = [c for c in comms if c.unit == u.idx]
            parts = polygon_parts(shapely.unary_union([c.geom for c in mem], grid_size=0.01))
            if len(parts) <= 1:
                continue
            seat = Point(u.seat) if u.kind == "镇" else None
            main = max(parts, key=lambda g: (seat is not None and g.covers(seat), g.area))
            shapely.prepare(main)
            for c in mem:
                if main.covers(c.geom.representative_point()) or c.role == "seat":
                    continue
                best, best_len = None, 0.0
                for j in tree.query(c.geom, predicate="intersects"):
                    o = comms[j]
                    if o.unit == u.idx:
                        continue
                    if c.role == "core" and units[o.unit].kind != "街道":
                        continue
                    shared = c.geom.boundary.intersection(o.geom.boundary).length
                    if shared > best_len:
                        best, best_len = o.unit, shared
                if best is not None:
                    c.unit = best
                    changed = True
        if not changed:
            return
    raise RuntimeError("could not make every 街道/镇 contiguous")


def populate(w: World, comms: list[Community], rng) -> None:
    lay = w.lay
    areas = np.array([c.geom.area for c in comms])
    roles = np.array([c.role for c in comms])
    pop = np.zeros(len(comms))
    share = np.zeros(len(comms))
    dist_river = np.array([w.river.distance(Point(c.seed)) for c in comms])
    west = np.array([w.west_bank.contains(Point(c.seed)) for c in comms])
    for i, c in enumerate(comms):
        if c.role == "core":
            dens = 1.0 + 0.25 * math.exp(-dist_river[i] / 900.0)
            pop[i] = (
                lay.pop_core_mean
                * dens
                * math.exp(rng.normal(0, 0.18))
                * (areas[i] / 6.3e5) ** 0.15
            )
            share[i] = (
                0.20
                + 0.025 * math.exp(-dist_river[i] / 700.0) * (1 if west[i] else 0.3)
                - (0.0 if west[i] else 0.015)
            )
            share[i] += rng.normal(0, 0.015)
            c.hh_size = PERSONS_PER_HOUSEHOLD["社区"]
        elif c.role in ("seat", "seat2"):
            pop[i] = (
                lay.pop_town_mean
                * (0.8 if c.role == "seat2" else 1.0)
                * math.exp(rng.normal(0, 0.2))
            )
            share[i] = 0.26 + rng.normal(0, 0.015)
            c.hh_size = PERSONS_PER_HOUSEHOLD["社区"]
        else:
            med = np.median(areas[roles == "village"]) if (roles == "village").any() else areas[i]
            pop[i] = lay.pop_village_mean * (areas[i] / med) ** 0.35 * math.exp(rng.normal(0, 0.14))
            if c.role == "fringe":
                pop[i] *= 1.15
            share[i] = (0.30 if c.role == "fringe" else 0.33) + rng.normal(0, 0.02)
            c.hh_size = PERSONS_PER_HOUSEHOLD["村"]
    lo = np.where(roles == "core", 4000, np.where(np.isin(roles, ["seat", "seat2"]), 2500, 800))
    hi = np.where(roles == "core", 9000, np.where(np.isin(roles, ["seat", "seat2"]), 7000, 1600))
    for _ in range(8):
        pop = np.clip(pop * lay.pop_total / pop.sum(), lo, hi)
    pop_i = allocate(lay.pop_total, pop)
    share = np.clip(share, 0.12, 0.42)
    target60 = round(lay.pop_total * 0.2608)
    for _ in range(6):
        share = np.clip(share * target60 / (share * pop_i).sum(), 0.12, 0.42)
    p60 = allocate(target60, share * pop_i)
    p60 = np.minimum(p60, pop_i)
    r65 = np.clip(rng.normal(0.8037, 0.015, len(comms)), 0.74, 0.86)
    r80 = np.clip(
        rng.normal(0.142, 0.012, len(comms)) + np.where(roles == "village", 0.006, -0.004),
        0.09,
        0.2,
    )
    p65 = np.minimum(np.round(p60 * r65).astype(int), p60)
    p80 = np.minimum(np.round(p60 * r80).astype(int), p65)
    rates = {
        "core": (0.055, 0.006, 0.065),
        "seat": (0.06, 0.011, 0.08),
        "seat2": (0.06, 0.011, 0.08),
        "fringe": (0.062, 0.014, 0.09),
        "village": (0.066, 0.016, 0.096),
    }
    for i, c in enumerate(comms):
        c.pop, c.p60, c.p65, c.p80 = int(pop_i[i]), int(p60[i]), int(p65[i]), int(p80[i])
        r_dis, r_poor, r_alone = rates[c.role]
        n_dis = int(rng.binomial(c.p60, r_dis * math.exp(rng.normal(0, 0.12))))
        n_poor = int(rng.binomial(c.p60, r_poor * math.exp(rng.normal(0, 0.2))))
        n_alone = int(rng.binomial(c.p60, r_alone * math.exp(rng.normal(0, 0.12))))
        n_full = int(rng.binomial(n_dis, 0.4))
        n_solo = int(rng.binomial(n_alone, 0.35))
        c.groups = {
            "失能": n_full,
            "半失能": n_dis - n_full,
            "特困": n_poor,
            "独居": n_solo,
            "空巢": n_alone - n_solo,
        }


# --------------------------------------------------------------------------------------------
# Road network: ways in local metres, noded later
# --------------------------------------------------------------------------------------------


@dataclass
class Way:
    coords: np.ndarray
    tags: dict
    sep: bool = False  # grade-separated (bridge, motorway, ramp): shares nodes only at its ends
    group: str = ""
    ends: tuple = (-1, -1)  # routing cells at the two ends (rural roads)


ROAD_RANK = {
    "primary": 6,
    "secondary": 5,
    "tertiary": 4,
    "unclassified": 3,
    "residential": 3,
    "living_street": 2,
    "track": 1,
    "path": 0,
}


def warp_field(rng, amp: float, wl: tuple[float, float] = (500.0, 2200.0)):
    fx = Waves(rng, 6, wl[0], wl[1], amp)
    fy = Waves(rng, 6, wl[0], wl[1], amp)
    return lambda x, y: (fx(x, y), fy(x, y))


def grade_of(w: World, coords) -> tuple[float, float]:
    c = np.asarray(coords)
    z = w.z(c[:, 0], c[:, 1])
    seg = np.hypot(*np.diff(c, axis=0).T)
    total = max(seg.sum(), 1e-6)
    seg_grade = np.abs(np.diff(z)) / np.maximum(seg, 1e-6)
    return abs(z[-1] - z[0]) / total, float(seg_grade.max()) if len(seg_grade) else 0.0


def parallel_to_any(coords, avoid: list, *, within: float = 28.0, cos_min: float = 0.85) -> bool:
    a, b = np.asarray(coords[0]), np.asarray(coords[-1])
    d = b - a
    n = math.hypot(*d)
    if n == 0:
        return False
    d /= n
    mid = LineString(coords).interpolate(0.5, normalized=True)
    for line in avoid:
        if line.distance(mid) > within:
            continue
        s = line.project(mid)
        p0 = line.interpolate(max(s - 10.0, 0))
        p1 = line.interpolate(min(s + 10.0, line.length))
        e = np.array([p1.x - p0.x, p1.y - p0.y])
        if np.hypot(*e) == 0:
            continue
        if abs(float(np.dot(d, e / np.hypot(*e)))) >= cos_min:
            return True
    return False


def grid_fabric(
    w: World,
    region,
    rng,
    names: NameGen,
    *,
    angle: float,
    su: float,
    sv: float,
    warp_amp: float,
    drop: float,
    steps_p: float,
    group: str,
    avoid_lines: list = (),
    avoid_areas=None,
    line_classes: dict | None = None,
    suffixes: dict | None = None,
    living_p: float = 0.0,
    name_p: float = 1.0,
):
    """A warped, slightly irregular street grid clipped to ``region``.

    Returns the ways and the grid junctions (x, y, degree) for attaching other roads.
    """
    ca, sa = math.cos(angle), math.sin(angle)
    ox, oy = region.centroid.x, region.centroid.y
    ext = np.asarray(region.envelope.exterior.coords)
    hull = np.asarray(region.convex_hull.exterior.coords) if region.area > 0 else ext
    u = (hull[:, 0] - ox) * ca + (hull[:, 1] - oy) * sa
    v = -(hull[:, 0] - ox) * sa + (hull[:, 1] - oy) * ca
    us = [u.min() - su * rng.uniform(0.2, 0.9)]
    while us[-1] < u.max() + su:
        us.append(us[-1] + su * rng.uniform(0.75, 1.25))
    vs = [v.min() - sv * rng.uniform(0.2, 0.9)]
    while vs[-1] < v.max() + sv:
        vs.append(vs[-1] + sv * rng.uniform(0.75, 1.25))
    us, vs = np.array(us), np.array(vs)
    warp = warp_field(rng, warp_amp)

    def to_xy(uu, vv):
        x = ox + uu * ca - vv * sa
        y = oy + uu * sa + vv * ca
        dx, dy = warp(x, y)
        return np.column_stack([x + dx, y + dy])

    reg_buf = region.buffer(12.0)
    shapely.prepare(reg_buf)
    line_classes = line_classes or {}
    suffixes = suffixes or {}
    edges = []  # (line_key, order, coords)
    for i, vv in enumerate(vs):  # rows: constant v, along u
        for j in range(len(us) - 1):
            uu = np.linspace(us[j], us[j + 1], 4)
            edges.append((("r", i), j, to_xy(uu, np.full(4, vv)), (i, j), (i, j + 1)))
    for j, uu in enumerate(us):  # columns: constant u, along v
        for i in range(len(vs) - 1):
            vv = np.linspace(vs[i], vs[i + 1], 4)
            edges.append((("c", j), i, to_xy(np.full(4, uu), vv), (i, j), (i + 1, j)))
    geoms = shapely.linestrings([e[2] for e in edges])
    clipped = shapely.intersection(geoms, reg_buf)
    kept = defaultdict(list)
    node_deg = defaultdict(int)
    node_xy = {}
    avoid_prep = avoid_areas
    if avoid_prep is not None:
        shapely.prepare(avoid_prep)
    for (key, order, coords, na, nb), g in zip(edges, clipped, strict=True):
        if g.is_empty:
            continue
        if g.geom_type != "LineString":
            parts = [p for p in shapely.get_parts(g) if p.geom_type == "LineString"]
            if not parts:
                continue
            g = max(parts, key=lambda p: p.length)
        if g.length < 4.0:
            continue
        c = np.asarray(g.coords)
        if avoid_prep is not None and avoid_prep.intersects(Point(c[len(c) // 2])):
            continue
        if avoid_lines and parallel_to_any(c, avoid_lines):
            continue
        if rng.random() < drop:
            continue
        kind = "road"
        c = resample(c, 45.0) if len(c) < 3 else c
        overall, steepest = grade_of(w, c)
        if overall > 0.16 or steepest > 0.22:
            if rng.random() < steps_p and g.length > 25.0:
                kind = "steps"
            else:
                continue
        kept[key].append((order, c, kind))
        full = g.length > 0.97 * LineString(coords).length
        if full:
            for n, p in ((na, coords[0]), (nb, coords[-1])):
                node_deg[n] += 1
                node_xy[n] = p
    ways = []
    for key in sorted(kept):
        parts = sorted(kept[key], key=lambda t: t[0])
        hw = line_classes.get(key, "residential")
        if hw == "residential" and rng.random() < living_p:
            hw = "living_street"
        name = None
        if rng.random() < name_p or hw != "residential":
            name = names.take(suffixes.get(hw, "街"))
        run, last_order, last_kind = [], None, None
        for order, c, kind in [*parts, (None, None, None)]:
            contiguous = (
                last_order is not None
                and order == last_order + 1
                and kind == last_kind == "road"
                and np.allclose(run[-1][-1], c[0])
                and len(run) < 12
            )
            if run and not contiguous:
                coords = np.vstack([run[0]] + [r[1:] for r in run[1:]])
                if last_kind == "steps":
                    ways.append(Way(coords, {"highway": "steps"}, group=group))
                else:
                    tags = {"highway": hw}
                    if name:
                        tags["name"] = name
                    if hw in ("primary", "secondary"):
                        tags["sidewalk"] = "both"
                    ways.append(Way(coords, tags, group=group))
                run = []
            if order is None:
                break
            run.append(c)
            last_order, last_kind = order, kind
    junctions = [(node_xy[n][0], node_xy[n][1], d) for n, d in sorted(node_deg.items())]
    return ways, junctions


def smooth_river(w: World, region=None) -> LineString:
    line = w.river
    if region is not None:
        piece = line.intersection(region.buffer(2500.0))
        line = max(shapely.get_parts(piece), key=lambda g: g.length) if not piece.is_empty else line
    c = chaikin(np.asarray(line.simplify(40.0).coords), 3)
    return LineString(resample(c, 25.0))


def offset_west(w: World, line: LineString, d: float) -> LineString:
    """Parallel of ``line`` at ``d`` metres on the west bank (negative d: east bank)."""
    left = line.offset_curve(abs(d), quad_segs=4, join_style="round")
    probe = left.interpolate(0.5, normalized=True)
    left_is_west = w.west_bank.contains(probe)
    if (d > 0) == left_is_west:
        return left
    return line.offset_curve(-abs(d), quad_segs=4, join_style="round")


def river_frame(line: LineString, w: World, s: float, d: float) -> np.ndarray:
    """Point at arc length ``s`` along ``line`` moved ``d`` metres towards the west bank."""
    s = float(np.clip(s, 0, line.length))
    p = line.interpolate(s)
    a = line.interpolate(max(s - 20.0, 0))
    b = line.interpolate(min(s + 20.0, line.length))
    t = np.array([b.x - a.x, b.y - a.y])
    t /= np.hypot(*t)
    n = np.array([-t[1], t[0]])
    if not w.west_bank.contains(Point(p.x + 200 * n[0], p.y + 200 * n[1])):
        n = -n
    return np.array([p.x, p.y]) + d * n


def make_bridge(w: World, river: str, near) -> tuple[np.ndarray, np.ndarray]:
    line = w.river if river == "main" else w.trib
    s = line.project(Point(near))
    p = line.interpolate(s)
    a = line.interpolate(max(s - 60.0, 0))
    b = line.interpolate(min(s + 60.0, line.length))
    t = np.array([b.x - a.x, b.y - a.y])
    t /= np.hypot(*t)
    n = np.array([-t[1], t[0]])
    e = BRIDGE_END_M[river]
    return np.array([p.x, p.y]) - e * n, np.array([p.x, p.y]) + e * n


def steps_flights(coords, w: World, *, flight_m: float = 45.0) -> list[np.ndarray]:
    c = resample(coords, 5.0)
    line = LineString(c)
    n = max(1, round(line.length / flight_m))
    cuts = np.linspace(0, line.length, n + 1)
    out = []
    for a, b in pairwise(cuts):
        seg = shapely.ops.substring(line, a, b)
        out.append(np.asarray(seg.coords)[[0, -1]])
    return out


def core_fabric(w: World, rng, names: NameGen):
    lay = w.lay
    big = lay.variant == "full"
    ways: list[Way] = []
    core = w.core
    rs = smooth_river(w, core)
    rbuf = w.river_buffer()
    west_core = core.intersection(w.west_bank)
    east_core = core.difference(w.west_bank)
    # bridges in the core and their approach roads
    bridges = []
    approaches = []
    for y in lay.core_bridge_y:
        c = np.asarray(rs.coords)
        k = int(np.argmin(np.abs(c[:, 1] - y)))
        a, b = make_bridge(w, "main", c[k])
        if not w.west_bank.contains(Point(a)):
            a, b = b, a
        base = names.take("")
        bridges.append((a, b, base))
        dir_w = (a - b) / np.hypot(*(a - b))
        far_w = a + dir_w * (430.0 - BRIDGE_END_M["main"])
        far_e = b - dir_w * (1000.0 if big else 650.0)
        approaches.append(LineString([far_w, a]))
        approaches.append(LineString([b, far_e]))
        tags = {"highway": "primary", "name": base + "路", "sidewalk": "both"}
        ways.append(Way(resample([far_w, a], 40.0), dict(tags), group="core"))
        ways.append(Way(resample([b, far_e], 40.0), dict(tags), group="core"))
        ways.append(
            Way(
                np.array([a, b]),
                {
                    "highway": "primary",
                    "name": base + "大桥",
                    "bridge": "yes",
                    "layer": "1",
                    "sidewalk": "both",
                },
                sep=True,
                group="bridge",
            )
        )
    # riverside roads, promenade and its connectors
    for side in (1, -1):
        road = offset_west(w, rs, side * 92.0).intersection(core)
        nm = "滨江西路" if side > 0 else "滨江东路"
        for part in shapely.get_parts(road):
            if part.geom_type == "LineString" and part.length > 100:
                tags = {"highway": "secondary", "name": nm, "sidewalk": "both"}
                ways.append(Way(resample(part.coords, 40.0), tags, group="core"))
    prom = offset_west(w, rs, 66.0).intersection(core.buffer(-30.0))
    for part in shapely.get_parts(prom):
        if part.geom_type == "LineString" and part.length > 150:
            pc = resample(part.coords, 30.0)
            ways.append(Way(pc, {"highway": "footway", "name": "滨江步道"}, group="core"))
            step = 12 if big else 8
            for k in range(step // 2, len(pc) - 1, step):
                s = rs.project(Point(pc[k]))
                q = river_frame(rs, w, s, 97.0)
                ways.append(Way(np.array([pc[k], q]), {"highway": "footway"}, group="core"))
    # seam road between the old town and the upper town (full variant)
    seam = None
    if big:
        seam = offset_west(w, rs, 1400.0).intersection(core)
        nm = names.take("大道")
        for part in shapely.get_parts(seam):
            if part.geom_type == "LineString" and part.length > 200:
                ways.append(
                    Way(
                        resample(part.coords, 40.0),
                        {"highway": "primary", "name": nm, "sidewalk": "both"},
                        group="core",
                    )
                )
    # ring road around the core
    ring = core.exterior.difference(rbuf.buffer(60.0))
    ring_nm = names.take("")
    ring_ways = []
    for k, part in enumerate(shapely.get_parts(ring)):
        if part.geom_type == "LineString" and part.length > 200:
            rw = Way(
                resample(part.coords, 40.0),
                {"highway": "secondary", "name": f"{ring_nm}环城{'东西南北'[k % 4]}路"},
                group="core",
            )
            ways.append(rw)
            ring_ways.append(rw)
    # escarpment: switchbacks and stairs next to them
    s_center = rs.project(Point(lay.core_center))
    n_sw = lay.count(3 if big else 1)
    offsets = (
        np.linspace(-1.0, 1.0, n_sw) * (lay.core_axes[1] * 0.55) if n_sw > 1 else np.array([0.0])
    )
    stairs_lines = []
    dl = [400.0, 460.0, 520.0, 580.0, 640.0, 700.0, 760.0]
    for off in offsets:
        s0 = s_center + off + rng.uniform(-150, 150)
        pts = [river_frame(rs, w, s0 + (420.0 if i % 2 else 0.0), d) for i, d in enumerate(dl)]
        coords = fillet(pts, 70.0)
        if not core.buffer(-40.0).contains(LineString(coords)):
            continue
        ways.append(
            Way(
                resample(coords, 30.0),
                {"highway": "tertiary", "name": names.take("坡路")},
                group="core",
            )
        )
        bottom, top = pts[0], pts[-1]
        a450 = river_frame(rs, w, s0, 450.0)
        a650 = river_frame(rs, w, s0, 650.0)
        stairs_lines.append(LineString([bottom, top]))
        ways.append(Way(resample([bottom, a450], 25.0), {"highway": "footway"}, group="core"))
        for f in steps_flights([a450, a650], w, flight_m=50.0):
            ways.append(Way(f, {"highway": "steps", "name": names.take("梯道")}, group="core"))
        ways.append(Way(resample([a650, top], 25.0), {"highway": "footway"}, group="core"))
        w.extras.setdefault("switchbacks", []).append((bottom.tolist(), top.tolist()))
    # the park hill: a loop path, stairs to the top, footways out to the streets
    px, py, pr, _ = w.extras["park"]
    park_area = Point(px, py).buffer(pr * 1.05)
    loop_r = pr * 0.62
    th = np.linspace(0, 2 * np.pi, 41)
    loop = np.column_stack([px + loop_r * np.cos(th), py + loop_r * np.sin(th)])
    ways.append(Way(loop[:21], {"highway": "path", "name": "山顶公园环道"}, group="core"))
    ways.append(Way(loop[20:], {"highway": "path", "name": "山顶公园环道"}, group="core"))
    top = np.array([px, py])
    for k in (5, 25):
        for f in steps_flights([loop[k], top], w, flight_m=max(loop_r / 2, 40.0)):
            ways.append(Way(f, {"highway": "steps"}, group="core"))
    park_links = []
    for k in (0, 10, 20, 30):
        out = np.array([px, py]) + (pr * 1.35) * (loop[k] - top) / loop_r
        park_links.append((loop[k], out))
    # grids
    regions = []
    avoid = [*approaches, *stairs_lines]
    ang_river = math.atan2(*(np.asarray(rs.coords)[-1] - np.asarray(rs.coords)[0])[::-1])
    if big:
        old = west_core.intersection(w.river.buffer(1400.0)).difference(w.river.buffer(96.0))
        upper = west_core.difference(w.river.buffer(1400.0))
        regions.append(("old", old, ang_river, 95.0, 108.0, 0.10, 0.15))
        regions.append(("upper", upper, math.radians(24.0), 135.0, 125.0, 0.12, 0.05))
    else:
        old = west_core.difference(w.river.buffer(96.0))
        regions.append(("old", old, ang_river, 95.0, 108.0, 0.10, 0.15))
    east = east_core.difference(w.river.buffer(96.0))
    regions.append(("east", east, math.radians(-14.0), 150.0, 160.0, 0.13, 0.0))
    core_nodes = []
    for label, reg, ang, su, sv, drop, living in regions:
        reg = largest_polygon(reg) if reg.geom_type != "Polygon" else reg
        if reg is None or reg.area < 1e4:
            continue
        classes = {}
        rows = int(reg.bounds[3] - reg.bounds[1]) // 100 + 40
        for key_kind in ("r", "c"):
            start = int(rng.integers(0, 4))
            for i in range(rows * 2):
                if (i - start) % 4 == 0:
                    classes[(key_kind, i)] = "tertiary"
            mid = int(rng.integers(rows // 3, rows // 2))
            classes[(key_kind, mid)] = "secondary"
        sfx = {
            "residential": "巷" if label == "old" else "街",
            "living_street": "巷",
            "tertiary": "路",
            "secondary": "路",
            "primary": "大道",
        }
        gw, nodes = grid_fabric(
            w,
            reg,
            rng,
            names,
            angle=ang,
            su=su,
            sv=sv,
            warp_amp=28.0 if label == "old" else 20.0,
            drop=drop,
            steps_p=0.5,
            group="core",
            avoid_lines=avoid,
            avoid_areas=park_area,
            line_classes=classes,
            suffixes=sfx,
            living_p=living,
            name_p=0.9,
        )
        ways.extend(gw)
        core_nodes.extend(nodes)
    # park footways to the nearest grid junction
    nodes_xy = np.array([(x, y) for x, y, d in core_nodes if d >= 2])
    tree = cKDTree(nodes_xy)
    for a, out in park_links:
        _, j = tree.query(out)
        ways.append(Way(resample([a, nodes_xy[j]], 25.0), {"highway": "footway"}, group="core"))
    # a pedestrian street in the old town: the named residential way closest to the 街道 seat
    old_ways = [
        x
        for x in ways
        if x.group == "core" and x.tags.get("highway") == "residential" and "name" in x.tags
    ]
    if old_ways:
        mid = river_frame(rs, w, s_center, 250.0)
        pw = min(old_ways, key=lambda x: LineString(x.coords).distance(Point(mid)))
        pw.tags = {"highway": "pedestrian", "name": pw.tags["name"][:-1] + "步行街"}
    anchors = []
    for rw in ring_ways:
        c = rw.coords
        step = max(len(c) // (4 if big else 2), 1)
        anchors.extend(c[step // 2 :: step].tolist())
    return ways, bridges, [tuple(a) for a in anchors], nodes_xy


def town_fabric(w: World, seat, rng, names: NameGen, *, two: bool, town_name: str):
    big = w.lay.variant == "full"
    a = rng.uniform(480, 620) * (1.25 if two else 1.0) * (1.0 if big else 0.85)
    b = a * rng.uniform(0.65, 0.85)
    ang = rng.uniform(0, np.pi)
    ell = shapely.affinity.rotate(
        shapely.affinity.scale(Point(seat).buffer(1.0, quad_segs=16), a, b), ang, use_radians=True
    )
    ell = ell.difference(w.river_buffer().buffer(120.0)).intersection(w.district.buffer(-50.0))
    ell = largest_polygon(ell) if ell.geom_type != "Polygon" else ell
    classes = {("r", i): "tertiary" for i in range(0, 200, 5)}
    sfx = {"residential": "街", "tertiary": "街", "living_street": "巷"}
    gw, nodes = grid_fabric(
        w,
        ell,
        rng,
        names,
        angle=ang + rng.uniform(-0.3, 0.3),
        su=rng.uniform(100, 135),
        sv=rng.uniform(95, 125),
        warp_amp=18.0,
        drop=0.08,
        steps_p=0.35,
        group="town",
        line_classes=classes,
        suffixes=sfx,
        living_p=0.1,
        name_p=0.7,
    )
    # the main street: the way passing closest to the seat becomes 正街
    roads = [x for x in gw if x.tags["highway"] != "steps"]
    if roads:
        main = min(roads, key=lambda x: LineString(x.coords).distance(Point(seat)))
        main.tags = {"highway": "tertiary", "name": town_name[:-1] + "正街"}
    pts = np.array([(x, y) for x, y, d in nodes if d >= 2])
    gates = []
    if len(pts):
        for k in range(4):
            t = ang + k * np.pi / 2
            target = np.array(seat) + 1.2 * a * np.array([np.cos(t), np.sin(t)])
            j = int(np.argmin(np.hypot(*(pts - target).T)))
            g = tuple(pts[j])
            if g not in gates:
                gates.append(g)
    return gw, ell, gates, pts


class CostGrid:
    """A raster of walking/driving costs for routing rural roads (8-connected cells)."""

    def __init__(self, w: World, cell: float) -> None:
        minx, miny, maxx, maxy = w.district.buffer(300.0).bounds
        self.x0, self.y0, self.cell = minx, miny, cell
        self.nx = int((maxx - minx) / cell) + 1
        self.ny = int((maxy - miny) / cell) + 1
        n = self.nx * self.ny
        iy, ix = np.divmod(np.arange(n), self.nx)
        self.xc = minx + (ix + 0.5) * cell
        self.yc = miny + (iy + 0.5) * cell
        z = w.z(self.xc, self.yc)
        inside = shapely.contains_xy(w.district.buffer(150.0), self.xc, self.yc)
        rl = [w.river.buffer(max(RIVER_HALF_WIDTH_M["main"] + 10.0, 0.75 * cell))]
        if w.trib is not None:
            rl.append(w.trib.buffer(max(RIVER_HALF_WIDTH_M["trib"] + 10.0, 0.75 * cell)))
        river = shapely.unary_union(rl)
        shapely.prepare(river)
        self.wet = shapely.contains_xy(river, self.xc, self.yc)
        self.passable = inside & ~self.wet
        us, vs, base = [], [], []
        for dx, dy in ((1, 0), (0, 1), (1, 1), (-1, 1)):
            ok = (ix + dx >= 0) & (ix + dx < self.nx) & (iy + dy < self.ny)
            a = np.nonzero(ok)[0]
            b = a + dy * self.nx + dx
            keep = self.passable[a] & self.passable[b]
            a, b = a[keep], b[keep]
            length = cell * math.hypot(dx, dy)
            grade = np.abs(z[a] - z[b]) / length
            c = length * (1.0 + (grade / 0.08) ** 2)
            us += [a, b]
            vs += [b, a]
            base += [c, c]
        self.u = np.concatenate(us)
        self.v = np.concatenate(vs)
        self.base = np.concatenate(base)
        self.factor = np.ones(n)
        self.blocked = np.zeros(n, bool)
        self.jumps: list[tuple[int, int, float]] = []

    def cell_of(self, x, y) -> np.ndarray:
        ix = np.clip(((np.asarray(x) - self.x0) / self.cell).astype(int), 0, self.nx - 1)
        iy = np.clip(((np.asarray(y) - self.y0) / self.cell).astype(int), 0, self.ny - 1)
        return iy * self.nx + ix

    def nearest_passable(self, x: float, y: float, side_poly=None) -> int:
        r = 3
        c0 = int(self.cell_of(x, y))
        iy0, ix0 = divmod(c0, self.nx)
        best, best_d = -1, 1e18
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                ix, iy = ix0 + dx, iy0 + dy
                if not (0 <= ix < self.nx and 0 <= iy < self.ny):
                    continue
                k = iy * self.nx + ix
                if not self.passable[k]:
                    continue
                if side_poly is not None and not side_poly.contains(Point(self.xc[k], self.yc[k])):
                    continue
                d = math.hypot(self.xc[k] - x, self.yc[k] - y)
                if d < best_d:
                    best, best_d = k, d
        if best < 0:
            raise RuntimeError(f"no passable cell near ({x:.0f}, {y:.0f})")
        return best

    def matrix(self) -> sparse.csr_matrix:
        keep = ~(self.blocked[self.u] | self.blocked[self.v])
        u, v = self.u[keep], self.v[keep]
        data = self.base[keep] * 0.5 * (self.factor[u] + self.factor[v])
        if self.jumps:
            ju = np.array([j[0] for j in self.jumps] + [j[1] for j in self.jumps])
            jv = np.array([j[1] for j in self.jumps] + [j[0] for j in self.jumps])
            jd = np.array([j[2] for j in self.jumps] * 2)
            u, v, data = (
                np.concatenate([u, ju]),
                np.concatenate([v, jv]),
                np.concatenate([data, jd]),
            )
        n = self.nx * self.ny
        return sparse.csr_matrix((data, (u, v)), shape=(n, n))

    def xy(self, k: int) -> np.ndarray:
        return np.array([self.xc[k], self.yc[k]])


def grid_search(G, grid: CostGrid, sources, targets, *, scaled: bool, **kwargs):
    """``csgraph.dijkstra`` from ``sources`` that settles a cell of each reachable target.

    ``targets`` is a list of groups of cells (a town's gates, the road network): a group is
    reached when one of its cells is settled, and every cell within the search's bound is settled
    exactly, so the nearest cell of a group within the bound is its nearest cell.
    Unscaled layouts search the whole grid (the committed demo is built so). A scaled layout's
    grid grows with its area, and a whole-grid search per town would make the generator
    quadratic: the search is bounded at 2.5 × the length of the straight line to the farthest
    group (a cost is at least 0.45 × the metres) and the bound doubled until every group is
    reached, or dropped after four doublings (a group beyond a river it cannot cross).
    """
    if not scaled:
        return csgraph.dijkstra(G, indices=sources, **kwargs)
    src = np.atleast_1d(np.asarray(sources))
    groups = [np.atleast_1d(np.asarray(g, int)) for g in targets]
    far = max(
        float(
            np.hypot(
                grid.xc[g][:, None] - grid.xc[src][None, :],
                grid.yc[g][:, None] - grid.yc[src][None, :],
            ).min()
        )
        for g in groups
    )
    limit = 2.5 * far + 4.0 * grid.cell
    for _ in range(5):
        out = csgraph.dijkstra(G, indices=sources, limit=limit, **kwargs)
        dist = out[0] if isinstance(out, tuple) else out
        if all(np.isfinite(dist[g]).any() for g in groups):
            return out
        limit *= 2.0
    return csgraph.dijkstra(G, indices=sources, **kwargs)


def trace(pred: np.ndarray, target: int) -> list[int]:
    path = [int(target)]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return path  # from target back to its source


def chains_from_edges(edge_rank: dict, breaks: set) -> list[tuple[list[int], int]]:
    """Split an undirected cell graph into chains between junctions, breaks and class changes."""
    adj = defaultdict(list)
    for (a, b), r in edge_rank.items():
        adj[a].append((b, r))
        adj[b].append((a, r))
    for k in adj:
        adj[k].sort()
    seen = set()
    chains = []

    def is_break(k):
        return k in breaks or len(adj[k]) != 2 or adj[k][0][1] != adj[k][1][1]

    starts = sorted(k for k in adj if is_break(k))
    for s in starts + sorted(adj):
        for nb, r in adj[s]:
            e = (min(s, nb), max(s, nb))
            if e in seen:
                continue
            seen.add(e)
            path = [s, nb]
            while not is_break(path[-1]) and path[-1] != s:
                nxt = [
                    (c, rr)
                    for c, rr in adj[path[-1]]
                    if (min(path[-1], c), max(path[-1], c)) not in seen
                ]
                if not nxt:
                    break
                c, _ = nxt[0]
                seen.add((min(path[-1], c), max(path[-1], c)))
                path.append(c)
            chains.append((path, r))
    return chains


RURAL_CLASSES = {
    6: "primary",
    5: "secondary",
    4: "tertiary",
    3: "unclassified",
    2: "track2",
    1: "track3",
    0: "path",
}


def rural_way_tags(rank: int, rng) -> dict:
    cls = RURAL_CLASSES[rank]
    if cls == "track2":
        return {"highway": "track", "tracktype": "grade2", "surface": "concrete"}
    if cls == "track3":
        if rng.random() < 0.3:
            return {"highway": "path"}
        return {"highway": "track", "tracktype": str(rng.choice(["grade3", "grade4", "grade5"]))}
    if cls == "path":
        return {"highway": "path"}
    tags = {"highway": cls}
    if cls == "unclassified":
        tags["surface"] = "concrete"
    return tags


class RuralRouter:
    """Routes rural roads over a :class:`CostGrid` and turns the routes into ways."""

    def __init__(self, w: World, grid: CostGrid, rng) -> None:
        self.w, self.g, self.rng = w, grid, rng
        self.exact: dict[int, np.ndarray] = {}  # cell -> exact coordinate for chain ends
        self.bridge_cells: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, str]] = {}
        self.built_bridges: set = set()

    def add_bridge(self, river: str, near, name: str) -> None:
        a, b = make_bridge(self.w, river, near)
        ca = self.g.nearest_passable(*a)
        cb = self.g.nearest_passable(*b)
        if ca == cb:
            raise RuntimeError("bridge ends fall in the same routing cell")
        length = (
            float(np.hypot(*(a - b)))
            + np.hypot(*(self.g.xy(ca) - a))
            + np.hypot(*(self.g.xy(cb) - b))
        )
        self.g.jumps.append((ca, cb, length))
        self.bridge_cells[(ca, cb)] = (a, b, name)
        self.bridge_cells[(cb, ca)] = (b, a, name)

    def to_ways(self, edge_rank: dict, breaks: set, *, group: str, flows=None):
        ways = []
        jumps = {(min(a, b), max(a, b)) for a, b in self.bridge_cells}
        normal = {e: r for e, r in edge_rank.items() if e not in jumps}
        jumped = {e: r for e, r in edge_rank.items() if e in jumps}
        brk = set(breaks) | {k for e in jumped for k in e}
        for path, rank in chains_from_edges(normal, brk):
            pts = np.array([self.g.xy(k) for k in path])
            if len(pts) > 2:
                jit = self.rng.uniform(-0.28, 0.28, (len(pts) - 2, 2)) * self.g.cell
                pts[1:-1] += jit
            for end in (0, -1):
                if path[end] in self.exact:
                    pts[end] = self.exact[path[end]]
            coords = chaikin(pts, 3)
            tol, seg = (2.5, 60.0) if rank >= 3 else (4.0, 80.0)
            coords = np.asarray(shapely.segmentize(LineString(coords).simplify(tol), seg).coords)
            if flows is not None:
                f = min(flows.get((min(a, b), max(a, b)), 1) for a, b in pairwise(path))
                rank = 2 if f >= 3 else 1
            ways.append(Way(coords, rural_way_tags(rank, self.rng), group=group))
            ways[-1].ends = (path[0], path[-1])
        for (a, b), rank in sorted(jumped.items()):
            pa, pb, name = self.bridge_cells[(a, b)]
            tags = rural_way_tags(max(rank, 3), self.rng)
            pa_cell = self.exact.get(a, self.g.xy(a))
            pb_cell = self.exact.get(b, self.g.xy(b))
            ways.append(Way(np.array([pa_cell, pa]), dict(tags), group=group))
            ways[-1].ends = (a, -1)
            ways.append(Way(np.array([pb, pb_cell]), dict(tags), group=group))
            ways[-1].ends = (-1, b)
            if (a, b) not in self.built_bridges:
                bt = dict(tags)
                bt.update({"bridge": "yes", "layer": "1", "name": name})
                bt.pop("surface", None)
                if bt["highway"] in ("track", "path"):
                    bt = {"highway": "unclassified", "bridge": "yes", "layer": "1", "name": name}
                ways.append(Way(np.array([pa, pb]), bt, sep=True, group="bridge"))
                self.built_bridges.add((a, b))
        return ways


def vertices_of(ways: list[Way], *, walkable_only: bool = True) -> np.ndarray:
    pts = [
        x.coords
        for x in ways
        if not x.sep
        and x.tags.get("highway") not in ("motorway", "motorway_link")
        and (not walkable_only or x.tags.get("foot") != "no")
    ]
    return np.vstack(pts) if pts else np.empty((0, 2))


def mark_network_cells(grid: CostGrid, ways: list[Way]) -> np.ndarray:
    mask = np.zeros(grid.nx * grid.ny, bool)
    for x in ways:
        if x.sep or x.tags.get("highway") in ("motorway", "motorway_link"):
            continue
        c = np.asarray(shapely.segmentize(LineString(x.coords), grid.cell / 2).coords)
        mask[grid.cell_of(c[:, 0], c[:, 1])] = True
    return mask


def attach_ends(ways: list[Way], root_cells: set, existing_xy: np.ndarray) -> None:
    """Move chain ends that stop on a root cell (an existing road) onto the nearest existing vertex."""
    if not len(existing_xy):
        return
    tree = cKDTree(existing_xy)
    for x in ways:
        for end, cell in zip((0, -1), x.ends, strict=True):
            if cell in root_cells:
                _, j = tree.query(x.coords[end])
                x.coords[end] = existing_xy[j]


def place_hamlets(w: World, comms: list[Community], town_polys: list, rng) -> list[dict]:
    """Hamlets (院落) of the rural communities: the village centre first, then the others."""
    lay = w.lay
    big = lay.variant == "full"
    spacing = 250.0 if big else 200.0
    rb = w.river_buffer().buffer(90.0)
    towns = shapely.unary_union([t.buffer(120.0) for t in town_polys]) if town_polys else None
    avoid = shapely.unary_union([rb, w.core.buffer(60.0)] + ([towns] if towns is not None else []))
    shapely.prepare(avoid)
    out = []
    for c in comms:
        if c.role == "core":
            continue
        rural_share = 0.3 if c.role in ("seat", "seat2") else 1.0
        households = c.pop * rural_share / c.hh_size
        n = int(np.clip(round(households / lay.hamlet_households), 4, 40))
        area = c.geom.buffer(-35.0)
        if area.is_empty:
            area = c.geom
        cand = random_points_in(area, 60 * n, rng)
        ok = ~shapely.contains_xy(avoid, cand[:, 0], cand[:, 1])
        cand = cand[ok]
        if len(cand) == 0:
            cand = random_points_in(area, 10, rng)
        z = w.z(cand[:, 0], cand[:, 1])
        zx = w.z(cand[:, 0] + 25.0, cand[:, 1])
        zy = w.z(cand[:, 0], cand[:, 1] + 25.0)
        slope = np.hypot(zx - z, zy - z) / 25.0
        score = slope * 4.0 + np.maximum(z - 600.0, 0) / 100.0 + rng.uniform(0, 0.5, len(cand))
        chosen = []
        # the village centre: a gentle spot near the seed
        dseed = np.hypot(cand[:, 0] - c.seed[0], cand[:, 1] - c.seed[1])
        k0 = int(np.argmin(score + dseed / 600.0))
        chosen.append(cand[k0])
        for k in np.argsort(score, kind="stable"):
            if len(chosen) >= n:
                break
            p = cand[k]
            if min(np.hypot(*(np.array(chosen) - p).T)) >= spacing:
                chosen.append(p)
        for i, p in enumerate(chosen):
            out.append({"comm": c.idx, "xy": np.array(p), "centre": i == 0})
    return out


def rural_network(
    w: World,
    grid: CostGrid,
    rng,
    names: NameGen,
    *,
    core_anchors,
    towns_info,
):
    """Roads between the core and the towns, routed on ``grid`` (stage 1 of the rural network)."""
    lay = w.lay
    big = lay.variant == "full"
    router = RuralRouter(w, grid, rng)
    for river, bx, by in lay.rural_bridges:
        router.add_bridge(river, (bx, by), names.take("大桥" if river == "main" else "桥"))
    ways: list[Way] = []
    # ---- stage 1: roads between the core and the towns --------------------------------------
    places = [("core", np.array(lay.core_center), core_anchors)] + [
        (f"town{i}", np.array(t["seat"]), t["gates"]) for i, t in enumerate(towns_info)
    ]
    cells_of = []
    for _, _, pts in places:
        cs = []
        for p in pts:
            k = grid.nearest_passable(*p)
            router.exact[k] = np.array(p)
            cs.append(k)
        cells_of.append(sorted(set(cs)))
    block = shapely.unary_union(
        [w.core.buffer(-40.0)] + [t["poly"].buffer(-30.0) for t in towns_info]
    )
    grid.blocked = shapely.contains_xy(block, grid.xc, grid.yc)
    for cs in cells_of:
        grid.blocked[cs] = False
    pos = np.array([p[1] for p in places])
    tri = Delaunay(pos)
    cand = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, b = sorted((int(simplex[i]), int(simplex[(i + 1) % 3])))
            cand.add((a, b))
    cand = sorted(cand, key=lambda e: (np.hypot(*(pos[e[0]] - pos[e[1]])), e))
    parent = list(range(len(places)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    routes = []
    lengths = [np.hypot(*(pos[a] - pos[b])) for a, b in cand]
    med = float(np.median(lengths)) if lengths else 0.0
    for (a, b), length in zip(cand, lengths, strict=True):
        ra, rb_ = find(a), find(b)
        core_edge = a == 0 or b == 0
        if ra != rb_:
            parent[ra] = rb_
            routes.append((a, b, 5 if core_edge else 4))
        elif length < 1.4 * med and rng.random() < (0.8 if core_edge else 0.6):
            routes.append((a, b, 5 if core_edge else 3))
    # the two or three longest roads out of the core become primary (provincial roads)
    core_routes = sorted(
        (r for r in routes if r[0] == 0), key=lambda r: -np.hypot(*(pos[r[0]] - pos[r[1]]))
    )
    n_primary = lay.count(3 if big else 1)
    routes = [(a, b, 6 if (a, b, r) in core_routes[:n_primary] else r) for a, b, r in routes]
    # exits to the neighbouring districts
    boundary = w.district.exterior
    for i in range(1, len(places)):
        p = Point(pos[i])
        if boundary.distance(p) < (4500.0 if big else 1500.0) and rng.random() < 0.55:
            q = boundary.interpolate(boundary.project(p))
            v = np.array([q.x - p.x, q.y - p.y])
            tgt = np.array([q.x, q.y]) - 200.0 * v / max(np.hypot(*v), 1.0)
            k = grid.nearest_passable(*tgt)
            routes.append((i, -k - 1, 4))
    edge_rank: dict = {}
    for batch in (6, 5, 4, 3):
        todo = [r for r in routes if r[2] == batch]
        if not todo:
            continue
        G = grid.matrix()
        by_src = defaultdict(list)
        for a, b, r in todo:
            by_src[a].append((b, r))
        for a in sorted(by_src):
            dist, pred, _ = grid_search(
                G,
                grid,
                cells_of[a],
                [cells_of[b] if b >= 0 else [-b - 1] for b, _ in by_src[a]],
                scaled=lay.scale != 1.0,
                min_only=True,
                return_predecessors=True,
            )
            for b, r in by_src[a]:
                targets = cells_of[b] if b >= 0 else [-b - 1]
                t = min(targets, key=lambda k: dist[k])
                if not np.isfinite(dist[t]):
                    continue
                path = trace(pred, t)
                for u, v in pairwise(path):
                    e = (min(u, v), max(u, v))
                    edge_rank[e] = max(edge_rank.get(e, 0), r)
                grid.factor[path] = 0.45
    # every rural bridge carries a road, even where no route between towns needs it
    done = set()
    for ca, cb in sorted(router.bridge_cells):
        e = (min(ca, cb), max(ca, cb))
        if e in done or e in edge_rank:
            continue
        done.add(e)
        edge_rank[e] = 4
        G = grid.matrix()
        net = sorted(
            {k for cs in cells_of for k in cs} | {k for ed in edge_rank for k in ed} - set(e)
        )
        for end in e:
            dist, pred = grid_search(
                G, grid, end, [net], scaled=lay.scale != 1.0, return_predecessors=True
            )
            t = min(net, key=lambda k: dist[k])
            if not np.isfinite(dist[t]):
                continue
            path = trace(pred, t)
            for u, v in pairwise(path):
                ed = (min(u, v), max(u, v))
                edge_rank[ed] = max(edge_rank.get(ed, 0), 4)
    breaks = {k for cs in cells_of for k in cs}
    stage1 = router.to_ways(edge_rank, breaks, group="rural")
    for x in stage1:
        if x.tags["highway"] in ("primary", "secondary") and not x.tags.get("bridge"):
            x.tags["sidewalk"] = "no"
    ways += stage1
    grid.blocked[:] = False
    return router, ways


def connect_stage(
    w: World,
    grid: CostGrid,
    router: RuralRouter,
    rng,
    *,
    network: list[Way],
    targets,
    rank: int,
    group: str,
    flows_for_class: bool,
):
    """Route every target point to the nearest existing road (a forest of new roads)."""
    net_cells = mark_network_cells(grid, network)
    existing_xy = vertices_of(network)
    src = np.nonzero(net_cells & grid.passable)[0]
    G = grid.matrix()
    dist, pred, _ = csgraph.dijkstra(G, indices=src, min_only=True, return_predecessors=True)
    edge_rank: dict = {}
    flows: dict = defaultdict(int)
    roots = set()
    target_cells = set()
    direct = []
    for p in targets:
        k = int(grid.cell_of(*p))
        if not grid.passable[k]:
            k = grid.nearest_passable(*p)
        if net_cells[k]:
            direct.append(p)
            continue
        if not np.isfinite(dist[k]):
            continue
        router.exact[k] = np.asarray(p)
        target_cells.add(k)
        path = trace(pred, k)
        roots.add(path[-1])
        for u, v in pairwise(path):
            e = (min(u, v), max(u, v))
            edge_rank[e] = rank
            flows[e] += 1
    for r in roots:
        router.exact.pop(r, None)
    ways = router.to_ways(
        edge_rank, roots | target_cells, group=group, flows=flows if flows_for_class else None
    )
    attach_ends(ways, roots, existing_xy)
    # targets right next to a road: a short link to its nearest vertex
    if direct and len(existing_xy):
        tree = cKDTree(existing_xy)
        for p in direct:
            d, j = tree.query(p)
            if d > 3.0:
                tags = rural_way_tags(rank if not flows_for_class else 1, rng)
                ways.append(Way(np.array([p, existing_xy[j]]), tags, group=group))
    return ways


def hamlet_paths(w: World, hamlets, rng) -> list[Way]:
    """Footpaths between neighbouring hamlets (田坎路), which close some loops in the tracks."""
    pts = np.array([h["xy"] for h in hamlets])
    if len(pts) < 2:
        return []
    rb = w.river_buffer().buffer(15.0)
    shapely.prepare(rb)
    out = []
    for i, j in sorted(cKDTree(pts).query_pairs(380.0)):
        if rng.random() > 0.22:
            continue
        a, b = pts[i], pts[j]
        mid = (a + b) / 2 + rng.normal(0, 35.0, 2)
        c = bezier(a, mid, b, 6)
        if rb.intersects(LineString(c)):
            continue
        _, steepest = grade_of(w, c)
        if steepest > 0.35:
            continue
        out.append(Way(c, {"highway": "path"}, group="track"))
    return out


def motorway_ways(w: World, rng, names: NameGen, network: list[Way]):
    """A dual-carriageway motorway with tunnels, river bridges and diamond interchanges."""
    lay = w.lay
    c = resample(catmull_rom(lay.motorway, 30), 40.0)
    line = LineString(c).intersection(w.district.buffer(500.0))
    line = max(shapely.get_parts(line), key=lambda g: g.length)
    c = resample(line.coords, 40.0)
    line = LineString(c)
    name = names.take("高速")
    ref = "S" + str(int(rng.integers(51, 89))) if lay.variant == "full" else "S77"
    cw = {}
    for label, off in (("eb", -11.0), ("wb", 11.0)):
        g = line.offset_curve(off, quad_segs=4, join_style="round")
        cc = resample(g.coords, 40.0)
        if label == "wb":
            cc = cc[::-1]
        cw[label] = cc
    rivers = [(w.river, BRIDGE_END_M["main"] + 15.0)] + (
        [(w.trib, BRIDGE_END_M["trib"] + 15.0)] if w.trib is not None else []
    )
    sep_ways, at_ways = [], []
    tunnel_names = {}
    for cc in cw.values():
        rh = ridge_height(lay, cc[:, 0], cc[:, 1])
        tunnel = rh > 170.0
        bridge = np.zeros(len(cc), bool)
        for rl, dist in rivers:
            bridge |= shapely.distance(rl, shapely.points(cc)) < dist
        state = np.where(tunnel, 2, np.where(bridge, 1, 0))
        # smooth out one-vertex blips
        for k in range(1, len(state) - 1):
            if state[k - 1] == state[k + 1] != state[k]:
                state[k] = state[k - 1]
        start = 0
        for k in range(1, len(cc) + 1):
            if k == len(cc) or state[k] != state[start] or k - start >= 70:
                seg = cc[start : min(k + 1, len(cc))]
                if len(seg) >= 2:
                    tags = {
                        "highway": "motorway",
                        "oneway": "yes",
                        "name": name,
                        "ref": ref,
                        "lanes": "2",
                        "maxspeed": "100",
                    }
                    st = state[start]
                    if st == 2:
                        key = round(float(np.mean(seg[:, 0])) / 3000.0)
                        tunnel_names.setdefault(key, names.take("隧道"))
                        tags.update({"tunnel": "yes", "layer": "-1", "name": tunnel_names[key]})
                    elif st == 1:
                        tags.update({"bridge": "yes", "layer": "1"})
                    sep_ways.append(Way(seg, tags, sep=True, group="motorway"))
                start = k
    # interchanges
    net_xy = vertices_of(
        [x for x in network if x.tags.get("highway") not in ("steps", "footway", "path", "track")]
    )
    tree = cKDTree(net_xy)
    rb = w.river_buffer()
    for xi in lay.interchanges_x:
        s = float(np.argmin(np.abs(c[:, 0] - xi))) * 40.0
        s = min(max(s, 600.0), line.length - 600.0)
        p = np.array(line.interpolate(s).coords[0])
        q = np.array(line.interpolate(s + 20.0).coords[0])
        t = (q - p) / np.hypot(*(q - p))
        n = np.array([-t[1], t[0]])
        q1, q2 = p + 170.0 * n, p - 170.0 * n

        def at(label, s_, n=n):
            cc = cw[label]
            target = (
                np.array(line.interpolate(s_).coords[0]) + (-11.0 if label == "eb" else 11.0) * n
            )
            return cc[int(np.argmin(np.hypot(*(cc - target).T)))]

        ramp_tags = {"highway": "motorway_link", "oneway": "yes"}
        sep_ways.append(
            Way(
                bezier(at("eb", s - 450), at("eb", s - 120) - 70 * n, q2, 14),
                dict(ramp_tags),
                True,
                "motorway",
            )
        )
        sep_ways.append(
            Way(
                bezier(q2, at("eb", s + 120) - 70 * n, at("eb", s + 450), 14),
                dict(ramp_tags),
                True,
                "motorway",
            )
        )
        sep_ways.append(
            Way(
                bezier(at("wb", s + 450), at("wb", s + 120) + 70 * n, q1, 14),
                dict(ramp_tags),
                True,
                "motorway",
            )
        )
        sep_ways.append(
            Way(
                bezier(q1, at("wb", s - 120) + 70 * n, at("wb", s - 450), 14),
                dict(ramp_tags),
                True,
                "motorway",
            )
        )
        cname = names.take("互通连接线")
        conn = [q1, p, q2]
        at_ways.append(Way(np.array(conn), {"highway": "secondary", "name": cname}, group="rural"))
        for end, sign in ((q2, -1.0), (q1, 1.0)):
            _, idx = tree.query(end, k=min(400, len(net_xy)))
            for j in idx:
                v = net_xy[j]
                if np.dot(v - p, n) * sign < 120.0:
                    continue
                seg = LineString([end, v])
                if seg.intersects(rb) or seg.length > 2500.0:
                    continue
                if (
                    shapely.distance(line, shapely.points(resample([end, v], 30.0))[1:]).min()
                    < 60.0
                ):
                    continue
                mid = (end + v) / 2 + rng.normal(0, 40.0, 2)
                at_ways.append(
                    Way(
                        resample(bezier(end, mid, v, 12), 40.0),
                        {"highway": "secondary", "name": cname},
                        group="rural",
                    )
                )
                break
    return sep_ways, at_ways


def trunk_way(w: World, names: NameGen, core_ways: list[Way]) -> Way:
    lay = w.lay
    c = resample(catmull_rom(lay.trunk, 30), 40.0)
    g = LineString(c).intersection(w.district.buffer(300.0))
    g = max(shapely.get_parts(g), key=lambda x: x.length)
    c = resample(g.coords, 40.0)
    xy = vertices_of(
        [x for x in core_ways if x.tags.get("highway") in ("primary", "secondary", "tertiary")]
    )
    _, j = cKDTree(xy).query(c[0])
    c = np.vstack([xy[j], c[1:]]) if np.hypot(*(c[0] - xy[j])) < 40.0 else np.vstack([xy[j], c])
    return Way(
        c,
        {
            "highway": "trunk",
            "name": names.take("快速路"),
            "sidewalk": "no",
            "lanes": "4",
            "maxspeed": "80",
        },
        group="rural",
    )


# --------------------------------------------------------------------------------------------
# Topology: clip at rivers, node at-grade crossings, trim, keep the connected network
# --------------------------------------------------------------------------------------------


def clip_at_rivers(w: World, ways: list[Way]) -> list[Way]:
    rb = w.river_buffer()
    lines = np.array([LineString(x.coords) for x in ways], dtype=object)
    hit = set(STRtree(lines).query(rb, predicate="intersects").tolist())
    out = []
    for i, x in enumerate(ways):
        if x.sep or i not in hit:
            out.append(x)
            continue
        rest = lines[i].difference(rb)
        for part in shapely.get_parts(rest):
            if part.geom_type == "LineString" and part.length > 8.0:
                out.append(Way(np.asarray(part.coords), dict(x.tags), group=x.group))
    return out


def node_network(ways: list[Way]) -> None:
    """Insert a shared vertex wherever two at-grade ways cross or touch (in place)."""
    at = [i for i, x in enumerate(ways) if not x.sep]
    seg_way = np.concatenate([np.full(len(ways[i].coords) - 1, i) for i in at])
    seg_k = np.concatenate([np.arange(len(ways[i].coords) - 1) for i in at])
    A = np.vstack([ways[i].coords[:-1] for i in at])
    B = np.vstack([ways[i].coords[1:] for i in at])
    segs = shapely.linestrings(np.stack([A, B], axis=1))
    left, right = STRtree(segs).query(segs, predicate="intersects")
    m = left < right
    left, right = left[m], right[m]
    adj = (seg_way[left] == seg_way[right]) & (np.abs(seg_k[left] - seg_k[right]) == 1)
    left, right = left[~adj], right[~adj]
    p, r = A[left], B[left] - A[left]
    q, s = A[right], B[right] - A[right]
    denom = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    qp = q - p
    lr, ls = np.hypot(r[:, 0], r[:, 1]), np.hypot(s[:, 0], s[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip((qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / denom, 0, 1)
        u = np.clip((qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / denom, 0, 1)
    inserts = defaultdict(list)

    def add(seg, pt):
        a, b = A[seg], B[seg]
        if (pt[0] == a[0] and pt[1] == a[1]) or (pt[0] == b[0] and pt[1] == b[1]):
            return
        d = b - a
        inserts[seg].append((float(np.dot(pt - a, d) / np.dot(d, d)), (float(pt[0]), float(pt[1]))))

    tol = 0.05
    for k in range(len(left)):
        i, j = left[k], right[k]
        if abs(denom[k]) < 1e-9 * lr[k] * ls[k]:  # parallel: collinear touch or overlap
            for src, dst in ((i, j), (j, i)):
                for e in (A[src], B[src]):
                    if segs[dst].distance(Point(e)) < 1e-6:
                        add(dst, e)
            continue
        tk, uk = t[k], u[k]
        if tk * lr[k] < tol:
            pt = A[i]
        elif (1 - tk) * lr[k] < tol:
            pt = B[i]
        elif uk * ls[k] < tol:
            pt = A[j]
        elif (1 - uk) * ls[k] < tol:
            pt = B[j]
        else:
            pt = p[k] + tk * r[k]
        add(i, pt)
        add(j, pt)
    if not inserts:
        return
    first = {}
    pos = 0
    for i in at:
        first[i] = pos
        pos += len(ways[i].coords) - 1
    touched = sorted({int(seg_way[sg]) for sg in inserts})
    for i in touched:
        c = ways[i].coords
        out = []
        for k in range(len(c) - 1):
            out.append(tuple(c[k]))
            for _, pt in sorted(inserts.get(first[i] + k, [])):
                out.append(pt)
        out.append(tuple(c[-1]))
        ways[i].coords = dedupe(np.array(out))


def dedupe(c: np.ndarray) -> np.ndarray:
    keep = np.ones(len(c), bool)
    keep[1:] = np.any(c[1:] != c[:-1], axis=1)
    return c[keep]


def merge_close_nodes(ways: list[Way], tol: float = 0.3) -> list[Way]:
    """Merge distinct vertices closer than ``tol`` metres (never inside grade-separated ways)."""
    pts, protected = [], []
    for x in ways:
        pts.append(x.coords)
        prot = np.zeros(len(x.coords), bool)
        if x.sep:
            prot[1:-1] = True
        protected.append(prot)
    allp = np.vstack(pts)
    allprot = np.concatenate(protected)
    uniq, inv = np.unique(allp, axis=0, return_inverse=True)
    inv = inv.ravel()
    prot_u = np.zeros(len(uniq), bool)
    np.logical_or.at(prot_u, inv, allprot)
    pairs = cKDTree(uniq).query_pairs(tol, output_type="ndarray")
    parent = np.arange(len(uniq))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        if prot_u[a] or prot_u[b]:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    root = np.array([find(k) for k in range(len(uniq))])
    out, pos = [], 0
    for x in ways:
        n = len(x.coords)
        x.coords = dedupe(uniq[root[inv[pos : pos + n]]])
        pos += n
        if len(x.coords) >= 2:
            out.append(x)
    return out


def node_keys(ways: list[Way]):
    allp = np.vstack([x.coords for x in ways])
    uniq, inv = np.unique(allp, axis=0, return_inverse=True)
    inv = inv.ravel()
    out, pos = [], 0
    for x in ways:
        n = len(x.coords)
        out.append(inv[pos : pos + n])
        pos += n
    return uniq, out


def trim_dangles(ways: list[Way], max_m: float = 20.0) -> None:
    """Cut the short overhangs that grid streets leave beyond the road they end on."""
    uniq, ids = node_keys(ways)
    deg = np.zeros(len(uniq), int)
    for k in ids:
        np.add.at(deg, k[:-1], 1)
        np.add.at(deg, k[1:], 1)
    for x, k in zip(ways, ids, strict=True):
        if x.sep or len(k) < 3:
            continue
        c = x.coords
        seg = np.hypot(*np.diff(c, axis=0).T)
        lo, hi = 0, len(c) - 1
        if deg[k[0]] == 1:
            run = 0.0
            for m in range(1, len(c) - 1):
                run += seg[m - 1]
                if run > max_m:
                    break
                if deg[k[m]] >= 3:
                    lo = m
                    break
        if deg[k[-1]] == 1:
            run = 0.0
            for m in range(len(c) - 2, lo, -1):
                run += seg[m]
                if run > max_m:
                    break
                if deg[k[m]] >= 3:
                    hi = m
                    break
        if hi - lo >= 1:
            x.coords = c[lo : hi + 1]


def is_walkable(tags: dict) -> bool:
    hw = tags.get("highway")
    if hw in ("motorway", "motorway_link", None):
        return False
    if tags.get("foot") == "no":
        return False
    return not (
        tags.get("access") in ("private", "no") and tags.get("foot") not in ("yes", "designated")
    )


def components(ways: list[Way]):
    uniq, ids = node_keys(ways)
    us, vs = [], []
    for x, k in zip(ways, ids, strict=True):
        if is_walkable(x.tags):
            us.append(k[:-1])
            vs.append(k[1:])
    u, v = np.concatenate(us), np.concatenate(vs)
    n = len(uniq)
    g = sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = csgraph.connected_components(g, directed=False)
    used = np.zeros(n, bool)
    used[u] = True
    used[v] = True
    return uniq, ids, label, used


def reconnect_components(w: World, ways: list[Way], *, max_m: float = 450.0) -> list[Way]:
    """Join pieces cut off from the main network with a footpath to its nearest node.

    Steep streets dropped from a grid, or a river clip, can leave a few streets and the village
    roads hanging from them on their own; real networks have a path there.
    """
    rb = w.river_buffer().buffer(5.0)
    shapely.prepare(rb)
    for _ in range(4):
        uniq, _, label, used = components(ways)
        sizes = np.bincount(label[used])
        main = int(np.argmax(sizes))
        is_main = used & (label == main)
        main_xy = uniq[is_main]
        tree = cKDTree(main_xy)
        new = []
        for comp in np.argsort(-sizes, kind="stable"):
            if comp == main or sizes[comp] < 3:
                continue
            nodes = uniq[used & (label == comp)]
            d, j = tree.query(nodes)
            for k in np.argsort(d, kind="stable")[:25]:
                if d[k] > max_m:
                    break
                a, b = nodes[k], main_xy[j[k]]
                if rb.intersects(LineString([a, b])):
                    continue
                c = resample([a, b], 40.0)
                _, steepest = grade_of(w, c)
                tags = {"highway": "steps"} if steepest > 0.3 else {"highway": "path"}
                new.append(Way(c, tags, group="connector"))
                break
        if not new:
            break
        ways = ways + new
        node_network(ways)
        ways = merge_close_nodes(ways)
    return ways


def keep_main_component(ways: list[Way]) -> tuple[list[Way], dict]:
    _, ids, label, used = components(ways)
    sizes = np.bincount(label[used])
    main = int(np.argmax(sizes))
    out = []
    dropped = 0
    for x, k in zip(ways, ids, strict=True):
        if is_walkable(x.tags):
            if label[k[0]] == main:
                out.append(x)
            else:
                dropped += 1
        elif x.group == "motorway" or np.any(label[k] == main):
            out.append(x)
        else:
            dropped += 1
    return out, {"dropped_ways": dropped, "components_before": int((sizes > 0).sum())}


def add_islands(w: World, ways: list[Way], rng, n: int = 2) -> list[Way]:
    """A couple of short path fragments that connect to nothing (as in real OSM data)."""
    lines = np.array([LineString(x.coords) for x in ways], dtype=object)
    tree = STRtree(lines)
    rb = w.river_buffer().buffer(100.0)
    area = w.district.buffer(-800.0).difference(w.core.buffer(300.0)).difference(rb)
    out = []
    tries = 0
    while len(out) < n and tries < 5000:
        tries += 1
        p = random_points_in(area, 1, rng)[0]
        ang = rng.uniform(0, 2 * np.pi)
        d = np.array([np.cos(ang), np.sin(ang)])
        c = np.array(
            [p, p + 50 * d + rng.normal(0, 8, 2), p + 100 * d + rng.normal(0, 8, 2), p + 140 * d]
        )
        g = LineString(c)
        near = tree.query(g.buffer(120.0), predicate="intersects")
        if len(near) or any(o.distance(g) < 200 for o in (LineString(x.coords) for x in out)):
            continue
        hw = "path" if not out else "footway"
        out.append(Way(c, {"highway": hw}, group="island"))
    return ways + out


def finish_steps(w: World, ways: list[Way], rng) -> list[Way]:
    """One way per flight, with step_count and incline from the DEM; a few with bad tags."""
    out, flights = [], []
    for x in ways:
        if x.tags.get("highway") != "steps":
            out.append(x)
            continue
        c = x.coords
        pieces = []
        for k in range(len(c) - 1):
            rise = abs(float(np.diff(w.z(c[k : k + 2, 0], c[k : k + 2, 1]))[0]))
            n = max(1, math.ceil(rise / 0.15 / 150.0))
            t = np.linspace(0, 1, n + 1)[:, None]
            sub = c[k] + t * (c[k + 1] - c[k])
            pieces.extend(sub[m : m + 2] for m in range(n))
        for seg in pieces:
            seg = seg.copy()
            if rng.random() < 0.5:
                seg = seg[::-1]
            f = Way(seg, dict(x.tags), group=x.group)
            out.append(f)
            flights.append(f)
    for f in flights:
        z = w.z(f.coords[:, 0], f.coords[:, 1])
        rise = float(z[-1] - z[0])
        f.tags["incline"] = "up" if rise >= 0 else "down"
        f.tags["step_count"] = str(max(3, round(abs(rise) / 0.15)))
    if flights:
        order = rng.permutation(len(flights))
        for k in order[: max(1, len(flights) // 12)]:
            flights[k].tags.pop("step_count", None)
        long_ones = [
            k
            for k in order
            if flights[k].tags.get("step_count") and int(flights[k].tags["step_count"]) >= 20
        ]
        if len(long_ones) >= 2:
            flights[long_ones[0]].tags["step_count"] = "many"
            flights[long_ones[1]].tags["step_count"] = "约30"
    return out


# --------------------------------------------------------------------------------------------
# Residential buildings: 小区 in urban blocks, 院落 (house clusters) and 散居 in the countryside
# --------------------------------------------------------------------------------------------

URBAN_BLOCK_HIGHWAYS = frozenset(
    {
        "primary",
        "secondary",
        "tertiary",
        "residential",
        "living_street",
        "pedestrian",
        "footway",
        "steps",
        "trunk",
    }
)


@dataclass
class Residence:
    comm: int
    kind: str  # "小区" | "院落" | "散居"
    geom: object  # Polygon or MultiPolygon (local metres)
    name: str
    weight: float
    households: int = 0
    anchor: tuple | None = None  # hamlet point


def compounds_and_service_roads(
    w: World, ways: list[Way], comms: list[Community], town_polys, rng, names: NameGen
):
    """Residential compounds in urban blocks, with their service roads and a few mid-block footways."""
    urban = shapely.unary_union([w.core.buffer(30.0)] + [t.buffer(30.0) for t in town_polys])
    shapely.prepare(urban)
    lines = [
        LineString(x.coords)
        for x in ways
        if not x.sep and x.tags.get("highway") in URBAN_BLOCK_HIGHWAYS
    ]
    lines = [g for g in lines if urban.intersects(g)]
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.unary_union(lines))))
    faces = [
        f for f in faces if 2500.0 < f.area < 150_000.0 and urban.contains(f.representative_point())
    ]
    faces.sort(key=lambda f: (round(f.centroid.x, 1), round(f.centroid.y, 1)))
    vert = vertices_of(
        [x for x in ways if x.tags.get("highway") in URBAN_BLOCK_HIGHWAYS - {"steps"}]
    )
    vtree = cKDTree(vert)
    line_tree = STRtree(np.array([LineString(x.coords) for x in ways], dtype=object))
    comm_geoms = [c.geom for c in comms]
    ctree = STRtree(comm_geoms)
    shequ = {c.idx for c in comms if c.kind == "社区"}
    new_ways: list[Way] = []
    res: list[Residence] = []
    for f in faces:
        core_block = w.core.contains(f.representative_point())
        p_res = 0.42 if core_block else 0.5
        inset = f.buffer(-9.0, join_style="mitre").simplify(1.0)
        inset = largest_polygon(inset) if inset.geom_type != "Polygon" else inset
        if inset is None or inset.area < 1800.0 or rng.random() > p_res:
            continue
        inner_lines = line_tree.query(inset, predicate="intersects")
        if len(inner_lines):
            cut = shapely.unary_union([LineString(ways[i].coords).buffer(7.0) for i in inner_lines])
            inset = largest_polygon(inset.difference(cut))
            if inset is None or inset.area < 1800.0:
                continue
        rect = inset.minimum_rotated_rectangle
        rc = np.asarray(rect.exterior.coords)[:4]
        e1, e2 = rc[1] - rc[0], rc[2] - rc[1]
        long_v, long_len = (
            (e1, np.hypot(*e1)) if np.hypot(*e1) >= np.hypot(*e2) else (e2, np.hypot(*e2))
        )
        parts = [inset]
        if long_len > 240.0:
            n = math.ceil(long_len / 190.0)
            axis = long_v / long_len
            ctr = np.array(inset.centroid.coords[0])
            perp = np.array([-axis[1], axis[0]])
            cuts = []
            for k in range(1, n):
                off = (k / n - 0.5) * long_len
                a = ctr + axis * off - perp * 400
                b = ctr + axis * off + perp * 400
                cuts.append(LineString([a, b]))
            cut_area = shapely.unary_union([c.buffer(4.0) for c in cuts])
            parts = polygon_parts(inset.difference(cut_area))
            if rng.random() < 0.35 and cuts:
                hit = f.exterior.intersection(cuts[0])
                pts = [
                    np.array(q.coords[0]) for q in shapely.get_parts(hit) if q.geom_type == "Point"
                ]
                if len(pts) == 2:
                    _, (ja, jb) = vtree.query(pts)
                    a, b = vert[ja], vert[jb]
                    seg = LineString([a, b])
                    if (
                        seg.length > 60
                        and f.buffer(1.0).contains(seg)
                        and np.hypot(*(a - pts[0])) < 40
                        and np.hypot(*(b - pts[1])) < 40
                    ):
                        new_ways.append(
                            Way(resample([a, b], 40.0), {"highway": "footway"}, group="core")
                        )
        for part in parts:
            for j in ctree.query(part, predicate="intersects"):
                if int(j) not in shequ:
                    continue
                piece = part.intersection(comm_geoms[j].buffer(-3.0))
                for pp in polygon_parts(piece):
                    if pp.area < 1500.0:
                        continue
                    pp = shapely.set_precision(pp, 0.01)
                    if pp.is_empty or pp.geom_type != "Polygon":
                        continue
                    dens = 1.3 if core_block and w.river.distance(pp.centroid) < 1200 else 1.0
                    nm = names.take(str(rng.choice(_COMPOUND_SUFFIX)), second=_SECOND + "景苑华庭")
                    res.append(Residence(int(j), "小区", pp, nm, pp.area * dens))
                    if pp.area > 9000.0 and rng.random() < 0.7:
                        _, jv = vtree.query(
                            np.array(
                                pp.exterior.interpolate(rng.uniform(0, pp.exterior.length)).coords[
                                    0
                                ]
                            )
                        )
                        a = vert[jv]
                        b = np.array(pp.representative_point().coords[0])
                        seg = LineString([a, b])
                        others = line_tree.query(seg, predicate="intersects")
                        touching = [
                            o
                            for o in others
                            if LineString(ways[o].coords).distance(Point(a)) > 1e-6
                        ]
                        if touching or seg.length < 25 or not f.buffer(1.0).contains(seg):
                            continue
                        r = rng.random()
                        if r < 0.45:
                            tags = {"highway": "service", "access": "private"}
                        elif r < 0.55:
                            tags = {"highway": "service", "foot": "no", "service": "parking_aisle"}
                        elif r < 0.7:
                            tags = {"highway": "living_street"}
                        else:
                            tags = {"highway": "service"}
                        new_ways.append(Way(resample([a, b], 35.0), tags, group="compound"))
    return res, new_ways


def rural_residences(
    w: World, ways: list[Way], comms: list[Community], hamlets, rng
) -> list[Residence]:
    walk = [LineString(x.coords) for x in ways if is_walkable(x.tags) and not x.sep]
    tree = STRtree(np.array(walk, dtype=object))
    res = []
    by_comm = defaultdict(list)
    for h in hamlets:
        by_comm[h["comm"]].append(h)
    for c in comms:
        hs = by_comm.get(c.idx, [])
        shapely.prepare(c.geom)
        for h in hs:
            p = Point(h["xy"])
            j = tree.nearest(p)
            if walk[j].distance(p) > 60.0:
                continue
            wt = (2.2 if h["centre"] else 1.0) * math.exp(rng.normal(0, 0.35))
            res.append(Residence(c.idx, "院落", None, "", wt, anchor=tuple(h["xy"])))
        # scattered houses along tracks and paths
        n_sc = (
            int(rng.integers(2, 6))
            if c.kind == "村"
            else (int(rng.integers(0, 3)) if c.role != "core" else 0)
        )
        if n_sc:
            idx = tree.query(c.geom, predicate="intersects")
            pts = (
                np.vstack([np.asarray(walk[i].coords) for i in idx])
                if len(idx)
                else np.empty((0, 2))
            )
            pts = (
                pts[shapely.contains_xy(c.geom.buffer(-40.0), pts[:, 0], pts[:, 1])]
                if len(pts)
                else pts
            )
            for _ in range(n_sc):
                if not len(pts):
                    break
                q = pts[int(rng.integers(len(pts)))] + rng.normal(0, 14.0, 2)
                house = house_polygon(q, rng.uniform(0, np.pi), rng)
                if (
                    c.geom.buffer(-2.0).contains(house)
                    and tree.query(house, predicate="intersects").size == 0
                ):
                    res.append(Residence(c.idx, "散居", house, "", 0.0))
    return res


def house_polygon(p, ang: float, rng) -> Polygon:
    wdt, dep = rng.uniform(9.0, 15.0), rng.uniform(7.0, 10.0)
    box = shapely.box(-wdt / 2, -dep / 2, wdt / 2, dep / 2)
    return shapely.affinity.translate(
        shapely.affinity.rotate(box, ang, use_radians=True, origin=(0, 0)), p[0], p[1]
    )


def build_hamlet_houses(r: Residence, comm: Community, blockers, rng) -> None:
    """A cluster of rectangular houses around the hamlet point, off the paths, inside the community."""
    n = int(np.clip(round(r.households / 3.2), 2, 10))  # multi-family farmhouses
    k = n * 8
    cx, cy = r.anchor
    radius = 16.0 + 9.0 * math.sqrt(n)
    rr = 8.0 + radius * np.sqrt(rng.random(k))
    t = rng.uniform(0, 2 * np.pi, k)
    ctr = np.column_stack([cx + rr * np.cos(t), cy + rr * np.sin(t)])
    ang = rng.uniform(0, np.pi) + rng.normal(0, 0.12, k)
    half = np.column_stack([rng.uniform(4.5, 7.5, k), rng.uniform(3.5, 5.0, k)])
    unit = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], float)
    ca, sa = np.cos(ang), np.sin(ang)
    lx = unit[None, :, 0] * half[:, 0:1]
    ly = unit[None, :, 1] * half[:, 1:2]
    corners = np.stack(
        [
            ctr[:, 0:1] + lx * ca[:, None] - ly * sa[:, None],
            ctr[:, 1:2] + lx * sa[:, None] + ly * ca[:, None],
        ],
        axis=-1,
    )
    inner = comm.geom.buffer(-2.0)
    ok = (
        shapely.contains_xy(inner, corners[:, :4, 0].ravel(), corners[:, :4, 1].ravel())
        .reshape(k, 4)
        .all(axis=1)
    )
    _, dist = blockers.query_nearest(shapely.points(ctr), return_distance=True, all_matches=False)
    ok &= dist > half.max(axis=1) + 2.0
    chosen: list[int] = []
    for i in np.nonzero(ok)[0]:
        if len(chosen) >= n:
            break
        if chosen and np.min(np.hypot(*(ctr[chosen] - ctr[i]).T)) < 19.5:
            continue
        chosen.append(int(i))
    if not chosen:
        r.geom = None
        return
    houses = shapely.set_precision(shapely.polygons(corners[chosen]), 0.01)
    r.geom = MultiPolygon(list(houses))
    if not r.geom.is_valid:
        raise RuntimeError(f"overlapping houses in a hamlet of {comm.name}")


def finish_residences(
    w: World, comms: list[Community], res: list[Residence], ways: list[Way], rng, names: NameGen
) -> list[Residence]:
    """Give every community its households, names and house footprints; add fallbacks."""
    walk = [LineString(x.coords) for x in ways if is_walkable(x.tags) and not x.sep]
    blockers = STRtree(np.array(walk, dtype=object))
    # the same ways cut into their segments, for the houses' distance to the nearest way: the
    # same distances (a line's is its nearest segment's), found in time that does not grow with
    # the length of the ways' bounding boxes
    xy = [np.asarray(line.coords) for line in walk]
    segments = STRtree(
        shapely.linestrings(
            np.stack([np.vstack([c[:-1] for c in xy]), np.vstack([c[1:] for c in xy])], axis=1)
        )
    )
    by_comm = defaultdict(list)
    for r in res:
        by_comm[r.comm].append(r)
    out = []
    for c in comms:
        rs = by_comm.get(c.idx, [])
        if not any(r.kind in ("小区", "院落") for r in rs):
            rs = [*rs, fallback_residence(w, c, walk, blockers, rng)]
        total = max(round(c.pop / c.hh_size), len(rs))
        scattered = [r for r in rs if r.kind == "散居"]
        for r in scattered:
            r.households = int(rng.integers(1, 3))
        rest = total - sum(r.households for r in scattered)
        compounds = [r for r in rs if r.kind == "小区"]
        yards = [r for r in rs if r.kind == "院落"]
        if compounds and yards:
            share = 0.7
            n_c = round(rest * share)
            groups = [(compounds, n_c), (yards, rest - n_c)]
        else:
            groups = [(compounds or yards, rest)]
        for members, n in groups:
            if not members:
                continue
            alloc = allocate(n, [max(r.weight, 1e-6) for r in members])
            for r, a in zip(members, alloc, strict=True):
                r.households = int(max(a, 1))
        surnames = list(_SURNAMES)
        for r in rs:
            if r.kind == "院落":
                if r.geom is None:
                    build_hamlet_houses(r, c, segments, rng)
                sn = surnames[int(rng.integers(len(surnames)))]
                r.name = sn + str(rng.choice(_HAMLET_SUFFIX))
            elif r.kind == "散居":
                r.name = f"{c.name}散居农户"
        kept = [r for r in rs if r.geom is not None and not r.geom.is_empty]
        lost = sum(r.households for r in rs) - sum(r.households for r in kept)
        if not kept:
            fb = fallback_residence(w, c, walk, blockers, rng)
            fb.households = total
            kept = [fb]
        elif lost:
            max(kept, key=lambda r: r.households).households += lost
        out.extend(kept)
    return out


def fallback_residence(w: World, c: Community, walk, tree, rng) -> Residence:
    """A compound (社区) or a hamlet (村) next to a walkable way, for a community that has none."""
    idx = tree.query(c.geom, predicate="intersects")
    pts = (
        np.vstack([np.asarray(walk[i].coords) for i in idx])
        if len(idx)
        else np.array([c.geom.representative_point().coords[0]])
    )
    inside = pts[shapely.contains_xy(c.geom.buffer(-40.0), pts[:, 0], pts[:, 1])]
    p = (
        inside[len(inside) // 2]
        if len(inside)
        else np.array(c.geom.representative_point().coords[0])
    )
    if c.kind == "村":
        return Residence(c.idx, "院落", None, "", 1.0, anchor=(float(p[0]), float(p[1])))
    for _ in range(200):
        q = p + rng.normal(0, 15.0, 2)
        h = house_polygon(q, rng.uniform(0, np.pi), rng)
        if c.geom.buffer(-1.0).contains(h) and tree.query(h, predicate="intersects").size == 0:
            break
    geom = h.buffer(6.0, join_style="mitre").intersection(c.geom.buffer(-1.0))
    return Residence(c.idx, "小区", shapely.set_precision(geom, 0.01), f"{c.name[:-2]}小区", 1.0)


# --------------------------------------------------------------------------------------------
# Points of interest: elderly-care facilities, health facilities, candidate sites, roster
# --------------------------------------------------------------------------------------------

STREET_LIKE = frozenset(
    {
        "primary",
        "secondary",
        "tertiary",
        "residential",
        "living_street",
        "pedestrian",
        "unclassified",
        "trunk",
    }
)


class Sites:
    """Finds plausible building sites next to streets inside a community."""

    def __init__(
        self, w: World, ways: list[Way], comms: list[Community], residences: list[Residence]
    ) -> None:
        self.w = w
        pub = [
            x for x in ways if is_walkable(x.tags) and not x.sep and x.tags["highway"] != "steps"
        ]
        self.lines = np.array([LineString(x.coords) for x in pub], dtype=object)
        self.tree = STRtree(self.lines)
        self.names = [x.tags.get("name") for x in pub]
        self.street = np.array([x.tags["highway"] in STREET_LIKE for x in pub])
        pts, owner = [], []
        for i, x in enumerate(pub):
            pts.append(x.coords)
            owner.append(np.full(len(x.coords), i))
        self.pts = np.vstack(pts)
        self.owner = np.concatenate(owner)
        self.comms = comms
        ctree = STRtree([c.geom for c in comms])
        pi, ci = ctree.query(shapely.points(self.pts), predicate="within")
        self.by_comm = defaultdict(list)
        for a, b in zip(pi, ci, strict=True):
            self.by_comm[int(b)].append(int(a))
        self.res_geoms = STRtree(np.array([r.geom for r in residences], dtype=object))
        self.rb = w.river_buffer().buffer(20.0)
        shapely.prepare(self.rb)
        self.taken: list[np.ndarray] = []

    def pick(
        self, comm: Community, rng, *, near=None, streets: bool = True, spread: float = 0.0
    ) -> np.ndarray:
        idx = np.array(self.by_comm.get(comm.idx, []), int)
        if streets and len(idx):
            st = idx[self.street[self.owner[idx]]]
            idx = st if len(st) else idx
        inner = comm.geom.buffer(-6.0)
        shapely.prepare(inner)
        if not len(idx):
            return np.array(inner.representative_point().coords[0])
        if near is not None:
            d = np.hypot(*(self.pts[idx] - np.asarray(near)).T) + rng.uniform(
                0, spread + 1.0, len(idx)
            )
            order = idx[np.argsort(d, kind="stable")]
        else:
            order = idx[rng.permutation(len(idx))]
        for v in order[:60]:
            base = self.pts[v]
            for _ in range(8):
                ang = rng.uniform(0, 2 * np.pi)
                q = base + rng.uniform(12.0, 24.0) * np.array([np.cos(ang), np.sin(ang)])
                if not inner.contains(Point(q)) or self.rb.contains(Point(q)):
                    continue
                if self.tree.query(Point(q).buffer(7.0), predicate="intersects").size:
                    continue
                if any(np.hypot(*(q - t)) < 15.0 for t in self.taken[-400:]):
                    continue
                self.taken.append(q)
                return q
        q = self.pts[order[0]]
        self.taken.append(q)
        return q

    def address(self, p, unit: Unit, comm: Community, rng) -> str:
        j = self.tree.query(Point(p).buffer(250.0), predicate="intersects")
        named = [k for k in j if self.names[k]]
        if named:
            k = min(named, key=lambda k: self.lines[k].distance(Point(p)))
            num = 1 + int(self.lines[k].project(Point(p)) / 12.0)
            return f"重庆市{self.w.dist.name}{unit.name}{self.names[k]}{num}号"
        if comm.kind == "村":
            return f"重庆市{self.w.dist.name}{unit.name}{comm.name}{int(rng.integers(1, 12))}组"
        return f"重庆市{self.w.dist.name}{unit.name}{comm.name}"


def amap_ids(rng, n: int, used: set) -> list[str]:
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    out = []
    while len(out) < n:
        s = "B0FF" + "".join(alphabet[int(k)] for k in rng.integers(0, len(alphabet), 6))
        if s not in used:
            used.add(s)
            out.append(s)
    return out


def make_health(
    w: World, units: list[Unit], comms: list[Community], sites: Sites, hamlets, rng, ids: set
) -> list[dict]:
    rows = []
    centres = {h["comm"]: h["xy"] for h in hamlets if h["centre"]}
    for u in units:
        if u.kind == "街道":
            mem = [c for c in u.members if c.kind == "社区"]
            n = 2 if (len(mem) >= 10 and rng.random() < 0.6) else 1
            mem_sorted = sorted(
                mem, key=lambda c: math.hypot(c.seed[0] - u.seat[0], c.seed[1] - u.seat[1])
            )
            picks = [mem_sorted[0]] + ([mem_sorted[len(mem_sorted) * 2 // 3]] if n == 2 else [])
            for k, c in enumerate(picks):
                p = sites.pick(c, rng, near=c.seed)
                nm = (
                    f"{w.dist.name}{u.name}社区卫生服务中心"
                    if k == 0
                    else f"{w.dist.name}{u.name}{c.name[:-2]}社区卫生服务中心"
                )
                rows.append({"type": "社区卫生服务中心", "name": nm, "xy": p, "unit": u, "comm": c})
        else:
            seat = next(c for c in u.members if c.role == "seat")
            p = sites.pick(seat, rng, near=u.seat)
            big = sum(c.pop for c in u.members) > 25000
            rows.append(
                {
                    "type": "卫生院",
                    "name": f"{w.dist.name}{u.name}{'中心' if big else ''}卫生院",
                    "xy": p,
                    "unit": u,
                    "comm": seat,
                }
            )
    for c in comms:
        if c.kind == "村" and rng.random() < 0.7:
            p = sites.pick(c, rng, near=centres.get(c.idx, c.seed), streets=False)
            rows.append(
                {
                    "type": "村卫生室",
                    "name": f"{c.name}卫生室",
                    "xy": p,
                    "unit": units[c.unit],
                    "comm": c,
                }
            )
    for r, i in zip(rows, amap_ids(rng, len(rows), ids), strict=True):
        r["id"] = w.dist.id_prefix + i
    return rows


def make_facilities(
    w: World,
    units: list[Unit],
    comms: list[Community],
    residences,
    sites: Sites,
    health,
    hamlets,
    rng,
    ids: set,
    names: NameGen,
) -> list[dict]:
    lay = w.lay
    rows = []
    centres = {h["comm"]: h["xy"] for h in hamlets if h["centre"]}
    hosp = {}
    for r in health:
        if r["type"] in ("卫生院", "社区卫生服务中心"):
            hosp.setdefault(r["unit"].idx, r)
    streets = [u for u in units if u.kind == "街道"]
    towns = [u for u in units if u.kind == "镇"]
    for u in sorted(
        rng.choice(streets, size=min(lay.n_street_centers, len(streets)), replace=False),
        key=lambda u: u.idx,
    ):
        h = hosp[u.idx]
        p = sites.pick(h["comm"], rng, near=h["xy"], spread=60.0)
        rows.append(
            {
                "type": "街道养老服务中心",
                "name": f"{u.name}养老服务中心",
                "xy": p,
                "unit": u,
                "comm": h["comm"],
                "area": rng.uniform(1500, 2600),
                "beds": int(rng.integers(20, 41)),
                "year": int(rng.integers(2019, 2024)),
            }
        )
    town_pop = np.array([sum(c.pop for c in u.members) for u in towns], float)
    pick_t = rng.choice(
        len(towns),
        size=min(lay.n_town_centers, len(towns)),
        replace=False,
        p=town_pop / town_pop.sum(),
    )
    with_center = {towns[k].idx for k in pick_t}
    for u in towns:
        if u.idx not in with_center:
            continue
        h = hosp[u.idx]
        p = sites.pick(h["comm"], rng, near=h["xy"] if rng.random() < 0.8 else u.seat, spread=80.0)
        rows.append(
            {
                "type": "乡镇养老服务中心",
                "name": f"{u.name}养老服务中心",
                "xy": p,
                "unit": u,
                "comm": h["comm"],
                "area": rng.uniform(800, 1500),
                "beds": int(rng.integers(20, 46)),
                "year": int(rng.integers(2017, 2024)),
            }
        )
    # institutions: town 敬老院 (public) and private 养老院
    n_jly = lay.count(5 if lay.variant == "full" else 1)
    n_yly = lay.count(4 if lay.variant == "full" else 1)
    for u in sorted(
        rng.choice(towns, size=min(n_jly, len(towns)), replace=False), key=lambda u: u.idx
    ):
        seat = next(c for c in u.members if c.role == "seat")
        p = sites.pick(seat, rng, near=u.seat, spread=300.0)
        rows.append(
            {
                "type": "敬老院",
                "name": f"{w.dist.name}{u.name}敬老院",
                "xy": p,
                "unit": u,
                "comm": seat,
                "area": rng.uniform(1200, 3800),
                "beds": int(rng.integers(40, 121)),
                "year": int(rng.integers(1996, 2013)),
            }
        )
    shequ = [c for c in comms if c.kind == "社区"]
    for k in range(n_yly):
        c = shequ[int(rng.integers(len(shequ)))] if k else max(shequ, key=lambda c: c.p60)
        p = sites.pick(c, rng)
        nm = names.take(str(rng.choice(["颐养院", "老年公寓", "养老院", "康养中心"])))
        rows.append(
            {
                "type": "养老院",
                "name": nm,
                "xy": p,
                "unit": units[c.unit],
                "comm": c,
                "area": rng.uniform(2000, 8000),
                "beds": int(rng.integers(6, 31)) * 10,
                "year": int(rng.integers(2010, 2023)),
            }
        )
    # stations in ~40 % of 社区 (older ones more likely), points in ~35 % of 村
    for kind, share, typ in (
        ("社区", lay.n_stations_share, "社区养老服务站"),
        ("村", lay.n_points_share, "村级互助养老点"),
    ):
        pool = [c for c in comms if c.kind == kind]
        n = round(share * len(pool))
        wts = np.array([c.p60 for c in pool], float) ** 0.7
        chosen = rng.choice(len(pool), size=n, replace=False, p=wts / wts.sum())
        for k in sorted(chosen):
            c = pool[k]
            if typ == "社区养老服务站":
                p = sites.pick(c, rng)
                rows.append(
                    {
                        "type": typ,
                        "name": f"{c.name}养老服务站",
                        "xy": p,
                        "unit": units[c.unit],
                        "comm": c,
                        "area": rng.uniform(200, 400),
                        "beds": int(rng.choice([0, 0, 4, 6, 8, 10])),
                        "year": int(rng.integers(2015, 2025)),
                    }
                )
            else:
                p = sites.pick(c, rng, near=centres.get(c.idx, c.seed), streets=False)
                rows.append(
                    {
                        "type": typ,
                        "name": f"{c.name}互助养老点",
                        "xy": p,
                        "unit": units[c.unit],
                        "comm": c,
                        "area": rng.uniform(40, 120),
                        "beds": 0,
                        "year": int(rng.integers(2018, 2025)),
                    }
                )
    # compound points in a few large compounds
    big_comp = sorted((r for r in residences if r.kind == "小区"), key=lambda r: -r.households)
    n_cp = lay.count(8 if lay.variant == "full" else 1)
    for r in big_comp[: n_cp * 3 : 3]:
        c = comms[r.comm]
        q = np.array(r.geom.exterior.interpolate(rng.uniform(0, r.geom.exterior.length)).coords[0])
        ctr = np.array(r.geom.representative_point().coords[0])
        p = q + (ctr - q) * 0.15
        rows.append(
            {
                "type": "小区养老服务点",
                "name": f"{r.name}养老服务点",
                "xy": p,
                "unit": units[c.unit],
                "comm": c,
                "area": rng.uniform(40, 120),
                "beds": 0,
                "year": int(rng.integers(2021, 2025)),
                "compound": r.name,
            }
        )
    for r, i in zip(rows, amap_ids(rng, len(rows), ids), strict=True):
        r["id"] = w.dist.id_prefix + i
    return rows


# (name template, cost note) per kind of site; {u} = 街道/镇 short name, {c} = 社区/村 name
SITE_KINDS = {
    ("街道", "闲置国有资产"): (
        ("原{u}中学校舍", "闲置校舍，需结构加固"),
        ("原区属国企办公楼", "已腾空，产权清晰"),
        ("{u}街道办事处旧址", "闲置国有房产，需改造"),
    ),
    ("街道", "社区用房"): (("{c}党群服务中心", "社区用房，可整体调剂"),),
    ("街道", "租赁"): (("{c}商业综合体三楼", "整层租赁，可签10年租约"),),
    ("镇", "闲置国有资产"): (
        ("原{u}乡政府办公楼", "撤乡并镇后闲置"),
        ("原{u}镇中心小学", "闲置校舍，需结构加固"),
        ("原{u}粮站", "粮站仓库，需改造"),
        ("原{u}供销社", "闲置国有房产"),
    ),
    ("镇", "社区用房"): (("{c}便民服务中心", "社区用房，可调剂两层"),),
    ("镇", "租赁"): (("{c}场镇临街门面", "整栋租赁"),),
    ("社区", "闲置国有资产"): (
        ("{c}原国营厂办公楼", "闲置国有房产"),
        ("{c}闲置国有门面", "闲置国有门面"),
    ),
    ("社区", "社区用房"): (
        ("{c}办公用房", "社区办公用房一楼"),
        ("{c}小区配套用房", "开发商移交的配套用房"),
        ("{c}党群服务中心附属用房", "社区用房"),
    ),
    ("社区", "租赁"): (
        ("{c}临街商铺", "临街底商，可签5年租约"),
        ("{c}商住楼门面", "商住楼一楼门面"),
        ("{c}原诊所用房", "原诊所用房，需改造"),
    ),
    ("村", "闲置国有资产"): (("{c}原村小", "村小撤并后闲置"),),
    ("村", "社区用房"): (
        ("{c}原村委会办公室", "村委会搬迁后闲置"),
        ("{c}村级活动室", "村级活动室，可调剂"),
    ),
    ("村", "租赁"): (("{c}农户民房", "民房整租"),),
}


def make_candidates(w: World, units, comms, facilities, sites: Sites, hamlets, rng) -> list[dict]:
    centres = {h["comm"]: h["xy"] for h in hamlets if h["centre"]}
    has_center = {
        f["unit"].idx for f in facilities if f["type"] in ("街道养老服务中心", "乡镇养老服务中心")
    }
    has_fac = {
        f["comm"].idx
        for f in facilities
        if f["type"] in ("社区养老服务站", "村级互助养老点", "小区养老服务点")
    }
    rows = []

    def add(c, u, source, types, area, level, near=None):
        p = sites.pick(c, rng, near=near, streets=c.kind == "社区" or near is None, spread=150.0)
        urban = c.kind == "社区"
        rate = (
            (rng.uniform(30, 55) if c.role == "core" else rng.uniform(12, 22))
            if urban
            else rng.uniform(4, 8)
        )
        cost = None
        if source == "闲置国有资产":
            r = rng.random()
            cost = (
                0.0 if r < 0.3 else (round(area * rng.uniform(0.06, 0.14), 1) if r < 0.65 else None)
            )
        elif rng.random() < 0.25:
            cost = round(area * rng.uniform(0.04, 0.1), 1)
        rent = int(round(area * rate / 10.0) * 10) if source == "租赁" else None
        options = SITE_KINDS[(level, source)]
        tmpl, note = options[int(rng.integers(len(options)))]
        short = u.name[:-2] if u.kind == "街道" else u.name[:-1]
        nm = tmpl.format(u=short, c=c.name)
        k = sum(1 for r in rows if r["name"] == nm or r["name"].startswith(nm + "（"))
        if k:
            nm = f"{nm}（{k + 1}）"
        rows.append(
            {
                "source": source,
                "types": types,
                "area": round(area),
                "cost": cost,
                "rent": rent,
                "xy": p,
                "unit": u,
                "comm": c,
                "note": note,
                "name": nm,
            }
        )

    for u in units:
        seat_c = min(
            (c for c in u.members if c.kind == "社区"),
            key=lambda c: math.hypot(c.seed[0] - u.seat[0], c.seed[1] - u.seat[1]),
            default=None,
        )
        if seat_c is None:
            continue
        n_big = int(rng.integers(2, 4)) if u.idx not in has_center else int(rng.random() < 0.4)
        for k in range(n_big):
            if u.kind == "街道":
                c = seat_c if k == 0 else u.members[int(rng.integers(len(u.members)))]
                if c.kind != "社区":
                    c = seat_c
                area = rng.uniform(1500, 3600)
                types = "街道养老服务中心、社区养老服务站"
            else:
                c = seat_c
                area = rng.uniform(800, 2400)
                types = (
                    "乡镇养老服务中心、社区养老服务站"
                    if k == 0
                    else "乡镇养老服务中心、村级互助养老点"
                )
            src = (
                "闲置国有资产" if k != 1 else str(rng.choice(["社区用房", "租赁", "闲置国有资产"]))
            )
            add(c, u, src, types, area, u.kind, near=u.seat)
    for c in comms:
        u = units[c.unit]
        if c.kind == "社区":
            n = (
                int(rng.choice([1, 2, 2, 3]))
                if c.idx not in has_fac
                else int(rng.choice([0, 1, 1, 2]))
            )
            if c.idx not in has_fac and rng.random() < 0.06:
                n = 0
            for _ in range(n):
                src = str(rng.choice(["社区用房", "租赁", "租赁", "闲置国有资产"]))
                area = rng.uniform(200, 600) if rng.random() < 0.75 else rng.uniform(50, 190)
                types = "社区养老服务站、小区养老服务点" if area >= 200 else "小区养老服务点"
                add(c, u, src, types, area, "社区")
        else:
            n = (
                (2 if rng.random() < 0.35 else 1)
                if c.idx not in has_fac
                else int(rng.random() < 0.4)
            )
            if c.idx not in has_fac and rng.random() < 0.06:
                n = 0
            for _ in range(n):
                src = str(rng.choice(["社区用房", "社区用房", "闲置国有资产", "租赁"]))
                add(
                    c,
                    u,
                    src,
                    "村级互助养老点",
                    rng.uniform(60, 300),
                    "村",
                    near=centres.get(c.idx, c.seed),
                )
    for k, r in enumerate(rows):
        r["id"] = f"{w.dist.id_prefix}C{k + 1:04d}"
    return rows


ASSESS = {
    "失能": ("三级", "四级", "四级", "三级", ""),
    "半失能": ("一级", "二级", "二级", "一级", ""),
}


#: The random stream of the roster's clustering (apart from every other draw).
ROSTER_STREAM = 1309
#: How strongly each group gathers where the residence's latent need is high (log-normal spread):
#: the frail and the poor cluster in old compounds and remote hamlets, people living alone less.
ROSTER_CLUSTER = {"失能": 1.2, "半失能": 1.2, "特困": 1.2, "独居": 0.5, "空巢": 0.5}


def make_roster(w: World, units, comms, residences: list[Residence], rng) -> list[dict]:
    """The roster of elderly people in difficulty: c.groups[g] people of each group per community.

    People live in the community's residences in proportion to households times a need factor
    ``exp(σ_g · z_r)``: ``z_r`` is a latent need of each residence (standard normal, +0.5 for
    scattered rural homes, 散居), shared by the groups, so that the frail, the poor and those alone
    gather in the same old compounds and remote hamlets as in real districts, rather than being
    spread like everyone else. ``z`` comes from a stream of its own (seeded from the state of
    ``rng`` without drawing from it).
    """
    by_comm = defaultdict(list)
    for r in residences:
        by_comm[r.comm].append(r)
    state = rng.bit_generator.state["state"]
    crng = np.random.default_rng(
        [ROSTER_STREAM, int(state["state"]) % 2**63, int(state["inc"]) % 2**63]
    )
    rows = []
    age_mean = {"失能": 80.0, "半失能": 77.0, "特困": 72.0, "独居": 75.0, "空巢": 71.0}
    for c in comms:
        rs = by_comm[c.idx]
        wts = np.array([r.households for r in rs], float)
        need = crng.standard_normal(len(rs)) + np.array(
            [0.5 if r.kind == "散居" else 0.0 for r in rs]
        )
        inner = c.geom.buffer(-1.0)
        shapely.prepare(inner)
        u = units[c.unit]
        for group in ("失能", "半失能", "特困", "独居", "空巢"):
            gw = wts * np.exp(ROSTER_CLUSTER[group] * need)
            for _ in range(c.groups[group]):
                r = rs[int(rng.choice(len(rs), p=gw / gw.sum()))]
                p = roster_point(r, inner, rng)
                age = int(
                    np.clip(round(60 + rng.gamma(2.2, (age_mean[group] - 60) / 2.2)), 60, 104)
                )
                female = rng.random() < (0.5 + 0.004 * (age - 60))
                sn = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
                given = "某" + (_FEMALE_CHARS if female else _MALE_CHARS)[int(rng.integers(23))]
                level = (
                    str(rng.choice(ASSESS[group]))
                    if group in ASSESS
                    else ("一级" if group == "特困" and rng.random() < 0.1 else "")
                )
                if r.kind == "小区":
                    addr = f"{u.name}{c.name}{r.name}{int(rng.integers(1, 25))}栋{int(rng.integers(1, 5))}单元{int(rng.integers(1, 19))}{int(rng.integers(1, 5)):02d}"
                else:
                    addr = f"{u.name}{c.name}{int(rng.integers(1, 12))}组{r.name}"
                rows.append(
                    {
                        "name": sn + given,
                        "sex": "女" if female else "男",
                        "age": age,
                        "group": group,
                        "level": level,
                        "code": c.code,
                        "addr": addr,
                        "xy": p,
                    }
                )
    for k, r in enumerate(rows):
        r["id"] = f"{w.dist.id_prefix}R{k + 1:06d}"
    return rows


def roster_point(r: Residence, inner, rng) -> np.ndarray:
    g = r.geom
    parts = [p for p in shapely.get_parts(g)]
    for _ in range(50):
        part = parts[int(rng.integers(len(parts)))]
        if r.kind == "小区":
            minx, miny, maxx, maxy = part.bounds
            q = np.array([rng.uniform(minx, maxx), rng.uniform(miny, maxy)])
            if part.contains(Point(q)):
                return q
        else:
            q = np.array(part.centroid.coords[0]) + rng.normal(0, 2.5, 2)
            if inner.contains(Point(q)):
                return q
    return np.array(parts[0].representative_point().coords[0])


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def lonlat_geom(w: World, geom, grid: float = 1e-7):
    return shapely.set_precision(w.frame.geom_to_lonlat(geom), grid, mode="pointwise")


def lonlat_polygon(w: World, poly: Polygon, grid: float = 1e-7) -> Polygon:
    """``lonlat_geom`` of a polygon, kept valid.

    Rounding each vertex on its own keeps the vertices shared by neighbouring polygons identical,
    but it can make a polygon cross itself where a vertex lies a few cm from another edge (about
    1 seed in 20). Only then the polygon is rounded by GEOS keeping it valid instead, which moves
    it by less than the grid (~1 cm); valid polygons are left exactly as rounded pointwise.
    """
    g = lonlat_geom(w, poly, grid)
    if g.is_valid and g.geom_type == "Polygon":
        return g
    fixed = shapely.set_precision(w.frame.geom_to_lonlat(poly), grid, mode="valid_output")
    return largest_polygon(fixed) or g


def write_boundaries(path: Path, w: World, units: list[Unit], comms: list[Community]) -> dict:
    import geopandas as gpd

    cg = [lonlat_polygon(w, c.geom) for c in comms]
    bad = [
        c.code for c, g in zip(comms, cg, strict=True) if not g.is_valid or g.geom_type != "Polygon"
    ]
    if bad:
        raise RuntimeError(f"invalid community polygons after rounding: {bad[:5]}")
    ug = []
    for u in units:
        g = shapely.unary_union([cg[c.idx] for c in comms if c.unit == u.idx])
        if g.geom_type != "Polygon":
            raise RuntimeError(f"{u.name} ({u.code}) is not one contiguous polygon")
        ug.append(g)
    district = shapely.unary_union(ug)
    if district.geom_type != "Polygon":
        raise RuntimeError("the district outline is not one polygon")
    crs = f"EPSG:{BOUNDARY_EPSG}"
    gpd.GeoDataFrame(
        {"区划代码": [w.dist.code], "名称": [w.dist.name]}, geometry=[district], crs=crs
    ).to_file(path, layer="区界", driver="GPKG", engine="pyogrio")
    gpd.GeoDataFrame(
        {
            "街镇代码": [u.code for u in units],
            "街镇名称": [u.name for u in units],
            "类型": [u.kind for u in units],
        },
        geometry=ug,
        crs=crs,
    ).to_file(path, layer="街道镇", driver="GPKG", engine="pyogrio")
    cols = {
        "社区村代码": [c.code for c in comms],
        "社区村名称": [c.name for c in comms],
        "街镇代码": [units[c.unit].code for c in comms],
        "类型": [c.kind for c in comms],
        "常住人口": [c.pop for c in comms],
        "60岁及以上": [c.p60 for c in comms],
        "65岁及以上": [c.p65 for c in comms],
        "80岁及以上": [c.p80 for c in comms],
        "失能半失能": [c.groups["失能"] + c.groups["半失能"] for c in comms],
        "特困": [c.groups["特困"] for c in comms],
        "独居空巢": [c.groups["独居"] + c.groups["空巢"] for c in comms],
    }
    gpd.GeoDataFrame(cols, geometry=cg, crs=crs).to_file(
        path, layer="社区村", driver="GPKG", engine="pyogrio"
    )
    return {"district_area_km2": w.district.area / 1e6}


def write_buildings(
    path: Path,
    w: World,
    comms: list[Community],
    residences: list[Residence],
    year_built: list | None = None,
) -> None:
    import geopandas as gpd

    geoms = []
    for r in residences:
        g = r.geom if r.geom.geom_type == "MultiPolygon" else MultiPolygon([r.geom])
        g = shapely.set_precision(w.frame.geom_to_metric(g), 0.01)
        if not g.is_valid or g.is_empty:
            raise RuntimeError(f"invalid residential geometry {r.name} in {comms[r.comm].name}")
        geoms.append(g)
    gdf = gpd.GeoDataFrame(
        {
            "名称": [r.name for r in residences],
            "类别": [r.kind for r in residences],
            "户数": np.array([r.households for r in residences], dtype="int64"),
            "社区村代码": [comms[r.comm].code for r in residences],
        },
        geometry=geoms,
        crs=f"EPSG:{METRIC_EPSG}",
    )
    if year_built is not None:
        gdf.insert(len(gdf.columns) - 1, "建成年份", pd.array(year_built, dtype="Int64"))
    gdf.to_file(path, layer="residential", driver="GPKG", engine="pyogrio")


def write_dem(path: Path, w: World) -> None:
    import rasterio
    from affine import Affine

    west, north = w.dem_transform
    profile = {
        "driver": "GTiff",
        "height": w.dem.shape[0],
        "width": w.dem.shape[1],
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": Affine(ARCSEC, 0.0, west, 0.0, -ARCSEC, north),
        "nodata": -32768,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 9,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(w.dem, 1)
        dst.update_tags(
            AREA_OR_POINT="Area",
            DESCRIPTION=f"Synthetic terrain of the fictional {w.dist.name_en.lower()} {w.dist.name} ({w.dist.code}); not real elevation data",
        )


def write_pbf(
    path: Path, w: World, ways: list[Way], units, comms, hamlets, names_river: tuple[str, str]
) -> dict:
    import datetime

    import osmium
    from osmium.osm.mutable import Node
    from osmium.osm.mutable import Way as OWay

    ts = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    uniq, ids = node_keys(ways)
    order = np.concatenate(ids)
    first_seen = np.full(len(uniq), -1)
    seen_order = []
    for k in order:
        if first_seen[k] < 0:
            first_seen[k] = len(seen_order)
            seen_order.append(k)
    base = w.dist.osm_id_base
    node_id = first_seen + 1 + base
    lon, lat = w.frame.to_lonlat(uniq[:, 0], uniq[:, 1])
    header = osmium.io.Header()
    header.set("generator", "siting scripts/make_demo_district.py (synthetic data, CC0)")
    writer = osmium.SimpleWriter(str(path), header=header)
    extra_nodes, extra_ways = [], []
    next_node = base + len(uniq) + 1
    # rivers (separate nodes: water does not share nodes with roads)
    river_ids: dict = {}
    river_lines = [(w.river, names_river[0])] + (
        [(w.trib, names_river[1])] if w.trib is not None else []
    )
    for line, nm in river_lines:
        g = line.intersection(w.district.buffer(1200.0))
        for part in shapely.get_parts(g):
            if part.geom_type != "LineString":
                continue
            c = np.asarray(part.coords)
            rl, rt = w.frame.to_lonlat(c[:, 0], c[:, 1])
            nids = []
            for xy, a, b in zip(c, rl, rt, strict=True):
                key = (round(float(xy[0]), 3), round(float(xy[1]), 3))
                if key not in river_ids:  # the tributary shares its mouth with the main river
                    river_ids[key] = next_node
                    extra_nodes.append((next_node, a, b, None))
                    next_node += 1
                nids.append(river_ids[key])
            for s in range(0, len(nids) - 1, 400):
                extra_ways.append((nids[s : s + 401], {"waterway": "river", "name": nm}))
    # place nodes
    for u in units:
        if u.kind == "镇":
            pl, pt = w.frame.to_lonlat(*u.seat)
            extra_nodes.append((next_node, float(pl), float(pt), {"place": "town", "name": u.name}))
            next_node += 1
    for h in hamlets:
        if h["centre"] and comms[h["comm"]].kind == "村":
            pl, pt = w.frame.to_lonlat(*(h["xy"] + np.array([18.0, 12.0])))  # off the track end
            extra_nodes.append(
                (
                    next_node,
                    float(pl),
                    float(pt),
                    {"place": "village", "name": comms[h["comm"]].name},
                )
            )
            next_node += 1
    try:
        for k in seen_order:
            writer.add_node(
                Node(
                    id=int(node_id[k]),
                    location=(float(lon[k]), float(lat[k])),
                    version=1,
                    timestamp=ts,
                    changeset=1,
                )
            )
        for nid, a, b, tags in extra_nodes:
            writer.add_node(
                Node(
                    id=nid,
                    location=(float(a), float(b)),
                    version=1,
                    timestamp=ts,
                    changeset=1,
                    tags=tags or {},
                )
            )
        wid = base + 1
        for x, k in zip(ways, ids, strict=True):
            writer.add_way(
                OWay(
                    id=wid,
                    nodes=[int(n) for n in node_id[k]],
                    version=1,
                    timestamp=ts,
                    changeset=1,
                    tags=x.tags,
                )
            )
            wid += 1
        for nids, tags in extra_ways:
            writer.add_way(
                OWay(id=wid, nodes=nids, version=1, timestamp=ts, changeset=1, tags=tags)
            )
            wid += 1
    finally:
        writer.close()
    if base and max(next_node, wid) - base >= OSM_IDS_PER_DISTRICT:
        raise RuntimeError(f"more than {OSM_IDS_PER_DISTRICT:,} OSM objects in one district")
    return {"osm_nodes": next_node - 1 - base, "osm_ways": wid - 1 - base, "road_nodes": len(uniq)}


def gcj(w: World, xy) -> tuple[np.ndarray, np.ndarray]:
    from siting.coords import wgs84_to_gcj02

    xy = np.atleast_2d(np.asarray(xy, float))
    lon, lat = w.frame.to_lonlat(xy[:, 0], xy[:, 1])
    return wgs84_to_gcj02(np.asarray(lon), np.asarray(lat))


#: Operators (运营方式) of the facilities by type, with their probabilities (siting.io.OPERATORS:
#: 公办公营 and 村委会自办 are public; 公建民营, 民办, 民办公助 are socially run, 001 §一, 004 一).
OPERATOR_SHARES = {
    "街道养老服务中心": {"公建民营": 1.0},  # 001 §二(三): city centers are run by institutions
    "乡镇养老服务中心": {"公办公营": 0.45, "公建民营": 0.45, "民办公助": 0.1},
    "社区养老服务站": {"公建民营": 0.8, "民办": 0.1, "公办公营": 0.1},
    "村级互助养老点": {"村委会自办": 0.65, "公建民营": 0.35},
    "小区养老服务点": {"民办": 0.6, "公建民营": 0.4},
    "敬老院": {"公办公营": 0.6, "公建民营": 0.4},  # 002 §18: 公建民营 of town 敬老院
    "养老院": {"民办": 1.0},
}
#: Share of nursing-type beds (护理型床位) among the beds, a uniform range per type.
NURSING_SHARE = {
    "敬老院": (0.3, 0.6),
    "养老院": (0.5, 0.8),
    "街道养老服务中心": (0.3, 0.6),
    "乡镇养老服务中心": (0.3, 0.7),
}
#: Probability that a facility hosts a meal point (老年人助餐点, 000 专栏2).
MEAL_SHARE = {
    "街道养老服务中心": 1.0,
    "乡镇养老服务中心": 0.9,
    "社区养老服务站": 0.6,
    "村级互助养老点": 0.3,
    "小区养老服务点": 0.25,
    "敬老院": 1.0,
    "养老院": 1.0,
}
INDICATOR_STREAM = 1308  # the random stream of indicator_columns (apart from every other draw)


def indicator_columns(d: dict, seed: int) -> dict:
    """The optional columns of the plan indicators, drawn from their own random stream.

    Facilities: 护理型床位数 (nursing-type beds), 运营方式 (operator), 助餐服务 (meal point: 是/否);
    residences: 建成年份 (year built) for 小区 only — a compound with a 小区养老服务点 was built in the
    point's year (its provision, "四同步"), the others uniformly in 1985–2024; 院落/散居 have none.
    A separate generator (``seed``, INDICATOR_STREAM) leaves every other column and file as it was.
    """
    rng = np.random.default_rng([seed, INDICATOR_STREAM])
    nursing, operator, meal = [], [], []
    for r in d["facilities"]:
        t, beds = r["type"], int(r["beds"])
        lo, hi = NURSING_SHARE.get(t, (0.0, 0.0))
        nursing.append(round(beds * rng.uniform(lo, hi)) if hi > 0 else 0)
        names, probs = zip(*OPERATOR_SHARES[t].items(), strict=True)
        operator.append(str(rng.choice(names, p=probs)))
        meal.append("是" if rng.random() < MEAL_SHARE[t] else "否")
    point_year = {
        (r["compound"], r["comm"].idx): r["year"] for r in d["facilities"] if "compound" in r
    }
    years: list[int | None] = []
    for r in d["residences"]:
        if r.kind != "小区":
            years.append(None)
            continue
        drawn = int(rng.integers(1985, 2025))
        years.append(point_year.get((r.name, r.comm), drawn))
    return {"nursing_beds": nursing, "operator": operator, "meal": meal, "year_built": years}


def indicator_summary(cols: dict, d: dict, since: int = 2021) -> dict:
    """Figures of the indicator columns for the data card."""
    fac = d["facilities"]
    inst = [k for k, r in enumerate(fac) if r["type"] in ("敬老院", "养老院")]
    beds = sum(int(r["beds"]) for r in fac)
    inst_beds = sum(int(fac[k]["beds"]) for k in inst)
    inst_nursing = sum(cols["nursing_beds"][k] for k in inst)
    new = [y for y in cols["year_built"] if y is not None and y >= since]
    return {
        "beds": beds,
        "inst_beds": inst_beds,
        "inst_nursing": inst_nursing,
        "operators": dict(Counter(cols["operator"])),
        "meal": sum(1 for m in cols["meal"] if m == "是"),
        "compounds_dated": sum(1 for y in cols["year_built"] if y is not None),
        "compounds_new": len(new),
        "since": since,
    }


def write_poi_csv(
    path: Path,
    w: World,
    rows: list[dict],
    *,
    facilities: bool,
    sites: Sites,
    rng,
    extra: dict | None = None,
) -> None:
    lon, lat = gcj(w, [r["xy"] for r in rows])
    data = {
        "id": [r["id"] for r in rows],
        "名称": [r["name"] for r in rows],
        "类型": [r["type"] for r in rows],
        "地址": [sites.address(r["xy"], r["unit"], r["comm"], rng) for r in rows],
        "经度": [f"{v:.6f}" for v in lon],
        "纬度": [f"{v:.6f}" for v in lat],
    }
    if facilities:
        data["建筑面积"] = [round(r["area"]) for r in rows]
        data["床位数"] = [r["beds"] for r in rows]
        data["建成年份"] = [r["year"] for r in rows]
    if extra is not None:
        data["护理型床位数"] = extra["nursing_beds"]
        data["运营方式"] = extra["operator"]
        data["助餐服务"] = extra["meal"]
    pd.DataFrame(data).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_candidates(path: Path, w: World, rows: list[dict]) -> None:
    import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Font

    lon, lat = gcj(w, [r["xy"] for r in rows])
    wb = Workbook()
    ws = wb.active
    ws.title = "候选点"
    head = [
        "编号",
        "名称",
        "来源",
        "可建类型",
        "建筑面积",
        "改造费用(万元)",
        "月租金(元)",
        "经度",
        "纬度",
        "备注",
    ]
    ws.append(head)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r, a, b in zip(rows, lon, lat, strict=True):
        ws.append(
            [
                r["id"],
                r["name"],
                r["source"],
                r["types"],
                r["area"],
                r["cost"],
                r["rent"],
                round(float(a), 6),
                round(float(b), 6),
                r["note"],
            ]
        )
    for col, width in zip("ABCDEFGHIJ", (8, 30, 12, 34, 10, 14, 11, 12, 11, 28), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    fixed = datetime.datetime(2025, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "siting make_demo_district.py"
    buf = io.BytesIO()
    wb.save(buf)
    normalise_zip(buf.getvalue(), path)


def normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip (xlsx) with fixed member timestamps so that its bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                payload = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", payload
                )
            dst.writestr(zi, payload)


def write_roster(path: Path, w: World, rows: list[dict]) -> None:
    from siting.coords import wgs84_to_bd09

    xy = np.array([r["xy"] for r in rows])
    lon, lat = w.frame.to_lonlat(xy[:, 0], xy[:, 1])
    blon, blat = wgs84_to_bd09(np.asarray(lon), np.asarray(lat))
    df = pd.DataFrame(
        {
            "编号": [r["id"] for r in rows],
            "姓名": [r["name"] for r in rows],
            "性别": [r["sex"] for r in rows],
            "年龄": [r["age"] for r in rows],
            "类别": [r["group"] for r in rows],
            "评估等级": [r["level"] for r in rows],
            "社区村代码": [r["code"] for r in rows],
            "地址": [r["addr"] for r in rows],
            "经度": [f"{v:.6f}" for v in blon],
            "纬度": [f"{v:.6f}" for v in blat],
        }
    )
    df.to_csv(path, index=False, encoding="gb18030", lineterminator="\r\n")


SCENARIO_TEMPLATE = """\
# Scenario of the FICTIONAL {district_en} {district_name} ({district_code}). Synthetic data, CC0.
# Generated by scripts/make_demo_district.py; paths are relative to this file.
[scenario]
name = "{name}"
name_en = "{name_en}"
district_code = "{district_code}"
district_name = "{district_name}"
language = "zh"

[inputs.network]
path = "roads.osm.pbf"
format = "osm"

[inputs.dem]
path = "dem.tif"

[inputs.district]
path = "boundaries.gpkg"
layer = "区界"

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
"乡" = "town"

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
n_disabled = "失能半失能"
n_extreme_poor = "特困"
n_living_alone = "独居空巢"
[inputs.communities.values.kind]
"社区" = "community"
"村" = "village"

[inputs.buildings]
path = "buildings.gpkg"
layer = "residential"
[inputs.buildings.columns]
name = "名称"
kind = "类别"
households = "户数"
year_built = "建成年份"

[inputs.facilities]
path = "facilities_amap.csv"
coords = "gcj02"
[inputs.facilities.columns]
facility_id = "id"
name = "名称"
type = "类型"
address = "地址"
lon = "经度"
lat = "纬度"
floor_area_m2 = "建筑面积"
beds = "床位数"
year_opened = "建成年份"
nursing_beds = "护理型床位数"
operator = "运营方式"
meal_service = "助餐服务"
[inputs.facilities.values.type]
"街道养老服务中心" = "street_center"
"乡镇养老服务中心" = "town_center"
"社区养老服务站" = "station"
"村级互助养老点" = "village_point"
"小区养老服务点" = "compound_point"
"敬老院" = "institution"
"养老院" = "institution"
[inputs.facilities.values.operator]
"公办公营" = "public"
"村委会自办" = "public"
"公建民营" = "public_private"
"民办" = "private"
"民办公助" = "private"

[inputs.health]
path = "health_amap.csv"
coords = "gcj02"
[inputs.health.columns]
facility_id = "id"
name = "名称"
type = "类型"
address = "地址"
lon = "经度"
lat = "纬度"
[inputs.health.values.type]
"社区卫生服务中心" = "community_health_center"
"卫生院" = "township_hospital"
"村卫生室" = "village_clinic"

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
capital_cost_wan_yuan = "改造费用(万元)"
monthly_rent_yuan = "月租金(元)"
lon = "经度"
lat = "纬度"
note = "备注"
[inputs.candidates.values.source]
"闲置国有资产" = "idle_state_asset"
"社区用房" = "community_room"
"租赁" = "rental"
[inputs.candidates.values.eligible_types]
"街道养老服务中心" = "street_center"
"乡镇养老服务中心" = "town_center"
"社区养老服务站" = "station"
"村级互助养老点" = "village_point"
"小区养老服务点" = "compound_point"

[inputs.roster]
path = "roster.csv"
encoding = "gb18030"
coords = "bd09"
[inputs.roster.columns]
person_id = "编号"
age = "年龄"
group = "类别"
community_code = "社区村代码"
lon = "经度"
lat = "纬度"
[inputs.roster.values.group]
"失能" = "disabled"
"半失能" = "disabled"
"特困" = "extreme_poor"
"独居" = "living_alone"
"空巢" = "living_alone"

[walking]
speed = "older_adult"

# [indicators]: targets of the plan indicators (siting/indicators.py). The indicators of 000 专栏1 that
# the tool cannot compute are typed in by the planner (shares as fractions), e.g.
# [indicators.reported]
# family_doctor_signing = 0.83
# social_workers = 1.2

[optimize]
# the siting stage of `siting run`: best coverage within the budget lines below (5-year horizon)
objective = "max_coverage"

# the money, as a 民政局 budgets it (万元): the district's own money per year (every line it pays:
# its station subsidy, works, operating incentives, rent), and the city's construction subsidies
# (以奖代补, 001 §三(二)) up to an allocation for the five years (an assumption of the demo)
[[budget.line]]
name = "区级资金"
level = "district"
per_year_wan_yuan = {budget_per_year}

[[budget.line]]
name = "市级建设补助"
kind = "capital"
level = "municipal"
total_wan_yuan = {municipal}

[output]
dir = "{output_dir}"      # relative to the working directory the tool is run from
"""


# --------------------------------------------------------------------------------------------
# Content hash (independent of library byte-level changes)
# --------------------------------------------------------------------------------------------


def content_hash(folder) -> str:
    """SHA-256 over the content of every data file in ``folder`` (not over their bytes).

    GeoPackage layers are read with pyogrio (rows sorted, geometry as WKB), the PBF with osmium
    (nodes and ways with their tags, in file order), the GeoTIFF with rasterio (array, transform,
    CRS, nodata), the xlsx with openpyxl (cell values); CSV, TOML and Markdown by their bytes.
    """
    import osmium
    import pyogrio
    import rasterio
    from openpyxl import load_workbook

    folder = Path(folder)
    h = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        h.update(b"\x00file:" + path.name.encode())
        name = path.name
        if name.endswith(".gpkg"):
            for layer, _ in sorted(pyogrio.list_layers(path).tolist()):
                df = pyogrio.read_dataframe(path, layer=layer)
                h.update(f"layer:{layer}:{df.crs.to_epsg()}:{list(df.columns)}".encode())
                rows = []
                wkb = shapely.to_wkb(df.geometry.values, hex=True)
                attrs = df.drop(columns="geometry").astype(str).to_numpy().tolist()
                for a, g in zip(attrs, wkb, strict=True):
                    rows.append(json.dumps(a, ensure_ascii=False) + g)
                for r in sorted(rows):
                    h.update(r.encode())
        elif name.endswith(".pbf"):
            for o in osmium.FileProcessor(str(path)):
                tags = sorted((t.k, t.v) for t in o.tags)
                if o.is_node():
                    h.update(f"n{o.id}:{o.location.x}:{o.location.y}:{tags}".encode())
                elif o.is_way():
                    h.update(f"w{o.id}:{[n.ref for n in o.nodes]}:{tags}".encode())
                else:
                    h.update(f"r{o.id}:{tags}".encode())
        elif name.endswith((".tif", ".tiff")):
            with rasterio.open(path) as src:
                arr = src.read()
                h.update(
                    f"{arr.dtype}:{arr.shape}:{tuple(src.transform)}:{src.crs.to_string()}:{src.nodata}".encode()
                )
                h.update(np.ascontiguousarray(arr).tobytes())
        elif name.endswith(".xlsx"):
            wb = load_workbook(path, read_only=True)
            for ws in wb.worksheets:
                h.update(f"sheet:{ws.title}".encode())
                for row in ws.iter_rows(values_only=True):
                    h.update(repr(row).encode())
            wb.close()
        else:
            h.update(path.read_bytes())
    return h.hexdigest()


def _fmt_counts(d: dict, order) -> str:
    return "，".join(f"{k} {d.get(k, 0):,}" for k in order)


def readme_full(s: dict, seed: int) -> str:
    n = s["network"]
    fac = s["facilities"]
    km = n["km_by_highway"]
    ic = s["indicator_columns"]
    fac_order = (
        "街道养老服务中心",
        "乡镇养老服务中心",
        "社区养老服务站",
        "村级互助养老点",
        "小区养老服务点",
        "敬老院",
        "养老院",
    )
    return README_FULL.format(
        seed=seed,
        dem_max=s["dem_max"],
        area=s["area_km2"],
        streets=s["streets"],
        towns=s["towns"],
        shequ=s["shequ"],
        shequ_core=s["shequ_core"],
        shequ_town=s["shequ_town"],
        cun=s["cun"],
        cun_fringe=s["cun_fringe"],
        pop=s["pop"],
        p60=s["p60"],
        p65=s["p65"],
        p80=s["p80"],
        share60=100 * s["share60"],
        share65=100 * s["share65"],
        share80=100 * s["share80"],
        share60_core=100 * s["share60_core"],
        share60_town=100 * s["share60_town"],
        share60_cun=100 * s["share60_cun"],
        n_res=sum(s["residences"].values()),
        res=_fmt_counts(s["residences"], ("小区", "院落", "散居")),
        hh=sum(s["households"].values()),
        fac=_fmt_counts(fac, fac_order),
        n_fac=sum(fac.values()),
        st_with=s["shequ_with_station"],
        st_share=100 * s["shequ_with_station"] / s["shequ"],
        pt_with=s["cun_with_point"],
        pt_share=100 * s["cun_with_point"] / s["cun"],
        street_centers=fac.get("街道养老服务中心", 0),
        town_centers=fac.get("乡镇养老服务中心", 0),
        health=_fmt_counts(s["health"], ("社区卫生服务中心", "卫生院", "村卫生室")),
        cand=s["candidates"],
        gap_share=100 * s["gap_site_share"],
        cand_src=_fmt_counts(s["candidate_sources"], ("闲置国有资产", "社区用房", "租赁")),
        roster=s["roster"],
        roster_groups=_fmt_counts(s["roster_groups"], ("失能", "半失能", "特困", "独居", "空巢")),
        osm_nodes=s["osm"]["osm_nodes"],
        road_nodes=n["road_nodes"],
        osm_ways=s["osm"]["osm_ways"],
        walk_km=n["walkable_km"],
        steps=n["steps"],
        bridges=n["bridges"],
        mw_bridges=n["motorway_bridges"],
        tunnels=n["tunnels"],
        comps=n["components"],
        largest=n["largest_component_nodes"],
        walk_nodes=n["walkable_nodes"],
        small_comps=", ".join(str(x) for x in n["small_components"]) or "none",
        km_track=km.get("track", 0.0),
        km_path=km.get("path", 0.0),
        km_unc=km.get("unclassified", 0.0),
        km_res=km.get("residential", 0.0) + km.get("living_street", 0.0),
        km_main=sum(km.get(k, 0.0) for k in ("primary", "secondary", "tertiary", "trunk")),
        km_mw=km.get("motorway", 0.0),
        stream=INDICATOR_STREAM,
        ic_beds=ic["beds"],
        ic_inst_beds=ic["inst_beds"],
        ic_inst_nursing=ic["inst_nursing"],
        ic_nursing_pct=100 * ic["inst_nursing"] / ic["inst_beds"] if ic["inst_beds"] else 0.0,
        ic_operators=_fmt_counts(
            ic["operators"], ("公办公营", "村委会自办", "公建民营", "民办", "民办公助")
        ),
        ic_meal=ic["meal"],
        ic_dated=ic["compounds_dated"],
        ic_new=ic["compounds_new"],
        ic_since=ic["since"],
    )


def _card_figures(s: dict) -> dict:
    """The summary figures every short data card quotes (README_SMALL, _SCALED, _CITY_DISTRICT)."""
    n = s["network"]
    return {
        "shequ": s["shequ"],
        "cun": s["cun"],
        "area": s["area_km2"],
        "pop": s["pop"],
        "p60": s["p60"],
        "share60": 100 * s["share60"],
        "osm_nodes": s["osm"]["osm_nodes"],
        "steps": n["steps"],
        "bridges": n["bridges"],
        "n_fac": sum(s["facilities"].values()),
        "cand": s["candidates"],
        "roster": s["roster"],
    }


def readme_small(s: dict, seed: int) -> str:
    return README_SMALL.format(seed=seed, **_card_figures(s))


README_FULL = """\
# 演示区（虚构）— 合成演示数据 / Demo district (fictional) — synthetic data

> **本目录的全部数据都是程序生成的虚构数据，不描述任何真实地方、道路或个人。**
> 区划代码 `500199` 不是真实代码（重庆市区县代码中没有 500199）；地名、路名、人名、地形、道路、
> 设施与名册均由 `scripts/make_demo_district.py` 按随机种子生成。
>
> **Everything in this folder is synthetic.** The district 演示区 ("demo district", code `500199`,
> which is not a real administrative code), its terrain, roads, places, facilities and the people
> on the roster are invented by `scripts/make_demo_district.py` from a random seed. Do not use it
> as information about any real place.

## 为什么用虚构数据 / Why synthetic

真实的社区/村界线、老年人名册（失能、特困、独居）属于内部或个人敏感信息，不能随开源项目发布；
真实 OSM 路网与 SRTM 地形虽可公开，但与虚构的人口、设施拼在一起反而容易被误读为真实情况。
虚构的演示区可以以 CC0 发布、随时重新生成，并且"真值"已知，便于测试：
步行等时圈（坡度、台阶、桥梁）、覆盖率、设施选址模型、五年计划、地图与 GIS 导出都在它上面运行。

Real community boundaries and rosters of elderly people in difficulty are internal or personal
data and cannot be published with an open-source tool. A fictional district can be released
under CC0, regenerated at will, and its ground truth is known, so every feature of the tool
(walking isochrones with slopes, stairs and bridges, coverage, the facility-location model,
five-year plans, maps, GIS export) can be exercised and tested on it.

## 文件 / Files

| 文件 File | 内容 Content | 坐标系 CRS | 字段 Columns |
|---|---|---|---|
| `boundaries.gpkg` 图层 `区界` | 区界（1 个面） district outline | EPSG:4490 (CGCS2000 经纬度) | `区划代码`, `名称` |
| `boundaries.gpkg` 图层 `街道镇` | {streets} 个街道 + {towns} 个镇 | EPSG:4490 | `街镇代码` (9 位), `街镇名称`, `类型` (街道/镇) |
| `boundaries.gpkg` 图层 `社区村` | {shequ} 个社区 + {cun} 个村，无缝无叠地铺满区界并嵌套于街镇 | EPSG:4490 | `社区村代码` (12 位), `社区村名称`, `街镇代码`, `类型` (社区/村), `常住人口`, `60岁及以上`, `65岁及以上`, `80岁及以上`, `失能半失能`, `特困`, `独居空巢` (整数) |
| `buildings.gpkg` 图层 `residential` | 居住小区与农村院落（房屋多边形） residential compounds and rural house clusters | EPSG:4544 (CGCS2000 3°带 CM 105°E) | `名称`, `类别` (小区/院落/散居), `户数` (>0), `社区村代码`, `建成年份` (仅小区；院落/散居为空) |
| `dem.tif` | 合成地形，仿 SRTM 1″ synthetic terrain like SRTM 1″ | EPSG:4326, 1″ 像元 | int16 米, nodata −32768, DEFLATE + predictor, 256×256 分块 |
| `roads.osm.pbf` | OpenStreetMap 格式路网（含河流） road network in OSM format (with rivers) | WGS84 | OSM 标签 tags (见下 see below) |
| `facilities_amap.csv` | 现有养老服务设施（仿高德 POI 导出，UTF-8 BOM） existing elderly-care facilities (Amap-like export) | GCJ-02 | `id`, `名称`, `类型`, `地址`, `经度`, `纬度`, `建筑面积` (m²), `床位数`, `建成年份`, `护理型床位数`, `运营方式` (公办公营/村委会自办/公建民营/民办/民办公助), `助餐服务` (是/否) |
| `health_amap.csv` | 医疗卫生机构（仿高德导出） health facilities | GCJ-02 | `id`, `名称`, `类型` (社区卫生服务中心/卫生院/村卫生室), `地址`, `经度`, `纬度` |
| `candidates.xlsx` 工作表 `候选点` | 候选建设点位 candidate sites | GCJ-02 | `编号`, `名称`, `来源` (闲置国有资产/社区用房/租赁), `可建类型` (以"、"分隔), `建筑面积`, `改造费用(万元)` (空=按默认标准), `月租金(元)` (仅租赁), `经度`, `纬度`, `备注` |
| `roster.csv` | 特殊困难老年人名册（虚构，GB18030 编码，Windows 换行，仿民政导出） roster of elderly in difficulty | BD-09 | `编号`, `姓名`, `性别`, `年龄`, `类别` (失能/半失能/特困/独居/空巢), `评估等级`, `社区村代码`, `地址`, `经度`, `纬度` |
| `scenario.toml` | 情景文件：各输入的路径、字段与取值映射 the scenario read by the tool | – | – |

`社区村` 图层的 `失能半失能`、`特困`、`独居空巢` 等于名册按社区汇总（失能+半失能、独居+空巢）。
The community columns `失能半失能`, `特困`, `独居空巢` equal the roster aggregated by community.

## 仿照铜梁区 / How it is modelled on 铜梁区 (500151)

| 指标 | 铜梁区（真实） | 演示区（虚构，生成结果） | 来源 source |
|---|---|---|---|
| 常住人口 residents | 685,729 | {pop:,} | 铜梁区第七次全国人口普查公报（第一号）2021-06-28，见 `shared/reference/official_bulletins_2020.csv` |
| 60岁及以上 share 60+ | 26.08 % | {share60:.2f} % | 同上 |
| 65岁及以上 share 65+ | 20.96 % | {share65:.2f} % | 同上 |
| 80岁及以上 share 80+ | – | {share80:.2f} % | 假设 assumption (≈ 14 % of 60+) |
| 街道 / 镇 | 5 / 23 | {streets} / {towns} | 统计用区划代码，`shared/reference/500151_tongliang_streets.csv` |
| 社区 / 村 | 67 / 266 | {shequ} / {cun} | `shared/reference/500151_tongliang_villages.csv` (codes 001–199 社区, 200–399 村) |
| 面积 area | ≈ 1,340 km² | {area:,.0f} km² | 公开资料 public sources (approx.) |

- 结构 Structure: 城区 {shequ_core} 个社区（每个约 0.3–1 km²、4,000–9,000 人）分属 4 个街道，并各带城郊村（共 {cun_fringe} 个）；
  {towns} 个镇各有 1–2 个场镇社区（共 {shequ_town} 个）和约 12 个村（每村约 4–5 km²、800–1,600 人）。
  An urban core of 4 街道 with {shequ_core} 社区 and {cun_fringe} fringe 村; {towns} 镇 with a town seat (1–2 社区) and ~12 村 each.
- 老龄化 Ageing: 60+ share ≈ 20 % in core 社区 (generated {share60_core:.1f} %), ≈ 26 % in town-seat 社区 ({share60_town:.1f} %),
  ≈ 33 % in 村 ({share60_cun:.1f} %), scaled so that the district total equals 铜梁's 26.08 %; 65+ = 80.4 % of 60+ (铜梁 20.96/26.08).
- 编码 Codes: 街道 `500199001`–`500199004`, 镇 `500199101`…; 社区村 = 街镇代码 + 3 位，社区 001–199、村 200–399（国家统计局城乡划分代码惯例），偶有跳号。
  Names are made of syllable pairs (青石, 龙井, 白鹤 …) and avoid the real 铜梁 names.
- 设施缺口 Gaps: 仿江津 2019 年底情况（109 个社区中 41 个、173 个村中 63 个已有设施，`shared/policy/POLICY_RULES.md` §6，文件 001 附件 2、3）：
  {st_with} of {shequ} 社区 ({st_share:.0f} %) have a 社区养老服务站, {pt_with} of {cun} 村 ({pt_share:.0f} %) a 村级互助养老点,
  {street_centers} of {streets} 街道 a 街道养老服务中心, {town_centers} of {towns} 镇 a 乡镇养老服务中心 (mostly next to the 卫生院, POLICY_RULES §1).
  Floor areas follow POLICY_RULES §1: street centres ≥ 1,500 m², town centres ≥ 800 m², stations 200–400 m², points 40–120 m².

## 指标字段 / Columns of the plan indicators

`facilities_amap.csv` 的 `护理型床位数`、`运营方式`、`助餐服务` 与 `buildings.gpkg` 的 `建成年份` 供规划指标使用
（`siting/indicators.py`：000 专栏1 #1 床位总量、#2 护理型床位占比、#6 新建居住区配套，001 §一 与 004 一 社会化运营，
000 专栏2 助餐点）；它们不影响覆盖率与选址。它们由生成器单独的随机流（种子 + {stream}）生成，其余字段与文件不变。
The columns `护理型床位数` (nursing-type beds), `运营方式` (operator) and `助餐服务` (meal point) of the facilities and
`建成年份` (year built) of the buildings feed the plan indicators only (coverage and siting do not read them); they come
from a random stream of their own (seed + {stream}), so every other column and file is as before.

- 护理型床位 Nursing-type beds: 敬老院 30–60 %, 养老院 50–80 %, street centres 30–60 %, town centres 30–70 % of their beds;
  stations and points 0.
- 运营方式 Operator, mapped in `scenario.toml` (`公办公营`, `村委会自办` → public; `公建民营` → public_private; `民办`, `民办公助` →
  private; the last two kinds are "socially run", 001 §一, 004 一): street centres all 公建民营 (001 §二(三)); town centres
  45 % 公办公营, 45 % 公建民营, 10 % 民办公助; stations 80 % 公建民营, 10 % 民办, 10 % 公办公营; village points 65 % 村委会自办,
  35 % 公建民营; compound points 60 % 民办 (property managers), 40 % 公建民营; 敬老院 60 % 公办公营, 40 % 公建民营 (002 §18);
  养老院 民办.
- 助餐服务 Meal points (是/否): all centres but 10 % of the town centres, 60 % of the stations, 30 % of the village points,
  25 % of the compound points, every institution.
- 建成年份 Year built: 小区 only, uniformly 1985–2024, except that a 小区 with a 小区养老服务点 was built in the point's year
  (its provision delivered with the housing); rural 院落/散居 have none (not judged as new housing).

## 假设 / Assumptions

- 户均人口 Household size: 2.6 persons per household in 社区, 2.9 in 村; 场镇社区 put 70 % of households in 小区 and 30 % in 院落.
- 名册比例 Roster rates (of the 60+): 失能+半失能 ≈ 6 % (5.5 % core, 6.6 % 村; 40 % 失能), 特困 ≈ 1.2 % (0.6 % core, 1.6 % 村),
  独居+空巢 ≈ 8 % (6.5 % core, 9.6 % 村; 35 % 独居); each person has one category. 年龄 ≥ 60, older for 失能.
  评估等级 一级–四级 for 失能/半失能 (blank = not yet assessed). Names are surname + 某 + one character; addresses are invented.
  People are placed inside a residential feature of their community (compound interior, or a few metres from a house).
- 坐标 Coordinates: facilities, health and candidates are GCJ-02 like an Amap export, the roster BD-09 like the Baidu geocoder,
  all converted from WGS84 with `siting.coords` (so converting back gives the true positions within 1e-9°).
- 地形 DEM: spectral (fractal) noise hills 300–500 m; a NE–SW ridge in the northwest up to {dem_max} m (like 巴岳山) and two lower ridges;
  river valleys carved to 205–250 m; the urban core sits on a riverside terrace (≈ 235–250 m) below a 70–80 m escarpment and an
  upper terrace (320–380 m) with a park hill. Rounded to whole metres; EPSG:4326 at 1″ like SRTM 1″.
- 路网 OSM tagging: real OSM conventions. Ways share nodes wherever they meet at grade; bridges (`bridge=yes`, `layer=1`), the motorway
  and its ramps are grade-separated (shared nodes only at their ends). The river (`waterway=river`) is crossed only on bridges:
  3 in the core, 4 in the countryside (2 over the tributary). Urban grid blocks ≈ 80–160 m, warped and irregular;
  streets too steep for a road (> 16 %) became `highway=steps` (one way per flight, `step_count` from the DEM at 15 cm per step,
  `incline=up|down` in way direction; ≈ 8 % without `step_count`, and two malformed values `many` and `约30` to exercise validation).
  Three 6-leg switchback roads climb the core's escarpment with straight stairs beside them (the stairs are a real shortcut).
  A dual-carriageway `highway=motorway` (`oneway=yes`, tunnels `tunnel=yes` + `layer=-1` through the ridges, `motorway_link` ramps at
  diamond interchanges) crosses the district and must not be walked; one `highway=trunk` has `sidewalk=no`; urban primaries and
  secondaries have `sidewalk=both`. Compound roads are `highway=service` (some `access=private`, some `foot=no`) or `living_street`.
  Rural roads were routed over the terrain (least-cost paths that avoid steep slopes and cross rivers only on bridges):
  roads between towns, concrete village roads (`unclassified`, `surface=concrete`), `track` (`tracktype=grade2`…`grade5`) and `path`
  to the hamlets (院落), and field paths between neighbouring hamlets.

## 生成结果 / Summary figures (as generated, seed {seed})

- 人口 Population: {pop:,}; 60+ {p60:,} ({share60:.2f} %), 65+ {p65:,} ({share65:.2f} %), 80+ {p80:,} ({share80:.2f} %).
- 居住 Residential features: {n_res:,} ({res}); {hh:,} households.
- 养老设施 Elderly-care facilities: {n_fac} ({fac}).
- 卫生机构 Health facilities: {health}.
- 候选点 Candidate sites: {cand} ({cand_src}); every 街道/镇 without a centre has ≥ 2 centre-eligible sites, and
  {gap_share:.0f} % of the 社区/村 without a station or point have at least one site where one could be built.
- 文件规则下的候选点 Candidates under the documents' rules (`siting/standards.py`, the default profile): of the 466
  candidate options (site × eligible type), 14 village-point options stand in a 社区 (a 社区's facility is a station:
  not an option) and 14 station options are below 300 m² (200 m² in a 社区 with fewer than 500 older people, 001
  annex 1); every candidate site keeps at least one eligible type. 11 街道/镇 lack their center and 203 社区/村 their
  own station or point (a village or compound point in a 社区 does not count): `siting run` plans 133 of these 214
  units with its budget lines (区级 800 万元 over five years, 市级 subsidies up to 600) and lists the other 81
  with their reason (`output/demo/siting_gaps.csv`).
- 指标字段 Indicator columns: {ic_beds:,} beds, {ic_inst_beds:,} of them in institutions ({ic_inst_nursing:,} nursing-type, {ic_nursing_pct:.1f} %);
  operators {ic_operators}; {ic_meal} facilities with a meal point;
  {ic_dated:,} 小区 with a year built, {ic_new} of them in {ic_since} or later.
- 名册 Roster: {roster:,} people ({roster_groups}).
- 路网 Network: {osm_nodes:,} OSM nodes ({road_nodes:,} on roads), {osm_ways:,} ways; {walk_km:,.0f} km walkable
  (main roads {km_main:,.0f} km, residential streets {km_res:,.0f} km, village roads {km_unc:,.0f} km, tracks {km_track:,.0f} km,
  paths {km_path:,.0f} km) plus {km_mw:,.0f} km of motorway carriageways; {steps} steps ways; {bridges} walkable bridges
  (+{mw_bridges} motorway bridge ways); {tunnels} tunnels.
- 连通性 Connectivity: {comps} walkable components — the main one has {largest:,} of {walk_nodes:,} walkable nodes; the others are
  deliberate tiny fragments (nodes: {small_comps}), as found in real OSM extracts.

## 重新生成 / How to regenerate

```bash
python scripts/make_demo_district.py            # data/demo (this folder), about half a minute
python scripts/make_demo_district.py --small    # data/demo-small, a few seconds
python scripts/make_demo_district.py --seed 7 --out /tmp/other-demo
```

The default seed is {seed}. The same seed gives the same content on every run (checked by `content_hash` in
`tests/test_demo_generator.py`); files are written to a temporary folder and moved into place at the end.

## 许可 / License

The synthetic data in this folder are dedicated to the public domain under
[CC0 1.0](https://creativecommons.org/publicdomain/zero/1.0/): use them for anything, no attribution required.
本目录的合成数据以 CC0 1.0 放弃一切权利，可自由使用。
"""

README_SMALL = """\
# 演示区小样（虚构）/ Small demo district (fictional)

**全部为程序生成的虚构数据**（区划代码 500199 不是真实代码）。**Synthetic data**: a small variant of the fictional
demo district for fast tests — 1 街道 (core on both banks of a river, steps on an escarpment, bridges) and 2 镇,
{shequ} 社区 + {cun} 村 on {area:.0f} km², {pop:,} residents ({share60:.1f} % aged 60+), {osm_nodes:,} OSM nodes with
{steps} steps ways, {bridges} walkable bridges, a motorway with a tunnel and an interchange, {n_fac} facilities,
{cand} candidate sites and {roster:,} people on the roster.

Same files, columns, coordinate systems and conventions as `data/demo` — see `data/demo/README.md`.
Regenerate with `python scripts/make_demo_district.py --small` (seed {seed}). License: CC0 1.0.
"""


README_SCALED = """\
# {name}

**全部为程序生成的虚构数据**（区划代码 500199 不是真实代码），供基准测试用：演示区（{variant_zh}）的 {scale} 倍面积与人口，
由同一生成程序按同样的规则生成（密度、坡度、建筑与村落规模、路网间距不变）。

**Synthetic data** for benchmarks: {scale} × the area and population of the fictional demo district's {variant}
variant, drawn by the same generator under the same rules (densities, slopes, building and hamlet sizes and road
spacing are the variant's; the outline, rivers, ridges and main roads are stretched by √{scale}).

- 规模 Size: {streets} 街道 + {towns} 镇, {shequ} 社区 + {cun} 村 on {area:,.0f} km², {pop:,} residents, {p60:,} aged 60+
  ({share60:.1f} %); {osm_nodes:,} OSM nodes, {walk_km:,.0f} km walkable, {steps} steps ways, {bridges} walkable
  bridges; {n_fac} facilities, {cand} candidate sites, {roster:,} people on the roster.
- 情景 Scenario: `scenario.toml` (outputs to `{output_dir}`; the demo's budget lines × {scale}).

Same files, columns, coordinate systems and conventions as `data/demo` — see `data/demo/README.md`.
Regenerate with `python scripts/make_demo_district.py{small_flag} --scale {scale}` (seed {seed}; the time grows
about linearly with the scale: some 20 s per unit of scale for the full variant on two cores).
License: CC0 1.0.
"""


def readme_scaled(s: dict, lay: Layout, dist: District, seed: int) -> str:
    return README_SCALED.format(
        **_card_figures(s),
        name=dist.scenario_name,
        variant_zh="完整版" if lay.variant == "full" else "小样",
        variant=lay.variant,
        scale=f"{lay.scale:g}",
        streets=s["streets"],
        towns=s["towns"],
        walk_km=s["network"]["walkable_km"],
        output_dir=dist.output_dir,
        small_flag=" --small" if lay.variant == "small" else "",
        seed=seed,
    )


REAL_CODES_NOTE_ZH = (
    "重庆市 38 个区县（第七次人口普查名单）的代码为 500101–500120、500151–500156、"
    "500229–500243，500191–500199 均不在其中"
)
REAL_CODES_NOTE_EN = (
    "Chongqing's 38 county-level codes in the 2020 census list are 500101–500120, "
    "500151–500156 and 500229–500243, and none of 500191–500199 is among them"
)


def municipal_allocation(budget_wan_yuan: int) -> int:
    """The demo's assumed municipal construction subsidies over five years: 3/4 of the district's money."""
    return budget_wan_yuan * 3 // 4


README_CITY_DISTRICT = """\
# {name}（虚构）/ {name_en} (fictional)

**全部为程序生成的虚构数据**：虚构的演示城的第 {number} 个区。区划代码 {code} 不是真实代码：{real_zh}。
地名、路名、人名、地形、道路、设施与名册均为随机生成，不代表任何真实地点。

**Synthetic data**: district {number} of the fictional demo city, for scale-out tests and benchmarks. The code
{code} is not a real administrative code: {real_en}. Names, terrain, roads, facilities and people are invented.

- 规模 Size: 1 街道 + 2 镇, {shequ} 社区 + {cun} 村 on {area:.1f} km², {pop:,} residents, {p60:,} aged 60+
  ({share60:.1f} %); {osm_nodes:,} OSM nodes with {steps} steps ways and {bridges} walkable bridges; {n_fac} facilities,
  {cand} candidate sites, {roster:,} people on the roster.
- 编码 Codes: 街道 `{code}001`, 镇 `{code}101`…; 社区村 = 街镇代码 + 3 位. The ids of facilities, health facilities,
  candidate sites and roster entries start with `{code}`; OSM node and way ids are `{code} × 10^7 + n`. Nothing
  collides with another district of the city, so the districts can be merged.
- 位置 Location: local frame origin {lon:.2f}°E {lat:.2f}°N; the districts of the city lie side by side on a
  grid and do not overlap.
- 情景 Scenario: `scenario.toml` (outputs to `{output_dir}`; siting budget: {budget} 万元 of district money over five years, and up to {municipal} 万元 of municipal construction subsidies).
- Same layout as `data/demo-small` with its own seed ({seed}), and the same files, columns, coordinate systems
  and conventions as `data/demo` — see `data/demo/README.md` and `../README.md`.

Regenerate the city with `python scripts/make_demo_district.py --city N` (city seed {city_seed}).
License: CC0 1.0 — public domain, no attribution required.
"""

README_CITY = """\
# 演示城（虚构）— 合成测试数据 / Demo city (fictional) — synthetic data

> **本目录的全部数据都是程序生成的虚构数据，不描述任何真实地方、道路或个人。** 演示城由 {n} 个虚构的区组成，
> 区划代码 {first}–{last} 不是真实代码：{real_zh}。地名、路名、人名、地形、道路、设施与名册均由
> `scripts/make_demo_district.py` 按随机种子生成。
>
> **Everything in this folder is synthetic and fictional.** The demo city, its {n} districts, their terrain,
> roads, places, facilities and the people on the rosters are invented by `scripts/make_demo_district.py` from a
> random seed. The codes {first}–{last} are not real administrative codes: {real_en}. Do not use these data as
> information about any real place.

## 用途 / Purpose

规模测试与基准：{n} 个完整、独立的区县输入（每个与 `data/demo-small` 同样的文件与格式），可逐个运行、并行运行
（如在 2 核机器上用 Dask），或合并为一个"城市"——各区的代码、编号与 OSM 编号互不重复。

Scale-out tests and benchmarks: {n} complete, independent district inputs (each like `data/demo-small`) that can
be run one by one, in parallel (e.g. Dask on a 2-core machine), or merged into one city: codes, ids and OSM
ids never collide between districts.

## 各区 / Districts

| 代码 code | 名称 name | English | 原点 origin | 面积 area km² | 常住人口 residents | 60岁及以上 60+ | 60+ 占比 share | 社区 | 村 | 设施 facilities | 候选点 candidates | 名册 roster | OSM nodes | 种子 seed |
|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{rows}
| 合计 total | | | | {area:.1f} | {pop:,} | {p60:,} | {share60:.1f} % | {shequ} | {cun} | {n_fac} | {cand} | {roster:,} | {osm_nodes:,} | |

- 每个区文件夹 `<code>/` 含 Each folder `<code>/` holds `boundaries.gpkg`, `buildings.gpkg`, `dem.tif`,
  `roads.osm.pbf`, `facilities_amap.csv`, `health_amap.csv`, `candidates.xlsx`, `roster.csv`, `scenario.toml`
  and a data card `README.md`; columns, coordinate systems and conventions as in `data/demo/README.md`.
- 编码 Codes: 街道/镇 `<code>001`, `<code>101`…, 社区/村 = 街镇代码 + 3 位; facility, health, candidate and roster
  ids start with the district code; OSM node and way ids are `<code> × 10^7 + n`.
- 布局 Layout: the districts lie on a grid, {per_row} per row, {dlon}° of longitude and {dlat}° of latitude apart
  (≈ 9.7 km × 7.8 km; each district is about 8.4 km × 6.4 km), west to east, then north to south, starting at
  {lon0}°E {lat0}°N. Outlines do not overlap (checked when generating). Each district uses the small layout of
  `data/demo-small` (a river through a hilly core, a ridge, a motorway) with its own seed, so outlines, terrain,
  roads, communities and how the people are spread over them, names, facilities and rosters differ. The district
  totals (residents, people aged 60+, numbers of 街道, 镇, 社区 and 村) are the layout's targets and so equal by
  construction. Rivers and roads do not continue across district borders, and a place name may repeat in another
  district (the codes are unique).
- 运行 Run: `siting validate data/city/{first}/scenario.toml`, `siting run data/city/{first}/scenario.toml`
  (outputs to `output/city/{first}`); each scenario has a siting budget of 300 万元.

## 重新生成 / Regenerate

```bash
python scripts/make_demo_district.py --city {n}                  # this folder, 1-3 s per district
python scripts/make_demo_district.py --city 8 --out /tmp/city8   # up to 8 districts, anywhere
```

The city seed is {seed} (`--seed`); district k gets the seed `SeedSequence([{seed}, k])` (see `district_seed`;
the rare draw that cannot be built is replaced by `SeedSequence([{seed}, k, attempt])`), so the same seed always
gives the same city (checked by `content_hash` per district in `tests/test_demo_generator.py`).
Files are written to a temporary folder and moved into place at the end: the folder appears whole or not at all.

## 许可 / License

The synthetic data in this folder are dedicated to the public domain under
[CC0 1.0](https://creativecommons.org/publicdomain/zero/1.0/): use them for anything, no attribution required.
本目录的合成数据以 CC0 1.0 放弃一切权利，可自由使用。
"""


def readme_city_district(s: dict, dist: District, seed: int) -> str:
    return README_CITY_DISTRICT.format(
        name=dist.name,
        name_en=dist.name_en,
        number=dist.city_index + 1,
        code=dist.code,
        real_zh=REAL_CODES_NOTE_ZH,
        real_en=REAL_CODES_NOTE_EN,
        **_card_figures(s),
        lon=dist.origin_lonlat[0],
        lat=dist.origin_lonlat[1],
        output_dir=dist.output_dir,
        budget=dist.budget_wan_yuan,
        municipal=municipal_allocation(dist.budget_wan_yuan),
        seed=seed,
        city_seed=s["city_seed"],
    )


def readme_city(summaries: list[dict], seed: int) -> str:
    rows = [
        f"| `{s['code']}` | {s['name']} | {s['name_en']} | {s['origin_lonlat'][0]:.2f}°E "
        f"{s['origin_lonlat'][1]:.2f}°N | {s['area_km2']:.1f} | {s['pop']:,} | {s['p60']:,} | "
        f"{100 * s['share60']:.1f} % | {s['shequ']} | {s['cun']} | {sum(s['facilities'].values())} | "
        f"{s['candidates']} | {s['roster']:,} | {s['osm']['osm_nodes']:,} | {s['seed']} |"
        for s in summaries
    ]
    pop = sum(s["pop"] for s in summaries)
    p60 = sum(s["p60"] for s in summaries)
    lon0, lat0 = demo_district().origin_lonlat
    return README_CITY.format(
        n=len(summaries),
        first=summaries[0]["code"],
        last=summaries[-1]["code"],
        real_zh=REAL_CODES_NOTE_ZH,
        real_en=REAL_CODES_NOTE_EN,
        rows="\n".join(rows),
        area=sum(s["area_km2"] for s in summaries),
        pop=pop,
        p60=p60,
        share60=100 * p60 / pop,
        shequ=sum(s["shequ"] for s in summaries),
        cun=sum(s["cun"] for s in summaries),
        n_fac=sum(sum(s["facilities"].values()) for s in summaries),
        cand=sum(s["candidates"] for s in summaries),
        roster=sum(s["roster"] for s in summaries),
        osm_nodes=sum(s["osm"]["osm_nodes"] for s in summaries),
        per_row=CITY_PER_ROW,
        dlon=CITY_SPACING_DEG[0],
        dlat=CITY_SPACING_DEG[1],
        lon0=lon0,
        lat0=lat0,
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def build(lay: Layout, dist: District, seed: int, log=lambda msg: None) -> dict:
    """Generate everything in memory; returns the pieces the writers need."""
    rng = np.random.default_rng(seed)
    w = build_world(lay, dist, rng)
    make_dem(w, rng)
    log("terrain")
    comms, towns = partition(w, rng)
    names = NameGen(rng, long_after=None if lay.scale == 1.0 else len(_FIRST) * len(_SECOND) // 2)
    units = assign_units(w, comms, towns, rng, names)
    populate(w, comms, rng)
    log("communities")
    ways, _, anchors, _ = core_fabric(w, rng, names)
    towns_info = []
    for u in units:
        if u.kind != "镇":
            continue
        two = sum(c.kind == "社区" for c in u.members) > 1
        tw, poly, gates, _ = town_fabric(w, u.seat, rng, names, two=two, town_name=u.name)
        ways += tw
        towns_info.append({"seat": u.seat, "poly": poly, "gates": gates, "unit": u.idx})
    grid = CostGrid(w, lay.cost_cell_m)
    router, rw = rural_network(
        w,
        grid,
        rng,
        names,
        core_anchors=anchors,
        towns_info=towns_info,
    )
    ways += rw
    ways.append(trunk_way(w, names, [x for x in ways if x.group == "core"]))
    sep, at = motorway_ways(w, rng, names, ways)
    ways += at + sep
    log("roads")
    hamlets = place_hamlets(w, comms, [t["poly"] for t in towns_info], rng)
    centres = [h["xy"] for h in hamlets if h["centre"]]
    ways += connect_stage(
        w,
        grid,
        router,
        rng,
        network=ways,
        targets=centres,
        rank=3,
        group="village",
        flows_for_class=False,
    )
    others = [h["xy"] for h in hamlets if not h["centre"]]
    ways += connect_stage(
        w,
        grid,
        router,
        rng,
        network=ways,
        targets=others,
        rank=1,
        group="track",
        flows_for_class=True,
    )
    ways += hamlet_paths(w, hamlets, rng)
    log("village roads and tracks")
    ways = clip_at_rivers(w, ways)
    node_network(ways)
    ways = merge_close_nodes(ways)
    trim_dangles(ways)
    ways = reconnect_components(w, ways)
    ways, comp_before = keep_main_component(ways)
    res_c, comp_ways = compounds_and_service_roads(
        w, ways, comms, [t["poly"] for t in towns_info], rng, names
    )
    ways += comp_ways
    ways = add_islands(w, ways, rng)
    ways = finish_steps(w, ways, rng)
    log("topology")
    res_r = rural_residences(w, ways, comms, hamlets, rng)
    residences = finish_residences(w, comms, res_c + res_r, ways, rng, names)
    log("buildings")
    sites = Sites(w, ways, comms, residences)
    ids: set = set()
    health = make_health(w, units, comms, sites, hamlets, rng, ids)
    facilities = make_facilities(
        w, units, comms, residences, sites, health, hamlets, rng, ids, names
    )
    candidates = make_candidates(w, units, comms, facilities, sites, hamlets, rng)
    roster = make_roster(w, units, comms, residences, rng)
    river_names = (names.take("江"), names.take("河"))
    log("facilities and roster")
    return {
        "w": w,
        "comms": comms,
        "units": units,
        "ways": ways,
        "hamlets": hamlets,
        "residences": residences,
        "health": health,
        "facilities": facilities,
        "candidates": candidates,
        "roster": roster,
        "sites": sites,
        "rng": rng,
        "river_names": river_names,
        "components_before": comp_before,
    }


def network_stats(ways: list[Way]) -> dict:
    uniq, _, label, used = components(ways)
    walk_nodes = np.nonzero(used)[0]
    sizes = np.bincount(label[walk_nodes])
    sizes = sizes[sizes > 0]
    km = defaultdict(float)
    count = defaultdict(int)
    for x in ways:
        hw = x.tags["highway"]
        km[hw] += LineString(x.coords).length / 1000.0
        count[hw] += 1
    walk_km = sum(LineString(x.coords).length for x in ways if is_walkable(x.tags)) / 1000.0
    return {
        "road_nodes": len(uniq),
        "ways": len(ways),
        "walkable_km": walk_km,
        "km_by_highway": dict(sorted(km.items())),
        "ways_by_highway": dict(sorted(count.items())),
        "components": len(sizes),
        "largest_component_nodes": int(sizes.max()),
        "walkable_nodes": len(walk_nodes),
        "small_components": sorted(int(s) for s in sizes if s != sizes.max()),
        "steps": sum(1 for x in ways if x.tags["highway"] == "steps"),
        "bridges": sum(1 for x in ways if x.tags.get("bridge") == "yes" and is_walkable(x.tags)),
        "motorway_bridges": sum(
            1 for x in ways if x.tags.get("bridge") == "yes" and not is_walkable(x.tags)
        ),
        "tunnels": len({x.tags.get("name") for x in ways if x.tags.get("tunnel") == "yes"}),
    }


def gap_site_share(d: dict) -> float:
    """Share of the 社区/村 without a station or point that have at least one eligible candidate site."""
    has = {
        f["comm"].idx
        for f in d["facilities"]
        if f["type"] in ("社区养老服务站", "村级互助养老点", "小区养老服务点")
    }
    need = {"社区": "社区养老服务站", "村": "村级互助养老点"}
    ok = {c["comm"].idx for c in d["candidates"] if need[c["comm"].kind] in c["types"]}
    gaps = [c.idx for c in d["comms"] if c.idx not in has]
    return sum(i in ok for i in gaps) / max(len(gaps), 1)


def summarise(d: dict) -> dict:
    comms, units = d["comms"], d["units"]
    pop = sum(c.pop for c in comms)

    def share(sel, attr="p60"):
        m = [c for c in comms if sel(c)]
        return sum(getattr(c, attr) for c in m) / max(sum(c.pop for c in m), 1)

    fac = defaultdict(int)
    for f in d["facilities"]:
        fac[f["type"]] += 1
    hea = defaultdict(int)
    for f in d["health"]:
        hea[f["type"]] += 1
    src = defaultdict(int)
    for c in d["candidates"]:
        src[c["source"]] += 1
    groups = defaultdict(int)
    for r in d["roster"]:
        groups[r["group"]] += 1
    res = defaultdict(int)
    hh = defaultdict(int)
    for r in d["residences"]:
        res[r.kind] += 1
        hh[r.kind] += r.households
    with_station = {f["comm"].idx for f in d["facilities"] if f["type"] == "社区养老服务站"}
    with_point = {f["comm"].idx for f in d["facilities"] if f["type"] == "村级互助养老点"}
    n_shequ = sum(c.kind == "社区" for c in comms)
    n_cun = sum(c.kind == "村" for c in comms)
    return {
        "streets": sum(u.kind == "街道" for u in units),
        "towns": sum(u.kind == "镇" for u in units),
        "shequ": n_shequ,
        "shequ_core": sum(c.role == "core" for c in comms),
        "shequ_town": sum(c.role in ("seat", "seat2") for c in comms),
        "cun": n_cun,
        "cun_fringe": sum(c.role == "fringe" for c in comms),
        "pop": pop,
        "p60": sum(c.p60 for c in comms),
        "p65": sum(c.p65 for c in comms),
        "p80": sum(c.p80 for c in comms),
        "share60": sum(c.p60 for c in comms) / pop,
        "share65": sum(c.p65 for c in comms) / pop,
        "share80": sum(c.p80 for c in comms) / pop,
        "share60_core": share(lambda c: c.role == "core"),
        "share60_town": share(lambda c: c.role in ("seat", "seat2")),
        "share60_cun": share(lambda c: c.kind == "村"),
        "area_km2": d["w"].district.area / 1e6,
        "facilities": dict(fac),
        "health": dict(hea),
        "candidates": len(d["candidates"]),
        "candidate_sources": dict(src),
        "roster": len(d["roster"]),
        "roster_groups": dict(groups),
        "residences": dict(res),
        "households": dict(hh),
        "shequ_with_station": len(with_station),
        "cun_with_point": len(with_point),
        "network": network_stats(d["ways"]),
        "gap_site_share": gap_site_share(d),
        "dem_min": int(d["w"].dem.min()),
        "dem_max": int(d["w"].dem.max()),
    }


def write_all(d: dict, folder: Path, seed: int, summary: dict) -> None:
    w = d["w"]
    dist = w.dist
    write_boundaries(folder / "boundaries.gpkg", w, d["units"], d["comms"])
    cols = indicator_columns(d, seed)
    summary["indicator_columns"] = indicator_summary(cols, d)
    write_buildings(
        folder / "buildings.gpkg", w, d["comms"], d["residences"], year_built=cols["year_built"]
    )
    write_dem(folder / "dem.tif", w)
    summary["osm"] = write_pbf(
        folder / "roads.osm.pbf",
        w,
        d["ways"],
        d["units"],
        d["comms"],
        d["hamlets"],
        d["river_names"],
    )
    rng = np.random.default_rng(seed + 1)
    write_poi_csv(
        folder / "facilities_amap.csv",
        w,
        d["facilities"],
        facilities=True,
        sites=d["sites"],
        rng=rng,
        extra=cols,
    )
    write_poi_csv(
        folder / "health_amap.csv", w, d["health"], facilities=False, sites=d["sites"], rng=rng
    )
    write_candidates(folder / "candidates.xlsx", w, d["candidates"])
    write_roster(folder / "roster.csv", w, d["roster"])
    (folder / "scenario.toml").write_text(
        SCENARIO_TEMPLATE.format(
            name=dist.scenario_name,
            name_en=dist.scenario_name_en,
            district_code=dist.code,
            district_name=dist.name,
            district_en=dist.name_en.lower(),
            output_dir=dist.output_dir,
            budget_per_year=dist.budget_wan_yuan // 5,
            municipal=municipal_allocation(dist.budget_wan_yuan),
        ),
        encoding="utf-8",
    )
    summary["files"] = {
        p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.name != "README.md"
    }
    if dist.city_index is not None:
        text = readme_city_district(summary, dist, seed)
    elif w.lay.scale != 1.0:
        text = readme_scaled(summary, w.lay, dist, seed)
    elif w.lay.variant == "full":
        text = readme_full(summary, seed)
    else:
        text = readme_small(summary, seed)
    (folder / "README.md").write_text(text, encoding="utf-8")


def build_and_write(
    folder: Path,
    lay: Layout,
    dist: District,
    seed: int,
    log=lambda msg: None,
    *,
    city_seed: int | None = None,
) -> dict:
    """Generate one district and write its files into the existing ``folder``; its summary."""
    t0 = time.perf_counter()
    d = build(lay, dist, seed, log)
    summary = summarise(d)
    summary["seed"] = seed
    summary["city_seed"] = city_seed
    summary["variant"] = lay.variant
    summary["code"] = dist.code
    summary["name"] = dist.name
    summary["name_en"] = dist.name_en
    summary["origin_lonlat"] = dist.origin_lonlat
    write_all(d, folder, seed, summary)
    summary["seconds"] = time.perf_counter() - t0
    return summary


def replace_atomically(out: Path, write) -> None:
    """Call ``write(tmp)`` on a new folder next to ``out`` and move it into place as ``out``.

    Either the whole new folder appears at ``out`` (replacing what was there) or nothing changes:
    on any error the temporary folder is removed and ``out`` is left as it was. GeoPackages get
    a fixed timestamp meanwhile so that their bytes are reproducible. Hand-written sub-folders
    the generator does not make (``plans/``: the plan scenarios) are carried over.
    """
    import pyogrio

    out.parent.mkdir(parents=True, exist_ok=True)
    previous_date = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})  # stable GPKG timestamps
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the data folder is meant to be shared
    try:
        write(tmp)
        for keep in ("plans",):
            if (out / keep).is_dir() and not (tmp / keep).exists():
                shutil.copytree(out / keep, tmp / keep)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}-old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous_date})


def _logger(verbose: bool, t0: float, prefix: str = ""):
    def log(msg):
        if verbose:
            print(f"  {time.perf_counter() - t0:6.1f} s  {prefix}{msg}", file=sys.stderr)

    return log


def generate(
    out,
    *,
    small: bool = False,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    verbose: bool = False,
) -> dict:
    """Generate the demo district into ``out`` (atomically) and return its summary figures.

    ``scale`` makes it that many times the variant's area and population (:func:`scaled_layout`).
    """
    if not 1.0 <= scale <= SCALE_MAX:
        raise ValueError(f"the scale must be from 1 to {SCALE_MAX:g}; got {scale!r}")
    t0 = time.perf_counter()
    log = _logger(verbose, t0)
    out = Path(out)
    result = {}

    def write(tmp: Path) -> None:
        result.update(
            build_and_write(
                tmp,
                scaled_layout(SMALL if small else FULL, scale),
                demo_district(small=small, scale=scale),
                seed,
                log,
            )
        )

    replace_atomically(out, write)
    result["seconds"] = time.perf_counter() - t0
    log("written")
    return result


def generate_city(
    out, n_districts: int, *, seed: int = DEFAULT_SEED, verbose: bool = False
) -> list[dict]:
    """Generate a fictional city of ``n_districts`` small districts into ``out`` (atomically).

    District k (0-based) is :func:`city_district` ``(k)`` with the small layout and the seed
    :func:`district_seed` ``(seed, k)``, written to ``out/<code>/``; ``out/README.md`` describes
    the city. Returns the summary figures of each district (``seconds`` is its generation time).

    A few random draws of the small layout cannot be built (a town loses its seat community;
    about 1 seed in 40); such a district is drawn again with ``district_seed(seed, k, attempt)``,
    attempt = 1, 2, ... (still deterministic; the README lists the seed used).
    """
    if not 1 <= n_districts <= CITY_MAX_DISTRICTS:
        raise ValueError(f"a city has 1 to {CITY_MAX_DISTRICTS} districts; got {n_districts}")
    t0 = time.perf_counter()
    out = Path(out)
    summaries: list[dict] = []

    def write(tmp: Path) -> None:
        for k in range(n_districts):
            dist = city_district(k)
            folder = tmp / dist.code
            folder.mkdir()
            folder.chmod(0o755)
            log = _logger(verbose, t0, f"{dist.code} ")
            for attempt in range(CITY_ATTEMPTS):
                ds = district_seed(seed, k, attempt)
                try:
                    summaries.append(build_and_write(folder, SMALL, dist, ds, log, city_seed=seed))
                    break
                except Exception as exc:
                    if attempt == CITY_ATTEMPTS - 1:
                        raise
                    print(
                        f"{dist.code}: seed {ds} cannot be built ({type(exc).__name__}: {exc}); "
                        f"drawing again with seed {district_seed(seed, k, attempt + 1)}",
                        file=sys.stderr,
                    )
                    shutil.rmtree(folder)
                    folder.mkdir()
                    folder.chmod(0o755)
            log("written")
        check_city_disjoint([tmp / s["code"] for s in summaries])
        (tmp / "README.md").write_text(readme_city(summaries, seed), encoding="utf-8")

    replace_atomically(out, write)
    return summaries


def check_city_disjoint(folders: list[Path]) -> None:
    """Raise if the written outlines (``区界``) of two districts overlap, compared in EPSG:4544."""
    import pyogrio

    outlines = [
        pyogrio.read_dataframe(f / "boundaries.gpkg", layer="区界").to_crs(METRIC_EPSG)
        for f in folders
    ]
    geoms = [o.geometry.iloc[0] for o in outlines]
    for i, j in zip(*np.triu_indices(len(geoms), 1), strict=True):
        overlap = geoms[i].intersection(geoms[j]).area
        if overlap > 0:
            raise RuntimeError(
                f"districts {folders[i].name} and {folders[j].name} overlap by {overlap:,.0f} m²: "
                "widen CITY_SPACING_DEG"
            )


def print_summary(s: dict, out: Path) -> None:
    n = s["network"]
    print(f"{s['name']} ({s['code']}, fictional, {s['variant']}) -> {out}")
    print(
        f"  area {s['area_km2']:,.1f} km²; {s['streets']} 街道 + {s['towns']} 镇; {s['shequ']} 社区 ({s['shequ_core']} core, {s['shequ_town']} town seats) + {s['cun']} 村"
    )
    print(
        f"  population {s['pop']:,}; 60+ {s['p60']:,} ({s['share60']:.2%}), 65+ {s['share65']:.2%}, 80+ {s['share80']:.2%}"
    )
    print(
        f"  60+ share: core 社区 {s['share60_core']:.1%}, town-seat 社区 {s['share60_town']:.1%}, 村 {s['share60_cun']:.1%}"
    )
    print(f"  buildings {s['residences']}; households {sum(s['households'].values()):,}")
    print(
        f"  facilities {s['facilities']}; 社区 with station {s['shequ_with_station']}/{s['shequ']}, 村 with point {s['cun_with_point']}/{s['cun']}"
    )
    print(f"  health {s['health']}; candidates {s['candidates']} {s['candidate_sources']}")
    print(f"  roster {s['roster']:,} {s['roster_groups']}")
    print(
        f"  network: {s['osm']['osm_nodes']:,} OSM nodes ({n['road_nodes']:,} on roads), {s['osm']['osm_ways']:,} ways, {n['walkable_km']:,.0f} km walkable"
    )
    print(
        f"    {n['steps']} steps ways, {n['bridges']} walkable bridges (+{n['motorway_bridges']} motorway bridge ways), {n['tunnels']} tunnels"
    )
    print(
        f"    walkable components: {n['components']} (largest {n['largest_component_nodes']:,} of {n['walkable_nodes']:,} nodes; others {n['small_components']})"
    )
    print("  files: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in s["files"].items()))
    print(f"  generated in {s['seconds']:.1f} s (seed {s['seed']})")


def print_city(summaries: list[dict], out: Path) -> None:
    print(f"fictional demo city of {len(summaries)} districts -> {out}")
    for s in summaries:
        print(
            f"  {s['code']} {s['name']}: {s['area_km2']:.1f} km², population {s['pop']:,}, "
            f"60+ {s['p60']:,} ({s['share60']:.1%}), {s['shequ']} 社区 + {s['cun']} 村, "
            f"{s['osm']['osm_nodes']:,} OSM nodes, {sum(s['facilities'].values())} facilities, "
            f"{s['candidates']} candidates; seed {s['seed']}, {s['seconds']:.1f} s"
        )


def city_size(text: str) -> int:
    """argparse type of ``--city``: a whole number of districts from 1 to CITY_MAX_DISTRICTS."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= CITY_MAX_DISTRICTS:
        raise argparse.ArgumentTypeError(
            f"the number of districts must be a whole number from 1 to {CITY_MAX_DISTRICTS}, "
            f"got {text!r}"
        )
    return n


def district_scale(text: str) -> float:
    """argparse type of ``--scale``: a number from 1 to SCALE_MAX."""
    try:
        n = float(text)
    except ValueError:
        n = math.nan
    if not 1.0 <= n <= SCALE_MAX:
        raise argparse.ArgumentTypeError(
            f"the scale must be a number from 1 to {SCALE_MAX:g} (times the demo's area and "
            f"population), got {text!r}"
        )
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default data/demo, data/demo-small or data/city)",
    )
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--small", action="store_true", help="write the small variant")
    what.add_argument(
        "--city",
        type=city_size,
        metavar="N",
        help=(
            f"write a fictional city of N small districts (1-{CITY_MAX_DISTRICTS}, codes "
            f"{CITY_FIRST_CODE}...) into OUT/<code>/, for scale-out tests and benchmarks"
        ),
    )
    ap.add_argument(
        "--scale",
        type=district_scale,
        default=1.0,
        metavar="N",
        help=(
            f"make the district N times the variant's area and population (1-{SCALE_MAX:g}; "
            "default 1), for benchmarks; written to data/demo-xN unless --out is given"
        ),
    )
    ap.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print progress")
    args = ap.parse_args(argv)
    repo = Path(__file__).resolve().parent.parent
    if args.city is not None and args.scale != 1.0:
        ap.error("--scale applies to the demo district, not to --city")
    if args.city is not None:
        out = args.out or (repo / "data" / "city")
        print_city(generate_city(out, args.city, seed=args.seed, verbose=args.verbose), out)
        return 0
    name = "demo-small" if args.small else "demo"
    if args.scale != 1.0:
        name += f"-x{args.scale:g}"
    out = args.out or (repo / "data" / name)
    s = generate(out, small=args.small, scale=args.scale, seed=args.seed, verbose=args.verbose)
    print_summary(s, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
