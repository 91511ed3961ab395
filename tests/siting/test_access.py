"""Accessibility (2SFCA, E2SFCA, gravity): PySAL ``access`` as the oracle, a hand-worked example,
plans that only add sites, and bad settings or supply refused with nothing written."""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix

from siting.access import (
    SUPPLY_DEFAULTS,
    AccessSettings,
    access_settings,
    compute_access,
    facility_supply,
    floating_catchment,
)
from siting.cli import main
from siting.errors import InputError, ScenarioError
from tests.siting.refusal import assert_refused

access = pytest.importorskip("access")  # PySAL access (the test extra)
logging.getLogger("access").setLevel(logging.WARNING)

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"

E2SFCA_BANDS = AccessSettings(method="e2sfca")
SETTINGS = {
    "2sfca": AccessSettings(method="2sfca"),
    "e2sfca": E2SFCA_BANDS,
    "gaussian": AccessSettings(method="e2sfca", bands_minutes=(), sigma_minutes=7.0),
    "gravity": AccessSettings(method="gravity", gravity_beta=1.5, gravity_min_minutes=2.0),
}


def pysal_access(
    seconds: csr_matrix, demand: np.ndarray, supply: np.ndarray, key: str
) -> np.ndarray:
    """The oracle: PySAL ``access`` on the pairs of ``seconds`` (a long travel-time table in s)."""
    from access import Access, weights

    coo = seconds.tocoo()
    cost = pd.DataFrame(
        {"origin": [f"d{i}" for i in coo.row], "dest": [f"s{j}" for j in coo.col], "cost": coo.data}
    )
    dem = pd.DataFrame({"demand": demand}, index=pd.Index([f"d{i}" for i in range(len(demand))]))
    dem.index.name = "geoid"
    sup = pd.DataFrame({"supply": supply}, index=pd.Index([f"s{j}" for j in range(len(supply))]))
    sup.index.name = "geoid"
    a = Access(
        demand_df=dem,
        demand_index=True,
        demand_value="demand",
        supply_df=sup,
        supply_index=True,
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    s = SETTINGS[key]
    if key == "2sfca":
        out = a.two_stage_fca(name="x", max_cost=60.0 * s.max_minutes)
    elif key == "e2sfca":
        step = weights.step_fn(
            {60.0 * b: w for b, w in zip(s.bands_minutes, s.weights, strict=True)}
        )
        out = a.enhanced_two_stage_fca(name="x", weight_fn=step)
    elif key == "gaussian":
        out = a.enhanced_two_stage_fca(
            name="x",
            weight_fn=weights.gaussian(60.0 * s.sigma_minutes),
            max_cost=60.0 * s.max_minutes,
        )
    else:
        gravity = weights.gravity(
            scale=60.0, alpha=-s.gravity_beta, min_dist=60.0 * s.gravity_min_minutes
        )
        out = a.two_stage_fca(name="x", weight_fn=gravity, max_cost=60.0 * s.max_minutes)
    values = out["x_supply"].reindex(dem.index)
    return values.fillna(0.0).to_numpy()


def test_band_weights_are_the_gaussian_at_the_inner_edges():
    from access import weights

    gauss = weights.gaussian(5.69)
    assert E2SFCA_BANDS.weights == pytest.approx([gauss(0.0), gauss(5.0), gauss(10.0)], abs=1e-15)
    # Luo & Qi's 1, 0.68, 0.22 for 10/20/30 minutes, on half the catchment
    assert E2SFCA_BANDS.weights == pytest.approx([1.0, 0.68, 0.22], abs=0.01)


@pytest.mark.parametrize("key", list(SETTINGS))
def test_equals_pysal_on_a_random_instance(key):
    rng = np.random.default_rng(20260601)
    m, k = 60, 9
    dense = rng.uniform(0, 2400, size=(m, k))
    dense[rng.random((m, k)) < 0.35] = np.nan  # out of reach: not stored
    dense[0, :3] = [300.0, 600.0, 900.0]  # exactly on the band edges and the catchment
    dense[1, 0] = 0.0  # a stored 0 is a 0-second walk
    rows, cols = np.nonzero(np.isfinite(dense))
    seconds = csr_matrix((dense[rows, cols], (rows, cols)), shape=(m, k))
    demand = rng.uniform(1, 50, size=m)
    supply = rng.uniform(50, 2000, size=k)
    ours = floating_catchment(seconds, demand, supply, SETTINGS[key]).access
    np.testing.assert_allclose(
        ours, pysal_access(seconds, demand, supply, key), rtol=1e-9, atol=1e-12
    )
    assert (ours > 0).sum() > m // 3


@pytest.fixture(scope="module")
def small():
    """demo-small: inputs, walking graph, coverage and its optimized plan (one siting stage)."""
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.optimize import optimize, optimize_settings
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    scenario = load_scenario(SMALL)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    coverage = compute_coverage(inputs, graph)
    plan = optimize(inputs, coverage, optimize_settings(scenario), graph=graph)
    return inputs, coverage, plan


@pytest.mark.parametrize("key", list(SETTINGS))
def test_equals_pysal_on_the_small_demo_district(small, key):
    inputs, coverage, _ = small
    result = compute_access(inputs, coverage, settings=SETTINGS[key])
    sup = facility_supply(inputs.facilities, SETTINGS[key])
    cols = np.flatnonzero(sup["supplies"].to_numpy(dtype=bool))
    seconds = coverage.matrix.seconds[:, cols]
    expected = pysal_access(seconds, coverage.matrix.weights, sup["supply"].to_numpy()[cols], key)
    np.testing.assert_allclose(result.points["access"], expected, rtol=1e-9, atol=1e-12)
    assert (
        len(cols) == 12 and seconds.nnz > 100
    )  # 12 home-care facilities (2 institutions left out)


def test_hand_worked_two_facilities_three_homes():
    # homes 1-3 with demand 100, 200, 300; facilities of 600 and 300 m²; minutes:
    #   home 1: 5 to f1;  home 2: 12 to f1, 8 to f2;  home 3: 20 to f1 (beyond 15), 14 to f2
    minutes = {(0, 0): 5, (1, 0): 12, (1, 1): 8, (2, 0): 20, (2, 1): 14}
    (r, c), t = zip(*minutes.keys(), strict=True), [60.0 * v for v in minutes.values()]
    seconds = csr_matrix((t, (r, c)), shape=(3, 2))
    demand, supply = np.array([100.0, 200.0, 300.0]), np.array([600.0, 300.0])

    # 2SFCA: R1 = 600 / (100 + 200) = 2, R2 = 300 / (200 + 300) = 0.6
    two = floating_catchment(seconds, demand, supply, AccessSettings())
    np.testing.assert_allclose(two.ratio, [2.0, 0.6], rtol=1e-15)
    np.testing.assert_allclose(two.access, [2.0, 2.6, 0.6], rtol=1e-15)

    # E2SFCA, bands 5/10/15 weighted 1, 0.68, 0.22 (5 min is in the first band):
    # D1 = 100 + 0.22·200 = 144, D2 = 0.68·200 + 0.22·300 = 202
    e2 = AccessSettings(method="e2sfca", band_weights=(1.0, 0.68, 0.22))
    got = floating_catchment(seconds, demand, supply, e2)
    np.testing.assert_allclose(got.catchment_demand, [144.0, 202.0], rtol=1e-15)
    np.testing.assert_allclose(got.access, [25 / 6, 2335 / 1212, 33 / 101], rtol=1e-14)

    # gravity 1/t: D1 = 100/5 + 200/12 = 110/3, D2 = 200/8 + 300/14 = 325/7
    grav = AccessSettings(method="gravity", gravity_beta=1.0)
    got = floating_catchment(seconds, demand, supply, grav)
    np.testing.assert_allclose(got.ratio, [180 / 11, 84 / 13], rtol=1e-14)
    np.testing.assert_allclose(got.access, [36 / 11, 621 / 286, 6 / 13], rtol=1e-14)

    # every measure shares out exactly the supply: Σ D_i A_i = Σ S_j
    for s in (AccessSettings(), e2, grav):
        a = floating_catchment(seconds, demand, supply, s).access
        assert math.isclose(float(demand @ a), 900.0, rel_tol=1e-14)


def test_units_are_population_weighted_means(small):
    inputs, coverage, _ = small
    result = compute_access(inputs, coverage)
    p = result.points
    by_com = (p["elderly"] * p["access"]).groupby(p["community_code"]).sum() / p.groupby(
        "community_code"
    )["elderly"].sum()
    com = result.communities.set_index("code")["access"]
    np.testing.assert_allclose(com[by_com.index], by_com, rtol=1e-12)
    by_st = (p["elderly"] * p["access"]).groupby(p["street_code"]).sum() / p.groupby("street_code")[
        "elderly"
    ].sum()
    np.testing.assert_allclose(
        result.streets.set_index("code")["access"][by_st.index], by_st, rtol=1e-12
    )
    # no supply in reach ⇔ access 0; the supply reaching anyone is shared out exactly
    none = p.loc[p["access"] == 0, "elderly"].sum()
    assert result.district_value("elderly_without_access") == pytest.approx(none)
    reached = result.district_value("supply_reached")
    assert float(p["weighted"] @ p["access"]) == pytest.approx(reached, rel=1e-12)
    # demo-small's facilities give every floor area: no default used
    assert result.n_defaults == 0 and reached == pytest.approx(5884.0)


def test_after_a_plan_that_only_adds_sites_nobody_loses(small):
    inputs, coverage, plan = small
    assert set(plan.sites["action"]) == {"new"} and len(plan.sites) == 12
    for s in (AccessSettings(), E2SFCA_BANDS, SETTINGS["gravity"]):
        result = compute_access(inputs, coverage, settings=s, siting=plan)
        before, after = result.points["access"], result.points["access_after"]
        assert (after >= before - 1e-12).all()
        assert (after > before + 1e-9).sum() > 50
        assert result.district_value("access_after") > result.district_value("access")
        assert float(result.points["weighted"] @ after) == pytest.approx(
            result.district_value("supply_reached_after"), rel=1e-12
        )
    new = result.facilities[result.facilities["stage"] == "new"]
    assert len(new) == 12 and set(new["supply_from"]) == {"site"}  # candidates' floor areas


def test_beds_take_the_size_standard_where_missing(small):
    inputs, coverage, plan = small
    fac = inputs.facilities.copy()
    fac.loc[fac["type"] == "street_center", "beds"] = np.nan
    s = AccessSettings(supply="beds")
    sup = facility_supply(fac, s)
    centre = sup[sup["type"] == "street_center"].iloc[0]
    assert centre["supply"] == 20.0 and centre["supply_from"] == "default"
    assert "001 附件1" in centre["default_source"]
    result = compute_access(inputs, coverage, settings=s, siting=plan)
    # the plan's 12 village points have no beds standard: 0 beds, counted as defaults
    assert result.n_defaults == 12
    assert SUPPLY_DEFAULTS["beds"]["village_point"].value == 0.0
    staff = AccessSettings(supply="staff", default_supply={"staff": {"village_point": 2}})
    with pytest.raises(InputError, match="column 'staff' missing"):
        facility_supply(fac, staff)


def test_settings_out_of_range_name_the_key():
    cases = {
        "access.gravity_beta": {"gravity_beta": 0},
        "access.sigma_minutes": {"sigma_minutes": -1.0},
        "access.bands_minutes": {"bands_minutes": (10.0, 5.0, 15.0)},
        "access.band_weights": {"band_weights": (0.5, 0.8, 0.2)},
        "access.max_minutes": {"max_minutes": 90.0},
        "access.method": {"method": "3sfca"},
        "access.default_supply.beds.station": {"default_supply": {"beds": {"station": -2}}},
    }
    for key, kw in cases.items():
        with pytest.raises(ScenarioError) as info:
            AccessSettings(**kw)
        assert key in {p.column for p in info.value.problems}, key


def _copy(tmp_path: Path, access_toml: str = "", facilities=None) -> Path:
    folder = tmp_path / "inputs" / "demo-small"
    shutil.copytree(SMALL, folder)
    if access_toml:
        with (folder / "scenario.toml").open("a", encoding="utf-8") as fh:
            fh.write("\n" + access_toml + "\n")
    if facilities is not None:
        path = folder / "facilities_amap.csv"
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        facilities(frame)
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    return folder


def _negative_area(frame: pd.DataFrame) -> None:
    frame.loc[3, "建筑面积"] = "-50"


def _institution_without_beds(frame: pd.DataFrame) -> None:
    frame.loc[frame["类型"] == "养老院", "床位数"] = ""


BAD = {
    "beta": ("[access]\ngravity_beta = -1", None, ["access.gravity_beta", "must be a number > 0"]),
    "sigma": ("[access]\nsigma_minutes = 0", None, ["access.sigma_minutes"]),
    "bands": ("[access]\nbands_minutes = [10, 5, 15]", None, ["access.bands_minutes"]),
    "negative default": (
        '[access]\nsupply = "beds"\n[access.default_supply.beds]\nstation = -3',
        None,
        ["access.default_supply.beds.station", "must be a supply >= 0"],
    ),
    "no column": ('[access]\nsupply = "staff"', None, ["column 'staff' missing", "access.supply"]),
    "negative supply": ("", _negative_area, ["facilities_amap.csv, row 5, column '建筑面积'"]),
    "no default": (
        '[access]\nsupply = "beds"\ntypes = ["station", "institution"]',
        _institution_without_beds,
        ["no beds given and type institution has no default", "[access.default_supply.beds]"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_access_input_is_refused_with_nothing_written(case, tmp_path, monkeypatch, capsys):
    toml, edit, says = BAD[case]
    folder = _copy(tmp_path, toml, edit)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    outputs = [work / "output", work / "maps"]
    assert_refused(["access", str(folder)], capsys, inputs=[folder], outputs=outputs, says=says)
    if case != "negative supply":  # `siting validate` finds the same problem
        assert_refused(
            ["validate", str(folder), "--skip-network"],
            capsys,
            inputs=[folder],
            outputs=outputs,
            says=says[:1],
        )


def test_access_command_writes_the_tables(tmp_path, monkeypatch, capsys, small):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "acc"
    assert main(["access", str(SMALL), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "全区可达性" in printed and "2SFCA，15 分钟步行圈" in printed
    names = {p.name for p in out.iterdir()}
    assert names == {
        "access.xlsx",
        "access.run.json",
        "access_communities.csv",
        "access_streets.csv",
        "access_district.csv",
        "access_equity.csv",
        "access_facilities.csv",
    }
    district = pd.read_csv(out / "access_district.csv", encoding="utf-8-sig")
    inputs, coverage, plan = small
    expected = compute_access(inputs, coverage, siting=plan)
    row = district.iloc[0]
    assert row["范围"] == "全区"
    assert row["可达性(平方米/老年人)"] == round(expected.district_value("access"), 4)
    assert row["规划后可达性(平方米/老年人)"] == round(expected.district_value("access_after"), 4)
    com = pd.read_csv(out / "access_communities.csv", encoding="utf-8-sig", dtype={"代码": str})
    assert len(com) == len(inputs.communities)

    en = tmp_path / "en"
    assert (
        main(["--lang", "en", "access", str(SMALL), "--method", "gravity", "--out", str(en)]) == 0
    )
    assert "gravity, weight max(t, 1)^−1" in capsys.readouterr().out
    st = pd.read_csv(en / "access_streets.csv", encoding="utf-8-sig")
    assert "access (m² per older person)" in st.columns
    assert "access after the plan (m² per older person)" in st.columns


def test_scenario_reads_the_access_section(tmp_path):
    from siting.scenario import load_scenario

    folder = _copy(
        tmp_path,
        '[access]\nmethod = "e2sfca"\nsupply = "beds"\nbands_minutes = [5, 10]\n'
        "band_weights = [1.0, 0.5]\n[access.default_supply.beds]\nvillage_point = 1",
    )
    s = access_settings(load_scenario(folder))
    assert (s.method, s.supply, s.catchment_minutes, s.weights) == (
        "e2sfca",
        "beds",
        10.0,
        (1.0, 0.5),
    )
    assert s.default_for("village_point").value == 1.0
    assert s.default_for("town_center").value == 20.0
    with pytest.raises(ScenarioError, match=r"unknown key 'access\.speed'"):
        load_scenario(_copy(tmp_path / "b", "[access]\nspeed = 1"))


def test_map_draws_the_access_layers_when_asked(tmp_path, monkeypatch, capsys):
    folder = _copy(tmp_path, "[access]\nmap = true")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    path = work / "m.html"
    assert main(["map", str(folder), "--out", str(path)]) == 0
    html = path.read_text(encoding="utf-8")
    for layer in ("社区/村可达性（现状）", "社区/村可达性（规划后）"):  # in the layer list
        assert json.dumps(layer)[1:-1] in html
    assert "可达性（平方米/老年人）" in html  # the legend
    plain = work / "plain.html"
    assert main(["map", str(SMALL), "--out", str(plain)]) == 0
    assert "可达性" not in plain.read_text(encoding="utf-8")  # off by default
    capsys.readouterr()


def test_access_layers_are_off_until_ticked(small):
    import folium

    from siting.access_tables import access_map_frame
    from siting.maps import coverage_map

    inputs, coverage, plan = small
    frame = access_map_frame(compute_access(inputs, coverage, siting=plan), lang="en")
    m = coverage_map(inputs, coverage=coverage.communities, access=frame, lang="en")
    layers = {c.layer_name: c.show for c in m._children.values() if isinstance(c, folium.GeoJson)}
    assert layers["access by community (current)"] is False
    assert layers["access by community (with the plan)"] is False
    assert layers["coverage by community (current)"] is True


def test_roster_weights_at_homes_round_the_catchments_up(tmp_path):
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    inputs = load_inputs(load_scenario(_copy(tmp_path, "[demand]\nweight_disabled = 3")))
    coverage = compute_coverage(inputs, walking_graph(inputs))
    result = compute_access(inputs, coverage)
    assert result.round_step == 20  # 10 × ⌈3 − 1⌉ (siting.disclosure)
    f = result.facilities[result.facilities["ratio"] > 0]
    catchment = f["supply"] / f["ratio"]
    np.testing.assert_allclose(catchment / 20, np.round(catchment / 20), atol=1e-9)
    exact = floating_catchment(
        coverage.matrix.seconds[:, np.isin(coverage.matrix.site_types, AccessSettings().types)],
        coverage.matrix.weights,
        np.ones(12),
        AccessSettings(),
    ).catchment_demand
    assert (catchment.to_numpy() >= exact[exact > 0] - 1e-9).all()  # rounded up, never down


def test_an_upgrade_replaces_its_facility_and_a_closure_removes_one(small):
    from types import SimpleNamespace

    inputs, coverage, _ = small
    m = coverage.matrix
    home = np.flatnonzero(m.site_types != "institution")
    station = int(np.flatnonzero(m.site_types == "station")[1])  # 金田社区养老服务站, 8 beds
    village = int(np.flatnonzero(m.site_types == "village_point")[0])
    options = pd.DataFrame(
        {
            "site_id": [*m.site_ids[home], m.site_ids[station]],
            "name": [""] * (len(home) + 1),
            "action": ["existing"] * len(home) + ["upgrade"],
            "type": [*m.site_types[home], "street_center"],
            "floor_area_given_m2": [np.nan] * len(home) + [1500.0],
        }
    )
    seconds = m.seconds[:, [*home, station]]
    open_ = np.ones(len(options), dtype=bool)
    open_[list(home).index(station)] = False  # upgraded away
    open_[list(home).index(village)] = False  # closed
    plan = SimpleNamespace(
        name="fake",
        open_options=open_,
        problem=SimpleNamespace(
            options=options, matrix=SimpleNamespace(seconds=seconds, demand_ids=m.demand_ids)
        ),
    )
    beds = compute_access(inputs, coverage, settings=AccessSettings(supply="beds"), siting=plan)
    f = beds.facilities.set_index(["site_id", "stage"])
    assert not f.loc[(m.site_ids[village], "existing"), "in_plan"]
    assert not f.loc[(m.site_ids[station], "existing"), "in_plan"]
    up = f.loc[(m.site_ids[station], "upgrade")]
    assert (up["type"], up["supply"], up["supply_from"]) == ("street_center", 20.0, "default")
    area = compute_access(inputs, coverage, siting=plan)
    up = area.facilities.set_index(["site_id", "stage"]).loc[(m.site_ids[station], "upgrade")]
    assert (up["supply"], up["supply_from"]) == (1500.0, "site")
    assert area.district_value("n_facilities_after") == 11  # 12 − the closed one


def test_siting_access_writes_the_equity_of_access(tmp_path, monkeypatch, capsys):
    """Gini of access across 社区/村, weighted by older people: the written table against the
    pairwise formula on the written per-community values (rounded to 4 decimals)."""
    from siting.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "en", "access", str(SMALL)]) == 0
    assert "equity of access" in capsys.readouterr().out
    out = tmp_path / "output" / "demo-small"
    com = pd.read_csv(out / "access_communities.csv", encoding="utf-8-sig")
    eq = pd.read_csv(out / "access_equity.csv", encoding="utf-8-sig")
    y_col = next(c for c in com.columns if c.startswith("access (") or c.startswith("access per"))
    w_col = next(c for c in com.columns if "older" in c.lower() and "without" not in c.lower())
    keep = com[w_col] > 0
    y = com.loc[keep, y_col].to_numpy(float)
    w = com.loc[keep, w_col].to_numpy(float)
    mean = (w * y).sum() / w.sum()
    pairwise = (w[:, None] * w[None, :] * np.abs(y[:, None] - y[None, :])).sum()
    expected = pairwise / (2 * w.sum() ** 2 * mean)
    row = eq[(eq.iloc[:, 4] == "district")].iloc[0]
    gini = float(row[next(c for c in eq.columns if "gini" in c.lower())])
    assert gini == pytest.approx(expected, abs=2e-3)
