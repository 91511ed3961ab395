"""The whole pipeline of ``siting run``: inputs → walking graph → catchments → coverage → … → outputs.

Each stage takes the previous stage's plain objects and is timed by a :class:`StageTimer`.
Stages that later work adds (coverage, optimization, plan, maps, exports) hook in here.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from isochrones import WalkGraph
from siting.catchments import Catchments, facility_catchments, write_catchments
from siting.coverage import CoverageResult
from siting.i18n import Language, label
from siting.io import Inputs
from siting.preflight import prepare
from siting.progress import stage_progress
from siting.scenario import Scenario
from siting.stages import StageTimer
from siting.tables import write_coverage_tables
from siting.transaction import Transaction

__all__ = [
    "RunResult",
    "default_map_path",
    "run_pipeline",
    "uncovered_points",
    "write_export",
    "write_map_for",
]


log = logging.getLogger(__name__)


def default_map_path(scenario: Scenario) -> Path:
    """``maps/<scenario output folder name>.html`` in the working directory."""
    return Path.cwd() / "maps" / f"{scenario.output_dir().resolve().name}.html"


def uncovered_points(coverage: CoverageResult):
    """Demand points no home-care facility covers today (for the density layer): their older
    people and position only — never the weighted demand, which carries the roster's priority
    groups home by home (:mod:`siting.demand`)."""
    types = list(coverage.settings.home_care_types)
    covered = coverage.matrix.is_covered(types=types)
    return coverage.demand.points.loc[~covered, ["demand_id", "elderly", "geometry"]]


def proposed_sites(inputs: Inputs, siting):
    """The sites a siting result opens, as points (None without a result or sites)."""
    if siting is None or len(siting.sites) == 0:
        return None
    import geopandas as gpd

    return gpd.GeoDataFrame(
        siting.sites.drop(columns="geometry"),
        geometry=list(siting.sites["geometry"]),
        crs=inputs.crs,
    )


def proposal_catchments(
    inputs: Inputs, graph: WalkGraph, siting=None, *, minutes=(15.0, 25.0)
) -> Catchments:
    """Isochrones of the existing facilities and, with a siting result, of the sites it opens."""
    if siting is None or len(siting.sites) == 0 or inputs.candidates is None:
        return facility_catchments(inputs, graph, minutes=minutes)
    chosen = inputs.candidates[
        inputs.candidates["candidate_id"].astype(str).isin(siting.sites["site_id"].astype(str))
    ]
    return facility_catchments(
        replace(inputs, candidates=chosen), graph, minutes=minutes, include_candidates=True
    )


def _after(siting):
    if siting is None:
        return None
    return siting.communities.rename(columns={"coverage_after_pct": "coverage_pct"})[
        ["code", "coverage_pct"]
    ]


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
    siting=None,
) -> Path:
    """The scenario's HTML coverage map (self-contained unless ``offline=False``).

    With a :class:`~siting.model.result.SitingResult` (``siting``), the proposed sites and the
    coverage after the plan are drawn too, and its Lorenz curves in a panel; with ``[access] map = true``, the 社区/村 by access
    (:mod:`siting.access`, before and after the plan), as layers off until ticked.
    """
    from siting.maps import coverage_map, write_map

    access = None
    if inputs.scenario.section("access").get("map"):  # [access] map = true: the access layers
        from siting.access import compute_access
        from siting.access_tables import access_map_frame

        access = access_map_frame(compute_access(inputs, coverage, siting=siting), lang=lang)
    lorenz = None
    if siting is not None:  # the plan's equity, as in lorenz.png beside its tables
        from siting.equity import result_lorenz_png

        lorenz = result_lorenz_png(siting, lang=lang)
    m = coverage_map(
        inputs,
        catchments=catchments,
        coverage=coverage.communities,
        coverage_after=_after(siting),
        proposed=proposed_sites(inputs, siting),
        uncovered=uncovered_points(coverage),
        roster_cells=coverage.roster.grid if coverage.roster is not None else None,
        access=access,
        lorenz=lorenz,
        lang=lang,
        basemap=basemap,
        tianditu_key=tianditu_key,
        offline=offline,
    )
    if siting is not None:  # the what-if: sites to open and close, the figures in the page
        from siting.map_whatif import add_whatif

        add_whatif(m, siting, lang=lang, stem=Path(path).stem)
    return write_map(m, path)


def write_export(
    inputs: Inputs,
    catchments: Catchments,
    coverage: CoverageResult,
    path: Path,
    *,
    fmt: str = "gpkg",
    crs: str = "cgcs2000",
    siting=None,
) -> list[Path]:
    """The scenario's GIS layers for the planning bureau (weighted demand rounded when the
    roster weighted it: :func:`siting.disclosure.published_weighted`)."""
    from siting.disclosure import published_weighted, weighted_step
    from siting.export import export_layers

    step = weighted_step(coverage.demand)

    return export_layers(
        inputs,
        path,
        fmt=fmt,
        crs=crs,
        catchments=catchments,
        coverage=published_weighted(coverage.communities, step),
        proposed=proposed_sites(inputs, siting),
        demand_summary=published_weighted(coverage.demand.communities, step),
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
    siting: Any = None
    outputs: tuple[Path, ...] = field(default=())


def run_pipeline(
    scenario: Scenario,
    *,
    timer: StageTimer | None = None,
    console=None,
    lang: Language = "zh",
    curve: bool = True,
) -> RunResult:
    """Run every stage of the pipeline on ``scenario``; outputs go to the scenario's output dir.

    ``curve=False`` leaves the budget–coverage curve out of the one-page report (it solves the
    model once per budget: the largest stage of a large district's run).

    The run is one transaction (:mod:`siting.transaction`): the output folder and the map are
    locked and checked before the work, every file is published at the end with the manifest
    ``run.json``, and a run that fails publishes nothing and leaves no folder it created.
    """
    out_dir = scenario.output_dir()
    with Transaction(
        "run",
        folders=[out_dir],
        files=[default_map_path(scenario)],
        scenario=scenario,
        manifest=(out_dir, "run.json"),
    ) as tx:
        timer = timer or StageTimer()
        result = _run_stages(scenario, timer=timer, console=console, lang=lang, curve=curve)
        tx.note_timings(timer, result.siting)
        tx.commit()
        return result


def _run_stages(
    scenario: Scenario, *, timer: StageTimer, console, lang: Language, curve: bool = True
) -> RunResult:
    out_dir = scenario.output_dir()
    outputs: list[Path] = []

    def stage(key: str):
        name = label(key, lang)
        status = stage_progress(console, name)
        return status, timer.stage(name)

    @contextmanager
    def checked(key: str):
        status, timed = stage(key)
        with status, timed as info:
            yield info

    # every check of `siting validate` (settings, inputs, graph, coverage) before anything is written
    prepared = prepare(scenario, stage=checked, lang=lang)
    siting_settings = prepared.siting_settings
    inputs, graph, coverage = prepared.inputs, prepared.graph, prepared.coverage
    status, timed = stage("stage_write")
    with status, timed as info:
        outputs.extend(write_coverage_tables(coverage, out_dir, lang=lang))
        info["note"] = label("note_tables", lang, n=len(outputs))
    siting = None
    if siting_settings is not None:
        from siting.optimize import optimize
        from siting.reports import write_siting_outputs

        status, timed = stage("stage_optimize")
        with status, timed as info:
            siting = optimize(inputs, coverage, siting_settings, graph=graph)
            outputs.extend(write_siting_outputs(siting, out_dir, lang=lang))
            s = siting.summary
            info["note"] = label(
                "note_new_money",
                lang,
                n=s["n_new_sites"],
                wan=f"{s['spent_wan_yuan']:,.0f}",
                before=f"{s['coverage_before_pct']:.1f}",
                after=f"{s['coverage_after_pct']:.1f}",
            )
    # the report's budget curve: the model solved once per budget (a stage of its own, part of
    # the siting's compute)
    from siting.equity import cjk_font
    from siting.meeting_report import report_curve, write_report

    report = cjk_font() is not None  # the page's names are Chinese: no page rather than boxes
    budget_curve = None
    if curve and report and siting is not None and not siting.settings.years:
        status, timed = stage("stage_curve")
        with status, timed as info:
            budget_curve = report_curve(siting, inputs, coverage, graph)
            info["note"] = label("note_curve", lang, n=len(budget_curve.points))
    catchments, delivered = _deliver(
        scenario, stage, inputs, graph, coverage, siting, out_dir, lang
    )
    outputs.extend(delivered)
    status, timed = stage("stage_report")
    with status, timed as info:
        if not report:
            info["note"] = label("note_report_skipped", lang)
            log.warning("siting run: %s", label("note_report_skipped", "en"))
        else:
            outputs.extend(
                write_report(
                    inputs, coverage, out_dir, siting=siting, curve=budget_curve, lang=lang
                )
            )
            info["note"] = label("note_report", lang, paper="A4")
    return RunResult(
        scenario=scenario,
        inputs=inputs,
        graph=graph,
        catchments=catchments,
        coverage=coverage,
        siting=siting,
        outputs=tuple(outputs),
    )


def _deliver(
    scenario: Scenario, stage, inputs: Inputs, graph, coverage, siting, out_dir: Path, lang
) -> tuple[Catchments, list[Path]]:
    """The isochrones, the HTML map and the GIS layers: (catchments, paths written)."""
    outputs: list[Path] = []
    status, timed = stage("stage_isochrones")
    with status, timed as info:
        catchments = proposal_catchments(inputs, graph, siting)
        path = out_dir / "isochrones.gpkg"
        write_catchments(catchments, path, lang=lang)
        outputs.append(path)
        info["note"] = label("note_sites", lang, n=f"{catchments.per_site['site_id'].nunique():,}")
    status, timed = stage("stage_deliver")
    with status, timed as info, ThreadPoolExecutor(1) as pool:
        # the GeoPackage (GDAL, pyproj and GEOS, mostly without the GIL) is written on the other
        # core while this one renders the map (Python)
        layers = pool.submit(
            contextvars.copy_context().run,
            write_export,
            inputs,
            catchments,
            coverage,
            out_dir / "layers.gpkg",
            siting=siting,
        )
        outputs.append(
            write_map_for(
                inputs, catchments, coverage, default_map_path(scenario), lang=lang, siting=siting
            )
        )
        outputs.extend(layers.result())
        info["note"] = label("note_deliver", lang)
    return catchments, outputs
