"""The siting instance: who each option covers, what it costs, where it stands, and the settings.

One :class:`SitingProblem` serves a one-off siting (one period) and a five-year plan (a period per
year). Build it from a district with :func:`siting.model.build.build_problem`, or from a plain
demand × site cost matrix with :meth:`SitingProblem.from_cost_matrix` (spopt's constructor);
:meth:`SitingProblem.solve` returns a :class:`~siting.model.result.SitingResult`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from siting.coverage import CoverageMatrix
from siting.errors import Problem
from siting.io import SITEABLE_TYPES
from siting.model.settings import ModelSettings

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.coverage import CoverageSettings
    from siting.demand import Demand
    from siting.io import Inputs
    from siting.model.result import SitingResult
    from siting.model.rules import Eligibility
    from siting.model.settings import PlannedBuild

__all__ = ["OPTION_COLUMNS", "SitingProblem", "demand_growth"]


def demand_growth(
    settings: ModelSettings,
    communities: pd.DataFrame,
    demand_community: np.ndarray,
    *,
    district_code: str = "",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, T) growth of each demand point's older people per period, and the rates and sources per
    community (:func:`siting.growth.growth_factors`); ones without plan years or with growth "none"."""
    if settings.years and not (isinstance(settings.growth, str) and settings.growth == "none"):
        from siting.growth import growth_factors

        return growth_factors(
            communities,
            demand_community,
            settings.years,
            base_year=settings.base_year,
            growth=settings.growth,
            mortality_60p=settings.mortality_60p,
            district_code=district_code,
        )
    return (
        np.ones((len(demand_community), settings.n_periods)),
        np.zeros(0),
        np.zeros(0, dtype=object),
    )


#: The one-off money of an option by line (:mod:`siting.costs`), 万元; ``capital_wan_yuan`` is their sum.
CAPITAL_COLUMNS: tuple[str, ...] = (
    "subsidy_municipal_wan_yuan",
    "subsidy_district_wan_yuan",
    "works_wan_yuan",
    "capital_wan_yuan",
)
#: Which option column holds each cost line (one-off lines in 万元, yearly lines in 万元 per year).
LINE_COLUMNS: dict[str, str] = {
    "subsidy_municipal": "subsidy_municipal_wan_yuan",
    "subsidy_district": "subsidy_district_wan_yuan",
    "works": "works_wan_yuan",
    "incentive": "operating_wan_yuan_per_year",
    "rent": "rent_wan_yuan_per_year",
}

#: Columns of :attr:`SitingProblem.options` (money in 万元; per year where it says so).
OPTION_COLUMNS: tuple[str, ...] = (
    "option_id",
    "site_id",
    "name",
    "action",
    "type",
    "from_type",
    "group",
    "fixed",
    "closable",
    "source",
    "floor_area_m2",
    "floor_area_given_m2",
    "beds",
    *CAPITAL_COLUMNS,
    "works_from",
    "operating_wan_yuan_per_year",
    "rent_wan_yuan_per_year",
    "closure_saving_wan_yuan_per_year",
    "street",
    "community",
    "health_distance_m",
    "capacity_elderly",
)


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """A siting instance over one or more periods.

    Attributes
    ----------
    matrix
        Demand × option coverage structure (column ``k`` is option ``k``).
    options
        One row per option (:data:`OPTION_COLUMNS`): ``action`` (existing, new, upgrade),
        ``group`` (the physical site: at most one of its options open), ``fixed`` (open in every
        period, no decision), ``closable``; costs: ``capital_wan_yuan`` (once, when built: the
        sum of ``subsidy_municipal_wan_yuan``, ``subsidy_district_wan_yuan`` and ``works_wan_yuan``,
        ``works_from`` saying where the works figure comes from),
        ``operating_wan_yuan_per_year`` (incentive; an upgrade's change of it),
        ``rent_wan_yuan_per_year``, ``closure_saving_wan_yuan_per_year`` (an existing site's
        incentive saved while it is closed); ``floor_area_m2`` as costed and
        ``floor_area_given_m2`` as given (NaN: unknown), ``beds``; ``street``/``community``
        (positions, −1 outside), ``health_distance_m`` (centers), ``capacity_elderly``.
    communities
        ``code``, ``name``, ``street_code``, ``kind``, ``elderly`` (base year), ``pop_60p``,
        ``pop_65p``.
    streets
        ``code``, ``name``, ``kind``.
    demand_community
        (m,) position of each demand point's community (−1 none).
    settings
        The model options.
    growth
        (m, T) factor of each demand point's older people in each period (ones: no growth).
    growth_rates, growth_sources
        Per community: the annual rate used and where it comes from (empty without growth).
    coverage_types
        Facility types that count for coverage.
    hub_station, hub_center
        Allowed (station option, center option) pairs of 中心带站.
    spacing
        (n, 2) options closer than their type's minimum spacing.
    geometry_crs
        CRS of ``matrix.site_geometry`` (None: no geometry).
    inputs, graph, demand, coverage_settings
        The district's objects (None from a cost matrix), for indicators and maps.
    scenario_name, scenario_sha256, district_code
        Identity of the run.
    problems
        Warnings collected while building (points not attached, …).
    """

    matrix: CoverageMatrix
    options: pd.DataFrame
    communities: pd.DataFrame
    streets: pd.DataFrame
    demand_community: np.ndarray
    settings: ModelSettings
    growth: np.ndarray
    growth_rates: np.ndarray = field(default_factory=lambda: np.zeros(0))
    growth_sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    coverage_types: tuple[str, ...] = SITEABLE_TYPES
    hub_station: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hub_center: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    spacing: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    geometry_crs: Any = None
    inputs: Inputs | None = None
    graph: WalkGraph | None = None
    demand: Demand | None = None
    coverage_settings: CoverageSettings | None = None
    scenario_name: str = ""
    scenario_sha256: str = ""
    district_code: str = ""
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        o = self.options
        counts = o[o["action"] != "existing"]["type"].value_counts().to_dict()
        s = self.settings
        when = f"years {s.years[0]}–{s.years[-1]}" if s.years else "one period"
        return (
            f"SitingProblem({self.matrix.shape[0]:,} demand points, "
            f"{int((o['action'] == 'existing').sum())} existing facilities, {len(o)} options {counts}, "
            f"{when}, profile {s.profile})"
        )

    # -- derived ------------------------------------------------------------------------------

    @property
    def n_periods(self) -> int:
        return self.settings.n_periods

    @cached_property
    def derived(self) -> dict[Any, Any]:
        """What the rules derive from this instance once (their units), by rule; a new instance
        (another budget, other settings) starts empty."""
        return {}

    @cached_property
    def cover(self) -> csr_matrix:
        """(m, K) boolean: option k covers demand point i (coverage types only)."""
        out = self.matrix.covers(types=list(self.coverage_types))
        out.sort_indices()
        return out

    @cached_property
    def eligibility(self) -> Eligibility:
        """Which options may open, and why the others may not (:mod:`siting.model.rules`)."""
        from siting.model.rules import eligibility

        return eligibility(self)

    @property
    def allowed(self) -> np.ndarray:
        """(K,) options that may be open (fixed ones included)."""
        return self.eligibility.allowed

    @cached_property
    def existing(self) -> np.ndarray:
        return self.options["action"].to_numpy() == "existing"

    @cached_property
    def operating_per_year(self) -> np.ndarray:
        """(K,) operating incentive and rent per year of each option, 万元."""
        o = self.options
        return o["operating_wan_yuan_per_year"].to_numpy(dtype=float) + o[
            "rent_wan_yuan_per_year"
        ].to_numpy(dtype=float)

    @cached_property
    def commitment_wan_yuan(self) -> np.ndarray:
        """(K,) what building the option commits: capital + operating for the commitment years."""
        cap = self.options["capital_wan_yuan"].to_numpy(dtype=float)
        out = np.where(self.existing, 0.0, cap + self.operating_per_year * self.settings.commitment)
        return out

    def with_settings(self, **changes: Any) -> SitingProblem:
        """The same instance with some settings changed (e.g. another budget)."""
        settings = dataclasses.replace(self.settings, **changes)
        if settings.n_periods != self.n_periods:
            raise ValueError(
                "with_settings cannot change the number of periods: rebuild the problem"
            )
        return dataclasses.replace(self, settings=settings)

    def solve(self, *, name: str | None = None, **overrides: Any) -> SitingResult:
        """Solve the instance (``overrides`` change settings for this solve; ``name`` names the plan).

        With ``mode = "evaluate"`` the planned builds are evaluated instead (nothing optimized).
        """
        from siting.model.solving import evaluate, solve

        problem = self.with_settings(**overrides) if overrides else self
        if problem.settings.mode == "evaluate":
            return evaluate(problem, problem.settings.builds, name=name)
        return solve(problem, name=name)

    def evaluate(self, builds: Sequence[PlannedBuild], *, name: str | None = None) -> SitingResult:
        """Coverage, spend, milestones and gaps of a given plan (nothing optimized)."""
        from siting.model.solving import evaluate

        return evaluate(self, builds, name=name)

    # -- constructor from a plain cost matrix ---------------------------------------------------

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | csr_matrix,
        *,
        service_radius: float | np.ndarray,
        weights: np.ndarray | None = None,
        site_costs_wan_yuan: np.ndarray | None = None,
        operating_wan_yuan_per_year: np.ndarray | None = None,
        predefined: np.ndarray | None = None,
        capacities: np.ndarray | None = None,
        new_sites: int | None = None,
        objective: str | None = None,
        site_types: Sequence[str] | None = None,
        site_groups: Sequence[int] | None = None,
        site_ids: Sequence[str] | None = None,
        demand_community: np.ndarray | None = None,
        site_community: np.ndarray | None = None,
        communities: pd.DataFrame | None = None,
        growth_factors: np.ndarray | None = None,
        settings: ModelSettings | None = None,
    ) -> SitingProblem:
        """An instance from a plain demand × site travel-cost matrix (the constructor of spopt's models).

        Parameters
        ----------
        cost_matrix
            (m, k) travel costs: a dense array (``inf``/NaN = unreachable) or a sparse matrix
            whose stored entries are the reachable pairs.
        service_radius
            Coverage threshold, one value or one per demand point.
        weights
            Demand at each point (default 1); both the weighted and the plain demand.
        site_costs_wan_yuan
            Capital cost of each site (default 1: the objective counts sites, as in the LSCP),
            booked on the ``works`` line.
        operating_wan_yuan_per_year
            Operating cost per year of each site (default 0).
        predefined
            (k,) sites already open (fixed, free).
        capacities
            (k,) older people (demand) each site serves at most: the capacities of the capacity
            rule and of ``objective = "capacitated"`` (spopt's ``facility_capacity_arr``); NaN:
            none. Required by the capacitated objective.
        new_sites
            Exactly this many new sites (the p of the p-median, p-center, MCLP; spopt counts its
            predefined facilities within p, this does not); replaces ``settings.new_sites``.
        objective
            The objective (:data:`~siting.model.settings.OBJECTIVES`, e.g. ``"p_median"``);
            replaces ``settings.objective``.
        site_types, site_groups, site_ids
            Type (default ``station``), physical site (default each its own) and id of each column.
        demand_community, site_community, communities
            Community of each demand point and site (−1 none) and the communities (``code``,
            ``name``, ``kind``, optional ``street_code``), for targets per 社区/村.
        growth_factors
            (T,) or (m, T) factors of the demand in each period (default: none).
        settings
            The model settings (default: max coverage for a budget of every site, no rules).
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
        type_names = tuple(SITEABLE_TYPES)
        w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
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
        pre = np.zeros(k, dtype=bool) if predefined is None else np.asarray(predefined, dtype=bool)
        cap = (
            np.ones(k)
            if site_costs_wan_yuan is None
            else np.asarray(site_costs_wan_yuan, dtype=float)
        )
        op = (
            np.zeros(k)
            if operating_wan_yuan_per_year is None
            else np.asarray(operating_wan_yuan_per_year, dtype=float)
        )
        groups = np.arange(k) if site_groups is None else np.asarray(site_groups, dtype=np.int64)
        sc = (
            np.full(k, -1, dtype=np.int64)
            if site_community is None
            else np.asarray(site_community, dtype=np.int64)
        )
        options = pd.DataFrame(
            {
                "option_id": ids,
                "site_id": ids,
                "name": ids,
                "action": np.where(pre, "existing", "new"),
                "type": types,
                "from_type": "",
                "group": groups,
                "fixed": pre,
                "closable": False,
                "source": "",
                "floor_area_m2": np.nan,
                "floor_area_given_m2": np.nan,
                "beds": np.nan,
                "subsidy_municipal_wan_yuan": 0.0,
                "subsidy_district_wan_yuan": 0.0,
                "works_wan_yuan": np.where(pre, 0.0, cap),  # a plain capital cost: one line
                "capital_wan_yuan": np.where(pre, 0.0, cap),
                "works_from": "site",
                "operating_wan_yuan_per_year": np.where(pre, 0.0, op),
                "rent_wan_yuan_per_year": 0.0,
                "closure_saving_wan_yuan_per_year": 0.0,
                "street": -1,
                "community": sc,
                "health_distance_m": np.nan,
                "capacity_elderly": np.nan
                if capacities is None
                else np.asarray(capacities, dtype=float),
            }
        )
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
        for c in ("pop_60p", "pop_65p"):
            if c not in com:
                com[c] = com["elderly"] if c == "pop_60p" else np.nan
        changes: dict[str, Any] = {}
        if new_sites is not None:
            changes["new_sites"] = int(new_sites)
        if objective is not None:
            changes["objective"] = objective
        if settings is None:
            settings = ModelSettings(
                **{
                    "budget_wan_yuan": None if new_sites is not None else float(cap.sum()),
                    "health_rule": "off",
                    "profile": "coverage_only",
                    **changes,
                }
            )
        elif changes:
            settings = dataclasses.replace(settings, **changes)
        T = settings.n_periods
        rates, sources = np.zeros(0), np.zeros(0, dtype=object)
        if growth_factors is None:
            g, rates, sources = demand_growth(settings, com, dc)
        else:
            g = np.asarray(growth_factors, dtype=float)
            if g.ndim == 1:
                g = np.broadcast_to(g[None, :], (m, len(g))).copy()
            if g.shape != (m, T):
                raise ValueError(f"growth_factors must be ({m}, {T}), got {g.shape}")
        return cls(
            matrix=matrix,
            options=options[list(OPTION_COLUMNS)],
            communities=com,
            streets=pd.DataFrame({"code": [], "name": [], "kind": []}),
            demand_community=dc,
            settings=settings,
            growth=g,
            growth_rates=rates,
            growth_sources=sources,
            coverage_types=tuple(SITEABLE_TYPES),
        )
