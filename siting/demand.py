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
All weights default to 1, so by default the weighted demand equals the elderly.

Where the extra weight goes:

- **with a roster** (``inputs.roster``, the care roster of people in difficulty, each at their home;
  ``[demand] roster = "homes"``, the default): each person on it of a group whose weight is not 1
  (for ``weight_80p``: everyone on it aged 80 or more, whatever their group) adds ``w_g − 1`` to the
  demand point of their home in their own community. Their community is that of their
  ``community_code`` when it is a known code, else the one whose polygon holds their point
  (:func:`siting.roster.person_communities`, the roster tables' rule); their home is the building
  of that community whose footprint holds their point, else its nearest demand point (straight
  line; a point in another community, e.g. under a wrong code, goes to the coded one's nearest).

  Per community and group the roster's ``r_g`` people are taken to be among the community count
  ``n_g``: they are placed at their homes and the rest of the count, ``n_g − r_g``, is spread like
  the elderly (as without a roster). When the roster lists more people than the count
  (``r_g > n_g``) the roster wins (its people are records, the count may be stale): the
  community's weighted demand is ``pop_60p + Σ_g (w_g − 1)·max(n_g, r_g)``, and a warning counts
  the communities where this happens. A group column the communities lack counts as ``n_g = 0``
  (only the roster's people carry that weight).

  People on the roster younger than 60 carry no weight (they are not among ``pop_60p``); a person
  of unknown age counts as older but not as 80+. A person without coordinates in a known community
  counts towards ``r_g`` with their extra spread over the community. People in no community, and
  people of a community without demand points, are dropped. :class:`RosterPlacement` says how many
  people were placed, spread and dropped (exact counts inside the tool; the log, the ``siting``
  stage notes and the warnings round them, :func:`siting.disclosure.people_text`). A weight below
  1 lowers the home's point; a point never goes below 0 (it is set to 0, with a warning counting
  such points).
- **without a roster** (or ``[demand] roster = "counts"``): within a community weighted demand is
  spread like the elderly (the same shares), as where the priority groups live is not known from
  community figures. With all weights 1 the roster is not read at all: the default demand does not
  depend on whether a roster is given.

Privacy: the roster adds weight only to existing demand points (buildings, street pieces), never a
point per person, and :class:`Demand` keeps no per-person record. Demand points are never exported:
the maps' density layer of uncovered older people uses ``elderly`` only (not ``weighted``), and the
tables and GIS layers aggregate demand per 社区/村, 街道/镇 or site. With the roster's people at
their homes those aggregates are rounded where published (:func:`siting.disclosure.weighted_step`):
a weighted figure minus its roster-free value would count roster people in a small area.
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
from scipy.spatial import cKDTree

from siting.disclosure import people_text
from siting.errors import InputError, Problem, ScenarioError

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.io import Inputs

__all__ = [
    "GROUP_COLUMNS",
    "Demand",
    "DemandBasis",
    "DemandWeights",
    "RosterPlacement",
    "RosterUse",
    "build_demand",
    "demand_settings",
    "place_demand",
    "weighted_elderly",
]

log = logging.getLogger(__name__)

DemandBasis = Literal["auto", "households", "floor_area", "footprint"]
_BASES = ("auto", "households", "floor_area", "footprint")
RosterUse = Literal["homes", "counts"]
_ROSTER_USES = ("homes", "counts")

#: Priority group weight → the community column that counts the group.
GROUP_COLUMNS: Mapping[str, str] = {
    "weight_80p": "pop_80p",
    "weight_disabled": "n_disabled",
    "weight_extreme_poor": "n_extreme_poor",
    "weight_living_alone": "n_living_alone",
}

#: Priority group weight → the roster's group (None: everyone aged 80 or more, any group).
ROSTER_GROUPS: Mapping[str, str | None] = {
    "weight_80p": None,
    "weight_disabled": "disabled",
    "weight_extreme_poor": "extreme_poor",
    "weight_living_alone": "living_alone",
}


def _is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(float(value))
    )


def weight_problem(key: str, value: Any, source: str = "scenario") -> Problem | None:
    """The problem with a ``[demand]`` weight value, or None when it is a finite number >= 0."""
    if _is_number(value) and float(value) >= 0:
        return None
    return Problem(
        source,
        f"[demand] {key} must be a finite number >= 0 (the weight of one older person of the "
        f"group; 1 = no extra weight), got {value!r}",
        column=f"demand.{key}",
        hint=f"e.g. {key} = 2",
    )


@dataclass(frozen=True)
class DemandWeights:
    """Weight of one older person of each priority group (default 1: no extra weight)."""

    weight_80p: float = 1.0
    weight_disabled: float = 1.0
    weight_extreme_poor: float = 1.0
    weight_living_alone: float = 1.0

    def __post_init__(self) -> None:
        bad = [p for k in GROUP_COLUMNS if (p := weight_problem(k, getattr(self, k))) is not None]
        if bad:
            raise ValueError("; ".join(p.message for p in bad))

    def active(self) -> tuple[str, ...]:
        """The weights that are not 1 (the groups that carry extra weight)."""
        return tuple(k for k in GROUP_COLUMNS if getattr(self, k) != 1.0)


def _demand_settings(
    settings: Mapping[str, Any], source: str
) -> tuple[DemandWeights, str, float, str]:
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
    spacing = settings.get("street_spacing_m", 50.0)
    if not (_is_number(spacing) and float(spacing) > 0):
        problems.append(
            Problem(
                source,
                f"[demand] street_spacing_m must be a number > 0, got {spacing!r}",
                column="demand.street_spacing_m",
            )
        )
        spacing = 50.0
    roster_use = settings.get("roster", "homes")
    if roster_use not in _ROSTER_USES:
        problems.append(
            Problem(
                source,
                f"[demand] roster must be one of {list(_ROSTER_USES)}, got {roster_use!r}",
                column="demand.roster",
                hint='"homes": the roster\'s people weigh at their homes; "counts": community counts only',
            )
        )
    values = {}
    for key in GROUP_COLUMNS:
        w = settings.get(key, 1.0)
        problem = weight_problem(key, w, source)
        if problem is not None:
            problems.append(problem)
            w = 1.0
        values[key] = float(w)
    if problems:
        raise ScenarioError(f"{source}: invalid [demand] settings", problems)
    return DemandWeights(**values), basis, float(spacing), roster_use


def demand_settings(scenario: Any) -> tuple[DemandWeights, str, float, str]:
    """The ``[demand]`` settings: weights, basis, street spacing (m) and roster use.

    Raises
    ------
    ScenarioError
        Every bad value, naming the scenario file and the key.
    """
    return _demand_settings(scenario.section("demand"), str(scenario.path))


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
class RosterPlacement:
    """How the roster's people weighted the demand points: counts for the district, never a person.

    The counts are exact, for the tool's use; :meth:`note` and :meth:`describe` (what is printed)
    round them (:mod:`siting.disclosure`). ``groups`` is never written.

    Attributes
    ----------
    n_people
        People on the roster.
    n_weighted
        People who carry extra weight: of a group whose weight is not 1 (for ``weight_80p``: aged
        80 or more), aged 60 or more or of unknown age.
    n_attached
        Of those, placed at the demand point of their home.
    n_no_coordinates
        Of those, in a known community but without a point: their extra is spread over it.
    n_no_community
        Of those, dropped: no known community code and outside every community.
    n_no_demand_point
        Of those, dropped: their community has no demand point.
    n_under_60
        People of a weighted group younger than 60: not older people, no weight.
    groups
        One row per weight that is not 1: ``weight`` (the key), ``value``, ``community_count``
        (Σ n_g over the communities with demand points), ``roster`` (Σ r_g: the roster's people
        counted there), ``at_homes`` (placed at their home's point), ``spread`` (Σ max(n_g, r_g) −
        at_homes: the count beyond the roster, and people without coordinates), ``counted``
        (Σ max(n_g, r_g) = at_homes + spread, the people whose ``w − 1`` is in the demand) and
        ``communities_roster_over_count`` (communities where r_g > n_g: the roster's count used).
    """

    n_people: int
    n_weighted: int
    n_attached: int
    n_no_coordinates: int
    n_no_community: int
    n_no_demand_point: int
    n_under_60: int
    groups: pd.DataFrame

    @property
    def n_dropped(self) -> int:
        """People who carry no weight for want of a community or of a demand point."""
        return self.n_no_community + self.n_no_demand_point

    def note(self, lang: str = "en") -> str:
        """A short line for stage tables (rounded counts: :func:`siting.disclosure.people_text`)."""
        from siting.i18n import label

        return label(
            "note_roster",
            lang,  # type: ignore[arg-type]
            a=people_text(self.n_attached, lang),
            s=people_text(self.n_no_coordinates, lang),
            d=people_text(self.n_dropped, lang),
        )

    def describe(self) -> str:
        """One line for the log (rounded counts)."""
        over = int(self.groups["communities_roster_over_count"].sum())
        return (
            f"{people_text(self.n_attached)} of the roster's {people_text(self.n_weighted)} "
            f"weighted people placed at their homes' demand points, "
            f"{people_text(self.n_no_coordinates)} spread over their community (no coordinates), "
            f"{people_text(self.n_dropped)} dropped ({people_text(self.n_no_community)} in no "
            f"community, {people_text(self.n_no_demand_point)} where no demand point), "
            f"{people_text(self.n_under_60)} under 60 without weight; the roster above the "
            f"community count in {over:,} community × group pairs"
        )


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
    roster
        How the roster weighted the points (counts only); None when the roster was not used (no
        roster, all weights 1, or ``roster = "counts"``).
    """

    points: gpd.GeoDataFrame
    communities: pd.DataFrame
    weights: DemandWeights = field(default_factory=DemandWeights)
    basis: str = "auto"
    street_spacing_m: float = 50.0
    problems: tuple[Problem, ...] = ()
    roster: RosterPlacement | None = None

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        return (
            f"Demand({len(self.points):,} points for {len(self.communities)} communities, "
            f"{self.points['elderly'].sum():,.0f} elderly, {len(self.problems)} warnings"
            + ("" if self.roster is None else f"; {self.roster.describe()}")
            + ")"
        )

    def note(self, lang: str = "en") -> str:
        """The stage note: the number of demand points, and how the roster weighted them."""
        from siting.i18n import label

        text = label("note_demand", lang, n=f"{len(self.points):,}")  # type: ignore[arg-type]
        sep = "；" if lang == "zh" else "; "
        return text if self.roster is None else f"{text}{sep}{self.roster.note(lang)}"


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
    polygons: np.ndarray, lines: np.ndarray | None, tree: shapely.STRtree | None, spacing_m: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each polygon: the midpoints of equal pieces (≤ spacing) of the street parts inside
    it, and their lengths; all polygons in one pass of vectorised calls (a polygon's parts in
    the order of its streets)."""
    empty = (np.empty(0, dtype=object), np.zeros(0))
    if tree is None or lines is None or len(polygons) == 0:
        return [empty] * len(polygons)
    owner, idx = tree.query(polygons, predicate="intersects")
    order = np.lexsort((idx, owner))
    owner, idx = owner[order], idx[order]
    # a street wholly inside is its own part: only the ones that cross the edge are cut
    shapely.prepare(polygons)
    clipped = lines[idx].copy()
    cut = ~shapely.contains_properly(polygons[owner], clipped)
    clipped[cut] = shapely.intersection(clipped[cut], polygons[owner[cut]])
    pieces, i1 = shapely.get_parts(clipped, return_index=True)
    parts, i2 = shapely.get_parts(shapely.line_merge(pieces), return_index=True)
    part_owner = owner[i1[i2]]
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    parts, part_owner = parts[keep], part_owner[keep]
    length = shapely.length(parts)
    n = np.maximum(np.ceil(length / spacing_m - 1e-9), 1).astype(np.int64)
    which = np.repeat(np.arange(len(parts)), n)
    k = np.arange(len(which)) - np.repeat(np.cumsum(n) - n, n)
    pos = (k + 0.5) / n[which]
    pts = shapely.line_interpolate_point(parts[which], pos, normalized=True)
    lengths = (length / n)[which]
    bounds = np.searchsorted(part_owner[which], np.arange(len(polygons) + 1))
    return [
        (pts[bounds[i] : bounds[i + 1]], lengths[bounds[i] : bounds[i + 1]])
        if bounds[i + 1] > bounds[i]
        else empty
        for i in range(len(polygons))
    ]


def _shares(values: np.ndarray) -> np.ndarray:
    return values / math.fsum(values)


def _with_exact_total(shares: np.ndarray, total: float) -> np.ndarray:
    """``total × shares`` with the floating-point remainder put on the largest value."""
    out = total * shares
    if len(out):
        out[int(np.argmax(out))] += total - math.fsum(out)
    return out


@dataclass(frozen=True, eq=False)
class _RosterWeights:
    """The roster's people who carry extra weight, and the counts per community × active weight."""

    keys: tuple[str, ...]
    extra: np.ndarray  # (K,) w − 1 of each active weight
    unit: np.ndarray  # (p,) community position of each weighted person (−1: none)
    xy: np.ndarray  # (p, 2) their coordinates (NaN without a point)
    member: np.ndarray  # (p, K) in the group of each weight
    counts: np.ndarray  # (C, K) the communities' counts n_g (0 where the column is missing)
    listed: np.ndarray  # (C, K) the roster's people r_g per community
    n_people: int
    n_under_60: int


def _roster_weights(
    roster: gpd.GeoDataFrame,
    com: gpd.GeoDataFrame,
    weights: DemandWeights,
    label: str,
) -> tuple[_RosterWeights, list[Problem]]:
    from siting.roster import person_communities

    problems: list[Problem] = []
    keys = weights.active()
    n = len(roster)
    if n and com.crs is not None and roster.crs is not None and not roster.crs.equals(com.crs):
        roster = roster.to_crs(com.crs)
    unit_all, no_point = person_communities(roster, com)
    ages = roster["age"].to_numpy(dtype=float) if "age" in roster else np.full(n, np.nan)
    groups = roster["group"].astype(str).to_numpy() if "group" in roster else np.full(n, "other")
    member = np.zeros((n, len(keys)), dtype=bool)
    for i, key in enumerate(keys):
        group = ROSTER_GROUPS[key]
        member[:, i] = ages >= 80 if group is None else groups == group
    young = ages < 60  # unknown age (NaN) counts as older, not as 80+
    n_under_60 = int((member.any(axis=1) & young).sum())
    member &= ~young[:, None]
    sel = np.flatnonzero(member.any(axis=1))
    xy = np.full((len(sel), 2), np.nan)
    has = ~no_point[sel]
    if has.any():
        geoms = np.asarray(roster.geometry.array, dtype=object)[sel[has]]
        xy[has] = shapely.get_coordinates(shapely.point_on_surface(geoms))
    unit = np.asarray(unit_all[sel], dtype=np.int64)
    member = member[sel]
    counts = np.zeros((len(com), len(keys)))
    listed = np.zeros((len(com), len(keys)))
    inside = unit >= 0
    for i, key in enumerate(keys):
        column = GROUP_COLUMNS[key]
        if column in com:
            counts[:, i] = np.nan_to_num(com[column].to_numpy(dtype=float)).clip(min=0)
        else:
            problems.append(
                Problem(
                    "communities",
                    f"{key} = {getattr(weights, key):g} but the communities have no '{column}' "
                    f"column: only the {label}'s people carry the weight",
                    column=column,
                    severity="warning",
                )
            )
        listed[:, i] = np.bincount(unit[inside & member[:, i]], minlength=len(com))
    result = _RosterWeights(
        keys=keys,
        extra=np.array([getattr(weights, k) - 1.0 for k in keys]),
        unit=unit,
        xy=xy,
        member=member,
        counts=counts,
        listed=listed,
        n_people=n,
        n_under_60=n_under_60,
    )
    return result, problems


def _homes(xy: np.ndarray, points: np.ndarray, footprints: np.ndarray | None) -> np.ndarray:
    """Position among a community's demand ``points`` of each person's home: the building whose
    footprint holds their point (the lowest position if several), else the nearest point."""
    at = np.asarray(cKDTree(shapely.get_coordinates(points)).query(xy)[1], dtype=np.int64)
    if footprints is not None and (shapely.get_type_id(footprints) != 0).any():
        person, building = shapely.STRtree(footprints).query(
            shapely.points(xy), predicate="intersects"
        )
        if len(person):
            order = np.lexsort((building, person))
            person, building = person[order], building[order]
            first = np.ones(len(person), dtype=bool)
            first[1:] = person[1:] != person[:-1]
            at[person[first]] = building[first]
    return at


def place_demand(
    communities: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    streets: np.ndarray | gpd.GeoSeries | None = None,
    weights: DemandWeights = DemandWeights(),
    basis: DemandBasis = "auto",
    street_spacing_m: float = 50.0,
    roster: gpd.GeoDataFrame | None = None,
    roster_use: RosterUse = "homes",
    roster_label: str = "roster",
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
    roster
        The care roster (``age``, ``group``, optional ``community_code``, a point per person) in
        any CRS: with a weight that is not 1, its people's extra weight goes to their homes.
    roster_use
        {"homes", "counts"}: place the roster's people at their homes, or use the community
        counts only (as without a roster).
    roster_label
        Name of the roster file in warnings.

    Returns
    -------
    Demand
    """
    if basis not in _BASES:
        raise ValueError(f"basis must be one of {_BASES}, got {basis!r}")
    if roster_use not in _ROSTER_USES:
        raise ValueError(f"roster_use must be one of {_ROSTER_USES}, got {roster_use!r}")
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
    rw: _RosterWeights | None = None
    if roster is not None and roster_use == "homes" and weights.active():
        rw, wp = _roster_weights(roster, com, weights, roster_label)
    problems.extend(wp)
    com_geoms = np.asarray(com.geometry.array, dtype=object)
    crs = communities.crs

    # buildings → communities
    owner = np.zeros(0, dtype=np.int64)
    reps = np.empty(0, dtype=object)
    bweights: dict[str, np.ndarray] = {}
    b_rows = np.zeros(0, dtype=np.int64)
    b_geoms = np.empty(0, dtype=object)
    if buildings is not None and len(buildings):
        bld = buildings.reset_index(drop=True)
        if crs is not None and bld.crs is not None and not bld.crs.equals(crs):
            bld = bld.to_crs(crs)
        geoms = np.asarray(bld.geometry.array, dtype=object)
        b_geoms = geoms
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

    table_weighted = weighted.copy()
    if rw is not None:
        # per community and group: the roster's people are among the count; the roster wins above it
        counted = np.maximum(rw.counts, rw.listed)
        roster_total = elderly + counted @ rw.extra
        order_p = np.argsort(rw.unit, kind="stable")
        starts_p = np.searchsorted(rw.unit[order_p], np.arange(len(com) + 1))
        tally = {
            name: np.zeros(len(rw.keys))
            for name in ("community_count", "roster", "at_homes", "counted", "over")
        }
        n_attached = n_no_coordinates = n_no_demand_point = n_clipped = 0

    # the communities placed on their streets (older people, no buildings): in one pass
    no_demand = (elderly <= 0) & (weighted <= 0)
    if rw is not None:
        no_demand &= roster_total <= 0
    demand = ~no_demand  # as the loop below skips
    on_street = np.flatnonzero(demand & (np.diff(starts) == 0))
    street_points = dict(
        zip(
            on_street.tolist(),
            _street_points(com_geoms[on_street], line_geoms, tree, street_spacing_m),
            strict=True,
        )
    )
    out_comm, out_src, out_brow, out_el, out_w, out_geom = [], [], [], [], [], []
    placement, used_basis, n_points = [], [], []
    fell_back: list[str] = []
    on_streets: list[str] = []
    on_point: list[tuple[str, Any]] = []
    for c in range(len(com)):
        code = com["code"].iloc[c]
        members = order_b[starts[c] : starts[c + 1]]
        if elderly[c] <= 0 and weighted[c] <= 0 and (rw is None or roster_total[c] <= 0):
            if rw is not None:
                n_no_demand_point += int(starts_p[c + 1] - starts_p[c])
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
            pts, lengths = street_points[c]
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
        if rw is None:
            out_w.append(_with_exact_total(share, float(weighted[c])))
        else:
            # the roster's people at the nearest demand point of their community, the rest spread
            people = order_p[starts_p[c] : starts_p[c + 1]]
            home = people[~np.isnan(rw.xy[people, 0])]
            extras = np.zeros(len(share))
            at_home = np.zeros(len(rw.keys))
            if len(home):
                at = _homes(
                    rw.xy[home],
                    np.asarray(geoms, dtype=object),
                    b_geoms[members] if src == "building" else None,
                )
                for k in range(len(rw.keys)):
                    here = rw.member[home, k]
                    np.add.at(extras, at[here], rw.extra[k])
                    at_home[k] = here.sum()
            spread = math.fsum([float(elderly[c]), *((counted[c] - at_home) * rw.extra)])
            w_pts = _with_exact_total(share, spread) + extras
            below = w_pts < 0
            n_clipped += int(below.sum())
            w_pts[below] = 0.0
            out_w.append(w_pts)
            table_weighted[c] = math.fsum(w_pts)
            n_attached += len(home)
            n_no_coordinates += len(people) - len(home)
            tally["community_count"] += rw.counts[c]
            tally["roster"] += rw.listed[c]
            tally["at_homes"] += at_home
            tally["counted"] += counted[c]
            tally["over"] += rw.listed[c] > rw.counts[c]
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

    placed_roster: RosterPlacement | None = None
    if rw is not None:
        n_no_community = int((rw.unit < 0).sum())
        placed_roster = RosterPlacement(
            n_people=rw.n_people,
            n_weighted=len(rw.unit),
            n_attached=n_attached,
            n_no_coordinates=n_no_coordinates,
            n_no_community=n_no_community,
            n_no_demand_point=n_no_demand_point,
            n_under_60=rw.n_under_60,
            groups=pd.DataFrame(
                {
                    "weight": list(rw.keys),
                    "value": rw.extra + 1.0,
                    "community_count": tally["community_count"],
                    "roster": tally["roster"],
                    "at_homes": tally["at_homes"],
                    "spread": tally["counted"] - tally["at_homes"],
                    "counted": tally["counted"],
                    "communities_roster_over_count": tally["over"].astype(np.int64),
                }
            ),
        )
        problems.extend(_roster_problems(placed_roster, n_clipped, roster_label))

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
            "weighted": table_weighted,
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
        roster=placed_roster,
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
    if placed_roster is not None:
        log.info("place_demand weighted the priority groups: %s", placed_roster.describe())
    return result


def _roster_problems(placed: RosterPlacement, n_clipped: int, label: str) -> list[Problem]:
    """Warnings about the roster's weight, with rounded counts only (never a person or a row)."""
    problems = []
    if placed.n_no_community:
        problems.append(
            Problem(
                label,
                f"{people_text(placed.n_no_community)} people of a weighted priority group have no known "
                "community code and lie outside every community: their extra weight is dropped",
                severity="warning",
                hint="check their coordinates (coords = bd09/gcj02/wgs84) or community codes",
            )
        )
    if placed.n_no_demand_point:
        problems.append(
            Problem(
                label,
                f"{people_text(placed.n_no_demand_point)} people of a weighted priority group live in "
                "communities without demand points (no older people): their extra weight is dropped",
                severity="warning",
                hint="check the communities' pop_60p",
            )
        )
    if placed.n_no_coordinates:
        problems.append(
            Problem(
                label,
                f"{people_text(placed.n_no_coordinates)} people of a weighted priority group have no "
                "coordinates: their extra weight is spread over their community",
                severity="warning",
            )
        )
    for row in placed.groups.itertuples():
        if row.communities_roster_over_count:
            problems.append(
                Problem(
                    label,
                    f"in {row.communities_roster_over_count:,} communities the roster lists more "
                    f"people for {row.weight} than the communities' '{GROUP_COLUMNS[row.weight]}': "
                    "the roster's count is used there",
                    column=GROUP_COLUMNS[row.weight],
                    severity="warning",
                    hint="update the community counts",
                )
            )
    if n_clipped:
        problems.append(
            Problem(
                label,
                f"{n_clipped:,} demand points would weigh less than 0 (weights below 1): set to 0",
                severity="warning",
            )
        )
    return problems


def build_demand(inputs: Inputs, graph: WalkGraph | None = None) -> Demand:
    """Demand points of a district with the scenario's ``[demand]`` settings.

    Streets for communities without buildings are the graph's walkable edges when ``graph`` is
    given, else every edge of the road network (if loaded). The roster (``inputs.roster``), when
    there is one, places the weighted groups at their homes (``[demand] roster``).
    """
    weights, basis, spacing, roster_use = demand_settings(inputs.scenario)
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
        roster=inputs.roster,
        roster_use=roster_use,  # type: ignore[arg-type]
        roster_label=spec.label if (spec := inputs.scenario.inputs.get("roster")) else "roster",
    )
