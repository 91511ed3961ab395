"""The what-if figures (siting.whatif): for the optimized plan they are the optimizer's; an edited
plan's coverage and money equal the model's own evaluation of the same builds, and closing an
existing facility equals the coverage step run without it; edit files are checked; `siting
evaluate` writes the figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.cli import main
from siting.coverage import compute_coverage
from siting.errors import InputError
from siting.model import PlannedBuild
from siting.optimize import optimize_settings
from siting.whatif import (
    Edit,
    apply_edits,
    evaluate_state,
    plan_state,
    read_edits,
    whatif_data,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"


@pytest.fixture(scope="module")
def small(small_siting):
    inputs, graph, coverage, result = small_siting
    return inputs, graph, coverage, result, whatif_data(result)


def test_the_optimized_plan_has_the_optimizers_figures(small):
    _inputs, _graph, _coverage, result, data = small
    f = evaluate_state(data, plan_state(data))
    s = result.summary
    assert f["covered"] == pytest.approx(s["covered_after"], abs=1e-3)
    assert f["coverage_pct"] == pytest.approx(s["coverage_after_pct"], abs=1e-6)
    assert f["newly_covered"] == pytest.approx(s["covered_after"] - s["covered_before"], abs=1e-3)
    assert f["spent"] == pytest.approx(s["spent_wan_yuan"], abs=1e-6)
    by_line = result.money.groupby("line")["wan_yuan"].sum()
    for line, wan in f["money"].items():
        assert wan == pytest.approx(float(by_line.get(line, 0.0)), abs=1e-6), line
    assert np.allclose(
        f["community_coverage_pct"],
        result.communities["coverage_after_pct"].to_numpy(dtype=float),
        atol=1e-6,
        equal_nan=True,
    )
    gaps = result.gaps[result.gaps["rule"].isin(["center_per_street", "station_per_community"])]
    assert {r: len(c) for r, c in f["gaps"].items()} == gaps["rule"].value_counts().to_dict()
    for rule, codes in f["gaps"].items():
        assert set(codes) == set(gaps.loc[gaps["rule"] == rule, "code"].astype(str))
    # no person in the data: classes of homes with the same 社区/村 and the same sites in reach
    assert set(data) == {"options", "classes", "communities", "money", "units", "n_options"}
    assert len(data["classes"]["elderly"]) < len(result.problem.matrix.elderly)


def test_closing_and_reopening_a_proposed_site_returns_to_the_plan(small):
    *_, _result, data = small
    plan = plan_state(data)
    ids = np.asarray(data["options"]["site_id"])
    types = np.asarray(data["options"]["type"])
    proposed = np.flatnonzero(np.asarray(data["options"]["status"]) == "proposed")
    base = evaluate_state(data, plan)
    for k in proposed:
        closed = apply_edits(data, plan, [Edit(ids[k], "close")])
        assert not closed[k] and closed.sum() == plan.sum() - 1
        again = apply_edits(data, closed, [Edit(ids[k], "open", types[k])])
        assert (again == plan).all()
        back = evaluate_state(data, again)
        assert back["covered"] == base["covered"] and back["spent"] == base["spent"]


def test_an_edited_plan_equals_the_models_evaluation_of_its_builds(small):
    *_, result, data = small
    problem = result.problem
    ids = np.asarray(data["options"]["site_id"])
    types = np.asarray(data["options"]["type"])
    status = np.asarray(data["options"]["status"])
    allowed = np.asarray(data["options"]["allowed"])
    proposed = np.flatnonzero(status == "proposed")
    spare = [k for k in np.flatnonzero((status == "candidate") & allowed)]
    edits = [Edit(ids[proposed[0]], "close"), Edit(ids[spare[0]], "open", types[spare[0]])]
    edited = apply_edits(data, plan_state(data), edits)
    f = evaluate_state(data, edited)
    builds = [
        PlannedBuild(ids[k], types[k], 1) for k in np.flatnonzero(edited & (status != "existing"))
    ]
    model = problem.evaluate(builds)  # the model's own figures of the same plan
    assert f["covered"] == pytest.approx(model.summary["covered_after"], abs=1e-3)
    assert f["spent"] == pytest.approx(model.summary["spent_wan_yuan"], abs=1e-6)
    assert np.allclose(
        f["community_coverage_pct"],
        model.communities["coverage_after_pct"].to_numpy(dtype=float),
        atol=1e-6,
        equal_nan=True,
    )


def test_closing_an_existing_facility_equals_coverage_without_it(small):
    inputs, graph, coverage, _result, data = small
    status = np.asarray(data["options"]["status"])
    today = status == "existing"
    ids = np.asarray(data["options"]["site_id"])
    home_care = {"street_center", "town_center", "station", "village_point", "compound_point"}
    fac = inputs.facilities
    k = next(
        int(k)
        for k in np.flatnonzero(today)
        if data["options"]["type"][k] in home_care and data["options"]["community"][k] >= 0
    )
    f = evaluate_state(data, apply_edits(data, today, [Edit(ids[k], "close")]))
    without = dataclasses.replace(inputs, facilities=fac[fac["facility_id"].astype(str) != ids[k]])
    expected = compute_coverage(without, graph, demand=coverage.demand)
    assert f["covered"] == pytest.approx(expected.district_row["covered_elderly"], abs=1e-3)
    assert f["newly_covered"] < 0  # closing loses the older people only it reached


def test_bad_edits_are_refused_with_their_row(small, tmp_path):
    *_, data = small
    plan = plan_state(data)
    with pytest.raises(InputError) as info:
        apply_edits(
            data,
            plan,
            [Edit("NOPE", "close"), Edit(data["options"]["site_id"][0], "open", "tower")],
        )
    rows = [(p.row, p.column) for p in info.value.problems]
    assert rows == [(2, "site_id"), (3, "type")]
    path = tmp_path / "edits.csv"
    path.write_text("site_id,action\nC0001,demolish\n", encoding="utf-8")
    with pytest.raises(InputError, match="1 problem") as info:
        read_edits(path)
    assert info.value.problems[0].row == 2
    path.write_text("site,action\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column"):
        read_edits(path)
    with pytest.raises(InputError, match="does not exist"):
        read_edits(tmp_path / "none.csv")


def test_siting_evaluate_writes_the_figures(small, tmp_path, capsys, monkeypatch):
    from siting.optimize import optimize

    inputs, graph, coverage, *_ = small
    monkeypatch.chdir(tmp_path)
    scenario = inputs.scenario
    result = optimize(inputs, coverage, optimize_settings(scenario), graph=graph)  # as the CLI
    data = whatif_data(result)
    ids = np.asarray(data["options"]["site_id"])
    k = int(np.flatnonzero(np.asarray(data["options"]["status"]) == "proposed")[0])
    edits = tmp_path / "edits.csv"
    edits.write_text(f"site_id,action,type\n{ids[k]},close,\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["evaluate", str(SMALL), str(edits), "--out", str(out)]) == 0
    district = pd.read_csv(out / "whatif_district.csv", encoding="utf-8-sig").set_index("指标")
    expected = evaluate_state(data, apply_edits(data, plan_state(data), read_edits(edits)))
    assert district.loc["覆盖率(%)", "调整后"] == pytest.approx(round(expected["coverage_pct"], 2))
    assert district.loc["覆盖率(%)", "优化方案"] == pytest.approx(
        round(result.summary["coverage_after_pct"], 2)
    )
    assert district.loc["支出合计(万元)", "调整后"] == pytest.approx(round(expected["spent"], 2))
    assert (out / "whatif_communities.csv").exists()
    assert "what-if" in capsys.readouterr().out


def test_classes_without_any_site_in_reach_are_never_covered():
    data = {  # three classes: {0}, none, {1}, none (the last ones end the index list)
        "options": {"status": ["existing", "candidate"]},
        "classes": {
            "elderly": [10.0, 5.0, 7.0, 3.0],
            "community": [0, 0, 1, -1],
            "indptr": [0, 1, 1, 2, 2],
            "indices": [0, 1],
        },
        "communities": {"code": ["a", "b"]},
        "money": {"lines": [], "base": {}, "coef": {}},
        "units": [
            {"rule": "r", "code": "b", "options": [1]},
            {"rule": "r", "code": "x", "options": []},
        ],
    }
    f = evaluate_state(data, np.array([True, True]))
    assert f["covered"] == 17.0 and f["elderly"] == 25.0 and f["newly_covered"] == 7.0
    assert list(f["community_coverage_pct"]) == [pytest.approx(100 * 10 / 15), 100.0]
    assert f["gaps"] == {"r": ["x"]}
    assert evaluate_state(data, np.array([False, False]))["covered"] == 0.0
