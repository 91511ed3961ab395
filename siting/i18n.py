"""User-facing labels in Simplified Chinese (default) and English."""

from __future__ import annotations

from typing import Literal

__all__ = ["LABELS", "Language", "label"]

Language = Literal["zh", "en"]

LABELS: dict[str, tuple[str, str]] = {
    # inputs
    "district": ("区界", "district boundary"),
    "streets": ("街道/镇", "sub-districts and towns"),
    "communities": ("社区/村", "communities and villages"),
    "buildings": ("住宅建筑/小区", "residential buildings"),
    "facilities": ("现有养老设施", "existing elderly-care facilities"),
    "health": ("医疗卫生设施", "health facilities"),
    "candidates": ("候选选址", "candidate sites"),
    "roster": ("困难老人名册", "roster of elderly in difficulty"),
    "network": ("道路网络", "road network"),
    "dem": ("高程模型", "elevation model"),
    # kinds and types
    "street": ("街道", "sub-district"),
    "town": ("镇", "town"),
    "community": ("社区", "community"),
    "village": ("村", "village"),
    "street_center": ("街道养老服务中心", "street care center"),
    "town_center": ("乡镇养老服务中心", "town care center"),
    "station": ("社区养老服务站", "community care station"),
    "village_point": ("村级互助养老点", "village mutual-aid point"),
    "compound_point": ("小区养老服务点", "compound care point"),
    "institution": ("养老机构", "care institution"),
    "community_health_center": ("社区卫生服务中心", "community health center"),
    "township_hospital": ("乡镇卫生院", "township hospital"),
    "village_clinic": ("村卫生室", "village clinic"),
    "hospital": ("医院", "hospital"),
    # table headers
    "layer": ("图层", "layer"),
    "file": ("文件", "file"),
    "records": ("记录数", "records"),
    "crs": ("坐标系", "CRS"),
    "note": ("说明", "note"),
    "residents": ("常住人口", "residents"),
    "pop_60p": ("60岁及以上", "aged 60+"),
    "pop_65p": ("65岁及以上", "aged 65+"),
    "pop_80p": ("80岁及以上", "aged 80+"),
    "share": ("占比", "share"),
    "count": ("数量", "count"),
    "stage": ("阶段", "stage"),
    "seconds": ("用时(秒)", "seconds"),
    "peak_mb": ("内存峰值(MB)", "peak memory (MB)"),
    "problems": ("问题", "problems"),
    "warnings": ("提示", "warnings"),
    "working_crs": ("计算坐标系", "working CRS"),
    "nodes": ("节点", "nodes"),
    "edges": ("路段", "edges"),
    "km": ("公里", "km"),
    # stages
    "stage_load": ("读取与校验输入", "read and validate inputs"),
    "valid_ok": ("校验通过：未发现错误。", "Validation passed: no errors found."),
    "valid_fail": (
        "校验未通过：发现 {n} 个问题，未写出任何文件。",
        "Validation failed: {n} problem(s) found; nothing was written.",
    ),
    "total": ("合计", "total"),
    "stage_graph": ("构建步行网络", "build the walking graph"),
    "stage_isochrones": ("步行等时圈", "walking isochrones"),
    "max_minutes": ("步行时间(分钟)", "walking minutes"),
    "area_km2": ("面积(平方公里)", "area (km²)"),
    "candidate": ("候选选址", "candidate site"),
    # coverage tables (siting.tables)
    "col_code": ("代码", "code"),
    "col_name": ("名称", "name"),
    "col_street_code": ("街道/镇代码", "sub-district/town code"),
    "col_street_name": ("街道/镇", "sub-district/town"),
    "col_kind": ("类型", "kind"),
    "col_threshold_minutes": ("步行阈值(分钟)", "walking threshold (min)"),
    "col_n_demand_points": ("需求点数", "demand points"),
    "col_elderly": ("60岁及以上老年人", "older people (60+)"),
    "col_weighted": ("加权需求", "weighted demand"),
    "col_covered": ("已覆盖老年人", "older people covered"),
    "col_coverage_pct": ("覆盖率(%)", "coverage (%)"),
    "col_covered_weighted": ("已覆盖加权需求", "weighted demand covered"),
    "col_weighted_coverage_pct": ("加权覆盖率(%)", "weighted coverage (%)"),
    "col_median_minutes": (
        "到最近设施步行时间中位数(分钟)",
        "median walk to nearest facility (min)",
    ),
    "col_p90_minutes": (
        "到最近设施步行时间90%分位(分钟)",
        "90th percentile walk to nearest facility (min)",
    ),
    "col_unreached": (
        "搜索范围内无设施的老年人",
        "older people with no facility within the horizon",
    ),
    "col_n_facilities_covering": ("覆盖本单元的设施数", "facilities covering it"),
    "col_n_communities": ("社区/村数", "communities"),
    "col_n_fully_covered": ("完全覆盖的社区/村数", "communities fully covered"),
    "col_scope": ("范围", "scope"),
    "col_facility_type": ("设施类型", "facility type"),
    "col_n_facilities": ("设施数", "facilities"),
    "scope_district": ("全区", "district"),
    "scope_community": ("社区", "社区 (urban communities)"),
    "scope_village": ("村", "村 (villages)"),
    "any_home_care": ("任一居家社区养老服务设施", "any home-care facility"),
    # plan indicators (siting.indicators)
    "col_indicator": ("指标", "indicator"),
    "col_value": ("现状值", "value"),
    "col_comparison": ("比较", "comparison"),
    "col_target": ("目标值", "target"),
    "col_unit": ("单位", "unit"),
    "col_status": ("结论", "result"),
    "col_detail": ("依据数字", "the numbers behind it"),
    "col_source": ("政策依据", "policy source"),
    "status_pass": ("达标", "PASS"),
    "status_fail": ("未达标", "FAIL"),
    "status_na": ("无法评估", "n/a"),
    "unit_%": ("%", "%"),
    "unit_m2/person": ("平方米/人", "m² per resident"),
    "unit_count": ("个", "count"),
    "ind_home_care_coverage": ("居家养老服务覆盖率", "home-care coverage of the elderly"),
    "ind_center_per_street": ("一街道（镇）一中心", "a care center in every 街道/镇"),
    "ind_station_per_community": (
        "一村（社区）一站（点）",
        "a station or point for every 社区/村",
    ),
    "ind_floor_area_per_resident": (
        "人均养老服务设施面积（以建筑面积近似用地）",
        "elderly-care space per resident (floor area as a proxy for land)",
    ),
    "ind_stations_per_center": ("中心带站（每中心带站数）", "stations per center (中心带站)"),
    "ind_center_near_health": ("中心与卫生机构邻近设置", "centers next to a health facility"),
    # care roster (siting.roster)
    "col_roster_total": ("困难老人数", "people on the roster"),
    "group_disabled": ("失能/半失能", "disabled"),
    "group_extreme_poor": ("特困", "extreme poverty"),
    "group_living_alone": ("独居/空巢", "living alone / empty nest"),
    "group_low_income": ("低保", "low income"),
    "group_other": ("其他", "other"),
    "col_age_lt60": ("60岁以下", "under 60"),
    "col_age_60_79": ("60-79岁", "60–79"),
    "col_age_80p": ("80岁及以上", "80+"),
    "col_age_unknown": ("年龄不详", "age unknown"),
    "col_cell_id": ("网格编号", "grid cell"),
    "col_x_center": ("网格中心X(米)", "cell centre x (m)"),
    "col_y_center": ("网格中心Y(米)", "cell centre y (m)"),
    # workbook sheets
    "sheet_coverage_communities": ("社区村覆盖", "communities"),
    "sheet_coverage_streets": ("街道镇覆盖", "sub-districts and towns"),
    "sheet_coverage_district": ("全区覆盖", "district"),
    "sheet_indicators": ("规划指标", "plan indicators"),
    "sheet_roster_communities": ("关爱名册-社区村", "roster by community"),
    "sheet_roster_grid": ("关爱名册-网格", "roster by grid cell"),
    "stage_demand": ("老年人需求点", "demand points"),
    "stage_coverage": ("步行覆盖与规划指标", "walking coverage and indicators"),
    "stage_write": ("写出结果", "write outputs"),
    "coverage_district_title": ("全区老年人步行覆盖", "Walking coverage of the elderly: district"),
    "coverage_streets_title": ("各街道/镇覆盖", "Coverage by sub-district and town"),
    "indicators_title": ("规划指标核对", "Plan indicators"),
}


def label(key: str, lang: Language = "zh", **fmt: object) -> str:
    """The label for ``key`` in ``lang`` (the key itself if unknown)."""
    pair = LABELS.get(key)
    text = key if pair is None else pair[0 if lang == "zh" else 1]
    return text.format(**fmt) if fmt else text
