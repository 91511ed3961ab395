"""Plans side by side: the table's figures, scenario files planned once each, the layered map."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.compare import compare, comparison_frames, gain_report, gains, write_comparison
from siting.errors import InputError
from siting.model import ModelSettings, PlannedBuild, SitingProblem, build_problem
from siting.plan import plan_settings
from siting.scenario import load_scenario
from tests.siting import browser

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"

needs_chromium = pytest.mark.skipif(
    not browser.available(), reason=f"{browser.CHROMIUM} not installed"
)
LAYER_NAMES_JS = (
    "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label > span > span'))"
    ".map(e => e.textContent.trim())"
)


def hand_problem() -> SitingProblem:
    # home 0 (10 people) near site A, home 1 (20) near B
    D = np.array([[1.0, 9.0], [9.0, 1.0]])
    settings = ModelSettings(
        objective="elderly_years", years=(2021, 2022), budget_wan_yuan=(1.0, 1.0), growth="none"
    )
    return SitingProblem.from_cost_matrix(
        D,
        service_radius=3.0,
        weights=np.array([10.0, 20.0]),
        site_costs_wan_yuan=np.array([1.0, 1.0]),
        settings=settings,
    )


def test_table_side_by_side_by_hand():
    p = hand_problem()
    fixed = p.evaluate(
        [PlannedBuild("0", "station", 2022)], name="fixed"
    )  # A late: 10 people in 2022
    best = p.solve(name="best")  # B in 2021, A in 2022
    c = compare(fixed, best)
    t = c.table.set_index("key")
    assert c.names == ("fixed", "best")
    assert t.loc["coverage_final_pct", "fixed"] == pytest.approx(100 / 3)
    assert t.loc["coverage_final_pct", "best"] == pytest.approx(100.0)
    assert t.loc["elderly_years_covered", "fixed"] == pytest.approx(10.0)
    assert t.loc["elderly_years_covered", "best"] == pytest.approx(20.0 + 30.0)
    assert t.loc["spent_wan_yuan", "fixed"] == pytest.approx(1.0)
    assert t.loc["spent_wan_yuan", "best"] == pytest.approx(2.0)
    g = gains(fixed, best)
    assert g["covered_elderly_final"] == pytest.approx(20.0)
    assert g["elderly_years_covered"] == pytest.approx(40.0)
    assert g["spent_wan_yuan_saved"] == pytest.approx(-1.0)
    report = gain_report(fixed, best)
    assert "elderly-years covered over the plan" in report and "+40" in report
    years = c.years
    assert years[years["plan"] == "best"]["covered_elderly"].tolist() == pytest.approx(
        [0.0, 20.0, 30.0]
    )
    frames = comparison_frames(c, lang="en")
    assert list(frames["comparison"].columns) == ["item", "fixed", "best"]
    assert "coverage, final year (%)" in frames["comparison"]["item"].tolist()


def test_compare_needs_two_plans_of_one_district():
    p = hand_problem()
    with pytest.raises(InputError, match="at least two plans"):
        compare(p.solve())
    other = SitingProblem.from_cost_matrix(
        np.array([[1.0]]),
        service_radius=3.0,
        communities=pd.DataFrame({"code": ["500199001001"], "name": ["甲"], "kind": ["community"]}),
        demand_community=np.array([0]),
        settings=ModelSettings(
            objective="elderly_years", years=(2021, 2022), budget_wan_yuan=(1.0, 1.0), growth="none"
        ),
    )
    with pytest.raises(InputError, match="different districts"):
        compare(p.solve(), other.solve())


@pytest.fixture(scope="module")
def small_plans():
    from siting.io import load_inputs
    from siting.walking import walking_graph

    scenario = load_scenario(SMALL)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    problem = build_problem(
        inputs, graph=graph, settings=plan_settings(scenario, budget_wan_yuan=30, time_limit_s=20)
    )
    return problem.solve(name="每年30万元"), problem.solve(
        name="每年60万元", budget_wan_yuan=(60.0,) * 5
    )


def test_more_money_serves_at_least_as_many_units_and_covers_at_least_as_many(small_plans):
    low, high = small_plans

    # the documents' rules come first: more money leaves no more 街道/镇 or 社区/村 without their
    # facility (coverage may then be lower: the rules take the money before coverage does)
    def unmet(r):
        return r.summary["gaps_center_per_street"] + r.summary["gaps_station_per_community"]

    assert unmet(high) <= unmet(low)
    t = compare(low, high).table.set_index("key")
    assert t.loc["ind_home_care_coverage", "每年30万元"].key == "home_care_coverage"
    # coverage and money alone: more money covers at least as many
    lo, hi = (r.problem.solve(profile="coverage_only", name=r.name) for r in (low, high))
    t = compare(lo, hi).table.set_index("key")
    assert (
        t.loc["elderly_years_covered", "每年60万元"]
        >= t.loc["elderly_years_covered", "每年30万元"] - 1e-6
    )


def test_scenario_files_are_planned(tmp_path):
    base = SMALL / "scenario.toml"
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text(
        f'extends = "{base.as_posix()}"\n[scenario]\nname = "甲方案"\n[plan]\nbudget_wan_yuan = 20\nlast_year = 2023\n',
        encoding="utf-8",
    )
    b.write_text(
        'extends = "a.toml"\n[scenario]\nname = "乙方案"\n[plan]\nbudget_wan_yuan = 40\n',
        encoding="utf-8",
    )
    c = compare(a, b)
    assert c.names == ("甲方案", "乙方案")
    sa, sb = (r.summary for r in c.results)
    assert (
        sa["scenario_sha256"]
        == load_scenario(a).sha256
        != sb["scenario_sha256"]
        == load_scenario(b).sha256
    )
    assert (c.results[0].trajectory["spend_wan_yuan"].iloc[1:] <= 20 + 1e-6).all()
    assert c.results[1].years == (2021, 2022, 2023)  # inherited from a.toml


@needs_chromium
def test_one_map_with_the_plans_as_layers(small_plans, tmp_path):
    low, high = small_plans
    files = write_comparison(compare(low, high), tmp_path / "cmp", map_path=tmp_path / "cmp.html")
    assert {p.name for p in files} == {
        "comparison.csv",
        "comparison_years.csv",
        "comparison.xlsx",
        "comparison_equity.csv",
        "comparison_lorenz.png",
        "cmp.html",
    }
    report = browser.load_page(
        tmp_path / "cmp.html",
        evaluate={
            "layers": LAYER_NAMES_JS,
            "plan0": "document.querySelectorAll('.siting-plan-0').length",
            "plan1": "document.querySelectorAll('.siting-plan-1').length",
        },
        evaluate_after={
            "sbs": """(async () => { const m = Object.keys(window).map(k => window[k])
                .find(v => v instanceof L.Map);
                const clip = () => [0, 1].map(i => ['fill', 'sites'].map(
                    p => m.getPane(`siting-plan${i}-${p}`).style.clip));
                const title = document.querySelector('.siting-sbs-toggle a').title;
                document.querySelector('.siting-sbs-toggle a').click();
                await new Promise(r => setTimeout(r, 300));
                const on = {clip: clip(), range: !!document.querySelector('.leaflet-sbs-range'),
                    plan0: document.querySelectorAll('.siting-plan-0').length,
                    plan1: document.querySelectorAll('.siting-plan-1').length,
                    width: m.getSize().x};
                const r = document.querySelector('.leaflet-sbs-range');
                r.value = 0.25; r.dispatchEvent(new Event('input'));
                const moved = clip();
                document.querySelector('.siting-sbs-toggle a').click();
                return {title, on, moved, off: clip(),
                        range: !!document.querySelector('.leaflet-sbs-range')}; })()""",
        },
    )
    assert report.errors == [] and report.requests == []
    layers = report.values["layers"]
    for r in (low, high):
        assert f"{r.name}：2025年社区/村覆盖率" in layers
        assert f"{r.name}：规划建设（{len(r.builds)}）" in layers
    assert report.values["plan0"] == len(low.builds)  # the first plan's builds are shown
    assert report.values["plan1"] == 0  # the second's are a switched-off layer
    # side by side: the first plan left of the divider, the second right of it
    sbs = report.values["sbs"]
    assert sbs["title"] == f"左右对比：{low.name}（左）| {high.name}（右）"
    on = sbs["on"]
    assert on["range"] and on["plan0"] == len(low.builds) and on["plan1"] == len(high.builds)

    def right_edge(clip: str) -> float:  # rect(top, right, bottom, left)
        return float(re.findall(r"-?[\d.]+", clip)[1])

    def left_edge(clip: str) -> float:
        return float(re.findall(r"-?[\d.]+", clip)[3])

    (l_fill, l_sites), (r_fill, r_sites) = on["clip"]
    assert l_fill == l_sites and r_fill == r_sites  # a plan's panes are clipped together
    # the divider starts in the middle: the left plan ends where the right one begins
    assert right_edge(l_fill) == pytest.approx(left_edge(r_fill))
    (l_moved, _), (r_moved, _) = sbs["moved"]
    assert right_edge(l_moved) < right_edge(l_fill)  # dragged left: less of plan A
    assert right_edge(l_moved) == pytest.approx(left_edge(r_moved))
    assert sbs["off"] == [["", ""], ["", ""]] and not sbs["range"]  # switched off: no clipping
    # one symbol per plan, named in the legend
    from siting import maps

    html = (tmp_path / "cmp.html").read_text(encoding="utf-8")
    legend = html[html.index('id="siting-legend"') :]
    assert "规划方案（新建点位的符号）" in legend
    for sym, r in zip(("star", "hexagon"), (low, high), strict=True):
        assert maps._symbol_svg(sym, "#ffffff", 16) in legend and r.name in legend
    assert maps._symbol_svg("star", "#ffffff", 16) != maps._symbol_svg("hexagon", "#ffffff", 16)
