"""The care roster: aggregated to communities and grid cells, small counts suppressed, and no
individual record in any output."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.coverage import compute_coverage
from siting.io import load_inputs
from siting.roster import (
    COUNT_COLUMNS,
    RosterSettings,
    aggregate_roster,
    roster_from_inputs,
    suppress_small,
)
from siting.scenario import load_scenario
from siting.tables import write_coverage_tables
from tests.isochrones.helpers import CRS, ORIGIN
from tests.siting.test_coverage import district

OX, OY = ORIGIN
MARKER = "ZQX-MARKER-7731"


def roster(people: list[tuple]) -> gpd.GeoDataFrame:
    """Roster rows (person_id, age, group, community_code, x, y); x None for no coordinates."""
    return gpd.GeoDataFrame(
        {
            "row": np.arange(2, len(people) + 2),
            "person_id": [p[0] for p in people],
            "age": [float(p[1]) for p in people],
            "group": [p[2] for p in people],
            "community_code": [p[3] for p in people],
        },
        geometry=[None if p[4] is None else shapely.Point(OX + p[4], OY + p[5]) for p in people],
        crs=CRS,
    )


def test_suppression_primary_and_secondary():
    counts = pd.DataFrame(
        [
            # total, 5 groups, 4 age bands
            [12, 3, 0, 9, 0, 0, 0, 10, 2, 0],
            [4, 4, 0, 0, 0, 0, 0, 4, 0, 0],
            [20, 10, 5, 5, 0, 0, 0, 15, 5, 0],
            [3, 1, 0, 2, 0, 0, 0, 2, 1, 0],
        ],
        columns=list(COUNT_COLUMNS),
    )
    # two small units, so that no column has a single blank non-zero cell (test_disclosure.py
    # has the column rule): rows 0 and 2 show what the row rules alone do
    out = suppress_small(counts, 5)
    first = out.iloc[0]
    assert first["total"] == 12
    # 3 disabled is primary; 9 living alone secondary (else 12 − 9 = 3 gives it away)
    assert np.isnan(first["disabled"]) and np.isnan(first["living_alone"])
    assert first["extreme_poor"] == 0
    # 2 aged 80+ is primary; 10 aged 60–79 secondary
    assert np.isnan(first["age_80p"]) and np.isnan(first["age_60_79"])
    assert first["suppressed"] == 4
    assert out.iloc[1].drop("suppressed").isna().all()  # fewer than 5 people: all blank
    assert out.iloc[3].drop("suppressed").isna().all()
    assert out.iloc[2]["suppressed"] == 0


def test_aggregation_by_community_and_cell_with_warnings_naming_rows(tmp_path):
    inputs, _ = district(tmp_path)
    people = [(f"P{i}", 70 + i, "disabled", "500199001001", 100 + 10 * i, 100) for i in range(6)]
    people += [("Q1", 85, "living_alone", "", 600, 100), ("Q2", 62, "extreme_poor", "", 650, 120)]
    people += [("R1", 75, "other", "", 9000, 9000)]  # outside every community, no code
    people += [("R2", 81, "disabled", "500199101200", None, None)]  # no coordinates
    people += [("R3", float("nan"), "disabled", "500199101200", 2500, 500)]  # no age
    people += [(f"S{i}", 70, "disabled", "500199001002", 1100 + 10 * i, 100) for i in range(5)]
    agg = aggregate_roster(
        roster(people), inputs.communities, settings=RosterSettings(cell_m=500, min_count=5)
    )
    com = agg.by_community.set_index("code")
    assert com.loc["500199001001", "total"] == 8
    assert com.loc["500199001001", "disabled"] == 6
    assert np.isnan(com.loc["500199001001", "living_alone"])  # 1 person
    blank = ["name", "street_code", "kind", "suppressed"]
    assert com.loc["500199101200"].drop(blank).isna().all()
    # 二社区's 5 are blanked whole (column rule): else 三村's 2 would be the total minus the rest
    assert com.loc["500199001002"].drop(blank).isna().all()
    assert agg.n_unassigned == 1
    # cell [0, 500) × [0, 500) holds the six; the cell east of it two (dropped); the far one 1;
    # the cell of 二社区's five is kept but blanked whole, as the dropped cells' 4 are the only
    # other blank total
    ix, iy = int(OX // 500), int(OY // 500)
    assert agg.grid["cell_id"].tolist() == [f"E{ix}N{iy}", f"E{ix + 2}N{iy}"]
    assert agg.grid["total"].tolist()[0] == 6 and np.isnan(agg.grid["total"].iloc[1])
    assert agg.grid["x_center"].tolist() == [OX + 250.0, OX + 1250.0]
    assert agg.cells_suppressed == 3 and agg.people_in_suppressed_cells == 4
    messages = " | ".join(p.message for p in agg.problems)
    assert (
        "no coordinates" in messages
        and "no age" in messages
        and "outside every community" in messages
    )
    # every warning names rows, never ids
    for p in agg.problems:
        assert "R1" not in str(p) and "R2" not in str(p) and "R3" not in str(p)
    assert {p.row for p in agg.problems} == {"11", "12", "10"}


def test_the_tiny_district_roster_is_all_suppressed(tiny):
    inputs = load_inputs(load_scenario(tiny), network=False)
    agg = roster_from_inputs(inputs)
    assert agg.n_people == 2 and len(agg.grid) == 0 and agg.cells_suppressed == 1
    assert agg.by_community["total"].isna().all()


def test_no_individual_record_appears_in_any_output(tmp_path):
    # 7 people in C1 with distinctive coordinates; one carries a marker id and a rare age
    people = [
        (f"N{i}", 66 + i, "living_alone", "500199001001", 123.4567 + i, 234.5678) for i in range(6)
    ]
    people.append((MARKER, 103, "extreme_poor", "500199001001", 321.9876, 432.1234))
    inputs, graph = district(tmp_path / "d", roster=roster(people))
    result = compute_coverage(inputs, graph)
    files = write_coverage_tables(result, tmp_path / "out")
    assert {f.name for f in files} >= {"roster_communities.csv", "roster_grid.csv", "coverage.xlsx"}
    texts = []
    for f in files:
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                texts += [z.read(n).decode("utf-8") for n in z.namelist()]
        else:
            texts.append(f.read_text(encoding="utf-8-sig"))
    texts += [str(p) for p in result.problems]
    blob = "\n".join(texts)
    for needle in (MARKER, "321.98", "432.12", "123.45", f"{OX + 321.9876}"):
        assert needle not in blob
    # the 7 are shown as a count, the single 特困 person is suppressed
    grid = pd.read_csv(tmp_path / "out" / "roster_grid.csv", dtype=str)
    assert grid["困难老人数"].tolist() == ["7"]
    assert grid["特困"].tolist() == ["*"]


def test_roster_settings_are_validated():
    with pytest.raises(ValueError, match="min_count"):
        RosterSettings(min_count=0)
