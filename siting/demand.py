"""Where the elderly live: each community's older people placed on its homes as demand points.

Coverage must follow the people, not the polygons. Each 社区/村's older residents (``pop_60p``)
are spread over the points where they live:

1. its residential buildings or compounds (``inputs.buildings``), in proportion to ``households``,
   else ``floor_area_m2``, else the footprint area (polygons), else equally (``basis="auto"``;
   the choice falls back per community when the preferred figure sums to 0 there). A building
   belongs to the community that holds its representative point (``shapely.point_on_surface``),
   else to the one it overlaps most. Each building is one demand point at that representative
   point;
2. else, when the community has no building, its walkable streets inside the polygon, in
   proportion to length: every street part is cut into equal pieces of at most
   ``street_spacing_m`` and each piece's midpoint carries its length's share;
3. else (no building, no walkable street: an input problem) one point inside the polygon, with a
   warning naming the community. Its people still count: as uncovered unless that point is in reach.

Totals per community are preserved exactly: the shares sum to 1 and the floating-point remainder is
added to the community's largest point, so the points' sum equals ``pop_60p`` to rounding of the
last bit (tests assert a relative 1e-12).

Weighted demand (POLICY_RULES §5): every older person weighs 1, and each member of a priority group
adds ``weight − 1`` for that group: ``W = pop_60p + Σ_g (w_g − 1)·n_g`` over 80+ (``pop_80p``),
失能 (``n_disabled``), 特困 (``n_extreme_poor``) and 独居/空巢 (``n_living_alone``). A person in
two groups counts both extras (the community figures are separate counts, their overlap unknown).
All weights default to 1, so by default the weighted demand equals the elderly. Within a community
weighted demand is spread like the elderly (the same shares): where exactly the priority groups
live is not known from community figures.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.errors import InputError, Problem, ScenarioError

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.io import Inputs

__all__ = [
    "GROUP_COLUMNS",
    "Demand",
    "DemandBasis",
    "DemandWeights",
    "build_demand",
    "place_demand",
    "weighted_elderly",
]

log = logging.getLogger(__name__)

DemandBasis = Literal["auto", "households", "floor_area", "footprint"]
_BASES = ("auto", "households", "floor_area", "footprint")

#: Priority group weight → the community column that counts the group.
GROUP_COLUMNS: Mapping[str, str] = {
    "weight_80p": "pop_80p",
    "weight_disabled": "n_disabled",
    "weight_extreme_poor": "n_extreme_poor",
    "weight_living_alone": "n_living_alone",
}


@dataclass(frozen=True)
class DemandWeights:
    """Weight of one older person of each priority group (default 1: no extra weight)."""

    weight_80p: float = 1.0
    weight_disabled: float = 1.0
    weight_extreme_poor: float = 1.0
    weight_living_alone: float = 1.0

    def __post_init__(self) -> None:
        bad = [
            k
            for k in GROUP_COLUMNS
            if not (math.isfinite(getattr(self, k)) and getattr(self, k) >= 0)
        ]
        if bad:
            raise ValueError(f"demand weights must be finite and >= 0: {bad}")


def _demand_settings(settings: Mapping[str, Any], source: str) -> tuple[DemandWeights, str, float]:
    problems = []
    basis = settings.get("basis", "auto")
    if basis not in _BASES:
        problems.append(
            Problem(
                source,
                f"unknown demand basis {basis!r}",
                column="demand.basis",
                hint=f"use one of {list(_BASES)}",
            )
        )
    spacing = float(settings.get("street_spacing_m", 50.0))
    if not spacing > 0:
        problems.append(
            Problem(source, "street_spacing_m must be > 0", column="demand.street_spacing_m")
        )
    values = {}
    for key in GROUP_COLUMNS:
        w = float(settings.get(key, 1.0))
        if not (math.isfinite(w) and w >= 0):
            problems.append(Problem(source, f"{key} must be >= 0, got {w}", column=f"demand.{key}"))
            w = 1.0
        values[key] = w
    if problems:
        raise ScenarioError(f"{source}: invalid [demand] settings", problems)
    return DemandWeights(**values), basis, spacing


def weighted_elderly(
    communities: pd.DataFrame, weights: DemandWeights = DemandWeights()
) -> tuple[np.ndarray, list[Problem]]:
    """Weighted demand of each community: ``pop_60p + Σ (w_g − 1)·n_g`` (never below 0)."""
    elderly = np.nan_to_num(communities["pop_60p"].to_numpy(dtype=float))
    total = elderly.copy()
    problems = []
    for key, column in GROUP_COLUMNS.items():
        w = getattr(weights, key)
        if w == 1.0:
            continue
        if column not in communities:
            problems.append(
                Problem(
                    "communities",
                    f"{key} = {w:g} but the communities have no '{column}' column: the weight is ignored",
                    column=column,
                    severity="warning",
                )
            )
            continue
        total += (w - 1.0) * np.nan_to_num(communities[column].to_numpy(dtype=float))
    return np.maximum(total, 0.0), problems


@dataclass(frozen=True, eq=False)
class Demand:
    """Demand points and the per-community totals they preserve.

    Attributes
    ----------
    points
        GeoDataFrame (working CRS), one row per demand point, ordered by community then source:
        ``demand_id`` (int, 0..n−1), ``community_code``, ``street_code``, ``kind``
        (community|village), ``source`` (building|street|centroid), ``building_row`` (input row of
        the building, −1 otherwise), ``elderly`` (older people, fractional), ``weighted``
        (weighted demand), ``geometry`` (Point).
    communities
        One row per community (input order): ``code``, ``street_code``, ``kind``, ``elderly``,
        ``weighted``, ``n_points``, ``placement`` (buildings|streets|centroid|none), ``basis``
        (households|floor_area|footprint|equal|length|point|none).
    weights, basis, street_spacing_m
        The settings used.
    problems
        Warnings (communities placed on streets or a single point, buildings ignored, …).
    """

    points: gpd.GeoDataFrame
    communities: pd.DataFrame
    weights: DemandWeights = field(default_factory=DemandWeights)
    basis: str = "auto"
    street_spacing_m: float = 50.0
    problems: tuple[Problem, ...] = ()

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        return (
            f"Demand({len(self.points):,} points for {len(self.communities)} communities, "
            f"{self.points['elderly'].sum():,.0f} elderly, {len(self.problems)} warnings)"
        )


def _rows_text(rows, limit: int = 8) -> str:
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" … ({len(rows)} in all)" if len(rows) > limit else "")


def _assign_buildings(com_geoms: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Community position of each building (−1 if none) and its representative point."""
    reps = geoms.copy()
    poly = shapely.get_type_id(geoms) != 0
    reps[poly] = shapely.point_on_surface(geoms[poly])
    owner = np.full(len(geoms), -1, dtype=np.int64)
    tree = shapely.STRtree(com_geoms)
    b, c = tree.query(reps, predicate="intersects")
    order = np.lexsort((c, b))  # lowest community position wins on shared boundaries
    b, c = b[order], c[order]
    first = np.ones(len(b), dtype=bool)
    first[1:] = b[1:] != b[:-1]
    owner[b[first]] = c[first]
    loose = np.flatnonzero(owner < 0)
    if len(loose):
        b, c = tree.query(geoms[loose], predicate="intersects")
        if len(b):
            area = shapely.area(shapely.intersection(geoms[loose][b], com_geoms[c]))
            order = np.lexsort((c, -area, b))
            b, c = b[order], c[order]
            first = np.ones(len(b), dtype=bool)
            first[1:] = b[1:] != b[:-1]
            owner[loose[b[first]]] = c[first]
            inside = loose[b[first]]
            # the representative point lies outside: use a point of the overlap instead
            reps[inside] = shapely.point_on_surface(
                shapely.intersection(geoms[inside], com_geoms[owner[inside]])
            )
    return owner, reps


def _street_points(
    polygon, lines: np.ndarray, tree: shapely.STRtree | None, spacing_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints of equal pieces (≤ spacing) of the street parts inside ``polygon``, and lengths."""
    if tree is None:
        return np.empty(0, dtype=object), np.zeros(0)
    idx = tree.query(polygon, predicate="intersects")
    if len(idx) == 0:
        return np.empty(0, dtype=object), np.zeros(0)
    clipped = shapely.intersection(lines[np.sort(idx)], polygon)
    parts = shapely.get_parts(shapely.line_merge(shapely.get_parts(clipped)))
    parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)]
    if len(parts) == 0:
        return np.empty(0, dtype=object), np.zeros(0)
    length = shapely.length(parts)
    n = np.maximum(np.ceil(length / spacing_m - 1e-9), 1).astype(np.int64)
    which = np.repeat(np.arange(len(parts)), n)
    k = np.arange(len(which)) - np.repeat(np.cumsum(n) - n, n)
    pos = (k + 0.5) / n[which]
    pts = shapely.line_interpolate_point(parts[which], pos, normalized=True)
    return pts, (length / n)[which]


def _shares(values: np.ndarray) -> np.ndarray:
    return values / math.fsum(values)


def _with_exact_total(shares: np.ndarray, total: float) -> np.ndarray:
    """``total × shares`` with the floating-point remainder put on the largest value."""
    out = total * shares
    if len(out):
        out[int(np.argmax(out))] += total - math.fsum(out)
    return out


def place_demand(
    communities: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    streets: np.ndarray | gpd.GeoSeries | None = None,
    weights: DemandWeights = DemandWeights(),
    basis: DemandBasis = "auto",
    street_spacing_m: float = 50.0,
) -> Demand:
    """Place each community's elderly on its buildings, else its streets (see the module docstring).

    Parameters
    ----------
    communities
        Canonical communities (``code``, ``street_code``, ``kind``, ``pop_60p``, optional group
        columns, ``row``), polygons in a metric CRS.
    buildings
        Residential buildings/compounds (polygons or points, optional ``households``,
        ``floor_area_m2``, ``row``) in the same CRS.
    streets
        Walkable street LineStrings in the same CRS (for communities without buildings).
    weights
        Priority-group weights.
    basis
        {"auto", "households", "floor_area", "footprint"}: what buildings are weighted by; a named
        basis that sums to 0 in a community falls back like "auto" there (with a warning).
    street_spacing_m
        Largest street piece carried by one point.

    Returns
    -------
    Demand
    """
    if basis not in _BASES:
        raise ValueError(f"basis must be one of {_BASES}, got {basis!r}")
    if not street_spacing_m > 0:
        raise ValueError(f"street_spacing_m must be > 0, got {street_spacing_m}")
    problems: list[Problem] = []
    com = communities.reset_index(drop=True)
    com_rows = com["row"].to_numpy() if "row" in com else np.arange(len(com))
    elderly = com["pop_60p"].to_numpy(dtype=float)
    if np.isnan(elderly).any():
        bad = np.isnan(elderly)
        problems.append(
            Problem(
                "communities",
                "missing 60+ population: taken as 0",
                row=_rows_text(com_rows[bad]),
                column="pop_60p",
                severity="warning",
            )
        )
        elderly = np.nan_to_num(elderly)
    weighted, wp = weighted_elderly(com, weights)
    problems.extend(wp)
    com_geoms = np.asarray(com.geometry.array, dtype=object)
    crs = communities.crs

    # buildings → communities
    owner = np.zeros(0, dtype=np.int64)
    reps = np.empty(0, dtype=object)
    bweights: dict[str, np.ndarray] = {}
    b_rows = np.zeros(0, dtype=np.int64)
    if buildings is not None and len(buildings):
        bld = buildings.reset_index(drop=True)
        if crs is not None and bld.crs is not None and not bld.crs.equals(crs):
            bld = bld.to_crs(crs)
        geoms = np.asarray(bld.geometry.array, dtype=object)
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        b_rows = bld["row"].to_numpy() if "row" in bld else np.arange(len(bld))
        owner = np.full(len(bld), -1, dtype=np.int64)
        reps = np.full(len(bld), None, dtype=object)
        if usable.any():
            o, r = _assign_buildings(com_geoms, geoms[usable])
            owner[usable] = o
            reps[usable] = r
        outside = owner < 0
        if outside.any():
            problems.append(
                Problem(
                    "buildings",
                    f"{int(outside.sum())} building(s) lie outside every community (or have no "
                    "geometry): their households carry no demand",
                    row=_rows_text(b_rows[outside]),
                    severity="warning",
                    hint="check the buildings' and communities' coordinates",
                )
            )
        for name, column in (("households", "households"), ("floor_area", "floor_area_m2")):
            if column in bld:
                bweights[name] = np.nan_to_num(bld[column].to_numpy(dtype=float)).clip(min=0)
        bweights["footprint"] = shapely.area(np.where(usable, geoms, None)).astype(float)
        bweights["footprint"] = np.nan_to_num(bweights["footprint"])
        if basis in ("households", "floor_area") and basis not in bweights:
            raise InputError(
                f"demand basis '{basis}' needs the buildings' "
                f"'{'households' if basis == 'households' else 'floor_area_m2'}' column",
                [
                    Problem(
                        "buildings",
                        f"no column for demand basis '{basis}'",
                        hint='map the column in [inputs.buildings.columns], or set [demand] basis = "auto"',
                    )
                ],
            )

    order_b = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order_b], np.arange(len(com) + 1))

    line_geoms = None
    tree = None
    if streets is not None:
        line_geoms = np.asarray(
            streets.array if isinstance(streets, gpd.GeoSeries) else streets, dtype=object
        )
        line_geoms = line_geoms[~(shapely.is_missing(line_geoms) | shapely.is_empty(line_geoms))]
        if len(line_geoms):
            tree = shapely.STRtree(line_geoms)

    preference = ["households", "floor_area", "footprint"]
    if basis != "auto":
        preference.remove(basis)
        preference.insert(0, basis)

    out_comm, out_src, out_brow, out_el, out_w, out_geom = [], [], [], [], [], []
    placement, used_basis, n_points = [], [], []
    fell_back: list[str] = []
    on_streets: list[str] = []
    on_point: list[tuple[str, Any]] = []
    for c in range(len(com)):
        code = com["code"].iloc[c]
        members = order_b[starts[c] : starts[c + 1]]
        if elderly[c] <= 0 and weighted[c] <= 0:
            placement.append("none")
            used_basis.append("none")
            n_points.append(0)
            continue
        if len(members):
            chosen = "equal"
            share = np.full(len(members), 1.0 / len(members))
            for name in preference:
                if name in bweights and bweights[name][members].sum() > 0:
                    chosen = name
                    share = _shares(bweights[name][members])
                    break
            if basis != "auto" and chosen != basis:
                fell_back.append(code)
            geoms, src, brow = reps[members], "building", b_rows[members]
            placement.append("buildings")
        else:
            pts, lengths = _street_points(com_geoms[c], line_geoms, tree, street_spacing_m)
            if len(pts):
                chosen, share, geoms, src = "length", _shares(lengths), pts, "street"
                brow = np.full(len(pts), -1)
                placement.append("streets")
                on_streets.append(code)
            else:
                chosen, share, src = "point", np.ones(1), "centroid"
                geoms = np.array([shapely.point_on_surface(com_geoms[c])], dtype=object)
                brow = np.full(1, -1)
                placement.append("centroid")
                on_point.append((code, com_rows[c]))
        used_basis.append(chosen)
        n_points.append(len(share))
        out_comm.append(np.full(len(share), c))
        out_src.append(np.full(len(share), src, dtype=object))
        out_brow.append(np.asarray(brow, dtype=np.int64))
        out_el.append(_with_exact_total(share, float(elderly[c])))
        out_w.append(_with_exact_total(share, float(weighted[c])))
        out_geom.append(np.asarray(geoms, dtype=object))

    if fell_back:
        problems.append(
            Problem(
                "buildings",
                f"demand basis '{basis}' sums to 0 in {len(fell_back)} communities: they use the "
                f"next available figure ({_rows_text(fell_back)})",
                severity="warning",
            )
        )
    if on_streets:
        problems.append(
            Problem(
                "communities",
                f"{len(on_streets)} communities have no residential building: their elderly are "
                f"spread along their walkable streets ({_rows_text(on_streets)})",
                severity="warning",
                hint="add their residential buildings or compounds for a truer placement",
            )
        )
    for code, row in on_point:
        problems.append(
            Problem(
                "communities",
                f"community {code} has no residential building and no walkable street: its "
                "elderly are placed at one point inside it and count as uncovered unless that "
                "point is within reach",
                row=row,
                severity="warning",
                hint="add its buildings, or check the road network covers it",
            )
        )

    comm_idx = np.concatenate(out_comm).astype(np.int64) if out_comm else np.zeros(0, np.int64)
    points = gpd.GeoDataFrame(
        {
            "demand_id": np.arange(len(comm_idx), dtype=np.int64),
            "community_code": com["code"].to_numpy()[comm_idx],
            "street_code": com["street_code"].to_numpy()[comm_idx],
            "kind": com["kind"].to_numpy()[comm_idx],
            "source": np.concatenate(out_src) if out_src else np.zeros(0, dtype=object),
            "building_row": np.concatenate(out_brow) if out_brow else np.zeros(0, np.int64),
            "elderly": np.concatenate(out_el) if out_el else np.zeros(0),
            "weighted": np.concatenate(out_w) if out_w else np.zeros(0),
        },
        geometry=np.concatenate(out_geom) if out_geom else np.empty(0, dtype=object),
        crs=crs,
    )
    table = pd.DataFrame(
        {
            "code": com["code"].to_numpy(),
            "street_code": com["street_code"].to_numpy(),
            "kind": com["kind"].to_numpy(),
            "elderly": elderly,
            "weighted": weighted,
            "n_points": np.asarray(n_points, dtype=np.int64),
            "placement": placement,
            "basis": used_basis,
        }
    )
    # Totals are preserved (to rounding): a failure here is a bug, not an input problem.
    sums = points.groupby("community_code")[["elderly", "weighted"]].sum()
    check = table.set_index("code")[["elderly", "weighted"]].loc[sums.index]
    if not np.allclose(sums.to_numpy(), check.to_numpy(), rtol=1e-12, atol=1e-9):
        raise AssertionError("demand placement lost or created people")
    result = Demand(
        points=points,
        communities=table,
        weights=weights,
        basis=basis,
        street_spacing_m=float(street_spacing_m),
        problems=tuple(problems),
    )
    log.info(
        "place_demand returned %s demand points for %d communities (%s elderly; %d on streets, "
        "%d on a single point)",
        f"{len(points):,}",
        len(com),
        f"{elderly.sum():,.0f}",
        len(on_streets),
        len(on_point),
    )
    return result


def build_demand(inputs: Inputs, graph: WalkGraph | None = None) -> Demand:
    """Demand points of a district with the scenario's ``[demand]`` settings.

    Streets for communities without buildings are the graph's walkable edges when ``graph`` is
    given, else every edge of the road network (if loaded).
    """
    weights, basis, spacing = _demand_settings(
        inputs.scenario.section("demand"), str(inputs.scenario.path)
    )
    streets = None
    if graph is not None:
        streets = graph.edge_geometry[graph.edge_has_arcs]
    elif inputs.network is not None:
        streets = np.asarray(inputs.network.edges.geometry.array, dtype=object)
    return place_demand(
        inputs.communities,
        buildings=inputs.buildings,
        streets=streets,
        weights=weights,
        basis=basis,  # type: ignore[arg-type]
        street_spacing_m=spacing,
    )
