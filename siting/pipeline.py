"""The whole pipeline of ``siting run``: inputs → walking graph → catchments → coverage → … → outputs.

Each stage takes the previous stage's plain objects and is timed by a :class:`StageTimer`.
Stages that later work adds (coverage, optimization, plan, maps, exports) hook in here.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from isochrones import WalkGraph
from siting.atomic import ensure_writable_dir
from siting.catchments import Catchments, facility_catchments, write_catchments
from siting.coverage import CoverageResult, compute_coverage
from siting.i18n import Language, label
from siting.io import Inputs, load_inputs
from siting.scenario import Scenario
from siting.stages import StageTimer
from siting.tables import write_coverage_tables
from siting.walking import walking_graph

__all__ = ["RunResult", "run_pipeline"]


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the validated inputs, intermediate objects and the files written."""

    scenario: Scenario
    inputs: Inputs
    graph: WalkGraph
    catchments: Catchments
    coverage: CoverageResult
    outputs: tuple[Path, ...] = field(default=())


def run_pipeline(
    scenario: Scenario, *, timer: StageTimer | None = None, console=None, lang: Language = "zh"
) -> RunResult:
    """Run every stage of the pipeline on ``scenario``; outputs go to the scenario's output dir."""
    timer = timer or StageTimer()
    out_dir = scenario.output_dir()
    outputs: list[Path] = []
    ensure_writable_dir(out_dir)  # fail before the work, not after

    def stage(key: str):
        name = label(key, lang)
        status = console.status(name) if console is not None else nullcontext()
        return status, timer.stage(name)

    status, timed = stage("stage_load")
    with status, timed as info:
        inputs = load_inputs(scenario)
        info["note"] = f"{len(inputs.communities):,} 社区/村"
    status, timed = stage("stage_graph")
    with status, timed as info:
        graph = walking_graph(inputs)
        info["note"] = f"{graph.n_arcs:,} arcs, {graph.walk_speed_mps:g} m/s"
    status, timed = stage("stage_isochrones")
    with status, timed as info:
        catchments = facility_catchments(inputs, graph, minutes=(15.0, 25.0))
        path = out_dir / "isochrones.gpkg"
        write_catchments(catchments, path, lang=lang)
        outputs.append(path)
        info["note"] = f"{catchments.per_site['site_id'].nunique():,} sites"
    status, timed = stage("stage_coverage")
    with status, timed as info:
        coverage = compute_coverage(inputs, graph)
        outputs.extend(write_coverage_tables(coverage, out_dir, lang=lang))
        info["note"] = f"{len(coverage.demand.points):,} demand points"
    return RunResult(
        scenario=scenario,
        inputs=inputs,
        graph=graph,
        catchments=catchments,
        coverage=coverage,
        outputs=tuple(outputs),
    )
