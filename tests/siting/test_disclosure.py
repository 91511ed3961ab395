"""No suppressed roster count can be recovered from what the tool publishes (issue 15 part 7).

An attacker collects every published number: the roster tables written by ``siting coverage`` and
``siting run`` (``roster_communities.csv``, ``roster_grid.csv``) and every number printed on the
console. They know that in each row total = Σ groups = Σ age bands, that every count is ≥ 0,
that the grid's dropped cells hold what the grid does not show, and the roster size as printed
(约 N: N − 5 … N + 4). For each suppressed cell, :func:`scipy.optimize.linprog` gives the smallest
and largest value consistent with all of that; the cell is *pinned* when they differ by less than
1. The attack runs on ``data/demo-small`` and on an adversarial roster (a 社区 of 3 people, a
village of exactly 5, a cell of 2 far from the rest, one 特困 and one 低保 in a big 社区, a village
where everyone is in one group, a person whose code differs from their point). A stronger
attacker who knows every table's exact column totals (say from another source) pins no hidden
non-zero cell either (:mod:`siting.disclosure`, rule 5). The same attacker, given the old
behaviour (row-wise suppression only, the exact roster size printed), does pin the small 社区:
the test proves that the attacker works.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.optimize import linprog

from siting.cli import main
from siting.coords import convert
from siting.coverage import compute_coverage
from siting.disclosure import (
    ROUND_TO,
    people_interval,
    people_text,
    published_weighted,
    round_people,
    round_weighted,
    suppression_mask,
    weighted_step,
)
from siting.i18n import label
from siting.io import load_inputs
from siting.roster import AGE_BANDS, COUNT_COLUMNS, GROUPS, suppress_small
from siting.scenario import load_scenario
from siting.tables import coverage_frames
from tests.siting.test_coverage import district
from tests.siting.test_roster import roster as roster_frame

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"
CELL_M = 500.0
MIN_COUNT = 5
GROUP_POS = [COUNT_COLUMNS.index(c) for c in GROUPS]
BAND_POS = [COUNT_COLUMNS.index(c) for c in AGE_BANDS]
K = len(COUNT_COLUMNS)


# --------------------------------------------------------------------------------------------
# the attacker
# --------------------------------------------------------------------------------------------


@dataclass
class Attacker:
    """Linear constraints from published numbers; the range of each unknown by linprog."""

    names: list[str] = field(default_factory=list)
    bounds: list[tuple[float, float | None]] = field(default_factory=list)
    eq: list[tuple[dict[int, float], float]] = field(default_factory=list)

    def var(self, name: str, lo: float = 0.0, hi: float | None = None) -> int:
        self.names.append(name)
        self.bounds.append((lo, hi))
        return len(self.names) - 1

    def table(self, name: str, ids: list[str], values: np.ndarray, *, pool: bool = False) -> list:
        """Rows of terms (variable index or known value); each row sums as the table says.

        ``pool``: the grid's dropped cells, one unknown row (a cell the grid does not show)."""
        rows = []
        for rid, row in zip(
            [*ids, *(["(dropped cells)"] if pool else [])],
            [*values, *([np.full(K, np.nan)] if pool else [])],
            strict=True,
        ):
            terms = [
                ("x", self.var(f"{name}:{rid}:{COUNT_COLUMNS[c]}")) if math.isnan(v) else ("c", v)
                for c, v in enumerate(row)
            ]
            for block in (GROUP_POS, BAND_POS):
                self.equal([terms[c] for c in block] + [("neg", terms[0])], 0.0)
            rows.append(terms)
        return rows

    def equal(self, terms: list, value: float) -> None:
        coefs: dict[int, float] = {}
        rhs = value
        for kind, t in terms:
            sign = 1.0
            if kind == "neg":
                kind, t = t
                sign = -1.0
            if kind == "x":
                coefs[t] = coefs.get(t, 0.0) + sign
            else:
                rhs -= sign * t
        if coefs:
            self.eq.append((coefs, rhs))
        else:  # only published numbers: they must agree
            assert abs(rhs) < 1e-9, f"published numbers disagree by {rhs}"

    def ranges(self) -> dict[str, tuple[float, float]]:
        n = len(self.names)
        a = np.zeros((len(self.eq), n))
        b = np.zeros(len(self.eq))
        for i, (coefs, rhs) in enumerate(self.eq):
            for j, v in coefs.items():
                a[i, j] = v
            b[i] = rhs
        out = {}
        for j, name in enumerate(self.names):
            c = np.zeros(n)
            lo_hi = []
            for sign in (1.0, -1.0):
                c[j] = sign
                res = linprog(c, A_eq=a, b_eq=b, bounds=self.bounds, method="highs")
                if res.status == 3:  # unbounded
                    lo_hi.append(-math.inf if sign > 0 else math.inf)
                else:
                    assert res.status == 0, (
                        f"the attacker's constraints are infeasible: {res.message}"
                    )
                    lo_hi.append(sign * res.fun)
            out[name] = (lo_hi[0], lo_hi[1])
        return out


def pinned(ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    return {k: r for k, r in ranges.items() if r[1] - r[0] < 1 - 1e-6}


def column_terms(rows: list, c: int) -> list:
    return [r[c] for r in rows]


# --------------------------------------------------------------------------------------------
# what is published, and the truth
# --------------------------------------------------------------------------------------------


@dataclass
class Published:
    communities: tuple[list[str], np.ndarray]
    grid: tuple[list[str], np.ndarray]
    console: str
    files: dict[str, str]


@dataclass
class Truth:
    communities: tuple[list[str], np.ndarray]  # every community, input order
    cells: tuple[list[str], np.ndarray]  # every cell with people
    n_people: int


def read_counts(path: Path) -> tuple[list[str], np.ndarray]:
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    counts = frame.iloc[:, -K:].replace("*", np.nan).astype(float).to_numpy()
    return frame.iloc[:, 0].tolist(), counts


def count_rows(unit: np.ndarray, groups: np.ndarray, ages: np.ndarray, n: int) -> np.ndarray:
    """The true counts, computed here from the people (an oracle independent of siting.roster)."""
    band = np.select(
        [np.isnan(ages), ages < 60, ages < 80], ["age_unknown", "age_lt60", "age_60_79"], "age_80p"
    )
    out = np.zeros((n, K))
    for i, u in enumerate(unit):
        out[u, 0] += 1
        out[u, COUNT_COLUMNS.index(groups[i])] += 1
        out[u, COUNT_COLUMNS.index(str(band[i]))] += 1
    return out


def truth_of(scenario_path: Path) -> Truth:
    inputs = load_inputs(load_scenario(scenario_path), network=False)
    r = inputs.roster
    codes = inputs.communities["code"].tolist()
    unit = np.array([codes.index(c) for c in r["community_code"]])
    groups = r["group"].astype(str).to_numpy()
    ages = r["age"].to_numpy(dtype=float)
    xy = shapely.get_coordinates(r.geometry.array)
    ij = np.floor(xy / CELL_M).astype(np.int64)
    cells, cell_of = np.unique(ij, axis=0, return_inverse=True)
    return Truth(
        communities=(codes, count_rows(unit, groups, ages, len(codes))),
        cells=(
            [f"E{a}N{b}" for a, b in cells],
            count_rows(np.asarray(cell_of).reshape(-1), groups, ages, len(cells)),
        ),
        n_people=len(r),
    )


def run_cli(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(argv) == 0, out.getvalue() + err.getvalue()
    return out.getvalue() + err.getvalue()


def published_by(argv: list[str], out_dir: Path) -> Published:
    console = run_cli(argv)
    files = {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(out_dir.glob("*.csv"))}
    return Published(
        communities=read_counts(out_dir / "roster_communities.csv"),
        grid=read_counts(out_dir / "roster_grid.csv"),
        console=console,
        files=files,
    )


def numbers_in(text: str) -> set[int]:
    """Every whole number in ``text`` (with or without thousands separators)."""
    return {int(m.replace(",", "")) for m in re.findall(r"(?<![\d.])\d{1,3}(?:,\d{3})+|\d+", text)}


def printed_roster_sizes(console: str) -> list[tuple[int, int]]:
    """The roster size as printed on the console (its row of the layer table, the summary line):
    the exact numbers each printed form allows."""
    found = []
    for line in console.splitlines():
        if "名册" in line or "roster of elderly" in line.lower():
            for m in re.finditer(r"(约|about) ?[\d,]+|(少于|fewer than) \d+", line):
                found.append(people_interval(m.group(0)))
    return found


# --------------------------------------------------------------------------------------------
# the adversarial roster
# --------------------------------------------------------------------------------------------

_GROUP_CN = {
    "disabled": "失能",
    "extreme_poor": "特困",
    "living_alone": "独居",
    "low_income": "低保",
    "other": "其他",
}


def write_adversarial(folder: Path) -> None:
    """demo-small with a hand-made roster in its format (GB18030, BD-09): see the module docstring."""
    shutil.copytree(SMALL, folder)
    com = gpd.read_file(folder / "boundaries.gpkg", layer="社区村")
    rng = np.random.default_rng(20240607)
    people: list[tuple[str, int, str, float, float]] = []

    def near(i: int, k: int, spread: float = 0.0004) -> list[tuple[float, float]]:
        g = com.geometry.iloc[i]
        p = g.representative_point()
        out: list[tuple[float, float]] = []
        while len(out) < k:
            x, y = p.x + rng.uniform(-spread, spread), p.y + rng.uniform(-spread, spread)
            if g.contains(shapely.Point(x, y)):
                out.append((x, y))
        return out

    def far(i: int, km: float = 1.2) -> tuple[float, float]:
        g = com.geometry.iloc[i]
        p = g.representative_point()
        minx, miny, maxx, maxy = g.bounds
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            inside = g.contains(shapely.Point(x, y)) and g.contains(shapely.Point(x, y + 0.0002))
            if inside and math.hypot((x - p.x) * 97, (y - p.y) * 111) > km:
                return x, y

    codes = com["社区村代码"].tolist()
    # first (low row numbers in the warnings): a cell of 2 in 银垭村 far from its other people,
    # and a person in 德关社区 coded 裕川社区
    x, y = far(12)
    people += [(codes[12], 70, "disabled", x, y), (codes[12], 83, "living_alone", x, y + 0.0002)]
    p = com.geometry.iloc[1].representative_point()
    people.append((codes[2], 68, "disabled", p.x, p.y))
    cycle_groups = [
        "disabled", "living_alone", "living_alone", "disabled", "extreme_poor", "other", "low_income"
    ]  # fmt: skip
    for i, code in enumerate(codes):
        if i == 3:  # 春寺社区: 3 people
            for (x, y), (age, g) in zip(
                near(i, 3),
                [(82, "disabled"), (70, "living_alone"), (66, "living_alone")],
                strict=True,
            ):
                people.append((code, age, g, x, y))
        elif i == 7:  # 星塘村: everyone living alone, aged 75
            people += [(code, 75, "living_alone", x, y) for x, y in near(i, 8)]
        elif i == 9:  # 月桥村: exactly 5
            kinds = ["disabled", "disabled", "living_alone", "living_alone", "extreme_poor"]
            people += [(code, 72, g, x, y) for (x, y), g in zip(near(i, 5), kinds, strict=True)]
        elif i == 0:  # 德寺社区: 60, one 特困, one 低保, one under 60
            for j, (x, y) in enumerate(near(i, 60)):
                g = {10: "extreme_poor", 11: "low_income"}.get(
                    j, ["disabled", "living_alone"][j % 2]
                )
                age = 55 if j == 12 else [65, 72, 81, 77, 69, 88][j % 6]
                people.append((code, age, g, x, y))
        else:
            for j, (x, y) in enumerate(near(i, 14 + (i * 7) % 30)):
                age = [65, 72, 81, 77, 69, 88, 74, 62][j % 8]
                people.append((code, age, cycle_groups[j % 7], x, y))

    lon = np.array([q[3] for q in people])
    lat = np.array([q[4] for q in people])
    blon, blat = convert(lon, lat, src="wgs84", dst="bd09")
    pd.DataFrame(
        {
            "编号": [f"A{k:05d}" for k in range(len(people))],
            "姓名": "某某",
            "性别": "女",
            "年龄": [str(q[1]) for q in people],
            "类别": [_GROUP_CN[q[2]] for q in people],
            "评估等级": "",
            "社区村代码": [q[0] for q in people],
            "地址": "",
            "经度": [f"{v:.7f}" for v in blon],
            "纬度": [f"{v:.7f}" for v in blat],
        }
    ).to_csv(folder / "roster.csv", index=False, encoding="gb18030")
    text = (folder / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace(
        '"空巢" = "living_alone"\n',
        '"空巢" = "living_alone"\n"低保" = "low_income"\n"其他" = "other"\n',
    )
    (folder / "scenario.toml").write_text(text, encoding="utf-8")


def with_output(folder: Path, out: Path) -> None:
    text = (folder / "scenario.toml").read_text(encoding="utf-8")
    (folder / "scenario.toml").write_text(
        re.sub(r"(?m)^dir = .*$", f'dir = "{out.as_posix()}"', text), encoding="utf-8"
    )


@contextlib.contextmanager
def working_dir(path: Path):
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@pytest.fixture(scope="module", params=["demo-small", "adversarial"])
def case(request, tmp_path_factory) -> tuple[str, Truth, dict[str, Published]]:
    """(name, truth, what ``siting coverage`` and ``siting run`` published)."""
    base = tmp_path_factory.mktemp(request.param)
    folder = base / "district"
    if request.param == "adversarial":
        write_adversarial(folder)
    else:
        shutil.copytree(SMALL, folder)
    with_output(folder, base / "run")
    with working_dir(base):
        runs = {
            "coverage": published_by(
                ["coverage", str(folder), "--out", str(base / "cov")], base / "cov"
            ),
            "run": published_by(["run", str(folder)], base / "run"),
        }
    return request.param, truth_of(folder / "scenario.toml"), runs


# --------------------------------------------------------------------------------------------
# the attacks
# --------------------------------------------------------------------------------------------


def attack_published(pub: Published, truth: Truth, *, exact_size: bool = False) -> dict:
    """Every suppressed cell's range from the tables and the console (and the exact roster size
    when ``exact_size``, as the console printed it before)."""
    a = Attacker()
    com = a.table("communities", *pub.communities)
    grid = a.table("grid", *pub.grid, pool=True)
    sizes = printed_roster_sizes(pub.console)
    lo = max([s[0] for s in sizes], default=0)
    hi = min([s[1] for s in sizes], default=None)
    if exact_size:
        lo = hi = truth.n_people
    n = a.var("roster size", lo, hi)
    # every person is in a community and has a point here (the CLI refuses rows without a point
    # or outside the district): the tables' totals are the roster size
    for rows in (com, grid):
        a.equal([("x", n), *[("neg", t) for t in column_terms(rows, 0)]], 0.0)
    return a.ranges()


def attack_exact_columns(ids: list[str], values: np.ndarray, truth: np.ndarray, *, pool: bool):
    """Every suppressed cell's range from one table and its exact column totals."""
    a = Attacker()
    rows = a.table("t", ids, values, pool=pool)
    for c in range(K):
        a.equal(column_terms(rows, c), float(truth[:, c].sum()))
    return a.ranges()


def true_value(name: str, truth: Truth) -> float:
    table, rid, col = name.split(":")
    ids, values = truth.communities if table == "communities" else truth.cells
    c = COUNT_COLUMNS.index(col)
    if rid == "(dropped cells)":
        small = values[values[:, 0] < MIN_COUNT]
        return float(small[:, c].sum())
    return float(values[ids.index(rid), c])


def test_the_tables_are_true_and_coverage_and_run_publish_the_same(case):
    _, truth, runs = case
    for pub in runs.values():
        for (ids, shown), (tids, tvalues) in (
            (pub.communities, truth.communities),
            (pub.grid, truth.cells),
        ):
            expect = tvalues[[tids.index(i) for i in ids]]
            ok = ~np.isnan(shown)
            assert (shown[ok] == expect[ok]).all()
        # every cell with at least MIN_COUNT people has a row; the others none
        ids, values = truth.cells
        assert pub.grid[0] == [i for i, v in zip(ids, values, strict=True) if v[0] >= MIN_COUNT]
        assert pub.communities[0] == truth.communities[0]
    for a, b in (("communities", 0), ("grid", 0)):
        assert getattr(runs["coverage"], a)[b] == getattr(runs["run"], a)[b]
        np.testing.assert_array_equal(getattr(runs["coverage"], a)[1], getattr(runs["run"], a)[1])
    hidden = np.isnan(runs["run"].communities[1]).sum() + np.isnan(runs["run"].grid[1]).sum()
    assert hidden > 0  # there is something to attack


def test_no_exact_roster_size_is_printed_or_written(case):
    """Not in any line about the roster, nor in its tables. (A number printed for something else
    may happen to equal it: harmless, as even exact totals pin nothing, see below.)"""
    _, truth, runs = case
    n = truth.n_people
    for command, pub in runs.items():
        about_roster = [
            line
            for line in pub.console.splitlines()
            if re.search(r"名册|roster|people", line, flags=re.IGNORECASE)
        ]
        assert about_roster  # the warnings and stage notes about the roster are searched too
        assert [line for line in about_roster if n in numbers_in(line)] == []
        for stem in ("roster_communities.csv", "roster_grid.csv"):
            assert n not in numbers_in(pub.files[stem])
        sizes = printed_roster_sizes(pub.console)
        # run prints the layer table (records, and the coordinate note) and the summary line
        assert len(sizes) >= (3 if command == "run" else 0)
        assert all(lo <= n <= hi and hi - lo == ROUND_TO - 1 for lo, hi in sizes)


def test_no_suppressed_cell_is_pinned_by_rows_columns_and_printed_totals(case):
    _, truth, runs = case
    ranges = attack_published(runs["run"], truth)
    cells = {k: r for k, r in ranges.items() if k != "roster size"}
    assert len(cells) > 10
    for k, (lo, hi) in cells.items():
        assert lo - 1e-6 <= true_value(k, truth) <= hi + 1e-6  # the attacker is right
    assert pinned(cells) == {}


def test_exact_column_totals_pin_no_hidden_non_zero_cell(case):
    """Even the exact column totals of each table (never published; in the demo the 社区/村
    table's shown totals add up to the roster size) pin no hidden cell that holds anyone. A hidden
    0 may show as 0: nobody of that group in the blanked units (here: under 60, age unknown, 低保
    and other in the demo, columns with at most one non-zero cell)."""
    name, truth, runs = case
    pub = runs["run"]
    for table, (ids, values), (_, tvalues), pool in (
        ("communities", pub.communities, truth.communities, False),
        ("grid", pub.grid, truth.cells, True),
    ):
        ranges = attack_exact_columns(ids, values, tvalues, pool=pool)
        assert len(ranges) > 2
        values_of = {k: true_value(k.replace("t:", f"{table}:", 1), truth) for k in ranges}
        for k, (lo, hi) in ranges.items():
            assert lo - 1e-6 <= values_of[k] <= hi + 1e-6  # the attacker is right
        bad = {k: r for k, r in pinned(ranges).items() if values_of[k] > 0}
        assert bad == {}, f"{name} {table}"


def old_row_suppression(values: np.ndarray, min_count: int) -> np.ndarray:
    """The tables as the tool wrote them before the column rule: small units and counts 1 to
    min_count − 1 blanked, and within each row's groups and age bands a single blank was joined
    by the block's smallest other non-zero count."""
    hidden = (values > 0) & (values < min_count)
    for block in (GROUP_POS, BAND_POS):
        sub = values[:, block]
        one = hidden[:, block].sum(axis=1) == 1
        cand = np.where((sub > 0) & ~hidden[:, block], sub, np.inf)
        rows = np.flatnonzero(one & np.isfinite(cand.min(axis=1)))
        hidden[rows, np.asarray(block)[np.argmin(cand, axis=1)[rows]]] = True
    hidden[values[:, 0] < min_count, :] = True
    return np.where(hidden, np.nan, values)


def test_the_attacker_recovers_the_small_community_from_the_old_behaviour(case):
    """The bug report: with the exact roster size on the console, the old tables (row rules only)
    give the 社区 of 3 away (its total is the roster size minus every other total); the new tables
    with the same exact size do not."""
    name, truth, runs = case
    if name != "adversarial":
        pytest.skip("the demo-small roster has no small 社区")
    ids, values = truth.communities
    old = Published(
        communities=(ids, old_row_suppression(values, MIN_COUNT)),
        grid=runs["run"].grid,
        console="",
        files={},
    )
    leaked = pinned(attack_published(old, truth, exact_size=True))
    assert leaked["communities:500199001004:total"] == pytest.approx((3.0, 3.0))
    new = attack_published(runs["run"], truth, exact_size=True)
    assert pinned({k: r for k, r in new.items() if k != "roster size"}) == {}


# --------------------------------------------------------------------------------------------
# the rule, by hand
# --------------------------------------------------------------------------------------------


def frame(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COUNT_COLUMNS))


def blanks(out: pd.DataFrame) -> list[list[str]]:
    return [[c for c in COUNT_COLUMNS if np.isnan(out.iloc[i][c])] for i in range(len(out))]


def test_a_single_blank_in_a_column_is_joined_by_the_columns_next_smallest():
    out = suppress_small(
        frame(
            [
                # total; disabled, 特困, living alone, 低保, other; < 60, 60–79, 80+, unknown
                [10, 4, 0, 6, 0, 0, 0, 10, 0, 0],  # 4 disabled (primary), 6 living alone (row)
                [12, 5, 0, 7, 0, 0, 0, 6, 6, 0],  # 5 disabled: the column's next smallest
                [20, 8, 0, 12, 0, 0, 0, 14, 6, 0],
            ]
        ),
        5,
    )
    # row 1 then needs a second blank among its groups: its 7 living alone, which also gives
    # the living-alone column its second blank
    assert blanks(out) == [["disabled", "living_alone"], ["disabled", "living_alone"], []]


def test_the_rules_cascade_until_stable():
    out = suppress_small(
        frame(
            [
                [12, 3, 0, 9, 0, 0, 0, 12, 0, 0],
                [7, 7, 0, 0, 0, 0, 0, 7, 0, 0],
                [40, 20, 0, 20, 0, 0, 0, 40, 0, 0],
            ]
        ),
        5,
    )
    # 3 disabled (primary) and 9 living alone (row) in row 0; the disabled column's next
    # smallest is row 1's 7, its only group: row 1 is blanked whole; its total is then the
    # total column's only blank, so row 0 goes whole too; the living-alone column's 9 is then
    # alone: row 2's 20 living alone, and its 20 disabled (row rule) follow
    every = list(COUNT_COLUMNS)
    assert blanks(out) == [every, every, ["disabled", "living_alone"]]
    assert out["suppressed"].tolist() == [10, 10, 2]


def test_the_grids_dropped_cells_count_as_one_blank():
    values = np.array(
        [
            [2, 2, 0, 0, 0, 0, 0, 2, 0, 0],  # dropped
            [1, 0, 0, 1, 0, 0, 0, 0, 1, 0],  # dropped
            [6, 6, 0, 0, 0, 0, 0, 6, 0, 0],
            [9, 4, 0, 5, 0, 0, 0, 9, 0, 0],
            [30, 10, 0, 20, 0, 0, 0, 20, 10, 0],
        ],
        dtype=float,
    )
    hidden = suppression_mask(values, 5, blocks=[GROUP_POS, BAND_POS], pooled=values[:, 0] < 5)
    # the dropped cells' 3 are the total column's only blank: the smallest shown cell (6) goes
    # whole; row 3's 4 disabled (primary) takes its 5 living alone; the 80+ column's only blank
    # is the dropped 1: row 4's 10 80+ and its 20 aged 60–79 follow
    assert hidden[:3].all()
    assert hidden[3].tolist() == [c in ("disabled", "living_alone") for c in COUNT_COLUMNS]
    assert hidden[4].tolist() == [c in ("age_60_79", "age_80p") for c in COUNT_COLUMNS]


def test_rounded_people_and_what_they_tell():
    assert [round_people(n) for n in (0, 4, 5, 14, 15, 2335)] == [0, 0, 10, 10, 20, 2340]
    assert [people_text(n) for n in (0, 3, 5, 2335)] == [
        "0",
        "fewer than 5",
        "about 10",
        "about 2,340",
    ]
    assert people_text(2335, "zh") == "约 2,340" and people_text(2, "zh") == "少于 5"
    for n in range(0, 60):
        lo, hi = people_interval(people_text(n))
        assert lo <= n <= hi and people_interval(people_text(n, "zh")) == (lo, hi)


# --------------------------------------------------------------------------------------------
# weighted demand
# --------------------------------------------------------------------------------------------


def test_roster_weighted_figures_are_published_rounded(tmp_path):
    people = [(f"N{i}", 70 + i, "disabled", "500199001001", 100 + 40 * i, 500) for i in range(7)]
    people += [(f"M{i}", 82, "extreme_poor", "500199001002", 1500, 510) for i in range(3)]
    inputs, graph = district(
        tmp_path / "d",
        roster=roster_frame(people),
        settings_toml="weight_disabled = 2\nweight_extreme_poor = 3.5\n",
    )
    result = compute_coverage(inputs, graph)
    step = weighted_step(result.demand)
    assert step == 30  # 10 × ⌈3.5 − 1⌉: each figure hides at least ±5 people of either group
    frames = coverage_frames(result, lang="en")
    for stem, source in (
        ("coverage_communities", result.communities),
        ("coverage_district", result.district),
    ):
        shown = frames[stem]
        w = shown["weighted demand"].astype(float).to_numpy()
        cov = shown["weighted demand covered"].astype(float).to_numpy()
        assert (w % step == 0).all() and (cov % step == 0).all()
        assert w.tolist() == [round_weighted(v, step) for v in source["weighted"]]
        pct = shown["weighted coverage (%)"].astype(float).to_numpy()
        expect = np.where(w > 0, np.round(100 * cov / np.where(w > 0, w, 1), 1), np.nan)
        np.testing.assert_allclose(pct, expect)
    # without roster weighting the figures are written as computed
    plain = compute_coverage(district(tmp_path / "p", roster=roster_frame(people))[0], graph)
    assert weighted_step(plain.demand) is None
    assert published_weighted(plain.communities, None) is plain.communities


def test_a_roster_weighted_run_publishes_no_exact_weighted_figure(tmp_path):
    """``siting run`` with the roster's people weighing at their homes: every weighted figure of
    its tables and GIS layers is a multiple of the step, and the stage note rounds its counts."""
    folder = tmp_path / "district"
    write_adversarial(folder)
    with_output(folder, tmp_path / "unused")
    scenario = tmp_path / "weighted.toml"
    scenario.write_text(
        f'extends = "{(folder / "scenario.toml").as_posix()}"\n'
        "[demand]\nweight_disabled = 3\nweight_80p = 2\n"
        f'[output]\ndir = "{(tmp_path / "run").as_posix()}"\n',
        encoding="utf-8",
    )
    step = 20  # 10 × ⌈3 − 1⌉
    with working_dir(tmp_path):
        console = run_cli(["run", str(scenario)])
    out = tmp_path / "run"
    note = re.search(r"名册：在家中 (.+?) 人，分摊 (.+?) 人，未计入 (.+?) 人", console)
    assert note is not None
    for text in note.groups():
        assert re.fullmatch(r"0|少于 5|约 [\d,]+", text)

    def multiples(values) -> bool:
        v = pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna().to_numpy()
        return len(v) > 0 and bool((v % step == 0).all())

    for stem in ("coverage_communities", "coverage_streets", "coverage_district"):
        table = pd.read_csv(out / f"{stem}.csv", encoding="utf-8-sig")
        for key in ("col_weighted", "col_covered_weighted"):
            assert multiples(table[label(key, "zh")]), (stem, key)
    sites = pd.read_csv(out / "siting_sites.csv", encoding="utf-8-sig")
    assert multiples(sites[label("opt_col_newly_weighted", "zh")])
    summary = pd.read_csv(out / "siting_summary.csv", encoding="utf-8-sig")
    summary = summary.set_index(summary.columns[0])[summary.columns[1]]
    keys = ["weighted_after", "objective_value", "best_bound", "objective_recomputed"]
    assert multiples([summary[label(f"opt_sum_{k}", "zh")] for k in keys])
    for layer in ("communities", "demand_summary"):
        assert multiples(gpd.read_file(out / "layers.gpkg", layer=layer)["weighted"])
    assert multiples(gpd.read_file(out / "layers.gpkg", layer="communities")["covered_weighted"])
