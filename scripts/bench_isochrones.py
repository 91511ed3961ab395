"""Benchmark: our many-source reachability against the common osmnx recipe.

For every existing facility and candidate site of the demo district, the reach set within the
time limit is computed twice on the same directed walking graph with the same seconds per arc:

- ours: ``isochrones.reach`` (scipy's compiled Dijkstra from batches of sources, bounded);
- the osmnx recipe: one ``networkx.ego_graph(G, node, radius=limit, distance="time")`` per site,
  as in osmnx's isochrone example.

Both start at the site's nearest graph node (``osmnx.distance.nearest_nodes``), so both compute
the same thing; the node sets are compared site by site. Then polygons per second of
``isochrone_polygons`` and the peak memory (RSS) are printed. Last line:
``speedup_vs_osmnx_recipe=<number>``.

Usage: python scripts/bench_isochrones.py [SCENARIO] [--minutes 15] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import networkx as nx
import numpy as np
import osmnx as ox
import psutil

from isochrones import isochrone_polygons, reach
from siting.catchments import _sites
from siting.io import load_inputs
from siting.scenario import load_scenario
from siting.walking import walking_graph


def nx_graph(graph) -> nx.DiGraph:
    """The walking graph as a networkx DiGraph with attribute ``time`` (fastest parallel arc)."""
    g = nx.DiGraph()
    g.graph["crs"] = graph.crs
    for i, (x, y) in enumerate(graph.node_xy):
        g.add_node(i, x=float(x), y=float(y))
    m = graph.matrix.tocoo()
    g.add_edges_from(
        (int(a), int(b), {"time": float(s)}) for a, b, s in zip(m.row, m.col, m.data, strict=True)
    )
    return g


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    proc = psutil.Process()

    inputs = load_inputs(load_scenario(args.scenario))
    graph = walking_graph(inputs)
    sites = _sites(inputs, include_candidates=True)
    limit = args.minutes * 60.0
    G = nx_graph(graph)
    xy = np.column_stack([sites.geometry.x, sites.geometry.y])
    centres = np.asarray(ox.distance.nearest_nodes(G, xy[:, 0], xy[:, 1]), dtype=np.int64)
    print(
        f"graph: {graph.n_nodes:,} nodes, {graph.n_arcs:,} arcs; sites: {len(centres)}; limit {args.minutes:g} min"
    )

    ours_t, theirs_t = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        table = reach(graph, graph.node_ids[centres], max_seconds=limit, direction="from_sources")
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        ego = [set(nx.ego_graph(G, int(c), radius=limit, distance="time").nodes) for c in centres]
        theirs_t.append(time.perf_counter() - t)

    ours_sets = [set() for _ in centres]
    for s, n in zip(table.source, table.node, strict=True):
        ours_sets[s].add(int(n))
    equal = all(a == b for a, b in zip(ours_sets, ego, strict=True))
    reached = sum(len(s) for s in ours_sets)
    ours, theirs = statistics.median(ours_t), statistics.median(theirs_t)
    print(
        f"reach sets identical for all {len(centres)} sites: {equal} ({reached:,} site-node pairs)"
    )
    print(f"ours (isochrones.reach):         {ours:8.3f} s  (median of {args.repeat})")
    print(f"osmnx recipe (nx.ego_graph):     {theirs:8.3f} s  (median of {args.repeat})")

    t = time.perf_counter()
    polys = isochrone_polygons(graph, table, max_minutes=args.minutes)
    poly_s = time.perf_counter() - t
    print(f"polygons: {len(polys)} in {poly_s:.2f} s = {len(polys) / poly_s:,.0f} polygons/s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"peak memory: {peak_mb:,.0f} MB (max RSS of the process); now {proc.memory_info().rss / 2**20:,.0f} MB"
    )
    if not equal:
        raise SystemExit("reach sets differ: the speed-up is not at identical results")
    print(f"speedup_vs_osmnx_recipe={theirs / ours:.1f}")


if __name__ == "__main__":
    main()
