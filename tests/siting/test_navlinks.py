"""[inputs.network] keys of navigation-link road layers: from the scenario to the loader and back.

The layer is the flyover of tests/isochrones/test_navlinks.py plus an expressway and a closed
link, in NavInfo-style columns (no class column, DIRECTION 1/2/3/4, F_ZLEV/T_ZLEV, KIND).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from isochrones.errors import NetworkInputError
from siting.errors import InputError, ScenarioError
from siting.io import read_network, toml_option
from siting.scenario import load_scenario
from siting.walking import walking_graph

X0, Y0 = 500_000.0, 3_270_000.0

NETWORK = """[inputs.network]
path = "links.gpkg"
format = "centrelines"
default_class = "residential"
respect_oneway = false
split_at_crossings = true
exclude = { KIND = ["高速公路", "快速路"] }
[inputs.network.columns]
oneway = "DIRECTION"
z_from = "F_ZLEV"
z_to = "T_ZLEV"
[inputs.network.values.oneway]
"1" = "both"
"2" = "forward"
"3" = "backward"
"4" = "closed"
"""


def _line(*points: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in points])


def _links(folder: Path) -> None:
    rows = [
        # name, start, end, z from, z to, direction, kind
        ("A", (0, 0), (200, 0), 0, 0, "1", "城市道路"),
        ("B_up", (100, -100), (100, -20), 0, 1, "1", "城市道路"),
        ("B_deck", (100, -20), (100, 20), 1, 1, "2", "城市道路"),  # one way north
        ("B_down", (100, 20), (100, 100), 1, 0, "1", "城市道路"),
        ("C", (100, 100), (0, 100), 0, 0, "1", "城市道路"),
        ("D", (0, 100), (0, 0), 0, 0, "1", "城市道路"),
        ("X", (50, -50), (50, 150), 0, 0, "1", "高速公路"),  # crosses A and C: excluded
        ("Z", (200, 0), (300, 0), 0, 0, "4", "城市道路"),  # closed
    ]
    gpd.GeoDataFrame(
        [
            {"NAME": n, "F_ZLEV": zf, "T_ZLEV": zt, "DIRECTION": d, "KIND": k}
            | {"geometry": _line(a, b)}
            for n, a, b, zf, zt, d, k in rows
        ],
        crs="EPSG:4545",
    ).to_file(folder / "links.gpkg")


@pytest.fixture
def navi(tiny: Path) -> Path:
    text = tiny.read_text(encoding="utf-8")
    tiny.write_text(
        text.replace('[inputs.network]\npath = "roads.osm"\n', NETWORK), encoding="utf-8"
    )
    _links(tiny.parent)
    return tiny


def test_scenario_keys_reach_the_loader(navi: Path) -> None:
    sc = load_scenario(navi)
    spec = sc.inputs["network"]
    assert (spec.default_class, spec.respect_oneway, spec.split_at_crossings) == (
        "residential",
        False,
        True,
    )
    net = read_network(spec)
    # A is not split under the deck (z 1); X excluded, Z closed: 7 nodes, 6 edges
    assert (net.n_nodes, net.n_edges) == (7, 6)
    assert net.meta["excluded_by_value"] == {"KIND": 1} and net.meta["closed_links"] == 1
    assert net.meta["default_class_links"] == 8
    assert net.edges.set_index("way_id")["oneway"].to_dict() == {
        1: False,
        2: False,
        3: True,
        4: False,
        5: False,
        6: False,
    }


def test_respect_oneway_reaches_the_walking_graph(navi: Path) -> None:
    for respect, arcs in ((False, 12), (True, 11)):
        text = navi.read_text(encoding="utf-8")
        navi.write_text(
            text.replace(
                f"respect_oneway = {str(not respect).lower()}",
                f"respect_oneway = {str(respect).lower()}",
            ),
            encoding="utf-8",
        )
        sc = load_scenario(navi)
        inputs = SimpleNamespace(
            scenario=sc, network=read_network(sc.inputs["network"]), dem_path=None
        )
        graph = walking_graph(inputs, speed=1.0)
        assert graph.n_arcs == arcs  # 6 edges both ways, less the deck southbound when respected


def test_wrong_types_and_misplaced_keys(navi: Path) -> None:
    text = navi.read_text(encoding="utf-8")
    text = text.replace("respect_oneway = false", 'respect_oneway = "no"')
    text = text.replace(
        'exclude = { KIND = ["高速公路", "快速路"] }', 'exclude = { KIND = "高速公路" }'
    )
    text = text.replace('coords = "bd09"', 'coords = "bd09"\ndefault_class = "residential"')
    navi.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(navi)
    msg = str(err.value)
    assert "'inputs.network.respect_oneway' must be true or false, got 'no'" in msg
    assert "'inputs.network.exclude.KIND' must be a list of values" in msg
    assert 'exclude = { KIND = ["高速公路", "快速路"] }' in msg
    assert "'inputs.roster.default_class' applies to the road network only" in msg


def test_loader_hints_in_scenario_syntax(navi: Path) -> None:
    text = navi.read_text(encoding="utf-8")
    text = text.replace('default_class = "residential"', 'default_class = "街道"')
    text = text.replace('oneway = "DIRECTION"', 'oneway = "ONEWAY"')
    text = text.replace('exclude = { KIND = ["高速公路", "快速路"] }', 'exclude = { FC = ["1"] }')
    navi.write_text(text, encoding="utf-8")
    with pytest.raises(NetworkInputError) as err:
        read_network(load_scenario(navi).inputs["network"])
    by_column = {p.column: p for p in err.value.problems}
    assert set(by_column) == {"default_class", "columns.oneway", "exclude.FC"}
    assert 'set [inputs.network] default_class = "residential"' in by_column["default_class"].hint
    assert "column 'ONEWAY' (given for 'oneway') is not in the layer" in str(err.value)
    assert "set [inputs.network.columns] oneway = " in by_column["columns.oneway"].hint
    assert "set [inputs.network] exclude = { NAME = [" in by_column["exclude.FC"].hint
    assert "pass " not in str(err.value)  # no Python in the hints


def test_toml_option_renders_each_kind_of_key() -> None:
    assert toml_option("network", "default_class", "residential") == (
        'set [inputs.network] default_class = "residential"'
    )
    assert toml_option("network", "columns.highway", "<column>") == (
        'set [inputs.network.columns] highway = "<column>"'
    )
    assert toml_option("network", "oneway_values.3", "both") == (
        'set [inputs.network.values.oneway] "3" = "both"'
    )
    assert toml_option("network", "class_map.高架桥", "footway") == (
        'set [inputs.network.class_map] "高架桥" = "footway"'
    )
    assert toml_option("network", "exclude.KIND", ["高速公路"]) == (
        'set [inputs.network] exclude = { KIND = ["高速公路"] }'
    )
    assert toml_option("network", "source_crs", "EPSG:4545") == (
        'set [inputs.network] crs = "EPSG:4545"'
    )


def test_link_keys_on_an_osm_file_are_an_error(tiny: Path) -> None:
    text = tiny.read_text(encoding="utf-8")
    tiny.write_text(
        text.replace('path = "roads.osm"\n', 'path = "roads.osm"\ndefault_class = "residential"\n'),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="default_class apply to road-centreline layers") as err:
        read_network(load_scenario(tiny).inputs["network"])
    assert 'format = "centrelines"' in err.value.problems[0].hint
