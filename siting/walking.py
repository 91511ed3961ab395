"""From a district's inputs to the older pedestrian's walking graph (the bridge to :mod:`isochrones`)."""

from __future__ import annotations

import contextlib
import logging

from isochrones import WalkGraph, WalkingModel, read_dem, walking_arcs
from siting.io import Inputs

__all__ = ["walking_graph", "walking_model"]

log = logging.getLogger(__name__)


def walking_model(inputs: Inputs, *, speed: float | str | None = None) -> WalkingModel:
    """The walking model of the scenario's ``[walking]`` section (``speed`` overrides it)."""
    walking = inputs.scenario.section("walking")
    chosen = walking.get("speed", "older_adult") if speed is None else speed
    if isinstance(chosen, str):
        with contextlib.suppress(ValueError):  # else a preset name
            chosen = float(chosen)
    return WalkingModel(
        walk_speed_mps=chosen, slope_function=walking.get("slope_function", "tobler")
    )


def walking_graph(inputs: Inputs, *, speed: float | str | None = None) -> WalkGraph:
    """The directed walking graph of the district: slopes from the DEM when there is one."""
    if inputs.network is None:
        raise ValueError("the inputs were loaded without the road network (network=False)")
    model = walking_model(inputs, speed=speed)
    dem = read_dem(inputs.dem_path) if inputs.dem_path is not None else None
    spec = inputs.scenario.inputs.get("network")
    respect_oneway = bool(spec is not None and spec.respect_oneway)
    graph = walking_arcs(inputs.network, model, dem=dem, respect_oneway=respect_oneway)
    log.info("walking_graph built %r at %.2f m/s", graph, model.speed_mps)
    return graph
