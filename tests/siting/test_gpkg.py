"""Every GeoPackage the tool writes in one form: version 1.2, CGCS2000, metadata, integer fields,
Chinese and English field names in the schema extension — read back with GDAL and sqlite."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import pyogrio
import pytest
import shapely

from siting.cli import main
from siting.gpkg import GPKG_EPSG, integer_columns, write_layers

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"


def check_form(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """Assert the tool's form; return the aliases by layer and column."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200  # version 1.2
        srs = {r[0] for r in db.execute("SELECT srs_id FROM gpkg_geometry_columns")}
        assert srs == {GPKG_EPSG}, path.name
        assert (
            db.execute(
                "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
            ).fetchone()[0]
            == 1
        )
        styles = dict(
            db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault")
        )
        layers_in = {r[0] for r in db.execute("SELECT table_name FROM gpkg_geometry_columns")}
        assert set(styles) == layers_in, "a QGIS default style for every layer"
        for qml in styles.values():
            ElementTree.fromstring(qml.split("\n", 1)[1])  # well-formed QML
        rows = db.execute("SELECT table_name, column_name, name, title FROM gpkg_data_columns")
        aliases: dict[str, dict[str, tuple[str, str]]] = {}
        for table, column, zh, en in rows:
            aliases.setdefault(table, {})[column] = (zh, en)
    finally:
        db.close()
    for layer, _ in pyogrio.list_layers(path):
        if layer == "layer_styles":
            continue
        info = pyogrio.read_info(path, layer=layer)
        fields = [f for f in info["fields"]]
        assert set(fields) == set(aliases[layer]), f"{path.name}:{layer} fields without alias"
        meta = pyogrio.read_info(path, layer=layer).get("layer_metadata") or {}
        assert meta.get("layer") == layer and meta.get("tool") == "siting"
    return aliases


@pytest.fixture(scope="module")
def run_outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpkg")
    old = os.getcwd()
    os.chdir(folder)  # the scenario writes to ./output/demo-small and ./maps
    try:
        assert main(["run", str(SMALL / "scenario.toml")]) == 0
    finally:
        os.chdir(old)
    return folder / "output" / "demo-small"


def test_the_run_writes_every_geopackage_in_one_form(run_outputs):
    for name in ("layers.gpkg", "isochrones.gpkg"):
        aliases = check_form(run_outputs / name)
        assert aliases  # every layer named in Chinese and English
    layers = check_form(run_outputs / "layers.gpkg")
    assert layers["communities"]["pop_60p"] == ("60岁及以上", "aged 60+")
    assert layers["communities"]["coverage_pct"][0].startswith("覆盖率")
    info = pyogrio.read_info(run_outputs / "layers.gpkg", layer="communities")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["pop_60p"].startswith("int") and types["code"] == "object"
    db = sqlite3.connect(run_outputs / "layers.gpkg")
    try:
        qml = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    finally:
        db.close()

    def renderer(layer):
        return ElementTree.fromstring(qml[layer].split("\n", 1)[1]).find("renderer-v2")

    com = renderer("communities")
    assert com.get("type") == "graduatedSymbol" and com.get("attr") == "coverage_pct"
    assert [r.get("lower") for r in com.iter("range")] == ["0", "30", "50", "70", "85", "95"]
    fac = renderer("facilities_existing")
    assert fac.get("attr") == "type"
    assert "社区养老服务站" in [c.get("label") for c in fac.iter("category")]
    assert renderer("isochrones_by_type").get("attr") == "max_minutes"
    iso = gpd.read_file(run_outputs / "isochrones.gpkg", layer="isochrones_sites")
    assert iso.crs.to_epsg() == 4490 and iso["max_minutes"].dtype.kind == "i"


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo not installed")
def test_gdal_reads_the_form(run_outputs):
    text = subprocess.run(
        ["ogrinfo", "-so", str(run_outputs / "isochrones.gpkg"), "isochrones_by_type"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CGCS2000" in text and "max_minutes: Integer64" in text
    assert "DESCRIPTION=步行等时圈（按设施类型合并）" in text


def test_integer_columns_keep_nulls_and_leave_fractions(tmp_path):
    frame = gpd.GeoDataFrame(
        {"n": [1.0, None, 3.0], "share": [0.5, 1.0, 2.0], "code": ["001", "002", "003"]},
        geometry=[shapely.Point(106, 29.8)] * 3,
        crs=4490,
    )
    out = integer_columns(frame)
    assert str(out["n"].dtype) == "Int64" and out["n"].isna().tolist() == [False, True, False]
    assert out["share"].dtype.kind == "f" and out["code"].tolist() == ["001", "002", "003"]
    path = tmp_path / "t.gpkg"
    labels = {"n": ("数量", "count"), "share": ("份额", "share"), "code": ("代码", "code")}
    write_layers(
        path,
        {"t": frame, "u": frame},
        meta={"tool": "siting"},
        titles={"t": ("表", "table"), "u": ("表二", "table 2")},
        field_label=lambda col, lang: labels[col][0 if lang == "zh" else 1],
    )
    aliases = check_form(path)
    assert aliases["t"] == {
        "n": ("数量", "count"),
        "share": ("份额", "share"),
        "code": ("代码", "code"),
    }
    back = pyogrio.read_dataframe(path, layer="t")
    assert back["n"].isna().tolist() == [False, True, False]
