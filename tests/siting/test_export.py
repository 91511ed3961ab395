"""GIS exports read back as the planning bureau would: pyogrio and GDAL's own ``ogrinfo``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from siting.catchments import facility_catchments
from siting.coords import convert
from siting.coverage import compute_coverage
from siting.errors import InputError
from siting.export import export_layers, input_hash, short_field_names
from siting.io import load_inputs
from siting.maps import coverage_map, write_map
from siting.scenario import load_scenario
from siting.walking import walking_graph

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"
DATE = dt.date(2026, 3, 1)
OGRINFO = shutil.which("ogrinfo")
needs_ogrinfo = pytest.mark.skipif(
    OGRINFO is None, reason="GDAL's ogrinfo not installed (gdal-bin)"
)

LAYERS = [
    "communities",
    "streets",
    "facilities_existing",
    "isochrones_sites",
    "isochrones_by_type",
    "demand_summary",
]


def build(folder: Path) -> dict:
    inputs = load_inputs(load_scenario(folder))
    graph = walking_graph(inputs)
    cov = compute_coverage(inputs, graph)
    return {
        "inputs": inputs,
        "catchments": facility_catchments(inputs, graph),
        "coverage": cov,
        "demand_summary": cov.demand.communities,
    }


@pytest.fixture(scope="module")
def demo() -> dict:
    return build(SMALL)


def export(demo, out: Path, fmt: str, crs: str) -> list[Path]:
    return export_layers(
        demo["inputs"],
        out,
        fmt=fmt,
        crs=crs,
        catchments=demo["catchments"],
        coverage=demo["coverage"].communities,
        demand_summary=demo["demand_summary"],
        scenario_hash="f" * 64,
        version="9.9.9",
        date=DATE,
    )


def target(tmp: Path, fmt: str) -> Path:
    return tmp / {"gpkg": "layers.gpkg", "shp": "layers_shp.zip", "geojson": "layers_geojson"}[fmt]


def sources(path: Path, fmt: str) -> dict[str, str]:
    """Where GDAL finds each layer: (dataset path, layer name)."""
    if fmt == "gpkg":
        return {name: (str(path), name) for name in LAYERS}
    if fmt == "shp":
        return {name: (f"/vsizip/{path}/{name}.shp", name) for name in LAYERS}
    return {name: (str(path / f"{name}.geojson"), name) for name in LAYERS}


def read(path: Path, fmt: str, layer: str):
    src, name = sources(path, fmt)[layer]
    return pyogrio.read_dataframe(src, layer=name)


def expected_counts(demo) -> dict[str, int]:
    cat = demo["catchments"]
    inputs = demo["inputs"]
    return {
        "communities": len(inputs.communities),
        "streets": len(inputs.streets),
        "facilities_existing": len(inputs.facilities),
        "isochrones_sites": len(cat.per_site),
        "isochrones_by_type": len(cat.per_type),
        "demand_summary": len(inputs.communities),
    }


def full_names(path: Path, fmt: str, layer: str, columns: list[str]) -> list[str]:
    """Field names of a layer read back, with Shapefile short names mapped through aliases.csv."""
    if fmt != "shp":
        return columns
    with zipfile.ZipFile(path) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("aliases.csv").decode("utf-8-sig"))))
    short = {r["field"]: r["full_name"] for r in rows if r["layer"] == layer}
    return [short[c] for c in columns]


def metadata(path: Path, fmt: str) -> dict:
    if fmt == "gpkg":
        return pyogrio.read_info(path, layer="communities")["dataset_metadata"]
    if fmt == "shp":
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("metadata.json"))
    return json.loads((path / "communities.geojson").read_text(encoding="utf-8"))["siting_metadata"]


# --------------------------------------------------------------------------------------------
# layers, CRS, attributes and coordinates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
@pytest.mark.parametrize("crs", ["cgcs2000", "wgs84", "gcj02"])
def test_geographic_exports_round_trip(demo, tmp_path, fmt, crs):
    inputs = demo["inputs"]
    out = target(tmp_path, fmt)
    written = export(demo, out, fmt, crs)
    assert all(p.exists() for p in written)
    if fmt == "gpkg":
        assert [n for n, _ in pyogrio.list_layers(out) if n != "layer_styles"] == LAYERS
    counts = expected_counts(demo)
    for layer in LAYERS:
        df = read(out, fmt, layer)
        assert len(df) == counts[layer], layer
        if crs == "gcj02" and fmt == "geojson":  # GeoJSON cannot name a CRS without a code:
            assert df.crs.is_geographic  # lon/lat, and the metadata says GCJ-02 (below)
        elif crs == "gcj02":
            assert "GCJ-02" in df.crs.name and df.crs.is_geographic
        else:
            assert df.crs.to_epsg() == {"cgcs2000": 4490, "wgs84": 4326}[crs]

    # coordinates: back to WGS84 (GCJ-02 through the exact inverse) within 1e-6°
    for layer, frame in (
        ("communities", inputs.communities),
        ("facilities_existing", inputs.facilities),
    ):
        got = shapely.get_coordinates(read(out, fmt, layer).geometry.values)
        if crs == "gcj02":
            lon, lat = convert(got[:, 0], got[:, 1], src="gcj02", dst="wgs84")
            got = np.column_stack([lon, lat])
        want = shapely.get_coordinates(frame.to_crs("EPSG:4326").geometry.values)
        assert got.shape == want.shape
        assert np.abs(got - want).max() < 1e-6
    if crs == "gcj02":  # the shift itself is there: hundreds of metres, not zero
        raw = shapely.get_coordinates(read(out, fmt, "facilities_existing").geometry.values)
        want = shapely.get_coordinates(inputs.facilities.to_crs("EPSG:4326").geometry.values)
        assert 1e-3 < np.abs(raw - want).max() < 1e-2

    # attribute names and Chinese text survive
    com = read(out, fmt, "communities")
    cols = full_names(out, fmt, "communities", [c for c in com.columns if c != "geometry"])
    for col in (
        "code",
        "name",
        "street_name",
        "kind_label",
        "pop_60p",
        "coverage_pct",
        "covered_elderly",
    ):
        assert col in cols
    com.columns = [*cols, "geometry"]
    merged = com.merge(inputs.communities[["code", "name"]], on="code", suffixes=("", "_in"))
    assert len(merged) == len(inputs.communities) and (merged["name"] == merged["name_in"]).all()
    assert "德寺社区" in set(com["name"]) and set(com["kind_label"]) == {"社区", "村"}
    cov = demo["coverage"].communities.set_index("code")["coverage_pct"]
    assert np.allclose(
        com.set_index("code")["coverage_pct"], cov.reindex(com["code"]), equal_nan=True
    )
    fac = read(out, fmt, "facilities_existing")
    fac.columns = [*full_names(out, fmt, "facilities_existing", list(fac.columns[:-1])), "geometry"]
    assert "泉石街道养老服务中心" in set(fac["name"]) and "街道养老服务中心" in set(
        fac["type_label"]
    )
    assert fac["address"].str.contains("重庆市演示区").all()

    meta = metadata(out, fmt)
    assert meta["scenario"] == "演示区小样（虚构）" and meta["tool_version"] == "9.9.9"
    assert meta["date"] == "2026-03-01" and meta["input_sha256"] == "f" * 64
    assert meta["crs_option"] == crs
    assert ("coordinates_note" in meta) == (crs == "gcj02")
    if crs == "gcj02":
        assert "GCJ-02" in meta["crs"] and "GCJ-02" in meta["coordinates_note"]


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_gauss_kruger_zone_and_coordinates(demo, tmp_path, fmt):
    inputs = demo["inputs"]
    out = target(tmp_path, fmt)
    export(demo, out, fmt, "gk")
    fac = read(out, fmt, "facilities_existing")
    # the district lies around 106.0°E: the 3° zone of central meridian 105°E, EPSG:4544
    assert fac.crs.to_epsg() == 4544
    wgs = shapely.get_coordinates(inputs.facilities.to_crs("EPSG:4326").geometry.values)
    tr = pyproj.Transformer.from_crs(4326, 4544, always_xy=True)
    x, y = tr.transform(wgs[:, 0], wgs[:, 1])
    got = shapely.get_coordinates(fac.geometry.values)
    assert np.abs(got - np.column_stack([x, y])).max() < 1e-3  # metres


def test_shapefile_zip_layout(demo, tmp_path):
    out = tmp_path / "layers_shp.zip"
    export(demo, out, "shp", "cgcs2000")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        for layer in LAYERS:
            assert {f"{layer}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
            assert zf.read(f"{layer}.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        aliases = list(csv.DictReader(io.StringIO(zf.read("aliases.csv").decode("utf-8-sig"))))
    assert all(len(r["field"]) <= 10 for r in aliases)
    by_full = {(r["layer"], r["full_name"]): r for r in aliases}
    row = by_full[("communities", "weighted_coverage_pct")]
    assert row["field"] == "wcov_pct" and row["label_zh"] == "加权覆盖率(%)"
    assert by_full[("communities", "street_code")]["label_zh"] == "街道/镇代码"
    for layer in LAYERS:
        info = pyogrio.read_info(f"/vsizip/{out}/{layer}.shp")
        shorts = [r["field"] for r in aliases if r["layer"] == layer]
        assert list(info["fields"]) == shorts


def test_short_field_names_are_unique_and_short():
    names = short_field_names(
        ["coverage_pct", "coverage_pct_after", "coverage_pct_before", "a" * 30, "a" * 31, "code"]
    )
    assert all(len(v) <= 10 for v in names.values())
    assert len({v.lower() for v in names.values()}) == len(names)
    assert names["coverage_pct"] == "cov_pct" and names["code"] == "code"


@needs_ogrinfo
@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_ogrinfo_reads_the_exports(demo, tmp_path, fmt):
    out = target(tmp_path, fmt)
    export(demo, out, fmt, "cgcs2000")
    counts = expected_counts(demo)
    for layer, (src, name) in sources(out, fmt).items():
        run = subprocess.run(
            [OGRINFO, "-ro", "-so", src, name], capture_output=True, text=True, check=True
        )
        text = run.stdout
        assert f"Layer name: {name}" in text
        assert re.search(rf"Feature Count: {counts[layer]}\b", text), layer
        assert 'ID["EPSG",4490]' in text or "China Geodetic Coordinate System 2000" in text
        if fmt == "gpkg":  # GDAL shows the GeoPackage metadata
            assert "input_sha256=" + "f" * 64 in text and "scenario=演示区小样（虚构）" in text
    src, name = sources(out, fmt)["communities"]
    run = subprocess.run(
        [OGRINFO, "-ro", src, name, "-where", "code = '500199001001'"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "德寺社区" in run.stdout and "泉石街道" in run.stdout


def test_input_hash_tracks_the_input_files(tmp_path):
    folder = tmp_path / "demo-small"
    shutil.copytree(SMALL, folder)
    first = input_hash(load_scenario(folder))
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert input_hash(load_scenario(folder)) == first
    (folder / "README.md").write_text("changed", encoding="utf-8")  # not an input
    assert input_hash(load_scenario(folder)) == first
    roster = folder / "roster.csv"
    data = bytearray(roster.read_bytes())
    data[-3] = ord("9") if data[-3] != ord("9") else ord("8")
    roster.write_bytes(bytes(data))
    assert input_hash(load_scenario(folder)) != first


def test_default_hash_and_version_are_recorded(demo, tmp_path):
    from siting import __version__

    out = export_layers(demo["inputs"], tmp_path / "x.gpkg")[0]
    meta = pyogrio.read_info(out, layer="communities")["dataset_metadata"]
    assert meta["input_sha256"] == input_hash(demo["inputs"].scenario)
    assert meta["tool_version"] == __version__
    assert meta["date"] == dt.date.today().isoformat()
    assert [n for n, _ in pyogrio.list_layers(out) if n != "layer_styles"] == [
        "communities",
        "streets",
        "facilities_existing",
    ]


# --------------------------------------------------------------------------------------------
# bad input: clear errors, nothing written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"fmt": "kml"}, ["'kml'", "gpkg, shp, geojson", "--format"]),
        ({"crs": "bd09"}, ["'bd09'", "cgcs2000, gk, wgs84, gcj02", "--crs"]),
        ({"fmt": "dxf", "crs": "utm"}, ["'dxf'", "'utm'"]),
    ],
)
def test_unknown_format_or_crs(demo, tmp_path, kwargs, words):
    out = tmp_path / "sub" / "layers.gpkg"
    with pytest.raises(InputError) as info:
        export_layers(demo["inputs"], out, **kwargs)
    for w in words:
        assert w in str(info.value)
    assert list(tmp_path.iterdir()) == []  # not even the folder


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_unwritable_folder(demo, tmp_path, fmt):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write to the output folder"):
        export_layers(demo["inputs"], blocker / "out" / "layers", fmt=fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_failure_midway_leaves_nothing(demo, tmp_path, monkeypatch, fmt):
    real = pyogrio.write_dataframe
    calls = []

    def flaky(df, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(df, path, *args, **kwargs)

    monkeypatch.setattr("siting.export.pyogrio.write_dataframe", flaky)
    out = target(tmp_path / "out", fmt)
    with pytest.raises(OSError, match="disk full"):
        export(demo, out, fmt, "cgcs2000")
    left = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert left == []


def test_personal_columns_are_refused(demo, tmp_path):
    bad = pd.DataFrame({"code": demo["inputs"].communities["code"], "person_id": "x"})
    with pytest.raises(InputError, match="personal columns"):
        export_layers(demo["inputs"], tmp_path / "x.gpkg", demand_summary=bad)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# privacy: no roster record in any output
# --------------------------------------------------------------------------------------------

MARKER_ID = "ZQXJ7319MARK"
MARKER_NAME = "柏隐私标记"
MARKER_ADDRESS = "标记巷707号"


def plant_marker(folder: Path) -> None:
    """Give the first person of the roster a unique id, name and address and an unusual age."""
    path = folder / "roster.csv"
    df = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    id_col, name_col, age_col, addr_col = df.columns[0], df.columns[1], df.columns[3], df.columns[7]
    assert (id_col, name_col, age_col, addr_col) == ("编号", "姓名", "年龄", "地址")
    df.loc[0, [id_col, name_col, age_col, addr_col]] = [
        MARKER_ID,
        MARKER_NAME,
        "109",
        MARKER_ADDRESS,
    ]
    df.to_csv(path, index=False, encoding="gb18030")


def forms(text: str) -> list[bytes]:
    """The marker as raw UTF-8, JSON-escaped (inside a page's scripts) and GB18030 bytes."""
    return [text.encode(), json.dumps(text)[1:-1].encode(), text.encode("gb18030")]


def test_no_roster_record_in_any_output(tmp_path):
    folder = tmp_path / "demo-small"
    shutil.copytree(SMALL, folder)
    plant_marker(folder)
    demo = build(folder)
    inputs = demo["inputs"]
    assert MARKER_ID in set(inputs.roster["person_id"])  # the marker did reach the inputs
    cov = demo["coverage"]
    assert cov.roster is not None and len(cov.roster.grid) > 0

    out = tmp_path / "out"
    files = [
        write_map(
            coverage_map(
                inputs,
                catchments=demo["catchments"],
                coverage=cov.communities,
                uncovered=cov.demand.points,
                roster_cells=cov.roster.grid,
                date=DATE,
            ),
            out / "map.html",
        )
    ]
    for fmt in ("gpkg", "shp", "geojson"):
        files += export(demo, target(out, fmt), fmt, "cgcs2000")
    blobs: dict[str, bytes] = {}
    for f in files:
        if f.suffix == ".zip":
            with zipfile.ZipFile(f) as zf:
                blobs.update({f"{f.name}/{n}": zf.read(n) for n in zf.namelist()})
        else:
            blobs[f.name] = f.read_bytes()
    assert len(blobs) > 20
    for name, data in blobs.items():
        for marker in (MARKER_ID, MARKER_NAME, MARKER_ADDRESS):
            for form in forms(marker):
                assert form not in data, f"{marker!r} found in {name}"
        for key in (b'"person_id"', b'"age"', b"person_id\x00"):
            assert key not in data, f"{key!r} in {name}"
    html = blobs["map.html"].decode()
    assert '"age_80p"' not in html  # the care map shows totals and groups, not age detail
