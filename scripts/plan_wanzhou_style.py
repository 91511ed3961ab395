"""万州-style rural plan on the demo district: new village mutual-aid points every year.

万州 (policy document 002) adds 80 村级互助养老点 a year to its 413 村 (283 by 2020, 437 by 2022).
Scaled to the demo district's 250 村: 80 × 250 / 413 = 48.4 → 48 new points a year, 2021–2022
(``data/demo/plans/wanzhou_style.toml``).

- Fixed plan (the usual rule): each year, the 48 largest 村 (by older people) that have no point
  yet get one, on the candidate site inside the 村 with the largest floor area.
- Optimized plan: also exactly 48 new points a year, with the same money each year (the budget of
  each year is what the fixed rule spends in it), placed to cover the most elderly-years.

Writes the tables of both plans and their comparison to ``output/plans/wanzhou_style/`` and one
map with both plans as layers to ``maps/plan_wanzhou_style.html``; prints what the optimized plan
gains over the fixed one.

Usage: ``python scripts/plan_wanzhou_style.py [--time-limit 60] [--lang zh|en]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from siting.compare import compare, gain_report, write_comparison
from siting.io import load_inputs
from siting.model import PlannedBuild, build_problem
from siting.plan import plan_settings
from siting.reports import write_plan_outputs
from siting.scenario import load_scenario
from siting.walking import walking_graph

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "data" / "demo" / "plans" / "wanzhou_style.toml"
NAME = "wanzhou_style"
WANZHOU_POINTS_PER_YEAR = 80
WANZHOU_VILLAGES = 413  # 村 of 万州 (NBS 2023 codes)


def fixed_rule(problem, per_year: int) -> list[PlannedBuild]:
    """Largest 村 without a point first; in each, the candidate with the largest floor area."""
    cols = problem.options
    com = problem.communities
    existing = problem.existing
    types = cols["type"].to_numpy()
    where = cols["community"].to_numpy()
    has_point = set(where[existing & np.isin(types, ["village_point", "station"])].tolist())
    order = com[(com["kind"] == "village")].sort_values("elderly", ascending=False, kind="stable")
    builds: list[PlannedBuild] = []
    years = problem.settings.years
    for c in order.index:
        if c in has_point:
            continue
        options = cols[(where == c) & (types == "village_point") & ~existing & problem.allowed]
        if options.empty:
            continue
        best = options.sort_values(["floor_area_m2", "site_id"], ascending=[False, True]).iloc[0]
        j = len(builds) // per_year
        if j >= len(years):
            break
        builds.append(
            PlannedBuild(site_id=str(best["site_id"]), type="village_point", year=years[j])
        )
    return builds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()

    scenario = load_scenario(SCENARIO)
    inputs = load_inputs(scenario)
    n_villages = int((inputs.communities["kind"] == "village").sum())
    per_year = round(WANZHOU_POINTS_PER_YEAR * n_villages / WANZHOU_VILLAGES)
    graph = walking_graph(inputs)
    settings = plan_settings(
        scenario,
        time_limit_s=args.time_limit,
        max_new_per_year={"village_point": per_year},
        min_new_per_year={"village_point": per_year},
    )
    problem = build_problem(inputs, graph=graph, settings=settings)

    fixed = problem.evaluate(fixed_rule(problem, per_year), name="固定规则（大村优先）")
    budgets = tuple(float(v) for v in fixed.trajectory["spend_wan_yuan"].iloc[1:])
    optimized = problem.solve(name="优化方案（同样的钱）", budget_wan_yuan=budgets)

    out = scenario.output_dir()
    write_plan_outputs(fixed, out / "fixed", lang=args.lang, with_map=False)
    write_plan_outputs(optimized, out / "optimized", lang=args.lang, with_map=False)
    map_path = Path.cwd() / "maps" / f"plan_{NAME}.html"
    written = write_comparison(compare(fixed, optimized), out, lang=args.lang, map_path=map_path)

    years = f"{settings.years[0]}–{settings.years[-1]}"
    print(f"万州-style rural plan on the demo district, {years}")
    print(
        f"  {per_year} new village points a year (万州's {WANZHOU_POINTS_PER_YEAR} a year × "
        f"{n_villages} / {WANZHOU_VILLAGES} 村); same money each year: "
        + ", ".join(f"{y} {b:,.1f} 万元" for y, b in zip(settings.years, budgets, strict=True))
    )
    print(f"  growth of the elderly: {fixed.summary['growth']}")
    print(gain_report(fixed, optimized))
    gap = "n/a" if optimized.gap is None else f"{100 * optimized.gap:.2f} %"
    print(
        f"solver: {optimized.status}, gap {gap}, {optimized.seconds:.1f} s; {optimized.problem_size}"
    )
    print(f"wrote {out}/ (fixed/, optimized/, comparison.*) and {written[-1]}")
    print(f"run time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
