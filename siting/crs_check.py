"""Which coordinate system fits? Test the other readings of the layers against the roads.

A point layer declared in one system but written in another lands a few hundred metres from its
streets (GCJ-02 is WGS84 plus up to ~600 m in China, BD-09 a further ~1 km); a layer with longitude
and latitude swapped lands on the other side of the world. When that happens, this module re-reads
the layer's coordinates under every hypothesis — as WGS84 (= CGCS2000 to centimetres), GCJ-02,
BD-09, or with the axes swapped — and measures each reading:

* points: the median distance from a sample of the points to the nearest road (the road network is
  the reference), and the share of them within 100 m of the district polygons;
* polygons: the share of the points (each point layer at its best reading) that fall inside them.

The decision is a pure function of the loaded layers (:func:`check_coordinate_systems`); it never
suggests changing one layer when the mismatch is between layers: polygons shifted relative to the
roads and points are named as such, and points and polygons that agree with each other but not with
the roads are named together.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from siting.coords import convert

__all__ = ["READINGS", "Finding", "LayerFit", "check_coordinate_systems", "declared_system"]

log = logging.getLogger(__name__)

Reading = Literal["wgs84", "gcj02", "bd09", "swapped"]
#: The readings tested, in the order they are reported.
READINGS: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "swapped")
_NAMES = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09", "swapped": "lon/lat swapped"}

#: A point layer is "far from the roads" when its median distance to them exceeds this.
FAR_M = 30.0
#: Points within this distance of a polygon count as inside it (as the district check does).
INSIDE_TOL_M = 100.0


def declared_system(coords: str | None) -> str:
    """The system a layer's coordinates were declared in: ``coords`` or WGS84 (CGCS2000 = WGS84)."""
    value = (coords or "wgs84").lower()
    return "wgs84" if value == "cgcs2000" else value


@dataclass(frozen=True)
class LayerFit:
    """How well one layer fits under each reading (``nan`` where not measured)."""

    layer: str
    kind: Literal["points", "polygons"]
    declared: str
    #: points: median distance to the nearest road, metres, per reading
    road_m: Mapping[str, float] = field(default_factory=dict)
    #: points: share within 100 m of the district; polygons: share of the points inside them
    inside: Mapping[str, float] = field(default_factory=dict)
    n_sampled: int = 0

    @property
    def best(self) -> str:
        """The reading that fits best (the declared one on ties)."""
        if self.kind == "points" and self.road_m:
            scores = {r: v for r, v in self.road_m.items() if np.isfinite(v)}
            if scores:
                return min(scores, key=lambda r: (scores[r], r != self.declared))
        scores = {r: v for r, v in self.inside.items() if np.isfinite(v)}
        if not scores:
            return self.declared
        return max(scores, key=lambda r: (scores[r], r == self.declared))


@dataclass(frozen=True)
class Finding:
    """Layers whose coordinates fit better under another reading, with the numbers."""

    kind: Literal["points", "polygons", "points_and_polygons"]
    #: the inputs to change (``[inputs.<name>]``)
    layers: tuple[str, ...]
    #: the reading that aligns them, per layer
    readings: Mapping[str, str]
    message: str
    hint: str


def _sample(geoms: np.ndarray, n: int, seed: int) -> np.ndarray:
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) <= n:
        return geoms
    rng = np.random.default_rng(seed)
    return geoms[np.sort(rng.choice(len(geoms), n, replace=False))]


def _reread(lonlat: np.ndarray, declared: str, reading: str) -> np.ndarray:
    """Coordinates loaded as ``declared`` → WGS84, re-read as ``reading`` (an (n, 2) array)."""
    if declared == "wgs84":
        raw_lon, raw_lat = lonlat[:, 0], lonlat[:, 1]
    else:
        raw_lon, raw_lat = convert(lonlat[:, 0], lonlat[:, 1], src="wgs84", dst=declared)
    if reading == "swapped":
        raw_lon, raw_lat = raw_lat, raw_lon
        reading = declared
    if not (np.all(np.abs(raw_lat) <= 90) and np.all(np.abs(raw_lon) <= 180)):
        return np.full_like(lonlat, np.nan)
    if reading == "wgs84":
        return np.column_stack([raw_lon, raw_lat])
    return np.column_stack(convert(raw_lon, raw_lat, src=reading, dst="wgs84"))


def _readings(
    geoms: np.ndarray, src_crs, dst_crs, declared: str, *, only: tuple[str, ...] = READINGS
) -> dict[str, np.ndarray | None]:
    """The geometries under each reading of ``only``, in ``dst_crs`` (None: not a valid reading)."""
    out: dict[str, np.ndarray | None] = {}
    if declared in only:  # as loaded
        moved = np.asarray(gpd.GeoSeries(geoms, crs=src_crs).to_crs(dst_crs).values)
        out[declared] = moved if np.isfinite(shapely.get_coordinates(moved)).all() else None
    rest = [r for r in only if r != declared]
    if not rest:
        return out
    to_ll = pyproj.Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True)
    to_work = pyproj.Transformer.from_crs("EPSG:4326", dst_crs, always_xy=True)
    coords = shapely.get_coordinates(geoms)
    lonlat = np.column_stack(to_ll.transform(coords[:, 0], coords[:, 1], errcheck=False))
    for reading in rest:
        ll = _reread(lonlat, declared, reading)
        xy = np.column_stack(to_work.transform(ll[:, 0], ll[:, 1], errcheck=False))
        ok = np.isfinite(xy).all()
        out[reading] = shapely.transform(geoms, lambda _, xy=xy: xy) if ok else None
    return out


def _median_road_m(points: np.ndarray | None, roads: shapely.STRtree) -> float:
    if points is None or len(points) == 0:
        return float("nan")
    _, dist = roads.query_nearest(points, return_distance=True, all_matches=False)
    return float(np.median(dist))


def _share_inside(points: np.ndarray | None, polygons: np.ndarray | None) -> float:
    if points is None or polygons is None or len(points) == 0:
        return float("nan")
    tree = shapely.STRtree(polygons)
    hit = tree.query(points, predicate="dwithin", distance=INSIDE_TOL_M)[0]
    return len(np.unique(hit)) / len(points)


def _outside_text(fit: LayerFit, reading: str) -> str:
    return f"{round(fit.n_sampled * (1 - fit.inside[reading])):,}"


def _fmt_m(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:,.0f} m"


def _keyword(reading: str, declared: str) -> str:
    if reading == "swapped":
        return "swap the lon/lat columns (or the axis order) of"
    return f'set coords = "{reading}" on'


def _inputs(names) -> str:
    return ", ".join(f"[inputs.{n}]" for n in names)


def check_coordinate_systems(
    points: Mapping[str, gpd.GeoDataFrame | None],
    polygons: Mapping[str, gpd.GeoDataFrame | None],
    *,
    roads: gpd.GeoSeries | None,
    declared: Mapping[str, str | None],
    crs: pyproj.CRS | str,
    district: str = "district",
    sample: int = 500,
    far_m: float = FAR_M,
    seed: int = 0,
) -> tuple[tuple[Finding, ...], tuple[LayerFit, ...]]:
    """Findings about layers that fit better under another coordinate system, and the fits.

    Parameters
    ----------
    points
        Point layers by input name (facilities, health, candidates, roster), as loaded.
    polygons
        Polygon layers by input name (district, streets, communities), as loaded.
    roads
        The road network's edge geometries (the reference), or None (then only the polygons are).
    declared
        Each layer's declared ``coords`` (None: WGS84; ``cgcs2000`` = WGS84).
    crs
        The metric working CRS distances are measured in.
    district
        The polygon layer the points' "inside" share is measured against (else the first one).
    sample
        Points sampled per layer.
    far_m
        A point layer whose median distance to the roads is above this is tested.

    Returns
    -------
    findings, fits
    """
    crs = pyproj.CRS.from_user_input(crs)
    poly_layers = {k: g for k, g in polygons.items() if g is not None and len(g)}
    ref_name = district if district in poly_layers else next(iter(poly_layers), None)
    road_tree = None
    if roads is not None and len(roads):
        road_tree = shapely.STRtree(np.asarray(roads.to_crs(crs).values))
    ref_poly = None
    if ref_name is not None:
        g = poly_layers[ref_name]
        ref_poly = np.asarray(g.to_crs(crs).geometry.values)

    def point_fits(only: tuple[str, ...]) -> tuple[list[LayerFit], dict]:
        fits, read = [], {}
        layers = [(k, g) for k, g in points.items() if g is not None and len(g)]
        for i, (name, g) in enumerate(layers):
            decl = declared_system(declared.get(name))
            geoms = _sample(np.asarray(g.geometry.values), sample, seed + i)
            read[name] = _readings(geoms, g.crs, crs, decl, only=only or (decl,))
            road_m = (
                {r: _median_road_m(p, road_tree) for r, p in read[name].items()}
                if road_tree is not None
                else {}
            )
            inside = {r: _share_inside(p, ref_poly) for r, p in read[name].items()}
            fits.append(LayerFit(name, "points", decl, road_m, inside, len(geoms)))
        return fits, read

    # first the layers as declared: nothing more to do when every point is near a road and inside
    fits, point_read = point_fits(())
    suspect = [
        f
        for f in fits
        if not f.road_m.get(f.declared, 0.0) <= far_m or not f.inside.get(f.declared, 1.0) >= 1.0
    ]
    if not suspect:
        return (), tuple(fits)
    fits, point_read = point_fits(READINGS)
    poly_read = {
        k: _readings(np.asarray(g.geometry.values), g.crs, crs, declared_system(declared.get(k)))
        for k, g in poly_layers.items()
    }

    # which point layers must change: far from the roads, and another reading much closer
    change: dict[str, str] = {}
    for fit in fits:
        best, now = fit.best, np.nan_to_num(fit.road_m.get(fit.declared, np.inf), nan=np.inf)
        if best == fit.declared:
            continue
        if fit.road_m:
            after = fit.road_m[best]
            if now > far_m and after < 0.5 * now and now - after > 20.0:
                change[fit.layer] = best
        else:  # no roads: the district decides
            was = np.nan_to_num(fit.inside[fit.declared], nan=0.0)
            if was < 0.8 and fit.inside[best] > was + 0.2:
                change[fit.layer] = best

    # polygons against the points, each point layer at its best reading
    ref_points = [
        point_read[f.layer][change.get(f.layer, f.declared)]
        for f in fits
        if point_read[f.layer][change.get(f.layer, f.declared)] is not None
    ]
    pooled = np.concatenate(ref_points) if ref_points else None
    poly_change: dict[str, str] = {}
    for name, read in poly_read.items():
        decl = declared_system(declared.get(name))
        inside = {r: _share_inside(pooled, p) for r, p in read.items()}
        fit = LayerFit(name, "polygons", decl, {}, inside, 0 if pooled is None else len(pooled))
        fits.append(fit)
        best = fit.best
        if pooled is not None and best != decl:
            n = len(pooled)
            out_now, out_best = n * (1 - inside[decl]), n * (1 - inside[best])
            if out_now >= 3 and out_best <= 0.25 * out_now:
                poly_change[name] = best

    findings: list[Finding] = []
    by_name = {f.layer: f for f in fits}
    # points that agree with the polygons as declared but not with the roads: a mismatch between
    # {points, polygons} and the roads, not a problem of the points alone
    joint = [
        n
        for n in change
        if poly_change and by_name[n].inside[by_name[n].declared] >= by_name[n].inside[change[n]]
    ]
    if joint:
        names = tuple(joint) + tuple(poly_change)
        fit = by_name[joint[0]]
        r = change[joint[0]]
        shown = ", ".join(
            f"{_NAMES[x]} {_fmt_m(fit.road_m[x])}"
            for x in READINGS
            if x != fit.declared and np.isfinite(fit.road_m[x])
        )
        findings.append(
            Finding(
                "points_and_polygons",
                names,
                {n: change.get(n) or poly_change[n] for n in names},
                f"{_inputs(joint)} and {_inputs(poly_change)} agree with each other "
                f"({fit.inside[fit.declared]:.0%} of the points inside the district as declared) "
                f"but not with the roads [inputs.network]: the points sit "
                f"{_fmt_m(fit.road_m[fit.declared])} from the roads as declared "
                f"({_NAMES[fit.declared]}); read as {shown}",
                f"these layers and the roads are in different systems: if the roads are as declared, "
                f"{_keyword(r, fit.declared)} {_inputs(names)}; otherwise declare the road "
                f"network's system in [inputs.network]",
            )
        )
    for name, r in change.items():
        if name in joint:
            continue
        fit = by_name[name]
        shown = ", ".join(
            f"{_fmt_m(fit.road_m[x])} as {_NAMES[x]}"
            for x in READINGS
            if x not in (r, fit.declared) and np.isfinite(fit.road_m[x])
        )
        findings.append(
            Finding(
                "points",
                (name,),
                {name: r},
                f"these points sit {_fmt_m(fit.road_m[r])} from the roads if read as {_NAMES[r]}, "
                f"{_fmt_m(fit.road_m[fit.declared])} as declared ({_NAMES[fit.declared]}), {shown}; "
                f"{fit.inside[r]:.0%} of them inside the district read as {_NAMES[r]}, "
                f"{fit.inside[fit.declared]:.0%} as declared",
                f"{_keyword(r, fit.declared)} [inputs.{name}]",
            )
        )
    if poly_change and not joint:
        first = by_name[next(iter(poly_change))]
        r = poly_change[first.layer]
        findings.append(
            Finding(
                "polygons",
                tuple(poly_change),
                dict(poly_change),
                f"the polygons of {_inputs(poly_change)} are shifted relative to the roads and the "
                f"points (which fit the roads): {_outside_text(first, first.declared)} of "
                f"{first.n_sampled} sampled points lie outside them as declared "
                f"({_NAMES[first.declared]}), {_outside_text(first, r)} if read as {_NAMES[r]}",
                f"{_keyword(r, first.declared)} {_inputs(poly_change)} (the points are not the "
                f"problem)",
            )
        )
    for f in findings:
        log.info("coordinate check: %s — %s", f.message, f.hint)
    return tuple(findings), tuple(fits)
