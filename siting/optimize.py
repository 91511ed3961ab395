r"""Where to build: a mixed-integer siting model over the sparse walking-coverage structure.

The model chooses, for every candidate site, at most one facility type to build there (街道/镇
养老服务中心, 社区养老服务站, 村级互助养老点, 小区养老服务点); existing facilities stay open (optionally
they may be upgraded into another type, or closed). It is built from a
:class:`~siting.coverage.CoverageMatrix` whose columns are the *options*: every existing facility,
every (candidate, eligible type) pair and every allowed upgrade.

Formulation
-----------
Let :math:`K` be the options, :math:`F \subseteq K` those fixed open (existing facilities with no
upgrade or closure allowed), :math:`V = K \setminus F` the decisions, :math:`N_i \subseteq K` the
options whose walking time from demand point :math:`i` is within its threshold (community kind ×
facility type), :math:`w_i` the weighted and :math:`e_i` the plain elderly at :math:`i`,
:math:`c_k` the cost of option :math:`k` in 万元 (:mod:`siting.costs`).

Demand points already covered by a fixed option are constants; the others are grouped into classes
:math:`q` of points with the same set :math:`N_q \cap V` (and the same 社区/村 when community floors
are on): one coverage variable per class, not per point. This is exact, and the reason the model is
small: no variable or term exists for a pair that does not cover.

.. math::

    x_k \in \{0, 1\}\ (k \in V), \qquad 0 \le y_q \le 1

    y_q \le \sum_{k \in N_q \cap V} x_k \qquad \text{(a class counts only if an open option covers it)}

    \sum_{k \in g} x_k \le 1 \qquad \text{(one type per candidate site } g\text{; } = 1 \text{ for an existing
    facility that may be upgraded but not closed)}

    \sum_{k \in V} c_k x_k \le B \qquad \text{(budget)}

Objectives: (a) ``max_coverage``: :math:`\max \sum_q w_q y_q + \text{const}` within the budget;
(b) ``min_cost``: :math:`\min \sum_k c_k x_k` subject to :math:`\sum_q e_q y_q + \text{const} \ge
\tau \sum_i e_i` (district share, default the plan's 80 %) and per 社区/村 floors; (c)
``lexicographic``: (a), then (b) keeping the coverage of (a) (within ``lexicographic_tolerance``).
With ``new_sites = p`` the new sites are exactly :math:`p` (the classic MCLP of Church & ReVelle
1974); ``min_cost`` with unit costs and a 100 % target is the LSCP (Toregas et al. 1971).
Policy rules add rows (:mod:`siting.policy`); the hub rule adds assignment variables
:math:`a_{sh}` for allowed (station, center) pairs, the capacity rule assignment variables
:math:`z_{qk}` for covering (class, capacitated option) pairs only:

.. math::

    \sum_h a_{sh} = x_s, \qquad \sum_s a_{sh} \le 10\, x_h, \qquad
    y_q \le \sum_{k \in N_q \cap V, \text{uncap.}} x_k + \sum_{k \in N_q, \text{cap.}} z_{qk}, \qquad
    \sum_q e_q z_{qk} \le \text{cap}_k\, x_k

Solving
-------
PuLP with CBC (default) or HiGHS (``solver = "highs"``, through PuLP's highspy interface). A greedy
heuristic (mandatory sites first, then the best marginal weighted coverage per 万元) gives a start
passed to HiGHS (``setSolution``), and is the fallback whenever the solver ends (time limit) without
a solution or with a worse one. CBC is not given it: the CBC 2.10 bundled with PuLP can stop at a
mipstart and call it optimal (reproduced on a two-site capacitated instance whose LP bound was 3×
better). When the limit is hit, the result says so and reports the gap between the solution and
the solver's best bound.

Infeasibility: :func:`siting.policy.presolve_messages` first; if the solver still finds none, an
elastic copy of the model (one non-negative slack per constraint of each rule, budget slack in 万元
weighted 1, every other slack weighted more than any budget) is solved, and the rules with slack are
named with their numbers in an :class:`~siting.errors.InfeasibleError`.

Results
-------
Coverage before and after the plan is recomputed from the coverage matrix and the chosen options
(never read back from :math:`y`). Each chosen site is credited with the older people it newly
covers by *first assignment*: a point not covered before the plan and covered after it goes to the
nearest (walking time) new site or upgrade that covers it, so the credits add up to the plan's
gain; ``unique_covered_elderly`` is the stricter "covered with the plan minus covered without this
site".
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pulp
from scipy.sparse import csc_matrix, csr_matrix

from siting.costs import CostSettings, closure_savings, site_costs, upgrade_costs
from siting.coverage import CoverageMatrix, CoverageResult, CoverageSettings, coverage_matrix
from siting.errors import InfeasibleError, InputError, Problem, ScenarioError, SitingError
from siting.indicators import CENTER_TYPES, IndicatorSettings
from siting.io import SITEABLE_TYPES
from siting.options import assemble_options, column_values
from siting.policy import (
    POLICIES,
    Row,
    center_rows,
    community_table,
    health_distance_m,
    hub_pair_arrays,
    max_new_rows,
    presolve_messages,
    site_walk_seconds,
    spacing_pairs,
    station_rows,
)

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.demand import Demand
    from siting.i18n import Language
    from siting.io import Inputs

__all__ = [
    "OptimizeSettings",
    "SitingProblem",
    "SitingResult",
    "build_problem",
    "optimize",
    "siting_frames",
    "write_siting_outputs",
]

log = logging.getLogger(__name__)

Objective = Literal["max_coverage", "min_cost", "lexicographic"]
OBJECTIVES: tuple[str, ...] = ("max_coverage", "min_cost", "lexicographic")
SOLVERS: tuple[str, ...] = ("cbc", "highs")
HEALTH_RULES: tuple[str, ...] = ("off", "prefer", "require")
Status = Literal["optimal", "time_limit", "heuristic"]


# ------------------------------------------------------------------------------------------
# settings
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeSettings:
    """Options of the siting model (scenario section ``[optimize]``, policy numbers from ``[indicators]``).

    Parameters
    ----------
    objective
        {"max_coverage", "min_cost", "lexicographic"}.
    budget_wan_yuan
        Spending cap in 万元 (required by max_coverage unless ``new_sites`` is set; a cap for min_cost).
    coverage_target
        District share of the elderly to cover (min_cost; default there: ``[indicators]
        home_care_coverage_target``, 0.8, 000 专栏1 / 003).
    community_floor
        Share of every 社区/村's elderly to cover (0: none).
    new_sites
        Exactly this many new sites (the MCLP's p; upgrades not counted).
    policies
        Switched-on rules of :data:`siting.policy.POLICIES`.
    health_rule, health_penalty
        {"off", "prefer", "require"}; the penalty per center site far from its health facility,
        in the objective's unit (weighted older people for coverage, 万元 for cost).
    hub_types, hub_reach_metric, hub_reach_minutes, hub_reach_m, stations_per_center_max
        Hub rule: which types a center runs; "walking" (minutes, needs the walking graph) or
        "straight_line" (metres) reach; at most this many per center.
    small_community_elderly, sharing_min_share, health_max_distance_m
        From ``[indicators]``: see :mod:`siting.policy`.
    min_spacing_m, max_new
        Per type: minimum straight-line spacing; maximum number of new facilities.
    upgrades, closable_types
        Per existing type, the types it may be upgraded into; the existing types that may close.
    capacity_elderly_per_m2
        Capacity rule: older people served per m² of floor area, per capacitated type.
    solver, time_limit_s, mip_gap, threads, warm_start
        Solver choice and limits; ``warm_start`` {"greedy", "none"}: the greedy plan as HiGHS's
        start (CBC: fallback only, see the module docstring).
    lexicographic_tolerance
        Share of the stage-1 coverage stage 2 may give up (0: none).
    curve_budgets, curve_steps
        Budgets of the budget–coverage curve (else ``curve_steps`` even steps).
    costs
        Cost defaults (``[costs]``).
    """

    objective: Objective = "max_coverage"
    budget_wan_yuan: float | None = None
    coverage_target: float | None = None
    community_floor: float = 0.0
    new_sites: int | None = None
    policies: tuple[str, ...] = ()
    health_rule: Literal["off", "prefer", "require"] = "prefer"
    health_penalty: float = 50.0
    hub_types: tuple[str, ...] = ("station",)
    hub_reach_metric: Literal["walking", "straight_line"] = "walking"
    hub_reach_minutes: float = 30.0
    hub_reach_m: float = 1440.0
    stations_per_center_max: int = 10
    small_community_elderly: float = 500.0
    sharing_min_share: float = 0.5
    health_max_distance_m: float = 500.0
    min_spacing_m: Mapping[str, float] = field(default_factory=dict)
    max_new: Mapping[str, int] = field(default_factory=dict)
    upgrades: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    closable_types: tuple[str, ...] = ()
    capacity_elderly_per_m2: Mapping[str, float] = field(default_factory=lambda: {"station": 4.0})
    solver: Literal["cbc", "highs"] = "cbc"
    time_limit_s: float = 120.0
    mip_gap: float = 1e-4
    threads: int | None = None
    warm_start: Literal["greedy", "none"] = "greedy"
    lexicographic_tolerance: float = 0.0
    curve_budgets: tuple[float, ...] = ()
    curve_steps: int = 10
    costs: CostSettings = field(default_factory=CostSettings)

    def __post_init__(self) -> None:
        problems = self.problems("optimize settings")
        if problems:
            raise ScenarioError("invalid optimize settings", problems)

    def problems(self, source: str) -> list[Problem]:
        out: list[Problem] = []

        def bad(key: str, message: str, hint: str | None = None) -> None:
            out.append(Problem(source, message, column=f"optimize.{key}", hint=hint))

        def share(key: str, value: Any) -> None:
            if value is not None and not (isinstance(value, int | float) and 0 <= value <= 1):
                bad(
                    key,
                    f"{key} must be a share between 0 and 1, got {value!r}",
                    "e.g. 0.8 for 80 %",
                )

        def positive(key: str, value: Any, allow_zero: bool = False) -> None:
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            if not ok or value < 0 or (value == 0 and not allow_zero):
                bad(key, f"{key} must be a number {'>=' if allow_zero else '>'} 0, got {value!r}")

        if self.objective not in OBJECTIVES:
            bad(
                "objective",
                f"unknown objective {self.objective!r}",
                f"use one of {list(OBJECTIVES)}",
            )
        if self.solver not in SOLVERS:
            bad("solver", f"unknown solver {self.solver!r}", f"use one of {list(SOLVERS)}")
        if self.health_rule not in HEALTH_RULES:
            bad(
                "health_rule",
                f"unknown health_rule {self.health_rule!r}",
                f"use one of {list(HEALTH_RULES)}",
            )
        if self.hub_reach_metric not in ("walking", "straight_line"):
            bad(
                "hub_reach_metric",
                f"unknown hub_reach_metric {self.hub_reach_metric!r}",
                "use walking or straight_line",
            )
        if self.warm_start not in ("greedy", "none"):
            bad("warm_start", f"unknown warm_start {self.warm_start!r}", "use greedy or none")
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown:
            bad("policies", f"unknown policies {unknown}", f"policies: {list(POLICIES)}")
        if self.budget_wan_yuan is not None:
            positive("budget_wan_yuan", self.budget_wan_yuan, allow_zero=True)
        share("coverage_target", self.coverage_target)
        share("community_floor", self.community_floor)
        share("sharing_min_share", self.sharing_min_share)
        share("lexicographic_tolerance", self.lexicographic_tolerance)
        if self.new_sites is not None and not (
            isinstance(self.new_sites, int) and self.new_sites >= 0
        ):
            bad("new_sites", f"new_sites must be a whole number >= 0, got {self.new_sites!r}")
        for key in ("time_limit_s", "hub_reach_minutes", "hub_reach_m", "health_max_distance_m"):
            positive(key, getattr(self, key))
        positive("mip_gap", self.mip_gap, allow_zero=True)
        positive("health_penalty", self.health_penalty, allow_zero=True)
        positive("small_community_elderly", self.small_community_elderly, allow_zero=True)
        if not (
            isinstance(self.stations_per_center_max, int) and self.stations_per_center_max >= 1
        ):
            bad("stations_per_center_max", "stations_per_center_max must be a whole number >= 1")
        for name in ("min_spacing_m", "max_new", "capacity_elderly_per_m2"):
            for t, v in getattr(self, name).items():
                if t not in SITEABLE_TYPES:
                    bad(
                        f"{name}.{t}",
                        f"unknown facility type '{t}'",
                        f"types: {list(SITEABLE_TYPES)}",
                    )
                positive(f"{name}.{t}", v, allow_zero=name == "max_new")
        for t, targets in self.upgrades.items():
            for u in (t, *targets):
                if u not in SITEABLE_TYPES:
                    bad(
                        f"upgrades.{t}",
                        f"unknown facility type '{u}'",
                        f"types: {list(SITEABLE_TYPES)}",
                    )
            if t in targets:
                bad(f"upgrades.{t}", f"an upgrade must change the type ({t} → {t})")
        for t in (*self.hub_types, *self.closable_types):
            if t not in SITEABLE_TYPES:
                bad(
                    "hub_types/closable_types",
                    f"unknown facility type '{t}'",
                    f"types: {list(SITEABLE_TYPES)}",
                )
        if self.curve_steps < 1:
            bad("curve_steps", "curve_steps must be >= 1")
        # contradictory or missing switches
        if (
            self.objective in ("max_coverage", "lexicographic")
            and self.budget_wan_yuan is None
            and self.new_sites is None
        ):
            bad(
                "budget_wan_yuan",
                f"objective {self.objective} needs a budget (budget_wan_yuan) or a number of new sites (new_sites)",
                'e.g. budget_wan_yuan = 800, or objective = "min_cost"',
            )
        if self.objective == "min_cost" and self.new_sites is not None:
            bad(
                "new_sites",
                "new_sites fixes the number of sites: it cannot be combined with objective min_cost",
            )
        return out

    @classmethod
    def from_scenario(cls, scenario: Any, **overrides: Any) -> OptimizeSettings:
        """Settings from ``[optimize]``, ``[costs]`` and the rule numbers of ``[indicators]``.

        ``overrides`` (e.g. ``budget_wan_yuan=800`` from the command line) replace scenario values.
        """
        sec = dict(scenario.section("optimize"))
        ind = IndicatorSettings.from_scenario(scenario)
        source = str(scenario.path)
        kwargs: dict[str, Any] = {
            "small_community_elderly": float(ind.small_community_elderly),
            "sharing_min_share": float(ind.sharing_min_share),
            "hub_reach_minutes": float(ind.hub_reach_minutes),
            "stations_per_center_max": int(ind.stations_per_center_max),
            "health_max_distance_m": float(ind.health_max_distance_m),
        }
        tuples = {"policies", "hub_types", "closable_types", "curve_budgets"}
        for f in dataclasses.fields(cls):
            if f.name in sec and f.name != "costs":
                value = sec[f.name]
                if f.name in tuples:
                    value = tuple(value)
                elif f.name == "upgrades":
                    value = {
                        k: tuple(v) if isinstance(v, list) else (v,) for k, v in dict(value).items()
                    }
                elif f.name in ("min_spacing_m", "max_new", "capacity_elderly_per_m2"):
                    value = dict(value)
                kwargs[f.name] = value
        kwargs.update(overrides)
        if kwargs.get("objective") == "min_cost" and kwargs.get("coverage_target") is None:
            kwargs["coverage_target"] = float(ind.home_care_coverage_target)
        kwargs["costs"] = CostSettings.from_scenario(scenario)
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            raise ScenarioError(
                f"scenario {source}: invalid [optimize] settings",
                [dataclasses.replace(p, source=source) for p in exc.problems],
            ) from None
        except TypeError as exc:  # a value of the wrong kind (e.g. a table for a list)
            raise ScenarioError(f"scenario {source}: invalid [optimize] settings: {exc}") from None


# ------------------------------------------------------------------------------------------
# the problem object
# ------------------------------------------------------------------------------------------

_OPTION_COLUMNS = (
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
    "capital_wan_yuan",
    "operating_wan_yuan",
    "rent_wan_yuan",
    "cost_wan_yuan",
    "closure_saving_wan_yuan",
    "street",
    "community",
    "health_distance_m",
    "capacity_elderly",
)


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """A siting instance: coverage of demand by every option, the options' costs, and the rules.

    Build it with :func:`build_problem` (a district's inputs) or :meth:`from_cost_matrix` (a plain
    demand × site cost matrix, as spopt's models); :meth:`solve` returns a :class:`SitingResult`.

    Attributes
    ----------
    matrix
        Demand × option coverage structure (column ``k`` is option ``k``).
    options
        One row per option: ``option_id``, ``site_id``, ``name``, ``action`` (existing, new,
        upgrade), ``type``, ``from_type`` (upgrades), ``group`` (the physical site: at most one
        option per group is open), ``fixed`` (open, no decision), ``closable``, ``source``, costs
        in 万元 (``capital_wan_yuan``, ``operating_wan_yuan``, ``rent_wan_yuan``,
        ``cost_wan_yuan``, ``closure_saving_wan_yuan`` per existing site), ``street`` and
        ``community`` (positions in :attr:`streets` / :attr:`communities`, −1 unknown),
        ``health_distance_m`` (centers), ``capacity_elderly`` (capacitated options, else NaN).
    communities
        ``code``, ``name``, ``street_code``, ``kind``, ``elderly``.
    streets
        ``code``, ``name``, ``kind``.
    demand_community
        (m,) position of each demand point's community (−1 none).
    settings
        The options.
    coverage_types
        Facility types that count for coverage.
    hub_station, hub_center
        Allowed (station option, center option) pairs of the hub rule.
    spacing
        (n, 2) options closer than their type's minimum spacing.
    geometry_crs
        CRS of ``matrix.site_geometry`` (None: no geometry).
    """

    matrix: CoverageMatrix
    options: pd.DataFrame
    communities: pd.DataFrame
    streets: pd.DataFrame
    demand_community: np.ndarray
    settings: OptimizeSettings
    coverage_types: tuple[str, ...] = SITEABLE_TYPES
    hub_station: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hub_center: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    spacing: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    geometry_crs: Any = None
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        o = self.options
        counts = o[o["action"] != "existing"]["type"].value_counts().to_dict()
        return (
            f"SitingProblem({self.matrix.shape[0]:,} demand points, {int((o['action'] == 'existing').sum())} "
            f"existing facilities, {len(o)} options {counts})"
        )

    @cached_property
    def cover(self) -> csr_matrix:
        """(m, K) boolean: option k covers demand point i (coverage types only)."""
        return self.matrix.covers(types=list(self.coverage_types))

    @cached_property
    def allowed(self) -> np.ndarray:
        """(K,) options that may open: far centers dropped under ``health_rule = require``, new
        options within the minimum spacing of a fixed facility of their type dropped."""
        opts = self.options
        ok = np.ones(len(opts), dtype=bool)
        if self.settings.health_rule == "require":
            d = opts["health_distance_m"].to_numpy(dtype=float)
            far = np.isin(opts["type"].to_numpy(), CENTER_TYPES) & ~(
                d <= self.settings.health_max_distance_m
            )
            ok &= ~(far & (opts["action"].to_numpy() != "existing"))  # existing centers stay
        fixed = opts["fixed"].to_numpy()
        for a, b in self.spacing:
            if fixed[a] and not fixed[b]:
                ok[b] = False
            elif fixed[b] and not fixed[a]:
                ok[a] = False
        return ok

    def with_settings(self, **changes: Any) -> SitingProblem:
        """The same instance with some settings changed (e.g. another budget)."""
        return dataclasses.replace(self, settings=dataclasses.replace(self.settings, **changes))

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | csr_matrix,
        *,
        service_radius: float | np.ndarray,
        weights: np.ndarray | None = None,
        site_costs_wan_yuan: np.ndarray | None = None,
        predefined: np.ndarray | None = None,
        site_types: Sequence[str] | None = None,
        site_groups: Sequence[int] | None = None,
        settings: OptimizeSettings | None = None,
    ) -> SitingProblem:
        """An instance from a plain demand × site cost matrix (the constructor of spopt's models).

        Parameters
        ----------
        cost_matrix
            (m, k) travel costs: a dense array (``inf``/NaN = unreachable) or a sparse matrix
            whose stored entries are the reachable pairs.
        service_radius
            Coverage threshold, one value or one per demand point.
        weights
            Demand at each point (default 1); it is both the weighted and the plain demand.
        site_costs_wan_yuan
            Cost of each site (default 1: the objective counts sites, as in the LSCP).
        predefined
            (k,) booleans: sites already open (fixed, free).
        site_types
            Facility type of each site (default ``station``).
        site_groups
            Physical site of each column (default: each its own site).
        settings
            Objective, budget, targets (default: max coverage, no budget: set one).
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
        type_names = tuple(SITEABLE_TYPES)
        w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
        matrix = CoverageMatrix(
            demand_ids=np.arange(m),
            weights=w,
            elderly=w.copy(),
            site_ids=np.array([str(j) for j in range(k)], dtype=object),
            site_types=types,
            site_geometry=np.full(k, None, dtype=object),
            seconds=seconds,
            type_names=type_names,
            threshold_s=np.repeat(radius[:, None], len(type_names), axis=1),
            max_seconds=float(np.max(radius)) if m else 0.0,
        )
        pre = np.zeros(k, dtype=bool) if predefined is None else np.asarray(predefined, dtype=bool)
        cost = (
            np.ones(k)
            if site_costs_wan_yuan is None
            else np.asarray(site_costs_wan_yuan, dtype=float)
        )
        groups = np.arange(k) if site_groups is None else np.asarray(site_groups, dtype=np.int64)
        options = pd.DataFrame(
            {
                "option_id": matrix.site_ids,
                "site_id": matrix.site_ids,
                "name": matrix.site_ids,
                "action": np.where(pre, "existing", "new"),
                "type": types,
                "from_type": "",
                "group": groups,
                "fixed": pre,
                "closable": False,
                "source": "",
                "floor_area_m2": np.nan,
                "capital_wan_yuan": np.where(pre, 0.0, cost),
                "operating_wan_yuan": 0.0,
                "rent_wan_yuan": 0.0,
                "cost_wan_yuan": np.where(pre, 0.0, cost),
                "closure_saving_wan_yuan": 0.0,
                "street": -1,
                "community": -1,
                "health_distance_m": np.nan,
                "capacity_elderly": np.nan,
            }
        )
        settings = settings or OptimizeSettings(
            budget_wan_yuan=float(cost.sum()), health_rule="off"
        )
        return cls(
            matrix=matrix,
            options=options,
            communities=pd.DataFrame(
                {"code": [], "name": [], "street_code": [], "kind": [], "elderly": []}
            ),
            streets=pd.DataFrame({"code": [], "name": [], "kind": []}),
            demand_community=np.full(m, -1, dtype=np.int64),
            settings=settings,
            coverage_types=tuple(SITEABLE_TYPES),
        )

    def solve(self, **overrides: Any) -> SitingResult:
        """Solve the instance (``overrides`` change settings for this solve); see :func:`solve`."""
        problem = self.with_settings(**overrides) if overrides else self
        return solve(problem)


# ------------------------------------------------------------------------------------------
# the adapter: a district's inputs → SitingProblem
# ------------------------------------------------------------------------------------------


def _facility_columns(existing: CoverageMatrix, facilities: pd.DataFrame) -> np.ndarray:
    """Row of ``facilities`` for each column of the existing facilities' matrix (one per facility)."""
    if len(existing.site_ids) != len(facilities):
        raise ValueError(
            f"the coverage matrix has {len(existing.site_ids)} facility columns but the inputs hold "
            f"{len(facilities)} facilities: compute the coverage from the same inputs"
        )
    return np.arange(len(facilities))


def _candidate_rows(matrix: CoverageMatrix, candidates: pd.DataFrame) -> np.ndarray:
    ids = candidates["candidate_id"].astype(str).to_numpy()
    pos = {c: i for i, c in enumerate(ids)}
    rows = np.array([pos.get(str(s), -1) for s in matrix.site_ids], dtype=np.int64)
    if (rows < 0).any():
        missing = sorted({str(s) for s, r in zip(matrix.site_ids, rows, strict=True) if r < 0})
        raise ValueError(f"candidate columns without a candidate record: {missing[:5]}")
    return rows


def build_problem(
    inputs: Inputs,
    coverage: CoverageResult | CoverageMatrix,
    *,
    graph: WalkGraph | None = None,
    candidates: CoverageMatrix | None = None,
    demand: Demand | None = None,
    settings: OptimizeSettings | None = None,
) -> SitingProblem:
    """The siting instance of a district: existing facilities, candidates, upgrades, costs, rules.

    Parameters
    ----------
    inputs
        The district's inputs (communities, streets, facilities, health, candidates, scenario).
    coverage
        The coverage of the existing facilities: :func:`~siting.coverage.compute_coverage`'s result
        (with its demand and settings) or its matrix (then pass ``demand``, or ``graph`` to rebuild
        it); a matrix may also hold the candidates' columns after the facilities' (``hstack``).
    graph
        The walking graph: needed to compute the candidates' coverage (unless ``candidates`` is
        given) and a walking hub reach.
    candidates
        Coverage of the demand by the candidates (``coverage_matrix(..., id_column="candidate_id",
        type_column="eligible_types")``), if already computed.
    demand
        The demand points of ``coverage`` when it is a bare matrix.
    settings
        Model options (default: the scenario's ``[optimize]``).
    """
    t0 = time.perf_counter()
    settings = settings or OptimizeSettings.from_scenario(inputs.scenario)
    if isinstance(coverage, CoverageResult):
        existing, demand, cov_settings = coverage.matrix, coverage.demand, coverage.settings
    else:
        existing = coverage
        cov_settings = CoverageSettings.from_scenario(inputs.scenario)
        if demand is None:
            from siting.demand import build_demand

            demand = build_demand(inputs, graph)
    if not np.array_equal(demand.points["demand_id"].to_numpy(), existing.demand_ids):
        raise ValueError("the demand points do not match the coverage matrix's rows")
    problems: list[Problem] = list(existing.problems)
    cand = inputs.candidates
    n_fac = 0 if inputs.facilities is None else len(inputs.facilities)
    if candidates is None and existing.shape[1] > n_fac:  # existing.hstack(candidates) in one
        candidates = existing.select(np.arange(n_fac, existing.shape[1]))
        existing = existing.select(np.arange(n_fac))
    if candidates is None and cand is not None and len(cand):
        if graph is None:
            raise InputError(
                "the candidates' coverage needs the walking graph",
                [
                    Problem(
                        "candidates",
                        "no walking graph given",
                        hint="pass graph= (siting.walking.walking_graph)",
                    )
                ],
            )
        label = (
            inputs.scenario.inputs["candidates"].label
            if "candidates" in inputs.scenario.inputs
            else "candidates"
        )
        candidates = coverage_matrix(
            graph,
            demand,
            cand,
            id_column="candidate_id",
            type_column="eligible_types",
            settings=cov_settings,
            site_label=label,
        )
        problems.extend(p for p in candidates.problems if p not in existing.problems)
    fac = inputs.facilities
    cost_set = settings.costs

    # existing facilities (home-care types; institutions are not options)
    blocks: list[tuple[CoverageMatrix, dict[str, Any]]] = []
    n_groups = 0
    if fac is not None and len(fac) and existing.shape[1]:
        rows = _facility_columns(existing, fac)
        types = existing.site_types.astype(str)
        keep = np.flatnonzero(np.isin(types, SITEABLE_TYPES))
        sub = existing.select(keep)
        ftypes = types[keep]
        frows = rows[keep]
        area = column_values(fac, "floor_area_m2", frows).astype(float)
        closable = np.isin(ftypes, settings.closable_types)
        has_up = np.array([bool(settings.upgrades.get(t)) for t in ftypes])
        savings = closure_savings(ftypes, area, settings=cost_set)["cost_wan_yuan"].to_numpy()
        groups = np.arange(len(keep)) + n_groups
        n_groups += len(keep)
        names = column_values(fac, "name", frows, "").astype(str)
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
                    "fixed": ~(closable | has_up),
                    "closable": closable,
                    "source": "",
                    "floor_area_m2": np.array(
                        [cost_set.floor_area(t, a) for t, a in zip(ftypes, area, strict=True)]
                    ),
                    "capital_wan_yuan": 0.0,
                    "operating_wan_yuan": 0.0,
                    "rent_wan_yuan": 0.0,
                    "cost_wan_yuan": 0.0,
                    "closure_saving_wan_yuan": np.where(closable, -savings, 0.0),
                },
            )
        )
        # upgrades: the same walking times, another type
        up_cols, up_types = [], []
        for j, t in enumerate(ftypes):
            for u in settings.upgrades.get(t, ()):
                up_cols.append(j)
                up_types.append(u)
        if up_cols:
            uc = np.asarray(up_cols)
            up = dataclasses.replace(sub.select(uc), site_types=np.asarray(up_types, dtype=object))
            costs = upgrade_costs(ftypes[uc], up_types, area[uc], settings=cost_set)
            blocks.append(
                (
                    up,
                    {
                        "site_id": sub.site_ids[uc].astype(str),
                        "name": names[uc],
                        "action": "upgrade",
                        "type": np.asarray(up_types, dtype=object),
                        "from_type": ftypes[uc],
                        "group": groups[uc],
                        "fixed": False,
                        "closable": closable[uc],
                        "source": "",
                        **{
                            c: costs[c].to_numpy()
                            for c in (
                                "floor_area_m2",
                                "capital_wan_yuan",
                                "operating_wan_yuan",
                                "rent_wan_yuan",
                                "cost_wan_yuan",
                            )
                        },
                        "closure_saving_wan_yuan": 0.0,
                    },
                )
            )
    if candidates is not None and candidates.shape[1]:
        crow = _candidate_rows(candidates, cand)
        ctypes = candidates.site_types.astype(str)
        costs = site_costs(
            ctypes,
            column_values(cand, "floor_area_m2", crow),
            column_values(cand, "capital_cost_wan_yuan", crow),
            column_values(cand, "monthly_rent_yuan", crow),
            settings=cost_set,
        )
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
                    "fixed": False,
                    "closable": False,
                    "source": column_values(cand, "source", crow, "").astype(str),
                    **{
                        c: costs[c].to_numpy()
                        for c in (
                            "floor_area_m2",
                            "capital_wan_yuan",
                            "operating_wan_yuan",
                            "rent_wan_yuan",
                            "cost_wan_yuan",
                        )
                    },
                    "closure_saving_wan_yuan": 0.0,
                },
            )
        )
    if not blocks:
        raise InputError(
            "nothing to site: no existing facility and no candidate",
            [
                Problem(
                    "candidates",
                    "no candidate sites",
                    hint="add [inputs.candidates] to the scenario",
                )
            ],
        )
    matrix, options = assemble_options(blocks, inputs, id_column="option_id")
    geoms = matrix.site_geometry
    types = options["type"].to_numpy().astype(str)
    options["health_distance_m"] = health_distance_m(geoms, types, inputs.health)
    cap = np.full(len(options), np.nan)
    if "capacity" in settings.policies:
        for t, per_m2 in settings.capacity_elderly_per_m2.items():
            sel = types == t
            cap[sel] = options["floor_area_m2"].to_numpy(dtype=float)[sel] * per_m2
    options["capacity_elderly"] = cap
    options = options[list(_OPTION_COLUMNS)]

    demand_community = pd.Index(inputs.communities["code"]).get_indexer(
        demand.points["community_code"].to_numpy()
    )
    communities = community_table(inputs.communities, demand_community, matrix.elderly)
    streets = inputs.streets[["code", "name", "kind"]].reset_index(drop=True)

    hub_station = hub_center = np.zeros(0, np.int64)
    if "hub" in settings.policies:
        st = np.flatnonzero(np.isin(types, settings.hub_types))
        ce = np.flatnonzero(np.isin(types, CENTER_TYPES))
        if settings.hub_reach_metric == "walking":
            if graph is None:
                raise InputError(
                    "the hub rule with a walking reach needs the walking graph",
                    [
                        Problem(
                            str(inputs.scenario.path),
                            'no walking graph given for hub_reach_metric = "walking"',
                            column="optimize.hub_reach_metric",
                            hint='pass graph=, or set hub_reach_metric = "straight_line"',
                        )
                    ],
                )
            reach = site_walk_seconds(
                graph,
                geoms[ce],
                geoms[st],
                max_seconds=60.0 * settings.hub_reach_minutes,
                max_snap_m=cov_settings.max_snap_m,
            )
        else:
            reach = _within_m(geoms[ce], geoms[st], settings.hub_reach_m)
        hub_station, hub_center = hub_pair_arrays(st, ce, options["street"].to_numpy(), reach)
    spacing = np.zeros((0, 2), np.int64)
    if settings.min_spacing_m:
        spacing = spacing_pairs(
            geoms,
            types,
            options["group"].to_numpy(),
            np.ones(len(options), dtype=bool),
            settings.min_spacing_m,
        )
        existing_both = (
            (options["action"].to_numpy()[spacing] == "existing").all(axis=1)
            if len(spacing)
            else np.zeros(0, bool)
        )
        spacing = spacing[~existing_both]
    problem = SitingProblem(
        matrix=matrix,
        options=options,
        communities=communities,
        streets=streets,
        demand_community=demand_community,
        settings=settings,
        coverage_types=tuple(t for t in cov_settings.home_care_types if t in SITEABLE_TYPES),
        hub_station=hub_station,
        hub_center=hub_center,
        spacing=spacing,
        geometry_crs=inputs.crs,
        problems=tuple(problems),
    )
    log.info("build_problem returned %r in %.2f s", problem, time.perf_counter() - t0)
    return problem


def _within_m(a: np.ndarray, b: np.ndarray, dist: float) -> csr_matrix:
    import shapely

    if len(a) == 0 or len(b) == 0:
        return csr_matrix((len(a), len(b)))
    j, i = shapely.STRtree(np.asarray(b, dtype=object)).query(
        np.asarray(a, dtype=object), predicate="dwithin", distance=dist
    )
    return csr_matrix((np.ones(len(i)), (j, i)), shape=(len(a), len(b)))


# ------------------------------------------------------------------------------------------
# demand classes: points with the same covering decisions share one variable
# ------------------------------------------------------------------------------------------


def _filter_columns(a: csr_matrix, keep: np.ndarray) -> csr_matrix:
    """``a`` with the entries of the columns not in ``keep`` removed (same shape)."""
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    sel = keep[a.indices]
    out = csr_matrix(
        (np.ones(int(sel.sum()), dtype=bool), (rows[sel], a.indices[sel])), shape=a.shape
    )
    out.sort_indices()
    return out


@dataclass(frozen=True, eq=False)
class _Classes:
    point_class: np.ndarray  # (m,) class of each point, −1: constant
    const_covered: np.ndarray  # (m,) covered by a fixed uncapacitated option
    weight: np.ndarray
    elderly: np.ndarray
    community: np.ndarray
    unc: csr_matrix  # (n_class, K) variable uncapacitated options covering the class
    cap: csr_matrix  # (n_class, K) capacitated options (fixed or not) covering the class

    def __len__(self) -> int:
        return len(self.weight)


def _classes(problem: SitingProblem, capacitated: np.ndarray, *, by_community: bool) -> _Classes:
    cover = problem.cover
    allowed = problem.allowed
    fixed = problem.options["fixed"].to_numpy()
    m = cover.shape[0]
    fixed_unc = allowed & fixed & ~capacitated
    const = (cover @ fixed_unc.astype(np.int64)) > 0
    relevant = allowed & (~fixed | capacitated)
    sub = _filter_columns(cover, relevant)
    nnz = np.diff(sub.indptr)
    point_class = np.full(m, -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    reps: list[int] = []
    dc = problem.demand_community
    for i in np.flatnonzero(~const & (nnz > 0)):
        key = sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes()
        if by_community:
            key += int(dc[i]).to_bytes(8, "little", signed=True)
        c = keys.get(key)
        if c is None:
            c = keys[key] = len(reps)
            reps.append(int(i))
        point_class[i] = c
    n = len(reps)
    member = point_class >= 0
    weight = np.bincount(point_class[member], weights=problem.matrix.weights[member], minlength=n)
    elderly = np.bincount(point_class[member], weights=problem.matrix.elderly[member], minlength=n)
    rep = np.asarray(reps, dtype=np.int64)
    cls_cover = sub[rep] if n else csr_matrix((0, cover.shape[1]), dtype=bool)
    return _Classes(
        point_class=point_class,
        const_covered=const,
        weight=weight,
        elderly=elderly,
        community=dc[rep] if n else np.zeros(0, np.int64),
        unc=_filter_columns(cls_cover, ~capacitated),
        cap=_filter_columns(cls_cover, capacitated),
    )


# ------------------------------------------------------------------------------------------
# the MIP
# ------------------------------------------------------------------------------------------

#: Groups relaxed by the elastic re-solve; the budget slack is in 万元 and costs 1 per 万元.
_ELASTIC_GROUPS = (
    "budget",
    "center_per_street",
    "station_per_community",
    "hub",
    "hub_capacity",
    "coverage_target",
    "community_floor",
    "max_new",
    "spacing",
    "new_sites",
    "lexicographic",
)
_SENSE = {">=": pulp.LpConstraintGE, "<=": pulp.LpConstraintLE, "==": pulp.LpConstraintEQ}


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


@dataclass(eq=False)
class _Model:
    prob: pulp.LpProblem
    x: dict[int, pulp.LpVariable]
    y: list[pulp.LpVariable]
    a: list[tuple[int, int, pulp.LpVariable]]
    z: list[tuple[int, int, pulp.LpVariable]]
    classes: _Classes
    cost_coef: np.ndarray  # per option, in the budget / cost expression
    cost_const: float
    const_weight: float
    const_elderly: float
    rows: list[Row]
    slacks: list[tuple[str, str, str, pulp.LpVariable, float]] = field(default_factory=list)
    capacitated: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    sign: float = 1.0  # objective = sign × the PuLP objective (−1: a maximisation)

    def objective_value(self) -> float:
        """The objective of the current variable values, in its own sense."""
        expr = self.prob.objective
        value = expr.constant + sum(c * (v.varValue or 0.0) for v, c in expr.items())
        return self.sign * float(value)

    def add(
        self,
        group: str,
        key: str,
        label: str,
        terms: list,
        sense: str,
        rhs: float,
        *,
        elastic: bool,
    ) -> None:
        if elastic and group in _ELASTIC_GROUPS:
            n = len(self.slacks)
            if sense in (">=", "=="):
                s = _var(self.prob, f"s{n}p", 0.0, None)
                terms = [*terms, (s, 1.0)]
                self.slacks.append((group, key, label, s, +1.0))
            if sense in ("<=", "=="):
                s = _var(self.prob, f"s{n}m", 0.0, None)
                terms = [*terms, (s, -1.0)]
                self.slacks.append((group, key, label, s, -1.0))
        name = f"c{len(self.prob._constraints)}"
        self.prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), _SENSE[sense], name, rhs), name
        )

    def size(self) -> dict[str, int]:
        cons = self.prob.constraints()
        return {
            "variables": len(self.prob.variables()),
            "constraints": len(cons),
            "nonzeros": int(sum(sum(1 for v in c.expr.values() if v != 0) for c in cons)),
        }


def _option_terms(model: _Model, options: np.ndarray, coefs: np.ndarray) -> list:
    return [(model.x[k], float(c)) for k, c in zip(options, coefs, strict=True) if k in model.x]


def _build(
    problem: SitingProblem,
    *,
    stage: Literal["coverage", "cost"],
    elastic: bool = False,
    min_weighted: float | None = None,
) -> _Model:
    s = problem.settings
    opts = problem.options
    k_all = len(opts)
    allowed = problem.allowed
    fixed = opts["fixed"].to_numpy()
    capacitated = np.zeros(k_all, dtype=bool)
    if "capacity" in s.policies:
        capacitated = np.isfinite(opts["capacity_elderly"].to_numpy(dtype=float)) & allowed
    floors = s.community_floor > 0
    classes = _classes(problem, capacitated, by_community=floors)
    # always minimised: CBC misreads the cost of a mipstart on a maximisation (its sign)
    prob = pulp.LpProblem("siting", pulp.LpMinimize)
    x = {int(k): _var(prob, f"x{k}", 0, 1, pulp.LpBinary) for k in np.flatnonzero(allowed & ~fixed)}
    y = [_var(prob, f"y{q}", 0.0, 1.0) for q in range(len(classes))]

    # cost: new sites, upgrades; closures save (−S_g when the site's options are all closed)
    cost_coef = opts["cost_wan_yuan"].to_numpy(dtype=float).copy()
    saving = -opts["closure_saving_wan_yuan"].to_numpy(dtype=float)
    groups = opts["group"].to_numpy()
    cost_const = 0.0
    for k in np.flatnonzero(saving > 0):
        in_group = groups == groups[k]
        cost_coef[in_group] += saving[k]
        cost_const -= saving[k]
    el = problem.matrix.elderly
    const = classes.const_covered
    model = _Model(
        prob=prob,
        x=x,
        y=y,
        a=[],
        z=[],
        classes=classes,
        cost_coef=cost_coef,
        cost_const=cost_const,
        const_weight=float(problem.matrix.weights[const].sum()),
        const_elderly=float(el[const].sum()),
        rows=[],
        capacitated=capacitated,
    )

    # coverage of each class (capacitated options through assignment variables)
    z_by_option: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    for q in range(len(classes)):
        terms = [(y[q], 1.0)]
        a, b = classes.unc.indptr[q], classes.unc.indptr[q + 1]
        terms += [(x[int(k)], -1.0) for k in classes.unc.indices[a:b]]
        a, b = classes.cap.indptr[q], classes.cap.indptr[q + 1]
        for k in classes.cap.indices[a:b]:
            zv = _var(prob, f"z{q}_{k}", 0.0, 1.0)
            model.z.append((q, int(k), zv))
            terms.append((zv, -1.0))
            z_by_option.setdefault(int(k), []).append((zv, float(classes.elderly[q])))
        model.add("cover", str(q), "", terms, "<=", 0.0, elastic=False)
    capacity = opts["capacity_elderly"].to_numpy(dtype=float)
    for k, zs in z_by_option.items():
        if fixed[k]:
            model.add("capacity", str(k), "", zs, "<=", float(capacity[k]), elastic=False)
        else:
            model.add(
                "capacity", str(k), "", [*zs, (x[k], -float(capacity[k]))], "<=", 0.0, elastic=False
            )

    # one option per physical site; existing sites stay open unless closable
    action = opts["action"].to_numpy()
    var_groups: dict[int, list[int]] = {}
    for k in x:
        var_groups.setdefault(int(groups[k]), []).append(k)
    existing_groups = set(groups[action == "existing"].tolist())
    closable = opts["closable"].to_numpy()
    for g, members in var_groups.items():
        terms = [(x[k], 1.0) for k in members]
        if g in existing_groups and not closable[members].any():
            model.add("site", str(g), "", terms, "==", 1.0, elastic=False)
        elif len(members) > 1:
            model.add("site", str(g), "", terms, "<=", 1.0, elastic=False)

    # budget
    var_opts = np.fromiter(x.keys(), dtype=np.int64, count=len(x))
    if s.budget_wan_yuan is not None:
        model.add(
            "budget",
            "",
            f"budget {s.budget_wan_yuan:g} 万元",
            _option_terms(model, var_opts, cost_coef[var_opts]),
            "<=",
            s.budget_wan_yuan - cost_const,
            elastic=elastic,
        )
    # coverage targets (plain elderly)
    total_el = float(el.sum())
    if s.coverage_target is not None:
        rhs = s.coverage_target * total_el - model.const_elderly
        if rhs > 1e-9:
            terms = [(y[q], float(classes.elderly[q])) for q in range(len(classes))]
            model.add(
                "coverage_target",
                "",
                f"coverage target {100 * s.coverage_target:g} %",
                terms,
                ">=",
                rhs,
                elastic=elastic,
            )
    if floors:
        dc = problem.demand_community
        inside = dc >= 0
        n_c = len(problem.communities)
        tot = np.bincount(dc[inside], weights=el[inside], minlength=n_c)
        have = np.bincount(dc[inside & const], weights=el[inside & const], minlength=n_c).astype(
            float
        )
        by_c: dict[int, list] = {}
        for q in range(len(classes)):
            by_c.setdefault(int(classes.community[q]), []).append((y[q], float(classes.elderly[q])))
        codes = problem.communities["code"].astype(str).to_numpy()
        names = problem.communities["name"].astype(str).to_numpy()
        for c in np.flatnonzero(tot > 0):
            rhs = s.community_floor * tot[c] - have[c]
            if rhs > 1e-9:
                model.add(
                    "community_floor",
                    codes[c],
                    f"{names[c]} ({codes[c]})",
                    by_c.get(int(c), []),
                    ">=",
                    float(rhs),
                    elastic=elastic,
                )
    # policy rows
    rows: list[Row] = []
    if "center_per_street" in s.policies:
        rows += center_rows(problem, allowed)
    if "station_per_community" in s.policies:
        rows += station_rows(problem, allowed)
    rows += max_new_rows(problem, allowed)
    model.rows = rows
    for r in rows:
        model.add(
            r.group,
            r.key,
            r.label,
            _option_terms(model, r.options, r.coefs),
            r.sense,
            r.rhs,
            elastic=elastic,
        )
    for a_, b_ in problem.spacing:
        if a_ in x and b_ in x:
            model.add(
                "spacing",
                f"{a_}-{b_}",
                f"{opts['option_id'].iloc[a_]} / {opts['option_id'].iloc[b_]}",
                [(x[a_], 1.0), (x[b_], 1.0)],
                "<=",
                1.0,
                elastic=elastic,
            )
    if s.new_sites is not None:
        new = [k for k in var_opts if action[k] == "new"]
        model.add(
            "new_sites",
            "",
            f"exactly {s.new_sites} new sites",
            [(x[k], 1.0) for k in new],
            "==",
            float(s.new_sites),
            elastic=elastic,
        )
    # hub: every station run by one open center in reach, at most M per center
    if "hub" in s.policies:
        _hub_rows(problem, model, elastic=elastic)

    # objective
    penalty = np.zeros(k_all)
    if s.health_rule == "prefer" and s.health_penalty > 0:
        d = opts["health_distance_m"].to_numpy(dtype=float)
        far = np.isin(opts["type"].to_numpy(), CENTER_TYPES) & ~(d <= s.health_max_distance_m)
        penalty[far] = s.health_penalty
    if elastic:
        big = 10.0 * (float(np.clip(cost_coef, 0, None).sum()) + 1.0)
        prob.setObjective(
            pulp.LpAffineExpression(
                [(sv, 1.0 if g == "budget" else big) for g, _, _, sv, _ in model.slacks]
            )
        )
    elif stage == "coverage":
        terms = [(y[q], float(classes.weight[q])) for q in range(len(classes))]
        terms += [(x[k], -penalty[k]) for k in var_opts if penalty[k]]
        model.sign = -1.0  # maximise coverage = minimise its negative
        prob.setObjective(
            pulp.LpAffineExpression([(v, -c) for v, c in terms], constant=-model.const_weight)
        )
    else:
        terms = [
            (x[k], float(cost_coef[k] + penalty[k])) for k in var_opts if cost_coef[k] + penalty[k]
        ]
        prob.setObjective(pulp.LpAffineExpression(terms, constant=cost_const))
    if min_weighted is not None:
        terms = [(y[q], float(classes.weight[q])) for q in range(len(classes))]
        model.add(
            "lexicographic",
            "",
            "stage-1 coverage",
            terms,
            ">=",
            min_weighted - model.const_weight,
            elastic=elastic,
        )
    return model


def _hub_rows(problem: SitingProblem, model: _Model, *, elastic: bool) -> None:
    opts = problem.options
    allowed = problem.allowed
    fixed = opts["fixed"].to_numpy()
    names = opts["name"].astype(str).to_numpy()
    ids = opts["site_id"].astype(str).to_numpy()
    s_opts, c_opts = problem.hub_station, problem.hub_center
    keep = allowed[s_opts] & allowed[c_opts]
    s_opts, c_opts = s_opts[keep], c_opts[keep]
    by_station: dict[int, list] = {}
    by_center: dict[int, list] = {}
    for s_, h in zip(s_opts, c_opts, strict=True):
        av = _var(model.prob, f"a{s_}_{h}", 0, 1, pulp.LpBinary)
        model.a.append((int(s_), int(h), av))
        by_station.setdefault(int(s_), []).append((av, 1.0))
        by_center.setdefault(int(h), []).append((av, 1.0))
    stations = np.flatnonzero(
        np.isin(opts["type"].to_numpy(), problem.settings.hub_types) & allowed
    )
    for st in stations:
        terms = by_station.get(int(st), [])
        label = f"{names[st]} ({ids[st]})"
        if fixed[st]:
            model.add("hub", ids[st], label, terms, "==", 1.0, elastic=elastic)
        elif st in model.x:
            model.add(
                "hub",
                ids[st],
                label,
                [*terms, (model.x[int(st)], -1.0)],
                "==",
                0.0,
                elastic=elastic,
            )
    m_max = float(problem.settings.stations_per_center_max)
    for h, terms in by_center.items():
        label = f"{names[h]} ({ids[h]})"
        if fixed[h]:
            model.add("hub_capacity", ids[h], label, terms, "<=", m_max, elastic=elastic)
        else:
            model.add(
                "hub_capacity",
                ids[h],
                label,
                [*terms, (model.x[h], -m_max)],
                "<=",
                0.0,
                elastic=elastic,
            )


def _hub_orphans(problem: SitingProblem) -> list[str]:
    """Fixed stations that no allowed center option may run."""
    opts = problem.options
    allowed = problem.allowed
    keep = allowed[problem.hub_station] & allowed[problem.hub_center]
    has = np.zeros(len(opts), dtype=bool)
    has[problem.hub_station[keep]] = True
    st = (
        np.isin(opts["type"].to_numpy(), problem.settings.hub_types)
        & opts["fixed"].to_numpy()
        & allowed
    )
    return [
        f"{opts['name'].iloc[k]} ({opts['site_id'].iloc[k]})" for k in np.flatnonzero(st & ~has)
    ]


# ------------------------------------------------------------------------------------------
# greedy start
# ------------------------------------------------------------------------------------------


def _greedy(problem: SitingProblem, model: _Model, *, stage: str) -> np.ndarray:
    """A plan built greedily: required rows first (cheapest option), then the best marginal
    weighted coverage per 万元 (coverage) or useful elderly per 万元 toward the targets (cost).

    Returns the open options (fixed ones included). Constraints it cannot honour (hub capacity,
    an exact ``new_sites`` when too few options help) are left to the feasibility check.
    """
    s = problem.settings
    opts = problem.options
    n_opt = len(opts)
    fixed = opts["fixed"].to_numpy()
    allowed = problem.allowed
    groups = opts["group"].to_numpy()
    types = opts["type"].to_numpy()
    action = opts["action"].to_numpy()
    cost = model.cost_coef
    cls = model.classes
    cover = csc_matrix((cls.unc + cls.cap).astype(np.float64))
    chosen = fixed & allowed
    keep_existing = (action == "existing") & ~fixed & allowed
    chosen |= keep_existing
    spent = model.cost_const + float(cost[keep_existing].sum())
    budget = s.budget_wan_yuan if s.budget_wan_yuan is not None else math.inf
    covered = np.asarray(cover @ chosen.astype(np.float64)).ravel() > 0
    used_groups = set(groups[chosen].tolist())
    counts: dict[str, int] = {}
    blocked = np.zeros(n_opt, dtype=bool)
    partners: dict[int, list[int]] = {}
    for a, b in problem.spacing:
        partners.setdefault(int(a), []).append(int(b))
        partners.setdefault(int(b), []).append(int(a))
    usable = allowed & ~fixed & (action == "new")
    n_new = 0

    def ok(k: int) -> bool:
        if not usable[k] or chosen[k] or blocked[k] or groups[k] in used_groups:
            return False
        if types[k] in s.max_new and counts.get(types[k], 0) >= s.max_new[types[k]]:
            return False
        if s.new_sites is not None and n_new >= s.new_sites:
            return False
        return spent + cost[k] <= budget + 1e-9

    def take(k: int) -> None:
        nonlocal spent, covered, n_new
        chosen[k] = True
        spent += cost[k]
        used_groups.add(groups[k])
        counts[types[k]] = counts.get(types[k], 0) + 1
        n_new += 1
        for p in partners.get(k, ()):
            blocked[p] = True
        a, b = cover.indptr[k], cover.indptr[k + 1]
        covered[cover.indices[a:b]] = True

    def gains(values: np.ndarray) -> np.ndarray:
        return np.asarray(cover.T @ (values * ~covered)).ravel()

    # 1. required centers and stations: the cheapest eligible option of each unmet row
    for r in model.rows:
        if (
            r.group in ("center_per_street", "station_per_community")
            and not chosen[r.options].any()
        ):
            cands = [int(k) for k in r.options if ok(int(k))]
            if cands:
                g = gains(cls.weight)
                take(min(cands, key=lambda k: (cost[k], -g[k], k)))
    # 2. hub: a center for every open station that no open center can take
    hub = "hub" in s.policies
    load: dict[int, int] = {}
    if hub:
        for _ in range(len(opts)):
            _, load, unassigned = _hub_assign(problem, chosen)
            progress = False
            for k in unassigned:
                cands = [int(h) for h in problem.hub_center[problem.hub_station == k] if ok(int(h))]
                if cands:
                    take(min(cands, key=lambda h: (cost[h], h)))
                    progress = True
                    break
            if not unassigned or not progress:
                break
    is_station = np.isin(types, s.hub_types)
    m_max = s.stations_per_center_max

    def hub_ok(k: int) -> int | None:
        """The open center with room that would run station ``k`` (−1: not a station)."""
        if not (hub and is_station[k]):
            return -1
        room = [
            int(h)
            for h in problem.hub_center[problem.hub_station == k]
            if chosen[h] and load.get(int(h), 0) < m_max
        ]
        return min(room, key=lambda h: (load.get(h, 0), h)) if room else None

    # 3. the objective
    if stage == "coverage":
        while True:
            g = gains(cls.weight)
            cand = np.flatnonzero(usable & ~chosen)
            cand = np.array(
                [k for k in cand if ok(int(k)) and hub_ok(int(k)) is not None], dtype=np.int64
            )
            if len(cand) == 0:
                break
            gc = g[cand]
            if s.new_sites is None and gc.max() <= 0:
                break
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(
                    cost[cand] > 1e-9,
                    gc / np.maximum(cost[cand], 1e-9),
                    np.where(gc > 0, np.inf, 0.0),
                )
            if s.new_sites is not None:
                ratio = gc  # p sites: the count binds, not the money
            best = int(cand[np.lexsort((cost[cand], -gc, -ratio))[0]])
            center = hub_ok(best)
            take(best)
            if center is not None and center >= 0:
                load[center] = load.get(center, 0) + 1
    else:
        _greedy_targets(problem, model, chosen, ok, take, covered, cover)
    return chosen


def _targets_unmet(
    problem: SitingProblem, model: _Model, covered: np.ndarray
) -> tuple[float, np.ndarray]:
    """Elderly still missing for the district target and per community floor."""
    s = problem.settings
    cls = model.classes
    el = problem.matrix.elderly
    need = 0.0
    if s.coverage_target is not None:
        need = max(
            0.0,
            s.coverage_target * float(el.sum())
            - model.const_elderly
            - float(cls.elderly[covered].sum()),
        )
    n_c = len(problem.communities)
    floor_need = np.zeros(n_c)
    if s.community_floor > 0 and n_c:
        dc = problem.demand_community
        inside = dc >= 0
        tot = np.bincount(dc[inside], weights=el[inside], minlength=n_c)
        have = np.bincount(
            dc[inside & model.classes.const_covered],
            weights=el[inside & model.classes.const_covered],
            minlength=n_c,
        ).astype(float)
        cc = cls.community[covered]
        have += np.bincount(cc[cc >= 0], weights=cls.elderly[covered][cc >= 0], minlength=n_c)
        floor_need = np.clip(s.community_floor * tot - have, 0, None)
    return need, floor_need


def _greedy_targets(problem, model, chosen, ok, take, covered, cover) -> None:
    cls = model.classes
    cost = model.cost_coef
    n_c = len(problem.communities)
    member = None
    if n_c and problem.settings.community_floor > 0:
        comm = np.where(cls.community >= 0, cls.community, 0)
        member = csr_matrix((np.ones(len(cls)), (np.arange(len(cls)), comm)), shape=(len(cls), n_c))
    while True:
        need, floor_need = _targets_unmet(problem, model, covered)
        if need <= 1e-9 and floor_need.sum() <= 1e-9:
            break
        open_el = cls.elderly * ~covered
        useful = np.minimum(np.asarray(cover.T @ open_el).ravel(), need)
        if member is not None:
            per_comm = csr_matrix(cover.T.multiply(open_el[None, :])) @ member
            per_comm = per_comm.toarray() if hasattr(per_comm, "toarray") else np.asarray(per_comm)
            useful = useful + np.minimum(per_comm, floor_need[None, :]).sum(axis=1)
        cand = np.array([k for k in np.flatnonzero(useful > 1e-9) if ok(int(k))], dtype=np.int64)
        if len(cand) == 0:
            break
        ratio = useful[cand] / np.maximum(cost[cand], 1e-9)
        take(int(cand[np.lexsort((cost[cand], -ratio))[0]]))


def _unserved_stations(problem: SitingProblem, chosen: np.ndarray) -> list[int]:
    opts = problem.options
    st = np.flatnonzero(chosen & np.isin(opts["type"].to_numpy(), problem.settings.hub_types))
    out = []
    for k in st:
        centers = problem.hub_center[problem.hub_station == k]
        if not chosen[centers].any():
            out.append(int(k))
    return out


def _hub_assign(
    problem: SitingProblem, chosen: np.ndarray
) -> tuple[dict[int, int], dict[int, int], list[int]]:
    """Open stations to open centers, fewest choices first, least-loaded center with room.

    Returns the center of each station, the load of each center and the stations left without
    one (a heuristic: a perfect assignment may exist when this finds none).
    """
    pairs = [
        (int(s_), int(h))
        for s_, h in zip(problem.hub_station, problem.hub_center, strict=True)
        if chosen[s_] and chosen[h]
    ]
    by_station: dict[int, list[int]] = {}
    for s_, h in pairs:
        by_station.setdefault(s_, []).append(h)
    opts = problem.options
    stations = np.flatnonzero(
        chosen & np.isin(opts["type"].to_numpy(), problem.settings.hub_types) & problem.allowed
    )
    load: dict[int, int] = {}
    assignment: dict[int, int] = {}
    unassigned = []
    m_max = problem.settings.stations_per_center_max
    for s_ in sorted(stations.tolist(), key=lambda k: (len(by_station.get(k, [])), k)):
        room = [h for h in by_station.get(s_, []) if load.get(h, 0) < m_max]
        if room:
            h = min(room, key=lambda c: (load.get(c, 0), c))
            load[h] = load.get(h, 0) + 1
            assignment[s_] = h
        else:
            unassigned.append(s_)
    return assignment, load, unassigned


def _set_start(problem: SitingProblem, model: _Model, chosen: np.ndarray) -> bool:
    """Give every model variable the value of the plan ``chosen``; True if the plan is feasible."""
    for k, v in model.x.items():
        v.setInitialValue(1.0 if chosen[k] else 0.0)
    cls = model.classes
    unc = np.asarray(cls.unc @ chosen.astype(np.float64)).ravel() > 0
    yv = unc.astype(float)
    cap_left = np.where(chosen, problem.options["capacity_elderly"].to_numpy(dtype=float), 0.0)
    for q, k, zv in model.z:
        amount = 0.0
        if yv[q] < 1.0 and chosen[k] and cap_left[k] > 0 and cls.elderly[q] > 0:
            amount = min(1.0 - yv[q], cap_left[k] / cls.elderly[q])
            yv[q] += amount
            cap_left[k] -= amount * cls.elderly[q]
        zv.setInitialValue(amount)
    for q, v in enumerate(model.y):
        v.setInitialValue(min(1.0, float(yv[q])))
    assignment, _, _ = _hub_assign(problem, chosen) if model.a else ({}, {}, [])
    for s_, h, av in model.a:
        av.setInitialValue(1.0 if assignment.get(s_) == h else 0.0)
    for *_, sv, _ in model.slacks:
        sv.setInitialValue(0.0)
    return all(c.valid(1e-6) for c in model.prob.constraints())


# ------------------------------------------------------------------------------------------
# solvers
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    status: str  # optimal | time_limit | infeasible | no_solution
    objective: float | None
    bound: float | None
    seconds: float


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the process's standard output (file descriptor 1) for a block."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _HiGHSStart(pulp.HiGHS):  # type: ignore[misc, valid-type]
    """PuLP's highspy interface with the variables' initial values passed as a start."""

    def __init__(self, *args: Any, start: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        with _quiet_stdout():  # highspy prints a banner when a model is created
            super().createAndConfigureSolver(lp)

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self.start:
            import highspy

            sol = highspy.HighsSolution()
            sol.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
            sol.value_valid = True
            lp.solverModel.setSolution(sol)
        lp.solverModel.run()


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


_NUM = r"(-?\d[\d.]*(?:e[+-]?\d+)?|-?inf)"


def _run_solver(model: _Model, settings: OptimizeSettings, *, start: bool) -> _Run:
    """Solve ``model``; objective and bound in the objective's own sense (``model.sign``)."""
    prob = model.prob
    const = float(prob.objective.constant) if prob.objective is not None else 0.0
    sign = model.sign
    t0 = time.perf_counter()
    if settings.solver == "highs":
        solver = _HiGHSStart(
            msg=False,
            timeLimit=settings.time_limit_s,
            gapRel=settings.mip_gap,
            threads=settings.threads,
            start=start,
        )
        if not solver.available():
            raise SitingError(
                "solver = 'highs' needs the highspy package: pip install 'siting[highs]' "
                "(or use the default solver = 'cbc')"
            )
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        hs = prob.solverModel
        info = hs.getInfo()
        mstatus = hs.modelStatusToString(hs.getModelStatus()).lower()
        has_solution = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        bound = (
            sign * (float(info.mip_dual_bound) + const)
            if math.isfinite(info.mip_dual_bound)
            else None
        )
        if "infeasible" in mstatus:
            return _Run("infeasible", None, None, seconds)
        if not has_solution:
            return _Run("no_solution", None, bound, seconds)
        obj = model.objective_value()
        status = "optimal" if mstatus == "optimal" else "time_limit"
        return _Run(status, obj, obj if status == "optimal" and bound is None else bound, seconds)
    with tempfile.TemporaryDirectory(prefix="siting-cbc-") as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver = _cbc(
            msg=False,
            timeLimit=settings.time_limit_s,
            gapRel=settings.mip_gap,
            warmStart=start,
            threads=settings.threads,
            logPath=str(log_path),
        )
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
    result = re.search(r"Result - (.*)", text)
    result_text = result.group(1).lower() if result else ""
    # CBC's log is in the model's sense without the objective's constant
    found = re.findall(rf"(?:Upper|Lower) bound:\s+{_NUM}", text)
    relaxation = re.findall(rf"Continuous objective value is {_NUM}", text)
    bound = float(found[-1]) if found else (float(relaxation[-1]) if relaxation else None)
    bound = None if bound is None else sign * (bound + const)
    if prob.status == pulp.LpStatusInfeasible or "infeasible" in result_text:
        return _Run("infeasible", None, None, seconds)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return _Run("no_solution", None, bound, seconds)
    obj = model.objective_value()
    if result_text.startswith("optimal"):  # within mip_gap; CBC prints no final bound then
        return _Run("optimal", obj, obj, seconds)
    return _Run("time_limit", obj, bound, seconds)


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9)


# ------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SitingResult:
    """A solved siting instance.

    Attributes
    ----------
    status
        "optimal" (within ``mip_gap``), "time_limit" (the limit ended the search: see ``gap``) or
        "heuristic" (the solver found nothing in time: the greedy plan).
    objective_name, objective
        The objective solved last and its value (weighted older people covered, or 万元).
    best_bound, gap
        The solver's bound on the objective and the relative gap ``|bound − objective| / |objective|``.
    build_seconds, solve_seconds
        Model build and solver time (all stages).
    solver
        "cbc" or "highs".
    open_options
        (K,) the options open in the plan (positions in ``problem.options``).
    sites
        One row per action: new sites, upgrades and closures, with type, costs (万元), the older
        people each newly covers (first assignment), ``unique_covered_elderly`` and
        ``yuan_per_newly_covered`` (元 per newly covered person). A GeoDataFrame when the sites
        have geometry.
    communities
        Per 社区/村: older people, covered before and after the plan (recomputed from the coverage
        matrix), shares in %.
    spend
        Spending by action and type (count, capital, operating, rent, total; 万元).
    summary
        Figures of the plan: budget, spent, coverage before/after, counts, problem size.
    hub_assignment
        Station → center under the hub rule (None without it).
    problem_size
        Variables, constraints and nonzeros of the last model solved.
    greedy_objective
        The greedy plan's objective (None if it broke a rule).
    """

    status: Status
    objective_name: str
    objective: float
    best_bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    open_options: np.ndarray
    sites: pd.DataFrame
    communities: pd.DataFrame
    spend: pd.DataFrame
    summary: Mapping[str, Any]
    hub_assignment: pd.DataFrame | None
    problem_size: Mapping[str, int]
    greedy_objective: float | None
    settings: OptimizeSettings
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        sm = self.summary
        return (
            f"SitingResult({self.status}, {self.objective_name} = {self.objective:,.2f}, gap "
            f"{'n/a' if self.gap is None else f'{100 * self.gap:.2f} %'}; {sm['n_new_sites']} new sites, "
            f"{sm['spent_wan_yuan']:,.1f} 万元; coverage {sm['coverage_before_pct']:.1f} % → {sm['coverage_after_pct']:.1f} %)"
        )


def coverage_fraction(problem: SitingProblem, open_options: np.ndarray) -> np.ndarray:
    """(m,) share of each demand point covered by the open options, from the coverage matrix alone.

    Without the capacity rule a point is covered (1) when an open option covers it. With it, the
    capacitated options' older people are assigned by a linear program (maximum weighted coverage
    within each option's capacity) independent of the siting model.
    """
    cover = problem.cover
    open_options = np.asarray(open_options, dtype=bool)
    capacitated = np.zeros(len(open_options), dtype=bool)
    if "capacity" in problem.settings.policies:
        capacitated = np.isfinite(problem.options["capacity_elderly"].to_numpy(dtype=float))
    frac = ((cover @ (open_options & ~capacitated).astype(np.int64)) > 0).astype(float)
    cap_open = np.flatnonzero(open_options & capacitated)
    if len(cap_open) == 0:
        return frac
    sub = cover[:, cap_open].tocoo()
    keep = frac[sub.row] < 1
    rows, cols = sub.row[keep], sub.col[keep]
    if len(rows) == 0:
        return frac
    from scipy.optimize import linprog

    el = problem.matrix.elderly
    w = problem.matrix.weights
    n = len(rows)
    pts, pt_idx = np.unique(rows, return_inverse=True)
    cap = problem.options["capacity_elderly"].to_numpy(dtype=float)[cap_open]
    a_pt = csr_matrix((np.ones(n), (pt_idx, np.arange(n))), shape=(len(pts), n))
    a_cap = csr_matrix((el[rows], (cols, np.arange(n))), shape=(len(cap_open), n))
    from scipy.sparse import vstack

    res = linprog(
        -w[rows],
        A_ub=vstack([a_pt, a_cap]).tocsr(),
        b_ub=np.concatenate([np.ones(len(pts)), cap]),
        bounds=(0, 1),
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - an LP with a feasible 0 never fails
        raise RuntimeError(f"capacitated coverage LP failed: {res.message}")
    np.add.at(frac, rows, res.x)
    return np.clip(frac, 0.0, 1.0)


def _existing_open(problem: SitingProblem) -> np.ndarray:
    return problem.options["action"].to_numpy() == "existing"


def _sites_frame(
    problem: SitingProblem, open_options: np.ndarray, before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    opts = problem.options
    action = opts["action"].to_numpy()
    cover = problem.cover
    el = problem.matrix.elderly
    w = problem.matrix.weights
    chosen = np.flatnonzero(open_options & (action != "existing"))
    gain = np.clip(after - before, 0.0, None)
    # first assignment: each newly covered point goes to the nearest chosen option covering it
    credit_el = np.zeros(len(opts))
    credit_w = np.zeros(len(opts))
    if len(chosen):
        sub = cover[:, chosen].tocoo()
        secs = np.asarray(problem.matrix.seconds[sub.row, chosen[sub.col]]).ravel()
        order = np.lexsort((sub.col, secs, sub.row))
        r, c = sub.row[order], sub.col[order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = r[1:] != r[:-1]
        r, c = r[first], c[first]
        np.add.at(credit_el, chosen[c], gain[r] * el[r])
        np.add.at(credit_w, chosen[c], gain[r] * w[r])
    n_open = np.asarray(cover @ open_options.astype(np.int64)).ravel()
    unique = (
        np.asarray(cover[:, chosen].T @ (el * (n_open == 1))).ravel()
        if len(chosen)
        else np.zeros(0)
    )
    streets = problem.streets
    com = problem.communities

    def lookup(frame: pd.DataFrame, pos: np.ndarray, col: str) -> np.ndarray:
        values = frame[col].astype(str).to_numpy() if len(frame) else np.zeros(0, dtype=object)
        return np.array([values[p] if p >= 0 else "" for p in pos], dtype=object)

    def block(
        pos: np.ndarray, act: str, cost_cols: dict[str, np.ndarray], newly_el, newly_w, uniq
    ) -> pd.DataFrame:
        o = opts.iloc[pos]
        frame = pd.DataFrame(
            {
                "site_id": o["site_id"].to_numpy(),
                "name": o["name"].to_numpy(),
                "action": act,
                "type": o["type"].to_numpy(),
                "from_type": o["from_type"].to_numpy(),
                "source": o["source"].to_numpy(),
                "street_code": lookup(streets, o["street"].to_numpy(), "code"),
                "street_name": lookup(streets, o["street"].to_numpy(), "name"),
                "community_code": lookup(com, o["community"].to_numpy(), "code"),
                "community_name": lookup(com, o["community"].to_numpy(), "name"),
                "floor_area_m2": o["floor_area_m2"].to_numpy(dtype=float),
                **cost_cols,
                "newly_covered_elderly": newly_el,
                "newly_covered_weighted": newly_w,
                "unique_covered_elderly": uniq,
                "health_distance_m": o["health_distance_m"].to_numpy(dtype=float),
            }
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["yuan_per_newly_covered"] = np.where(
                frame["newly_covered_elderly"] > 0,
                10_000.0 * frame["cost_wan_yuan"] / frame["newly_covered_elderly"],
                np.nan,
            )
        return frame

    parts = []
    if len(chosen):
        o = opts.iloc[chosen]
        parts.append(
            block(
                chosen,
                "",
                {
                    c: o[c].to_numpy(dtype=float)
                    for c in (
                        "capital_wan_yuan",
                        "operating_wan_yuan",
                        "rent_wan_yuan",
                        "cost_wan_yuan",
                    )
                },
                credit_el[chosen],
                credit_w[chosen],
                unique,
            )
        )
        parts[-1]["action"] = action[chosen]
    # closures: closable existing sites with no open option
    groups = opts["group"].to_numpy()
    open_groups = set(groups[open_options].tolist())
    closed = np.flatnonzero(
        (action == "existing") & opts["closable"].to_numpy() & ~np.isin(groups, list(open_groups))
    )
    if len(closed):
        lost = np.clip(before - after, 0.0, None)
        lost_el = np.asarray(cover[:, closed].T @ (lost * el)).ravel()
        lost_w = np.asarray(cover[:, closed].T @ (lost * w)).ravel()
        saving = opts["closure_saving_wan_yuan"].to_numpy(dtype=float)[closed]
        zero = np.zeros(len(closed))
        parts.append(
            block(
                closed,
                "close",
                {
                    "capital_wan_yuan": zero,
                    "operating_wan_yuan": saving,
                    "rent_wan_yuan": zero,
                    "cost_wan_yuan": saving,
                },
                -lost_el,
                -lost_w,
                zero,
            )
        )
    columns = [
        "site_id", "name", "action", "type", "from_type", "source", "street_code", "street_name",
        "community_code", "community_name", "floor_area_m2", "capital_wan_yuan", "operating_wan_yuan",
        "rent_wan_yuan", "cost_wan_yuan", "newly_covered_elderly", "newly_covered_weighted",
        "unique_covered_elderly", "yuan_per_newly_covered", "health_distance_m",
    ]  # fmt: skip
    if not parts:
        return pd.DataFrame({c: [] for c in columns})
    frame = pd.concat(parts, ignore_index=True)[columns]
    order = {"new": 0, "upgrade": 1, "close": 2}
    frame = frame.assign(_a=frame["action"].map(order)).sort_values(
        ["_a", "type", "newly_covered_elderly", "site_id"],
        ascending=[True, True, False, True],
        kind="stable",
    )
    return frame.drop(columns="_a").reset_index(drop=True)


def _community_frame(problem: SitingProblem, before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    com = problem.communities
    dc = problem.demand_community
    inside = dc >= 0
    el = problem.matrix.elderly
    n = len(com)
    out = com[["code", "name", "street_code", "kind", "elderly"]].copy()
    out["covered_before"] = np.bincount(dc[inside], weights=(el * before)[inside], minlength=n)
    out["covered_after"] = np.bincount(dc[inside], weights=(el * after)[inside], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_before_pct"] = np.where(
            out["elderly"] > 0, 100 * out["covered_before"] / out["elderly"], np.nan
        )
        out["coverage_after_pct"] = np.where(
            out["elderly"] > 0, 100 * out["covered_after"] / out["elderly"], np.nan
        )
    out["gain_elderly"] = out["covered_after"] - out["covered_before"]
    return out


def _spend_frame(sites: pd.DataFrame) -> pd.DataFrame:
    cols = ["capital_wan_yuan", "operating_wan_yuan", "rent_wan_yuan", "cost_wan_yuan"]
    if len(sites) == 0:
        return pd.DataFrame(
            {"action": ["total"], "type": [""], "n": [0], **{c: [0.0] for c in cols}}
        )
    g = sites.groupby(["action", "type"], sort=False)
    spend = g[cols].sum().reset_index()
    spend.insert(2, "n", g.size().to_numpy())
    total = {
        "action": "total",
        "type": "",
        "n": int(spend["n"].sum()),
        **{c: float(spend[c].sum()) for c in cols},
    }
    return pd.concat([spend, pd.DataFrame([total])], ignore_index=True)


def _hub_frame(problem: SitingProblem, model: _Model) -> pd.DataFrame | None:
    if "hub" not in problem.settings.policies:
        return None
    opts = problem.options
    pairs = [(s_, h) for s_, h, av in model.a if (av.varValue or 0) > 0.5]
    return pd.DataFrame(
        {
            "station_id": [opts["site_id"].iloc[s_] for s_, _ in pairs],
            "station_name": [opts["name"].iloc[s_] for s_, _ in pairs],
            "station_action": [opts["action"].iloc[s_] for s_, _ in pairs],
            "center_id": [opts["site_id"].iloc[h] for _, h in pairs],
            "center_name": [opts["name"].iloc[h] for _, h in pairs],
            "center_type": [opts["type"].iloc[h] for _, h in pairs],
        }
    )


def _make_result(
    problem: SitingProblem,
    open_options: np.ndarray,
    *,
    status: Status,
    objective_name: str,
    objective: float,
    bound: float | None,
    build_seconds: float,
    solve_seconds: float,
    model: _Model,
    greedy_objective: float | None,
    extra: Mapping[str, Any],
) -> SitingResult:
    s = problem.settings
    before = coverage_fraction(problem, _existing_open(problem))
    after = coverage_fraction(problem, open_options)
    sites = _sites_frame(problem, open_options, before, after)
    if problem.geometry_crs is not None and len(sites):
        import geopandas as gpd

        key = problem.options["site_id"].astype(str) + "|" + problem.options["action"].astype(str)
        geom = dict(zip(key, problem.matrix.site_geometry, strict=True))
        geom.update(
            {f"{k.split('|')[0]}|close": v for k, v in geom.items() if k.endswith("|existing")}
        )
        sites = gpd.GeoDataFrame(
            sites,
            geometry=[
                geom.get(f"{i}|{a}") for i, a in zip(sites["site_id"], sites["action"], strict=True)
            ],
            crs=problem.geometry_crs,
        )
    communities = _community_frame(problem, before, after)
    spend = _spend_frame(sites)
    el = problem.matrix.elderly
    w = problem.matrix.weights
    total_el, total_w = float(el.sum()), float(w.sum())
    new = sites[sites["action"] == "new"] if len(sites) else sites
    summary: dict[str, Any] = {
        "objective": objective_name,
        "status": status,
        "solver": s.solver,
        "budget_wan_yuan": s.budget_wan_yuan,
        "spent_wan_yuan": float(sites["cost_wan_yuan"].sum()) if len(sites) else 0.0,
        "horizon_years": s.costs.horizon_years,
        "elderly": total_el,
        "covered_before": float((el * before).sum()),
        "covered_after": float((el * after).sum()),
        "coverage_before_pct": 100 * float((el * before).sum()) / total_el
        if total_el
        else float("nan"),
        "coverage_after_pct": 100 * float((el * after).sum()) / total_el
        if total_el
        else float("nan"),
        "weighted_before": float((w * before).sum()),
        "weighted_after": float((w * after).sum()),
        "weighted_total": total_w,
        "n_new_sites": len(new),
        "n_upgrades": int((sites["action"] == "upgrade").sum()) if len(sites) else 0,
        "n_closures": int((sites["action"] == "close").sum()) if len(sites) else 0,
        **{f"new_{t}": int((new["type"] == t).sum()) if len(new) else 0 for t in SITEABLE_TYPES},
        "policies": ",".join(s.policies),
        "health_rule": s.health_rule,
        **extra,
    }
    size = model.size()
    summary.update({f"model_{k}": v for k, v in size.items()})
    summary.update(
        {
            "classes": len(model.classes),
            "demand_points": problem.matrix.shape[0],
            "options": len(problem.options),
        }
    )
    return SitingResult(
        status=status,
        objective_name=objective_name,
        objective=objective,
        best_bound=bound,
        gap=_gap(objective, bound),
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        solver=s.solver,
        open_options=np.asarray(open_options, dtype=bool),
        sites=sites,
        communities=communities,
        spend=spend,
        summary=summary,
        hub_assignment=_hub_frame(problem, model),
        problem_size=size,
        greedy_objective=greedy_objective,
        settings=s,
        problems=problem.problems,
    )


# ------------------------------------------------------------------------------------------
# solve
# ------------------------------------------------------------------------------------------


def _open_from_model(problem: SitingProblem, model: _Model) -> np.ndarray:
    out = problem.options["fixed"].to_numpy() & problem.allowed
    for k, v in model.x.items():
        if (v.varValue or 0.0) > 0.5:
            out[k] = True
    return out


def _requirements(problem: SitingProblem, model: _Model) -> str:
    s = problem.settings
    parts = []
    n_center = sum(1 for r in model.rows if r.group == "center_per_street")
    n_station = sum(1 for r in model.rows if r.group == "station_per_community")
    if n_center:
        parts.append(f"a center in the {n_center} 街道/镇 without one")
    if n_station:
        parts.append(f"a station or point in the {n_station} 社区/村 without one")
    if "hub" in s.policies:
        parts.append(
            f"a center within reach for every station (≤ {s.stations_per_center_max} each)"
        )
    if s.coverage_target is not None:
        parts.append(f"coverage target {100 * s.coverage_target:g} %")
    if s.community_floor > 0:
        parts.append(f"community floor {100 * s.community_floor:g} %")
    if s.new_sites is not None:
        parts.append(f"exactly {s.new_sites} new sites")
    return ", ".join(parts) or "the switched-on rules"


def _explain(problem: SitingProblem, stage: str) -> str:
    """Name the rules an elastic re-solve has to relax, with their numbers."""
    s = problem.settings
    model = _build(problem, stage=stage, elastic=True)
    run = _run_solver(model, s, start=False)
    if run.status not in ("optimal", "time_limit"):
        return "no plan satisfies the rules, and the elastic re-solve found no explanation within the time limit"
    by_group: dict[str, list[tuple[str, str, float]]] = {}
    for group, key, label, sv, _ in model.slacks:
        v = float(sv.varValue or 0.0)
        if v > 1e-6:
            by_group.setdefault(group, []).append((key, label, v))
    msgs = []
    total_el = float(problem.matrix.elderly.sum())
    for group, items in by_group.items():
        labels = [lab for _, lab, _ in items]
        listing = ", ".join(labels[:8]) + (f" … ({len(labels)} in all)" if len(labels) > 8 else "")
        amount = sum(v for *_, v in items)
        if group == "budget":
            msgs.append(
                f"budget {s.budget_wan_yuan:,.1f} 万元 < {s.budget_wan_yuan + amount:,.1f} 万元 needed to meet "
                f"{_requirements(problem, model)}"
            )
        elif group == "coverage_target":
            reach = s.coverage_target * total_el - amount
            msgs.append(
                f"coverage target {100 * s.coverage_target:g} % cannot be met under the other rules: at most "
                f"{100 * reach / total_el:.1f} % of the elderly ({amount:,.0f} short)"
            )
        elif group == "community_floor":
            msgs.append(
                f"community floor {100 * s.community_floor:g} %: {len(items)} 社区/村 fall short by {amount:,.0f} "
                f"older people in all: {listing}"
            )
        elif group == "hub":
            reach = (
                f"{s.hub_reach_minutes:g} minutes' walk"
                if s.hub_reach_metric == "walking"
                else f"{s.hub_reach_m:g} m"
            )
            msgs.append(
                f"hub: {len(items)} stations cannot be run by a center of their 街道/镇 or within {reach} "
                f"(at most {s.stations_per_center_max} stations per center): {listing}"
            )
        elif group == "hub_capacity":
            msgs.append(
                f"hub: {len(items)} centers would have to run more than {s.stations_per_center_max} stations "
                f"({amount:.0f} too many): {listing}"
            )
        elif group in ("center_per_street", "station_per_community"):
            what = (
                "街道/镇 cannot get their center"
                if group == "center_per_street"
                else "社区/村 cannot get a station or point"
            )
            msgs.append(f"{group}: {len(items)} {what} under the other rules: {listing}")
        elif group == "max_new":
            msgs.append(f"max_new: {listing} would have to allow {amount:.0f} more")
        elif group == "spacing":
            msgs.append(
                f"min_spacing_m: {len(items)} pairs of sites would have to be closer than allowed: {listing}"
            )
        elif group == "new_sites":
            msgs.append(
                f"new_sites = {s.new_sites} cannot be met ({amount:.0f} off) under the other rules"
            )
        else:
            msgs.append(f"{group}: {listing}")
    return "; ".join(msgs) if msgs else "no plan satisfies the rules (numerically infeasible)"


def solve(problem: SitingProblem) -> SitingResult:
    """Solve a siting instance; raise :class:`~siting.errors.InfeasibleError` naming the rules if none.

    Nothing is written. See the module docstring for the model, the greedy start and the
    infeasibility report.
    """
    from siting.errors import SitingError

    s = problem.settings
    t0 = time.perf_counter()
    stage1 = "cost" if s.objective == "min_cost" else "coverage"
    model = _build(problem, stage=stage1)
    checks = presolve_messages(
        problem,
        model.rows,
        problem.allowed,
        budget_wan_yuan=s.budget_wan_yuan,
        coverage_target=s.coverage_target,
        community_floor=s.community_floor,
        hub_orphans=_hub_orphans(problem) if "hub" in s.policies else (),
    )
    if checks:
        raise InfeasibleError("no plan satisfies the rules: " + "; ".join(checks))
    greedy = _greedy(problem, model, stage=stage1)
    valid = _set_start(problem, model, greedy)
    greedy_obj = model.objective_value() if valid else None
    build_s = time.perf_counter() - t0
    warm = valid and s.warm_start == "greedy" and s.solver == "highs"
    run = _run_solver(model, s, start=warm)
    solve_s = run.seconds
    if run.status == "infeasible":
        raise InfeasibleError("no plan satisfies the rules: " + _explain(problem, stage1))
    if run.status == "no_solution":
        if not valid:
            raise SitingError(
                f"the solver found no plan within time_limit_s = {s.time_limit_s:g} s and the greedy plan breaks a "
                "rule: raise [optimize] time_limit_s"
            )
        _set_start(problem, model, greedy)
        status: Status = "heuristic"
        objective, bound = float(greedy_obj), run.bound
    else:
        status = "optimal" if run.status == "optimal" else "time_limit"
        objective, bound = float(run.objective), run.bound
        if valid and status == "time_limit" and (greedy_obj - objective) * -model.sign > 1e-9:
            _set_start(problem, model, greedy)  # the solver stopped short of the greedy plan
            objective = float(greedy_obj)
    open_options = _open_from_model(problem, model)
    extra: dict[str, Any] = {"greedy_objective": greedy_obj, "warm_start_used": bool(warm)}
    name = "cost_wan_yuan" if stage1 == "cost" else "weighted_covered"
    if s.objective == "lexicographic":
        weighted = float(
            sum(
                float(model.classes.weight[q]) * float(v.varValue or 0.0)
                for q, v in enumerate(model.y)
            )
        )
        weighted += model.const_weight
        extra.update(
            {
                "stage1_objective": objective,
                "stage1_status": status,
                "stage1_gap": _gap(objective, bound),
            }
        )
        t1 = time.perf_counter()
        floor = weighted * (1.0 - s.lexicographic_tolerance) - 1e-6 * max(1.0, abs(weighted))
        model = _build(problem, stage="cost", min_weighted=floor)
        valid2 = _set_start(problem, model, open_options)
        build_s += time.perf_counter() - t1
        run2 = _run_solver(
            model, s, start=valid2 and s.warm_start == "greedy" and s.solver == "highs"
        )
        solve_s += run2.seconds
        if run2.status in ("optimal", "time_limit"):
            status = "optimal" if run2.status == "optimal" and status == "optimal" else "time_limit"
            objective, bound = float(run2.objective), run2.bound
            open_options = _open_from_model(problem, model)
        else:  # keep stage 1's plan: it satisfies stage 2
            _set_start(problem, model, open_options)
            objective, bound = model.objective_value(), run2.bound
            status = "time_limit"
        name = "cost_wan_yuan"
    result = _make_result(
        problem,
        open_options,
        status=status,
        objective_name=name,
        objective=objective,
        bound=bound,
        build_seconds=build_s,
        solve_seconds=solve_s,
        model=model,
        greedy_objective=greedy_obj,
        extra=extra,
    )
    log.info("solve: %r (build %.2f s, solve %.2f s)", result, build_s, solve_s)
    return result


def optimize(
    inputs: Inputs,
    coverage: CoverageResult | CoverageMatrix,
    settings: OptimizeSettings | None = None,
    *,
    graph: WalkGraph | None = None,
    candidates: CoverageMatrix | None = None,
    demand: Demand | None = None,
) -> SitingResult:
    """Choose new sites for a district: :func:`build_problem` then :func:`solve`.

    Parameters are those of :func:`build_problem`. Raises
    :class:`~siting.errors.InfeasibleError` (the rules and numbers that make it impossible).
    """
    problem = build_problem(
        inputs, coverage, graph=graph, candidates=candidates, demand=demand, settings=settings
    )
    return solve(problem)


# ------------------------------------------------------------------------------------------
# tables and files
# ------------------------------------------------------------------------------------------


def _rounder(digits: int) -> Any:
    def fmt(v: Any) -> Any:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return None
        return round(float(v), digits) if digits else round(float(v))

    return fmt


def _display(
    frame: pd.DataFrame, columns: Sequence[tuple[str, str, Any]], lang: Language
) -> pd.DataFrame:
    from siting.i18n import label

    out = {}
    for col, key, fmt in columns:
        values = frame[col].tolist() if col in frame else [None] * len(frame)
        out[label(key, lang)] = [fmt(v) if fmt else v for v in values]
    return pd.DataFrame(out)


def siting_frames(
    result: SitingResult, *, lang: Language = "zh", curve: Any = None
) -> dict[str, pd.DataFrame]:
    """The display tables of a siting result (and a budget curve), by file stem."""
    from siting.i18n import label

    def lab(prefix: str) -> Any:
        return lambda v: label(f"{prefix}{v}", lang) if v not in ("", None) else ""

    def typ(v: Any) -> Any:
        return label(str(v), lang) if v not in ("", None) else ""

    one, two, people = _rounder(1), _rounder(2), _rounder(0)
    sites = pd.DataFrame(result.sites)
    if (
        "geometry" in sites
        and len(sites)
        and hasattr(result.sites, "crs")
        and result.sites.crs is not None
    ):
        ll = result.sites.to_crs("EPSG:4490").geometry
        sites["lon"], sites["lat"] = ll.x.round(7).to_numpy(), ll.y.round(7).to_numpy()
    frames = {
        "siting_sites": _display(
            sites,
            [
                ("site_id", "opt_col_site_id", None),
                ("name", "col_name", None),
                ("action", "opt_col_action", lab("opt_action_")),
                ("type", "col_facility_type", typ),
                ("from_type", "opt_col_from_type", typ),
                ("source", "opt_col_source", lab("opt_source_")),
                ("street_code", "col_street_code", None),
                ("street_name", "col_street_name", None),
                ("community_code", "opt_col_community_code", None),
                ("community_name", "opt_col_community_name", None),
                ("floor_area_m2", "opt_col_floor_area", people),
                ("capital_wan_yuan", "opt_col_capital", two),
                ("operating_wan_yuan", "opt_col_operating", two),
                ("rent_wan_yuan", "opt_col_rent", two),
                ("cost_wan_yuan", "opt_col_cost", two),
                ("newly_covered_elderly", "opt_col_newly", people),
                ("newly_covered_weighted", "opt_col_newly_weighted", one),
                ("unique_covered_elderly", "opt_col_unique", people),
                ("yuan_per_newly_covered", "opt_col_yuan_per", one),
                ("health_distance_m", "opt_col_health_m", people),
                *(
                    [("lon", "opt_col_lon", None), ("lat", "opt_col_lat", None)]
                    if "lon" in sites
                    else []
                ),
            ],
            lang,
        ),
        "siting_communities": _display(
            result.communities,
            [
                ("code", "col_code", None),
                ("name", "col_name", None),
                ("street_code", "col_street_code", None),
                ("kind", "col_kind", typ),
                ("elderly", "col_elderly", people),
                ("covered_before", "opt_col_covered_before", people),
                ("covered_after", "opt_col_covered_after", people),
                ("coverage_before_pct", "opt_col_pct_before", one),
                ("coverage_after_pct", "opt_col_pct_after", one),
                ("gain_elderly", "opt_col_newly", people),
            ],
            lang,
        ),
        "siting_spend": _display(
            result.spend,
            [
                (
                    "action",
                    "opt_col_action",
                    lambda v: label("total" if v == "total" else f"opt_action_{v}", lang),
                ),
                ("type", "col_facility_type", typ),
                ("n", "count", people),
                ("capital_wan_yuan", "opt_col_capital", two),
                ("operating_wan_yuan", "opt_col_operating", two),
                ("rent_wan_yuan", "opt_col_rent", two),
                ("cost_wan_yuan", "opt_col_cost", two),
            ],
            lang,
        ),
    }
    sm = dict(result.summary)
    sm.update(
        {
            "objective": label(f"objective_{result.settings.objective}", lang),
            "status": label(f"opt_status_{result.status}", lang),
            "objective_value": result.objective,
            "best_bound": result.best_bound,
            "gap_pct": None if result.gap is None else 100 * result.gap,
            "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds,
            "policies": ", ".join(result.settings.policies) or "-",
        }
    )
    if curve is not None:
        sm["knee_budget_wan_yuan"] = curve.knee_budget_wan_yuan
    keys = [
        "objective", "status", "objective_value", "best_bound", "gap_pct", "solver", "budget_wan_yuan",
        "spent_wan_yuan", "horizon_years", "elderly", "covered_before", "covered_after", "coverage_before_pct",
        "coverage_after_pct", "weighted_after", "n_new_sites", *[f"new_{t}" for t in SITEABLE_TYPES],
        "n_upgrades", "n_closures", "policies", "health_rule", "greedy_objective", "build_seconds",
        "solve_seconds", "model_variables", "model_constraints", "model_nonzeros", "knee_budget_wan_yuan",
    ]  # fmt: skip
    rows = []
    for k in keys:
        if k not in sm:
            continue
        v = sm[k]
        if isinstance(v, float | np.floating):
            v = (
                None
                if not math.isfinite(v)
                else round(float(v), 3 if "seconds" in k or "gap" in k else 2)
            )
        rows.append(
            {
                label("opt_col_item", lang): label(f"opt_sum_{k}", lang),
                label("opt_col_value", lang): v,
            }
        )
    frames["siting_summary"] = pd.DataFrame(rows)
    if result.hub_assignment is not None:
        frames["siting_hub"] = _display(
            result.hub_assignment,
            [
                ("station_id", "opt_col_station_id", None),
                ("station_name", "opt_col_station_name", None),
                ("station_action", "opt_col_action", lab("opt_action_")),
                ("center_id", "opt_col_center_id", None),
                ("center_name", "opt_col_center_name", None),
                ("center_type", "col_facility_type", typ),
            ],
            lang,
        )
    if curve is not None:
        frames["budget_curve"] = _display(
            curve.points,
            [
                ("budget_wan_yuan", "opt_col_budget", two),
                ("status", "opt_col_status", lab("opt_status_")),
                ("spent_wan_yuan", "opt_col_spent", two),
                ("covered_elderly", "col_covered", people),
                ("coverage_pct", "col_coverage_pct", one),
                (
                    "gap",
                    "opt_col_gap",
                    lambda v: None if v is None or not math.isfinite(v) else round(100 * v, 3),
                ),
                ("n_new_sites", "opt_col_n_new", people),
                ("marginal_elderly_per_wan_yuan", "opt_col_marginal", two),
                ("knee", "opt_col_knee", lambda v: "✓" if v else ""),
                ("note", "note", None),
            ],
            lang,
        )
    return frames


def write_siting_outputs(
    result: SitingResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    curve: Any = None,
    csv: bool = True,
    xlsx: bool = True,
) -> tuple[Path, ...]:
    """Write the plan's tables to ``out_dir``, all files or none.

    Files: ``siting_sites.csv`` (new sites, upgrades, closures), ``siting_communities.csv``
    (coverage before/after per 社区/村), ``siting_spend.csv``, ``siting_summary.csv``, with the
    hub rule ``siting_hub.csv``, with a curve ``budget_curve.csv``; and ``siting.xlsx`` holding
    them all. Headers in Chinese by default (``lang="en"`` for English).
    """
    from siting.i18n import label
    from siting.tables import write_tables

    frames = siting_frames(result, lang=lang, curve=curve)
    sheets = {stem: label(f"sheet_{stem}", lang) for stem in frames}
    return write_tables(
        frames, out_dir, csv=csv, xlsx="siting.xlsx" if xlsx else None, sheet_names=sheets
    )
