"""The what-if map (issue 19) used as a planner would, in headless Chromium with no network: the
figures the page shows are Python's; toggling any proposed site off and on returns to the
optimized figures exactly; the saved edits evaluate with `siting evaluate` to the page's figures;
names are text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.cli import main
from siting.coverage import compute_coverage
from siting.io import load_inputs
from siting.optimize import optimize, optimize_settings
from siting.scenario import load_scenario
from siting.walking import walking_graph
from siting.whatif import apply_edits, evaluate_state, plan_state, read_edits, whatif_data
from tests.siting import browser
from tests.siting.test_maps import needs_chromium

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"
API = "(await window.sitingWhatIfReady)"


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """`siting optimize` on the small demo (its map has the what-if), and the same plan here."""
    tmp = tmp_path_factory.mktemp("whatif")
    import os

    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        assert main(["optimize", str(SMALL), "--out", str(tmp / "out")]) == 0
    finally:
        os.chdir(cwd)
    scenario = load_scenario(SMALL)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    coverage = compute_coverage(inputs, graph)
    result = optimize(inputs, coverage, optimize_settings(scenario), graph=graph)
    return tmp, tmp / "maps" / "out_siting.html", whatif_data(result)


def _same(page: dict, py: dict) -> None:
    assert page["coverage_pct"] == pytest.approx(py["coverage_pct"], abs=1e-9)
    assert page["covered"] == pytest.approx(py["covered"], abs=1e-6)
    assert page["newly_covered"] == pytest.approx(py["newly_covered"], abs=1e-6)
    assert page["spent"] == pytest.approx(py["spent"], abs=1e-9)
    for line, wan in py["money"].items():
        assert page["money"][line] == pytest.approx(wan, abs=1e-9)
    assert {r: sorted(c) for r, c in page["gaps"].items()} == {
        r: sorted(c) for r, c in py["gaps"].items()
    }
    pct = np.array([np.nan if v is None else v for v in page["community_coverage_pct"]])
    assert np.allclose(pct, py["community_coverage_pct"], atol=1e-9, equal_nan=True)


@needs_chromium
def test_the_page_computes_what_python_computes(planned, tmp_path, capsys, monkeypatch):
    _folder, html, data = planned
    ids = data["options"]["site_id"]
    status = np.asarray(data["options"]["status"])
    proposed = [ids[k] for k in np.flatnonzero(status == "proposed")]
    allowed = np.asarray(data["options"]["allowed"])
    spare = [k for k in np.flatnonzero((status == "candidate") & allowed)]
    candidate = ids[spare[0]]
    candidate_type = data["options"]["type"][spare[0]]
    report = browser.load_page(
        html,
        evaluate={
            "plan": f"(async () => {API}.figures())()",
            "round_trip": f"""(async () => {{ const api = {API}; const base = JSON.stringify(api.figures());
                const bad = [];
                for (const id of {json.dumps(proposed)}) {{
                    api.toggle(id);
                    api.toggle(id);
                    if (JSON.stringify(api.figures()) !== base) bad.push(id);
                }}
                return {{bad, edits: api.editsCsv()}}; }})()""",
            "edited": f"""(async () => {{ const api = {API};
                api.toggle({json.dumps(proposed[0])});
                api.toggle({json.dumps(candidate)}, {json.dumps(candidate_type)});
                const f = api.figures();
                return {{figures: f, csv: api.editsCsv(), ms: api.engine.lastMs,
                         panel: document.querySelector('.siting-whatif').innerText,
                         changes: document.querySelectorAll('.siting-whatif-edits li').length}}; }})()""",
            "reset": f"(async () => {API}.reset())()",
        },
        screenshot=tmp_path / "whatif.png",
    )
    assert report.errors == [] and report.requests == []
    v = report.values
    _same(v["plan"], evaluate_state(data, plan_state(data)))
    # every proposed site off and on again: the optimized figures, to the last digit
    assert v["round_trip"]["bad"] == [] and v["round_trip"]["edits"] == "site_id,action,type\n"
    # the edited plan: the page's figures are Python's for the same edits
    edits_file = tmp_path / "edits.csv"
    edits_file.write_text(v["edited"]["csv"], encoding="utf-8")
    edits = read_edits(edits_file)
    assert [(e.site_id, e.action) for e in edits] == sorted(
        [(proposed[0], "close"), (candidate, "open")]
    )
    py = evaluate_state(data, apply_edits(data, plan_state(data), edits))
    _same(v["edited"]["figures"], py)
    assert v["edited"]["changes"] == 2
    assert f"{py['coverage_pct']:.1f}%" in v["edited"]["panel"]
    _same(v["reset"], evaluate_state(data, plan_state(data)))
    # `siting evaluate` on the saved edits prints and writes the page's figures
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", str(SMALL), str(edits_file), "--out", str(tmp_path / "ev")]) == 0
    district = pd.read_csv(tmp_path / "ev" / "whatif_district.csv", encoding="utf-8-sig")
    row = district.set_index("指标")
    assert row.loc["覆盖率(%)", "调整后"] == pytest.approx(round(py["coverage_pct"], 2))
    assert row.loc["支出合计(万元)", "调整后"] == pytest.approx(round(py["spent"], 2))
    maps_dir = ROOT / "maps"
    if maps_dir.is_dir():  # for people to look at; git-ignored
        shutil.copy(tmp_path / "whatif.png", maps_dir / "demo-small_whatif.png")


@needs_chromium
def test_the_what_if_in_english(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "en", "optimize", str(SMALL), "--out", str(tmp_path / "en")]) == 0
    report = browser.load_page(
        tmp_path / "maps" / "en_siting.html",
        evaluate={
            "panel": f"(async () => {{ {API}; "
            "return document.querySelector('.siting-whatif').innerText; })()"
        },
    )
    assert report.errors == [] and report.requests == []
    panel = report.values["panel"]
    for words in (
        "What if (click a site to open or close it)",
        "coverage",
        "spent (万元)",
        "reset to the optimized plan",
        "save the edits (CSV)",
    ):
        assert words in panel
