"""The adapter: a district's inputs → :class:`~siting.model.problem.SitingProblem`.

The options are *blocks* of columns: the existing facilities, their upgrades (the same walking
times, another type) and the candidates as each of their eligible types. Every option gets its id
(``site`` for an existing facility, else ``site:type``), its 街道/镇 and 社区/村 (the polygon holding
it), its costs (:mod:`siting.costs`, per year), its distance to the matching health facility and,
under the capacity rule, its capacity.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from siting.costs import closure_savings, site_costs, upgrade_costs
from siting.coverage import CoverageMatrix, CoverageResult, CoverageSettings, coverage_matrix
from siting.errors import InputError, Problem
from siting.io import SITEABLE_TYPES
from siting.model.problem import CAPITAL_COLUMNS, OPTION_COLUMNS, SitingProblem, demand_growth
from siting.model.relations import (
    community_table,
    health_distance_m,
    hub_pair_arrays,
    locate,
    site_walk_seconds,
    spacing_pairs,
)
from siting.model.rules import capacity_elderly
from siting.model.settings import ModelSettings
from siting.standards import CENTER_TYPES

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.demand import Demand
    from siting.io import Inputs

__all__ = ["build_problem", "column_values"]

log = logging.getLogger(__name__)

_PER_YEAR = 12.0 / 10_000.0  # 元/月 → 万元/年


def column_values(
    frame: pd.DataFrame | None, name: str, rows: np.ndarray, default: Any = np.nan
) -> np.ndarray:
    """``frame[name]`` at positions ``rows``, or ``default`` everywhere when there is no such column."""
    if frame is None or name not in frame:
        return np.full(len(rows), default, dtype=object if isinstance(default, str) else float)
    return frame[name].to_numpy()[rows]


def _numbers(values: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def _assemble(
    blocks: Sequence[tuple[CoverageMatrix, Mapping[str, Any]]], inputs: Inputs
) -> tuple[CoverageMatrix, pd.DataFrame]:
    """Stack the blocks: one matrix (columns in block order) and one table of their fields."""
    matrix = blocks[0][0]
    for mat, _ in blocks[1:]:
        matrix = matrix.hstack(mat)
    table = pd.concat(
        [
            pd.DataFrame(
                {k: (v if np.ndim(v) else np.full(mat.shape[1], v)) for k, v in cols.items()}
            )
            for mat, cols in blocks
        ],
        ignore_index=True,
    )
    table.insert(
        0,
        "option_id",
        np.where(
            table["action"] == "existing",
            table["site_id"],
            table["site_id"] + ":" + table["type"].astype(str),
        ),
    )
    geoms = matrix.site_geometry
    table["street"] = locate(geoms, np.asarray(inputs.streets.geometry.array, dtype=object))
    table["community"] = locate(geoms, np.asarray(inputs.communities.geometry.array, dtype=object))
    return matrix, table


def _within_m(a: np.ndarray, b: np.ndarray, dist: float) -> csr_matrix:
    if len(a) == 0 or len(b) == 0:
        return csr_matrix((len(a), len(b)))
    j, i = shapely.STRtree(np.asarray(b, dtype=object)).query(
        np.asarray(a, dtype=object), predicate="dwithin", distance=dist
    )
    return csr_matrix((np.ones(len(i)), (j, i)), shape=(len(a), len(b)))


def build_problem(
    inputs: Inputs,
    coverage: CoverageResult | CoverageMatrix | None = None,
    *,
    graph: WalkGraph | None = None,
    candidates: CoverageMatrix | None = None,
    demand: Demand | None = None,
    settings: ModelSettings,
) -> SitingProblem:
    """The siting instance of a district: existing facilities, candidates, upgrades, costs, rules.

    Parameters
    ----------
    inputs
        The district's inputs (communities, streets, facilities, health, candidates, scenario).
    coverage
        The coverage of the existing facilities: :func:`~siting.coverage.compute_coverage`'s result
        or its matrix (then pass ``demand``, or ``graph`` to rebuild it); a matrix may also hold
        the candidates' columns after the facilities' (``hstack``). None: computed here (needs
        ``graph``).
    graph
        The walking graph: needed to compute coverage not given and a walking hub reach.
    candidates
        Coverage of the demand by the candidates, if already computed.
    demand
        The demand points of ``coverage`` when it is a bare matrix.
    settings
        Model options (:func:`siting.optimize.optimize_settings` for one period,
        :func:`siting.plan.plan_settings` for the plan years).

    Raises
    ------
    InputError
        Nothing to site, a planned build that names no option, or a rule that needs the graph.
    """
    t0 = time.perf_counter()
    scenario = inputs.scenario
    cov_settings = CoverageSettings.from_scenario(scenario)
    if isinstance(coverage, CoverageResult):
        existing, demand, cov_settings = coverage.matrix, coverage.demand, coverage.settings
    elif coverage is None:
        if graph is None:
            raise ValueError("build_problem needs the coverage or the walking graph")
        from siting.coverage import snap_demand
        from siting.demand import build_demand

        demand = build_demand(inputs, graph)
        existing = coverage_matrix(
            graph,
            demand,
            inputs.facilities,
            settings=cov_settings,
            snapped_demand=snap_demand(graph, demand, max_snap_m=cov_settings.max_snap_m),
        )
    else:
        existing = coverage
        if demand is None:
            from siting.demand import build_demand

            demand = build_demand(inputs, graph)
    if not np.array_equal(demand.points["demand_id"].to_numpy(), existing.demand_ids):
        raise ValueError("the demand points do not match the coverage matrix's rows")
    problems: list[Problem] = list(existing.problems)
    cand = inputs.candidates
    fac = inputs.facilities
    n_fac = 0 if fac is None else len(fac)
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
            scenario.inputs["candidates"].label if "candidates" in scenario.inputs else "candidates"
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
    cost_set = settings.costs

    blocks: list[tuple[CoverageMatrix, dict[str, Any]]] = []
    n_groups = 0
    if fac is not None and len(fac) and existing.shape[1]:
        if len(existing.site_ids) != len(fac):
            raise ValueError(
                f"the coverage matrix has {len(existing.site_ids)} facility columns but the inputs hold "
                f"{len(fac)} facilities: compute the coverage from the same inputs"
            )
        types = existing.site_types.astype(str)
        keep = np.flatnonzero(np.isin(types, SITEABLE_TYPES))  # institutions are not options
        sub = existing.select(keep)
        ftypes = types[keep]
        area = _numbers(column_values(fac, "floor_area_m2", keep))
        beds = _numbers(column_values(fac, "beds", keep))
        closable = np.isin(ftypes, settings.closable_types)
        ids = sub.site_ids.astype(str)
        by_id = {sid: j for j, sid in enumerate(ids)}
        wanted: list[tuple[int, str]] = []
        for j, t in enumerate(ftypes):
            wanted += [(j, u) for u in settings.upgrades.get(t, ())]
        for b in settings.builds:  # planned upgrades of existing facilities
            if b.site_id in by_id and (by_id[b.site_id], b.type) not in wanted:
                wanted.append((by_id[b.site_id], b.type))
        has_up = np.zeros(len(keep), dtype=bool)
        for j, _ in wanted:
            has_up[j] = True
        saving = -closure_savings(ftypes, area, settings=cost_set)[
            "operating_yuan_per_month"
        ].to_numpy()
        groups = np.arange(len(keep)) + n_groups
        n_groups += len(keep)
        names = column_values(fac, "name", keep, "").astype(str)
        blocks.append(
            (
                sub,
                {
                    "site_id": ids,
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
                    "floor_area_given_m2": area,
                    "beds": beds,
                    **dict.fromkeys(CAPITAL_COLUMNS, 0.0),
                    "works_from": "",
                    "operating_wan_yuan_per_year": 0.0,
                    "rent_wan_yuan_per_year": 0.0,
                    "closure_saving_wan_yuan_per_year": np.where(closable, saving * _PER_YEAR, 0.0),
                },
            )
        )
        if wanted:
            uc = np.asarray([j for j, _ in wanted])
            ut = [u for _, u in wanted]
            up = dataclasses.replace(sub.select(uc), site_types=np.asarray(ut, dtype=object))
            costs = upgrade_costs(ftypes[uc], ut, area[uc], settings=cost_set)
            blocks.append(
                (
                    up,
                    {
                        "site_id": ids[uc],
                        "name": names[uc],
                        "action": "upgrade",
                        "type": np.asarray(ut, dtype=object),
                        "from_type": ftypes[uc],
                        "group": groups[uc],
                        "fixed": False,
                        "closable": closable[uc],
                        "source": "",
                        "floor_area_m2": costs["floor_area_m2"].to_numpy(),
                        # an upgrade enlarges the site to the new type's standard size (costs)
                        "floor_area_given_m2": costs["floor_area_m2"].to_numpy(),
                        "beds": beds[uc],
                        **{c: costs[c].to_numpy() for c in CAPITAL_COLUMNS},
                        "works_from": costs["works_from"].to_numpy(),
                        "operating_wan_yuan_per_year": costs["operating_yuan_per_month"].to_numpy()
                        * _PER_YEAR,
                        "rent_wan_yuan_per_year": 0.0,
                        "closure_saving_wan_yuan_per_year": 0.0,
                    },
                )
            )
    if candidates is not None and candidates.shape[1]:
        cids = cand["candidate_id"].astype(str).to_numpy()
        pos = {c: i for i, c in enumerate(cids)}
        crow = np.array([pos.get(str(s), -1) for s in candidates.site_ids], dtype=np.int64)
        if (crow < 0).any():
            missing = sorted(
                {str(s) for s, r in zip(candidates.site_ids, crow, strict=True) if r < 0}
            )
            raise ValueError(f"candidate columns without a candidate record: {missing[:5]}")
        ctypes = candidates.site_types.astype(str)
        area = _numbers(column_values(cand, "floor_area_m2", crow))
        rent = _numbers(column_values(cand, "monthly_rent_yuan", crow))
        costs = site_costs(
            ctypes,
            area,
            column_values(cand, "capital_cost_wan_yuan", crow),
            rent,
            settings=cost_set,
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
                    "fixed": False,
                    "closable": False,
                    "source": column_values(cand, "source", crow, "").astype(str),
                    "floor_area_m2": costs["floor_area_m2"].to_numpy(),
                    "floor_area_given_m2": area,
                    "beds": _numbers(column_values(cand, "beds", crow)),
                    **{c: costs[c].to_numpy() for c in CAPITAL_COLUMNS},
                    "works_from": costs["works_from"].to_numpy(),
                    "operating_wan_yuan_per_year": costs["operating_yuan_per_month"].to_numpy()
                    * _PER_YEAR,
                    "rent_wan_yuan_per_year": rent * _PER_YEAR,
                    "closure_saving_wan_yuan_per_year": 0.0,
                },
            )
        )
    if not blocks:
        raise InputError(
            "nothing to site: no existing facility and no candidate",
            [
                Problem(
                    str(scenario.path),
                    "no candidate sites",
                    column="inputs.candidates",
                    hint="add [inputs.candidates] to the scenario",
                )
            ],
        )
    matrix, options = _assemble(blocks, inputs)
    geoms = matrix.site_geometry
    types = options["type"].to_numpy().astype(str)
    options["health_distance_m"] = health_distance_m(geoms, types, inputs.health)
    cap = np.full(len(options), np.nan)
    if settings.capacitated:
        cap = capacity_elderly(
            types,
            options["floor_area_m2"].to_numpy(dtype=float),
            options["beds"].to_numpy(dtype=float),
            settings,
        )
    options["capacity_elderly"] = cap
    options = options[list(OPTION_COLUMNS)]

    demand_community = pd.Index(inputs.communities["code"]).get_indexer(
        demand.points["community_code"].to_numpy()
    )
    communities = community_table(inputs.communities, demand_community, matrix.elderly)
    for c in ("pop_60p", "pop_65p"):
        communities[c] = (
            inputs.communities[c].to_numpy(dtype=float) if c in inputs.communities else np.nan
        )
    streets = inputs.streets[["code", "name", "kind"]].reset_index(drop=True)
    district_code = str(scenario.settings["scenario"].get("district_code", ""))

    # demand growth over the plan years (none for the one-period model)
    g, rates, sources = demand_growth(
        settings, communities, demand_community, district_code=district_code
    )

    # 中心带站: enforced under policies = ["hub"], reported under the documents profile
    hub_station = hub_center = np.zeros(0, np.int64)
    if "hub" in settings.policies or settings.profile == "documents":
        st = np.flatnonzero(np.isin(types, settings.hub_types))
        ce = np.flatnonzero(np.isin(types, CENTER_TYPES))
        walking = settings.hub_reach_metric == "walking"
        if walking and graph is None and "hub" in settings.policies:
            raise InputError(
                "the hub rule with a walking reach needs the walking graph",
                [
                    Problem(
                        str(scenario.path),
                        'no walking graph given for hub_reach_metric = "walking"',
                        column="rules.hub_reach_metric",
                        hint='pass graph=, or set hub_reach_metric = "straight_line"',
                    )
                ],
            )
        if walking and graph is not None:
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
        both = (
            (options["action"].to_numpy()[spacing] == "existing").all(axis=1)
            if len(spacing)
            else np.zeros(0, bool)
        )
        spacing = spacing[~both]
    problem = SitingProblem(
        matrix=matrix,
        options=options,
        communities=communities,
        streets=streets,
        demand_community=demand_community,
        settings=settings,
        growth=g,
        growth_rates=rates,
        growth_sources=sources,
        coverage_types=tuple(t for t in cov_settings.home_care_types if t in SITEABLE_TYPES),
        hub_station=hub_station,
        hub_center=hub_center,
        spacing=spacing,
        geometry_crs=inputs.crs,
        inputs=inputs,
        graph=graph,
        demand=demand,
        coverage_settings=cov_settings,
        scenario_name=scenario.name,
        scenario_sha256=scenario.sha256,
        district_code=district_code,
        problems=tuple(problems),
    )
    if settings.builds:
        from siting.model.schedule import planned_schedule

        planned_schedule(
            problem, settings.builds, source=str(scenario.path)
        )  # checks the sites now
    log.info("build_problem returned %r in %.2f s", problem, time.perf_counter() - t0)
    return problem
