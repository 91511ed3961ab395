"""The whole run against its compute core, and against the size of the district.

    python scripts/bench_pipeline.py [SCENARIO] [--repeat R]
    python scripts/bench_pipeline.py --scale 4 [--scaled-dir DIR] [--street-points 100000]

Runs ``siting run`` on the scenario (default: the demo district, ``data/demo/scenario.toml``) in
this process, into a temporary folder, ``R`` times (default 2; the first run also pays the
imports, so the last is reported), and prints each stage's wall and CPU time, then:

- ``core_seconds``: the compute core (read and validate inputs, walking graph, coverage and the
  plan indicators, the siting MIP), the stages every answer needs;
- ``report_seconds``: the one-page report's stages (the budget–coverage curve, the MIP solved once
  per budget, and the page); ``total_without_report_vs_core=`` the total without them over the core;
- ``total_vs_core=``: the stage table's total over the core (issue 17 goal: ≤ 3; 7 when the
  issue was filed, 3.8 before the maps were packed);
- ``deliver_vs_core=``: the map and GIS stage over the core (9.3 s against about 3 s, 3.1, when
  the issue was filed; goal: a tenth of that, ≤ 0.31);
- ``isochrones_vs_core=``: the isochrone stage over the core;
- ``map_html_mb=``: the size of the HTML map (goal: ≤ 1.5 MB; 4.9 MB when the issue was filed).

With ``--scale N`` it then runs the same on the demo generated at N times its area and population
(``scripts/make_demo_district.py --scale N``, into a temporary folder unless ``--scaled-dir``
names one already generated) and prints ``cpu_xN_vs_demo=``: the run's CPU time (every thread)
against the demo's (issue 17 goal for N = 4: ≤ 4.5; 7.5 when the issue was filed), with each
stage's ratio. ``--street-points P`` also runs the scaled district with its buildings left out, so
that its older people are placed along the streets (``[demand] street_spacing_m`` chosen from the
walkable length to give about P demand points, as on a bureau's road layer without buildings), and
prints the stage times there, ``total_vs_core=`` and ``coverage_vs_search=``: the coverage stage
over the walking-time search it contains (``isochrones.od_times`` of every demand point to every
facility, timed again alone; goal: ≤ 3).

Ratios measured in the same run, since these machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Stage keys (siting.i18n) of the compute core.
CORE = ("stage_load", "stage_graph", "stage_coverage", "stage_optimize")
#: The one-page report's stages: the budget curve (the MIP once per budget) and the page.
REPORT = ("stage_curve", "stage_report")
STAGES = (*CORE, "stage_write", "stage_isochrones", "stage_deliver", *REPORT)


def run(scenario_path: Path, repeat: int, title: str):
    """``siting run`` ``repeat`` times in a temporary folder; the last run's timer and result."""
    from siting.pipeline import default_map_path, run_pipeline
    from siting.scenario import load_scenario
    from siting.stages import StageTimer

    here = os.getcwd()
    timer = result = None
    with tempfile.TemporaryDirectory(prefix="siting-bench-") as tmp:
        os.chdir(tmp)
        try:
            for i in range(max(1, repeat)):
                scenario = load_scenario(scenario_path)
                timer = StageTimer()
                result = run_pipeline(scenario, timer=timer, lang="en")
                size = default_map_path(scenario).stat().st_size
                print(
                    f"{title} run {i + 1}: {timer.total_seconds:.2f} s, "
                    f"CPU {timer.total_cpu_seconds:.2f} s"
                )
        finally:
            os.chdir(here)
    return timer, result, size


def report(timer, size: float) -> dict:
    """Print the stage table and the ratios against the core; the stages' figures by key."""
    from siting.i18n import label

    by_name = {r.name: r for r in timer.records}
    stages = {k: by_name.get(label(k, "en")) for k in STAGES}
    for r in timer.records:
        print(
            f"  {r.name:<36} {r.seconds:7.2f} s  CPU {r.cpu_seconds:7.2f} s  "
            f"{r.peak_rss_mb:6.0f} MB  {r.note}"
        )

    def sec(k):
        return stages[k].seconds if stages[k] is not None else 0.0

    core = sum(sec(k) for k in CORE)
    total = timer.total_seconds
    print(f"core_seconds={core:.2f}")
    print(f"total_seconds={total:.2f}")
    print(f"cpu_seconds={timer.total_cpu_seconds:.2f}")
    print(f"isochrones_vs_core={sec('stage_isochrones') / core:.2f}")
    print(f"deliver_vs_core={sec('stage_deliver') / core:.2f}")
    print(f"map_html_mb={size / 1e6:.2f}")
    report = sum(sec(k) for k in REPORT)
    print(f"report_seconds={report:.2f}")
    print(f"total_without_report_vs_core={(total - report) / core:.2f}")
    print(f"total_vs_core={total / core:.2f}")
    return stages


def street_scenario(folder: Path, points: int) -> Path:
    """A copy of ``folder``'s scenario without buildings, demand along the streets (~``points``)."""
    import shapely

    from siting.demand import place_demand
    from siting.io import load_inputs
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    base = folder / "scenario.toml"
    inputs = load_inputs(load_scenario(base))
    graph = walking_graph(inputs)
    streets = graph.edge_geometry[graph.edge_has_arcs]
    walk_m = float(shapely.length(streets).sum())
    spacing = walk_m / points
    for _ in range(3):  # a street part's pieces: its length over the spacing, rounded up
        n = len(place_demand(inputs.communities, streets=streets, street_spacing_m=spacing).points)
        spacing *= n / points
    spacing = round(spacing, 1)
    text = base.read_text(encoding="utf-8")
    text = re.sub(r"\[inputs\.buildings\].*?(?=\[inputs\.facilities\])", "", text, flags=re.S)
    text += f"\n[demand]\nstreet_spacing_m = {spacing}\n"
    out = folder / "scenario-streets.toml"
    out.write_text(text, encoding="utf-8")
    print(f"streets: {walk_m / 1000:,.0f} km walkable, street_spacing_m = {spacing}")
    return out


def search_seconds(result) -> float:
    """The coverage stage's walking-time search alone, on the run's graph and points."""
    import numpy as np

    from isochrones.od import od_times
    from isochrones.snap import snap_points
    from siting.coverage import snap_demand

    settings = result.coverage.settings
    snapped = snap_demand(result.graph, result.coverage.demand, max_snap_m=settings.max_snap_m)
    sites = snap_points(
        result.graph,
        np.asarray(result.inputs.facilities.geometry.array, dtype=object),
        max_snap_m=settings.max_snap_m,
    )
    t0 = time.perf_counter()
    od_times(result.graph, snapped, sites, max_seconds=settings.search_seconds)
    return time.perf_counter() - t0


def mip(siting) -> None:
    """The siting MIP's size, status, gap and times (issue 17 goal 5: gap ≤ 0.5 %)."""
    if siting is None:
        return
    s = siting.summary
    gap = "n/a" if siting.gap is None else f"{100 * siting.gap:.3f}"
    print(
        f"MIP: {s['demand_points']:,} demand points × {s['options']:,} options "
        f"({s.get('classes', 0):,} demand classes); {s.get('model_variables', 0):,} variables, "
        f"{s.get('model_constraints', 0):,} rows, {s.get('model_nonzeros', 0):,} nonzeros; "
        f"{siting.solver}: {siting.status}, gap {gap} %; "
        f"build {siting.build_seconds:.2f} s, solve {siting.solve_seconds:.2f} s"
    )
    print(f"mip_gap_pct={gap}")
    print(f"mip_solve_seconds={siting.solve_seconds:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default=str(REPO / "data" / "demo" / "scenario.toml"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--scale", type=float, default=None, help="also run the demo at N × its size")
    ap.add_argument("--scaled-dir", type=Path, default=None, help="the N× demo, already generated")
    ap.add_argument(
        "--street-points", type=int, default=None, help="also run the N× demo without buildings"
    )
    args = ap.parse_args()

    timer, _, size = run(Path(args.scenario).resolve(), args.repeat, "demo")
    base = report(timer, size)
    if args.scale is None:
        return 0
    tag = f"x{args.scale:g}"
    with tempfile.TemporaryDirectory(prefix="siting-bench-scaled-") as tmp:
        folder = args.scaled_dir
        if folder is None:
            import importlib.util
            import sys

            spec = importlib.util.spec_from_file_location(
                "make_demo_district", REPO / "scripts" / "make_demo_district.py"
            )
            gen = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = gen
            spec.loader.exec_module(gen)
            folder = Path(tmp) / f"demo-{tag}"
            t0 = time.perf_counter()
            gen.generate(folder, scale=args.scale)
            print(f"generated the {tag} demo in {time.perf_counter() - t0:.1f} s")
        timer_s, _, size_s = run(folder.resolve() / "scenario.toml", 1, tag)
        scaled = report(timer_s, size_s)
        for k in STAGES:
            if base[k] is not None and scaled[k] is not None and base[k].cpu_seconds > 0:
                print(
                    f"  {k:<20} CPU {scaled[k].cpu_seconds / base[k].cpu_seconds:6.2f} × the demo's"
                )
        ratio = timer_s.total_cpu_seconds / timer.total_cpu_seconds
        print(f"cpu_{tag}_vs_demo={ratio:.2f}")
        if args.street_points:
            streets = street_scenario(folder.resolve(), args.street_points)
            timer_p, result_p, size_p = run(streets, 1, f"{tag} on streets")
            report(timer_p, size_p)
            print(f"demand_points={len(result_p.coverage.demand.points)}")
            cov = next(r for r in timer_p.records if r.name == "walking coverage and indicators")
            search = search_seconds(result_p)
            print(f"search_seconds={search:.2f}")
            print(f"coverage_vs_search={cov.seconds / search:.2f}")
            ratio_p = timer_p.total_cpu_seconds / timer.total_cpu_seconds
            print(f"cpu_streets_vs_demo={ratio_p:.2f}")
            mip(result_p.siting)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
