"""Equity across 社区/村: Gini, Theil and the Lorenz curve against PySAL ``inequality``, hand-worked
values and the expanded sample; the plan, siting and compare outputs on the small demo."""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from siting.cli import main
from siting.equity import (
    LorenzLine,
    cjk_font,
    equity_frame,
    equity_of,
    gini,
    inequality,
    lorenz_curve,
    lorenz_png,
    theil,
    theil_decomposition,
    unit_measure,
)

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"
TOL = 1e-12


def pairwise_gini(y, w) -> float:
    """Σ_i Σ_j w_i w_j |y_i − y_j| / (2 W² μ), by brute force."""
    y, w = np.asarray(y, float), np.asarray(w, float)
    W = w.sum()
    mu = (w * y).sum() / W
    return float((np.outer(w, w) * np.abs(y[:, None] - y[None, :])).sum() / (2 * W**2 * mu))


# --------------------------------------------------------------------------------------------
# the indices


def test_hand_worked_two_units():
    # two units of one person each at 1 and 3: |1 − 3| · 2 / (2 · 2² · 2) = 1/4
    assert gini([1.0, 3.0]) == pytest.approx(0.25, abs=TOL)
    # μ = 2: ½ (½ ln ½ + 3/2 ln 3/2)
    assert theil([1.0, 3.0]) == pytest.approx(
        0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)), abs=TOL
    )
    # weights 3 and 1: μ = 1.5, Σ w_i w_j |Δ| = 2·3·1·2 = 12 over 2 · 16 · 1.5 = 48
    assert gini([1.0, 3.0], [3, 1]) == pytest.approx(0.25, abs=TOL)
    assert theil([1.0, 3.0], [3, 1]) == pytest.approx(
        (3 * (2 / 3) * math.log(2 / 3) + 2 * math.log(2)) / 4, abs=TOL
    )
    # one unit holds everything: 1 − 1/n for n equal units
    assert gini([0, 0, 0, 5.0]) == pytest.approx(0.75, abs=TOL)
    assert theil([0, 0, 0, 5.0]) == pytest.approx(math.log(4), abs=TOL)
    # a 社区 at 1 and a 村 at 3: all of T is between the kinds (each kind is one unit)
    T, between, within, per = theil_decomposition([1.0, 3.0], None, ["community", "village"])
    assert between == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5), abs=TOL)
    assert within == pytest.approx(0.0, abs=TOL)
    assert between == pytest.approx(T, abs=TOL)
    assert per["value_share"].tolist() == pytest.approx([0.25, 0.75], abs=TOL)


@pytest.mark.parametrize("seed", range(6))
def test_equal_to_pysal_and_to_the_expanded_sample(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    y = rng.random(n) * rng.choice([1.0, 100.0])
    if seed % 2:  # coverage shares: many 0 and some 1
        y[rng.random(n) < 0.3] = 0.0
        y[rng.random(n) < 0.1] = 1.0
    kinds = rng.choice(["community", "village"], n)
    kinds[:2] = ["community", "village"]
    # unweighted: PySAL directly
    assert gini(y) == pytest.approx(Gini(y).g, abs=TOL)
    assert theil(y) == pytest.approx(float(Theil(y).T), abs=TOL)
    total, between, within, _ = theil_decomposition(y, None, kinds)
    assert total == pytest.approx(float(Theil(y).T), abs=TOL)
    d = TheilD(y, kinds)
    assert between == pytest.approx(float(np.ravel(d.bg)[0]), abs=TOL)
    assert within == pytest.approx(float(np.ravel(d.wg)[0]), abs=TOL)
    # weighted by integer counts: PySAL on the sample with each unit repeated by its weight
    w = rng.integers(0, 9, n)
    w[:2] = [3, 4]
    ye, ke = np.repeat(y, w), np.repeat(kinds, w)
    r = inequality(y, weights=w, kinds=kinds)
    assert r.gini == pytest.approx(Gini(ye).g, abs=TOL)
    assert r.theil == pytest.approx(float(Theil(ye).T), abs=TOL)
    de = TheilD(ye, ke)
    assert r.theil_between == pytest.approx(float(np.ravel(de.bg)[0]), abs=TOL)
    assert r.theil_within == pytest.approx(float(np.ravel(de.wg)[0]), abs=TOL)
    assert r.theil_between + r.theil_within == pytest.approx(r.theil, abs=TOL)
    for k in r.kinds.itertuples():
        sel = ke == k.group
        assert k.gini == pytest.approx(Gini(ye[sel]).g, abs=TOL)
        assert k.theil == pytest.approx(float(Theil(ye[sel]).T), abs=TOL)
    # real-valued weights: the pairwise definition
    wr = rng.random(n) * 1000
    assert gini(y, wr) == pytest.approx(pairwise_gini(y, wr), abs=TOL)
    assert r.n_units == int((w > 0).sum()) and r.population == pytest.approx(w.sum())
    assert r.mean == pytest.approx(ye.mean(), abs=TOL)


@pytest.mark.parametrize("seed", range(4))
def test_lorenz_curve_ends_rises_and_gives_the_gini(seed):
    rng = np.random.default_rng(100 + seed)
    y = rng.random(40)
    y[:5] = 0.0
    w = rng.random(40) * 50
    x, ly = lorenz_curve(y, w)
    assert (x[0], ly[0], x[-1], ly[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert (np.diff(x) > 0).all() and (np.diff(ly) >= 0).all()
    slopes = np.diff(ly) / np.diff(x)
    assert (np.diff(slopes) >= -1e-9).all()  # convex: sorted by value
    assert (ly <= x + 1e-12).all()  # below the line of equality
    area = float(np.sum(np.diff(x) * (ly[1:] + ly[:-1]) / 2))
    assert 1 - 2 * area == pytest.approx(gini(y, w), abs=TOL)


def test_zeros_empty_groups_and_bad_values():
    assert math.isnan(gini([0.0, 0.0])) and math.isnan(theil([0.0, 0.0]))  # nobody covered
    assert math.isnan(gini([])) and lorenz_curve([])[0].size == 0
    assert gini([0.4]) == 0.0 and theil([0.4]) == 0.0  # one unit: equal
    assert gini([0.5, 0.5, 0.5], [1, 2, 3]) == pytest.approx(0.0, abs=TOL)
    # units without people are left out, whatever their (undefined) value
    assert gini([np.nan, 0.2, 0.6], [0, 1, 1]) == pytest.approx(gini([0.2, 0.6]), abs=TOL)
    # no 村 at all: the 村 row has no unit, nothing lies between the kinds
    r = inequality([0.2, 0.6, 0.9], kinds=["community"] * 3)
    assert r.kinds["group"].tolist() == ["community", "village"]
    v = r.kinds.set_index("group").loc["village"]
    assert v["n_units"] == 0 and v["population"] == 0 and math.isnan(v["gini"])
    assert r.theil_between == pytest.approx(0.0, abs=TOL)
    assert r.theil_within == pytest.approx(r.theil, abs=TOL)
    # a kind where nobody is covered: it holds none of the total and adds 0 to both parts
    r = inequality([0.0, 0.0, 0.5, 1.0], kinds=["village", "village", "community", "community"])
    assert r.theil_between + r.theil_within == pytest.approx(r.theil, abs=TOL)
    assert r.kinds.set_index("group").loc["village", "value_share"] == 0.0
    assert r.theil_between == pytest.approx(math.log(2), abs=TOL)  # μ_社区 = 2μ, s = 1
    with pytest.raises(ValueError, match="≥ 0"):
        gini([0.1, -0.2])
    with pytest.raises(ValueError, match="weight"):
        gini([0.1, 0.2], [1, -1])
    with pytest.raises(ValueError, match="missing value"):
        gini([0.1, np.nan], [1, 1])


def test_any_per_unit_value_plugs_in():
    # e.g. accessibility scores per 社区/村 (2SFCA), weighted by the older people
    scores = pd.DataFrame(
        {
            "code": ["a", "b", "c", "d"],
            "kind": ["community", "community", "village", "village"],
            "access": [1.2, 0.8, 0.3, 0.0],
            "elderly": [300, 100, 200, 400],
        }
    )
    m = unit_measure(
        scores,
        value="access",
        weight="elderly",
        key="accessibility",
        label=("养老服务可达性", "accessibility"),
        unit=("分", "score"),
    )
    eq = equity_of([m])
    row = eq.row("accessibility", "elderly", "now")
    assert row["gini"] == pytest.approx(pairwise_gini(scores["access"], scores["elderly"]), abs=TOL)
    assert row["mean"] == pytest.approx((0.36 + 0.08 + 0.06) / 1.0, abs=TOL)
    shown = equity_frame(eq, lang="en")
    assert shown["measure"].tolist() == ["accessibility"] * 3
    assert shown["unit"].tolist() == ["score"] * 3
    assert shown["weighted mean"].iloc[0] == 0.5
    with pytest.raises(ValueError, match="no column"):
        unit_measure(scores, value="nope", weight="elderly", key="x")


def test_lorenz_png_is_reproducible_and_falls_back_without_a_cjk_font(monkeypatch, caplog):
    x, y = lorenz_curve([0.1, 0.5, 0.9], [3, 2, 1])
    lines = [LorenzLine(("现状", "before"), x, y, gini([0.1, 0.5, 0.9], [3, 2, 1]), 2020, True)]
    a, b = lorenz_png(lines), lorenz_png(lines)
    assert a == b and a.startswith(b"\x89PNG") and b"Software" not in a
    if Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists():
        assert cjk_font() == "Noto Sans CJK SC"  # fonts-noto-cjk: the Chinese labels use it
    monkeypatch.setattr("siting.equity.cjk_font", lambda: None)
    with caplog.at_level(logging.WARNING, logger="siting.equity"), warnings.catch_warnings():
        warnings.simplefilter("error")  # no glyph missing from the font used
        c = lorenz_png(lines)
    assert c.startswith(b"\x89PNG") and "no CJK font" in caplog.text
    assert c == lorenz_png(lines, lang="en")  # the English figure, not missing glyphs
    # a plan's name is drawn as typed: dollars are not mathtext (this would not parse)
    odd = LorenzLine(("方案 $\\frac$", "plan $\\frac$"), x, y, 0.2, 2023)
    assert lorenz_png([odd], lang="en").startswith(b"\x89PNG")


# --------------------------------------------------------------------------------------------
# the commands on the small demo


def _toml(folder: Path, name: str, budget: float, extra: str = "") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n'
        f'[scenario]\nname = "{name}"\n[output]\ndir = "output/{name}"\n'
        f"[plan]\nfirst_year = 2021\nlast_year = 2023\nbudget_wan_yuan = {budget}\n{extra}",
        encoding="utf-8",
    )
    return path


def _run(folder: Path, argv: list[str]) -> str:
    here = os.getcwd()
    out = io.StringIO()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            assert main(argv) == 0, out.getvalue()[-3000:]
    finally:
        os.chdir(here)
    return out.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("equity")
    low, high = _toml(root, "low", 30), _toml(root, "high", 90)
    printed = {
        "plan": _run(root, ["plan", str(low)]),
        "compare": _run(root, ["compare", str(low), str(high)]),
    }
    return root, printed


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def test_plan_writes_and_prints_its_equity(runs):
    root, printed = runs
    folder = root / "output" / "low"
    eq = _csv(folder / "plan_equity.csv")
    cov = eq[(eq["指标"] == "老年人步行覆盖率") & (eq["加权依据"] == "60岁及以上老年人数")]
    assert cov["阶段"].tolist() == ["现状"] * 3 + ["规划末年"] * 3
    assert cov["年份"].tolist() == [2020] * 3 + [2023] * 3
    assert cov["范围"].tolist() == ["全区", "社区", "村"] * 2
    # the weighted means are the plan's own coverage figures
    summary = dict(_csv(folder / "plan_summary.csv").iloc[:, :2].to_numpy())
    mean = dict(zip(zip(cov["阶段"], cov["范围"], strict=True), cov["加权平均"], strict=True))
    assert mean["现状", "全区"] == pytest.approx(float(summary["现状覆盖率(%)"]), abs=0.051)
    assert mean["规划末年", "全区"] == pytest.approx(float(summary["末年覆盖率(%)"]), abs=0.051)
    assert mean["规划末年", "社区"] == pytest.approx(float(summary["末年社区覆盖率(%)"]), abs=0.051)
    assert mean["规划末年", "村"] == pytest.approx(float(summary["末年村覆盖率(%)"]), abs=0.051)
    # the Gini of the published per-unit table (rounded people) is the Gini written
    com = _csv(folder / "plan_communities.csv")
    for stage, covered, elderly in (
        ("现状", "现状已覆盖", "60岁及以上老年人"),
        ("规划末年", "末年已覆盖", "末年老年人"),
    ):
        e = com[elderly].to_numpy(float)
        keep = e > 0
        g = pairwise_gini(com[covered].to_numpy(float)[keep] / e[keep], e[keep])
        written = cov[(cov["阶段"] == stage) & (cov["范围"] == "全区")]["基尼系数"].iloc[0]
        assert written == pytest.approx(g, abs=2e-3)
    d = cov[cov["范围"] == "全区"]
    assert (d["泰尔组间(社区与村之间)"] + d["泰尔组内(社区内、村内)"]).to_numpy() == pytest.approx(
        d["泰尔指数"].to_numpy(), abs=2e-4
    )
    # 社区 and 村 hold all the older people and all the covered
    kinds = cov[cov["范围"] != "全区"]
    assert kinds.groupby("阶段")["权重占比(%)"].sum().to_numpy() == pytest.approx(100, abs=0.11)
    assert kinds.groupby("阶段")["指标总量占比(%)"].sum().to_numpy() == pytest.approx(100, abs=0.11)
    # every priority group the communities count, before and in the final year
    groups = set(eq["加权依据"])
    assert {"80岁及以上老人数", "失能半失能老人数", "特困老人数", "独居空巢老人数"} <= groups
    assert "加权需求覆盖率" not in set(eq["指标"])  # all weights 1: it would repeat the coverage
    assert "公平性" in printed["plan"] and "基尼系数" in printed["plan"]
    assert f"{d['基尼系数'].iloc[0]:.4f}".rstrip("0") in printed["plan"]
    png = (folder / "plan_lorenz.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    manifest = (folder / "plan.run.json").read_text(encoding="utf-8")
    assert "plan_lorenz.png" in manifest and "plan_equity.csv" in manifest


def test_compare_shows_each_plans_equity(runs):
    root, printed = runs
    folder = root / "output" / "compare"
    table = _csv(folder / "comparison.csv").set_index("项目")
    eq_rows = table[table.index.str.contains("基尼|泰尔")].astype(float)
    # the plan's own equity table says the same
    eq = _csv(root / "output" / "low" / "plan_equity.csv")
    d = eq[(eq["加权依据"] == "60岁及以上老年人数") & (eq["范围"] == "全区")]
    assert eq_rows.loc["基尼系数：覆盖率（现状）", "low"] == d["基尼系数"].iloc[0]
    assert eq_rows.loc["基尼系数：覆盖率（末年）", "low"] == d["基尼系数"].iloc[1]
    assert (
        eq_rows.loc["泰尔组间：社区与村之间（末年）", "low"] == d["泰尔组间(社区与村之间)"].iloc[1]
    )
    table = eq_rows
    before = table.loc["基尼系数：覆盖率（现状）"]
    assert before["low"] == before["high"]  # the same district today
    final = table.loc["基尼系数：覆盖率（末年）"]
    assert final["low"] < before["low"] and final["high"] < before["high"]
    for item in (
        "泰尔指数：覆盖率（末年）",
        "泰尔组间：社区与村之间（末年）",
        "基尼系数：村之间（末年）",
        "基尼系数：覆盖率按特困老人数加权（末年）",
    ):
        assert item in table.index and item in printed["compare"]
    per_plan = _csv(folder / "comparison_equity.csv")
    assert set(per_plan["方案"]) == {"low", "high"}
    png = (folder / "comparison_lorenz.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png


def _map_lorenz(path: Path) -> bytes:
    """The PNG embedded in a map's Lorenz panel."""
    text = path.read_text(encoding="utf-8")
    found = re.findall(
        r'<details id="siting-lorenz" class="siting-lorenz"><summary>([^<]+)</summary>'
        r'<img alt="[^"]+" src="data:image/png;base64,([A-Za-z0-9+/=]+)">',
        text,
    )
    assert len(found) == 1, path
    assert found[0][0] == "公平性：洛伦兹曲线（点击展开）"
    return base64.b64decode(found[0][1])


def test_the_maps_show_the_lorenz_figure_written_beside_the_tables(runs):
    root, _ = runs
    assert (
        _map_lorenz(root / "maps" / "plan_low.html")
        == (root / "output" / "low" / "plan_lorenz.png").read_bytes()
    )
    assert (
        _map_lorenz(root / "maps" / "compare.html")
        == (root / "output" / "compare" / "comparison_lorenz.png").read_bytes()
    )


def test_the_figures_are_the_same_bytes_in_a_second_run(runs, tmp_path):
    root, _ = runs
    low = _toml(tmp_path, "low", 30)
    _run(tmp_path, ["plan", str(low)])
    for name in ("plan_lorenz.png", "plan_equity.csv", "plan.xlsx"):
        first = (root / "output" / "low" / name).read_bytes()
        assert (tmp_path / "output" / "low" / name).read_bytes() == first, name


def test_optimize_writes_siting_equity_and_weighted_demand_is_measured(tmp_path):
    path = tmp_path / "weighted.toml"
    path.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n'
        '[output]\ndir = "output/w"\n[demand]\nweight_disabled = 3\nweight_extreme_poor = 3\n',
        encoding="utf-8",
    )
    out = _run(tmp_path, ["--lang", "en", "optimize", str(path), "--budget", "200"])
    folder = tmp_path / "output" / "w"
    eq = _csv(folder / "siting_equity.csv")
    assert set(eq["stage"]) == {"before the plan", "after the plan"}
    assert eq["year"].isna().all()  # one period: not dated
    w = eq[eq["measure"] == "coverage of the weighted demand"]
    assert len(w) == 6 and w["weighted by"].eq("weighted demand").all()
    # with the roster's people at their homes, the weights are the published (rounded) figures
    assert (w["weight total"] % 10 == 0).all()
    assert ((w["Gini"] > 0) & (w["Gini"] < 1)).all()
    cov = eq[(eq["measure"] == "walking coverage of the elderly") & (eq["scope"] == "district")]
    summary = dict(_csv(folder / "siting_summary.csv").iloc[:, :2].to_numpy())
    assert cov["weighted mean"].iloc[1] == pytest.approx(
        float(summary["coverage after (%)"]), abs=0.051
    )
    assert (folder / "lorenz.png").read_bytes().startswith(b"\x89PNG")
    assert "Equity" in out and "Gini" in out
    # before the plan, the weighted rows are those of the published coverage table
    _run(tmp_path, ["--lang", "en", "coverage", str(path)])
    com = _csv(folder / "coverage_communities.csv")
    wd, cw = com["weighted demand"].to_numpy(float), com["weighted demand covered"].to_numpy(float)
    before = w[(w["stage"] == "before the plan") & (w["scope"] == "district")].iloc[0]
    assert before["weight total"] == wd.sum()
    assert before["weighted mean"] == pytest.approx(100 * cw.sum() / wd.sum(), abs=0.051)
    keep = wd > 0
    assert before["Gini"] == pytest.approx(pairwise_gini(cw[keep] / wd[keep], wd[keep]), abs=5e-5)
