"""万州-style plan on the demo district: a center in every 镇 and new village points every year.

万州 (policy document 002) sets two build figures for the years after 2020:

- §12: 到2022年，再建成21个养老服务中心，基本实现41个镇乡养老服务设施全覆盖 — 21 more centers by 2022,
  so that every one of its 41 镇乡 has one;
- §17: 在已建成的283个农村养老互助点基础上，每年新建农村养老互助点80个 — 80 new rural mutual-aid
  points a year, for its 413 村 (NBS 2023 codes, shared/reference/500101_wanzhou_villages.csv).

Scaled to the demo district (``data/demo/plans/wanzhou_style.toml``, 2021–2022; ``--write-toml``
writes its quotas again): every demo 镇 has its town center by the final year (a quota per 镇,
existing centers count: the rule behind 万州's 21), and 80 × (demo 村) / 413 new village points a
year (a district quota per year, builds only).

- Fixed plan (the usual rule): the 镇 without a center get the candidate with the largest floor
  area next to the 卫生院 (001 §二(五)) if there is one, the largest 镇 (older people) first, half
  of them in each year; each year the largest 村 without a point get one on their largest room.
- Optimized plan: the *same programme* — in every year exactly the fixed plan's number of town
  centers and village points, and by the final year one center in every 镇 the fixed plan built
  one in (``siting.plan.programme_quotas``) — with the same money each year, placed for the most
  elderly-years covered.

Prints every figure with the rule and document it comes from, the quotas met year by year, and
what the optimized plan gains; writes both plans' tables and their comparison to
``output/plans/wanzhou_style/`` and one map to ``maps/plan_wanzhou_style.html``.

Usage: ``python scripts/plan_wanzhou_style.py [--time-limit 60] [--lang zh|en] [--write-toml]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import _plan_toml
import numpy as np

from siting.compare import compare, gain_report, quota_report, write_comparison
from siting.i18n import label
from siting.io import load_inputs
from siting.model import PlannedBuild, Quota, build_problem
from siting.plan import plan_settings, programme_quotas
from siting.reports import write_plan_outputs
from siting.scenario import load_scenario
from siting.walking import walking_graph

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "data" / "demo" / "plans" / "wanzhou_style.toml"
NAME = "wanzhou_style"
WANZHOU_POINTS_PER_YEAR = 80  # 002 §17
WANZHOU_VILLAGES = 413  # 村 of 万州 (NBS 2023 codes)
WANZHOU_NEW_CENTERS, WANZHOU_TOWNS = 21, 41  # 002 §12


def derived(problem, per_year: int) -> list[Quota]:
    """A town center in every 镇 by the final year; ``per_year`` new village points a year."""
    years = problem.settings.years
    st = problem.streets
    out = [
        Quota(
            year=years[-1],
            unit=str(code),
            type="town_center",
            at_least=1,
            count_existing=True,
            name=f"{name}：到{years[-1]}年有{label('town_center')}",
            source="002 §12（41个镇乡全覆盖）",
        )
        for code, name, kind in zip(st["code"], st["name"], st["kind"], strict=True)
        if kind == "town"
    ]
    out += [
        Quota(
            year=y,
            type="village_point",
            at_least=per_year * (j + 1),
            count_existing=False,
            name=f"到{y}年新建{label('village_point')} {per_year * (j + 1)} 个（每年 {per_year} 个）",
            source=f"002 §17（每年80个 × {int((problem.communities['kind'] == 'village').sum())}/{WANZHOU_VILLAGES} 村）",
        )
        for j, y in enumerate(years)
    ]
    return out


def fixed_rule(problem, per_year: int) -> list[PlannedBuild]:
    """Centers: largest 镇 without one first, largest room next to health; points: largest 村
    without a point first, largest room."""
    s = problem.settings
    cols = problem.options
    com = problem.communities
    existing = problem.existing
    types = cols["type"].to_numpy()
    where = cols["community"].to_numpy()
    street = cols["street"].to_numpy()
    groups = cols["group"].to_numpy()
    years = s.years
    used: set[int] = set()
    builds: list[PlannedBuild] = []
    # town centers
    st = problem.streets
    st_elderly = com.groupby("street_code")["elderly"].sum()
    has_center = set(street[existing & (types == "town_center")].tolist())
    towns = [
        pos
        for pos in sorted(
            range(len(st)), key=lambda p: -float(st_elderly.get(st["code"].iat[p], 0.0))
        )
        if st["kind"].iat[pos] == "town" and pos not in has_center
    ]
    centers = []
    near = cols["health_distance_m"].to_numpy(dtype=float) <= s.health_max_distance_m
    area = cols["floor_area_m2"].to_numpy(dtype=float)
    for pos in towns:
        ks = np.flatnonzero(
            (street == pos) & (types == "town_center") & ~existing & problem.allowed
        )
        if len(ks):
            k = min(ks, key=lambda k: (not near[k], -area[k], str(cols["site_id"].iat[k])))
            used.add(groups[k])
            centers.append(str(cols["site_id"].iat[k]))
    per = len(centers) / len(years) if centers else 1
    builds += [
        PlannedBuild(sid, "town_center", years[int(i // per)]) for i, sid in enumerate(centers)
    ]
    # village points
    has_point = set(where[existing & np.isin(types, ["village_point", "station"])].tolist())
    order = com[(com["kind"] == "village")].sort_values("elderly", ascending=False, kind="stable")
    n = 0
    for c in order.index:
        if c in has_point:
            continue
        options = cols[
            (where == c)
            & (types == "village_point")
            & ~existing
            & problem.allowed
            & ~np.isin(groups, list(used))
        ]
        if options.empty:
            continue
        best = options.sort_values(["floor_area_m2", "site_id"], ascending=[False, True]).iloc[0]
        j = n // per_year
        if j >= len(years):
            break
        used.add(int(best["group"]))
        builds.append(PlannedBuild(str(best["site_id"]), "village_point", years[j]))
        n += 1
    return builds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument(
        "--write-toml", action="store_true", help="write the derived quotas into the scenario"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()

    scenario = load_scenario(SCENARIO)
    inputs = load_inputs(scenario)
    n_villages = int((inputs.communities["kind"] == "village").sum())
    per_year = round(WANZHOU_POINTS_PER_YEAR * n_villages / WANZHOU_VILLAGES)
    graph = walking_graph(inputs)
    settings = plan_settings(scenario, time_limit_s=args.time_limit)
    problem = build_problem(inputs, graph=graph, settings=settings)
    quotas = derived(problem, per_year)
    years = f"{settings.years[0]}–{settings.years[-1]}"
    print(f"万州-style plan on the demo district, {years} (002)")
    if args.write_toml:
        _plan_toml.write(SCENARIO, Path(__file__).name, _plan_toml.block(quotas))
        print(f"  wrote {len(quotas)} quotas to {SCENARIO}")
    elif _plan_toml.differs(settings.quotas, quotas):
        print(
            f"  note: the quotas of {SCENARIO.name} differ from those derived from 002 and the demo: "
            "planning with the derived ones (--write-toml updates the file)"
        )
    problem = problem.with_settings(quotas=tuple(quotas))

    fixed = problem.evaluate(fixed_rule(problem, per_year), name="固定规则（大镇大村优先）")
    budgets = tuple(float(v) for v in fixed.trajectory["spend_wan_yuan"].iloc[1:])
    towns = [
        str(c)
        for c, k in zip(problem.streets["code"], problem.streets["kind"], strict=True)
        if k == "town"
    ]
    same = programme_quotas(
        fixed, units=[(c, "town_center", True) for c in towns], unit_years="last"
    )
    optimized = problem.solve(
        name="优化方案（同一方案、同样的钱）", quotas=(*quotas, *same), budget_wan_yuan=budgets
    )

    out = scenario.output_dir()
    write_plan_outputs(fixed, out / "fixed", lang=args.lang, with_map=False)
    write_plan_outputs(optimized, out / "optimized", lang=args.lang, with_map=False)
    map_path = Path.cwd() / "maps" / f"plan_{NAME}.html"
    written = write_comparison(compare(fixed, optimized), out, lang=args.lang, map_path=map_path)

    n_towns = len(towns)
    types = problem.options["type"].to_numpy()
    street = problem.options["street"].to_numpy()
    has = set(street[problem.existing & (types == "town_center")].tolist())
    kinds = problem.streets["kind"].tolist()
    with_center = sum(1 for i, k in enumerate(kinds) if k == "town" and i in has)
    built = fixed.builds.groupby(["year", "type"]).size().to_dict()
    print(
        f"  centers (002 §12: {WANZHOU_NEW_CENTERS} more by 2022 so that all {WANZHOU_TOWNS} 镇乡 have "
        f"one): the demo's {n_towns} 镇, {with_center} with a center → {n_towns - with_center} to "
        f"build by {settings.years[-1]}; fixed plan: "
        + ", ".join(f"{y} {n}" for (y, t), n in sorted(built.items()) if t == "town_center")
    )
    print(
        f"  village points (002 §17: {WANZHOU_POINTS_PER_YEAR} a year for {WANZHOU_VILLAGES} 村): "
        f"{WANZHOU_POINTS_PER_YEAR} × {n_villages} / {WANZHOU_VILLAGES} = "
        f"{WANZHOU_POINTS_PER_YEAR * n_villages / WANZHOU_VILLAGES:.1f} → {per_year} a year; fixed plan: "
        + ", ".join(f"{y} {n}" for (y, t), n in sorted(built.items()) if t == "village_point")
    )
    print(
        "  same money each year (the fixed plan's spend): "
        + ", ".join(f"{y} {b:,.1f} 万元" for y, b in zip(settings.years, budgets, strict=True))
    )
    print("  quotas, fixed plan:")
    print(quota_report(fixed))
    print(f"  quotas, optimized (same programme: {len(same)} quotas):")
    print(quota_report(optimized, quotas=range(len(quotas))))
    print(f"  growth of the elderly: {fixed.summary['growth']}")
    print(gain_report(fixed, optimized))
    same_counts = (
        fixed.builds.groupby(["year", "type"])
        .size()
        .equals(optimized.builds.groupby(["year", "type"]).size())
    )
    print(f"  same builds by year and type in both plans: {same_counts}")
    gap = "n/a" if optimized.gap is None else f"{100 * optimized.gap:.2f} %"
    print(
        f"solver: {optimized.status}, gap {gap}, {optimized.seconds:.1f} s; {optimized.problem_size}"
    )
    print(f"wrote {out}/ (fixed/, optimized/, comparison.*) and {written[-1]}")
    print(f"run time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
