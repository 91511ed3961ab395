"""The classic location objectives in the one model (issue 16 parts 3 and 4), against oracles.

Oracles: spopt's ``PMedian``, ``PCenter``, ``LSCPB`` and capacitated ``LSCP`` (CLSCP-SO) on
spopt's own test instance (San Francisco: 205 census tracts × 16 stores, network distances, read
from the installed spopt's test data) and on random cost matrices built as spopt's tests build
them (uniform points, integer demand 1–11); Swain's 55 nodes (``tests/input_data/swain55``);
brute-force enumeration of every plan on small instances with budgets, several types per site,
existing sites and 社区/村, each objective recomputed here with numpy (and the capacitated MCLP's
assignment with scipy's ``linprog``). Objectives are compared, never site sets (ties).

spopt's ``LSCPB`` counts a client that only one candidate covers as backed up (its backup
variable has no constraint), so its objective is ours plus the number of those clients.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
from scipy.optimize import linprog

import siting.model.solving as solve_module
from siting.cli import main
from siting.errors import InfeasibleError, InputError, ScenarioError
from siting.model import ModelSettings, SitingProblem
from siting.model.objectives import decay, set_start
from siting.model.rules import capacity_elderly
from siting.model.solver import Run
from siting.optimize import optimize, optimize_settings
from siting.scenario import load_scenario

spopt_locate = pytest.importorskip("spopt.locate")
LSCP, LSCPB, PCenter, PMedian = (
    spopt_locate.LSCP,
    spopt_locate.LSCPB,
    spopt_locate.PCenter,
    spopt_locate.PMedian,
)

SWAIN = Path(__file__).parents[1] / "input_data" / "swain55"
SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"
CBC = pulp.PULP_CBC_CMD(msg=False)


def settings(objective: str, **kw) -> ModelSettings:
    """Coverage and money alone (no documents' rules), solved to gap 0."""
    return ModelSettings(
        objective=objective,
        **{"health_rule": "off", "profile": "coverage_only", "mip_gap": 0.0, **kw},
    )


def random_instance(seed: int, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances (×100: "seconds") of m uniform points to k uniform sites, integer demand 1–11."""
    rng = np.random.default_rng(seed)
    pts, sites = rng.random((m, 2)), rng.random((k, 2))
    return 100 * np.linalg.norm(pts[:, None] - sites[None], axis=2), rng.integers(1, 12, m) * 1.0


def solve(d, objective: str, *, solver: str = "cbc", **kw):
    """Our model of a dense cost matrix; ``kw`` split between the constructor and the settings."""
    ctor = {
        k: kw.pop(k)
        for k in ("weights", "capacities", "predefined", "site_costs_wan_yuan", "service_radius")
        if k in kw
    }
    ctor.setdefault("service_radius", float(np.max(d)))
    s = settings(objective, solver=solver, **kw)
    result = SitingProblem.from_cost_matrix(d, settings=s, **ctor).solve()
    assert result.status == "optimal"
    # the certificate: the objective recomputed from the chosen sites is the one reported
    assert result.summary["objective_recomputed"] == pytest.approx(result.objective, rel=1e-9)
    return result


# ------------------------------------------------------------------------------------------
# spopt: random cost matrices as in spopt's tests
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "p"), [(1, 2), (2, 4)])
@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_p_median_equals_spopt(seed, p, solver):
    d, w = random_instance(seed, 60, 14)
    ours = solve(d, "p_median", weights=w, new_sites=p, solver=solver)
    theirs = PMedian.from_cost_matrix(d, w, p).solve(CBC)
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-9)
    assert 60 * ours.summary["mean_walk_minutes"] == pytest.approx(theirs.mean_dist, rel=1e-9)
    assert ours.summary["n_new_sites"] == p


def test_p_median_with_existing_sites_equals_spopt():
    d, w = random_instance(3, 50, 12)
    pre = np.zeros(12, dtype=bool)
    pre[[2, 7]] = True
    ours = solve(d, "p_median", weights=w, predefined=pre, new_sites=2)
    # spopt counts its predefined facilities within p
    theirs = PMedian.from_cost_matrix(d, w, 4, predefined_facilities_arr=np.flatnonzero(pre))
    assert ours.objective == pytest.approx(theirs.solve(CBC).problem.objective.value(), rel=1e-9)


@pytest.mark.parametrize(("seed", "p", "solver"), [(4, 3, "cbc"), (5, 5, "cbc"), (6, 4, "highs")])
def test_p_center_equals_spopt(seed, p, solver):
    d, _ = random_instance(seed, 40, 12)
    ours = solve(d, "p_center", new_sites=p, solver=solver)
    theirs = PCenter.from_cost_matrix(d, p).solve(CBC)
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    assert 60 * ours.summary["worst_walk_minutes"] == pytest.approx(ours.objective)
    # the tie-break: the least total walk among the plans with that worst walk
    assert [st["stage"] for st in ours.stages] == ["p_center", "p_median"]


@pytest.mark.parametrize("seed", [7, 8])
def test_lscp_b_equals_spopt_less_its_single_cover_clients(seed):
    d, _ = random_instance(seed, 60, 14)
    radius = 35.0
    d = d[(d <= radius).any(axis=1)]
    lscp = solve(d, "min_cost", coverage_target=1.0, service_radius=radius)
    p = round(lscp.objective)
    ours = solve(d, "backup", coverage_target=1.0, new_sites=p, service_radius=radius)
    theirs = LSCPB.from_cost_matrix(d, radius, CBC).solve()
    assert theirs.lscp_obj_value == p
    single = int(((d <= radius).sum(axis=1) < 2).sum())
    assert ours.objective == pytest.approx(theirs.problem.objective.value() - single)
    n_twice = int(((d[:, ours.open_options] <= radius).sum(axis=1) >= 2).sum())
    assert ours.objective == n_twice
    assert ours.summary["backup_covered_pct"] == pytest.approx(100 * n_twice / len(d))


@pytest.mark.parametrize(("seed", "solver"), [(9, "cbc"), (10, "highs"), (11, "cbc")])
def test_capacitated_set_covering_equals_spopt(seed, solver):
    d, w = random_instance(seed, 50, 12)
    radius = 40.0
    d = d[(d <= radius).any(axis=1)]
    w = w[: len(d)]
    cap = np.random.default_rng(seed).integers(30, 90, 12) * 1.0
    ours = solve(d, "capacitated", weights=w, capacities=cap, service_radius=radius, solver=solver)
    theirs = LSCP.from_cost_matrix(
        d, radius, demand_quantity_arr=w, facility_capacity_arr=cap
    ).solve(CBC)
    assert ours.objective == pytest.approx(theirs.problem.objective.value())
    # every older person assigned within the open sites' capacity
    assert ours.summary["assigned_elderly"] == pytest.approx(w.sum())
    assert ours.summary["capacity_open_elderly"] == pytest.approx(cap[ours.open_options].sum())


# ------------------------------------------------------------------------------------------
# spopt: its own San Francisco instance; Swain's 55 nodes
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def san_francisco() -> tuple[np.ndarray, np.ndarray]:
    """spopt's real-world test instance: network distances of 205 tracts to 16 stores, POP2000."""
    data = Path(spopt_locate.__file__).parents[1] / "tests" / "test_locate" / "data"
    path = data / "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
    if not path.exists():
        pytest.skip("spopt's test data is not installed")
    table = pd.read_csv(path).pivot_table(
        values="distance", index="DestinationName", columns="name"
    )
    demand = pd.read_csv(data / "SF_demand_205_centroid_uniform_weight.csv").sort_values("NAME")
    assert demand["NAME"].tolist() == table.index.tolist()
    return table.to_numpy(), demand["POP2000"].to_numpy(dtype=float)


def test_san_francisco_equals_spopt(san_francisco):
    d, pop = san_francisco
    pm = solve(d, "p_median", weights=pop, new_sites=4)
    assert pm.objective == pytest.approx(
        PMedian.from_cost_matrix(d, pop, 4).solve(CBC).problem.objective.value(), rel=1e-9
    )
    pc = solve(d, "p_center", new_sites=4)
    assert pc.objective == pytest.approx(
        PCenter.from_cost_matrix(d, 4).solve(CBC).problem.objective.value(), rel=1e-6
    )
    # LSCP-B at spopt's 5,000 m: spopt's test expects 81.46 % backed up, 22 of 205 tracts only
    # one store covers, so 145 tracts truly have a second store
    theirs = LSCPB.from_cost_matrix(d, 5000.0, CBC).solve()
    assert theirs.backup_perc == pytest.approx(81.46341463414633)
    bk = solve(
        d,
        "backup",
        coverage_target=1.0,
        new_sites=round(theirs.lscp_obj_value),
        service_radius=5000.0,
    )
    assert bk.objective == theirs.problem.objective.value() - 22 == 145


def swain() -> tuple[np.ndarray, np.ndarray]:
    rows = []
    for line in (SWAIN / "swain_medrano.dat").read_text().splitlines():
        fields = line.replace(",", " ").split()
        if len(fields) >= 4 and fields[0].isdigit():
            rows.append([float(x) for x in fields[:4]])
    a = np.array(rows)
    xy = a[:, 1:3]
    return np.linalg.norm(xy[:, None] - xy[None], axis=2), a[:, 3]


@pytest.mark.parametrize("p", [2, 5])
def test_swain_p_median_and_p_center_equal_spopt(p):
    d, demand = swain()
    pm = solve(d, "p_median", weights=demand, new_sites=p)
    theirs = PMedian.from_cost_matrix(d, demand, p).solve(CBC)
    assert pm.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-9)
    pc = solve(d, "p_center", new_sites=p, solver="highs")
    assert pc.objective == pytest.approx(
        PCenter.from_cost_matrix(d, p).solve(CBC).problem.objective.value(), rel=1e-6
    )


# ------------------------------------------------------------------------------------------
# brute force: budgets, several types per site, existing sites, 社区/村
# ------------------------------------------------------------------------------------------


def small_instance(seed: int):
    """12 points in 3 社区/村 × 7 options (options 5 and 6 are one site as two types; option 0
    exists), integer costs; times within 45 stored, coverage within 20."""
    rng = np.random.default_rng(seed)
    pts, sites = rng.random((12, 2)), rng.random((6, 2))
    d = 60 * np.linalg.norm(pts[:, None] - sites[None], axis=2)
    d = np.hstack([d, d[:, 5:6]])  # option 6: site 5 as another type
    d = np.where(d <= 45, d, np.inf)
    w = rng.integers(1, 12, 12) * 1.0
    cost = np.r_[0.0, rng.integers(1, 5, 6)]
    return dict(
        d=d,
        w=w,
        cost=cost,
        pre=np.arange(7) == 0,
        groups=np.array([0, 1, 2, 3, 4, 5, 5]),
        dc=np.repeat([0, 1, 2], 4),
    )


def plans(inst, budget: float):
    """Every plan: the existing site plus subsets of the others, one type per site, in budget."""
    for r in range(7):
        for c in itertools.combinations(range(1, 7), r):
            c = list(c)
            if inst["cost"][c].sum() <= budget + 1e-9 and len(set(inst["groups"][c])) == len(c):
                yield np.array([0, *c])


def values(inst, chosen, objective: str, settings_: ModelSettings):
    """The objective of a plan, recomputed with numpy alone (horizon: the longest stored walk)."""
    d, w = inst["d"], inst["w"]
    horizon = float(d[np.isfinite(d)].max())
    t = d[:, chosen].min(axis=1)
    walk = np.where(np.isfinite(t), t, horizon)
    covered = (d[:, chosen] <= 20).sum(axis=1)
    if objective == "p_median":
        return float((w * walk).sum())
    if objective == "p_center":
        reach = np.isfinite(d).any(axis=1)
        return float(walk[reach].max())
    if objective == "attendance":
        h = settings_.decay_half_minutes * 60
        f = 2.0 ** (-t / h) if settings_.decay == "exponential" else 2.0 ** (-((t / h) ** 2))
        return float((w * np.where(np.isfinite(t), f, 0.0)).sum())
    if objective == "coverage":
        return float(w[covered >= 1].sum())
    if objective == "backup":
        return float(w[covered >= 2].sum())
    share = np.bincount(inst["dc"], weights=w * (covered >= 1)) / np.bincount(inst["dc"], weights=w)
    reachable = np.bincount(inst["dc"], weights=w * (d <= 20).any(axis=1)) > 0
    if objective == "maximin":
        return float(share[reachable].min())
    return float((share[reachable] > 0).sum())  # reached


def brute(inst, objective, budget, s, order):
    """The best value of ``objective`` among the plans best in each of ``order`` before it."""
    best = list(plans(inst, budget))
    for name, sense in order:
        vals = np.array([values(inst, c, name, s) for c in best])
        target = vals.max() if sense == "max" else vals.min()
        if name == objective:
            return target
        best = [c for c, v in zip(best, vals, strict=True) if abs(v - target) <= 1e-9]
    raise AssertionError(objective)


ORDERS = {
    "p_median": [("p_median", "min")],
    "p_center": [("p_center", "min")],
    "attendance": [("attendance", "max")],
    "backup": [("coverage", "max"), ("backup", "max")],
    "maximin": [("maximin", "max")],
}


@pytest.mark.parametrize("seed", [21, 22, 23])
@pytest.mark.parametrize("objective", list(ORDERS))
def test_objectives_with_budget_groups_and_existing_sites_equal_brute_force(seed, objective):
    inst = small_instance(seed)
    budget = float(np.sort(inst["cost"][1:])[:3].sum())  # about three new sites
    extra = {"decay": "gaussian", "decay_half_minutes": 0.2} if seed == 22 else {}
    extra = extra or {"decay_half_minutes": 0.3}
    com = pd.DataFrame({"code": ["c0", "c1", "c2"], "name": ["甲社区", "乙社区", "丙村"]})
    com["kind"] = ["community", "community", "village"]
    s = settings(
        objective, budget_wan_yuan=budget, solver="highs" if seed == 23 else "cbc", **extra
    )
    p = SitingProblem.from_cost_matrix(
        inst["d"],
        service_radius=20.0,
        weights=inst["w"],
        predefined=inst["pre"],
        site_costs_wan_yuan=inst["cost"],
        site_groups=inst["groups"],
        demand_community=inst["dc"],
        communities=com,
        settings=s,
    )
    result = p.solve()
    assert result.status == "optimal"
    assert result.summary["objective_recomputed"] == pytest.approx(result.objective, rel=1e-9)
    expected = brute(inst, objective, budget, p.settings, ORDERS[objective])
    assert result.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert result.summary["spent_wan_yuan"] <= budget + 1e-9
    assert result.open_options[0]  # the existing site stays
    if objective == "p_center":  # its tie-break: least total walk at that worst walk
        order = [("p_center", "min"), ("p_median", "min")]
        assert result.stages[-1]["objective"] == pytest.approx(
            brute(inst, "p_median", budget, p.settings, order)
        )
    if objective == "maximin":  # then the most 社区/村 reached
        order = [("maximin", "max"), ("reached", "max")]
        reached = brute(inst, "reached", budget, p.settings, order)
        assert result.stages[1]["objective"] == reached == result.summary["units_reached"]


@pytest.mark.parametrize("seed", [31, 32])
def test_capacitated_maximal_covering_equals_brute_force(seed):
    d, w = random_instance(seed, 14, 7)
    cap = np.random.default_rng(seed).integers(10, 40, 7) * 1.0
    radius, p = 30.0, 2
    ours = solve(d, "capacitated", weights=w, capacities=cap, new_sites=p, service_radius=radius)
    cover = d <= radius
    best = 0.0
    for c in itertools.combinations(range(7), p):
        pairs = [(i, k) for k in c for i in np.flatnonzero(cover[:, k])]
        if not pairs:
            continue
        n = len(pairs)
        a = np.zeros((len(w) + p, n))  # each point at most once, each site at most its capacity
        for j, (i, k) in enumerate(pairs):
            a[i, j] = 1.0
            a[len(w) + c.index(k), j] = w[i]
        res = linprog(
            -np.array([w[i] for i, _ in pairs]),
            A_ub=a,
            b_ub=np.r_[np.ones(len(w)), cap[list(c)]],
            bounds=(0, 1),
        )
        best = max(best, -res.fun)
    assert ours.objective == pytest.approx(best, rel=1e-9)
    assert ours.summary["assigned_elderly"] == pytest.approx(best)


# ------------------------------------------------------------------------------------------
# the district: the documents' rules and the budget lines
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def district():
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.walking import walking_graph

    scenario = load_scenario(SMALL)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    return scenario, inputs, graph, compute_coverage(inputs, graph)


@pytest.mark.parametrize(
    "objective", ["p_median", "p_center", "backup", "capacitated", "attendance", "maximin"]
)
def test_every_objective_on_the_district_with_its_rules_and_budget_lines(district, objective):
    scenario, inputs, graph, cov = district
    r = optimize(inputs, cov, optimize_settings(scenario, objective=objective), graph=graph)
    assert r.status == "optimal"
    assert r.stages[0]["stage"] == "rules"  # the documents' rules first
    assert r.summary["objective_recomputed"] == pytest.approx(r.objective, rel=1e-9)
    assert r.summary["budgets_met"] and len(r.budget) >= 2
    sm = r.summary
    walk = {"p_median": sm["mean_walk_minutes"] * 60 * sm["weighted_total"]}
    walk["p_center"] = sm["worst_walk_minutes"] * 60
    if objective in walk:
        assert r.objective == pytest.approx(walk[objective], rel=1e-9)
    if objective == "capacitated":
        assert sm["assigned_elderly"] == pytest.approx(sm["covered_after"])
        assert sm["assigned_elderly"] <= sm["capacity_open_elderly"]
    if objective == "maximin":
        assert r.objective == pytest.approx(sm["worst_unit_coverage_pct"] / 100)


def test_the_cli_prints_each_objectives_figures(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    expected = {
        "p-median": "Walk to the nearest site: mean",
        "p-center": "min, worst",
        "backup": "Backup coverage (a second site in reach)",
        "capacitated": "Assigned within capacities",
        "attendance": "Attendance with distance decay (exponential, half at 15 min)",
        "maximin": "Worst-served 社区/村:",
    }
    for objective, text in expected.items():
        assert main(["--lang", "en", "optimize", str(SMALL), "--objective", objective]) == 0
        assert text in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# the certificate recomputes each objective from the chosen sites
# ------------------------------------------------------------------------------------------


def test_a_solver_whose_walks_are_not_the_plans_is_an_objective_mismatch(monkeypatch):
    d, w = random_instance(41, 30, 8)

    def run(model, s, *, start, time_limit_s=None):
        chosen = np.zeros(len(model.problem.options), dtype=bool)
        chosen[[0, 1]] = True
        for k, vs in model.o.items():
            vs[0].varValue = float(chosen[k])
        set_start(model, chosen)
        for u in model.objectives.u:  # the model's walk variables say every point is at d¹
            u.varValue = 0.0
        value = model.objective_value()
        return Run("optimal", value, value, 0.0, solver_status="optimal", solver_objective=value)

    monkeypatch.setattr(solve_module, "run_solver", run)
    s = settings("p_median", new_sites=2)
    r = SitingProblem.from_cost_matrix(d, service_radius=100.0, weights=w, settings=s).solve()
    assert r.status == "objective_mismatch"
    true = float((w * d[:, [0, 1]].min(axis=1)).sum())
    assert r.objective == pytest.approx(true) and r.stages[0]["solver_objective"] < true


# ------------------------------------------------------------------------------------------
# settings: capacities, decay; bad input
# ------------------------------------------------------------------------------------------


def test_capacities_default_to_the_size_standards():
    s = ModelSettings(new_sites=1)
    assert s.capacity_per_m2()["station"] == 2.5  # 200 m² for a 社区 of < 500 older people
    assert s.capacity_per_bed() == {"street_center": 187.5, "town_center": 100.0}
    types = np.array(["station", "street_center", "town_center", "village_point"], dtype=object)
    area = np.array([300.0, 1500.0, 800.0, 60.0])
    beds = np.array([np.nan, 40.0, np.nan, np.nan])
    assert capacity_elderly(types, area, beds, s).tolist() == [750.0, 3750.0, 2000.0, 150.0]
    by_beds = capacity_elderly(types, area, beds, ModelSettings(new_sites=1, capacity_basis="beds"))
    assert by_beds[:2].tolist() == [750.0, 7500.0] and np.isnan(by_beds[2])
    given = ModelSettings(
        new_sites=1, capacity_elderly_per_m2={"station": 4.0}, small_community_elderly=400
    )
    assert (
        given.capacity_per_m2()["station"] == 4.0 and given.capacity_per_m2()["town_center"] == 2.0
    )


def test_the_decay_halves_at_its_half_minutes():
    exp = ModelSettings(new_sites=1)
    gauss = ModelSettings(new_sites=1, decay="gaussian", decay_half_minutes=10)
    assert decay(np.array([0.0, 15.0, 30.0]), exp).tolist() == [1.0, 0.5, 0.25]
    assert decay(np.array([0.0, 10.0, 20.0]), gauss).tolist() == [1.0, 0.5, 0.0625]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"decay_half_minutes": 0},
            r"decay_half_minutes must be a number of minutes in \(0, 1440\], got 0",
        ),
        ({"decay_half_minutes": float("nan")}, r"got nan"),
        ({"decay": "linear"}, r"unknown decay 'linear'"),
        ({"capacity_basis": "rooms"}, r"unknown capacity_basis 'rooms'"),
        ({"capacity_elderly_per_bed": {"station": 10}}, r"capacity by beds is for the centers"),
        (
            {"policies": ("capacity",)},
            r"capacity rule cannot be combined with objective attendance",
        ),
    ],
)
def test_bad_settings_name_the_key_and_the_value(kw, message):
    with pytest.raises(ScenarioError, match=message):
        ModelSettings(objective="attendance", new_sites=2, **kw)


def test_a_capacitated_objective_without_capacities_is_refused():
    d, w = random_instance(51, 20, 6)
    s = settings("capacitated", new_sites=2)
    p = SitingProblem.from_cost_matrix(d, service_radius=30.0, weights=w, settings=s)
    with pytest.raises(InputError, match=r"needs the capacity of every site .* 6 of 6 have none"):
        p.solve()
    cap = np.full(6, 5.0)  # 30 older people of capacity for 120+ to assign: the numbers
    with pytest.raises(InfeasibleError, match=r"[\d,.]+ older people to assign, but the 6 sites"):
        settings_ = settings("capacitated")
        SitingProblem.from_cost_matrix(
            d, service_radius=30.0, weights=w, capacities=cap, settings=settings_
        ).solve()


def test_centers_without_beds_under_capacity_by_beds_are_named(district):
    import dataclasses

    scenario, inputs, graph, cov = district
    fac = inputs.facilities.copy()
    fac.loc[fac["type"] == "town_center", "beds"] = np.nan  # the two town centers' beds unknown
    inputs = dataclasses.replace(inputs, facilities=fac)
    s = optimize_settings(scenario, objective="capacitated", capacity_basis="beds")
    with pytest.raises(
        InputError,
        match=r"needs the capacity of every site that may open: 2 of 42 have none \(town_center 2",
    ) as info:
        optimize(inputs, cov, s, graph=graph)
    assert info.value.problems[0].column == "rules.capacity_basis"
    assert optimize(inputs, cov, dataclasses.replace(s, capacity_basis="floor_area"), graph=graph)


def test_p_center_with_a_budget_that_cannot_open_one_site_is_refused():
    d, _ = random_instance(52, 20, 6)
    cost = np.array([5.0, 6, 7, 8, 9, 9])
    s = settings("p_center", budget_wan_yuan=3.0)
    p = SitingProblem.from_cost_matrix(d, service_radius=30.0, site_costs_wan_yuan=cost, settings=s)
    with pytest.raises(
        InfeasibleError,
        match=r"the budget cannot open one site: the cheapest of the 6 sites needs 5\.0 万元 of "
        r"budget_wan_yuan \(3\.0 万元\): every walk would be the search horizon",
    ):
        p.solve()


def test_maximin_without_communities_is_refused():
    d, w = random_instance(53, 20, 6)
    p = SitingProblem.from_cost_matrix(
        d, service_radius=30.0, weights=w, settings=settings("maximin", new_sites=2)
    )
    with pytest.raises(InputError, match="objective maximin needs 社区/村"):
        p.solve()


def test_bad_decay_in_a_scenario_writes_nothing(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            extends = "{(SMALL / "scenario.toml").as_posix()}"
            [optimize]
            objective = "attendance"
            decay = "gaussian"
            decay_half_minutes = -5
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="decay_half_minutes"):
        optimize_settings(load_scenario(path))
    assert main(["optimize", str(path)]) == 1
    out = capsys.readouterr().out
    assert "optimize.decay_half_minutes" in out and "-5" in out
    assert not (tmp_path / "output").exists() and not (tmp_path / "maps").exists()
