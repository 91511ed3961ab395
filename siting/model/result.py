"""The solved plan: what opens when, what it costs, whom it covers, which rules and milestones hold.

Every figure is recomputed from the coverage matrix and the schedule (never read back from the
model's coverage variables), and money from the same linear definitions the model was bound by
(:mod:`siting.model.money`). Each new site is credited with the older people it newly covers by
*first assignment*: a point first covered in a period goes to the nearest (walking time) option
opened in that period that covers it, so the credits add up to the plan's gain;
``unique_covered_elderly`` is the stricter "covered with the plan minus covered without this site".
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, vstack

import siting
from siting.costs import LEVELS, LINES
from siting.errors import Problem
from siting.io import SITEABLE_TYPES
from siting.model.money import budget_rows, cash, commitment, line_amounts, total_cost
from siting.model.money import open_matrix as make_open_matrix
from siting.model.objectives import NAMES as LOCATION_NAMES
from siting.model.objectives import figures as location_figures
from siting.model.objectives import plan_value
from siting.model.rules import (
    GAP_COLUMNS,
    CenterPerUnit,
    CoverageTarget,
    Hub,
    Rule,
    StationPerUnit,
    UnitCoverage,
    hub_assignment,
)
from siting.model.settings import LOCATION_OBJECTIVES
from siting.model.solver import agrees, gap, solver_versions, version_of

if TYPE_CHECKING:
    from siting.indicators import Indicators
    from siting.model.formulation import Model
    from siting.model.problem import SitingProblem
    from siting.model.settings import ModelSettings

__all__ = ["SitingResult", "coverage_fraction", "make_result", "plan_objective"]

log = logging.getLogger(__name__)

SITE_COLUMNS = (
    "year", "site_id", "option_id", "name", "action", "type", "from_type", "source", "street_code",
    "street_name", "community_code", "community_name", "floor_area_m2", "subsidy_municipal_wan_yuan",
    "subsidy_district_wan_yuan", "works_wan_yuan", "works_from", "capital_wan_yuan",
    "operating_wan_yuan_per_year", "rent_wan_yuan_per_year", "operating_wan_yuan", "rent_wan_yuan",
    "cost_wan_yuan", "cost_in_plan_wan_yuan", "newly_covered_elderly", "newly_covered_weighted",
    "unique_covered_elderly", "yuan_per_newly_covered", "health_distance_m",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class SitingResult:
    """A solved (or evaluated) siting instance or plan.

    Attributes
    ----------
    name
        The plan's name (the scenario's, or given).
    status
        "optimal" (every stage's objective recomputed from the data agrees with the solver's
        and is within ``mip_gap`` of its bound), "time_limit" (see ``gap``), "not_proven" (the
        solver said optimal, its bound does not show it), "objective_mismatch" (the objective the
        solver reported is not that of the plan it returned: logged as a warning; nothing about
        this plan's optimality can be trusted), "heuristic" (the greedy plan: the solver found
        nothing in time) or "evaluated" (a given plan).
    objective_name, objective, best_bound, gap
        The objective reported (the objective's stage; ``lexicographic``: the cost stage), its
        value for the final plan recomputed from the data (:func:`plan_objective`), the solver's
        bound and the relative gap ``|bound − objective| / |objective|``.
    stages
        Every stage solved: stage, status, objective (recomputed), bound, gap, and what the
        solver said: solver_status, solver_objective, presolve (HiGHS).
    years
        The plan years (empty: one period).
    opened, closed
        (K,) period each option opens (−1 never) / each existing option closes (−1 never).
    open_options
        (K,) options open at the end (positions in ``problem.options``).
    year_built
        (K,) plan year each option is built in (one period: 1), 0 when not built.
    sites
        One row per action: new sites, upgrades and closures, with year, type, costs (万元; per year
        and over the commitment), the older people each newly covers, ``unique_covered_elderly``,
        ``yuan_per_newly_covered``. A GeoDataFrame when the sites have geometry.
    communities
        Per 社区/村: older people, covered before and after the plan (final period), growth,
        facilities built, whether it has its own station or point after the plan; weighted
        demand likewise (``weighted``, ``weighted_covered_before``, ``weighted_final``,
        ``weighted_covered_after``: unrounded, for :mod:`siting.equity`, which rounds them as
        published before use).
    spend
        Spending by action and type (count, subsidies by level, works, capital, operating, rent,
        total; 万元).
    money
        Cash by year, line and level (:data:`siting.costs.LINES`, :data:`siting.costs.LEVELS`):
        ``year``, ``line``, ``kind`` (capital, operating), ``level``, ``wan_yuan``. For one period
        the horizon's years (capital in year 1, operating every year).
    budget
        Every budget row, the total and the scenario's budget lines: spend, cap, what is left, met.
    trajectory
        A row for the base (existing facilities, base-year demand) and one per period: budget,
        capital, operating, spend (万元), new sites by type, coverage (all, 社区, 村), elderly-years.
    milestones
        One row per milestone and period from its year: target, value, met.
    gaps
        Units the documents' rules leave without their facility, with the reason (no candidate,
        candidates below the size standard, out of budget) and the source.
    hub_assignment
        Station → center (enforced under the hub rule, else how the open centers could run them).
    summary
        Key figures (money, coverage, counts, model size, identity of the run: the tool's,
        the solver's and PuLP's versions, ``solver_version`` and ``pulp_version``; the solver's
        objective ``objective_solver`` beside ``objective_recomputed``).
    indicators
        The plan indicators after the plan (existing + built facilities, final-period demand);
        None without the district's inputs.
    """

    name: str
    status: str
    objective_name: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    stages: tuple[Mapping[str, Any], ...]
    years: tuple[int, ...]
    opened: np.ndarray
    closed: np.ndarray
    open_options: np.ndarray
    year_built: np.ndarray
    sites: pd.DataFrame
    communities: pd.DataFrame
    spend: pd.DataFrame
    money: pd.DataFrame
    budget: pd.DataFrame
    trajectory: pd.DataFrame
    milestones: pd.DataFrame
    gaps: pd.DataFrame
    hub_assignment: pd.DataFrame | None
    summary: Mapping[str, Any]
    problem_size: Mapping[str, int]
    greedy_objective: float | None
    settings: ModelSettings
    problem: SitingProblem
    scenario_sha256: str = ""
    tool_version: str = ""
    indicators: Indicators | None = None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def seconds(self) -> float:
        return self.build_seconds + self.solve_seconds

    @property
    def builds(self) -> pd.DataFrame:
        """The new sites and upgrades (the plan's build list), by year."""
        s = self.sites
        return s[s["action"] != "close"].reset_index(drop=True) if len(s) else s

    @property
    def quotas(self) -> pd.DataFrame:
        """Every ``[[plan.quota]]`` year by year from its year on: required, planned, met, and why
        not (:func:`siting.model.rules.quota_frame`); empty without quotas."""
        from siting.model.rules import quota_frame

        return quota_frame(self.problem, make_open_matrix(self.problem, self.opened, self.closed))

    def open_columns(self) -> np.ndarray:
        """(K,) options open at the end (existing kept and built)."""
        return self.open_options

    def __repr__(self) -> str:
        sm = self.summary
        obj = "n/a" if self.objective is None else f"{self.objective:,.2f}"
        return (
            f"SitingResult({self.name}: {self.status}, {self.objective_name} = {obj}, gap "
            f"{'n/a' if self.gap is None else f'{100 * self.gap:.2f} %'}; {sm['n_new_sites']} new sites, "
            f"{sm['spent_wan_yuan']:,.1f} 万元; coverage {sm['coverage_before_pct']:.1f} % → "
            f"{sm['coverage_after_pct']:.1f} %; {sm['n_gaps']} rule gaps)"
        )


def coverage_fraction(
    problem: SitingProblem, open_options: np.ndarray, *, period: int | None = None
) -> np.ndarray:
    """(m,) share of each demand point covered by the open options, from the coverage matrix alone.

    Without the capacity rule a point is covered (1) when an open option covers it. With it, the
    capacitated options' older people (grown to ``period``) are assigned by a linear program
    (maximum weighted coverage within each option's capacity) independent of the siting model.
    """
    cover = problem.cover
    open_options = np.asarray(open_options, dtype=bool)
    capacitated = np.zeros(len(open_options), dtype=bool)
    if problem.settings.capacitated:
        capacitated = np.isfinite(problem.options["capacity_elderly"].to_numpy(dtype=float))
    frac = ((cover @ (open_options & ~capacitated).astype(np.int64)) > 0).astype(float)
    cap_open = np.flatnonzero(open_options & capacitated)
    if len(cap_open) == 0:
        return frac
    sub = cover[:, cap_open].tocoo()
    keep = frac[sub.row] < 1
    rows, cols = sub.row[keep], sub.col[keep]
    if len(rows) == 0:
        return frac
    from scipy.optimize import linprog

    g = problem.growth[:, -1 if period is None else period]
    el = problem.matrix.elderly * g
    w = problem.matrix.weights * g
    n = len(rows)
    pts, pt_idx = np.unique(rows, return_inverse=True)
    cap = problem.options["capacity_elderly"].to_numpy(dtype=float)[cap_open]
    a_pt = csr_matrix((np.ones(n), (pt_idx, np.arange(n))), shape=(len(pts), n))
    a_cap = csr_matrix((el[rows], (cols, np.arange(n))), shape=(len(cap_open), n))
    res = linprog(
        -w[rows],
        A_ub=vstack([a_pt, a_cap]).tocsr(),
        b_ub=np.concatenate([np.ones(len(pts)), cap]),
        bounds=(0, 1),
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - an LP with a feasible 0 never fails
        raise RuntimeError(f"capacitated coverage LP failed: {res.message}")
    np.add.at(frac, rows, res.x)
    return np.clip(frac, 0.0, 1.0)


def _lookup(frame: pd.DataFrame, pos: np.ndarray, col: str) -> np.ndarray:
    if len(frame) == 0:
        return np.full(len(pos), "", dtype=object)
    vals = frame[col].astype(str).to_numpy()
    pos = np.asarray(pos, dtype=np.int64)
    return np.where(pos >= 0, vals[np.clip(pos, 0, None)], "").astype(object)


def _pct(values: np.ndarray, covered: np.ndarray, mask: np.ndarray) -> float:
    tot = float(values[mask].sum())
    return 100.0 * float((values * covered)[mask].sum()) / tot if tot > 0 else float("nan")


def _credits(
    problem: SitingProblem, opened: np.ndarray, frac: np.ndarray, before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Older people (and weighted demand) each option newly covers in the period it opens."""
    T = problem.n_periods
    cov = problem.cover.tocoo()
    secs = np.asarray(problem.matrix.seconds[cov.row, cov.col]).ravel()
    g = problem.growth
    el, w = problem.matrix.elderly, problem.matrix.weights
    credit_el = np.zeros(len(opened))
    credit_w = np.zeros(len(opened))
    for j in range(T):
        prev = frac[:, j - 1] if j > 0 else before
        gain = np.clip(frac[:, j] - prev, 0.0, None)
        sel = (gain[cov.row] > 0) & (opened[cov.col] == j)
        if not sel.any():
            continue
        r, c, t = cov.row[sel], cov.col[sel], secs[sel]
        order = np.lexsort((c, t, r))
        r, c = r[order], c[order]
        first = np.r_[True, r[1:] != r[:-1]]
        np.add.at(credit_el, c[first], (gain * el * g[:, j])[r[first]])
        np.add.at(credit_w, c[first], (gain * w * g[:, j])[r[first]])
    return credit_el, credit_w


def _sites_frame(
    problem: SitingProblem,
    opened: np.ndarray,
    closed: np.ndarray,
    om: np.ndarray,
    frac: np.ndarray,
    before: np.ndarray,
) -> pd.DataFrame:
    s = problem.settings
    T = problem.n_periods
    o = problem.options
    action = o["action"].to_numpy()
    C = s.commitment
    el = problem.matrix.elderly
    final_open = om[:, -1] > 0.5
    credit_el, credit_w = _credits(problem, opened, frac, before)
    n_open = np.asarray(problem.cover @ final_open.astype(np.int64)).ravel()
    built = np.flatnonzero(opened >= 0)
    unique = (
        np.asarray(problem.cover[:, built].T @ (el * problem.growth[:, -1] * (n_open == 1))).ravel()
        if len(built)
        else np.zeros(0)
    )
    op = o["operating_wan_yuan_per_year"].to_numpy(dtype=float)
    rent = o["rent_wan_yuan_per_year"].to_numpy(dtype=float)
    cap = o["capital_wan_yuan"].to_numpy(dtype=float)
    paid_years = np.zeros(len(o))
    for j in range(T):
        col = j + 1 if (s.operating_from == "year_built" or not s.years) else j
        paid_years += om[:, col] * s.period_years[j]
    years = np.asarray(s.years) if s.years else np.array([0])

    def block(
        pos: np.ndarray,
        act: np.ndarray,
        money: dict[str, np.ndarray],
        newly_el,
        newly_w,
        uniq,
        when,
    ) -> pd.DataFrame:
        sub = o.iloc[pos]
        return pd.DataFrame(
            {
                "year": when,
                "site_id": sub["site_id"].to_numpy(),
                "option_id": sub["option_id"].to_numpy(),
                "name": sub["name"].to_numpy(),
                "action": act,
                "type": sub["type"].to_numpy(),
                "from_type": sub["from_type"].to_numpy(),
                "source": sub["source"].to_numpy(),
                "street_code": _lookup(problem.streets, sub["street"].to_numpy(), "code"),
                "street_name": _lookup(problem.streets, sub["street"].to_numpy(), "name"),
                "community_code": _lookup(problem.communities, sub["community"].to_numpy(), "code"),
                "community_name": _lookup(problem.communities, sub["community"].to_numpy(), "name"),
                "floor_area_m2": sub["floor_area_m2"].to_numpy(dtype=float),
                **money,
                "newly_covered_elderly": newly_el,
                "newly_covered_weighted": newly_w,
                "unique_covered_elderly": uniq,
                "health_distance_m": sub["health_distance_m"].to_numpy(dtype=float),
            }
        )

    parts = []
    if len(built):
        parts.append(
            block(
                built,
                action[built],
                {
                    **{
                        c: o[c].to_numpy(dtype=float)[built]
                        for c in (
                            "subsidy_municipal_wan_yuan",
                            "subsidy_district_wan_yuan",
                            "works_wan_yuan",
                        )
                    },
                    "works_from": o["works_from"].to_numpy()[built],
                    "capital_wan_yuan": cap[built],
                    "operating_wan_yuan_per_year": op[built],
                    "rent_wan_yuan_per_year": rent[built],
                    "operating_wan_yuan": op[built] * C,
                    "rent_wan_yuan": rent[built] * C,
                    "cost_wan_yuan": cap[built] + (op[built] + rent[built]) * C,
                    "cost_in_plan_wan_yuan": cap[built]
                    + (op[built] + rent[built]) * paid_years[built],
                },
                credit_el[built],
                credit_w[built],
                unique,
                years[opened[built]] if s.years else np.zeros(len(built), dtype=np.int64),
            )
        )
    # closures: closable existing sites whose site has no open option at the end
    groups = o["group"].to_numpy()
    open_groups = set(groups[final_open].tolist())
    shut = np.flatnonzero(problem.existing & (closed >= 0) & ~np.isin(groups, list(open_groups)))
    if len(shut):
        saving = o["closure_saving_wan_yuan_per_year"].to_numpy(dtype=float)[shut]
        lost = np.clip(before - frac[:, -1], 0.0, None)
        g = problem.growth[:, -1]
        lost_el = np.asarray(problem.cover[:, shut].T @ (lost * el * g)).ravel()
        lost_w = np.asarray(problem.cover[:, shut].T @ (lost * problem.matrix.weights * g)).ravel()
        closed_years = np.zeros(len(shut))
        for j in range(T):
            closed_years += (1 - om[shut, j + 1]) * s.period_years[j]
        zero = np.zeros(len(shut))
        parts.append(
            block(
                shut,
                np.full(len(shut), "close", dtype=object),
                {
                    "subsidy_municipal_wan_yuan": zero,
                    "subsidy_district_wan_yuan": zero,
                    "works_wan_yuan": zero,
                    "works_from": "",
                    "capital_wan_yuan": zero,
                    "operating_wan_yuan_per_year": -saving,
                    "rent_wan_yuan_per_year": zero,
                    "operating_wan_yuan": -saving * C,
                    "rent_wan_yuan": zero,
                    "cost_wan_yuan": -saving * C,
                    "cost_in_plan_wan_yuan": -saving * closed_years,
                },
                -lost_el,
                -lost_w,
                zero,
                years[closed[shut]] if s.years else np.zeros(len(shut), dtype=np.int64),
            )
        )
    if not parts:
        frame = pd.DataFrame({c: [] for c in SITE_COLUMNS})
    else:
        frame = pd.concat(parts, ignore_index=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["yuan_per_newly_covered"] = np.where(
                frame["newly_covered_elderly"] > 0,
                10_000.0 * frame["cost_wan_yuan"] / frame["newly_covered_elderly"],
                np.nan,
            )
        frame = frame[list(SITE_COLUMNS)]
        order = {"new": 0, "upgrade": 1, "close": 2}
        frame = frame.assign(_a=frame["action"].map(order)).sort_values(
            ["year", "_a", "type", "newly_covered_elderly", "site_id"],
            ascending=[True, True, True, False, True],
            kind="stable",
        )
        frame = frame.drop(columns="_a").reset_index(drop=True)
    if problem.geometry_crs is not None and len(frame):
        import geopandas as gpd

        pos = pd.Index(o["option_id"]).get_indexer(frame["option_id"])
        frame = gpd.GeoDataFrame(
            frame, geometry=list(problem.matrix.site_geometry[pos]), crs=problem.geometry_crs
        )
    return frame


def _money_frame(problem: SitingProblem, om: np.ndarray) -> pd.DataFrame:
    """Cash by year, line and level (one row each): what a 民政局 budgets.

    A plan's years are its periods. The one period of ``siting optimize`` is spread over the
    years of the horizon the way it is paid: the one-off lines in year 1, the yearly lines every
    year (year 1 = the first year of operation).
    """
    s = problem.settings
    rows = line_amounts(problem, om)
    out = []
    if s.years:
        for r in rows:
            out.append(
                {
                    "year": s.years[int(r["period"])],
                    **{k: r[k] for k in ("line", "kind", "level", "wan_yuan")},
                }
            )
    else:
        H = round(s.period_years[0])
        for y in range(1, max(H, 1) + 1):
            for r in rows:
                amount = float(r["wan_yuan"])
                if r["kind"] == "capital":
                    amount = amount if y == 1 else 0.0
                else:
                    amount = amount / max(s.period_years[0], 1e-12)
                out.append(
                    {
                        "year": y,
                        "line": r["line"],
                        "kind": r["kind"],
                        "level": r["level"],
                        "wan_yuan": amount,
                    }
                )
    return pd.DataFrame(out, columns=["year", "line", "kind", "level", "wan_yuan"])


def _budget_frame(problem: SitingProblem, om: np.ndarray) -> pd.DataFrame:
    """Every budget row (the total and the scenario's budget lines): spend, cap, met."""
    s = problem.settings
    rows = []
    for r in budget_rows(problem):
        spend = r.spend.value(om)
        rows.append(
            {
                "budget": r.line or "total",
                "year": s.years[r.period]
                if s.years and not (r.line and _is_total(s, r.line))
                else "",
                "label": r.label,
                "spend_wan_yuan": spend,
                "cap_wan_yuan": r.cap,
                "left_wan_yuan": r.cap - spend,
                "met": bool(spend <= r.cap + 1e-6 * max(1.0, r.cap)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "budget",
            "year",
            "label",
            "spend_wan_yuan",
            "cap_wan_yuan",
            "left_wan_yuan",
            "met",
        ],
    )


def _is_total(settings: ModelSettings, name: str) -> bool:
    return any(b.name == name and b.total_wan_yuan is not None for b in settings.budget_lines)


def _spend_frame(sites: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "subsidy_municipal_wan_yuan",
        "subsidy_district_wan_yuan",
        "works_wan_yuan",
        "capital_wan_yuan",
        "operating_wan_yuan",
        "rent_wan_yuan",
        "cost_wan_yuan",
    ]
    if len(sites) == 0:
        return pd.DataFrame(
            {"action": ["total"], "type": [""], "n": [0], **{c: [0.0] for c in cols}}
        )
    g = pd.DataFrame(sites).groupby(["action", "type"], sort=False)
    spend = g[cols].sum().reset_index()
    spend.insert(2, "n", g.size().to_numpy())
    total = {
        "action": "total",
        "type": "",
        "n": int(spend["n"].sum()),
        **{c: float(spend[c].sum()) for c in cols},
    }
    return pd.concat([spend, pd.DataFrame([total])], ignore_index=True)


def _unit_served(problem: SitingProblem, om_final: np.ndarray) -> np.ndarray:
    """(n_communities,) whether each 社区/村 has its own station or point open at the end."""
    from siting.standards import UNIT_TYPES

    o = problem.options
    types = o["type"].to_numpy()
    where = o["community"].to_numpy()
    kinds = problem.communities["kind"].astype(str).to_numpy()
    out = np.zeros(len(kinds), dtype=bool)
    for k in np.flatnonzero(om_final):
        c = where[k]
        if c >= 0 and types[k] in UNIT_TYPES.get(kinds[c], ()):
            out[c] = True
    return out


def _community_frame(
    problem: SitingProblem, opened: np.ndarray, om: np.ndarray, frac: np.ndarray, before: np.ndarray
) -> pd.DataFrame:
    com = problem.communities
    n = len(com)
    el = problem.matrix.elderly
    g = problem.growth
    dc = problem.demand_community
    inside = dc >= 0
    T = problem.n_periods

    def per(values: np.ndarray) -> np.ndarray:
        return np.bincount(dc[inside], weights=values[inside], minlength=n)

    out = com[["code", "name", "street_code", "kind"]].copy().reset_index(drop=True)
    st_names = dict(
        zip(problem.streets["code"].astype(str), problem.streets["name"].astype(str), strict=True)
    )
    out.insert(3, "street_name", [st_names.get(str(c), "") for c in com["street_code"]])
    if len(problem.growth_rates) == n:
        out["growth_rate"] = problem.growth_rates
        out["growth_source"] = problem.growth_sources
    out["elderly"] = per(el)
    out["covered_before"] = per(el * before)
    out["elderly_final"] = per(el * g[:, -1])
    out["covered_after"] = per(el * g[:, -1] * frac[:, -1])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_before_pct"] = np.where(
            out["elderly"] > 0, 100 * out["covered_before"] / out["elderly"], np.nan
        )
        out["coverage_after_pct"] = np.where(
            out["elderly_final"] > 0, 100 * out["covered_after"] / out["elderly_final"], np.nan
        )
    out["gain_elderly"] = out["covered_after"] - per(el * g[:, -1] * before)
    # weighted demand (priority groups) as the elderly above; for siting.equity, never published
    # unrounded (siting.disclosure)
    w = problem.matrix.weights
    out["weighted"] = per(w)
    out["weighted_covered_before"] = per(w * before)
    out["weighted_final"] = per(w * g[:, -1])
    out["weighted_covered_after"] = per(w * g[:, -1] * frac[:, -1])
    cpos = problem.options["community"].to_numpy()
    built = opened >= 0
    out["n_built"] = (
        np.bincount(cpos[built & (cpos >= 0)], minlength=n) if n else np.zeros(0, np.int64)
    )
    first = np.zeros(n, dtype=np.int64)
    labels = problem.settings.years or (1,)
    for j in range(T - 1, -1, -1):
        full = per(el * g[:, j] * frac[:, j]) >= per(el * g[:, j]) - 1e-9
        first[full & (out["elderly"].to_numpy() > 0)] = labels[j]
    out["year_fully_covered"] = first
    if problem.settings.years:  # a plan: each 社区/村's coverage at the end of every plan year
        for j, year in enumerate(labels):
            due, reached = per(el * g[:, j]), per(el * g[:, j] * frac[:, j])
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"coverage_pct_{year}"] = np.where(due > 0, 100 * reached / due, np.nan)
    out["own_station_after"] = _unit_served(problem, om[:, -1] > 0.5)
    return out


def _trajectory(
    problem: SitingProblem, opened: np.ndarray, om: np.ndarray, frac: np.ndarray, before: np.ndarray
) -> pd.DataFrame:
    s = problem.settings
    T = problem.n_periods
    el, w, g = problem.matrix.elderly, problem.matrix.weights, problem.growth
    dc = problem.demand_community
    kinds = problem.communities["kind"].astype(str).to_numpy()
    pt_kind = np.where(dc >= 0, kinds[np.clip(dc, 0, None)] if len(kinds) else "", "")
    o = problem.options
    types = o["type"].to_numpy()
    action = o["action"].to_numpy()
    cap = np.where(problem.existing, 0.0, o["capital_wan_yuan"].to_numpy(dtype=float))
    all_pts = np.ones(len(el), dtype=bool)
    budgets = s.budgets()
    basis = commitment if s.budget_basis == "commitment" else cash
    rows = [
        {
            "year": s.base_year if s.years else 0,
            "stage": "before",
            "budget_wan_yuan": np.nan,
            "capital_wan_yuan": 0.0,
            "operating_wan_yuan": 0.0,
            "spend_wan_yuan": 0.0,
            "cumulative_spend_wan_yuan": 0.0,
            "n_new": 0,
            **{f"n_new_{t}": 0 for t in SITEABLE_TYPES},
            "n_upgrades": 0,
            "elderly": float(el.sum()),
            "covered_elderly": float((el * before).sum()),
            "coverage_pct": _pct(el, before, all_pts),
            "community_coverage_pct": _pct(el, before, pt_kind == "community"),
            "village_coverage_pct": _pct(el, before, pt_kind == "village"),
            "covered_weighted": float((w * before).sum()),
            "cumulative_elderly_years": 0.0,
        }
    ]
    cum, cum_spend = 0.0, 0.0
    for j in range(T):
        e = el * g[:, j]
        cov = frac[:, j]
        cum += float((w * g[:, j] * cov).sum())
        spend = basis(problem, j).value(om)
        capital = float((cap * (om[:, j + 1] - om[:, j]) * ~problem.existing).sum())
        cum_spend += spend
        new_j = (opened == j) & (action == "new")
        rows.append(
            {
                "year": s.years[j] if s.years else 1,
                "stage": "plan",
                "budget_wan_yuan": np.nan if budgets[j] is None else budgets[j],
                "capital_wan_yuan": capital,
                "operating_wan_yuan": spend - capital,
                "spend_wan_yuan": spend,
                "cumulative_spend_wan_yuan": cum_spend,
                "n_new": int(new_j.sum()),
                **{f"n_new_{t}": int((new_j & (types == t)).sum()) for t in SITEABLE_TYPES},
                "n_upgrades": int(((opened == j) & (action == "upgrade")).sum()),
                "elderly": float(e.sum()),
                "covered_elderly": float((e * cov).sum()),
                "coverage_pct": _pct(e, cov, all_pts),
                "community_coverage_pct": _pct(e, cov, pt_kind == "community"),
                "village_coverage_pct": _pct(e, cov, pt_kind == "village"),
                "covered_weighted": float((w * g[:, j] * cov).sum()),
                "cumulative_elderly_years": cum,
            }
        )
    return pd.DataFrame(rows)


def _milestone_frame(
    problem: SitingProblem, rules: Sequence[Rule], om: np.ndarray, frac: np.ndarray
) -> pd.DataFrame:
    s = problem.settings
    el, g = problem.matrix.elderly, problem.growth
    rows = []
    for r in rules:
        i = getattr(r, "milestone", None)
        if i is None:
            continue
        ms = s.milestones[i]
        x = s.year_index(ms.year)
        for j in range(x, problem.n_periods):
            e = el * g[:, j]
            if isinstance(r, CoverageTarget):
                from siting.model.rules import _scope_points

                value = _pct(e, frac[:, j], _scope_points(problem, r.scope))
                target, unit, met = 100 * ms.share, "%", value >= 100 * ms.share - 1e-6
            elif isinstance(r, UnitCoverage):
                units = r._units(problem, j)
                dc = problem.demand_community
                inside = dc >= 0
                tot = np.bincount(dc[inside], weights=e[inside], minlength=len(problem.communities))
                cov = np.bincount(
                    dc[inside], weights=(e * frac[:, j])[inside], minlength=len(problem.communities)
                )
                ok = cov[units] >= ms.share * tot[units] - 1e-6
                value, target, unit, met = (
                    float(ok.sum()),
                    float(len(units)),
                    "units",
                    bool(ok.all()),
                )
            else:
                assert isinstance(r, CenterPerUnit | StationPerUnit)
                units = r.units(problem)
                served = sum(
                    1 for u in units if len(u.options) and om[u.options, j + 1].sum() >= 1 - 1e-9
                )
                if isinstance(r, CenterPerUnit):
                    n_all = len(problem.streets) - len(ms.exclude)
                else:
                    kinds = problem.communities["kind"].astype(str).to_numpy()
                    codes = problem.communities["code"].astype(str).to_numpy()
                    scope = np.ones(len(kinds), bool) if ms.kind == "all" else kinds == ms.kind
                    n_all = int((scope & ~np.isin(codes, list(ms.exclude))).sum())
                value = float(n_all - len(units) + served)
                target, unit, met = float(n_all), "units", served == len(units)
            rows.append(
                {
                    "milestone": i,
                    "label": ms.label,
                    "rule": ms.rule,
                    "kind": ms.kind,
                    "from_year": ms.year,
                    "year": s.years[j],
                    "target": target,
                    "value": value,
                    "unit": unit,
                    "met": bool(met),
                }
            )
    cols = [
        "milestone",
        "label",
        "rule",
        "kind",
        "from_year",
        "year",
        "target",
        "value",
        "unit",
        "met",
    ]
    return (
        pd.DataFrame(rows, columns=cols)
        .sort_values(["milestone", "year"], kind="stable")
        .reset_index(drop=True)
    )


def _hub_frame(
    problem: SitingProblem, model: Model | None, final_open: np.ndarray, rules: Sequence[Rule]
) -> pd.DataFrame | None:
    if not len(problem.hub_station) and not any(isinstance(r, Hub) for r in rules):
        return None
    o = problem.options
    if model is not None and model.a:
        pairs = [(a, h) for a, h, av in model.a if (av.varValue or 0) > 0.5]
    else:
        assignment, _ = hub_assignment(problem, final_open)
        pairs = sorted(assignment.items())
    return pd.DataFrame(
        {
            "station_id": [o["site_id"].iloc[a] for a, _ in pairs],
            "station_name": [o["name"].iloc[a] for a, _ in pairs],
            "station_action": [o["action"].iloc[a] for a, _ in pairs],
            "center_id": [o["site_id"].iloc[h] for _, h in pairs],
            "center_name": [o["name"].iloc[h] for _, h in pairs],
            "center_type": [o["type"].iloc[h] for _, h in pairs],
        }
    )


def indicators_after(problem: SitingProblem, om: np.ndarray) -> Indicators:
    """The plan indicators with the facilities open at the end and the final period's demand.

    A site the plan builds gets the beds its size standard requires and, as a center or station,
    a 公建民营 operator; an upgrade keeps the attributes of the facility it upgrades
    (:func:`siting.indicators.planned_facility`).
    """
    import geopandas as gpd

    from siting.indicators import IndicatorSettings, compute_indicators, planned_facility
    from siting.standards import size_standards

    inputs = problem.inputs
    assert inputs is not None and problem.graph is not None and problem.demand is not None
    o = problem.options
    final_open = om[:, -1] > 0.5
    fac = inputs.facilities
    fac = (
        fac.copy()
        if fac is not None
        else gpd.GeoDataFrame(
            {"facility_id": [], "name": [], "type": [], "floor_area_m2": []},
            geometry=[],
            crs=inputs.crs,
        )
    )
    ids = (
        fac["facility_id"].astype(str).to_numpy() if "facility_id" in fac else np.full(len(fac), "")
    )
    # existing home-care facilities closed or replaced by an upgrade leave; upgrades change type and size
    keep_rows = np.ones(len(fac), dtype=bool)
    for k in np.flatnonzero(problem.existing & ~final_open):
        keep_rows &= ids != str(o["site_id"].iat[k])
    standards = size_standards(
        dict(inputs.scenario.section("rules")),
        IndicatorSettings.from_scenario(inputs.scenario).small_community_elderly,
    )
    new_rows = []
    for k in np.flatnonzero(final_open & ~problem.existing):
        site_id, site_type = str(o["site_id"].iat[k]), str(o["type"].iat[k])
        original = None
        if o["action"].iat[k] == "upgrade":
            hit = np.flatnonzero(ids == site_id)
            original = fac.iloc[hit[0]].to_dict() if len(hit) else None
        new_rows.append(
            {
                "facility_id": site_id,
                "name": str(o["name"].iat[k]),
                "type": site_type,
                "floor_area_m2": float(o["floor_area_m2"].iat[k]),
                **planned_facility(
                    site_type, columns=fac.columns, standards=standards, original=original
                ),
                "geometry": problem.matrix.site_geometry[k],
            }
        )
    fac = fac[keep_rows]
    if new_rows:
        add = gpd.GeoDataFrame(new_rows, geometry="geometry", crs=fac.crs or inputs.crs)
        fac = gpd.GeoDataFrame(
            pd.concat([fac, add], ignore_index=True), geometry="geometry", crs=fac.crs or inputs.crs
        )
    # coverage columns: the options open at the end, plus the facilities that are not options
    # (institutions), with the final period's demand
    mat = problem.matrix.select(final_open)
    factor = problem.growth[:, -1]
    mat = dataclasses.replace(mat, elderly=mat.elderly * factor, weights=mat.weights * factor)
    demand = problem.demand
    pts = demand.points.copy()
    pts["elderly"] = pts["elderly"].to_numpy(dtype=float) * factor
    pts["weighted"] = pts["weighted"].to_numpy(dtype=float) * factor
    demand = dataclasses.replace(demand, points=pts)
    assert problem.coverage_settings is not None
    return compute_indicators(
        inputs,
        problem.graph,
        matrix=mat,
        demand=demand,
        coverage_settings=problem.coverage_settings,
        facilities=fac,
    )


def make_result(
    problem: SitingProblem,
    opened: np.ndarray,
    closed: np.ndarray,
    *,
    status: str,
    objective_name: str,
    objective: float | None,
    bound: float | None,
    build_seconds: float,
    solve_seconds: float,
    model: Model | None,
    rules: Sequence[Rule],
    stages: Sequence[Mapping[str, Any]],
    greedy_objective: float | None,
    name: str,
    extra: Mapping[str, Any],
    indicators: bool = True,
) -> SitingResult:
    s = problem.settings
    T = problem.n_periods
    om = make_open_matrix(problem, opened, closed)
    el, w, g = problem.matrix.elderly, problem.matrix.weights, problem.growth
    before = coverage_fraction(problem, problem.existing)
    frac = np.column_stack(
        [coverage_fraction(problem, om[:, j + 1] > 0.5, period=j) for j in range(T)]
    )
    if s.capacitated:  # before the plan: base-year demand
        before = _coverage_base(problem)
    final_open = om[:, -1] > 0.5
    sites = _sites_frame(problem, opened, closed, om, frac, before)
    communities = _community_frame(problem, opened, om, frac, before)
    spend = _spend_frame(sites)
    money = _money_frame(problem, om)
    budget = _budget_frame(problem, om)
    trajectory = _trajectory(problem, opened, om, frac, before)
    milestones = _milestone_frame(problem, rules, om, frac)
    gap_rows = [row for r in rules for row in r.gaps(problem, om)]
    gaps = pd.DataFrame(gap_rows, columns=list(GAP_COLUMNS))
    action = problem.options["action"].to_numpy()
    types = problem.options["type"].to_numpy()
    built = opened >= 0
    new = built & (action == "new")
    basis = commitment if s.budget_basis == "commitment" else cash
    spent = float(sum(basis(problem, j).value(om) for j in range(T)))
    in_plan = float(sum(cash(problem, j).value(om) for j in range(T)))
    total = total_cost(problem).value(om)
    budgets = s.budgets()
    tot_el = float(el.sum())
    e_final = el * g[:, -1]
    base, final = trajectory.iloc[0], trajectory.iloc[-1]
    baseline_years = float(sum((w * g[:, j] * before).sum() for j in range(T)))
    n_met = int(milestones.groupby("milestone")["met"].all().sum()) if len(milestones) else 0
    dc = problem.demand_community
    kinds = problem.communities["kind"].astype(str).to_numpy()
    pt_kind = np.where(dc >= 0, kinds[np.clip(dc, 0, None)] if len(kinds) else "", "")
    summary: dict[str, Any] = {
        "name": name,
        "scenario_name": problem.scenario_name,
        "scenario_sha256": problem.scenario_sha256,
        "tool_version": siting.__version__,
        "years": f"{s.years[0]}–{s.years[-1]}" if s.years else "",
        "objective": "evaluated" if status == "evaluated" else s.objective,
        "status": status,
        "solver": s.solver,
        "solver_version": version_of(s.solver),
        "pulp_version": solver_versions()["pulp"],
        "objective_solver": None,
        "profile": s.profile,
        "budget_wan_yuan": float(sum(b for b in budgets if b is not None))
        if any(b is not None for b in budgets)
        else None,
        "budget_basis": s.budget_basis,
        "spent_wan_yuan": spent,
        "cash_in_plan_wan_yuan": in_plan,
        "total_cost_wan_yuan": total,
        "committed_after_plan_wan_yuan": max(0.0, total - in_plan),
        "capital_wan_yuan": float(trajectory["capital_wan_yuan"].iloc[1:].sum()),
        "operating_wan_yuan": float(trajectory["operating_wan_yuan"].iloc[1:].sum()),
        **{
            f"spend_{line}_wan_yuan": float(money.loc[money["line"] == line, "wan_yuan"].sum())
            for line in LINES
        },
        **{
            f"spend_{level}_wan_yuan": float(money.loc[money["level"] == level, "wan_yuan"].sum())
            for level in LEVELS
        },
        "budgets_met": bool(budget["met"].all()) if len(budget) else True,
        "n_works_unknown": int(
            ((sites["action"] != "close") & (sites["works_from"] == "unknown")).sum()
        )
        if len(sites)
        else 0,
        "horizon_years": s.costs.horizon_years,
        "commitment_years": s.commitment,
        "elderly": tot_el,
        "covered_before": float((el * before).sum()),
        "covered_after": float((e_final * frac[:, -1]).sum()),
        "coverage_before_pct": float(base["coverage_pct"]),
        "coverage_after_pct": float(final["coverage_pct"]),
        "community_coverage_after_pct": _pct(e_final, frac[:, -1], pt_kind == "community"),
        "village_coverage_after_pct": _pct(e_final, frac[:, -1], pt_kind == "village"),
        "weighted_before": float((w * before).sum()),
        "weighted_after": float((w * g[:, -1] * frac[:, -1]).sum()),
        "weighted_total": float(w.sum()),
        "n_new_sites": int(new.sum()),
        "n_builds": int(built.sum()),
        "n_upgrades": int((built & (action == "upgrade")).sum()),
        "n_closures": int((sites["action"] == "close").sum()) if len(sites) else 0,
        **{f"new_{t}": int((new & (types == t)).sum()) for t in SITEABLE_TYPES},
        "n_gaps": len(gaps),
        **{
            f"gaps_{r}": int((gaps["rule"] == r).sum())
            for r in ("center_per_street", "station_per_community", "stations_per_center")
        },
        "policies": ",".join(s.policies),
        "health_rule": s.health_rule,
        "greedy_objective": greedy_objective,
        # the plan's names for its figures
        "coverage_final_pct": float(final["coverage_pct"]),
        "community_coverage_final_pct": float(final["community_coverage_pct"]),
        "village_coverage_final_pct": float(final["village_coverage_pct"]),
        "elderly_final": float(final["elderly"]),
        "covered_elderly_final": float(final["covered_elderly"]),
        "elderly_years_covered": float(final["cumulative_elderly_years"]),
        "elderly_years_without_plan": baseline_years,
        "elderly_years_gained": float(final["cumulative_elderly_years"]) - baseline_years,
        "newly_covered_final": float(final["covered_elderly"]) - float((e_final * before).sum()),
        "milestones_met": n_met,
        "milestones": len(s.milestones),
        "growth": _growth_text(problem),
        "demand_points": problem.matrix.shape[0],
        "options": len(problem.options),
        **dict(extra),
    }
    if s.objective in LOCATION_OBJECTIVES:
        summary.update(location_figures(problem, final_open, frac[:, -1]))
    summary["n_new"] = summary["n_new_sites"]
    for t in SITEABLE_TYPES:
        summary[f"n_new_{t}"] = summary[f"new_{t}"]
    summary["wan_yuan_per_newly_covered"] = (
        summary["spent_wan_yuan"] / summary["newly_covered_final"]
        if summary["newly_covered_final"] > 0
        else float("nan")
    )
    size = model.size() if model is not None else {}
    summary.update({f"model_{k}": v for k, v in size.items()})
    if model is not None:
        summary["classes"] = len(model.classes)
    # check, do not trust: the final plan's objective recomputed from the data. Every stage was
    # certified against its own plan (siting.model.solver.certify) and a later stage keeps an
    # optimal stage's value (its floor row), so a difference then is a broken floor or a false
    # claim; after a stage that was not proven optimal a later stage may have improved on it
    recomputed = plan_objective(problem, objective_name, om, rules=rules, frac=frac)
    summary["objective_recomputed"] = recomputed
    summary["objective_mismatch"] = next(
        (
            float(r["objective"]) - float(r["solver_objective"])
            for r in stages
            if r.get("status") == "objective_mismatch" and r.get("solver_objective") is not None
        ),
        None,
    )
    if objective is not None and recomputed is not None and not agrees(recomputed, objective):
        if status == "optimal":
            log.warning(
                "%s: the final plan's %s recomputed from the data is %.6g, the optimal stage "
                "reported %.6g: status objective_mismatch",
                name,
                objective_name,
                recomputed,
                objective,
            )
            status = "objective_mismatch"
            summary["objective_mismatch"] = recomputed - objective
        objective = recomputed
    summary["status"] = status
    after = None
    if (
        indicators
        and problem.inputs is not None
        and problem.graph is not None
        and problem.demand is not None
    ):
        after = indicators_after(problem, om)
    year_built = np.where(
        built, (np.asarray(s.years)[np.clip(opened, 0, None)] if s.years else 1), 0
    )
    return SitingResult(
        name=name,
        status=status,
        objective_name=objective_name,
        objective=objective if objective is not None else summary["elderly_years_covered"],
        best_bound=bound,
        gap=gap(objective, bound),
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        solver=s.solver,
        stages=tuple(dict(r) for r in stages),
        years=s.years,
        opened=np.asarray(opened),
        closed=np.asarray(closed),
        open_options=final_open,
        year_built=year_built,
        sites=sites,
        communities=communities,
        spend=spend,
        money=money,
        budget=budget,
        trajectory=trajectory,
        milestones=milestones,
        gaps=gaps,
        hub_assignment=_hub_frame(problem, model, final_open, rules),
        summary=summary,
        problem_size=size,
        greedy_objective=greedy_objective,
        settings=s,
        problem=problem,
        scenario_sha256=problem.scenario_sha256,
        tool_version=siting.__version__,
        indicators=after,
        problems=problem.problems,
    )


def _coverage_base(problem: SitingProblem) -> np.ndarray:
    """Coverage by the existing facilities with base-year demand (the capacity LP without growth)."""
    p = dataclasses.replace(problem, growth=np.ones_like(problem.growth))
    return coverage_fraction(p, p.existing)


def plan_objective(
    problem: SitingProblem,
    objective_name: str,
    om: np.ndarray,
    *,
    rules: Sequence[Rule] = (),
    frac: np.ndarray | None = None,
) -> float | None:
    """The objective of the plan ``om`` recomputed from the problem's data alone, in its own sense.

    Coverage from the coverage matrix (:func:`coverage_fraction`, per period), money from
    :mod:`siting.model.money`, the soft rules' shortfall from the rules' own count
    (:meth:`~siting.model.rules.Rule.shortfall`), less (coverage) or plus (cost) the health
    penalty; never from the model's variables or its objective expression. The check of every
    solve (:func:`siting.model.solver.certify`) and of the result.

    Parameters
    ----------
    objective_name
        {"weighted_covered", "elderly_years", "cost_wan_yuan", "rule_shortfall"} or one of the
        classic objectives, {"walk_seconds", "worst_walk_seconds", "backup_weighted",
        "attendance", "worst_unit_coverage"} (:func:`siting.model.objectives.plan_value`: the
        walk to the nearest open site from the walking-time matrix, the sites covering each point,
        the coverage of every 社区/村); another name (the elastic re-solve): None.
    om
        (K, T + 1) open matrix (:func:`siting.model.money.open_matrix`).
    rules
        The active rules (for ``rule_shortfall``).
    frac
        (m, T) coverage of each demand point in each period, if already computed.
    """
    from siting.model.formulation import _penalty

    if objective_name == "rule_shortfall":
        return float(sum(r.shortfall(problem, om) for r in rules))
    if objective_name in LOCATION_NAMES.values():
        final = om[:, -1] > 0.5
        return plan_value(problem, objective_name, final, None if frac is None else frac[:, -1])
    if objective_name not in ("weighted_covered", "elderly_years", "cost_wan_yuan"):
        return None
    pen = float((_penalty(problem) * (om[:, -1] > 0.5)).sum())
    if objective_name == "cost_wan_yuan":
        return total_cost(problem).value(om) + pen
    T = problem.n_periods
    periods = [T - 1] if objective_name == "weighted_covered" else range(T)
    w, g = problem.matrix.weights, problem.growth
    total = 0.0
    for j in periods:
        fj = (
            frac[:, j]
            if frac is not None
            else coverage_fraction(problem, om[:, j + 1] > 0.5, period=j)
        )
        total += float((w * g[:, j] * fj).sum())
    return total - pen


def _growth_text(problem: SitingProblem) -> str:
    s = problem.settings
    if not s.years:
        return "none (one period, base-year demand)"
    rates, src = problem.growth_rates, problem.growth_sources
    if len(rates) == 0:
        return (
            f"{s.growth}"
            if np.allclose(problem.growth, 1.0) or isinstance(s.growth, str)
            else "given growth factors"
        )
    el = problem.communities["elderly"].to_numpy(dtype=float)
    mean = float(np.average(rates, weights=np.maximum(el, 1e-9)))
    return (
        f"{100 * mean:+.2f} % a year (mean over 社区/村); {'; '.join(sorted(set(map(str, src))))}"
    )
