"""The plan indicators: each policy target of POLICY_RULES §1–3 as PASS/FAIL with its numbers.

=========================  ==========================================================  =======================
key                        rule (default target)                                       source
=========================  ==========================================================  =======================
home_care_coverage         share of the elderly (60+) within the walking threshold     000 专栏1 指标7 (居家养老
                           of a home-care facility ≥ 80 %                              服务覆盖率 80 %); 003 一
center_per_street          every 街道 has a 街道养老服务中心 inside it, every 镇 a      001 §二(一); 003 task 8
                           乡镇养老服务中心 ("一街道（镇）一中心")
station_per_community      every 社区 has a 社区养老服务站 inside it, every 村 a 村级互助   001 §二(一); 003 task 8;
                           养老点 (or a station) ("一村（社区）一站（点）"); a village or      000 ch.4 §1
                           compound point is not a 社区's station; or a small 社区 is
                           served by a station of another community (sharing rule, below)
floor_area_per_resident    Σ floor area of all elderly-care facilities (institutions   000 ch.11 §2; 001 §二(一);
                           included) / residents ≥ 0.2 m². The rule speaks of LAND      003 task 8; 004 §(三)
                           (养老用地); floor area is the proxy the inputs allow
stations_per_center        "中心带站": every 社区养老服务站 is run by the center of its  001 §二(三)
                           街道/镇, or else by the nearest center within reach, and no
                           center runs more than 10 stations
center_near_health         every center lies within 500 m (straight line) of a         001 §二(五), §二(一);
                           matching health facility: 街道中心 – 社区卫生服务中心,      000 ch.6 §1
                           镇中心 – 乡镇卫生院 (a 医院 counts for both)
=========================  ==========================================================  =======================

Defaults that the documents do not give as numbers (project assumptions, all in ``[indicators]``):

- ``small_community_elderly = 500``: a 社区 with fewer older people (60+) is "老年人口较少" and may
  share a station (001 §二(一) allows it for 社区, not for 村, which each need a point). 500 older
  people is a 社区 of about 2,500 residents at the district's ~20 % urban 60+ share, a third to a
  half of a typical urban 社区.
- ``sharing_min_share = 0.5``: the small 社区 counts as served by another community's station or
  point when at least half of its older people live within the walking threshold of it.
- ``hub_reach_minutes = 30``: a station in a 街道/镇 without a center can be taken over by a
  center whose staff walk to it in 30 minutes (twice the 15-minute circle); it goes to the nearest.
- ``health_max_distance_m = 500``: straight-line distance for "一体或邻近" (the radius of the
  10-minute life circle of GB 50180-2018). Straight line, not walking: adjacency is a planning
  relation between two sites, not a trip.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from isochrones.od import od_times
from isochrones.snap import snap_points
from siting.errors import Problem, ScenarioError
from siting.standards import CENTER_FOR_KIND, CENTER_TYPES, STATION_TYPES, UNIT_TYPES

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.coverage import CoverageMatrix, CoverageSettings
    from siting.demand import Demand
    from siting.io import Inputs

__all__ = [
    "CENTER_FOR_KIND",
    "HEALTH_FOR_CENTER",
    "INDICATOR_KEYS",
    "Indicator",
    "IndicatorSettings",
    "Indicators",
    "compute_indicators",
]

log = logging.getLogger(__name__)

INDICATOR_KEYS: tuple[str, ...] = (
    "home_care_coverage",
    "center_per_street",
    "station_per_community",
    "floor_area_per_resident",
    "stations_per_center",
    "center_near_health",
    "size_standard",
)
#: Health facilities a center should be next to (001 §二(五)); a hospital counts for both.
HEALTH_FOR_CENTER: Mapping[str, tuple[str, ...]] = {
    "street_center": ("community_health_center", "hospital"),
    "town_center": ("township_hospital", "hospital"),
}
SOURCES: Mapping[str, str] = {
    "home_care_coverage": "000 专栏1; 003 一",
    "center_per_street": "001 §二(一); 003 任务8",
    "station_per_community": "001 §二(一); 003 任务8",
    "floor_area_per_resident": "000 第十一章§2; 001 §二(一); 003 任务8; 004 §(三)",
    "stations_per_center": "001 §二(三)",
    "center_near_health": "001 §二(五); 000 第六章§1",
    "size_standard": "001 附件1; 002 §13, §17",
}


@dataclass(frozen=True)
class IndicatorSettings:
    """Targets and parameters of the indicators (scenario section ``[indicators]``)."""

    home_care_coverage_target: float = 0.8
    floor_area_m2_per_resident: float = 0.2
    stations_per_center_max: int = 10
    hub_reach_minutes: float = 30.0
    health_max_distance_m: float = 500.0
    small_community_elderly: float = 500.0
    sharing_min_share: float = 0.5

    def problems(self, source: str) -> list[Problem]:
        out = []
        for key in (
            "floor_area_m2_per_resident",
            "stations_per_center_max",
            "hub_reach_minutes",
            "health_max_distance_m",
        ):
            value = getattr(self, key)
            if not (math.isfinite(value) and value > 0):
                out.append(
                    Problem(source, f"{key} must be > 0, got {value!r}", column=f"indicators.{key}")
                )
        for key in ("home_care_coverage_target", "sharing_min_share"):
            value = getattr(self, key)
            if not (0 <= value <= 1):
                out.append(
                    Problem(
                        source,
                        f"{key} must be a share between 0 and 1, got {value!r}",
                        column=f"indicators.{key}",
                        hint="e.g. 0.8 for 80 %",
                    )
                )
        if not self.small_community_elderly >= 0:
            out.append(
                Problem(
                    source,
                    "small_community_elderly must be >= 0",
                    column="indicators.small_community_elderly",
                )
            )
        return out

    @classmethod
    def from_scenario(cls, scenario: Any) -> IndicatorSettings:
        sec = dict(scenario.section("indicators"))
        known = {k: sec[k] for k in cls.__dataclass_fields__ if k in sec}
        settings = cls(**known)
        problems = settings.problems(str(scenario.path))
        if problems:
            raise ScenarioError(
                f"scenario {scenario.path}: invalid [indicators] settings", problems
            )
        return settings


@dataclass(frozen=True)
class Indicator:
    """One indicator: the measured value against its target, PASS/FAIL, and the numbers behind it.

    ``passed`` is None when the inputs do not allow the check (e.g. no health facilities).
    ``numbers`` holds the figures of the check; ``detail_zh``/``detail_en`` say them in words and
    list what fails.
    """

    key: str
    value: float
    target: float
    unit: str
    comparison: str
    passed: bool | None
    numbers: Mapping[str, float] = field(default_factory=dict)
    detail_zh: str = ""
    detail_en: str = ""
    source: str = ""

    def detail(self, lang: str = "zh") -> str:
        return self.detail_zh if lang == "zh" else self.detail_en


@dataclass(frozen=True)
class Indicators:
    """The plan indicators in the order of :data:`INDICATOR_KEYS`."""

    items: tuple[Indicator, ...]
    settings: IndicatorSettings
    problems: tuple[Problem, ...] = ()

    def __getitem__(self, key: str) -> Indicator:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def all_passed(self) -> bool:
        return all(i.passed for i in self.items)

    def frame(self) -> pd.DataFrame:
        """One row per indicator, canonical columns (key, value, target, unit, comparison, passed)."""
        return pd.DataFrame(
            [
                {
                    "key": i.key,
                    "value": i.value,
                    "comparison": i.comparison,
                    "target": i.target,
                    "unit": i.unit,
                    "passed": i.passed,
                    "detail_zh": i.detail_zh,
                    "detail_en": i.detail_en,
                    "source": i.source,
                }
                for i in self.items
            ]
        )


def _list(items: list[str], limit: int = 10) -> str:
    text = "、".join(items[:limit])
    return text + (f" 等 {len(items)} 个" if len(items) > limit else "")


def _list_en(items: list[str], limit: int = 10) -> str:
    text = ", ".join(items[:limit])
    return text + (f" … ({len(items)} in all)" if len(items) > limit else "")


def _locate(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Position of the polygon holding each point (lowest position on shared edges), −1 if none."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return out
    p, c = shapely.STRtree(polygons).query(points, predicate="intersects")
    order = np.lexsort((c, p))
    p, c = p[order], c[order]
    first = np.ones(len(p), dtype=bool)
    first[1:] = p[1:] != p[:-1]
    out[p[first]] = c[first]
    return out


def _home_care_coverage(
    matrix: CoverageMatrix, cov: CoverageSettings, s: IndicatorSettings, demand: Demand
) -> Indicator:
    covered = matrix.is_covered(types=list(cov.home_care_types))
    el = matrix.elderly
    total = math.fsum(el)
    cov_el = math.fsum(el[covered])
    share = cov_el / total if total > 0 else float("nan")
    kinds = demand.points["kind"].to_numpy()
    by_kind = {}
    for kind in ("community", "village"):
        sel = kinds == kind
        t = math.fsum(el[sel])
        by_kind[kind] = math.fsum(el[sel & covered]) / t if t > 0 else float("nan")
    return Indicator(
        key="home_care_coverage",
        value=100 * share,
        target=100 * s.home_care_coverage_target,
        unit="%",
        comparison=">=",
        passed=bool(share >= s.home_care_coverage_target - 1e-12) if total > 0 else None,
        numbers={
            "covered_elderly": cov_el,
            "elderly": total,
            "coverage_pct": 100 * share,
            "community_pct": 100 * by_kind["community"],
            "village_pct": 100 * by_kind["village"],
        },
        detail_zh=f"{cov_el:,.0f} / {total:,.0f} 名老年人在步行阈值内（社区 {100 * by_kind['community']:.1f}%，村 {100 * by_kind['village']:.1f}%）",
        detail_en=f"{cov_el:,.0f} of {total:,.0f} older people within the walking threshold (社区 {100 * by_kind['community']:.1f} %, 村 {100 * by_kind['village']:.1f} %)",
        source=SOURCES["home_care_coverage"],
    )


def _center_per_street(streets: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> Indicator:
    st_geoms = np.asarray(streets.geometry.array, dtype=object)
    types = fac["type"].to_numpy()
    where = _locate(np.asarray(fac.geometry.array, dtype=object), st_geoms)
    missing = []
    for i, (name, kind) in enumerate(zip(streets["name"], streets["kind"], strict=True)):
        need = CENTER_FOR_KIND.get(kind, "town_center")
        if not ((where == i) & (types == need)).any():
            missing.append(str(name))
    n = len(streets)
    have = n - len(missing)
    return Indicator(
        key="center_per_street",
        value=float(have),
        target=float(n),
        unit="count",
        comparison=">=",
        passed=not missing,
        numbers={"with_center": have, "streets": n, "without_center": len(missing)},
        detail_zh=f"{have} / {n} 个街道/镇有养老服务中心"
        + (f"；缺：{_list(missing)}" if missing else ""),
        detail_en=f"{have} of {n} 街道/镇 have their care center"
        + (f"; missing: {_list_en(missing)}" if missing else ""),
        source=SOURCES["center_per_street"],
    )


def _station_per_community(
    communities: gpd.GeoDataFrame,
    matrix: CoverageMatrix,
    demand: Demand,
    s: IndicatorSettings,
) -> Indicator:
    com_geoms = np.asarray(communities.geometry.array, dtype=object)
    codes = communities["code"].to_numpy()
    cols = np.flatnonzero(np.isin(matrix.site_types, STATION_TYPES))
    site_com = np.full(matrix.shape[1], -1, dtype=np.int64)
    site_com[cols] = _locate(matrix.site_geometry[cols], com_geoms)
    kinds = communities["kind"].astype(str).to_numpy()
    # a 社区's own facility is a station; a 村's a village point or a station (siting.standards):
    # a village point standing in a 社区 is not that 社区's station
    own = np.zeros(len(codes), dtype=bool)
    for j in cols:
        c = site_com[j]
        if c >= 0 and matrix.site_types[j] in UNIT_TYPES.get(kinds[c], STATION_TYPES):
            own[c] = True
    cols = np.flatnonzero(
        np.isin(matrix.site_types, UNIT_TYPES["community"])
    )  # what a small 社区 may share

    # sharing: coverage of each community's elderly by stations/points of *other* communities
    code_pos = pd.Index(codes)
    dem_com = code_pos.get_indexer(demand.points["community_code"].to_numpy())
    cov = matrix.covers(columns=cols).tocoo()
    other = site_com[cov.col] != dem_com[cov.row]
    shared_rows = np.unique(cov.row[other])
    el = matrix.elderly
    shared_el = np.bincount(dem_com[shared_rows], weights=el[shared_rows], minlength=len(codes))
    total_el = (
        np.bincount(dem_com, weights=el, minlength=len(codes))
        if len(dem_com)
        else np.zeros(len(codes))
    )
    elderly = communities["pop_60p"].to_numpy(dtype=float)
    small = (communities["kind"].to_numpy() == "community") & (elderly < s.small_community_elderly)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total_el > 0, shared_el / total_el, 0.0)
    shared = ~own & small & (share >= s.sharing_min_share - 1e-12)
    served = own | shared
    names = communities["name"].astype(str).to_numpy()
    missing = [str(x) for x in names[~served]]
    n = len(codes)
    return Indicator(
        key="station_per_community",
        value=float(served.sum()),
        target=float(n),
        unit="count",
        comparison=">=",
        passed=bool(served.all()),
        numbers={
            "served": int(served.sum()),
            "communities": n,
            "own_station": int(own.sum()),
            "shared_station": int(shared.sum()),
            "unserved": int((~served).sum()),
            "unserved_community": int(
                (~served & (communities["kind"].to_numpy() == "community")).sum()
            ),
            "unserved_village": int(
                (~served & (communities["kind"].to_numpy() == "village")).sum()
            ),
        },
        detail_zh=(
            f"{int(served.sum())} / {n} 个社区/村有站（点）：{int(own.sum())} 个自有，{int(shared.sum())} 个为老年人少于 "
            f"{s.small_community_elderly:g} 人的社区与邻近社区共用"
            + (f"；缺：{_list(missing)}" if missing else "")
        ),
        detail_en=(
            f"{int(served.sum())} of {n} 社区/村 have a station or point: {int(own.sum())} their own, {int(shared.sum())} "
            f"small 社区 (< {s.small_community_elderly:g} older people) sharing a neighbour's"
            + (f"; missing: {_list_en(missing)}" if missing else "")
        ),
        source=SOURCES["station_per_community"],
    )


def _floor_area(
    communities: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, s: IndicatorSettings
) -> Indicator:
    residents = float(np.nansum(communities["pop_total"].to_numpy(dtype=float)))
    if "floor_area_m2" in fac:
        area = fac["floor_area_m2"].to_numpy(dtype=float)
    else:
        area = np.full(len(fac), np.nan)
    n_missing = int(np.isnan(area).sum())
    total = float(np.nansum(area))
    per = total / residents if residents > 0 else float("nan")
    note_zh = f"；{n_missing} 处设施缺建筑面积，按 0 计" if n_missing else ""
    note_en = f"; {n_missing} facilities lack a floor area, counted as 0" if n_missing else ""
    return Indicator(
        key="floor_area_per_resident",
        value=per,
        target=s.floor_area_m2_per_resident,
        unit="m2/person",
        comparison=">=",
        passed=bool(per >= s.floor_area_m2_per_resident) if residents > 0 else None,
        numbers={
            "floor_area_m2": total,
            "residents": residents,
            "m2_per_resident": per,
            "facilities_without_area": n_missing,
        },
        detail_zh=(
            f"养老设施建筑面积 {total:,.0f} m² / 常住人口 {residents:,.0f} 人 = {per:.3f} m²/人。"
            f"注意：政策指标为人均养老用地，此处以建筑面积近似{note_zh}"
        ),
        detail_en=(
            f"facility floor area {total:,.0f} m² / {residents:,.0f} residents = {per:.3f} m² per resident. "
            f"Note: the rule is about LAND for elderly care; floor area is used as a proxy{note_en}"
        ),
        source=SOURCES["floor_area_per_resident"],
    )


def _stations_per_center(
    graph: WalkGraph,
    streets: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    s: IndicatorSettings,
    max_snap_m: float,
) -> Indicator:
    """ "中心带站" (001 §二(三)): a 街道 center runs the stations of its 街道 ("整合运营辖区所有社区
    养老服务站"); a station in a 街道/镇 without a center is taken over by the nearest center within
    reach ("根据辐射范围…托管运营周边10个左右"). PASS when every station has a center and no center
    runs more than ``stations_per_center_max``."""
    types = fac["type"].to_numpy()
    centers = fac[np.isin(types, CENTER_TYPES)]
    stations = fac[types == "station"]
    limit = s.hub_reach_minutes * 60.0
    n_c, n_s = len(centers), len(stations)
    st_geoms = np.asarray(streets.geometry.array, dtype=object)
    c_street = _locate(np.asarray(centers.geometry.array, dtype=object), st_geoms)
    s_street = _locate(np.asarray(stations.geometry.array, dtype=object), st_geoms)
    owner = np.full(n_s, -1, dtype=np.int64)
    by_reach = np.zeros(n_s, dtype=bool)
    if n_c and n_s:
        sc = snap_points(graph, centers.geometry, max_snap_m=max_snap_m, point_ids=np.arange(n_c))
        ss = snap_points(graph, stations.geometry, max_snap_m=max_snap_m, point_ids=np.arange(n_s))
        od = od_times(graph, sc, ss, max_seconds=limit).seconds.tocsc()
        for j in range(n_s):
            a, b = od.indptr[j], od.indptr[j + 1]
            rows, secs = od.indices[a:b], od.data[a:b]
            home = np.flatnonzero((c_street == s_street[j]) & (s_street[j] >= 0))
            if len(home):  # its own 街道/镇's center (the nearest of them when several)
                reach_home = np.isin(rows, home)
                if reach_home.any():
                    r, t = rows[reach_home], secs[reach_home]
                    owner[j] = r[np.lexsort((r, t))[0]]
                else:
                    owner[j] = home[0]
            elif b > a:  # taken over by the nearest center in reach
                owner[j] = rows[np.lexsort((rows, secs))[0]]
                by_reach[j] = True
    load = np.bincount(owner[owner >= 0], minlength=n_c)
    over = [str(x) for x in centers["name"].to_numpy()[load > s.stations_per_center_max]]
    orphans = [str(x) for x in stations["name"].to_numpy()[owner < 0]]
    max_load = int(load.max()) if n_c else 0
    return Indicator(
        key="stations_per_center",
        value=float(max_load),
        target=float(s.stations_per_center_max),
        unit="count",
        comparison="<=",
        passed=(not over) and (not orphans),
        numbers={
            "centers": n_c,
            "stations": n_s,
            "max_stations_per_center": max_load,
            "mean_stations_per_center": float(load.mean()) if n_c else 0.0,
            "stations_in_own_street": int(((owner >= 0) & ~by_reach).sum()),
            "stations_taken_over_within_reach": int(by_reach.sum()),
            "stations_without_center": len(orphans),
            "centers_over_max": len(over),
            "reach_minutes": s.hub_reach_minutes,
        },
        detail_zh=(
            f"{n_s} 个社区养老服务站、{n_c} 个中心：{int(((owner >= 0) & ~by_reach).sum())} 个站由本街道/镇中心运营，"
            f"{int(by_reach.sum())} 个由步行 {s.hub_reach_minutes:g} 分钟内最近的中心托管；每中心最多带 {max_load} 个站"
            + (f"；超过 {s.stations_per_center_max} 个：{_list(over)}" if over else "")
            + (f"；{len(orphans)} 个站无中心：{_list(orphans)}" if orphans else "")
        ),
        detail_en=(
            f"{n_s} stations, {n_c} centers: {int(((owner >= 0) & ~by_reach).sum())} stations run by the center of "
            f"their own 街道/镇, {int(by_reach.sum())} taken over by the nearest center within "
            f"{s.hub_reach_minutes:g} walking minutes; at most {max_load} stations per center"
            + (f"; over {s.stations_per_center_max}: {_list_en(over)}" if over else "")
            + (
                f"; {len(orphans)} stations without a center: {_list_en(orphans)}"
                if orphans
                else ""
            )
        ),
        source=SOURCES["stations_per_center"],
    )


def _center_near_health(
    fac: gpd.GeoDataFrame, health: gpd.GeoDataFrame | None, s: IndicatorSettings
) -> Indicator:
    types = fac["type"].to_numpy()
    centers = fac[np.isin(types, CENTER_TYPES)]
    n = len(centers)
    base = {
        "key": "center_near_health",
        "target": float(n),
        "unit": "count",
        "comparison": ">=",
        "source": SOURCES["center_near_health"],
    }
    if health is None or n == 0:
        why_zh = "无医疗卫生设施数据，无法评估" if health is None else "没有养老服务中心，无可评估"
        why_en = (
            "no health facilities given: cannot be checked"
            if health is None
            else "no care centers to check"
        )
        return Indicator(
            value=float("nan"),
            passed=None,
            numbers={"centers": n},
            detail_zh=why_zh,
            detail_en=why_en,
            **base,
        )
    h_geoms = np.asarray(health.geometry.array, dtype=object)
    h_types = health["type"].to_numpy()
    near = np.zeros(n, dtype=bool)
    dist_m = np.full(n, np.inf)
    for i, (t, geom) in enumerate(zip(centers["type"], centers.geometry.array, strict=True)):
        ok = np.isin(h_types, HEALTH_FOR_CENTER[t])
        if ok.any():
            dist_m[i] = float(shapely.distance(h_geoms[ok], geom).min())
            near[i] = dist_m[i] <= s.health_max_distance_m
    far = [str(x) for x in centers["name"].to_numpy()[~near]]
    return Indicator(
        value=float(near.sum()),
        passed=bool(near.all()),
        numbers={
            "centers": n,
            "near_health": int(near.sum()),
            "max_distance_m": s.health_max_distance_m,
        },
        detail_zh=(
            f"{int(near.sum())} / {n} 个中心在 {s.health_max_distance_m:g} 米（直线）内有对应卫生机构"
            f"（街道中心—社区卫生服务中心，镇中心—卫生院）"
            + (f"；不满足：{_list(far)}" if far else "")
        ),
        detail_en=(
            f"{int(near.sum())} of {n} centers lie within {s.health_max_distance_m:g} m (straight line) of their "
            "health facility (street center – community health center, town center – township hospital)"
            + (f"; not: {_list_en(far)}" if far else "")
        ),
        **base,
    )


def _size_standards(scenario: Any) -> Any:
    """The size standards of the scenario's ``[rules]`` (defaults: 001 annex 1)."""
    from siting.standards import size_standards

    small = IndicatorSettings.from_scenario(scenario).small_community_elderly
    return size_standards(dict(scenario.section("rules")), small)


def _size_standard(
    communities: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, standards: Any
) -> Indicator:
    """Centers and stations at least as big as their standard (001 annex 1; 002 §13, §17)."""
    from siting.standards import meets_size

    sized = ("station", "street_center", "town_center")
    sel = fac[np.isin(fac["type"].to_numpy(), sized)] if len(fac) else fac
    area = (
        sel["floor_area_m2"].to_numpy(dtype=float)
        if "floor_area_m2" in sel
        else np.full(len(sel), np.nan)
    )
    beds = sel["beds"].to_numpy(dtype=float) if "beds" in sel else np.full(len(sel), np.nan)
    where = _locate(
        np.asarray(sel.geometry.array, dtype=object),
        np.asarray(communities.geometry.array, dtype=object),
    )
    el = (
        communities["pop_60p"].to_numpy(dtype=float)
        if "pop_60p" in communities
        else np.full(len(communities), np.inf)
    )
    com_el = np.where(where >= 0, el[np.clip(where, 0, None)] if len(el) else np.inf, np.inf)
    types = sel["type"].to_numpy()
    ok = meets_size(types, area, beds, com_el, standards)
    known = np.isfinite(area)
    below = [
        f"{n} ({a:.0f} m² < {standards.min_area(str(t), e):g})"
        for n, t, a, e, good in zip(sel["name"].astype(str), types, area, com_el, ok, strict=True)
        if not good
    ]
    n = int(known.sum())
    have = int((ok & known).sum())
    return Indicator(
        key="size_standard",
        value=float(have),
        target=float(n),
        unit="count",
        comparison=">=",
        passed=not below if n else None,
        numbers={
            "meeting": have,
            "with_area": n,
            "below": len(below),
            "unknown_area": int((~known).sum()),
        },
        detail_zh=f"{have} / {n} 处中心、站达到面积标准（站 ≥ {standards.station_m2:g} m²，老年人少的社区 ≥ "
        f"{standards.station_small_m2:g}；街道中心 ≥ {standards.street_center_m2:g}；镇中心 ≥ {standards.town_center_m2:g}）"
        + (f"；低于标准：{_list(below)}（可在规划中升级改造）" if below else ""),
        detail_en=f"{have} of {n} centers and stations meet their size standard (station ≥ {standards.station_m2:g} m², "
        f"≥ {standards.station_small_m2:g} in a 社区 with few elderly; street center ≥ {standards.street_center_m2:g}; "
        f"town center ≥ {standards.town_center_m2:g})"
        + (f"; below: {_list_en(below)} (can be upgraded in a plan)" if below else ""),
        source=SOURCES["size_standard"],
    )


def compute_indicators(
    inputs: Inputs,
    graph: WalkGraph,
    *,
    matrix: CoverageMatrix,
    demand: Demand,
    coverage_settings: CoverageSettings,
    facilities: gpd.GeoDataFrame | None = None,
    settings: IndicatorSettings | None = None,
) -> Indicators:
    """Evaluate every plan indicator for a set of facilities.

    Parameters
    ----------
    inputs
        The district (communities, streets, health facilities, scenario).
    graph
        The walking graph (for the center–station reach).
    matrix
        Coverage of ``demand`` by ``facilities`` (:func:`~siting.coverage.coverage_matrix`).
    demand
        The demand points of ``matrix``.
    coverage_settings
        The thresholds used for ``matrix`` (home-care types).
    facilities
        The facilities to judge (default ``inputs.facilities``; a plan passes existing + new).
    settings
        Targets (default: the scenario's ``[indicators]``).
    """
    settings = settings or IndicatorSettings.from_scenario(inputs.scenario)
    fac = facilities if facilities is not None else inputs.facilities
    if fac is None:
        fac = gpd.GeoDataFrame(
            {"name": [], "type": [], "floor_area_m2": []}, geometry=[], crs=inputs.crs
        )
    items = (
        _home_care_coverage(matrix, coverage_settings, settings, demand),
        _center_per_street(inputs.streets, fac),
        _station_per_community(inputs.communities, matrix, demand, settings),
        _floor_area(inputs.communities, fac, settings),
        _stations_per_center(graph, inputs.streets, fac, settings, coverage_settings.max_snap_m),
        _center_near_health(fac, inputs.health, settings),
        _size_standard(inputs.communities, fac, _size_standards(inputs.scenario)),
    )
    result = Indicators(items=items, settings=settings)
    log.info(
        "compute_indicators: %s",
        ", ".join(
            f"{i.key} {'PASS' if i.passed else ('n/a' if i.passed is None else 'FAIL')}"
            for i in items
        ),
    )
    return result
