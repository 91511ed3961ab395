"""Priority-group demand weights placed where the roster's people live (POLICY_RULES §5).

Every expected figure is worked out by hand in the comments; the demo test checks the total against
an independent count of the roster per community.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from siting.coverage import compute_coverage
from siting.demand import DemandWeights, build_demand, place_demand
from siting.errors import ScenarioError
from siting.io import load_inputs
from siting.model import ModelSettings, SitingProblem
from siting.pipeline import uncovered_points
from siting.scenario import load_scenario
from siting.tables import write_coverage_tables
from tests.isochrones.helpers import CRS, ORIGIN
from tests.siting.test_coverage import district

OX, OY = ORIGIN
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo" / "scenario.toml"
C1, C2 = "500199001001", "500199001002"
WEIGHTS = DemandWeights(
    weight_80p=2.0, weight_disabled=2.0, weight_extreme_poor=3.0, weight_living_alone=3.0
)
MARKER = "ZQX-WEIGHT-5521"


def P(x: float, y: float) -> shapely.Point:
    return shapely.Point(OX + x, OY + y)


def two_communities() -> gpd.GeoDataFrame:
    """C1 (0–1 km) and C2 (1–2 km), side by side."""
    return gpd.GeoDataFrame(
        {
            "row": [1, 2],
            "code": [C1, C2],
            "name": ["一社区", "二社区"],
            "street_code": ["500199001", "500199001"],
            "kind": ["community", "community"],
            "pop_total": [2000.0, 1000.0],
            "pop_60p": [100.0, 50.0],
            "pop_80p": [10.0, 5.0],
            "n_disabled": [4.0, 0.0],
            "n_extreme_poor": [0.0, 0.0],
            "n_living_alone": [2.0, 0.0],
        },
        geometry=[
            box(OX, OY, OX + 1000, OY + 1000),
            box(OX + 1000, OY, OX + 2000, OY + 1000),
        ],
        crs=CRS,
    )


def three_buildings() -> gpd.GeoDataFrame:
    """b1 (30 households) and b2 (10) in C1, b3 (20) in C2."""
    return gpd.GeoDataFrame(
        {"row": [2, 3, 4], "households": [30.0, 10.0, 20.0]},
        geometry=[P(200, 500), P(800, 500), P(1500, 500)],
        crs=CRS,
    )


def roster(people: list[tuple]) -> gpd.GeoDataFrame:
    """Roster rows (person_id, age, group, community_code, x, y); x None: no coordinates."""
    return gpd.GeoDataFrame(
        {
            "row": np.arange(2, len(people) + 2),
            "person_id": [p[0] for p in people],
            "age": [float(p[1]) for p in people],
            "group": [p[2] for p in people],
            "community_code": [p[3] for p in people],
        },
        geometry=[None if p[4] is None else P(p[4], p[5]) for p in people],
        crs=CRS,
    )


THREE = [
    ("R1", 85, "disabled", C1, 790.0, 510.0),  # next to b2; 80+ too
    ("R2", 70, "extreme_poor", "", 1400.0, 400.0),  # no code: the polygon holding them, C2
    ("R3", 65, "living_alone", C1, 1100.0, 500.0),  # code C1, point in C2: C1's nearest, b2
]


def test_three_roster_people_weigh_at_their_homes_and_the_rest_is_spread():
    d = place_demand(
        two_communities(), buildings=three_buildings(), weights=WEIGHTS, roster=roster(THREE)
    )
    pts = d.points
    # elderly: C1's 100 by households 30:10 → 75, 25; C2's 50 on b3
    assert pts["elderly"].tolist() == pytest.approx([75.0, 25.0, 50.0])
    # C1, per group (n = count, r = roster): spread (w − 1)(n − r) with shares 0.75/0.25,
    # plus (w − 1) at each roster person's home
    #   disabled     n 4,  r 1 (R1 at b2): 1·3 spread (2.25, 0.75), 1 at b2
    #   80+          n 10, r 1 (R1):       1·9 spread (6.75, 2.25), 1 at b2
    #   living alone n 2,  r 1 (R3 at b2): 2·1 spread (1.5, 0.5),   2 at b2
    #   b1 = 75 + 2.25 + 6.75 + 1.5 = 85.5;  b2 = 25 + 0.75 + 2.25 + 0.5 + 1 + 1 + 2 = 32.5
    # C2: 80+ n 5, r 0: 5 spread; 特困 n 0 but r 1 (R2): the roster wins, 2 at b3 → 50 + 5 + 2 = 57
    assert pts["weighted"].tolist() == pytest.approx([85.5, 32.5, 57.0], rel=1e-12)
    assert d.communities["weighted"].tolist() == pytest.approx([118.0, 57.0], rel=1e-12)
    # 118 = 100 + 1·4 + 1·10 + 2·2; 57 = 50 + 1·5 + 2·max(0, 1)
    r = d.roster
    assert (r.n_people, r.n_weighted, r.n_attached, r.n_dropped) == (3, 3, 3, 0)
    g = r.groups.set_index("weight")
    assert g.loc[
        "weight_80p", ["community_count", "roster", "at_homes", "spread", "counted"]
    ].tolist() == [15, 1, 1, 14, 15]
    assert g.loc[
        "weight_disabled", ["community_count", "roster", "at_homes", "spread"]
    ].tolist() == [4, 1, 1, 3]
    assert g.loc["weight_extreme_poor", ["counted", "communities_roster_over_count"]].tolist() == [
        1,
        1,
    ]
    assert g.loc["weight_living_alone", ["at_homes", "spread"]].tolist() == [1, 1]
    (over,) = [p for p in d.problems if "more people" in p.message]
    assert "1 communities" in over.message and "n_extreme_poor" in over.message
    # without the roster the same weights are spread like the elderly: 118 × (0.75, 0.25), 55
    counts = place_demand(two_communities(), buildings=three_buildings(), weights=WEIGHTS)
    assert counts.points["weighted"].tolist() == pytest.approx([88.5, 29.5, 55.0])
    assert counts.roster is None
    same = place_demand(
        two_communities(),
        buildings=three_buildings(),
        weights=WEIGHTS,
        roster=roster(THREE),
        roster_use="counts",
    )
    pd.testing.assert_frame_equal(same.points, counts.points)


def test_who_carries_no_weight_is_counted_never_named():
    people = [
        *THREE,
        (MARKER, 91, "disabled", "", 9000.0, 9000.0),  # no code, outside: dropped
        ("R5", 55, "disabled", C1, 200.0, 500.0),  # under 60: not among the elderly
        ("R6", 75, "low_income", C1, 200.0, 500.0),  # no weight for 低保
        ("R7", 72, "disabled", C1, None, None),  # no coordinates: spread over C1
    ]
    d = place_demand(
        two_communities(), buildings=three_buildings(), weights=WEIGHTS, roster=roster(people)
    )
    # R7 is one of C1's 4 disabled: r = 2, 1 at home and 3 spread as before — nothing changes
    assert d.points["weighted"].tolist() == pytest.approx([85.5, 32.5, 57.0], rel=1e-12)
    r = d.roster
    assert (r.n_people, r.n_weighted, r.n_attached, r.n_no_coordinates) == (7, 5, 3, 1)
    assert (r.n_no_community, r.n_no_demand_point, r.n_under_60) == (1, 0, 1)
    g = r.groups.set_index("weight")
    assert g.loc["weight_disabled", ["roster", "at_homes", "spread", "counted"]].tolist() == [
        2,
        1,
        3,
        4,
    ]
    text = "\n".join(str(p) for p in d.problems) + repr(d) + d.note()
    # counts are rounded in messages (siting.disclosure): 1 is "fewer than 5"
    assert "fewer than 5 people of a weighted priority group have no known community" in text
    assert "fewer than 5 people of a weighted priority group have no coordinates" in text
    assert "roster: fewer than 5 at homes, fewer than 5 spread, fewer than 5 dropped" in text
    for needle in (MARKER, "R5", "R7", "9000", "row 6"):
        assert needle not in text
    # demand points keep their columns: no per-person column, no group breakdown
    assert list(d.points.columns) == [
        "demand_id",
        "community_code",
        "street_code",
        "kind",
        "source",
        "building_row",
        "elderly",
        "weighted",
        "geometry",
    ]
    assert list(d.communities.columns) == [
        "code",
        "street_code",
        "kind",
        "elderly",
        "weighted",
        "n_points",
        "placement",
        "basis",
    ]
    assert len(d.points) == 3  # no point per person


def test_the_home_is_the_footprint_holding_the_person_else_the_nearest_point():
    # b1 is a 600 × 800 m compound (its representative point near (400, 500)), b2 a small block
    # at (760, 460); a person at (690, 460) lives inside b1 though b2's point is nearer (70 m)
    com = two_communities()
    com["pop_80p"], com["n_disabled"], com["n_living_alone"] = 0.0, [2.0, 0.0], 0.0
    bld = gpd.GeoDataFrame(
        {"row": [2, 3, 4], "households": [40.0, 10.0, 20.0]},
        geometry=[
            box(OX + 100, OY + 100, OX + 700, OY + 900),
            box(OX + 750, OY + 450, OX + 770, OY + 470),
            box(OX + 1400, OY + 400, OX + 1600, OY + 600),
        ],
        crs=CRS,
    )
    people = [
        ("H1", 70, "disabled", C1, 690.0, 460.0),  # inside b1
        ("H2", 70, "disabled", C1, 740.0, 460.0),  # in no footprint: nearest point, b2's
    ]
    d = place_demand(
        com,
        buildings=bld,
        weights=DemandWeights(weight_disabled=5.0),
        roster=roster(people),
    )
    # C1's 100 by 40:10 → 80, 20; both disabled at homes (n = r = 2): +4 each
    assert d.points["weighted"].tolist() == pytest.approx([84.0, 24.0, 50.0])


def test_all_weights_one_ignore_the_roster_exactly():
    plain = place_demand(two_communities(), buildings=three_buildings())
    with_roster = place_demand(two_communities(), buildings=three_buildings(), roster=roster(THREE))
    pd.testing.assert_frame_equal(with_roster.points, plain.points, check_exact=True)
    pd.testing.assert_frame_equal(with_roster.communities, plain.communities, check_exact=True)
    assert with_roster.roster is None and with_roster.problems == plain.problems


def test_a_weight_below_one_lowers_the_home_and_never_goes_below_zero():
    # 特困 weight 0: R2 (C2's only 特困, count 0, the roster wins) removes 1 from b3: 50 − 1 = 49
    w = DemandWeights(weight_extreme_poor=0.0)
    d = place_demand(
        two_communities(), buildings=three_buildings(), weights=w, roster=roster(THREE)
    )
    assert d.points["weighted"].tolist() == pytest.approx([75.0, 25.0, 49.0])
    # a home of 0.5 older people with two 特困 of weight 0 would be −1.5: set to 0
    com = two_communities()
    com["pop_60p"] = [100.0, 0.5]
    two = [THREE[1], ("R8", 66, "extreme_poor", C2, 1500.0, 520.0)]
    d = place_demand(com, buildings=three_buildings(), weights=w, roster=roster(two))
    assert d.points["weighted"].tolist() == pytest.approx([75.0, 25.0, 0.0])
    assert d.communities["weighted"].tolist() == pytest.approx([100.0, 0.0])
    assert any("1 demand points would weigh less than 0" in p.message for p in d.problems)


# ------------------------------------------------------------------------------------------
# weights change the plan in the expected direction
# ------------------------------------------------------------------------------------------


def one_community_choice(w_disabled: float, roster_use: str = "homes") -> list[str]:
    """Site A covers home a (55 older people), site B home b (45) where the roster's 5 disabled
    live; equal costs, a budget for one site: the chosen site."""
    com = two_communities().iloc[[0]].copy()
    com["pop_80p"], com["n_disabled"], com["n_living_alone"] = 0.0, 5.0, 0.0
    bld = gpd.GeoDataFrame(
        {"row": [2, 3], "households": [55.0, 45.0]}, geometry=[P(200, 500), P(800, 500)], crs=CRS
    )
    people = [(f"D{i}", 70 + i, "disabled", C1, 790.0 + i, 500.0) for i in range(5)]
    d = place_demand(
        com,
        buildings=bld,
        weights=DemandWeights(weight_disabled=w_disabled),
        roster=roster(people),
        roster_use=roster_use,  # type: ignore[arg-type]
    )
    p = SitingProblem.from_cost_matrix(
        np.array([[0.5, np.inf], [np.inf, 0.5]]),
        service_radius=1.0,
        weights=d.points["weighted"].to_numpy(),
        site_costs_wan_yuan=np.array([1.0, 1.0]),
        site_ids=["A", "B"],
        settings=ModelSettings(
            budget_wan_yuan=1.0, health_rule="off", profile="coverage_only", mip_gap=0.0
        ),
    )
    result = p.solve()
    assert result.summary["status"] == "optimal"
    return sorted(result.sites["site_id"].tolist())


def test_weights_move_the_site_to_the_roster_people_past_the_crossover():
    # A covers 55; B covers 45 + 5·(w − 1): B is better once 5·(w − 1) > 10, i.e. w > 3
    assert one_community_choice(1.0) == ["A"]
    assert one_community_choice(2.0) == ["A"]  # 55 > 50
    assert one_community_choice(2.9) == ["A"]  # 55 > 54.5
    assert one_community_choice(3.1) == ["B"]  # 55.5 > 55
    assert one_community_choice(4.0) == ["B"]  # 60 > 55
    # community counts spread evenly can never move it: 0.55·W > 0.45·W for any weight
    assert one_community_choice(10.0, roster_use="counts") == ["A"]


# ------------------------------------------------------------------------------------------
# the demo district
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_inputs():
    return load_inputs(load_scenario(DEMO), network=False)


def test_demo_weights_follow_the_roster_and_the_total_adds_up(demo_inputs):
    sc = load_scenario(
        DEMO,
        overrides={
            "demand": {
                "weight_disabled": 2,
                "weight_extreme_poor": 3,
                "weight_living_alone": 3,
                "weight_80p": 2,
            }
        },
    )
    d = build_demand(dataclasses.replace(demo_inputs, scenario=sc))
    r = d.roster
    assert (r.n_people, r.n_attached, r.n_dropped, r.n_no_coordinates) == (28169, 28169, 0, 0)
    # independent count: the roster per community code (all codes known in the demo) and group
    com = demo_inputs.communities.set_index("code")
    ros = pd.DataFrame(demo_inputs.roster.drop(columns="geometry"))
    assert ros["community_code"].isin(com.index).all()
    w = {"n_disabled": 2.0, "n_extreme_poor": 3.0, "n_living_alone": 3.0, "pop_80p": 2.0}
    listed = {
        "n_disabled": ros[ros.group == "disabled"].groupby("community_code").size(),
        "n_extreme_poor": ros[ros.group == "extreme_poor"].groupby("community_code").size(),
        "n_living_alone": ros[ros.group == "living_alone"].groupby("community_code").size(),
        "pop_80p": ros[ros.age >= 80].groupby("community_code").size(),
    }
    expected = math.fsum(com["pop_60p"])
    for column, wg in w.items():
        placed = np.maximum(com[column].to_numpy(), listed[column].reindex(com.index, fill_value=0))
        expected += (wg - 1.0) * math.fsum(placed)
    total = math.fsum(d.points["weighted"])
    assert total == pytest.approx(expected, rel=1e-9)
    # the demo's counts match its roster, so the total is today's: 179,952 + 25,534 + 10,998
    # + 2·2,155 + 2·15,016 = 250,826
    assert expected == pytest.approx(250826.0, rel=1e-12)
    # within communities the weight no longer follows the elderly
    pts = pd.DataFrame(d.points.drop(columns="geometry"))
    by = pts.groupby("community_code")
    w_share = pts["weighted"] / by["weighted"].transform("sum")
    e_share = pts["elderly"] / by["elderly"].transform("sum")
    differs = (w_share - e_share).abs() > 1e-6
    assert differs.sum() > 1000
    assert pts.loc[differs, "community_code"].nunique() > 100
    # the community counts alone (today's rule) keep the elderly's shares
    sc_counts = load_scenario(
        DEMO, overrides={"demand": {**sc.section("demand"), "roster": "counts"}}
    )
    flat = build_demand(dataclasses.replace(demo_inputs, scenario=sc_counts))
    f = pd.DataFrame(flat.points.drop(columns="geometry"))
    fb = f.groupby("community_code")
    assert np.allclose(f["weighted"] / fb["weighted"].transform("sum"), e_share, atol=1e-12)
    assert math.fsum(f["weighted"]) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------------------------------
# bad input, privacy end to end
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("-1", "-1"), ('"heavy"', "'heavy'"), ("nan", "nan"), ("true", "True")],
)
def test_a_bad_weight_names_the_setting_and_its_value(tmp_path, text, shown):
    path = tmp_path / "s.toml"
    path.write_text(
        f'extends = "{DEMO.as_posix()}"\n[demand]\nweight_disabled = {text}\n', encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "[demand] weight_disabled must be a finite number >= 0" in str(err.value)
    assert f"got {shown}" in str(err.value)
    with pytest.raises(ValueError, match=r"\[demand\] weight_80p .* got -0.5"):
        DemandWeights(weight_80p=-0.5)


def test_a_bad_roster_use_is_named(tmp_path):
    inputs, _ = district(tmp_path / "d", settings_toml='roster = "people"\n')
    with pytest.raises(ScenarioError, match=r"\[demand\] roster must be one of"):
        build_demand(inputs)


def test_weighted_outputs_hold_no_individual_record(tmp_path):
    people = [
        (f"N{i}", 66 + i, "disabled", "500199001001", 123.4567 + i, 234.5678) for i in range(6)
    ]
    people.append((MARKER, 103, "extreme_poor", "500199001001", 321.9876, 432.1234))
    inputs, graph = district(
        tmp_path / "d",
        roster=roster(people),
        settings_toml="weight_disabled = 2\nweight_extreme_poor = 3\nweight_80p = 2\n",
    )
    result = compute_coverage(inputs, graph)
    assert result.demand.roster is not None and result.demand.roster.n_attached == 7
    files = write_coverage_tables(result, tmp_path / "out")
    texts = []
    for f in files:
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                texts += [z.read(n).decode("utf-8") for n in z.namelist()]
        else:
            texts.append(f.read_text(encoding="utf-8-sig"))
    texts += [str(p) for p in result.problems]
    blob = "\n".join(texts)
    for needle in (MARKER, "321.98", "432.12", "123.45", f"{OX + 321.9876}"):
        assert needle not in blob
    # the only demand points that leave the tool (the map's density of uncovered older people)
    # carry their older people, not the weighted demand
    assert list(uncovered_points(result).columns) == ["demand_id", "elderly", "geometry"]


def test_priority_weights_change_the_demo_plan_in_their_direction(tmp_path):
    """On the demo, weights 2/3/3/2 for 80+/失能/特困/独居 (the roster's people at their homes) give
    another plan than no weights (coverage and money alone: under the documents' rules the units
    to serve fix almost every choice), and each plan is the better one by its own measure."""
    from siting.model.result import coverage_fraction
    from siting.optimize import optimize, optimize_settings
    from siting.walking import walking_graph

    weights = (
        "[demand]\nweight_80p = 2\nweight_disabled = 3\nweight_extreme_poor = 3\n"
        "weight_living_alone = 2\n"
    )
    runs = {}
    graph = None
    for weighted in (False, True):
        path = tmp_path / f"w{int(weighted)}.toml"
        path.write_text(
            f'extends = "{DEMO.as_posix()}"\n[rules]\nprofile = "coverage_only"\n'
            + (weights if weighted else ""),
            encoding="utf-8",
        )
        scenario = load_scenario(path)
        inputs = load_inputs(scenario)
        graph = graph or walking_graph(inputs)
        cov = compute_coverage(inputs, graph)
        runs[weighted] = optimize(inputs, cov, optimize_settings(scenario), graph=graph)
    plain, weighted = runs[False], runs[True]
    assert plain.status == weighted.status == "optimal"
    a, b = set(plain.sites["option_id"]), set(weighted.sites["option_id"])
    assert a != b

    def measure(result, other):
        """(older people, weighted demand) covered by ``other``'s sites in ``result``'s problem."""
        p = result.problem
        ids = p.options["option_id"].to_numpy()
        open_ = p.existing | np.isin(ids, other.sites["option_id"].to_numpy())
        frac = coverage_fraction(p, open_)
        return float((p.matrix.elderly * frac).sum()), float((p.matrix.weights * frac).sum())

    # the weighted plan covers more weighted demand than the plain plan would, the plain plan more
    # older people (both optimal: neither can be beaten on its own measure)
    assert measure(weighted, weighted)[1] > measure(weighted, plain)[1]
    assert measure(plain, plain)[0] > measure(plain, weighted)[0]
    assert measure(weighted, weighted)[1] == pytest.approx(weighted.summary["weighted_after"])
