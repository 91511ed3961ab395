"""The budget–coverage curve: how many more older people each extra 万元 reaches, and the knee.

Each budget of the sweep is a total over every cost line (the scenario's budget lines,
``[[budget.line]]``, are set aside: the curve asks what each total buys). It is solved as a
``max_coverage`` instance without coverage targets or
floors (the curve shows what each budget reaches) and with every other setting of the problem
unchanged (policies, costs, limits, the greedy start).
Budgets too small for the switched-on rules are reported as infeasible rows (with the reason).
Under the documents' rules (the default profile) every budget first serves as many 街道/镇 and 社区/村
as it can (:mod:`siting.model.solving`), so coverage need not rise with the budget: a larger budget
may buy a center instead of village points. ``rule_gaps`` says how many units each budget leaves
without their facility.

Default budgets: ``curve_steps`` (10) even steps from 0 to the scenario's budget, or, without one,
to the cost of the greedy plan that adds sites until none covers anybody more (the money beyond it
buys no coverage).

The knee (max distance to the chord): scale the feasible points to ``[0, 1]`` on both axes (budget
from the first to the last point, elderly covered from the first to the last), draw the chord from
the first point to the last, and take the point farthest above it. On a concave curve it is where
the marginal coverage per 万元 falls from above the average rate of the whole sweep to below it:
past it, money buys less than it did on average. No knee when fewer than three points are feasible
or no point lies above the chord.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siting.errors import InfeasibleError
from siting.model import SitingProblem, solve
from siting.model.formulation import build_model
from siting.model.greedy import greedy_plan
from siting.model.money import cash
from siting.model.rules import active_rules
from siting.progress import tracked

__all__ = ["BudgetCurve", "budget_curve", "knee_index"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class BudgetCurve:
    """Coverage against budget.

    Attributes
    ----------
    points
        One row per budget: ``budget_wan_yuan``, ``status`` (optimal, time_limit, heuristic,
        infeasible), ``spent_wan_yuan``, ``covered_elderly``, ``coverage_pct``,
        ``weighted_covered``, ``gap``, ``n_new_sites``, ``marginal_elderly_per_wan_yuan``
        (extra older people covered per extra 万元 since the previous feasible budget), ``knee``
        (True on the knee), ``note`` (why a budget is infeasible).
    knee_budget_wan_yuan
        The knee's budget (None without a knee).
    """

    points: pd.DataFrame
    knee_budget_wan_yuan: float | None


def knee_index(x: Sequence[float], y: Sequence[float]) -> int | None:
    """Position of the point farthest above the chord from the first to the last point (scaled).

    >>> knee_index([0, 1, 2, 3, 4], [0, 80, 90, 95, 100])
    1
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 3:
        return None
    dx, dy = x[-1] - x[0], y[-1] - y[0]
    if dx <= 0 or dy <= 0:
        return None
    xs, ys = (x - x[0]) / dx, (y - y[0]) / dy
    above = ys - xs  # distance to the chord y = x, up to the factor 1/√2
    k = int(np.argmax(above))
    return k if above[k] > 1e-12 else None


def _at_budget(problem: SitingProblem, budget: float) -> SitingProblem:
    """``problem`` as the sweep solves it: ``max_coverage`` within ``budget`` 万元 in total, with
    no coverage target, floor or new-site count (the curve is over the total: every line; the
    scenario's budget lines are set aside)."""
    return problem.with_settings(
        objective="max_coverage",
        budget_wan_yuan=budget,
        new_sites=None,
        coverage_target=None,
        community_floor=0.0,
        budget_lines=(),
    )


def _default_budgets(problem: SitingProblem) -> list[float]:
    s = problem.settings
    top = s.budget_wan_yuan
    if (
        top is None
    ):  # the greedy plan with money for everything: it stops when nobody more is reached
        everything = float(np.clip(problem.commitment_wan_yuan, 0, None).sum())
        unbounded = _at_budget(problem, everything)
        rules = active_rules(unbounded)
        model = build_model(unbounded, rules)
        chosen = greedy_plan(model, rules, stage="coverage")
        om = np.column_stack([unbounded.existing, chosen]).astype(float)
        top = cash(unbounded, 0).value(om)
    return [top * i / s.curve_steps for i in range(s.curve_steps + 1)]


#: Budgets solved at once (each CBC run is a process of its own).
_WORKERS = 2


def _point(problem: SitingProblem, b: float) -> dict:
    """One budget's row of the curve."""
    p = _at_budget(problem, b)
    try:
        r = solve(p, indicators=False)  # the curve's figures only
    except InfeasibleError as exc:
        return {"budget_wan_yuan": b, "status": "infeasible", "note": str(exc)}
    sm = r.summary
    return {
        "budget_wan_yuan": b,
        "status": r.status,
        "spent_wan_yuan": sm["spent_wan_yuan"],
        "covered_elderly": sm["covered_after"],
        "coverage_pct": sm["coverage_after_pct"],
        "weighted_covered": sm["weighted_after"],
        "gap": r.gap,
        "n_new_sites": sm["n_new_sites"],
        "rule_gaps": sm["gaps_center_per_street"] + sm["gaps_station_per_community"],
        "note": "",
    }


def budget_curve(problem: SitingProblem, budgets: Sequence[float] | None = None) -> BudgetCurve:
    """Solve ``problem`` for a sweep of budgets (``max_coverage``); see the module docstring.

    Parameters
    ----------
    problem
        The instance (its settings other than objective and budget are kept).
    budgets
        Budgets in 万元 (default: the scenario's ``curve_budgets``, else even steps).
    """
    s = problem.settings
    if budgets is None:
        budgets = list(s.curve_budgets) or _default_budgets(problem)
    budgets = sorted(float(b) for b in budgets)
    # CBC solves in its own process: two budgets at a time keep both cores busy (one budget's
    # model is built and read back while the other's solver runs); the rows come in budget order
    # and each solve runs in the caller's context (its settings, its run)
    ctx = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        done = pool.map(lambda b: ctx.copy().run(_point, problem, b), budgets)
        rows = list(tracked(done, total=len(budgets)))
    points = pd.DataFrame(
        rows,
        columns=[
            "budget_wan_yuan",
            "status",
            "spent_wan_yuan",
            "covered_elderly",
            "coverage_pct",
            "weighted_covered",
            "gap",
            "n_new_sites",
            "rule_gaps",
            "note",
        ],
    )
    feasible = np.flatnonzero(points["status"].to_numpy() != "infeasible")
    marginal = np.full(len(points), np.nan)
    for a, b in itertools.pairwise(feasible):
        db = points["budget_wan_yuan"].iloc[b] - points["budget_wan_yuan"].iloc[a]
        if db > 0:
            marginal[b] = (
                points["covered_elderly"].iloc[b] - points["covered_elderly"].iloc[a]
            ) / db
    points.insert(
        points.columns.get_loc("n_new_sites") + 1, "marginal_elderly_per_wan_yuan", marginal
    )
    knee = knee_index(
        points["budget_wan_yuan"].to_numpy()[feasible],
        points["covered_elderly"].to_numpy(dtype=float)[feasible],
    )
    points["knee"] = False
    knee_budget = None
    if knee is not None:
        points.loc[feasible[knee], "knee"] = True
        knee_budget = float(points["budget_wan_yuan"].iloc[feasible[knee]])
    log.info(
        "budget_curve: %d budgets (%d feasible), knee at %s 万元",
        len(points),
        len(feasible),
        "none" if knee_budget is None else f"{knee_budget:,.1f}",
    )
    return BudgetCurve(points=points, knee_budget_wan_yuan=knee_budget)
