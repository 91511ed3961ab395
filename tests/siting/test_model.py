"""The one siting model: the documents' rules one by one, their gaps and reasons, the priorities,
money after the plan, the rules in plans, bad input, and a one-year plan against optimize.

Hand instances are built with :meth:`SitingProblem.from_cost_matrix` (a covering pair has time 0.5,
the threshold is 1) and given 街道/镇, 社区/村 and option positions by hand; every expected figure
below is worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.errors import InfeasibleError, ScenarioError
from siting.model import Milestone, ModelSettings, PlannedBuild, Quota, SitingProblem
from siting.model.relations import community_table
from siting.model.rules import active_rules, eligibility
from siting.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"

STREETS = [("500199001", "紫庙街道", "street"), ("500199101", "石亭镇", "town")]
COMMUNITIES = [
    ("500199001001", "东亭社区", "500199001", "community"),
    ("500199001002", "龙池社区", "500199001", "community"),
    ("500199101200", "双河村", "500199101", "village"),
]


def make(
    cover: list[list[int]],
    *,
    weights: list[float],
    types: list[str],
    costs: list[float],
    street: list[int],
    community: list[int],
    demand_community: list[int],
    fixed: list[bool] | None = None,
    area: list[float] | None = None,
    **settings,
) -> SitingProblem:
    cov = np.asarray(cover, dtype=bool)
    s = ModelSettings(**{"health_rule": "off", "mip_gap": 0.0, **settings})
    p = SitingProblem.from_cost_matrix(
        np.where(cov, 0.5, np.inf),
        service_radius=1.0,
        weights=np.asarray(weights, dtype=float),
        site_costs_wan_yuan=np.asarray(costs, dtype=float),
        predefined=None if fixed is None else np.asarray(fixed),
        site_types=types,
        settings=s,
    )
    opts = p.options.copy()
    opts["street"] = street
    opts["community"] = community
    if area is not None:
        opts["floor_area_given_m2"] = area
    dc = np.asarray(demand_community, dtype=np.int64)
    com = community_table(
        pd.DataFrame(COMMUNITIES, columns=["code", "name", "street_code", "kind"]),
        dc,
        p.matrix.elderly,
    )
    st = pd.DataFrame(STREETS, columns=["code", "name", "kind"])
    return dataclasses.replace(p, options=opts, streets=st, communities=com, demand_community=dc)


def chosen(result) -> list[str]:
    return sorted(result.sites["site_id"].tolist())


# ------------------------------------------------------------------------------------------
# eligibility: types by unit kind, size standards
# ------------------------------------------------------------------------------------------


def fit_instance(**kw) -> SitingProblem:
    # options: 0 a village point in 东亭社区; 1 a village point in 双河村; 2 a station in 双河村;
    # 3 a compound point in 双河村; 4 a town center in 紫庙街道 (a 街道); 5 a street center there
    return make(
        [[1, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]],
        weights=[100, 200, 1],
        types=[
            "village_point",
            "village_point",
            "station",
            "compound_point",
            "town_center",
            "street_center",
        ],
        costs=[1, 1, 1, 1, 1, 1],
        street=[0, 1, 1, 1, 0, 0],
        community=[0, 2, 2, 2, 1, 1],
        demand_community=[0, 2, 1],
        **kw,
    )


def test_types_stand_only_where_they_fit_their_unit():
    el = eligibility(fit_instance(budget_wan_yuan=10.0))
    # a village point in a 社区, a station or compound point in a 村, a town center in a 街道: no
    assert el.allowed.tolist() == [False, True, False, False, False, True]
    assert el.reason.tolist() == [
        "type_not_fit",
        "",
        "type_not_fit",
        "type_not_fit",
        "type_not_fit",
        "",
    ]
    # coverage_only: every type anywhere (today's studies)
    assert eligibility(fit_instance(budget_wan_yuan=10.0, profile="coverage_only")).allowed.all()


def test_size_standards_of_001_annex_1():
    # stations in 东亭社区 (600 older people) and 龙池社区 (400: "few", < 500): 300 / 200 m²;
    # centers: street ≥ 1500 m², town ≥ 800 m²; an unknown area is taken to meet the standard
    p = make(
        [[1, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 1]],
        weights=[600, 400, 10],
        types=[
            "station",
            "station",
            "station",
            "street_center",
            "street_center",
            "town_center",
            "station",
        ],
        costs=[1] * 7,
        street=[0, 0, 0, 0, 0, 1, 0],
        community=[0, 0, 1, 0, 0, 2, 0],
        demand_community=[0, 1, 2],
        area=[299.0, 300.0, 250.0, 1499.0, 1500.0, 799.0, np.nan],
        budget_wan_yuan=10.0,
    )
    el = eligibility(p)
    assert el.allowed.tolist() == [False, True, True, False, True, False, True]
    assert set(el.reason[~el.allowed]) == {"below_size"}


# ------------------------------------------------------------------------------------------
# 一街道（镇）一中心, 一社区一站, 一村一点: soft, with gaps and their reasons
# ------------------------------------------------------------------------------------------


def gap_instance(**kw) -> SitingProblem:
    # points: 0 东亭 (300), 1 龙池 (600), 2 双河村 (50), 3 东亭 (400)
    # options: 0 a street center for 紫庙街道 (cost 8, covers 东亭's 300)
    #          1 a station in 龙池 of 250 m² (below 300 m²: 龙池 has 600 older people)
    #          2 a village point in 双河村 (cost 1, covers 50)
    #          3 a compound point in 东亭 (cost 1, covers 东亭's 400): not a station
    # 石亭镇 has no town-center candidate; 东亭 has no station candidate
    return make(
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        weights=[300, 600, 50, 400],
        types=["street_center", "station", "village_point", "compound_point"],
        costs=[8, 1, 1, 1],
        street=[0, 0, 1, 0],
        community=[0, 1, 2, 0],
        demand_community=[0, 1, 2, 0],
        area=[np.nan, 250.0, np.nan, np.nan],
        small_community_elderly=500.0,
        **kw,
    )


def test_rules_first_then_coverage_and_every_gap_has_its_reason():
    r = gap_instance(budget_wan_yuan=2.0).solve()
    # units: 紫庙街道 (center), 石亭镇 (center), 东亭, 龙池 (stations), 双河村 (point). With 2 万元
    # the rules stage serves one unit: 双河村's point (1); the street center (8) is out of budget.
    # Then coverage: the compound point (1) adds 东亭's 400 older people.
    assert chosen(r) == ["2", "3"]  # the village point, the compound point
    assert r.stages[0]["stage"] == "rules" and r.stages[0]["objective"] == pytest.approx(4.0)
    assert r.summary["covered_after"] == pytest.approx(450.0)
    gaps = r.gaps.set_index("name")
    assert gaps.loc["紫庙街道", "reason"] == "out_of_budget"
    assert gaps.loc["石亭镇", "reason"] == "no_candidate"
    assert gaps.loc["龙池社区", "reason"] == "candidate_too_small"
    assert "250 m²" in gaps.loc["龙池社区", "detail"]
    # 东亭 has a compound-point candidate, but a compound point is not a 社区's station
    assert gaps.loc["东亭社区", "reason"] == "no_candidate"
    assert (
        "小区" not in gaps.loc["东亭社区", "detail"]
        and "compound_point" in gaps.loc["东亭社区", "detail"]
    )
    assert len(r.gaps) == 4 and r.summary["n_gaps"] == 4
    assert set(r.gaps["source"]) == {"001 §二(一); 003 任务8", "001 §二(一)、附件1; 003 任务8"}


def test_the_rules_take_the_money_before_coverage():
    # with 9 万元 the street center (8) serves 紫庙街道 and the point (1) 双河村: two units; the
    # compound point's 400 older people would need money the rules already hold
    r = gap_instance(budget_wan_yuan=9.0).solve()
    assert chosen(r) == ["0", "2"]  # the street center, the village point
    assert r.summary["covered_after"] == pytest.approx(350.0)
    # coverage and money alone: no size standard either, so the 250 m² station (1) counts:
    # 1 + 2 + 3 cost 3 and cover 600 + 50 + 400 = 1,050; the center and the station cover 900
    free = gap_instance(budget_wan_yuan=9.0, profile="coverage_only").solve()
    assert chosen(free) == ["1", "2", "3"]
    assert free.summary["covered_after"] == pytest.approx(1050.0) and len(free.gaps) == 0


def test_a_hard_rule_with_a_unit_it_cannot_serve_is_refused_naming_it():
    with pytest.raises(
        InfeasibleError,
        match=r"1 街道/镇 without a center have no candidate .*石亭镇 \(500199101\)",
    ):
        gap_instance(budget_wan_yuan=20.0, policies=("center_per_street",)).solve()


def test_a_village_point_in_a_community_is_not_its_station():
    # an existing village point stands in 东亭社区: 东亭 still needs its station (a unit of the rule),
    # 双河村 does not need a point (a village point there would be its point)
    p = make(
        [[1, 0], [0, 1], [0, 0]],
        weights=[100, 100, 100],
        types=["village_point", "station"],
        costs=[0, 5],
        fixed=[True, False],
        street=[0, 0],
        community=[0, 0],
        demand_community=[0, 1, 2],
        budget_wan_yuan=10.0,
    )
    units = {
        type(r).__name__: [u.name for u in r.units(p)]
        for r in active_rules(p)
        if hasattr(r, "units")
    }
    assert units["StationPerUnit"] == ["东亭社区", "龙池社区", "双河村"]
    r = p.solve()
    assert chosen(r) == ["1"]
    assert r.communities.set_index("name")["own_station_after"].to_dict() == {
        "东亭社区": True,
        "龙池社区": False,
        "双河村": False,
    }


def test_hub_report_lists_stations_no_center_can_run():
    # the documents profile reports 中心带站 (001 §二(三)): a station with no center in its 街道/镇
    p = make(
        [[1, 0], [0, 1], [0, 0]],
        weights=[100, 100, 1],
        types=["station", "station"],
        costs=[0, 1],
        fixed=[True, False],
        street=[0, 0],
        community=[0, 1],
        demand_community=[0, 1, 2],
        budget_wan_yuan=1.0,
    )
    r = p.solve()
    hub = r.gaps[r.gaps["rule"] == "stations_per_center"]
    assert sorted(hub["code"]) == ["0", "1"] and set(hub["reason"]) == {"no_center_in_reach"}


# ------------------------------------------------------------------------------------------
# money after the plan; the rules in plans
# ------------------------------------------------------------------------------------------


def test_building_in_the_last_year_is_not_made_cheaper():
    # one site: capital 10, operating 2 a year; a 3-year plan, commitment 5 years: built in 2021 or
    # 2023 it costs 10 + 5 × 2 = 20 in all; the cash paid inside the plan is 16 or 12
    settings = ModelSettings(
        years=(2021, 2022, 2023), objective="elderly_years", growth="none", budget_wan_yuan=100.0
    )
    p = SitingProblem.from_cost_matrix(
        np.array([[0.5]]),
        service_radius=1.0,
        site_costs_wan_yuan=np.array([10.0]),
        operating_wan_yuan_per_year=np.array([2.0]),
        settings=settings,
    )
    early = p.evaluate([PlannedBuild("0", "station", 2021)]).summary
    late = p.evaluate([PlannedBuild("0", "station", 2023)]).summary
    assert early["total_cost_wan_yuan"] == pytest.approx(20.0) == late["total_cost_wan_yuan"]
    assert early["cash_in_plan_wan_yuan"] == pytest.approx(16.0)
    assert late["cash_in_plan_wan_yuan"] == pytest.approx(12.0)
    assert late["committed_after_plan_wan_yuan"] == pytest.approx(8.0)


def test_spacing_and_hub_hold_in_plans_too():
    # two stations 0, 1 closer than their spacing, each covering 100; a 2-year plan, 1 万元 a year
    settings = ModelSettings(
        years=(2021, 2022), objective="elderly_years", growth="none", budget_wan_yuan=1.0
    )
    p = SitingProblem.from_cost_matrix(
        np.array([[0.5, np.inf], [np.inf, 0.5]]),
        service_radius=1.0,
        weights=np.array([100.0, 100.0]),
        settings=settings,
    )
    both = p.solve()
    assert both.summary["n_new_sites"] == 2  # one a year
    spaced = dataclasses.replace(p, spacing=np.array([[0, 1]])).solve()
    assert spaced.summary["n_new_sites"] == 1
    # hub: a station needs a center within reach; the only center (2) costs 1 and reaches station 0
    p3 = SitingProblem.from_cost_matrix(
        np.array([[0.5, np.inf, np.inf], [np.inf, 0.5, np.inf], [np.inf, np.inf, 0.5]]),
        service_radius=1.0,
        weights=np.array([100.0, 100.0, 1.0]),
        site_types=["station", "station", "street_center"],
        settings=dataclasses.replace(settings, policies=("hub",)),
    )
    p3 = dataclasses.replace(p3, hub_station=np.array([0]), hub_center=np.array([2]))
    r = p3.solve()
    assert sorted(r.sites["site_id"]) == ["0", "2"]  # station 1 has no center: not built
    assert r.hub_assignment[["station_id", "center_id"]].values.tolist() == [["0", "2"]]


def test_closing_a_site_frees_money_in_a_plan():
    # an existing compound point (0) covers point 0, as does a fixed station (1); closing 0 saves
    # 1.2 a year; a new station (2, capital 1) would reach point 1. Budget 0 each year.
    settings = ModelSettings(
        years=(2021, 2022), objective="elderly_years", growth="none", budget_wan_yuan=0.0,
        closable_types=("compound_point",), profile="coverage_only",
    )  # fmt: skip
    p = SitingProblem.from_cost_matrix(
        np.array([[0.5, 0.5, np.inf], [np.inf, np.inf, 0.5]]),
        service_radius=1.0,
        weights=np.array([100.0, 300.0]),
        site_costs_wan_yuan=np.array([0.0, 0.0, 1.0]),
        predefined=np.array([True, True, False]),
        site_types=["compound_point", "station", "station"],
        settings=settings,
    )
    opts = p.options.copy()
    opts.loc[0, ["fixed", "closable", "closure_saving_wan_yuan_per_year"]] = [False, True, 1.2]
    r = dataclasses.replace(p, options=opts).solve()
    # 2021: close 0 (saves 1.2), build 2 (1.0): spend −0.2; 2022: −1.2
    assert r.sites[["site_id", "action", "year"]].values.tolist() == [
        ["2", "new", 2021],
        ["0", "close", 2021],
    ]
    assert r.trajectory["spend_wan_yuan"].tolist() == pytest.approx([0.0, -0.2, -1.2])


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# quotas: at least N facilities of a type in a unit by a year (001 附件2、3)
# ------------------------------------------------------------------------------------------


def quota_instance(*quotas: Quota, budget: float = 1.0, **kw) -> SitingProblem:
    # three stations, each 1 万元 (no operating), one a year with a budget of 1 万元 a year:
    # 0 in 东亭社区 (紫庙街道) covers 10, 1 in 龙池社区 (紫庙街道) covers 20, 2 in 双河村 (石亭镇)
    # covers 100; coverage and money alone, so that only the quota rules the places
    return make(
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        weights=[10, 20, 100],
        types=["station"] * 3,
        costs=[1, 1, 1],
        street=[0, 0, 1],
        community=[0, 1, 2],
        demand_community=[0, 1, 2],
        years=(2021, 2022, 2023),
        budget_wan_yuan=budget,
        growth="none",
        objective="elderly_years",
        profile="coverage_only",
        quotas=quotas,
        **kw,
    )


def builds(result) -> list[list]:
    return sorted(result.builds[["year", "site_id"]].values.tolist())


def test_a_quota_decides_where_and_by_when():
    # without it: 双河村 (100) first, then 龙池 (20), then 东亭 (10): 100·3 + 20·2 + 10 = 350
    free = quota_instance().solve()
    assert builds(free) == [[2021, "2"], [2022, "1"], [2023, "0"]]
    assert free.summary["elderly_years_covered"] == pytest.approx(350.0)
    # two stations in 紫庙街道 by 2022: 龙池 in 2021, 东亭 in 2022, 双河村 only in 2023:
    # 20 + 30 + 130 = 180
    q = Quota(year=2022, unit="500199001", type="station", at_least=2, name="紫庙街道2个站")
    r = quota_instance(q).solve()
    assert builds(r) == [[2021, "1"], [2022, "0"], [2023, "2"]]
    assert r.summary["elderly_years_covered"] == pytest.approx(180.0)
    assert r.stages[0]["stage"] == "rules" and r.stages[0]["objective"] == pytest.approx(0.0)
    table = r.quotas
    assert table[["year", "required", "planned", "built", "met"]].values.tolist() == [
        [2022, 2, 2, 2, True],
        [2023, 2, 2, 2, True],
    ]
    assert len(r.gaps) == 0
    # the display table of plan_quotas.csv
    from siting.reports import plan_frames

    shown = plan_frames(r)["plan_quotas"]
    assert shown["建设任务"].tolist() == ["紫庙街道2个站"] * 2 and shown["是否达成"].tolist() == [
        "达成",
        "达成",
    ]


def test_existing_facilities_count_unless_the_quota_counts_builds_only():
    # an existing station (3) in 东亭社区: two stations in 紫庙街道 by 2022 need one new one
    def with_existing(count_existing: bool) -> SitingProblem:
        q = Quota(
            year=2022, unit="500199001", type="station", at_least=2, count_existing=count_existing
        )
        return make(
            [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]],
            weights=[10, 20, 100],
            types=["station"] * 4,
            costs=[1, 1, 1, 0],
            fixed=[False, False, False, True],
            street=[0, 0, 1, 0],
            community=[0, 1, 2, 0],
            demand_community=[0, 1, 2],
            years=(2021, 2022, 2023),
            budget_wan_yuan=1.0,
            growth="none",
            objective="elderly_years",
            profile="coverage_only",
            quotas=(q,),
        )

    # existing counted: 双河村 in 2021, 龙池 in 2022 (the quota's second), 东亭 (covered already) never
    r = with_existing(True).solve()
    assert builds(r) == [[2021, "2"], [2022, "1"]]
    assert r.quotas.iloc[0][["required", "planned", "existing", "built"]].tolist() == [2, 2, 1, 1]
    # builds only: both stations of 紫庙街道 by 2022, 双河村 in 2023
    r = with_existing(False).solve()
    assert builds(r) == [[2021, "1"], [2022, "0"], [2023, "2"]]
    assert r.quotas.iloc[0][["required", "planned", "existing", "built"]].tolist() == [2, 2, 1, 2]


def test_an_unreachable_quota_is_a_gap_with_its_reason_and_the_rest_is_planned():
    # three stations in 紫庙街道: it has two candidates
    q = Quota(
        year=2022, unit="500199001", type="station", at_least=3, name="三个站", source="001 附件2"
    )
    r = quota_instance(q).solve()
    assert r.status == "optimal"
    assert builds(r) == [[2021, "1"], [2022, "0"], [2023, "2"]]
    assert r.stages[0]["objective"] == pytest.approx(1.0)  # one station short
    gap = r.gaps.iloc[0]
    assert (gap["rule"], gap["code"], gap["needs"], gap["reason"]) == (
        "quota",
        "500199001",
        "station",
        "too_few_candidates",
    )
    assert "需 3 个，规划 2 个" in gap["detail"] and "可作该类型的点位 2 个" in gap["detail"]
    assert gap["source"] == "001 附件2"
    assert r.quotas["met"].tolist() == [False, False]
    assert set(r.quotas["reason"]) == {"too_few_candidates"}
    # two by 2021 with 1 万元 a year: the money reaches one (龙池, the larger), the rest follows:
    # 20 + 120 + 130 = 270
    r = quota_instance(Quota(year=2021, unit="500199001", type="station", at_least=2)).solve()
    assert builds(r) == [[2021, "1"], [2022, "2"], [2023, "0"]]
    assert r.summary["elderly_years_covered"] == pytest.approx(270.0)
    assert r.gaps["reason"].tolist() == ["out_of_budget"]
    assert r.quotas[["year", "planned", "met"]].values.tolist() == [
        [2021, 1, False],
        [2022, 1, False],  # 2022's money went to 双河村
        [2023, 2, True],
    ]


def test_a_hard_quota_that_cannot_be_met_is_explained():
    with pytest.raises(InfeasibleError) as info:
        quota_instance(
            Quota(year=2022, unit="500199001", type="station", at_least=3, hard=True)
        ).solve()
    msg = str(info.value)
    assert "plan 'plan' cannot meet its quotas" in msg
    assert "plan.quota[0]: 紫庙街道 (500199001), at least 3 station facilities by 2022" in msg
    assert "the unit has 2 eligible station option(s) (0 of them existing), 3 required" in msg
    # enough candidates, not enough money: the elastic re-solve names the budget and the amount
    with pytest.raises(
        InfeasibleError, match=r"budget 2021 \(1\.0 万元\): meeting the rules needs 1\.0 万元 more"
    ):
        quota_instance(
            Quota(year=2021, unit="500199001", type="station", at_least=2, hard=True)
        ).solve()


def test_a_cap_holds_in_its_year():
    # at most 0 stations in 紫庙街道 in 2021, 2 万元 a year: 2021 only 双河村 (the second 万元
    # lapses), 2022 both of 紫庙街道: 100 + 130 + 130 = 360 (without the cap 120 + 130 + 130)
    cap = Quota(year=2021, unit="500199001", type="station", at_least=0, at_most=0)
    r = quota_instance(cap, budget=2.0).solve()
    assert builds(r) == [[2021, "2"], [2022, "0"], [2022, "1"]]
    assert r.summary["elderly_years_covered"] == pytest.approx(360.0)
    free = quota_instance(budget=2.0).solve()
    assert free.summary["elderly_years_covered"] == pytest.approx(380.0)
    # an evaluated plan over the cap is reported, not refused
    over = quota_instance(cap, budget=2.0).evaluate([PlannedBuild("0", "station", 2021)])
    assert over.quotas.iloc[0][["planned", "met", "reason"]].tolist() == [1, False, "over_cap"]


def test_a_whole_district_quota_and_a_community_quota():
    # the district: 3 stations by 2023 (one a year, all of them); 双河村: 1 by 2021
    r = quota_instance(
        Quota(year=2023, type="station", at_least=3),
        Quota(year=2021, unit="500199101200", type="station", at_least=1),
    ).solve()
    assert builds(r) == [[2021, "2"], [2022, "1"], [2023, "0"]]
    assert r.quotas.groupby("quota")["unit_name"].first().tolist() == ["全区", "双河村"]
    assert r.quotas["met"].all()


def test_the_same_programme_as_another_plan():
    from siting.plan import programme_quotas

    # the fixed plan: 东亭 (10) in 2021, 双河村 (100) in 2022: 10 + 110 + 110 = 230 elderly-years
    problem = quota_instance()
    fixed = problem.evaluate(
        [PlannedBuild("0", "station", 2021), PlannedBuild("2", "station", 2022)]
    )
    assert fixed.summary["elderly_years_covered"] == pytest.approx(230.0)
    # same programme in the district (1, 2, 2 stations by 2021, 2022, 2023): 双河村 first, then
    # 龙池 (20): 100 + 120 + 120 = 340, and nothing in 2023 although the money would allow it
    same = programme_quotas(fixed)
    assert [(q.year, q.at_least, q.at_most) for q in same if q.type == "station"] == [
        (2021, 1, 1),
        (2022, 2, 2),
        (2023, 2, 2),
    ]
    # the other build types: none, every year
    assert {(q.at_least, q.at_most) for q in same if q.type != "station"} == {(0, 0)}
    r = problem.solve(quotas=same)
    assert builds(r) == [[2021, "2"], [2022, "1"]]
    assert r.summary["elderly_years_covered"] == pytest.approx(340.0)
    # and per unit: 紫庙街道 keeps one station from 2021 on, so 2021's is 龙池 (20), 2022's 双河村:
    # 20 + 120 + 120 = 260
    same = programme_quotas(fixed, units=[("500199001", "station", True)])
    r = problem.solve(quotas=same)
    assert builds(r) == [[2021, "1"], [2022, "2"]]
    assert r.summary["elderly_years_covered"] == pytest.approx(260.0)
    assert r.quotas["met"].all()


def test_bad_quotas_name_the_key_and_the_value():
    with pytest.raises(ScenarioError) as info:
        quota_instance(Quota(year=2030, unit="500199001", type="statio", at_least=-2))
    text = str(info.value)
    assert "'plan.quota[0].year': quota year 2030 is outside the plan years 2021–2023" in text
    assert "'plan.quota[0].type': unknown facility type 'statio'" in text
    assert "'plan.quota[0].at_least': at_least must be a whole number >= 0, got -2" in text
    with pytest.raises(
        ScenarioError, match=r"'plan\.quota\[0\]\.at_most': at_most = 1 < at_least = 2"
    ):
        quota_instance(Quota(year=2021, type="station", at_least=2, at_most=1))
    with pytest.raises(
        ScenarioError,
        match=r"'plan\.quota\[1\]\.unit': quota unit '500199999' is not a 街道/镇 or 社区/村",
    ):
        quota_instance(
            Quota(year=2021, type="station", at_least=1),
            Quota(year=2021, unit="500199999", type="station", at_least=1),
        ).solve()


def test_an_unknown_profile_or_type_is_named():
    with pytest.raises(ScenarioError) as err:
        ModelSettings(budget_wan_yuan=1.0, profile="docs", max_new={"centre": 1})
    text = str(err.value)
    assert "'rules.profile': unknown profile 'docs'" in text
    assert "'rules.max_new.centre': unknown facility type 'centre'" in text


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n' + textwrap.dedent(text),
        encoding="utf-8",
    )
    return path


def test_a_rule_left_in_optimize_says_where_it_moved(tmp_path):
    from siting.optimize import optimize_settings

    path = _scenario(tmp_path, "[optimize]\npolicies = ['hub']\n")
    with pytest.raises(
        ScenarioError,
        match=r"'optimize\.policies': 'optimize\.policies' is a rule: it moved to \[rules\]",
    ):
        optimize_settings(load_scenario(path))
    path = _scenario(tmp_path, "[plan]\nbuild_types = ['station']\n")
    with pytest.raises(
        ScenarioError, match=r"'plan\.build_types' is a rule: it moved to \[rules\]"
    ):
        load_scenario(path)


def test_standards_that_exclude_every_candidate_are_refused_and_nothing_is_written(tmp_path):
    path = _scenario(
        tmp_path,
        f"""
        [output]
        dir = "{(tmp_path / "out").as_posix()}"
        [rules]
        build_types = ["station"]
        station_min_m2 = 100000
        """,
    )
    run = subprocess.run(
        [sys.executable, "-m", "siting.cli", "optimize", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "no candidate may open anywhere" in out
    assert "below the size standard" in out and "rules.station_min_m2" in out
    assert "type not among the plan's build types" in out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ------------------------------------------------------------------------------------------
# one model: a one-year plan is siting optimize
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.walking import walking_graph

    inputs = load_inputs(load_scenario(SMALL))
    graph = walking_graph(inputs)
    return inputs, graph, compute_coverage(inputs, graph)


def test_a_one_year_plan_equals_optimize(small, tmp_path):
    from siting.optimize import optimize, optimize_settings
    from siting.plan import plan, plan_settings

    inputs, graph, cov = small
    # the small demo's budget lines: 区级 60 万元 a year (300 over the 5-year period), 市级
    # construction subsidies up to 225 万元; a total cap of 280 on top
    one = optimize(
        inputs, cov, optimize_settings(inputs.scenario, budget_wan_yuan=280.0), graph=graph
    )
    path = _scenario(
        tmp_path,
        """
        [plan]
        first_year = 2026
        last_year = 2026
        objective = "max_coverage"
        growth = "none"
        budget_basis = "commitment"
        budget_wan_yuan = 280
        [[budget.line]]
        name = "区级资金"
        level = "district"
        total_wan_yuan = 300
        [[budget.line]]
        name = "市级建设补助"
        kind = "capital"
        level = "municipal"
        total_wan_yuan = 225
        """,
    )
    scenario = load_scenario(path)
    yearly = plan(
        dataclasses.replace(inputs, scenario=scenario), graph, plan_settings(scenario), coverage=cov
    )
    assert yearly.status == one.status == "optimal"
    assert yearly.sites["option_id"].tolist() == one.sites["option_id"].tolist()
    for key in (
        "spent_wan_yuan",
        "total_cost_wan_yuan",
        "covered_before",
        "covered_after",
        "weighted_after",
        "n_gaps",
        "spend_municipal_wan_yuan",  # capital only: paid in the one year as in the one period
    ):
        assert yearly.summary[key] == pytest.approx(one.summary[key]), key
    # every budget row holds the same money (the plan's cash is one year of operating, the
    # commitment basis counts the five years as optimize does)
    assert yearly.budget["spend_wan_yuan"].tolist() == pytest.approx(
        one.budget["spend_wan_yuan"].tolist()
    )
    assert (
        yearly.gaps[["rule", "code", "reason"]].values.tolist()
        == one.gaps[["rule", "code", "reason"]].values.tolist()
    )
    # the indicators after the plan are recomputed from the chosen sites, the same in both
    a, b = one.indicators.frame(), yearly.indicators.frame()
    assert a["value"].tolist() == pytest.approx(b["value"].tolist(), nan_ok=True)
    # and they agree with the model's own counts: 社区/村 served = all − gaps of the station rule
    served = one.indicators["station_per_community"].numbers["served"]
    assert served == len(inputs.communities) - one.summary["gaps_station_per_community"]


def test_capacity_holds_in_every_plan_year():
    # one station (capacity 60 older people) near two homes of 50 each; 10 %/yr growth: it serves
    # 60 of the 110 in 2021 and 60 of the 121 in 2022 (capacity binds, coverage is shared)
    settings = ModelSettings(
        years=(2021, 2022), objective="elderly_years", growth=0.1, base_year=2020,
        budget_wan_yuan=1.0, policies=("capacity",),
    )  # fmt: skip
    p = SitingProblem.from_cost_matrix(
        np.array([[0.5], [0.5]]),
        service_radius=1.0,
        weights=np.array([50.0, 50.0]),
        settings=settings,
    )
    opts = p.options.copy()
    opts["capacity_elderly"] = 60.0
    r = dataclasses.replace(p, options=opts).solve()
    assert r.trajectory["covered_elderly"].tolist() == pytest.approx([0.0, 60.0, 60.0])
    assert r.summary["elderly_years_covered"] == pytest.approx(120.0)


def test_a_plan_longer_than_the_commitment_pays_every_year_it_runs():
    # 10 plan years, commitment 5: a site (capital 1, operating 1 a year) needed by 2030 costs
    # 1 + max(5, years run) — 6 whenever it opens in 2026 or later, 11 in 2021; never 2 (built last)
    s = ModelSettings(
        years=tuple(range(2021, 2031)), objective="min_cost", growth="none", profile="coverage_only",
        health_rule="off", milestones=(Milestone(year=2030, share=1.0),),
    )  # fmt: skip
    p = SitingProblem.from_cost_matrix(
        np.array([[0.5]]),
        service_radius=1.0,
        weights=np.array([10.0]),
        site_costs_wan_yuan=np.array([1.0]),
        operating_wan_yuan_per_year=np.array([1.0]),
        settings=s,
    )
    r = p.solve()
    assert r.summary["total_cost_wan_yuan"] == pytest.approx(6.0)
    # among the plans costing 6, the most elderly-years: open in 2026, the earliest year at that cost
    assert r.sites["year"].tolist() == [2026]
    assert p.evaluate([PlannedBuild("0", "station", 2030)]).summary[
        "total_cost_wan_yuan"
    ] == pytest.approx(6.0)
    assert p.evaluate([PlannedBuild("0", "station", 2021)]).summary[
        "total_cost_wan_yuan"
    ] == pytest.approx(11.0)
