"""Supply-aware accessibility: how much care supply each older person can walk to, sharing it.

Coverage (:mod:`siting.coverage`) says yes or no. Accessibility says *how much*: a facility's
supply (floor area, beds or staff) is shared among the older people who can walk to it, and each
home adds up its shares of every facility it can walk to. Three measures, all computed from the
sparse demand × site walking times of :class:`~siting.coverage.CoverageMatrix` (no dense matrix):

- **2SFCA** (two-step floating catchment area, Luo & Wang 2003): step 1, each facility j's ratio
  :math:`R_j = S_j / \\sum_{i: t_{ij} \\le d_0} D_i`; step 2, each home's access
  :math:`A_i = \\sum_{j: t_{ij} \\le d_0} R_j`. The catchment :math:`d_0` is
  ``[access] max_minutes`` (15 minutes, the 一刻钟 circle of 000, 001, 003, 004; POLICY_RULES §2).
- **E2SFCA** (enhanced 2SFCA, Luo & Qi 2009): both steps weight each pair by its band's weight,
  :math:`R_j = S_j / \\sum_i D_i w(t_{ij})`, :math:`A_i = \\sum_j R_j w(t_{ij})`. The bands are
  ``bands_minutes`` (upper edges, default 5, 10, 15 minutes; a time on an edge belongs to the inner
  band) and their weights ``band_weights``, by default the Gaussian
  :math:`w = \\exp(-l^2 / 2\\sigma^2)` at each band's inner edge :math:`l` (so the first band weighs 1).
  The default :math:`\\sigma` = 5.69 minutes gives the bands 1, 0.68, 0.21: Luo & Qi's weights for
  their 10/20/30-minute bands (1, 0.68, 0.22; the default of PySAL ``access``'s
  ``enhanced_two_stage_fca``) on our 15-minute catchment. ``bands_minutes = []`` decays
  continuously, :math:`w(t) = \\exp(-t^2 / 2\\sigma^2)` for :math:`t \\le` ``max_minutes``
  (the Gaussian 2SFCA).
- **gravity** (the competition-adjusted gravity model, Joseph & Bantock 1982; 2SFCA is its special
  case with a step decay, Luo & Wang 2003): the same two steps with
  :math:`w(t) = \\max(t, t_{min})^{-\\beta}` (minutes), ``gravity_beta`` = 1 and
  ``gravity_min_minutes`` = 1 by default (an assumption: the documents set no decay; fit β to a
  local survey of how far older people walk), within ``max_minutes``.

The three equal PySAL ``access``'s ``two_stage_fca`` (with ``max_cost``), ``enhanced_two_stage_fca``
(with ``weights.step_fn`` of the bands, or ``weights.gaussian``) and ``two_stage_fca`` with
``weights.gravity`` on the same travel-time table (``tests/siting/test_access.py``), except where
a facility's catchment holds no demand: its ratio is 0 here (PySAL: a division by zero).

**Demand** :math:`D_i` is each demand point's weighted older people, the weights coverage uses
(:mod:`siting.demand`, ``[demand] weight_*``). **Supply** :math:`S_j` is ``[access] supply`` of each
facility of ``[access] types`` (default: the home-care types of ``[coverage] home_care_types``):
``floor_area_m2`` (default), ``beds`` or ``staff``. A facility without a value takes its type's
default (:data:`SUPPLY_DEFAULTS`, from the size standards, each with its source), or
``[access.default_supply.<supply>] <type> = …``; the result counts how many did. Access is
supply per weighted older person (m² per person, beds or staff per person; the tables show
beds and staff per 1,000).

**Units**: per 社区/村, 街道/镇 and the district, access is the mean over the demand points weighted
by their older people (population-weighted, :math:`\\sum_i e_i A_i / \\sum_i e_i`; not by the
weighted demand, whose within-unit split the roster shapes). Weighted by the demand itself the
district mean would be exactly the supply that reaches anyone over the weighted demand
(:math:`\\sum_i D_i A_i = \\sum_j S_j` over facilities with demand in their catchment), which the
tests check. ``elderly_without_access`` counts the older people with no supply within the catchment.

**After a plan** the plan's sites open at the end are added (and closed or upgraded facilities
removed), with the same base-year demand so that the change is the sites' alone. A new site's floor
area is its candidate's (else its type's default); its beds and staff its type's default; an
upgrade keeps its own beds and staff if more. Only adding sites never lowers anyone's access: a
facility's ratio depends on its own catchment only.

**Privacy**: with the roster's people at their homes (weights ≠ 1, :mod:`siting.disclosure`), a
facility's catchment demand is rounded *up* to the rounding step of published weighted figures
before the ratio, so the published access cannot be inverted into an unrounded weighted demand.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from siting.errors import InputError, Problem, ScenarioError
from siting.io import FACILITY_TYPES, SITEABLE_TYPES

if TYPE_CHECKING:
    from siting.coverage import CoverageResult
    from siting.io import Inputs
    from siting.model.result import SitingResult

__all__ = [
    "METHODS",
    "SUPPLIES",
    "SUPPLY_DEFAULTS",
    "AccessResult",
    "AccessSettings",
    "Catchment",
    "SupplyDefault",
    "access_input_problems",
    "access_settings",
    "compute_access",
    "facility_supply",
    "floating_catchment",
]

log = logging.getLogger(__name__)

Method = Literal["2sfca", "e2sfca", "gravity"]
Supply = Literal["floor_area_m2", "beds", "staff"]
METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "gravity")
SUPPLIES: tuple[str, ...] = ("floor_area_m2", "beds", "staff")

#: Display scale per supply: access in the tables is supply per this many older people.
PER_PEOPLE: Mapping[str, int] = {"floor_area_m2": 1, "beds": 1000, "staff": 1000}


@dataclass(frozen=True)
class SupplyDefault:
    """A facility type's supply when the facility gives none, and where the figure comes from."""

    value: float
    source: str


#: Defaults per supply and type (POLICY_RULES §1: the size standards). Staff: no document sets a
#: facility's staff (000 ch.6 and 003 give ratios to residents and beds, not per facility), so
#: there is none: give ``[access.default_supply.staff]``. Institutions have no size standard.
SUPPLY_DEFAULTS: Mapping[str, Mapping[str, SupplyDefault]] = {
    "floor_area_m2": {
        "street_center": SupplyDefault(1500.0, "001 附件1; 002 §13 (建筑面积不低于1500平方米)"),
        "town_center": SupplyDefault(800.0, "001 附件1; 002 §17 (不低于800平方米)"),
        "station": SupplyDefault(
            300.0, "001 附件1; 002 §13 (不低于300平方米; 老年人口较少的社区200)"
        ),
        "village_point": SupplyDefault(
            60.0, "assumption: 001 附件1 sets no size (a dedicated room); siting.costs' 60 m²"
        ),
        "compound_point": SupplyDefault(
            100.0,
            "assumption: no size standard (000 ch.4 §1: compound rooms); siting.costs' 100 m²",
        ),
    },
    "beds": {
        "street_center": SupplyDefault(20.0, "001 附件1 (托养护理区20张以上); 002 §13"),
        "town_center": SupplyDefault(20.0, "001 附件1 (有条件的应设置20张以上护理型床位)"),
        "station": SupplyDefault(0.0, "001 附件1: day-rest beds only where possible (有条件的)"),
        "village_point": SupplyDefault(0.0, "001 附件1: no beds in the standard"),
        "compound_point": SupplyDefault(0.0, "no standard (000 ch.4 §1): no beds"),
    },
    "staff": {},
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _access_problems(
    values: Mapping[str, Any], source: str, search_minutes: float
) -> list[Problem]:
    """Every problem with the ``[access]`` values (a mapping of :class:`AccessSettings` fields)."""
    out: list[Problem] = []

    def bad(key: str, message: str, hint: str | None = None) -> None:
        out.append(Problem(source, message, column=f"access.{key}", hint=hint))

    if values["method"] not in METHODS:
        bad("method", f"unknown method {values['method']!r}", f"use one of {list(METHODS)}")
    if values["supply"] not in SUPPLIES:
        bad("supply", f"unknown supply {values['supply']!r}", f"use one of {list(SUPPLIES)}")
    unknown = [t for t in values["types"] if t not in FACILITY_TYPES]
    if unknown:
        bad("types", f"unknown facility type(s) {unknown}", f"types: {list(FACILITY_TYPES)}")
    horizon = f"the walking-time search reaches {search_minutes:g} minutes ([coverage] report_max_minutes)"
    mx = values["max_minutes"]
    if not (_number(mx) and 0 < mx <= search_minutes):
        bad(
            "max_minutes",
            f"access.max_minutes must be minutes in (0, {search_minutes:g}], got {mx!r}",
            horizon,
        )
    bands = list(values["bands_minutes"])
    if not all(_number(b) for b in bands):
        bad("bands_minutes", f"access.bands_minutes must be numbers of minutes, got {bands!r}")
    elif bands and not (
        bands[0] > 0
        and all(a < b for a, b in itertools.pairwise(bands))
        and bands[-1] <= search_minutes
    ):
        bad(
            "bands_minutes",
            f"access.bands_minutes must increase from above 0 to at most {search_minutes:g}, "
            f"got {bands!r}",
            "e.g. bands_minutes = [5, 10, 15]; " + horizon,
        )
    weights = list(values["band_weights"])
    if weights:
        if len(weights) != len(bands):
            bad(
                "band_weights",
                f"access.band_weights has {len(weights)} weights for {len(bands)} bands",
                "one weight per band of bands_minutes, or none (the Gaussian's)",
            )
        elif not all(_number(w) and 0 <= w <= 1 for w in weights):
            bad("band_weights", f"access.band_weights must lie in [0, 1], got {weights!r}")
        elif any(b > a for a, b in itertools.pairwise(weights)):
            bad(
                "band_weights",
                f"access.band_weights must not increase outwards (a distance decay), got {weights!r}",
            )
    sigma = values["sigma_minutes"]
    if not (_number(sigma) and sigma > 0):
        bad("sigma_minutes", f"access.sigma_minutes must be minutes > 0, got {sigma!r}")
    beta = values["gravity_beta"]
    if not (_number(beta) and beta > 0):
        bad(
            "gravity_beta",
            f"access.gravity_beta must be a number > 0 (the decay exponent), got {beta!r}",
            "the weight is minutes^(−gravity_beta): e.g. 1 or 2",
        )
    tmin = values["gravity_min_minutes"]
    if not (_number(tmin) and 0 < tmin <= (mx if _number(mx) else math.inf)):
        bad(
            "gravity_min_minutes",
            f"access.gravity_min_minutes must be minutes in (0, max_minutes], got {tmin!r}",
            "walks shorter than this weigh as this (no infinite weight at 0 minutes)",
        )
    defaults = values["default_supply"]
    if not isinstance(defaults, Mapping):
        bad("default_supply", "access.default_supply must be a table by supply, then type")
        return out
    for supply, per_type in defaults.items():
        if supply not in SUPPLIES:
            bad(f"default_supply.{supply}", f"unknown supply {supply!r}", f"use {list(SUPPLIES)}")
            continue
        if not isinstance(per_type, Mapping):
            bad(
                f"default_supply.{supply}",
                f"access.default_supply.{supply} must be a table of types, got {per_type!r}",
                f"e.g. [access.default_supply.{supply}] station = 3",
            )
            continue
        for t, v in per_type.items():
            key = f"default_supply.{supply}.{t}"
            if t not in FACILITY_TYPES:
                bad(key, f"unknown facility type {t!r}", f"types: {list(FACILITY_TYPES)}")
            elif not (_number(v) and v >= 0):
                bad(key, f"access.{key} must be a supply >= 0, got {v!r}")
    return out


@dataclass(frozen=True)
class AccessSettings:
    """How accessibility is measured (scenario section ``[access]``; module notes for each).

    Parameters
    ----------
    method
        {"2sfca", "e2sfca", "gravity"}.
    supply
        {"floor_area_m2", "beds", "staff"}: the facilities' column that is shared.
    types
        Facility types that supply (default: all home-care types).
    max_minutes
        Catchment of 2SFCA, gravity and the continuous Gaussian (15: the 一刻钟 circle).
    bands_minutes, band_weights
        E2SFCA bands (upper edges) and weights (empty: the Gaussian's at each inner edge).
    sigma_minutes
        Width of the E2SFCA Gaussian.
    gravity_beta, gravity_min_minutes
        The gravity decay ``max(t, t_min) ** -beta`` (minutes).
    default_supply
        Per supply and type, a facility's supply when it gives none (over :data:`SUPPLY_DEFAULTS`).
    search_minutes
        How far the walking-time search reaches (the coverage matrix's limit); no catchment may
        be longer.
    """

    method: str = "2sfca"
    supply: str = "floor_area_m2"
    types: tuple[str, ...] = SITEABLE_TYPES
    max_minutes: float = 15.0
    bands_minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    band_weights: tuple[float, ...] = ()
    sigma_minutes: float = 5.69
    gravity_beta: float = 1.0
    gravity_min_minutes: float = 1.0
    default_supply: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    search_minutes: float = 60.0

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        problems = _access_problems(values, "access settings", self.search_minutes)
        if problems:
            raise ScenarioError("invalid access settings", problems)

    @property
    def banded(self) -> bool:
        """E2SFCA with bands (not the continuous Gaussian)."""
        return self.method == "e2sfca" and len(self.bands_minutes) > 0

    @property
    def catchment_minutes(self) -> float:
        """The longest walk that counts: the last band, else ``max_minutes``."""
        return float(self.bands_minutes[-1]) if self.banded else float(self.max_minutes)

    @property
    def weights(self) -> tuple[float, ...]:
        """The E2SFCA band weights: given, else the Gaussian at each band's inner edge."""
        if self.band_weights:
            return tuple(float(w) for w in self.band_weights)
        edges = (0.0, *self.bands_minutes[:-1])
        return tuple(math.exp(-(e * e) / (2.0 * self.sigma_minutes**2)) for e in edges)

    def decay(self, seconds: np.ndarray) -> np.ndarray:
        """The weight of a walk of ``seconds`` (0 outside the catchment)."""
        t = np.asarray(seconds, dtype=float)
        if self.method == "2sfca":
            return np.where(t <= 60.0 * self.max_minutes, 1.0, 0.0)
        if self.banded:
            out = np.zeros(len(t))
            upper = [60.0 * float(b) for b in self.bands_minutes]
            for k in range(len(upper) - 1, -1, -1):  # innermost band last: it wins on its edge
                out[t <= upper[k]] = self.weights[k]
            return out
        inside = t <= 60.0 * self.max_minutes
        if self.method == "e2sfca":
            sigma_s = 60.0 * self.sigma_minutes
            return np.where(inside, np.exp(-t * t / (2.0 * sigma_s**2)), 0.0)
        floor = np.maximum(t, 60.0 * self.gravity_min_minutes) / 60.0
        return np.where(inside, np.power(floor, -float(self.gravity_beta)), 0.0)

    def describe(self, lang: str = "zh") -> str:
        """The method and its parameters in one line."""
        zh = lang == "zh"
        if self.method == "2sfca":
            return (
                f"2SFCA，{self.max_minutes:g} 分钟步行圈"
                if zh
                else (f"2SFCA, {self.max_minutes:g}-minute walk")
            )
        if self.banded:
            edges = (0.0, *self.bands_minutes)
            bands = "、".join(
                f"{a:g}–{b:g}: {w:.2f}"
                for a, b, w in zip(edges, edges[1:], self.weights, strict=False)
            )
            src = "" if self.band_weights else f"，高斯 σ = {self.sigma_minutes:g}"
            src_en = "" if self.band_weights else f", Gaussian σ = {self.sigma_minutes:g}"
            return (
                f"E2SFCA，分段权重（分钟）{bands}{src}"
                if zh
                else (f"E2SFCA, band weights (minutes) {bands.replace('、', ', ')}{src_en}")
            )
        if self.method == "e2sfca":
            return (
                f"E2SFCA，连续高斯衰减 σ = {self.sigma_minutes:g} 分钟，{self.max_minutes:g} 分钟内"
                if zh
                else f"E2SFCA, continuous Gaussian decay σ = {self.sigma_minutes:g} min within "
                f"{self.max_minutes:g} min"
            )
        return (
            f"重力模型，权重 max(t, {self.gravity_min_minutes:g})^−{self.gravity_beta:g}，"
            f"{self.max_minutes:g} 分钟内"
            if zh
            else f"gravity, weight max(t, {self.gravity_min_minutes:g})^−{self.gravity_beta:g} "
            f"within {self.max_minutes:g} min"
        )

    def default_for(self, site_type: str) -> SupplyDefault | None:
        """The supply of a facility of ``site_type`` that gives none (None: no default)."""
        given = self.default_supply.get(self.supply, {})
        if site_type in given:
            return SupplyDefault(
                float(given[site_type]),
                f"[access.default_supply.{self.supply}] {site_type}",
            )
        return SUPPLY_DEFAULTS.get(self.supply, {}).get(site_type)


def access_settings(scenario: Any, **overrides: Any) -> AccessSettings:
    """Settings from a scenario's ``[access]`` (types default to ``[coverage] home_care_types``);
    ``overrides`` (e.g. ``method="gravity"`` from the command line) replace its values.

    Raises
    ------
    ScenarioError
        Every problem at once, each naming the key (``access.gravity_beta``, …).
    """
    source = str(scenario.path)
    sec = {
        **dict(scenario.section("access")),
        **{k: v for k, v in overrides.items() if v is not None},
    }
    coverage = dict(scenario.section("coverage"))
    search = 60.0
    try:
        from siting.coverage import CoverageSettings

        search = CoverageSettings.from_scenario(scenario).search_seconds / 60.0
    except ScenarioError:  # reported by [coverage]'s own check
        pass
    home = coverage.get("home_care_types", SITEABLE_TYPES)
    kwargs = {
        "method": sec.get("method", "2sfca"),
        "supply": sec.get("supply", "floor_area_m2"),
        "types": tuple(sec.get("types", home)),
        "max_minutes": sec.get("max_minutes", 15.0),
        "bands_minutes": tuple(sec.get("bands_minutes", (5.0, 10.0, 15.0))),
        "band_weights": tuple(sec.get("band_weights", ())),
        "sigma_minutes": sec.get("sigma_minutes", 5.69),
        "gravity_beta": sec.get("gravity_beta", 1.0),
        "gravity_min_minutes": sec.get("gravity_min_minutes", 1.0),
        "default_supply": sec.get("default_supply", {}),
        "search_minutes": search,
    }
    problems = _access_problems(kwargs, source, search)
    if problems:
        raise ScenarioError(f"scenario {source}: invalid [access] settings", problems)
    return AccessSettings(**kwargs)


# --------------------------------------------------------------------------------------------
# the two steps
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Catchment:
    """Both steps of a floating-catchment measure.

    Attributes
    ----------
    access
        (m,) each demand point's access: the sum of its facilities' ratios, decay-weighted.
    ratio
        (k,) each facility's supply per (decay-weighted) demand in its catchment; 0 with none.
    catchment_demand
        (k,) the decay-weighted demand in each facility's catchment (as used: rounded up when
        ``round_step`` was given).
    """

    access: np.ndarray
    ratio: np.ndarray
    catchment_demand: np.ndarray


def floating_catchment(
    seconds: csr_matrix,
    demand: np.ndarray,
    supply: np.ndarray,
    settings: AccessSettings,
    *,
    round_step: int | None = None,
) -> Catchment:
    """The two steps on a sparse (m, k) matrix of walking seconds (stored pairs only).

    Parameters
    ----------
    seconds
        Demand × facility walking seconds; an absent pair is out of reach, a stored 0 is 0 s.
    demand
        (m,) demand of each point.
    supply
        (k,) supply of each facility (≥ 0).
    settings
        Method and decay.
    round_step
        Round each catchment's demand *up* to a multiple of this (privacy; module notes).
    """
    m, k = seconds.shape
    csr = seconds.tocsr()
    rows = np.repeat(np.arange(m), np.diff(csr.indptr))
    cols, secs = csr.indices, csr.data
    w = settings.decay(secs)
    keep = w > 0
    rows, cols, w = rows[keep], cols[keep], w[keep]
    demand = np.asarray(demand, dtype=float)
    catch = np.bincount(cols, weights=demand[rows] * w, minlength=k)
    if round_step is not None:
        catch = np.ceil(catch / round_step - 1e-12) * round_step
    ratio = np.zeros(k)
    np.divide(np.asarray(supply, dtype=float), catch, out=ratio, where=catch > 0)
    access = np.bincount(rows, weights=ratio[cols] * w, minlength=m)
    return Catchment(access=access, ratio=ratio, catchment_demand=catch)


# --------------------------------------------------------------------------------------------
# supply
# --------------------------------------------------------------------------------------------


def _facility_label(inputs: Inputs | None) -> tuple[str, Mapping[str, str]]:
    if inputs is not None and "facilities" in inputs.scenario.inputs:
        spec = inputs.scenario.inputs["facilities"]
        return spec.label, spec.columns
    return "facilities", {}


def facility_supply(
    facilities: pd.DataFrame | None,
    settings: AccessSettings,
    *,
    label: str = "facilities",
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Each facility's supply: its own value, else its type's default.

    Returns one row per facility (in order): ``site_id``, ``name``, ``type``, ``supplies`` (of
    ``settings.types``), ``supply`` (NaN where it does not supply), ``supply_from``
    ({"input", "default", ""}), ``default_source``.

    Raises
    ------
    InputError
        The supply column is missing (with facilities of the types), a value is negative, or a
        facility gives none and its type has no default — every row named.
    """
    cols = dict(columns or {})
    col = settings.supply
    in_file = cols.get(col, col)
    if facilities is None or len(facilities) == 0:
        return pd.DataFrame(
            {
                "site_id": [],
                "name": [],
                "type": [],
                "supplies": np.zeros(0, dtype=bool),
                "supply": [],
                "supply_from": [],
                "default_source": [],
            }
        )
    types = facilities["type"].astype(str).to_numpy()
    supplies = np.isin(types, list(settings.types))
    rows = (
        facilities["row"].astype(str).to_numpy()
        if "row" in facilities
        else np.arange(1, len(facilities) + 1).astype(str)
    )
    if "facility_id" in facilities:
        ids = facilities["facility_id"].astype(str).to_numpy()
        ids = np.where(ids == "", np.char.add("row ", rows), ids)
    else:
        ids = np.char.add("row ", rows)
    problems: list[Problem] = []
    if col not in facilities:
        if supplies.any():
            raise InputError(
                f"{label}: no column '{in_file}' for [access] supply = \"{col}\"; nothing was written",
                [
                    Problem(
                        label,
                        f"column '{in_file}' missing: access.supply = \"{col}\" shares each "
                        f"facility's {col}",
                        column=in_file,
                        hint=f"add the column (map it with [inputs.facilities.columns] {col} = "
                        f'"…"), or choose another [access] supply ({", ".join(SUPPLIES)})',
                    )
                ],
            )
        values = np.full(len(facilities), np.nan)
    else:
        values = pd.to_numeric(facilities[col], errors="coerce").to_numpy(dtype=float)
    supply = np.full(len(facilities), np.nan)
    source = np.full(len(facilities), "", dtype=object)
    default_source = np.full(len(facilities), "", dtype=object)
    for i in np.flatnonzero(supplies):
        v = values[i]
        if np.isfinite(v) and v < 0:
            problems.append(
                Problem(
                    label,
                    f"negative supply {v:g} ({col})",
                    row=rows[i],
                    column=in_file,
                    hint="a facility's floor area, beds or staff is ≥ 0",
                )
            )
        elif np.isfinite(v):
            supply[i], source[i] = v, "input"
        else:
            d = settings.default_for(types[i])
            if d is None:
                problems.append(
                    Problem(
                        label,
                        f"no {col} given and type {types[i]} has no default",
                        row=rows[i],
                        column=in_file,
                        hint=f"fill it in, or give [access.default_supply.{col}] {types[i]} = …",
                    )
                )
            else:
                supply[i], source[i], default_source[i] = d.value, "default", d.source
    if problems:
        raise InputError(
            f"{label}: {len(problems)} facilities without a usable {col} for [access]; nothing "
            "was written",
            problems,
        )
    return pd.DataFrame(
        {
            "site_id": ids,
            "name": facilities["name"].astype(str).to_numpy()
            if "name" in facilities
            else np.full(len(facilities), ""),
            "type": types,
            "supplies": supplies,
            "supply": supply,
            "supply_from": source,
            "default_source": default_source,
        }
    )


def access_input_problems(inputs: Inputs, settings: AccessSettings | None = None) -> list[Problem]:
    """The problems :func:`facility_supply` would raise on the inputs' facilities (for
    ``siting validate``), as a list."""
    settings = settings or access_settings(inputs.scenario)
    label, columns = _facility_label(inputs)
    try:
        facility_supply(inputs.facilities, settings, label=label, columns=columns)
    except InputError as exc:
        return list(exc.problems)
    return []


def _planned_supply(
    result: SitingResult, settings: AccessSettings, existing: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """The plan's columns (options open at the end that are built or upgraded) of the access
    types, their supply, and the site ids of existing facilities that leave (closed, upgraded)."""
    problem = result.problem
    o = problem.options
    final_open = np.asarray(result.open_options, dtype=bool)
    action = o["action"].astype(str).to_numpy()
    leaving = o["site_id"].astype(str).to_numpy()[(action == "existing") & ~final_open]
    built = final_open & (action != "existing") & np.isin(o["type"].astype(str), settings.types)
    cols = np.flatnonzero(built)
    own = dict(zip(existing["site_id"], existing["supply"], strict=True))
    rows = []
    missing = []
    for k in cols:
        t = str(o["type"].iat[k])
        sid = str(o["site_id"].iat[k])
        d = settings.default_for(t)
        value, origin, src = math.nan, "", ""
        if settings.supply == "floor_area_m2":
            area = float(o["floor_area_given_m2"].iat[k])
            if math.isfinite(area) and area > 0:
                value, origin = area, "site"
        if not math.isfinite(value) and d is not None:
            value, origin, src = d.value, "default", d.source
        if action[k] == "upgrade" and settings.supply != "floor_area_m2":
            mine = own.get(sid, math.nan)
            if math.isfinite(mine) and (not math.isfinite(value) or mine > value):
                value, origin, src = float(mine), "input", ""
        if not math.isfinite(value):
            missing.append(f"{sid} ({t})")
        rows.append(
            {
                "site_id": sid,
                "name": str(o["name"].iat[k]),
                "type": t,
                "action": str(action[k]),
                "supply": value,
                "supply_from": origin,
                "default_source": src,
            }
        )
    if missing:
        types = sorted({m.rsplit("(", 1)[1].rstrip(")") for m in missing})
        raise InputError(
            f"the plan's sites have no {settings.supply} for [access]; nothing was written",
            [
                Problem(
                    "access",
                    f"{len(missing)} planned site(s) of type {', '.join(types)} have no "
                    f"{settings.supply} default: {', '.join(missing[:10])}",
                    column=f"access.default_supply.{settings.supply}",
                    hint=f"give [access.default_supply.{settings.supply}] {types[0]} = …",
                )
            ],
        )
    return cols, pd.DataFrame(rows), list(leaving)


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AccessResult:
    """Accessibility before (and after) a plan; :func:`siting.access_tables.write_access_tables`
    writes it.

    Attributes
    ----------
    settings
        The settings used.
    points
        Per demand point: ``demand_id``, ``community_code``, ``street_code``, ``kind``,
        ``elderly``, ``weighted`` (the demand), ``access`` (supply per weighted older person) and,
        after a plan, ``access_after``. Never written (weighted demand stays in the tool).
    facilities
        Per supplying facility (before, then the plan's sites): ``site_id``, ``name``, ``type``,
        ``stage`` ({"existing", "new", "upgrade"}; ``in_plan`` whether it is open after the
        plan), ``supply``, ``supply_from`` ({"input", "default", "site"}), ``default_source``,
        ``elderly_in_catchment`` (older people within ``catchment_minutes``), ``ratio``.
    communities, streets, district
        Population-weighted means per 社区/村, 街道/镇 and district scope (district, 社区, 村).
    defaults
        Per type: how many supplying facilities took the default, its value and source.
    plan_name
        The plan's name (empty without a plan).
    round_step
        The rounding step of the catchments' weighted demand (None: not rounded).
    """

    settings: AccessSettings
    points: pd.DataFrame
    facilities: pd.DataFrame
    communities: pd.DataFrame
    streets: pd.DataFrame
    district: pd.DataFrame
    defaults: pd.DataFrame
    plan_name: str = ""
    round_step: int | None = None

    @property
    def rounded(self) -> bool:
        """Were the catchments' weighted demands rounded (roster weights at homes)?"""
        return self.round_step is not None

    @property
    def has_plan(self) -> bool:
        return "access_after" in self.points

    @property
    def n_defaults(self) -> int:
        """Facilities (existing and planned) that took their type's default supply."""
        return int(self.defaults["n_default"].sum()) if len(self.defaults) else 0

    def district_value(self, column: str = "access", scope: str = "district") -> float:
        d = self.district
        return float(d.loc[d["scope"] == scope, column].iloc[0])


def _means(
    keys: np.ndarray,
    groups: np.ndarray,
    elderly: np.ndarray,
    weighted: np.ndarray,
    values: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """Population-weighted means of ``values`` per group key, with older people and demand."""
    frame = pd.DataFrame({"g": groups, "elderly": elderly, "weighted": weighted})
    for name, v in values.items():
        frame[f"_{name}"] = elderly * v
        frame[f"_none_{name}"] = np.where(v > 0, 0.0, elderly)
    sums = frame.groupby("g").sum().reindex(keys, fill_value=0.0)
    out = pd.DataFrame(index=pd.Index(keys))
    out["elderly"] = sums["elderly"].to_numpy()
    out["weighted"] = sums["weighted"].to_numpy()
    e = out["elderly"].to_numpy()
    for name in values:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(e > 0, sums[f"_{name}"].to_numpy() / e, np.nan)
        out[f"elderly_without_{name}"] = sums[f"_none_{name}"].to_numpy()
    return out.reset_index(drop=True)


def _with_change(frame: pd.DataFrame) -> pd.DataFrame:
    if "access_after" in frame:
        frame["access_change"] = frame["access_after"] - frame["access"]
    return frame


def _elderly_within(seconds: csr_matrix, elderly: np.ndarray, minutes: float) -> np.ndarray:
    """(k,) older people within ``minutes`` of each column."""
    sub = seconds.tocoo()
    ok = sub.data <= 60.0 * minutes
    return np.bincount(sub.col[ok], weights=elderly[sub.row[ok]], minlength=sub.shape[1])


def compute_access(
    inputs: Inputs,
    coverage: CoverageResult,
    *,
    settings: AccessSettings | None = None,
    siting: SitingResult | None = None,
) -> AccessResult:
    """Accessibility of the existing facilities and, with ``siting``, after its plan.

    Parameters
    ----------
    inputs
        The district's inputs (facilities, communities, streets).
    coverage
        Coverage of the existing facilities (its matrix of walking times and its demand).
    settings
        Default: the scenario's ``[access]``.
    siting
        A solved plan (:func:`siting.optimize.optimize`, :func:`siting.plan.plan`): its sites
        open at the end are added with their supply, closed facilities removed.

    Raises
    ------
    InputError
        A facility (or planned site) without a usable supply (:func:`facility_supply`).
    ScenarioError
        A catchment longer than the walking-time search.
    """
    from siting.disclosure import weighted_step

    settings = settings or access_settings(inputs.scenario)
    matrix = coverage.matrix
    if settings.catchment_minutes * 60.0 > matrix.max_seconds + 1e-9:
        raise ScenarioError(
            f"the access catchment ({settings.catchment_minutes:g} min) is longer than the "
            f"walking-time search ({matrix.max_seconds / 60:g} min)",
            [
                Problem(
                    str(inputs.scenario.path),
                    f"catchment {settings.catchment_minutes:g} minutes > search "
                    f"{matrix.max_seconds / 60:g}",
                    column="access.max_minutes",
                    hint="raise [coverage] report_max_minutes, or shorten the catchment",
                )
            ],
        )
    label, columns = _facility_label(inputs)
    fac = inputs.facilities
    n_fac = 0 if fac is None else len(fac)
    if matrix.shape[1] != n_fac:
        raise ValueError(
            f"the coverage matrix has {matrix.shape[1]} columns for {n_fac} facilities: compute "
            "it from the same inputs"
        )
    sup = facility_supply(fac, settings, label=label, columns=columns)
    step = weighted_step(coverage.demand)
    before_cols = np.flatnonzero(sup["supplies"].to_numpy(dtype=bool))
    demand = matrix.weights
    before = floating_catchment(
        matrix.seconds[:, before_cols],
        demand,
        sup["supply"].to_numpy()[before_cols],
        settings,
        round_step=step,
    )
    existing = sup.iloc[before_cols].reset_index(drop=True)
    existing = existing.drop(columns=["supplies"]).assign(
        stage="existing",
        in_plan=True,
        elderly_in_catchment=_elderly_within(
            matrix.seconds[:, before_cols], matrix.elderly, settings.catchment_minutes
        ),
        ratio=before.ratio,
    )
    pts = coverage.demand.points
    points = pd.DataFrame(
        {
            "demand_id": pts["demand_id"].to_numpy(),
            "community_code": pts["community_code"].to_numpy(),
            "street_code": pts["street_code"].to_numpy(),
            "kind": pts["kind"].to_numpy(),
            "elderly": matrix.elderly,
            "weighted": demand,
            "access": before.access,
        }
    )
    facilities = existing
    plan_name = ""
    supply_after = reached_after = None
    if siting is not None:
        problem = siting.problem
        if not np.array_equal(problem.matrix.demand_ids, matrix.demand_ids):
            raise ValueError("the plan was computed on other demand points than the coverage")
        plan_cols, planned, leaving = _planned_supply(siting, settings, existing)
        stays = ~np.isin(existing["site_id"].to_numpy(dtype=str), leaving)
        after_seconds = _hstack_columns(
            matrix.seconds[:, before_cols[stays]], problem.matrix.seconds[:, plan_cols]
        )
        after_supply = np.concatenate(
            [existing["supply"].to_numpy()[stays], planned["supply"].to_numpy(dtype=float)]
            if len(planned)
            else [existing["supply"].to_numpy()[stays]]
        )
        after = floating_catchment(after_seconds, demand, after_supply, settings, round_step=step)
        points["access_after"] = after.access
        existing = existing.assign(in_plan=stays)
        existing.loc[stays, "ratio_after"] = after.ratio[: int(stays.sum())]
        if len(planned):
            planned = planned.assign(
                stage=planned["action"],
                in_plan=True,
                elderly_in_catchment=_elderly_within(
                    problem.matrix.seconds[:, plan_cols], matrix.elderly, settings.catchment_minutes
                ),
                ratio=np.nan,
                ratio_after=after.ratio[int(stays.sum()) :],
            ).drop(columns=["action"])
        facilities = pd.concat([existing, planned], ignore_index=True) if len(planned) else existing
        plan_name = siting.name
        supply_after = float(np.nansum(after_supply))
        reached_after = float(np.nansum(after_supply[after.catchment_demand > 0]))

    values = {"access": points["access"].to_numpy()}
    if "access_after" in points:
        values["access_after"] = points["access_after"].to_numpy()
    el = points["elderly"].to_numpy(dtype=float)
    wd = points["weighted"].to_numpy(dtype=float)
    com_in = inputs.communities
    com = _means(com_in["code"].to_numpy(), points["community_code"].to_numpy(), el, wd, values)
    st_names = dict(zip(inputs.streets["code"], inputs.streets["name"], strict=True))
    com.insert(0, "code", com_in["code"].to_numpy())
    com.insert(1, "name", com_in["name"].to_numpy())
    com.insert(2, "street_code", com_in["street_code"].to_numpy())
    com.insert(3, "street_name", [st_names.get(c, "") for c in com_in["street_code"]])
    com.insert(4, "kind", com_in["kind"].to_numpy())
    n_points = points.groupby("community_code").size()
    com.insert(5, "n_demand_points", n_points.reindex(com_in["code"], fill_value=0).to_numpy())
    st_in = inputs.streets
    st = _means(st_in["code"].to_numpy(), points["street_code"].to_numpy(), el, wd, values)
    st.insert(0, "code", st_in["code"].to_numpy())
    st.insert(1, "name", st_in["name"].to_numpy())
    st.insert(2, "kind", st_in["kind"].to_numpy())
    n_com = com_in.groupby("street_code").size()
    st.insert(3, "n_communities", n_com.reindex(st_in["code"], fill_value=0).to_numpy())

    kinds = points["kind"].to_numpy()
    scopes = []
    for scope in ("district", "community", "village"):
        sel = np.ones(len(points), dtype=bool) if scope == "district" else kinds == scope
        g = np.where(sel, scope, "_")
        scopes.append(_means(np.array([scope]), g, el, wd, values).assign(scope=scope))
    district = pd.concat(scopes, ignore_index=True)
    n_before = len(existing)
    supply_before = existing["supply"].to_numpy(dtype=float)
    district.insert(0, "scope", district.pop("scope"))
    district.insert(1, "n_facilities", n_before)
    district.insert(2, "supply_total", float(np.nansum(supply_before)))
    district.insert(
        3, "supply_reached", float(np.nansum(supply_before[before.catchment_demand > 0]))
    )
    if supply_after is not None:
        district["n_facilities_after"] = int(facilities["in_plan"].sum())
        district["supply_total_after"] = supply_after
        district["supply_reached_after"] = reached_after
    # the facilities' figures are the district's: not repeated on the 社区 and 村 rows
    supply_columns = [c for c in district.columns if c.startswith(("n_facilities", "supply_"))]
    district[supply_columns] = district[supply_columns].astype(float)
    district.loc[district["scope"] != "district", supply_columns] = np.nan
    for frame in (com, st, district):
        _with_change(frame)

    used = facilities[facilities["supply_from"] == "default"]
    defaults = (
        used.groupby(["type", "supply", "default_source"])
        .size()
        .rename("n_default")
        .reset_index()
        .rename(columns={"supply": "value", "default_source": "source"})
    )
    n_of_type = facilities.groupby("type").size()
    defaults.insert(1, "n_facilities", n_of_type.reindex(defaults["type"]).to_numpy())
    result = AccessResult(
        settings=settings,
        points=points,
        facilities=facilities,
        communities=_with_change(com),
        streets=_with_change(st),
        district=district,
        defaults=defaults,
        plan_name=plan_name,
        round_step=step,
    )
    log.info(
        "compute_access: %s, supply %s of %d facilities (%d with their type's default); district "
        "mean %.4g per older person%s",
        settings.method,
        settings.supply,
        len(facilities),
        result.n_defaults,
        result.district_value(),
        ""
        if siting is None
        else f", {result.district_value('access_after'):.4g} after the plan {plan_name}",
    )
    return result


def _hstack_columns(a: csr_matrix, b: csr_matrix) -> csr_matrix:
    """Columns of ``a`` then ``b``, keeping stored zeros (a 0-second walk is a pair)."""
    a, b = a.tocoo(), b.tocoo()
    return csr_matrix(
        (
            np.concatenate([a.data, b.data]),
            (np.concatenate([a.row, b.row]), np.concatenate([a.col, b.col + a.shape[1]])),
        ),
        shape=(a.shape[0], a.shape[1] + b.shape[1]),
    )


def access_summary(result: AccessResult, lang: str = "zh") -> list[str]:
    """The lines ``siting access`` prints under the district table: method, supply (totals, how
    many facilities took their type's default, and which), the plan."""
    s = result.settings
    zh = lang == "zh"
    fac = result.facilities
    n_existing = int((fac["stage"] == "existing").sum())
    n_planned = len(fac) - n_existing
    n_site = int((fac["supply_from"] == "site").sum())
    d = result.district.iloc[0]
    what = _SUPPLY_ZH[s.supply] if zh else s.supply
    lines = [s.describe(lang)]
    if zh:
        text = (
            f"供给：{what}，现有 {n_existing} 处设施合计 {d['supply_total']:,.0f}"
            f"（服务范围内有老年人的 {d['supply_reached']:,.0f}）"
        )
        if result.has_plan:
            text += (
                f"，规划后 {int(d['n_facilities_after'])} 处合计 {d['supply_total_after']:,.0f}"
                f"（新建、升级 {n_planned} 处"
                + (f"，其中 {n_site} 处用候选点面积）" if n_site else "）")
            )
        lines.append(text + f"；缺值用类型默认值的设施 {result.n_defaults} 处")
    else:
        text = (
            f"supply: {what}, {n_existing} existing facilities with {d['supply_total']:,.0f} in "
            f"all ({d['supply_reached']:,.0f} with older people in reach)"
        )
        if result.has_plan:
            text += (
                f"; after the plan {int(d['n_facilities_after'])} with "
                f"{d['supply_total_after']:,.0f} ({n_planned} built or upgraded"
                + (f", {n_site} with their candidate's floor area)" if n_site else ")")
            )
        lines.append(text + f"; {result.n_defaults} facilities took their type's default")
    for row in result.defaults.itertuples():
        lines.append(
            f"  {row.type}: {row.n_default}/{row.n_facilities} = {row.value:g} ({row.source})"
        )
    if PER_PEOPLE[s.supply] != 1:
        lines.append(f"表中可达性为每千名老年人的{what}" if zh else "access per 1,000 older people")
    if result.has_plan:
        lines.append(
            f"“规划后”：加入方案“{result.plan_name}”的新建点，需求不变"
            if zh
            else f"“after the plan”: with the sites of “{result.plan_name}”, the same demand"
        )
    if result.rounded:
        lines.append(
            "名册权重在家：各设施服务范围内的加权需求按发布步长向上取整后计算（见 siting.disclosure）"
            if zh
            else "roster weights at homes: each catchment's weighted demand was rounded up to the "
            "publication step before the ratios (siting.disclosure)"
        )
    return lines


_SUPPLY_ZH = {"floor_area_m2": "建筑面积（平方米）", "beds": "床位", "staff": "工作人员"}
