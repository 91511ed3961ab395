"""The ``siting`` command line: ``siting validate``, ``siting run`` and the stage commands.

This module is the only place that configures logging and draws progress bars and tables.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from isochrones.errors import IsochronesError
from siting import __version__
from siting.errors import InputError, Problem, SitingError
from siting.i18n import Language, label
from siting.messages import format_problems as problems_in
from siting.progress import stage_progress
from siting.stages import StageTimer
from siting.terminal import print_frame

__all__ = ["main"]

log = logging.getLogger("siting")


def _console() -> Console:
    """The CLI's console: the terminal's width, ``COLUMNS`` when set, else 140 when not a tty."""
    width = None
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        width = int(columns)
    elif not sys.stdout.isatty():
        width = 140
    return Console(highlight=False, soft_wrap=False, width=width)


def _lang(args: argparse.Namespace, scenario=None) -> Language:
    if getattr(args, "lang", None):
        return args.lang
    if scenario is not None and scenario.language in ("zh", "en"):
        return scenario.language
    return "zh"


def _print_problems(console: Console, exc: Exception, lang: Language) -> None:
    from siting.messages import translate

    problems = getattr(exc, "problems", [])
    if problems:
        from siting.errors import OutputError

        head = "output_fail" if isinstance(exc, OutputError) else "valid_fail"
        console.print(label(head, lang, n=len(problems)), style="bold red")
        console.print(translate(str(exc).split("\n", 1)[0], lang), markup=False, soft_wrap=True)
        console.print(problems_in(problems, lang, limit=200), markup=False, soft_wrap=True)
    else:
        console.print(translate(str(exc), lang), style="red", markup=False, soft_wrap=True)


def _summary_tables(console: Console, inputs, lang: Language, *, warnings: bool = True) -> None:
    from siting.summary import district_summary

    s = district_summary(inputs)
    folder = inputs.scenario.path.parent
    t = Table(title=f"{inputs.scenario.name} — {label('layer', lang)} ({folder})")
    for col in ("layer", "file", "records", "crs", "note"):
        t.add_column(label(col, lang), overflow="fold")
    for layer in inputs.layers:
        # files next to the scenario are shown relative to its folder (named in the title)
        shown = layer.file.replace(f"{folder}/", "", 1)
        # a private layer's size is rounded (siting.disclosure): shown as 约 N / about N
        records = layer.shown[lang != "zh"] if layer.shown else f"{layer.records:,}"
        t.add_row(label(layer.name, lang), shown, records, layer.crs, layer.note)
    console.print(t)

    t = Table(title=label("residents", lang))
    t.add_column("")
    for col in ("count", "residents", "pop_60p", "pop_65p", "pop_80p"):
        t.add_column(label(col, lang), justify="right")
    for row in s["by_kind"]:
        t.add_row(
            label(row["kind"], lang) if row["kind"] != "total" else label("total", lang),
            f"{row['count']:,}",
            f"{row['pop_total']:,.0f}",
            f"{row['pop_60p']:,.0f} ({row['share_60p']:.1%})",
            "" if row["pop_65p"] is None else f"{row['pop_65p']:,.0f} ({row['share_65p']:.1%})",
            "" if row["pop_80p"] is None else f"{row['pop_80p']:,.0f} ({row['share_80p']:.1%})",
        )
    console.print(t)

    if s["facilities"]:
        t = Table(title=label("facilities", lang))
        t.add_column(label("layer", lang))
        t.add_column(label("count", lang), justify="right")
        for key, n in s["facilities"].items():
            t.add_row(label(key, lang), f"{n:,}")
        console.print(t)
    for line in s["lines"][lang]:
        console.print(line)
    if warnings and inputs.warnings:
        console.print(f"{label('warnings', lang)} ({len(inputs.warnings)}):", style="yellow")
        console.print(problems_in(inputs.warnings, lang), markup=False, soft_wrap=True)


def _print_warnings(console: Console, lang: Language, inputs, graph, coverage) -> str:
    """The warnings of the inputs, walking graph and coverage (snapping, islands, no DEM), as every
    command prints them; returns the line on what was attached, for after the stage table."""
    from siting.notices import attachment, run_warnings

    problems = run_warnings(inputs, graph, coverage)
    if problems:
        console.print(f"{label('warnings', lang)} ({len(problems)}):", style="yellow")
        console.print(problems_in(problems, lang, limit=20), markup=False, soft_wrap=True)
    if inputs is None or graph is None or coverage is None:
        return ""
    return attachment(inputs, graph, coverage).text(lang)


def _stage_table(console: Console, timer: StageTimer, lang: Language, attached: str = "") -> None:
    import pandas as pd

    rows = [(r.name, round(r.seconds, 2), round(r.peak_rss_mb), r.note) for r in timer.records]
    rows.append(
        (
            label("total", lang),
            round(timer.total_seconds, 2),
            round(max(r.peak_rss_mb for r in timer.records)),
            "",
        )
    )
    columns = [label(col, lang) for col in ("stage", "seconds", "peak_mb", "note")]
    frame = pd.DataFrame(rows, columns=columns)
    print_frame(console, frame, label("stage", lang), lang=lang)
    if attached:
        console.print(attached, markup=False, soft_wrap=True)


def _check_tile_km(args: argparse.Namespace) -> None:
    tile_km = getattr(args, "tile_km", None)
    if tile_km is not None and not tile_km > 0:
        raise InputError(
            "--tile-km must be a positive number of kilometres",
            [Problem("--tile-km", f"got {tile_km}", hint="e.g. --tile-km 5")],
        )


@contextlib.contextmanager
def _computing(args: argparse.Namespace):
    """Tiles (``--tile-km``) on a Dask cluster (``--scheduler``/``--workers``) or in-process."""
    from siting.scale import computing

    tile_km = getattr(args, "tile_km", None)
    if tile_km is None:
        yield
        return
    _check_tile_km(args)
    if getattr(args, "scheduler", None) or getattr(args, "workers", None):
        from siting.citywide import dask_client

        client, cluster = dask_client(args.scheduler, args.workers)
        try:
            with computing(tile_m=1000.0 * tile_km, executor=client.get_executor()):
                yield
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        with computing(tile_m=1000.0 * tile_km):
            yield


def _add_compute_options(p: argparse.ArgumentParser, *, tiles: bool = True) -> None:
    if tiles:
        p.add_argument(
            "--tile-km",
            type=float,
            help="compute the walking-time searches in square tiles of this size (km), with a "
            "halo as wide as the longest walk; the results are identical",
        )
    p.add_argument(
        "--scheduler",
        help="address of a Dask scheduler (tcp://host:8786); default: a local cluster",
    )
    p.add_argument("--workers", type=int, help="workers of the local Dask cluster (default 2)")


def _begin(
    args: argparse.Namespace,
    command: str,
    *,
    folders: Sequence[Path] = (),
    files: Sequence[Path] = (),
    scenario=None,
    inputs: Sequence[Path] = (),
    manifest: Path | None = None,
):
    """Open the command's transaction before the work (:mod:`siting.transaction`): the targets
    are locked and checked (writable, not an input); :func:`_publish` moves the outputs in place
    at the end, and a command that fails before publishes nothing."""
    from siting.transaction import Transaction

    if manifest is None:
        manifest = Path(folders[0]) / f"{command}.run.json" if folders else None
    tx = Transaction(
        command,
        folders=folders,
        files=files,
        scenario=scenario,
        inputs=inputs,
        manifest=None if manifest is None else (manifest.parent, manifest.name),
    )
    args.tx = args.cleanup.enter_context(tx)
    return args.tx


def _inputs_of(scenarios: Sequence[str]) -> list[Path]:
    """Every input file of several scenarios (one that does not load is skipped here: the
    command reports it in its own way)."""
    from siting.errors import InputError as _InputError
    from siting.scenario import load_scenario
    from siting.transaction import scenario_inputs

    out: list[Path] = []
    for sc in scenarios:
        try:
            out += scenario_inputs(load_scenario(sc))
        except _InputError:
            continue
    return out


def _publish(args: argparse.Namespace) -> tuple[Path, ...]:
    """Publish the command's outputs (all of them, then the manifest)."""
    return args.tx.commit()


def cmd_validate(args: argparse.Namespace) -> int:
    """Every check of ``siting run`` (:func:`siting.preflight.prepare`), writing nothing."""
    from siting.preflight import prepare
    from siting.scenario import load_scenario

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    timer = StageTimer()

    @contextlib.contextmanager
    def stage(key: str):
        with stage_progress(console, label(key, lang)), timer.stage(label(key, lang)) as info:
            yield info

    checked = prepare(scenario, network=not args.skip_network, stage=stage, lang=lang)
    attached = ""
    if checked.coverage is None:
        _summary_tables(console, checked.inputs, lang)
    else:  # the warnings of the inputs, the walking graph and the coverage, as `siting run`
        _summary_tables(console, checked.inputs, lang, warnings=False)
        attached = _print_warnings(console, lang, checked.inputs, checked.graph, checked.coverage)
    console.print(label("valid_ok", lang), style="bold green")
    _stage_table(console, timer, lang, attached)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from siting.pipeline import run_pipeline
    from siting.scenario import load_scenario

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    timer = StageTimer()
    with _computing(args):
        result = run_pipeline(
            scenario,
            timer=timer,
            console=console,
            lang=lang,
            curve=not getattr(args, "no_curve", False),
        )
    _summary_tables(console, result.inputs, lang, warnings=False)
    _print_coverage(console, result.coverage, lang)
    if result.siting is not None:
        _print_siting(console, result.siting, lang)
    attached = _print_warnings(console, lang, result.inputs, result.graph, result.coverage)
    for path in result.outputs:
        console.print(f"→ {path}")
    _stage_table(console, timer, lang, attached)
    return 0


def cmd_isochrones(args: argparse.Namespace) -> int:
    from siting.catchments import facility_catchments, write_catchments
    from siting.io import load_inputs
    from siting.scenario import load_scenario
    from siting.walking import graph_note, walking_graph

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    # its own name: `siting run`'s isochrones.gpkg (with the proposed sites) is left alone
    bands = "-".join(f"{m:g}" for m in args.minutes)
    default = f"isochrones_{bands}min{'_candidates' if args.candidates else ''}.gpkg"
    out = Path(args.out) if args.out else scenario.output_dir() / default
    from siting.preflight import check_settings

    check_settings(scenario)  # every settings problem before the work, as validate
    _begin(args, "isochrones", files=[out], scenario=scenario, manifest=_manifest_beside(out))
    timer = StageTimer()
    with stage_progress(console, label("stage_load", lang)), timer.stage(label("stage_load", lang)):
        inputs = load_inputs(scenario)
    with (
        stage_progress(console, label("stage_graph", lang)),
        timer.stage(label("stage_graph", lang)) as info,
    ):
        graph = walking_graph(inputs, speed=args.speed)
        info["note"] = graph_note(graph, lang)
    with (
        stage_progress(console, label("stage_isochrones", lang)),
        timer.stage(label("stage_isochrones", lang)) as info,
    ):
        result = facility_catchments(
            inputs, graph, minutes=args.minutes, include_candidates=args.candidates
        )
        info["note"] = label("note_sites", lang, n=f"{result.per_site['site_id'].nunique():,}")
    write_catchments(result, out, lang=lang)
    _publish(args)
    for problem in graph.problems + tuple(result.problems):
        console.print(f"! {problem}", markup=False, style="yellow", soft_wrap=True)
    t = Table(title=label("stage_isochrones", lang))
    for col in ("layer", "max_minutes", "area_km2"):
        t.add_column(label(col, lang))
    for row in result.per_type.itertuples():
        t.add_row(label(row.type, lang), f"{row.max_minutes:g}", f"{row.area_km2:,.2f}")
    console.print(t)
    console.print(f"→ {out}")
    _stage_table(console, timer, lang)
    return 0


def _print_coverage(console: Console, coverage, lang: Language) -> None:
    from siting.tables import coverage_frames

    frames = coverage_frames(coverage, lang=lang)
    print_frame(
        console, frames["coverage_district"], label("coverage_district_title", lang), lang=lang
    )
    print_frame(console, frames["indicators"], label("indicators_title", lang), lang=lang)


def cmd_coverage(args: argparse.Namespace) -> int:
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.scenario import load_scenario
    from siting.tables import write_coverage_tables
    from siting.walking import graph_note, walking_graph

    _check_tile_km(args)  # before the work
    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    out_dir = Path(args.out) if args.out else scenario.output_dir()
    from siting.preflight import check_settings

    check_settings(scenario)  # every settings problem before the work, as validate
    _begin(args, "coverage", folders=[out_dir], scenario=scenario)
    timer = StageTimer()
    with stage_progress(console, label("stage_load", lang)), timer.stage(label("stage_load", lang)):
        inputs = load_inputs(scenario)
    with (
        stage_progress(console, label("stage_graph", lang)),
        timer.stage(label("stage_graph", lang)) as info,
    ):
        graph = walking_graph(inputs, speed=args.speed)
        info["note"] = graph_note(graph, lang)
    with (
        stage_progress(console, label("stage_coverage", lang)),
        timer.stage(label("stage_coverage", lang)) as info,
    ):
        with _computing(args):
            coverage = compute_coverage(inputs, graph)
        info["note"] = coverage.demand.note(lang)
    with timer.stage(label("stage_write", lang)):
        write_coverage_tables(coverage, out_dir, lang=lang)
        written = _publish(args)
    _print_coverage(console, coverage, lang)
    attached = _print_warnings(console, lang, inputs, graph, coverage)
    for path in written:
        console.print(f"→ {path}")
    _stage_table(console, timer, lang, attached)
    return 0


def _stage_settings(scenario):
    """(siting settings, plan settings) of the scenario, each None without its section; every
    settings problem is raised before any work (as ``siting validate``)."""
    from siting.preflight import _writes_plan, check_settings

    siting_settings = check_settings(scenario)
    if not _writes_plan(scenario):
        return siting_settings, None
    from siting.plan import plan_settings as read_plan

    return siting_settings, read_plan(scenario)


def _plan_or_siting(console, timer, lang, inputs, graph, coverage, plan_settings, siting_settings):
    """The scenario's multi-year plan when it has a ``[plan]``, else its siting (``[optimize]``),
    as a timed stage; None without either."""
    if plan_settings is None and siting_settings is None:
        return None
    key = "stage_plan" if plan_settings is not None else "stage_optimize"
    with stage_progress(console, label(key, lang)), timer.stage(label(key, lang)) as info:
        if plan_settings is not None:
            from siting.plan import plan

            result = plan(inputs, graph, plan_settings, coverage=coverage)
        else:
            from siting.optimize import optimize

            result = optimize(inputs, coverage, siting_settings, graph=graph)
        info["note"] = label(
            "note_new", lang, n=result.summary["n_new_sites"], solver=result.solver
        )
    return result


def cmd_access(args: argparse.Namespace) -> int:
    """Supply-aware accessibility (2SFCA, E2SFCA, gravity) before and after the scenario's plan."""
    from siting.access import (
        access_input_problems,
        access_settings,
        access_summary,
        compute_access,
    )
    from siting.access_tables import district_brief, write_access_tables
    from siting.access_tables import label as access_label
    from siting.scenario import load_scenario

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    siting_settings, plan_settings = _stage_settings(scenario)  # settings problems first
    settings = access_settings(scenario, method=args.method)
    out_dir = Path(args.out) if args.out else scenario.output_dir()
    _begin(args, "access", folders=[out_dir], scenario=scenario)
    timer = StageTimer()
    _, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    supply = access_input_problems(inputs, settings)  # before the plan is solved
    if supply:
        raise InputError(
            f"{len(supply)} problem(s) with the facilities' supply for [access]; nothing was written",
            supply,
        )
    result = _plan_or_siting(
        console, timer, lang, inputs, graph, coverage, plan_settings, siting_settings
    )
    with timer.stage(access_label("stage_access", lang)) as info:
        access = compute_access(inputs, coverage, settings=settings, siting=result)
        info["note"] = f"{settings.method}, {settings.supply}"
    with timer.stage(label("stage_write", lang)):
        write_access_tables(access, out_dir, lang=lang)
        written = _publish(args)
    print_frame(
        console,
        district_brief(access, lang=lang),
        access_label("cli_access_title", lang),
        lang=lang,
    )
    for line in access_summary(access, lang):
        console.print(line, markup=False, soft_wrap=True)
    from siting.access_tables import access_equity
    from siting.equity import equity_frame

    print_frame(
        console,
        equity_frame(access_equity(access), lang=lang, brief=True),
        access_label("sheet_access_equity", lang),
        lang=lang,
    )
    attached = _print_warnings(console, lang, inputs, graph, coverage)
    for path in written:
        console.print(f"→ {path}")
    _stage_table(console, timer, lang, attached)
    return 0


def _coverage_for(args: argparse.Namespace, console: Console, lang: Language, timer: StageTimer):
    from siting.coverage import compute_coverage
    from siting.io import load_inputs
    from siting.scenario import load_scenario
    from siting.walking import walking_graph

    scenario = load_scenario(args.scenario)
    with stage_progress(console, label("stage_load", lang)), timer.stage(label("stage_load", lang)):
        inputs = load_inputs(scenario)
    with (
        stage_progress(console, label("stage_graph", lang)),
        timer.stage(label("stage_graph", lang)),
    ):
        graph = walking_graph(inputs)
    with (
        stage_progress(console, label("stage_coverage", lang)),
        timer.stage(label("stage_coverage", lang)) as info,
    ):
        coverage = compute_coverage(inputs, graph)
        info["note"] = coverage.demand.note(lang)
    return scenario, inputs, graph, coverage


def _catchments(console, timer, lang, inputs, graph, siting=None):
    from siting.pipeline import proposal_catchments

    with (
        stage_progress(console, label("stage_isochrones", lang)),
        timer.stage(label("stage_isochrones", lang)),
    ):
        return proposal_catchments(inputs, graph, siting)


def _manifest_beside(path: Path) -> Path:
    """The manifest of a command writing one file (or folder): ``<name>.run.json`` beside it."""
    path = Path(path).expanduser().resolve()
    return path.with_name(f"{path.name}.run.json")


def _scenario_siting(console, timer, lang, scenario, inputs, graph, coverage):
    """The scenario's siting result when it has a siting stage (as ``siting run`` does), so
    ``map`` and ``export`` draw the same proposed sites as the run; None without one."""
    from siting.preflight import check_settings

    settings = check_settings(scenario)
    if settings is None:
        return None
    from siting.optimize import optimize

    with (
        stage_progress(console, label("stage_optimize", lang)),
        timer.stage(label("stage_optimize", lang)),
    ):
        return optimize(inputs, coverage, settings, graph=graph)


def cmd_report(args: argparse.Namespace) -> int:
    """The one-page meeting report (PDF and PNG): map, indicators, budget curve, spend, gaps."""
    from siting.meeting_report import report_curve, require_font, write_report
    from siting.scenario import load_scenario

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    siting_settings, plan_settings = _stage_settings(scenario)  # settings problems first
    out_dir = Path(args.out) if args.out else scenario.output_dir()
    require_font()  # before the work: the page needs its Chinese font
    _begin(args, "report", folders=[out_dir], scenario=scenario)
    timer = StageTimer()
    _, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    result = _plan_or_siting(
        console, timer, lang, inputs, graph, coverage, plan_settings, siting_settings
    )
    with (
        stage_progress(console, label("stage_report", lang)),
        timer.stage(label("stage_report", lang)) as info,
    ):
        curve = report_curve(result, inputs, coverage, graph, curve=not args.no_curve)
        write_report(
            inputs, coverage, out_dir, siting=result, curve=curve, lang=lang, paper=args.paper
        )
        info["note"] = label("note_report", lang, paper=args.paper.upper())
        written = _publish(args)
    attached = _print_warnings(console, lang, inputs, graph, coverage)
    for path in written:
        console.print(f"→ {path}")
    _stage_table(console, timer, lang, attached)
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from siting.pipeline import default_map_path, write_map_for
    from siting.preflight import check_settings
    from siting.scenario import load_scenario

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    if args.basemap == "tianditu" and not args.tianditu_key:
        raise InputError(
            "--basemap tianditu needs --tianditu-key (a Tianditu web key); nothing was written"
        )
    check_settings(scenario)  # bad settings fail before the work
    path = Path(args.out) if args.out else default_map_path(scenario)
    _begin(args, "map", files=[path], scenario=scenario, manifest=_manifest_beside(path))
    timer = StageTimer()
    scenario, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    siting = _scenario_siting(console, timer, lang, scenario, inputs, graph, coverage)
    catchments = _catchments(console, timer, lang, inputs, graph, siting)
    with (
        stage_progress(console, label("stage_deliver", lang)),
        timer.stage(label("stage_deliver", lang)),
    ):
        write_map_for(
            inputs,
            catchments,
            coverage,
            path,
            lang=lang,
            basemap=args.basemap,
            tianditu_key=args.tianditu_key,
            offline=not args.online,
            siting=siting,
        )
        _publish(args)
    console.print(f"→ {path}")
    if args.basemap == "tianditu" and args.tianditu_key:
        # the key must be in the page for the tiles to load: whoever has the file has the key
        console.print(label("tianditu_key_in_file", lang), style="yellow", markup=False)
    _stage_table(console, timer, lang)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from siting.pipeline import write_export
    from siting.preflight import check_settings
    from siting.scenario import load_scenario

    console = _console()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    suffix = {"gpkg": "layers.gpkg", "shp": "layers_shp.zip", "geojson": "layers_geojson"}[
        args.format
    ]
    out = Path(args.out) if args.out else scenario.output_dir() / suffix
    check_settings(scenario)  # bad settings fail before the work
    kind = {"folders": [out]} if args.format == "geojson" else {"files": [out]}
    _begin(args, "export", scenario=scenario, manifest=_manifest_beside(out), **kind)
    timer = StageTimer()
    scenario, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    siting = _scenario_siting(console, timer, lang, scenario, inputs, graph, coverage)
    catchments = _catchments(console, timer, lang, inputs, graph, siting)
    with (
        stage_progress(console, label("stage_deliver", lang)),
        timer.stage(label("stage_deliver", lang)),
    ):
        written = write_export(
            inputs, catchments, coverage, out, fmt=args.format, crs=args.crs, siting=siting
        )
        _publish(args)
    for path in written:
        console.print(f"→ {path}")
    _stage_table(console, timer, lang)
    return 0


def _optimize_overrides(args: argparse.Namespace) -> dict:
    overrides: dict = {}
    if args.budget is not None:
        overrides["budget_wan_yuan"] = args.budget
    if args.objective:
        overrides["objective"] = args.objective.replace("-", "_")
    if args.target is not None:
        overrides["coverage_target"] = args.target
    if args.new_sites is not None:
        overrides["new_sites"] = args.new_sites
    if args.policy:
        overrides["policies"] = tuple(args.policy)
    if getattr(args, "profile", None):
        overrides["profile"] = args.profile
    if args.solver:
        overrides["solver"] = args.solver
    if args.time_limit is not None:
        overrides["time_limit_s"] = args.time_limit
    return overrides


def _print_money(console: Console, result, lang: Language) -> None:
    """Spend by year, line and level, and every budget row with its cap."""
    from siting.reports import budget_frame, money_frame

    print_frame(console, money_frame(result, lang), label("money_title", lang), lang=lang)
    budgets = budget_frame(result, lang)
    if len(budgets):
        print_frame(console, budgets, label("sheet_siting_budget", lang), lang=lang)


def _print_siting(console: Console, result, lang: Language) -> None:
    sites = result.sites
    t = Table(title=label("cli_sites_title", lang))
    for col in ("name", "type", "community", "cost", "newly", "per_person"):
        t.add_column(
            label(f"cli_{col}", lang),
            justify="right" if col in ("cost", "newly", "per_person") else "left",
        )
    for row in sites.itertuples():
        t.add_row(
            str(row.name),
            label(str(row.type), lang) + ("" if row.action == "new" else f" ({row.action})"),
            str(row.community_name),
            f"{row.cost_wan_yuan:,.1f}",
            f"{row.newly_covered_elderly:,.0f}",
            ""
            if not np.isfinite(row.yuan_per_newly_covered)
            else f"{row.yuan_per_newly_covered:,.0f}",
        )
    console.print(t)
    s = result.summary
    if lang == "zh":
        console.print(
            f"求解状态：{s['status']}（{s['solver']}，间隙 {0 if result.gap is None else result.gap:.2%}）；"
            f"新增 {s['n_new_sites']} 处，投入 {s['spent_wan_yuan']:,.1f} 万元；"
            f"覆盖率 {s['coverage_before_pct']:.1f}% → {s['coverage_after_pct']:.1f}%"
            f"（{s['covered_before']:,.0f} → {s['covered_after']:,.0f} 名老年人）。"
        )
        console.print(
            f"按{label('profile_' + s['profile'], lang)}：仍缺中心的街道/镇 {s['gaps_center_per_street']} 个，"
            f"仍缺站（点）的社区/村 {s['gaps_station_per_community']} 个，无中心可带的站 {s['gaps_stations_per_center']} 个"
            "（原因见 siting_gaps.csv；规划后指标见 siting_indicators.csv）。"
        )
    else:
        console.print(
            f"Status: {s['status']} ({s['solver']}, gap {0 if result.gap is None else result.gap:.2%}); "
            f"{s['n_new_sites']} new sites for {s['spent_wan_yuan']:,.1f} 万元 (10k yuan); "
            f"coverage {s['coverage_before_pct']:.1f}% → {s['coverage_after_pct']:.1f}% "
            f"({s['covered_before']:,.0f} → {s['covered_after']:,.0f} older people)."
        )
        console.print(
            f"Rules ({label('profile_' + s['profile'], lang)}): {s['gaps_center_per_street']} 街道/镇 still without a "
            f"center, {s['gaps_station_per_community']} 社区/村 without a station or point, "
            f"{s['gaps_stations_per_center']} stations no center can run (reasons in siting_gaps.csv; "
            "indicators after the plan in siting_indicators.csv)."
        )
    _print_objective(console, result, lang)
    _print_money(console, result, lang)
    _print_equity(console, result, lang)


def _print_equity(console: Console, result, lang: Language) -> None:
    """Gini and Theil of coverage across 社区/村 before and after (the file has every row)."""
    from siting.equity import EQUITY_LABELS, equity_frame, result_equity
    from siting.i18n import labeller

    title = labeller(EQUITY_LABELS)("cli_equity", lang)
    print_frame(
        console, equity_frame(result_equity(result), lang=lang, brief=True), title, lang=lang
    )


def _print_objective(console: Console, result, lang: Language) -> None:
    """The figures of the classic objectives (p-median, p-center, backup, capacitated,
    attendance, maximin): walks, backup coverage, capacity, attendance, the worst unit."""
    from siting.reports import _published_summary

    if "mean_walk_minutes" not in result.summary:
        return
    s = _published_summary(result, dict(result.summary))  # weighted figures as published
    objective = result.settings.objective
    zh = lang == "zh"
    lines = []
    if objective in ("p_median", "p_center", "attendance"):
        far = s["beyond_horizon_weighted"]
        lines.append(
            f"步行至最近设施：平均 {s['mean_walk_minutes']:.2f} 分钟，最远 {s['worst_walk_minutes']:.2f} 分钟"
            f"（{s['horizon_minutes']:g} 分钟内无设施的加权需求 {far:,.0f}，按 {s['horizon_minutes']:g} 分钟计）"
            if zh
            else f"Walk to the nearest site: mean {s['mean_walk_minutes']:.2f} min, worst "
            f"{s['worst_walk_minutes']:.2f} min ({far:,.0f} weighted demand with no site within "
            f"{s['horizon_minutes']:g} min, counted at {s['horizon_minutes']:g} min)"
        )
    if objective == "backup":
        lines.append(
            f"步行范围内有第二处设施（备份覆盖）的加权需求：{s['backup_weighted']:,.0f}（{s['backup_covered_pct']:.1f}%）"
            if zh
            else f"Backup coverage (a second site in reach): {s['backup_weighted']:,.0f} weighted "
            f"demand ({s['backup_covered_pct']:.1f}%)"
        )
    if objective == "capacitated" or "capacity_open_elderly" in s:
        lines.append(
            f"按容量分配的老年人 {s['assigned_elderly']:,.0f}，开放设施容量 {s['capacity_open_elderly']:,.0f}"
            f"（使用 {s['capacity_used_pct']:.1f}%）"
            if zh
            else f"Assigned within capacities: {s['assigned_elderly']:,.0f} older people of a capacity "
            f"of {s['capacity_open_elderly']:,.0f} at the open sites ({s['capacity_used_pct']:.1f}% used)"
        )
    if objective == "attendance":
        lines.append(
            f"距离衰减（{s['decay']}）下的预期到访：{s['attendance']:,.1f}（加权需求的 {s['attendance_pct']:.1f}%）"
            if zh
            else f"Attendance with distance decay ({s['decay']}): {s['attendance']:,.1f} "
            f"({s['attendance_pct']:.1f}% of the weighted demand)"
        )
    if objective == "maximin":
        lines.append(
            f"覆盖率最低的社区/村：{s['worst_unit']} {s['worst_unit_coverage_pct']:.1f}%；"
            f"{s['maximin_units']} 个可覆盖的社区/村中 {s['units_reached']} 个有老年人被覆盖"
            f"（{s['units_out_of_reach']} 个无任何设施可覆盖，不计）"
            if zh
            else f"Worst-served 社区/村: {s['worst_unit']} at {s['worst_unit_coverage_pct']:.1f}%; "
            f"{s['units_reached']} of the {s['maximin_units']} 社区/村 some site can cover are reached "
            f"({s['units_out_of_reach']} no site can, left out)"
        )
    for line in lines:
        console.print(line, markup=False)


def cmd_optimize(args: argparse.Namespace) -> int:
    from siting.optimize import optimize, optimize_settings
    from siting.pipeline import default_map_path, write_map_for
    from siting.reports import write_siting_outputs

    console = _console()
    timer = StageTimer()
    from siting.scenario import load_scenario

    scenario0 = load_scenario(args.scenario)
    lang = _lang(args, scenario0)
    from siting.preflight import check_settings

    check_settings(scenario0)  # every settings problem before the work, as validate
    settings = optimize_settings(scenario0, **_optimize_overrides(args))
    out_dir = Path(args.out) if args.out else scenario0.output_dir()
    # the map is named after the output folder, so runs into two folders keep their own maps
    path = default_map_path(scenario0).with_name(f"{out_dir.resolve().name}_siting.html")
    _begin(args, "optimize", folders=[out_dir], files=[path], scenario=scenario0)
    _, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    with (
        stage_progress(console, label("stage_optimize", lang)),
        timer.stage(label("stage_optimize", lang)) as info,
    ):
        result = optimize(inputs, coverage, settings, graph=graph)
        info["note"] = label(
            "note_new", lang, n=result.summary["n_new_sites"], solver=result.solver
        )
    with timer.stage(label("stage_write", lang)):
        curve = None
        if args.curve:
            from siting.curve import budget_curve
            from siting.model import build_problem

            curve = budget_curve(build_problem(inputs, coverage, graph=graph, settings=settings))
        write_siting_outputs(result, out_dir, lang=lang, curve=curve)
        catchments = _catchments(console, timer, lang, inputs, graph, result)
        write_map_for(inputs, catchments, coverage, path, lang=lang, siting=result)
        args.tx.note_timings(timer, result)
        written = _publish(args)
    _print_siting(console, result, lang)
    if curve is not None:
        from siting.reports import siting_frames

        shown = siting_frames(result, lang=lang, curve=curve)["budget_curve"]
        print_frame(console, shown, label("cli_curve_title", lang), lang=lang)
        knee = curve.knee_budget_wan_yuan
        console.print(f"{label('cli_knee', lang)}: {'—' if knee is None else f'{knee:,.0f} 万元'}")
    attached = _print_warnings(console, lang, inputs, graph, coverage)
    for p in written:
        console.print(f"→ {p}")
    _stage_table(console, timer, lang, attached)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """The figures of an edited plan (the what-if map's saved edits), from the same data."""
    from siting.optimize import optimize
    from siting.preflight import check_settings
    from siting.scenario import load_scenario
    from siting.tables import write_tables
    from siting.whatif import apply_edits, plan_state, read_edits, whatif_data, whatif_frames

    console = _console()
    timer = StageTimer()
    scenario = load_scenario(args.scenario)
    lang = _lang(args, scenario)
    settings = check_settings(scenario)
    if settings is None:
        raise InputError(
            "siting evaluate needs a siting stage in the scenario ([optimize] with a budget)",
            [
                Problem(
                    str(scenario.path),
                    "no [optimize] budget",
                    hint="add [optimize] budget_wan_yuan",
                )
            ],
        )
    edits = read_edits(args.edits)  # before the work: a bad edit file is refused at once
    out_dir = Path(args.out) if args.out else scenario.output_dir()
    _begin(args, "evaluate", folders=[out_dir], scenario=scenario, inputs=[Path(args.edits)])
    _, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    with (
        stage_progress(console, label("stage_optimize", lang)),
        timer.stage(label("stage_optimize", lang)) as info,
    ):
        result = optimize(inputs, coverage, settings, graph=graph)
        info["note"] = label(
            "note_new", lang, n=result.summary["n_new_sites"], solver=result.solver
        )
    with timer.stage(label("stage_write", lang)):
        data = whatif_data(result)
        edited = apply_edits(data, plan_state(data), edits)
        frames = whatif_frames(data, edited, lang=lang)
        write_tables({k: v for k, v in frames.items() if k != "figures"}, out_dir)
        written = _publish(args)
    print_frame(console, frames["whatif_district"], "what-if", lang=lang)
    for p in written:
        console.print(f"→ {p}")
    _stage_table(console, timer, lang)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from siting.plan import plan, plan_settings
    from siting.reports import plan_frames, write_plan_outputs
    from siting.scenario import load_scenario

    console = _console()
    scenario0 = load_scenario(args.scenario)
    lang = _lang(args, scenario0)
    from siting.preflight import check_settings

    check_settings(scenario0)  # every settings problem before the work, as validate
    settings = plan_settings(scenario0)  # bad [plan] values fail before the work
    out_dir = Path(args.out) if args.out else scenario0.output_dir()
    from siting.pipeline import default_map_path

    map_path = default_map_path(scenario0).with_name(f"plan_{out_dir.resolve().name}.html")
    _begin(args, "plan", folders=[out_dir], files=[map_path], scenario=scenario0)
    timer = StageTimer()
    _, inputs, graph, coverage = _coverage_for(args, console, lang, timer)
    with stage_progress(console, label("stage_plan", lang)), timer.stage(label("stage_plan", lang)):
        result = plan(inputs, graph, settings, coverage=coverage)
    with timer.stage(label("stage_write", lang)):
        write_plan_outputs(result, out_dir, lang=lang, map_path=map_path)
        written = _publish(args)
    frames = plan_frames(result, lang=lang)
    if "plan_quotas" in frames:  # each quota in the year it falls due (the file has every year)
        due = (result.quotas["year"] == result.quotas["from_year"]).to_numpy()
        frames["plan_quotas"] = frames["plan_quotas"][due]
    for stem in ("plan_years", "plan_builds", "plan_quotas", "plan_indicators", "plan_gaps"):
        if stem in frames and len(frames[stem]):
            print_frame(console, frames[stem], label(f"cli_{stem}", lang), lang=lang)
    _print_money(console, result, lang)
    _print_equity(console, result, lang)
    attached = _print_warnings(console, lang, inputs, graph, coverage)
    for p in written:
        console.print(f"→ {p}")
    _stage_table(console, timer, lang, attached)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from siting.compare import compare, comparison_frames, write_comparison

    console = _console()
    lang: Language = args.lang or "zh"
    out_dir = Path(args.out) if args.out else Path.cwd() / "output" / "compare"
    map_path = Path.cwd() / "maps" / f"{out_dir.name}.html"
    _begin(args, "compare", folders=[out_dir], files=[map_path], inputs=_inputs_of(args.scenarios))
    timer = StageTimer()
    with stage_progress(console, label("stage_plan", lang)), timer.stage(label("stage_plan", lang)):
        result = compare(*args.scenarios)
    with timer.stage(label("stage_write", lang)):
        write_comparison(result, out_dir, lang=lang, map_path=map_path)
        written = _publish(args)
    frames = comparison_frames(result, lang=lang)
    first = next(iter(frames))
    print_frame(console, frames[first], label("cli_compare", lang), lang=lang)
    for p in written:
        console.print(f"→ {p}")
    _stage_table(console, timer, lang)
    return 0


def cmd_run_many(args: argparse.Namespace) -> int:
    from siting.citywide import city_frames, run_many, write_city

    console = _console()
    lang = _lang(args)
    out_dir = Path(args.out)
    map_path = Path(args.map) if args.map else Path.cwd() / "maps" / f"{out_dir.name}.html"
    _begin(args, "run-many", folders=[out_dir], files=[map_path], inputs=_inputs_of(args.scenarios))
    with stage_progress(console, f"run-many: {len(args.scenarios)} scenarios"):
        city = run_many(args.scenarios, scheduler=args.scheduler, n_workers=args.workers, lang=lang)
        write_city(city, out_dir, lang=lang, map_path=map_path)
        written = _publish(args)
    print_frame(
        console, city_frames(city, lang=lang, brief=True)["city_report"], "run-many", lang=lang
    )
    for d in city.failed:
        console.print(f"✗ {d.scenario_path}", style="bold red")
        console.print(d.error if not d.problems else d.error.split(":")[0], markup=False)
        if d.problems:
            console.print(problems_in(d.problems, lang, limit=10), markup=False, soft_wrap=True)
    for path in written:
        console.print(f"→ {path}")
    console.print(
        f"{len(city.succeeded)}/{len(city.districts)} districts, {city.n_workers} workers, "
        f"{city.seconds:.1f} s ({city.scheduler})"
    )
    return 1 if city.failed else 0


def _speed(text: str) -> float | str:
    try:
        value = float(text)
    except ValueError:
        return text
    if value <= 0:
        raise argparse.ArgumentTypeError(f"walking speed must be > 0 m/s, got {text}")
    return value


def _minutes(text: str) -> float:
    value = float(text)
    if not 0 < value <= 120:
        raise argparse.ArgumentTypeError(f"minutes must be in (0, 120], got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siting",
        description=(
            "养老服务设施步行覆盖与选址规划工具 — walking coverage and siting of elderly-care facilities. "
            "Without a SCENARIO, commands run on the embedded demo district (fictional)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"siting {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an unexpected error (to report it)",
    )
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        help="language of tables and reports (default: the scenario's, else zh)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "validate", help="check every input of a scenario and print a summary (writes nothing)"
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--skip-network",
        action="store_true",
        help="do not read the road network (nor check the walking graph, the DEM's elevations "
        "and what the network attaches)",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "isochrones",
        help="walking isochrones (home → facility) of the facilities; writes a GeoPackage",
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--minutes",
        type=_minutes,
        nargs="+",
        default=[15.0, 25.0],
        help="time bands in minutes (default: 15 25)",
    )
    p.add_argument(
        "--speed",
        type=_speed,
        help="flat walking speed: m/s or a preset (frail 0.64, older_adult 0.8, default 1.0, adult 1.3)",
    )
    p.add_argument(
        "--candidates", action="store_true", help="also draw the candidate sites' isochrones"
    )
    p.add_argument(
        "--out",
        help="output GeoPackage (default: <output dir>/isochrones_<minutes>min.gpkg, e.g. "
        "isochrones_15-25min.gpkg; `siting run` writes isochrones.gpkg)",
    )
    p.set_defaults(func=cmd_isochrones)

    p = sub.add_parser(
        "coverage",
        help="coverage of the elderly per 社区/村, 街道/镇 and district, and the plan indicators",
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--speed",
        type=_speed,
        help="flat walking speed: m/s or a preset (frail, older_adult, default, adult)",
    )
    p.add_argument(
        "--out", help="output folder for the tables (default: the scenario's [output] dir)"
    )
    _add_compute_options(p)
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser(
        "access",
        help="supply-aware accessibility (2SFCA, E2SFCA, gravity) per 社区/村 and 街道/镇, "
        "before and after the scenario's plan",
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--method",
        choices=("2sfca", "e2sfca", "gravity"),
        help="measure (default: the scenario's [access] method, else 2sfca)",
    )
    p.add_argument(
        "--out", help="output folder for the tables (default: the scenario's [output] dir)"
    )
    p.set_defaults(func=cmd_access)

    p = sub.add_parser(
        "map", help="the HTML coverage map for meetings (self-contained, works offline)"
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--basemap",
        choices=("none", "osm", "tianditu", "amap"),
        default="none",
        help="base map (default none: the road network is the background)",
    )
    p.add_argument("--tianditu-key", help="Tianditu web key (needed with --basemap tianditu)")
    p.add_argument(
        "--online",
        action="store_true",
        help="load Leaflet from the package CDN instead of inlining it",
    )
    p.add_argument("--out", help="output HTML (default: maps/<scenario>.html)")
    p.set_defaults(func=cmd_map)

    p = sub.add_parser(
        "export", help="GIS layers for the planning bureau (GeoPackage, Shapefile zip or GeoJSON)"
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--format",
        choices=("gpkg", "shp", "geojson"),
        default="gpkg",
        help="file format (default gpkg)",
    )
    p.add_argument(
        "--crs",
        choices=("cgcs2000", "gk", "wgs84", "gcj02"),
        default="cgcs2000",
        help="CRS: CGCS2000 EPSG:4490 (default), its 3° Gauss-Krüger zone, WGS84, or GCJ-02 for Amap",
    )
    p.add_argument(
        "--out", help="output file (folder for geojson); default in the scenario's output dir"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "optimize", help="choose new centers, stations and points within budget (MIP)"
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--budget", type=float, help="budget in 万元 (capital + operating over the horizon)"
    )
    p.add_argument(
        "--objective",
        choices=(
            "max-coverage",
            "min-cost",
            "lexicographic",
            "p-median",
            "p-center",
            "backup",
            "capacitated",
            "attendance",
            "maximin",
        ),
        help="objective (default: the scenario's [optimize] objective): most coverage, least cost, "
        "both; least total walk (p-median), least worst walk (p-center), most second coverage "
        "(backup), coverage within capacities (capacitated), most attendance with distance decay "
        "(attendance), the worst-served 社区/村 first (maximin)",
    )
    p.add_argument("--target", type=float, help="district coverage target for min-cost, e.g. 0.8")
    p.add_argument("--new-sites", type=int, help="number of new sites (instead of a budget)")
    p.add_argument(
        "--policy",
        action="append",
        choices=("center_per_street", "station_per_community", "hub", "capacity"),
        help="enforce a policy rule as a hard constraint (repeatable)",
    )
    p.add_argument(
        "--profile",
        choices=("documents", "coverage_only"),
        help="policy profile: the documents' rules (default) or coverage and money only",
    )
    p.add_argument("--solver", choices=("cbc", "highs"), help="MIP solver (default cbc)")
    p.add_argument("--time-limit", type=float, help="solver time limit in seconds")
    p.add_argument(
        "--curve",
        action="store_true",
        help="also sweep budgets: the budget–coverage curve with its knee (budget_curve.csv)",
    )
    p.add_argument("--out", help="output folder (default: the scenario's [output] dir)")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser(
        "plan",
        help="the five-year plan: what to build each year within each year's budget, milestones",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        help="scenario TOML with a [plan] section (e.g. data/demo/plans/tongliang_style.toml)",
    )
    p.add_argument("--out", help="output folder (default: the scenario's [output] dir)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser(
        "compare", help="compare plan scenarios side by side, with one map of all of them"
    )
    p.add_argument(
        "scenarios", nargs="+", help="two or more scenario TOML files with a [plan] section"
    )
    p.add_argument("--out", help="output folder (default: output/compare)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "evaluate",
        help="the figures of an edited plan: the optimized plan with the edits of EDITS applied",
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument("edits", help="edit file (CSV: site_id, action open|close, type)")
    p.add_argument("--out", help="output folder (default: the scenario's [output] dir)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "report",
        help="the one-page meeting report (PDF and PNG): map, indicators, budget curve, spend, gaps",
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument("--out", help="output folder (default: the scenario's [output] dir)")
    p.add_argument(
        "--paper", choices=("a4", "a3"), default="a4", help="paper, landscape (default a4)"
    )
    p.add_argument(
        "--no-curve",
        action="store_true",
        help="leave out the budget–coverage curve (it solves the model once per budget)",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("run", help="run the whole pipeline on a scenario")
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML file or its folder (default: the demo district)"
    )
    p.add_argument(
        "--no-curve",
        action="store_true",
        help="leave the budget–coverage curve out of the report (it solves the model once per "
        "budget: the largest stage of a large district's run)",
    )
    _add_compute_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "run-many",
        help="run many districts' pipelines as Dask tasks; one city report, map and GeoPackage",
    )
    p.add_argument(
        "scenarios", nargs="+", help="scenario TOML files (or folders), one per district"
    )
    _add_compute_options(p, tiles=False)
    p.add_argument("--out", default="output/city", help="output folder (default output/city)")
    p.add_argument("--map", help="city map HTML (default maps/<out folder name>.html)")
    p.set_defaults(func=cmd_run_many)
    return parser


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a closed terminal, a scheduler's stop): unwound like Ctrl+C, so the
    command's transaction publishes nothing and removes its staging."""


def _stop_on_signals() -> None:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        return

    def stop(signum, frame):
        raise _Stopped

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def main(argv: Sequence[str] | None = None) -> int:
    from siting.cli_help import help_language, localize
    from siting.transaction import set_command_line

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    localize(parser, help_language(argv))
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    set_command_line(["siting", *argv])
    _stop_on_signals()
    try:
        with contextlib.ExitStack() as cleanup:  # a failed command's transaction publishes nothing
            args.cleanup = cleanup
            return args.func(args)
    except (InputError, IsochronesError, SitingError) as exc:
        if args.debug:
            traceback.print_exc()
        _print_problems(_console(), exc, _lang(args))
        return 1
    except KeyboardInterrupt:
        _console().print(
            "已中断，未写出任何文件。"
            if _lang(args) == "zh"
            else "interrupted; nothing was written.",
            style="bold red",
        )
        return 130
    except Exception as exc:  # an unexpected failure: one line, the traceback on request
        if args.debug:
            traceback.print_exc()
            return 3
        zh = _lang(args) == "zh"
        what = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if args.func is cmd_run_many:  # each district's run published its own outputs whole
            kept = (
                "全市结果未写出；已完成的区县结果各自完整保留"
                if zh
                else "the city outputs were not written; the districts that finished kept "
                "their own complete outputs"
            )
        else:
            kept = "未写出任何文件" if zh else "nothing was written"
        _console().print(
            f"意外错误（{kept}）：{what}\n加 --debug 重新运行可显示详细信息，并请报告此问题。"
            if zh
            else f"unexpected error ({kept}): {what}\n"
            "rerun with --debug to see the traceback, and please report it.",
            markup=False,
            style="bold red",
            soft_wrap=True,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
