"""``siting optimize``: where should new facilities go — the one-period front door to :mod:`siting.model`.

:func:`optimize_settings` reads ``[optimize]`` (objective, budget, targets, solver), ``[rules]``
(the policy profile and rules, shared with ``siting plan``) and ``[costs]``; :func:`optimize`
builds the district's :class:`~siting.model.problem.SitingProblem` over one period as long as the
cost horizon (capital plus five years of operating incentives) and solves it. Tables and files:
:mod:`siting.reports`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from siting.costs import CostSettings
from siting.errors import Problem, ScenarioError
from siting.model import ModelSettings, SitingResult, build_problem
from siting.model.settings import RULE_KEYS, budget_lines_from_scenario, rules_from_scenario

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.coverage import CoverageMatrix, CoverageResult
    from siting.demand import Demand
    from siting.io import Inputs

__all__ = ["OPTIMIZE_KEYS", "optimize", "optimize_settings"]

#: Keys of ``[optimize]`` (the rules are in ``[rules]``).
OPTIMIZE_KEYS: tuple[str, ...] = (
    "objective",
    "budget_wan_yuan",
    "coverage_target",
    "community_floor",
    "new_sites",
    "solver",
    "time_limit_s",
    "mip_gap",
    "threads",
    "warm_start",
    "lexicographic_tolerance",
    "curve_budgets",
    "curve_steps",
    "decay",
    "decay_half_minutes",
)


def optimize_settings(scenario: Any, **overrides: Any) -> ModelSettings:
    """One-period settings from ``[optimize]``, ``[rules]``, ``[costs]`` and ``[indicators]``.

    ``overrides`` (e.g. ``budget_wan_yuan=800`` from the command line) replace scenario values;
    ``objective = "min_cost"`` without a target aims at the plan's 80 % (``[indicators]
    home_care_coverage_target``, 000 专栏1 / 003).

    Raises
    ------
    ScenarioError
        Every problem at once, each naming the scenario file and the key.
    """
    from siting.indicators import IndicatorSettings

    source = str(scenario.path)
    problems: list[Problem] = []
    sec = dict(scenario.section("optimize"))
    kwargs = rules_from_scenario(scenario, problems)
    kwargs["budget_lines"] = budget_lines_from_scenario(scenario, (), problems)
    for key, value in sec.items():
        if key in RULE_KEYS:
            problems.append(
                Problem(
                    source,
                    f"'optimize.{key}' is a rule: it moved to [rules]",
                    column=f"optimize.{key}",
                    hint=f"write it under [rules] (shared by siting optimize and siting plan): {key} = …",
                )
            )
        elif key not in OPTIMIZE_KEYS:
            problems.append(
                Problem(
                    source,
                    f"unknown key 'optimize.{key}'",
                    column=f"optimize.{key}",
                    hint=f"known keys of [optimize]: {list(OPTIMIZE_KEYS)}",
                )
            )
        elif key == "curve_budgets":
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    if "policies" in overrides and overrides["policies"] is not None:
        overrides["policies"] = tuple(overrides["policies"])
    kwargs.update(overrides)
    if kwargs.get("objective") == "min_cost" and kwargs.get("coverage_target") is None:
        kwargs["coverage_target"] = float(
            IndicatorSettings.from_scenario(scenario).home_care_coverage_target
        )
    try:
        kwargs["costs"] = CostSettings.from_scenario(scenario)
    except ScenarioError as exc:
        problems.extend(exc.problems)
    settings = None
    try:
        settings = ModelSettings(**kwargs)
    except ScenarioError as exc:
        problems.extend(
            dataclasses.replace(p, source=source, column=_key(p.column, "optimize"))
            for p in exc.problems
        )
    except TypeError as exc:  # a value of the wrong kind (e.g. a table for a list)
        problems.append(Problem(source, f"invalid [optimize] value: {exc}", column="optimize"))
    if problems or settings is None:
        raise ScenarioError(f"scenario {source}: invalid [optimize] settings", problems)
    return settings


def _key(column: str | None, section: str) -> str | None:
    """A settings key as the scenario spells it (``optimize.budget_wan_yuan``, ``rules.policies``)."""
    if column is None or (
        "." in column.split("[")[0]
        and column.split(".")[0] in ("rules", "plan", "costs", "budget", section)
    ):
        return column
    return f"{section}.{column}"


def optimize(
    inputs: Inputs,
    coverage: CoverageResult | CoverageMatrix,
    settings: ModelSettings | None = None,
    *,
    graph: WalkGraph | None = None,
    candidates: CoverageMatrix | None = None,
    demand: Demand | None = None,
) -> SitingResult:
    """Choose new sites for a district: :func:`~siting.model.build.build_problem`, then solve.

    Parameters are those of :func:`~siting.model.build.build_problem`; the settings must be of
    one period (``years = ()``). Raises :class:`~siting.errors.InfeasibleError` (the rules and
    numbers that make it impossible).
    """
    settings = settings or optimize_settings(inputs.scenario)
    if settings.years:
        raise ValueError("optimize is the one-period model: use siting.plan.plan for plan years")
    problem = build_problem(
        inputs, coverage, graph=graph, candidates=candidates, demand=demand, settings=settings
    )
    return problem.solve()
