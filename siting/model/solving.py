"""Solving the model: pre-solve checks, the lexicographic stages, the explanation when nothing fits.

Stages, one solve each, every stage keeping what the previous one reached (a floor row):

1. ``rules`` (when soft rules exist, the documents profile): as many 街道/镇, 社区 and 村 served
   by their facility as the money and the other rules allow;
2. the objective: coverage of the final period (``max_coverage``, ``final_coverage``,
   ``lexicographic``, ``capacitated`` with a budget or ``new_sites``), elderly-years
   (``elderly_years``), least cost (``min_cost``, ``capacitated`` without either), or one of the
   classic objectives of :mod:`siting.model.objectives`: least total walk (``p_median``), least
   worst walk (``p_center``), most coverage and then most backup coverage (``backup``), most
   attendance (``attendance``), highest coverage of the worst-served 社区/村 (``maximin``);
3. the tie-break: least cost at that coverage (``lexicographic``, within
   ``lexicographic_tolerance``), most elderly-years (``final_coverage``, ``min_cost``, the
   capacitated set covering, and ``max_coverage`` over several periods), least total walk at
   the worst walk (``p_center``), most coverage at the worst unit's (``maximin``).

Lexicographic rather than weighted: each stage's objective is solved to its own gap, so no weight
has to dwarf the others. The greedy plan (:mod:`siting.model.greedy`, one period only) is HiGHS's
start for the first stage after the rules and the fallback when the solver finds nothing in time.

Every solve is certified (:func:`siting.model.solver.certify`): the objective of the plan it
returns is recomputed from the problem's data (:func:`siting.model.result.plan_objective`), and
a stage is optimal only when that value agrees with the solver's and with its bound; a solver
whose objective is not its plan's makes the stage, and the result, ``objective_mismatch``, with
a warning.

Before solving, the hard rules say what no plan can meet (a unit without any eligible option, a
target above what every option reaches, a budget below the cheapest way); if the solver still finds
no plan, an elastic copy of the model (non-negative slack on every rule row, budget slack costing
1 per 万元 and every other slack more than any budget) is solved and the rules with slack are named
with their numbers in an :class:`~siting.errors.InfeasibleError`. Nothing is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.errors import InfeasibleError, SitingError
from siting.model.formulation import Model, Stage, add_floor, build_model, set_objective
from siting.model.greedy import _option_costs, greedy_plan
from siting.model.money import budget_rows, cash, commitment, open_matrix
from siting.model.objectives import NAMES as LOCATION_NAMES
from siting.model.objectives import horizon_seconds
from siting.model.objectives import set_start as set_location_start
from siting.model.result import plan_objective
from siting.model.rules import (
    CenterPerUnit,
    Rule,
    StationPerUnit,
    _names,
    active_rules,
    check_capacities,
    hub_assignment,
)
from siting.model.schedule import planned_schedule, with_build_capital
from siting.model.solver import Run, certify, gap, run_solver, version_of

if TYPE_CHECKING:
    from siting.model.problem import SitingProblem
    from siting.model.result import SitingResult
    from siting.model.settings import ModelSettings, PlannedBuild

__all__ = ["evaluate", "presolve", "solve"]

log = logging.getLogger(__name__)

_MAIN: dict[str, Stage] = {
    "max_coverage": "coverage",
    "final_coverage": "coverage",
    "lexicographic": "coverage",
    "elderly_years": "elderly_years",
    "min_cost": "cost",
    "p_median": "p_median",
    "p_center": "p_center",
    "backup": "backup",
    "attendance": "attendance",
    "maximin": "maximin",
}
_NAMES = {
    "rules": "rule_shortfall",
    "coverage": "weighted_covered",
    "elderly_years": "elderly_years",
    "cost": "cost_wan_yuan",
    **LOCATION_NAMES,
}


def main_stage(settings: ModelSettings) -> Stage:
    """The stage whose objective a solve reports (after the rules)."""
    if settings.objective == "capacitated":
        return "cost" if settings.set_covering else "coverage"
    return _MAIN[settings.objective]


def _plan_value(
    model: Model, stage: Stage, rules: Sequence[Rule], opened: np.ndarray, closed: np.ndarray
) -> float | None:
    """The ``stage`` objective of a schedule, recomputed from the problem's data (None: elastic)."""
    if stage not in _NAMES:
        return None
    problem = model.problem
    return plan_objective(problem, _NAMES[stage], open_matrix(problem, opened, closed), rules=rules)


def _solve_stage(model: Model, stage: Stage, rules: Sequence[Rule], *, start: bool) -> Run:
    """Solve ``model`` (its objective set to ``stage``) and certify the run against the plan the
    solver leaves, its objective recomputed from the data; a disagreement is logged as a warning."""
    s = model.problem.settings
    run = run_solver(model, s, start=start)
    recomputed = (
        None if run.objective is None else _plan_value(model, stage, rules, *model.schedule())
    )
    run = certify(run, recomputed, mip_gap=s.mip_gap)
    if run.status == "objective_mismatch":
        log.warning(
            "stage %s: %s %s reported objective %s (the model's value of its plan %s), but the "
            "plan it returned has %s = %.6g recomputed from the data: status objective_mismatch, "
            'its optimality cannot be trusted (try solver = %r, or warm_start = "none")',
            stage,
            s.solver,
            run.solver_version,
            "n/a" if run.solver_objective is None else f"{run.solver_objective:.6g}",
            f"{model.objective_value():.6g}",
            _NAMES.get(stage, stage),
            run.objective,
            "highs" if s.solver == "cbc" else "cbc",
        )
    return run


def _stages(problem: SitingProblem, model: Model) -> list[Stage]:
    s = problem.settings
    main = main_stage(s)
    out: list[Stage] = ["rules"] if model.soft else []
    if s.objective == "backup":
        out.append("coverage")  # the most covered once, then the most covered twice
    out.append(main)
    if s.objective == "lexicographic":
        out.append("cost")
    elif s.objective == "p_center":
        out.append("p_median")
    elif s.objective == "maximin":
        out += ["units_reached", "coverage"]
    elif (
        s.objective in ("final_coverage", "min_cost")
        or s.set_covering
        or (s.objective in ("max_coverage", "capacitated") and problem.n_periods > 1)
    ):
        out.append("elderly_years")
    return out


def _min_build_cost(problem: SitingProblem, k: int, p: int) -> float:
    """The least money a budget row up to period ``p`` must pay if option ``k`` opens by then."""
    s = problem.settings
    if s.budget_basis == "commitment":
        return float(problem.commitment_wan_yuan[k])
    cap = float(problem.options["capital_wan_yuan"].iat[k])
    op = float(problem.operating_per_year[k])
    paid = s.period_years[p] if (s.operating_from == "year_built" or not s.years) else 0.0
    return cap + op * paid


def check_candidates(problem: SitingProblem) -> None:
    """Refuse settings under which no candidate may open anywhere, naming the rules and numbers.

    Raises
    ------
    InputError
        There are candidates, and every one of them is excluded (by the type-fit rule, the size
        standards, the build types, …): the standards contradict the candidate list.
    """
    from siting.errors import InputError, Problem
    from siting.model.rules import REASONS

    o = problem.options
    new = (o["action"].to_numpy() == "new") & ~o["fixed"].to_numpy()
    if not new.any() or problem.allowed[new].any() or problem.settings.builds:
        return
    reason = problem.eligibility.reason[new]
    if not np.isin(reason, ("type_not_fit", "below_size")).any():
        return  # other rules (spacing, health) explain themselves when the plan is infeasible
    types = o["type"].to_numpy()[new]
    area = o["floor_area_given_m2"].to_numpy(dtype=float)[new]
    ss = problem.settings.size_standards
    items = []
    for why in sorted(set(reason)):
        sel = reason == why
        what = {
            "below_size": "rules.station_min_m2 / street_center_min_m2 / town_center_min_m2 (001 附件1; 002 §13)",
            "type_not_fit": 'rules.profile = "documents": types by unit kind (001 §二(一))',
            "not_build_type": "rules.build_types",
            "far_from_health": 'rules.health_rule = "require"',
            "spacing": "rules.min_spacing_m",
        }.get(why, why)
        detail = ", ".join(
            f"{t} {int(n)}" for t, n in zip(*np.unique(types[sel], return_counts=True), strict=True)
        )
        if why == "below_size":
            finite = area[sel][np.isfinite(area[sel])]
            detail += (
                f"; floor areas {finite.min():,.0f}–{finite.max():,.0f} m² against station ≥ {ss.station_m2:g} "
                f"(≥ {ss.station_small_m2:g} in a small 社区), street center ≥ {ss.street_center_m2:g}, "
                f"town center ≥ {ss.town_center_m2:g} m²"
                if len(finite)
                else ""
            )
        items.append(
            Problem(
                str(problem.inputs.scenario.path) if problem.inputs is not None else "settings",
                f"{int(sel.sum())} candidate options excluded: {REASONS[why][1]} ({detail})",
                column=what,
                hint="check the standard against the candidates file, or set the rule off",
            )
        )
    raise InputError(
        f"no candidate may open anywhere: all {int(new.sum())} candidate options are excluded by the rules",
        items,
    )


def _nothing_opens(problem: SitingProblem) -> list[str]:
    """A walking objective (p-median, p-center, attendance) on an instance where no site is open
    and the settings let none open: every walk would be the horizon's penalty."""
    s = problem.settings
    if s.objective not in ("p_median", "p_center", "attendance") or s.years:
        return []
    cols = np.isin(problem.options["type"].to_numpy(), list(problem.coverage_types))
    fixed = problem.options["fixed"].to_numpy() & problem.allowed & cols
    if fixed.any():
        return []
    horizon = f"every walk would be the search horizon ({horizon_seconds(problem) / 60:g} min)"
    what = f"objective {s.objective}: there is no existing facility and"
    if s.new_sites == 0:
        return [f"{what} new_sites = 0: {horizon}"]
    costs, const, caps, _ = _option_costs(problem)
    usable = np.flatnonzero(problem.allowed & cols & ~problem.existing)
    if len(costs) == 0 or len(usable) == 0:
        return [] if len(usable) else [f"{what} no site may open: {horizon}"]
    need = const[:, None] + costs[:, usable]  # (rows, options): each row's spend opening one site
    over = (need > caps[:, None] + 1e-9).any(axis=0)
    if not over.all():
        return []
    rows = [r for r in budget_rows(problem) if r.period == 0]
    excess = need - caps[:, None]
    cheapest = int(np.argmin(excess.max(axis=0)))
    worst = int(np.argmax(excess[:, cheapest]))
    label = rows[worst].label if rows[worst].line else "budget_wan_yuan"
    return [
        f"{what} the budget cannot open one site: the cheapest of the {len(usable)} sites needs "
        f"{need[worst, cheapest]:,.1f} 万元 of {label} ({caps[worst]:,.1f} 万元): {horizon}"
    ]


def _capacity_short(problem: SitingProblem) -> list[str]:
    """A capacitated target above what every site that may open can hold together."""
    s = problem.settings
    if not s.capacitated or s.target is None:
        return []
    cap = problem.options["capacity_elderly"].to_numpy(dtype=float)
    total = float(np.nansum(np.where(problem.allowed, cap, 0.0)))
    e = problem.matrix.elderly * problem.growth[:, -1]
    need = s.target * float(e.sum())
    if total >= need - 1e-6:
        return []
    return [
        f"coverage target {100 * s.target:g} % within capacities: {need:,.1f} older people to assign, but "
        f"the {int(problem.allowed.sum())} sites that may open hold {total:,.1f} together"
    ]


def presolve(problem: SitingProblem, rules: Sequence[Rule]) -> list[str]:
    """Reasons the model is infeasible that can be seen without solving it (empty: none)."""
    s = problem.settings
    out: list[str] = []
    for r in rules:
        out += r.presolve(problem)
    out += _nothing_opens(problem) + _capacity_short(problem)
    if out:
        return out
    budgets = s.budgets()
    saving = problem.options["closure_saving_wan_yuan_per_year"].to_numpy(dtype=float)
    # the cheapest way to meet the hard unit rules, per period they hold from
    by_period: dict[int, list[tuple[Rule, int, float]]] = {}
    for r in rules:
        if isinstance(r, CenterPerUnit | StationPerUnit) and not r.soft:
            p = r.first(problem)
            units = [u for u in r.units(problem) if not u.shared]
            if units:
                lb = float(
                    sum(
                        max(0.0, min(_min_build_cost(problem, int(k), p) for k in u.options))
                        for u in units
                    )
                )
                by_period.setdefault(p, []).append((r, len(units), lb))
    for p, parts in sorted(by_period.items()):
        if any(b is None for b in budgets[: p + 1]):
            continue
        avail = float(sum(b for b in budgets[: p + 1] if b is not None))
        years_saved = (
            s.commitment if s.budget_basis == "commitment" else float(sum(s.period_years[: p + 1]))
        )
        savings = float(saving.sum()) * years_saved
        need = sum(lb for *_, lb in parts)
        if need <= avail + savings + 1e-6:
            continue
        if not s.years:
            each = [f"the {n} {r.unit_word()} {r.lacking()} one each" for r, n, _ in parts]
            if len(parts) > 1:
                each = [f"{t} ({lb:,.1f} 万元)" for t, (*_, lb) in zip(each, parts, strict=True)]
            money = f"budget {avail:,.1f} 万元"
            if savings > 0:
                money += f" (+ {savings:,.1f} 万元 if every closable facility closed)"
            out.append(f"{money} < {need:,.1f} 万元 needed to give " + " and ".join(each))
        else:
            for r, n, lb in parts:
                out.append(
                    f"{r.describe(problem)}: giving the {n} {r.unit_word()} {r.lacking()} the cheapest one each "
                    f"costs at least {lb:,.1f} 万元, but the budgets {s.years[0]}–{s.years[p]} add up to {avail:,.1f} 万元"
                )
    for t, n in s.max_new.items():
        need = [
            u
            for r in rules
            if isinstance(r, CenterPerUnit) and not r.soft
            for u in r.units(problem)
            if u.needs == (t,)
        ]
        if len(need) > n:
            out.append(
                f"max_new: {t} = {n} < {len(need)} 街道/镇 that need a new {t} (center_per_street is on): "
                + _names([f"{u.name} ({u.code})" for u in need])
            )
    for r in rules:
        if isinstance(r, StationPerUnit) and not r.soft and s.years:
            caps = [
                s.max_new_per_year.get(t)
                for t in s.build_types
                if t in ("station", "village_point")
            ]
            units = r.units(problem)
            if units and caps and all(c is not None for c in caps):
                most = sum(caps) * (r.first(problem) + 1)
                if most < len(units):
                    out.append(
                        f"{r.describe(problem)}: {len(units)} {r.unit_word()} need a station or point by "
                        f"{s.label(r.first(problem))}, but max_new_per_year allows {most} by then"
                    )
    if s.builds and s.unspent == "lapses" and s.mode == "optimize":
        opened = planned_schedule(problem, s.builds, source="plan")
        om = open_matrix(problem, opened, np.full(len(opened), -1))
        basis = commitment if s.budget_basis == "commitment" else cash
        for j, b in enumerate(budgets):
            spend = basis(problem, j).value(om)
            if b is not None and spend > b + 1e-6:
                out.append(
                    f"the planned builds (plan.builds) alone spend {spend:,.1f} 万元 in {s.label(j)}, above its "
                    f"budget of {b:,.1f} 万元"
                )
    return out


def _targets(problem: SitingProblem) -> str:
    s = problem.settings
    if s.quotas and s.milestones:
        return "milestones and quotas"
    return "quotas" if s.quotas else "milestones"


def _header(problem: SitingProblem, name: str) -> str:
    return (
        f"plan '{name}' cannot meet its {_targets(problem)}"
        if problem.settings.years
        else "no plan satisfies the rules"
    )


def explain(problem: SitingProblem, rules: Sequence[Rule], name: str) -> str:
    """Why no plan exists: the rules an elastic re-solve has to relax, with their numbers."""
    s = problem.settings
    model = build_model(problem, rules, elastic=True)
    set_objective(model, "elastic")
    run = _solve_stage(model, "elastic", rules, start=False)
    if run.status not in ("optimal", "time_limit", "not_proven", "objective_mismatch"):
        return "no plan satisfies the rules, and the elastic re-solve found no explanation within the time limit"
    by_group: dict[str, list[tuple[str, str, float]]] = {}
    for group, key, label, sv, _ in model.slacks:
        v = float(sv.varValue or 0.0)
        if v > 1e-6:
            by_group.setdefault(group, []).append((key, label, v))
    owners = {r.group: r for r in rules}
    msgs = []
    for group, items in by_group.items():
        if group == "hub_capacity":
            amount = sum(v for *_, v in items)
            msgs.append(
                f"hub: {len(items)} centers would have to run more than {s.stations_per_center_max} stations "
                f"({amount:.0f} too many): {_names([lab for _, lab, _ in items])}"
            )
        elif group in owners:
            msgs.append(owners[group].explain(problem, items))
        else:
            msgs.append(f"{group}: {_names([lab for _, lab, _ in items])}")
    if not msgs:
        return "no plan satisfies the rules (numerically infeasible)"
    if s.years:
        return (
            f"plan '{name}' cannot meet its {_targets(problem)} within its limits; the smallest relaxation that works:\n- "
            + "\n- ".join(msgs[:20])
        )
    return "; ".join(msgs)


def _start_values(model: Model, chosen: np.ndarray) -> bool:
    """Give every variable of a one-period model the values of the plan ``chosen``; True if feasible."""
    problem = model.problem
    opened = np.where(chosen & ~problem.existing, 0, -1)
    closed = np.where(problem.existing & ~chosen, 0, -1)
    model.set_start(opened, closed)
    cls = model.classes
    unc = np.asarray(cls.unc @ chosen.astype(np.float64)).ravel() > 0
    yv = unc.astype(float)
    cap_left = np.where(chosen, problem.options["capacity_elderly"].to_numpy(dtype=float), 0.0)
    for q, k, _j, zv in model.z:
        amount = 0.0
        e = cls.elderly[q, 0]
        if yv[q] < 1.0 and chosen[k] and cap_left[k] > 0 and e > 0:
            amount = min(1.0 - yv[q], cap_left[k] / e)
            yv[q] += amount
            cap_left[k] -= amount * e
        zv.setInitialValue(amount)
    for q, vs in enumerate(model.y):
        vs[0].setInitialValue(min(1.0, float(yv[q])))
    assignment = hub_assignment(problem, chosen)[0] if model.a else {}
    for a, h, av in model.a:
        av.setInitialValue(1.0 if assignment.get(a) == h else 0.0)
    set_location_start(model, chosen)
    for *_, sv, _ in model.slacks:
        sv.setInitialValue(0.0)
    for row in model.soft:  # what the plan leaves short: a unit without its facility, a quota
        served = min(
            sum(c * (v.varValue or 0.0) for v, c in terms) + const for terms, const in row.rows
        )
        row.shortfall.setInitialValue(float(min(row.need, max(0.0, row.need - served))))
    return all(c.valid(1e-6) for c in model.prob.constraints())


def solve(
    problem: SitingProblem, *, name: str | None = None, indicators: bool = True
) -> SitingResult:
    """Solve a siting instance or plan; raise :class:`~siting.errors.InfeasibleError` naming the rules if none.

    ``indicators=False`` leaves out the plan's indicators (``SitingResult.indicators`` None), for
    sweeps that need only the plan's figures (the budget–coverage curve).
    """
    from siting.model.result import make_result

    s = problem.settings
    name = name or problem.scenario_name or ("plan" if s.years else "siting")
    problem = with_build_capital(problem, s.builds)
    check_candidates(problem)
    check_capacities(problem)
    rules = active_rules(problem)
    checks = presolve(problem, rules)
    if checks:
        if s.years:
            raise InfeasibleError(f"{_header(problem, name)}:\n- " + "\n- ".join(checks))
        raise InfeasibleError(f"{_header(problem, name)}: " + "; ".join(checks))
    t0 = time.perf_counter()
    model = build_model(problem, rules)
    build_s = time.perf_counter() - t0
    stages = _stages(problem, model)
    main = main_stage(s)
    first = next(st for st in stages if st != "rules")  # the greedy plan's stage
    solve_s = 0.0
    runs: list[dict[str, Any]] = []
    schedule: tuple[np.ndarray, np.ndarray] | None = None
    greedy_obj: float | None = None
    heuristic = False
    warm_used = False
    solver_version = version_of(s.solver)
    for stage in stages:
        set_objective(model, stage)
        start = False
        greedy_valid = False
        greedy: np.ndarray | None = None
        if stage == first and problem.n_periods == 1 and greedy_obj is None and not s.builds:
            t1 = time.perf_counter()
            greedy = greedy_plan(model, rules, stage=stage)
            greedy_valid = _start_values(model, greedy)
            greedy_obj = (
                _plan_value(model, stage, rules, *model.schedule()) if greedy_valid else None
            )
            build_s += time.perf_counter() - t1
            start = greedy_valid and s.warm_start == "greedy" and s.solver == "highs"
            warm_used = warm_used or start
        elif schedule is not None and s.solver == "highs" and s.warm_start == "greedy":
            model.set_start(*schedule)
        run = _solve_stage(model, stage, rules, start=start)
        solver_version = run.solver_version or solver_version
        solve_s += run.seconds
        if run.status == "infeasible" or (
            run.status == "no_solution"
            and schedule is None
            and run.bound is None
            and not greedy_valid
        ):
            if schedule is None:
                why = explain(problem, rules, name)
                raise InfeasibleError(why if s.years else f"{_header(problem, name)}: {why}")
            log.warning(
                "%s: stage %s returned %s; keeping the previous stage's plan",
                name,
                stage,
                run.status,
            )
            break
        if run.status == "no_solution":
            if schedule is not None:
                log.warning(
                    "%s: stage %s found no plan in time; keeping the previous stage's plan",
                    name,
                    stage,
                )
                runs.append(
                    {
                        "stage": stage,
                        "status": "time_limit",
                        "objective": None,
                        "bound": run.bound,
                        "gap": None,
                        **_said(run),
                    }
                )
                break
            if not greedy_valid:
                raise SitingError(
                    f"the solver found no plan within time_limit_s = {s.time_limit_s:g} s and the greedy plan breaks a "
                    "rule: raise time_limit_s"
                )
            assert greedy is not None
            _start_values(model, greedy)
            heuristic = True
            objective: float = float(greedy_obj)  # type: ignore[arg-type]
            runs.append(
                {
                    "stage": stage,
                    "status": "heuristic",
                    "objective": objective,
                    "bound": run.bound,
                    "gap": gap(objective, run.bound),
                    **_said(run),
                }
            )
            schedule = model.schedule()
        else:
            objective = float(run.objective)  # type: ignore[arg-type]
            status = run.status
            if (
                greedy_valid
                and status != "optimal"
                and greedy_obj is not None
                and (greedy_obj - objective) * -model.sign > 1e-9
            ):
                assert greedy is not None
                _start_values(model, greedy)  # the solver stopped short of the greedy plan
                objective = float(greedy_obj)
            runs.append(
                {
                    "stage": stage,
                    "status": status,
                    "objective": objective,
                    "bound": run.bound,
                    "gap": gap(objective, run.bound),
                    **_said(run),
                }
            )
            schedule = model.schedule()
        # keep what this stage reached in the next
        value = model.sign * objective
        tol = 1e-7 * max(1.0, abs(value)) + 1e-6
        if stage == "coverage" and s.objective == "lexicographic":
            tol += s.lexicographic_tolerance * abs(value)
        add_floor(model, stage, value + tol)
        if stage != stages[-1]:
            model.set_start(*schedule)
    assert schedule is not None
    statuses = [r["status"] for r in runs]
    if "objective_mismatch" in statuses:
        status = "objective_mismatch"
    elif heuristic:
        status = "heuristic"
    elif all(st == "optimal" for st in statuses):
        status = "optimal"
    elif "not_proven" in statuses:
        status = "not_proven"
    else:
        status = "time_limit"
    report = next(
        r for r in runs if r["stage"] == (stages[-1] if s.objective == "lexicographic" else main)
    )
    opened, closed = schedule
    result = make_result(
        problem,
        opened,
        closed,
        status=status,
        objective_name=_NAMES[report["stage"]],
        objective=report["objective"],
        bound=report["bound"],
        build_seconds=build_s,
        solve_seconds=solve_s,
        model=model,
        rules=rules,
        stages=runs,
        greedy_objective=greedy_obj,
        name=name,
        extra={
            "warm_start_used": warm_used,
            "objective_solver": report["solver_objective"],
            "solver_version": solver_version,
        },
        indicators=indicators,
    )
    log.info("solve %s: %r (build %.2f s, solve %.2f s)", name, result, build_s, solve_s)
    return result


def _said(run: Run) -> dict[str, Any]:
    """What the solver said in a run, for the stage's record."""
    return {
        "solver_status": run.solver_status,
        "solver_objective": run.solver_objective,
        "presolve": run.presolve,
    }


def evaluate(
    problem: SitingProblem, builds: Sequence[PlannedBuild], *, name: str | None = None
) -> SitingResult:
    """Coverage, spend, milestones and gaps of a given plan (nothing optimized)."""
    from siting.model.result import make_result

    t0 = time.perf_counter()
    problem = with_build_capital(problem, builds)
    opened = planned_schedule(problem, builds, source="builds")
    closed = np.full(len(opened), -1, dtype=np.int64)
    # an upgraded existing facility is replaced by its upgrade from the upgrade's year on
    o = problem.options
    for k in np.flatnonzero((opened >= 0) & (o["action"].to_numpy() == "upgrade")):
        ex = np.flatnonzero(problem.existing & (o["group"].to_numpy() == o["group"].iat[k]))
        closed[ex] = opened[k]
    return make_result(
        problem,
        opened,
        closed,
        status="evaluated",
        objective_name="elderly_years",
        objective=None,
        bound=None,
        build_seconds=time.perf_counter() - t0,
        solve_seconds=0.0,
        model=None,
        rules=active_rules(problem),
        stages=[],
        greedy_objective=None,
        name=name or problem.scenario_name or "plan",
        extra={},
    )
