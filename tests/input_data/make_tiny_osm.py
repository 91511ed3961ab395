"""Write tiny.osm, tiny.osm.bz2 and tiny.osm.pbf: a hand-made street network with known topology.

Run from anywhere: ``python tests/input_data/make_tiny_osm.py``. The nodes are laid out on a
metre grid in EPSG:4545 (CGCS2000 3-degree Gauss-Kruger, central meridian 108°E, scale 1 there),
around x = 500,000, y = 3,270,000 (29.55°N), and stored as lon/lat rounded to 1e-7 degrees, so
the lengths in tests/isochrones/test_io.py are the grid distances to within 2 cm.

Layout (grid metres from the origin; see test_io.py for the expected edges)::

    way 10 residential      1 (0,0) - 2 (100,0) - 3 (200,0)
    way 11 footway          2 - 4 (100,100)                      shares node 2 with way 10
    way 12 footway bridge   5 (150,-50) - 6 (150,50)             crosses way 10, no shared node
    way 13 motorway         3 - 7 (300,0)                        dropped
    way 14 steps oneway=-1  4 - 8 (100,130) - 9 (140,160)        reversed: 9 -> 4
    way 16 path, closed     9 - 20 (180,160) - 21 (180,190) - 9  a self-loop at 9
    way 17 footway          1 - 22 (0,100) - 4                   parallel to way 18
    way 18 path             1 - 4                                parallel to way 17
    way 19 building         23 - 24 - 25 - 23                    no highway tag: dropped
    way 20 service          3 - 28                               28 duplicates 3: zero length
    way 21 service          28 - 29 (200,-60)
    way 22 footway          30 (300,-60) - 999 - 31 (400,-60) - 32 (400,-160)
                                                                 node 999 is not in the file
    way 23 platform         5 - 6                                not a street: dropped
"""

from __future__ import annotations

import bz2
from pathlib import Path

import osmium
import pyproj

HERE = Path(__file__).parent
ORIGIN = (500_000.0, 3_270_000.0)

NODES = {
    1: (0, 0),
    2: (100, 0),
    3: (200, 0),
    4: (100, 100),
    5: (150, -50),
    6: (150, 50),
    7: (300, 0),
    8: (100, 130),
    9: (140, 160),
    20: (180, 160),
    21: (180, 190),
    22: (0, 100),
    23: (20, 20),
    24: (40, 20),
    25: (40, 40),
    28: (200, 0),
    29: (200, -60),
    30: (300, -60),
    31: (400, -60),
    32: (400, -160),
}

WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (10, [1, 2, 3], {"highway": "residential", "name": "民族路"}),
    (11, [2, 4], {"highway": "footway", "name": "解放碑步行街", "footway": "sidewalk"}),
    (12, [5, 6], {"highway": "footway", "bridge": "yes", "layer": "1"}),
    (13, [3, 7], {"highway": "motorway"}),
    (14, [4, 8, 9], {"highway": "steps", "oneway": "-1", "step_count": "12", "incline": "up"}),
    (16, [9, 20, 21, 9], {"highway": "path", "area": "yes"}),
    (17, [1, 22, 4], {"highway": "footway", "access": "yes", "foot": "designated"}),
    (18, [1, 4], {"highway": "path", "sidewalk": "no"}),
    (19, [23, 24, 25, 23], {"building": "yes"}),
    (20, [3, 28], {"highway": "service"}),
    (21, [28, 29], {"highway": "service", "oneway": "yes", "tunnel": "yes"}),
    (22, [30, 999, 31, 32], {"highway": "footway"}),
    (23, [5, 6], {"highway": "platform"}),
]


def lonlat() -> dict[int, tuple[float, float]]:
    to_lonlat = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
    out = {}
    for nid, (dx, dy) in NODES.items():
        lon, lat = to_lonlat.transform(ORIGIN[0] + dx, ORIGIN[1] + dy)
        out[nid] = (round(lon, 7), round(lat, 7))
    return out


def xml_text() -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="siting">']
    for nid, (lon, lat) in lonlat().items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, refs, tags in WAYS:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = xml_text()
    (HERE / "tiny.osm").write_text(text, encoding="utf-8")
    (HERE / "tiny.osm.bz2").write_bytes(bz2.compress(text.encode("utf-8")))
    pbf = HERE / "tiny.osm.pbf"
    pbf.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(HERE / "tiny.osm")):
            writer.add(obj)


if __name__ == "__main__":
    main()
