"""Reading street networks: OpenStreetMap files and road-centreline layers.

Both readers return a :class:`~isochrones.network.StreetNetwork` (edges split at junctions, full
geometry, metric CRS); :func:`to_networkx` converts one to an osmnx-style graph.

OpenStreetMap (:func:`read_osm`)
    * Ways whose ``highway`` value is in :data:`~isochrones.network.WALKABLE_HIGHWAYS` are kept;
      every other value is dropped: :data:`~isochrones.network.NON_WALKABLE_HIGHWAYS` and the
      values that are not street segments (``platform``, ``bus_stop``, ``elevator``,
      ``crossing``, ``trail``, typos, ...). Their counts are in ``network.meta``. ``access`` and
      ``foot`` are carried, not applied: the time model decides.
    * ``area=yes`` ways (pedestrian squares) are kept as their outline, a ring, so the streets
      ending on the square stay connected; crossing the square is not modelled, so times over
      it are on the long (safe) side. Multipolygon relations are not read.
    * A way is split at every node it shares with another kept way (or visits twice) and at its
      ends: OSM's junction rule. Ways crossing without a shared node (bridges, tunnels, and
      mapping errors) stay unconnected.
    * ``oneway`` is True for ``yes``/``true``/``1``/``-1``; for ``-1`` the geometry is reversed so
      that ``u`` to ``v`` is the legal direction. Pedestrians may still walk both ways.
    * Lengths are planar, in the working CRS (CGCS2000 3° Gauss-Krüger in China, UTM elsewhere):
      within 0.03 % of geodesic lengths for an area the size of a district.
    * Node references missing from the file (ways clipped at an extract's edge) and, with
      ``bbox``, nodes outside the box, cut the way there: the pieces inside are kept.
    * Zero-length edges (duplicate nodes at one place) are dropped and their nodes merged into
      the smallest id; closed ways become self-loops (``u == v``) and are kept, having length.

Road-centreline layers (:func:`read_centrelines`)
    See the function; the road-class map is :data:`DEFAULT_CLASS_MAP`, one-way values are in
    :data:`ONEWAY_VALUES`. Navigation-style link layers (Amap, NavInfo, planning bureaus' link
    exports) load too: without a class column every link gets ``default_class``; direction
    columns are read (and ignored by the walking model unless it is told to respect them), links
    coded closed are dropped; from/to z-level columns keep overpasses and tunnels from becoming
    junctions; ``exclude`` drops links by a column value (expressways).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from isochrones import _build
from isochrones.coords import (
    DECLARED_SYSTEMS,
    declared_system,
    geometries_to_wgs84,
)
from isochrones.crs import in_china, working_crs
from isochrones.errors import NetworkInputError, Problem
from isochrones.network import (
    EDGE_COLUMNS,
    NON_WALKABLE_HIGHWAYS,
    WALKABLE_HIGHWAYS,
    StreetNetwork,
)

__all__ = [
    "CENTRELINE_COLUMNS",
    "DEFAULT_CLASS_MAP",
    "ONEWAY_VALUES",
    "OptionHint",
    "read_centrelines",
    "read_osm",
    "to_networkx",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

#: How a hint names an option of :func:`read_centrelines`: ``(option, value) -> text``, where
#: ``option`` is the keyword (``"default_class"``) or keyword and key (``"columns.highway"``),
#: ``value`` an example value. The default writes Python (``default_class='residential'``); a
#: caller reading the options from a settings file passes one that writes its syntax.
OptionHint = Callable[[str, Any], str]


def python_option(option: str, value: Any) -> str:
    """``default_class='residential'``, ``columns={'highway': '<column>'}``: a Python hint."""
    if "." in option:
        head, key = option.split(".", 1)
        return f"pass {head}={{{key!r}: {value!r}}}"
    return f"pass {option}={value!r}"


#: OSM tags carried onto the edges (besides ``way_id``).
_OSM_TAGS = (
    "highway",
    "oneway",
    "step_count",
    "incline",
    "access",
    "foot",
    "footway",
    "sidewalk",
    "bridge",
    "tunnel",
    "name",
)
_STR_COLUMNS = ("step_count", "incline", "access", "foot", "footway", "sidewalk", "name")
_UNDEFINED_COORDINATE = 2147483647  # libosmium's x/y of a node it has not seen

#: Road classes of Chinese planning layers (and common synonyms) → OSM ``highway`` values.
#: Values mapped to a :data:`~isochrones.network.NON_WALKABLE_HIGHWAYS` value are dropped.
#: 快速路 (urban expressway) is grade separated and closed to pedestrians, so it maps to
#: ``motorway``; if a layer draws an expressway and its side roads (辅道) as one line, map
#: 快速路 to ``trunk`` instead. OSM highway values themselves are always accepted as they are.
DEFAULT_CLASS_MAP: dict[str, str] = {
    "高速公路": "motorway",
    "高速路": "motorway",
    "快速路": "motorway",
    "城市快速路": "motorway",
    "匝道": "motorway_link",
    "辅道": "secondary",
    "辅路": "secondary",
    "国道": "trunk",
    "省道": "primary",
    "县道": "secondary",
    "主干路": "primary",
    "主干道": "primary",
    "次干路": "secondary",
    "次干道": "secondary",
    "支路": "residential",
    "街巷": "living_street",
    "巷道": "living_street",
    "小区道路": "service",
    "内部道路": "service",
    "乡道": "unclassified",
    "村道": "unclassified",
    "机耕道": "track",
    "人行道": "footway",
    "步行道": "footway",
    "人行天桥": "footway",
    "人行地道": "footway",
    "步行街": "pedestrian",
    "步道": "path",
    "游步道": "path",
    "绿道": "path",
    "梯道": "steps",
    "台阶": "steps",
    "梯坎": "steps",
    "步梯": "steps",
    "自行车道": "cycleway",
    "在建": "construction",
    "规划": "proposed",
}

#: One-way values of centreline layers (compared lower-case, stripped). ``forward``: one way in
#: drawing direction; ``backward``: one way against it (the geometry is reversed); ``both``:
#: two-way; ``closed``: closed to all traffic (禁行, 封闭), the link is dropped. ``F``/``T``/``B``
#: follow Geofabrik's shapefiles, ``FT``/``TF`` ArcGIS networks. Numeric codes of navigation
#: data differ between providers (NavInfo's ``DIRECTION`` is 1 both, 2 forward, 3 backward;
#: others use 0 both, 1 forward, 2 backward, 3 closed), so only 1/0/-1 are read by default:
#: declare a layer's coding with ``oneway_values``.
ONEWAY_VALUES: dict[str, frozenset[str]] = {
    "forward": frozenset({"1", "yes", "y", "true", "是", "单行", "单向", "ft", "f", "顺向"}),
    "backward": frozenset({"-1", "tf", "t", "reverse", "逆向"}),
    "both": frozenset({"0", "no", "n", "false", "否", "双向", "双行", "b", ""}),
    "closed": frozenset({"closed", "禁行", "禁止通行", "封闭", "封路", "不通行"}),
}

#: Canonical attribute names ``read_centrelines`` understands, with the column names it looks
#: for (case-insensitive) when ``columns`` does not say.
CENTRELINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "highway": ("highway", "fclass", "road_class", "class", "道路等级", "等级", "道路类型"),
    "name": ("name", "名称", "道路名称", "路名"),
    "oneway": ("oneway", "direction", "dir", "dir_travel", "方向", "通行方向", "单行", "单向"),
    "step_count": ("step_count",),
    "incline": ("incline",),
    "access": ("access",),
    "foot": ("foot",),
    "footway": ("footway",),
    "sidewalk": ("sidewalk",),
    "bridge": ("bridge", "桥梁"),
    "tunnel": ("tunnel", "隧道"),
    "layer": ("layer", "z_level", "zlevel", "zlev", "层级"),
    "z_from": ("z_from", "f_zlev", "from_zlev", "ref_zlev", "起点层级"),
    "z_to": ("z_to", "t_zlev", "to_zlev", "nref_zlev", "终点层级"),
}

#: Other names ``columns`` accepts for a canonical attribute.
_COLUMN_ALIASES: dict[str, str] = {"z_level": "layer"}

_FALSE_FLAGS = frozenset({"", "0", "no", "n", "false", "f", "否", "无", "none", "null"})


# --------------------------------------------------------------------------- OpenStreetMap


def read_osm(
    path: PathLike,
    *,
    crs: Any = None,
    bbox: tuple[float, float, float, float] | None = None,
    coords: str | None = None,
) -> StreetNetwork:
    """Read the walkable street network of an OpenStreetMap file.

    Parameters
    ----------
    path
        ``.osm`` (XML), ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``; ways must come after the nodes
        they use, as in every extract (else run ``osmium sort``).
    crs
        Metric CRS to work in (anything :meth:`pyproj.CRS.from_user_input` takes); default
        :func:`~isochrones.crs.working_crs` of the centre of the kept ways.
    bbox
        ``(west, south, east, north)`` in degrees (WGS84): keep only nodes inside; ways leaving
        the box are cut at their last node inside.
    coords
        Offset system of the file's longitudes/latitudes, ``{'wgs84', 'cgcs2000', 'gcj02',
        'bd09'}`` (None: WGS84): real OSM data is WGS84; a file re-encoded from Amap (GCJ-02) or Baidu (BD-09)
        data is converted to WGS84 node by node (:mod:`isochrones.coords`). ``bbox`` is in WGS84.

    Returns
    -------
    StreetNetwork
        Node ids are OSM node ids, ``way_id`` the OSM way id; ``meta`` counts what was dropped.

    Raises
    ------
    NetworkInputError
        The file is missing, unreadable or has no walkable way (inside ``bbox``).
    """
    path = Path(path)
    name = path.name
    _require_file(path, "OpenStreetMap file")
    target = _metric_crs(crs) if crs is not None else None
    box = _check_bbox(bbox)
    offset = _coords_system(name, coords)

    scan = _scan_osm(path)
    lon = scan["x"] / 1e7
    lat = scan["y"] / 1e7
    valid = scan["x"] != _UNDEFINED_COORDINATE
    n_converted = 0
    if offset != "wgs84" and valid.any():
        lonlat = geometries_to_wgs84(shapely.points(lon[valid], lat[valid]), src=offset)
        lon, lat = lon.copy(), lat.copy()
        lon[valid], lat[valid] = shapely.get_x(lonlat), shapely.get_y(lonlat)
        n_converted = int(valid.sum())
    n_missing = int((~valid).sum())
    if box is not None:
        w, s, e, n = box
        valid &= (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)

    # runs of consecutive usable vertices within a way become parts
    way = scan["way"]
    ref = scan["ref"]
    prev_ok = np.r_[False, valid[:-1]] & np.r_[False, way[1:] == way[:-1]]
    part = np.cumsum(valid & ~prev_ok) - 1
    keep = valid.copy()
    # consecutive repeats of one node (invalid, but found in the wild)
    keep[1:] &= ~((ref[1:] == ref[:-1]) & (part[1:] == part[:-1]) & valid[:-1])
    ref, way, part, lon, lat = ref[keep], way[keep], part[keep], lon[keep], lat[keep]
    size = np.bincount(part, minlength=int(part.max()) + 1 if len(part) else 0)
    big = size[part] >= 2
    ref, way, part, lon, lat = ref[big], way[big], part[big], lon[big], lat[big]

    if len(ref) == 0:
        raise NetworkInputError(_no_ways_message(name, scan["seen"], n_missing, bbox))

    _, part = np.unique(part, return_inverse=True)
    part_way = np.zeros(part.max() + 1, dtype=np.int64)
    part_way[part] = way

    if target is None:
        target = working_crs(
            (float(lon.min()) + float(lon.max())) / 2, (float(lat.min()) + float(lat.max())) / 2
        )
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)
    x, y = to_metric.transform(lon, lat)

    _, inverse, counts = np.unique(ref, return_inverse=True, return_counts=True)
    is_node = counts[inverse] >= 2
    tags = scan["tags"]
    reverse_part = (tags["oneway"] == "-1").to_numpy()[part_way]
    edges = _build.split_parts(ref, x, y, part, is_node, reverse_part)
    edges, merged, n_zero = _build.drop_zero_length(edges)

    attributes = _osm_attributes(tags).iloc[part_way].reset_index(drop=True)
    nodes_gdf, edges_gdf = _build.assemble_network(edges, attributes, target)

    seen = scan["seen"]
    dropped = {k: v for k, v in seen.items() if k not in WALKABLE_HIGHWAYS}
    meta = {
        "ways_kept": len(np.unique(way)),
        "dropped_highways": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        "area_ways_kept": int(tags["area"].iloc[np.unique(way)].eq("yes").sum()),
        "missing_node_refs": n_missing,
        "zero_length_edges_dropped": n_zero,
        "merged_nodes": merged,
        "bbox": box,
        "coords": offset,
        "vertices_converted": n_converted,
    }
    if n_missing:
        logger.info(
            "read_osm: %s references %s nodes it does not contain; ways were cut there",
            name,
            f"{n_missing:,}",
        )
    if n_zero:
        logger.info("read_osm: dropped %d zero-length edges in %s", n_zero, name)
    network = StreetNetwork(nodes_gdf, edges_gdf, target, source=str(path), meta=meta)
    _log_summary("read_osm", name, network)
    return network


def _scan_osm(path: Path) -> dict[str, Any]:
    """One pass over the file: the node references and tags of walkable ways."""
    import osmium  # heavy import, needed only here

    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    way_of: list[int] = []
    rows: list[tuple] = []
    seen: Counter[str] = Counter()
    walkable = WALKABLE_HIGHWAYS
    keys = (*_OSM_TAGS, "area")
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for w in processor:
            tags = w.tags
            highway = tags.get("highway")
            seen[highway] += 1
            if highway not in walkable:
                continue
            k = len(rows)
            rows.append((w.id, *(tags.get(t) for t in keys)))
            start = len(refs)
            for nr in w.nodes:
                loc = nr.location
                refs.append(nr.ref)
                xs.append(loc.x)
                ys.append(loc.y)
            way_of.extend([k] * (len(refs) - start))
    except RuntimeError as exc:
        raise NetworkInputError(
            f"{path.name}: cannot read it as OpenStreetMap data ({exc}) — give an OSM XML "
            f"(.osm, .osm.bz2, .osm.gz) or PBF (.osm.pbf) file; a download that was cut short "
            f"or mislabelled also gives this error"
        ) from exc
    tags = pd.DataFrame(rows, columns=["way_id", *keys])
    return {
        "ref": np.asarray(refs, dtype=np.int64),
        "x": np.asarray(xs, dtype=np.int64),
        "y": np.asarray(ys, dtype=np.int64),
        "way": np.asarray(way_of, dtype=np.int64),
        "tags": tags,
        "seen": seen,
    }


def _osm_attributes(tags: pd.DataFrame) -> pd.DataFrame:
    """Edge attribute columns from raw way tags (one row per way)."""
    out = pd.DataFrame(index=tags.index)
    out["highway"] = tags["highway"].astype(object)
    oneway = tags["oneway"].fillna("").str.strip().str.lower()
    out["oneway"] = oneway.isin({"yes", "true", "1", "-1"}).to_numpy(bool)
    for col in (*_STR_COLUMNS, "bridge", "tunnel"):
        out[col] = tags[col].astype(object).where(tags[col].notna(), None)
    out["incline"] = _build.flip_incline(
        out["incline"].to_numpy(dtype=object), (oneway == "-1").to_numpy(bool)
    )
    out["way_id"] = tags["way_id"].astype(np.int64)
    return out


def _no_ways_message(
    name: str, seen: Counter[str], n_missing: int, bbox: tuple[float, ...] | None
) -> str:
    walkable = [h for h, _ in seen.most_common() if h in WALKABLE_HIGHWAYS]
    text = f"{name} contains no walkable ways (highway={', '.join(sorted(WALKABLE_HIGHWAYS))})"
    if walkable and bbox is not None:
        return text + f" inside bbox {bbox}; it has {sum(seen[h] for h in walkable):,} outside"
    if walkable and n_missing:
        return (
            text + f"; its {sum(seen[h] for h in walkable):,} walkable ways reference nodes the "
            "file does not contain (or that come after the ways: sort it with `osmium sort`)"
        )
    if not seen:
        return text + "; it has no ways with a highway tag at all"
    found = ", ".join(f"{h} ({n:,})" for h, n in seen.most_common(12))
    return text + f"; found highway={found}"


# --------------------------------------------------------------------------- centrelines


def read_centrelines(
    path: PathLike,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    class_map: Mapping[str, str | None] | None = None,
    snap_tolerance_m: float = 1.0,
    crs: Any = None,
    split_at_crossings: bool = True,
    grade_separated: str | Sequence[bool] | np.ndarray | None = None,
    source_crs: Any = None,
    encoding: str | None = None,
    coords: str | None = None,
    default_class: str | None = None,
    oneway_values: Mapping[str, str] | None = None,
    exclude: Mapping[str, Sequence[Any]] | None = None,
    option_hint: OptionHint | None = None,
) -> StreetNetwork:
    """Build the street network of a road-centreline layer (SHP, GPKG, GeoJSON, ...).

    Multi-part features are exploded; Z is dropped; the layer is reprojected to the metric
    working CRS. Line ends within ``snap_tolerance_m`` of each other become one node; a line end
    within ``snap_tolerance_m`` of another line's interior is moved onto it and splits it
    (T-junction). With ``split_at_crossings``, lines crossing each other are split at the
    crossing, except grade-separated ones: features flagged by the ``bridge`` or ``tunnel``
    column or by ``grade_separated`` are never split by crossings, nor lines on different
    ``layer`` values; they connect at their ends only. T-junctions need the same level (equal
    ``layer`` and flag). With from/to z-level columns (``z_from``/``z_to``, as in navigation
    data), line ends join only ends (and lines) at the same z-level, a link whose two ends are on
    different levels (a ramp) is grade separated, and a link on one level crosses only links on
    that level. Every problem found is reported at once.

    Navigation links: ``default_class`` is given to every link when the layer has no class
    column, and to the links whose class is empty (an unknown, non-empty class is still an
    error: a typo must not become a street). The direction column (``oneway``) is read into the
    ``oneway`` edge column; the walking model ignores it unless told otherwise, except that links
    coded ``closed`` are dropped. ``exclude`` drops links by column value before anything else.

    Parameters
    ----------
    path
        The file (any format GDAL reads).
    layer
        Layer name; needed when the file has several line layers.
    columns
        Canonical name → column of the layer, e.g. ``{"highway": "DLDJ", "name": "LM"}``.
        Canonical names are the keys of :data:`CENTRELINE_COLUMNS`; those not given are looked
        up by the names listed there. ``highway`` (the road class) is required.
    class_map
        Road-class value → OSM ``highway`` value, merged over :data:`DEFAULT_CLASS_MAP`; map a
        value to ``None`` to drop its features. OSM highway values need no entry.
    snap_tolerance_m
        Gap (metres) below which line ends are joined; 0 joins only exactly touching ends.
    crs
        Metric CRS to work in; default :func:`~isochrones.crs.working_crs` of the layer's centre.
    split_at_crossings
        Whether lines crossing at the same level form a junction.
    grade_separated
        Name of a column whose true values (1, yes, 是, true, ...) mark features off the ground
        level, or one boolean per feature.
    source_crs
        CRS of the file's coordinates, when the file declares none (a shapefile without
        ``.prj``) or a wrong one; overrides the file's.
    encoding
        Text encoding of the attributes, when the file does not declare it (``"gbk"`` for many
        Chinese shapefiles without ``.cpg``).
    coords
        Offset system of the layer's longitudes/latitudes, ``{'wgs84', 'cgcs2000', 'gcj02',
        'bd09'}``: navigation and Amap layers are GCJ-02 while their file says EPSG:4326. Every
        vertex is converted to WGS84 before the layer is reprojected (:mod:`isochrones.coords`,
        exact to 1e-9°). None: not declared (WGS84). Any declared value on a layer in
        projected metres is an error: the systems are offsets of longitudes/latitudes.
    default_class
        Road class (OSM highway value, or a class :data:`DEFAULT_CLASS_MAP`/``class_map``
        knows) of links without one: all of them when there is no class column.
    oneway_values
        The layer's direction codes → ``{"both", "forward", "backward", "closed"}``, over
        :data:`ONEWAY_VALUES`, e.g. NavInfo ``{"1": "both", "2": "forward", "3": "backward"}``.
    exclude
        Column of the layer → values whose links are dropped, e.g. ``{"KIND": ["高速公路"]}``
        (compared as stripped text; 1 and 1.0 match "1").
    option_hint
        How hints name these options (default :func:`python_option`).

    Returns
    -------
    StreetNetwork
        Node ids are generated (0, 1, ...); ``way_id`` is the feature id (FID) of the source row,
        as QGIS and ``ogrinfo`` show it. ``oneway`` follows :data:`ONEWAY_VALUES` (backward lines
        are reversed). ``bridge``/``tunnel`` are ``"yes"`` where flagged, else None. ``meta``
        counts ``default_class_links``, ``closed_links`` and ``excluded_by_value`` (per column).

    Raises
    ------
    NetworkInputError
        Missing file or layer, unknown columns, empty layer, non-line, empty or invalid
        geometries, missing or implausible CRS, unknown road classes, non-numeric ``layer``.
    """
    path = Path(path)
    _require_file(path, "centreline layer")
    target = _metric_crs(crs) if crs is not None else None
    offset = _coords_system(path.name, coords)
    if snap_tolerance_m < 0:
        raise NetworkInputError(f"snap_tolerance_m must be >= 0, got {snap_tolerance_m}")
    layer = _choose_layer(path, layer)
    src = f"{path.name} layer '{layer}'"
    try:
        gdf = pyogrio.read_dataframe(
            path, layer=layer, fid_as_index=True, encoding=encoding, on_invalid="ignore"
        )
    except Exception as exc:  # GDAL raises many kinds; all mean the same to the user
        raise NetworkInputError(f"{src}: cannot read it ({exc})") from exc
    if len(gdf) == 0:
        raise NetworkInputError(f"{src} is empty: it has no features")

    problems: list[Problem] = []
    say = option_hint or python_option
    fids = gdf.index.to_numpy()
    mapping = _resolve_columns(src, gdf, columns, problems, say, default_class is not None)

    # geometry checks
    geoms = shapely.force_2d(gdf.geometry.to_numpy())
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    type_id = shapely.get_type_id(geoms)
    is_line = np.isin(type_id, [1, 2, 5]) & ~missing
    for i in np.flatnonzero(missing):
        problems.append(
            Problem(
                src,
                "the feature has no geometry (empty or unreadable)",
                row=int(fids[i]),
                hint="delete the feature or redraw it",
            )
        )
    for i in np.flatnonzero(~is_line & ~missing):
        problems.append(
            Problem(
                src,
                f"{geoms[i].geom_type} geometry; road "
                "centrelines must be LineString or MultiLineString",
                row=int(fids[i]),
                hint="remove it or convert it to centrelines",
            )
        )
    parts, part_row = shapely.get_parts(np.where(is_line, geoms, None), return_index=True)
    bad_part = ~_finite_parts(parts) | ~shapely.is_valid(parts) | (shapely.length(parts) <= 0)
    for r in np.unique(part_row[bad_part]):
        problems.append(
            Problem(
                src,
                "invalid line: fewer than two distinct points or non-finite coordinates",
                row=int(fids[r]),
                hint="redraw or delete the feature",
            )
        )

    source = _source_crs(src, gdf, source_crs, geoms[is_line], problems, say)
    n_converted = 0
    if coords is not None and not source.is_geographic:
        problems.append(
            Problem(
                src,
                f"coords = '{coords}' on a layer in projected metres ({source.name}): "
                "coords says which offset longitudes/latitudes carry",
                column="coords",
                hint="remove `coords` (the layer's CRS is used as it is), or export the "
                "layer as longitude/latitude in its original system and declare that",
            )
        )
    elif offset != "wgs84":
        parts = geometries_to_wgs84(parts, src=offset)
        n_converted = int(shapely.get_num_coordinates(parts).sum())
        source = pyproj.CRS.from_epsg(4326)

    # attributes
    n = len(gdf)
    excluded, n_excluded = _excluded(src, gdf, exclude, problems, say)
    highway, n_default = _map_classes(
        src,
        gdf,
        mapping.get("highway"),
        class_map,
        fids,
        problems,
        encoding,
        default_class,
        say,
        skip=excluded,
    )
    named_oneway = bool(columns) and "oneway" in columns  # a wrong name is reported already
    oneway, backward, closed = _parse_oneway(
        src,
        gdf,
        mapping.get("oneway"),
        fids,
        problems,
        None if named_oneway and "oneway" not in mapping else oneway_values,
        say,
    )
    level = _parse_layer(src, gdf, mapping.get("layer"), fids, problems)
    bridge = _flag(gdf, mapping.get("bridge"), n)
    tunnel = _flag(gdf, mapping.get("tunnel"), n)
    separated = bridge | tunnel | _grade_flag(src, gdf, grade_separated, problems)
    end_level = None
    if "z_from" in mapping or "z_to" in mapping:
        z_from = _parse_layer(src, gdf, mapping.get("z_from"), fids, problems)
        z_to = _parse_layer(src, gdf, mapping.get("z_to"), fids, problems)
        if "z_from" not in mapping or "z_to" not in mapping:
            z_from = z_to = z_from if "z_from" in mapping else z_to
        if "layer" not in mapping:
            level = z_from
        separated = separated | (z_from != z_to)  # ramps join at their ends only
        end_level = (z_from, z_to)

    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        if p.severity != "error":
            logger.warning("%s", p)
    if errors:
        raise NetworkInputError(
            f"{src}: cannot build a street network from it ({len(errors)} problems)", errors
        )

    # keep walkable lines and work in the metric CRS
    walk = np.isin(highway.astype(str), list(WALKABLE_HIGHWAYS)) & pd.notna(highway)
    dropped = Counter(str(h) for h in highway[~walk & ~closed & ~excluded])
    walk &= ~closed & ~excluded
    use = walk[part_row] & ~bad_part
    lines, row_of = parts[use], part_row[use]
    if len(lines) == 0:
        reasons = [f"highway={h} ({c:,})" for h, c in dropped.most_common()]
        if closed.any():
            reasons.append(f"closed ({int(closed.sum()):,})")
        reasons += [f"excluded by {col} ({c:,})" for col, c in n_excluded.items()]
        raise NetworkInputError(
            f"{src} contains no walkable lines: its links are " + ", ".join(reasons)
        )
    series = gpd.GeoSeries(lines, crs=source)
    if target is None:
        lon, lat = _centre_lonlat(series)
        target = working_crs(lon, lat)
    lines = series.to_crs(target).to_numpy()

    noded = _build.node_lines(
        lines,
        level=level[row_of],
        separated=separated[row_of],
        snap_tolerance_m=float(snap_tolerance_m),
        split_at_crossings=split_at_crossings,
        end_level=None if end_level is None else np.r_[end_level[0][row_of], end_level[1][row_of]],
    )
    edges = _build.split_parts(
        noded.key, noded.x, noded.y, noded.part, noded.is_node, backward[row_of]
    )
    edges, _, n_zero = _build.drop_zero_length(edges)

    text = {
        col: _as_text(gdf[mapping[col]]) if col in mapping else np.full(n, None, dtype=object)
        for col in _STR_COLUMNS
    }
    if "incline" in text:
        text["incline"] = _build.flip_incline(text["incline"], backward)
    attributes = (
        pd.DataFrame(
            {
                "highway": highway,
                "oneway": oneway,
                **text,
                "bridge": np.where(bridge, "yes", None),
                "tunnel": np.where(tunnel, "yes", None),
                "way_id": fids.astype(np.int64),
            }
        )
        .iloc[row_of]
        .reset_index(drop=True)
    )
    nodes_gdf, edges_gdf = _build.assemble_network(edges, attributes, target)
    meta = {
        "features": n,
        "lines": len(lines),
        "dropped_classes": dict(dropped),
        "end_snaps": noded.n_end_snaps,
        "t_junction_snaps": noded.n_t_snaps,
        "crossings_split": noded.n_crossings,
        "zero_length_edges_dropped": n_zero,
        "columns": mapping,
        "source_crs": source.to_string(),
        "coords": offset,
        "vertices_converted": n_converted,
        "default_class_links": n_default,
        "closed_links": int(closed.sum()),
        "excluded_by_value": n_excluded,
    }
    if n_default:
        logger.info(
            "read_centrelines: %s of %s links in %s have no road class and got default_class %r",
            f"{n_default:,}",
            f"{n:,}",
            src,
            default_class,
        )
    if closed.any() or n_excluded:
        logger.info(
            "read_centrelines: dropped %d closed links and %s in %s",
            int(closed.sum()),
            ", ".join(f"{c} links by {col}" for col, c in n_excluded.items()) or "none by value",
            src,
        )
    if n_zero:
        logger.info(
            "read_centrelines: dropped %d zero-length edges (lines shorter than the snap "
            "tolerance) in %s",
            n_zero,
            src,
        )
    network = StreetNetwork(nodes_gdf, edges_gdf, target, source=f"{path}:{layer}", meta=meta)
    _log_summary("read_centrelines", path.name, network)
    return network


def _coords_system(name: str, coords: str | None) -> str:
    """The offset system of a declared ``coords`` value (None: WGS84); NetworkInputError if unknown."""
    system = declared_system(coords)
    if system is None:
        raise NetworkInputError(
            f"{name}: unknown coordinate system coords = {coords!r}",
            [
                Problem(
                    name,
                    f"unknown coordinate system coords = '{coords}'",
                    column="coords",
                    hint=f"use one of {', '.join(DECLARED_SYSTEMS)} (gcj02: Amap, Tencent; "
                    "bd09: Baidu)",
                )
            ],
        )
    return system


def _finite_parts(parts: np.ndarray) -> np.ndarray:
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    ok = np.ones(len(parts), dtype=bool)
    ok[idx[bad]] = False
    return ok


def _choose_layer(path: Path, layer: str | None) -> str:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise NetworkInputError(f"{path.name}: cannot open it as a GIS file ({exc})") from exc
    names = [str(name) for name, _ in layers]
    if layer is not None:
        if layer not in names:
            raise NetworkInputError(
                f"{path.name} has no layer '{layer}'; available layers: {', '.join(names)}"
            )
        return layer
    if len(names) == 1:
        return names[0]
    lines = [str(name) for name, kind in layers if kind and "LineString" in str(kind)]
    if len(lines) == 1:
        return lines[0]
    raise NetworkInputError(
        f"{path.name} has {len(names)} layers; say which one with layer=...: "
        + ", ".join(f"{name} ({kind})" for name, kind in layers)
    )


def _resolve_columns(
    src: str,
    gdf: gpd.GeoDataFrame,
    columns: Mapping[str, str] | None,
    problems: list[Problem],
    say: OptionHint = python_option,
    has_default_class: bool = False,
) -> dict[str, str]:
    """Canonical name → layer column, from ``columns`` then by looking names up."""
    available = [c for c in gdf.columns if c != gdf.geometry.name]
    listing = ", ".join(available) or "(none)"
    mapping: dict[str, str] = {}
    columns = {_COLUMN_ALIASES.get(k, k): v for k, v in (columns or {}).items()}
    for canon, col in columns.items():
        if canon not in CENTRELINE_COLUMNS:
            problems.append(
                Problem(
                    src,
                    f"'{canon}' is not an attribute read_centrelines knows",
                    column=f"columns.{canon}",
                    hint=f"use one of {', '.join([*CENTRELINE_COLUMNS, *_COLUMN_ALIASES])}",
                )
            )
        elif col not in available:
            problems.append(
                Problem(
                    src,
                    f"column '{col}' (given for '{canon}') is not in the layer",
                    column=f"columns.{canon}",
                    hint=f"available columns: {listing}; "
                    + say(f"columns.{canon}", available[0] if available else "<column>"),
                )
            )
        else:
            mapping[canon] = col
    lower = {c.lower(): c for c in reversed(available)}
    for canon, names in CENTRELINE_COLUMNS.items():
        if canon in mapping or (columns and canon in columns):
            continue
        found = next((lower[n.lower()] for n in names if n.lower() in lower), None)
        if found is not None:
            mapping[canon] = found
    if "highway" not in mapping and "highway" not in columns and not has_default_class:
        problems.append(
            Problem(
                src,
                "no road-class column found",
                column="highway",
                hint=f"{say('columns.highway', '<column>')}, or for a layer without classes "
                f"(navigation links) {say('default_class', 'residential')}; available "
                f"columns: {listing}",
            )
        )
    return mapping


def _source_crs(
    src: str,
    gdf: gpd.GeoDataFrame,
    source_crs: Any,
    lines: np.ndarray,
    problems: list[Problem],
    say: OptionHint = python_option,
) -> pyproj.CRS:
    """The CRS of the file's coordinates, checked against where the coordinates lie."""
    if source_crs is not None:
        crs = pyproj.CRS.from_user_input(source_crs)
        if gdf.crs is not None and gdf.crs != crs:
            logger.warning("%s: declared CRS %s overridden by source_crs=%s", src, gdf.crs, crs)
    elif gdf.crs is None:
        problems.append(
            Problem(
                src,
                "the layer has no CRS",
                hint=f"add the .prj file, or {say('source_crs', 'EPSG:4545')} (CGCS2000 "
                "3-degree Gauss-Kruger 108°E; 'EPSG:4490' for CGCS2000 longitude/latitude)",
            )
        )
        return pyproj.CRS.from_epsg(4326)
    else:
        crs = pyproj.CRS.from_user_input(gdf.crs)
    if len(lines) == 0:
        return crs
    xmin, ymin, xmax, ymax = shapely.total_bounds(lines)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    looks_degrees = -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90
    if crs.is_geographic:
        if not looks_degrees and -90 <= xmin <= xmax <= 90 and -180 <= ymin <= ymax <= 180:
            message = (
                f"longitude and latitude look swapped (x from {xmin:.4f} to {xmax:.4f}, y from "
                f"{ymin:.4f} to {ymax:.4f})"
            )
            hint = "swap the coordinates (e.g. QGIS 'Swap X and Y coordinates')"
        elif looks_degrees and in_china(cy, cx) and not in_china(cx, cy):
            message = f"longitude and latitude look swapped (centre x={cx:.4f}, y={cy:.4f})"
            hint = "swap the coordinates (e.g. QGIS 'Swap X and Y coordinates')"
        elif not looks_degrees:
            message = (
                f"the CRS {crs.name} is in degrees but the coordinates are not (x≈{cx:,.0f}, "
                f"y≈{cy:,.0f})"
            )
            hint = "the .prj is wrong; pass the real CRS as source_crs="
        else:
            return crs
        problems.append(Problem(src, message, hint=hint))
        return crs
    if looks_degrees:
        problems.append(
            Problem(
                src,
                f"the CRS {crs.name} is projected but the coordinates look like degrees "
                f"(x≈{cx:.4f}, y≈{cy:.4f})",
                hint="the .prj is wrong; pass source_crs='EPSG:4490' (or 4326)",
            )
        )
        return crs
    area = crs.area_of_use
    if area is None:
        return crs
    try:
        lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    except pyproj.exceptions.ProjError:
        lon = lat = float("nan")
    margin = 2.0
    inside = (
        np.isfinite(lon)
        and area.west - margin <= lon <= area.east + margin
        and area.south - margin <= lat <= area.north + margin
    )
    if not inside:
        hint = "pass the real CRS as source_crs="
        if cx > 1e7:
            hint = (
                f"x≈{cx:,.0f} carries a zone number: use the Gauss-Kruger CRS with zone prefix "
                f"(CGCS2000 3-degree zones 25-45 are EPSG:4513-4533) as source_crs="
            )
        elif cy < cx:
            hint = "x and y look swapped (northing in x): swap the coordinates"
        problems.append(
            Problem(
                src,
                f"the coordinates (centre x={cx:,.0f}, y={cy:,.0f}) lie outside the area of use "
                f"of the layer's CRS {crs.name}",
                hint=hint,
            )
        )
    return crs


def _map_classes(
    src: str,
    gdf: gpd.GeoDataFrame,
    column: str | None,
    class_map: Mapping[str, str | None] | None,
    fids: np.ndarray,
    problems: list[Problem],
    encoding: str | None,
    default_class: str | None = None,
    say: OptionHint = python_option,
    skip: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """OSM highway value per feature (None where dropped or unknown), and how many got the default."""
    n = len(gdf)
    table: dict[str, str | None] = {**DEFAULT_CLASS_MAP, **(class_map or {})}
    osm_values = WALKABLE_HIGHWAYS | NON_WALKABLE_HIGHWAYS
    default = None
    if default_class is not None:
        default = table.get(default_class, default_class)
        if default not in osm_values:
            problems.append(
                Problem(
                    src,
                    f"default_class {default_class!r} is not a road class isochrones knows",
                    column="default_class",
                    hint=f"{say('default_class', 'residential')} (an OSM highway value such as "
                    "residential, unclassified, service, footway, or a class of the class map "
                    "such as 支路)",
                )
            )
            default = None
    if column is None:
        return np.full(n, default, dtype=object), n if default is not None else 0
    for value, target in (class_map or {}).items():
        if target is not None and target not in osm_values:
            problems.append(
                Problem(
                    src,
                    f"class_map maps '{value}' to '{target}', which is not a highway value "
                    "isochrones knows",
                    hint="use one of WALKABLE_HIGHWAYS or NON_WALKABLE_HIGHWAYS "
                    "(isochrones.network), or None to drop the class",
                )
            )
    values = _as_text(gdf[column])
    out = np.full(n, None, dtype=object)
    unknown: dict[str, list[int]] = {}
    empty_rows: list[int] = []
    n_default = 0
    for i, value in enumerate(values):
        if skip is not None and skip[i]:
            continue
        if value is None and default_class is not None:
            out[i] = default
            n_default += 1
        elif value is None:
            empty_rows.append(int(fids[i]))
        elif value in table:
            out[i] = table[value]
        elif value in osm_values:
            out[i] = value
        else:
            unknown.setdefault(value, []).append(int(fids[i]))
    if empty_rows:
        problems.append(
            Problem(
                src,
                f"no road class in rows {_rows(empty_rows)}",
                column=column,
                hint="fill in the class, delete the features, or "
                + say("default_class", "residential"),
            )
        )
    for value, rows in unknown.items():
        hint = f"add it to class_map (an OSM highway value): {say(f'class_map.{value}', 'footway')}"
        if encoding is None and any(0x80 <= ord(ch) <= 0xFF for ch in value):
            hint += f"; the text looks garbled: {say('encoding', 'gbk')}"
        problems.append(
            Problem(
                src,
                f"unknown road class {value!r} in rows {_rows(rows)}",
                column=column,
                hint=hint,
            )
        )
    return out, n_default


def _parse_oneway(
    src: str,
    gdf: gpd.GeoDataFrame,
    column: str | None,
    fids: np.ndarray,
    problems: list[Problem],
    oneway_values: Mapping[str, str] | None = None,
    say: OptionHint = python_option,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(oneway, backward, closed) per feature; unknown values are warned about, read as two-way."""
    n = len(gdf)
    none = np.zeros(n, dtype=bool)
    table = {value: kind for kind, values in ONEWAY_VALUES.items() for value in values}
    for value, kind in (oneway_values or {}).items():
        if kind not in ONEWAY_VALUES:
            problems.append(
                Problem(
                    src,
                    f"oneway_values maps {value!r} to {kind!r}, which is not a direction",
                    column="oneway_values",
                    hint=f"use one of {', '.join(ONEWAY_VALUES)}: "
                    + say(f"oneway_values.{value}", "both"),
                )
            )
        table[str(value).strip().lower()] = kind
    if column is None:
        if oneway_values:
            problems.append(
                Problem(
                    src,
                    "oneway_values given but the layer has no direction column",
                    column="columns.oneway",
                    hint=say("columns.oneway", "DIRECTION"),
                )
            )
        return none, none.copy(), none.copy()
    text = np.array([(v or "").lower() for v in _as_text(gdf[column])], dtype=object)
    kind = np.array([table.get(t) for t in text], dtype=object)
    forward, backward, closed = kind == "forward", kind == "backward", kind == "closed"
    known = pd.notna(kind)
    for value in sorted(set(text[~known])):
        rows = fids[(text == value) & ~known]
        problems.append(
            Problem(
                src,
                f"one-way value {value!r} not understood in rows {_rows(rows)}; read as two-way",
                column=column,
                hint="use 1/0, yes/no, 是/否, FT/TF, 禁行 (see isochrones.io.ONEWAY_VALUES) or "
                f"declare the layer's codes: {say(f'oneway_values.{value}', 'both')}",
                severity="warning",
            )
        )
    return forward | backward, backward, closed


def _excluded(
    src: str,
    gdf: gpd.GeoDataFrame,
    exclude: Mapping[str, Sequence[Any]] | None,
    problems: list[Problem],
    say: OptionHint = python_option,
) -> tuple[np.ndarray, dict[str, int]]:
    """Features to drop by column value, and how many each column dropped."""
    out = np.zeros(len(gdf), dtype=bool)
    counts: dict[str, int] = {}
    available = [c for c in gdf.columns if c != gdf.geometry.name]
    for col, values in (exclude or {}).items():
        if col not in available:
            problems.append(
                Problem(
                    src,
                    f"exclude names column '{col}', which is not in the layer",
                    column=f"exclude.{col}",
                    hint=f"available columns: {', '.join(available) or '(none)'}; "
                    + say(f"exclude.{available[0] if available else '<column>'}", ["高速公路"]),
                )
            )
            continue
        if isinstance(values, str | int | float):
            values = [values]
        wanted = {t for t in _as_text(pd.Series(list(values), dtype=object)) if t is not None}
        hit = np.isin(_as_text(gdf[col]).astype(str), list(wanted)) & pd.notna(_as_text(gdf[col]))
        counts[col] = int(hit.sum())
        out |= hit
    return out, counts


def _parse_layer(
    src: str, gdf: gpd.GeoDataFrame, column: str | None, fids: np.ndarray, problems: list[Problem]
) -> np.ndarray:
    n = len(gdf)
    if column is None:
        return np.zeros(n, dtype=np.int64)
    raw = gdf[column]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna() & raw.astype(str).str.strip().ne("")
    bad |= num.notna() & (num != num.round())
    if bad.any():
        problems.append(
            Problem(
                src,
                f"layer must be a whole number (0 ground, 1 bridge, -1 tunnel ...); rows "
                f"{_rows(fids[bad.to_numpy()])} have {sorted(set(map(str, raw[bad])))[:5]}",
                column=column,
                hint="fix the values or leave them empty (ground level)",
            )
        )
    return num.fillna(0).where(~bad, 0).round().to_numpy(np.int64)


def _flag(gdf: gpd.GeoDataFrame, column: str | None, n: int) -> np.ndarray:
    if column is None:
        return np.zeros(n, dtype=bool)
    text = _as_text(gdf[column])
    return np.array([v is not None and v.lower() not in _FALSE_FLAGS for v in text], dtype=bool)


def _grade_flag(
    src: str,
    gdf: gpd.GeoDataFrame,
    grade_separated: str | Sequence[bool] | np.ndarray | None,
    problems: list[Problem],
) -> np.ndarray:
    n = len(gdf)
    if grade_separated is None:
        return np.zeros(n, dtype=bool)
    if isinstance(grade_separated, str):
        if grade_separated not in gdf.columns:
            problems.append(
                Problem(
                    src,
                    f"grade_separated column '{grade_separated}' is not in the layer",
                    column=grade_separated,
                    hint="available columns: "
                    + ", ".join(c for c in gdf.columns if c != gdf.geometry.name),
                )
            )
            return np.zeros(n, dtype=bool)
        return _flag(gdf, grade_separated, n)
    flags = np.asarray(grade_separated, dtype=bool)
    if flags.shape != (n,):
        problems.append(
            Problem(
                src,
                f"grade_separated has {flags.size} values for {n} features",
                hint="give one boolean per feature, in file order, or a column name",
            )
        )
        return np.zeros(n, dtype=bool)
    return flags


def _as_text(series: pd.Series) -> np.ndarray:
    """Values as stripped strings; None for missing or blank; 12.0 → '12'."""
    out = np.full(len(series), None, dtype=object)
    for i, v in enumerate(series.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
            continue
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        text = str(v).strip()
        if text:
            out[i] = text
    return out


def _rows(rows: Sequence[int] | np.ndarray, limit: int = 10) -> str:
    rows = [int(r) for r in rows]
    text = ", ".join(map(str, rows[:limit]))
    if len(rows) > limit:
        text += f" and {len(rows) - limit:,} more"
    return text


def _centre_lonlat(series: gpd.GeoSeries) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = series.total_bounds
    to_lonlat = pyproj.Transformer.from_crs(series.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform((xmin + xmax) / 2, (ymin + ymax) / 2)
    return float(lon), float(lat)


# --------------------------------------------------------------------------- shared helpers


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise NetworkInputError(f"{what} {path} does not exist — check the path")
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise NetworkInputError(f"{what} {path} is a directory, not a file")


def _metric_crs(crs: Any) -> pyproj.CRS:
    try:
        out = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise NetworkInputError(f"crs={crs!r} is not a CRS pyproj understands ({exc})") from exc
    units = {axis.unit_name for axis in out.axis_info}
    if not out.is_projected or units - {"metre"}:
        raise NetworkInputError(
            f"crs={crs!r} ({out.name}) is not a projected CRS in metres — give one such as "
            "EPSG:4545 (CGCS2000 3-degree Gauss-Kruger 108°E), or leave crs=None"
        )
    return out


def _check_bbox(bbox: tuple[float, float, float, float] | None) -> tuple[float, ...] | None:
    if bbox is None:
        return None
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise NetworkInputError(
            f"bbox={bbox!r} must be four numbers (west, south, east, north) in degrees"
        ) from exc
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise NetworkInputError(
            f"bbox={bbox!r} must be (west, south, east, north) in degrees with west < east and "
            "south < north"
        )
    return (w, s, e, n)


def _log_summary(func: str, name: str, network: StreetNetwork) -> None:
    logger.info(
        "%s read %s: %s nodes, %s edges, %s km",
        func,
        name,
        f"{network.n_nodes:,}",
        f"{network.n_edges:,}",
        f"{network.edges['length_m'].sum() / 1000:,.1f}",
    )


# --------------------------------------------------------------------------- networkx


def to_networkx(network: StreetNetwork) -> nx.MultiDiGraph:
    """The network as an osmnx-style ``MultiDiGraph``.

    Graph attribute ``crs``; nodes carry ``x``/``y``; every edge appears in both directions
    (pedestrians walk both ways) with ``length`` (metres), ``geometry`` drawn in the direction
    of travel, the tag columns, ``osmid`` (the way id) and ``reversed`` (True for the v→u
    copy). The graph is marked
    ``simplified``: edges already run between junctions with their full geometry.
    """
    graph = nx.MultiDiGraph(crs=network.crs, simplified=True)
    nodes = network.nodes
    graph.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(nodes.index, nodes["x"], nodes["y"], strict=True)
    )
    edges = network.edges
    tags = [c for c in EDGE_COLUMNS if c not in ("u", "v", "length_m")]
    records = edges[tags].to_dict("records")
    geoms = edges.geometry.to_numpy()
    backward = shapely.reverse(geoms)
    for rec, u, v, length, fwd, bwd in zip(
        records, edges["u"], edges["v"], edges["length_m"], geoms, backward, strict=True
    ):
        rec["osmid"] = rec["way_id"] = int(rec["way_id"])
        graph.add_edge(int(u), int(v), length=float(length), geometry=fwd, reversed=False, **rec)
        graph.add_edge(int(v), int(u), length=float(length), geometry=bwd, reversed=True, **rec)
    return graph
