"""``siting plan``: what to build in which year — the multi-year front door to :mod:`siting.model`.

Plans are written per year (江津's tables list the facilities to build in 2019, 2020, 2021 and 2022
per 街道/镇; 万州 adds 80 village points a year; 沙坪坝 and 铜梁 set 2025 targets).
:func:`plan_settings` reads ``[plan]`` (years, budgets, growth, milestones, planned builds, solver),
``[rules]`` (the policy profile and rules, shared with ``siting optimize``) and ``[costs]``;
:func:`plan` builds the district's :class:`~siting.model.problem.SitingProblem` with one period per
plan year and solves it (or evaluates the planned builds when ``mode = "evaluate"``). The model,
its money and its rules are documented in :mod:`siting.model`; demand growth in
:mod:`siting.growth`. Tables and files: :mod:`siting.reports`.

Milestones (``[[plan.milestones]]``), each from its year on:

- ``coverage``: ≥ ``share`` of the scope's elderly (all, 社区 or 村) covered, e.g. 80 % by the final
  year (000 专栏1, 003);
- ``every_unit_coverage``: the same for every 社区/村 of the scope;
- ``every_unit_station``: every 社区 of the scope without a 社区养老服务站 gets one inside it, every
  村 without a 村级互助养老点 (or station) one ("一村（社区）一站（点）", 001 §二(一) and annex 1; 001 §一:
  all 社区 by 2020, all 村 by 2022); a village or compound point is not a 社区's station;
- ``every_street_center``: every 街道/镇 without its center gets one (001 §二(一)).

Quotas (``[[plan.quota]]``), a build table by unit and year (江津's annexes 2 and 3, 001; 万州's 21
centers by 2022 and 80 points a year, 002; 沙坪坝's 专栏, 000)::

    [[plan.quota]]
    year = 2020                 # by this plan year (and in every later one)
    unit = "500199001"          # a 街道/镇 (or 社区/村) code; omitted or "": the whole district
    type = "station"
    at_least = 3
    count_existing = false      # count only what the plan builds (default true: existing ones count)
    at_most = 3                 # optional cap in that year (same programme as another plan)
    hard = false                # default: unreachable → listed as a gap with its reason
    name = "附件2 紫庙街道 2020年"
    source = "001 附件2"

A quota is soft by default: one that the candidates (or the money) cannot reach is listed in the
gaps with its reason and the numbers, and everything else is planned; ``hard = true`` makes it a
constraint (a plan that cannot meet it is refused, explained). ``plan_quotas.csv`` reports every
quota year by year: required, planned, met. See :class:`~siting.model.settings.Quota` and
:class:`~siting.model.rules.QuotaRule`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from siting.costs import CostSettings
from siting.errors import Problem, ScenarioError
from siting.growth import growth_problems
from siting.model import Milestone, ModelSettings, PlannedBuild, SitingResult, build_problem
from siting.model.settings import (
    RULE_KEYS,
    Quota,
    budget_lines_from_scenario,
    budgets_by_year,
    rules_from_scenario,
)

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.coverage import CoverageResult
    from siting.io import Inputs

__all__ = ["plan", "plan_settings", "programme_quotas"]


def _is_number(value: Any) -> bool:
    import math

    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def plan_settings(scenario: Any, **overrides: Any) -> ModelSettings:
    """Settings of the plan years from ``[plan]``, ``[rules]`` and ``[costs]``; ``overrides`` replace values.

    Raises
    ------
    ScenarioError
        Every problem found, each naming the scenario file and the key (e.g.
        ``plan.milestones[1].year``).
    """
    source = str(scenario.path)
    sec = dict(scenario.section("plan"))
    problems: list[Problem] = []
    kwargs = rules_from_scenario(scenario, problems)
    kwargs.update(_parse_plan(sec, source, problems))
    kwargs["budget_lines"] = budget_lines_from_scenario(scenario, kwargs["years"], problems)
    overrides = dict(overrides)
    if "budget_wan_yuan" in overrides and overrides["budget_wan_yuan"] is not None:
        years = overrides.get("years", kwargs["years"])

        def bad(key: str, message: str, hint: str | None = None) -> None:
            problems.append(Problem("overrides", message, column=f"plan.{key}", hint=hint))

        value = overrides["budget_wan_yuan"]
        overrides["budget_wan_yuan"] = _parse_budget(
            list(value) if isinstance(value, tuple) else value, tuple(years), bad
        )
    kwargs.update(overrides)
    problems.extend(growth_problems(kwargs.get("growth", "census"), source))
    try:
        kwargs["costs"] = CostSettings.from_scenario(scenario)
    except ScenarioError as exc:
        problems.extend(exc.problems)
    settings = None
    try:
        settings = ModelSettings(**kwargs)
    except ScenarioError as exc:  # every problem at once: add those of the values as read
        seen = {(p.column, p.message) for p in problems}
        for p in exc.problems:
            col = (
                p.column
                if p.column is None
                or p.column.split(".")[0] in ("plan", "rules", "costs", "budget")
                else f"plan.{p.column}"
            )
            if (col, p.message) not in seen:
                problems.append(dataclasses.replace(p, source=source, column=col))
    except TypeError as exc:  # a value of the wrong kind (e.g. a table for a list)
        problems.append(Problem(source, f"invalid [plan] value: {exc}", column="plan"))
    if problems or settings is None:
        raise ScenarioError(f"scenario {source}: invalid [plan] settings", problems)
    return settings


_PLAN_KEYS = {
    "first_year",
    "last_year",
    "base_year",
    "objective",
    "mode",
    "budget_wan_yuan",
    "unspent",
    "operating_from",
    "growth",
    "mortality_60p",
    "budget_basis",
    "commitment_years",
    "max_new_per_year",
    "min_new_per_year",
    "milestones",
    "quota",
    "builds",
    "solver",
    "time_limit_s",
    "mip_gap",
    "threads",
    "warm_start",
}
_MILESTONE_KEYS = {"year", "rule", "kind", "share", "name", "exclude"}
_BUILD_KEYS = {"site", "type", "year", "capital_wan_yuan"}
_QUOTA_KEYS = {
    "year",
    "unit",
    "type",
    "at_least",
    "at_most",
    "count_existing",
    "hard",
    "name",
    "source",
}


def _parse_plan(sec: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, Any]:
    """``[plan]`` as keyword arguments of :class:`~siting.model.settings.ModelSettings`; problems are appended."""

    def bad(key: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(source, message, column=f"plan.{key}", hint=hint))

    for key in sec:
        if key in RULE_KEYS:
            bad(
                key,
                f"'plan.{key}' is a rule: it moved to [rules]",
                f"write it under [rules] (shared by siting optimize and siting plan): {key} = …",
            )
        elif key not in _PLAN_KEYS:
            bad(key, f"unknown key 'plan.{key}'", f"known keys of [plan]: {sorted(_PLAN_KEYS)}")
    kw: dict[str, Any] = {}
    first = sec.get("first_year", 2021)
    last = sec.get("last_year", 2025)
    if not (isinstance(first, int) and isinstance(last, int) and first <= last <= first + 30):
        bad("last_year", f"first_year {first!r} and last_year {last!r} must be years, first ≤ last")
        first, last = 2021, 2025
    years = tuple(range(first, last + 1))
    kw["years"] = years
    for key in (
        "base_year",
        "objective",
        "mode",
        "unspent",
        "operating_from",
        "growth",
        "budget_basis",
        "solver",
        "warm_start",
    ):
        if key in sec:
            kw[key] = sec[key]
    for key in ("mortality_60p", "time_limit_s", "mip_gap", "commitment_years"):
        if key in sec:
            kw[key] = float(sec[key]) if _is_number(sec[key]) else sec[key]
    if "threads" in sec:
        kw["threads"] = sec["threads"]
    if "budget_wan_yuan" in sec:
        kw["budget_wan_yuan"] = _parse_budget(sec["budget_wan_yuan"], years, bad)
    for key in ("max_new_per_year", "min_new_per_year"):
        if key in sec:
            if isinstance(sec[key], Mapping):
                kw[key] = dict(sec[key])
            else:
                bad(key, f"{key} must be a table by type, e.g. {{ village_point = 48 }}")
    milestones = []
    for i, raw in enumerate(sec.get("milestones", [])):
        key = f"milestones[{i}]"
        if not isinstance(raw, Mapping):
            bad(key, f"{key} must be a table ([[plan.milestones]])")
            continue
        for k in raw:
            if k not in _MILESTONE_KEYS:
                bad(
                    f"{key}.{k}",
                    f"unknown key '{k}' in {key}",
                    f"known keys: {sorted(_MILESTONE_KEYS)}",
                )
        if "year" not in raw:
            bad(f"{key}.year", f"{key} has no year")
            continue
        milestones.append(
            Milestone(
                year=raw["year"],
                rule=raw.get("rule", "coverage"),
                kind=raw.get("kind", "all"),
                share=raw.get("share", 0.8),
                name=str(raw.get("name", "")),
                exclude=tuple(str(c) for c in raw.get("exclude", ())),
            )
        )
    kw["milestones"] = tuple(milestones)
    kw["quotas"] = _parse_quotas(sec.get("quota", []), years, bad)
    builds = []
    for i, raw in enumerate(sec.get("builds", [])):
        key = f"builds[{i}]"
        if not isinstance(raw, Mapping):
            bad(key, f"{key} must be a table ([[plan.builds]])")
            continue
        for k in raw:
            if k not in _BUILD_KEYS:
                bad(
                    f"{key}.{k}",
                    f"unknown key '{k}' in {key}",
                    f"known keys: {sorted(_BUILD_KEYS)}",
                )
        missing = [k for k in ("site", "type", "year") if k not in raw]
        if missing:
            bad(
                key,
                f"{key} lacks {missing}",
                'e.g. { site = "C0001", type = "station", year = 2022 }',
            )
            continue
        builds.append(
            PlannedBuild(
                site_id=str(raw["site"]),
                type=str(raw["type"]),
                year=raw["year"],
                capital_wan_yuan=raw.get("capital_wan_yuan"),
            )
        )
    kw["builds"] = tuple(builds)
    return kw


def _parse_quotas(raw_list: Any, years: tuple[int, ...], bad: Any) -> tuple[Quota, ...]:
    """``[[plan.quota]]`` as :class:`~siting.model.settings.Quota` (values checked by the settings).

    A quota that lacks a key is reported here and kept with a harmless stand-in for the missing
    value, so that the settings' messages name the same ``quota[i]`` as the file.
    """
    if not isinstance(raw_list, list):
        bad("quota", "quota must be an array of tables ([[plan.quota]])")
        return ()
    quotas = []
    for i, raw in enumerate(raw_list):
        key = f"quota[{i}]"
        if not isinstance(raw, Mapping):
            bad(key, f"{key} must be a table ([[plan.quota]])")
            continue
        for k in raw:
            if k not in _QUOTA_KEYS:
                bad(
                    f"{key}.{k}",
                    f"unknown key '{k}' in {key}",
                    f"known keys: {sorted(_QUOTA_KEYS)}",
                )
        missing = [k for k in ("year", "type", "at_least") if k not in raw]
        if missing:
            bad(
                key,
                f"{key} lacks {missing}",
                'e.g. { year = 2020, unit = "500199001", type = "station", at_least = 3 }',
            )
        unit = raw.get("unit", "")
        quotas.append(
            Quota(
                year=raw.get("year", years[0]),
                type=str(raw.get("type", "station")),
                at_least=raw.get("at_least", 0),
                unit=unit if not isinstance(unit, int | float) else str(unit),
                at_most=raw.get("at_most"),
                count_existing=raw.get("count_existing", True),
                hard=raw.get("hard", False),
                name=str(raw.get("name", "")),
                source=str(raw.get("source", "")),
            )
        )
    return tuple(quotas)


def _parse_budget(value: Any, years: tuple[int, ...], bad: Any) -> tuple[float | None, ...] | None:
    if _is_number(value):
        return (float(value),) * len(years)
    if isinstance(value, list):
        if len(value) != len(years):
            bad(
                "budget_wan_yuan",
                f"budget_wan_yuan lists {len(value)} budgets for {len(years)} plan years ({years[0]}–{years[-1]})",
                "one number per plan year",
            )
            return (0.0,) * len(years)  # a placeholder: the problem is reported
        out: list[float | None] = []
        for y, v in zip(years, value, strict=True):
            if not (_is_number(v) and v >= 0):
                bad(
                    f"budget_wan_yuan.{y}",
                    f"the budget of {y} must be a number of 万元 >= 0, got {v!r}",
                )
                out.append(None)
            else:
                out.append(float(v))
        return tuple(out)
    if isinstance(value, Mapping):
        return budgets_by_year(
            value, years, "budget_wan_yuan", lambda column, message: bad(column, message), missing=0.0
        )
    bad(
        "budget_wan_yuan",
        f"budget_wan_yuan must be a number, a list or a table by year, got {value!r}",
    )
    return (0.0,) * len(years)


def plan(
    inputs: Inputs,
    graph: WalkGraph,
    settings: ModelSettings | None = None,
    *,
    coverage: CoverageResult | None = None,
    name: str | None = None,
) -> SitingResult:
    """The five-year plan of a scenario (``siting plan``): optimized, or evaluated when
    ``[plan] mode = "evaluate"``.

    Parameters
    ----------
    inputs
        The district's inputs; ``inputs.scenario`` names the run (hash, name).
    graph
        The older pedestrian's walking graph.
    settings
        Plan settings (default: the scenario's ``[plan]`` and ``[rules]``).
    coverage
        Coverage of the existing facilities, to reuse its demand and matrix.
    name
        Name of the plan in tables and maps (default: the scenario's name).

    Raises
    ------
    InfeasibleError
        A milestone cannot be met; the message names it and the numbers.
    """
    from siting.model.solving import evaluate, solve

    settings = settings or plan_settings(inputs.scenario)
    problem = build_problem(inputs, coverage, graph=graph, settings=settings)
    if settings.mode == "evaluate":
        return evaluate(problem, settings.builds, name=name)
    return solve(problem, name=name)


def programme_quotas(
    result: SitingResult,
    *,
    units: Sequence[tuple[str, str, bool]] = (),
    unit_years: Literal["every", "last"] = "every",
    types: Sequence[str] | None = None,
    name: str = "同一方案",
) -> tuple[Quota, ...]:
    """Quotas that hold another plan to ``result``'s programme: same types and counts, year by year.

    For every plan year and every type built or buildable (``build_types``; or of ``types``):
    exactly as many builds of the type
    in the district (new sites and upgrades into it) as ``result`` has by then; and for every
    ``(unit, type, count_existing)`` of ``units``, exactly as many counted in the unit — in every
    year, or (``unit_years = "last"``) by the final year only, leaving which unit comes first to the
    plan (the district's count per year still holds). A plan
    optimized under these quotas differs from ``result`` only in *where* (and, within a year's
    count, which site) — a gain it shows is a better choice of places, not a different programme.
    Each quota's count is a cap (``at_most``, hard) and a soft requirement (``at_least``: ``result``
    itself meets it, so a plan with its money can too; one that cannot, under other hard rules,
    shows it as a gap instead of failing).
    """
    from siting.model.money import open_matrix
    from siting.model.rules import QuotaRule

    problem = result.problem
    s = problem.settings
    om = open_matrix(problem, result.opened, result.closed)
    built = result.opened >= 0
    keys = [
        ("", t, False)
        for t in (
            types
            if types is not None
            else sorted(
                set(s.build_types) | set(problem.options["type"].to_numpy()[built].astype(str))
            )
        )
    ]
    n_district = len(keys)
    keys += [k for k in units if k not in keys]
    out = []
    for i, (unit, typ, count_existing) in enumerate(keys):
        for j, year in enumerate(s.years):
            if i >= n_district and unit_years == "last" and j < len(s.years) - 1:
                continue
            probe = Quota(year=year, type=typ, at_least=0, unit=unit, count_existing=count_existing)
            n = QuotaRule(quota=probe).counted(problem, om, j)
            where = unit or "全区"
            out.append(
                dataclasses.replace(
                    probe,
                    at_least=n,
                    at_most=n,
                    name=f"{name}：{year}年 {where} {typ} = {n}",
                    source=f"{result.name}",
                )
            )
    return tuple(out)
