"""Statistical disclosure control for the care roster (关爱地图): what is published, and why no
suppressed count can be recovered from it.

The roster (``inputs.roster``) lists elderly people in difficulty. The tool publishes two tables
of counts (:mod:`siting.roster`: per 社区/村 and per grid cell; written by :mod:`siting.tables`,
the cells drawn on the care map by :mod:`siting.maps`), a few totals on the console, and — when
the roster places the priority groups' weight at their homes — figures of weighted demand. The
rule below decides every one of them.

Tables (:func:`suppression_mask`)
---------------------------------
Every row of a table (a unit: one 社区/村 or one cell) holds ``total``, five group counts and four
age-band counts, and an attacker knows ``total = Σ groups = Σ age bands``. A count is *hidden*
(written ``*``):

1. **small unit**: a unit with fewer than ``min_count`` people (default 5) is hidden whole; a grid
   cell of that kind is not published at all (its people are *pooled*, see below);
2. **primary**: every count from 1 to ``min_count − 1``;
3. **row** (secondary): in a unit whose total is shown, a block (the groups, or the age bands) never
   holds exactly one hidden count: the smallest shown non-zero count of the block is hidden too,
   and when the block has none the unit is hidden whole;
4. **whole unit**: a unit whose total is hidden is hidden whole (else total = Σ groups);
5. **column** (secondary): no count column ever holds exactly one hidden non-zero cell: the
   smallest shown non-zero cell of the column is hidden too (a total so hidden hides its unit,
   rule 4). The pooled small cells of the grid count as one hidden cell (their sum is what an
   attacker could get at), so a grid with dropped cells always hides at least one more cell whole;

rules 3–5 are applied again until nothing changes (each step only hides, so it ends). Hidden
zeros are never chosen (a 0 that is hidden next to its column's known total would come back as 0).

Totals (:func:`round_people`, :func:`people_text`)
--------------------------------------------------
No exact number of roster people is printed or written, for the whole roster or any part of it
(layer table, district summary, coordinate-conversion note, the demand stage's note, warnings,
the log): such numbers are rounded to the nearest :data:`ROUND_TO` (10) and labelled 约/about;
a number from 1 to 4 is written "fewer than 5" (少于 5), and 0 as 0. The tables carry no totals
row. An attacker who reads "约 2,340" knows the total only to within −5…+4, which leaves every
hidden cell at least that much room. The exact figures stay inside the tool (e.g.
:attr:`siting.roster.RosterAggregates.n_people`) and are never formatted.

The roster size itself is no secret once every total of a table is shown (it is their sum), and
it may be known from another source: rules 3–5 are built so that even the *exact* column totals of
a table pin no hidden non-zero cell, except in a column with fewer than two non-zero cells in the
whole table, where the total can be the cell. ``tests/siting/
test_disclosure.py`` plays that attacker with :func:`scipy.optimize.linprog` on the demo and on
an adversarial roster: for every hidden cell the smallest and largest value consistent with
everything published differ by at least 1.

Weighted demand (:func:`weighted_step`, :func:`round_weighted`)
---------------------------------------------------------------
When the roster places the priority groups' extra weight at their homes (``[demand] roster =
"homes"`` with a weight ≠ 1), a weighted figure minus the same figure without the roster (which
anyone can compute from the community counts) is ``Σ_g (w_g − 1)·(roster people of group g there
− their share)``: in a small area, a count of roster people. Every such figure in a published
table (coverage tables, GIS layers, the plan's site, summary and year tables) is therefore rounded
to a multiple of ``10 × ⌈max_g |w_g − 1|⌉`` (10 for weights up to 2), so that each hides at
least ±5 people of any weighted group; shares are computed from the rounded figures. Without
roster weighting (the default: all weights 1) the weighted figures carry no roster information
and are written as before.

What this does not cover
------------------------
- Geographic differencing between the two tables is only partly addressed: their district totals
  are linked (both count the same people) and rule 5 protects against exact totals, but a 社区/村
  that is exactly a union of grid cells (or a cell that lies in one 社区/村) lets an attacker
  subtract one from the other in that area; the cells of 500 m do not follow the polygons and
  nothing here checks such overlaps.
- Many overlapping rounded weighted figures (sites' catchments, communities, streets) bound the
  same people several times; rounding widens, but does not remove, what they reveal. Weighted
  walking-time quantiles (median, 90 %) are not rounded, nor the objective values in the warning
  logged when a solver's objective disagrees with the recomputed one (``objective_mismatch``);
  the chosen sites themselves follow the roster's people by design.
- Against exact column totals (never published), a column whose hidden cells are all 0 (the
  blanked units hold nobody of that group) would show them as 0.
- Data-quality warnings about roster records (no point, no age, outside every community, code
  differs) name the rows of the operator's own file so that they can be fixed: a short list of
  rows shows how many there are, and the highest row bounds the roster's length from below. They
  are printed, never written to an output. The coordinate-system check's message on shifted
  boundaries (:mod:`siting.crs_check`) counts the points it sampled, the roster's among them.
- The run manifest records the roster file's size in bytes, a rough (not exact) hint of its length.
- The attacker is linear (rows, columns, totals, non-negative cells); knowing the rule itself
  (e.g. that a blank cell of the grid holds at least ``min_count`` people) adds bounds that are
  not tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from siting.demand import Demand

__all__ = [
    "ROUND_TO",
    "WEIGHTED_COLUMNS",
    "people_interval",
    "people_text",
    "published_weighted",
    "round_people",
    "round_weighted",
    "suppression_mask",
    "weighted_step",
]

#: Totals of roster people are published to the nearest multiple of this.
ROUND_TO = 10

#: Columns of weighted demand in the result frames (coverage, sites, plan years; the plan's
#: older-person-years are weighted too).
WEIGHTED_COLUMNS: tuple[str, ...] = (
    "weighted",
    "covered_weighted",
    "newly_covered_weighted",
    "weighted_before",
    "weighted_after",
    "weighted_total",
    "cumulative_elderly_years",
)


def suppression_mask(
    values: np.ndarray,
    min_count: int,
    *,
    blocks: Sequence[Sequence[int]],
    pooled: np.ndarray | None = None,
) -> np.ndarray:
    """Which counts of a table to hide (True), by rules 1–5 of the module docstring.

    Parameters
    ----------
    values
        (n, k) counts ≥ 0, one row per unit; column 0 is the unit's total.
    min_count
        The smallest count ever shown.
    blocks
        Column positions of each breakdown of the total (each sums to column 0).
    pooled
        (n,) rows that are not published at all (grid cells with fewer than ``min_count`` people):
        hidden whole, and counted as one hidden cell per column in rule 5.

    Returns
    -------
    numpy.ndarray
        (n, k) bool.
    """
    v = np.asarray(values, dtype=float)
    n, k = v.shape
    pool = np.zeros(n, dtype=bool) if pooled is None else np.asarray(pooled, dtype=bool)
    hidden = (v > 0) & (v < min_count)  # rule 2
    hidden[(v[:, 0] < min_count) | pool, :] = True  # rule 1
    nonzero = v > 0
    pool_nonzero = v[pool].sum(axis=0) > 0
    block_idx = [np.asarray(b, dtype=np.int64) for b in blocks]

    def rows_closed() -> None:  # rules 4 and 3 until nothing changes
        while True:
            before = int(hidden.sum())
            hidden[hidden[:, 0], :] = True
            for b in block_idx:
                hb = hidden[:, b]
                rows = np.flatnonzero((hb.sum(axis=1) == 1) & ~hidden[:, 0])
                if len(rows):
                    sub = v[np.ix_(rows, b)]
                    cand = np.where((sub > 0) & ~hb[rows], sub, np.inf)
                    best = np.argmin(cand, axis=1)
                    found = np.isfinite(cand[np.arange(len(rows)), best])
                    hidden[rows[found], b[best[found]]] = True
                    hidden[rows[~found], :] = True
            if int(hidden.sum()) == before:
                return

    while True:  # rule 5, one cell at a time (each may settle other columns through its row)
        rows_closed()
        for c in range(k):
            h = hidden[:, c]
            if int((h & nonzero[:, c] & ~pool).sum()) + int(pool_nonzero[c]) != 1:
                continue
            cand = np.where(~h & nonzero[:, c], v[:, c], np.inf)
            r = int(np.argmin(cand))
            if np.isfinite(cand[r]):
                hidden[r, c] = True
                break
        else:
            return hidden


def round_people(n: float) -> int:
    """``n`` people to the nearest :data:`ROUND_TO`, halves up (``round_people(2335) == 2340``)."""
    return math.floor(float(n) / ROUND_TO + 0.5) * ROUND_TO


def people_text(n: float, lang: str = "en") -> str:
    """A number of roster people as published: ``"0"``, ``"fewer than 5"`` (1–4) or ``"about
    2,340"`` (``"少于 5"``, ``"约 2,340"`` in Chinese); never the exact number."""
    n = int(n)
    if n <= 0:
        return "0"
    if round_people(n) == 0:
        return f"少于 {ROUND_TO // 2}" if lang == "zh" else f"fewer than {ROUND_TO // 2}"
    return f"约 {round_people(n):,}" if lang == "zh" else f"about {round_people(n):,}"


def people_interval(text: str) -> tuple[int, int]:
    """The exact numbers that :func:`people_text` publishes as ``text`` (what an attacker learns)."""
    t = text.replace(",", "").strip()
    if t == "0":
        return 0, 0
    if t.startswith(("fewer than", "少于")):
        return 1, ROUND_TO // 2 - 1
    p = int(t.split()[-1])
    return p - ROUND_TO // 2, p + ROUND_TO // 2 - 1


def weighted_step(demand: Demand | None) -> int | None:
    """The rounding step of published weighted figures: ``10 × ⌈max_g |w_g − 1|⌉`` (at least 10)
    when the roster placed the weights at homes, else None (the figures carry no roster data)."""
    if demand is None or getattr(demand, "roster", None) is None:
        return None
    extra = max((abs(getattr(demand.weights, k) - 1.0) for k in demand.weights.active()), default=0)
    return ROUND_TO * max(1, math.ceil(extra - 1e-9))


def round_weighted(x: Any, step: int | None) -> Any:
    """A weighted figure as published: to a multiple of ``step`` (unchanged when ``step`` is None;
    None and NaN stay as they are)."""
    if step is None or x is None:
        return x
    value = float(x)
    if not math.isfinite(value):
        return x
    return math.floor(value / step + 0.5) * step


def published_weighted(frame: pd.DataFrame, step: int | None) -> pd.DataFrame:
    """``frame`` with its weighted columns (:data:`WEIGHTED_COLUMNS`) as published: rounded to
    ``step``, and ``weighted_coverage_pct`` recomputed from the rounded figures (NaN where the
    rounded weighted demand is 0). The frame itself when ``step`` is None."""
    if step is None:
        return frame
    out = frame.copy()
    for col in WEIGHTED_COLUMNS:
        if col in out.columns:
            out[col] = np.array([round_weighted(v, step) for v in out[col]], dtype=float)
    if {"weighted_coverage_pct", "weighted", "covered_weighted"} <= set(out.columns):
        w = out["weighted"].to_numpy(dtype=float)
        cov = out["covered_weighted"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["weighted_coverage_pct"] = np.where(w > 0, 100 * cov / w, np.nan)
    return out
