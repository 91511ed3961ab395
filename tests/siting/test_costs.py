"""Cost model: POLICY_RULES §4 defaults worked out by hand, brackets, overrides, scenario errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from siting.costs import CostSettings, closure_savings, cost_table, site_costs, upgrade_costs
from siting.errors import ScenarioError
from siting.scenario import load_scenario

FIVE_YEARS = 12 * 5 / 10_000  # 元/月 → 万元 over the 5-year horizon


@pytest.mark.parametrize(
    ("area", "yuan"),
    [
        (120.0, 2000.0),
        (500.0, 2000.0),
        (500.5, 3000.0),
        (1000.0, 3000.0),
        (1000.1, 4000.0),
        (2900.0, 4000.0),
    ],
)
def test_operating_incentive_brackets_of_001(area, yuan):
    # 001 §三(二): 500 m² and below 2000 元/月, 501–1000 3000, above 1000 4000
    assert CostSettings().monthly_incentive_yuan("station", area) == yuan


def test_flat_incentives_and_missing_area():
    s = CostSettings()
    assert (
        s.monthly_incentive_yuan("village_point", 5000.0) == 500.0
    )  # 001: 500 元/月 whatever the size
    assert s.monthly_incentive_yuan("compound_point", None) == 867.0  # 200 元 a week (003 annex 2)
    # no floor area: the type's standard size (street center 1500 m² → 4000 元/月)
    assert s.monthly_incentive_yuan("street_center", float("nan")) == 4000.0
    assert s.monthly_incentive_yuan("town_center", None) == 3000.0  # 800 m²


def test_site_costs_by_hand():
    costs = site_costs(
        [
            "station",
            "station",
            "station",
            "street_center",
            "town_center",
            "village_point",
            "compound_point",
        ],
        [300, 300, 620, None, None, 80, 120],
        [np.nan, 0.0, np.nan, np.nan, 35.0, np.nan, np.nan],
        [np.nan, np.nan, 3000.0, np.nan, np.nan, 100.0, np.nan],
    )
    expected = [
        20 + 10 + 0 + 2000 * FIVE_YEARS,  # 市级 20 + 区级 10 万元 subsidy, no works known, 12 incentive
        20 + 10 + 0 + 2000 * FIVE_YEARS,  # an idle state asset used as it is: works 0, still subsidised
        20 + 10 + 3000 * FIVE_YEARS + 3000 * FIVE_YEARS,  # 620 m² bracket, rent 3000 元/月 = 66
        200 + 4000 * FIVE_YEARS,  # 224
        100 + 35 + 3000 * FIVE_YEARS,  # the 100 万元 package AND the candidate's 35 万元 works = 153
        0 + 500 * FIVE_YEARS + 100 * FIVE_YEARS,
        0 + 867 * FIVE_YEARS,
    ]
    np.testing.assert_allclose(costs["cost_wan_yuan"], expected)
    np.testing.assert_allclose(costs["subsidy_municipal_wan_yuan"], [20, 20, 20, 200, 100, 0, 0])
    np.testing.assert_allclose(costs["subsidy_district_wan_yuan"], [10, 10, 10, 0, 0, 0, 0])
    np.testing.assert_allclose(costs["works_wan_yuan"], [0, 0, 0, 0, 35, 0, 0])
    assert costs["works_from"].tolist() == [
        "unknown",
        "site",
        "unknown",
        "unknown",
        "site",
        "unknown",
        "unknown",
    ]
    assert costs["floor_area_m2"].iloc[3] == 1500.0
    np.testing.assert_allclose(
        costs[["subsidy_municipal_wan_yuan", "subsidy_district_wan_yuan", "works_wan_yuan"]].sum(
            axis=1
        ),
        costs["capital_wan_yuan"],
    )
    np.testing.assert_allclose(
        costs[["capital_wan_yuan", "operating_wan_yuan", "rent_wan_yuan"]].sum(axis=1),
        costs["cost_wan_yuan"],
    )


def test_nine_town_centers_cost_the_documents_package():
    # issue 13: 9 new town centers with works of 373 万元 in all cost 9 × 100 万元 of municipal
    # subsidy on top of the works, not the works instead of the subsidy
    works = [41.0] * 8 + [45.0]
    costs = site_costs(["town_center"] * 9, [800.0] * 9, works)
    assert costs["subsidy_municipal_wan_yuan"].sum() == pytest.approx(900.0)
    assert costs["works_wan_yuan"].sum() == pytest.approx(373.0)
    assert costs["capital_wan_yuan"].sum() == pytest.approx(1273.0)


def test_upgrade_and_closure():
    up = upgrade_costs(["village_point", "station"], ["station", "street_center"], [80.0, 300.0])
    # village point → station: 20 + 10 万元 subsidy + (2000 − 500) 元/月 over 5 years; 300 m²
    # station → street center: 200 万元 + (4000 − 2000) 元/月 (1500 m² standard)
    np.testing.assert_allclose(
        up["cost_wan_yuan"], [30 + 1500 * FIVE_YEARS, 200 + 2000 * FIVE_YEARS]
    )
    np.testing.assert_allclose(up["floor_area_m2"], [300.0, 1500.0])
    custom = upgrade_costs(
        ["village_point"],
        ["station"],
        [80.0],
        settings=CostSettings(upgrade_works_wan_yuan={"station": 8.0}),
    )
    assert custom["cost_wan_yuan"].iloc[0] == pytest.approx(30 + 8 + 1500 * FIVE_YEARS)
    assert custom["works_wan_yuan"].iloc[0] == 8.0
    closed = closure_savings(["station", "village_point"], [300.0, None])
    np.testing.assert_allclose(closed["cost_wan_yuan"], [-2000 * FIVE_YEARS, -500 * FIVE_YEARS])


def test_lines_by_kind_and_level():
    s = CostSettings(levels={"works": "municipal"})
    assert s.lines_of("capital") == ("subsidy_municipal", "subsidy_district", "works")
    assert s.lines_of("operating") == ("incentive", "rent")
    assert s.lines_of("capital", "municipal") == ("subsidy_municipal", "works")
    assert s.lines_of("all", "district") == ("subsidy_district", "incentive", "rent")
    with pytest.raises(ScenarioError, match=r"costs\.levels\.subsidy_municipal"):
        CostSettings(levels={"subsidy_municipal": "district"})
    with pytest.raises(ScenarioError, match="unknown funding level 'county'"):
        CostSettings(levels={"rent": "county"})


def test_cost_table_lists_every_type_with_a_source():
    table = cost_table()
    assert table["type"].tolist() == [
        "street_center",
        "town_center",
        "station",
        "village_point",
        "compound_point",
    ]
    assert table.set_index("type")["standard_site_cost_wan_yuan"].to_dict() == pytest.approx(
        {
            "street_center": 224.0,
            "town_center": 118.0,
            "station": 42.0,
            "village_point": 3.0,
            "compound_point": 5.202,
        }
    )
    assert (table["source"] != "").all()


def _scenario(tmp_path: Path, costs: str) -> Path:
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
            """
        )
        + costs,
        encoding="utf-8",
    )
    return path


def test_scenario_overrides_merge_per_type(tmp_path):
    path = _scenario(
        tmp_path,
        textwrap.dedent(
            """
            [costs]
            horizon_years = 3
            subsidy_district_wan_yuan = { station = 5 }
            operating_yuan_per_month = { compound_point = 400 }
            levels = { works = "municipal" }
            """
        ),
    )
    s = CostSettings.from_scenario(load_scenario(path))
    assert s.horizon_years == 3
    assert s.subsidies("station") == (20.0, 5.0) and s.subsidies("street_center") == (200.0, 0.0)
    assert s.levels["works"] == "municipal" and s.levels["rent"] == "district"
    costs = site_costs(["station", "compound_point"], [300, 100], settings=s)
    np.testing.assert_allclose(costs["cost_wan_yuan"], [25 + 2000 * 36 / 1e4, 400 * 36 / 1e4])


def test_scenario_errors_name_the_key(tmp_path):
    path = _scenario(
        tmp_path,
        textwrap.dedent(
            """
            [costs]
            subsidy_municipal_wan_yuan = { stationn = 25, station = -3 }
            area_brackets_m2 = [500]
            """
        ),
    )
    with pytest.raises(ScenarioError) as err:
        CostSettings.from_scenario(load_scenario(path))
    text = str(err.value)
    assert "costs.subsidy_municipal_wan_yuan.stationn" in text and "unknown facility type" in text
    assert "costs.subsidy_municipal_wan_yuan.station" in text and ">= 0" in text
    assert "1 area brackets need 2 incentives, got 3" in text
    assert str(path) in text


def test_replaced_keys_say_what_replaced_them(tmp_path):
    path = _scenario(tmp_path, "[costs]\ncapital_wan_yuan = { station = 25 }\n")
    with pytest.raises(ScenarioError) as err:
        CostSettings.from_scenario(load_scenario(path))
    text = str(err.value)
    assert "costs.capital_wan_yuan" in text and "subsidy_municipal_wan_yuan" in text
