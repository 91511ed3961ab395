"""What a new or changed facility costs, line by line and by who pays, in 万元.

A site of type ``t`` with floor area ``A`` (m²) costs, over ``H = horizon_years``:

    cost = subsidy_municipal(t) + subsidy_district(t) + works
           + 12 · H · (incentive(t, A) + rent) / 10,000                                  [万元]

Five **lines** (资金分项), each paid by one **level** (市级 municipal, 区级 district):

=====================  ==========  ========  ==========================================================
line                   kind        level     what
=====================  ==========  ========  ==========================================================
``subsidy_municipal``  capital     市级      construction subsidy of the city (以奖代补), by type
``subsidy_district``   capital     区级      construction subsidy of the district, by type
``works``              capital     区级 (*)  the works cost of the site (改造费用): the candidate's own
                                             ``capital_cost_wan_yuan``, else ``works_wan_yuan`` of the type
``incentive``          operating   区级 (*)  the monthly operating incentive (运行激励), by floor area
                                             for centers and stations, flat for points
``rent``               operating   区级 (*)  the candidate's ``monthly_rent_yuan`` (rentals only)
=====================  ==========  ========  ==========================================================

(*) the documents do not say who pays these; ``[costs.levels]`` sets it (e.g. ``works =
"municipal"``). The subsidies are what the documents attach to each facility; the works cost is
what the site needs on top of them (a candidate with works 0 is an idle state-owned asset used as
it is, 001 §三(三), 004). A planner who reads the subsidy as paying for the works leaves the works
out of the budget with a budget line (``[[budget.line]] kind = "capital", lines = [...]``).

================  =================  =========================================  ================================
type              subsidy 市级 + 区级  operating incentive (元/月)                 source
================  =================  =========================================  ================================
street_center     200 + 0            by floor area: ≤ 500 m² 2000,              001 §三(二) (市级 200 万); 002 §13
                                     501–1000 m² 3000, > 1000 m² 4000
town_center       100 + 0            by floor area (as above)                   001 §三(二) (市级对镇中心和村级互助点
                                                                                打包 100 万); 002 §17
station           20 + 10            by floor area (as above)                   001 §三(二) (市级 20 万 + 区级 10
                                                                                万); 002 §13 (20 万)
village_point     0 + 0 (assumption) 500                                        001 §三(二) (500 元/月)
compound_point    0 + 0 (assumption) 867 (assumption)                           003 附件2 (200 元/场, 每周 1 场)
================  =================  =========================================  ================================

Every figure is a default the scenario overrides in ``[costs]`` (per type), and the candidates
file overrides the works cost per site. Unit: 万元 throughout (1 万元 = 10,000 元).

Assumptions (the documents give no separate figure):

- ``village_point`` subsidy 0: the documents fund village points only inside the 100 万元
  town-center package (001 §三(二); 002 §17), which this table books entirely on the town center.
  A point therefore costs its operating incentive (500 元/月 × 60 months = 3 万元 over 5 years).
- ``compound_point`` subsidy 0: compound points use rooms of the compound (小区配套用房、物业服务用房,
  000 ch.4 §1). Operating: 铜梁 pays 200 元 for one recreation session a week at each compound
  point (003 annex 2): 200 × 52 / 12 ≈ 867 元/月.
- Works 0 where the candidate gives none (``works_wan_yuan`` per type overrides it); the tables
  count the candidates whose works cost is not known.
- A site without a floor area takes its type's standard size (``default_floor_area_m2``: street
  center 1500 m², town center 800 m², station 300 m² — 001 annex 1, 002 §13; village point 60 m²,
  compound point 100 m² — the demo's typical rooms) for the operating bracket.
- ``horizon_years = 5``: a five-year plan (十四五).
- Upgrading an existing facility to another type (e.g. a village point enlarged to a station)
  earns the new type's subsidies and costs ``upgrade_works_wan_yuan`` of the new type in works
  (default 0), plus the change of operating incentive; its floor area becomes at least the new
  type's standard size. Closing one saves its operating incentive (a negative cost on the
  ``incentive`` line).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from siting.errors import Problem, ScenarioError
from siting.io import SITEABLE_TYPES

__all__ = [
    "CAPITAL_LINES",
    "COST_SOURCES",
    "DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH",
    "DEFAULT_FLOOR_AREA_M2",
    "DEFAULT_SUBSIDY_DISTRICT_WAN_YUAN",
    "DEFAULT_SUBSIDY_MUNICIPAL_WAN_YUAN",
    "LEVELS",
    "LINES",
    "OPERATING_LINES",
    "CostSettings",
    "closure_savings",
    "cost_table",
    "site_costs",
    "upgrade_costs",
]

#: One-off lines (paid when the site is built) and yearly lines (paid every year it is open).
CAPITAL_LINES: tuple[str, ...] = ("subsidy_municipal", "subsidy_district", "works")
OPERATING_LINES: tuple[str, ...] = ("incentive", "rent")
LINES: tuple[str, ...] = (*CAPITAL_LINES, *OPERATING_LINES)
#: Funding levels: 市级 (the city), 区级 (the district).
LEVELS: tuple[str, ...] = ("municipal", "district")
#: Who pays each line by default (the subsidies by definition; the rest an assumption).
DEFAULT_LEVELS: Mapping[str, str] = {
    "subsidy_municipal": "municipal",
    "subsidy_district": "district",
    "works": "district",
    "incentive": "district",
    "rent": "district",
}
#: Construction subsidies per type, 万元 (see the module table for sources).
DEFAULT_SUBSIDY_MUNICIPAL_WAN_YUAN: Mapping[str, float] = {
    "street_center": 200.0,
    "town_center": 100.0,
    "station": 20.0,
    "village_point": 0.0,
    "compound_point": 0.0,
}
DEFAULT_SUBSIDY_DISTRICT_WAN_YUAN: Mapping[str, float] = {
    "street_center": 0.0,
    "town_center": 0.0,
    "station": 10.0,
    "village_point": 0.0,
    "compound_point": 0.0,
}
#: Types with a flat monthly incentive, 元/月; the other types are paid by floor area.
DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH: Mapping[str, float] = {
    "village_point": 500.0,
    "compound_point": 867.0,
}
#: Standard floor area of each type, m² (for sites without one).
DEFAULT_FLOOR_AREA_M2: Mapping[str, float] = {
    "street_center": 1500.0,
    "town_center": 800.0,
    "station": 300.0,
    "village_point": 60.0,
    "compound_point": 100.0,
}
#: Where each default comes from.
COST_SOURCES: Mapping[str, str] = {
    "street_center": "001 §三(二); 002 §13",
    "town_center": "001 §三(二); 002 §17",
    "station": "001 §三(二); 002 §13",
    "village_point": "001 §三(二) (运营 500 元/月); 建设补助含在镇中心打包 100 万内 (假设)",
    "compound_point": "假设: 用小区配套用房 (000 第四章§1); 运营按 003 附件2 每周 1 场 200 元",
}
#: Keys of earlier versions and what replaced them.
_MOVED_KEYS: Mapping[str, str] = {
    "capital_wan_yuan": "subsidy_municipal_wan_yuan and subsidy_district_wan_yuan (the construction "
    "subsidies by level; the site's own works cost is the candidates' capital_cost_wan_yuan)",
    "upgrade_capital_wan_yuan": "upgrade_works_wan_yuan (an upgrade earns the new type's subsidies "
    "and costs these works)",
}
_MONTHS_PER_YEAR = 12.0
_YUAN_PER_WAN = 10_000.0
#: The columns of :func:`site_costs` (and of the upgrade and closure tables).
COST_COLUMNS: tuple[str, ...] = (
    "floor_area_m2",
    "subsidy_municipal_wan_yuan",
    "subsidy_district_wan_yuan",
    "works_wan_yuan",
    "works_from",
    "capital_wan_yuan",
    "operating_yuan_per_month",
    "operating_wan_yuan",
    "rent_yuan_per_month",
    "rent_wan_yuan",
    "cost_wan_yuan",
)


@dataclass(frozen=True)
class CostSettings:
    """Cost defaults (scenario section ``[costs]``); every mapping is per facility type.

    Parameters
    ----------
    horizon_years
        Years of operating incentive and rent counted in a site's cost.
    subsidy_municipal_wan_yuan, subsidy_district_wan_yuan
        Construction subsidy per type and level, 万元 (merged over the defaults).
    works_wan_yuan
        Works cost per type for a site that gives none, 万元 (default 0).
    operating_yuan_per_month
        Flat monthly incentive per type, 元/月 (merged over the flat defaults); a type not listed is
        paid by floor area.
    area_brackets_m2, area_operating_yuan_per_month
        Upper bounds of the floor-area brackets (inclusive) and the incentive of each bracket; one
        more incentive than brackets (the last is for areas above the last bound).
    default_floor_area_m2
        Floor area of a site that gives none, per type.
    upgrade_works_wan_yuan
        Works cost of upgrading an existing facility into a type (default 0).
    levels
        Who pays each line: {"municipal", "district"} per line of :data:`LINES` (the subsidies'
        levels are fixed).
    """

    horizon_years: float = 5.0
    subsidy_municipal_wan_yuan: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SUBSIDY_MUNICIPAL_WAN_YUAN)
    )
    subsidy_district_wan_yuan: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SUBSIDY_DISTRICT_WAN_YUAN)
    )
    works_wan_yuan: Mapping[str, float] = field(default_factory=dict)
    operating_yuan_per_month: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH)
    )
    area_brackets_m2: tuple[float, ...] = (500.0, 1000.0)
    area_operating_yuan_per_month: tuple[float, ...] = (2000.0, 3000.0, 4000.0)
    default_floor_area_m2: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_FLOOR_AREA_M2)
    )
    upgrade_works_wan_yuan: Mapping[str, float] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVELS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", {**DEFAULT_LEVELS, **dict(self.levels)})
        problems = self.problems("cost settings")
        if problems:
            raise ScenarioError("invalid cost settings", problems)

    def problems(self, source: str) -> list[Problem]:
        out: list[Problem] = []

        def check(value: Any, key: str) -> None:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                out.append(
                    Problem(source, f"{key} must be a number >= 0, got {value!r}", column=key)
                )

        check(self.horizon_years, "costs.horizon_years")
        for name in (
            "subsidy_municipal_wan_yuan",
            "subsidy_district_wan_yuan",
            "works_wan_yuan",
            "operating_yuan_per_month",
            "default_floor_area_m2",
            "upgrade_works_wan_yuan",
        ):
            for t, v in getattr(self, name).items():
                if t not in SITEABLE_TYPES:
                    out.append(
                        Problem(
                            source,
                            f"unknown facility type '{t}'",
                            column=f"costs.{name}.{t}",
                            hint=f"types: {list(SITEABLE_TYPES)}",
                        )
                    )
                check(v, f"costs.{name}.{t}")
        for line, level in self.levels.items():
            if line not in LINES:
                out.append(
                    Problem(
                        source,
                        f"unknown cost line '{line}'",
                        column=f"costs.levels.{line}",
                        hint=f"lines: {list(LINES)}",
                    )
                )
            elif level not in LEVELS:
                out.append(
                    Problem(
                        source,
                        f"unknown funding level {level!r} for the line '{line}'",
                        column=f"costs.levels.{line}",
                        hint=f"levels: {list(LEVELS)}",
                    )
                )
            elif line.startswith("subsidy_") and level != DEFAULT_LEVELS[line]:
                out.append(
                    Problem(
                        source,
                        f"the line '{line}' is paid by the {DEFAULT_LEVELS[line]} level by definition",
                        column=f"costs.levels.{line}",
                        hint="set the subsidies' amounts per level instead",
                    )
                )
        for v in (*self.area_brackets_m2, *self.area_operating_yuan_per_month):
            check(v, "costs.area_brackets_m2 / area_operating_yuan_per_month")
        if list(self.area_brackets_m2) != sorted(self.area_brackets_m2):
            out.append(
                Problem(source, "area brackets must increase", column="costs.area_brackets_m2")
            )
        if len(self.area_operating_yuan_per_month) != len(self.area_brackets_m2) + 1:
            out.append(
                Problem(
                    source,
                    f"{len(self.area_brackets_m2)} area brackets need "
                    f"{len(self.area_brackets_m2) + 1} incentives, got {len(self.area_operating_yuan_per_month)}",
                    column="costs.area_operating_yuan_per_month",
                    hint="e.g. area_brackets_m2 = [500, 1000] and area_operating_yuan_per_month = [2000, 3000, 4000]",
                )
            )
        return out

    @classmethod
    def from_scenario(cls, scenario: Any) -> CostSettings:
        """Settings from a scenario's ``[costs]`` (per-type tables merge over the defaults)."""
        sec = dict(scenario.section("costs"))
        moved = [
            Problem(
                str(scenario.path),
                f"[costs] {key} is no longer a setting: use {new}",
                column=f"costs.{key}",
            )
            for key, new in _MOVED_KEYS.items()
            if key in sec
        ]
        if moved:
            raise ScenarioError(f"scenario {scenario.path}: invalid [costs] settings", moved)
        kwargs: dict[str, Any] = {}
        if "horizon_years" in sec:
            kwargs["horizon_years"] = sec["horizon_years"]
        merge = {
            "subsidy_municipal_wan_yuan": DEFAULT_SUBSIDY_MUNICIPAL_WAN_YUAN,
            "subsidy_district_wan_yuan": DEFAULT_SUBSIDY_DISTRICT_WAN_YUAN,
            "works_wan_yuan": {},
            "operating_yuan_per_month": DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH,
            "default_floor_area_m2": DEFAULT_FLOOR_AREA_M2,
            "upgrade_works_wan_yuan": {},
            "levels": DEFAULT_LEVELS,
        }
        for key, base in merge.items():
            kwargs[key] = {**base, **dict(sec.get(key, {}))}
        for key in ("area_brackets_m2", "area_operating_yuan_per_month"):
            if key in sec:
                kwargs[key] = tuple(sec[key])
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            raise ScenarioError(
                f"scenario {scenario.path}: invalid [costs] settings",
                [dataclasses.replace(p, source=str(scenario.path)) for p in exc.problems],
            ) from None

    # ---------------------------------------------------------------------------------------

    def floor_area(self, site_type: str, floor_area_m2: float | None) -> float:
        """The site's floor area, else its type's standard size."""
        if floor_area_m2 is None or not math.isfinite(floor_area_m2) or floor_area_m2 <= 0:
            return float(self.default_floor_area_m2.get(site_type, 0.0))
        return float(floor_area_m2)

    def monthly_incentive_yuan(self, site_type: str, floor_area_m2: float | None) -> float:
        """Monthly operating incentive of a facility of ``site_type`` and floor area, 元/月."""
        if site_type in self.operating_yuan_per_month:
            return float(self.operating_yuan_per_month[site_type])
        area = self.floor_area(site_type, floor_area_m2)
        k = int(np.searchsorted(np.asarray(self.area_brackets_m2, dtype=float), area, side="left"))
        return float(self.area_operating_yuan_per_month[k])

    def over_horizon_wan_yuan(self, yuan_per_month: float) -> float:
        """A monthly amount in 元 summed over the horizon, in 万元."""
        return yuan_per_month * _MONTHS_PER_YEAR * self.horizon_years / _YUAN_PER_WAN

    def subsidies(self, site_type: str) -> tuple[float, float]:
        """(市级, 区级) construction subsidy of a type, 万元."""
        return (
            float(self.subsidy_municipal_wan_yuan.get(site_type, 0.0)),
            float(self.subsidy_district_wan_yuan.get(site_type, 0.0)),
        )

    def lines_of(self, kind: str = "all", level: str = "all") -> tuple[str, ...]:
        """The lines of a kind ({"capital", "operating", "all"}) paid by a level (or "all")."""
        pool = {"capital": CAPITAL_LINES, "operating": OPERATING_LINES}.get(kind, LINES)
        return tuple(x for x in pool if level == "all" or self.levels[x] == level)


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _row(
    settings: CostSettings,
    area: float,
    subsidy: tuple[float, float],
    works: float,
    works_from: str,
    op: float,
    rent: float,
) -> dict[str, Any]:
    capital = subsidy[0] + subsidy[1] + works
    operating = settings.over_horizon_wan_yuan(op)
    rent_w = settings.over_horizon_wan_yuan(rent)
    return {
        "floor_area_m2": area,
        "subsidy_municipal_wan_yuan": subsidy[0],
        "subsidy_district_wan_yuan": subsidy[1],
        "works_wan_yuan": works,
        "works_from": works_from,
        "capital_wan_yuan": capital,
        "operating_yuan_per_month": op,
        "operating_wan_yuan": operating,
        "rent_yuan_per_month": rent,
        "rent_wan_yuan": rent_w,
        "cost_wan_yuan": capital + operating + rent_w,
    }


def site_costs(
    types: Any,
    floor_area_m2: Any = None,
    works_wan_yuan: Any = None,
    monthly_rent_yuan: Any = None,
    *,
    settings: CostSettings = CostSettings(),
) -> pd.DataFrame:
    """Cost of opening each site as its type, line by line, 万元 (one row per entry of ``types``).

    Parameters
    ----------
    types
        Facility type of each row.
    floor_area_m2
        Floor area per row (NaN or missing: the type's standard size).
    works_wan_yuan
        The site's own works cost (改造费用; NaN: the type's ``works_wan_yuan``, else 0; 0 is free).
    monthly_rent_yuan
        Rent per month (NaN: none).
    settings
        Cost defaults.

    Returns
    -------
    pandas.DataFrame
        :data:`COST_COLUMNS`: ``floor_area_m2`` (as costed), the subsidies by level, ``works_wan_yuan``
        and ``works_from`` ({"site", "type", "unknown"}: the site's figure, the type's default, none
        known so 0), their sum ``capital_wan_yuan``, the incentive and rent per month and over the
        horizon, and ``cost_wan_yuan`` (capital + operating + rent).
    """
    types = [str(t) for t in types]
    n = len(types)

    def column(values: Any) -> list[float]:
        if values is None:
            return [math.nan] * n
        return [_num(v) for v in values]

    area_in, works_in, rent_in = (
        column(floor_area_m2),
        column(works_wan_yuan),
        column(monthly_rent_yuan),
    )
    rows = []
    for t, area, works, rent in zip(types, area_in, works_in, rent_in, strict=True):
        if t not in SITEABLE_TYPES:
            raise ValueError(f"no cost for facility type '{t}': types {list(SITEABLE_TYPES)}")
        a = settings.floor_area(t, area)
        if math.isfinite(works):
            w, source = works, "site"
        elif t in settings.works_wan_yuan:
            w, source = float(settings.works_wan_yuan[t]), "type"
        else:
            w, source = 0.0, "unknown"
        rent = rent if math.isfinite(rent) and rent > 0 else 0.0
        rows.append(
            _row(
                settings,
                a,
                settings.subsidies(t),
                w,
                source,
                settings.monthly_incentive_yuan(t, a),
                rent,
            )
        )
    return pd.DataFrame(rows, columns=list(COST_COLUMNS))


def upgrade_costs(
    from_types: Any,
    to_types: Any,
    floor_area_m2: Any = None,
    *,
    settings: CostSettings = CostSettings(),
) -> pd.DataFrame:
    """Cost of turning existing facilities into another type, 万元 (columns as :func:`site_costs`).

    The new type's subsidies, ``upgrade_works_wan_yuan[new type]`` of works (default 0), and the
    new incentive minus the old one, the floor area raised to at least the new type's standard size.
    """
    from_types = [str(t) for t in from_types]
    to_types = [str(t) for t in to_types]
    areas = (
        [math.nan] * len(from_types) if floor_area_m2 is None else [_num(v) for v in floor_area_m2]
    )
    rows = []
    for old, new, area in zip(from_types, to_types, areas, strict=True):
        a_old = settings.floor_area(old, area)
        a_new = max(a_old, float(settings.default_floor_area_m2.get(new, 0.0)))
        op = settings.monthly_incentive_yuan(new, a_new) - settings.monthly_incentive_yuan(
            old, a_old
        )
        given = new in settings.upgrade_works_wan_yuan
        works = float(settings.upgrade_works_wan_yuan.get(new, 0.0))
        rows.append(
            _row(
                settings,
                a_new,
                settings.subsidies(new),
                works,
                "type" if given else "unknown",
                op,
                0.0,
            )
        )
    return pd.DataFrame(rows, columns=list(COST_COLUMNS))


def closure_savings(
    types: Any, floor_area_m2: Any = None, *, settings: CostSettings = CostSettings()
) -> pd.DataFrame:
    """Closing existing facilities: their operating incentive over the horizon saved (negative cost)."""
    types = [str(t) for t in types]
    areas = [math.nan] * len(types) if floor_area_m2 is None else [_num(v) for v in floor_area_m2]
    rows = []
    for t, area in zip(types, areas, strict=True):
        a = settings.floor_area(t, area)
        op = settings.monthly_incentive_yuan(t, a)
        rows.append(_row(settings, a, (0.0, 0.0), 0.0, "closure", -op, 0.0))
    return pd.DataFrame(rows, columns=list(COST_COLUMNS))


def cost_table(settings: CostSettings = CostSettings()) -> pd.DataFrame:
    """The cost defaults in force, one row per type: subsidies, operating rule, a standard site's cost."""
    rows = []
    for t in SITEABLE_TYPES:
        area = float(settings.default_floor_area_m2.get(t, 0.0))
        if t in settings.operating_yuan_per_month:
            rule = f"{settings.operating_yuan_per_month[t]:g} 元/月"
        else:
            bounds = settings.area_brackets_m2
            pay = settings.area_operating_yuan_per_month
            parts = [f"≤{bounds[0]:g} m² {pay[0]:g}"]
            parts += [
                f"{lo:g}–{hi:g} m² {p:g}"
                for lo, hi, p in zip(bounds[:-1], bounds[1:], pay[1:-1], strict=True)
            ]
            parts.append(f">{bounds[-1]:g} m² {pay[-1]:g}")
            rule = "; ".join(parts) + " 元/月"
        std = site_costs([t], [area], settings=settings).iloc[0]
        municipal, district = settings.subsidies(t)
        rows.append(
            {
                "type": t,
                "subsidy_municipal_wan_yuan": municipal,
                "subsidy_district_wan_yuan": district,
                "works_wan_yuan": float(settings.works_wan_yuan.get(t, 0.0)),
                "operating_rule": rule,
                "standard_floor_area_m2": area,
                "horizon_years": settings.horizon_years,
                "standard_site_cost_wan_yuan": float(std["cost_wan_yuan"]),
                "source": COST_SOURCES.get(t, ""),
            }
        )
    return pd.DataFrame(rows)
