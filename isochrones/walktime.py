"""The walking-time model: from street segments to directed arcs with seconds.

Every walkable edge of a :class:`~isochrones.network.StreetNetwork` becomes two arcs, u→v and
v→u (pedestrians ignore ``oneway``), each with its own time, because uphill and downhill differ.

Flat speed
    A number in m/s or a preset of :data:`SPEED_PRESETS`.
Slope
    Tobler's hiking function (Tobler 1993), ``v = 6·exp(−3.5·|S + 0.05|)`` km/h with ``S`` the
    signed grade in the direction of travel, *normalised* so that flat ground gives the chosen
    flat speed: ``factor(S) = exp(−3.5·(|S + 0.05| − 0.05))``. It peaks at ``S = −0.05``
    (factor 1.19) and is applied to every sampled sub-segment of the edge with its own grade
    (see :mod:`isochrones.terrain`), so a street over a hill costs its climb and its descent.
    Grades beyond ±``max_abs_slope`` (default 0.4) are clipped: the steepest streets in the world
    are about 35 %, so steeper DEM grades on a street are DEM artefacts (SRTM is a surface model
    that includes buildings and trees) or stairs, which have their own model.
Stairs (``highway=steps``)
    Real time, not a penalty. Steps are counted from ``step_count`` when it is a positive whole
    number, else from the DEM climb (rise / :data:`RISER_M`), else from the length
    (length / :data:`TREAD_M`). Each step up costs ``step_up_s``, each step down
    ``step_down_s`` (:data:`STEP_UP_S`, :data:`STEP_DOWN_S` at the reference pace, scaled with
    the chosen speed); the part of the way's length not taken by the steps' treads (landings) is
    walked at the flat speed. The direction comes from ``incline`` (``up``/``down`` or a signed
    number, relative to the OSM way's direction, taken to be u→v unless an optional boolean
    ``reversed`` column says the loader reversed the geometry), else from the DEM; when neither
    tells, both directions are costed as climbing (conservative). A malformed ``step_count``
    (``many``, ``约30``, ``-5``) is reported as a warning naming the way, then ignored.
Exclusion
    No arcs for: ``highway`` not in :data:`~isochrones.network.WALKABLE_HIGHWAYS` (motorways,
    :data:`~isochrones.network.NON_WALKABLE_HIGHWAYS`, unknown values; the loaders already drop
    them, this is a safeguard); ``trunk``/``trunk_link`` without a sidewalk (``sidewalk`` in both/left/right/yes;
    ``separate``, ``no``, ``none`` or absent exclude them: a separately mapped sidewalk is its own
    footway way) unless ``foot`` allows; ``access`` private/no unless ``foot`` is
    yes/designated/permissive; ``foot`` no/use_sidepath; zero-length edges and self-loops
    (counted in a warning).
Crossing delay
    Optional (``crossing_delay_s``, default 0 s: without signal timings a fixed wait adds as much
    error as it removes). When set, an arc of a footway-type edge (footway, path, steps,
    pedestrian, cycleway, bridleway, corridor, track) whose head node is shared with a primary,
    secondary or trunk road (or their links) costs that many seconds more: the wait to cross.

References
----------
Tobler, W. (1993). Three presentations on geographical analysis and modeling. NCGIA Technical
Report 93-1, University of California, Santa Barbara.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from isochrones.errors import IsochronesError, NetworkInputError, Problem
from isochrones.network import WALKABLE_HIGHWAYS, StreetNetwork
from isochrones.terrain import (
    DEFAULT_SPACING_M,
    Dem,
    EdgeProfiles,
    flat_profiles,
    sample_edge_profiles,
    tag_strings,
)

__all__ = [
    "MAX_ABS_SLOPE",
    "REFERENCE_SPEED_MPS",
    "RISER_M",
    "SPEED_PRESETS",
    "STEP_DOWN_S",
    "STEP_UP_S",
    "TREAD_M",
    "ModelParameterError",
    "WalkGraph",
    "WalkingModel",
    "max_speed_mps",
    "tobler_factor",
    "walking_arcs",
]

log = logging.getLogger(__name__)

#: Flat walking speeds, m/s.
#:
#: - ``frail`` 0.64: frail older people, the low end of the range collected in the project's
#:   policy digest (POLICY_RULES.md §7). Frailty is defined by slow gait among other signs
#:   (Fried et al. 2001, J Gerontol A Biol Sci Med Sci 56(3):M146–M156).
#: - ``older_adult`` 0.8: older pedestrians at a cautious pace; 0.8 m/s is the gait speed
#:   Studenski et al. (2011, JAMA 305(1):50–58) found to go with median life expectancy in people
#:   65+, and lies below the 3.5 ft/s (1.07 m/s) the US MUTCD (2009, §4E.06) assumes for signal
#:   timing, which it asks to lower where slower pedestrians routinely cross.
#: - ``default`` 1.0: the GB 50180-2018 15-minute life circle read as 800–1000 m
#:   (POLICY_RULES.md §7) implies 0.9–1.1 m/s.
#: - ``adult`` 1.3: comfortable pace of adults, about 1.2–1.4 m/s (Bohannon & Williams Andrews
#:   2011, Physiotherapy 97(3):182–189); healthy Chinese seniors walk at 1.26–1.33 m/s
#:   habitually (POLICY_RULES.md §7), so this is also their preset.
SPEED_PRESETS: Mapping[str, float] = {
    "frail": 0.64,
    "older_adult": 0.8,
    "default": 1.0,
    "adult": 1.3,
}

#: Riser height (m) and tread depth (m) of outdoor steps: GB 50352-2019 §6.7.1 asks for steps of
#: public buildings no higher than 0.15 m and no narrower than 0.30 m.
RISER_M = 0.15
TREAD_M = 0.30

#: Seconds per step up and down at the reference pace :data:`REFERENCE_SPEED_MPS`.
#: ASSUMPTION of this project, not a measured value: a cautious older adult at about 1.4 steps/s
#: upstairs and 1.7 steps/s downstairs, one foot per step, no rests. Step times are scaled by
#: ``REFERENCE_SPEED_MPS / walk_speed`` for other speeds. Override with ``step_up_s`` and
#: ``step_down_s`` when better figures are known.
STEP_UP_S = 0.7
STEP_DOWN_S = 0.6
REFERENCE_SPEED_MPS = 0.8

#: Grades beyond this magnitude are clipped before Tobler's function is applied.
MAX_ABS_SLOPE = 0.4

SlopeFunction = Literal["tobler", "flat"]

_TRUNKS = frozenset({"trunk", "trunk_link"})
_SIDEWALK_YES = frozenset({"both", "left", "right", "yes"})
_FOOT_YES = frozenset({"yes", "designated", "permissive"})
_FOOT_NO = frozenset({"no", "use_sidepath"})
_ACCESS_NO = frozenset({"private", "no"})
_MAJOR_ROADS = frozenset(
    {"primary", "primary_link", "secondary", "secondary_link", "trunk", "trunk_link"}
)
_FOOTWAY_TYPES = frozenset(
    {"footway", "path", "steps", "pedestrian", "cycleway", "bridleway", "corridor", "track"}
)
_REQUIRED_COLUMNS = ("u", "v", "length_m", "highway", "geometry")


class ModelParameterError(IsochronesError, ValueError):
    """A walking-model parameter is out of range or unknown."""


def tobler_factor(slope: np.ndarray | float) -> np.ndarray:
    """Tobler's hiking speed at grade ``slope`` divided by its flat-ground speed.

    >>> float(tobler_factor(0.0))
    1.0
    >>> round(float(tobler_factor(-0.05)), 4)
    1.1912
    """
    s = np.asarray(slope, dtype=float)
    return np.exp(-3.5 * (np.abs(s + 0.05) - 0.05))


@dataclass(frozen=True)
class WalkingModel:
    """How fast a person walks on flat ground, slopes and stairs.

    Parameters
    ----------
    walk_speed_mps
        Flat speed in m/s, or a preset name of :data:`SPEED_PRESETS`
        {"frail", "older_adult", "default", "adult"}.
    slope_function
        {"tobler", "flat"}: Tobler's hiking function normalised to the flat speed, or none.
    max_abs_slope
        Grades are clipped to ±this before the slope function (default :data:`MAX_ABS_SLOPE`).
    step_up_s, step_down_s
        Seconds per step up/down; ``None`` scales :data:`STEP_UP_S`/:data:`STEP_DOWN_S` by
        ``REFERENCE_SPEED_MPS / speed``.
    crossing_delay_s
        Extra seconds when a footway-type arc ends at a node of a primary/secondary/trunk road.
    spacing_m
        Sample spacing along edges when a :class:`~isochrones.terrain.Dem` is given.
    """

    walk_speed_mps: float | str = "older_adult"
    slope_function: SlopeFunction = "tobler"
    max_abs_slope: float = MAX_ABS_SLOPE
    step_up_s: float | None = None
    step_down_s: float | None = None
    crossing_delay_s: float = 0.0
    spacing_m: float = DEFAULT_SPACING_M

    def __post_init__(self) -> None:
        errors = []
        speed = self.walk_speed_mps
        if isinstance(speed, str):
            if speed not in SPEED_PRESETS:
                errors.append(
                    f"unknown walking-speed preset {speed!r}; use one of "
                    f"{sorted(SPEED_PRESETS)} or a number of m/s"
                )
        elif not (isinstance(speed, numbers.Real) and np.isfinite(speed) and speed > 0):
            errors.append(f"walk_speed_mps must be a positive number of m/s, got {speed!r}")
        if self.slope_function not in ("tobler", "flat"):
            errors.append(f"slope_function must be 'tobler' or 'flat', got {self.slope_function!r}")
        if not self.max_abs_slope > 0:
            errors.append(f"max_abs_slope must be > 0, got {self.max_abs_slope}")
        for name in ("step_up_s", "step_down_s"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                errors.append(f"{name} must be a positive number of seconds, got {value!r}")
        if not (np.isfinite(self.crossing_delay_s) and self.crossing_delay_s >= 0):
            errors.append(f"crossing_delay_s must be >= 0, got {self.crossing_delay_s!r}")
        if not self.spacing_m > 0:
            errors.append(f"spacing_m must be > 0, got {self.spacing_m!r}")
        if errors:
            raise ModelParameterError("invalid walking model: " + "; ".join(errors))

    @property
    def speed_mps(self) -> float:
        """The flat walking speed in m/s (the preset resolved)."""
        if isinstance(self.walk_speed_mps, str):
            return SPEED_PRESETS[self.walk_speed_mps]
        return float(self.walk_speed_mps)

    @property
    def seconds_per_step_up(self) -> float:
        if self.step_up_s is not None:
            return float(self.step_up_s)
        return STEP_UP_S * (REFERENCE_SPEED_MPS / self.speed_mps)

    @property
    def seconds_per_step_down(self) -> float:
        if self.step_down_s is not None:
            return float(self.step_down_s)
        return STEP_DOWN_S * (REFERENCE_SPEED_MPS / self.speed_mps)


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """Directed walking graph: nodes, arcs with seconds, and per-edge time profiles.

    ``node_ids`` (n,) and ``node_xy`` (n, 2) describe the nodes by position.
    Arc arrays (length ``n_arcs``): ``tail``, ``head`` (node positions), ``seconds``,
    ``edge_row`` (positional row of ``network.edges``), ``direction`` (+1 u→v, −1 v→u).
    ``matrix`` is the n×n CSR matrix of arc seconds (parallel arcs keep the minimum).

    Per-edge arrays (length ``n_edges``, every row of ``network.edges``): ``edge_u``, ``edge_v``
    (node positions), ``edge_has_arcs``, ``edge_geometry`` (LineStrings u→v),
    ``delay_uv_s``/``delay_vu_s`` (crossing delay at the arc's head). The time profile of edge
    ``e`` samples ``profile_offsets[e]:profile_offsets[e+1]`` are equally spaced along its
    geometry from u to v: ``profile_uv_s`` is the time from u to each sample going u→v,
    ``profile_vu_s`` the time from v to each sample going v→u (delays excluded).

    ``component`` labels each node's strongly connected component, 0 being the largest one
    (nodes without arcs are singletons). Every walkable edge has both arcs, so strong and weak
    components coincide; with ``respect_oneway`` they are the weak components (an island is a
    part of the network cut off in both directions).
    """

    node_ids: np.ndarray
    node_xy: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    seconds: np.ndarray
    edge_row: np.ndarray
    direction: np.ndarray
    matrix: csr_matrix
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_has_arcs: np.ndarray
    edge_geometry: np.ndarray
    delay_uv_s: np.ndarray
    delay_vu_s: np.ndarray
    profile_offsets: np.ndarray
    profile_uv_s: np.ndarray
    profile_vu_s: np.ndarray
    component: np.ndarray
    walk_speed_mps: float
    crs: pyproj.CRS
    excluded: Mapping[str, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    edge_oneway: np.ndarray | None = None

    @property
    def edge_no_vu(self) -> np.ndarray:
        """(n_edges,) True where the v→u direction may not be walked (``respect_oneway``)."""
        if self.edge_oneway is None:
            return np.zeros(len(self.edge_u), dtype=bool)
        return np.asarray(self.edge_oneway, dtype=bool)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_arcs(self) -> int:
        return len(self.tail)

    @cached_property
    def matrix_transposed(self) -> csr_matrix:
        """CSR matrix of the reversed arcs (for times *to* nodes)."""
        return self.matrix.T.tocsr()

    @cached_property
    def walkable_edge_tree(self) -> shapely.STRtree:
        """STRtree of the edges with arcs; tree item i is edge row ``flatnonzero(has_arcs)[i]``."""
        return shapely.STRtree(self.edge_geometry[self.edge_has_arcs])

    @cached_property
    def node_index(self) -> pd.Index:
        """Index from node id to node position."""
        return pd.Index(self.node_ids)

    def node_positions(self, node_ids: object) -> np.ndarray:
        """Positions of ``node_ids`` in the graph; raises for ids not in it."""
        ids = np.atleast_1d(np.asarray(node_ids))
        pos = self.node_index.get_indexer(ids)
        if (pos < 0).any():
            missing = ids[pos < 0][:10].tolist()
            raise NetworkInputError(
                f"{int((pos < 0).sum())} node ids are not in the walking graph: {missing}",
                [Problem("node ids", "unknown node id", row=str(i)) for i in missing],
            )
        return pos

    @property
    def edge_seconds_uv(self) -> np.ndarray:
        """(n_edges,) seconds of the u→v arc (NaN where the edge has no arcs)."""
        t = self.profile_uv_s[self.profile_offsets[1:] - 1] + self.delay_uv_s
        return np.where(self.edge_has_arcs, t, np.nan)

    @property
    def edge_seconds_vu(self) -> np.ndarray:
        """(n_edges,) seconds of the v→u arc (NaN where the edge has no arcs)."""
        t = self.profile_vu_s[self.profile_offsets[:-1]] + self.delay_vu_s
        return np.where(self.edge_has_arcs, t, np.nan)

    def _profile_at(self, profile: np.ndarray, rows: np.ndarray, fraction: np.ndarray):
        rows = np.asarray(rows, dtype=np.int64)
        n = self.profile_offsets[rows + 1] - self.profile_offsets[rows] - 1
        pos = np.clip(np.asarray(fraction, dtype=float), 0.0, 1.0) * n
        k = np.minimum(np.floor(pos).astype(np.int64), n - 1)
        i = self.profile_offsets[rows] + k
        return profile[i] + (pos - k) * (profile[i + 1] - profile[i])

    def seconds_from_u(self, rows: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """Seconds from ``u`` to the point at ``fraction`` (of geometry length) going u→v."""
        return self._profile_at(self.profile_uv_s, rows, fraction)

    def seconds_from_v(self, rows: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """Seconds from ``v`` to the point at ``fraction`` (measured from u) going v→u."""
        return self._profile_at(self.profile_vu_s, rows, fraction)

    @cached_property
    def _search_keys(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Profiles made globally increasing (edge rank × span added), for searchsorted."""
        span = 2.0 * float(max(self.profile_uv_s.max(initial=0), self.profile_vu_s.max(initial=0)))
        span += 1.0
        offset = np.repeat(np.arange(len(self.profile_offsets) - 1), np.diff(self.profile_offsets))
        offset = offset * span
        return span, self.profile_uv_s + offset, offset - self.profile_vu_s

    def _inverse(self, profile: np.ndarray, sign: float, rows: np.ndarray, target: np.ndarray):
        """Fraction where ``sign * profile`` (increasing along the edge) reaches ``sign*target``."""
        rows = np.asarray(rows, dtype=np.int64)
        span, keys_uv, keys_vu = self._search_keys
        keys = keys_uv if sign > 0 else keys_vu
        start = self.profile_offsets[rows]
        stop = self.profile_offsets[rows + 1] - 1
        y = np.clip(
            sign * np.asarray(target, dtype=float), sign * profile[start], sign * profile[stop]
        )
        j = np.searchsorted(keys, y + rows * span, side="left")
        j = np.clip(j, start + 1, stop)
        lo = sign * profile[j - 1]
        hi = sign * profile[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac_in = np.where(hi > lo, (y - lo) / (hi - lo), 1.0)
        n = stop - start
        return np.clip((j - 1 - start + np.clip(frac_in, 0.0, 1.0)) / n, 0.0, 1.0)

    def fraction_from_u(self, rows: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Fraction reached going u→v after ``seconds`` from u (inverse of seconds_from_u)."""
        return self._inverse(self.profile_uv_s, 1.0, rows, seconds)

    def fraction_from_v(self, rows: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Fraction (from u) reached going v→u after ``seconds`` from v."""
        return self._inverse(self.profile_vu_s, -1.0, rows, seconds)

    def summary(self) -> dict[str, float | int]:
        """Counts and shares describing the graph, for logs and reports."""
        has_arc = np.zeros(self.n_nodes, dtype=bool)
        has_arc[self.tail] = True
        walkable_nodes = int(has_arc.sum())
        outside = int((has_arc & (self.component != 0)).sum())
        return {
            "nodes": self.n_nodes,
            "walkable_nodes": walkable_nodes,
            "arcs": self.n_arcs,
            "walkable_edges": int(self.edge_has_arcs.sum()),
            "excluded_edges": int((~self.edge_has_arcs).sum()),
            **{f"excluded_{k}": v for k, v in self.excluded.items()},
            "components": len(np.unique(self.component[has_arc])),
            "share_outside_largest_component": outside / walkable_nodes if walkable_nodes else 0.0,
            "walk_speed_mps": self.walk_speed_mps,
            "warnings": len(self.problems),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"WalkGraph({s['nodes']:,} nodes, {s['arcs']:,} arcs, {s['walkable_edges']:,} "
            f"walkable edges, {s['walk_speed_mps']} m/s, {s['warnings']} warnings)"
        )


def _check_columns(network: StreetNetwork) -> None:
    edges = network.edges
    source = network.source or "street network"
    problems = [
        Problem(source, "missing edge column", column=c, hint="see isochrones.network")
        for c in _REQUIRED_COLUMNS
        if c not in edges.columns
    ]
    if problems:
        raise NetworkInputError("the street network lacks required edge columns", problems)
    if network.crs is None or not pyproj.CRS.from_user_input(network.crs).is_projected:
        raise NetworkInputError(
            "the street network is not in a metric (projected) CRS",
            [Problem(source, f"crs is {network.crs}", hint="project it, see isochrones.crs")],
        )


def _examples(way_ids: np.ndarray, mask: np.ndarray, limit: int = 5) -> str:
    ids = way_ids[mask]
    text = ", ".join(str(i) for i in ids[:limit])
    return text + (", ..." if len(ids) > limit else "")


def _exclusions(edges: pd.DataFrame, u: np.ndarray, v: np.ndarray) -> dict[str, np.ndarray]:
    """Masks of edges without arcs, by reason (an edge may match several)."""
    highway = tag_strings(edges, "highway")
    access = tag_strings(edges, "access")
    foot = tag_strings(edges, "foot")
    sidewalk = tag_strings(edges, "sidewalk")
    foot_yes = np.isin(foot, list(_FOOT_YES))
    length = edges["length_m"].to_numpy(dtype=float)
    geom = np.asarray(edges.geometry.array, dtype=object)
    return {
        "non_walkable_highway": ~np.isin(highway, list(WALKABLE_HIGHWAYS)),
        "trunk_without_sidewalk": np.isin(highway, list(_TRUNKS))
        & ~np.isin(sidewalk, list(_SIDEWALK_YES))
        & ~foot_yes,
        "no_access": np.isin(access, list(_ACCESS_NO)) & ~foot_yes,
        "foot_no": np.isin(foot, list(_FOOT_NO)),
        "degenerate": (u == v)
        | ~np.isfinite(length)
        | (length <= 0)
        | shapely.is_missing(geom)
        | shapely.is_empty(geom),
    }


def _parse_step_count(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(count or NaN, malformed mask) from raw step_count strings."""
    raw = pd.Series(np.where(values == "", None, values), dtype=object)
    number = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    good = np.isfinite(number) & (number >= 1) & (number == np.round(number))
    malformed = (values != "") & ~good
    return np.where(good, number, np.nan), malformed


def _incline_sign(values: np.ndarray) -> np.ndarray:
    """+1 (way climbs u→v), −1 (descends) or 0 (unknown) from raw incline strings."""
    s = pd.Series(values, dtype=object)
    numeric = pd.to_numeric(
        s.str.replace(r"\s*(%|°|deg)\s*$", "", regex=True), errors="coerce"
    ).to_numpy(dtype=float)
    sign = np.sign(np.nan_to_num(numeric))
    sign = np.where(s.isin(["up"]).to_numpy(), 1.0, sign)
    sign = np.where(s.isin(["down"]).to_numpy(), -1.0, sign)
    return sign


def _stairs_seconds(
    edges: pd.DataFrame,
    steps: np.ndarray,
    length: np.ndarray,
    profiles: EdgeProfiles,
    model: WalkingModel,
    source: str,
    way_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Seconds u→v and v→u of every edge (meaningful where ``steps``)."""
    raw_counts = tag_strings(edges, "step_count")
    count, malformed = _parse_step_count(raw_counts)
    malformed &= steps
    problems = [
        Problem(
            source,
            f"step_count {raw!r} is not a positive whole number; the steps are counted from "
            "the DEM climb or the length instead",
            row=int(w) if isinstance(w, int | np.integer) else str(w),
            column="step_count",
            hint="tag step_count with the number of steps, e.g. step_count=30",
            severity="warning",
        )
        for raw, w in zip(
            raw_counts[malformed],
            way_ids[malformed],
            strict=True,
        )
    ]
    incline = _incline_sign(tag_strings(edges, "incline"))
    reversed_ = np.isin(tag_strings(edges, "reversed"), ["true", "1", "yes"])
    incline = np.where(reversed_, -incline, incline)
    rise = profiles.rise_m
    fall = profiles.fall_m
    dem_steps = (rise + fall) / RISER_M
    has_dem = profiles.covered & (dem_steps >= 1.0)
    net = np.nan_to_num(profiles.z_end_m - profiles.z_start_m)
    dem_sign = np.where(has_dem & (np.abs(net) >= RISER_M), np.sign(net), 0.0)

    n_total = np.where(np.isfinite(count), count, np.where(has_dem, dem_steps, length / TREAD_M))
    sign = np.where(incline != 0, incline, dem_sign)
    # Steps climbed / descended going u→v.
    split_by_dem = np.isnan(count) & has_dem & (incline == 0)
    up_uv = np.where(sign > 0, n_total, 0.0)
    down_uv = np.where(sign < 0, n_total, 0.0)
    up_uv = np.where(split_by_dem, rise / RISER_M, up_uv)
    down_uv = np.where(split_by_dem, fall / RISER_M, down_uv)
    unknown = (sign == 0) & ~split_by_dem
    # Unknown direction: climbing both ways (conservative).
    up_vu = np.where(unknown, n_total, down_uv)
    down_vu = np.where(unknown, 0.0, up_uv)
    up_uv = np.where(unknown, n_total, up_uv)

    flat_rest_s = np.maximum(length - n_total * TREAD_M, 0.0) / model.speed_mps
    t_uv = up_uv * model.seconds_per_step_up + down_uv * model.seconds_per_step_down + flat_rest_s
    t_vu = up_vu * model.seconds_per_step_up + down_vu * model.seconds_per_step_down + flat_rest_s
    return t_uv, t_vu, problems


def walking_arcs(
    network: StreetNetwork,
    model: WalkingModel | None = None,
    *,
    dem: Dem | EdgeProfiles | None = None,
    respect_oneway: bool = False,
) -> WalkGraph:
    """Turn a street network into a directed walking graph with seconds per arc.

    Parameters
    ----------
    network
        Street network in a metric CRS.
    model
        Walking model; default ``WalkingModel()`` (older adult, 0.8 m/s, Tobler slopes).
    dem
        Elevation: a :class:`~isochrones.terrain.Dem` (sampled here at ``model.spacing_m``),
        profiles already sampled with :func:`~isochrones.terrain.sample_edge_profiles`, or
        ``None`` (every edge flat; a warning unless ``model.slope_function == "flat"``).
    respect_oneway
        Give ``oneway`` edges only their u→v arc (the loaders store one-way streets in their
        legal direction), and record them in ``edge_oneway`` so that points snapped onto them
        (:func:`~isochrones.reach.reach`, :func:`~isochrones.od.od_matrix`) leave and are reached
        in that direction only. Off by default: pedestrians walk both ways on one-way streets.
        Isochrone polygons still draw partial one-way edges both ways.

    Returns
    -------
    WalkGraph
        Arcs, matrix, per-edge time profiles and the warnings found.
    """
    model = model or WalkingModel()
    _check_columns(network)
    edges = network.edges
    source = network.source or "street network"
    problems: list[Problem] = []

    node_ids = np.asarray(network.nodes.index.to_numpy(), dtype=np.int64)
    node_index = pd.Index(node_ids)
    if not node_index.is_unique:
        raise NetworkInputError(
            "node ids are not unique",
            [
                Problem(source, "duplicate node id", row=int(i))
                for i in node_index[node_index.duplicated()][:20]
            ],
        )
    u = node_index.get_indexer(edges["u"].to_numpy(dtype=np.int64))
    v = node_index.get_indexer(edges["v"].to_numpy(dtype=np.int64))
    unknown = (u < 0) | (v < 0)
    if unknown.any():
        raise NetworkInputError(
            f"{int(unknown.sum())} edges end at nodes missing from the node table",
            [
                Problem(source, "edge end not in node table", row=int(r), column="u/v")
                for r in np.flatnonzero(unknown)[:50]
            ],
        )
    way_ids = edges["way_id"].to_numpy() if "way_id" in edges.columns else np.arange(len(edges))
    length = edges["length_m"].to_numpy(dtype=float)

    reasons = _exclusions(edges, u, v)
    has_arcs = ~np.logical_or.reduce(list(reasons.values()))
    excluded = {k: int(m.sum()) for k, m in reasons.items() if m.any()}
    if reasons["degenerate"].any():
        mask = reasons["degenerate"]
        problems.append(
            Problem(
                source,
                f"{int(mask.sum())} zero-length edges or self-loops get no arcs "
                f"(ways {_examples(way_ids, mask)})",
                column="length_m",
                hint="the loader should drop or merge them",
                severity="warning",
            )
        )

    # Terrain.
    if isinstance(dem, EdgeProfiles):
        profiles = dem
        if profiles.n_edges != len(edges):
            raise ValueError(
                f"profiles are for {profiles.n_edges} edges, the network has {len(edges)}"
            )
    elif isinstance(dem, Dem):
        profiles = sample_edge_profiles(network, dem, spacing_m=model.spacing_m)
    else:
        profiles = flat_profiles(network, spacing_m=model.spacing_m)
        if model.slope_function != "flat":
            problems.append(
                Problem(
                    source,
                    "no DEM given: every edge is treated as flat",
                    hint="pass dem=read_dem(path), or slope_function='flat' to mean it",
                    severity="warning",
                )
            )
    problems.extend(profiles.problems)

    # Sub-segment times: each of the n equal sub-segments is length/n long.
    n_seg = profiles.n_segments
    seg_edge = profiles.segment_edge
    seg_len = (length / n_seg)[seg_edge]
    if model.slope_function == "tobler":
        with np.errstate(invalid="ignore", divide="ignore"):
            grade = np.clip(
                np.nan_to_num(profiles.segment_rise_m / seg_len),
                -model.max_abs_slope,
                model.max_abs_slope,
            )
        pace_uv = 1.0 / tobler_factor(grade)  # relative to the flat pace
        pace_vu = 1.0 / tobler_factor(-grade)
    else:
        pace_uv = pace_vu = np.ones(len(seg_edge))

    highway = tag_strings(edges, "highway")
    steps = highway == "steps"
    t_steps_uv, t_steps_vu, step_problems = _stairs_seconds(
        edges, steps & has_arcs, length, profiles, model, source, way_ids
    )
    problems.extend(step_problems)
    # Stairs spread their time evenly along the way.
    seg_steps = steps[seg_edge]
    pace_uv = np.where(seg_steps, 1.0, pace_uv)
    pace_vu = np.where(seg_steps, 1.0, pace_vu)
    # Edges without arcs get an all-zero profile (their length may be NaN or 0).
    flat_s = np.where(has_arcs, length / model.speed_mps, 0.0)
    scale_uv = np.where(steps & has_arcs, t_steps_uv, flat_s)
    scale_vu = np.where(steps & has_arcs, t_steps_vu, flat_s)

    # Cumulative profiles: F (from u going u→v) and B (from v going v→u) at every sample point.
    offsets = profiles.offsets
    n_points = int(offsets[-1])
    first_seg = offsets[:-1] - np.arange(len(n_seg))
    cum_uv = np.zeros(n_points)
    cum_vu = np.zeros(n_points)
    is_first = np.zeros(n_points, dtype=bool)
    is_first[offsets[:-1]] = True
    for cum, pace in ((cum_uv, pace_uv), (cum_vu, pace_vu)):
        c = np.cumsum(pace)
        start = np.concatenate(([0.0], c))[first_seg][seg_edge]
        cum[~is_first] = c - start  # cumulative relative pace at each point after the first
    point_edge = np.repeat(np.arange(len(n_seg)), n_seg + 1)
    total_vu_rel = cum_vu[offsets[1:] - 1]
    profile_uv = scale_uv[point_edge] * (cum_uv / n_seg[point_edge])
    profile_vu = scale_vu[point_edge] * ((total_vu_rel[point_edge] - cum_vu) / n_seg[point_edge])

    # Crossing delay at the head of footway-type arcs.
    delay_uv = np.zeros(len(edges))
    delay_vu = np.zeros(len(edges))
    if model.crossing_delay_s > 0:
        major = np.isin(highway, list(_MAJOR_ROADS))
        major_node = np.zeros(len(node_ids), dtype=bool)
        major_node[u[major]] = True
        major_node[v[major]] = True
        footway = np.isin(highway, list(_FOOTWAY_TYPES))
        delay_uv = np.where(footway & major_node[v], model.crossing_delay_s, 0.0)
        delay_vu = np.where(footway & major_node[u], model.crossing_delay_s, 0.0)

    # Arcs.
    rows = np.flatnonzero(has_arcs)
    t_uv = profile_uv[offsets[1:] - 1][rows] + delay_uv[rows]
    t_vu = profile_vu[offsets[:-1]][rows] + delay_vu[rows]
    tail = np.concatenate([u[rows], v[rows]]).astype(np.int64)
    head = np.concatenate([v[rows], u[rows]]).astype(np.int64)
    seconds = np.concatenate([t_uv, t_vu])
    edge_row = np.concatenate([rows, rows]).astype(np.int64)
    direction = np.concatenate(
        [np.ones(len(rows), dtype=np.int8), -np.ones(len(rows), dtype=np.int8)]
    )
    edge_oneway = None
    if respect_oneway:
        edge_oneway = edges["oneway"].to_numpy(dtype=bool) & has_arcs
        oneway = edge_oneway[rows]
        keep = np.r_[np.ones(len(rows), dtype=bool), ~oneway]
        tail, head, seconds = tail[keep], head[keep], seconds[keep]
        edge_row, direction = edge_row[keep], direction[keep]
    matrix = arcs_to_csr(tail, head, seconds, len(node_ids))

    # With one-way arcs a one-way stretch is not an island: components are then weak ones.
    connection = "weak" if respect_oneway else "strong"
    n_comp, labels = connected_components(matrix, directed=True, connection=connection)
    sizes = np.bincount(labels, minlength=n_comp)
    rank = np.empty(n_comp, dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(n_comp)
    component = rank[labels]

    graph = WalkGraph(
        node_ids=node_ids,
        node_xy=shapely.get_coordinates(np.asarray(network.nodes.geometry.array, dtype=object)),
        tail=tail,
        head=head,
        seconds=seconds,
        edge_row=edge_row,
        direction=direction,
        matrix=matrix,
        edge_u=u.astype(np.int64),
        edge_v=v.astype(np.int64),
        edge_has_arcs=has_arcs,
        edge_geometry=np.asarray(edges.geometry.array, dtype=object),
        delay_uv_s=delay_uv,
        delay_vu_s=delay_vu,
        profile_offsets=offsets,
        profile_uv_s=profile_uv,
        profile_vu_s=profile_vu,
        component=component,
        walk_speed_mps=model.speed_mps,
        crs=pyproj.CRS.from_user_input(network.crs),
        excluded=excluded,
        problems=tuple(problems),
        edge_oneway=edge_oneway,
    )
    s = graph.summary()
    log.info(
        "walking_arcs returned graph with %s nodes and %s arcs at %.2f m/s (%s edges excluded, "
        "%.1f%% of walkable nodes outside the largest component, %d warnings)",
        f"{s['nodes']:,}",
        f"{s['arcs']:,}",
        model.speed_mps,
        f"{s['excluded_edges']:,}",
        100 * s["share_outside_largest_component"],
        len(problems),
    )
    return graph


def arcs_to_csr(
    tail: np.ndarray, head: np.ndarray, seconds: np.ndarray, n: int, *, n_cols: int | None = None
) -> csr_matrix:
    """n × n (or n × n_cols) CSR matrix of arc seconds.

    Of parallel arcs the fastest is kept (not their sum, as scipy would do); zero-second arcs
    stay explicit entries, which ``scipy.sparse.csgraph`` treats as arcs.
    """
    order = np.lexsort((seconds, head, tail))
    t, h, s = tail[order], head[order], seconds[order]
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    t, h, s = t[keep], h[keep], s[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(t, minlength=n), out=indptr[1:])
    return csr_matrix((s, h, indptr), shape=(n, n if n_cols is None else n_cols))


def max_speed_mps(graph: WalkGraph) -> float:
    """The fastest walking speed anywhere on the graph (m/s): an upper bound for the halo.

    The largest of the flat speed and, over every interval of every edge's time profile in
    either direction, the interval's length divided by its time (downhill walks can be faster
    than flat ones). Intervals walked in no time (zero-length edges) are ignored.
    """
    offsets = graph.profile_offsets
    n_int = np.diff(offsets) - 1  # intervals per edge
    edge_of = np.repeat(np.arange(len(n_int)), np.diff(offsets))  # edge of each sample
    # consecutive samples of one walkable edge form an interval of length L / n
    inner = (edge_of[1:] == edge_of[:-1]) & graph.edge_has_arcs[edge_of[:-1]]
    seg = np.zeros(len(n_int))
    ok = n_int > 0
    seg[ok] = shapely.length(graph.edge_geometry[ok]) / n_int[ok]
    seg_m = seg[edge_of[:-1]][inner]
    best = float(graph.walk_speed_mps)
    for profile in (graph.profile_uv_s, graph.profile_vu_s):
        dt = np.abs(np.diff(profile))[inner]
        moving = (dt > 0) & (seg_m > 0)
        if moving.any():
            best = max(best, float((seg_m[moving] / dt[moving]).max()))
    return best
