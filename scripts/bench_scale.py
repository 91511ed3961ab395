"""Scale-out benchmark: many districts on 1 and 2 Dask workers, and tiled vs untiled coverage.

    python scripts/bench_scale.py [--city DIR] [--districts N] [--repeat R]

1. **Synthetic city** (``data/city``, from ``scripts/make_demo_district.py --city 4``): every
   district's whole pipeline (``siting run-many``) on a ``LocalCluster`` of 1 worker, then of 2
   workers (one thread each), after a warm-up task on every worker (imports). Prints the wall
   times, the speed-up and the peak memory of each worker.
2. **Tiled coverage on the demo district**: the walking-time searches of coverage (all demand
   points × existing facilities and candidate sites, within the 60-minute report horizon) untiled
   in this process, then in tiles with a halo on the 2-worker cluster. Prints both times, that
   the matrices are equal, the largest tile's graph against the whole graph, and the workers'
   peak memory.

The last line is ``speedup_2_workers=<number>`` (goal: ≥ 1.6 on a 2-core machine). Times are
ratios measured in the same process run, since machines differ and are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _warm_up() -> int:
    import siting.pipeline  # noqa: F401  (imports geopandas, pulp, folium, ...)

    return os.getpid()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cluster(n: int):
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    client = Client(cluster)
    client.run(_warm_up)
    return cluster, client


def _city_scenarios(folder: Path, n: int | None) -> list[Path]:
    paths = sorted(folder.glob("*/scenario.toml"))
    if not paths:
        raise SystemExit(
            f"no districts in {folder}: run `python scripts/make_demo_district.py --city 4` first"
        )
    return paths[:n] if n else paths


def bench_city(scenarios: list[Path], repeat: int) -> tuple[float, float]:
    from siting.citywide import run_many

    times: dict[int, list[float]] = {1: [], 2: []}
    for n in (1, 2):
        cluster, client = _cluster(n)
        try:
            run_many(scenarios, client=client)  # warm-up: first-use costs on every worker
            for _ in range(repeat):
                start = time.perf_counter()
                city = run_many(scenarios, client=client)
                times[n].append(time.perf_counter() - start)
                if city.failed:
                    raise SystemExit(f"districts failed: {[d.error for d in city.failed]}")
            peaks: dict[str, float] = {}
            for d in city.districts:
                w = str(d.summary["worker"])
                peaks[w] = max(peaks.get(w, 0.0), float(d.summary["worker_peak_rss_mb"]))
            per = ", ".join(
                f"{d.summary['district_code']} {d.summary['seconds']:.1f} s" for d in city.districts
            )
            print(
                f"city: {len(scenarios)} districts on {n} worker(s): "
                f"{statistics.median(times[n]):.2f} s (runs {[round(t, 2) for t in times[n]]}); "
                f"per district: {per}; peak memory per worker: "
                + ", ".join(f"worker {w} {mb:.0f} MB" for w, mb in sorted(peaks.items()))
            )
        finally:
            client.close()
            cluster.close()
    return statistics.median(times[1]), statistics.median(times[2])


def bench_tiles(scenario: Path, tile_km: float, repeat: int) -> None:
    import numpy as np

    from isochrones.tiles import plan_tiles
    from siting.coverage import CoverageSettings, coverage_matrix, snap_demand
    from siting.demand import build_demand
    from siting.io import load_inputs
    from siting.scale import computing
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    inputs = load_inputs(load_scenario(scenario))
    graph = walking_graph(inputs)
    settings = CoverageSettings.from_scenario(inputs.scenario)
    demand = build_demand(inputs, graph)
    snapped = snap_demand(graph, demand, max_snap_m=settings.max_snap_m)

    def run():
        fac = coverage_matrix(
            graph, demand, inputs.facilities, settings=settings, snapped_demand=snapped
        )
        cand = coverage_matrix(
            graph,
            demand,
            inputs.candidates,
            id_column="candidate_id",
            type_column="eligible_types",
            settings=settings,
            snapped_demand=snapped,
        )
        return fac, cand

    def timed(fn):
        out, ts = None, []
        for _ in range(repeat):
            start = time.perf_counter()
            out = fn()
            ts.append(time.perf_counter() - start)
        return out, statistics.median(ts)

    base, t_plain = timed(run)
    cluster, client = _cluster(2)
    try:
        with computing(tile_m=1000.0 * tile_km):
            serial, t_serial = timed(run)
        with computing(tile_m=1000.0 * tile_km, executor=client.get_executor()):
            tiled, t_tiled = timed(run)
        peaks = client.run(_peak_mb)
    finally:
        client.close()
        cluster.close()
    equal = all(
        np.array_equal(getattr(a.seconds, k), getattr(b.seconds, k))
        for x, y in ((base, tiled), (base, serial))
        for a, b in zip(x, y, strict=True)
        for k in ("indptr", "indices", "data")
    )
    from isochrones import snap_points

    sites = snap_points(graph, inputs.facilities.geometry, max_snap_m=settings.max_snap_m)
    tiles = list(
        plan_tiles(
            graph, snapped, sites, max_seconds=settings.search_seconds, tile_m=1000.0 * tile_km
        )
    )
    whole_nodes = graph.n_nodes
    print(
        f"tiles: demo district, {len(demand.points):,} demand points × "
        f"{base[0].shape[1] + base[1].shape[1]} site columns within {settings.search_seconds / 60:.0f} min: "
        f"untiled {t_plain:.3f} s; tiled {tile_km:g} km in-process {t_serial:.3f} s; "
        f"tiled on 2 workers {t_tiled:.3f} s; equal={equal}"
    )
    print(
        f"tiles: {len(tiles)} tiles of facilities; largest tile graph {max(t.graph.n_nodes for t in tiles):,} "
        f"of {whole_nodes:,} nodes ({max(t.nbytes for t in tiles) / 2**20:.1f} MB of arrays); "
        f"worker peak memory: " + ", ".join(f"{mb:.0f} MB" for mb in peaks.values())
    )
    # memory of the search itself (numpy/scipy allocations, traced): the whole district at once
    # against the largest tile, for several tile sizes
    import tracemalloc

    from isochrones.od import od_times
    from isochrones.tiles import solve_tile

    def traced(fn) -> float:
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

    whole_mb = traced(lambda: od_times(graph, snapped, sites, max_seconds=settings.search_seconds))
    parts = [f"untiled {whole_mb:.1f} MB"]
    for km in (2.0, 4.0, 8.0):
        ts = list(
            plan_tiles(
                graph, snapped, sites, max_seconds=settings.search_seconds, tile_m=1000.0 * km
            )
        )
        biggest = max(ts, key=lambda t: t.graph.n_nodes)
        parts.append(
            f"{km:g} km tiles ({len(ts)}): largest {traced(lambda b=biggest: solve_tile(b)):.1f} MB"
        )
    print("tiles: peak memory of the facilities' search: " + "; ".join(parts))
    print(f"tiled_vs_untiled_time={t_tiled / t_plain:.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", type=Path, default=REPO / "data" / "city")
    ap.add_argument("--districts", type=int, help="use only the first N districts")
    ap.add_argument("--demo", type=Path, default=REPO / "data" / "demo" / "scenario.toml")
    ap.add_argument("--tile-km", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", choices=("tiles", "city"), help="run one part only")
    args = ap.parse_args(argv)
    scenarios = [p.resolve() for p in _city_scenarios(args.city, args.districts)]
    demo = args.demo.resolve()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)  # the districts' outputs and maps go here, not into the repository
        if args.only != "city":
            bench_tiles(demo, args.tile_km, args.repeat)
        if args.only == "tiles":
            return 0
        t1, t2 = bench_city(scenarios, args.repeat)
    print(f"speedup_2_workers={t1 / t2:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
