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
}


def label(key: str, lang: Language = "zh", **fmt: object) -> str:
    """The label for ``key`` in ``lang`` (the key itself if unknown)."""
    pair = LABELS.get(key)
    text = key if pair is None else pair[0 if lang == "zh" else 1]
    return text.format(**fmt) if fmt else text
