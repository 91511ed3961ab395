"""The accessibility tables: ``access_communities.csv``, ``access_streets.csv``,
``access_district.csv``, ``access_facilities.csv`` and ``access.xlsx`` (one sheet each).

Headers are Chinese by default, English on request (:func:`siting.i18n.labeller`). Access is
shown per older person for floor area (m²) and per 1,000 older people for beds and staff
(:data:`siting.access.PER_PEOPLE`), rounded to 4 decimals; people to whole persons; weighted
demand as every published weighted figure (:func:`siting.disclosure.published_weighted`). The
per-point values never leave the tool. Writing goes through :func:`siting.tables.write_tables`
(all or nothing, inside the command's transaction).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from siting.access import PER_PEOPLE, AccessResult
from siting.disclosure import published_weighted
from siting.i18n import Language, labeller

__all__ = ["access_frames", "access_map_frame", "district_brief", "write_access_tables"]

_UNIT = {
    "floor_area_m2": ("平方米/老年人", "m² per older person"),
    "beds": ("床位/千名老年人", "beds per 1,000 older people"),
    "staff": ("工作人员/千名老年人", "staff per 1,000 older people"),
}
_SUPPLY = {
    "floor_area_m2": ("建筑面积(平方米)", "floor area (m²)"),
    "beds": ("床位(张)", "beds"),
    "staff": ("工作人员(人)", "staff"),
}

label = labeller(
    {
        "acc_access": ("可达性({unit})", "access ({unit})"),
        "acc_access_after": ("规划后可达性({unit})", "access after the plan ({unit})"),
        "acc_access_change": ("可达性变化({unit})", "change of access ({unit})"),
        "acc_without": ("步行范围内无供给的老年人", "older people with no supply in reach"),
        "acc_without_after": (
            "规划后步行范围内无供给的老年人",
            "older people with no supply in reach after the plan",
        ),
        "acc_n_facilities": ("设施数", "facilities"),
        "acc_n_facilities_after": ("规划后设施数", "facilities after the plan"),
        "acc_supply_total": ("供给合计：{supply}", "total supply: {supply}"),
        "acc_supply_reached": (
            "服务范围内有老年人的供给：{supply}",
            "supply with older people in reach: {supply}",
        ),
        "acc_supply_total_after": ("规划后供给合计：{supply}", "total supply after: {supply}"),
        "acc_supply_reached_after": (
            "规划后服务范围内有老年人的供给：{supply}",
            "supply with older people in reach after: {supply}",
        ),
        "acc_site_id": ("设施编号", "facility id"),
        "acc_stage": ("状态", "status"),
        "acc_in_plan": ("规划后仍开放", "open after the plan"),
        "acc_supply": ("供给：{supply}", "supply: {supply}"),
        "acc_supply_from": ("供给来源", "supply from"),
        "acc_default_source": ("默认值依据", "source of the default"),
        "acc_elderly_in_catchment": (
            "服务范围内老年人({minutes:g}分钟)",
            "older people within {minutes:g} min",
        ),
        "acc_ratio": ("供需比({unit})", "supply ratio ({unit})"),
        "acc_ratio_after": ("规划后供需比({unit})", "supply ratio after the plan ({unit})"),
        "acc_stage_existing": ("现有", "existing"),
        "acc_stage_new": ("新建", "new"),
        "acc_stage_upgrade": ("升级", "upgrade"),
        "acc_from_input": ("设施数据", "facilities file"),
        "acc_from_default": ("类型默认值", "the type's default"),
        "acc_from_site": ("候选点面积", "the candidate's floor area"),
        "acc_yes": ("是", "yes"),
        "acc_no": ("否", "no"),
        "stage_access": ("可达性（两步移动搜寻）", "accessibility (floating catchments)"),
        "cli_access_title": ("全区可达性", "District accessibility"),
        "sheet_access_communities": ("社区村可达性", "communities"),
        "sheet_access_streets": ("街道镇可达性", "sub-districts and towns"),
        "sheet_access_district": ("全区可达性", "district"),
        "sheet_access_facilities": ("设施供给", "facilities"),
        "sheet_access_equity": ("可达性公平性", "equity of access"),
    }
)


def _people(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x))


def _int(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)


def _one(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 1)


def _scaled(scale: int) -> Callable[[Any], Any]:
    def fmt(x: Any) -> Any:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        return round(float(x) * scale, 4)

    return fmt


def _frame(source: pd.DataFrame, columns: list[tuple[str, str, Any]]) -> pd.DataFrame:
    out = {}
    for col, header, fmt in columns:
        if col not in source:
            continue
        values = source[col].tolist()
        out[header] = [fmt(v) if fmt else v for v in values]
    return pd.DataFrame(out, dtype=object)


def _measures(result: AccessResult, lang: Language) -> list[tuple[str, str, Any]]:
    """The columns every access table shares: older people, demand, access (before, after)."""
    from siting.i18n import label as base

    en = lang != "zh"
    unit = _UNIT[result.settings.supply][en]
    acc = _scaled(PER_PEOPLE[result.settings.supply])
    weighted = _one if result.round_step is None else _people
    return [
        ("elderly", base("col_elderly", lang), _people),
        ("weighted", base("col_weighted", lang), weighted),
        ("access", label("acc_access", lang, unit=unit), acc),
        ("elderly_without_access", label("acc_without", lang), _people),
        ("access_after", label("acc_access_after", lang, unit=unit), acc),
        ("access_change", label("acc_access_change", lang, unit=unit), acc),
        ("elderly_without_access_after", label("acc_without_after", lang), _people),
    ]


def access_frames(result: AccessResult, *, lang: Language = "zh") -> dict[str, pd.DataFrame]:
    """The display tables of an access result, by file stem (headers and values in ``lang``)."""
    from siting.i18n import label as base

    s = result.settings
    en = lang != "zh"
    unit = _UNIT[s.supply][en]
    supply = _SUPPLY[s.supply][en]
    scale = PER_PEOPLE[s.supply]
    acc = _scaled(scale)
    step = result.round_step

    def kind(v: Any) -> str:
        return base(str(v), lang)

    measures = _measures(result, lang)
    com = _frame(
        published_weighted(result.communities, step),
        [
            ("code", base("col_code", lang), None),
            ("name", base("col_name", lang), None),
            ("street_code", base("col_street_code", lang), None),
            ("street_name", base("col_street_name", lang), None),
            ("kind", base("col_kind", lang), kind),
            ("n_demand_points", base("col_n_demand_points", lang), _int),
            *measures,
        ],
    )
    st = _frame(
        published_weighted(result.streets, step),
        [
            ("code", base("col_code", lang), None),
            ("name", base("col_name", lang), None),
            ("kind", base("col_kind", lang), kind),
            ("n_communities", base("col_n_communities", lang), _int),
            *measures,
        ],
    )
    district = _frame(
        published_weighted(result.district, step),
        [
            ("scope", base("col_scope", lang), lambda v: base(f"scope_{v}", lang)),
            ("n_facilities", label("acc_n_facilities", lang), _int),
            ("supply_total", label("acc_supply_total", lang, supply=supply), _one),
            ("supply_reached", label("acc_supply_reached", lang, supply=supply), _one),
            ("n_facilities_after", label("acc_n_facilities_after", lang), _int),
            ("supply_total_after", label("acc_supply_total_after", lang, supply=supply), _one),
            (
                "supply_reached_after",
                label("acc_supply_reached_after", lang, supply=supply),
                _one,
            ),
            *measures,
        ],
    )
    fac = _frame(
        result.facilities,
        [
            ("site_id", label("acc_site_id", lang), None),
            ("name", base("col_name", lang), None),
            ("type", base("col_facility_type", lang), kind),
            ("stage", label("acc_stage", lang), lambda v: label(f"acc_stage_{v}", lang)),
            *(
                [
                    (
                        "in_plan",
                        label("acc_in_plan", lang),
                        lambda v: label("acc_yes" if v else "acc_no", lang),
                    )
                ]
                if result.has_plan
                else []
            ),
            ("supply", label("acc_supply", lang, supply=supply), _one),
            ("supply_from", label("acc_supply_from", lang), lambda v: label(f"acc_from_{v}", lang)),
            ("default_source", label("acc_default_source", lang), None),
            (
                "elderly_in_catchment",
                label("acc_elderly_in_catchment", lang, minutes=s.catchment_minutes),
                _people,
            ),
            ("ratio", label("acc_ratio", lang, unit=unit), acc),
            ("ratio_after", label("acc_ratio_after", lang, unit=unit), acc),
        ],
    )
    from siting.equity import equity_frame

    return {
        "access_communities": com,
        "access_streets": st,
        "access_district": district,
        "access_facilities": fac,
        "access_equity": equity_frame(access_equity(result), lang=lang),
    }


def access_equity(result: AccessResult):
    """Gini and Theil of access across 社区/村 (weighted by their older people), before and after
    the plan (:mod:`siting.equity`)."""
    from siting.equity import equity_of, unit_measure

    s = result.settings
    scale = PER_PEOPLE[s.supply]
    com = result.communities.assign(
        _now=result.communities["access"] * scale,
        **({"_after": result.communities["access_after"] * scale} if result.has_plan else {}),
    )
    com = com[com["elderly"] > 0]
    names = {"label": ("养老服务可达性", "accessibility"), "unit": _UNIT[s.supply]}
    measures = [
        unit_measure(
            com, value="_now", weight="elderly", key="accessibility",
            stage="before" if result.has_plan else "now", **names,
        )
    ]  # fmt: skip
    if result.has_plan:
        measures.append(
            unit_measure(
                com, value="_after", weight="elderly", key="accessibility", stage="after", **names
            )
        )
    return equity_of(measures)


def write_access_tables(
    result: AccessResult, out_dir: str | Path, *, lang: Language = "zh"
) -> tuple[Path, ...]:
    """Write the access tables (CSV and ``access.xlsx``) to ``out_dir``, all or nothing."""
    from siting.tables import write_tables

    frames = access_frames(result, lang=lang)
    sheets = {stem: label(f"sheet_{stem}", lang) for stem in frames}
    return write_tables(frames, out_dir, xlsx="access.xlsx", sheet_names=sheets)


def access_map_frame(result: AccessResult, *, lang: Language = "zh") -> pd.DataFrame:
    """Per 社区/村 ``code``, ``elderly``, ``access`` (and ``access_after``) in the tables' unit
    (``attrs["unit"]``), for the map's access layers (:func:`siting.maps.coverage_map`)."""
    scale = PER_PEOPLE[result.settings.supply]
    com = result.communities
    out = pd.DataFrame(
        {
            "code": com["code"].astype(str),
            "elderly": com["elderly"],
            "access": com["access"] * scale,
        }
    )
    if "access_after" in com:
        out["access_after"] = com["access_after"] * scale
    out.attrs["unit"] = _UNIT[result.settings.supply][lang != "zh"]
    return out


def district_brief(result: AccessResult, *, lang: Language = "zh") -> pd.DataFrame:
    """The district table as ``siting access`` prints it: scope, older people, access (and after
    the plan), older people with no supply in reach (the supply totals go in the summary lines)."""
    from siting.i18n import label as base

    keep = {"elderly", "access", "elderly_without_access", "access_after", "access_change"}
    keep.add("elderly_without_access_after")
    measures = [m for m in _measures(result, lang) if m[0] in keep]
    return _frame(
        result.district,
        [("scope", base("col_scope", lang), lambda v: base(f"scope_{v}", lang)), *measures],
    )
