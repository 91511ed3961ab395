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
        30 + 2000 * FIVE_YEARS,  # 20 + 10 万元 subsidy + 12 万元 incentive = 42
        0 + 2000 * FIVE_YEARS,  # idle state asset given free: capital 0
        30 + 3000 * FIVE_YEARS + 3000 * FIVE_YEARS,  # 620 m² bracket, rent 3000 元/月
        200 + 4000 * FIVE_YEARS,  # 224
        35 + 3000 * FIVE_YEARS,  # the candidate's own capital figure replaces 100
        0 + 500 * FIVE_YEARS + 100 * FIVE_YEARS,
        0 + 867 * FIVE_YEARS,
    ]
    np.testing.assert_allclose(costs["cost_wan_yuan"], expected)
    assert costs["capital_from"].tolist() == [
        "type",
        "site",
        "type",
        "type",
        "site",
        "type",
        "type",
    ]
    assert costs["floor_area_m2"].iloc[3] == 1500.0
    np.testing.assert_allclose(
        costs[["capital_wan_yuan", "operating_wan_yuan", "rent_wan_yuan"]].sum(axis=1),
        costs["cost_wan_yuan"],
    )


def test_upgrade_and_closure():
    up = upgrade_costs(["village_point", "station"], ["station", "street_center"], [80.0, 300.0])
    # village point → station: 30 万元 + (2000 − 500) 元/月 over 5 years; floor area raised to 300 m²
    # station → street center: 200 万元 + (4000 − 2000) 元/月 (1500 m² standard)
    np.testing.assert_allclose(
        up["cost_wan_yuan"], [30 + 1500 * FIVE_YEARS, 200 + 2000 * FIVE_YEARS]
    )
    np.testing.assert_allclose(up["floor_area_m2"], [300.0, 1500.0])
    custom = upgrade_costs(
        ["village_point"],
        ["station"],
        [80.0],
        settings=CostSettings(upgrade_capital_wan_yuan={"station": 8.0}),
    )
    assert custom["cost_wan_yuan"].iloc[0] == pytest.approx(8 + 1500 * FIVE_YEARS)
    closed = closure_savings(["station", "village_point"], [300.0, None])
    np.testing.assert_allclose(closed["cost_wan_yuan"], [-2000 * FIVE_YEARS, -500 * FIVE_YEARS])


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
            capital_wan_yuan = { station = 25 }
            operating_yuan_per_month = { compound_point = 400 }
            """
        ),
    )
    s = CostSettings.from_scenario(load_scenario(path))
    assert s.horizon_years == 3
    assert s.capital_wan_yuan["station"] == 25 and s.capital_wan_yuan["street_center"] == 200
    costs = site_costs(["station", "compound_point"], [300, 100], settings=s)
    np.testing.assert_allclose(costs["cost_wan_yuan"], [25 + 2000 * 36 / 1e4, 400 * 36 / 1e4])


def test_scenario_errors_name_the_key(tmp_path):
    path = _scenario(
        tmp_path,
        textwrap.dedent(
            """
            [costs]
            capital_wan_yuan = { stationn = 25, station = -3 }
            area_brackets_m2 = [500]
            """
        ),
    )
    with pytest.raises(ScenarioError) as err:
        CostSettings.from_scenario(load_scenario(path))
    text = str(err.value)
    assert "costs.capital_wan_yuan.stationn" in text and "unknown facility type" in text
    assert "costs.capital_wan_yuan.station" in text and ">= 0" in text
    assert "1 area brackets need 2 incentives, got 3" in text
    assert str(path) in text
