"""沙坪坝-style five-year plan on the demo district: a fixed target list, then the optimum for the same money.

沙坪坝's plan (policy document 000, 专栏 and chapter 4) sets for 2021–2025: 1 new 街道养老服务中心,
5 new 社区养老服务站, 200 小区养老服务点 and 10 村级互助养老点 upgraded. On the demo district
(``data/demo/plans/shapingba_style.toml``):

- the center, the 5 stations and the 10 upgrades as written; compound points in proportion to the
  社区: 200 × 69 / 138 = 100 (沙坪坝 has 138 社区), capped by the compound-point candidates left;
- the fixed list is placed the way such lists usually are: the center in the largest 街道 without
  one, the stations in the 5 largest 社区 without one (largest room), compound points in the
  largest 社区 first; one station a year, the center in 2022, compound points and upgrades
  spread evenly;
- upgrades are renovations of the 10 village points of the largest 村, at an assumed 10 万元 each
  (the documents give no figure); both plans make the same upgrades in the same years, so the
  figure does not change the gain;
- the optimized plan spends at most what the fixed list spends in each year and keeps the
  upgrades; the rest of the money goes where it covers the most elderly-years.

Writes both plans' tables and their comparison to ``output/plans/shapingba_style/`` and one map
with both plans as layers to ``maps/plan_shapingba_style.html``; prints what the optimized plan
gains.

Usage: ``python scripts/plan_shapingba_style.py [--time-limit 60] [--lang zh|en]``
"""

from __future__ import annotations

import argparse
import dataclasses
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
SCENARIO = ROOT / "data" / "demo" / "plans" / "shapingba_style.toml"
NAME = "shapingba_style"
SHAPINGBA_COMPOUND_POINTS = 200
SHAPINGBA_COMMUNITIES = 138  # 社区 of 沙坪坝 (NBS 2023 codes)
NEW_STREET_CENTERS = 1
NEW_STATIONS = 5
UPGRADES = 10
UPGRADE_WAN_YUAN = 10.0  # assumption: no figure in the documents


def upgrades(problem) -> list[PlannedBuild]:
    """Renovate the village points of the largest 村, two a year."""
    cols = problem.options
    com = problem.communities
    pts = cols[problem.existing & (cols["type"] == "village_point")].copy()
    pts["elderly"] = com["elderly"].to_numpy()[pts["community"].clip(lower=0)]
    pts = pts.sort_values(["elderly", "site_id"], ascending=[False, True]).head(UPGRADES)
    years = problem.settings.years
    per = UPGRADES / len(years)
    return [
        PlannedBuild(
            str(sid), "village_point", years[int(i // per)], capital_wan_yuan=UPGRADE_WAN_YUAN
        )
        for i, sid in enumerate(pts["site_id"])
    ]


def fixed_list(problem, n_compound: int) -> list[PlannedBuild]:
    cols = problem.options
    com = problem.communities
    existing = problem.existing
    types = cols["type"].to_numpy()
    years = problem.settings.years
    used: set[str] = set()
    builds: list[PlannedBuild] = []

    def pick(mask: np.ndarray) -> str | None:
        options = cols[mask & ~existing & problem.allowed & ~cols["site_id"].isin(used)]
        if options.empty:
            return None
        best = options.sort_values(["floor_area_m2", "site_id"], ascending=[False, True]).iloc[0]
        used.add(str(best["site_id"]))
        return str(best["site_id"])

    # 1 street center: the largest 街道 without one
    st_elderly = com.groupby("street_code")["elderly"].sum()
    st = problem.streets.assign(elderly=problem.streets["code"].map(st_elderly).fillna(0))
    has_center = set(cols["street"][existing & (types == "street_center")].tolist())
    for s in st[st["kind"] == "street"].sort_values("elderly", ascending=False).index:
        if len([b for b in builds if b.type == "street_center"]) >= NEW_STREET_CENTERS:
            break
        if s in has_center:
            continue
        sid = pick((cols["street"] == s).to_numpy() & (types == "street_center"))
        if sid:
            builds.append(PlannedBuild(sid, "street_center", years[1]))
    # 5 stations: the largest 社区 without one, one a year
    has_station = set(cols["community"][existing & (types == "station")].tolist())
    n = 0
    for c in com[com["kind"] == "community"].sort_values("elderly", ascending=False).index:
        if n >= NEW_STATIONS:
            break
        if c in has_station:
            continue
        sid = pick((cols["community"] == c).to_numpy() & (types == "station"))
        if sid:
            builds.append(PlannedBuild(sid, "station", years[n % len(years)]))
            n += 1
    # compound points: the largest 社区 first, spread evenly over the years
    comp = cols[
        (types == "compound_point") & ~existing & problem.allowed & ~cols["site_id"].isin(used)
    ].copy()
    comp["elderly"] = com["elderly"].to_numpy()[comp["community"].clip(lower=0)]
    comp = comp.sort_values(["elderly", "floor_area_m2", "site_id"], ascending=[False, False, True])
    chosen = comp["site_id"].astype(str).tolist()[:n_compound]
    per = len(chosen) / len(years) if chosen else 1
    builds += [
        PlannedBuild(sid, "compound_point", years[int(i // per)]) for i, sid in enumerate(chosen)
    ]
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
    n_com = int((inputs.communities["kind"] == "community").sum())
    n_compound = round(SHAPINGBA_COMPOUND_POINTS * n_com / SHAPINGBA_COMMUNITIES)

    base = plan_settings(scenario, time_limit_s=args.time_limit)
    problem = build_problem(inputs, graph=graph, settings=base)
    ups = upgrades(problem)
    problem = build_problem(inputs, graph=graph, settings=dataclasses.replace(base, builds=tuple(ups)))
    listed = fixed_list(problem, n_compound)
    fixed = problem.evaluate([*listed, *ups], name="固定目标清单")
    budgets = tuple(float(v) for v in fixed.trajectory["spend_wan_yuan"].iloc[1:])
    optimized = problem.solve(name="优化方案（同样的钱）", budget_wan_yuan=budgets)

    out = scenario.output_dir()
    write_plan_outputs(fixed, out / "fixed", lang=args.lang, with_map=False)
    write_plan_outputs(optimized, out / "optimized", lang=args.lang, with_map=False)
    map_path = Path.cwd() / "maps" / f"plan_{NAME}.html"
    written = write_comparison(compare(fixed, optimized), out, lang=args.lang, map_path=map_path)

    counts = {
        t: sum(1 for b in listed if b.type == t)
        for t in ("street_center", "station", "compound_point")
    }
    print(f"沙坪坝-style five-year plan on the demo district, {base.years[0]}–{base.years[-1]}")
    print(
        f"  fixed list: {counts['street_center']} street center, {counts['station']} stations, "
        f"{counts['compound_point']} compound points (沙坪坝's {SHAPINGBA_COMPOUND_POINTS} × {n_com} / "
        f"{SHAPINGBA_COMMUNITIES} 社区 = {n_compound}), {len(ups)} village points upgraded "
        f"({UPGRADE_WAN_YUAN:g} 万元 each, assumed; kept in both plans)"
    )
    print(
        "  same money each year: "
        + ", ".join(f"{y} {b:,.1f} 万元" for y, b in zip(base.years, budgets, strict=True))
    )
    print(f"  growth of the elderly: {fixed.summary['growth']}")
    print(gain_report(fixed, optimized))
    by_type = optimized.builds.groupby("type").size().to_dict()
    print(f"optimized builds by type: {by_type}")
    gap = "n/a" if optimized.gap is None else f"{100 * optimized.gap:.2f} %"
    print(
        f"solver: {optimized.status}, gap {gap}, {optimized.seconds:.1f} s; {optimized.problem_size}"
    )
    print(f"wrote {out}/ (fixed/, optimized/, comparison.*) and {written[-1]}")
    print(f"run time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
