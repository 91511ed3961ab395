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
- microseconds per source of both, and the bytes per reached pair the table holds.

The last lines are ``local_per_source_ratio_largest_vs_smallest=`` (goal of issue 17: ≤ 2, a cost
that follows the walk) and ``whole_per_source_ratio_largest_vs_smallest=`` (the graph-size cost
of the whole-graph search). Ratios measured in one run, since these machines are noisy.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 316, 1000])
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--reach", type=int, default=500, help="nodes reached per source")
    args = ap.parse_args()

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
        try:
            t = time.perf_counter()
            local = reach_module.reach(graph, sources, max_seconds=limit)
            t_local = time.perf_counter() - t
            reach_module.LOCAL_MIN_NODES = graph.n_nodes + 1
            t = time.perf_counter()
            whole = reach_module.reach(graph, sources, max_seconds=limit)
            t_whole = time.perf_counter() - t
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
