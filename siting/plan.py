r"""Five-year plans: what to build in which year, what each year's money buys, which milestones hold.

Plans are written per year (江津's tables list the facilities to build in 2019, 2020, 2021 and 2022
per 街道/镇; 万州 adds 80 village points a year; 沙坪坝 and 铜梁 set 2025 targets). This module phases
the siting decision over the plan years, with a budget per year, growing demand and milestones.

Formulation
-----------
Years :math:`j = 1..T` (``[plan] first_year..last_year``, 十四五 2021–2025 by default). Columns
:math:`k` of the :class:`~siting.coverage.CoverageMatrix` are existing facilities (open from the
start, a constant) and *options*: a candidate site as one of its eligible types, or an existing
facility upgraded (or renovated) to a type. Options of one physical site form a group :math:`g`.
:math:`N_q` are the options within walking reach of the demand class :math:`q` (demand points of
one 社区/村 with the same set of covering options and not covered by an existing facility: one
coverage variable per class and year, never one per non-covering pair). :math:`E_{qj}` and
:math:`W_{qj}` are the class's older people and weighted demand in year :math:`j` (grown, below);
:math:`c_k` the capital cost of option :math:`k` in the year it is built, :math:`a_k` its yearly
operating incentive (and rent), both 万元 (:mod:`siting.costs`).

.. math::

    o_{kj} \in \{0, 1\}:\ k \text{ open in year } j, \qquad o_{kj} \le o_{k,j+1}
    \quad \text{(built facilities stay open)}

    \sum_{k \in g} o_{kT} \le 1 \quad \text{(at most one type per site over the plan)}

    0 \le y_{qj} \le \sum_{k \in N_q} o_{kj} \quad \text{(class } q \text{ covered in year } j\text{)}

    S_j = \sum_k c_k (o_{kj} - o_{k,j-1}) + a_k o_{kj} \le B_j
    \quad \text{(spend of year } j\text{; } o_{k0} = 0\text{)}

Operating incentives are paid from the year the facility is built (``operating_from =
"year_built"``, the default: it opens in that year and is paid a full year, a conservative
rounding). ``"year_after"`` pays from the next year (:math:`a_k o_{k,j-1}`); it makes the final
year's builds free of operating cost inside the plan, an end-of-horizon effect to keep in mind. With
``unspent = "carries_over"`` the budget rows are cumulative, :math:`\sum_{s \le j} S_s \le
\sum_{s \le j} B_s`. Existing facilities' incentives are already funded and not counted.
``[plan.max_new_per_year]`` / ``min_new_per_year`` bound :math:`\sum_{k \in t} (o_{kj} - o_{k,j-1})`
per type (new sites only). Planned builds (``[[plan.builds]]``) fix :math:`o_{kj} = [j \ge
\text{year}]`.

Milestones (``[[plan.milestones]]``), each from its year :math:`X` on:

- ``coverage``: :math:`\sum_{q \in S} E_{qj} y_{qj} + \text{const} \ge s \sum_{i \in S} E_{ij}`
  over the scope :math:`S` (all, 社区 or 村), e.g. 80 % by the final year (000 专栏1, 003);
- ``every_unit_coverage``: the same inequality for every 社区/村 of the scope;
- ``every_unit_station``: every 社区 of the scope without a 社区养老服务站 gets one inside it, every
  村 without a 村级互助养老点 (or station) one, :math:`\sum_{k \in u} o_{kX} \ge 1` ("一村（社区）
  一站（点）", 001 §二(一) and annex 1; 001 §一: all 社区 by 2020, all 村 by 2022). A village point
  does not count for a 社区 here (stricter than the ``station_per_community`` indicator, which
  counts either), so a least-cost plan cannot serve a 社区 with a 500 元/月 point;
- ``every_street_center``: every 街道/镇 without its center gets one (001 §二(一)).

Objectives (``objective``): ``elderly_years`` maximises :math:`\sum_j \sum_q W_{qj} y_{qj}` (older
people covered, summed over the plan years: earlier coverage counts); ``final_coverage`` maximises
the final year's weighted coverage, then the elderly-years at that coverage; ``min_cost`` minimises
:math:`\sum_j S_j`, then maximises the elderly-years at that cost.

Solving: PuLP with CBC, ``time_limit_s`` per model (each stage gets its share), the relative gap
reported. Before solving, :func:`milestone_gaps` finds milestones that no plan can meet (a 社区 with
no candidate inside it, a target above what every candidate together reaches, a budget below the
cheapest way to meet it); if the solver still finds no plan, an elastic copy (slack on budgets,
per-year counts and milestones; budget slack costs 1 per 万元, the others far more) names the rows
that conflict and by how much, in an :class:`~siting.errors.InfeasibleError`. Coverage, spend and
milestones of the result are recomputed from the coverage matrix and the build years, never read
back from the model's :math:`y`.

Demand growth
-------------
The older population of community :math:`c` in year :math:`j` is its base figure (the census year,
``base_year = 2020``) times :math:`(1 + r_c)^{j - \text{base\_year}}`. ``growth`` is ``"census"``
(default), ``"none"``, an annual rate, or a table of rates by kind (``community``/``village``) or
12-digit code (``default`` for the rest).

The ``"census"`` projection is a one-line cohort balance from the census age shares:

.. math::

    r_c = \frac{P^{60\text{–}64}_c / 5}{P^{60+}_c} - m

- inflow: the people turning 60 each year are taken to be as many as one fifth of those aged
  60–64 (:math:`P^{60+} - P^{65+}` of the communities file, else the district's 2020 census shares
  60–64 and 60+ of :data:`CENSUS_2020`); this assumes the next cohort is as large as the last. In
  Chongqing the cohort born 1961–1965 (aged 55–59 in 2020) is larger than the one born 1956–1960
  (the famine years), so the projection *understates* growth in 2021–2025;
- outflow: ``mortality_60p`` = 3 % of the 60+ die each year (assumption: China's 2020 deaths, 998
  万 (NBS 2020 statistical bulletin), about four in five of them aged 60+, over the 60+ population
  of 2.64 亿 (2020 census): 0.8 × 998 / 26,402 ≈ 3.0 %); migration is ignored.

For 铜梁 (60–64 5.12 %, 60+ 26.08 %) this gives 0.0512 / 5 / 0.2608 − 0.03 ≈ +0.93 % a year; the
demo district, generated with 铜梁's shares, gets the same. Every rate used is in the result.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
from scipy.sparse import csr_matrix

import siting
from siting.costs import CostSettings, site_costs, upgrade_costs
from siting.coverage import CoverageMatrix, CoverageResult, CoverageSettings, coverage_matrix
from siting.errors import InfeasibleError, InputError, Problem, ScenarioError
from siting.i18n import Language, labeller
from siting.i18n import label as i18n_label
from siting.indicators import CENTER_FOR_KIND, CENTER_TYPES, STATION_TYPES
from siting.io import SITEABLE_TYPES
from siting.options import assemble_options, column_values

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.demand import Demand
    from siting.indicators import Indicators
    from siting.io import Inputs

__all__ = [
    "CENSUS_2020",
    "MILESTONE_RULES",
    "OBJECTIVES",
    "Milestone",
    "MilestoneGap",
    "PlanProblem",
    "PlanResult",
    "PlanSettings",
    "PlannedBuild",
    "annual_growth_rates",
    "build_plan",
    "coverage_ceiling",
    "milestone_gaps",
    "plan",
    "plan_frames",
    "write_plan_outputs",
]

log = logging.getLogger(__name__)

Objective = Literal["elderly_years", "final_coverage", "min_cost"]
OBJECTIVES: tuple[str, ...] = ("elderly_years", "final_coverage", "min_cost")
MODES: tuple[str, ...] = ("optimize", "evaluate")
MILESTONE_RULES: tuple[str, ...] = (
    "coverage",
    "every_unit_coverage",
    "every_unit_station",
    "every_street_center",
)
SCOPES: tuple[str, ...] = ("all", "community", "village")
#: The facility that gives a 社区/村 its own station or point (一村（社区）一站（点）, 001 §二(一) and
#: annex 1: a 社区养老服务站 per 社区, a 村级互助养老点 per 村; a station in a 村 counts too).
UNIT_TYPES: Mapping[str, tuple[str, ...]] = {
    "community": ("station",),
    "village": ("village_point", "station"),
}
OPERATING_FROM: tuple[str, ...] = ("year_built", "year_after")
UNSPENT: tuple[str, ...] = ("lapses", "carries_over")
#: Share of the 60+ who die in a year (see the module notes).
DEFAULT_MORTALITY_60P = 0.03

#: 2020 census by district: code → (name, share aged 60–64, share aged 60+) of the residents
#: (NBS county tables as tabulated by the MIT-licensed ``tudigong`` project).
CENSUS_2020: Mapping[str, tuple[str, float, float]] = {
    "500101": ("万州区", 0.0504, 0.2393),
    "500102": ("涪陵区", 0.0314, 0.2116),
    "500103": ("渝中区", 0.0573, 0.1976),
    "500104": ("大渡口区", 0.0596, 0.1958),
    "500105": ("江北区", 0.0546, 0.1905),
    "500106": ("沙坪坝区", 0.048, 0.1678),
    "500107": ("九龙坡区", 0.0511, 0.1808),
    "500108": ("南岸区", 0.0512, 0.1807),
    "500109": ("北碚区", 0.0513, 0.2123),
    "500110": ("綦江区", 0.0537, 0.2517),
    "500111": ("大足区", 0.0478, 0.2264),
    "500112": ("渝北区", 0.043, 0.164),
    "500113": ("巴南区", 0.0522, 0.2183),
    "500114": ("黔江区", 0.0382, 0.1848),
    "500115": ("长寿区", 0.0486, 0.2537),
    "500116": ("江津区", 0.0548, 0.2502),
    "500117": ("合川区", 0.0592, 0.2707),
    "500118": ("永川区", 0.0506, 0.2079),
    "500119": ("南川区", 0.0426, 0.2364),
    "500120": ("璧山区", 0.047, 0.2135),
    "500151": ("铜梁区", 0.0512, 0.2608),
    "500152": ("潼南区", 0.0563, 0.2571),
    "500153": ("荣昌区", 0.0567, 0.2508),
    "500154": ("开州区", 0.0431, 0.2278),
    "500155": ("梁平区", 0.0455, 0.2495),
    "500156": ("武隆区", 0.0386, 0.2357),
    "500229": ("城口县", 0.046, 0.2051),
    "500230": ("丰都县", 0.0429, 0.2458),
    "500231": ("垫江县", 0.0421, 0.245),
    "500233": ("忠县", 0.0513, 0.2653),
    "500235": ("云阳县", 0.0441, 0.2349),
    "500236": ("奉节县", 0.0452, 0.2226),
    "500237": ("巫山县", 0.0415, 0.2193),
    "500238": ("巫溪县", 0.0506, 0.2321),
    "500240": ("石柱土家族自治县", 0.0415, 0.2323),
    "500241": ("秀山土家族苗族自治县", 0.0339, 0.1995),
    "500242": ("酉阳土家族苗族自治县", 0.0367, 0.2061),
    "500243": ("彭水苗族土家族自治县", 0.0361, 0.2029),
}

_MONTHS = 12.0
_YUAN_PER_WAN = 10_000.0


# ------------------------------------------------------------------------------------------
# settings
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    """A target the plan must meet from ``year`` on (see the module notes for the rules).

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
        Codes of 社区/村 (or 街道/镇) left out of an ``every_*`` rule, e.g. those without a site.
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
        scope = {"all": "社区/村", "community": "社区", "village": "村"}[self.kind]
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
class PlannedBuild:
    """One facility the plan builds: a candidate (new) or an existing facility (upgrade).

    ``site_id`` is a ``candidate_id`` or an existing ``facility_id``; ``type`` the type it
    becomes (an existing facility's own type: a renovation); ``capital_wan_yuan`` replaces the
    cost model's capital cost (e.g. a renovation the documents give no figure for).
    """

    site_id: str
    type: str
    year: int
    capital_wan_yuan: float | None = None


@dataclass(frozen=True)
class PlanSettings:
    """Options of the multi-year model (scenario section ``[plan]``).

    Parameters
    ----------
    years
        The plan years (``first_year``..``last_year``; 十四五 2021–2025).
    base_year
        Year of the population figures (the 2020 census).
    objective
        {"elderly_years", "final_coverage", "min_cost"}.
    mode
        {"optimize", "evaluate"}: optimize (``builds`` are commitments) or evaluate ``builds`` as
        the whole plan.
    budget_wan_yuan
        Budget of each plan year in 万元 (None: no cap; required unless ``min_cost``).
    unspent
        {"lapses", "carries_over"}: whether money not spent in a year can be spent later.
    operating_from
        {"year_built", "year_after"}: first year a new facility's operating incentive is paid.
    growth
        "census", "none", an annual rate, or rates by kind or community code.
    mortality_60p
        Share of the 60+ dying each year (census projection only).
    build_types
        Types the plan may build (new sites).
    upgrades
        Per existing type, the types the optimizer may upgrade it into.
    max_new_per_year, min_new_per_year
        Per type, bounds on the new sites built each year.
    milestones
        Targets (:class:`Milestone`).
    builds
        Planned builds (:class:`PlannedBuild`).
    time_limit_s, mip_gap, threads
        Solver limits (CBC).
    costs
        The cost model (``[costs]``).
    """

    years: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
    base_year: int = 2020
    objective: Objective = "elderly_years"
    mode: Literal["optimize", "evaluate"] = "optimize"
    budget_wan_yuan: tuple[float | None, ...] | None = None
    unspent: Literal["lapses", "carries_over"] = "lapses"
    operating_from: Literal["year_after", "year_built"] = "year_built"
    growth: str | float | Mapping[str, float] = "census"
    mortality_60p: float = DEFAULT_MORTALITY_60P
    build_types: tuple[str, ...] = SITEABLE_TYPES
    upgrades: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_new_per_year: Mapping[str, int] = field(default_factory=dict)
    min_new_per_year: Mapping[str, int] = field(default_factory=dict)
    milestones: tuple[Milestone, ...] = ()
    builds: tuple[PlannedBuild, ...] = ()
    time_limit_s: float = 60.0
    mip_gap: float = 1e-4
    threads: int | None = None
    costs: CostSettings = field(default_factory=CostSettings)

    def __post_init__(self) -> None:
        problems = self.problems("plan settings")
        if problems:
            raise ScenarioError("invalid plan settings", problems)

    @property
    def n_years(self) -> int:
        return len(self.years)

    def budgets(self) -> list[float | None]:
        """Budget of each plan year (None: no cap)."""
        if self.budget_wan_yuan is None:
            return [None] * self.n_years
        return list(self.budget_wan_yuan)

    def year_index(self, year: int) -> int:
        return self.years.index(year)

    def problems(self, source: str) -> list[Problem]:
        """Every problem with the settings (empty: none)."""
        out: list[Problem] = []

        def bad(key: str, message: str, hint: str | None = None) -> None:
            out.append(Problem(source, message, column=f"plan.{key}", hint=hint))

        years = list(self.years)
        if not years or years != list(range(years[0], years[0] + len(years))):
            bad("first_year", f"the plan years must be consecutive, got {years}")
        span = f"{years[0]}–{years[-1]}" if years else "none"
        if years and not (isinstance(self.base_year, int) and self.base_year <= years[0]):
            bad(
                "base_year", f"base_year {self.base_year!r} must be a year before the plan ({span})"
            )
        for key, value, allowed in (
            ("objective", self.objective, OBJECTIVES),
            ("mode", self.mode, MODES),
            ("unspent", self.unspent, UNSPENT),
            ("operating_from", self.operating_from, OPERATING_FROM),
        ):
            if value not in allowed:
                bad(key, f"unknown {key} {value!r}", f"use one of {list(allowed)}")
        if self.budget_wan_yuan is not None:
            if len(self.budget_wan_yuan) != len(years):
                bad(
                    "budget_wan_yuan",
                    f"{len(self.budget_wan_yuan)} budgets for {len(years)} plan years ({span})",
                    "give one number (the same every year), a list with one per year, or a table by year",
                )
            for y, b in zip(years, self.budget_wan_yuan, strict=False):
                if b is not None and not (_is_number(b) and b >= 0):
                    bad(
                        f"budget_wan_yuan.{y}",
                        f"the budget of {y} must be a number of 万元 >= 0, got {b!r}",
                    )
        elif self.objective != "min_cost" and self.mode == "optimize":
            bad(
                "budget_wan_yuan",
                f"objective {self.objective} needs a budget per year (budget_wan_yuan)",
                'e.g. budget_wan_yuan = 300 (each year), or objective = "min_cost"',
            )
        if not (_is_number(self.mortality_60p) and 0 <= self.mortality_60p < 1):
            bad(
                "mortality_60p",
                f"mortality_60p must be a share in [0, 1), got {self.mortality_60p!r}",
            )
        out.extend(_growth_problems(self.growth, source))
        for t in self.build_types:
            if t not in SITEABLE_TYPES:
                bad("build_types", f"unknown facility type '{t}'", f"types: {list(SITEABLE_TYPES)}")
        for t, targets in self.upgrades.items():
            for u in (t, *targets):
                if u not in SITEABLE_TYPES:
                    bad(
                        f"upgrades.{t}",
                        f"unknown facility type '{u}'",
                        f"types: {list(SITEABLE_TYPES)}",
                    )
        for name in ("max_new_per_year", "min_new_per_year"):
            for t, n in getattr(self, name).items():
                if t not in SITEABLE_TYPES:
                    bad(
                        f"{name}.{t}",
                        f"unknown facility type '{t}'",
                        f"types: {list(SITEABLE_TYPES)}",
                    )
                if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
                    bad(f"{name}.{t}", f"{name}.{t} must be a whole number >= 0, got {n!r}")
        for t, n in self.min_new_per_year.items():
            hi = self.max_new_per_year.get(t)
            if hi is not None and isinstance(n, int) and isinstance(hi, int) and n > hi:
                bad(
                    f"min_new_per_year.{t}",
                    f"min_new_per_year.{t} = {n} > max_new_per_year.{t} = {hi}",
                )
        for i, m in enumerate(self.milestones):
            key = f"milestones[{i}]"
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
        for i, b in enumerate(self.builds):
            key = f"builds[{i}]"
            if b.year not in years:
                bad(
                    f"{key}.year",
                    f"build year {b.year!r} of site '{b.site_id}' is outside the plan years {span}",
                )
            if b.type not in SITEABLE_TYPES:
                bad(
                    f"{key}.type",
                    f"unknown facility type '{b.type}'",
                    f"types: {list(SITEABLE_TYPES)}",
                )
            if b.capital_wan_yuan is not None and not (
                _is_number(b.capital_wan_yuan) and b.capital_wan_yuan >= 0
            ):
                bad(
                    f"{key}.capital_wan_yuan",
                    f"capital_wan_yuan must be >= 0, got {b.capital_wan_yuan!r}",
                )
        seen: dict[str, int] = {}
        for i, b in enumerate(self.builds):
            if b.site_id in seen:
                bad(
                    f"builds[{i}].site",
                    f"site '{b.site_id}' is built twice (builds[{seen[b.site_id]}] and builds[{i}])",
                    "a site takes one type over the plan",
                )
            seen.setdefault(b.site_id, i)
        if not (_is_number(self.time_limit_s) and self.time_limit_s > 0):
            bad("time_limit_s", f"time_limit_s must be > 0, got {self.time_limit_s!r}")
        if not (_is_number(self.mip_gap) and self.mip_gap >= 0):
            bad("mip_gap", f"mip_gap must be >= 0, got {self.mip_gap!r}")
        return out

    @classmethod
    def from_scenario(cls, scenario: Any, **overrides: Any) -> PlanSettings:
        """Settings from a scenario's ``[plan]`` (and ``[costs]``); ``overrides`` replace values.

        Raises
        ------
        ScenarioError
            Every problem found, each naming the scenario file and the key (e.g.
            ``plan.milestones[1].year``).
        """
        source = str(scenario.path)
        sec = dict(scenario.section("plan"))
        problems: list[Problem] = []
        kwargs = _parse_plan(sec, source, problems)
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
        try:
            kwargs["costs"] = CostSettings.from_scenario(scenario)
        except ScenarioError as exc:
            problems.extend(exc.problems)
        settings = None
        try:
            settings = cls(**kwargs)
        except ScenarioError as exc:  # every problem at once: add those of the values as read
            seen = {(p.column, p.message) for p in problems}
            problems.extend(
                dataclasses.replace(p, source=source)
                for p in exc.problems
                if (p.column, p.message) not in seen
            )
        except TypeError as exc:  # a value of the wrong kind (e.g. a table for a list)
            problems.append(Problem(source, f"invalid [plan] value: {exc}", column="plan"))
        if problems or settings is None:
            raise ScenarioError(f"scenario {source}: invalid [plan] settings", problems)
        return settings


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _growth_problems(growth: Any, source: str) -> list[Problem]:
    out = []
    if isinstance(growth, str):
        if growth not in ("census", "none"):
            out.append(
                Problem(
                    source,
                    f"unknown growth {growth!r}",
                    column="plan.growth",
                    hint='use "census", "none", an annual rate such as 0.02, or a table of rates',
                )
            )
    elif _is_number(growth):
        if not -0.5 < growth < 0.5:
            out.append(
                Problem(
                    source, f"annual growth rate {growth!r} is implausible", column="plan.growth"
                )
            )
    elif isinstance(growth, Mapping):
        for k, v in growth.items():
            if not (_is_number(v) and -0.5 < v < 0.5):
                out.append(
                    Problem(
                        source,
                        f"growth rate of '{k}' must be a number in (−0.5, 0.5), got {v!r}",
                        column=f"plan.growth.{k}",
                    )
                )
    else:
        out.append(
            Problem(
                source,
                f"growth must be a string, a number or a table, got {growth!r}",
                column="plan.growth",
            )
        )
    return out


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
    "build_types",
    "upgrades",
    "max_new_per_year",
    "min_new_per_year",
    "milestones",
    "builds",
    "time_limit_s",
    "mip_gap",
    "threads",
}
_MILESTONE_KEYS = {"year", "rule", "kind", "share", "name", "exclude"}
_BUILD_KEYS = {"site", "type", "year", "capital_wan_yuan"}


def _parse_plan(sec: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, Any]:
    """``[plan]`` as keyword arguments of :class:`PlanSettings`; problems are appended."""

    def bad(key: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(source, message, column=f"plan.{key}", hint=hint))

    for key in sec:
        if key not in _PLAN_KEYS:
            bad(key, f"unknown key 'plan.{key}'", f"known keys of [plan]: {sorted(_PLAN_KEYS)}")
    kw: dict[str, Any] = {}
    first = sec.get("first_year", 2021)
    last = sec.get("last_year", 2025)
    if not (isinstance(first, int) and isinstance(last, int) and first <= last <= first + 30):
        bad("last_year", f"first_year {first!r} and last_year {last!r} must be years, first ≤ last")
        first, last = 2021, 2025
    years = tuple(range(first, last + 1))
    kw["years"] = years
    for key in ("base_year", "objective", "mode", "unspent", "operating_from", "growth"):
        if key in sec:
            kw[key] = sec[key]
    for key in ("mortality_60p", "time_limit_s", "mip_gap"):
        if key in sec:
            kw[key] = float(sec[key]) if _is_number(sec[key]) else sec[key]
    if "threads" in sec:
        kw["threads"] = sec["threads"]
    if "budget_wan_yuan" in sec:
        kw["budget_wan_yuan"] = _parse_budget(sec["budget_wan_yuan"], years, bad)
    if "build_types" in sec:
        kw["build_types"] = tuple(sec["build_types"])
    if "upgrades" in sec:
        kw["upgrades"] = {
            str(t): tuple(v) if isinstance(v, list) else (v,)
            for t, v in dict(sec["upgrades"]).items()
        }
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
        out_map: dict[int, float] = {}
        for k, v in value.items():
            try:
                y = int(k)
            except (TypeError, ValueError):
                bad(f"budget_wan_yuan.{k}", f"'{k}' is not a year")
                continue
            if y not in years:
                bad(
                    f"budget_wan_yuan.{k}",
                    f"budget year {y} is outside the plan years {years[0]}–{years[-1]}",
                )
            elif not (_is_number(v) and v >= 0):
                bad(
                    f"budget_wan_yuan.{k}",
                    f"the budget of {y} must be a number of 万元 >= 0, got {v!r}",
                )
            else:
                out_map[y] = float(v)
        return tuple(out_map.get(y, 0.0) for y in years)
    bad(
        "budget_wan_yuan",
        f"budget_wan_yuan must be a number, a list or a table by year, got {value!r}",
    )
    return (0.0,) * len(years)


# ------------------------------------------------------------------------------------------
# demand growth
# ------------------------------------------------------------------------------------------


def annual_growth_rates(
    communities: pd.DataFrame,
    growth: str | float | Mapping[str, float] = "census",
    *,
    mortality_60p: float = DEFAULT_MORTALITY_60P,
    district_code: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Annual growth rate of each community's older population, and where each comes from.

    Parameters
    ----------
    communities
        ``code``, ``kind``; for the census projection ``pop_60p`` and optionally ``pop_65p``.
    growth
        "census", "none", a rate, or rates by ``community``/``village``/12-digit code/``default``.
    mortality_60p
        Yearly deaths as a share of the 60+ (census projection).
    district_code
        The district, for the census shares of :data:`CENSUS_2020` when a community lacks
        ``pop_65p``.

    Returns
    -------
    (rates, sources)
        Two arrays of ``len(communities)``: the rate and a short text saying its source.
    """
    n = len(communities)
    if isinstance(growth, str) and growth == "none":
        return np.zeros(n), np.full(n, "none", dtype=object)
    if _is_number(growth):
        return np.full(n, float(growth)), np.full(n, "scenario", dtype=object)
    census, census_src = _census_rates(communities, mortality_60p, district_code)
    if isinstance(growth, Mapping):
        codes = communities["code"].astype(str).to_numpy()
        kinds = communities["kind"].astype(str).to_numpy()
        rates = census.copy()
        src = census_src.copy()
        for i, (c, k) in enumerate(zip(codes, kinds, strict=True)):
            for key in (c, k, "default"):
                if key in growth:
                    rates[i] = float(growth[key])
                    src[i] = f"scenario ({key})"
                    break
        return rates, src
    return census, census_src


def _census_rates(
    communities: pd.DataFrame, mortality_60p: float, district_code: str
) -> tuple[np.ndarray, np.ndarray]:
    n = len(communities)
    p60 = (
        communities["pop_60p"].to_numpy(dtype=float)
        if "pop_60p" in communities
        else np.full(n, np.nan)
    )
    p65 = (
        communities["pop_65p"].to_numpy(dtype=float)
        if "pop_65p" in communities
        else np.full(n, np.nan)
    )
    ok = np.isfinite(p60) & np.isfinite(p65) & (p60 > 0) & (p65 <= p60) & (p65 >= 0)
    rates = np.full(n, np.nan)
    src = np.full(n, "", dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates[ok] = (p60[ok] - p65[ok]) / 5.0 / p60[ok] - mortality_60p
    src[ok] = "census: community 60–64 share"
    if (~ok).any():
        if district_code in CENSUS_2020:
            name, s6064, s60 = CENSUS_2020[district_code]
            rates[~ok] = s6064 / 5.0 / s60 - mortality_60p
            src[~ok] = f"census 2020: {name} 60–64 and 60+ shares"
        elif ok.any():
            w = p60[ok]
            rates[~ok] = float(np.average(rates[ok], weights=w))
            src[~ok] = "census: district mean of the communities with 65+ figures"
        else:
            raise ScenarioError(
                "the census projection of the elderly needs pop_65p in the communities file "
                f"or a district code of Chongqing ({district_code!r} is not one)",
                [
                    Problem(
                        "communities",
                        "no 65+ figures (pop_65p) to project the older population",
                        column="plan.growth",
                        hint='add pop_65p, set [scenario] district_code, or give [plan] growth = 0.02 or "none"',
                    )
                ],
            )
    return rates, src


# ------------------------------------------------------------------------------------------
# the problem object
# ------------------------------------------------------------------------------------------

_COLUMN_FIELDS = (
    "column_id",
    "site_id",
    "name",
    "action",
    "type",
    "from_type",
    "group",
    "source",
    "floor_area_m2",
    "capital_wan_yuan",
    "operating_wan_yuan_per_year",
    "street",
    "community",
)


@dataclass(frozen=True, eq=False)
class PlanProblem:
    """A multi-year plan instance: coverage of the demand by every column, costs, growth, rules.

    Build it with :func:`build_plan` (a district's inputs) or :meth:`from_cost_matrix` (a plain
    demand × site matrix); :meth:`solve` optimizes, :meth:`evaluate` scores a given plan, both
    return a :class:`PlanResult`.

    Attributes
    ----------
    matrix
        Demand × column coverage structure; column ``k`` is row ``k`` of :attr:`columns`.
    columns
        ``column_id``, ``site_id``, ``name``, ``action`` (existing, new, upgrade), ``type``,
        ``from_type``, ``group`` (physical site), ``source``, ``floor_area_m2``,
        ``capital_wan_yuan``, ``operating_wan_yuan_per_year`` (incentive and rent; for an upgrade
        the change), ``street``/``community`` (positions in :attr:`streets`/:attr:`communities`,
        −1 unknown).
    communities
        ``code``, ``name``, ``street_code``, ``kind``, ``elderly`` (base year), ``pop_60p``,
        ``pop_65p``.
    streets
        ``code``, ``name``, ``kind``.
    demand_community
        (m,) community position of each demand point (−1 none).
    settings
        The plan settings.
    coverage_types
        Facility types that count for coverage.
    growth_override
        (m, T) growth factors replacing the settings' projection (tests and special studies).
    inputs, graph, demand, coverage_settings
        The district's objects (None from a cost matrix): for maps and the final indicators.
    scenario_name, scenario_sha256, district_code
        Identity of the run.
    """

    matrix: CoverageMatrix
    columns: pd.DataFrame
    communities: pd.DataFrame
    streets: pd.DataFrame
    demand_community: np.ndarray
    settings: PlanSettings
    coverage_types: tuple[str, ...] = SITEABLE_TYPES
    growth_override: np.ndarray | None = None
    inputs: Inputs | None = None
    graph: WalkGraph | None = None
    demand: Demand | None = None
    coverage_settings: CoverageSettings | None = None
    scenario_name: str = ""
    scenario_sha256: str = ""
    district_code: str = ""
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        c = self.columns
        counts = c[c["action"] != "existing"]["type"].value_counts().to_dict()
        return (
            f"PlanProblem({self.matrix.shape[0]:,} demand points, {int((c['action'] == 'existing').sum())} "
            f"existing facilities, options {counts}, years {self.settings.years[0]}–{self.settings.years[-1]})"
        )

    # -- derived ----------------------------------------------------------------------------

    @cached_property
    def cover(self) -> csr_matrix:
        """(m, K) boolean: column k covers demand point i (coverage types only)."""
        out = self.matrix.covers(types=list(self.coverage_types))
        out.sort_indices()
        return out

    @cached_property
    def existing(self) -> np.ndarray:
        return self.columns["action"].to_numpy() == "existing"

    @cached_property
    def const_covered(self) -> np.ndarray:
        """(m,) demand points covered by an existing facility."""
        return (self.cover @ self.existing.astype(np.int64)) > 0

    @cached_property
    def growth_rates(self) -> tuple[np.ndarray, np.ndarray]:
        """Per community: annual rate and its source."""
        s = self.settings
        return annual_growth_rates(
            self.communities,
            s.growth,
            mortality_60p=s.mortality_60p,
            district_code=self.district_code,
        )

    @cached_property
    def growth(self) -> np.ndarray:
        """(m, T) factor of each demand point's older people in each plan year."""
        s = self.settings
        m = self.matrix.shape[0]
        if self.growth_override is not None:
            g = np.asarray(self.growth_override, dtype=float)
            if g.ndim == 1:
                g = np.broadcast_to(g[None, :], (m, len(g)))
            if g.shape != (m, s.n_years):
                raise ValueError(f"growth_override must be ({m}, {s.n_years}), got {g.shape}")
            return np.asarray(g)
        rates, _ = self.growth_rates
        dc = self.demand_community
        r = np.zeros(len(dc))
        inside = dc >= 0
        r[inside] = rates[dc[inside]]
        if (~inside).any():  # points outside every community: the district's rate
            if len(rates):
                el = np.maximum(self.communities["elderly"].to_numpy(dtype=float), 1e-9)
                r[~inside] = float(np.average(rates, weights=el))
            else:
                district = pd.DataFrame(
                    {"code": [""], "kind": [""], "pop_60p": [np.nan], "pop_65p": [np.nan]}
                )
                r[~inside] = annual_growth_rates(
                    district,
                    s.growth,
                    mortality_60p=s.mortality_60p,
                    district_code=self.district_code,
                )[0][0]
        steps = np.array([y - s.base_year for y in s.years], dtype=float)
        return (1.0 + r[:, None]) ** steps[None, :]

    def with_settings(self, **changes: Any) -> PlanProblem:
        """The same instance with some settings changed (growth recomputed)."""
        return dataclasses.replace(self, settings=dataclasses.replace(self.settings, **changes))

    # -- constructors -----------------------------------------------------------------------

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | csr_matrix,
        *,
        service_radius: float | np.ndarray,
        weights: np.ndarray | None = None,
        capital_wan_yuan: np.ndarray | None = None,
        operating_wan_yuan_per_year: np.ndarray | None = None,
        existing: np.ndarray | None = None,
        site_types: Sequence[str] | None = None,
        site_groups: Sequence[int] | None = None,
        site_ids: Sequence[str] | None = None,
        demand_community: np.ndarray | None = None,
        site_community: np.ndarray | None = None,
        communities: pd.DataFrame | None = None,
        growth_factors: np.ndarray | None = None,
        settings: PlanSettings,
    ) -> PlanProblem:
        """An instance from a plain demand × site travel-cost matrix (spopt's constructor).

        Parameters
        ----------
        cost_matrix
            (m, k) travel costs: dense (``inf``/NaN unreachable) or sparse (stored = reachable).
        service_radius
            Coverage threshold, one value or one per demand point.
        weights
            Older people at each demand point (default 1).
        capital_wan_yuan, operating_wan_yuan_per_year
            Per site (default 1 and 0).
        existing
            (k,) sites open from the start (free).
        site_types, site_groups, site_ids
            Type (default ``station``), physical site (default one each) and id of each column.
        demand_community, site_community
            Community position of each demand point and site (−1 none; for milestones).
        communities
            ``code``, ``name``, ``kind`` (and ``street_code``) of the communities.
        growth_factors
            (T,) or (m, T) factors of the demand in each plan year (default: the settings' growth).
        settings
            The plan settings.
        """
        m, k = cost_matrix.shape
        if isinstance(cost_matrix, np.ndarray):
            dense = np.asarray(cost_matrix, dtype=float)
            rows, cols = np.nonzero(np.isfinite(dense))
            seconds = csr_matrix((dense[rows, cols], (rows, cols)), shape=(m, k))
        else:
            seconds = csr_matrix(cost_matrix, dtype=float)
        radius = np.broadcast_to(np.asarray(service_radius, dtype=float), (m,))
        types = np.asarray(
            list(site_types) if site_types is not None else ["station"] * k, dtype=object
        )
        ids = np.asarray(
            list(site_ids) if site_ids is not None else [str(j) for j in range(k)], dtype=object
        )
        w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
        type_names = tuple(SITEABLE_TYPES)
        matrix = CoverageMatrix(
            demand_ids=np.arange(m),
            weights=w,
            elderly=w.copy(),
            site_ids=ids,
            site_types=types,
            site_geometry=np.full(k, None, dtype=object),
            seconds=seconds,
            type_names=type_names,
            threshold_s=np.repeat(radius[:, None], len(type_names), axis=1),
            max_seconds=float(np.max(radius)) if m else 0.0,
        )
        pre = np.zeros(k, dtype=bool) if existing is None else np.asarray(existing, dtype=bool)
        cap = np.ones(k) if capital_wan_yuan is None else np.asarray(capital_wan_yuan, dtype=float)
        op = (
            np.zeros(k)
            if operating_wan_yuan_per_year is None
            else np.asarray(operating_wan_yuan_per_year, dtype=float)
        )
        groups = np.arange(k) if site_groups is None else np.asarray(site_groups, dtype=np.int64)
        if communities is None:
            communities = pd.DataFrame({"code": [], "name": [], "street_code": [], "kind": []})
        com = communities.reset_index(drop=True).copy()
        for col, default in (("name", ""), ("street_code", ""), ("kind", "community")):
            if col not in com:
                com[col] = default
        dc = (
            np.full(m, -1, dtype=np.int64)
            if demand_community is None
            else np.asarray(demand_community, dtype=np.int64)
        )
        inside = dc >= 0
        com["elderly"] = np.bincount(dc[inside], weights=w[inside], minlength=len(com))
        if "pop_60p" not in com:
            com["pop_60p"] = com["elderly"]
        if "pop_65p" not in com:
            com["pop_65p"] = np.nan
        sc = (
            np.full(k, -1, dtype=np.int64)
            if site_community is None
            else np.asarray(site_community, dtype=np.int64)
        )
        columns = pd.DataFrame(
            {
                "column_id": ids,
                "site_id": ids,
                "name": ids,
                "action": np.where(pre, "existing", "new"),
                "type": types,
                "from_type": "",
                "group": groups,
                "source": "",
                "floor_area_m2": np.nan,
                "capital_wan_yuan": np.where(pre, 0.0, cap),
                "operating_wan_yuan_per_year": np.where(pre, 0.0, op),
                "street": -1,
                "community": sc,
            }
        )
        return cls(
            matrix=matrix,
            columns=columns,
            communities=com,
            streets=pd.DataFrame({"code": [], "name": [], "kind": []}),
            demand_community=dc,
            settings=settings,
            coverage_types=tuple(SITEABLE_TYPES),
            growth_override=growth_factors,
            scenario_name="",
        )

    # -- solving ----------------------------------------------------------------------------

    def solve(self, *, name: str | None = None, **overrides: Any) -> PlanResult:
        """Optimize the plan (``overrides`` change settings for this solve); see :func:`solve_plan`.

        With ``mode = "evaluate"`` the planned builds are evaluated instead.
        """
        problem = self.with_settings(**overrides) if overrides else self
        if problem.settings.mode == "evaluate":
            return problem.evaluate(problem.settings.builds, name=name)
        return solve_plan(problem, name=name)

    def evaluate(self, builds: Sequence[PlannedBuild], *, name: str | None = None) -> PlanResult:
        """Coverage, spend and milestones of a given plan (nothing optimized)."""
        t0 = time.perf_counter()
        year_idx, capital = _schedule_from_builds(self, builds, source="builds")
        return _make_result(
            self,
            year_idx,
            capital,
            status="evaluated",
            objective_name="elderly_years",
            objective=None,
            bound=None,
            seconds=time.perf_counter() - t0,
            name=name,
            size={},
        )


# ------------------------------------------------------------------------------------------
# the adapter: a district's inputs → PlanProblem
# ------------------------------------------------------------------------------------------


def build_plan(
    inputs: Inputs,
    graph: WalkGraph,
    settings: PlanSettings | None = None,
    *,
    coverage: CoverageResult | None = None,
    candidates: CoverageMatrix | None = None,
) -> PlanProblem:
    """The plan instance of a district: existing facilities, candidates, upgrades, costs, growth.

    Parameters
    ----------
    inputs
        The district's inputs (:func:`~siting.io.load_inputs`).
    graph
        The older pedestrian's walking graph (:func:`~siting.walking.walking_graph`).
    settings
        Plan options (default: the scenario's ``[plan]``).
    coverage
        Coverage of the existing facilities (:func:`~siting.coverage.compute_coverage`), to reuse
        its demand and matrix.
    candidates
        Coverage of the demand by the candidates, if already computed.

    Raises
    ------
    InputError
        A planned build names a site that is neither a candidate nor an existing facility, or a
        type the candidate is not eligible for.
    """
    t0 = time.perf_counter()
    scenario = inputs.scenario
    settings = settings or PlanSettings.from_scenario(scenario)
    if coverage is not None:
        demand, cov_settings, existing = coverage.demand, coverage.settings, coverage.matrix
    else:
        from siting.coverage import snap_demand
        from siting.demand import build_demand

        cov_settings = CoverageSettings.from_scenario(scenario)
        demand = build_demand(inputs, graph)
        snapped = snap_demand(graph, demand, max_snap_m=cov_settings.max_snap_m)
        existing = coverage_matrix(
            graph, demand, inputs.facilities, settings=cov_settings, snapped_demand=snapped
        )
    cand = inputs.candidates
    if candidates is None and cand is not None and len(cand):
        from siting.coverage import snap_demand

        candidates = coverage_matrix(
            graph,
            demand,
            cand,
            id_column="candidate_id",
            type_column="eligible_types",
            settings=cov_settings,
            snapped_demand=snap_demand(graph, demand, max_snap_m=cov_settings.max_snap_m),
        )
    costs = settings.costs
    fac = inputs.facilities
    blocks: list[tuple[CoverageMatrix, dict[str, Any]]] = []
    n_groups = 0
    src = str(scenario.path)
    if fac is not None and len(fac) and existing.shape[1]:
        types = existing.site_types.astype(str)
        keep = np.flatnonzero(np.isin(types, SITEABLE_TYPES))
        sub = existing.select(keep)
        ftypes = types[keep]
        area = column_values(fac, "floor_area_m2", keep).astype(float)
        names = column_values(fac, "name", keep, "").astype(str)
        groups = np.arange(len(keep)) + n_groups
        n_groups += len(keep)
        blocks.append(
            (
                sub,
                {
                    "site_id": sub.site_ids.astype(str),
                    "name": names,
                    "action": "existing",
                    "type": ftypes,
                    "from_type": "",
                    "group": groups,
                    "source": "",
                    "floor_area_m2": area,
                    "capital_wan_yuan": 0.0,
                    "operating_wan_yuan_per_year": 0.0,
                },
            )
        )
        # upgrades: the optimizer's and the planned builds' on existing facilities
        by_id = {sid: j for j, sid in enumerate(sub.site_ids.astype(str))}
        wanted: list[tuple[int, str]] = []
        for j, t in enumerate(ftypes):
            wanted += [(j, u) for u in settings.upgrades.get(t, ())]
        for b in settings.builds:
            if b.site_id in by_id and (by_id[b.site_id], b.type) not in wanted:
                wanted.append((by_id[b.site_id], b.type))
        if wanted:
            uc = np.asarray([j for j, _ in wanted])
            ut = [u for _, u in wanted]
            up = dataclasses.replace(sub.select(uc), site_types=np.asarray(ut, dtype=object))
            uc_cost = upgrade_costs(ftypes[uc], ut, area[uc], settings=costs)
            blocks.append(
                (
                    up,
                    {
                        "site_id": sub.site_ids[uc].astype(str),
                        "name": names[uc],
                        "action": "upgrade",
                        "type": np.asarray(ut, dtype=object),
                        "from_type": ftypes[uc],
                        "group": groups[uc],
                        "source": "",
                        "floor_area_m2": uc_cost["floor_area_m2"].to_numpy(),
                        "capital_wan_yuan": uc_cost["capital_wan_yuan"].to_numpy(),
                        "operating_wan_yuan_per_year": uc_cost[
                            "operating_yuan_per_month"
                        ].to_numpy()
                        * _MONTHS
                        / _YUAN_PER_WAN,
                    },
                )
            )
    if candidates is not None and candidates.shape[1]:
        ids = cand["candidate_id"].astype(str).to_numpy()
        pos = {c: i for i, c in enumerate(ids)}
        crow = np.array([pos[str(s)] for s in candidates.site_ids], dtype=np.int64)
        ctypes = candidates.site_types.astype(str)
        rent = column_values(cand, "monthly_rent_yuan", crow).astype(float)
        cc = site_costs(
            ctypes,
            column_values(cand, "floor_area_m2", crow),
            column_values(cand, "capital_cost_wan_yuan", crow),
            rent,
            settings=costs,
        )
        rent = np.where(np.isfinite(rent) & (rent > 0), rent, 0.0)
        blocks.append(
            (
                candidates,
                {
                    "site_id": candidates.site_ids.astype(str),
                    "name": column_values(cand, "name", crow, "").astype(str),
                    "action": "new",
                    "type": ctypes,
                    "from_type": "",
                    "group": crow + n_groups,
                    "source": column_values(cand, "source", crow, "").astype(str),
                    "floor_area_m2": cc["floor_area_m2"].to_numpy(),
                    "capital_wan_yuan": cc["capital_wan_yuan"].to_numpy(),
                    "operating_wan_yuan_per_year": (
                        cc["operating_yuan_per_month"].to_numpy() + rent
                    )
                    * _MONTHS
                    / _YUAN_PER_WAN,
                },
            )
        )
    if not blocks:
        raise InputError(
            "nothing to plan: no existing facility and no candidate",
            [
                Problem(
                    src,
                    "no candidate sites",
                    column="inputs.candidates",
                    hint="add [inputs.candidates]",
                )
            ],
        )
    matrix, columns = assemble_options(blocks, inputs, id_column="column_id")
    columns = columns[list(_COLUMN_FIELDS)]

    pts = demand.points
    demand_community = pd.Index(inputs.communities["code"]).get_indexer(
        pts["community_code"].to_numpy()
    )
    com = inputs.communities
    communities = com[["code", "name", "street_code", "kind"]].reset_index(drop=True).copy()
    inside = demand_community >= 0
    communities["elderly"] = np.bincount(
        demand_community[inside], weights=matrix.elderly[inside], minlength=len(communities)
    )
    for c in ("pop_60p", "pop_65p"):
        communities[c] = com[c].to_numpy(dtype=float) if c in com else np.nan
    problem = PlanProblem(
        matrix=matrix,
        columns=columns,
        communities=communities,
        streets=inputs.streets[["code", "name", "kind"]].reset_index(drop=True),
        demand_community=demand_community,
        settings=settings,
        coverage_types=tuple(t for t in cov_settings.home_care_types if t in SITEABLE_TYPES),
        inputs=inputs,
        graph=graph,
        demand=demand,
        coverage_settings=cov_settings,
        scenario_name=scenario.name,
        scenario_sha256=scenario.sha256,
        district_code=str(scenario.settings["scenario"].get("district_code", "")),
        problems=tuple(existing.problems),
    )
    _schedule_from_builds(problem, settings.builds, source=src)  # checks the planned sites now
    log.info("build_plan returned %r in %.2f s", problem, time.perf_counter() - t0)
    return problem


def _schedule_from_builds(
    problem: PlanProblem, builds: Sequence[PlannedBuild], *, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """(K,) build-year index per column (−1 not built) and the capital vector with overrides."""
    cols = problem.columns
    s = problem.settings
    year_idx = np.full(len(cols), -1, dtype=np.int64)
    capital = cols["capital_wan_yuan"].to_numpy(dtype=float).copy()
    key = {
        (sid, t): k
        for k, (sid, t, a) in enumerate(
            zip(cols["site_id"].astype(str), cols["type"], cols["action"], strict=True)
        )
        if a != "existing"
    }
    sites = set(cols["site_id"].astype(str))
    problems = []
    for i, b in enumerate(builds):
        k = key.get((b.site_id, b.type))
        if k is None:
            if b.site_id in sites:
                have = sorted(
                    {
                        str(t)
                        for sid, t, a in zip(
                            cols["site_id"], cols["type"], cols["action"], strict=True
                        )
                        if str(sid) == b.site_id and a != "existing"
                    }
                )
                hint = (
                    f"site '{b.site_id}' may become: {have}"
                    if have
                    else "the site has no option of that type"
                )
            else:
                hint = "use a candidate_id of the candidates file or a facility_id of the facilities file"
            problems.append(
                Problem(
                    source,
                    f"planned build of site '{b.site_id}' as {b.type} is not possible",
                    column=f"plan.builds[{i}].site",
                    hint=hint,
                )
            )
            continue
        if b.year not in s.years:
            problems.append(
                Problem(
                    source,
                    f"build year {b.year} outside the plan years",
                    column=f"plan.builds[{i}].year",
                )
            )
            continue
        year_idx[k] = s.year_index(b.year)
        if b.capital_wan_yuan is not None:
            capital[k] = float(b.capital_wan_yuan)
    if problems:
        raise InputError(f"{len(problems)} planned build(s) cannot be placed", problems)
    groups = cols["group"].to_numpy()
    built = year_idx >= 0
    dup = pd.Series(groups[built]).duplicated(keep=False)
    if dup.any():
        raise InputError(
            "a site is built as two types",
            [
                Problem(source, f"site {cols['site_id'].iloc[k]}", column="plan.builds")
                for k in np.flatnonzero(built)[dup.to_numpy()][:5]
            ],
        )
    return year_idx, capital


# ------------------------------------------------------------------------------------------
# demand classes
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Classes:
    point_class: np.ndarray  # (m,) class of each point, −1 none (constant or unreachable)
    cover: csr_matrix  # (n_q, K) variable columns covering the class
    community: np.ndarray  # (n_q,)
    weight: np.ndarray  # (n_q, T)
    elderly: np.ndarray  # (n_q, T)

    def __len__(self) -> int:
        return len(self.community)


def _filter_columns(a: csr_matrix, keep: np.ndarray) -> csr_matrix:
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    sel = keep[a.indices]
    out = csr_matrix(
        (np.ones(int(sel.sum()), dtype=bool), (rows[sel], a.indices[sel])), shape=a.shape
    )
    out.sort_indices()
    return out


def _classes(problem: PlanProblem, variable: np.ndarray) -> _Classes:
    sub = _filter_columns(problem.cover, variable)
    const = problem.const_covered
    nnz = np.diff(sub.indptr)
    dc = problem.demand_community
    m = sub.shape[0]
    point_class = np.full(m, -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    reps: list[int] = []
    for i in np.flatnonzero(~const & (nnz > 0)):
        key = sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes() + int(dc[i]).to_bytes(
            8, "little", signed=True
        )
        c = keys.get(key)
        if c is None:
            c = keys[key] = len(reps)
            reps.append(int(i))
        point_class[i] = c
    n = len(reps)
    member = point_class >= 0
    g = problem.growth
    T = g.shape[1]
    weight = np.zeros((n, T))
    elderly = np.zeros((n, T))
    for j in range(T):
        weight[:, j] = np.bincount(
            point_class[member], weights=(problem.matrix.weights * g[:, j])[member], minlength=n
        )
        elderly[:, j] = np.bincount(
            point_class[member], weights=(problem.matrix.elderly * g[:, j])[member], minlength=n
        )
    rep = np.asarray(reps, dtype=np.int64)
    return _Classes(
        point_class=point_class,
        cover=sub[rep] if n else csr_matrix((0, sub.shape[1]), dtype=bool),
        community=dc[rep] if n else np.zeros(0, np.int64),
        weight=weight,
        elderly=elderly,
    )


# ------------------------------------------------------------------------------------------
# milestones: what no plan can meet (pre-solve), and their rows
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneGap:
    """A milestone no plan can meet, found without solving.

    ``units`` are the codes of the 社区/村 (or 街道/镇) that make it impossible (empty when the
    reason is a total, such as a coverage share above what every candidate reaches).
    """

    milestone: int
    label: str
    message: str
    units: tuple[str, ...] = ()


def _names(items: Sequence[str], limit: int = 8) -> str:
    text = ", ".join(items[:limit])
    return text + (f" … ({len(items)} in all)" if len(items) > limit else "")


def _allowed(problem: PlanProblem) -> np.ndarray:
    """(K,) columns the plan may open: new sites of the build types, upgrades, planned builds."""
    cols = problem.columns
    s = problem.settings
    action = cols["action"].to_numpy()
    types = cols["type"].to_numpy()
    ok = (action == "new") & np.isin(types, s.build_types)
    from_types = cols["from_type"].to_numpy()
    up = np.array(
        [
            a == "upgrade" and t in s.upgrades.get(f, ())
            for a, t, f in zip(action, types, from_types, strict=True)
        ],
        dtype=bool,
    )
    ok |= up
    forced = np.zeros(len(cols), dtype=bool)
    if s.builds:
        forced = _schedule_from_builds(problem, s.builds, source="plan")[0] >= 0
    return forced if s.mode == "evaluate" else ok | forced


def _point_scope(
    problem: PlanProblem, kind: str, communities: np.ndarray | None = None
) -> np.ndarray:
    """Demand points (or, given ``communities`` positions, classes) in a milestone's scope."""
    dc = problem.demand_community if communities is None else communities
    if kind == "all":
        return np.ones(len(dc), dtype=bool)
    scope = _scope_mask(problem, kind)
    out = np.zeros(len(dc), dtype=bool)
    inside = dc >= 0
    out[inside] = scope[dc[inside]]
    return out


def _scope_mask(problem: PlanProblem, kind: str) -> np.ndarray:
    """(n_communities,) communities in the milestone's scope."""
    kinds = problem.communities["kind"].astype(str).to_numpy()
    return np.ones(len(kinds), dtype=bool) if kind == "all" else kinds == kind


def _unit_lists(problem: PlanProblem, ms: Milestone) -> tuple[list[int], dict[int, np.ndarray]]:
    """Units (community or street positions) an every_* rule must serve, and their options."""
    cols = problem.columns
    types = cols["type"].to_numpy()
    existing = problem.existing
    allowed = _allowed(problem)
    if ms.rule == "every_street_center":
        st = problem.streets
        where = cols["street"].to_numpy()
        units, options = [], {}
        for s_pos, (code, kind) in enumerate(zip(st["code"].astype(str), st["kind"], strict=True)):
            if code in ms.exclude:
                continue
            need = CENTER_FOR_KIND.get(kind, "town_center")
            inside = (where == s_pos) & (types == need)
            if (inside & existing).any():
                continue
            units.append(s_pos)
            options[s_pos] = np.flatnonzero(inside & allowed & ~existing)
        return units, options
    com = problem.communities
    where = cols["community"].to_numpy()
    kinds = com["kind"].astype(str).to_numpy()
    scope = _scope_mask(problem, ms.kind)
    codes = com["code"].astype(str).to_numpy()
    units, options = [], {}
    for c in np.flatnonzero(scope):
        if codes[c] in ms.exclude:
            continue
        inside = (where == c) & np.isin(types, UNIT_TYPES.get(kinds[c], STATION_TYPES))
        if (inside & existing).any():
            continue
        units.append(int(c))
        options[int(c)] = np.flatnonzero(inside & allowed & ~existing)
    return units, options


def coverage_ceiling(problem: PlanProblem, *, kind: str = "all", year: int | None = None) -> float:
    """Share (0–1) of the scope's elderly that the existing facilities and every option the plan
    may open reach together in ``year`` (default: the final year): no coverage milestone above
    it can be met."""
    s = problem.settings
    j = s.n_years - 1 if year is None else s.year_index(year)
    open_all = _allowed(problem) | problem.existing
    reach = np.diff(problem.cover[:, np.flatnonzero(open_all)].indptr) > 0
    pts = _point_scope(problem, kind)
    e = problem.matrix.elderly * problem.growth[:, j]
    tot = float(e[pts].sum())
    return float(e[pts & reach].sum()) / tot if tot > 0 else float("nan")


def _rule_types(ms: Milestone) -> tuple[str, ...]:
    """Facility types that serve a unit of an ``every_*`` milestone."""
    if ms.rule == "every_street_center":
        return CENTER_TYPES
    if ms.kind in UNIT_TYPES:
        return UNIT_TYPES[ms.kind]
    return STATION_TYPES


def milestone_gaps(problem: PlanProblem) -> list[MilestoneGap]:
    """Milestones no plan can meet, each with the units and numbers that show it (empty: none).

    - ``every_unit_station`` / ``every_street_center``: a unit without the facility and with no
      eligible candidate inside it; the cheapest way to give every unit one costs more than the
      budgets up to the milestone year; the per-year limits on new sites allow too few;
    - ``coverage``: the share is above what the existing facilities and every allowed option
      together reach in the milestone year;
    - ``every_unit_coverage``: units that cannot reach the share even with every option.
    """
    s = problem.settings
    out: list[MilestoneGap] = []
    allowed = _allowed(problem)
    cover_all = problem.cover[:, np.flatnonzero(allowed | problem.existing)]
    reachable = np.diff(cover_all.indptr) > 0
    el = problem.matrix.elderly
    dc = problem.demand_community
    com = problem.communities
    codes = com["code"].astype(str).to_numpy()
    names = com["name"].astype(str).to_numpy()
    cap = problem.columns["capital_wan_yuan"].to_numpy(dtype=float)
    op = problem.columns["operating_wan_yuan_per_year"].to_numpy(dtype=float)
    budgets = s.budgets()
    for i, ms in enumerate(s.milestones):
        if ms.year not in s.years:
            continue
        x = s.year_index(ms.year)
        g = problem.growth[:, x]
        if ms.rule in ("every_unit_station", "every_street_center"):
            units, options = _unit_lists(problem, ms)
            if ms.rule == "every_street_center":
                st = problem.streets
                label_of = {p: f"{st['name'].iloc[p]} ({st['code'].iloc[p]})" for p in units}
                code_of = {p: str(st["code"].iloc[p]) for p in units}
                what, facility = "街道/镇", "a center of its kind"
            else:
                label_of = {p: f"{names[p]} ({codes[p]})" for p in units}
                code_of = {p: codes[p] for p in units}
                what = {"all": "社区/村", "community": "社区", "village": "村"}[ms.kind]
                facility = {
                    "all": "a station or point",
                    "community": "a station",
                    "village": "a village point",
                }[ms.kind]
            empty = [p for p in units if len(options[p]) == 0]
            if empty:
                allowed_types = [t for t in s.build_types if t in _rule_types(ms)]
                out.append(
                    MilestoneGap(
                        i,
                        ms.label,
                        f"milestone '{ms.label}' (plan.milestones[{i}]) cannot be met: {len(empty)} of the "
                        f"{len(units)} {what} without {facility} have no candidate site for one inside them "
                        f"(types allowed: {allowed_types}): {_names([label_of[p] for p in empty])}",
                        tuple(code_of[p] for p in empty),
                    )
                )
                continue
            # cheapest way: each unit's cheapest option built in the milestone year
            extra = 1.0 if s.operating_from == "year_built" else 0.0
            lb = float(
                sum(
                    max(0.0, float(np.min(cap[options[p]] + extra * op[options[p]]))) for p in units
                )
            )
            if units and all(b is not None for b in budgets[: x + 1]):
                avail = float(sum(b for b in budgets[: x + 1] if b is not None))
                if lb > avail + 1e-6:
                    out.append(
                        MilestoneGap(
                            i,
                            ms.label,
                            f"milestone '{ms.label}' (plan.milestones[{i}]) cannot be met: giving the {len(units)} "
                            f"{what} without {facility} the cheapest one each costs at least {lb:,.1f} 万元, "
                            f"but the budgets {s.years[0]}–{ms.year} add up to {avail:,.1f} 万元",
                        )
                    )
                    continue
            caps = [s.max_new_per_year.get(t) for t in s.build_types if t in _rule_types(ms)]
            if units and caps and all(c is not None for c in caps):
                most = sum(caps) * (x + 1)
                if most < len(units):
                    out.append(
                        MilestoneGap(
                            i,
                            ms.label,
                            f"milestone '{ms.label}' (plan.milestones[{i}]) cannot be met: {len(units)} {what} need "
                            f"{facility} by {ms.year}, but max_new_per_year allows {most} by then",
                        )
                    )
        elif ms.rule == "coverage":
            scope = _scope_mask(problem, ms.kind)
            pts = _point_scope(problem, ms.kind)
            tot = float((el * g)[pts].sum())
            best = float((el * g)[pts & reachable].sum())
            if tot > 0 and best < ms.share * tot - 1e-6:
                scope_name = {
                    "all": "the elderly",
                    "community": "the elderly of the 社区",
                    "village": "the elderly of the 村",
                }[ms.kind]
                out.append(
                    MilestoneGap(
                        i,
                        ms.label,
                        f"milestone '{ms.label}' (plan.milestones[{i}]) cannot be met: {100 * ms.share:g} % of "
                        f"{scope_name} in {ms.year} is {ms.share * tot:,.0f} people, but the existing facilities and "
                        f"every allowed candidate together reach {best:,.0f} ({100 * best / tot:.1f} %)",
                    )
                )
        elif ms.rule == "every_unit_coverage":
            scope = _scope_mask(problem, ms.kind)
            inside = dc >= 0
            tot = np.bincount(dc[inside], weights=(el * g)[inside], minlength=len(com))
            best = np.bincount(
                dc[inside & reachable], weights=(el * g)[inside & reachable], minlength=len(com)
            )
            short = [
                c
                for c in np.flatnonzero(scope & (tot > 0) & (best < ms.share * tot - 1e-6))
                if codes[c] not in ms.exclude
            ]
            if short:
                out.append(
                    MilestoneGap(
                        i,
                        ms.label,
                        f"milestone '{ms.label}' (plan.milestones[{i}]) cannot be met: {len(short)} 社区/村 cannot reach "
                        f"{100 * ms.share:g} % even with every candidate: "
                        + _names([f"{names[c]} ({100 * best[c] / tot[c]:.0f} %)" for c in short]),
                        tuple(codes[c] for c in short),
                    )
                )
    # planned builds above a year's budget
    if s.builds and s.unspent == "lapses":
        year_idx, capital = _schedule_from_builds(problem, s.builds, source="plan")
        spend = _spend(problem, year_idx, capital)
        for j, (b, sp) in enumerate(zip(budgets, spend, strict=True)):
            if b is not None and sp > b + 1e-6 and s.mode == "optimize":
                out.append(
                    MilestoneGap(
                        -1,
                        "builds",
                        f"the planned builds (plan.builds) alone spend {sp:,.1f} 万元 in {s.years[j]}, above its "
                        f"budget of {b:,.1f} 万元",
                    )
                )
    return out


# ------------------------------------------------------------------------------------------
# the MIP
# ------------------------------------------------------------------------------------------

_SENSE = {">=": pulp.LpConstraintGE, "<=": pulp.LpConstraintLE, "==": pulp.LpConstraintEQ}


@dataclass(eq=False)
class _Model:
    prob: pulp.LpProblem
    o: dict[int, list[pulp.LpVariable]]
    y: list[list[pulp.LpVariable]]
    classes: _Classes
    capital: np.ndarray
    const_weight: np.ndarray  # (T,)
    slacks: list[tuple[str, str, pulp.LpVariable, float]] = field(default_factory=list)
    n_rows: int = 0
    n_terms: int = 0

    def add(
        self, group: str, label: str, terms: list, sense: str, rhs: float, *, elastic: bool
    ) -> None:
        if elastic and group != "structure":
            n = len(self.slacks)
            if sense in (">=", "=="):
                sv = _var(self.prob, f"sp{n}", 0.0, None)
                terms = [*terms, (sv, 1.0)]
                self.slacks.append((group, label, sv, 1.0))
            if sense in ("<=", "=="):
                sv = _var(self.prob, f"sm{n}", 0.0, None)
                terms = [*terms, (sv, -1.0)]
                self.slacks.append((group, label, sv, -1.0))
        name = f"c{self.n_rows}"
        self.n_rows += 1
        self.n_terms += len(terms)
        self.prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), _SENSE[sense], name, rhs), name
        )

    def size(self) -> dict[str, int]:
        return {
            "variables": len(self.prob.variables()),
            "constraints": self.n_rows,
            "nonzeros": self.n_terms,
        }


def _var(
    prob: pulp.LpProblem,
    name: str,
    low: float | None,
    up: float | None,
    cat: str = pulp.LpContinuous,
) -> pulp.LpVariable:
    """A variable of ``prob`` (PuLP ≥ 3.3 creates them through the problem)."""
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat)  # pragma: no cover - older PuLP


def _cbc(**options: Any) -> pulp.LpSolver:
    """CBC: a ``cbc`` on the PATH (PuLP 4's way), else the binary bundled with PuLP 3."""
    coin = pulp.COIN_CMD(**options)
    if coin.available():
        return coin
    with (
        warnings.catch_warnings()
    ):  # PULP_CBC_CMD is deprecated for PuLP 4.0, still the bundled CBC
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(**options)


def _spend_terms(model: _Model, problem: PlanProblem, j: int, *, cumulative: bool) -> list:
    """Terms of year j's spend (or of the spend up to year j) over the open variables."""
    s = problem.settings
    op = problem.columns["operating_wan_yuan_per_year"].to_numpy(dtype=float)
    built_year = s.operating_from == "year_built"
    coef: dict[Any, float] = {}

    def put(v: Any, c: float) -> None:
        if c:
            coef[v] = coef.get(v, 0.0) + c

    for k, ov in model.o.items():
        c, a = float(model.capital[k]), float(op[k])
        if cumulative:
            put(ov[j], c)
            for t in range(j + 1 if built_year else j):
                put(ov[t], a)
        else:
            put(ov[j], c + (a if built_year else 0.0))
            if j > 0:
                put(ov[j - 1], -c + (0.0 if built_year else a))
    return [(v, c) for v, c in coef.items() if c]


def _build_model(
    problem: PlanProblem,
    *,
    objective: Literal["elderly_years", "final_coverage", "min_cost"],
    elastic: bool = False,
    floor: tuple[str, float] | None = None,
) -> _Model:
    s = problem.settings
    T = s.n_years
    cols = problem.columns
    allowed = _allowed(problem)
    variable = allowed & ~problem.existing
    year_idx, capital = _schedule_from_builds(problem, s.builds, source="plan")
    classes = _classes(problem, variable)
    maximize = objective != "min_cost" and not elastic
    prob = pulp.LpProblem("plan", pulp.LpMaximize if maximize else pulp.LpMinimize)
    o: dict[int, list[pulp.LpVariable]] = {}
    for k in np.flatnonzero(variable):
        vs = [_var(prob, f"o{k}_{j}", 0, 1, pulp.LpBinary) for j in range(T)]
        if year_idx[k] >= 0:
            for j, v in enumerate(vs):
                v.lowBound = v.upBound = 1 if j >= year_idx[k] else 0
        o[int(k)] = vs
    y = [[_var(prob, f"y{q}_{j}", 0.0, 1.0) for j in range(T)] for q in range(len(classes))]
    const = problem.const_covered
    g = problem.growth
    const_w = np.array([float((problem.matrix.weights * g[:, j])[const].sum()) for j in range(T)])
    model = _Model(prob=prob, o=o, y=y, classes=classes, capital=capital, const_weight=const_w)

    # structure: stay open, one type per site, coverage
    for vs in o.values():
        for j in range(T - 1):
            model.add("structure", "", [(vs[j], 1.0), (vs[j + 1], -1.0)], "<=", 0.0, elastic=False)
    groups = cols["group"].to_numpy()
    by_group: dict[int, list[int]] = {}
    for k in o:
        by_group.setdefault(int(groups[k]), []).append(k)
    for members in by_group.values():
        if len(members) > 1:
            model.add(
                "structure", "", [(o[k][T - 1], 1.0) for k in members], "<=", 1.0, elastic=False
            )
    cv = classes.cover
    for q in range(len(classes)):
        opts = cv.indices[cv.indptr[q] : cv.indptr[q + 1]]
        for j in range(T):
            model.add(
                "structure",
                "",
                [(y[q][j], 1.0)] + [(o[int(k)][j], -1.0) for k in opts],
                "<=",
                0.0,
                elastic=False,
            )

    # budgets
    cumulative = s.unspent == "carries_over"
    budgets = s.budgets()
    running = 0.0
    for j, b in enumerate(budgets):
        if b is None:
            continue
        running += b
        terms = _spend_terms(model, problem, j, cumulative=cumulative)
        rhs = running if cumulative else b
        what = f"budget {s.years[j]}" + (
            f" (with the unspent money of earlier years: {rhs:,.1f} 万元)"
            if cumulative
            else f" ({b:,.1f} 万元)"
        )
        model.add("budget", what, terms, "<=", rhs, elastic=elastic)

    # new sites per year and type
    action = cols["action"].to_numpy()
    types = cols["type"].to_numpy()
    for bound, sense in ((s.max_new_per_year, "<="), (s.min_new_per_year, ">=")):
        for t, n in bound.items():
            ks = [k for k in o if action[k] == "new" and types[k] == t]
            for j in range(T):
                terms = [(o[k][j], 1.0) for k in ks]
                if j > 0:
                    terms += [(o[k][j - 1], -1.0) for k in ks]
                word = "at most" if sense == "<=" else "at least"
                model.add(
                    "new_per_year",
                    f"{word} {n} new {t} in {s.years[j]}",
                    terms,
                    sense,
                    float(n),
                    elastic=elastic,
                )

    # milestones
    el = problem.matrix.elderly
    dc = problem.demand_community
    com_codes = problem.communities["code"].astype(str).to_numpy()
    for i, ms in enumerate(s.milestones):
        x = s.year_index(ms.year)
        tag = f"milestone {i}: {ms.label}"
        if ms.rule in ("every_unit_station", "every_street_center"):
            units, options = _unit_lists(problem, ms)
            for p in units:
                terms = [(o[int(k)][x], 1.0) for k in options[p] if int(k) in o]
                model.add(tag, str(p), terms, ">=", 1.0, elastic=elastic)
            continue
        scope = _scope_mask(problem, ms.kind)
        in_scope_pt = _point_scope(problem, ms.kind)
        in_scope_q = _point_scope(problem, ms.kind, classes.community)
        for j in range(x, T):
            e = el * g[:, j]
            if ms.rule == "coverage":
                rhs = ms.share * float(e[in_scope_pt].sum()) - float(e[in_scope_pt & const].sum())
                if rhs > 1e-9:
                    terms = [
                        (y[q][j], float(classes.elderly[q, j])) for q in np.flatnonzero(in_scope_q)
                    ]
                    model.add(tag, f"{s.years[j]}", terms, ">=", rhs, elastic=elastic)
            else:  # every_unit_coverage
                inside = dc >= 0
                tot = np.bincount(dc[inside], weights=e[inside], minlength=len(scope))
                have = np.bincount(
                    dc[inside & const], weights=e[inside & const], minlength=len(scope)
                )
                qs_by_c: dict[int, list[int]] = {}
                for q in range(len(classes)):
                    qs_by_c.setdefault(int(classes.community[q]), []).append(q)
                for c in np.flatnonzero(scope & (tot > 0)):
                    if com_codes[c] in ms.exclude:
                        continue
                    rhs = ms.share * tot[c] - have[c]
                    if rhs > 1e-9:
                        terms = [
                            (y[q][j], float(classes.elderly[q, j])) for q in qs_by_c.get(int(c), [])
                        ]
                        model.add(
                            tag,
                            f"{com_codes[c]} {s.years[j]}",
                            terms,
                            ">=",
                            float(rhs),
                            elastic=elastic,
                        )

    # objective
    def coverage_terms(years: Sequence[int]) -> list:
        return [
            (y[q][j], float(classes.weight[q, j]))
            for j in years
            for q in range(len(classes))
            if classes.weight[q, j]
        ]

    all_years = range(T)
    if elastic:
        big = 1e3 * (
            float(np.clip(capital, 0, None).sum())
            + float(
                np.clip(cols["operating_wan_yuan_per_year"].to_numpy(dtype=float), 0, None).sum()
            )
            * T
            + 1.0
        )
        prob.setObjective(
            pulp.LpAffineExpression(
                [(sv, 1.0 if grp == "budget" else big) for grp, _, sv, _ in model.slacks]
            )
        )
    elif objective == "min_cost":
        prob.setObjective(
            pulp.LpAffineExpression(_spend_terms(model, problem, T - 1, cumulative=True))
        )
    elif objective == "final_coverage":
        prob.setObjective(
            pulp.LpAffineExpression(coverage_terms([T - 1]), constant=float(const_w[T - 1]))
        )
    else:
        prob.setObjective(
            pulp.LpAffineExpression(coverage_terms(all_years), constant=float(const_w.sum()))
        )
    if floor is not None:
        kind, value = floor
        if kind == "final_coverage":
            model.add(
                "structure",
                "",
                coverage_terms([T - 1]),
                ">=",
                value - float(const_w[T - 1]),
                elastic=False,
            )
        elif kind == "max_cost":
            model.add(
                "structure",
                "",
                _spend_terms(model, problem, T - 1, cumulative=True),
                "<=",
                value,
                elastic=False,
            )
    return model


@dataclass(frozen=True)
class _Run:
    status: str  # optimal | time_limit | infeasible | no_solution
    objective: float | None
    bound: float | None
    seconds: float


_NUM = r"(-?\d[\d.]*(?:e[+-]?\d+)?|-?inf)"


def _run_cbc(model: _Model, settings: PlanSettings, time_limit_s: float) -> _Run:
    prob = model.prob
    const = float(prob.objective.constant) if prob.objective is not None else 0.0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="siting-plan-") as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver = _cbc(
            msg=False,
            timeLimit=max(1.0, float(time_limit_s)),
            gapRel=settings.mip_gap,
            threads=settings.threads,
            logPath=str(log_path),
        )
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
    result = re.search(r"Result - (.*)", text)
    result_text = result.group(1).lower() if result else ""
    found = re.findall(rf"(?:Upper|Lower) bound:\s+{_NUM}", text)
    relaxation = re.findall(rf"Continuous objective value is {_NUM}", text)
    bound = (
        float(found[-1]) + const
        if found
        else (float(relaxation[-1]) + const if relaxation else None)
    )
    if prob.status == pulp.LpStatusInfeasible or "infeasible" in result_text:
        return _Run("infeasible", None, None, seconds)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return _Run("no_solution", None, bound, seconds)
    obj = float(pulp.value(prob.objective))
    if result_text.startswith("optimal"):
        return _Run("optimal", obj, obj, seconds)
    return _Run("time_limit", obj, bound, seconds)


def _schedule_from_model(model: _Model, K: int) -> np.ndarray:
    year_idx = np.full(K, -1, dtype=np.int64)
    for k, vs in model.o.items():
        for j, v in enumerate(vs):
            if (v.varValue or 0.0) > 0.5:
                year_idx[k] = j
                break
    return year_idx


def _explain(problem: PlanProblem, name: str) -> str:
    """Why no plan exists: the rows an elastic copy of the model has to relax, with numbers."""
    s = problem.settings
    model = _build_model(problem, objective="min_cost", elastic=True)
    run = _run_cbc(model, s, s.time_limit_s)
    if run.status not in ("optimal", "time_limit"):
        return f"plan '{name}' is infeasible and the elastic re-solve found no explanation ({run.status})"
    lines = []
    for grp, label, sv, _sign in model.slacks:
        v = float(sv.varValue or 0.0)
        if v <= 1e-6:
            continue
        if grp == "budget":
            lines.append(f"{label}: meeting the milestones needs {v:,.1f} 万元 more")
        elif grp == "new_per_year":
            lines.append(f"{label}: {v:,.0f} more site(s) needed")
        else:
            ms = s.milestones[int(grp.split(":")[0].split()[1])]
            unit = (
                "site(s)"
                if ms.rule in ("every_unit_station", "every_street_center")
                else "older people"
            )
            lines.append(f"{grp} [{label}]: short by {v:,.1f} {unit}")
    if not lines:
        return f"plan '{name}' is infeasible but every constraint can be met separately (numerical trouble?)"
    return (
        f"plan '{name}' cannot meet its milestones within its limits; the smallest relaxation that works:\n- "
        + "\n- ".join(lines[:20])
    )


def solve_plan(problem: PlanProblem, *, name: str | None = None) -> PlanResult:
    """Optimize the multi-year plan (see the module notes for the model and the stages)."""
    s = problem.settings
    name = name or problem.scenario_name or "plan"
    gaps = milestone_gaps(problem)
    if gaps:
        raise InfeasibleError(
            f"plan '{name}' cannot meet its milestones:\n- " + "\n- ".join(g.message for g in gaps)
        )
    t0 = time.perf_counter()
    stages = 1 if s.objective == "elderly_years" else 2
    limit = s.time_limit_s / stages
    model = _build_model(problem, objective=s.objective)
    build_s = time.perf_counter() - t0
    run = _run_cbc(model, s, limit)
    if run.status == "infeasible" or (run.status == "no_solution" and run.bound is None):
        raise InfeasibleError(_explain(problem, name))
    if run.status == "no_solution":
        raise InfeasibleError(
            f"plan '{name}': the solver found no plan within {limit:g} s; raise [plan] time_limit_s"
        )
    first = run
    size = model.size()
    if stages == 2:
        assert run.objective is not None
        if s.objective == "final_coverage":
            floor = ("final_coverage", run.objective - 1e-7 * max(1.0, abs(run.objective)))
        else:
            floor = ("max_cost", run.objective + 1e-7 * max(1.0, abs(run.objective)) + 1e-6)
        model2 = _build_model(problem, objective="elderly_years", floor=floor)
        run2 = _run_cbc(model2, s, limit)
        if run2.status in ("optimal", "time_limit"):
            model = model2
            run = _Run(
                "optimal" if first.status == run2.status == "optimal" else "time_limit",
                first.objective,
                first.bound,
                first.seconds + run2.seconds,
            )
        else:  # keep stage 1's plan
            log.warning(
                "plan %s: stage 2 (elderly-years) returned %s; keeping stage 1's plan",
                name,
                run2.status,
            )
    year_idx = _schedule_from_model(model, len(problem.columns))
    _, capital = _schedule_from_builds(problem, s.builds, source="plan")
    result = _make_result(
        problem,
        year_idx,
        capital,
        status=run.status,
        objective_name=s.objective,
        objective=run.objective,
        bound=run.bound,
        seconds=run.seconds + build_s,
        name=name,
        size=size,
    )
    log.info("solve_plan %s: %r", name, result)
    return result


# ------------------------------------------------------------------------------------------
# evaluation and results
# ------------------------------------------------------------------------------------------


def _spend(problem: PlanProblem, year_idx: np.ndarray, capital: np.ndarray) -> np.ndarray:
    """(T,) spend of each plan year: capital of the year's builds + operating of open facilities."""
    s = problem.settings
    T = s.n_years
    op = problem.columns["operating_wan_yuan_per_year"].to_numpy(dtype=float)
    built = year_idx >= 0
    out = np.zeros(T)
    for j in range(T):
        cap = float(capital[built & (year_idx == j)].sum())
        paying = built & ((year_idx <= j) if s.operating_from == "year_built" else (year_idx < j))
        out[j] = cap + float(op[paying].sum())
    return out


def _capital_and_operating(
    problem: PlanProblem, year_idx: np.ndarray, capital: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    s = problem.settings
    T = s.n_years
    op = problem.columns["operating_wan_yuan_per_year"].to_numpy(dtype=float)
    built = year_idx >= 0
    caps = np.array([float(capital[built & (year_idx == j)].sum()) for j in range(T)])
    ops = np.array(
        [
            float(
                op[
                    built
                    & ((year_idx <= j) if s.operating_from == "year_built" else (year_idx < j))
                ].sum()
            )
            for j in range(T)
        ]
    )
    return caps, ops


@dataclass(frozen=True, eq=False)
class PlanResult:
    """A plan: what is built when, what it costs each year, whom it covers, which milestones hold.

    Attributes
    ----------
    name
        The plan's name (the scenario's, or given).
    status
        "optimal" (within ``mip_gap``), "time_limit" (see ``gap``) or "evaluated" (a given plan).
    objective_name, objective, best_bound, gap
        The objective solved first (elderly_years, final_coverage, min_cost), its value, the
        solver's bound and the relative gap (None for an evaluated plan).
    seconds
        Build and solve time.
    years
        The plan years.
    year_built
        (K,) plan year each column is built in (0: not built; existing facilities 0).
    builds
        One row per facility built: year, ids, name, action, type, 街道/镇 and 社区/村, floor area,
        ``capital_wan_yuan``, ``operating_wan_yuan_per_year``, ``newly_covered_elderly`` (older
        people first covered in its year, credited to the nearest facility built that year); a
        GeoDataFrame when the sites have geometry.
    trajectory
        One row for the base (before the plan, base-year demand, existing facilities) and one per
        plan year: budget, capital, operating, spend and cumulative spend (万元), new sites by
        type, elderly, covered elderly and coverage % (all, 社区, 村), weighted covered,
        cumulative elderly-years covered.
    milestones
        One row per milestone and plan year from its year: target, value, met.
    communities
        Per 社区/村: growth rate and its source, elderly (base and final year), covered before
        the plan and in the final year, shares, facilities built.
    indicators
        The plan indicators of the final year (existing + built facilities, final-year demand);
        None without the district's inputs.
    summary
        Key figures (spend, coverage, elderly-years, milestones, scenario hash, tool version).
    scenario_sha256, tool_version
        Identity of the run: :attr:`siting.scenario.Scenario.sha256` and ``siting.__version__``.
    problem
        The instance solved (for maps and comparisons).
    problem_size
        Variables, constraints and nonzeros of the first model.
    """

    name: str
    status: str
    objective_name: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    years: tuple[int, ...]
    year_built: np.ndarray
    builds: pd.DataFrame
    trajectory: pd.DataFrame
    milestones: pd.DataFrame
    communities: pd.DataFrame
    indicators: Indicators | None
    summary: Mapping[str, Any]
    settings: PlanSettings
    scenario_sha256: str
    tool_version: str
    problem: PlanProblem
    problem_size: Mapping[str, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        sm = self.summary
        gap = "" if self.gap is None else f", gap {100 * self.gap:.2f} %"
        return (
            f"PlanResult('{self.name}', {self.status}{gap}; {sm['n_builds']} builds, "
            f"{sm['spent_wan_yuan']:,.1f} 万元; coverage {sm['coverage_before_pct']:.1f} % → "
            f"{sm['coverage_final_pct']:.1f} % in {self.years[-1]}; {sm['elderly_years_covered']:,.0f} elderly-years)"
        )

    @property
    def open_columns(self) -> np.ndarray:
        """(K,) columns open in the final year (existing and built)."""
        return self.problem.existing | (self.year_built > 0)


def _covered_by_year(problem: PlanProblem, year_idx: np.ndarray) -> np.ndarray:
    """(m, T) whether each demand point is covered in each plan year (from the matrix alone)."""
    T = problem.settings.n_years
    cover = problem.cover
    const = problem.const_covered
    out = np.zeros((cover.shape[0], T), dtype=bool)
    for j in range(T):
        open_j = (year_idx >= 0) & (year_idx <= j)
        out[:, j] = const | ((cover @ open_j.astype(np.int64)) > 0)
    return out


def _first_assignment(
    problem: PlanProblem, year_idx: np.ndarray, covered: np.ndarray
) -> np.ndarray:
    """(K,) older people each built column newly covers in its year (nearest new one of the year)."""
    T = problem.settings.n_years
    cov = problem.cover.tocoo()
    secs = np.asarray(problem.matrix.seconds[cov.row, cov.col]).ravel()
    g = problem.growth
    el = problem.matrix.elderly
    credit = np.zeros(len(year_idx))
    before = problem.const_covered
    for j in range(T):
        newly = covered[:, j] & ~(covered[:, j - 1] if j > 0 else before)
        sel = newly[cov.row] & (year_idx[cov.col] == j)
        if not sel.any():
            continue
        r, c, t = cov.row[sel], cov.col[sel], secs[sel]
        order = np.lexsort((c, t, r))
        r, c = r[order], c[order]
        first = np.r_[True, r[1:] != r[:-1]]
        np.add.at(credit, c[first], (el * g[:, j])[r[first]])
    return credit


def _scope_pct(values: np.ndarray, covered: np.ndarray, mask: np.ndarray) -> float:
    tot = float(values[mask].sum())
    return 100.0 * float(values[mask & covered].sum()) / tot if tot > 0 else float("nan")


def _make_result(
    problem: PlanProblem,
    year_idx: np.ndarray,
    capital: np.ndarray,
    *,
    status: str,
    objective_name: str,
    objective: float | None,
    bound: float | None,
    seconds: float,
    name: str | None,
    size: Mapping[str, int],
) -> PlanResult:
    s = problem.settings
    T = s.n_years
    cols = problem.columns
    el = problem.matrix.elderly
    w = problem.matrix.weights
    g = problem.growth
    dc = problem.demand_community
    kinds = problem.communities["kind"].astype(str).to_numpy()
    pt_kind = np.where(dc >= 0, kinds[np.clip(dc, 0, None)] if len(kinds) else "", "")
    covered = _covered_by_year(problem, year_idx)
    before = problem.const_covered
    caps, ops = _capital_and_operating(problem, year_idx, capital)
    spend = caps + ops
    budgets = s.budgets()
    types = cols["type"].to_numpy()
    action = cols["action"].to_numpy()

    rows = []
    all_pts = np.ones(len(el), dtype=bool)
    rows.append(
        {
            "year": s.base_year,
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
            "covered_elderly": float(el[before].sum()),
            "coverage_pct": _scope_pct(el, before, all_pts),
            "community_coverage_pct": _scope_pct(el, before, pt_kind == "community"),
            "village_coverage_pct": _scope_pct(el, before, pt_kind == "village"),
            "covered_weighted": float(w[before].sum()),
            "cumulative_elderly_years": 0.0,
        }
    )
    cum_years = 0.0
    for j in range(T):
        e = el * g[:, j]
        cov = covered[:, j]
        cum_years += float((w * g[:, j])[cov].sum())
        new_j = (year_idx == j) & (action == "new")
        rows.append(
            {
                "year": s.years[j],
                "stage": "plan",
                "budget_wan_yuan": np.nan if budgets[j] is None else budgets[j],
                "capital_wan_yuan": caps[j],
                "operating_wan_yuan": ops[j],
                "spend_wan_yuan": spend[j],
                "cumulative_spend_wan_yuan": float(spend[: j + 1].sum()),
                "n_new": int(new_j.sum()),
                **{f"n_new_{t}": int((new_j & (types == t)).sum()) for t in SITEABLE_TYPES},
                "n_upgrades": int(((year_idx == j) & (action == "upgrade")).sum()),
                "elderly": float(e.sum()),
                "covered_elderly": float(e[cov].sum()),
                "coverage_pct": _scope_pct(e, cov, all_pts),
                "community_coverage_pct": _scope_pct(e, cov, pt_kind == "community"),
                "village_coverage_pct": _scope_pct(e, cov, pt_kind == "village"),
                "covered_weighted": float((w * g[:, j])[cov].sum()),
                "cumulative_elderly_years": cum_years,
            }
        )
    trajectory = pd.DataFrame(rows)
    baseline_years = float(sum((w * g[:, j])[before].sum() for j in range(T)))

    milestones = _milestone_frame(problem, year_idx, covered)

    credit = _first_assignment(problem, year_idx, covered)
    built = np.flatnonzero(year_idx >= 0)
    st = problem.streets
    com = problem.communities
    st_pos = cols["street"].to_numpy()[built]
    c_pos = cols["community"].to_numpy()[built]

    def lookup(frame: pd.DataFrame, pos: np.ndarray, col: str) -> np.ndarray:
        if len(frame) == 0:
            return np.full(len(pos), "", dtype=object)
        vals = frame[col].astype(str).to_numpy()
        return np.where(pos >= 0, vals[np.clip(pos, 0, None)], "")

    builds = (
        pd.DataFrame(
            {
                "year": [s.years[j] for j in year_idx[built]],
                "column_id": cols["column_id"].to_numpy()[built],
                "site_id": cols["site_id"].to_numpy()[built],
                "name": cols["name"].to_numpy()[built],
                "action": action[built],
                "type": types[built],
                "from_type": cols["from_type"].to_numpy()[built],
                "street_code": lookup(st, st_pos, "code"),
                "street_name": lookup(st, st_pos, "name"),
                "community_code": lookup(com, c_pos, "code"),
                "community_name": lookup(com, c_pos, "name"),
                "source": cols["source"].to_numpy()[built],
                "floor_area_m2": cols["floor_area_m2"].to_numpy(dtype=float)[built],
                "capital_wan_yuan": capital[built],
                "operating_wan_yuan_per_year": cols["operating_wan_yuan_per_year"].to_numpy(
                    dtype=float
                )[built],
                "newly_covered_elderly": credit[built],
            }
        )
        .sort_values(["year", "type", "site_id"], kind="stable")
        .reset_index(drop=True)
    )
    builds["cost_wan_yuan"] = 0.0
    for i, row in builds.iterrows():
        j = s.years.index(int(row["year"]))
        paid = T - j - (0 if s.operating_from == "year_built" else 1)
        builds.at[i, "cost_wan_yuan"] = (
            row["capital_wan_yuan"] + max(paid, 0) * row["operating_wan_yuan_per_year"]
        )
    geoms = problem.matrix.site_geometry
    if problem.inputs is not None and len(geoms) and geoms[0] is not None:
        order = pd.Index(cols["column_id"]).get_indexer(builds["column_id"])
        builds = gpd.GeoDataFrame(builds, geometry=list(geoms[order]), crs=problem.inputs.crs)

    communities = _community_frame(problem, year_idx, covered)
    indicators = (
        _final_indicators(problem, year_idx)
        if problem.inputs is not None and problem.graph is not None
        else None
    )

    final = trajectory.iloc[-1]
    base = trajectory.iloc[0]
    n_met = int(milestones.groupby("milestone")["met"].all().sum()) if len(milestones) else 0
    summary = {
        "name": name or problem.scenario_name or "plan",
        "scenario_name": problem.scenario_name,
        "scenario_sha256": problem.scenario_sha256,
        "tool_version": siting.__version__,
        "years": f"{s.years[0]}–{s.years[-1]}",
        "objective": "evaluated" if status == "evaluated" else objective_name,
        "status": status,
        "budget_wan_yuan": float(sum(b for b in budgets if b is not None))
        if any(b is not None for b in budgets)
        else float("nan"),
        "spent_wan_yuan": float(spend.sum()),
        "capital_wan_yuan": float(caps.sum()),
        "operating_wan_yuan": float(ops.sum()),
        "n_builds": len(built),
        "n_new": int((action[built] == "new").sum()),
        "n_upgrades": int((action[built] == "upgrade").sum()),
        **{
            f"n_new_{t}": int(((action == "new") & (types == t) & (year_idx >= 0)).sum())
            for t in SITEABLE_TYPES
        },
        "coverage_before_pct": float(base["coverage_pct"]),
        "coverage_final_pct": float(final["coverage_pct"]),
        "community_coverage_final_pct": float(final["community_coverage_pct"]),
        "village_coverage_final_pct": float(final["village_coverage_pct"]),
        "elderly_final": float(final["elderly"]),
        "covered_elderly_final": float(final["covered_elderly"]),
        "elderly_years_covered": float(final["cumulative_elderly_years"]),
        "elderly_years_without_plan": baseline_years,
        "elderly_years_gained": float(final["cumulative_elderly_years"]) - baseline_years,
        "newly_covered_final": float(final["covered_elderly"])
        - float((el * g[:, T - 1])[before].sum()),
        "milestones_met": n_met,
        "milestones": len(s.milestones),
        "growth": _growth_text(problem),
    }
    summary["wan_yuan_per_newly_covered"] = (
        summary["spent_wan_yuan"] / summary["newly_covered_final"]
        if summary["newly_covered_final"] > 0
        else float("nan")
    )
    gap = None
    if objective is not None and bound is not None:
        gap = abs(bound - objective) / max(abs(objective), 1e-9)
    return PlanResult(
        name=summary["name"],
        status=status,
        objective_name=objective_name,
        objective=objective if objective is not None else summary["elderly_years_covered"],
        best_bound=bound,
        gap=gap,
        seconds=seconds,
        years=s.years,
        year_built=np.where(year_idx >= 0, np.asarray(s.years)[np.clip(year_idx, 0, None)], 0),
        builds=builds,
        trajectory=trajectory,
        milestones=milestones,
        communities=communities,
        indicators=indicators,
        summary=summary,
        settings=s,
        scenario_sha256=problem.scenario_sha256,
        tool_version=siting.__version__,
        problem=problem,
        problem_size=dict(size),
        problems=problem.problems,
    )


def _growth_text(problem: PlanProblem) -> str:
    if problem.growth_override is not None:
        return "given growth factors"
    rates, src = problem.growth_rates
    if len(rates) == 0:
        return f"{problem.settings.growth}"
    el = problem.communities["elderly"].to_numpy(dtype=float)
    mean = float(np.average(rates, weights=np.maximum(el, 1e-9)))
    sources = sorted(set(src.tolist()))
    return f"{100 * mean:+.2f} % a year (mean over 社区/村); {'; '.join(sources)}"


def _milestone_frame(
    problem: PlanProblem, year_idx: np.ndarray, covered: np.ndarray
) -> pd.DataFrame:
    s = problem.settings
    el = problem.matrix.elderly
    g = problem.growth
    dc = problem.demand_community
    codes = problem.communities["code"].astype(str).to_numpy()
    rows = []
    for i, ms in enumerate(s.milestones):
        if ms.year not in s.years:
            continue
        x = s.year_index(ms.year)
        for j in range(x, s.n_years):
            e = el * g[:, j]
            if ms.rule == "coverage":
                scope = _scope_mask(problem, ms.kind)
                pts = _point_scope(problem, ms.kind)
                value = _scope_pct(e, covered[:, j], pts)
                target, unit = 100 * ms.share, "%"
                met = value >= target - 1e-6
            elif ms.rule == "every_unit_coverage":
                scope = _scope_mask(problem, ms.kind)
                inside = dc >= 0
                tot = np.bincount(dc[inside], weights=e[inside], minlength=len(scope))
                cov = np.bincount(
                    dc[inside & covered[:, j]],
                    weights=e[inside & covered[:, j]],
                    minlength=len(scope),
                )
                keep = scope & (tot > 0) & ~np.isin(codes, list(ms.exclude))
                ok = cov[keep] >= ms.share * tot[keep] - 1e-6
                value, target, unit = float(ok.sum()), float(keep.sum()), "units"
                met = bool(ok.all())
            else:
                units, options = _unit_lists(problem, ms)
                open_j = (year_idx >= 0) & (year_idx <= j)
                served = sum(1 for p in units if open_j[options[p]].any())
                if ms.rule == "every_street_center":
                    n_all = len(problem.streets) - len(ms.exclude)
                else:
                    scope = _scope_mask(problem, ms.kind)
                    n_all = int((scope & ~np.isin(codes, list(ms.exclude))).sum())
                value = float(n_all - len(units) + served)
                target, unit = float(n_all), "units"
                met = served == len(units)
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
    return pd.DataFrame(
        rows,
        columns=[
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
        ],
    )


def _community_frame(
    problem: PlanProblem, year_idx: np.ndarray, covered: np.ndarray
) -> pd.DataFrame:
    com = problem.communities
    n = len(com)
    el = problem.matrix.elderly
    g = problem.growth
    dc = problem.demand_community
    inside = dc >= 0
    T = problem.settings.n_years
    e_final = el * g[:, T - 1]
    before = problem.const_covered

    def per(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        sel = inside & mask
        return np.bincount(dc[sel], weights=values[sel], minlength=n)

    out = com[["code", "name", "street_code", "kind"]].copy()
    if problem.growth_override is None:
        rates, src = problem.growth_rates
        out["growth_rate"] = rates
        out["growth_source"] = src
    st_names = dict(
        zip(problem.streets["code"].astype(str), problem.streets["name"].astype(str), strict=True)
    )
    out.insert(3, "street_name", [st_names.get(str(c), "") for c in com["street_code"]])
    ones = np.ones(len(el), dtype=bool)
    out["elderly"] = per(el, ones)
    out["covered_elderly_before"] = per(el, before)
    out["elderly_final"] = per(e_final, ones)
    out["covered_elderly_final"] = per(e_final, covered[:, T - 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_before_pct"] = np.where(
            out["elderly"] > 0, 100 * out["covered_elderly_before"] / out["elderly"], np.nan
        )
        out["coverage_final_pct"] = np.where(
            out["elderly_final"] > 0,
            100 * out["covered_elderly_final"] / out["elderly_final"],
            np.nan,
        )
    built = year_idx >= 0
    cpos = problem.columns["community"].to_numpy()
    out["n_built"] = np.bincount(cpos[built & (cpos >= 0)], minlength=n) if n else []
    first = np.full(n, 0, dtype=np.int64)
    for j in range(T - 1, -1, -1):
        full = per(el * g[:, j], covered[:, j]) >= per(el * g[:, j], ones) - 1e-9
        first[full & (out["elderly"].to_numpy() > 0)] = problem.settings.years[j]
    out["year_fully_covered"] = first
    return out.reset_index(drop=True)


def _final_indicators(problem: PlanProblem, year_idx: np.ndarray) -> Indicators:
    """The plan indicators with the final year's facilities and demand."""
    from siting.indicators import compute_indicators

    inputs = problem.inputs
    assert inputs is not None and problem.graph is not None and problem.demand is not None
    T = problem.settings.n_years
    cols = problem.columns
    fac = inputs.facilities
    fac = (
        fac.copy()
        if fac is not None
        else gpd.GeoDataFrame(
            {"name": [], "type": [], "floor_area_m2": []}, geometry=[], crs=inputs.crs
        )
    )
    built = np.flatnonzero(year_idx >= 0)
    action = cols["action"].to_numpy()
    id_col = fac["facility_id"].astype(str) if "facility_id" in fac else pd.Series([""] * len(fac))
    new_rows = []
    for k in built:
        if action[k] == "upgrade":
            hit = np.flatnonzero(id_col.to_numpy() == str(cols["site_id"].iloc[k]))
            for h in hit:
                fac.iloc[h, fac.columns.get_loc("type")] = cols["type"].iloc[k]
                if "floor_area_m2" in fac:
                    area = fac.iloc[h, fac.columns.get_loc("floor_area_m2")]
                    new_area = cols["floor_area_m2"].iloc[k]
                    fac.iloc[h, fac.columns.get_loc("floor_area_m2")] = np.nanmax([area, new_area])
        else:
            new_rows.append(
                {
                    "facility_id": str(cols["site_id"].iloc[k]),
                    "name": str(cols["name"].iloc[k]),
                    "type": str(cols["type"].iloc[k]),
                    "floor_area_m2": float(cols["floor_area_m2"].iloc[k]),
                    "geometry": problem.matrix.site_geometry[k],
                }
            )
    if new_rows:
        add = gpd.GeoDataFrame(new_rows, geometry="geometry", crs=fac.crs or inputs.crs)
        fac = gpd.GeoDataFrame(
            pd.concat([fac, add], ignore_index=True), geometry="geometry", crs=fac.crs or inputs.crs
        )
    open_cols = problem.existing | (year_idx >= 0)
    # upgraded facilities: the upgrade column replaces the existing one
    upgraded_groups = set(cols["group"].to_numpy()[built][action[built] == "upgrade"].tolist())
    drop = problem.existing & np.isin(cols["group"].to_numpy(), list(upgraded_groups))
    mat = problem.matrix.select(open_cols & ~drop)
    factor = problem.growth[:, T - 1]
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


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------


def plan(
    inputs: Inputs,
    graph: WalkGraph,
    settings: PlanSettings | None = None,
    *,
    coverage: CoverageResult | None = None,
    name: str | None = None,
) -> PlanResult:
    """The five-year plan of a scenario (``siting plan``): optimized, or evaluated when
    ``[plan] mode = "evaluate"``.

    Parameters
    ----------
    inputs
        The district's inputs; ``inputs.scenario`` names the run (hash, name).
    graph
        The older pedestrian's walking graph.
    settings
        Plan settings (default: the scenario's ``[plan]``).
    coverage
        Coverage of the existing facilities, to reuse its demand and matrix.
    name
        Name of the plan in tables and maps (default: the scenario's name).

    Raises
    ------
    InfeasibleError
        A milestone cannot be met; the message names it and the numbers.
    """
    problem = build_plan(inputs, graph, settings, coverage=coverage)
    return problem.solve(name=name)


# ------------------------------------------------------------------------------------------
# tables and files
# ------------------------------------------------------------------------------------------

#: Labels of the plan tables (zh, en); other keys fall back to :mod:`siting.i18n`.
PLAN_LABELS: dict[str, tuple[str, str]] = {
    "sheet_plan_summary": ("规划概要", "summary"),
    "sheet_plan_years": ("分年度", "by year"),
    "sheet_plan_builds": ("建设清单", "build list"),
    "sheet_plan_milestones": ("阶段目标", "milestones"),
    "sheet_plan_communities": ("社区村", "communities"),
    "sheet_plan_indicators": ("末年指标", "final-year indicators"),
    "p_item": ("项目", "item"),
    "p_value": ("数值", "value"),
    "p_year": ("年份", "year"),
    "p_stage": ("阶段", "stage"),
    "p_before": ("现状", "before the plan"),
    "p_plan": ("规划年", "plan year"),
    "p_budget": ("预算(万元)", "budget (10,000 yuan)"),
    "p_capital": ("建设投入(万元)", "capital (10,000 yuan)"),
    "p_operating": ("运营补贴(万元)", "operating (10,000 yuan)"),
    "p_spend": ("当年支出(万元)", "spend (10,000 yuan)"),
    "p_cum_spend": ("累计支出(万元)", "cumulative spend (10,000 yuan)"),
    "p_n_new": ("新建设施(个)", "new facilities"),
    "p_n_new_type": ("新建{type}(个)", "new {type}"),
    "p_n_upgrades": ("升级改造(个)", "upgrades"),
    "p_elderly": ("60岁及以上老年人", "older people (60+)"),
    "p_covered": ("已覆盖老年人", "older people covered"),
    "p_coverage_pct": ("覆盖率(%)", "coverage (%)"),
    "p_community_pct": ("社区覆盖率(%)", "社区 coverage (%)"),
    "p_village_pct": ("村覆盖率(%)", "村 coverage (%)"),
    "p_covered_weighted": ("已覆盖加权需求", "weighted demand covered"),
    "p_cum_years": ("累计覆盖人年", "cumulative elderly-years covered"),
    "p_site_id": ("点位编号", "site id"),
    "p_name": ("名称", "name"),
    "p_action": ("方式", "action"),
    "p_action_new": ("新建", "new"),
    "p_action_upgrade": ("升级改造", "upgrade"),
    "p_type": ("类型", "type"),
    "p_from_type": ("原类型", "previous type"),
    "p_street": ("街道/镇", "sub-district/town"),
    "p_community": ("社区/村", "community/village"),
    "p_code": ("代码", "code"),
    "p_kind": ("类别", "kind"),
    "p_source": ("来源", "source"),
    "p_floor_area": ("建筑面积(平方米)", "floor area (m²)"),
    "p_op_year": ("年运营补贴及租金(万元)", "operating + rent per year (10,000 yuan)"),
    "p_cost_plan": ("规划期内费用(万元)", "cost over the plan (10,000 yuan)"),
    "p_newly": ("当年新增覆盖老年人", "older people newly covered that year"),
    "p_milestone": ("阶段目标", "milestone"),
    "p_from_year": ("起始年份", "from year"),
    "p_target": ("目标", "target"),
    "p_unit": ("单位", "unit"),
    "p_met": ("是否达成", "met"),
    "p_yes": ("达成", "met"),
    "p_no": ("未达成", "not met"),
    "p_growth_rate": ("老年人口年增长率(%)", "annual growth of the elderly (%)"),
    "p_growth_source": ("增长率依据", "growth source"),
    "p_elderly_final": ("末年老年人", "older people, final year"),
    "p_covered_before": ("现状已覆盖", "covered before the plan"),
    "p_covered_final": ("末年已覆盖", "covered, final year"),
    "p_pct_before": ("现状覆盖率(%)", "coverage before (%)"),
    "p_pct_final": ("末年覆盖率(%)", "coverage, final year (%)"),
    "p_n_built": ("规划建设(个)", "facilities built"),
    "p_year_full": ("全覆盖年份", "year fully covered"),
    "s_name": ("方案", "plan"),
    "s_scenario_name": ("情景", "scenario"),
    "s_scenario_sha256": ("情景文件哈希(SHA-256)", "scenario hash (SHA-256)"),
    "s_tool_version": ("软件版本", "tool version"),
    "s_years": ("规划期", "plan years"),
    "s_objective": ("目标函数", "objective"),
    "s_status": ("求解状态", "solver status"),
    "s_gap": ("最优性差距(%)", "optimality gap (%)"),
    "s_budget_wan_yuan": ("预算合计(万元)", "total budget (10,000 yuan)"),
    "s_spent_wan_yuan": ("支出合计(万元)", "total spend (10,000 yuan)"),
    "s_capital_wan_yuan": ("建设投入合计(万元)", "capital (10,000 yuan)"),
    "s_operating_wan_yuan": ("运营补贴合计(万元)", "operating (10,000 yuan)"),
    "s_n_builds": ("建设项目(个)", "builds"),
    "s_n_new": ("新建设施(个)", "new facilities"),
    "s_n_upgrades": ("升级改造(个)", "upgrades"),
    "s_coverage_before_pct": ("现状覆盖率(%)", "coverage before (%)"),
    "s_coverage_final_pct": ("末年覆盖率(%)", "coverage, final year (%)"),
    "s_community_coverage_final_pct": ("末年社区覆盖率(%)", "社区 coverage, final year (%)"),
    "s_village_coverage_final_pct": ("末年村覆盖率(%)", "村 coverage, final year (%)"),
    "s_elderly_final": ("末年老年人", "older people, final year"),
    "s_covered_elderly_final": ("末年已覆盖老年人", "older people covered, final year"),
    "s_newly_covered_final": ("末年新增覆盖老年人", "newly covered, final year"),
    "s_elderly_years_covered": ("规划期累计覆盖人年", "elderly-years covered"),
    "s_elderly_years_without_plan": ("不建设时累计覆盖人年", "elderly-years without the plan"),
    "s_elderly_years_gained": ("规划新增覆盖人年", "elderly-years gained"),
    "s_wan_yuan_per_newly_covered": (
        "每新增覆盖一人支出(万元)",
        "spend per person newly covered (10,000 yuan)",
    ),
    "s_milestones_met": ("达成阶段目标(个)", "milestones met"),
    "s_milestones": ("阶段目标(个)", "milestones"),
    "s_growth": ("需求增长", "demand growth"),
    "obj_elderly_years": ("覆盖人年最大", "most elderly-years covered"),
    "obj_final_coverage": ("末年覆盖最大", "most coverage in the final year"),
    "obj_min_cost": ("达标费用最省", "least cost to meet the milestones"),
    "st_optimal": ("最优", "optimal"),
    "st_time_limit": ("达到时限（见差距）", "time limit (see gap)"),
    "st_evaluated": ("给定方案评估", "evaluated (given plan)"),
    "obj_evaluated": ("给定方案（不优化）", "given plan (not optimized)"),
    "src_idle_state_asset": ("闲置国有资产", "idle state-owned asset"),
    "src_community_room": ("社区用房", "community room"),
    "src_rental": ("租赁", "rental"),
    "src_other": ("其他", "other"),
}


_t = labeller(PLAN_LABELS)


def _r(x: Any, digits: int = 1) -> Any:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), digits) if digits else round(float(x))


def plan_frames(result: PlanResult, *, lang: Language = "zh") -> dict[str, pd.DataFrame]:
    """The display tables of a plan, by file stem (headers and values in ``lang``)."""
    s = result.summary
    summary_rows = []
    for key in (
        "name",
        "scenario_name",
        "scenario_sha256",
        "tool_version",
        "years",
        "objective",
        "status",
        "gap",
        "budget_wan_yuan",
        "spent_wan_yuan",
        "capital_wan_yuan",
        "operating_wan_yuan",
        "n_builds",
        "n_new",
        "n_upgrades",
        "coverage_before_pct",
        "coverage_final_pct",
        "community_coverage_final_pct",
        "village_coverage_final_pct",
        "elderly_final",
        "covered_elderly_final",
        "newly_covered_final",
        "elderly_years_covered",
        "elderly_years_without_plan",
        "elderly_years_gained",
        "wan_yuan_per_newly_covered",
        "milestones_met",
        "milestones",
        "growth",
    ):
        if key == "gap":
            value: Any = None if result.gap is None else _r(100 * result.gap, 3)
        elif key == "objective":
            value = _t(f"obj_{s['objective']}", lang)
        elif key == "status":
            value = _t(f"st_{s['status']}", lang)
        else:
            value = s[key]
            if isinstance(value, float):
                value = _r(value, 2 if "per_newly" in key else 1)
        summary_rows.append({_t("p_item", lang): _t(f"s_{key}", lang), _t("p_value", lang): value})
    frames: dict[str, pd.DataFrame] = {"plan_summary": pd.DataFrame(summary_rows, dtype=object)}

    tr = result.trajectory
    years = pd.DataFrame(
        {
            _t("p_year", lang): tr["year"].astype(int),
            _t("p_stage", lang): [_t(f"p_{v}", lang) for v in tr["stage"]],
            _t("p_budget", lang): [_r(v) for v in tr["budget_wan_yuan"]],
            _t("p_capital", lang): [_r(v) for v in tr["capital_wan_yuan"]],
            _t("p_operating", lang): [_r(v) for v in tr["operating_wan_yuan"]],
            _t("p_spend", lang): [_r(v) for v in tr["spend_wan_yuan"]],
            _t("p_cum_spend", lang): [_r(v) for v in tr["cumulative_spend_wan_yuan"]],
            _t("p_n_new", lang): tr["n_new"].astype(int),
            **{
                _t("p_n_new_type", lang, type=i18n_label(t, lang)): tr[f"n_new_{t}"].astype(int)
                for t in SITEABLE_TYPES
            },
            _t("p_n_upgrades", lang): tr["n_upgrades"].astype(int),
            _t("p_elderly", lang): [_r(v, 0) for v in tr["elderly"]],
            _t("p_covered", lang): [_r(v, 0) for v in tr["covered_elderly"]],
            _t("p_coverage_pct", lang): [_r(v) for v in tr["coverage_pct"]],
            _t("p_community_pct", lang): [_r(v) for v in tr["community_coverage_pct"]],
            _t("p_village_pct", lang): [_r(v) for v in tr["village_coverage_pct"]],
            _t("p_covered_weighted", lang): [_r(v) for v in tr["covered_weighted"]],
            _t("p_cum_years", lang): [_r(v, 0) for v in tr["cumulative_elderly_years"]],
        }
    )
    frames["plan_years"] = years.astype(object)

    b = result.builds
    frames["plan_builds"] = pd.DataFrame(
        {
            _t("p_year", lang): b["year"].astype(int),
            _t("p_site_id", lang): b["site_id"],
            _t("p_name", lang): b["name"],
            _t("p_action", lang): [_t(f"p_action_{a}", lang) for a in b["action"]],
            _t("p_type", lang): [i18n_label(str(t), lang) for t in b["type"]],
            _t("p_from_type", lang): [
                i18n_label(str(t), lang) if t else "" for t in b["from_type"]
            ],
            _t("p_street", lang): b["street_name"],
            _t("p_community", lang): b["community_name"],
            _t("p_code", lang): b["community_code"],
            _t("p_source", lang): [
                _t(f"src_{v}", lang) if f"src_{v}" in PLAN_LABELS else str(v) for v in b["source"]
            ],
            _t("p_floor_area", lang): [_r(v, 0) for v in b["floor_area_m2"]],
            _t("p_capital", lang): [_r(v, 2) for v in b["capital_wan_yuan"]],
            _t("p_op_year", lang): [_r(v, 2) for v in b["operating_wan_yuan_per_year"]],
            _t("p_cost_plan", lang): [_r(v, 2) for v in b["cost_wan_yuan"]],
            _t("p_newly", lang): [_r(v, 0) for v in b["newly_covered_elderly"]],
        },
        dtype=object,
    )

    ms = result.milestones
    frames["plan_milestones"] = pd.DataFrame(
        {
            _t("p_milestone", lang): ms["label"],
            _t("p_from_year", lang): ms["from_year"],
            _t("p_year", lang): ms["year"],
            _t("p_target", lang): [_r(v) for v in ms["target"]],
            _t("p_value", lang): [_r(v) for v in ms["value"]],
            _t("p_unit", lang): [
                "%" if u == "%" else ("个" if lang == "zh" else "units") for u in ms["unit"]
            ],
            _t("p_met", lang): [_t("p_yes" if m else "p_no", lang) for m in ms["met"]],
        },
        dtype=object,
    )

    c = result.communities
    com_cols: dict[str, Any] = {
        _t("p_code", lang): c["code"],
        _t("p_name", lang): c["name"],
        _t("p_street", lang): c["street_name"],
        _t("p_kind", lang): [i18n_label(str(k), lang) for k in c["kind"]],
    }
    if "growth_rate" in c:
        com_cols[_t("p_growth_rate", lang)] = [_r(100 * v, 2) for v in c["growth_rate"]]
        com_cols[_t("p_growth_source", lang)] = c["growth_source"]
    com_cols.update(
        {
            _t("p_elderly", lang): [_r(v, 0) for v in c["elderly"]],
            _t("p_covered_before", lang): [_r(v, 0) for v in c["covered_elderly_before"]],
            _t("p_pct_before", lang): [_r(v) for v in c["coverage_before_pct"]],
            _t("p_elderly_final", lang): [_r(v, 0) for v in c["elderly_final"]],
            _t("p_covered_final", lang): [_r(v, 0) for v in c["covered_elderly_final"]],
            _t("p_pct_final", lang): [_r(v) for v in c["coverage_final_pct"]],
            _t("p_n_built", lang): c["n_built"].astype(int),
            _t("p_year_full", lang): [int(v) if v else None for v in c["year_fully_covered"]],
        }
    )
    frames["plan_communities"] = pd.DataFrame(com_cols, dtype=object)
    if result.indicators is not None:
        frames["plan_indicators"] = indicator_frame(result.indicators, lang)
    return frames


def indicator_frame(indicators: Indicators, lang: Language) -> pd.DataFrame:
    """The indicators as a display table (as ``siting coverage`` writes them)."""
    rows = []
    for item in indicators.items:
        digits = 3 if item.unit == "m2/person" else (1 if item.unit == "%" else 0)

        def num(x: float, digits: int = digits) -> Any:
            if x is None or (isinstance(x, float) and math.isnan(x)):
                return None
            return round(x, digits) if digits else round(x)

        status = "pass" if item.passed else ("na" if item.passed is None else "fail")
        rows.append(
            {
                i18n_label("col_indicator", lang): i18n_label(f"ind_{item.key}", lang),
                i18n_label("col_value", lang): num(item.value),
                i18n_label("col_comparison", lang): {">=": "≥", "<=": "≤"}.get(
                    item.comparison, item.comparison
                ),
                i18n_label("col_target", lang): num(item.target),
                i18n_label("col_unit", lang): i18n_label(f"unit_{item.unit}", lang),
                i18n_label("col_status", lang): i18n_label(f"status_{status}", lang),
                i18n_label("col_detail", lang): item.detail(lang),
                i18n_label("col_source", lang): item.source,
            }
        )
    return pd.DataFrame(rows, dtype=object)


def default_map_path(out_dir: Path) -> Path:
    """``maps/<out_dir's name>.html`` in the working directory (as ``siting run`` names its map)."""
    return Path.cwd() / "maps" / f"{Path(out_dir).name}.html"


def plan_map(
    result: PlanResult,
    *,
    lang: Language = "zh",
    basemap: str = "none",
    tianditu_key: str | None = None,
):
    """The HTML map of a plan: coverage before and in the final year, the builds with their year."""
    from siting.maps import coverage_map

    problem = result.problem
    if problem.inputs is None:
        raise InputError(
            "a plan map needs the district's inputs (the plan was built from a cost matrix)"
        )
    before, after = _coverage_tables(result)
    proposed = _proposed_sites(result)
    title = f"{result.name} · {result.years[0]}–{result.years[-1]}"
    return coverage_map(
        problem.inputs,
        coverage=before,
        coverage_after=after,
        proposed=proposed if proposed is not None and len(proposed) else None,
        lang=lang,
        basemap=basemap,  # type: ignore[arg-type]
        tianditu_key=tianditu_key,
        title=title,
    )


def _coverage_tables(result: PlanResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = result.communities
    before = pd.DataFrame(
        {
            "code": c["code"].astype(str),
            "elderly": c["elderly"],
            "covered_elderly": c["covered_elderly_before"],
            "coverage_pct": c["coverage_before_pct"],
        }
    )
    after = pd.DataFrame(
        {
            "code": c["code"].astype(str),
            "elderly": c["elderly_final"],
            "covered_elderly": c["covered_elderly_final"],
            "coverage_pct": c["coverage_final_pct"],
        }
    )
    return before, after


def _proposed_sites(result: PlanResult) -> gpd.GeoDataFrame | None:
    b = result.builds
    if not isinstance(b, gpd.GeoDataFrame) or len(b) == 0:
        return None
    return gpd.GeoDataFrame(
        {
            "site_id": b["site_id"].astype(str),
            "name": b["name"].astype(str),
            "type": b["type"].astype(str),
            "floor_area_m2": b["floor_area_m2"],
            "cost_wan_yuan": b["cost_wan_yuan"],
            "year": b["year"].astype(int),
            "newly_covered_elderly": b["newly_covered_elderly"],
        },
        geometry=b.geometry.to_numpy(),
        crs=b.crs,
    )


def write_plan_outputs(
    result: PlanResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    map_path: str | Path | None = None,
    with_map: bool = True,
    basemap: str = "none",
    tianditu_key: str | None = None,
) -> tuple[Path, ...]:
    """Write a plan's tables (CSV and ``plan.xlsx``) to ``out_dir`` and its HTML map.

    Files: ``plan_summary.csv`` (with the scenario hash and tool version), ``plan_years.csv``
    (spend and coverage trajectory), ``plan_builds.csv`` (per-year build list),
    ``plan_milestones.csv``, ``plan_communities.csv``, ``plan_indicators.csv`` (final year),
    ``plan.xlsx``; the map at ``map_path`` (default ``maps/<out_dir name>.html``). Every file is
    written whole or not at all.
    """
    from siting.tables import write_tables

    out_dir = Path(out_dir)
    frames = plan_frames(result, lang=lang)
    sheets = {stem: _t(f"sheet_{stem}", lang) for stem in frames}
    written = list(write_tables(frames, out_dir, xlsx="plan.xlsx", sheet_names=sheets))
    if with_map and result.problem.inputs is not None:
        from siting.maps import write_map

        path = Path(map_path) if map_path is not None else default_map_path(out_dir)
        written.append(
            write_map(plan_map(result, lang=lang, basemap=basemap, tianditu_key=tianditu_key), path)
        )
    log.info("write_plan_outputs wrote %d files for plan %s", len(written), result.name)
    return tuple(written)
