"""Plain summaries of a district's inputs (counts, population totals), for validate and reports.

The roster's size is given rounded (:func:`siting.disclosure.people_text`), never exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from siting.disclosure import ROUND_TO, people_text
from siting.io import FACILITY_TYPES, HEALTH_TYPES, Inputs

__all__ = ["district_summary", "network_components"]


def network_components(
    edges_u: np.ndarray, edges_v: np.ndarray, node_ids: np.ndarray
) -> tuple[int, float]:
    """Number of connected components (edges taken as undirected) and the share of nodes outside the largest."""
    index = {n: i for i, n in enumerate(node_ids)}
    u = np.fromiter((index[x] for x in edges_u), dtype=np.int64, count=len(edges_u))
    v = np.fromiter((index[x] for x in edges_v), dtype=np.int64, count=len(edges_v))
    n = len(node_ids)
    graph = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)).tocsr()
    count, labels = connected_components(graph, directed=False)
    if n == 0:
        return 0, 0.0
    largest = np.bincount(labels).max()
    return int(count), float(1 - largest / n)


def district_summary(inputs: Inputs) -> dict[str, Any]:
    """Counts and population totals by community kind, facility counts by type, network figures."""
    com = inputs.communities
    rows = []
    for kind in ("community", "village", "total"):
        part = com if kind == "total" else com[com["kind"] == kind]
        total = float(part["pop_total"].sum())
        row = {"kind": kind, "count": len(part), "pop_total": total}
        for band in ("60p", "65p", "80p"):
            col = f"pop_{band}"
            if col in part:
                value = float(part[col].sum())
                row[col] = value
                row[f"share_{band}"] = value / total if total else 0.0
            else:
                row[col] = None
                row[f"share_{band}"] = None
        rows.append(row)
    facilities: dict[str, int] = {}
    if inputs.facilities is not None:
        counts = inputs.facilities["type"].value_counts()
        facilities.update({t: int(counts[t]) for t in FACILITY_TYPES if t in counts})
    if inputs.health is not None:
        counts = inputs.health["type"].value_counts()
        facilities.update({t: int(counts[t]) for t in HEALTH_TYPES if t in counts})
    st = inputs.streets
    n_street = int((st["kind"] == "street").sum())
    lines = {
        "zh": [
            f"计算坐标系：{inputs.crs.to_string()}（{inputs.crs.name}）；{n_street} 个街道、{len(st) - n_street} 个镇。"
        ],
        "en": [
            f"Working CRS: {inputs.crs.to_string()} ({inputs.crs.name}); {n_street} sub-districts, {len(st) - n_street} towns."
        ],
    }
    net = inputs.network
    if net is not None:
        n_comp, outside = network_components(
            net.edges["u"].to_numpy(), net.edges["v"].to_numpy(), net.nodes.index.to_numpy()
        )
        km = net.edges["length_m"].sum() / 1000
        counts = net.edges["highway"].value_counts()
        steps = int(counts.get("steps", 0))
        lines["zh"].append(
            f"道路网络：{net.n_nodes:,} 个节点，{net.n_edges:,} 条路段，共 {km:,.1f} 公里；其中梯道 {steps:,} 段；"
            f"{n_comp} 个连通分量，最大分量之外的节点占 {outside:.2%}。"
        )
        lines["en"].append(
            f"Road network: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {km:,.1f} km; {steps:,} stair segments; "
            f"{n_comp} connected components, {outside:.2%} of nodes outside the largest."
        )
    if inputs.candidates is not None:
        lines["zh"].append(f"候选选址 {len(inputs.candidates):,} 处。")
        lines["en"].append(f"{len(inputs.candidates):,} candidate sites.")
    if inputs.roster is not None:  # never the exact number (siting.disclosure)
        n = len(inputs.roster)
        lines["zh"].append(
            f"困难老人名册{people_text(n, 'zh')} 人（取整到 {ROUND_TO} 人；仅以汇总形式输出）。"
        )
        lines["en"].append(
            f"Roster of elderly in difficulty: {people_text(n, 'en')} people (rounded to "
            f"{ROUND_TO}; only ever shown aggregated)."
        )
    return {"by_kind": rows, "facilities": facilities, "lines": lines}
