"""The care roster (关爱地图): elderly people in difficulty, only ever shown aggregated.

The roster (``inputs.roster``: ``person_id``, ``age``, ``group``, ``community_code``, a point per
person) is personal data. This module turns it into two tables and nothing else:

- per 社区/村: people in total, by group (失能 disabled, 特困 extreme_poor, 独居/空巢 living_alone,
  低保 low_income, other) and by age band (under 60, 60–79, 80+: 高龄 starts at 80, POLICY_RULES §5);
- per grid cell (square cells of ``cell_m`` metres, default 500 m, aligned on multiples of
  ``cell_m`` in the working CRS) for the care map: the same counts.

Small counts are suppressed (statistical disclosure control, :mod:`siting.disclosure` states the
whole rule): a unit (community or cell) with fewer than ``min_count`` people (default 5) is
suppressed whole (a cell is dropped from the grid; a community row keeps its name with every count
blank); every count from 1 to ``min_count − 1`` is blanked (*primary*); and *secondary*
suppression, row-wise (no breakdown — groups or age bands — with exactly one blank) and column-wise
(no count column with exactly one blank non-zero cell; the grid's dropped cells count as one), is
repeated until stable, so that no blank is the total minus the others. No exact number of people
is ever printed: the log and ``repr`` round them (:func:`siting.disclosure.people_text`).

Blanks are NaN in the frames (``suppressed`` counts them per row); :mod:`siting.tables` writes them
as ``*``. No person id, age, address or coordinate ever leaves this module; messages about bad rows
name the row number in the user's file only.

A person belongs to the community of their ``community_code`` when it is a known code, else to the
community whose polygon holds their point. People in neither are counted apart (``n_unassigned``)
with a warning naming their rows. :func:`person_communities` makes the same decision for
:mod:`siting.demand`, which adds the priority groups' weight at the demand point of each person's
home (inside the tool only: demand points are never exported with the weight's breakdown).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.disclosure import people_text, suppression_mask
from siting.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from siting.io import Inputs

__all__ = [
    "AGE_BANDS",
    "GROUPS",
    "RosterAggregates",
    "RosterSettings",
    "aggregate_roster",
    "person_communities",
    "roster_from_inputs",
    "suppress_small",
]

log = logging.getLogger(__name__)

GROUPS: tuple[str, ...] = ("disabled", "extreme_poor", "living_alone", "low_income", "other")
AGE_BANDS: tuple[str, ...] = ("age_lt60", "age_60_79", "age_80p", "age_unknown")
COUNT_COLUMNS: tuple[str, ...] = ("total", *GROUPS, *AGE_BANDS)


@dataclass(frozen=True)
class RosterSettings:
    """Grid size and the smallest count ever shown (scenario section ``[roster]``)."""

    cell_m: float = 500.0
    min_count: int = 5

    def __post_init__(self) -> None:
        problems = roster_settings_problems(self.cell_m, self.min_count, "roster settings")
        if problems:
            raise ScenarioError("invalid [roster] settings", problems)

    @classmethod
    def from_scenario(cls, scenario: Any) -> RosterSettings:
        """The ``[roster]`` settings; a ScenarioError names the scenario file and key."""
        sec = scenario.section("roster")
        cell_m, min_count = sec.get("cell_m", 500.0), sec.get("min_count", 5)
        problems = roster_settings_problems(cell_m, min_count, str(scenario.path))
        if problems:
            raise ScenarioError(f"scenario {scenario.path}: invalid [roster] settings", problems)
        return cls(cell_m=float(cell_m), min_count=int(min_count))


def roster_settings_problems(cell_m: Any, min_count: Any, source: str) -> list[Problem]:
    """What is wrong with ``[roster]`` values, each naming ``source`` and the key."""
    out = []
    if not (
        isinstance(cell_m, int | float | np.number)
        and not isinstance(cell_m, bool)
        and np.isfinite(cell_m)
        and cell_m > 0
    ):
        out.append(
            Problem(
                source,
                f"[roster] cell_m must be a number of metres > 0, got {cell_m!r}",
                column="roster.cell_m",
                hint="e.g. cell_m = 500",
            )
        )
    if not (
        isinstance(min_count, int | np.integer)
        and not isinstance(min_count, bool)
        and min_count >= 1
    ):
        out.append(
            Problem(
                source,
                f"[roster] min_count must be a whole number >= 1, got {min_count!r}: the "
                "smallest count ever shown (smaller counts are suppressed)",
                column="roster.min_count",
                hint="e.g. min_count = 5 (the default); 1 shows every count",
            )
        )
    return out


@dataclass(frozen=True, eq=False)
class RosterAggregates:
    """The roster aggregated with small counts suppressed; holds no individual record.

    Attributes
    ----------
    by_community
        One row per community (input order): ``code``, ``name``, ``street_code``, ``kind``,
        counts ``total``, one per group and age band (NaN = suppressed), ``suppressed`` (number of
        blanked counts).
    grid
        One row per published cell (every cell with at least ``min_count`` people; a cell blanked
        whole by secondary suppression keeps its row with every count blank): ``cell_id`` (``"E{ix}N{iy}"``, the cell's index east and north),
        ``x_center``, ``y_center`` (working CRS), the counts, ``suppressed``, and the cell square
        as geometry.
    n_people, n_unassigned
        People on the roster; people in no community (exact: for the tool's own use, never
        printed or written; :func:`siting.disclosure.people_text` gives what may be shown).
    cells_suppressed, people_in_suppressed_cells
        Cells dropped for having fewer than ``min_count`` people, and how many people they held
        (exact, never printed or written).
    settings
        Grid size and minimum count used.
    problems
        Warnings (rows without a point or an age, people outside every community), naming rows only.
    """

    by_community: pd.DataFrame
    grid: gpd.GeoDataFrame
    n_people: int
    n_unassigned: int
    cells_suppressed: int
    people_in_suppressed_cells: int
    settings: RosterSettings
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        return (
            f"RosterAggregates({people_text(self.n_people)} people, {len(self.grid):,} cells "
            f"shown, {self.cells_suppressed:,} suppressed)"
        )


def suppress_small(
    counts: pd.DataFrame, min_count: int, *, pooled: np.ndarray | None = None
) -> pd.DataFrame:
    """Blank (NaN) the counts that could identify people, by the rule of :mod:`siting.disclosure`.

    ``counts`` has the columns of :data:`COUNT_COLUMNS`; returns a float copy plus ``suppressed``
    (blanked counts per row). ``pooled`` marks rows that will not be published at all (the grid's
    cells with fewer than ``min_count`` people): blank, and one hidden cell for the column rule.
    """
    out = counts[list(COUNT_COLUMNS)].astype(float).copy()
    values = out.to_numpy()
    hidden = suppression_mask(
        values,
        min_count,
        blocks=[
            [COUNT_COLUMNS.index(c) for c in GROUPS],
            [COUNT_COLUMNS.index(c) for c in AGE_BANDS],
        ],
        pooled=pooled,
    )
    out.loc[:, :] = np.where(hidden, np.nan, values)
    out["suppressed"] = hidden.sum(axis=1).astype(np.int64)
    return out


def _counts(unit: np.ndarray, groups: np.ndarray, band: np.ndarray, n_units: int) -> pd.DataFrame:
    data = {"total": np.bincount(unit, minlength=n_units)}
    for g in GROUPS:
        data[g] = np.bincount(unit[groups == g], minlength=n_units)
    for b in AGE_BANDS:
        data[b] = np.bincount(unit[band == b], minlength=n_units)
    return pd.DataFrame(data)


def _rows_text(rows, limit: int = 8) -> str:
    """The first rows of the user's file, for them to fix (beyond ``limit``: "…", no count)."""
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (" …" if len(rows) > limit else "")


def _community_of_people(
    roster: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    geoms: np.ndarray,
    no_point: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Position of each person's community by ``community_code`` and by the polygon holding their
    point (−1 where none; the lowest community position wins on shared boundaries)."""
    n = len(roster)
    code_index = pd.Index(communities["code"].to_numpy())
    by_code = (
        code_index.get_indexer(roster["community_code"].astype(str).to_numpy())
        if "community_code" in roster and n
        else np.full(n, -1)
    )
    by_place = np.full(n, -1, dtype=np.int64)
    placed = np.flatnonzero(~no_point)
    if len(placed):
        tree = shapely.STRtree(np.asarray(communities.geometry.array, dtype=object))
        p, c = tree.query(geoms[placed], predicate="intersects")
        order = np.lexsort((c, p))
        p, c = p[order], c[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = p[1:] != p[:-1]
        by_place[placed[p[first]]] = c[first]
    return np.asarray(by_code, dtype=np.int64), by_place


def person_communities(
    roster: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Each person's community, as :func:`aggregate_roster` decides it, and who has no point.

    Returns
    -------
    unit
        (n,) position in ``communities`` of the community of their ``community_code`` when it is a
        known code, else of the polygon that holds their point; −1 in neither.
    no_point
        (n,) True where the person has no coordinates.
    """
    n = len(roster)
    geoms = np.asarray(roster.geometry.array, dtype=object) if n else np.empty(0, dtype=object)
    no_point = (
        np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms), dtype=bool)
        if n
        else np.zeros(0, bool)
    )
    by_code, by_place = _community_of_people(roster, communities, geoms, no_point)
    return np.where(by_code >= 0, by_code, by_place), no_point


def aggregate_roster(
    roster: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    settings: RosterSettings = RosterSettings(),
    label: str = "roster",
) -> RosterAggregates:
    """Aggregate a roster of individuals to communities and grid cells, suppressing small counts.

    Parameters
    ----------
    roster
        Canonical roster: ``age``, ``group``, optional ``community_code`` and ``row``; points in the
        communities' metric CRS (rows without a point are counted by community code only).
    communities
        Canonical communities (``code``, ``name``, ``street_code``, ``kind``), polygons.
    settings
        Grid size and minimum count.
    label
        Name of the roster file in warnings.
    """
    problems: list[Problem] = []
    n = len(roster)
    rows = roster["row"].to_numpy() if "row" in roster else np.arange(2, n + 2)
    codes = communities["code"].to_numpy()

    geoms = np.asarray(roster.geometry.array, dtype=object) if n else np.empty(0, dtype=object)
    no_point = shapely.is_missing(geoms) | shapely.is_empty(geoms) if n else np.zeros(0, bool)
    if no_point.any():
        problems.append(
            Problem(
                label,
                f"{people_text(no_point.sum())} people have no coordinates: counted in their community "
                "(by code) but not on the care map",
                row=_rows_text(rows[no_point]),
                severity="warning",
            )
        )
    ages = roster["age"].to_numpy(dtype=float) if "age" in roster else np.full(n, np.nan)
    if np.isnan(ages).any():
        problems.append(
            Problem(
                label,
                f"{people_text(np.isnan(ages).sum())} people have no age: counted under 'age unknown'",
                row=_rows_text(rows[np.isnan(ages)]),
                column="age",
                severity="warning",
            )
        )
    band = np.select(
        [np.isnan(ages), ages < 60, ages < 80], ["age_unknown", "age_lt60", "age_60_79"], "age_80p"
    )
    groups = roster["group"].astype(str).to_numpy() if "group" in roster else np.full(n, "other")
    groups = np.where(np.isin(groups, GROUPS), groups, "other")

    # community: by code first, else by location
    by_code, by_place = _community_of_people(roster, communities, geoms, no_point)
    unit = np.where(by_code >= 0, by_code, by_place)
    placed = np.flatnonzero(~no_point)
    mismatch = (by_code >= 0) & (by_place >= 0) & (by_code != by_place)
    if mismatch.any():
        problems.append(
            Problem(
                label,
                f"{people_text(mismatch.sum())} people's community code differs from the community their "
                "point lies in: the code is used",
                row=_rows_text(rows[mismatch]),
                column="community_code",
                severity="warning",
            )
        )
    unassigned = unit < 0
    if unassigned.any():
        problems.append(
            Problem(
                label,
                f"{people_text(unassigned.sum())} people lie outside every community and have no known "
                "community code: left out of the community table",
                row=_rows_text(rows[unassigned]),
                severity="warning",
                hint="check their coordinates (coords = bd09/gcj02/wgs84) or community codes",
            )
        )
    ok = ~unassigned
    counts = _counts(unit[ok], groups[ok], band[ok], len(codes))
    shown = suppress_small(counts, settings.min_count)
    by_community = pd.concat(
        [
            communities[["code", "name", "street_code", "kind"]].reset_index(drop=True),
            shown.reset_index(drop=True),
        ],
        axis=1,
    )

    # grid cells
    xy = shapely.get_coordinates(geoms[placed]) if len(placed) else np.zeros((0, 2))
    ix = np.floor(xy[:, 0] / settings.cell_m).astype(np.int64)
    iy = np.floor(xy[:, 1] / settings.cell_m).astype(np.int64)
    keys = pd.DataFrame({"ix": ix, "iy": iy})
    cells, cell_of = (
        np.unique(keys.to_numpy(), axis=0, return_inverse=True)
        if len(keys)
        else (np.zeros((0, 2), np.int64), np.zeros(0, np.int64))
    )
    cell_of = np.asarray(cell_of).reshape(-1)
    grid_counts = _counts(cell_of, groups[placed], band[placed], len(cells))
    totals = grid_counts["total"].to_numpy()
    pooled = totals < settings.min_count
    cells_suppressed = int((pooled & (totals > 0)).sum())
    people_suppressed = int(totals[pooled].sum())
    keep = ~pooled
    cells_kept = np.asarray(cells[keep]).reshape(-1, 2)
    size = settings.cell_m
    grid_shown = suppress_small(grid_counts, settings.min_count, pooled=pooled)[keep]
    grid_shown = grid_shown.reset_index(drop=True)
    grid = gpd.GeoDataFrame(
        {
            "cell_id": [f"E{a}N{b}" for a, b in cells_kept],
            "x_center": (cells_kept[:, 0] + 0.5) * size,
            "y_center": (cells_kept[:, 1] + 0.5) * size,
            **{c: grid_shown[c].to_numpy() for c in (*COUNT_COLUMNS, "suppressed")},
        },
        geometry=shapely.box(
            cells_kept[:, 0] * size,
            cells_kept[:, 1] * size,
            (cells_kept[:, 0] + 1) * size,
            (cells_kept[:, 1] + 1) * size,
        ),
        crs=communities.crs,
    )
    result = RosterAggregates(
        by_community=by_community,
        grid=grid,
        n_people=n,
        n_unassigned=int(unassigned.sum()),
        cells_suppressed=cells_suppressed,
        people_in_suppressed_cells=people_suppressed,
        settings=settings,
        problems=tuple(problems),
    )
    log.info(
        "aggregate_roster: %s people, %d cells of %g m shown, %d dropped (fewer than %d people)",
        people_text(n),
        len(grid),
        size,
        cells_suppressed,
        settings.min_count,
    )
    return result


def roster_from_inputs(inputs: Inputs) -> RosterAggregates | None:
    """The scenario's roster aggregated with its ``[roster]`` settings (None without a roster)."""
    if inputs.roster is None:
        return None
    spec = inputs.scenario.inputs.get("roster")
    return aggregate_roster(
        inputs.roster,
        inputs.communities,
        settings=RosterSettings.from_scenario(inputs.scenario),
        label=spec.label if spec is not None else "roster",
    )
