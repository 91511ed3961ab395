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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from siting.model.problem import SitingProblem

__all__ = ["Linear", "budget_rows", "cash", "commitment", "open_matrix", "total_cost"]


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


def _closable_groups(problem: SitingProblem) -> list[tuple[np.ndarray, float]]:
    o = problem.options
    saving = o["closure_saving_wan_yuan_per_year"].to_numpy(dtype=float)
    groups = o["group"].to_numpy()
    out = []
    for k in np.flatnonzero(saving > 0):
        out.append((np.flatnonzero(groups == groups[k]), float(saving[k])))
    return out


def cash(problem: SitingProblem, j: int) -> Linear:
    """Money paid in period ``j``: capital of its builds, operating of the open sites, savings."""
    s = problem.settings
    L = s.period_years[j]
    cap = np.where(problem.existing, 0.0, problem.options["capital_wan_yuan"].to_numpy(dtype=float))
    op = np.where(problem.existing, 0.0, problem.operating_per_year)
    out = _zero(problem)
    out.coef[:, j + 1] += cap
    out.coef[:, j] -= cap
    pay = j + 1 if s.operating_from == "year_built" or not s.years else j
    out.coef[:, pay] += op * L
    for members, sigma in _closable_groups(problem):
        out.coef[members, j + 1] += sigma * L
        out.const -= sigma * L
    return out


def commitment(problem: SitingProblem, j: int) -> Linear:
    """What the builds (and closures) of period ``j`` commit: capital + ``C`` years of operating."""
    s = problem.settings
    C = s.commitment
    per = np.where(problem.existing, 0.0, problem.commitment_wan_yuan)
    out = _zero(problem)
    out.coef[:, j + 1] += per
    out.coef[:, j] -= per
    for members, sigma in _closable_groups(problem):
        out.coef[members, j] -= sigma * C
        out.coef[members, j + 1] += sigma * C
    return out


def total_cost(problem: SitingProblem) -> Linear:
    """The plan's whole cost (module notes): the objective of ``min_cost``.

    A site built in period ``j`` costs its capital and its operating incentive for
    ``max(C, years it is paid inside the plan)`` years, whenever it is built; closures save their
    incentive for every period they are closed.
    """
    s = problem.settings
    T = problem.n_periods
    C = s.commitment
    L = np.asarray(s.period_years, dtype=float)
    cap = np.where(problem.existing, 0.0, problem.options["capital_wan_yuan"].to_numpy(dtype=float))
    op = np.where(problem.existing, 0.0, problem.operating_per_year)
    out = _zero(problem)
    late = s.years and s.operating_from == "year_after"
    for j in range(T):
        paid = float(L[j + 1 :].sum() if late else L[j:].sum())
        per = cap + op * max(C, paid)
        out.coef[:, j + 1] += per
        out.coef[:, j] -= per
    for members, sigma in _closable_groups(problem):  # a closure saves as long as a build costs
        for j in range(T):
            saved = sigma * max(C, float(L[j:].sum()))
            out.coef[members, j] -= saved
            out.coef[members, j + 1] += saved
    return out


def budget_rows(problem: SitingProblem) -> list[tuple[int, Linear, float]]:
    """(period, spend, cap) of every budget row: per period, or cumulative when money carries over."""
    s = problem.settings
    basis = commitment if s.budget_basis == "commitment" else cash
    rows = []
    running_cap = 0.0
    running: Linear | None = None
    for j, b in enumerate(s.budgets()):
        spend = basis(problem, j)
        running = spend if running is None else running + spend
        if b is None:
            continue
        running_cap += b
        if s.unspent == "carries_over":
            rows.append((j, running, running_cap))
        else:
            rows.append((j, spend, float(b)))
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
