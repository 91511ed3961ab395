"""Benchmark: our many-source reachability against the common osmnx recipe.

For every existing facility and candidate site of the demo district, the reach set within the
time limit is computed twice on the same directed walking graph with the same seconds per arc:

- ours: ``isochrones.reach`` (scipy's compiled Dijkstra from batches of sources, bounded);
- the osmnx recipe: one ``networkx.ego_graph(G, node, radius=limit, distance="time")`` per site,
  as in osmnx's isochrone example.

Both start at the site's nearest graph node (``osmnx.distance.nearest_nodes``), so both compute
the same thing; the node sets are compared site by site. Then polygons per second of
``isochrone_polygons`` and the peak memory (RSS) are printed, and ``speedup_vs_osmnx_recipe=``.

Then Valhalla, the open-source routing engine behind many isochrone services, draws the same
sites' isochrones on the district's own OSM file (``roads.osm.pbf``; the demo's is generated with
it): tiles built by the ``valhalla_build_tiles`` of the ``pyvalhalla-weekly`` wheel (an optional
benchmark dependency, ``pip install pyvalhalla-weekly``; without it this part is skipped with a
message) into a temporary folder, then one ``Actor.isochrone`` request per site, ``costing =
"pedestrian"`` at the walking graph's flat speed in km/h, one contour of ``--minutes``. Ours is
the same sites' whole isochrone, search and polygon (``reach`` + ``isochrone_polygons``), on one
thread as Valhalla's actor is (``ISOCHRONES_THREADS=1``). Last line: ``polygons_vs_valhalla=``:
our polygons per second over Valhalla's (issue 17 goal: ≥ 1). Valhalla's polygons are not ours:
it has no slope profile cut along partial edges, no stairs penalty of older walkers, no holes and
draws across rivers; only their counts and times are compared.

Usage: python scripts/bench_isochrones.py [SCENARIO] [--minutes 15] [--repeat 3] [--no-valhalla]
"""

from __future__ import annotations

import argparse
import os
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
from siting.walking import walking_graph, walking_model


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


def valhalla_isochrones(pbf, lonlat: np.ndarray, minutes: float, speed_kmh: float):
    """Valhalla's isochrones of every point on tiles built from ``pbf``: (seconds, polygons, tiles s).

    None (with a message) when the ``pyvalhalla-weekly`` wheel is missing.
    """
    import json
    import subprocess
    import tempfile
    from pathlib import Path

    try:
        import valhalla
    except ImportError:
        print("valhalla: skipped (pip install pyvalhalla-weekly to compare with Valhalla)")
        return None
    build = Path(valhalla.__file__).parent / "bin" / "valhalla_build_tiles"
    with tempfile.TemporaryDirectory(prefix="valhalla-") as tmp:
        tiles = Path(tmp) / "tiles"
        tiles.mkdir()
        config = valhalla.get_config(tile_extract="", tile_dir=str(tiles))
        config["mjolnir"]["admin"] = ""
        config["mjolnir"]["timezone"] = ""
        path = Path(tmp) / "valhalla.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        t = time.perf_counter()
        subprocess.run(
            [str(build), "-c", str(path), str(pbf)],
            check=True,
            capture_output=True,
            cwd=tmp,  # it writes duplicateways.txt where it runs
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        tiles_s = time.perf_counter() - t
        actor = valhalla.Actor(str(path))
        polygons = 0
        t = time.perf_counter()
        for lon, lat in lonlat:
            request = {
                "locations": [{"lon": float(lon), "lat": float(lat)}],
                "costing": "pedestrian",
                "costing_options": {"pedestrian": {"walking_speed": speed_kmh}},
                "contours": [{"time": minutes}],
                "polygons": True,
            }
            answer = json.loads(actor.isochrone(json.dumps(request)))
            polygons += sum(
                1 for f in answer.get("features", []) if f["geometry"]["type"].endswith("Polygon")
            )
        seconds = time.perf_counter() - t
    return seconds, polygons, tiles_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-valhalla", action="store_true", help="skip the Valhalla comparison")
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
    if args.no_valhalla:
        return
    pbf = inputs.scenario.inputs["network"].path
    lonlat = sites.geometry.to_crs(4326)
    lonlat = np.column_stack([lonlat.x, lonlat.y])
    speed_kmh = round(walking_model(inputs).speed_mps * 3.6, 3)
    theirs_v = valhalla_isochrones(pbf, lonlat, args.minutes, speed_kmh)
    if theirs_v is None:
        return
    v_s, v_n, tiles_s = theirs_v
    before = os.environ.get("ISOCHRONES_THREADS")
    os.environ["ISOCHRONES_THREADS"] = "1"
    try:
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            table = reach(
                graph, graph.node_ids[centres], max_seconds=limit, direction="from_sources"
            )
            ours_polys = isochrone_polygons(graph, table, max_minutes=args.minutes)
            runs.append(time.perf_counter() - t)
    finally:
        if before is None:
            os.environ.pop("ISOCHRONES_THREADS")
        else:
            os.environ["ISOCHRONES_THREADS"] = before
    o_s = statistics.median(runs)
    print(
        f"valhalla: tiles from {pbf.name} in {tiles_s:.1f} s; {v_n} isochrones of {len(lonlat)} "
        f"sites at {speed_kmh:g} km/h in {v_s:.2f} s = {v_n / v_s:,.0f}/s "
        f"({1000 * v_s / len(lonlat):.2f} ms per site)"
    )
    print(
        f"ours, one thread (reach + isochrone_polygons): {len(ours_polys)} in {o_s:.2f} s = "
        f"{len(ours_polys) / o_s:,.0f}/s ({1000 * o_s / len(centres):.2f} ms per site)"
    )
    print(f"polygons_vs_valhalla={(len(ours_polys) / o_s) / (v_n / v_s):.2f}")


if __name__ == "__main__":
    main()
