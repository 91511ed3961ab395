"""沙坪坝-style five-year plan on the demo district: the plan's project list, placed two ways.

沙坪坝's plan (policy document 000, chapter 4 and its projects) sets for 2021–2025 (力争到2025年):

- 完成凤凰镇、回龙坝镇养老服务中心改建 — the two town centers rebuilt;
- 新建1个街道养老服务中心、5个社区养老服务站、200个小区养老服务点 — 1 street center, 5 stations and
  200 compound points built;
- 升级改造10个村级互助养老点 — 10 village points upgraded;
- 每个镇打造1个农村互助养老示范点 — a rural mutual-aid demonstration point in every 镇
  (利用闲置农房等设施建立互助养老点: a new 村级互助养老点).

On the demo district (``data/demo/plans/shapingba_style.toml``; ``--write-toml`` writes its quotas and
builds again):

- the center, the 5 stations, the 10 upgrades and the 2 rebuilds as written; compound points in
  proportion to the 社区: 200 × (demo 社区) / 138 (沙坪坝's 社区, NBS 2023 codes), capped by the
  compound-point candidates; a demonstration point in each of the demo's 镇;
- the rebuilds: 沙坪坝 rebuilds both its town centers, the demo the two oldest (year opened, then
  code), at the cost model's capital for a town center (no figure in the documents); the upgrades:
  the village points of the 10 largest 村, at an assumed 10 万元 each. Both plans make the rebuilds
  and the upgrades in the same years, so neither figure changes the gain;
- quotas (soft: one the candidates cannot reach is reported): by 2025, the street center, the
  stations and the compound points in the district, and in every 镇 one new village point (besides
  any of the 10 upgrades there: a demonstration point is a new one);
- fixed (the way such lists are drawn up): the center in the largest 街道 without one (2022), the
  stations in the largest 社区 without one (one a year), compound points in the largest 社区 first,
  the demonstration point in each 镇's largest 村 without a point, spread evenly over the years;
- optimized: the *same programme* — in every year exactly the fixed list's count of each type in
  the district, and by 2025 exactly its count of village points in every 镇
  (``siting.plan.programme_quotas``) — with the same money each year (the fixed list's spend),
  placed for the most elderly-years covered. Not 157 village points 沙坪坝 never planned: a gain is
  a better choice of places.

Prints every figure with the rule and document it comes from, the quotas met year by year, and
what the optimized plan gains; writes both plans' tables and their comparison to
``output/plans/shapingba_style/`` and one map to ``maps/plan_shapingba_style.html``.

Usage: ``python scripts/plan_shapingba_style.py [--time-limit 60] [--lang zh|en] [--write-toml]``
"""

from __future__ import annotations

import argparse
import dataclasses
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
SCENARIO = ROOT / "data" / "demo" / "plans" / "shapingba_style.toml"
NAME = "shapingba_style"
# 000 第四章 / 专栏 (养老设施建设项目, 农村互助养老示范点打造项目)
SHAPINGBA_COMPOUND_POINTS = 200
SHAPINGBA_COMMUNITIES = (
    138  # 社区 of 沙坪坝 (NBS 2023 codes, shared/reference/500106_shapingba_villages.csv)
)
NEW_STREET_CENTERS = 1
NEW_STATIONS = 5
UPGRADES = 10
REBUILDS = 2  # 凤凰镇, 回龙坝镇
UPGRADE_WAN_YUAN = 10.0  # assumption: no figure in the documents
SOURCE_BUILD = "000 第四章 养老设施建设项目"
SOURCE_DEMO = "000 第四章 农村互助养老示范点打造项目"


def spread(items: list, years: tuple[int, ...]) -> list[tuple[int, object]]:
    """Items evenly over the years, in order."""
    per = len(items) / len(years) if items else 1
    return [(years[int(i // per)], x) for i, x in enumerate(items)]


def upgrades(problem) -> list[PlannedBuild]:
    """Upgrade the village points of the largest 村, spread evenly."""
    cols = problem.options
    com = problem.communities
    pts = cols[problem.existing & (cols["type"] == "village_point")].copy()
    pts["elderly"] = com["elderly"].to_numpy()[pts["community"].clip(lower=0)]
    pts = pts.sort_values(["elderly", "site_id"], ascending=[False, True]).head(UPGRADES)
    return [
        PlannedBuild(str(sid), "village_point", y, capital_wan_yuan=UPGRADE_WAN_YUAN)
        for y, sid in spread(list(pts["site_id"]), problem.settings.years)
    ]


def rebuilds(inputs, problem) -> list[PlannedBuild]:
    """Rebuild the two oldest town centers (year opened, then id), spread evenly."""
    fac = inputs.facilities
    centers = fac[fac["type"] == "town_center"].copy()
    centers["opened"] = centers["year_opened"].fillna(9999) if "year_opened" in centers else 9999
    oldest = centers.sort_values(["opened", "facility_id"]).head(REBUILDS)
    return [
        PlannedBuild(str(fid), "town_center", y)
        for y, fid in spread(list(oldest["facility_id"]), problem.settings.years)
    ]


def derived(problem, n_compound: int, ups: list[PlannedBuild]) -> list[Quota]:
    """The list's quotas: district counts by 2025, one new village point per 镇."""
    last = problem.settings.years[-1]
    out = [
        Quota(
            year=last,
            type=t,
            at_least=n,
            count_existing=False,
            name=f"到{last}年新建{label(t)} {n} 个",
            source=src,
        )
        for t, n, src in (
            ("street_center", NEW_STREET_CENTERS, SOURCE_BUILD),
            ("station", NEW_STATIONS, SOURCE_BUILD),
            ("compound_point", n_compound, f"{SOURCE_BUILD}（200 × 社区数之比）"),
        )
    ]
    o = problem.options
    site_street = dict(zip(o["site_id"].astype(str), o["street"], strict=False))
    st = problem.streets
    for pos, (code, name, kind) in enumerate(zip(st["code"], st["name"], st["kind"], strict=True)):
        if kind != "town":
            continue
        n_up = sum(1 for b in ups if site_street.get(b.site_id) == pos)
        extra = f"（另加本镇升级改造的 {n_up} 个）" if n_up else ""
        out.append(
            Quota(
                year=last,
                unit=str(code),
                type="village_point",
                at_least=1 + n_up,
                count_existing=False,
                name=f"{name}：到{last}年打造1个农村互助养老示范点{extra}",
                source=SOURCE_DEMO,
            )
        )
    return out


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

    # 1 street center: the largest 街道 without one, in the second year
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
    # a demonstration point in every 镇: its largest 村 without a point, largest room
    where = cols["community"].to_numpy()
    has_point = set(where[existing & np.isin(types, ["village_point", "station"])].tolist())
    demo = []
    for s in st[st["kind"] == "town"].index:
        villages = com[(com["street_code"] == st.at[s, "code"]) & (com["kind"] == "village")]
        order = sorted(villages.index, key=lambda c: (c in has_point, -com.at[c, "elderly"]))
        for c in order:
            sid = pick((where == c) & (types == "village_point"))
            if sid:
                demo.append(sid)
                break
    builds += [PlannedBuild(sid, "village_point", y) for y, sid in spread(demo, years)]
    # compound points: the largest 社区 first, spread evenly over the years
    comp = cols[
        (types == "compound_point") & ~existing & problem.allowed & ~cols["site_id"].isin(used)
    ].copy()
    comp["elderly"] = com["elderly"].to_numpy()[comp["community"].clip(lower=0)]
    comp = comp.sort_values(["elderly", "floor_area_m2", "site_id"], ascending=[False, False, True])
    chosen = comp["site_id"].astype(str).tolist()[:n_compound]
    builds += [PlannedBuild(sid, "compound_point", y) for y, sid in spread(chosen, years)]
    return builds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument(
        "--write-toml",
        action="store_true",
        help="write the derived quotas and builds into the scenario",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()

    scenario = load_scenario(SCENARIO)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    n_com = int((inputs.communities["kind"] == "community").sum())
    base = plan_settings(scenario, time_limit_s=args.time_limit)
    plain = dataclasses.replace(base, builds=(), quotas=())
    problem = build_problem(inputs, graph=graph, settings=plain)
    n_cand = int(
        (problem.allowed & ~problem.existing & (problem.options["type"] == "compound_point")).sum()
    )
    n_compound = min(round(SHAPINGBA_COMPOUND_POINTS * n_com / SHAPINGBA_COMMUNITIES), n_cand)
    ups = upgrades(problem)
    rebuilt = rebuilds(inputs, problem)
    planned = tuple(rebuilt + ups)
    quotas = derived(problem, n_compound, ups)
    print(
        f"沙坪坝-style five-year plan on the demo district, {base.years[0]}–{base.years[-1]} (000)"
    )
    if args.write_toml:
        _plan_toml.write(
            SCENARIO,
            Path(__file__).name,
            _plan_toml.block(
                quotas,
                planned,
                build_comment=f"the {REBUILDS} rebuilt town centers (the oldest) and the {UPGRADES} "
                f"upgraded village points (the largest 村, {UPGRADE_WAN_YUAN:g} 万元 each, assumed)",
            ),
        )
        print(f"  wrote {len(quotas)} quotas and {len(planned)} builds to {SCENARIO}")
    elif _plan_toml.differs(base.quotas, quotas, base.builds, planned):
        print(
            f"  note: the quotas or builds of {SCENARIO.name} differ from those derived from 000 and "
            "the demo: planning with the derived ones (--write-toml updates the file)"
        )
    settings = dataclasses.replace(base, quotas=tuple(quotas), builds=planned)
    problem = build_problem(inputs, graph=graph, settings=settings)

    listed = fixed_list(problem, n_compound)
    fixed = problem.evaluate([*listed, *planned], name="固定项目清单")
    budgets = tuple(float(v) for v in fixed.trajectory["spend_wan_yuan"].iloc[1:])
    towns = [
        str(c)
        for c, k in zip(problem.streets["code"], problem.streets["kind"], strict=True)
        if k == "town"
    ]
    same = programme_quotas(
        fixed, units=[(c, "village_point", False) for c in towns], unit_years="last"
    )
    optimized = problem.solve(
        name="优化方案（同一方案、同样的钱）", quotas=(*quotas, *same), budget_wan_yuan=budgets
    )

    out = scenario.output_dir()
    write_plan_outputs(fixed, out / "fixed", lang=args.lang, with_map=False)
    write_plan_outputs(optimized, out / "optimized", lang=args.lang, with_map=False)
    map_path = Path.cwd() / "maps" / f"plan_{NAME}.html"
    written = write_comparison(compare(fixed, optimized), out, lang=args.lang, map_path=map_path)

    counts = fixed.builds.groupby(["action", "type"]).size().to_dict()
    rb = fixed.builds[
        (fixed.builds["action"] == "upgrade") & (fixed.builds["type"] == "town_center")
    ]
    print("  the programme (both plans), from 000 第四章:")
    print(
        f"    {REBUILDS} town centers rebuilt (凤凰镇, 回龙坝镇 → the demo's two oldest: "
        + ", ".join(f"{n} {y}" for n, y in zip(rb["name"], rb["year"], strict=True))
        + f"; {', '.join(f'{v:,.1f}' for v in rb['capital_wan_yuan'])} 万元 capital each, the cost model's)"
    )
    print(
        f"    {counts.get(('new', 'street_center'), 0)} street center, {counts.get(('new', 'station'), 0)} "
        f"stations, {counts.get(('new', 'compound_point'), 0)} compound points (200 × {n_com} / "
        f"{SHAPINGBA_COMMUNITIES} 社区 = {round(SHAPINGBA_COMPOUND_POINTS * n_com / SHAPINGBA_COMMUNITIES)}, "
        f"{n_cand} candidates), {counts.get(('upgrade', 'village_point'), 0)} village points upgraded "
        f"({UPGRADE_WAN_YUAN:g} 万元 each, assumed), {counts.get(('new', 'village_point'), 0)} "
        f"demonstration points (one per 镇: {len(towns)} 镇)"
    )
    print(
        "  same money each year (the fixed list's spend): "
        + ", ".join(f"{y} {b:,.1f} 万元" for y, b in zip(base.years, budgets, strict=True))
    )
    print("  quotas, fixed list:")
    print(quota_report(fixed))
    print(
        f"  quotas, optimized (same programme: {len(same)} quotas, exactly the list's count of each "
        "type every year, and of village points in every 镇 by the final year):"
    )
    print(quota_report(optimized, quotas=range(len(quotas))))
    print(f"  growth of the elderly: {fixed.summary['growth']}")
    print(gain_report(fixed, optimized))
    same_counts = (
        fixed.builds.groupby(["year", "action", "type"])
        .size()
        .equals(optimized.builds.groupby(["year", "action", "type"]).size())
    )
    by_type = optimized.builds.groupby(["action", "type"]).size().to_dict()
    print(
        f"optimized builds by type: {by_type}; same builds by year and type as the list: {same_counts}"
    )
    gap = "n/a" if optimized.gap is None else f"{100 * optimized.gap:.2f} %"
    print(
        f"solver: {optimized.status}, gap {gap}, {optimized.seconds:.1f} s; {optimized.problem_size}"
    )
    print(f"wrote {out}/ (fixed/, optimized/, comparison.*) and {written[-1]}")
    print(f"run time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
