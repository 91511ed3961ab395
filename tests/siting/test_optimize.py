"""The siting model against independent oracles: spopt's MCLP/LSCP, brute-force enumeration.

Also: results recomputed from the coverage matrix, the greedy start, the time limit, settings,
the budget curve, the writer, and the demo-small district end to end.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
from scipy.sparse import csr_matrix
from spopt.locate import LSCP, MCLP

import siting.model.solving as solve_module
from siting.curve import budget_curve, knee_index
from siting.errors import InfeasibleError, ScenarioError
from siting.model import ModelSettings, SitingProblem, build_problem, solve
from siting.model.solver import Run
from siting.optimize import optimize, optimize_settings
from siting.reports import siting_frames, write_siting_outputs
from siting.scenario import load_scenario


def random_instance(seed: int, m: int = 60, k: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances of m demand points to k sites in the unit square, and integer weights."""
    rng = np.random.default_rng(seed)
    pts, sites = rng.random((m, 2)), rng.random((k, 2))
    d = np.linalg.norm(pts[:, None] - sites[None], axis=2)
    return d, rng.integers(1, 60, m).astype(float)


# ------------------------------------------------------------------------------------------
# spopt is the oracle on plain MCLP and LSCP instances
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "p", "radius"), [(1, 2, 0.2), (2, 4, 0.2), (3, 6, 0.15)])
@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_mclp_objective_equals_spopt(seed, p, radius, solver):
    d, w = random_instance(seed)
    settings = ModelSettings(new_sites=p, health_rule="off", solver=solver, mip_gap=0.0)
    ours = SitingProblem.from_cost_matrix(
        d, service_radius=radius, weights=w, settings=settings
    ).solve()
    spopt = MCLP.from_cost_matrix(d, w, radius, p).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(spopt.problem.objective.value(), abs=1e-6)
    # the plan's coverage recomputed from the matrix equals the objective
    assert ours.summary["weighted_after"] == pytest.approx(ours.objective)
    assert ours.summary["n_new_sites"] == p


def test_mclp_with_predefined_sites_equals_spopt():
    d, w = random_instance(4, m=80, k=16)
    pre = np.zeros(16, dtype=bool)
    pre[[0, 5]] = True
    settings = ModelSettings(new_sites=3, health_rule="off", mip_gap=0.0)
    ours = SitingProblem.from_cost_matrix(
        d, service_radius=0.2, weights=w, predefined=pre, settings=settings
    ).solve()
    # spopt counts its predefined facilities within p
    spopt = MCLP.from_cost_matrix(
        d, w, 0.2, 3 + 2, predefined_facilities_arr=pre.astype(int)
    ).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.objective == pytest.approx(spopt.problem.objective.value(), abs=1e-6)
    covered_by_fixed = w[(d[:, pre] <= 0.2).any(axis=1)].sum()
    assert ours.summary["weighted_before"] == pytest.approx(covered_by_fixed)


@pytest.mark.parametrize(("seed", "radius"), [(5, 0.3), (6, 0.35)])
def test_lscp_objective_equals_spopt(seed, radius):
    d, _ = random_instance(seed, m=70, k=18)
    coverable = (d <= radius).any(axis=1)
    d = d[coverable]  # LSCP needs every point coverable (both would report infeasible otherwise)
    settings = ModelSettings(
        objective="min_cost", coverage_target=1.0, health_rule="off", mip_gap=0.0
    )
    ours = SitingProblem.from_cost_matrix(d, service_radius=radius, settings=settings).solve()
    spopt = LSCP.from_cost_matrix(d, radius).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.objective == pytest.approx(spopt.problem.objective.value())
    assert ours.summary["coverage_after_pct"] == pytest.approx(100.0)


def test_sparse_cost_matrix_is_the_same_instance():
    d, w = random_instance(7)
    sparse = csr_matrix(np.where(d <= 0.25, d, 0.0))  # stored entries are the reachable pairs
    sparse.data[sparse.data == 0] = 1e-9
    dense_d = np.where(d <= 0.25, d, np.inf)
    s = ModelSettings(new_sites=3, health_rule="off", mip_gap=0.0)
    a = SitingProblem.from_cost_matrix(dense_d, service_radius=0.2, weights=w, settings=s).solve()
    b = SitingProblem.from_cost_matrix(sparse, service_radius=0.2, weights=w, settings=s).solve()
    assert a.objective == pytest.approx(b.objective)


# ------------------------------------------------------------------------------------------
# brute force on tiny instances: budgets, costs, several types per site
# ------------------------------------------------------------------------------------------


def brute_force_max(
    cover: np.ndarray, w: np.ndarray, cost: np.ndarray, groups: np.ndarray, budget: float
) -> float:
    best = 0.0
    k = cover.shape[1]
    for r in range(k + 1):
        for combo in itertools.combinations(range(k), r):
            c = list(combo)
            if cost[c].sum() > budget + 1e-9 or len(set(groups[c])) < len(c):
                continue
            best = max(best, w[cover[:, c].any(axis=1)].sum())
    return best


def brute_force_min_cost(
    cover: np.ndarray, e: np.ndarray, cost: np.ndarray, target: float
) -> float:
    best = np.inf
    k = cover.shape[1]
    for r in range(k + 1):
        for combo in itertools.combinations(range(k), r):
            c = list(combo)
            if e[cover[:, c].any(axis=1)].sum() >= target * e.sum() - 1e-9:
                best = min(best, cost[c].sum())
    return best


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_budgeted_max_coverage_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    d, w = random_instance(seed, m=40, k=9)
    cost = rng.integers(1, 10, 9).astype(float)
    groups = np.array([0, 0, 1, 2, 2, 3, 4, 5, 6])  # two sites offer two options each
    budget = 12.0
    settings = ModelSettings(budget_wan_yuan=budget, health_rule="off", mip_gap=0.0)
    ours = SitingProblem.from_cost_matrix(
        d,
        service_radius=0.25,
        weights=w,
        site_costs_wan_yuan=cost,
        site_groups=groups,
        settings=settings,
    ).solve()
    assert ours.objective == pytest.approx(brute_force_max(d <= 0.25, w, cost, groups, budget))
    assert ours.summary["spent_wan_yuan"] <= budget + 1e-9
    assert ours.greedy_objective is not None and ours.greedy_objective <= ours.objective + 1e-9


@pytest.mark.parametrize(("seed", "target"), [(21, 0.6), (22, 0.8)])
def test_min_cost_to_target_equals_brute_force(seed, target):
    rng = np.random.default_rng(seed)
    d, w = random_instance(seed, m=40, k=10)
    cost = rng.integers(1, 20, 10).astype(float)
    settings = ModelSettings(
        objective="min_cost", coverage_target=target, health_rule="off", mip_gap=0.0
    )
    ours = SitingProblem.from_cost_matrix(
        d, service_radius=0.3, weights=w, site_costs_wan_yuan=cost, settings=settings
    )
    best = brute_force_min_cost(d <= 0.3, w, cost, target)
    if not np.isfinite(best):
        with pytest.raises(InfeasibleError, match="coverage_target"):
            ours.solve()
        return
    result = ours.solve()
    assert result.objective == pytest.approx(best)
    assert result.summary["coverage_after_pct"] >= 100 * target - 1e-6


def test_lexicographic_keeps_coverage_and_cuts_cost():
    # sites A (5 万元) and B (2 万元) cover the same two points; site C (4 万元) a third, lighter one
    d = np.array([[0.1, 0.1, 9.0], [0.1, 0.1, 9.0], [9.0, 9.0, 0.1]])
    w = np.array([10.0, 10.0, 1.0])
    cost = np.array([5.0, 2.0, 4.0])
    base = dict(budget_wan_yuan=5.0, health_rule="off", mip_gap=0.0)
    problem = SitingProblem.from_cost_matrix(
        d, service_radius=0.2, weights=w, site_costs_wan_yuan=cost
    )
    lex = problem.solve(objective="lexicographic", **base)
    assert lex.stages[0]["objective"] == pytest.approx(20.0)  # A or B; B + C costs 6
    assert lex.objective == pytest.approx(2.0)  # the cheapest plan with that coverage: B alone
    assert lex.sites["site_id"].tolist() == ["1"]
    # a tolerance lets stage 2 give coverage up for money
    tol = problem.solve(objective="lexicographic", lexicographic_tolerance=1.0, **base)
    assert tol.objective == pytest.approx(0.0)


# ------------------------------------------------------------------------------------------
# results: independent coverage, marginal credits
# ------------------------------------------------------------------------------------------


def test_first_assignment_credits_add_up_and_unique_is_stricter():
    # points 0–3; site 0 covers 0,1,2; site 1 covers 2,3 (point 2 nearer site 1); site 2 (existing) covers 0
    inf = np.inf
    d = np.array(
        [
            [1.0, inf, 0.5],
            [1.0, inf, inf],
            [3.0, 1.0, inf],
            [inf, 1.0, inf],
        ]
    )
    w = np.array([10.0, 20.0, 30.0, 40.0])
    problem = SitingProblem.from_cost_matrix(
        d,
        service_radius=5.0,
        weights=w,
        site_costs_wan_yuan=np.array([2.0, 3.0, 0.0]),
        predefined=np.array([False, False, True]),
        settings=ModelSettings(new_sites=2, health_rule="off"),
    )
    r = problem.solve()
    sites = r.sites.set_index("site_id")
    assert r.summary["covered_before"] == pytest.approx(10.0)
    assert r.summary["covered_after"] == pytest.approx(100.0)
    # newly covered: points 1, 2, 3; point 2 goes to the nearer site 1
    assert sites.loc["0", "newly_covered_elderly"] == pytest.approx(20.0)
    assert sites.loc["1", "newly_covered_elderly"] == pytest.approx(70.0)
    assert sites["newly_covered_elderly"].sum() == pytest.approx(
        r.summary["covered_after"] - r.summary["covered_before"]
    )
    # unique: covered with the plan minus covered without the site (point 2 is covered twice)
    assert sites.loc["0", "unique_covered_elderly"] == pytest.approx(20.0)
    assert sites.loc["1", "unique_covered_elderly"] == pytest.approx(40.0)
    assert sites.loc["1", "yuan_per_newly_covered"] == pytest.approx(3.0 * 10_000 / 70.0)
    spend = r.spend.set_index("action")
    assert (
        spend.loc["total", "cost_wan_yuan"] == pytest.approx(5.0) and spend.loc["total", "n"] == 2
    )


# ------------------------------------------------------------------------------------------
# time limit, greedy fallback
# ------------------------------------------------------------------------------------------


def test_time_limit_reports_the_gap_instead_of_failing():
    rng = np.random.default_rng(0)
    m, k = 2500, 500
    rows = np.repeat(np.arange(m), 6)
    cols = rng.integers(0, k, len(rows))
    cover = csr_matrix((np.full(len(rows), 0.5), (rows, cols)), shape=(m, k))
    w = rng.integers(1, 100, m).astype(float)
    settings = ModelSettings(new_sites=40, health_rule="off", time_limit_s=1.0, mip_gap=0.0)
    r = SitingProblem.from_cost_matrix(
        cover, service_radius=1.0, weights=w, settings=settings
    ).solve()
    assert r.status in ("time_limit", "heuristic")
    assert r.best_bound is not None and r.best_bound >= r.objective - 1e-6
    assert r.gap is not None and r.gap > 0
    assert r.objective >= r.greedy_objective - 1e-6  # the greedy start was the floor
    assert r.summary["weighted_after"] == pytest.approx(r.objective)


def test_greedy_plan_is_the_fallback_when_the_solver_finds_nothing(monkeypatch):
    d, w = random_instance(8)
    problem = SitingProblem.from_cost_matrix(
        d, service_radius=0.2, weights=w, settings=ModelSettings(new_sites=3, health_rule="off")
    )
    monkeypatch.setattr(
        solve_module,
        "run_solver",
        lambda model, settings, start, time_limit_s=None: Run("no_solution", None, 1e6, 0.5),
    )
    r = problem.solve()
    assert r.status == "heuristic"
    assert r.objective == pytest.approx(r.greedy_objective)
    assert r.summary["weighted_after"] == pytest.approx(
        r.objective
    )  # the plan really covers that much
    assert r.gap == pytest.approx((1e6 - r.objective) / r.objective)


# ------------------------------------------------------------------------------------------
# settings
# ------------------------------------------------------------------------------------------


def test_settings_errors_are_collected():
    with pytest.raises(ScenarioError) as err:
        ModelSettings(
            objective="max_coverage", policies=("centre",), solver="gurobi", coverage_target=80
        )
    text = str(err.value)
    for needle in (
        "needs a budget",
        "unknown policies ['centre']",
        "unknown solver 'gurobi'",
        "share between 0 and 1",
    ):
        assert needle in text
    with pytest.raises(ScenarioError, match="cannot be combined"):
        ModelSettings(objective="min_cost", new_sites=3)


def test_settings_from_scenario(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        textwrap.dedent(
            """
            [inputs.network]
            path = "x.osm"
            [inputs.streets]
            path = "x.gpkg"
            [inputs.communities]
            path = "x.gpkg"
            [indicators]
            small_community_elderly = 300
            [optimize]
            objective = "min_cost"
            [rules]
            policies = ["center_per_street", "hub"]
            upgrades = { village_point = ["station"] }
            max_new = { station = 4 }
            [costs]
            horizon_years = 4
            """
        ),
        encoding="utf-8",
    )
    s = optimize_settings(load_scenario(path), budget_wan_yuan=900.0)
    assert s.objective == "min_cost" and s.budget_wan_yuan == 900.0
    assert s.coverage_target == 0.8  # min_cost aims at the plan's 80 % ([indicators])
    assert s.policies == ("center_per_street", "hub")
    assert s.upgrades == {"village_point": ("station",)} and s.max_new == {"station": 4}
    assert (
        s.small_community_elderly == 300
        and s.stations_per_center_max == 10
        and s.hub_reach_minutes == 30
    )
    assert s.costs.horizon_years == 4
    # an objective given on the command line gets the same default target
    path.write_text(
        path.read_text().replace('objective = "min_cost"', 'objective = "max_coverage"')
    )
    cli = optimize_settings(load_scenario(path), objective="min_cost")
    assert cli.coverage_target == 0.8
    path.write_text(
        path.read_text().replace('policies = ["center_per_street", "hub"]', 'policies = ["hubb"]')
    )
    with pytest.raises(ScenarioError, match=r"rules\.policies"):
        optimize_settings(load_scenario(path))


# ------------------------------------------------------------------------------------------
# budget curve
# ------------------------------------------------------------------------------------------


def test_knee_is_the_point_farthest_above_the_chord():
    assert knee_index([0, 1, 2, 3, 4], [0, 80, 90, 95, 100]) == 1
    assert (
        knee_index([0, 1, 2, 3, 4], [0, 50, 80, 90, 95]) == 2
    )  # scaled: 0.84 − 0.5 is the largest
    assert knee_index([0, 10, 20, 30], [0, 10, 20, 30]) is None  # a straight line has no knee
    assert knee_index([0, 1], [0, 1]) is None


def test_budget_curve_on_a_tiny_instance():
    d, w = random_instance(9, m=50, k=10)
    cost = np.arange(1, 11, dtype=float)
    problem = SitingProblem.from_cost_matrix(
        d, service_radius=0.25, weights=w, site_costs_wan_yuan=cost,
        settings=ModelSettings(budget_wan_yuan=20.0, health_rule="off", mip_gap=0.0, curve_steps=4),
    )  # fmt: skip
    curve = budget_curve(problem)
    pts = curve.points
    assert pts["budget_wan_yuan"].tolist() == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert (np.diff(pts["covered_elderly"]) >= -1e-9).all()
    for b, covered in zip(pts["budget_wan_yuan"], pts["covered_elderly"], strict=True):
        assert covered == pytest.approx(brute_force_max(d <= 0.25, w, cost, np.arange(10), b))
    marginal = np.diff(pts["covered_elderly"]) / 5.0
    np.testing.assert_allclose(pts["marginal_elderly_per_wan_yuan"].iloc[1:], marginal)
    assert pts["knee"].sum() == 1
    assert (
        curve.knee_budget_wan_yuan
        == pts["budget_wan_yuan"].iloc[knee_index(pts["budget_wan_yuan"], pts["covered_elderly"])]
    )


# ------------------------------------------------------------------------------------------
# the demo-small district end to end
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.walking import walking_graph

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "data" / "demo-small")
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    return scenario, inputs, graph, compute_coverage(inputs, graph)


def test_demo_small_plan(small, tmp_path):
    scenario, inputs, graph, cov = small
    settings = optimize_settings(scenario, budget_wan_yuan=150.0, policies=("hub",))
    problem = build_problem(inputs, cov, graph=graph, settings=settings)
    r = solve(problem)
    assert r.status == "optimal"
    # coverage before the plan, recomputed here, equals the coverage step's own figure
    assert r.summary["coverage_before_pct"] == pytest.approx(cov.coverage_pct)
    assert r.summary["spent_wan_yuan"] <= 150.0 + 1e-9
    assert r.summary["covered_after"] >= r.summary["covered_before"]
    assert set(r.sites["site_id"]) <= set(inputs.candidates["candidate_id"])
    com = r.communities
    assert com["covered_after"].sum() == pytest.approx(r.summary["covered_after"])
    assert com["elderly"].sum() == pytest.approx(inputs.communities["pop_60p"].sum())
    # every open station has a center (hub rule), none runs more than 10
    hub = r.hub_assignment
    n_stations = int((problem.options["type"].to_numpy()[r.open_options] == "station").sum())
    assert len(hub) == n_stations and hub["center_id"].value_counts().max() <= 10
    # the tables: Chinese headers by default, all files written
    paths = write_siting_outputs(r, tmp_path / "out")
    assert {p.name for p in paths} == {
        "siting_sites.csv", "siting_communities.csv", "siting_spend.csv", "siting_summary.csv", "siting_hub.csv",
        "siting_gaps.csv", "siting_indicators.csv", "siting_money.csv", "siting_budget.csv", "siting.xlsx",
        "siting_equity.csv", "lorenz.png",
    }  # fmt: skip
    header = pd.read_csv(
        tmp_path / "out" / "siting_sites.csv", encoding="utf-8-sig", nrows=0
    ).columns
    assert "费用合计(万元)" in header and "新增覆盖老年人" in header
    en = siting_frames(r, lang="en")["siting_communities"]
    assert "coverage after (%)" in en.columns


def test_demo_small_bare_matrices_give_the_same_plan(small):
    from siting.coverage import coverage_matrix

    scenario, inputs, graph, cov = small
    settings = optimize_settings(scenario, budget_wan_yuan=100.0)
    cand = coverage_matrix(
        graph, cov.demand, inputs.candidates, id_column="candidate_id", type_column="eligible_types"
    )
    a = optimize(inputs, cov, settings, graph=graph)
    b = optimize(inputs, cov.matrix.hstack(cand), settings, demand=cov.demand)
    assert a.objective == pytest.approx(b.objective)
    assert a.sites["site_id"].tolist() == b.sites["site_id"].tolist()


def test_demo_small_infeasible_budget_writes_nothing(small, tmp_path):
    scenario, inputs, graph, cov = small
    settings = optimize_settings(
        scenario, budget_wan_yuan=50.0, policies=("station_per_community",), profile="coverage_only"
    )
    pattern = r"budget 50\.0 万元 < [\d,.]+ 万元 needed to give the 14 社区/村 without a station or point one each$"
    with pytest.raises(InfeasibleError, match=pattern):
        optimize(inputs, cov, settings, graph=graph)
    assert not (tmp_path / "out").exists()
    # under the documents' rules, 宝桥社区's only candidate (270 m²) is below the 300 m² of a station
    # in a 社区 of 654 older people (001 annex 1):
    # the hard rule names it before any money is counted
    hard = optimize_settings(scenario, budget_wan_yuan=50.0, policies=("station_per_community",))
    with pytest.raises(
        InfeasibleError, match=r"1 社区/村 without a station or point .* 宝桥社区 \(500199101001\)"
    ):
        optimize(inputs, cov, hard, graph=graph)
