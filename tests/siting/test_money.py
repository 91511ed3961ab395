"""Money by line and level: budget lines bind the model, the tables add up, bad lines are named.

Hand instances from :meth:`SitingProblem.from_cost_matrix` (a covering pair has time 0.5, the
threshold 1), given subsidies, works and incentives per option by hand; every expected figure is
worked out in the comments.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import numpy as np
import pytest

from siting.errors import ScenarioError
from siting.model import ModelSettings, SitingProblem
from siting.model.settings import BudgetLine
from siting.optimize import optimize_settings
from siting.plan import plan_settings
from siting.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]

#: three sites, each covering its own demand point: A 10, B 6, C 5 older people
COVER = np.array([[0.5, np.inf, np.inf], [np.inf, 0.5, np.inf], [np.inf, np.inf, 0.5]])
WEIGHTS = np.array([10.0, 6.0, 5.0])
#: per option: 市级 subsidy, 区级 subsidy, works (万元, once), incentive (万元 per year)
LINES = {
    "subsidy_municipal_wan_yuan": [100.0, 0.0, 0.0],
    "subsidy_district_wan_yuan": [0.0, 10.0, 0.0],
    "works_wan_yuan": [0.0, 10.0, 15.0],
    "operating_wan_yuan_per_year": [2.0, 1.0, 0.0],
}


def problem(**settings) -> SitingProblem:
    s = ModelSettings(
        **{"health_rule": "off", "mip_gap": 0.0, "profile": "coverage_only", **settings}
    )
    p = SitingProblem.from_cost_matrix(COVER, service_radius=1.0, weights=WEIGHTS, settings=s)
    opts = p.options.copy()
    for col, values in LINES.items():
        opts[col] = values
    opts["capital_wan_yuan"] = (
        opts["subsidy_municipal_wan_yuan"]
        + opts["subsidy_district_wan_yuan"]
        + opts["works_wan_yuan"]
    )
    return dataclasses.replace(p, options=opts)


def chosen(result) -> list[str]:
    return sorted(result.sites["site_id"].tolist())


def test_one_period_lines_by_hand():
    # one 5-year period. Total money of each site: A 100 + 2·5 = 110, B 20 + 5 = 25, C 15.
    # District money (区级: the district subsidy, works and incentives): A 10, B 25, C 15.
    lines = (
        BudgetLine("市级", kind="capital", level="municipal", total_wan_yuan=100.0),
        BudgetLine("区级", level="district", per_year_wan_yuan=8.0),  # 5 years → 40
    )
    # A (10 district) + B (25) = 35 ≤ 40 covers 16; A + C = 25 covers 15; B + C = 40 covers 11;
    # all three need 50 > 40: the best is A + B
    r = problem(budget_lines=lines).solve()
    assert chosen(r) == ["0", "1"]
    assert r.summary["covered_after"] == pytest.approx(16.0)
    # the city's allocation 0: A cannot open (its 100 万元 are municipal); B + C = 40 fits
    none = (dataclasses.replace(lines[0], total_wan_yuan=0.0), lines[1])
    r0 = problem(budget_lines=none).solve()
    assert chosen(r0) == ["1", "2"]
    # the tables add up: by line and level, over the horizon's years (capital in year 1)
    m = r.money
    assert sorted(m["year"].unique()) == [1, 2, 3, 4, 5]
    by_line = m.groupby("line")["wan_yuan"].sum()
    assert by_line["subsidy_municipal"] == pytest.approx(100.0)
    assert by_line["subsidy_district"] == pytest.approx(10.0)
    assert by_line["works"] == pytest.approx(10.0)
    assert by_line["incentive"] == pytest.approx(3.0 * 5)
    year1 = m[m["year"] == 1].groupby("line")["wan_yuan"].sum()
    assert year1["works"] == pytest.approx(10.0) and year1["incentive"] == pytest.approx(3.0)
    assert m[(m["year"] == 2) & (m["line"] == "works")]["wan_yuan"].sum() == 0.0
    assert r.summary["spend_municipal_wan_yuan"] == pytest.approx(100.0)
    assert r.summary["spend_district_wan_yuan"] == pytest.approx(35.0)
    b = r.budget.set_index("budget")
    assert b.loc["市级", "spend_wan_yuan"] == pytest.approx(100.0)
    assert b.loc["区级", "cap_wan_yuan"] == pytest.approx(40.0)
    assert b.loc["区级", "spend_wan_yuan"] == pytest.approx(35.0)
    assert bool(r.budget["met"].all())


def test_yearly_capital_line_phases_the_builds():
    # two plan years; district capital ≤ 20 a year (no other cap): B (20 capital) and C (15) cannot
    # both be built in one year, so one is built in 2021 and the other in 2022
    s = {
        "years": (2021, 2022),
        "objective": "elderly_years",
        "growth": 0.0,
        "budget_lines": (
            BudgetLine("区级建设", kind="capital", level="district", per_year_wan_yuan=20.0),
            BudgetLine("市级建设", kind="capital", level="municipal", per_year_wan_yuan=0.0),
        ),
    }
    r = problem(**s).solve()
    assert chosen(r) == ["1", "2"]  # A needs 100 municipal: never
    years = dict(zip(r.sites["site_id"], r.sites["year"], strict=True))
    assert {years["1"], years["2"]} == {2021, 2022}
    m = r.money
    cap = m[m["kind"] == "capital"].groupby("year")["wan_yuan"].sum()
    assert (cap <= 20.0 + 1e-9).all() and cap.sum() == pytest.approx(35.0)
    # B first (6 older people for two years): elderly-years 6·2 + 5 = 17 beat 5·2 + 6 = 16
    assert years["1"] == 2021
    assert r.summary["elderly_years_covered"] == pytest.approx(17.0)
    rows = r.budget[r.budget["budget"] == "区级建设"]
    assert rows["year"].tolist() == [2021, 2022]
    assert rows["spend_wan_yuan"].tolist() == pytest.approx([20.0, 15.0])


def test_an_impossible_line_is_explained():
    from siting.errors import InfeasibleError

    lines = (BudgetLine("区级", level="district", total_wan_yuan=10.0),)
    with pytest.raises(InfeasibleError) as err:
        problem(budget_lines=lines, objective="min_cost", coverage_target=0.9).solve()
    # 90 % of 21 needs all three sites: district money 50 > 10
    assert "区级" in str(err.value)


def _scenario(tmp_path: Path, text: str) -> Path:
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
        + textwrap.dedent(text),
        encoding="utf-8",
    )
    return path


def test_scenario_lines_for_optimize_and_plan(tmp_path):
    path = _scenario(
        tmp_path,
        """
        [plan]
        first_year = 2021
        last_year = 2023
        [[budget.line]]
        name = "区级建设"
        kind = "capital"
        level = "district"
        per_year_wan_yuan = { 2021 = 50, 2023 = 30 }
        [[budget.line]]
        name = "市级"
        level = "municipal"
        total_wan_yuan = 200
        """,
    )
    sc = load_scenario(path)
    lines = plan_settings(sc).budget_lines
    assert lines[0].per_year_wan_yuan == (50, None, 30)
    assert lines[1].total_wan_yuan == 200
    # the one-period model: a number per year becomes the horizon's money (5 years)
    path2 = _scenario(
        tmp_path,
        """
        [optimize]
        objective = "max_coverage"
        [[budget.line]]
        name = "区级"
        level = "district"
        per_year_wan_yuan = 160
        """,
    )
    s = optimize_settings(load_scenario(path2))
    assert s.budget_lines[0].amounts(s) == [800.0]


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        ('name = "x"\nkind = "capitol"\ntotal_wan_yuan = 1', "budget.line[0].kind", "capitol"),
        ('name = "x"\nlevel = "county"\ntotal_wan_yuan = 1', "budget.line[0].level", "county"),
        ('name = "x"\nlines = ["bribes"]\ntotal_wan_yuan = 1', "budget.line[0].lines", "bribes"),
        (
            'name = "x"\nper_year_wan_yuan = { 2030 = 5 }',
            "budget.line[0].per_year_wan_yuan.2030",
            "outside",
        ),
        ('name = "x"\nper_year_wan_yuan = -4', "budget.line[0].per_year_wan_yuan", ">= 0"),
        ('name = "x"', "budget.line[0]", "exactly one of"),
        ('name = "x"\ntotal = 4', "budget.line[0].total", "unknown key"),
    ],
)
def test_bad_budget_lines_name_key_and_value(tmp_path, line, key, words):
    path = _scenario(
        tmp_path, "[plan]\nfirst_year = 2021\nlast_year = 2023\n[[budget.line]]\n" + line + "\n"
    )
    with pytest.raises(ScenarioError) as err:
        plan_settings(load_scenario(path))
    text = str(err.value)
    assert key in text and words in text, text


def test_demo_prints_money_by_line_and_level():
    """The demo's budget: 区级 160 万元 a year, 市级 construction subsidies up to 600 万元."""
    s = optimize_settings(load_scenario(ROOT / "data" / "demo" / "scenario.toml"))
    names = [b.name for b in s.budget_lines]
    assert names == ["区级资金", "市级建设补助"]
    assert s.budget_lines[0].amounts(s) == [800.0]
    assert s.budget_wan_yuan is None
