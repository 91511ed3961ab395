"""The policy rules of POLICY_RULES §1–2 as constraints of the siting model, and the pre-solve checks.

Every rule is switchable (``[optimize] policies``) and takes its numbers from ``[indicators]``, so a
plan the optimizer returns passes the same checks :mod:`siting.indicators` applies to it.

=========================  =================================================================  ==================
rule (switch)              constraint (defaults)                                              source
=========================  =================================================================  ==================
center_per_street          every 街道 without a 街道养老服务中心 inside it gets one, every 镇   001 §二(一); 003
                           without a 乡镇养老服务中心 gets one; the site lies inside that        task 8
                           街道/镇 ("一街道（镇）一中心")
station_per_community      every 社区/村 without a station or point inside it gets one; a      001 §二(一); 003
                           社区 with fewer than ``small_community_elderly`` (500) older         task 8
                           people may instead share one in another community that reaches
                           ≥ ``sharing_min_share`` (50 %) of its elderly within the walking
                           threshold ("一村（社区）一站（点）")
hub                        every station (``hub_types``) is run by exactly one open center     001 §二(三)
                           of its own 街道/镇 or within ``hub_reach_minutes`` (30) walking
                           (or ``hub_reach_m`` straight line), at most
                           ``stations_per_center_max`` (10) per center ("中心带站")
capacity                   a station serves at most ``floor area × capacity_elderly_per_m2``   assumption
                           older people (4 per m²: a 300 m² station for a 社区 of about
                           1,200 older people); coverage by it becomes an assignment
health_rule                centers within ``health_max_distance_m`` (500 m, straight line)     001 §二(五), §二(一);
  (off|prefer|require)     of their health facility (街道中心–社区卫生服务中心, 镇中心–卫生院,   000 ch.6 §1
                           a 医院 for both): ``require`` drops the other center sites,
                           ``prefer`` charges them ``health_penalty`` in the objective
min_spacing_m              two facilities of one type closer than the distance (straight       planner's choice
                           line) are not both open                                              (no default)
max_new                    at most this many new facilities (new sites and upgrades into it)   planner's choice
                           of a type                                                            (no default)
=========================  =================================================================  ==================

Straight lines for health adjacency and spacing (planning relations between two sites, as in
:mod:`siting.indicators`); walking time for the hub reach (staff walk to the stations they run),
straight line when ``hub_reach_metric = "straight_line"`` (no walking graph needed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix

from isochrones.od import od_times
from isochrones.snap import snap_points
from siting.indicators import (
    CENTER_FOR_KIND,
    CENTER_TYPES,
    HEALTH_FOR_CENTER,
    STATION_TYPES,
    _locate,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from isochrones import WalkGraph
    from siting.optimize import SitingProblem

__all__ = [
    "POLICIES",
    "Row",
    "center_rows",
    "health_distance_m",
    "hub_pair_arrays",
    "locate",
    "max_new_rows",
    "presolve_messages",
    "sharing_shares",
    "site_walk_seconds",
    "spacing_pairs",
    "station_rows",
]

log = logging.getLogger(__name__)

#: The switchable rules of ``[optimize] policies``.
POLICIES: tuple[str, ...] = ("center_per_street", "station_per_community", "hub", "capacity")


@dataclass(frozen=True, eq=False)
class Row:
    """One linear constraint over option positions: ``Σ coefs · x[options] (sense) rhs``.

    ``group`` names the rule (the unit of the infeasibility report), ``key`` the 街道/社区/type it
    concerns, ``label`` says it in words.
    """

    group: str
    key: str
    label: str
    options: np.ndarray
    coefs: np.ndarray
    sense: str
    rhs: float


def locate(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Position of the polygon holding each point (−1 if none), as :mod:`siting.indicators` does."""
    return _locate(np.asarray(points, dtype=object), np.asarray(polygons, dtype=object))


def health_distance_m(
    geoms: np.ndarray, types: np.ndarray, health: gpd.GeoDataFrame | None
) -> np.ndarray:
    """Straight-line metres from each center to its nearest matching health facility.

    NaN for types that are not centers; ``inf`` when there is no matching health facility.
    """
    out = np.full(len(geoms), np.nan)
    is_center = np.isin(types, CENTER_TYPES)
    out[is_center] = np.inf
    if health is None or len(health) == 0 or not is_center.any():
        return out
    h_geoms = np.asarray(health.geometry.array, dtype=object)
    h_types = health["type"].to_numpy()
    for center_type, matching in HEALTH_FOR_CENTER.items():
        sel = np.flatnonzero(types == center_type)
        ok = np.isin(h_types, matching)
        if len(sel) == 0 or not ok.any():
            continue
        tree = shapely.STRtree(h_geoms[ok])
        _, dist = tree.query_nearest(
            np.asarray(geoms, dtype=object)[sel], return_distance=True, all_matches=False
        )
        out[sel] = dist
    return out


def site_walk_seconds(
    graph: WalkGraph,
    origins: np.ndarray,
    destinations: np.ndarray,
    *,
    max_seconds: float,
    max_snap_m: float,
) -> csr_matrix:
    """(origins × destinations) walking seconds between sites, stored within ``max_seconds``."""
    so = snap_points(
        graph,
        np.asarray(origins, dtype=object),
        max_snap_m=max_snap_m,
        point_ids=np.arange(len(origins)),
    )
    sd = snap_points(
        graph,
        np.asarray(destinations, dtype=object),
        max_snap_m=max_snap_m,
        point_ids=np.arange(len(destinations)),
    )
    return od_times(graph, so, sd, max_seconds=max_seconds).seconds.tocsr()


def hub_pair_arrays(
    station_opts: np.ndarray,
    center_opts: np.ndarray,
    street: np.ndarray,
    reach: csr_matrix,
) -> tuple[np.ndarray, np.ndarray]:
    """Allowed (station option, center option) pairs: same 街道/镇, or ``reach`` (centers × stations) stored.

    Returns the option positions of the stations and of the centers, one entry per pair.
    """
    if len(station_opts) == 0 or len(center_opts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    same = (street[center_opts][:, None] == street[station_opts][None, :]) & (
        street[center_opts][:, None] >= 0
    )
    allowed = (reach.astype(bool).toarray() if reach.nnz else np.zeros(same.shape, bool)) | same
    c, s = np.nonzero(allowed)
    return station_opts[s], center_opts[c]


def spacing_pairs(
    geoms: np.ndarray,
    types: np.ndarray,
    groups: np.ndarray,
    candidates: np.ndarray,
    min_spacing_m: Mapping[str, float],
) -> np.ndarray:
    """(n, 2) option positions of one type closer than its minimum spacing, at different sites.

    Only pairs among ``candidates`` (options that may open, fixed ones included) are returned.
    """
    out = []
    for t, dist in min_spacing_m.items():
        sel = np.flatnonzero(candidates & (types == t))
        if len(sel) < 2 or not dist > 0:
            continue
        g = np.asarray(geoms, dtype=object)[sel]
        a, b = shapely.STRtree(g).query(g, predicate="dwithin", distance=float(dist))
        keep = (a < b) & (groups[sel[a]] != groups[sel[b]])
        out.append(np.column_stack([sel[a[keep]], sel[b[keep]]]))
    return np.concatenate(out) if out else np.zeros((0, 2), np.int64)


def sharing_shares(
    cover: csr_matrix,
    elderly: np.ndarray,
    demand_community: np.ndarray,
    n_communities: int,
    columns: np.ndarray,
) -> csr_matrix:
    """(communities × options) share of each community's elderly that option ``j`` covers.

    Only the ``columns`` (option positions) are filled; demand points outside every community are
    left out.
    """
    k = cover.shape[1]
    sub = cover[:, columns].tocoo()
    inside = demand_community[sub.row] >= 0
    rows, cols = demand_community[sub.row[inside]], columns[sub.col[inside]]
    el = elderly[sub.row[inside]]
    covered = coo_matrix((el, (rows, cols)), shape=(n_communities, k)).tocsr()
    covered.sum_duplicates()
    totals = np.bincount(
        demand_community[demand_community >= 0],
        weights=elderly[demand_community >= 0],
        minlength=n_communities,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(totals > 0, 1.0 / totals, 0.0)
    return csr_matrix(covered.multiply(inv[:, None]))


# ------------------------------------------------------------------------------------------
# constraint rows
# ------------------------------------------------------------------------------------------


def center_rows(problem: SitingProblem, allowed: np.ndarray) -> list[Row]:
    """ "一街道（镇）一中心": one row per 街道/镇 without an open fixed center of its kind inside it."""
    opts = problem.options
    fixed = opts["fixed"].to_numpy()
    types = opts["type"].to_numpy()
    street = opts["street"].to_numpy()
    rows = []
    for s, (code, name, kind) in enumerate(
        zip(problem.streets["code"], problem.streets["name"], problem.streets["kind"], strict=True)
    ):
        need = CENTER_FOR_KIND.get(kind, "town_center")
        inside = (street == s) & (types == need)
        if (inside & fixed).any():
            continue
        sel = np.flatnonzero(inside & allowed & ~fixed)
        rows.append(
            Row(
                group="center_per_street",
                key=str(code),
                label=f"{name} ({code}) needs a {need}",
                options=sel,
                coefs=np.ones(len(sel)),
                sense=">=",
                rhs=1.0,
            )
        )
    return rows


def station_rows(problem: SitingProblem, allowed: np.ndarray) -> list[Row]:
    """ "一村（社区）一站（点）": one row per 社区/村 without an open fixed station or point inside it."""
    opts = problem.options
    fixed = opts["fixed"].to_numpy()
    is_station = np.isin(opts["type"].to_numpy(), STATION_TYPES)
    comm = opts["community"].to_numpy()
    s = problem.settings
    com = problem.communities
    small = (com["kind"].to_numpy() == "community") & (
        com["elderly"].to_numpy() < s.small_community_elderly
    )
    shares = None
    if small.any():
        cols = np.flatnonzero(is_station & allowed)
        shares = sharing_shares(
            problem.cover, problem.matrix.elderly, problem.demand_community, len(com), cols
        )
    rows = []
    for c, (code, name) in enumerate(zip(com["code"], com["name"], strict=True)):
        own = (comm == c) & is_station
        if (own & fixed).any():
            continue
        members = own & allowed
        if small[c] and shares is not None:
            a, b = shares.indptr[c], shares.indptr[c + 1]
            ok = shares.indices[a:b][shares.data[a:b] >= s.sharing_min_share - 1e-12]
            shared = np.zeros(len(opts), dtype=bool)
            shared[ok] = True
            shared &= comm != c
            if (shared & fixed).any():
                continue
            members |= shared
        sel = np.flatnonzero(members & ~fixed)
        rows.append(
            Row(
                group="station_per_community",
                key=str(code),
                label=f"{name} ({code}) needs a station or point"
                + (" (or a neighbour's)" if small[c] else ""),
                options=sel,
                coefs=np.ones(len(sel)),
                sense=">=",
                rhs=1.0,
            )
        )
    return rows


def max_new_rows(problem: SitingProblem, allowed: np.ndarray) -> list[Row]:
    """At most ``max_new[type]`` new sites and upgrades into each type."""
    opts = problem.options
    rows = []
    for t, n in problem.settings.max_new.items():
        sel = np.flatnonzero(
            allowed & (opts["type"].to_numpy() == t) & (opts["action"].to_numpy() != "existing")
        )
        rows.append(
            Row("max_new", t, f"at most {n} new {t}", sel, np.ones(len(sel)), "<=", float(n))
        )
    return rows


# ------------------------------------------------------------------------------------------
# pre-solve checks
# ------------------------------------------------------------------------------------------


def _names(items: Sequence[str], limit: int = 8) -> str:
    text = ", ".join(items[:limit])
    return text + (f" … ({len(items)} in all)" if len(items) > limit else "")


def presolve_messages(
    problem: SitingProblem,
    rows: Sequence[Row],
    allowed: np.ndarray,
    *,
    budget_wan_yuan: float | None,
    coverage_target: float | None,
    community_floor: float,
    hub_orphans: Sequence[str] = (),
) -> list[str]:
    """Reasons the model is infeasible that can be seen without solving it (empty: none found).

    - a required 街道/镇 center or 社区/村 station with no eligible option;
    - a budget below the cheapest way to meet the required centers and stations (each required
      row's cheapest option; rows of one rule have disjoint options, so the sum is a lower bound);
    - more required centers of a type than ``max_new`` allows;
    - a coverage target or floor above what every existing and candidate site together reaches;
    - existing stations that no center can run (hub rule).
    """
    opts = problem.options
    cost = opts["cost_wan_yuan"].to_numpy()
    out: list[str] = []
    s = problem.settings
    by_group: dict[str, list[Row]] = {}
    for r in rows:
        by_group.setdefault(r.group, []).append(r)

    what = {
        "center_per_street": (
            "街道/镇",
            "without a center",
            "no candidate for their center inside them",
        ),
        "station_per_community": (
            "社区/村",
            "without a station or point",
            "no station or point candidate inside them (nor, for small 社区, a neighbour's)",
        ),
    }
    lower_bound = 0.0
    parts = []
    for group, (unit, lacking, eligible) in what.items():
        group_rows = by_group.get(group, [])
        empty = [r for r in group_rows if len(r.options) == 0]
        if empty:
            extra = ""
            if group == "center_per_street" and s.health_rule == "require":
                extra = f" within {s.health_max_distance_m:g} m of their health facility (health_rule = require)"
            out.append(
                f"{group}: {len(empty)} {unit} {lacking} have {eligible}{extra}: "
                + _names([r.label.split(" needs")[0] for r in empty])
            )
            continue
        needs = [
            r
            for r in group_rows
            if not (group == "station_per_community" and "neighbour" in r.label)
        ]
        if needs:
            lb = float(sum(max(0.0, cost[r.options].min()) for r in needs))
            lower_bound += lb
            parts.append((len(needs), unit, lacking, lb))
    savings = -float(opts["closure_saving_wan_yuan"].sum())  # closures may fund new sites
    if budget_wan_yuan is not None and parts and lower_bound > budget_wan_yuan + savings + 1e-9:
        each = [f"the {n} {unit} {lacking} one each" for n, unit, lacking, _ in parts]
        if len(parts) > 1:
            each = [f"{t} ({lb:,.1f} 万元)" for t, (*_, lb) in zip(each, parts, strict=True)]
        text = " and ".join(each)
        money = f"budget {budget_wan_yuan:,.1f} 万元"
        if savings > 0:
            money += f" (+ {savings:,.1f} 万元 if every closable facility closed)"
        out.append(f"{money} < {lower_bound:,.1f} 万元 needed to give {text}")

    for t, n in s.max_new.items():
        need = [
            r for r in by_group.get("center_per_street", []) if r.label.endswith(f"needs a {t}")
        ]
        if len(need) > n:
            out.append(
                f"max_new: {t} = {n} < {len(need)} 街道/镇 that need a new {t} (center_per_street is on): "
                + _names([r.label.split(" needs")[0] for r in need])
            )
    if s.new_sites is not None:
        need = sum(1 for g in ("center_per_street",) for _ in by_group.get(g, []))
        need += sum(
            1 for r in by_group.get("station_per_community", []) if "neighbour" not in r.label
        )
        if need > s.new_sites:
            out.append(f"new_sites = {s.new_sites} < {need} sites the switched-on policies require")

    reach = problem.cover[:, np.flatnonzero(allowed)]
    reachable = np.diff(reach.indptr) > 0
    el = problem.matrix.elderly
    total = float(el.sum())
    if coverage_target is not None and total > 0:
        best = float(el[reachable].sum())
        if best < coverage_target * total - 1e-6:
            out.append(
                f"coverage_target {100 * coverage_target:.1f} % cannot be met: the existing facilities and every "
                f"candidate together reach {100 * best / total:.1f} % of the elderly ({best:,.0f} of {total:,.0f})"
            )
    if community_floor > 0:
        dc = problem.demand_community
        inside = dc >= 0
        n_c = len(problem.communities)
        tot = np.bincount(dc[inside], weights=el[inside], minlength=n_c)
        best = np.bincount(dc[inside & reachable], weights=el[inside & reachable], minlength=n_c)
        short = np.flatnonzero((tot > 0) & (best < community_floor * tot - 1e-6))
        if len(short):
            names = problem.communities["name"].astype(str).to_numpy()
            listing = [f"{names[c]} ({100 * best[c] / tot[c]:.0f} %)" for c in short]
            out.append(
                f"community_floor {100 * community_floor:.0f} %: {len(short)} 社区/村 cannot reach it even with every "
                f"candidate: {_names(listing)}"
            )
    if hub_orphans:
        where = (
            f"within {s.hub_reach_minutes:g} minutes' walk"
            if s.hub_reach_metric == "walking"
            else f"within {s.hub_reach_m:g} m"
        )
        out.append(
            f"hub: {len(hub_orphans)} existing stations have no center or center candidate in their 街道/镇 "
            f"or {where}: {_names(list(hub_orphans))}"
        )
    return out


def community_table(
    communities: pd.DataFrame, demand_community: np.ndarray, elderly: np.ndarray
) -> pd.DataFrame:
    """Communities with the elderly of their demand points (``elderly``), for the rules above."""
    out = communities[["code", "name", "street_code", "kind"]].reset_index(drop=True).copy()
    inside = demand_community >= 0
    out["elderly"] = np.bincount(
        demand_community[inside], weights=elderly[inside], minlength=len(out)
    )
    return out
