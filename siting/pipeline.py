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

__all__ = [
    "RunResult",
    "default_map_path",
    "run_pipeline",
    "uncovered_points",
    "write_export",
    "write_map_for",
]


def default_map_path(scenario: Scenario) -> Path:
    """``maps/<scenario output folder name>.html`` in the working directory."""
    return Path.cwd() / "maps" / f"{scenario.output_dir().name}.html"


def uncovered_points(coverage: CoverageResult):
    """Demand points no home-care facility covers today (for the density layer)."""
    types = list(coverage.settings.home_care_types)
    covered = coverage.matrix.is_covered(types=types)
    return coverage.demand.points[~covered]


def write_map_for(
    inputs: Inputs,
    catchments: Catchments,
    coverage: CoverageResult,
    path: Path,
    *,
    lang: Language = "zh",
    basemap: str = "none",
    tianditu_key: str | None = None,
    offline: bool = True,
) -> Path:
    """The scenario's HTML coverage map (self-contained unless ``offline=False``)."""
    from siting.maps import coverage_map, write_map

    m = coverage_map(
        inputs,
        catchments=catchments,
        coverage=coverage.communities,
        uncovered=uncovered_points(coverage),
        roster_cells=coverage.roster.grid if coverage.roster is not None else None,
        lang=lang,
        basemap=basemap,
        tianditu_key=tianditu_key,
        offline=offline,
    )
    return write_map(m, path)


def write_export(
    inputs: Inputs,
    catchments: Catchments,
    coverage: CoverageResult,
    path: Path,
    *,
    fmt: str = "gpkg",
    crs: str = "cgcs2000",
) -> list[Path]:
    """The scenario's GIS layers for the planning bureau."""
    from siting.export import export_layers

    return export_layers(
        inputs,
        path,
        fmt=fmt,
        crs=crs,
        catchments=catchments,
        coverage=coverage.communities,
        demand_summary=coverage.demand.communities,
        scenario_hash=None,
    )


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
    status, timed = stage("stage_deliver")
    with status, timed as info:
        outputs.append(
            write_map_for(inputs, catchments, coverage, default_map_path(scenario), lang=lang)
        )
        outputs.extend(write_export(inputs, catchments, coverage, out_dir / "layers.gpkg"))
        info["note"] = "HTML + GeoPackage (CGCS2000)"
    return RunResult(
        scenario=scenario,
        inputs=inputs,
        graph=graph,
        catchments=catchments,
        coverage=coverage,
        outputs=tuple(outputs),
    )
