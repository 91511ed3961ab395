"""Money as linear functions of which options are open when: one definition for the model and the report.

A plan is an *open matrix* ``O`` of shape (K, T + 1): ``O[k, 0]`` whether option ``k`` is open
before the plan (existing facilities), ``O[k, j + 1]`` whether it is open in period ``j``. Every
amount below is ``Σ coef · O + const``; :mod:`siting.model.formulation` puts the same coefficients
on the model's variables and :mod:`siting.model.result` on the chosen plan, so the figures a plan
reports are exactly those the model was bound by.

For option ``k`` with capital :math:`c_k`, operating and rent :math:`a_k` per year, period lengths
:math:`L_j` (years), commitment :math:`C` (years), and a closable existing site :math:`g` with
incentive :math:`\\sigma_g` per year saved while it is closed:

- built in period ``j``: :math:`b_{kj} = O_{k,j+1} - O_{k,j}`;
- cash of period ``j``: :math:`\\sum_k c_k b_{kj} + a_k L_j p_{kj} - \\sum_g \\sigma_g L_j (1 -
  \\sum_{k \\in g} O_{k,j+1})`, with :math:`p_{kj} = O_{k,j+1}` (operating from the year built) or
  :math:`O_{k,j}` (from the year after);
- commitment of period ``j``: :math:`\\sum_k (c_k + a_k C) b_{kj} - \\sum_g \\sigma_g C (\\sum_{k
  \\in g} O_{k,j} - \\sum_{k \\in g} O_{k,j+1})`;
- total: every build costs its capital and :math:`a_k \\max(C, \\text{years paid in the plan})`,
  whenever it is built (so a build in the last year is not cheaper), less the closures' savings.

Every amount can be restricted to some cost *lines* (:data:`siting.costs.LINES`: the subsidies by
level, works, incentive, rent): :math:`c_k` and :math:`a_k` are then the sums of those lines only,
and closures count on the ``incentive`` line. The budget lines of the scenario
(``[[budget.line]]``) are rows over such restricted amounts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from siting.costs import CAPITAL_LINES, LINES, OPERATING_LINES
from siting.model.problem import LINE_COLUMNS

if TYPE_CHECKING:
    from siting.model.problem import SitingProblem

__all__ = [
    "BudgetRow",
    "Linear",
    "budget_rows",
    "cash",
    "commitment",
    "line_amounts",
    "open_matrix",
    "total_cost",
]


class Linear:
    """``Σ coef · O + const`` over an open matrix (K, T + 1)."""

    __slots__ = ("coef", "const")

    def __init__(self, coef: np.ndarray, const: float = 0.0) -> None:
        self.coef = coef
        self.const = float(const)

    def __add__(self, other: Linear) -> Linear:
        return Linear(self.coef + other.coef, self.const + other.const)

    def value(self, open_matrix: np.ndarray) -> float:
        return float((self.coef * open_matrix).sum()) + self.const


def _zero(problem: SitingProblem) -> Linear:
    return Linear(np.zeros((len(problem.options), problem.n_periods + 1)))


def _money(
    problem: SitingProblem, lines: Collection[str] | None
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(capital per build, operating per year, whether closures count) of the chosen lines."""
    o = problem.options
    chosen = LINES if lines is None else tuple(lines)
    cap = np.zeros(len(o))
    op = np.zeros(len(o))
    for line in chosen:
        col = o[LINE_COLUMNS[line]].to_numpy(dtype=float)
        if line in CAPITAL_LINES:
            cap += col
        elif line in OPERATING_LINES:
            op += col
    cap = np.where(problem.existing, 0.0, cap)
    op = np.where(problem.existing, 0.0, op)
    return cap, op, "incentive" in chosen


def _closable_groups(problem: SitingProblem) -> list[tuple[np.ndarray, float]]:
    o = problem.options
    saving = o["closure_saving_wan_yuan_per_year"].to_numpy(dtype=float)
    groups = o["group"].to_numpy()
    out = []
    for k in np.flatnonzero(saving > 0):
        out.append((np.flatnonzero(groups == groups[k]), float(saving[k])))
    return out


def cash(problem: SitingProblem, j: int, lines: Collection[str] | None = None) -> Linear:
    """Money paid in period ``j`` on ``lines`` (default all): capital of its builds, operating
    of the open sites, the savings of closures (on the ``incentive`` line)."""
    s = problem.settings
    L = s.period_years[j]
    cap, op, closures = _money(problem, lines)
    out = _zero(problem)
    out.coef[:, j + 1] += cap
    out.coef[:, j] -= cap
    pay = j + 1 if s.operating_from == "year_built" or not s.years else j
    out.coef[:, pay] += op * L
    if closures:
        for members, sigma in _closable_groups(problem):
            out.coef[members, j + 1] += sigma * L
            out.const -= sigma * L
    return out


def commitment(problem: SitingProblem, j: int, lines: Collection[str] | None = None) -> Linear:
    """What the builds (and closures) of period ``j`` commit on ``lines``: capital + ``C`` years of
    operating."""
    s = problem.settings
    C = s.commitment
    cap, op, closures = _money(problem, lines)
    per = cap + op * C
    out = _zero(problem)
    out.coef[:, j + 1] += per
    out.coef[:, j] -= per
    if closures:
        for members, sigma in _closable_groups(problem):
            out.coef[members, j] -= sigma * C
            out.coef[members, j + 1] += sigma * C
    return out


def total_cost(problem: SitingProblem, lines: Collection[str] | None = None) -> Linear:
    """The plan's whole cost on ``lines`` (module notes): the objective of ``min_cost``.

    A site built in period ``j`` costs its capital and its operating incentive for
    ``max(C, years it is paid inside the plan)`` years, whenever it is built; closures save their
    incentive for every period they are closed.
    """
    s = problem.settings
    T = problem.n_periods
    C = s.commitment
    L = np.asarray(s.period_years, dtype=float)
    cap, op, closures = _money(problem, lines)
    out = _zero(problem)
    late = s.years and s.operating_from == "year_after"
    for j in range(T):
        paid = float(L[j + 1 :].sum() if late else L[j:].sum())
        per = cap + op * max(C, paid)
        out.coef[:, j + 1] += per
        out.coef[:, j] -= per
    if closures:
        for members, sigma in _closable_groups(problem):  # a closure saves as long as a build costs
            for j in range(T):
                saved = sigma * max(C, float(L[j:].sum()))
                out.coef[members, j] -= saved
                out.coef[members, j + 1] += saved
    return out


def line_amounts(problem: SitingProblem, om: np.ndarray) -> list[dict[str, float | int | str]]:
    """Cash paid on each line in each period of a plan (open matrix ``om``), for the tables.

    One row per (period, line): ``period``, ``line``, ``level``, ``kind`` and ``wan_yuan``.
    """
    levels = problem.settings.costs.levels
    out = []
    for j in range(problem.n_periods):
        for line in LINES:
            out.append(
                {
                    "period": j,
                    "line": line,
                    "kind": "capital" if line in CAPITAL_LINES else "operating",
                    "level": levels[line],
                    "wan_yuan": cash(problem, j, (line,)).value(om),
                }
            )
    return out


@dataclass(frozen=True)
class BudgetRow:
    """One budget constraint: ``spend ≤ cap`` from period ``period`` (``label`` names it)."""

    period: int
    spend: Linear
    cap: float
    label: str
    line: str = ""  # the budget line's name ("" for the total budget)


def budget_rows(problem: SitingProblem) -> list[BudgetRow]:
    """Every budget row: the total per period (cumulative when money carries over), then every
    budget line of the settings (:class:`~siting.model.settings.BudgetLine`)."""
    s = problem.settings
    commit = s.budget_basis == "commitment"
    basis = commitment if commit else cash
    rows: list[BudgetRow] = []
    running_cap = 0.0
    running: Linear | None = None
    for j, b in enumerate(s.budgets()):
        spend = basis(problem, j)
        running = spend if running is None else running + spend
        if b is None:
            continue
        running_cap += b
        when = f"{s.years[j]}" if s.years else ""
        if s.unspent == "carries_over":
            rows.append(BudgetRow(j, running, running_cap, f"budget {when}".strip()))
        else:
            rows.append(BudgetRow(j, spend, float(b), f"budget {when}".strip()))
    for line in s.budget_lines:
        chosen = s.costs.lines_of(line.kind, line.level)
        if line.lines:
            chosen = tuple(x for x in chosen if x in line.lines)
        if line.total_wan_yuan is not None:
            spend = _zero(problem)
            for j in range(problem.n_periods):
                spend = spend + basis(problem, j, chosen)
            rows.append(
                BudgetRow(
                    problem.n_periods - 1, spend, float(line.total_wan_yuan), line.name, line.name
                )
            )
            continue
        amounts = line.amounts(s)
        running_cap, running = 0.0, None
        for j, b in enumerate(amounts):
            spend = basis(problem, j, chosen)
            running = spend if running is None else running + spend
            if b is None:
                continue
            running_cap += b
            when = f" {s.years[j]}" if s.years else ""
            if s.unspent == "carries_over":
                rows.append(BudgetRow(j, running, running_cap, f"{line.name}{when}", line.name))
            else:
                rows.append(BudgetRow(j, spend, float(b), f"{line.name}{when}", line.name))
    return rows


def open_matrix(problem: SitingProblem, opened: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """(K, T + 1) open matrix of a schedule.

    ``opened[k]``: period a new site or upgrade opens (−1 never); ``closed[k]``: period an
    existing facility closes or is replaced by its upgrade (−1 never).
    """
    T = problem.n_periods
    K = len(problem.options)
    out = np.zeros((K, T + 1), dtype=float)
    cols = np.arange(T + 1)[None, :]  # column t is period t − 1
    ex = problem.existing
    opened = np.asarray(opened)
    closed = np.asarray(closed)
    new_open = (opened[:, None] >= 0) & (cols >= opened[:, None] + 1)
    ex_open = (closed[:, None] < 0) | (cols < closed[:, None] + 1)
    out[~ex] = new_open[~ex]
    out[ex] = ex_open[ex]
    return out
