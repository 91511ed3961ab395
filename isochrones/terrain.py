"""Elevation along the streets: read a DEM, sample it along every edge.

The walking-time model needs, for every edge, how the ground rises and falls along it, not only
the difference between its two ends: a street over a hill climbs and then descends. Each edge is
cut into ``n`` equal sub-segments no longer than ``spacing_m`` (``n = ceil(length / spacing_m)``),
the DEM is interpolated bilinearly at the ``n + 1`` cut points, and the profile keeps the signed
rise of every sub-segment. All edges are sampled at once (one numpy interpolation along all
edge vertices, one ``pyproj`` transform, one gather of the four neighbouring cells).

Bridges and tunnels (``bridge``/``tunnel`` tag other than ``no``) do not follow the ground: the
DEM under a bridge is the valley floor, above a tunnel the hill. Their profile is a straight
grade between the DEM elevations of their two ends (bridge heads and portals).

Edges the DEM does not cover (outside its extent, or on nodata cells) are treated as flat and
reported as warnings (:class:`~isochrones.errors.Problem`) that give the bounding box of the
uncovered edges and their number.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj
import shapely
from affine import Affine

from isochrones.errors import NetworkInputError, Problem
from isochrones.network import StreetNetwork

__all__ = [
    "Dem",
    "EdgeProfiles",
    "LineVertices",
    "flat_profiles",
    "points_along",
    "read_dem",
    "sample_edge_profiles",
]

log = logging.getLogger(__name__)

#: Default distance between elevation samples along an edge: the SRTM 1-arc-second pixel (~30 m).
DEFAULT_SPACING_M = 30.0


@dataclass(frozen=True, eq=False)
class Dem:
    """A digital elevation model held in memory.

    Parameters
    ----------
    elevation_m
        2-D array (rows, cols) of elevations in metres, float32, NaN where the raster has no data.
    transform
        Affine transform from (col, row) pixel corners to ``crs`` coordinates.
    crs
        CRS of the raster (SRTM tiles are EPSG:4326).
    nodata
        The raster's nodata value as read (informational; those cells are NaN in ``elevation_m``).
    source
        Where the DEM came from (file path), for messages.
    """

    elevation_m: np.ndarray
    transform: Affine
    crs: pyproj.CRS
    nodata: float | None = None
    source: str = ""

    def pixel_coords(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (col, row) of points given in the DEM's CRS (pixel corners are integers)."""
        inv = ~self.transform
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        return inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether points (DEM CRS) fall on the raster's extent."""
        rows, cols = self.elevation_m.shape
        col, row = self.pixel_coords(x, y)
        return (col >= 0) & (col <= cols) & (row >= 0) & (row <= rows)

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear elevation at points ``x``, ``y`` given in the DEM's CRS.

        Pixel values stand for pixel centres. Between the outermost centres and the raster edge
        the nearest centre's value is used. Nodata neighbours are left out and the remaining
        weights renormalised. Returns NaN outside the raster or where all four neighbours are
        nodata.
        """
        z = self.elevation_m
        rows, cols = z.shape
        col, row = self.pixel_coords(x, y)
        c = col - 0.5
        r = row - 0.5
        c0 = np.clip(np.floor(np.nan_to_num(c)), 0, cols - 1).astype(np.intp)
        r0 = np.clip(np.floor(np.nan_to_num(r)), 0, rows - 1).astype(np.intp)
        c1 = np.minimum(c0 + 1, cols - 1)
        r1 = np.minimum(r0 + 1, rows - 1)
        fc = np.clip(c - c0, 0.0, 1.0)
        fr = np.clip(r - r0, 0.0, 1.0)
        total = np.zeros(c.shape)
        weight = np.zeros(c.shape)
        for rr, cc, w in (
            (r0, c0, (1 - fr) * (1 - fc)),
            (r0, c1, (1 - fr) * fc),
            (r1, c0, fr * (1 - fc)),
            (r1, c1, fr * fc),
        ):
            value = z[rr, cc].astype(float)
            ok = np.isfinite(value)
            total += np.where(ok, value * w, 0.0)
            weight += np.where(ok, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = total / weight
        # A point exactly on a valid pixel whose neighbours have no data gets weight 0 there.
        out[weight <= 1e-12] = np.nan
        out[~self.contains(x, y)] = np.nan
        return out


def read_dem(path: str | os.PathLike[str]) -> Dem:
    """Read band 1 of a GeoTIFF (or any raster GDAL reads) into a :class:`Dem`.

    Raises
    ------
    NetworkInputError
        If the file cannot be opened, has no CRS, or holds no valid elevation.
    """
    import rasterio  # imported here: reading files is the only thing that needs it

    path = os.fspath(path)
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform = src.transform
            crs = src.crs
            nodata = src.nodata
    except rasterio.errors.RasterioIOError as exc:
        raise NetworkInputError(
            f"cannot read the DEM {path}: {exc}",
            [Problem(path, "not a readable raster", hint="pass a GeoTIFF such as an SRTM tile")],
        ) from exc
    if crs is None:
        raise NetworkInputError(
            f"the DEM {path} has no CRS",
            [Problem(path, "no CRS", hint="assign one, e.g. gdal_edit.py -a_srs EPSG:4326")],
        )
    elevation = np.ma.filled(band.astype(np.float32), np.nan)
    if not np.isfinite(elevation).any():
        raise NetworkInputError(
            f"the DEM {path} holds no valid elevation",
            [Problem(path, "every cell is nodata", hint="check the tile and its nodata value")],
        )
    dem = Dem(
        elevation_m=elevation,
        transform=transform,
        crs=pyproj.CRS.from_user_input(crs),
        nodata=None if nodata is None else float(nodata),
        source=path,
    )
    log.info(
        "read_dem read %s: %d x %d cells, crs=%s, %.1f%% nodata",
        path,
        elevation.shape[0],
        elevation.shape[1],
        dem.crs.to_string(),
        100.0 * float(np.isnan(elevation).mean()),
    )
    return dem


@dataclass(frozen=True, eq=False)
class EdgeProfiles:
    """Elevation profiles of all edges of a network, as flat arrays.

    Edge ``e`` (positional row of ``network.edges``) is cut into ``n_segments[e]`` equal
    sub-segments; its ``n_segments[e] + 1`` sample points are ``offsets[e]:offsets[e + 1]`` of the
    point arrays, ordered from ``u`` to ``v``; its sub-segments are
    ``offsets[e] - e : offsets[e + 1] - e - 1`` of the segment arrays.

    Attributes
    ----------
    n_segments
        (n_edges,) int64, number of sub-segments per edge (at least 1).
    offsets
        (n_edges + 1,) int64, start of each edge's points in the point arrays.
    point_elevation_m
        (n_points,) float64, elevation used at each sample point (NaN for uncovered edges).
    segment_rise_m
        (n_segments_total,) float64, signed elevation change of each sub-segment going u→v
        (0 for uncovered edges).
    covered
        (n_edges,) bool, whether the DEM gave an elevation at every sample point of the edge.
    spacing_m
        The maximum sample spacing used.
    problems
        Warnings about uncovered edges.
    """

    n_segments: np.ndarray
    offsets: np.ndarray
    point_elevation_m: np.ndarray
    segment_rise_m: np.ndarray
    covered: np.ndarray
    spacing_m: float
    problems: tuple[Problem, ...] = ()

    @property
    def n_edges(self) -> int:
        return len(self.n_segments)

    @property
    def segment_edge(self) -> np.ndarray:
        """(n_segments_total,) edge row of each sub-segment."""
        return np.repeat(np.arange(self.n_edges), self.n_segments)

    @property
    def z_start_m(self) -> np.ndarray:
        """(n_edges,) elevation at ``u`` (NaN where uncovered)."""
        return self.point_elevation_m[self.offsets[:-1]]

    @property
    def z_end_m(self) -> np.ndarray:
        """(n_edges,) elevation at ``v`` (NaN where uncovered)."""
        return self.point_elevation_m[self.offsets[1:] - 1]

    @property
    def rise_m(self) -> np.ndarray:
        """(n_edges,) total climb going u→v: the sum of the positive sub-segment rises."""
        up = np.clip(self.segment_rise_m, 0.0, None)
        return np.bincount(self.segment_edge, weights=up, minlength=self.n_edges)

    @property
    def fall_m(self) -> np.ndarray:
        """(n_edges,) total descent going u→v (positive metres); the climb going v→u."""
        down = np.clip(-self.segment_rise_m, 0.0, None)
        return np.bincount(self.segment_edge, weights=down, minlength=self.n_edges)


def _segment_counts(network: StreetNetwork, spacing_m: float) -> np.ndarray:
    if not spacing_m > 0:
        raise ValueError(f"spacing_m must be > 0, got {spacing_m}")
    lengths = shapely.length(np.asarray(network.edges.geometry.array, dtype=object))
    lengths = np.nan_to_num(lengths, nan=0.0)
    return np.maximum(1, np.ceil(lengths / spacing_m - 1e-9)).astype(np.int64)


def _offsets(n_segments: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(n_segments) + 1, dtype=np.int64)
    np.cumsum(n_segments + 1, out=offsets[1:])
    return offsets


def flat_profiles(network: StreetNetwork, *, spacing_m: float = DEFAULT_SPACING_M) -> EdgeProfiles:
    """Profiles of a network without a DEM: every edge flat and marked as not covered."""
    n_seg = _segment_counts(network, spacing_m)
    offsets = _offsets(n_seg)
    return EdgeProfiles(
        n_segments=n_seg,
        offsets=offsets,
        point_elevation_m=np.full(int(offsets[-1]), np.nan),
        segment_rise_m=np.zeros(int(n_seg.sum())),
        covered=np.zeros(len(n_seg), dtype=bool),
        spacing_m=float(spacing_m),
    )


def tag_strings(edges: pd.DataFrame, column: str) -> np.ndarray:
    """A raw tag column as an object array of stripped lower-case strings ("" where missing)."""
    if column not in edges.columns:
        return np.full(len(edges), "", dtype=object)
    codes, uniques = pd.factorize(edges[column].to_numpy(dtype=object), use_na_sentinel=True)
    clean = np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)
    return clean[codes]  # code -1 (missing) picks the trailing ""


@dataclass(frozen=True, eq=False)
class LineVertices:
    """The vertices of many LineStrings as flat arrays, with their position along their line.

    ``coords`` (m, 2), ``line`` (m,) index of the line each vertex belongs to, ``fraction`` (m,)
    position along the line as a share of its length (0 at the start, 1 at the end), ``first``
    and ``last`` (n_lines,) the index of each line's first and last vertex. ``key`` is
    ``fraction + 2 * line``: increasing over all vertices, for ``np.searchsorted``.
    """

    coords: np.ndarray
    line: np.ndarray
    fraction: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def of(cls, lines: np.ndarray) -> LineVertices:
        coords, line = shapely.get_coordinates(lines, return_index=True)
        step = np.hypot(*np.diff(coords, axis=0).T)
        step[line[1:] != line[:-1]] = 0.0
        cum = np.concatenate(([0.0], np.cumsum(step)))
        first = np.searchsorted(line, np.arange(len(lines)))
        last = np.r_[first[1:], len(line)] - 1
        cum -= cum[first][line]
        total = cum[last][line]
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.where(total > 0, cum / total, 0.0)
        return cls(coords, line, fraction, first, last)

    @property
    def key(self) -> np.ndarray:
        return self.fraction + 2.0 * self.line

    def interpolate(self, lines: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """(k, 2) points at ``fraction`` of the length along line ``lines[i]``."""
        lines = np.asarray(lines, dtype=np.int64)
        f = np.clip(np.asarray(fraction, dtype=float), 0.0, 1.0)
        first, last = self.first[lines], self.last[lines]
        # The segment of each point: from the last vertex at or before it.
        j = np.searchsorted(self.key, f + 2.0 * lines, side="right") - 1
        j = np.clip(j, first, np.maximum(last - 1, first))
        j1 = np.minimum(j + 1, last)
        span = self.fraction[j1] - self.fraction[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(span > 0, (f - self.fraction[j]) / span, 0.0)
        w = np.clip(w, 0.0, 1.0)[:, None]
        return self.coords[j] * (1 - w) + self.coords[j1] * w


def points_along(geoms: np.ndarray, rows: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """(k, 2) coordinates of the points at ``fraction`` (of length) along ``geoms[rows]``.

    The same as ``shapely.line_interpolate_point(..., normalized=True)``, vectorised with numpy
    and without building Point objects.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros((0, 2))
    used, inv = np.unique(rows, return_inverse=True)
    return LineVertices.of(geoms[used]).interpolate(inv, fraction)


def _is_structure(values: np.ndarray) -> np.ndarray:
    """True where a bridge/tunnel tag says the way leaves the ground (anything but empty/no)."""
    return ~np.isin(values, ["", "no", "none", "false", "0"])


def _uncovered_problem(
    network: StreetNetwork, mask: np.ndarray, what: str, dem: Dem
) -> Problem | None:
    n = int(mask.sum())
    if n == 0:
        return None
    edges = network.edges
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray(edges.geometry.array)[mask])
    km = float(np.nansum(edges["length_m"].to_numpy(dtype=float)[mask])) / 1000
    examples = ""
    if "way_id" in edges.columns:
        ids = edges["way_id"].to_numpy()[mask][:5]
        examples = " (ways " + ", ".join(str(i) for i in ids) + (", ...)" if n > 5 else ")")
    return Problem(
        source=dem.source or "DEM",
        message=(
            f"{n:,} edges ({km:,.2f} km){examples} lie {what}; they are treated as flat. "
            f"Uncovered area bbox in {network.crs.to_string()}: "
            f"({xmin:.0f}, {ymin:.0f}, {xmax:.0f}, {ymax:.0f})"
        ),
        hint="use a DEM (mosaic) that covers the whole network, or fill its voids",
        severity="warning",
    )


def sample_edge_profiles(
    network: StreetNetwork, dem: Dem, *, spacing_m: float = DEFAULT_SPACING_M
) -> EdgeProfiles:
    """Sample ``dem`` along every edge of ``network`` at most ``spacing_m`` apart.

    Parameters
    ----------
    network
        Street network in a metric CRS.
    dem
        Elevation model, in any CRS (points are transformed to it).
    spacing_m
        Maximum distance between samples along an edge, metres.

    Returns
    -------
    EdgeProfiles
        Per-edge profiles; ``problems`` lists the uncovered edges as warnings.
    """
    n_seg = _segment_counts(network, spacing_m)
    offsets = _offsets(n_seg)
    n_edges = len(n_seg)
    n_points = int(offsets[-1])
    point_edge = np.repeat(np.arange(n_edges), n_seg + 1)
    k = np.arange(n_points) - offsets[point_edge]
    fraction = k / n_seg[point_edge]
    geoms = np.asarray(network.edges.geometry.array, dtype=object)
    # Edges without geometry get no arcs (walktime reports them); here they are just uncovered.
    bad = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    geoms = np.where(bad, shapely.LineString([(0, 0), (0, 0)]), geoms)
    xy = points_along(geoms, point_edge, fraction)
    transformer = pyproj.Transformer.from_crs(network.crs, dem.crs, always_xy=True)
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    z = dem.sample(np.asarray(x), np.asarray(y))
    z[bad[point_edge]] = np.nan

    finite = np.isfinite(z)
    covered = np.logical_and.reduceat(finite, offsets[:-1])
    outside = np.logical_or.reduceat(~dem.contains(x, y), offsets[:-1]) & ~bad
    on_nodata = ~covered & ~outside & ~bad

    # Bridges and tunnels: straight grade between the two ends.
    structure = np.zeros(n_edges, dtype=bool)
    for tag in ("bridge", "tunnel"):
        structure |= _is_structure(tag_strings(network.edges, tag))
    if structure.any():
        z_start = z[offsets[:-1]]
        z_end = z[offsets[1:] - 1]
        ends_ok = np.isfinite(z_start) & np.isfinite(z_end)
        use = structure[point_edge]
        z = np.where(use, z_start[point_edge] + fraction * (z_end - z_start)[point_edge], z)
        covered = np.where(structure, ends_ok, covered)
        outside = outside & ~(structure & ends_ok)
        on_nodata = on_nodata & ~(structure & ends_ok)

    z = np.where(covered[point_edge], z, np.nan)
    is_last = np.zeros(n_points, dtype=bool)
    is_last[offsets[1:] - 1] = True
    dz = np.diff(z)[~is_last[:-1]]
    segment_rise = np.where(np.repeat(covered, n_seg), dz, 0.0)

    problems = [
        p
        for p in (
            _uncovered_problem(network, outside, "outside the DEM extent", dem),
            _uncovered_problem(network, on_nodata, "on DEM nodata cells", dem),
        )
        if p is not None
    ]
    for p in problems:
        log.warning("%s", p)
    profiles = EdgeProfiles(
        n_segments=n_seg,
        offsets=offsets,
        point_elevation_m=z,
        segment_rise_m=segment_rise,
        covered=covered,
        spacing_m=float(spacing_m),
        problems=tuple(problems),
    )
    log.info(
        "sample_edge_profiles sampled %d edges at %d points (spacing %.0f m); %d edges uncovered",
        n_edges,
        n_points,
        spacing_m,
        int((~covered).sum()),
    )
    return profiles
