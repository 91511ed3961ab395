"""The options of the one siting model, for one period (``siting optimize``) or for several (``siting plan``).

:class:`ModelSettings` holds everything the model reads: the periods and their budgets, the
objective, the policy profile and rules, the targets, the solver. The front doors fill it from
the scenario: :func:`siting.optimize.optimize_settings` from ``[optimize]`` (one period as long as
the cost horizon), :func:`siting.plan.plan_settings` from ``[plan]`` (one period per plan year);
both read the rules from ``[rules]`` (:func:`rules_from_scenario`).

Periods and money
-----------------
``years = ()`` is one period as long as ``costs.horizon_years`` (five years): what a one-off
siting decision commits. ``years = (2021, …, 2025)`` are yearly periods. A facility built in a
period costs its capital subsidy in that period and its operating incentive (and rent) in every
period it is open (``operating_from = "year_after"``: from the next one). ``budget_basis =
"commitment"`` instead charges a period's budget with the capital *and* the whole operating
commitment (``commitment_years``, default the cost horizon) of the facilities built in it, the way
a subsidy package is approved; with one horizon-long period both bases are the same money.

Operating after the plan: every facility built commits ``commitment_years`` of operating
incentives from its opening, inside or after the plan (the stated salvage rule of this model);
what falls after the last plan year is reported (``committed_after_plan_wan_yuan``) and counted in
the ``min_cost`` objective, so that building in the last year is not made artificially cheap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from siting.costs import LEVELS, LINES, CostSettings
from siting.errors import Problem, ScenarioError
from siting.io import SITEABLE_TYPES
from siting.standards import SIZE_KEYS, SizeStandards

__all__ = [
    "BUDGET_KINDS",
    "BUDGET_LEVELS",
    "CAPACITY_BASES",
    "DECAYS",
    "HEALTH_RULES",
    "LOCATION_OBJECTIVES",
    "MILESTONE_RULES",
    "OBJECTIVES",
    "POLICIES",
    "PROFILES",
    "RULE_KEYS",
    "SCOPES",
    "SOLVERS",
    "BudgetLine",
    "Milestone",
    "ModelSettings",
    "PlannedBuild",
    "Quota",
    "budget_lines_from_scenario",
    "budgets_by_year",
    "rules_from_scenario",
]

Objective = Literal[
    "max_coverage",
    "min_cost",
    "lexicographic",
    "elderly_years",
    "final_coverage",
    "p_median",
    "p_center",
    "backup",
    "capacitated",
    "attendance",
    "maximin",
]
OBJECTIVES: tuple[str, ...] = (
    "max_coverage",
    "min_cost",
    "lexicographic",
    "elderly_years",
    "final_coverage",
    "p_median",
    "p_center",
    "backup",
    "capacitated",
    "attendance",
    "maximin",
)
#: The classic location objectives (:mod:`siting.model.objectives`): they need a budget or
#: ``new_sites`` like ``max_coverage``; ``capacitated`` without either is the capacitated set
#: covering problem (least cost assigning ``coverage_target``, default all, of the demand).
LOCATION_OBJECTIVES: tuple[str, ...] = (
    "p_median",
    "p_center",
    "backup",
    "capacitated",
    "attendance",
    "maximin",
)
#: Distance-decay functions of the attendance objective (:func:`siting.model.objectives.decay`).
DECAYS: tuple[str, ...] = ("exponential", "gaussian")
CAPACITY_BASES: tuple[str, ...] = ("floor_area", "beds")
#: Beds of the documents' standard center (001 附件1: 街道 ≥ 20 beds in its care area; 镇 ≥ 20
#: nursing-type beds "where possible"), for capacities by beds.
STANDARD_BEDS: Mapping[str, float] = {"street_center": 20.0, "town_center": 20.0}
#: ``documents``: the rules of the policy documents (the default); ``coverage_only``: coverage
#: and money alone (studies, and the classic MCLP/LSCP).
PROFILES: tuple[str, ...] = ("documents", "coverage_only")
#: Rules switched on as hard constraints (``policies``), on top of the profile.
POLICIES: tuple[str, ...] = ("center_per_street", "station_per_community", "hub", "capacity")
SOLVERS: tuple[str, ...] = ("cbc", "highs")
HEALTH_RULES: tuple[str, ...] = ("off", "prefer", "require")
MILESTONE_RULES: tuple[str, ...] = (
    "coverage",
    "every_unit_coverage",
    "every_unit_station",
    "every_street_center",
)
SCOPES: tuple[str, ...] = ("all", "community", "village")
MODES: tuple[str, ...] = ("optimize", "evaluate")
OPERATING_FROM: tuple[str, ...] = ("year_built", "year_after")
UNSPENT: tuple[str, ...] = ("lapses", "carries_over")
BUDGET_BASES: tuple[str, ...] = ("cash", "commitment")
BUDGET_KINDS: tuple[str, ...] = ("capital", "operating", "all")
BUDGET_LEVELS: tuple[str, ...] = (*LEVELS, "all")
DEFAULT_MORTALITY_60P = 0.03


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Milestone:
    """A target the plan must meet from ``year`` on.

    Parameters
    ----------
    year
        The plan year from which it holds.
    rule
        {"coverage", "every_unit_coverage", "every_unit_station", "every_street_center"}.
    kind
        Scope: {"all", "community", "village"} (社区 and 村, only 社区, only 村).
    share
        Share of the elderly to cover (coverage rules).
    name
        How tables and messages call it (default: said from the rule).
    exclude
        Codes of 社区/村 (or 街道/镇) left out of an ``every_*`` rule.
    """

    year: int
    rule: str = "coverage"
    kind: str = "all"
    share: float = 0.8
    name: str = ""
    exclude: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        scope = {"all": "社区/村", "community": "社区", "village": "村"}.get(self.kind, self.kind)
        if self.rule == "coverage":
            what = f"{scope}老年人覆盖率 ≥ {100 * self.share:g}%"
        elif self.rule == "every_unit_coverage":
            what = f"每个{scope}覆盖率 ≥ {100 * self.share:g}%"
        elif self.rule == "every_unit_station":
            what = f"每个{scope}有站（点）"
        else:
            what = "每个街道/镇有养老服务中心"
        more = f"（除 {len(self.exclude)} 个）" if self.exclude else ""
        return f"{self.year}年起{what}{more}"


@dataclass(frozen=True)
class BudgetLine:
    """A budget on some cost lines and levels (scenario ``[[budget.line]]``), 万元.

    Parameters
    ----------
    name
        How tables and messages call it (e.g. "区级建设资金").
    kind
        {"capital", "operating", "all"}: the one-off lines (subsidies, works), the yearly ones
        (incentive, rent), or both.
    level
        {"municipal", "district", "all"}: who pays (:data:`siting.costs.LEVELS`; ``[costs.levels]``).
    lines
        Restrict further to these lines of :data:`siting.costs.LINES` (default: every line of the
        kind and level).
    per_year_wan_yuan
        The cap per plan year: one number for every year, or one per year (None: no cap that
        year). In the one-period model (``siting optimize``) the period is the whole horizon, so a
        yearly cap becomes ``horizon_years`` × it: that model cannot phase, use ``siting plan``.
    total_wan_yuan
        Or one cap on the sum over every period.
    """

    name: str
    kind: str = "all"
    level: str = "all"
    lines: tuple[str, ...] = ()
    per_year_wan_yuan: float | tuple[float | None, ...] | None = None
    total_wan_yuan: float | None = None

    def amounts(self, settings: ModelSettings) -> list[float | None]:
        """The cap of each period (see ``per_year_wan_yuan``)."""
        b = self.per_year_wan_yuan
        if b is None:
            return [None] * settings.n_periods
        if not settings.years:
            per = b[0] if isinstance(b, tuple) else b
            return [None if per is None else float(per) * settings.period_years[0]]
        if isinstance(b, tuple):
            return [None if v is None else float(v) for v in b]
        return [float(b)] * settings.n_periods


@dataclass(frozen=True)
class Quota:
    """At least ``at_least`` facilities of ``type`` in ``unit`` by ``year``: one cell of a build table.

    江津's annexes 2 and 3 (001) list, per 街道/镇 and year, how many 社区养老服务站, 村级互助养老点 and
    centers to build; 万州 (002 §12, §17) and 沙坪坝 (000 ch.4, 专栏) give district totals by a year.
    The count is cumulative: every facility of the type open in the unit in ``year`` counts, the
    existing ones included (``count_existing = True``), or only what the plan builds there from its
    first year on — new sites and upgrades into the type (``count_existing = False``, for tables
    whose numbers are builds, like 江津's annexes, which give the existing facilities in a column of
    their own).

    Parameters
    ----------
    year
        The plan year by which the count must be reached; it must hold in every later plan year too.
    unit
        Code of a 街道/镇 or of a 社区/村 of the district; ``""`` (or the district's code): the whole
        district.
    type
        The facility type counted.
    at_least
        The count required (a whole number ≥ 0).
    at_most
        Optional cap on the count *in* ``year`` (always hard): with ``at_most = at_least`` in every
        year a plan is held to a given programme (same types and counts per unit and year).
    count_existing
        Whether the existing facilities of the type in the unit count (default True).
    hard
        False (default): a quota no plan can reach (too few eligible candidates, or the money) is
        listed as a gap with its reason, like the documents' unit rules, and the rest is planned;
        True: a constraint — no plan meets it, the plan is refused with the reason.
    name, source
        How tables and messages call it, and the document it comes from.
    """

    year: int
    type: str
    at_least: int
    unit: str = ""
    at_most: int | None = None
    count_existing: bool = True
    hard: bool = False
    name: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        where = self.unit or "全区"
        cap = f"（至多 {self.at_most}）" if self.at_most is not None else ""
        new = "" if self.count_existing else "新建"
        return f"{self.year}年 {where} {new}{self.type} ≥ {self.at_least}{cap}"


@dataclass(frozen=True)
class PlannedBuild:
    """One facility the plan builds: a candidate (new) or an existing facility (upgrade).

    ``site_id`` is a ``candidate_id`` or an existing ``facility_id``; ``type`` the type it
    becomes; ``capital_wan_yuan`` replaces the cost model's capital cost.
    """

    site_id: str
    type: str
    year: int
    capital_wan_yuan: float | None = None


@dataclass(frozen=True)
class ModelSettings:
    """Options of the siting model (see the module notes for periods and money).

    Parameters
    ----------
    years
        Plan years, one period each; ``()``: one period as long as the cost horizon.
    objective
        {"max_coverage", "min_cost", "lexicographic", "elderly_years", "final_coverage",
        "p_median", "p_center", "backup", "capacitated", "attendance", "maximin"}:
        most weighted older people covered in the final period; least money (commitments) to meet
        the targets; the first, then the second at that coverage; most elderly-years covered over
        the periods; most final-period coverage, then most elderly-years at it. The classic
        location objectives (:mod:`siting.model.objectives`, final period): least weighted walking
        time to the nearest open site (p-median); least worst walk, then least total walk
        (p-center); most coverage, then most demand with a second site in reach (backup); most
        coverage with every site serving at most its capacity, or without a budget the least
        cost assigning ``coverage_target`` (default all) of the demand (capacitated); most
        attendance under a distance decay (attendance); the highest coverage of the worst-served
        社区/村, then most coverage (maximin).
    budget_wan_yuan
        One number (every period) or one per period, 万元; None: no cap.
    budget_basis, unspent, operating_from, commitment_years
        How money is counted (module notes); ``unspent``: {"lapses", "carries_over"}.
    profile
        {"documents", "coverage_only"}: the documents' rules (types where they fit, size
        standards, a center per 街道/镇, a station per 社区, a point per 村 where it can be met,
        else a listed gap; 中心带站 reported) or none.
    policies
        Rules enforced as hard constraints: {"center_per_street", "station_per_community", "hub",
        "capacity"}.
    coverage_target, community_floor
        Share of the district's elderly, and of every 社区/村's, covered in the final period.
    new_sites
        Exactly this many new sites (the MCLP's p).
    milestones
        Targets by year (:class:`Milestone`).
    quotas
        At least so many facilities of a type in a 街道/镇 (or 社区/村, or the district) by a year
        (:class:`Quota`; soft unless ``hard``).
    build_types
        Types new sites may take.
    max_new, max_new_per_year, min_new_per_year
        Per type: new sites (and upgrades into it) in all; new sites per period.
    health_rule, health_penalty, health_max_distance_m
        {"off", "prefer", "require"}: centers next to their health facility (001 §二(五)).
    hub_types, hub_reach_metric, hub_reach_minutes, hub_reach_m, stations_per_center_max
        中心带站 (001 §二(三)).
    small_community_elderly, sharing_min_share
        The sharing rule for small 社区 (001 §二(一)).
    size_standards
        Minimum floor area and beds per type (001 annex 1; 002 §13).
    min_spacing_m, upgrades, closable_types
        Spacing per type; upgrades per existing type; existing types that may close.
    capacity_basis, capacity_elderly_per_m2, capacity_elderly_per_bed
        Capacities (older people a site serves) under the capacity rule and the ``capacitated``
        objective: {"floor_area", "beds"}; per type, older people per m² of floor area (a type
        not given: ``small_community_elderly`` / ``size_standards.station_small_m2`` = 500 / 200
        = 2.5, the documents' standard of 200 m² for a 社区 with few older people, 001 附件1,
        002 §13) and, with ``beds``, per bed for the centers (a type not given: its standard
        size's capacity over its standard 20 beds, :data:`STANDARD_BEDS`); see
        :meth:`capacity_per_m2`, :meth:`capacity_per_bed`.
    decay, decay_half_minutes
        The attendance objective's distance decay: {"exponential", "gaussian"}, attendance
        ``2^(−t/h)`` or ``2^(−(t/h)²)`` of a walk of ``t`` minutes, half at ``h`` minutes (default
        15: half of the demand at the door attends from the edge of the 15-minute circle, 一刻钟,
        000 ch.5 §2; an assumption).
    builds, mode
        Planned builds; {"optimize", "evaluate"} (evaluate the builds as the whole plan).
    base_year, growth, mortality_60p
        Demand growth over the plan years (:mod:`siting.plan`).
    solver, time_limit_s, mip_gap, threads, warm_start, lexicographic_tolerance
        Solver and limits (``time_limit_s`` per solve).
    curve_budgets, curve_steps
        The budget–coverage curve.
    costs
        The cost model.
    budget_lines
        Budgets on some cost lines and levels (:class:`BudgetLine`), on top of ``budget_wan_yuan``
        (which caps every line).
    """

    years: tuple[int, ...] = ()
    objective: Objective = "max_coverage"
    budget_wan_yuan: float | tuple[float | None, ...] | None = None
    budget_basis: Literal["cash", "commitment"] = "cash"
    unspent: Literal["lapses", "carries_over"] = "lapses"
    operating_from: Literal["year_built", "year_after"] = "year_built"
    commitment_years: float | None = None
    profile: Literal["documents", "coverage_only"] = "documents"
    policies: tuple[str, ...] = ()
    coverage_target: float | None = None
    community_floor: float = 0.0
    new_sites: int | None = None
    milestones: tuple[Milestone, ...] = ()
    quotas: tuple[Quota, ...] = ()
    build_types: tuple[str, ...] = SITEABLE_TYPES
    max_new: Mapping[str, int] = field(default_factory=dict)
    max_new_per_year: Mapping[str, int] = field(default_factory=dict)
    min_new_per_year: Mapping[str, int] = field(default_factory=dict)
    health_rule: Literal["off", "prefer", "require"] = "prefer"
    health_penalty: float = 50.0
    health_max_distance_m: float = 500.0
    hub_types: tuple[str, ...] = ("station",)
    hub_reach_metric: Literal["walking", "straight_line"] = "walking"
    hub_reach_minutes: float = 30.0
    hub_reach_m: float = 1440.0
    stations_per_center_max: int = 10
    small_community_elderly: float = 500.0
    sharing_min_share: float = 0.5
    size_standards: SizeStandards = field(default_factory=SizeStandards)
    min_spacing_m: Mapping[str, float] = field(default_factory=dict)
    upgrades: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    closable_types: tuple[str, ...] = ()
    capacity_basis: Literal["floor_area", "beds"] = "floor_area"
    capacity_elderly_per_m2: Mapping[str, float] = field(default_factory=dict)
    capacity_elderly_per_bed: Mapping[str, float] = field(default_factory=dict)
    decay: Literal["exponential", "gaussian"] = "exponential"
    decay_half_minutes: float = 15.0
    builds: tuple[PlannedBuild, ...] = ()
    mode: Literal["optimize", "evaluate"] = "optimize"
    base_year: int = 2020
    growth: str | float | Mapping[str, float] = "census"
    mortality_60p: float = DEFAULT_MORTALITY_60P
    solver: Literal["cbc", "highs"] = "cbc"
    time_limit_s: float = 120.0
    mip_gap: float = 1e-4
    threads: int | None = None
    warm_start: Literal["greedy", "none"] = "greedy"
    lexicographic_tolerance: float = 0.0
    curve_budgets: tuple[float, ...] = ()
    curve_steps: int = 10
    costs: CostSettings = field(default_factory=CostSettings)
    budget_lines: tuple[BudgetLine, ...] = ()

    def __post_init__(self) -> None:
        b = self.budget_wan_yuan
        if isinstance(b, list):
            object.__setattr__(self, "budget_wan_yuan", tuple(b))
        problems = self.problems("model settings")
        if problems:
            raise ScenarioError("invalid siting settings", problems)

    # -- capacities ---------------------------------------------------------------------------

    @property
    def capacitated(self) -> bool:
        """Whether sites serve at most their capacity (the capacity rule or the objective)."""
        return "capacity" in self.policies or self.objective == "capacitated"

    @property
    def set_covering(self) -> bool:
        """The ``capacitated`` objective without a budget or a number of sites: least cost."""
        return (
            self.objective == "capacitated"
            and self.new_sites is None
            and all(v is None for v in self.budgets())
            and not self.budget_lines
        )

    @property
    def target(self) -> float | None:
        """The district coverage target the model holds: ``coverage_target``, else all of the
        demand for the capacitated set covering problem (:attr:`set_covering`)."""
        if self.coverage_target is None and self.set_covering:
            return 1.0
        return self.coverage_target

    def capacity_per_m2(self) -> dict[str, float]:
        """Older people per m² of floor area for every type (the settings, else the default of
        the size standards: ``small_community_elderly`` / ``station_small_m2``)."""
        ss = self.size_standards
        default = (
            self.small_community_elderly / ss.station_small_m2 if ss.station_small_m2 > 0 else 0.0
        )
        out = dict.fromkeys(SITEABLE_TYPES, float(default))
        out.update({t: float(v) for t, v in self.capacity_elderly_per_m2.items()})
        return out

    def capacity_per_bed(self) -> dict[str, float]:
        """Older people per bed of the types with a bed standard (the settings, else the
        capacity of the standard size spread over the standard beds)."""
        per_m2 = self.capacity_per_m2()
        ss = self.size_standards
        area = {"street_center": ss.street_center_m2, "town_center": ss.town_center_m2}
        out = {t: per_m2[t] * area[t] / beds for t, beds in STANDARD_BEDS.items()}
        out.update({t: float(v) for t, v in self.capacity_elderly_per_bed.items()})
        return out

    # -- periods ------------------------------------------------------------------------------

    @property
    def n_periods(self) -> int:
        return max(1, len(self.years))

    @property
    def n_years(self) -> int:  # the plan's name for it
        return self.n_periods

    @property
    def period_years(self) -> tuple[float, ...]:
        """Length of each period in years (the cost horizon for the one period of ``years = ()``)."""
        if not self.years:
            return (float(self.costs.horizon_years),)
        return (1.0,) * len(self.years)

    @property
    def commitment(self) -> float:
        """Years of operating incentive a build commits (default: the cost horizon)."""
        return float(
            self.costs.horizon_years if self.commitment_years is None else self.commitment_years
        )

    def budgets(self) -> list[float | None]:
        """Budget of each period (None: no cap)."""
        b = self.budget_wan_yuan
        if b is None:
            return [None] * self.n_periods
        if isinstance(b, tuple):
            return list(b)
        return [float(b)] * self.n_periods

    def year_index(self, year: int) -> int:
        return self.years.index(year)

    def label(self, period: int) -> str:
        return str(self.years[period]) if self.years else ""

    # -- checks -------------------------------------------------------------------------------

    def problems(self, source: str) -> list[Problem]:
        """Every problem with the settings (empty: none); each names its key."""
        out: list[Problem] = []

        def bad(key: str, message: str, hint: str | None = None) -> None:
            out.append(Problem(source, message, column=key, hint=hint))

        def choice(key: str, value: Any, allowed: tuple[str, ...]) -> None:
            if value not in allowed:
                bad(key, f"unknown {key.split('.')[-1]} {value!r}", f"use one of {list(allowed)}")

        def share(key: str, value: Any) -> None:
            if value is not None and not (_is_number(value) and 0 <= value <= 1):
                bad(
                    key,
                    f"{key} must be a share between 0 and 1, got {value!r}",
                    "e.g. 0.8 for 80 %",
                )

        def positive(key: str, value: Any, allow_zero: bool = False) -> None:
            if not _is_number(value) or value < 0 or (value == 0 and not allow_zero):
                bad(key, f"{key} must be a number {'>=' if allow_zero else '>'} 0, got {value!r}")

        def types(key: str, values: Any) -> None:
            for t in values:
                if t not in SITEABLE_TYPES:
                    bad(key, f"unknown facility type '{t}'", f"types: {list(SITEABLE_TYPES)}")

        years = list(self.years)
        if years and years != list(range(years[0], years[0] + len(years))):
            bad("plan.first_year", f"the plan years must be consecutive, got {years}")
        span = f"{years[0]}–{years[-1]}" if years else "one period"
        choice("objective", self.objective, OBJECTIVES)
        choice("rules.profile", self.profile, PROFILES)
        choice("solver", self.solver, SOLVERS)
        choice("rules.health_rule", self.health_rule, HEALTH_RULES)
        choice("rules.hub_reach_metric", self.hub_reach_metric, ("walking", "straight_line"))
        choice("warm_start", self.warm_start, ("greedy", "none"))
        choice("budget_basis", self.budget_basis, BUDGET_BASES)
        choice("unspent", self.unspent, UNSPENT)
        choice("operating_from", self.operating_from, OPERATING_FROM)
        choice("mode", self.mode, MODES)
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown:
            bad("rules.policies", f"unknown policies {unknown}", f"policies: {list(POLICIES)}")
        b = self.budget_wan_yuan
        if isinstance(b, tuple):
            if len(b) != self.n_periods:
                bad(
                    "budget_wan_yuan",
                    f"{len(b)} budgets for {self.n_periods} periods ({span})",
                    "give one number (the same every year), a list with one per year, or a table by year",
                )
            for i, v in enumerate(b):
                if v is not None and not (_is_number(v) and v >= 0):
                    yr = years[i] if i < len(years) else i
                    bad(
                        f"budget_wan_yuan.{yr}",
                        f"the budget of {yr} must be a number of 万元 >= 0, got {v!r}",
                    )
        elif b is not None:
            positive("budget_wan_yuan", b, allow_zero=True)
        if self.commitment_years is not None:
            positive("commitment_years", self.commitment_years)
        names = [line.name for line in self.budget_lines]
        for i, line in enumerate(self.budget_lines):
            key = f"budget.line[{i}]"
            if not line.name or names.count(line.name) > 1:
                bad(f"{key}.name", f"every budget line needs its own name, got {line.name!r}")
            choice(f"{key}.kind", line.kind, BUDGET_KINDS)
            choice(f"{key}.level", line.level, BUDGET_LEVELS)
            for x in line.lines:
                if x not in LINES:
                    bad(f"{key}.lines", f"unknown cost line {x!r}", f"lines: {list(LINES)}")
            if (line.per_year_wan_yuan is None) == (line.total_wan_yuan is None):
                bad(
                    key,
                    f"budget line {line.name!r} needs exactly one of per_year_wan_yuan and total_wan_yuan",
                    "e.g. per_year_wan_yuan = 120",
                )
            if line.total_wan_yuan is not None:
                positive(f"{key}.total_wan_yuan", line.total_wan_yuan, allow_zero=True)
            b = line.per_year_wan_yuan
            if isinstance(b, tuple):
                if not years:
                    bad(
                        f"{key}.per_year_wan_yuan",
                        f"budget line {line.name!r} lists budgets by year, but this is one period",
                        "give one number per year (siting optimize), or use siting plan",
                    )
                elif len(b) != self.n_periods:
                    bad(
                        f"{key}.per_year_wan_yuan",
                        f"budget line {line.name!r} lists {len(b)} budgets for {self.n_periods} plan years ({span})",
                    )
                for yr, v in zip(years or [None] * len(b), b, strict=False):
                    if v is not None and not (_is_number(v) and v >= 0):
                        bad(
                            f"{key}.per_year_wan_yuan.{yr}",
                            f"the budget of {line.name!r} in {yr} must be a number of 万元 >= 0, got {v!r}",
                        )
            elif b is not None:
                positive(f"{key}.per_year_wan_yuan", b, allow_zero=True)
        share("coverage_target", self.coverage_target)
        share("community_floor", self.community_floor)
        share("rules.sharing_min_share", self.sharing_min_share)
        share("lexicographic_tolerance", self.lexicographic_tolerance)
        if self.new_sites is not None and not (
            isinstance(self.new_sites, int)
            and not isinstance(self.new_sites, bool)
            and self.new_sites >= 0
        ):
            bad("new_sites", f"new_sites must be a whole number >= 0, got {self.new_sites!r}")
        for key in ("time_limit_s", "hub_reach_minutes", "hub_reach_m", "health_max_distance_m"):
            positive(key if key == "time_limit_s" else f"rules.{key}", getattr(self, key))
        positive("mip_gap", self.mip_gap, allow_zero=True)
        positive("rules.health_penalty", self.health_penalty, allow_zero=True)
        positive("rules.small_community_elderly", self.small_community_elderly, allow_zero=True)
        if not (
            isinstance(self.stations_per_center_max, int) and self.stations_per_center_max >= 1
        ):
            bad(
                "rules.stations_per_center_max",
                "stations_per_center_max must be a whole number >= 1",
            )
        choice("rules.capacity_basis", self.capacity_basis, CAPACITY_BASES)
        choice("optimize.decay", self.decay, DECAYS)
        h = self.decay_half_minutes
        if not (_is_number(h) and 0 < h <= 24 * 60):
            bad(
                "optimize.decay_half_minutes",
                f"decay_half_minutes must be a number of minutes in (0, 1440], got {h!r}",
                "the walk at which half of the demand attends, e.g. 15 (the 15-minute circle)",
            )
        for t in self.capacity_elderly_per_bed:
            if t not in STANDARD_BEDS:
                bad(
                    f"rules.capacity_elderly_per_bed.{t}",
                    f"capacity by beds is for the centers, not {t!r}",
                    f"types: {list(STANDARD_BEDS)} (the others by floor area)",
                )
        for name in (
            "min_spacing_m",
            "max_new",
            "capacity_elderly_per_m2",
            "capacity_elderly_per_bed",
        ):
            for t, v in getattr(self, name).items():
                types(f"rules.{name}.{t}", [t])
                positive(f"rules.{name}.{t}", v, allow_zero=name == "max_new")
        for name in ("max_new_per_year", "min_new_per_year"):
            for t, n in getattr(self, name).items():
                types(f"plan.{name}.{t}", [t])
                if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
                    bad(f"plan.{name}.{t}", f"{name}.{t} must be a whole number >= 0, got {n!r}")
        for t, n in self.min_new_per_year.items():
            hi = self.max_new_per_year.get(t)
            if hi is not None and isinstance(n, int) and isinstance(hi, int) and n > hi:
                bad(
                    f"plan.min_new_per_year.{t}",
                    f"min_new_per_year.{t} = {n} > max_new_per_year.{t} = {hi}",
                )
        for t, targets in self.upgrades.items():
            types(f"rules.upgrades.{t}", (t, *targets))
            if t in targets:
                bad(f"rules.upgrades.{t}", f"an upgrade must change the type ({t} → {t})")
        types("rules.hub_types", self.hub_types)
        types("rules.closable_types", self.closable_types)
        types("build_types", self.build_types)
        ss = self.size_standards
        for key in (
            "station_m2",
            "station_small_m2",
            "street_center_m2",
            "street_center_beds",
            "town_center_m2",
        ):
            positive(f"rules.size.{key}", getattr(ss, key), allow_zero=True)
        if self.curve_steps < 1:
            bad("curve_steps", "curve_steps must be >= 1")
        if not (_is_number(self.mortality_60p) and 0 <= self.mortality_60p < 1):
            bad(
                "plan.mortality_60p",
                f"mortality_60p must be a share in [0, 1), got {self.mortality_60p!r}",
            )
        if years and not (isinstance(self.base_year, int) and self.base_year <= years[0]):
            bad(
                "plan.base_year",
                f"base_year {self.base_year!r} must be a year before the plan ({span})",
            )
        for i, m in enumerate(self.milestones):
            key = f"plan.milestones[{i}]"
            if m.year not in years:
                bad(
                    f"{key}.year",
                    f"milestone year {m.year!r} is outside the plan years {span}",
                    "use a plan year, or change first_year/last_year",
                )
            if m.rule not in MILESTONE_RULES:
                bad(
                    f"{key}.rule",
                    f"unknown milestone rule {m.rule!r}",
                    f"rules: {list(MILESTONE_RULES)}",
                )
            if m.kind not in SCOPES:
                bad(f"{key}.kind", f"unknown milestone kind {m.kind!r}", f"kinds: {list(SCOPES)}")
            if not (_is_number(m.share) and 0 < m.share <= 1):
                bad(
                    f"{key}.share", f"share must be in (0, 1], got {m.share!r}", "e.g. 0.8 for 80 %"
                )
        for i, q in enumerate(self.quotas):
            out.extend(_quota_problems(q, f"plan.quota[{i}]", source, years, span))
        seen: dict[str, int] = {}
        for i, bld in enumerate(self.builds):
            key = f"plan.builds[{i}]"
            if years and bld.year not in years:
                bad(
                    f"{key}.year",
                    f"build year {bld.year!r} of site '{bld.site_id}' is outside the plan years {span}",
                )
            types(f"{key}.type", [bld.type])
            if bld.capital_wan_yuan is not None and not (
                _is_number(bld.capital_wan_yuan) and bld.capital_wan_yuan >= 0
            ):
                bad(
                    f"{key}.capital_wan_yuan",
                    f"capital_wan_yuan must be >= 0, got {bld.capital_wan_yuan!r}",
                )
            if bld.site_id in seen:
                bad(
                    f"{key}.site",
                    f"site '{bld.site_id}' is built twice (builds[{seen[bld.site_id]}] and builds[{i}])",
                    "a site takes one type over the plan",
                )
            seen.setdefault(bld.site_id, i)
        # contradictory or missing switches
        needs_budget = self.objective in (
            "max_coverage",
            "lexicographic",
            "elderly_years",
            "final_coverage",
            *(o for o in LOCATION_OBJECTIVES if o != "capacitated"),
        )
        if (
            needs_budget
            and self.mode == "optimize"
            and self.new_sites is None
            and all(v is None for v in self.budgets())
            and not self.budget_lines
        ):
            bad(
                "budget_wan_yuan",
                f"objective {self.objective} needs a budget (budget_wan_yuan or [[budget.line]]) or a "
                "number of new sites (new_sites)",
                'e.g. budget_wan_yuan = 800, or objective = "min_cost"',
            )
        if (
            self.objective in LOCATION_OBJECTIVES
            and self.objective != "capacitated"
            and "capacity" in self.policies
        ):
            bad(
                "rules.policies",
                f"the capacity rule cannot be combined with objective {self.objective}: its figures "
                "assume every site serves all the demand that walks to it",
                'use objective = "capacitated" for coverage within capacities',
            )
        if self.objective == "min_cost" and self.new_sites is not None:
            bad(
                "new_sites",
                "new_sites fixes the number of sites: it cannot be combined with objective min_cost",
            )
        return out


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _quota_problems(q: Quota, key: str, source: str, years: list[int], span: str) -> list[Problem]:
    """The problems of one quota, each naming its key and value (the unit is checked against the
    district when the plan is built: :func:`siting.model.rules.check_quotas`)."""
    out: list[Problem] = []

    def bad(k: str, message: str, hint: str | None = None) -> None:
        out.append(Problem(source, message, column=f"{key}.{k}", hint=hint))

    if not (_whole(q.year) and q.year in years):
        bad(
            "year",
            f"quota year {q.year!r} is outside the plan years {span}",
            "use a plan year, or change first_year/last_year",
        )
    if q.type not in SITEABLE_TYPES:
        bad("type", f"unknown facility type {q.type!r}", f"types: {list(SITEABLE_TYPES)}")
    if not (_whole(q.at_least) and q.at_least >= 0):
        bad("at_least", f"at_least must be a whole number >= 0, got {q.at_least!r}")
    if q.at_most is not None:
        if not (_whole(q.at_most) and q.at_most >= 0):
            bad("at_most", f"at_most must be a whole number >= 0, got {q.at_most!r}")
        elif _whole(q.at_least) and q.at_most < q.at_least:
            bad("at_most", f"at_most = {q.at_most} < at_least = {q.at_least}")
    for k in ("count_existing", "hard"):
        if not isinstance(getattr(q, k), bool):
            bad(k, f"{k} must be true or false, got {getattr(q, k)!r}")
    if not isinstance(q.unit, str):
        bad("unit", f"unit must be a code in quotes (a 街道/镇 or 社区/村 code), got {q.unit!r}")
    return out


#: Keys of ``[rules]``: the policy rules shared by ``siting optimize`` and ``siting plan``.
RULE_KEYS: Mapping[str, str] = {
    "profile": "profile",
    "policies": "policies",
    "health_rule": "health_rule",
    "health_penalty": "health_penalty",
    "hub_types": "hub_types",
    "hub_reach_metric": "hub_reach_metric",
    "hub_reach_m": "hub_reach_m",
    "min_spacing_m": "min_spacing_m",
    "max_new": "max_new",
    "upgrades": "upgrades",
    "closable_types": "closable_types",
    "capacity_basis": "capacity_basis",
    "capacity_elderly_per_m2": "capacity_elderly_per_m2",
    "capacity_elderly_per_bed": "capacity_elderly_per_bed",
    "build_types": "build_types",
    **{key: f"size.{field}" for key, field in SIZE_KEYS.items()},
}


def rules_from_scenario(scenario: Any, problems: list[Problem]) -> dict[str, Any]:
    """``[rules]`` and the rule numbers of ``[indicators]`` as keyword arguments of :class:`ModelSettings`.

    Problems (unknown keys, wrong kinds) are appended to ``problems``, each naming the file and key.
    """
    from siting.indicators import IndicatorSettings

    source = str(scenario.path)
    sec = dict(scenario.section("rules"))
    ind = IndicatorSettings.from_scenario(scenario)
    kw: dict[str, Any] = {
        "small_community_elderly": float(ind.small_community_elderly),
        "sharing_min_share": float(ind.sharing_min_share),
        "hub_reach_minutes": float(ind.hub_reach_minutes),
        "stations_per_center_max": int(ind.stations_per_center_max),
        "health_max_distance_m": float(ind.health_max_distance_m),
    }
    size: dict[str, Any] = {"small_community_elderly": float(ind.small_community_elderly)}
    for key, value in sec.items():
        target = RULE_KEYS.get(key)
        if target is None:
            problems.append(
                Problem(
                    source,
                    f"unknown key 'rules.{key}'",
                    column=f"rules.{key}",
                    hint=f"known keys of [rules]: {sorted(RULE_KEYS)}",
                )
            )
            continue
        if target.startswith("size."):
            size[target[5:]] = value
        elif target in ("policies", "hub_types", "closable_types", "build_types"):
            kw[target] = tuple(value) if isinstance(value, list) else value
        elif target == "upgrades":
            kw[target] = {
                str(t): tuple(v) if isinstance(v, list) else (v,) for t, v in dict(value).items()
            }
        elif target in (
            "min_spacing_m",
            "max_new",
            "capacity_elderly_per_m2",
            "capacity_elderly_per_bed",
        ):
            kw[target] = dict(value)
        else:
            kw[target] = value
    try:
        kw["size_standards"] = SizeStandards(**size)
    except TypeError as exc:  # pragma: no cover - keys are mapped above
        problems.append(Problem(source, f"invalid size standard: {exc}", column="rules"))
    return kw


_LINE_KEYS = ("name", "kind", "level", "lines", "per_year_wan_yuan", "total_wan_yuan")


def budgets_by_year(
    table: Mapping[Any, Any],
    years: tuple[int, ...],
    key: str,
    report: Any,
    *,
    missing: float | None,
) -> tuple[float | None, ...]:
    """A budget table by year (``{ 2021 = 50, 2023 = 30 }``) as one amount per plan year.

    A year not in the table gets ``missing``; a key that is not a plan year, or an amount that is
    not a number of 万元 ≥ 0, is reported as ``report(f"{key}.{k}", message)`` and left out.
    """
    span = f"{years[0]}–{years[-1]}" if years else "none (one period)"
    out: dict[int, float] = {}
    for k, v in table.items():
        try:
            y = int(k)
        except (TypeError, ValueError):
            report(f"{key}.{k}", f"'{k}' is not a year")
            continue
        if y not in years:
            report(f"{key}.{k}", f"budget year {y} is outside the plan years {span}")
        elif not (_is_number(v) and v >= 0):
            report(f"{key}.{k}", f"the budget of {y} must be a number of 万元 >= 0, got {v!r}")
        else:
            out[y] = float(v)
    return tuple(out.get(y, missing) for y in years)


def budget_lines_from_scenario(
    scenario: Any, years: tuple[int, ...], problems: list[Problem]
) -> tuple[BudgetLine, ...]:
    """The ``[[budget.line]]`` tables of a scenario as :class:`BudgetLine` (checked later by
    :class:`ModelSettings`); ``per_year_wan_yuan`` may be a number, a list (one per plan year) or
    a table by year. Problems are appended to ``problems``, each naming the key and the value."""
    source = str(scenario.path)
    raw = scenario.section("budget").get("line", [])
    out: list[BudgetLine] = []
    for i, item in enumerate(raw):
        key = f"budget.line[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(source, f"{key} must be a table, got {item!r}", column=key))
            continue
        unknown = [k for k in item if k not in _LINE_KEYS]
        for k in unknown:
            problems.append(
                Problem(
                    source,
                    f"unknown key '{key}.{k}'",
                    column=f"{key}.{k}",
                    hint=f"known keys of a budget line: {list(_LINE_KEYS)}",
                )
            )
        per = item.get("per_year_wan_yuan")
        if isinstance(per, list):
            per = tuple(per)
        elif isinstance(per, Mapping):
            per = budgets_by_year(
                per,
                years,
                f"{key}.per_year_wan_yuan",
                lambda column, message: problems.append(Problem(source, message, column=column)),
                missing=None,
            )
        lines = item.get("lines", ())
        out.append(
            BudgetLine(
                name=str(item.get("name", "")),
                kind=str(item.get("kind", "all")),
                level=str(item.get("level", "all")),
                lines=tuple(lines) if isinstance(lines, list | tuple) else (str(lines),),
                per_year_wan_yuan=per,
                total_wan_yuan=item.get("total_wan_yuan"),
            )
        )
    return tuple(out)
