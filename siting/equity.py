"""Is the plan fair between 社区 and 村? Gini, Lorenz curve and Theil index of a per-unit measure.

A *measure* gives each 社区/村 (a *unit*) one value ``y_i ≥ 0`` and one population weight
``p_i ≥ 0`` (:class:`UnitMeasure`). Inequality is measured across the **people**, not the
polygons: every older person of unit ``i`` counts once and carries the unit's value, so a 村 of
300 older people weighs a tenth of a 社区 of 3,000. Formally the indices below are those of the
*expanded sample* in which unit ``i`` appears ``p_i`` times (the tests check exactly that, with
integer weights, against PySAL ``inequality``); real-valued weights extend the same formulas.

Weighting
---------
- **coverage** (``coverage``): ``y_i`` = the share of the unit's older people (60+) within the
  walk of a home-care facility (:mod:`siting.coverage`), ``p_i`` = its older people (base year
  before the plan, the final plan year's grown demand after it). The weighted mean ``μ`` is then
  the district's coverage, and the Lorenz curve says which share of the *covered* older people
  the worst-covered share of *all* older people holds.
- **priority groups** (``coverage`` weighted by ``pop_80p``, ``n_disabled``, ``n_extreme_poor``,
  ``n_living_alone``): the same per-unit coverage, weighted by the unit's count of the group (grown
  like the unit's older people in the final year). What exists per unit: the communities count
  each group, but coverage is kept per demand point for the older people and for weighted demand
  only — no per-group coverage exists per 社区/村. Within a unit the counts are spread like the
  elderly (:mod:`siting.demand`), so the group's coverage in a unit is taken to be the unit's; these
  rows say whether a group lives in the well or the badly covered units. With a roster placing the
  groups at their homes (``[demand] roster = "homes"``) a group's own coverage inside a unit can
  differ from this and is not kept per group (:class:`~siting.demand.Demand` keeps no per-person
  record), so it is not measured here.
- **weighted demand** (``weighted_coverage``, only when ``[demand]`` gives a weight ≠ 1): ``y_i``
  = the share of the unit's weighted demand covered, ``p_i`` = its weighted demand. With the
  roster's people at their homes, both figures of every unit are first rounded as published
  (:func:`siting.disclosure.round_weighted`): these rows are computed from published figures.
- **any other per-unit value** (:func:`unit_measure`), e.g. an accessibility score per 社区/村
  from a column of a table: the caller names the value and the weight columns.

Units whose weight is 0 are left out (a 社区/村 without older people has no coverage share); a
unit with a positive weight must have a finite value ``≥ 0``.

Formulas
--------
With ``P = Σ p_i`` and the weighted mean ``μ = Σ p_i y_i / P``:

- **Gini** ``G = Σ_i Σ_j p_i p_j |y_i − y_j| / (2 P² μ)``, computed sorted by ``y``:
  ``G = Σ_i p_i y_i (C_{i−1} + C_i − P) / (P² μ)`` with ``C_i`` the weight of the units up to
  ``i``. 0 when every older person has the same value; ``1 − p_k/P`` when unit ``k`` holds all.
- **Lorenz curve**: units sorted by ``y`` ascending; the points ``(C_i / P, Σ_{j≤i} p_j y_j /
  (P μ))`` from ``(0, 0)`` to ``(1, 1)``, straight between. ``G`` is one minus twice the area under
  it: ``G = 1 − Σ_i (X_i − X_{i−1})(L_i + L_{i−1})``.
- **Theil T** ``T = (1/P) Σ_i p_i (y_i/μ) ln(y_i/μ)`` (``0 · ln 0 = 0``); 0 when equal.
- **decomposition by unit kind** ``k`` (社区, 村): with ``P_k``, ``μ_k`` the kind's weight and
  mean and ``s_k = P_k μ_k / (P μ)`` its share of the measure's total (of the covered older
  people), ``T = T_between + T_within``, ``T_between = Σ_k s_k ln(μ_k / μ)`` (the gap between
  社区 and 村: 0 when both have the district's mean) and ``T_within = Σ_k s_k T_k``. A kind without
  units (or weight) takes no part; a kind with ``μ_k = 0`` contributes 0 to both (``s_k = 0``).

When ``μ = 0`` (nobody covered anywhere) Gini, Theil and the Lorenz curve are undefined: they are
NaN (written empty) and no curve is drawn; with no unit at all every figure is NaN. Both indices
are scale-free: a share and a percentage give the same figures.

Outputs: :func:`result_equity` (a plan's or a siting's before/after table), :func:`equity_frame`
(the display table, written as ``plan_equity.csv`` / ``siting_equity.csv`` by
:mod:`siting.reports`, per plan as ``comparison_equity.csv`` by :mod:`siting.compare`) and
:func:`lorenz_png` (the figure, ``lorenz.png`` / ``plan_lorenz.png`` / ``comparison_lorenz.png``).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from siting.i18n import Language, labeller
from siting.i18n import label as i18n_label

if TYPE_CHECKING:
    from siting.model.result import SitingResult

__all__ = [
    "EQUITY_LABELS",
    "Equity",
    "Inequality",
    "LorenzLine",
    "UnitMeasure",
    "cjk_font",
    "comparison_lines",
    "equity_frame",
    "equity_of",
    "gini",
    "inequality",
    "lorenz_curve",
    "lorenz_lines",
    "lorenz_png",
    "result_equity",
    "result_measures",
    "theil",
    "theil_decomposition",
    "unit_measure",
]

log = logging.getLogger(__name__)

#: Unit kinds, in the order of the tables.
KINDS: tuple[str, ...] = ("community", "village")

#: Priority groups: the communities' count column of each (:data:`siting.demand.GROUP_COLUMNS`).
GROUPS: tuple[str, ...] = ("pop_80p", "n_disabled", "n_extreme_poor", "n_living_alone")

Stage = Literal["before", "final", "after", "now"]

#: Labels of the equity tables and figure (zh, en); other keys fall back to :mod:`siting.i18n`.
EQUITY_LABELS: dict[str, tuple[str, str]] = {
    "sheet_siting_equity": ("公平性", "equity"),
    "sheet_plan_equity": ("公平性", "equity"),
    "sheet_comparison_equity": ("公平性对比", "equity compared"),
    "cli_equity": (
        "公平性：社区/村之间覆盖的基尼系数与泰尔指数（按老年人数加权）",
        "Equity: Gini and Theil of coverage across 社区/村 (weighted by older people)",
    ),
    "eq_measure": ("指标", "measure"),
    "eq_weight": ("加权依据", "weighted by"),
    "eq_stage": ("阶段", "stage"),
    "eq_year": ("年份", "year"),
    "eq_scope": ("范围", "scope"),
    "eq_n_units": ("社区/村数", "units"),
    "eq_population": ("权重合计", "weight total"),
    "eq_mean": ("加权平均", "weighted mean"),
    "eq_unit": ("单位", "unit"),
    "eq_gini": ("基尼系数", "Gini"),
    "eq_theil": ("泰尔指数", "Theil T"),
    "eq_theil_between": ("泰尔组间(社区与村之间)", "Theil between 社区 and 村"),
    "eq_theil_within": ("泰尔组内(社区内、村内)", "Theil within 社区 and 村"),
    "eq_theil_between_short": ("泰尔组间", "Theil between"),
    "eq_theil_within_short": ("泰尔组内", "Theil within"),
    "eq_between_share": ("组间占比(%)", "between share (%)"),
    "eq_covered_share": ("占已覆盖老年人(%)", "share of the older people covered (%)"),
    "eq_weight_share": ("权重占比(%)", "share of the weight (%)"),
    "eq_value_share": ("指标总量占比(%)", "share of the measure's total (%)"),
    "eq_m_coverage": ("老年人步行覆盖率", "walking coverage of the elderly"),
    "eq_m_weighted_coverage": ("加权需求覆盖率", "coverage of the weighted demand"),
    "eq_w_elderly": ("60岁及以上老年人数", "older people (60+)"),
    "eq_w_weighted": ("加权需求", "weighted demand"),
    "eq_w_pop_80p": ("80岁及以上老人数", "people aged 80+"),
    "eq_w_n_disabled": ("失能半失能老人数", "disabled older people"),
    "eq_w_n_extreme_poor": ("特困老人数", "older people in extreme poverty"),
    "eq_w_n_living_alone": ("独居空巢老人数", "older people living alone"),
    "eq_stage_before": ("现状", "before the plan"),
    "eq_stage_final": ("规划末年", "final plan year"),
    "eq_stage_after": ("规划后", "after the plan"),
    "eq_stage_now": ("现状", "today"),
    "eq_scope_district": ("全区", "district"),
    "eq_scope_community": ("社区", "社区 (communities)"),
    "eq_scope_village": ("村", "村 (villages)"),
    "eq_unit_pct": ("%", "%"),
    "eq_title": (
        "各社区/村老年人步行覆盖的洛伦兹曲线（按老年人数加权）",
        "Lorenz curve of walking coverage across communities and villages (by older people)",
    ),
    "eq_x": (
        "老年人累计占比（社区/村按覆盖率由低到高排列）",
        "cumulative share of older people (communities/villages, least covered first)",
    ),
    "eq_y": ("已覆盖老年人累计占比", "cumulative share of the older people covered"),
    "eq_equality": ("完全均衡线", "line of equality"),
    "eq_line": ("{what}：基尼系数 {gini}", "{what}: Gini {gini}"),
    "eq_line_year": ("{what}（{year}年）：基尼系数 {gini}", "{what} ({year}): Gini {gini}"),
    "eq_note": (
        "曲线越靠近对角线，覆盖在老年人之间分布越均衡；基尼系数 0 为完全均衡。",
        "The closer to the diagonal, the more evenly coverage is shared; Gini 0 = equal.",
    ),
    "eq_undefined": ("{what}：无人覆盖，无法绘制", "{what}: nobody covered, no curve"),
}

_t = labeller(EQUITY_LABELS)


# --------------------------------------------------------------------------------------------
# the indices


def _clean(values: Any, weights: Any | None) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights as float arrays, units of weight 0 left out; checks both."""
    y = np.asarray(values, dtype=float).ravel()
    p = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float).ravel()
    if len(p) != len(y):
        raise ValueError(f"{len(y)} values but {len(p)} weights: give one weight per unit")
    bad_w = ~np.isfinite(p) | (p < 0)
    if bad_w.any():
        raise ValueError(
            f"{int(bad_w.sum())} weights are negative or not finite (first {p[bad_w][0]!r}): "
            "a population weight is a count ≥ 0"
        )
    keep = p > 0
    y, p = y[keep], p[keep]
    bad_y = ~np.isfinite(y) | (y < 0)
    if bad_y.any():
        raise ValueError(
            f"{int(bad_y.sum())} units with a positive weight have a negative or missing value "
            f"(first {y[bad_y][0]!r}): Gini and Theil need values ≥ 0"
        )
    return y, p


def gini(values: Any, weights: Any | None = None) -> float:
    """Population-weighted Gini coefficient of ``values`` (module notes); NaN when the mean is 0.

    >>> gini([0.0, 1.0])  # two equal units, one holds everything: |0 − 1| · 2 / (2 · 2² · ½)
    0.5
    >>> round(gini([0.0, 1.0], [3, 1]), 12)  # three people at 0, one at 1 (expanded sample)
    0.75
    """
    y, p = _clean(values, weights)
    P = math.fsum(p)
    total = math.fsum(p * y)
    if P <= 0 or total <= 0:
        return float("nan")
    order = np.argsort(y, kind="stable")
    y, p = y[order], p[order]
    c = np.cumsum(p)
    c_prev = c - p
    return float(math.fsum(p * y * (c_prev + c - P)) / (P * total))


def lorenz_curve(values: Any, weights: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve's points ``(x, y)``: cumulative population share and cumulative share of
    the measure's total, units sorted by value, from ``(0, 0)`` to ``(1, 1)``.

    Empty arrays when the mean is 0 (undefined).

    >>> lorenz_curve([0.0, 1.0])
    (array([0. , 0.5, 1. ]), array([0., 0., 1.]))
    """
    y, p = _clean(values, weights)
    P = math.fsum(p)
    total = math.fsum(p * y)
    if P <= 0 or total <= 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(y, kind="stable")
    y, p = y[order], p[order]
    x = np.concatenate([[0.0], np.cumsum(p) / P])
    share = np.concatenate([[0.0], np.cumsum(p * y) / total])
    x[-1] = share[-1] = 1.0  # exact ends (the sums are exact to rounding)
    return x, share


def _theil_terms(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """(P, μ, T) of cleaned values and weights; T NaN when μ = 0."""
    P = math.fsum(p)
    if P <= 0:
        return 0.0, float("nan"), float("nan")
    mu = math.fsum(p * y) / P
    if mu <= 0:
        return P, 0.0, float("nan")
    r = y / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, p * r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return P, mu, math.fsum(terms) / P


def theil(values: Any, weights: Any | None = None) -> float:
    """Population-weighted Theil T index of ``values`` (module notes); NaN when the mean is 0.

    >>> round(theil([0.0, 1.0]), 12) == round(math.log(2), 12)  # one of two holds everything
    True
    """
    y, p = _clean(values, weights)
    return _theil_terms(y, p)[2]


def theil_decomposition(
    values: Any, weights: Any | None, groups: Any
) -> tuple[float, float, float, pd.DataFrame]:
    """Theil T split into between and within ``groups``: ``(T, between, within, per_group)``.

    ``per_group`` has one row per distinct group (sorted): ``group``, ``n_units``,
    ``population`` (``P_k``), ``mean`` (``μ_k``), ``theil`` (``T_k``), ``weight_share``
    (``P_k/P``) and ``value_share`` (``s_k``). ``T = between + within`` to rounding.
    """
    y = np.asarray(values, dtype=float).ravel()
    p = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float).ravel()
    g = np.asarray(groups, dtype=object).ravel()
    if len(g) != len(y):
        raise ValueError(f"{len(y)} values but {len(g)} group labels: give one per unit")
    y_all, p_all = _clean(y, p)
    keep = p > 0
    g = g[keep]
    P, mu, T = _theil_terms(y_all, p_all)
    rows = []
    between = within = 0.0
    for k in sorted(set(g.tolist()), key=str):
        sel = g == k
        Pk, mk, Tk = _theil_terms(y_all[sel], p_all[sel])
        sk = Pk * mk / (P * mu) if mu and mu > 0 else float("nan")
        rows.append(
            {
                "group": k,
                "n_units": int(sel.sum()),
                "population": Pk,
                "mean": mk,
                "theil": Tk,
                "weight_share": Pk / P if P > 0 else float("nan"),
                "value_share": sk,
            }
        )
        if mu > 0 and sk > 0:
            between += sk * math.log(mk / mu)
            within += sk * Tk
    if not (mu > 0):
        between = within = float("nan")
    frame = pd.DataFrame(
        rows,
        columns=["group", "n_units", "population", "mean", "theil", "weight_share", "value_share"],
    )
    return T, between, within, frame


@dataclass(frozen=True)
class Inequality:
    """Inequality of one measure across the units (all of them, and each kind apart).

    Attributes
    ----------
    n_units, population, mean
        Units with a positive weight, their weight ``P`` and the weighted mean ``μ``.
    gini, theil
        Over every unit (NaN when ``μ = 0``).
    theil_between, theil_within
        Theil's split by kind (``T = between + within``).
    kinds
        One row per kind (:func:`theil_decomposition`'s ``per_group`` with each kind's ``gini``),
        every kind of ``KINDS`` present (0 units when none).
    lorenz_x, lorenz_y
        The Lorenz curve over every unit (empty when undefined).
    """

    n_units: int
    population: float
    mean: float
    gini: float
    theil: float
    theil_between: float
    theil_within: float
    kinds: pd.DataFrame
    lorenz_x: np.ndarray
    lorenz_y: np.ndarray

    @property
    def between_share(self) -> float:
        """Share of Theil's T that lies between the kinds (NaN when T is 0 or undefined)."""
        if not (self.theil > 0):
            return float("nan")
        return self.theil_between / self.theil


def inequality(values: Any, *, weights: Any | None = None, kinds: Any | None = None) -> Inequality:
    """Gini, Theil (split by ``kinds``) and the Lorenz curve of a per-unit measure.

    Parameters
    ----------
    values
        (n,) the measure per unit, ``≥ 0`` where the weight is positive.
    weights
        (n,) population weight per unit (default 1 each).
    kinds
        (n,) unit kind (``community``/``village``; any labels work); default one kind.
    """
    y = np.asarray(values, dtype=float).ravel()
    p = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float).ravel()
    k = (
        np.full(len(y), "all", dtype=object)
        if kinds is None
        else np.asarray(kinds, dtype=object).ravel()
    )
    T, between, within, per = theil_decomposition(y, p, k)
    keep = p > 0
    per["gini"] = [gini(y[keep & (k == g)], p[keep & (k == g)]) for g in per["group"]]
    present = list(per["group"])
    # 社区 and 村 always both (a district without 村 shows 0 村), then any other label
    order = (list(KINDS) if any(g in KINDS for g in k.tolist()) else []) + [
        g for g in present if g not in KINDS
    ]
    per = per.set_index("group").reindex(order)
    absent = ~per.index.isin(present)  # a kind without units: 0 units, 0 weight, 0 of the total
    for col in ("n_units", "population", "weight_share", "value_share"):
        per.loc[absent, col] = 0.0
    per = per.reset_index()
    per["n_units"] = per["n_units"].astype(np.int64)
    yc, pc = _clean(y, p)
    P, mu, _ = _theil_terms(yc, pc)
    x, ly = lorenz_curve(y, p)
    return Inequality(
        n_units=len(yc),
        population=P,
        mean=mu,
        gini=gini(y, p),
        theil=T,
        theil_between=between,
        theil_within=within,
        kinds=per,
        lorenz_x=x,
        lorenz_y=ly,
    )


# --------------------------------------------------------------------------------------------
# measures per 社区/村


@dataclass(frozen=True, eq=False)
class UnitMeasure:
    """One value and one population weight per 社区/村, at one stage.

    Attributes
    ----------
    key
        The measure (``coverage``, ``weighted_coverage`` or the caller's, e.g. ``accessibility``).
    weight
        What weighs the units (``elderly``, ``weighted``, a group column, or the caller's).
    stage
        ``before`` (existing facilities), ``final`` (a plan's final year), ``after`` (after a
        one-period siting) or ``now`` (a measure of today without a plan).
    frame
        ``code``, ``kind`` (community|village), ``value``, ``weight``: one row per unit.
    year
        The stage's year (None: not dated).
    share
        The value is a share (0–1; its mean is shown as a percentage).
    label, weight_label, unit
        (zh, en) names for a caller's measure, weight and unit (None: the built-in labels).
    """

    key: str
    weight: str
    stage: Stage
    frame: pd.DataFrame
    year: int | None = None
    share: bool = True
    label: tuple[str, str] | None = None
    weight_label: tuple[str, str] | None = None
    unit: tuple[str, str] | None = None

    def inequality(self) -> Inequality:
        f = self.frame
        return inequality(f["value"], weights=f["weight"], kinds=f["kind"].astype(str))


def unit_measure(
    frame: pd.DataFrame,
    *,
    value: str,
    weight: str,
    key: str,
    stage: Stage = "now",
    year: int | None = None,
    kind: str = "kind",
    code: str = "code",
    share: bool = False,
    label: tuple[str, str] | None = None,
    weight_label: tuple[str, str] | None = None,
    unit: tuple[str, str] | None = None,
) -> UnitMeasure:
    """A measure from columns of a per-社区/村 table (the plug-in for any per-unit value).

    For example accessibility scores per 社区/村 weighted by the older people::

        unit_measure(scores, value="access_score", weight="elderly", key="accessibility",
                     label=("养老服务可达性", "accessibility"), unit=("分", "score"))

    and :func:`equity_of` / ``result_equity(..., extra=[...])`` measure it like the coverage.
    """
    missing = [c for c in (value, weight, kind, code) if c not in frame.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {missing}; it has {list(frame.columns)}")
    out = pd.DataFrame(
        {
            "code": frame[code].astype(str).to_numpy(),
            "kind": frame[kind].astype(str).to_numpy(),
            "value": frame[value].to_numpy(dtype=float),
            "weight": frame[weight].to_numpy(dtype=float),
        }
    )
    return UnitMeasure(
        key=key,
        weight=weight,
        stage=stage,
        frame=out,
        year=year,
        share=share,
        label=label,
        weight_label=weight_label,
        unit=unit,
    )


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _group_counts(result: SitingResult) -> dict[str, np.ndarray]:
    """Per community of ``result`` (its order), each priority group's count from the inputs."""
    inputs = getattr(result.problem, "inputs", None)
    if inputs is None:
        return {}
    src = inputs.communities
    codes = result.communities["code"].astype(str)
    idx = pd.Index(src["code"].astype(str)).get_indexer(codes)
    out = {}
    for col in GROUPS:
        if col not in src.columns:
            continue
        v = np.nan_to_num(src[col].to_numpy(dtype=float))
        counts = np.where(idx >= 0, v[np.clip(idx, 0, None)], 0.0)
        if counts.sum() > 0:
            out[col] = counts
    return out


def result_measures(result: SitingResult) -> tuple[UnitMeasure, ...]:
    """The built-in measures of a plan or a siting, before it and in its final year (or after).

    Coverage weighted by the older people, the same coverage weighted by each priority group's
    count, and — when ``[demand]`` gives a weight ≠ 1 — the coverage of the weighted demand
    (rounded as published first; module notes).
    """
    from siting.disclosure import round_weighted, weighted_step

    c = result.communities
    code = c["code"].astype(str).to_numpy()
    kind = c["kind"].astype(str).to_numpy()
    el = c["elderly"].to_numpy(dtype=float)
    el_f = c["elderly_final"].to_numpy(dtype=float)
    cov_b = _share(c["covered_before"].to_numpy(dtype=float), el)
    cov_a = _share(c["covered_after"].to_numpy(dtype=float), el_f)
    years = result.settings.years
    base_year = int(result.settings.base_year) if years else None
    final_year = int(years[-1]) if years else None
    after: Stage = "final" if years else "after"

    def make(key: str, weight: str, stage: Stage, value: np.ndarray, w: np.ndarray) -> UnitMeasure:
        frame = pd.DataFrame({"code": code, "kind": kind, "value": value, "weight": w})
        year = base_year if stage == "before" else final_year
        return UnitMeasure(key=key, weight=weight, stage=stage, frame=frame, year=year)

    out = [
        make("coverage", "elderly", "before", cov_b, el),
        make("coverage", "elderly", after, cov_a, el_f),
    ]
    demand = getattr(result.problem, "demand", None)
    active = demand is not None and bool(demand.weights.active())
    if active and "weighted" in c.columns:
        step = weighted_step(demand)

        def pub(col: str) -> np.ndarray:
            return np.array([round_weighted(v, step) for v in c[col]], dtype=float)

        wb, wf = pub("weighted"), pub("weighted_final")
        out += [
            make("weighted_coverage", "weighted", "before", _share(pub("weighted_covered_before"), wb), wb),
            make("weighted_coverage", "weighted", after, _share(pub("weighted_covered_after"), wf), wf),
        ]  # fmt: skip
    growth = _share(el_f, el)
    for col, counts in _group_counts(result).items():
        grown = np.where(el > 0, counts * np.nan_to_num(growth), 0.0)
        out += [
            make("coverage", col, "before", cov_b, np.where(el > 0, counts, 0.0)),
            make("coverage", col, after, cov_a, grown),
        ]
    return tuple(out)


# --------------------------------------------------------------------------------------------
# the table


_COLUMNS = [
    "measure",
    "weight",
    "stage",
    "year",
    "scope",
    "n_units",
    "population",
    "mean",
    "share",
    "gini",
    "theil",
    "theil_between",
    "theil_within",
    "between_share",
    "weight_share",
    "value_share",
]


@dataclass(frozen=True, eq=False)
class Equity:
    """Inequality of every measure at every stage.

    Attributes
    ----------
    measures
        The measures, in order.
    results
        Their :class:`Inequality`, in the same order.
    table
        One row per measure × stage × scope (``district``, ``community``, ``village``), English
        snake_case columns: ``measure``, ``weight``, ``stage``, ``year``, ``scope``,
        ``n_units``, ``population``, ``mean`` (a share as 0–1 when ``share``), ``share``,
        ``gini``, ``theil``; on the district rows ``theil_between``, ``theil_within``,
        ``between_share``; on the kind rows ``weight_share`` (``P_k/P``) and ``value_share``
        (``s_k``: e.g. the kind's share of the covered older people).
    """

    measures: tuple[UnitMeasure, ...]
    results: tuple[Inequality, ...]
    table: pd.DataFrame

    def row(
        self, measure: str = "coverage", weight: str = "elderly", stage: str = "before",
        scope: str = "district",
    ) -> pd.Series:  # fmt: skip
        """One row of :attr:`table` (KeyError when absent)."""
        t = self.table
        sel = (
            (t["measure"] == measure)
            & (t["weight"] == weight)
            & (t["stage"] == stage)
            & (t["scope"] == scope)
        )
        if not sel.any():
            raise KeyError(f"no equity row {measure}/{weight}/{stage}/{scope}")
        return t[sel].iloc[0]

    def get(self, measure: str, weight: str, stage: str) -> Inequality | None:
        """The :class:`Inequality` of a measure at a stage (None when absent)."""
        for m, r in zip(self.measures, self.results, strict=True):
            if m.key == measure and m.weight == weight and m.stage == stage:
                return r
        return None


def equity_of(measures: Sequence[UnitMeasure]) -> Equity:
    """The inequality of each measure, and the long table of them all."""
    results = tuple(m.inequality() for m in measures)
    rows = []
    for m, r in zip(measures, results, strict=True):
        base = {"measure": m.key, "weight": m.weight, "stage": m.stage, "year": m.year}
        rows.append(
            {
                **base,
                "scope": "district",
                "n_units": r.n_units,
                "population": r.population,
                "mean": r.mean,
                "share": m.share,
                "gini": r.gini,
                "theil": r.theil,
                "theil_between": r.theil_between,
                "theil_within": r.theil_within,
                "between_share": r.between_share,
            }
        )
        for k in r.kinds.itertuples(index=False):
            rows.append(
                {
                    **base,
                    "scope": k.group,
                    "n_units": int(k.n_units),
                    "population": float(k.population),
                    "mean": k.mean,
                    "share": m.share,
                    "gini": k.gini,
                    "theil": k.theil,
                    "weight_share": k.weight_share,
                    "value_share": k.value_share,
                }
            )
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return Equity(measures=tuple(measures), results=results, table=table)


_RESULT_PNG: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def result_lorenz_png(result: SitingResult, *, lang: Language = "zh") -> bytes:
    """``lorenz_png(lorenz_lines(result_equity(result)))``, drawn once per result and language.

    A run draws the plan's Lorenz figure beside its tables and again in its map: the same bytes,
    so the second is the first (results are frozen).
    """
    try:
        cache = _RESULT_PNG.setdefault(result, {})
    except TypeError:  # not weakly referable: no cache
        cache = {}
    if lang not in cache:
        cache[lang] = lorenz_png(lorenz_lines(result_equity(result)), lang=lang)
    return cache[lang]


def result_equity(result: SitingResult, *, extra: Sequence[UnitMeasure] = ()) -> Equity:
    """Equity of a plan or a siting before it and in its final year (or after it), for the
    built-in measures (:func:`result_measures`) and any ``extra`` per-unit measure."""
    eq = equity_of([*result_measures(result), *extra])
    cov = eq.table[(eq.table["measure"] == "coverage") & (eq.table["weight"] == "elderly")]
    dist = cov[cov["scope"] == "district"]
    log.info(
        "result_equity: %s: Gini of coverage %s",
        result.name,
        " → ".join(f"{v:.3f}" for v in dist["gini"]),
    )
    return eq


def _num(digits: int) -> Any:
    def fmt(v: Any) -> Any:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return None
        return round(float(v), digits) if digits else round(float(v))

    return fmt


def _measure_label(m: UnitMeasure | None, key: str, lang: Language) -> str:
    if m is not None and m.label is not None:
        return m.label[0 if lang == "zh" else 1]
    return _t(f"eq_m_{key}", lang)


def _weight_label(m: UnitMeasure | None, key: str, lang: Language) -> str:
    if m is not None and m.weight_label is not None:
        return m.weight_label[0 if lang == "zh" else 1]
    if f"eq_w_{key}" in EQUITY_LABELS:
        return _t(f"eq_w_{key}", lang)
    return i18n_label(key, lang)


def equity_frame(equity: Equity, *, lang: Language = "zh", brief: bool = False) -> pd.DataFrame:
    """The display table of :attr:`Equity.table`, headers and values in ``lang``.

    Shares are shown as percentages (mean, weight and value shares), Gini and Theil to 4
    decimals. ``brief``: the district rows of every measure and the kind rows of the coverage of
    the older people only (what the commands print; the files hold every row).
    """
    t = equity.table
    if brief:
        keep = (t["scope"] == "district") | (
            (t["measure"] == "coverage") & (t["weight"] == "elderly")
        )
        t = t[keep]
    spec = {(m.key, m.weight): m for m in equity.measures}
    four, one, people = _num(4), _num(1), _num(0)

    def pct(v: Any) -> Any:
        return one(None if v is None or pd.isna(v) else 100 * float(v))

    rows = []
    for r in t.itertuples(index=False):
        m = spec.get((r.measure, r.weight))
        if brief:
            rows.append(_brief_row(r, m, lang))
            continue
        unit = (
            _t("eq_unit_pct", lang)
            if r.share
            else ("" if m is None or m.unit is None else m.unit[0 if lang == "zh" else 1])
        )
        mean = pct(r.mean) if r.share else _num(3)(r.mean)
        rows.append(
            {
                _t("eq_measure", lang): _measure_label(m, r.measure, lang),
                _t("eq_weight", lang): _weight_label(m, r.weight, lang),
                _t("eq_stage", lang): _t(f"eq_stage_{r.stage}", lang),
                _t("eq_year", lang): None if r.year is None or pd.isna(r.year) else int(r.year),
                _t("eq_scope", lang): _t(f"eq_scope_{r.scope}", lang),
                _t("eq_n_units", lang): int(r.n_units),
                _t("eq_population", lang): people(r.population),
                _t("eq_mean", lang): mean,
                _t("eq_unit", lang): unit,
                _t("eq_gini", lang): four(r.gini),
                _t("eq_theil", lang): four(r.theil),
                _t("eq_theil_between", lang): four(r.theil_between),
                _t("eq_theil_within", lang): four(r.theil_within),
                _t("eq_between_share", lang): pct(r.between_share),
                _t("eq_weight_share", lang): pct(r.weight_share),
                _t("eq_value_share", lang): pct(r.value_share),
            }
        )
    return pd.DataFrame(rows, dtype=object)


def _brief_row(r: Any, m: UnitMeasure | None, lang: Language) -> dict[str, Any]:
    """A printed row: what weighs, when, where, the mean and the indices (no weights, units)."""
    four, one = _num(4), _num(1)

    def pct(v: Any) -> Any:
        return one(None if v is None or pd.isna(v) else 100 * float(v))

    # the coverage of the older people is the title's: other measures are named
    name = _measure_label(m, r.measure, lang)
    what = "" if r.measure == "coverage" else (f"{name}：" if lang == "zh" else f"{name}: ")
    year = "" if r.year is None or pd.isna(r.year) else f" {int(r.year)}"
    return {
        _t("eq_weight", lang): what + _weight_label(m, r.weight, lang),
        _t("eq_stage", lang): _t(f"eq_stage_{r.stage}", lang) + year,
        _t("eq_scope", lang): _t(f"eq_scope_{r.scope}", lang),
        _t("eq_n_units", lang): int(r.n_units),
        _t("eq_mean", lang) + ("(%)" if r.share else ""): pct(r.mean)
        if r.share
        else _num(3)(r.mean),
        _t("eq_gini", lang): four(r.gini),
        _t("eq_theil", lang): four(r.theil),
        _t("eq_theil_between_short", lang): four(r.theil_between),
        _t("eq_theil_within_short", lang): four(r.theil_within),
        _t("eq_covered_share", lang): pct(r.value_share),
    }


# --------------------------------------------------------------------------------------------
# the Lorenz figure


@dataclass(frozen=True)
class LorenzLine:
    """One curve of the figure: its legend text (without the Gini), points and Gini."""

    name: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    gini: float
    year: int | None = None
    dashed: bool = False


def lorenz_lines(equity: Equity, *, name: tuple[str, str] | None = None) -> list[LorenzLine]:
    """The curves of the coverage of the older people: before, then final year (or after).

    ``name`` (zh, en) replaces the label of the stage after the plan (e.g. a plan's name)."""
    out = []
    for m, r in zip(equity.measures, equity.results, strict=True):
        if m.key != "coverage" or m.weight != "elderly":
            continue
        stage = EQUITY_LABELS[f"eq_stage_{m.stage}"]
        label = name if (name is not None and m.stage != "before") else stage
        out.append(
            LorenzLine(
                name=label,
                x=r.lorenz_x,
                y=r.lorenz_y,
                gini=r.gini,
                year=m.year,
                dashed=m.stage == "before",
            )
        )
    return out


#: Fonts tried for Chinese labels, in order (the first installed is used).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS` (None: none is installed)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


def lorenz_png(
    lines: Sequence[LorenzLine],
    *,
    lang: Language = "zh",
    title: tuple[str, str] | None = None,
) -> bytes:
    """The Lorenz figure as PNG bytes, the same bytes for the same curves.

    The axes, title and note name what is measured; each curve's legend gives its stage (or
    plan), year and Gini; the English labels are plain ASCII. Chinese labels need a CJK font (:data:`CJK_FONTS`, e.g. Noto Sans CJK
    from ``fonts-noto-cjk``); without one the figure is drawn with the English labels (logged),
    never with missing glyphs. The PNG carries no software, date or other varying metadata.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    font = cjk_font() if lang == "zh" else None
    if lang == "zh" and font is None:
        log.warning("lorenz_png: no CJK font installed (%s): English labels", ", ".join(CJK_FONTS))
        lang = "en"
    rc = {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "path.simplify": False,
        "svg.hashsalt": "siting",
    }
    i = 0 if lang == "zh" else 1
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(6.6, 6.6), dpi=120)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.13, 0.15, 0.8, 0.76))
        ax.plot([0, 1], [0, 1], color="#888888", linewidth=1.0, label=_t("eq_equality", lang))
        colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
        n_after = 0
        for line in lines:
            what = line.name[i].replace("$", r"\$")  # plan names are text, not mathtext
            if not len(line.x) or not math.isfinite(line.gini):
                ax.plot([], [], color="#bbbbbb", label=_t("eq_undefined", lang, what=what))
                continue
            g = f"{line.gini:.3f}"
            text = (
                _t("eq_line", lang, what=what, gini=g)
                if line.year is None
                else _t("eq_line_year", lang, what=what, year=line.year, gini=g)
            )
            colour = "#555555" if line.dashed else colours[n_after % len(colours)]
            n_after += 0 if line.dashed else 1
            ax.plot(
                line.x,
                line.y,
                color=colour,
                linewidth=1.8,
                linestyle="--" if line.dashed else "-",
                label=text,
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        percent = PercentFormatter(xmax=1.0, decimals=0)
        ax.xaxis.set_major_formatter(percent)
        ax.yaxis.set_major_formatter(percent)
        ax.set_xlabel(_t("eq_x", lang))
        ax.set_ylabel(_t("eq_y", lang))
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.legend(loc="upper left", fontsize=9, frameon=False)
        ax.set_title((title or EQUITY_LABELS["eq_title"])[i], fontsize=11)
        fig.text(0.5, 0.025, _t("eq_note", lang), ha="center", fontsize=8.5, color="#555555")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def comparison_lines(plans: Sequence[tuple[str, Equity]]) -> list[LorenzLine]:
    """The curves of plans compared: the coverage before (once when every plan starts from the
    same, else once per plan that starts elsewhere, named after it), then each plan's final year
    named after the plan."""
    before: list[LorenzLine] = []
    after: list[LorenzLine] = []
    for name, eq in plans:
        for line in lorenz_lines(eq, name=(name, name)):
            if not line.dashed:
                after.append(line)
                continue
            same = any(
                len(b.x) == len(line.x)
                and np.array_equal(b.x, line.x)
                and np.array_equal(b.y, line.y)
                for b in before
            )
            if not same:
                if before:  # another starting point: say whose
                    zh, en = line.name
                    line = dataclasses.replace(line, name=(f"{zh}（{name}）", f"{en} ({name})"))
                before.append(line)
    return [*before, *after]
