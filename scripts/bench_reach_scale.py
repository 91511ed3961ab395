"""Does a source cost what its walk reaches, or the size of the graph? Reach on square grids.

    python scripts/bench_reach_scale.py [--sizes 100 316 1000] [--sources 200] [--reach 500]

Square street grids of ``size × size`` nodes (50 m blocks, flat, 0.8 m/s), ``--sources`` random
nodes, a time limit at which a source reaches about ``--reach`` nodes (the same at every size).
For every size, in this process:

- ``local``: :func:`isochrones.reach.reach` as the tool runs it (graphs of at least
  ``LOCAL_MIN_NODES`` nodes searched on the nodes within each group of sources' reach);
- ``whole``: the same call searching the whole graph for every source (``LOCAL_MIN_NODES``
  raised above the graph's size), as before the local searches;
- that both give the same table, entry for entry;
- microseconds per source of both (the fastest of three runs of each, alternately), and the
  bytes per reached pair the table holds.

The last lines are ``local_per_source_ratio_largest_vs_smallest=`` (goal of issue 17: ≤ 2, a cost
that follows the walk) and ``whole_per_source_ratio_largest_vs_smallest=`` (the graph-size cost
of the whole-graph search). Ratios measured in one run, since these machines are noisy.

``--city`` instead measures city scale (issue 17 goal 5): a 1,000 × 1,000 grid (10⁶ nodes,
about a 50 km square of 50 m blocks), ``--city-sites`` sites (default 10,000, on the streets a few
metres off a node) and ``--city-demand`` demand points (default 200,000, anywhere), at the
15-minute limit of an older walker (0.8 m/s): the sites' search (``reach``, as for their
isochrones) and the coverage search of every demand point to every site (``od_times``), each
stage's time and peak memory (``siting.stages.StageTimer``: the process's resident set, sampled),
the pairs and their bytes. Last lines ``city_peak_rss_mb=`` and ``city_bytes_per_pair=``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from isochrones.network import EDGE_COLUMNS, StreetNetwork  # noqa: E402
from isochrones.walktime import WalkingModel, walking_arcs  # noqa: E402

CRS = pyproj.CRS.from_epsg(4544)
ORIGIN = (548_000.0, 3_270_000.0)
BLOCK_M = 50.0
SPEED = 0.8


def grid_network(size: int) -> StreetNetwork:
    """A ``size`` × ``size`` grid of 50 m blocks, built with arrays (a million nodes in seconds)."""
    ids = np.arange(size * size, dtype=np.int64).reshape(size, size)
    jj, ii = np.divmod(ids.ravel(), size)
    xy = np.column_stack([ORIGIN[0] + ii * BLOCK_M, ORIGIN[1] + jj * BLOCK_M])
    nodes = gpd.GeoDataFrame(
        {"x": xy[:, 0], "y": xy[:, 1]},
        geometry=shapely.points(xy),
        index=pd.Index(ids.ravel(), name="node_id"),
        crs=CRS,
    )
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    lines = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    frame = pd.DataFrame({c: [None] * len(u) for c in EDGE_COLUMNS})
    frame["u"], frame["v"] = u, v
    frame["length_m"] = BLOCK_M
    frame["highway"] = "residential"
    frame["oneway"] = False
    frame["way_id"] = np.arange(len(u)) + 1000
    edges = gpd.GeoDataFrame(frame, geometry=lines, crs=CRS)
    return StreetNetwork(nodes=nodes, edges=edges, crs=CRS, source="synthetic grid")


def city(n_sites: int, n_demand: int, minutes: float = 15.0) -> int:
    """Search and coverage on a 10⁶-node grid with ``n_sites`` sites (see the module docstring)."""
    from isochrones.od import od_times
    from isochrones.reach import reach
    from isochrones.snap import snap_points
    from siting.stages import StageTimer

    timer = StageTimer()
    size = 1000
    limit = minutes * 60.0
    rng = np.random.default_rng(29)
    with timer.stage("graph"):
        graph = walking_arcs(grid_network(size), WalkingModel(SPEED, slope_function="flat"))
    span = (size - 1) * BLOCK_M
    with timer.stage("snap"):
        node = rng.choice(graph.n_nodes, size=n_sites, replace=False)
        site_xy = graph.node_xy[node] + np.column_stack(
            [rng.uniform(2.0, 20.0, n_sites), np.zeros(n_sites)]
        )
        site_xy[:, 0] = np.minimum(site_xy[:, 0], ORIGIN[0] + span)
        sites = snap_points(graph, shapely.points(site_xy))
        demand_xy = np.column_stack(
            [ORIGIN[0] + rng.uniform(0, span, n_demand), ORIGIN[1] + rng.uniform(0, span, n_demand)]
        )
        demand = snap_points(graph, shapely.points(demand_xy))
    with timer.stage("search"):
        table = reach(graph, sites, max_seconds=limit, direction="from_sources")
    with timer.stage("coverage"):
        od = od_times(graph, demand, sites, max_seconds=limit)
    covered = np.diff(od.seconds.indptr) > 0
    for r in timer.records:
        print(
            f"  {r.name:<10} {r.seconds:7.2f} s  CPU {r.cpu_seconds:7.2f} s  {r.peak_rss_mb:7.0f} MB"
        )
    pairs = len(table.source)
    table_bytes = table.source.nbytes + table.node.nbytes + table.seconds.nbytes
    od_bytes = od.seconds.data.nbytes + od.seconds.indices.nbytes + od.seconds.indptr.nbytes
    print(
        f"{graph.n_nodes:,} nodes, {graph.n_arcs:,} arcs; {n_sites:,} sites reach "
        f"{pairs / n_sites:,.0f} nodes each ({pairs:,} pairs, {table_bytes / 2**20:,.0f} MB); "
        f"{n_demand:,} demand points, {covered.mean():.1%} within {minutes:g} min of a site "
        f"({od.n_pairs:,} pairs, {od_bytes / 2**20:,.0f} MB)"
    )
    search = next(r for r in timer.records if r.name == "search")
    print(f"city_search_us_per_site={1e6 * search.seconds / n_sites:.0f}")
    print(f"city_bytes_per_pair={table_bytes / max(pairs, 1):.0f}")
    print(f"city_peak_rss_mb={max(r.peak_rss_mb for r in timer.records):.0f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 316, 1000])
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--reach", type=int, default=500, help="nodes reached per source")
    ap.add_argument("--city", action="store_true", help="10⁶ nodes, 10,000 sites (goal 5)")
    ap.add_argument("--city-sites", type=int, default=10_000)
    ap.add_argument("--city-demand", type=int, default=200_000)
    args = ap.parse_args()
    if args.city:
        return city(args.city_sites, args.city_demand)

    reach_module = sys.modules["isochrones.reach"]
    # a diamond of radius r blocks holds 2r² + 2r + 1 nodes
    r = (-2 + np.sqrt(4 - 8 * (1 - args.reach))) / 4
    limit = r * BLOCK_M / SPEED
    rng = np.random.default_rng(17)
    rows = []
    for size in args.sizes:
        t0 = time.perf_counter()
        graph = walking_arcs(grid_network(size), WalkingModel(SPEED, slope_function="flat"))
        build = time.perf_counter() - t0
        sources = rng.choice(graph.n_nodes, size=min(args.sources, graph.n_nodes), replace=False)
        reach_module.reach(graph, sources[:2], max_seconds=limit)  # the node tree, cached
        saved = reach_module.LOCAL_MIN_NODES
        t_local = t_whole = np.inf
        try:
            for _ in range(3):  # alternately, the fastest of three (the first pays page faults)
                reach_module.LOCAL_MIN_NODES = saved
                t = time.perf_counter()
                local = reach_module.reach(graph, sources, max_seconds=limit)
                t_local = min(t_local, time.perf_counter() - t)
                reach_module.LOCAL_MIN_NODES = graph.n_nodes + 1
                t = time.perf_counter()
                whole = reach_module.reach(graph, sources, max_seconds=limit)
                t_whole = min(t_whole, time.perf_counter() - t)
        finally:
            reach_module.LOCAL_MIN_NODES = saved
        same = all(
            np.array_equal(a, b)
            for a, b in (
                (local.source, whole.source),
                (local.node, whole.node),
                (local.seconds, whole.seconds),
            )
        )
        pairs = len(local.source)
        nbytes = local.source.nbytes + local.node.nbytes + local.seconds.nbytes
        rows.append((graph.n_nodes, t_local / len(sources), t_whole / len(sources)))
        print(
            f"{graph.n_nodes:>10,} nodes (built in {build:5.1f} s): {pairs / len(sources):6.0f} "
            f"nodes reached per source; local {1e6 * t_local / len(sources):8.0f} µs/source, "
            f"whole graph {1e6 * t_whole / len(sources):8.0f} µs/source; identical={same}; "
            f"{nbytes / max(pairs, 1):.0f} bytes per reached pair"
        )
        if not same:
            print("the local and the whole-graph searches differ", file=sys.stderr)
            return 1
    print(f"local_per_source_ratio_largest_vs_smallest={rows[-1][1] / rows[0][1]:.2f}")
    print(f"whole_per_source_ratio_largest_vs_smallest={rows[-1][2] / rows[0][2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
