"""The deliverable tables of a solved siting or plan (:class:`~siting.model.result.SitingResult`).

:func:`siting_frames` / :func:`write_siting_outputs` for ``siting optimize`` and ``siting run``
(``siting_*.csv`` and ``siting.xlsx``), :func:`plan_frames` / :func:`write_plan_outputs` for
``siting plan`` (``plan_*.csv``, ``plan.xlsx`` and the plan's map). Headers and values are in
Simplified Chinese by default (``lang="en"`` for English). Both carry the rule gaps: the 街道/镇,
社区/村 and stations the documents' rules leave without their facility, with the reason and source.

When the roster placed the priority groups' weight at their homes, every weighted figure (a site's
newly covered weighted demand, the weighted demand covered after the plan or in each year, the
weighted older-person-years, and the objective when it is one of these) is written rounded
(:mod:`siting.disclosure`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from siting.costs import LEVELS, LINES
from siting.disclosure import published_weighted, round_weighted, weighted_step
from siting.equity import EQUITY_LABELS, equity_frame, result_equity
from siting.i18n import Language, labeller
from siting.i18n import label as i18n_label
from siting.io import SITEABLE_TYPES
from siting.model.rules import REASONS

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.indicators import Indicators
    from siting.model.result import SitingResult

__all__ = [
    "PLAN_LABELS",
    "budget_frame",
    "gap_frame",
    "indicator_frame",
    "money_frame",
    "plan_frames",
    "quota_frame",
    "siting_frames",
    "write_plan_outputs",
    "write_siting_outputs",
]

log = logging.getLogger(__name__)

#: Summary keys that hold the objective's value (weighted demand for the coverage objectives).
_OBJECTIVE_KEYS = (
    "objective_value",
    "best_bound",
    "greedy_objective",
    "objective_recomputed",
    "objective_solver",
)


#: Summary keys that are sums of weighted demand.
_WEIGHTED_SUMMARY_KEYS = (
    "weighted_before",
    "weighted_after",
    "weighted_total",
    "elderly_years_covered",
    "elderly_years_without_plan",
    "elderly_years_gained",
    "beyond_horizon_weighted",
    "backup_weighted",
    "attendance",
)


def _weighted_step(result: SitingResult) -> int | None:
    """The rounding step of the result's weighted figures (None: they carry no roster data)."""
    return weighted_step(getattr(result.problem, "demand", None))


def _published_summary(result: SitingResult, summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` with its weighted figures as published (:mod:`siting.disclosure`)."""
    step = _weighted_step(result)
    if step is None:
        return summary
    out = dict(summary)
    keys = [k for k in _WEIGHTED_SUMMARY_KEYS if k in out]
    if result.objective_name in (  # sums of weighted demand
        "weighted_covered",
        "elderly_years",
        "walk_seconds",
        "backup_weighted",
        "attendance",
    ):
        keys += [k for k in _OBJECTIVE_KEYS if k in out]
    for k in keys:
        if isinstance(out[k], int | float | np.number):
            out[k] = round_weighted(out[k], step)
    return out


def gap_frame(result: SitingResult, lang: Language = "zh") -> pd.DataFrame:
    """The rule gaps as a display table: rule, unit, the facility it needs, reason, detail, source."""
    g = result.gaps
    zh = lang == "zh"
    return pd.DataFrame(
        {
            i18n_label("gap_rule", lang): [i18n_label(f"rule_{r}", lang) for r in g["rule"]],
            i18n_label("gap_unit_kind", lang): [i18n_label(str(k), lang) for k in g["unit_kind"]],
            i18n_label("gap_code", lang): g["code"].astype(str),
            i18n_label("gap_name", lang): g["name"],
            i18n_label("gap_needs", lang): [
                "/".join(i18n_label(t, lang) for t in str(n).split("/")) for n in g["needs"]
            ],
            i18n_label("gap_reason", lang): [REASONS[r][0 if zh else 1] for r in g["reason"]],
            i18n_label("gap_detail", lang): g["detail"],
            i18n_label("gap_source", lang): g["source"],
        },
        dtype=object,
    )


def money_frame(result: SitingResult, lang: Language = "zh") -> pd.DataFrame:
    """Cash by year (rows) and line (columns, each naming who pays), with totals by level, 万元.

    The plan's years; for ``siting optimize`` the years of the cost horizon (1 …), capital in
    the first (:attr:`SitingResult.money`).
    """
    from siting.i18n import label

    m = result.money
    levels = result.settings.costs.levels
    year_key = "money_col_year" if result.settings.years else "money_col_plan_year"
    years = sorted(m["year"].unique().tolist()) if len(m) else []
    out: dict[str, list[Any]] = {label(year_key, lang): [*years, label("total", lang)]}

    def column(values: pd.Series) -> list[Any]:
        by_year = values.groupby(m["year"]).sum()
        return [round(float(by_year.get(y, 0.0)), 2) for y in years] + [
            round(float(values.sum()), 2)
        ]

    for line in LINES:
        head = label(
            "money_line_col",
            lang,
            line=label(f"line_{line}", lang),
            level=label(f"level_{levels[line]}", lang),
        )
        out[head] = column(m["wan_yuan"].where(m["line"] == line, 0.0))
    for level in LEVELS:
        out[label("money_total_of", lang, level=label(f"level_{level}", lang))] = column(
            m["wan_yuan"].where(m["level"] == level, 0.0)
        )
    out[label("money_total", lang)] = column(m["wan_yuan"])
    return pd.DataFrame(out, dtype=object)


def budget_frame(result: SitingResult, lang: Language = "zh") -> pd.DataFrame:
    """Every budget row (the total and the scenario's budget lines): spend, cap, left, met."""
    from siting.i18n import label

    b = result.budget
    return pd.DataFrame(
        {
            label("budget_col_name", lang): [
                label("budget_total", lang) if n == "total" else n for n in b["budget"]
            ],
            label("money_col_year", lang): b["year"].tolist(),
            label("budget_col_spend", lang): [round(float(v), 2) for v in b["spend_wan_yuan"]],
            label("budget_col_cap", lang): [round(float(v), 2) for v in b["cap_wan_yuan"]],
            label("budget_col_left", lang): [round(float(v), 2) for v in b["left_wan_yuan"]],
            label("budget_col_met", lang): ["✓" if v else "✗" for v in b["met"]],
        },
        dtype=object,
    )


def _rounder(digits: int) -> Any:
    def fmt(v: Any) -> Any:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return None
        return round(float(v), digits) if digits else round(float(v))

    return fmt


def _display(
    frame: pd.DataFrame, columns: Sequence[tuple[str, str, Any]], lang: Language
) -> pd.DataFrame:
    from siting.i18n import label

    out = {}
    for col, key, fmt in columns:
        values = frame[col].tolist() if col in frame else [None] * len(frame)
        out[label(key, lang)] = [fmt(v) if fmt else v for v in values]
    return pd.DataFrame(out)


def siting_frames(
    result: SitingResult, *, lang: Language = "zh", curve: Any = None
) -> dict[str, pd.DataFrame]:
    """The display tables of a siting result (and a budget curve), by file stem."""
    from siting.i18n import label

    def lab(prefix: str) -> Any:
        return lambda v: label(f"{prefix}{v}", lang) if v not in ("", None) else ""

    def typ(v: Any) -> Any:
        return label(str(v), lang) if v not in ("", None) else ""

    one, two, people = _rounder(1), _rounder(2), _rounder(0)
    step = _weighted_step(result)
    sites = published_weighted(pd.DataFrame(result.sites), step)
    if (
        "geometry" in sites
        and len(sites)
        and hasattr(result.sites, "crs")
        and result.sites.crs is not None
    ):
        ll = result.sites.to_crs("EPSG:4490").geometry
        sites["lon"], sites["lat"] = ll.x.round(7).to_numpy(), ll.y.round(7).to_numpy()
    frames = {
        "siting_sites": _display(
            sites,
            [
                ("site_id", "opt_col_site_id", None),
                ("name", "col_name", None),
                ("action", "opt_col_action", lab("opt_action_")),
                ("type", "col_facility_type", typ),
                ("from_type", "opt_col_from_type", typ),
                ("source", "opt_col_source", lab("opt_source_")),
                ("street_code", "col_street_code", None),
                ("street_name", "col_street_name", None),
                ("community_code", "opt_col_community_code", None),
                ("community_name", "opt_col_community_name", None),
                ("floor_area_m2", "opt_col_floor_area", people),
                ("subsidy_municipal_wan_yuan", "opt_col_subsidy_municipal", two),
                ("subsidy_district_wan_yuan", "opt_col_subsidy_district", two),
                ("works_wan_yuan", "opt_col_works", two),
                ("works_from", "opt_col_works_from", lab("works_from_")),
                ("capital_wan_yuan", "opt_col_capital", two),
                ("operating_wan_yuan", "opt_col_operating", two),
                ("rent_wan_yuan", "opt_col_rent", two),
                ("cost_wan_yuan", "opt_col_cost", two),
                ("newly_covered_elderly", "opt_col_newly", people),
                (
                    "newly_covered_weighted",
                    "opt_col_newly_weighted",
                    one if step is None else people,
                ),
                ("unique_covered_elderly", "opt_col_unique", people),
                ("yuan_per_newly_covered", "opt_col_yuan_per", one),
                ("health_distance_m", "opt_col_health_m", people),
                *(
                    [("lon", "opt_col_lon", None), ("lat", "opt_col_lat", None)]
                    if "lon" in sites
                    else []
                ),
            ],
            lang,
        ),
        "siting_communities": _display(
            result.communities,
            [
                ("code", "col_code", None),
                ("name", "col_name", None),
                ("street_code", "col_street_code", None),
                ("kind", "col_kind", typ),
                ("elderly", "col_elderly", people),
                ("covered_before", "opt_col_covered_before", people),
                ("covered_after", "opt_col_covered_after", people),
                ("coverage_before_pct", "opt_col_pct_before", one),
                ("coverage_after_pct", "opt_col_pct_after", one),
                ("gain_elderly", "opt_col_newly", people),
            ],
            lang,
        ),
        "siting_spend": _display(
            result.spend,
            [
                (
                    "action",
                    "opt_col_action",
                    lambda v: label("total" if v == "total" else f"opt_action_{v}", lang),
                ),
                ("type", "col_facility_type", typ),
                ("n", "count", people),
                ("subsidy_municipal_wan_yuan", "opt_col_subsidy_municipal", two),
                ("subsidy_district_wan_yuan", "opt_col_subsidy_district", two),
                ("works_wan_yuan", "opt_col_works", two),
                ("capital_wan_yuan", "opt_col_capital", two),
                ("operating_wan_yuan", "opt_col_operating", two),
                ("rent_wan_yuan", "opt_col_rent", two),
                ("cost_wan_yuan", "opt_col_cost", two),
            ],
            lang,
        ),
    }
    sm = dict(result.summary)
    sm.update(
        {
            "objective": label(f"objective_{result.settings.objective}", lang),
            "status": label(f"opt_status_{result.status}", lang),
            "objective_value": result.objective,
            "best_bound": result.best_bound,
            "gap_pct": None if result.gap is None else 100 * result.gap,
            "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds,
            "policies": ", ".join(result.settings.policies) or "-",
            "profile": label(f"profile_{result.settings.profile}", lang),
        }
    )
    if curve is not None:
        sm["knee_budget_wan_yuan"] = curve.knee_budget_wan_yuan
    sm = _published_summary(result, sm)
    keys = [
        "objective", "status", "objective_value", "best_bound", "gap_pct", "solver", "solver_version",
        "pulp_version", "objective_solver", "budget_wan_yuan",
        "spent_wan_yuan", *[f"spend_{x}_wan_yuan" for x in (*LINES, *LEVELS)], "budgets_met",
        "n_works_unknown", "horizon_years", "elderly", "covered_before", "covered_after", "coverage_before_pct",
        "coverage_after_pct", "weighted_after", "n_new_sites", *[f"new_{t}" for t in SITEABLE_TYPES],
        "n_upgrades", "n_closures", "profile", "n_gaps", "gaps_center_per_street", "gaps_station_per_community",
        "gaps_stations_per_center", "policies", "health_rule", "greedy_objective", "objective_recomputed",
        "model_variables", "model_constraints", "model_nonzeros", "knee_budget_wan_yuan",
        # the classic objectives' figures (siting.model.objectives), when one is the objective
        "mean_walk_minutes", "worst_walk_minutes", "beyond_horizon_weighted", "backup_covered_pct",
        "attendance", "attendance_pct", "worst_unit", "worst_unit_coverage_pct", "assigned_elderly",
        "capacity_open_elderly", "capacity_used_pct",
    ]  # fmt: skip
    rows = []
    for k in keys:
        if k not in sm:
            continue
        v = sm[k]
        if isinstance(v, float | np.floating):
            v = (
                None
                if not math.isfinite(v)
                else round(float(v), 3 if "seconds" in k or "gap" in k else 2)
            )
        rows.append(
            {
                label("opt_col_item", lang): label(f"opt_sum_{k}", lang),
                label("opt_col_value", lang): v,
            }
        )
    frames["siting_summary"] = pd.DataFrame(rows)
    frames["siting_money"] = money_frame(result, lang)
    frames["siting_budget"] = budget_frame(result, lang)
    frames["siting_gaps"] = gap_frame(result, lang)
    if result.indicators is not None:  # recomputed with the facilities open after the plan
        frames["siting_indicators"] = indicator_frame(result.indicators, lang)
    if result.hub_assignment is not None:
        frames["siting_hub"] = _display(
            result.hub_assignment,
            [
                ("station_id", "opt_col_station_id", None),
                ("station_name", "opt_col_station_name", None),
                ("station_action", "opt_col_action", lab("opt_action_")),
                ("center_id", "opt_col_center_id", None),
                ("center_name", "opt_col_center_name", None),
                ("center_type", "col_facility_type", typ),
            ],
            lang,
        )
    frames["siting_equity"] = equity_frame(result_equity(result), lang=lang)
    if curve is not None:
        frames["budget_curve"] = _display(
            curve.points,
            [
                ("budget_wan_yuan", "opt_col_budget", two),
                ("status", "opt_col_status", lab("opt_status_")),
                ("spent_wan_yuan", "opt_col_spent", two),
                ("covered_elderly", "col_covered", people),
                ("coverage_pct", "col_coverage_pct", one),
                (
                    "gap",
                    "opt_col_gap",
                    lambda v: None if v is None or not math.isfinite(v) else round(100 * v, 3),
                ),
                ("n_new_sites", "opt_col_n_new", people),
                ("marginal_elderly_per_wan_yuan", "opt_col_marginal", two),
                ("rule_gaps", "opt_col_rule_gaps", people),
                ("knee", "opt_col_knee", lambda v: "✓" if v else ""),
                ("note", "note", None),
            ],
            lang,
        )
    return frames


def write_siting_outputs(
    result: SitingResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    curve: Any = None,
    csv: bool = True,
    xlsx: bool = True,
    png: bool = True,
) -> tuple[Path, ...]:
    """Write the plan's tables to ``out_dir``, all files or none.

    Files: ``siting_sites.csv`` (new sites, upgrades, closures), ``siting_communities.csv``
    (coverage before/after per 社区/村), ``siting_spend.csv``, ``siting_summary.csv``,
    ``siting_equity.csv`` (Gini and Theil of coverage across 社区/村 before and after,
    :mod:`siting.equity`), with the hub rule ``siting_hub.csv``, with a curve
    ``budget_curve.csv``; ``siting.xlsx`` holding them all; ``lorenz.png`` (the Lorenz curves
    before and after). Headers in Chinese by default (``lang="en"`` for English).
    """
    from siting.equity import result_lorenz_png
    from siting.tables import write_tables

    frames = siting_frames(result, lang=lang, curve=curve)
    sheets = {stem: _equity_label(f"sheet_{stem}", lang) for stem in frames}
    files = {}
    if png:
        files["lorenz.png"] = result_lorenz_png(result, lang=lang)
    from siting.workbook import Chart

    charts = {
        "budget_curve": Chart(
            x=i18n_label("opt_col_budget", lang),
            y=(i18n_label("col_coverage_pct", lang),),
            title=i18n_label("cli_curve_title", lang),
            x_title=i18n_label("opt_col_budget", lang),
            y_title=i18n_label("col_coverage_pct", lang),
        )
    }
    return write_tables(
        frames,
        out_dir,
        csv=csv,
        xlsx="siting.xlsx" if xlsx else None,
        sheet_names=sheets,
        files=files,
        charts=charts,
    )


#: Labels of the plan tables (zh, en); other keys fall back to :mod:`siting.i18n`.
PLAN_LABELS: dict[str, tuple[str, str]] = {
    "sheet_plan_summary": ("规划概要", "summary"),
    "sheet_plan_years": ("分年度", "by year"),
    "sheet_plan_builds": ("建设清单", "build list"),
    "sheet_plan_milestones": ("阶段目标", "milestones"),
    "sheet_plan_communities": ("社区村", "communities"),
    "sheet_plan_indicators": ("末年指标", "final-year indicators"),
    "p_item": ("项目", "item"),
    "p_value": ("数值", "value"),
    "p_year": ("年份", "year"),
    "p_stage": ("阶段", "stage"),
    "p_before": ("现状", "before the plan"),
    "p_plan": ("规划年", "plan year"),
    "p_budget": ("预算(万元)", "budget (10,000 yuan)"),
    "p_capital": ("建设投入(万元)", "capital (10,000 yuan)"),
    "p_operating": ("运营补贴(万元)", "operating (10,000 yuan)"),
    "p_spend": ("当年支出(万元)", "spend (10,000 yuan)"),
    "p_cum_spend": ("累计支出(万元)", "cumulative spend (10,000 yuan)"),
    "p_n_new": ("新建设施(个)", "new facilities"),
    "p_n_new_type": ("新建{type}(个)", "new {type}"),
    "p_n_upgrades": ("升级改造(个)", "upgrades"),
    "p_elderly": ("60岁及以上老年人", "older people (60+)"),
    "p_covered": ("已覆盖老年人", "older people covered"),
    "p_coverage_pct": ("覆盖率(%)", "coverage (%)"),
    "p_community_pct": ("社区覆盖率(%)", "社区 coverage (%)"),
    "p_village_pct": ("村覆盖率(%)", "村 coverage (%)"),
    "p_covered_weighted": ("已覆盖加权需求", "weighted demand covered"),
    "p_cum_years": ("累计覆盖人年", "cumulative elderly-years covered"),
    "p_site_id": ("点位编号", "site id"),
    "p_lon": ("经度(CGCS2000)", "longitude (CGCS2000)"),
    "p_lat": ("纬度(CGCS2000)", "latitude (CGCS2000)"),
    "p_name": ("名称", "name"),
    "p_action": ("方式", "action"),
    "p_action_new": ("新建", "new"),
    "p_action_upgrade": ("升级改造", "upgrade"),
    "p_type": ("类型", "type"),
    "p_from_type": ("原类型", "previous type"),
    "p_street": ("街道/镇", "sub-district/town"),
    "p_community": ("社区/村", "community/village"),
    "p_code": ("代码", "code"),
    "p_kind": ("类别", "kind"),
    "p_source": ("来源", "source"),
    "p_floor_area": ("建筑面积(平方米)", "floor area (m²)"),
    "p_op_year": ("年运营补贴及租金(万元)", "operating + rent per year (10,000 yuan)"),
    "p_cost_plan": ("规划期内费用(万元)", "cost over the plan (10,000 yuan)"),
    "p_cost_commit": (
        "承诺费用(建设+运营年限,万元)",
        "commitment: capital + operating years (10,000 yuan)",
    ),
    "p_action_close": ("关闭", "close"),
    "sheet_plan_gaps": ("规则缺口", "rule gaps"),
    "sheet_plan_quotas": ("建设任务", "quotas"),
    "q_quota": ("建设任务", "quota"),
    "q_unit": ("单元", "unit"),
    "q_unit_code": ("单元代码", "unit code"),
    "q_counts": ("计数口径", "what counts"),
    "q_counts_all": ("含现有", "existing included"),
    "q_counts_new": ("仅新建/改建", "builds only"),
    "q_from_year": ("完成年份", "by year"),
    "q_required": ("要求(个)", "required"),
    "q_at_most": ("上限(个)", "at most"),
    "q_planned": ("规划(个)", "planned"),
    "q_existing": ("其中现有(个)", "existing"),
    "q_built": ("其中新建改建(个)", "built"),
    "q_most": ("可达上限(个)", "most possible"),
    "q_reason": ("未达原因", "why not met"),
    "q_hard": ("硬约束", "hard"),
    "s_profile": ("政策规则集", "policy profile"),
    "s_n_gaps": ("未能满足的规则单元", "rule units left unmet"),
    "s_cash_in_plan_wan_yuan": (
        "规划期内现金支出(万元)",
        "cash paid within the plan (10,000 yuan)",
    ),
    "s_committed_after_plan_wan_yuan": (
        "规划期后已承诺运营补贴(万元)",
        "operating committed after the plan (10,000 yuan)",
    ),
    "s_total_cost_wan_yuan": (
        "总费用(含期后承诺,万元)",
        "total cost incl. commitments after the plan (10,000 yuan)",
    ),
    "st_not_proven": ("求解器称最优但界未证明", "solver said optimal, bound does not show it"),
    "st_objective_mismatch": (
        "求解器报告的目标值与方案重算不符（结果不可信）",
        "solver's objective is not that of its plan (do not trust it)",
    ),
    "st_heuristic": ("启发式方案（未证明最优）", "heuristic plan (not proven optimal)"),
    "obj_max_coverage": ("末年覆盖最大", "most coverage in the final year"),
    "obj_lexicographic": ("先覆盖后费用", "coverage, then cost"),
    "p_newly": ("当年新增覆盖老年人", "older people newly covered that year"),
    "p_milestone": ("阶段目标", "milestone"),
    "p_from_year": ("起始年份", "from year"),
    "p_target": ("目标", "target"),
    "p_unit": ("单位", "unit"),
    "p_met": ("是否达成", "met"),
    "p_yes": ("达成", "met"),
    "p_no": ("未达成", "not met"),
    "p_growth_rate": ("老年人口年增长率(%)", "annual growth of the elderly (%)"),
    "p_growth_source": ("增长率依据", "growth source"),
    "p_elderly_final": ("末年老年人", "older people, final year"),
    "p_covered_before": ("现状已覆盖", "covered before the plan"),
    "p_covered_final": ("末年已覆盖", "covered, final year"),
    "p_pct_before": ("现状覆盖率(%)", "coverage before (%)"),
    "p_pct_final": ("末年覆盖率(%)", "coverage, final year (%)"),
    "p_n_built": ("规划建设(个)", "facilities built"),
    "p_year_full": ("全覆盖年份", "year fully covered"),
    "p_pct_year": ("{year}年末覆盖率(%)", "coverage at the end of {year} (%)"),
    "s_name": ("方案", "plan"),
    "s_scenario_name": ("情景", "scenario"),
    "s_scenario_sha256": ("情景文件哈希(SHA-256)", "scenario hash (SHA-256)"),
    "s_tool_version": ("软件版本", "tool version"),
    "s_years": ("规划期", "plan years"),
    "s_objective": ("目标函数", "objective"),
    "s_status": ("求解状态", "solver status"),
    "s_gap": ("最优性差距(%)", "optimality gap (%)"),
    "s_solver": ("求解器", "solver"),
    "s_solver_version": ("求解器版本", "solver version"),
    "s_pulp_version": ("PuLP 版本", "PuLP version"),
    "s_objective_solver": ("求解器报告的目标值", "objective reported by the solver"),
    "s_objective_recomputed": ("按方案重算的目标值", "objective recomputed from the plan"),
    "s_budget_wan_yuan": ("预算合计(万元)", "total budget (10,000 yuan)"),
    "s_spent_wan_yuan": ("支出合计(万元)", "total spend (10,000 yuan)"),
    "s_capital_wan_yuan": ("建设投入合计(万元)", "capital (10,000 yuan)"),
    "s_operating_wan_yuan": ("运营补贴合计(万元)", "operating (10,000 yuan)"),
    "s_n_builds": ("建设项目(个)", "builds"),
    "s_n_new": ("新建设施(个)", "new facilities"),
    "s_n_upgrades": ("升级改造(个)", "upgrades"),
    "s_coverage_before_pct": ("现状覆盖率(%)", "coverage before (%)"),
    "s_coverage_final_pct": ("末年覆盖率(%)", "coverage, final year (%)"),
    "s_community_coverage_final_pct": ("末年社区覆盖率(%)", "社区 coverage, final year (%)"),
    "s_village_coverage_final_pct": ("末年村覆盖率(%)", "村 coverage, final year (%)"),
    "s_elderly_final": ("末年老年人", "older people, final year"),
    "s_covered_elderly_final": ("末年已覆盖老年人", "older people covered, final year"),
    "s_newly_covered_final": ("末年新增覆盖老年人", "newly covered, final year"),
    "s_elderly_years_covered": ("规划期累计覆盖人年", "elderly-years covered"),
    "s_elderly_years_without_plan": ("不建设时累计覆盖人年", "elderly-years without the plan"),
    "s_elderly_years_gained": ("规划新增覆盖人年", "elderly-years gained"),
    "s_wan_yuan_per_newly_covered": (
        "每新增覆盖一人支出(万元)",
        "spend per person newly covered (10,000 yuan)",
    ),
    "s_milestones_met": ("达成阶段目标(个)", "milestones met"),
    "s_milestones": ("阶段目标(个)", "milestones"),
    "s_growth": ("需求增长", "demand growth"),
    "obj_elderly_years": ("覆盖人年最大", "most elderly-years covered"),
    "obj_final_coverage": ("末年覆盖最大", "most coverage in the final year"),
    "obj_min_cost": ("达标费用最省", "least cost to meet the milestones"),
    "st_optimal": ("最优", "optimal"),
    "st_time_limit": ("达到时限（见差距）", "time limit (see gap)"),
    "st_evaluated": ("给定方案评估", "evaluated (given plan)"),
    "obj_evaluated": ("给定方案（不优化）", "given plan (not optimized)"),
    "src_idle_state_asset": ("闲置国有资产", "idle state-owned asset"),
    "src_community_room": ("社区用房", "community room"),
    "src_rental": ("租赁", "rental"),
    "src_other": ("其他", "other"),
}


_t = labeller(PLAN_LABELS, fallback=labeller(EQUITY_LABELS))
#: Sheet names of the siting workbook: the equity module's, then :mod:`siting.i18n`'s.
_equity_label = labeller(EQUITY_LABELS)
#: The plan tables' labeller, for other deliverables that reuse its labels (siting.compare).
plan_label = _t


def _r(x: Any, digits: int = 1) -> Any:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), digits) if digits else round(float(x))


def plan_frames(result: SitingResult, *, lang: Language = "zh") -> dict[str, pd.DataFrame]:
    """The display tables of a plan, by file stem (headers and values in ``lang``)."""
    s = _published_summary(result, dict(result.summary))
    summary_rows = []
    for key in (
        "name",
        "scenario_name",
        "scenario_sha256",
        "tool_version",
        "years",
        "objective",
        "status",
        "gap",
        "solver",
        "solver_version",
        "pulp_version",
        "objective_solver",
        "objective_recomputed",
        "budget_wan_yuan",
        "spent_wan_yuan",
        "capital_wan_yuan",
        "operating_wan_yuan",
        "n_builds",
        "n_new",
        "n_upgrades",
        "coverage_before_pct",
        "coverage_final_pct",
        "community_coverage_final_pct",
        "village_coverage_final_pct",
        "elderly_final",
        "covered_elderly_final",
        "newly_covered_final",
        "elderly_years_covered",
        "elderly_years_without_plan",
        "elderly_years_gained",
        "wan_yuan_per_newly_covered",
        "milestones_met",
        "milestones",
        "profile",
        "n_gaps",
        "cash_in_plan_wan_yuan",
        "committed_after_plan_wan_yuan",
        "total_cost_wan_yuan",
        "growth",
    ):
        if key == "gap":
            value: Any = None if result.gap is None else _r(100 * result.gap, 3)
        elif key == "objective":
            value = _t(f"obj_{s['objective']}", lang)
        elif key == "status":
            value = _t(f"st_{s['status']}", lang)
        elif key == "profile":
            value = i18n_label(f"profile_{s['profile']}", lang)
        else:
            value = s[key]
            if isinstance(value, float):
                value = _r(value, 2 if "per_newly" in key else 1)
        summary_rows.append({_t("p_item", lang): _t(f"s_{key}", lang), _t("p_value", lang): value})
    frames: dict[str, pd.DataFrame] = {"plan_summary": pd.DataFrame(summary_rows, dtype=object)}

    tr = published_weighted(result.trajectory, _weighted_step(result))
    years = pd.DataFrame(
        {
            _t("p_year", lang): tr["year"].astype(int),
            _t("p_stage", lang): [_t(f"p_{v}", lang) for v in tr["stage"]],
            _t("p_budget", lang): [_r(v) for v in tr["budget_wan_yuan"]],
            _t("p_capital", lang): [_r(v) for v in tr["capital_wan_yuan"]],
            _t("p_operating", lang): [_r(v) for v in tr["operating_wan_yuan"]],
            _t("p_spend", lang): [_r(v) for v in tr["spend_wan_yuan"]],
            _t("p_cum_spend", lang): [_r(v) for v in tr["cumulative_spend_wan_yuan"]],
            _t("p_n_new", lang): tr["n_new"].astype(int),
            **{
                _t("p_n_new_type", lang, type=i18n_label(t, lang)): tr[f"n_new_{t}"].astype(int)
                for t in SITEABLE_TYPES
            },
            _t("p_n_upgrades", lang): tr["n_upgrades"].astype(int),
            _t("p_elderly", lang): [_r(v, 0) for v in tr["elderly"]],
            _t("p_covered", lang): [_r(v, 0) for v in tr["covered_elderly"]],
            _t("p_coverage_pct", lang): [_r(v) for v in tr["coverage_pct"]],
            _t("p_community_pct", lang): [_r(v) for v in tr["community_coverage_pct"]],
            _t("p_village_pct", lang): [_r(v) for v in tr["village_coverage_pct"]],
            _t("p_covered_weighted", lang): [_r(v) for v in tr["covered_weighted"]],
            _t("p_cum_years", lang): [_r(v, 0) for v in tr["cumulative_elderly_years"]],
        }
    )
    frames["plan_years"] = years.astype(object)

    b = result.sites
    frames["plan_builds"] = pd.DataFrame(
        {
            _t("p_year", lang): b["year"].astype(int),
            _t("p_site_id", lang): b["site_id"],
            _t("p_name", lang): b["name"],
            _t("p_action", lang): [_t(f"p_action_{a}", lang) for a in b["action"]],
            _t("p_type", lang): [i18n_label(str(t), lang) for t in b["type"]],
            _t("p_from_type", lang): [
                i18n_label(str(t), lang) if t else "" for t in b["from_type"]
            ],
            _t("p_street", lang): b["street_name"],
            _t("p_community", lang): b["community_name"],
            _t("p_code", lang): b["community_code"],
            _t("p_source", lang): [
                _t(f"src_{v}", lang) if f"src_{v}" in PLAN_LABELS else str(v) for v in b["source"]
            ],
            _t("p_floor_area", lang): [_r(v, 0) for v in b["floor_area_m2"]],
            _t("p_capital", lang): [_r(v, 2) for v in b["capital_wan_yuan"]],
            _t("p_op_year", lang): [
                _r(a + r, 2)
                for a, r in zip(
                    b["operating_wan_yuan_per_year"], b["rent_wan_yuan_per_year"], strict=True
                )
            ],
            _t("p_cost_plan", lang): [_r(v, 2) for v in b["cost_in_plan_wan_yuan"]],
            _t("p_cost_commit", lang): [_r(v, 2) for v in b["cost_wan_yuan"]],
            _t("p_newly", lang): [_r(v, 0) for v in b["newly_covered_elderly"]],
            **_lonlat(result, b, lang),
        },
        dtype=object,
    )

    ms = result.milestones
    frames["plan_milestones"] = pd.DataFrame(
        {
            _t("p_milestone", lang): ms["label"],
            _t("p_from_year", lang): ms["from_year"],
            _t("p_year", lang): ms["year"],
            _t("p_target", lang): [_r(v) for v in ms["target"]],
            _t("p_value", lang): [_r(v) for v in ms["value"]],
            _t("p_unit", lang): [
                "%" if u == "%" else ("个" if lang == "zh" else "units") for u in ms["unit"]
            ],
            _t("p_met", lang): [_t("p_yes" if m else "p_no", lang) for m in ms["met"]],
        },
        dtype=object,
    )

    c = result.communities
    com_cols: dict[str, Any] = {
        _t("p_code", lang): c["code"],
        _t("p_name", lang): c["name"],
        _t("p_street", lang): c["street_name"],
        _t("p_kind", lang): [i18n_label(str(k), lang) for k in c["kind"]],
    }
    if "growth_rate" in c:
        com_cols[_t("p_growth_rate", lang)] = [_r(100 * v, 2) for v in c["growth_rate"]]
        com_cols[_t("p_growth_source", lang)] = c["growth_source"]
    com_cols.update(
        {
            _t("p_elderly", lang): [_r(v, 0) for v in c["elderly"]],
            _t("p_covered_before", lang): [_r(v, 0) for v in c["covered_before"]],
            _t("p_pct_before", lang): [_r(v) for v in c["coverage_before_pct"]],
            _t("p_elderly_final", lang): [_r(v, 0) for v in c["elderly_final"]],
            _t("p_covered_final", lang): [_r(v, 0) for v in c["covered_after"]],
            **{
                _t("p_pct_year", lang, year=k[len("coverage_pct_") :]): [_r(v) for v in c[k]]
                for k in c.columns
                if k.startswith("coverage_pct_")
            },
            _t("p_pct_final", lang): [_r(v) for v in c["coverage_after_pct"]],
            _t("p_n_built", lang): c["n_built"].astype(int),
            _t("p_year_full", lang): [int(v) if v else None for v in c["year_fully_covered"]],
        }
    )
    frames["plan_communities"] = pd.DataFrame(com_cols, dtype=object)
    if result.indicators is not None:
        frames["plan_indicators"] = indicator_frame(result.indicators, lang)
    frames["plan_money"] = money_frame(result, lang)
    frames["plan_budget"] = budget_frame(result, lang)
    frames["plan_gaps"] = gap_frame(result, lang)
    if result.settings.quotas:
        frames["plan_quotas"] = quota_frame(result, lang)
    frames["plan_equity"] = equity_frame(result_equity(result), lang=lang)
    return frames


def _lonlat(result: SitingResult, sites: pd.DataFrame, lang: Language) -> dict[str, list]:
    """The sites' CGCS2000 longitude and latitude (6 decimals, about 0.1 m), for mapping the
    build list from the CSV; empty without the district's CRS."""
    inputs = result.problem.inputs
    if inputs is None or inputs.crs is None or not len(sites) or "geometry" not in sites:
        return {}
    import geopandas as gpd

    ll = gpd.GeoSeries(list(sites["geometry"]), crs=inputs.crs).to_crs(4490)
    return {
        _t("p_lon", lang): [round(float(x), 6) for x in ll.x],
        _t("p_lat", lang): [round(float(y), 6) for y in ll.y],
    }


#: The plan layers' fields and their labels (PLAN_LABELS keys).
_PLAN_FIELDS = {
    "year": "p_year",
    "site_id": "p_site_id",
    "name": "p_name",
    "action": "p_action",
    "type": "p_type",
    "from_type": "p_from_type",
    "street_name": "p_street",
    "community_code": "p_code",
    "community_name": "p_community",
    "floor_area_m2": "p_floor_area",
    "capital_wan_yuan": "p_capital",
    "cost_in_plan_wan_yuan": "p_cost_plan",
    "cost_wan_yuan": "p_cost_commit",
    "newly_covered_elderly": "p_newly",
    "code": "p_code",
    "kind": "p_kind",
    "elderly": "p_elderly",
    "coverage_before_pct": "p_pct_before",
    "coverage_after_pct": "p_pct_final",
    "n_built": "p_n_built",
    "year_fully_covered": "p_year_full",
}


def _planfield_label(col: str, lang: str) -> str:
    from siting.export import field_label

    if col in _PLAN_FIELDS:
        return _t(_PLAN_FIELDS[col], lang)  # type: ignore[arg-type]
    if col.startswith("coverage_pct_") and col[len("coverage_pct_") :].isdigit():
        return _t("p_pct_year", lang, year=col[len("coverage_pct_") :])  # type: ignore[arg-type]
    if col.endswith("_label"):
        return _planfield_label(col[: -len("_label")], lang) + (
            "（名称）" if lang == "zh" else " (label)"
        )
    return field_label(col, lang)


def plan_layers(result: SitingResult, lang: Language = "zh") -> dict[str, gpd.GeoDataFrame]:
    """The plan as GIS layers: ``plan_sites`` (every build, upgrade and closure, with its year,
    type, costs and the older people it newly covers) and ``plan_communities`` (every 社区/村
    with its coverage before the plan, at the end of every plan year (``coverage_pct_<year>``)
    and in its final year, the facilities built and the year it is fully covered). Empty dict without the district's inputs."""
    import geopandas as gpd

    inputs = result.problem.inputs
    if inputs is None:
        return {}
    b = result.sites
    cols = [c for c in _PLAN_FIELDS if c in b.columns and c not in ("code", "kind")]
    sites = gpd.GeoDataFrame(b[cols].copy(), geometry=list(b["geometry"]), crs=inputs.crs)
    sites.insert(
        cols.index("type") + 1, "type_label", [i18n_label(str(t), lang) for t in b["type"]]
    )
    sites["action_label"] = [_t(f"p_action_{a}", lang) for a in b["action"]]
    c = result.communities
    com_cols = [
        k for k in ("code", "name", "street_name", "kind", "elderly", "coverage_before_pct",
                    "coverage_after_pct", "n_built", "year_fully_covered") if k in c.columns
    ]  # fmt: skip
    com_cols += [k for k in c.columns if k.startswith("coverage_pct_")]  # every plan year
    geom = inputs.communities.set_index(inputs.communities["code"].astype(str)).geometry
    com = gpd.GeoDataFrame(
        c[com_cols].reset_index(drop=True),
        geometry=list(geom.reindex(c["code"].astype(str)).to_numpy()),
        crs=inputs.crs,
    )
    com["year_fully_covered"] = [int(v) if v else None for v in com["year_fully_covered"]]
    return {"plan_sites": sites, "plan_communities": com}


PLAN_LAYERS = {
    "plan_sites": ("规划建设点位（按年份）", "planned sites by year"),
    "plan_communities": ("社区/村（规划后覆盖）", "communities and villages after the plan"),
}


def quota_frame(result: SitingResult, lang: Language = "zh") -> pd.DataFrame:
    """The quotas (``[[plan.quota]]``) year by year as a display table: required, planned, met."""
    q = result.quotas
    zh = lang == "zh"
    return pd.DataFrame(
        {
            _t("q_quota", lang): q["label"],
            _t("q_unit_code", lang): q["unit_code"].astype(str),
            _t("q_unit", lang): q["unit_name"],
            _t("p_type", lang): [i18n_label(str(t), lang) for t in q["type"]],
            _t("q_counts", lang): [
                _t("q_counts_all" if c else "q_counts_new", lang) for c in q["count_existing"]
            ],
            _t("q_from_year", lang): q["from_year"],
            _t("p_year", lang): q["year"],
            _t("q_required", lang): q["required"],
            _t("q_at_most", lang): [None if pd.isna(v) else int(v) for v in q["at_most"]],
            _t("q_planned", lang): q["planned"],
            _t("q_existing", lang): q["existing"],
            _t("q_built", lang): q["built"],
            _t("q_most", lang): q["most_possible"],
            _t("p_met", lang): [_t("p_yes" if m else "p_no", lang) for m in q["met"]],
            _t("q_reason", lang): [REASONS[r][0 if zh else 1] if r else "" for r in q["reason"]],
            i18n_label("gap_detail", lang): q["detail"],
            _t("q_hard", lang): ["✓" if h else "" for h in q["hard"]],
            i18n_label("gap_source", lang): q["source"],
        },
        dtype=object,
    )


def indicator_frame(indicators: Indicators, lang: Language) -> pd.DataFrame:
    """The indicators as a display table (as ``siting coverage`` writes them)."""
    from siting.tables import indicator_frame as frame

    return frame(indicators, lang)


def write_plan_outputs(
    result: SitingResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    map_path: str | Path | None = None,
    with_map: bool = True,
    basemap: str = "none",
    tianditu_key: str | None = None,
) -> tuple[Path, ...]:
    """Write a plan's tables (CSV and ``plan.xlsx``) to ``out_dir`` and its HTML map.

    Files: ``plan_summary.csv`` (with the scenario hash and tool version), ``plan_years.csv``
    (spend and coverage trajectory), ``plan_builds.csv`` (per-year build list),
    ``plan_milestones.csv``, ``plan_communities.csv``, ``plan_indicators.csv`` (final year),
    ``plan_gaps.csv``, with quotas ``plan_quotas.csv`` (each quota year by year),
    ``plan_equity.csv`` (Gini and Theil of coverage across 社区/村 before the plan and in its
    final year, :mod:`siting.equity`), ``plan.xlsx``, ``plan_lorenz.png`` (the Lorenz curves);
    the map at ``map_path`` (default ``maps/<out_dir name>.html``). Every file is written whole
    or not at all.
    """
    from siting.equity import result_lorenz_png
    from siting.tables import write_tables

    out_dir = Path(out_dir)
    frames = plan_frames(result, lang=lang)
    sheets = {stem: _t(f"sheet_{stem}", lang) for stem in frames}
    png = result_lorenz_png(result, lang=lang)
    from siting.transaction import transaction
    from siting.workbook import Chart

    with transaction(folders=[out_dir]):  # all files or none (joins a command's)
        written = list(
            write_tables(
                frames,
                out_dir,
                xlsx="plan.xlsx",
                sheet_names=sheets,
                files={"plan_lorenz.png": png},
                charts={
                    "plan_years": Chart(
                        x=_t("p_year", lang),
                        y=tuple(
                            _t(k, lang)
                            for k in ("p_coverage_pct", "p_community_pct", "p_village_pct")
                        ),
                        title=_t("sheet_plan_years", lang),
                        x_title=_t("p_year", lang),
                        y_title=_t("p_coverage_pct", lang),
                    )
                },
            )
        )
        layers = plan_layers(result, lang=lang)
        if layers:
            from siting.gpkg import tool_metadata, write_layers
            from siting.transaction import atomic_path

            meta = tool_metadata(layers, scenario=result.name)
            gpkg = out_dir / "plan.gpkg"
            with atomic_path(gpkg) as tmp:
                write_layers(
                    tmp, layers, meta=meta, titles=PLAN_LAYERS, field_label=_planfield_label
                )
            written.append(gpkg)
        if with_map and result.problem.inputs is not None:
            from siting.maps import default_plan_map_path, plan_map, write_map

            path = Path(map_path) if map_path is not None else default_plan_map_path(out_dir)
            written.append(
                write_map(
                    plan_map(result, lang=lang, basemap=basemap, tianditu_key=tianditu_key), path
                )
            )
    log.info("write_plan_outputs wrote %d files for plan %s", len(written), result.name)
    return tuple(written)
