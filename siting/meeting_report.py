"""The one-page report for a planning meeting (``siting report``, and ``siting run`` writes it):
one landscape page (A4 or A3), as PDF and PNG, in Simplified Chinese by default.

What is on the page:

- the **map picture**: every 社区/村 coloured by its coverage with the plan (the HTML map's classes,
  :data:`siting.maps.COVERAGE_BINS`; today's coverage without a plan), the 街道/镇 boundaries, the
  existing facilities by type and the proposed sites (★) in the type's colour, a scale bar and
  north; drawn with matplotlib from the same layers as the HTML map (no browser needed, the same
  picture on every machine);
- the **headline figures**: coverage now → with the plan, older people newly covered, new sites,
  money spent of the budget;
- the **indicators** with their verdicts (达标/未达标/…), the target and the rule's document;
- the **budget–coverage curve** (:func:`siting.curve.budget_curve`) with the knee and the plan's
  point;
- **spend by line** (capital subsidies, renovation, operating incentives, rent: who pays) and the
  **rule gaps** left (一街道（镇）一中心, 一村（社区）一站（点）…: how many units, the first names).

The figures are the ones the tables print (the same result objects); the source of each
indicator is its document (the ``source`` of :class:`siting.indicators.Indicator`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from siting.costs import LINES
from siting.equity import cjk_font
from siting.errors import OutputError, Problem
from siting.i18n import Language, labeller
from siting.i18n import label as i18n_label
from siting.transaction import atomic_path

if TYPE_CHECKING:
    from siting.coverage import CoverageResult
    from siting.curve import BudgetCurve
    from siting.io import Inputs
    from siting.model import SitingResult

__all__ = [
    "PAPERS",
    "render_report",
    "report_curve",
    "report_figure",
    "require_font",
    "write_report",
]

log = logging.getLogger(__name__)

#: Paper sizes (landscape), inches: ISO A4 297 × 210 mm, A3 420 × 297 mm.
PAPERS: dict[str, tuple[float, float]] = {
    "a4": (297 / 25.4, 210 / 25.4),
    "a3": (420 / 25.4, 297 / 25.4),
}

_LABELS: dict[str, tuple[str, str]] = {
    "r_title": (
        "{name} · 养老服务设施规划一页纸",
        "{name} · elderly-care facility plan on one page",
    ),
    "r_sub": (
        "制图日期 {date} · siting {version} · 覆盖口径：社区、村15分钟步行（000、001、003、004）",
        "{date} · siting {version} · coverage: a 15-minute walk in 社区 and 村 (000, 001, 003, 004)",
    ),
    "r_map_after": ("规划后社区/村覆盖率", "coverage by 社区/村 with the plan"),
    "r_map_now": ("现状社区/村覆盖率", "coverage by 社区/村 today"),
    "r_no_data": ("无数据", "no data"),
    "r_existing": ("现有设施", "existing facilities"),
    "r_proposed": ("规划新增（★）", "proposed (★)"),
    "r_kpi_cov": ("居家养老服务覆盖率", "home-care coverage"),
    "r_kpi_new": ("新增覆盖老年人", "newly covered"),
    "r_kpi_sites": ("新建点位", "new sites"),
    "r_kpi_money": ("支出 / 预算（万元）", "spent / budget (万元)"),
    "r_indicators": ("规划指标", "plan indicators"),
    "r_ind_cols": ("指标|规划后|目标|结论|依据", "indicator|with plan|target|verdict|source"),
    "r_ind_cols_now": ("指标|现状|目标|结论|依据", "indicator|today|target|verdict|source"),
    "r_curve": ("预算—覆盖率曲线", "budget–coverage curve"),
    "r_curve_x": (
        "预算（万元，建设与五年运营合计）",
        "budget (万元, capital and five years' operating)",
    ),
    "r_curve_y": ("覆盖率（%）", "coverage (%)"),
    "r_knee": ("拐点 {b:,.0f} 万元", "knee {b:,.0f} 万元"),
    "r_plan_point": ("本方案", "this plan"),
    "r_no_curve": ("未计算预算曲线", "no budget curve computed"),
    "r_spend": ("分项支出（万元）", "spend by line (万元)"),
    "r_gaps": ("规则缺口", "rule gaps"),
    "r_no_gaps": ("无：每条规则都已满足", "none: every rule is met"),
    "r_gap_line": ("{rule}：缺 {n} 个（{names}）", "{rule}: {n} missing ({names})"),
    "r_more": ("等", "…"),
    "r_no_plan": (
        "本情景未设选址（[optimize] 或 [budget]），仅示现状",
        "no siting stage in this scenario ([optimize] or [budget]): today only",
    ),
    "r_no_spend": ("本方案无支出", "nothing spent"),
    "r_footer": (
        "数据：{data}（情景 sha256 {sha}）。指标依据见“依据”列（政策文件编号，见 POLICY_RULES.md）；"
        "老年人名册只以汇总数出现。",
        "Data: {data} (scenario sha256 {sha}). Each indicator's rule is in the “source” column "
        "(policy document numbers, see POLICY_RULES.md); the roster appears only as counts.",
    ),
    "r_scale": ("{n} 千米", "{n} km"),
    "r_north": ("北", "N"),
}
_t = labeller(_LABELS)

_VERDICT_COLOURS = {"pass": "#1a9850", "fail": "#d73027"}


def require_font() -> str:
    """The installed CJK font the page is drawn with; an error naming the fix without one."""
    font = cjk_font()
    if font is None:
        from siting.equity import CJK_FONTS

        raise OutputError(
            "the one-page report needs a Chinese font (names of 社区/村 and 街道/镇 are Chinese); "
            "nothing was written",
            [
                Problem(
                    "fonts",
                    f"none of {', '.join(CJK_FONTS)} is installed",
                    hint="install one, e.g. `sudo apt-get install fonts-noto-cjk`, then run again",
                )
            ],
        )
    return font


def _fit(text: str, size: float, width_pt: float) -> float:
    """The font size (at most ``size``) at which ``text`` fits ``width_pt``: a CJK character is
    about one em wide (bold), another about 0.6."""
    ems = sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text)
    return min(size, width_pt / max(ems, 1.0))


def _map_panel(ax, inputs: Inputs, per_community: pd.DataFrame, proposed, lang: Language) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    from siting.maps import COVERAGE_BINS, NO_DATA_COLOUR, TYPE_STYLE, coverage_colour

    crs = inputs.communities.crs
    if crs is None or not crs.is_projected:  # metres for the scale bar
        crs = inputs.communities.estimate_utm_crs()
    com = inputs.communities.to_crs(crs)
    pct = dict(zip(per_community["code"].astype(str), per_community["coverage_pct"], strict=True))
    colours = [coverage_colour(pct.get(str(c))) for c in com["code"]]
    com.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.3)
    inputs.streets.to_crs(crs).boundary.plot(ax=ax, color="#333333", linewidth=0.8)
    markers = {
        "square": "s",
        "circle": "o",
        "triangle": "^",
        "diamond": "D",
        "house": "p",
    }
    handles: list[Any] = []
    fac = inputs.facilities
    if fac is not None and len(fac):
        fac = fac.to_crs(crs)
        for t, (colour, shape) in TYPE_STYLE.items():
            sel = fac[fac["type"] == t]
            if not len(sel):
                continue
            ax.scatter(
                sel.geometry.x,
                sel.geometry.y,
                s=9,
                marker=markers.get(shape, "o"),
                c=colour,
                edgecolors="white",
                linewidths=0.3,
                zorder=3,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker=markers.get(shape, "o"),
                    color=colour,
                    markersize=4,
                    label=i18n_label(t, lang),
                )
            )
    if proposed is not None and len(proposed):
        p = proposed.to_crs(crs)
        ax.scatter(
            p.geometry.x,
            p.geometry.y,
            s=38,
            marker="*",
            c=[TYPE_STYLE.get(str(t), ("#000000", ""))[0] for t in p["type"]],
            edgecolors="black",
            linewidths=0.4,
            zorder=4,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="*",
                color="#ffffff",
                markeredgecolor="black",
                markersize=7,
                label=_t("r_proposed", lang),
            )
        )
    bins = [
        Patch(
            facecolor=c,
            edgecolor="none",
            label=f"≥ {low:g}%" if low else f"< {COVERAGE_BINS[1][0]:g}%",
        )
        for low, c in reversed(COVERAGE_BINS)
    ]
    bins.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="none", label=_t("r_no_data", lang)))
    first = ax.legend(
        handles=bins, loc="lower left", fontsize=6, frameon=True, framealpha=0.9, borderpad=0.4
    )
    ax.add_artist(first)
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            fontsize=6,
            frameon=True,
            framealpha=0.9,
            borderpad=0.4,
        )
    ax.set_axis_off()
    ax.set_aspect("equal")
    w, _s, e, _n = com.total_bounds
    fifth = (e - w) / 5000  # km
    km = max((n for n in (1, 2, 5, 10, 20, 50) if n <= max(fifth, 1)), default=1)
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            km * 1000,
            _t("r_scale", lang, n=km),
            "lower right",
            pad=0.4,
            frameon=False,
            size_vertical=(e - w) / 300,
            fontproperties={"size": 7},
        )
    )
    ax.annotate(
        _t("r_north", lang),
        xy=(0.97, 0.97),
        xytext=(0.97, 0.88),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=8,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1},
    )


def _kpis(
    siting: SitingResult | None, coverage: CoverageResult, lang: Language
) -> list[tuple[str, str]]:
    if siting is None:
        return [(_t("r_kpi_cov", lang), f"{coverage.coverage_pct:.1f}%")]
    s = siting.summary
    b = siting.budget  # the total's rows, else the budget lines' (each its own pot)
    rows = b[b["budget"] == "total"] if (b["budget"] == "total").any() else b
    caps = rows["cap_wan_yuan"].astype(float)
    money = f"{float(rows['spend_wan_yuan'].sum()):,.0f}"
    if len(caps) and np.isfinite(caps).all():
        money += f" / {float(caps.sum()):,.0f}"
    newly = s.get("newly_covered_final", s.get("newly_covered", 0.0))
    return [
        (
            _t("r_kpi_cov", lang),
            f"{s['coverage_before_pct']:.1f}% → {s['coverage_after_pct']:.1f}%",
        ),
        (_t("r_kpi_new", lang), f"{float(newly):,.0f}"),
        (_t("r_kpi_sites", lang), f"{int(s['n_new_sites']):,}"),
        (_t("r_kpi_money", lang), money),
    ]


def _indicator_rows(indicators, lang: Language) -> list[tuple[list[str], str]]:
    rows = []
    for item in indicators.items:
        digits = item.digits

        def num(x: float | None, digits: int = digits) -> str:
            if x is None or (isinstance(x, float) and math.isnan(x)):
                return "—"
            return f"{x:,.{digits}f}"

        comparison = {">=": "≥ ", "<=": "≤ "}.get(item.comparison, "")
        unit = i18n_label(f"unit_{item.unit}", lang)
        target = (
            "—"
            if item.target is None or (isinstance(item.target, float) and math.isnan(item.target))
            else f"{comparison}{num(item.target)} {unit}".strip()
        )
        rows.append(
            (
                [
                    i18n_label(f"ind_{item.key}", lang),
                    f"{num(item.value)} {unit}".strip(),
                    target,
                    i18n_label(f"status_{item.status}", lang),
                    item.source,
                ],
                item.status,
            )
        )
    return rows


def _table_panel(
    ax, rows: list[tuple[list[str], str]], header: list[str], lang: Language = "zh"
) -> None:
    import textwrap

    ax.set_axis_off()
    cells = []
    for r, _status in rows:
        r = list(r)
        r[0] = "\n".join(textwrap.wrap(r[0], 18 if lang == "zh" else 40)) or r[0]
        r[4] = "\n".join(textwrap.wrap(r[4], 30)) or r[4]
        cells.append(r)
    table = ax.table(
        cellText=cells,
        colLabels=header,
        loc="upper center",
        cellLoc="left",
        colWidths=[0.31, 0.14, 0.15, 0.14, 0.26],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(5.8)
    row_lines = [1] + [max(c.count("\n") + 1 for c in r) for r in cells]
    unit = min(0.05, 0.99 / sum(row_lines))  # every row on the panel, however many
    for (i, j), cell in table.get_celld().items():
        cell.set_edgecolor("#cccccc")
        cell.set_linewidth(0.4)
        cell.set_height(unit * row_lines[i])
        if i == 0:
            cell.set_facecolor("#f0f0f0")
            cell.get_text().set_fontweight("bold")
        elif j == 3:
            status = rows[i - 1][1]
            cell.get_text().set_color(_VERDICT_COLOURS.get(status, "#555555"))
            cell.get_text().set_fontweight("bold")


def _curve_panel(
    ax, curve: BudgetCurve | None, siting: SitingResult | None, lang: Language
) -> None:
    ax.set_title(_t("r_curve", lang), fontsize=9, loc="left", fontweight="bold")
    if curve is None:
        ax.text(
            0.5, 0.5, _t("r_no_curve", lang), ha="center", va="center", fontsize=8, color="#777777"
        )
        ax.set_axis_off()
        return
    pts = curve.points
    ok = pts[pts["status"] != "infeasible"]
    ax.plot(ok["budget_wan_yuan"], ok["coverage_pct"], "-o", color="#2166ac", markersize=3, lw=1.2)
    knee = ok[ok["knee"].fillna(False).astype(bool)] if "knee" in ok else ok.iloc[:0]
    if len(knee):
        k = knee.iloc[0]
        ax.plot([k["budget_wan_yuan"]], [k["coverage_pct"]], "D", color="#e66101", markersize=5)
        ax.annotate(
            _t("r_knee", lang, b=float(k["budget_wan_yuan"])),
            (k["budget_wan_yuan"], k["coverage_pct"]),
            textcoords="offset points",
            xytext=(6, -12),
            fontsize=7,
            color="#e66101",
        )
    if siting is not None:
        s = siting.summary
        ax.plot(
            [s["spent_wan_yuan"]], [s["coverage_after_pct"]], "*", color="#b2182b", markersize=9
        )
        ax.annotate(
            _t("r_plan_point", lang),
            (s["spent_wan_yuan"], s["coverage_after_pct"]),
            textcoords="offset points",
            xytext=(7, -9),
            fontsize=7,
            color="#b2182b",
        )
    ax.set_xlabel(_t("r_curve_x", lang), fontsize=7)
    ax.set_ylabel(_t("r_curve_y", lang), fontsize=7)
    ax.tick_params(labelsize=6.5)
    ax.grid(True, lw=0.3, color="#dddddd")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _spend_panel(ax, siting: SitingResult | None, lang: Language) -> None:
    from siting.maps import TYPE_STYLE

    ax.set_title(_t("r_spend", lang), fontsize=9, loc="left", fontweight="bold")
    if siting is None or not len(siting.money) or float(siting.money["wan_yuan"].sum()) <= 0:
        ax.text(
            0.5,
            0.5,
            _t("r_no_plan" if siting is None else "r_no_spend", lang),
            ha="center",
            va="center",
            fontsize=8,
            color="#777777",
        )
        ax.set_axis_off()
        return
    levels = siting.settings.costs.levels
    by_line = spend_by_line(siting)
    lines, values = list(by_line), list(by_line.values())
    names = [
        f"{i18n_label(f'line_{ln}', lang)}（{i18n_label(f'level_{levels[ln]}', lang)}）"
        if lang == "zh"
        else f"{i18n_label(f'line_{ln}', lang)} ({i18n_label(f'level_{levels[ln]}', lang)})"
        for ln in lines
    ]
    palette = [c for c, _ in TYPE_STYLE.values()]
    import textwrap

    names = ["\n".join(textwrap.wrap(n, 22)) for n in names]
    ax.barh(names[::-1], values[::-1], color=palette[: len(values)][::-1], height=0.6)
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,.1f}", va="center", fontsize=6.5)
    ax.tick_params(labelsize=6.5)
    ax.set_xlim(0, max(values) * 1.25)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _gap_lines(siting: SitingResult | None, lang: Language, *, shown: int = 4) -> list[str]:
    if siting is None:
        return []
    g = siting.gaps
    if not len(g):
        return [_t("r_no_gaps", lang)]
    out = []
    sep = "、" if lang == "zh" else ", "
    for rule, part in g.groupby("rule", sort=False):
        names = [str(n) for n in part["name"]]
        text = sep.join(names[:shown]) + (_t("r_more", lang) if len(names) > shown else "")
        out.append(
            _t("r_gap_line", lang, rule=i18n_label(f"rule_{rule}", lang), n=len(names), names=text)
        )
    return out


def report_curve(
    siting: SitingResult | None,
    inputs: Inputs,
    coverage: CoverageResult,
    graph: Any,
    *,
    curve: bool = True,
) -> BudgetCurve | None:
    """The budget–coverage curve for the page: the one-period siting's problem swept over its
    budgets (:func:`siting.curve.budget_curve`); None without a siting stage, for a multi-year
    plan (its years are in ``plan_years.csv``) or with ``curve=False``."""
    if not curve or siting is None or siting.settings.years:
        return None
    from siting.curve import budget_curve
    from siting.model import build_problem

    return budget_curve(build_problem(inputs, coverage, graph=graph, settings=siting.settings))


def report_figure(
    inputs: Inputs,
    coverage: CoverageResult,
    *,
    siting: SitingResult | None = None,
    curve: BudgetCurve | None = None,
    lang: Language = "zh",
    paper: Literal["a4", "a3"] = "a4",
    date: dt.date | None = None,
):
    """The report page as a matplotlib figure (landscape ``paper``)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from siting import __version__
    from siting.maps import coverage_tables, proposed_layer

    if paper not in PAPERS:
        raise OutputError(
            f"unknown paper size {paper!r}",
            [Problem("paper", f"{paper!r} is not one of {', '.join(PAPERS)}")],
        )
    font = require_font()
    date = date or dt.date.today()
    name = inputs.scenario.settings.get("scenario", {}).get("name_en") if lang == "en" else None
    name = name or inputs.scenario.name
    if siting is not None:
        _before, per_community = coverage_tables(siting)
        proposed = proposed_layer(siting)
        indicators = siting.indicators or coverage.indicators
        map_title, cols = _t("r_map_after", lang), _t("r_ind_cols", lang)
    else:
        per_community = coverage.communities.reset_index()
        proposed = None
        indicators = coverage.indicators
        map_title, cols = _t("r_map_now", lang), _t("r_ind_cols_now", lang)

    scale = PAPERS[paper][0] / PAPERS["a4"][0]
    with plt.rc_context(
        {
            "font.family": [font, "DejaVu Sans"],
            "font.size": 8 * scale,
            "axes.unicode_minus": False,
            "pdf.fonttype": 42,
            "svg.fonttype": "none",
        }
    ):
        fig = plt.figure(figsize=PAPERS[paper])
        left = fig.add_gridspec(
            2,
            2,
            left=0.045,
            right=0.49,
            top=0.86,
            bottom=0.11,
            height_ratios=[3, 1.2],
            hspace=0.18,
            wspace=0.55,
        )
        right = fig.add_gridspec(
            3,
            1,
            left=0.53,
            right=0.985,
            top=0.9,
            bottom=0.06,
            height_ratios=[0.38, 3.4, 0.75],
            hspace=0.22,
        )
        title = _t("r_title", lang, name=name)
        fig.text(
            0.03,
            0.955,
            title,
            fontsize=_fit(title, 15, 0.94 * PAPERS[paper][0] * 72 / scale) * scale,
            fontweight="bold",
        )
        fig.text(
            0.03,
            0.925,
            _t("r_sub", lang, date=date.isoformat(), version=__version__),
            fontsize=7.5 * scale,
            color="#555555",
        )
        ax_map = fig.add_subplot(left[0, :])
        ax_map.set_title(map_title, fontsize=9, loc="left", fontweight="bold")
        _map_panel(ax_map, inputs, per_community, proposed, lang)
        _curve_panel(fig.add_subplot(left[1, 0]), curve, siting, lang)
        _spend_panel(fig.add_subplot(left[1, 1]), siting, lang)

        ax_kpi = fig.add_subplot(right[0, 0])
        ax_kpi.set_axis_off()
        kpis = _kpis(siting, coverage, lang)
        x = 0.0
        for (label_text, value), width in zip(kpis, (0.34, 0.22, 0.16, 0.28), strict=False):
            ax_kpi.text(
                x,
                0.78,
                label_text,
                fontsize=7 if lang == "zh" else 6,
                color="#555555",
                transform=ax_kpi.transAxes,
            )
            ax_kpi.text(x, 0.12, value, fontsize=11, fontweight="bold", transform=ax_kpi.transAxes)
            x += width

        ax_ind = fig.add_subplot(right[1, 0])
        ax_ind.set_title(_t("r_indicators", lang), fontsize=9, loc="left", fontweight="bold")
        _table_panel(ax_ind, _indicator_rows(indicators, lang), cols.split("|"), lang)

        ax_gap = fig.add_subplot(right[2, 0])
        ax_gap.set_axis_off()
        ax_gap.set_title(_t("r_gaps", lang), fontsize=9, loc="left", fontweight="bold")
        gaps = _gap_lines(siting, lang) or [_t("r_no_plan", lang)]
        import textwrap

        wrapped = []
        for line in gaps:  # Chinese wraps anywhere, English at spaces
            if lang == "zh":
                wrapped.extend(line[i : i + 56] for i in range(0, len(line), 56))
            else:
                wrapped.extend(textwrap.wrap(line, 100) or [line])
        ax_gap.text(
            0, 1, "\n".join(wrapped[:7]), va="top", fontsize=6.8, transform=ax_gap.transAxes
        )

        meta = inputs.scenario.settings.get("scenario", {})
        data = (
            " ".join(str(meta[k]) for k in ("district_name", "district_code") if meta.get(k))
            or name
        )
        sha = (inputs.scenario.sha256 or "")[:12] or "—"
        fig.text(
            0.03,
            0.025,
            _t("r_footer", lang, data=data, sha=sha),
            fontsize=6.5 * scale,
            color="#555555",
        )
    return fig


def render_report(fig, *, dpi: int = 150) -> tuple[bytes, bytes]:
    """(PDF, PNG) bytes of the page, with no creation date (same inputs, same bytes)."""
    import matplotlib.pyplot as plt

    pdf, png = io.BytesIO(), io.BytesIO()
    fig.savefig(
        pdf, format="pdf", metadata={"CreationDate": None, "Producer": None, "Creator": None}
    )
    fig.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return pdf.getvalue(), png.getvalue()


def write_report(
    inputs: Inputs,
    coverage: CoverageResult,
    out_dir: str | Path,
    *,
    siting: SitingResult | None = None,
    curve: BudgetCurve | None = None,
    lang: Language = "zh",
    paper: Literal["a4", "a3"] = "a4",
    date: dt.date | None = None,
    stem: str = "report",
) -> tuple[Path, Path]:
    """Write ``<stem>.pdf`` and ``<stem>.png`` into ``out_dir`` (both, or neither: inside a
    :class:`~siting.transaction.Transaction` they are published with the command's other files)."""
    fig = report_figure(
        inputs, coverage, siting=siting, curve=curve, lang=lang, paper=paper, date=date
    )
    pdf, png = render_report(fig)
    out_dir = Path(out_dir)
    paths = (out_dir / f"{stem}.pdf", out_dir / f"{stem}.png")
    for path, data in zip(paths, (pdf, png), strict=True):
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    log.info("write_report wrote %s and %s", *paths)
    return paths


def gap_counts(siting: SitingResult | None) -> dict[str, int]:
    """Units left without their facility, by rule (what the page's gap lines count)."""
    if siting is None or not len(siting.gaps):
        return {}
    return {str(k): int(v) for k, v in siting.gaps.groupby("rule", sort=False).size().items()}


def spend_by_line(siting: SitingResult | None) -> dict[str, float]:
    """万元 by cost line (the page's bars)."""
    if siting is None or not len(siting.money):
        return {}
    s = siting.money.groupby("line")["wan_yuan"].sum()
    return {ln: round(float(s[ln]), 2) for ln in LINES if s.get(ln, 0.0) > 0}
