"""From a district's inputs to the older pedestrian's walking graph (the bridge to :mod:`isochrones`)."""

from __future__ import annotations

import contextlib
import logging
import math
from typing import Any

from isochrones import SPEED_PRESETS, WalkGraph, WalkingModel, read_dem, walking_arcs
from isochrones.errors import NetworkInputError
from siting.errors import InputError, Problem, ScenarioError
from siting.io import Inputs

__all__ = ["MAX_WALK_SPEED_MPS", "walking_graph", "walking_model", "walking_problems"]

log = logging.getLogger(__name__)

#: Faster than this is not walking (a brisk adult walks 1.3–1.5 m/s): most likely km/h given as m/s.
MAX_WALK_SPEED_MPS = 3.0
SLOPE_FUNCTIONS = ("tobler", "flat")


def _speed_value(chosen: Any) -> Any:
    if isinstance(chosen, str):
        with contextlib.suppress(ValueError):  # else a preset name
            return float(chosen)
    return chosen


def walking_problems(scenario: Any, *, speed: float | str | None = None) -> list[Problem]:
    """Every problem of the ``[walking]`` section (``speed`` overrides its speed)."""
    source = str(scenario.path)
    walking = scenario.section("walking")
    out = []
    chosen = _speed_value(walking.get("speed", "older_adult") if speed is None else speed)
    where = "walking.speed" if speed is None else "--speed"
    if isinstance(chosen, str):
        if chosen not in SPEED_PRESETS:
            out.append(
                Problem(
                    source,
                    f"unknown walking-speed preset {chosen!r}",
                    column=where,
                    hint=f"use one of {sorted(SPEED_PRESETS)} or a number of m/s",
                )
            )
    elif not (
        isinstance(chosen, int | float)
        and not isinstance(chosen, bool)
        and math.isfinite(chosen)
        and 0 < chosen <= MAX_WALK_SPEED_MPS
    ):
        out.append(
            Problem(
                source,
                f"the walking speed must be a number of m/s above 0 and at most "
                f"{MAX_WALK_SPEED_MPS:g}, got {chosen!r}",
                column=where,
                hint="e.g. speed = 0.8 (an older adult) or a preset (frail 0.64, older_adult 0.8, "
                "default 1.0, adult 1.3); metres per second, not km/h (4.8 km/h = 1.33 m/s)",
            )
        )
    slope = walking.get("slope_function", "tobler")
    if slope not in SLOPE_FUNCTIONS:
        out.append(
            Problem(
                source,
                f"unknown slope_function {slope!r}",
                column="walking.slope_function",
                hint=f"use one of {list(SLOPE_FUNCTIONS)}",
            )
        )
    snap = walking.get("max_snap_m", 300.0)
    if not (
        isinstance(snap, int | float)
        and not isinstance(snap, bool)
        and math.isfinite(snap)
        and snap > 0
    ):
        out.append(
            Problem(
                source,
                f"[walking] max_snap_m must be a number of metres > 0, got {snap!r}",
                column="walking.max_snap_m",
                hint="e.g. max_snap_m = 300 (homes and sites farther from a street are not "
                "attached)",
            )
        )
    return out


def walking_model(inputs: Inputs, *, speed: float | str | None = None) -> WalkingModel:
    """The walking model of the scenario's ``[walking]`` section (``speed`` overrides it).

    Raises
    ------
    ScenarioError
        A bad speed or slope function, naming the scenario file and key.
    """
    scenario = inputs.scenario
    problems = walking_problems(scenario, speed=speed)
    if problems:
        raise ScenarioError(f"scenario {scenario.path}: invalid [walking] settings", problems)
    walking = scenario.section("walking")
    chosen = _speed_value(walking.get("speed", "older_adult") if speed is None else speed)
    return WalkingModel(
        walk_speed_mps=chosen, slope_function=walking.get("slope_function", "tobler")
    )


def graph_note(graph: WalkGraph, lang: str = "zh") -> str:
    """The walking graph's line in a stage table: its arcs and flat speed, in ``lang``."""
    from siting.i18n import label

    return label(
        "note_arcs",
        lang,  # type: ignore[arg-type]
        arcs=f"{graph.n_arcs:,}",
        speed=f"{graph.walk_speed_mps:g}",
    )


def walking_graph(inputs: Inputs, *, speed: float | str | None = None) -> WalkGraph:
    """The directed walking graph of the district: slopes from the DEM when there is one.

    Raises
    ------
    ScenarioError
        Bad ``[walking]`` settings.
    InputError
        The DEM cannot be read (no CRS, no valid elevation), naming ``[inputs.dem]``'s file.
    """
    if inputs.network is None:
        raise ValueError("the inputs were loaded without the road network (network=False)")
    model = walking_model(inputs, speed=speed)
    dem = None
    if inputs.dem_path is not None:
        try:
            dem = read_dem(inputs.dem_path)
        except NetworkInputError as exc:
            spec = inputs.scenario.inputs.get("dem")
            label = spec.label if spec is not None else str(inputs.dem_path)
            raise InputError(
                f"{label}: the DEM cannot be used",
                [
                    Problem(
                        label,
                        p.message,
                        hint=(p.hint or "") + " — or remove [inputs.dem] (slopes are then ignored)",
                    )
                    for p in exc.problems
                ]
                or [Problem(label, str(exc))],
            ) from None
    spec = inputs.scenario.inputs.get("network")
    respect_oneway = bool(spec is not None and spec.respect_oneway)
    graph = walking_arcs(inputs.network, model, dem=dem, respect_oneway=respect_oneway)
    log.info("walking_graph built %r at %.2f m/s", graph, model.speed_mps)
    return graph
