"""The synthetic demo district: reproducible from its script, and shaped like a real district.

The first test regenerates ``data/demo-small`` and compares content hashes. All other tests read
the committed ``data/demo`` with pyogrio, osmium, rasterio, pandas and openpyxl only, independently
of the generator's internals, and check the properties the data card promises.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import shapely.affinity
from shapely.strtree import STRtree

from siting.coords import bd09_to_wgs84, gcj02_to_wgs84

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_demo_district.py"
DEMO = REPO / "data" / "demo"
DEMO_SMALL = REPO / "data" / "demo-small"
METRIC = 4544  # CGCS2000 / 3-degree Gauss-Kruger CM 105E
NOT_WALKABLE = {"motorway", "motorway_link"}


def load_generator():
    spec = importlib.util.spec_from_file_location("make_demo_district", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def walkable(tags: dict) -> bool:
    if tags.get("highway") in NOT_WALKABLE or tags.get("foot") == "no":
        return False
    return not (
        tags.get("access") in ("private", "no") and tags.get("foot") not in ("yes", "designated")
    )


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------


def test_small_variant_is_reproducible_and_matches_committed_data(tmp_path):
    gen = load_generator()
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(first, small=True)
    gen.generate(second, small=True)
    gen.generate(other, small=True, seed=7)
    h1, h2 = gen.content_hash(first), gen.content_hash(second)
    assert h1 == h2
    assert gen.content_hash(other) != h1, "the content hash must depend on the seed"
    assert sorted(p.name for p in first.iterdir()) == sorted(p.name for p in DEMO_SMALL.iterdir())
    assert gen.content_hash(DEMO_SMALL) == h1, (
        "data/demo-small is not what the script generates: "
        "run `python scripts/make_demo_district.py --small` and commit the result"
    )


# ---------------------------------------------------------------------------------------------
# Fixtures on the committed full demo
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layers():
    import pyogrio

    path = DEMO / "boundaries.gpkg"
    out = {name: pyogrio.read_dataframe(path, layer=name) for name in ("区界", "街道镇", "社区村")}
    for name, df in out.items():
        assert df.crs.to_epsg() == 4490, f"{name} must be in EPSG:4490"
    return out


@pytest.fixture(scope="module")
def metric(layers):
    return {name: df.to_crs(METRIC) for name, df in layers.items()}


@pytest.fixture(scope="module")
def network():
    import osmium

    ways, rivers, lons, lats = [], [], [], []
    for obj in osmium.FileProcessor(str(DEMO / "roads.osm.pbf")).with_locations():
        if obj.is_node():
            lons.append(obj.location.lon)
            lats.append(obj.location.lat)
        elif obj.is_way():
            tags = dict(obj.tags)
            coords = [(n.lon, n.lat) for n in obj.nodes]
            refs = [n.ref for n in obj.nodes]
            if "highway" in tags:
                ways.append((tags, coords, refs))
            elif tags.get("waterway") == "river":
                rivers.append(shapely.LineString(coords))
    return {"ways": ways, "rivers": rivers, "lon": np.array(lons), "lat": np.array(lats)}


@pytest.fixture(scope="module")
def district_ll(layers):
    return layers["区界"].geometry.iloc[0]


# ---------------------------------------------------------------------------------------------
# Boundaries
# ---------------------------------------------------------------------------------------------


def test_district_outline(layers, metric):
    d = layers["区界"]
    assert len(d) == 1
    assert d["区划代码"].iloc[0] == "500199"
    assert d["名称"].iloc[0] == "演示区"
    area_km2 = metric["区界"].area.iloc[0] / 1e6
    assert 1200 < area_km2 < 1400
    lon, lat = d.geometry.iloc[0].centroid.coords[0]
    assert abs(lon - 106.0) < 0.1 and abs(lat - 29.8) < 0.1


def test_communities_tile_the_district(metric):
    district = metric["区界"].geometry.iloc[0]
    geoms = metric["社区村"].geometry.values
    assert shapely.is_valid(geoms).all()
    union = shapely.union_all(geoms)
    assert abs(union.area - district.area) / district.area < 1e-6
    assert abs(shapely.area(geoms).sum() - district.area) / district.area < 1e-6
    assert union.symmetric_difference(district).area < 10.0  # m²: no gaps, nothing outside
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert overlap.max() <= 1.0, f"communities overlap by up to {overlap.max():.1f} m²"


def test_communities_nest_in_streets_and_streets_are_contiguous(metric):
    streets = metric["街道镇"].set_index("街镇代码")
    comm = metric["社区村"]
    assert set(comm["街镇代码"]) == set(streets.index)
    for code, group in comm.groupby("街镇代码"):
        street = streets.geometry[code]
        assert street.geom_type == "Polygon", f"{code} is not one contiguous polygon"
        outside = shapely.area(shapely.difference(group.geometry.values, street))
        assert outside.max() < 1.0, (
            f"a community of {code} leaks out of it by {outside.max():.1f} m²"
        )
        assert abs(shapely.union_all(group.geometry.values).area - street.area) < 1.0


def test_codes_follow_the_nbs_conventions(layers):
    streets = layers["街道镇"]
    comm = layers["社区村"]
    assert streets["街镇代码"].is_unique and comm["社区村代码"].is_unique
    assert streets["街镇名称"].is_unique and comm["社区村名称"].is_unique
    assert streets["街镇代码"].str.fullmatch(r"500199\d{3}").all()
    kind = dict(zip(streets["街镇代码"], streets["类型"], strict=True))
    for code, k in kind.items():
        n = int(code[-3:])
        assert (1 <= n <= 99) if k == "街道" else (101 <= n <= 199), code
        assert streets.loc[streets["街镇代码"] == code, "街镇名称"].iloc[0].endswith(k)
    assert sum(k == "街道" for k in kind.values()) == 4
    assert sum(k == "镇" for k in kind.values()) == 20
    assert comm["社区村代码"].str.fullmatch(r"\d{12}").all()
    assert (comm["社区村代码"].str[:9] == comm["街镇代码"]).all()
    last3 = comm["社区村代码"].str[-3:].astype(int)
    is_shequ = comm["类型"] == "社区"
    assert set(comm["类型"]) == {"社区", "村"}
    assert last3[is_shequ].between(1, 199).all()
    assert last3[~is_shequ].between(200, 399).all()
    assert 65 <= is_shequ.sum() <= 72
    assert 240 <= (~is_shequ).sum() <= 262
    assert (comm.loc[is_shequ, "社区村名称"].str.endswith("社区")).all()
    assert (comm.loc[~is_shequ, "社区村名称"].str.endswith("村")).all()


def test_population_targets(layers):
    comm = layers["社区村"]
    streets = layers["街道镇"]
    cols = ["常住人口", "60岁及以上", "65岁及以上", "80岁及以上", "失能半失能", "特困", "独居空巢"]
    for c in cols:
        assert pd.api.types.is_integer_dtype(comm[c]), c
        assert (comm[c] >= 0).all(), c
    assert (comm["80岁及以上"] <= comm["65岁及以上"]).all()
    assert (comm["65岁及以上"] <= comm["60岁及以上"]).all()
    assert (comm["60岁及以上"] <= comm["常住人口"]).all()
    for c in ("失能半失能", "特困", "独居空巢"):
        assert (comm[c] <= comm["60岁及以上"]).all()
    pop = comm["常住人口"].sum()
    assert 683_000 <= pop <= 697_000
    share60 = comm["60岁及以上"].sum() / pop
    assert 0.25 <= share60 <= 0.27
    assert 0.19 <= comm["65岁及以上"].sum() / pop <= 0.23
    assert 0.03 <= comm["80岁及以上"].sum() / pop <= 0.045
    kind = dict(zip(streets["街镇代码"], streets["类型"], strict=True))
    core = comm[(comm["类型"] == "社区") & (comm["街镇代码"].map(kind) == "街道")]
    villages = comm[comm["类型"] == "村"]
    core_share = core["60岁及以上"].sum() / core["常住人口"].sum()
    village_share = villages["60岁及以上"].sum() / villages["常住人口"].sum()
    assert village_share > core_share + 0.08
    assert core["常住人口"].between(4000, 9000).all()
    assert villages["常住人口"].between(800, 1600).all()


def test_roster_adds_up_to_the_community_columns(layers, district_ll):
    comm = layers["社区村"].set_index("社区村代码")
    roster = pd.read_csv(
        DEMO / "roster.csv", encoding="gb18030", dtype={"社区村代码": str, "编号": str}
    )
    assert 20_000 <= len(roster) <= 30_000
    assert roster["编号"].is_unique
    assert (roster["年龄"] >= 60).all()
    assert set(roster["类别"]) == {"失能", "半失能", "特困", "独居", "空巢"}
    assert set(roster["社区村代码"]) <= set(comm.index)
    counts = (
        roster.groupby(["社区村代码", "类别"])
        .size()
        .unstack(fill_value=0)
        .reindex(comm.index, fill_value=0)
    )
    assert (counts["失能"] + counts["半失能"] == comm["失能半失能"]).all()
    assert (counts["特困"] == comm["特困"]).all()
    assert (counts["独居"] + counts["空巢"] == comm["独居空巢"]).all()
    p60 = comm["60岁及以上"].sum()
    assert 0.05 <= comm["失能半失能"].sum() / p60 <= 0.07
    assert 0.009 <= comm["特困"].sum() / p60 <= 0.015
    assert 0.07 <= comm["独居空巢"].sum() / p60 <= 0.09
    lon, lat = bd09_to_wgs84(roster["经度"].to_numpy(float), roster["纬度"].to_numpy(float))
    assert shapely.contains_xy(district_ll, lon, lat).all()
    # every person lives in the community on record
    comm_ll = layers["社区村"]
    idx, which = STRtree(comm_ll.geometry.values).query(
        shapely.points(lon, lat), predicate="within"
    )
    found = pd.Series(comm_ll["社区村代码"].to_numpy()[which], index=idx)
    assert (
        found.reindex(range(len(roster))).to_numpy() == roster["社区村代码"].to_numpy()
    ).mean() > 0.999


# ---------------------------------------------------------------------------------------------
# Road network and terrain
# ---------------------------------------------------------------------------------------------


def test_network_tagging(network):
    ways = network["ways"]
    assert 40_000 <= len(network["lon"]) <= 80_000
    hw = [t["highway"] for t, _, _ in ways]
    for value in (
        "primary",
        "secondary",
        "tertiary",
        "residential",
        "footway",
        "path",
        "track",
        "service",
    ):
        assert value in hw, value
    steps = [t for t, _, _ in ways if t["highway"] == "steps"]
    assert len(steps) >= 100
    counts = [t.get("step_count") for t in steps]
    numeric = [int(c) for c in counts if c is not None and c.isdigit()]
    malformed = [c for c in counts if c is not None and not c.isdigit()]
    assert len(numeric) >= 0.8 * len(steps)
    assert sum(40 <= n <= 150 for n in numeric) >= 20
    assert 1 <= len(malformed) <= 5
    assert {t.get("incline") for t in steps} == {"up", "down"}
    motorway = [t for t, _, _ in ways if t["highway"] == "motorway"]
    assert motorway and all(t.get("oneway") == "yes" for t in motorway)
    assert any(t.get("tunnel") == "yes" for t in motorway)
    assert "motorway_link" in hw
    assert any(t["highway"] == "trunk" and t.get("sidewalk") == "no" for t, _, _ in ways)
    assert any(t.get("sidewalk") == "both" for t, _, _ in ways)
    assert any(t.get("access") == "private" for t, _, _ in ways)
    assert any(t.get("foot") == "no" for t, _, _ in ways)
    bridges = [t for t, _, _ in ways if t.get("bridge") == "yes" and walkable(t)]
    assert len(bridges) >= 5
    assert all(t.get("layer") == "1" for t in bridges)


def test_rivers_are_crossed_only_on_bridges(network):
    rivers = network["rivers"]
    assert rivers
    lines = np.array([shapely.LineString(c) for _, c, _ in network["ways"]], dtype=object)
    tree = STRtree(lines)
    crossing = set()
    for river in rivers:
        crossing |= set(tree.query(river, predicate="intersects").tolist())
    tags = [network["ways"][i][0] for i in sorted(crossing)]
    assert tags, "some road must cross the river"
    assert all(t.get("bridge") == "yes" for t in tags), [
        t for t in tags if t.get("bridge") != "yes"
    ][:3]
    assert sum(walkable(t) for t in tags) >= 5


def test_walkable_network_is_one_component_plus_tiny_islands(network):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    u, v = [], []
    for tags, _, refs in network["ways"]:
        if walkable(tags):
            u += refs[:-1]
            v += refs[1:]
    ids, inv = np.unique(np.array(u + v), return_inverse=True)
    n = len(ids)
    graph = coo_matrix((np.ones(len(u)), (inv[: len(u)], inv[len(u) :])), shape=(n, n))
    ncomp, label = connected_components(graph, directed=False)
    sizes = np.sort(np.bincount(label))[::-1]
    assert sizes[0] >= 0.995 * n
    assert 1 <= ncomp <= 5
    assert (sizes[1:] <= 20).all()


def test_grade_separation(network):
    """Motorway carriageways share nodes only with their ramps; bridges only at their two ends."""
    from collections import Counter

    use = Counter()
    for _, _, refs in network["ways"]:
        use.update(set(refs))
    ramp_nodes = {
        r for t, _, refs in network["ways"] if t["highway"] == "motorway_link" for r in refs
    }
    motorway_nodes = {
        r for t, _, refs in network["ways"] if t["highway"] == "motorway" for r in refs
    }
    ramp_inner = {
        r for t, _, refs in network["ways"] if t["highway"] == "motorway_link" for r in refs[1:-1]
    }
    for tags, _, refs in network["ways"]:
        if tags["highway"] == "motorway":
            shared = [r for r in refs[1:-1] if use[r] > 1 and r not in ramp_nodes]
            assert not shared, f"motorway shares inner nodes {shared[:3]}"
        elif tags.get("bridge") == "yes":
            assert not [r for r in refs[1:-1] if use[r] > 1]
        elif walkable(tags):
            touching = set(refs) & (motorway_nodes | ramp_inner)
            assert not touching, f"a walkable {tags['highway']} touches the motorway"


def test_dem(network):
    import rasterio
    from rasterio.transform import rowcol

    path = DEMO / "dem.tif"
    assert path.stat().st_size < 6e6
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4326
        assert src.dtypes[0] == "int16"
        assert src.nodata == -32768
        assert abs(src.res[0] - 1 / 3600) < 1e-9 and abs(src.res[1] - 1 / 3600) < 1e-9
        assert src.compression.name.lower() == "deflate"
        assert src.profile.get("tiled")
        arr = src.read(1)
        bounds = src.bounds
        transform = src.transform
    valid = arr[arr != -32768]
    assert valid.min() >= 150 and valid.max() <= 950
    assert valid.max() >= 800, "the ridge should rise above 800 m"
    lon, lat = network["lon"], network["lat"]
    river = np.vstack([np.asarray(r.coords) for r in network["rivers"]])
    rows, cols = rowcol(transform, river[:, 0], river[:, 1])
    on_river = arr[np.asarray(rows), np.asarray(cols)]
    assert 200 <= np.median(on_river) <= 250 and on_river.max() <= 260, (
        "river valleys lie at 200-260 m"
    )
    assert bounds.left <= lon.min() and lon.max() <= bounds.right
    assert bounds.bottom <= lat.min() and lat.max() <= bounds.top


# ---------------------------------------------------------------------------------------------
# Points: facilities, health, candidates; residential buildings
# ---------------------------------------------------------------------------------------------

FLOOR_AREA_M2 = {
    "街道养老服务中心": (1500, 5000),
    "乡镇养老服务中心": (800, 3000),
    "社区养老服务站": (200, 400),
    "村级互助养老点": (40, 120),
    "小区养老服务点": (40, 120),
}


def test_facilities_and_health(layers, district_ll):
    fac = pd.read_csv(DEMO / "facilities_amap.csv", encoding="utf-8-sig", dtype={"id": str})
    assert list(fac.columns) == [
        "id",
        "名称",
        "类型",
        "地址",
        "经度",
        "纬度",
        "建筑面积",
        "床位数",
        "建成年份",
        "护理型床位数",
        "运营方式",
        "助餐服务",
    ]
    # the columns of the plan indicators (data card: "指标字段")
    assert (fac["护理型床位数"] >= 0).all() and (fac["护理型床位数"] <= fac["床位数"]).all()
    assert (
        fac.loc[fac["类型"].isin(["社区养老服务站", "村级互助养老点"]), "护理型床位数"] == 0
    ).all()
    assert set(fac["运营方式"]) <= {"公办公营", "村委会自办", "公建民营", "民办", "民办公助"}
    assert (fac.loc[fac["类型"] == "街道养老服务中心", "运营方式"] == "公建民营").all()
    assert (fac.loc[fac["类型"] == "养老院", "运营方式"] == "民办").all()
    assert set(fac["助餐服务"]) == {"是", "否"}
    assert fac["id"].is_unique and fac["id"].str.fullmatch(r"B0FF[0-9A-Z]{6}").all()
    for typ, (lo, hi) in FLOOR_AREA_M2.items():
        areas = fac.loc[fac["类型"] == typ, "建筑面积"]
        assert len(areas) and areas.between(lo, hi).all(), typ
    assert set(fac["类型"]) <= set(FLOOR_AREA_M2) | {"敬老院", "养老院"}
    lon, lat = gcj02_to_wgs84(fac["经度"].to_numpy(float), fac["纬度"].to_numpy(float))
    assert shapely.contains_xy(district_ll, lon, lat).all()
    comm = layers["社区村"]
    n_shequ, n_cun = (comm["类型"] == "社区").sum(), (comm["类型"] == "村").sum()
    assert 0.3 <= (fac["类型"] == "社区养老服务站").sum() / n_shequ <= 0.5
    assert 0.25 <= (fac["类型"] == "村级互助养老点").sum() / n_cun <= 0.45
    assert (fac["类型"] == "街道养老服务中心").sum() == 2
    assert 9 <= (fac["类型"] == "乡镇养老服务中心").sum() <= 13
    health = pd.read_csv(DEMO / "health_amap.csv", encoding="utf-8-sig", dtype={"id": str})
    assert set(health["类型"]) == {"社区卫生服务中心", "卫生院", "村卫生室"}
    assert (health["类型"] == "卫生院").sum() == 20
    assert not set(health["id"]) & set(fac["id"])
    lon, lat = gcj02_to_wgs84(health["经度"].to_numpy(float), health["纬度"].to_numpy(float))
    assert shapely.contains_xy(district_ll, lon, lat).all()


def test_candidates(layers, district_ll):
    from openpyxl import load_workbook

    wb = load_workbook(DEMO / "candidates.xlsx", read_only=True)
    rows = list(wb["候选点"].iter_rows(values_only=True))
    wb.close()
    cand = pd.DataFrame(rows[1:], columns=rows[0])
    assert list(cand.columns) == [
        "编号", "名称", "来源", "可建类型", "建筑面积", "改造费用(万元)", "月租金(元)", "经度", "纬度", "备注",
    ]  # fmt: skip
    assert 350 <= len(cand) <= 500
    assert cand["编号"].is_unique
    assert set(cand["来源"]) == {"闲置国有资产", "社区用房", "租赁"}
    assert cand.loc[cand["来源"] != "租赁", "月租金(元)"].isna().all()
    assert (cand.loc[cand["来源"] == "租赁", "月租金(元)"] > 0).all()
    assert cand["改造费用(万元)"].isna().any() and (cand["改造费用(万元)"] == 0).any()
    lon, lat = gcj02_to_wgs84(cand["经度"].to_numpy(float), cand["纬度"].to_numpy(float))
    assert shapely.contains_xy(district_ll, lon, lat).all()
    # every 街道/镇 without a centre has at least two sites where one could be built
    fac = pd.read_csv(DEMO / "facilities_amap.csv", encoding="utf-8-sig")
    streets = layers["街道镇"]
    flon, flat = gcj02_to_wgs84(fac["经度"].to_numpy(float), fac["纬度"].to_numpy(float))
    tree = STRtree(streets.geometry.values)
    is_center = fac["类型"].isin(["街道养老服务中心", "乡镇养老服务中心"]).to_numpy()
    _, fs = tree.query(shapely.points(flon[is_center], flat[is_center]), predicate="within")
    with_center = set(fs.tolist())
    ci, cs = tree.query(shapely.points(lon, lat), predicate="within")
    eligible = cand["可建类型"].str.contains("养老服务中心").to_numpy()
    for s in range(len(streets)):
        if s in with_center:
            continue
        n = int(eligible[ci[cs == s]].sum())
        assert n >= 2, (
            f"{streets['街镇名称'].iloc[s]} lacks a centre but has only {n} centre-eligible sites"
        )


def test_buildings(metric, network):
    import pyogrio

    b = pyogrio.read_dataframe(DEMO / "buildings.gpkg", layer="residential")
    assert b.crs.to_epsg() == METRIC
    assert set(b["类别"]) == {"小区", "院落", "散居"}
    assert pd.api.types.is_integer_dtype(b["户数"]) and (b["户数"] > 0).all()
    assert b["名称"].str.len().min() > 0
    # year built (the plan indicator of new housing): 小区 only, 1985–2024
    dated = b["建成年份"].notna()
    assert (dated == (b["类别"] == "小区")).all()
    assert b.loc[dated, "建成年份"].between(1985, 2024).all()
    assert shapely.is_valid(b.geometry.values).all()
    comm = metric["社区村"]
    reps = shapely.point_on_surface(b.geometry.values)
    bi, ci = STRtree(comm.geometry.values).query(reps, predicate="within")
    assert len(bi) == len(b)
    owner = np.empty(len(b), int)
    owner[bi] = ci
    outside = shapely.area(shapely.difference(b.geometry.values, comm.geometry.values[owner]))
    assert outside.max() < 0.01, "a building crosses its community boundary"
    assert set(owner) == set(range(len(comm))), "every community needs a residential feature"
    households = np.bincount(owner, weights=b["户数"].to_numpy(), minlength=len(comm))
    persons = comm["常住人口"].to_numpy() / households
    assert persons.min() > 2.3 and persons.max() < 3.3
    # near (within ~100 m of) a walkable way
    fwd = pyproj.Transformer.from_crs(4326, METRIC, always_xy=True)
    lines = []
    for tags, coords, _ in network["ways"]:
        if walkable(tags) and tags.get("bridge") != "yes":
            x, y = fwd.transform(*np.array(coords).T)
            lines.append(shapely.LineString(np.column_stack([x, y])))
    lines = np.array(lines, dtype=object)
    _, dist = STRtree(lines).query_nearest(
        b.geometry.values, return_distance=True, all_matches=False
    )
    assert dist.max() <= 100.0, f"a building is {dist.max():.0f} m from the nearest walkable way"


def test_scenario_file_points_at_existing_inputs():
    for folder in (DEMO, DEMO_SMALL):
        cfg = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        assert cfg["scenario"]["district_code"] == "500199"
        assert cfg["inputs"]["roster"]["encoding"] == "gb18030"
        for spec in cfg["inputs"].values():
            assert (folder / spec["path"]).is_file(), spec["path"]
        assert (folder / "README.md").is_file()
    assert (
        tomllib.loads((DEMO_SMALL / "scenario.toml").read_text(encoding="utf-8"))["output"]["dir"]
        == "output/demo-small"
    )


# ---------------------------------------------------------------------------------------------
# City mode: several fictional districts side by side (generated into tmp_path, ~4 s in all)
# ---------------------------------------------------------------------------------------------

DATA_CITY = REPO / "data" / "city"
CITY_FILES = sorted(p.name for p in DEMO_SMALL.iterdir())


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A city of two districts, generated with the default seed."""
    gen = load_generator()
    out = tmp_path_factory.mktemp("city") / "city"
    summaries = gen.generate_city(out, 2)
    return gen, out, summaries


def read_city_layer(folder: Path, layer: str):
    import pyogrio

    return pyogrio.read_dataframe(folder / "boundaries.gpkg", layer=layer)


def test_city_districts_are_complete_and_named(city):
    _, out, summaries = city
    assert sorted(p.name for p in out.iterdir()) == ["500191", "500192", "README.md"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary folders left"
    for k, (code, name) in enumerate([("500191", "演示城一区"), ("500192", "演示城二区")]):
        folder = out / code
        assert sorted(p.name for p in folder.iterdir()) == CITY_FILES
        district = read_city_layer(folder, "区界")
        assert district["区划代码"].tolist() == [code] and district["名称"].tolist() == [name]
        cfg = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        assert cfg["scenario"]["district_code"] == code
        assert cfg["scenario"]["district_name"] == name
        assert cfg["scenario"]["name"] == f"{name}（虚构）"
        assert cfg["scenario"]["name_en"].startswith(f"Demo city district {k + 1} (fictional)")
        assert cfg["output"]["dir"] == f"output/city/{code}"
        # 300 万元 of district money over five years (60 a year), up to 225 万元 municipal
        assert [
            (b["name"], b.get("per_year_wan_yuan"), b.get("total_wan_yuan"))
            for b in cfg["budget"]["line"]
        ] == [
            ("区级资金", 60, None),
            ("市级建设补助", None, 225),
        ]
        assert summaries[k]["code"] == code and summaries[k]["pop"] == 57_000
        card = (folder / "README.md").read_text(encoding="utf-8")
        assert code in card and "虚构" in card and "CC0" in card
    readme = (out / "README.md").read_text(encoding="utf-8")
    for needle in ("500191", "500192", "演示城一区", "演示城二区", "CC0", "--city", "57,000"):
        assert needle in readme, needle


def test_city_codes_and_ids_start_with_their_district_code(city):
    import osmium
    from openpyxl import load_workbook

    _, out, _ = city
    seen: dict[str, set] = {}
    for code in ("500191", "500192"):
        folder = out / code
        streets = read_city_layer(folder, "街道镇")
        comm = read_city_layer(folder, "社区村")
        assert streets["街镇代码"].str.fullmatch(rf"{code}\d{{3}}").all()
        assert comm["社区村代码"].str.fullmatch(rf"{code}\d{{6}}").all()
        assert (comm["社区村代码"].str[:9] == comm["街镇代码"]).all()
        assert set(comm["街镇代码"]) == set(streets["街镇代码"])
        ids = set(streets["街镇代码"]) | set(comm["社区村代码"])
        for csv in ("facilities_amap.csv", "health_amap.csv"):
            df = pd.read_csv(folder / csv, encoding="utf-8-sig", dtype={"id": str})
            assert df["id"].str.fullmatch(rf"{code}B0FF[0-9A-Z]{{6}}").all(), csv
            ids |= set(df["id"])
        roster = pd.read_csv(folder / "roster.csv", encoding="gb18030", dtype=str)
        assert roster["编号"].str.fullmatch(rf"{code}R\d{{6}}").all()
        assert set(roster["社区村代码"]) <= set(comm["社区村代码"])
        ids |= set(roster["编号"])
        wb = load_workbook(folder / "candidates.xlsx", read_only=True)
        cand = [row[0] for row in wb["候选点"].iter_rows(min_row=2, values_only=True)]
        wb.close()
        assert cand and all(str(c).startswith(f"{code}C") for c in cand)
        ids |= set(cand)
        base = int(code) * 10**7
        osm = [o.id for o in osmium.FileProcessor(str(folder / "roads.osm.pbf"))]
        assert base < min(osm) and max(osm) < base + 10**7
        ids |= {f"osm{i}" for i in osm}
        seen[code] = ids
    assert not seen["500191"] & seen["500192"], "codes or ids collide between districts"


def test_city_districts_lie_side_by_side_without_overlapping(city):
    gen, out, _ = city
    outlines = {}
    for k, code in enumerate(("500191", "500192")):
        district = read_city_layer(out / code, "区界")
        assert district.crs.to_epsg() == 4490
        outlines[code] = district.to_crs(METRIC).geometry.iloc[0]
        lon, lat = district.geometry.iloc[0].centroid.coords[0]
        lon0, lat0 = gen.city_district(k).origin_lonlat
        assert abs(lon - lon0) < 0.02 and abs(lat - lat0) < 0.02
        assert 39 < outlines[code].area / 1e6 < 41
    a, b = outlines["500191"], outlines["500192"]
    assert a.intersection(b).area == 0.0
    assert a.distance(b) > 500.0  # metres of open land between the two
    assert 9_000 < b.centroid.x - a.centroid.x < 10_500  # 0.1° of longitude apart
    # different seeds: different outlines, not a copy shifted east
    shifted = shapely.affinity.translate(
        a, b.centroid.x - a.centroid.x, b.centroid.y - a.centroid.y
    )
    assert shifted.symmetric_difference(b).area > 0.05 * b.area


def test_city_is_deterministic_and_districts_independent_of_the_city_size(city, tmp_path):
    gen, out, _ = city
    again = tmp_path / "again"
    gen.generate_city(again, 1)
    assert gen.content_hash(again / "500191") == gen.content_hash(out / "500191")
    assert gen.content_hash(out / "500191") != gen.content_hash(out / "500192")
    assert gen.district_seed(gen.DEFAULT_SEED, 0) != gen.district_seed(gen.DEFAULT_SEED, 1)


def test_committed_city_is_what_the_script_generates(city):
    gen, out, _ = city
    assert sorted(p.name for p in DATA_CITY.iterdir()) == [
        "500191", "500192", "500193", "500194", "README.md",
    ]  # fmt: skip
    for code in ("500191", "500192"):  # the others are drawn the same way, with other seeds
        assert gen.content_hash(DATA_CITY / code) == gen.content_hash(out / code), (
            f"data/city/{code} is not what the script generates: "
            "run `python scripts/make_demo_district.py --city 4` and commit the result"
        )


def test_city_scenarios_load(city):
    from siting.io import load_inputs
    from siting.scenario import load_scenario

    _, out, summaries = city
    for s in summaries:
        inputs = load_inputs(load_scenario(out / s["code"] / "scenario.toml"))
        assert inputs.crs.to_epsg() == METRIC
        assert not inputs.warnings
        comm = inputs.communities
        assert len(comm) == s["shequ"] + s["cun"] == 22
        assert comm["code"].str.startswith(s["code"]).all()
        assert comm["pop_total"].sum() == s["pop"] and comm["pop_60p"].sum() == s["p60"]
        assert len(inputs.facilities) == sum(s["facilities"].values())
        assert len(inputs.candidates) == s["candidates"]
        assert len(inputs.roster) == s["roster"]
        assert (inputs.network.nodes.index // 10**7 == int(s["code"])).all()


@pytest.mark.parametrize("value", ["0", "9", "two"])
def test_city_size_must_be_1_to_8(value, capsys):
    gen = load_generator()
    with pytest.raises(SystemExit) as exc:
        gen.main(["--city", value, "--out", "/nonexistent/never-written"])
    assert exc.value.code == 2
    assert "from 1 to 8" in capsys.readouterr().err
    with pytest.raises(ValueError, match="1 to 8"):
        gen.city_district(8)


# ---------------------------------------------------------------------------------------------
# Scaled districts (--scale N, for benchmarks)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    """The small variant at 4 × its area and population."""
    gen = load_generator()
    out = tmp_path_factory.mktemp("scaled") / "small-x4"
    summary = gen.generate(out, small=True, scale=4)
    return gen, out, summary


def test_scale_one_is_the_variant_itself():
    gen = load_generator()
    assert gen.scaled_layout(gen.FULL, 1) is gen.FULL
    assert gen.scaled_layout(gen.SMALL, 1.0) is gen.SMALL
    x4 = gen.scaled_layout(gen.FULL, 4)
    assert (x4.half_x_m, x4.half_y_m) == (2 * gen.FULL.half_x_m, 2 * gen.FULL.half_y_m)
    assert x4.area_km2 == 4 * gen.FULL.area_km2 and x4.pop_total == 4 * gen.FULL.pop_total
    assert x4.n_core_communities == 4 * 46 and x4.n_rural_villages == 4 * 238 and x4.n_towns == 80
    assert len(x4.core_bridge_y) == 6 and x4.count(4) == 16 and gen.FULL.count(4) == 4


def test_scaled_district_has_n_times_the_units_people_and_area(scaled):
    import pyogrio

    gen, out, s = scaled
    small = gen.SMALL
    assert s["streets"] == 4 and s["towns"] == 4 * small.n_towns
    assert s["shequ"] == 4 * (small.n_core_communities + small.n_towns)  # one seat 社区 per town
    assert s["cun"] == 4 * (small.n_fringe_villages + small.n_rural_villages)
    assert s["pop"] == 4 * small.pop_total
    outline = pyogrio.read_dataframe(out / "boundaries.gpkg", layer="区界").to_crs(METRIC)
    assert outline.area.iloc[0] / 1e6 == pytest.approx(4 * small.area_km2, rel=0.01)
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "--small --scale 4" in readme and "4 街道 + 8 镇" in readme
    scenario = tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))
    assert "×4" in scenario["scenario"]["name"]


def test_scaled_district_tiles_and_nests(scaled):
    import pyogrio

    _, out, _ = scaled
    layers = {
        name: pyogrio.read_dataframe(out / "boundaries.gpkg", layer=name).to_crs(METRIC)
        for name in ("区界", "街道镇", "社区村")
    }
    test_communities_tile_the_district(layers)
    test_communities_nest_in_streets_and_streets_are_contiguous(layers)
    comm = layers["社区村"]
    assert comm["社区村代码"].is_unique and comm["社区村名称"].is_unique
    streets = layers["街道镇"]
    for code in streets.loc[streets["类型"] == "街道", "街镇代码"]:
        assert ((comm["街镇代码"] == code) & (comm["类型"] == "社区")).sum() >= 3, code


def test_scaled_district_is_reproducible_and_loads(scaled, tmp_path):
    from siting.io import load_inputs
    from siting.scenario import load_scenario

    gen, out, s = scaled
    again = tmp_path / "again"
    gen.generate(again, small=True, scale=4)
    assert gen.content_hash(again) == gen.content_hash(out)
    inputs = load_inputs(load_scenario(out / "scenario.toml"))
    assert not inputs.warnings
    assert len(inputs.communities) == s["shequ"] + s["cun"]
    assert inputs.communities["pop_60p"].sum() == s["p60"]
    assert len(inputs.candidates) == s["candidates"] and len(inputs.roster) == s["roster"]


def test_bounded_grid_search_settles_the_targets_exactly():
    from scipy import sparse
    from scipy.sparse import csgraph

    gen = load_generator()
    rng = np.random.default_rng(3)
    side = 60
    n = side * side
    iy, ix = np.divmod(np.arange(n), side)
    right = np.nonzero(ix < side - 1)[0]
    up = np.nonzero(iy < side - 1)[0]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + side])
    w = 10.0 * rng.uniform(1.0, 3.0, len(u))
    G = sparse.csr_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n))

    class Grid:  # the CostGrid attributes the search reads: 10 m cells
        xc, yc, cell = 10.0 * ix, 10.0 * iy, 10.0

    best = csgraph.dijkstra(G, indices=[0, 1]).min(axis=0)  # the oracle: the whole grid
    near = [[3 * side + 3], [2 * side + 40, 5]]
    far = [[n - 1], [side * 30 + 30, 5], [2 * side + 7]]
    for groups in (near, far):
        dist, pred, _ = gen.grid_search(
            G, Grid, [0, 1], groups, scaled=True, min_only=True, return_predecessors=True
        )
        for g in groups:
            assert dist[g].min() == pytest.approx(best[g].min(), abs=1e-9)
            t = g[int(np.argmin(dist[g]))]
            path = gen.trace(pred, t)
            assert path[-1] in (0, 1)
            assert sum(G[a, b] for a, b in pairwise(path[::-1])) == pytest.approx(dist[t])
        if groups is near:
            assert np.isinf(dist).sum() > n // 2, "the bound must leave most of the grid alone"
    unscaled = gen.grid_search(G, Grid, [0, 1], far, scaled=False, min_only=True)
    assert np.array_equal(unscaled, best)


def test_long_names_once_the_two_character_pool_is_used():
    gen = load_generator()
    names = gen.NameGen(np.random.default_rng(0), long_after=50)
    taken = [names.take("村") for _ in range(200)]
    assert len(set(taken)) == 200
    assert all(len(t) == 3 for t in taken[:50]) and all(len(t) == 4 for t in taken[50:])
    plain = gen.NameGen(np.random.default_rng(0))
    assert [plain.take("村") for _ in range(50)] == taken[:50]


@pytest.mark.parametrize("value", ["0.5", "17", "two", "nan"])
def test_scale_must_be_1_to_16(value, capsys):
    gen = load_generator()
    with pytest.raises(SystemExit) as exc:
        gen.main(["--scale", value, "--out", "/nonexistent/never-written"])
    assert exc.value.code == 2
    assert "from 1 to 16" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        gen.main(["--scale", "2", "--city", "2", "--out", "/nonexistent/never-written"])
    assert "not to --city" in capsys.readouterr().err
