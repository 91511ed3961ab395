"""Each policy rule binds on a hand-made instance and changes the plan; infeasibility is explained.

Instances are built with :meth:`SitingProblem.from_cost_matrix` (a covering pair has time 0.5,
the threshold is 1) and given 街道/镇, 社区/村 and option positions by hand.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from shapely.geometry import Point

from siting.errors import InfeasibleError
from siting.model import ModelSettings, SitingProblem, coverage_fraction
from siting.model.relations import (
    community_table,
    health_distance_m,
    hub_pair_arrays,
    spacing_pairs,
)


def make(
    cover: list[list[int]],
    *,
    weights: list[float],
    types: list[str],
    costs: list[float],
    fixed: list[bool] | None = None,
    street: list[int] | None = None,
    community: list[int] | None = None,
    streets: list[tuple[str, str, str]] = (),
    communities: list[tuple[str, str, str, str]] = (),
    demand_community: list[int] | None = None,
    options: dict | None = None,
    problem: dict | None = None,
    **settings,
) -> SitingProblem:
    """A problem from a 0/1 demand × option cover table, with 街道/社区 positions."""
    cov = np.asarray(cover, dtype=bool)
    d = np.where(cov, 0.5, np.inf)
    # each rule alone: the coverage_only profile, the rule switched on by the test
    s = ModelSettings(
        **{"health_rule": "off", "mip_gap": 0.0, "profile": "coverage_only", **settings}
    )
    p = SitingProblem.from_cost_matrix(
        d,
        service_radius=1.0,
        weights=np.asarray(weights, dtype=float),
        site_costs_wan_yuan=np.asarray(costs, dtype=float),
        predefined=None if fixed is None else np.asarray(fixed),
        site_types=types,
        settings=s,
    )
    opts = p.options.copy()
    k = len(types)
    opts["street"] = street if street is not None else [-1] * k
    opts["community"] = community if community is not None else [-1] * k
    for col, values in (options or {}).items():
        opts[col] = values
    dc = np.asarray(
        demand_community if demand_community is not None else [-1] * len(weights), dtype=np.int64
    )
    com = pd.DataFrame(list(communities), columns=["code", "name", "street_code", "kind"])
    com = community_table(com, dc, p.matrix.elderly)
    st = pd.DataFrame(list(streets), columns=["code", "name", "kind"])
    return dataclasses.replace(
        p, options=opts, streets=st, communities=com, demand_community=dc, **(problem or {})
    )


def chosen(result) -> list[str]:
    return sorted(result.sites["site_id"].tolist())


# ------------------------------------------------------------------------------------------
# 一街道（镇）一中心
# ------------------------------------------------------------------------------------------

STREETS = [("500199001", "紫庙街道", "street"), ("500199002", "寿塘街道", "street")]


def center_instance(**kw) -> SitingProblem:
    # option 0: the existing center of 紫庙街道; 1: a street center for 寿塘街道 (covers 10);
    # 2: a station there (covers 200); 3: a cheap town center inside the 街道 (does not count)
    return make(
        [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 1, 0, 0]],
        weights=[100, 100, 100, 10],
        types=["street_center", "street_center", "station", "town_center"],
        costs=[0, 10, 10, 1],
        fixed=[True, False, False, False],
        street=[0, 1, 1, 1],
        streets=STREETS,
        **kw,
    )


def test_center_per_street_binds():
    free = center_instance(budget_wan_yuan=10.0).solve()
    assert chosen(free) == ["2"] and free.objective == pytest.approx(300)
    rule = center_instance(budget_wan_yuan=10.0, policies=("center_per_street",)).solve()
    assert chosen(rule) == ["1"] and rule.objective == pytest.approx(
        110
    )  # a 镇 center in a 街道 does not count


def test_center_per_street_budget_message():
    with pytest.raises(InfeasibleError) as err:
        center_instance(budget_wan_yuan=5.0, policies=("center_per_street",)).solve()
    assert (
        "budget 5.0 万元 < 10.0 万元 needed to give the 1 街道/镇 without a center one each"
        in str(err.value)
    )


def test_center_per_street_without_candidate_names_the_street():
    p = center_instance(budget_wan_yuan=50.0, policies=("center_per_street",))
    opts = p.options.copy()
    opts.loc[1, "type"] = "station"
    with pytest.raises(
        InfeasibleError,
        match=r"center_per_street: 1 街道/镇 without a center have no candidate .*寿塘街道 \(500199002\)",
    ):
        dataclasses.replace(p, options=opts).solve()


# ------------------------------------------------------------------------------------------
# 一村（社区）一站（点）, small 社区 sharing
# ------------------------------------------------------------------------------------------

COMMUNITIES = [
    ("500199001001", "东亭社区", "500199001", "community"),
    ("500199001002", "龙池社区", "500199001", "community"),
    ("500199001200", "双河村", "500199001", "village"),
]


def station_instance(**kw) -> SitingProblem:
    # points: 0 东亭 (600), 1 龙池 (200: small), 2 双河村 (300), 3 东亭 (50)
    # options: 0 existing point in 双河村; 1 station in 东亭 (covers 龙池's point and 50 in 东亭);
    # 2 station in 龙池; 3 compound point in 东亭 (covers 600)
    return make(
        [[0, 0, 0, 1], [0, 1, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]],
        weights=[600, 200, 300, 50],
        types=["village_point", "station", "station", "compound_point"],
        costs=[0, 5, 5, 5],
        fixed=[True, False, False, False],
        community=[2, 0, 1, 0],
        communities=COMMUNITIES,
        demand_community=[0, 1, 2, 0],
        **kw,
    )


def test_station_per_community_binds_and_small_community_shares():
    free = station_instance(budget_wan_yuan=5.0).solve()
    assert chosen(free) == ["3"]
    rule = station_instance(budget_wan_yuan=5.0, policies=("station_per_community",)).solve()
    # 东亭 needs its own station; 龙池 (200 < 500 older people) shares it: it reaches all of 龙池
    assert chosen(rule) == ["1"] and rule.objective == pytest.approx(550)


def test_station_per_community_without_sharing():
    p = station_instance(
        budget_wan_yuan=5.0, policies=("station_per_community",), small_community_elderly=0.0
    )
    with pytest.raises(InfeasibleError) as err:
        p.solve()
    assert (
        "budget 5.0 万元 < 10.0 万元 needed to give the 2 社区/村 without a station or point one each"
        in str(err.value)
    )
    both = p.solve(budget_wan_yuan=10.0)
    assert chosen(both) == ["1", "2"]


# ------------------------------------------------------------------------------------------
# 中心带站: hub assignment, ≤ M stations per center
# ------------------------------------------------------------------------------------------


def hub_instance(pairs: list[tuple[int, int]], **kw) -> SitingProblem:
    # 0 existing center; 1, 2 existing stations; 3 a center candidate; 4 a compound point (500)
    s_, h = zip(*pairs, strict=True)
    return make(
        [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]],
        weights=[10, 10, 10, 500],
        types=["street_center", "station", "station", "street_center", "compound_point"],
        costs=[0, 0, 0, 5, 5],
        fixed=[True, True, True, False, False],
        street=[0, 0, 0, 0, 0],
        streets=STREETS[:1],
        problem={"hub_station": np.array(s_), "hub_center": np.array(h)},
        **kw,
    )


PAIRS = [(1, 0), (2, 0), (1, 3), (2, 3)]


def test_hub_capacity_binds():
    free = hub_instance(PAIRS, budget_wan_yuan=5.0, policies=("hub",)).solve()
    assert chosen(free) == ["4"]
    assert free.hub_assignment["center_id"].tolist() == ["0", "0"]
    one = hub_instance(
        PAIRS, budget_wan_yuan=5.0, policies=("hub",), stations_per_center_max=1
    ).solve()
    assert chosen(one) == ["3"]  # the existing center may run one station only: a second center
    assert sorted(one.hub_assignment["center_id"]) == ["0", "3"]


def test_hub_reach_binds_for_new_stations():
    # a new station (5) covering 500 may open only with a center in reach
    p = make(
        [[0, 0, 1], [0, 1, 0]],
        weights=[500, 20],
        types=["street_center", "town_center", "station"],
        costs=[5, 5, 5],
        budget_wan_yuan=5.0,
        policies=("hub",),
        problem={"hub_station": np.array([2]), "hub_center": np.array([0])},
    )
    assert chosen(p.solve()) == ["1"]  # the station alone would have no center
    assert chosen(p.solve(budget_wan_yuan=10.0)) == ["0", "2"]
    assert chosen(p.solve(policies=())) == ["2"]


def test_hub_orphans_and_elastic_messages():
    with pytest.raises(
        InfeasibleError,
        match=r"hub: 1 existing stations have no center .* within 30 minutes' walk: 2 \(2\)",
    ):
        hub_instance([(1, 0), (1, 3)], budget_wan_yuan=5.0, policies=("hub",)).solve()
    # both stations have a center in reach, but only the existing one, which may run one
    with pytest.raises(InfeasibleError) as err:
        hub_instance(
            [(1, 0), (2, 0)], budget_wan_yuan=5.0, policies=("hub",), stations_per_center_max=1
        ).solve()
    text = str(err.value)
    assert "hub: 1 " in text and (
        "at most 1 stations per center" in text or "more than 1 stations" in text
    )


def test_hub_pairs_same_street_or_in_reach():
    street = np.array([0, 1, 0, 2])
    reach = csr_matrix(
        ([100.0], ([1], [1])), shape=(2, 2)
    )  # centers × stations: center 3 reaches station 1
    s_, h = hub_pair_arrays(np.array([0, 1]), np.array([2, 3]), street, reach)
    assert set(zip(s_.tolist(), h.tolist(), strict=True)) == {(0, 2), (1, 3)}


# ------------------------------------------------------------------------------------------
# centers next to health facilities
# ------------------------------------------------------------------------------------------


def health_instance(**kw) -> SitingProblem:
    # two town-center sites: the far one (900 m from a 卫生院) covers 100, the near one (100 m) 40
    return make(
        [[1, 0], [0, 1]],
        weights=[100, 40],
        types=["town_center", "town_center"],
        costs=[5, 5],
        options={"health_distance_m": [900.0, 100.0]},
        budget_wan_yuan=5.0,
        **kw,
    )


def test_health_rule_off_prefer_require():
    assert chosen(health_instance(health_rule="off").solve()) == ["0"]
    assert chosen(health_instance(health_rule="prefer", health_penalty=50.0).solve()) == [
        "0"
    ]  # 100 − 50 > 40
    assert chosen(health_instance(health_rule="prefer", health_penalty=80.0).solve()) == [
        "1"
    ]  # 100 − 80 < 40
    assert chosen(health_instance(health_rule="require", health_penalty=0.0).solve()) == ["1"]


def test_health_require_without_near_candidate_explained():
    p = make(
        [[1]],
        weights=[100],
        types=["town_center"],
        costs=[5],
        street=[0],
        streets=[("500199101", "白鹤镇", "town")],
        options={"health_distance_m": [900.0]},
        budget_wan_yuan=50.0,
        policies=("center_per_street",),
        health_rule="require",
    )
    with pytest.raises(
        InfeasibleError,
        match=r"within 500 m of their health facility \(health_rule = require\): 白鹤镇",
    ):
        p.solve()


def test_health_distance_uses_the_matching_facility():
    centers = np.array([Point(0, 0), Point(1000, 0), Point(5000, 0)], dtype=object)
    types = np.array(["street_center", "town_center", "station"], dtype=object)
    health = gpd.GeoDataFrame(
        {
            "type": [
                "community_health_center",
                "township_hospital",
                "hospital",
                "community_health_center",
            ]
        },
        geometry=[Point(100, 0), Point(1800, 0), Point(1000, 300), Point(1000, 10)],
    )
    d = health_distance_m(centers, types, health)
    # street center – 社区卫生服务中心 100 m; town center – its 卫生院 800 m, a 医院 300 m (counts for
    # both), not the 社区卫生服务中心 10 m away; a station has none
    assert d[0] == pytest.approx(100.0) and d[1] == pytest.approx(300.0) and np.isnan(d[2])


# ------------------------------------------------------------------------------------------
# spacing, maximum per type
# ------------------------------------------------------------------------------------------


def test_min_spacing_binds():
    p = make(
        [[1, 0], [0, 1]],
        weights=[100, 90],
        types=["station", "station"],
        costs=[1, 1],
        budget_wan_yuan=2.0,
    )
    assert chosen(p.solve()) == ["0", "1"]
    spaced = dataclasses.replace(p, spacing=np.array([[0, 1]]))
    assert chosen(spaced.solve()) == ["0"]
    # a candidate too close to an existing facility of its type cannot open at all
    near_existing = make(
        [[1, 0], [0, 1]],
        weights=[100, 90],
        types=["station", "station"],
        costs=[0, 1],
        fixed=[True, False],
        budget_wan_yuan=2.0,
        problem={"spacing": np.array([[0, 1]])},
    )
    assert near_existing.allowed.tolist() == [True, False]
    assert chosen(near_existing.solve()) == []


def test_spacing_pairs_from_geometry():
    geoms = np.array(
        [Point(0, 0), Point(100, 0), Point(300, 0), Point(50, 0), Point(0, 10)], dtype=object
    )
    types = np.array(["station", "station", "station", "village_point", "station"], dtype=object)
    groups = np.array([0, 1, 2, 3, 0])  # option 4 is another type at site 0: not a pair with 0
    pairs = spacing_pairs(geoms, types, groups, np.ones(5, bool), {"station": 150.0})
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (1, 4)]


def test_max_new_binds():
    p = make(
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        weights=[30, 20, 10],
        types=["station"] * 3,
        costs=[1, 1, 1],
        budget_wan_yuan=3.0,
    )
    assert chosen(p.solve()) == ["0", "1", "2"]
    assert chosen(p.solve(max_new={"station": 1})) == ["0"]


def test_max_new_contradicts_center_rule():
    with pytest.raises(
        InfeasibleError,
        match=r"max_new: street_center = 0 < 1 街道/镇 that need a new street_center",
    ):
        center_instance(
            budget_wan_yuan=50.0, policies=("center_per_street",), max_new={"street_center": 0}
        ).solve()


# ------------------------------------------------------------------------------------------
# capacities
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_capacity_binds(solver):
    # 1000 older people at one point; station 0 holds 300 (75 m² × 4), station 1 holds 1200
    p = make(
        [[1, 1]],
        weights=[1000],
        types=["station", "station"],
        costs=[1, 3],
        options={"capacity_elderly": [300.0, 1200.0]},
        budget_wan_yuan=1.0,
        solver=solver,
    )
    assert p.solve().objective == pytest.approx(1000)
    cap = p.solve(policies=("capacity",))
    assert chosen(cap) == ["0"] and cap.objective == pytest.approx(300)
    assert cap.summary["covered_after"] == pytest.approx(300)  # recomputed by the independent LP
    # the greedy plan (station 0) is not optimal here: CBC 2.10 given it as a mipstart stopped at it
    assert chosen(p.solve(policies=("capacity",), budget_wan_yuan=3.0)) == ["1"]


def test_capacitated_coverage_is_shared_between_points():
    p = make(
        [[1], [1]],
        weights=[200, 200],
        types=["station"],
        costs=[1],
        options={"capacity_elderly": [300.0]},
        budget_wan_yuan=1.0,
    )
    p = p.with_settings(policies=("capacity",))
    frac = coverage_fraction(p, np.array([True]))
    assert (frac * 200).sum() == pytest.approx(300)
    assert p.solve().objective == pytest.approx(300)


# ------------------------------------------------------------------------------------------
# upgrades and closures of existing facilities
# ------------------------------------------------------------------------------------------


def test_upgrade_is_chosen_when_it_pays():
    # an existing village point (option 0) can become a station (option 1, same site): stations
    # count within 2 (minutes scaled), village points within 1, so the upgrade reaches point 1
    p = make(
        [[1, 1, 0], [0, 0, 1]],
        weights=[100, 300],
        types=["village_point", "station", "compound_point"],
        costs=[0, 39, 50],
        options={
            "action": ["existing", "upgrade", "new"],
            "fixed": [False, False, False],
            "group": [0, 0, 1],
            "from_type": ["", "village_point", ""],
        },
        budget_wan_yuan=40.0,
        upgrades={"village_point": ("station",)},
    )
    m = p.matrix
    seconds = m.seconds.toarray()
    seconds[1, 1] = (
        1.5  # point 1 is 1.5 from the site: beyond a village point's 1, within a station's 2
    )
    threshold = m.threshold_s.copy()
    threshold[:, m.type_names.index("station")] = 2.0
    matrix = dataclasses.replace(
        m, seconds=csr_matrix(np.where(seconds > 0, seconds, 0.0)), threshold_s=threshold
    )
    p = dataclasses.replace(p, matrix=matrix)
    up = p.solve()
    assert up.sites[["site_id", "action", "type", "from_type"]].values.tolist() == [
        ["1", "upgrade", "station", "village_point"]
    ]
    assert up.objective == pytest.approx(400)
    kept = p.solve(budget_wan_yuan=30.0)  # the existing point stays as it is
    assert chosen(kept) == [] and kept.objective == pytest.approx(100)


def test_closure_frees_money():
    # point 0 is covered twice (a closable compound point 0 and a fixed station 1); a new station
    # (2, 5 万元) would reach point 1; the budget is 0 but closing 0 saves 5.2 万元
    kw = dict(
        weights=[100, 300],
        types=["compound_point", "station", "station"],
        costs=[0, 0, 5],
        fixed=[False, True, False],
        options={
            "closable": [True, False, False],
            "closure_saving_wan_yuan_per_year": [1.04, 0.0, 0.0],  # 5.2 万元 over the 5 years
            "action": ["existing", "existing", "new"],
        },
        budget_wan_yuan=0.0,
    )
    p = make([[1, 1, 0], [0, 0, 1]], **kw)
    r = p.solve()
    assert r.sites[["site_id", "action"]].values.tolist() == [["2", "new"], ["0", "close"]]
    assert r.summary["spent_wan_yuan"] == pytest.approx(-0.2)
    assert r.objective == pytest.approx(400)
    kw["options"]["closable"] = [False, False, False]
    kw["options"]["closure_saving_wan_yuan_per_year"] = [0.0, 0.0, 0.0]
    kw["fixed"] = [True, True, False]
    assert make([[1, 1, 0], [0, 0, 1]], **kw).solve().objective == pytest.approx(100)


# ------------------------------------------------------------------------------------------
# elastic explanation of targets under a budget
# ------------------------------------------------------------------------------------------


def test_elastic_names_budget_and_target():
    p = make(
        [[1, 0], [0, 1]],
        weights=[50, 50],
        types=["station", "station"],
        costs=[3, 2],
        budget_wan_yuan=3.0,
        coverage_target=1.0,
    )
    with pytest.raises(
        InfeasibleError, match=r"budget 3\.0 万元 < 5\.0 万元 needed to meet coverage target 100 %"
    ):
        p.solve()
    floors = make(
        [[1, 0], [0, 1]],
        weights=[50, 50],
        types=["station", "station"],
        costs=[3, 2],
        communities=COMMUNITIES[:2],
        demand_community=[0, 1],
        objective="min_cost",
        coverage_target=0.0,
        community_floor=0.5,
    )
    assert floors.solve().objective == pytest.approx(5.0)  # each community needs its own
    unreachable = make(
        [[1, 0], [0, 0]],
        weights=[50, 50],
        types=["station", "station"],
        costs=[3, 2],
        communities=COMMUNITIES[:2],
        demand_community=[0, 1],
        objective="min_cost",
        coverage_target=0.0,
        community_floor=0.5,
    )
    with pytest.raises(
        InfeasibleError, match=r"community_floor 50 %: 1 社区/村 cannot reach it .*龙池社区 \(0 %\)"
    ):
        unreachable.solve()
