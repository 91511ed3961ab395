"""Plan indicators on the hand-checked district of test_coverage (see its module docstring)."""

from __future__ import annotations

import pytest

from siting.coverage import compute_coverage
from siting.errors import ScenarioError
from siting.indicators import IndicatorSettings
from tests.siting.test_coverage import BASE_FACILITIES, SPEED, district


def indicators(tmp_path, **kw):
    inputs, graph = district(tmp_path, **kw)
    return compute_coverage(inputs, graph).indicators


def test_the_base_district_fails_where_it_should_with_the_numbers(tmp_path):
    ind = indicators(tmp_path)
    assert [i.key for i in ind.items] == [
        "home_care_coverage",
        "center_per_street",
        "station_per_community",
        "floor_area_per_resident",
        "stations_per_center",
        "center_near_health",
        "size_standard",
    ]
    cov = ind["home_care_coverage"]
    assert (
        cov.value == pytest.approx(100 * 217.5 / 490) and cov.target == 80.0 and cov.passed is False
    )
    assert cov.numbers["covered_elderly"] == pytest.approx(217.5)
    assert cov.numbers["community_pct"] == pytest.approx(37.5)
    assert cov.numbers["village_pct"] == pytest.approx(75.0)  # 15 minutes in the 村 too

    centers = ind["center_per_street"]
    assert (centers.value, centers.target, centers.passed) == (1.0, 2.0, False)
    assert "甲街道" in centers.detail_zh and "乙镇" not in centers.detail_zh

    stations = ind["station_per_community"]
    assert stations.numbers["own_station"] == 2 and stations.numbers["unserved"] == 1
    assert stations.passed is False and "二社区" in stations.detail_en

    area = ind["floor_area_per_resident"]
    assert area.value == pytest.approx(1260 / 8500) and area.passed is False
    assert "LAND" in area.detail_en and "用地" in area.detail_zh

    hub = ind["stations_per_center"]
    # S lies in 甲街道, which has no center; T is 3320 m = 69 min away, beyond 30 minutes
    assert hub.numbers["stations_without_center"] == 1 and hub.passed is False

    health = ind["center_near_health"]
    assert (health.value, health.target, health.passed) == (1.0, 1.0, True)
    # the station S (300 m² in a 社区 of 1,000 older people) and the town center T (900 m²) meet
    # 001 annex 1; the village point has no size standard
    size = ind["size_standard"]
    assert (size.value, size.target, size.passed) == (2.0, 2.0, True)
    assert not ind.all_passed


def test_a_station_below_its_size_standard_is_flagged(tmp_path):
    # S (in 一社区, 300 older people: "few", < 500) shrunk to 250 m²: the 200 m² standard of a
    # 社区 with few elderly holds (001 annex 1); at 150 m² it fails
    facs = (("S", "station", 200, 500, 250), *BASE_FACILITIES[1:])
    size = indicators(tmp_path / "a", facs=facs)["size_standard"]
    assert (size.value, size.target, size.passed) == (2.0, 2.0, True)
    facs = (("S", "station", 200, 500, 150), *BASE_FACILITIES[1:])
    size = indicators(tmp_path / "b", facs=facs)["size_standard"]
    assert (size.value, size.target, size.passed) == (1.0, 2.0, False)
    assert size.numbers["below"] == 1 and "150 m² < 200" in size.detail_zh
    # with "few" set at 100 older people, 一社区 needs the full 300 m²: 250 m² fails
    facs = (("S", "station", 200, 500, 250), *BASE_FACILITIES[1:])
    size = indicators(
        tmp_path / "c", facs=facs, settings_toml="[indicators]\nsmall_community_elderly = 100\n"
    )["size_standard"]
    assert size.passed is False and "250 m² < 300" in size.detail_zh


def test_a_small_community_may_share_a_neighbours_station(tmp_path):
    # a second station in C1 at x = 950: C2's home is 550 + 10 m = 11.7 min away
    facs = (*BASE_FACILITIES, ("S2", "station", 950, 500, 200))
    ind = indicators(tmp_path / "a", facs=facs)
    st = ind["station_per_community"]
    assert st.numbers["shared_station"] == 1 and st.passed is True
    # with a lower "small" limit C2 (100 older people) must have its own station
    ind = indicators(
        tmp_path / "b", facs=facs, settings_toml="[indicators]\nsmall_community_elderly = 50\n"
    )
    assert ind["station_per_community"].passed is False


def test_stations_go_to_their_own_centre_or_the_nearest_within_reach(tmp_path):
    reach = indicators(tmp_path / "a", settings_toml="[indicators]\nhub_reach_minutes = 70\n")
    hub = reach["stations_per_center"]
    assert 3320 / SPEED / 60 < 70
    assert hub.numbers["stations_taken_over_within_reach"] == 1 and hub.passed is True
    # a street center in 甲街道 runs S whatever the distance
    facs = (*BASE_FACILITIES, ("A", "street_center", 1800, 500, 1600))
    own = indicators(
        tmp_path / "b", facs=facs, settings_toml="[indicators]\nhub_reach_minutes = 1\n"
    )
    hub = own["stations_per_center"]
    assert hub.numbers["stations_in_own_street"] == 1 and hub.passed is True
    assert own["center_per_street"].passed is True
    # ... but has no community health center next to it
    health = own["center_near_health"]
    assert (health.value, health.target, health.passed) == (1.0, 2.0, False)
    too_many = indicators(
        tmp_path / "c",
        facs=(*facs, ("S3", "station", 1500, 500, 300)),
        settings_toml="[indicators]\nstations_per_center_max = 1\n",
    )
    assert too_many["stations_per_center"].value == 2.0
    assert too_many["stations_per_center"].passed is False


def test_targets_come_from_the_scenario(tmp_path):
    toml = "[indicators]\nhome_care_coverage_target = 0.44\nfloor_area_m2_per_resident = 0.1\n"
    ind = indicators(tmp_path, settings_toml=toml)
    assert ind["home_care_coverage"].target == 44.0 and ind["home_care_coverage"].passed is True
    assert ind["floor_area_per_resident"].passed is True


def test_without_health_facilities_the_check_is_not_assessable(tmp_path):
    ind = indicators(tmp_path, health=False)
    assert ind["center_near_health"].passed is None
    assert "cannot be checked" in ind["center_near_health"].detail_en


def test_bad_targets_are_reported_with_their_key(tmp_path):
    inputs, _ = district(tmp_path, settings_toml="[indicators]\nhome_care_coverage_target = 80\n")
    with pytest.raises(ScenarioError, match="home_care_coverage_target"):
        IndicatorSettings.from_scenario(inputs.scenario)


def test_a_village_point_in_a_community_is_not_its_station(tmp_path):
    # a village point added inside 二社区 (x = 1500): a 社区's own facility is a station
    # (001 §二(一), annex 1), so 二社区 stays without one; the village point P of 三村 serves 三村
    facs = (*BASE_FACILITIES, ("Q", "village_point", 1500, 500, 60))
    stations = indicators(tmp_path / "a", facs=facs)["station_per_community"]
    base = indicators(tmp_path / "b")["station_per_community"]
    assert stations.numbers["own_station"] == base.numbers["own_station"] == 2
    assert "二社区" in stations.detail_en
    # a station there serves it
    facs = (*BASE_FACILITIES, ("Q", "station", 1500, 500, 300))
    served = indicators(tmp_path / "c", facs=facs)["station_per_community"]
    assert served.numbers["own_station"] == 3 and served.passed
