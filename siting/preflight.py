"""Every check of ``siting run`` before it writes anything — and ``siting validate`` is exactly this.

:func:`prepare` is the front of the pipeline: the settings of every section a command parses
(:func:`check_settings`), the inputs (:func:`~siting.io.load_inputs`: files, columns, codes,
populations, polygons, coordinate systems, DEM header), the walking graph
(:func:`~siting.walking.walking_graph`: the walking model, the DEM's elevations) and the coverage
(:func:`~siting.coverage.compute_coverage`: demand, attachment of the homes, facilities and
candidate sites to the network). ``siting run`` continues from its result; ``siting validate``
prints it and stops, so a scenario that validates does not fail later for an input reason.

Settings problems and input problems are reported together: the settings are checked first, the
inputs are read anyway, and one :class:`~siting.errors.InputError` lists both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from isochrones import WalkGraph
from siting.coverage import CoverageResult, CoverageSettings, compute_coverage
from siting.errors import InputError, Problem, ScenarioError
from siting.i18n import label
from siting.io import Inputs, load_inputs
from siting.walking import graph_note, walking_graph, walking_problems

__all__ = ["Prepared", "check_settings", "prepare", "runs_siting", "settings_problems"]

#: ``stage(key)``: a context manager around one stage, yielding a dict for its note.
Stage = Callable[[str], AbstractContextManager[dict]]


@contextlib.contextmanager
def _no_stage(key: str) -> Iterator[dict]:
    yield {}


def runs_siting(scenario: Any) -> bool:
    """Does ``siting run`` optimise? When ``[optimize]`` has a budget, a number of new sites or a
    coverage target, or budget lines (``[[budget.line]]``) are given."""
    opt = scenario.section("optimize")
    return any(
        opt.get(k) is not None for k in ("budget_wan_yuan", "new_sites", "coverage_target")
    ) or bool(opt and scenario.section("budget").get("line"))


def _writes_plan(scenario: Any) -> bool:
    """Did the scenario write a ``[plan]`` of its own (not only the defaults)?"""
    from siting.scenario import _DEFAULTS

    return dict(scenario.section("plan")) != _DEFAULTS["plan"]


def _writes_access(scenario: Any) -> bool:
    """Did the scenario write an ``[access]`` of its own (not only the defaults)?"""
    from siting.scenario import _DEFAULTS

    return dict(scenario.section("access")) != _DEFAULTS["access"]


def _needs_budget(p: Problem) -> bool:
    """The one-period model's "needs a budget" problem: ``siting optimize --budget`` gives it."""
    return p.column == "optimize.budget_wan_yuan" and "needs a budget" in p.message


def settings_problems(scenario: Any) -> tuple[list[Problem], Any]:
    """Every problem of the scenario's settings, and the siting settings ``siting run`` uses.

    Checks ``[walking]`` (speed > 0 and a walking pace, slope function, ``max_snap_m``),
    ``[coverage]``, ``[demand]``, ``[roster]`` (``min_count`` ≥ 1), ``[validation]``,
    ``[indicators]``, ``[optimize]``/``[rules]``/``[costs]``/``[budget]`` (as ``siting run`` and
    ``siting optimize`` read them; without a budget, only the budget's absence is not an error,
    since ``siting optimize --budget`` gives it), ``[access]`` (method, supply, decay parameters in
    range, default supplies ≥ 0) and ``[plan]`` when the scenario has one.

    Returns
    -------
    problems, siting_settings
        The problems (errors), and the one-period :class:`~siting.model.ModelSettings` when
        ``siting run`` optimises and they are valid (else None).
    """
    from siting.access import access_settings
    from siting.demand import demand_settings
    from siting.indicators import IndicatorSettings
    from siting.optimize import optimize_settings
    from siting.plausibility import InputLimits
    from siting.polygon_checks import PolygonTolerances
    from siting.roster import RosterSettings

    problems: list[Problem] = list(walking_problems(scenario))
    for check in (
        CoverageSettings.from_scenario,
        demand_settings,
        RosterSettings.from_scenario,
        PolygonTolerances.from_scenario,
        InputLimits.from_scenario,
        IndicatorSettings.from_scenario,
        access_settings,
    ):
        try:
            check(scenario)
        except ScenarioError as exc:
            problems.extend(exc.problems or [Problem(str(scenario.path), str(exc))])
    siting_settings = None
    optimizes = runs_siting(scenario)
    try:
        settings = optimize_settings(scenario)
        siting_settings = settings if optimizes else None
    except ScenarioError as exc:
        problems.extend(p for p in exc.problems if optimizes or not _needs_budget(p))
    if _writes_plan(scenario):
        from siting.plan import plan_settings

        try:
            plan_settings(scenario)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    return _unique(problems), siting_settings


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each problem once (several settings readers share ``[costs]``, ``[rules]``, …), in order."""
    return list({(p.source, p.row, p.column, p.message): p for p in problems}.values())


def check_settings(scenario: Any) -> Any:
    """:func:`settings_problems`, raised as one ScenarioError; returns the siting settings."""
    problems, siting_settings = settings_problems(scenario)
    if problems:
        raise ScenarioError(
            f"scenario {scenario.path}: {len(problems)} problem(s) in the settings; nothing "
            "was written",
            problems,
        )
    return siting_settings


@dataclass(frozen=True)
class Prepared:
    """What the checks produced: the validated settings, inputs, walking graph and coverage.

    ``graph`` and ``coverage`` are None when the inputs were read without the network.
    """

    scenario: Any
    siting_settings: Any
    inputs: Inputs
    graph: WalkGraph | None = None
    coverage: CoverageResult | None = None


def prepare(
    scenario: Any, *, network: bool = True, stage: Stage | None = None, lang: str = "zh"
) -> Prepared:
    """Run every check: settings, inputs, walking graph, coverage (see the module docstring).

    Parameters
    ----------
    scenario
        The loaded scenario.
    network
        Also read the road network and check what needs it (graph, DEM elevations, coverage,
        attachment); ``siting validate --skip-network`` reads the other inputs only.
    stage
        Wraps each stage (``"stage_load"``, ``"stage_graph"``, ``"stage_coverage"``), e.g. to
        time it; yields a dict whose ``"note"`` describes the stage (in ``lang``).

    Raises
    ------
    InputError
        Every problem of the settings and the inputs at once (a :class:`ScenarioError` when only
        the settings are wrong).
    """
    stage = stage or _no_stage
    problems, siting_settings = settings_problems(scenario)
    with stage("stage_load") as info:
        try:
            inputs = load_inputs(scenario, network=network)
        except InputError as exc:
            if not problems:
                raise
            both = _unique([*problems, *exc.problems])  # load_inputs reads [validation] too
            raise InputError(
                f"scenario {scenario.path}: {len(both)} problem(s) in the settings and the "
                "inputs; nothing was written",
                both,
            ) from None
        info["note"] = label("note_units", lang, n=f"{len(inputs.communities):,}")
    if problems:
        raise ScenarioError(
            f"scenario {scenario.path}: {len(problems)} problem(s) in the settings; nothing "
            "was written",
            problems,
        )
    if _writes_access(scenario):  # the facilities' supply that `siting access` shares
        from siting.access import access_input_problems

        supply = access_input_problems(inputs)
        if supply:
            raise InputError(
                f"scenario {scenario.path}: {len(supply)} problem(s) with the facilities' supply "
                "for [access]; nothing was written",
                supply,
            )
    if not network:
        return Prepared(scenario, siting_settings, inputs)
    with stage("stage_graph") as info:
        graph = walking_graph(inputs)
        info["note"] = graph_note(graph, lang)
    with stage("stage_coverage") as info:
        coverage = compute_coverage(inputs, graph)
        info["note"] = coverage.demand.note(lang)
    return Prepared(scenario, siting_settings, inputs, graph, coverage)
