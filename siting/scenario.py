"""Scenario files: TOML that names every input and parameter of a run.

A scenario may ``extends = "base.toml"`` another and override a few values (tables merge key by key;
other values replace). Paths are relative to the file that names them. Unknown keys are errors that
name the file and the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siting.errors import Problem, ScenarioError
from siting.indicator_table import reported_problems

__all__ = [
    "DEFAULT_SCENARIO",
    "INPUT_NAMES",
    "InputSpec",
    "Scenario",
    "load_scenario",
]

#: The demo district's scenario, used when a command is given none (the source checkout's data/).
DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "data" / "demo" / "scenario.toml"


def default_scenario() -> Path:
    """The demo scenario: in the source checkout, else in ``./data/demo`` of the working directory."""
    if DEFAULT_SCENARIO.exists():
        return DEFAULT_SCENARIO
    return Path.cwd() / "data" / "demo" / "scenario.toml"


#: Inputs a scenario may name, in pipeline order; the first three are required.
INPUT_NAMES: tuple[str, ...] = (
    "network",
    "streets",
    "communities",
    "dem",
    "district",
    "buildings",
    "facilities",
    "health",
    "candidates",
    "roster",
)
REQUIRED_INPUTS: tuple[str, ...] = ("network", "streets", "communities")

_INPUT_KEYS = {
    "path": str,
    "format": str,
    "layer": str,
    "sheet": str,
    "encoding": str,
    "coords": str,
    "crs": str,
    "list_separator": str,
    "columns": dict,
    "values": dict,
    "class_map": dict,
    "snap_tolerance_m": (int, float),
    # road-centreline layers only (navigation links): see isochrones.io.read_centrelines
    "default_class": str,
    "exclude": dict,
    "respect_oneway": bool,
    "split_at_crossings": bool,
}
#: Keys only the road network takes, and those whose value is true/false.
_NETWORK_KEYS = frozenset({"default_class", "exclude", "respect_oneway", "split_at_crossings"})
_BOOL_KEYS = frozenset({"respect_oneway", "split_at_crossings"})

# Section -> {key: type or nested schema}. ``None`` for a section means "any keys" (not used yet).
_SCHEMA: dict[str, dict[str, Any]] = {
    "scenario": {
        "name": str,
        "name_en": str,
        "description": str,
        "district_code": str,
        "district_name": str,
        "language": str,
        "crs": str,
    },
    "walking": {
        "speed": (str, int, float),
        "max_snap_m": (int, float),
        "slope_function": str,
    },
    "output": {"dir": str},
    # tolerances of the polygon checks (siting/polygon_checks.py) and the plausibility bounds
    # of the inputs (siting/plausibility.py)
    "validation": {
        "overlap_tolerance_m2": (int, float),
        "gap_tolerance_m2": (int, float),
        "max_listed": int,
        "max_residents": (int, float),
        "large_residents": (int, float),
        "max_share_60p": (int, float),
        "min_share_60p": (int, float),
        "min_attached_share": (int, float),
    },
    "demand": {
        "basis": str,
        "street_spacing_m": (int, float),
        "weight_80p": (int, float),
        "weight_disabled": (int, float),
        "weight_extreme_poor": (int, float),
        "weight_living_alone": (int, float),
        "roster": str,
    },
    "coverage": {
        "community_minutes": (int, float),
        "village_minutes": (int, float),
        "type_minutes": dict,
        "home_care_types": list,
        "report_max_minutes": (int, float),
        "medical_care_minutes": dict,
        "medical_care_max_distance_m": (int, float),
    },
    "indicators": {
        "home_care_coverage_target": (int, float),
        "floor_area_m2_per_resident": (int, float),
        "stations_per_center_max": int,
        "hub_reach_minutes": (int, float),
        "health_max_distance_m": (int, float),
        "small_community_elderly": (int, float),
        "sharing_min_share": (int, float),
        # the indicators of 000 专栏1 and the other documents' figures (defaults in
        # siting.indicators.IndicatorSettings; district-specific ones in siting.indicator_table)
        "total_beds_target": (int, float),
        "nursing_bed_share_target": (int, float),
        "social_operation_urban_target": (int, float),
        "social_operation_rural_target": (int, float),
        "social_operation_beds_target": (int, float),
        "new_housing_since": int,
        "new_housing_m2_per_100_households": (int, float),
        "new_housing_target": (int, float),
        "new_housing_max_distance_m": (int, float),
        "teaching_point_target": (int, float),
        "reported": dict,
    },
    "roster": {"cell_m": (int, float), "min_count": int},
    # siting.model: the policy rules, shared by siting optimize and siting plan
    "rules": {
        "profile": str,
        "policies": list,
        "health_rule": str,
        "health_penalty": (int, float),
        "hub_types": list,
        "hub_reach_metric": str,
        "hub_reach_m": (int, float),
        "min_spacing_m": dict,
        "max_new": dict,
        "upgrades": dict,
        "closable_types": list,
        "capacity_basis": str,
        "capacity_elderly_per_m2": dict,
        "capacity_elderly_per_bed": dict,
        "build_types": list,
        "station_min_m2": (int, float),
        "station_small_min_m2": (int, float),
        "street_center_min_m2": (int, float),
        "street_center_min_beds": (int, float),
        "town_center_min_m2": (int, float),
    },
    "optimize": {
        "objective": str,
        "budget_wan_yuan": (int, float),
        "coverage_target": (int, float),
        "community_floor": (int, float),
        "new_sites": int,
        "solver": str,
        "time_limit_s": (int, float),
        "mip_gap": (int, float),
        "threads": int,
        "warm_start": str,
        "lexicographic_tolerance": (int, float),
        "curve_budgets": list,
        "curve_steps": int,
        "decay": str,
        "decay_half_minutes": (int, float),
    },
    "costs": {
        "horizon_years": (int, float),
        "subsidy_municipal_wan_yuan": dict,
        "subsidy_district_wan_yuan": dict,
        "works_wan_yuan": dict,
        "operating_yuan_per_month": dict,
        "area_brackets_m2": list,
        "area_operating_yuan_per_month": list,
        "default_floor_area_m2": dict,
        "upgrade_works_wan_yuan": dict,
        "levels": dict,
        # replaced keys, kept so that siting.costs can say what replaced them
        "capital_wan_yuan": dict,
        "upgrade_capital_wan_yuan": dict,
    },
    # budget lines (siting.model.settings.BudgetLine), shared by siting optimize and siting plan
    "budget": {"line": list},
    # siting.access: supply-aware accessibility (2SFCA, E2SFCA, gravity), checked there
    "access": {
        "method": str,
        "supply": str,
        "types": list,
        "max_minutes": (int, float),
        "bands_minutes": list,
        "band_weights": list,
        "sigma_minutes": (int, float),
        "gravity_beta": (int, float),
        "gravity_min_minutes": (int, float),
        "default_supply": dict,
        "map": bool,
    },
    # siting.plan: the five-year plan (milestones, quota and builds are lists of tables, checked there)
    "plan": {
        "first_year": int,
        "last_year": int,
        "base_year": int,
        "objective": str,
        "mode": str,
        "budget_wan_yuan": (int, float, list, dict),
        "unspent": str,
        "operating_from": str,
        "growth": (str, int, float, dict),
        "mortality_60p": (int, float),
        "budget_basis": str,
        "commitment_years": (int, float),
        "max_new_per_year": dict,
        "min_new_per_year": dict,
        "milestones": list,
        "quota": list,
        "builds": list,
        "solver": str,
        "time_limit_s": (int, float),
        "mip_gap": (int, float),
        "threads": int,
        "warm_start": str,
    },
}
_TOP_KEYS = {"extends", "inputs", *_SCHEMA}

_DEFAULTS: dict[str, Any] = {
    "scenario": {"name": "", "name_en": "", "language": "zh", "crs": "auto"},
    "walking": {"speed": "older_adult", "max_snap_m": 300.0, "slope_function": "tobler"},
    "output": {"dir": "output"},
    # siting.demand: the elderly on their homes; every older person weighs 1 unless a priority
    # group is given more (POLICY_RULES §5). basis: auto|households|floor_area|footprint.
    # roster: homes (the roster's people weigh at their homes) | counts (community counts only).
    "demand": {
        "basis": "auto",
        "street_spacing_m": 50.0,
        "weight_80p": 1.0,
        "weight_disabled": 1.0,
        "weight_extreme_poor": 1.0,
        "weight_living_alone": 1.0,
        "roster": "homes",
    },
    # siting.coverage: the 15-minute (一刻钟) circle in 社区 and 村 (POLICY_RULES §2: 000, 001, 003,
    # 004); 医养结合 access is its own measure: 15 min in 社区, 25 in 村 (002 §25), within 500 m of health
    "coverage": {
        "community_minutes": 15.0,
        "village_minutes": 15.0,
        "type_minutes": {},
        "home_care_types": [
            "street_center",
            "town_center",
            "station",
            "village_point",
            "compound_point",
        ],
        "report_max_minutes": 60.0,
        "medical_care_minutes": {"community": 15.0, "village": 25.0},
        "medical_care_max_distance_m": 500.0,
    },
    # siting.indicators: targets of POLICY_RULES §1–3 (see siting/indicators.py for sources)
    "indicators": {
        "home_care_coverage_target": 0.8,
        "floor_area_m2_per_resident": 0.2,
        "stations_per_center_max": 10,
        "hub_reach_minutes": 30.0,
        "health_max_distance_m": 500.0,
        "small_community_elderly": 500,
        "sharing_min_share": 0.5,
    },
    # siting.roster: care-map grid and the smallest count ever shown
    "roster": {"cell_m": 500.0, "min_count": 5},
    # siting.model: the documents' rules by default (profile "documents"; "coverage_only" for
    # studies); policies = [...] makes a rule hard. Rule numbers come from [indicators].
    "rules": {
        "profile": "documents",
        "policies": [],
        "health_rule": "prefer",
        "health_penalty": 50.0,
        "hub_types": ["station"],
        "hub_reach_metric": "walking",
        "hub_reach_m": 1440.0,
    },
    # siting.optimize: no budget by default: max_coverage needs budget_wan_yuan or new_sites.
    "optimize": {
        "objective": "max_coverage",
        "community_floor": 0.0,
        "solver": "cbc",
        "time_limit_s": 120.0,
        "mip_gap": 0.0001,
        "warm_start": "greedy",
        "lexicographic_tolerance": 0.0,
        "curve_steps": 10,
    },
    # siting.costs: per-type tables merge over the defaults documented (with sources) there
    "costs": {"horizon_years": 5.0},
    # siting.access: 2SFCA on the 一刻钟 (15-minute) circle, floor area shared among the weighted
    # older people; E2SFCA bands 5/10/15 minutes weighted by a Gaussian (σ 5.69: Luo & Qi's 1, 0.68,
    # 0.22 on a 15-minute catchment); gravity max(t, 1 min)^−1 (an assumption). The supplying
    # types follow [coverage] home_care_types; defaults of missing supply: siting.access
    "access": {
        "method": "2sfca",
        "supply": "floor_area_m2",
        "max_minutes": 15.0,
        "bands_minutes": [5.0, 10.0, 15.0],
        "band_weights": [],
        "sigma_minutes": 5.69,
        "gravity_beta": 1.0,
        "gravity_min_minutes": 1.0,
        "default_supply": {},
        "map": False,
    },
    # siting.plan: 十四五 2021–2025 on 2020 census figures; see siting/plan.py for every default
    "plan": {
        "first_year": 2021,
        "last_year": 2025,
        "base_year": 2020,
        "objective": "elderly_years",
        "mode": "optimize",
        "unspent": "lapses",
        "operating_from": "year_built",
        "growth": "census",
        "mortality_60p": 0.03,
        "budget_basis": "cash",
        "solver": "cbc",
        "warm_start": "greedy",
        "time_limit_s": 60.0,
        "mip_gap": 0.0001,
        "milestones": [],
        "quota": [],
        "builds": [],
    },
}


@dataclass(frozen=True)
class InputSpec:
    """Where one input is and how to read it.

    ``columns`` maps canonical names to the file's columns; ``values`` maps, per canonical column,
    the file's values to canonical values.
    """

    name: str
    path: Path
    format: str | None = None
    layer: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    coords: str | None = None
    crs: str | None = None
    list_separator: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    class_map: Mapping[str, str] = field(default_factory=dict)
    snap_tolerance_m: float | None = None
    default_class: str | None = None
    exclude: Mapping[str, Any] = field(default_factory=dict)
    respect_oneway: bool = False
    split_at_crossings: bool = True

    @property
    def label(self) -> str:
        """The file (and layer or sheet) for messages."""
        where = str(self.path)
        if self.layer:
            where += f" (layer '{self.layer}')"
        if self.sheet:
            where += f" (sheet '{self.sheet}')"
        return where


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: the merged settings, the input specs and the identity of the run."""

    path: Path
    settings: Mapping[str, Any]
    inputs: Mapping[str, InputSpec]
    sha256: str

    @property
    def name(self) -> str:
        return self.settings["scenario"].get("name") or self.path.parent.name

    @property
    def language(self) -> str:
        return self.settings["scenario"].get("language", "zh")

    def section(self, key: str) -> Mapping[str, Any]:
        return self.settings.get(key, {})

    def output_dir(self, base: Path | None = None) -> Path:
        """The output folder: ``[output] dir`` relative to ``base`` (default: the working directory)."""
        out = Path(self.settings["output"]["dir"]).expanduser()  # "~/out" is the home folder
        return out if out.is_absolute() else (base or Path.cwd()) / out


def _merge(base: dict, override: Mapping) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_toml(path: Path) -> dict:
    if not path.exists():
        raise ScenarioError(
            f"scenario file {path} does not exist",
            [
                Problem(
                    str(path),
                    "file not found",
                    hint="check the path, or run without a scenario for the demo",
                )
            ],
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path} is not UTF-8 text: {exc}") from None


def _absolutise_paths(raw: dict, folder: Path) -> dict:
    """Make input paths absolute relative to the file that names them (before merging)."""
    raw = copy.deepcopy(raw)
    for spec in raw.get("inputs", {}).values():
        if isinstance(spec, dict) and isinstance(spec.get("path"), str):
            p = Path(spec["path"]).expanduser()
            spec["path"] = str(p if p.is_absolute() else (folder / p).resolve())
    return raw


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict:
    path = path.resolve()
    if path in chain:
        cycle = " → ".join(str(p) for p in (*chain, path))
        raise ScenarioError(
            f"{chain[-1]}: key 'extends' makes a cycle: {cycle}",
            [Problem(str(chain[-1]), "a scenario cannot extend itself", column="extends")],
        )
    raw = _absolutise_paths(_read_toml(path), path.parent)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: key 'extends' must be a path string, got {parent!r}")
    parent_path = Path(parent)
    if not parent_path.is_absolute():
        parent_path = path.parent / parent_path
    return _merge(_resolve(parent_path, (*chain, path)), raw)


def _type_name(t: Any) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


def _check(settings: dict, path: Path) -> list[Problem]:
    src = str(path)
    problems: list[Problem] = []
    for key in settings:
        if key not in _TOP_KEYS:
            problems.append(
                Problem(
                    src, f"unknown key '{key}'", column=key, hint=f"known keys: {sorted(_TOP_KEYS)}"
                )
            )
    for section, schema in _SCHEMA.items():
        values = settings.get(section, {})
        if not isinstance(values, dict):
            problems.append(Problem(src, f"'{section}' must be a table", column=section))
            continue
        for key, value in values.items():
            if key not in schema and section in ("optimize", "plan") and key in _SCHEMA["rules"]:
                problems.append(
                    Problem(
                        src,
                        f"'{section}.{key}' is a rule: it moved to [rules]",
                        column=f"{section}.{key}",
                        hint=f"write it under [rules] (shared by siting optimize and siting plan): {key} = …",
                    )
                )
            elif key not in schema:
                problems.append(
                    Problem(
                        src,
                        f"unknown key '{section}.{key}'",
                        column=f"{section}.{key}",
                        hint=f"known keys of [{section}]: {sorted(schema)}",
                    )
                )
            elif section == "demand" and key.startswith("weight_"):
                from siting.demand import weight_problem

                problem = weight_problem(key, value, src)
                if problem is not None:
                    problems.append(problem)
            elif schema[key] is bool:
                if not isinstance(value, bool):
                    problems.append(
                        Problem(
                            src,
                            f"'{section}.{key}' must be true or false, got {value!r}",
                            column=f"{section}.{key}",
                            hint=f"write {key} = true (or false), without quotes",
                        )
                    )
            elif not isinstance(value, schema[key]) or isinstance(value, bool):
                problems.append(
                    Problem(
                        src,
                        f"'{section}.{key}' must be {_type_name(schema[key])}, got {value!r}",
                        column=f"{section}.{key}",
                    )
                )
    reported = settings.get("indicators", {})
    if isinstance(reported, dict) and isinstance(reported.get("reported"), dict):
        problems.extend(reported_problems(reported["reported"], src))
    inputs = settings.get("inputs", {})
    if not isinstance(inputs, dict):
        problems.append(Problem(src, "'inputs' must be a table of input sections", column="inputs"))
        return problems
    for name, spec in inputs.items():
        col = f"inputs.{name}"
        if name not in INPUT_NAMES:
            problems.append(
                Problem(
                    src,
                    f"unknown input '{name}'",
                    column=col,
                    hint=f"known inputs: {list(INPUT_NAMES)}",
                )
            )
            continue
        if not isinstance(spec, dict):
            problems.append(Problem(src, f"'{col}' must be a table", column=col))
            continue
        for key, value in spec.items():
            if key not in _INPUT_KEYS:
                problems.append(
                    Problem(
                        src,
                        f"unknown key '{col}.{key}'",
                        column=f"{col}.{key}",
                        hint=f"known keys: {sorted(_INPUT_KEYS)}",
                    )
                )
            elif key in _NETWORK_KEYS and name != "network":
                problems.append(
                    Problem(
                        src,
                        f"'{col}.{key}' applies to the road network only",
                        column=f"{col}.{key}",
                        hint=f"move it to [inputs.network]: {key} = …",
                    )
                )
            elif key in _BOOL_KEYS and not isinstance(value, bool):
                problems.append(
                    Problem(
                        src,
                        f"'{col}.{key}' must be true or false, got {value!r}",
                        column=f"{col}.{key}",
                        hint=f"write {key} = true (or false), without quotes",
                    )
                )
            elif key in _BOOL_KEYS:
                pass
            elif not isinstance(value, _INPUT_KEYS[key]) or isinstance(value, bool):
                problems.append(
                    Problem(
                        src,
                        f"'{col}.{key}' must be {_type_name(_INPUT_KEYS[key])}, got {value!r}",
                        column=f"{col}.{key}",
                    )
                )
            elif key == "exclude":
                for xcol, xvalues in value.items():
                    ok = isinstance(xvalues, list) and all(
                        isinstance(v, str | int) and not isinstance(v, bool) for v in xvalues
                    )
                    if not ok:
                        problems.append(
                            Problem(
                                src,
                                f"'{col}.exclude.{xcol}' must be a list of values, got {xvalues!r}",
                                column=f"{col}.exclude.{xcol}",
                                hint=f'write exclude = {{ {xcol} = ["高速公路", "快速路"] }}',
                            )
                        )
        if "path" not in spec:
            problems.append(Problem(src, f"input '{name}' has no 'path'", column=f"{col}.path"))
    for name in REQUIRED_INPUTS:
        if name not in inputs:
            problems.append(
                Problem(
                    src,
                    f"required input '{name}' is missing",
                    column=f"inputs.{name}",
                    hint=f"add an [inputs.{name}] table with a 'path'",
                )
            )
    return problems


def _spec(name: str, raw: Mapping[str, Any]) -> InputSpec:
    kwargs = {k: v for k, v in raw.items() if k != "path"}
    return InputSpec(name=name, path=Path(raw["path"]), **kwargs)


def _settings_hash(settings: Mapping[str, Any], folder: Path) -> str:
    """SHA-256 of the merged settings, with input paths relative to the scenario's folder.

    The same scenario gives the same hash wherever the project is checked out.
    """
    portable = copy.deepcopy(dict(settings))
    for spec in portable.get("inputs", {}).values():
        spec["path"] = os.path.relpath(spec["path"], folder)
    text = json.dumps(portable, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def load_scenario(
    path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Read a scenario file (the demo scenario when ``path`` is None).

    Parameters
    ----------
    path
        The TOML file.
    overrides
        Nested values merged over the file's (e.g. from command-line options).

    Raises
    ------
    ScenarioError
        The file is missing, not TOML, extends itself, or has unknown keys or wrong types.
    """
    path = Path(path) if path is not None else default_scenario()
    if path.is_dir():
        path = path / "scenario.toml"
    path = path.resolve()
    raw = _resolve(path, ())
    if overrides:
        raw = _merge(raw, overrides)
    problems = _check(raw, path)
    if problems:
        raise ScenarioError(f"scenario {path} has {len(problems)} problem(s)", problems)
    settings = _merge(_DEFAULTS, raw)
    inputs = {
        name: _spec(name, settings["inputs"][name])
        for name in INPUT_NAMES
        if name in settings["inputs"]
    }
    digest = _settings_hash(settings, path.parent)
    return Scenario(path=path, settings=settings, inputs=inputs, sha256=digest)
