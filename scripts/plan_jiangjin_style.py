"""江津-style full-coverage plan on the demo district: every 社区 served in year 2, every 村 in year 4.

江津 (policy document 001 §一 and annexes 2–3) puts a facility in every 社区 by 2020 and in every
行政村 by 2022, with a table per 街道/镇 of how many to build each year. On the demo district
(``data/demo/plans/jiangjin_style.toml``, 2021–2024): a 社区养老服务站 in every 社区 without one by
2022 and a 村级互助养老点 in every 村 without one by 2024, at least cost.

1. The milestones as written: the demo has 社区 and 村 with no candidate site inside them, so no
   plan meets them; the script prints the explanation (which milestone, which 社区/村, why).
2. The achievable version: the same milestones for every 社区/村 that has a candidate site.
   - Fixed plan (the way the annex tables are drawn up): each 社区/村 gets the candidate inside it
     with the largest floor area; 社区 half in 2021 and half in 2022, 村 a quarter each year,
     the largest first.
   - Optimized plan: the least total spend (capital and operating incentives, 2021–2024) that
     meets the same milestones; among the cheapest plans, the most elderly-years covered.

Writes both plans' tables and their comparison to ``output/plans/jiangjin_style/`` and one map
with both plans as layers to ``maps/plan_jiangjin_style.html``; prints what the optimized plan
gains.

Usage: ``python scripts/plan_jiangjin_style.py [--time-limit 60] [--lang zh|en]``
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from siting.compare import compare, gain_report, write_comparison
from siting.errors import InfeasibleError
from siting.io import load_inputs
from siting.model import PlannedBuild, build_problem
from siting.model.rules import StationPerUnit, active_rules
from siting.plan import plan_settings
from siting.reports import write_plan_outputs
from siting.scenario import load_scenario
from siting.standards import UNIT_TYPES
from siting.walking import walking_graph

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "data" / "demo" / "plans" / "jiangjin_style.toml"
NAME = "jiangjin_style"


def fixed_rule(problem) -> list[PlannedBuild]:
    """Every 社区/村 the milestones ask for gets its largest candidate room; largest units first."""
    cols = problem.options
    com = problem.communities
    existing = problem.existing
    types = cols["type"].to_numpy()
    where = cols["community"].to_numpy()
    years = problem.settings.years
    builds: list[PlannedBuild] = []
    for ms in problem.settings.milestones:
        kind, want = ms.kind, UNIT_TYPES[ms.kind]
        own = want[0]  # station for 社区, village point for 村
        units = []
        for c in com[com["kind"] == kind].sort_values("elderly", ascending=False).index:
            if str(com.at[c, "code"]) in ms.exclude:
                continue
            if (existing & (where == c) & np.isin(types, want)).any():
                continue
            options = cols[(where == c) & (types == own) & ~existing & problem.allowed]
            if options.empty:
                continue
            best = options.sort_values(["floor_area_m2", "site_id"], ascending=[False, True]).iloc[
                0
            ]
            units.append(str(best["site_id"]))
        n_years = years.index(ms.year) + 1
        per = len(units) / n_years if units else 1
        builds += [PlannedBuild(sid, own, years[int(i // per)]) for i, sid in enumerate(units)]
    return builds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()

    scenario = load_scenario(SCENARIO)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    settings = plan_settings(scenario, time_limit_s=args.time_limit)
    problem = build_problem(inputs, graph=graph, settings=settings)
    years = f"{settings.years[0]}–{settings.years[-1]}"
    print(f"江津-style full-coverage plan on the demo district, {years}")

    # 1. the milestones as written
    try:
        problem.solve()
        print("  the milestones as written can be met")
        excluded = {}
    except InfeasibleError as exc:
        print("  the milestones as written cannot be met on the demo district:")
        for line in str(exc).splitlines()[1:]:
            print(f"    {line}")
        excluded = {
            r.milestone: tuple(u.code for u in r.unservable(problem))
            for r in active_rules(problem)
            if isinstance(r, StationPerUnit) and r.milestone is not None
        }

    # 2. the achievable milestones: every 社区/村 that has a candidate site
    milestones = tuple(
        dataclasses.replace(
            ms,
            exclude=ms.exclude + tuple(excluded.get(i, ())),
            name=f"{ms.name}（有候选点的）" if excluded.get(i) else ms.name,
        )
        for i, ms in enumerate(settings.milestones)
    )
    problem = problem.with_settings(milestones=milestones)
    fixed = problem.evaluate(fixed_rule(problem), name="固定规则（最大用房，均分年度）")
    optimized = problem.solve(name="优化方案（达标费用最省）")

    out = scenario.output_dir()
    write_plan_outputs(fixed, out / "fixed", lang=args.lang, with_map=False)
    write_plan_outputs(optimized, out / "optimized", lang=args.lang, with_map=False)
    map_path = Path.cwd() / "maps" / f"plan_{NAME}.html"
    written = write_comparison(compare(fixed, optimized), out, lang=args.lang, map_path=map_path)

    left_out = sum(len(v) for v in excluded.values())
    print(
        f"  achievable version: the same milestones for every 社区/村 with a candidate site "
        f"({left_out} left out); both plans meet them: "
        f"fixed {fixed.summary['milestones_met']}/{fixed.summary['milestones']}, "
        f"optimized {optimized.summary['milestones_met']}/{optimized.summary['milestones']}"
    )
    print(f"  growth of the elderly: {fixed.summary['growth']}")
    print(gain_report(fixed, optimized))
    by_year = optimized.builds.groupby(["year", "type"]).size().to_dict()
    print(f"optimized builds by year and type: {by_year}")
    gap = "n/a" if optimized.gap is None else f"{100 * optimized.gap:.2f} %"
    print(
        f"solver: {optimized.status}, gap {gap}, {optimized.seconds:.1f} s; {optimized.problem_size}"
    )
    print(f"wrote {out}/ (fixed/, optimized/, comparison.*) and {written[-1]}")
    print(f"run time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
