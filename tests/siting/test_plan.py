"""Five-year plans: the multi-year model against brute force, the single-year model, milestones and
bad input; the district adapter and the files on the small demo."""

from __future__ import annotations

import dataclasses
import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import siting
from siting.errors import InfeasibleError, InputError, ScenarioError
from siting.growth import CENSUS_2020, annual_growth_rates
from siting.model import (
    Milestone,
    ModelSettings,
    PlannedBuild,
    Quota,
    SitingProblem,
    build_problem,
    coverage_fraction,
)
from siting.model.rules import StationPerUnit, active_rules, coverage_ceiling
from siting.model.solving import presolve
from siting.plan import plan, plan_settings
from siting.reports import write_plan_outputs
from siting.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def yearly(**kw) -> ModelSettings:
    """Settings of a plan over years, with [plan]'s default objective (most elderly-years)."""
    return ModelSettings(**{"objective": "elderly_years", **kw})


SMALL = ROOT / "data" / "demo-small"


# ------------------------------------------------------------------------------------------
# an independent oracle: every schedule of a small instance
# ------------------------------------------------------------------------------------------


def brute_force(
    D: np.ndarray,
    radius: float,
    w: np.ndarray,
    capital: np.ndarray,
    operating: np.ndarray,
    groups: np.ndarray,
    growth: np.ndarray,
    settings: ModelSettings,
    *,
    objective: str,
    existing: np.ndarray | None = None,
    coverage_targets: tuple[tuple[int, float], ...] = (),
):
    """Best objective over every (build year or never) of every site: (value, schedule)."""
    m, k = D.shape
    T = settings.n_years
    reach = np.less_equal(D, radius)
    pre = np.zeros(k, bool) if existing is None else existing
    const = reach[:, pre].any(axis=1)
    budgets = settings.budgets()
    best, best_sched = None, None
    free = np.flatnonzero(~pre)
    for choice in itertools.product(range(-1, T), repeat=len(free)):
        sched = np.full(k, -1)
        sched[free] = choice
        built = sched >= 0
        if len(set(groups[built])) < built.sum():
            continue  # two types at one site
        spend = np.zeros(T)
        for j in range(T):
            spend[j] = capital[built & (sched == j)].sum()
            paying = built & (
                (sched <= j) if settings.operating_from == "year_built" else (sched < j)
            )
            spend[j] += operating[paying].sum()
        ok = True
        running = 0.0
        for j, b in enumerate(budgets):
            if b is None:
                continue
            running += b
            if settings.unspent == "carries_over":
                ok &= spend[: j + 1].sum() <= running + 1e-9
            else:
                ok &= spend[j] <= b + 1e-9
        if not ok:
            continue
        cov = np.zeros((m, T), bool)
        for j in range(T):
            cov[:, j] = const | reach[:, built & (sched <= j)].any(axis=1)
        for j_from, share in coverage_targets:
            for j in range(j_from, T):
                e = w * growth[:, j]
                ok &= e[cov[:, j]].sum() >= share * e.sum() - 1e-9
        if not ok:
            continue
        if objective == "elderly_years":
            value = sum(float((w * growth[:, j])[cov[:, j]].sum()) for j in range(T))
            better = best is None or value > best + 1e-9
        elif objective == "final_coverage":
            value = float((w * growth[:, -1])[cov[:, -1]].sum())
            better = best is None or value > best + 1e-9
        else:  # every build commits capital + operating for max(C, years paid in the plan)
            paid = np.zeros(k)
            for j in range(T):
                paid += built & (
                    (sched <= j) if settings.operating_from == "year_built" else (sched < j)
                )
            value = float(
                (capital + operating * np.maximum(settings.commitment, paid))[built].sum()
            )
            better = best is None or value < best - 1e-9
        if better:
            best, best_sched = value, sched
    return best, best_sched


def instance(seed: int, *, m: int = 9, k: int = 5, T: int = 3):
    rng = np.random.default_rng(seed)
    D = rng.uniform(0, 10, (m, k))
    w = rng.integers(1, 20, m).astype(float)
    capital = rng.integers(1, 4, k).astype(float)
    operating = rng.choice([0.0, 0.5, 1.0], k)
    groups = np.arange(k)
    groups[k - 1] = k - 2  # the last two columns: one site, two types
    growth = (1.0 + rng.uniform(-0.02, 0.05, m))[:, None] ** np.arange(1, T + 1)[None, :]
    return D, w, capital, operating, groups, growth


# ------------------------------------------------------------------------------------------
# correctness
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("operating_from", "unspent"),
    [("year_built", "lapses"), ("year_after", "lapses"), ("year_built", "carries_over")],
)
def test_multi_year_optimum_equals_brute_force_over_build_years(seed, operating_from, unspent):
    D, w, capital, operating, groups, growth = instance(seed)
    settings = yearly(
        years=(2021, 2022, 2023),
        budget_wan_yuan=(2.0, 2.5, 3.0),
        operating_from=operating_from,
        unspent=unspent,
    )
    problem = SitingProblem.from_cost_matrix(
        D,
        service_radius=4.0,
        weights=w,
        site_costs_wan_yuan=capital,
        operating_wan_yuan_per_year=operating,
        site_groups=groups,
        growth_factors=growth,
        settings=settings,
    )
    result = problem.solve()
    best, _ = brute_force(
        D, 4.0, w, capital, operating, groups, growth, settings, objective="elderly_years"
    )
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best, rel=1e-6)
    # coverage recomputed from the matrix and the build years agrees with the solver
    assert result.summary["elderly_years_covered"] == pytest.approx(best, rel=1e-6)
    # spend within each year's budget, recomputed
    spend = result.trajectory["spend_wan_yuan"].to_numpy()[1:]
    if unspent == "lapses":
        assert (spend <= np.array(settings.budgets()) + 1e-6).all()
    else:
        assert (np.cumsum(spend) <= np.cumsum(settings.budgets()) + 1e-6).all()


@pytest.mark.parametrize("seed", range(4))
def test_least_cost_to_meet_coverage_milestones_equals_brute_force(seed):
    D, w, capital, operating, groups, growth = instance(seed + 10)
    ceiling_share = 0.6
    settings = yearly(
        years=(2021, 2022, 2023),
        objective="min_cost",
        milestones=(Milestone(year=2022, share=0.4), Milestone(year=2023, share=ceiling_share)),
    )
    problem = SitingProblem.from_cost_matrix(
        D,
        service_radius=4.0,
        weights=w,
        site_costs_wan_yuan=capital,
        operating_wan_yuan_per_year=operating,
        site_groups=groups,
        growth_factors=growth,
        settings=settings,
    )
    best, _ = brute_force(
        D,
        4.0,
        w,
        capital,
        operating,
        groups,
        growth,
        settings,
        objective="min_cost",
        coverage_targets=((1, 0.4), (2, ceiling_share)),
    )
    if best is None:
        with pytest.raises(InfeasibleError, match="milestone"):
            problem.solve()
        return
    result = problem.solve()
    assert result.objective == pytest.approx(best, rel=1e-6)
    assert result.summary["total_cost_wan_yuan"] == pytest.approx(best, rel=1e-6)
    assert result.milestones["met"].all()


def _single_year_brute_force(D, radius, w, cost, budget):
    k = D.shape[1]
    reach = np.less_equal(D, radius)
    best = 0.0
    for r in range(k + 1):
        for sel in itertools.combinations(range(k), r):
            if cost[list(sel)].sum() <= budget + 1e-9:
                best = max(best, float(w[reach[:, list(sel)].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_equal_budgets_no_growth_final_year_equals_single_year_optimum(seed):
    """Money that carries over and no operating cost: any single-year plan for the total budget
    can be built by the final year, so the final year's optimum is the single-year optimum."""
    rng = np.random.default_rng(seed + 100)
    m, k, T, b = 14, 7, 4, 1.5
    D = rng.uniform(0, 10, (m, k))
    w = rng.integers(1, 30, m).astype(float)
    cost = rng.integers(1, 4, k).astype(float)
    settings = yearly(
        years=tuple(range(2021, 2021 + T)),
        budget_wan_yuan=(b,) * T,
        unspent="carries_over",
        objective="final_coverage",
        growth="none",
    )
    phased = SitingProblem.from_cost_matrix(
        D, service_radius=4.0, weights=w, site_costs_wan_yuan=cost, settings=settings
    ).solve()
    single = _single_year_brute_force(D, 4.0, w, cost, T * b)
    assert phased.summary["covered_elderly_final"] == pytest.approx(single)
    # the single-year model of siting.optimize agrees
    one = SitingProblem.from_cost_matrix(
        D,
        service_radius=4.0,
        weights=w,
        site_costs_wan_yuan=cost,
        settings=ModelSettings(budget_wan_yuan=T * b, health_rule="off"),
    ).solve()
    assert one.objective == pytest.approx(single)
    # stage 2: among the plans with that final year, the most elderly-years
    assert phased.summary["elderly_years_covered"] >= single - 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_one_site_a_year_is_the_mclp_with_p_equal_to_the_years(seed):
    """Unit costs and a budget of 1 a year that lapses: a set of T sites can always be phased one
    a year, so the final year equals the single-year optimum with p = T (budget T)."""
    rng = np.random.default_rng(seed + 200)
    m, k, T = 12, 6, 3
    D = rng.uniform(0, 10, (m, k))
    w = rng.integers(1, 30, m).astype(float)
    settings = yearly(
        years=(2021, 2022, 2023),
        budget_wan_yuan=(1.0,) * T,
        objective="final_coverage",
        growth="none",
    )
    phased = SitingProblem.from_cost_matrix(
        D, service_radius=4.0, weights=w, settings=settings
    ).solve()
    assert phased.summary["covered_elderly_final"] == pytest.approx(
        _single_year_brute_force(D, 4.0, w, np.ones(k), float(T))
    )
    assert (phased.trajectory["n_new"].iloc[1:] <= 1).all()


def test_hand_instance_years_spend_and_credits():
    """Three homes, two sites: numbers worked out by hand."""
    # home 0 (10 people) near site A, home 1 (20) near B, home 2 (5) near both
    D = np.array([[1.0, 9.0], [9.0, 1.0], [2.0, 2.0]])
    settings = yearly(
        years=(2021, 2022),
        budget_wan_yuan=(1.0, 1.0),
        growth=0.1,
        base_year=2020,
        operating_from="year_built",
    )
    problem = SitingProblem.from_cost_matrix(
        D,
        service_radius=3.0,
        weights=np.array([10.0, 20.0, 5.0]),
        site_costs_wan_yuan=np.array([0.8, 0.8]),
        operating_wan_yuan_per_year=np.array([0.2, 0.2]),
        settings=settings,
    )
    r = problem.solve()
    # 2021: B (0.8 + 0.2 = 1.0); 2022: A would cost 0.8 + 0.2 + B's 0.2 = 1.2 > 1: nothing
    assert r.builds[["year", "site_id"]].values.tolist() == [[2021, "1"]]
    assert r.trajectory["spend_wan_yuan"].tolist() == pytest.approx([0.0, 1.0, 0.2])
    # growth 10 %/yr from 2020: 25 × 1.1 in 2021, 25 × 1.21 in 2022
    assert r.trajectory["covered_elderly"].tolist() == pytest.approx([0.0, 27.5, 30.25])
    assert r.summary["elderly_years_covered"] == pytest.approx(57.75)
    assert r.builds["newly_covered_elderly"].tolist() == pytest.approx([27.5])
    # the fixed plan "A in 2021" evaluated: 15 people, then B is unaffordable (0.2 + 1.0 > 1)
    fixed = problem.evaluate([PlannedBuild("0", "station", 2021)], name="A")
    assert fixed.status == "evaluated"
    assert fixed.trajectory["covered_elderly"].tolist() == pytest.approx([0.0, 16.5, 18.15])
    # an evaluated plan that overspends is reported, not refused
    over = problem.evaluate(
        [PlannedBuild("0", "station", 2021), PlannedBuild("1", "station", 2021)]
    )
    assert over.trajectory["spend_wan_yuan"].iloc[1] == pytest.approx(2.0)


def test_existing_sites_are_open_from_the_start_and_one_type_per_site():
    D = np.array([[1.0, 9.0, 1.0, 1.0], [9.0, 1.0, 9.0, 9.0]])
    settings = yearly(years=(2021, 2022), budget_wan_yuan=(5.0, 5.0), growth="none")
    problem = SitingProblem.from_cost_matrix(
        D,
        service_radius=3.0,
        weights=np.array([10.0, 20.0]),
        predefined=np.array([True, False, False, False]),
        site_groups=[0, 1, 2, 2],
        site_types=["station", "station", "station", "compound_point"],
        settings=settings,
    )
    r = problem.solve()
    assert r.trajectory["covered_elderly"].tolist() == pytest.approx([10.0, 30.0, 30.0])
    assert "0" not in r.builds["site_id"].tolist()  # existing, not built again
    assert not {"2", "3"} <= set(r.builds["site_id"])  # one site: at most one type


# ------------------------------------------------------------------------------------------
# milestones that cannot be met
# ------------------------------------------------------------------------------------------


def _two_communities(settings: ModelSettings, **kw) -> SitingProblem:
    """Two 社区 (codes 001, 002) of 10 and 30 people; three sites, the third in neither."""
    D = np.array([[1.0, 9.0, 9.0], [9.0, 1.0, 9.0], [9.0, 9.0, 9.0]])
    com = pd.DataFrame(
        {
            "code": ["500199001001", "500199001002"],
            "name": ["甲社区", "乙社区"],
            "kind": "community",
        }
    )
    return SitingProblem.from_cost_matrix(
        D,
        service_radius=3.0,
        weights=np.array([10.0, 20.0, 10.0]),
        demand_community=np.array([0, 1, 1]),
        site_community=np.array([0, -1, -1]),
        communities=com,
        settings=settings,
        **kw,
    )


def test_coverage_milestone_above_reach_is_explained_with_numbers():
    settings = yearly(
        years=(2021, 2022),
        objective="min_cost",
        growth="none",
        milestones=(Milestone(year=2022, share=0.8, name="80 % by 2022"),),
    )
    problem = _two_communities(settings)
    assert coverage_ceiling(problem) == pytest.approx(0.75)
    with pytest.raises(InfeasibleError) as info:
        problem.solve()
    msg = str(info.value)
    assert "'80 % by 2022' (plan.milestones[0]) cannot be met" in msg
    assert "80 % of the elderly in 2022 is 32 people" in msg and "reach 30 (75.0 %)" in msg


def test_station_milestone_names_the_community_without_a_site():
    settings = yearly(
        years=(2021, 2022),
        objective="min_cost",
        growth="none",
        small_community_elderly=0.0,  # no sharing: 乙社区 needs its own station
        milestones=(Milestone(year=2021, rule="every_unit_station", kind="community"),),
    )
    problem = _two_communities(settings)
    rule = next(r for r in active_rules(problem) if isinstance(r, StationPerUnit) and not r.soft)
    assert [u.code for u in rule.unservable(problem)] == ["500199001002"]
    with pytest.raises(
        InfeasibleError,
        match=r"cannot be met: 1 社区 without a station or point have no station or point candidate.*乙社区 \(500199001002\)",
    ):
        problem.solve()
    # leaving it out makes the milestone feasible: the station goes into 甲社区 in 2021
    ok = problem.with_settings(
        milestones=(
            Milestone(
                year=2021, rule="every_unit_station", kind="community", exclude=("500199001002",)
            ),
        )
    )
    r = ok.solve()
    assert r.builds[["year", "site_id"]].values.tolist() == [[2021, "0"]]
    assert r.milestones["met"].all()


def test_budget_below_the_cheapest_way_is_explained():
    settings = yearly(
        years=(2021, 2022),
        budget_wan_yuan=(0.5, 0.5),
        growth="none",
        milestones=(
            Milestone(
                year=2022, rule="every_unit_station", kind="community", exclude=("500199001002",)
            ),
        ),
    )
    problem = _two_communities(settings, site_costs_wan_yuan=np.array([1.2, 1.0, 1.0]))
    with pytest.raises(
        InfeasibleError,
        match=r"costs at least 1\.2 万元, but the budgets 2021–2022 add up to 1\.0 万元",
    ):
        problem.solve()


def test_budget_conflict_found_by_the_elastic_model():
    """Each milestone can be met alone, and the budget passes the pre-checks: the solver finds
    the conflict, the elastic re-solve says how much money is missing and when."""
    D = np.array([[1.0, 9.0], [9.0, 1.0]])
    settings = yearly(
        years=(2021, 2022),
        budget_wan_yuan=(1.0, 1.0),
        growth="none",
        milestones=(Milestone(year=2021, share=1.0, name="all covered in 2021"),),
    )
    problem = SitingProblem.from_cost_matrix(
        D, service_radius=3.0, weights=np.array([10.0, 20.0]), settings=settings
    )
    assert presolve(problem, active_rules(problem)) == []
    with pytest.raises(InfeasibleError) as info:
        problem.solve()
    assert "budget 2021 (1.0 万元): meeting the milestones needs 1.0 万元 more" in str(info.value)


# ------------------------------------------------------------------------------------------
# demand growth
# ------------------------------------------------------------------------------------------


def test_census_projection_by_hand():
    com = pd.DataFrame(
        {
            "code": ["500151001001", "500151001002", "500151001200"],
            "kind": ["community", "community", "village"],
            "pop_60p": [1000.0, 500.0, 400.0],
            "pop_65p": [800.0, np.nan, 300.0],
        }
    )
    rates, src = annual_growth_rates(com, "census", mortality_60p=0.03, district_code="500151")
    # (1000 − 800) / 5 / 1000 − 0.03 = 0.01;  (400 − 300) / 5 / 400 − 0.03 = 0.02
    # no 65+ figure: 铜梁's census shares, 0.0512 / 5 / 0.2608 − 0.03
    _, s6064, s60 = CENSUS_2020["500151"]
    assert rates == pytest.approx([0.01, s6064 / 5 / s60 - 0.03, 0.02])
    assert rates[1] == pytest.approx(0.009264, abs=1e-6)
    assert "铜梁区" in src[1]
    rates, _ = annual_growth_rates(com, {"village": 0.05, "500151001001": 0.0})
    assert rates[[0, 2]] == pytest.approx([0.0, 0.05])
    assert annual_growth_rates(com, "none")[0] == pytest.approx([0, 0, 0])


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------


def _scenario(tmp_path: Path, plan_text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n{plan_text}', encoding="utf-8"
    )
    return path


def test_year_outside_the_plan_names_file_and_key(tmp_path):
    path = _scenario(
        tmp_path,
        "[plan]\nfirst_year = 2021\nlast_year = 2025\nbudget_wan_yuan = { 2019 = 10 }\n"
        "[[plan.milestones]]\nyear = 2030\nshare = 0.8\n"
        '[[plan.builds]]\nsite = "C1"\ntype = "station"\nyear = 2026\n',
    )
    with pytest.raises(ScenarioError) as info:
        plan_settings(load_scenario(path))
    msg = str(info.value)
    assert (
        f"{path.resolve()}, column 'plan.budget_wan_yuan.2019': budget year 2019 is outside the plan years 2021–2025"
        in msg
    )
    assert (
        "column 'plan.milestones[0].year': milestone year 2030 is outside the plan years 2021–2025"
        in msg
    )
    assert (
        "column 'plan.builds[0].year': build year 2026 of site 'C1' is outside the plan years 2021–2025"
        in msg
    )


def test_negative_budget_names_file_and_key(tmp_path):
    path = _scenario(
        tmp_path, "[plan]\nfirst_year = 2021\nlast_year = 2023\nbudget_wan_yuan = [100, -5, 100]\n"
    )
    with pytest.raises(
        ScenarioError,
        match=r"column 'plan\.budget_wan_yuan\.2022': the budget of 2022 must be a number of 万元 >= 0, got -5",
    ):
        plan_settings(load_scenario(path))
    with pytest.raises(ScenarioError, match=r"budget_wan_yuan\.2021"):
        yearly(years=(2021,), budget_wan_yuan=(-1.0,))


def test_scenario_extending_itself(tmp_path):
    path = tmp_path / "loop.toml"
    path.write_text('extends = "loop.toml"\n[plan]\nbudget_wan_yuan = 100\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"loop\.toml: key 'extends' makes a cycle"):
        load_scenario(path)


def test_override_of_an_unknown_key_names_file_and_key(tmp_path):
    base = _scenario(tmp_path, "[plan]\nbudget_wan_yuan = 100\n", "base.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[plan]\nbudgte_wan_yuan = 50\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert (
        f"{child.resolve()}, column 'plan.budgte_wan_yuan': unknown key 'plan.budgte_wan_yuan'"
        in str(info.value)
    )
    # inside a milestone table the key is checked by the plan
    child.write_text('extends = "base.toml"\n[[plan.milestones]]\nyeer = 2022\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        plan_settings(load_scenario(child))
    assert (
        f"{child.resolve()}, column 'plan.milestones[0].yeer': unknown key 'yeer' in milestones[0]"
        in str(info.value)
    )
    assert base.exists()


def test_quotas_are_read_from_the_scenario(tmp_path):
    path = _scenario(
        tmp_path,
        "[plan]\nfirst_year = 2021\nlast_year = 2023\nbudget_wan_yuan = 100\n"
        '[[plan.quota]]\nyear = 2022\nunit = "500199001"\ntype = "station"\nat_least = 3\n'
        'count_existing = false\nat_most = 4\nname = "附件2 紫庙街道"\nsource = "001 附件2"\n'
        '[[plan.quota]]\nyear = 2023\ntype = "village_point"\nat_least = 10\nhard = true\n',
    )
    s = plan_settings(load_scenario(path))
    assert s.quotas == (
        Quota(
            year=2022,
            type="station",
            at_least=3,
            unit="500199001",
            at_most=4,
            count_existing=False,
            name="附件2 紫庙街道",
            source="001 附件2",
        ),
        Quota(year=2023, type="village_point", at_least=10, hard=True),
    )


def test_bad_quotas_name_file_and_key(tmp_path):
    path = _scenario(
        tmp_path,
        "[plan]\nfirst_year = 2021\nlast_year = 2025\nbudget_wan_yuan = 100\n"
        '[[plan.quota]]\nyear = 2030\nunit = "500199001"\ntype = "centre"\nat_least = -1\ncolour = 1\n'
        '[[plan.quota]]\nyear = 2022\ntype = "station"\n'
        '[[plan.quota]]\nyear = 2022\ntype = "station"\nat_least = 2.5\ncount_existing = "no"\n',
    )
    with pytest.raises(ScenarioError) as info:
        plan_settings(load_scenario(path))
    msg = str(info.value)
    for text in (
        "column 'plan.quota[0].year': quota year 2030 is outside the plan years 2021–2025",
        "column 'plan.quota[0].type': unknown facility type 'centre'",
        "column 'plan.quota[0].at_least': at_least must be a whole number >= 0, got -1",
        "column 'plan.quota[0].colour': unknown key 'colour' in quota[0]",
        "column 'plan.quota[1]': quota[1] lacks ['at_least']",
        "column 'plan.quota[2].at_least': at_least must be a whole number >= 0, got 2.5",
        "column 'plan.quota[2].count_existing': count_existing must be true or false, got 'no'",
    ):
        assert f"{path.resolve()}, {text}" in msg


def test_a_quota_for_a_unit_outside_the_district_is_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "out"
    path = _scenario(
        tmp_path,
        f'[output]\ndir = "{out.as_posix()}"\n'
        "[plan]\nfirst_year = 2021\nlast_year = 2022\nbudget_wan_yuan = 50\n"
        '[[plan.quota]]\nyear = 2022\nunit = "500101001"\ntype = "station"\nat_least = 1\n',
    )
    run = subprocess.run(
        [sys.executable, "-m", "siting.cli", "plan", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode != 0
    text = run.stdout + run.stderr
    assert "plan.quota[0].unit" in text
    assert "quota unit '500101001' is not a 街道/镇 or 社区/村 of district 500199" in text
    assert not out.exists() or not any(out.iterdir())
    assert not (tmp_path / "maps").exists() or not any((tmp_path / "maps").iterdir())


def test_planned_build_of_an_unknown_site(tmp_path):
    path = _scenario(
        tmp_path,
        '[plan]\nbudget_wan_yuan = 100\n[[plan.builds]]\nsite = "NOPE"\ntype = "station"\nyear = 2022\n',
    )
    scenario = load_scenario(path)
    from siting.io import load_inputs
    from siting.walking import walking_graph

    inputs = load_inputs(scenario)
    with pytest.raises(
        InputError,
        match=r"column 'plan\.builds\[0\]\.site': planned build of site 'NOPE' as station is not possible",
    ):
        build_problem(inputs, graph=walking_graph(inputs), settings=plan_settings(scenario))


# ------------------------------------------------------------------------------------------
# the district adapter and the files (small demo)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    from siting.io import load_inputs
    from siting.walking import walking_graph

    scenario = load_scenario(SMALL)
    inputs = load_inputs(scenario)
    return inputs, walking_graph(inputs)


def test_plan_on_the_small_demo_records_hash_and_version(small, tmp_path):
    inputs, graph = small
    settings = plan_settings(inputs.scenario, budget_wan_yuan=40, time_limit_s=20)
    r = plan(inputs, graph, settings)
    assert r.scenario_sha256 == inputs.scenario.sha256 and len(r.scenario_sha256) == 64
    assert r.tool_version == siting.__version__
    assert r.status == "optimal"
    # every year within budget; coverage never falls below the existing facilities'
    tr = r.trajectory
    assert (tr["spend_wan_yuan"].iloc[1:] <= 40 + 1e-6).all()
    assert (
        tr["covered_elderly"].iloc[1:].to_numpy()
        >= r.summary["coverage_before_pct"] / 100 * tr["elderly"].iloc[1:].to_numpy() - 1e-6
    ).all()
    # without growth, the newly covered credits add up to the plan's gain in the final year
    builds = [
        PlannedBuild(s, t, y)
        for s, t, y in zip(r.builds["site_id"], r.builds["type"], r.builds["year"], strict=True)
    ]
    flat = dataclasses.replace(r.problem, growth=np.ones_like(r.problem.growth)).evaluate(builds)
    assert flat.builds["newly_covered_elderly"].sum() == pytest.approx(
        flat.trajectory["covered_elderly"].iloc[-1] - _covered_without(flat)
    )
    # each 社区/村's coverage at the end of every year adds up to the year's district figure
    # (no growth: each year's due is the community's elderly)
    years = flat.trajectory[flat.trajectory["stage"] != "before"].set_index("year")
    com = flat.communities
    for year in flat.years:
        covered = float(np.nansum(com["elderly"] * com[f"coverage_pct_{year}"] / 100))
        assert covered == pytest.approx(years.loc[year, "covered_elderly"], rel=1e-9)
    last = f"coverage_pct_{flat.years[-1]}"
    assert np.allclose(com[last], com["coverage_after_pct"], equal_nan=True)
    assert (
        flat.summary["elderly_years_covered"] < r.summary["elderly_years_covered"]
    )  # demand grows
    assert r.indicators is not None and r.indicators["home_care_coverage"].value == pytest.approx(
        tr["coverage_pct"].iloc[-1], abs=0.5
    )
    files = write_plan_outputs(r, tmp_path / "plan", map_path=tmp_path / "plan.html")
    names = {p.name for p in files}
    assert {
        "plan_summary.csv",
        "plan_years.csv",
        "plan_builds.csv",
        "plan_milestones.csv",
        "plan.xlsx",
        "plan.html",
    } <= names
    text = (tmp_path / "plan" / "plan_summary.csv").read_text(encoding="utf-8-sig")
    assert inputs.scenario.sha256 in text and siting.__version__ in text
    builds = pd.read_csv(tmp_path / "plan" / "plan_builds.csv", encoding="utf-8-sig")
    assert len(builds) == len(r.builds) and set(builds["年份"]) <= set(r.years)
    # the plan layer of 社区/村 carries the coverage after each year, with its Chinese alias
    import pyogrio

    layer = pyogrio.read_dataframe(tmp_path / "plan" / "plan.gpkg", layer="plan_communities")
    for year in r.years:
        assert np.allclose(
            layer[f"coverage_pct_{year}"].astype(float),
            r.communities[f"coverage_pct_{year}"],
            equal_nan=True,
        )
    import sqlite3

    with sqlite3.connect(tmp_path / "plan" / "plan.gpkg") as db:
        alias = db.execute(
            "SELECT name FROM gpkg_data_columns WHERE table_name = 'plan_communities'"
            " AND column_name = ?",
            (f"coverage_pct_{r.years[0]}",),
        ).fetchone()
    assert alias == (f"{r.years[0]}年末覆盖率(%)",)


def test_a_plan_with_a_quota_writes_plan_quotas(small, tmp_path):
    inputs, graph = small
    # the total budget alone (the small demo's budget lines set aside), as the quota test was worked out
    settings = plan_settings(inputs.scenario, budget_wan_yuan=80, time_limit_s=20, budget_lines=())
    problem = build_problem(inputs, graph=graph, settings=settings)
    o = problem.options
    free = problem.allowed & ~problem.existing & (o["type"].to_numpy() == "station")
    streets = o["street"].to_numpy()[free]
    pos = int(np.bincount(streets[streets >= 0]).argmax())  # the 街道/镇 with most station options
    code, name = str(problem.streets["code"].iat[pos]), str(problem.streets["name"].iat[pos])
    n_options = int((streets == pos).sum())
    quota = Quota(
        year=2022, unit=code, type="station", at_least=2, count_existing=False, name="两个站"
    )
    r = problem.solve(quotas=(quota,))
    q = r.quotas
    assert q["year"].tolist() == [2022, 2023, 2024, 2025]
    assert (q["unit_name"] == name).all() and (q["most_possible"] == n_options).all()
    assert (q["planned"] >= 2).all() and q["met"].all()
    # the plan's own count: its new stations inside that 街道/镇 by each year
    b = r.builds
    inside = b[(b["type"] == "station") & (b["street_code"] == code)]
    assert q["planned"].tolist() == [int((inside["year"] <= y).sum()) for y in q["year"]]
    write_plan_outputs(r, tmp_path / "plan", with_map=False)
    table = pd.read_csv(tmp_path / "plan" / "plan_quotas.csv", encoding="utf-8-sig", dtype=str)
    assert table["建设任务"].tolist() == ["两个站"] * 4 and set(table["是否达成"]) == {"达成"}
    assert table["单元代码"].tolist() == [code] * 4


def _covered_without(r) -> float:
    """Final-year older people covered by the existing facilities alone."""
    p = r.problem
    return float((p.matrix.elderly * p.growth[:, -1] * coverage_fraction(p, p.existing)).sum())


def test_demo_scenarios_load(small):
    for name in ("shapingba_style", "wanzhou_style", "jiangjin_style", "tongliang_style"):
        sc = load_scenario(ROOT / "data" / "demo" / "plans" / f"{name}.toml")
        s = plan_settings(sc)
        # 江津's annexes keep the document's years (001 §一: 社区 by 2020, 村 by 2022)
        first = 2019 if name == "jiangjin_style" else 2021
        assert s.years[0] == first and sc.output_dir().name == name
        assert all(q.unit == "" or q.unit.startswith("500199") for q in s.quotas)
        assert all(q.year in s.years for q in s.quotas)
    # the one-year plan: optimize's money (capital + five years of operating) for one period
    one = plan_settings(load_scenario(ROOT / "data" / "demo" / "plans" / "one_year.toml"))
    assert one.years == (2026,) and one.budget_basis == "commitment" and one.budgets() == [None]
    assert [(b.name, b.amounts(one)) for b in one.budget_lines] == [
        ("区级资金", [None]),
        ("市级建设补助", [None]),
    ]
    assert [b.total_wan_yuan for b in one.budget_lines] == [800, 600]
    assert math.isclose(
        plan_settings(load_scenario(ROOT / "data" / "demo" / "plans" / "tongliang_style.toml"))
        .milestones[0]
        .share,
        0.8,
    )


def test_a_plan_of_the_scenario_file_is_evaluated(small, tmp_path):
    inputs, graph = small
    cand = inputs.candidates
    row = cand[[("station" in t) for t in cand["eligible_types"]]].iloc[0]
    path = _scenario(
        tmp_path,
        '[plan]\nmode = "evaluate"\nfirst_year = 2021\nlast_year = 2023\n'
        f'[[plan.builds]]\nsite = "{row["candidate_id"]}"\ntype = "station"\nyear = 2022\n',
    )
    scenario = load_scenario(path)
    r = plan(dataclasses.replace(inputs, scenario=scenario), graph)
    assert r.status == "evaluated" and r.summary["objective"] == "evaluated"
    assert r.builds[["year", "site_id", "type"]].values.tolist() == [
        [2022, row["candidate_id"], "station"]
    ]
    tr = r.trajectory.set_index("year")
    assert tr.loc[2021, "n_new"] == 0 and tr.loc[2022, "n_new_station"] == 1
    # the station covers nobody before it is built, and keeps covering after
    assert tr.loc[2021, "coverage_pct"] == pytest.approx(tr.loc[2020, "coverage_pct"], abs=0.05)
    assert tr.loc[2023, "covered_elderly"] >= tr.loc[2022, "covered_elderly"]
    assert r.scenario_sha256 == scenario.sha256
