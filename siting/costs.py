"""What a new or changed facility costs the district over the plan horizon, in 万元.

The cost of opening facility type ``t`` at a site with floor area ``A`` (m²) is

    cost = capital(t) + 12 · horizon_years · (operating(t, A) + rent) / 10,000      [万元]

- ``capital(t)``: the one-off construction subsidy of the type (table below), replaced by the
  candidate's own ``capital_cost_wan_yuan`` when the candidates file gives one (0 is a real 0: an
  idle state-owned asset used free of charge, 001 §三(三), 004);
- ``operating(t, A)``: the monthly operating incentive, by floor area for centers and stations,
  flat for village and compound points (元/月);
- ``rent``: the candidate's ``monthly_rent_yuan`` (rentals only; 0 when absent).

Every figure is a default the scenario overrides in ``[costs]`` (per type), and the candidates
file overrides per site. Unit: 万元 throughout (1 万元 = 10,000 元).

================  ===============  =========================================  ================================
type              capital (万元)    operating incentive (元/月)                 source
================  ===============  =========================================  ================================
street_center     200              by floor area: ≤ 500 m² 2000,              001 §三(二) (市级 200 万); 002 §13
                                   501–1000 m² 3000, > 1000 m² 4000
town_center       100              by floor area (as above)                   001 §三(二) (镇中心和村级互助点打包
                                                                              100 万); 002 §17
station           30 (20 + 10)     by floor area (as above)                   001 §三(二) (市级 20 万 + 区级 10
                                                                              万); 002 §13 (20 万)
village_point     0 (assumption)   500                                        001 §三(二) (500 元/月)
compound_point    0 (assumption)   867 (assumption)                           003 附件2 (200 元/场, 每周 1 场)
================  ===============  =========================================  ================================

Assumptions (the documents give no separate figure):

- ``village_point`` capital 0: the documents fund village points only inside the 100 万元
  town-center package (001 §三(二); 002 §17), which this table books entirely on the town center.
  A point therefore costs its operating incentive (500 元/月 × 60 months = 3 万元 over 5 years).
- ``compound_point`` capital 0: compound points use rooms of the compound (小区配套用房、物业服务用房,
  000 ch.4 §1). Operating: 铜梁 pays 200 元 for one recreation session a week at each compound
  point (003 annex 2): 200 × 52 / 12 ≈ 867 元/月.
- A site without a floor area takes its type's standard size (``default_floor_area_m2``: street
  center 1500 m², town center 800 m², station 300 m² — 001 annex 1, 002 §13; village point 60 m²,
  compound point 100 m² — the demo's typical rooms) for the operating bracket.
- ``horizon_years = 5``: a five-year plan (十四五).
- Upgrading an existing facility to another type (e.g. a village point enlarged to a station)
  costs the new type's capital subsidy (``upgrade_capital_wan_yuan`` per new type overrides it)
  plus the change of operating incentive over the horizon; its floor area becomes at least the new
  type's standard size. Closing one saves its operating incentive over the horizon (a negative cost).
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
    "COST_SOURCES",
    "DEFAULT_CAPITAL_WAN_YUAN",
    "DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH",
    "DEFAULT_FLOOR_AREA_M2",
    "CostSettings",
    "closure_savings",
    "cost_table",
    "site_costs",
    "upgrade_costs",
]

#: One-off construction subsidy per type, 万元 (see the module table for sources).
DEFAULT_CAPITAL_WAN_YUAN: Mapping[str, float] = {
    "street_center": 200.0,
    "town_center": 100.0,
    "station": 30.0,
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
_MONTHS_PER_YEAR = 12.0
_YUAN_PER_WAN = 10_000.0


@dataclass(frozen=True)
class CostSettings:
    """Cost defaults (scenario section ``[costs]``); every mapping is per facility type.

    Parameters
    ----------
    horizon_years
        Years of operating incentive and rent counted in a site's cost.
    capital_wan_yuan
        Capital subsidy per type, 万元 (merged over :data:`DEFAULT_CAPITAL_WAN_YUAN`).
    operating_yuan_per_month
        Flat monthly incentive per type, 元/月 (merged over the flat defaults); a type not listed is
        paid by floor area.
    area_brackets_m2, area_operating_yuan_per_month
        Upper bounds of the floor-area brackets (inclusive) and the incentive of each bracket; one
        more incentive than brackets (the last is for areas above the last bound).
    default_floor_area_m2
        Floor area of a site that gives none, per type.
    upgrade_capital_wan_yuan
        Capital cost of upgrading an existing facility into a type (default: that type's capital).
    """

    horizon_years: float = 5.0
    capital_wan_yuan: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_CAPITAL_WAN_YUAN)
    )
    operating_yuan_per_month: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH)
    )
    area_brackets_m2: tuple[float, ...] = (500.0, 1000.0)
    area_operating_yuan_per_month: tuple[float, ...] = (2000.0, 3000.0, 4000.0)
    default_floor_area_m2: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_FLOOR_AREA_M2)
    )
    upgrade_capital_wan_yuan: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
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
            "capital_wan_yuan",
            "operating_yuan_per_month",
            "default_floor_area_m2",
            "upgrade_capital_wan_yuan",
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
        kwargs: dict[str, Any] = {}
        if "horizon_years" in sec:
            kwargs["horizon_years"] = sec["horizon_years"]
        merge = {
            "capital_wan_yuan": DEFAULT_CAPITAL_WAN_YUAN,
            "operating_yuan_per_month": DEFAULT_FLAT_OPERATING_YUAN_PER_MONTH,
            "default_floor_area_m2": DEFAULT_FLOOR_AREA_M2,
            "upgrade_capital_wan_yuan": {},
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


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def site_costs(
    types: Any,
    floor_area_m2: Any = None,
    capital_override_wan_yuan: Any = None,
    monthly_rent_yuan: Any = None,
    *,
    settings: CostSettings = CostSettings(),
) -> pd.DataFrame:
    """Cost of opening each site as its type, 万元 (one row per entry of ``types``).

    Parameters
    ----------
    types
        Facility type of each row.
    floor_area_m2
        Floor area per row (NaN or missing: the type's standard size).
    capital_override_wan_yuan
        The site's own capital cost (NaN: the type's default; 0 is free).
    monthly_rent_yuan
        Rent per month (NaN: none).
    settings
        Cost defaults.

    Returns
    -------
    pandas.DataFrame
        ``floor_area_m2`` (as costed), ``capital_wan_yuan``, ``capital_from`` (``type`` or
        ``site``), ``operating_yuan_per_month``, ``operating_wan_yuan``, ``rent_wan_yuan`` and
        ``cost_wan_yuan`` (their sum).
    """
    types = [str(t) for t in types]
    n = len(types)

    def column(values: Any) -> list[float]:
        if values is None:
            return [math.nan] * n
        return [_num(v) for v in values]

    area_in, cap_in, rent_in = (
        column(floor_area_m2),
        column(capital_override_wan_yuan),
        column(monthly_rent_yuan),
    )
    rows = []
    for t, area, cap, rent in zip(types, area_in, cap_in, rent_in, strict=True):
        if t not in settings.capital_wan_yuan:
            raise ValueError(
                f"no cost for facility type '{t}': types {list(settings.capital_wan_yuan)}"
            )
        a = settings.floor_area(t, area)
        op = settings.monthly_incentive_yuan(t, a)
        own = math.isfinite(cap)
        rent = rent if math.isfinite(rent) and rent > 0 else 0.0
        capital = cap if own else float(settings.capital_wan_yuan[t])
        operating = settings.over_horizon_wan_yuan(op)
        rent_w = settings.over_horizon_wan_yuan(rent)
        rows.append(
            {
                "floor_area_m2": a,
                "capital_wan_yuan": capital,
                "capital_from": "site" if own else "type",
                "operating_yuan_per_month": op,
                "operating_wan_yuan": operating,
                "rent_wan_yuan": rent_w,
                "cost_wan_yuan": capital + operating + rent_w,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "floor_area_m2",
            "capital_wan_yuan",
            "capital_from",
            "operating_yuan_per_month",
            "operating_wan_yuan",
            "rent_wan_yuan",
            "cost_wan_yuan",
        ],
    )


def upgrade_costs(
    from_types: Any,
    to_types: Any,
    floor_area_m2: Any = None,
    *,
    settings: CostSettings = CostSettings(),
) -> pd.DataFrame:
    """Cost of turning existing facilities into another type, 万元 (columns as :func:`site_costs`).

    Capital: ``upgrade_capital_wan_yuan[new type]``, else the new type's capital subsidy. Operating:
    the new incentive minus the old one over the horizon, the floor area raised to at least the new
    type's standard size.
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
        op_new = settings.monthly_incentive_yuan(new, a_new)
        op_old = settings.monthly_incentive_yuan(old, a_old)
        capital = float(settings.upgrade_capital_wan_yuan.get(new, settings.capital_wan_yuan[new]))
        operating = settings.over_horizon_wan_yuan(op_new - op_old)
        rows.append(
            {
                "floor_area_m2": a_new,
                "capital_wan_yuan": capital,
                "capital_from": "upgrade" if new in settings.upgrade_capital_wan_yuan else "type",
                "operating_yuan_per_month": op_new - op_old,
                "operating_wan_yuan": operating,
                "rent_wan_yuan": 0.0,
                "cost_wan_yuan": capital + operating,
            }
        )
    return pd.DataFrame(rows, columns=site_costs([]).columns)


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
        saved = settings.over_horizon_wan_yuan(op)
        rows.append(
            {
                "floor_area_m2": a,
                "capital_wan_yuan": 0.0,
                "capital_from": "closure",
                "operating_yuan_per_month": -op,
                "operating_wan_yuan": -saved,
                "rent_wan_yuan": 0.0,
                "cost_wan_yuan": -saved,
            }
        )
    return pd.DataFrame(rows, columns=site_costs([]).columns)


def cost_table(settings: CostSettings = CostSettings()) -> pd.DataFrame:
    """The cost defaults in force, one row per type: capital, operating rule, a standard site's cost."""
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
        rows.append(
            {
                "type": t,
                "capital_wan_yuan": float(settings.capital_wan_yuan[t]),
                "operating_rule": rule,
                "standard_floor_area_m2": area,
                "horizon_years": settings.horizon_years,
                "standard_site_cost_wan_yuan": float(std["cost_wan_yuan"]),
                "source": COST_SOURCES.get(t, ""),
            }
        )
    return pd.DataFrame(rows)
