"""Walking coverage of the elderly: who can walk to a facility in time, per community and district.

A demand point (:mod:`siting.demand`) is *covered* by a site when the older pedestrian's walking
time from home to the site (both ends off the network, :func:`isochrones.od.od_times`, direction
home → facility) is within the threshold of the point's community kind and the site's type:

- 15 minutes in 社区 and in 村 by default: the 一刻钟 home-care circle is the rule of every document
  (000 ch.5 §2, 001 §二(四), 003 task 12, 004 §(九); POLICY_RULES §2);
- optionally per facility type (``[coverage.type_minutes]``), e.g. ``street_center = 30`` to let a
  center count further away for its hub services, or ``station = {community = 10, village = 20}``.

"Any home-care facility" means the types of ``[coverage] home_care_types`` (all but institutions
by default: 养老机构 are residential care, not 居家养老服务).

The demand × site structure is a :class:`CoverageMatrix`: the walking seconds of every pair within
the search limit in a sparse CSR matrix, the threshold of every (demand point, site type), and the
demand weights. The optimizer consumes it; the same :func:`coverage_matrix` scores existing
facilities and candidate sites (a candidate eligible for several types is one column per type).

:func:`compute_coverage` is the entry point of ``siting coverage``: demand, coverage of the
existing facilities, tables per 社区/村, 街道/镇 and district, the plan indicators and the care
roster aggregates, in one frozen :class:`CoverageResult`.

医养结合 access is a measure of its own, never the home-care coverage: 万州's 15-minute city /
25-minute rural circle (002 §25) is for *combined medical-and-elderly services*. A home is reached
by them when a home-care facility that lies within ``medical_care_max_distance_m`` (straight line,
default 500 m: "一体或邻近", 001 §二(五); 000 ch.6 §1 "毗邻建设") of a health facility of
``inputs.health`` (any type) is within ``medical_care_minutes`` (社区 15, 村 25) of it. The district
table reports it as the rows of ``facility_type = "medical_care"``; without health facilities the
rows are absent.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from isochrones.od import od_times
from isochrones.snap import SnappedPoints, snap_points
from isochrones.tiles import od_times_tiled
from siting import scale
from siting.demand import Demand, build_demand
from siting.errors import InputError, Problem, ScenarioError
from siting.indicators import Indicators, compute_indicators
from siting.io import FACILITY_TYPES, SITEABLE_TYPES
from siting.progress import advance
from siting.roster import RosterAggregates, roster_from_inputs

if TYPE_CHECKING:
    from isochrones import WalkGraph
    from siting.io import Inputs

__all__ = [
    "KINDS",
    "CoverageMatrix",
    "CoverageResult",
    "CoverageSettings",
    "check_attachment",
    "compute_coverage",
    "coverage_matrix",
    "coverage_tables",
    "medical_care_columns",
    "snap_demand",
    "weighted_quantile",
]

log = logging.getLogger(__name__)

#: Community kinds (社区, 村).
KINDS: tuple[str, ...] = ("community", "village")


def _coverage_problems(values: Mapping[str, Any], source: str) -> list[Problem]:
    """Every problem with coverage settings given as a mapping of the dataclass fields."""
    out = []

    def positive(value: Any, key: str) -> None:
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            out.append(
                Problem(
                    source,
                    f"{key} must be a positive number of minutes, got {value!r}",
                    column=key,
                )
            )

    positive(values["community_minutes"], "coverage.community_minutes")
    positive(values["village_minutes"], "coverage.village_minutes")
    positive(values["report_max_minutes"], "coverage.report_max_minutes")
    for kind, minutes in values["medical_care_minutes"].items():
        if kind not in KINDS:
            out.append(
                Problem(
                    source,
                    f"unknown community kind '{kind}'",
                    column=f"coverage.medical_care_minutes.{kind}",
                    hint="use community or village",
                )
            )
        positive(minutes, f"coverage.medical_care_minutes.{kind}")
    d = values["medical_care_max_distance_m"]
    if not (isinstance(d, int | float) and not isinstance(d, bool) and math.isfinite(d) and d >= 0):
        out.append(
            Problem(
                source,
                f"coverage.medical_care_max_distance_m must be metres >= 0, got {d!r}",
                column="coverage.medical_care_max_distance_m",
            )
        )
    for t, kinds in values["type_minutes"].items():
        if t not in FACILITY_TYPES:
            out.append(
                Problem(
                    source,
                    f"unknown facility type '{t}'",
                    column=f"coverage.type_minutes.{t}",
                    hint=f"types: {list(FACILITY_TYPES)}",
                )
            )
        for kind, minutes in kinds.items():
            if kind not in KINDS:
                out.append(
                    Problem(
                        source,
                        f"unknown community kind '{kind}'",
                        column=f"coverage.type_minutes.{t}.{kind}",
                        hint="use community or village",
                    )
                )
            positive(minutes, f"coverage.type_minutes.{t}.{kind}")
    bad = [t for t in values["home_care_types"] if t not in FACILITY_TYPES]
    if bad:
        out.append(
            Problem(
                source,
                f"unknown facility type(s) {bad}",
                column="coverage.home_care_types",
                hint=f"types: {list(FACILITY_TYPES)}",
            )
        )
    return out


@dataclass(frozen=True)
class CoverageSettings:
    """Thresholds and options of the coverage computation (scenario section ``[coverage]``).

    Parameters
    ----------
    community_minutes, village_minutes
        Walking threshold for homes in a 社区 / 村 (POLICY_RULES §2: 15 minutes, the 一刻钟 circle).
    type_minutes
        Per facility type and kind, minutes that replace the kind's threshold for that type.
    home_care_types
        Types that count as home-care facilities ("any home-care facility").
    report_max_minutes
        Search horizon: walking times to the nearest facility beyond it are reported as "> it".
    max_snap_m
        Largest distance from a home or site to the street it is attached to.
    medical_care_minutes
        The 医养结合 circle per community kind (002 §25: 城区 15, 农村 25 minutes), a measure of
        its own (module notes).
    medical_care_max_distance_m
        A home-care facility this close (straight line) to a health facility offers 医养结合.
    """

    community_minutes: float = 15.0
    village_minutes: float = 15.0
    type_minutes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    home_care_types: tuple[str, ...] = SITEABLE_TYPES
    report_max_minutes: float = 60.0
    max_snap_m: float = 300.0
    medical_care_minutes: Mapping[str, float] = field(
        default_factory=lambda: {"community": 15.0, "village": 25.0}
    )
    medical_care_max_distance_m: float = 500.0

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        problems = _coverage_problems(values, "coverage settings")
        if problems:
            raise ScenarioError("invalid coverage settings", problems)

    @classmethod
    def from_scenario(cls, scenario: Any) -> CoverageSettings:
        """Settings from a scenario's ``[coverage]`` and ``[walking] max_snap_m``."""
        sec = dict(scenario.section("coverage"))
        source = str(scenario.path)
        problems: list[Problem] = []
        type_minutes: dict[str, dict[str, float]] = {}
        for t, value in dict(sec.get("type_minutes", {})).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                type_minutes[t] = dict.fromkeys(KINDS, float(value))
            elif isinstance(value, Mapping):
                type_minutes[t] = {str(k): v for k, v in value.items()}
            else:
                problems.append(
                    Problem(
                        source,
                        f"coverage.type_minutes.{t} must be minutes or a table {{community = …, village = …}}, got {value!r}",
                        column=f"coverage.type_minutes.{t}",
                    )
                )
        kwargs = {
            "community_minutes": sec.get("community_minutes", 15.0),
            "village_minutes": sec.get("village_minutes", 15.0),
            "type_minutes": type_minutes,
            "home_care_types": tuple(sec.get("home_care_types", SITEABLE_TYPES)),
            "report_max_minutes": sec.get("report_max_minutes", 60.0),
            "max_snap_m": float(scenario.section("walking").get("max_snap_m", 300.0)),
            "medical_care_minutes": {
                "community": 15.0,
                "village": 25.0,
                **dict(sec.get("medical_care_minutes", {})),
            },
            "medical_care_max_distance_m": sec.get("medical_care_max_distance_m", 500.0),
        }
        problems.extend(_coverage_problems(kwargs, source))
        if problems:
            raise ScenarioError(f"scenario {source}: invalid [coverage] settings", problems)
        return cls(**kwargs)

    def minutes(self, kind: str, site_type: str) -> float:
        """Threshold in minutes for a home in a community of ``kind`` and a site of ``site_type``."""
        per_type = self.type_minutes.get(site_type, {})
        if kind in per_type:
            return float(per_type[kind])
        return float(self.community_minutes if kind == "community" else self.village_minutes)

    @property
    def search_seconds(self) -> float:
        """The walking-time search limit: the report horizon or the largest threshold."""
        largest = max(
            [self.community_minutes, self.village_minutes, self.report_max_minutes]
            + [float(m) for m in self.medical_care_minutes.values()]
            + [float(m) for kinds in self.type_minutes.values() for m in kinds.values()]
        )
        return 60.0 * largest


@dataclass(frozen=True, eq=False)
class CoverageMatrix:
    """Sparse demand × site walking times and the thresholds that turn them into coverage.

    This is what the optimizer consumes. Rows are demand points, columns are sites; a site that
    may be built as one of several types (a candidate) appears once per type, with the same
    ``site_ids`` entry and its own ``site_types`` entry.

    Attributes
    ----------
    demand_ids
        (m,) demand point ids (``Demand.points.demand_id``).
    weights
        (m,) weighted demand of each point.
    elderly
        (m,) older people at each point.
    site_ids, site_types
        (k,) site id and type of each column.
    site_geometry
        (k,) the site's point (working CRS), for maps and for locating sites in communities.
    seconds
        (m, k) CSR of walking seconds home → site, stored only within ``max_seconds``. Absent
        means farther or unreachable; a stored 0 is a real 0 (use the sparsity pattern).
    type_names
        Facility types, the columns of ``threshold_s``.
    threshold_s
        (m, len(type_names)) the threshold in seconds for demand point i and a site of type t.
    max_seconds
        The search limit (≥ every threshold).
    problems
        Warnings from snapping and searching (points not attached, islands).

    Coverage of demand i by column j is ``seconds[i, j]`` stored and
    ``≤ threshold_s[i, type_names.index(site_types[j])]``.
    """

    demand_ids: np.ndarray
    weights: np.ndarray
    elderly: np.ndarray
    site_ids: np.ndarray
    site_types: np.ndarray
    site_geometry: np.ndarray
    seconds: csr_matrix
    type_names: tuple[str, ...]
    threshold_s: np.ndarray
    max_seconds: float
    problems: tuple[Problem, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return self.seconds.shape

    def __repr__(self) -> str:
        return (
            f"CoverageMatrix({self.shape[0]:,} demand points × {self.shape[1]:,} sites, "
            f"{int(self.seconds.indptr[-1]):,} pairs within {self.max_seconds:g} s)"
        )

    def _entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = self.seconds
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        return rows, m.indices, m.data

    def _column_mask(self, types: Sequence[str] | None, columns: np.ndarray | None) -> np.ndarray:
        mask = np.ones(self.shape[1], dtype=bool)
        if types is not None:
            mask &= np.isin(self.site_types, list(types))
        if columns is not None:
            cols = np.asarray(columns)
            if cols.dtype == bool:
                mask &= cols
            else:
                sel = np.zeros(self.shape[1], dtype=bool)
                sel[cols] = True
                mask &= sel
        return mask

    def covers(
        self, *, types: Sequence[str] | None = None, columns: np.ndarray | None = None
    ) -> csr_matrix:
        """(m, k) boolean CSR: column j covers demand i (restricted to ``types``/``columns``)."""
        rows, cols, secs = self._entries()
        t_index = {t: i for i, t in enumerate(self.type_names)}
        col_t = np.array([t_index[t] for t in self.site_types], dtype=np.int64)
        ok = secs <= self.threshold_s[rows, col_t[cols]]
        ok &= self._column_mask(types, columns)[cols]
        return csr_matrix(
            (np.ones(int(ok.sum()), dtype=bool), (rows[ok], cols[ok])), shape=self.shape
        )

    def is_covered(self, **kw: Any) -> np.ndarray:
        """(m,) whether any selected column covers the demand point."""
        return np.diff(self.covers(**kw).indptr) > 0

    def n_covering(self, **kw: Any) -> np.ndarray:
        """(m,) number of distinct sites (ids) among the selected columns covering each point."""
        c = self.covers(**kw).tocoo()
        pairs = pd.DataFrame({"i": c.row, "s": self.site_ids[c.col]}).drop_duplicates()
        return np.bincount(pairs["i"].to_numpy(), minlength=self.shape[0])

    def nearest_seconds(
        self, *, types: Sequence[str] | None = None, columns: np.ndarray | None = None
    ) -> np.ndarray:
        """(m,) seconds to the nearest selected site; ``inf`` if none within ``max_seconds``."""
        rows, cols, secs = self._entries()
        keep = self._column_mask(types, columns)[cols]
        out = np.full(self.shape[0], np.inf)
        np.minimum.at(out, rows[keep], secs[keep])
        return out

    def select(self, columns: np.ndarray) -> CoverageMatrix:
        """The matrix restricted to some columns (boolean mask or positions)."""
        mask = self._column_mask(None, columns)
        idx = np.flatnonzero(mask)
        return CoverageMatrix(
            demand_ids=self.demand_ids,
            weights=self.weights,
            elderly=self.elderly,
            site_ids=self.site_ids[idx],
            site_types=self.site_types[idx],
            site_geometry=self.site_geometry[idx],
            seconds=self.seconds[:, idx].tocsr(),
            type_names=self.type_names,
            threshold_s=self.threshold_s,
            max_seconds=self.max_seconds,
            problems=self.problems,
        )

    def hstack(self, other: CoverageMatrix) -> CoverageMatrix:
        """Columns of ``self`` then ``other`` (same demand points, e.g. existing + candidates)."""
        if not np.array_equal(self.demand_ids, other.demand_ids):
            raise ValueError("the two coverage matrices are not over the same demand points")
        a, b = self.seconds, other.seconds
        indptr = a.indptr + b.indptr
        rows_a, rows_b = np.diff(a.indptr), np.diff(b.indptr)
        counts = rows_a + rows_b
        data = np.empty(int(indptr[-1]))
        indices = np.empty(int(indptr[-1]), dtype=np.int64)
        # interleave each row's entries: a's then b's (shifted)
        row_of = np.repeat(np.arange(len(counts)), counts)
        pos_in_row = np.arange(len(row_of)) - np.repeat(indptr[:-1], counts)
        from_a = pos_in_row < rows_a[row_of]
        data[from_a] = a.data
        indices[from_a] = a.indices
        data[~from_a] = b.data
        indices[~from_a] = b.indices + a.shape[1]
        return CoverageMatrix(
            demand_ids=self.demand_ids,
            weights=self.weights,
            elderly=self.elderly,
            site_ids=np.concatenate([self.site_ids, other.site_ids]),
            site_types=np.concatenate([self.site_types, other.site_types]),
            site_geometry=np.concatenate([self.site_geometry, other.site_geometry]),
            seconds=csr_matrix(
                (data, indices, indptr), shape=(a.shape[0], a.shape[1] + b.shape[1])
            ),
            type_names=self.type_names,
            threshold_s=self.threshold_s,
            max_seconds=min(self.max_seconds, other.max_seconds),
            problems=self.problems + other.problems,
        )


def snap_demand(graph: WalkGraph, demand: Demand, *, max_snap_m: float = 300.0) -> SnappedPoints:
    """Attach the demand points to the walking graph (once; reuse it for several site sets)."""
    return snap_points(
        graph,
        demand.points.geometry,
        max_snap_m=max_snap_m,
        point_ids=demand.points["demand_id"].to_numpy(),
    )


def _site_columns(
    sites: gpd.GeoDataFrame | None, id_column: str, type_column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site position, id, type) per column; list-valued types give one column per type."""
    if sites is None or len(sites) == 0:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    if id_column in sites:
        ids = sites[id_column].astype(str).to_numpy()
    else:
        ids = np.array([""] * len(sites), dtype=object)
    rows = (
        sites["row"].astype(str).to_numpy() if "row" in sites else np.arange(len(sites)).astype(str)
    )
    ids = np.where(ids == "", np.char.add("row ", rows.astype(str)), ids).astype(object)
    pos, out_ids, out_types = [], [], []
    for i, value in enumerate(sites[type_column].to_numpy()):
        types = [value] if isinstance(value, str) else list(value)
        for t in types:
            pos.append(i)
            out_ids.append(ids[i])
            out_types.append(t)
    unknown = [i for i, t in zip(pos, out_types, strict=True) if t not in FACILITY_TYPES]
    if unknown:
        raise InputError(
            f"{len(unknown)} site(s) of unknown type in column '{type_column}'",
            [
                Problem(
                    "sites",
                    f"unknown facility type {out_types[pos.index(i)]!r}",
                    row=str(rows[i]),
                    column=type_column,
                    hint=f"types: {list(FACILITY_TYPES)}",
                )
                for i in sorted(set(unknown))[:20]
            ],
        )
    return (
        np.asarray(pos, dtype=np.int64),
        np.asarray(out_ids, dtype=object),
        np.asarray(out_types, dtype=object),
    )


def coverage_matrix(
    graph: WalkGraph,
    demand: Demand,
    sites: gpd.GeoDataFrame | None,
    *,
    id_column: str = "facility_id",
    type_column: str = "type",
    settings: CoverageSettings = CoverageSettings(),
    snapped_demand: SnappedPoints | None = None,
    site_label: str = "sites",
) -> CoverageMatrix:
    """Walking times from every demand point to every site, with the coverage thresholds.

    Parameters
    ----------
    graph
        The older pedestrian's walking graph.
    demand
        Demand points (:func:`~siting.demand.build_demand`).
    sites
        Existing facilities (``type`` column) or candidate sites (``type_column="eligible_types"``,
        a list per site: one column per eligible type), points in the graph's CRS.
    id_column, type_column
        Columns holding the site id and its type(s).
    settings
        Thresholds and snapping distance.
    snapped_demand
        The demand points already snapped (:func:`snap_demand`), to snap them once.
    site_label
        Name of the sites in warnings (e.g. the facilities file).

    Returns
    -------
    CoverageMatrix
    """
    pts = demand.points
    if snapped_demand is None:
        snapped_demand = snap_demand(graph, demand, max_snap_m=settings.max_snap_m)
    pos, ids, types = _site_columns(sites, id_column, type_column)
    site_geoms = np.empty(0, dtype=object)
    if len(pos):
        site_geoms = np.asarray(sites.geometry.array, dtype=object)[pos]
        snapped_sites = snap_points(
            graph,
            site_geoms,
            max_snap_m=settings.max_snap_m,
            point_ids=ids,
        )
    else:
        snapped_sites = snap_points(graph, np.empty(0, dtype=object), point_ids=np.empty(0))
    compute = scale.current()
    if compute.tile_m is None:
        od = od_times(graph, snapped_demand, snapped_sites, max_seconds=settings.search_seconds)
    else:
        od = od_times_tiled(
            graph,
            snapped_demand,
            snapped_sites,
            max_seconds=settings.search_seconds,
            tile_m=compute.tile_m,
            executor=compute.executor,
            progress=advance,
        )
    kinds = pts["kind"].to_numpy()
    threshold = np.empty((len(pts), len(FACILITY_TYPES)))
    for j, t in enumerate(FACILITY_TYPES):
        for kind in KINDS:
            threshold[kinds == kind, j] = 60.0 * settings.minutes(kind, t)
    problems = _demand_problems(graph, demand, snapped_demand)
    # site warnings (snapping, islands) under the sites' label; a site with several types once
    seen: set[tuple[Any, str]] = set()
    for p in od.problems[len(snapped_demand.problems) :]:
        if p.source == "origins" or (p.row, p.message) in seen:
            continue
        seen.add((p.row, p.message))
        problems.append(dataclasses.replace(p, source=site_label))
    matrix = CoverageMatrix(
        demand_ids=pts["demand_id"].to_numpy(),
        weights=pts["weighted"].to_numpy(dtype=float),
        elderly=pts["elderly"].to_numpy(dtype=float),
        site_ids=ids,
        site_types=types,
        site_geometry=site_geoms,
        seconds=od.seconds,
        type_names=FACILITY_TYPES,
        threshold_s=threshold,
        max_seconds=od.max_seconds,
        problems=tuple(problems),
    )
    log.info("coverage_matrix returned %r", matrix)
    return matrix


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches ``q`` of the total (lower inverse CDF).

    ``inf`` values (nobody within reach) take part like any other; NaN when the total weight is 0.

    >>> weighted_quantile(np.array([60.0, 120.0, 300.0]), np.ones(3), 0.5)
    120.0
    """
    return weighted_quantiles(values, weights, (q,))[0]


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> list[float]:
    """:func:`weighted_quantile` of each ``q`` in ``qs``, sorting and summing once."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    total = math.fsum(weights)
    if total <= 0:
        return [float("nan")] * len(qs)
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    ordered = values[order]
    k = np.searchsorted(cum, np.asarray(qs, dtype=float) * total * (1 - 1e-12), side="left")
    return [float(ordered[min(int(i), len(values) - 1)]) for i in k]


def _summaries(
    groups: np.ndarray,
    keys: np.ndarray,
    elderly: np.ndarray,
    weighted: np.ndarray,
    covered: np.ndarray,
    nearest_s: np.ndarray,
    n_cover_sites: pd.DataFrame,
) -> pd.DataFrame:
    """Coverage figures per group key (one row per entry of ``keys``)."""
    frame = pd.DataFrame(
        {
            "g": groups,
            "elderly": elderly,
            "weighted": weighted,
            "covered_elderly": np.where(covered, elderly, 0.0),
            "covered_weighted": np.where(covered, weighted, 0.0),
            "unreached_elderly": np.where(np.isinf(nearest_s), elderly, 0.0),
        }
    )
    sums = frame.groupby("g").sum().reindex(keys, fill_value=0.0)
    out = pd.DataFrame(index=pd.Index(keys, name="key"))
    for col in ("elderly", "weighted", "covered_elderly", "covered_weighted", "unreached_elderly"):
        out[col] = sums[col].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_pct"] = np.where(
            out["elderly"] > 0, 100 * out["covered_elderly"] / out["elderly"], np.nan
        )
        out["weighted_coverage_pct"] = np.where(
            out["weighted"] > 0, 100 * out["covered_weighted"] / out["weighted"], np.nan
        )
    med, p90 = {}, {}
    minutes = nearest_s / 60.0
    w = np.where(weighted > 0, weighted, 0.0)
    order = np.argsort(groups, kind="stable")
    g_sorted = groups[order]
    bounds = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1], True]) if len(order) else []
    for a, b in itertools.pairwise(bounds):
        idx = order[a:b]
        key = g_sorted[a]
        med[key], p90[key] = weighted_quantiles(minutes[idx], w[idx], (0.5, 0.9))
    out["median_minutes"] = [med.get(k, np.nan) for k in keys]
    out["p90_minutes"] = [p90.get(k, np.nan) for k in keys]
    counts = n_cover_sites.groupby("g")["s"].nunique()
    out["n_facilities_covering"] = counts.reindex(keys, fill_value=0).to_numpy().astype(np.int64)
    return out.reset_index(drop=True)


def coverage_tables(
    matrix: CoverageMatrix,
    demand: Demand,
    communities: pd.DataFrame,
    streets: pd.DataFrame,
    *,
    settings: CoverageSettings = CoverageSettings(),
    district_name: str = "",
    medical_columns: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Coverage by "any home-care facility" per 社区/村 and per 街道/镇, and district figures by type.

    Returns ``(communities, streets, district)`` DataFrames with English snake_case columns
    (:mod:`siting.tables` gives them their Chinese or English headers). Times are minutes to the
    nearest home-care facility, weighted by demand; ``inf`` means none within the search horizon
    (``settings.report_max_minutes``). ``n_facilities_covering`` counts distinct facilities that
    cover at least one home of the unit.
    """
    pts = demand.points
    home = list(settings.home_care_types)
    cov_csr = matrix.covers(types=home)
    covered = np.diff(cov_csr.indptr) > 0
    cov = cov_csr.tocoo()
    nearest = matrix.nearest_seconds(types=home)
    el = pts["elderly"].to_numpy(dtype=float)
    wd = pts["weighted"].to_numpy(dtype=float)
    com_code = pts["community_code"].to_numpy()
    st_code = pts["street_code"].to_numpy()

    cpairs = pd.DataFrame({"g": com_code[cov.row], "s": matrix.site_ids[cov.col]})
    com = _summaries(com_code, communities["code"].to_numpy(), el, wd, covered, nearest, cpairs)
    com.insert(0, "code", communities["code"].to_numpy())
    com.insert(1, "name", communities["name"].to_numpy())
    com.insert(2, "street_code", communities["street_code"].to_numpy())
    st_names = dict(zip(streets["code"], streets["name"], strict=True))
    com.insert(3, "street_name", [st_names.get(c, "") for c in communities["street_code"]])
    com.insert(4, "kind", communities["kind"].to_numpy())
    com.insert(
        5,
        "threshold_minutes",
        [
            settings.community_minutes if k == "community" else settings.village_minutes
            for k in communities["kind"]
        ],
    )
    com.insert(6, "n_demand_points", demand.communities["n_points"].to_numpy())

    spairs = pd.DataFrame({"g": st_code[cov.row], "s": matrix.site_ids[cov.col]})
    st = _summaries(st_code, streets["code"].to_numpy(), el, wd, covered, nearest, spairs)
    st.insert(0, "code", streets["code"].to_numpy())
    st.insert(1, "name", streets["name"].to_numpy())
    st.insert(2, "kind", streets["kind"].to_numpy())
    n_com = communities.groupby("street_code").size()
    st.insert(3, "n_communities", n_com.reindex(streets["code"], fill_value=0).to_numpy())
    full = com[com["elderly"] > 0].assign(full=lambda d: d["coverage_pct"] >= 100 - 1e-9)
    n_full = full.groupby("street_code")["full"].sum()
    st.insert(
        4,
        "n_communities_fully_covered",
        n_full.reindex(streets["code"], fill_value=0).to_numpy().astype(np.int64),
    )

    kinds = pts["kind"].to_numpy()
    rows = []
    for site_type in ("any", *FACILITY_TYPES):
        types = home if site_type == "any" else [site_type]
        c_csr = matrix.covers(types=types)
        is_cov = np.diff(c_csr.indptr) > 0
        c = c_csr.tocoo()
        near = matrix.nearest_seconds(types=types)
        scope_keys = np.where(kinds == "community", "community", "village")
        for scope in ("district", "community", "village"):
            sel = np.ones(len(pts), dtype=bool) if scope == "district" else scope_keys == scope
            g = np.where(sel, scope, "_")
            pairs = pd.DataFrame({"g": g[c.row], "s": matrix.site_ids[c.col]})
            row = _summaries(g, np.array([scope]), el, wd, is_cov, near, pairs).iloc[0].to_dict()
            n_sites = len(set(matrix.site_ids[np.isin(matrix.site_types, types)]))
            rows.append(
                {"scope": scope, "facility_type": site_type, "n_facilities": n_sites, **row}
            )
    if medical_columns is not None:
        cols = np.asarray(medical_columns, dtype=bool) & np.isin(matrix.site_types, home)
        limit = np.where(
            kinds == "community",
            60.0 * float(settings.medical_care_minutes.get("community", 15.0)),
            60.0 * float(settings.medical_care_minutes.get("village", 25.0)),
        )
        r, c, secs = matrix._entries()
        ok = cols[c] & (secs <= limit[r])
        is_cov = np.zeros(len(pts), dtype=bool)
        is_cov[r[ok]] = True
        near = matrix.nearest_seconds(columns=cols)
        scope_keys = np.where(kinds == "community", "community", "village")
        for scope in ("district", "community", "village"):
            sel = np.ones(len(pts), dtype=bool) if scope == "district" else scope_keys == scope
            g = np.where(sel, scope, "_")
            pairs = pd.DataFrame({"g": g[r[ok]], "s": matrix.site_ids[c[ok]]})
            row = _summaries(g, np.array([scope]), el, wd, is_cov, near, pairs).iloc[0].to_dict()
            rows.append(
                {
                    "scope": scope,
                    "facility_type": "medical_care",
                    "n_facilities": len(set(matrix.site_ids[cols])),
                    **row,
                }
            )
    district = pd.DataFrame(rows)
    district.insert(0, "name", district_name)
    return com, st, district


def medical_care_columns(
    matrix: CoverageMatrix, health: gpd.GeoDataFrame | None, *, max_distance_m: float = 500.0
) -> np.ndarray | None:
    """(k,) which columns of ``matrix`` lie within ``max_distance_m`` of a health facility.

    None without health facilities (the 医养结合 measure is then not reported).
    """
    if health is None or len(health) == 0:
        return None
    geoms = np.asarray(health.geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    sites = np.asarray(matrix.site_geometry)
    idx = tree.query(sites, predicate="dwithin", distance=float(max_distance_m))
    out = np.zeros(len(sites), dtype=bool)
    out[np.unique(idx[0])] = True
    return out


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Everything ``siting coverage`` computes; :func:`siting.tables.write_coverage_tables` writes it.

    Attributes
    ----------
    settings
        The coverage settings used.
    demand
        The demand points.
    matrix
        Coverage of the demand by the existing facilities (all types, institutions included; the
        tables count ``settings.home_care_types``).
    communities, streets, district
        Tables of :func:`coverage_tables`.
    indicators
        The plan indicators (PASS/FAIL with their numbers).
    roster
        The care roster aggregated (None without a roster).
    problems
        Every warning of the computation.
    """

    settings: CoverageSettings
    demand: Demand
    matrix: CoverageMatrix
    communities: pd.DataFrame
    streets: pd.DataFrame
    district: pd.DataFrame
    indicators: Indicators
    roster: RosterAggregates | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def district_row(self) -> pd.Series:
        """The district's figures for any home-care facility (a row of ``district``)."""
        d = self.district
        return d[(d["scope"] == "district") & (d["facility_type"] == "any")].iloc[0]

    @property
    def coverage_pct(self) -> float:
        """District coverage of the elderly by any home-care facility, %."""
        return float(self.district_row["coverage_pct"])


def compute_coverage(
    inputs: Inputs,
    graph: WalkGraph,
    *,
    demand: Demand | None = None,
    settings: CoverageSettings | None = None,
) -> CoverageResult:
    """Demand, coverage of the existing facilities, tables, indicators and roster aggregates.

    Parameters
    ----------
    inputs
        The district's validated inputs (:func:`~siting.io.load_inputs`).
    graph
        The older pedestrian's walking graph (:func:`~siting.walking.walking_graph`).
    demand
        Demand points already placed (default: :func:`~siting.demand.build_demand`).
    settings
        Coverage settings (default: the scenario's ``[coverage]``).

    Returns
    -------
    CoverageResult
    """
    settings = settings or CoverageSettings.from_scenario(inputs.scenario)
    demand = demand or build_demand(inputs, graph)
    snapped = snap_demand(graph, demand, max_snap_m=settings.max_snap_m)
    check_attachment(inputs, graph, snapped, max_snap_m=settings.max_snap_m)
    matrix = coverage_matrix(
        graph,
        demand,
        inputs.facilities,
        settings=settings,
        snapped_demand=snapped,
        site_label=inputs.scenario.inputs["facilities"].label
        if "facilities" in inputs.scenario.inputs
        else "facilities",
    )
    com, st, district = coverage_tables(
        matrix,
        demand,
        inputs.communities,
        inputs.streets,
        settings=settings,
        district_name=str(inputs.scenario.settings["scenario"].get("district_name", "")),
        medical_columns=medical_care_columns(
            matrix, inputs.health, max_distance_m=settings.medical_care_max_distance_m
        ),
    )
    indicators = compute_indicators(
        inputs, graph, matrix=matrix, demand=demand, coverage_settings=settings
    )
    roster = roster_from_inputs(inputs)
    problems = [*demand.problems, *matrix.problems]
    problems.extend(indicators.problems)
    if roster is not None:
        problems.extend(roster.problems)
    result = CoverageResult(
        settings=settings,
        demand=demand,
        matrix=matrix,
        communities=com,
        streets=st,
        district=district,
        indicators=indicators,
        roster=roster,
        problems=tuple(problems),
    )
    log.info(
        "compute_coverage: %s demand points, %.1f%% of the elderly covered by home-care facilities; "
        "%d of %d indicators pass",
        f"{len(demand):,}",
        result.coverage_pct,
        sum(1 for i in indicators.items if i.passed),
        len(indicators.items),
    )
    return result


def check_attachment(
    inputs: Inputs, graph: WalkGraph, snapped: SnappedPoints, *, max_snap_m: float
) -> None:
    """Stop when the network attaches less than ``[validation] min_attached_share`` of the homes,
    facilities or candidate sites (:func:`siting.notices.attachment_problems`).

    Raises
    ------
    InputError
        Naming the files, how many points were attached, the snapping distance and the median
        distance to the streets.
    """
    from siting.notices import attachment_of, attachment_problems  # notices builds on this module
    from siting.plausibility import InputLimits

    limits = InputLimits.from_scenario(inputs.scenario)
    errors = attachment_problems(
        inputs,
        attachment_of(inputs, graph, snapped, max_snap_m=max_snap_m),
        max_snap_m=max_snap_m,
        min_share=limits.min_attached_share,
    )
    if errors:
        raise InputError(
            f"scenario {inputs.scenario.path}: the road network does not reach the district's "
            "points; nothing was written",
            errors,
        )


def _demand_problems(graph: WalkGraph, demand: Demand, snapped: SnappedPoints) -> list[Problem]:
    """One warning for homes not attached to a street, one for homes on islands, by community."""
    pts = demand.points
    attached = snapped.is_snapped
    island = np.zeros(len(pts), dtype=bool)
    island[attached] = graph.component[graph.edge_u[snapped.edge_row[attached]]] != 0
    out = []
    for mask, what in (
        (~attached, f"farther than {snapped.max_snap_m:g} m from any walkable street"),
        (island, "on islands cut off from the main walking network"),
    ):
        if not mask.any():
            continue
        codes = (
            pd.Series(pts["elderly"].to_numpy()[mask])
            .groupby(pts["community_code"].to_numpy()[mask])
            .sum()
            .sort_values(ascending=False)
        )
        listing = ", ".join(f"{c} ({v:,.0f})" for c, v in codes.head(8).items())
        more = f" … ({len(codes)} communities)" if len(codes) > 8 else ""
        out.append(
            Problem(
                "demand points",
                f"{int(mask.sum())} of {len(pts)} homes ({pts['elderly'].to_numpy()[mask].sum():,.0f} "
                f"older people) are {what}: they count as not covered; by community: {listing}{more}",
                severity="warning",
                hint="check the network's extent, missing footpaths, and [walking] max_snap_m",
            )
        )
    return out
