"""Progress: long loops report their counts, and the command line draws them as a bar."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from rich.console import Console

from siting.catchments import facility_catchments
from siting.curve import budget_curve
from siting.io import load_inputs
from siting.model import ModelSettings, SitingProblem
from siting.progress import advance, reporting, stage_progress, tracked
from siting.scenario import load_scenario
from siting.walking import walking_graph

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small" / "scenario.toml"


def collect():
    events: list[tuple[int, int]] = []
    return events, lambda done, total: events.append((done, total))


def test_nothing_is_reported_without_a_reporter_and_tracked_counts_each_item():
    advance(1, 2)  # no reporter: nothing happens
    events, report = collect()
    with reporting(report):
        assert list(tracked(["a", "b", "c"])) == ["a", "b", "c"]
    assert events == [(1, 3), (2, 3), (3, 3)]
    advance(1, 2)
    assert len(events) == 3, "the reporter is gone after its block"


def test_isochrones_count_every_site_and_type_polygon():
    inputs = load_inputs(load_scenario(SMALL))
    graph = walking_graph(inputs)
    events, report = collect()
    with reporting(report):
        result = facility_catchments(inputs, graph, minutes=(15.0, 25.0))
    total = len(result.per_site) + len(result.per_type)  # one polygon per site/type and band
    assert {t for _, t in events} == {total}
    assert [d for d, _ in events] == list(range(1, total + 1))


def test_the_budget_curve_counts_its_solves():
    rng = np.random.default_rng(3)
    d = rng.random((40, 8))
    problem = SitingProblem.from_cost_matrix(
        d,
        service_radius=0.3,
        weights=np.ones(40),
        site_costs_wan_yuan=np.arange(1, 9, dtype=float),
        settings=ModelSettings(budget_wan_yuan=12.0, health_rule="off", curve_steps=3),
    )
    events, report = collect()
    with reporting(report):
        curve = budget_curve(problem)
    n = len(curve.points)
    assert events == [(i, n) for i in range(1, n + 1)]


def test_stage_progress_draws_a_counted_bar():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with stage_progress(console, "步行等时圈"):
        for i in range(1, 8):
            advance(i, 7)
    out = buf.getvalue()
    assert "步行等时圈" in out and "7/7" in out
    with stage_progress(None, "nothing drawn"):
        advance(1, 1)  # no console: a no-op
