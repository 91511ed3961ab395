"""江津-style full-coverage plan on the demo district: the annexes' build tables, year by year.

江津 (policy document 001) builds its facilities to a table per 街道/镇: annex 2 (社区: the number of
社区, the existing facilities, and the street centers and 社区养老服务站 to build in 2019 and 2020) and
annex 3 (村: the number of 村, the existing points, and the town centers and 村级互助养老点 to build
in 2019, 2020, 2021 and 2022); §一 sets the deadlines: every 社区 by 2020, every 行政村 by 2022. The
plan keeps the document's years, 2019–2022.

The demo district (fictional, ``data/demo/README.md``) has 4 街道 and 20 镇, 江津 5 街道 and 25 镇, so
the annexes are mapped onto it (``data/demo/plans/jiangjin_style.toml`` holds the result as
``[[plan.quota]]``; ``--write-toml`` writes it again from the annexes below and the demo's units):

- each demo 街道/镇 is matched to the annex row of the same kind (街道 to 街道, 镇 to 镇) and the same
  relative rank by number of 社区 (annex 2) or of 村 (annex 3): demo rank r of n (largest first,
  ties by code) takes annex rank round(r × (N − 1) / (n − 1)) of the N annex rows of its kind
  (largest first, ties by the annex's 序号);
- the annex's cumulative builds of stations (annex 2: 已建数 + 再动工数 in 2019, + 拟建数 in 2020)
  and of village points (annex 3: 拟建数 by year) are scaled by the ratio of units, demo 社区 / annex
  社区 (or 村 / 村), and rounded half up: quotas that count the plan's builds only
  (``count_existing = false``: the annex's year columns are builds, its 现有数 is a column of its
  own);
- a center the annex row builds in a year: the demo unit must have its center by that year (a
  street center in a 街道, a town center in a 镇; ``count_existing = true``: one center per unit,
  "一街道（镇）一中心", so an existing center meets it).

Two plans, both under the documents' rules (types where they fit, size standards):

- fixed (document-style): each quota placed in its year and unit, the way such tables are filled:
  社区/村 without their own station or point first, the largest (older people) first, on the
  candidate with the largest floor area; centers on the largest candidate next to the health
  facility (001 §二(五)) if there is one;
- optimized: the *same programme* — in every year exactly the fixed plan's count of each type in
  the district and in every quota's unit (``siting.plan.programme_quotas``) — with the same money
  each year (the fixed plan's spend), placed for the most elderly-years covered. A gain is a better
  choice of places, not a different programme.

Prints the mapping, every quota met or not year by year with its reason, the 001 §一 deadlines
(社区 with their station by 2020, 村 with their point by 2022) and what the optimized plan gains;
writes both plans' tables (with ``plan_quotas.csv``) and their comparison to
``output/plans/jiangjin_style/`` and one map to ``maps/plan_jiangjin_style.html``. Exits 0 when a
quota cannot be reached (it is reported).

Usage: ``python scripts/plan_jiangjin_style.py [--time-limit 60] [--lang zh|en] [--write-toml]``
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import _plan_toml
import numpy as np
import pandas as pd

from siting.compare import compare, gain_report, quota_report, write_comparison
from siting.i18n import label
from siting.io import load_inputs
from siting.model import PlannedBuild, Quota, build_problem
from siting.model.money import open_matrix
from siting.plan import plan_settings, programme_quotas
from siting.reports import write_plan_outputs
from siting.scenario import load_scenario
from siting.standards import UNIT_TYPES
from siting.walking import walking_graph

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "data" / "demo" / "plans" / "jiangjin_style.toml"
NAME = "jiangjin_style"
SOURCE = "shared/policy/seeds/001_d485c76b49b336dc.txt"

#: 001 附件2 (街道社区养老服务设施建设全覆盖计划表), as printed: 镇街, 社区数量, 现有数,
#: 2019年 街道中心 / 已建数 / 再动工数, 2020年 街道中心 / 拟建数 (blank = 0).
ANNEX_2 = """
几江街道 11 5 1 0 1 0 4
鼎山街道 8 3 0 1 1 1 5
圣泉街道 6 1 0 1 1 1 2
双福街道 11 2 0 0 2 1 6
德感街道 12 2 1 1 1 0 7
白沙镇 10 5 0 1 2 0 2
珞璜镇 7 2 0 2 0 0 3
李市镇 2 2 0 0 0 0 0
油溪镇 5 2 0 1 0 0 2
石蟆镇 3 3 0 0 0 0 0
慈云镇 2 2 0 0 0 0 0
支坪镇 5 1 0 1 1 0 2
先锋镇 2 1 0 0 0 0 1
嘉平镇 1 1 0 0 0 0 0
夏坝镇 3 1 0 0 0 0 2
广兴镇 2 0 0 0 0 0 2
龙华镇 1 1 0 0 0 0 0
杜市镇 3 1 0 0 0 0 2
蔡家镇 1 1 0 0 0 0 0
永兴镇 1 1 0 0 0 0 0
朱杨镇 3 1 0 0 0 0 2
贾嗣镇 1 1 0 0 0 0 0
中山镇 1 0 0 1 0 0 0
石门镇 1 0 0 0 1 0 0
柏林镇 1 0 0 1 0 0 0
西湖镇 2 1 0 1 0 0 0
吴滩镇 1 0 0 1 0 0 0
塘河镇 1 1 0 0 0 0 0
四面山镇 1 0 0 1 0 0 0
四屏镇 1 0 0 1 0 0 0
"""
#: 001 附件3 (农村养老服务设施建设全覆盖计划表): 镇街, 村数量, 现有数, then for 2019, 2020, 2021,
#: 2022: 镇中心, 拟建数 (blank = 0).
ANNEX_3 = """
几江街道 1 1 0 0 0 0 0 0 0 0
鼎山街道 2 0 0 0 0 0 0 0 0 0
圣泉街道 2 0 0 0 0 1 0 0 0 1
双福街道 0 0 0 0 0 0 0 0 0 0
德感街道 2 1 0 1 0 0 0 0 0 0
白沙镇 14 6 1 2 0 2 0 2 0 2
珞璜镇 5 2 0 0 0 1 1 1 0 0
李市镇 9 4 0 1 0 1 1 1 0 2
油溪镇 9 5 0 0 0 1 1 1 0 1
石蟆镇 16 7 0 3 0 0 1 2 0 2
慈云镇 4 2 0 0 1 0 0 1 0 1
支坪镇 1 0 0 0 0 1 1 0 0 0
先锋镇 8 5 0 0 0 1 0 1 1 1
嘉平镇 7 2 0 1 0 1 0 1 1 2
夏坝镇 5 2 0 1 0 1 0 1 1 0
广兴镇 4 1 0 1 0 1 0 1 1 0
龙华镇 8 2 0 1 1 1 0 1 0 2
杜市镇 10 3 0 1 0 2 0 2 1 2
蔡家镇 10 3 0 1 0 2 1 2 0 2
永兴镇 8 2 0 1 1 1 0 1 0 2
朱杨镇 1 0 0 0 1 1 0 0 0 0
贾嗣镇 6 3 1 0 0 1 0 1 0 1
中山镇 6 0 1 1 0 1 0 1 0 2
石门镇 5 2 0 1 1 1 0 1 0 0
柏林镇 5 0 0 1 0 1 0 1 1 1
西湖镇 6 3 0 0 1 0 0 1 0 1
吴滩镇 6 3 0 1 1 1 0 0 0 0
塘河镇 3 2 0 0 0 0 0 0 1 0
四面山镇 6 2 1 1 0 1 0 1 0 0
四屏镇 4 0 0 1 0 1 1 1 0 0
"""
ANNEX_YEARS = (2019, 2020, 2021, 2022)
TOTALS_2 = (109, 41, 2, 14, 10, 3, 42)  # the annex's 合计 row (a check of the transcription)
TOTALS_3 = (173, 63, 4, 20, 7, 25, 7, 25, 7, 25)


@dataclasses.dataclass(frozen=True)
class Row:
    """One annex row: its number, name, kind, units (社区 or 村), existing facilities, and the
    cumulative builds by year (``centers``: the year its center is built, or None)."""

    number: int
    name: str
    kind: str
    units: int
    existing: int
    builds: tuple[int, ...]  # cumulative stations/points by 2019, 2020, 2021, 2022
    center_year: int | None


def annex_rows() -> tuple[list[Row], list[Row]]:
    """Annexes 2 and 3 as rows, checked against their 合计 lines."""

    def table(text: str) -> list[tuple[str, list[int]]]:
        return [
            (line.split()[0], [int(v) for v in line.split()[1:]])
            for line in text.strip().splitlines()
        ]

    two, three = table(ANNEX_2), table(ANNEX_3)
    sums2 = tuple(int(x) for x in np.sum([v for _, v in two], axis=0))
    sums3 = tuple(int(x) for x in np.sum([v for _, v in three], axis=0))
    # 现有数 of 四屏镇 is blank in annex 3: read as 0, so the printed 63 is matched by the others
    assert sums2 == TOTALS_2, f"annex 2 transcription: {sums2} != {TOTALS_2}"
    assert sums3 == TOTALS_3, f"annex 3 transcription: {sums3} != {TOTALS_3}"
    rows2, rows3 = [], []
    for i, (name, v) in enumerate(two, start=1):
        n, ex, c19, b19, r19, c20, b20 = v
        cum = (b19 + r19, b19 + r19 + b20, b19 + r19 + b20, b19 + r19 + b20)
        center = 2019 if c19 else (2020 if c20 else None)
        kind = "street" if name.endswith("街道") else "town"
        rows2.append(Row(i, name, kind, n, ex, cum, center if kind == "street" else None))
    for i, (name, v) in enumerate(three, start=1):
        n, ex, *years = v
        centers, points = years[0::2], years[1::2]
        cum = tuple(int(x) for x in np.cumsum(points))
        center = next((y for y, c in zip(ANNEX_YEARS, centers, strict=True) if c), None)
        kind = "street" if name.endswith("街道") else "town"
        rows3.append(Row(i, name, kind, n, ex, cum, center if kind == "town" else None))
    return rows2, rows3


def half_up(x: float) -> int:
    return math.floor(x + 0.5)


def match_rows(units: pd.DataFrame, rows: list[Row], col: str) -> dict[str, Row]:
    """Demo 街道/镇 → annex row of the same kind and relative rank by number of 社区 (or 村)."""
    out: dict[str, Row] = {}
    for kind in ("street", "town"):
        demo = units[units["kind"] == kind].sort_values([col, "code"], ascending=[False, True])
        annex = sorted((r for r in rows if r.kind == kind), key=lambda r: (-r.units, r.number))
        n, big_n = len(demo), len(annex)
        for r, code in enumerate(demo["code"]):
            a = 0 if n == 1 else half_up(r * (big_n - 1) / (n - 1))
            out[str(code)] = annex[a]
    return out


def mapped_quotas(problem) -> tuple[list[Quota], pd.DataFrame]:
    """The annexes' quotas on the demo's 街道/镇, and the mapping table."""
    com = problem.communities
    st = problem.streets.copy()
    counts = com.groupby(["street_code", "kind"]).size().unstack(fill_value=0)
    st["n_community"] = [int(counts.get("community", {}).get(c, 0)) for c in st["code"]]
    st["n_village"] = [int(counts.get("village", {}).get(c, 0)) for c in st["code"]]
    rows2, rows3 = annex_rows()
    to2 = match_rows(st, rows2, "n_community")
    to3 = match_rows(st, rows3, "n_village")
    quotas: list[Quota] = []
    table = []
    for _, u in st.iterrows():
        code, name, kind = str(u["code"]), str(u["name"]), str(u["kind"])
        for annex, row, n_demo, typ in (
            ("附件2", to2[code], int(u["n_community"]), "station"),
            ("附件3", to3[code], int(u["n_village"]), "village_point"),
        ):
            factor = n_demo / row.units if row.units else 0.0
            cum = [half_up(factor * b) for b in row.builds]
            word = "社区" if typ == "station" else "村"
            what = label(typ)
            table.append(
                {
                    "code": code,
                    "name": name,
                    "word": word,
                    "unit": f"{name} ({code})",
                    "annex": annex,
                    "row": f"{row.number} {row.name}",
                    "demo_units": n_demo,
                    "annex_units": row.units,
                    "factor": factor,
                    "annex_builds": "/".join(map(str, row.builds[: 2 if annex == "附件2" else 4])),
                    "quota": "/".join(map(str, cum[: 2 if annex == "附件2" else 4])),
                    "center": row.center_year or "",
                }
            )
            years = ANNEX_YEARS[:2] if annex == "附件2" else ANNEX_YEARS
            last = 0
            for y, n in zip(years, cum, strict=False):
                if n > last:
                    quotas.append(
                        Quota(
                            year=y,
                            unit=code,
                            type=typ,
                            at_least=n,
                            count_existing=False,
                            name=f"{annex} {row.name}→{name}：到{y}年新建{what} {n} 个",
                            source=f"001 {annex}（{row.name}，{word} {n_demo}/{row.units}）",
                        )
                    )
                    last = n
            if row.center_year is not None:
                center = "street_center" if kind == "street" else "town_center"
                quotas.append(
                    Quota(
                        year=row.center_year,
                        unit=code,
                        type=center,
                        at_least=1,
                        count_existing=True,
                        name=f"{annex} {row.name}→{name}：到{row.center_year}年有{label(center)}",
                        source=f"001 {annex}（{row.name}）；001 §二(一)",
                    )
                )
    return quotas, pd.DataFrame(table)


def unit_comments(quotas: list[Quota], mapping: pd.DataFrame) -> dict[int, str]:
    """A comment before the first quota of each demo unit: its units and the annex rows it takes."""
    first: dict[str, int] = {}
    for i, q in enumerate(quotas):
        first.setdefault(q.unit, i)
    out = {}
    for code, rows in mapping.groupby("code", sort=False):
        if code not in first:
            continue
        counts = ", ".join(f"{r['demo_units']} {r['word']}" for _, r in rows.iterrows())
        parts = "; ".join(
            f"{r['annex']} {r['row']} ({r['annex_units']} {r['word']}, × {r['factor']:.3f})"
            for _, r in rows.iterrows()
        )
        out[first[code]] = f"{rows.iloc[0]['name']} ({code}; {counts}) ← {parts}"
    return out


# ------------------------------------------------------------------------------------------
# the fixed (document-style) plan
# ------------------------------------------------------------------------------------------


def fixed_plan(problem, quotas: list[Quota]) -> list[PlannedBuild]:
    """Each quota's builds in its year and unit: units without their station/point first, the
    largest first, on the largest candidate; centers on the largest candidate near health."""
    o = problem.options
    com = problem.communities
    types = o["type"].to_numpy()
    where = o["community"].to_numpy()
    street = o["street"].to_numpy()
    groups = o["group"].to_numpy()
    area = o["floor_area_m2"].to_numpy(dtype=float)
    health = o["health_distance_m"].to_numpy(dtype=float)
    ids = o["site_id"].astype(str).to_numpy()
    elderly = com["elderly"].to_numpy(dtype=float)
    kinds = com["kind"].astype(str).to_numpy()
    s = problem.settings
    st_pos = {str(c): i for i, c in enumerate(problem.streets["code"].astype(str))}
    free = problem.allowed & ~problem.existing
    used: set[int] = set()
    served = np.zeros(len(com), dtype=bool)  # 社区/村 with their own station or point
    for k in np.flatnonzero(problem.existing):
        c = where[k]
        if c >= 0 and types[k] in UNIT_TYPES.get(kinds[c], ()):
            served[c] = True
    has_center: set[tuple[int, str]] = {
        (int(street[k]), str(types[k])) for k in np.flatnonzero(problem.existing)
    }
    builds: list[PlannedBuild] = []
    done: dict[tuple[str, str], int] = {}
    # centers first (a planner keeps the large site for the center), then year by year
    order = sorted(quotas, key=lambda q: (not q.count_existing, q.year, q.unit, q.type))
    for q in order:
        pos = st_pos[q.unit]
        key = (q.unit, q.type)
        if q.count_existing:  # a center by the year
            need = 0 if (pos, q.type) in has_center else q.at_least - done.get(key, 0)
        else:
            need = q.at_least - done.get(key, 0)
        for _ in range(max(0, need)):
            ks = [
                int(k)
                for k in np.flatnonzero(free & (street == pos) & (types == q.type))
                if groups[k] not in used
            ]
            if not ks:
                break
            if q.type in ("street_center", "town_center"):
                near = health <= s.health_max_distance_m
                k = min(ks, key=lambda k: (not near[k], -area[k], ids[k]))
                has_center.add((pos, q.type))
            else:
                k = min(
                    ks,
                    key=lambda k: (
                        bool(served[where[k]]) if where[k] >= 0 else True,
                        -elderly[where[k]] if where[k] >= 0 else 0.0,
                        -area[k],
                        ids[k],
                    ),
                )
                if where[k] >= 0 and types[k] in UNIT_TYPES.get(kinds[where[k]], ()):
                    served[where[k]] = True
            used.add(groups[k])
            builds.append(PlannedBuild(ids[k], q.type, q.year))
            done[key] = done.get(key, 0) + 1
    return builds


def deadlines(result) -> dict[str, tuple[int, int]]:
    """001 §一: 社区 with their own station in 2020, 村 with their own point in 2022 (of all)."""
    p = result.problem
    om = open_matrix(p, result.opened, result.closed)
    o = p.options
    types = o["type"].to_numpy()
    where = o["community"].to_numpy()
    kinds = p.communities["kind"].astype(str).to_numpy()
    out = {}
    for kind, year in (("community", 2020), ("village", 2022)):
        j = p.settings.year_index(year)
        own = np.zeros(len(kinds), dtype=bool)
        for k in np.flatnonzero(om[:, j + 1] > 0.5):
            c = where[k]
            if c >= 0 and types[k] in UNIT_TYPES.get(kinds[c], ()):
                own[c] = True
        out[kind] = (int(own[kinds == kind].sum()), int((kinds == kind).sum()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument(
        "--write-toml", action="store_true", help="write the mapped quotas into the scenario file"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()

    scenario = load_scenario(SCENARIO)
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    settings = plan_settings(scenario, time_limit_s=args.time_limit)
    problem = build_problem(inputs, graph=graph, settings=settings)
    years = f"{settings.years[0]}–{settings.years[-1]}"
    print(
        f"江津-style build tables (001 附件2、3) on the demo district, {years} (the document's years)"
    )

    # 1. the annexes mapped onto the demo's 街道/镇
    quotas, mapping = mapped_quotas(problem)
    if args.write_toml:
        _plan_toml.write(
            SCENARIO,
            Path(__file__).name,
            _plan_toml.block(quotas, comments=unit_comments(quotas, mapping)),
        )
        print(f"  wrote {len(quotas)} quotas to {SCENARIO}")
        scenario = load_scenario(SCENARIO)
        settings = plan_settings(scenario, time_limit_s=args.time_limit)
    if _plan_toml.differs(settings.quotas, quotas):
        print(
            f"  note: the quotas of {SCENARIO.name} ({len(settings.quotas)}) differ from the annexes "
            f"mapped onto the demo ({len(quotas)}): planning with the mapped ones "
            "(python scripts/plan_jiangjin_style.py --write-toml updates the file)"
        )
    settings = dataclasses.replace(settings, quotas=tuple(quotas))
    problem = problem.with_settings(quotas=tuple(quotas))
    print(
        "  mapping: each demo 街道/镇 ↔ the annex row of its kind at the same relative rank by number "
        "of 社区 (附件2) or 村 (附件3); the annex's cumulative builds × (demo units / annex units), "
        "rounded half up; builds only (count_existing = false); a center built in the annex row → the "
        "demo unit has its center by that year (existing counts)"
    )
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        shown = mapping.drop(columns=["code", "name", "word"])
        print(shown.assign(factor=shown["factor"].round(3)).to_string(index=False))
    by_type = pd.Series([q.type for q in quotas]).value_counts().to_dict()
    print(f"  {len(quotas)} quotas: {by_type}")

    # 2. the fixed plan: each quota placed the document's way
    fixed = problem.evaluate(fixed_plan(problem, quotas), name="固定方案（按附件逐年逐镇街）")
    budgets = tuple(float(v) for v in fixed.trajectory["spend_wan_yuan"].iloc[1:])
    print("fixed plan (document-style placement of the annex quotas):")
    print(quota_report(fixed))

    # 3. the optimized plan: the same programme (types and counts per unit and year), same money
    units = sorted({(q.unit, q.type, q.count_existing) for q in quotas})
    same = programme_quotas(fixed, units=units)
    optimized = problem.solve(
        name="优化方案（同一方案、同样的钱）",
        quotas=(*quotas, *same),
        budget_wan_yuan=budgets,
        objective="elderly_years",
    )
    print(
        f"optimized plan: the same programme ({len(same)} quotas: exactly the fixed plan's count of "
        "each type in the district and in each quota's unit, every year) and the same money each "
        "year: "
        + ", ".join(f"{y} {b:,.1f} 万元" for y, b in zip(settings.years, budgets, strict=True))
    )
    print(quota_report(optimized, quotas=range(len(quotas))))

    out = scenario.output_dir()
    write_plan_outputs(fixed, out / "fixed", lang=args.lang, with_map=False)
    write_plan_outputs(optimized, out / "optimized", lang=args.lang, with_map=False)
    map_path = Path.cwd() / "maps" / f"plan_{NAME}.html"
    written = write_comparison(compare(fixed, optimized), out, lang=args.lang, map_path=map_path)

    for which, r in (("fixed", fixed), ("optimized", optimized)):
        d = deadlines(r)
        print(
            f"  001 §一 deadlines, {which}: 社区 with their own station in 2020: {d['community'][0]} of "
            f"{d['community'][1]}; 村 with their own point in 2022: {d['village'][0]} of {d['village'][1]}"
        )
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
