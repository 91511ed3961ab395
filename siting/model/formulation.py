r"""The mixed-integer model: variables, the structure every plan obeys, the objectives.

Let :math:`K` be the options, :math:`F \subseteq K` those fixed open, :math:`V = K \setminus F`
the decisions, :math:`q` the demand classes (:mod:`siting.model.classes`) with weighted demand
:math:`W_{qj}` and older people :math:`E_{qj}` in period :math:`j = 1..T`, :math:`N_q` the
variable options covering class :math:`q`.

.. math::

    o_{kj} \in \{0, 1\}\ (k \in V):\ k \text{ open in period } j, \qquad
    o_{kj} \le o_{k,j+1} \text{ (new sites and upgrades stay open)}, \quad
    o_{kj} \ge o_{k,j+1} \text{ (an existing site, once closed or replaced, stays so)}

    \sum_{k \in g} o_{kj} \le 1 \quad \text{(one type per physical site } g\text{; } = 1 \text{ for an
    existing site that may be upgraded but not closed)}

    0 \le y_{qj} \le \sum_{k \in N_q} o_{kj} \quad (+ \textstyle\sum_k z_{qkj} \text{ under the capacity rule})

Objectives (always minimised; a maximisation is the minimum of its negative, because the CBC 2.10
bundled with PuLP misreads the sign of a mipstart's cost on a maximisation):
coverage :math:`\sum_q W_{qT} y_{qT}` (final period), elderly-years :math:`\sum_j \sum_q W_{qj}
y_{qj}`, cost :math:`\sum` of :func:`siting.model.money.total_cost`, and the rules' shortfall
:math:`\sum_u s_u` of the soft rules (:mod:`siting.model.rules`). Under ``health_rule = "prefer"``
a center far from its health facility is charged ``health_penalty`` in the objective's unit.
With one period (:math:`T = 1`) this is the model of Church & ReVelle's MCLP (1974, with
``new_sites``) and Toregas et al.'s LSCP (1971, unit costs and a 100 % target); with the capacity
rule (:class:`~siting.model.rules.Capacity`, ``objective = "capacitated"``) a class is covered
by an assignment :math:`\sum_k z_{qk}` within :math:`\sum_q E_q z_{qk} \le C_k o_k`: Current &
Storbeck's capacitated MCLP and capacitated LSCP (1988; the LSCP's "system optimal" CLSCP-SO).
The p-median, p-center, backup coverage, attendance and maximin objectives add their own
variables to this structure (:mod:`siting.model.objectives`, formulations there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pulp

from siting.model.classes import Classes, demand_classes
from siting.model.lp import SENSE as _SENSE
from siting.model.lp import new_var
from siting.model.money import Linear, total_cost
from siting.model.objectives import STAGES as LOCATION_STAGES
from siting.model.objectives import ObjectiveRows, add_rows
from siting.model.objectives import objective_terms as location_terms
from siting.model.schedule import planned_schedule
from siting.standards import CENTER_TYPES

if TYPE_CHECKING:
    from siting.model.problem import SitingProblem
    from siting.model.rules import Rule

__all__ = ["Model", "Stage", "build_model"]

Stage = Literal[
    "rules",
    "coverage",
    "elderly_years",
    "cost",
    "elastic",
    "p_median",
    "p_center",
    "backup",
    "attendance",
    "maximin",
    "units_reached",
]
#: Groups an elastic re-solve never relaxes (the model's structure).
_RIGID = frozenset({"structure", "site", "cover", "capacity", "floor", "soft", "objective"})


@dataclass(frozen=True)
class SoftRow:
    """A rule for one unit that may go unmet: ``Σ terms ≥ need − shortfall`` (shortfall in [0, need];
    ``need`` is 1 for a unit's facility, N for a quota of N)."""

    rule: str
    key: str
    label: str
    shortfall: Any
    rows: tuple[tuple[list, float], ...] = ()  # (terms, constant) of each period it holds in
    need: float = 1.0  # facilities required: Σ terms + const ≥ need − shortfall, shortfall ≤ need


@dataclass(eq=False)
class Model:
    """A PuLP model of a :class:`~siting.model.problem.SitingProblem` and the handles rules need."""

    problem: SitingProblem
    prob: pulp.LpProblem
    o: dict[int, list[Any]]
    y: list[list[Any]]
    classes: Classes
    capacitated: np.ndarray
    const_weight: np.ndarray  # (T,) weighted demand covered by fixed options
    const_elderly: np.ndarray  # (T,)
    elastic: bool = False
    forced: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cover_extra: dict[tuple[int, int], list] = field(default_factory=dict)
    z: list[tuple[int, int, int, Any]] = field(default_factory=list)
    a: list[tuple[int, int, Any]] = field(default_factory=list)
    slacks: list[tuple[str, str, str, Any, float]] = field(default_factory=list)
    soft: list[SoftRow] = field(default_factory=list)
    objectives: ObjectiveRows = field(default_factory=ObjectiveRows)
    sign: float = 1.0
    n_rows: int = 0
    n_terms: int = 0

    @property
    def T(self) -> int:
        return self.problem.n_periods

    # -- terms ----------------------------------------------------------------------------

    def open_terms(self, k: int, j: int) -> tuple[list, float]:
        """Option ``k`` open in period ``j`` (−1: before the plan) as (terms, constant)."""
        if j < 0:
            return [], 1.0 if self.problem.existing[k] else 0.0
        if k in self.o:
            return [(self.o[k][j], 1.0)], 0.0
        fixed = bool(self.problem.options["fixed"].iat[k]) and bool(self.problem.allowed[k])
        return [], 1.0 if fixed else 0.0

    def linear(self, lin: Linear) -> tuple[list, float]:
        """A money expression (:class:`~siting.model.money.Linear`) over the model's variables."""
        terms: dict[Any, float] = {}
        const = lin.const
        ks, cols = np.nonzero(lin.coef)
        for k, c in zip(ks, cols, strict=True):
            coef = float(lin.coef[k, c])
            tt, cc = self.open_terms(int(k), int(c) - 1)
            const += coef * cc
            for v, a in tt:
                terms[v] = terms.get(v, 0.0) + coef * a
        return [(v, c) for v, c in terms.items() if c], const

    def option_terms(self, options: np.ndarray, j: int, coef: float = 1.0) -> tuple[list, float]:
        terms, const = [], 0.0
        for k in options:
            tt, cc = self.open_terms(int(k), j)
            terms += [(v, coef * a) for v, a in tt]
            const += coef * cc
        return terms, const

    def coverage_terms(
        self, j: int, *, plain: bool = False, classes: np.ndarray | None = None
    ) -> list:
        values = self.classes.elderly if plain else self.classes.weight
        qs = range(len(self.classes)) if classes is None else classes
        return [(self.y[q][j], float(values[q, j])) for q in qs if values[q, j]]

    # -- rows -----------------------------------------------------------------------------

    def add(self, group: str, key: str, label: str, terms: list, sense: str, rhs: float) -> None:
        """A constraint of rule ``group``; in an elastic model it gets slack (unless structural)."""
        if self.elastic and group not in _RIGID:
            n = len(self.slacks)
            if sense in (">=", "=="):
                s = new_var(self.prob, f"s{n}p", 0.0, None)
                terms = [*terms, (s, 1.0)]
                self.slacks.append((group, key, label, s, +1.0))
            if sense in ("<=", "=="):
                s = new_var(self.prob, f"s{n}m", 0.0, None)
                terms = [*terms, (s, -1.0)]
                self.slacks.append((group, key, label, s, -1.0))
        terms = merge_terms(terms)
        name = f"c{self.n_rows}"
        self.n_rows += 1
        self.n_terms += len(terms)
        self.prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), _SENSE[sense], name, rhs), name
        )

    def add_soft(
        self,
        rule: str,
        key: str,
        label: str,
        rows: list[tuple[list, float]],
        *,
        need: float = 1.0,
    ) -> None:
        """``Σ terms + const ≥ need − s`` for each of ``rows`` (the periods it holds in), one shortfall
        ``0 ≤ s ≤ need``."""
        s = new_var(self.prob, f"u{len(self.soft)}", 0.0, float(need))
        self.soft.append(SoftRow(rule, key, label, s, tuple(rows), float(need)))
        for terms, const in rows:
            self.add("soft", key, label, [*terms, (s, 1.0)], ">=", float(need) - const)

    def size(self) -> dict[str, int]:
        return {
            "variables": len(self.prob.variables()),
            "constraints": self.n_rows,
            "nonzeros": self.n_terms,
        }

    def objective_value(self) -> float:
        """The objective of the current variable values, in its own sense."""
        expr = self.prob.objective
        value = expr.constant + sum(c * (v.varValue or 0.0) for v, c in expr.items())
        return self.sign * float(value)

    # -- the solution -----------------------------------------------------------------------

    def schedule(self) -> tuple[np.ndarray, np.ndarray]:
        """(opened, closed) periods of every option from the variables' values."""
        K = len(self.problem.options)
        opened = np.full(K, -1, dtype=np.int64)
        closed = np.full(K, -1, dtype=np.int64)
        ex = self.problem.existing
        fixed = self.problem.options["fixed"].to_numpy()
        for k, vs in self.o.items():
            vals = [(v.varValue or 0.0) > 0.5 for v in vs]
            if ex[k]:
                shut = [j for j, on in enumerate(vals) if not on]
                closed[k] = shut[0] if shut else -1
            else:
                on = [j for j, v in enumerate(vals) if v]
                opened[k] = on[0] if on else -1
        # existing options that may not open (not allowed) and are not variables are closed from the start
        for k in np.flatnonzero(ex & ~fixed):
            if k not in self.o:
                closed[k] = 0
        return opened, closed

    def set_start(self, opened: np.ndarray, closed: np.ndarray) -> None:
        """Give the option variables the values of a schedule (the other variables follow)."""
        ex = self.problem.existing
        for k, vs in self.o.items():
            for j, v in enumerate(vs):
                if ex[k]:
                    v.setInitialValue(1.0 if closed[k] < 0 or j < closed[k] else 0.0)
                else:
                    v.setInitialValue(1.0 if 0 <= opened[k] <= j else 0.0)


def merge_terms(terms: list) -> list:
    """(variable, coefficient) pairs with each variable once, coefficients summed.

    PuLP's ``LpAffineExpression`` built from a list keeps the *last* coefficient of a repeated
    variable; every expression of the model goes through here so none is silently dropped.
    """
    out: dict[Any, float] = {}
    for v, c in terms:
        out[v] = out.get(v, 0.0) + float(c)
    return [(v, c) for v, c in out.items() if c]


def _penalty(problem: SitingProblem) -> np.ndarray:
    s = problem.settings
    out = np.zeros(len(problem.options))
    if s.health_rule == "prefer" and s.health_penalty > 0:
        d = problem.options["health_distance_m"].to_numpy(dtype=float)
        far = np.isin(problem.options["type"].to_numpy(), CENTER_TYPES) & ~(
            d <= s.health_max_distance_m
        )
        out[far & ~problem.existing] = s.health_penalty
    return out


def build_model(problem: SitingProblem, rules: Sequence[Rule], *, elastic: bool = False) -> Model:
    """The structure of the model and the rows of ``rules``; set an objective with :func:`set_objective`."""

    s = problem.settings
    T = problem.n_periods
    opts = problem.options
    allowed = problem.allowed
    fixed = opts["fixed"].to_numpy()
    capacitated = np.zeros(len(opts), dtype=bool)
    if s.capacitated:
        capacitated = np.isfinite(opts["capacity_elderly"].to_numpy(dtype=float)) & allowed
    classes = demand_classes(problem, capacitated)
    prob = pulp.LpProblem("siting", pulp.LpMinimize)
    forced = (
        planned_schedule(problem, s.builds, source="plan") if s.builds else np.full(len(opts), -1)
    )
    o: dict[int, list[Any]] = {}
    for k in np.flatnonzero((allowed | (forced >= 0)) & ~fixed):
        vs = [new_var(prob, f"x{k}_{j}", 0, 1, pulp.LpBinary) for j in range(T)]
        if forced[k] >= 0:
            for j, v in enumerate(vs):
                v.lowBound = v.upBound = 1 if j >= forced[k] else 0
        o[int(k)] = vs
    y = [[new_var(prob, f"y{q}_{j}", 0.0, 1.0) for j in range(T)] for q in range(len(classes))]
    const = classes.const_covered
    g = problem.growth
    model = Model(
        problem=problem,
        prob=prob,
        o=o,
        y=y,
        classes=classes,
        capacitated=capacitated,
        const_weight=np.array(
            [float((problem.matrix.weights * g[:, j])[const].sum()) for j in range(T)]
        ),
        const_elderly=np.array(
            [float((problem.matrix.elderly * g[:, j])[const].sum()) for j in range(T)]
        ),
        elastic=elastic,
        forced=forced,
    )
    ex = problem.existing
    # stay open (new) / stay closed (existing)
    for k, vs in o.items():
        for j in range(T - 1):
            a, b = (vs[j], vs[j + 1]) if not ex[k] else (vs[j + 1], vs[j])
            model.add("structure", "", "", [(a, 1.0), (b, -1.0)], "<=", 0.0)
    # one option per physical site; an existing site stays open unless closable
    groups = opts["group"].to_numpy()
    closable = opts["closable"].to_numpy()
    by_group: dict[int, list[int]] = {}
    for k in o:
        by_group.setdefault(int(groups[k]), []).append(k)
    for gr, members in by_group.items():
        has_existing = bool(ex[members].any())
        keep_open = has_existing and not closable[members].any()
        periods = range(T) if has_existing else [T - 1]
        for j in periods:
            terms = [(o[k][j], 1.0) for k in members]
            if keep_open:
                model.add("site", str(gr), "", terms, "==", 1.0)
            elif len(members) > 1:
                model.add("site", str(gr), "", terms, "<=", 1.0)
    for rule in rules:  # rules that change coverage itself (capacity) come first
        if getattr(rule, "before_coverage", False):
            rule.add(model)
    cv = classes.unc
    for q in range(len(classes)):
        opts_q = cv.indices[cv.indptr[q] : cv.indptr[q + 1]]
        for j in range(T):
            terms = [(y[q][j], 1.0)] + [(o[int(k)][j], -1.0) for k in opts_q if int(k) in o]
            terms += [(v, -1.0) for v in model.cover_extra.get((q, j), [])]
            model.add("cover", "", "", terms, "<=", 0.0)
    for rule in rules:
        if not getattr(rule, "before_coverage", False):
            rule.add(model)
    if not elastic:  # the classic objectives' structure (siting.model.objectives)
        add_rows(model)
    return model


def objective_terms(model: Model, stage: Stage) -> tuple[list, float, float]:
    """(terms, constant, sign) of a stage's objective in minimisation form."""
    problem = model.problem
    if stage in LOCATION_STAGES:
        return location_terms(model, stage)
    T = model.T
    pen = _penalty(problem)
    pen_terms = [(model.o[k][T - 1], float(pen[k])) for k in model.o if pen[k]]
    if stage == "rules":
        return [(r.shortfall, 1.0) for r in model.soft], 0.0, 1.0
    if stage == "coverage":
        terms = [(v, -c) for v, c in model.coverage_terms(T - 1)] + pen_terms
        return terms, -float(model.const_weight[T - 1]), -1.0
    if stage == "elderly_years":
        terms = [(v, -c) for j in range(T) for v, c in model.coverage_terms(j)] + pen_terms
        return terms, -float(model.const_weight.sum()), -1.0
    if stage == "cost":
        terms, const = model.linear(total_cost(problem))
        return terms + pen_terms, const, 1.0
    # elastic: budget slack costs 1 per 万元, every other slack more than any budget
    cost = float(np.clip(problem.commitment_wan_yuan, 0, None).sum())
    big = 10.0 * (cost + 1.0) + 1e3
    return [(sv, 1.0 if g == "budget" else big) for g, _, _, sv, _ in model.slacks], 0.0, 1.0


def set_objective(model: Model, stage: Stage) -> None:
    terms, const, sign = objective_terms(model, stage)
    model.sign = -1.0 if sign < 0 else 1.0
    model.prob.setObjective(pulp.LpAffineExpression(merge_terms(terms), constant=const))


def add_floor(model: Model, stage: Stage, value: float) -> None:
    """Keep a solved stage's result in the next: its objective (minimisation form) ≤ ``value``."""
    terms, const, _ = objective_terms(model, stage)
    model.add("floor", stage, f"stage {stage}", terms, "<=", value - const)
