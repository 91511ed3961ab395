"""Plans side by side (``siting compare A B ...``): one table, one map with the plans as layers.

:func:`compare` takes solved plans (:class:`~siting.model.result.SitingResult`) or scenario files (each is
planned, the inputs and walking graph loaded once for scenarios that share them) and returns a
:class:`ComparisonResult`: the table of coverage, older people covered, cost and final-year
indicators per plan, and the per-year trajectories. :func:`write_comparison` writes the tables
(CSV and one workbook) and the HTML map: the communities coloured by coverage before the plans,
then for each plan its final-year coverage and its builds as switchable layers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd

from siting.equity import (
    EQUITY_LABELS,
    Equity,
    comparison_lines,
    equity_frame,
    lorenz_png,
    result_equity,
)
from siting.errors import InputError, Problem
from siting.i18n import Language, labeller
from siting.i18n import label as i18n_label
from siting.io import SITEABLE_TYPES
from siting.map_controls import SideBySide
from siting.maps import coverage_tables, default_plan_map_path, proposed_layer
from siting.model import SitingResult
from siting.plan import plan
from siting.reports import plan_label
from siting.scenario import Scenario, load_scenario

__all__ = [
    "ComparisonResult",
    "compare",
    "comparison_frames",
    "comparison_map",
    "gain_report",
    "gains",
    "quota_report",
    "write_comparison",
]

log = logging.getLogger(__name__)

#: Labels of the comparison (zh, en); other keys fall back to :mod:`siting.i18n`.
COMPARE_LABELS: dict[str, tuple[str, str]] = {
    "c_legend_plans": ("规划方案（新建点位的符号）", "plans (symbol of their new sites)"),
    "c_item": ("项目", "item"),
    "c_plan": ("方案", "plan"),
    "c_year": ("年份", "year"),
    "c_scenario_sha256": ("情景文件哈希(SHA-256)", "scenario hash (SHA-256)"),
    "c_tool_version": ("软件版本", "tool version"),
    "c_years": ("规划期", "plan years"),
    "c_objective": ("目标函数", "objective"),
    "c_status": ("求解状态", "solver status"),
    "c_gap": ("最优性差距(%)", "optimality gap (%)"),
    "c_spent": ("支出合计(万元)", "total spend (10,000 yuan)"),
    "c_capital": ("建设投入(万元)", "capital (10,000 yuan)"),
    "c_operating": ("运营补贴(万元)", "operating (10,000 yuan)"),
    "c_n_new": ("新建设施(个)", "new facilities"),
    "c_n_new_type": ("新建{type}(个)", "new {type}"),
    "c_n_upgrades": ("升级改造(个)", "upgrades"),
    "c_coverage_before": ("现状覆盖率(%)", "coverage before (%)"),
    "c_coverage_final": ("末年覆盖率(%)", "coverage, final year (%)"),
    "c_community_final": ("末年社区覆盖率(%)", "社区 coverage, final year (%)"),
    "c_village_final": ("末年村覆盖率(%)", "村 coverage, final year (%)"),
    "c_covered_final": ("末年已覆盖老年人", "older people covered, final year"),
    "c_newly_final": ("末年新增覆盖老年人", "newly covered, final year"),
    "c_elderly_years": ("规划期累计覆盖人年", "elderly-years covered"),
    "c_elderly_years_gained": ("规划新增覆盖人年", "elderly-years gained"),
    "c_per_newly": ("每新增覆盖一人支出(万元)", "spend per person newly covered (10,000 yuan)"),
    "c_milestones": ("达成阶段目标", "milestones met"),
    "c_spend": ("当年支出(万元)", "spend (10,000 yuan)"),
    "c_cum_spend": ("累计支出(万元)", "cumulative spend (10,000 yuan)"),
    "c_coverage_pct": ("覆盖率(%)", "coverage (%)"),
    "c_covered": ("已覆盖老年人", "older people covered"),
    "c_n_new_year": ("当年新建(个)", "built that year"),
    "sheet_comparison": ("方案对比", "comparison"),
    "sheet_comparison_years": ("分年度对比", "by year"),
    "layer_plan_coverage": (
        "{plan}：{year}年社区/村覆盖率",
        "{plan}: coverage by community in {year}",
    ),
    "layer_plan_builds": ("{plan}：规划建设（{n}）", "{plan}: facilities built ({n})"),
    "map_title": ("规划方案对比", "Plans compared"),
    "c_eq_gini_before": ("基尼系数：覆盖率（现状）", "Gini of coverage, before"),
    "c_eq_gini_final": ("基尼系数：覆盖率（末年）", "Gini of coverage, final year"),
    "c_eq_theil_before": ("泰尔指数：覆盖率（现状）", "Theil T of coverage, before"),
    "c_eq_theil_final": ("泰尔指数：覆盖率（末年）", "Theil T of coverage, final year"),
    "c_eq_theil_between_final": (
        "泰尔组间：社区与村之间（末年）",
        "Theil between 社区 and 村, final year",
    ),
    "c_eq_theil_within_final": (
        "泰尔组内：社区内、村内（末年）",
        "Theil within 社区 and 村, final year",
    ),
    "c_eq_between_share_final": (
        "泰尔组间占比(%)（末年）",
        "share of Theil between 社区 and 村 (%), final year",
    ),
    "c_eq_gini_community_final": ("基尼系数：社区之间（末年）", "Gini among 社区, final year"),
    "c_eq_gini_village_final": ("基尼系数：村之间（末年）", "Gini among 村, final year"),
    "c_eq_gini_weighted_final": (
        "基尼系数：加权需求覆盖率（末年）",
        "Gini of weighted-demand coverage, final year",
    ),
    "c_eq_gini_group_final": (
        "基尼系数：覆盖率按{group}加权（末年）",
        "Gini of coverage weighted by {group}, final year",
    ),
    "c_lorenz_title": (
        "各方案社区/村老年人步行覆盖的洛伦兹曲线（按老年人数加权）",
        "Lorenz curves of walking coverage across communities and villages, by plan",
    ),
}


_t = labeller(COMPARE_LABELS, fallback=labeller(EQUITY_LABELS, fallback=plan_label))


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """Plans side by side.

    Attributes
    ----------
    results
        The plans, in the order given.
    table
        One row per figure (``key``), one column per plan (raw numbers; text for statuses).
    years
        One row per plan and year: spend, cumulative spend, coverage, covered elderly, builds.
    equity
        Each plan's :class:`~siting.equity.Equity` (before it and in its final year), in order.
    """

    results: tuple[SitingResult, ...]
    table: pd.DataFrame
    years: pd.DataFrame
    equity: tuple[Equity, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.results)


def gains(reference: SitingResult, other: SitingResult) -> dict[str, float]:
    """What ``other`` gains over ``reference`` (positive = better): coverage, people, money.

    Keys: ``coverage_final_pct`` (percentage points), ``covered_elderly_final``,
    ``elderly_years_covered``, ``spent_wan_yuan_saved``, ``wan_yuan_per_newly_covered_saved``.
    """
    a, b = reference.summary, other.summary
    return {
        "coverage_final_pct": b["coverage_final_pct"] - a["coverage_final_pct"],
        "covered_elderly_final": b["covered_elderly_final"] - a["covered_elderly_final"],
        "elderly_years_covered": b["elderly_years_covered"] - a["elderly_years_covered"],
        "spent_wan_yuan_saved": a["spent_wan_yuan"] - b["spent_wan_yuan"],
        "wan_yuan_per_newly_covered_saved": a["wan_yuan_per_newly_covered"]
        - b["wan_yuan_per_newly_covered"],
    }


def gain_report(reference: SitingResult, other: SitingResult) -> str:
    """A plain-text table of two plans and what ``other`` gains over ``reference`` (for scripts)."""
    a, b = reference.summary, other.summary
    final = reference.years[-1]
    rows = [
        ("spend over the plan (万元)", "spent_wan_yuan", 1, -1),
        ("  capital (万元)", "capital_wan_yuan", 1, -1),
        ("  operating incentives and rent (万元)", "operating_wan_yuan", 1, -1),
        ("new facilities", "n_new", 0, 0),
        ("upgrades", "n_upgrades", 0, 0),
        (f"coverage {final} (%)", "coverage_final_pct", 1, 1),
        ("  社区 (%)", "community_coverage_final_pct", 1, 1),
        ("  村 (%)", "village_coverage_final_pct", 1, 1),
        (f"older people covered {final}", "covered_elderly_final", 0, 1),
        (f"older people newly covered {final}", "newly_covered_final", 0, 1),
        ("elderly-years covered over the plan", "elderly_years_covered", 0, 1),
        ("万元 per person newly covered", "wan_yuan_per_newly_covered", 3, -1),
        ("milestones met", "milestones_met", 0, 1),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'':<{width}}{'fixed':>14}{'optimized':>14}{'gain':>14}"]
    for text, key, digits, sign in rows:
        if key == "milestones_met" and not (a["milestones"] or b["milestones"]):
            continue
        va, vb = float(a[key]), float(b[key])
        diff = (vb - va) if sign >= 0 else (va - vb)
        gain = "" if sign == 0 else f"{diff:+,.{digits}f}"
        lines.append(f"{text:<{width}}{va:>14,.{digits}f}{vb:>14,.{digits}f}{gain:>14}")
    lines.append(
        "(gain: optimized minus fixed; for money, fixed minus optimized: positive = saved)"
    )
    return "\n".join(lines)


def quota_report(
    result: SitingResult, *, quotas: Sequence[int] | None = None, limit: int = 6
) -> str:
    """A plain-text account of a plan's quotas year by year (for scripts): how many are due by
    each year and met, and each one missed in the year it falls due, with its numbers and reason.

    ``quotas``: the positions in ``[[plan.quota]]`` to report (default all).
    """
    from siting.model.rules import REASONS

    q = result.quotas
    if quotas is not None:
        q = q[q["quota"].isin(list(quotas))]
    if not len(q):
        return "  (no quotas)"
    lines = []
    for year, g in q.groupby("year", sort=True):
        lines.append(
            f"  {year}: {int(g['met'].sum())} of {len(g)} quotas due by {year} met "
            f"(required {int(g['required'].sum())}, planned {int(g['planned'].clip(upper=g['required']).sum())} "
            "towards them)"
        )
        missed = g[~g["met"] & (g["from_year"] == year)]
        for _, row in missed.head(limit).iterrows():
            why = REASONS.get(row["reason"], (row["reason"], row["reason"]))[1]
            lines.append(
                f"    not met: {row['label']} — {row['unit_name']} {row['type']} {row['planned']} of "
                f"{row['required']} ({why}; at most {row['most_possible']} possible)"
            )
        if len(missed) > limit:
            lines.append(f"    … and {len(missed) - limit} more (plan_quotas.csv)")
    return "\n".join(lines)


def _inputs_key(scenario: Scenario) -> str:
    s = scenario.settings
    return json.dumps(
        {k: s.get(k) for k in ("inputs", "walking", "scenario")},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def _plan_scenarios(items: Sequence[Scenario]) -> list[SitingResult]:
    from siting.io import load_inputs
    from siting.walking import walking_graph

    cache: dict[str, tuple[Any, Any]] = {}
    out = []
    for sc in items:
        key = _inputs_key(sc)
        if key not in cache:
            inputs = load_inputs(sc)
            cache[key] = (inputs, walking_graph(inputs))
        inputs, graph = cache[key]
        out.append(plan(dataclasses.replace(inputs, scenario=sc), graph))
    return out


def compare(*items: SitingResult | Scenario | str | Path) -> ComparisonResult:
    """Compare plans: solved :class:`~siting.model.result.SitingResult` objects or scenario files.

    Scenario files are planned with :func:`siting.plan.plan` (inputs and walking graph loaded
    once for scenarios that share them). Every plan must be of the same district.

    Raises
    ------
    InputError
        Fewer than two plans, or plans of different districts.
    InfeasibleError
        A scenario's milestones cannot be met.
    """
    if len(items) < 2:
        raise InputError(
            "compare needs at least two plans",
            [Problem("compare", f"got {len(items)}", hint="siting compare A.toml B.toml …")],
        )
    results: list[SitingResult | None] = [r if isinstance(r, SitingResult) else None for r in items]
    todo = [
        (i, it if isinstance(it, Scenario) else load_scenario(it))
        for i, it in enumerate(items)
        if not isinstance(it, SitingResult)
    ]
    for (i, _), res in zip(todo, _plan_scenarios([sc for _, sc in todo]), strict=True):
        results[i] = res
    done = [r for r in results if r is not None]
    codes = [tuple(r.problem.communities["code"].astype(str)) for r in done]
    if any(c != codes[0] for c in codes[1:]):
        raise InputError(
            "the plans are of different districts (their 社区/村 differ)",
            [Problem(r.name, f"{len(c)} 社区/村") for r, c in zip(done, codes, strict=True)],
        )
    names = [r.name for r in done]
    if len(set(names)) < len(names):  # keep columns apart
        done = [dataclasses.replace(r, name=f"{r.name} ({i + 1})") for i, r in enumerate(done)]
    equity = tuple(result_equity(r) for r in done)
    table = _table(done, equity)
    years = pd.concat(
        [
            r.trajectory.assign(plan=r.name)[
                [
                    "plan",
                    "year",
                    "stage",
                    "spend_wan_yuan",
                    "cumulative_spend_wan_yuan",
                    "n_new",
                    "coverage_pct",
                    "covered_elderly",
                    "cumulative_elderly_years",
                ]
            ]
            for r in done
        ],
        ignore_index=True,
    )
    log.info("compare: %d plans (%s)", len(done), ", ".join(r.name for r in done))
    return ComparisonResult(results=tuple(done), table=table, years=years, equity=equity)


_ROWS = (
    ("scenario_sha256", "c_scenario_sha256"),
    ("tool_version", "c_tool_version"),
    ("years", "c_years"),
    ("objective", "c_objective"),
    ("status", "c_status"),
    ("gap_pct", "c_gap"),
    ("spent_wan_yuan", "c_spent"),
    ("capital_wan_yuan", "c_capital"),
    ("operating_wan_yuan", "c_operating"),
    ("n_new", "c_n_new"),
    *[(f"n_new_{t}", "c_n_new_type") for t in SITEABLE_TYPES],
    ("n_upgrades", "c_n_upgrades"),
    ("coverage_before_pct", "c_coverage_before"),
    ("coverage_final_pct", "c_coverage_final"),
    ("community_coverage_final_pct", "c_community_final"),
    ("village_coverage_final_pct", "c_village_final"),
    ("covered_elderly_final", "c_covered_final"),
    ("newly_covered_final", "c_newly_final"),
    ("elderly_years_covered", "c_elderly_years"),
    ("elderly_years_gained", "c_elderly_years_gained"),
    ("wan_yuan_per_newly_covered", "c_per_newly"),
    ("milestones", "c_milestones"),
)


def _equity_rows(results: Sequence[SitingResult], equity: Sequence[Equity]) -> list[dict[str, Any]]:
    """The equity rows of the comparison (keys ``eq_…``): Gini and Theil of coverage before and
    in the final year, Theil's split between 社区 and 村, Gini among 社区 and among 村, and the
    final year's Gini of the other measures (weighted demand, each priority group)."""

    def after(eq: Equity) -> str:
        return next((m.stage for m in eq.measures if m.stage != "before"), "final")

    def value(eq: Equity, stat: str, stage: str, measure="coverage", weight="elderly", scope="district") -> Any:  # fmt: skip
        try:
            v = eq.row(measure, weight, after(eq) if stage == "final" else stage, scope)[stat]
        except KeyError:
            return None
        return None if v is None or pd.isna(v) else float(v)

    specs: list[tuple[str, dict[str, Any]]] = [
        ("eq_gini_before", {"stat": "gini", "stage": "before"}),
        ("eq_gini_final", {"stat": "gini", "stage": "final"}),
        ("eq_theil_before", {"stat": "theil", "stage": "before"}),
        ("eq_theil_final", {"stat": "theil", "stage": "final"}),
        ("eq_theil_between_final", {"stat": "theil_between", "stage": "final"}),
        ("eq_theil_within_final", {"stat": "theil_within", "stage": "final"}),
        ("eq_between_share_final", {"stat": "between_share", "stage": "final"}),
        ("eq_gini_community_final", {"stat": "gini", "stage": "final", "scope": "community"}),
        ("eq_gini_village_final", {"stat": "gini", "stage": "final", "scope": "village"}),
    ]
    pairs = []  # the other measures, in the order of the first plan that has them
    for eq in equity:
        for m in eq.measures:
            if (m.key, m.weight) != ("coverage", "elderly") and (m.key, m.weight) not in pairs:
                pairs.append((m.key, m.weight))
    for measure, weight in pairs:
        key = "eq_gini_weighted_final" if measure == "weighted_coverage" else f"eq_gini_{measure}_{weight}_final"  # fmt: skip
        specs.append(
            (key, {"stat": "gini", "stage": "final", "measure": measure, "weight": weight})
        )
    rows = []
    for key, kw in specs:
        row: dict[str, Any] = {"key": key}
        for r, eq in zip(results, equity, strict=True):
            row[r.name] = value(eq, **kw)
        rows.append(row)
    return rows


def _equity_item(key: str, lang: Language) -> str:
    """The comparison's label of an equity row."""
    if key in ("eq_gini_weighted_final",) or f"c_{key}" in COMPARE_LABELS:
        return _t(f"c_{key}", lang)
    # eq_gini_<measure>_<weight>_final: coverage weighted by a priority group (or a plug-in)
    rest = key[len("eq_gini_") : -len("_final")]
    measure, _, weight = rest.partition("_")
    if measure == "coverage":
        return _t("c_eq_gini_group_final", lang, group=_t(f"eq_w_{weight}", lang))
    return rest


def _table(results: Sequence[SitingResult], equity: Sequence[Equity] = ()) -> pd.DataFrame:
    rows = []
    for key, _ in _ROWS:
        row: dict[str, Any] = {"key": key}
        for r in results:
            s = r.summary
            if key == "gap_pct":
                value: Any = None if r.gap is None else 100 * r.gap
            elif key == "milestones":
                value = f"{s['milestones_met']}/{s['milestones']}"
            else:
                value = s[key]
            row[r.name] = value
        rows.append(row)
    if equity:
        rows += _equity_rows(results, equity)
    keys = []
    for r in results:
        if r.indicators is not None:
            keys = [i.key for i in r.indicators.items]
            break
    for k in keys:
        row = {"key": f"ind_{k}"}
        for r in results:
            row[r.name] = None if r.indicators is None else r.indicators[k]
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_frames(
    comparison: ComparisonResult, *, lang: Language = "zh"
) -> dict[str, pd.DataFrame]:
    """The display tables: ``comparison`` (side by side) and ``comparison_years`` (long)."""
    label_of = dict(_ROWS)
    out_rows = []
    for _, row in comparison.table.iterrows():
        key = row["key"]
        if key.startswith("ind_"):
            item_label = i18n_label(key, lang)
        elif key.startswith("eq_"):
            item_label = _equity_item(key, lang)
        elif key.startswith("n_new_") and key != "n_new":
            item_label = _t("c_n_new_type", lang, type=i18n_label(key[len("n_new_") :], lang))
        else:
            item_label = _t(label_of[key], lang)
        rec: dict[str, Any] = {_t("c_item", lang): item_label}
        for name in comparison.names:
            rec[name] = _display_value(key, row[name], lang)
        out_rows.append(rec)
    table = pd.DataFrame(out_rows, dtype=object)
    y = comparison.years
    years = pd.DataFrame(
        {
            _t("c_plan", lang): y["plan"],
            _t("c_year", lang): y["year"].astype(int),
            _t("p_stage", lang): [_t(f"p_{v}", lang) for v in y["stage"]],
            _t("c_spend", lang): [_round(v, 1) for v in y["spend_wan_yuan"]],
            _t("c_cum_spend", lang): [_round(v, 1) for v in y["cumulative_spend_wan_yuan"]],
            _t("c_n_new_year", lang): y["n_new"].astype(int),
            _t("c_coverage_pct", lang): [_round(v, 1) for v in y["coverage_pct"]],
            _t("c_covered", lang): [_round(v, 0) for v in y["covered_elderly"]],
            _t("p_cum_years", lang): [_round(v, 0) for v in y["cumulative_elderly_years"]],
        },
        dtype=object,
    )
    frames = {"comparison": table, "comparison_years": years}
    if comparison.equity:
        parts = []
        for name, eq in zip(comparison.names, comparison.equity, strict=True):
            part = equity_frame(eq, lang=lang)
            part.insert(0, _t("c_plan", lang), name)
            parts.append(part)
        frames["comparison_equity"] = pd.concat(parts, ignore_index=True)
    return frames


def _round(v: Any, digits: int) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(float(v), digits) if digits else round(float(v))


def _display_value(key: str, value: Any, lang: Language) -> Any:
    if value is None:
        return None
    if key.startswith("ind_"):
        item = value
        digits = item.digits
        num = "—" if item.value is None or math.isnan(item.value) else f"{item.value:.{digits}f}"
        unit = i18n_label(f"unit_{item.unit}", lang)
        text = f"{num} {unit} {i18n_label(f'status_{item.status}', lang)}"
        if item.origin == "reported":
            text += f" ({i18n_label('origin_reported', lang)})"
        return text
    if key == "objective":
        return _t(f"obj_{value}", lang)
    if key == "status":
        return _t(f"st_{value}", lang)
    if key == "scenario_sha256":
        return str(value)[:16]
    if key.startswith("eq_"):
        return _round(100 * value if "share" in key else value, 1 if "share" in key else 4)
    if isinstance(value, float | np.floating):
        digits = (
            2
            if key in ("wan_yuan_per_newly_covered", "gap_pct")
            else (0 if "elderly" in key or "covered" in key else 1)
        )
        return _round(value, digits)
    return value


def comparison_map(
    comparison: ComparisonResult,
    *,
    lang: Language = "zh",
    basemap: str = "none",
    tianditu_key: str | None = None,
    offline: bool = True,
) -> folium.Map:
    """One map with the plans as layers: coverage before (shown), each plan's final-year coverage
    and its builds (one symbol per plan — ★, hexagon, four-point star, … — named in the legend,
    filled with the type's colour, with year, cost and the older people newly covered);
    the Lorenz curves of every plan in a panel. With two plans or more, the button 对比 shows the
    first two side by side: the first plan's coverage and builds left of a divider dragged
    across the map, the second's right of it (:class:`siting.map_controls.SideBySide`).

    Plan names reach the title, the layer list, popups and tooltips as plain text: each is
    HTML-escaped once where it enters the page (:func:`siting.maps.html_text`).
    """
    from siting import maps

    first = comparison.results[0]
    inputs = first.problem.inputs
    if inputs is None:
        raise InputError(
            "a comparison map needs the district's inputs (plans built from a cost matrix have none)"
        )
    before, _ = coverage_tables(first)
    title = f"{_t('map_title', lang)}：" + " / ".join(comparison.names)
    lorenz = None
    if comparison.equity:  # the figure of comparison_lorenz.png, in a panel of the map
        lines = comparison_lines(list(zip(comparison.names, comparison.equity, strict=True)))
        lorenz = lorenz_png(lines, lang=lang, title=COMPARE_LABELS["c_lorenz_title"])
    # one symbol per plan (the fill is the facility type's colour, as everywhere)
    symbols = [
        maps.PLAN_SYMBOLS[i % len(maps.PLAN_SYMBOLS)] for i in range(len(comparison.results))
    ]
    plan_legend = [
        (maps._symbol_svg(sym, "#ffffff", 16), r.name)
        for sym, r in zip(symbols, comparison.results, strict=True)
    ]
    m = maps.coverage_map(
        inputs,
        coverage=before,
        lorenz=lorenz,
        lang=lang,
        basemap=basemap,
        tianditu_key=tianditu_key,
        offline=False,
        title=title,
        extra_legend=[(_t("c_legend_plans", lang), plan_legend)],
    )  # type: ignore[arg-type]
    gcj = basemap == "amap"
    com = inputs.communities
    geoms = maps._display(com.geometry, gcj=gcj, simplify_m=3.0, decimals=5)
    names = maps._community_names(inputs)
    # the first two plans in panes of their own, for the side-by-side view
    sbs = len(comparison.results) >= 2
    if sbs:
        for i in (0, 1):
            folium.map.CustomPane(f"siting-plan{i}-fill", z_index=352 + i).add_to(m)
            folium.map.CustomPane(f"siting-plan{i}-sites", z_index=610 + i).add_to(m)
    sbs_layers: list[list[Any]] = [[], []]
    for i, r in enumerate(comparison.results):
        _, after = coverage_tables(r)
        own = sbs and i < 2
        layer = maps._community_layer(
            m,
            com,
            geoms,
            after.assign(code=after["code"].astype(str)).set_index("code"),
            names,
            lang,
            _t("layer_plan_coverage", lang, plan=r.name, year=r.years[-1]),
            show=False,
            pane=f"siting-plan{i}-fill" if own else "siting-fill",
        )
        sites = proposed_layer(r)
        n = 0 if sites is None else len(sites)
        group = folium.FeatureGroup(
            name=_t("layer_plan_builds", lang, plan=r.name, n=n), show=i == 0
        )
        markers = maps._Markers(pane=f"siting-plan{i}-sites" if own else "markerPane")
        if sites is not None and n:
            xy = np.asarray([(p.x, p.y) for p in maps._display(sites.geometry, gcj=gcj)])
            for j, row in enumerate(sites.drop(columns="geometry").to_dict("records")):
                t = str(row.get("type", ""))
                markers.add(
                    xy[j, 1],
                    xy[j, 0],
                    colour=maps.TYPE_STYLE.get(t, ("#000000", ""))[0],
                    shape=symbols[i],
                    size=20,
                    classes=f"siting-fac-proposed siting-plan-{i} siting-type-{maps._css_token(t)}",
                    popup=maps._facility_popup(
                        {**row, "name": f"{row['name']}（{r.name}）"}, t, lang, status="proposed"
                    ),
                    tooltip=f"{row['name']} · {r.name} · {row['year']}",
                )
        markers.add_to(group)
        group.add_to(m)
        if own:
            sbs_layers[i] = [layer, group]
    if sbs:
        SideBySide(
            ["siting-plan0-fill", "siting-plan0-sites"],
            ["siting-plan1-fill", "siting-plan1-sites"],
            sbs_layers[0],
            sbs_layers[1],
            left_name=maps.html_text(comparison.names[0]),
            right_name=maps.html_text(comparison.names[1]),
            lang=lang,
        ).add_to(m)
    # the layer control lists the layers present when it renders: move it after the new ones
    children = m._children
    for key in [k for k, v in children.items() if isinstance(v, folium.LayerControl)]:
        children.move_to_end(key)
    if offline:
        maps._inline_assets(m)
    m._siting_offline = offline
    seed = (first.scenario_sha256 or "c")[:8]
    maps._deterministic_ids(m, seed=seed)
    return m


def write_comparison(
    comparison: ComparisonResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    map_path: str | Path | None = None,
    with_map: bool = True,
    basemap: str = "none",
    tianditu_key: str | None = None,
) -> tuple[Path, ...]:
    """Write ``comparison.csv``, ``comparison_years.csv``, ``comparison_equity.csv``,
    ``comparison.xlsx``, ``comparison_lorenz.png`` and the map.

    ``comparison_equity.csv`` holds each plan's equity table (:mod:`siting.equity`), the figure
    the coverage's Lorenz curve before the plans and in each plan's final year. The map goes to
    ``map_path`` (default ``maps/<out_dir name>.html`` in the working directory). Every file is
    written whole or not at all.
    """
    from siting.maps import write_map
    from siting.tables import write_tables

    out_dir = Path(out_dir)
    frames = comparison_frames(comparison, lang=lang)
    sheets = {stem: _t(f"sheet_{stem}", lang) for stem in frames}
    files = {}
    if comparison.equity:
        lines = comparison_lines(list(zip(comparison.names, comparison.equity, strict=True)))
        title = COMPARE_LABELS["c_lorenz_title"]
        files["comparison_lorenz.png"] = lorenz_png(lines, lang=lang, title=title)
    from siting.transaction import transaction

    with transaction(folders=[out_dir]):  # all files or none (joins a command's)
        written = list(
            write_tables(frames, out_dir, xlsx="comparison.xlsx", sheet_names=sheets, files=files)
        )
        if with_map and comparison.results[0].problem.inputs is not None:
            path = Path(map_path) if map_path is not None else default_plan_map_path(out_dir)
            written.append(
                write_map(
                    comparison_map(
                        comparison, lang=lang, basemap=basemap, tianditu_key=tianditu_key
                    ),
                    path,
                )
            )
    log.info("write_comparison wrote %d files", len(written))
    return tuple(written)
