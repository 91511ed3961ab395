"""The plan indicators: each policy target of POLICY_RULES §1–3 and §8 as PASS/FAIL with its numbers.

=========================  ==========================================================  =======================
key                        rule (default target)                                       source
=========================  ==========================================================  =======================
home_care_coverage         share of the elderly (60+) within the walking threshold     000 专栏1 #7 (居家养老
                           of a home-care facility ≥ 80 % (walking coverage is the     服务覆盖率 80 %); 003 一
                           proxy of "居家养老服务覆盖率")
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
size_standard              centers and stations at least as big as their standard      001 annex 1; 002 §13, §17
total_beds                 Σ ``beds`` of every facility (institutions, centers,        000 专栏1 #1
                           stations) against the district's own target: 10,000 张
                           for 沙坪坝 (500106); elsewhere none ("no target: reported
                           only") unless ``total_beds_target`` is set
nursing_bed_share          Σ ``nursing_beds`` / Σ ``beds`` of the 养老机构             000 专栏1 #2; 003 一;
                           (type ``institution``): ≥ 60 % in 沙坪坝 (500106), > 65 %   004 一; 001 §二(五)
                           in 铜梁 (500151), ≥ 50 % in 江津 (500116) and elsewhere (the
                           municipal 004)
urban_service_coverage     街道（社区）养老服务覆盖率 100 %: the share of 街道 with their  000 专栏1 #3
                           center and of 社区 with their station (the same per-unit
                           checks as center_per_street and station_per_community)
rural_service_coverage     乡镇（村）养老服务覆盖率 100 %: the share of 镇/乡 with their   000 专栏1 #4
                           center and of 村 with their point (or a station)
new_housing_provision      share of the residential buildings/compounds built since    000 专栏1 #6; 002 §12
                           ``new_housing_since`` (2021) that have ≥ 20 m² of elderly-
                           care floor area per 100 households at the compound; 100 %
teaching_point_coverage    share of 街道 and 社区 with a facility that hosts a 老年大学    000 专栏1 #12
                           教学点 (``teaching_point``) ≥ 70 %
social_operation_urban     share of the urban facilities (street centers, stations,    001 §一
                           compound points) run socially (公建民营, 民办) ≥ 90 %
social_operation_rural     the same for town centers and village points ≥ 60 %         001 §一
social_operation_beds      share of beds in socially run facilities ≥ 60 %             004 一
meal_points                centers, stations and points hosting a 老年人助餐点          000 专栏2
                           (``meal_service``): count and share; no target
(reported)                 000 专栏1 #5, #8–#11, #13–#16: typed by the planner in       000 专栏1
                           ``[indicators.reported]``, never computed (see
                           :mod:`siting.indicator_table`)
=========================  ==========================================================  =======================

An indicator whose input is missing is *not computable* and says which column or input it
needs (``passed`` None, status "na"); one without a target is reported only (status
"no_target"); a reported indicator not typed in is "not_reported". None of them is a PASS.

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
- ``new_housing_since = 2021``: "new" housing is what is built in the plan period of 000 (十四五,
  2021–2025), whose indicator #6 this is; set the year your district's provision rule took effect.
- ``new_housing_m2_per_100_households = 20``: the lower end of 002 §12's "每百户20至30平方米".
- ``new_housing_max_distance_m = 50``: a compound's provision (配套) is the floor area of the
  community facilities (centers, stations, points; 002 §12 speaks of 社区养老服务设施, so not a
  养老机构) inside it or within 50 m of its outline (across its gate or street); each facility
  counts for one building only, the nearest (the one it stands in). A proxy: the inputs give
  facility floor area, not the floor space set aside in the housing plans.
- urban/rural: 街道 and 社区 are urban, 镇/乡 and 村 rural (by the unit's kind, so a 场镇社区 of a
  镇 is in the urban pair, as the table pairs 街道 with 社区 and 乡镇 with 村); for social operation
  street centers, stations and compound points are urban facilities, town centers and village
  points rural ones (institutions are counted by the bed share of 004).

After a plan (:func:`siting.model.result.indicators_after`) the facilities built are counted with
:func:`planned_facility`: the beds their size standard requires (a street center 20, 001 annex 1),
run socially when they are centers or stations (002 §13: "社区养老服务站一律实行公建民营模式，镇乡
街道养老服务中心则采取公建民营或民办公助"; 001 §二(三)), operator unknown for village and compound
points, meal service and teaching point unknown (not counted); an upgrade keeps the attributes of
the facility it upgrades. A column the facilities input does not have stays absent (the indicator
stays not computable rather than judged on the new sites alone).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from isochrones.od import od_times
from isochrones.snap import snap_points
from siting.errors import Problem, ScenarioError
from siting.indicator_table import (
    REPORTED,
    REPORTED_KEYS,
    DistrictTarget,
    district_target,
    reported_problems,
)
from siting.standards import CENTER_FOR_KIND, CENTER_TYPES, STATION_TYPES, UNIT_TYPES

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.coverage import CoverageMatrix, CoverageSettings
    from siting.demand import Demand
    from siting.indicator_table import ReportedIndicator
    from siting.io import Inputs
    from siting.standards import SizeStandards

__all__ = [
    "CENTER_FOR_KIND",
    "HEALTH_FOR_CENTER",
    "INDICATOR_KEYS",
    "PLANNED_OPERATOR",
    "Indicator",
    "IndicatorSettings",
    "Indicators",
    "compute_indicators",
    "planned_facility",
]

log = logging.getLogger(__name__)

#: Indicators computed from the inputs, then the reported ones (000 专栏1 order).
COMPUTED_KEYS: tuple[str, ...] = (
    "home_care_coverage",
    "center_per_street",
    "station_per_community",
    "floor_area_per_resident",
    "stations_per_center",
    "center_near_health",
    "size_standard",
    "total_beds",
    "nursing_bed_share",
    "urban_service_coverage",
    "rural_service_coverage",
    "new_housing_provision",
    "teaching_point_coverage",
    "social_operation_urban",
    "social_operation_rural",
    "social_operation_beds",
    "meal_points",
)
INDICATOR_KEYS: tuple[str, ...] = (*COMPUTED_KEYS, *REPORTED_KEYS)
#: Health facilities a center should be next to (001 §二(五)); a hospital counts for both.
HEALTH_FOR_CENTER: Mapping[str, tuple[str, ...]] = {
    "street_center": ("community_health_center", "hospital"),
    "town_center": ("township_hospital", "hospital"),
}
SOURCES: Mapping[str, str] = {
    "home_care_coverage": "000 专栏1 #7; 003 一",
    "center_per_street": "001 §二(一); 003 任务8",
    "station_per_community": "001 §二(一); 003 任务8",
    "floor_area_per_resident": "000 第十一章§2; 001 §二(一); 003 任务8; 004 §(三)",
    "stations_per_center": "001 §二(三)",
    "center_near_health": "001 §二(五); 000 第六章§1",
    "size_standard": "001 附件1; 002 §13, §17",
    "total_beds": "000 专栏1 #1",
    "nursing_bed_share": "000 专栏1 #2 (≥ 60 %); 003 一 (> 65 %); 004 一, 001 §二(五) (≥ 50 %)",
    "urban_service_coverage": "000 专栏1 #3; 001 §二(一)",
    "rural_service_coverage": "000 专栏1 #4; 001 §二(一)",
    "new_housing_provision": "000 专栏1 #6; 002 §12",
    "teaching_point_coverage": "000 专栏1 #12",
    "social_operation_urban": "001 §一",
    "social_operation_rural": "001 §一",
    "social_operation_beds": "004 一",
    "meal_points": "000 专栏2",
    **{r.key: r.source for r in REPORTED},
}
#: Home-care facility types (hosts of meal points, 000 专栏2).
HOME_CARE_TYPES: tuple[str, ...] = (
    "street_center",
    "town_center",
    "station",
    "village_point",
    "compound_point",
)
#: Urban and rural facilities for social operation (001 §一: 城市/农村养老服务设施).
URBAN_TYPES: tuple[str, ...] = ("street_center", "station", "compound_point")
RURAL_TYPES: tuple[str, ...] = ("town_center", "village_point")
#: Who runs a site the plan builds (002 §13; 001 §二(三)); other types: unknown.
PLANNED_OPERATOR: Mapping[str, str] = {
    "street_center": "public_private",
    "town_center": "public_private",
    "station": "public_private",
}
#: Facility columns the indicators read beyond type and floor area.
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "beds",
    "nursing_beds",
    "operator",
    "meal_service",
    "teaching_point",
)
_SHARE_KEYS = (
    "home_care_coverage_target",
    "sharing_min_share",
    "nursing_bed_share_target",
    "social_operation_urban_target",
    "social_operation_rural_target",
    "social_operation_beds_target",
    "new_housing_target",
    "teaching_point_target",
)
Unassessed = Literal["na", "no_target", "not_reported"]


@dataclass(frozen=True)
class IndicatorSettings:
    """Targets and parameters of the indicators (scenario section ``[indicators]``).

    ``total_beds_target`` and ``nursing_bed_share_target`` default (None) to the documents'
    figure for the district (``district_code``, :mod:`siting.indicator_table`). ``reported``
    holds the planner's figures of ``[indicators.reported]`` as (key, value) pairs.
    """

    home_care_coverage_target: float = 0.8
    floor_area_m2_per_resident: float = 0.2
    stations_per_center_max: int = 10
    hub_reach_minutes: float = 30.0
    health_max_distance_m: float = 500.0
    small_community_elderly: float = 500.0
    sharing_min_share: float = 0.5
    total_beds_target: float | None = None
    nursing_bed_share_target: float | None = None
    social_operation_urban_target: float = 0.9
    social_operation_rural_target: float = 0.6
    social_operation_beds_target: float = 0.6
    new_housing_since: int = 2021
    new_housing_m2_per_100_households: float = 20.0
    new_housing_target: float = 1.0
    new_housing_max_distance_m: float = 50.0
    teaching_point_target: float = 0.7
    reported: tuple[tuple[str, float], ...] = ()
    district_code: str = ""

    def problems(self, source: str) -> list[Problem]:
        out = []
        for key in (
            "floor_area_m2_per_resident",
            "stations_per_center_max",
            "hub_reach_minutes",
            "health_max_distance_m",
            "new_housing_m2_per_100_households",
        ):
            value = getattr(self, key)
            if not (math.isfinite(value) and value > 0):
                out.append(
                    Problem(source, f"{key} must be > 0, got {value!r}", column=f"indicators.{key}")
                )
        for key in _SHARE_KEYS:
            value = getattr(self, key)
            if value is not None and not (0 <= value <= 1):
                out.append(
                    Problem(
                        source,
                        f"{key} must be a share between 0 and 1, got {value!r}",
                        column=f"indicators.{key}",
                        hint="e.g. 0.8 for 80 %",
                    )
                )
        for key in ("small_community_elderly", "total_beds_target", "new_housing_max_distance_m"):
            value = getattr(self, key)
            if value is not None and not value >= 0:
                out.append(
                    Problem(
                        source, f"{key} must be >= 0, got {value!r}", column=f"indicators.{key}"
                    )
                )
        if not 1900 <= self.new_housing_since <= 2100:
            out.append(
                Problem(
                    source,
                    f"new_housing_since must be a year, got {self.new_housing_since!r}",
                    column="indicators.new_housing_since",
                )
            )
        out.extend(reported_problems(dict(self.reported), source))
        return out

    @classmethod
    def from_scenario(cls, scenario: Any) -> IndicatorSettings:
        sec = dict(scenario.section("indicators"))
        known = {k: sec[k] for k in cls.__dataclass_fields__ if k in sec}
        if "reported" in known:
            reported = known["reported"]
            known["reported"] = (
                tuple(reported.items()) if isinstance(reported, Mapping) else reported
            )
        known.pop("district_code", None)
        code = str(scenario.settings.get("scenario", {}).get("district_code", "") or "")
        settings = cls(**known, district_code=code)
        problems = settings.problems(str(scenario.path))
        if problems:
            raise ScenarioError(
                f"scenario {scenario.path}: invalid [indicators] settings", problems
            )
        return settings

    def beds_target(self) -> DistrictTarget | None:
        """The total-beds target: the scenario's, else the district's own (000 专栏1 #1), else none."""
        if self.total_beds_target is not None:
            return DistrictTarget(float(self.total_beds_target), ">=", "[indicators]")
        return district_target(self.district_code, "total_beds")

    def nursing_target(self) -> DistrictTarget:
        """The nursing-type share target: the scenario's, else the district's, else 004's 50 %."""
        if self.nursing_bed_share_target is not None:
            return DistrictTarget(float(self.nursing_bed_share_target), ">=", "[indicators]")
        target = district_target(self.district_code, "nursing_bed_share")
        assert target is not None
        return target


@dataclass(frozen=True)
class Indicator:
    """One indicator: the measured value against its target, PASS/FAIL, and the numbers behind it.

    ``passed`` is None when the indicator is not assessed: ``unassessed`` says why — "na" (the
    inputs do not allow the check, e.g. no health facilities or a column missing), "no_target"
    (reported only), "not_reported" (a reported indicator the planner did not type in).
    ``origin`` is "computed" (from the inputs) or "reported" (typed by the planner, 填报).
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
    origin: Literal["computed", "reported"] = "computed"
    unassessed: Unassessed = "na"

    def detail(self, lang: str = "zh") -> str:
        return self.detail_zh if lang == "zh" else self.detail_en

    @property
    def status(self) -> str:
        """ "pass", "fail", or why it is not assessed ("na", "no_target", "not_reported")."""
        if self.passed is None:
            return self.unassessed
        return "pass" if self.passed else "fail"

    @property
    def digits(self) -> int:
        """Decimals to show the value and target with."""
        return {"m2/person": 3, "%": 1, "ratio": 2}.get(self.unit, 0)


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
                    "status": i.status,
                    "origin": i.origin,
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


@dataclass(frozen=True)
class UnitService:
    """Which 街道/镇 have their center and which 社区/村 their station or point (one computation,
    read by center_per_street, station_per_community, urban_ and rural_service_coverage)."""

    street_has_center: np.ndarray  # (n_streets,) bool
    own: np.ndarray  # (n_communities,) bool: its own station (社区) or point/station (村)
    shared: np.ndarray  # (n_communities,) bool: a small 社区 sharing another community's station

    @property
    def served(self) -> np.ndarray:
        return self.own | self.shared


def _street_centers(streets: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    st_geoms = np.asarray(streets.geometry.array, dtype=object)
    types = fac["type"].to_numpy()
    where = _locate(np.asarray(fac.geometry.array, dtype=object), st_geoms)
    has = np.zeros(len(streets), dtype=bool)
    for i, kind in enumerate(streets["kind"]):
        need = CENTER_FOR_KIND.get(kind, "town_center")
        has[i] = bool(((where == i) & (types == need)).any())
    return has


def _community_stations(
    communities: gpd.GeoDataFrame,
    matrix: CoverageMatrix,
    demand: Demand,
    s: IndicatorSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """(own, shared) per community: its own station or point, or a small 社区 sharing one."""
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
    small = (kinds == "community") & (elderly < s.small_community_elderly)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total_el > 0, shared_el / total_el, 0.0)
    shared = ~own & small & (share >= s.sharing_min_share - 1e-12)
    return own, shared


def unit_service(
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    matrix: CoverageMatrix,
    demand: Demand,
    s: IndicatorSettings,
) -> UnitService:
    own, shared = _community_stations(communities, matrix, demand, s)
    return UnitService(_street_centers(streets, fac), own, shared)


def _center_per_street(streets: gpd.GeoDataFrame, svc: UnitService) -> Indicator:
    missing = [str(x) for x in streets["name"].to_numpy()[~svc.street_has_center]]
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
    communities: gpd.GeoDataFrame, svc: UnitService, s: IndicatorSettings
) -> Indicator:
    own, shared, served = svc.own, svc.shared, svc.served
    names = communities["name"].astype(str).to_numpy()
    missing = [str(x) for x in names[~served]]
    n = len(communities)
    kinds = communities["kind"].to_numpy()
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
            "unserved_community": int((~served & (kinds == "community")).sum()),
            "unserved_village": int((~served & (kinds == "village")).sum()),
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


def _service_coverage(
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    svc: UnitService,
    *,
    rural: bool,
) -> Indicator:
    """000 专栏1 #3 街道（社区） / #4 乡镇（村）养老服务覆盖率: the units of the pair with their facility."""
    key = "rural_service_coverage" if rural else "urban_service_coverage"
    st_kind, com_kind = ("town", "village") if rural else ("street", "community")
    st_sel = streets["kind"].to_numpy() == st_kind
    com_sel = communities["kind"].to_numpy() == com_kind
    n_st, n_com = int(st_sel.sum()), int(com_sel.sum())
    st_ok = int((svc.street_has_center & st_sel).sum())
    com_ok = int((svc.served & com_sel).sum())
    com_shared = int((svc.shared & com_sel).sum())
    n = n_st + n_com
    share = (st_ok + com_ok) / n if n else float("nan")
    st_missing = [str(x) for x in streets["name"].to_numpy()[st_sel & ~svc.street_has_center]]
    com_missing = [str(x) for x in communities["name"].to_numpy()[com_sel & ~svc.served]]
    st_zh, com_zh = ("镇/乡", "村") if rural else ("街道", "社区")
    fac_zh = "互助养老点（或站）" if rural else "养老服务站"
    fac_en = "a point (or station)" if rural else "a station"
    shared_zh = "" if rural else f"（其中 {com_shared} 个与邻近社区共用）"
    shared_en = "" if rural else f" ({com_shared} sharing a neighbour's)"
    pct = 100 * share if n else float("nan")
    numbers = {
        "units": n,
        "served": st_ok + com_ok,
        "coverage_pct": pct,
        "streets": n_st,
        "streets_with_center": st_ok,
        "communities": n_com,
        "communities_served": com_ok,
        "communities_shared": com_shared,
    }
    if not n:
        return Indicator(
            key=key,
            value=float("nan"),
            target=100.0,
            unit="%",
            comparison=">=",
            passed=None,
            numbers=numbers,
            detail_zh=f"本区没有{st_zh}或{com_zh}，无可评估",
            detail_en=f"the district has no {st_zh} or {com_zh}: nothing to check",
            source=SOURCES[key],
        )
    return Indicator(
        key=key,
        value=pct,
        target=100.0,
        unit="%",
        comparison=">=",
        passed=st_ok + com_ok == n,
        numbers=numbers,
        detail_zh=(
            f"{st_zh} {st_ok} / {n_st} 个有养老服务中心，{com_zh} {com_ok} / {n_com} 个有{fac_zh}{shared_zh}："
            f"合计 {st_ok + com_ok} / {n} = {pct:.1f}%"
            + (f"；缺中心：{_list(st_missing)}" if st_missing else "")
            + (f"；缺站（点）：{_list(com_missing)}" if com_missing else "")
        ),
        detail_en=(
            f"{st_ok} of {n_st} {st_zh} have their care center, {com_ok} of {n_com} {com_zh} {fac_en}{shared_en}: "
            f"{st_ok + com_ok} of {n} = {pct:.1f} %"
            + (f"; without a center: {_list_en(st_missing)}" if st_missing else "")
            + (f"; without a station or point: {_list_en(com_missing)}" if com_missing else "")
        ),
        source=SOURCES[key],
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


# --------------------------------------------------------------------------------------------
# the indicators of 000 专栏1 (and 001 §一, 004 一, 000 专栏2) beyond coverage and the unit rules
# --------------------------------------------------------------------------------------------

_INPUT_ZH = {"facilities": "养老设施", "buildings": "住宅建筑/小区"}


def _unassessed(
    key: str,
    *,
    unit: str,
    why_zh: str,
    why_en: str,
    target: float = float("nan"),
    comparison: str = ">=",
    numbers: Mapping[str, float] | None = None,
    unassessed: Unassessed = "na",
) -> Indicator:
    return Indicator(
        key=key,
        value=float("nan"),
        target=target,
        unit=unit,
        comparison=comparison,
        passed=None,
        numbers=dict(numbers or {}),
        detail_zh=why_zh,
        detail_en=why_en,
        source=SOURCES[key],
        unassessed=unassessed,
    )


def _missing_column(
    key: str,
    column: str,
    *,
    unit: str,
    target: float = float("nan"),
    comparison: str = ">=",
    input_name: str = "facilities",
) -> Indicator:
    return _unassessed(
        key,
        unit=unit,
        target=target,
        comparison=comparison,
        why_zh=(
            f"无法计算：{_INPUT_ZH[input_name]}输入缺少列 {column}"
            f'（在情景 [inputs.{input_name}.columns] 中映射 {column} = "…"）'
        ),
        why_en=(
            f"not computable: column {column} missing from the {input_name} input "
            f'(map it in [inputs.{input_name}.columns] {column} = "…")'
        ),
    )


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _flags(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(known, true) of a yes/no column (blank, None, NaN: unknown)."""
    values = frame[column].astype(object).to_numpy()
    known = ~np.asarray(pd.isna(values), dtype=bool)
    true = np.array([bool(k) and bool(v) for k, v in zip(known, values, strict=True)], dtype=bool)
    return known, true


def _operators(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(known, social) of the ``operator`` column (siting.io.OPERATORS)."""
    from siting.io import SOCIAL_OPERATORS

    values = frame["operator"].astype(object).to_numpy()
    known = ~np.asarray(pd.isna(values), dtype=bool)
    social = known & np.isin(values.astype(str), SOCIAL_OPERATORS)
    return known, social


def _meets(value: float, target: DistrictTarget | float, comparison: str = ">=") -> bool:
    t = target.value if isinstance(target, DistrictTarget) else float(target)
    cmp = target.comparison if isinstance(target, DistrictTarget) else comparison
    return bool(value > t) if cmp == ">" else bool(value >= t - 1e-12)


def _total_beds(fac: gpd.GeoDataFrame, s: IndicatorSettings) -> Indicator:
    """000 专栏1 #1 养老服务床位总量: Σ beds of every facility against the district's target."""
    key = "total_beds"
    target = s.beds_target()
    tval = target.value if target is not None else float("nan")
    if "beds" not in fac.columns:
        return _missing_column(key, "beds", unit="beds", target=tval)
    beds = _numeric(fac, "beds")
    types = fac["type"].astype(str).to_numpy()
    n_missing = int(np.isnan(beds).sum())
    total = float(np.nansum(beds))
    inst = float(np.nansum(beds[types == "institution"]))
    centers = float(np.nansum(beds[np.isin(types, CENTER_TYPES)]))
    other = total - inst - centers
    numbers = {
        "beds": total,
        "institution_beds": inst,
        "center_beds": centers,
        "other_beds": other,
        "facilities_without_beds": n_missing,
        "target": tval,
    }
    head_zh = f"养老服务床位 {total:,.0f} 张（养老机构 {inst:,.0f}，中心 {centers:,.0f}，站点 {other:,.0f}）"
    head_en = (
        f"{total:,.0f} elderly-care beds (institutions {inst:,.0f}, centers {centers:,.0f}, "
        f"stations and points {other:,.0f})"
    )
    note_zh = f"；{n_missing} 处设施缺床位数，按 0 计" if n_missing else ""
    note_en = f"; {n_missing} facilities lack a bed count, counted as 0" if n_missing else ""
    if target is None:
        ref = district_target("500106", "total_beds")
        assert ref is not None
        return Indicator(
            key=key,
            value=total,
            target=float("nan"),
            unit="beds",
            comparison=">=",
            passed=None,
            numbers=numbers,
            detail_zh=head_zh
            + f"。本区无文件目标，仅报告（{ref.value:,.0f} 张是沙坪坝区 2025 年的目标，000 专栏1 #1；"
            f"本区目标可在 [indicators] total_beds_target 设定）{note_zh}",
            detail_en=head_en
            + f". No target for this district: reported only ({ref.value:,.0f} beds is 沙坪坝's target "
            f"for 2025, 000 专栏1 #1; set the district's own in [indicators] total_beds_target){note_en}",
            source=SOURCES[key],
            unassessed="no_target",
        )
    return Indicator(
        key=key,
        value=total,
        target=tval,
        unit="beds",
        comparison=">=",
        passed=_meets(total, target),
        numbers=numbers,
        detail_zh=head_zh + f"；目标 {tval:,.0f} 张（{target.source}）{note_zh}",
        detail_en=head_en + f"; target {tval:,.0f} beds ({target.source}){note_en}",
        source=SOURCES[key],
    )


def _nursing_share(fac: gpd.GeoDataFrame, s: IndicatorSettings) -> Indicator:
    """000 专栏1 #2 养老机构护理型养老床位占比: Σ nursing_beds / Σ beds of the institutions."""
    key = "nursing_bed_share"
    t = s.nursing_target()
    kw: dict[str, Any] = {"unit": "%", "target": 100 * t.value, "comparison": t.comparison}
    for col in ("beds", "nursing_beds"):
        if col not in fac.columns:
            return _missing_column(key, col, **kw)
    inst = fac["type"].astype(str).to_numpy() == "institution"
    others_zh = "沙坪坝 000 ≥ 60%，铜梁 003 > 65%，江津 001 与全市 004 ≥ 50%"
    others_en = "沙坪坝 000 ≥ 60 %, 铜梁 003 > 65 %, 江津 001 and the municipal 004 ≥ 50 %"
    if not inst.any():
        return _unassessed(
            key,
            why_zh="无法计算：没有养老机构（类型 institution）",
            why_en="not computable: no care institutions (type institution)",
            **kw,
        )
    b, nb = _numeric(fac, "beds")[inst], _numeric(fac, "nursing_beds")[inst]
    known = np.isfinite(b) & np.isfinite(nb)
    total, nursing = float(b[known].sum()), float(nb[known].sum())
    unknown = int((~known).sum())
    if total <= 0:
        return _unassessed(
            key,
            why_zh="无法计算：养老机构的床位数或护理型床位数缺失或为 0",
            why_en="not computable: the institutions' beds or nursing beds are missing or zero",
            numbers={"institutions": int(inst.sum()), "institutions_unknown": unknown},
            **kw,
        )
    share = nursing / total
    sign = "≥" if t.comparison == ">=" else ">"
    note_zh = f"；{unknown} 家机构缺床位数或护理型床位数，未计入" if unknown else ""
    note_en = f"; {unknown} institutions lack beds or nursing beds, left out" if unknown else ""
    return Indicator(
        key=key,
        value=100 * share,
        passed=_meets(share, t),
        numbers={
            "nursing_beds": nursing,
            "beds": total,
            "share_pct": 100 * share,
            "institutions": int(known.sum()),
            "institutions_unknown": unknown,
        },
        detail_zh=(
            f"养老机构护理型床位 {nursing:,.0f} / {total:,.0f} 张 = {100 * share:.1f}%（{int(known.sum())} 家机构）；"
            f"目标 {sign} {100 * t.value:g}%（{t.source}；{others_zh}）{note_zh}"
        ),
        detail_en=(
            f"{nursing:,.0f} of {total:,.0f} institution beds are nursing-type = {100 * share:.1f} % "
            f"({int(known.sum())} institutions); target {sign} {100 * t.value:g} % ({t.source}; {others_en}){note_en}"
        ),
        source=SOURCES[key],
        **kw,
    )


def _social_operation(fac: gpd.GeoDataFrame, s: IndicatorSettings, *, rural: bool) -> Indicator:
    """001 §一: 城市/农村养老服务设施社会化运营率 (≥ 90 % urban, ≥ 60 % rural)."""
    key = "social_operation_rural" if rural else "social_operation_urban"
    target = s.social_operation_rural_target if rural else s.social_operation_urban_target
    kw: dict[str, Any] = {"unit": "%", "target": 100 * target}
    if "operator" not in fac.columns:
        return _missing_column(key, "operator", **kw)
    what_zh = (
        "农村养老服务设施（镇中心、村互助点）"
        if rural
        else "城市养老服务设施（街道中心、社区站、小区点）"
    )
    what_en = (
        "rural facilities (town centers, village points)"
        if rural
        else "urban facilities (street centers, stations, compound points)"
    )
    sel = np.isin(fac["type"].astype(str).to_numpy(), RURAL_TYPES if rural else URBAN_TYPES)
    known, social = _operators(fac)
    n, nk, ns = int(sel.sum()), int((sel & known).sum()), int((sel & social).sum())
    numbers = {"facilities": n, "known": nk, "social": ns, "unknown": n - nk}
    if nk == 0:
        why_zh = (
            f"没有{what_zh}，无可评估" if n == 0 else f"无法计算：{n} 处{what_zh}的运营方式均未知"
        )
        why_en = (
            f"no {what_en}: nothing to check"
            if n == 0
            else f"not computable: the operator of all {n} {what_en} is unknown"
        )
        return _unassessed(key, why_zh=why_zh, why_en=why_en, numbers=numbers, **kw)
    share = ns / nk
    numbers["share_pct"] = 100 * share
    note_zh = f"；{n - nk} 处运营方式未知，未计入" if n > nk else ""
    note_en = f"; {n - nk} with an unknown operator left out" if n > nk else ""
    return Indicator(
        key=key,
        value=100 * share,
        comparison=">=",
        passed=_meets(share, target),
        numbers=numbers,
        detail_zh=f"{what_zh} {ns} / {nk} 处社会化运营（公建民营、民办）= {100 * share:.1f}%{note_zh}",
        detail_en=f"{ns} of {nk} {what_en} are run socially (公建民营, 民办) = {100 * share:.1f} %{note_en}",
        source=SOURCES[key],
        **kw,
    )


def _social_operation_beds(fac: gpd.GeoDataFrame, s: IndicatorSettings) -> Indicator:
    """004 一: 社会运营的养老床位数占养老床位总数的比例 ≥ 60 %."""
    key = "social_operation_beds"
    kw: dict[str, Any] = {"unit": "%", "target": 100 * s.social_operation_beds_target}
    for col in ("beds", "operator"):
        if col not in fac.columns:
            return _missing_column(key, col, **kw)
    beds = _numeric(fac, "beds")
    known, social = _operators(fac)
    k = known & np.isfinite(beds)
    total, soc = float(beds[k].sum()), float(beds[k & social].sum())
    unknown_beds = float(np.nansum(beds[~known]))
    numbers = {"beds": total, "social_beds": soc, "beds_unknown_operator": unknown_beds}
    if total <= 0:
        return _unassessed(
            key,
            why_zh="无法计算：没有运营方式已知且有床位的设施",
            why_en="not computable: no facility with beds and a known operator",
            numbers=numbers,
            **kw,
        )
    share = soc / total
    numbers["share_pct"] = 100 * share
    note_zh = f"；运营方式未知的 {unknown_beds:,.0f} 张床位未计入" if unknown_beds else ""
    note_en = (
        f"; {unknown_beds:,.0f} beds with an unknown operator left out" if unknown_beds else ""
    )
    return Indicator(
        key=key,
        value=100 * share,
        comparison=">=",
        passed=_meets(share, s.social_operation_beds_target),
        numbers=numbers,
        detail_zh=f"社会运营（公建民营、民办）的床位 {soc:,.0f} / {total:,.0f} 张 = {100 * share:.1f}%{note_zh}",
        detail_en=f"{soc:,.0f} of {total:,.0f} beds are in socially run facilities (公建民营, 民办) = {100 * share:.1f} %{note_en}",
        source=SOURCES[key],
        **kw,
    )


def _new_housing(
    buildings: gpd.GeoDataFrame | None, fac: gpd.GeoDataFrame, s: IndicatorSettings
) -> Indicator:
    """000 专栏1 #6; 002 §12: new housing with ≥ 20 m² of elderly-care floor area per 100 households."""
    key = "new_housing_provision"
    kw: dict[str, Any] = {"unit": "%", "target": 100 * s.new_housing_target}
    if buildings is None:
        return _unassessed(
            key,
            why_zh="无法计算：未提供住宅建筑/小区输入（[inputs.buildings]，含 year_built 与 households）",
            why_en="not computable: no buildings input ([inputs.buildings] with year_built and households)",
            **kw,
        )
    for col in ("year_built", "households"):
        if col not in buildings.columns:
            return _missing_column(key, col, input_name="buildings", **kw)
    since, per100, reach = (
        s.new_housing_since,
        s.new_housing_m2_per_100_households,
        s.new_housing_max_distance_m,
    )
    year = _numeric(buildings, "year_built")
    hh = _numeric(buildings, "households")
    new = np.isfinite(year) & (year >= since)
    usable = new & np.isfinite(hh) & (hh > 0)
    n_new = int(usable.sum())
    if n_new == 0:
        return _unassessed(
            key,
            why_zh=f"{since} 年及以后没有新建居住小区（year_built），无可评估",
            why_en=f"no residential building built in {since} or later (year_built): nothing to check",
            numbers={"new_buildings": 0, "since": since},
            **kw,
        )
    provided = np.zeros(len(buildings))
    # the community facilities (centers, stations, points) are a compound's provision (002 §12
    # is about 社区养老服务设施); a 养老机构 next to it is not
    fac = fac[np.isin(fac["type"].astype(str).to_numpy(), HOME_CARE_TYPES)]
    if len(fac):
        tree = shapely.STRtree(np.asarray(buildings.geometry.array, dtype=object))
        f_idx, b_idx = tree.query_nearest(
            np.asarray(fac.geometry.array, dtype=object),
            max_distance=max(reach, 1e-6),
            all_matches=False,
        )
        area = (
            np.nan_to_num(_numeric(fac, "floor_area_m2"), nan=0.0)
            if "floor_area_m2" in fac
            else np.zeros(len(fac))
        )
        np.add.at(provided, b_idx, area[f_idx])
    required = per100 * hh / 100.0
    meets = usable & (provided >= required - 1e-9)
    n_meet = int(meets.sum())
    share = n_meet / n_new
    names = (
        buildings["name"].astype(str).to_numpy()
        if "name" in buildings
        else np.array([f"#{r}" for r in buildings.get("row", range(len(buildings)))], dtype=object)
    )
    fail = np.flatnonzero(usable & ~meets)
    fail = fail[np.argsort(-(required[fail] - provided[fail]), kind="stable")]
    below = [f"{names[i]} ({provided[i]:,.0f} < {required[i]:,.0f} m²)" for i in fail]
    prov, req = float(provided[usable].sum()), float(required[usable].sum())
    n_no_hh = int((new & ~usable).sum())
    note_zh = f"；{n_no_hh} 个新建住宅缺户数，未计入" if n_no_hh else ""
    note_en = f"; {n_no_hh} new buildings lack households, left out" if n_no_hh else ""
    return Indicator(
        key=key,
        value=100 * share,
        comparison=">=",
        passed=_meets(share, s.new_housing_target),
        numbers={
            "new_buildings": n_new,
            "meeting": n_meet,
            "share_pct": 100 * share,
            "households": float(hh[usable].sum()),
            "provided_m2": prov,
            "required_m2": req,
            "since": since,
            "m2_per_100_households": per100,
            "new_without_households": n_no_hh,
        },
        detail_zh=(
            f"{since} 年及以后建成的居住小区 {n_new} 个，{n_meet} 个达到每百户 {per100:g} 平方米的养老服务设施配套标准"
            f"（{100 * share:.1f}%）；配套面积 {prov:,.0f} / 应配 {req:,.0f} 平方米。近似：以小区内或 {reach:g} 米内"
            f"社区养老服务设施（中心、站、点）的建筑面积计，每处设施只计入最近的一个住宅{note_zh}"
            + (f"；未达标：{_list(below)}" if below else "")
        ),
        detail_en=(
            f"{n_meet} of {n_new} residential compounds built in {since} or later have {per100:g} m² of "
            f"elderly-care floor area per 100 households ({100 * share:.1f} %); {prov:,.0f} of {req:,.0f} m² "
            f"required. Proxy: the floor area of the community facilities (centers, stations, points) inside "
            f"the compound or within {reach:g} m of it, each counted for the nearest building only{note_en}"
            + (f"; below: {_list_en(below)}" if below else "")
        ),
        source=SOURCES[key],
        **kw,
    )


def _teaching_points(
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    s: IndicatorSettings,
) -> Indicator:
    """000 专栏1 #12 街道（社区）级老年大学教学点覆盖率 ≥ 70 %: 街道 and 社区 with a teaching point."""
    key = "teaching_point_coverage"
    kw: dict[str, Any] = {"unit": "%", "target": 100 * s.teaching_point_target}
    if "teaching_point" not in fac.columns:
        return _missing_column(key, "teaching_point", **kw)
    _, tp = _flags(fac, "teaching_point")
    pts = np.asarray(fac.geometry.array, dtype=object)[tp]
    st_sel = streets["kind"].to_numpy() == "street"
    com_sel = communities["kind"].to_numpy() == "community"
    st_cov = np.zeros(len(streets), dtype=bool)
    com_cov = np.zeros(len(communities), dtype=bool)
    ws = _locate(pts, np.asarray(streets.geometry.array, dtype=object))
    wc = _locate(pts, np.asarray(communities.geometry.array, dtype=object))
    st_cov[ws[ws >= 0]] = True
    com_cov[wc[wc >= 0]] = True
    n_st, n_com = int(st_sel.sum()), int(com_sel.sum())
    c_st, c_com = int((st_cov & st_sel).sum()), int((com_cov & com_sel).sum())
    n, c = n_st + n_com, c_st + c_com
    numbers = {
        "units": n,
        "covered": c,
        "streets": n_st,
        "streets_covered": c_st,
        "communities": n_com,
        "communities_covered": c_com,
        "teaching_points": int(tp.sum()),
    }
    if n == 0:
        return _unassessed(
            key,
            why_zh="本区没有街道或社区，无可评估",
            why_en="the district has no 街道 or 社区: nothing to check",
            numbers=numbers,
            **kw,
        )
    share = c / n
    numbers["coverage_pct"] = 100 * share
    return Indicator(
        key=key,
        value=100 * share,
        comparison=">=",
        passed=_meets(share, s.teaching_point_target),
        numbers=numbers,
        detail_zh=(
            f"街道 {c_st} / {n_st} 个、社区 {c_com} / {n_com} 个有老年大学教学点：合计 {c} / {n} = {100 * share:.1f}%"
            f"（{int(tp.sum())} 处设施设有教学点）"
        ),
        detail_en=(
            f"{c_st} of {n_st} 街道 and {c_com} of {n_com} 社区 have a teaching point of the university for the "
            f"elderly: {c} of {n} = {100 * share:.1f} % ({int(tp.sum())} facilities host one)"
        ),
        source=SOURCES[key],
        **kw,
    )


def _meal_points(fac: gpd.GeoDataFrame) -> Indicator:
    """000 专栏2: 老年人助餐点 hosted by centers, stations and points — count and share, no target."""
    key = "meal_points"
    if "meal_service" not in fac.columns:
        return _missing_column(key, "meal_service", unit="count")
    types = fac["type"].astype(str).to_numpy()
    hosts = np.isin(types, HOME_CARE_TYPES)
    known, yes = _flags(fac, "meal_service")
    n, nk, ny = int(hosts.sum()), int((hosts & known).sum()), int((hosts & yes).sum())
    share = ny / nk if nk else float("nan")
    by_type = {t: int((hosts & yes & (types == t)).sum()) for t in HOME_CARE_TYPES}
    zh_names = {
        "street_center": "街道中心",
        "town_center": "镇中心",
        "station": "社区站",
        "village_point": "村互助点",
        "compound_point": "小区点",
    }
    parts_zh = "，".join(f"{zh_names[t]} {v}" for t, v in by_type.items() if v)
    parts_en = ", ".join(f"{t} {v}" for t, v in by_type.items() if v)
    note_zh = f"；{n - nk} 处未知，未计入" if n > nk else ""
    note_en = f"; {n - nk} unknown, left out" if n > nk else ""
    return Indicator(
        key=key,
        value=float(ny),
        target=float("nan"),
        unit="count",
        comparison=">=",
        passed=None,
        numbers={
            "meal_points": ny,
            "hosts": n,
            "hosts_known": nk,
            "share_pct": 100 * share,
            **{f"meal_points_{t}": v for t, v in by_type.items()},
        },
        detail_zh=(
            f"{ny} 处中心、站、点设有老年人助餐点（{parts_zh or '无'}），占已知 {nk} 处的 "
            f"{100 * share:.1f}%{note_zh}；文件未给数量目标，仅报告"
        ),
        detail_en=(
            f"{ny} centers, stations and points host a meal point ({parts_en or 'none'}), "
            f"{100 * share:.1f} % of the {nk} known{note_en}; the documents set no number: reported only"
        ),
        source=SOURCES[key],
        unassessed="no_target",
    )


def _reported(spec: ReportedIndicator, s: IndicatorSettings) -> Indicator:
    """A reported indicator: the planner's figure against the table's target, never computed."""
    share = spec.kind == "share"
    scale = 100.0 if share else 1.0
    unit = "%" if share else "ratio"
    value = dict(s.reported).get(spec.key)
    base: dict[str, Any] = {
        "key": spec.key,
        "target": scale * spec.target,
        "unit": unit,
        "comparison": spec.comparison,
        "source": spec.source,
        "origin": "reported",
    }
    if value is None:
        return Indicator(
            value=float("nan"),
            passed=None,
            detail_zh=(
                f"未填报：本工具不计算此指标，请在情景 [indicators.reported] 中填写本区数值，"
                f"如 {spec.key} = {spec.target:g}" + ("（占比以小数计）" if share else "")
            ),
            detail_en=(
                f"not reported: the tool does not compute it; type the district's figure in "
                f"[indicators.reported], e.g. {spec.key} = {spec.target:g}"
                + (" (a share as a fraction)" if share else "")
            ),
            unassessed="not_reported",
            **base,
        )
    v = float(value)
    shown = f"{100 * v:.1f}%" if share else f"{v:g}"
    return Indicator(
        value=scale * v,
        passed=_meets(v, spec.target, spec.comparison),
        numbers={"reported": v, "target": spec.target},
        detail_zh=f"填报值 {shown}（[indicators.reported] {spec.key} = {v:g}），非本工具计算",
        detail_en=f"reported {shown} ([indicators.reported] {spec.key} = {v:g}); not computed by the tool",
        **base,
    )


def planned_facility(
    site_type: str,
    *,
    columns: Any,
    standards: SizeStandards,
    original: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The indicator attributes of a facility a plan builds or upgrades (see the module docstring).

    Only the ``columns`` the facilities input has are filled: beds — at least what the type's size
    standard requires (a street center 20, 001 annex 1; others 0), or the upgraded facility's if
    more; operator — the upgraded facility's, else 公建民营 for centers and stations (002 §13;
    001 §二(三)), else unknown; nursing beds, meal service and teaching point — the upgraded
    facility's, else unknown (None).
    """
    out: dict[str, Any] = {}
    for col in ATTRIBUTE_COLUMNS:
        if col not in columns:
            continue
        value = None if original is None else original.get(col)
        if value is not None and pd.isna(value):
            value = None
        if col == "beds":
            value = max(float(value or 0.0), standards.min_beds(site_type))
        elif col == "operator" and value is None:
            value = PLANNED_OPERATOR.get(site_type)
        out[col] = value
    return out


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
        The district (communities, streets, buildings, health facilities, scenario).
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
    svc = unit_service(inputs.streets, inputs.communities, fac, matrix, demand, settings)
    items = (
        _home_care_coverage(matrix, coverage_settings, settings, demand),
        _center_per_street(inputs.streets, svc),
        _station_per_community(inputs.communities, svc, settings),
        _floor_area(inputs.communities, fac, settings),
        _stations_per_center(graph, inputs.streets, fac, settings, coverage_settings.max_snap_m),
        _center_near_health(fac, inputs.health, settings),
        _size_standard(inputs.communities, fac, _size_standards(inputs.scenario)),
        _total_beds(fac, settings),
        _nursing_share(fac, settings),
        _service_coverage(inputs.streets, inputs.communities, svc, rural=False),
        _service_coverage(inputs.streets, inputs.communities, svc, rural=True),
        _new_housing(inputs.buildings, fac, settings),
        _teaching_points(inputs.streets, inputs.communities, fac, settings),
        _social_operation(fac, settings, rural=False),
        _social_operation(fac, settings, rural=True),
        _social_operation_beds(fac, settings),
        _meal_points(fac),
        *(_reported(spec, settings) for spec in REPORTED),
    )
    assert tuple(i.key for i in items) == INDICATOR_KEYS
    result = Indicators(items=items, settings=settings)
    log.info(
        "compute_indicators: %s",
        ", ".join(f"{i.key} {i.status}" for i in items),
    )
    return result
