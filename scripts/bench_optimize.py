"""Benchmark: our sparse siting model against spopt's MCLP on the demo district's MCLP instance.

The instance: every demand point of the demo district (weighted older people), every existing
home-care facility fixed open, every candidate site × eligible type as a column, coverage within
15 minutes' walk in 社区 and 25 in 村 (the defaults), and exactly ``p`` new sites, maximising the
weighted older people covered. Both models are built and solved with the same solver (CBC via PuLP,
gap 0) in the same process, a few times each; the script prints the median build + solve times,
the problem sizes and ``speedup_vs_spopt=<ratio> objective_equal=<True|False>``. This is the
``coverage_only`` profile (no policy rule: the classic MCLP that spopt solves).

Then the same district under the default ``documents`` profile (the documents' rules: types where
they fit, size standards, a center per 街道/镇 and a station per 社区 / point per 村 where they can
be met, lexicographic stages rules → coverage) for the scenario's budget: model size, time per
stage, status and gap, the gaps left, and the objective recomputed from the chosen sites; last,
``documents_seconds=<s> documents_gap=<gap> documents_status=<status>``.

spopt's ``MCLP.from_cost_matrix`` takes a dense cost matrix and one service radius, so it is given
walking seconds divided by each pair's threshold (radius 1: the same coverage), with unreachable
pairs as ``inf``, and ``p`` plus the existing facilities as its facility count (its predefined
facilities count toward ``p``). Making that dense matrix is not timed.

Then the p-median (the classic objectives, :mod:`siting.model.objectives`) against spopt's
``PMedian.from_cost_matrix`` on one instance: the demand points of the district's 街道 (its
urban part; the whole district is 4,475 × 603 pairs, 2.7 million assignment variables for spopt's
dense model) and every option with a walk to them stored, the existing facilities fixed, exactly
``--pmedian-p`` new sites, least weighted walking time. spopt gets the dense matrix with every
pair beyond the search horizon at the horizon (our penalty for a point no open site reaches) and
``p`` plus the existing facilities; both are solved by CBC with gap 0 in the same process;
``pmedian_speedup_vs_spopt=<ratio> objective_equal=<True|False>``.

It prints the versions of PuLP, CBC and highspy first (:func:`siting.model.solver.solver_versions`).

Run: ``python scripts/bench_optimize.py [--p 40] [--pmedian-p 10] [--runs 3] [--scenario data/demo]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings

import numpy as np
import pulp


def _spopt_size(prob: pulp.LpProblem) -> dict[str, int]:
    cons = list(prob._constraints.values())
    return {
        "variables": len(prob.variables()),
        "constraints": len(cons),
        "nonzeros": sum(sum(1 for v in c.expr.values() if v != 0) for c in cons),
        "terms": sum(len(c.expr) for c in cons),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default=None, help="scenario (default: the demo district)")
    parser.add_argument("--p", type=int, default=40, help="number of new sites")
    parser.add_argument("--pmedian-p", type=int, default=10, help="new sites of the p-median")
    parser.add_argument("--runs", type=int, default=3, help="runs of each model (median reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")

    from spopt.locate import MCLP

    from siting.coverage import CoverageSettings, compute_coverage, coverage_matrix, snap_demand
    from siting.io import load_inputs
    from siting.model import ModelSettings, build_problem, solve
    from siting.model.solver import solver_versions
    from siting.optimize import optimize_settings
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    t = time.perf_counter()
    scenario = load_scenario(args.scenario)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    cov = compute_coverage(inputs, graph)
    cs = CoverageSettings.from_scenario(scenario)
    cand = coverage_matrix(
        graph,
        cov.demand,
        inputs.candidates,
        id_column="candidate_id",
        type_column="eligible_types",
        settings=cs,
        snapped_demand=snap_demand(graph, cov.demand, max_snap_m=cs.max_snap_m),
    )
    print(f"inputs, walking graph and coverage: {time.perf_counter() - t:.1f} s")
    versions = solver_versions()
    print(f"pulp {versions['pulp']}, cbc {versions['cbc']}, highspy {versions['highspy']}")
    settings = ModelSettings(
        objective="max_coverage",
        new_sites=args.p,
        profile="coverage_only",
        health_rule="off",
        mip_gap=0.0,
        time_limit_s=3600.0,
    )

    # the same coverage for spopt: seconds / threshold, radius 1, existing facilities predefined
    problem = build_problem(inputs, cov, candidates=cand, settings=settings)
    m = problem.matrix
    t_index = {name: i for i, name in enumerate(m.type_names)}
    coo = m.seconds.tocoo()
    col_t = np.array([t_index[x] for x in m.site_types])
    ratio = coo.data / m.threshold_s[coo.row, col_t[coo.col]]
    dense = np.full(m.shape, np.inf)
    dense[coo.row, coo.col] = ratio
    dense[:, ~np.isin(m.site_types, problem.coverage_types)] = np.inf
    existing = (problem.options["action"] == "existing").to_numpy()
    n_existing = int(existing.sum())
    print(
        f"instance: {m.shape[0]:,} demand points × {m.shape[1]} columns ({n_existing} existing fixed, "
        f"{m.shape[1] - n_existing} candidate × type), p = {args.p} new sites"
    )

    ours_t, spopt_t, ours_obj, spopt_obj = [], [], [], []
    ours_size: dict[str, int] = {}
    spopt_size: dict[str, int] = {}
    for run in range(args.runs):
        t0 = time.perf_counter()
        problem = build_problem(inputs, cov, candidates=cand, settings=settings)
        result = solve(problem)
        ours_t.append(time.perf_counter() - t0)
        ours_obj.append(result.objective)
        ours_size = dict(result.problem_size)
        if result.status != "optimal":
            raise SystemExit(f"our model did not solve to optimality: {result.status}")

        t0 = time.perf_counter()
        mclp = MCLP.from_cost_matrix(
            dense,
            m.weights,
            1.0,
            args.p + n_existing,
            predefined_facilities_arr=existing.astype(int),
        )
        build_s = time.perf_counter() - t0
        mclp.solve(pulp.PULP_CBC_CMD(msg=False))
        spopt_t.append(time.perf_counter() - t0)
        spopt_obj.append(float(mclp.problem.objective.value()))
        spopt_size = _spopt_size(mclp.problem)
        print(
            f"run {run + 1}: ours {ours_t[-1]:.2f} s (objective {ours_obj[-1]:,.3f}); spopt {spopt_t[-1]:.2f} s "
            f"(build {build_s:.2f} s; objective {spopt_obj[-1]:,.3f})"
        )
    ours_med, spopt_med = statistics.median(ours_t), statistics.median(spopt_t)
    equal = all(
        abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(ours_obj, spopt_obj, strict=True)
    )
    print(
        f"ours:  build + solve median {ours_med:.2f} s; {ours_size['variables']:,} variables, "
        f"{ours_size['constraints']:,} constraints, {ours_size['nonzeros']:,} nonzeros "
        f"({result.summary['classes']:,} demand classes)"
    )
    print(
        f"spopt: build + solve median {spopt_med:.2f} s; {spopt_size['variables']:,} variables, "
        f"{spopt_size['constraints']:,} constraints, {spopt_size['nonzeros']:,} nonzeros "
        f"({spopt_size['terms']:,} terms incl. zero coefficients)"
    )
    print(
        f"objective: ours {ours_obj[0]:,.3f}, spopt {spopt_obj[0]:,.3f} (weighted older people covered)"
    )
    print(f"speedup_vs_spopt={spopt_med / ours_med:.1f} objective_equal={equal}")
    _bench_p_median(problem, args.pmedian_p, args.runs)

    # the documents' rules (the default profile) for the scenario's budget
    docs = optimize_settings(scenario, mip_gap=0.0)
    times, last = [], None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        last = solve(build_problem(inputs, cov, candidates=cand, graph=graph, settings=docs))
        times.append(time.perf_counter() - t0)
    assert last is not None
    sm = last.summary
    money = "; ".join(f"{r.budget} {r.cap_wan_yuan:,.0f} 万元" for r in last.budget.itertuples())
    print(
        f"documents profile, budgets {money}: {sm['model_variables']:,} variables, "
        f"{sm['model_constraints']:,} constraints, {sm['model_nonzeros']:,} nonzeros "
        f"({sm['classes']:,} demand classes); build + solve median {statistics.median(times):.2f} s"
    )
    for st in last.stages:
        bound = "n/a" if st["bound"] is None else f"{st['bound']:,.3f}"
        gap = "n/a" if st["gap"] is None else f"{100 * st['gap']:.3f} %"
        print(
            f"  stage {st['stage']}: {st['status']}, objective {st['objective']:,.3f}, bound {bound}, "
            f"gap {gap}"
        )
    print(
        f"  {sm['n_new_sites']} new sites, {sm['spent_wan_yuan']:,.1f} 万元; coverage "
        f"{sm['coverage_before_pct']:.1f} % → {sm['coverage_after_pct']:.1f} %; gaps: "
        f"{sm['gaps_center_per_street']} 街道/镇, {sm['gaps_station_per_community']} 社区/村, "
        f"{sm['gaps_stations_per_center']} stations; objective recomputed {sm['objective_recomputed']:,.3f}"
    )
    print(
        f"documents_seconds={statistics.median(times):.2f} documents_gap="
        f"{0.0 if last.gap is None else last.gap:.6f} documents_status={last.status}"
    )


def _bench_p_median(problem, p: int, runs: int) -> None:
    """Our p-median against spopt's PMedian on the district's 街道 (see the module notes)."""
    from spopt.locate import PMedian

    from siting.model import ModelSettings, SitingProblem
    from siting.model.objectives import horizon_seconds

    com, streets = problem.communities, problem.streets
    urban = com["street_code"].isin(set(streets["code"][streets["kind"] == "street"])).to_numpy()
    points = np.flatnonzero(urban[problem.demand_community])
    cover_types = np.isin(problem.matrix.site_types, problem.coverage_types)
    seconds = problem.matrix.seconds[points].tocsc()
    cols = np.flatnonzero((np.diff(seconds.indptr) > 0) & cover_types)
    sub = seconds[:, cols].tocsr()
    weights = problem.matrix.weights[points]
    existing = problem.existing[cols]
    settings = ModelSettings(
        objective="p_median",
        new_sites=p,
        profile="coverage_only",
        health_rule="off",
        mip_gap=0.0,
        time_limit_s=3600.0,
    )
    print(
        f"p-median instance: {len(points):,} demand points of the 街道 × {len(cols)} options "
        f"({int(existing.sum())} existing fixed), {sub.nnz:,} walks stored, p = {p} new sites"
    )
    ours_t, spopt_t, ours_obj, spopt_obj = [], [], [], []
    result = None
    for run in range(runs):
        t0 = time.perf_counter()
        result = SitingProblem.from_cost_matrix(
            sub, service_radius=float(problem.matrix.max_seconds), weights=weights,
            predefined=existing, settings=settings,
        ).solve()  # fmt: skip
        ours_t.append(time.perf_counter() - t0)
        ours_obj.append(float(result.objective))
        if result.status != "optimal":
            raise SystemExit(f"our p-median did not solve to optimality: {result.status}")
        horizon = horizon_seconds(result.problem)  # the penalty of a point no open site reaches
        dense = np.full(sub.shape, horizon)
        coo = sub.tocoo()
        dense[coo.row, coo.col] = coo.data
        t0 = time.perf_counter()
        pm = PMedian.from_cost_matrix(
            dense,
            weights,
            p + int(existing.sum()),
            predefined_facilities_arr=np.flatnonzero(existing),
        )
        build_s = time.perf_counter() - t0
        pm.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0.0))
        spopt_t.append(time.perf_counter() - t0)
        spopt_obj.append(float(pm.problem.objective.value()))
        print(
            f"run {run + 1}: ours {ours_t[-1]:.2f} s (objective {ours_obj[-1]:,.1f}); spopt "
            f"{spopt_t[-1]:.2f} s (build {build_s:.2f} s; objective {spopt_obj[-1]:,.1f})"
        )
    assert result is not None
    ours_med, spopt_med = statistics.median(ours_t), statistics.median(spopt_t)
    equal = all(
        abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(ours_obj, spopt_obj, strict=True)
    )
    size = result.problem_size
    print(
        f"ours:  build + solve median {ours_med:.2f} s; {size['variables']:,} variables, "
        f"{size['constraints']:,} constraints, {size['nonzeros']:,} nonzeros; mean walk "
        f"{result.summary['mean_walk_minutes']:.2f} min, worst {result.summary['worst_walk_minutes']:.2f} min"
    )
    print(
        f"spopt: build + solve median {spopt_med:.2f} s; {_spopt_size(pm.problem)['variables']:,} variables"
    )
    print(f"pmedian_speedup_vs_spopt={spopt_med / ours_med:.1f} objective_equal={equal}")


if __name__ == "__main__":
    main()
