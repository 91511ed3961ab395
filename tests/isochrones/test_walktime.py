"""Walking times per arc: flat speed, Tobler slopes, stairs, exclusions, crossing delays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isochrones.terrain import read_dem, sample_edge_profiles
from isochrones.walktime import (
    SPEED_PRESETS,
    STEP_DOWN_S,
    STEP_UP_S,
    ModelParameterError,
    WalkingModel,
    tobler_factor,
    walking_arcs,
)
from tests.isochrones.helpers import ORIGIN, make_network, write_dem

OX, OY = ORIGIN
BOUNDS = (OX - 500, OY - 500, OX + 1500, OY + 500)
FLAT = WalkingModel(walk_speed_mps=0.8, slope_function="flat")


def arc_seconds(graph, row: int) -> tuple[float, float]:
    """(u→v, v→u) seconds of edge ``row``."""
    return float(graph.edge_seconds_uv[row]), float(graph.edge_seconds_vu[row])


def sloped_dem(tmp_path, slope: float):
    write_dem(tmp_path / "d.tif", lambda x, y: 100 + slope * (x - OX), bounds=BOUNDS, resolution=10)
    return read_dem(tmp_path / "d.tif")


# --- flat speed --------------------------------------------------------------------------------


def test_flat_edge_of_480_m_at_0_8_mps_takes_600_s_exactly():
    net = make_network({1: (0, 0), 2: (480, 0)}, [(1, 2)])
    graph = walking_arcs(net, FLAT)
    assert arc_seconds(graph, 0) == (600.0, 600.0)
    assert sorted(graph.seconds.tolist()) == [600.0, 600.0]
    assert graph.matrix[0, 1] == 600.0 and graph.matrix[1, 0] == 600.0


def test_tobler_without_slope_equals_the_flat_speed_and_warns_that_no_dem_was_given():
    net = make_network({1: (0, 0), 2: (480, 0)}, [(1, 2)])
    graph = walking_arcs(net, WalkingModel("older_adult"))
    assert arc_seconds(graph, 0) == (600.0, 600.0)
    assert any("no DEM" in p.message and p.severity == "warning" for p in graph.problems)
    assert not walking_arcs(net, FLAT).problems


@pytest.mark.parametrize("preset", sorted(SPEED_PRESETS))
def test_speed_presets_set_the_flat_speed(preset):
    net = make_network({1: (0, 0), 2: (100, 0)}, [(1, 2)])
    graph = walking_arcs(net, WalkingModel(preset, slope_function="flat"))
    assert arc_seconds(graph, 0)[0] == pytest.approx(100 / SPEED_PRESETS[preset], rel=1e-12)


@pytest.mark.parametrize("speed", [0, -1.0, float("nan"), float("inf"), "fast", "Older_Adult"])
def test_bad_speed_is_a_clear_value_error(speed):
    with pytest.raises(ModelParameterError, match="walk"):
        WalkingModel(speed)
    with pytest.raises(ValueError):
        WalkingModel(speed)


def test_other_bad_parameters_are_all_reported_at_once():
    with pytest.raises(ModelParameterError) as info:
        WalkingModel(1.0, step_up_s=-1, crossing_delay_s=-5, slope_function="steep")
    text = str(info.value)
    assert "step_up_s" in text and "crossing_delay_s" in text and "slope_function" in text


# --- slopes ------------------------------------------------------------------------------------


def test_tobler_factor_is_one_on_the_flat_and_peaks_downhill():
    assert tobler_factor(0.0) == 1.0
    assert tobler_factor(-0.05) == pytest.approx(math.exp(0.175))
    # Tobler's raw function: 6 exp(-3.5 |S + 0.05|) km/h, normalised by its value at S = 0.
    s = np.linspace(-0.5, 0.5, 11)
    np.testing.assert_allclose(
        tobler_factor(s), np.exp(-3.5 * np.abs(s + 0.05)) / np.exp(-3.5 * 0.05)
    )


def test_uphill_and_downhill_differ_on_a_sloped_edge_as_tobler_says(tmp_path):
    dem = sloped_dem(tmp_path, 0.08)
    net = make_network({1: (0, 0), 2: (300, 0)}, [(1, 2)])
    graph = walking_arcs(net, WalkingModel(0.8), dem=dem)
    up, down = arc_seconds(graph, 0)
    # Hand check: uphill S = +0.08 -> factor exp(-3.5 * 0.08); downhill S = -0.08 -> exp(+0.07).
    assert up == pytest.approx(300 / (0.8 * math.exp(-0.28)), rel=1e-6)  # 496.1 s
    assert down == pytest.approx(300 / (0.8 * math.exp(0.07)), rel=1e-6)  # 349.6 s
    assert graph.problems == ()


def test_precomputed_profiles_give_the_same_times_as_the_dem(tmp_path):
    dem = sloped_dem(tmp_path, 0.08)
    net = make_network({1: (0, 0), 2: (300, 0), 3: (300, 200)}, [(1, 2), (2, 3)])
    a = walking_arcs(net, WalkingModel(0.8), dem=dem)
    b = walking_arcs(net, WalkingModel(0.8), dem=sample_edge_profiles(net, dem, spacing_m=30))
    np.testing.assert_array_equal(a.seconds, b.seconds)


def test_slopes_beyond_the_clip_are_clipped(tmp_path):
    dem = sloped_dem(tmp_path, 0.6)
    net = make_network({1: (0, 0), 2: (100, 0)}, [(1, 2)])
    graph = walking_arcs(net, WalkingModel(1.0, max_abs_slope=0.4), dem=dem)
    up, down = arc_seconds(graph, 0)
    assert up == pytest.approx(100 / math.exp(-3.5 * 0.4), rel=1e-6)
    assert down == pytest.approx(100 / math.exp(-3.5 * 0.3), rel=1e-6)


def test_a_road_over_a_hill_costs_its_climb_and_its_descent(tmp_path):
    write_dem(
        tmp_path / "d.tif",
        lambda x, y: 50 - 0.1 * np.abs(x - OX - 155),
        bounds=BOUNDS,
        resolution=10,
    )
    net = make_network({1: (5, 0), 2: (305, 0)}, [(1, 2)])
    graph = walking_arcs(net, WalkingModel(1.0), dem=read_dem(tmp_path / "d.tif"))
    up, down = arc_seconds(graph, 0)
    # 150 m at +10 % and 150 m at -10 %, both ways: far slower than the flat 300 s.
    expected = 150 / math.exp(-3.5 * 0.1) + 150 / math.exp(-3.5 * 0.0)
    assert up == pytest.approx(expected, rel=1e-4)
    assert down == pytest.approx(expected, rel=1e-4)


# --- stairs ------------------------------------------------------------------------------------


def steps_net(length: float, **tags):
    return make_network({1: (0, 0), 2: (length, 0)}, [(1, 2, {"highway": "steps", **tags})])


def test_fifty_tagged_steps_cost_fifty_times_the_seconds_per_step_in_each_direction():
    graph = walking_arcs(steps_net(15, step_count="50", incline="up"), FLAT)
    assert arc_seconds(graph, 0) == (50 * STEP_UP_S, 50 * STEP_DOWN_S)
    graph = walking_arcs(steps_net(15, step_count="50", incline="down"), FLAT)
    assert arc_seconds(graph, 0) == (50 * STEP_DOWN_S, 50 * STEP_UP_S)


def test_landings_are_walked_at_the_flat_speed():
    # 50 steps take 15 m of treads; the other 25 m of the way are walked at 0.8 m/s.
    graph = walking_arcs(steps_net(40, step_count="50", incline="-20%"), FLAT)
    assert arc_seconds(graph, 0) == pytest.approx(
        (50 * STEP_DOWN_S + 25 / 0.8, 50 * STEP_UP_S + 25 / 0.8)
    )


def test_incline_of_a_way_the_loader_reversed_is_flipped():
    graph = walking_arcs(steps_net(15, step_count="50", incline="up", reversed=True), FLAT)
    assert arc_seconds(graph, 0) == (50 * STEP_DOWN_S, 50 * STEP_UP_S)


def test_steps_without_direction_are_climbed_both_ways():
    graph = walking_arcs(steps_net(15, step_count="50"), FLAT)
    assert arc_seconds(graph, 0) == (50 * STEP_UP_S, 50 * STEP_UP_S)


def test_step_time_scales_with_the_walking_speed_unless_given():
    graph = walking_arcs(steps_net(15, step_count="50", incline="up"), WalkingModel("frail"))
    assert arc_seconds(graph, 0)[0] == pytest.approx(50 * STEP_UP_S * 0.8 / 0.64)
    model = WalkingModel("frail", step_up_s=1.0, step_down_s=0.9, slope_function="flat")
    assert arc_seconds(walking_arcs(steps_net(15, step_count="50", incline="up"), model), 0) == (
        pytest.approx(50.0),
        pytest.approx(45.0),
    )


@pytest.mark.parametrize("raw", ["many", "约30", "-5", "0", "12.5", "30;40"])
def test_malformed_step_count_is_reported_and_the_length_used(raw):
    net = steps_net(15, step_count=raw, incline="up")
    graph = walking_arcs(net, FLAT)
    (problem,) = [p for p in graph.problems if p.column == "step_count"]
    assert problem.row == 1000 and problem.severity == "warning"
    assert repr(raw) in problem.message
    # Fallback: 15 m / 0.30 m tread = 50 steps.
    assert arc_seconds(graph, 0) == pytest.approx((50 * STEP_UP_S, 50 * STEP_DOWN_S))


def test_untagged_steps_take_their_count_and_direction_from_the_dem(tmp_path):
    dem = sloped_dem(tmp_path, 0.5)  # 20 m of stairs along x climb 10 m: 66.7 risers of 0.15 m
    graph = walking_arcs(steps_net(20), WalkingModel(0.8), dem=dem)
    n = 10 / 0.15
    assert arc_seconds(graph, 0) == pytest.approx((n * STEP_UP_S, n * STEP_DOWN_S), rel=1e-5)
    # A tagged incline wins over the DEM.
    graph = walking_arcs(steps_net(20, incline="down"), WalkingModel(0.8), dem=dem)
    assert arc_seconds(graph, 0) == pytest.approx((n * STEP_DOWN_S, n * STEP_UP_S), rel=1e-5)


# --- exclusion and degenerate edges ------------------------------------------------------------


def test_ways_older_pedestrians_cannot_use_get_no_arcs():
    nodes = {i: (100.0 * i, 0.0) for i in range(1, 13)}
    cases = [
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link", "foot": "yes"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk", "sidewalk": "no"}, False),
        ({"highway": "trunk_link", "sidewalk": "separate"}, False),
        ({"highway": "trunk", "sidewalk": "both"}, True),
        ({"highway": "trunk", "foot": "designated"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "permissive"}, True),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "busway"}, False),  # not a walkable value: a safeguard, loaders drop it
    ]
    edges = [(i + 1, i + 2, tags) for i, (tags, _) in enumerate(cases)]
    graph = walking_arcs(make_network(nodes, edges), FLAT)
    assert graph.edge_has_arcs.tolist() == [ok for _, ok in cases]
    assert set(graph.edge_row.tolist()) == {i for i, (_, ok) in enumerate(cases) if ok}
    assert graph.excluded == {
        "non_walkable_highway": 3,
        "trunk_without_sidewalk": 3,
        "no_access": 1,
        "foot_no": 1,
    }


def test_self_loops_and_zero_length_edges_get_no_arcs_and_are_counted():
    net = make_network(
        {1: (0, 0), 2: (100, 0), 3: (100, 0)},
        [(1, 2), (2, 2, {"coords": [(150, 50), (150, -50)]}), (2, 3)],
    )
    graph = walking_arcs(net, FLAT)
    assert graph.edge_has_arcs.tolist() == [True, False, False]
    assert graph.n_arcs == 2
    (problem,) = graph.problems
    assert problem.message.startswith("2 zero-length edges or self-loops")
    assert "1001, 1002" in problem.message


def test_an_edge_without_a_usable_length_does_not_spoil_the_profiles():
    net = make_network({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [(1, 2), (2, 3)])
    net.edges.loc[1, "length_m"] = float("nan")
    graph = walking_arcs(net, FLAT)
    assert graph.edge_has_arcs.tolist() == [True, False]
    assert np.isfinite(graph.profile_uv_s).all() and np.isfinite(graph.profile_vu_s).all()
    assert graph.fraction_from_u([0], [62.5])[0] == pytest.approx(0.5)


def test_parallel_edges_keep_the_fastest_in_the_matrix():
    net = make_network(
        {1: (0, 0), 2: (100, 0)},
        [(1, 2, {"coords": [(50, 80)]}), (1, 2), (2, 1, {"highway": "steps", "step_count": "5"})],
    )
    graph = walking_arcs(net, FLAT)
    assert graph.n_arcs == 6
    assert graph.matrix.nnz == 2
    # Bent 2 x 94.3 m, straight 100 m, steps 5 x 0.7 s + 98.5 m flat: the straight one wins.
    assert graph.edge_seconds_uv.tolist() == pytest.approx(
        [2 * math.hypot(50, 80) / 0.8, 125.0, 126.625]
    )
    assert graph.matrix[0, 1] == 125.0 and graph.matrix[1, 0] == 125.0


def test_crossing_delay_is_added_where_a_footway_meets_a_main_road():
    nodes = {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (100, -100)}
    edges = [(1, 2, {"highway": "footway"}), (3, 2, {"highway": "primary"}), (2, 4)]
    graph = walking_arcs(make_network(nodes, edges), WalkingModel(1.0, "flat", crossing_delay_s=30))
    assert arc_seconds(graph, 0) == (130.0, 100.0)  # into the primary-road node only
    assert arc_seconds(graph, 1) == (100.0, 100.0)
    assert arc_seconds(graph, 2) == (100.0, 100.0)
    assert arc_seconds(walking_arcs(make_network(nodes, edges), FLAT), 0) == (125.0, 125.0)


# --- time profiles -----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    fractions=st.lists(st.floats(0, 1), min_size=1, max_size=20),
    slope=st.floats(-0.3, 0.3),
)
def test_time_profiles_are_consistent_with_arcs_and_invertible(tmp_path_factory, fractions, slope):
    tmp = tmp_path_factory.mktemp("dem")
    dem = sloped_dem(tmp, slope)
    net = make_network(
        {1: (0, 0), 2: (250, 0), 3: (250, 90)},
        [(1, 2), (2, 3, {"highway": "steps", "step_count": "30"})],
    )
    graph = walking_arcs(net, WalkingModel(0.9), dem=dem)
    f = np.array(fractions)
    for row in (0, 1):
        rows = np.full(len(f), row)
        assert graph.seconds_from_u([row], [1.0])[0] == pytest.approx(graph.edge_seconds_uv[row])
        assert graph.seconds_from_v([row], [0.0])[0] == pytest.approx(graph.edge_seconds_vu[row])
        np.testing.assert_allclose(
            graph.fraction_from_u(rows, graph.seconds_from_u(rows, f)), f, atol=1e-9
        )
        np.testing.assert_allclose(
            graph.fraction_from_v(rows, graph.seconds_from_v(rows, f)), f, atol=1e-9
        )
